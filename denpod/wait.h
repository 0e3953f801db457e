/*
 * denpod/wait.h - held long-polls (GET /v1/inbox?wait=N): a request that
 * waits until its device has a new cable, its time runs out, or the
 * device holds too many.  Loop thread only.
 *
 * The waiter does not know what its answer is: the endpoint that held it
 * gives the answer function (api.c: the device's inbox), and this file
 * only files waiters by device, times them out and wakes them.  A commit
 * that queued a cable for a device wakes its waiters (the submission's
 * op, op.h).
 */
#ifndef DENPOD_WAIT_H
#define DENPOD_WAIT_H

#include <stddef.h>
#include <stdint.h>

#include "denpod/req.h"

#define DPD_WAIT_MAX 60
#define DPD_WAIT_BUCKETS 4096
#define DPD_WAIT_PER_DEVICE 8 /* held long-polls per device; a 9th answers the oldest */

struct event;

/* A long-poll GET /v1/inbox?wait=N. */
typedef struct dpd_waiter {
	struct dpd_waiter *next, **pprev;
	dpd_req rq;
	uint8_t device[32];
	size_t limit;
	int64_t log_size; /* -1: no proofs asked for */
	struct event *timer;
	/* answers rq (it was released) and frees w with dpd_wait_drop: at the time out, a wake-up,
	   or when the device's cap pushes it out */
	void (*answer)(struct dpd_server *srv, struct dpd_waiter *w);
} dpd_waiter;

/* Holds w (calloc'd, rq, device and answer set) for at most seconds; it is answered at once
   if its timer cannot be made. */
void dpd_wait_add(struct dpd_server *srv, dpd_waiter *w, int seconds);
/* Answers every waiter of the device now. */
void dpd_wait_notify(struct dpd_server *srv, const uint8_t device[32]);
/* Answers every waiter of every device now (a wake-up may have been missed: each re-polls). */
void dpd_wait_notify_all(struct dpd_server *srv);
/* Unlinks and frees w (its connection went away, or it was answered). */
void dpd_wait_drop(dpd_waiter *w);

#endif
