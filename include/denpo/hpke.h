/*
 * denpo/hpke.h - HPKE (RFC 9180), base and psk modes, for one KDF and one
 * AEAD: HKDF-SHA256 (0x0001) and ChaCha20-Poly1305 (0x0003), over two KEMs:
 *
 *   0x0020  DHKEM(X25519, HKDF-SHA256)            RFC 9180 section 4.1
 *   0x647a  MLKEM768-X25519 (X-Wing, xwing.h)     draft-ietf-hpke-pq
 *
 * 0x647a with HKDF-SHA256 and ChaCha20-Poly1305 is the suite of age's
 * mlkem768x25519 recipient.  The auth modes are not implemented.
 *
 * An all-zero X25519 shared secret (a low-order point in pkR or enc) is
 * refused by both KEMs (DP_EPARSE): RFC 9180 requires it for DHKEM, and
 * age requires it for X-Wing.  Contexts hold secrets: dp_hpke_ctx_wipe().
 */
#ifndef DENPO_HPKE_H
#define DENPO_HPKE_H

#include <stddef.h>
#include <stdint.h>

#include "denpo/error.h"
#include "denpo/xwing.h"

#define DP_HPKE_KEM_X25519 0x0020
#define DP_HPKE_KEM_XWING 0x647a
#define DP_HPKE_KDF_HKDF_SHA256 0x0001
#define DP_HPKE_AEAD_CHACHA20POLY1305 0x0003

#define DP_HPKE_MODE_BASE 0x00
#define DP_HPKE_MODE_PSK 0x01

#define DP_HPKE_MAX_ENC DP_XWING_CT /* largest enc of the two KEMs */
#define DP_HPKE_MAX_PK DP_XWING_PK
#define DP_HPKE_SK 32               /* both KEMs: a 32-byte private key */
#define DP_HPKE_NK 32
#define DP_HPKE_NN 12
#define DP_HPKE_NH 32
#define DP_HPKE_TAG 16

/* A recipient's key pair, deserialized and (for X-Wing) expanded.  Secret. */
typedef struct {
	uint16_t kem_id;
	uint8_t sk[DP_HPKE_SK];
	uint8_t pk[DP_HPKE_MAX_PK];
	size_t pklen;
	dp_xwing_key xw; /* X-Wing only */
} dp_hpke_key;

/* An encryption context (either direction). */
typedef struct {
	uint8_t suite_id[10];
	uint8_t key[DP_HPKE_NK];
	uint8_t base_nonce[DP_HPKE_NN];
	uint8_t exporter_secret[DP_HPKE_NH];
	uint64_t seq;
} dp_hpke_ctx;

/* Sizes of a KEM's enc and pk; 0 for an unknown KEM. */
size_t dp_hpke_enc_len(uint16_t kem_id);
size_t dp_hpke_pk_len(uint16_t kem_id);

/* DeserializePrivateKey: DP_EPARSE if sklen != 32, DP_EUNSUPP for another KEM. */
int dp_hpke_key_from_sk(dp_hpke_key *k, uint16_t kem_id, const uint8_t *sk, size_t sklen) DP_WUR;
/*
 * DeriveKeyPair(ikm): RFC 9180 section 7.1.3 for X25519; for X-Wing the
 * draft-ietf-hpke-pq rule sk = SHAKE256(ikm || "HPKE-v1" || "KEM" || kem_id
 * || I2OSP(13, 2) || "DeriveKeyPair" || I2OSP(32, 2), 32).  For tests.
 */
int dp_hpke_derive_key_pair(dp_hpke_key *k, uint16_t kem_id, const uint8_t *ikm,
			    size_t ikmlen) DP_WUR;
void dp_hpke_key_wipe(dp_hpke_key *k);

/*
 * SetupBaseS / SetupPSKS (psk and psk_id both NULL/0 for base mode, both
 * non-empty for psk mode, DP_EINVAL otherwise): encapsulate to pkR, write
 * enc (dp_hpke_enc_len bytes; enccap must hold it) and set up ctx.
 * DP_EPARSE if pkR is not a valid key of the KEM (length, ML-KEM modulus,
 * low-order X25519 point); DP_EUNSUPP for an unknown suite.
 */
int dp_hpke_setup_s(dp_hpke_ctx *ctx, uint8_t *enc, size_t enccap, uint16_t kem_id,
		    uint16_t kdf_id, uint16_t aead_id, const uint8_t *pkR, size_t pklen,
		    const uint8_t *info, size_t infolen, const uint8_t *psk, size_t psklen,
		    const uint8_t *psk_id, size_t psk_idlen) DP_WUR;
/*
 * The same with the encapsulation randomness given, for tests: for X25519
 * ikmE goes through DeriveKeyPair; for X-Wing ikmE is the 64-byte eseed.
 */
int dp_hpke_setup_s_derand(dp_hpke_ctx *ctx, uint8_t *enc, size_t enccap, uint16_t kem_id,
			   uint16_t kdf_id, uint16_t aead_id, const uint8_t *pkR, size_t pklen,
			   const uint8_t *info, size_t infolen, const uint8_t *psk, size_t psklen,
			   const uint8_t *psk_id, size_t psk_idlen, const uint8_t *ikmE,
			   size_t ikmElen) DP_WUR;
/*
 * SetupBaseR / SetupPSKR with the recipient's key: DP_EPARSE if enc has
 * the wrong length or gives an all-zero X25519 secret.
 */
int dp_hpke_setup_r(dp_hpke_ctx *ctx, const dp_hpke_key *skR, uint16_t kdf_id, uint16_t aead_id,
		    const uint8_t *enc, size_t enclen, const uint8_t *info, size_t infolen,
		    const uint8_t *psk, size_t psklen, const uint8_t *psk_id,
		    size_t psk_idlen) DP_WUR;

/*
 * Seal: ct (ptlen + 16 bytes) = AEAD(key, base_nonce ^ seq, aad, pt); seq++.
 * Open: pt (ctlen - 16 bytes); DP_ESIG if it does not authenticate (seq is
 * then unchanged), DP_EPARSE if ctlen < 16.  DP_ETOOBIG once seq would
 * overflow 64 bits.  pt and ct may not overlap.
 */
int dp_hpke_seal(dp_hpke_ctx *ctx, uint8_t *ct, const uint8_t *aad, size_t aadlen,
		 const uint8_t *pt, size_t ptlen) DP_WUR;
int dp_hpke_open(dp_hpke_ctx *ctx, uint8_t *pt, const uint8_t *aad, size_t aadlen,
		 const uint8_t *ct, size_t ctlen) DP_WUR;
/* Export: LabeledExpand(exporter_secret, "sec", exporter_context, L); L <= 255*32. */
int dp_hpke_export(const dp_hpke_ctx *ctx, uint8_t *out, size_t L, const uint8_t *exp_ctx,
		   size_t exp_ctxlen) DP_WUR;
void dp_hpke_ctx_wipe(dp_hpke_ctx *ctx);

#endif
