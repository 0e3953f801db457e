/*
 * denpo/mlkem.h - ML-KEM-768, final FIPS 203 (August 2024), portable C.
 *
 * Sizes are those of FIPS 203 Table 3 for ML-KEM-768 (k = 3, eta1 = eta2 = 2,
 * du = 10, dv = 4).  The decapsulation key is the expanded 2400-byte form
 * dkPKE || ek || H(ek) || z; the 64-byte seed d || z is the compact form
 * it is derived from.
 *
 * Secrets (seed, dk, shared secret, the message m) never steer a branch or
 * a memory index; decapsulation compares the re-encrypted ciphertext in
 * constant time and selects the implicit-rejection key without a branch.
 * Every intermediate secret is wiped before return, on every path.
 * Outputs are written only on success except the decaps shared secret,
 * which on failure is zeroed.
 */
#ifndef DENPO_MLKEM_H
#define DENPO_MLKEM_H

#include <stddef.h>
#include <stdint.h>

#include "denpo/error.h"

#define DP_MLKEM768_EK 1184  /* encapsulation key */
#define DP_MLKEM768_DK 2400  /* decapsulation key (expanded) */
#define DP_MLKEM768_CT 1088  /* ciphertext */
#define DP_MLKEM768_SS 32    /* shared secret */
#define DP_MLKEM768_SEED 64  /* d || z */
#define DP_MLKEM768_MSG 32   /* the encapsulation randomness m */

/*
 * ML-KEM.KeyGen_internal(d, z) with seed = d || z (FIPS 203 Algorithm 16).
 * DP_EPARSE if seedlen != 64.
 */
int dp_mlkem768_keygen_seed(uint8_t ek[DP_MLKEM768_EK], uint8_t dk[DP_MLKEM768_DK],
			    const uint8_t *seed, size_t seedlen) DP_WUR;
/* ML-KEM.KeyGen: a fresh seed from the OS RNG; seed_out (may be NULL) receives it. */
int dp_mlkem768_keygen(uint8_t ek[DP_MLKEM768_EK], uint8_t dk[DP_MLKEM768_DK],
		       uint8_t seed_out[DP_MLKEM768_SEED]) DP_WUR;

/*
 * ML-KEM.Encaps (Algorithm 20) on an untrusted encapsulation key, with the
 * mandatory input check of FIPS 203 section 7.2: DP_EPARSE if eklen != 1184
 * or any 12-bit coefficient of ek is >= q (the modulus check).
 */
int dp_mlkem768_encaps(uint8_t ct[DP_MLKEM768_CT], uint8_t ss[DP_MLKEM768_SS], const uint8_t *ek,
		       size_t eklen) DP_WUR;
/* ML-KEM.Encaps_internal(ek, m) (Algorithm 17), derandomised: for tests. */
int dp_mlkem768_encaps_internal(uint8_t ct[DP_MLKEM768_CT], uint8_t ss[DP_MLKEM768_SS],
				const uint8_t *ek, size_t eklen,
				const uint8_t m[DP_MLKEM768_MSG]) DP_WUR;

/*
 * ML-KEM.Decaps (Algorithm 21) with the input checks of section 7.3:
 * DP_EPARSE if ctlen != 1088, dklen != 2400, or H(ek) inside dk does not
 * match the ek inside dk (a corrupted key).  A well-formed ciphertext that
 * does not decrypt consistently is NOT an error: ss is then the implicit
 * rejection key J(z || c), as the standard requires, and DP_OK is returned.
 */
int dp_mlkem768_decaps(uint8_t ss[DP_MLKEM768_SS], const uint8_t *dk, size_t dklen,
		       const uint8_t *ct, size_t ctlen) DP_WUR;

#endif
