/*
 * denpod/health.h - the metrics listener (metrics_listen= in denpod.conf):
 * plain HTTP, unauthenticated, for Prometheus, probes and load balancers
 * (docs/operations.md, "Health checks" and "Metrics").
 *
 *   GET|HEAD /healthz  200 "alive": the network process's loop answers.
 *   GET|HEAD /readyz   200 "ready", or 503 and one line naming every check
 *                      that fails:
 *                        shutting down  SIGTERM received (shutdown_delay= keeps
 *                                       serving that long with /readyz at 503)
 *                        log signer     its last successful round is more than
 *                                       DPH_SIGNER_STALE_S old, or it stopped on a
 *                                       fork; a round every 0.2 s signs every
 *                                       committed entry, so a current signer means
 *                                       the newest checkpoint covers every entry
 *                                       older than that
 *                        database       a write committed through the writer thread
 *                                       (the path every cable takes: its transaction
 *                                       and fsync) failed, or did not return within
 *                                       DPH_PROBE_MS
 *                      A probe's result serves the checks of the next
 *                      DPH_PROBE_REUSE_MS; at most DPH_WAITERS checks wait for
 *                      one probe, and at most one probe is with the writer, so
 *                      anyone who reaches the port cannot make the switch write
 *                      more than once per DPH_PROBE_REUSE_MS.
 *   GET|HEAD /metrics  Prometheus text format 0.0.4: denpod/metrics.h, then
 *                      detection's (denpod/detect_srv.h).
 * Anything else: 404; another method: 405.  Everything runs on the loop thread.
 */
#ifndef DENPOD_HEALTH_H
#define DENPOD_HEALTH_H

#include "denpod/server.h"

#define DPH_SIGNER_STALE_S 10
#define DPH_PROBE_MS 2000
#define DPH_PROBE_REUSE_MS 1000
#define DPH_WAITERS 32
#define DPH_PROBE_KEY "ready_probe" /* the meta row the probe writes (its time) */

/*
 * Serves metrics_listen= if set (else does nothing): DP_ENET, with a
 * message, if it cannot listen; DP_ENOMEM.
 */
int dph_open(dpd_server *srv) DP_WUR;
void dph_close(dpd_server *srv);

#endif
