/*
 * denpod/store.h - the switch's durable state behind a backend-neutral API.
 *
 * One opaque handle, written once against the SQL connection of
 * denpod/db.h (store.c and the store_*.c files by table group, see
 * denpod/store_impl.h): a database is a driver, not a second store.  The
 * rules a cable follows (MRN numbering, due times, decoy rows) are
 * denpod/cable_rules.h's; what a role means is policy's (denpod/policy.h).  Every
 * function returns DP_OK or a DP_E* code (DP_ESTORE for database
 * failures, DP_ENOTFOUND / DP_EEXISTS / DP_ESTATE for the obvious cases).
 *
 * Writes made by the server go through explicit transactions
 * (dps_begin ... dps_commit) so that a whole batch of cables commits with
 * one fsync; the admin commands run in another process against the same
 * database (WAL, busy timeout), each change in one transaction with its
 * transparency-log entry.
 *
 * The transparency log (denpod/tlog.h) lives in the same database, so an
 * access and its log entry commit together: log_entries (the entries, by
 * 0-based leaf index, appended inside the writer's transaction), log_tiles
 * (the C2SP tlog-tiles hash tiles, right edge growing) and log_checkpoints
 * (every signed checkpoint).
 */
#ifndef DENPOD_STORE_H
#define DENPOD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "denpo/age.h"
#include "denpo/cable.h"
#include "denpo/detect.h"
#include "denpo/epoch.h"
#include "denpo/records.h"

typedef struct dps_store dps_store;

enum dps_status { DPS_ACTIVE = 0, DPS_SUSPENDED = 1, DPS_REVOKED = 2 };
const char *dps_status_name(int status);

#define DPS_TZ_MAX 64
#define DPS_FULLNAME_MAX 128
#define DPS_AGE_MAX DP_AGE_RECIPIENT_MAX /* an age1pq1 recipient */
#define DPS_MRN_MAX DP_MRN_MAX
/*
 * Records of a device that are not closed (now < Not-After + DP_EPOCH_SKEW)
 * at any one time: POST /v1/keys refuses more, so a device's windows
 * always fit in dps_device.
 */
#define DPS_EPOCHS_MAX 32
#define DPS_PENDING_MAX 1000 /* cable ids per epoch in GET /v1/keys */

typedef struct {
	char name[DP_NAME_MAX + 1];
	int hq;
	char tz[DPS_TZ_MAX + 1];
} dps_post;

typedef struct {
	char handle[DP_NAME_MAX + 1];
	char post[DP_NAME_MAX + 1];
	char fullname[DPS_FULLNAME_MAX + 1];
	int clearance; /* enum dp_class */
	char captions[DP_MAX_CAPTIONS][DP_NAME_MAX + 1];
	size_t ncaptions;
	char roles[DP_MAX_CAPTIONS][DP_NAME_MAX + 1];
	size_t nroles;
	int status; /* enum dps_status */
} dps_officer;

/* The validity window [not_before, not_after) of one epoch key. */
typedef struct {
	uint32_t epoch;
	int64_t not_before, not_after;
} dps_window;

/*
 * A device.  Its cable keys are epoch key records (dps_epoch_*); the
 * device row carries only their windows, so directory lookups and the
 * cache stay small: the newest DPS_EPOCHS_MAX records not closed when the
 * row was read (not_after + DP_EPOCH_SKEW > dp_now()), in increasing epoch
 * order.  A record closed then stays closed, so a cached row is never
 * missing a window it needs (dps_dir_sync reloads it after a publication).
 */
typedef struct {
	uint8_t id[DP_ED25519_PK];     /* = its Ed25519 signing key */
	uint8_t tls_key[DP_ED25519_PK]; /* raw key of its TLS certificate */
	char officer[DP_NAME_MAX + 1];
	char name[DP_NAME_MAX + 1];
	int status; /* enum dps_status */
	int64_t created;
	uint32_t nwin;
	dps_window win[DPS_EPOCHS_MAX];
} dps_device;

/* A cable as the switch keeps it (the submission bytes are fetched separately). */
typedef struct {
	int64_t seq; /* acceptance order, internal */
	uint8_t cable_id[DP_CABLE_ID];
	char mrn[DPS_MRN_MAX + 1];
	char from_post[DP_NAME_MAX + 1];
	uint8_t from_device[DP_ED25519_PK];
	char officer[DP_NAME_MAX + 1]; /* originating officer */
	int classification;
	int prec_action, prec_info;
	int64_t accepted;
	uint64_t size; /* submission bytes */
	int64_t log_idx; /* its first cable-accepted log entry; -1 if unknown (dps_cable_get/stored only) */
	int decoy;       /* planted by the security office (dps_cable_get/stored only; in: insert):
			    its recipients' rows are stored delivered and acknowledged, so it is in
			    their archives and never in an inbox */
} dps_cable;

/* One recipient device of a cable and its receipts (0 = not yet). */
typedef struct {
	uint8_t device[DP_ED25519_PK];
	int role;  /* enum dp_role */
	int prec;  /* the precedence that applies to this device */
	uint32_t epoch; /* the device's key epoch the cable is encrypted to (from the envelope) */
	int64_t delivered, acked;
	int64_t ack_log; /* the cable-acked log entry; -1 if none (dps_rcpt_get only) */
} dps_rcpt;

/* What dps_cable_insert needs and answers. */
typedef struct {
	dps_cable c;                 /* in: all but seq, mrn, accepted */
	const dps_rcpt *rcpts;       /* in */
	size_t nrcpts;
	const uint8_t *data;         /* in: submission bytes */
	size_t len;
	int64_t now;                 /* in: acceptance time */
	int64_t log_idx;             /* in: the index its cable-accepted entry will get (-1: none);
					out (duplicate): the stored cable's */
	int hashed;                  /* in: 1 if digest already holds SHA-256 of data (the API's
					verify worker hashes it, off the writer's thread); 0:
					dps_cable_insert hashes data itself */
	uint8_t digest[32];          /* in if hashed, else out: SHA-256 of the submission bytes */
	/* out */
	int duplicate;               /* 1: same cable id and bytes already stored */
	char mrn[DPS_MRN_MAX + 1];
	int64_t accepted;
} dps_submit;

/*
 * Opens (create=1: creates if needed) the database.  A database written by
 * an older denpod (schema 1: before key epochs; 2: before the transparency
 * log) is refused with DP_ESTATE and a message: there is no migration, it
 * must be re-created.
 */
int dps_open(dps_store **s, const char *path, int create) DP_WUR;
/*
 * Whether the database target names holds nothing yet, as `denpod init`
 * (and a move to it) needs: a SQLite file that is absent or empty, a
 * PostgreSQL database with no table in its schema.  DP_OK if empty;
 * DP_EEXISTS (said on stderr, with what to do) if not; DP_ESTORE if it
 * cannot be reached (said by the driver).  dps_open with create refuses a
 * PostgreSQL database that is not empty the same way.
 */
int dps_target_empty(const char *target) DP_WUR;
void dps_close(dps_store *s);

/* Transactions (the server's group commit).  Not nestable. */
int dps_begin(dps_store *s) DP_WUR;
int dps_commit(dps_store *s) DP_WUR;
void dps_rollback(dps_store *s);
/*
 * One savepoint inside a transaction (one op of a batch): dps_savepoint_end
 * with keep=0 undoes everything since dps_savepoint, log appends included,
 * and leaves the transaction open.  Not nestable.
 */
int dps_savepoint(dps_store *s) DP_WUR;
int dps_savepoint_end(dps_store *s, int keep) DP_WUR;
/*
 * Commits of this connection need not reach the disk before they return
 * (synchronous=NORMAL): for the log signer, whose writes (tiles,
 * checkpoints) are derived from entries already durable and are
 * recomputed identically if lost.
 */
int dps_relax_sync(dps_store *s) DP_WUR;
/*
 * A read snapshot (BEGIN DEFERRED ... COMMIT): every read between the two
 * sees the same committed state, writers go on (WAL).  Not inside dps_begin.
 */
int dps_snapshot_begin(dps_store *s) DP_WUR;
void dps_snapshot_end(dps_store *s);

/*
 * Directory cache, for a long-lived reader (the server's request loop):
 * after dps_dir_cache, device, officer and post lookups on this handle are
 * answered from memory.  dps_dir_sync reads the directory version, which
 * every write to the directory bumps in its own transaction (triggers, so
 * writes by other processes count), and forgets the cache if it changed:
 * after it, a suspension made by `denpod device suspend` applies to the
 * next lookup.  Without dps_dir_cache both are no-ops and every lookup
 * reads the database.
 */
int dps_dir_cache(dps_store *s) DP_WUR;
int dps_dir_sync(dps_store *s) DP_WUR;
/*
 * dps_dir_sync, unless this handle read the version successfully less than
 * DPS_DIR_FRESH_MS ago (the monotonic clock; dps_dir_window): then
 * nothing.  For a reader that syncs at every request (the API's
 * authentication): at a few thousand requests a second, the read
 * transaction each would cost is about 5 % of the loop's time in a
 * profile (bench/README.md, "Issue 17, sixth session"); with it, a
 * directory change (a suspension, a new key window) applies to the
 * requests authenticated from DPS_DIR_FRESH_MS after it was committed at
 * the latest, rather than from the next one.
 */
int dps_dir_sync_recent(dps_store *s) DP_WUR;
#define DPS_DIR_FRESH_MS 1
/*
 * That window, in ms, for this handle (DPS_DIR_FRESH_MS unless set; 0:
 * every call reads).  After dps_dir_cache.  The tests make it long, to see
 * the cache answer whatever the machine's speed.
 */
void dps_dir_window(dps_store *s, int64_t ms);
/*
 * The directory may have changed through another handle of this process
 * (the writer's commit): the next dps_dir_sync_recent reads the version
 * whatever its age.  So a change this process makes applies at once to
 * the requests after the loop learns of its commit; only another
 * process's (an admin command's) waits for DPS_DIR_FRESH_MS.  s NULL:
 * nothing.
 */
void dps_dir_stale(dps_store *s);

/* Directory. */
int dps_post_add(dps_store *s, const dps_post *p) DP_WUR;
int dps_post_get(dps_store *s, const char *name, dps_post *p) DP_WUR;
/* In its own transaction, or the caller's if one is open. */
int dps_collective_add(dps_store *s, const char *name, const char *const *posts, size_t n) DP_WUR;
/* Every collective's members, one (name, post) pair per call, by name then post. */
int dps_collective_list(dps_store *s, int (*cb)(void *ctx, const char *name, const char *post),
			void *ctx) DP_WUR;
/*
 * Posts named by an addressee (a post names itself, a collective its
 * members), handed to cb one by one.  DP_ENOTFOUND if neither.
 */
int dps_addressee_posts(dps_store *s, const char *name,
			int (*cb)(void *ctx, const char *post), void *ctx) DP_WUR;
/* Insert (update=0, DP_EEXISTS if present) or replace (update=1). */
int dps_officer_put(dps_store *s, const dps_officer *o, int update) DP_WUR;
int dps_officer_get(dps_store *s, const char *handle, dps_officer *o) DP_WUR;
int dps_officer_list(dps_store *s, int (*cb)(void *ctx, const dps_officer *o), void *ctx) DP_WUR;
/* Adds the row (d->nwin/win are ignored: windows come from dps_epoch_put). */
int dps_device_add(dps_store *s, const dps_device *d) DP_WUR;
int dps_device_get(dps_store *s, const uint8_t id[32], dps_device *d) DP_WUR;
int dps_device_by_tls(dps_store *s, const uint8_t tls_key[32], dps_device *d) DP_WUR;
/* By lower-case hex prefix: DP_ENOTFOUND, or DP_EEXISTS when ambiguous. */
int dps_device_find(dps_store *s, const char *hexprefix, dps_device *d) DP_WUR;
/*
 * The log index of the device's device-enrolled entry (set by the
 * enrolment's transaction; -1 if none: a device added without the log).
 */
int dps_device_set_log_idx(dps_store *s, const uint8_t id[32], int64_t idx) DP_WUR;
int dps_device_log_idx(dps_store *s, const uint8_t id[32], int64_t *idx) DP_WUR;
/* DP_ESTATE when the device is revoked (final). */
int dps_device_set_status(dps_store *s, const uint8_t id[32], int status) DP_WUR;
/* officer NULL: all devices. */
int dps_device_list(dps_store *s, const char *officer,
		    int (*cb)(void *ctx, const dps_device *d), void *ctx) DP_WUR;

/* Devices (any status) of officers (any status) at a post, by officer then device. */
int dps_post_devices(dps_store *s, const char *post,
		     int (*cb)(void *ctx, const dps_officer *o, const dps_device *d), void *ctx) DP_WUR;

/*
 * Key epochs (docs/protocol.md, "Key epochs").  A record is stored as the
 * signed DENPO-EPOCH-KEY/1 text it was published as; the store trusts the
 * caller to have decoded and verified it (dp_epoch_key_decode) and to have
 * checked that it is the device's own.
 */
enum dps_epoch_rule {
	DPS_EPR_NONE = 0,
	DPS_EPR_EPOCH,     /* epoch not higher than every stored epoch of the device */
	DPS_EPR_REUSED,    /* recipient already used by the device */
	DPS_EPR_EXPIRED,   /* Not-After <= now */
	DPS_EPR_AHEAD,     /* Not-Before > now + DP_EPOCH_MAX_AHEAD */
	DPS_EPR_FULL,      /* already DPS_EPOCHS_MAX records not closed */
};

typedef struct {
	const dp_epoch_key *k;   /* in: the decoded record */
	const uint8_t *record;   /* in: its bytes (at most DP_EPOCH_KEY_MAX) */
	size_t len;
	int64_t now;             /* in: the time the rules are judged at */
	int enrol;               /* in: 1 = the enrolment's first record, stored even if expired */
	int64_t log_idx;         /* in: the index its key-published entry will get (-1: none);
				    out (duplicate): the stored record's */
	/* out */
	int duplicate;           /* DP_OK: 1 = this very record was stored already */
	int rule;                /* DP_ESTATE: enum dps_epoch_rule */
	uint32_t last_epoch;     /* DPS_EPR_EPOCH: the device's highest epoch */
	uint32_t reused_epoch;   /* DPS_EPR_REUSED: the epoch that has the recipient */
} dps_epoch_pub;

/*
 * Stores a record if the publication rules allow it, judged and written in
 * one transaction (its own, or the caller's dps_begin/dps_commit):
 * DP_OK (stored, or duplicate=1 for an identical record), DP_EEXISTS (the
 * device has this epoch with other bytes), DP_ESTATE (a rule, see `rule`),
 * DP_ENOTFOUND (no such device), DP_ETOOBIG.  The rules, in order: epoch
 * higher than every stored one; recipient never stored for the device;
 * Not-After > now (unless enrol); Not-Before <= now + DP_EPOCH_MAX_AHEAD;
 * fewer than DPS_EPOCHS_MAX records with now < Not-After + DP_EPOCH_SKEW.
 * Bumps the directory version.
 */
int dps_epoch_put(dps_store *s, dps_epoch_pub *p) DP_WUR;

/* An epoch key record as stored. */
typedef struct {
	uint32_t epoch;
	int64_t not_before, not_after;
	int64_t published;
	char age_recipient[DPS_AGE_MAX + 1];
	char record[DP_EPOCH_KEY_MAX + 1]; /* the signed text, NUL-terminated */
	size_t len;
} dps_epoch;

/*
 * The device's current key at `now`: the highest epoch with not_before <=
 * now < not_after.  DP_ENOTFOUND if none, with *last_not_after = when its
 * last key expired (the newest Not-After <= now; 0 if none has: a device
 * whose only keys start later); last_not_after may be NULL.
 */
int dps_epoch_current(dps_store *s, const uint8_t device[32], int64_t now, dps_epoch *e,
		      int64_t *last_not_after) DP_WUR;
/* One record's window, closed or not; DP_ENOTFOUND. */
int dps_epoch_window(dps_store *s, const uint8_t device[32], uint32_t epoch, dps_window *w) DP_WUR;

/*
 * Retires the device's records closed at `now` (now >= not_after +
 * DP_EPOCH_SKEW; now = INT64_MAX: every record, for a revocation) that are
 * not retired yet, each once: marks it and calls cb (inside the caller's
 * transaction, which also holds the key-retired log entry cb appends).
 */
int dps_epoch_retire(dps_store *s, const uint8_t device[32], int64_t now,
		     int (*cb)(void *ctx, uint32_t epoch), void *ctx) DP_WUR;
/* The log index of a stored record's key-published entry (-1 if none); DP_ENOTFOUND. */
int dps_epoch_log_idx(dps_store *s, const uint8_t device[32], uint32_t epoch, int64_t *idx) DP_WUR;

/* What GET /v1/keys says about one epoch of a device. */
typedef struct {
	dps_window w;
	int closed;                               /* now >= not_after + DP_EPOCH_SKEW */
	uint8_t (*pending)[DP_CABLE_ID];          /* unacknowledged cables queued at it, seq order */
	size_t npending;
	int more;                                 /* more than DPS_PENDING_MAX: pending is cut */
} dps_epoch_state;

/*
 * Every record of the device that is not closed at `now` or has
 * unacknowledged cables queued at its epoch, by increasing epoch, each
 * with at most DPS_PENDING_MAX pending cable ids (valid during cb only).
 * An epoch not yet open for cables at `now` (not_before - DP_EPOCH_SKEW >
 * now: the week published ahead) is listed with none, unread: no cable
 * accepted by `now` can be queued at it.
 */
int dps_epoch_list(dps_store *s, const uint8_t device[32], int64_t now,
		   int (*cb)(void *ctx, const dps_epoch_state *st), void *ctx) DP_WUR;

/* Cables.  dps_cable_insert runs inside dps_begin/dps_commit. */
/*
 * Assigns the MRN (per post, per UTC year, gap-free), stores the cable and
 * its recipients' queue rows.  Same id with identical bytes: DP_OK with
 * duplicate=1 and the stored MRN; with other bytes: DP_EEXISTS.
 */
int dps_cable_insert(dps_store *s, dps_submit *sub) DP_WUR;
int dps_cable_get(dps_store *s, const uint8_t id[DP_CABLE_ID], dps_cable *c) DP_WUR;
/*
 * Whether this cable id is stored with exactly the submission bytes whose
 * SHA-256 is digest (the caller hashed them once, for the store too):
 * DP_OK (c filled), DP_EEXISTS (other bytes), DP_ENOTFOUND.  Lets a retry
 * be answered as a duplicate without judging it again at a later time.
 */
int dps_cable_stored(dps_store *s, const uint8_t id[DP_CABLE_ID], const uint8_t digest[DP_SHA256],
		     dps_cable *c) DP_WUR;
/* The submission bytes (cap = max length accepted). */
int dps_cable_data(dps_store *s, int64_t seq, dp_buf *out) DP_WUR;
/*
 * Only the envelope of the submission (its first 4 + envelope_len bytes,
 * without the framing; the payload is not read).  DP_ENOTFOUND, DP_EPARSE
 * if the stored bytes cannot hold an envelope (0 or over DP_ENVELOPE_MAX
 * bytes), DP_ETOOBIG if out's cap is smaller.
 */
int dps_cable_envelope(dps_store *s, int64_t seq, dp_buf *out) DP_WUR;
int dps_rcpt_get(dps_store *s, int64_t seq, const uint8_t device[32], dps_rcpt *r) DP_WUR;
int dps_rcpts(dps_store *s, int64_t seq, int (*cb)(void *ctx, const dps_rcpt *r), void *ctx) DP_WUR;
/* First time only; DP_ENOTFOUND if not a recipient. */
int dps_mark_delivered(dps_store *s, int64_t seq, const uint8_t device[32], int64_t t) DP_WUR;
/* Records the read receipt (first time) and dequeues; also sets delivered if unset. */
int dps_mark_acked(dps_store *s, int64_t seq, const uint8_t device[32], int64_t t) DP_WUR;
/*
 * The same, telling whether this call recorded the receipt (*first = 1) or
 * found it recorded already (0); an ack stores log_idx (its cable-acked
 * entry, -1: none) with the receipt.
 */
int dps_mark_delivered_first(dps_store *s, int64_t seq, const uint8_t device[32], int64_t t,
			     int *first) DP_WUR;
int dps_mark_acked_log(dps_store *s, int64_t seq, const uint8_t device[32], int64_t t,
		       int64_t log_idx, int *first) DP_WUR;
/* Unacknowledged cables of a device, precedence then acceptance order, at most limit. */
int dps_inbox(dps_store *s, const uint8_t device[32], size_t limit,
	      int (*cb)(void *ctx, const dps_cable *c, const dps_rcpt *r), void *ctx) DP_WUR;
/* *yes = 1 if the device has an unacknowledged cable accepted after seq `after`. */
int dps_inbox_has_after(dps_store *s, const uint8_t device[32], int64_t after, int *yes) DP_WUR;
/* Cables originated by an officer with seq < before, newest first, at most limit. */
int dps_sent(dps_store *s, const char *officer, int64_t before, size_t limit,
	     int (*cb)(void *ctx, const dps_cable *c), void *ctx) DP_WUR;
/* All cables, newest first. */
int dps_cable_list(dps_store *s, size_t limit, int (*cb)(void *ctx, const dps_cable *c), void *ctx) DP_WUR;
/*
 * Recipients past the handling-time objective (accepted + dp_prec_objective(prec) < now)
 * and not acknowledged; post limits to recipients whose officer is at that post (NULL: all).
 */
int dps_overdue(dps_store *s, int64_t now, const char *post,
		int (*cb)(void *ctx, const dps_cable *c, const dps_rcpt *r), void *ctx) DP_WUR;
/*
 * The queue for the metrics: unacknowledged recipients of cables that are
 * not decoys, by precedence (queue[0..3], enum dp_prec), and how many of
 * them are past their objective (due < now).  Reads the queue index's
 * entries and the decoys' queued rows: its cost follows the queue, never
 * the cables stored.
 */
int dps_queue_stats(dps_store *s, int64_t now, uint64_t queue[4], uint64_t *overdue) DP_WUR;
/*
 * The store's size into *bytes: on SQLite the files, denpod.db, its WAL
 * and the cable bodies' segments (denpod/segment.h; a few stat calls); on
 * PostgreSQL pg_database_size of its database (a query).  DP_ESTORE if the
 * query fails or the segments' directory cannot be read (*bytes then
 * counts what could be).
 */
int dps_store_bytes(dps_store *s, uint64_t *bytes) DP_WUR;

/* ---- transparency log (see denpod/tlog.h for the structure) ---- */

#define DPS_NOTE_MAX 1024 /* bytes of a signed checkpoint note as the switch writes it */

typedef struct {
	uint64_t size;
	uint8_t root[32];
	int64_t t; /* when it was signed */
	char note[DPS_NOTE_MAX + 1]; /* the signed note, NUL-terminated */
	size_t note_len;
} dps_checkpoint;

/*
 * Inside a transaction: the index the next dps_log_append will get
 * (max(idx)+1, read at the first use in the transaction so appends by
 * other processes count), and the append itself, which takes it.  Indices
 * are gap-free: a rolled-back transaction or savepoint gives its indices
 * back.  DP_ETOOBIG for an entry over DP_TLOG_ENTRY_MAX bytes.
 */
int dps_log_next(dps_store *s, uint64_t *idx) DP_WUR;
int dps_log_append(dps_store *s, const uint8_t *e, size_t len, uint64_t *idx) DP_WUR;
/* The number of committed entries (max(idx)+1). */
int dps_log_size(dps_store *s, uint64_t *size) DP_WUR;
/*
 * Entries [from, from+count) in order, each to cb (e valid during cb
 * only; cb must not call dps_log_entries).  Stops early if fewer exist;
 * DP_ESTORE if an index is missing (a gap: the database is damaged).
 */
int dps_log_entries(dps_store *s, uint64_t from, uint64_t count,
		    int (*cb)(void *ctx, uint64_t idx, const uint8_t *e, size_t len), void *ctx) DP_WUR;
/*
 * The first `width` hashes (1..256) of stored tile (tlevel, n) into out
 * (32*width bytes).  DP_ENOTFOUND if the tile is not stored or narrower.
 */
int dps_log_tile(dps_store *s, unsigned tlevel, uint64_t n, unsigned width, uint8_t *out) DP_WUR;
/* Stores (replaces) tile (tlevel, n) with `width` hashes; inside a transaction. */
int dps_log_tile_put(dps_store *s, unsigned tlevel, uint64_t n, const uint8_t *h,
		     unsigned width) DP_WUR;
/* Every stored tile: (tlevel, n, width) to cb, by level then n. */
int dps_log_tiles(dps_store *s, int (*cb)(void *ctx, unsigned tlevel, uint64_t n, unsigned width),
		  void *ctx) DP_WUR;
/*
 * Stores a signed checkpoint (inside a transaction).  A checkpoint of that
 * size already stored: DP_OK if it has the same root (nothing written),
 * DP_EEXISTS if another root (a fork: never sign it).
 */
int dps_log_checkpoint_put(dps_store *s, const dps_checkpoint *c) DP_WUR;
/* The checkpoint of the largest size; DP_ENOTFOUND if none. */
int dps_log_latest(dps_store *s, dps_checkpoint *c) DP_WUR;
/*
 * The signing lease (docs/several-switches.md §3): one instance at a time
 * integrates and signs.  Takes or renews table log_lease's one row for
 * holder (any string unique to the instance) until ms milliseconds from
 * now by the database's clock, if holder has it or it has run out; *held
 * says whether holder has it now.  Outside a transaction (its own
 * statement).  SQLite: one process serves the file, so *held = 1 always.
 * DP_ESTORE (*held = 0).
 */
int dps_log_lease(dps_store *s, const char *holder, int64_t ms, int *held) DP_WUR;
/* Gives the lease up if holder has it (a clean stop: another instance takes over at its next
 * renewal, not after the expiry).  SQLite: nothing.  DP_ESTORE. */
int dps_log_lease_release(dps_store *s, const char *holder) DP_WUR;
/*
 * The latest checkpoint, as dps_log_latest, once it is as durable as a
 * commit with synchronous_commit=on (docs/several-switches.md §4): on
 * PostgreSQL with a synchronous standby, flushed on the standby, so that a
 * promotion keeps it.  (A commit made with synchronous_commit off, as the
 * log's own connection makes them, or whose wait for the standby was
 * cancelled, is visible on the primary before the standby has it; one still
 * waiting is not visible.)  The checkpoint is read and a write of its own --
 * a logical-decoding message (no row, no lock, no privilege) -- made in one
 * statement, whose commit record lies after the checkpoint's in the WAL and
 * waits for the standby to flush up to it, whatever this session's
 * setting; what it returns is what that wait covered, never a checkpoint
 * read on an earlier connection.  Outside a transaction; blocks while the
 * synchronous standby is away, as every writer's commit does.  SQLite:
 * dps_log_latest (one process serves the file, nothing fails over).
 * DP_ENOTFOUND: no checkpoint; DP_ESTORE: nothing is known (the connection
 * was lost meanwhile, or its wait for the standby was cut short: a
 * cancelled wait commits with a WARNING only, dpdb_warnings); DP_EINVAL
 * inside a transaction.
 */
int dps_log_latest_durable(dps_store *s, dps_checkpoint *c) DP_WUR;
/* The checkpoint of the smallest size > after (after = -1: the first); DP_ENOTFOUND. */
int dps_log_checkpoint_next(dps_store *s, int64_t after, dps_checkpoint *c) DP_WUR;

/*
 * Devices' cosignatures (transparency.md §4): one line per checkpoint
 * size and device, the first one kept (a repeat is DP_OK, not stored).
 * The caller verified the line against the stored checkpoint.
 */
int dps_log_cosig_put(dps_store *s, uint64_t size, const uint8_t device[32], int64_t ts,
		      const char *line) DP_WUR;
/* The lines stored for a size, newest (ts) first, at most max. */
int dps_log_cosigs(dps_store *s, uint64_t size, size_t max,
		   int (*cb)(void *ctx, const char *line), void *ctx) DP_WUR;
/* Each device that cosigned, with the largest checkpoint size it cosigned (which posts witnessed what). */
int dps_log_cosig_heads(dps_store *s, int (*cb)(void *ctx, const uint8_t device[32], uint64_t size),
			void *ctx) DP_WUR;
/* The newest stored checkpoint of size <= at_most with >= min cosignatures; DP_ENOTFOUND. */
int dps_log_witnessed(dps_store *s, unsigned min, uint64_t at_most, dps_checkpoint *c) DP_WUR;

/*
 * The log's rollbacks (docs/transparency.md §4, "After a restore"): the
 * index of every admin entry with Act LOG-ROLLBACK, added by dpl_put in
 * the transaction that appends the entry, so that devices find them
 * without a scan of the log.  A database from before this table gets it
 * at its first open, filled from the entries it holds (one scan, once).
 * dps_log_rollbacks: the newest max with index < below, oldest first, each
 * with its entry's bytes (valid during cb only).
 */
int dps_log_rollback_add(dps_store *s, uint64_t idx) DP_WUR;
int dps_log_rollbacks(dps_store *s, uint64_t below, size_t max,
		      int (*cb)(void *ctx, uint64_t idx, const uint8_t *e, size_t len), void *ctx) DP_WUR;
/*
 * A device's witness reset after the rollback at entry `rollback` (what
 * `denpo log recover` reports), logged as entry idx, once per rollback and
 * device.  get: *idx = that entry, -1 if none; put (inside the writer's
 * transaction): DP_EEXISTS if one is stored already.
 */
int dps_log_recovery_get(dps_store *s, uint64_t rollback, const uint8_t device[32], int64_t *idx) DP_WUR;
int dps_log_recovery_put(dps_store *s, uint64_t rollback, const uint8_t device[32], uint64_t size,
			 uint64_t idx) DP_WUR;

/*
 * The officer index (denpo/devindex.h, denpod/tlog.c): each officer's
 * record as the log's entries below the size in meta "officer_index" made
 * it, written by the signer in the transaction of its tiles and checkpoint.
 * put (inside a transaction): stores or replaces officer's record text.
 * clear (inside a transaction): removes every record (before a replay).
 * all: every record, by officer (the text is valid during cb only).
 * get: officer's record text into out (reset first); DP_ENOTFOUND if none.
 * size_get: that size; DP_ENOTFOUND if none (a database from before the
 * index, or one being replayed); size_put (inside a transaction).
 */
int dps_offidx_put(dps_store *s, const char *officer, const uint8_t *text, size_t len) DP_WUR;
int dps_offidx_clear(dps_store *s) DP_WUR;
int dps_offidx_all(dps_store *s, int (*cb)(void *ctx, const char *officer, const uint8_t *text,
					   size_t len), void *ctx) DP_WUR;
int dps_offidx_get(dps_store *s, const char *officer, dp_buf *out) DP_WUR;
int dps_offidx_size_get(dps_store *s, uint64_t *size) DP_WUR;
int dps_offidx_size_put(dps_store *s, uint64_t size) DP_WUR;

/* Names list helpers shared by the modules: "A,B" <-> arrays (DP_EPARSE on bad names). */
int dps_split_names(const char *csv, char out[][DP_NAME_MAX + 1], size_t max, size_t *n) DP_WUR;
void dps_join_names(char *out, size_t cap, char names[][DP_NAME_MAX + 1], size_t n);

/* ---- detection: containment steps and two-operator acts (docs/detection.md) ---- */

enum dps_contain_kind { DPS_CK_SUSPEND = 1, DPS_CK_THROTTLE = 2 };
/*
 * TAKEN: an operator's `device suspend` took the automatic suspension over;
 * it is ended, and only `device reinstate` lifts the operator's suspension.
 */
enum dps_contain_state { DPS_CS_ACTIVE = 0, DPS_CS_CONFIRMED, DPS_CS_LAPSED, DPS_CS_UNDONE,
			 DPS_CS_TAKEN };
const char *dps_contain_kind_name(int kind);   /* "suspend", "throttle" */
const char *dps_contain_state_name(int state); /* "active", "confirmed", "lapsed", "undone", "taken-over" */
#define DPS_TEXT_MAX 512

typedef struct {
	int64_t id;
	uint8_t device[32];
	int kind;                          /* enum dps_contain_kind */
	char rule[DP_NAME_MAX + 1];        /* the alert's rule */
	int64_t created;                   /* Unix seconds */
	int64_t until;                     /* when it lapses unless confirmed; 0: no time box */
	int state;                         /* enum dps_contain_state */
	char operator_[DPS_TEXT_MAX + 1];  /* who confirmed / undid it ("auto": lapsed); "" */
	int64_t ended;                     /* when it lapsed / was undone; 0 */
	int64_t alert_log;                 /* the alert's log entry; -1 */
	char detail[DPS_TEXT_MAX + 1];
} dps_containment;

/* Inside a transaction; c->id is set. */
int dps_contain_add(dps_store *s, dps_containment *c) DP_WUR;
int dps_contain_get(dps_store *s, int64_t id, dps_containment *c) DP_WUR;
/* open_only: active or confirmed, newest first; else all, newest first, at most limit. */
int dps_contain_list(dps_store *s, int open_only, size_t limit,
		     int (*cb)(void *ctx, const dps_containment *c), void *ctx) DP_WUR;
/* Active steps whose time box ended (0 < until <= now), oldest first. */
int dps_contain_due(dps_store *s, int64_t now, int (*cb)(void *ctx, const dps_containment *c),
		    void *ctx) DP_WUR;
/* 1 in *yes if some active step's time box ended at now. */
int dps_contain_any_due(dps_store *s, int64_t now, int *yes) DP_WUR;
/* The newest open step of a kind for a device; DP_ENOTFOUND. */
int dps_contain_open_for(dps_store *s, const uint8_t device[32], int kind,
			 dps_containment *c) DP_WUR;
/* Sets state (and operator, ended, until as given); DP_ENOTFOUND. */
int dps_contain_set(dps_store *s, int64_t id, int state, const char *op, int64_t ended,
		    int64_t until) DP_WUR;

enum dps_approval_state { DPS_AP_PENDING = 0, DPS_AP_DONE, DPS_AP_EXPIRED };
typedef struct {
	int64_t id;
	char act[32];                         /* "device-revoke", "officer-disable" */
	char target[65];                      /* device hex64 or officer handle */
	char requested_by[DPS_TEXT_MAX + 1];
	char reason[DPS_TEXT_MAX + 1];
	int64_t created, expires;
	int state;
} dps_approval;
/* The pending request for act on target not expired at now; DP_ENOTFOUND (an expired one is
   marked DPS_AP_EXPIRED on the way). */
int dps_approval_pending(dps_store *s, const char *act, const char *target, int64_t now,
			 dps_approval *a) DP_WUR;
int dps_approval_add(dps_store *s, dps_approval *a) DP_WUR;
int dps_approval_close(dps_store *s, int64_t id, int state, const char *by, int64_t t) DP_WUR;

/* The pending (not expired at now) requests, oldest first, at most limit. */
int dps_approval_list(dps_store *s, int64_t now, size_t limit,
		      int (*cb)(void *ctx, const dps_approval *a), void *ctx) DP_WUR;

/*
 * ---- the console's operators (denpod/operators.h) ----
 * Who may log in to `denpod console`: a name and an Argon2id password
 * hash (libsodium's crypto_pwhash_str string, never the password).  In
 * the store, so that a change and its admin entry in the log commit
 * together, and backups, restores and migrations carry them.
 */
#define DPS_OPNAME_MAX 32
#define DPS_PWHASH_MAX 127 /* crypto_pwhash_STRBYTES - 1 */
typedef struct {
	char name[DPS_OPNAME_MAX + 1];
	char hash[DPS_PWHASH_MAX + 1];
	int64_t created, changed;
} dps_operator;
/* DP_ENOTFOUND if there is no such operator. */
int dps_operator_get(dps_store *s, const char *name, dps_operator *o) DP_WUR;
/* Inside a transaction: create=1 a new one (DP_EEXISTS if the name is taken), else a new
 * hash for an existing one (DP_ENOTFOUND). */
int dps_operator_put(dps_store *s, const dps_operator *o, int create) DP_WUR;
/* Inside a transaction; DP_ENOTFOUND. */
int dps_operator_del(dps_store *s, const char *name) DP_WUR;
/* Every operator, by name (hash included: the caller shows none of it). */
int dps_operator_list(dps_store *s, int (*cb)(void *ctx, const dps_operator *o), void *ctx) DP_WUR;

/* ---- detection: what the engine registers, and the archive ---- */

/* Every post. */
int dps_post_list(dps_store *s, int (*cb)(void *ctx, const dps_post *p), void *ctx) DP_WUR;
/* Every device with its officer's post, roles and statuses (one query). */
typedef struct {
	uint8_t id[32];
	char officer[DP_NAME_MAX + 1];
	char post[DP_NAME_MAX + 1];
	int status;          /* the device's */
	int officer_status;
	char roles[DP_MAX_CAPTIONS][DP_NAME_MAX + 1]; /* its officer's (dpp_is_decoy_officer reads them) */
	size_t nroles;
} dps_det_device;
int dps_det_devices(dps_store *s, int (*cb)(void *ctx, const dps_det_device *d), void *ctx) DP_WUR;
/* Cables addressed to a device (acknowledged or not, decoys included), seq < before, newest first. */
int dps_archive(dps_store *s, const uint8_t device[32], int64_t before, size_t limit,
		int (*cb)(void *ctx, const dps_cable *c, const dps_rcpt *r), void *ctx) DP_WUR;
/* Decoy cables, newest first. */
int dps_decoy_list(dps_store *s, size_t limit, int (*cb)(void *ctx, const dps_cable *c),
		   void *ctx) DP_WUR;
/* A small named value of the switch (table meta): "" if absent; DP_ETOOBIG if longer than cap-1. */
int dps_meta_get(dps_store *s, const char *key, char *out, size_t cap) DP_WUR;
int dps_meta_put(dps_store *s, const char *key, const char *value) DP_WUR;
/* The directory version (after dps_dir_sync; -1 if none read). */
int64_t dps_dir_version(const dps_store *s);

/*
 * Notifications to the other instances on the same PostgreSQL (docs/
 * several-switches.md §3; denpod/listen.h hears them): DPS_CHAN_INBOX, the
 * lower-case hex id of a device a cable was queued for; DPS_CHAN_DIR (sent
 * by the schema's triggers, no payload), the directory changed.
 * dps_notify queues one inside the caller's write transaction: it reaches
 * the listeners at the commit, never before, and never if the transaction
 * or the savepoint around it is rolled back.  A no-op on SQLite (one
 * process serves it and wakes its own waiters).  DP_ESTORE.
 */
#define DPS_CHAN_INBOX "denpo_inbox"
#define DPS_CHAN_DIR "denpo_dir"
/* detection across instances (below): 'c' a containment step was written; else the hex id of
   the instance that shared events */
#define DPS_CHAN_DET "denpo_det"
int dps_notify(dps_store *s, const char *channel, const char *payload) DP_WUR;
/*
 * DPS_CHAN_INBOX for each of the n devices (the recipients of a cable), as
 * dps_notify does, in one statement.  DP_ESTORE, DP_ENOMEM.
 */
int dps_notify_inbox(dps_store *s, const dps_rcpt *rcpts, size_t n) DP_WUR;

/*
 * ---- every table, and the move to PostgreSQL (`denpod migrate`,
 * denpod/store_migrate.c) ----
 *
 * dps_tables: every table of the schema, the one list that says what a
 * migration copies: DPS_TAB_COPY, a table of both databases, copied row
 * for row, in this order (foreign keys satisfied); DPS_TAB_PG, a table
 * PostgreSQL alone has, its rows made by its schema.  A table added to
 * either schema and not here makes dps_migrate_copy refuse (and
 * test_denpod_store fail).
 */
enum { DPS_TAB_COPY = 1, DPS_TAB_PG = 2 };
typedef struct {
	const char *name;
	int kind; /* DPS_TAB_* */
	unsigned rows_per_insert; /* 0: as many as fit; 1 for rows that may be large (cables) */
} dps_table;
extern const dps_table dps_tables[];
extern const size_t dps_ntables;
/* The dps_tables row of name, or NULL. */
const dps_table *dps_table_find(const char *name);
/*
 * The target of a migration: a connection to the PostgreSQL database
 * target, which must hold no table (in its current schema).  DP_EINVAL: not
 * a PostgreSQL URI; DP_ESTORE: no connection (the driver said why, never
 * the password); DP_EEXISTS: the database holds tables (one's name into
 * found, e.g. "meta").
 */
int dps_migrate_open(dps_store **dst, const char *target, char *found, size_t cap) DP_WUR;
/*
 * Copies src (SQLite, inside the caller's dps_begin: no other process
 * writes meanwhile) into dst (from dps_migrate_open) in one transaction,
 * left open: the PostgreSQL schema, every DPS_TAB_COPY table row for row
 * (each value as its column's declared type), every identity column set
 * to continue past the largest copied value, and each table's row count
 * in dst compared with src's.  rows(ctx, table, n) for each table copied.
 * The caller checks the copy (the log) and ends with dps_commit(dst) or
 * dps_rollback(dst).  DP_ESTATE with why: a table or column one database
 * has and dps_tables or the other lacks, or counts that differ; a store
 * error otherwise (the transaction is rolled back on any error).
 */
int dps_migrate_copy(dps_store *src, dps_store *dst, void (*rows)(void *ctx, const char *table,
								   uint64_t n),
		     void *ctx, char *why, size_t cap) DP_WUR;
/* The tables of s's database in its current schema, in name order, to cb; either kind. */
int dps_schema_tables(dps_store *s, int (*cb)(void *ctx, const char *name), void *ctx) DP_WUR;
/* The first of them into found (cap bytes): DP_EEXISTS if there is one (the database is not
 * empty: init, dps_open's create and migrate refuse it), DP_OK if none (found ""); DP_ESTORE. */
int dps_schema_first(dps_store *s, char *found, size_t cap) DP_WUR;

/*
 * ---- detection across instances (docs/several-switches.md §3) ----
 *
 * 1 if other instances may share this store (PostgreSQL): everything below
 * is for them.  On SQLite it is 0 and the functions below are DP_EUNSUPP
 * (dps_det_claim: always first, no query).
 *
 * The shared feed, table det_events: each instance appends the metadata
 * events its engine consumed (dp_det_event: never a cable's content),
 * numbered in commit order: dps_det_events_put takes a transaction-scoped
 * lock before it inserts, so ids are handed out and committed in one
 * order and a reader that has seen id N never later finds a smaller one
 * committed.  One commit per call, not waiting for the disk (an event lost
 * in a crash is one the other engines miss; nothing else depends on it),
 * with a NOTIFY on DPS_CHAN_DET carrying the instance's hex id.
 *   inst: the writing instance's random id; lseq[i]: its own number of
 *   event i (with inst, the event's identity in dps_det_claim).
 * dps_det_events_after: rows with id > after, oldest first, at most limit,
 * each to cb(ctx, id, inst, lseq, event) (a nonzero return stops and is
 * returned).  dps_det_events_last: the highest id (0: none).
 * dps_det_events_trim: deletes rows with id <= upto (retention: the caller
 * keeps ids it has not given every instance time to read).  DP_ESTORE.
 */
int dps_shared(const dps_store *s);
int dps_det_events_put(dps_store *s, int64_t inst, const int64_t *lseq, const dp_det_event *e,
		       size_t n) DP_WUR;
int dps_det_events_after(dps_store *s, int64_t after, size_t limit,
			 int (*cb)(void *ctx, int64_t id, int64_t inst, int64_t lseq,
				   const dp_det_event *e),
			 void *ctx) DP_WUR;
int dps_det_events_last(dps_store *s, int64_t *id) DP_WUR;
int dps_det_events_trim(dps_store *s, int64_t upto) DP_WUR;
/*
 * One incident, one alert: inside the write transaction that would log an
 * alert of rule with action for device, raised by the engine on the event
 * (inst, lseq) at t_ms.  *first = 0 if another instance (or this one)
 * already logged that alert: the same rule and action for the device on
 * the same event, or less than window_ms apart; else the claim is recorded
 * and *first = 1.  The write transactions of every instance are ordered
 * (dps_begin), so of two instances whose engines both fired, exactly one
 * is first.  SQLite: *first = 1, nothing read or written.  DP_ESTORE.
 */
int dps_det_claim(dps_store *s, const uint8_t device[32], const char *rule, int action,
		  int64_t t_ms, int64_t window_ms, int64_t inst, int64_t lseq, int *first) DP_WUR;

/* ---- damage: reading every stored copy (denpod/check.h, denpod/scrub.h) ---- */

/*
 * SQLite's own check of the database file: PRAGMA quick_check (full = 0:
 * every page and b-tree, in time linear in the file) or integrity_check
 * (full = 1: also every index against its table), of the whole file
 * (table NULL) or of one table and its indexes.  Each problem line (at
 * most 100) goes to cb.  DP_OK if sound, DP_ESTATE if a problem was found
 * (a failure of the check itself, e.g. "database disk image is
 * malformed", is reported through cb as one too).  DP_EUNSUPP on a
 * database other than SQLite (its server checks its own files).
 */
int dps_db_check(dps_store *s, int full, const char *table,
		 void (*cb)(void *ctx, const char *line), void *ctx) DP_WUR;
/* The names of the database's tables, in name order, to cb (the check of one table at a time); SQLite only (DP_EUNSUPP). */
int dps_db_tables(dps_store *s, int (*cb)(void *ctx, const char *name), void *ctx) DP_WUR;
/* 1 if the last failure on this connection was the database finding its files damaged. */
int dps_corrupt(const dps_store *s);
/*
 * Cables with seq > after in seq order, at most limit, each to cb with the
 * digest stored beside its bytes (SHA-256 of the submission, as written
 * at acceptance) and log_idx and decoy filled; the bytes themselves are
 * read separately (dps_cable_data).  cb returns DP_OK to go on, 1 to stop
 * (dps_cable_scan then returns DP_OK), or an error, which is returned.
 */
int dps_cable_scan(dps_store *s, int64_t after, size_t limit,
		   int (*cb)(void *ctx, const dps_cable *c, const uint8_t digest[32]), void *ctx) DP_WUR;
/*
 * A fetch's read in one statement: the cable's bytes into data (cap: the
 * largest accepted) and the bytes of its first log entry (cables.log_idx)
 * into entry (cap DP_TLOG_ENTRY_MAX; left empty if the cable has no entry
 * index or the entry is not stored).  DP_ENOTFOUND if no such cable.
 */
int dps_cable_read(dps_store *s, int64_t seq, dp_buf *data, dp_buf *entry) DP_WUR;
/* The digest stored beside a cable's bytes; DP_ENOTFOUND. */
int dps_cable_digest(dps_store *s, int64_t seq, uint8_t digest[32]) DP_WUR;
/*
 * Replaces a cable's stored bytes (and the digest beside them) with a copy
 * the caller checked against its cable-accepted entry (`denpod cable
 * restore`); inside a transaction.  DP_ENOTFOUND.
 */
int dps_cable_restore(dps_store *s, int64_t seq, const uint8_t *data, size_t len) DP_WUR;
/*
 * A connection that reads the whole database once and never again (the
 * scrub) keeps a 2 MiB page cache instead of the 64 MiB of the others
 * (SQLite; a no-op where the cache is a server's).
 */
int dps_cache_small(dps_store *s) DP_WUR;

/*
 * ---- backup and restore (denpod/backup.h) ----
 *
 * A consistent copy of the whole database into path, a new file (created
 * 0600, O_EXCL: an existing file is DP_EEXISTS), through SQLite's online
 * backup from one read snapshot of s: a running switch goes on writing
 * meanwhile and none of its later commits is half in the copy.  The copy
 * is fsynced.  DP_ENOSPC: the disk is full; DP_ESTORE: SQLite could not
 * read the source (damage) or write the copy.  On failure path is removed.
 * DP_EUNSUPP unless s is a SQLite database (a server's backup is its own).
 */
int dps_backup(dps_store *s, const char *path) DP_WUR;
/*
 * MRNs handed out after a backup would be handed out again by the restored
 * switch: every counter of table mrn moves n numbers on, and each post
 * without a counter for year gets one that starts n numbers on (capped at
 * DPR_MRN_END, one past the last serial: denpod/cable_rules.h).  Inside the caller's transaction; *rows (may be
 * NULL): the counters moved or made.
 */
int dps_mrn_skip(dps_store *s, uint64_t n, int year, uint64_t *rows) DP_WUR;
/*
 * The exact form of the MRN rule after a restore: the counters of the
 * replaced database at path (opened read-only; nothing in it is written)
 * raised into s's, inside the caller's transaction: for each (post, year),
 * next = the larger of the two; a counter s lacks (a post added after the
 * backup) is copied.  *rows: the counters raised or made.  DP_ESTORE if
 * path cannot be opened or read whole as a SQLite database with table mrn
 * (the caller falls back to dps_mrn_skip).
 */
int dps_mrn_merge(dps_store *s, const char *path, uint64_t *rows) DP_WUR;
/*
 * The counters whose next serial is above `above`, as "POST YEAR (next
 * NNNNNN), ..." into out (cut short to cap; "" if none): the posts to warn
 * about before their MRNs run out (DPR_MRN_WARN, denpod/cable_rules.h).
 */
int dps_mrn_high(dps_store *s, int64_t above, char *out, size_t cap) DP_WUR;
/*
 * Each post's last serial handed out in year, for the posts with one at or
 * above min (0: every post that numbered a cable that year), by post name:
 * cb(ctx, post, serial); a non-zero return stops the walk and is returned.
 */
int dps_mrn_serials(dps_store *s, int year, int64_t min,
		    int (*cb)(void *ctx, const char *post, int64_t serial), void *ctx) DP_WUR;

/*
 * ---- the archive's record copies (api_records.c, denpo/records.h) ----
 *
 * The schedule's state of each cable's record copy, as the archive's acts
 * changed it.  dps_records_get: DP_OK with *st, the first state (all ""
 * and 0) for a cable no act changed yet.  dps_records_put: inside the
 * caller's transaction (with the act's log entry; DP_EINVAL outside one),
 * st's texts as records.h bounds them, at `now`.
 */
int dps_records_get(dps_store *s, const uint8_t id[DP_CABLE_ID], dp_records_state *st) DP_WUR;
int dps_records_put(dps_store *s, const uint8_t id[DP_CABLE_ID], const dp_records_state *st,
		    int64_t now) DP_WUR;
/* The rows of records_state (denpod check: one per record copy an act changed). */
int dps_records_count(dps_store *s, int64_t *n) DP_WUR;
/* 1 if a and b say the same (field by field: what follows a string's NUL is not compared). */
int dps_records_same(const dp_records_state *a, const dp_records_state *b);
/*
 * The log index of each "records" entry of a cable (table records_log):
 * dps_records_log_add inside the transaction that appends the entry
 * (DP_EINVAL outside one), act its dp_records_act.  dps_records_log_each
 * calls cb with the indices in log order, at most max of them: when a
 * cable has more, the schedule's decisions (every act but read and export)
 * are all kept and the oldest reads and exports left out.
 */
int dps_records_log_add(dps_store *s, const uint8_t id[DP_CABLE_ID], int64_t idx, int act) DP_WUR;
int dps_records_log_each(dps_store *s, const uint8_t id[DP_CABLE_ID], size_t max,
			 int (*cb)(void *ctx, int64_t idx), void *ctx) DP_WUR;
/*
 * The cables device is a recipient of whose state changed (a records entry
 * of a state-changing act: propose, approve, hold, release, destroy) at a
 * log index > after: cb with each cable's id, MRN and its latest such
 * index, in increasing order of that index, at most max (GET
 * /v1/records/changes: the next page starts after the last index given).
 */
int dps_records_changes(dps_store *s, const uint8_t device[32], int64_t after, size_t max,
			int (*cb)(void *ctx, const uint8_t id[DP_CABLE_ID], const char *mrn, int64_t idx),
			void *ctx) DP_WUR;

#endif
