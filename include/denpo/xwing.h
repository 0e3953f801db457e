/*
 * denpo/xwing.h - X-Wing, the MLKEM768-X25519 hybrid KEM
 * (draft-connolly-cfrg-xwing-kem; HPKE KEM 0x647a of draft-ietf-hpke-pq;
 * the KEM of age's mlkem768x25519 recipient type).
 *
 *   expand(sk):  e = SHAKE256(sk, 96); (ek_M, dk_M) = ML-KEM-768.KeyGen_internal(e[0:32], e[32:64]);
 *                sk_X = e[64:96]; pk = ek_M || X25519(sk_X, 9)
 *   encaps(pk):  (ss_M, ct_M) = ML-KEM-768.Encaps(pk[0:1184]); ek_X fresh; ct_X = X25519(ek_X, 9);
 *                ss_X = X25519(ek_X, pk_X); ct = ct_M || ct_X
 *   decaps:      ss_M = ML-KEM-768.Decaps(dk_M, ct_M); ss_X = X25519(sk_X, ct_X)
 *   combiner:    ss = SHA3-256(ss_M || ss_X || ct_X || pk_X || "\.//^\")
 *
 * The draft does not reject an all-zero X25519 shared secret (a low-order
 * or identity point in pk_X or ct_X); age and HPKE do.  So these functions
 * compute ss exactly as the draft says and report that case through
 * *x_zero (when x_zero is not NULL) for the caller to refuse.
 * Secrets are wiped on every path; ML-KEM is constant time (mlkem.h).
 */
#ifndef DENPO_XWING_H
#define DENPO_XWING_H

#include <stddef.h>
#include <stdint.h>

#include "denpo/error.h"
#include "denpo/mlkem.h"

#define DP_XWING_SK 32    /* the decapsulation key: a seed */
#define DP_XWING_PK 1216  /* ek_M (1184) || pk_X (32) */
#define DP_XWING_CT 1120  /* ct_M (1088) || ct_X (32) */
#define DP_XWING_SS 32
#define DP_XWING_ESEED 64 /* derandomised encaps: m (32) || ek_X (32) */

/* The expanded decapsulation key, for repeated decapsulation. Secret. */
typedef struct {
	uint8_t dk_m[DP_MLKEM768_DK];
	uint8_t sk_x[32];
	uint8_t pk[DP_XWING_PK];
} dp_xwing_key;

/* Expand a 32-byte seed (DP_EPARSE if sklen != 32).  Wipe k with dp_xwing_key_wipe. */
int dp_xwing_expand(dp_xwing_key *k, const uint8_t *sk, size_t sklen) DP_WUR;
void dp_xwing_key_wipe(dp_xwing_key *k);
/* The public key of a seed. */
int dp_xwing_public(uint8_t pk[DP_XWING_PK], const uint8_t *sk, size_t sklen) DP_WUR;
/* A fresh seed from the OS RNG and its public key. */
int dp_xwing_keygen(uint8_t pk[DP_XWING_PK], uint8_t sk[DP_XWING_SK]) DP_WUR;

/*
 * Encapsulate to an untrusted public key: DP_EPARSE if pklen != 1216 or
 * the ML-KEM part fails the FIPS 203 modulus check.  *x_zero = 1 if the
 * X25519 shared secret is all zero (pk_X of low order), else 0.
 */
int dp_xwing_encaps(uint8_t ct[DP_XWING_CT], uint8_t ss[DP_XWING_SS], const uint8_t *pk,
		    size_t pklen, int *x_zero) DP_WUR;
/* The same with the 64 random bytes given (m || ek_X): for tests. */
int dp_xwing_encaps_derand(uint8_t ct[DP_XWING_CT], uint8_t ss[DP_XWING_SS], const uint8_t *pk,
			   size_t pklen, const uint8_t eseed[DP_XWING_ESEED], int *x_zero) DP_WUR;
/*
 * Decapsulate: DP_EPARSE if ctlen != 1120.  Never fails otherwise (ML-KEM
 * implicit rejection); *x_zero = 1 if the X25519 shared secret is all zero.
 */
int dp_xwing_decaps(uint8_t ss[DP_XWING_SS], const dp_xwing_key *k, const uint8_t *ct,
		    size_t ctlen, int *x_zero) DP_WUR;

#endif
