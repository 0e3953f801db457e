/*
 * denpod/store_backup.c - the whole database at once: the online backup,
 * the database's own integrity checks, its tables, the page cache's size,
 * and the MRN counters a restore moves past what the backup had (skip,
 * merge from the old file, the counters near their end).
 *
 * Backup, checks, tables, cache and merge are SQLite's own (through
 * denpod/db_sqlite.h); on another database they answer DP_EUNSUPP: its
 * backup and checks are the database server's (pg_basebackup, amcheck).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "denpod/cable_rules.h"
#include "denpod/db_sqlite.h"
#include "denpod/say.h"
#include "denpod/store_impl.h"

#define STR_(x) #x
#define STR(x) STR_(x)

int dps_db_check(dps_store *s, int full, const char *table,
		 void (*cb)(void *ctx, const char *line), void *ctx)
{
	sqlite3 *db = dpdb_sqlite_handle(s->db);
	if (!db)
		return DP_EUNSUPP;
	/* a name from sqlite_master, quoted as an identifier ("" doubled) */
	char *sql = table ? sqlite3_mprintf("PRAGMA %s(\"%w\")", full ? "integrity_check" : "quick_check",
					    table)
			  : sqlite3_mprintf("PRAGMA %s(100)", full ? "integrity_check" : "quick_check");
	sqlite3_stmt *st = NULL;
	/* one-off (a table's name is in the text): not in the connection's statement cache */
	if (!sql || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite3_free(sql);
		cb(ctx, sqlite3_errmsg(db)); /* a schema SQLite cannot read is damage too */
		return DP_ESTATE;
	}
	sqlite3_free(sql);
	int rc, r = DP_OK;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(st, 0);
		if (line && strcmp(line, "ok") == 0)
			continue;
		cb(ctx, line ? line : "(a problem without text)");
		r = DP_ESTATE;
	}
	if (rc != SQLITE_DONE) {
		cb(ctx, sqlite3_errmsg(db));
		r = DP_ESTATE;
	}
	sqlite3_finalize(st);
	return r;
}

int dps_db_tables(dps_store *s, int (*cb)(void *ctx, const char *name), void *ctx)
{
	if (dpdb_kind(s->db) != DPDB_SQLITE)
		return DP_EUNSUPP;
	return dps_schema_tables(s, cb, ctx);
}

int dps_cache_small(dps_store *s)
{
	if (dpdb_kind(s->db) != DPDB_SQLITE)
		return DP_OK; /* the server's cache is the server's: nothing of this process to shrink */
	return dpdb_exec(s->db, "PRAGMA cache_size=-2048");
}

/*
 * The copy's bodies kept in segments (denpod/segment.h) moved into its data
 * column: a backup is one file whatever the store keeps beside it, and a
 * restored switch reads them there (as a database from before segments).
 * Consistent with the copied rows: each body was synced before its row
 * committed, and a segment is never written below its end, so the bytes
 * read now are the bytes the snapshot's rows point at.  By seq, a few
 * hundred rows a statement, one transaction (the copy has no journal).
 */
#define INLINE_ROWS 256

static int inline_bodies(dps_store *s, sqlite3 *dst)
{
	sqlite3_stmt *rd = NULL, *up = NULL;
	dp_buf body;
	dp_buf_init(&body, DPS_BODY_MAX);
	int r = DP_OK;
	/*
	 * and no place in the segments: a restored copy appends after every
	 * segment there is, never over bytes the database it replaces points at
	 */
	if (sqlite3_exec(dst, "BEGIN; DELETE FROM meta WHERE k='" DPSEG_META "'", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(dst, "SELECT seq, seg, off, size FROM cables WHERE seq>?1 AND seg IS NOT "
				    "NULL ORDER BY seq LIMIT " STR(INLINE_ROWS), -1, &rd, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(dst, "UPDATE cables SET data=?1, seg=NULL, off=NULL WHERE seq=?2", -1, &up,
			       NULL) != SQLITE_OK)
		r = DP_ESTORE;
	int64_t after = -1, seqs[INLINE_ROWS], where[INLINE_ROWS][3];
	for (size_t n = INLINE_ROWS; !r && n == INLINE_ROWS;) {
		n = 0;
		sqlite3_bind_int64(rd, 1, after);
		int rc;
		while ((rc = sqlite3_step(rd)) == SQLITE_ROW) {
			seqs[n] = sqlite3_column_int64(rd, 0);
			for (int k = 0; k < 3; k++)
				where[n][k] = sqlite3_column_int64(rd, k + 1);
			n++;
		}
		sqlite3_reset(rd);
		if (rc != SQLITE_DONE)
			r = DP_ESTORE;
		for (size_t i = 0; i < n && !r; i++) {
			/* a segment cut short copies as what it has: the restored switch's checks report it */
			r = dps_cable_body_at(s, where[i][0], where[i][1], where[i][2], &body);
			if (r)
				break;
			sqlite3_bind_blob(up, 1, body.p ? (const void *)body.p : "", (int)body.len, SQLITE_STATIC);
			sqlite3_bind_int64(up, 2, seqs[i]);
			rc = sqlite3_step(up);
			sqlite3_reset(up);
			if (rc != SQLITE_DONE) {
				int full = (rc & 0xff) == SQLITE_FULL || sqlite3_system_errno(dst) == ENOSPC;
				r = full ? DP_ENOSPC : DP_ESTORE;
			}
			after = seqs[i];
		}
	}
	if (r == DP_ESTORE)
		dpd_say("denpod: backup: the cable bodies could not be copied: %s", sqlite3_errmsg(dst));
	sqlite3_finalize(rd);
	sqlite3_finalize(up);
	if (sqlite3_exec(dst, r ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL) != SQLITE_OK && !r)
		r = DP_ESTORE;
	dp_buf_free(&body);
	return r;
}

int dps_backup(dps_store *s, const char *path)
{
	sqlite3 *src = dpdb_sqlite_handle(s->db);
	if (!src)
		return DP_EUNSUPP;
	/* made here 0600 and new: SQLite would create it with the umask's mode */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? DP_EEXISTS : errno == ENOSPC || errno == EDQUOT ? DP_ENOSPC : DP_EIO;
	close(fd);
	sqlite3 *dst = NULL;
	int r = DP_OK;
	if (sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		dpd_say("denpod: backup: cannot open %s: %s", path, dst ? sqlite3_errmsg(dst) : "out of memory");
		r = DP_EIO;
	}
	/* a new file, fsynced below: no journal, no sync per page (a failure removes it) */
	if (!r && sqlite3_exec(dst, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF", NULL, NULL,
			       NULL) != SQLITE_OK) {
		dpd_say("denpod: backup: %s", sqlite3_errmsg(dst));
		r = DP_ESTORE;
	}
	sqlite3_backup *b = r ? NULL : sqlite3_backup_init(dst, "main", src, "main");
	if (!r && !b) {
		dpd_say("denpod: backup: %s", sqlite3_errmsg(dst));
		r = DP_ESTORE;
	}
	if (b) {
		/* every page in one step: one read transaction of the source, one snapshot */
		int rc = sqlite3_backup_step(b, -1);
		int e = sqlite3_system_errno(dst);
		sqlite3_backup_finish(b);
		if (rc != SQLITE_DONE) {
			int full = (rc & 0xff) == SQLITE_FULL || e == ENOSPC || e == EDQUOT;
			dpd_say("denpod: backup: the copy of the database failed: %s%s", sqlite3_errstr(rc),
				full ? " (the disk holding the backup is full)" : "");
			r = full ? DP_ENOSPC : DP_ESTORE;
		}
	}
	if (!r && s->seg)
		r = inline_bodies(s, dst);
	/* the copy is in rollback-journal mode here: closing leaves no -wal or -shm beside it */
	if (sqlite3_close(dst) != SQLITE_OK && !r)
		r = DP_EIO;
	if (!r) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fsync(fd))
			r = errno == ENOSPC || errno == EDQUOT ? DP_ENOSPC : DP_EIO;
		if (fd >= 0)
			close(fd);
	}
	if (r)
		unlink(path);
	return r;
}

/* ---- MRN counters after a restore ---- */

int dps_mrn_skip(dps_store *s, uint64_t n, int year, uint64_t *rows)
{
	if (!s->in_txn)
		return DP_EINVAL;
	if (rows)
		*rows = 0;
	int64_t k = n > DPR_MRN_END ? DPR_MRN_END : (int64_t)n;
	static const char *const sql[] = {
		"UPDATE mrn SET next = CASE WHEN next + ?1 < " STR(DPR_MRN_END) " THEN next + ?1 ELSE "
		STR(DPR_MRN_END) " END",
		/* a post that sent nothing this year in the backup may have after it */
		"INSERT INTO mrn(post,year,next) SELECT name, ?2, CASE WHEN 1 + ?1 < " STR(DPR_MRN_END)
		" THEN 1 + ?1 ELSE " STR(DPR_MRN_END) " END "
		"FROM posts WHERE name NOT IN (SELECT post FROM mrn WHERE year = ?2)",
	};
	int r = DP_OK;
	for (size_t i = 0; i < sizeof sql / sizeof sql[0] && !r; i++) {
		dpdb_stmt *st = dpdb_prepare(s->db, sql[i]);
		dpdb_bind_i64(st, 1, k);
		if (i)
			dpdb_bind_i64(st, 2, year);
		r = dpdb_run(st);
		if (!r && rows)
			*rows += (uint64_t)dpdb_changes(s->db);
	}
	return r;
}

int dps_mrn_merge(dps_store *s, const char *path, uint64_t *rows)
{
	if (!s->in_txn)
		return DP_EINVAL;
	*rows = 0;
	/* the old database is a SQLite file whatever this one is */
	dpdb *old = NULL;
	int r = dpdb_open(&old, path, DPDB_READONLY);
	if (r || dpdb_kind(old) != DPDB_SQLITE) {
		dpdb_close(old);
		return DP_ESTORE;
	}
	dpdb_stmt *rd = dpdb_prepare(old, "SELECT post, year, next FROM mrn");
	int rc;
	while (!r && (rc = dpdb_step(rd)) == DPDB_ROW) {
		dpdb_stmt *up = dpdb_prepare(s->db, "INSERT INTO mrn(post,year,next) VALUES(?1,?2,?3) "
						    "ON CONFLICT(post,year) DO UPDATE SET next = "
						    "excluded.next WHERE excluded.next > mrn.next");
		dpdb_bind_text(up, 1, dpdb_col_text(rd, 0));
		dpdb_bind_i64(up, 2, dpdb_col_i64(rd, 1));
		dpdb_bind_i64(up, 3, dpdb_col_i64(rd, 2));
		r = dpdb_run(up);
		if (!r)
			*rows += (uint64_t)dpdb_changes(s->db);
	}
	if (!r && rc != DPDB_DONE)
		r = DP_ESTORE; /* the old database cannot be read whole: the caller falls back */
	dpdb_reset(rd);
	dpdb_close(old);
	return r;
}

struct high {
	char *out;
	size_t cap, len;
};

static int high_row(dpdb_stmt *st, void *ctx)
{
	struct high *h = ctx;
	const char *post = dpdb_col_text(st, 0);
	int n = snprintf(h->out + h->len, h->cap - h->len, "%s%s %lld (next %06lld)", h->len ? ", " : "",
			 post ? post : "", (long long)dpdb_col_i64(st, 1), (long long)dpdb_col_i64(st, 2));
	if (n < 0 || (size_t)n >= h->cap - h->len) {
		h->out[h->len] = 0;
		return 1; /* the list is cut short: the warning still names the first */
	}
	h->len += (size_t)n;
	return DP_OK;
}

int dps_mrn_high(dps_store *s, int64_t above, char *out, size_t cap)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT post, year, next FROM mrn WHERE next > ?1 "
					    "ORDER BY post, year");
	dpdb_bind_i64(st, 1, above);
	out[0] = 0;
	struct high h = {out, cap, 0};
	int r = dps_rows(st, high_row, &h);
	return r == 1 ? DP_OK : r;
}
