/*
 * fuzz_devindex - the officer index's readers on arbitrary bytes
 * (denpo/devindex.h): a record a hostile switch serves, and the extension
 * lines of a checkpoint.  A record that decodes encodes to the same bytes;
 * a record applied to by any entry still encodes; a line that parses names
 * one root.  Seeds: fuzz/corpus/fuzz_devindex/.
 */
#include <string.h>

#include "denpo/devindex.h"
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static dp_devrec r;
	static dp_logent e;
	uint8_t root[DP_TLOG_HASH];
	if (dp_devrec_decode(&r, data, size) == DP_OK) {
		dp_buf b;
		dp_buf_init(&b, size + 1);
		if (dp_devrec_encode(&r, &b) || b.len != size || memcmp(b.p, data, size))
			__builtin_trap(); /* one encoding */
		dp_buf_free(&b);
		/* the rule keeps a record valid: enrol, status and key entries on its devices */
		for (size_t i = 0; i < r.n && i < 4 && r.dev[r.n - 1].enrolled < UINT64_MAX - 8; i++) {
			int changed;
			memset(&e, 0, sizeof e);
			e.event = DP_LOG_DEVICE_SUSPENDED + (int)(i % 3);
			memcpy(e.device, r.dev[i].device, sizeof e.device);
			if (dp_devrec_apply(&r, &e, r.dev[r.n - 1].enrolled + 1 + i, &changed))
				__builtin_trap();
		}
		dp_buf_init(&b, size + 64);
		if (dp_devrec_encode(&r, &b))
			__builtin_trap();
		dp_buf_free(&b);
	}
	(void)!dp_devindex_line_parse((const char *)data, size, 0, root);
	return 0;
}
