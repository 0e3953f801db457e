/*
 * denpod/detect_srv.h - the detection engine (denpo/detect.h) inside the
 * switch: what each request tells it, what its verdicts do to the request,
 * and how its alerts and containment steps become durable, logged and
 * reported (docs/detection.md).
 *
 * Everything here runs on the loop thread except the write hooks of its
 * operations (alert, lapse, config: op.h), which the writer thread calls
 * inside its transaction.  Every alert and every step is a transparency-log entry
 * (alert, containment, device-suspended / -reinstated) committed with the
 * change it records; the alert file and syslog get it after the commit,
 * with its log index.
 */
#ifndef DENPOD_DETECT_SRV_H
#define DENPOD_DETECT_SRV_H

#include "denpo/detect.h"
#include "denpod/alerts.h"
#include "denpod/server.h"

/*
 * Loads DIR/detect.conf (absent: the defaults), opens the alert outputs
 * and the metrics registry, registers the directory
 * and starts the one-second tick (lapses, undo, directory changes) and the
 * SIGHUP handler (re-reads detect.conf, reopens the alert file).  Prints
 * what is wrong and fails on a bad configuration.
 */
int dpd_det_open(dpd_server *srv) DP_WUR;
/* (dpd_det_open sets srv->denied: a refused request of an enrolled device is a weak signal.) */
void dpd_det_close(dpd_server *srv);

/*
 * Feeds a request's event (device and source are taken from rq, time from
 * the server's clock).  Returns 1 if the request was refused and answered
 * here (403 for a suspended device, 429 with Retry-After for a throttled
 * fetch); 0 to go on.
 */
int dpd_det_request(dpd_server *srv, dpd_req *rq, dp_det_event *e);

/*
 * Feeds the archive's search act (POST /v1/records, act search): a
 * DP_DET_SEARCH event whose copies are the record copies the search
 * names (counted by the switch from its "cables", never from the client's
 * text; saturating at DP_DET_COPIES_MAX).  Returns as dpd_det_request.
 */
int dpd_det_search(dpd_server *srv, dpd_req *rq, int64_t copies);

/*
 * Several instances on one PostgreSQL (denpod/listen.h calls it): payload
 * of a notification on DPS_CHAN_DET: "c", a containment step was written
 * somewhere (open throttles are imposed on this engine); else the id of
 * an instance that shared events (read now, unless it is this one's own);
 * NULL: both (the listener is back after an outage).  Loop thread.
 */
void dpd_det_heard(dpd_server *srv, const char *payload);

/*
 * A step to the alert outputs (loop thread), with the officer and post of
 * its device filled in from the directory: containment steps, and a
 * device's witness reset after a LOG-ROLLBACK (api_rollback.c).  Nothing
 * while detection is off.
 */
void dpd_det_step(dpd_server *srv, dpo_action *a);
/*
 * A device's report, logged by op as its alert entry (op->log_idx, at
 * op->t), as a step (DPO_KIND_LOG) to the alert outputs: a witness reset
 * (api_rollback.c), an unapproved device (api_devices.c).
 */
void dpd_det_report(dpd_server *srv, const dpd_op *op, const char *action, const char *rule,
		    const uint8_t device[32], const char *detail);

/*
 * The alert outputs of the configuration (alerts_file, syslog, facility):
 * the switch's, and the operator commands' for their own steps.
 */
int dpd_det_outputs_open(const dpc_config *cfg, dpo_out **o, char *err,
			 size_t errcap) DP_WUR;
/*
 * Damage to a stored copy (denpod/check.h): to stderr, the alert outputs
 * and the metric denpod_store_damage_total.  Any thread (the loop, the
 * scrub), while detection is open.
 */
void dpd_det_damage(dpd_server *srv, const dpo_damage *x);
/*
 * Detection's metrics (text format 0.0.4) appended to out, for the
 * metrics listener (denpod/health.h); DP_OK with nothing if detection is
 * off.  Loop thread.  DP_ETOOBIG past out's cap, DP_ENOMEM.
 */
int dpd_det_metrics(dpd_server *srv, dp_buf *out) DP_WUR;
/* Reads and checks a detect.conf: 0 ok, else prints the error (for `denpod detect check`). */
int dpd_det_check_file(const char *path, dp_det_config *out) DP_WUR;
/*
 * The same with the message in err ("PATH:LINE: ..."): DP_ENOTFOUND (out:
 * the defaults) if there is no file, DP_OK, or the parser's error.
 */
int dpd_det_read_file(const char *path, dp_det_config *out, char *err, size_t errcap) DP_WUR;

#endif
