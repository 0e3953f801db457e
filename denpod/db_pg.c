/*
 * denpod/db_pg.c - the PostgreSQL driver of denpod/db.h, on libpq (Debian's
 * libpq5, PostgreSQL 15).
 *
 * Statements: the ?N of db.h become $N once, when a statement is first
 * prepared (text inside '...' and "..." is left alone, as db.c reads it).
 * Each is PQprepare'd on the connection under its own name at the first
 * dpdb_prepare (so an SQL error shows there, as with SQLite) and again,
 * lazily, at its next step after a reconnection.  Parameters go as text
 * (integers in decimal, text as it is) so that the type the server infers
 * for each ($1 in "id = $1" is a BIGINT) accepts them; blobs go in binary,
 * the bytes of a BYTEA.  Results come in binary and are read by the
 * column's type: bool (0 or 1), int2, int4, int8, oid, text, varchar,
 * bpchar, name, bytea.  Any other type (a NUMERIC from SUM or AVG, a
 * timestamp) is a bug of the statement: DP_ESTORE, said with "CAST it".
 *
 * Rows: the whole result of a statement is fetched at its first step and
 * read from memory after that.  So the store may run other statements on
 * the connection while it reads rows (as SQLite allows), and a result's
 * memory is bounded only by the statement: every query the store runs on
 * data that grows must have a LIMIT.  libpq's single-row mode would bound
 * it, but a connection in it can run nothing else until every row is read:
 * worth it only for a query that cannot have a LIMIT (none today).
 *
 * Errors, by SQLSTATE: 23505 (unique violation) is DP_EEXISTS, 53100 (disk
 * full) DP_ENOSPC, XX001 and XX002 (damaged data or index) set the corrupt
 * flag, anything else is DP_ESTORE; every failure but DP_EEXISTS is said
 * on the switch's log with the server's primary message and the first
 * words of the statement.  Never its DETAIL (which quotes rows), and for
 * the classes 22 (data exception) and 23 (integrity) not even the primary
 * message (22P02's quotes the bound value): the constraint, table,
 * column and type names stand in.  A failure while connecting is said
 * with the target redacted (dpdb_redact) and with any piece of the
 * password libpq might echo (a malformed URI is quoted back) replaced.
 *
 * A lost connection (the server restarted, failed over, or ended the
 * session): the statement that meets it fails with DP_ESTORE, said as
 * lost, and the connection is dropped (the statement may have run: only
 * the caller knows whether it can run it again).  The next use outside a
 * transaction connects again (with the same settings: read only,
 * relax_sync) and re-prepares statements as they are stepped.  A BEGIN or
 * a PREPARE that meets a lost connection outside a transaction had done
 * nothing: it is made once more on a new connection, so a server restarted
 * between two transactions costs the next one nothing.  Inside a transaction, that
 * transaction is gone: every call fails with DP_ESTORE until the caller's
 * dpdb_rollback; the first use after it reconnects.  A COMMIT whose
 * connection is lost before the answer has an unknown outcome: it is said
 * so, and returns DP_ESTORE (the caller's retry must be idempotent).
 *
 * Connection defaults, each overridden by the same keyword in the target:
 * connect_timeout=10 s, TCP keepalives after 10 s idle every 3 s (3 lost:
 * dead) and tcp_user_timeout=15 s, so a dead server or a severed network
 * is a lost connection within seconds, not at the kernel's 15 minutes.
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "denpod/db_driver.h"
#include "denpod/say.h"

/* Type OIDs (PostgreSQL's pg_type.dat: fixed since the catalog began). */
enum {
	PG_BOOL = 16, PG_BYTEA = 17, PG_NAME = 19, PG_INT8 = 20, PG_INT2 = 21, PG_INT4 = 23,
	PG_TEXT = 25, PG_OID = 26, PG_BPCHAR = 1042, PG_VARCHAR = 1043,
};

#define PG_PARAMS_MAX 65535 /* the protocol's limit on $N */
#define PG_SQL_SHOWN 60     /* bytes of a statement shown in a log line */

struct pg_db {
	struct dpdb h;
	PGconn *conn;     /* NULL: none (lost): made at the next use outside a transaction */
	char *target;     /* for reconnecting; holds the password: wiped when freed */
	uint64_t epoch;   /* counts connections: a statement prepared under an older one is re-prepared */
	uint64_t names;   /* statement names handed out ("s1", "s2", ...) */
	int readonly;     /* DPDB_READONLY: every transaction read only */
	int relaxed;      /* dpdb_relax_sync was called: synchronous_commit off */
	int committing;   /* inside pg_commit (a lost connection then leaves the outcome unknown) */
	unsigned warnings; /* WARNING notices received, over every connection (dpdb_warnings) */
};

struct pg_stmt {
	struct dpdb_stmt h;
	char *text;       /* the SQL with $N */
	char name[24];
	uint64_t epoch;   /* the connection it was prepared on (0: none) */
	int nparams;
	char **val;       /* nparams bound values (malloc'd; NULL: SQL NULL) */
	int *len, *fmt;
	PGresult *res;    /* the rows of the current execution */
	int row;          /* the current row; -1 before the first */
	char (*num)[24];  /* an integer column read as text, per column (made on demand) */
};

static struct pg_db *D(struct dpdb *db) { return (struct pg_db *)db; }
static struct pg_stmt *S(struct dpdb_stmt *st) { return (struct pg_stmt *)st; }

/* ---- the ?N -> $N rewriting ---- */

/*
 * sql with each ?N (N from 1) as $N, the same length; *nparams the largest
 * N.  NULL if a ? has no number or N is 0 or too large (said: a bug).
 * Quoted text is skipped as db.c skips it (dpdb_next_param).
 */
static char *pg_rewrite(const char *sql, int *nparams)
{
	char *out = strdup(sql);
	if (!out)
		return NULL;
	*nparams = 0;
	for (const char *q = dpdb_next_param(sql); q; q = dpdb_next_param(q + 1)) {
		long n = 0;
		const char *e = q + 1;
		while (*e >= '0' && *e <= '9' && n <= PG_PARAMS_MAX)
			n = n * 10 + (*e++ - '0');
		if (e == q + 1 || n < 1 || n > PG_PARAMS_MAX) {
			dpd_say("denpod: store: postgresql: a parameter is not ?1 to ?%d (a bug): %.*s",
				PG_PARAMS_MAX, PG_SQL_SHOWN, sql);
			free(out);
			return NULL;
		}
		out[q - sql] = '$';
		if (n > *nparams)
			*nparams = (int)n;
	}
	return out;
}

/* ---- errors ---- */

/* A message of the server's or libpq's on one line (libpq's end in \n), runs of spaces as one. */
static void one_line(char *out, size_t cap, const char *msg)
{
	size_t o = 0;
	for (const char *p = msg ? msg : "(no message)"; *p && o + 1 < cap; p++) {
		char c = (*p == '\n' || *p == '\r' || *p == '\t') ? ' ' : *p;
		if (c != ' ' || (o && out[o - 1] != ' '))
			out[o++] = c;
	}
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = 0;
}

/* Every occurrence of secret in s masked with *** (or as many * as it has bytes, if fewer), in place. */
static void scrub(char *s, const char *secret)
{
	size_t n = secret ? strlen(secret) : 0;
	if (!n)
		return;
	size_t k = n < 3 ? n : 3;
	for (char *p = s; (p = strstr(p, secret)); p += k) {
		memset(p, '*', k);
		memmove(p + k, p + n, strlen(p + n) + 1);
	}
}

/*
 * libpq's message about target, without any password the target holds:
 * the raw text between "user:" and "@", the password= value, and their
 * decoded forms (PQconninfoParse's), wherever libpq quoted them.
 */
static void scrub_target(char *msg, const char *target)
{
	char raw[512];
	const char *auth = strstr(target, "://");
	if (auth) {
		auth += 3;
		const char *at = strchr(auth, '@'), *colon = strchr(auth, ':');
		const char *end = strpbrk(auth, "/?");
		if (at && colon && colon < at && (!end || at < end)) {
			snprintf(raw, sizeof raw, "%.*s", (int)(at - colon - 1), colon + 1);
			scrub(msg, raw);
		}
	}
	for (const char *p = target; (p = strstr(p, "password=")); p++) {
		p += 9;
		size_t n = strcspn(p, "& ");
		snprintf(raw, sizeof raw, "%.*s", (int)n, p);
		scrub(msg, raw);
	}
	PQconninfoOption *opts = PQconninfoParse(target, NULL);
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val)
			scrub(msg, o->val);
	PQconninfoFree(opts);
	sodium_memzero(raw, sizeof raw);
}

/* The connection is gone: dropped here; statements are re-prepared on the next one. */
static void pg_drop(struct pg_db *d)
{
	if (d->conn)
		PQfinish(d->conn);
	d->conn = NULL;
}

static int is_sqlstate(const char *state, const char *want) { return state && strcmp(state, want) == 0; }

/*
 * The DP_E* code of a failed call whose result is res (may be NULL), said
 * on the log unless it is a unique violation.  sql: the statement (its
 * first words are shown), or NULL.  Drops a connection found lost.
 */
static int pg_fail(struct pg_db *d, const PGresult *res, const char *sql)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	d->h.corrupt = is_sqlstate(state, "XX001") || is_sqlstate(state, "XX002");
	if (is_sqlstate(state, "23505"))
		return DP_EEXISTS;
	char msg[300];
	if (state && state[0] == '2' && (state[1] == '2' || state[1] == '3')) {
		/* a data or integrity exception: the server's text may quote a bound value */
		static const struct { int field; const char *what; } names[] = {
			{PG_DIAG_CONSTRAINT_NAME, "constraint"}, {PG_DIAG_TABLE_NAME, "table"},
			{PG_DIAG_COLUMN_NAME, "column"}, {PG_DIAG_DATATYPE_NAME, "type"},
		};
		int o = snprintf(msg, sizeof msg, "a value was refused: %s",
				 state[1] == '2' ? "data exception" : "integrity constraint violated");
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
			const char *v = PQresultErrorField(res, names[i].field);
			if (v && o >= 0 && (size_t)o < sizeof msg)
				o += snprintf(msg + o, sizeof msg - (size_t)o, ", %s %s", names[i].what, v);
		}
	} else {
		const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
		one_line(msg, sizeof msg, m ? m : d->conn ? PQerrorMessage(d->conn) : NULL);
	}
	/* class 08: connection exceptions; 57P01-03: the server shutting down or not yet up */
	int lost = !d->conn || PQstatus(d->conn) == CONNECTION_BAD ||
		   (state && state[0] == '0' && state[1] == '8') || is_sqlstate(state, "57P01") ||
		   is_sqlstate(state, "57P02") || is_sqlstate(state, "57P03");
	if (lost) {
		pg_drop(d);
		dpd_say("denpod: store: the connection to %s was lost (%s)%s", d->h.target, msg,
			d->committing ? ": its COMMIT's outcome is unknown until the data is read again"
			: d->h.in_txn ? ": its transaction is rolled back; the next one reconnects"
				      : ": the next statement reconnects");
		return DP_ESTORE;
	}
	if (is_sqlstate(state, "53100")) {
		dpd_say("denpod: store: the disk of the PostgreSQL server %s is full (%s): the switch "
			"refuses whatever it would write (507 disk_full) until its operator frees space "
			"there; what it accepted before is kept", d->h.target, msg);
		return DP_ENOSPC;
	}
	if (sql)
		dpd_say("denpod: store: postgresql: %s (SQLSTATE %s) in: %.*s", msg, state ? state : "none",
			PG_SQL_SHOWN, sql);
	else
		dpd_say("denpod: store: postgresql: %s (SQLSTATE %s)", msg, state ? state : "none");
	return DP_ESTORE;
}

/* ---- the connection ---- */

/* Warnings on the log, and counted (dpdb_warnings); notices ("relation already exists,
 * skipping") dropped. */
static void pg_notice(void *arg, const PGresult *res)
{
	struct pg_db *d = arg;
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	if (!sev || strcmp(sev, "WARNING") != 0)
		return;
	d->warnings++;
	if (m)
		dpd_say("denpod: store: postgresql warning: %s", m);
}

static unsigned pg_warnings(struct dpdb *db) { return D(db)->warnings; }

/* Runs a statement of the driver's own (no parameters, no rows). */
static int pg_cmd(struct pg_db *d, const char *sql)
{
	PGresult *res = PQexec(d->conn, sql);
	ExecStatusType s = PQresultStatus(res);
	int r = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? DP_OK : pg_fail(d, res, sql);
	PQclear(res);
	return r;
}

/*
 * A connection, if there is none: DP_OK, or DP_ESTORE (said).  Inside a
 * transaction whose connection was lost, always DP_ESTORE: the caller rolls
 * back first.
 */
static int pg_connect(struct pg_db *d)
{
	if (d->conn)
		return DP_OK;
	if (d->h.in_txn) {
		dpd_say("denpod: store: the connection to %s was lost inside a transaction: the caller "
			"rolls back before anything else (a bug if this repeats)", d->h.target);
		return DP_ESTORE;
	}
	/* defaults first: the target's own keywords (expand_dbname) override them */
	static const char *const keys[] = {"connect_timeout", "keepalives_idle", "keepalives_interval",
					   "keepalives_count", "tcp_user_timeout",
					   "fallback_application_name", "dbname", NULL};
	const char *vals[] = {"10", "10", "3", "3", "15000", "denpod", d->target, NULL};
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	if (!c)
		return DP_ENOMEM;
	if (PQstatus(c) != CONNECTION_OK) {
		char msg[400], shown[256];
		one_line(msg, sizeof msg, PQerrorMessage(c));
		scrub_target(msg, d->target);
		dpdb_redact(shown, sizeof shown, d->target);
		dpd_say("denpod: store: cannot connect to PostgreSQL %s: %s", shown, msg);
		sodium_memzero(msg, sizeof msg);
		PQfinish(c);
		return DP_ESTORE;
	}
	PQsetNoticeReceiver(c, pg_notice, d);
	d->conn = c;
	d->epoch++;
	int r = DP_OK;
	if (d->readonly)
		r = pg_cmd(d, "SET default_transaction_read_only TO on");
	if (!r && d->relaxed)
		r = pg_cmd(d, "SET synchronous_commit TO off");
	if (r)
		pg_drop(d);
	return r;
}

static void pg_free(struct pg_db *d)
{
	pg_drop(d);
	if (d->target) {
		sodium_memzero(d->target, strlen(d->target));
		free(d->target);
	}
	free(d);
}

static int pg_open(struct dpdb **out, const char *target, int flags)
{
	struct pg_db *d = calloc(1, sizeof *d);
	if (!d || !(d->target = strdup(target))) {
		free(d);
		return DP_ENOMEM;
	}
	d->readonly = !!(flags & DPDB_READONLY);
	/* db.c sets it again after open; pg_fail may need it before */
	dpdb_redact(d->h.target, sizeof d->h.target, target);
	int r = pg_connect(d);
	if (r) {
		pg_free(d);
		return r;
	}
	*out = &d->h;
	return DP_OK;
}

static void pg_close(struct dpdb *db) { pg_free(D(db)); }

static int pg_exec(struct dpdb *db, const char *sql)
{
	int r = pg_connect(D(db));
	return r ? r : pg_cmd(D(db), sql);
}

/* ---- statements ---- */

static void pg_clear_params(struct pg_stmt *s)
{
	for (int i = 0; i < s->nparams; i++) {
		free(s->val[i]);
		s->val[i] = NULL;
		s->len[i] = 0;
		s->fmt[i] = 0;
	}
}

static void pg_finalize(struct dpdb_stmt *st)
{
	struct pg_stmt *s = S(st);
	/* the server's copy goes with the connection: db.c finalizes only at dpdb_close */
	PQclear(s->res);
	if (s->val)
		pg_clear_params(s);
	free(s->val);
	free(s->len);
	free(s->fmt);
	free(s->num);
	free(s->text);
	free(s);
}

/*
 * 1 if a call that failed with r found the connection lost outside a
 * transaction: a call that changes nothing (BEGIN, a PREPARE) is then made
 * once more, on a new connection.
 */
static int pg_lost_idle(const struct pg_db *d, int r) { return r == DP_ESTORE && !d->conn && !d->h.in_txn; }

/* Prepares s on the current connection unless it is already. */
static int pg_ready(struct pg_db *d, struct pg_stmt *s)
{
	for (int tries = 0;; tries++) {
		int r = pg_connect(d);
		if (r || s->epoch == d->epoch)
			return r;
		PGresult *res = PQprepare(d->conn, s->name, s->text, s->nparams, NULL);
		r = PQresultStatus(res) == PGRES_COMMAND_OK ? DP_OK : pg_fail(d, res, s->text);
		PQclear(res);
		if (!r)
			s->epoch = d->epoch;
		if (!r || tries || !pg_lost_idle(d, r))
			return r;
	}
}

static struct dpdb_stmt *pg_prepare(struct dpdb *db, const char *sql)
{
	struct pg_db *d = D(db);
	struct pg_stmt *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->row = -1;
	if (!(s->text = pg_rewrite(sql, &s->nparams)))
		goto fail;
	if (s->nparams) {
		s->val = calloc((size_t)s->nparams, sizeof *s->val);
		s->len = calloc((size_t)s->nparams, sizeof *s->len);
		s->fmt = calloc((size_t)s->nparams, sizeof *s->fmt);
		if (!s->val || !s->len || !s->fmt)
			goto fail;
	}
	snprintf(s->name, sizeof s->name, "s%llu", (unsigned long long)++d->names);
	if (pg_ready(d, s))
		goto fail;
	return &s->h;
fail:
	pg_finalize(&s->h);
	return NULL;
}

/* Param i (from 1) set to a copy of n bytes of p, in format fmt (0 text, 1 binary). */
static int pg_bind(struct dpdb_stmt *st, int i, const void *p, size_t n, int fmt)
{
	struct pg_stmt *s = S(st);
	if (i < 1 || i > s->nparams) {
		dpd_say("denpod: store: postgresql: parameter %d bound, the statement has %d (a bug): %.*s",
			i, s->nparams, PG_SQL_SHOWN, st->sql);
		return DP_ESTORE;
	}
	if (n > 0x7fffffff)
		return DP_ETOOBIG;
	char *v = NULL;
	if (p) {
		/* a NUL after the bytes: text parameters are read as C strings */
		if (!(v = malloc(n + 1)))
			return DP_ENOMEM;
		memcpy(v, p, n);
		v[n] = 0;
	}
	free(s->val[i - 1]);
	s->val[i - 1] = v;
	s->len[i - 1] = (int)n;
	s->fmt[i - 1] = fmt;
	return DP_OK;
}

static int pg_bind_i64(struct dpdb_stmt *st, int i, int64_t v)
{
	char buf[24];
	int n = snprintf(buf, sizeof buf, "%lld", (long long)v);
	return pg_bind(st, i, buf, (size_t)n, 0);
}

static int pg_bind_text(struct dpdb_stmt *st, int i, const char *s)
{
	return pg_bind(st, i, s, strlen(s), 0);
}

static int pg_bind_blob(struct dpdb_stmt *st, int i, const void *p, size_t n)
{
	/* an empty blob is not NULL */
	return pg_bind(st, i, p ? p : "", p ? n : 0, 1);
}

static int pg_bind_null(struct dpdb_stmt *st, int i) { return pg_bind(st, i, NULL, 0, 0); }

/* The column types this driver reads (see the top). */
static int pg_readable(Oid t)
{
	switch (t) {
	case PG_BOOL: case PG_BYTEA: case PG_NAME: case PG_INT8: case PG_INT2: case PG_INT4:
	case PG_TEXT: case PG_OID: case PG_BPCHAR: case PG_VARCHAR:
		return 1;
	default:
		return 0;
	}
}

/* Runs s: its rows into s->res.  DP_OK or a DP_E* code (said). */
static int pg_execute(struct pg_db *d, struct pg_stmt *s)
{
	int r = pg_ready(d, s);
	if (r)
		return r;
	PGresult *res = PQexecPrepared(d->conn, s->name, s->nparams, (const char *const *)s->val,
				       s->len, s->fmt, 1);
	ExecStatusType status = PQresultStatus(res);
	if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
		r = pg_fail(d, res, s->text);
		PQclear(res);
		return r;
	}
	for (int c = 0; c < PQnfields(res); c++)
		if (!pg_readable(PQftype(res, c))) {
			dpd_say("denpod: store: postgresql: column %d of a result has the type with OID %u, "
				"which the driver does not read (a bug: CAST it AS BIGINT or TEXT): %.*s",
				c + 1, PQftype(res, c), PG_SQL_SHOWN, s->h.sql);
			PQclear(res);
			return DP_ESTORE;
		}
	s->res = res;
	s->row = -1;
	return DP_OK;
}

static int pg_step(struct dpdb_stmt *st)
{
	struct pg_db *d = D(st->db);
	struct pg_stmt *s = S(st);
	if (!s->res) {
		int r = pg_execute(d, s);
		if (r)
			return r;
	}
	if (s->row + 1 < PQntuples(s->res)) {
		s->row++;
		return DPDB_ROW;
	}
	if (s->row + 1 == PQntuples(s->res)) {
		s->row++; /* past the last: done once */
		const char *tag = PQcmdStatus(s->res);
		/* rows changed: INSERT 0 n, UPDATE n, DELETE n, MERGE n; a SELECT changes nothing */
		if (strncmp(tag, "INSERT ", 7) == 0 || strncmp(tag, "UPDATE ", 7) == 0 ||
		    strncmp(tag, "DELETE ", 7) == 0 || strncmp(tag, "MERGE ", 6) == 0)
			d->h.changes = strtoll(PQcmdTuples(s->res), NULL, 10);
	}
	return DPDB_DONE;
}

static void pg_reset(struct dpdb_stmt *st)
{
	struct pg_stmt *s = S(st);
	PQclear(s->res);
	s->res = NULL;
	s->row = -1;
	pg_clear_params(s);
}

/* The value of column i of the current row, or NULL (no row, no column, SQL NULL). */
static const char *pg_value(struct pg_stmt *s, int i, int *len, Oid *type)
{
	if (!s->res || s->row < 0 || s->row >= PQntuples(s->res) || i < 0 || i >= PQnfields(s->res) ||
	    PQgetisnull(s->res, s->row, i))
		return NULL;
	*len = PQgetlength(s->res, s->row, i);
	*type = PQftype(s->res, i);
	return PQgetvalue(s->res, s->row, i);
}

static int pg_col_null(struct dpdb_stmt *st, int i)
{
	int len;
	Oid t;
	return pg_value(S(st), i, &len, &t) == NULL;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Big-endian integers of the binary format; 0 if the length is not the type's. */
static int64_t pg_int(const char *v, int len, Oid t)
{
	const uint8_t *p = (const uint8_t *)v;
	switch (t) {
	case PG_BOOL:
		return len == 1 && p[0];
	case PG_INT2:
		return len == 2 ? (int16_t)(p[0] << 8 | p[1]) : 0;
	case PG_INT4:
		return len == 4 ? (int32_t)be32(p) : 0;
	case PG_OID:
		return len == 4 ? (int64_t)be32(p) : 0;
	case PG_INT8: {
		uint64_t u;
		if (len != 8)
			return 0;
		memcpy(&u, p, 8);
		return (int64_t)be64toh(u);
	}
	default:
		/* text read as an integer: its leading digits, as SQLite reads it */
		return strtoll(v, NULL, 10);
	}
}

static int is_int_type(Oid t)
{
	return t == PG_BOOL || t == PG_INT2 || t == PG_INT4 || t == PG_OID || t == PG_INT8;
}

static int64_t pg_col_i64(struct dpdb_stmt *st, int i)
{
	int len;
	Oid t;
	const char *v = pg_value(S(st), i, &len, &t);
	if (!v || t == PG_BYTEA)
		return 0;
	return pg_int(v, len, t);
}

/* An integer column as decimal text, valid until the next step or reset (as SQLite's). */
static const char *pg_int_text(struct pg_stmt *s, int i, const char *v, int len, Oid t)
{
	if (!s->num && !(s->num = calloc((size_t)PQnfields(s->res), sizeof *s->num)))
		return NULL;
	snprintf(s->num[i], sizeof s->num[i], "%lld", (long long)pg_int(v, len, t));
	return s->num[i];
}

static const uint8_t *pg_col_blob(struct dpdb_stmt *st, int i, size_t *n)
{
	struct pg_stmt *s = S(st);
	int len;
	Oid t;
	const char *v = pg_value(s, i, &len, &t);
	*n = 0;
	if (!v)
		return NULL;
	if (is_int_type(t)) {
		v = pg_int_text(s, i, v, len, t);
		len = v ? (int)strlen(v) : 0;
	}
	*n = (size_t)len;
	return (const uint8_t *)v;
}

static const char *pg_col_text(struct dpdb_stmt *st, int i)
{
	/* the bytes of text and bytea values, integers as decimal: libpq ends every value with a NUL */
	size_t n;
	return (const char *)pg_col_blob(st, i, &n);
}

/* ---- transactions ---- */

static int pg_begin(struct dpdb *db, int read)
{
	struct pg_db *d = D(db);
	const char *sql = read ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
			       : "BEGIN ISOLATION LEVEL READ COMMITTED";
	int r = pg_connect(d);
	if (!r)
		r = pg_cmd(d, sql);
	if (pg_lost_idle(d, r) && !(r = pg_connect(d)))
		r = pg_cmd(d, sql); /* BEGIN had done nothing: once more, on a new connection */
	return r;
}

static void pg_rollback(struct dpdb *db)
{
	struct pg_db *d = D(db);
	if (!d->conn)
		return; /* lost with its transaction */
	PGresult *res = PQexec(d->conn, "ROLLBACK");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		(void)pg_fail(d, res, "ROLLBACK");
		pg_drop(d); /* never left inside a transaction: a new connection at the next use */
	}
	PQclear(res);
}

static int pg_commit(struct dpdb *db)
{
	struct pg_db *d = D(db);
	if (!d->conn)
		return pg_connect(d); /* lost inside the transaction: DP_ESTORE, said */
	d->committing = 1;
	PGresult *res = PQexec(d->conn, "COMMIT");
	int r = DP_OK;
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		r = pg_fail(d, res, "COMMIT");
		pg_rollback(db); /* nothing if the connection was lost */
	} else if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		/* a transaction that had failed: the server answers COMMIT with ROLLBACK */
		dpd_say("denpod: store: postgresql: COMMIT of a transaction in which a statement had "
			"failed: rolled back (a bug of the caller, which rolls back to its savepoint)");
		r = DP_ESTORE;
	}
	d->committing = 0;
	PQclear(res);
	return r;
}

/* Savepoints are named by depth (db.c: in_sp is the depth of the one made or ended). */
static int pg_sp_cmd(struct dpdb *db, const char *verb)
{
	char sql[48];
	snprintf(sql, sizeof sql, "%s dp_sp%d", verb, db->in_sp);
	return D(db)->conn ? pg_cmd(D(db), sql) : pg_connect(D(db));
}

static int pg_savepoint(struct dpdb *db) { return pg_sp_cmd(db, "SAVEPOINT"); }

static int pg_savepoint_end(struct dpdb *db, int keep)
{
	int r = keep ? DP_OK : pg_sp_cmd(db, "ROLLBACK TO SAVEPOINT");
	int r2 = pg_sp_cmd(db, "RELEASE SAVEPOINT");
	return r ? r : r2;
}

static int pg_relax_sync(struct dpdb *db)
{
	struct pg_db *d = D(db);
	int r = pg_connect(d);
	if (!r)
		r = pg_cmd(d, "SET synchronous_commit TO off");
	if (!r)
		d->relaxed = 1; /* set again on every new connection */
	return r;
}

/* ---- notifications (LISTEN / NOTIFY) ---- */

/* channel: checked by db.c (lower-case letters and _), so it needs no quoting */
static int pg_listen(struct dpdb *db, const char *channel)
{
	char sql[80];
	snprintf(sql, sizeof sql, "LISTEN %s", channel);
	return pg_exec(db, sql);
}

static int pg_fd(const struct dpdb *db)
{
	const struct pg_db *d = (const struct pg_db *)db;
	return d->conn ? PQsocket(d->conn) : -1;
}

static int pg_notifications(struct dpdb *db, void (*cb)(void *ctx, const char *channel,
							  const char *payload), void *ctx)
{
	struct pg_db *d = D(db);
	if (!d->conn)
		return DP_ESTORE;
	if (!PQconsumeInput(d->conn) || PQstatus(d->conn) == CONNECTION_BAD) {
		char msg[300];
		one_line(msg, sizeof msg, PQerrorMessage(d->conn));
		pg_drop(d);
		dpd_say("denpod: store: the listening connection to %s was lost (%s)", d->h.target, msg);
		return DP_ESTORE;
	}
	PGnotify *n;
	while ((n = PQnotifies(d->conn))) {
		cb(ctx, n->relname, n->extra);
		PQfreemem(n);
	}
	return DP_OK;
}

const struct dpdb_driver dpdb_pg_driver = {
	.kind = DPDB_PG,
	.open = pg_open,
	.close = pg_close,
	.exec = pg_exec,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.bind_i64 = pg_bind_i64,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.reset = pg_reset,
	.col_null = pg_col_null,
	.col_i64 = pg_col_i64,
	.col_text = pg_col_text,
	.col_blob = pg_col_blob,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.savepoint = pg_savepoint,
	.savepoint_end = pg_savepoint_end,
	.relax_sync = pg_relax_sync,
	.warnings = pg_warnings,
	.listen = pg_listen,
	.fd = pg_fd,
	.notifications = pg_notifications,
};
