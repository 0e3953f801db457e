/*
 * denpod/db.c - the generic half of denpod/db.h: the driver by target,
 * the statement cache, the transaction state, the checks every driver
 * would otherwise repeat (see denpod/db_driver.h).
 */
#include <stdlib.h>
#include <string.h>

#include "denpod/db_driver.h"
#include "denpod/say.h"

/* The drivers this denpod has, by kind. */
static const struct dpdb_driver *const drivers[] = {
	&dpdb_sqlite_driver,
	&dpdb_pg_driver,
};

int dpdb_kind_of(const char *target)
{
	if (strncmp(target, "postgresql://", 13) == 0 || strncmp(target, "postgres://", 11) == 0)
		return DPDB_PG;
	return DPDB_SQLITE;
}

void dpdb_redact(char *out, size_t cap, const char *target)
{
	if (!cap)
		return;
	out[0] = 0;
	size_t o = 0;
	const char *auth = NULL, *at = NULL;
	if (dpdb_kind_of(target) == DPDB_PG) {
		auth = strstr(target, "://") + 3;
		at = strpbrk(auth, "@/?");
		if (at && *at != '@')
			at = NULL;
	}
	for (const char *p = target; *p && o + 1 < cap;) {
		/* user:PASSWORD@ -> user:***@ */
		if (at && p > auth && p < at && p[-1] == ':' && memchr(auth, ':', (size_t)(p - auth)) == p - 1) {
			const char *m = "***";
			while (*m && o + 1 < cap)
				out[o++] = *m++;
			p = at;
			continue;
		}
		/* ?password=SECRET or &password=SECRET -> password=*** */
		if ((*p == '?' || *p == '&') && strncmp(p + 1, "password=", 9) == 0) {
			const char *m = *p == '?' ? "?password=***" : "&password=***";
			while (*m && o + 1 < cap)
				out[o++] = *m++;
			p += 10;
			while (*p && *p != '&')
				p++;
			continue;
		}
		out[o++] = *p++;
	}
	out[o] = 0;
}

int dpdb_open(dpdb **db, const char *target, int flags)
{
	*db = NULL;
	int kind = dpdb_kind_of(target);
	const struct dpdb_driver *drv = NULL;
	for (size_t i = 0; i < sizeof drivers / sizeof drivers[0]; i++)
		if (drivers[i]->kind == kind)
			drv = drivers[i];
	if (!drv) {
		dpd_say("denpod: store: this denpod was built without the driver for %s",
			kind == DPDB_PG ? "PostgreSQL" : "this database");
		return DP_EUNSUPP;
	}
	struct dpdb *d = NULL;
	int r = drv->open(&d, target, flags);
	if (r)
		return r;
	d->drv = drv;
	d->kind = kind;
	dpdb_redact(d->target, sizeof d->target, target);
	*db = d;
	return DP_OK;
}

void dpdb_close(dpdb *db)
{
	if (!db)
		return;
	for (size_t b = 0; b < DPDB_BUCKETS; b++)
		while (db->cache[b]) {
			struct dpdb_stmt *st = db->cache[b];
			db->cache[b] = st->next;
			char *sql = st->sql;
			db->drv->finalize(st);
			free(sql);
		}
	db->drv->close(db);
}

int dpdb_kind(const dpdb *db) { return db->kind; }
const char *dpdb_target(const dpdb *db) { return db->target; }
int dpdb_corrupt(const dpdb *db) { return db->corrupt; }
int64_t dpdb_changes(dpdb *db) { return db->changes; }
int dpdb_in_txn(const dpdb *db) { return db->in_txn; }

int dpdb_exec(dpdb *db, const char *sql) { return db->drv->exec(db, sql); }

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return h;
}

static dpdb_stmt *prepare(dpdb *db, const char *sql);

const char *dpdb_next_param(const char *sql)
{
	char quote = 0;
	for (const char *p = sql; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '?') {
			return p;
		}
	}
	return NULL;
}

/* 1 if sql has a ? not followed by a digit outside quotes (db.h: parameters are numbered). */
static int bare_param(const char *sql)
{
	for (const char *p = dpdb_next_param(sql); p; p = dpdb_next_param(p + 1))
		if (!(p[1] >= '0' && p[1] <= '9'))
			return 1;
	return 0;
}

dpdb_stmt *dpdb_prepare(dpdb *db, const char *sql)
{
	size_t f = ((uintptr_t)sql >> 3) % DPDB_FRONT;
	struct dpdb_stmt *hit = db->front[f];
	if (hit && db->front_key[f] == sql && !hit->running && strcmp(hit->sql, sql) == 0) {
		dpdb_reset(hit);
		return hit;
	}
	struct dpdb_stmt *st = prepare(db, sql);
	if (st && !st->running) {
		db->front_key[f] = sql;
		db->front[f] = st;
	}
	return st;
}

/* The cached statement of this text (prepared if none is free). */
static dpdb_stmt *prepare(dpdb *db, const char *sql)
{
	uint64_t h = fnv1a(sql);
	struct dpdb_stmt **slot = &db->cache[h % DPDB_BUCKETS];
	/* a statement of this text whose rows are not being read (a nested use gets its own) */
	for (struct dpdb_stmt *st = *slot; st; st = st->next)
		if (st->hash == h && !st->running && strcmp(st->sql, sql) == 0) {
			dpdb_reset(st);
			return st;
		}
	if (bare_param(sql)) {
		dpd_say("denpod: store: a statement with an unnumbered parameter (a bug): %.60s", sql);
		return NULL;
	}
	char *copy = strdup(sql);
	if (!copy)
		return NULL;
	struct dpdb_stmt *st = db->drv->prepare(db, copy);
	if (!st) {
		free(copy);
		return NULL;
	}
	st->db = db;
	st->sql = copy;
	st->hash = h;
	st->bind_err = 0;
	st->running = 0;
	st->next = *slot;
	*slot = st;
	return st;
}

static void bound(dpdb_stmt *st, int r)
{
	if (r && !st->bind_err)
		st->bind_err = r;
}

void dpdb_bind_i64(dpdb_stmt *st, int i, int64_t v)
{
	if (st)
		bound(st, st->db->drv->bind_i64(st, i, v));
}
void dpdb_bind_text(dpdb_stmt *st, int i, const char *s)
{
	if (st)
		bound(st, s ? st->db->drv->bind_text(st, i, s) : st->db->drv->bind_null(st, i));
}
void dpdb_bind_blob(dpdb_stmt *st, int i, const void *p, size_t n)
{
	if (st)
		bound(st, st->db->drv->bind_blob(st, i, p, n));
}
void dpdb_bind_null(dpdb_stmt *st, int i)
{
	if (st)
		bound(st, st->db->drv->bind_null(st, i));
}

int dpdb_step(dpdb_stmt *st)
{
	if (!st)
		return DP_ESTORE; /* dpdb_prepare failed (and said why) */
	if (st->bind_err)
		return st->bind_err;
	int r = st->db->drv->step(st);
	st->running = r == DPDB_ROW; /* done or failed: free for the next dpdb_prepare */
	return r;
}

void dpdb_reset(dpdb_stmt *st)
{
	if (!st)
		return;
	st->db->drv->reset(st);
	st->bind_err = 0;
	st->running = 0;
}

int dpdb_run(dpdb_stmt *st)
{
	int r;
	while ((r = dpdb_step(st)) == DPDB_ROW)
		;
	dpdb_reset(st);
	return r < 0 ? r : DP_OK;
}

int dpdb_col_null(dpdb_stmt *st, int i) { return st->db->drv->col_null(st, i); }
int64_t dpdb_col_i64(dpdb_stmt *st, int i) { return st->db->drv->col_i64(st, i); }
const char *dpdb_col_text(dpdb_stmt *st, int i) { return st->db->drv->col_text(st, i); }
const uint8_t *dpdb_col_blob(dpdb_stmt *st, int i, size_t *n)
{
	return st->db->drv->col_blob(st, i, n);
}

static int begin(dpdb *db, int read)
{
	if (db->in_txn)
		return DP_EINVAL;
	int r = db->drv->begin(db, read);
	if (!r)
		db->in_txn = 1;
	return r;
}

int dpdb_begin(dpdb *db) { return begin(db, 0); }
int dpdb_begin_read(dpdb *db) { return begin(db, 1); }

int dpdb_commit(dpdb *db)
{
	if (!db->in_txn)
		return DP_EINVAL;
	int r = db->drv->commit(db);
	db->in_txn = db->in_sp = 0;
	return r;
}

void dpdb_rollback(dpdb *db)
{
	if (db->in_txn)
		db->drv->rollback(db);
	db->in_txn = db->in_sp = 0;
}

int dpdb_savepoint(dpdb *db)
{
	if (!db->in_txn || db->in_sp >= DPDB_SP_MAX)
		return DP_EINVAL;
	int r = db->drv->savepoint(db);
	if (!r)
		db->in_sp++;
	return r;
}

int dpdb_savepoint_end(dpdb *db, int keep)
{
	if (!db->in_sp)
		return DP_EINVAL;
	db->in_sp--;
	return db->drv->savepoint_end(db, keep);
}

int dpdb_relax_sync(dpdb *db) { return db->drv->relax_sync(db); }
unsigned dpdb_warnings(dpdb *db) { return db->drv->warnings ? db->drv->warnings(db) : 0; }

int dpdb_listen(dpdb *db, const char *channel)
{
	size_t n = strlen(channel);
	if (n == 0 || n > 63 || strspn(channel, "abcdefghijklmnopqrstuvwxyz_") != n)
		return DP_EINVAL;
	return db->drv->listen ? db->drv->listen(db, channel) : DP_EUNSUPP;
}

int dpdb_fd(const dpdb *db) { return db->drv->fd ? db->drv->fd(db) : -1; }

int dpdb_notifications(dpdb *db, void (*cb)(void *ctx, const char *channel, const char *payload),
		       void *ctx)
{
	return db->drv->notifications ? db->drv->notifications(db, cb, ctx) : DP_EUNSUPP;
}
