/*
 * fuzz_devreplay - the officer index made from log entries
 * (denpo/devreplay.h) on arbitrary input, as an auditor replays what a
 * switch in the adversary's hands serves, and as the signer loads records
 * from a store that may have been edited.  The input is a sequence of
 * chunks, each a 2-byte big-endian length and that many bytes: a chunk
 * whose first byte is 'R' is a stored record (dp_devreplay_load, the
 * rest), any other a log entry (dp_devreplay_entry, at the next index).
 * Whatever arrives:
 *   - every record held decodes, names its officer and re-encodes to itself;
 *   - the root is a function of the records: a second replay that loads
 *     the first's records gets the same root, and loads every one.
 * Seeds: the entries of a run of tests/it_devindex_switch.sh.
 */
#include <string.h>

#include "denpo/devreplay.h"
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static dp_devrec rec;
	dp_devreplay *x = NULL, *y = NULL;
	if (dp_devreplay_new(&x) || dp_devreplay_new(&y))
		abort();
	size_t at = 0;
	uint64_t idx = 0;
	char why[256];
	while (at + 2 <= size) {
		size_t n = (size_t)data[at] << 8 | data[at + 1];
		at += 2;
		if (n > size - at)
			n = size - at;
		const uint8_t *p = data + at;
		at += n;
		if (n && p[0] == 'R')
			(void)dp_devreplay_load(x, p + 1, n - 1);
		else if (dp_devreplay_entry(x, idx++, p, n, why, sizeof why) != DP_OK && !why[0])
			__builtin_trap(); /* an entry refused says why */
		why[0] = 0;
	}
	uint8_t r1[DP_TLOG_HASH], r2[DP_TLOG_HASH];
	if (dp_devreplay_root(x, r1))
		abort();
	dp_buf b;
	dp_buf_init(&b, DP_DEVREC_TEXT_MAX);
	for (size_t i = 0; i < dp_devreplay_count(x); i++) {
		const char *o;
		const uint8_t *t;
		size_t len;
		int dirty;
		dp_devreplay_get(x, i, &o, &t, &len, &dirty);
		if (!t)
			continue;
		dp_buf_reset(&b);
		if (dp_devrec_decode(&rec, t, len) || strcmp(rec.officer, o) ||
		    dp_devrec_encode(&rec, &b) || b.len != len || memcmp(b.p, t, len))
			__builtin_trap(); /* a held record is canonical and its officer's */
		if (dp_devreplay_load(y, t, len))
			__builtin_trap(); /* records of one replay load into another */
	}
	if (dp_devreplay_root(y, r2) || memcmp(r1, r2, sizeof r1))
		__builtin_trap(); /* the root is the records' */
	dp_buf_free(&b);
	dp_devreplay_free(x);
	dp_devreplay_free(y);
	return 0;
}
