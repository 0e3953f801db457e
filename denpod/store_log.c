/*
 * denpod/store_log.c - the transparency log's tables (denpod/tlog.h):
 * entries appended in the writer's transaction with gap-free indices,
 * hash tiles, signed checkpoints, devices' cosignatures, and the
 * rollbacks and the witness resets after them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denpo/tlog.h"
#include "denpod/store_impl.h"

static const char sql_log_max[] = "SELECT max(idx) FROM log_entries";

int dps_log_next(dps_store *s, uint64_t *idx)
{
	if (!s->in_txn)
		return DP_EINVAL;
	if (s->log_next < 0) {
		/* once per transaction: the write transaction holds the lock, so nobody appends meanwhile */
		int64_t max;
		int r = dps_int(dpdb_prepare(s->db, sql_log_max), -1, &max);
		if (r)
			return r;
		s->log_next = max + 1;
	}
	*idx = (uint64_t)s->log_next;
	return DP_OK;
}

int dps_log_append(dps_store *s, const uint8_t *e, size_t len, uint64_t *idx)
{
	if (len == 0 || len > DP_TLOG_ENTRY_MAX)
		return DP_ETOOBIG;
	uint64_t i;
	int r = dps_log_next(s, &i);
	if (r)
		return r;
	dpdb_stmt *st = dpdb_prepare(s->db, "INSERT INTO log_entries(idx,data) VALUES(?1,?2)");
	dpdb_bind_i64(st, 1, (int64_t)i);
	dpdb_bind_blob(st, 2, e, len);
	r = dpdb_run(st);
	if (r)
		return r == DP_EEXISTS ? DP_ESTORE : r; /* a taken index: another writer broke the rule */
	s->log_next++;
	if (idx)
		*idx = i;
	return DP_OK;
}

int dps_log_size(dps_store *s, uint64_t *size)
{
	int64_t max;
	int r = dps_int(dpdb_prepare(s->db, sql_log_max), -1, &max);
	if (!r)
		*size = (uint64_t)(max + 1);
	return r;
}

struct entries {
	uint64_t want;
	int (*cb)(void *ctx, uint64_t idx, const uint8_t *e, size_t len);
	void *ctx;
};

static int entry_row(dpdb_stmt *st, void *ctx)
{
	struct entries *x = ctx;
	uint64_t i = (uint64_t)dpdb_col_i64(st, 0);
	size_t n;
	const uint8_t *p = dpdb_col_blob(st, 1, &n);
	if (i != x->want || !p || n == 0) {
		fprintf(stderr, "denpod: store: log entry %llu is %s; the database is damaged\n",
			(unsigned long long)x->want, i != x->want ? "missing" : "empty");
		return DP_ESTORE;
	}
	x->want++;
	return x->cb(x->ctx, i, p, n);
}

int dps_log_entries(dps_store *s, uint64_t from, uint64_t count,
		    int (*cb)(void *ctx, uint64_t idx, const uint8_t *e, size_t len), void *ctx)
{
	if (from > INT64_MAX)
		return DP_OK;
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT idx,data FROM log_entries WHERE idx>=?1 ORDER BY idx "
					    "LIMIT ?2");
	dpdb_bind_i64(st, 1, (int64_t)from);
	dps_bind_limit(st, 2, count);
	struct entries x = {from, cb, ctx};
	return dps_rows(st, entry_row, &x);
}

struct tile {
	unsigned width;
	uint8_t *out;
};

static int tile_row(dpdb_stmt *st, void *ctx)
{
	struct tile *t = ctx;
	size_t len;
	const uint8_t *p = dpdb_col_blob(st, 0, &len);
	/* a prefix of the stored (possibly growing) tile */
	if (!p || len < (size_t)t->width * 32 || len % 32 != 0 || len > 256 * 32)
		return DP_ENOTFOUND;
	memcpy(t->out, p, (size_t)t->width * 32);
	return DP_OK;
}

int dps_log_tile(dps_store *s, unsigned tlevel, uint64_t n, unsigned width, uint8_t *out)
{
	if (width < 1 || width > 256 || n > INT64_MAX)
		return DP_EINVAL;
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT data FROM log_tiles WHERE level=?1 AND n=?2");
	dpdb_bind_i64(st, 1, tlevel);
	dpdb_bind_i64(st, 2, (int64_t)n);
	struct tile t = {width, out};
	return dps_row1(st, tile_row, &t);
}

int dps_log_tile_put(dps_store *s, unsigned tlevel, uint64_t n, const uint8_t *h, unsigned width)
{
	if (!s->in_txn || width < 1 || width > 256 || n > INT64_MAX)
		return DP_EINVAL;
	dpdb_stmt *st = dpdb_prepare(s->db, "INSERT INTO log_tiles(level,n,data) VALUES(?1,?2,?3) "
					    "ON CONFLICT(level,n) DO UPDATE SET data=excluded.data");
	dpdb_bind_i64(st, 1, tlevel);
	dpdb_bind_i64(st, 2, (int64_t)n);
	dpdb_bind_blob(st, 3, h, (size_t)width * 32);
	return dpdb_run(st);
}

struct tiles {
	int (*cb)(void *ctx, unsigned tlevel, uint64_t n, unsigned width);
	void *ctx;
};

static int tiles_row(dpdb_stmt *st, void *ctx)
{
	struct tiles *x = ctx;
	int64_t len = dpdb_col_i64(st, 2);
	/* a width the caller can trust: anything else is reported as damage */
	unsigned w = len > 0 && len <= 256 * 32 && len % 32 == 0 ? (unsigned)(len / 32) : 0;
	return x->cb(x->ctx, (unsigned)dpdb_col_i64(st, 0), (uint64_t)dpdb_col_i64(st, 1), w);
}

int dps_log_tiles(dps_store *s, int (*cb)(void *ctx, unsigned tlevel, uint64_t n, unsigned width),
		  void *ctx)
{
	struct tiles x = {cb, ctx};
	return dps_rows(dpdb_prepare(s->db, "SELECT level,n,length(data) FROM log_tiles ORDER BY level,n"),
			tiles_row, &x);
}

/* Columns size, root, t, note. */
static int checkpoint_row(dpdb_stmt *st, void *ctx)
{
	dps_checkpoint *c = ctx;
	memset(c, 0, sizeof *c);
	c->size = (uint64_t)dpdb_col_i64(st, 0);
	size_t rn;
	const uint8_t *root = dpdb_col_blob(st, 1, &rn);
	const char *note = dpdb_col_text(st, 3);
	size_t n = note ? strlen(note) : 0;
	if (!root || rn != 32 || !note || n == 0 || n > DPS_NOTE_MAX) {
		fprintf(stderr, "denpod: store: the log checkpoint of size %llu is malformed; the "
				"database is damaged\n", (unsigned long long)c->size);
		return DP_ESTORE;
	}
	memcpy(c->root, root, 32);
	c->t = dpdb_col_i64(st, 2);
	memcpy(c->note, note, n);
	c->note[n] = 0;
	c->note_len = n;
	return DP_OK;
}

#define CP_COLS "size,root,t,note"

static int checkpoint_at(dps_store *s, uint64_t size, dps_checkpoint *c)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT " CP_COLS " FROM log_checkpoints WHERE size=?1");
	dpdb_bind_i64(st, 1, (int64_t)size);
	return dps_row1(st, checkpoint_row, c);
}

int dps_log_checkpoint_put(dps_store *s, const dps_checkpoint *c)
{
	if (!s->in_txn || c->size > INT64_MAX || c->note_len == 0 || c->note_len > DPS_NOTE_MAX)
		return DP_EINVAL;
	dps_checkpoint old;
	int r = checkpoint_at(s, c->size, &old);
	if (r == DP_OK)
		return memcmp(old.root, c->root, 32) == 0 ? DP_OK : DP_EEXISTS;
	if (r != DP_ENOTFOUND)
		return r;
	char note[DPS_NOTE_MAX + 1];
	memcpy(note, c->note, c->note_len);
	note[c->note_len] = 0;
	dpdb_stmt *st = dpdb_prepare(s->db, "INSERT INTO log_checkpoints(" CP_COLS ") VALUES(?1,?2,?3,?4)");
	dpdb_bind_i64(st, 1, (int64_t)c->size);
	dpdb_bind_blob(st, 2, c->root, 32);
	dpdb_bind_i64(st, 3, c->t);
	dpdb_bind_text(st, 4, note);
	return dpdb_run(st);
}

int dps_log_latest(dps_store *s, dps_checkpoint *c)
{
	return dps_row1(dpdb_prepare(s->db, "SELECT " CP_COLS " FROM log_checkpoints ORDER BY size "
					    "DESC LIMIT 1"),
			checkpoint_row, c);
}

int dps_log_checkpoint_next(dps_store *s, int64_t after, dps_checkpoint *c)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT " CP_COLS " FROM log_checkpoints WHERE size>?1 "
					    "ORDER BY size LIMIT 1");
	dpdb_bind_i64(st, 1, after);
	return dps_row1(st, checkpoint_row, c);
}

int dps_log_cosig_put(dps_store *s, uint64_t size, const uint8_t device[32], int64_t ts,
		      const char *line)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "INSERT INTO log_cosigs(size,device,ts,line) "
					    "VALUES(?1,?2,?3,?4) ON CONFLICT DO NOTHING");
	dpdb_bind_i64(st, 1, (int64_t)size);
	dpdb_bind_blob(st, 2, device, 32);
	dpdb_bind_i64(st, 3, ts);
	dpdb_bind_text(st, 4, line);
	return dpdb_run(st);
}

int dps_log_rollback_add(dps_store *s, uint64_t idx)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "INSERT INTO log_rollbacks(idx) VALUES(?1) "
					    "ON CONFLICT DO NOTHING");
	dpdb_bind_i64(st, 1, (int64_t)idx);
	return dpdb_run(st);
}

static int rollback_row(dpdb_stmt *st, void *ctx)
{
	struct entries *x = ctx;
	size_t n;
	const uint8_t *p = dpdb_col_blob(st, 1, &n);
	return p && n ? x->cb(x->ctx, (uint64_t)dpdb_col_i64(st, 0), p, n) : DP_OK;
}

int dps_log_rollbacks(dps_store *s, uint64_t below, size_t max,
		      int (*cb)(void *ctx, uint64_t idx, const uint8_t *e, size_t len), void *ctx)
{
	/* the newest max, handed out oldest first */
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT idx, data FROM (SELECT r.idx AS idx, e.data AS data "
					    "FROM log_rollbacks r JOIN log_entries e ON e.idx=r.idx "
					    "WHERE r.idx<?1 ORDER BY r.idx DESC LIMIT ?2) AS newest "
					    "ORDER BY idx");
	dpdb_bind_i64(st, 1, below > INT64_MAX ? INT64_MAX : (int64_t)below);
	dps_bind_limit(st, 2, max);
	struct entries x = {0, cb, ctx};
	return dps_rows(st, rollback_row, &x);
}

int dps_log_recovery_get(dps_store *s, uint64_t rollback, const uint8_t device[32], int64_t *idx)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT idx FROM log_recoveries WHERE rollback=?1 AND "
					    "device=?2");
	dpdb_bind_i64(st, 1, (int64_t)rollback);
	dpdb_bind_blob(st, 2, device, 32);
	return dps_int(st, -1, idx);
}

int dps_log_recovery_put(dps_store *s, uint64_t rollback, const uint8_t device[32], uint64_t size,
			 uint64_t idx)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "INSERT INTO log_recoveries(rollback,device,size,idx) "
					    "VALUES(?1,?2,?3,?4)");
	dpdb_bind_i64(st, 1, (int64_t)rollback);
	dpdb_bind_blob(st, 2, device, 32);
	dpdb_bind_i64(st, 3, (int64_t)size);
	dpdb_bind_i64(st, 4, (int64_t)idx);
	return dpdb_run(st);
}

struct lines {
	int (*cb)(void *ctx, const char *line);
	void *ctx;
};

static int line_row(dpdb_stmt *st, void *ctx)
{
	struct lines *x = ctx;
	return x->cb(x->ctx, dpdb_col_text(st, 0));
}

int dps_log_cosigs(dps_store *s, uint64_t size, size_t max,
		   int (*cb)(void *ctx, const char *line), void *ctx)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT line FROM log_cosigs WHERE size=?1 "
					    "ORDER BY ts DESC, device LIMIT ?2");
	dpdb_bind_i64(st, 1, (int64_t)size);
	dps_bind_limit(st, 2, max);
	struct lines x = {cb, ctx};
	return dps_rows(st, line_row, &x);
}

struct heads {
	int (*cb)(void *ctx, const uint8_t device[32], uint64_t size);
	void *ctx;
};

static int head_row(dpdb_stmt *st, void *ctx)
{
	struct heads *x = ctx;
	size_t n = 0;
	const uint8_t *dev = dpdb_col_blob(st, 0, &n);
	int64_t size = dpdb_col_i64(st, 1);
	if (!dev || n != 32 || size < 0)
		return DP_OK; /* not a device's row: `denpod check` reports the damage */
	return x->cb(x->ctx, dev, (uint64_t)size);
}

int dps_log_cosig_heads(dps_store *s, int (*cb)(void *ctx, const uint8_t device[32], uint64_t size),
			void *ctx)
{
	struct heads x = {cb, ctx};
	return dps_rows(dpdb_prepare(s->db, "SELECT device, max(size) FROM log_cosigs GROUP BY device"),
			head_row, &x);
}

int dps_log_witnessed(dps_store *s, unsigned min, uint64_t at_most, dps_checkpoint *c)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT size FROM log_cosigs WHERE size<=?1 GROUP BY size "
					    "HAVING count(*)>=?2 ORDER BY size DESC LIMIT 1");
	dpdb_bind_i64(st, 1, at_most > INT64_MAX ? INT64_MAX : (int64_t)at_most);
	dpdb_bind_i64(st, 2, min);
	int64_t size;
	int r = dps_int(st, -1, &size);
	if (!r && size < 0)
		r = DP_ENOTFOUND;
	if (!r)
		r = dps_log_checkpoint_next(s, size - 1, c);
	if (!r && (int64_t)c->size != size)
		r = DP_ENOTFOUND;
	return r;
}

int dps_log_lease(dps_store *s, const char *holder, int64_t ms, int *held)
{
	*held = 1;
	if (dpdb_kind(s->db) != DPDB_PG)
		return DP_OK;
	/* the database's clock: every instance judges the expiry by the same one */
	dpdb_stmt *st = dpdb_prepare(s->db,
		"UPDATE log_lease SET holder=?1, "
		"expires=CAST(EXTRACT(EPOCH FROM clock_timestamp())*1000 AS BIGINT)+CAST(?2 AS BIGINT) "
		"WHERE id=1 AND (holder=?1 OR expires < CAST(EXTRACT(EPOCH FROM clock_timestamp())*1000 AS BIGINT))");
	dpdb_bind_text(st, 1, holder);
	dpdb_bind_i64(st, 2, ms);
	int r = dpdb_run(st);
	*held = r == DP_OK && dpdb_changes(s->db) == 1;
	return r;
}

int dps_log_lease_release(dps_store *s, const char *holder)
{
	if (dpdb_kind(s->db) != DPDB_PG)
		return DP_OK;
	dpdb_stmt *st = dpdb_prepare(s->db, "UPDATE log_lease SET expires=0 WHERE id=1 AND holder=?1");
	dpdb_bind_text(st, 1, holder);
	return dpdb_run(st);
}

int dps_log_latest_durable(dps_store *s, dps_checkpoint *c)
{
	if (s->in_txn)
		return DP_EINVAL;
	if (dpdb_kind(s->db) != DPDB_PG)
		return dps_log_latest(s, c);
	/*
	 * One statement, so one connection and one snapshot: the checkpoint it
	 * returns is one its own commit covers.  PostgreSQL 15 (xact.c
	 * RecordTransactionCommit) waits for the synchronous standby
	 * (SyncRepWaitForLSN, up to the end of the commit record) only for a
	 * transaction that has an xid and wrote WAL, and only under
	 * synchronous_commit > local: a transactional message assigns the xid and
	 * writes the WAL (pg_current_xact_id() alone would not wait), and
	 * set_config(..., true) raises the setting for this statement's implicit
	 * transaction only, over the log connection's `off` (dps_relax_sync), as
	 * far as `on`, which is what a promotion needs.  The function calls sit in
	 * a subquery of their own (volatile: never pulled up, evaluated once), not
	 * in the select list, where a plan could evaluate them for every row.
	 * Nothing is stored: a message is WAL only, read by no one unless a
	 * logical decoding slot asks for prefix "denpo".  No checkpoint: no
	 * barrier either (nothing to keep).
	 */
	unsigned w = dpdb_warnings(s->db);
	int r = dps_row1(dpdb_prepare(s->db, "SELECT c.size,c.root,c.t,c.note FROM (SELECT " CP_COLS
					     " FROM log_checkpoints ORDER BY size DESC LIMIT 1) c CROSS JOIN "
					     "(SELECT set_config('synchronous_commit', 'on', true) AS a, "
					     "pg_logical_emit_message(true, 'denpo', 'durable barrier') AS b) d"),
			 checkpoint_row, c);
	/*
	 * A wait for the standby that was cancelled (pg_cancel_backend, or a
	 * shutdown) ends the commit with a WARNING only, committed here but not
	 * known on the standby: nothing is known durable then.
	 */
	if (!r && dpdb_warnings(s->db) != w) {
		fprintf(stderr, "denpod: log: the wait for the synchronous standby was cut short; the "
				"latest checkpoint is not served until a failover is known to keep it\n");
		return DP_ESTORE;
	}
	return r;
}

/* ---- the officer index (store.h dps_offidx_*) ---- */

#define OFFIDX_META "officer_index"

int dps_offidx_put(dps_store *s, const char *officer, const uint8_t *text, size_t len)
{
	if (!s->in_txn)
		return DP_EINVAL;
	dpdb_stmt *st = dpdb_prepare(s->db, "INSERT INTO officer_index(officer,record) VALUES(?1,?2) "
					    "ON CONFLICT(officer) DO UPDATE SET record=excluded.record");
	dpdb_bind_text(st, 1, officer);
	dpdb_bind_blob(st, 2, text, len);
	return dpdb_run(st);
}

int dps_offidx_clear(dps_store *s)
{
	if (!s->in_txn)
		return DP_EINVAL;
	int r = dpdb_run(dpdb_prepare(s->db, "DELETE FROM officer_index"));
	if (!r)
		r = dpdb_run(dpdb_prepare(s->db, "DELETE FROM meta WHERE k='" OFFIDX_META "'"));
	return r;
}

struct offidx_rows {
	int (*cb)(void *ctx, const char *officer, const uint8_t *text, size_t len);
	void *ctx;
};

static int offidx_row(dpdb_stmt *st, void *ctx)
{
	struct offidx_rows *x = ctx;
	size_t n = 0;
	const char *o = dpdb_col_text(st, 0);
	const uint8_t *p = dpdb_col_blob(st, 1, &n);
	return x->cb(x->ctx, o ? o : "", p ? p : (const uint8_t *)"", p ? n : 0);
}

int dps_offidx_all(dps_store *s, int (*cb)(void *ctx, const char *officer, const uint8_t *text,
					   size_t len), void *ctx)
{
	struct offidx_rows x = {cb, ctx};
	return dps_rows(dpdb_prepare(s->db, "SELECT officer,record FROM officer_index ORDER BY officer"),
			offidx_row, &x);
}

int dps_offidx_size_get(dps_store *s, uint64_t *size)
{
	char v[32];
	int r = dps_meta_get(s, OFFIDX_META, v, sizeof v);
	if (r)
		return r;
	if (!v[0])
		return DP_ENOTFOUND;
	char *end;
	unsigned long long n = strtoull(v, &end, 10);
	if (*end || end == v)
		return DP_ENOTFOUND; /* damaged: the index is replayed, never trusted */
	*size = n;
	return DP_OK;
}

int dps_offidx_size_put(dps_store *s, uint64_t size)
{
	char v[32];
	if (!s->in_txn)
		return DP_EINVAL;
	snprintf(v, sizeof v, "%llu", (unsigned long long)size);
	return dps_meta_put(s, OFFIDX_META, v);
}

static int offidx_get_row(dpdb_stmt *st, void *ctx)
{
	size_t n = 0;
	const uint8_t *p = dpdb_col_blob(st, 0, &n);
	return p ? dp_buf_append(ctx, p, n) : DP_ESTORE;
}

int dps_offidx_get(dps_store *s, const char *officer, dp_buf *out)
{
	dp_buf_reset(out);
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT record FROM officer_index WHERE officer=?1");
	dpdb_bind_text(st, 1, officer);
	return dps_row1(st, offidx_get_row, out);
}
