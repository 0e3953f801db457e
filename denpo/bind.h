/*
 * denpo/bind.h - what an officer is shown of a cable is what its sender
 * signed or what the switch's transparency log recorded (docs/protocol.md,
 * "What a device shows").
 *
 * The switch's database says of each cable its MRN, acceptance time,
 * precedence, classification and From; root on the switch changes any of
 * them with one UPDATE.  So nothing a command shows or uses comes from that
 * database alone:
 *
 *   precedence (the one for this device's role), role, classification, From
 *       come from the envelope, signed by its From-Device, that device being
 *       the directory's device of the From post (the check `read` makes);
 *   MRN and acceptance time
 *       come from the cable's cable-accepted entry, included in a checkpoint
 *       of the log that this device verified and that is consistent with the
 *       one it witnesses (a fork stops everything, as everywhere).
 *
 * What the switch says of each field is compared with those sources; any
 * difference is a verification failure that names the field (exit 3), and
 * the cable is neither shown nor used (no acknowledgement, nothing cached).
 * The answers carry the proofs (docs/api.md, "Proofs in answers"): a list
 * of 1,000 cables is one request.  A cable accepted after the answer's
 * checkpoint is not provable yet: the command asks again, with the device's
 * newer checkpoint, for up to BIND_WAIT_MS; a cable the switch still does
 * not prove then is reported as not logged (exit 3), never shown unchecked.
 *
 * A binding once verified is kept with the cached cable (HOME/cache/ID.mrn:
 * "MRN\nINDEX ACCEPTED SHA256-HEX\n" and the MAC line of denpo/kept.h,
 * context "dpMrnBnd"), so reading a cable again needs no switch.  Only a
 * kept binding whose MAC verifies is used; any other (one from a denpo
 * before the MAC, one altered or planted in HOME) is bound again in the
 * switch's log, and offline the cable is not shown.  All functions report their failures (stderr, --json) and return
 * an exit code, except where a DP code is said.
 */
#ifndef DENPO_BIND_H
#define DENPO_BIND_H

#include "denpo/cli.h"
#include "denpo/envelope.h"

/*
 * Asking again for a cable not yet under a checkpoint.  A checkpoint normally
 * follows in well under a second; 30 s covers several switches' worst
 * ordinary case, a dead signer's lease running out (5 s) while the database
 * fails over to its standby, which under load took more than 10 s in
 * scripts/failover-drill (docs/several-switches.md §4).
 */
#define BIND_WAIT_MS 30000
/*
 * The pace of asking again for an entry not yet under a checkpoint (a
 * cable's acceptance here; a recipient's new key in denpo/send.c): after
 * 50 ms, 100 ms, ... at most 1 s apart, until BIND_WAIT_MS after
 * bind_pace_start (called at the first answer).
 */
typedef struct {
	int64_t deadline, delay;
} bind_pace;
void bind_pace_start(bind_pace *p);
/* 1 when the time is up: what is still pending then is reported. */
int bind_pace_over(const bind_pace *p);
void bind_pace_wait(bind_pace *p);

/* A cable's acceptance as its verified cable-accepted entry records it. */
typedef struct {
	char cable_id[DP_HEXID];
	char mrn[DP_MRN_MAX + 1];
	int64_t accepted;
	uint64_t index;                     /* of its (first) cable-accepted entry */
	int classification, prec_action, prec_info;
	uint8_t originator[DP_ED25519_PK];
	char officer[DP_NAME_MAX + 1];
	char post[DP_NAME_MAX + 1];
	uint8_t envelope_hash[DP_SHA256];   /* SHA-256 of the submission bytes */
} bind_logged;

/* What the switch said of one cable (NULL / -1 / 0: it did not say). */
typedef struct {
	const char *mrn;
	const char *mrn_header;             /* the fetch's X-Denpo-MRN */
	const char *asked;                  /* the MRN the officer asked for, mapped to this cable */
	int64_t accepted;                   /* -1 */
	int precedence;                     /* -1; the one that applies to this device */
	int role;                           /* 0 */
	int classification;                 /* -1 */
	const char *from;
} bind_claim;
/* A claim that says nothing yet. */
void bind_claim_init(bind_claim *c);

/* ---- the checks (no network) ---- */

enum { BIND_OK = 0, BIND_PENDING, BIND_BAD };
/*
 * The logged acceptance of cable id as an answer carried it: its entry
 * present, included in the tree of ck, a cable-accepted entry of id.
 * BIND_PENDING: its index is beyond ck (ask again with a newer checkpoint);
 * BIND_BAD with why; BIND_OK with out filled.
 */
int bind_entry(const dp_log_accepted *a, const cli_ckpt *ck, const char *id, bind_logged *out, char *why,
	       size_t cap) DP_WUR;
/*
 * Every field the switch said (cl) against the log entry (lg) and, if given,
 * the signed envelope e (then e must name my_device as a recipient, whose
 * role gives the precedence) and the submission bytes sub[n] (their SHA-256
 * must be the entry's).  The envelope and the entry must also agree.
 * DP_OK, or DP_ESIG with why naming the first field that differs:
 * "MRN: the switch says 26 TOKYO 000007, its log entry says 26 TOKYO 000004".
 */
int bind_compare(const bind_claim *cl, const bind_logged *lg, const dp_envelope *e,
		 const uint8_t *my_device, const uint8_t *sub, size_t n, char *why, size_t cap) DP_WUR;

/* The originating devices found right in this process (each is asked once). */
typedef struct {
	uint8_t (*dev)[DP_ED25519_PK];
	char (*post)[DP_NAME_MAX + 1];
	size_t n, cap;
} bind_origins;
void bind_origins_free(bind_origins *o);
/*
 * The check `read` makes: dev is the directory's device of post.  The
 * directory entry is taken from list's "originators" when list is set (a
 * device missing there is a failure, never asked for: asking for a decoy
 * originator's keys is an alarm, docs/detection.md), else asked for; a
 * device found right is remembered in seen (may be NULL).  DP_OK; DP_ESIG
 * with why; any other code: could not ask (why says so too).
 */
int bind_origin(cli_ctx *x, const uint8_t dev[DP_ED25519_PK], const char *post, const dp_cable_list *list,
		bind_origins *seen, char *why, size_t cap) DP_WUR;

/* ---- with the switch ---- */

/*
 * The "log" of an answer asked for with log_size=m: accepted as the device's
 * witness would (cli_log_accept: consistent with the stored checkpoint,
 * a fork is exit 3) and opened into out (free with cli_ckpt_free).  No log
 * in the answer is a verification failure: never a silent downgrade.
 * what: "the inbox", ...; hint: what happened to the command.
 */
int bind_checkpoint(cli_ctx *x, const dp_log_view *v, uint64_t m, const char *what, const char *hint,
		    cli_ckpt *out);

/*
 * Report that cable id failed its checks: "denpo: cable ID failed
 * verification: WHY" and the hint (stderr), {"error": "signature", "what",
 * "message": WHY} with --json.  Returns EXIT_VERIFY.
 */
int bind_fail(cli_ctx *x, const char *id, const char *why, const char *hint);

/* A cable that failed its checks in a list: not listed, reported. */
typedef struct {
	char cable_id[DP_HEXID];
	char why[512];
} bind_failure;
typedef struct {
	int archive;                        /* GET /v1/archive, else /v1/inbox */
	int wait;                           /* inbox: long-poll seconds */
	int64_t after;                      /* inbox: seq */
	int64_t before;                     /* archive */
	int limit;                          /* archive */
} bind_query;
typedef struct {
	dp_inbox_item it;                   /* its fields from the envelope and the log (seq: the
					       switch's numbering of its queue, for --after/--before) */
	uint64_t index;                     /* its cable-accepted entry */
} bind_item;
typedef struct {
	bind_item *items;                   /* the cables that passed: inbox by precedence, then
					       log order; archive newest first (log order) */
	size_t n;
	bind_failure *failed;
	size_t nfailed;
	int64_t top_seq;                    /* the highest seq the switch listed (watch) */
} bind_list;
/*
 * The inbox or archive with every cable checked (one request, again while a
 * cable is not under a checkpoint, up to BIND_WAIT_MS).  EXIT_OK even with
 * failures (in out: the command lists what passed and exits 3); any other
 * exit code is a failure to list at all (reported).
 */
int bind_list_get(cli_ctx *x, const bind_query *q, bind_list *out);
void bind_list_free(bind_list *l);
/*
 * The inbox without the switch (denpo/held.c): the cables this device holds
 * (cache/ID.cable) and has not acknowledged, each checked as `denpo read`
 * checks it offline (cli_open_cable, quietly, never asking the switch),
 * by precedence then log order; it.seq is the log index.  A cable whose
 * check fails goes to out->failed (exit 3 for the command); one that
 * cannot be checked here (no kept originator check or binding) goes to
 * *unchecked (malloc'd) with why.  Prints nothing; EXIT_OK or a failure
 * to list at all (reported).
 */
int bind_held(cli_ctx *x, bind_list *out, bind_failure **unchecked, size_t *nunchecked);
/* Report each failure of a list on stderr (they are not listed: exit 3). */
void bind_report(const bind_failure *f, size_t n);
/* The same as a JSON array (json_t *) [{"cable_id", "error": "signature", "message"}]. */
void *bind_failed_json(const bind_failure *f, size_t n);

/*
 * One cable's acceptance (GET /v1/cables/{id}/accepted), checked against
 * cl (what else the switch said), the envelope e and submission sub[n] if
 * given (read, reply), then kept (cache/ID.mrn).  A binding kept before is
 * used without the switch (cl->asked and sub still checked against it).
 */
int bind_cable(cli_ctx *x, const char *id, const bind_claim *cl, const dp_envelope *e,
	       const uint8_t *sub, size_t n, bind_logged *out);
/*
 * `denpo status`: the receipts of a cable this officer sent, with its MRN,
 * time, precedence and classification checked against the log entry (and
 * against sent/ID.cable when this device sent it).  st is the switch's
 * answer (free with dp_cable_status_free).
 */
int bind_status(cli_ctx *x, const char *id, const char *asked, dp_cable_status *st, bind_logged *out);
/*
 * `denpo sent`: the officer's sent cables, each checked against its log
 * entry; the ones that fail go to failed (as bind_list).
 */
int bind_sent(cli_ctx *x, dp_sent_item **items, size_t *n, bind_failure **failed, size_t *nfailed);

/*
 * The kept binding of a cable (cache/ID.mrn), keys loaded: DP_OK (its MAC
 * verified); DP_ENOTFOUND: none (or no keys); DP_EPARSE: not MAC'd (an
 * older denpo's) or malformed; DP_ESIG: its MAC does not verify (altered or
 * planted).  Only DP_OK is to be used.
 */
int bind_cache_get(cli_ctx *x, const char *id, bind_logged *out) DP_WUR;
/*
 * After a witness reset (`denpo log recover`): the kept bindings to log
 * entries at index >= from are bindings to the lost history (a restored
 * switch gives such a cable, resent, a new MRN and a new entry), so they
 * are removed and the next read binds the cable again in the log that goes
 * on.  Returns how many were removed.
 */
size_t bind_cache_drop_from(cli_ctx *x, uint64_t from);

#endif
