/*
 * denpod/say.h - the switch's log lines on stderr, each distinct line at
 * most once per period.
 *
 * A fault that every request meets (a full disk, a store that fails, a
 * flood of refused handshakes) would otherwise write the same line for
 * every request: thousands a second, burying everything else and filling
 * the disk the operator is trying to free.  dpd_say writes a line the first
 * time it is said; the same line said again within DPD_SAY_PERIOD seconds
 * of that is only counted; the count is written once the period is over,
 *
 *   denpod: store: the disk ... is full ... (said 4999 more times within 30 s)
 *
 * with the next line the switch logs after the period (or at exit), and
 * the line after that is written again in full.  Lines are compared whole
 * (a request line names its device and status), so different faults and
 * different devices never hide each other; nothing is dropped, only
 * counted.  At most DPD_SAY_SLOTS lines are followed at once; the least
 * recently said one gives way (its count written first).
 *
 * Thread-safe (the loop, the batch writer and the log signer all log).
 * Lines go to descriptor 2 with write(2), not through stdio.
 * Lines longer than DPD_SAY_LINE_MAX are cut.  A trailing newline is
 * added; the caller's format has none.
 */
#ifndef DENPOD_SAY_H
#define DENPOD_SAY_H

#define DPD_SAY_PERIOD 30     /* seconds a repeated line is only counted */
#define DPD_SAY_SLOTS 64      /* distinct lines followed at once */
#define DPD_SAY_LINE_MAX 512  /* bytes of one line */
/* bytes of keyed lines held for one write (dpd_say_hold): PIPE_BUF, so that on a pipe
 * (journald) the write is atomic and no other thread's line lands inside it */
#define DPD_SAY_HELD 4096

/* "denpod: " is not added: the caller writes the whole line, as before. */
void dpd_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * A line that differs every time (a request line: its time and latency)
 * but repeats in what matters (key: its device, endpoint, status): said as
 * dpd_say says a line, repetition judged on key.  The count is written as
 * two logfmt fields after the LAST line said in the period,
 *
 *   denpod: request time=... dev=... status=507 latency_ms=0.3 repeated=2999 window_s=30
 *
 * (2999 more like it in 30 s, the one shown the last).
 */
void dpd_say_keyed(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Write the counts still pending and the lines held (also run at exit). */
void dpd_say_flush(void);
/*
 * Hold keyed lines (the request log) rather than write each at once: they
 * are gathered and written in one write(2) by dpd_say_drain, or when
 * DPD_SAY_HELD bytes are held, or before any line that is not keyed (the
 * order of this module's lines stays), or at exit.  wake(arg) is called,
 * outside this module's lock, when the first line is held after a drain:
 * the switch's loop then drains at the end of the pass (server.c).  A
 * process that ends without exit() (kill -9, a crash) loses what is held.
 * wake NULL: write at once again (the default), after writing what is held.
 * Once it returns, the waker set before is not running in any thread and
 * is never called again (it waits for a call under way to end): its arg
 * may be freed.  So it must not be called with a lock the waker takes
 * (server.c: after the loop has stopped, never in a callback).
 */
void dpd_say_hold(void (*wake)(void *arg), void *arg);
/* Write the lines held, in one write(2). */
void dpd_say_drain(void);

#endif
