/*
 * denpod/listen.h - what the other instances on the same PostgreSQL
 * commit, heard at once (docs/several-switches.md §3).  Loop thread only.
 *
 * One more connection of the instance's own LISTENs on two channels
 * (store.h): DPS_CHAN_INBOX, a cable was queued for the device named by
 * the payload: its long-polls here are answered (wait.h), as the
 * submission's own commit answers them on the instance that took it;
 * DPS_CHAN_DIR, the directory changed (a suspension, a containment step,
 * an enrolment, on any instance or by `denpod` commands): the loop's
 * directory cache is checked again now (dps_dir_sync), so the next
 * request of a suspended device is refused on every instance.  The
 * connection's socket is watched by the event loop.
 *
 * A lost connection is opened again every second until it is back; then
 * every held long-poll is answered once (it re-polls and sees what came
 * while nobody listened) and the directory is checked: a wake-up is never
 * missed silently, only late by the outage.
 *
 * On SQLite there is nothing to hear: one process serves the switch.
 */
#ifndef DENPOD_LISTEN_H
#define DENPOD_LISTEN_H

#include "denpo/error.h"

struct dpd_server;
typedef struct dpd_listen dpd_listen;

/*
 * Listens for srv (its event base, store, waiters) on the database of
 * target; *out NULL on SQLite.  DP_ESTORE when the first connection or
 * LISTEN fails (said), DP_ENOMEM.
 */
int dpd_listen_start(dpd_listen **out, struct dpd_server *srv, const char *target) DP_WUR;
/* Stops and frees; NULL is a no-op. */
void dpd_listen_stop(dpd_listen *l);

#endif
