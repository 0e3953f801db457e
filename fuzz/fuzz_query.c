/*
 * fuzz_query - the switch's strict reading of a query string
 * (denpod/query.c, built in here: it needs only libevent and libdenpo) on
 * arbitrary text.  A query it accepts holds at most DPQ_PARAMS_MAX
 * parameters, no name twice and nothing that decodes to a NUL byte (so
 * the raw text holds no "%00"); every number dpq_num accepts is
 * the printf spelling of a value in its range.  A refused query leaves the
 * list empty with a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../denpod/query.c"
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *query = malloc(size + 1), msg[DPQ_MSG_MAX];
	if (!query)
		return 0;
	memcpy(query, data, size);
	query[size] = 0; /* a URI reaches the switch as a C string */
	struct evkeyvalq q;
	TAILQ_INIT(&q);
	msg[0] = 0;
	int r = dpq_parse(query, &q, msg, sizeof msg);
	if (r) {
		if (!TAILQ_EMPTY(&q) || !msg[0])
			__builtin_trap();
		free(query);
		return 0;
	}
	size_t n = 0;
	struct evkeyval *kv, *kw;
	TAILQ_FOREACH(kv, &q, next) {
		n++;
		for (kw = TAILQ_NEXT(kv, next); kw; kw = TAILQ_NEXT(kw, next))
			if (!evutil_ascii_strcasecmp(kv->key, kw->key))
				__builtin_trap(); /* a name given twice (in any case) was accepted */
		if (dpq_get(&q, kv->key) != kv->value)
			__builtin_trap();
		uint64_t v = 12345, lo = strlen(kv->value) % 7, hi = lo + 1000;
		if (dpq_num(&q, kv->key, lo, hi, &v, msg, sizeof msg) == DP_OK) {
			char back[32];
			snprintf(back, sizeof back, "%llu", (unsigned long long)v);
			if (strcmp(back, kv->value) || v < lo || v > hi)
				__builtin_trap(); /* a number read is its one spelling, in range */
		} else if (v != 12345) {
			__builtin_trap(); /* refused, but the default was overwritten */
		}
	}
	if (n > DPQ_PARAMS_MAX)
		__builtin_trap();
	/* no name or value decodes to a NUL: libevent turns exactly a raw "%00" into one */
	if (strstr(query, "%00"))
		__builtin_trap();
	evhttp_clear_headers(&q);
	free(query);
	return 0;
}
