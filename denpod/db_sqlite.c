/*
 * denpod/db_sqlite.c - the SQLite driver of denpod/db.h: one file, WAL,
 * synchronous=FULL (a commit is on the disk when dpdb_commit returns), a
 * busy timeout (the admin commands write the same file from another
 * process), foreign keys on, a 64 MiB page cache.  A file it creates is
 * 0600 from the start (SQLite would create it with the umask's mode; its
 * -wal and -shm take the database file's mode).
 *
 * Errors: SQLITE_CONSTRAINT (any constraint, as the store has always read
 * it) is DP_EEXISTS; a full disk (SQLITE_FULL, or an I/O error whose errno
 * is ENOSPC or EDQUOT) is DP_ENOSPC, said with what the operator does
 * next; SQLITE_CORRUPT and SQLITE_NOTADB set the corrupt flag; anything
 * else is DP_ESTORE with SQLite's message on the switch's log.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "denpod/db_driver.h"
#include "denpod/db_sqlite.h"
#include "denpod/say.h"

/* Savepoint names by depth (db.c counts; see db_driver.h). */
#define SQ_SP_MAX 4

enum { SQ_BEGIN, SQ_BEGIN_READ, SQ_COMMIT, SQ_ROLLBACK, SQ_NFIXED };

struct sq_db {
	struct dpdb h;
	sqlite3 *db;
	/* the transaction statements, prepared once: a batch runs several per op */
	sqlite3_stmt *fixed[SQ_NFIXED];
	sqlite3_stmt *sp[SQ_SP_MAX], *sp_release[SQ_SP_MAX], *sp_rollback[SQ_SP_MAX];
};

struct sq_stmt {
	struct dpdb_stmt h;
	sqlite3_stmt *st;
};

static struct sq_db *D(struct dpdb *db) { return (struct sq_db *)db; }
static struct sq_stmt *S(struct dpdb_stmt *st) { return (struct sq_stmt *)st; }

/*
 * Set once by the network process before it opens a store (and before its
 * threads): its sandbox forbids files outside the data directory (sandbox.h),
 * where SQLite would put a savepoint's journal past 64 KiB or a large sort.
 * Other commands keep SQLite's default (such files in /var/tmp), so a
 * migration's CREATE INDEX over millions of rows does not sort in memory.
 */
static int temp_in_memory;

void dpdb_sqlite_temp_in_memory(void)
{
	temp_in_memory = 1;
}

struct sqlite3 *dpdb_sqlite_handle(dpdb *db)
{
	return db && db->kind == DPDB_SQLITE ? D(db)->db : NULL;
}

/*
 * The DP_E* code of a failed SQLite call, said on the switch's log (one
 * line per distinct failure and period: every request meets the same
 * fault).  A full disk is its own code, never a "retry": SQLite rolls back
 * what it could not write, so nothing committed before is touched.
 */
static int sq_fail(struct sq_db *d, int rc, const char *msg)
{
	int prim = rc & 0xff;
	d->h.corrupt = prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB;
	if (prim == SQLITE_CONSTRAINT)
		return DP_EEXISTS;
	int e = sqlite3_system_errno(d->db);
	if (prim == SQLITE_FULL || (prim == SQLITE_IOERR && (e == ENOSPC || e == EDQUOT))) {
		const char *path = sqlite3_db_filename(d->db, "main");
		dpd_say("denpod: store: the disk holding %s is full (%s): the switch refuses whatever it "
			"would write (507 disk_full) until its operator frees space there; what it "
			"accepted before is kept", path && *path ? path : "the database", msg);
		return DP_ENOSPC;
	}
	if (prim == SQLITE_NOMEM)
		return DP_ENOMEM;
	dpd_say("denpod: store: %s", msg);
	return DP_ESTORE;
}

static int sq_err(struct sq_db *d, int rc) { return sq_fail(d, rc, sqlite3_errmsg(d->db)); }

static int sq_exec(struct dpdb *db, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(D(db)->db, sql, NULL, NULL, &err);
	int r = DP_OK;
	if (rc != SQLITE_OK)
		r = sq_fail(D(db), rc, err ? err : sqlite3_errmsg(D(db)->db));
	sqlite3_free(err);
	return r;
}

static sqlite3_stmt *sq_prep(struct sq_db *d, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(d->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		(void)sq_err(d, rc);
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

static void sq_close(struct dpdb *db)
{
	struct sq_db *d = D(db);
	for (int i = 0; i < SQ_NFIXED; i++)
		sqlite3_finalize(d->fixed[i]);
	for (int i = 0; i < SQ_SP_MAX; i++) {
		sqlite3_finalize(d->sp[i]);
		sqlite3_finalize(d->sp_release[i]);
		sqlite3_finalize(d->sp_rollback[i]);
	}
	sqlite3_close(d->db);
	free(d);
}

/* Created here, 0600, if it is missing and flags say create. */
static int sq_create(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "denpod: cannot open database %s: %s\n", path, strerror(errno));
		return errno == ENOSPC || errno == EDQUOT ? DP_ENOSPC : DP_ESTORE;
	}
	close(fd);
	return DP_OK;
}

static int sq_open(struct dpdb **out, const char *path, int flags)
{
	if ((flags & DPDB_CREATE) && !(flags & DPDB_READONLY) && access(path, F_OK) != 0) {
		int r = sq_create(path);
		if (r)
			return r;
	}
	struct sq_db *d = calloc(1, sizeof *d);
	if (!d)
		return DP_ENOMEM;
	int oflags = SQLITE_OPEN_NOMUTEX | ((flags & DPDB_READONLY) ? SQLITE_OPEN_READONLY
								    : SQLITE_OPEN_READWRITE);
	if (sqlite3_open_v2(path, &d->db, oflags, NULL) != SQLITE_OK) {
		fprintf(stderr, "denpod: cannot open database %s: %s\n", path,
			d->db ? sqlite3_errmsg(d->db) : "out of memory");
		sqlite3_close(d->db);
		free(d);
		return DP_ESTORE;
	}
	sqlite3_busy_timeout(d->db, 10000);
	int r = sq_exec(&d->h, (flags & DPDB_READONLY)
				       ? "PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;"
				       : "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
					 "PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;");
	if (!r && temp_in_memory)
		r = sq_exec(&d->h, "PRAGMA temp_store=MEMORY;");
	static const char *const fixed[SQ_NFIXED] = {
		[SQ_BEGIN] = "BEGIN IMMEDIATE",
		[SQ_BEGIN_READ] = "BEGIN DEFERRED",
		[SQ_COMMIT] = "COMMIT",
		[SQ_ROLLBACK] = "ROLLBACK",
	};
	for (int i = 0; !r && i < SQ_NFIXED; i++)
		if (!(d->fixed[i] = sq_prep(d, fixed[i])))
			r = DP_ESTORE;
	if (r) {
		sq_close(&d->h);
		return r;
	}
	*out = &d->h;
	return DP_OK;
}

static struct dpdb_stmt *sq_prepare(struct dpdb *db, const char *sql)
{
	struct sq_stmt *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	if (!(s->st = sq_prep(D(db), sql))) {
		free(s);
		return NULL;
	}
	return &s->h;
}

static void sq_finalize(struct dpdb_stmt *st)
{
	sqlite3_finalize(S(st)->st);
	free(st);
}

static int sq_bound(struct dpdb_stmt *st, int rc)
{
	if (rc == SQLITE_OK)
		return DP_OK;
	return rc == SQLITE_NOMEM ? DP_ENOMEM : sq_err(D(st->db), rc);
}

static int sq_bind_i64(struct dpdb_stmt *st, int i, int64_t v)
{
	return sq_bound(st, sqlite3_bind_int64(S(st)->st, i, v));
}

static int sq_bind_text(struct dpdb_stmt *st, int i, const char *s)
{
	return sq_bound(st, sqlite3_bind_text(S(st)->st, i, s, -1, SQLITE_TRANSIENT));
}

static int sq_bind_blob(struct dpdb_stmt *st, int i, const void *p, size_t n)
{
	/* an empty blob is not NULL: SQLite binds a NULL pointer as SQL NULL */
	static const uint8_t none;
	return sq_bound(st, sqlite3_bind_blob64(S(st)->st, i, p ? p : &none, n, SQLITE_TRANSIENT));
}

static int sq_bind_null(struct dpdb_stmt *st, int i)
{
	return sq_bound(st, sqlite3_bind_null(S(st)->st, i));
}

static int sq_step(struct dpdb_stmt *st)
{
	struct sq_db *d = D(st->db);
	int rc = sqlite3_step(S(st)->st);
	if (rc == SQLITE_ROW)
		return DPDB_ROW;
	if (rc == SQLITE_DONE) {
		d->h.changes = sqlite3_changes64(d->db);
		return DPDB_DONE;
	}
	return sq_err(d, rc);
}

static void sq_reset(struct dpdb_stmt *st)
{
	sqlite3_reset(S(st)->st);
	sqlite3_clear_bindings(S(st)->st);
}

static int sq_col_null(struct dpdb_stmt *st, int i)
{
	return sqlite3_column_type(S(st)->st, i) == SQLITE_NULL;
}

static int64_t sq_col_i64(struct dpdb_stmt *st, int i)
{
	return sqlite3_column_int64(S(st)->st, i);
}

static const char *sq_col_text(struct dpdb_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(S(st)->st, i);
}

static const uint8_t *sq_col_blob(struct dpdb_stmt *st, int i, size_t *n)
{
	const uint8_t *p = sqlite3_column_blob(S(st)->st, i);
	*n = p ? (size_t)sqlite3_column_bytes(S(st)->st, i) : 0;
	return p;
}

/* Runs one of the connection's own statements to completion. */
static int sq_run(struct sq_db *d, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? DP_OK : sq_err(d, rc);
}

static int sq_begin(struct dpdb *db, int read)
{
	return sq_run(D(db), D(db)->fixed[read ? SQ_BEGIN_READ : SQ_BEGIN]);
}

static void sq_rollback(struct dpdb *db)
{
	if (!sqlite3_get_autocommit(D(db)->db))
		(void)sq_run(D(db), D(db)->fixed[SQ_ROLLBACK]);
}

static int sq_commit(struct dpdb *db)
{
	int r = sq_run(D(db), D(db)->fixed[SQ_COMMIT]);
	if (r)
		sq_rollback(db);
	return r;
}

/* The savepoint statement of depth i (0: outermost), prepared at first use. */
static sqlite3_stmt *sq_sp(struct sq_db *d, sqlite3_stmt **slot, const char *verb, int i)
{
	if (i < 0 || i >= SQ_SP_MAX)
		return NULL;
	if (!slot[i]) {
		char sql[48];
		snprintf(sql, sizeof sql, "%s sp%d", verb, i);
		slot[i] = sq_prep(d, sql);
	}
	return slot[i];
}

/* db.c calls it with h.in_sp = the new savepoint's depth (0 for the first). */
static int sq_savepoint(struct dpdb *db)
{
	sqlite3_stmt *st = sq_sp(D(db), D(db)->sp, "SAVEPOINT", db->in_sp);
	return st ? sq_run(D(db), st) : DP_EINVAL;
}

/* db.c calls it with h.in_sp = the depth of the savepoint being ended. */
static int sq_savepoint_end(struct dpdb *db, int keep)
{
	struct sq_db *d = D(db);
	int r = DP_OK;
	if (!keep) {
		sqlite3_stmt *st = sq_sp(d, d->sp_rollback, "ROLLBACK TO", db->in_sp);
		r = st ? sq_run(d, st) : DP_EINVAL;
	}
	sqlite3_stmt *st = sq_sp(d, d->sp_release, "RELEASE", db->in_sp);
	int r2 = st ? sq_run(d, st) : DP_EINVAL;
	return r ? r : r2;
}

static int sq_relax_sync(struct dpdb *db) { return sq_exec(db, "PRAGMA synchronous=NORMAL"); }

const struct dpdb_driver dpdb_sqlite_driver = {
	.kind = DPDB_SQLITE,
	.open = sq_open,
	.close = sq_close,
	.exec = sq_exec,
	.prepare = sq_prepare,
	.finalize = sq_finalize,
	.bind_i64 = sq_bind_i64,
	.bind_text = sq_bind_text,
	.bind_blob = sq_bind_blob,
	.bind_null = sq_bind_null,
	.step = sq_step,
	.reset = sq_reset,
	.col_null = sq_col_null,
	.col_i64 = sq_col_i64,
	.col_text = sq_col_text,
	.col_blob = sq_col_blob,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.savepoint = sq_savepoint,
	.savepoint_end = sq_savepoint_end,
	.relax_sync = sq_relax_sync,
};
