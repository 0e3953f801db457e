/*
 * test_xwing.c - X-Wing (MLKEM768-X25519): the draft's test vectors
 * (derandomised keygen, encaps, decaps), the all-zero X25519 report,
 * exact errors for bad lengths and an unreduced ML-KEM key, and random
 * round trips.  Vectors: $DENPO_VECTORS/xwing/test-vectors.json.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "denpo/crypto.h"
#include "denpo/encoding.h"
#include "denpo/xwing.h"
#include "tests/harness.h"

static int jhex(json_t *o, const char *key, uint8_t *out, size_t n)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && strlen(s) == 2 * n && dp_hex_decode(out, n, s, 2 * n) == DP_OK;
}

static void test_vectors(void)
{
	const char *vd = t_vectors_dir();
	char path[4096];
	if (!vd) {
		t_skipped("X-Wing vectors", "no vectors directory");
		return;
	}
	snprintf(path, sizeof path, "%s/xwing/test-vectors.json", vd);
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);
	if (!j) {
		t_skipped("X-Wing vectors", "xwing/test-vectors.json absent");
		return;
	}
	size_t i, pass = 0;
	json_t *v;
	json_array_foreach(j, i, v) {
		uint8_t seed[32], sk[32], pk[DP_XWING_PK], eseed[64], ct[DP_XWING_CT], ss[32];
		uint8_t pk2[DP_XWING_PK], ct2[DP_XWING_CT], ss2[32], ss3[32];
		int z1 = -1, z2 = -1, ok = 1;
		CHECKF(jhex(v, "seed", seed, 32) && jhex(v, "sk", sk, 32) &&
			       jhex(v, "pk", pk, sizeof pk) && jhex(v, "eseed", eseed, 64) &&
			       jhex(v, "ct", ct, sizeof ct) && jhex(v, "ss", ss, 32),
		       "vector %zu: fields", i);
		CHECKF(memcmp(seed, sk, 32) == 0, "vector %zu: seed == sk", i);
		ok &= dp_xwing_public(pk2, sk, 32) == DP_OK && memcmp(pk2, pk, sizeof pk) == 0;
		CHECKF(ok, "vector %zu: public key", i);
		int e = dp_xwing_encaps_derand(ct2, ss2, pk, sizeof pk, eseed, &z1) == DP_OK &&
			memcmp(ct2, ct, sizeof ct) == 0 && memcmp(ss2, ss, 32) == 0 && z1 == 0;
		CHECKF(e, "vector %zu: encaps", i);
		dp_xwing_key k;
		int d = dp_xwing_expand(&k, sk, 32) == DP_OK &&
			dp_xwing_decaps(ss3, &k, ct, sizeof ct, &z2) == DP_OK &&
			memcmp(ss3, ss, 32) == 0 && z2 == 0 && memcmp(k.pk, pk, sizeof pk) == 0;
		CHECKF(d, "vector %zu: decaps", i);
		dp_xwing_key_wipe(&k);
		pass += ok && e && d;
	}
	printf("xwing/test-vectors.json: %zu/%zu vectors (keygen, encaps, decaps)\n", pass,
	       json_array_size(j));
	CHECK(json_array_size(j) > 0);
	json_decref(j);
}

static void test_api(void)
{
	uint8_t sk[32], pk[DP_XWING_PK], ct[DP_XWING_CT], ss[32], ss2[32], eseed[64];
	dp_xwing_key k;
	int z = -1, bad = 0;

	/* random round trips, and a flipped ciphertext bit changes the secret */
	for (int i = 0; i < 20; i++) {
		z = -1;
		if (dp_xwing_keygen(pk, sk) || dp_xwing_expand(&k, sk, 32) ||
		    memcmp(k.pk, pk, sizeof pk) || dp_xwing_encaps(ct, ss, pk, sizeof pk, &z) || z ||
		    dp_xwing_decaps(ss2, &k, ct, sizeof ct, &z) || z || memcmp(ss, ss2, 32))
			bad++;
		ct[i * 50] ^= 1; /* ML-KEM part (i * 50 < 1088) */
		if (dp_xwing_decaps(ss2, &k, ct, sizeof ct, NULL) || !memcmp(ss, ss2, 32))
			bad++;
		ct[i * 50] ^= 1;
		ct[DP_XWING_CT - 1 - i] ^= 2; /* X25519 part */
		if (dp_xwing_decaps(ss2, &k, ct, sizeof ct, NULL) || !memcmp(ss, ss2, 32))
			bad++;
		dp_xwing_key_wipe(&k);
	}
	CHECKF(bad == 0, "%d round-trip failures", bad);

	CHECK(dp_xwing_keygen(pk, sk) == DP_OK && dp_xwing_expand(&k, sk, 32) == DP_OK);
	/* lengths */
	CHECK(dp_xwing_expand(&k, sk, 31) == DP_EPARSE);
	CHECK(dp_xwing_expand(&k, sk, 33) == DP_EPARSE);
	CHECK(dp_xwing_expand(&k, sk, 32) == DP_OK);
	CHECK(dp_xwing_public(pk, sk, 0) == DP_EPARSE);
	CHECK(dp_xwing_encaps(ct, ss, pk, DP_XWING_PK - 1, NULL) == DP_EPARSE);
	CHECK(dp_xwing_encaps(ct, ss, pk, DP_XWING_PK + 1, NULL) == DP_EPARSE);
	CHECK(dp_xwing_decaps(ss, &k, ct, DP_XWING_CT - 1, NULL) == DP_EPARSE);
	CHECK(dp_xwing_decaps(ss, &k, ct, DP_XWING_CT + 1, NULL) == DP_EPARSE);

	/* the ML-KEM modulus check: a 12-bit coefficient 0xfff >= q */
	uint8_t bpk[DP_XWING_PK];
	memcpy(bpk, pk, sizeof bpk);
	bpk[0] = 0xff;
	bpk[1] |= 0x0f;
	CHECK(dp_xwing_encaps(ct, ss, bpk, sizeof bpk, NULL) == DP_EPARSE);

	/* an all-zero X25519 secret: identity / low-order points are reported */
	static const uint8_t low[][32] = {
		{0}, /* the identity */
		{1}, /* order 1 in X25519's x-only form: also all-zero output */
		{0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
		 0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
		 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00}, /* order 8 */
	};
	dp_random(eseed, sizeof eseed);
	for (size_t i = 0; i < sizeof low / sizeof low[0]; i++) {
		memcpy(bpk, pk, sizeof bpk);
		memcpy(bpk + DP_MLKEM768_EK, low[i], 32);
		z = -1;
		CHECKF(dp_xwing_encaps_derand(ct, ss, bpk, sizeof bpk, eseed, &z) == DP_OK && z == 1,
		       "low-order pk_X %zu: z=%d", i, z);
		/* the same ciphertext's X25519 half replaced by the point */
		CHECK(dp_xwing_encaps(ct, ss, pk, sizeof pk, &z) == DP_OK && z == 0);
		memcpy(ct + DP_MLKEM768_CT, low[i], 32);
		z = -1;
		CHECKF(dp_xwing_decaps(ss2, &k, ct, sizeof ct, &z) == DP_OK && z == 1,
		       "low-order ct_X %zu: z=%d", i, z);
		/* the draft's value is still produced: not the honest secret, not zero */
		CHECK(memcmp(ss, ss2, 32) != 0);
	}
	dp_xwing_key_wipe(&k);
}

int main(void)
{
	if (dp_crypto_init())
		return 1;
	test_vectors();
	test_api();
	return t_done("test_xwing");
}
