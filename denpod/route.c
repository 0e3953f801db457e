/*
 * denpod/route.c - request path to endpoint pattern (route.h).
 */
#include <string.h>

#include "denpod/route.h"

static const char *const patterns[] = {
	"/v1/health",
	"/v1/cables",
	"/v1/cables/{id}",
	"/v1/cables/{id}/ack",
	"/v1/cables/{id}/status",
	"/v1/cables/{id}/accepted",
	"/v1/inbox",
	"/v1/archive",
	"/v1/sent",
	"/v1/overdue",
	"/v1/keys",
	"/v1/directory/resolve",
	"/v1/directory/devices/{device}",
	"/v1/log/checkpoint",
	"/v1/log/witnessed",
	"/v1/log/tile/{...}",
	"/v1/log/proof/inclusion",
	"/v1/log/proof/consistency",
	"/v1/log/cosign",
};

/* Does path match pattern, segment by segment? */
static int match(const char *pat, const char *path)
{
	while (*pat && *path) {
		if (pat[0] == '{') {
			if (!strcmp(pat, "{...}"))
				return path[0] != 0; /* the rest, not empty */
			size_t seg = strcspn(path, "/");
			if (seg == 0)
				return 0;
			pat += strcspn(pat, "/");
			path += seg;
			continue;
		}
		if (*pat != *path)
			return 0;
		pat++;
		path++;
	}
	return !*pat && !*path;
}

const char *dpd_endpoint(const char *path)
{
	for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++)
		if (match(patterns[i], path))
			return patterns[i];
	return "other";
}
