/*
 * denpod/db.h - the SQL connection the store is written against: one small
 * interface, one driver per database (db_sqlite.c: SQLite 3 in a file;
 * db_pg.c: PostgreSQL 15 through libpq).  The store (denpod/store.h) holds
 * every rule and every query once; a driver only carries statements, rows
 * and transactions, so a third database is one more driver file and no
 * change to the store.
 *
 * Targets: "postgresql://..." or "postgres://..." (a libpq connection URI)
 * is PostgreSQL; anything else is the path of a SQLite file.
 *
 * SQL: the store writes the subset both databases read the same way
 * (standard joins, ON CONFLICT ... DO NOTHING / DO UPDATE, RETURNING,
 * CASE, COALESCE, CAST(?1 AS BIGINT) where a parameter's type is not
 * clear from its context).  Where the dialects differ (schema DDL, a
 * function such as SQLite's total() or hex()), the store picks the text by
 * dpdb_kind().  Parameters are numbered, ?1 ?2 ... (SQLite's own syntax;
 * the PostgreSQL driver rewrites them to $1 $2 ... once, at preparation);
 * a bare ? is refused by dpdb_prepare.  Integers are 64-bit (SQLite
 * INTEGER, PostgreSQL BIGINT; a boolean result reads as 0 or 1), text is
 * UTF-8, blobs are bytes (PostgreSQL BYTEA).
 *
 * Errors: every function that can fail returns DP_OK (or, dpdb_step, a row
 * count) or a negative DP_E* code: DP_EEXISTS for a unique or primary key
 * violation, DP_ENOSPC when the database's disk is full (nothing of the
 * statement was written), DP_ESTORE for any other failure, which the driver
 * says on the switch's log (denpod/say.h: one line per distinct failure
 * and period) with the database's own message.  A statement that failed
 * inside a PostgreSQL transaction aborts it: the caller rolls back (to
 * its savepoint) as it would after any DP_ESTORE.  No error text ever
 * holds a bound value.
 *
 * Threads: a connection and its statements belong to one thread at a
 * time.
 */
#ifndef DENPOD_DB_H
#define DENPOD_DB_H

#include <stddef.h>
#include <stdint.h>

#include "denpo/error.h"

typedef struct dpdb dpdb;
typedef struct dpdb_stmt dpdb_stmt;

enum dpdb_kind { DPDB_SQLITE = 1, DPDB_PG = 2 };

/* The driver a target names (see above); never fails. */
int dpdb_kind_of(const char *target);

enum {
	DPDB_CREATE = 1,   /* SQLite: create the file (0600) if missing; PostgreSQL: ignored */
	DPDB_READONLY = 2, /* open for reading only: every write fails with DP_ESTORE */
};

/*
 * Connects.  SQLite: WAL, synchronous=FULL, foreign keys on, a busy
 * timeout (other processes write the same file).  PostgreSQL:
 * synchronous_commit as the server sets it (on: a commit is durable, on
 * the standby too when it is synchronous).  DP_ESTORE (said with the
 * database's reason, never the password of a URI), DP_ENOMEM.
 */
int dpdb_open(dpdb **db, const char *target, int flags) DP_WUR;
/* Finalizes every cached statement and disconnects; NULL is a no-op. */
void dpdb_close(dpdb *db);
int dpdb_kind(const dpdb *db);
/* A target as messages may show it (a URI's password replaced by "***"), into out. */
void dpdb_redact(char *out, size_t cap, const char *target);
/* The target without any password (for messages): valid while db is open. */
const char *dpdb_target(const dpdb *db);

/*
 * SQL without parameters or rows: DDL, PRAGMA, several statements
 * separated by ';'.
 */
int dpdb_exec(dpdb *db, const char *sql) DP_WUR;

/*
 * The prepared statement of this text, cached per connection by the
 * text's content: the first call prepares it, later ones return the same
 * statement reset and with no bindings.  NULL on failure (said on the log;
 * a bare ? or an SQL error is a bug of the caller).  Reentrant: while the
 * rows of a statement are being read (its last dpdb_step gave DPDB_ROW and
 * it was not reset), asking for the same text again (a callback that runs
 * the same query) gives another statement, cached beside it.
 */
dpdb_stmt *dpdb_prepare(dpdb *db, const char *sql);

/*
 * A NULL statement (dpdb_prepare failed and said why) is accepted by every
 * function below: binds and resets do nothing, dpdb_step and dpdb_run
 * return DP_ESTORE; so a caller checks once, at the step.
 *
 * Parameters, from 1.  Values are copied.  text NULL binds SQL NULL.  A
 * bind that fails (index out of range, out of memory) is remembered: the
 * next dpdb_step returns DP_ESTORE (or DP_ENOMEM), so callers need not
 * check each bind.
 */
void dpdb_bind_i64(dpdb_stmt *st, int i, int64_t v);
void dpdb_bind_text(dpdb_stmt *st, int i, const char *s);
void dpdb_bind_blob(dpdb_stmt *st, int i, const void *p, size_t n);
void dpdb_bind_null(dpdb_stmt *st, int i);

enum { DPDB_DONE = 0, DPDB_ROW = 1 };
/*
 * The next row: DPDB_ROW (its columns readable until the next step or
 * reset), DPDB_DONE (no more; the statement has run to completion), or a
 * DP_E* code.
 */
int dpdb_step(dpdb_stmt *st);
/* Runs a statement to completion, rows (RETURNING) ignored, then resets it. */
int dpdb_run(dpdb_stmt *st) DP_WUR;
/* Ends the reading of rows and clears the bindings; the statement stays cached. */
void dpdb_reset(dpdb_stmt *st);

/* Columns of the current row, from 0.  A NULL reads as 0 / NULL / (NULL, 0). */
int dpdb_col_null(dpdb_stmt *st, int i);
int64_t dpdb_col_i64(dpdb_stmt *st, int i);
const char *dpdb_col_text(dpdb_stmt *st, int i);
const uint8_t *dpdb_col_blob(dpdb_stmt *st, int i, size_t *n);

/* Rows inserted, updated or deleted by the statement that last ran to completion. */
int64_t dpdb_changes(dpdb *db);

/*
 * Transactions, not nestable.  dpdb_begin: a write transaction (SQLite
 * BEGIN IMMEDIATE: the file's write lock now; PostgreSQL: READ COMMITTED,
 * the rows' locks as statements take them).  dpdb_begin_read: a read
 * snapshot (SQLite BEGIN DEFERRED; PostgreSQL REPEATABLE READ READ ONLY):
 * every read until dpdb_commit sees the same committed state.  dpdb_commit
 * returns when the commit is as durable as the connection's setting
 * (dpdb_relax_sync); a failed commit is rolled back.  dpdb_rollback never
 * fails (a connection that cannot roll back is closed and reopened by the
 * driver at its next use).
 */
int dpdb_begin(dpdb *db) DP_WUR;
int dpdb_begin_read(dpdb *db) DP_WUR;
int dpdb_commit(dpdb *db) DP_WUR;
void dpdb_rollback(dpdb *db);
int dpdb_in_txn(const dpdb *db);
/*
 * A savepoint inside a transaction; keep = 0 undoes everything since it.
 * Savepoints nest (at most DPDB_SP_MAX deep: a batch's op, a cable's
 * insert inside it); dpdb_savepoint_end ends the innermost.
 */
#define DPDB_SP_MAX 4
int dpdb_savepoint(dpdb *db) DP_WUR;
int dpdb_savepoint_end(dpdb *db, int keep) DP_WUR;
/*
 * Commits need not reach the disk before they return (SQLite
 * synchronous=NORMAL; PostgreSQL synchronous_commit=off): only for writes
 * derived from durable ones and recomputed identically if lost (the log's
 * tiles and checkpoints).
 */
int dpdb_relax_sync(dpdb *db) DP_WUR;
/*
 * How many warnings the server has sent on this connection so far
 * (PostgreSQL: a WARNING notice, e.g. a commit's wait for the synchronous
 * standby cancelled; each is also said on the log).  SQLite: always 0.
 * Compared before and after a statement, it says whether that statement
 * drew one.
 */
unsigned dpdb_warnings(dpdb *db);

/* 1 if the last failure on this connection was the database finding its files damaged. */
int dpdb_corrupt(const dpdb *db);

/*
 * Notifications from other connections (PostgreSQL LISTEN / NOTIFY), for
 * a connection opened for them alone (denpod/listen.h): nothing else runs
 * on it, so a notification is never held back behind a transaction.  A
 * NOTIFY is sent inside the committing transaction (dps_notify) and
 * delivered to listeners at its commit, never before and never for a
 * rollback.  SQLite has none: one process serves a SQLite switch and wakes
 * its own waiters, so these return DP_EUNSUPP (dpdb_fd: -1).
 *
 * dpdb_listen: LISTEN channel (lower-case letters and _, at most 63:
 * DP_EINVAL otherwise).  DP_ESTORE if the connection failed (said).
 * dpdb_fd: the socket to watch for readability; -1 when not connected.
 * dpdb_notifications: what has arrived, read without blocking, each to
 * cb(ctx, channel, payload) in the order sent.  DP_ESTORE when the
 * connection was lost (said): its LISTENs went with it, so the caller
 * closes it and opens another, and assumes it missed notifications.
 */
int dpdb_listen(dpdb *db, const char *channel) DP_WUR;
int dpdb_fd(const dpdb *db);
int dpdb_notifications(dpdb *db, void (*cb)(void *ctx, const char *channel, const char *payload),
		       void *ctx) DP_WUR;

#endif
