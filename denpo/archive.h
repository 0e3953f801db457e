/*
 * denpo/archive.h - the records device's archive (`denpo records`,
 * include/denpo/records.h; docs/operations.md, "The archive").
 *
 * A records device is a device of an officer holding the role
 * DP_RECORDS_ROLE at the switch's records post, as the switch's directory
 * says now (archive_records_now; not the enrolment answer, frozen when the
 * device was enrolled).  It differs from
 * any other device in two things only:
 *
 *   its epoch keys live long: when the key upkeep (denpo/keys.c) would
 *   erase a closed epoch's secret, a records device first keeps it in
 *   HOME/archive/keys (archive_keys_keep), so the record copies sealed to
 *   that epoch stay readable for as long as the archive keeps them;
 *
 *   it keeps the record copies it receives in HOME/archive/archive.db
 *   (denpo/archive_db.c) and works on them only after the switch has
 *   logged the act (POST /v1/records).
 *
 * HOME/archive/ (0700):
 *   keys        the retired epoch keys, sealed under the storage key (0600):
 *                 "DPAK" u8 version=1 nonce[24]
 *                 XChaCha20-Poly1305(storage key, n * { u32 epoch u64 not_before
 *                   u64 not_after seed[32] }, AD "denpo-archive-keys-v1" 0x00 || device id)
 *               epochs strictly increasing; at most ARCHIVE_KEYS_MAX.
 *   archive.db  the SQLite store (0600): one row per record copy.
 */
#ifndef DENPO_ARCHIVE_H
#define DENPO_ARCHIVE_H

#include <sqlite3.h>

#include "denpo/cli.h"
#include "denpo/records.h"

#define ARCHIVE_KEYS_MAX 40000 /* a century of daily epochs, and some */

/*
 * Who is a records device: the switch's current view, not the enrolment.
 * archive_records_rule: 1 iff directory d names a records_post and lists
 * officer there holding DP_RECORDS_ROLE (as denpod/policy.c
 * dpp_is_records_officer decides), else 0.
 * archive_records_now: that rule on this device's officer and its freshest
 * directory (asked of the switch again when x->cl is open and not asked in
 * the last minute, else HOME/directory); -1 when no directory is known.
 * archive_is_records: archive_records_now, or, when no directory is known,
 * the enrolment answer's Roles (for the `denpo records` commands only: the
 * switch decides their acts anyway).
 * archive_keys_decide: for the key upkeep, before erasing a closed epoch's
 * key: 1 keep it in HOME/archive/keys first, 0 erase it, -1 erase nothing
 * now (no directory known: warns that forward secrecy is off until it is
 * fetched); a device no longer a records device with keys kept is warned
 * that those stay.
 */
int archive_records_rule(const dp_directory *d, const char *officer);
int archive_records_now(cli_ctx *x);
int archive_is_records(cli_ctx *x);
int archive_keys_decide(cli_ctx *x);
/* HOME/archive/NAME into out (NAME "" for the directory itself). */
void archive_path(const cli_ctx *x, const char *name, char out[PATH_MAX]);
/* Create HOME/archive (0700) if need be.  DP codes. */
int archive_mkdir(const cli_ctx *x) DP_WUR;

/*
 * Keep epoch key ks->age[i] in HOME/archive/keys (added once; the file
 * rewritten atomically, 0600) before the upkeep erases it from the
 * keystore.  DP codes; on failure the caller must not erase it.
 */
int archive_keys_keep(cli_ctx *x, size_t i) DP_WUR;
/*
 * The identities that may open a record copy accepted at time t: the
 * keystore's, then the kept ones whose window (with DP_EPOCH_SKEW) holds t
 * (t 0: all).  *ids is sodium_malloc'd: archive_ids_free.  DP codes
 * (DP_EHMAC: the key file does not open with this device's storage key).
 */
int archive_ids(cli_ctx *x, int64_t t, dp_age_identity **ids, size_t *n) DP_WUR;
void archive_ids_free(dp_age_identity *ids, size_t n);
/* How many epoch keys HOME/archive/keys holds (0 if none); DP codes in *rc. */
size_t archive_keys_count(cli_ctx *x, int *rc);

/* ---- the store (denpo/archive_db.c) ---- */

/* One record copy's row (metadata only: never the subject or text in clear). */
typedef struct {
	char cable_id[DP_HEXID];
	char mrn[DP_MRN_MAX + 1];
	char post[DP_NAME_MAX + 1];                  /* originating post (From) */
	char classification[32];
	char captions[DP_MAX_CAPTIONS * (DP_NAME_MAX + 2) + 1]; /* "NOFORN,EXDIS" */
	char precedence[16];
	int64_t created, accepted;
	char tags[DP_MAX_TAGS * (DP_NAME_MAX + 1) + 2];          /* ",PREL,ADMN," */
	char declassify_on[11];
	char declassify_event[DP_DECL_EVENT_MAX + 1];
	char retention[DP_NAME_MAX + 1];
	int64_t retention_end;                       /* 0: permanent */
	int64_t log_index;
	uint8_t envelope_hash[DP_SHA256];
	int64_t size;                                /* bytes of the record copy */
	dp_records_state st;                         /* as the switch last answered */
	int64_t ingested;
	int has_copy;                                /* 1 until the copy is wiped (out of the WAL too) */
} archive_row;

typedef struct {
	sqlite3 *db;
} archive_db;
/* Open (creating HOME/archive and the schema) HOME/archive/archive.db.  DP codes, why. */
int archive_db_open(cli_ctx *x, archive_db *a, char *why, size_t whycap) DP_WUR;
void archive_db_close(archive_db *a);
/* 1 if the cable is in the archive. */
int archive_db_has(archive_db *a, const char *cable_id);
/*
 * Store a new row with the record copy sub[n] and its cable-accepted entry
 * (entry bytes, inclusion proof, the checkpoint note it is under).
 * DP_EEXISTS if the cable is there.
 */
int archive_db_put(archive_db *a, const archive_row *r, const uint8_t *sub, size_t n,
		   const dp_log_incl *entry, const char *checkpoint, size_t cplen) DP_WUR;
/* The row of MRN (or cable id); DP_ENOTFOUND. */
int archive_db_get(archive_db *a, const char *ref, archive_row *r) DP_WUR;
/* The record copy of a row (DP_ENOTFOUND once destroyed). */
int archive_db_copy(archive_db *a, const char *cable_id, dp_buf *sub) DP_WUR;
/* Its cable-accepted entry as stored at ingest (entry bytes, index; proof and checkpoint). */
int archive_db_entry(archive_db *a, const char *cable_id, dp_buf *entry, int64_t *index) DP_WUR;
/* Replace the state columns with st (the switch's answer). */
int archive_db_set_state(archive_db *a, const char *cable_id, const dp_records_state *st) DP_WUR;
/* Overwrite the record copy with zeros, then drop it (the row stays, marked destroyed). */
int archive_db_wipe_copy(archive_db *a, const char *cable_id) DP_WUR;

/* A metadata filter (NULL / 0: any). */
typedef struct {
	const char *mrn, *post, *tag;
	int64_t since, until;                 /* Created in [since, until] */
	int due;                              /* list --due */
	int64_t now;                          /* for due */
	const dp_records_sched *sched;        /* non-NULL: retention_end recomputed from it */
} archive_filter;
/*
 * r->retention_end from the schedule s as it is now (dp_records_retention_end),
 * not as it was at ingest.  DP_ENOTFOUND (r unchanged) when s lacks the class.
 */
int archive_row_retention(archive_row *r, const dp_records_sched *s);
/*
 * The changes cursor: the log index up to which GET /v1/records/changes
 * was applied (0 before the first sync).  DP codes.
 */
int archive_db_cursor(archive_db *a, int64_t *after) DP_WUR;
int archive_db_set_cursor(archive_db *a, int64_t after) DP_WUR;
/* Call cb for each row matching f, oldest first; a non-zero cb result stops and is returned. */
typedef int (*archive_row_cb)(void *ctx, const archive_row *r);
int archive_db_each(archive_db *a, const archive_filter *f, archive_row_cb cb, void *ctx) DP_WUR;
/* "declassification date reached", "declassification event named", "retention ended", "held"; NULL: not due. */
const char *archive_due_why(const archive_row *r, int64_t now);

/*
 * The bag of a declassified cable into dir (denpo/archive_bag.c): the
 * record copy's signed plaintext and submission, its cable-accepted entry
 * and its records entries (GET /v1/records/state?log_size=M: the
 * declassification's proposal and approval), each with an inclusion proof
 * under the one checkpoint that answer brought and this device verified
 * (bind_checkpoint), handed to dp_export_bag (denpo/bag.h).  Called after
 * the switch logged the export.
 * DP codes with why.
 */
int archive_export(cli_ctx *x, archive_db *a, const archive_row *r, const char *dir, char *why,
		   size_t whycap) DP_WUR;

/* `denpo records SUBCOMMAND` (denpo/records_cmd.c): the records device's commands. */
int cmd_records(cli_ctx *x, int argc, char **argv);

#endif
