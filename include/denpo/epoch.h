/*
 * denpo/epoch.h - key epochs: a device's short-lived cable keys.
 *
 * Cables are never encrypted to a device's long-term key.  Each device
 * publishes a sequence of post-quantum mlkem768x25519 recipients, one per
 * key epoch, each valid for a window [Not-Before, Not-After) and signed by
 * the device's long-term Ed25519 key (its id).  A sender encrypts to the
 * recipient's current epoch key after checking that signature; the switch
 * accepts a cable for an epoch only inside its window (plus a clock skew);
 * the device erases an epoch's secret once the window has closed at the
 * switch and every cable queued for it has been fetched and re-wrapped
 * under the device's local storage key (docs/protocol.md, "Key epochs").
 *
 * The epoch key record (text, printable ASCII, one field a line, in this order):
 *
 *   DENPO-EPOCH-KEY/1
 *   Device-Id: <hex 64>           the device's Ed25519 public key
 *   Key-Epoch: <u32>              strictly increasing per device
 *   Not-Before: <unix>
 *   Not-After: <unix>             Not-Before + DP_EPOCH_MIN_LIFE <= Not-After <= Not-Before + DP_EPOCH_MAX_LIFE
 *   Age-Recipient: age1pq1...     a valid mlkem768x25519 recipient
 *   Signature: <b64 64>           Ed25519 by Device-Id over
 *                                 "denpo-epoch-key-v1" || 0x00 || every line before it
 *
 * One encoding per record (decoders re-serialize and compare).
 */
#ifndef DENPO_EPOCH_H
#define DENPO_EPOCH_H

#include <stdint.h>

#include "denpo/age.h"
#include "denpo/buf.h"
#include "denpo/crypto.h"

#define DP_EPOCH_KEY_MAX 4096

/* Defaults of the rotation schedule (seconds); docs/protocol.md explains each. */
#define DP_EPOCH_PERIOD 86400              /* a new epoch starts every day */
#define DP_EPOCH_OVERLAP 3600              /* ... and stays valid an hour into the next */
#define DP_EPOCH_LOOKAHEAD (7 * 86400)     /* keys are published a week ahead */
#define DP_EPOCH_SKEW 300                  /* clock skew the switch allows at both ends */
/* Limits both ends enforce on a record. */
#define DP_EPOCH_MIN_LIFE 60
#define DP_EPOCH_MAX_LIFE (8 * 86400)
#define DP_EPOCH_MAX_AHEAD (31 * 86400)    /* Not-Before at most this far in the future */
#define DP_EPOCH_MAX_LOOKAHEAD (14 * 86400) /* with a rotation on top, under the switch's 32 */

typedef struct {
	uint8_t device[DP_ED25519_PK];
	uint32_t epoch;
	int64_t not_before, not_after;
	char age_recipient[DP_AGE_RECIPIENT_MAX + 1];
} dp_epoch_key;

/*
 * Field rules: a valid point as Device-Id, a valid post-quantum recipient in
 * lower case, Not-Before + DP_EPOCH_MIN_LIFE <= Not-After <= Not-Before + DP_EPOCH_MAX_LIFE, both
 * in DP_CREATED_MIN..DP_CREATED_MAX (2000..2099).
 * DP_EPARSE, DP_EUNSUPP (a recipient of another type), DP_ETOOBIG.
 */
int dp_epoch_key_check(const dp_epoch_key *k) DP_WUR;
/* The signature over k by sk (whose public half must be k->device, else DP_EINVAL). */
int dp_epoch_key_sign(const dp_epoch_key *k, const uint8_t sk[DP_ED25519_SK],
		      uint8_t sig[DP_ED25519_SIG]) DP_WUR;
/* DP_OK if sig is k->device's signature over k, else DP_ESIG (DP_EPARSE for a bad k). */
int dp_epoch_key_verify(const dp_epoch_key *k, const uint8_t sig[DP_ED25519_SIG]) DP_WUR;
/* Check, sign, append the whole record (with its Signature line) to out. */
int dp_epoch_key_encode(const dp_epoch_key *k, const uint8_t sk[DP_ED25519_SK], dp_buf *out) DP_WUR;
/* The record from k and its signature (made elsewhere, e.g. an enrolment request's Key-Signature); DP_ESIG if it does not verify. */
int dp_epoch_key_encode_sig(const dp_epoch_key *k, const uint8_t sig[DP_ED25519_SIG], dp_buf *out) DP_WUR;
/*
 * Strict parse and signature check against the Device-Id inside (the
 * caller compares it with the device it expects).  DP_EPARSE, DP_ETOOBIG,
 * DP_EUNSUPP, DP_ESIG.  k is zeroed on failure.
 */
int dp_epoch_key_decode(dp_epoch_key *k, const uint8_t *p, size_t n) DP_WUR;

/*
 * The time every epoch rule is judged by: time(NULL) plus
 * $DENPO_TEST_CLOCK_OFFSET seconds (a signed integer, |offset| <= 10 years,
 * else ignored).  Tests use the offset to let days pass; operators never
 * set it.
 */
int64_t dp_now(void);

/*
 * For messages that name a clock (a switch or device whose clock is off
 * fails in ways that must say so, not "no current key"):
 * dp_time_str: t in UTC, "2026-12-06 10:10:05Z";
 * dp_span_str: |seconds| in the unit a reader takes in at once, "45
 * seconds", "61 minutes", "5 hours", "3 days".
 */
#define DP_TIME_STR 32
void dp_time_str(int64_t t, char out[DP_TIME_STR]);
void dp_span_str(int64_t seconds, char out[DP_TIME_STR]);

#endif
