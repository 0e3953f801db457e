/*
 * xwing.c - X-Wing / MLKEM768-X25519 (see denpo/xwing.h), on ML-KEM-768
 * (mlkem.c), SHA-3 (sha3.c) and libsodium's X25519.
 */
#include <string.h>

#include <sodium.h>

#include "denpo/crypto.h"
#include "denpo/sha3.h"
#include "denpo/xwing.h"

#define CT_M DP_MLKEM768_CT
#define EK_M DP_MLKEM768_EK

/* "\.//^\" */
static const uint8_t xwing_label[6] = {0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c};

/* SHA3-256(ss_M || ss_X || ct_X || pk_X || label) */
static void combiner(uint8_t ss[DP_XWING_SS], const uint8_t ss_m[32], const uint8_t ss_x[32],
		     const uint8_t ct_x[32], const uint8_t pk_x[32])
{
	dp_sha3_ctx c;
	dp_sha3_256_init(&c);
	dp_sha3_absorb(&c, ss_m, 32);
	dp_sha3_absorb(&c, ss_x, 32);
	dp_sha3_absorb(&c, ct_x, 32);
	dp_sha3_absorb(&c, pk_x, 32);
	dp_sha3_absorb(&c, xwing_label, sizeof xwing_label);
	dp_sha3_256_final(&c, ss); /* wipes c */
}

int dp_xwing_expand(dp_xwing_key *k, const uint8_t *sk, size_t sklen)
{
	uint8_t e[96];
	/* the decapsulation key is exactly a 32-byte seed */
	if (sklen != DP_XWING_SK)
		return DP_EPARSE;
	dp_shake256(e, sizeof e, sk, sklen);
	int r = dp_mlkem768_keygen_seed(k->pk, k->dk_m, e, 64);
	memcpy(k->sk_x, e + 64, 32);
	if (!r && crypto_scalarmult_base(k->pk + EK_M, k->sk_x))
		r = DP_ECRYPTO; /* cannot happen for a clamped scalar */
	dp_wipe(e, sizeof e);
	if (r)
		dp_xwing_key_wipe(k);
	return r;
}

void dp_xwing_key_wipe(dp_xwing_key *k)
{
	dp_wipe(k, sizeof *k);
}

int dp_xwing_public(uint8_t pk[DP_XWING_PK], const uint8_t *sk, size_t sklen)
{
	dp_xwing_key k;
	int r = dp_xwing_expand(&k, sk, sklen);
	if (!r)
		memcpy(pk, k.pk, DP_XWING_PK);
	dp_xwing_key_wipe(&k);
	return r;
}

int dp_xwing_keygen(uint8_t pk[DP_XWING_PK], uint8_t sk[DP_XWING_SK])
{
	uint8_t s[DP_XWING_SK];
	dp_random(s, sizeof s);
	int r = dp_xwing_public(pk, s, sizeof s);
	if (!r)
		memcpy(sk, s, sizeof s);
	dp_wipe(s, sizeof s);
	return r;
}

int dp_xwing_encaps_derand(uint8_t ct[DP_XWING_CT], uint8_t ss[DP_XWING_SS], const uint8_t *pk,
			   size_t pklen, const uint8_t eseed[DP_XWING_ESEED], int *x_zero)
{
	uint8_t ss_m[32], ss_x[32], ct_x[32], ct_m[CT_M];
	int zero = 0;
	/* the encapsulation key is ek_M || pk_X */
	if (pklen != DP_XWING_PK)
		return DP_EPARSE;
	/* DP_EPARSE from the modulus check on ek_M */
	int r = dp_mlkem768_encaps_internal(ct_m, ss_m, pk, EK_M, eseed);
	if (r)
		goto out;
	if (crypto_scalarmult_base(ct_x, eseed + 32)) {
		r = DP_ECRYPTO;
		goto out;
	}
	/* libsodium refuses an all-zero result; the draft goes on with it */
	if (crypto_scalarmult(ss_x, eseed + 32, pk + EK_M)) {
		zero = 1;
		memset(ss_x, 0, sizeof ss_x);
	}
	combiner(ss, ss_m, ss_x, ct_x, pk + EK_M);
	memcpy(ct, ct_m, CT_M);
	memcpy(ct + CT_M, ct_x, 32);
	if (x_zero)
		*x_zero = zero;
out:
	dp_wipe(ss_m, sizeof ss_m);
	dp_wipe(ss_x, sizeof ss_x);
	return r;
}

int dp_xwing_encaps(uint8_t ct[DP_XWING_CT], uint8_t ss[DP_XWING_SS], const uint8_t *pk,
		    size_t pklen, int *x_zero)
{
	uint8_t eseed[DP_XWING_ESEED];
	dp_random(eseed, sizeof eseed);
	int r = dp_xwing_encaps_derand(ct, ss, pk, pklen, eseed, x_zero);
	dp_wipe(eseed, sizeof eseed);
	return r;
}

int dp_xwing_decaps(uint8_t ss[DP_XWING_SS], const dp_xwing_key *k, const uint8_t *ct,
		    size_t ctlen, int *x_zero)
{
	uint8_t ss_m[32], ss_x[32];
	int zero = 0;
	/* a ciphertext is exactly ct_M || ct_X */
	if (ctlen != DP_XWING_CT)
		return DP_EPARSE;
	int r = dp_mlkem768_decaps(ss_m, k->dk_m, sizeof k->dk_m, ct, CT_M);
	if (r)
		goto out;
	if (crypto_scalarmult(ss_x, k->sk_x, ct + CT_M)) {
		zero = 1;
		memset(ss_x, 0, sizeof ss_x);
	}
	combiner(ss, ss_m, ss_x, ct + CT_M, k->pk + EK_M);
	if (x_zero)
		*x_zero = zero;
out:
	dp_wipe(ss_m, sizeof ss_m);
	dp_wipe(ss_x, sizeof ss_x);
	return r;
}
