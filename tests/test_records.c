/*
 * test_records - the records schedule and the archive's acts
 * (denpo/records.h): the built-in schedule, every denpod.conf key form good
 * and bad, the JSON round trip and hostile JSON, the defaults a draft gets
 * (by class, by TAGS, their combination, a drafter's own fields kept), the
 * end of a retention (29 February included), the acts' names, and every
 * row of the one rule dp_records_apply.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "denpo/client.h"
#include "denpo/records.h"
#include "tests/harness.h"

static char why[DP_RECORDS_WHY];

static int set(dp_records_sched *s, const char *k, const char *v)
{
	why[0] = 0;
	return dp_records_sched_set(s, k, v, why, sizeof why);
}

static int64_t utc(int y, int mo, int d, int h, int mi, int sec)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi,
			.tm_sec = sec};
	return (int64_t)timegm(&tm);
}

static void test_default(void)
{
	dp_records_sched s;
	dp_records_sched_default(&s);
	CHECK(dp_records_sched_validate(&s, why, sizeof why) == DP_OK);
	CHECK(s.nretentions == 1 && !strcmp(s.retentions[0].name, "PERMANENT") && s.retentions[0].years == 0);
	CHECK(s.ntags == 0);
	for (int cl = 0; cl < DP_CLASS_COUNT; cl++) {
		CHECK(!strcmp(s.by_class[cl].retention, DP_RETENTION_DEFAULT));
		CHECK(s.by_class[cl].declassify_years == (cl == DP_CLASS_UNCLASSIFIED ? 0 : 30));
		CHECK(s.by_class[cl].declassify_event[0] == 0);
	}
}

static void test_keys(void)
{
	dp_records_sched s;
	dp_records_sched_default(&s);
	/* retention classes */
	CHECK(set(&s, "records_retention_TEMPORARY-10Y", "10") == DP_OK);
	CHECK(set(&s, "records_retention_temporary-25y", "25") == DP_OK); /* any letter case */
	CHECK(s.nretentions == 3 && !strcmp(s.retentions[2].name, "TEMPORARY-25Y") && s.retentions[2].years == 25);
	CHECK(set(&s, "records_retention_TEMPORARY-10Y", "12") == DP_OK); /* a later line replaces */
	CHECK(s.nretentions == 3 && s.retentions[1].years == 12);
	CHECK(set(&s, "records_retention_LONG", "permanent") == DP_OK && s.retentions[3].years == 0);
	CHECK(set(&s, "records_retention_LONG2", "PERMANENT") == DP_OK);
	CHECK(set(&s, "records_retention_X", "100") == DP_OK);
	CHECK(set(&s, "records_retention_X", "101") == DP_EPARSE && strstr(why, "1..100"));
	CHECK(set(&s, "records_retention_X", "0") == DP_EPARSE);
	CHECK(set(&s, "records_retention_X", "010") == DP_EPARSE);
	CHECK(set(&s, "records_retention_X", "10y") == DP_EPARSE);
	CHECK(set(&s, "records_retention_X", "") == DP_EPARSE);
	CHECK(set(&s, "records_retention_X", "-1") == DP_EPARSE);
	CHECK(set(&s, "records_retention_PERMANENT", "10") == DP_EPARSE && strstr(why, "permanent"));
	CHECK(set(&s, "records_retention_PERMANENT", "permanent") == DP_OK);
	CHECK(set(&s, "records_retention_", "10") == DP_EPARSE);
	CHECK(set(&s, "records_retention_A,B", "10") == DP_EPARSE);
	CHECK(set(&s, "records_retention_-A", "10") == DP_EPARSE);
	char k[128];
	snprintf(k, sizeof k, "records_retention_%0*d", DP_NAME_MAX, 0);
	CHECK(set(&s, k, "1") == DP_OK);
	snprintf(k, sizeof k, "records_retention_%0*d", DP_NAME_MAX + 1, 0);
	CHECK(set(&s, k, "1") == DP_EPARSE);
	CHECK(dp_records_sched_validate(&s, why, sizeof why) == DP_OK);
	/* sixteen classes at most */
	for (int i = (int)s.nretentions; i < DP_RECORDS_RETENTIONS; i++) {
		snprintf(k, sizeof k, "records_retention_R%d", i);
		CHECK(set(&s, k, "5") == DP_OK);
	}
	CHECK(s.nretentions == DP_RECORDS_RETENTIONS);
	CHECK(set(&s, "records_retention_ONE-TOO-MANY", "5") == DP_ETOOBIG);
	CHECK(set(&s, "records_retention_R8", "6") == DP_OK); /* replacing is not adding */

	/* class rules */
	dp_records_sched_default(&s);
	CHECK(set(&s, "records_retention_TEMPORARY-10Y", "10") == DP_OK);
	CHECK(set(&s, "records_class_secret", "PERMANENT 25y") == DP_OK);
	CHECK(s.by_class[DP_CLASS_SECRET].declassify_years == 25);
	CHECK(set(&s, "records_class_TOP_SECRET", "PERMANENT event End of the war") == DP_OK);
	CHECK(!strcmp(s.by_class[DP_CLASS_TOP_SECRET].declassify_event, "End of the war"));
	CHECK(s.by_class[DP_CLASS_TOP_SECRET].declassify_years == 0);
	CHECK(set(&s, "records_class_Restricted", "temporary-10y none") == DP_OK);
	CHECK(!strcmp(s.by_class[DP_CLASS_RESTRICTED].retention, "TEMPORARY-10Y"));
	CHECK(s.by_class[DP_CLASS_RESTRICTED].declassify_years == 0);
	CHECK(set(&s, "records_class_unclassified", "TEMPORARY-10Y none") == DP_OK);
	CHECK(set(&s, "records_class_unclassified", "PERMANENT 10y") == DP_EPARSE && strstr(why, "none"));
	CHECK(set(&s, "records_class_unclassified", "PERMANENT event X") == DP_EPARSE);
	CHECK(!strcmp(s.by_class[DP_CLASS_UNCLASSIFIED].retention, "TEMPORARY-10Y")); /* unchanged */
	CHECK(set(&s, "records_class_secret", "TEMPORARY-5Y 10y") == DP_ENOTFOUND &&
	      strstr(why, "records_retention_TEMPORARY-5Y"));
	CHECK(set(&s, "records_class_ts", "PERMANENT 10y") == DP_EPARSE);        /* abbreviation */
	CHECK(set(&s, "records_class_top secret", "PERMANENT 10y") == DP_EPARSE); /* '_' for the space */
	CHECK(set(&s, "records_class_secretx", "PERMANENT 10y") == DP_EPARSE);
	CHECK(set(&s, "records_class_", "PERMANENT 10y") == DP_EPARSE);
	static const char *const bad_rules[] = {
		"PERMANENT",       "PERMANENT ",       " PERMANENT 10y", "PERMANENT 10",   "PERMANENT 0y",
		"PERMANENT 101y",  "PERMANENT 010y",   "PERMANENT y",    "PERMANENT 10Y",  "PERMANENT  10y",
		"PERMANENT event", "PERMANENT event ", "PERMANENT event  x", "PERMANENT Event x",
		"PERMANENT none x", "PERMANENT never",  "PERMANENT event x\x1b[2J", "PERMANENT 10y x",
	};
	for (size_t i = 0; i < sizeof bad_rules / sizeof *bad_rules; i++) {
		int r = set(&s, "records_class_confidential", bad_rules[i]);
		CHECKF(r == DP_EPARSE && why[0], "rule \"%s\": %s", bad_rules[i], dp_errname(r));
	}
	CHECK(set(&s, "records_class_confidential", "PERMANENT 100y") == DP_OK);
	char ev[DP_DECL_EVENT_MAX + 32];
	memset(ev, 0, sizeof ev);
	strcpy(ev, "PERMANENT event ");
	memset(ev + 16, 'e', DP_DECL_EVENT_MAX);
	CHECK(set(&s, "records_class_confidential", ev) == DP_OK);
	ev[16 + DP_DECL_EVENT_MAX] = 'e';
	CHECK(set(&s, "records_class_confidential", ev) == DP_EPARSE);
	/* tag rules */
	CHECK(set(&s, "records_tag_PREL", "PERMANENT 50y") == DP_OK);
	CHECK(set(&s, "records_tag_kjus", "TEMPORARY-10Y none") == DP_OK && !strcmp(s.tags[1].tag, "KJUS"));
	CHECK(set(&s, "records_tag_PREL", "PERMANENT 60y") == DP_OK && s.ntags == 2 &&
	      s.tags[0].rule.declassify_years == 60);
	CHECK(set(&s, "records_tag_PREL", "NOPE 60y") == DP_ENOTFOUND && s.tags[0].rule.declassify_years == 60);
	CHECK(set(&s, "records_tag_A,B", "PERMANENT 1y") == DP_EPARSE);
	CHECK(set(&s, "records_tag_", "PERMANENT 1y") == DP_EPARSE);
	CHECK(dp_records_sched_validate(&s, why, sizeof why) == DP_OK);
	for (int i = (int)s.ntags; i < DP_RECORDS_TAG_RULES; i++) {
		snprintf(k, sizeof k, "records_tag_T%d", i);
		CHECK(set(&s, k, "PERMANENT 1y") == DP_OK);
	}
	CHECK(set(&s, "records_tag_ONE-TOO-MANY", "PERMANENT 1y") == DP_ETOOBIG);
	CHECK(dp_records_sched_validate(&s, why, sizeof why) == DP_OK);
	/* keys of other kinds */
	CHECK(set(&s, "records_post", "HQ") == DP_ENOTFOUND);
	CHECK(set(&s, "records_required", "SECRET") == DP_ENOTFOUND);
	CHECK(set(&s, "marking_secret", "X") == DP_ENOTFOUND);
	CHECK(set(&s, "records_retention", "10") == DP_ENOTFOUND);
}

static void test_validate(void)
{
	dp_records_sched s, t;
	dp_records_sched_default(&s);
	CHECK(set(&s, "records_retention_TEMPORARY-10Y", "10") == DP_OK);
	CHECK(set(&s, "records_tag_PREL", "TEMPORARY-10Y 5y") == DP_OK);
#define BAD(mod)                                                                             \
	do {                                                                                 \
		t = s;                                                                       \
		mod;                                                                         \
		why[0] = 0;                                                                  \
		int r_ = dp_records_sched_validate(&t, why, sizeof why);                     \
		CHECKF(r_ == DP_EPARSE && why[0], "%s: %s", #mod, dp_errname(r_));           \
	} while (0)
	BAD(t.nretentions = 0);
	BAD(t.nretentions = DP_RECORDS_RETENTIONS + 1);
	BAD(strcpy(t.retentions[1].name, "temporary"));
	BAD(strcpy(t.retentions[1].name, ""));
	BAD(strcpy(t.retentions[1].name, "PERMANENT"));
	BAD(t.retentions[1].years = -1);
	BAD(t.retentions[1].years = DP_RECORDS_YEARS_MAX + 1);
	BAD(t.retentions[0].years = 5); /* PERMANENT must stay permanent */
	BAD((strcpy(t.retentions[0].name, "FOREVER"), strcpy(t.by_class[0].retention, "FOREVER")));
	BAD(strcpy(t.by_class[DP_CLASS_SECRET].retention, "NOPE"));
	BAD(t.by_class[DP_CLASS_SECRET].declassify_years = -1);
	BAD(t.by_class[DP_CLASS_SECRET].declassify_years = DP_RECORDS_YEARS_MAX + 1);
	BAD(strcpy(t.by_class[DP_CLASS_SECRET].declassify_event, "both")); /* with 30 years */
	BAD((t.by_class[DP_CLASS_SECRET].declassify_years = 0,
	     strcpy(t.by_class[DP_CLASS_SECRET].declassify_event, " x")));
	BAD((t.by_class[DP_CLASS_SECRET].declassify_years = 0,
	     strcpy(t.by_class[DP_CLASS_SECRET].declassify_event, "a\nb")));
	BAD(t.by_class[DP_CLASS_UNCLASSIFIED].declassify_years = 1);
	BAD(strcpy(t.by_class[DP_CLASS_UNCLASSIFIED].declassify_event, "x"));
	BAD(t.ntags = DP_RECORDS_TAG_RULES + 1);
	BAD((t.ntags = 2, t.tags[1] = t.tags[0]));
	BAD(strcpy(t.tags[0].tag, "prel"));
	BAD(strcpy(t.tags[0].rule.retention, "NOPE"));
#undef BAD
	CHECK(dp_records_sched_validate(&s, why, sizeof why) == DP_OK);
	/* a tag's rule may declassify: it never applies to UNCLASSIFIED (see defaults) */
}

static int parse(const char *j, dp_records_sched *s)
{
	why[0] = 0;
	return dp_records_sched_parse((const uint8_t *)j, strlen(j), s, why, sizeof why);
}

#define RULE_P "{\"retention\":\"PERMANENT\",\"declassify_years\":0,\"declassify_event\":\"\"}"
#define RULE_30 "{\"retention\":\"PERMANENT\",\"declassify_years\":30,\"declassify_event\":\"\"}"
#define CLASSES(u) "{\"UNCLASSIFIED\":" u ",\"RESTRICTED\":" RULE_30 ",\"CONFIDENTIAL\":" RULE_30 \
		   ",\"SECRET\":" RULE_30 ",\"TOP SECRET\":" RULE_30 "}"
#define RETS "[{\"name\":\"PERMANENT\",\"years\":0}]"

static void test_json(void)
{
	dp_records_sched s, d;
	dp_buf b;
	dp_buf_init(&b, 1 << 20);
	/* the default schedule: its JSON, exactly */
	dp_records_sched_default(&s);
	CHECK(dp_records_sched_json(&s, &b) == DP_OK);
	const char *want = "{\"retentions\":" RETS ",\"classes\":" CLASSES(RULE_P) ",\"tags\":[]}";
	CHECKF(b.len == strlen(want) && !memcmp(b.p, want, b.len), "%.*s", (int)b.len, (const char *)b.p);
	CHECK(parse(want, &d) == DP_OK && !memcmp(&d, &s, sizeof s));
	/* a full schedule round trips, UTF-8 event text included */
	CHECK(set(&s, "records_retention_TEMPORARY-10Y", "10") == DP_OK);
	CHECK(set(&s, "records_class_top_secret", "PERMANENT event \xe6\x97\xa5\xe9\x9f\x93 \"treaty\" \\ end") ==
	      DP_OK);
	CHECK(set(&s, "records_tag_PREL", "TEMPORARY-10Y 5y") == DP_OK);
	CHECK(set(&s, "records_tag_KJUS", "PERMANENT none") == DP_OK);
	dp_buf_reset(&b);
	CHECK(dp_records_sched_json(&s, &b) == DP_OK);
	CHECK(dp_records_sched_parse(b.p, b.len, &d, why, sizeof why) == DP_OK);
	CHECK(!memcmp(&d, &s, sizeof s)); /* both start zeroed: the bytes are the fields */
	dp_buf c;
	dp_buf_init(&c, 1 << 20);
	CHECK(dp_records_sched_json(&d, &c) == DP_OK && c.len == b.len && !memcmp(c.p, b.p, b.len));
	size_t nonascii = 0;
	for (size_t i = 0; i < b.len; i++)
		nonascii += b.p[i] < 0x20 || b.p[i] >= 0x7f;
	CHECK(nonascii == 0); /* ASCII only */
	/* the largest schedule fits the parser's limit */
	dp_records_sched big;
	dp_records_sched_default(&big);
	char k[80], v[DP_DECL_EVENT_MAX + 96];
	for (int i = 1; i < DP_RECORDS_RETENTIONS; i++) {
		snprintf(k, sizeof k, "records_retention_%0*d", DP_NAME_MAX, i);
		CHECK(set(&big, k, "100") == DP_OK);
	}
	for (int i = 0; i < DP_RECORDS_TAG_RULES; i++) {
		snprintf(k, sizeof k, "records_tag_%0*d", DP_NAME_MAX, i);
		snprintf(v, sizeof v, "%0*d event %0*d", DP_NAME_MAX, 1, DP_DECL_EVENT_MAX, 0);
		int r = set(&big, k, v);
		CHECKF(r == DP_OK, "%s", why);
	}
	dp_buf_reset(&c);
	CHECK(dp_records_sched_json(&big, &c) == DP_OK);
	CHECK(dp_records_sched_parse(c.p, c.len, &d, why, sizeof why) == DP_OK && !memcmp(&d, &big, sizeof big));
	dp_buf_free(&c);
	dp_buf_free(&b);

	/* a member a later switch adds is ignored, as in every answer (but not a sixth level) */
	static const char *const later[] = {
		"{\"retentions\":" RETS ",\"classes\":" CLASSES(RULE_P) ",\"tags\":[],\"x\":1}",
		"{\"retentions\":[{\"name\":\"PERMANENT\",\"years\":0,\"x\":0}],\"classes\":" CLASSES(RULE_P) ",\"tags\":[]}",
	};
	for (size_t i = 0; i < sizeof later / sizeof *later; i++)
		CHECKF(parse(later[i], &d) == DP_OK, "later member %zu: %s", i, why);
	/* hostile answers: refused with why, and the default schedule left behind */
	static const char *const bad[] = {
		"",
		"null",
		"[]",
		"{}",
		"\"records\"",
		"{\"retentions\":" RETS ",\"classes\":" CLASSES(RULE_P) "}",
		"{\"retentions\":" RETS ",\"classes\":" CLASSES(RULE_P) ",\"tags\":{}}",
		"{\"retentions\":" RETS ",\"classes\":" CLASSES(RULE_P) ",\"tags\":[],\"tags\":[]}", /* duplicate */
		"{\"retentions\":[],\"classes\":" CLASSES(RULE_P) ",\"tags\":[]}",
		"{\"retentions\":{},\"classes\":" CLASSES(RULE_P) ",\"tags\":[]}",
		"{\"retentions\":[{\"name\":\"PERMANENT\",\"years\":5}],\"classes\":" CLASSES(RULE_P) ",\"tags\":[]}",
		"{\"retentions\":[{\"name\":\"PERMANENT\",\"years\":\"0\"}],\"classes\":" CLASSES(RULE_P) ",\"tags\":[]}",
		"{\"retentions\":[{\"name\":\"PERMANENT\",\"years\":0.0}],\"classes\":" CLASSES(RULE_P) ",\"tags\":[]}",
		"{\"retentions\":[{\"name\":\"PERMANENT\",\"years\":0},{\"name\":\"X\",\"years\":-1}],\"classes\":" CLASSES(
			RULE_P) ",\"tags\":[]}",
		"{\"retentions\":[{\"name\":\"PERMANENT\",\"years\":0},{\"name\":\"X\",\"years\":18446744073709551617}],"
		"\"classes\":" CLASSES(RULE_P) ",\"tags\":[]}",
		"{\"retentions\":[{\"name\":\"PERMANENT\",\"years\":0},{\"name\":\"PERMANENT\",\"years\":0}],\"classes\":" CLASSES(
			RULE_P) ",\"tags\":[]}",
		"{\"retentions\":[{\"name\":\"PERM\\u0000ANENT\",\"years\":0}],\"classes\":" CLASSES(RULE_P) ",\"tags\":[]}",
		"{\"retentions\":" RETS ",\"classes\":" CLASSES(RULE_30) ",\"tags\":[]}", /* UNCLASSIFIED declassified */
		"{\"retentions\":" RETS ",\"classes\":{\"UNCLASSIFIED\":" RULE_P "},\"tags\":[]}",
		"{\"retentions\":" RETS ",\"classes\":{\"U\":" RULE_P ",\"RESTRICTED\":" RULE_30 ",\"CONFIDENTIAL\":" RULE_30
		",\"SECRET\":" RULE_30 ",\"TOP SECRET\":" RULE_30 "},\"tags\":[]}",
		"{\"retentions\":" RETS ",\"classes\":" CLASSES(
			"{\"retention\":\"NOPE\",\"declassify_years\":0,\"declassify_event\":\"\"}") ",\"tags\":[]}",
		"{\"retentions\":" RETS ",\"classes\":" CLASSES(
			"{\"retention\":\"PERMANENT\",\"declassify_years\":0}") ",\"tags\":[]}",
		"{\"retentions\":" RETS ",\"classes\":" CLASSES(RULE_P) ",\"tags\":[{\"tag\":\"PREL\"}]}",
		"{\"retentions\":" RETS ",\"classes\":" CLASSES(RULE_P) ",\"tags\":[{\"tag\":\"prel\",\"rule\":" RULE_P "}]}",
		"{\"retentions\":" RETS ",\"classes\":" CLASSES(RULE_P) ",\"tags\":[{\"tag\":\"PREL\",\"rule\":" RULE_P
		"},{\"tag\":\"PREL\",\"rule\":" RULE_P "}]}",
		"{\"retentions\":" RETS ",\"classes\":" CLASSES(RULE_P) ",\"tags\":[{\"tag\":\"PREL\",\"rule\":"
		"{\"retention\":\"PERMANENT\",\"declassify_years\":0,\"declassify_event\":\"x\\u001b[2J\"}}]}",
		"{\"retentions\":" RETS ",\"classes\":" CLASSES(RULE_P) ",\"tags\":[{\"tag\":\"PREL\",\"rule\":"
		"{\"retention\":\"PERMANENT\",\"declassify_years\":3,\"declassify_event\":\"x\"}}]}",
		"{\"retentions\":" RETS ",\"classes\":" CLASSES(RULE_P) ",\"tags\":[]} trailing",
		"{\"retentions\":" RETS ",\"classes\":" CLASSES(RULE_P) ",\"tags\":[]",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		memset(&d, 0x5a, sizeof d);
		int r = parse(bad[i], &d);
		CHECKF(r == DP_EPARSE && why[0], "hostile %zu: %s", i, dp_errname(r));
		dp_records_sched_default(&s);
		CHECKF(!memcmp(&d, &s, sizeof s), "hostile %zu: not the default schedule after", i);
	}
	/* too many entries, too much text, too deep */
	dp_buf_init(&b, 1 << 22);
	CHECK(dp_buf_puts(&b, "{\"retentions\":[") == DP_OK);
	for (int i = 0; i <= DP_RECORDS_RETENTIONS; i++)
		CHECK(dp_buf_printf(&b, "%s{\"name\":\"R%d\",\"years\":1}", i ? "," : "", i) == DP_OK);
	CHECK(dp_buf_puts(&b, "],\"classes\":" CLASSES(RULE_P) ",\"tags\":[]}") == DP_OK);
	CHECK(dp_records_sched_parse(b.p, b.len, &d, why, sizeof why) == DP_ETOOBIG);
	dp_buf_reset(&b);
	CHECK(dp_buf_puts(&b, "{\"retentions\":" RETS ",\"classes\":" CLASSES(RULE_P) ",\"tags\":[") == DP_OK);
	for (int i = 0; i <= DP_RECORDS_TAG_RULES; i++)
		CHECK(dp_buf_printf(&b, "%s{\"tag\":\"T%d\",\"rule\":" RULE_P "}", i ? "," : "", i) == DP_OK);
	CHECK(dp_buf_puts(&b, "]}") == DP_OK);
	CHECK(dp_records_sched_parse(b.p, b.len, &d, why, sizeof why) == DP_ETOOBIG);
	dp_buf_reset(&b);
	CHECK(dp_buf_puts(&b, "{\"retentions\":" RETS ",\"classes\":" CLASSES(RULE_P) ",\"tags\":[],\"pad\":\"") ==
	      DP_OK);
	int pr = 0;
	for (int i = 0; i < 70000; i++)
		pr |= dp_buf_putc(&b, 'x');
	CHECK(pr == DP_OK);
	CHECK(dp_buf_puts(&b, "\"}") == DP_OK);
	CHECK(dp_records_sched_parse(b.p, b.len, &d, why, sizeof why) == DP_ETOOBIG);
	dp_buf_reset(&b);
	for (int i = 0; i < 20000; i++)
		pr |= dp_buf_putc(&b, '[');
	CHECK(pr == DP_OK);
	CHECK(dp_records_sched_parse(b.p, b.len, &d, why, sizeof why) == DP_EPARSE);
	/* a NUL in the text */
	const char nul[] = "{\"retentions\":" RETS ",\"classes\":" CLASSES(RULE_P) ",\"tags\":[]}\0x";
	CHECK(dp_records_sched_parse((const uint8_t *)nul, sizeof nul - 1, &d, why, sizeof why) == DP_EPARSE);
	CHECK(dp_records_sched_parse((const uint8_t *)nul, sizeof nul - 3, &d, why, sizeof why) == DP_OK);
	dp_buf_free(&b);
}

/* The directory answer's "records": absent = built-in, a valid one kept, a bad one refuses the answer. */
static void test_directory(void)
{
#define DIR_HEAD "{\"posts\":[{\"name\":\"HQ\",\"hq\":true}],\"collectives\":[],\"officers\":[]"
	dp_directory d;
	dp_records_sched def, want;
	dp_records_sched_default(&def);
	const char *plain = DIR_HEAD "}";
	CHECK(dp_client_parse_directory((const uint8_t *)plain, strlen(plain), &d) == DP_OK);
	CHECK(!memcmp(&d.records, &def, sizeof def));
	dp_directory_free(&d);
	want = def;
	CHECK(set(&want, "records_retention_TEMPORARY-10Y", "10") == DP_OK);
	CHECK(set(&want, "records_tag_AMGT", "TEMPORARY-10Y none") == DP_OK);
	dp_buf b;
	dp_buf_init(&b, 1 << 20);
	CHECK(dp_buf_puts(&b, DIR_HEAD ",\"records\":") == DP_OK && dp_records_sched_json(&want, &b) == DP_OK &&
	      dp_buf_puts(&b, "}") == DP_OK);
	CHECK(dp_client_parse_directory(b.p, b.len, &d) == DP_OK);
	CHECK(!memcmp(&d.records, &want, sizeof want));
	dp_directory_free(&d);
	CHECK(!memcmp(&d.records, &def, sizeof def)); /* freed: the built-in schedule again */
	static const char *const bad[] = {
		DIR_HEAD ",\"records\":null}",
		DIR_HEAD ",\"records\":{}}",
		DIR_HEAD ",\"records\":\"PERMANENT\"}",
		DIR_HEAD ",\"records\":{\"retentions\":[{\"name\":\"PERMANENT\",\"years\":0}],\"classes\":" CLASSES(RULE_30)
			",\"tags\":[]}}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int r = dp_client_parse_directory((const uint8_t *)bad[i], strlen(bad[i]), &d);
		CHECKF(r == DP_EPROTO, "bad records %zu: %s", i, dp_errname(r));
		CHECK(d.nposts == 0 && !d.posts && !memcmp(&d.records, &def, sizeof def));
	}
	dp_buf_free(&b);
#undef DIR_HEAD
}

/* A SECRET draft created 2026-12-07 09:30 UTC with the given tags. */
static void draft(dp_cable *c, int cl, const char *t1, const char *t2)
{
	dp_cable_init(c);
	c->classification = cl;
	c->created = utc(2026, 12, 7, 9, 30, 0);
	c->ntags = 0;
	if (t1)
		strcpy(c->tags[c->ntags++], t1);
	if (t2)
		strcpy(c->tags[c->ntags++], t2);
}

static void test_defaults(void)
{
	dp_records_sched s;
	dp_cable c;
	dp_records_sched_default(&s);
	/* by class, built-in schedule */
	for (int cl = 0; cl < DP_CLASS_COUNT; cl++) {
		draft(&c, cl, "PREL", NULL);
		CHECK(dp_records_defaults(&s, &c) == DP_OK);
		CHECK(!strcmp(c.retention, "PERMANENT") && !c.declassify_event[0]);
		CHECKF(!strcmp(c.declassify_on, cl == DP_CLASS_UNCLASSIFIED ? "" : "2056-12-07"), "%s: %s",
		       dp_class_name(cl), c.declassify_on);
	}
	draft(&c, 5, "PREL", NULL);
	CHECK(dp_records_defaults(&s, &c) == DP_EINVAL);
	draft(&c, -1, "PREL", NULL);
	CHECK(dp_records_defaults(&s, &c) == DP_EINVAL);
	/* Feb 29 created, 30 years on is a common year: 1 March */
	draft(&c, DP_CLASS_SECRET, "PREL", NULL);
	c.created = utc(2028, 2, 29, 23, 59, 59);
	CHECK(dp_records_defaults(&s, &c) == DP_OK && !strcmp(c.declassify_on, "2058-03-01"));
	c.declassify_on[0] = 0;
	c.created = utc(2028, 2, 29, 0, 0, 0);
	s.by_class[DP_CLASS_SECRET].declassify_years = 4; /* to a leap year: the same day */
	CHECK(dp_records_defaults(&s, &c) == DP_OK && !strcmp(c.declassify_on, "2032-02-29"));
	dp_records_sched_default(&s);

	/* the drafter's own fields are kept */
	draft(&c, DP_CLASS_SECRET, "PREL", NULL);
	strcpy(c.retention, "MINE");
	strcpy(c.declassify_on, "2030-01-01");
	CHECK(dp_records_defaults(&s, &c) == DP_OK);
	CHECK(!strcmp(c.retention, "MINE") && !strcmp(c.declassify_on, "2030-01-01") && !c.declassify_event[0]);
	draft(&c, DP_CLASS_SECRET, "PREL", NULL);
	strcpy(c.declassify_event, "When the minister says");
	CHECK(dp_records_defaults(&s, &c) == DP_OK);
	CHECK(!c.declassify_on[0] && !strcmp(c.declassify_event, "When the minister says"));
	CHECK(!strcmp(c.retention, "PERMANENT"));

	/* tags and class combined */
	CHECK(set(&s, "records_retention_TEMPORARY-10Y", "10") == DP_OK);
	CHECK(set(&s, "records_retention_TEMPORARY-25Y", "25") == DP_OK);
	CHECK(set(&s, "records_class_confidential", "TEMPORARY-10Y 10y") == DP_OK);
	CHECK(set(&s, "records_class_restricted", "TEMPORARY-10Y event End of the talks") == DP_OK);
	CHECK(set(&s, "records_tag_ADMIN", "TEMPORARY-25Y 5y") == DP_OK);
	CHECK(set(&s, "records_tag_KJUS", "PERMANENT 50y") == DP_OK);
	CHECK(set(&s, "records_tag_PINR", "TEMPORARY-10Y event Death of the source") == DP_OK);
	CHECK(set(&s, "records_tag_PTER", "TEMPORARY-10Y event Dissolution of the group") == DP_OK);
	CHECK(set(&s, "records_tag_AMGT", "TEMPORARY-10Y none") == DP_OK);
	CHECK(set(&s, "records_class_unclassified", "TEMPORARY-10Y none") == DP_OK);
	/* the longer retention wins; the later date wins */
	draft(&c, DP_CLASS_CONFIDENTIAL, "ADMIN", NULL);
	CHECK(dp_records_defaults(&s, &c) == DP_OK);
	CHECK(!strcmp(c.retention, "TEMPORARY-25Y") && !strcmp(c.declassify_on, "2036-12-07"));
	/* permanent over any number of years; 50 years over 10 */
	draft(&c, DP_CLASS_CONFIDENTIAL, "ADMIN", "KJUS");
	CHECK(dp_records_defaults(&s, &c) == DP_OK);
	CHECK(!strcmp(c.retention, "PERMANENT") && !strcmp(c.declassify_on, "2076-12-07"));
	draft(&c, DP_CLASS_CONFIDENTIAL, "KJUS", "ADMIN"); /* order does not matter */
	CHECK(dp_records_defaults(&s, &c) == DP_OK);
	CHECK(!strcmp(c.retention, "PERMANENT") && !strcmp(c.declassify_on, "2076-12-07"));
	/* an event over any date: the tag's over the class's years */
	draft(&c, DP_CLASS_CONFIDENTIAL, "KJUS", "PINR");
	CHECK(dp_records_defaults(&s, &c) == DP_OK);
	CHECK(!strcmp(c.retention, "PERMANENT") && !c.declassify_on[0] &&
	      !strcmp(c.declassify_event, "Death of the source"));
	/* the first tag's event when several; a tag's event over the class's */
	draft(&c, DP_CLASS_RESTRICTED, "PTER", "PINR");
	CHECK(dp_records_defaults(&s, &c) == DP_OK && !strcmp(c.declassify_event, "Dissolution of the group"));
	draft(&c, DP_CLASS_RESTRICTED, "PINR", "PTER");
	CHECK(dp_records_defaults(&s, &c) == DP_OK && !strcmp(c.declassify_event, "Death of the source"));
	draft(&c, DP_CLASS_RESTRICTED, "KJUS", NULL); /* the class's event over the tag's 50 years */
	CHECK(dp_records_defaults(&s, &c) == DP_OK && !strcmp(c.declassify_event, "End of the talks") &&
	      !c.declassify_on[0] && !strcmp(c.retention, "PERMANENT"));
	/* a tag's "none" proposes nothing: the class's rule stands */
	draft(&c, DP_CLASS_CONFIDENTIAL, "AMGT", NULL);
	CHECK(dp_records_defaults(&s, &c) == DP_OK);
	CHECK(!strcmp(c.retention, "TEMPORARY-10Y") && !strcmp(c.declassify_on, "2036-12-07"));
	/* a tag without a rule changes nothing */
	draft(&c, DP_CLASS_CONFIDENTIAL, "PGOV", NULL);
	CHECK(dp_records_defaults(&s, &c) == DP_OK);
	CHECK(!strcmp(c.retention, "TEMPORARY-10Y") && !strcmp(c.declassify_on, "2036-12-07"));
	/* UNCLASSIFIED: retention from the tags, never a declassification */
	draft(&c, DP_CLASS_UNCLASSIFIED, "KJUS", "PINR");
	CHECK(dp_records_defaults(&s, &c) == DP_OK);
	CHECK(!strcmp(c.retention, "PERMANENT") && !c.declassify_on[0] && !c.declassify_event[0]);
	draft(&c, DP_CLASS_UNCLASSIFIED, "PGOV", NULL);
	CHECK(dp_records_defaults(&s, &c) == DP_OK && !strcmp(c.retention, "TEMPORARY-10Y"));
	/* a cable filled from defaults is a valid cable's fields */
	draft(&c, DP_CLASS_SECRET, "PINR", NULL);
	CHECK(dp_records_defaults(&s, &c) == DP_OK && dp_name_ok(c.retention));
	CHECK(dp_text_ok((const uint8_t *)c.declassify_event, strlen(c.declassify_event), 0));
}

/* The example of docs/formats.md says what the library does (run from the repository root, or DENPO_DOCS). */
static void test_doc_example(void)
{
	const char *dir = getenv("DENPO_DOCS");
	char path[4096];
	snprintf(path, sizeof path, "%s/formats.md", dir ? dir : "docs");
	size_t n;
	char *doc = (char *)t_read_file(path, &n);
	CHECKF(doc != NULL, "%s", path);
	if (!doc)
		return;
	char *h = strstr(doc, "### Declassification, retention and the records schedule");
	char *start = h ? strstr(h, "```json\n") : NULL;
	char *end = start ? strstr(start + 8, "```") : NULL;
	CHECK(start && end);
	if (start && end) {
		dp_records_sched s;
		dp_cable c;
		start += 8;
		CHECKF(dp_records_sched_parse((const uint8_t *)start, (size_t)(end - start), &s, why, sizeof why) == DP_OK,
		       "%s", why);
		draft(&c, DP_CLASS_SECRET, "PREL", "AMGT");
		CHECK(dp_records_defaults(&s, &c) == DP_OK);
		CHECK(!strcmp(c.declassify_on, "2076-12-07") && !strcmp(c.retention, "PERMANENT"));
		draft(&c, DP_CLASS_UNCLASSIFIED, "AMGT", NULL);
		CHECK(dp_records_defaults(&s, &c) == DP_OK);
		CHECK(!c.declassify_on[0] && !c.declassify_event[0] && !strcmp(c.retention, "TEMPORARY-10Y"));
		draft(&c, DP_CLASS_UNCLASSIFIED, "AMGT", "PREL");
		CHECK(dp_records_defaults(&s, &c) == DP_OK && !strcmp(c.retention, "PERMANENT"));
		draft(&c, DP_CLASS_TOP_SECRET, "AMGT", NULL);
		CHECK(dp_records_defaults(&s, &c) == DP_OK && !strcmp(c.declassify_event, "Conclusion of the treaty"));
	}
	free(doc);
}

static void test_retention_end(void)
{
	dp_records_sched s;
	dp_records_sched_default(&s);
	CHECK(set(&s, "records_retention_TEMPORARY-10Y", "10") == DP_OK);
	CHECK(set(&s, "records_retention_ONE", "1") == DP_OK);
	int64_t end = -5, created = utc(2026, 12, 7, 9, 30, 15);
	CHECK(dp_records_retention_end(&s, "PERMANENT", created, &end) == DP_OK && end == 0);
	end = -5;
	CHECK(dp_records_retention_end(&s, "", created, &end) == DP_OK && end == 0);
	end = -5;
	CHECK(dp_records_retention_end(&s, NULL, created, &end) == DP_OK && end == 0);
	CHECK(dp_records_retention_end(&s, "TEMPORARY-10Y", created, &end) == DP_OK &&
	      end == utc(2036, 12, 7, 9, 30, 15));
	end = -5;
	CHECK(dp_records_retention_end(&s, "NOPE", created, &end) == DP_ENOTFOUND && end == -5);
	CHECK(dp_records_retention_end(&s, "temporary-10y", created, &end) == DP_ENOTFOUND);
	/* 29 February: a year later is 1 March; four years later, 29 February again */
	created = utc(2028, 2, 29, 12, 0, 0);
	CHECK(dp_records_retention_end(&s, "ONE", created, &end) == DP_OK && end == utc(2029, 3, 1, 12, 0, 0));
	CHECK(set(&s, "records_retention_FOUR", "4") == DP_OK);
	CHECK(dp_records_retention_end(&s, "FOUR", created, &end) == DP_OK && end == utc(2032, 2, 29, 12, 0, 0));
	/* 2100 is no leap year */
	CHECK(set(&s, "records_retention_SEVENTY-TWO", "72") == DP_OK);
	CHECK(dp_records_retention_end(&s, "SEVENTY-TWO", created, &end) == DP_OK &&
	      end == utc(2100, 3, 1, 12, 0, 0));
	CHECK(set(&s, "records_retention_CENTURY", "100") == DP_OK);
	CHECK(dp_records_retention_end(&s, "CENTURY", DP_CREATED_MAX, &end) == DP_OK &&
	      end == utc(2199, 12, 31, 23, 59, 59));
}

static void test_act_names(void)
{
	static const char *const names[] = {"?", "read", "search", "export", "declassify-propose",
					    "declassify-approve", "hold", "release", "destroy", "?"};
	for (int i = 0; i <= DP_REC_ACT_MAX + 1; i++) {
		CHECKF(!strcmp(dp_records_act_name(i), names[i]), "act %d", i);
		int a = -1;
		int want = i >= 1 && i <= DP_REC_ACT_MAX ? DP_OK : DP_EPARSE;
		CHECKF(dp_records_act_parse(names[i], &a) == want && (want || a == i), "parse %s", names[i]);
		CHECK(dp_records_act_has_cable(i) == (i >= 1 && i <= DP_REC_ACT_MAX && i != DP_REC_SEARCH));
	}
	int a;
	CHECK(dp_records_act_parse("READ", &a) == DP_EPARSE && dp_records_act_parse("", &a) == DP_EPARSE);
	CHECK(dp_records_act_parse("declassify", &a) == DP_EPARSE && dp_records_act_name(-1)[0] == '?');
}

/* ---- dp_records_apply, row by row ---- */

enum { S_FRESH, S_PROPOSED, S_DECLASSIFIED, S_HELD, S_HELD_PROPOSED, S_DESTROYED, S_DPROP_OTHER,
       S_DPROP_SELF, S_HELD_DPROP, S_N };
static const char *const state_names[] = {"fresh", "proposed", "declassified", "held", "held+proposed",
					  "destroyed", "destroy proposed by another", "destroy proposed by self",
					  "held+destroy proposed"};

static void make_state(dp_records_state *st, int k)
{
	memset(st, 0, sizeof *st);
	if (k == S_PROPOSED || k == S_DECLASSIFIED || k == S_HELD_PROPOSED) {
		strcpy(st->proposed_by, "sato.k");
		st->proposed_at = 100;
	}
	if (k == S_DECLASSIFIED) {
		strcpy(st->approved_by, "suzuki.a");
		st->declassified_at = 200;
	}
	if (k == S_HELD || k == S_HELD_PROPOSED) {
		strcpy(st->held_by, "ito.m");
		st->held_at = 150;
		strcpy(st->hold_reason, "Case 2026-17");
	}
	if (k == S_HELD_DPROP) {
		strcpy(st->held_by, "suzuki.a");
		st->held_at = 250;
		strcpy(st->hold_reason, "Case 2026-19");
	}
	if (k == S_DESTROYED || k == S_DPROP_OTHER || k == S_DPROP_SELF || k == S_HELD_DPROP) {
		strcpy(st->destroy_proposed_by, k == S_DPROP_SELF ? "sato.k" : "ito.m");
		st->destroy_proposed_at = 120;
		strcpy(st->destroy_detail, "Shredded, order 11");
	}
	if (k == S_DESTROYED) {
		strcpy(st->destroyed_by, "suzuki.a");
		st->destroyed_at = 300;
	}
}

static void test_apply(void)
{
	/* the header's table: the expected answer of each act (by sato.k) in each state */
	static const int want[DP_REC_ACT_MAX + 1][S_N] = {
		/* fresh, proposed, declass., held, held+prop, destroyed, destroy proposed by
		 * ito.m, destroy proposed by sato.k, held+destroy proposed */
		[DP_REC_READ] = {DP_OK, DP_OK, DP_OK, DP_OK, DP_OK, DP_ESTATE, DP_OK, DP_OK, DP_OK},
		[DP_REC_EXPORT] = {DP_ESTATE, DP_ESTATE, DP_OK, DP_ESTATE, DP_ESTATE, DP_ESTATE, DP_ESTATE,
				   DP_ESTATE, DP_ESTATE},
		[DP_REC_PROPOSE] = {DP_OK, DP_ESTATE, DP_ESTATE, DP_ESTATE, DP_ESTATE, DP_ESTATE, DP_OK, DP_OK,
				    DP_ESTATE},
		[DP_REC_APPROVE] = {DP_ESTATE, DP_EDENIED, DP_ESTATE, DP_ESTATE, DP_ESTATE, DP_ESTATE, DP_ESTATE,
				    DP_ESTATE, DP_ESTATE},
		[DP_REC_HOLD] = {DP_OK, DP_OK, DP_OK, DP_ESTATE, DP_ESTATE, DP_ESTATE, DP_OK, DP_OK, DP_ESTATE},
		[DP_REC_RELEASE] = {DP_ESTATE, DP_ESTATE, DP_ESTATE, DP_OK, DP_OK, DP_ESTATE, DP_ESTATE, DP_ESTATE,
				    DP_OK},
		[DP_REC_DESTROY] = {DP_OK, DP_OK, DP_OK, DP_ESTATE, DP_ESTATE, DP_ESTATE, DP_OK, DP_EDENIED,
				    DP_ESTATE},
	};
	for (int act = DP_REC_READ; act <= DP_REC_ACT_MAX; act++) {
		if (act == DP_REC_SEARCH)
			continue;
		for (int k = 0; k < S_N; k++) {
			dp_records_state st, before;
			make_state(&st, k);
			before = st;
			why[0] = 0;
			int r = dp_records_apply(&st, act, "sato.k", 1000, "Case 2026-18", why, sizeof why);
			CHECKF(r == want[act][k], "%s in state %s: %s (%s)", dp_records_act_name(act), state_names[k],
			       dp_errname(r), why);
			if (r) {
				CHECKF(!memcmp(&st, &before, sizeof st), "%s in %s: changed on refusal",
				       dp_records_act_name(act), state_names[k]);
				CHECKF(why[0] != 0, "%s in %s: no reason", dp_records_act_name(act), state_names[k]);
			}
		}
	}
	/* approve by another officer than the proposer */
	dp_records_state st;
	make_state(&st, S_PROPOSED);
	CHECK(dp_records_apply(&st, DP_REC_APPROVE, "suzuki.a", 500, NULL, why, sizeof why) == DP_OK);
	CHECK(!strcmp(st.approved_by, "suzuki.a") && st.declassified_at == 500 && !strcmp(st.proposed_by, "sato.k"));
	CHECK(dp_records_apply(&st, DP_REC_EXPORT, "ito.m", 600, NULL, why, sizeof why) == DP_OK);
	CHECK(dp_records_apply(&st, DP_REC_APPROVE, "ito.m", 600, NULL, why, sizeof why) == DP_ESTATE);
	/* what each accepted act writes */
	make_state(&st, S_FRESH);
	CHECK(dp_records_apply(&st, DP_REC_PROPOSE, "sato.k", 10, "", why, sizeof why) == DP_OK);
	CHECK(!strcmp(st.proposed_by, "sato.k") && st.proposed_at == 10 && !st.declassified_at);
	make_state(&st, S_FRESH);
	CHECK(dp_records_apply(&st, DP_REC_HOLD, "ito.m", 20, "Case 7: the court's order", why, sizeof why) == DP_OK);
	CHECK(!strcmp(st.held_by, "ito.m") && st.held_at == 20 && !strcmp(st.hold_reason, "Case 7: the court's order"));
	CHECK(dp_records_apply(&st, DP_REC_RELEASE, "sato.k", 30, NULL, why, sizeof why) == DP_OK);
	CHECK(!st.held_by[0] && !st.held_at && !st.hold_reason[0]);
	/* destruction is two people's: sato.k proposes, sato.k again is refused, ito.m destroys */
	CHECK(dp_records_apply(&st, DP_REC_DESTROY, "sato.k", 40, "Shredded, order 12", why, sizeof why) == DP_OK);
	CHECK(!strcmp(st.destroy_proposed_by, "sato.k") && st.destroy_proposed_at == 40 &&
	      !strcmp(st.destroy_detail, "Shredded, order 12") && !st.destroyed_at && !st.destroyed_by[0]);
	CHECK(dp_records_apply(&st, DP_REC_READ, "sato.k", 41, NULL, why, sizeof why) == DP_OK);
	dp_records_state before = st;
	CHECK(dp_records_apply(&st, DP_REC_DESTROY, "sato.k", 42, "again", why, sizeof why) == DP_EDENIED &&
	      strstr(why, "a second records officer must destroy it too"));
	CHECK(!memcmp(&st, &before, sizeof st));
	/* a hold after the proposal blocks completion; its release does not clear the proposal */
	CHECK(dp_records_apply(&st, DP_REC_HOLD, "suzuki.a", 43, "Case 9", why, sizeof why) == DP_OK);
	CHECK(dp_records_apply(&st, DP_REC_DESTROY, "ito.m", 44, "Shredded", why, sizeof why) == DP_ESTATE);
	CHECK(!st.destroyed_at && !strcmp(st.destroy_proposed_by, "sato.k"));
	CHECK(dp_records_apply(&st, DP_REC_RELEASE, "sato.k", 45, NULL, why, sizeof why) == DP_OK);
	CHECK(!strcmp(st.destroy_proposed_by, "sato.k") && st.destroy_proposed_at == 40);
	CHECK(dp_records_apply(&st, DP_REC_DESTROY, "sato.k", 46, "alone", why, sizeof why) == DP_EDENIED);
	CHECK(dp_records_apply(&st, DP_REC_DESTROY, "ito.m", 47, "Shredded, order 12", why, sizeof why) == DP_OK);
	CHECK(!strcmp(st.destroyed_by, "ito.m") && st.destroyed_at == 47 &&
	      !strcmp(st.destroy_proposed_by, "sato.k") && !strcmp(st.destroy_detail, "Shredded, order 12"));
	CHECK(dp_records_apply(&st, DP_REC_DESTROY, "suzuki.a", 48, "third", why, sizeof why) == DP_ESTATE);
	before = st;
	CHECK(dp_records_apply(&st, DP_REC_READ, "sato.k", 50, NULL, why, sizeof why) == DP_ESTATE);
	CHECK(!memcmp(&st, &before, sizeof st));
	/* read and export change nothing */
	make_state(&st, S_DECLASSIFIED);
	before = st;
	CHECK(dp_records_apply(&st, DP_REC_READ, "sato.k", 60, NULL, why, sizeof why) == DP_OK);
	CHECK(dp_records_apply(&st, DP_REC_EXPORT, "sato.k", 60, "to the Diplomatic Archives", why, sizeof why) ==
	      DP_OK);
	CHECK(!memcmp(&st, &before, sizeof st));
	/* search: always, and without a cable */
	CHECK(dp_records_apply(NULL, DP_REC_SEARCH, "sato.k", 70, "fisheries", why, sizeof why) == DP_OK);
	CHECK(dp_records_apply(NULL, DP_REC_SEARCH, "sato.k", 70, NULL, why, sizeof why) == DP_OK);
	make_state(&st, S_FRESH);
	CHECK(dp_records_apply(&st, DP_REC_SEARCH, "sato.k", 70, NULL, why, sizeof why) == DP_EINVAL);
	CHECK(dp_records_apply(NULL, DP_REC_READ, "sato.k", 70, NULL, why, sizeof why) == DP_EINVAL);
	/* detail required for hold and destroy; bad details and acts refused */
	make_state(&st, S_FRESH);
	before = st;
	CHECK(dp_records_apply(&st, DP_REC_HOLD, "sato.k", 1, NULL, why, sizeof why) == DP_EINVAL);
	CHECK(dp_records_apply(&st, DP_REC_HOLD, "sato.k", 1, "", why, sizeof why) == DP_EINVAL && why[0]);
	CHECK(dp_records_apply(&st, DP_REC_DESTROY, "sato.k", 1, NULL, why, sizeof why) == DP_EINVAL);
	CHECK(dp_records_apply(&st, DP_REC_DESTROY, "sato.k", 1, "", why, sizeof why) == DP_EINVAL);
	CHECK(dp_records_apply(&st, DP_REC_HOLD, "sato.k", 1, "a\nb", why, sizeof why) == DP_EINVAL);
	CHECK(dp_records_apply(&st, DP_REC_HOLD, "sato.k", 1, "a\x1b[2J", why, sizeof why) == DP_EINVAL);
	CHECK(dp_records_apply(&st, DP_REC_READ, "sato.k", 1, "\xc3\x28", why, sizeof why) == DP_EINVAL);
	char *longd = malloc(DP_RECORDS_DETAIL_MAX + 2);
	memset(longd, 'd', DP_RECORDS_DETAIL_MAX + 1);
	longd[DP_RECORDS_DETAIL_MAX + 1] = 0;
	CHECK(dp_records_apply(&st, DP_REC_HOLD, "sato.k", 1, longd, why, sizeof why) == DP_EINVAL);
	CHECK(!memcmp(&st, &before, sizeof st));
	longd[DP_RECORDS_DETAIL_MAX] = 0;
	CHECK(dp_records_apply(&st, DP_REC_HOLD, "sato.k", 1, longd, why, sizeof why) == DP_OK &&
	      strlen(st.hold_reason) == DP_RECORDS_DETAIL_MAX);
	free(longd);
	make_state(&st, S_FRESH);
	CHECK(dp_records_apply(&st, 0, "sato.k", 1, NULL, why, sizeof why) == DP_EINVAL);
	CHECK(dp_records_apply(&st, DP_REC_ACT_MAX + 1, "sato.k", 1, NULL, why, sizeof why) == DP_EINVAL);
	CHECK(dp_records_apply(&st, DP_REC_PROPOSE, NULL, 1, NULL, why, sizeof why) == DP_EINVAL);
	CHECK(dp_records_apply(&st, DP_REC_PROPOSE, "", 1, NULL, why, sizeof why) == DP_EINVAL);
	CHECK(dp_records_apply(&st, DP_REC_PROPOSE, "Sato.K", 1, NULL, why, sizeof why) == DP_EINVAL);
	CHECK(!memcmp(&st, &before, sizeof st));
	/* why may be NULL */
	CHECK(dp_records_apply(&st, DP_REC_EXPORT, "sato.k", 1, NULL, NULL, 0) == DP_ESTATE);
}

int main(void)
{
	test_default();
	test_keys();
	test_validate();
	test_json();
	test_directory();
	test_defaults();
	test_doc_example();
	test_retention_end();
	test_act_names();
	test_apply();
	return t_done("test_records");
}
