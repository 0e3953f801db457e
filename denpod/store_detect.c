/*
 * denpod/store_detect.c - what detection keeps (docs/detection.md):
 * containment steps, two-operator approvals, decoy cables, and the devices
 * detection follows (with their officers' roles: policy decides what a
 * role means, denpod/policy.h).
 */
#include <stdio.h>
#include <string.h>

#include "denpod/store_impl.h"

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

/* ---- containment steps ---- */

#define CONTAIN_COLS "id,device,kind,rule,created,until,state,operator,ended,alert_log,detail"

static int contain_row(dpdb_stmt *st, void *ctx)
{
	dps_containment *c = ctx;
	memset(c, 0, sizeof *c);
	c->id = dpdb_col_i64(st, 0);
	dps_col_blob(st, 1, c->device, 32);
	c->kind = (int)dpdb_col_i64(st, 2);
	dps_col_text(st, 3, c->rule, sizeof c->rule);
	c->created = dpdb_col_i64(st, 4);
	c->until = dpdb_col_i64(st, 5);
	c->state = (int)dpdb_col_i64(st, 6);
	dps_col_text(st, 7, c->operator_, sizeof c->operator_);
	c->ended = dpdb_col_i64(st, 8);
	c->alert_log = dps_col_i64_or_neg(st, 9);
	dps_col_text(st, 10, c->detail, sizeof c->detail);
	return DP_OK;
}

struct contain_each {
	int (*cb)(void *ctx, const dps_containment *c);
	void *ctx;
};

static int contain_each_row(dpdb_stmt *st, void *ctx)
{
	struct contain_each *x = ctx;
	dps_containment c;
	contain_row(st, &c);
	return x->cb(x->ctx, &c);
}

static int contain_query(dpdb_stmt *st, int (*cb)(void *ctx, const dps_containment *c), void *ctx)
{
	struct contain_each x = {cb, ctx};
	return dps_rows(st, contain_each_row, &x);
}

int dps_contain_add(dps_store *s, dps_containment *c)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "INSERT INTO containments(device,kind,rule,created,until,"
					    "state,operator,ended,alert_log,detail) VALUES(?1,?2,?3,?4,"
					    "?5,?6,?7,?8,?9,?10) RETURNING id");
	dpdb_bind_blob(st, 1, c->device, 32);
	dpdb_bind_i64(st, 2, c->kind);
	dpdb_bind_text(st, 3, c->rule);
	dpdb_bind_i64(st, 4, c->created);
	dpdb_bind_i64(st, 5, c->until);
	dpdb_bind_i64(st, 6, c->state);
	dpdb_bind_text(st, 7, c->operator_);
	dpdb_bind_i64(st, 8, c->ended);
	if (c->alert_log >= 0)
		dpdb_bind_i64(st, 9, c->alert_log);
	else
		dpdb_bind_null(st, 9);
	dpdb_bind_text(st, 10, c->detail);
	return dps_returning(st, &c->id);
}

int dps_contain_get(dps_store *s, int64_t id, dps_containment *c)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT " CONTAIN_COLS " FROM containments WHERE id=?1");
	dpdb_bind_i64(st, 1, id);
	return dps_row1(st, contain_row, c);
}

int dps_contain_open_for(dps_store *s, const uint8_t device[32], int kind, dps_containment *c)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT " CONTAIN_COLS " FROM containments WHERE device=?1 "
					    "AND kind=?2 AND state IN (0,1) ORDER BY id DESC LIMIT 1");
	dpdb_bind_blob(st, 1, device, 32);
	dpdb_bind_i64(st, 2, kind);
	return dps_row1(st, contain_row, c);
}

int dps_contain_list(dps_store *s, int open_only, size_t limit,
		     int (*cb)(void *ctx, const dps_containment *c), void *ctx)
{
	dpdb_stmt *st = dpdb_prepare(s->db, open_only ? "SELECT " CONTAIN_COLS " FROM containments "
							"WHERE state IN (0,1) ORDER BY id DESC LIMIT ?1"
						      : "SELECT " CONTAIN_COLS " FROM containments "
							"ORDER BY id DESC LIMIT ?1");
	dps_bind_limit(st, 1, limit);
	return contain_query(st, cb, ctx);
}

int dps_contain_due(dps_store *s, int64_t now, int (*cb)(void *ctx, const dps_containment *c),
		    void *ctx)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT " CONTAIN_COLS " FROM containments WHERE state=0 "
					    "AND until>0 AND until<=?1 ORDER BY id");
	dpdb_bind_i64(st, 1, now);
	return contain_query(st, cb, ctx);
}

int dps_contain_any_due(dps_store *s, int64_t now, int *yes)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT 1 FROM containments WHERE state=0 AND until>0 AND "
					    "until<=?1 LIMIT 1");
	dpdb_bind_i64(st, 1, now);
	int r = dps_row1(st, NULL, NULL);
	*yes = r == DP_OK;
	return r == DP_ENOTFOUND ? DP_OK : r;
}

int dps_contain_set(dps_store *s, int64_t id, int state, const char *op, int64_t ended,
		    int64_t until)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "UPDATE containments SET state=?1,operator=?2,ended=?3,"
					    "until=?4 WHERE id=?5");
	dpdb_bind_i64(st, 1, state);
	dpdb_bind_text(st, 2, op ? op : "");
	dpdb_bind_i64(st, 3, ended);
	dpdb_bind_i64(st, 4, until);
	dpdb_bind_i64(st, 5, id);
	int r = dpdb_run(st);
	if (!r && dpdb_changes(s->db) == 0)
		r = DP_ENOTFOUND;
	return r;
}

/* ---- two-operator acts ---- */

static int approval_row(dpdb_stmt *st, void *ctx)
{
	dps_approval *a = ctx;
	memset(a, 0, sizeof *a);
	a->id = dpdb_col_i64(st, 0);
	dps_col_text(st, 1, a->act, sizeof a->act);
	dps_col_text(st, 2, a->target, sizeof a->target);
	dps_col_text(st, 3, a->requested_by, sizeof a->requested_by);
	dps_col_text(st, 4, a->reason, sizeof a->reason);
	a->created = dpdb_col_i64(st, 5);
	a->expires = dpdb_col_i64(st, 6);
	a->state = (int)dpdb_col_i64(st, 7);
	return DP_OK;
}

int dps_approval_pending(dps_store *s, const char *act, const char *target, int64_t now,
			 dps_approval *a)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT id,act,target,requested_by,reason,created,expires,"
					    "state FROM approvals WHERE act=?1 AND target=?2 AND "
					    "state=0 ORDER BY id DESC LIMIT 1");
	dpdb_bind_text(st, 1, act);
	dpdb_bind_text(st, 2, target);
	int r = dps_row1(st, approval_row, a);
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
	dpdb_stmt *st = dpdb_prepare(s->db, "INSERT INTO approvals(act,target,requested_by,reason,"
					    "created,expires,state) VALUES(?1,?2,?3,?4,?5,?6,0) "
					    "RETURNING id");
	dpdb_bind_text(st, 1, a->act);
	dpdb_bind_text(st, 2, a->target);
	dpdb_bind_text(st, 3, a->requested_by);
	dpdb_bind_text(st, 4, a->reason);
	dpdb_bind_i64(st, 5, a->created);
	dpdb_bind_i64(st, 6, a->expires);
	return dps_returning(st, &a->id);
}

struct approvals {
	int (*cb)(void *ctx, const dps_approval *a);
	void *ctx;
};

static int approval_each(dpdb_stmt *st, void *ctx)
{
	struct approvals *x = ctx;
	dps_approval a;
	approval_row(st, &a);
	return x->cb(x->ctx, &a);
}

int dps_approval_list(dps_store *s, int64_t now, size_t limit,
		      int (*cb)(void *ctx, const dps_approval *a), void *ctx)
{
	struct approvals x = {cb, ctx};
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT id,act,target,requested_by,reason,created,expires,"
					    "state FROM approvals WHERE state=0 AND expires>?1 ORDER BY id "
					    "LIMIT ?2");
	dpdb_bind_i64(st, 1, now);
	dps_bind_limit(st, 2, limit);
	return dps_rows(st, approval_each, &x);
}

int dps_approval_close(dps_store *s, int64_t id, int state, const char *by, int64_t t)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "UPDATE approvals SET state=?1,closed_by=?2,closed=?3 "
					    "WHERE id=?4");
	dpdb_bind_i64(st, 1, state);
	dpdb_bind_text(st, 2, by);
	dpdb_bind_i64(st, 3, t);
	dpdb_bind_i64(st, 4, id);
	return dpdb_run(st);
}

/* ---- the devices detection follows, decoys ---- */

struct det_each {
	int (*cb)(void *ctx, const dps_det_device *d);
	void *ctx;
};

static int det_row(dpdb_stmt *st, void *ctx)
{
	struct det_each *x = ctx;
	dps_det_device d;
	char roles[DP_MAX_CAPTIONS * (DP_NAME_MAX + 1) + 1];
	memset(&d, 0, sizeof d);
	dps_col_blob(st, 0, d.id, 32);
	dps_col_text(st, 1, d.officer, sizeof d.officer);
	dps_col_text(st, 2, d.post, sizeof d.post);
	d.status = (int)dpdb_col_i64(st, 3);
	d.officer_status = (int)dpdb_col_i64(st, 4);
	dps_col_text(st, 5, roles, sizeof roles);
	if (dps_split_names(roles, d.roles, DP_MAX_CAPTIONS, &d.nroles))
		d.nroles = 0; /* never written that way (as dps_officer_get reads it) */
	return x->cb(x->ctx, &d);
}

int dps_det_devices(dps_store *s, int (*cb)(void *ctx, const dps_det_device *d), void *ctx)
{
	struct det_each x = {cb, ctx};
	return dps_rows(dpdb_prepare(s->db, "SELECT d.id,d.officer,o.post,d.status,o.status,o.roles "
					    "FROM devices d JOIN officers o ON o.handle=d.officer"),
			det_row, &x);
}

int dps_decoy_list(dps_store *s, size_t limit, int (*cb)(void *ctx, const dps_cable *c), void *ctx)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT " DPS_CABLE_COLS " FROM cables WHERE decoy=1 "
					    "ORDER BY seq DESC LIMIT ?1");
	dps_bind_limit(st, 1, limit);
	return dps_cable_rows(st, cb, ctx);
}

/* ---- detection across instances (store.h; PostgreSQL only) ---- */

int dps_shared(const dps_store *s)
{
	return dpdb_kind(s->db) == DPDB_PG;
}

enum { EV_REFETCH = 1, EV_QUEUED = 2, EV_FLASH = 4, EV_DECOY = 8 };

/* ids in commit order (store.h): the same lock for every instance's inserts, held to commit */
static const char sql_feed_lock[] = "SELECT pg_advisory_xact_lock(7342002)";

int dps_det_events_put(dps_store *s, int64_t inst, const int64_t *lseq, const dp_det_event *e,
		       size_t n)
{
	if (!dps_shared(s))
		return DP_EUNSUPP;
	if (s->in_txn || dpdb_in_txn(s->db))
		return DP_EINVAL;
	int r = dpdb_begin(s->db);
	if (r)
		return r;
	/* an event lost in a crash is one the other engines miss: not worth a disk flush */
	r = dpdb_exec(s->db, "SET LOCAL synchronous_commit TO OFF");
	/* on the loop thread: an instance that holds the lock and hangs (paused, cut off) must
	 * not stop the others' loops: their batch is given up after 200 ms (said; not shared) */
	if (!r)
		r = dpdb_exec(s->db, "SET LOCAL lock_timeout TO '200ms'");
	if (!r)
		r = dpdb_exec(s->db, sql_feed_lock);
	for (size_t i = 0; !r && i < n; i++) {
		dpdb_stmt *st = dpdb_prepare(s->db,
			"INSERT INTO det_events(inst,lseq,t_ms,kind,device,addr,cable_seq,cable_accepted,"
			"flags,subject) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)");
		dpdb_bind_i64(st, 1, inst);
		dpdb_bind_i64(st, 2, lseq[i]);
		dpdb_bind_i64(st, 3, e[i].t_ms);
		dpdb_bind_i64(st, 4, e[i].kind);
		dpdb_bind_blob(st, 5, e[i].device, 32);
		dpdb_bind_blob(st, 6, e[i].addr, 16);
		dpdb_bind_i64(st, 7, e[i].cable_seq);
		dpdb_bind_i64(st, 8, e[i].cable_accepted);
		dpdb_bind_i64(st, 9, (e[i].refetch ? EV_REFETCH : 0) | (e[i].queued ? EV_QUEUED : 0) |
					     (e[i].flash ? EV_FLASH : 0) | (e[i].decoy ? EV_DECOY : 0));
		if (e[i].kind == DP_DET_KEYREQ)
			dpdb_bind_blob(st, 10, e[i].subject, 32);
		else
			dpdb_bind_null(st, 10);
		r = dpdb_run(st);
	}
	char hex[17];
	snprintf(hex, sizeof hex, "%016llx", (unsigned long long)inst);
	if (!r)
		r = dps_notify(s, DPS_CHAN_DET, hex);
	if (!r)
		return dpdb_commit(s->db);
	dpdb_rollback(s->db);
	return r;
}

struct ev_rows {
	int (*cb)(void *ctx, int64_t id, int64_t inst, int64_t lseq, const dp_det_event *e);
	void *ctx;
};

static int ev_row(dpdb_stmt *st, void *ctx)
{
	struct ev_rows *x = ctx;
	dp_det_event e;
	memset(&e, 0, sizeof e);
	e.t_ms = dpdb_col_i64(st, 3);
	e.kind = (int)dpdb_col_i64(st, 4);
	dps_col_blob(st, 5, e.device, 32);
	dps_col_blob(st, 6, e.addr, 16);
	e.cable_seq = dpdb_col_i64(st, 7);
	e.cable_accepted = dpdb_col_i64(st, 8);
	int64_t f = dpdb_col_i64(st, 9);
	e.refetch = (f & EV_REFETCH) != 0;
	e.queued = (f & EV_QUEUED) != 0;
	e.flash = (f & EV_FLASH) != 0;
	e.decoy = (f & EV_DECOY) != 0;
	dps_col_blob(st, 10, e.subject, 32);
	return x->cb(x->ctx, dpdb_col_i64(st, 0), dpdb_col_i64(st, 1), dpdb_col_i64(st, 2), &e);
}

int dps_det_events_after(dps_store *s, int64_t after, size_t limit,
			 int (*cb)(void *ctx, int64_t id, int64_t inst, int64_t lseq,
				   const dp_det_event *e),
			 void *ctx)
{
	if (!dps_shared(s))
		return DP_EUNSUPP;
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT id,inst,lseq,t_ms,kind,device,addr,cable_seq,"
					    "cable_accepted,flags,subject FROM det_events WHERE id>?1 "
					    "ORDER BY id LIMIT ?2");
	dpdb_bind_i64(st, 1, after);
	dps_bind_limit(st, 2, limit);
	struct ev_rows x = {cb, ctx};
	return dps_rows(st, ev_row, &x);
}

int dps_det_events_last(dps_store *s, int64_t *id)
{
	if (!dps_shared(s))
		return DP_EUNSUPP;
	return dps_int(dpdb_prepare(s->db, "SELECT COALESCE(max(id),0) FROM det_events"), 0, id);
}

int dps_det_events_trim(dps_store *s, int64_t upto)
{
	if (!dps_shared(s))
		return DP_EUNSUPP;
	dpdb_stmt *st = dpdb_prepare(s->db, "DELETE FROM det_events WHERE id<=?1");
	dpdb_bind_i64(st, 1, upto);
	return dpdb_run(st);
}

struct claim_row {
	int64_t t_ms, inst, lseq;
};

static int claim_read(dpdb_stmt *st, void *ctx)
{
	struct claim_row *c = ctx;
	c->t_ms = dpdb_col_i64(st, 0);
	c->inst = dpdb_col_i64(st, 1);
	c->lseq = dpdb_col_i64(st, 2);
	return DP_OK;
}

int dps_det_claim(dps_store *s, const uint8_t device[32], const char *rule, int action,
		  int64_t t_ms, int64_t window_ms, int64_t inst, int64_t lseq, int *first)
{
	*first = 1;
	if (!dps_shared(s))
		return DP_OK;
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT t_ms,inst,lseq FROM det_alerts WHERE device=?1 "
					    "AND rule=?2 AND action=?3");
	dpdb_bind_blob(st, 1, device, 32);
	dpdb_bind_text(st, 2, rule);
	dpdb_bind_i64(st, 3, action);
	struct claim_row c;
	int r = dps_row1(st, claim_read, &c);
	if (r && r != DP_ENOTFOUND)
		return r;
	if (r == DP_OK) {
		int64_t apart = t_ms > c.t_ms ? t_ms - c.t_ms : c.t_ms - t_ms;
		if ((c.inst == inst && c.lseq == lseq) || apart < window_ms) {
			*first = 0;
			return DP_OK;
		}
	}
	st = dpdb_prepare(s->db, "INSERT INTO det_alerts(device,rule,action,t_ms,inst,lseq) "
				 "VALUES(?1,?2,?3,?4,?5,?6) ON CONFLICT(device,rule,action) DO UPDATE "
				 "SET t_ms=excluded.t_ms, inst=excluded.inst, lseq=excluded.lseq");
	dpdb_bind_blob(st, 1, device, 32);
	dpdb_bind_text(st, 2, rule);
	dpdb_bind_i64(st, 3, action);
	dpdb_bind_i64(st, 4, t_ms);
	dpdb_bind_i64(st, 5, inst);
	dpdb_bind_i64(st, 6, lseq);
	return dpdb_run(st);
}
