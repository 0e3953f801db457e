/*
 * denpod/store_sqlite.c - the SQLite backend of denpod/store.h.
 *
 * WAL with synchronous=FULL: a commit is durable when dps_commit returns.
 * The queue of a device is the partial index of its unacknowledged
 * deliveries ordered by (prec, seq).  MRN counters live in their own table
 * and are bumped in the same transaction as the cable insert, so an MRN is
 * never skipped nor reused.
 *
 * Epoch key records live in epoch_keys, keyed by (device, epoch); a device
 * row carries the windows of its records that are not closed (read with it,
 * so the directory cache holds them), and each delivery row the epoch its
 * cable was encrypted to, so a device can learn which cables still need
 * each of its epoch secrets.
 *
 * The transparency log: log_entries(idx, data) appended inside the
 * caller's transaction (the index is max(idx)+1, read once per transaction
 * and counted on in memory, so appends of other processes count and
 * indices stay gap-free in commit order); log_tiles(level, n, data), each
 * tile's blob growing at the right edge (its first W hashes never change,
 * so the partial tile of width W is a prefix); log_checkpoints(size, root,
 * note, t).  Rows that point into the log (cables.log_idx,
 * deliveries.ack_log, epoch_keys.log_idx) let a retry be answered with the
 * index of the first entry.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "denpo/encoding.h"
#include "denpo/envelope.h"
#include "denpo/epoch.h"
#include "denpo/logentry.h"
#include "denpo/tlog.h"
#include "denpod/dircache.h"
#include "denpod/say.h"
#include "denpod/store.h"
#include "denpod/policy.h"

#define DEV_COLS "id,tls_key,officer,name,status,created"
#define RCPT_COLS "device,role,prec,delivered,acked,epoch"
#define STR_(x) #x
#define STR(x) STR_(x)
#define DPS_EPOCHS_MAX_S STR(DPS_EPOCHS_MAX)
#define SCHEMA_VERSION "4" /* 4: detection (decoys, containments, approvals); 3: transparency log; 2: key epochs (1 had one key per device row) */
/* epoch_keys_rcpt indexes these characters of a recipient (after "age1pq1"; SQL counts from 1) */
#define RCPT_KEY_OFF 7
#define RCPT_KEY_LEN 64

enum {
	Q_BEGIN, Q_COMMIT, Q_ROLLBACK,
	Q_DEV_BY_TLS, Q_DEV_GET, Q_OFF_GET,
	Q_CABLE_BY_ID, Q_CABLE_INS, Q_RCPT_INS, Q_MRN_GET, Q_MRN_INS, Q_MRN_SET,
	Q_DELIVER, Q_ACK, Q_RCPT_GET, Q_INBOX, Q_INBOX_NEW, Q_RCPTS, Q_DATA,
	Q_POST_GET, Q_COLL_POSTS, Q_DIRVER, Q_SAVEPOINT, Q_RELEASE, Q_ROLLBACK_TO,
	Q_EPK_WIN, Q_EPK_GET, Q_EPK_MAX, Q_EPK_RCPT, Q_EPK_OPEN, Q_EPK_INS, Q_EPK_CUR, Q_EPK_LAST,
	Q_EPK_PENDING, Q_DEV_EXISTS, Q_SP, Q_SP_RELEASE, Q_SP_ROLLBACK,
	Q_LOG_MAX, Q_LOG_INS, Q_LOG_GET, Q_TILE_GET, Q_TILE_PUT, Q_CP_GET, Q_CP_INS, Q_CP_LAST,
	Q_CP_NEXT,
	Q_CABLE_READ,
	Q_COUNT
};

static const char *const sql_text[Q_COUNT] = {
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_DEV_BY_TLS] = "SELECT " DEV_COLS " FROM devices WHERE tls_key=?",
	[Q_DEV_GET] = "SELECT " DEV_COLS " FROM devices WHERE id=?",
	[Q_DEV_EXISTS] = "SELECT 1 FROM devices WHERE id=?",
	[Q_OFF_GET] = "SELECT handle,post,fullname,clearance,captions,roles,status FROM officers "
		      "WHERE handle=?",
	[Q_CABLE_BY_ID] = "SELECT seq,cable_id,mrn,from_post,from_device,officer,classification,"
			  "prec_action,prec_info,accepted,size,digest,log_idx,decoy FROM cables WHERE cable_id=?",
	[Q_CABLE_INS] = "INSERT INTO cables(cable_id,mrn,from_post,from_device,officer,classification,"
			"prec_action,prec_info,accepted,size,digest,data,log_idx,decoy) "
			"VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[Q_RCPT_INS] = "INSERT INTO deliveries(seq,device,role,prec,due,epoch,delivered,acked) "
		       "VALUES(?,?,?,?,?,?,?7,?7)",
	[Q_MRN_GET] = "SELECT next FROM mrn WHERE post=? AND year=?",
	[Q_MRN_INS] = "INSERT INTO mrn(post,year,next) VALUES(?,?,2)",
	[Q_MRN_SET] = "UPDATE mrn SET next=next+1 WHERE post=? AND year=?",
	[Q_DELIVER] = "UPDATE deliveries SET delivered=? WHERE seq=? AND device=? AND delivered IS NULL",
	[Q_ACK] = "UPDATE deliveries SET acked=?, delivered=coalesce(delivered,?), ack_log=? "
		  "WHERE seq=? AND device=? AND acked IS NULL",
	[Q_RCPT_GET] = "SELECT " RCPT_COLS ",ack_log FROM deliveries WHERE seq=? AND device=?",
	/* one index seek per precedence on queue(device,prec,seq): O(log n) with a deep queue */
	[Q_INBOX_NEW] = "SELECT EXISTS(SELECT 1 FROM deliveries WHERE device=?1 AND prec=0 AND seq>?2 "
			"AND acked IS NULL) OR EXISTS(SELECT 1 FROM deliveries WHERE device=?1 AND "
			"prec=1 AND seq>?2 AND acked IS NULL) OR EXISTS(SELECT 1 FROM deliveries WHERE "
			"device=?1 AND prec=2 AND seq>?2 AND acked IS NULL) OR EXISTS(SELECT 1 FROM "
			"deliveries WHERE device=?1 AND prec=3 AND seq>?2 AND acked IS NULL)",
	[Q_INBOX] = "SELECT c.seq,c.cable_id,c.mrn,c.from_post,c.from_device,c.officer,c.classification,"
		    "c.prec_action,c.prec_info,c.accepted,c.size,"
		    "d.device,d.role,d.prec,d.delivered,d.acked,d.epoch FROM deliveries d JOIN cables c "
		    "ON c.seq=d.seq WHERE d.device=? AND d.acked IS NULL ORDER BY d.prec,d.seq LIMIT ?",
	[Q_RCPTS] = "SELECT " RCPT_COLS " FROM deliveries WHERE seq=? ORDER BY device",
	[Q_DATA] = "SELECT data FROM cables WHERE seq=?",
	[Q_POST_GET] = "SELECT name,hq,tz FROM posts WHERE name=?",
	[Q_COLL_POSTS] = "SELECT post FROM collectives WHERE name=? ORDER BY post",
	[Q_DIRVER] = "SELECT n FROM dirver WHERE id=1",
	[Q_SAVEPOINT] = "SAVEPOINT cable",
	[Q_RELEASE] = "RELEASE cable",
	[Q_ROLLBACK_TO] = "ROLLBACK TO cable",
	/*
	 * The epoch_keys lookups name their index: without statistics the
	 * planner prefers the primary key (device, epoch), which walks a
	 * device's whole history (a record a day for decades).
	 */
	/* the windows a device row carries: ?2 = now - DP_EPOCH_SKEW (not closed) */
	[Q_EPK_WIN] = "SELECT epoch,not_before,not_after FROM epoch_keys INDEXED BY epoch_keys_window "
		      "WHERE device=?1 AND not_after>?2 ORDER BY epoch DESC LIMIT " DPS_EPOCHS_MAX_S,
	[Q_EPK_GET] = "SELECT record,not_before,not_after,log_idx FROM epoch_keys WHERE device=? AND "
		      "epoch=?",
	[Q_EPK_MAX] = "SELECT max(epoch) FROM epoch_keys WHERE device=?",
	/* candidates by 64 characters of key material (?2, bound); the caller compares in full */
	[Q_EPK_RCPT] = "SELECT epoch,age_recipient FROM epoch_keys INDEXED BY epoch_keys_rcpt "
		       "WHERE device=?1 AND substr(age_recipient,8,64)=?2",
	[Q_EPK_OPEN] = "SELECT count(*) FROM epoch_keys WHERE device=?1 AND not_after>?2",
	[Q_EPK_INS] = "INSERT INTO epoch_keys(device,epoch,not_before,not_after,age_recipient,record,"
		      "published,log_idx) VALUES(?,?,?,?,?,?,?,?)",
	[Q_EPK_CUR] = "SELECT epoch,not_before,not_after,published,age_recipient,record FROM epoch_keys "
		      "INDEXED BY epoch_keys_window WHERE device=?1 AND not_after>?2 AND not_before<=?2 "
		      "ORDER BY epoch DESC LIMIT 1",
	[Q_EPK_LAST] = "SELECT max(not_after) FROM epoch_keys WHERE device=?1 AND not_after<=?2",
	[Q_EPK_PENDING] = "SELECT c.cable_id FROM deliveries d JOIN cables c ON c.seq=d.seq "
			  "WHERE d.device=? AND d.epoch=? AND d.acked IS NULL ORDER BY d.seq LIMIT ?",
	[Q_SP] = "SAVEPOINT op",
	[Q_SP_RELEASE] = "RELEASE op",
	[Q_SP_ROLLBACK] = "ROLLBACK TO op",
	[Q_LOG_MAX] = "SELECT max(idx) FROM log_entries",
	[Q_LOG_INS] = "INSERT INTO log_entries(idx,data) VALUES(?,?)",
	[Q_LOG_GET] = "SELECT idx,data FROM log_entries WHERE idx>=? ORDER BY idx LIMIT ?",
	[Q_TILE_GET] = "SELECT data FROM log_tiles WHERE level=? AND n=?",
	[Q_TILE_PUT] = "INSERT OR REPLACE INTO log_tiles(level,n,data) VALUES(?,?,?)",
	[Q_CP_GET] = "SELECT size,root,t,note FROM log_checkpoints WHERE size=?",
	[Q_CP_INS] = "INSERT INTO log_checkpoints(size,root,t,note) VALUES(?,?,?,?)",
	[Q_CP_LAST] = "SELECT size,root,t,note FROM log_checkpoints ORDER BY size DESC LIMIT 1",
	[Q_CP_NEXT] = "SELECT size,root,t,note FROM log_checkpoints WHERE size>? ORDER BY size LIMIT 1",
	/* a fetch: the bytes and the entry that vouches for them (denpod/check.h) */
	[Q_CABLE_READ] = "SELECT c.data, e.data FROM cables c LEFT JOIN log_entries e ON e.idx=c.log_idx "
			 "WHERE c.seq=?",
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT);"
	"CREATE TABLE IF NOT EXISTS posts(name TEXT PRIMARY KEY, hq INTEGER NOT NULL, tz TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS collectives(name TEXT NOT NULL, post TEXT NOT NULL "
	" REFERENCES posts(name), PRIMARY KEY(name,post)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS officers(handle TEXT PRIMARY KEY, post TEXT NOT NULL "
	" REFERENCES posts(name), fullname TEXT NOT NULL, clearance INTEGER NOT NULL,"
	" captions TEXT NOT NULL, roles TEXT NOT NULL, status INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS devices(id BLOB PRIMARY KEY, tls_key BLOB NOT NULL UNIQUE,"
	" officer TEXT NOT NULL REFERENCES officers(handle), name TEXT NOT NULL,"
	" status INTEGER NOT NULL, created INTEGER NOT NULL, log_idx INTEGER);"
	/* a device's epoch key records: record is the signed DENPO-EPOCH-KEY/1 text */
	"CREATE TABLE IF NOT EXISTS epoch_keys(device BLOB NOT NULL REFERENCES devices(id),"
	" epoch INTEGER NOT NULL, not_before INTEGER NOT NULL, not_after INTEGER NOT NULL,"
	" age_recipient TEXT NOT NULL, record BLOB NOT NULL, published INTEGER NOT NULL,"
	" retired INTEGER NOT NULL DEFAULT 0, log_idx INTEGER,"
	" PRIMARY KEY(device,epoch)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS epoch_keys_window ON epoch_keys(device,not_after);"
	/* records not yet retired (each is retired once, when seen closed) */
	"CREATE INDEX IF NOT EXISTS epoch_keys_unretired ON epoch_keys(device,not_after) "
	" WHERE retired=0;"
	/* "recipient never used before": 64 characters of key material find the candidates */
	"CREATE INDEX IF NOT EXISTS epoch_keys_rcpt ON epoch_keys(device,substr(age_recipient,8,64));"
	"CREATE TABLE IF NOT EXISTS cables(seq INTEGER PRIMARY KEY, cable_id BLOB NOT NULL UNIQUE,"
	" mrn TEXT NOT NULL UNIQUE, from_post TEXT NOT NULL, from_device BLOB NOT NULL,"
	" officer TEXT NOT NULL, classification INTEGER NOT NULL, prec_action INTEGER NOT NULL,"
	" prec_info INTEGER NOT NULL, accepted INTEGER NOT NULL, size INTEGER NOT NULL,"
	" digest BLOB NOT NULL, data BLOB NOT NULL, log_idx INTEGER, decoy INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS cables_officer ON cables(officer, seq);"
	"CREATE TABLE IF NOT EXISTS mrn(post TEXT NOT NULL, year INTEGER NOT NULL,"
	" next INTEGER NOT NULL, PRIMARY KEY(post,year)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS deliveries(seq INTEGER NOT NULL, device BLOB NOT NULL,"
	" role INTEGER NOT NULL, prec INTEGER NOT NULL, due INTEGER NOT NULL, delivered INTEGER,"
	" acked INTEGER, epoch INTEGER NOT NULL, ack_log INTEGER, PRIMARY KEY(seq,device)) WITHOUT ROWID;"
	/* the queue: unacknowledged rows of a device in precedence then acceptance order */
	"CREATE INDEX IF NOT EXISTS queue ON deliveries(device,prec,seq) WHERE acked IS NULL;"
	/* the same rows by the recipient's key epoch (GET /v1/keys) */
	"CREATE INDEX IF NOT EXISTS pending_epoch ON deliveries(device,epoch,seq) WHERE acked IS NULL;"
	"CREATE INDEX IF NOT EXISTS pending_due ON deliveries(due) WHERE acked IS NULL;"
	/*
	 * A device's archive (GET /v1/archive), newest first: its acknowledged
	 * rows; the unacknowledged ones are in `queue` already, so a new
	 * delivery row costs no extra index entry until it is acknowledged.
	 */
	"CREATE INDEX IF NOT EXISTS archive_acked ON deliveries(device,seq) WHERE acked IS NOT NULL;"
	/*
	 * The transparency log.  Tiles are up to 8 KiB: an ordinary (rowid)
	 * table, as SQLite advises against WITHOUT ROWID for rows that large.
	 */
	"CREATE TABLE IF NOT EXISTS log_entries(idx INTEGER PRIMARY KEY, data BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS log_tiles(level INTEGER NOT NULL, n INTEGER NOT NULL,"
	" data BLOB NOT NULL, PRIMARY KEY(level,n));"
	"CREATE TABLE IF NOT EXISTS log_checkpoints(size INTEGER PRIMARY KEY, root BLOB NOT NULL,"
	" t INTEGER NOT NULL, note TEXT NOT NULL);"
	/* devices' cosignature lines of stored checkpoints (transparency.md §4) */
	"CREATE TABLE IF NOT EXISTS log_cosigs(size INTEGER NOT NULL, device BLOB NOT NULL,"
	" ts INTEGER NOT NULL, line TEXT NOT NULL, PRIMARY KEY(size, device));"
	/* detection (docs/detection.md): automatic and confirmed containment steps */
	"CREATE TABLE IF NOT EXISTS containments(id INTEGER PRIMARY KEY, device BLOB NOT NULL,"
	" kind INTEGER NOT NULL, rule TEXT NOT NULL, created INTEGER NOT NULL, until INTEGER NOT NULL,"
	" state INTEGER NOT NULL, operator TEXT NOT NULL, ended INTEGER NOT NULL, alert_log INTEGER,"
	" detail TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS containments_open ON containments(until) WHERE state=0;"
	/* two-operator acts: the first operator's request, waiting for a second */
	"CREATE TABLE IF NOT EXISTS approvals(id INTEGER PRIMARY KEY, act TEXT NOT NULL,"
	" target TEXT NOT NULL, requested_by TEXT NOT NULL, reason TEXT NOT NULL,"
	" created INTEGER NOT NULL, expires INTEGER NOT NULL, state INTEGER NOT NULL,"
	" closed_by TEXT NOT NULL DEFAULT '', closed INTEGER NOT NULL DEFAULT 0);";

/*
 * The directory version: every write to a directory table, by any process
 * (the admin commands run beside `denpod run`), bumps it in the same
 * transaction, so a reader that sees an unchanged version knows its cached
 * rows are current.  Added to older databases when first opened.
 */
#define DIRVER_TRIGGER(tab, op) \
	"CREATE TRIGGER IF NOT EXISTS dirver_" tab "_" op " AFTER " op " ON " tab \
	" BEGIN UPDATE dirver SET n=n+1 WHERE id=1; END;"
#define DIRVER_TRIGGERS(tab) DIRVER_TRIGGER(tab, "INSERT") DIRVER_TRIGGER(tab, "UPDATE") \
	DIRVER_TRIGGER(tab, "DELETE")
#define DIRVER_NTRIGGERS 15
/* epoch_keys counts: a device row carries its windows */
static const char schema_dirver[] =
	"CREATE TABLE IF NOT EXISTS dirver(id INTEGER PRIMARY KEY CHECK(id=1), n INTEGER NOT NULL);"
	"INSERT OR IGNORE INTO dirver(id,n) VALUES(1,0);"
	DIRVER_TRIGGERS("posts") DIRVER_TRIGGERS("collectives") DIRVER_TRIGGERS("officers")
	DIRVER_TRIGGERS("devices") DIRVER_TRIGGERS("epoch_keys");

struct dps_store {
	sqlite3 *db;
	sqlite3_stmt *q[Q_COUNT];
	int in_txn;
	int in_sp;          /* inside dps_savepoint */
	int64_t log_next;   /* in a transaction: the next log index; -1 = not read yet */
	int64_t sp_log_next; /* log_next at dps_savepoint */
	dpdc *cache;    /* directory rows; NULL unless dps_dir_cache */
	int64_t dirver; /* directory version the cache holds; -1: none yet */
};

const char *dps_status_name(int status)
{
	switch (status) {
	case DPS_ACTIVE: return "active";
	case DPS_SUSPENDED: return "suspended";
	case DPS_REVOKED: return "revoked";
	default: return "unknown";
	}
}

/*
 * The error code of a failed SQLite call, said in the switch's log (one
 * line per distinct failure and period: every request meets the same
 * fault).  A full disk is its own code, DP_ENOSPC (507 disk_full), never a
 * "retry": SQLITE_FULL, or an I/O error whose errno says the disk or the
 * quota is full.  SQLite rolls back what it could not write, so nothing
 * committed before is touched.
 */
static int store_err(dps_store *s, int rc, const char *err)
{
	int e = sqlite3_system_errno(s->db);
	const char *path = sqlite3_db_filename(s->db, "main");
	if ((rc & 0xff) == SQLITE_FULL || ((rc & 0xff) == SQLITE_IOERR && (e == ENOSPC || e == EDQUOT))) {
		dpd_say("denpod: store: the disk holding %s is full (%s): the switch refuses whatever it "
			"would write (507 disk_full) until its operator frees space there; what it "
			"accepted before is kept", path && *path ? path : "the database", err);
		return DP_ENOSPC;
	}
	dpd_say("denpod: store: %s", err);
	return DP_ESTORE;
}

static int exec(dps_store *s, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK) {
		int r = store_err(s, rc, err ? err : sqlite3_errmsg(s->db));
		sqlite3_free(err);
		return r;
	}
	return DP_OK;
}

/* A cached statement, reset and unbound. */
static sqlite3_stmt *stmt(dps_store *s, int id)
{
	sqlite3_stmt *st = s->q[id];
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

/* A one-off statement for the rarer queries. */
static sqlite3_stmt *prep(dps_store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		(void)store_err(s, rc, sqlite3_errmsg(s->db));
		return NULL;
	}
	return st;
}

static int step_err(dps_store *s, int rc)
{
	if (rc == SQLITE_CONSTRAINT)
		return DP_EEXISTS;
	return store_err(s, rc, sqlite3_errmsg(s->db));
}

/* Run a write statement to completion. */
static int run(dps_store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	int r = rc == SQLITE_DONE ? DP_OK : step_err(s, rc);
	sqlite3_reset(st);
	return r;
}

static void bind_text(sqlite3_stmt *st, int i, const char *t)
{
	sqlite3_bind_text(st, i, t, -1, SQLITE_TRANSIENT);
}
static void bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n)
{
	sqlite3_bind_blob(st, i, p, (int)n, SQLITE_TRANSIENT);
}
/* Copy column text into a fixed field (truncation cannot happen for values we wrote). */
static void col_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	snprintf(out, cap, "%s", t ? (const char *)t : "");
}
static void col_blob(sqlite3_stmt *st, int i, uint8_t *out, size_t n)
{
	const void *p = sqlite3_column_blob(st, i);
	if (p && (size_t)sqlite3_column_bytes(st, i) == n)
		memcpy(out, p, n);
	else
		memset(out, 0, n);
}
static int64_t col_i64_or0(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, i);
}
static int64_t col_i64_or_neg(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
}

/*
 * Adds what a database from before a change lacks: unless count_sql (a
 * count of sqlite_master rows) says all `want` are there, runs sql in one
 * transaction (every statement IF NOT EXISTS / OR IGNORE: two processes
 * opening at once both get there).
 */
static int migrate(dps_store *s, const char *count_sql, int want, const char *sql)
{
	sqlite3_stmt *st = prep(s, count_sql);
	if (!st)
		return DP_ESTORE;
	int rc = sqlite3_step(st);
	int have = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	int r = rc == SQLITE_ROW ? DP_OK : step_err(s, rc);
	sqlite3_finalize(st);
	if (r || have == want)
		return r;
	r = exec(s, "BEGIN IMMEDIATE");
	if (!r)
		r = exec(s, sql);
	if (!r)
		r = exec(s, "COMMIT");
	if (r && !sqlite3_get_autocommit(s->db))
		(void)exec(s, "ROLLBACK");
	return r;
}

/* Adds the directory version and its triggers unless all are there. */
static int dirver_migrate(dps_store *s)
{
	return migrate(s, "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name LIKE "
			  "'dirver_%'", DIRVER_NTRIGGERS, schema_dirver);
}

/*
 * The log's rollbacks and the devices' witness resets after them (store.h):
 * added to a database that lacks them when first opened, the rollbacks
 * filled from the entries already logged (one scan, once).  The LIKE-free
 * byte search finds the Act line of an admin entry; the readers decode
 * every entry they serve, so a Detail that merely quotes it is harmless.
 */
static const char schema_rollbacks[] =
	"CREATE TABLE IF NOT EXISTS log_rollbacks(idx INTEGER PRIMARY KEY);"
	"CREATE TABLE IF NOT EXISTS log_recoveries(rollback INTEGER NOT NULL, device BLOB NOT NULL,"
	" size INTEGER NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY(rollback, device));"
	"INSERT OR IGNORE INTO log_rollbacks(idx) SELECT idx FROM log_entries WHERE "
	"instr(data, CAST(char(10) || 'Act: " DP_LOG_ROLLBACK_ACT "' || char(10) AS BLOB)) > 0;";

static int rollbacks_migrate(dps_store *s)
{
	return migrate(s, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN "
			  "('log_rollbacks','log_recoveries')", 2, schema_rollbacks);
}

/* One integer (or text parsed as one) from a query without parameters; *v = -1 for no row or NULL. */
static int query_int(dps_store *s, const char *sql, int64_t *v)
{
	sqlite3_stmt *st = prep(s, sql);
	if (!st)
		return DP_ESTORE;
	int rc = sqlite3_step(st), r = DP_OK;
	*v = -1;
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*v = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = step_err(s, rc);
	sqlite3_finalize(st);
	return r;
}

/*
 * A database with a devices table must say schema 3 in meta: one written
 * before key epochs (1) kept a single age recipient in each device row, one
 * before the transparency log (2) has accesses that were never logged, and
 * nothing here migrates either.  An empty database passes (create makes it).
 */
static int schema_check(dps_store *s, const char *path)
{
	int64_t devices, meta, version = -1;
	int r = query_int(s, "SELECT count(*) FROM sqlite_master WHERE type='table' AND "
			     "name='devices'", &devices);
	if (!r)
		r = query_int(s, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'",
			      &meta);
	if (!r && devices > 0 && meta > 0)
		r = query_int(s, "SELECT CAST(v AS INTEGER) FROM meta WHERE k='schema'", &version);
	if (r || devices <= 0 || version == atoi(SCHEMA_VERSION))
		return r;
	if (version > atoi(SCHEMA_VERSION)) {
		fprintf(stderr, "denpod: the database %s is from a newer denpod (schema %lld); run that "
				"version\n", path, (long long)version);
		return DP_ESTATE;
	}
	if (version == 3) {
		/*
		 * Detection only adds: the decoy column (0 for every cable so far),
		 * the containment and approval tables and the archive index.  All in
		 * one transaction with the new schema row, or nothing.
		 */
		int r2 = exec(s, "BEGIN IMMEDIATE");
		/* another process may have upgraded it meanwhile: read again under the lock */
		if (!r2)
			r2 = query_int(s, "SELECT CAST(v AS INTEGER) FROM meta WHERE k='schema'",
				       &version);
		int upgrade = !r2 && version == 3;
		if (upgrade)
			r2 = exec(s, "ALTER TABLE cables ADD COLUMN decoy INTEGER NOT NULL DEFAULT 0");
		if (!r2 && upgrade)
			r2 = exec(s, schema);
		if (!r2 && upgrade)
			r2 = exec(s, "UPDATE meta SET v='" SCHEMA_VERSION "' WHERE k='schema'");
		if (!r2)
			r2 = exec(s, "COMMIT");
		else if (!sqlite3_get_autocommit(s->db))
			(void)exec(s, "ROLLBACK");
		if (!r2 && upgrade)
			fprintf(stderr, "denpod: the database %s was upgraded from schema 3 to %s "
					"(detection)\n", path, SCHEMA_VERSION);
		if (r2)
			fprintf(stderr, "denpod: the database %s could not be upgraded from schema 3; "
					"nothing was changed: stop other denpod processes and retry\n",
				path);
		return r2;
	}
	if (version < 0)
		version = 1; /* schema 1 wrote no schema row */
	fprintf(stderr, "denpod: the database %s is from an older denpod (schema %lld, before %s) "
			"and cannot be used or upgraded; re-create the switch: denpod init "
			"--data NEWDIR, then add the posts, officers and devices again\n",
		path, (long long)version,
		version < 2 ? "key epochs" : "the transparency log");
	return DP_ESTATE;
}

int dps_open(dps_store **out, const char *path, int create)
{
	dps_store *s = calloc(1, sizeof *s);
	if (!s)
		return DP_ENOMEM;
	s->dirver = -1;
	s->log_next = -1;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		fprintf(stderr, "denpod: cannot open database %s: %s\n", path,
			s->db ? sqlite3_errmsg(s->db) : "out of memory");
		sqlite3_close(s->db);
		free(s);
		return DP_ESTORE;
	}
	sqlite3_busy_timeout(s->db, 10000);
	int r = exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
			"PRAGMA cache_size=-65536;");
	if (!r)
		r = schema_check(s, path);
	if (!r && create) {
		/* the tables and the schema row together, or neither */
		r = exec(s, "BEGIN IMMEDIATE");
		if (!r)
			r = exec(s, schema);
		if (!r)
			r = exec(s, "INSERT OR IGNORE INTO meta(k,v) VALUES('schema','" SCHEMA_VERSION "')");
		if (!r)
			r = exec(s, "COMMIT");
		if (r && !sqlite3_get_autocommit(s->db))
			(void)exec(s, "ROLLBACK");
	}
	if (!r)
		r = dirver_migrate(s);
	if (!r)
		r = rollbacks_migrate(s);
	for (int i = 0; !r && i < Q_COUNT; i++)
		if (sqlite3_prepare_v3(s->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT, &s->q[i],
				       NULL) != SQLITE_OK) {
			fprintf(stderr, "denpod: store: %s (is this a denpod database?)\n",
				sqlite3_errmsg(s->db));
			r = DP_ESTORE;
		}
	if (r) {
		dps_close(s);
		return r;
	}
	*out = s;
	return DP_OK;
}

void dps_close(dps_store *s)
{
	if (!s)
		return;
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(s->q[i]);
	sqlite3_close(s->db);
	dpdc_free(s->cache);
	free(s);
}

int dps_begin(dps_store *s)
{
	if (s->in_txn)
		return DP_EINVAL;
	int r = run(s, stmt(s, Q_BEGIN));
	if (!r)
		s->in_txn = 1;
	s->in_sp = 0;
	s->log_next = -1; /* another process may have appended since */
	return r;
}

int dps_commit(dps_store *s)
{
	int r = run(s, stmt(s, Q_COMMIT));
	if (r)
		dps_rollback(s);
	s->in_txn = s->in_sp = 0;
	s->log_next = -1;
	return r;
}

void dps_rollback(dps_store *s)
{
	if (sqlite3_get_autocommit(s->db) == 0)
		(void)run(s, stmt(s, Q_ROLLBACK));
	s->in_txn = s->in_sp = 0;
	s->log_next = -1;
}

int dps_savepoint(dps_store *s)
{
	if (!s->in_txn || s->in_sp)
		return DP_EINVAL;
	int r = run(s, stmt(s, Q_SP));
	if (!r) {
		s->in_sp = 1;
		s->sp_log_next = s->log_next;
	}
	return r;
}

int dps_savepoint_end(dps_store *s, int keep)
{
	if (!s->in_sp)
		return DP_EINVAL;
	s->in_sp = 0;
	int r = keep ? DP_OK : run(s, stmt(s, Q_SP_ROLLBACK));
	if (!keep)
		s->log_next = s->sp_log_next; /* the indices handed out since are free again */
	int r2 = run(s, stmt(s, Q_SP_RELEASE));
	return r ? r : r2;
}

int dps_relax_sync(dps_store *s)
{
	return exec(s, "PRAGMA synchronous=NORMAL");
}

int dps_snapshot_begin(dps_store *s)
{
	if (s->in_txn)
		return DP_EINVAL;
	return exec(s, "BEGIN DEFERRED");
}

void dps_snapshot_end(dps_store *s)
{
	if (!s->in_txn && sqlite3_get_autocommit(s->db) == 0)
		(void)exec(s, "COMMIT");
}

/* ---- directory cache ---- */

int dps_dir_cache(dps_store *s)
{
	if (s->cache)
		return DP_OK;
	s->dirver = -1;
	return dpdc_new(&s->cache);
}

int dps_dir_sync(dps_store *s)
{
	if (!s->cache)
		return DP_OK;
	sqlite3_stmt *st = stmt(s, Q_DIRVER);
	int rc = sqlite3_step(st), r = DP_OK;
	int64_t n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	if (rc != SQLITE_ROW)
		r = step_err(s, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc);
	sqlite3_reset(st);
	/* unreadable or changed: nothing cached may be trusted */
	if (r || n != s->dirver) {
		dpdc_clear(s->cache);
		s->dirver = r ? -1 : n;
	}
	return r;
}

/* ---- names ---- */

int dps_split_names(const char *csv, char out[][DP_NAME_MAX + 1], size_t max, size_t *n)
{
	*n = 0;
	if (!csv || !*csv)
		return DP_OK;
	const char *p = csv;
	for (;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		/* an empty or over-long element is a malformed list */
		if (len == 0 || len > DP_NAME_MAX)
			return DP_EPARSE;
		if (*n == max)
			return DP_ETOOBIG;
		memcpy(out[*n], p, len);
		out[*n][len] = 0;
		(*n)++;
		if (!e)
			return DP_OK;
		p = e + 1;
	}
}

void dps_join_names(char *out, size_t cap, char names[][DP_NAME_MAX + 1], size_t n)
{
	size_t used = 0;
	out[0] = 0;
	for (size_t i = 0; i < n && used < cap; i++)
		used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? "," : "", names[i]);
}

/* ---- directory ---- */

int dps_post_add(dps_store *s, const dps_post *p)
{
	sqlite3_stmt *st = prep(s, "INSERT INTO posts(name,hq,tz) VALUES(?,?,?)");
	if (!st)
		return DP_ESTORE;
	bind_text(st, 1, p->name);
	sqlite3_bind_int(st, 2, p->hq ? 1 : 0);
	bind_text(st, 3, p->tz);
	int r = run(s, st);
	sqlite3_finalize(st);
	return r;
}

int dps_post_get(dps_store *s, const char *name, dps_post *p)
{
	int found;
	if (s->cache && dpdc_post(s->cache, name, p, &found))
		return found ? DP_OK : DP_ENOTFOUND;
	sqlite3_stmt *st = stmt(s, Q_POST_GET);
	bind_text(st, 1, name);
	int rc = sqlite3_step(st), r = DP_OK;
	if (rc == SQLITE_ROW) {
		col_text(st, 0, p->name, sizeof p->name);
		p->hq = sqlite3_column_int(st, 1);
		col_text(st, 2, p->tz, sizeof p->tz);
	} else {
		r = rc == SQLITE_DONE ? DP_ENOTFOUND : step_err(s, rc);
	}
	sqlite3_reset(st);
	if (s->cache && (r == DP_OK || r == DP_ENOTFOUND))
		dpdc_post_put(s->cache, name, p, r == DP_OK);
	return r;
}

int dps_collective_add(dps_store *s, const char *name, const char *const *posts, size_t n)
{
	dps_post p;
	int r = dps_post_get(s, name, &p);
	if (r == DP_OK)
		return DP_EEXISTS; /* a collective may not shadow a post */
	if (r != DP_ENOTFOUND)
		return r;
	sqlite3_stmt *st = prep(s, "INSERT INTO collectives(name,post) VALUES(?,?)");
	if (!st)
		return DP_ESTORE;
	int own = !s->in_txn; /* its own transaction, or the caller's (with its log entry) */
	r = own ? exec(s, "BEGIN IMMEDIATE") : DP_OK;
	for (size_t i = 0; !r && i < n; i++) {
		r = dps_post_get(s, posts[i], &p);
		if (r)
			break;
		sqlite3_reset(st);
		bind_text(st, 1, name);
		bind_text(st, 2, posts[i]);
		r = run(s, st);
	}
	sqlite3_finalize(st);
	if (!own)
		return r;
	if (r) {
		(void)exec(s, "ROLLBACK");
		return r;
	}
	return exec(s, "COMMIT");
}

int dps_addressee_posts(dps_store *s, const char *name, int (*cb)(void *ctx, const char *post),
			void *ctx)
{
	dps_post p;
	int r = dps_post_get(s, name, &p);
	if (r != DP_ENOTFOUND)
		return r ? r : cb(ctx, p.name);
	r = DP_OK;
	sqlite3_stmt *st = stmt(s, Q_COLL_POSTS);
	bind_text(st, 1, name);
	int rc, found = 0;
	while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		found = 1;
		r = cb(ctx, (const char *)sqlite3_column_text(st, 0));
	}
	if (!r && rc != SQLITE_DONE)
		r = step_err(s, rc);
	sqlite3_reset(st);
	if (!r && !found)
		r = DP_ENOTFOUND;
	return r;
}

static void officer_row(sqlite3_stmt *st, dps_officer *o)
{
	char list[DP_MAX_CAPTIONS * (DP_NAME_MAX + 1) + 1];
	memset(o, 0, sizeof *o);
	col_text(st, 0, o->handle, sizeof o->handle);
	col_text(st, 1, o->post, sizeof o->post);
	col_text(st, 2, o->fullname, sizeof o->fullname);
	o->clearance = sqlite3_column_int(st, 3);
	col_text(st, 4, list, sizeof list);
	if (dps_split_names(list, o->captions, DP_MAX_CAPTIONS, &o->ncaptions))
		o->ncaptions = 0; /* never written that way; treat as none (fails closed) */
	col_text(st, 5, list, sizeof list);
	if (dps_split_names(list, o->roles, DP_MAX_CAPTIONS, &o->nroles))
		o->nroles = 0;
	o->status = sqlite3_column_int(st, 6);
}

int dps_officer_put(dps_store *s, const dps_officer *o, int update)
{
	char caps[DP_MAX_CAPTIONS * (DP_NAME_MAX + 1) + 1], roles[sizeof caps];
	dps_post p;
	int r = dps_post_get(s, o->post, &p);
	if (r)
		return r;
	sqlite3_stmt *st = prep(s, update ? "INSERT OR REPLACE INTO officers VALUES(?,?,?,?,?,?,?)"
					  : "INSERT INTO officers VALUES(?,?,?,?,?,?,?)");
	if (!st)
		return DP_ESTORE;
	dps_join_names(caps, sizeof caps, (char(*)[DP_NAME_MAX + 1])o->captions, o->ncaptions);
	dps_join_names(roles, sizeof roles, (char(*)[DP_NAME_MAX + 1])o->roles, o->nroles);
	bind_text(st, 1, o->handle);
	bind_text(st, 2, o->post);
	bind_text(st, 3, o->fullname);
	sqlite3_bind_int(st, 4, o->clearance);
	bind_text(st, 5, caps);
	bind_text(st, 6, roles);
	sqlite3_bind_int(st, 7, o->status);
	r = run(s, st);
	sqlite3_finalize(st);
	return r;
}

int dps_officer_get(dps_store *s, const char *handle, dps_officer *o)
{
	if (s->cache && dpdc_officer(s->cache, handle, o))
		return DP_OK;
	sqlite3_stmt *st = stmt(s, Q_OFF_GET);
	bind_text(st, 1, handle);
	int rc = sqlite3_step(st), r = DP_OK;
	if (rc == SQLITE_ROW)
		officer_row(st, o);
	else
		r = rc == SQLITE_DONE ? DP_ENOTFOUND : step_err(s, rc);
	sqlite3_reset(st);
	if (s->cache && !r)
		dpdc_officer_put(s->cache, o);
	return r;
}

int dps_officer_list(dps_store *s, int (*cb)(void *ctx, const dps_officer *o), void *ctx)
{
	sqlite3_stmt *st = prep(s, "SELECT handle,post,fullname,clearance,captions,roles,status "
				   "FROM officers ORDER BY post,handle");
	if (!st)
		return DP_ESTORE;
	int rc, r = DP_OK;
	dps_officer o;
	while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		officer_row(st, &o);
		r = cb(ctx, &o);
	}
	if (!r && rc != SQLITE_DONE)
		r = step_err(s, rc);
	sqlite3_finalize(st);
	return r;
}

/* Columns i..i+5 of DEV_COLS. */
static void device_row(sqlite3_stmt *st, int i, dps_device *d)
{
	memset(d, 0, sizeof *d);
	col_blob(st, i, d->id, 32);
	col_blob(st, i + 1, d->tls_key, 32);
	col_text(st, i + 2, d->officer, sizeof d->officer);
	col_text(st, i + 3, d->name, sizeof d->name);
	d->status = sqlite3_column_int(st, i + 4);
	d->created = sqlite3_column_int64(st, i + 5);
}

/* d->win: the windows of d's records not closed now, oldest epoch first. */
static int device_windows(dps_store *s, dps_device *d)
{
	dps_window w[DPS_EPOCHS_MAX];
	uint32_t n = 0;
	sqlite3_stmt *st = stmt(s, Q_EPK_WIN);
	bind_blob(st, 1, d->id, 32);
	sqlite3_bind_int64(st, 2, dp_now() - DP_EPOCH_SKEW);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < DPS_EPOCHS_MAX) {
		w[n].epoch = (uint32_t)sqlite3_column_int64(st, 0);
		w[n].not_before = sqlite3_column_int64(st, 1);
		w[n].not_after = sqlite3_column_int64(st, 2);
		n++;
	}
	int r = rc == SQLITE_ROW || rc == SQLITE_DONE ? DP_OK : step_err(s, rc);
	sqlite3_reset(st);
	d->nwin = 0;
	for (uint32_t i = 0; !r && i < n; i++) /* newest first -> oldest first */
		d->win[d->nwin++] = w[n - 1 - i];
	return r;
}

int dps_device_add(dps_store *s, const dps_device *d)
{
	sqlite3_stmt *st = prep(s, "INSERT INTO devices(" DEV_COLS ") VALUES(?,?,?,?,?,?)");
	if (!st)
		return DP_ESTORE;
	bind_blob(st, 1, d->id, 32);
	bind_blob(st, 2, d->tls_key, 32);
	bind_text(st, 3, d->officer);
	bind_text(st, 4, d->name);
	sqlite3_bind_int(st, 5, d->status);
	sqlite3_bind_int64(st, 6, d->created);
	int r = run(s, st);
	sqlite3_finalize(st);
	return r;
}

static int device_one(dps_store *s, int q, const uint8_t key[32], dps_device *d)
{
	if (s->cache && (q == Q_DEV_GET ? dpdc_dev_by_id(s->cache, key, d)
					: dpdc_dev_by_tls(s->cache, key, d)))
		return DP_OK;
	sqlite3_stmt *st = stmt(s, q);
	bind_blob(st, 1, key, 32);
	int rc = sqlite3_step(st), r = DP_OK;
	if (rc == SQLITE_ROW)
		device_row(st, 0, d);
	else
		r = rc == SQLITE_DONE ? DP_ENOTFOUND : step_err(s, rc);
	sqlite3_reset(st);
	if (!r)
		r = device_windows(s, d);
	if (s->cache && !r)
		dpdc_dev_put(s->cache, d);
	return r;
}

int dps_device_get(dps_store *s, const uint8_t id[32], dps_device *d)
{
	return device_one(s, Q_DEV_GET, id, d);
}

int dps_device_by_tls(dps_store *s, const uint8_t tls_key[32], dps_device *d)
{
	return device_one(s, Q_DEV_BY_TLS, tls_key, d);
}

int dps_device_find(dps_store *s, const char *prefix, dps_device *d)
{
	size_t n = strlen(prefix);
	/* a prefix is 1..64 hex digits */
	if (n == 0 || n > 64 || strspn(prefix, "0123456789abcdefABCDEF") != n)
		return DP_EPARSE;
	sqlite3_stmt *st = prep(s, "SELECT " DEV_COLS " FROM devices "
				   "WHERE substr(lower(hex(id)),1,?)=lower(?)");
	if (!st)
		return DP_ESTORE;
	sqlite3_bind_int(st, 1, (int)n);
	bind_text(st, 2, prefix);
	int rc, found = 0, r = DP_OK;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (++found > 1)
			break;
		device_row(st, 0, d);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = step_err(s, rc);
	else if (found == 0)
		r = DP_ENOTFOUND;
	else if (found > 1)
		r = DP_EEXISTS;
	sqlite3_finalize(st);
	return r ? r : device_windows(s, d);
}

int dps_device_set_log_idx(dps_store *s, const uint8_t id[32], int64_t idx)
{
	sqlite3_stmt *st = prep(s, "UPDATE devices SET log_idx=? WHERE id=?");
	if (!st)
		return DP_ESTORE;
	sqlite3_bind_int64(st, 1, idx);
	bind_blob(st, 2, id, 32);
	int r = run(s, st);
	if (!r && sqlite3_changes(s->db) != 1)
		r = DP_ENOTFOUND;
	sqlite3_finalize(st);
	return r;
}

int dps_device_log_idx(dps_store *s, const uint8_t id[32], int64_t *idx)
{
	sqlite3_stmt *st = prep(s, "SELECT log_idx FROM devices WHERE id=?");
	if (!st)
		return DP_ESTORE;
	bind_blob(st, 1, id, 32);
	int rc = sqlite3_step(st), r = DP_OK;
	if (rc == SQLITE_ROW)
		*idx = col_i64_or_neg(st, 0);
	else
		r = rc == SQLITE_DONE ? DP_ENOTFOUND : step_err(s, rc);
	sqlite3_finalize(st);
	return r;
}

int dps_device_set_status(dps_store *s, const uint8_t id[32], int status)
{
	dps_device d;
	int r = dps_device_get(s, id, &d);
	if (r)
		return r;
	if (d.status == DPS_REVOKED)
		return DP_ESTATE; /* revocation is final */
	/* "AND status != 2" closes the race with a concurrent revoke */
	sqlite3_stmt *st = prep(s, "UPDATE devices SET status=? WHERE id=? AND status!=2");
	if (!st)
		return DP_ESTORE;
	sqlite3_bind_int(st, 1, status);
	bind_blob(st, 2, id, 32);
	r = run(s, st);
	if (!r && sqlite3_changes(s->db) != 1)
		r = DP_ESTATE;
	sqlite3_finalize(st);
	return r;
}

int dps_device_list(dps_store *s, const char *officer, int (*cb)(void *ctx, const dps_device *d),
		    void *ctx)
{
	sqlite3_stmt *st = prep(s, officer ? "SELECT " DEV_COLS " FROM devices WHERE officer=? ORDER BY id"
					   : "SELECT " DEV_COLS " FROM devices ORDER BY officer,id");
	if (!st)
		return DP_ESTORE;
	if (officer)
		bind_text(st, 1, officer);
	int rc, r = DP_OK;
	dps_device d;
	while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		device_row(st, 0, &d);
		r = device_windows(s, &d);
		if (!r)
			r = cb(ctx, &d);
	}
	if (!r && rc != SQLITE_DONE)
		r = step_err(s, rc);
	sqlite3_finalize(st);
	return r;
}

int dps_post_devices(dps_store *s, const char *post,
		     int (*cb)(void *ctx, const dps_officer *o, const dps_device *d), void *ctx)
{
	sqlite3_stmt *st = prep(s, "SELECT o.handle,o.post,o.fullname,o.clearance,o.captions,o.roles,"
				   "o.status,d.id,d.tls_key,d.officer,d.name,d.status,d.created "
				   "FROM officers o JOIN devices d "
				   "ON d.officer=o.handle WHERE o.post=? ORDER BY o.handle,d.id");
	if (!st)
		return DP_ESTORE;
	bind_text(st, 1, post);
	int rc, r = DP_OK;
	dps_officer o;
	dps_device d;
	while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		officer_row(st, &o);
		device_row(st, 7, &d);
		r = device_windows(s, &d);
		if (!r)
			r = cb(ctx, &o, &d);
	}
	if (!r && rc != SQLITE_DONE)
		r = step_err(s, rc);
	sqlite3_finalize(st);
	return r;
}

/* ---- key epochs ---- */

/* One integer column of a one-row query on (device[, i2]); *v = -1 for NULL or no row. */
static int dev_int(dps_store *s, int q, const uint8_t device[32], int64_t i2, int64_t *v)
{
	sqlite3_stmt *st = stmt(s, q);
	bind_blob(st, 1, device, 32);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, i2);
	int rc = sqlite3_step(st), r = DP_OK;
	*v = -1;
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*v = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = step_err(s, rc);
	sqlite3_reset(st);
	return r;
}

/* The rules of dps_epoch_put, inside a transaction. */
static int epoch_put(dps_store *s, dps_epoch_pub *p)
{
	const dp_epoch_key *k = p->k;
	int64_t v;
	int r = dev_int(s, Q_DEV_EXISTS, k->device, 0, &v);
	if (r || v < 0)
		return r ? r : DP_ENOTFOUND;
	/* the same epoch again: idempotent if byte-identical, else a conflict */
	sqlite3_stmt *st = stmt(s, Q_EPK_GET);
	bind_blob(st, 1, k->device, 32);
	sqlite3_bind_int64(st, 2, k->epoch);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const void *old = sqlite3_column_blob(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		p->duplicate = n == p->len && old && memcmp(old, p->record, n) == 0;
		if (p->duplicate)
			p->log_idx = col_i64_or_neg(st, 3);
		sqlite3_reset(st);
		return p->duplicate ? DP_OK : DP_EEXISTS;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return step_err(s, rc);

	if ((r = dev_int(s, Q_EPK_MAX, k->device, 0, &v)))
		return r;
	if (v >= 0 && (int64_t)k->epoch <= v) {
		p->rule = DPS_EPR_EPOCH;
		p->last_epoch = (uint32_t)v;
		return DP_ESTATE;
	}
	if (strlen(k->age_recipient) < RCPT_KEY_OFF + RCPT_KEY_LEN)
		return DP_EINVAL; /* not a decoded post-quantum recipient */
	st = stmt(s, Q_EPK_RCPT);
	bind_blob(st, 1, k->device, 32);
	sqlite3_bind_text(st, 2, k->age_recipient + RCPT_KEY_OFF, RCPT_KEY_LEN, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *old = sqlite3_column_text(st, 1);
		if (old && strcmp((const char *)old, k->age_recipient) == 0) {
			p->rule = DPS_EPR_REUSED;
			p->reused_epoch = (uint32_t)sqlite3_column_int64(st, 0);
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return step_err(s, rc);
	if (p->rule)
		return DP_ESTATE;
	if (!p->enrol && k->not_after <= p->now)
		p->rule = DPS_EPR_EXPIRED;
	else if (k->not_before > p->now + DP_EPOCH_MAX_AHEAD)
		p->rule = DPS_EPR_AHEAD;
	if (p->rule)
		return DP_ESTATE;
	/* not closed = still accepted for cables: exactly what a device row's windows hold */
	if ((r = dev_int(s, Q_EPK_OPEN, k->device, p->now - DP_EPOCH_SKEW, &v)))
		return r;
	if (v >= DPS_EPOCHS_MAX) {
		p->rule = DPS_EPR_FULL;
		return DP_ESTATE;
	}
	st = stmt(s, Q_EPK_INS);
	bind_blob(st, 1, k->device, 32);
	sqlite3_bind_int64(st, 2, k->epoch);
	sqlite3_bind_int64(st, 3, k->not_before);
	sqlite3_bind_int64(st, 4, k->not_after);
	bind_text(st, 5, k->age_recipient);
	bind_blob(st, 6, p->record, p->len);
	sqlite3_bind_int64(st, 7, p->now);
	if (p->log_idx >= 0)
		sqlite3_bind_int64(st, 8, p->log_idx);
	return run(s, st);
}

int dps_epoch_put(dps_store *s, dps_epoch_pub *p)
{
	p->duplicate = 0;
	p->rule = DPS_EPR_NONE;
	p->last_epoch = p->reused_epoch = 0;
	if (p->len == 0 || p->len > DP_EPOCH_KEY_MAX)
		return DP_ETOOBIG;
	/* BEGIN IMMEDIATE: nobody else publishes for the device between the checks and the insert */
	int own = !s->in_txn;
	int r = own ? exec(s, "BEGIN IMMEDIATE") : DP_OK;
	if (r)
		return r;
	r = epoch_put(s, p);
	if (own) {
		if (!r)
			r = exec(s, "COMMIT");
		if (r && !sqlite3_get_autocommit(s->db))
			(void)exec(s, "ROLLBACK");
	}
	return r;
}

/* Columns 0..5 of Q_EPK_CUR. */
static int epoch_row(dps_store *s, sqlite3_stmt *st, dps_epoch *e)
{
	memset(e, 0, sizeof *e);
	e->epoch = (uint32_t)sqlite3_column_int64(st, 0);
	e->not_before = sqlite3_column_int64(st, 1);
	e->not_after = sqlite3_column_int64(st, 2);
	e->published = sqlite3_column_int64(st, 3);
	col_text(st, 4, e->age_recipient, sizeof e->age_recipient);
	const void *p = sqlite3_column_blob(st, 5);
	size_t n = (size_t)sqlite3_column_bytes(st, 5);
	if (!p || n == 0 || n > DP_EPOCH_KEY_MAX) {
		fprintf(stderr, "denpod: store: an epoch key record of %zu bytes is stored; the "
				"database is damaged\n", n);
		return DP_ESTORE;
	}
	memcpy(e->record, p, n);
	e->record[n] = 0;
	e->len = n;
	return DP_OK;
}

int dps_epoch_current(dps_store *s, const uint8_t device[32], int64_t now, dps_epoch *e,
		      int64_t *last_not_after)
{
	sqlite3_stmt *st = stmt(s, Q_EPK_CUR);
	bind_blob(st, 1, device, 32);
	sqlite3_bind_int64(st, 2, now);
	int rc = sqlite3_step(st), r;
	if (rc == SQLITE_ROW)
		r = epoch_row(s, st, e);
	else
		r = rc == SQLITE_DONE ? DP_ENOTFOUND : step_err(s, rc);
	sqlite3_reset(st);
	if (r != DP_ENOTFOUND || !last_not_after)
		return r;
	int64_t v;
	int r2 = dev_int(s, Q_EPK_LAST, device, now, &v);
	if (r2)
		return r2;
	*last_not_after = v < 0 ? 0 : v;
	return DP_ENOTFOUND;
}

/* One stored record's window and log index (either may be NULL); DP_ENOTFOUND. */
static int epoch_get(dps_store *s, const uint8_t device[32], uint32_t epoch, dps_window *w,
		     int64_t *idx)
{
	sqlite3_stmt *st = stmt(s, Q_EPK_GET);
	bind_blob(st, 1, device, 32);
	sqlite3_bind_int64(st, 2, epoch);
	int rc = sqlite3_step(st), r = DP_OK;
	if (rc == SQLITE_ROW) {
		if (w) {
			w->epoch = epoch;
			w->not_before = sqlite3_column_int64(st, 1);
			w->not_after = sqlite3_column_int64(st, 2);
		}
		if (idx)
			*idx = col_i64_or_neg(st, 3);
	} else {
		r = rc == SQLITE_DONE ? DP_ENOTFOUND : step_err(s, rc);
	}
	sqlite3_reset(st);
	return r;
}

int dps_epoch_window(dps_store *s, const uint8_t device[32], uint32_t epoch, dps_window *w)
{
	return epoch_get(s, device, epoch, w, NULL);
}

/* The pending cable ids of one epoch into x (at most DPS_PENDING_MAX, more = cut). */
static int epoch_pending(dps_store *s, const uint8_t device[32], dps_epoch_state *x)
{
	sqlite3_stmt *st = stmt(s, Q_EPK_PENDING);
	bind_blob(st, 1, device, 32);
	sqlite3_bind_int64(st, 2, x->w.epoch);
	sqlite3_bind_int64(st, 3, DPS_PENDING_MAX + 1);
	int rc;
	x->npending = 0;
	x->more = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (x->npending == DPS_PENDING_MAX) {
			x->more = 1;
			continue;
		}
		col_blob(st, 0, x->pending[x->npending++], DP_CABLE_ID);
	}
	int r = rc == SQLITE_DONE ? DP_OK : step_err(s, rc);
	sqlite3_reset(st);
	return r;
}

int dps_epoch_list(dps_store *s, const uint8_t device[32], int64_t now,
		   int (*cb)(void *ctx, const dps_epoch_state *st), void *ctx)
{
	/* not closed (index on not_after), or named by a pending delivery (the device's queue) */
	sqlite3_stmt *st = prep(s, "SELECT epoch,not_before,not_after FROM epoch_keys WHERE "
				   "device=?1 AND epoch IN (SELECT epoch FROM epoch_keys WHERE "
				   "device=?1 AND not_after>?2 UNION SELECT epoch FROM deliveries "
				   "WHERE device=?1 AND acked IS NULL) ORDER BY epoch");
	dps_epoch_state x;
	memset(&x, 0, sizeof x);
	x.pending = calloc(DPS_PENDING_MAX, sizeof *x.pending);
	if (!st || !x.pending) {
		sqlite3_finalize(st);
		free(x.pending);
		return st ? DP_ENOMEM : DP_ESTORE;
	}
	bind_blob(st, 1, device, 32);
	sqlite3_bind_int64(st, 2, now - DP_EPOCH_SKEW);
	int rc, r = DP_OK;
	while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		x.w.epoch = (uint32_t)sqlite3_column_int64(st, 0);
		x.w.not_before = sqlite3_column_int64(st, 1);
		x.w.not_after = sqlite3_column_int64(st, 2);
		x.closed = now >= x.w.not_after + DP_EPOCH_SKEW;
		r = epoch_pending(s, device, &x);
		if (!r)
			r = cb(ctx, &x);
	}
	if (!r && rc != SQLITE_DONE)
		r = step_err(s, rc);
	sqlite3_finalize(st);
	free(x.pending);
	return r;
}

/* ---- cables ---- */

/* Columns 0..10 of the cable SELECTs. */
static void cable_row(sqlite3_stmt *st, dps_cable *c)
{
	memset(c, 0, sizeof *c);
	c->seq = sqlite3_column_int64(st, 0);
	col_blob(st, 1, c->cable_id, DP_CABLE_ID);
	col_text(st, 2, c->mrn, sizeof c->mrn);
	col_text(st, 3, c->from_post, sizeof c->from_post);
	col_blob(st, 4, c->from_device, 32);
	col_text(st, 5, c->officer, sizeof c->officer);
	c->classification = sqlite3_column_int(st, 6);
	c->prec_action = sqlite3_column_int(st, 7);
	c->prec_info = sqlite3_column_int(st, 8);
	c->accepted = sqlite3_column_int64(st, 9);
	c->size = (uint64_t)sqlite3_column_int64(st, 10);
	c->log_idx = -1;
}

static void rcpt_row(sqlite3_stmt *st, int i, dps_rcpt *r)
{
	col_blob(st, i, r->device, 32);
	r->role = sqlite3_column_int(st, i + 1);
	r->prec = sqlite3_column_int(st, i + 2);
	r->delivered = col_i64_or0(st, i + 3);
	r->acked = col_i64_or0(st, i + 4);
	r->epoch = (uint32_t)sqlite3_column_int64(st, i + 5);
	r->ack_log = -1;
}

/* Next MRN number of post in year, bumping the counter (inside the caller's transaction). */
static int mrn_next(dps_store *s, const char *post, int year, int64_t *num)
{
	sqlite3_stmt *st = stmt(s, Q_MRN_GET);
	bind_text(st, 1, post);
	sqlite3_bind_int(st, 2, year);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*num = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		st = stmt(s, Q_MRN_SET);
	} else if (rc == SQLITE_DONE) {
		*num = 1;
		sqlite3_reset(st);
		st = stmt(s, Q_MRN_INS);
	} else {
		sqlite3_reset(st);
		return step_err(s, rc);
	}
	bind_text(st, 1, post);
	sqlite3_bind_int(st, 2, year);
	return run(s, st);
}

int dps_cable_insert(dps_store *s, dps_submit *sub)
{
	uint8_t digest[DP_SHA256];
	if (!s->in_txn)
		return DP_EINVAL;
	dp_sha256(digest, sub->data, sub->len);
	memcpy(sub->digest, digest, sizeof digest);
	sub->duplicate = 0;

	sqlite3_stmt *st = stmt(s, Q_CABLE_BY_ID);
	bind_blob(st, 1, sub->c.cable_id, DP_CABLE_ID);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		uint8_t old[DP_SHA256];
		dps_cable c;
		cable_row(st, &c);
		col_blob(st, 11, old, sizeof old);
		/* a retry must be byte-identical; anything else reuses an id */
		if (memcmp(old, digest, sizeof old) != 0) {
			sqlite3_reset(st);
			return DP_EEXISTS;
		}
		sub->duplicate = 1;
		memcpy(sub->mrn, c.mrn, sizeof sub->mrn);
		sub->accepted = c.accepted;
		sub->log_idx = col_i64_or_neg(st, 12);
		sqlite3_reset(st);
		return DP_OK;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return step_err(s, rc);

	/* Savepoint: a failure below undoes this cable only, not the batch. */
	int r = run(s, stmt(s, Q_SAVEPOINT));
	if (r)
		return r;
	time_t now = (time_t)sub->now;
	struct tm tm;
	gmtime_r(&now, &tm);
	int year = tm.tm_year + 1900;
	int64_t num = 0;
	r = mrn_next(s, sub->c.from_post, year, &num);
	if (r)
		goto fail;
	if (num > 999999) {
		r = DP_ETOOBIG; /* the MRN has six digits */
		goto fail;
	}
	r = dp_mrn_format(sub->mrn, year, sub->c.from_post, (uint32_t)num);
	if (r)
		goto fail;
	sub->accepted = sub->now;

	st = stmt(s, Q_CABLE_INS);
	bind_blob(st, 1, sub->c.cable_id, DP_CABLE_ID);
	bind_text(st, 2, sub->mrn);
	bind_text(st, 3, sub->c.from_post);
	bind_blob(st, 4, sub->c.from_device, 32);
	bind_text(st, 5, sub->c.officer);
	sqlite3_bind_int(st, 6, sub->c.classification);
	sqlite3_bind_int(st, 7, sub->c.prec_action);
	sqlite3_bind_int(st, 8, sub->c.prec_info);
	sqlite3_bind_int64(st, 9, sub->now);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)sub->len);
	bind_blob(st, 11, digest, sizeof digest);
	sqlite3_bind_blob64(st, 12, sub->data, sub->len, SQLITE_STATIC);
	sqlite3_bind_int(st, 14, sub->c.decoy != 0);
	if (sub->log_idx >= 0)
		sqlite3_bind_int64(st, 13, sub->log_idx);
	r = run(s, st);
	sqlite3_clear_bindings(st); /* drop the SQLITE_STATIC pointer */
	if (r)
		goto fail;
	int64_t seq = sqlite3_last_insert_rowid(s->db);
	for (size_t i = 0; i < sub->nrcpts; i++) {
		st = stmt(s, Q_RCPT_INS);
		sqlite3_bind_int64(st, 1, seq);
		bind_blob(st, 2, sub->rcpts[i].device, 32);
		sqlite3_bind_int(st, 3, sub->rcpts[i].role);
		sqlite3_bind_int(st, 4, sub->rcpts[i].prec);
		sqlite3_bind_int64(st, 5, sub->now + dp_prec_objective(sub->rcpts[i].prec));
		sqlite3_bind_int64(st, 6, sub->rcpts[i].epoch);
		/* a decoy goes straight to the archive: never into an inbox */
		if (sub->c.decoy)
			sqlite3_bind_int64(st, 7, sub->now);
		else
			sqlite3_bind_null(st, 7);
		r = run(s, st);
		if (r)
			goto fail;
	}
	sub->c.seq = seq;
	return run(s, stmt(s, Q_RELEASE));
fail:
	(void)run(s, stmt(s, Q_ROLLBACK_TO));
	(void)run(s, stmt(s, Q_RELEASE));
	return r;
}

int dps_cable_get(dps_store *s, const uint8_t id[DP_CABLE_ID], dps_cable *c)
{
	sqlite3_stmt *st = stmt(s, Q_CABLE_BY_ID);
	bind_blob(st, 1, id, DP_CABLE_ID);
	int rc = sqlite3_step(st), r = DP_OK;
	if (rc == SQLITE_ROW) {
		cable_row(st, c);
		c->log_idx = col_i64_or_neg(st, 12);
		c->decoy = sqlite3_column_int(st, 13);
	} else
		r = rc == SQLITE_DONE ? DP_ENOTFOUND : step_err(s, rc);
	sqlite3_reset(st);
	return r;
}

int dps_cable_stored(dps_store *s, const uint8_t id[DP_CABLE_ID], const uint8_t *data, size_t len,
		     dps_cable *c)
{
	uint8_t digest[DP_SHA256], old[DP_SHA256];
	dp_sha256(digest, data, len);
	sqlite3_stmt *st = stmt(s, Q_CABLE_BY_ID);
	bind_blob(st, 1, id, DP_CABLE_ID);
	int rc = sqlite3_step(st), r = DP_OK;
	if (rc == SQLITE_ROW) {
		cable_row(st, c);
		c->log_idx = col_i64_or_neg(st, 12);
		c->decoy = sqlite3_column_int(st, 13);
		col_blob(st, 11, old, sizeof old);
		r = memcmp(old, digest, sizeof old) == 0 ? DP_OK : DP_EEXISTS;
	} else {
		r = rc == SQLITE_DONE ? DP_ENOTFOUND : step_err(s, rc);
	}
	sqlite3_reset(st);
	return r;
}

int dps_cable_data(dps_store *s, int64_t seq, dp_buf *out)
{
	sqlite3_stmt *st = stmt(s, Q_DATA);
	sqlite3_bind_int64(st, 1, seq);
	int rc = sqlite3_step(st), r;
	if (rc == SQLITE_ROW) {
		dp_buf_reset(out);
		r = dp_buf_append(out, sqlite3_column_blob(st, 0),
				  (size_t)sqlite3_column_bytes(st, 0));
	} else {
		r = rc == SQLITE_DONE ? DP_ENOTFOUND : step_err(s, rc);
	}
	sqlite3_reset(st);
	return r;
}

int dps_cable_envelope(dps_store *s, int64_t seq, dp_buf *out)
{
	/*
	 * Incremental blob I/O reads only the pages that hold the first
	 * 4 + envelope_len bytes: listing a queue of large cables never reads
	 * their payloads.
	 */
	sqlite3_blob *b = NULL;
	int rc = sqlite3_blob_open(s->db, "main", "cables", "data", seq, 0, &b);
	if (rc != SQLITE_OK) {
		sqlite3_blob_close(b);
		return rc == SQLITE_ERROR ? DP_ENOTFOUND : step_err(s, rc); /* SQLITE_ERROR: no such row */
	}
	uint8_t h[4];
	int total = sqlite3_blob_bytes(b), r = DP_OK;
	uint32_t n = 0;
	if (total < 4 || sqlite3_blob_read(b, h, 4, 0) != SQLITE_OK)
		r = DP_EPARSE; /* too short for the framing, or unreadable */
	else
		n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
	if (!r && (n == 0 || n > DP_ENVELOPE_MAX || (int64_t)n + 4 > total))
		r = DP_EPARSE; /* an envelope length the submission cannot hold */
	uint8_t *p = NULL;
	dp_buf_reset(out);
	if (!r)
		r = dp_buf_grow(out, n, &p);
	if (!r && sqlite3_blob_read(b, p, (int)n, 4) != SQLITE_OK) {
		dp_buf_reset(out);
		r = step_err(s, sqlite3_errcode(s->db));
	}
	sqlite3_blob_close(b);
	return r;
}

int dps_rcpt_get(dps_store *s, int64_t seq, const uint8_t device[32], dps_rcpt *rc_out)
{
	sqlite3_stmt *st = stmt(s, Q_RCPT_GET);
	sqlite3_bind_int64(st, 1, seq);
	bind_blob(st, 2, device, 32);
	int rc = sqlite3_step(st), r = DP_OK;
	if (rc == SQLITE_ROW) {
		rcpt_row(st, 0, rc_out);
		rc_out->ack_log = col_i64_or_neg(st, 6);
	} else
		r = rc == SQLITE_DONE ? DP_ENOTFOUND : step_err(s, rc);
	sqlite3_reset(st);
	return r;
}

int dps_rcpts(dps_store *s, int64_t seq, int (*cb)(void *ctx, const dps_rcpt *r), void *ctx)
{
	sqlite3_stmt *st = stmt(s, Q_RCPTS);
	sqlite3_bind_int64(st, 1, seq);
	int rc, r = DP_OK;
	dps_rcpt x;
	while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rcpt_row(st, 0, &x);
		r = cb(ctx, &x);
	}
	if (!r && rc != SQLITE_DONE)
		r = step_err(s, rc);
	sqlite3_reset(st);
	return r;
}

static int receipt(dps_store *s, int q, int64_t seq, const uint8_t device[32], int64_t t,
		   int64_t log_idx, int *first)
{
	dps_rcpt x;
	int r = dps_rcpt_get(s, seq, device, &x);
	if (r)
		return r;
	sqlite3_stmt *st = stmt(s, q);
	int i = 1;
	sqlite3_bind_int64(st, i++, t);
	if (q == Q_ACK) {
		sqlite3_bind_int64(st, i++, t);
		if (log_idx >= 0)
			sqlite3_bind_int64(st, i, log_idx);
		i++;
	}
	sqlite3_bind_int64(st, i++, seq);
	bind_blob(st, i, device, 32);
	r = run(s, st);
	if (!r && first)
		*first = sqlite3_changes(s->db) == 1; /* the UPDATE matched only an unset receipt */
	return r;
}

int dps_mark_delivered(dps_store *s, int64_t seq, const uint8_t device[32], int64_t t)
{
	return receipt(s, Q_DELIVER, seq, device, t, -1, NULL);
}

int dps_mark_acked(dps_store *s, int64_t seq, const uint8_t device[32], int64_t t)
{
	return receipt(s, Q_ACK, seq, device, t, -1, NULL);
}

int dps_mark_delivered_first(dps_store *s, int64_t seq, const uint8_t device[32], int64_t t,
			     int *first)
{
	return receipt(s, Q_DELIVER, seq, device, t, -1, first);
}

int dps_mark_acked_log(dps_store *s, int64_t seq, const uint8_t device[32], int64_t t,
		       int64_t log_idx, int *first)
{
	return receipt(s, Q_ACK, seq, device, t, log_idx, first);
}

int dps_inbox(dps_store *s, const uint8_t device[32], size_t limit,
	      int (*cb)(void *ctx, const dps_cable *c, const dps_rcpt *r), void *ctx)
{
	sqlite3_stmt *st = stmt(s, Q_INBOX);
	bind_blob(st, 1, device, 32);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	int rc, r = DP_OK;
	dps_cable c;
	dps_rcpt x;
	while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		cable_row(st, &c);
		rcpt_row(st, 11, &x);
		r = cb(ctx, &c, &x);
	}
	if (!r && rc != SQLITE_DONE)
		r = step_err(s, rc);
	sqlite3_reset(st);
	return r;
}

int dps_inbox_has_after(dps_store *s, const uint8_t device[32], int64_t after, int *yes)
{
	sqlite3_stmt *st = stmt(s, Q_INBOX_NEW);
	bind_blob(st, 1, device, 32);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)after);
	int rc = sqlite3_step(st);
	int r = DP_OK;
	if (rc == SQLITE_ROW)
		*yes = sqlite3_column_int(st, 0) != 0;
	else
		r = step_err(s, rc);
	sqlite3_reset(st);
	return r;
}

#define CABLE_COLS "seq,cable_id,mrn,from_post,from_device,officer,classification,prec_action," \
		   "prec_info,accepted,size"

static int cable_query(dps_store *s, sqlite3_stmt *st, int (*cb)(void *ctx, const dps_cable *c),
		       void *ctx)
{
	if (!st)
		return DP_ESTORE;
	int rc, r = DP_OK;
	dps_cable c;
	while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		cable_row(st, &c);
		r = cb(ctx, &c);
	}
	if (!r && rc != SQLITE_DONE)
		r = step_err(s, rc);
	sqlite3_finalize(st);
	return r;
}

int dps_sent(dps_store *s, const char *officer, int64_t before, size_t limit,
	     int (*cb)(void *ctx, const dps_cable *c), void *ctx)
{
	sqlite3_stmt *st = prep(s, "SELECT " CABLE_COLS " FROM cables WHERE officer=? AND seq<? "
				   "ORDER BY seq DESC LIMIT ?");
	if (st) {
		bind_text(st, 1, officer);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)before);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
	}
	return cable_query(s, st, cb, ctx);
}

int dps_cable_list(dps_store *s, size_t limit, int (*cb)(void *ctx, const dps_cable *c), void *ctx)
{
	sqlite3_stmt *st = prep(s, "SELECT " CABLE_COLS " FROM cables ORDER BY seq DESC LIMIT ?");
	if (st)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)limit);
	return cable_query(s, st, cb, ctx);
}

int dps_overdue(dps_store *s, int64_t now, const char *post,
		int (*cb)(void *ctx, const dps_cable *c, const dps_rcpt *r), void *ctx)
{
	sqlite3_stmt *st = prep(
		s, "SELECT c.seq,c.cable_id,c.mrn,c.from_post,c.from_device,c.officer,c.classification,"
		   "c.prec_action,c.prec_info,c.accepted,c.size,"
		   "d.device,d.role,d.prec,d.delivered,d.acked,d.epoch FROM deliveries d "
		   "JOIN cables c ON c.seq=d.seq JOIN devices v ON v.id=d.device "
		   "JOIN officers o ON o.handle=v.officer "
		   "WHERE d.acked IS NULL AND d.due<?1 AND (?2 IS NULL OR o.post=?2) "
		   "ORDER BY d.prec,d.seq");
	if (!st)
		return DP_ESTORE;
	sqlite3_bind_int64(st, 1, now);
	if (post)
		bind_text(st, 2, post);
	int rc, r = DP_OK;
	dps_cable c;
	dps_rcpt x;
	while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		cable_row(st, &c);
		rcpt_row(st, 11, &x);
		r = cb(ctx, &c, &x);
	}
	if (!r && rc != SQLITE_DONE)
		r = step_err(s, rc);
	sqlite3_finalize(st);
	return r;
}

int dps_queue_stats(dps_store *s, int64_t now, uint64_t queue[4], uint64_t *overdue)
{
	sqlite3_stmt *st = prep(s, "SELECT d.prec,count(*),total(d.due<?1) FROM deliveries d "
				   "JOIN cables c ON c.seq=d.seq "
				   "WHERE d.acked IS NULL AND c.decoy=0 GROUP BY d.prec");
	if (!st)
		return DP_ESTORE;
	sqlite3_bind_int64(st, 1, now);
	memset(queue, 0, 4 * sizeof queue[0]);
	*overdue = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t p = sqlite3_column_int64(st, 0);
		if (p >= 0 && p < 4)
			queue[p] = (uint64_t)sqlite3_column_int64(st, 1);
		*overdue += (uint64_t)sqlite3_column_double(st, 2);
	}
	int r = rc == SQLITE_DONE ? DP_OK : step_err(s, rc);
	sqlite3_finalize(st);
	return r;
}

/* ---- key retirement ---- */

int dps_epoch_retire(dps_store *s, const uint8_t device[32], int64_t now,
		     int (*cb)(void *ctx, uint32_t epoch), void *ctx)
{
	if (!s->in_txn)
		return DP_EINVAL;
	/* closed: now >= not_after + skew; INT64_MAX (a revocation) takes every record */
	int64_t before = now == INT64_MAX ? INT64_MAX : now - DP_EPOCH_SKEW;
	sqlite3_stmt *sel = prep(s, "SELECT epoch FROM epoch_keys INDEXED BY epoch_keys_unretired "
				    "WHERE device=? AND retired=0 AND not_after<=? ORDER BY epoch");
	sqlite3_stmt *upd = prep(s, "UPDATE epoch_keys SET retired=1 WHERE device=? AND epoch=?");
	if (!sel || !upd) {
		sqlite3_finalize(sel);
		sqlite3_finalize(upd);
		return DP_ESTORE;
	}
	bind_blob(sel, 1, device, 32);
	sqlite3_bind_int64(sel, 2, before);
	/* collect first: the update changes the index the select walks */
	uint32_t ep[DPS_EPOCHS_MAX];
	size_t n = 0;
	int rc, r = DP_OK;
	while (n < DPS_EPOCHS_MAX && (rc = sqlite3_step(sel)) == SQLITE_ROW)
		ep[n++] = (uint32_t)sqlite3_column_int64(sel, 0);
	if (n < DPS_EPOCHS_MAX && rc != SQLITE_DONE)
		r = step_err(s, rc);
	sqlite3_finalize(sel);
	/* more than DPS_EPOCHS_MAX at once (a revocation of an old device): the next call takes the rest */
	for (size_t i = 0; !r && i < n; i++) {
		sqlite3_reset(upd);
		bind_blob(upd, 1, device, 32);
		sqlite3_bind_int64(upd, 2, ep[i]);
		r = run(s, upd);
		if (!r)
			r = cb(ctx, ep[i]);
	}
	sqlite3_finalize(upd);
	if (!r && n == DPS_EPOCHS_MAX)
		return dps_epoch_retire(s, device, now, cb, ctx);
	return r;
}

int dps_epoch_log_idx(dps_store *s, const uint8_t device[32], uint32_t epoch, int64_t *idx)
{
	return epoch_get(s, device, epoch, NULL, idx);
}

/* ---- transparency log ---- */

int dps_log_next(dps_store *s, uint64_t *idx)
{
	if (!s->in_txn)
		return DP_EINVAL;
	if (s->log_next < 0) {
		/* once per transaction: BEGIN IMMEDIATE holds the write lock, so nobody appends meanwhile */
		sqlite3_stmt *st = stmt(s, Q_LOG_MAX);
		int rc = sqlite3_step(st);
		if (rc != SQLITE_ROW) {
			sqlite3_reset(st);
			return step_err(s, rc);
		}
		s->log_next = col_i64_or_neg(st, 0) + 1;
		sqlite3_reset(st);
	}
	*idx = (uint64_t)s->log_next;
	return DP_OK;
}

int dps_log_append(dps_store *s, const uint8_t *e, size_t len, uint64_t *idx)
{
	if (len == 0 || len > DP_TLOG_ENTRY_MAX)
		return DP_ETOOBIG;
	uint64_t i;
	int r = dps_log_next(s, &i);
	if (r)
		return r;
	sqlite3_stmt *st = stmt(s, Q_LOG_INS);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)i);
	sqlite3_bind_blob(st, 2, e, (int)len, SQLITE_STATIC);
	r = run(s, st);
	sqlite3_clear_bindings(st); /* drop the SQLITE_STATIC pointer */
	if (r)
		return r == DP_EEXISTS ? DP_ESTORE : r; /* a taken index: another writer broke the rule */
	s->log_next++;
	if (idx)
		*idx = i;
	return DP_OK;
}

int dps_log_size(dps_store *s, uint64_t *size)
{
	sqlite3_stmt *st = stmt(s, Q_LOG_MAX);
	int rc = sqlite3_step(st), r = DP_OK;
	if (rc == SQLITE_ROW)
		*size = (uint64_t)(col_i64_or_neg(st, 0) + 1);
	else
		r = step_err(s, rc);
	sqlite3_reset(st);
	return r;
}

int dps_log_entries(dps_store *s, uint64_t from, uint64_t count,
		    int (*cb)(void *ctx, uint64_t idx, const uint8_t *e, size_t len), void *ctx)
{
	if (from > INT64_MAX)
		return DP_OK;
	sqlite3_stmt *st = stmt(s, Q_LOG_GET);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)from);
	sqlite3_bind_int64(st, 2, count > INT64_MAX ? INT64_MAX : (sqlite3_int64)count);
	int rc, r = DP_OK;
	uint64_t want = from;
	while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t i = (uint64_t)sqlite3_column_int64(st, 0);
		const void *p = sqlite3_column_blob(st, 1);
		size_t n = (size_t)sqlite3_column_bytes(st, 1);
		if (i != want || !p || n == 0) {
			fprintf(stderr, "denpod: store: log entry %llu is %s; the database is damaged\n",
				(unsigned long long)want, i != want ? "missing" : "empty");
			r = DP_ESTORE;
			break;
		}
		want++;
		r = cb(ctx, i, p, n);
	}
	if (!r && rc != SQLITE_DONE)
		r = step_err(s, rc);
	sqlite3_reset(st);
	return r;
}

int dps_log_tile(dps_store *s, unsigned tlevel, uint64_t n, unsigned width, uint8_t *out)
{
	if (width < 1 || width > 256 || n > INT64_MAX)
		return DP_EINVAL;
	sqlite3_stmt *st = stmt(s, Q_TILE_GET);
	sqlite3_bind_int(st, 1, (int)tlevel);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)n);
	int rc = sqlite3_step(st), r = DP_OK;
	if (rc == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(st, 0);
		size_t len = (size_t)sqlite3_column_bytes(st, 0);
		/* a prefix of the stored (possibly growing) tile */
		if (p && len >= (size_t)width * 32 && len % 32 == 0 && len <= 256 * 32)
			memcpy(out, p, (size_t)width * 32);
		else
			r = DP_ENOTFOUND;
	} else {
		r = rc == SQLITE_DONE ? DP_ENOTFOUND : step_err(s, rc);
	}
	sqlite3_reset(st);
	return r;
}

int dps_log_tile_put(dps_store *s, unsigned tlevel, uint64_t n, const uint8_t *h, unsigned width)
{
	if (!s->in_txn || width < 1 || width > 256 || n > INT64_MAX)
		return DP_EINVAL;
	sqlite3_stmt *st = stmt(s, Q_TILE_PUT);
	sqlite3_bind_int(st, 1, (int)tlevel);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)n);
	sqlite3_bind_blob(st, 3, h, (int)width * 32, SQLITE_STATIC);
	int r = run(s, st);
	sqlite3_clear_bindings(st);
	return r;
}

int dps_log_tiles(dps_store *s, int (*cb)(void *ctx, unsigned tlevel, uint64_t n, unsigned width),
		  void *ctx)
{
	sqlite3_stmt *st = prep(s, "SELECT level,n,length(data) FROM log_tiles ORDER BY level,n");
	if (!st)
		return DP_ESTORE;
	int rc, r = DP_OK;
	while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t len = sqlite3_column_int64(st, 2);
		/* a width the caller can trust: anything else is reported as damage */
		unsigned w = len > 0 && len <= 256 * 32 && len % 32 == 0 ? (unsigned)(len / 32) : 0;
		r = cb(ctx, (unsigned)sqlite3_column_int(st, 0), (uint64_t)sqlite3_column_int64(st, 1), w);
	}
	if (!r && rc != SQLITE_DONE)
		r = step_err(s, rc);
	sqlite3_finalize(st);
	return r;
}

/* Columns size, root, t, note. */
static int checkpoint_row(dps_store *s, sqlite3_stmt *st, dps_checkpoint *c)
{
	memset(c, 0, sizeof *c);
	c->size = (uint64_t)sqlite3_column_int64(st, 0);
	const void *root = sqlite3_column_blob(st, 1);
	const unsigned char *note = sqlite3_column_text(st, 3);
	size_t n = (size_t)sqlite3_column_bytes(st, 3);
	if (!root || sqlite3_column_bytes(st, 1) != 32 || !note || n == 0 || n > DPS_NOTE_MAX) {
		fprintf(stderr, "denpod: store: the log checkpoint of size %llu is malformed; the "
				"database is damaged\n", (unsigned long long)c->size);
		return DP_ESTORE;
	}
	memcpy(c->root, root, 32);
	c->t = sqlite3_column_int64(st, 2);
	memcpy(c->note, note, n);
	c->note[n] = 0;
	c->note_len = n;
	return DP_OK;
}

static int checkpoint_one(dps_store *s, sqlite3_stmt *st, dps_checkpoint *c)
{
	int rc = sqlite3_step(st), r;
	if (rc == SQLITE_ROW)
		r = checkpoint_row(s, st, c);
	else
		r = rc == SQLITE_DONE ? DP_ENOTFOUND : step_err(s, rc);
	sqlite3_reset(st);
	return r;
}

int dps_log_checkpoint_put(dps_store *s, const dps_checkpoint *c)
{
	if (!s->in_txn || c->size > INT64_MAX || c->note_len == 0 || c->note_len > DPS_NOTE_MAX)
		return DP_EINVAL;
	dps_checkpoint old;
	sqlite3_stmt *st = stmt(s, Q_CP_GET);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)c->size);
	int r = checkpoint_one(s, st, &old);
	if (r == DP_OK)
		return memcmp(old.root, c->root, 32) == 0 ? DP_OK : DP_EEXISTS;
	if (r != DP_ENOTFOUND)
		return r;
	st = stmt(s, Q_CP_INS);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)c->size);
	bind_blob(st, 2, c->root, 32);
	sqlite3_bind_int64(st, 3, c->t);
	sqlite3_bind_text(st, 4, c->note, (int)c->note_len, SQLITE_TRANSIENT);
	return run(s, st);
}

int dps_log_latest(dps_store *s, dps_checkpoint *c)
{
	return checkpoint_one(s, stmt(s, Q_CP_LAST), c);
}

int dps_log_checkpoint_next(dps_store *s, int64_t after, dps_checkpoint *c)
{
	sqlite3_stmt *st = stmt(s, Q_CP_NEXT);
	sqlite3_bind_int64(st, 1, after);
	return checkpoint_one(s, st, c);
}

int dps_log_cosig_put(dps_store *s, uint64_t size, const uint8_t device[32], int64_t ts,
		      const char *line)
{
	sqlite3_stmt *st = prep(s, "INSERT OR IGNORE INTO log_cosigs(size,device,ts,line) "
				   "VALUES(?,?,?,?)");
	if (!st)
		return DP_ESTORE;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	bind_blob(st, 2, device, 32);
	sqlite3_bind_int64(st, 3, ts);
	bind_text(st, 4, line);
	int r = run(s, st);
	sqlite3_finalize(st);
	return r;
}

int dps_log_rollback_add(dps_store *s, uint64_t idx)
{
	sqlite3_stmt *st = prep(s, "INSERT OR IGNORE INTO log_rollbacks(idx) VALUES(?)");
	if (!st)
		return DP_ESTORE;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)idx);
	int r = run(s, st);
	sqlite3_finalize(st);
	return r;
}

int dps_log_rollbacks(dps_store *s, uint64_t below, size_t max,
		      int (*cb)(void *ctx, uint64_t idx, const uint8_t *e, size_t len), void *ctx)
{
	/* the newest max, handed out oldest first */
	sqlite3_stmt *st = prep(s, "SELECT idx, data FROM (SELECT r.idx AS idx, e.data AS data "
				   "FROM log_rollbacks r JOIN log_entries e ON e.idx=r.idx WHERE r.idx<? "
				   "ORDER BY r.idx DESC LIMIT ?) ORDER BY idx");
	if (!st)
		return DP_ESTORE;
	sqlite3_bind_int64(st, 1, below > INT64_MAX ? INT64_MAX : (sqlite3_int64)below);
	sqlite3_bind_int64(st, 2, max > INT64_MAX ? INT64_MAX : (sqlite3_int64)max);
	int rc, r = DP_OK;
	while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(st, 1);
		size_t n = (size_t)sqlite3_column_bytes(st, 1);
		if (p && n)
			r = cb(ctx, (uint64_t)sqlite3_column_int64(st, 0), p, n);
	}
	if (!r && rc != SQLITE_DONE)
		r = step_err(s, rc);
	sqlite3_finalize(st);
	return r;
}

int dps_log_recovery_get(dps_store *s, uint64_t rollback, const uint8_t device[32], int64_t *idx)
{
	*idx = -1;
	sqlite3_stmt *st = prep(s, "SELECT idx FROM log_recoveries WHERE rollback=? AND device=?");
	if (!st)
		return DP_ESTORE;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)rollback);
	bind_blob(st, 2, device, 32);
	int rc = sqlite3_step(st), r = DP_OK;
	if (rc == SQLITE_ROW)
		*idx = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		r = step_err(s, rc);
	sqlite3_finalize(st);
	return r;
}

int dps_log_recovery_put(dps_store *s, uint64_t rollback, const uint8_t device[32], uint64_t size,
			 uint64_t idx)
{
	sqlite3_stmt *st = prep(s, "INSERT INTO log_recoveries(rollback,device,size,idx) VALUES(?,?,?,?)");
	if (!st)
		return DP_ESTORE;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)rollback);
	bind_blob(st, 2, device, 32);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)size);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)idx);
	int r = run(s, st);
	sqlite3_finalize(st);
	return r;
}

int dps_log_cosigs(dps_store *s, uint64_t size, size_t max,
		   int (*cb)(void *ctx, const char *line), void *ctx)
{
	sqlite3_stmt *st = prep(s, "SELECT line FROM log_cosigs WHERE size=? "
				   "ORDER BY ts DESC, device LIMIT ?");
	if (!st)
		return DP_ESTORE;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	int rc, r = DP_OK;
	while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = cb(ctx, (const char *)sqlite3_column_text(st, 0));
	if (!r && rc != SQLITE_DONE)
		r = step_err(s, rc);
	sqlite3_finalize(st);
	return r;
}

int dps_log_witnessed(dps_store *s, unsigned min, uint64_t at_most, dps_checkpoint *c)
{
	sqlite3_stmt *st = prep(s, "SELECT size FROM log_cosigs WHERE size<=? GROUP BY size "
				   "HAVING count(*)>=? ORDER BY size DESC LIMIT 1");
	if (!st)
		return DP_ESTORE;
	sqlite3_bind_int64(st, 1, at_most > INT64_MAX ? INT64_MAX : (sqlite3_int64)at_most);
	sqlite3_bind_int64(st, 2, min);
	int rc = sqlite3_step(st), r = DP_OK;
	int64_t size = 0;
	if (rc == SQLITE_ROW)
		size = sqlite3_column_int64(st, 0);
	else
		r = rc == SQLITE_DONE ? DP_ENOTFOUND : step_err(s, rc);
	sqlite3_finalize(st);
	if (!r)
		r = dps_log_checkpoint_next(s, size - 1, c);
	if (!r && (int64_t)c->size != size)
		r = DP_ENOTFOUND;
	return r;
}

/* ---- detection: containment steps, two-operator acts ---- */

const char *dps_contain_kind_name(int kind)
{
	return kind == DPS_CK_SUSPEND ? "suspend" : kind == DPS_CK_THROTTLE ? "throttle" : "unknown";
}

const char *dps_contain_state_name(int state)
{
	switch (state) {
	case DPS_CS_ACTIVE: return "active";
	case DPS_CS_CONFIRMED: return "confirmed";
	case DPS_CS_LAPSED: return "lapsed";
	case DPS_CS_UNDONE: return "undone";
	case DPS_CS_TAKEN: return "taken-over";
	default: return "unknown";
	}
}

#define CONTAIN_COLS "id,device,kind,rule,created,until,state,operator,ended,alert_log,detail"

static void contain_row(sqlite3_stmt *st, dps_containment *c)
{
	memset(c, 0, sizeof *c);
	c->id = sqlite3_column_int64(st, 0);
	col_blob(st, 1, c->device, 32);
	c->kind = sqlite3_column_int(st, 2);
	col_text(st, 3, c->rule, sizeof c->rule);
	c->created = sqlite3_column_int64(st, 4);
	c->until = sqlite3_column_int64(st, 5);
	c->state = sqlite3_column_int(st, 6);
	col_text(st, 7, c->operator_, sizeof c->operator_);
	c->ended = sqlite3_column_int64(st, 8);
	c->alert_log = col_i64_or_neg(st, 9);
	col_text(st, 10, c->detail, sizeof c->detail);
}

/* Rows of a one-off query to cb; finalizes st. */
static int contain_query(dps_store *s, sqlite3_stmt *st,
			 int (*cb)(void *ctx, const dps_containment *c), void *ctx)
{
	if (!st)
		return DP_ESTORE;
	int rc, r = DP_OK;
	dps_containment c;
	while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		contain_row(st, &c);
		r = cb(ctx, &c);
	}
	if (!r && rc != SQLITE_DONE)
		r = step_err(s, rc);
	sqlite3_finalize(st);
	return r;
}

int dps_contain_add(dps_store *s, dps_containment *c)
{
	sqlite3_stmt *st = prep(s, "INSERT INTO containments(device,kind,rule,created,until,state,"
				   "operator,ended,alert_log,detail) VALUES(?,?,?,?,?,?,?,?,?,?)");
	if (!st)
		return DP_ESTORE;
	bind_blob(st, 1, c->device, 32);
	sqlite3_bind_int(st, 2, c->kind);
	bind_text(st, 3, c->rule);
	sqlite3_bind_int64(st, 4, c->created);
	sqlite3_bind_int64(st, 5, c->until);
	sqlite3_bind_int(st, 6, c->state);
	bind_text(st, 7, c->operator_);
	sqlite3_bind_int64(st, 8, c->ended);
	if (c->alert_log >= 0)
		sqlite3_bind_int64(st, 9, c->alert_log);
	bind_text(st, 10, c->detail);
	int rc = sqlite3_step(st);
	int r = rc == SQLITE_DONE ? DP_OK : step_err(s, rc);
	if (!r)
		c->id = sqlite3_last_insert_rowid(s->db);
	sqlite3_finalize(st);
	return r;
}

struct one_contain {
	dps_containment *c;
	int found;
};

static int take_contain(void *ctx, const dps_containment *c)
{
	struct one_contain *x = ctx;
	*x->c = *c;
	x->found = 1;
	return DP_OK;
}

int dps_contain_get(dps_store *s, int64_t id, dps_containment *c)
{
	sqlite3_stmt *st = prep(s, "SELECT " CONTAIN_COLS " FROM containments WHERE id=?");
	if (st)
		sqlite3_bind_int64(st, 1, id);
	struct one_contain x = {c, 0};
	int r = contain_query(s, st, take_contain, &x);
	return r ? r : x.found ? DP_OK : DP_ENOTFOUND;
}

int dps_contain_open_for(dps_store *s, const uint8_t device[32], int kind, dps_containment *c)
{
	sqlite3_stmt *st = prep(s, "SELECT " CONTAIN_COLS " FROM containments WHERE device=? AND "
				   "kind=? AND state IN (0,1) ORDER BY id DESC LIMIT 1");
	if (st) {
		bind_blob(st, 1, device, 32);
		sqlite3_bind_int(st, 2, kind);
	}
	struct one_contain x = {c, 0};
	int r = contain_query(s, st, take_contain, &x);
	return r ? r : x.found ? DP_OK : DP_ENOTFOUND;
}

int dps_contain_list(dps_store *s, int open_only, size_t limit,
		     int (*cb)(void *ctx, const dps_containment *c), void *ctx)
{
	sqlite3_stmt *st = prep(s, open_only ? "SELECT " CONTAIN_COLS " FROM containments WHERE "
						"state IN (0,1) ORDER BY id DESC LIMIT ?"
					     : "SELECT " CONTAIN_COLS " FROM containments "
						"ORDER BY id DESC LIMIT ?");
	if (st)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)(limit > INT64_MAX ? INT64_MAX : limit));
	return contain_query(s, st, cb, ctx);
}

int dps_contain_due(dps_store *s, int64_t now, int (*cb)(void *ctx, const dps_containment *c),
		    void *ctx)
{
	sqlite3_stmt *st = prep(s, "SELECT " CONTAIN_COLS " FROM containments WHERE state=0 AND "
				   "until>0 AND until<=? ORDER BY id");
	if (st)
		sqlite3_bind_int64(st, 1, now);
	return contain_query(s, st, cb, ctx);
}

int dps_contain_any_due(dps_store *s, int64_t now, int *yes)
{
	sqlite3_stmt *st = prep(s, "SELECT EXISTS(SELECT 1 FROM containments WHERE state=0 AND "
				   "until>0 AND until<=?)");
	if (!st)
		return DP_ESTORE;
	sqlite3_bind_int64(st, 1, now);
	int rc = sqlite3_step(st), r = DP_OK;
	if (rc == SQLITE_ROW)
		*yes = sqlite3_column_int(st, 0) != 0;
	else
		r = step_err(s, rc);
	sqlite3_finalize(st);
	return r;
}

int dps_contain_set(dps_store *s, int64_t id, int state, const char *op, int64_t ended,
		    int64_t until)
{
	sqlite3_stmt *st = prep(s, "UPDATE containments SET state=?,operator=?,ended=?,until=? "
				   "WHERE id=?");
	if (!st)
		return DP_ESTORE;
	sqlite3_bind_int(st, 1, state);
	bind_text(st, 2, op ? op : "");
	sqlite3_bind_int64(st, 3, ended);
	sqlite3_bind_int64(st, 4, until);
	sqlite3_bind_int64(st, 5, id);
	int rc = sqlite3_step(st);
	int r = rc == SQLITE_DONE ? DP_OK : step_err(s, rc);
	if (!r && sqlite3_changes(s->db) == 0)
		r = DP_ENOTFOUND;
	sqlite3_finalize(st);
	return r;
}

int dps_approval_pending(dps_store *s, const char *act, const char *target, int64_t now,
			 dps_approval *a)
{
	sqlite3_stmt *st = prep(s, "SELECT id,act,target,requested_by,reason,created,expires,state "
				   "FROM approvals WHERE act=? AND target=? AND state=0 "
				   "ORDER BY id DESC LIMIT 1");
	if (!st)
		return DP_ESTORE;
	bind_text(st, 1, act);
	bind_text(st, 2, target);
	int rc = sqlite3_step(st), r = DP_OK;
	if (rc == SQLITE_ROW) {
		memset(a, 0, sizeof *a);
		a->id = sqlite3_column_int64(st, 0);
		col_text(st, 1, a->act, sizeof a->act);
		col_text(st, 2, a->target, sizeof a->target);
		col_text(st, 3, a->requested_by, sizeof a->requested_by);
		col_text(st, 4, a->reason, sizeof a->reason);
		a->created = sqlite3_column_int64(st, 5);
		a->expires = sqlite3_column_int64(st, 6);
		a->state = sqlite3_column_int(st, 7);
	} else {
		r = rc == SQLITE_DONE ? DP_ENOTFOUND : step_err(s, rc);
	}
	sqlite3_finalize(st);
	/* a request left too long lapses to "no action" */
	if (!r && a->expires <= now) {
		r = dps_approval_close(s, a->id, DPS_AP_EXPIRED, "", now);
		if (!r)
			r = DP_ENOTFOUND;
	}
	return r;
}

int dps_approval_add(dps_store *s, dps_approval *a)
{
	sqlite3_stmt *st = prep(s, "INSERT INTO approvals(act,target,requested_by,reason,created,"
				   "expires,state) VALUES(?,?,?,?,?,?,0)");
	if (!st)
		return DP_ESTORE;
	bind_text(st, 1, a->act);
	bind_text(st, 2, a->target);
	bind_text(st, 3, a->requested_by);
	bind_text(st, 4, a->reason);
	sqlite3_bind_int64(st, 5, a->created);
	sqlite3_bind_int64(st, 6, a->expires);
	int rc = sqlite3_step(st);
	int r = rc == SQLITE_DONE ? DP_OK : step_err(s, rc);
	if (!r)
		a->id = sqlite3_last_insert_rowid(s->db);
	sqlite3_finalize(st);
	return r;
}

int dps_approval_close(dps_store *s, int64_t id, int state, const char *by, int64_t t)
{
	sqlite3_stmt *st = prep(s, "UPDATE approvals SET state=?,closed_by=?,closed=? WHERE id=?");
	if (!st)
		return DP_ESTORE;
	sqlite3_bind_int(st, 1, state);
	bind_text(st, 2, by);
	sqlite3_bind_int64(st, 3, t);
	sqlite3_bind_int64(st, 4, id);
	int r = run(s, st);
	sqlite3_finalize(st);
	return r;
}

/* ---- detection: registration and the archive ---- */

int dps_post_list(dps_store *s, int (*cb)(void *ctx, const dps_post *p), void *ctx)
{
	sqlite3_stmt *st = prep(s, "SELECT name,hq,tz FROM posts ORDER BY name");
	if (!st)
		return DP_ESTORE;
	int rc, r = DP_OK;
	dps_post p;
	while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&p, 0, sizeof p);
		col_text(st, 0, p.name, sizeof p.name);
		p.hq = sqlite3_column_int(st, 1);
		col_text(st, 2, p.tz, sizeof p.tz);
		r = cb(ctx, &p);
	}
	if (!r && rc != SQLITE_DONE)
		r = step_err(s, rc);
	sqlite3_finalize(st);
	return r;
}

/* 1 if the comma-separated list holds name. */
static int csv_has(const char *csv, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = csv; p && *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && memcmp(p, name, n) == 0)
			return 1;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

int dps_det_devices(dps_store *s, int (*cb)(void *ctx, const dps_det_device *d), void *ctx)
{
	sqlite3_stmt *st = prep(s, "SELECT d.id,d.officer,o.post,d.status,o.status,o.roles FROM "
				   "devices d JOIN officers o ON o.handle=d.officer");
	if (!st)
		return DP_ESTORE;
	int rc, r = DP_OK;
	dps_det_device d;
	while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&d, 0, sizeof d);
		col_blob(st, 0, d.id, 32);
		col_text(st, 1, d.officer, sizeof d.officer);
		col_text(st, 2, d.post, sizeof d.post);
		d.status = sqlite3_column_int(st, 3);
		d.officer_status = sqlite3_column_int(st, 4);
		const unsigned char *roles = sqlite3_column_text(st, 5);
		d.decoy = roles && csv_has((const char *)roles, DPP_ROLE_DECOY);
		r = cb(ctx, &d);
	}
	if (!r && rc != SQLITE_DONE)
		r = step_err(s, rc);
	sqlite3_finalize(st);
	return r;
}

/* One half of the archive (acked or not), newest first, at most limit rows into a[]. */
static int archive_half(dps_store *s, const uint8_t device[32], int64_t before, size_t limit,
			int acked, dps_cable *c, dps_rcpt *x, size_t *n)
{
	sqlite3_stmt *st = prep(
		s, acked ? "SELECT c.seq,c.cable_id,c.mrn,c.from_post,c.from_device,c.officer,"
			   "c.classification,c.prec_action,c.prec_info,c.accepted,c.size,"
			   "d.device,d.role,d.prec,d.delivered,d.acked,d.epoch FROM deliveries d "
			   "INDEXED BY archive_acked JOIN cables c ON c.seq=d.seq WHERE d.device=? AND "
			   "d.seq<? AND d.acked IS NOT NULL ORDER BY d.seq DESC LIMIT ?"
			 : "SELECT c.seq,c.cable_id,c.mrn,c.from_post,c.from_device,c.officer,"
			   "c.classification,c.prec_action,c.prec_info,c.accepted,c.size,"
			   "d.device,d.role,d.prec,d.delivered,d.acked,d.epoch FROM deliveries d "
			   "INDEXED BY queue JOIN cables c ON c.seq=d.seq WHERE d.device=? AND "
			   "d.seq<? AND d.acked IS NULL ORDER BY d.seq DESC LIMIT ?");
	if (!st)
		return DP_ESTORE;
	bind_blob(st, 1, device, 32);
	sqlite3_bind_int64(st, 2, before);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
	int rc = SQLITE_DONE;
	*n = 0;
	while (*n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		cable_row(st, &c[*n]);
		memset(&x[*n], 0, sizeof x[*n]);
		rcpt_row(st, 11, &x[*n]);
		(*n)++;
	}
	int r = *n == limit || rc == SQLITE_DONE ? DP_OK : step_err(s, rc);
	sqlite3_finalize(st);
	return r;
}

int dps_archive(dps_store *s, const uint8_t device[32], int64_t before, size_t limit,
		int (*cb)(void *ctx, const dps_cable *c, const dps_rcpt *r), void *ctx)
{
	if (limit > 1000)
		return DP_EINVAL;
	dps_cable *c = calloc(2 * limit + 1, sizeof *c);
	dps_rcpt *x = calloc(2 * limit + 1, sizeof *x);
	size_t na = 0, nu = 0;
	int r = c && x ? DP_OK : DP_ENOMEM;
	if (!r)
		r = archive_half(s, device, before, limit, 1, c, x, &na);
	if (!r)
		r = archive_half(s, device, before, limit, 0, c + limit, x + limit, &nu);
	/* merge the two newest-first lists */
	for (size_t i = 0, j = 0, k = 0; !r && k < limit && (i < na || j < nu); k++) {
		int take_a = j == nu || (i < na && c[i].seq > c[limit + j].seq);
		size_t at = take_a ? i++ : limit + j++;
		r = cb(ctx, &c[at], &x[at]);
	}
	free(c);
	free(x);
	return r;
}

int dps_decoy_list(dps_store *s, size_t limit, int (*cb)(void *ctx, const dps_cable *c), void *ctx)
{
	sqlite3_stmt *st = prep(s, "SELECT " CABLE_COLS " FROM cables WHERE decoy=1 "
				   "ORDER BY seq DESC LIMIT ?");
	if (st)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)limit);
	return cable_query(s, st, cb, ctx);
}

int64_t dps_dir_version(const dps_store *s)
{
	return s->dirver;
}

int dps_meta_get(dps_store *s, const char *key, char *out, size_t cap)
{
	sqlite3_stmt *st = prep(s, "SELECT v FROM meta WHERE k=?");
	if (!st)
		return DP_ESTORE;
	bind_text(st, 1, key);
	int rc = sqlite3_step(st), r = DP_OK;
	out[0] = 0;
	if (rc == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(st, 0);
		if (v && strlen((const char *)v) >= cap)
			r = DP_ETOOBIG;
		else
			snprintf(out, cap, "%s", v ? (const char *)v : "");
	} else if (rc != SQLITE_DONE) {
		r = step_err(s, rc);
	}
	sqlite3_finalize(st);
	return r;
}

int dps_meta_put(dps_store *s, const char *key, const char *value)
{
	sqlite3_stmt *st = prep(s, "INSERT OR REPLACE INTO meta(k,v) VALUES(?,?)");
	if (!st)
		return DP_ESTORE;
	bind_text(st, 1, key);
	bind_text(st, 2, value);
	int r = run(s, st);
	sqlite3_finalize(st);
	return r;
}

/* ---- damage: reading every stored copy ---- */

int dps_db_check(dps_store *s, int full, const char *table,
		 void (*cb)(void *ctx, const char *line), void *ctx)
{
	/* a name from sqlite_master, quoted as an identifier ("" doubled) */
	char *sql = table ? sqlite3_mprintf("PRAGMA %s(\"%w\")", full ? "integrity_check" : "quick_check",
					    table)
			  : sqlite3_mprintf("PRAGMA %s(100)", full ? "integrity_check" : "quick_check");
	sqlite3_stmt *st = sql ? prep(s, sql) : NULL;
	sqlite3_free(sql);
	if (!st) {
		cb(ctx, sqlite3_errmsg(s->db)); /* a schema SQLite cannot read is damage too */
		return DP_ESTATE;
	}
	int rc, r = DP_OK;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(st, 0);
		if (line && strcmp(line, "ok") == 0)
			continue;
		cb(ctx, line ? line : "(a problem without text)");
		r = DP_ESTATE;
	}
	if (rc != SQLITE_DONE) {
		cb(ctx, sqlite3_errmsg(s->db));
		r = DP_ESTATE;
	}
	sqlite3_finalize(st);
	return r;
}

int dps_db_tables(dps_store *s, int (*cb)(void *ctx, const char *name), void *ctx)
{
	sqlite3_stmt *st = prep(s, "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name");
	if (!st)
		return DP_ESTORE;
	int rc = SQLITE_DONE, r = DP_OK;
	while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		r = cb(ctx, name ? name : "");
	}
	if (!r && rc != SQLITE_DONE)
		r = step_err(s, rc);
	sqlite3_finalize(st);
	return r;
}

int dps_corrupt(const dps_store *s)
{
	int e = sqlite3_errcode(s->db);
	return e == SQLITE_CORRUPT || e == SQLITE_NOTADB;
}

int dps_cable_scan(dps_store *s, int64_t after, size_t limit,
		   int (*cb)(void *ctx, const dps_cable *c, const uint8_t digest[32]), void *ctx)
{
	sqlite3_stmt *st = prep(s, "SELECT " CABLE_COLS ",digest,log_idx,decoy FROM cables "
				   "WHERE seq>? ORDER BY seq LIMIT ?");
	if (!st)
		return DP_ESTORE;
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, limit > INT64_MAX ? INT64_MAX : (sqlite3_int64)limit);
	int rc = SQLITE_DONE, r = DP_OK;
	dps_cable c;
	uint8_t digest[32];
	while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		cable_row(st, &c);
		col_blob(st, 11, digest, sizeof digest);
		c.log_idx = col_i64_or_neg(st, 12);
		c.decoy = sqlite3_column_int(st, 13);
		r = cb(ctx, &c, digest);
	}
	if (r == 1)
		r = DP_OK;
	else if (!r && rc != SQLITE_DONE)
		r = step_err(s, rc);
	sqlite3_finalize(st);
	return r;
}

int dps_cable_read(dps_store *s, int64_t seq, dp_buf *data, dp_buf *entry)
{
	sqlite3_stmt *st = stmt(s, Q_CABLE_READ);
	sqlite3_bind_int64(st, 1, seq);
	int rc = sqlite3_step(st), r;
	dp_buf_reset(data);
	dp_buf_reset(entry);
	if (rc == SQLITE_ROW) {
		r = dp_buf_append(data, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
		if (!r && sqlite3_column_type(st, 1) == SQLITE_BLOB)
			r = dp_buf_append(entry, sqlite3_column_blob(st, 1),
					  (size_t)sqlite3_column_bytes(st, 1));
	} else {
		r = rc == SQLITE_DONE ? DP_ENOTFOUND : step_err(s, rc);
	}
	sqlite3_reset(st);
	return r;
}

int dps_cable_digest(dps_store *s, int64_t seq, uint8_t digest[32])
{
	sqlite3_stmt *st = prep(s, "SELECT digest FROM cables WHERE seq=?");
	if (!st)
		return DP_ESTORE;
	sqlite3_bind_int64(st, 1, seq);
	int rc = sqlite3_step(st), r = DP_OK;
	if (rc == SQLITE_ROW)
		col_blob(st, 0, digest, 32);
	else
		r = rc == SQLITE_DONE ? DP_ENOTFOUND : step_err(s, rc);
	sqlite3_finalize(st);
	return r;
}

int dps_cable_restore(dps_store *s, int64_t seq, const uint8_t *data, size_t len)
{
	uint8_t digest[DP_SHA256];
	if (!s->in_txn || len > INT32_MAX)
		return DP_EINVAL;
	dp_sha256(digest, data, len);
	sqlite3_stmt *st = prep(s, "UPDATE cables SET data=?, digest=? WHERE seq=?");
	if (!st)
		return DP_ESTORE;
	sqlite3_bind_blob(st, 1, data, (int)len, SQLITE_STATIC);
	bind_blob(st, 2, digest, sizeof digest);
	sqlite3_bind_int64(st, 3, seq);
	int r = run(s, st);
	if (!r && sqlite3_changes(s->db) != 1)
		r = DP_ENOTFOUND;
	sqlite3_finalize(st);
	return r;
}

int dps_cache_small(dps_store *s)
{
	return exec(s, "PRAGMA cache_size=-2048");
}


/* ---- backup and restore ---- */

int dps_backup(dps_store *s, const char *path)
{
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
	sqlite3_backup *b = r ? NULL : sqlite3_backup_init(dst, "main", s->db, "main");
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

#define MRN_END 1000000 /* one past the last serial: the MRN has six digits */

int dps_mrn_skip(dps_store *s, uint64_t n, int year, uint64_t *rows)
{
	if (!s->in_txn)
		return DP_EINVAL;
	if (rows)
		*rows = 0;
	int64_t k = n > MRN_END ? MRN_END : (int64_t)n;
	static const char *const sql[] = {
		"UPDATE mrn SET next = min(next + ?1, " STR(MRN_END) ")",
		/* a post that sent nothing this year in the backup may have after it */
		"INSERT INTO mrn(post,year,next) SELECT name, ?2, min(1 + ?1, " STR(MRN_END) ") "
		"FROM posts WHERE name NOT IN (SELECT post FROM mrn WHERE year = ?2)",
	};
	int r = DP_OK;
	for (size_t i = 0; i < sizeof sql / sizeof sql[0] && !r; i++) {
		sqlite3_stmt *st = prep(s, sql[i]);
		if (!st)
			return DP_ESTORE;
		sqlite3_bind_int64(st, 1, k);
		if (i)
			sqlite3_bind_int(st, 2, year);
		r = run(s, st);
		if (!r && rows)
			*rows += (uint64_t)sqlite3_changes(s->db);
		sqlite3_finalize(st);
	}
	return r;
}

int dps_mrn_merge(dps_store *s, const char *path, uint64_t *rows)
{
	if (!s->in_txn)
		return DP_EINVAL;
	*rows = 0;
	sqlite3 *old = NULL;
	sqlite3_stmt *rd = NULL, *up = NULL;
	int r = DP_ESTORE, rc;
	if (sqlite3_open_v2(path, &old, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(old, "SELECT post, year, next FROM mrn", -1, &rd, NULL) != SQLITE_OK)
		goto out;
	up = prep(s, "INSERT INTO mrn(post,year,next) VALUES(?1,?2,?3) ON CONFLICT(post,year) "
		     "DO UPDATE SET next = excluded.next WHERE excluded.next > next");
	if (!up)
		goto out;
	r = DP_OK;
	while (!r && (rc = sqlite3_step(rd)) == SQLITE_ROW) {
		sqlite3_bind_text(up, 1, (const char *)sqlite3_column_text(rd, 0), -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(up, 2, sqlite3_column_int64(rd, 1));
		sqlite3_bind_int64(up, 3, sqlite3_column_int64(rd, 2));
		r = run(s, up);
		if (!r)
			*rows += (uint64_t)sqlite3_changes(s->db);
	}
	if (!r && rc != SQLITE_DONE)
		r = DP_ESTORE; /* the old database cannot be read whole: the caller falls back */
out:
	sqlite3_finalize(up);
	sqlite3_finalize(rd);
	sqlite3_close(old);
	return r;
}

int dps_mrn_high(dps_store *s, int64_t above, char *out, size_t cap)
{
	sqlite3_stmt *st = prep(s, "SELECT post, year, next FROM mrn WHERE next > ?1 ORDER BY post, year");
	if (!st)
		return DP_ESTORE;
	sqlite3_bind_int64(st, 1, above);
	size_t len = 0;
	int rc;
	out[0] = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int n = snprintf(out + len, cap - len, "%s%s %lld (next %06lld)", len ? ", " : "",
				 (const char *)sqlite3_column_text(st, 0),
				 (long long)sqlite3_column_int64(st, 1), (long long)sqlite3_column_int64(st, 2));
		if (n < 0 || (size_t)n >= cap - len) {
			out[len] = 0;
			break; /* the list is cut short: the warning still names the first */
		}
		len += (size_t)n;
	}
	int r = rc == SQLITE_ROW || rc == SQLITE_DONE ? DP_OK : step_err(s, rc);
	sqlite3_finalize(st);
	return r;
}
