/*
 * denpod/store_records.c - the archive's state of each record copy
 * (store.h dps_records_*; table records_state, store.c).
 */
#include <stdlib.h>
#include <string.h>

#include "denpod/store_impl.h"

static int state_row(dpdb_stmt *q, void *ctx)
{
	dp_records_state *st = ctx;
	dps_col_text(q, 0, st->proposed_by, sizeof st->proposed_by);
	st->proposed_at = dpdb_col_i64(q, 1);
	dps_col_text(q, 2, st->approved_by, sizeof st->approved_by);
	st->declassified_at = dpdb_col_i64(q, 3);
	dps_col_text(q, 4, st->held_by, sizeof st->held_by);
	st->held_at = dpdb_col_i64(q, 5);
	dps_col_text(q, 6, st->hold_reason, sizeof st->hold_reason);
	dps_col_text(q, 7, st->destroyed_by, sizeof st->destroyed_by);
	st->destroyed_at = dpdb_col_i64(q, 8);
	dps_col_text(q, 9, st->destroy_proposed_by, sizeof st->destroy_proposed_by);
	st->destroy_proposed_at = dpdb_col_i64(q, 10);
	dps_col_text(q, 11, st->destroy_detail, sizeof st->destroy_detail);
	return DP_OK;
}

int dps_records_get(dps_store *s, const uint8_t id[DP_CABLE_ID], dp_records_state *st)
{
	memset(st, 0, sizeof *st);
	dpdb_stmt *q = dpdb_prepare(s->db, "SELECT proposed_by,proposed_at,approved_by,declassified_at,"
					   "held_by,held_at,hold_reason,destroyed_by,destroyed_at,"
					   "destroy_proposed_by,destroy_proposed_at,destroy_detail FROM records_state WHERE cable_id=?1");
	dpdb_bind_blob(q, 1, id, DP_CABLE_ID);
	int r = dps_row1(q, state_row, st);
	if (r == DP_ENOTFOUND) {
		memset(st, 0, sizeof *st); /* no act changed it yet: the first state */
		r = DP_OK;
	}
	return r;
}

int dps_records_put(dps_store *s, const uint8_t id[DP_CABLE_ID], const dp_records_state *st,
		    int64_t now)
{
	if (!s->in_txn)
		return DP_EINVAL;
	dpdb_stmt *q = dpdb_prepare(
		s->db, "INSERT INTO records_state(cable_id,proposed_by,proposed_at,approved_by,"
		       "declassified_at,held_by,held_at,hold_reason,destroyed_by,destroyed_at,changed,"
		       "destroy_proposed_by,destroy_proposed_at,destroy_detail) "
		       "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14) ON CONFLICT(cable_id) DO UPDATE SET "
		       "proposed_by=excluded.proposed_by,proposed_at=excluded.proposed_at,"
		       "approved_by=excluded.approved_by,declassified_at=excluded.declassified_at,"
		       "held_by=excluded.held_by,held_at=excluded.held_at,hold_reason=excluded.hold_reason,"
		       "destroyed_by=excluded.destroyed_by,destroyed_at=excluded.destroyed_at,"
		       "changed=excluded.changed,destroy_proposed_by=excluded.destroy_proposed_by,"
		       "destroy_proposed_at=excluded.destroy_proposed_at,"
		       "destroy_detail=excluded.destroy_detail");
	dpdb_bind_blob(q, 1, id, DP_CABLE_ID);
	dpdb_bind_text(q, 2, st->proposed_by);
	dpdb_bind_i64(q, 3, st->proposed_at);
	dpdb_bind_text(q, 4, st->approved_by);
	dpdb_bind_i64(q, 5, st->declassified_at);
	dpdb_bind_text(q, 6, st->held_by);
	dpdb_bind_i64(q, 7, st->held_at);
	dpdb_bind_text(q, 8, st->hold_reason);
	dpdb_bind_text(q, 9, st->destroyed_by);
	dpdb_bind_i64(q, 10, st->destroyed_at);
	dpdb_bind_i64(q, 11, now);
	dpdb_bind_text(q, 12, st->destroy_proposed_by);
	dpdb_bind_i64(q, 13, st->destroy_proposed_at);
	dpdb_bind_text(q, 14, st->destroy_detail);
	return dpdb_run(q);
}

int dps_records_count(dps_store *s, int64_t *n)
{
	return dps_int(dpdb_prepare(s->db, "SELECT count(*) FROM records_state"), 0, n);
}

int dps_records_same(const dp_records_state *a, const dp_records_state *b)
{
	return !strcmp(a->proposed_by, b->proposed_by) && a->proposed_at == b->proposed_at &&
	       !strcmp(a->approved_by, b->approved_by) && a->declassified_at == b->declassified_at &&
	       !strcmp(a->held_by, b->held_by) && a->held_at == b->held_at &&
	       !strcmp(a->hold_reason, b->hold_reason) && !strcmp(a->destroyed_by, b->destroyed_by) &&
	       a->destroyed_at == b->destroyed_at &&
	       !strcmp(a->destroy_proposed_by, b->destroy_proposed_by) &&
	       a->destroy_proposed_at == b->destroy_proposed_at &&
	       !strcmp(a->destroy_detail, b->destroy_detail);
}

int dps_records_log_add(dps_store *s, const uint8_t id[DP_CABLE_ID], int64_t idx, int act)
{
	if (!s->in_txn)
		return DP_EINVAL;
	dpdb_stmt *q = dpdb_prepare(s->db, "INSERT INTO records_log(cable_id,idx,act) VALUES(?1,?2,?3)");
	dpdb_bind_blob(q, 1, id, DP_CABLE_ID);
	dpdb_bind_i64(q, 2, idx);
	dpdb_bind_i64(q, 3, act);
	return dpdb_run(q);
}

struct log_each {
	int64_t *idx;
	size_t n, max;
};

static int log_row(dpdb_stmt *q, void *ctx)
{
	struct log_each *x = ctx;
	if (x->n < x->max)
		x->idx[x->n++] = dpdb_col_i64(q, 0);
	return DP_OK;
}

static int by_idx(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int dps_records_log_each(dps_store *s, const uint8_t id[DP_CABLE_ID], size_t max,
			 int (*cb)(void *ctx, int64_t idx), void *ctx)
{
	struct log_each x = {calloc(max ? max : 1, sizeof(int64_t)), 0, max};
	if (!x.idx)
		return DP_ENOMEM;
	/* the decisions first, then the newest reads and exports: the first max of them */
	dpdb_stmt *q = dpdb_prepare(s->db, "SELECT idx FROM records_log WHERE cable_id=?1 ORDER BY "
					   "CASE WHEN act IN (?2,?3) THEN 1 ELSE 0 END, idx DESC LIMIT ?4");
	dpdb_bind_blob(q, 1, id, DP_CABLE_ID);
	dpdb_bind_i64(q, 2, DP_REC_READ);
	dpdb_bind_i64(q, 3, DP_REC_EXPORT);
	dpdb_bind_i64(q, 4, (int64_t)max);
	int r = dps_rows(q, log_row, &x);
	if (!r)
		qsort(x.idx, x.n, sizeof *x.idx, by_idx);
	for (size_t i = 0; !r && i < x.n; i++)
		r = cb(ctx, x.idx[i]);
	free(x.idx);
	return r;
}

struct changes_each {
	int (*cb)(void *ctx, const uint8_t id[DP_CABLE_ID], const char *mrn, int64_t idx);
	void *ctx;
};

static int change_row(dpdb_stmt *q, void *ctx)
{
	struct changes_each *x = ctx;
	size_t n = 0;
	const uint8_t *id = dpdb_col_blob(q, 0, &n);
	char mrn[DPS_MRN_MAX + 1];
	dps_col_text(q, 1, mrn, sizeof mrn);
	return n == DP_CABLE_ID ? x->cb(x->ctx, id, mrn, dpdb_col_i64(q, 2)) : DP_EIO;
}

/*
 * The changes after `after` of the cables one device received, by the acts'
 * log indices (records_log_idx), each act's cable then its delivery row by
 * key: never a scan of the deliveries, which a partial index cannot serve
 * (SQLite would otherwise read them all to find the device's).
 */
static const dps_hinted sql_changes = DPS_SQL_HINTED(
	"SELECT l.cable_id, c.mrn, max(l.idx) AS m FROM records_log l", "records_log_idx",
	"CROSS JOIN cables c CROSS JOIN deliveries d WHERE c.cable_id = l.cable_id AND d.seq = c.seq "
	"AND d.device = ?2 AND l.idx > ?1 AND l.act IN (?3,?4,?5,?6,?7) "
	"GROUP BY l.cable_id, c.mrn ORDER BY m LIMIT ?8");

int dps_records_changes(dps_store *s, const uint8_t device[32], int64_t after, size_t max,
			int (*cb)(void *ctx, const uint8_t id[DP_CABLE_ID], const char *mrn, int64_t idx),
			void *ctx)
{
	struct changes_each x = {cb, ctx};
	dpdb_stmt *q = dps_sql(s, &sql_changes);
	dpdb_bind_i64(q, 1, after);
	dpdb_bind_blob(q, 2, device, 32);
	dpdb_bind_i64(q, 3, DP_REC_PROPOSE);
	dpdb_bind_i64(q, 4, DP_REC_APPROVE);
	dpdb_bind_i64(q, 5, DP_REC_HOLD);
	dpdb_bind_i64(q, 6, DP_REC_RELEASE);
	dpdb_bind_i64(q, 7, DP_REC_DESTROY);
	dpdb_bind_i64(q, 8, (int64_t)max);
	return dps_rows(q, change_row, &x);
}
