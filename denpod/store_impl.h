/*
 * denpod/store_impl.h - what the store's files share (private to them):
 * the handle, the row iterator and the column helpers.  The store is
 * written once against denpod/db.h; every query is numbered (?1 ?2 ...)
 * and in the SQL both SQLite and PostgreSQL read.  What differs by
 * database lives in store.c alone: the schema (dps_schema) and the text of
 * the few statements that name a SQLite index (DPS_SQL_HINTED, dps_sql).
 *
 * The files, by table group:
 *   store.c         open, schema, transactions, snapshots, meta, names
 *   store_dir.c     posts, collectives, officers, devices, directory cache
 *   store_keys.c    epoch key records (publication, windows, retirement)
 *   store_cable.c   cables, deliveries (receipts), inbox, sent, archive,
 *                   overdue, queue statistics, damage reads of cables
 *   store_log.c     the transparency log: entries, tiles, checkpoints,
 *                   cosignatures, rollbacks, recoveries
 *   store_detect.c  containment steps, two-operator approvals, decoys,
 *                   the devices detection follows
 *   store_backup.c  online backup, integrity checks, MRN skip/merge/high
 *   store_migrate.c the table list's copy into an empty PostgreSQL (denpod migrate)
 *   store_oper.c    the console's operators (name, password hash)
 */
#ifndef DENPOD_STORE_IMPL_H
#define DENPOD_STORE_IMPL_H

#include <stdint.h>

#include "denpo/cable.h"
#include "denpo/envelope.h"
#include "denpod/db.h"
#include "denpod/dircache.h"
#include "denpod/segment.h"
#include "denpod/store.h"

struct dps_store {
	dpdb *db;
	int in_txn;          /* inside dps_begin (a write transaction; not a snapshot) */
	int in_sp;           /* inside dps_savepoint */
	int64_t log_next;    /* in a transaction: the next log index; -1 = not read yet */
	int64_t sp_log_next; /* log_next at dps_savepoint */
	dpdc *cache;         /* directory rows; NULL unless dps_dir_cache */
	int64_t dirver;      /* directory version the cache holds; -1: none yet */
	int64_t dir_read_ns; /* CLOCK_MONOTONIC when dirver was last read (dps_dir_sync_recent) */
	int64_t dir_window_ns; /* dps_dir_sync_recent's window (dps_dir_window) */
	int dir_stale;       /* dps_dir_stale since: the next dps_dir_sync_recent reads */
	/*
	 * The cable bodies' segments (denpod/segment.h): a SQLite store's; NULL
	 * on PostgreSQL, which keeps them in cables.data (its own storage).
	 * The one switch between the two: store_cable.c's body functions.
	 */
	dpseg *seg;
};

/*
 * A statement whose SQLite text names an index (without statistics the
 * planner would pick a worse one) and whose standard text does not.
 */
typedef struct {
	const char *sqlite, *std;
} dps_hinted;
#define DPS_SQL_HINTED(head, index, tail) { head " INDEXED BY " index " " tail, head " " tail }
/* The prepared statement of q's text for this store's database. */
dpdb_stmt *dps_sql(dps_store *s, const dps_hinted *q);

/*
 * The row iterator: each row of st (bound by the caller) to row(st, ctx)
 * until row returns nonzero; resets st.  Returns DP_OK, row's first
 * nonzero return, or the step's DP_E* code.  st NULL (a failed prepare):
 * DP_ESTORE.
 */
int dps_rows(dpdb_stmt *st, int (*row)(dpdb_stmt *st, void *ctx), void *ctx);
/*
 * The first row only: row(st, ctx) (row may be NULL: existence only);
 * DP_ENOTFOUND if there is none.  Resets st.
 */
int dps_row1(dpdb_stmt *st, int (*row)(dpdb_stmt *st, void *ctx), void *ctx);
/* Column 0 of the first row as an integer: *v = dflt if there is no row or it is NULL. */
int dps_int(dpdb_stmt *st, int64_t dflt, int64_t *v);
/*
 * Binds a row count to a LIMIT parameter: n past INT64_MAX (SIZE_MAX: "all")
 * binds INT64_MAX.  Never a cast: (int64_t)SIZE_MAX is -1, which SQLite reads
 * as no limit and PostgreSQL refuses (SQLSTATE 2201W).
 */
void dps_bind_limit(dpdb_stmt *st, int idx, uint64_t n);
/* An INSERT ... RETURNING one integer (the new row's key), run to completion. */
int dps_returning(dpdb_stmt *st, int64_t *id);

/* Column helpers (a NULL or short column reads as empty / zeros). */
void dps_col_text(dpdb_stmt *st, int i, char *out, size_t cap);
void dps_col_blob(dpdb_stmt *st, int i, uint8_t *out, size_t n);
int64_t dps_col_i64_or_neg(dpdb_stmt *st, int i);

/*
 * A write in its own transaction unless the caller has one (with its log
 * entry): dps_own_begin says whether it began one, dps_own_end commits it
 * (r = DP_OK) or rolls it back, and returns r or the commit's code.
 */
int dps_own_begin(dps_store *s, int *own);
int dps_own_end(dps_store *s, int own, int r);

/*
 * A body kept in a segment (seg, off; size bytes) into out: what
 * `denpod migrate` and the backup's copy move into the data column.
 */
int dps_cable_body_at(dps_store *s, int64_t seg, int64_t off, int64_t size, dp_buf *out) DP_WUR;
/* The segments' place for this transaction's first body, as meta DPSEG_META recorded it. */
int dps_segment_place(dps_store *s) DP_WUR;
/* The largest body a cable may have (the framing, the envelope, the payload). */
#define DPS_BODY_MAX ((size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4)

/* PostgreSQL's schema, made inside the caller's transaction (DP_EINVAL outside one). */
int dps_schema_pg_make(dps_store *s) DP_WUR;

/* Row readers shared between files. */
void dps_officer_row(dpdb_stmt *st, int i, dps_officer *o);
void dps_device_row(dpdb_stmt *st, int i, dps_device *d);
int dps_device_windows(dps_store *s, dps_device *d);
void dps_cable_row(dpdb_stmt *st, int i, dps_cable *c);
void dps_rcpt_row(dpdb_stmt *st, int i, dps_rcpt *r);
/* dps_cable_row's columns, and RCPT's after them (11..16) for joins d/c. */
/* dps_queue_stats's query (?1: now), for the test that checks its plan reads no cable but decoys */
extern const char dps_sql_queue_stats[];

#define DPS_CABLE_COLS "seq,cable_id,mrn,from_post,from_device,officer,classification,prec_action," \
		       "prec_info,accepted,size"
#define DPS_CABLE_RCPT_COLS "c.seq,c.cable_id,c.mrn,c.from_post,c.from_device,c.officer," \
			    "c.classification,c.prec_action,c.prec_info,c.accepted,c.size," \
			    "d.device,d.role,d.prec,d.delivered,d.acked,d.epoch"
#define DPS_CABLE_RCPT_COL 11
/* Cables (with a recipient row: cb2) from a query of DPS_CABLE_COLS (DPS_CABLE_RCPT_COLS). */
int dps_cable_rows(dpdb_stmt *st, int (*cb)(void *ctx, const dps_cable *c), void *ctx);
int dps_cable_rcpt_rows(dpdb_stmt *st, int (*cb)(void *ctx, const dps_cable *c, const dps_rcpt *r),
			void *ctx);

#endif
