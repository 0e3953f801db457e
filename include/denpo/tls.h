/*
 * denpo/tls.h - TLS identities of the switch and of devices.
 *
 * Both sides use self-signed X.509 certificates over Ed25519 keys derived
 * from a 32-byte seed kept in their own key store; trust comes from
 * pinning the raw public key learned at enrolment, not from a CA.
 */
#ifndef DENPO_TLS_H
#define DENPO_TLS_H

#include "denpo/buf.h"
#include "denpo/crypto.h"

/*
 * Self-signed certificate (PEM) and PKCS#8 private key (PEM) for the
 * Ed25519 key with this seed.  key_pem holds a secret: dp_buf_free wipes it.
 */
int dp_tls_selfsigned(const uint8_t seed[32], const char *common_name, dp_buf *cert_pem,
		      dp_buf *key_pem) DP_WUR;
/* Raw Ed25519 public key of a seed (same as libsodium's). */
void dp_tls_pk_from_seed(const uint8_t seed[32], uint8_t pk[32]);
/* libcurl pin string "sha256//<base64 SHA-256 of SPKI DER>" for a raw Ed25519 key; out >= 64 bytes. */
void dp_tls_pin(const uint8_t pk[32], char out[64]);

#endif
