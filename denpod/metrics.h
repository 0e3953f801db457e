/*
 * denpod/metrics.h - the switch's own Prometheus metrics (docs/operations.md,
 * "Metrics"): requests by endpoint and status with latency histograms,
 * cables accepted and delivered by precedence, store errors, and the
 * gauges read at scrape time (queue, overdue, log, connections).
 *
 * Cost.  Every counter here is touched by the loop thread only (a reply,
 * the answer of a commit), and read by the scrape, which runs on the same
 * loop: plain integers, no lock and no atomic, a few adds per request
 * (bench/README.md has the measured cost).  The labels are fixed tables:
 * route patterns (denpod/route.h), HTTP statuses the switch answers, the
 * four precedences, a few reasons.  Nothing a peer sends becomes a label,
 * and no officer, device, address or cable ever does; nor does a post: the
 * MRN serials are one highest value and a count of posts near the limit,
 * as a serial per post would tell whoever scrapes how busy each post is
 * (the switch's log and `denpod check` name them).
 *
 * The detection metrics (a registry with a mutex, denpod/alerts.h) are
 * rendered after these by the metrics listener (denpod/health.h).
 */
#ifndef DENPOD_METRICS_H
#define DENPOD_METRICS_H

#include <stdint.h>

#include "denpo/buf.h"
#include "denpod/route.h"

/* Upper bounds (seconds) of the request latency buckets; +Inf is added. */
#define DPM_BUCKETS 14
#define DPM_STATUSES 16 /* the statuses counted apart; others count as "other" */
#define DPM_PRECS 4     /* enum dp_prec */

enum { DPM_STORE_ERROR, DPM_STORE_FULL, DPM_STORE_REASONS };

typedef struct {
	uint64_t requests[DPD_RT_COUNT][DPM_STATUSES];
	uint64_t buckets[DPD_RT_COUNT][DPM_BUCKETS]; /* not cumulative; the render sums them */
	uint64_t count[DPD_RT_COUNT];
	double sum[DPD_RT_COUNT];                    /* seconds */
	uint64_t accepted[DPM_PRECS], delivered[DPM_PRECS];
	uint64_t store_errors[DPM_STORE_REASONS];
} dpm_counters;

/* What the scrape reads afresh (or from a cache of at most DPM_DB_CACHE_S seconds). */
#define DPM_DB_CACHE_S 2
typedef struct {
	int have_db;                  /* queue and overdue were read */
	uint64_t queue[DPM_PRECS];    /* recipients not yet acknowledged, by precedence */
	uint64_t overdue;             /* of those, past their handling-time objective */
	int have_log;
	uint64_t log_entries;         /* the latest checkpoint's size */
	double checkpoint_age;        /* seconds since it was signed */
	double signer_round_age;      /* seconds since the signer's last successful round; <0: none yet */
	int have_witnessed;
	uint64_t witnessed_cosigners; /* cosignatures of the newest cosigned checkpoint */
	double witnessed_age;         /* seconds since that checkpoint was signed */
	uint64_t conns_open, conns_handshaking, conns_max;
	uint64_t conns_accepted, handshake_failures;
	uint64_t closed[6];           /* handshake, idle, request, write deadlines; evicted; refused */
	uint64_t fd_shortage;
	uint64_t db_bytes;            /* the store's size (store.h dps_store_bytes) */
	int ready;                    /* /readyz would answer 200 (the database: the latest probe) */
	int have_mrn;                 /* the MRN counters of this UTC year were read */
	uint64_t mrn_max;             /* the highest serial any post was given this year */
	uint64_t mrn_near;            /* posts at or past the warning (DPR_MRN_WARN) */
	uint64_t mrn_limit;           /* the last serial of a post's year */
} dpm_gauges;

/* A reply: its route, status and the seconds since the request was read. */
void dpm_request(dpm_counters *m, int route, int status, double seconds);
/* A committed cable (not a duplicate, not a decoy) and a first delivery, by precedence. */
void dpm_accepted(dpm_counters *m, int prec);
void dpm_delivered(dpm_counters *m, int prec);
/* A group commit the database refused (rolled back): DP_ENOSPC or any other error. */
void dpm_store_error(dpm_counters *m, int err);

/*
 * The exposition (text format 0.0.4) of build info, the counters and the
 * gauges, appended to out.  version: the label of denpod_build_info;
 * method and pattern: a route's labels (route.h: dpd_route_method,
 * dpd_route_pattern), given by the caller so that this file calls no other
 * of the switch.  DP_ETOOBIG past out's cap (out then holds a partial text
 * the caller drops), DP_ENOMEM.
 */
typedef const char *(*dpm_label_fn)(int route);
int dpm_render(const dpm_counters *m, const dpm_gauges *g, const char *version, dpm_label_fn method,
	       dpm_label_fn pattern, dp_buf *out) DP_WUR;

#endif
