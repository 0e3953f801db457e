/*
 * denpod/wait.c - held long-polls (see wait.h).
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "denpod/server.h"
#include "denpod/wait.h"

static size_t bucket(const uint8_t device[32])
{
	return ((size_t)device[0] << 8 | device[1]) % DPD_WAIT_BUCKETS;
}


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
	dpd_req_release(&w->rq);
	w->answer(srv, w);
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

void dpd_wait_notify_all(dpd_server *srv)
{
	for (size_t b = 0; b < DPD_WAIT_BUCKETS; b++)
		while (srv->waiters[b])
			answer_waiter(srv, srv->waiters[b]);
}
