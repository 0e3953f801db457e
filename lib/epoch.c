/*
 * lib/epoch.c - the clock key epochs are judged by (the record codec lives
 * in enrol.c beside the other signed key files).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "denpo/epoch.h"

#define OFFSET_MAX (10LL * 366 * 86400)

int64_t dp_now(void)
{
	int64_t t = (int64_t)time(NULL);
	const char *s = getenv("DENPO_TEST_CLOCK_OFFSET");
	if (s && *s) {
		char *end;
		long long v = strtoll(s, &end, 10);
		if (!*end && v >= -OFFSET_MAX && v <= OFFSET_MAX)
			t += v;
	}
	return t;
}

void dp_time_str(int64_t t, char out[DP_TIME_STR])
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(out, DP_TIME_STR, "%Y-%m-%d %H:%M:%SZ", &tm))
		snprintf(out, DP_TIME_STR, "%lld", (long long)t); /* beyond what struct tm holds */
}

void dp_span_str(int64_t seconds, char out[DP_TIME_STR])
{
	/* |INT64_MIN| does not fit: clamp, no caller's clock is that far off */
	unsigned long long s = seconds < 0 ? (seconds < -INT64_MAX ? (unsigned long long)INT64_MAX
								   : (unsigned long long)-seconds)
					   : (unsigned long long)seconds;
	static const struct {
		unsigned long long below, unit;
		const char *name;
	} units[] = {{120, 1, "second"}, {2 * 3600, 60, "minute"}, {3 * 86400, 3600, "hour"},
		     {~0ULL, 86400, "day"}};
	size_t i = 0;
	while (s >= units[i].below)
		i++;
	/* to the nearest unit: an hour and a second behind reads "60 minutes" */
	unsigned long long n = (s + units[i].unit / 2) / units[i].unit;
	snprintf(out, DP_TIME_STR, "%llu %s%s", n, units[i].name, n == 1 ? "" : "s");
}
