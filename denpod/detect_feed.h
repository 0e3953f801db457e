/*
 * denpod/detect_feed.h - detection sees the whole ministry: the events of
 * every instance on one PostgreSQL, shared through the store so that each
 * instance's engine is fed all of them (docs/several-switches.md §3,
 * docs/detection.md §10).  Loop thread only.
 *
 * What is shared is what the engine consumes (dp_det_event: device, time,
 * address, a cable's acceptance order and time, four facts about the
 * fetch; a search's count of record copies, in the row's cable_seq, a
 * search naming no cable): metadata the switch already holds, never a
 * cable's content.
 *
 * Writing: dpd_feed_share queues an event of this instance's own requests;
 * the queue is written at the end of the loop turn, one transaction for
 * all of it (dps_det_events_put: ids in commit order, a NOTIFY to the
 * others), so a burst of requests costs one commit, not one each.  A write
 * that fails is said on the log and dropped: the other engines miss those
 * events (this one fed them already); the requests are not held up.
 *
 * Reading: dpd_feed_read gives fn every event another instance shared
 * since the last read, in table (commit) order, its own skipped.  The
 * switch calls it when the listener hears DPS_CHAN_DET from another
 * instance and once a second besides (a lost notification is late, never
 * missed while the rows are kept).  A new feed starts at the newest row:
 * what was shared before this instance started is not replayed.
 *
 * Retention: every DPD_FEED_KEEP_S seconds the feed deletes the rows it
 * had read when it last did so, so every row is kept DPD_FEED_KEEP_S
 * seconds at least and twice that at most; an instance that cannot read for longer misses what
 * was deleted meanwhile (said on its log when the read fails).
 *
 * On SQLite there is no feed (dpd_feed_open: *out NULL): one engine sees
 * every request already.
 */
#ifndef DENPOD_DETECT_FEED_H
#define DENPOD_DETECT_FEED_H

#include <stdint.h>

#include "denpo/detect.h"
#include "denpod/store.h"

struct event_base;
typedef struct dpd_feed dpd_feed;

#define DPD_FEED_KEEP_S 300  /* a row is kept at least this long (at most twice) */
#define DPD_FEED_QUEUE 1024  /* events queued before they are written at once */

/* An event another instance shared: inst and lseq are its identity (store.h, dps_det_claim). */
typedef void (*dpd_feed_fn)(void *ctx, int64_t inst, int64_t lseq, const dp_det_event *e);

/*
 * A feed on st (the loop's connection), its timers on base; *out NULL if
 * st is not shared (SQLite).  This instance gets a random id.  DP_ENOMEM,
 * DP_ESTORE (the newest row could not be read; said).
 */
int dpd_feed_open(dpd_feed **out, struct event_base *base, dps_store *st, dpd_feed_fn fn,
		  void *ctx) DP_WUR;
/* Writes what is queued, then frees; NULL is a no-op. */
void dpd_feed_close(dpd_feed *f);
/* This instance's id in the feed (0 for NULL: no feed). */
int64_t dpd_feed_inst(const dpd_feed *f);
/* Queues one event of this instance's engine, lseq its number here; NULL is a no-op. */
void dpd_feed_share(dpd_feed *f, int64_t lseq, const dp_det_event *e);
/* Every event the others shared since the last read, to fn; NULL is a no-op. */
void dpd_feed_read(dpd_feed *f);
/* 1 if a DPS_CHAN_DET payload names another instance (its events are worth reading now). */
int dpd_feed_heard(const dpd_feed *f, const char *payload);
/* The once-a-second upkeep (retention); now in Unix seconds.  NULL is a no-op. */
void dpd_feed_tick(dpd_feed *f, int64_t now);

#endif
