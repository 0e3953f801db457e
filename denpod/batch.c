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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	json_decref(op->json);
	free(op->key);
	free(op->data);
	free(op->rcpts);
	free(op);
}

/* Why POST /v1/keys was refused (DP_EEXISTS, DP_ESTATE). */
static void key_put_msg(const dpd_op *op, char *msg, size_t cap)
{
	const dps_epoch_pub *p = &op->pub;
	unsigned long ep = (unsigned long)op->key->epoch;
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
		snprintf(msg, cap, "epoch %lu expired at %lld (switch time %lld); check the device's "
				   "clock", ep, (long long)op->key->not_after, (long long)op->t);
		break;
	case DPS_EPR_AHEAD:
		snprintf(msg, cap, "epoch %lu starts at %lld, more than %d days after the switch time "
				   "%lld; check the device's clock", ep, (long long)op->key->not_before,
			 DP_EPOCH_MAX_AHEAD / 86400, (long long)op->t);
		break;
	case DPS_EPR_FULL:
		snprintf(msg, cap, "this device already has %d epoch keys that are not closed; publish "
				   "more when the oldest closes", DPS_EPOCHS_MAX);
		break;
	default:
		snprintf(msg, cap, "%s", dp_strerror(op->result));
	}
}

static void answer(dpd_server *srv, dpd_op *op)
{
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
	case DPD_OP_KEY_PUT: {
		char dev[2 * DP_ED25519_PK + 1];
		dp_hex_encode(dev, op->key->device, DP_ED25519_PK);
		dpd_reply_json(&op->rq, op->pub.duplicate ? 200 : 201,
			       json_pack("{s:s,s:I,s:I,s:I,s:b}", "device", dev, "epoch",
					 (json_int_t)op->key->epoch, "not_before",
					 (json_int_t)op->key->not_before, "not_after",
					 (json_int_t)op->key->not_after, "duplicate", op->pub.duplicate));
		break;
	}
	case DPD_OP_KEYS:
		dpd_reply_json(&op->rq, 200, op->json);
		op->json = NULL; /* the reply took it */
		break;
	}
}

/* Writer thread: one transaction for the whole list; 0 or DP_ESTORE (rolled back). */
static int write_batch(dps_store *st, dpd_op *list)
{
	int r = dps_begin(st);
	for (dpd_op *op = list; !r && op; op = op->next) {
		switch (op->kind) {
		case DPD_OP_SUBMIT: /* sub.now: the time it was judged at */
			op->result = dps_cable_insert(st, &op->sub);
			break;
		case DPD_OP_DELIVER:
			op->result = dps_mark_delivered(st, op->seq, op->device, op->t);
			break;
		case DPD_OP_ACK:
			op->result = dps_mark_acked(st, op->seq, op->device, op->t);
			break;
		case DPD_OP_KEY_PUT:
			op->pub.k = op->key;
			op->pub.record = op->data;
			op->pub.now = op->t;
			op->result = dps_epoch_put(st, &op->pub);
			break;
		case DPD_OP_KEYS:
			op->result = dpd_keys_json(st, op->device, op->t, &op->json);
			break;
		}
		/* a database failure (not a per-cable verdict) aborts the whole batch */
		if (op->result == DP_ESTORE)
			r = DP_ESTORE;
	}
	if (!r)
		r = dps_commit(st);
	else
		dps_rollback(st);
	return r ? DP_ESTORE : DP_OK;
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
		int r = write_batch(srv->wstore, list);
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

/* Loop thread: answer a written batch, wake long-polls, free it. */
static void finish(dpd_server *srv, dpd_op *list, int r)
{
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
	    pthread_cond_init(&srv->done_cv, NULL))
		return DP_ENOMEM;
	/* done_ev set <=> mu and the condition variables exist (dpd_batch_stop) */
	srv->done_ev = event_new(srv->base, -1, 0, done_cb, srv);
	srv->commit_ev = event_new(srv->base, -1, 0, commit_cb, srv);
	if (!srv->commit_ev || !srv->done_ev)
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
}

void dpd_batch_add(dpd_server *srv, dpd_op *op)
{
	op->next = NULL;
	op->rq.on_close = NULL; /* the op owns what it writes; a vanished peer is just not answered */
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
