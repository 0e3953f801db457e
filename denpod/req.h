/*
 * denpod/req.h - one API request's life on the loop thread: the time it
 * is judged at, its answer (JSON, bytes, text, or an error), the request
 * log line and metrics that every answer writes, and holding a request
 * open while its write waits for a commit (op.h) or a long-poll waits for
 * a cable (wait.h).
 *
 * A leaf: it knows no endpoint, no operation and no detection.  A refusal
 * of an authenticated request is reported through srv->denied (set by
 * detection, detect_srv.h), and the log line names the endpoint by the
 * pattern the router put in rq->endpoint (route.h).
 */
#ifndef DENPOD_REQ_H
#define DENPOD_REQ_H

#include <stdint.h>

#include <jansson.h>

struct dpd_server;
struct evhttp_request;
struct evbuffer;

/* A request being answered: what the log line and the reply need. */
typedef struct dpd_req_s {
	struct evhttp_request *req; /* NULL once the peer went away */
	char method[8];
	char path[96];
	char dev[13]; /* device id prefix for the log, "-" if none */
	char addr[46]; /* the peer's IP address ("" if unknown): Source of its log entries */
	struct dpd_server *srv;
	void (*on_close)(struct dpd_req_s *rq); /* called if the peer goes away while held */
	uint8_t devid[32]; /* the authenticated device (authed = 1) */
	int authed;
	int det_fed;       /* detection has seen this request (a refusal is not fed again) */
	int route;         /* enum dpd_route (route.h): the endpoint, for the dispatch and metrics */
	const char *endpoint; /* its pattern (route.h) for the log line; NULL: "other" */
	int64_t t0_ns;     /* CLOCK_MONOTONIC when it was read in full (its latency) */
} dpd_req;

/* CLOCK_MONOTONIC in nanoseconds (a request's t0_ns). */
int64_t dpd_mono_ns(void);
/*
 * The time the loop thread judges a request at: dp_now(), but never
 * earlier than an answer it gave before, so "accepted before" and "judged
 * before" agree even if the system clock steps back.
 */
int64_t dpd_now(struct dpd_server *srv);
/* HTTP status for an error code (device errors: 403; the caller picks 401 for unknown). */
int dpd_http_status(int err);
/* Reply with JSON (steals j) and log the request. */
void dpd_reply_json(dpd_req *rq, int status, json_t *j);
/* {"error": name of err, "message": msg}; a 400 or 403 of an authenticated request calls srv->denied. */
void dpd_reply_error(dpd_req *rq, int status, int err, const char *msg);
/* Reply with bytes (takes the buffer's contents) and log; log_idx < 0: no X-Denpo-Log-Index. */
void dpd_reply_bytes(dpd_req *rq, int status, struct evbuffer *body, const char *mrn,
		     int64_t log_idx);
/* Reply with n bytes of Content-Type type (Cache-Control cache unless NULL) and log. */
void dpd_reply_text(dpd_req *rq, int status, const char *type, const char *cache,
		    const void *p, size_t n);
/* Track / untrack the connection of a deferred request (so a vanished peer is not answered). */
void dpd_req_hold(dpd_req *rq);
void dpd_req_release(dpd_req *rq);

#endif
