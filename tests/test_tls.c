/*
 * tests/test_tls.c - self-signed Ed25519 identities and libcurl pins.
 *
 * The certificate must parse with OpenSSL, carry exactly the key of the
 * seed, verify under its own key, and the pin must equal the one computed
 * from OpenSSL's own SPKI encoding of the certificate.  A TLS 1.3 mutual
 * handshake over a memory BIO pair checks that OpenSSL accepts the pair as
 * a server and as a client identity.
 */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include "denpo/encoding.h"
#include "denpo/tls.h"
#include "tests/harness.h"

/* RFC 8032 7.1 TEST 1 */
static const char *rfc_seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char *rfc_pk = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

static X509 *parse_cert(const dp_buf *pem)
{
	BIO *b = BIO_new_mem_buf(pem->p, (int)pem->len);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	return x;
}

static EVP_PKEY *parse_key(const dp_buf *pem)
{
	BIO *b = BIO_new_mem_buf(pem->p, (int)pem->len);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	return k;
}

/* The pin as computed from OpenSSL's own DER encoding of the certificate's key. */
static void openssl_pin(X509 *x, char out[64])
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(X509_get0_pubkey(x), &der);
	unsigned char h[32];
	unsigned int hl = 0;
	out[0] = 0;
	if (n <= 0)
		return;
	EVP_Digest(der, (size_t)n, h, &hl, EVP_sha256(), NULL);
	OPENSSL_free(der);
	memcpy(out, "sha256//", 8);
	EVP_EncodeBlock((unsigned char *)out + 8, h, (int)hl);
}

static void test_identity(const uint8_t seed[32], const char *cn)
{
	dp_buf cert, key;
	dp_buf_init(&cert, 16384);
	dp_buf_init(&key, 16384);
	CHECK(dp_tls_selfsigned(seed, cn, &cert, &key) == DP_OK);
	CHECK(cert.len > 0 && strstr((const char *)cert.p, "-----BEGIN CERTIFICATE-----") != NULL);
	CHECK(key.len > 0 && strstr((const char *)key.p, "-----BEGIN PRIVATE KEY-----") != NULL);

	uint8_t pk[32], sk[64], spk[32];
	dp_tls_pk_from_seed(seed, pk);
	crypto_sign_ed25519_seed_keypair(spk, sk, seed);
	CHECK(memcmp(pk, spk, 32) == 0);

	X509 *x = parse_cert(&cert);
	CHECK(x != NULL);
	if (x) {
		EVP_PKEY *pub = X509_get0_pubkey(x);
		uint8_t raw[32];
		size_t rl = sizeof raw;
		CHECK(pub && EVP_PKEY_get_base_id(pub) == EVP_PKEY_ED25519);
		CHECK(pub && EVP_PKEY_get_raw_public_key(pub, raw, &rl) == 1 && rl == 32 &&
		      memcmp(raw, pk, 32) == 0);
		CHECK(pub && X509_verify(x, pub) == 1);
		CHECK(X509_check_issued(x, x) == X509_V_OK);
		char cnbuf[128] = "";
		X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cnbuf,
					  sizeof cnbuf);
		CHECK(strcmp(cnbuf, cn) == 0);
		CHECK(X509_cmp_current_time(X509_get0_notBefore(x)) < 0);
		CHECK(X509_cmp_current_time(X509_get0_notAfter(x)) > 0);

		char mine[64], theirs[64];
		dp_tls_pin(pk, mine);
		openssl_pin(x, theirs);
		CHECKF(strcmp(mine, theirs) == 0, "%s != %s", mine, theirs);
		CHECK(strlen(mine) == 8 + 44);
		X509_free(x);
	}
	EVP_PKEY *k = parse_key(&key);
	CHECK(k != NULL);
	if (k) {
		uint8_t raw[32];
		size_t rl = sizeof raw;
		CHECK(EVP_PKEY_get_raw_private_key(k, raw, &rl) == 1 && rl == 32 &&
		      memcmp(raw, seed, 32) == 0);
		sodium_memzero(raw, sizeof raw);
		EVP_PKEY_free(k);
	}
	sodium_memzero(sk, sizeof sk);
	dp_buf_free(&cert);
	dp_buf_free(&key);
}

static SSL_CTX *ctx_for(int server, const uint8_t seed[32])
{
	dp_buf cert, key;
	dp_buf_init(&cert, 16384);
	dp_buf_init(&key, 16384);
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!ctx || dp_tls_selfsigned(seed, server ? "switch" : "device", &cert, &key))
		goto fail;
	X509 *x = parse_cert(&cert);
	EVP_PKEY *k = parse_key(&key);
	int ok = x && k && SSL_CTX_use_certificate(ctx, x) == 1 && SSL_CTX_use_PrivateKey(ctx, k) == 1;
	X509_free(x);
	EVP_PKEY_free(k);
	if (!ok)
		goto fail;
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	dp_buf_free(&cert);
	dp_buf_free(&key);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	dp_buf_free(&cert);
	dp_buf_free(&key);
	return NULL;
}

static int accept_any(int ok, X509_STORE_CTX *c) { return 1; }

/* Mutual TLS 1.3 over a BIO pair; each side sees the other's raw key. */
static void test_handshake(void)
{
	uint8_t s_seed[32], c_seed[32], s_pk[32], c_pk[32];
	dp_random(s_seed, 32);
	dp_random(c_seed, 32);
	dp_tls_pk_from_seed(s_seed, s_pk);
	dp_tls_pk_from_seed(c_seed, c_pk);
	SSL_CTX *sctx = ctx_for(1, s_seed), *cctx = ctx_for(0, c_seed);
	CHECK(sctx && cctx);
	if (!sctx || !cctx) {
		SSL_CTX_free(sctx);
		SSL_CTX_free(cctx);
		return;
	}
	SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
	SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, accept_any);
	SSL *s = SSL_new(sctx), *c = SSL_new(cctx);
	BIO *sb, *cb;
	BIO_new_bio_pair(&sb, 0, &cb, 0);
	SSL_set_bio(s, sb, sb);
	SSL_set_bio(c, cb, cb);
	SSL_set_accept_state(s);
	SSL_set_connect_state(c);
	int sdone = 0, cdone = 0;
	for (int i = 0; i < 50 && !(sdone && cdone); i++) {
		if (!cdone)
			cdone = SSL_do_handshake(c) == 1;
		if (!sdone)
			sdone = SSL_do_handshake(s) == 1;
	}
	CHECK(sdone && cdone);
	CHECK(SSL_version(s) == TLS1_3_VERSION);
	X509 *peer = SSL_get1_peer_certificate(s);
	uint8_t raw[32];
	size_t rl = sizeof raw;
	CHECK(peer && EVP_PKEY_get_raw_public_key(X509_get0_pubkey(peer), raw, &rl) == 1 &&
	      rl == 32 && memcmp(raw, c_pk, 32) == 0);
	X509_free(peer);
	peer = SSL_get1_peer_certificate(c);
	rl = sizeof raw;
	CHECK(peer && EVP_PKEY_get_raw_public_key(X509_get0_pubkey(peer), raw, &rl) == 1 &&
	      rl == 32 && memcmp(raw, s_pk, 32) == 0);
	X509_free(peer);
	SSL_free(s);
	SSL_free(c);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	sodium_memzero(s_seed, 32);
	sodium_memzero(c_seed, 32);
}

int main(void)
{
	if (dp_crypto_init())
		return 1;
	uint8_t seed[32], pk[32], want[32];
	CHECK(dp_hex_decode(seed, 32, rfc_seed, 64) == DP_OK);
	CHECK(dp_hex_decode(want, 32, rfc_pk, 64) == DP_OK);
	dp_tls_pk_from_seed(seed, pk);
	CHECK(memcmp(pk, want, 32) == 0);
	test_identity(seed, "denpo switch");
	for (int i = 0; i < 4; i++) {
		dp_random(seed, 32);
		test_identity(seed, "device sato.k");
	}
	/* two different seeds give two different pins */
	char p1[64], p2[64];
	dp_tls_pin(want, p1);
	dp_random(seed, 32);
	dp_tls_pk_from_seed(seed, pk);
	dp_tls_pin(pk, p2);
	CHECK(strcmp(p1, p2) != 0);

	dp_buf cert, key;
	dp_buf_init(&cert, 16384);
	dp_buf_init(&key, 16384);
	CHECK(dp_tls_selfsigned(seed, "", &cert, &key) == DP_EINVAL);
	CHECK(dp_tls_selfsigned(seed, NULL, &cert, &key) == DP_EINVAL);
	/* a cap too small for the PEM fails cleanly and leaves nothing behind */
	dp_buf_init(&cert, 100);
	CHECK(dp_tls_selfsigned(seed, "x", &cert, &key) == DP_ETOOBIG);
	CHECK(cert.len == 0 && key.len == 0);
	dp_buf_free(&cert);
	dp_buf_free(&key);

	test_handshake();
	return t_done("test_tls");
}
