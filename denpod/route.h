/*
 * denpod/route.h - the API's route table: which endpoint a request is for.
 *
 * One table maps a method and a path to a route: the dispatch of
 * dpd_api_handle (api.c) switches on it, and the request metrics
 * (denpod/metrics.h) label by its pattern ("/v1/cables/{id}/ack"), never
 * by the raw path, so a label value is one of a few dozen fixed strings
 * whatever a peer sends.  A path that matches nothing is DPD_RT_NONE
 * (pattern "other"): answered 404 by the dispatch.
 *
 * Matching is by the path alone (no query): exact, by prefix, or for the
 * cable routes "/v1/cables/" + 32 hex digits + the suffix the table names.
 * The handler still parses the rest (a device id, a tile's coordinates)
 * and refuses what is malformed; a cable path with a malformed id is
 * DPD_RT_NONE, and the dispatch hands it to the cable handler all the same,
 * which says what is wrong with it.
 */
#ifndef DENPOD_ROUTE_H
#define DENPOD_ROUTE_H

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
	DPD_RT_COUNT
};

/* The route of a request; post: 1 for POST, 0 for GET (any other method: DPD_RT_NONE). */
int dpd_route_find(int post, const char *path);
/* Its method and pattern ("GET", "/v1/cables/{id}"); "other" for DPD_RT_NONE or out of range. */
const char *dpd_route_method(int route);
const char *dpd_route_pattern(int route);

#endif
