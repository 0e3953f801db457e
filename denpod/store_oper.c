/*
 * denpod/store_oper.c - the console's operators (store.h): a name and an
 * Argon2id hash each, table operators (added to an older database when
 * it is first opened, store.c).
 */
#include <string.h>

#include "denpod/store_impl.h"

static int operator_row(dpdb_stmt *st, void *ctx)
{
	dps_operator *o = ctx;
	memset(o, 0, sizeof *o);
	dps_col_text(st, 0, o->name, sizeof o->name);
	dps_col_text(st, 1, o->hash, sizeof o->hash);
	o->created = dpdb_col_i64(st, 2);
	o->changed = dpdb_col_i64(st, 3);
	return DP_OK;
}

int dps_operator_get(dps_store *s, const char *name, dps_operator *o)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT name,hash,created,changed FROM operators WHERE name=?1");
	dpdb_bind_text(st, 1, name);
	return dps_row1(st, operator_row, o);
}

int dps_operator_put(dps_store *s, const dps_operator *o, int create)
{
	dpdb_stmt *st;
	if (create) {
		st = dpdb_prepare(s->db, "INSERT INTO operators(name,hash,created,changed) "
					 "VALUES(?1,?2,?3,?4) ON CONFLICT(name) DO NOTHING");
		dpdb_bind_text(st, 1, o->name);
		dpdb_bind_text(st, 2, o->hash);
		dpdb_bind_i64(st, 3, o->created);
		dpdb_bind_i64(st, 4, o->changed);
	} else {
		st = dpdb_prepare(s->db, "UPDATE operators SET hash=?2,changed=?3 WHERE name=?1");
		dpdb_bind_text(st, 1, o->name);
		dpdb_bind_text(st, 2, o->hash);
		dpdb_bind_i64(st, 3, o->changed);
	}
	int r = dpdb_run(st);
	if (!r && dpdb_changes(s->db) == 0)
		r = create ? DP_EEXISTS : DP_ENOTFOUND;
	return r;
}

int dps_operator_del(dps_store *s, const char *name)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "DELETE FROM operators WHERE name=?1");
	dpdb_bind_text(st, 1, name);
	int r = dpdb_run(st);
	if (!r && dpdb_changes(s->db) == 0)
		r = DP_ENOTFOUND;
	return r;
}

struct each {
	int (*cb)(void *ctx, const dps_operator *o);
	void *ctx;
};

static int operator_each(dpdb_stmt *st, void *ctx)
{
	struct each *x = ctx;
	dps_operator o;
	operator_row(st, &o);
	return x->cb(x->ctx, &o);
}

int dps_operator_list(dps_store *s, int (*cb)(void *ctx, const dps_operator *o), void *ctx)
{
	struct each x = {cb, ctx};
	return dps_rows(dpdb_prepare(s->db, "SELECT name,hash,created,changed FROM operators ORDER BY name"),
			operator_each, &x);
}
