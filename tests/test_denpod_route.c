/*
 * tests/test_denpod_route.c - request paths to endpoint patterns
 * (denpod/route.h): every endpoint of docs/api.md by its pattern, ids
 * never kept, anything else "other".
 */
#include <string.h>

#include "denpod/route.h"
#include "tests/harness.h"

int main(void)
{
	static const struct {
		const char *path, *want;
	} cases[] = {
		{"/v1/health", "/v1/health"},
		{"/v1/cables", "/v1/cables"},
		{"/v1/cables/0011223344556677889900aabbccddee", "/v1/cables/{id}"},
		{"/v1/cables/0011223344556677889900aabbccddee/ack", "/v1/cables/{id}/ack"},
		{"/v1/cables/x/status", "/v1/cables/{id}/status"},
		{"/v1/cables/x/accepted", "/v1/cables/{id}/accepted"},
		{"/v1/cables/x/other", "other"},
		{"/v1/cables/", "other"},
		{"/v1/cables//ack", "other"},
		{"/v1/directory/devices/ab12", "/v1/directory/devices/{device}"},
		{"/v1/directory/devices/ab12/x", "other"},
		{"/v1/log/tile/0/x001/234", "/v1/log/tile/{...}"},
		{"/v1/log/tile/", "other"},
		{"/v1/log/proof/inclusion", "/v1/log/proof/inclusion"},
		{"/v1/log/cosign", "/v1/log/cosign"},
		{"/v1/keys", "/v1/keys"},
		{"/v1/inboxes", "other"},
		{"/v1/inbo", "other"},
		{"/v1/\x1b[2J\rdenpod:FAKE", "other"},
		{"", "other"},
		{"/", "other"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECKF(!strcmp(dpd_endpoint(cases[i].path), cases[i].want), "%s -> %s", cases[i].path,
		       dpd_endpoint(cases[i].path));
	return t_done("test_denpod_route");
}
