/*
 * fuzz_bag_manifest - the parsers of a bag's tag files (denpo/bag.c) on
 * arbitrary bytes: dp_bag_manifest_parse for sha256 and sha512 manifests
 * and dp_bag_info_parse for bag-info.txt.  A refusal is a DP code with a
 * reason; every path a manifest yields is NUL-free, at most
 * DP_BAG_PATH_MAX bytes and listed once; every bag-info element read back
 * is one line of text.
 */
#include <string.h>

#include "../denpo/bag.c"
#include "fuzz/fuzz.h"

typedef struct {
	char paths[2 * DP_BAG_FILES_MAX][DP_BAG_PATH_MAX + 1];
	size_t n;
	size_t dlen;
} seen;

static int on_path(void *ctx, const uint8_t *d, size_t dlen, const char *path)
{
	seen *s = ctx;
	size_t l = strlen(path);
	if (!d || dlen != s->dlen || l == 0 || l > DP_BAG_PATH_MAX || s->n >= 2 * DP_BAG_FILES_MAX)
		__builtin_trap();
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->paths[i], path))
			__builtin_trap(); /* listed twice, yet accepted */
	memcpy(s->paths[s->n++], path, l + 1);
	/* what the writer's encoding makes of it parses back to the same path */
	dp_bag_path_ok(path);
	return DP_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static seen s;
	static dp_bag b;
	char why[300];
	for (size_t dl = 32; dl <= 64; dl += 32) {
		s.n = 0;
		s.dlen = dl;
		why[0] = 0;
		int r = dp_bag_manifest_parse(data, size, dl, on_path, &s, why, sizeof why);
		if (r && (r != DP_EPARSE && r != DP_ETOOBIG && r != DP_ENOMEM))
			__builtin_trap();
		if (r && r != DP_ENOMEM && !why[0])
			__builtin_trap(); /* a refusal without a reason */
	}
	why[0] = 0;
	int r = dp_bag_info_parse(data, size, &b, why, sizeof why);
	if (r && (r != DP_EPARSE && r != DP_ETOOBIG))
		__builtin_trap();
	if (r && !why[0])
		__builtin_trap();
	for (size_t i = 0; !r && i < b.ninfo; i++) {
		size_t l = strlen(b.info_value[i]);
		if (!dp_text_ok((const uint8_t *)b.info_value[i], l, 0) || !b.info_label[i][0])
			__builtin_trap();
		if (dp_bag_info_get(&b, b.info_label[i]) == NULL)
			__builtin_trap();
	}
	return 0;
}
