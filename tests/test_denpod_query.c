/*
 * tests/test_denpod_query.c - the switch's strict reading of a query string
 * (denpod/query.h): an encoded NUL, a repeated parameter or too many are
 * refused naming the parameter; numbers have one spelling.
 */
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "denpod/query.h"
#include "tests/harness.h"

static char msg[DPQ_MSG_MAX];

/* dpq_parse's code for query; the list is cleared again. */
static int parse(const char *query)
{
	struct evkeyvalq q;
	TAILQ_INIT(&q);
	msg[0] = 0;
	int r = dpq_parse(query, &q, msg, sizeof msg);
	if (r)
		CHECKF(TAILQ_EMPTY(&q), "%s: refused but not emptied", query);
	evhttp_clear_headers(&q);
	return r;
}

/* Parameter key of query read by dpq_num in [min, max] (default def): its code, *v. */
static int num(const char *query, const char *key, uint64_t min, uint64_t max, uint64_t def,
	       uint64_t *v)
{
	struct evkeyvalq q;
	TAILQ_INIT(&q);
	*v = def;
	msg[0] = 0;
	int r = dpq_parse(query, &q, msg, sizeof msg);
	if (!r)
		r = dpq_num(&q, key, min, max, v, msg, sizeof msg);
	evhttp_clear_headers(&q);
	return r;
}

int main(void)
{
	uint64_t v;
	CHECK(parse("wait=1&limit=10&after=0") == DP_OK);
	CHECK(parse("to=ALL+POSTS&classification=SECRET") == DP_OK);
	CHECK(parse("to=ALL%20POSTS") == DP_OK);
	CHECK(parse("to=%2500") == DP_OK); /* "%00" as text is three characters, not a NUL */

	/* an encoded NUL anywhere in a value, named */
	CHECK(parse("wait=1%00") == DP_EPARSE && strstr(msg, "wait holds a NUL"));
	CHECK(parse("limit=5&wait=1%00junk") == DP_EPARSE && strstr(msg, "wait holds a NUL"));
	CHECK(parse("to=TOKYO%00PARIS&info=X") == DP_EPARSE && strstr(msg, "to holds a NUL"));
	CHECK(parse("a=%00") == DP_EPARSE);
	CHECK(parse("a=%%00") == DP_EPARSE);
	/* and in a name, which is not shown unless plain */
	CHECK(parse("wa%00it=1") == DP_EPARSE && !strstr(msg, "wa%") && strstr(msg, "not [a-z_]"));
	CHECK(parse("WAIT%00=1") == DP_EPARSE && !strstr(msg, "WAIT"));

	/* given twice, named */
	CHECK(parse("after=1&after=9") == DP_EPARSE && strstr(msg, "after is given twice"));
	CHECK(parse("limit=1&wait=0&limit=1") == DP_EPARSE && strstr(msg, "limit"));
	/* libevent finds names in any case: the same name in another case is the same parameter */
	CHECK(parse("limit=1&LIMIT=1000") == DP_EPARSE && strstr(msg, "given twice"));
	CHECK(parse("after=1&After=2") == DP_EPARSE);
	/* too many */
	char many[512] = "";
	for (int i = 0; i < DPQ_PARAMS_MAX; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), "%sp%c=1", i ? "&" : "", 'a' + i);
	CHECK(parse(many) == DP_OK);
	strcat(many, "&zz=1");
	CHECK(parse(many) == DP_EPARSE && strstr(msg, "17 parameters"));
	/* what libevent cannot split */
	CHECK(parse("a") == DP_EPARSE && strstr(msg, "malformed"));
	CHECK(parse("=1") == DP_EPARSE);

	/* numbers */
	CHECK(num("limit=10", "limit", 1, 1000, 100, &v) == DP_OK && v == 10);
	CHECK(num("wait=0", "limit", 1, 1000, 100, &v) == DP_OK && v == 100); /* absent: the default */
	CHECK(num("limit=1000", "limit", 1, 1000, 100, &v) == DP_OK && v == 1000);
	CHECK(num("after=9223372036854775807", "after", 0, INT64_MAX, 0, &v) == DP_OK && v == INT64_MAX);
	static const char *const bad[] = {
		"limit=0", "limit=1001", "limit=", "limit=+5", "limit=%2B5", "limit=-1", "limit=-0",
		"limit=1x", "limit=0x10", "limit=01", "limit=%201", "limit=1%20",
		"limit=99999999999999999999999", "limit=18446744073709551616",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int r = num(bad[i], "limit", 1, 1000, 100, &v);
		CHECKF(r == DP_EPARSE && v == 100 && strstr(msg, "limit must be a decimal number 1..1000"),
		       "%s -> %d, %s", bad[i], r, msg);
	}
	CHECK(num("after=9223372036854775808", "after", 0, INT64_MAX, 0, &v) == DP_EPARSE);
	CHECK(dpq_get(NULL, "wait") == NULL);
	v = 7;
	CHECK(dpq_num(NULL, "wait", 0, 60, &v, msg, sizeof msg) == DP_OK && v == 7);
	return t_done("test_denpod_query");
}
