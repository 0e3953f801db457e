/*
 * denpo/logentry.h - the entries of the switch's transparency log
 * (docs/formats.md §7).  An entry records who did what to which cable,
 * key or device, when and from where; never a cable's content.
 *
 * Text, printable ASCII, one field a line, fields in a fixed order per
 * event, no trailing spaces; at most DP_TLOG_ENTRY_MAX bytes:
 *
 *   DENPO-LOG/1
 *   Event: cable-accepted            (enum dp_log_event names below)
 *   Time: <unix seconds>
 *   ...the event's fields...
 *
 * One encoding per entry: the decoder re-encodes and requires identical
 * bytes, so the leaf hash of an entry is a function of its meaning.
 *
 * Fields by event (R = required, O = optional; in this order):
 *
 *   cable-accepted   R Cable-Id <hex32>, R Reference <MRN>, R Envelope-Hash <hex64: SHA-256
 *                    of the submission bytes>, R Originator <device hex64>, R Officer <handle>,
 *                    R Post <name>, R Classification <name>, R Precedence <action>/<info>
 *                    (names, e.g. IMMEDIATE/ROUTINE; info >= action numerically, as in
 *                    the cable), O Source <addr>,
 *                    R Part <k>/<n> (1 <= k <= n <= DP_LOG_PARTS_MAX = 64),
 *                    R Recipient <device hex64> <epoch u32> (1..DP_LOG_RCPTS_PER_ENTRY
 *                    lines, sorted strictly by device bytes, no duplicates; a cable with
 *                    more recipients is logged as n entries, parts 1..n, each with the same
 *                    header: parts before the last hold exactly DP_LOG_RCPTS_PER_ENTRY
 *                    recipients, so a cable has one split (dp_logent_set_part))
 *   cable-delivered  R Cable-Id, R Reference, R Device, O Source   (the first fetch: delivery receipt)
 *   cable-fetched    R Cable-Id, R Reference, R Device, O Source   (every later fetch)
 *   cable-acked      R Cable-Id, R Reference, R Device, O Source   (read receipt)
 *   key-published    R Device, R Key-Epoch <u32>, R Record <base64 of the signed
 *                    DENPO-EPOCH-KEY/1 record>, O Source
 *   key-retired      R Device, R Key-Epoch, R Reason <text>   ("closed", "device revoked")
 *   device-enrolled  R Device, R TLS-Key <hex64>, R Officer, R Post, R Name <device name>,
 *                    R Operator <text>
 *   device-suspended, device-reinstated, device-revoked
 *                    R Device, R Operator <text>, O Reason <text>
 *   admin            R Operator <text>, R Act <name>, O Detail <text>
 *   alert            R Rule <name>, O Device, O Detail <text>
 *   containment      R Action <name>, O Device, R Operator <text> ("auto" for the switch), O Detail <text>
 *   device-approved  R Device, R Officer, R Approver <device hex64>, R Signature <base64 of
 *                    the approver's 64-byte Ed25519 signature (denpo/devindex.h)>, O Source
 *                    (an officer approved their new device on one they already had)
 *   records          R Device, R Officer, R Act <act>, O Cable-Id, O Reference, O Detail <text>,
 *                    O Source   (an act of the archive, denpo/records.h: <act> as
 *                    dp_records_act_name, "read", "declassify-approve"; Cable-Id and Reference
 *                    present exactly when the act names a cable (all but "search"))
 *
 * <text> is 1..DP_LOG_TEXT_MAX printable ASCII characters (0x20..0x7e),
 * not starting or ending with a space.  <name> is as dp_name_ok, <handle>
 * as dp_handle_ok, <device name> as an enrolment request's Device-Name.
 * <MRN> as dp_mrn_ok.  Hex is lower case; numbers are decimal without
 * leading zeros; Time is in DP_CREATED_MIN..DP_CREATED_MAX.  Record is
 * standard padded base64 of 1..DP_EPOCH_KEY_MAX bytes (the record is kept
 * as the switch stored it, not decoded).
 * <addr> is an IPv4 or IPv6 address as inet_ntop writes it (RFC 5952 for
 * IPv6): an IPv4 client is written as IPv4, never as ::ffff:a.b.c.d, and
 * the other addresses of ::/96 but ::1 (IPv4-compatible, deprecated, and
 * printed differently by different C libraries) are refused.
 * dp_log_addr_canon gives the one spelling of any address.
 *
 * Device keys (Originator, Device, Recipient, TLS-Key) are recorded as
 * 32 bytes; the log does not judge them as Ed25519 points.
 */
#ifndef DENPO_LOGENTRY_H
#define DENPO_LOGENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "denpo/buf.h"
#include "denpo/cable.h"
#include "denpo/crypto.h"
#include "denpo/epoch.h"
#include "denpo/tlog.h"

#define DP_LOG_TEXT_MAX 512
#define DP_LOG_ADDR_MAX 45         /* INET6_ADDRSTRLEN - 1 */
#define DP_LOG_RCPTS_PER_ENTRY 500 /* keeps a part well under DP_TLOG_ENTRY_MAX */
#define DP_LOG_PARTS_MAX 64        /* parts of one cable-accepted (>= DP_MAX_RECIPIENTS / 500) */

enum dp_log_event {
	DP_LOG_CABLE_ACCEPTED = 1,
	DP_LOG_CABLE_DELIVERED,
	DP_LOG_CABLE_FETCHED,
	DP_LOG_CABLE_ACKED,
	DP_LOG_KEY_PUBLISHED,
	DP_LOG_KEY_RETIRED,
	DP_LOG_DEVICE_ENROLLED,
	DP_LOG_DEVICE_SUSPENDED,
	DP_LOG_DEVICE_REINSTATED,
	DP_LOG_DEVICE_REVOKED,
	DP_LOG_ADMIN,
	DP_LOG_ALERT,
	DP_LOG_CONTAINMENT,
	DP_LOG_DEVICE_APPROVED,
	DP_LOG_RECORDS,
};
const char *dp_log_event_name(int event); /* "cable-accepted"; NULL if unknown */

typedef struct {
	uint8_t device[DP_ED25519_PK];
	uint32_t epoch;
} dp_log_rcpt;

/*
 * One entry.  Only the fields of its event are encoded (the encoder
 * ignores the rest) or filled by the decoder (the rest are zero / empty).
 * Pointers (rcpts, record) refer to caller memory on encode and to the
 * struct's own buffers (rcpt_buf, record_buf) on decode: a copy of a
 * decoded entry still points into the original.  has_device: on encode it
 * says whether the optional Device of alert / containment is present; the
 * decoder sets it to 1 whenever the entry names a device (Originator or
 * Device), for any event.
 */
typedef struct {
	int event;                            /* enum dp_log_event */
	int64_t time;
	/* cables */
	uint8_t cable_id[DP_CABLE_ID];
	char mrn[DP_MRN_MAX + 1];             /* Reference */
	uint8_t envelope_hash[32];
	int classification, prec_action, prec_info;
	char officer[DP_NAME_MAX + 1];        /* cable-accepted, device-enrolled, -approved, records */
	char post[DP_NAME_MAX + 1];           /* cable-accepted, device-enrolled */
	uint32_t part, parts;
	const dp_log_rcpt *rcpts;             /* encode: caller's; decode: rcpt_buf */
	size_t nrcpts;
	dp_log_rcpt rcpt_buf[DP_LOG_RCPTS_PER_ENTRY];
	/* the device acted on or acting: Originator for cable-accepted, else Device */
	uint8_t device[DP_ED25519_PK];
	int has_device;                       /* optional Device of alert / containment */
	char source[DP_LOG_ADDR_MAX + 1];     /* "" = absent */
	/* keys */
	uint32_t epoch;
	const uint8_t *record;                /* encode: caller's; decode: record_buf */
	size_t record_len;
	uint8_t record_buf[DP_EPOCH_KEY_MAX];
	/* devices */
	uint8_t tls_key[DP_ED25519_PK];
	uint8_t approver[DP_ED25519_PK];      /* device-approved */
	uint8_t sig[DP_ED25519_SIG];          /* device-approved */
	char name[DP_NAME_MAX + 1];           /* device name (as in the enrolment request) */
	/* admin, alerts, containment */
	char operator_[DP_LOG_TEXT_MAX + 1];
	char act[DP_NAME_MAX + 1];            /* admin Act, alert Rule, containment Action, records Act */
	char text[DP_LOG_TEXT_MAX + 1];       /* Reason / Detail ("" = absent where optional) */
} dp_logent;

/*
 * The acts of the archive that decrypt a record copy (denpo/records.h:
 * read, export): the accesses to a cable's content that `denpo audit`,
 * the console's fetch chart and detection count as reads of the cable by
 * the device.  dp_logent_reads_record: e is a records entry of such an act.
 */
int dp_log_records_reads(int act);
int dp_logent_reads_record(const dp_logent *e);

/*
 * Appends the canonical bytes to out (nothing on failure).  DP_EINVAL for
 * a field that breaks its rule (an unknown event, a non-canonical Source
 * included); DP_ETOOBIG if out has no room.
 */
int dp_logent_encode(const dp_logent *e, dp_buf *out) DP_WUR;
/*
 * Strict decode; e is fully overwritten (all zero on failure).
 * DP_ETOOBIG: more than DP_TLOG_ENTRY_MAX bytes, more than
 * DP_LOG_RCPTS_PER_ENTRY recipients, a Reference, name, handle, text or
 * Record longer than its field.  DP_EPARSE: anything else that is not the
 * one encoding of a valid entry (missing, misordered, repeated or unknown
 * line, CR, bytes outside printable ASCII, a value breaking its rule).
 */
int dp_logent_decode(dp_logent *e, const uint8_t *p, size_t len) DP_WUR;

/*
 * Parts of the cable-accepted entries of a cable with n recipients:
 * ceil(n / DP_LOG_RCPTS_PER_ENTRY); 0 if n is 0 or needs more than
 * DP_LOG_PARTS_MAX parts.
 */
uint32_t dp_log_parts(size_t n);
/*
 * Sets e's Part to k/dp_log_parts(n) and its recipients to that part of
 * all[0..n) (sorted by device): entries (k-1)*DP_LOG_RCPTS_PER_ENTRY up to
 * the next DP_LOG_RCPTS_PER_ENTRY or the end.  e->rcpts points into all.
 * DP_EINVAL if n has no parts or k is not 1..parts.
 */
int dp_logent_set_part(dp_logent *e, const dp_log_rcpt *all, size_t n, uint32_t k) DP_WUR;
/*
 * The one spelling of an address for Source: any form inet_pton accepts
 * (IPv4 dotted quad or IPv6) into inet_ntop's, an IPv4-mapped IPv6 address
 * as its IPv4 address.  DP_EINVAL if addr is not an address or is in ::/96
 * other than ::1.
 */
int dp_log_addr_canon(char out[DP_LOG_ADDR_MAX + 1], const char *addr) DP_WUR;

/*
 * The Detail of an admin entry with Act LOG-ROLLBACK, which an operator's
 * `denpod log rollback` or `denpod restore` appends when a restored
 * database is older than the tree the log key signed (docs/formats.md §7):
 *
 *   signed-size=<N> signed-root=<64 hex> restored-size=<M>: <text>
 *
 * N and root: the largest tree the signer signed (signer.state); M: the
 * size of the restored database's latest checkpoint, M < N.  Entries M..N-1
 * of the signed tree are lost; the rollback entry itself is at index >= M
 * of the tree that goes on.  Devices read it to accept the new history
 * (`denpo log recover`); the text after ": " is for people.
 */
#define DP_LOG_ROLLBACK_ACT "LOG-ROLLBACK"
#define DP_LOG_ROLLBACKS_MAX 64 /* the newest GET /v1/log/rollbacks serves (a log has a handful) */
typedef struct {
	uint64_t signed_size, restored_size;
	uint8_t signed_root[DP_TLOG_HASH];
} dp_log_rollback;
/* The Detail of r with text after it (cut to fit DP_LOG_TEXT_MAX); DP_EINVAL unless restored < signed. */
int dp_log_rollback_format(char out[DP_LOG_TEXT_MAX + 1], const dp_log_rollback *r, const char *text) DP_WUR;
/* Strict: the three fields exactly as format writes them, then ": " and text.  DP_EPARSE otherwise. */
int dp_log_rollback_parse(dp_log_rollback *r, const char *detail) DP_WUR;
/*
 * The one rule for whether rollback r explains a checkpoint of tree size
 * `size` and root `root` that a device verified (its `denpo log recover`,
 * and the switch checking the device's report): restored < size <= signed,
 * and a checkpoint of the signed size itself must have the signed root.
 * DP_OK; DP_ENOTFOUND if size is outside the range (another rollback may
 * explain it); DP_ESIG for the signed size with another root (the rollback
 * does not describe the tree the device saw: a lie, never accepted).
 */
int dp_log_rollback_covers(const dp_log_rollback *r, uint64_t size, const uint8_t root[DP_TLOG_HASH]) DP_WUR;

#endif
