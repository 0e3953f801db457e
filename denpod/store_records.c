/*
 * denpod/store_records.c - the archive's state of each record copy
 * (store.h dps_records_*; table records_state, store.c).
 */
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
	return DP_OK;
}

int dps_records_get(dps_store *s, const uint8_t id[DP_CABLE_ID], dp_records_state *st)
{
	memset(st, 0, sizeof *st);
	dpdb_stmt *q = dpdb_prepare(s->db, "SELECT proposed_by,proposed_at,approved_by,declassified_at,"
					   "held_by,held_at,hold_reason,destroyed_by,destroyed_at "
					   "FROM records_state WHERE cable_id=?1");
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
		       "declassified_at,held_by,held_at,hold_reason,destroyed_by,destroyed_at,changed) "
		       "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11) ON CONFLICT(cable_id) DO UPDATE SET "
		       "proposed_by=excluded.proposed_by,proposed_at=excluded.proposed_at,"
		       "approved_by=excluded.approved_by,declassified_at=excluded.declassified_at,"
		       "held_by=excluded.held_by,held_at=excluded.held_at,hold_reason=excluded.hold_reason,"
		       "destroyed_by=excluded.destroyed_by,destroyed_at=excluded.destroyed_at,"
		       "changed=excluded.changed");
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
	       a->destroyed_at == b->destroyed_at;
}
