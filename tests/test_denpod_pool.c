/*
 * tests/test_denpod_pool.c - the worker pool (denpod/pool.h): every job's
 * work runs once on a worker thread and its done hook once on the loop
 * thread, after the work, woken through the loop's event; the drain runs
 * every job submitted so far without the loop; freeing the pool runs what
 * is left; no threads: both hooks at once, in the caller.
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

static void job_work(dpd_job *jb)
{
	struct job *j = (struct job *)(void *)jb;
	if (!j->inline_ok && pthread_equal(pthread_self(), loop_thread))
		bad_work_thread++;
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

static void submit(dpd_pool *p, unsigned in, int inline_ok)
{
	struct job *j = calloc(1, sizeof *j);
	if (!j)
		abort();
	j->job.work = job_work;
	j->job.done = job_done;
	j->in = in;
	j->inline_ok = inline_ok;
	dpd_pool_submit(p, &j->job);
}

static void tick(evutil_socket_t fd, short what, void *arg) {}

static void reset(void)
{
	n_done = bad_work_thread = bad_done_thread = bad_order = 0;
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
