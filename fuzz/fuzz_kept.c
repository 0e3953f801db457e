/*
 * fuzz_kept - kept_open on arbitrary bytes: a record this device keeps in
 * HOME (denpo/kept.h) is read from a file anyone who can write HOME can
 * write.  Nothing is accepted without the MAC of this device's key; a record
 * kept_seal wrote opens again, whole, and one altered byte of it does not.
 * Seeds: fuzz/corpus/fuzz_kept/.
 */
#include <string.h>

#include "denpo/kept.c"
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static dp_keystore ks;
	static cli_ctx x;
	static const char ctx[8] = {'d', 'p', 'F', 'u', 'z', 'z', 'K', 't'};
	char s[512 + KEPT_MAC_LINE + 1];
	size_t body;
	memset(ks.storage_key, 7, sizeof ks.storage_key);
	x.ks = &ks;
	if (kept_open(&x, ctx, (const char *)data, size, &body) == DP_OK &&
	    (body > size || size - body != KEPT_MAC_LINE))
		__builtin_trap();
	if (size > 512)
		return 0;
	/* a record as this device writes it: whole lines, no NUL */
	memcpy(s, data, size);
	for (size_t i = 0; i < size; i++)
		if (!s[i])
			s[i] = ' ';
	size_t n = size;
	if (n && s[n - 1] != '\n')
		s[n - 1] = '\n';
	size_t len = kept_seal(&x, ctx, s, n, sizeof s);
	if (!len || kept_open(&x, ctx, s, len, &body) != DP_OK || body != n)
		__builtin_trap(); /* what this device sealed opens, whole */
	s[size % len] ^= 1;
	if (kept_open(&x, ctx, s, len, &body) == DP_OK)
		__builtin_trap(); /* one bit changed anywhere: refused */
	return 0;
}
