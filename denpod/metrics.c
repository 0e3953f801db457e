/*
 * denpod/metrics.c - the switch's own metrics (see metrics.h and
 * docs/operations.md, "Metrics").
 */
#include <stdio.h>

#include "denpo/cable.h"
#include "denpo/error.h"
#include "denpod/metrics.h"

static const double bucket_le[DPM_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
					      0.25,  0.5,    1,     2.5,  5,     10,   60};

/* The statuses the switch answers (server.c, api.c); the last slot is "other". */
static const int statuses[DPM_STATUSES - 1] = {200, 201, 400, 401, 403, 404, 405,
					       409, 413, 429, 500, 503, 507};
#define NSTATUS ((int)(sizeof statuses / sizeof statuses[0]))

static const char *const store_reasons[DPM_STORE_REASONS] = {"error", "disk_full"};

static int status_slot(int status)
{
	for (int i = 0; i < NSTATUS; i++)
		if (statuses[i] == status)
			return i;
	return DPM_STATUSES - 1;
}

void dpm_request(dpm_counters *m, int route, int status, double seconds)
{
	if (route < 0 || route >= DPD_RT_COUNT)
		route = DPD_RT_NONE;
	if (!(seconds >= 0))
		seconds = 0; /* a clock that went back, or NaN */
	m->requests[route][status_slot(status)]++;
	int b = 0;
	while (b < DPM_BUCKETS && seconds > bucket_le[b])
		b++;
	if (b < DPM_BUCKETS)
		m->buckets[route][b]++; /* past the last bound: only +Inf (= count) has it */
	m->count[route]++;
	m->sum[route] += seconds;
}

static int prec_ok(int prec)
{
	return prec >= DP_PREC_FLASH && prec < DPM_PRECS;
}

void dpm_accepted(dpm_counters *m, int prec)
{
	if (prec_ok(prec))
		m->accepted[prec]++;
}

void dpm_delivered(dpm_counters *m, int prec)
{
	if (prec_ok(prec))
		m->delivered[prec]++;
}

void dpm_store_error(dpm_counters *m, int err)
{
	m->store_errors[err == DP_ENOSPC ? DPM_STORE_FULL : DPM_STORE_ERROR]++;
}

/* ---- the exposition ---- */

static int head(dp_buf *out, const char *name, const char *type, const char *help)
{
	return dp_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family of one unlabelled sample. */
static int one(dp_buf *out, const char *name, const char *type, const char *help, double v)
{
	int r = head(out, name, type, help);
	return r ? r : dp_buf_printf(out, "%s %.10g\n", name, v);
}

/* A family of one sample per precedence. */
static int by_prec(dp_buf *out, const char *name, const char *type, const char *help,
		   const uint64_t v[DPM_PRECS])
{
	int r = head(out, name, type, help);
	for (int p = 0; !r && p < DPM_PRECS; p++)
		r = dp_buf_printf(out, "%s{precedence=\"%s\"} %llu\n", name, dp_prec_name(p),
				  (unsigned long long)v[p]);
	return r;
}

static int requests(dp_buf *out, const dpm_counters *m, dpm_label_fn method, dpm_label_fn pattern)
{
	int r = head(out, "denpod_http_requests_total", "counter",
		     "API requests answered, by method, endpoint (the route's pattern, \"other\" for "
		     "a path that is none) and status.");
	for (int rt = 0; !r && rt < DPD_RT_COUNT; rt++)
		for (int s = 0; !r && s < DPM_STATUSES; s++) {
			if (!m->requests[rt][s])
				continue; /* series appear with their first request */
			char st[8];
			if (s < NSTATUS)
				snprintf(st, sizeof st, "%d", statuses[s]);
			else
				snprintf(st, sizeof st, "other");
			r = dp_buf_printf(out,
					  "denpod_http_requests_total{method=\"%s\",endpoint=\"%s\","
					  "status=\"%s\"} %llu\n",
					  method(rt), pattern(rt), st,
					  (unsigned long long)m->requests[rt][s]);
		}
	if (!r)
		r = head(out, "denpod_http_request_duration_seconds", "histogram",
			 "Seconds from a request read in full to its answer handed to the network "
			 "(a long-poll's wait included), by method and endpoint.");
	for (int rt = 0; !r && rt < DPD_RT_COUNT; rt++) {
		if (!m->count[rt])
			continue;
		const char *me = method(rt), *ep = pattern(rt);
		uint64_t cum = 0;
		for (int b = 0; !r && b < DPM_BUCKETS; b++) {
			cum += m->buckets[rt][b];
			r = dp_buf_printf(out,
					  "denpod_http_request_duration_seconds_bucket{method=\"%s\","
					  "endpoint=\"%s\",le=\"%g\"} %llu\n",
					  me, ep, bucket_le[b], (unsigned long long)cum);
		}
		if (!r)
			r = dp_buf_printf(out,
					  "denpod_http_request_duration_seconds_bucket{method=\"%s\","
					  "endpoint=\"%s\",le=\"+Inf\"} %llu\n"
					  "denpod_http_request_duration_seconds_sum{method=\"%s\","
					  "endpoint=\"%s\"} %.17g\n"
					  "denpod_http_request_duration_seconds_count{method=\"%s\","
					  "endpoint=\"%s\"} %llu\n",
					  me, ep, (unsigned long long)m->count[rt], me, ep, m->sum[rt],
					  me, ep, (unsigned long long)m->count[rt]);
	}
	return r;
}

static int connections(dp_buf *out, const dpm_gauges *g)
{
	static const char *const why[6] = {"handshake_timeout", "idle_timeout", "request_timeout",
					   "write_timeout",     "evicted",      "refused"};
	int r = one(out, "denpod_connections_open", "gauge",
		    "Connections open to the API port (the TLS handshake included).",
		    (double)g->conns_open);
	if (!r)
		r = one(out, "denpod_connections_handshaking", "gauge",
			"Of those, still in their TLS handshake.", (double)g->conns_handshaking);
	if (!r)
		r = one(out, "denpod_connections_max", "gauge",
			"The cap on open connections (max_connections, or what the descriptor limit "
			"leaves).", (double)g->conns_max);
	if (!r)
		r = one(out, "denpod_connections_accepted_total", "counter",
			"Connections accepted on the API port.", (double)g->conns_accepted);
	if (!r)
		r = one(out, "denpod_tls_handshake_failures_total", "counter",
			"Connections that ended in their TLS handshake by a failure or by the peer "
			"(a certificate of no enrolled device, a protocol error, a peer that left); "
			"those the guard closed are in denpod_connections_closed_total.",
			(double)g->handshake_failures);
	if (!r)
		r = head(out, "denpod_connections_closed_total", "counter",
			 "Connections the guard closed (denpod/conn.h), by reason.");
	for (int i = 0; !r && i < 6; i++)
		r = dp_buf_printf(out, "denpod_connections_closed_total{reason=\"%s\"} %llu\n", why[i],
				  (unsigned long long)g->closed[i]);
	if (!r)
		r = one(out, "denpod_accept_fd_shortage_total", "counter",
			"accept() failures for want of file descriptors.", (double)g->fd_shortage);
	return r;
}

static int store_log(dp_buf *out, const dpm_counters *m, const dpm_gauges *g)
{
	int r = head(out, "denpod_store_errors_total", "counter",
		     "Group commits the database refused and rolled back, by reason (disk_full: "
		     "no space; error: any other failure).");
	for (int i = 0; !r && i < DPM_STORE_REASONS; i++)
		r = dp_buf_printf(out, "denpod_store_errors_total{reason=\"%s\"} %llu\n",
				  store_reasons[i], (unsigned long long)m->store_errors[i]);
	if (!r)
		r = one(out, "denpod_database_bytes", "gauge",
			"Bytes the store holds: denpod.db, its write-ahead log and the cable segments "
			"(cables/SEG*); on PostgreSQL its database's size.",
			(double)g->db_bytes);
	if (!r && g->have_db)
		r = by_prec(out, "denpod_queue_depth", "gauge",
			    "Deliveries waiting to be acknowledged, by the recipient's precedence "
			    "(read at most 2 s before the scrape).", g->queue);
	if (!r && g->have_db)
		r = one(out, "denpod_overdue_deliveries", "gauge",
			"Of those, past their handling-time objective (GET /v1/overdue).",
			(double)g->overdue);
	if (!r && g->have_log)
		r = one(out, "denpod_log_entries", "gauge",
			"Entries in the transparency log (the latest signed checkpoint's size).",
			(double)g->log_entries);
	if (!r && g->have_log)
		r = one(out, "denpod_log_checkpoint_age_seconds", "gauge",
			"Seconds since the latest checkpoint was signed (grows while nothing is "
			"logged).", g->checkpoint_age);
	if (!r && g->signer_round_age >= 0)
		r = one(out, "denpod_log_signer_round_age_seconds", "gauge",
			"Seconds since the log signer last finished a round (one every 0.2 s: "
			"above a few seconds it is stuck).", g->signer_round_age);
	if (!r && g->have_witnessed)
		r = one(out, "denpod_log_witnessed_cosigners", "gauge",
			"Device cosignatures of the newest checkpoint that has any.",
			(double)g->witnessed_cosigners);
	if (!r && g->have_witnessed)
		r = one(out, "denpod_log_witnessed_age_seconds", "gauge",
			"Seconds since that checkpoint was signed.", g->witnessed_age);
	return r;
}

static int serials(dp_buf *out, const dpm_gauges *g)
{
	int r = head(out, "denpod_mrn_serial_max", "gauge",
		     "The highest MRN serial any post was given this UTC year (no post is named: "
		     "the switch's log and `denpod check` name those near the limit).");
	if (!r) /* up to 15 digits: %g would round them */
		r = dp_buf_printf(out, "denpod_mrn_serial_max %llu\n", (unsigned long long)g->mrn_max);
	if (!r)
		r = head(out, "denpod_mrn_serial_limit", "gauge",
			 "The last serial a post's MRNs can have in a year; past it the post's cables "
			 "are refused until 1 January.");
	if (!r)
		r = dp_buf_printf(out, "denpod_mrn_serial_limit %llu\n", (unsigned long long)g->mrn_limit);
	if (!r)
		r = one(out, "denpod_mrn_posts_near_limit", "gauge",
			"Posts whose serial this year is at or past the warning, a tenth of the limit "
			"(the switch's log and `denpod check` name them).", (double)g->mrn_near);
	return r;
}

int dpm_render(const dpm_counters *m, const dpm_gauges *g, const char *version, dpm_label_fn method,
	       dpm_label_fn pattern, dp_buf *out)
{
	int r = head(out, "denpod_build_info", "gauge", "The running denpod's version (always 1).");
	if (!r)
		r = dp_buf_printf(out, "denpod_build_info{version=\"%s\"} 1\n", version);
	if (!r)
		r = one(out, "denpod_ready", "gauge",
			"1 if every /readyz check passes, the database by its latest write probe "
			"(a scrape starts one if that is older than 10 s), else 0.", g->ready);
	if (!r)
		r = requests(out, m, method, pattern);
	if (!r)
		r = by_prec(out, "denpod_cables_accepted_total", "counter",
			    "Cables accepted (committed; a retry of the same cable is not counted "
			    "again), by the precedence of their action addressees.", m->accepted);
	if (!r)
		r = by_prec(out, "denpod_cables_delivered_total", "counter",
			    "First deliveries of a cable to a recipient device, by that recipient's "
			    "precedence.", m->delivered);
	if (!r)
		r = connections(out, g);
	if (!r)
		r = store_log(out, m, g);
	if (!r && g->have_mrn)
		r = serials(out, g);
	return r;
}
