/*
 * denpod/store_migrate.c - a SQLite switch's database copied into an empty
 * PostgreSQL database (`denpod migrate`, denpod/admin_migrate.c says the
 * whole contract).
 *
 * What is copied is dps_tables (store.c), the one list of the schema's
 * tables; the columns are each database's own (SQLite's table_info,
 * PostgreSQL's information_schema), which must name the same columns, so
 * neither a table nor a column added to one schema and not the other can
 * be left behind silently: the copy refuses, naming it.  Values move as
 * their column's declared type (INTEGER -> BIGINT, TEXT, BLOB -> BYTEA),
 * NULL as NULL, up to 256 rows to an INSERT (one statement a row took 2 to
 * 4 times as long: bench/migrate_cost.sh).
 *
 * Everything on PostgreSQL happens in one transaction: the schema (its DDL
 * is transactional there), the rows, the identity columns moved past the
 * largest copied key; a failure anywhere rolls all of it back, leaving the
 * database as empty as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denpod/store_impl.h"

#define COLS_MAX 32   /* columns of one table (cables has 15) */
#define NAME_MAX_ 63  /* an identifier's bytes (PostgreSQL's limit) */
#define SQL_MAX 2048

const dps_table *dps_table_find(const char *name)
{
	for (size_t i = 0; i < dps_ntables; i++)
		if (strcmp(dps_tables[i].name, name) == 0)
			return &dps_tables[i];
	return NULL;
}

/* Names are pasted into SQL text: only the lower-case identifiers the schemas use. */
static int ident_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > NAME_MAX_)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' || (i && s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/* ---- the target ---- */

int dps_migrate_open(dps_store **out, const char *target, char *found, size_t cap)
{
	*out = NULL;
	found[0] = 0;
	if (dpdb_kind_of(target) != DPDB_PG)
		return DP_EINVAL;
	dps_store *s = calloc(1, sizeof *s);
	if (!s)
		return DP_ENOMEM;
	s->dirver = -1;
	s->log_next = -1;
	int r = dpdb_open(&s->db, target, 0);
	if (r) {
		free(s);
		return r;
	}
	r = dps_schema_first(s, found, cap);
	if (r) {
		dps_close(s);
		return r;
	}
	*out = s;
	return DP_OK;
}

/* ---- the copy ---- */

enum { T_INT, T_TEXT, T_BLOB };

struct cols {
	char name[COLS_MAX][NAME_MAX_ + 1];
	int type[COLS_MAX];
	size_t n;
	int bad; /* a name that is no plain identifier, or too many */
};

static int src_col(dpdb_stmt *st, void *ctx)
{
	struct cols *c = ctx;
	const char *name = dpdb_col_text(st, 0), *type = dpdb_col_text(st, 1);
	if (c->n == COLS_MAX || !ident_ok(name)) {
		c->bad = 1;
		return 1;
	}
	snprintf(c->name[c->n], sizeof c->name[0], "%s", name);
	/* the declared types of the SQLite schema (store.c): INTEGER, TEXT, BLOB */
	c->type[c->n++] = type && strstr(type, "INT") ? T_INT : type && strstr(type, "BLOB") ? T_BLOB : T_TEXT;
	return DP_OK;
}

struct dst_cols {
	const struct cols *src;
	size_t n;
	char missing[NAME_MAX_ + 1]; /* a column of the target the source lacks */
};

static int dst_col(dpdb_stmt *st, void *ctx)
{
	struct dst_cols *d = ctx;
	const char *name = dpdb_col_text(st, 0);
	d->n++;
	for (size_t i = 0; i < d->src->n; i++)
		if (name && strcmp(name, d->src->name[i]) == 0)
			return DP_OK;
	snprintf(d->missing, sizeof d->missing, "%s", name ? name : "?");
	return 1;
}

/*
 * "INSERT INTO t(cols) VALUES(?1,...),(...)" of rows rows (malloc'd; NULL
 * when out of memory): rows per statement, not a round trip per row.
 */
static char *insert_sql(const char *t, const struct cols *c, size_t rows)
{
	size_t cap = 64 + strlen(t) + c->n * (NAME_MAX_ + 2) + rows * (c->n * 8 + 4), l;
	char *s = malloc(cap);
	if (!s)
		return NULL;
	l = (size_t)snprintf(s, cap, "INSERT INTO %s(", t);
	for (size_t i = 0; i < c->n; i++)
		l += (size_t)snprintf(s + l, cap - l, "%s%s", i ? "," : "", c->name[i]);
	l += (size_t)snprintf(s + l, cap - l, ") VALUES");
	for (size_t r = 0; r < rows; r++)
		for (size_t i = 0; i < c->n; i++)
			l += (size_t)snprintf(s + l, cap - l, "%s?%zu%s", i ? "," : r ? ",(" : "(",
					      r * c->n + i + 1, i + 1 == c->n ? ")" : "");
	return s;
}

/* Column i of src's row as parameter p of wr, by the column's declared type. */
static void bind_col(dpdb_stmt *wr, int p, dpdb_stmt *rd, int i, int type)
{
	size_t len;
	const uint8_t *b;
	if (dpdb_col_null(rd, i)) {
		dpdb_bind_null(wr, p);
	} else if (type == T_INT) {
		dpdb_bind_i64(wr, p, dpdb_col_i64(rd, i));
	} else if (type == T_BLOB) {
		b = dpdb_col_blob(rd, i, &len);
		dpdb_bind_blob(wr, p, b ? b : (const uint8_t *)"", len);
	} else {
		dpdb_bind_text(wr, p, dpdb_col_text(rd, i));
	}
}

/* The columns of table t in both databases, which must name the same. */
static int table_cols(dps_store *src, dps_store *dst, const char *t, struct cols *c, char *why,
		      size_t cap)
{
	memset(c, 0, sizeof *c);
	dpdb_stmt *st = dpdb_prepare(src->db, "SELECT name, type FROM pragma_table_info(?1) ORDER BY cid");
	dpdb_bind_text(st, 1, t);
	int r = dps_rows(st, src_col, c);
	if (r == 1 || (!r && c->bad)) {
		snprintf(why, cap, "table %s of the SQLite database has a column this denpod does not "
				   "know (a damaged or foreign database)", t);
		return DP_ESTATE;
	}
	if (r)
		return r;
	struct dst_cols d = {c, 0, ""};
	st = dpdb_prepare(dst->db, "SELECT CAST(column_name AS TEXT) FROM information_schema.columns "
				   "WHERE table_schema=current_schema() AND table_name=?1");
	dpdb_bind_text(st, 1, t);
	r = dps_rows(st, dst_col, &d);
	if (r == 1 || (!r && d.n != c->n)) {
		snprintf(why, cap, "table %s has %s%s in the PostgreSQL schema but not in SQLite's "
				   "(or the reverse): the two schemas of store.c differ (a bug)",
			 t, d.missing[0] ? "column " : "other columns", d.missing);
		return DP_ESTATE;
	}
	return r;
}

/*
 * The cables' bodies (denpod/segment.h): one in a segment moves into the
 * data column, PostgreSQL's own storage, and its seg and off are NULL
 * there.  Each row its own INSERT (dps_tables says so), so one buffer.
 */
struct body {
	int data, seg, off, size; /* columns of the copy; seg -1: not the cables of a SQLite store */
	dp_buf buf;
};

static void body_cols(dps_store *src, const dps_table *tab, const struct cols *c, struct body *b)
{
	b->data = b->seg = b->off = b->size = -1;
	dp_buf_init(&b->buf, DPS_BODY_MAX);
	if (!src->seg || strcmp(tab->name, "cables") != 0 || tab->rows_per_insert != 1)
		return;
	struct {
		const char *name;
		int *at;
	} want[] = {{"data", &b->data}, {"seg", &b->seg}, {"off", &b->off}, {"size", &b->size}};
	for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
		for (size_t i = 0; i < c->n; i++)
			if (strcmp(c->name[i], want[k].name) == 0)
				*want[k].at = (int)i;
	if (b->data < 0 || b->off < 0 || b->size < 0)
		b->seg = -1;
}

#define BATCH_ROWS 256     /* rows of one INSERT ... */
#define BATCH_PARAMS 4096  /* ... and its parameters at most (PostgreSQL takes 65535) */

/* One table's rows from src into dst (whose schema-made rows are replaced); *n: rows copied. */
static int copy_table(dps_store *src, dps_store *dst, const dps_table *tab, uint64_t *n, char *why,
		      size_t cap)
{
	const char *t = tab->name;
	struct cols c;
	char sel[SQL_MAX], cnt[SQL_MAX], del[SQL_MAX];
	int64_t ns = -1, nd = -1;
	*n = 0;
	int r = table_cols(src, dst, t, &c, why, cap);
	if (r)
		return r;
	size_t ls = (size_t)snprintf(sel, sizeof sel, "SELECT ");
	for (size_t i = 0; i < c.n; i++)
		ls += (size_t)snprintf(sel + ls, sizeof sel - ls, "%s%s", i ? "," : "", c.name[i]);
	snprintf(sel + ls, sizeof sel - ls, " FROM %s", t);
	snprintf(cnt, sizeof cnt, "SELECT count(*) FROM %s", t);
	snprintf(del, sizeof del, "DELETE FROM %s", t);
	/*
	 * The rows are counted first (the caller's write lock holds them
	 * still): full statements of per rows, then one of the rest.
	 */
	r = dps_int(dpdb_prepare(src->db, cnt), -1, &ns);
	if (!r && ns < 0)
		r = DP_ESTORE;
	if (r)
		return r;
	size_t per = BATCH_PARAMS / c.n < BATCH_ROWS ? BATCH_PARAMS / c.n : BATCH_ROWS;
	if (tab->rows_per_insert && tab->rows_per_insert < per)
		per = tab->rows_per_insert; /* rows that may be large (a cable: up to 64 MiB) */
	uint64_t full = (uint64_t)ns / per * per, rest = (uint64_t)ns - full;
	char *big = full ? insert_sql(t, &c, per) : NULL, *last = rest ? insert_sql(t, &c, rest) : NULL;
	if ((full && !big) || (rest && !last))
		r = DP_ENOMEM;
	/* the rows the schema made (meta's schema row, dirver's) give way to the source's */
	if (!r)
		r = dpdb_run(dpdb_prepare(dst->db, del));
	dpdb_stmt *rd = r ? NULL : dpdb_prepare(src->db, sel);
	dpdb_stmt *wbig = r || !big ? NULL : dpdb_prepare(dst->db, big);
	dpdb_stmt *wlast = r || !last ? NULL : dpdb_prepare(dst->db, last);
	struct body b;
	body_cols(src, tab, &c, &b);
	int rc = DPDB_DONE;
	while (!r && (rc = dpdb_step(rd)) == DPDB_ROW) {
		if (*n == (uint64_t)ns) {
			r = DP_ESTATE; /* more rows than counted: the count below says it */
			break;
		}
		int in_big = *n < full;
		dpdb_stmt *wr = in_big ? wbig : wlast;
		uint64_t j = in_big ? *n % per : *n - full, rows = in_big ? per : rest;
		int in_seg = b.seg >= 0 && !dpdb_col_null(rd, b.seg);
		if (in_seg)
			r = dps_cable_body_at(src, dpdb_col_i64(rd, b.seg), dpdb_col_i64(rd, b.off),
					      dpdb_col_i64(rd, b.size), &b.buf);
		for (size_t i = 0; i < c.n && !r; i++) {
			int p = (int)(j * c.n + i + 1);
			if (in_seg && (int)i == b.data)
				dpdb_bind_blob(wr, p, b.buf.p ? b.buf.p : (const uint8_t *)"", b.buf.len);
			else if (in_seg && ((int)i == b.seg || (int)i == b.off))
				dpdb_bind_null(wr, p);
			else
				bind_col(wr, p, rd, (int)i, c.type[i]);
		}
		(*n)++;
		if (!r && j + 1 == rows)
			r = dpdb_run(wr);
	}
	if (!r && rc != DPDB_DONE)
		r = rc;
	dpdb_reset(rd);
	dp_buf_free(&b.buf);
	free(big);
	free(last);
	if (r && r != DP_ESTATE)
		return r;
	/* counted again on both sides: what was read is all there is, and all of it arrived */
	r = dps_int(dpdb_prepare(dst->db, cnt), -1, &nd);
	if (!r && (nd < 0 || (uint64_t)ns != *n || (uint64_t)nd != *n)) {
		snprintf(why, cap, "table %s: %lld rows in SQLite, %llu read, %lld in PostgreSQL after "
				   "the copy", t, (long long)ns, (unsigned long long)*n, (long long)nd);
		r = DP_ESTATE;
	}
	return r;
}

struct idcols {
	char t[8][NAME_MAX_ + 1], c[8][NAME_MAX_ + 1];
	size_t n;
};

static int id_row(dpdb_stmt *st, void *ctx)
{
	struct idcols *x = ctx;
	const char *t = dpdb_col_text(st, 0), *c = dpdb_col_text(st, 1);
	if (x->n == 8 || !ident_ok(t) || !ident_ok(c))
		return DP_ESTATE;
	snprintf(x->t[x->n], sizeof x->t[0], "%s", t);
	snprintf(x->c[x->n++], sizeof x->c[0], "%s", c);
	return DP_OK;
}

/*
 * Identity columns (cables.seq, containments.id, approvals.id) were given
 * explicit values: their sequences still stand at 1.  Each is set so the
 * next row gets the largest copied value + 1, as SQLite's rowid would.
 */
static int identities(dps_store *dst)
{
	struct idcols x;
	memset(&x, 0, sizeof x);
	int r = dps_rows(dpdb_prepare(dst->db, "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) "
					       "FROM information_schema.columns WHERE table_schema="
					       "current_schema() AND is_identity='YES'"),
			 id_row, &x);
	for (size_t i = 0; i < x.n && !r; i++) {
		char sql[SQL_MAX];
		int64_t v;
		snprintf(sql, sizeof sql, "SELECT setval(pg_get_serial_sequence('%s','%s'), "
					  "COALESCE(MAX(%s),0)+1, false) FROM %s",
			 x.t[i], x.c[i], x.c[i], x.t[i]);
		r = dps_int(dpdb_prepare(dst->db, sql), -1, &v);
	}
	return r;
}

struct listed {
	const char *db;
	int kind;
	char *why;
	size_t cap;
};

/* A table of a database that dps_tables lacks (or lists as the other database's alone). */
static int listed(void *ctx, const char *name)
{
	struct listed *x = ctx;
	const dps_table *t = dps_table_find(name);
	if (t && (x->kind == DPS_TAB_PG || t->kind == DPS_TAB_COPY))
		return DP_OK;
	snprintf(x->why, x->cap, "the %s database has table %s, which dps_tables (store.c) does not "
				 "copy: this denpod cannot move it (a bug)", x->db, name);
	return DP_ESTATE;
}

int dps_migrate_copy(dps_store *src, dps_store *dst, void (*rows)(void *ctx, const char *table,
								   uint64_t n),
		     void *ctx, char *why, size_t cap)
{
	why[0] = 0;
	if (dpdb_kind(src->db) != DPDB_SQLITE || dpdb_kind(dst->db) != DPDB_PG || !src->in_txn || dst->in_txn)
		return DP_EINVAL;
	struct listed ls = {"SQLite", DPS_TAB_COPY, why, cap};
	int r = dps_schema_tables(src, listed, &ls);
	if (!r)
		r = dpdb_begin(dst->db);
	if (r)
		return r;
	dst->in_txn = 1;
	r = dps_schema_pg_make(dst);
	struct listed lp = {"PostgreSQL", DPS_TAB_PG, why, cap};
	if (!r)
		r = dps_schema_tables(dst, listed, &lp);
	for (size_t i = 0; i < dps_ntables && !r; i++) {
		uint64_t n = 0;
		if (dps_tables[i].kind != DPS_TAB_COPY)
			continue;
		r = copy_table(src, dst, &dps_tables[i], &n, why, cap);
		if (!r && rows)
			rows(ctx, dps_tables[i].name, n);
	}
	if (!r)
		r = identities(dst);
	if (r)
		dps_rollback(dst);
	return r;
}
