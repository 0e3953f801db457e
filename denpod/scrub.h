/*
 * denpod/scrub.h - the scrub: a background pass over every stored cable
 * and the whole transparency log, at a bounded pace, that finds damage
 * before anyone meets it (a cable nobody fetches yet, an old log entry
 * below the start's mark).
 *
 * One thread with its own database connection, like the signer.  A pass
 * checks every cable in acceptance order, its bytes against the
 * Envelope-Hash of its cable-accepted entry (denpod/check.h), then walks
 * the log from entry 0 to the end (denpod/tlog.h: every entry, tile and
 * checkpoint), then runs SQLite's integrity_check one table at a time (its
 * indexes against it: a lost index row hides a cable from an inbox, and
 * the start's quick_check does not look).  Each step is a short read
 * transaction of its own, so the
 * writer and the signer go on and the WAL is not held back; the scrub
 * writes only its position (meta "scrub", every few seconds, under the
 * process's write lock) and, after a log walk without a problem, the
 * log's mark: a restart resumes the pass where it was, and starts fast.
 *
 * Pace: at most cfg->scrub_rate bytes read a second (cable bytes and log
 * entries; it sleeps between steps; a table's check, which is one
 * statement, is followed by a rest as long as it took), and a new pass at
 * most every
 * cfg->scrub_period seconds after the last one began (a pass that takes
 * longer is followed at once by the next, with a warning).
 *
 * Each damaged copy found is reported through `report`, from the scrub's
 * thread: at most DPSC_REPORT_MAX per pass, then one report of how many
 * more.  The summary of the last complete pass is in meta "scrub_last"
 * ("<start> <end> <cables> <entries> <damaged>", Unix seconds), which
 * `denpod check` prints.
 */
#ifndef DENPOD_SCRUB_H
#define DENPOD_SCRUB_H

#include <pthread.h>

#include "denpod/alerts.h"
#include "denpod/config.h"
#include "denpod/store.h"

#define DPSC_REPORT_MAX 100

typedef struct dpsc dpsc;
typedef void (*dpsc_report)(void *ctx, const dpo_damage *d);

/*
 * Opens the database of cfg on a connection of its own and starts the
 * thread.  vk: the log's verifier key (copied).  wlock (may be NULL):
 * held around its writes.  cfg->scrub_period 0: no scrub (*s = NULL,
 * DP_OK).  DP_ENOMEM or the store's error.
 */
int dpsc_start(dpsc **s, const dpc_config *cfg, const dp_note_vkey *vk, pthread_mutex_t *wlock,
	       dpsc_report report, void *ctx) DP_WUR;
/* Stops the thread (within a step), saves the position, frees (s may be NULL). */
void dpsc_stop(dpsc *s);

/* The last complete pass, as meta "scrub_last" keeps it. */
typedef struct {
	int64_t start, end; /* Unix seconds */
	uint64_t cables, entries, damaged;
} dpsc_pass;
/* DP_ENOTFOUND if no pass completed yet (or the record is unreadable). */
int dpsc_last(dps_store *s, dpsc_pass *p) DP_WUR;

#endif
