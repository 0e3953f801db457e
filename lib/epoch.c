/*
 * lib/epoch.c - the clock key epochs are judged by (the record codec lives
 * in enrol.c beside the other signed key files).
 */
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
