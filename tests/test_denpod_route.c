/*
 * tests/test_denpod_route.c - request paths to routes and their patterns
 * (denpod/route.h): every endpoint of docs/api.md by its method and
 * pattern, ids never kept, anything else "other" (the request log and the
 * metrics label by the pattern); every row with its handler, one row per
 * endpoint, and the row (handler, detection's feed) each kind of path gets.
 */
#include <stdio.h>
#include <string.h>

#include "denpod/api.h"
#include "denpod/route.h"
#include "tests/harness.h"

#define ID "0011223344556677889900aabbccddee"

int main(void)
{
	static const struct {
		int post;
		const char *path, *want;
	} cases[] = {
		{0, "/v1/health", "/v1/health"},
		{1, "/v1/cables", "/v1/cables"},
		{0, "/v1/cables", "other"}, /* a list is /v1/inbox, /v1/archive, /v1/sent */
		{0, "/v1/cables/" ID, "/v1/cables/{id}"},
		{1, "/v1/cables/" ID "/ack", "/v1/cables/{id}/ack"},
		{0, "/v1/cables/" ID "/status", "/v1/cables/{id}/status"},
		{0, "/v1/cables/" ID "/accepted", "/v1/cables/{id}/accepted"},
		{0, "/v1/cables/x/status", "other"}, /* not an id */
		{0, "/v1/cables/" ID "/other", "other"},
		{0, "/v1/cables/", "other"},
		{1, "/v1/cables//ack", "other"},
		{0, "/v1/inbox", "/v1/inbox"},
		{0, "/v1/inboxes", "other"},
		{0, "/v1/inbo", "other"},
		{0, "/v1/directory/resolve", "/v1/directory/resolve"},
		{0, "/v1/directory", "/v1/directory"},
		{0, "/v1/directory/", "other"},
		{1, "/v1/directory", "other"},
		{0, "/v1/log/proof/inclusion", "/v1/log/proof/inclusion"},
		{1, "/v1/log/cosign", "/v1/log/cosign"},
		{1, "/v1/keys", "/v1/keys"},
		{0, "/v1/keys", "/v1/keys"},
		{0, "/v1/\x1b[2J\rdenpod:FAKE", "other"},
		{0, "", "other"},
		{0, "/", "other"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *got = dpd_route_pattern(dpd_route_find(cases[i].post, cases[i].path));
		CHECKF(!strcmp(got, cases[i].want), "%s %s -> %s", cases[i].post ? "POST" : "GET",
		       cases[i].path, got);
	}
	/* the prefix routes name the endpoint, never what follows */
	const char *dev = dpd_route_pattern(dpd_route_find(0, "/v1/directory/devices/ab12"));
	CHECKF(!strstr(dev, "ab12") && strstr(dev, "/v1/directory/devices/{"), "device route: %s", dev);
	const char *tile = dpd_route_pattern(dpd_route_find(0, "/v1/log/tile/0/x001/234"));
	CHECKF(!strstr(tile, "234") && strstr(tile, "/v1/log/tile/{"), "tile route: %s", tile);

	/* every row has a handler; every endpoint has exactly one row, found by its own path */
	int rows[DPD_RT_COUNT] = {0};
	for (size_t i = 0; i < dpd_nroutes; i++) {
		const dpd_route_row *r = &dpd_routes[i];
		CHECKF(r->handler != NULL, "row %zu (%s) has no handler", i, r->pattern);
		CHECKF(r->route >= 0 && r->route < DPD_RT_COUNT, "row %zu: route %d", i, r->route);
		if (r->route <= DPD_RT_NONE || r->route >= DPD_RT_COUNT)
			continue;
		rows[r->route]++;
		CHECKF(r->post == 0 || r->post == 1, "%s: an endpoint has one method", r->pattern);
		/* the pattern with its placeholder filled in is a path of that row */
		char path[96];
		const char *brace = strchr(r->pattern, '{');
		if (!brace)
			snprintf(path, sizeof path, "%s", r->pattern);
		else
			snprintf(path, sizeof path, "%.*s%s%s", (int)(brace - r->pattern), r->pattern,
				 r->match == DPD_MATCH_CABLE ? ID : "0a", strchr(brace, '}') + 1);
		CHECKF(dpd_route_find(r->post, path) == r->route, "%s %s -> %s", r->post ? "POST" : "GET",
		       path, dpd_route_pattern(dpd_route_find(r->post, path)));
		/* the cable routes are told to detection after their cable is read */
		CHECKF((r->match == DPD_MATCH_CABLE) == (r->feed == DPD_FEED_CABLE || r->feed == DPD_FEED_FETCH),
		       "%s: feed %d", r->pattern, r->feed);
	}
	for (int rt = DPD_RT_NONE + 1; rt < DPD_RT_COUNT; rt++)
		CHECKF(rows[rt] == 1, "route %d has %d rows", rt, rows[rt]);

	/* the row a request gets: its handler, what detection is told, the 404 rows */
	static const struct {
		int post;
		const char *path;
		dpd_handler handler; /* NULL: one of the table's 404 rows, route DPD_RT_NONE */
		int feed;
	} rq_cases[] = {
		{0, "/v1/cables/" ID, dpd_get_cable, DPD_FEED_FETCH},
		{1, "/v1/cables/" ID "/ack", dpd_post_ack, DPD_FEED_CABLE},
		{0, "/v1/cables/" ID "/status", dpd_get_status, DPD_FEED_CABLE},
		{1, "/v1/cables/" ID, NULL, DPD_FEED_CABLE},      /* POST a cable: no such endpoint */
		{0, "/v1/cables/" ID "/ack", NULL, DPD_FEED_CABLE}, /* GET an ack: no such endpoint */
		{0, "/v1/cables/x/status", NULL, DPD_FEED_CABLE},  /* a malformed id: 400, said there */
		{1, "/v1/cables", dpd_post_cable, DPD_FEED_OTHER},
		{0, "/v1/cables", NULL, DPD_FEED_OTHER},
		{0, "/v1/directory/devices/ab", dpd_get_device, DPD_FEED_KEYREQ},
		{1, "/v1/directory/devices/ab", NULL, DPD_FEED_OTHER},
		{0, "/v1/log/tile/0/000", dpd_get_tile, DPD_FEED_OTHER},
		{1, "/v1/log/cosign", dpd_post_cosign, DPD_FEED_OTHER},
		{0, "/v1/log/cosign", NULL, DPD_FEED_OTHER},       /* POST is for cosign only */
		{1, "/v1/log/checkpoint", NULL, DPD_FEED_OTHER},
		{0, "/v1/log/recovered", NULL, DPD_FEED_OTHER},    /* the log's endpoints are listed */
		{1, "/v1/log/recovered", dpd_log_recovered, DPD_FEED_OTHER},
		{1, "/v1/records", dpd_post_records, DPD_FEED_SELF}, /* the handler tells detection */
		{0, "/v1/records/state", dpd_get_records_state, DPD_FEED_SELF},
		{0, "/v1/records", NULL, DPD_FEED_OTHER},
		{0, "/nothing", NULL, DPD_FEED_OTHER},
	};
	for (size_t i = 0; i < sizeof rq_cases / sizeof rq_cases[0]; i++) {
		dpd_req rq;
		memset(&rq, 0, sizeof rq);
		snprintf(rq.path, sizeof rq.path, "%s", rq_cases[i].path);
		const dpd_route_row *r = dpd_route_match(&rq, rq_cases[i].post);
		CHECKF(r && r->handler, "%s: no handler", rq_cases[i].path);
		if (!r)
			continue;
		CHECKF(rq.route == r->route && !strcmp(rq.endpoint, dpd_route_pattern(r->route)),
		       "%s: rq route %d endpoint %s", rq_cases[i].path, rq.route, rq.endpoint);
		if (rq_cases[i].handler)
			CHECKF(r->handler == rq_cases[i].handler && r->route != DPD_RT_NONE, "%s %s: wrong row",
			       rq_cases[i].post ? "POST" : "GET", rq_cases[i].path);
		else
			CHECKF(r->route == DPD_RT_NONE && !strcmp(rq.endpoint, "other"), "%s %s: route %d",
			       rq_cases[i].post ? "POST" : "GET", rq_cases[i].path, r->route);
		CHECKF(r->feed == rq_cases[i].feed, "%s %s: feed %d", rq_cases[i].post ? "POST" : "GET",
		       rq_cases[i].path, r->feed);
	}
	return t_done("test_denpod_route");
}
