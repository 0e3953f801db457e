/*
 * denpod/ftrace.h - a FLASH's time stage by stage (issue 17), for a build
 * made with -DDPD_FLASH_TRACE only:
 *
 *   make BUILD=build-trace CFLAGS=-DDPD_FLASH_TRACE build-trace/denpod
 *
 * Each submission's job and op carry the monotonic time (ns) of each stage;
 * when a FLASH's waiters have been answered the loop prints one line
 * "ftrace ..." to stderr (bench/flash_cost.sh sums them up).  In the
 * product build every hook is empty: no field, no clock read, no cost per
 * request.
 *
 * The trace build also sends every other FLASH the way of the other
 * submissions (the pool's queue, not the loop at once: api_cable.c), and
 * says which ("arm 1": at once, 0: the queue): both ways measured
 * interleaved, in the same run, on a machine whose load changes from one
 * run to the next.
 */
#ifndef DENPOD_FTRACE_H
#define DENPOD_FTRACE_H

enum {
	DPD_FT_POST,    /* loop: the request read, its job queued to the pool */
	DPD_FT_WORK0,   /* worker: took the job */
	DPD_FT_WORK1,   /* worker: parsed and verified */
	DPD_FT_DONE0,   /* loop: the pool's done list taken */
	DPD_FT_JUDGE,   /* loop: its done hook began (after the jobs before it in the list) */
	DPD_FT_ADD,     /* loop: judged, added to the pending batch */
	DPD_FT_HAND,    /* loop: its batch handed to the writer */
	DPD_FT_WSTART,  /* writer: took the batch */
	DPD_FT_WEND,    /* writer: committed */
	DPD_FT_FINISH,  /* loop: the written batch taken */
	DPD_FT_WAKE,    /* loop: its committed hook began (after every answer of the batch) */
	DPD_FT_WOKEN,   /* loop: its waiters answered */
	DPD_FT_N
};

#ifdef DPD_FLASH_TRACE
#include <stdint.h>
#include <time.h>
static inline int64_t dpd_ft_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
/* ft: each stage's time; ft_n: jobs ahead of it in the pool, its place in the loop's done list,
   its batch's ops, the ops of the batch in flight when it was added, its arm */
#define DPD_FT_FIELDS int64_t ft[DPD_FT_N]; int ft_n[5];
#define DPD_FT(x, i) ((x)->ft[i] = dpd_ft_now())
#define DPD_FT_ON 1
#else
#define DPD_FT_FIELDS
#define DPD_FT(x, i) ((void)0)
#define DPD_FT_ON 0
#endif

#endif
