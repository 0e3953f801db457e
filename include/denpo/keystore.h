/*
 * denpo/keystore.h - a device's private keys, at rest and in memory.
 *
 * At rest: one age file encrypted with the scrypt recipient (the
 * passphrase), holding this strict binary plaintext (big-endian):
 *
 *   "DPKS" u8 version=2
 *   u8 sign_type=1 (Ed25519)   seed[32]   the device's signing key (its id)
 *   u8 tls_type=1  (Ed25519)   seed[32]   the device's TLS client key
 *   u8 store_type=1 (XChaCha20-Poly1305) key[32]   the local storage key
 *   u8 nage (1..DP_KEYSTORE_MAX_AGE)
 *   nage * { u8 key_type=3 (DP_AGE_MLKEM768X25519) u32 epoch
 *            u64 not_before u64 not_after u8 flags u8 len=32 seed[32] }
 *
 * Nothing may follow.  Age keys are the device's epoch keys (denpo/epoch.h),
 * listed with strictly increasing epoch, each a post-quantum
 * mlkem768x25519 identity (its 32-byte X-Wing seed) with its validity
 * window (60 s to 8 days long, both in 2000..2099); flags bit 0 = the
 * switch has the epoch key record (published), other bits zero.  Any other
 * key type is DP_EUNSUPP; version 1 keystores (before key epochs) are
 * DP_EUNSUPP too: re-run `denpo init` and enrol again.
 *
 * The storage key seals the file keys of fetched cables (cache/ID.key), so
 * they stay readable on this device after the epoch key that opened them
 * is erased; erasing an epoch key is therefore what makes the switch's
 * copies of earlier cables unreadable with this device's state.
 *
 * In memory: a dp_keystore lives in sodium_malloc'd memory (guard pages,
 * no swap where the OS allows, wiped by dp_keystore_free).
 *
 * The scrypt work factor is 2^18 by default; the environment variable
 * DENPO_SCRYPT_LOGN (10..22) overrides it -- for tests only: a low factor
 * makes an offline guess of the passphrase cheap.
 */
#ifndef DENPO_KEYSTORE_H
#define DENPO_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>
#include "denpo/age.h"
#include "denpo/crypto.h"
#include "denpo/epoch.h"
#include "denpo/error.h"

#define DP_KEYSTORE_VERSION 2
#define DP_KEYSTORE_MAX_AGE 48   /* epoch keys held at once */
#define DP_KEYSTORE_MAX (4096)   /* cap on the plaintext and the file */
#define DP_KEYSTORE_MIN_LOGN 10
#define DP_KEY_ED25519 1
#define DP_KEY_XCHACHA 1
#define DP_KS_PUBLISHED 1 /* flags: the switch has this epoch key record */

typedef struct {
	uint8_t sign_sk[DP_ED25519_SK];   /* libsodium layout seed || pk */
	uint8_t sign_pk[DP_ED25519_PK];   /* = the device id */
	uint8_t tls_seed[DP_ED25519_SEED];
	uint8_t tls_pk[DP_ED25519_PK];
	uint8_t storage_key[32];          /* seals fetched cables' file keys */
	dp_age_identity age[DP_KEYSTORE_MAX_AGE]; /* secret; .type is the key type */
	uint32_t epoch[DP_KEYSTORE_MAX_AGE];       /* key epoch of age[i], increasing */
	int64_t not_before[DP_KEYSTORE_MAX_AGE], not_after[DP_KEYSTORE_MAX_AGE];
	uint8_t flags[DP_KEYSTORE_MAX_AGE];        /* DP_KS_PUBLISHED */
	size_t nage;                      /* >= 1; age[nage-1] is the newest epoch */
} dp_keystore;

/*
 * Fresh keys: random signing, TLS and storage keys, and one mlkem768x25519
 * identity at epoch 0 valid from dp_now() for DP_EPOCH_PERIOD + DP_EPOCH_OVERLAP.
 */
int dp_keystore_generate(dp_keystore **out) DP_WUR;
/*
 * Append a new epoch key (a fresh identity, epoch = the newest + 1, not
 * published) valid [not_before, not_after).  DP_ETOOBIG when the keystore
 * holds DP_KEYSTORE_MAX_AGE keys or the epoch number would wrap, DP_EINVAL
 * for a window the record rules refuse.
 */
int dp_keystore_add_epoch(dp_keystore *ks, int64_t not_before, int64_t not_after) DP_WUR;
/* Wipe and remove age[i] (the others keep their order).  DP_EINVAL if it is the only one. */
int dp_keystore_erase(dp_keystore *ks, size_t i) DP_WUR;
/* The epoch key record of age[i] (denpo/epoch.h), unsigned. */
int dp_keystore_epoch_key(const dp_keystore *ks, size_t i, dp_epoch_key *k) DP_WUR;
/* Wipes and frees (NULL is fine). */
void dp_keystore_free(dp_keystore *ks);

/* The plaintext format above (out should be wiped: dp_buf_free does). */
int dp_keystore_encode(const dp_keystore *ks, dp_buf *out) DP_WUR;
/* Strict parse: DP_EPARSE on any deviation, DP_EUNSUPP on unknown version/type. */
int dp_keystore_decode(dp_keystore **out, const uint8_t *p, size_t n) DP_WUR;

/* Work factor for new keystores: $DENPO_SCRYPT_LOGN if valid (10..22), else 18. */
int dp_keystore_logn(void);

/*
 * Encrypt to the passphrase and create path with mode 0600, O_EXCL
 * (DP_EEXISTS if it exists).  logn 0 = dp_keystore_logn().
 */
int dp_keystore_save(const dp_keystore *ks, const char *path, const char *pass, size_t passlen,
		     int logn) DP_WUR;
/* As dp_keystore_save, but replaces path atomically (rename over it), keeping mode 0600. */
int dp_keystore_replace(const dp_keystore *ks, const char *path, const char *pass, size_t passlen,
			int logn) DP_WUR;
/*
 * Open path with the passphrase.  DP_EPASS if the passphrase is wrong,
 * DP_ENOTFOUND if there is no file, DP_EPARSE/DP_EHEADER/... if the file is
 * damaged or not a keystore.
 */
int dp_keystore_load(dp_keystore **out, const char *path, const char *pass, size_t passlen) DP_WUR;

/* "age1pq1..." recipient of the newest epoch's identity into b (up to DP_AGE_RECIPIENT_MAX). */
int dp_keystore_recipient(const dp_keystore *ks, dp_buf *b) DP_WUR;

#endif
