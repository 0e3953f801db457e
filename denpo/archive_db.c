/*
 * denpo/archive_db.c - the archive's store: HOME/archive/archive.db
 * (SQLite, 0600, in HOME/archive 0700), one row per record copy
 * (denpo/archive.h).  The row holds the record copy as the switch delivered
 * it (the submission: the signed envelope and the age ciphertext), its
 * cable-accepted log entry with the inclusion proof and checkpoint it came
 * with, the metadata the schedule needs, and the state the switch last
 * answered.  Never the subject or the text in clear.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "denpo/archive.h"
#include "denpo/encoding.h"

/* two-person destruction's proposal (records.h), added to an archive.db made before it */
#define DESTROY_COLS                                                                                 \
	", destroy_proposed_by TEXT NOT NULL DEFAULT '', destroy_proposed_at INTEGER NOT NULL DEFAULT 0," \
	" destroy_detail TEXT NOT NULL DEFAULT '', wipe_pending INTEGER NOT NULL DEFAULT 0"
static const char schema_destroy[] =
	"BEGIN;"
	"ALTER TABLE records ADD COLUMN destroy_proposed_by TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE records ADD COLUMN destroy_proposed_at INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE records ADD COLUMN destroy_detail TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE records ADD COLUMN wipe_pending INTEGER NOT NULL DEFAULT 0;"
	"COMMIT;";

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA secure_delete=ON;" /* a destroyed copy's pages are zeroed, not left in free space */
	"CREATE TABLE IF NOT EXISTS records ("
	" cable_id TEXT PRIMARY KEY,"
	" mrn TEXT NOT NULL UNIQUE,"
	" post TEXT NOT NULL,"
	" classification TEXT NOT NULL,"
	" captions TEXT NOT NULL,"
	" precedence TEXT NOT NULL,"
	" created INTEGER NOT NULL,"
	" accepted INTEGER NOT NULL,"
	" tags TEXT NOT NULL,"
	" declassify_on TEXT NOT NULL,"
	" declassify_event TEXT NOT NULL,"
	" retention TEXT NOT NULL,"
	" retention_end INTEGER NOT NULL,"
	" log_index INTEGER NOT NULL,"
	" log_entry BLOB,"
	" log_proof BLOB,"
	" checkpoint TEXT,"
	" envelope_hash BLOB NOT NULL,"
	" size INTEGER NOT NULL,"
	" copy BLOB,"
	" proposed_by TEXT NOT NULL DEFAULT '', proposed_at INTEGER NOT NULL DEFAULT 0,"
	" approved_by TEXT NOT NULL DEFAULT '', declassified_at INTEGER NOT NULL DEFAULT 0,"
	" held_by TEXT NOT NULL DEFAULT '', held_at INTEGER NOT NULL DEFAULT 0,"
	" hold_reason TEXT NOT NULL DEFAULT '',"
	" destroyed_by TEXT NOT NULL DEFAULT '', destroyed_at INTEGER NOT NULL DEFAULT 0,"
	" ingested INTEGER NOT NULL" DESTROY_COLS ");"
	"CREATE INDEX IF NOT EXISTS records_created ON records(created);"
	/* what the device keeps besides the rows: the changes cursor (archive_db_cursor) */
	"CREATE TABLE IF NOT EXISTS archive_meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);";

#define COLS                                                                                         \
	"cable_id, mrn, post, classification, captions, precedence, created, accepted, tags,"        \
	" declassify_on, declassify_event, retention, retention_end, log_index, envelope_hash, size," \
	" proposed_by, proposed_at, approved_by, declassified_at, held_by, held_at, hold_reason,"    \
	" destroyed_by, destroyed_at, ingested, destroy_proposed_by, destroy_proposed_at,"          \
	" destroy_detail, copy IS NOT NULL OR wipe_pending != 0"

static int fail(sqlite3 *db, char *why, size_t whycap, const char *what)
{
	if (why)
		snprintf(why, whycap, "%s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
	return DP_EIO;
}

int archive_db_open(cli_ctx *x, archive_db *a, char *why, size_t whycap)
{
	a->db = NULL;
	int r = archive_mkdir(x);
	if (r) {
		snprintf(why, whycap, "cannot create %s/archive (mode 0700)", x->home);
		return r;
	}
	char p[PATH_MAX];
	archive_path(x, "archive.db", p);
	/* created 0600 before SQLite opens it: a record copy is never world-readable, even briefly */
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(why, whycap, "cannot open %s", p);
		return DP_EIO;
	}
	fchmod(fd, 0600);
	close(fd);
	mode_t old = umask(077); /* its -wal and -shm files too */
	int rc = sqlite3_open_v2(p, &a->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	umask(old);
	if (rc != SQLITE_OK) {
		r = fail(a->db, why, whycap, "cannot open the archive database");
		archive_db_close(a);
		return r;
	}
	sqlite3_busy_timeout(a->db, 5000);
	if (sqlite3_exec(a->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		r = fail(a->db, why, whycap, "cannot create the archive's tables");
		archive_db_close(a);
		return r;
	}
	sqlite3_stmt *st = NULL;
	int have = 0;
	if (sqlite3_prepare_v2(a->db, "SELECT count(*) FROM pragma_table_info('records') WHERE "
				      "name='destroy_proposed_by'", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		have = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (!have && sqlite3_exec(a->db, schema_destroy, NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
		r = fail(a->db, why, whycap, "cannot add two-person destruction to the archive's table");
		archive_db_close(a);
		return r;
	}
	return DP_OK;
}

void archive_db_close(archive_db *a)
{
	if (a->db)
		sqlite3_close(a->db);
	a->db = NULL;
}

static sqlite3_stmt *prep(archive_db *a, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(a->db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	return st;
}

int archive_db_has(archive_db *a, const char *cable_id)
{
	sqlite3_stmt *st = prep(a, "SELECT 1 FROM records WHERE cable_id = ?");
	if (!st)
		return 0;
	sqlite3_bind_text(st, 1, cable_id, -1, SQLITE_STATIC);
	int has = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return has;
}

int archive_db_put(archive_db *a, const archive_row *r, const uint8_t *sub, size_t n,
		   const dp_log_incl *entry, const char *checkpoint, size_t cplen)
{
	sqlite3_stmt *st = prep(a, "INSERT INTO records (cable_id, mrn, post, classification, captions,"
				   " precedence, created, accepted, tags, declassify_on, declassify_event,"
				   " retention, retention_end, log_index, log_entry, log_proof, checkpoint,"
				   " envelope_hash, size, copy, ingested)"
				   " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	if (!st)
		return DP_EIO;
	int k = 1;
	sqlite3_bind_text(st, k++, r->cable_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, k++, r->mrn, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, k++, r->post, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, k++, r->classification, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, k++, r->captions, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, k++, r->precedence, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, k++, r->created);
	sqlite3_bind_int64(st, k++, r->accepted);
	sqlite3_bind_text(st, k++, r->tags, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, k++, r->declassify_on, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, k++, r->declassify_event, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, k++, r->retention, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, k++, r->retention_end);
	sqlite3_bind_int64(st, k++, r->log_index);
	if (entry && entry->present) {
		sqlite3_bind_blob(st, k++, entry->entry, (int)entry->entry_len, SQLITE_STATIC);
		sqlite3_bind_blob(st, k++, entry->proof, (int)(entry->nproof * DP_TLOG_HASH), SQLITE_STATIC);
	} else {
		sqlite3_bind_null(st, k++);
		sqlite3_bind_null(st, k++);
	}
	if (checkpoint)
		sqlite3_bind_text(st, k++, checkpoint, (int)cplen, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, k++);
	sqlite3_bind_blob(st, k++, r->envelope_hash, DP_SHA256, SQLITE_STATIC);
	sqlite3_bind_int64(st, k++, (sqlite3_int64)n);
	sqlite3_bind_blob(st, k++, sub, (int)n, SQLITE_STATIC);
	sqlite3_bind_int64(st, k++, r->ingested);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT)
		return DP_EEXISTS;
	return rc == SQLITE_DONE ? DP_OK : DP_EIO;
}

static void col_str(sqlite3_stmt *st, int i, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	snprintf(out, cap, "%s", t ? (const char *)t : "");
}

static void row_of(sqlite3_stmt *st, archive_row *r)
{
	memset(r, 0, sizeof *r);
	int k = 0;
	col_str(st, k++, r->cable_id, sizeof r->cable_id);
	col_str(st, k++, r->mrn, sizeof r->mrn);
	col_str(st, k++, r->post, sizeof r->post);
	col_str(st, k++, r->classification, sizeof r->classification);
	col_str(st, k++, r->captions, sizeof r->captions);
	col_str(st, k++, r->precedence, sizeof r->precedence);
	r->created = sqlite3_column_int64(st, k++);
	r->accepted = sqlite3_column_int64(st, k++);
	col_str(st, k++, r->tags, sizeof r->tags);
	col_str(st, k++, r->declassify_on, sizeof r->declassify_on);
	col_str(st, k++, r->declassify_event, sizeof r->declassify_event);
	col_str(st, k++, r->retention, sizeof r->retention);
	r->retention_end = sqlite3_column_int64(st, k++);
	r->log_index = sqlite3_column_int64(st, k++);
	if (sqlite3_column_bytes(st, k) == DP_SHA256)
		memcpy(r->envelope_hash, sqlite3_column_blob(st, k), DP_SHA256);
	k++;
	r->size = sqlite3_column_int64(st, k++);
	col_str(st, k++, r->st.proposed_by, sizeof r->st.proposed_by);
	r->st.proposed_at = sqlite3_column_int64(st, k++);
	col_str(st, k++, r->st.approved_by, sizeof r->st.approved_by);
	r->st.declassified_at = sqlite3_column_int64(st, k++);
	col_str(st, k++, r->st.held_by, sizeof r->st.held_by);
	r->st.held_at = sqlite3_column_int64(st, k++);
	col_str(st, k++, r->st.hold_reason, sizeof r->st.hold_reason);
	col_str(st, k++, r->st.destroyed_by, sizeof r->st.destroyed_by);
	r->st.destroyed_at = sqlite3_column_int64(st, k++);
	r->ingested = sqlite3_column_int64(st, k++);
	col_str(st, k++, r->st.destroy_proposed_by, sizeof r->st.destroy_proposed_by);
	r->st.destroy_proposed_at = sqlite3_column_int64(st, k++);
	col_str(st, k++, r->st.destroy_detail, sizeof r->st.destroy_detail);
	r->has_copy = sqlite3_column_int(st, k++) != 0;
}

int archive_db_get(archive_db *a, const char *ref, archive_row *r)
{
	sqlite3_stmt *st = prep(a, "SELECT " COLS " FROM records WHERE mrn = ?1 OR cable_id = lower(?1)");
	if (!st)
		return DP_EIO;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row_of(st, r);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? DP_OK : rc == SQLITE_DONE ? DP_ENOTFOUND : DP_EIO;
}

/* One blob column of a row appended to out; DP_ENOTFOUND if the row or the blob is absent. */
static int blob_of(archive_db *a, const char *sql, const char *cable_id, dp_buf *out, int64_t *i2)
{
	sqlite3_stmt *st = prep(a, sql);
	if (!st)
		return DP_EIO;
	sqlite3_bind_text(st, 1, cable_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), r = DP_ENOTFOUND;
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_BLOB) {
		r = dp_buf_append(out, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
		if (i2)
			*i2 = sqlite3_column_int64(st, 1);
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = DP_EIO;
	sqlite3_finalize(st);
	return r;
}

int archive_db_copy(archive_db *a, const char *cable_id, dp_buf *sub)
{
	return blob_of(a, "SELECT copy FROM records WHERE cable_id = ?", cable_id, sub, NULL);
}

int archive_db_entry(archive_db *a, const char *cable_id, dp_buf *entry, int64_t *index)
{
	return blob_of(a, "SELECT log_entry, log_index FROM records WHERE cable_id = ?", cable_id, entry, index);
}

int archive_db_set_state(archive_db *a, const char *cable_id, const dp_records_state *s)
{
	sqlite3_stmt *st = prep(a, "UPDATE records SET proposed_by=?, proposed_at=?, approved_by=?,"
				   " declassified_at=?, held_by=?, held_at=?, hold_reason=?, destroyed_by=?,"
				   " destroyed_at=?, destroy_proposed_by=?, destroy_proposed_at=?,"
				   " destroy_detail=? WHERE cable_id = ?");
	if (!st)
		return DP_EIO;
	int k = 1;
	sqlite3_bind_text(st, k++, s->proposed_by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, k++, s->proposed_at);
	sqlite3_bind_text(st, k++, s->approved_by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, k++, s->declassified_at);
	sqlite3_bind_text(st, k++, s->held_by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, k++, s->held_at);
	sqlite3_bind_text(st, k++, s->hold_reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, k++, s->destroyed_by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, k++, s->destroyed_at);
	sqlite3_bind_text(st, k++, s->destroy_proposed_by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, k++, s->destroy_proposed_at);
	sqlite3_bind_text(st, k++, s->destroy_detail, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, k++, cable_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? DP_OK : DP_EIO;
}

int archive_db_wipe_copy(archive_db *a, const char *cable_id)
{
	/*
	 * zeroblob first (secure_delete zeroes the freed pages), then NULL: the
	 * row stays, marked wipe_pending until the checkpoint has carried the
	 * zeroed pages into the database file (a reader can make it BUSY: the
	 * next destroy or sync finishes it, archive.h has_copy)
	 */
	sqlite3_stmt *st = prep(a, "UPDATE records SET copy = zeroblob(size), wipe_pending = 1 "
				   "WHERE cable_id = ?");
	if (!st)
		return DP_EIO;
	sqlite3_bind_text(st, 1, cable_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return DP_EIO;
	st = prep(a, "UPDATE records SET copy = NULL WHERE cable_id = ?");
	if (!st)
		return DP_EIO;
	sqlite3_bind_text(st, 1, cable_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return DP_EIO;
	/* and out of the write-ahead log */
	if (sqlite3_wal_checkpoint_v2(a->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) != SQLITE_OK)
		return DP_EIO;
	st = prep(a, "UPDATE records SET wipe_pending = 0 WHERE cable_id = ?");
	if (!st)
		return DP_EIO;
	sqlite3_bind_text(st, 1, cable_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? DP_OK : DP_EIO;
}

int archive_db_cursor(archive_db *a, int64_t *after)
{
	*after = 0;
	sqlite3_stmt *st = prep(a, "SELECT v FROM archive_meta WHERE k = 'changes_after'");
	if (!st)
		return DP_EIO;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*after = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? DP_OK : DP_EIO;
}

int archive_db_set_cursor(archive_db *a, int64_t after)
{
	sqlite3_stmt *st = prep(a, "INSERT INTO archive_meta (k, v) VALUES ('changes_after', ?)"
				   " ON CONFLICT(k) DO UPDATE SET v = excluded.v");
	if (!st)
		return DP_EIO;
	sqlite3_bind_int64(st, 1, after);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? DP_OK : DP_EIO;
}

/* 00:00 UTC of "YYYY-MM-DD", or -1. */
static int64_t day_start(const char *d)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *e = strptime(d, "%Y-%m-%d", &tm);
	if (!e || *e)
		return -1;
	return (int64_t)timegm(&tm);
}

const char *archive_due_why(const archive_row *r, int64_t now)
{
	if (r->st.destroyed_at)
		return NULL;
	if (r->st.held_at)
		return "held";
	if (r->retention_end && now >= r->retention_end)
		return "retention ended";
	if (r->st.declassified_at)
		return NULL;
	if (r->declassify_on[0]) {
		int64_t t = day_start(r->declassify_on);
		if (t >= 0 && now >= t)
			return "declassification date reached";
	}
	if (r->declassify_event[0])
		return "declassification event named";
	return NULL;
}

int archive_row_retention(archive_row *r, const dp_records_sched *s)
{
	int64_t end;
	int rc = dp_records_retention_end(s, r->retention, r->created, &end);
	if (!rc)
		r->retention_end = end;
	return rc;
}

int archive_db_each(archive_db *a, const archive_filter *f, archive_row_cb cb, void *ctx)
{
	/* ties by MRN in number order: within a post and year, a wider serial is a later one */
	sqlite3_stmt *st = prep(a, "SELECT " COLS " FROM records"
				   " WHERE (?1 IS NULL OR mrn = ?1) AND (?2 IS NULL OR post = ?2)"
				   " AND (?3 IS NULL OR instr(tags, ',' || ?3 || ',') > 0)"
				   " AND (?4 = 0 OR created >= ?4) AND (?5 = 0 OR created <= ?5)"
				   " ORDER BY created, accepted, length(mrn), mrn");
	if (!st)
		return DP_EIO;
	if (f->mrn)
		sqlite3_bind_text(st, 1, f->mrn, -1, SQLITE_STATIC);
	if (f->post)
		sqlite3_bind_text(st, 2, f->post, -1, SQLITE_STATIC);
	if (f->tag)
		sqlite3_bind_text(st, 3, f->tag, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, f->since);
	sqlite3_bind_int64(st, 5, f->until);
	int rc, r = DP_OK;
	archive_row row;
	while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_of(st, &row);
		if (f->sched)
			archive_row_retention(&row, f->sched); /* a class gone: as at ingest */
		if (f->due && !archive_due_why(&row, f->now))
			continue;
		r = cb(ctx, &row);
	}
	if (!r && rc != SQLITE_DONE)
		r = DP_EIO;
	sqlite3_finalize(st);
	return r;
}
