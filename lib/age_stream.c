/*
 * age_stream.c - the age payload: a 16-byte nonce, then STREAM
 * (ChaCha20-Poly1305 under HKDF(file key, nonce, "payload")) over 64 KiB
 * chunks with nonce = 11-byte big-endian counter || last-chunk flag.
 */
#include <string.h>

#include <sodium.h>

#include "denpo/age.h"
#include "denpo/crypto.h"
#include "lib/age_stream.h"

#define NONCE_LEN 16
#define TAG_LEN crypto_aead_chacha20poly1305_IETF_ABYTES
#define ENC_CHUNK (DP_AGE_CHUNK + TAG_LEN)

static void chunk_nonce(uint8_t n[12], uint64_t ctr, int last)
{
	memset(n, 0, 12);
	for (int i = 0; i < 8; i++)
		n[10 - i] = (uint8_t)(ctr >> (8 * i));
	n[11] = (uint8_t)(last ? 1 : 0);
}

static int payload_key(uint8_t key[32], const uint8_t fk[DP_AGE_FILE_KEY],
		       const uint8_t nonce[NONCE_LEN])
{
	return dp_hkdf_sha256(key, 32, fk, DP_AGE_FILE_KEY, nonce, NONCE_LEN,
			      (const uint8_t *)"payload", 7);
}

int dp_age_stream_seal(const uint8_t fk[DP_AGE_FILE_KEY], const uint8_t *pt, size_t ptlen,
		       dp_buf *out)
{
	uint8_t nonce[NONCE_LEN], key[32], cn[12], *o;
	dp_random(nonce, sizeof nonce);
	int r = dp_buf_append(out, nonce, sizeof nonce);
	if (!r)
		r = payload_key(key, fk, nonce);
	uint64_t ctr = 0;
	size_t off = 0;
	while (!r) {
		size_t k = ptlen - off > DP_AGE_CHUNK ? DP_AGE_CHUNK : ptlen - off;
		int last = off + k == ptlen;
		chunk_nonce(cn, ctr, last);
		r = dp_buf_grow(out, k + TAG_LEN, &o);
		if (r)
			break;
		crypto_aead_chacha20poly1305_ietf_encrypt(o, NULL, pt + off, k, NULL, 0, NULL, cn,
							  key);
		off += k;
		ctr++;
		if (last)
			break;
	}
	sodium_memzero(key, sizeof key);
	return r;
}

int dp_age_stream_open(const uint8_t fk[DP_AGE_FILE_KEY], const uint8_t *in, size_t inlen,
		       dp_buf *out)
{
	uint8_t key[32], cn[12], *o;
	/* the 16-byte nonce (counted as part of the header, as the testkit does) */
	if (inlen < NONCE_LEN)
		return DP_EHEADER;
	int r = payload_key(key, fk, in);
	if (r)
		return r;
	dp_cur c = dp_cur_make(in + NONCE_LEN, inlen - NONCE_LEN);
	/* no chunk at all: even an empty payload has one (empty, final) chunk */
	if (c.len == 0) {
		r = DP_EPAYLOAD;
		goto out;
	}
	for (uint64_t ctr = 0;; ctr++) {
		size_t k = c.len > ENC_CHUNK ? ENC_CHUNK : c.len;
		int last = k == c.len; /* a chunk that reaches EOF must be the final one */
		/* every chunk carries a tag */
		if (k < TAG_LEN) {
			r = DP_EPAYLOAD;
			goto out;
		}
		/* an empty final chunk only for an empty payload */
		if (k == TAG_LEN && ctr > 0) {
			r = DP_EPAYLOAD;
			goto out;
		}
		/* the counter is 11 bytes; 2^64 chunks cannot occur within our caps */
		if ((r = dp_buf_grow(out, k - TAG_LEN, &o)) != DP_OK)
			goto out;
		chunk_nonce(cn, ctr, last);
		int bad = crypto_aead_chacha20poly1305_ietf_decrypt(o, NULL, NULL, c.p, k, NULL, 0,
								    cn, key);
		if (bad && k == ENC_CHUNK) {
			/* a full chunk opening with the other flag: a non-final chunk at
			 * EOF (the final one is missing) or a full final chunk followed by
			 * data.  Its plaintext is released, the payload still fails. */
			chunk_nonce(cn, ctr, !last);
			if (crypto_aead_chacha20poly1305_ietf_decrypt(o, NULL, NULL, c.p, k, NULL, 0,
								      cn, key) == 0) {
				r = DP_EPAYLOAD;
				goto out;
			}
		}
		if (bad) {
			sodium_memzero(o, k - TAG_LEN);
			out->len -= k - TAG_LEN;
			out->p[out->len] = 0;
			r = DP_EPAYLOAD;
			goto out;
		}
		c.p += k;
		c.len -= k;
		if (last)
			break;
	}
	r = DP_OK;
out:
	sodium_memzero(key, sizeof key);
	return r;
}
