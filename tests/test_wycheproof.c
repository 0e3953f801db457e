/*
 * test_wycheproof.c - Wycheproof vectors against the primitives as libdenpo
 * uses them:
 *
 *   x25519            crypto_scalarmult (libsodium), which returns -1 on an
 *                     all-zero result.  Policy: "valid" and "acceptable"
 *                     cases with a non-zero shared secret (Twist,
 *                     NonCanonicalPublic, SpecialPublicKey,
 *                     EdgeCaseMultiplication, ...) must give exactly the
 *                     expected secret; every case whose shared secret is
 *                     zero (flag ZeroSharedSecret, all "acceptable") must be
 *                     REJECTED, both by crypto_scalarmult and by age: an age
 *                     file whose X25519 share is that public key is a header
 *                     failure for the identity holding that private key.
 *   ed25519           crypto_sign_ed25519_verify_detached, the strict
 *                     verification under dp_verify (which adds the context
 *                     prefix; checked separately below).  Signatures or keys
 *                     of the wrong length cannot be passed (fixed-size
 *                     arrays) and count as rejected.
 *   chacha20_poly1305 crypto_aead_chacha20poly1305_ietf_{en,de}crypt.  Only
 *                     96-bit nonces exist in that API; other iv sizes are
 *                     "invalid" and are counted as rejected by construction.
 *   hkdf_sha256       dp_hkdf_sha256 ("invalid" = output size too large:
 *                     must return an error).
 *   hmac_sha256       dp_hmac_sha256, tag truncated to tagSize bits and
 *                     compared in constant time.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "denpo/age.h"
#include "denpo/crypto.h"
#include "denpo/encoding.h"
#include "tests/harness.h"

/* Hex field of a test as a malloc'd buffer (at least 1 byte allocated). */
static uint8_t *hexfield(json_t *t, const char *key, size_t *n)
{
	const char *s = json_string_value(json_object_get(t, key));
	if (!s)
		return NULL;
	size_t l = strlen(s);
	if (l % 2)
		return NULL;
	uint8_t *p = malloc(l / 2 + 1);
	if (!p || dp_hex_decode(p, l / 2, s, l)) {
		free(p);
		return NULL;
	}
	*n = l / 2;
	return p;
}

static json_t *load(const char *name)
{
	char path[4096];
	const char *vd = t_vectors_dir();
	if (!vd)
		return NULL;
	snprintf(path, sizeof path, "%s/wycheproof/%s_test.json", vd, name);
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);
	if (!j)
		fprintf(stderr, "%s: %s\n", path, err.text);
	return j;
}

static const char *result(json_t *t)
{
	const char *r = json_string_value(json_object_get(t, "result"));
	return r ? r : "";
}

static int has_flag(json_t *t, const char *flag)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(t, "flags"), i, f) {
		if (!strcmp(json_string_value(f), flag))
			return 1;
	}
	return 0;
}

#define FOREACH_TEST(j, g, t)                                                            \
	for (size_t gi_ = 0; gi_ < json_array_size(json_object_get(j, "testGroups")); gi_++) \
		for (json_t *g = json_array_get(json_object_get(j, "testGroups"), gi_),       \
			    *tl_ = json_object_get(g, "tests");                                \
		     tl_; tl_ = NULL)                                                          \
			for (size_t ti_ = 0; ti_ < json_array_size(tl_); ti_++)                \
				for (json_t *t = json_array_get(tl_, ti_); t; t = NULL)

/* An age file with one X25519 stanza whose share is pub. */
static int age_with_share(const uint8_t pub[32], const uint8_t priv[32])
{
	char b64[48], body64[48];
	uint8_t body[32] = {1};
	dp_buf f, out;
	dp_buf_init(&f, 4096);
	dp_buf_init(&out, 4096);
	dp_b64_encode(b64, pub, 32, 0);
	dp_b64_encode(body64, body, 32, 0);
	int r = dp_buf_printf(&f,
			      "age-encryption.org/v1\n-> X25519 %s\n%s\n"
			      "--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
			      "0123456789abcdef0123456789abcdef",
			      b64, body64);
	dp_age_identity id = {.type = DP_AGE_X25519};
	memcpy(id.sk, priv, 32);
	if (!r)
		r = dp_age_decrypt(&id, 1, f.p, f.len, &out);
	dp_age_identity_wipe(&id);
	dp_buf_free(&f);
	dp_buf_free(&out);
	return r;
}

static void test_x25519(void)
{
	json_t *j = load("x25519");
	if (!j) {
		t_skipped("wycheproof x25519", "vectors absent");
		return;
	}
	int n = 0, nvalid = 0, nacc = 0, nzero = 0, bad = 0;
	FOREACH_TEST(j, g, t)
	{
		size_t pl, kl, sl;
		uint8_t *pub = hexfield(t, "public", &pl), *priv = hexfield(t, "private", &kl);
		uint8_t *sh = hexfield(t, "shared", &sl);
		int tc = (int)json_integer_value(json_object_get(t, "tcId"));
		const char *res = result(t);
		n++;
		if (!pub || !priv || !sh || pl != 32 || kl != 32 || sl != 32) {
			CHECKF(0, "x25519 tc %d: malformed test", tc);
		} else {
			static const uint8_t zero[32];
			uint8_t out[32];
			int r = crypto_scalarmult(out, priv, pub);
			if (!memcmp(sh, zero, 32)) {
				/* age: an all-zero shared secret must be refused */
				nzero++;
				int ar = age_with_share(pub, priv);
				int fail_ = r != -1 || ar != DP_EHEADER || !has_flag(t, "ZeroSharedSecret") ||
				    strcmp(res, "acceptable");
				bad += fail_;
				CHECKF(!fail_, "x25519 tc %d: zero secret r=%d age=%s", tc, r,
					       dp_errname(ar));
			} else {
				if (!strcmp(res, "valid"))
					nvalid++;
				else
					nacc++;
				int fail_ = r != 0 || memcmp(out, sh, 32);
				bad += fail_;
				CHECKF(!fail_, "x25519 tc %d (%s): wrong result", tc, res);
			}
		}
		free(pub);
		free(priv);
		free(sh);
	}
	CHECK(n > 0 && bad == 0);
	printf("wycheproof x25519: %d tests: %d valid and %d acceptable (non-zero secret) computed "
	       "exactly, %d zero-shared-secret cases rejected (crypto_scalarmult and age header)\n",
	       n, nvalid, nacc, nzero);
	json_decref(j);
}

static void test_ed25519(void)
{
	json_t *j = load("ed25519");
	if (!j) {
		t_skipped("wycheproof ed25519", "vectors absent");
		return;
	}
	int n = 0, acc = 0, rej = 0, badlen = 0, bad = 0;
	FOREACH_TEST(j, g, t)
	{
		size_t pl, ml, sl;
		json_t *pk = json_object_get(g, "publicKey");
		uint8_t *pub = hexfield(pk, "pk", &pl), *msg = hexfield(t, "msg", &ml);
		uint8_t *sig = hexfield(t, "sig", &sl);
		int tc = (int)json_integer_value(json_object_get(t, "tcId"));
		int want = !strcmp(result(t), "valid");
		int got;
		n++;
		if (!pub || !msg || !sig) {
			/* odd-length hex: a malformed signature, never verifiable */
			got = 0;
			badlen++;
		} else if (pl != DP_ED25519_PK || sl != DP_ED25519_SIG) {
			got = 0; /* cannot be passed to a fixed-size API */
			badlen++;
		} else {
			got = crypto_sign_ed25519_verify_detached(sig, msg, ml, pub) == 0;
		}
		if (strcmp(result(t), "valid") && strcmp(result(t), "invalid")) {
			CHECKF(0, "ed25519 tc %d: unexpected result %s", tc, result(t));
		} else {
			int fail_ = got != want;
			bad += fail_;
			CHECKF(!fail_, "ed25519 tc %d: expected %s", tc, result(t));
		}
		got ? acc++ : rej++;
		free(pub);
		free(msg);
		free(sig);
	}
	CHECK(n > 0 && bad == 0);
	printf("wycheproof ed25519: %d tests: %d accepted, %d rejected (%d of them by length)\n", n,
	       acc, rej, badlen);
	json_decref(j);
}

static void test_dp_verify_prefix(void)
{
	uint8_t pk[32], sk[64], seed[32], sig[64];
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)i;
	CHECK(crypto_sign_ed25519_seed_keypair(pk, sk, seed) == 0);
	const uint8_t msg[] = "cable body";
	CHECK(dp_sign(sig, sk, "denpo-test-v1", msg, sizeof msg - 1) == DP_OK);
	CHECK(dp_verify(sig, pk, "denpo-test-v1", msg, sizeof msg - 1) == DP_OK);
	/* another context, or the raw message, does not verify */
	CHECK(dp_verify(sig, pk, "denpo-test-v2", msg, sizeof msg - 1) == DP_ESIG);
	CHECK(crypto_sign_ed25519_verify_detached(sig, msg, sizeof msg - 1, pk) != 0);
	/* the signed bytes are exactly ctx || 0x00 || msg */
	uint8_t framed[64];
	size_t cl = strlen("denpo-test-v1");
	memcpy(framed, "denpo-test-v1", cl);
	framed[cl] = 0;
	memcpy(framed + cl + 1, msg, sizeof msg - 1);
	CHECK(crypto_sign_ed25519_verify_detached(sig, framed, cl + 1 + sizeof msg - 1, pk) == 0);
	/* a raw signature over the framed bytes verifies through dp_verify */
	uint8_t sig2[64];
	CHECK(crypto_sign_ed25519_detached(sig2, NULL, framed, cl + 1 + sizeof msg - 1, sk) == 0);
	CHECK(dp_verify(sig2, pk, "denpo-test-v1", msg, sizeof msg - 1) == DP_OK);
	sig[10] ^= 1;
	CHECK(dp_verify(sig, pk, "denpo-test-v1", msg, sizeof msg - 1) == DP_ESIG);
	sodium_memzero(sk, sizeof sk);
}

static void test_chacha(void)
{
	json_t *j = load("chacha20_poly1305");
	if (!j) {
		t_skipped("wycheproof chacha20_poly1305", "vectors absent");
		return;
	}
	int n = 0, nvalid = 0, ninvalid = 0, nivsize = 0, bad = 0;
	FOREACH_TEST(j, g, t)
	{
		size_t kl, il, al, ml, cl, tl;
		uint8_t *key = hexfield(t, "key", &kl), *iv = hexfield(t, "iv", &il);
		uint8_t *aad = hexfield(t, "aad", &al), *msg = hexfield(t, "msg", &ml);
		uint8_t *ct = hexfield(t, "ct", &cl), *tag = hexfield(t, "tag", &tl);
		int tc = (int)json_integer_value(json_object_get(t, "tcId"));
		int valid = !strcmp(result(t), "valid");
		n++;
		if (!key || !iv || !aad || !msg || !ct || !tag) {
			CHECKF(0, "chacha tc %d: malformed test", tc);
		} else if (il != crypto_aead_chacha20poly1305_IETF_NPUBBYTES ||
			   kl != crypto_aead_chacha20poly1305_IETF_KEYBYTES ||
			   tl != crypto_aead_chacha20poly1305_IETF_ABYTES) {
			/* not expressible in the IETF API: must be an invalid case */
			nivsize++;
			int fail_ = valid;
			bad += fail_;
			CHECKF(!fail_, "chacha tc %d: valid with iv %zu bytes", tc, il);
		} else {
			uint8_t *buf = malloc(cl + tl + 1), *pt = malloc(cl + 1), *enc = malloc(ml + tl + 1);
			memcpy(buf, ct, cl);
			memcpy(buf + cl, tag, tl);
			unsigned long long got;
			int r = crypto_aead_chacha20poly1305_ietf_decrypt(pt, &got, NULL, buf, cl + tl,
									   aad, al, iv, key);
			int ok = r == 0 && got == ml && memcmp(pt, msg, ml) == 0;
			if (valid) {
				/* and encryption gives exactly ct || tag */
				unsigned long long el;
				crypto_aead_chacha20poly1305_ietf_encrypt(enc, &el, msg, ml, aad, al, NULL,
									  iv, key);
				ok = ok && el == cl + tl && memcmp(enc, buf, cl + tl) == 0;
				nvalid++;
			} else {
				ok = r != 0;
				ninvalid++;
			}
			int fail_ = !ok;
			bad += fail_;
			CHECKF(!fail_, "chacha tc %d: expected %s", tc, result(t));
			free(buf);
			free(pt);
			free(enc);
		}
		free(key);
		free(iv);
		free(aad);
		free(msg);
		free(ct);
		free(tag);
	}
	CHECK(n > 0 && bad == 0);
	printf("wycheproof chacha20_poly1305: %d tests: %d valid (open and seal), %d invalid "
	       "rejected, %d with a non-96-bit iv (invalid; not expressible in the IETF API)\n",
	       n, nvalid, ninvalid, nivsize);
	json_decref(j);
}

static void test_hkdf(void)
{
	json_t *j = load("hkdf_sha256");
	if (!j) {
		t_skipped("wycheproof hkdf_sha256", "vectors absent");
		return;
	}
	int n = 0, nvalid = 0, ninvalid = 0, bad = 0;
	FOREACH_TEST(j, g, t)
	{
		size_t il, sl, nl, ol = 0;
		uint8_t *ikm = hexfield(t, "ikm", &il), *salt = hexfield(t, "salt", &sl);
		uint8_t *info = hexfield(t, "info", &nl), *okm = hexfield(t, "okm", &ol);
		size_t size = (size_t)json_integer_value(json_object_get(t, "size"));
		int tc = (int)json_integer_value(json_object_get(t, "tcId"));
		int valid = !strcmp(result(t), "valid");
		n++;
		if (!ikm || !salt || !info) {
			CHECKF(0, "hkdf tc %d: malformed", tc);
		} else {
			uint8_t *out = malloc(size + 1);
			int r = dp_hkdf_sha256(out, size, ikm, il, salt, sl, info, nl);
			int ok = valid ? r == DP_OK && okm && ol == size && memcmp(out, okm, size) == 0
				       : r != DP_OK;
			valid ? nvalid++ : ninvalid++;
			int fail_ = !ok;
			bad += fail_;
			CHECKF(!fail_, "hkdf tc %d: expected %s, r=%d", tc, result(t), r);
			free(out);
		}
		free(ikm);
		free(salt);
		free(info);
		free(okm);
	}
	CHECK(n > 0 && bad == 0);
	printf("wycheproof hkdf_sha256: %d tests: %d valid, %d invalid (size too large) rejected\n", n,
	       nvalid, ninvalid);
	json_decref(j);
}

static void test_hmac(void)
{
	json_t *j = load("hmac_sha256");
	if (!j) {
		t_skipped("wycheproof hmac_sha256", "vectors absent");
		return;
	}
	int n = 0, nvalid = 0, ninvalid = 0, bad = 0;
	FOREACH_TEST(j, g, t)
	{
		size_t kl, ml, tl;
		size_t tagbytes = (size_t)json_integer_value(json_object_get(g, "tagSize")) / 8;
		uint8_t *key = hexfield(t, "key", &kl), *msg = hexfield(t, "msg", &ml);
		uint8_t *tag = hexfield(t, "tag", &tl);
		int tc = (int)json_integer_value(json_object_get(t, "tcId"));
		int valid = !strcmp(result(t), "valid");
		n++;
		if (!key || !msg || !tag || tagbytes == 0 || tagbytes > 32) {
			CHECKF(0, "hmac tc %d: malformed", tc);
		} else {
			uint8_t mac[32];
			dp_hmac_sha256(mac, key, kl, msg, ml);
			int match = tl == tagbytes && dp_ct_eq(mac, tag, tagbytes);
			valid ? nvalid++ : ninvalid++;
			int fail_ = match != valid;
			bad += fail_;
			CHECKF(!fail_, "hmac tc %d: expected %s", tc, result(t));
		}
		free(key);
		free(msg);
		free(tag);
	}
	CHECK(n > 0 && bad == 0);
	printf("wycheproof hmac_sha256: %d tests: %d valid, %d invalid (modified tags) rejected\n", n,
	       nvalid, ninvalid);
	json_decref(j);
}

/*
 * Regression: the context framing computed ctx || 0x00 || msg || NUL with a
 * bound one short, so n = SIZE_MAX - strlen(ctx) - 1 wrapped the size to 0
 * and copied n bytes into it.  Such a length must fail before msg is read.
 */
static void test_dp_verify_size_wrap(void)
{
	uint8_t pk[32] = {0}, sk[64] = {0}, sig[64] = {0};
	const uint8_t msg[1] = {0};
	size_t cl = strlen("denpo-test-v1");
	for (size_t extra = 0; extra < 2; extra++) { /* the two sizes that wrap */
		size_t n = SIZE_MAX - cl - extra;
		CHECKF(dp_verify(sig, pk, "denpo-test-v1", msg, n) == DP_ENOMEM, "n = SIZE_MAX-%zu-%zu",
		       cl, extra);
		CHECKF(dp_sign(sig, sk, "denpo-test-v1", msg, n) == DP_ENOMEM, "n = SIZE_MAX-%zu-%zu", cl,
		       extra);
	}
}

int main(void)
{
	if (dp_crypto_init())
		return 1;
	if (!t_vectors_dir())
		t_skipped("wycheproof", "no vectors directory");
	test_x25519();
	test_ed25519();
	test_dp_verify_prefix();
	test_dp_verify_size_wrap();
	test_chacha();
	test_hkdf();
	test_hmac();
	return t_done("test_wycheproof");
}
