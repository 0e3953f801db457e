/*
 * denpo/records.h - the ministry's record copy of every cable: the RECORDS
 * role, the records schedule (retention classes, and the declassification
 * and retention a draft gets by default from its classification and TAGS),
 * and the archive's acts with the one rule that orders them.
 *
 * Who is the archive.  An officer holding the role DP_RECORDS_ROLE at the
 * switch's records post (denpod.conf records_post) is a records officer;
 * each of their devices is a records device and is a recipient of every
 * cable it is cleared for, with role DP_ROLE_RECORD (denpo/cable.h), whatever
 * the cable's addressees and ATTN.  The switch refuses a cable of a
 * classification named by denpod.conf records_required that is not
 * encrypted to every records device the switch would offer for it.  A
 * records device keeps every epoch key it ever had (the archive's keys
 * live long by design, docs/threat-model.md) and keeps the record copies
 * in its archive (denpo records).
 *
 * The schedule.  Configured once for the ministry on the switch
 * (denpod.conf records_* keys, dp_records_sched_set), handed to every
 * device with the directory (GET /v1/directory "records",
 * dp_records_sched_json / dp_records_sched_parse) and applied by the
 * drafting device (dp_records_defaults) to fields the drafter left empty.
 * What the cable carries is what the drafter signed: the schedule only
 * proposes.  Without a configured schedule, dp_records_sched_default:
 *   retention classes PERMANENT (never destroyed);
 *   UNCLASSIFIED: PERMANENT, no declassification;
 *   RESTRICTED .. TOP SECRET: PERMANENT, declassify 30 years after Created
 *   (Japan's Diplomatic Archives' rule).
 *
 * The acts.  Reading, searching and exporting the archive, and the
 * schedule's decisions (declassification proposed by one records officer
 * and approved by another, legal holds and their release, destruction at
 * the end of retention proposed by one records officer and done by
 * another), are each asked of the switch first (POST
 * /v1/records), which applies dp_records_apply to the cable's state it
 * keeps, appends an entry to the transparency log (event "records",
 * denpo/logentry.h) and only then answers; the archive decrypts or acts
 * only after that answer.  So every decryption of a record copy is in the
 * log, and an archive that cannot reach the switch reads nothing.
 */
#ifndef DENPO_RECORDS_H
#define DENPO_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "denpo/buf.h"
#include "denpo/cable.h"
#include "denpo/error.h"
#include "denpo/markings.h"

#define DP_RECORDS_ROLE "RECORDS"     /* the officer role of the archive's devices */
#define DP_RETENTION_DEFAULT "PERMANENT" /* a cable without Retention is kept for ever */
#define DP_RECORDS_RETENTIONS 16      /* retention classes in a schedule */
#define DP_RECORDS_TAG_RULES 64       /* TAGS with a rule of their own */
#define DP_RECORDS_YEARS_MAX 100      /* retention or declassification period, years */
#define DP_RECORDS_WHY 200            /* a refusal's reason */
#define DP_RECORDS_DETAIL_MAX 512     /* an act's detail (= DP_LOG_TEXT_MAX) */
/* The record copies one search may name (and so decrypt): more is refused, narrow the search. */
#define DP_RECORDS_SEARCH_MAX 500

/* A retention class: keep `years` after Created, then destroy; years 0 = permanent. */
typedef struct {
	char name[DP_NAME_MAX + 1]; /* dp_name_ok: "PERMANENT", "TEMPORARY-10Y" */
	int years;                  /* 0..DP_RECORDS_YEARS_MAX */
} dp_retention;

/* What a draft gets by default: a retention class and one declassification instruction. */
typedef struct {
	char retention[DP_NAME_MAX + 1];              /* a class of the schedule */
	int declassify_years;                         /* > 0: Created + years; 0: see event */
	char declassify_event[DP_DECL_EVENT_MAX + 1]; /* "" with years 0: no declassification */
} dp_records_rule;

typedef struct {
	dp_retention retentions[DP_RECORDS_RETENTIONS];
	size_t nretentions;
	dp_records_rule by_class[DP_CLASS_COUNT]; /* indexed by enum dp_class */
	struct {
		char tag[DP_NAME_MAX + 1];
		dp_records_rule rule;
	} tags[DP_RECORDS_TAG_RULES];
	size_t ntags;
} dp_records_sched;

/* The built-in schedule described above. */
void dp_records_sched_default(dp_records_sched *s);
/*
 * One denpod.conf line of the schedule, the key as written:
 *   records_retention_<NAME> = <years> | permanent
 *   records_class_<level>    = <RETENTION> <years>y | <RETENTION> event <text> | <RETENTION> none
 *   records_tag_<TAG>        = the same as a class
 * (<level> as dp_class_name with '_' for the space, any letter case:
 * records_class_top_secret).  A later line for the same name replaces the
 * earlier one.  DP_EPARSE / DP_ETOOBIG / DP_ENOTFOUND (a key of another
 * kind, or a rule naming an undefined retention class) with why.
 */
int dp_records_sched_set(dp_records_sched *s, const char *key, const char *value, char *why,
			 size_t whycap) DP_WUR;
/* Every rule names a defined class; UNCLASSIFIED declassifies nothing.  DP_EPARSE with why. */
int dp_records_sched_validate(const dp_records_sched *s, char *why, size_t whycap) DP_WUR;
/* The schedule as the JSON object the directory answer carries; appends to out. */
int dp_records_sched_json(const dp_records_sched *s, dp_buf *out) DP_WUR;
/*
 * Parses that object (as sent by a switch: untrusted) and validates it.
 * DP_EPARSE / DP_ETOOBIG with why; s is the default schedule on failure.
 */
int dp_records_sched_parse(const uint8_t *p, size_t n, dp_records_sched *s, char *why,
			   size_t whycap) DP_WUR;

/*
 * The defaults for a draft of this classification and TAGS created at
 * `created`: of the class's rule and the rules of the draft's tags, the
 * longest retention wins (permanent over any number of years) and the
 * latest declassification (an event over any date, the first tag's event
 * if several); a declassification date never earlier than the day after
 * Created.  Fills c->retention, c->declassify_on, c->declassify_event
 * where they are empty (a field the drafter set is kept; a drafter's date
 * keeps the event empty and the other way round).  DP_EINVAL for a bad
 * classification.
 */
int dp_records_defaults(const dp_records_sched *s, dp_cable *c) DP_WUR;
/*
 * When the retention of a cable ends: *end = Created + years (the same
 * month and day, UTC; 29 February + N years is 1 March, never short of N
 * full years), 0 for a permanent class.  An empty retention is
 * DP_RETENTION_DEFAULT.  DP_ENOTFOUND for a class the schedule lacks.
 */
int dp_records_retention_end(const dp_records_sched *s, const char *retention, int64_t created,
			     int64_t *end) DP_WUR;

/* The archive's acts (POST /v1/records "act"; log entry Act). */
enum dp_records_act {
	DP_REC_READ = 1,      /* a record copy decrypted for a records officer */
	DP_REC_SEARCH,        /* a search over the archive (no cable) */
	DP_REC_EXPORT,        /* a declassified cable exported (BagIt) */
	DP_REC_PROPOSE,       /* declassification proposed */
	DP_REC_APPROVE,       /* declassification approved by a second records officer */
	DP_REC_HOLD,          /* a legal hold placed */
	DP_REC_RELEASE,       /* a legal hold lifted */
	DP_REC_DESTROY,       /* destruction at the end of retention: proposed, then done by a second officer */
};
#define DP_REC_ACT_MAX DP_REC_DESTROY
/* "read", "search", "export", "declassify-propose", "declassify-approve", "hold", "release", "destroy"; "?" */
const char *dp_records_act_name(int act);
int dp_records_act_parse(const char *s, int *act) DP_WUR;
/* 1 if the act names a cable (all but search). */
int dp_records_act_has_cable(int act);

/* The schedule's state of one record copy, as the switch keeps it. */
typedef struct {
	char proposed_by[DP_NAME_MAX + 1]; /* officer handle, "" if not proposed */
	int64_t proposed_at;
	char approved_by[DP_NAME_MAX + 1]; /* "" if not declassified */
	int64_t declassified_at;           /* 0: classified */
	char held_by[DP_NAME_MAX + 1];     /* "" if no legal hold */
	int64_t held_at;
	char hold_reason[DP_RECORDS_DETAIL_MAX + 1];
	char destroyed_by[DP_NAME_MAX + 1];
	int64_t destroyed_at;              /* 0: kept */
	char destroy_proposed_by[DP_NAME_MAX + 1]; /* "" if destruction not proposed */
	int64_t destroy_proposed_at;
	char destroy_detail[DP_RECORDS_DETAIL_MAX + 1]; /* the proposal's detail */
} dp_records_state;

/*
 * The one rule of the acts: whether officer `who` (a records officer:
 * the caller checked the role) may do `act` at `now` on a cable in state
 * st (NULL for search), and if so st updated.  detail is the act's
 * reason or description (NULL or ""): required for hold and destroy.
 *   read           not destroyed
 *   search         always (st NULL)
 *   export         declassified, not destroyed
 *   propose        not destroyed, not declassified, not proposed, not held
 *   approve        proposed by another officer, not declassified, not held, not destroyed
 *   hold           not held, not destroyed; detail (the reason) required
 *   release        held
 *   destroy        not held, not destroyed; detail (what is destroyed) required;
 *                  not proposed: records the proposal (destroy_proposed_by/_at,
 *                  destroy_detail), nothing destroyed; proposed by another
 *                  officer: destroyed (destroyed_by/_at); proposed by who:
 *                  DP_EDENIED (two people destroy, as two declassify).  A
 *                  release does not clear a proposal; a hold blocks its completion.
 * 0, or DP_ESTATE (the state forbids it), DP_EDENIED (approve or destroy by
 * the proposer), DP_EINVAL (detail missing, bad act) with why saying what to do.
 * Reads nothing but its arguments; st is unchanged on refusal.
 */
int dp_records_apply(dp_records_state *st, int act, const char *who, int64_t now,
		     const char *detail, char *why, size_t whycap) DP_WUR;

/*
 * ---- the client's side (lib/client_records.c) ----
 *
 * POST /v1/records {"act": name, "cable": hex32 (absent for search),
 * "detail": text (optional), "cables": [hex32...] (a search's alone)} from a records device, answered
 * {"act": name, "index": <the log entry's index>, "reference": MRN or
 * absent, "state": {state}}; GET /v1/records/state?cable=hex32 answers
 * {"reference": MRN, "state": {state}} (index absent).  {state} is
 * {"proposed_by": h, "proposed_at": t, "approved_by": h, "declassified_at": t,
 * "held_by": h, "held_at": t, "hold_reason": text, "destroyed_by": h,
 * "destroyed_at": t, "destroy_proposed_by": h, "destroy_proposed_at": t,
 * "destroy_detail": text} ("" and 0 when not so).  Refusals map as every call
 * (DP_ESTATE for a state that forbids the act, DP_EDENIED for a device
 * that is not a records device or the proposer approving, DP_ENOTFOUND
 * for a cable this device did not receive) with dp_client_message saying why.
 *
 * GET /v1/records/state?cable=hex32&log_size=M answers as well "log" (the
 * latest checkpoint and its consistency proof from M, as every answer with
 * proofs: denpo/client.h dp_log_view) and "entries": the cable's "records"
 * log entries in log order, each {"index", "entry", "proof"} (its inclusion
 * proof under that checkpoint) or {"index"} alone when the checkpoint does
 * not cover it yet.  At most DP_RECORDS_ENTRIES_MAX: a cable with more has
 * every decision of the schedule (all acts but read and export) and its
 * newest reads and exports.  Nothing is verified by the library: the
 * caller opens the checkpoint and checks each entry's proof against it.
 */
#define DP_RECORDS_ENTRIES_MAX 256
typedef struct dp_client dp_client;
typedef struct {
	int act;                          /* 0 for a state query */
	int64_t index;                    /* the log entry's index; -1 for a state query */
	char reference[DP_MRN_MAX + 1];   /* "" for search */
	dp_records_state state;
	/* dp_client_records_state_log only (free with dp_records_answer_free) */
	struct dp_log_view_s *log;        /* malloc'd: the answer's "log"; NULL without */
	struct dp_log_incl_s *entries;    /* malloc'd, nentries: "entries" in log order */
	size_t nentries;
} dp_records_answer;
/* Frees what an answer with entries holds; safe on any answer a call or parser filled. */
void dp_records_answer_free(dp_records_answer *a);
int dp_client_records_act(dp_client *c, int act, const char *cable_id, const char *detail,
			  dp_records_answer *out) DP_WUR;
/*
 * A search: POST /v1/records {"act": "search", "detail": query, "cables":
 * [ids]}, query "query sha256:<16 to 64 lowercase hex>", ids[0..n) the
 * candidates (32 hex digits each, distinct, n <= DP_RECORDS_SEARCH_MAX; n
 * may be 0).  The switch checks each is a cable this device received
 * (DP_ENOTFOUND naming the first that is not) and logs the `search` entry
 * (Detail "query sha256:<hex> over n") and one `read` entry per candidate
 * (Detail "search <16 hex>") at once; out->index is the search entry's.
 * Decrypt the candidates only after it answers, and only those.
 */
int dp_client_records_search(dp_client *c, const char *query, const char *const *ids, size_t n,
			     dp_records_answer *out) DP_WUR;
int dp_client_records_state(dp_client *c, const char *cable_id, dp_records_answer *out) DP_WUR;
/* The same with log_size=M: log and entries filled (unverified); dp_records_answer_free it. */
int dp_client_records_state_log(dp_client *c, const char *cable_id, uint64_t log_size,
				dp_records_answer *out) DP_WUR;
/*
 * The parser of the three answers: how is DP_RECORDS_ANS_STATE (a state
 * query's), DP_RECORDS_ANS_ACT (an act's, with its index) or
 * DP_RECORDS_ANS_LOG (a state query's with "log" and "entries").  Entries
 * are in strictly increasing log order, at most DP_RECORDS_ENTRIES_MAX.
 */
enum { DP_RECORDS_ANS_STATE = 0, DP_RECORDS_ANS_ACT = 1, DP_RECORDS_ANS_LOG = 2 };
int dp_client_parse_records(const uint8_t *body, size_t len, int how, dp_records_answer *out,
			    char *why, size_t whycap) DP_WUR;

/*
 * GET /v1/records/changes?after=N: the cables this records device received
 * whose state an act changed (declassify-propose, declassify-approve,
 * hold, release, destroy) at a log index > N, each once with its state
 * now, in increasing order of its latest such index, at most
 * DP_RECORDS_CHANGES_MAX: {"changes": [{"cable": hex32, "index": i,
 * "reference": MRN, "state": {state}}...], "next": the last index given
 * (N if none), "more": true when the page is full (ask again after next)}.
 * A records device keeps next and asks after it at its next sync: every
 * state change reaches every archive (another's destruction too).
 */
#define DP_RECORDS_CHANGES_MAX 1000
typedef struct {
	char cable_id[2 * DP_CABLE_ID + 1];
	int64_t index;
	char reference[DP_MRN_MAX + 1];
	dp_records_state state;
} dp_records_change;
typedef struct {
	dp_records_change *changes; /* malloc'd, n: free with dp_records_changes_free */
	size_t n;
	int64_t next;
	int more;
} dp_records_changes;
void dp_records_changes_free(dp_records_changes *c);
int dp_client_records_changes(dp_client *c, int64_t after, dp_records_changes *out) DP_WUR;
/*
 * Its parser (untrusted): indices > after and strictly increasing, next
 * the last of them (after if none), more only with a full page, each
 * state one the acts make.  DP_EPROTO with why; out empty on failure.
 */
int dp_client_parse_records_changes(const uint8_t *body, size_t len, int64_t after,
				    dp_records_changes *out, char *why, size_t whycap) DP_WUR;

#endif
