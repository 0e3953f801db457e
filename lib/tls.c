/*
 * lib/tls.c - self-signed Ed25519 TLS identities and libcurl pins.
 *
 * The certificate is only a carrier for the public key: peers authenticate
 * each other by pinning the raw Ed25519 key (TLS 1.3 CertificateVerify
 * proves possession of its private half), never through a CA.  The
 * certificate is therefore as plain as OpenSSL and libcurl accept: X.509 v3,
 * subject = issuer = CN, serial derived from the public key, signed with the
 * key itself.
 */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include "denpo/encoding.h"
#include "denpo/tls.h"

/* DER of SubjectPublicKeyInfo { AlgorithmIdentifier { id-Ed25519 }, BIT STRING } minus the key. */
static const uint8_t spki_prefix[12] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
					0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

#define CERT_DAYS (365L * 30) /* identities are replaced by re-enrolment, not by expiry */

void dp_tls_pk_from_seed(const uint8_t seed[32], uint8_t pk[32])
{
	uint8_t sk[crypto_sign_ed25519_SECRETKEYBYTES];
	crypto_sign_ed25519_seed_keypair(pk, sk, seed);
	sodium_memzero(sk, sizeof sk);
}

void dp_tls_pin(const uint8_t pk[32], char out[64])
{
	uint8_t spki[sizeof spki_prefix + 32], h[DP_SHA256];
	memcpy(spki, spki_prefix, sizeof spki_prefix);
	memcpy(spki + sizeof spki_prefix, pk, 32);
	dp_sha256(h, spki, sizeof spki);
	memcpy(out, "sha256//", 8);
	dp_b64_encode(out + 8, h, sizeof h, 1); /* 44 chars + NUL: 53 bytes in all */
}

/* Copy a memory BIO's contents into b (b is reset first). */
static int bio_to_buf(BIO *bio, dp_buf *b)
{
	char *p = NULL;
	long n = BIO_get_mem_data(bio, &p);
	if (n <= 0 || !p)
		return DP_ECRYPTO;
	dp_buf_reset(b);
	return dp_buf_append(b, p, (size_t)n);
}

static int make_cert(EVP_PKEY *key, const uint8_t pk[32], const char *cn, X509 **out)
{
	int r = DP_ECRYPTO;
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	ASN1_INTEGER *serial = NULL;
	BIGNUM *bn = NULL;
	X509V3_CTX v3;
	X509_EXTENSION *ext = NULL;
	uint8_t h[DP_SHA256];
	if (!x || !name)
		goto done;
	if (!X509_set_version(x, 2)) /* v3 */
		goto done;
	/* serial: 16 bytes of SHA-256(pk), top bit cleared so it stays positive */
	dp_sha256(h, pk, 32);
	h[0] &= 0x7f;
	h[0] |= 0x01; /* no leading zero byte: DER-minimal, non-zero */
	bn = BN_bin2bn(h, 16, NULL);
	if (!bn || !(serial = BN_to_ASN1_INTEGER(bn, NULL)) || !X509_set_serialNumber(x, serial))
		goto done;
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
					-1, 0))
		goto done;
	if (!X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name))
		goto done;
	/* valid from a day ago (clock skew between posts and HQ) for CERT_DAYS */
	if (!X509_gmtime_adj(X509_getm_notBefore(x), -86400L) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), (int)CERT_DAYS, 0, NULL))
		goto done;
	if (!X509_set_pubkey(x, key))
		goto done;
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:FALSE");
	if (!ext || !X509_add_ext(x, ext, -1))
		goto done;
	/* Ed25519 is a one-shot scheme: no digest */
	if (X509_sign(x, key, NULL) <= 0)
		goto done;
	*out = x;
	x = NULL;
	r = DP_OK;
done:
	X509_EXTENSION_free(ext);
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	X509_NAME_free(name);
	X509_free(x);
	return r;
}

int dp_tls_selfsigned(const uint8_t seed[32], const char *common_name, dp_buf *cert_pem,
		      dp_buf *key_pem)
{
	int r = DP_ECRYPTO;
	uint8_t pk[32];
	X509 *x = NULL;
	BIO *cb = NULL, *kb = NULL;
	if (!seed || !common_name || !*common_name || !cert_pem || !key_pem)
		return DP_EINVAL;
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	if (!key)
		return DP_ECRYPTO;
	dp_tls_pk_from_seed(seed, pk);
	r = make_cert(key, pk, common_name, &x);
	if (r)
		goto done;
	r = DP_ECRYPTO;
	cb = BIO_new(BIO_s_mem());
	/* the PEM private key is a secret: secure-heap BIO, wiped when freed */
	kb = BIO_new(BIO_s_secmem());
	if (!cb || !kb)
		goto done;
	if (!PEM_write_bio_X509(cb, x))
		goto done;
	/* PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY"), unencrypted */
	if (!PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL))
		goto done;
	r = bio_to_buf(cb, cert_pem);
	if (!r)
		r = bio_to_buf(kb, key_pem);
	if (r) {
		dp_buf_reset(cert_pem);
		dp_buf_reset(key_pem);
	}
done:
	BIO_free(cb);
	BIO_free(kb);
	X509_free(x);
	EVP_PKEY_free(key); /* OpenSSL cleanses raw Ed25519 key material on free */
	return r;
}
