/*
 * denpod/batch.c - group commit and long-poll waiters.
 *
 * Handlers verify a request completely, then append its write to the
 * pending batch and arm a zero-timeout event.  When the loop runs it, the
 * whole batch is written in ONE transaction (one fsync with
 * synchronous=FULL) and only then is every request in it answered: nothing
 * is acknowledged before it is durable, so kill -9 loses only unanswered
 * requests, which the clients retry (idempotently).
 *
 * While a commit blocks the loop, new requests queue up in the sockets and
 * form the next, larger batch: throughput grows with load.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "denpo/encoding.h"
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
	free(op->rcpts);
	free(op);
}

static void answer(dpd_server *srv, dpd_op *op)
{
	dpd_req_release(&op->rq);
	if (op->result) {
		char msg[160];
		if (op->result == DP_EEXISTS)
			snprintf(msg, sizeof msg, "cable id already used by a different cable; "
						  "a new cable needs a new id");
		else if (op->result == DP_ESTORE)
			snprintf(msg, sizeof msg, "the switch could not store the request; retry");
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
			       json_pack("{s:s,s:s,s:I,s:b}", "cable_id", hex, "mrn", op->sub.mrn,
					 "accepted", (json_int_t)op->sub.accepted, "duplicate",
					 op->sub.duplicate));
		break;
	case DPD_OP_DELIVER:
		dpd_reply_bytes(&op->rq, 200, op->body, op->mrn);
		break;
	case DPD_OP_ACK:
		dp_hex_encode(hex, op->cable_id, DP_CABLE_ID);
		dpd_reply_json(&op->rq, 200, json_pack("{s:s,s:I}", "cable_id", hex, "acked",
						       (json_int_t)op->t));
		break;
	}
}

void dpd_batch_commit(dpd_server *srv)
{
	dpd_op *list = srv->batch_head;
	if (!list)
		return;
	srv->batch_head = NULL;
	srv->batch_tail = &srv->batch_head;
	srv->batch_len = 0;

	int64_t now = (int64_t)time(NULL);
	int r = dps_begin(srv->store);
	for (dpd_op *op = list; !r && op; op = op->next) {
		switch (op->kind) {
		case DPD_OP_SUBMIT:
			op->sub.now = now;
			op->result = op->sub.data ? dps_cable_insert(srv->store, &op->sub) : DP_EIO;
			break;
		case DPD_OP_DELIVER:
			op->result = dps_mark_delivered(srv->store, op->seq, op->device, op->t);
			break;
		case DPD_OP_ACK:
			op->result = dps_mark_acked(srv->store, op->seq, op->device, op->t);
			break;
		}
		/* a database failure (not a per-cable verdict) aborts the whole batch */
		if (op->result == DP_ESTORE)
			r = DP_ESTORE;
	}
	if (!r)
		r = dps_commit(srv->store);
	else
		dps_rollback(srv->store);
	srv->n_batches++;

	for (dpd_op *op = list; op; op = op->next) {
		if (r)
			op->result = DP_ESTORE; /* nothing of this batch is stored */
		else
			srv->n_committed++;
		answer(srv, op);
	}
	/* wake the long-polls of every device that got a new cable */
	for (dpd_op *op = list; !r && op; op = op->next)
		if (op->kind == DPD_OP_SUBMIT && !op->result && !op->sub.duplicate)
			/* rcpts are our own copy: valid even if the submitter vanished */
			for (size_t i = 0; i < op->sub.nrcpts; i++)
				dpd_wait_notify(srv, op->sub.rcpts[i].device);
	while (list) {
		dpd_op *n = list->next;
		dpd_op_free(list);
		list = n;
	}
}

static void commit_cb(evutil_socket_t fd, short what, void *arg)
{
	dpd_batch_commit(arg);
}

int dpd_batch_init(dpd_server *srv)
{
	srv->batch_head = NULL;
	srv->batch_tail = &srv->batch_head;
	srv->commit_ev = event_new(srv->base, -1, 0, commit_cb, srv);
	return srv->commit_ev ? DP_OK : DP_ENOMEM;
}

/*
 * The peer went away before the commit: evhttp frees the request and with it
 * the body a submission points into, so that cable is dropped (the client had
 * no answer and retries idempotently).  Receipts own their data and commit.
 */
static void op_closed(dpd_req *rq)
{
	dpd_op *op = (dpd_op *)((char *)rq - offsetof(dpd_op, rq));
	if (op->kind == DPD_OP_SUBMIT) {
		op->sub.data = NULL;
		op->sub.len = 0;
	}
}

void dpd_batch_add(dpd_server *srv, dpd_op *op)
{
	op->next = NULL;
	op->rq.on_close = op_closed;
	dpd_req_hold(&op->rq);
	*srv->batch_tail = op;
	srv->batch_tail = &op->next;
	srv->batch_len++;
	/* run after the events already pending, so one commit covers them all */
	if (srv->batch_len == 1)
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
	int r = dpd_inbox_json(srv, w->device, w->limit, &j);
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

void dpd_wait_add(dpd_server *srv, dpd_waiter *w, int seconds)
{
	struct timeval tv = {seconds, 0};
	size_t b = bucket(w->device);
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
