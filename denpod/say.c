/*
 * denpod/say.c - rate-limited log lines (see say.h).
 *
 * Periods run on CLOCK_MONOTONIC: a clock stepped back (the very fault
 * operators must be told about) neither floods nor silences the log.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "denpod/say.h"

typedef struct {
	uint64_t hash;      /* of line; 0: a free slot */
	int64_t first_ms;   /* when the line was last written in full */
	int64_t last_ms;    /* when it was last said */
	uint64_t last_seq;  /* ... in the order of all lines said (which gives way first) */
	unsigned long more; /* said since first_ms without being written */
	int kv;             /* a keyed (logfmt) line: its count is written as fields */
	char key[DPD_SAY_LINE_MAX];  /* what repeats: the line itself, or the caller's key */
	char line[DPD_SAY_LINE_MAX]; /* keyed: the last line said; else = key */
} slot;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static slot slots[DPD_SAY_SLOTS];
static uint64_t said; /* lines said so far */
static int at_exit_set;
/* a line with its count (write_count): the longest put() is given */
#define COUNT_LINE_MAX (DPD_SAY_LINE_MAX + 96)
_Static_assert(COUNT_LINE_MAX <= DPD_SAY_HELD, "a line fits in what is held");
/* keyed lines held (dpd_say_hold) until dpd_say_drain writes them at once */
static char held[DPD_SAY_HELD];
static size_t nheld;
static void (*wake_fn)(void *);
static void *wake_arg;
/* calls of wake_fn under way (made outside mu); dpd_say_hold waits for none */
static unsigned waking;
static pthread_cond_t woken = PTHREAD_COND_INITIALIZER;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* FNV-1a, never 0 (0 marks a free slot). */
static uint64_t hash_of(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h ? h : 1;
}

static void write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(2, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* stderr is gone: nothing else to tell */
		p += w;
		n -= (size_t)w;
	}
}

static void drain_locked(void)
{
	write_all(held, nheld);
	nheld = 0;
}

/*
 * One line out (n bytes, its newline included); mu held.  A keyed line
 * is held while a waker is set; any other line first writes what is held,
 * so lines said by this module keep their order.  1: the waker is due (the
 * first line held since the last drain).
 */
static int put(int kv, const char *p, size_t n)
{
	if (!kv || !wake_fn) {
		drain_locked();
		write_all(p, n);
		return 0;
	}
	if (nheld + n > sizeof held)
		drain_locked();
	int first = nheld == 0;
	memcpy(held + nheld, p, n); /* n <= COUNT_LINE_MAX <= sizeof held */
	nheld += n;
	return first;
}

/* The count of a slot (its period over, or it gives way); mu held.  1: the waker is due. */
static int write_count(slot *s)
{
	char b[COUNT_LINE_MAX];
	long long within = (long long)((s->last_ms - s->first_ms) / 1000 + 1);
	int n = 0;
	if (s->more && s->kv)
		n = snprintf(b, sizeof b, "%s repeated=%lu window_s=%lld\n", s->line, s->more, within);
	else if (s->more)
		n = snprintf(b, sizeof b, "%s (said %lu more time%s within %lld s)\n", s->line, s->more,
			     s->more == 1 ? "" : "s", within);
	s->more = 0;
	if (n <= 0)
		return 0;
	return put(s->kv, b, (size_t)n < sizeof b ? (size_t)n : sizeof b - 1);
}

static int flush_locked(int64_t now, int all)
{
	int wake = 0;
	for (size_t i = 0; i < DPD_SAY_SLOTS; i++)
		if (slots[i].more && (all || now - slots[i].first_ms >= DPD_SAY_PERIOD * 1000))
			wake |= write_count(&slots[i]);
	return wake;
}

void dpd_say_flush(void)
{
	pthread_mutex_lock(&mu);
	flush_locked(now_ms(), 1);
	drain_locked();
	pthread_mutex_unlock(&mu);
	fflush(stderr);
}

void dpd_say_drain(void)
{
	pthread_mutex_lock(&mu);
	drain_locked();
	pthread_mutex_unlock(&mu);
}

void dpd_say_hold(void (*wake)(void *arg), void *arg)
{
	pthread_mutex_lock(&mu);
	drain_locked();
	wake_fn = wake;
	wake_arg = arg;
	/* a thread that took the old waker before this is done with it before its arg goes */
	while (waking)
		pthread_cond_wait(&woken, &mu);
	pthread_mutex_unlock(&mu);
}

static void at_exit(void) { dpd_say_flush(); }

/* Says line, repeated when key repeats; kv: key is not the line. */
static void say(const char *key, const char *line, int kv)
{
	uint64_t h = hash_of(key);
	pthread_mutex_lock(&mu);
	if (!at_exit_set)
		at_exit_set = atexit(at_exit) == 0;
	int64_t now = now_ms();
	int wake = flush_locked(now, 0); /* periods that ended since the last line: their counts first */
	slot *s = NULL, *victim = NULL;
	for (size_t i = 0; i < DPD_SAY_SLOTS && !s; i++) {
		slot *t = &slots[i];
		if (t->hash == h && t->kv == kv && strcmp(t->key, key) == 0)
			s = t;
		else if (!victim || (victim->hash && (!t->hash || t->last_seq < victim->last_seq)))
			victim = t; /* a free slot, else the least recently said line */
	}
	said++;
	if (s && now - s->first_ms < DPD_SAY_PERIOD * 1000) {
		s->more++; /* within its period: counted, not written */
		s->last_ms = now;
		s->last_seq = said;
		if (kv)
			snprintf(s->line, sizeof s->line, "%s", line); /* the count goes with the last */
	} else {
		if (!s) {
			s = victim;
			wake |= write_count(s); /* the line giving way: its count before it is forgotten */
			s->hash = h;
			s->kv = kv;
			snprintf(s->key, sizeof s->key, "%s", key);
		}
		snprintf(s->line, sizeof s->line, "%s", line);
		s->first_ms = s->last_ms = now;
		s->last_seq = said;
		s->more = 0;
		char b[DPD_SAY_LINE_MAX + 1];
		int n = snprintf(b, sizeof b, "%s\n", line);
		wake |= put(kv, b, (size_t)n < sizeof b ? (size_t)n : sizeof b - 1);
	}
	void (*fn)(void *) = wake ? wake_fn : NULL;
	void *arg = wake_arg;
	waking += fn != NULL;
	pthread_mutex_unlock(&mu);
	if (!fn)
		return;
	fn(arg); /* outside mu: the waker may take the loop's lock */
	pthread_mutex_lock(&mu);
	if (!--waking)
		pthread_cond_broadcast(&woken);
	pthread_mutex_unlock(&mu);
}

/* Formats the line, then says it (key NULL: the line is its own key). */
static void vsay(const char *key, const char *fmt, va_list ap)
{
	char line[DPD_SAY_LINE_MAX];
	vsnprintf(line, sizeof line, fmt, ap);
	say(key ? key : line, line, key != NULL);
}

void dpd_say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(NULL, fmt, ap);
	va_end(ap);
}

void dpd_say_keyed(const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(key, fmt, ap);
	va_end(ap);
}
