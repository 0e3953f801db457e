/*
 * tests/test_denpod_say.c - the switch's rate-limited log lines
 * (denpod/say.h): a line is written once, its repeats within the period
 * are counted and the count written on flush; different lines never hide
 * each other; past DPD_SAY_SLOTS lines the least recently said gives way
 * with its count; nothing is lost, only counted; keyed lines held
 * (dpd_say_hold) are written together on a drain, after the lines said
 * before them and before any plain line said after them.  stderr goes to a
 * file.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denpod/say.h"
#include "tests/harness.h"

static char path[] = "/tmp/test_denpod_say.XXXXXX";
static int saved = -1;

/* stderr into the file, from the start */
static void capture(void)
{
	fflush(stderr);
	int fd = open(path, O_WRONLY | O_TRUNC);
	if (saved < 0)
		saved = dup(2);
	dup2(fd, 2);
	close(fd);
}

/* stderr back; the file's lines into buf */
static size_t release(char *buf, size_t cap)
{
	fflush(stderr);
	dup2(saved, 2);
	size_t n = 0;
	uint8_t *p = t_read_file(path, &n);
	if (n >= cap)
		n = cap - 1;
	if (p)
		memcpy(buf, p, n);
	buf[n] = 0;
	free(p);
	size_t lines = 0;
	for (size_t i = 0; i < n; i++)
		lines += buf[i] == '\n';
	return lines;
}

static int wakes;
static void wake(void *arg)
{
	(void)arg;
	wakes++;
}

/*
 * A waker still running in one thread while another unsets it (the switch
 * stopping while its writer logs): dpd_say_hold(NULL) returns only after
 * the waker has, so that what it was given (the loop's event) may be freed.
 */
static pthread_mutex_t tmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tcv = PTHREAD_COND_INITIALIZER;
static int in_waker, unsetting, unset, unset_seen;

static void slow_wake(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&tmu);
	in_waker = 1;
	pthread_cond_broadcast(&tcv);
	while (!unsetting)
		pthread_cond_wait(&tcv, &tmu);
	pthread_mutex_unlock(&tmu);
	/* time for dpd_say_hold(NULL) to return, had it not waited for this call (it must) */
	usleep(100 * 1000);
	pthread_mutex_lock(&tmu);
	unset_seen = unset;
	pthread_mutex_unlock(&tmu);
}

static void *say_one(void *arg)
{
	(void)arg;
	dpd_say_keyed("dev7 GET /v1/inbox 200", "denpod: request dev=7");
	return NULL;
}

static void *unset_waker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&tmu);
	unsetting = 1;
	pthread_cond_broadcast(&tcv);
	pthread_mutex_unlock(&tmu);
	dpd_say_hold(NULL, NULL);
	pthread_mutex_lock(&tmu);
	unset = 1;
	pthread_mutex_unlock(&tmu);
	return NULL;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

int main(void)
{
	static char out[1 << 20];
	static char big[4 * DPD_SAY_LINE_MAX];
	memset(big, 'x', sizeof big - 1);
	int fd = mkstemp(path);
	if (fd < 0)
		return 1;
	close(fd);

	/* 5000 times the same line: written once, then its count */
	capture();
	for (int i = 0; i < 5000; i++)
		dpd_say("denpod: POST /v1/cables dev=%s %d", "3f2a9c81d0e4", 507);
	size_t n = release(out, sizeof out);
	CHECKF(n == 1, "one line for 5000 said, got %zu:\n%s", n, out);
	CHECK(!strcmp(out, "denpod: POST /v1/cables dev=3f2a9c81d0e4 507\n"));
	capture();
	dpd_say_flush();
	n = release(out, sizeof out);
	CHECKF(n == 1 && strstr(out, "denpod: POST /v1/cables dev=3f2a9c81d0e4 507 (said 4999 more "
				     "times within 1 s)"), "%s", out);
	capture();
	dpd_say_flush(); /* counted once: nothing more to say */
	n = release(out, sizeof out);
	CHECKF(n == 0, "%s", out);

	/* different lines (devices, statuses, faults) never hide each other */
	capture();
	for (int i = 0; i < 100; i++) {
		dpd_say("denpod: GET /v1/inbox dev=aaaa %d", 200);
		dpd_say("denpod: GET /v1/inbox dev=bbbb %d", 200);
		dpd_say("denpod: GET /v1/inbox dev=aaaa %d", 403);
		dpd_say("denpod: store: %s", "database or disk is full");
	}
	dpd_say_flush();
	n = release(out, sizeof out);
	CHECKF(n == 8, "4 lines and 4 counts, got %zu:\n%s", n, out);
	CHECK(count(out, "dev=aaaa 200\n") == 1 && count(out, "dev=bbbb 200\n") == 1);
	CHECK(count(out, "dev=aaaa 403\n") == 1 && count(out, "is full\n") == 1);
	CHECK(count(out, "(said 99 more times within 1 s)") == 4);

	/* a line said once has no count; one said twice "1 more time" */
	capture();
	dpd_say("denpod: once");
	dpd_say("denpod: twice");
	dpd_say("denpod: twice");
	dpd_say_flush();
	n = release(out, sizeof out);
	CHECKF(n == 3 && strstr(out, "denpod: twice (said 1 more time within 1 s)\n") &&
		       !strstr(out, "once (said"), "%s", out);

	/* more distinct lines than slots: the least recently said gives way, its count first */
	capture();
	dpd_say("denpod: old");
	dpd_say("denpod: old");
	for (int i = 0; i < 2 * DPD_SAY_SLOTS; i++) /* every line followed before gives way */
		dpd_say("denpod: line %d", i);
	n = release(out, sizeof out);
	CHECKF(count(out, "denpod: old (said 1 more time within 1 s)\n") == 1, "the evicted line's count: %s", out);
	CHECK(n == 2 * (size_t)DPD_SAY_SLOTS + 2);
	capture();
	dpd_say("denpod: old"); /* forgotten: written in full again */
	dpd_say_flush();
	n = release(out, sizeof out);
	CHECKF(n == 1 && !strcmp(out, "denpod: old\n"), "%s", out);

	/* keyed lines: repetition judged on the key, the count after the last line said */
	capture();
	for (int i = 0; i < 100; i++)
		dpd_say_keyed("dev1 GET /v1/inbox 200", "denpod: request latency_ms=%d status=200", i);
	dpd_say_keyed("dev1 GET /v1/inbox 403", "denpod: request latency_ms=%d status=403", 7);
	dpd_say_flush();
	n = release(out, sizeof out);
	CHECKF(n == 3 && count(out, "denpod: request latency_ms=0 status=200\n") == 1 &&
		       count(out, "denpod: request latency_ms=7 status=403\n") == 1 &&
		       count(out, "denpod: request latency_ms=99 status=200 repeated=99 window_s=1\n") == 1,
	       "%s", out);
	/* a keyed line and a plain line of the same text do not hide each other */
	capture();
	dpd_say("denpod: same");
	dpd_say_keyed("denpod: same", "denpod: same");
	dpd_say_flush();
	n = release(out, sizeof out);
	CHECKF(n == 2, "%s", out);

	/* held keyed lines: nothing written until the drain, the waker called once per drain */
	capture();
	dpd_say_hold(wake, NULL);
	dpd_say_keyed("dev2 GET /v1/inbox 200", "denpod: request dev=2 n=%d", 1);
	dpd_say_keyed("dev3 GET /v1/inbox 200", "denpod: request dev=3 n=%d", 2);
	dpd_say_keyed("dev2 GET /v1/inbox 200", "denpod: request dev=2 n=%d", 3); /* counted */
	n = release(out, sizeof out);
	CHECKF(n == 0 && wakes == 1, "held: %zu lines, %d wakes:\n%s", n, wakes, out);
	capture();
	dpd_say_drain();
	n = release(out, sizeof out);
	CHECKF(n == 2 && !strcmp(out, "denpod: request dev=2 n=1\ndenpod: request dev=3 n=2\n"), "%s", out);
	/* a plain line writes what is held first; it is not held itself */
	capture();
	dpd_say_keyed("dev4 GET /v1/inbox 200", "denpod: request dev=4");
	dpd_say("denpod: store: a fault");
	n = release(out, sizeof out);
	CHECKF(n == 2 && wakes == 2 && !strcmp(out, "denpod: request dev=4\ndenpod: store: a fault\n"),
	       "%s", out);
	/* more than is held at once (40 lines of 450 bytes > DPD_SAY_HELD): in pieces, nothing lost */
	capture();
	for (int i = 0; i < 40; i++) {
		char key[16];
		snprintf(key, sizeof key, "long %d", i);
		dpd_say_keyed(key, "denpod: request long %.440s %d", big, i);
	}
	n = release(out, sizeof out);
	CHECKF(n > 0 && n < 40, "a part written when the rest would not fit: %zu", n);
	capture();
	dpd_say_drain();
	n += release(out, sizeof out);
	CHECKF(n >= 40, "all 40 lines: %zu", n);
	/* the counts are held too: flush writes them */
	capture();
	dpd_say_flush();
	n = release(out, sizeof out);
	CHECKF(count(out, "denpod: request dev=2 n=3 repeated=1 ") == 1, "%s", out);
	/* the waker unset writes what is held and stops holding */
	capture();
	dpd_say_keyed("dev5 GET /v1/inbox 200", "denpod: request dev=5");
	dpd_say_hold(NULL, NULL);
	dpd_say_keyed("dev6 GET /v1/inbox 200", "denpod: request dev=6");
	n = release(out, sizeof out);
	CHECKF(n == 2, "%s", out);

	/* the waker unset while another thread is in it: the unset waits for it to return */
	capture();
	dpd_say_hold(slow_wake, NULL);
	pthread_t sayer, unsetter;
	CHECK(pthread_create(&sayer, NULL, say_one, NULL) == 0);
	pthread_mutex_lock(&tmu);
	while (!in_waker)
		pthread_cond_wait(&tcv, &tmu);
	pthread_mutex_unlock(&tmu);
	CHECK(pthread_create(&unsetter, NULL, unset_waker, NULL) == 0);
	pthread_join(sayer, NULL);
	pthread_join(unsetter, NULL);
	n = release(out, sizeof out);
	CHECKF(unset && !unset_seen, "dpd_say_hold(NULL) returned while the waker ran");
	CHECKF(n == 1 && !strcmp(out, "denpod: request dev=7\n"), "%s", out);

	/* long lines are cut, not overrun */
	capture();
	dpd_say("denpod: %s", big);
	n = release(out, sizeof out);
	CHECK(n == 1 && strlen(out) == DPD_SAY_LINE_MAX); /* 511 bytes and the newline */
	unlink(path);
	return t_done("test_denpod_say");
}
