/*
 * fuzz_mlkem.c - ML-KEM-768 on arbitrary bytes.  The first byte picks the
 * entry point, the rest is its input:
 *   0  encaps on an untrusted ek: OK exactly when it is 1184 bytes with
 *      every coefficient < q (checked here independently), else DP_EPARSE;
 *      on OK, decaps with no matching dk is not possible, so the ciphertext
 *      must at least be deterministic for a fixed m.
 *   1  decaps of an arbitrary ciphertext under a fixed valid key: OK exactly
 *      when it is 1088 bytes; the same input gives the same secret.
 *   2  decaps with an arbitrary dk: OK only when it is 2400 bytes and its
 *      H(ek) field matches its ek field.
 *   3  keygen from an arbitrary seed: OK exactly for 64 bytes, and then
 *      encaps/decaps round-trip.
 * Never a crash, a leak or undefined behaviour.
 */
#include <stdlib.h>
#include <string.h>

#include "denpo/mlkem.h"
#include "denpo/sha3.h"
#include "fuzz/fuzz.h"

static int reduced(const uint8_t *ek)
{
	for (size_t i = 0; i < 1152; i += 3) {
		unsigned a = ek[i] | ((ek[i + 1] & 0x0fu) << 8);
		unsigned b = (ek[i + 1] >> 4) | ((unsigned)ek[i + 2] << 4);
		if (a >= 3329 || b >= 3329)
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t ek[DP_MLKEM768_EK], dk[DP_MLKEM768_DK], ct[DP_MLKEM768_CT],
		ct2[DP_MLKEM768_CT];
	static const uint8_t seed[64] = {1, 2, 3};
	static const uint8_t m[32] = {9};
	uint8_t ss[32], ss2[32], h[32];
	int r;

	if (size < 1)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	switch (data[0] & 3) {
	case 0:
		r = dp_mlkem768_encaps_internal(ct, ss, p, n, m);
		if (r != (n == DP_MLKEM768_EK && reduced(p) ? DP_OK : DP_EPARSE))
			abort();
		if (r == DP_OK && (dp_mlkem768_encaps_internal(ct2, ss2, p, n, m) != DP_OK ||
				   memcmp(ct, ct2, sizeof ct) || memcmp(ss, ss2, sizeof ss)))
			abort();
		break;
	case 1:
		if (dp_mlkem768_keygen_seed(ek, dk, seed, sizeof seed) != DP_OK)
			abort();
		r = dp_mlkem768_decaps(ss, dk, sizeof dk, p, n);
		if (r != (n == DP_MLKEM768_CT ? DP_OK : DP_EPARSE))
			abort();
		if (r == DP_OK && (dp_mlkem768_decaps(ss2, dk, sizeof dk, p, n) != DP_OK ||
				   memcmp(ss, ss2, sizeof ss)))
			abort();
		break;
	case 2:
		memset(ct, 0x5a, sizeof ct);
		r = dp_mlkem768_decaps(ss, p, n, ct, sizeof ct);
		if (r == DP_OK) {
			if (n != DP_MLKEM768_DK)
				abort();
			dp_sha3_256(h, p + 1152, DP_MLKEM768_EK);
			if (memcmp(h, p + 2336, 32))
				abort();
		} else if (r != DP_EPARSE) {
			abort();
		}
		break;
	default:
		r = dp_mlkem768_keygen_seed(ek, dk, p, n);
		if (r != (n == 64 ? DP_OK : DP_EPARSE))
			abort();
		if (r == DP_OK && (dp_mlkem768_encaps_internal(ct, ss, ek, sizeof ek, m) != DP_OK ||
				   dp_mlkem768_decaps(ss2, dk, sizeof dk, ct, sizeof ct) != DP_OK ||
				   memcmp(ss, ss2, sizeof ss)))
			abort();
		break;
	}
	return 0;
}
