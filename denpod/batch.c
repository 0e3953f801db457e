/*
 * denpod/batch.c - group commit and long-poll waiters.
 *
 * Handlers verify a request completely, then append its write to the
 * pending batch.  A writer thread commits one batch at a time in ONE
 * transaction (one fsync with synchronous=FULL) on its own database
 * connection, and only when that commit has returned does the loop thread
 * answer every request of the batch: nothing is acknowledged before it is
 * durable, so kill -9 loses only unanswered requests, which the clients
 * retry (idempotently).
 *
 * Pipeline: while the writer fsyncs batch N the loop keeps reading,
 * verifying and checking requests into batch N+1, which goes to the writer
 * the moment N is done.  So a request waits for at most one commit in
 * flight plus its own, and batches grow with load.  Batches are written
 * strictly in order by the one writer, exactly as one thread would: MRNs
 * are assigned inside the writer's transaction (gap-free), and a retry of a
 * cable whose first copy is in the batch in flight is written after it,
 * finds it, and gets the same MRN with duplicate=true.
 *
 * Ownership: the loop thread owns the pending list and every op's request
 * (rq); the writer thread reads an op's write fields and sets its results
 * only between taking it from `todo` and putting it in `done`, under `mu`.
 * A submission carries its own copy of the bytes, so a client that goes
 * away mid-commit frees nothing the writer is reading.
 *
 * Times: every op carries the time the loop thread judged it at
 * (dpd_now, never decreasing), and the writer stores that time, so the
 * order of the judgements is the order of the writes.  A cable accepted
 * for a key epoch and a GET /v1/keys that reports the epoch closed are
 * thus never reordered: the epoch closes at a time after which no cable
 * for it is judged, and the key list is read after every cable judged
 * before it is written.
 *
 * The transparency log: each op appends its entries (cable-accepted,
 * -delivered, -fetched, -acked, key-published, key-retired) in the same
 * transaction as its change, inside a savepoint so an op that fails
 * undoes both and leaves the rest of the batch alone.  Its Source is the
 * address the request came from.  After a commit that appended entries
 * the writer kicks the log signer.  The writer holds srv->wlock around its
 * transaction, which the signer shares for its own short one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "denpo/encoding.h"
#include "denpod/detect_srv.h"
#include "denpod/health.h"
#include "denpod/server.h"

static size_t bucket(const uint8_t device[32])
{
	return ((size_t)device[0] << 8 | device[1]) % DPD_WAIT_BUCKETS;
}

void dpd_op_free(dpd_op *op)
{
	if (!op)
		return;
	if (op->body)
		evbuffer_free(op->body);
	json_decref(op->json);
	free(op->key);
	free(op->data);
	free(op->rcpts);
	free(op->alert);
	free(op);
}

/* Why POST /v1/keys was refused (DP_EEXISTS, DP_ESTATE). */
static void key_put_msg(const dpd_op *op, char *msg, size_t cap)
{
	const dps_epoch_pub *p = &op->pub;
	unsigned long ep = (unsigned long)op->key->epoch;
	char at[DP_TIME_STR], gap[DP_TIME_STR];
	if (op->result == DP_EEXISTS) {
		snprintf(msg, cap, "this device already published epoch %lu with other content; an "
				   "epoch is published once: publish the next epoch", ep);
		return;
	}
	switch (p->rule) {
	case DPS_EPR_EPOCH:
		snprintf(msg, cap, "epoch %lu is not higher than epoch %lu, the newest this device "
				   "published; epochs only increase", ep, (unsigned long)p->last_epoch);
		break;
	case DPS_EPR_REUSED:
		snprintf(msg, cap, "this recipient was already published as epoch %lu; every epoch "
				   "needs a new key", (unsigned long)p->reused_epoch);
		break;
	case DPS_EPR_EXPIRED:
		dp_time_str(op->key->not_after, at);
		dp_span_str(op->t - op->key->not_after, gap);
		snprintf(msg, cap, "epoch %lu ended %s, %s before the switch's clock: this device's "
				   "clock is behind or the switch's ahead; check both (NTP)", ep, at, gap);
		break;
	case DPS_EPR_AHEAD:
		dp_time_str(op->key->not_before, at);
		dp_span_str(op->key->not_before - op->t, gap);
		snprintf(msg, cap, "epoch %lu starts %s, %s after the switch's clock (at most %d days "
				   "ahead): this device's clock is ahead or the switch's behind; check both "
				   "(NTP)", ep, at, gap, DP_EPOCH_MAX_AHEAD / 86400);
		break;
	case DPS_EPR_FULL:
		snprintf(msg, cap, "this device already has %d epoch keys that are not closed; publish "
				   "more when the oldest closes", DPS_EPOCHS_MAX);
		break;
	default:
		snprintf(msg, cap, "%s", dp_strerror(op->result));
	}
}

/* "log_index" into an answer when the op has an entry. */
static json_t *with_log(json_t *j, const dpd_op *op)
{
	if (j && op->log_idx >= 0)
		json_object_set_new(j, "log_index", json_integer((json_int_t)op->log_idx));
	return j;
}

static void answer(dpd_server *srv, dpd_op *op)
{
	if (op->done) {
		op->done(srv, op);
		return;
	}
	if (op->kind == DPD_OP_ALERT || op->kind == DPD_OP_LAPSE || op->kind == DPD_OP_CONFIG) {
		dpd_det_done(srv, op); /* no request: detection reports it */
		return;
	}
	dpd_req_release(&op->rq);
	if (op->result) {
		char msg[256];
		if (op->kind == DPD_OP_KEY_PUT &&
		    (op->result == DP_EEXISTS || op->result == DP_ESTATE))
			key_put_msg(op, msg, sizeof msg);
		else if (op->result == DP_EEXISTS)
			snprintf(msg, sizeof msg, "cable id already used by a different cable; "
						  "a new cable needs a new id");
		else if (op->result == DP_ESTORE)
			snprintf(msg, sizeof msg, "the switch could not store the request; retry");
		else if (op->result == DP_ENOSPC)
			snprintf(msg, sizeof msg, "the switch's disk is full: nothing of this request was "
						  "stored; its operator must free space on the switch, then "
						  "retry (the same request is safe to repeat)");
		else
			snprintf(msg, sizeof msg, "%s", dp_strerror(op->result));
		dpd_reply_error(&op->rq, dpd_http_status(op->result), op->result, msg);
		return;
	}
	char hex[2 * DP_CABLE_ID + 1];
	switch (op->kind) {
	case DPD_OP_SUBMIT:
		dp_hex_encode(hex, op->sub.c.cable_id, DP_CABLE_ID);
		dpd_reply_json(&op->rq, op->sub.duplicate ? 200 : 201,
			       with_log(json_pack("{s:s,s:s,s:I,s:b}", "cable_id", hex, "mrn",
						  op->sub.mrn, "accepted", (json_int_t)op->sub.accepted,
						  "duplicate", op->sub.duplicate), op));
		break;
	case DPD_OP_DELIVER:
	case DPD_OP_FETCH:
		dpd_reply_bytes(&op->rq, 200, op->body, op->mrn, op->log_idx);
		break;
	case DPD_OP_ACK:
		dp_hex_encode(hex, op->cable_id, DP_CABLE_ID);
		dpd_reply_json(&op->rq, 200, with_log(json_pack("{s:s,s:I}", "cable_id", hex, "acked",
								(json_int_t)op->t), op));
		break;
	case DPD_OP_KEY_PUT: {
		char dev[2 * DP_ED25519_PK + 1];
		dp_hex_encode(dev, op->key->device, DP_ED25519_PK);
		dpd_reply_json(&op->rq, op->pub.duplicate ? 200 : 201,
			       with_log(json_pack("{s:s,s:I,s:I,s:I,s:b}", "device", dev, "epoch",
						  (json_int_t)op->key->epoch, "not_before",
						  (json_int_t)op->key->not_before, "not_after",
						  (json_int_t)op->key->not_after, "duplicate",
						  op->pub.duplicate), op));
		break;
	}
	case DPD_OP_COSIGN:
		dpd_reply_json(&op->rq, 200, json_pack("{s:b}", "stored", 1));
		break;
	case DPD_OP_KEYS:
		dpd_reply_json(&op->rq, 200, op->json);
		op->json = NULL; /* the reply took it */
		break;
	case DPD_OP_ALERT:
	case DPD_OP_LAPSE:
	case DPD_OP_CONFIG:
	case DPD_OP_PROBE:
	case DPD_OP_RECOVERED:
		break; /* answered above */
	}
}

/* The entry of a receipt or a fetch: cable, device, source. */
static int log_cable(dps_store *st, dpl_enc *x, dpd_op *op, int event)
{
	dp_logent *e = dpl_ent(x, event, op->t);
	memcpy(e->cable_id, op->cable_id, DP_CABLE_ID);
	snprintf(e->mrn, sizeof e->mrn, "%.*s", DP_MRN_MAX, op->mrn); /* made by dp_mrn_format: fits */
	memcpy(e->device, op->device, DP_ED25519_PK);
	dpl_source(e, op->addr);
	uint64_t idx;
	int r = dpl_put(st, x, &idx);
	if (!r)
		op->log_idx = (int64_t)idx;
	return r;
}

struct retire_ctx {
	dps_store *st;
	dpl_enc *x;
	const dpd_op *op;
	int n;
};

static int retire_one(void *ctx, uint32_t epoch)
{
	struct retire_ctx *c = ctx;
	dp_logent *e = dpl_ent(c->x, DP_LOG_KEY_RETIRED, c->op->t);
	memcpy(e->device, c->op->device, DP_ED25519_PK);
	e->epoch = epoch;
	snprintf(e->text, sizeof e->text, "closed");
	c->n++;
	return dpl_put(c->st, c->x, NULL);
}

/* One op's change and its log entries; *logged += entries appended. */
static int write_op(dps_store *st, dpl_enc *x, dpd_op *op, int *logged)
{
	uint64_t next = 0, first = 0;
	int r = DP_OK, is_first = 0;
	switch (op->kind) {
	case DPD_OP_SUBMIT: /* sub.now: the time it was judged at */
		r = dps_log_next(st, &next);
		op->sub.log_idx = (int64_t)next;
		if (!r)
			r = dps_cable_insert(st, &op->sub);
		if (!r && !op->sub.duplicate) {
			r = dpl_cable_accepted(st, x, &op->sub, op->addr, &first);
			*logged += !r;
		}
		op->log_idx = op->sub.log_idx; /* a duplicate's: the stored cable's */
		break;
	case DPD_OP_DELIVER:
		r = dps_mark_delivered_first(st, op->seq, op->device, op->t, &is_first);
		op->first = is_first;
		/* a second first fetch in the same batch is a later fetch */
		if (!r)
			r = log_cable(st, x, op, is_first ? DP_LOG_CABLE_DELIVERED : DP_LOG_CABLE_FETCHED);
		*logged += !r;
		break;
	case DPD_OP_FETCH:
		r = log_cable(st, x, op, DP_LOG_CABLE_FETCHED);
		*logged += !r;
		break;
	case DPD_OP_ACK:
		r = dps_log_next(st, &next);
		if (!r)
			r = dps_mark_acked_log(st, op->seq, op->device, op->t, (int64_t)next, &is_first);
		if (!r && is_first) {
			r = log_cable(st, x, op, DP_LOG_CABLE_ACKED);
			*logged += !r;
		} else if (!r) {
			/* acknowledged earlier in this batch: answer with that ack */
			dps_rcpt rc;
			r = dps_rcpt_get(st, op->seq, op->device, &rc);
			if (!r) {
				op->t = rc.acked;
				op->log_idx = rc.ack_log;
			}
		}
		break;
	case DPD_OP_KEY_PUT:
		r = dps_log_next(st, &next);
		op->pub.k = op->key;
		op->pub.record = op->data;
		op->pub.now = op->t;
		op->pub.log_idx = (int64_t)next;
		if (!r)
			r = dps_epoch_put(st, &op->pub);
		if (!r && !op->pub.duplicate) {
			dp_logent *e = dpl_ent(x, DP_LOG_KEY_PUBLISHED, op->t);
			memcpy(e->device, op->key->device, DP_ED25519_PK);
			e->epoch = op->key->epoch;
			e->record = op->data;
			e->record_len = op->pub.len;
			dpl_source(e, op->addr);
			r = dpl_put(st, x, NULL);
			*logged += !r;
		}
		op->log_idx = op->pub.log_idx;
		break;
	case DPD_OP_COSIGN: /* verified by the loop thread; no log entry (it is about the log) */
		r = dps_log_cosig_put(st, (uint64_t)op->seq, op->device, op->t, (const char *)op->data);
		break;
	case DPD_OP_KEYS: {
		/* epochs this answer is the first to see closed are retired, once */
		struct retire_ctx rc = {st, x, op, 0};
		r = dps_epoch_retire(st, op->device, op->t, retire_one, &rc);
		*logged += rc.n;
		if (!r)
			r = dpd_keys_json(st, op->device, op->t, &op->json);
		break;
	}
	case DPD_OP_ALERT:
	case DPD_OP_LAPSE:
	case DPD_OP_CONFIG:
		r = dpd_det_write(st, x, op, logged);
		break;
	case DPD_OP_RECOVERED:
		r = dpd_recovered_write(st, x, op, logged);
		break;
	case DPD_OP_PROBE: { /* a real write through this transaction: readiness (health.h) */
		char t[24];
		snprintf(t, sizeof t, "%lld", (long long)op->t);
		r = dps_meta_put(st, DPH_PROBE_KEY, t);
		break;
	}
	}
	return r;
}

/* Writer thread: one transaction for the whole list; 0, or DP_ESTORE / DP_ENOSPC (rolled back). */
static int write_batch(dpd_server *srv, dpd_op *list)
{
	dps_store *st = srv->wstore;
	int logged = 0;
	int r = dps_begin(st);
	for (dpd_op *op = list; !r && op; op = op->next) {
		int n = 0;
		op->log_idx = -1;
		r = dps_savepoint(st);
		if (!r) {
			op->result = write_op(st, srv->wenc, op, &n);
			/* a refused op leaves nothing behind, not even half of its log entries */
			r = dps_savepoint_end(st, op->result == DP_OK);
		}
		if (!r && op->result == DP_OK)
			logged += n;
		/* a database failure (not a per-cable verdict) aborts the whole batch */
		if (op->result == DP_ESTORE || op->result == DP_ENOSPC)
			r = op->result;
	}
	if (!r)
		r = dps_commit(st);
	else
		dps_rollback(st);
	if (!r && logged)
		dpl_kick(srv->log);
	/* a full disk stays itself: the answers say so, and no client retries it in a loop */
	return !r ? DP_OK : r == DP_ENOSPC ? DP_ENOSPC : DP_ESTORE;
}

static void *writer_main(void *arg)
{
	dpd_server *srv = arg;
	pthread_mutex_lock(&srv->mu);
	for (;;) {
		while (!srv->todo && !srv->quit)
			pthread_cond_wait(&srv->todo_cv, &srv->mu);
		if (!srv->todo)
			break; /* quit, and nothing left to write */
		dpd_op *list = srv->todo;
		srv->todo = NULL;
		pthread_mutex_unlock(&srv->mu);
		pthread_mutex_lock(&srv->wlock);
		int r = write_batch(srv, list);
		pthread_mutex_unlock(&srv->wlock);
		pthread_mutex_lock(&srv->mu);
		srv->done = list;
		srv->done_r = r;
		pthread_cond_signal(&srv->done_cv);
		event_active(srv->done_ev, EV_READ, 0); /* wake the loop (thread-safe base) */
	}
	pthread_mutex_unlock(&srv->mu);
	return NULL;
}

/* Loop thread: give the pending batch to the writer if it is idle. */
static void hand_over(dpd_server *srv)
{
	if (srv->busy || !srv->batch_head)
		return;
	dpd_op *list = srv->batch_head;
	srv->batch_head = NULL;
	srv->batch_tail = &srv->batch_head;
	srv->batch_len = 0;
	srv->busy = 1;
	pthread_mutex_lock(&srv->mu);
	srv->todo = list;
	pthread_cond_signal(&srv->todo_cv);
	pthread_mutex_unlock(&srv->mu);
}

/* Loop thread: the metrics of a written op (denpod/metrics.h). */
static void count(dpd_server *srv, const dpd_op *op)
{
	if (op->result)
		return;
	/* a decoy is no traffic: counting it would tell that one was planted */
	if (op->kind == DPD_OP_SUBMIT && !op->sub.duplicate && !op->sub.c.decoy)
		dpm_accepted(&srv->met, op->sub.c.prec_action);
	else if (op->kind == DPD_OP_DELIVER && op->first)
		dpm_delivered(&srv->met, op->prec);
}

/* Loop thread: answer a written batch, wake long-polls, free it. */
static void finish(dpd_server *srv, dpd_op *list, int r)
{
	srv->n_batches++;
	if (r)
		dpm_store_error(&srv->met, r);
	for (dpd_op *op = list; op; op = op->next) {
		if (r)
			op->result = r; /* nothing of this batch is stored (DP_ESTORE or DP_ENOSPC) */
		else
			srv->n_committed++;
		count(srv, op);
		answer(srv, op);
	}
	/* wake the long-polls of every device that got a new cable */
	for (dpd_op *op = list; !r && op; op = op->next)
		/* a decoy wakes nobody: a woken long-poll with nothing new would give it away */
		if (op->kind == DPD_OP_SUBMIT && !op->result && !op->sub.duplicate && !op->sub.c.decoy)
			/* rcpts are our own copy: valid even if the submitter vanished */
			for (size_t i = 0; i < op->sub.nrcpts; i++)
				dpd_wait_notify(srv, op->sub.rcpts[i].device);
	while (list) {
		dpd_op *n = list->next;
		dpd_op_free(list);
		list = n;
	}
}

/* Loop thread: take the written batch, if any (wait for it if block). */
static int take_done(dpd_server *srv, int block, dpd_op **list, int *r)
{
	pthread_mutex_lock(&srv->mu);
	while (block && !srv->done)
		pthread_cond_wait(&srv->done_cv, &srv->mu);
	*list = srv->done;
	*r = srv->done_r;
	srv->done = NULL;
	pthread_mutex_unlock(&srv->mu);
	if (!*list)
		return 0;
	srv->busy = 0;
	return 1;
}

static void done_cb(evutil_socket_t fd, short what, void *arg)
{
	dpd_server *srv = arg;
	dpd_op *list;
	int r;
	if (!take_done(srv, 0, &list, &r))
		return; /* already taken by dpd_batch_drain */
	hand_over(srv); /* the next batch's fsync overlaps these answers */
	finish(srv, list, r);
}

static void commit_cb(evutil_socket_t fd, short what, void *arg)
{
	hand_over(arg);
}

void dpd_batch_drain(dpd_server *srv)
{
	dpd_op *list;
	int r;
	for (;;) {
		if (srv->busy && take_done(srv, 1, &list, &r))
			finish(srv, list, r);
		if (!srv->batch_head || !srv->writer_started)
			break;
		hand_over(srv);
	}
}

int dpd_batch_init(dpd_server *srv)
{
	srv->batch_head = NULL;
	srv->batch_tail = &srv->batch_head;
	if (pthread_mutex_init(&srv->mu, NULL) || pthread_cond_init(&srv->todo_cv, NULL) ||
	    pthread_cond_init(&srv->done_cv, NULL) || !(srv->wenc = dpl_enc_new()))
		return DP_ENOMEM;
	/* done_ev set <=> mu and the condition variables exist (dpd_batch_stop) */
	srv->done_ev = event_new(srv->base, -1, 0, done_cb, srv);
	srv->commit_ev = event_new(srv->base, -1, 0, commit_cb, srv);
	if (!srv->commit_ev || !srv->done_ev || event_priority_set(srv->done_ev, DPD_PRIO_HIGH) ||
	    event_priority_set(srv->commit_ev, DPD_PRIO_HIGH))
		return DP_ENOMEM;
	if (pthread_create(&srv->writer, NULL, writer_main, srv))
		return DP_ENOMEM;
	srv->writer_started = 1;
	return DP_OK;
}

void dpd_batch_stop(dpd_server *srv)
{
	if (srv->writer_started) {
		pthread_mutex_lock(&srv->mu);
		srv->quit = 1;
		pthread_cond_signal(&srv->todo_cv);
		pthread_mutex_unlock(&srv->mu);
		pthread_join(srv->writer, NULL);
		srv->writer_started = 0;
	}
	/* a batch the writer finished but the loop never took */
	dpd_op *list;
	int r;
	if (srv->done_ev && take_done(srv, 0, &list, &r))
		finish(srv, list, r);
	if (srv->commit_ev)
		event_free(srv->commit_ev);
	if (srv->done_ev)
		event_free(srv->done_ev);
	srv->commit_ev = srv->done_ev = NULL;
	dpl_enc_free(srv->wenc);
	srv->wenc = NULL;
}

void dpd_batch_add(dpd_server *srv, dpd_op *op)
{
	op->next = NULL;
	op->rq.on_close = NULL; /* the op owns what it writes; a vanished peer is just not answered */
	memcpy(op->addr, op->rq.addr, sizeof op->addr);
	dpd_req_hold(&op->rq);
	*srv->batch_tail = op;
	srv->batch_tail = &op->next;
	srv->batch_len++;
	/*
	 * Idle writer: commit after the events already pending, so one commit
	 * covers them all.  Busy writer: done_cb hands this batch over.
	 */
	if (srv->batch_len == 1 && !srv->busy)
		event_active(srv->commit_ev, EV_TIMEOUT, 0);
}

/* ---- long-poll waiters ---- */

void dpd_wait_drop(dpd_waiter *w)
{
	if (w->pprev) {
		*w->pprev = w->next;
		if (w->next)
			w->next->pprev = w->pprev;
	}
	if (w->timer)
		event_free(w->timer);
	free(w);
}

static void answer_waiter(dpd_server *srv, dpd_waiter *w)
{
	json_t *j = NULL;
	dpd_req_release(&w->rq);
	int r = dpd_inbox_json(srv, w->device, w->limit, w->log_size, &j);
	if (r)
		dpd_reply_error(&w->rq, dpd_http_status(r), r, "cannot read the queue; retry");
	else
		dpd_reply_json(&w->rq, 200, j);
	dpd_wait_drop(w);
}

static void wait_timeout(evutil_socket_t fd, short what, void *arg)
{
	dpd_waiter *w = arg;
	answer_waiter(w->rq.srv, w);
}

static void wait_closed(dpd_req *rq)
{
	/* rq is the first member's neighbour: recover the waiter */
	dpd_waiter *w = (dpd_waiter *)((char *)rq - offsetof(dpd_waiter, rq));
	dpd_wait_drop(w);
}

/*
 * The oldest waiter of a device that already holds DPD_WAIT_PER_DEVICE, or
 * NULL.  New waiters go to the head of the bucket, so the last match is the
 * oldest.
 */
static dpd_waiter *over_cap(dpd_server *srv, const uint8_t device[32])
{
	dpd_waiter *oldest = NULL;
	size_t n = 0;
	for (dpd_waiter *w = srv->waiters[bucket(device)]; w; w = w->next)
		if (memcmp(w->device, device, 32) == 0) {
			n++;
			oldest = w;
		}
	return n >= DPD_WAIT_PER_DEVICE ? oldest : NULL;
}

void dpd_wait_add(dpd_server *srv, dpd_waiter *w, int seconds)
{
	struct timeval tv = {seconds, 0};
	size_t b = bucket(w->device);
	/*
	 * One device may not pin an unbounded number of held requests (and
	 * their memory): past the cap its oldest wait is answered now with the
	 * current queue, as if its time had run out.
	 */
	dpd_waiter *old = over_cap(srv, w->device);
	if (old)
		answer_waiter(srv, old);
	w->timer = evtimer_new(srv->base, wait_timeout, w);
	if (!w->timer || evtimer_add(w->timer, &tv)) {
		answer_waiter(srv, w);
		return;
	}
	w->next = srv->waiters[b];
	if (w->next)
		w->next->pprev = &w->next;
	w->pprev = &srv->waiters[b];
	srv->waiters[b] = w;
	w->rq.on_close = wait_closed;
	dpd_req_hold(&w->rq);
}

void dpd_wait_notify(dpd_server *srv, const uint8_t device[32])
{
	dpd_waiter *w = srv->waiters[bucket(device)];
	while (w) {
		dpd_waiter *n = w->next;
		if (memcmp(w->device, device, 32) == 0)
			answer_waiter(srv, w);
		w = n;
	}
}
