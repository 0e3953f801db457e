/*
 * denpod/batch.c - the commit engine: group commit of operations (op.h).
 *
 * Handlers verify a request completely, then append its write to the
 * pending batch as an op.  A writer thread commits one batch at a time in
 * ONE transaction (one fsync with synchronous=FULL) on its own database
 * connection, and only when that commit has returned does the loop thread
 * answer every op of the batch: nothing is acknowledged before it is
 * durable, so kill -9 loses only unanswered requests, which the clients
 * retry (idempotently).
 *
 * The engine knows only the generic op: what each kind writes, how it is
 * answered, what follows its commit and what it owns are the hooks of its
 * dpd_op_type, defined in the file that owns the kind's rules (op.h lists
 * them).  So this file includes nothing of the endpoints, detection or the
 * health checks, and a new kind of write is a new table, not a new case.
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
 * (rq); the writer thread calls an op's write hook, which reads its kind's
 * fields and sets its results, only between taking it from `todo` and
 * putting it in `done`, under `mu`.  An op carries its own copy of what it
 * writes (a submission's bytes and recipients), so a client that goes away
 * mid-commit frees nothing the writer is reading.
 *
 * Times: every op carries the time the loop thread judged it at
 * (op->t, from dpd_now, never decreasing), and its write stores that time.
 * Ops are written in the order of their judgements, with one exception:
 * precedence.  A cable submission carries its precedence (op->rank) and
 * is written before the submissions of a lower precedence that were
 * judged before it and are still pending, but never before any other op
 * (every other kind is "in order": written after everything judged before
 * it, and nothing judged after it is written before it).  So a FLASH that
 * arrives behind a flood of ROUTINE goes to the head of the next batch;
 * and if the pending batch holds a FLASH, only the ops up to the last
 * FLASH are handed to the writer, the rest waiting for the following
 * commit, so a FLASH waits for at most the commit in flight plus a small
 * one of its own, however deep the flood behind it.  The bound on what
 * is left behind: a hand-over that follows a cut one takes the whole
 * pending batch, FLASH or not.  So an op waits for at most three commits
 * (the one in flight, a cut one, its own), and a steady stream of FLASH
 * (one arriving during every commit) cannot hold the other precedences
 * back: the batches then alternate, cut and whole, and a FLASH waits for
 * the commit in flight plus its own, one of the two carrying what was
 * behind the FLASH before it.  A FLASH that finds no cut batch in flight
 * (the common case) waits as little as before.  What the exception
 * changes: among the cables of one batch (and the two batches it is cut
 * into), MRNs, seq and the cable-accepted entries of the log follow
 * precedence before time; stored times are non-decreasing in write order
 * within each precedence and across every op in order, not across two
 * cables of different precedence.  Submissions of one precedence keep
 * their order, so a retry of a cable (the same bytes, the same
 * precedence) is still written after its first copy and finds it.
 *
 * What the order of judgements guarantees: a cable accepted for a key
 * epoch and a GET /v1/keys that reports the epoch closed are never
 * reordered: the epoch closes at a time after which no cable for it is
 * judged, and the key list (an op in order) is read after every cable
 * judged before it is written (no submission moves ahead of a key list,
 * an op in order, nor of anything judged before the list).
 *
 * The transparency log: each op's write appends its entries
 * (cable-accepted, -delivered, -fetched, -acked, key-published,
 * key-retired, alerts, ...) in the same transaction as its change, inside
 * a savepoint of its own, so an op that fails undoes both and leaves the
 * rest of the batch alone; a database failure (DP_ESTORE, DP_ENOSPC)
 * rolls the whole batch back and every op of it is answered with it.  An
 * entry's Source is the address the request came from (op->addr).  After
 * a commit that appended entries the writer kicks the log signer.  The
 * writer holds srv->wlock around its transaction, which the signer shares
 * for its own short one.
 *
 * After the commit: every op is answered first (its answer hook), then
 * each durable op's committed hook runs: the metrics of a cable accepted
 * or delivered, and the long-polls of its recipients woken (wait.h).  A
 * decoy wakes nobody and is not counted: either would tell that one was
 * planted (api_cable.c).
 */
#include <string.h>

#include <event2/event.h>

#include "denpod/op.h"
#include "denpod/server.h"

#define DPD_RANKS 4 /* the precedences, FLASH (0) to ROUTINE (3) */

#if DPD_FT_ON
#include <stdio.h>
static int ft_inflight; /* loop thread: the length of the batch with the writer */
/* every op of list: stage i now */
static void ft_all(dpd_op *list, int i)
{
	int64_t t = dpd_ft_now();
	for (dpd_op *op = list; op; op = op->next)
		op->ft[i] = t;
}
/* a FLASH's waiters answered: its line (times in us from one stage to the next) */
static void ft_print(const dpd_op *op)
{
	const int64_t *t = op->ft;
#define US(a, b) (long)((t[b] - t[a]) / 1000)
	fprintf(stderr,
		"ftrace arm %d pool_q %d pos %d batch %d inflight %d | queue %ld verify %ld back %ld ahead %ld "
		"judge %ld wait_commit %ld wwake %ld write %ld back2 %ld answers %ld wake %ld total %ld\n",
		op->ft_n[4], op->ft_n[0], op->ft_n[1], op->ft_n[2], op->ft_n[3], US(DPD_FT_POST, DPD_FT_WORK0),
		US(DPD_FT_WORK0, DPD_FT_WORK1), US(DPD_FT_WORK1, DPD_FT_DONE0),
		US(DPD_FT_DONE0, DPD_FT_JUDGE), US(DPD_FT_JUDGE, DPD_FT_ADD),
		US(DPD_FT_ADD, DPD_FT_HAND), US(DPD_FT_HAND, DPD_FT_WSTART),
		US(DPD_FT_WSTART, DPD_FT_WEND), US(DPD_FT_WEND, DPD_FT_FINISH),
		US(DPD_FT_FINISH, DPD_FT_WAKE), US(DPD_FT_WAKE, DPD_FT_WOKEN),
		US(DPD_FT_POST, DPD_FT_WOKEN));
#undef US
}
#endif

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
			op->result = op->type->write(st, srv->wenc, op, &n);
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
#if DPD_FT_ON
		ft_all(list, DPD_FT_WSTART);
#endif
		pthread_mutex_lock(&srv->wlock);
		int r = write_batch(srv, list);
		pthread_mutex_unlock(&srv->wlock);
#if DPD_FT_ON
		ft_all(list, DPD_FT_WEND);
#endif
		pthread_mutex_lock(&srv->mu);
		srv->done = list;
		srv->done_r = r;
		pthread_cond_signal(&srv->done_cv);
		event_active(srv->done_ev, EV_READ, 0); /* wake the loop (thread-safe base) */
	}
	pthread_mutex_unlock(&srv->mu);
	return NULL;
}

/* Loop thread: an empty pending batch. */
static void batch_reset(dpd_server *srv)
{
	srv->batch_head = NULL;
	srv->batch_tail = &srv->batch_head;
	for (int p = 0; p < DPD_RANKS; p++)
		srv->batch_rank[p] = &srv->batch_head;
	srv->batch_len = 0;
	srv->batch_cut = NULL;
}

/*
 * Loop thread: the pending batch for the writer, all of it, or if it holds
 * a FLASH only the ops up to the last FLASH (the rest stays pending, its
 * links moved to the head) unless the last hand-over was cut already
 * (the bound: nothing waits behind two FLASH batches in a row).
 */
static dpd_op *take_pending(dpd_server *srv)
{
	dpd_op *list = srv->batch_head;
	dpd_op **cut = srv->batch_cut;
	if (!cut || !*cut || srv->batch_was_cut) {
		batch_reset(srv);
		srv->batch_was_cut = 0;
		return list;
	}
	srv->batch_was_cut = 1;
	srv->batch_head = *cut;
	*cut = NULL;
	for (int p = 0; p < DPD_RANKS; p++)
		if (srv->batch_rank[p] == cut)
			srv->batch_rank[p] = &srv->batch_head;
	if (srv->batch_tail == cut)
		srv->batch_tail = &srv->batch_head;
	for (dpd_op *op = list; op; op = op->next)
		srv->batch_len--;
	srv->batch_cut = NULL;
	return list;
}

/* Loop thread: give the pending batch to the writer if it is idle. */
static void hand_over(dpd_server *srv)
{
	if (srv->busy || !srv->batch_head)
		return;
	dpd_op *list = take_pending(srv);
	srv->busy = 1;
#if DPD_FT_ON
	ft_all(list, DPD_FT_HAND);
	ft_inflight = 0;
	for (dpd_op *op = list; op; op = op->next)
		ft_inflight++;
	for (dpd_op *op = list; op; op = op->next)
		op->ft_n[2] = ft_inflight;
#endif
	pthread_mutex_lock(&srv->mu);
	srv->todo = list;
	pthread_cond_signal(&srv->todo_cv);
	pthread_mutex_unlock(&srv->mu);
}

/* Loop thread: answer a written batch, then what follows from each durable op; free it. */
static void finish(dpd_server *srv, dpd_op *list, int r)
{
	srv->n_batches++;
	if (r)
		dpm_store_error(&srv->met, r);
	/* it may have changed the directory (a failed commit too, on PostgreSQL, may have been
	   made): read at the next request */
	dps_dir_stale(srv->store);
	for (dpd_op *op = list; op; op = op->next) {
		if (r)
			op->result = r; /* nothing of this batch is stored (DP_ESTORE or DP_ENOSPC) */
		else
			srv->n_committed++;
		op->type->answer(srv, op);
	}
	/* the metrics, and the long-polls of every device that got a new cable (op.h) */
	for (dpd_op *op = list; op; op = op->next)
		if (!op->result && op->type->committed) {
			DPD_FT(op, DPD_FT_WAKE);
			op->type->committed(srv, op);
#if DPD_FT_ON
			DPD_FT(op, DPD_FT_WOKEN);
			if (op->rank == DP_PREC_FLASH)
				ft_print(op);
#endif
		}
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
#if DPD_FT_ON
	ft_all(list, DPD_FT_FINISH);
#endif
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
	batch_reset(srv);
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
	(void)pthread_setname_np(srv->writer, "dpd-writer"); /* top -H, perf: the threads by name */
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
	op->rq.on_close = NULL; /* the op owns what it writes; a vanished peer is just not answered */
	memcpy(op->addr, op->rq.addr, sizeof op->addr);
	dpd_req_hold(&op->rq);
#if DPD_FT_ON
	DPD_FT(op, DPD_FT_ADD);
	op->ft_n[3] = srv->busy ? ft_inflight : 0;
#endif
	int rank = op->rank >= 0 && op->rank < DPD_RANKS ? op->rank : DPD_IN_ORDER;
	/* after the last op of its rank or above, or in order: at the end */
	dpd_op **at = rank == DPD_IN_ORDER ? srv->batch_tail : srv->batch_rank[rank];
	op->next = *at;
	*at = op;
	if (srv->batch_tail == at)
		srv->batch_tail = &op->next;
	/* nothing added later goes ahead of an op in order; an op of rank p before any of p.. */
	for (int p = rank == DPD_IN_ORDER ? 0 : rank; p < DPD_RANKS; p++)
		if (rank == DPD_IN_ORDER || srv->batch_rank[p] == at)
			srv->batch_rank[p] = &op->next;
	if (rank == DP_PREC_FLASH)
		srv->batch_cut = &op->next;
	srv->batch_len++;
	/*
	 * Idle writer: commit after the events already pending, so one commit
	 * covers them all.  Busy writer: done_cb hands this batch over.
	 */
	if (srv->batch_len == 1 && !srv->busy)
		event_active(srv->commit_ev, EV_TIMEOUT, 0);
}
