/*
 * tests/test_client_records.c - the records device's side of the archive's
 * acts without a switch (lib/client_records.c, include/denpo/records.h):
 * the parser of the act's and the state's answers (answers a real switch
 * gave, from tests/it_records_acts.sh; then each field broken in turn,
 * refused with a message naming the answer and the field, leaving nothing
 * behind), the states no sequence of acts makes, and the request
 * functions' argument checks (refused before anything is sent).
 */
#include <stdlib.h>
#include <string.h>

#include "denpo/client.h"
#include "denpo/records.h"
#include "tests/harness.h"

#define B(s) (const uint8_t *)(s), strlen(s)
#define ID "90b8e39223eea8e28e1baf33a45426f5"
/* no destruction proposed */
#define DNONE ",\"destroy_proposed_by\":\"\",\"destroy_proposed_at\":0,\"destroy_detail\":\"\""
#define ST_OPEN                                                                                    \
	"{\"proposed_by\":\"kato.r\",\"proposed_at\":1796630053,\"approved_by\":\"\","            \
	"\"declassified_at\":0,\"held_by\":\"mori.a\",\"held_at\":1796630053,\"hold_reason\":"    \
	"\"litigation 2026-7\",\"destroyed_by\":\"\",\"destroyed_at\":0" DNONE "}"
/* an answer of the switch to a hold (it_records_acts) */
#define HOLD "{\"act\":\"hold\",\"index\":33,\"state\":" ST_OPEN ",\"reference\":\"26 TOKYO 000001\",\"log_index\":33}"

static const dp_records_answer zero = {.index = -1};

/* why, after a refusal, names the answer and the field; nothing is left behind */
static int refused_for(int r, const dp_records_answer *a, const char *why, const char *what,
		       const char *field)
{
	return r == DP_EPROTO && strstr(why, what) && strstr(why, field) && !memcmp(a, &zero, sizeof *a);
}

/* HOLD with `from` replaced by `to`, parsed as an act's answer */
static int act_with(const char *from, const char *to, dp_records_answer *a, char *why, size_t cap)
{
	char s[2048];
	const char *at = strstr(HOLD, from);
	if (!at)
		return 999;
	snprintf(s, sizeof s, "%.*s%s%s", (int)(at - HOLD), HOLD, to, at + strlen(from));
	return dp_client_parse_records(B(s), 1, a, why, cap);
}

static void test_parse(void)
{
	char why[DP_CLIENT_MSG_MAX];
	dp_records_answer a;
	CHECK(dp_client_parse_records(B(HOLD), 1, &a, why, sizeof why) == DP_OK);
	CHECK(a.act == DP_REC_HOLD && a.index == 33 && !strcmp(a.reference, "26 TOKYO 000001") &&
	      !strcmp(a.state.proposed_by, "kato.r") && a.state.proposed_at == 1796630053 &&
	      !strcmp(a.state.held_by, "mori.a") && !strcmp(a.state.hold_reason, "litigation 2026-7") &&
	      !a.state.approved_by[0] && a.state.declassified_at == 0 && a.state.destroyed_at == 0);
	/* the state's answer: a reference, no act, no index */
	const char *st = "{\"reference\":\"26 TOKYO 000001\",\"state\":" ST_OPEN "}";
	CHECK(dp_client_parse_records(B(st), 0, &a, why, sizeof why) == DP_OK && a.act == 0 &&
	      a.index == -1 && !strcmp(a.reference, "26 TOKYO 000001"));
	/* a search's answer names no cable; a cable act's must */
	const char *search = "{\"act\":\"search\",\"index\":37,\"state\":{\"proposed_by\":\"\",\"proposed_at\":0,"
			     "\"approved_by\":\"\",\"declassified_at\":0,\"held_by\":\"\",\"held_at\":0,"
			     "\"hold_reason\":\"\",\"destroyed_by\":\"\",\"destroyed_at\":0" DNONE "},\"log_index\":37}";
	CHECK(dp_client_parse_records(B(search), 1, &a, why, sizeof why) == DP_OK && a.act == DP_REC_SEARCH &&
	      !a.reference[0]);

	static const struct {
		const char *from, *to, *field;
	} bad[] = {
		{"\"act\":\"hold\"", "\"act\":\"HOLD\"", "\"act\""},
		{"\"act\":\"hold\"", "\"act\":\"peek\"", "\"act\""},
		{"\"act\":\"hold\",", "", "\"act\""},
		{"\"index\":33", "\"index\":-1", "\"index\""},
		{"\"index\":33", "\"index\":\"33\"", "\"index\""},
		{"\"index\":33,", "", "\"index\""},
		{"\"reference\":\"26 TOKYO 000001\"", "\"reference\":\"26 tokyo 1\"", "\"reference\""},
		{",\"reference\":\"26 TOKYO 000001\"", "", "\"reference\""}, /* a cable act names its cable */
		{"\"proposed_by\":\"kato.r\"", "\"proposed_by\":\"Kato R\"", "\"proposed_by\""},
		{"\"proposed_at\":1796630053", "\"proposed_at\":-4", "\"proposed_at\""},
		{"\"proposed_at\":1796630053", "\"proposed_at\":0", "\"proposed_at\""}, /* an officer, no time */
		{"\"held_by\":\"mori.a\"", "\"held_by\":\"\"", "\"held_at\""},          /* a time, no officer */
		{"\"hold_reason\":\"litigation 2026-7\"", "\"hold_reason\":\"a\\u001b[31mb\"", "\"hold_reason\""},
		{"\"destroyed_at\":0", "\"destroyed_at\":1796630999", "\"destroyed_at\""},
		{"\"state\":{", "\"state\":[],\"s\":{", "\"state\""},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		memset(&a, 0x5a, sizeof a);
		why[0] = 0;
		int r = act_with(bad[i].from, bad[i].to, &a, why, sizeof why);
		CHECKF(refused_for(r, &a, why, "records act", bad[i].field), "case %zu: %d \"%s\"", i, r, why);
	}
	/* a NUL in a text: refused (jansson reads no such string) */
	CHECK(act_with("litigation 2026-7", "a\\u0000b", &a, why, sizeof why) == DP_EPROTO &&
	      !memcmp(&a, &zero, sizeof a));
	/* declassified, then held (a hold after the approval): a state the acts make */
	CHECK(act_with("\"approved_by\":\"\",\"declassified_at\":0",
		       "\"approved_by\":\"mori.a\",\"declassified_at\":1796630060", &a, why, sizeof why) == DP_OK &&
	      a.state.declassified_at == 1796630060);
	/* approved but never proposed */
	const char *np = "{\"reference\":\"26 TOKYO 000001\",\"state\":{\"proposed_by\":\"\",\"proposed_at\":0,"
			 "\"approved_by\":\"mori.a\",\"declassified_at\":5,\"held_by\":\"\",\"held_at\":0,"
			 "\"hold_reason\":\"\",\"destroyed_by\":\"\",\"destroyed_at\":0" DNONE "}}";
	CHECK(refused_for(dp_client_parse_records(B(np), 0, &a, why, sizeof why), &a, why, "records state",
			  "\"approved_by\""));
	/* two-person destruction: proposed by one, done by another (states the acts make) */
#define DST(by, at, pby, pat, det)                                                                 \
	"{\"reference\":\"26 TOKYO 000001\",\"state\":{\"proposed_by\":\"\",\"proposed_at\":0,"       \
	"\"approved_by\":\"\",\"declassified_at\":0,\"held_by\":\"\",\"held_at\":0,\"hold_reason\":\"\"," \
	"\"destroyed_by\":\"" by "\",\"destroyed_at\":" at ",\"destroy_proposed_by\":\"" pby "\","     \
	"\"destroy_proposed_at\":" pat ",\"destroy_detail\":\"" det "\"}}"
	CHECK(dp_client_parse_records(B(DST("", "0", "kato.r", "1796630100", "shredded")), 0, &a, why,
				      sizeof why) == DP_OK &&
	      !strcmp(a.state.destroy_proposed_by, "kato.r") && a.state.destroy_proposed_at == 1796630100 &&
	      !strcmp(a.state.destroy_detail, "shredded") && !a.state.destroyed_at);
	CHECK(dp_client_parse_records(B(DST("mori.a", "1796630200", "kato.r", "1796630100", "shredded")), 0, &a,
				      why, sizeof why) == DP_OK &&
	      !strcmp(a.state.destroyed_by, "mori.a") && a.state.destroyed_at == 1796630200);
	static const struct {
		const char *s, *field;
	} dbad[] = {
		/* one officer's destruction: by the proposer, or never proposed */
		{DST("kato.r", "1796630200", "kato.r", "1796630100", "shredded"), "\"destroyed_by\""},
		{DST("mori.a", "1796630200", "", "0", ""), "\"destroyed_by\""},
		/* a proposal without its detail, a detail without a proposal */
		{DST("", "0", "kato.r", "1796630100", ""), "\"destroy_detail\""},
		{DST("", "0", "", "0", "shredded"), "\"destroy_detail\""},
		/* an officer without a time, a time without an officer; a bad handle, time, text */
		{DST("", "0", "kato.r", "0", "shredded"), "\"destroy_proposed_at\""},
		{DST("", "0", "", "1796630100", "shredded"), "\"destroy_proposed_at\""},
		{DST("", "0", "Kato R", "1796630100", "shredded"), "\"destroy_proposed_by\""},
		{DST("", "0", "kato.r", "-1", "shredded"), "\"destroy_proposed_at\""},
		{DST("", "0", "kato.r", "1796630100", "a\\u001b[31m"), "\"destroy_detail\""},
	};
	for (size_t i = 0; i < sizeof dbad / sizeof *dbad; i++) {
		memset(&a, 0x5a, sizeof a);
		why[0] = 0;
		int r = dp_client_parse_records(B(dbad[i].s), 0, &a, why, sizeof why);
		CHECKF(refused_for(r, &a, why, "records state", dbad[i].field), "destroy case %zu: %d \"%s\"", i,
		       r, why);
	}
	/* an older switch's state, without the proposal's fields: refused */
	CHECK(refused_for(dp_client_parse_records(B("{\"reference\":\"26 TOKYO 000001\",\"state\":{"
						    "\"proposed_by\":\"\",\"proposed_at\":0,\"approved_by\":\"\","
						    "\"declassified_at\":0,\"held_by\":\"\",\"held_at\":0,"
						    "\"hold_reason\":\"\",\"destroyed_by\":\"\",\"destroyed_at\":0}}"),
						  0, &a, why, sizeof why),
			  &a, why, "records state", "\"destroy_proposed_by\""));
	/* a reason without a hold */
	const char *rh = "{\"reference\":\"26 TOKYO 000001\",\"state\":{\"proposed_by\":\"\",\"proposed_at\":0,"
			 "\"approved_by\":\"\",\"declassified_at\":0,\"held_by\":\"\",\"held_at\":0,"
			 "\"hold_reason\":\"x\",\"destroyed_by\":\"\",\"destroyed_at\":0" DNONE "}}";
	CHECK(refused_for(dp_client_parse_records(B(rh), 0, &a, why, sizeof why), &a, why, "records state",
			  "\"hold_reason\""));
	/* the state's answer must have its reference; not an object; not JSON */
	CHECK(refused_for(dp_client_parse_records(B("{\"state\":" ST_OPEN "}"), 0, &a, why, sizeof why), &a,
			  why, "records state", "\"reference\""));
	CHECK(dp_client_parse_records(B("[]"), 1, &a, why, sizeof why) == DP_EPROTO &&
	      strstr(why, "not a JSON object") && !memcmp(&a, &zero, sizeof a));
	CHECK(dp_client_parse_records(B("{\"act\":"), 1, &a, why, sizeof why) == DP_EPROTO);
	/* a hold reason of 512 characters passes, 513 does not */
	char big[2048], reason[600];
	memset(reason, 'r', 513);
	reason[512] = 0;
	snprintf(big, sizeof big, "{\"reference\":\"26 TOKYO 000001\",\"state\":{\"proposed_by\":\"\","
				  "\"proposed_at\":0,\"approved_by\":\"\",\"declassified_at\":0,\"held_by\":\"kato.r\","
				  "\"held_at\":9,\"hold_reason\":\"%s\",\"destroyed_by\":\"\",\"destroyed_at\":0" DNONE "}}",
		 reason);
	CHECK(dp_client_parse_records(B(big), 0, &a, why, sizeof why) == DP_OK &&
	      strlen(a.state.hold_reason) == 512);
	reason[512] = 'r';
	reason[513] = 0;
	snprintf(big, sizeof big, "{\"reference\":\"26 TOKYO 000001\",\"state\":{\"proposed_by\":\"\","
				  "\"proposed_at\":0,\"approved_by\":\"\",\"declassified_at\":0,\"held_by\":\"kato.r\","
				  "\"held_at\":9,\"hold_reason\":\"%s\",\"destroyed_by\":\"\",\"destroyed_at\":0" DNONE "}}",
		 reason);
	CHECK(refused_for(dp_client_parse_records(B(big), 0, &a, why, sizeof why), &a, why, "records state",
			  "\"hold_reason\""));
	/* why may be NULL */
	CHECK(dp_client_parse_records(B("[]"), 1, &a, NULL, 0) == DP_EPROTO);
}

/* ---- the state's answer with its log and entries (log_size=M) ---- */

#define H32 "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\""
#define CP "\"denpo.example/log\\n41\\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\\n\\n\\u2014 denpo.example/log x\\n\""
#define STLOG(entries)                                                                             \
	"{\"reference\":\"26 TOKYO 000001\",\"state\":" ST_OPEN ",\"log\":{\"checkpoint\":" CP    \
	",\"consistency\":[" H32 "]},\"entries\":" entries "}"
#define E35 "{\"index\":35,\"entry\":\"QWN0OiBob2xk\",\"proof\":[" H32 "," H32 "]}"

static int log_refused(const char *s, const char *field)
{
	char why[DP_CLIENT_MSG_MAX];
	dp_records_answer a;
	int r = dp_client_parse_records(B(s), DP_RECORDS_ANS_LOG, &a, why, sizeof why);
	return refused_for(r, &a, why, "records state", field);
}

static void test_parse_log(void)
{
	char why[DP_CLIENT_MSG_MAX];
	dp_records_answer a;
	CHECK(dp_client_parse_records(B(STLOG("[" E35 ",{\"index\":44}]")), DP_RECORDS_ANS_LOG, &a, why,
				      sizeof why) == DP_OK);
	CHECK(a.act == 0 && a.index == -1 && !strcmp(a.reference, "26 TOKYO 000001") && a.log &&
	      a.log->present && strstr(a.log->checkpoint, "\n41\n") && a.log->nconsistency == 1);
	CHECK(a.nentries == 2 && a.entries[0].present && a.entries[0].index == 35 &&
	      a.entries[0].entry_len == 9 && !memcmp(a.entries[0].entry, "Act: hold", 9) &&
	      a.entries[0].nproof == 2);
	/* not under the checkpoint yet: its index alone */
	CHECK(!a.entries[1].present && a.entries[1].index == 44 && !a.entries[1].entry && !a.entries[1].nproof);
	dp_records_answer_free(&a);
	dp_records_answer_free(&a); /* twice is safe */
	/* none yet: an empty list */
	CHECK(dp_client_parse_records(B(STLOG("[]")), DP_RECORDS_ANS_LOG, &a, why, sizeof why) == DP_OK &&
	      a.nentries == 0 && a.log);
	dp_records_answer_free(&a);
	/* without log_size asked, the same answer is a state's: log and entries not read */
	CHECK(dp_client_parse_records(B(STLOG("[" E35 "]")), DP_RECORDS_ANS_STATE, &a, why, sizeof why) ==
		      DP_OK && !a.log && !a.entries && !a.nentries);
	/* asked for proofs: no log, no entries, never silently none */
	CHECK(log_refused("{\"reference\":\"26 TOKYO 000001\",\"state\":" ST_OPEN ",\"entries\":[]}", "log"));
	CHECK(log_refused("{\"reference\":\"26 TOKYO 000001\",\"state\":" ST_OPEN ",\"log\":{\"checkpoint\":" CP
			  ",\"consistency\":[]}}", "entries"));
	CHECK(log_refused(STLOG("{}"), "entries"));
	/* out of log order, or one entry twice */
	CHECK(log_refused(STLOG("[{\"index\":44}," E35 "]"), "entries"));
	CHECK(log_refused(STLOG("[" E35 "," E35 "]"), "entries"));
	/* an entry without its proof, its bytes not base64, an index that is not one */
	CHECK(log_refused(STLOG("[{\"index\":35,\"entry\":\"QWN0OiBob2xk\"}]"), "proof"));
	CHECK(log_refused(STLOG("[{\"index\":35,\"entry\":\"%%%\",\"proof\":[]}]"), "entry"));
	CHECK(log_refused(STLOG("[{\"index\":-1}]"), "index"));
	CHECK(log_refused(STLOG("[{\"index\":3,\"extra\":1}]"), "proof")); /* neither alone nor whole */
	CHECK(log_refused(STLOG("[7]"), "entries"));
	/* more than DP_RECORDS_ENTRIES_MAX */
	size_t cap = 64 + (DP_RECORDS_ENTRIES_MAX + 1) * 16 + sizeof STLOG("");
	char *big = malloc(cap), *list = malloc(cap);
	if (big && list) {
		size_t k = (size_t)snprintf(list, cap, "[");
		for (int i = 0; i <= DP_RECORDS_ENTRIES_MAX; i++)
			k += (size_t)snprintf(list + k, cap - k, "%s{\"index\":%d}", i ? "," : "", i);
		snprintf(list + k, cap - k, "]");
		const char *at = strstr(STLOG("@"), "@");
		snprintf(big, cap, "%.*s%s%s", (int)(at - STLOG("@")), STLOG("@"), list, at + 1);
		CHECK(log_refused(big, "entries"));
		/* and exactly the most is taken */
		k = (size_t)snprintf(list, cap, "[");
		for (int i = 0; i < DP_RECORDS_ENTRIES_MAX; i++)
			k += (size_t)snprintf(list + k, cap - k, "%s{\"index\":%d}", i ? "," : "", i);
		snprintf(list + k, cap - k, "]");
		snprintf(big, cap, "%.*s%s%s", (int)(at - STLOG("@")), STLOG("@"), list, at + 1);
		CHECK(dp_client_parse_records(B(big), DP_RECORDS_ANS_LOG, &a, why, sizeof why) == DP_OK &&
		      a.nentries == DP_RECORDS_ENTRIES_MAX);
		dp_records_answer_free(&a);
	}
	free(big);
	free(list);
	/* a mode that is none */
	CHECK(dp_client_parse_records(B(STLOG("[]")), 3, &a, why, sizeof why) == DP_EINVAL);
}

/* The requests refuse what they cannot send, before any connection (the URL is unreachable). */
static void test_args(void)
{
	uint8_t seed[32] = {1};
	dp_client *c = NULL;
	dp_client_config cfg = {.url = "https://127.0.0.1:1", .tls_seed = seed, .connect_timeout_ms = 2000};
	CHECK(dp_client_new(&c, &cfg) == DP_OK);
	if (!c)
		return;
	dp_records_answer a;
	char big[DP_RECORDS_DETAIL_MAX + 2];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	CHECK(dp_client_records_act(c, DP_REC_READ, NULL, NULL, &a) == DP_EINVAL && a.index == -1);
	CHECK(dp_client_records_act(c, DP_REC_READ, "zz", NULL, &a) == DP_EINVAL);
	CHECK(dp_client_records_act(c, DP_REC_SEARCH, ID, "x", &a) == DP_EINVAL); /* a search names no cable */
	CHECK(dp_client_records_act(c, 0, ID, NULL, &a) == DP_EINVAL);
	CHECK(dp_client_records_act(c, DP_REC_ACT_MAX + 1, ID, NULL, &a) == DP_EINVAL);
	CHECK(dp_client_records_act(c, DP_REC_HOLD, ID, big, &a) == DP_EINVAL);
	/* a search: its query, at most DP_RECORDS_SEARCH_MAX candidates, each a cable id */
	const char *ids[DP_RECORDS_SEARCH_MAX + 1];
	for (size_t i = 0; i <= DP_RECORDS_SEARCH_MAX; i++)
		ids[i] = ID;
	const char *bad[] = {ID, "90b8"};
	CHECK(dp_client_records_search(c, NULL, ids, 1, &a) == DP_EINVAL && a.index == -1);
	CHECK(dp_client_records_search(c, big, ids, 1, &a) == DP_EINVAL);
	CHECK(dp_client_records_search(c, "query sha256:0123456789abcdef", ids, DP_RECORDS_SEARCH_MAX + 1, &a) ==
	      DP_EINVAL);
	CHECK(dp_client_records_search(c, "query sha256:0123456789abcdef", bad, 2, &a) == DP_EINVAL);
	CHECK(dp_client_records_search(c, "query sha256:0123456789abcdef", NULL, 1, &a) == DP_EINVAL);
	CHECK(dp_client_records_search(c, "query sha256:0123456789abcdef", NULL, 0, &a) != DP_EINVAL);
	CHECK(dp_client_records_state(c, "90b8", &a) == DP_EINVAL && a.index == -1);
	CHECK(dp_client_records_state(c, NULL, &a) == DP_EINVAL);
	CHECK(dp_client_records_state_log(c, "90b8", 0, &a) == DP_EINVAL && !a.entries && !a.log);
	CHECK(dp_client_records_state_log(c, ID, (uint64_t)INT64_MAX + 1, &a) == DP_EINVAL);
	dp_records_changes ch;
	CHECK(dp_client_records_changes(c, -1, &ch) == DP_EINVAL && !ch.changes && !ch.n);
	/* a well-formed request goes out: here it cannot connect */
	CHECK(dp_client_records_act(c, DP_REC_READ, ID, NULL, &a) != DP_EINVAL);
	dp_client_free(c);
}

/* ---- GET /v1/records/changes ---- */

#define SP                                                                                         \
	"{\"proposed_by\":\"\",\"proposed_at\":0,\"approved_by\":\"\",\"declassified_at\":0,"         \
	"\"held_by\":\"\",\"held_at\":0,\"hold_reason\":\"\",\"destroyed_by\":\"\",\"destroyed_at\":0," \
	"\"destroy_proposed_by\":\"kato.r\",\"destroy_proposed_at\":1796630055,\"destroy_detail\":\"wiped\"}"
#define CH(id, idx, ref) "{\"cable\":\"" id "\",\"index\":" idx ",\"reference\":\"" ref "\",\"state\":" SP "}"
#define ID2 "a0b8e39223eea8e28e1baf33a45426f5"

static int changes_refused(const char *s, int64_t after, const char *field)
{
	char why[DP_CLIENT_MSG_MAX];
	dp_records_changes c;
	memset(&c, 0x5a, sizeof c);
	int r = dp_client_parse_records_changes(B(s), after, &c, why, sizeof why);
	return r == DP_EPROTO && strstr(why, "records changes") && strstr(why, field) && !c.changes && !c.n &&
	       !c.next && !c.more;
}

static void test_changes(void)
{
	char why[DP_CLIENT_MSG_MAX];
	dp_records_changes c;
	const char *two = "{\"changes\":[" CH(ID, "38", "26 TOKYO 000001") "," CH(ID2, "41", "26 TOKYO 000002")
			  "],\"next\":41,\"more\":false}";
	CHECK(dp_client_parse_records_changes(B(two), 30, &c, why, sizeof why) == DP_OK);
	CHECK(c.n == 2 && c.next == 41 && !c.more && !strcmp(c.changes[0].cable_id, ID) &&
	      c.changes[0].index == 38 && !strcmp(c.changes[1].reference, "26 TOKYO 000002") &&
	      !strcmp(c.changes[1].state.destroy_proposed_by, "kato.r"));
	dp_records_changes_free(&c);
	dp_records_changes_free(&c); /* twice is safe */
	/* none since the cursor: next is the cursor */
	CHECK(dp_client_parse_records_changes(B("{\"changes\":[],\"next\":7,\"more\":false}"), 7, &c, why,
					      sizeof why) == DP_OK &&
	      c.n == 0 && c.next == 7);
	dp_records_changes_free(&c);
	static const struct {
		const char *s, *field;
		int64_t after;
	} bad[] = {
		/* not after the cursor, out of order or twice */
		{"{\"changes\":[" CH(ID, "38", "26 TOKYO 000001") "],\"next\":38,\"more\":false}", "\"index\"", 38},
		{"{\"changes\":[" CH(ID, "41", "26 TOKYO 000001") "," CH(ID2, "38", "26 TOKYO 000002")
		 "],\"next\":41,\"more\":false}", "\"index\"", 0},
		{"{\"changes\":[" CH(ID, "38", "26 TOKYO 000001") "," CH(ID2, "38", "26 TOKYO 000002")
		 "],\"next\":38,\"more\":false}", "\"index\"", 0},
		/* next not the last index; next behind the cursor; more with a short page */
		{"{\"changes\":[" CH(ID, "38", "26 TOKYO 000001") "],\"next\":40,\"more\":false}", "\"next\"", 0},
		{"{\"changes\":[],\"next\":3,\"more\":false}", "\"next\"", 7},
		{"{\"changes\":[" CH(ID, "38", "26 TOKYO 000001") "],\"next\":38,\"more\":true}", "\"more\"", 0},
		{"{\"changes\":[],\"next\":0}", "\"more\"", 0},
		/* a bad cable id, reference, state; not an array */
		{"{\"changes\":[" CH("90B8E39223EEA8E28E1BAF33A45426F5", "38", "26 TOKYO 000001")
		 "],\"next\":38,\"more\":false}", "\"cable\"", 0},
		{"{\"changes\":[" CH("90b8", "38", "26 TOKYO 000001") "],\"next\":38,\"more\":false}", "\"cable\"", 0},
		{"{\"changes\":[" CH(ID, "38", "tokyo") "],\"next\":38,\"more\":false}", "\"reference\"", 0},
		{"{\"changes\":[{\"cable\":\"" ID "\",\"index\":38,\"reference\":\"26 TOKYO 000001\",\"state\":"
		 "{\"proposed_by\":\"\"}}],\"next\":38,\"more\":false}", "\"proposed_at\"", 0},
		{"{\"changes\":{},\"next\":0,\"more\":false}", "\"changes\"", 0},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECKF(changes_refused(bad[i].s, bad[i].after, bad[i].field), "changes case %zu", i);
	/* a full page says more; one over is refused */
	dp_buf b;
	dp_buf_init(&b, 8u << 20);
	char one[1024];
	int ok = dp_buf_append(&b, (const uint8_t *)"{\"changes\":[", 12) == DP_OK;
	for (int i = 1; ok && i <= DP_RECORDS_CHANGES_MAX + 1; i++) {
		snprintf(one, sizeof one, "%s{\"cable\":\"" ID "\",\"index\":%d,\"reference\":\"26 TOKYO 000001\","
					  "\"state\":" SP "}", i > 1 ? "," : "", i);
		ok = dp_buf_append(&b, (const uint8_t *)one, strlen(one)) == DP_OK;
		if (i == DP_RECORDS_CHANGES_MAX) {
			char tail[64];
			int n = snprintf(tail, sizeof tail, "],\"next\":%d,\"more\":true}", i);
			size_t keep = b.len;
			ok = ok && dp_buf_append(&b, (const uint8_t *)tail, (size_t)n) == DP_OK;
			CHECK(ok && dp_client_parse_records_changes(b.p, b.len, 0, &c, why, sizeof why) == DP_OK &&
			      c.n == DP_RECORDS_CHANGES_MAX && c.more && c.next == DP_RECORDS_CHANGES_MAX);
			dp_records_changes_free(&c);
			b.len = keep;
		}
	}
	char tail[64];
	int n = snprintf(tail, sizeof tail, "],\"next\":%d,\"more\":true}", DP_RECORDS_CHANGES_MAX + 1);
	CHECK(ok && dp_buf_append(&b, (const uint8_t *)tail, (size_t)n) == DP_OK &&
	      dp_client_parse_records_changes(b.p, b.len, 0, &c, why, sizeof why) == DP_EPROTO && !c.changes);
	dp_buf_free(&b);
	CHECK(dp_client_parse_records_changes(B("{}"), -1, &c, why, sizeof why) == DP_EINVAL);
}

int main(void)
{
	if (dp_client_global_init())
		return 1;
	test_parse();
	test_parse_log();
	test_changes();
	test_args();
	return t_done("test_client_records");
}
