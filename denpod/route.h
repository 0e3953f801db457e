/*
 * denpod/route.h - the API's route table: which endpoint a request is
 * for, and the function that answers it (api.h).
 *
 * One table maps a method and a path to a row: its route (the request
 * metrics, denpod/metrics.h, and the request log label by its pattern,
 * "/v1/cables/{id}/ack", never by the raw path, so a label value is one of
 * a few dozen fixed strings whatever a peer sends), its handler, and what
 * detection is told of the request (DPD_FEED_*).  Adding an endpoint is a
 * route name in the enum, a row, and its handler.
 *
 * Matching is by the path alone (no query), first row first: exact, by
 * prefix, or for the cable routes "/v1/cables/" + 32 hex digits + the
 * suffix the row names.  The handler still parses the rest (a device id, a
 * tile's coordinates) and refuses what is malformed.  After the endpoints
 * come rows of route DPD_RT_NONE (pattern "other") for the paths under
 * /v1/cables/ and /v1/log/ that match none: they answer 404 saying what
 * is wrong (a cable path with a malformed id: 400, after its family's
 * checks); any other path gets "no such endpoint".
 */
#ifndef DENPOD_ROUTE_H
#define DENPOD_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "denpod/api.h"
#include "denpod/req.h"

enum dpd_route {
	DPD_RT_NONE, /* no endpoint: 404 */
	DPD_RT_HEALTH,
	DPD_RT_SUBMIT,
	DPD_RT_INBOX,
	DPD_RT_ARCHIVE,
	DPD_RT_CABLE,
	DPD_RT_CABLE_ACK,
	DPD_RT_CABLE_STATUS,
	DPD_RT_CABLE_ACCEPTED,
	DPD_RT_SENT,
	DPD_RT_OVERDUE,
	DPD_RT_RESOLVE,
	DPD_RT_DIRECTORY,
	DPD_RT_DEVICE,
	DPD_RT_KEY_PUT,
	DPD_RT_KEYS,
	DPD_RT_LOG_CHECKPOINT,
	DPD_RT_LOG_WITNESSED,
	DPD_RT_LOG_TILE,
	DPD_RT_LOG_INCLUSION,
	DPD_RT_LOG_CONSISTENCY,
	DPD_RT_LOG_COSIGN,
	DPD_RT_LOG_ROLLBACKS,
	DPD_RT_LOG_RECOVERED,
	DPD_RT_LOG_OFFICER,
	DPD_RT_DEVICE_APPROVE,
	DPD_RT_DEVICE_REPORT,
	DPD_RT_RECORDS,
	DPD_RT_RECORDS_STATE,
	DPD_RT_RECORDS_CHANGES,
	DPD_RT_COUNT
};

struct dpd_server;

/*
 * What detection is told of a request before its handler runs
 * (dpd_det_request), decided by its row:
 *   DPD_FEED_OTHER   an event of kind OTHER, before the query is parsed
 *   DPD_FEED_KEYREQ  GET /v1/directory/devices/{id}: a request for that device's keys
 *                    (KEYREQ, the id as subject; OTHER if the id is malformed)
 *   DPD_FEED_CABLE   /v1/cables/{id}...: after the query, with the cable's facts
 *                    (NOT_ADDRESSED for a cable the device may not see, answered 404
 *                    here; else OTHER)
 *   DPD_FEED_FETCH   the same, as a FETCH (GET /v1/cables/{id}: the throttle counts it)
 *   DPD_FEED_SELF    the handler tells detection itself, once it has read which cable the
 *                    request is for (the archive's acts, api_records.c: a read is a FETCH)
 */
enum { DPD_FEED_OTHER, DPD_FEED_KEYREQ, DPD_FEED_CABLE, DPD_FEED_FETCH, DPD_FEED_SELF };

enum { DPD_MATCH_EXACT, DPD_MATCH_PREFIX, DPD_MATCH_CABLE };

struct dpd_route_row {
	int route;          /* enum dpd_route */
	int post;           /* 1: POST, 0: GET, -1: either (the 404 rows) */
	int match;          /* DPD_MATCH_*: how path is compared */
	const char *path;   /* EXACT: the path; PREFIX: its start; CABLE: the suffix after the id */
	const char *pattern;
	dpd_handler handler;
	int feed;           /* DPD_FEED_* */
};
typedef struct dpd_route_row dpd_route_row;

/* The route of a request; post: 1 for POST, 0 for GET (any other method: DPD_RT_NONE). */
int dpd_route_find(int post, const char *path);
/* Its method and pattern ("GET", "/v1/cables/{id}"); "other" for DPD_RT_NONE or out of range. */
const char *dpd_route_method(int route);
const char *dpd_route_pattern(int route);

/*
 * The row of rq's method and path (never NULL: a path that matches none
 * gets the row that answers 404); sets rq->route and rq->endpoint.
 */
const dpd_route_row *dpd_route_match(dpd_req *rq, int post);
/*
 * Handles an authenticated peer's request by its row: the device of the
 * TLS key must be enrolled (else 401) and active with an active officer
 * (else 403); detection is fed (and may refuse it); the query is parsed
 * (400 with what is wrong); for the cable routes the cable and the
 * device's receipt row are read once (400 for a malformed id, 404 for a
 * cable the device may not see); then the row's handler answers.
 */
void dpd_route_dispatch(struct dpd_server *srv, dpd_req *rq, const dpd_route_row *row,
			const char *query, const uint8_t tls_key[32]);

/* The table, in matching order (route.c; for the tests). */
extern const dpd_route_row dpd_routes[];
extern const size_t dpd_nroutes;

#endif
