/*
 * denpod/store.c - the store's handle: open (the schema, per kind of
 * database), transactions, snapshots, meta, and the row iterator the other
 * store_*.c files share (denpod/store_impl.h lists them by table group).
 *
 * The queue of a device is the partial index of its unacknowledged
 * deliveries ordered by (prec, seq).  MRN counters live in their own table
 * and are bumped in the same transaction as the cable insert, so an MRN is
 * never skipped nor reused (denpod/cable_rules.h: the numbering rule).
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
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "denpo/logentry.h"
#include "denpod/say.h"
#include "denpod/store_impl.h"

/*
 * 5: cable bodies in segments beside a SQLite database, one queue index
 * (and the decoys' own);
 * 4: detection (decoys, containments, approvals); 3: transparency log;
 * 2: key epochs (1 had one key per device row).  A denpod refuses a
 * database of a higher number (one of schema 4 would read a body kept in a
 * segment as empty, and report it damaged); one of 4 is upgraded when
 * opened (schema_upgrade_4).
 */
#define SCHEMA_VERSION "5"

/*
 * The queue: the one index of a device's unacknowledged delivery rows, in
 * precedence then acceptance order (the inbox), each entry carrying the
 * row's key epoch and due time.  Every query of pending rows is served by
 * it: the inbox and its long-poll check seek (device, prec); a device's
 * pending epochs and an epoch's pending cables (GET /v1/keys) read that
 * device's entries alone, epoch from the entry; the overdue list and the
 * queue statistics read its entries, due from the entry, never a table
 * row that is not reported.  A new delivery row thus costs the table's
 * b-tree and this one (three partial indexes before: queue, pending_epoch
 * and pending_due; a database from before is moved to this one when
 * first opened, QUEUE_MIGRATE).  SQLite has no INCLUDE: epoch and due are
 * the last key columns, which changes no order ((device,prec,seq) is
 * unique), and so is acked (NULL in every entry), without which SQLite
 * does not see that the entries alone answer a query (it would read each
 * table row to test acked IS NULL again: 5x slower on a deep queue).
 */
#define QUEUE_INDEX_SQLITE \
	"CREATE INDEX IF NOT EXISTS queue ON deliveries(device,prec,seq,epoch,due,acked) WHERE " \
	"acked IS NULL;"
#define QUEUE_INDEX_PG \
	"CREATE INDEX IF NOT EXISTS queue ON deliveries(device,prec,seq) INCLUDE (epoch,due) WHERE " \
	"acked IS NULL;"
/*
 * The decoy cables (a few the security office planted, among all the
 * cables stored): the queue statistics take the decoys' queued rows away
 * from the queue's through this index, so that they read no cable row that
 * is not a decoy (store_cable.c dps_queue_stats), and `denpod decoy list`
 * finds them without reading every cable.  Only a decoy's INSERT writes an
 * entry.  Added to a database made before it when first opened.
 */
#define CABLES_DECOY_IDX "CREATE INDEX IF NOT EXISTS cables_decoy ON cables(seq) WHERE decoy=1;"
#define QUEUE_MIGRATE(index) \
	"DROP INDEX IF EXISTS pending_epoch; DROP INDEX IF EXISTS pending_due; " \
	"DROP INDEX IF EXISTS queue; " index

/* ---- the SQLite schema ---- */

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
	" digest BLOB NOT NULL, data BLOB NOT NULL, log_idx INTEGER, decoy INTEGER NOT NULL DEFAULT 0,"
	" seg INTEGER, off INTEGER);"
	"CREATE INDEX IF NOT EXISTS cables_officer ON cables(officer, seq);"
	CABLES_DECOY_IDX
	"CREATE TABLE IF NOT EXISTS mrn(post TEXT NOT NULL, year INTEGER NOT NULL,"
	" next INTEGER NOT NULL, PRIMARY KEY(post,year)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS deliveries(seq INTEGER NOT NULL, device BLOB NOT NULL,"
	" role INTEGER NOT NULL, prec INTEGER NOT NULL, due INTEGER NOT NULL, delivered INTEGER,"
	" acked INTEGER, epoch INTEGER NOT NULL, ack_log INTEGER, PRIMARY KEY(seq,device)) WITHOUT ROWID;"
	QUEUE_INDEX_SQLITE
	/*
	 * A device's archive (GET /v1/archive), newest first: its acknowledged
	 * rows; the unacknowledged ones are in `queue` already, so a new
	 * delivery row costs one index entry (the queue's) until it is
	 * acknowledged, then one (this one's).
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

/* The console's operators (store.h): added to a database that lacks them when first opened. */
static const char schema_operators[] =
	"CREATE TABLE IF NOT EXISTS operators(name TEXT PRIMARY KEY, hash TEXT NOT NULL,"
	" created INTEGER NOT NULL, changed INTEGER NOT NULL);";
static const char schema_operators_pg[] =
	"CREATE TABLE IF NOT EXISTS operators(name TEXT PRIMARY KEY, hash TEXT NOT NULL,"
	" created BIGINT NOT NULL, changed BIGINT NOT NULL);";

/*
 * The officer index's records (store.h dps_offidx_*, denpo/devindex.h):
 * added to a database that lacks them when first opened, empty; the
 * signer replays the log into it before it signs again (tlog.c).
 */
static const char schema_offidx[] =
	"CREATE TABLE IF NOT EXISTS officer_index(officer TEXT PRIMARY KEY, record BLOB NOT NULL);";
static const char schema_offidx_pg[] =
	"CREATE TABLE IF NOT EXISTS officer_index(officer TEXT PRIMARY KEY, record BYTEA NOT NULL);";

/*
 * The archive's state of each record copy (store.h dps_records_*,
 * denpo/records.h): declassification, legal hold, destruction, as
 * POST /v1/records changed it (api_records.c).  A cable without a row is in
 * the first state (nothing proposed, held or destroyed).  Added to a
 * database that lacks it when first opened, empty.
 */
#define SCHEMA_RECORDS(BLOB, INT)                                                                  \
	"CREATE TABLE IF NOT EXISTS records_state(cable_id " BLOB " PRIMARY KEY,"                  \
	" proposed_by TEXT NOT NULL, proposed_at " INT " NOT NULL, approved_by TEXT NOT NULL,"     \
	" declassified_at " INT " NOT NULL, held_by TEXT NOT NULL, held_at " INT " NOT NULL,"      \
	" hold_reason TEXT NOT NULL, destroyed_by TEXT NOT NULL, destroyed_at " INT " NOT NULL,"   \
	" changed " INT " NOT NULL" RECORDS_DESTROY_COLS(INT) ");"
/*
 * Two-person destruction's proposal (records.h destroy_proposed_*), added
 * to a records_state made before it: "" and 0 for every row (none proposed).
 */
#define RECORDS_DESTROY_COLS(INT)                                                                  \
	", destroy_proposed_by TEXT NOT NULL DEFAULT '', destroy_proposed_at " INT " NOT NULL"      \
	" DEFAULT 0, destroy_detail TEXT NOT NULL DEFAULT ''"
#define RECORDS_DESTROY_ADD(INT)                                                                   \
	"ALTER TABLE records_state ADD COLUMN destroy_proposed_by TEXT NOT NULL DEFAULT '';"       \
	"ALTER TABLE records_state ADD COLUMN destroy_proposed_at " INT " NOT NULL DEFAULT 0;"      \
	"ALTER TABLE records_state ADD COLUMN destroy_detail TEXT NOT NULL DEFAULT '';"
static const char schema_records_destroy[] = RECORDS_DESTROY_ADD("INTEGER");
static const char schema_records_destroy_pg[] = RECORDS_DESTROY_ADD("BIGINT");
static const char schema_records[] = SCHEMA_RECORDS("BLOB", "INTEGER");
static const char schema_records_pg[] = SCHEMA_RECORDS("BYTEA", "BIGINT");
/*
 * The log index of each "records" entry of a cable (store.h
 * dps_records_log_*), written with the entry: GET /v1/records/state
 * answers the entries with their proofs.  Added to a database that lacks
 * it when first opened, empty (the acts before it are in the log, not here).
 */
#define SCHEMA_RECORDS_LOG(BLOB, INT)                                                              \
	"CREATE TABLE IF NOT EXISTS records_log(cable_id " BLOB " NOT NULL, idx " INT " NOT NULL," \
	" act " INT " NOT NULL, PRIMARY KEY(cable_id, idx));"                                       \
	RECORDS_LOG_IDX
/* GET /v1/records/changes reads records_log by index (dps_records_changes) */
#define RECORDS_LOG_IDX "CREATE INDEX IF NOT EXISTS records_log_idx ON records_log(idx);"
static const char schema_records_log[] = SCHEMA_RECORDS_LOG("BLOB", "INTEGER");
static const char schema_records_log_pg[] = SCHEMA_RECORDS_LOG("BYTEA", "BIGINT");

/*
 * The cable bodies' place (denpod/segment.h): segment and offset, NULL for
 * a body in the data column (every cable stored before them, which stays
 * there: both are read).  Added to a database that lacks them when first
 * opened.
 */
static const char schema_segments[] =
	"ALTER TABLE cables ADD COLUMN seg INTEGER;"
	"ALTER TABLE cables ADD COLUMN off INTEGER;";
/* PostgreSQL keeps the bodies in data: the columns are there, NULL, so both name the same */
static const char schema_segments_pg[] =
	"ALTER TABLE cables ADD COLUMN IF NOT EXISTS seg BIGINT;"
	"ALTER TABLE cables ADD COLUMN IF NOT EXISTS off BIGINT;";

/* Runs sql (DDL, several statements) in one write transaction: all of it or nothing. */
static int exec_txn(dps_store *s, const char *sql, const char *sql2)
{
	int r = dpdb_begin(s->db);
	if (!r)
		r = dpdb_exec(s->db, sql);
	if (!r && sql2)
		r = dpdb_exec(s->db, sql2);
	if (!r)
		r = dpdb_commit(s->db);
	else
		dpdb_rollback(s->db);
	return r;
}

/* One integer of a query without parameters; *v = -1 for no row or NULL. */
static int query_int(dps_store *s, const char *sql, int64_t *v)
{
	return dps_int(dpdb_prepare(s->db, sql), -1, v);
}

/* Instances of one PostgreSQL database changing its schema at once: one at a time. */
#define PG_SCHEMA_LOCK "SELECT pg_advisory_xact_lock(7342001);"

/*
 * Adds what a database from before a change lacks: unless count_sql (a
 * count of the catalog's rows) says all `want` are there, runs sql in one
 * write transaction, all of it or nothing.  count_sql is asked again inside
 * that transaction, once the write lock is held (SQLite's BEGIN IMMEDIATE;
 * on PostgreSQL the advisory lock of schema_pg_ddl): of two processes that
 * open at once (a switch and an admin command, instances starting together)
 * and both see it missing, the second finds it made and does nothing.  So
 * sql need not be idempotent (ALTER TABLE ADD COLUMN, a DROP then CREATE),
 * and the check outside keeps an up-to-date database's open free of writes.
 */
static int migrate(dps_store *s, const char *count_sql, int64_t want, const char *sql)
{
	int64_t have;
	int r = query_int(s, count_sql, &have);
	if (r || have == want)
		return r;
	r = dpdb_begin(s->db);
	if (!r && dpdb_kind(s->db) == DPDB_PG)
		r = dpdb_exec(s->db, PG_SCHEMA_LOCK);
	if (!r)
		r = query_int(s, count_sql, &have);
	if (!r && have != want)
		r = dpdb_exec(s->db, sql);
	if (!r)
		r = dpdb_commit(s->db);
	else
		dpdb_rollback(s->db);
	return r;
}

/*
 * A database with a devices table must say schema 3, 4 or 5 in meta: one
 * written before key epochs (1) kept a single age recipient in each device
 * row, one before the transparency log (2) has accesses that were never
 * logged, and nothing here migrates either; one of a newer denpod is
 * refused.  Schema 3 is upgraded to 4 here; *was: the schema the database
 * says now (-1: an empty database, which passes: create makes it).
 */
static int schema_check(dps_store *s, const char *path, int64_t *was)
{
	*was = -1;
	int64_t devices, meta, version = -1;
	int r = query_int(s, "SELECT count(*) FROM sqlite_master WHERE type='table' AND "
			     "name='devices'", &devices);
	if (!r)
		r = query_int(s, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'",
			      &meta);
	if (!r && devices > 0 && meta > 0)
		r = query_int(s, "SELECT CAST(v AS INTEGER) FROM meta WHERE k='schema'", &version);
	if (!r && devices > 0)
		*was = version;
	if (r || devices <= 0 || version == atoi(SCHEMA_VERSION) || version == 4)
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
		int r2 = dpdb_begin(s->db);
		/* another process may have upgraded it meanwhile: read again under the lock */
		if (!r2)
			r2 = query_int(s, "SELECT CAST(v AS INTEGER) FROM meta WHERE k='schema'",
				       &version);
		int upgrade = !r2 && version == 3;
		if (upgrade)
			r2 = dpdb_exec(s->db, "ALTER TABLE cables ADD COLUMN decoy INTEGER NOT NULL DEFAULT 0");
		if (!r2 && upgrade)
			r2 = dpdb_exec(s->db, schema);
		if (!r2 && upgrade)
			r2 = dpdb_exec(s->db, "UPDATE meta SET v='4' WHERE k='schema'");
		if (!r2)
			r2 = dpdb_commit(s->db);
		else
			dpdb_rollback(s->db);
		if (!r2 && upgrade)
			fprintf(stderr, "denpod: the database %s was upgraded from schema 3 to 4 "
					"(detection)\n", path);
		if (!r2)
			*was = 4;
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

/*
 * Schema 4 to 5, once the steps before it (the segment columns, the one
 * queue index) are made: the schema row says 5, so that a denpod of schema
 * 4 refuses the database ("from a newer denpod") rather than read the
 * bodies it keeps in segments as empty ones.  Before the store is used, so
 * before any body goes to a segment.  Idempotent (two processes opening at
 * once: the second changes nothing).
 */
static int schema_upgrade_4(dps_store *s, const char *path)
{
	int r = exec_txn(s, "UPDATE meta SET v='" SCHEMA_VERSION "' WHERE k='schema' AND v='4'", NULL);
	if (r)
		fprintf(stderr, "denpod: the database %s could not be upgraded from schema 4; nothing "
				"was changed: stop other denpod processes and retry\n", path);
	else
		fprintf(stderr, "denpod: the database %s was upgraded from schema 4 to %s (cable bodies "
				"in segments, one queue index)\n", path, SCHEMA_VERSION);
	return r;
}

/* SQLite: refuse what cannot be used, create (create=1) and upgrade what can. */
static int schema_sqlite(dps_store *s, const char *path, int create)
{
	int64_t was;
	int r = schema_check(s, path, &was);
	/* the tables and the schema row together, or neither */
	if (!r && create)
		r = exec_txn(s, schema, "INSERT OR IGNORE INTO meta(k,v) VALUES('schema','" SCHEMA_VERSION "')");
	if (!r)
		r = migrate(s, "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name LIKE "
			       "'dirver_%'", DIRVER_NTRIGGERS, schema_dirver);
	if (!r)
		r = migrate(s, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN "
			       "('log_rollbacks','log_recoveries')", 2, schema_rollbacks);
	if (!r)
		r = migrate(s, "SELECT count(*) FROM sqlite_master WHERE type='table' AND "
			       "name='operators'", 1, schema_operators);
	if (!r)
		r = migrate(s, "SELECT count(*) FROM sqlite_master WHERE type='table' AND "
			       "name='officer_index'", 1, schema_offidx);
	if (!r)
		r = migrate(s, "SELECT count(*) FROM sqlite_master WHERE type='table' AND "
			       "name='records_state'", 1, schema_records);
	if (!r)
		r = migrate(s, "SELECT count(*) FROM sqlite_master WHERE type='table' AND "
			       "name='records_log'", 1, schema_records_log);
	if (!r)
		r = migrate(s, "SELECT count(*) FROM pragma_table_info('records_state') WHERE "
			       "name='destroy_proposed_by'", 1, schema_records_destroy);
	if (!r)
		r = migrate(s, "SELECT count(*) FROM sqlite_master WHERE type='index' AND "
			       "name='records_log_idx'", 1, RECORDS_LOG_IDX);
	if (!r)
		r = migrate(s, "SELECT count(*) FROM pragma_table_info('cables') WHERE name='seg'", 1,
			    schema_segments);
	/* the one queue index, to a database made with three */
	if (!r)
		r = migrate(s, "SELECT count(*) FROM sqlite_master WHERE type='index' AND name IN "
			       "('pending_epoch','pending_due')", 0, QUEUE_MIGRATE(QUEUE_INDEX_SQLITE));
	if (!r)
		r = migrate(s, "SELECT count(*) FROM sqlite_master WHERE type='index' AND "
			       "name='cables_decoy'", 1, CABLES_DECOY_IDX);
	if (!r && was == 4)
		r = schema_upgrade_4(s, path);
	if (!r)
		r = dpseg_open(&s->seg, path);
	return r;
}

/*
 * ---- the PostgreSQL schema ----
 *
 * The same tables as SQLite's, in PostgreSQL's types (BIGINT, BYTEA; an
 * identity column where SQLite has its rowid), every statement IF NOT
 * EXISTS / ON CONFLICT DO NOTHING / OR REPLACE so that instances starting
 * together all get there.  The directory version's triggers are one
 * statement-level function that also notifies channel denpo_dir at commit
 * (docs/several-switches.md §3: every instance drops its directory cache).
 * log_head: the row whose lock orders the transactions that append to the
 * log (dps_log_next), so indices are gap-free across instances.
 */
static const char schema_pg_ddl[] =
	/* instances starting at once: one creates, the others wait and find it made */
	PG_SCHEMA_LOCK
	"CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT);"
	"CREATE TABLE IF NOT EXISTS posts(name TEXT PRIMARY KEY, hq BIGINT NOT NULL, tz TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS collectives(name TEXT NOT NULL, post TEXT NOT NULL REFERENCES posts(name), PRIMARY KEY(name,post));"
	"CREATE TABLE IF NOT EXISTS officers(handle TEXT PRIMARY KEY, post TEXT NOT NULL REFERENCES posts(name), fullname TEXT NOT NULL, clearance BIGINT NOT NULL, captions TEXT NOT NULL, roles TEXT NOT NULL, status BIGINT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS devices(id BYTEA PRIMARY KEY, tls_key BYTEA NOT NULL UNIQUE, officer TEXT NOT NULL REFERENCES officers(handle), name TEXT NOT NULL, status BIGINT NOT NULL, created BIGINT NOT NULL, log_idx BIGINT);"
	"CREATE TABLE IF NOT EXISTS epoch_keys(device BYTEA NOT NULL REFERENCES devices(id), epoch BIGINT NOT NULL, not_before BIGINT NOT NULL, not_after BIGINT NOT NULL, age_recipient TEXT NOT NULL, record BYTEA NOT NULL, published BIGINT NOT NULL, retired BIGINT NOT NULL DEFAULT 0, log_idx BIGINT, PRIMARY KEY(device,epoch));"
	"CREATE INDEX IF NOT EXISTS epoch_keys_window ON epoch_keys(device,not_after);"
	"CREATE INDEX IF NOT EXISTS epoch_keys_unretired ON epoch_keys(device,not_after) WHERE retired=0;"
	"CREATE INDEX IF NOT EXISTS epoch_keys_rcpt ON epoch_keys(device,substr(age_recipient,8,64));"
	"CREATE TABLE IF NOT EXISTS cables(seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, cable_id BYTEA NOT NULL UNIQUE, mrn TEXT NOT NULL UNIQUE, from_post TEXT NOT NULL, from_device BYTEA NOT NULL, officer TEXT NOT NULL, classification BIGINT NOT NULL, prec_action BIGINT NOT NULL, prec_info BIGINT NOT NULL, accepted BIGINT NOT NULL, size BIGINT NOT NULL, digest BYTEA NOT NULL, data BYTEA NOT NULL, log_idx BIGINT, decoy BIGINT NOT NULL DEFAULT 0, seg BIGINT, off BIGINT);"
	"CREATE INDEX IF NOT EXISTS cables_officer ON cables(officer, seq);"
	CABLES_DECOY_IDX
	"CREATE TABLE IF NOT EXISTS mrn(post TEXT NOT NULL, year BIGINT NOT NULL, next BIGINT NOT NULL, PRIMARY KEY(post,year));"
	"CREATE TABLE IF NOT EXISTS deliveries(seq BIGINT NOT NULL, device BYTEA NOT NULL, role BIGINT NOT NULL, prec BIGINT NOT NULL, due BIGINT NOT NULL, delivered BIGINT, acked BIGINT, epoch BIGINT NOT NULL, ack_log BIGINT, PRIMARY KEY(seq,device));"
	QUEUE_INDEX_PG
	"CREATE INDEX IF NOT EXISTS archive_acked ON deliveries(device,seq) WHERE acked IS NOT NULL;"
	"CREATE TABLE IF NOT EXISTS log_entries(idx BIGINT PRIMARY KEY, data BYTEA NOT NULL);"
	"CREATE TABLE IF NOT EXISTS log_tiles(level BIGINT NOT NULL, n BIGINT NOT NULL, data BYTEA NOT NULL, PRIMARY KEY(level,n));"
	"CREATE TABLE IF NOT EXISTS log_checkpoints(size BIGINT PRIMARY KEY, root BYTEA NOT NULL, t BIGINT NOT NULL, note TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS log_cosigs(size BIGINT NOT NULL, device BYTEA NOT NULL, ts BIGINT NOT NULL, line TEXT NOT NULL, PRIMARY KEY(size, device));"
	"CREATE TABLE IF NOT EXISTS containments(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, device BYTEA NOT NULL, kind BIGINT NOT NULL, rule TEXT NOT NULL, created BIGINT NOT NULL, until BIGINT NOT NULL, state BIGINT NOT NULL, operator TEXT NOT NULL, ended BIGINT NOT NULL, alert_log BIGINT, detail TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS containments_open ON containments(until) WHERE state=0;"
	"CREATE TABLE IF NOT EXISTS approvals(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, act TEXT NOT NULL, target TEXT NOT NULL, requested_by TEXT NOT NULL, reason TEXT NOT NULL, created BIGINT NOT NULL, expires BIGINT NOT NULL, state BIGINT NOT NULL, closed_by TEXT NOT NULL DEFAULT '', closed BIGINT NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS log_rollbacks(idx BIGINT PRIMARY KEY);"
	"CREATE TABLE IF NOT EXISTS log_recoveries(rollback BIGINT NOT NULL, device BYTEA NOT NULL, size BIGINT NOT NULL, idx BIGINT NOT NULL, PRIMARY KEY(rollback, device));"
	"CREATE TABLE IF NOT EXISTS dirver(id BIGINT PRIMARY KEY CHECK(id=1), n BIGINT NOT NULL);"
	"INSERT INTO dirver(id,n) VALUES(1,0) ON CONFLICT DO NOTHING;"
	"CREATE OR REPLACE FUNCTION dirver_bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE dirver SET n = n + 1 WHERE id = 1; PERFORM pg_notify('denpo_dir', ''); RETURN NULL; END $$;"
	"CREATE OR REPLACE TRIGGER dirver_posts AFTER INSERT OR UPDATE OR DELETE ON posts FOR EACH STATEMENT EXECUTE FUNCTION dirver_bump();"
	"CREATE OR REPLACE TRIGGER dirver_collectives AFTER INSERT OR UPDATE OR DELETE ON collectives FOR EACH STATEMENT EXECUTE FUNCTION dirver_bump();"
	"CREATE OR REPLACE TRIGGER dirver_officers AFTER INSERT OR UPDATE OR DELETE ON officers FOR EACH STATEMENT EXECUTE FUNCTION dirver_bump();"
	"CREATE OR REPLACE TRIGGER dirver_devices AFTER INSERT OR UPDATE OR DELETE ON devices FOR EACH STATEMENT EXECUTE FUNCTION dirver_bump();"
	"CREATE OR REPLACE TRIGGER dirver_epoch_keys AFTER INSERT OR UPDATE OR DELETE ON epoch_keys FOR EACH STATEMENT EXECUTE FUNCTION dirver_bump();"
	"CREATE TABLE IF NOT EXISTS log_head(id BIGINT PRIMARY KEY CHECK(id=1), n BIGINT NOT NULL);"
	"INSERT INTO log_head(id,n) VALUES(1,0) ON CONFLICT DO NOTHING;"
	"INSERT INTO meta(k,v) VALUES('schema','" SCHEMA_VERSION "') ON CONFLICT DO NOTHING;";

/*
 * Every table of both schemas, one place (store.h dps_tables): in the
 * order `denpod migrate` copies them, a table before those whose foreign
 * keys point at it, and dirver last (the directory tables' triggers bump
 * it while they are copied; its own row then sets it to the source's).
 */
const dps_table dps_tables[] = {
	{"meta", DPS_TAB_COPY, 0},
	{"posts", DPS_TAB_COPY, 0},
	{"collectives", DPS_TAB_COPY, 0},
	{"officers", DPS_TAB_COPY, 0},
	{"devices", DPS_TAB_COPY, 0},
	{"epoch_keys", DPS_TAB_COPY, 0},
	{"cables", DPS_TAB_COPY, 1}, /* one per INSERT: a cable may be 64 MiB */
	{"mrn", DPS_TAB_COPY, 0},
	{"deliveries", DPS_TAB_COPY, 0},
	{"log_entries", DPS_TAB_COPY, 0},
	{"log_tiles", DPS_TAB_COPY, 0},
	{"log_checkpoints", DPS_TAB_COPY, 0},
	{"log_cosigs", DPS_TAB_COPY, 0},
	{"containments", DPS_TAB_COPY, 0},
	{"approvals", DPS_TAB_COPY, 0},
	{"log_rollbacks", DPS_TAB_COPY, 0},
	{"log_recoveries", DPS_TAB_COPY, 0},
	{"operators", DPS_TAB_COPY, 0},
	{"officer_index", DPS_TAB_COPY, 0},
	{"records_state", DPS_TAB_COPY, 0},
	{"records_log", DPS_TAB_COPY, 0},
	{"dirver", DPS_TAB_COPY, 0},
	/* PostgreSQL's coordination rows (the writers' lock, the signing lease): made by its schema */
	{"log_head", DPS_TAB_PG, 0},
	{"log_lease", DPS_TAB_PG, 0},
	/* detection across instances (schema_pg_det): shared events, alert claims */
	{"det_events", DPS_TAB_PG, 0},
	{"det_alerts", DPS_TAB_PG, 0},
};
const size_t dps_ntables = sizeof dps_tables / sizeof dps_tables[0];

/*
 * What several instances added (docs/several-switches.md §3): the signing
 * lease (tlog.c), and for detection across instances (store_detect.c):
 * the shared event feed, the claims that make one incident one alert, and
 * a notification on channel denpo_det ('c') whenever a containment step is
 * written, by any instance or `denpod` command.  PostgreSQL only (one
 * process serves a SQLite switch); added to a database made before them
 * when first opened.
 */
static const char schema_pg_det[] =
	PG_SCHEMA_LOCK
	/* the signing lease (dps_log_lease): its one row, run out since 1970; here, not in
	 * schema_pg_ddl, so that a database made before several instances gets it too */
	"CREATE TABLE IF NOT EXISTS log_lease(id BIGINT PRIMARY KEY CHECK(id=1), holder TEXT NOT NULL, expires BIGINT NOT NULL);"
	"INSERT INTO log_lease(id,holder,expires) VALUES(1,'',0) ON CONFLICT DO NOTHING;"
	"CREATE TABLE IF NOT EXISTS det_events(id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, inst BIGINT NOT NULL, lseq BIGINT NOT NULL, t_ms BIGINT NOT NULL, kind BIGINT NOT NULL, device BYTEA NOT NULL, addr BYTEA NOT NULL, cable_seq BIGINT NOT NULL, cable_accepted BIGINT NOT NULL, flags BIGINT NOT NULL, subject BYTEA);"
	"CREATE TABLE IF NOT EXISTS det_alerts(device BYTEA NOT NULL, rule TEXT NOT NULL, action BIGINT NOT NULL, t_ms BIGINT NOT NULL, inst BIGINT NOT NULL, lseq BIGINT NOT NULL, PRIMARY KEY(device, rule, action));"
	/* ... and bumps the directory version, which every request checks first (detect_srv.c) */
	"CREATE OR REPLACE FUNCTION det_contain_notify() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE dirver SET n = n + 1 WHERE id = 1; PERFORM pg_notify('" DPS_CHAN_DET "', 'c'); RETURN NULL; END $$;"
	"CREATE OR REPLACE TRIGGER det_containments AFTER INSERT OR UPDATE ON containments FOR EACH STATEMENT EXECUTE FUNCTION det_contain_notify();";

int dps_schema_pg_make(dps_store *s)
{
	if (!dpdb_in_txn(s->db))
		return DP_EINVAL;
	int r = dpdb_exec(s->db, schema_pg_ddl);
	if (!r)
		r = dpdb_exec(s->db, schema_pg_det);
	if (!r)
		r = dpdb_exec(s->db, schema_operators_pg);
	if (!r)
		r = dpdb_exec(s->db, schema_records_pg);
	if (!r)
		r = dpdb_exec(s->db, schema_records_log_pg);
	return r ? r : dpdb_exec(s->db, schema_offidx_pg);
}

/*
 * PostgreSQL: the tables in one transaction (create = 1), or a check that
 * they are there; a database of another schema version is refused.
 */
struct tables {
	int (*cb)(void *ctx, const char *name);
	void *ctx;
};

static int table_row(dpdb_stmt *st, void *ctx)
{
	struct tables *x = ctx;
	const char *name = dpdb_col_text(st, 0);
	return x->cb(x->ctx, name ? name : "");
}

int dps_schema_tables(dps_store *s, int (*cb)(void *ctx, const char *name), void *ctx)
{
	struct tables x = {cb, ctx};
	/* SQLite's own tables (sqlite_sequence, sqlite_stat1) are not the switch's */
	const char *sql = dpdb_kind(s->db) == DPDB_SQLITE
				  ? "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE "
				    "'sqlite\\_%' ESCAPE '\\' ORDER BY name"
				  : "SELECT CAST(table_name AS TEXT) FROM information_schema.tables WHERE "
				    "table_schema=current_schema() ORDER BY 1";
	return dps_rows(dpdb_prepare(s->db, sql), table_row, &x);
}

struct first {
	char *out;
	size_t cap;
};

static int first_table(void *ctx, const char *name)
{
	struct first *f = ctx;
	snprintf(f->out, f->cap, "%s", name);
	return 1; /* one is enough */
}

int dps_schema_first(dps_store *s, char *found, size_t cap)
{
	struct first f = {found, cap};
	found[0] = 0;
	int r = dps_schema_tables(s, first_table, &f);
	return r == 1 ? DP_EEXISTS : r;
}

static int refuse_not_empty(const char *path, const char *table)
{
	fprintf(stderr, "denpod: the database %s already holds tables (%s%s; a switch's, or "
			"another program's): a new switch needs an empty database (createdb a new "
			"one); a second instance of a switch is its data directory copied, not a new "
			"init (docs/several-switches.md)\n", path, table[0] ? "table " : "a file",
		table);
	return DP_EEXISTS;
}

static int schema_pg(dps_store *s, const char *path, int create)
{
	int64_t version = -1;
	char table[128];
	int r = create ? dps_schema_first(s, table, sizeof table) : DP_OK;
	if (r == DP_EEXISTS)
		return refuse_not_empty(path, table); /* never a second switch's keys over a first's log */
	if (create && !r)
		r = exec_txn(s, schema_pg_ddl, schema_pg_det);
	if (!r)
		r = query_int(s, "SELECT count(*) FROM information_schema.tables WHERE "
				 "table_schema=current_schema() AND table_name='meta'", &version);
	if (!r && version > 0)
		r = query_int(s, "SELECT CAST(v AS BIGINT) FROM meta WHERE k='schema'", &version);
	if (r)
		return r;
	if (version > atoi(SCHEMA_VERSION)) {
		fprintf(stderr, "denpod: the database %s is from a newer denpod (schema %lld); run that "
				"version\n", path, (long long)version);
		return DP_ESTATE;
	}
	if (version != atoi(SCHEMA_VERSION) && version != 4) {
		fprintf(stderr, "denpod: the database %s %s; %s\n", path,
			version <= 0 ? "holds no denpo switch" : "is of another denpod's schema",
			version <= 0 ? "make one with denpod init --store URL (or migrate)"
				     : "run the denpod that made it");
		return DP_ESTATE;
	}
	/* what several instances added, to a database made before them (denpod 0.1's main) */
	if (!r)
		r = migrate(s, "SELECT count(*) FROM information_schema.tables WHERE "
			       "table_schema=current_schema() AND table_name IN "
			       "('det_events','det_alerts','log_lease')", 3, schema_pg_det);
	/* the console's operators, to a database made before them */
	if (!r)
		r = migrate(s, "SELECT count(*) FROM information_schema.tables WHERE "
			       "table_schema=current_schema() AND table_name='operators'", 1,
			    schema_operators_pg);
	/* the officer index, to a database made before it */
	if (!r)
		r = migrate(s, "SELECT count(*) FROM information_schema.tables WHERE "
			       "table_schema=current_schema() AND table_name='officer_index'", 1,
			    schema_offidx_pg);
	/* the archive's record states, to a database made before them */
	if (!r)
		r = migrate(s, "SELECT count(*) FROM information_schema.tables WHERE "
			       "table_schema=current_schema() AND table_name='records_state'", 1,
			    schema_records_pg);
	/* the log indices of the archive's acts, to a database made before them */
	if (!r)
		r = migrate(s, "SELECT count(*) FROM information_schema.tables WHERE "
			       "table_schema=current_schema() AND table_name='records_log'", 1,
			    schema_records_log_pg);
	/* two-person destruction's columns, to a records_state made before them */
	if (!r)
		r = migrate(s, "SELECT count(*) FROM information_schema.columns WHERE "
			       "table_schema=current_schema() AND table_name='records_state' AND "
			       "column_name='destroy_proposed_by'", 1,
			    schema_records_destroy_pg);
	/* the segment columns (NULL on PostgreSQL: one column list for both), to cables made before them */
	if (!r)
		r = migrate(s, "SELECT count(*) FROM information_schema.columns WHERE "
			       "table_schema=current_schema() AND table_name='cables' AND "
			       "column_name='seg'", 1,
			    schema_segments_pg);
	/* GET /v1/records/changes's index, to a records_log made before it */
	if (!r)
		r = exec_txn(s, RECORDS_LOG_IDX, NULL);
	/* the one queue index, to a database made with three (instances wait for each other) */
	if (!r)
		r = migrate(s, "SELECT count(*) FROM pg_indexes WHERE schemaname=current_schema() AND "
			       "indexname IN ('pending_epoch','pending_due')", 0,
			    QUEUE_MIGRATE(QUEUE_INDEX_PG));
	/* the decoys' index, to a database made before it */
	if (!r)
		r = migrate(s, "SELECT count(*) FROM pg_indexes WHERE schemaname=current_schema() AND "
			       "indexname='cables_decoy'", 1,
			    CABLES_DECOY_IDX);
	if (!r && version == 4)
		r = schema_upgrade_4(s, path);
	return r;
}

/* The schema by kind of database: the one place the store's DDL differs. */
static const struct {
	int kind;
	int (*apply)(dps_store *s, const char *path, int create);
} schemas[] = {
	{DPDB_SQLITE, schema_sqlite},
	{DPDB_PG, schema_pg},
};

int dps_target_empty(const char *target)
{
	if (dpdb_kind_of(target) != DPDB_PG) {
		struct stat st;
		if (stat(target, &st) != 0)
			return errno == ENOENT ? DP_OK : DP_EIO;
		return st.st_size > 0 ? refuse_not_empty(target, "") : DP_OK;
	}
	dps_store s = {0};
	char table[128];
	int r = dpdb_open(&s.db, target, 0);
	if (!r && (r = dps_schema_first(&s, table, sizeof table)) == DP_EEXISTS)
		refuse_not_empty(dpdb_target(s.db), table);
	dpdb_close(s.db);
	return r;
}

int dps_open(dps_store **out, const char *path, int create)
{
	*out = NULL;
	dps_store *s = calloc(1, sizeof *s);
	if (!s)
		return DP_ENOMEM;
	s->dirver = -1;
	s->log_next = -1;
	int r = dpdb_open(&s->db, path, create ? DPDB_CREATE : 0);
	if (r) {
		free(s);
		return r;
	}
	r = DP_EUNSUPP;
	for (size_t i = 0; i < sizeof schemas / sizeof schemas[0]; i++)
		if (schemas[i].kind == dpdb_kind(s->db))
			r = schemas[i].apply(s, dpdb_target(s->db), create);
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
	dpdb_close(s->db);
	dpdc_free(s->cache);
	dpseg_close(s->seg);
	free(s);
}

dpdb_stmt *dps_sql(dps_store *s, const dps_hinted *q)
{
	return dpdb_prepare(s->db, dpdb_kind(s->db) == DPDB_SQLITE ? q->sqlite : q->std);
}

/* ---- transactions ---- */

/*
 * A write transaction holds the one lock every writer takes first, as
 * SQLite's BEGIN IMMEDIATE holds the file's: on PostgreSQL the log_head
 * row's (docs/several-switches.md §2), so that the transactions of every
 * instance and every admin command are ordered as one SQLite file orders
 * them: log indices read as max(idx)+1 are gap-free, cable sequence
 * numbers, MRNs and log indices are all handed out in commit order, and
 * no two writers take the directory version's row and the log's in
 * opposite orders (a deadlock).
 */
static const char sql_writer_lock[] = "SELECT n FROM log_head WHERE id=1 FOR UPDATE";

int dps_begin(dps_store *s)
{
	if (s->in_txn)
		return DP_EINVAL;
	int r = dpdb_begin(s->db);
	if (!r && dpdb_kind(s->db) == DPDB_PG) {
		int64_t n;
		r = dps_int(dpdb_prepare(s->db, sql_writer_lock), -1, &n);
		if (!r && n < 0)
			r = DP_ESTORE; /* no log_head row: not a schema this denpod made */
		if (r)
			dpdb_rollback(s->db);
	}
	if (!r)
		s->in_txn = 1;
	s->in_sp = 0;
	s->log_next = -1; /* another process may have appended since */
	return r;
}

int dps_segment_place(dps_store *s)
{
	char v[64];
	long long seg = 0, tail = 0;
	int r = dps_meta_get(s, DPSEG_META, v, sizeof v);
	if (!r && v[0] && sscanf(v, "%lld %lld", &seg, &tail) != 2)
		r = DP_ESTATE;
	if (r == DP_ESTATE || (!r && (r = dpseg_place(s->seg, seg, tail)) == DP_ESTATE))
		dpd_say("denpod: store: meta %s is not a place in a segment (\"%s\"): the cable bodies "
			"cannot be written (docs/formats.md, \"Cable segments\")", DPSEG_META, v);
	return r;
}

/*
 * The bodies this transaction appended (denpod/segment.h): where the next
 * goes recorded with the rows, and the bytes on disk before any row that
 * points at them commits.
 */
static int segment_commit(dps_store *s)
{
	int64_t seg, tail;
	if (!s->seg)
		return DP_OK;
	if (!dpseg_pending(s->seg, &seg, &tail)) {
		/* nothing appended (or an append refused): the next transaction reads the place again */
		dpseg_forget(s->seg);
		return DP_OK;
	}
	char v[64];
	snprintf(v, sizeof v, "%lld %lld", (long long)seg, (long long)tail);
	int r = dps_meta_put(s, DPSEG_META, v);
	if (r)
		dpseg_forget(s->seg);
	return r ? r : dpseg_sync(s->seg);
}

int dps_commit(dps_store *s)
{
	int r = segment_commit(s);
	if (r)
		dpdb_rollback(s->db);
	else
		r = dpdb_commit(s->db); /* a failed commit is rolled back */
	s->in_txn = s->in_sp = 0;
	s->log_next = -1;
	return r;
}

void dps_rollback(dps_store *s)
{
	dpdb_rollback(s->db);
	if (s->seg)
		dpseg_forget(s->seg);
	s->in_txn = s->in_sp = 0;
	s->log_next = -1;
}

int dps_savepoint(dps_store *s)
{
	if (!s->in_txn || s->in_sp)
		return DP_EINVAL;
	int r = dpdb_savepoint(s->db);
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
	if (!keep)
		s->log_next = s->sp_log_next; /* the indices handed out since are free again */
	return dpdb_savepoint_end(s->db, keep);
}

int dps_relax_sync(dps_store *s)
{
	return dpdb_relax_sync(s->db);
}

int dps_snapshot_begin(dps_store *s)
{
	if (s->in_txn)
		return DP_EINVAL;
	return dpdb_begin_read(s->db);
}

void dps_snapshot_end(dps_store *s)
{
	/* a read snapshot: a failed end loses nothing (dpdb_commit rolls it back) */
	if (!s->in_txn && dpdb_in_txn(s->db) && dpdb_commit(s->db))
		return;
}

int dps_own_begin(dps_store *s, int *own)
{
	*own = !s->in_txn;
	return *own ? dpdb_begin(s->db) : DP_OK;
}

int dps_own_end(dps_store *s, int own, int r)
{
	if (!own)
		return r;
	if (!r)
		return dpdb_commit(s->db);
	dpdb_rollback(s->db);
	return r;
}

int dps_corrupt(const dps_store *s)
{
	return dpdb_corrupt(s->db);
}

/* ---- rows ---- */

int dps_rows(dpdb_stmt *st, int (*row)(dpdb_stmt *st, void *ctx), void *ctx)
{
	int rc, r = DP_OK;
	while (!r && (rc = dpdb_step(st)) == DPDB_ROW)
		r = row(st, ctx);
	if (!r && rc != DPDB_DONE)
		r = rc;
	dpdb_reset(st);
	return r;
}

int dps_row1(dpdb_stmt *st, int (*row)(dpdb_stmt *st, void *ctx), void *ctx)
{
	int rc = dpdb_step(st), r;
	if (rc == DPDB_ROW)
		r = row ? row(st, ctx) : DP_OK;
	else
		r = rc == DPDB_DONE ? DP_ENOTFOUND : rc;
	dpdb_reset(st);
	return r;
}

/* One file's size, 0 if it is not there. */
static uint64_t file_size(const char *path, const char *suffix)
{
	char p[PATH_MAX + 8];
	struct stat st;
	int k = snprintf(p, sizeof p, "%s%s", path, suffix);
	if (k < 0 || (size_t)k >= sizeof p || stat(p, &st) != 0)
		return 0;
	return (uint64_t)st.st_size;
}

int dps_store_bytes(dps_store *s, uint64_t *bytes)
{
	if (dpdb_kind(s->db) == DPDB_SQLITE) {
		/* the database file, its write-ahead log and the cable bodies' segments */
		uint64_t seg = 0;
		int r = s->seg ? dpseg_bytes(s->seg, &seg) : DP_OK;
		const char *path = dpdb_target(s->db);
		*bytes = file_size(path, "") + file_size(path, "-wal") + seg;
		return r ? DP_ESTORE : DP_OK;
	}
	int64_t n;
	int r = dps_int(dpdb_prepare(s->db, "SELECT pg_database_size(current_database())"), -1, &n);
	if (!r && n < 0)
		r = DP_ESTORE;
	if (!r)
		*bytes = (uint64_t)n;
	return r;
}

void dps_bind_limit(dpdb_stmt *st, int idx, uint64_t n)
{
	dpdb_bind_i64(st, idx, n > INT64_MAX ? INT64_MAX : (int64_t)n);
}

int dps_int(dpdb_stmt *st, int64_t dflt, int64_t *v)
{
	int rc = dpdb_step(st), r = DP_OK;
	*v = dflt;
	if (rc == DPDB_ROW && !dpdb_col_null(st, 0))
		*v = dpdb_col_i64(st, 0);
	else if (rc != DPDB_ROW && rc != DPDB_DONE)
		r = rc;
	dpdb_reset(st);
	return r;
}

int dps_returning(dpdb_stmt *st, int64_t *id)
{
	int rc = dpdb_step(st);
	if (rc == DPDB_ROW) {
		*id = dpdb_col_i64(st, 0);
		rc = dpdb_step(st);
	} else if (rc == DPDB_DONE) {
		rc = DP_ESTORE; /* nothing returned: not an insert of one row */
	}
	dpdb_reset(st);
	return rc == DPDB_DONE ? DP_OK : rc;
}

/* Copy column text into a fixed field (truncation cannot happen for values we wrote). */
void dps_col_text(dpdb_stmt *st, int i, char *out, size_t cap)
{
	const char *t = dpdb_col_text(st, i);
	snprintf(out, cap, "%s", t ? t : "");
}

void dps_col_blob(dpdb_stmt *st, int i, uint8_t *out, size_t n)
{
	size_t len;
	const uint8_t *p = dpdb_col_blob(st, i, &len);
	if (p && len == n)
		memcpy(out, p, n);
	else
		memset(out, 0, n);
}

int64_t dps_col_i64_or_neg(dpdb_stmt *st, int i)
{
	return dpdb_col_null(st, i) ? -1 : dpdb_col_i64(st, i);
}

/* ---- meta, names ---- */

const char *dps_status_name(int status)
{
	switch (status) {
	case DPS_ACTIVE: return "active";
	case DPS_SUSPENDED: return "suspended";
	case DPS_REVOKED: return "revoked";
	default: return "unknown";
	}
}

struct meta_out {
	char *out;
	size_t cap;
};

static int meta_row(dpdb_stmt *st, void *ctx)
{
	struct meta_out *m = ctx;
	const char *v = dpdb_col_text(st, 0);
	if (v && strlen(v) >= m->cap)
		return DP_ETOOBIG;
	snprintf(m->out, m->cap, "%s", v ? v : "");
	return DP_OK;
}

int dps_meta_get(dps_store *s, const char *key, char *out, size_t cap)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT v FROM meta WHERE k=?1");
	dpdb_bind_text(st, 1, key);
	out[0] = 0;
	struct meta_out m = {out, cap};
	int r = dps_row1(st, meta_row, &m);
	return r == DP_ENOTFOUND ? DP_OK : r;
}

int dps_meta_put(dps_store *s, const char *key, const char *value)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "INSERT INTO meta(k,v) VALUES(?1,?2) "
					    "ON CONFLICT(k) DO UPDATE SET v=excluded.v");
	dpdb_bind_text(st, 1, key);
	dpdb_bind_text(st, 2, value);
	return dpdb_run(st);
}

int64_t dps_dir_version(const dps_store *s)
{
	return s->dirver;
}

int dps_notify(dps_store *s, const char *channel, const char *payload)
{
	if (dpdb_kind(s->db) != DPDB_PG)
		return DP_OK;
	/* pg_notify returns void, a type the driver does not read: its one row, as 1 */
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT 1 FROM pg_notify(CAST(?1 AS TEXT), CAST(?2 AS TEXT))");
	dpdb_bind_text(st, 1, channel);
	dpdb_bind_text(st, 2, payload);
	return dpdb_run(st);
}

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
