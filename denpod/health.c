/*
 * denpod/health.c - /healthz, /readyz and /metrics on metrics_listen= (see
 * health.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "denpod/cable_rules.h"
#include "denpod/conn.h"
#include "denpod/detect_srv.h"
#include "denpod/health.h"
#include "denpod/op.h"
#include "denpod/metrics.h"

#define REASON_MAX 256

struct dpd_health {
	dpd_server *srv;
	struct evhttp *http;
	/* the database probe */
	int probing;        /* a probe op is with the writer */
	int late;           /* ... and it missed DPH_PROBE_MS */
	int have_probe;     /* a probe has finished */
	int probe_r;        /* its result */
	int64_t probe_ms;   /* when (monotonic) */
	struct event *timer;
	struct evhttp_request *wait[DPH_WAITERS];
	size_t nwait;
	/* gauges read from the database, at most DPM_DB_CACHE_S old */
	dpm_gauges db;
	int64_t db_ms; /* when read; 0: never */
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void reply(struct evhttp_request *req, int status, const char *text)
{
	struct evbuffer *b = evbuffer_new();
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; charset=utf-8");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
	if (b && (evbuffer_add(b, text, strlen(text)) || evbuffer_add(b, "\n", 1))) {
		evbuffer_free(b);
		b = NULL;
	}
	evhttp_send_reply(req, status, status == 200 ? "OK" : "Service Unavailable", b);
	if (b)
		evbuffer_free(b);
}

/* ---- readiness ---- */

/* Appends "; what" to the reason (or starts it). */
static void because(char reason[REASON_MAX], const char *what)
{
	size_t n = strlen(reason);
	snprintf(reason + n, REASON_MAX - n, "%s%s", n ? "; " : "", what);
}

/* The checks that need no probe: shutdown, the signer. */
static void checks_now(struct dpd_health *h, char reason[REASON_MAX])
{
	dpd_server *srv = h->srv;
	if (srv->stopping)
		because(reason, "shutting down");
	int64_t ago;
	int failed;
	dpl_signer_state(srv->log, &ago, &failed);
	char m[128];
	if (failed)
		because(reason, "log signer: stopped on a fork of the log (see the switch's log)");
	else if (ago < 0 || ago > DPH_SIGNER_STALE_S * 1000) {
		snprintf(m, sizeof m, "log signer: no round finished for %lld s",
			 (long long)(ago < 0 ? -1 : ago / 1000));
		because(reason, m);
	}
}

static void probe_reason(struct dpd_health *h, char reason[REASON_MAX])
{
	char m[160];
	if (h->late)
		snprintf(m, sizeof m, "database: a write did not commit within %d ms",
			 DPH_PROBE_MS);
	else if (h->probe_r == DP_ENOSPC)
		snprintf(m, sizeof m, "database: not writable: the disk is full");
	else
		snprintf(m, sizeof m, "database: not writable (%s)", dp_strerror(h->probe_r));
	because(reason, m);
}

/* Every check, the database's by the latest probe; "" if all pass. */
static void checks(struct dpd_health *h, char reason[REASON_MAX])
{
	checks_now(h, reason);
	if (h->late || (h->have_probe && h->probe_r))
		probe_reason(h, reason);
}

/* Answers a readiness check now that the probe's result is known. */
static void answer_ready(struct dpd_health *h, struct evhttp_request *req)
{
	char reason[REASON_MAX] = "";
	checks(h, reason);
	reply(req, reason[0] ? 503 : 200, reason[0] ? reason : "ready");
}

static void answer_waiters(struct dpd_health *h)
{
	for (size_t i = 0; i < h->nwait; i++) {
		evhttp_connection_set_closecb(evhttp_request_get_connection(h->wait[i]), NULL, NULL);
		answer_ready(h, h->wait[i]);
	}
	h->nwait = 0;
}

static void waiter_gone(struct evhttp_connection *evcon, void *arg)
{
	struct dpd_health *h = arg;
	for (size_t i = 0; i < h->nwait;)
		if (evhttp_request_get_connection(h->wait[i]) == evcon)
			h->wait[i] = h->wait[--h->nwait];
		else
			i++;
}

/* The probe (op.h): a real write through the writer's transaction, answered to /readyz. */
static int probe_write(dps_store *st, dpl_enc *x, dpd_op *op, int *logged)
{
	char t[24];
	snprintf(t, sizeof t, "%lld", (long long)op->t);
	return dps_meta_put(st, DPH_PROBE_KEY, t);
}

static void probe_answer(dpd_server *srv, dpd_op *op)
{
	struct dpd_health *h = srv->health;
	if (!h)
		return; /* closing */
	h->probing = 0;
	h->late = 0;
	h->have_probe = 1;
	h->probe_r = op->result;
	h->probe_ms = mono_ms();
	evtimer_del(h->timer);
	answer_waiters(h);
}

const dpd_op_type dpd_op_probe = {"PROBE", probe_write, probe_answer, NULL, NULL};

static void probe_late(evutil_socket_t fd, short what, void *arg)
{
	struct dpd_health *h = arg;
	h->late = 1; /* until the probe returns */
	answer_waiters(h);
}

static int probe_start(struct dpd_health *h)
{
	dpd_op *op = dpd_op_new(&dpd_op_probe, sizeof *op, NULL);
	if (!op)
		return DP_ENOMEM;
	op->t = dpd_now(h->srv);
	struct timeval tv = {DPH_PROBE_MS / 1000, (DPH_PROBE_MS % 1000) * 1000};
	h->probing = 1;
	evtimer_add(h->timer, &tv);
	dpd_batch_add(h->srv, op);
	return DP_OK;
}

static void readyz(struct dpd_health *h, struct evhttp_request *req)
{
	char reason[REASON_MAX] = "";
	checks_now(h, reason);
	int fresh = h->have_probe && mono_ms() - h->probe_ms < DPH_PROBE_REUSE_MS;
	if (reason[0] || fresh || h->late) {
		answer_ready(h, req); /* known now: no write needed */
		return;
	}
	if (h->nwait == DPH_WAITERS) {
		reply(req, 503, "busy: too many readiness checks at once; retry");
		return;
	}
	if (!h->probing && probe_start(h)) {
		reply(req, 503, "out of memory");
		return;
	}
	h->wait[h->nwait++] = req;
	evhttp_connection_set_closecb(evhttp_request_get_connection(req), waiter_gone, h);
}

/* ---- metrics ---- */

#define DPH_SCRAPE_PROBE_MS 10000 /* a scrape starts a probe if the last one is older */

/* The store's size (store.h); if it cannot all be read, what could (0 for a failed query). */
static uint64_t store_bytes(dps_store *s)
{
	uint64_t n = 0;
	int r = dps_store_bytes(s, &n);
	(void)r;
	return n;
}

static int count_line(void *ctx, const char *line)
{
	(void)line;
	(*(uint64_t *)ctx)++;
	return DP_OK;
}

static int serial_row(void *ctx, const char *post, int64_t serial)
{
	dpm_gauges *g = ctx;
	(void)post; /* no post becomes a label (metrics.h) */
	uint64_t v = serial > 0 ? (uint64_t)serial : 0;
	if (v > g->mrn_max)
		g->mrn_max = v;
	g->mrn_near += dpr_mrn_high(serial);
	return DP_OK;
}

/* The highest MRN serial this year and the posts near the limit (denpod/cable_rules.h). */
static void mrn_gauges(struct dpd_health *h, int64_t now)
{
	dpm_gauges *g = &h->db;
	g->mrn_max = g->mrn_near = 0;
	g->mrn_limit = DPR_MRN_END - 1;
	g->have_mrn = dps_mrn_serials(h->srv->store, dpr_mrn_year(now), 0, serial_row, g) == DP_OK;
}

/* Queue, overdue and the witnessed checkpoint: from the database, at most DPM_DB_CACHE_S old. */
static void db_gauges(struct dpd_health *h, int64_t now)
{
	int64_t t = mono_ms();
	if (h->db_ms && t - h->db_ms < DPM_DB_CACHE_S * 1000)
		return;
	h->db_ms = t;
	dps_store *s = h->srv->store;
	h->db.have_db = dps_queue_stats(s, now, h->db.queue, &h->db.overdue) == DP_OK;
	if (h->srv->cfg.store[0]) /* PostgreSQL: a query, with the others */
		h->db.db_bytes = store_bytes(s);
	dps_checkpoint c;
	h->db.witnessed_cosigners = 0;
	h->db.have_witnessed = dps_log_witnessed(s, 1, UINT64_MAX, &c) == DP_OK &&
			       dps_log_cosigs(s, c.size, 1024, count_line,
					      &h->db.witnessed_cosigners) == DP_OK;
	h->db.witnessed_age = (double)(now - c.t);
	mrn_gauges(h, now);
}

static void gauges(struct dpd_health *h, dpm_gauges *g)
{
	dpd_server *srv = h->srv;
	int64_t now = dp_now();
	db_gauges(h, now);
	*g = h->db;
	dps_checkpoint c;
	dpl_latest(srv->log, &c);
	g->have_log = 1;
	g->log_entries = c.size;
	g->checkpoint_age = (double)(now - c.t);
	int64_t ago;
	int failed;
	dpl_signer_state(srv->log, &ago, &failed);
	g->signer_round_age = ago < 0 ? -1 : (double)ago / 1000;
	dpd_conn_stats cs;
	dpd_conns_stats(srv->conns, &cs);
	g->conns_open = cs.open;
	g->conns_handshaking = cs.handshaking;
	g->conns_max = cs.max;
	g->conns_accepted = cs.accepted;
	g->handshake_failures = cs.handshake_failed;
	uint64_t closed[6] = {cs.closed_handshake, cs.closed_idle, cs.closed_request,
			      cs.closed_write,     cs.evicted,     cs.refused};
	memcpy(g->closed, closed, sizeof closed);
	g->fd_shortage = cs.fd_shortage;
	if (!srv->cfg.store[0]) /* SQLite: its files (stat calls), at every scrape */
		g->db_bytes = store_bytes(srv->store);
	/* the checks as /readyz would answer, with the latest probe; a probe if that is old */
	char reason[REASON_MAX] = "";
	checks(h, reason);
	g->ready = !reason[0] && h->have_probe;
	if (!h->probing && (!h->have_probe || mono_ms() - h->probe_ms > DPH_SCRAPE_PROBE_MS))
		(void)probe_start(h); /* out of memory: the next scrape tries again */
}

static void metrics(struct dpd_health *h, struct evhttp_request *req)
{
	dpd_server *srv = h->srv;
	dpm_gauges g;
	gauges(h, &g);
	const char *v = strchr(DPD_VERSION, ' ');
	dp_buf b;
	dp_buf_init(&b, 1 << 22);
	int r = dpm_render(&srv->met, &g, v ? v + 1 : DPD_VERSION, dpd_route_method, dpd_route_pattern, &b);
	if (!r)
		r = dpd_det_metrics(srv, &b);
	struct evbuffer *out = r ? NULL : evbuffer_new();
	if (!out || evbuffer_add(out, b.p, b.len)) {
		dp_buf_free(&b);
		if (out)
			evbuffer_free(out);
		evhttp_send_error(req, 503, "metrics unavailable");
		return;
	}
	dp_buf_free(&b);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}

/* ---- the listener ---- */

static void serve(struct evhttp_request *req, void *arg)
{
	struct dpd_health *h = arg;
	const char *uri = evhttp_request_get_uri(req);
	size_t n = uri ? strcspn(uri, "?") : 0;
	int cmd = evhttp_request_get_command(req);
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		evhttp_send_error(req, 405, "GET or HEAD only");
		return;
	}
	if (n == 8 && !strncmp(uri, "/healthz", 8))
		reply(req, 200, "alive");
	else if (n == 7 && !strncmp(uri, "/readyz", 7))
		readyz(h, req);
	else if (n == 8 && !strncmp(uri, "/metrics", 8))
		metrics(h, req);
	else
		evhttp_send_error(req, 404, "only /metrics, /healthz and /readyz");
}

int dph_open(dpd_server *srv)
{
	if (!srv->cfg.metrics_listen[0])
		return DP_OK;
	struct dpd_health *h = calloc(1, sizeof *h);
	if (!h)
		return DP_ENOMEM;
	srv->health = h;
	h->srv = srv;
	char host[DPC_LISTEN_MAX];
	int port;
	struct evhttp_bound_socket *b = NULL;
	h->http = evhttp_new(srv->base);
	h->timer = evtimer_new(srv->base, probe_late, h);
	if (!h->http || !h->timer) {
		dph_close(srv);
		return DP_ENOMEM;
	}
	if (dpc_parse_listen(srv->cfg.metrics_listen, host, sizeof host, &port) ||
	    !(b = evhttp_bind_socket_with_handle(h->http, host, (ev_uint16_t)port))) {
		fprintf(stderr, "denpod: cannot serve metrics on %s (metrics_listen=)\n",
			srv->cfg.metrics_listen);
		dph_close(srv);
		return DP_ENET;
	}
	evhttp_set_gencb(h->http, serve, h);
	/* unauthenticated: a scrape takes milliseconds, a slow one is cut */
	evhttp_set_timeout(h->http, 10);
	evhttp_set_max_headers_size(h->http, 8192);
	evhttp_set_max_body_size(h->http, 0);
	/* out of descriptors, it pauses with the API's listener instead of spinning */
	dpd_conns_listener(srv->conns, evhttp_bound_socket_get_listener(b));
	return DP_OK;
}

void dph_close(dpd_server *srv)
{
	struct dpd_health *h = srv->health;
	if (!h)
		return;
	srv->health = NULL; /* a probe still with the writer finds nobody to answer */
	if (h->http)
		evhttp_free(h->http); /* frees the waiting requests with their connections */
	if (h->timer)
		event_free(h->timer);
	free(h);
}
