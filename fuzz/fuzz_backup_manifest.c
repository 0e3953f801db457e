/*
 * fuzz_backup_manifest - the manifest of a backup (denpod/backup.h), built
 * in here, on arbitrary bytes.  A manifest has one spelling: what parse
 * accepts, format writes back byte for byte; every file it names is one of
 * a backup's, once and in order, and every file that is not optional is
 * there; a refusal is DP_EPARSE with a reason.
 */
#include <string.h>

#include "../denpod/backup.c"
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dpb_manifest m;
	const char *why = NULL;
	int r = dpb_manifest_parse(&m, data, size, &why);
	if (r) {
		if (r != DP_EPARSE || !why)
			__builtin_trap();
		return 0;
	}
	dp_buf b;
	dp_buf_init(&b, 8192);
	if (dpb_manifest_format(&m, &b) || b.len != size || memcmp(b.p, data, size))
		__builtin_trap(); /* one spelling */
	dp_buf_free(&b);
	size_t k = 0, need = 0;
	for (size_t i = 0; i < dpb_nfiles; i++)
		need += !dpb_files[i].optional;
	for (size_t i = 0; i < m.nfiles; i++) {
		while (k < dpb_nfiles && dpb_files[k].name != m.file[i].name)
			k++;
		if (k == dpb_nfiles)
			__builtin_trap(); /* a backup's files, in order, each once */
		need -= !dpb_files[k++].optional;
	}
	if (need)
		__builtin_trap(); /* every file that is not optional */
	return 0;
}
