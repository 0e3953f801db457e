/*
 * denpod/route.c - the API's route table (see route.h).
 */
#include <string.h>

#include "denpod/route.h"

enum { EXACT, PREFIX, CABLE }; /* CABLE: "/v1/cables/" + 32 hex digits + suffix */

static const struct {
	int route, post, match;
	const char *path;   /* EXACT: the path; PREFIX: its start; CABLE: the suffix after the id */
	const char *pattern;
} routes[] = {
	{DPD_RT_HEALTH, 0, EXACT, "/v1/health", "/v1/health"},
	{DPD_RT_SUBMIT, 1, EXACT, "/v1/cables", "/v1/cables"},
	{DPD_RT_INBOX, 0, EXACT, "/v1/inbox", "/v1/inbox"},
	{DPD_RT_ARCHIVE, 0, EXACT, "/v1/archive", "/v1/archive"},
	{DPD_RT_CABLE, 0, CABLE, "", "/v1/cables/{id}"},
	{DPD_RT_CABLE_ACK, 1, CABLE, "/ack", "/v1/cables/{id}/ack"},
	{DPD_RT_CABLE_STATUS, 0, CABLE, "/status", "/v1/cables/{id}/status"},
	{DPD_RT_CABLE_ACCEPTED, 0, CABLE, "/accepted", "/v1/cables/{id}/accepted"},
	{DPD_RT_SENT, 0, EXACT, "/v1/sent", "/v1/sent"},
	{DPD_RT_OVERDUE, 0, EXACT, "/v1/overdue", "/v1/overdue"},
	{DPD_RT_RESOLVE, 0, EXACT, "/v1/directory/resolve", "/v1/directory/resolve"},
	{DPD_RT_DEVICE, 0, PREFIX, "/v1/directory/devices/", "/v1/directory/devices/{id}"},
	{DPD_RT_KEY_PUT, 1, EXACT, "/v1/keys", "/v1/keys"},
	{DPD_RT_KEYS, 0, EXACT, "/v1/keys", "/v1/keys"},
	{DPD_RT_LOG_CHECKPOINT, 0, EXACT, "/v1/log/checkpoint", "/v1/log/checkpoint"},
	{DPD_RT_LOG_WITNESSED, 0, EXACT, "/v1/log/witnessed", "/v1/log/witnessed"},
	{DPD_RT_LOG_TILE, 0, PREFIX, "/v1/log/tile/", "/v1/log/tile/{tile}"},
	{DPD_RT_LOG_INCLUSION, 0, EXACT, "/v1/log/proof/inclusion", "/v1/log/proof/inclusion"},
	{DPD_RT_LOG_CONSISTENCY, 0, EXACT, "/v1/log/proof/consistency", "/v1/log/proof/consistency"},
	{DPD_RT_LOG_COSIGN, 1, EXACT, "/v1/log/cosign", "/v1/log/cosign"},
	{DPD_RT_LOG_ROLLBACKS, 0, EXACT, "/v1/log/rollbacks", "/v1/log/rollbacks"},
	{DPD_RT_LOG_RECOVERED, 1, EXACT, "/v1/log/recovered", "/v1/log/recovered"},
};

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

int dpd_route_find(int post, const char *path)
{
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (routes[i].post == post && matches(routes[i].match, routes[i].path, path))
			return routes[i].route;
	return DPD_RT_NONE;
}

static int index_of(int route)
{
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (routes[i].route == route)
			return (int)i;
	return -1;
}

const char *dpd_route_method(int route)
{
	int i = index_of(route);
	return i < 0 ? "other" : routes[i].post ? "POST" : "GET";
}

const char *dpd_route_pattern(int route)
{
	int i = index_of(route);
	return i < 0 ? "other" : routes[i].pattern;
}
