/*
 * denpod/say.c - rate-limited log lines (see say.h).
 *
 * Periods run on CLOCK_MONOTONIC: a clock stepped back (the very fault
 * operators must be told about) neither floods nor silences the log.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* The count of a slot (its period over, or it gives way); mu held. */
static void write_count(slot *s)
{
	long long within = (long long)((s->last_ms - s->first_ms) / 1000 + 1);
	if (s->more && s->kv)
		fprintf(stderr, "%s repeated=%lu window_s=%lld\n", s->line, s->more, within);
	else if (s->more)
		fprintf(stderr, "%s (said %lu more time%s within %lld s)\n", s->line, s->more,
			s->more == 1 ? "" : "s", within);
	s->more = 0;
}

static void flush_locked(int64_t now, int all)
{
	for (size_t i = 0; i < DPD_SAY_SLOTS; i++)
		if (slots[i].more && (all || now - slots[i].first_ms >= DPD_SAY_PERIOD * 1000))
			write_count(&slots[i]);
}

void dpd_say_flush(void)
{
	pthread_mutex_lock(&mu);
	flush_locked(now_ms(), 1);
	pthread_mutex_unlock(&mu);
	fflush(stderr);
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
	flush_locked(now, 0); /* periods that ended since the last line: their counts first */
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
		pthread_mutex_unlock(&mu);
		return;
	}
	if (!s) {
		s = victim;
		write_count(s); /* the line giving way: its count before it is forgotten */
		s->hash = h;
		s->kv = kv;
		snprintf(s->key, sizeof s->key, "%s", key);
	}
	snprintf(s->line, sizeof s->line, "%s", line);
	s->first_ms = s->last_ms = now;
	s->last_seq = said;
	s->more = 0;
	fprintf(stderr, "%s\n", line);
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
