/*
 * tests/test_denpod_db.c - the conformance suite of denpod/db.h: the same
 * checks against every driver this build has.  SQLite: a file of its own.
 * PostgreSQL: a database of its own on the server $DENPO_TEST_PG names
 * ([uses DENPO_TEST_PG]: tests/run.sh starts one with scripts/pg-tmp);
 * skipped, with the reason, without it.
 *
 * Values of every type both ways (NULLs, 0-length and 1 MiB blobs,
 * non-ASCII text, int64 extremes, booleans), ?N with repeats and ? inside
 * quotes, a bare ? refused, the statement cache, DP_EEXISTS and the
 * transaction going on after rolling back to a savepoint, a commit seen by
 * a second connection only once dpdb_commit returns, a read snapshot not
 * seeing a concurrent commit, dpdb_changes, RETURNING, a read-only
 * connection, no password and no bound value in any log line, and (on
 * PostgreSQL) a connection killed by the server: DP_ESTORE, then working
 * again.  The switch's log (stderr) goes to a file that the checks read;
 * it is copied to the real stderr after each driver's run.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "denpod/db.h"
#include "tests/harness.h"
#include "tests/pgdb.h"

static char logpath[] = "/tmp/test_denpod_db.log.XXXXXX";
static int saved_err = -1;
static long log_mark;

/* stderr (the switch's log) into the log file, from its start */
static void capture(void)
{
	fflush(stderr);
	saved_err = dup(2);
	FILE *f = fopen(logpath, "w");
	dup2(fileno(f), 2);
	fclose(f);
	log_mark = 0;
}

/* what the log got since the last call (malloc'd) */
static char *log_since(void)
{
	fflush(stderr);
	size_t n = 0;
	char *all = (char *)t_read_file(logpath, &n);
	if (!all)
		return strdup("");
	char *out = strdup(all + ((size_t)log_mark <= n ? (size_t)log_mark : n));
	log_mark = (long)n;
	free(all);
	return out;
}

/* stderr back; the whole log copied to it */
static void release(const char *name)
{
	fflush(stderr);
	dup2(saved_err, 2);
	close(saved_err);
	size_t n = 0;
	char *all = (char *)t_read_file(logpath, &n);
	fprintf(stderr, "--- %s: the switch's log ---\n%s--- end ---\n", name, all ? all : "");
	free(all);
}

static dpdb *open_db(const char *target, int flags)
{
	dpdb *db = NULL;
	int r = dpdb_open(&db, target, flags);
	CHECKF(r == DP_OK, "open %s: %s", target, dp_strerror(r));
	return r ? NULL : db;
}

static void ddl(dpdb *db, const char *sql)
{
	int r = dpdb_exec(db, sql);
	CHECKF(r == DP_OK, "%s: %s", sql, dp_strerror(r));
}

/* The first column of the one row of sql (no parameters), or -999. */
static int64_t one(dpdb *db, const char *sql)
{
	dpdb_stmt *st = dpdb_prepare(db, sql);
	int64_t v = -999;
	if (st && dpdb_step(st) == DPDB_ROW)
		v = dpdb_col_i64(st, 0);
	dpdb_reset(st);
	return v;
}

static int insert_id(dpdb *db, const char *table, int64_t id)
{
	char sql[128];
	snprintf(sql, sizeof sql, "INSERT INTO %s (id) VALUES (?1)", table);
	dpdb_stmt *st = dpdb_prepare(db, sql);
	dpdb_bind_i64(st, 1, id);
	return dpdb_run(st);
}

static const char *blob_type(int kind) { return kind == DPDB_PG ? "BYTEA" : "BLOB"; }

/* ---- values ---- */

static void t_values(dpdb *db)
{
	char sql[200];
	snprintf(sql, sizeof sql, "CREATE TABLE ty (id BIGINT PRIMARY KEY, i BIGINT, t TEXT, b %s)",
		 blob_type(dpdb_kind(db)));
	ddl(db, sql);
	size_t big = 1 << 20;
	uint8_t *blob = malloc(big);
	randombytes_buf(blob, big);
	blob[0] = 0; /* NULs inside are bytes like any other */
	blob[big / 2] = 0;
	static const char uni[] = "電報 — Ünïcødé ✓ \xf0\x9f\x93\xa8";
	static const uint8_t small[3] = {0, 1, 0xff};
	const char *ins = "INSERT INTO ty (id, i, t, b) VALUES (?1, ?2, ?3, ?4)";
	dpdb_stmt *st = dpdb_prepare(db, ins);
	CHECK(st != NULL);
	dpdb_bind_i64(st, 1, 1), dpdb_bind_i64(st, 2, INT64_MAX), dpdb_bind_text(st, 3, uni);
	dpdb_bind_blob(st, 4, blob, big);
	CHECK(dpdb_run(st) == DP_OK);
	st = dpdb_prepare(db, ins);
	dpdb_bind_i64(st, 1, 2), dpdb_bind_i64(st, 2, INT64_MIN), dpdb_bind_text(st, 3, "");
	dpdb_bind_blob(st, 4, "", 0);
	CHECK(dpdb_run(st) == DP_OK);
	st = dpdb_prepare(db, ins);
	dpdb_bind_i64(st, 1, 3), dpdb_bind_null(st, 2), dpdb_bind_text(st, 3, NULL), dpdb_bind_null(st, 4);
	CHECK(dpdb_run(st) == DP_OK);
	st = dpdb_prepare(db, ins);
	dpdb_bind_i64(st, 1, 4), dpdb_bind_i64(st, 2, 0), dpdb_bind_text(st, 3, "x");
	dpdb_bind_blob(st, 4, small, sizeof small);
	CHECK(dpdb_run(st) == DP_OK);
	st = dpdb_prepare(db, ins);
	dpdb_bind_i64(st, 1, 5), dpdb_bind_i64(st, 2, -1), dpdb_bind_text(st, 3, "y");
	dpdb_bind_blob(st, 4, NULL, 0); /* an empty blob, not NULL */
	CHECK(dpdb_run(st) == DP_OK);

	st = dpdb_prepare(db, "SELECT id, i, t, b FROM ty ORDER BY id");
	size_t n = 99;
	CHECK(dpdb_step(st) == DPDB_ROW);
	CHECK(dpdb_col_i64(st, 0) == 1 && dpdb_col_i64(st, 1) == INT64_MAX);
	CHECK(dpdb_col_text(st, 2) && strcmp(dpdb_col_text(st, 2), uni) == 0);
	const uint8_t *p = dpdb_col_blob(st, 3, &n);
	CHECKF(n == big && p && memcmp(p, blob, big) == 0, "1 MiB blob: %zu bytes", n);
	CHECK(dpdb_step(st) == DPDB_ROW);
	CHECK(dpdb_col_i64(st, 1) == INT64_MIN);
	CHECK(!dpdb_col_null(st, 2) && dpdb_col_text(st, 2) && strcmp(dpdb_col_text(st, 2), "") == 0);
	dpdb_col_blob(st, 3, &n);
	CHECK(!dpdb_col_null(st, 3) && n == 0);
	CHECK(dpdb_step(st) == DPDB_ROW);
	CHECK(dpdb_col_i64(st, 0) == 3);
	CHECK(dpdb_col_null(st, 1) && dpdb_col_null(st, 2) && dpdb_col_null(st, 3));
	CHECK(dpdb_col_i64(st, 1) == 0 && dpdb_col_text(st, 2) == NULL);
	CHECK(dpdb_col_blob(st, 3, &n) == NULL && n == 0);
	CHECK(dpdb_step(st) == DPDB_ROW);
	p = dpdb_col_blob(st, 3, &n);
	CHECK(n == 3 && p && memcmp(p, small, 3) == 0);
	CHECK(dpdb_col_i64(st, 1) == 0 && !dpdb_col_null(st, 1));
	CHECK(dpdb_step(st) == DPDB_ROW);
	dpdb_col_blob(st, 3, &n);
	CHECK(!dpdb_col_null(st, 3) && n == 0 && dpdb_col_i64(st, 1) == -1);
	CHECK(dpdb_step(st) == DPDB_DONE);
	dpdb_reset(st);

	/* the narrower integers, booleans, and integers read as text */
	st = dpdb_prepare(db, "SELECT CAST(?1 AS SMALLINT), CAST(?2 AS INTEGER), 1 = 1, 1 = 2, "
			      "CAST(?3 AS BIGINT), COUNT(*) FROM ty");
	dpdb_bind_i64(st, 1, -32768), dpdb_bind_i64(st, 2, INT32_MIN), dpdb_bind_i64(st, 3, INT64_MIN);
	CHECK(dpdb_step(st) == DPDB_ROW);
	CHECK(dpdb_col_i64(st, 0) == -32768 && dpdb_col_i64(st, 1) == INT32_MIN);
	CHECK(dpdb_col_i64(st, 2) == 1 && dpdb_col_i64(st, 3) == 0);
	CHECK(dpdb_col_i64(st, 4) == INT64_MIN && dpdb_col_i64(st, 5) == 5);
	const char *txt = dpdb_col_text(st, 4);
	CHECKF(txt && strcmp(txt, "-9223372036854775808") == 0, "%s", txt ? txt : "NULL");
	txt = dpdb_col_text(st, 0);
	CHECK(txt && strcmp(txt, "-32768") == 0);
	txt = dpdb_col_text(st, 2);
	CHECK(txt && strcmp(txt, "1") == 0);
	CHECK(dpdb_step(st) == DPDB_DONE);
	dpdb_reset(st);

	/* a NUMERIC (SUM of BIGINT) is refused on PostgreSQL, with "CAST" said; CAST reads */
	free(log_since());
	st = dpdb_prepare(db, "SELECT SUM(i) FROM ty WHERE id >= 4");
	int r = dpdb_step(st);
	dpdb_reset(st);
	char *log = log_since();
	if (dpdb_kind(db) == DPDB_PG)
		CHECKF(r == DP_ESTORE && strstr(log, "CAST"), "r=%d log=%s", r, log);
	else
		CHECK(r == DPDB_ROW);
	free(log);
	CHECK(one(db, "SELECT CAST(SUM(i) AS BIGINT) FROM ty WHERE id >= 4") == -1);
	free(blob);
}

/* ---- parameters and the statement cache ---- */

static void t_params(dpdb *db)
{
	dpdb_stmt *st = dpdb_prepare(db, "SELECT CAST(?2 AS BIGINT) + CAST(?1 AS BIGINT), "
					 "'?1 and ? and ''?2''', CAST(?2 AS BIGINT) * 10");
	CHECK(st != NULL);
	dpdb_bind_i64(st, 1, 3), dpdb_bind_i64(st, 2, 4);
	CHECK(dpdb_step(st) == DPDB_ROW);
	CHECK(dpdb_col_i64(st, 0) == 7 && dpdb_col_i64(st, 2) == 40);
	const char *s = dpdb_col_text(st, 1);
	CHECKF(s && strcmp(s, "?1 and ? and '?2'") == 0, "%s", s ? s : "NULL");
	dpdb_reset(st);
	/* a quoted identifier holding ?1 stays as it is */
	ddl(db, "CREATE TABLE \"q?1\" (id BIGINT PRIMARY KEY)");
	CHECK(insert_id(db, "\"q?1\"", 9) == DP_OK);
	CHECK(one(db, "SELECT id FROM \"q?1\"") == 9);

	/* a bare ?, ?0: refused at preparation */
	CHECK(dpdb_prepare(db, "SELECT ?") == NULL);
	CHECK(dpdb_prepare(db, "SELECT ?1, ?") == NULL);
	CHECK(dpdb_prepare(db, "SELECT CAST(?0 AS BIGINT)") == NULL);
	CHECK(dpdb_prepare(db, "SELECT '?'") != NULL);
	/* a bind past the last parameter: the step fails */
	st = dpdb_prepare(db, "SELECT CAST(?1 AS BIGINT)");
	dpdb_bind_i64(st, 1, 1), dpdb_bind_i64(st, 2, 2);
	CHECK(dpdb_step(st) < 0);
	dpdb_reset(st);
	/* an SQL error: NULL */
	CHECK(dpdb_prepare(db, "SELEKT 1") == NULL);

	/* the cache: the same text (any copy) is the same statement, reset and unbound */
	const char *a = "SELECT CAST(?1 AS BIGINT) + 1";
	char copy[64];
	snprintf(copy, sizeof copy, "%s", a);
	dpdb_stmt *s1 = dpdb_prepare(db, a);
	dpdb_bind_i64(s1, 1, 41);
	CHECK(dpdb_step(s1) == DPDB_ROW && dpdb_col_i64(s1, 0) == 42);
	/* asked for while its row is read: a second statement (a callback may run the same query) */
	dpdb_stmt *s3 = dpdb_prepare(db, copy);
	CHECK(s3 && s3 != s1);
	CHECK(dpdb_col_i64(s1, 0) == 42); /* s1's row is untouched */
	dpdb_reset(s3);
	/* run to completion (DONE), s1 is free again: the next ask gets s1 or s3, unbound */
	CHECK(dpdb_step(s1) == DPDB_DONE);
	dpdb_stmt *s2 = dpdb_prepare(db, copy);
	CHECK(s2 == s1 || s2 == s3);
	CHECK(dpdb_step(s2) == DPDB_ROW && dpdb_col_null(s2, 0));
	dpdb_reset(s2);
	CHECK(dpdb_prepare(db, "SELECT CAST(?1 AS BIGINT) + 2") != s1);

	/* other statements run while a result is being read (as the store does) */
	ddl(db, "CREATE TABLE il (id BIGINT PRIMARY KEY)");
	for (int i = 1; i <= 3; i++)
		CHECK(insert_id(db, "il", i) == DP_OK);
	st = dpdb_prepare(db, "SELECT id FROM il WHERE id <= 3 ORDER BY id");
	int rows = 0;
	while (dpdb_step(st) == DPDB_ROW) {
		CHECK(insert_id(db, "il", 100 + dpdb_col_i64(st, 0)) == DP_OK);
		rows++;
	}
	dpdb_reset(st);
	CHECK(rows == 3 && one(db, "SELECT COUNT(*) FROM il") == 6);
}

/* ---- transactions ---- */

static void t_unique(dpdb *db)
{
	ddl(db, "CREATE TABLE u (id BIGINT PRIMARY KEY)");
	CHECK(insert_id(db, "u", 1) == DP_OK);
	CHECK(insert_id(db, "u", 1) == DP_EEXISTS);
	/* inside a transaction: undone to the savepoint, the transaction goes on */
	CHECK(dpdb_begin(db) == DP_OK);
	CHECK(insert_id(db, "u", 2) == DP_OK);
	CHECK(dpdb_savepoint(db) == DP_OK);
	CHECK(insert_id(db, "u", 2) == DP_EEXISTS);
	CHECK(dpdb_savepoint_end(db, 0) == DP_OK);
	CHECK(insert_id(db, "u", 3) == DP_OK);
	CHECK(dpdb_commit(db) == DP_OK);
	CHECK(one(db, "SELECT COUNT(*) FROM u") == 3);
	/* undone, kept */
	CHECK(dpdb_begin(db) == DP_OK);
	CHECK(dpdb_savepoint(db) == DP_OK);
	CHECK(insert_id(db, "u", 4) == DP_OK);
	CHECK(dpdb_savepoint_end(db, 0) == DP_OK);
	CHECK(dpdb_savepoint(db) == DP_OK);
	CHECK(insert_id(db, "u", 5) == DP_OK);
	CHECK(dpdb_savepoint_end(db, 1) == DP_OK);
	CHECK(dpdb_commit(db) == DP_OK);
	CHECK(one(db, "SELECT COUNT(*) FROM u WHERE id = 4") == 0);
	CHECK(one(db, "SELECT COUNT(*) FROM u WHERE id = 5") == 1);
	/* rolled back */
	CHECK(dpdb_begin(db) == DP_OK);
	CHECK(insert_id(db, "u", 6) == DP_OK);
	dpdb_rollback(db);
	CHECK(!dpdb_in_txn(db) && one(db, "SELECT COUNT(*) FROM u WHERE id = 6") == 0);
	/*
	 * A failure without a savepoint: PostgreSQL aborts the transaction and
	 * its COMMIT fails (nothing written); SQLite keeps the statements before.
	 */
	CHECK(dpdb_begin(db) == DP_OK);
	CHECK(insert_id(db, "u", 7) == DP_OK);
	CHECK(insert_id(db, "u", 1) == DP_EEXISTS);
	int r = dpdb_commit(db);
	if (dpdb_kind(db) == DPDB_PG)
		CHECK(r == DP_ESTORE && one(db, "SELECT COUNT(*) FROM u WHERE id = 7") == 0);
	else
		CHECK(r == DP_OK && one(db, "SELECT COUNT(*) FROM u WHERE id = 7") == 1);
	CHECK(!dpdb_in_txn(db));
}

static void t_visibility(dpdb *a, const char *target)
{
	dpdb *b = open_db(target, 0);
	if (!b)
		return;
	ddl(a, "CREATE TABLE vis (id BIGINT PRIMARY KEY)");
	CHECK(dpdb_begin(a) == DP_OK);
	CHECK(insert_id(a, "vis", 1) == DP_OK);
	CHECK(one(b, "SELECT COUNT(*) FROM vis") == 0); /* not before the commit */
	CHECK(dpdb_commit(a) == DP_OK);
	CHECK(one(b, "SELECT COUNT(*) FROM vis") == 1); /* once it has returned */
	/* a read snapshot does not see a commit made after its first read */
	CHECK(dpdb_begin_read(b) == DP_OK);
	CHECK(one(b, "SELECT COUNT(*) FROM vis") == 1);
	CHECK(insert_id(a, "vis", 2) == DP_OK);
	CHECK(one(a, "SELECT COUNT(*) FROM vis") == 2);
	CHECK(one(b, "SELECT COUNT(*) FROM vis") == 1);
	CHECK(dpdb_commit(b) == DP_OK);
	CHECK(one(b, "SELECT COUNT(*) FROM vis") == 2);
	/* relaxed commits are still seen at once by others */
	CHECK(dpdb_relax_sync(a) == DP_OK);
	CHECK(insert_id(a, "vis", 3) == DP_OK);
	CHECK(one(b, "SELECT COUNT(*) FROM vis") == 3);
	dpdb_close(b);
	/* a read-only connection reads and writes nothing */
	dpdb *ro = open_db(target, DPDB_READONLY);
	if (!ro)
		return;
	CHECK(one(ro, "SELECT COUNT(*) FROM vis") == 3);
	CHECK(insert_id(ro, "vis", 4) == DP_ESTORE);
	CHECK(one(a, "SELECT COUNT(*) FROM vis") == 3);
	dpdb_close(ro);
}

/* ---- notifications (LISTEN / NOTIFY) ---- */

struct heard {
	int n;
	char chan[64], payload[80];
};

static void on_heard(void *ctx, const char *channel, const char *payload)
{
	struct heard *h = ctx;
	h->n++;
	snprintf(h->chan, sizeof h->chan, "%s", channel);
	snprintf(h->payload, sizeof h->payload, "%s", payload);
}

/* Waits up to ms for the listening connection's socket, then reads what arrived. */
static int drain(dpdb *l, struct heard *h, int ms)
{
	struct pollfd p = {dpdb_fd(l), POLLIN, 0};
	if (p.fd >= 0)
		(void)poll(&p, 1, ms);
	return dpdb_notifications(l, on_heard, h);
}

static void t_notify(dpdb *a, const char *target)
{
	dpdb *l = open_db(target, 0);
	if (!l)
		return;
	struct heard h = {0};
	CHECK(dpdb_listen(l, "Bad") == DP_EINVAL);
	CHECK(dpdb_listen(l, "a;b") == DP_EINVAL);
	CHECK(dpdb_listen(l, "") == DP_EINVAL);
	if (dpdb_kind(a) != DPDB_PG) {
		/* one process serves SQLite: nothing to hear */
		CHECK(dpdb_listen(l, "t_chan") == DP_EUNSUPP);
		CHECK(dpdb_fd(l) == -1);
		CHECK(dpdb_notifications(l, on_heard, &h) == DP_EUNSUPP);
		dpdb_close(l);
		return;
	}
	CHECK(dpdb_listen(l, "t_chan") == DP_OK);
	CHECK(dpdb_fd(l) >= 0);
	CHECK(dpdb_begin(a) == DP_OK);
	CHECK(dpdb_exec(a, "NOTIFY t_chan, 'one'") == DP_OK);
	CHECK(drain(l, &h, 200) == DP_OK);
	CHECK(h.n == 0); /* not before the commit */
	CHECK(dpdb_commit(a) == DP_OK);
	CHECK(drain(l, &h, 2000) == DP_OK);
	CHECK(h.n == 1 && strcmp(h.chan, "t_chan") == 0 && strcmp(h.payload, "one") == 0);
	/* a rollback, or one of the savepoint around it, notifies nobody */
	CHECK(dpdb_begin(a) == DP_OK);
	CHECK(dpdb_exec(a, "NOTIFY t_chan, 'two'") == DP_OK);
	dpdb_rollback(a);
	CHECK(dpdb_begin(a) == DP_OK);
	CHECK(dpdb_savepoint(a) == DP_OK);
	CHECK(dpdb_exec(a, "NOTIFY t_chan, 'three'") == DP_OK);
	CHECK(dpdb_savepoint_end(a, 0) == DP_OK);
	CHECK(dpdb_exec(a, "NOTIFY t_chan, 'four'") == DP_OK);
	CHECK(dpdb_commit(a) == DP_OK);
	h.n = 0;
	CHECK(drain(l, &h, 2000) == DP_OK);
	CHECK(h.n == 1 && strcmp(h.payload, "four") == 0);
	dpdb_close(l);
}

static void t_changes(dpdb *db)
{
	ddl(db, "CREATE TABLE ch (id BIGINT PRIMARY KEY, v BIGINT); CREATE TABLE ch2 (id BIGINT)");
	for (int i = 1; i <= 5; i++) {
		CHECK(insert_id(db, "ch", i) == DP_OK);
		CHECK(dpdb_changes(db) == 1);
	}
	CHECK(dpdb_run(dpdb_prepare(db, "UPDATE ch SET v = id WHERE id <= 3")) == DP_OK);
	CHECK(dpdb_changes(db) == 3);
	CHECK(dpdb_run(dpdb_prepare(db, "SELECT id FROM ch")) == DP_OK);
	CHECK(dpdb_changes(db) == 3); /* a SELECT (5 rows) changes nothing */
	CHECK(dpdb_run(dpdb_prepare(db, "DELETE FROM ch WHERE id >= 4")) == DP_OK);
	CHECK(dpdb_changes(db) == 2);
	const char *up = "INSERT INTO ch (id, v) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING";
	dpdb_stmt *st = dpdb_prepare(db, up);
	dpdb_bind_i64(st, 1, 1), dpdb_bind_i64(st, 2, 50);
	CHECK(dpdb_run(st) == DP_OK && dpdb_changes(db) == 0);
	st = dpdb_prepare(db, "INSERT INTO ch (id, v) VALUES (?1, ?2) "
			      "ON CONFLICT (id) DO UPDATE SET v = excluded.v");
	dpdb_bind_i64(st, 1, 1), dpdb_bind_i64(st, 2, 50);
	CHECK(dpdb_run(st) == DP_OK && dpdb_changes(db) == 1);
	CHECK(one(db, "SELECT v FROM ch WHERE id = 1") == 50);
	/* RETURNING: the rows, then done; counted once done */
	st = dpdb_prepare(db, "INSERT INTO ch (id, v) VALUES (?1, ?2) RETURNING id, v * 2");
	dpdb_bind_i64(st, 1, 10), dpdb_bind_i64(st, 2, 21);
	CHECK(dpdb_step(st) == DPDB_ROW && dpdb_col_i64(st, 0) == 10 && dpdb_col_i64(st, 1) == 42);
	CHECK(dpdb_step(st) == DPDB_DONE && dpdb_changes(db) == 1);
	dpdb_reset(st);
	st = dpdb_prepare(db, "UPDATE ch SET v = 0 WHERE id <= 2 RETURNING id");
	int rows = 0;
	while (dpdb_step(st) == DPDB_ROW)
		rows++;
	CHECK(rows == 2 && dpdb_changes(db) == 2);
	dpdb_reset(st);
	st = dpdb_prepare(db, "DELETE FROM ch WHERE id = 999 RETURNING id");
	CHECK(dpdb_step(st) == DPDB_DONE && dpdb_changes(db) == 0);
	dpdb_reset(st);
}

/* ---- what the log may never hold ---- */

static void t_secrets(dpdb *db)
{
	ddl(db, "CREATE TABLE sec (id BIGINT PRIMARY KEY, v TEXT CHECK (length(v) < 8))");
	free(log_since());
	const char *ins = "INSERT INTO sec (id, v) VALUES (?1, ?2)";
	dpdb_stmt *st = dpdb_prepare(db, ins);
	dpdb_bind_i64(st, 1, 1), dpdb_bind_text(st, 2, "BOUND-SECRET-ONE");
	CHECK(dpdb_run(st) < 0);
	st = dpdb_prepare(db, ins);
	dpdb_bind_i64(st, 1, 1), dpdb_bind_text(st, 2, "ok");
	CHECK(dpdb_run(st) == DP_OK);
	st = dpdb_prepare(db, ins);
	dpdb_bind_i64(st, 1, 1), dpdb_bind_text(st, 2, "SECRET2");
	CHECK(dpdb_run(st) == DP_EEXISTS);
	st = dpdb_prepare(db, "SELECT CAST(?1 AS BIGINT) + 1");
	dpdb_bind_text(st, 1, "BOUNDSECRET3");
	int r = dpdb_step(st);
	dpdb_reset(st);
	CHECK(dpdb_kind(db) == DPDB_PG ? r == DP_ESTORE : r == DPDB_ROW);
	char *log = log_since();
	CHECKF(!strstr(log, "SECRET"), "a bound value in the log: %s", log);
	if (dpdb_kind(db) == DPDB_PG)
		CHECKF(strstr(log, "22P02") && strstr(log, "sec_v_check"), "%s", log);
	free(log);
}

/* ---- PostgreSQL only ---- */

/* uri with its password (user:PASSWORD@) replaced by pw; NULL if it has none. */
static char *with_password(const char *uri, const char *pw)
{
	const char *auth = strstr(uri, "://"), *colon, *at;
	if (!auth || !(at = strchr(auth + 3, '@')) || !(colon = strchr(auth + 3, ':')) || colon > at)
		return NULL;
	char *out = malloc(strlen(uri) + strlen(pw) + 1);
	sprintf(out, "%.*s%s%s", (int)(colon + 1 - uri), uri, pw, at);
	return out;
}

static char *password_of(const char *uri)
{
	const char *auth = strstr(uri, "://"), *colon, *at;
	if (!auth || !(at = strchr(auth + 3, '@')) || !(colon = strchr(auth + 3, ':')) || colon > at)
		return NULL;
	return strndup(colon + 1, (size_t)(at - colon - 1));
}

static void t_pg_passwords(const char *target)
{
	char *pw = password_of(target);
	if (!pw) {
		t_skipped("password checks", "the target names no password");
		return;
	}
	dpdb *db = NULL;
	free(log_since());
	char *wrong = with_password(target, "WRONG-pw-4711");
	CHECK(dpdb_open(&db, wrong, 0) == DP_ESTORE && !db);
	char *bad = with_password(target, "pw%zzMALFORMED-pw");
	CHECK(dpdb_open(&db, bad, 0) == DP_ESTORE && !db);
	/* a password in the query, malformed (libpq quotes it back): ?password=... */
	char *q = with_password(target, "");
	char *qq = malloc(strlen(q) + 64);
	sprintf(qq, "%s%cpassword=QUERY-pw%%zz", q, strchr(q, '?') ? '&' : '?');
	CHECK(dpdb_open(&db, qq, 0) == DP_ESTORE && !db);
	char *log = log_since();
	CHECKF(!strstr(log, "WRONG-pw") && !strstr(log, "MALFORMED-pw") && !strstr(log, "QUERY-pw") &&
		       !strstr(log, pw),
	       "a password in the log: %s", log);
	CHECKF(strstr(log, "password authentication failed") && strstr(log, "***"), "%s", log);
	free(log);
	CHECK((db = open_db(target, 0)) != NULL);
	if (db) {
		CHECK(strstr(dpdb_target(db), pw) == NULL && strstr(dpdb_target(db), "***"));
		dpdb_close(db);
	}
	free(pw), free(wrong), free(bad), free(q), free(qq);
}

/* pid's backend ended from another connection (pg_terminate_backend waits for it). */
static void kill_backend(const char *target, int64_t pid)
{
	dpdb *k = open_db(target, 0);
	if (!k)
		return;
	dpdb_stmt *st = dpdb_prepare(k, "SELECT pg_terminate_backend(CAST(?1 AS INTEGER), 5000)");
	dpdb_bind_i64(st, 1, pid);
	CHECK(dpdb_step(st) == DPDB_ROW && dpdb_col_i64(st, 0) == 1);
	dpdb_reset(st);
	dpdb_close(k);
}

static void t_pg_killed(const char *target)
{
	dpdb *db = open_db(target, 0);
	if (!db)
		return;
	ddl(db, "CREATE TABLE kl (id BIGINT PRIMARY KEY)");
	CHECK(dpdb_relax_sync(db) == DP_OK);
	const char *count = "SELECT COUNT(*) FROM kl";
	CHECK(one(db, count) == 0); /* prepared on the first connection */
	int64_t pid = one(db, "SELECT pg_backend_pid()");
	free(log_since());
	kill_backend(target, pid);
	/* outside a transaction: this statement fails, the next reconnects */
	dpdb_stmt *st = dpdb_prepare(db, count);
	CHECK(dpdb_step(st) == DP_ESTORE);
	dpdb_reset(st);
	char *log = log_since();
	CHECKF(strstr(log, "was lost") && strstr(log, "***"), "%s", log);
	free(log);
	CHECK(one(db, count) == 0);
	int64_t pid2 = one(db, "SELECT pg_backend_pid()");
	CHECK(pid2 > 0 && pid2 != pid);
	/* the connection's settings come back with it */
	st = dpdb_prepare(db, "SELECT current_setting('synchronous_commit')");
	CHECK(dpdb_step(st) == DPDB_ROW && dpdb_col_text(st, 0) && strcmp(dpdb_col_text(st, 0), "off") == 0);
	dpdb_reset(st);

	/* a BEGIN or a new statement meeting a lost connection: made again on a new one */
	kill_backend(target, pid2);
	CHECK(dpdb_begin(db) == DP_OK);
	dpdb_rollback(db);
	kill_backend(target, one(db, "SELECT pg_backend_pid()"));
	CHECK(one(db, "SELECT COUNT(*) + 1 FROM kl") == 1);

	/* inside a transaction: gone with it until the caller rolls back */
	CHECK(dpdb_begin(db) == DP_OK);
	CHECK(insert_id(db, "kl", 1) == DP_OK);
	kill_backend(target, one(db, "SELECT pg_backend_pid()"));
	CHECK(insert_id(db, "kl", 2) == DP_ESTORE);
	CHECK(insert_id(db, "kl", 3) == DP_ESTORE); /* no new connection inside it */
	CHECK(dpdb_in_txn(db));
	dpdb_rollback(db);
	CHECK(one(db, count) == 0);
	/* and a commit that meets it fails */
	CHECK(dpdb_begin(db) == DP_OK);
	CHECK(insert_id(db, "kl", 4) == DP_OK);
	kill_backend(target, one(db, "SELECT pg_backend_pid()"));
	CHECK(dpdb_commit(db) == DP_ESTORE);
	CHECK(!dpdb_in_txn(db));
	CHECK(one(db, count) == 0);
	CHECK(insert_id(db, "kl", 5) == DP_OK && one(db, count) == 1);
	dpdb_close(db);
}

/* ---- the drivers ---- */

static void suite(const char *name, const char *target)
{
	dpdb *db = open_db(target, DPDB_CREATE);
	if (!db)
		return;
	t_values(db);
	t_params(db);
	t_unique(db);
	t_visibility(db, target);
	t_notify(db, target);
	t_changes(db);
	t_secrets(db);
	dpdb_close(db);
	if (dpdb_kind_of(target) == DPDB_PG) {
		t_pg_passwords(target);
		t_pg_killed(target);
	}
	(void)name;
}

/* uri naming database db instead of its own (the path after host[:port]). */
static void run_sqlite(void)
{
	char dir[] = "/tmp/test_denpod_db.XXXXXX", path[64];
	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	snprintf(path, sizeof path, "%s/db.sqlite", dir);
	dpdb *db = NULL;
	int r = dpdb_open(&db, path, DPDB_CREATE);
	if (r == DP_EUNSUPP) {
		t_skipped("sqlite", "this build has no SQLite driver yet");
	} else {
		dpdb_close(db);
		capture();
		suite("sqlite", path);
		release("sqlite");
	}
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

static void run_pg(void)
{
	const char *base = getenv("DENPO_TEST_PG");
	if (!base || !*base) {
		t_skipped("postgresql",
			  "DENPO_TEST_PG is not set (tests/run.sh sets it with scripts/pg-tmp)");
		return;
	}
	capture();
	char name[64];
	snprintf(name, sizeof name, "denpo_test_db_%d", (int)getpid());
	char *target = t_pg_with_database(base, name);
	if (target && t_pg_database(base, name, 1) == DP_OK) {
		suite("postgresql", target);
		CHECK(t_pg_database(base, name, 0) == DP_OK);
	} else {
		CHECK(0);
	}
	free(target);
	release("postgresql");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	int fd = mkstemp(logpath);
	if (fd < 0)
		return 1;
	close(fd);
	run_sqlite();
	run_pg();
	unlink(logpath);
	return t_done("test_denpod_db");
}
