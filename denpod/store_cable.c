/*
 * denpod/store_cable.c - cables and their recipient rows: acceptance
 * (with its MRN, denpod/cable_rules.h), receipts, the inbox (the partial
 * index `queue` of a device's unacknowledged rows by precedence then
 * acceptance), sent lists, the archive, overdue copies and queue
 * statistics, and the reads and repairs of the damage checks.  A cable's
 * bytes (its body) are written and read by the few functions of "the
 * body" below, the one place that knows whether they are in a segment
 * (denpod/segment.h) or in the row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denpo/encoding.h"
#include "denpo/envelope.h"
#include "denpod/cable_rules.h"
#include "denpod/db_sqlite.h"
#include "denpod/say.h"
#include "denpod/store_impl.h"

#include <sqlite3.h>

#define RCPT_COLS "device,role,prec,delivered,acked,epoch"
#define CABLE_BY_ID "SELECT " DPS_CABLE_COLS ",digest,log_idx,decoy FROM cables WHERE cable_id=?1"

/* Columns i..i+10 of DPS_CABLE_COLS. */
void dps_cable_row(dpdb_stmt *st, int i, dps_cable *c)
{
	memset(c, 0, sizeof *c);
	c->seq = dpdb_col_i64(st, i);
	dps_col_blob(st, i + 1, c->cable_id, DP_CABLE_ID);
	dps_col_text(st, i + 2, c->mrn, sizeof c->mrn);
	dps_col_text(st, i + 3, c->from_post, sizeof c->from_post);
	dps_col_blob(st, i + 4, c->from_device, 32);
	dps_col_text(st, i + 5, c->officer, sizeof c->officer);
	c->classification = (int)dpdb_col_i64(st, i + 6);
	c->prec_action = (int)dpdb_col_i64(st, i + 7);
	c->prec_info = (int)dpdb_col_i64(st, i + 8);
	c->accepted = dpdb_col_i64(st, i + 9);
	c->size = (uint64_t)dpdb_col_i64(st, i + 10);
	c->log_idx = -1;
}

/* Columns i..i+5 of RCPT_COLS (a NULL receipt reads as 0: not yet). */
void dps_rcpt_row(dpdb_stmt *st, int i, dps_rcpt *r)
{
	dps_col_blob(st, i, r->device, 32);
	r->role = (int)dpdb_col_i64(st, i + 1);
	r->prec = (int)dpdb_col_i64(st, i + 2);
	r->delivered = dpdb_col_i64(st, i + 3);
	r->acked = dpdb_col_i64(st, i + 4);
	r->epoch = (uint32_t)dpdb_col_i64(st, i + 5);
	r->ack_log = -1;
}

struct cable_each {
	int (*cb)(void *ctx, const dps_cable *c);
	int (*cb2)(void *ctx, const dps_cable *c, const dps_rcpt *r);
	void *ctx;
};

static int cable_each_row(dpdb_stmt *st, void *ctx)
{
	struct cable_each *x = ctx;
	dps_cable c;
	dps_cable_row(st, 0, &c);
	if (!x->cb2)
		return x->cb(x->ctx, &c);
	dps_rcpt r;
	memset(&r, 0, sizeof r);
	dps_rcpt_row(st, DPS_CABLE_RCPT_COL, &r);
	return x->cb2(x->ctx, &c, &r);
}

int dps_cable_rows(dpdb_stmt *st, int (*cb)(void *ctx, const dps_cable *c), void *ctx)
{
	struct cable_each x = {cb, NULL, ctx};
	return dps_rows(st, cable_each_row, &x);
}

int dps_cable_rcpt_rows(dpdb_stmt *st, int (*cb)(void *ctx, const dps_cable *c, const dps_rcpt *r),
			void *ctx)
{
	struct cable_each x = {NULL, cb, ctx};
	return dps_rows(st, cable_each_row, &x);
}

/* ---- acceptance ---- */

/* The next value of post's counter for year, bumped in the caller's transaction (1 for the first). */
static int mrn_counter_next(dps_store *s, const char *post, int year, int64_t *num)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT next FROM mrn WHERE post=?1 AND year=?2");
	dpdb_bind_text(st, 1, post);
	dpdb_bind_i64(st, 2, year);
	int r = dps_int(st, -1, num);
	if (r)
		return r;
	if (*num < 0) {
		*num = 1;
		st = dpdb_prepare(s->db, "INSERT INTO mrn(post,year,next) VALUES(?1,?2,2)");
	} else {
		st = dpdb_prepare(s->db, "UPDATE mrn SET next=next+1 WHERE post=?1 AND year=?2");
	}
	dpdb_bind_text(st, 1, post);
	dpdb_bind_i64(st, 2, year);
	r = dpdb_run(st);
	if (!r)
		dpr_mrn_warn(post, year, *num); /* the one that reaches the warning is said */
	return r;
}

struct mrn_each {
	int (*cb)(void *ctx, const char *post, int64_t serial);
	void *ctx;
};

static int mrn_each_row(dpdb_stmt *st, void *ctx)
{
	struct mrn_each *x = ctx;
	const char *post = dpdb_col_text(st, 0);
	return x->cb(x->ctx, post ? post : "", dpdb_col_i64(st, 1) - 1);
}

int dps_mrn_serials(dps_store *s, int year, int64_t min,
		    int (*cb)(void *ctx, const char *post, int64_t serial), void *ctx)
{
	struct mrn_each x = {cb, ctx};
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT post, next FROM mrn WHERE year=?1 AND next>?2 "
					    "ORDER BY post");
	dpdb_bind_i64(st, 1, year);
	dpdb_bind_i64(st, 2, min);
	return dps_rows(st, mrn_each_row, &x);
}

/* A cable row with its digest, log index and decoy flag (CABLE_BY_ID). */
struct full {
	dps_cable *c;
	uint8_t digest[DP_SHA256];
};

static int full_row(dpdb_stmt *st, void *ctx)
{
	struct full *x = ctx;
	dps_cable_row(st, 0, x->c);
	dps_col_blob(st, 11, x->digest, sizeof x->digest);
	x->c->log_idx = dps_col_i64_or_neg(st, 12);
	x->c->decoy = (int)dpdb_col_i64(st, 13);
	return DP_OK;
}

static int cable_by_id(dps_store *s, const uint8_t id[DP_CABLE_ID], dps_cable *c,
		       uint8_t digest[DP_SHA256])
{
	struct full x = {c, {0}};
	dpdb_stmt *st = dpdb_prepare(s->db, CABLE_BY_ID);
	dpdb_bind_blob(st, 1, id, DP_CABLE_ID);
	int r = dps_row1(st, full_row, &x);
	if (!r && digest)
		memcpy(digest, x.digest, DP_SHA256);
	return r;
}

/*
 * ---- the body: the one place that knows where it lives ----
 *
 * A SQLite store appends it to a segment (denpod/segment.h) and its row
 * keeps seg and off (data empty); PostgreSQL keeps it in data (bytea, its
 * own storage), seg and off NULL.  A row of a SQLite database
 * made before the segments keeps its body in data (seg NULL): both read.
 */
#define BODY_COLS "data,seg,off,size" /* body_get's columns, in this order */

/*
 * Binds the body as parameters i (data), i+3 (seg), i+4 (off) of an
 * INSERT or UPDATE, appending it to a segment first (a SQLite store).
 */
static int body_bind(dps_store *s, dpdb_stmt *st, int i, const uint8_t *p, size_t n)
{
	if (!s->seg) {
		dpdb_bind_blob(st, i, p, n);
		dpdb_bind_null(st, i + 3);
		dpdb_bind_null(st, i + 4);
		return DP_OK;
	}
	int64_t seg, off;
	int r = dpseg_needs_place(s->seg) ? dps_segment_place(s) : DP_OK;
	if (!r)
		r = dpseg_append(s->seg, p, n, &seg, &off);
	if (r)
		return r;
	dpdb_bind_blob(st, i, (const uint8_t *)"", 0);
	dpdb_bind_i64(st, i + 3, seg);
	dpdb_bind_i64(st, i + 4, off);
	return DP_OK;
}

/* The body from BODY_COLS at column i of st's row into out (reset first). */
static int body_get(dps_store *s, dpdb_stmt *st, int i, dp_buf *out)
{
	dp_buf_reset(out);
	if (dpdb_col_null(st, i + 1)) {
		size_t n;
		const uint8_t *p = dpdb_col_blob(st, i, &n);
		return dp_buf_append(out, p, n);
	}
	/* DP_ESTATE: a segment's row in a database without segments */
	return dps_cable_body_at(s, dpdb_col_i64(st, i + 1), dpdb_col_i64(st, i + 2),
				 dpdb_col_i64(st, i + 3), out);
}

int dps_cable_body_at(dps_store *s, int64_t seg, int64_t off, int64_t size, dp_buf *out)
{
	if (!s->seg || size < 0)
		return DP_ESTATE;
	return dpseg_read(s->seg, seg, off, (size_t)size, out);
}

/*
 * A cable's delivery rows: ten to a statement (the cost per row of a
 * statement run, its bindings, and on PostgreSQL its round trip, paid once
 * for ten), the rest one to a statement.  Row i's parameters are ?(2+6i)
 * to ?(7+6i); ?1 is the cable's seq.
 */
#define DLV_ROWS 10
static const char sql_dlv_row[] = "INSERT INTO deliveries(seq,device,role,prec,due,epoch,delivered,"
				  "acked) VALUES(?1,?2,?3,?4,?5,?6,?7,?7)";
static const char sql_dlv_rows[] =
	"INSERT INTO deliveries(seq,device,role,prec,due,epoch,delivered,acked) VALUES"
	"(?1,?2,?3,?4,?5,?6,?7,?7),(?1,?8,?9,?10,?11,?12,?13,?13),"
	"(?1,?14,?15,?16,?17,?18,?19,?19),(?1,?20,?21,?22,?23,?24,?25,?25),"
	"(?1,?26,?27,?28,?29,?30,?31,?31),(?1,?32,?33,?34,?35,?36,?37,?37),"
	"(?1,?38,?39,?40,?41,?42,?43,?43),(?1,?44,?45,?46,?47,?48,?49,?49),"
	"(?1,?50,?51,?52,?53,?54,?55,?55),(?1,?56,?57,?58,?59,?60,?61,?61)";

/* Row parameters at..at+5 of a delivery row of sub (receipt 0: not yet delivered). */
static void bind_dlv(dpdb_stmt *st, int at, const dps_submit *sub, const dps_rcpt *rc,
		     int64_t receipt)
{
	dpdb_bind_blob(st, at, rc->device, 32);
	dpdb_bind_i64(st, at + 1, rc->role);
	dpdb_bind_i64(st, at + 2, rc->prec);
	dpdb_bind_i64(st, at + 3, dpr_due(sub->now, rc->prec));
	dpdb_bind_i64(st, at + 4, rc->epoch);
	if (receipt)
		dpdb_bind_i64(st, at + 5, receipt);
	else
		dpdb_bind_null(st, at + 5);
}

/* The cable and its recipient rows; a failure leaves the savepoint to undo them. */
static int cable_write(dps_store *s, dps_submit *sub)
{
	int year = dpr_mrn_year(sub->now);
	int64_t num = 0;
	int r = mrn_counter_next(s, sub->c.from_post, year, &num);
	if (!r)
		r = dpr_mrn(sub->mrn, year, sub->c.from_post, num);
	if (r)
		return r;
	sub->accepted = sub->now;

	dpdb_stmt *st = dpdb_prepare(s->db, "INSERT INTO cables(cable_id,mrn,from_post,from_device,"
					    "officer,classification,prec_action,prec_info,accepted,"
					    "size,digest,data,log_idx,decoy,seg,off) VALUES(?1,?2,?3,?4,?5,"
					    "?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16) RETURNING seq");
	dpdb_bind_blob(st, 1, sub->c.cable_id, DP_CABLE_ID);
	dpdb_bind_text(st, 2, sub->mrn);
	dpdb_bind_text(st, 3, sub->c.from_post);
	dpdb_bind_blob(st, 4, sub->c.from_device, 32);
	dpdb_bind_text(st, 5, sub->c.officer);
	dpdb_bind_i64(st, 6, sub->c.classification);
	dpdb_bind_i64(st, 7, sub->c.prec_action);
	dpdb_bind_i64(st, 8, sub->c.prec_info);
	dpdb_bind_i64(st, 9, sub->now);
	dpdb_bind_i64(st, 10, (int64_t)sub->len);
	dpdb_bind_blob(st, 11, sub->digest, DP_SHA256);
	if ((r = body_bind(s, st, 12, sub->data, sub->len))) {
		dpdb_reset(st);
		return r;
	}
	if (sub->log_idx >= 0)
		dpdb_bind_i64(st, 13, sub->log_idx);
	dpdb_bind_i64(st, 14, sub->c.decoy != 0);
	int64_t seq;
	if ((r = dps_returning(st, &seq)))
		return r;
	int64_t receipt = dpr_receipt_at_accept(sub->c.decoy, sub->now);
	/* DLV_ROWS recipients a statement while there are as many, then one each */
	for (size_t i = 0; i < sub->nrcpts;) {
		size_t k = sub->nrcpts - i >= DLV_ROWS ? DLV_ROWS : 1;
		st = dpdb_prepare(s->db, k == DLV_ROWS ? sql_dlv_rows : sql_dlv_row);
		dpdb_bind_i64(st, 1, seq);
		for (size_t j = 0; j < k; j++, i++)
			bind_dlv(st, 2 + 6 * (int)j, sub, &sub->rcpts[i], receipt);
		if ((r = dpdb_run(st)))
			return r;
	}
	sub->c.seq = seq;
	return DP_OK;
}

int dps_cable_insert(dps_store *s, dps_submit *sub)
{
	if (!s->in_txn)
		return DP_EINVAL;
	if (!sub->hashed)
		dp_sha256(sub->digest, sub->data, sub->len);
	sub->duplicate = 0;

	dps_cable c;
	uint8_t old[DP_SHA256];
	int r = cable_by_id(s, sub->c.cable_id, &c, old);
	if (r == DP_OK) {
		/* a retry must be byte-identical; anything else reuses an id */
		if (memcmp(old, sub->digest, sizeof old) != 0)
			return DP_EEXISTS;
		sub->duplicate = 1;
		memcpy(sub->mrn, c.mrn, sizeof sub->mrn);
		sub->accepted = c.accepted;
		sub->log_idx = c.log_idx;
		return DP_OK;
	}
	if (r != DP_ENOTFOUND)
		return r;

	/* Savepoint: a failure below undoes this cable only, not the batch. */
	if ((r = dpdb_savepoint(s->db)))
		return r;
	r = cable_write(s, sub);
	int r2 = dpdb_savepoint_end(s->db, r == DP_OK);
	return r ? r : r2;
}

int dps_notify_inbox(dps_store *s, const dps_rcpt *rcpts, size_t n)
{
	if (dpdb_kind(s->db) != DPDB_PG || n == 0)
		return DP_OK;
	/* one round trip for all of them: their hex ids, comma-separated */
	char *csv = malloc(n * 65);
	if (!csv)
		return DP_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		dp_hex_encode(csv + 65 * i, rcpts[i].device, 32);
		csv[65 * i + 64] = i + 1 < n ? ',' : 0;
	}
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT count(pg_notify(CAST(?1 AS TEXT), p)) FROM "
					    "unnest(string_to_array(CAST(?2 AS TEXT), ',')) AS p");
	dpdb_bind_text(st, 1, DPS_CHAN_INBOX);
	dpdb_bind_text(st, 2, csv);
	int r = dpdb_run(st);
	free(csv);
	return r;
}

/* ---- cables ---- */

int dps_cable_get(dps_store *s, const uint8_t id[DP_CABLE_ID], dps_cable *c)
{
	return cable_by_id(s, id, c, NULL);
}

int dps_cable_stored(dps_store *s, const uint8_t id[DP_CABLE_ID], const uint8_t digest[DP_SHA256],
		     dps_cable *c)
{
	uint8_t old[DP_SHA256];
	int r = cable_by_id(s, id, c, old);
	if (r)
		return r;
	return memcmp(old, digest, sizeof old) == 0 ? DP_OK : DP_EEXISTS;
}

struct body_x {
	dps_store *s;
	dp_buf *body, *entry; /* entry: column 4 if not NULL (may be NULL: not read) */
};

static int body_row(dpdb_stmt *st, void *ctx)
{
	struct body_x *x = ctx;
	int r = body_get(x->s, st, 0, x->body);
	if (!r && x->entry && !dpdb_col_null(st, 4)) {
		size_t n;
		const uint8_t *p = dpdb_col_blob(st, 4, &n);
		r = dp_buf_append(x->entry, p, n);
	}
	return r;
}

int dps_cable_data(dps_store *s, int64_t seq, dp_buf *out)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT " BODY_COLS " FROM cables WHERE seq=?1");
	dpdb_bind_i64(st, 1, seq);
	struct body_x x = {s, out, NULL};
	dp_buf_reset(out);
	return dps_row1(st, body_row, &x);
}

/* The envelope's length from the submission's first 4 bytes; DP_EPARSE if total cannot hold it. */
static int envelope_len(const uint8_t h[4], int64_t total, uint32_t *n)
{
	*n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
	if (*n == 0 || *n > DP_ENVELOPE_MAX || (int64_t)*n + 4 > total)
		return DP_EPARSE; /* an envelope length the submission cannot hold */
	return DP_OK;
}

/*
 * A segment's body: its first 4 bytes, then as many as they name (the
 * payload is never read).
 */
static int envelope_seg(dps_store *s, int64_t seg, int64_t off, int64_t total, dp_buf *out)
{
	dp_buf h;
	dp_buf_init(&h, 4);
	uint32_t n = 0;
	int r = total < 4 ? DP_EPARSE : dpseg_read(s->seg, seg, off, 4, &h);
	if (!r && h.len < 4)
		r = DP_EPARSE; /* too short for the framing: torn */
	if (!r)
		r = envelope_len(h.p, total, &n);
	dp_buf_free(&h);
	if (!r)
		r = dpseg_read(s->seg, seg, off + 4, n, out);
	if (!r && out->len < n)
		r = DP_EPARSE;
	return r;
}

/*
 * SQLite: incremental blob I/O reads only the pages that hold the first
 * 4 + envelope_len bytes: listing a queue of large cables never reads
 * their payloads.
 */
static int envelope_blob(sqlite3 *db, int64_t seq, dp_buf *out)
{
	sqlite3_blob *b = NULL;
	int rc = sqlite3_blob_open(db, "main", "cables", "data", seq, 0, &b);
	if (rc != SQLITE_OK) {
		sqlite3_blob_close(b);
		if (rc == SQLITE_ERROR)
			return DP_ENOTFOUND; /* no such row */
		dpd_say("denpod: store: %s", sqlite3_errmsg(db));
		return DP_ESTORE;
	}
	uint8_t h[4];
	int total = sqlite3_blob_bytes(b), r = DP_OK;
	uint32_t n = 0;
	if (total < 4 || sqlite3_blob_read(b, h, 4, 0) != SQLITE_OK)
		r = DP_EPARSE; /* too short for the framing, or unreadable */
	else
		r = envelope_len(h, total, &n);
	uint8_t *p = NULL;
	dp_buf_reset(out);
	if (!r)
		r = dp_buf_grow(out, n, &p);
	if (!r && sqlite3_blob_read(b, p, (int)n, 4) != SQLITE_OK) {
		dp_buf_reset(out);
		dpd_say("denpod: store: %s", sqlite3_errmsg(db));
		r = DP_ESTORE;
	}
	sqlite3_blob_close(b);
	return r;
}

struct envelope_x {
	dps_store *s;
	dp_buf *out;
	int64_t seq;
};

/*
 * Columns: seg, off, size, then the first 4 bytes of data, the envelope's
 * bytes (4 + ?2 of them) on PostgreSQL (NULL on SQLite: the blob is read
 * in place).
 */
static int envelope_row(dpdb_stmt *st, void *ctx)
{
	struct envelope_x *x = ctx;
	int64_t total = dpdb_col_i64(st, 2);
	if (!dpdb_col_null(st, 0))
		return x->s->seg ? envelope_seg(x->s, dpdb_col_i64(st, 0), dpdb_col_i64(st, 1), total,
						x->out)
				 : DP_ESTATE;
	sqlite3 *db = dpdb_sqlite_handle(x->s->db);
	if (db)
		return envelope_blob(db, x->seq, x->out);
	size_t hn, n;
	const uint8_t *h = dpdb_col_blob(st, 3, &hn);
	uint32_t len;
	if (!h || hn < 4 || envelope_len(h, total, &len))
		return DP_EPARSE;
	const uint8_t *p = dpdb_col_blob(st, 4, &n);
	if (!p || n < (size_t)len + 4)
		return DP_EPARSE;
	return dp_buf_append(x->out, p + 4, len);
}

int dps_cable_envelope(dps_store *s, int64_t seq, dp_buf *out)
{
	/* the framing, then as many bytes as it names (the payload is never read) */
	dpdb_stmt *st = dpdb_prepare(s->db, dpdb_sqlite_handle(s->db)
						    ? "SELECT seg, off, size FROM cables WHERE seq=?1"
						    : "SELECT seg, off, size, substr(data,1,4), "
						      "substr(data,1,4+CAST(?2 AS INTEGER)) FROM cables "
						      "WHERE seq=?1");
	dpdb_bind_i64(st, 1, seq);
	if (!dpdb_sqlite_handle(s->db))
		dpdb_bind_i64(st, 2, DP_ENVELOPE_MAX);
	struct envelope_x x = {s, out, seq};
	dp_buf_reset(out);
	int r = dps_row1(st, envelope_row, &x);
	if (r)
		dp_buf_reset(out);
	return r;
}

/* ---- receipts ---- */

static int rcpt_one_row(dpdb_stmt *st, void *ctx)
{
	dps_rcpt *r = ctx;
	dps_rcpt_row(st, 0, r);
	r->ack_log = dps_col_i64_or_neg(st, 6);
	return DP_OK;
}

int dps_rcpt_get(dps_store *s, int64_t seq, const uint8_t device[32], dps_rcpt *rc_out)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT " RCPT_COLS ",ack_log FROM deliveries "
					    "WHERE seq=?1 AND device=?2");
	dpdb_bind_i64(st, 1, seq);
	dpdb_bind_blob(st, 2, device, 32);
	return dps_row1(st, rcpt_one_row, rc_out);
}

struct rcpt_each {
	int (*cb)(void *ctx, const dps_rcpt *r);
	void *ctx;
};

static int rcpt_each_row(dpdb_stmt *st, void *ctx)
{
	struct rcpt_each *x = ctx;
	dps_rcpt r;
	dps_rcpt_row(st, 0, &r);
	return x->cb(x->ctx, &r);
}

int dps_rcpts(dps_store *s, int64_t seq, int (*cb)(void *ctx, const dps_rcpt *r), void *ctx)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT " RCPT_COLS " FROM deliveries WHERE seq=?1 "
					    "ORDER BY device");
	dpdb_bind_i64(st, 1, seq);
	struct rcpt_each x = {cb, ctx};
	return dps_rows(st, rcpt_each_row, &x);
}

/* Sets a receipt (ack: the acknowledgement, else the delivery) unless set; *first: it was not. */
static int receipt(dps_store *s, int ack, int64_t seq, const uint8_t device[32], int64_t t,
		   int64_t log_idx, int *first)
{
	dps_rcpt x;
	int r = dps_rcpt_get(s, seq, device, &x);
	if (r)
		return r;
	dpdb_stmt *st;
	int i = 2;
	if (ack) {
		st = dpdb_prepare(s->db, "UPDATE deliveries SET acked=?1, delivered=coalesce(delivered,?1), "
					 "ack_log=?2 WHERE seq=?3 AND device=?4 AND acked IS NULL");
		if (log_idx >= 0)
			dpdb_bind_i64(st, 2, log_idx);
		else
			dpdb_bind_null(st, 2);
		i = 3;
	} else {
		st = dpdb_prepare(s->db, "UPDATE deliveries SET delivered=?1 WHERE seq=?2 AND device=?3 "
					 "AND delivered IS NULL");
	}
	dpdb_bind_i64(st, 1, t);
	dpdb_bind_i64(st, i, seq);
	dpdb_bind_blob(st, i + 1, device, 32);
	r = dpdb_run(st);
	if (!r && first)
		*first = dpdb_changes(s->db) == 1; /* the UPDATE matched only an unset receipt */
	return r;
}

int dps_mark_delivered(dps_store *s, int64_t seq, const uint8_t device[32], int64_t t)
{
	return receipt(s, 0, seq, device, t, -1, NULL);
}

int dps_mark_acked(dps_store *s, int64_t seq, const uint8_t device[32], int64_t t)
{
	return receipt(s, 1, seq, device, t, -1, NULL);
}

int dps_mark_delivered_first(dps_store *s, int64_t seq, const uint8_t device[32], int64_t t,
			     int *first)
{
	return receipt(s, 0, seq, device, t, -1, first);
}

int dps_mark_acked_log(dps_store *s, int64_t seq, const uint8_t device[32], int64_t t,
		       int64_t log_idx, int *first)
{
	return receipt(s, 1, seq, device, t, log_idx, first);
}

/* ---- the inbox, sent, overdue, the archive ---- */

int dps_inbox(dps_store *s, const uint8_t device[32], size_t limit,
	      int (*cb)(void *ctx, const dps_cable *c, const dps_rcpt *r), void *ctx)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT " DPS_CABLE_RCPT_COLS " FROM deliveries d JOIN "
					    "cables c ON c.seq=d.seq WHERE d.device=?1 AND d.acked IS "
					    "NULL ORDER BY d.prec,d.seq LIMIT ?2");
	dpdb_bind_blob(st, 1, device, 32);
	dps_bind_limit(st, 2, limit);
	return dps_cable_rcpt_rows(st, cb, ctx);
}

int dps_inbox_has_after(dps_store *s, const uint8_t device[32], int64_t after, int *yes)
{
	/* one index seek per precedence on queue(device,prec,seq): O(log n) with a deep queue */
	dpdb_stmt *st = dpdb_prepare(
		s->db, "SELECT CASE WHEN EXISTS(SELECT 1 FROM deliveries WHERE device=?1 AND prec=0 AND "
		       "seq>?2 AND acked IS NULL) OR EXISTS(SELECT 1 FROM deliveries WHERE device=?1 "
		       "AND prec=1 AND seq>?2 AND acked IS NULL) OR EXISTS(SELECT 1 FROM deliveries "
		       "WHERE device=?1 AND prec=2 AND seq>?2 AND acked IS NULL) OR EXISTS(SELECT 1 "
		       "FROM deliveries WHERE device=?1 AND prec=3 AND seq>?2 AND acked IS NULL) "
		       "THEN 1 ELSE 0 END");
	dpdb_bind_blob(st, 1, device, 32);
	dpdb_bind_i64(st, 2, after);
	int64_t v;
	int r = dps_int(st, 0, &v);
	if (!r)
		*yes = v != 0;
	return r;
}

int dps_sent(dps_store *s, const char *officer, int64_t before, size_t limit,
	     int (*cb)(void *ctx, const dps_cable *c), void *ctx)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT " DPS_CABLE_COLS " FROM cables WHERE officer=?1 AND "
					    "seq<?2 ORDER BY seq DESC LIMIT ?3");
	dpdb_bind_text(st, 1, officer);
	dpdb_bind_i64(st, 2, before);
	dps_bind_limit(st, 3, limit);
	return dps_cable_rows(st, cb, ctx);
}

int dps_cable_list(dps_store *s, size_t limit, int (*cb)(void *ctx, const dps_cable *c), void *ctx)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT " DPS_CABLE_COLS " FROM cables ORDER BY seq DESC "
					    "LIMIT ?1");
	dps_bind_limit(st, 1, limit);
	return dps_cable_rows(st, cb, ctx);
}

int dps_overdue(dps_store *s, int64_t now, const char *post,
		int (*cb)(void *ctx, const dps_cable *c, const dps_rcpt *r), void *ctx)
{
	/*
	 * The overdue rows from the queue's entries alone (due is in them): the
	 * rest of a row and its cable only for those, by key.  Written as a
	 * subquery so that no planner reads the whole table instead.
	 */
	dpdb_stmt *st = dpdb_prepare(
		s->db, "SELECT " DPS_CABLE_RCPT_COLS " FROM (SELECT device,seq FROM deliveries "
		       "WHERE acked IS NULL AND due<?1) p JOIN deliveries d ON d.seq=p.seq AND "
		       "d.device=p.device JOIN cables c ON c.seq=d.seq JOIN devices v ON v.id=d.device "
		       "JOIN officers o ON o.handle=v.officer "
		       "WHERE CAST(?2 AS TEXT) IS NULL OR o.post=?2 ORDER BY d.prec,d.seq");
	dpdb_bind_i64(st, 1, now);
	dpdb_bind_text(st, 2, post);
	return dps_cable_rcpt_rows(st, cb, ctx);
}

struct stats {
	uint64_t *queue, *overdue;
};

static int stats_row(dpdb_stmt *st, void *ctx)
{
	struct stats *x = ctx;
	int64_t p = dpdb_col_i64(st, 0);
	if (p >= 0 && p < 4)
		x->queue[p] = (uint64_t)dpdb_col_i64(st, 1);
	*x->overdue += (uint64_t)dpdb_col_i64(st, 2);
	return DP_OK;
}

/*
 * The queue's entries alone (the queue index holds prec and due), less the
 * queued rows of decoys (the cables_decoy index, then each decoy's rows by
 * the deliveries' primary key; CROSS JOIN: SQLite keeps that order, with
 * no statistics it may read every queued row's cable otherwise; PostgreSQL
 * plans it as any join): no row of a cable that is not a decoy is
 * read, so the cost follows the queue and the decoys, never the cables
 * stored (joining every queued row to its cable made PostgreSQL hash the
 * whole cables table: 370 ms at 200,000 cables).
 */
const char dps_sql_queue_stats[] =
	"SELECT prec,sum(n),sum(o) FROM ("
	"SELECT prec,1 AS n,CASE WHEN due<?1 THEN 1 ELSE 0 END AS o FROM deliveries WHERE acked IS NULL "
	"UNION ALL SELECT d.prec,-1,CASE WHEN d.due<?1 THEN -1 ELSE 0 END FROM cables c CROSS JOIN "
	"deliveries d WHERE c.decoy=1 AND d.seq=c.seq AND d.acked IS NULL) q GROUP BY prec";

int dps_queue_stats(dps_store *s, int64_t now, uint64_t queue[4], uint64_t *overdue)
{
	dpdb_stmt *st = dpdb_prepare(s->db, dps_sql_queue_stats);
	dpdb_bind_i64(st, 1, now);
	memset(queue, 0, 4 * sizeof queue[0]);
	*overdue = 0;
	struct stats x = {queue, overdue};
	return dps_rows(st, stats_row, &x);
}

/* A device's archive by halves: acked rows (their own index), unacked ones (the queue's). */
static const dps_hinted sql_archive[2] = {
	DPS_SQL_HINTED("SELECT " DPS_CABLE_RCPT_COLS " FROM deliveries d", "queue",
		       "JOIN cables c ON c.seq=d.seq WHERE d.device=?1 AND d.seq<?2 AND d.acked IS NULL "
		       "ORDER BY d.seq DESC LIMIT ?3"),
	DPS_SQL_HINTED("SELECT " DPS_CABLE_RCPT_COLS " FROM deliveries d", "archive_acked",
		       "JOIN cables c ON c.seq=d.seq WHERE d.device=?1 AND d.seq<?2 AND d.acked IS NOT "
		       "NULL ORDER BY d.seq DESC LIMIT ?3"),
};

struct half {
	dps_cable *c;
	dps_rcpt *x;
	size_t n, limit;
};

static int half_row(dpdb_stmt *st, void *ctx)
{
	struct half *h = ctx;
	if (h->n == h->limit)
		return 1;
	dps_cable_row(st, 0, &h->c[h->n]);
	memset(&h->x[h->n], 0, sizeof h->x[h->n]);
	dps_rcpt_row(st, DPS_CABLE_RCPT_COL, &h->x[h->n]);
	h->n++;
	return DP_OK;
}

/* One half of the archive (acked or not), newest first, at most limit rows into c[], x[]. */
static int archive_half(dps_store *s, const uint8_t device[32], int64_t before, size_t limit,
			int acked, dps_cable *c, dps_rcpt *x, size_t *n)
{
	dpdb_stmt *st = dps_sql(s, &sql_archive[acked != 0]);
	dpdb_bind_blob(st, 1, device, 32);
	dpdb_bind_i64(st, 2, before);
	dps_bind_limit(st, 3, limit);
	struct half h = {c, x, 0, limit};
	int r = dps_rows(st, half_row, &h);
	*n = h.n;
	return r == 1 ? DP_OK : r;
}

int dps_archive(dps_store *s, const uint8_t device[32], int64_t before, size_t limit,
		int (*cb)(void *ctx, const dps_cable *c, const dps_rcpt *r), void *ctx)
{
	if (limit > 1000)
		return DP_EINVAL;
	dps_cable *c = calloc(2 * limit + 1, sizeof *c);
	dps_rcpt *x = calloc(2 * limit + 1, sizeof *x);
	size_t na = 0, nu = 0;
	int r = c && x ? DP_OK : DP_ENOMEM;
	if (!r)
		r = archive_half(s, device, before, limit, 1, c, x, &na);
	if (!r)
		r = archive_half(s, device, before, limit, 0, c + limit, x + limit, &nu);
	/* merge the two newest-first lists */
	for (size_t i = 0, j = 0, k = 0; !r && k < limit && (i < na || j < nu); k++) {
		int take_a = j == nu || (i < na && c[i].seq > c[limit + j].seq);
		size_t at = take_a ? i++ : limit + j++;
		r = cb(ctx, &c[at], &x[at]);
	}
	free(c);
	free(x);
	return r;
}

/* ---- damage: reading every stored copy ---- */

struct scan {
	int (*cb)(void *ctx, const dps_cable *c, const uint8_t digest[32]);
	void *ctx;
};

static int scan_row(dpdb_stmt *st, void *ctx)
{
	struct scan *x = ctx;
	dps_cable c;
	uint8_t digest[32];
	dps_cable_row(st, 0, &c);
	dps_col_blob(st, 11, digest, sizeof digest);
	c.log_idx = dps_col_i64_or_neg(st, 12);
	c.decoy = (int)dpdb_col_i64(st, 13);
	return x->cb(x->ctx, &c, digest);
}

int dps_cable_scan(dps_store *s, int64_t after, size_t limit,
		   int (*cb)(void *ctx, const dps_cable *c, const uint8_t digest[32]), void *ctx)
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT " DPS_CABLE_COLS ",digest,log_idx,decoy FROM cables "
					    "WHERE seq>?1 ORDER BY seq LIMIT ?2");
	dpdb_bind_i64(st, 1, after);
	dps_bind_limit(st, 2, limit);
	struct scan x = {cb, ctx};
	int r = dps_rows(st, scan_row, &x);
	return r == 1 ? DP_OK : r;
}

int dps_cable_read(dps_store *s, int64_t seq, dp_buf *data, dp_buf *entry)
{
	/* a fetch: the bytes and the entry that vouches for them (denpod/check.h) */
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT c.data, c.seg, c.off, c.size, e.data FROM cables c "
					    "LEFT JOIN log_entries e ON e.idx=c.log_idx WHERE c.seq=?1");
	dpdb_bind_i64(st, 1, seq);
	dp_buf_reset(data);
	dp_buf_reset(entry);
	struct body_x x = {s, data, entry};
	return dps_row1(st, body_row, &x);
}

static int digest_row(dpdb_stmt *st, void *ctx)
{
	dps_col_blob(st, 0, ctx, 32);
	return DP_OK;
}

int dps_cable_digest(dps_store *s, int64_t seq, uint8_t digest[32])
{
	dpdb_stmt *st = dpdb_prepare(s->db, "SELECT digest FROM cables WHERE seq=?1");
	dpdb_bind_i64(st, 1, seq);
	return dps_row1(st, digest_row, digest);
}

int dps_cable_restore(dps_store *s, int64_t seq, const uint8_t *data, size_t len)
{
	uint8_t digest[DP_SHA256];
	if (!s->in_txn || len > INT32_MAX)
		return DP_EINVAL;
	dp_sha256(digest, data, len);
	/* a new copy where new bodies go: a segment's old bytes are never written over */
	dpdb_stmt *st = dpdb_prepare(s->db, "UPDATE cables SET data=?1, digest=?2, seg=?4, off=?5 "
					    "WHERE seq=?3");
	int r = body_bind(s, st, 1, data, len);
	if (r) {
		dpdb_reset(st);
		return r;
	}
	dpdb_bind_blob(st, 2, digest, sizeof digest);
	dpdb_bind_i64(st, 3, seq);
	r = dpdb_run(st);
	if (!r && dpdb_changes(s->db) != 1)
		r = DP_ENOTFOUND;
	return r;
}
