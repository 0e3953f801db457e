/*
 * denpod/route.c - the API's route table and the dispatch of a request to
 * its row's handler (see route.h).
 *
 * Every request is authenticated afresh: the peer certificate's key must
 * belong to an enrolled device (else 401) that is active (else 403), by a
 * directory read again at most DPS_DIR_FRESH_MS (1 ms) before (store.h
 * dps_dir_sync_recent), so a suspension or revocation made by `denpod
 * device suspend` in another process takes effect on the requests that
 * come 1 ms after it, and one this switch makes (detection's, through the
 * writer) on those after the loop has its commit.
 */
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "denpo/encoding.h"
#include "denpod/detect_srv.h"
#include "denpod/query.h"
#include "denpod/route.h"
#include "denpod/server.h"

static void no_endpoint(const dpd_call *c);
static void no_cable_endpoint(const dpd_call *c);
static void no_log_post(const dpd_call *c);
static void no_log_endpoint(const dpd_call *c);

enum { EXACT = DPD_MATCH_EXACT, PREFIX = DPD_MATCH_PREFIX, CABLE = DPD_MATCH_CABLE };
enum { OTHER = DPD_FEED_OTHER, KEYREQ = DPD_FEED_KEYREQ, FEED_CABLE = DPD_FEED_CABLE,
       FETCH = DPD_FEED_FETCH, SELF = DPD_FEED_SELF };

const dpd_route_row dpd_routes[] = {
	{DPD_RT_HEALTH, 0, EXACT, "/v1/health", "/v1/health", dpd_get_health, OTHER},
	{DPD_RT_SUBMIT, 1, EXACT, "/v1/cables", "/v1/cables", dpd_post_cable, OTHER},
	{DPD_RT_INBOX, 0, EXACT, "/v1/inbox", "/v1/inbox", dpd_get_inbox, OTHER},
	{DPD_RT_ARCHIVE, 0, EXACT, "/v1/archive", "/v1/archive", dpd_get_archive, OTHER},
	{DPD_RT_CABLE, 0, CABLE, "", "/v1/cables/{id}", dpd_get_cable, FETCH},
	{DPD_RT_CABLE_ACK, 1, CABLE, "/ack", "/v1/cables/{id}/ack", dpd_post_ack, FEED_CABLE},
	{DPD_RT_CABLE_STATUS, 0, CABLE, "/status", "/v1/cables/{id}/status", dpd_get_status,
	 FEED_CABLE},
	{DPD_RT_CABLE_ACCEPTED, 0, CABLE, "/accepted", "/v1/cables/{id}/accepted", dpd_get_accepted,
	 FEED_CABLE},
	{DPD_RT_SENT, 0, EXACT, "/v1/sent", "/v1/sent", dpd_get_sent, OTHER},
	{DPD_RT_OVERDUE, 0, EXACT, "/v1/overdue", "/v1/overdue", dpd_get_overdue, OTHER},
	{DPD_RT_RESOLVE, 0, EXACT, "/v1/directory/resolve", "/v1/directory/resolve", dpd_get_resolve,
	 OTHER},
	{DPD_RT_DIRECTORY, 0, EXACT, "/v1/directory", "/v1/directory", dpd_get_directory, OTHER},
	{DPD_RT_DEVICE, 0, PREFIX, "/v1/directory/devices/", "/v1/directory/devices/{id}",
	 dpd_get_device, KEYREQ},
	{DPD_RT_KEY_PUT, 1, EXACT, "/v1/keys", "/v1/keys", dpd_post_keys, OTHER},
	{DPD_RT_KEYS, 0, EXACT, "/v1/keys", "/v1/keys", dpd_get_keys, OTHER},
	{DPD_RT_LOG_CHECKPOINT, 0, EXACT, "/v1/log/checkpoint", "/v1/log/checkpoint",
	 dpd_get_checkpoint, OTHER},
	{DPD_RT_LOG_WITNESSED, 0, EXACT, "/v1/log/witnessed", "/v1/log/witnessed", dpd_get_witnessed,
	 OTHER},
	{DPD_RT_LOG_TILE, 0, PREFIX, "/v1/log/tile/", "/v1/log/tile/{tile}", dpd_get_tile, OTHER},
	{DPD_RT_LOG_INCLUSION, 0, EXACT, "/v1/log/proof/inclusion", "/v1/log/proof/inclusion",
	 dpd_get_inclusion, OTHER},
	{DPD_RT_LOG_CONSISTENCY, 0, EXACT, "/v1/log/proof/consistency", "/v1/log/proof/consistency",
	 dpd_get_consistency, OTHER},
	{DPD_RT_LOG_COSIGN, 1, EXACT, "/v1/log/cosign", "/v1/log/cosign", dpd_post_cosign, OTHER},
	{DPD_RT_LOG_ROLLBACKS, 0, EXACT, "/v1/log/rollbacks", "/v1/log/rollbacks", dpd_log_rollbacks,
	 OTHER},
	{DPD_RT_LOG_RECOVERED, 1, EXACT, "/v1/log/recovered", "/v1/log/recovered", dpd_log_recovered,
	 OTHER},
	{DPD_RT_LOG_OFFICER, 0, EXACT, "/v1/log/officer", "/v1/log/officer", dpd_get_officer, OTHER},
	{DPD_RT_DEVICE_APPROVE, 1, EXACT, "/v1/devices/approve", "/v1/devices/approve",
	 dpd_post_approve, OTHER},
	{DPD_RT_DEVICE_REPORT, 1, EXACT, "/v1/devices/report", "/v1/devices/report", dpd_post_report,
	 OTHER},
	{DPD_RT_RECORDS, 1, EXACT, "/v1/records", "/v1/records", dpd_post_records, SELF},
	{DPD_RT_RECORDS_STATE, 0, EXACT, "/v1/records/state", "/v1/records/state",
	 dpd_get_records_state, SELF},
	{DPD_RT_RECORDS_CHANGES, 0, EXACT, "/v1/records/changes", "/v1/records/changes",
	 dpd_get_records_changes, OTHER},
	/* paths under a family that match none of its endpoints: its own 404 (or 400) */
	{DPD_RT_NONE, -1, PREFIX, "/v1/cables/", "other", no_cable_endpoint, FEED_CABLE},
	{DPD_RT_NONE, 0, EXACT, "/v1/log/cosign", "other", no_log_post, OTHER},
	{DPD_RT_NONE, 1, PREFIX, "/v1/log/", "other", no_log_post, OTHER},
	{DPD_RT_NONE, 0, PREFIX, "/v1/log/", "other", no_log_endpoint, OTHER},
};
const size_t dpd_nroutes = sizeof dpd_routes / sizeof dpd_routes[0];

/* any other path */
static const dpd_route_row none = {DPD_RT_NONE, -1, EXACT, "", "other", no_endpoint, OTHER};

#define CABLES "/v1/cables/"
#define CABLE_HEX 32 /* 2 * DP_CABLE_ID */

static int hex_run(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
			return 0;
	return 1;
}

static int matches(int match, const char *want, const char *path)
{
	size_t n = strlen(want);
	switch (match) {
	case EXACT:
		return strcmp(path, want) == 0;
	case PREFIX:
		return strncmp(path, want, n) == 0; /* the handler refuses a bad or empty rest */
	default: /* CABLE */
		return strncmp(path, CABLES, sizeof CABLES - 1) == 0 &&
		       strlen(path) >= sizeof CABLES - 1 + CABLE_HEX &&
		       hex_run(path + sizeof CABLES - 1, CABLE_HEX) &&
		       strcmp(path + sizeof CABLES - 1 + CABLE_HEX, want) == 0;
	}
}

static const dpd_route_row *lookup(int post, const char *path)
{
	for (size_t i = 0; i < dpd_nroutes; i++)
		if ((dpd_routes[i].post == post || dpd_routes[i].post < 0) &&
		    matches(dpd_routes[i].match, dpd_routes[i].path, path))
			return &dpd_routes[i];
	return &none;
}

int dpd_route_find(int post, const char *path)
{
	return lookup(post, path)->route;
}

static const dpd_route_row *row_of(int route)
{
	for (size_t i = 0; route != DPD_RT_NONE && i < dpd_nroutes; i++)
		if (dpd_routes[i].route == route)
			return &dpd_routes[i];
	return NULL;
}

const char *dpd_route_method(int route)
{
	const dpd_route_row *r = row_of(route);
	return !r ? "other" : r->post ? "POST" : "GET";
}

const char *dpd_route_pattern(int route)
{
	const dpd_route_row *r = row_of(route);
	return r ? r->pattern : "other";
}

const dpd_route_row *dpd_route_match(dpd_req *rq, int post)
{
	const dpd_route_row *r = lookup(post, rq->path);
	rq->route = r->route;
	rq->endpoint = r->pattern;
	return r;
}

/* ---- the 404 rows ---- */

static void no_endpoint(const dpd_call *c)
{
	dpd_reply_error(c->rq, 404, DP_ENOTFOUND, "no such endpoint (see docs/api.md)");
}

static void no_cable_endpoint(const dpd_call *c)
{
	dpd_reply_error(c->rq, 404, DP_ENOTFOUND, "no such endpoint");
}

static void no_log_post(const dpd_call *c)
{
	dpd_reply_error(c->rq, 404, DP_ENOTFOUND, "no such log endpoint: POST is for cosign only");
}

static void no_log_endpoint(const dpd_call *c)
{
	dpd_reply_error(c->rq, 404, DP_ENOTFOUND, "no such log endpoint: checkpoint, witnessed, "
						  "tile/..., proof/inclusion, proof/consistency, "
						  "cosign");
}

/* ---- the dispatch ---- */

/* The device and officer of the TLS key, both active; else answered (401, 403, 503) and -1. */
static int authenticate(dpd_server *srv, dpd_req *rq, const uint8_t tls_key[32], dps_device *dev,
			dps_officer *me)
{
	/* directory rows cached before an admin change are forgotten here (within 1 ms: store.h) */
	int r = dps_dir_sync_recent(srv->store);
	if (r) {
		dpd_reply_error(rq, 503, r, "the switch cannot read its directory; retry");
		return -1;
	}
	r = dps_device_by_tls(srv->store, tls_key, dev);
	if (r == DP_ENOTFOUND) {
		dpd_reply_error(rq, 401, DP_EDEVICE, "this TLS key belongs to no enrolled device; "
						      "enrol it (denpo enrol) and have it approved");
		return -1;
	}
	if (r) {
		dpd_reply_error(rq, 503, r, "the switch cannot read its directory; retry");
		return -1;
	}
	dp_hex_encode(rq->dev, dev->id, 6);
	if (dev->status != DPS_ACTIVE) {
		char msg[96];
		snprintf(msg, sizeof msg, "this device is %s; ask the switch operator",
			 dps_status_name(dev->status));
		dpd_reply_error(rq, 403, DP_EDEVICE, msg);
		return -1;
	}
	r = dps_officer_get(srv->store, dev->officer, me);
	if (r || me->status != DPS_ACTIVE) {
		dpd_reply_error(rq, r && r != DP_ENOTFOUND ? 503 : 403, r && r != DP_ENOTFOUND ? r : DP_EDEVICE,
				"this device's officer is not active");
		return -1;
	}
	memcpy(rq->devid, dev->id, 32);
	rq->authed = 1;
	return 0;
}

/* DPD_FEED_OTHER and _KEYREQ: 1 if detection refused (and answered) the request. */
static int feed_request(dpd_server *srv, dpd_req *rq, int feed)
{
	dp_det_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = DP_DET_OTHER;
	ev.cable_seq = -1;
	const char *h = rq->path + strlen("/v1/directory/devices/");
	if (feed == KEYREQ && strlen(h) == 64 && dp_hex_decode(ev.subject, 32, h, 64) == DP_OK)
		ev.kind = DP_DET_KEYREQ;
	return dpd_det_request(srv, rq, &ev);
}

/* /v1/cables/{id}[/suffix]: the id (32 hex digits), DP_EPARSE if it is not one. */
static int cable_id(const char *path, uint8_t id[DP_CABLE_ID])
{
	const char *p = path + strlen("/v1/cables/");
	const char *slash = strchr(p, '/');
	size_t n = slash ? (size_t)(slash - p) : strlen(p);
	return n == 2 * DP_CABLE_ID ? dp_hex_decode(id, DP_CABLE_ID, p, n) : DP_EPARSE;
}

/*
 * DPD_FEED_CABLE and _FETCH: the cable of the path and the device's receipt
 * row into c (rc: storage for it), detection told with the cable's facts.
 * 0 to go on; -1 if answered here (a malformed id, a cable the device may
 * not see, a store failure, detection's refusal).
 */
static int cable_call(dpd_call *c, int feed, dps_cable *cable, dps_rcpt *rc)
{
	dpd_server *srv = c->srv;
	dpd_req *rq = c->rq;
	uint8_t id[DP_CABLE_ID];
	if (cable_id(rq->path, id)) {
		dpd_reply_error(rq, 400, DP_EPARSE, "a cable id is 32 hex digits");
		return -1;
	}
	int r = dps_cable_get(srv->store, id, cable);
	int is_rcpt = 0;
	if (!r) {
		r = dps_rcpt_get(srv->store, cable->seq, c->dev->id, rc);
		is_rcpt = r == DP_OK;
		if (r == DP_ENOTFOUND)
			r = DP_OK;
	}
	/* originator = any device of the originating officer */
	int is_orig = !r && strcmp(cable->officer, c->dev->officer) == 0;
	dp_det_event ev;
	memset(&ev, 0, sizeof ev);
	ev.cable_seq = -1;
	if (r == DP_ENOTFOUND || (!r && !is_rcpt && !is_orig)) {
		/* enumeration, or a decoy of another device's archive */
		ev.kind = DP_DET_NOT_ADDRESSED;
		ev.decoy = r == DP_OK && cable->decoy;
		if (r == DP_OK) {
			ev.cable_seq = cable->seq;
			ev.cable_accepted = cable->accepted;
		}
		if (dpd_det_request(srv, rq, &ev))
			return -1;
		/* a non-recipient must not learn that the cable exists */
		dpd_reply_error(rq, 404, DP_ENOTFOUND, "no such cable for this device");
		return -1;
	}
	if (!r) {
		ev.kind = feed == FETCH ? DP_DET_FETCH : DP_DET_OTHER;
		ev.cable_seq = cable->seq;
		ev.cable_accepted = cable->accepted;
		/* a decoy's rows are stored delivered: its recipient has never fetched it */
		ev.refetch = is_orig || (is_rcpt && rc->delivered != 0 && !cable->decoy);
		/* its delivery: waiting for this device, neither delivered nor acknowledged (R19) */
		ev.queued = is_rcpt && !ev.refetch && !rc->acked && !cable->decoy;
		ev.flash = is_rcpt && rc->prec == DP_PREC_FLASH; /* its precedence as an addressee */
		ev.decoy = cable->decoy && !is_orig; /* the security office reading its own decoy */
		if (dpd_det_request(srv, rq, &ev))
			return -1;
	}
	if (r) {
		dpd_reply_error(rq, dpd_http_status(r), r, "cannot read the cable; retry");
		return -1;
	}
	c->cable = cable;
	c->rcpt = is_rcpt ? rc : NULL;
	c->is_orig = is_orig;
	return 0;
}

void dpd_route_dispatch(dpd_server *srv, dpd_req *rq, const dpd_route_row *row, const char *query,
			const uint8_t tls_key[32])
{
	dps_device dev;
	dps_officer me;
	if (authenticate(srv, rq, tls_key, &dev, &me))
		return;
	int feed = row->feed;
	/* the cable routes tell detection after the lookup, with the cable's facts; SELF rows, their handler */
	if (feed != FEED_CABLE && feed != FETCH && feed != SELF && feed_request(srv, rq, feed))
		return;
	struct evkeyvalq qs;
	dpd_call c = {.srv = srv, .rq = rq, .dev = &dev, .me = &me};
	TAILQ_INIT(&qs);
	if (query) {
		char msg[DPQ_MSG_MAX];
		int r = dpq_parse(query, &qs, msg, sizeof msg);
		if (r) {
			dpd_reply_error(rq, dpd_http_status(r), r, msg);
			return;
		}
		c.q = &qs;
	}
	dps_cable cable;
	dps_rcpt rc;
	if ((feed != FEED_CABLE && feed != FETCH) || !cable_call(&c, feed, &cable, &rc))
		row->handler(&c);
	if (c.q)
		evhttp_clear_headers(&qs);
}
