/*
 * denpo/crypto.h - primitives libdenpo builds on (libsodium, OpenSSL).
 *
 * Call dp_crypto_init() once before anything else (it is idempotent).
 * Ed25519 verification follows one documented rule set: strict RFC 8032
 * as implemented by libsodium 1.0.18 (canonical S, canonical A and R
 * encodings, small-order A and R rejected, cofactorless equation).
 */
#ifndef DENPO_CRYPTO_H
#define DENPO_CRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include "denpo/error.h"

#define DP_ED25519_PK 32
#define DP_ED25519_SK 64 /* libsodium layout: seed || pk */
#define DP_ED25519_SEED 32
#define DP_ED25519_SIG 64
#define DP_SHA256 32

int dp_crypto_init(void) DP_WUR;

/* SHA-256 via OpenSSL (SHA-NI where available). */
void dp_sha256(uint8_t out[DP_SHA256], const void *p, size_t n);
/* HMAC-SHA-256 with an arbitrary-length key. */
void dp_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t keylen, const uint8_t *msg,
		    size_t msglen);
/* RFC 5869 HKDF-SHA-256 (extract then expand); outlen <= 255*32. */
int dp_hkdf_sha256(uint8_t *out, size_t outlen, const uint8_t *ikm, size_t ikmlen,
		   const uint8_t *salt, size_t saltlen, const uint8_t *info, size_t infolen) DP_WUR;
int dp_hkdf_extract(uint8_t prk[32], const uint8_t *salt, size_t saltlen, const uint8_t *ikm,
		    size_t ikmlen) DP_WUR;
int dp_hkdf_expand(uint8_t *out, size_t outlen, const uint8_t prk[32], const uint8_t *info,
		   size_t infolen) DP_WUR;

/*
 * Ed25519 with a domain-separation context: the signed message is
 * ctx || 0x00 || msg, so a signature made for one purpose ("denpo-envelope-v1",
 * "denpo-cable-v1", ...) never verifies for another.
 */
int dp_sign(uint8_t sig[DP_ED25519_SIG], const uint8_t sk[DP_ED25519_SK], const char *ctx,
	    const uint8_t *msg, size_t n) DP_WUR;
int dp_verify(const uint8_t sig[DP_ED25519_SIG], const uint8_t pk[DP_ED25519_PK], const char *ctx,
	      const uint8_t *msg, size_t n) DP_WUR;

/* Random bytes from the OS CSPRNG (libsodium). */
void dp_random(void *p, size_t n);
/* Constant-time equality: 1 if equal. */
int dp_ct_eq(const void *a, const void *b, size_t n);
void dp_wipe(void *p, size_t n);

#endif
