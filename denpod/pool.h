/*
 * denpod/pool.h - a small pool of worker threads for the state-free,
 * CPU-heavy part of a request (a submission's parse and Ed25519 signature
 * check, api_cable.c), so more than one core verifies while the loop
 * thread keeps reading, judging and answering.
 *
 * A job is a struct of its owner's with `dpd_job` as its FIRST member (as
 * an op embeds dpd_op, op.h).  Its work hook runs on a worker thread and
 * may read and write only the job's own struct: no store, no request, no
 * server state (the loop owns them).  Its done hook then runs on the loop
 * thread, woken by an event the worker makes active (the writer's way,
 * batch.c), and owns the job from there on (frees it).  Each hook runs
 * exactly once per job, work always before done, also for the jobs left
 * when the pool is freed (so work may initialise what done frees).  Jobs finished
 * together are done in the order they finished; a request's own order is
 * kept by evhttp, which reads a connection's next request only after the
 * answer to the one before.
 *
 * Ownership: the worker must not see memory the loop may free.  A job
 * carries its own copy of the bytes it works on; a request the job
 * answers is held (dpd_req_hold) so a peer that goes away meanwhile only
 * clears rq.req, and the done hook carries on exactly as for an op whose
 * client vanished (batch.c): the write is made, nobody is answered.
 *
 * threads = 0: no threads; dpd_pool_submit runs work then done at once on
 * the loop thread (the switch as it was before the pool).
 */
#ifndef DENPOD_POOL_H
#define DENPOD_POOL_H

#include "denpo/error.h"
#include "denpod/ftrace.h"

struct event_base;
typedef struct dpd_pool dpd_pool;
typedef struct dpd_job dpd_job;

struct dpd_job {
	dpd_job *next;              /* the pool's queues */
	void (*work)(dpd_job *j);   /* worker thread: the state-free part */
	void (*done)(dpd_job *j);   /* loop thread, after work: the rest; owns (frees) the job */
	DPD_FT_FIELDS               /* a -DDPD_FLASH_TRACE build only (ftrace.h) */
};

/* The most worker threads denpod.conf may ask for (verify_threads=). */
#define DPD_POOL_MAX 64

/*
 * A pool of `threads` workers (0..DPD_POOL_MAX) whose done hooks run on
 * base's loop (a thread-safe base: evthread_use_pthreads) at event
 * priority prio.  Start it before the sandbox (it creates the threads).
 * DP_ENOMEM, DP_EINVAL.
 */
int dpd_pool_new(dpd_pool **out, struct event_base *base, unsigned threads, int prio) DP_WUR;
/* Loop thread: queue j (its work and done hooks set).  p NULL or no threads: both run now. */
void dpd_pool_submit(dpd_pool *p, dpd_job *j);
/*
 * Loop thread: a job whose answer is urgent (a submission that claims to
 * be a FLASH, api_cable.c) of bytes bytes: its work and done hooks run
 * now, on the loop, sparing it the queue, a worker's wake-up and the
 * loop's; past a budget (DPD_POOL_URGENT_RATE a second, a burst of
 * DPD_POOL_URGENT_BURST), or larger than DPD_POOL_URGENT_BYTES, it goes to
 * the queue behind the urgent jobs already there and ahead of every other
 * instead.  The claim is unchecked (the job itself checks it): a false one
 * buys its sender order, and of the loop's time no more than the budget's
 * count of jobs of at most DPD_POOL_URGENT_BYTES.
 */
void dpd_pool_submit_urgent(dpd_pool *p, dpd_job *j, size_t bytes);
#define DPD_POOL_URGENT_RATE 200
#define DPD_POOL_URGENT_BURST 20
#define DPD_POOL_URGENT_BYTES (256 * 1024)
/* Loop thread: wait for every job queued so far and run its done hook (shutdown). */
void dpd_pool_drain(dpd_pool *p);
/*
 * Loop thread: stop and join the workers, run the done hook of every job
 * still queued or finished (a queued one's work first), free the pool.
 * NULL: nothing.
 */
void dpd_pool_free(dpd_pool *p);

#endif
