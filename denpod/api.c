/*
 * denpod/api.c - the reading endpoints of docs/api.md (api.h): the health
 * answer, the inbox (and its long-polls), the archive, sent and overdue
 * lists, a cable's receipts and acceptance, the directory.  The cable's
 * and the keys' writes are in api_cable.c and api_keys.c, the log's in
 * api_log.c and api_rollback.c; the route table (route.c) authenticates
 * every request before its handler runs.
 *
 * Every time here is dpd_now() (dp_now(): the system clock, shifted by
 * $DENPO_TEST_CLOCK_OFFSET in tests), never time(NULL).
 *
 * Every access that the transparency log records goes through the batch
 * writer, which appends its entry in the same transaction; in particular
 * no byte of a cable leaves before the entry of that fetch is committed.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "denpo/encoding.h"
#include "denpo/envelope.h"
#include "denpo/devindex.h"
#include "denpo/epoch.h"
#include "denpod/api.h"
#include "denpod/offidx.h"
#include "denpod/policy.h"
#include "denpod/query.h"
#include "denpod/server.h"
#include "denpod/wait.h"

/* A store failure that is a full disk (DP_ENOSPC, 507), where a read met it. */
#define DISK_FULL "the switch's disk is full: its operator must free space on it; then retry"

static json_t *hexj(const uint8_t *p, size_t n)
{
	char h[2 * 32 + 1];
	dp_hex_encode(h, p, n);
	return json_string(h);
}

static json_t *time_or_null(int64_t t) { return t ? json_integer(t) : json_null(); }

/* Device and officer of a recipient; blank fields if gone (shown, not fatal). */
static void owner_of(dpd_server *srv, const uint8_t device[32], dps_device *d, dps_officer *o)
{
	memset(o, 0, sizeof *o);
	if (dps_device_get(srv->store, device, d) != DP_OK) {
		memset(d, 0, sizeof *d);
		return;
	}
	if (dps_officer_get(srv->store, d->officer, o) != DP_OK)
		memset(o, 0, sizeof *o);
}

/*
 * What the directory says of a device: {"device", "officer", "post",
 * "status", "sign_key" (b64)} (GET /v1/directory/devices/{id} adds its key).
 * DP_ENOTFOUND, DP_ESTORE, DP_ENOMEM.
 */
static int device_json(dps_store *s, const uint8_t id[32], json_t **out)
{
	dps_device d;
	dps_officer o;
	char b64[64];
	*out = NULL;
	int r = dps_device_get(s, id, &d);
	if (!r)
		r = dps_officer_get(s, d.officer, &o);
	if (r)
		return r;
	dp_b64_encode(b64, d.id, 32, 1);
	*out = json_pack("{s:o,s:s,s:s,s:s,s:s}", "device", hexj(d.id, 32), "officer", d.officer, "post",
			 o.post, "status", dps_status_name(d.status), "sign_key", b64);
	return *out ? DP_OK : DP_ENOMEM;
}

/* ---- inbox ---- */

/*
 * One entry as answers carry it: {"index", "entry" (b64), "proof"} in the
 * tree of `size`.
 */
static int incl_json_pv(dps_store *s, uint64_t idx, uint64_t size, dpd_prover *pv, json_t **out);

struct inbox_ctx {
	json_t *arr;
	dps_store *s;
	int with_log;    /* the device asked for proofs (log_size=M) */
	uint64_t size;   /* the answer's checkpoint */
	dpd_prover *pv;  /* its proofs' nodes */
	json_t *origins; /* {device hex: directory entry} of the originating devices */
	dp_buf env;      /* scratch: one envelope */
};

/*
 * The directory entry of a listed cable's originating device, once per
 * device: the device checks the envelope's From-Device against it as `read`
 * does, without asking for each (a request for a decoy originator's keys is
 * an alarm, docs/detection.md, and an archive lists decoys).  A device the
 * directory no longer has is left out: the device reports the cable.
 */
static int add_origin(struct inbox_ctx *x, const uint8_t dev[32])
{
	char h[65];
	dp_hex_encode(h, dev, 32);
	if (json_object_get(x->origins, h))
		return DP_OK;
	json_t *d;
	int r = device_json(x->s, dev, &d);
	if (r == DP_ENOTFOUND)
		return DP_OK;
	if (!r)
		json_object_set_new(x->origins, h, d);
	return r;
}

/*
 * "log_index" and, if the checkpoint covers it, "log_entry": the cable's
 * (first) cable-accepted entry with its inclusion proof.  A cable the
 * switch logged nothing for (a database edited by hand) gets null, so the
 * device says so rather than trust its row.
 */
static int accepted_entry(dps_store *s, int64_t log_idx, uint64_t size, dpd_prover *pv, json_t *o)
{
	json_object_set_new(o, "log_index", log_idx >= 0 ? json_integer(log_idx) : json_null());
	if (log_idx < 0 || (uint64_t)log_idx >= size)
		return DP_OK; /* none, or not under the checkpoint yet: the device asks again */
	json_t *e = NULL;
	int r = incl_json_pv(s, (uint64_t)log_idx, size, pv, &e);
	if (r == DP_ESTORE)
		return DP_OK; /* a damaged entry or tile: the device reports the cable, not the queue */
	if (!r)
		json_object_set_new(o, "log_entry", e);
	return r;
}

/* The proofs of one listed cable: its signed envelope (b64) and its logged acceptance. */
static int inbox_proofs(struct inbox_ctx *x, const dps_cable *c, json_t *o)
{
	int r = dps_cable_envelope(x->s, c->seq, &x->env);
	if (!r) {
		char *b = malloc(dp_b64_enclen(x->env.len, 1) + 1);
		if (!b)
			return DP_ENOMEM;
		dp_b64_encode(b, x->env.p, x->env.len, 1);
		json_object_set_new(o, "envelope", json_string(b));
		free(b);
	} else if (r != DP_EPARSE && r != DP_ENOTFOUND)
		return r; /* a stored cable with no envelope is left without one: the device reports it */
	if ((r = add_origin(x, c->from_device)))
		return r;
	dps_cable full;
	r = dps_cable_get(x->s, c->cable_id, &full); /* the list's rows do not carry log_idx */
	return r ? r : accepted_entry(x->s, full.log_idx, x->size, x->pv, o);
}

static int inbox_one(void *ctx, const dps_cable *c, const dps_rcpt *r)
{
	struct inbox_ctx *x = ctx;
	json_t *o = json_object();
	json_object_set_new(o, "cable_id", hexj(c->cable_id, DP_CABLE_ID));
	json_object_set_new(o, "mrn", json_string(c->mrn));
	json_object_set_new(o, "seq", json_integer((json_int_t)c->seq));
	json_object_set_new(o, "precedence", json_string(dp_prec_name(r->prec)));
	json_object_set_new(o, "role", json_string(dp_role_name(r->role)));
	json_object_set_new(o, "classification", json_string(dp_class_name(c->classification)));
	json_object_set_new(o, "from", json_string(c->from_post));
	json_object_set_new(o, "accepted", json_integer(c->accepted));
	json_object_set_new(o, "size", json_integer((json_int_t)c->size));
	json_object_set_new(o, "fetched", json_boolean(r->delivered != 0));
	json_array_append_new(x->arr, o);
	return x->with_log ? inbox_proofs(x, c, o) : DP_OK;
}

/*
 * A cable list (inbox or archive) with the "log" object if log_size >= 0:
 * sets x up.  On failure msg says why: the log view's refusal
 * (dpd_log_covers: 503 or 400), else `failed`.
 */
static int list_begin(dpd_server *srv, int64_t log_size, struct inbox_ctx *x, json_t **logj,
		      const char *failed, char *msg, size_t cap)
{
	memset(x, 0, sizeof *x);
	*logj = NULL;
	x->s = srv->store;
	x->with_log = log_size >= 0;
	dp_buf_init(&x->env, DP_ENVELOPE_MAX);
	/*
	 * One read transaction for the whole list: a few reads per cable, each
	 * of them otherwise its own transaction with its own locks.  It begins
	 * at the first read, after dpl_latest, so the checkpoint's tiles are in it.
	 */
	int r = x->with_log ? dps_snapshot_begin(srv->store) : DP_OK;
	int viewed = 0;
	if (!r && x->with_log && (r = dpd_log_view(srv, (uint64_t)log_size, logj, &x->size, msg, cap)))
		viewed = 1; /* its own message */
	if (!r && x->with_log && !(x->pv = dpd_prover_new(srv->store, x->size)))
		r = DP_ENOMEM;
	if (!r && x->with_log && !(x->origins = json_object()))
		r = DP_ENOMEM;
	x->arr = r ? NULL : json_array();
	if (!r && !x->arr)
		r = DP_ENOMEM;
	if (r) {
		if (!viewed)
			snprintf(msg, cap, "%s", failed);
		json_decref(*logj);
		*logj = NULL;
		json_decref(x->origins);
		dp_buf_free(&x->env);
		dpd_prover_free(x->pv);
		if (x->with_log)
			dps_snapshot_end(srv->store);
	}
	return r;
}

/* {"log"?, "originators"?, "cables": [...]} from a filled list (steals them); frees x's scratch. */
static int list_end(struct inbox_ctx *x, json_t *logj, int r, json_t **out)
{
	if (x->with_log)
		dps_snapshot_end(x->s);
	dpd_prover_free(x->pv);
	dp_buf_free(&x->env);
	*out = NULL;
	if (!r)
		*out = logj ? json_pack("{s:o,s:o,s:o}", "log", logj, "originators", x->origins, "cables", x->arr)
			    : json_pack("{s:o}", "cables", x->arr);
	else {
		json_decref(logj);
		json_decref(x->origins);
		json_decref(x->arr);
	}
	return r ? r : *out ? DP_OK : DP_ENOMEM;
}

/*
 * JSON of a device's inbox (also the long-poll answers).  log_size >= 0: the
 * device asked for proofs (log_size=M): each cable with its envelope and
 * cable-accepted entry, and the "log" object (docs/api.md).
 */
static int inbox_json(dpd_server *srv, const uint8_t device[32], size_t limit, int64_t log_size,
		      json_t **out, char *msg, size_t cap)
{
	static const char failed[] = "cannot read the queue; retry";
	struct inbox_ctx x;
	json_t *logj;
	*out = NULL;
	int r = list_begin(srv, log_size, &x, &logj, failed, msg, cap);
	if (!r && (r = list_end(&x, logj, dps_inbox(srv->store, device, limit, inbox_one, &x), out)))
		snprintf(msg, cap, "%s", failed);
	return r;
}

/*
 * log_size=M of an answer that carries proofs: *m = M, or -1 when absent.
 * Replies and returns -1 for a malformed M (400) or one beyond the
 * checkpoint this instance serves (dpd_log_covers: 503 if one that large is
 * stored but not served here yet, 400 if none is).
 */
static int log_size_of(dpd_server *srv, dpd_req *rq, struct evkeyvalq *q, int64_t *m)
{
	int given;
	uint64_t v;
	dps_checkpoint cp;
	char msg[DPQ_MSG_MAX];
	*m = -1;
	if (dpd_log_size_param(q, &given, &v, msg, sizeof msg)) {
		dpd_reply_error(rq, 400, DP_EPARSE, msg);
		return -1;
	}
	if (!given)
		return 0;
	int r = dpd_log_covers(srv, "log_size", v, &cp, msg, sizeof msg);
	if (r) {
		dpd_reply_error(rq, dpd_http_status(r), r, msg);
		return -1;
	}
	*m = (int64_t)v;
	return 0;
}

/* A held long-poll's answer (wait.h): the device's inbox as it is now. */
static void inbox_wake(dpd_server *srv, dpd_waiter *w)
{
	json_t *j = NULL;
	char msg[DPQ_MSG_MAX];
	int r = inbox_json(srv, w->device, w->limit, w->log_size, &j, msg, sizeof msg);
	if (r)
		dpd_reply_error(&w->rq, dpd_http_status(r), r, msg);
	else
		dpd_reply_json(&w->rq, 200, j);
	dpd_wait_drop(w);
}

void dpd_get_health(const dpd_call *c)
{
	dpd_reply_json(c->rq, 200, json_pack("{s:s,s:s,s:o*}", "status", "ok", "version", DPD_VERSION,
					     "markings", dpd_markings_json(&c->srv->cfg.markings)));
}

void dpd_get_inbox(const dpd_call *c)
{
	dpd_server *srv = c->srv;
	dpd_req *rq = c->rq;
	struct evkeyvalq *q = c->q;
	const dps_device *dev = c->dev;
	uint64_t wait = 0, limit = 100, after = 0;
	int64_t log_size;
	char msg[DPQ_MSG_MAX];
	if (log_size_of(srv, rq, q, &log_size))
		return;
	if (dpq_num(q, "wait", 0, DPD_WAIT_MAX, &wait, msg, sizeof msg) ||
	    dpq_num(q, "limit", 1, DPD_INBOX_MAX, &limit, msg, sizeof msg) ||
	    dpq_num(q, "after", 0, INT64_MAX, &after, msg, sizeof msg)) {
		dpd_reply_error(rq, 400, DP_EPARSE, msg);
		return;
	}
	/*
	 * A long-poll is held until the device has a cable newer than `after`
	 * (the highest seq the client has seen; 0 = any), so a client with a
	 * backlog still learns of a new FLASH at once.
	 */
	if (wait > 0) {
		int fresh = 0;
		int r = dps_inbox_has_after(srv->store, dev->id, (int64_t)after, &fresh);
		if (r) {
			dpd_reply_error(rq, dpd_http_status(r), r, "cannot read the queue; retry");
			return;
		}
		if (!fresh) {
			dpd_waiter *wt = calloc(1, sizeof *wt);
			if (!wt) {
				dpd_reply_error(rq, 503, DP_ENOMEM, "out of memory; retry");
				return;
			}
			wt->rq = *rq;
			wt->answer = inbox_wake;
			memcpy(wt->device, dev->id, 32);
			wt->limit = (size_t)limit;
			wt->log_size = log_size;
			dpd_wait_add(srv, wt, (int)wait);
			return;
		}
	}
	json_t *j = NULL;
	int r = inbox_json(srv, dev->id, (size_t)limit, log_size, &j, msg, sizeof msg);
	if (r) {
		dpd_reply_error(rq, dpd_http_status(r), r, msg);
		return;
	}
	dpd_reply_json(rq, 200, j);
}

static int archive_one(void *ctx, const dps_cable *c, const dps_rcpt *r)
{
	struct inbox_ctx *x = ctx;
	int k = inbox_one(ctx, c, r);
	json_t *o = json_array_get(x->arr, json_array_size(x->arr) - 1);
	if (!k && o)
		json_object_set_new(o, "acked", json_boolean(r->acked != 0));
	return k;
}

/* GET /v1/archive?before=SEQ&limit=N: every cable addressed to the device, newest first. */
void dpd_get_archive(const dpd_call *c)
{
	dpd_server *srv = c->srv;
	dpd_req *rq = c->rq;
	struct evkeyvalq *q = c->q;
	const dps_device *dev = c->dev;
	uint64_t before = INT64_MAX, limit = 100;
	char msg[DPQ_MSG_MAX];
	if (dpq_num(q, "before", 0, INT64_MAX, &before, msg, sizeof msg) ||
	    dpq_num(q, "limit", 1, DPD_INBOX_MAX, &limit, msg, sizeof msg)) {
		dpd_reply_error(rq, 400, DP_EPARSE, msg);
		return;
	}
	int64_t log_size;
	if (log_size_of(srv, rq, q, &log_size))
		return;
	static const char failed[] = "cannot read the archive; retry";
	struct inbox_ctx x;
	json_t *logj, *j = NULL;
	int r = list_begin(srv, log_size, &x, &logj, failed, msg, sizeof msg);
	if (!r && (r = list_end(&x, logj,
				dps_archive(srv->store, dev->id, (int64_t)before, (size_t)limit, archive_one, &x),
				&j)))
		snprintf(msg, sizeof msg, "%s", failed);
	if (r) {
		dpd_reply_error(rq, dpd_http_status(r), r, msg);
		return;
	}
	dpd_reply_json(rq, 200, j);
}

/* ---- a cable's receipts and acceptance ---- */

struct status_ctx {
	dpd_server *srv;
	const dps_cable *c;
	json_t *arr;
	int64_t now;
	int64_t n, delivered, acked;
};

static int status_one(void *ctx, const dps_rcpt *r)
{
	struct status_ctx *x = ctx;
	x->n++;
	x->delivered += r->delivered != 0;
	x->acked += r->acked != 0;
	if (!x->arr)
		return DP_OK;
	dps_device d;
	dps_officer o;
	owner_of(x->srv, r->device, &d, &o);
	int overdue = !r->acked && x->now > x->c->accepted + dp_prec_objective(r->prec);
	json_t *j = json_object();
	json_object_set_new(j, "device", hexj(r->device, 32));
	json_object_set_new(j, "officer", json_string(d.officer));
	json_object_set_new(j, "post", json_string(o.post));
	json_object_set_new(j, "role", json_string(dp_role_name(r->role)));
	json_object_set_new(j, "precedence", json_string(dp_prec_name(r->prec)));
	json_object_set_new(j, "delivered", time_or_null(r->delivered));
	json_object_set_new(j, "acked", time_or_null(r->acked));
	json_object_set_new(j, "overdue", json_boolean(overdue));
	json_array_append_new(x->arr, j);
	return DP_OK;
}

/*
 * What an answer about one cable carries when the device asked for proofs
 * (log_size >= 0): "log", "log_index", "log_entry".
 */
static int cable_proofs(dpd_server *srv, const dps_cable *c, int64_t log_size, json_t *o)
{
	if (log_size < 0)
		return DP_OK;
	json_t *logj;
	uint64_t size;
	char msg[160];
	int r = dpd_log_view(srv, (uint64_t)log_size, &logj, &size, msg, sizeof msg);
	if (!r) {
		json_object_set_new(o, "log", logj);
		r = accepted_entry(srv->store, c->log_idx, size, NULL, o);
	}
	return r;
}

/* GET /v1/cables/{id}/status: the receipts of every recipient, for the originating officer. */
void dpd_get_status(const dpd_call *call)
{
	dpd_server *srv = call->srv;
	dpd_req *rq = call->rq;
	const dps_cable *c = call->cable;
	int64_t log_size;
	if (!call->is_orig) {
		dpd_reply_error(rq, 404, DP_ENOTFOUND, "receipts are for the originating officer");
		return;
	}
	if (log_size_of(srv, rq, call->q, &log_size))
		return;
	struct status_ctx x = {srv, c, json_array(), dpd_now(srv), 0, 0, 0};
	int r = dps_rcpts(srv->store, c->seq, status_one, &x);
	if (r) {
		json_decref(x.arr);
		dpd_reply_error(rq, dpd_http_status(r), r, "cannot read receipts; retry");
		return;
	}
	json_t *j = json_pack("{s:o,s:s,s:s,s:s,s:I,s:o}", "cable_id", hexj(c->cable_id, DP_CABLE_ID), "mrn",
			      c->mrn, "precedence", dp_prec_name(c->prec_action), "classification",
			      dp_class_name(c->classification), "accepted", (json_int_t)c->accepted,
			      "recipients", x.arr);
	r = j ? cable_proofs(srv, c, log_size, j) : DP_ENOMEM;
	if (r) {
		json_decref(j);
		dpd_reply_error(rq, dpd_http_status(r), r, "cannot read the cable's log entry; retry");
		return;
	}
	dpd_reply_json(rq, 200, j);
}

/*
 * GET /v1/cables/{id}/accepted: what the switch says of the cable's
 * acceptance (MRN, time, the precedence that applies to this device, the
 * classification) with the proofs, for a recipient or the originator.
 */
void dpd_get_accepted(const dpd_call *call)
{
	dpd_server *srv = call->srv;
	dpd_req *rq = call->rq;
	const dps_cable *c = call->cable;
	const dps_rcpt *rc = call->rcpt;
	int64_t log_size;
	if (log_size_of(srv, rq, call->q, &log_size))
		return;
	json_t *j = json_pack("{s:o,s:s,s:I,s:s,s:s,s:s}", "cable_id", hexj(c->cable_id, DP_CABLE_ID), "mrn",
			      c->mrn, "accepted", (json_int_t)c->accepted, "precedence",
			      dp_prec_name(rc ? rc->prec : c->prec_action), "classification",
			      dp_class_name(c->classification), "from", c->from_post);
	if (j && rc)
		json_object_set_new(j, "role", json_string(dp_role_name(rc->role)));
	int r = j ? cable_proofs(srv, c, log_size < 0 ? 0 : log_size, j) : DP_ENOMEM;
	if (r) {
		json_decref(j);
		dpd_reply_error(rq, dpd_http_status(r), r, "cannot read the cable's log entry; retry");
		return;
	}
	dpd_reply_json(rq, 200, j);
}

/* ---- sent, overdue ---- */

struct sent_ctx {
	dpd_server *srv;
	json_t *arr;
	int r;
	int with_log;    /* sent: the device asked for proofs */
	uint64_t size;   /* sent: the answer's checkpoint */
	dpd_prover *pv;  /* sent: its proofs' nodes */
};

static int sent_one(void *ctx, const dps_cable *c)
{
	struct sent_ctx *x = ctx;
	struct status_ctx s = {x->srv, c, NULL, 0, 0, 0, 0};
	int r = dps_rcpts(x->srv->store, c->seq, status_one, &s);
	if (r)
		return r;
	json_t *j = json_object();
	json_object_set_new(j, "cable_id", hexj(c->cable_id, DP_CABLE_ID));
	json_object_set_new(j, "seq", json_integer(c->seq));
	json_object_set_new(j, "mrn", json_string(c->mrn));
	json_object_set_new(j, "precedence", json_string(dp_prec_name(c->prec_action)));
	json_object_set_new(j, "classification", json_string(dp_class_name(c->classification)));
	json_object_set_new(j, "accepted", json_integer(c->accepted));
	json_object_set_new(j, "recipients", json_integer(s.n));
	json_object_set_new(j, "delivered", json_integer(s.delivered));
	json_object_set_new(j, "acked", json_integer(s.acked));
	json_array_append_new(x->arr, j);
	if (!x->with_log)
		return DP_OK;
	dps_cable full;
	r = dps_cable_get(x->srv->store, c->cable_id, &full); /* the list's rows do not carry log_idx */
	return r ? r : accepted_entry(x->srv->store, full.log_idx, x->size, x->pv, j);
}

/* GET /v1/sent?before=SEQ&limit=N: the officer's cables, newest first (as the archive pages). */
void dpd_get_sent(const dpd_call *c)
{
	dpd_server *srv = c->srv;
	dpd_req *rq = c->rq;
	struct evkeyvalq *q = c->q;
	const dps_device *dev = c->dev;
	int64_t log_size;
	uint64_t before = INT64_MAX, limit = 100; /* DP_SENT_PAGE, include/denpo/client.h */
	char msg[DPQ_MSG_MAX];
	json_t *logj = NULL;
	if (dpq_num(q, "before", 0, INT64_MAX, &before, msg, sizeof msg) ||
	    dpq_num(q, "limit", 1, DPD_INBOX_MAX, &limit, msg, sizeof msg)) {
		dpd_reply_error(rq, 400, DP_EPARSE, msg);
		return;
	}
	if (log_size_of(srv, rq, q, &log_size))
		return;
	struct sent_ctx x = {srv, json_array(), 0, log_size >= 0, 0, NULL};
	int r = x.arr ? DP_OK : DP_ENOMEM;
	/* one read transaction, as for the inbox (list_begin) */
	int snap = !r && x.with_log && dps_snapshot_begin(srv->store) == DP_OK;
	if (!r && x.with_log)
		r = dpd_log_view(srv, (uint64_t)log_size, &logj, &x.size, msg, sizeof msg);
	if (!r && x.with_log && !(x.pv = dpd_prover_new(srv->store, x.size)))
		r = DP_ENOMEM;
	if (!r)
		r = dps_sent(srv->store, dev->officer, (int64_t)before, (size_t)limit, sent_one, &x);
	if (snap)
		dps_snapshot_end(srv->store);
	dpd_prover_free(x.pv);
	if (r) {
		json_decref(logj);
		json_decref(x.arr);
		dpd_reply_error(rq, dpd_http_status(r), r, "cannot list sent cables; retry");
		return;
	}
	dpd_reply_json(rq, 200, logj ? json_pack("{s:o,s:o}", "log", logj, "cables", x.arr)
				     : json_pack("{s:o}", "cables", x.arr));
}

static int overdue_one(void *ctx, const dps_cable *c, const dps_rcpt *rc)
{
	struct sent_ctx *x = ctx;
	dps_device d;
	dps_officer o;
	owner_of(x->srv, rc->device, &d, &o);
	json_t *j = json_object();
	json_object_set_new(j, "cable_id", hexj(c->cable_id, DP_CABLE_ID));
	json_object_set_new(j, "mrn", json_string(c->mrn));
	json_object_set_new(j, "precedence", json_string(dp_prec_name(rc->prec)));
	json_object_set_new(j, "accepted", json_integer(c->accepted));
	json_object_set_new(j, "due", json_integer(c->accepted + dp_prec_objective(rc->prec)));
	json_object_set_new(j, "device", hexj(rc->device, 32));
	json_object_set_new(j, "officer", json_string(d.officer));
	json_object_set_new(j, "post", json_string(o.post));
	json_object_set_new(j, "role", json_string(dp_role_name(rc->role)));
	json_object_set_new(j, "delivered", time_or_null(rc->delivered));
	json_array_append_new(x->arr, j);
	return DP_OK;
}

void dpd_get_overdue(const dpd_call *c)
{
	dpd_server *srv = c->srv;
	dpd_req *rq = c->rq;
	const dps_officer *me = c->me;
	int comms = 0;
	for (size_t i = 0; i < me->nroles; i++)
		comms |= strcmp(me->roles[i], "COMMS") == 0;
	if (!comms) {
		dpd_reply_error(rq, 403, DP_EDENIED, "the overdue list is for officers with role COMMS");
		return;
	}
	dps_post p;
	int r = dps_post_get(srv->store, me->post, &p);
	struct sent_ctx x = {.srv = srv, .arr = json_array()};
	if (!r) /* HQ COMMS sees every post, a post's COMMS its own */
		r = dps_overdue(srv->store, dpd_now(srv), p.hq ? NULL : me->post, overdue_one, &x);
	if (r) {
		json_decref(x.arr);
		dpd_reply_error(rq, dpd_http_status(r), r, "cannot list overdue cables; retry");
		return;
	}
	dpd_reply_json(rq, 200, json_pack("{s:o}", "cables", x.arr));
}

/* ---- directory ---- */

static int names_param(struct evkeyvalq *q, const char *key, char out[][DP_NAME_MAX + 1],
		       size_t max, size_t *n)
{
	const char *v = dpq_get(q, key);
	*n = 0;
	return v ? dps_split_names(v, out, max, n) : DP_OK;
}

/* Every name of a list passes ok() (DP_EPARSE otherwise). */
static int names_ok(char l[][DP_NAME_MAX + 1], size_t n, int (*ok)(const char *))
{
	for (size_t i = 0; i < n; i++)
		if (!ok(l[i]))
			return DP_EPARSE;
	return DP_OK;
}

static int attn_ok(const char *s) { return dp_name_ok(s) || dp_handle_ok(s); }

/* The current epoch key's fields (key_type, epoch, window, recipient, signed record) into j. */
static void key_fields(json_t *j, const dps_epoch *e)
{
	json_object_set_new(j, "key_type", json_integer(DP_AGE_MLKEM768X25519));
	json_object_set_new(j, "epoch", json_integer(e->epoch));
	json_object_set_new(j, "not_before", json_integer(e->not_before));
	json_object_set_new(j, "not_after", json_integer(e->not_after));
	json_object_set_new(j, "age_recipient", json_string(e->age_recipient));
	json_object_set_new(j, "epoch_key", json_stringn(e->record, e->len));
}

struct resolve_ctx {
	dps_store *s;
	int64_t now;
	json_t *devs, *unreachable;
	uint64_t size; /* the one checkpoint of the answer (transparency.md §3) */
	dps_epoch e; /* large: one buffer for every device */
};

/* One entry as the resolve answer carries it: {"index", "entry" (b64), "proof"} */
struct incl_ctx {
	json_t *j;
};

static int incl_entry(void *ctx, uint64_t idx, const uint8_t *e, size_t len)
{
	struct incl_ctx *x = ctx;
	char *b = malloc(dp_b64_enclen(len, 1) + 1);
	if (!b)
		return DP_ENOMEM;
	dp_b64_encode(b, e, len, 1);
	x->j = json_pack("{s:I,s:s}", "index", (json_int_t)idx, "entry", b);
	free(b);
	return x->j ? DP_OK : DP_ENOMEM;
}

/* incl_json with the nodes of a list's proofs kept (pv; NULL: read each time). */
static int incl_json_pv(dps_store *s, uint64_t idx, uint64_t size, dpd_prover *pv, json_t **out)
{
	struct incl_ctx x = {NULL};
	int r = dps_log_entries(s, idx, 1, incl_entry, &x);
	if (!r && !x.j)
		r = DP_ESTORE; /* under a checkpoint but not stored: damaged */
	uint8_t proof[DP_TLOG_PROOF_MAX][DP_TLOG_HASH];
	size_t n = 0;
	dp_tlog_tiles tiles = {dpl_tile_read, s};
	if (!r && (pv ? dpd_prove(pv, idx, proof, &n)
		      : dp_tlog_prove_inclusion(idx, size, dp_tlog_tiles_node, &tiles, proof, &n)))
		r = DP_ESTORE;
	json_t *arr = r ? NULL : dpd_proof_json((const uint8_t(*)[DP_TLOG_HASH])proof, n);
	if (!r && !arr)
		r = DP_ENOMEM;
	if (r) {
		json_decref(x.j);
		return r;
	}
	json_object_set_new(x.j, "proof", arr);
	*out = x.j;
	return DP_OK;
}

int dpd_incl_json(dps_store *s, uint64_t idx, uint64_t size, json_t **out)
{
	return incl_json_pv(s, idx, size, NULL, out);
}

static int resolve_one(void *ctx, const dps_officer *o, const dps_device *d, int role)
{
	struct resolve_ctx *x = ctx;
	int64_t last = 0, eidx = -1, kidx = -1;
	int r = dps_epoch_current(x->s, d->id, x->now, &x->e, &last);
	if (r && r != DP_ENOTFOUND)
		return r;
	if (!r) {
		r = dps_device_log_idx(x->s, d->id, &eidx);
		r = r ? r : dps_epoch_log_idx(x->s, d->id, x->e.epoch, &kidx);
		if (r)
			return r == DP_ENOTFOUND ? DP_ESTORE : r;
	}
	json_t *j = json_object();
	json_object_set_new(j, "device", hexj(d->id, 32));
	json_object_set_new(j, "officer", json_string(o->handle));
	json_object_set_new(j, "post", json_string(o->post));
	json_object_set_new(j, "role", json_string(dp_role_name(role)));
	if (r == DP_ENOTFOUND) {
		/*
		 * Eligible, but nothing to encrypt to: the sender is told, the cable
		 * goes without it.  With the switch's time the keys were judged at and
		 * the start of the next key, a sender whose clock reads that key as
		 * current sees that the clocks disagree, and says so, rather than
		 * "it never published one".
		 */
		int64_t next = 0;
		for (uint32_t i = 0; i < d->nwin; i++)
			if (d->win[i].not_before > x->now && (!next || d->win[i].not_before < next))
				next = d->win[i].not_before;
		json_object_set_new(j, "last_not_after", time_or_null(last));
		json_object_set_new(j, "next_not_before", time_or_null(next));
		json_object_set_new(j, "at", json_integer(x->now));
		if (next)
			json_object_set_new(j, "reason", json_string("no key valid yet at the switch's time"));
		json_array_append_new(x->unreachable, j);
		return json_array_size(x->unreachable) > DP_MAX_RECIPIENTS ? DP_ETOOBIG : DP_OK;
	}
	if (eidx < 0 || kidx < 0) {
		/*
		 * A device or key with no log entry at all (a database edited by
		 * hand): listed without proofs, so a sender refuses the whole send
		 * loudly rather than the device silently missing the cable.
		 */
		key_fields(j, &x->e);
		json_array_append_new(x->devs, j);
		return json_array_size(x->devs) > DP_MAX_RECIPIENTS ? DP_ETOOBIG : DP_OK;
	}
	if ((uint64_t)eidx >= x->size || (uint64_t)kidx >= x->size) {
		/* a sender encrypts only to logged keys: this one is not under the checkpoint yet */
		json_object_set_new(j, "last_not_after", json_null());
		json_object_set_new(j, "reason", json_string("key not yet in the log"));
		json_array_append_new(x->unreachable, j);
		return json_array_size(x->unreachable) > DP_MAX_RECIPIENTS ? DP_ETOOBIG : DP_OK;
	}
	json_t *ej = NULL, *kj = NULL;
	r = dpd_incl_json(x->s, (uint64_t)eidx, x->size, &ej);
	r = r ? r : dpd_incl_json(x->s, (uint64_t)kidx, x->size, &kj);
	if (r) {
		json_decref(ej);
		json_decref(j);
		return r;
	}
	key_fields(j, &x->e);
	json_object_set_new(j, "enrolment", ej);
	json_object_set_new(j, "key_entry", kj);
	json_array_append_new(x->devs, j);
	return json_array_size(x->devs) > DP_MAX_RECIPIENTS ? DP_ETOOBIG : DP_OK;
}

/* Adds the handles of list's devices not yet in seen (a JSON object used as a set). */
static void officers_of(json_t *list, json_t *seen)
{
	size_t i;
	json_t *d;
	json_array_foreach(list, i, d) {
		const char *o = json_string_value(json_object_get(d, "officer"));
		if (o && !json_object_get(seen, o))
			json_object_set_new(seen, o, json_true());
	}
}

/* "officers": the record and proof of each officer of the devices listed (offidx.h). */
static int officers_json(dpd_server *srv, const dps_checkpoint *cp, json_t *devs,
			 json_t *unreachable, json_t **out, char *msg, size_t cap)
{
	json_t *seen = json_object(), *arr = json_array();
	int r = seen && arr ? DP_OK : DP_ENOMEM;
	if (!r) {
		officers_of(devs, seen);
		officers_of(unreachable, seen);
	}
	const char *o;
	json_t *v;
	json_object_foreach(seen, o, v) {
		json_t *j = NULL;
		if (!r)
			r = dpd_officer_json(srv, cp, o, &j, msg, cap);
		if (!r && json_array_append_new(arr, j))
			r = DP_ENOMEM;
	}
	json_decref(seen);
	if (r) {
		json_decref(arr);
		return r;
	}
	*out = arr;
	return DP_OK;
}

/*
 * Whether a device the answer lists (active in the directory) is not active
 * in its officer's record under the answer's checkpoint cp, while the log
 * holds entries cp does not cover yet: a status change committed (a
 * reinstatement, by `denpod device reinstate` in another process, the
 * console or the containment) whose entry the signer has not signed yet.
 * Answered so, the sender would find the device suspended in the record
 * proven to it and stop as before a switch that lies (exit 3); so the
 * signer is kicked and the caller answers 503 (retry: moments), as while
 * the index catches up with a checkpoint.  With every entry signed, a
 * mismatch is no lag: the answer goes out, and the sender reports it.
 * 1 (msg set), 0, or -1 on a store error (msg set).
 */
static int status_behind(dpd_server *srv, const dps_checkpoint *cp, json_t *devs, char *msg,
			 size_t cap)
{
	size_t i;
	json_t *d;
	int behind = 0;
	json_array_foreach(devs, i, d) {
		const char *hex = json_string_value(json_object_get(d, "device"));
		const char *o = json_string_value(json_object_get(d, "officer"));
		uint8_t id[DP_ED25519_PK];
		int st = 0;
		if (!hex || !o || strlen(hex) != 2 * DP_ED25519_PK ||
		    dp_hex_decode(id, sizeof id, hex, strlen(hex)) != DP_OK)
			continue;
		if (dpx_device_status(srv->offidx, o, id, &st) == DP_OK && st != DP_DEVREC_ACTIVE) {
			behind = 1;
			break;
		}
	}
	if (!behind)
		return 0;
	uint64_t total = 0;
	if (dps_log_size(srv->store, &total) != DP_OK) {
		snprintf(msg, cap, "cannot read the log; retry");
		return -1;
	}
	if (total <= cp->size)
		return 0;
	dpl_kick(srv->log);
	snprintf(msg, cap, "a device's status change is not yet under a signed checkpoint (the officer "
			   "index is being updated); retry");
	return 1;
}

/* The routing fields of a resolve query: large (the posts), so one allocation per request. */
struct resolve_q {
	char to[DP_MAX_ADDRESSEES][DP_NAME_MAX + 1], info[DP_MAX_ADDRESSEES][DP_NAME_MAX + 1];
	char caps[DP_MAX_CAPTIONS][DP_NAME_MAX + 1], attn[DP_MAX_ADDRESSEES][DP_NAME_MAX + 1];
	size_t nto, ninfo, ncaps, nattn;
	dpp_posts posts;
};

void dpd_get_resolve(const dpd_call *c)
{
	dpd_server *srv = c->srv;
	dpd_req *rq = c->rq;
	struct evkeyvalq *q = c->q;
	char msg[DPP_MSG_MAX];
	int cls = DP_CLASS_UNCLASSIFIED;
	uint64_t m = 0;
	const char *cv = dpq_get(q, "classification");
	struct resolve_q *rs = malloc(sizeof *rs);
	if (!rs) {
		dpd_reply_error(rq, 503, DP_ENOMEM, "out of memory; retry");
		return;
	}
	if (names_param(q, "to", rs->to, DP_MAX_ADDRESSEES, &rs->nto) ||
	    names_param(q, "info", rs->info, DP_MAX_ADDRESSEES, &rs->ninfo) ||
	    names_param(q, "captions", rs->caps, DP_MAX_CAPTIONS, &rs->ncaps) ||
	    names_param(q, "attn", rs->attn, DP_MAX_ADDRESSEES, &rs->nattn) || rs->nto == 0 ||
	    /* names as the cable format allows them: nothing else reaches the store or a message */
	    names_ok(rs->to, rs->nto, dp_name_ok) || names_ok(rs->info, rs->ninfo, dp_name_ok) ||
	    names_ok(rs->caps, rs->ncaps, dp_name_ok) || names_ok(rs->attn, rs->nattn, attn_ok) ||
	    (cv && dp_class_parse(cv, &cls))) {
		free(rs);
		dpd_reply_error(rq, 400, DP_EPARSE, "give to=A,B[&info=C][&classification=SECRET]"
						    "[&captions=X][&attn=Y] (comma-separated names)");
		return;
	}
	if (dpq_num(q, "log_size", 0, UINT64_MAX, &m, msg, sizeof msg)) {
		free(rs);
		dpd_reply_error(rq, 400, DP_EPARSE, msg);
		return;
	}
	/* one checkpoint for the whole answer: every proof is against it */
	dps_checkpoint *cp = malloc(sizeof *cp);
	json_t *logj = NULL;
	int r = cp ? dpd_log_view_cp(srv, m, &logj, cp, msg, sizeof msg) : DP_ENOMEM;
	uint64_t cpsize = cp ? cp->size : 0;
	if (r) {
		free(rs);
		dpd_reply_error(rq, dpd_http_status(r), r, cp ? msg : "out of memory; retry");
		free(cp); /* after its last test */
		return;
	}
	r = dpp_expand(srv->store, rs->to, rs->nto, rs->info, rs->ninfo, &rs->posts, msg, sizeof msg);
	struct resolve_ctx *x = calloc(1, sizeof *x);
	if (!x || !logj) {
		free(x);
		free(rs);
		json_decref(logj);
		dpd_reply_error(rq, 503, DP_ENOMEM, "out of memory; retry");
		return;
	}
	x->s = srv->store;
	x->size = cpsize;
	x->now = dpd_now(srv);
	x->devs = json_array();
	x->unreachable = json_array();
	dpp_route rt = {&rs->posts, cls, rs->caps, rs->ncaps, rs->attn, rs->nattn,
			srv->cfg.records_post};
	if (!r)
		r = dpp_resolve(srv->store, &rt, resolve_one, x);
	json_t *devs = x->devs, *unreachable = x->unreachable, *offs = NULL;
	free(x);
	free(rs);
	/* the officers of every device listed, their records proved under the same checkpoint */
	if (!r && (r = officers_json(srv, cp, devs, unreachable, &offs, msg, sizeof msg)) ==
			  DP_ENOTFOUND)
		r = DP_OK; /* a checkpoint from before the index: no "officers" yet */
	if (!r && offs) {
		int b = status_behind(srv, cp, devs, msg, sizeof msg);
		r = b > 0 ? DP_ESTATE : b < 0 ? DP_ESTORE : DP_OK;
	}
	free(cp);
	if (r) {
		json_decref(devs);
		json_decref(unreachable);
		json_decref(offs);
		json_decref(logj);
		if (r == DP_ESTATE) {
			dpd_reply_error(rq, 503, r, msg);
			return;
		}
		if (r == DP_ETOOBIG)
			snprintf(msg, sizeof msg, "more than %d recipient devices", DP_MAX_RECIPIENTS);
		else if (r == DP_ESTORE || r == DP_ENOSPC)
			snprintf(msg, sizeof msg, "%s", r == DP_ENOSPC ? DISK_FULL
						      : "cannot read the directory; retry");
		dpd_reply_error(rq, dpd_http_status(r), r, msg);
		return;
	}
	json_t *ans = json_pack("{s:o,s:o,s:o}", "log", logj, "devices", devs, "unreachable",
				unreachable);
	if (ans && offs)
		json_object_set_new(ans, "officers", offs);
	else
		json_decref(offs);
	dpd_reply_json(rq, 200, ans);
}

void dpd_get_device(const dpd_call *c)
{
	dpd_server *srv = c->srv;
	dpd_req *rq = c->rq;
	const char *h = rq->path + strlen("/v1/directory/devices/");
	uint8_t id[32];
	json_t *j = NULL;
	if (strlen(h) != 64 || dp_hex_decode(id, 32, h, 64)) {
		dpd_reply_error(rq, 400, DP_EPARSE, "a device id is 64 hex digits");
		return;
	}
	int r = device_json(srv->store, id, &j);
	if (r) {
		dpd_reply_error(rq, dpd_http_status(r), r, r == DP_ENOTFOUND ? "no such device" : "retry");
		return;
	}
	dps_epoch *e = malloc(sizeof *e);
	int64_t last = 0;
	r = e ? dps_epoch_current(srv->store, id, dpd_now(srv), e, &last) : DP_ENOMEM;
	if (r && r != DP_ENOTFOUND) {
		free(e);
		json_decref(j);
		dpd_reply_error(rq, dpd_http_status(r), r, "cannot read the device's keys; retry");
		return;
	}
	if (r == DP_OK)
		key_fields(j, e); /* without a current key: no key fields at all */
	free(e);
	dpd_reply_json(rq, 200, j);
}
