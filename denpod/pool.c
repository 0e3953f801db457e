/*
 * denpod/pool.c - worker threads for the state-free part of a request
 * (see pool.h).
 *
 * Two queues under one mutex: `todo` (submitted, not yet taken by a
 * worker) and `done` (worked, waiting for the loop).  A worker that puts
 * the first job into an empty `done` makes the pool's event active; the
 * loop's callback takes the whole list at once, so a burst of results
 * costs one wake-up.  `busy` counts the jobs a worker holds, so the drain
 * at shutdown knows when nothing is left in flight.  An urgent job skips
 * all of it within its budget (a token bucket the loop alone touches), and
 * past it only jumps the `todo` queue.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include <event2/event.h>

#include "denpod/pool.h"

struct dpd_pool {
	pthread_mutex_t mu;
	pthread_cond_t todo_cv; /* a job queued, or quit */
	pthread_cond_t idle_cv; /* a job finished (the drain waits for none in flight) */
	dpd_job *todo, **todo_tail;
	dpd_job **urgent_tail; /* after the last urgent job at todo's head (&todo: none): urgent in order */
	dpd_job *done, **done_tail;
	unsigned busy; /* jobs a worker is working on */
	unsigned idle; /* workers waiting on todo_cv: a submission wakes one only if one waits */
	int quit;
	unsigned nthreads; /* started */
#if DPD_FT_ON
	int ft_todo; /* jobs in todo */
#endif
	pthread_t th[DPD_POOL_MAX];
	struct event *ev; /* made active by a worker: done_cb on the loop */
	double urgent_tokens;  /* loop thread: urgent jobs the loop may still run itself */
	int64_t urgent_ns;     /* loop thread: when urgent_tokens was last filled */
};

static void put(dpd_job ***tail, dpd_job *j)
{
	j->next = NULL;
	**tail = j;
	*tail = &j->next;
}

static void *worker_main(void *arg)
{
	dpd_pool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->todo && !p->quit) {
			p->idle++;
			pthread_cond_wait(&p->todo_cv, &p->mu);
			p->idle--;
		}
		if (p->quit)
			break; /* dpd_pool_free does what is left, on the loop */
		dpd_job *j = p->todo;
		p->todo = j->next;
		if (!p->todo)
			p->todo_tail = &p->todo;
		if (p->urgent_tail == &j->next)
			p->urgent_tail = &p->todo; /* the last urgent one taken */
		p->busy++;
#if DPD_FT_ON
		p->ft_todo--;
#endif
		pthread_mutex_unlock(&p->mu);
		DPD_FT(j, DPD_FT_WORK0);
		j->work(j);
		DPD_FT(j, DPD_FT_WORK1);
		pthread_mutex_lock(&p->mu);
		p->busy--;
		int wake = !p->done;
		put(&p->done_tail, j);
		pthread_cond_broadcast(&p->idle_cv);
		if (wake)
			event_active(p->ev, EV_READ, 0); /* thread-safe base */
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Loop thread: the finished jobs, in the order they finished (p->mu held by nobody). */
static dpd_job *take_done(dpd_pool *p)
{
	pthread_mutex_lock(&p->mu);
	dpd_job *list = p->done;
	p->done = NULL;
	p->done_tail = &p->done;
	pthread_mutex_unlock(&p->mu);
	return list;
}

static void run_done(dpd_job *list)
{
#if DPD_FT_ON
	int pos = 0;
	for (dpd_job *j = list; j; j = j->next) {
		DPD_FT(j, DPD_FT_DONE0);
		j->ft_n[1] = pos++;
	}
#endif
	while (list) {
		dpd_job *n = list->next;
		DPD_FT(list, DPD_FT_JUDGE);
		list->done(list); /* frees list */
		list = n;
	}
}

static void done_cb(evutil_socket_t fd, short what, void *arg)
{
	run_done(take_done(arg)); /* empty if the drain took them first */
}

int dpd_pool_new(dpd_pool **out, struct event_base *base, unsigned threads, int prio)
{
	*out = NULL;
	if (threads > DPD_POOL_MAX)
		return DP_EINVAL;
	dpd_pool *p = calloc(1, sizeof *p);
	if (!p)
		return DP_ENOMEM;
	p->todo_tail = &p->todo;
	p->urgent_tail = &p->todo;
	p->done_tail = &p->done;
	if (pthread_mutex_init(&p->mu, NULL)) {
		free(p);
		return DP_ENOMEM;
	}
	if (pthread_cond_init(&p->todo_cv, NULL)) {
		pthread_mutex_destroy(&p->mu);
		free(p);
		return DP_ENOMEM;
	}
	if (pthread_cond_init(&p->idle_cv, NULL)) {
		pthread_cond_destroy(&p->todo_cv);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return DP_ENOMEM;
	}
	p->ev = event_new(base, -1, 0, done_cb, p);
	if (!p->ev || event_priority_set(p->ev, prio)) {
		dpd_pool_free(p);
		return DP_ENOMEM;
	}
	for (; p->nthreads < threads; p->nthreads++)
		if (pthread_create(&p->th[p->nthreads], NULL, worker_main, p)) {
			dpd_pool_free(p);
			return DP_ENOMEM;
		} else
			(void)pthread_setname_np(p->th[p->nthreads], "dpd-verify");
	*out = p;
	return DP_OK;
}

void dpd_pool_submit(dpd_pool *p, dpd_job *j)
{
	if (!p || !p->nthreads) {
#if DPD_FT_ON
		j->ft[DPD_FT_POST] = j->ft[DPD_FT_WORK0] = dpd_ft_now();
		j->ft_n[0] = j->ft_n[1] = 0;
#endif
		j->work(j);
#if DPD_FT_ON
		j->ft[DPD_FT_WORK1] = j->ft[DPD_FT_DONE0] = j->ft[DPD_FT_JUDGE] = dpd_ft_now();
#endif
		j->done(j);
		return;
	}
	pthread_mutex_lock(&p->mu);
#if DPD_FT_ON
	DPD_FT(j, DPD_FT_POST);
	j->ft_n[0] = p->ft_todo++;
#endif
	put(&p->todo_tail, j);
	/* a busy worker looks at todo before it waits: waking is for idle ones (a futex call) */
	if (p->idle)
		pthread_cond_signal(&p->todo_cv);
	pthread_mutex_unlock(&p->mu);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void dpd_pool_submit_urgent(dpd_pool *p, dpd_job *j, size_t bytes)
{
	if (!p || !p->nthreads) {
		dpd_pool_submit(p, j);
		return;
	}
	/* the budget: a token bucket, filled at DPD_POOL_URGENT_RATE a second; a large job is
	 * never run here (hashing 64 MiB would hold every connection up for tens of ms) */
	int64_t t = now_ns();
	p->urgent_tokens += (double)(t - p->urgent_ns) * DPD_POOL_URGENT_RATE / 1e9;
	if (p->urgent_tokens > DPD_POOL_URGENT_BURST)
		p->urgent_tokens = DPD_POOL_URGENT_BURST;
	p->urgent_ns = t;
	if (bytes <= DPD_POOL_URGENT_BYTES && p->urgent_tokens >= 1) {
		p->urgent_tokens -= 1;
		dpd_pool_submit(NULL, j); /* work then done, here */
		return;
	}
	pthread_mutex_lock(&p->mu);
#if DPD_FT_ON
	DPD_FT(j, DPD_FT_POST);
	j->ft_n[0] = 0;
	p->ft_todo++;
#endif
	/* after the urgent ones queued before it (first come, first served among them), ahead of
	 * every other: a stream of false claims past the budget cannot push a real FLASH back */
	j->next = *p->urgent_tail;
	*p->urgent_tail = j;
	p->urgent_tail = &j->next;
	if (!j->next)
		p->todo_tail = &j->next;
	if (p->idle)
		pthread_cond_signal(&p->todo_cv);
	pthread_mutex_unlock(&p->mu);
}

void dpd_pool_drain(dpd_pool *p)
{
	if (!p)
		return;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->todo || p->busy)
			pthread_cond_wait(&p->idle_cv, &p->mu);
		pthread_mutex_unlock(&p->mu);
		dpd_job *list = take_done(p);
		if (!list)
			break;
		run_done(list); /* a done hook may queue a new job: wait for it too */
	}
}

void dpd_pool_free(dpd_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->todo_cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->th[i], NULL);
	/* the workers are gone: what they finished, then what none took, here */
	run_done(take_done(p));
	dpd_job *j = p->todo;
	p->todo = NULL;
	while (j) {
		dpd_job *n = j->next;
		j->work(j);
		j->done(j);
		j = n;
	}
	if (p->ev)
		event_free(p->ev);
	pthread_cond_destroy(&p->idle_cv);
	pthread_cond_destroy(&p->todo_cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
