/*
 * denpod/store_dir.c - the directory: posts, collectives, officers,
 * devices (with the windows of their epoch keys), and the directory cache
 * (denpod/dircache.h) kept current by the directory version that every
 * write to these tables bumps (store.c's triggers).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "denpo/epoch.h"
#include "denpod/req.h"
#include "denpod/say.h"
#include "denpod/store_impl.h"

#define DEV_COLS "id,tls_key,officer,name,status,created"
#define OFFICER_COLS "handle,post,fullname,clearance,captions,roles,status"
#define STR_(x) #x
#define STR(x) STR_(x)

/* ---- directory cache ---- */

int dps_dir_cache(dps_store *s)
{
	if (s->cache)
		return DP_OK;
	s->dirver = -1;
	s->dir_window_ns = DPS_DIR_FRESH_MS * INT64_C(1000000);
	return dpdc_new(&s->cache);
}

void dps_dir_window(dps_store *s, int64_t ms) { s->dir_window_ns = ms * INT64_C(1000000); }

int dps_dir_sync_recent(dps_store *s)
{
	if (s->cache && s->dirver >= 0 && !s->dir_stale && dpd_mono_ns() - s->dir_read_ns < s->dir_window_ns)
		return DP_OK;
	return dps_dir_sync(s);
}

void dps_dir_stale(dps_store *s)
{
	if (s)
		s->dir_stale = 1;
}

int dps_dir_sync(dps_store *s)
{
	if (!s->cache)
		return DP_OK;
	s->dir_read_ns = dpd_mono_ns(); /* before the read: the window counts from its snapshot */
	s->dir_stale = 0;
	int64_t n;
	int r = dps_int(dpdb_prepare(s->db, "SELECT n FROM dirver WHERE id=1"), -1, &n);
	if (!r && n < 0) {
		dpd_say("denpod: store: the directory version row is missing; the database is damaged");
		r = DP_ESTORE;
	}
	/* unreadable or changed: nothing cached may be trusted */
	if (r || n != s->dirver) {
		dpdc_clear(s->cache);
		s->dirver = r ? -1 : n;
	}
	return r;
}

/* ---- posts and collectives ---- */

int dps_post_add(dps_store *s, const dps_post *p)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "INSERT INTO posts(name,hq,tz) VALUES(?1,?2,?3)");
	dpdb_bind_text(st, 1, p->name);
	dpdb_bind_i64(st, 2, p->hq ? 1 : 0);
	dpdb_bind_text(st, 3, p->tz);
	return dpdb_run(st);
}

/* Columns name, hq, tz. */
static int post_row(dpdb_stmt *st, void *ctx)
{
	dps_post *p = ctx;
	memset(p, 0, sizeof *p);
	dps_col_text(st, 0, p->name, sizeof p->name);
	p->hq = (int)dpdb_col_i64(st, 1);
	dps_col_text(st, 2, p->tz, sizeof p->tz);
	return DP_OK;
}

int dps_post_get(dps_store *s, const char *name, dps_post *p)
{
	int found;
	if (s->cache && dpdc_post(s->cache, name, p, &found))
		return found ? DP_OK : DP_ENOTFOUND;
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT name,hq,tz FROM posts WHERE name=?1");
	dpdb_bind_text(st, 1, name);
	int r = dps_row1(st, post_row, p);
	if (s->cache && (r == DP_OK || r == DP_ENOTFOUND))
		dpdc_post_put(s->cache, name, p, r == DP_OK);
	return r;
}

struct post_each {
	int (*cb)(void *ctx, const dps_post *p);
	void *ctx;
};

static int post_each_row(dpdb_stmt *st, void *ctx)
{
	struct post_each *x = ctx;
	dps_post p;
	post_row(st, &p);
	return x->cb(x->ctx, &p);
}

int dps_post_list(dps_store *s, int (*cb)(void *ctx, const dps_post *p), void *ctx)
{
	struct post_each x = {cb, ctx};
	return dps_rows(dpdb_prepare(s->db, "SELECT name,hq,tz FROM posts ORDER BY name"),
			post_each_row, &x);
}

int dps_collective_add(dps_store *s, const char *name, const char *const *posts, size_t n)
{
	dps_post p;
	int r = dps_post_get(s, name, &p);
	if (r == DP_OK)
		return DP_EEXISTS; /* a collective may not shadow a post */
	if (r != DP_ENOTFOUND)
		return r;
	int own; /* its own transaction, or the caller's (with its log entry) */
	r = dps_own_begin(s, &own);
	for (size_t i = 0; !r && i < n; i++) {
		r = dps_post_get(s, posts[i], &p);
		if (r)
			break;
		dpdb_stmt *st = dpdb_prepare(s->db, "INSERT INTO collectives(name,post) VALUES(?1,?2)");
		dpdb_bind_text(st, 1, name);
		dpdb_bind_text(st, 2, posts[i]);
		r = dpdb_run(st);
	}
	return dps_own_end(s, own, r);
}

struct coll_each {
	int (*cb)(void *ctx, const char *name, const char *post);
	void *ctx;
};

static int coll_each_row(dpdb_stmt *st, void *ctx)
{
	struct coll_each *x = ctx;
	return x->cb(x->ctx, dpdb_col_text(st, 0), dpdb_col_text(st, 1));
}

int dps_collective_list(dps_store *s, int (*cb)(void *ctx, const char *name, const char *post),
			void *ctx)
{
	struct coll_each x = {cb, ctx};
	return dps_rows(dpdb_prepare(s->db, "SELECT name,post FROM collectives ORDER BY name,post"),
			coll_each_row, &x);
}

struct addressee {
	int (*cb)(void *ctx, const char *post);
	void *ctx;
	int found;
};

static int addressee_row(dpdb_stmt *st, void *ctx)
{
	struct addressee *x = ctx;
	x->found = 1;
	return x->cb(x->ctx, dpdb_col_text(st, 0));
}

int dps_addressee_posts(dps_store *s, const char *name, int (*cb)(void *ctx, const char *post),
			void *ctx)
{
	dps_post p;
	int r = dps_post_get(s, name, &p);
	if (r != DP_ENOTFOUND)
		return r ? r : cb(ctx, p.name);
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT post FROM collectives WHERE name=?1 ORDER BY post");
	dpdb_bind_text(st, 1, name);
	struct addressee x = {cb, ctx, 0};
	r = dps_rows(st, addressee_row, &x);
	return !r && !x.found ? DP_ENOTFOUND : r;
}

/* ---- officers ---- */

/* Columns i..i+6 of OFFICER_COLS. */
void dps_officer_row(dpdb_stmt *st, int i, dps_officer *o)
{
	char list[DP_MAX_CAPTIONS * (DP_NAME_MAX + 1) + 1];
	memset(o, 0, sizeof *o);
	dps_col_text(st, i, o->handle, sizeof o->handle);
	dps_col_text(st, i + 1, o->post, sizeof o->post);
	dps_col_text(st, i + 2, o->fullname, sizeof o->fullname);
	o->clearance = (int)dpdb_col_i64(st, i + 3);
	dps_col_text(st, i + 4, list, sizeof list);
	if (dps_split_names(list, o->captions, DP_MAX_CAPTIONS, &o->ncaptions))
		o->ncaptions = 0; /* never written that way; treat as none (fails closed) */
	dps_col_text(st, i + 5, list, sizeof list);
	if (dps_split_names(list, o->roles, DP_MAX_CAPTIONS, &o->nroles))
		o->nroles = 0;
	o->status = (int)dpdb_col_i64(st, i + 6);
}

int dps_officer_put(dps_store *s, const dps_officer *o, int update)
{
	char caps[DP_MAX_CAPTIONS * (DP_NAME_MAX + 1) + 1], roles[sizeof caps];
	dps_post p;
	int r = dps_post_get(s, o->post, &p);
	if (r)
		return r;
	dpdb_stmt *st = dpdb_prepare(
		s->db, update ? "INSERT INTO officers(" OFFICER_COLS ") VALUES(?1,?2,?3,?4,?5,?6,?7) "
				"ON CONFLICT(handle) DO UPDATE SET post=excluded.post,"
				"fullname=excluded.fullname,clearance=excluded.clearance,"
				"captions=excluded.captions,roles=excluded.roles,status=excluded.status"
			      : "INSERT INTO officers(" OFFICER_COLS ") VALUES(?1,?2,?3,?4,?5,?6,?7)");
	dps_join_names(caps, sizeof caps, (char(*)[DP_NAME_MAX + 1])o->captions, o->ncaptions);
	dps_join_names(roles, sizeof roles, (char(*)[DP_NAME_MAX + 1])o->roles, o->nroles);
	dpdb_bind_text(st, 1, o->handle);
	dpdb_bind_text(st, 2, o->post);
	dpdb_bind_text(st, 3, o->fullname);
	dpdb_bind_i64(st, 4, o->clearance);
	dpdb_bind_text(st, 5, caps);
	dpdb_bind_text(st, 6, roles);
	dpdb_bind_i64(st, 7, o->status);
	return dpdb_run(st);
}

static int officer_one(dpdb_stmt *st, void *ctx)
{
	dps_officer_row(st, 0, ctx);
	return DP_OK;
}

int dps_officer_get(dps_store *s, const char *handle, dps_officer *o)
{
	if (s->cache && dpdc_officer(s->cache, handle, o))
		return DP_OK;
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT " OFFICER_COLS " FROM officers WHERE handle=?1");
	dpdb_bind_text(st, 1, handle);
	int r = dps_row1(st, officer_one, o);
	if (s->cache && !r)
		dpdc_officer_put(s->cache, o);
	return r;
}

struct officer_each {
	int (*cb)(void *ctx, const dps_officer *o);
	void *ctx;
};

static int officer_each_row(dpdb_stmt *st, void *ctx)
{
	struct officer_each *x = ctx;
	dps_officer o;
	dps_officer_row(st, 0, &o);
	return x->cb(x->ctx, &o);
}

int dps_officer_list(dps_store *s, int (*cb)(void *ctx, const dps_officer *o), void *ctx)
{
	struct officer_each x = {cb, ctx};
	return dps_rows(dpdb_prepare(s->db, "SELECT " OFFICER_COLS " FROM officers ORDER BY post,handle"),
			officer_each_row, &x);
}

/* ---- devices ---- */

/* Columns i..i+5 of DEV_COLS. */
void dps_device_row(dpdb_stmt *st, int i, dps_device *d)
{
	memset(d, 0, sizeof *d);
	dps_col_blob(st, i, d->id, 32);
	dps_col_blob(st, i + 1, d->tls_key, 32);
	dps_col_text(st, i + 2, d->officer, sizeof d->officer);
	dps_col_text(st, i + 3, d->name, sizeof d->name);
	d->status = (int)dpdb_col_i64(st, i + 4);
	d->created = dpdb_col_i64(st, i + 5);
}

/* the windows a device row carries: ?2 = now - DP_EPOCH_SKEW (not closed), newest first */
static const dps_hinted sql_windows = DPS_SQL_HINTED(
	"SELECT epoch,not_before,not_after FROM epoch_keys", "epoch_keys_window",
	"WHERE device=?1 AND not_after>?2 ORDER BY epoch DESC LIMIT " STR(DPS_EPOCHS_MAX));

struct windows {
	dps_window w[DPS_EPOCHS_MAX];
	uint32_t n;
};

static int window_row(dpdb_stmt *st, void *ctx)
{
	struct windows *x = ctx;
	if (x->n == DPS_EPOCHS_MAX)
		return 1; /* (the LIMIT holds them) */
	x->w[x->n].epoch = (uint32_t)dpdb_col_i64(st, 0);
	x->w[x->n].not_before = dpdb_col_i64(st, 1);
	x->w[x->n].not_after = dpdb_col_i64(st, 2);
	x->n++;
	return DP_OK;
}

/* d->win: the windows of d's records not closed now, oldest epoch first. */
int dps_device_windows(dps_store *s, dps_device *d)
{
	struct windows x;
	x.n = 0;
	dpdb_stmt *st = dps_sql(s, &sql_windows);
	dpdb_bind_blob(st, 1, d->id, 32);
	dpdb_bind_i64(st, 2, dp_now() - DP_EPOCH_SKEW);
	int r = dps_rows(st, window_row, &x);
	if (r == 1)
		r = DP_OK;
	d->nwin = 0;
	for (uint32_t i = 0; !r && i < x.n; i++) /* newest first -> oldest first */
		d->win[d->nwin++] = x.w[x.n - 1 - i];
	return r;
}

int dps_device_add(dps_store *s, const dps_device *d)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "INSERT INTO devices(" DEV_COLS ") VALUES(?1,?2,?3,?4,?5,?6)");
	dpdb_bind_blob(st, 1, d->id, 32);
	dpdb_bind_blob(st, 2, d->tls_key, 32);
	dpdb_bind_text(st, 3, d->officer);
	dpdb_bind_text(st, 4, d->name);
	dpdb_bind_i64(st, 5, d->status);
	dpdb_bind_i64(st, 6, d->created);
	return dpdb_run(st);
}

static int device_one_row(dpdb_stmt *st, void *ctx)
{
	dps_device_row(st, 0, ctx);
	return DP_OK;
}

/* A device by id (by_tls = 0) or by its TLS key, through the cache. */
static int device_one(dps_store *s, int by_tls, const uint8_t key[32], dps_device *d)
{
	if (s->cache && (!by_tls ? dpdc_dev_by_id(s->cache, key, d) : dpdc_dev_by_tls(s->cache, key, d)))
		return DP_OK;
	dpdb_stmt *st = dpdb_prepare(s->db, by_tls ? "SELECT " DEV_COLS " FROM devices WHERE tls_key=?1"
						   : "SELECT " DEV_COLS " FROM devices WHERE id=?1");
	dpdb_bind_blob(st, 1, key, 32);
	int r = dps_row1(st, device_one_row, d);
	if (!r)
		r = dps_device_windows(s, d);
	if (s->cache && !r)
		dpdc_dev_put(s->cache, d);
	return r;
}

int dps_device_get(dps_store *s, const uint8_t id[32], dps_device *d)
{
	return device_one(s, 0, id, d);
}

int dps_device_by_tls(dps_store *s, const uint8_t tls_key[32], dps_device *d)
{
	return device_one(s, 1, tls_key, d);
}

struct device_match {
	dps_device *d;
	int found;
};

static int device_match_row(dpdb_stmt *st, void *ctx)
{
	struct device_match *x = ctx;
	if (++x->found > 1)
		return 1; /* ambiguous: no need to read on */
	dps_device_row(st, 0, x->d);
	return DP_OK;
}

/* A device id's hex digits from the left: the text of the SQL by kind (hex() is SQLite's). */
static const dps_hinted sql_device_prefix = {
	"SELECT " DEV_COLS " FROM devices WHERE substr(lower(hex(id)),1,?1)=lower(?2)",
	"SELECT " DEV_COLS " FROM devices WHERE substr(encode(id,'hex'),1,CAST(?1 AS INTEGER))=lower(?2)",
};

int dps_device_find(dps_store *s, const char *prefix, dps_device *d)
{
	size_t n = strlen(prefix);
	/* a prefix is 1..64 hex digits */
	if (n == 0 || n > 64 || strspn(prefix, "0123456789abcdefABCDEF") != n)
		return DP_EPARSE;
	dpdb_stmt *st = dps_sql(s, &sql_device_prefix);
	dpdb_bind_i64(st, 1, (int64_t)n);
	dpdb_bind_text(st, 2, prefix);
	struct device_match x = {d, 0};
	int r = dps_rows(st, device_match_row, &x);
	if (r == 1 || (!r && x.found > 1))
		return DP_EEXISTS;
	if (!r && x.found == 0)
		return DP_ENOTFOUND;
	return r ? r : dps_device_windows(s, d);
}

int dps_device_set_log_idx(dps_store *s, const uint8_t id[32], int64_t idx)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "UPDATE devices SET log_idx=?1 WHERE id=?2");
	dpdb_bind_i64(st, 1, idx);
	dpdb_bind_blob(st, 2, id, 32);
	int r = dpdb_run(st);
	if (!r && dpdb_changes(s->db) != 1)
		r = DP_ENOTFOUND;
	return r;
}

static int log_idx_row(dpdb_stmt *st, void *ctx)
{
	*(int64_t *)ctx = dps_col_i64_or_neg(st, 0);
	return DP_OK;
}

int dps_device_log_idx(dps_store *s, const uint8_t id[32], int64_t *idx)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT log_idx FROM devices WHERE id=?1");
	dpdb_bind_blob(st, 1, id, 32);
	return dps_row1(st, log_idx_row, idx);
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
	dpdb_stmt *st = dpdb_prepare(s->db, "UPDATE devices SET status=?1 WHERE id=?2 AND status!=2");
	dpdb_bind_i64(st, 1, status);
	dpdb_bind_blob(st, 2, id, 32);
	r = dpdb_run(st);
	if (!r && dpdb_changes(s->db) != 1)
		r = DP_ESTATE;
	return r;
}

/* Devices (with their officers: cbo) to a callback, each with its windows. */
struct device_each {
	dps_store *s;
	int with_officer;
	int (*cb)(void *ctx, const dps_device *d);
	int (*cbo)(void *ctx, const dps_officer *o, const dps_device *d);
	void *ctx;
};

static int device_each_row(dpdb_stmt *st, void *ctx)
{
	struct device_each *x = ctx;
	dps_officer o;
	dps_device d;
	if (x->with_officer)
		dps_officer_row(st, 0, &o);
	dps_device_row(st, x->with_officer ? 7 : 0, &d);
	int r = dps_device_windows(x->s, &d);
	if (!r)
		r = x->with_officer ? x->cbo(x->ctx, &o, &d) : x->cb(x->ctx, &d);
	return r;
}

int dps_device_list(dps_store *s, const char *officer, int (*cb)(void *ctx, const dps_device *d),
		    void *ctx)
{
	dpdb_stmt *st = dpdb_prepare(s->db, officer ? "SELECT " DEV_COLS " FROM devices WHERE officer=?1 "
							"ORDER BY id"
						      : "SELECT " DEV_COLS " FROM devices ORDER BY officer,id");
	if (officer)
		dpdb_bind_text(st, 1, officer);
	struct device_each x = {.s = s, .cb = cb, .ctx = ctx};
	return dps_rows(st, device_each_row, &x);
}

int dps_post_devices(dps_store *s, const char *post,
		     int (*cb)(void *ctx, const dps_officer *o, const dps_device *d), void *ctx)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT o.handle,o.post,o.fullname,o.clearance,o.captions,"
					    "o.roles,o.status,d.id,d.tls_key,d.officer,d.name,d.status,"
					    "d.created FROM officers o JOIN devices d "
					    "ON d.officer=o.handle WHERE o.post=?1 ORDER BY o.handle,d.id");
	dpdb_bind_text(st, 1, post);
	struct device_each x = {.s = s, .with_officer = 1, .cbo = cb, .ctx = ctx};
	return dps_rows(st, device_each_row, &x);
}
