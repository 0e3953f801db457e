/*
 * tests/test_denpod_pool.c - the worker pool (denpod/pool.h): every job's
 * work runs once on a worker thread and its done hook once on the loop
 * thread, after the work, woken through the loop's event; the drain runs
 * every job submitted so far without the loop; freeing the pool runs what
 * is left; no threads: both hooks at once, in the caller; an urgent job
 * runs at once in the caller within its budget, and past it is the next a
 * worker takes.
 */
#include <pthread.h>
#include <stdlib.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "denpod/pool.h"
#include "tests/harness.h"

#define N 200

static pthread_t loop_thread;
static int n_done, bad_work_thread, bad_done_thread, bad_order;

struct job {
	dpd_job job;
	unsigned in;
	unsigned long out; /* work: in * in */
	int worked;
	int inline_ok;     /* no threads: work may run on the caller */
};

/* the order the workers (not the caller) took the jobs in (their `in`); a job of in == GATE
   waits for the gate */
#define GATE 1000000u
static pthread_mutex_t order_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_open = 1;
static unsigned order[N], n_order;

static void job_work(dpd_job *jb)
{
	struct job *j = (struct job *)(void *)jb;
	if (!j->inline_ok && pthread_equal(pthread_self(), loop_thread))
		bad_work_thread++;
	pthread_mutex_lock(&order_mu);
	if (n_order < N && !pthread_equal(pthread_self(), loop_thread))
		order[n_order++] = j->in;
	while (j->in == GATE && !gate_open)
		pthread_cond_wait(&gate_cv, &order_mu);
	pthread_mutex_unlock(&order_mu);
	j->out = (unsigned long)j->in * j->in;
	j->worked++;
}

static void job_done(dpd_job *jb)
{
	struct job *j = (struct job *)(void *)jb;
	if (!pthread_equal(pthread_self(), loop_thread))
		bad_done_thread++;
	if (j->worked != 1 || j->out != (unsigned long)j->in * j->in)
		bad_order++;
	n_done++;
	free(j);
}

static void submit_how(dpd_pool *p, unsigned in, int inline_ok, int urgent, size_t bytes)
{
	struct job *j = calloc(1, sizeof *j);
	if (!j)
		abort();
	j->job.work = job_work;
	j->job.done = job_done;
	j->in = in;
	j->inline_ok = inline_ok;
	if (urgent)
		dpd_pool_submit_urgent(p, &j->job, bytes);
	else
		dpd_pool_submit(p, &j->job);
}

static void submit(dpd_pool *p, unsigned in, int inline_ok)
{
	submit_how(p, in, inline_ok, 0, 0);
}

static void tick(evutil_socket_t fd, short what, void *arg) {}

static void reset(void)
{
	n_done = bad_work_thread = bad_done_thread = bad_order = 0;
	n_order = 0;
}

int main(void)
{
	loop_thread = pthread_self();
	CHECK(evthread_use_pthreads() == 0);
	struct event_base *base = event_base_new();
	CHECK(base != NULL);
	if (!base)
		return t_done("test_denpod_pool");
	dpd_pool *p = NULL;
	CHECK(dpd_pool_new(&p, base, DPD_POOL_MAX + 1, 0) == DP_EINVAL && p == NULL);

	/* two workers: the loop gets every result through its event */
	CHECK(dpd_pool_new(&p, base, 2, 0) == DP_OK && p != NULL);
	/* a loop with nothing else to wait for returns at once: a timer keeps it waiting */
	struct timeval ms10 = {0, 10000};
	struct event *t = event_new(base, -1, EV_PERSIST, tick, NULL);
	CHECK(t && event_add(t, &ms10) == 0);
	reset();
	for (unsigned i = 0; i < N; i++)
		submit(p, i, 0);
	for (int spins = 0; n_done < N && spins < 100000; spins++)
		event_base_loop(base, EVLOOP_ONCE);
	CHECKF(n_done == N, "%d of %d done", n_done, N);
	CHECK(!bad_work_thread && !bad_done_thread && !bad_order);

	/* the drain: everything submitted, done without the loop */
	reset();
	for (unsigned i = 0; i < N; i++)
		submit(p, i, 0);
	dpd_pool_drain(p);
	CHECKF(n_done == N, "drained %d of %d", n_done, N);
	CHECK(!bad_work_thread && !bad_done_thread && !bad_order);
	event_base_loop(base, EVLOOP_NONBLOCK); /* a wake-up for jobs the drain took: nothing */
	CHECK(n_done == N);

	/* freed with jobs queued or finished: each done once (worked on the loop if none took it) */
	reset();
	for (unsigned i = 0; i < N; i++)
		submit(p, i, 1);
	dpd_pool_free(p);
	CHECKF(n_done == N, "freed with %d of %d done", n_done, N);
	CHECK(!bad_done_thread && !bad_order);

	/*
	 * Urgent jobs: the budget's burst at once, in the caller; then, with the
	 * one worker held by a job at the gate, each next urgent one goes ahead
	 * of the jobs queued before it (taken first when the gate opens).
	 */
	CHECK(dpd_pool_new(&p, base, 1, 0) == DP_OK && p != NULL);
	/* with the whole budget left, a large urgent job is still the worker's, not the caller's */
	reset();
	submit_how(p, 999, 0, 1, DPD_POOL_URGENT_BYTES + 1);
	CHECKF(n_done == 0, "a large urgent job ran in the caller");
	dpd_pool_drain(p);
	CHECK(n_done == 1 && !bad_work_thread && !bad_order);
	reset();
	for (unsigned i = 0; i < DPD_POOL_URGENT_BURST; i++) {
		submit_how(p, i, 1, 1, 4096);
		CHECKF(n_done == (int)i + 1, "urgent job %u done in the caller: %d done", i, n_done);
	}
	CHECK(n_order == 0 && !bad_order);
	reset();
	pthread_mutex_lock(&order_mu);
	gate_open = 0;
	pthread_mutex_unlock(&order_mu);
	submit(p, GATE, 0);
	for (int spins = 0; spins < 100000; spins++) { /* until the worker holds the gate job */
		pthread_mutex_lock(&order_mu);
		unsigned k = n_order;
		pthread_mutex_unlock(&order_mu);
		if (k)
			break;
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
	submit(p, 1, 0);
	submit(p, 2, 0);
	/* urgent ones until one is queued (the budget refilled meanwhile is spent in the caller) */
	unsigned u = 3;
	for (int before = n_done; u < 3 + 10 * DPD_POOL_URGENT_BURST; u++, before = n_done) {
		submit_how(p, u, 1, 1, 4096);
		if (n_done == before)
			break;
	}
	int inline_done = n_done;
	CHECKF(u < 3 + 10 * DPD_POOL_URGENT_BURST, "no urgent job queued past the budget");
	/* a large urgent job is never run in the caller; it queues behind the urgent one before it */
	int before_big = n_done;
	submit_how(p, 1000, 1, 1, DPD_POOL_URGENT_BYTES + 1);
	CHECKF(n_done == before_big, "a large urgent job ran in the caller");
	pthread_mutex_lock(&order_mu);
	gate_open = 1;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&order_mu);
	dpd_pool_drain(p);
	CHECKF(n_done == inline_done + 5, "%d of %d done", n_done, inline_done + 5);
	CHECKF(n_order == 5 && order[0] == GATE && order[1] == u && order[2] == 1000 && order[3] == 1 &&
		       order[4] == 2,
	       "taken in the order %u %u %u %u %u (urgent: %u, 1000)", order[0], order[1], order[2], order[3],
	       order[4], u);
	CHECK(!bad_work_thread && !bad_done_thread && !bad_order);
	dpd_pool_free(p);
	/* no threads: an urgent job too at once, in the caller */
	CHECK(dpd_pool_new(&p, base, 0, 0) == DP_OK && p != NULL);
	reset();
	submit_how(p, 5, 1, 1, 4096);
	CHECK(n_done == 1 && !bad_order);
	dpd_pool_free(p);

	/* no threads: at once, in the caller */
	CHECK(dpd_pool_new(&p, base, 0, 0) == DP_OK && p != NULL);
	reset();
	submit(p, 7, 1);
	CHECK(n_done == 1 && !bad_order);
	dpd_pool_free(p);
	reset();
	submit(NULL, 9, 1);
	CHECK(n_done == 1 && !bad_order);
	dpd_pool_free(NULL);

	event_free(t);
	event_base_free(base);
	return t_done("test_denpod_pool");
}
