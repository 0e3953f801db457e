/*
 * denpo/enrol.h - offline enrolment of a device.
 *
 * 1. The device writes a request (text, signed by its own Ed25519 key):
 *      DENPO-ENROL-REQUEST/1
 *      Officer: <handle>            Post: <post>          Device-Name: <name>
 *      Sign-Key: <b64 32>           TLS-Key: <b64 32>     (Ed25519 raw public keys)
 *      Age-Recipient: age1pq1...    Key-Epoch: <u32>
 *      Key-Not-Before: <unix>       Key-Not-After: <unix>  Key-Signature: <b64 64>
 *      Created: <unix>
 *      (the device's first epoch key, a post-quantum mlkem768x25519
 *      recipient: cables are encrypted to nothing else.  Key-Signature is
 *      the signature of the epoch key record those fields make, see
 *      denpo/epoch.h, so the switch can publish it to senders as is)
 *      Signature: <b64 64>   over "denpo-enrol-request-v1" || 0x00 || all lines before it
 *    (one field per line, in this order; docs/formats.md has an example)
 * 2. An operator approves it on the switch (denpod approve), which writes:
 *      DENPO-ENROL-ANSWER/1
 *      Device-Id: <hex 64>  Officer  Post  Clearance  Captions  Roles
 *      Switch-URL: https://host:port   one line per address of the switch (1..8, no
 *                  two the same; the first is the primary; denpo/switches.h)
 *      Switch-TLS-Key: <b64 32>   Switch-Sign-Key: <b64 32>
 *      Log-Key: <vkey>   the C2SP signed-note verifier key of the switch's
 *                        transparency log: "<origin>+<hex8 key id>+<b64(0x01 || pub32)>"
 *                        (c2sp.org/signed-note, Ed25519; key id =
 *                        SHA-256(origin || "\n" || 0x01 || pub)[:4] big-endian), a key
 *                        of its own (neither Switch-Sign-Key nor Switch-TLS-Key)
 *      Issued: <unix>
 *      Signature: <b64 64>   by the switch over "denpo-enrol-answer-v1" || 0x00 || lines before
 * 3. The device imports the answer, pins the switch's TLS key (one key for
 *    every address: the instances are one switch) and keeps the log key to
 *    verify the checkpoints it witnesses.
 *
 * An answer with one address is byte for byte what this format was before
 * it could carry several; a client older than that refuses an answer with
 * two Switch-URL lines (a repeated line) and imports nothing.
 */
#ifndef DENPO_ENROL_H
#define DENPO_ENROL_H

#include "denpo/age.h"
#include "denpo/cable.h"
#include "denpo/switches.h"
#include "denpo/tlog.h"

#define DP_ENROL_MAX 8192

typedef struct {
	char officer[DP_NAME_MAX + 1];
	char post[DP_NAME_MAX + 1];
	char device_name[DP_NAME_MAX + 1];
	uint8_t sign_pk[DP_ED25519_PK];
	uint8_t tls_pk[DP_ED25519_PK];
	char age_recipient[DP_AGE_RECIPIENT_MAX + 1]; /* "age1pq1..." (mlkem768x25519) */
	uint32_t epoch;
	int64_t key_not_before, key_not_after;      /* the first epoch key's window */
	uint8_t key_sig[DP_ED25519_SIG];            /* set by the encoder; checked by the decoder */
	int64_t created;
} dp_enrol_request;

typedef struct {
	uint8_t device_id[DP_ED25519_PK];
	char officer[DP_NAME_MAX + 1];
	char post[DP_NAME_MAX + 1];
	int clearance;                                   /* enum dp_class */
	char captions[DP_MAX_CAPTIONS][DP_NAME_MAX + 1]; /* captions the officer may read */
	size_t ncaptions;
	char roles[DP_MAX_CAPTIONS][DP_NAME_MAX + 1];
	size_t nroles;
	dp_switch_list switches;                         /* every address, the primary first */
	uint8_t switch_tls_pk[DP_ED25519_PK];
	uint8_t switch_sign_pk[DP_ED25519_PK];
	char log_key[DP_NOTE_VKEY_MAX + 1];              /* Log-Key: the log's verifier key */
	int64_t issued;
} dp_enrol_answer;

/*
 * Validate, serialize, sign (sk's public half must be sign_pk, else
 * DP_EINVAL); appends to out.  key_sig is computed here (the input's is ignored).
 */
int dp_enrol_request_encode(const dp_enrol_request *r, const uint8_t sk[DP_ED25519_SK], dp_buf *out) DP_WUR;
/*
 * Strict parse + signature check against Sign-Key (the request's and the
 * epoch key's).  DP_EPARSE, DP_ETOOBIG,
 * DP_EUNSUPP (age recipient of another type than age1pq1), DP_ESIG.  r is zeroed on failure.
 */
int dp_enrol_request_decode(dp_enrol_request *r, const uint8_t *p, size_t n) DP_WUR;
/*
 * As above; switch_sk's public half must be switch_sign_pk. Captions/Roles
 * lines are omitted when empty; switches must hold 1..DP_SWITCH_URLS_MAX
 * well-formed addresses, no two the same (else DP_EPARSE).  DP_EINVAL also for an empty or malformed
 * log_key, or one whose key is Switch-Sign-Key or Switch-TLS-Key.
 */
int dp_enrol_answer_encode(const dp_enrol_answer *a, const uint8_t switch_sk[DP_ED25519_SK], dp_buf *out) DP_WUR;
/* Strict parse + signature check against Switch-Sign-Key inside it (trust on first use: the
 * caller compares it with the key it expects, if any).  A missing or malformed Log-Key is
 * DP_EPARSE, and so are no Switch-URL line, more than DP_SWITCH_URLS_MAX, a malformed one
 * and two naming the same address. */
int dp_enrol_answer_decode(dp_enrol_answer *a, const uint8_t *p, size_t n) DP_WUR;

#endif
