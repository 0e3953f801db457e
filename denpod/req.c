/*
 * denpod/req.c - a request's clock, answers, log line and holding (see req.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "denpo/error.h"
#include "denpo/epoch.h"
#include "denpod/conn.h"
#include "denpod/say.h"
#include "denpod/server.h"

int64_t dpd_now(dpd_server *srv)
{
	int64_t t = dp_now();
	if (t > srv->clock)
		srv->clock = t;
	return srv->clock;
}

int dpd_http_status(int err)
{
	switch (err) {
	case DP_EPARSE: case DP_ETOOBIG: case DP_EINVAL: case DP_EUNSUPP: return 400;
	case DP_EDEVICE: case DP_EDENIED: case DP_ECLEARANCE: case DP_ESIG: return 403;
	case DP_ENOTFOUND: return 404;
	case DP_EEXISTS: case DP_ESTATE: return 409;
	case DP_ESTORE: case DP_ENOMEM: return 503;
	case DP_ENOSPC: return 507; /* RFC 4918 Insufficient Storage: the switch's disk is full */
	default: return 500;
	}
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 503: return "Service Unavailable";
	case 507: return "Insufficient Storage";
	default: return "Error";
	}
}

int64_t dpd_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * The request log: one logfmt line per request (docs/operations.md, "The
 * request log"): time, source address, device, method, endpoint (the
 * route pattern: never the path, the query, a key or a body), status,
 * latency.  Every value is the switch's own (a pattern, hex, digits, an
 * address it formatted), so nothing needs quoting and a peer cannot forge
 * a field.  A fault every request meets is not written thousands of
 * times: repetition is judged on device, method, endpoint and status
 * (say.h, dpd_say_keyed).
 */
static void log_req(const dpd_req *rq, int status)
{
	struct timespec now;
	struct tm tm;
	char ts[32] = "-", key[128];
	clock_gettime(CLOCK_REALTIME, &now);
	size_t tl = gmtime_r(&now.tv_sec, &tm) ? strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm) : 0;
	if (tl)
		snprintf(ts + tl, sizeof ts - tl, ".%03dZ", (int)(now.tv_nsec / 1000000));
	const char *ep = rq->endpoint ? rq->endpoint : "other"; /* the label the metrics use */
	int64_t us = rq->t0_ns ? (dpd_mono_ns() - rq->t0_ns) / 1000 : 0;
	snprintf(key, sizeof key, "%s %s %s %d", rq->dev, rq->method, ep, status);
	dpd_say_keyed(key, "denpod: request time=%s src=%s dev=%s method=%s endpoint=%s status=%d "
		      "latency_ms=%lld.%03lld", ts, rq->addr[0] ? rq->addr : "-", rq->dev,
		      rq->method, ep, status, (long long)(us / 1000), (long long)(us % 1000));
}

/*
 * evhttp puts the head and the body in the connection's output as separate
 * chunks, and bufferevent_openssl makes one SSL_write, so one TLS record,
 * one write(2) and (TCP_NODELAY) one segment, of each.  The first TLS
 * record's worth is made one chunk, so an answer that fits in a record
 * leaves in one write, and a longer one's head goes with its first bytes.
 */
#define TLS_RECORD_MAX 16384

static void send_reply(dpd_req *rq, int status, struct evbuffer *body)
{
	log_req(rq, status);
	if (rq->srv)
		dpm_request(&rq->srv->met, rq->route, status, (double)(dpd_mono_ns() - rq->t0_ns) / 1e9);
	if (rq->req) {
		struct evhttp_connection *evcon = evhttp_request_get_connection(rq->req);
		struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
		if (bev)
			bufferevent_incref(bev); /* kept whatever the send does with the connection */
		dpd_conn_replied(rq->req); /* before: the send may free the connection */
		evhttp_send_reply(rq->req, status, reason(status), body);
		if (bev) {
			struct evbuffer *out = bufferevent_get_output(bev);
			size_t n = evbuffer_get_length(out);
			/* written on the next EPOLLOUT, not here: there is time to join the chunks */
			(void)evbuffer_pullup(out, n < TLS_RECORD_MAX ? (ev_ssize_t)n : TLS_RECORD_MAX);
			bufferevent_decref(bev);
		}
	}
	rq->req = NULL;
}

void dpd_reply_json(dpd_req *rq, int status, json_t *j)
{
	struct evbuffer *b = evbuffer_new();
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!s) {
		/* the answer could not be built (memory, or a string that is not UTF-8):
		 * never a success with an empty body */
		static const char fallback[] = "{\"error\":\"nomem\",\"message\":\"the switch could not "
					       "build its answer; retry\"}";
		status = 503;
		s = strdup(fallback);
	}
	if (rq->req) {
		evhttp_add_header(evhttp_request_get_output_headers(rq->req), "Content-Type",
				  "application/json");
	}
	if (b && s) {
		evbuffer_add(b, s, strlen(s));
		evbuffer_add(b, "\n", 1);
	}
	free(s);
	send_reply(rq, status, b);
	if (b)
		evbuffer_free(b);
}

void dpd_reply_error(dpd_req *rq, int status, int err, const char *msg)
{
	/* a refused request of an enrolled device is a weak signal for detection */
	if ((status == 400 || status == 403) && rq->authed && rq->srv && rq->srv->denied)
		rq->srv->denied(rq->srv, rq);
	json_t *j = json_pack("{s:s,s:s}", "error", dp_errname(err), "message", msg ? msg : dp_strerror(err));
	dpd_reply_json(rq, status, j);
}

void dpd_reply_bytes(dpd_req *rq, int status, struct evbuffer *body, const char *mrn,
		     int64_t log_idx)
{
	if (rq->req) {
		struct evkeyvalq *h = evhttp_request_get_output_headers(rq->req);
		evhttp_add_header(h, "Content-Type", "application/octet-stream");
		if (mrn)
			evhttp_add_header(h, "X-Denpo-MRN", mrn);
		if (log_idx >= 0) {
			char n[24];
			snprintf(n, sizeof n, "%lld", (long long)log_idx);
			evhttp_add_header(h, "X-Denpo-Log-Index", n);
		}
	}
	send_reply(rq, status, body);
}

void dpd_reply_text(dpd_req *rq, int status, const char *type, const char *cache,
		    const void *p, size_t n)
{
	struct evbuffer *b = evbuffer_new();
	if (rq->req) {
		struct evkeyvalq *h = evhttp_request_get_output_headers(rq->req);
		evhttp_add_header(h, "Content-Type", type);
		if (cache)
			evhttp_add_header(h, "Cache-Control", cache);
	}
	if (!b || evbuffer_add(b, p, n)) {
		if (b)
			evbuffer_free(b);
		dpd_reply_error(rq, 503, DP_ENOMEM, "out of memory; retry");
		return;
	}
	send_reply(rq, status, b);
	evbuffer_free(b);
}

static void conn_closed(struct evhttp_connection *evcon, void *arg)
{
	dpd_req *rq = arg;
	rq->req = NULL;
	if (rq->on_close)
		rq->on_close(rq);
}

void dpd_req_hold(dpd_req *rq)
{
	if (rq->req)
		evhttp_connection_set_closecb(evhttp_request_get_connection(rq->req), conn_closed, rq);
}

void dpd_req_release(dpd_req *rq)
{
	if (rq->req)
		evhttp_connection_set_closecb(evhttp_request_get_connection(rq->req), NULL, NULL);
}

