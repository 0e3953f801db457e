/*
 * tests/test_markings.c - the ministry's classification markings
 * (denpo/markings.h): the rule a marking follows, the banner line that
 * shows one beside the signed level (dp_cable_banner), and the device's
 * parsers of what the switch says (the "markings" object, the directory
 * listing): good answers kept whole, every kind of malformed one refused
 * with nothing kept.
 */
#include <stdlib.h>
#include <string.h>

#include "denpo/cable.h"
#include "denpo/client.h"
#include "denpo/markings.h"
#include "tests/harness.h"

static int ok(const char *s) { return dp_marking_ok(s, strlen(s), NULL, 0); }

static void test_rule(void)
{
	const char *good[] = {"極秘", "秘", "取扱注意", "部外秘", "機密性３", "Geheim", "Très Confidentiel Défense",
			      "대외비", "NATO-R", "Diffusion restreinte", "ひみつ", "マル秘・特定", "各々"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		char why[DP_MARKING_WHY] = "";
		int r = dp_marking_ok(good[i], strlen(good[i]), why, sizeof why);
		/* 機密性３: a full-width digit is refused (look-alike of ASCII) */
		CHECKF(r == (strcmp(good[i], "機密性３") != 0), "%s: %s", good[i], why);
	}
	const char *bad[] = {"", " 秘", "秘 ", "極  秘", "極秘//NOFORN", "秘(S)", "秘)", "SECRET", "Top Secret",
			     "unclassified", "restricted-ish", "XconfidentialX", "秘\n", "秘\t", "\x1b[2J",
			     "\xe2\x80\xae秘", "\xe2\x80\x8b", "ＳＥＣＲＥＴ", "（秘）", "／", "\xe6\xa5", "\xc0\xaf",
			     "Σ", "С", "Très Secret Défense"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECKF(!ok(bad[i]), "accepted %s", bad[i]);
	char long_ok[DP_MARKING_MAX + 2];
	memset(long_ok, 'A', sizeof long_ok);
	CHECK(dp_marking_ok(long_ok, DP_MARKING_MAX, NULL, 0));
	char why[DP_MARKING_WHY];
	CHECK(!dp_marking_ok(long_ok, DP_MARKING_MAX + 1, why, sizeof why));
	CHECK(strstr(why, "at most 64") != NULL);
	CHECK(!dp_marking_ok("a/b", 3, why, sizeof why) && strstr(why, "U+002F") != NULL);
	CHECK(!dp_marking_ok("秘\0密", 7, why, sizeof why)); /* a NUL inside */

	dp_markings m;
	memset(&m, 0, sizeof m);
	CHECK(dp_markings_empty(&m) && dp_markings_empty(NULL));
	CHECK(dp_markings_set(&m, "SECRET", "極秘", strlen("極秘"), NULL, 0) == DP_OK);
	CHECK(!strcmp(m.of[DP_CLASS_SECRET], "極秘") && !dp_markings_empty(&m));
	CHECK(dp_markings_set(&m, "S", "秘", strlen("秘"), NULL, 0) == DP_EINVAL); /* names only */
	CHECK(dp_markings_set(&m, "SECRET", "a/b", 3, NULL, 0) == DP_EPARSE);
	CHECK(!strcmp(m.of[DP_CLASS_SECRET], "極秘")); /* a refusal changes nothing */
	CHECK(dp_markings_set(&m, "SECRET", "", 0, NULL, 0) == DP_OK && dp_markings_empty(&m));
}

static void banner_is(const dp_cable *c, const dp_markings *m, const char *want)
{
	dp_buf b;
	dp_buf_init(&b, 1024);
	int r = dp_cable_banner(c, m, &b);
	CHECKF(r == DP_OK && b.len == strlen(want) && memcmp(b.p, want, b.len) == 0, "want %s, got %.*s",
	       want, (int)b.len, (const char *)b.p);
	dp_buf_free(&b);
}

static void test_banner(void)
{
	dp_cable c;
	dp_cable_init(&c);
	dp_markings m;
	memset(&m, 0, sizeof m);
	strcpy(m.of[DP_CLASS_TOP_SECRET], "極秘");
	strcpy(m.of[DP_CLASS_CONFIDENTIAL], "秘");
	c.classification = DP_CLASS_TOP_SECRET;
	banner_is(&c, &m, "極秘 (TOP SECRET)");
	banner_is(&c, NULL, "TOP SECRET");
	strcpy(c.captions[0], "NOFORN");
	strcpy(c.captions[1], "EXDIS");
	c.ncaptions = 2;
	banner_is(&c, &m, "極秘 (TOP SECRET)//NOFORN//EXDIS");
	c.classification = DP_CLASS_SECRET; /* no marking for it: the level alone */
	banner_is(&c, &m, "SECRET//NOFORN//EXDIS");
	/* a table that bypassed the rule (set by hand) never hides the level */
	strcpy(m.of[DP_CLASS_SECRET], "UNCLASSIFIED");
	banner_is(&c, &m, "SECRET//NOFORN//EXDIS");
	c.classification = 7;
	dp_buf b;
	dp_buf_init(&b, 64);
	CHECK(dp_cable_banner(&c, &m, &b) == DP_EINVAL && b.len == 0);
	dp_buf_free(&b);
}

static int parse_m(const char *s, dp_markings *m)
{
	return dp_client_parse_markings((const uint8_t *)s, strlen(s), m);
}

static void test_parse_markings(void)
{
	dp_markings m;
	CHECK(parse_m("{}", &m) == DP_OK && dp_markings_empty(&m));
	CHECK(parse_m("{\"SECRET\":\"極秘\",\"RESTRICTED\":\"取扱注意\"}", &m) == DP_OK);
	CHECK(!strcmp(m.of[DP_CLASS_SECRET], "極秘") && !strcmp(m.of[DP_CLASS_RESTRICTED], "取扱注意"));
	const char *bad[] = {"", "[]", "\"x\"", "{\"S\":\"秘\"}", "{\"SECRET\":1}", "{\"SECRET\":\"a/b\"}",
			     "{\"SECRET\":\"秘\\u0000x\"}", "{\"SECRET\":\"\\u202e秘\"}",
			     "{\"SECRET\":\"秘\",\"SECRET\":\"極秘\"}", "{\"secret\":\"秘\"}",
			     "{\"TOP SECRET\":\"UNCLASSIFIED\"}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&m, 'x', sizeof m);
		CHECKF(parse_m(bad[i], &m) == DP_EPROTO && dp_markings_empty(&m), "accepted %s", bad[i]);
	}
}

static int parse_d(const char *s, dp_directory *d)
{
	return dp_client_parse_directory((const uint8_t *)s, strlen(s), d);
}

#define POSTS "\"posts\":[{\"name\":\"HQ\",\"hq\":true},{\"name\":\"BEIJING\",\"hq\":false}]"
#define COLLS "\"collectives\":[{\"name\":\"ASIA POSTS\",\"posts\":[\"BEIJING\"]}]"
#define OFFS "\"officers\":[{\"handle\":\"sato.k\",\"post\":\"HQ\",\"name\":\"佐藤 健\",\"roles\":[\"COMMS\"]}]"

static void test_parse_directory(void)
{
	dp_directory d;
	CHECK(parse_d("{" POSTS "," COLLS "," OFFS ",\"markings\":{\"SECRET\":\"極秘\"}}", &d) == DP_OK);
	CHECK(d.nposts == 2 && !strcmp(d.posts[0].name, "HQ") && d.posts[0].hq && !d.posts[1].hq);
	CHECK(d.ncolls == 1 && d.colls[0].nposts == 1 && !strcmp(d.colls[0].posts[0], "BEIJING"));
	CHECK(d.nofficers == 1 && !strcmp(d.officers[0].name, "佐藤 健") && d.officers[0].nroles == 1 &&
	      !strcmp(d.officers[0].roles[0], "COMMS"));
	CHECK(!strcmp(d.markings.of[DP_CLASS_SECRET], "極秘"));
	dp_directory_free(&d);
	CHECK(parse_d("{" POSTS "," COLLS "," OFFS "}", &d) == DP_OK && dp_markings_empty(&d.markings));
	dp_directory_free(&d);
	CHECK(parse_d("{\"posts\":[],\"collectives\":[],\"officers\":[]}", &d) == DP_OK && d.nposts == 0);
	dp_directory_free(&d);
	const char *bad[] = {
		"", "[]", "{}",
		"{" COLLS "," OFFS "}",                                   /* no posts */
		"{" POSTS "," OFFS "}",                                   /* no collectives */
		"{" POSTS "," COLLS "}",                                  /* no officers */
		"{\"posts\":[{\"name\":\"HQ\",\"hq\":true},{\"name\":\"HQ\",\"hq\":false}]," COLLS "," OFFS "}",
		"{\"posts\":[{\"name\":\"hq lower\",\"hq\":true}],\"collectives\":[],\"officers\":[]}",
		"{\"posts\":[{\"name\":\"HQ\",\"hq\":1}],\"collectives\":[],\"officers\":[]}",
		"{" POSTS ",\"collectives\":[{\"name\":\"ASIA POSTS\",\"posts\":[\"SEOUL\"]}]," OFFS "}",
		"{" POSTS ",\"collectives\":[{\"name\":\"ASIA POSTS\",\"posts\":[]}]," OFFS "}",
		"{" POSTS ",\"collectives\":[{\"name\":\"HQ\",\"posts\":[\"BEIJING\"]}]," OFFS "}",
		"{" POSTS "," COLLS ",\"officers\":[{\"handle\":\"sato.k\",\"post\":\"SEOUL\",\"name\":\"\","
		"\"roles\":[]}]}",
		"{" POSTS "," COLLS ",\"officers\":[{\"handle\":\"Sato\",\"post\":\"HQ\",\"name\":\"\","
		"\"roles\":[]}]}",
		"{" POSTS "," COLLS ",\"officers\":[{\"handle\":\"sato.k\",\"post\":\"HQ\",\"name\":\"a\\u001bb\","
		"\"roles\":[]}]}",
		"{" POSTS "," COLLS ",\"officers\":[{\"handle\":\"sato.k\",\"post\":\"HQ\",\"name\":\"\","
		"\"roles\":[\"bad role\"]}]}",
		"{" POSTS "," COLLS ",\"officers\":[{\"handle\":\"sato.k\",\"post\":\"HQ\",\"name\":\"\","
		"\"roles\":[]},{\"handle\":\"sato.k\",\"post\":\"BEIJING\",\"name\":\"\",\"roles\":[]}]}",
		"{" POSTS "," COLLS "," OFFS ",\"markings\":{\"SECRET\":\"SECRET\"}}",
		"{" POSTS "," COLLS "," OFFS ",\"markings\":[]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int r = parse_d(bad[i], &d);
		CHECKF(r == DP_EPROTO && !d.posts && !d.colls && !d.officers && !d.nposts &&
			       !d.nofficers, "bad[%zu] gave %d", i, r);
		dp_directory_free(&d);
	}
}

int main(void)
{
	test_rule();
	test_banner();
	test_parse_markings();
	test_parse_directory();
	return t_done("test_markings");
}
