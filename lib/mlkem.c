/*
 * mlkem.c - ML-KEM-768 (final FIPS 203): K-PKE (Algorithms 13-15) and the
 * KEM (Algorithms 16-21), on the polynomial layer of mlkem_poly.c.
 *
 * Hash functions (section 4.1): H = SHA3-256, J = SHAKE256 (32 bytes),
 * G = SHA3-512, PRF = SHAKE256, XOF = SHAKE128.
 */
#include <string.h>

#include "denpo/crypto.h"
#include "denpo/mlkem.h"
#include "denpo/sha3.h"
#include "lib/mlkem_poly.h"

#define K 3
#define PKE_DK (K * DP_MLKEM_POLYBYTES)           /* 1152: ByteEncode_12(s-hat) */
#define PKE_EK (K * DP_MLKEM_POLYBYTES + 32)      /* 1184: ByteEncode_12(t-hat) || rho */
#define CT_U (K * DP_MLKEM_POLYC10)               /* 960 */
#define OFF_EK PKE_DK                             /* dk = dkPKE || ek || H(ek) || z */
#define OFF_H (PKE_DK + PKE_EK)
#define OFF_Z (OFF_H + 32)

_Static_assert(PKE_EK == DP_MLKEM768_EK, "ek size");
_Static_assert(OFF_Z + 32 == DP_MLKEM768_DK, "dk size");
_Static_assert(CT_U + DP_MLKEM_POLYC4 == DP_MLKEM768_CT, "ct size");

typedef struct {
	dp_mlkem_poly v[K];
} polyvec;

/* A-hat[i][j] = SampleNTT(rho || j || i); its transpose when transposed. */
static void gen_matrix(polyvec a[K], const uint8_t rho[32], int transposed)
{
	for (uint8_t i = 0; i < K; i++)
		for (uint8_t j = 0; j < K; j++)
			dp_mlkem_poly_sample_ntt(&a[i].v[j], rho, transposed ? i : j,
						 transposed ? j : i);
}

/* r = sum_j a[j] * b[j] in the NTT domain (with basemul's 2^-16 factor), reduced. */
static void inner(dp_mlkem_poly *r, const polyvec *a, const polyvec *b)
{
	memset(r, 0, sizeof *r);
	for (int j = 0; j < K; j++)
		dp_mlkem_poly_basemul_acc(r, &a->v[j], &b->v[j]);
	dp_mlkem_poly_reduce(r);
}

/* K-PKE.KeyGen(d) (Algorithm 13), final FIPS 203: (rho, sigma) = G(d || k). */
static void pke_keygen(uint8_t ek[PKE_EK], uint8_t dk[PKE_DK], const uint8_t d[32])
{
	uint8_t in[33], rs[64];
	polyvec a[K], s, e;
	dp_mlkem_poly t;

	memcpy(in, d, 32);
	in[32] = K;
	dp_sha3_512(rs, in, sizeof in);
	const uint8_t *rho = rs, *sigma = rs + 32;

	gen_matrix(a, rho, 0);
	for (int i = 0; i < K; i++)
		dp_mlkem_poly_noise(&s.v[i], sigma, (uint8_t)i);
	for (int i = 0; i < K; i++)
		dp_mlkem_poly_noise(&e.v[i], sigma, (uint8_t)(K + i));
	for (int i = 0; i < K; i++) {
		dp_mlkem_poly_ntt(&s.v[i]);
		dp_mlkem_poly_ntt(&e.v[i]);
	}
	for (int i = 0; i < K; i++) {
		inner(&t, &a[i], &s);
		dp_mlkem_poly_tomont(&t);
		dp_mlkem_poly_add(&t, &e.v[i]);
		dp_mlkem_poly_tobytes(ek + i * DP_MLKEM_POLYBYTES, &t);
		dp_mlkem_poly_tobytes(dk + i * DP_MLKEM_POLYBYTES, &s.v[i]);
	}
	memcpy(ek + PKE_DK, rho, 32);

	dp_wipe(in, sizeof in);
	dp_wipe(rs, sizeof rs);
	dp_wipe(&s, sizeof s);
	dp_wipe(&e, sizeof e);
	dp_wipe(&t, sizeof t);
}

/* K-PKE.Encrypt(ek, m, r) (Algorithm 14); ek already passed the modulus check
 * or comes from a checked dk (ByteDecode_12 reduces mod q either way). */
static void pke_encrypt(uint8_t ct[DP_MLKEM768_CT], const uint8_t ek[PKE_EK], const uint8_t m[32],
			const uint8_t r[32])
{
	polyvec at[K], t, y, e1;
	dp_mlkem_poly u, v, e2, mu;

	for (int i = 0; i < K; i++)
		dp_mlkem_poly_frombytes(&t.v[i], ek + i * DP_MLKEM_POLYBYTES);
	gen_matrix(at, ek + PKE_DK, 1);
	for (int i = 0; i < K; i++)
		dp_mlkem_poly_noise(&y.v[i], r, (uint8_t)i);
	for (int i = 0; i < K; i++)
		dp_mlkem_poly_noise(&e1.v[i], r, (uint8_t)(K + i));
	dp_mlkem_poly_noise(&e2, r, 2 * K);
	for (int i = 0; i < K; i++)
		dp_mlkem_poly_ntt(&y.v[i]);

	for (int i = 0; i < K; i++) {
		inner(&u, &at[i], &y);
		dp_mlkem_poly_invntt(&u);
		dp_mlkem_poly_add(&u, &e1.v[i]);
		dp_mlkem_poly_compress10(ct + i * DP_MLKEM_POLYC10, &u);
	}
	inner(&v, &t, &y);
	dp_mlkem_poly_invntt(&v);
	dp_mlkem_poly_frommsg(&mu, m);
	dp_mlkem_poly_add(&v, &e2);
	dp_mlkem_poly_add(&v, &mu);
	dp_mlkem_poly_compress4(ct + CT_U, &v);

	dp_wipe(&y, sizeof y);
	dp_wipe(&e1, sizeof e1);
	dp_wipe(&e2, sizeof e2);
	dp_wipe(&mu, sizeof mu);
	dp_wipe(&u, sizeof u);
	dp_wipe(&v, sizeof v);
}

/* K-PKE.Decrypt(dk, c) (Algorithm 15). */
static void pke_decrypt(uint8_t m[32], const uint8_t dk[PKE_DK], const uint8_t ct[DP_MLKEM768_CT])
{
	polyvec u, s;
	dp_mlkem_poly v, w;

	for (int i = 0; i < K; i++) {
		dp_mlkem_poly_decompress10(&u.v[i], ct + i * DP_MLKEM_POLYC10);
		dp_mlkem_poly_ntt(&u.v[i]);
		dp_mlkem_poly_frombytes(&s.v[i], dk + i * DP_MLKEM_POLYBYTES);
	}
	dp_mlkem_poly_decompress4(&v, ct + CT_U);
	inner(&w, &s, &u);
	dp_mlkem_poly_invntt(&w);
	dp_mlkem_poly_sub(&v, &w);
	dp_mlkem_poly_tomsg(m, &v);

	dp_wipe(&s, sizeof s);
	dp_wipe(&u, sizeof u);
	dp_wipe(&v, sizeof v);
	dp_wipe(&w, sizeof w);
}

int dp_mlkem768_keygen_seed(uint8_t ek[DP_MLKEM768_EK], uint8_t dk[DP_MLKEM768_DK],
			    const uint8_t *seed, size_t seedlen)
{
	if (!ek || !dk || !seed)
		return DP_EINVAL;
	if (seedlen != DP_MLKEM768_SEED)
		return DP_EPARSE; /* a seed is exactly d || z, 32 + 32 bytes */
	pke_keygen(ek, dk, seed);
	memcpy(dk + OFF_EK, ek, PKE_EK);
	dp_sha3_256(dk + OFF_H, ek, PKE_EK);
	memcpy(dk + OFF_Z, seed + 32, 32);
	return DP_OK;
}

int dp_mlkem768_keygen(uint8_t ek[DP_MLKEM768_EK], uint8_t dk[DP_MLKEM768_DK],
		       uint8_t seed_out[DP_MLKEM768_SEED])
{
	uint8_t seed[DP_MLKEM768_SEED];
	dp_random(seed, sizeof seed);
	int rc = dp_mlkem768_keygen_seed(ek, dk, seed, sizeof seed);
	if (rc == DP_OK && seed_out)
		memcpy(seed_out, seed, sizeof seed);
	dp_wipe(seed, sizeof seed);
	return rc;
}

int dp_mlkem768_encaps_internal(uint8_t ct[DP_MLKEM768_CT], uint8_t ss[DP_MLKEM768_SS],
				const uint8_t *ek, size_t eklen, const uint8_t m[DP_MLKEM768_MSG])
{
	uint8_t in[64], kr[64];

	if (!ct || !ss || !ek || !m)
		return DP_EINVAL;
	if (eklen != DP_MLKEM768_EK)
		return DP_EPARSE; /* type check: ek is exactly 384k + 32 bytes */
	for (int i = 0; i < K; i++)
		if (!dp_mlkem_poly_check12(ek + i * DP_MLKEM_POLYBYTES))
			return DP_EPARSE; /* modulus check: a coefficient is not reduced mod q */

	memcpy(in, m, 32);
	dp_sha3_256(in + 32, ek, DP_MLKEM768_EK);
	dp_sha3_512(kr, in, sizeof in); /* (K, r) = G(m || H(ek)) */
	pke_encrypt(ct, ek, m, kr + 32);
	memcpy(ss, kr, DP_MLKEM768_SS);
	dp_wipe(in, sizeof in);
	dp_wipe(kr, sizeof kr);
	return DP_OK;
}

int dp_mlkem768_encaps(uint8_t ct[DP_MLKEM768_CT], uint8_t ss[DP_MLKEM768_SS], const uint8_t *ek,
		       size_t eklen)
{
	uint8_t m[DP_MLKEM768_MSG];
	dp_random(m, sizeof m);
	int rc = dp_mlkem768_encaps_internal(ct, ss, ek, eklen, m);
	dp_wipe(m, sizeof m);
	return rc;
}

/* 1 if a and b differ anywhere, 0 if equal; no early exit. */
static uint8_t ct_differ(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint32_t d = 0;
	for (size_t i = 0; i < n; i++)
		d |= (uint32_t)(a[i] ^ b[i]);
	return (uint8_t)((0u - d) >> 31);
}

/* r = x if flag (0 or 1), without a branch. */
static void ct_select(uint8_t *r, const uint8_t *x, size_t n, uint8_t flag)
{
	uint8_t mask = (uint8_t)(0u - flag);
	/* keep the compiler from turning the mask back into a branch */
	__asm__ volatile("" : "+r"(mask));
	for (size_t i = 0; i < n; i++)
		r[i] ^= (uint8_t)(mask & (r[i] ^ x[i]));
}

int dp_mlkem768_decaps(uint8_t ss[DP_MLKEM768_SS], const uint8_t *dk, size_t dklen,
		       const uint8_t *ct, size_t ctlen)
{
	uint8_t h[32], in[64], kr[64], kbar[32], ct2[DP_MLKEM768_CT];
	dp_sha3_ctx j;

	if (ss)
		memset(ss, 0, DP_MLKEM768_SS);
	if (!ss || !dk || !ct)
		return DP_EINVAL;
	if (ctlen != DP_MLKEM768_CT)
		return DP_EPARSE; /* ciphertext type check: exactly 32(du k + dv) bytes */
	if (dklen != DP_MLKEM768_DK)
		return DP_EPARSE; /* key type check: exactly 768k + 96 bytes */
	dp_sha3_256(h, dk + OFF_EK, PKE_EK);
	if (!dp_ct_eq(h, dk + OFF_H, 32))
		return DP_EPARSE; /* hash check: the embedded ek or its hash was corrupted */

	pke_decrypt(in, dk, ct);                  /* m' */
	memcpy(in + 32, dk + OFF_H, 32);
	dp_sha3_512(kr, in, sizeof in);           /* (K', r') = G(m' || h) */
	dp_shake256_init(&j);                     /* K-bar = J(z || c) */
	dp_sha3_absorb(&j, dk + OFF_Z, 32);
	dp_sha3_absorb(&j, ct, DP_MLKEM768_CT);
	dp_shake_squeeze(&j, kbar, sizeof kbar);
	pke_encrypt(ct2, dk + OFF_EK, in, kr + 32);
	ct_select(kr, kbar, 32, ct_differ(ct, ct2, DP_MLKEM768_CT));
	memcpy(ss, kr, DP_MLKEM768_SS);

	dp_wipe(in, sizeof in);
	dp_wipe(kr, sizeof kr);
	dp_wipe(kbar, sizeof kbar);
	dp_wipe(ct2, sizeof ct2);
	dp_sha3_wipe(&j);
	return DP_OK;
}
