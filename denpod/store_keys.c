/*
 * denpod/store_keys.c - epoch key records (denpo/epoch.h): publication
 * with its rules (dps_epoch_put), the current record, windows, the cables
 * each epoch still holds back, and retirement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denpo/epoch.h"
#include "denpod/store_impl.h"

/* epoch_keys_rcpt indexes these characters of a recipient (after "age1pq1"; SQL counts from 1) */
#define RCPT_KEY_OFF 7
#define RCPT_KEY_LEN 64

/*
 * The epoch_keys lookups name their index on SQLite: without statistics
 * the planner prefers the primary key (device, epoch), which walks a
 * device's whole history (a record a day for decades).
 */
/* candidates by 64 characters of key material (?2, bound); the caller compares in full */
static const dps_hinted sql_by_rcpt = DPS_SQL_HINTED(
	"SELECT epoch,age_recipient FROM epoch_keys", "epoch_keys_rcpt",
	"WHERE device=?1 AND substr(age_recipient,8,64)=?2");
static const dps_hinted sql_current = DPS_SQL_HINTED(
	"SELECT epoch,not_before,not_after,published,age_recipient,record FROM epoch_keys",
	"epoch_keys_window",
	"WHERE device=?1 AND not_after>?2 AND not_before<=?2 ORDER BY epoch DESC LIMIT 1");
static const dps_hinted sql_unretired = DPS_SQL_HINTED(
	"SELECT epoch FROM epoch_keys", "epoch_keys_unretired",
	"WHERE device=?1 AND retired=0 AND not_after<=?2 ORDER BY epoch");
static const char sql_get[] = "SELECT record,not_before,not_after,log_idx FROM epoch_keys "
			      "WHERE device=?1 AND epoch=?2";

/* One integer of a one-row query on (device, i2) (nparams 1: device only); -1 for NULL or no row. */
static int dev_int(dps_store *s, const char *sql, int nparams, const uint8_t device[32], int64_t i2,
		   int64_t *v)
{
	dpdb_stmt *st = dpdb_prepare(s->db, sql);
	dpdb_bind_blob(st, 1, device, 32);
	if (nparams >= 2)
		dpdb_bind_i64(st, 2, i2);
	return dps_int(st, -1, v);
}

struct same_record {
	dps_epoch_pub *p;
};

static int same_record_row(dpdb_stmt *st, void *ctx)
{
	dps_epoch_pub *p = ctx;
	size_t n;
	const uint8_t *old = dpdb_col_blob(st, 0, &n);
	p->duplicate = n == p->len && old && memcmp(old, p->record, n) == 0;
	if (p->duplicate)
		p->log_idx = dps_col_i64_or_neg(st, 3);
	return DP_OK;
}

static int reused_row(dpdb_stmt *st, void *ctx)
{
	dps_epoch_pub *p = ctx;
	const char *old = dpdb_col_text(st, 1);
	if (old && strcmp(old, p->k->age_recipient) == 0) {
		p->rule = DPS_EPR_REUSED;
		p->reused_epoch = (uint32_t)dpdb_col_i64(st, 0);
		return 1;
	}
	return DP_OK;
}

/* The rules of dps_epoch_put, inside a transaction. */
static int epoch_put(dps_store *s, dps_epoch_pub *p)
{
	const dp_epoch_key *k = p->k;
	int64_t v;
	int r = dev_int(s, "SELECT 1 FROM devices WHERE id=?1", 1, k->device, 0, &v);
	if (r || v < 0)
		return r ? r : DP_ENOTFOUND;
	/* the same epoch again: idempotent if byte-identical, else a conflict */
	dpdb_stmt *st = dpdb_prepare(s->db, sql_get);
	dpdb_bind_blob(st, 1, k->device, 32);
	dpdb_bind_i64(st, 2, k->epoch);
	r = dps_row1(st, same_record_row, p);
	if (r == DP_OK)
		return p->duplicate ? DP_OK : DP_EEXISTS;
	if (r != DP_ENOTFOUND)
		return r;

	if ((r = dev_int(s, "SELECT max(epoch) FROM epoch_keys WHERE device=?1", 1, k->device, 0, &v)))
		return r;
	if (v >= 0 && (int64_t)k->epoch <= v) {
		p->rule = DPS_EPR_EPOCH;
		p->last_epoch = (uint32_t)v;
		return DP_ESTATE;
	}
	if (strlen(k->age_recipient) < RCPT_KEY_OFF + RCPT_KEY_LEN)
		return DP_EINVAL; /* not a decoded post-quantum recipient */
	char key[RCPT_KEY_LEN + 1];
	memcpy(key, k->age_recipient + RCPT_KEY_OFF, RCPT_KEY_LEN);
	key[RCPT_KEY_LEN] = 0;
	st = dps_sql(s, &sql_by_rcpt);
	dpdb_bind_blob(st, 1, k->device, 32);
	dpdb_bind_text(st, 2, key);
	r = dps_rows(st, reused_row, p);
	if (r < 0)
		return r;
	if (p->rule)
		return DP_ESTATE;
	if (!p->enrol && k->not_after <= p->now)
		p->rule = DPS_EPR_EXPIRED;
	else if (k->not_before > p->now + DP_EPOCH_MAX_AHEAD)
		p->rule = DPS_EPR_AHEAD;
	if (p->rule)
		return DP_ESTATE;
	/* not closed = still accepted for cables: exactly what a device row's windows hold */
	if ((r = dev_int(s, "SELECT count(*) FROM epoch_keys WHERE device=?1 AND not_after>?2", 2,
			 k->device, p->now - DP_EPOCH_SKEW, &v)))
		return r;
	if (v >= DPS_EPOCHS_MAX) {
		p->rule = DPS_EPR_FULL;
		return DP_ESTATE;
	}
	st = dpdb_prepare(s->db, "INSERT INTO epoch_keys(device,epoch,not_before,not_after,"
				 "age_recipient,record,published,log_idx) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)");
	dpdb_bind_blob(st, 1, k->device, 32);
	dpdb_bind_i64(st, 2, k->epoch);
	dpdb_bind_i64(st, 3, k->not_before);
	dpdb_bind_i64(st, 4, k->not_after);
	dpdb_bind_text(st, 5, k->age_recipient);
	dpdb_bind_blob(st, 6, p->record, p->len);
	dpdb_bind_i64(st, 7, p->now);
	if (p->log_idx >= 0)
		dpdb_bind_i64(st, 8, p->log_idx);
	return dpdb_run(st);
}

int dps_epoch_put(dps_store *s, dps_epoch_pub *p)
{
	p->duplicate = 0;
	p->rule = DPS_EPR_NONE;
	p->last_epoch = p->reused_epoch = 0;
	if (p->len == 0 || p->len > DP_EPOCH_KEY_MAX)
		return DP_ETOOBIG;
	/* a write transaction: nobody else publishes for the device between the checks and the insert */
	int own;
	int r = dps_own_begin(s, &own);
	if (r)
		return r;
	return dps_own_end(s, own, epoch_put(s, p));
}

/* Columns 0..5 of sql_current. */
static int epoch_row(dpdb_stmt *st, void *ctx)
{
	dps_epoch *e = ctx;
	memset(e, 0, sizeof *e);
	e->epoch = (uint32_t)dpdb_col_i64(st, 0);
	e->not_before = dpdb_col_i64(st, 1);
	e->not_after = dpdb_col_i64(st, 2);
	e->published = dpdb_col_i64(st, 3);
	dps_col_text(st, 4, e->age_recipient, sizeof e->age_recipient);
	size_t n;
	const uint8_t *p = dpdb_col_blob(st, 5, &n);
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
	dpdb_stmt *st = dps_sql(s, &sql_current);
	dpdb_bind_blob(st, 1, device, 32);
	dpdb_bind_i64(st, 2, now);
	int r = dps_row1(st, epoch_row, e);
	if (r != DP_ENOTFOUND || !last_not_after)
		return r;
	int64_t v;
	int r2 = dev_int(s, "SELECT max(not_after) FROM epoch_keys WHERE device=?1 AND not_after<=?2", 2,
			 device, now, &v);
	if (r2)
		return r2;
	*last_not_after = v < 0 ? 0 : v;
	return DP_ENOTFOUND;
}

struct window_idx {
	uint32_t epoch;
	dps_window *w;
	int64_t *idx;
};

static int window_idx_row(dpdb_stmt *st, void *ctx)
{
	struct window_idx *x = ctx;
	if (x->w) {
		x->w->epoch = x->epoch;
		x->w->not_before = dpdb_col_i64(st, 1);
		x->w->not_after = dpdb_col_i64(st, 2);
	}
	if (x->idx)
		*x->idx = dps_col_i64_or_neg(st, 3);
	return DP_OK;
}

/* One stored record's window and log index (either may be NULL); DP_ENOTFOUND. */
static int epoch_get(dps_store *s, const uint8_t device[32], uint32_t epoch, dps_window *w,
		     int64_t *idx)
{
	dpdb_stmt *st = dpdb_prepare(s->db, sql_get);
	dpdb_bind_blob(st, 1, device, 32);
	dpdb_bind_i64(st, 2, epoch);
	struct window_idx x = {epoch, w, idx};
	return dps_row1(st, window_idx_row, &x);
}

int dps_epoch_window(dps_store *s, const uint8_t device[32], uint32_t epoch, dps_window *w)
{
	return epoch_get(s, device, epoch, w, NULL);
}

int dps_epoch_log_idx(dps_store *s, const uint8_t device[32], uint32_t epoch, int64_t *idx)
{
	return epoch_get(s, device, epoch, NULL, idx);
}

static int pending_row(dpdb_stmt *st, void *ctx)
{
	dps_epoch_state *x = ctx;
	if (x->npending == DPS_PENDING_MAX)
		x->more = 1;
	else
		dps_col_blob(st, 0, x->pending[x->npending++], DP_CABLE_ID);
	return DP_OK;
}

/* One precedence's queue entries of the device at epoch ?2, in seq order (the index's), the first ?3 */
#define PENDING_ARM(prec, alias)                                                                 \
	"SELECT * FROM (SELECT seq FROM deliveries WHERE device=?1 AND prec=" prec " AND epoch=?2 " \
	"AND acked IS NULL ORDER BY seq LIMIT ?3) " alias

/*
 * The pending cable ids of one epoch at now into x (at most
 * DPS_PENDING_MAX, more = cut).  The queue index is in precedence, then seq order, epoch carried
 * in its entries: each precedence's entries are read in seq order until
 * ?3 of this epoch are found, and the four merged; so an epoch with many
 * cables queued stops early (one with few still reads that device's
 * entries to their end: about 10 ms per 100,000 queued).
 */
static int epoch_pending(dps_store *s, const uint8_t device[32], int64_t now, dps_epoch_state *x)
{
	x->npending = 0;
	x->more = 0;
	/* an epoch not yet open for cables (policy.c: not_before - skew <= now) has none */
	if (x->w.not_before - DP_EPOCH_SKEW > now)
		return DP_OK;
	dpdb_stmt *st = dpdb_prepare(
		s->db, "SELECT c.cable_id FROM (SELECT seq FROM (" PENDING_ARM("0", "p0")
		       " UNION ALL " PENDING_ARM("1", "p1") " UNION ALL " PENDING_ARM("2", "p2")
		       " UNION ALL " PENDING_ARM("3", "p3") ") q ORDER BY seq LIMIT ?3) d JOIN cables c "
		       "ON c.seq=d.seq ORDER BY d.seq");
	dpdb_bind_blob(st, 1, device, 32);
	dpdb_bind_i64(st, 2, x->w.epoch);
	dpdb_bind_i64(st, 3, DPS_PENDING_MAX + 1);
	return dps_rows(st, pending_row, x);
}

struct epoch_each {
	dps_store *s;
	const uint8_t *device;
	int64_t now;
	dps_epoch_state x;
	int (*cb)(void *ctx, const dps_epoch_state *st);
	void *ctx;
};

static int epoch_each_row(dpdb_stmt *st, void *ctx)
{
	struct epoch_each *e = ctx;
	e->x.w.epoch = (uint32_t)dpdb_col_i64(st, 0);
	e->x.w.not_before = dpdb_col_i64(st, 1);
	e->x.w.not_after = dpdb_col_i64(st, 2);
	e->x.closed = e->now >= e->x.w.not_after + DP_EPOCH_SKEW;
	int r = epoch_pending(e->s, e->device, e->now, &e->x);
	return r ? r : e->cb(e->ctx, &e->x);
}

int dps_epoch_list(dps_store *s, const uint8_t device[32], int64_t now,
		   int (*cb)(void *ctx, const dps_epoch_state *st), void *ctx)
{
	struct epoch_each e = {.s = s, .device = device, .now = now, .cb = cb, .ctx = ctx};
	e.x.pending = calloc(DPS_PENDING_MAX, sizeof *e.x.pending);
	if (!e.x.pending)
		return DP_ENOMEM;
	/* not closed (index on not_after), or named by a pending delivery (the device's queue) */
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT epoch,not_before,not_after FROM epoch_keys WHERE "
					    "device=?1 AND epoch IN (SELECT epoch FROM epoch_keys WHERE "
					    "device=?1 AND not_after>?2 UNION SELECT epoch FROM deliveries "
					    "WHERE device=?1 AND acked IS NULL) ORDER BY epoch");
	dpdb_bind_blob(st, 1, device, 32);
	dpdb_bind_i64(st, 2, now - DP_EPOCH_SKEW);
	int r = dps_rows(st, epoch_each_row, &e);
	free(e.x.pending);
	return r;
}

struct retire {
	uint32_t ep[DPS_EPOCHS_MAX];
	size_t n;
};

static int retire_row(dpdb_stmt *st, void *ctx)
{
	struct retire *x = ctx;
	if (x->n == DPS_EPOCHS_MAX)
		return 1;
	x->ep[x->n++] = (uint32_t)dpdb_col_i64(st, 0);
	return DP_OK;
}

int dps_epoch_retire(dps_store *s, const uint8_t device[32], int64_t now,
		     int (*cb)(void *ctx, uint32_t epoch), void *ctx)
{
	if (!s->in_txn)
		return DP_EINVAL;
	/* closed: now >= not_after + skew; INT64_MAX (a revocation) takes every record */
	int64_t before = now == INT64_MAX ? INT64_MAX : now - DP_EPOCH_SKEW;
	dpdb_stmt *sel = dps_sql(s, &sql_unretired);
	dpdb_bind_blob(sel, 1, device, 32);
	dpdb_bind_i64(sel, 2, before);
	/* collect first: the update changes the index the select walks */
	struct retire x;
	x.n = 0;
	int r = dps_rows(sel, retire_row, &x);
	if (r == 1)
		r = DP_OK;
	/* more than DPS_EPOCHS_MAX at once (a revocation of an old device): the next call takes the rest */
	for (size_t i = 0; !r && i < x.n; i++) {
		dpdb_stmt *upd = dpdb_prepare(s->db, "UPDATE epoch_keys SET retired=1 WHERE device=?1 AND "
						     "epoch=?2");
		dpdb_bind_blob(upd, 1, device, 32);
		dpdb_bind_i64(upd, 2, x.ep[i]);
		r = dpdb_run(upd);
		if (!r)
			r = cb(ctx, x.ep[i]);
	}
	if (!r && x.n == DPS_EPOCHS_MAX)
		return dps_epoch_retire(s, device, now, cb, ctx);
	return r;
}
