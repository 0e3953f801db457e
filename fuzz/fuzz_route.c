/*
 * fuzz_route - the API's route table (denpod/route.c) and the request
 * metrics (denpod/metrics.c), linked from the switch's code (the table
 * names its handlers), on arbitrary paths, methods,
 * statuses and latencies.  A path finds at most one route, of its method;
 * a route without a placeholder matches its path exactly, one with a
 * placeholder shares the path's start up to it; the exposition names the
 * route's pattern and never the path, and every histogram is monotone with
 * +Inf equal to its count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denpod/metrics.h"
#include "denpod/route.h"
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4 || size > 512)
		return 0;
	int post = data[0] & 1;
	int status = 100 + (data[1] | (data[2] & 1) << 8) % 500;
	double seconds = data[3] / 16.0;
	char path[512];
	memcpy(path, data + 4, size - 4);
	path[size - 4] = 0; /* a path reaches the router as a C string */
	int r = dpd_route_find(post, path);
	if (r < 0 || r >= DPD_RT_COUNT)
		__builtin_trap();
	const char *pat = dpd_route_pattern(r), *brace = strchr(pat, '{');
	if (r != DPD_RT_NONE) {
		if (strcmp(dpd_route_method(r), post ? "POST" : "GET"))
			__builtin_trap(); /* a route of the other method */
		if (!brace && strcmp(pat, path))
			__builtin_trap(); /* an exact route on another path */
		if (brace && strncmp(pat, path, (size_t)(brace - pat)))
			__builtin_trap(); /* a prefix route on a path that does not start so */
	} else if (strcmp(pat, "other")) {
		__builtin_trap();
	}
	static dpm_counters m; /* the run's requests accumulate, as in the switch */
	dpm_request(&m, r, status, seconds);
	dpm_gauges g;
	memset(&g, 0, sizeof g);
	dp_buf out;
	dp_buf_init(&out, 1 << 22);
	if (dpm_render(&m, &g, "0.1", dpd_route_method, dpd_route_pattern, &out))
		__builtin_trap();
	char key[256];
	snprintf(key, sizeof key, "endpoint=\"%s\"", pat);
	if (!strstr((const char *)out.p, key))
		__builtin_trap(); /* the request's series is missing */
	/* histograms: cumulative buckets never decrease; +Inf equals _count */
	uint64_t prev = 0, inf = 0;
	for (const char *l = (const char *)out.p; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *sp = strchr(l, ' ');
		if (*l == '#' || !sp)
			continue;
		unsigned long long v = strtoull(sp + 1, NULL, 10);
		if (!strncmp(l, "denpod_http_request_duration_seconds_bucket", 43)) {
			if (strstr(l, "le=\"0.001\""))
				prev = 0;
			if (v < prev)
				__builtin_trap();
			prev = v;
			if (strstr(l, "le=\"+Inf\""))
				inf = v;
		} else if (!strncmp(l, "denpod_http_request_duration_seconds_count", 42) && v != inf) {
			__builtin_trap();
		}
	}
	dp_buf_free(&out);
	return 0;
}
