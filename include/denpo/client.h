/*
 * denpo/client.h - the device's side of the switch's HTTPS API (docs/api.md).
 *
 * Transport (libcurl, OpenSSL backend): HTTP/1.1 over TLS 1.3 only, mutual
 * TLS with the device's self-signed Ed25519 certificate (made in memory from
 * its TLS seed; the private key PEM never touches disk), and the switch's
 * Ed25519 key pinned with CURLOPT_PINNEDPUBLICKEY.
 *
 * CA and host-name verification are switched off on purpose: the switch's
 * certificate is self-signed and there is no CA to trust.  Trust is the pin
 * alone -- the raw key learned from the switch-signed enrolment answer --
 * which libcurl checks on every handshake whatever VERIFYPEER says, and a
 * mismatch aborts the connection before any request is sent.  A CA would
 * only add third parties able to impersonate the switch.
 *
 * Failover: a switch may have several addresses (denpo/switches.h), every
 * one serving the same pinned key.  A request goes to the address that last
 * answered; when that one cannot be reached (refused, timed out, a TLS
 * failure or a connection that died before the answer) or answers 503, the
 * same request goes to the next address in the list's order, round the
 * list once.  A pin mismatch on any address ends the request at once (an
 * address in the list that another key answers must not be a way around
 * the pin).  Only requests the switch treats idempotently exist (a cable's
 * id, an acknowledgement, a key record, a cosignature), so a request sent
 * again after its answer was lost is answered as a repeat (a submission:
 * duplicate, with the MRN first given).
 *
 * Every call returns DP_OK or a DP_E* code.  A switch error
 * {"error": NAME, "message": TEXT} maps NAME back to its code (dp_errname)
 * and keeps TEXT for dp_client_message().  Network/TLS failures are
 * DP_ENET, a body that does not follow docs/api.md DP_EPROTO, a body over
 * its cap DP_ETOOBIG.  One dp_client is not thread-safe.
 */
#ifndef DENPO_CLIENT_H
#define DENPO_CLIENT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "denpo/age.h"
#include "denpo/buf.h"
#include "denpo/cable.h"
#include "denpo/devindex.h"
#include "denpo/epoch.h"
#include "denpo/error.h"
#include "denpo/logentry.h"
#include "denpo/markings.h"
#include "denpo/records.h"
#include "denpo/switches.h"
#include "denpo/tlog.h"

#define DP_CLIENT_JSON_MAX (16u << 20)  /* cap on any JSON answer */
#define DP_CLIENT_MSG_MAX 1024
#define DP_HEXID 33                      /* 32 hex digits + NUL */

typedef struct dp_client dp_client;

typedef struct {
	const char *url;                 /* "https://host:port" (no path); ignored with switches */
	const dp_switch_list *switches;  /* every address of the switch, in order (NULL: url alone) */
	size_t start;                    /* the index in switches tried first (the last that answered) */
	/*
	 * Called when an address other than the last answered a request (the
	 * caller remembers it for its next run); may be NULL.
	 */
	void (*moved)(void *ud, const char *url);
	void *moved_ud;
	/*
	 * When every address failed: keep going round them, a second apart,
	 * for up to this long (0: once round).  Never after a pin mismatch.
	 */
	long retry_ms;
	uint8_t switch_tls_pk[32];       /* pinned */
	const uint8_t *tls_seed;         /* 32 bytes: the device's TLS key seed (not kept) */
	long connect_timeout_ms;         /* 0 = 10 s */
	long timeout_ms;                 /* 0 = 120 s per request (plus any long-poll wait) */
} dp_client_config;

/* Call once per process before the first dp_client_new (wraps curl_global_init). */
int dp_client_global_init(void) DP_WUR;
void dp_client_global_cleanup(void);

/*
 * DP_EINVAL: no TLS seed, url not https://... (without switches), switches
 * empty or holding a malformed address, start out of its range.
 */
int dp_client_new(dp_client **out, const dp_client_config *cfg) DP_WUR;
/* Wipes the in-memory TLS key and frees. */
void dp_client_free(dp_client *c);
/* Message of the last failure ("" if none): the switch's, or curl's, or ours. */
const char *dp_client_message(const dp_client *c);
/*
 * 1 if the last request ended because an address presented another TLS
 * key than the pinned one (its DP_ENET is not "unreachable": possible
 * interception; the device must not carry on as if merely offline).
 */
int dp_client_pin_failed(const dp_client *c);
/* The address the next request goes to first: the last that answered (or the configured start). */
const char *dp_client_url(const dp_client *c);
/* Forget the last failure's message (after reporting it, so later errors do not repeat it). */
void dp_client_clear_message(dp_client *c);
/*
 * A long-lived process's stop flag (denpo/session.c; NULL: none): once
 * *stop is set (by a signal handler), a request under way -- a long poll
 * included -- is abandoned within a second and no other is started, nor
 * is another address or a retry tried; the call returns DP_ENET and
 * dp_client_message says the process is ending.
 */
void dp_client_set_stop(dp_client *c, const volatile sig_atomic_t *stop);
/* HTTP status of the last request (0 if none was answered). */
long dp_client_http_status(const dp_client *c);
/*
 * The switch's clock minus this device's (dp_now), in seconds, as last
 * seen: from a time an answer states (a resolve's "at"), else from the
 * Date header of the last answer.  *known (may be NULL) = 0 if no answer
 * carried one (then 0 is returned).
 */
int64_t dp_client_clock_skew(const dp_client *c, int *known);
/*
 * When the clocks differ by more than DP_EPOCH_SKEW: 1 and a sentence
 * naming it ("the switch's clock is 61 minutes behind this device's: have
 * the switch operator check its time (NTP), ...") in out; else 0 and "".
 * Every failure the switch answers carries it at the end of
 * dp_client_message while the clocks disagree.
 */
int dp_client_clock_note(const dp_client *c, char *out, size_t cap);

/* Map an API error name ("clearance") back to its code; DP_EPROTO if unknown (or "ok"). */
int dp_client_errcode(const char *name);
/*
 * Parse a switch error body; returns its code and copies the message
 * (truncated, control characters replaced) into msg.  DP_EPROTO if the
 * body is not such an object.
 */
int dp_client_parse_error(const uint8_t *body, size_t n, char *msg, size_t msgcap);

/*
 * The parsers of the answers (dp_client_parse_X): each call below is a
 * request and one of them, and each is also callable without a
 * connection (the fuzz targets in fuzz/ and the tests feed them bytes).
 * Unless it says otherwise a parser takes the answer's len bytes, fills
 * its out parameter and returns DP_OK, DP_EPROTO (not such an answer: a
 * missing or wrong field, a number out of range, bad base64 or hex, a
 * list or proof longer than any answer holds) or DP_ENOMEM.  On failure
 * the out parameter is left empty (its free function is safe either way)
 * and why (may be NULL; cap bytes, DP_CLIENT_MSG_MAX is enough) says what
 * was wrong: "the switch's status answer is malformed (its "recipients"
 * field is missing or wrong)".  Nothing is verified here: proofs,
 * signatures and key records are the caller's to check.
 */

/*
 * One header line of an answer as libcurl hands it over (n bytes, no NUL
 * needed): "Date:" sets *date (0 if it is not an HTTP date), and
 * "X-Denpo-MRN:" sets mrn when its value is an MRN (dp_mrn_ok; anything
 * else is ignored).  Other lines change nothing.
 */
void dp_client_parse_header(const char *line, size_t n, char mrn[DP_MRN_MAX + 1], int64_t *date);

/* ---- POST /v1/cables ---- */
typedef struct {
	char cable_id[DP_HEXID];
	char mrn[DP_MRN_MAX + 1];
	int64_t accepted;
	int duplicate;
} dp_submit_result;
int dp_client_submit(dp_client *c, const uint8_t *sub, size_t n, dp_submit_result *res) DP_WUR;
/* The same, planting a decoy (X-Denpo-Decoy: 1; only a DECOY officer's device may; docs/detection.md). */
int dp_client_submit_decoy(dp_client *c, const uint8_t *sub, size_t n,
			   dp_submit_result *res) DP_WUR;
/* Its answer {"cable_id", "mrn", "accepted", "duplicate"}. */
int dp_client_parse_submit(const uint8_t *body, size_t len, dp_submit_result *res, char *why,
			   size_t cap) DP_WUR;

/* ---- proofs in answers (docs/api.md, "Proofs in answers") ---- */

/*
 * A log entry with its inclusion proof, as answers carry it
 * (docs/transparency.md §3).  Nothing here is verified by the client
 * library: the caller decodes the entry and checks the proof against a
 * checkpoint it verified.
 */
typedef struct dp_log_incl_s {
	int present;                     /* 0: the switch did not send it */
	uint64_t index;
	uint8_t *entry;                  /* malloc'd, entry_len <= DP_TLOG_ENTRY_MAX */
	size_t entry_len;
	uint8_t proof[DP_TLOG_PROOF_MAX][DP_TLOG_HASH];
	size_t nproof;
} dp_log_incl;
/*
 * The "log" object of an answer asked for with log_size=M: the checkpoint
 * (a signed note, unverified) every proof of the answer is against, and
 * its consistency proof from M.
 */
typedef struct dp_log_view_s {
	int present;                     /* 0: the answer has none (a switch without the log) */
	char *checkpoint;                /* malloc'd, NUL-terminated */
	size_t checkpoint_len;
	uint8_t consistency[DP_TLOG_PROOF_MAX][DP_TLOG_HASH];
	size_t nconsistency;
} dp_log_view;
void dp_log_view_free(dp_log_view *v);
/*
 * A cable's logged acceptance as an answer carries it: "log_index" (the
 * index of its first cable-accepted entry; null when the switch has none)
 * and "log_entry" (that entry with its inclusion proof, present when the
 * answer's checkpoint covers it).  Unverified.
 */
typedef struct {
	int has_index;                   /* 0: no "log_index" in the answer */
	int64_t index;                   /* -1: null */
	dp_log_incl entry;               /* entry.present: "log_entry" was sent */
} dp_log_accepted;
void dp_log_accepted_free(dp_log_accepted *a);

/* ---- GET /v1/inbox ---- */
typedef struct {
	char cable_id[DP_HEXID];
	char mrn[DP_MRN_MAX + 1];
	int precedence;                  /* enum dp_prec */
	int role;                        /* enum dp_role */
	int classification;              /* enum dp_class */
	char from[DP_NAME_MAX + 1];
	int64_t accepted;
	int64_t seq;                     /* acceptance order at the switch */
	uint64_t size;
	int fetched;
	int acked;                       /* archive only */
} dp_inbox_item;
/*
 * wait: seconds to long-poll (0 = answer at once, max 60): the answer comes
 * as soon as the queue holds a cable with seq > after (0 = any cable), so a
 * client with a backlog passes the highest seq it has seen.  *items is malloc'd.
 */
int dp_client_inbox_after(dp_client *c, int wait, int64_t after, dp_inbox_item **items,
			  size_t *n) DP_WUR;
/* ---- GET /v1/archive: cables addressed to this device with seq < before, newest first ---- */
int dp_client_archive(dp_client *c, int64_t before, int limit, dp_inbox_item **items,
		      size_t *n) DP_WUR;
/* dp_client_inbox_after with after = 0. */
int dp_client_inbox(dp_client *c, int wait, dp_inbox_item **items, size_t *n) DP_WUR;

/* A cable list with the proofs of each cable (log_size=M). */
typedef struct {
	uint8_t *envelope;               /* malloc'd signed envelope (unverified); NULL if none sent */
	size_t envelope_len;
	dp_log_accepted acc;
} dp_cable_proof;
typedef struct dp_device_info dp_device_info;
typedef struct {
	dp_inbox_item *items;            /* malloc'd, n */
	dp_cable_proof *proofs;          /* malloc'd, n: proofs[i] is of items[i] */
	size_t n;
	dp_log_view log;
	dp_device_info *origins;         /* malloc'd: the directory entries of the originating */
	size_t norigins;                 /* devices ("originators"; no key fields) */
} dp_cable_list;
void dp_cable_list_free(dp_cable_list *l);
#define DP_CLIENT_LIST_MAX (64u << 20) /* cap on a list answer with proofs */
/*
 * Cap on the cables of one list answer (inbox, archive, sent), and on its
 * originators: the switch answers at most 1000 (its page limit,
 * DPD_INBOX_MAX).  A longer list is refused before anything is allocated
 * for it.
 */
#define DP_CLIENT_LIST_ITEMS 1000
/*
 * The same lists with log_size=M (the size of the last checkpoint this
 * device verified; 0 if none): each item with its envelope and logged
 * acceptance, and the answer's "log".  A switch without them answers
 * without: proofs[i].envelope NULL, log.present 0 (the caller decides).
 */
int dp_client_inbox_log(dp_client *c, int wait, int64_t after, uint64_t log_size,
			dp_cable_list *out) DP_WUR;
int dp_client_archive_log(dp_client *c, int64_t before, int limit, uint64_t log_size,
			  dp_cable_list *out) DP_WUR;
/*
 * The parser of those answers (len bytes of JSON; archive: the items carry
 * "acked"), without a connection: DP_OK, DP_EPROTO (not such an answer),
 * DP_ENOMEM.  out is always initialised (dp_cable_list_free is safe).
 */
int dp_client_parse_list(const uint8_t *body, size_t len, int archive, dp_cable_list *out) DP_WUR;

/* ---- GET /v1/cables/{id} ---- submission bytes appended to out, MRN header copied. */
int dp_client_fetch(dp_client *c, const char *cable_id, dp_buf *out, char mrn[DP_MRN_MAX + 1]) DP_WUR;

/* ---- POST /v1/cables/{id}/ack ---- */
int dp_client_ack(dp_client *c, const char *cable_id, int64_t *acked) DP_WUR;
/* Its answer {"acked": time}. */
int dp_client_parse_ack(const uint8_t *body, size_t len, int64_t *acked, char *why, size_t cap) DP_WUR;

/* ---- GET /v1/cables/{id}/status ---- */
typedef struct {
	char device[65];
	char officer[DP_NAME_MAX + 1];
	char post[DP_NAME_MAX + 1];
	int role;
	int64_t delivered;               /* 0 = not yet */
	int64_t acked;                   /* 0 = not yet */
	int overdue;
} dp_receipt;
typedef struct {
	char cable_id[DP_HEXID];
	char mrn[DP_MRN_MAX + 1];
	int precedence;
	int classification;              /* -1: not in the answer */
	int64_t accepted;
	dp_receipt *recipients;          /* malloc'd */
	size_t nrecipients;
	dp_log_view log;                 /* dp_client_status_log */
	dp_log_accepted acc;
} dp_cable_status;
int dp_client_status(dp_client *c, const char *cable_id, dp_cable_status *st) DP_WUR;
/*
 * The same with log_size=M: classification (-1 if the switch sent none),
 * log and acc filled from the answer (unverified).
 */
int dp_client_status_log(dp_client *c, const char *cable_id, uint64_t log_size,
			 dp_cable_status *st) DP_WUR;
void dp_cable_status_free(dp_cable_status *st);
/* Their answer (with_log: dp_client_status_log's, with "log" and the logged acceptance). */
int dp_client_parse_status(const uint8_t *body, size_t len, int with_log, dp_cable_status *st,
			   char *why, size_t cap) DP_WUR;

/* ---- GET /v1/cables/{id}/accepted?log_size=M: the cable's acceptance, with proofs ---- */
typedef struct {
	char cable_id[DP_HEXID];
	char mrn[DP_MRN_MAX + 1];
	int64_t accepted;
	int precedence;                  /* the one that applies to this device */
	int role;                        /* enum dp_role; 0: this device is the originator's */
	int classification;
	char from[DP_NAME_MAX + 1];
	dp_log_view log;
	dp_log_accepted acc;
} dp_cable_accepted;
int dp_client_accepted(dp_client *c, const char *cable_id, uint64_t log_size,
		       dp_cable_accepted *out) DP_WUR;
void dp_cable_accepted_free(dp_cable_accepted *a);
int dp_client_parse_accepted(const uint8_t *body, size_t len, dp_cable_accepted *out, char *why,
			     size_t cap) DP_WUR;

/* ---- GET /v1/sent ---- */
typedef struct {
	char cable_id[DP_HEXID];
	int64_t seq;                     /* its acceptance order at the switch (pages: before=); 0: not given (an older switch) */
	char mrn[DP_MRN_MAX + 1];
	int precedence;
	int classification;
	int64_t accepted;
	uint32_t recipients, delivered, acked;
} dp_sent_item;
int dp_client_sent(dp_client *c, dp_sent_item **items, size_t *n) DP_WUR;
/* How many cables one page of the sent list holds when none is asked for (the switch's default). */
#define DP_SENT_PAGE 100
/*
 * One page of it, without proofs: the cables with seq < before, newest
 * first, at most limit (1..1000).  Fewer than limit: the list ends there.
 * DP_EINVAL for a bad before/limit; else as dp_client_sent.
 */
int dp_client_sent_page(dp_client *c, int64_t before, int limit, dp_sent_item **items, size_t *n) DP_WUR;
/* The same with log_size=M: accs[i] is items[i]'s logged acceptance (malloc'd, unverified). */
typedef struct {
	dp_sent_item *items;
	dp_log_accepted *accs;
	size_t n;
	dp_log_view log;
} dp_sent_list;
int dp_client_sent_log(dp_client *c, uint64_t log_size, dp_sent_list *out) DP_WUR;
void dp_sent_list_free(dp_sent_list *l);
/*
 * A sent-list answer (a page's or, with_log, dp_client_sent_log's: then
 * accs and log as well).  How many items a page may hold is the caller's
 * to check (dp_client_sent_page refuses more than it asked for).
 */
int dp_client_parse_sent(const uint8_t *body, size_t len, int with_log, dp_sent_list *out, char *why,
			 size_t cap) DP_WUR;

/* ---- GET /v1/directory/resolve ---- */
typedef struct {
	const char *to, *info, *attn;    /* comma-separated lists; info/attn may be NULL */
	const char *captions;            /* comma-separated, may be NULL */
	int classification;
} dp_resolve_query;
typedef struct {
	uint8_t device[32];
	char officer[DP_NAME_MAX + 1];
	char post[DP_NAME_MAX + 1];
	int role;                        /* enum dp_role */
	int key_type;                    /* enum dp_age_type */
	uint32_t epoch;                  /* the device's current key epoch */
	int64_t not_before, not_after;
	char age_recipient[DP_AGE_RECIPIENT_MAX + 1];
	char epoch_key[DP_EPOCH_KEY_MAX + 1]; /* the signed record (unchecked: see seal_recipients) */
	dp_log_incl enrolment;           /* its device-enrolled entry (optional) */
	dp_log_incl key_entry;           /* the key-published entry of epoch_key (optional) */
} dp_resolved;
/* An addressed device that has no current key (its last one expired). */
typedef struct {
	uint8_t device[32];
	char officer[DP_NAME_MAX + 1];
	char post[DP_NAME_MAX + 1];
	int role;
	int64_t last_not_after;          /* 0 = it never published one */
	int64_t next_not_before;         /* its next key starts then (0 = none published) */
	int64_t at;                      /* the switch's clock the keys were judged at (0 = not said) */
	int not_logged;                  /* 1: it has a key, not yet under a signed checkpoint */
} dp_unreachable;
typedef struct dp_officer_proof dp_officer_proof; /* lib/client_index.c, below */
typedef struct {
	dp_resolved *devs;               /* malloc'd */
	size_t n;
	dp_unreachable *unreachable;     /* malloc'd */
	size_t nunreachable;
	dp_log_view log;                 /* optional: the newest checkpoint, consistency from log_size */
	dp_officer_proof *officers;      /* malloc'd: "officers", the index answer of each listed */
	size_t nofficers;                /* device's officer under log's checkpoint (optional) */
} dp_resolution;
int dp_client_resolve(dp_client *c, const dp_resolve_query *q, dp_resolution *res) DP_WUR;
/*
 * The same with log_size=M, the size of the last checkpoint this device
 * verified (0 if none): a switch with the transparency log then adds the
 * "log" object and each device's log entries (docs/transparency.md §3).
 */
int dp_client_resolve_log(dp_client *c, const dp_resolve_query *q, uint64_t log_size,
			  dp_resolution *res) DP_WUR;
void dp_resolution_free(dp_resolution *res);
/* Their answer, "log" and each device's log entries included when sent. */
int dp_client_parse_resolve(const uint8_t *body, size_t len, dp_resolution *res, char *why,
			    size_t cap) DP_WUR;

/* ---- the officer index (include/denpo/devindex.h; lib/client_index.c) ---- */

/*
 * One officer's answer from the index, unverified: the record text (absent:
 * the switch says the officer has none, a non-membership proof) and the
 * map proof.  The caller checks it against the officer-index line of a
 * checkpoint it verified (dp_devindex_verify) before it believes a byte.
 */
#define DP_OFFICERS_MAX DP_MAX_RECIPIENTS /* "officers" of a resolve answer at most */
struct dp_officer_proof {
	char handle[DP_NAME_MAX + 1];    /* a handle (dp_handle_ok) */
	uint8_t *record;                 /* malloc'd record text, 1..DP_DEVREC_TEXT_MAX bytes; NULL: none */
	size_t record_len;
	dp_devindex_proof proof;         /* proof.other set from "other" (non-membership only) */
};
void dp_officer_proof_free(dp_officer_proof *p);
/* GET /v1/log/officer?handle=X&log_size=M: the log object and X's index answer. */
typedef struct {
	dp_log_view log;
	dp_officer_proof officer;
} dp_officer_answer;
void dp_officer_answer_free(dp_officer_answer *a);
/*
 * The request (log_size: the size of the last checkpoint this device
 * verified, 0 if none) and its parser.  The parser: DP_OK; DP_EPROTO for
 * anything but such an answer (no log object, a handle that is not one or
 * is not the one asked for when asked is not NULL, a record that is not
 * canonical base64 of 1..DP_DEVREC_TEXT_MAX bytes or holds a NUL, a proof
 * that is not an array of at most DP_DEVINDEX_PROOF_MAX 32-byte base64
 * hashes, an "other" next to a record or malformed); DP_ENOMEM.  out is
 * always initialised (dp_officer_answer_free is safe).
 */
int dp_client_officer(dp_client *c, const char *handle, uint64_t log_size,
		      dp_officer_answer *out) DP_WUR;
int dp_client_parse_officer(const uint8_t *body, size_t len, const char *asked,
			    dp_officer_answer *out) DP_WUR;
/*
 * POST /v1/devices/approve {"device": hex64, "signature": b64}: sig is this
 * device's dp_devindex_approval_sign of device.  *log_index (may be NULL)
 * gets the device-approved entry's index if the switch states it (-1 if
 * not).  The switch's refusals map as usual.
 */
int dp_client_device_approve(dp_client *c, const uint8_t device[DP_ED25519_PK],
			     const uint8_t sig[DP_ED25519_SIG], int64_t *log_index) DP_WUR;
/* POST /v1/devices/report {"device": hex64, "reason": reason}: a device of this officer's not approved. */
int dp_client_device_report(dp_client *c, const uint8_t device[DP_ED25519_PK], const char *reason) DP_WUR;
/*
 * POST path with body (JSON text of len bytes): the answer's body appended
 * to out (its cap bounds it).  Same pinning and error mapping as every call.
 */
int dp_client_post_raw(dp_client *c, const char *path, const char *body, size_t len, dp_buf *out) DP_WUR;

/* ---- GET /v1/directory: what a drafter chooses addressees from (docs/api.md) ---- */
#define DP_DIR_POSTS_MAX 4096          /* caps on a listing this device accepts */
#define DP_DIR_COLLECTIVES_MAX 1024
#define DP_DIR_OFFICERS_MAX 65536
#define DP_DIR_FULLNAME_MAX 128
typedef struct {
	char name[DP_NAME_MAX + 1];
	int hq;
} dp_dir_post;
typedef struct {
	char name[DP_NAME_MAX + 1];
	char (*posts)[DP_NAME_MAX + 1];  /* malloc'd; each a listed post */
	size_t nposts;                   /* 1..DP_DIR_POSTS_MAX */
} dp_dir_collective;
typedef struct {
	char handle[DP_NAME_MAX + 1];
	char post[DP_NAME_MAX + 1];      /* a listed post */
	char name[DP_DIR_FULLNAME_MAX + 1]; /* full name (may be "") */
	char roles[DP_MAX_CAPTIONS][DP_NAME_MAX + 1];
	size_t nroles;
} dp_dir_officer;
typedef struct {
	dp_dir_post *posts;              /* malloc'd, as the switch listed them */
	size_t nposts;
	dp_dir_collective *colls;
	size_t ncolls;
	dp_dir_officer *officers;
	size_t nofficers;
	dp_markings markings;            /* the ministry's (empty if the switch has none) */
	dp_records_sched records;        /* the records schedule ("records"; absent: the built-in) */
	char records_post[DP_NAME_MAX + 1]; /* the archive's post ("records_post", a name; "": none) */
} dp_directory;
/*
 * The posts, collectives and active officers of the directory, the
 * ministry's markings and its records schedule.  The answer is checked
 * whole (names as the cable format allows them, no name twice, an
 * officer's post and a collective's members among the posts, every marking
 * as dp_marking_ok, the schedule as dp_records_sched_parse, records_post
 * absent or a post's name): DP_EPROTO
 * otherwise, with nothing kept.  out is always initialised (the built-in
 * schedule when nothing was kept).
 */
int dp_client_directory(dp_client *c, dp_directory *out) DP_WUR;
/* Its parser, without a connection (for the fuzzer): DP_OK, DP_EPROTO, DP_ENOMEM. */
int dp_client_parse_directory(const uint8_t *body, size_t len, dp_directory *out) DP_WUR;
void dp_directory_free(dp_directory *d);
/*
 * The ministry's markings alone, from GET /v1/health (a switch without
 * them: all empty).  A malformed "markings" is DP_EPROTO.
 */
int dp_client_markings(dp_client *c, dp_markings *m) DP_WUR;
/*
 * A "markings" object's text ({"SECRET": "極秘", ...}: what the answers
 * carry, and what a device caches) into *m: only level names as keys,
 * each value a string dp_marking_ok accepts.  DP_EPROTO otherwise, m all
 * empty then.
 */
int dp_client_parse_markings(const uint8_t *body, size_t len, dp_markings *m) DP_WUR;

/* ---- GET /v1/directory/devices/{device} ---- */
struct dp_device_info {
	uint8_t device[32];
	char officer[DP_NAME_MAX + 1];
	char post[DP_NAME_MAX + 1];
	char status[16];
	uint8_t sign_key[32];
	int has_key;                     /* 0: no current epoch key (fields below empty) */
	char age_recipient[DP_AGE_RECIPIENT_MAX + 1];
	uint32_t epoch;
};
int dp_client_device(dp_client *c, const uint8_t device[32], dp_device_info *d) DP_WUR;
/* Its answer (that it is about the device asked for is dp_client_device's check). */
int dp_client_parse_device(const uint8_t *body, size_t len, dp_device_info *d, char *why,
			   size_t cap) DP_WUR;

/* ---- POST /v1/keys: publish one signed epoch key record (denpo/epoch.h) ---- */
int dp_client_publish_key(dp_client *c, const uint8_t *rec, size_t n, int *duplicate) DP_WUR;
/* Its answer {"duplicate": bool}. */
int dp_client_parse_published(const uint8_t *body, size_t len, int *duplicate, char *why,
			      size_t cap) DP_WUR;

/* ---- GET /v1/keys: this device's epochs as the switch sees them ---- */
typedef struct {
	uint32_t epoch;
	int64_t not_before, not_after;
	int current;                     /* the key senders get now */
	int closed;                      /* the switch accepts no more cables for it */
	char (*pending)[DP_HEXID];       /* unacknowledged cables queued at this epoch (malloc'd) */
	size_t npending;
	int more;                        /* pending was cut at 1000 */
} dp_epoch_state;
typedef struct {
	int64_t now, skew;               /* the switch's clock, its allowed skew */
	dp_epoch_state *epochs;          /* malloc'd */
	size_t n;
} dp_key_status;
int dp_client_keys(dp_client *c, dp_key_status *st) DP_WUR;
void dp_key_status_free(dp_key_status *st);
int dp_client_parse_keys(const uint8_t *body, size_t len, dp_key_status *st, char *why, size_t cap) DP_WUR;

/* ---- the transparency log (docs/transparency.md, docs/api.md "The log") ---- */

/*
 * GET path (starting with '/'), any content type: the body is appended to
 * out, whose cap bounds it (DP_ETOOBIG beyond).  Same pinning and error
 * mapping as every call; a 404 without an API error body is DP_ENOTFOUND.
 */
int dp_client_get_raw(dp_client *c, const char *path, dp_buf *out) DP_WUR;

/* GET /v1/log/checkpoint: the signed note (unverified) appended to out (cap it at DP_NOTE_MAX). */
int dp_client_log_checkpoint(dp_client *c, dp_buf *note) DP_WUR;

/* A proof as the switch answers it: {"size": N, "proof": ["b64", ...]}. */
typedef struct {
	uint64_t size;                   /* must be the size asked for (checked) */
	uint8_t h[DP_TLOG_PROOF_MAX][DP_TLOG_HASH];
	size_t n;
} dp_log_proof;
/* GET /v1/log/proof/consistency?from=M&size=N (0 < from <= size, else DP_EINVAL). */
int dp_client_log_consistency(dp_client *c, uint64_t from, uint64_t size, dp_log_proof *p) DP_WUR;
/* GET /v1/log/proof/inclusion?index=I&size=N (index < size, else DP_EINVAL). */
int dp_client_log_inclusion(dp_client *c, uint64_t index, uint64_t size, dp_log_proof *p) DP_WUR;
/* Either answer; its size must be size (DP_EPROTO, why naming both, otherwise). */
int dp_client_parse_log_proof(const uint8_t *body, size_t len, uint64_t size, dp_log_proof *p,
			      char *why, size_t cap) DP_WUR;
/*
 * GET /v1/log/tile/<L>/<N>[.p/<W>] (tlevel >= 0) or the entry bundle
 * /v1/log/tile/entries/<N>[.p/<W>] (tlevel -1); width 1..256 (256 = full).
 * The bytes are appended to out (bundles: cap 256 * (2 + DP_TLOG_ENTRY_MAX)).
 * Entry bundles need the `audit` role: others get DP_EDENIED or DP_EDEVICE.
 */
int dp_client_log_tile(dp_client *c, int tlevel, uint64_t n, unsigned width, dp_buf *out) DP_WUR;
#define DP_CLIENT_BUNDLE_MAX ((size_t)DP_TLOG_TILE_WIDTH * (2 + DP_TLOG_ENTRY_MAX))
/*
 * POST /v1/log/cosign {"size": N, "cosignature": line}: this device's
 * cosignature line (one "— name base64\n" line) of the checkpoint of size
 * N.  The switch's refusals map as usual (409: no checkpoint of that size;
 * 403: the line names another cosigner; 400: it does not verify); a switch
 * without the endpoint answers DP_ENOTFOUND.
 */
int dp_client_log_cosign(dp_client *c, uint64_t size, const char *line, size_t len) DP_WUR;
/* Its answer: {"stored": true} (false, or anything else, is DP_EPROTO). */
int dp_client_parse_cosigned(const uint8_t *body, size_t len, char *why, size_t cap) DP_WUR;

/*
 * GET /v1/log/rollbacks: the LOG-ROLLBACK admin entries under the switch's
 * latest checkpoint (the newest DP_CLIENT_ROLLBACKS_MAX), each as index and
 * entry bytes (proof empty: ask dp_client_log_inclusion).  Unverified: the
 * caller decodes each entry and proves it in a checkpoint it verified.
 * *items malloc'd (dp_log_rollbacks_free); a switch without the endpoint
 * answers DP_ENOTFOUND.
 */
#define DP_CLIENT_ROLLBACKS_MAX DP_LOG_ROLLBACKS_MAX
int dp_client_log_rollbacks(dp_client *c, dp_log_incl **items, size_t *n) DP_WUR;
void dp_log_rollbacks_free(dp_log_incl *items, size_t n);
/* Its parser (exposed for the fuzzer): an answer's bytes into *items; DP_EPROTO if malformed. */
int dp_client_parse_rollbacks(const uint8_t *body, size_t len, dp_log_incl **items, size_t *n) DP_WUR;
/*
 * POST /v1/log/recovered {"rollback": I, "checkpoint": note}: this device
 * reset its witness of the log after the LOG-ROLLBACK at entry I; note is
 * the signed checkpoint it had verified (HOME/log/checkpoint as stored).
 * *log_index: the switch's WITNESS-RESET entry; *duplicate: reported
 * before (that entry).  409 (DP_ESTATE): the entry is no rollback that
 * explains the checkpoint; 400: the checkpoint does not verify.
 */
int dp_client_log_recovered(dp_client *c, uint64_t rollback, const char *note, size_t len,
			    int64_t *log_index, int *duplicate) DP_WUR;
/* Its answer {"log_index": I, "duplicate": bool} (*log_index -1 on failure). */
int dp_client_parse_recovered(const uint8_t *body, size_t len, int64_t *log_index, int *duplicate,
			      char *why, size_t cap) DP_WUR;

/* ---- GET /v1/health ---- */
int dp_client_health(dp_client *c, char *version, size_t vcap) DP_WUR;
/*
 * Its answer: "status" must be "ok"; "version" (optional, at most vcap - 1
 * clean characters, else left "") into version.
 */
int dp_client_parse_health(const uint8_t *body, size_t len, char *version, size_t vcap, char *why,
			   size_t cap) DP_WUR;

#endif
