#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <sodium.h>

#include "denpo/crypto.h"

int dp_crypto_init(void)
{
	/* sodium_init() returns 1 when already initialised */
	return sodium_init() < 0 ? DP_ECRYPTO : DP_OK;
}

void dp_sha256(uint8_t out[DP_SHA256], const void *p, size_t n)
{
	SHA256(p, n, out);
}

void dp_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t keylen, const uint8_t *msg,
		    size_t msglen)
{
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, msg, msglen);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof st);
}

int dp_hkdf_extract(uint8_t prk[32], const uint8_t *salt, size_t saltlen, const uint8_t *ikm,
		    size_t ikmlen)
{
	static const uint8_t zero[32];
	/* RFC 5869 2.2: an absent salt is HashLen zero bytes (same HMAC result as empty) */
	if (!salt || saltlen == 0) {
		salt = zero;
		saltlen = sizeof zero;
	}
	dp_hmac_sha256(prk, salt, saltlen, ikm, ikmlen);
	return DP_OK;
}

int dp_hkdf_expand(uint8_t *out, size_t outlen, const uint8_t prk[32], const uint8_t *info,
		   size_t infolen)
{
	if (outlen > 255 * 32)
		return DP_EINVAL;
	uint8_t t[32];
	size_t tlen = 0, done = 0;
	uint8_t ctr = 1;
	while (done < outlen) {
		crypto_auth_hmacsha256_state st;
		crypto_auth_hmacsha256_init(&st, prk, 32);
		crypto_auth_hmacsha256_update(&st, t, tlen);
		if (infolen)
			crypto_auth_hmacsha256_update(&st, info, infolen);
		crypto_auth_hmacsha256_update(&st, &ctr, 1);
		crypto_auth_hmacsha256_final(&st, t);
		sodium_memzero(&st, sizeof st);
		tlen = 32;
		size_t k = outlen - done < 32 ? outlen - done : 32;
		memcpy(out + done, t, k);
		done += k;
		ctr++;
	}
	sodium_memzero(t, sizeof t);
	return DP_OK;
}

int dp_hkdf_sha256(uint8_t *out, size_t outlen, const uint8_t *ikm, size_t ikmlen,
		   const uint8_t *salt, size_t saltlen, const uint8_t *info, size_t infolen)
{
	uint8_t prk[32];
	int r = dp_hkdf_extract(prk, salt, saltlen, ikm, ikmlen);
	if (!r)
		r = dp_hkdf_expand(out, outlen, prk, info, infolen);
	sodium_memzero(prk, sizeof prk);
	return r;
}

/* ctx || 0x00 || msg, in one allocation (messages are at most tens of MiB). */
static uint8_t *framed(const char *ctx, const uint8_t *msg, size_t n, size_t *outlen)
{
	size_t cl = strlen(ctx);
	/* cl + 1 + n + 1 must not wrap (a wrapped size would under-allocate) */
	if (n > SIZE_MAX - cl - 2)
		return NULL;
	uint8_t *m = malloc(cl + 1 + n + 1);
	if (!m)
		return NULL;
	memcpy(m, ctx, cl);
	m[cl] = 0;
	if (n)
		memcpy(m + cl + 1, msg, n);
	*outlen = cl + 1 + n;
	return m;
}

int dp_sign(uint8_t sig[DP_ED25519_SIG], const uint8_t sk[DP_ED25519_SK], const char *ctx,
	    const uint8_t *msg, size_t n)
{
	size_t ml;
	uint8_t *m = framed(ctx, msg, n, &ml);
	if (!m)
		return DP_ENOMEM;
	int r = crypto_sign_ed25519_detached(sig, NULL, m, ml, sk) ? DP_ECRYPTO : DP_OK;
	sodium_memzero(m, ml);
	free(m);
	return r;
}

int dp_verify(const uint8_t sig[DP_ED25519_SIG], const uint8_t pk[DP_ED25519_PK], const char *ctx,
	      const uint8_t *msg, size_t n)
{
	size_t ml;
	uint8_t *m = framed(ctx, msg, n, &ml);
	if (!m)
		return DP_ENOMEM;
	int r = crypto_sign_ed25519_verify_detached(sig, m, ml, pk) ? DP_ESIG : DP_OK;
	sodium_memzero(m, ml); /* the copy may be a whole cable plaintext */
	free(m);
	return r;
}

void dp_random(void *p, size_t n) { randombytes_buf(p, n); }
int dp_ct_eq(const void *a, const void *b, size_t n) { return sodium_memcmp(a, b, n) == 0; }
void dp_wipe(void *p, size_t n) { sodium_memzero(p, n); }
