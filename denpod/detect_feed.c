/*
 * denpod/detect_feed.c - the events every instance's engine consumes,
 * shared through the store (see detect_feed.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "denpo/crypto.h"
#include "denpod/detect_feed.h"
#include "denpod/say.h"

#define FEED_READ_ROWS 512  /* rows per query */
#define FEED_READ_TURNS 8   /* queries per loop turn; more waits for the next turn */

struct dpd_feed {
	dps_store *st;
	dpd_feed_fn fn;
	void *ctx;
	int64_t inst;
	struct event *flush_ev, *more_ev;
	dp_det_event q[DPD_FEED_QUEUE];
	int64_t qseq[DPD_FEED_QUEUE];
	size_t nq;
	int64_t cursor;          /* the last row read */
	int64_t mark_id, mark_t; /* retention: the cursor at the last trim, and when */
	int reading;             /* inside dpd_feed_read: fn must not re-enter it */
};

static void flush(dpd_feed *f)
{
	if (!f->nq)
		return;
	int r = dps_det_events_put(f->st, f->inst, f->qseq, f->q, f->nq);
	if (r)
		dpd_say("denpod: detect: %zu events could not be shared with the other instances (%s): "
			"their engines miss them; this one judged them", f->nq, dp_strerror(r));
	f->nq = 0;
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	flush(arg);
}

static void on_more(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	dpd_feed_read(arg);
}

int dpd_feed_open(dpd_feed **out, struct event_base *base, dps_store *st, dpd_feed_fn fn,
		  void *ctx)
{
	*out = NULL;
	if (!dps_shared(st))
		return DP_OK;
	dpd_feed *f = calloc(1, sizeof *f);
	if (!f)
		return DP_ENOMEM;
	f->st = st;
	f->fn = fn;
	f->ctx = ctx;
	uint64_t u;
	dp_random(&u, sizeof u);
	f->inst = (int64_t)(u >> 1) | 1; /* positive, never 0 (no feed) */
	f->flush_ev = evtimer_new(base, on_flush, f);
	f->more_ev = evtimer_new(base, on_more, f);
	int r = f->flush_ev && f->more_ev ? DP_OK : DP_ENOMEM;
	if (!r && (r = dps_det_events_last(st, &f->cursor)))
		fprintf(stderr, "denpod: detect: cannot read the shared event feed (%s)\n",
			dp_strerror(r));
	if (r) {
		dpd_feed_close(f);
		return r;
	}
	f->mark_id = f->cursor;
	*out = f;
	return DP_OK;
}

void dpd_feed_close(dpd_feed *f)
{
	if (!f)
		return;
	flush(f);
	if (f->flush_ev)
		event_free(f->flush_ev);
	if (f->more_ev)
		event_free(f->more_ev);
	free(f);
}

int64_t dpd_feed_inst(const dpd_feed *f)
{
	return f ? f->inst : 0;
}

void dpd_feed_share(dpd_feed *f, int64_t lseq, const dp_det_event *e)
{
	if (!f)
		return;
	if (f->nq == DPD_FEED_QUEUE)
		flush(f); /* a burst larger than the queue: written in pieces */
	f->q[f->nq] = *e;
	if (e->kind == DP_DET_SEARCH)
		f->q[f->nq].cable_seq = e->copies; /* a search names no cable: its row's
						      cable_seq holds its copies */
	f->qseq[f->nq++] = lseq;
	/* at the end of this loop turn, once for everything the turn queued */
	struct timeval now = {0, 0};
	if (f->nq == 1 && evtimer_add(f->flush_ev, &now))
		flush(f);
}

static int read_row(void *ctx, int64_t id, int64_t inst, int64_t lseq, const dp_det_event *e)
{
	dpd_feed *f = ctx;
	f->cursor = id;
	if (inst == f->inst)
		return DP_OK;
	if (e->kind == DP_DET_SEARCH) {
		dp_det_event s = *e;
		s.copies = s.cable_seq;
		s.cable_seq = -1;
		f->fn(f->ctx, inst, lseq, &s);
	} else {
		f->fn(f->ctx, inst, lseq, e);
	}
	return DP_OK;
}

struct counted {
	dpd_feed *f;
	size_t n;
};

static int count_row(void *ctx, int64_t id, int64_t inst, int64_t lseq, const dp_det_event *e)
{
	struct counted *c = ctx;
	c->n++;
	return read_row(c->f, id, inst, lseq, e);
}

void dpd_feed_read(dpd_feed *f)
{
	if (!f || f->reading)
		return;
	f->reading = 1;
	for (int turn = 0; turn < FEED_READ_TURNS; turn++) {
		struct counted c = {f, 0};
		int r = dps_det_events_after(f->st, f->cursor, FEED_READ_ROWS, count_row, &c);
		if (r) {
			dpd_say("denpod: detect: cannot read the other instances' events (%s); "
				"retrying in a second", dp_strerror(r));
			break;
		}
		if (c.n < FEED_READ_ROWS)
			break;
		if (turn == FEED_READ_TURNS - 1) {
			/* a long backlog: the rest in the next turn, requests served between */
			struct timeval now = {0, 0};
			(void)evtimer_add(f->more_ev, &now);
		}
	}
	f->reading = 0;
}

int dpd_feed_heard(const dpd_feed *f, const char *payload)
{
	char hex[17];
	if (!f)
		return 0;
	snprintf(hex, sizeof hex, "%016llx", (unsigned long long)f->inst);
	return strcmp(payload, hex) != 0;
}

void dpd_feed_tick(dpd_feed *f, int64_t now)
{
	if (!f)
		return;
	if (!f->mark_t)
		f->mark_t = now;
	if (now - f->mark_t < DPD_FEED_KEEP_S)
		return;
	/* rows read at the last mark are at least DPD_FEED_KEEP_S old: every instance had its chance */
	int r = f->mark_id > 0 ? dps_det_events_trim(f->st, f->mark_id) : DP_OK;
	if (r)
		dpd_say("denpod: detect: cannot trim the shared event feed (%s); retrying",
			dp_strerror(r));
	f->mark_id = f->cursor;
	f->mark_t = now;
}
