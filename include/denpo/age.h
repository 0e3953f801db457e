/*
 * denpo/age.h - age v1 file encryption (C2SP age spec), strict.
 *
 * Recipient types: X25519 ("age1..." / "AGE-SECRET-KEY-1..."), scrypt
 * (passphrase; used only for local keystores) and the post-quantum hybrid
 * mlkem768x25519 ("age1pq1..." / "AGE-SECRET-KEY-PQ-1..."): X-Wing
 * (xwing.h) through HPKE base mode (hpke.h), info
 * "age-encryption.org/mlkem768x25519".  Classic and post-quantum
 * recipients are never mixed in one file (DP_EMIXED).
 *
 * Decryption is all-or-nothing for callers: a non-zero return means the
 * plaintext must not be used.  (On DP_EPAYLOAD, `out` holds the plaintext
 * of the chunks that authenticated before the failure, which the CCTV
 * testkit checks; callers other than tests must discard it.)
 */
#ifndef DENPO_AGE_H
#define DENPO_AGE_H

#include <stddef.h>
#include <stdint.h>
#include "denpo/buf.h"
#include "denpo/error.h"

enum dp_age_type {
	DP_AGE_X25519 = 1,
	DP_AGE_SCRYPT = 2,
	DP_AGE_MLKEM768X25519 = 3, /* X-Wing hybrid, post-quantum */
};

#define DP_AGE_FILE_KEY 16
#define DP_AGE_PQ_PK 1216 /* mlkem768x25519 recipient: X-Wing encapsulation key */
/* Characters of the longest recipient string: "age1pq1" + Bech32 of 1216 bytes + checksum. */
#define DP_AGE_RECIPIENT_MAX 1959
#define DP_AGE_CHUNK 65536
#define DP_AGE_SCRYPT_MAX_LOGN 22 /* highest work factor accepted on decrypt */
#define DP_AGE_SCRYPT_DEFAULT_LOGN 18
#define DP_AGE_MAX_STANZAS 4096 /* stanzas in one header (recipients plus grease) */

typedef struct {
	int type;           /* enum dp_age_type */
	uint8_t pk[32];     /* X25519: public key */
	const char *pass;   /* scrypt: passphrase (not copied) */
	size_t passlen;
	int logn;           /* scrypt: work factor for encryption (0 = default) */
	uint8_t pq_pk[DP_AGE_PQ_PK]; /* mlkem768x25519: ML-KEM-768 ek || X25519 pk */
} dp_age_recipient;

typedef struct {
	int type;           /* enum dp_age_type */
	uint8_t sk[32];     /* X25519: secret scalar; mlkem768x25519: the X-Wing seed;
			       wipe with dp_age_identity_wipe */
	const char *pass;   /* scrypt: passphrase (not copied) */
	size_t passlen;
	int max_logn;       /* scrypt: highest work factor accepted (0 = DP_AGE_SCRYPT_MAX_LOGN) */
} dp_age_identity;

/*
 * "age1..." or "age1pq1..." -> recipient.  DP_EPARSE on bad Bech32/HRP/
 * length or an invalid post-quantum key (ML-KEM modulus check, low-order
 * X25519 part), DP_EUNSUPP for other types (age1tag1..., plugins).
 */
int dp_age_recipient_parse(dp_age_recipient *r, const char *s) DP_WUR;
/* Recipient -> "age1..." (lower case) into b. */
int dp_age_recipient_format(const dp_age_recipient *r, dp_buf *b) DP_WUR;
/* "AGE-SECRET-KEY-1..." or "AGE-SECRET-KEY-PQ-1..." -> identity (constant time in the key). */
int dp_age_identity_parse(dp_age_identity *id, const char *s) DP_WUR;
/* Identity -> "AGE-SECRET-KEY-1..." (upper case) into b. b should be wiped by the caller. */
int dp_age_identity_format(const dp_age_identity *id, dp_buf *b) DP_WUR;
int dp_age_identity_generate(dp_age_identity *id) DP_WUR;      /* X25519 */
int dp_age_identity_generate_pq(dp_age_identity *id) DP_WUR;   /* mlkem768x25519 */
int dp_age_identity_to_recipient(const dp_age_identity *id, dp_age_recipient *r) DP_WUR;
void dp_age_identity_wipe(dp_age_identity *id);

/*
 * Encrypt pt to n recipients, appending the age file to out (binary, or
 * ASCII-armored when armor is set).  An scrypt recipient must be alone
 * (DP_EINVAL otherwise); classic and post-quantum recipients must not be
 * mixed (DP_EMIXED).  A recipient key that cannot be encrypted to (a
 * low-order X25519 key, an invalid ML-KEM key) is DP_EINVAL.
 */
int dp_age_encrypt(const dp_age_recipient *r, size_t n, const uint8_t *pt, size_t ptlen,
		   int armor, dp_buf *out) DP_WUR;
/*
 * Decrypt an age file (binary or armored, detected by its first bytes)
 * with any of n identities, appending plaintext to out.  Input that starts
 * with "age-encryption.org/" (or is empty) is binary, anything else must be
 * armor.  Input cap: DP_MAX_PAYLOAD binary (DP_ETOOBIG).  Errors:
 * DP_EARMOR, DP_EHEADER, DP_ENOMATCH, DP_EHMAC, DP_EPAYLOAD, DP_EUNSUPP.
 */
int dp_age_decrypt(const dp_age_identity *ids, size_t n, const uint8_t *in, size_t inlen,
		   dp_buf *out) DP_WUR;
/*
 * As dp_age_decrypt, and on success copies the file key that opened the
 * file to file_key (the caller wipes it); on any failure file_key is zeroed.
 * A device keeps a received cable
 * readable after erasing the key that opened it by sealing this file key
 * under its local storage key.
 */
int dp_age_decrypt_fk(const dp_age_identity *ids, size_t n, const uint8_t *in, size_t inlen,
		      dp_buf *out, uint8_t file_key[DP_AGE_FILE_KEY]) DP_WUR;
/* Decrypt with a known file key: the header MAC and every chunk are still checked. */
int dp_age_decrypt_with_fk(const uint8_t file_key[DP_AGE_FILE_KEY], const uint8_t *in,
			   size_t inlen, dp_buf *out) DP_WUR;

/* Armor helpers: binary <-> "-----BEGIN AGE ENCRYPTED FILE-----" PEM. */
int dp_age_armor(const uint8_t *in, size_t n, dp_buf *out) DP_WUR;
int dp_age_dearmor(const uint8_t *in, size_t n, dp_buf *out) DP_WUR;

/*
 * Parsed header, for tools that inspect without decrypting (the switch
 * never decrypts; it may check that a payload is a well-formed age file
 * with the expected stanza types).
 */
typedef struct {
	size_t nstanzas;
	size_t nx25519, nscrypt, npq, nunknown; /* stanzas by type */
	size_t header_len;  /* bytes of header including the MAC line's LF */
} dp_age_header_info;
/* Binary or armored input; header_len counts bytes of the binary (dearmored) form. */
int dp_age_inspect(const uint8_t *in, size_t inlen, dp_age_header_info *info) DP_WUR;

#endif
