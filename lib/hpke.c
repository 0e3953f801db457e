/*
 * hpke.c - HPKE (RFC 9180) base and psk modes: the key schedule, Seal,
 * Open and Export over HKDF-SHA256 and ChaCha20-Poly1305, with a table of
 * two KEMs, DHKEM(X25519, HKDF-SHA256) and MLKEM768-X25519 (X-Wing).
 *
 * LabeledExtract and LabeledExpand stream their inputs through
 * libsodium's incremental HMAC-SHA-256, so info, psk and the exporter
 * context need no length cap beyond RFC 9180's own (L <= 255 * Nh).
 */
#include <string.h>

#include <sodium.h>

#include "denpo/crypto.h"
#include "denpo/hpke.h"
#include "denpo/sha3.h"

#define VERSION_LABEL "HPKE-v1"
#define SID_MAX 10

/* ---- labeled HKDF (RFC 9180 section 4) ---- */

typedef struct {
	uint8_t b[SID_MAX];
	size_t n;
} suite;

static suite kem_suite(uint16_t kem_id)
{
	suite s = {{'K', 'E', 'M', (uint8_t)(kem_id >> 8), (uint8_t)kem_id}, 5};
	return s;
}

/* LabeledExtract(salt, label, ikm) = HMAC(salt, "HPKE-v1" || suite_id || label || ikm) */
static void labeled_extract(uint8_t prk[32], const suite *sid, const uint8_t *salt, size_t saltlen,
			    const char *label, const uint8_t *ikm, size_t ikmlen)
{
	static const uint8_t empty[1];
	crypto_auth_hmacsha256_state st;
	/* libsodium wants a non-NULL key even when it is empty */
	crypto_auth_hmacsha256_init(&st, saltlen ? salt : empty, saltlen);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)VERSION_LABEL, strlen(VERSION_LABEL));
	crypto_auth_hmacsha256_update(&st, sid->b, sid->n);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)label, strlen(label));
	if (ikmlen)
		crypto_auth_hmacsha256_update(&st, ikm, ikmlen);
	crypto_auth_hmacsha256_final(&st, prk);
	sodium_memzero(&st, sizeof st);
}

/*
 * LabeledExpand(prk, label, info, L) = HKDF-Expand(prk, I2OSP(L, 2) ||
 * "HPKE-v1" || suite_id || label || info, L).
 */
static int labeled_expand(uint8_t *out, size_t L, const uint8_t prk[32], const suite *sid,
			  const char *label, const uint8_t *info, size_t infolen)
{
	uint8_t t[32], l2[2] = {(uint8_t)(L >> 8), (uint8_t)L};
	crypto_auth_hmacsha256_state st;
	/* HKDF-Expand's limit */
	if (L == 0 || L > 255 * 32)
		return DP_EINVAL;
	for (size_t done = 0, i = 1; done < L; i++) {
		uint8_t ctr = (uint8_t)i;
		crypto_auth_hmacsha256_init(&st, prk, 32);
		if (i > 1)
			crypto_auth_hmacsha256_update(&st, t, sizeof t);
		crypto_auth_hmacsha256_update(&st, l2, 2);
		crypto_auth_hmacsha256_update(&st, (const uint8_t *)VERSION_LABEL,
					      strlen(VERSION_LABEL));
		crypto_auth_hmacsha256_update(&st, sid->b, sid->n);
		crypto_auth_hmacsha256_update(&st, (const uint8_t *)label, strlen(label));
		if (infolen)
			crypto_auth_hmacsha256_update(&st, info, infolen);
		crypto_auth_hmacsha256_update(&st, &ctr, 1);
		crypto_auth_hmacsha256_final(&st, t);
		size_t k = L - done < 32 ? L - done : 32;
		memcpy(out + done, t, k);
		done += k;
	}
	sodium_memzero(&st, sizeof st);
	sodium_memzero(t, sizeof t);
	return DP_OK;
}

/* ---- DHKEM(X25519, HKDF-SHA256) (RFC 9180 section 4.1) ---- */

static int x25519_derive(dp_hpke_key *k, const uint8_t *ikm, size_t ikmlen)
{
	suite sid = kem_suite(DP_HPKE_KEM_X25519);
	uint8_t prk[32];
	labeled_extract(prk, &sid, NULL, 0, "dkp_prk", ikm, ikmlen);
	int r = labeled_expand(k->sk, 32, prk, &sid, "sk", NULL, 0);
	sodium_memzero(prk, sizeof prk);
	return r;
}

static int x25519_from_sk(dp_hpke_key *k)
{
	k->pklen = 32;
	return crypto_scalarmult_base(k->pk, k->sk) ? DP_ECRYPTO : DP_OK;
}

/* ExtractAndExpand(dh, kem_context) with kem_context = enc || pkR */
static int x25519_ss(uint8_t ss[32], const uint8_t dh[32], const uint8_t enc[32],
		     const uint8_t pkR[32])
{
	suite sid = kem_suite(DP_HPKE_KEM_X25519);
	uint8_t prk[32], ctx[64];
	memcpy(ctx, enc, 32);
	memcpy(ctx + 32, pkR, 32);
	labeled_extract(prk, &sid, NULL, 0, "eae_prk", dh, 32);
	int r = labeled_expand(ss, 32, prk, &sid, "shared_secret", ctx, sizeof ctx);
	sodium_memzero(prk, sizeof prk);
	return r;
}

static int x25519_encap(uint8_t *enc, uint8_t ss[32], const uint8_t *pkR, const uint8_t *ikmE,
			size_t ikmElen)
{
	dp_hpke_key e;
	uint8_t dh[32];
	int r = DP_OK;
	memset(&e, 0, sizeof e);
	if (ikmE)
		r = x25519_derive(&e, ikmE, ikmElen);
	else
		dp_random(e.sk, 32);
	if (!r)
		r = x25519_from_sk(&e);
	/* an all-zero DH output (low-order pkR) is a validation error */
	if (!r && crypto_scalarmult(dh, e.sk, pkR))
		r = DP_EPARSE;
	if (!r)
		r = x25519_ss(ss, dh, e.pk, pkR);
	if (!r)
		memcpy(enc, e.pk, 32);
	sodium_memzero(&e.sk, sizeof e.sk);
	sodium_memzero(dh, sizeof dh);
	return r;
}

static int x25519_decap(uint8_t ss[32], const uint8_t *enc, const dp_hpke_key *k)
{
	uint8_t dh[32];
	int r = DP_OK;
	/* an all-zero DH output (low-order enc) is a validation error */
	if (crypto_scalarmult(dh, k->sk, enc))
		r = DP_EPARSE;
	if (!r)
		r = x25519_ss(ss, dh, enc, k->pk);
	sodium_memzero(dh, sizeof dh);
	return r;
}

/* ---- MLKEM768-X25519 (draft-ietf-hpke-pq, X-Wing) ---- */

static int xwing_derive(dp_hpke_key *k, const uint8_t *ikm, size_t ikmlen)
{
	/* LabeledDerive(ikm, "DeriveKeyPair", "", 32) with the SHAKE256 KDF */
	static const uint8_t tail[] = {'H', 'P', 'K', 'E', '-', 'v', '1', 'K', 'E', 'M', 0x64,
				       0x7a, 0, 13, 'D', 'e', 'r', 'i', 'v', 'e', 'K', 'e',
				       'y', 'P', 'a', 'i', 'r', 0, 32};
	dp_sha3_ctx c;
	dp_shake256_init(&c);
	dp_sha3_absorb(&c, ikm, ikmlen);
	dp_sha3_absorb(&c, tail, sizeof tail);
	dp_shake_squeeze(&c, k->sk, 32);
	dp_sha3_wipe(&c);
	return DP_OK;
}

static int xwing_from_sk(dp_hpke_key *k)
{
	int r = dp_xwing_expand(&k->xw, k->sk, 32);
	if (!r) {
		memcpy(k->pk, k->xw.pk, DP_XWING_PK);
		k->pklen = DP_XWING_PK;
	}
	return r;
}

static int xwing_encap(uint8_t *enc, uint8_t ss[32], const uint8_t *pkR, const uint8_t *ikmE,
		       size_t ikmElen)
{
	int zero = 0, r;
	/* the randomness is exactly the 64-byte eseed */
	if (ikmE && ikmElen != DP_XWING_ESEED)
		return DP_EINVAL;
	r = ikmE ? dp_xwing_encaps_derand(enc, ss, pkR, DP_XWING_PK, ikmE, &zero)
		 : dp_xwing_encaps(enc, ss, pkR, DP_XWING_PK, &zero);
	/* a low-order X25519 half of pkR */
	if (!r && zero) {
		sodium_memzero(ss, 32);
		r = DP_EPARSE;
	}
	return r;
}

static int xwing_decap(uint8_t ss[32], const uint8_t *enc, const dp_hpke_key *k)
{
	int zero = 0;
	int r = dp_xwing_decaps(ss, &k->xw, enc, DP_XWING_CT, &zero);
	/* a low-order X25519 half of enc */
	if (!r && zero) {
		sodium_memzero(ss, 32);
		r = DP_EPARSE;
	}
	return r;
}

/* ---- the KEM table ---- */

typedef struct {
	uint16_t id;
	size_t npk, nenc;
	int (*derive)(dp_hpke_key *k, const uint8_t *ikm, size_t ikmlen);
	int (*from_sk)(dp_hpke_key *k);
	int (*encap)(uint8_t *enc, uint8_t ss[32], const uint8_t *pkR, const uint8_t *ikmE,
		     size_t ikmElen);
	int (*decap)(uint8_t ss[32], const uint8_t *enc, const dp_hpke_key *k);
} kem;

static const kem kems[] = {
	{DP_HPKE_KEM_X25519, 32, 32, x25519_derive, x25519_from_sk, x25519_encap, x25519_decap},
	{DP_HPKE_KEM_XWING, DP_XWING_PK, DP_XWING_CT, xwing_derive, xwing_from_sk, xwing_encap,
	 xwing_decap},
};

static const kem *find_kem(uint16_t id)
{
	for (size_t i = 0; i < sizeof kems / sizeof kems[0]; i++)
		if (kems[i].id == id)
			return &kems[i];
	return NULL;
}

size_t dp_hpke_enc_len(uint16_t kem_id)
{
	const kem *k = find_kem(kem_id);
	return k ? k->nenc : 0;
}

size_t dp_hpke_pk_len(uint16_t kem_id)
{
	const kem *k = find_kem(kem_id);
	return k ? k->npk : 0;
}

void dp_hpke_key_wipe(dp_hpke_key *k)
{
	sodium_memzero(k, sizeof *k);
}

int dp_hpke_key_from_sk(dp_hpke_key *k, uint16_t kem_id, const uint8_t *sk, size_t sklen)
{
	const kem *m = find_kem(kem_id);
	memset(k, 0, sizeof *k);
	if (!m)
		return DP_EUNSUPP;
	/* both KEMs' private keys are 32 bytes */
	if (sklen != DP_HPKE_SK)
		return DP_EPARSE;
	k->kem_id = kem_id;
	memcpy(k->sk, sk, DP_HPKE_SK);
	int r = m->from_sk(k);
	if (r)
		dp_hpke_key_wipe(k);
	return r;
}

int dp_hpke_derive_key_pair(dp_hpke_key *k, uint16_t kem_id, const uint8_t *ikm, size_t ikmlen)
{
	const kem *m = find_kem(kem_id);
	memset(k, 0, sizeof *k);
	if (!m)
		return DP_EUNSUPP;
	/* RFC 9180: ikm must have at least Nsk bytes of entropy */
	if (ikmlen < DP_HPKE_SK)
		return DP_EINVAL;
	k->kem_id = kem_id;
	int r = m->derive(k, ikm, ikmlen);
	if (!r)
		r = m->from_sk(k);
	if (r)
		dp_hpke_key_wipe(k);
	return r;
}

/* ---- key schedule (RFC 9180 section 5.1) ---- */

static int key_schedule(dp_hpke_ctx *ctx, uint16_t kem_id, uint16_t kdf_id, uint16_t aead_id,
			const uint8_t ss[32], const uint8_t *info, size_t infolen,
			const uint8_t *psk, size_t psklen, const uint8_t *psk_id, size_t psk_idlen)
{
	suite sid = {{'H', 'P', 'K', 'E', (uint8_t)(kem_id >> 8), (uint8_t)kem_id,
		      (uint8_t)(kdf_id >> 8), (uint8_t)kdf_id, (uint8_t)(aead_id >> 8),
		      (uint8_t)aead_id},
		     10};
	uint8_t ksc[65], secret[32];
	/* VerifyPSKInputs: psk and psk_id together or not at all */
	if ((psklen == 0) != (psk_idlen == 0))
		return DP_EINVAL;
	ksc[0] = psklen ? DP_HPKE_MODE_PSK : DP_HPKE_MODE_BASE;
	labeled_extract(ksc + 1, &sid, NULL, 0, "psk_id_hash", psk_id, psk_idlen);
	labeled_extract(ksc + 33, &sid, NULL, 0, "info_hash", info, infolen);
	labeled_extract(secret, &sid, ss, 32, "secret", psk, psklen);
	int r = labeled_expand(ctx->key, DP_HPKE_NK, secret, &sid, "key", ksc, sizeof ksc);
	if (!r)
		r = labeled_expand(ctx->base_nonce, DP_HPKE_NN, secret, &sid, "base_nonce", ksc,
				   sizeof ksc);
	if (!r)
		r = labeled_expand(ctx->exporter_secret, DP_HPKE_NH, secret, &sid, "exp", ksc,
				   sizeof ksc);
	memcpy(ctx->suite_id, sid.b, sizeof ctx->suite_id);
	ctx->seq = 0;
	sodium_memzero(secret, sizeof secret);
	if (r)
		dp_hpke_ctx_wipe(ctx);
	return r;
}

static int suite_ok(uint16_t kdf_id, uint16_t aead_id)
{
	return kdf_id == DP_HPKE_KDF_HKDF_SHA256 && aead_id == DP_HPKE_AEAD_CHACHA20POLY1305;
}

static int setup_s(dp_hpke_ctx *ctx, uint8_t *enc, size_t enccap, uint16_t kem_id,
		   uint16_t kdf_id, uint16_t aead_id, const uint8_t *pkR, size_t pklen,
		   const uint8_t *info, size_t infolen, const uint8_t *psk, size_t psklen,
		   const uint8_t *psk_id, size_t psk_idlen, const uint8_t *ikmE, size_t ikmElen)
{
	const kem *m = find_kem(kem_id);
	uint8_t ss[32];
	memset(ctx, 0, sizeof *ctx);
	if (!m || !suite_ok(kdf_id, aead_id))
		return DP_EUNSUPP;
	if (enccap < m->nenc)
		return DP_EINVAL;
	/* DeserializePublicKey: the KEM's exact size */
	if (pklen != m->npk)
		return DP_EPARSE;
	int r = m->encap(enc, ss, pkR, ikmE, ikmElen);
	if (!r)
		r = key_schedule(ctx, kem_id, kdf_id, aead_id, ss, info, infolen, psk, psklen,
				 psk_id, psk_idlen);
	sodium_memzero(ss, sizeof ss);
	return r;
}

int dp_hpke_setup_s(dp_hpke_ctx *ctx, uint8_t *enc, size_t enccap, uint16_t kem_id,
		    uint16_t kdf_id, uint16_t aead_id, const uint8_t *pkR, size_t pklen,
		    const uint8_t *info, size_t infolen, const uint8_t *psk, size_t psklen,
		    const uint8_t *psk_id, size_t psk_idlen)
{
	return setup_s(ctx, enc, enccap, kem_id, kdf_id, aead_id, pkR, pklen, info, infolen, psk,
		       psklen, psk_id, psk_idlen, NULL, 0);
}

int dp_hpke_setup_s_derand(dp_hpke_ctx *ctx, uint8_t *enc, size_t enccap, uint16_t kem_id,
			   uint16_t kdf_id, uint16_t aead_id, const uint8_t *pkR, size_t pklen,
			   const uint8_t *info, size_t infolen, const uint8_t *psk, size_t psklen,
			   const uint8_t *psk_id, size_t psk_idlen, const uint8_t *ikmE,
			   size_t ikmElen)
{
	if (!ikmE)
		return DP_EINVAL;
	return setup_s(ctx, enc, enccap, kem_id, kdf_id, aead_id, pkR, pklen, info, infolen, psk,
		       psklen, psk_id, psk_idlen, ikmE, ikmElen);
}

int dp_hpke_setup_r(dp_hpke_ctx *ctx, const dp_hpke_key *skR, uint16_t kdf_id, uint16_t aead_id,
		    const uint8_t *enc, size_t enclen, const uint8_t *info, size_t infolen,
		    const uint8_t *psk, size_t psklen, const uint8_t *psk_id, size_t psk_idlen)
{
	const kem *m = find_kem(skR->kem_id);
	uint8_t ss[32];
	memset(ctx, 0, sizeof *ctx);
	if (!m || !suite_ok(kdf_id, aead_id))
		return DP_EUNSUPP;
	/* DeserializePublicKey(enc): the KEM's exact size */
	if (enclen != m->nenc)
		return DP_EPARSE;
	int r = m->decap(ss, enc, skR);
	if (!r)
		r = key_schedule(ctx, skR->kem_id, kdf_id, aead_id, ss, info, infolen, psk, psklen,
				 psk_id, psk_idlen);
	sodium_memzero(ss, sizeof ss);
	return r;
}

/* ---- Seal / Open / Export (RFC 9180 sections 5.2, 5.3) ---- */

static void compute_nonce(uint8_t n[DP_HPKE_NN], const dp_hpke_ctx *ctx)
{
	memcpy(n, ctx->base_nonce, DP_HPKE_NN);
	for (int i = 0; i < 8; i++)
		n[DP_HPKE_NN - 1 - i] ^= (uint8_t)(ctx->seq >> (8 * i));
}

int dp_hpke_seal(dp_hpke_ctx *ctx, uint8_t *ct, const uint8_t *aad, size_t aadlen,
		 const uint8_t *pt, size_t ptlen)
{
	uint8_t n[DP_HPKE_NN];
	unsigned long long cl;
	/* MessageLimitReached (our counter is 64 bits) */
	if (ctx->seq == UINT64_MAX)
		return DP_ETOOBIG;
	if (ptlen > crypto_aead_chacha20poly1305_ietf_MESSAGEBYTES_MAX)
		return DP_ETOOBIG;
	compute_nonce(n, ctx);
	crypto_aead_chacha20poly1305_ietf_encrypt(ct, &cl, pt, ptlen, aad, aadlen, NULL, n,
						  ctx->key);
	ctx->seq++;
	return DP_OK;
}

int dp_hpke_open(dp_hpke_ctx *ctx, uint8_t *pt, const uint8_t *aad, size_t aadlen,
		 const uint8_t *ct, size_t ctlen)
{
	uint8_t n[DP_HPKE_NN];
	unsigned long long ml;
	/* shorter than a tag */
	if (ctlen < DP_HPKE_TAG)
		return DP_EPARSE;
	if (ctx->seq == UINT64_MAX)
		return DP_ETOOBIG;
	compute_nonce(n, ctx);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(pt, &ml, NULL, ct, ctlen, aad, aadlen, n,
						      ctx->key))
		return DP_ESIG;
	ctx->seq++;
	return DP_OK;
}

int dp_hpke_export(const dp_hpke_ctx *ctx, uint8_t *out, size_t L, const uint8_t *exp_ctx,
		   size_t exp_ctxlen)
{
	suite sid;
	memcpy(sid.b, ctx->suite_id, sizeof ctx->suite_id);
	sid.n = sizeof ctx->suite_id;
	return labeled_expand(out, L, ctx->exporter_secret, &sid, "sec", exp_ctx, exp_ctxlen);
}

void dp_hpke_ctx_wipe(dp_hpke_ctx *ctx)
{
	sodium_memzero(ctx, sizeof *ctx);
}
