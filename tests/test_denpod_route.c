/*
 * tests/test_denpod_route.c - request paths to routes and their patterns
 * (denpod/route.h): every endpoint of docs/api.md by its method and
 * pattern, ids never kept, anything else "other" (the request log and the
 * metrics label by the pattern).
 */
#include <string.h>

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
	return t_done("test_denpod_route");
}
