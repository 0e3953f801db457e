/*
 * tests/test_client_api.c - the protocol client without a switch: error
 * mapping, the parser of each answer (a good one, and bad ones refused
 * with a message that names what was wrong), argument checks, and the TLS pin against a local `openssl
 * s_server` presenting a denpo self-signed Ed25519 certificate (mutual TLS,
 * TLS 1.3): the right pin connects, a wrong pin is refused before any
 * request is sent.  Failover between a switch's addresses: the order,
 * the address remembered, a wrong key never passed over.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "denpo/client.h"
#include "denpo/tls.h"
#include "tests/harness.h"

static void test_errors(void)
{
	for (int e = DP_ENOMEM; e >= DP_ELAST; e--)
		CHECKF(dp_client_errcode(dp_errname(e)) == e, "code %d", e);
	CHECK(dp_client_errcode("no such name") == DP_EPROTO);
	CHECK(dp_client_errcode("ok") == DP_EPROTO); /* success is not an error name */
	char msg[64];
	const char *b1 = "{\"error\": \"clearance\", \"message\": \"not cleared for SECRET\"}";
	CHECK(dp_client_parse_error((const uint8_t *)b1, strlen(b1), msg, sizeof msg) == DP_ECLEARANCE);
	CHECK(!strcmp(msg, "not cleared for SECRET"));
	const char *b2 = "{\"error\": \"device\", \"message\": \"bad\\u001b[31m\\nname\"}";
	CHECK(dp_client_parse_error((const uint8_t *)b2, strlen(b2), msg, sizeof msg) == DP_EDEVICE);
	CHECK(!strcmp(msg, "bad?[31m?name")); /* no terminal escapes reach the officer */
	/* a C1 CSI (U+009B, UTF-8 c2 9b) is an escape on some terminals: only ASCII gets through */
	const char *b7 = "{\"error\": \"device\", \"message\": \"x\\u009b31my\"}";
	CHECK(dp_client_parse_error((const uint8_t *)b7, strlen(b7), msg, sizeof msg) == DP_EDEVICE);
	CHECK(!strcmp(msg, "x??31my"));
	const char *b3 = "<html>502</html>";
	CHECK(dp_client_parse_error((const uint8_t *)b3, strlen(b3), msg, sizeof msg) == DP_EPROTO);
	const char *b4 = "{\"message\": \"x\"}";
	CHECK(dp_client_parse_error((const uint8_t *)b4, strlen(b4), msg, sizeof msg) == DP_EPROTO);
	const char *b5 = "{\"error\": \"ok\"}";
	CHECK(dp_client_parse_error((const uint8_t *)b5, strlen(b5), msg, sizeof msg) == DP_EPROTO);
	const char *b6 = "{\"error\": \"exists\", \"error\": \"exists\"}";
	CHECK(dp_client_parse_error((const uint8_t *)b6, strlen(b6), msg, sizeof msg) == DP_EPROTO);
	char small[8];
	CHECK(dp_client_parse_error((const uint8_t *)b1, strlen(b1), small, sizeof small) == DP_ECLEARANCE);
	CHECK(!strcmp(small, "not cle")); /* truncated, terminated */
}


#define B(s) (const uint8_t *)(s), strlen(s)
#define ID "90b8e39223eea8e28e1baf33a45426f5"
#define DEV "af6e2418c042db78b337b160ba57951f704974dfce46f6175009ce5a30520cf0"
#define H32 "jRSEOm8txUBrqfEfb6UfpXSmqJ3RD5RwpPxsEP0k5Fw="

/* why, after a refusal, names the answer and the field */
static int says(const char *why, const char *answer, const char *field)
{
	return strstr(why, answer) && strstr(why, field);
}

static void test_parse_small(void)
{
	char why[DP_CLIENT_MSG_MAX];
	dp_submit_result s;
	CHECK(dp_client_parse_submit(B("{\"cable_id\":\"" ID "\",\"mrn\":\"26 HQ 000001\",\"accepted\":1796618258,"
				       "\"duplicate\":false,\"log_index\":26}"),
				     &s, why, sizeof why) == DP_OK);
	CHECK(!strcmp(s.cable_id, ID) && !strcmp(s.mrn, "26 HQ 000001") && s.accepted == 1796618258 && !s.duplicate);
	CHECK(dp_client_parse_submit(B("{\"cable_id\":\"" ID "\",\"mrn\":\"26 HQ 1\",\"accepted\":1,\"duplicate\":false}"),
				     &s, why, sizeof why) == DP_EPROTO);
	CHECKF(says(why, "submission", "\"mrn\""), "%s", why);
	CHECK(!s.cable_id[0]); /* nothing kept of a refused answer */
	CHECK(dp_client_parse_submit(B("<html>502 Bad Gateway</html>"), &s, why, sizeof why) == DP_EPROTO);
	CHECKF(strstr(why, "submission answer is not a JSON object"), "%s", why);
	CHECK(dp_client_parse_submit(B("[1,2]"), &s, NULL, 0) == DP_EPROTO); /* why may be NULL */

	int64_t at;
	CHECK(dp_client_parse_ack(B("{\"cable_id\":\"" ID "\",\"acked\":1796618229}"), &at, why, sizeof why) == DP_OK &&
	      at == 1796618229);
	CHECK(dp_client_parse_ack(B("{\"acked\":-5}"), &at, why, sizeof why) == DP_EPROTO && at == 0);
	CHECKF(says(why, "acknowledgement", "\"acked\""), "%s", why);
	CHECK(dp_client_parse_ack(B("{\"acked\":\"1796618229\"}"), &at, why, sizeof why) == DP_EPROTO); /* wrong type */

	dp_device_info d;
	const char *dev = "{\"device\":\"" DEV "\",\"officer\":\"sato.k\",\"post\":\"HQ\",\"status\":\"active\","
			  "\"sign_key\":\"r24kGMBC23izsHbvqpGm9WXuOeEWNxbXsVbzPSBj8nI=\",\"epoch\":3,"
			  "\"age_recipient\":\"age1pq1x\"}";
	CHECK(dp_client_parse_device(B(dev), &d, why, sizeof why) == DP_OK && d.has_key && d.epoch == 3 &&
	      !strcmp(d.officer, "sato.k"));
	CHECK(dp_client_parse_device(B("{\"device\":\"" DEV "\",\"officer\":\"sato.k\",\"post\":\"HQ\",\"status\":"
				       "\"active\",\"sign_key\":\"r24kGMBC23izsHbvqpGm9WXuOeEWNxbXsVbzPSBj8n\"}"),
				     &d, why, sizeof why) == DP_EPROTO); /* 31 bytes of key */
	CHECKF(says(why, "device", "\"sign_key\""), "%s", why);
	CHECK(!d.officer[0]);
	CHECK(dp_client_parse_device(B("{\"device\":\"" DEV "\",\"officer\":\"sato.k\",\"post\":\"HQ\",\"status\":"
				       "\"active\",\"sign_key\":\"r24kGMBC23izsHbvqpGm9WXuOeEWNxbXsVbzPSBj8nI=\","
				       "\"epoch\":4294967296,\"age_recipient\":\"age1pq1x\"}"),
				     &d, why, sizeof why) == DP_EPROTO); /* an epoch beyond 32 bits */
	CHECKF(says(why, "device", "\"epoch\""), "%s", why);

	dp_key_status ks;
	CHECK(dp_client_parse_keys(B("{\"now\":5,\"skew\":300,\"epochs\":[{\"epoch\":7,\"not_before\":1,\"not_after\":2,"
				     "\"current\":true,\"closed\":false,\"pending\":[\"" ID "\"],\"more\":false}]}"),
				   &ks, why, sizeof why) == DP_OK &&
	      ks.n == 1 && ks.epochs[0].npending == 1 && !strcmp(ks.epochs[0].pending[0], ID));
	dp_key_status_free(&ks);
	CHECK(dp_client_parse_keys(B("{\"now\":5,\"skew\":300,\"epochs\":[{\"epoch\":7,\"not_before\":1,\"not_after\":2,"
				     "\"current\":true,\"closed\":false,\"pending\":[\"not hex\"],\"more\":false}]}"),
				   &ks, why, sizeof why) == DP_EPROTO && !ks.epochs && !ks.n);
	CHECKF(says(why, "keys", "\"pending\""), "%s", why);

	dp_log_proof pr;
	CHECK(dp_client_parse_log_proof(B("{\"size\":33,\"proof\":[\"" H32 "\"]}"), 33, &pr, why, sizeof why) == DP_OK &&
	      pr.n == 1 && pr.size == 33);
	CHECK(dp_client_parse_log_proof(B("{\"size\":34,\"proof\":[]}"), 33, &pr, why, sizeof why) == DP_EPROTO);
	CHECKF(strstr(why, "proof for size 34, not 33"), "%s", why);
	CHECK(dp_client_parse_log_proof(B("{\"size\":33,\"proof\":[\"jRSEOm8txUBrqfEfb6UfpXSmqJ3RD5RwpPxsEP0k5F==\"]}"),
					33, &pr, why, sizeof why) == DP_EPROTO && pr.n == 0); /* a 31-byte hash */
	CHECKF(says(why, "log proof", "\"proof\""), "%s", why);
	/* 65 hashes: longer than any proof in a tree of 2^64 */
	dp_buf big;
	dp_buf_init(&big, 1 << 16);
	CHECK(dp_buf_printf(&big, "{\"size\":33,\"proof\":[") == DP_OK);
	for (int i = 0; i < 65; i++)
		CHECK(dp_buf_printf(&big, "%s\"%s\"", i ? "," : "", H32) == DP_OK);
	CHECK(dp_buf_printf(&big, "]}") == DP_OK);
	CHECK(dp_client_parse_log_proof(big.p, big.len, 33, &pr, why, sizeof why) == DP_EPROTO);
	CHECKF(says(why, "log proof", "\"proof\""), "%s", why);
	dp_buf_free(&big);

	char v[32];
	CHECK(dp_client_parse_health(B("{\"status\":\"ok\",\"version\":\"denpod 0.1\",\"markings\":{}}"), v, sizeof v, why,
				     sizeof why) == DP_OK &&
	      !strcmp(v, "denpod 0.1"));
	CHECK(dp_client_parse_health(B("{\"status\":\"draining\"}"), v, sizeof v, why, sizeof why) == DP_EPROTO);
	CHECKF(says(why, "health", "malformed"), "%s", why);
	CHECK(dp_client_parse_cosigned(B("{\"stored\":true}"), why, sizeof why) == DP_OK);
	CHECK(dp_client_parse_cosigned(B("{\"stored\":false}"), why, sizeof why) == DP_EPROTO);
	CHECK(dp_client_parse_cosigned(B("{\"stored\":1}"), why, sizeof why) == DP_EPROTO);
	CHECKF(says(why, "cosignature", "\"stored\""), "%s", why);
	int64_t li;
	int dup;
	CHECK(dp_client_parse_recovered(B("{\"log_index\":49,\"duplicate\":false}"), &li, &dup, why, sizeof why) == DP_OK &&
	      li == 49 && !dup);
	CHECK(dp_client_parse_recovered(B("{\"log_index\":49}"), &li, &dup, why, sizeof why) == DP_EPROTO && li == -1);
	CHECKF(says(why, "recovered", "\"duplicate\""), "%s", why);
	CHECK(dp_client_parse_published(B("{\"duplicate\":true}"), &dup, why, sizeof why) == DP_OK && dup);
	CHECK(dp_client_parse_published(B("{\"duplicate\":null}"), &dup, why, sizeof why) == DP_EPROTO && !dup);

	char mrn[DP_MRN_MAX + 1] = "";
	int64_t date = 0;
	static const char h1[] = "X-Denpo-MRN: 26 HQ 000017\r\n", h2[] = "x-denpo-mrn: 26 HQ 17\r\n",
			  h3[] = "Date: Mon, 07 Dec 2026 04:36:17 GMT\r\n", h4[] = "Date: yesterday\r\n";
	dp_client_parse_header(h1, sizeof h1 - 1, mrn, &date);
	CHECK(!strcmp(mrn, "26 HQ 000017"));
	dp_client_parse_header(h2, sizeof h2 - 1, mrn, &date); /* not an MRN: ignored */
	CHECK(!strcmp(mrn, "26 HQ 000017"));
	dp_client_parse_header(h3, sizeof h3 - 1, mrn, &date);
	CHECK(date == 1796618177);
	dp_client_parse_header(h4, sizeof h4 - 1, mrn, &date);
	CHECK(date == 0);
}

static void test_parse_lists(void)
{
	char why[DP_CLIENT_MSG_MAX];
	const char *rcpt = "{\"device\":\"" DEV "\",\"officer\":\"sato.k\",\"post\":\"HQ\",\"role\":\"action\","
			   "\"delivered\":null,\"acked\":7,\"overdue\":false}";
	dp_buf b;
	dp_buf_init(&b, 1 << 20);
	CHECK(dp_buf_printf(&b, "{\"cable_id\":\"%s\",\"mrn\":\"26 HQ 000001\",\"precedence\":\"ROUTINE\",\"accepted\":9,"
				"\"classification\":\"SECRET\",\"recipients\":[%s],\"log_index\":null}",
			    ID, rcpt) == DP_OK);
	dp_cable_status st;
	CHECK(dp_client_parse_status(b.p, b.len, 1, &st, why, sizeof why) == DP_OK && st.nrecipients == 1 &&
	      !strcmp(st.recipients[0].device, DEV) && st.recipients[0].acked == 7 && st.acc.has_index &&
	      st.acc.index == -1 && !st.log.present);
	dp_cable_status_free(&st);
	/* a log entry whose proof is one byte short of a hash */
	dp_buf_reset(&b);
	b.len = 0;
	CHECK(dp_buf_printf(&b, "{\"cable_id\":\"%s\",\"mrn\":\"26 HQ 000001\",\"precedence\":\"ROUTINE\",\"accepted\":9,"
				"\"recipients\":[%s],\"log_index\":3,\"log_entry\":{\"index\":3,\"entry\":\"AAAA\","
				"\"proof\":[\"AAAA\"]}}",
			    ID, rcpt) == DP_OK);
	CHECK(dp_client_parse_status(b.p, b.len, 1, &st, why, sizeof why) == DP_EPROTO && !st.recipients &&
	      st.classification == -1);
	CHECKF(says(why, "status", "\"proof\""), "%s", why);
	CHECK(dp_client_parse_status(b.p, b.len, 0, &st, why, sizeof why) == DP_OK); /* not asked: not read */
	dp_cable_status_free(&st);

	dp_cable_accepted a;
	CHECK(dp_client_parse_accepted(B("{\"cable_id\":\"" ID "\",\"mrn\":\"26 HQ 000001\",\"accepted\":9,\"precedence\":"
					 "\"FLASH\",\"classification\":\"COSMIC\",\"from\":\"sato.k\"}"),
				       &a, why, sizeof why) == DP_EPROTO);
	CHECKF(says(why, "acceptance", "\"classification\""), "%s", why);
	CHECK(dp_client_parse_accepted(B("{\"cable_id\":\"" ID "\",\"mrn\":\"26 HQ 000001\",\"accepted\":9,\"precedence\":"
					 "\"FLASH\",\"classification\":\"SECRET\",\"from\":\"sato.k\",\"log\":{\"checkpoint\":"
					 "\"x\\n1\\n" H32 "\\n\\n\",\"consistency\":[]},\"log_index\":0,\"log_entry\":{\"index\":"
					 "0,\"entry\":\"AAAA\",\"proof\":[]}}"),
				       &a, why, sizeof why) == DP_OK &&
	      a.log.present && a.acc.entry.present && a.acc.entry.entry_len == 3);
	dp_cable_accepted_free(&a);

	/* a sent page of 1001 cables: more than any answer holds, refused before anything is kept */
	const char *item = "{\"cable_id\":\"" ID "\",\"seq\":1,\"mrn\":\"26 HQ 000001\",\"precedence\":\"ROUTINE\","
			   "\"classification\":\"SECRET\",\"accepted\":9,\"recipients\":1,\"delivered\":1,\"acked\":0}";
	for (int n = 1000; n <= 1001; n++) {
		dp_buf_reset(&b);
		b.len = 0;
		CHECK(dp_buf_printf(&b, "{\"cables\":[") == DP_OK);
		for (int i = 0; i < n; i++)
			CHECK(dp_buf_printf(&b, "%s%s", i ? "," : "", item) == DP_OK);
		CHECK(dp_buf_printf(&b, "]}") == DP_OK);
		dp_sent_list l;
		int r = dp_client_parse_sent(b.p, b.len, 0, &l, why, sizeof why);
		CHECKF(n == 1000 ? r == DP_OK && l.n == 1000 : r == DP_EPROTO && !l.items && !l.n, "n %d: %d", n, r);
		if (n == 1001)
			CHECKF(says(why, "sent-list", "\"cables\""), "%s", why);
		dp_sent_list_free(&l);
	}
	dp_sent_list l;
	CHECK(dp_client_parse_sent(B("{\"cables\":[{\"cable_id\":\"" ID "\",\"mrn\":\"26 HQ 000001\",\"precedence\":"
				     "\"ROUTINE\",\"classification\":\"SECRET\",\"accepted\":9,\"recipients\":2049,"
				     "\"delivered\":0,\"acked\":0}]}"),
				   0, &l, why, sizeof why) == DP_EPROTO); /* more recipients than a cable has */
	CHECKF(says(why, "sent-list", "\"recipients\""), "%s", why);

	dp_resolution res;
	CHECK(dp_client_parse_resolve(B("{\"devices\":[],\"unreachable\":[{\"device\":\"" DEV "\",\"officer\":\"ito.m\","
					"\"post\":\"BEIJING\",\"role\":\"info\",\"last_not_after\":null,\"at\":7,"
					"\"reason\":\"key not yet in the log\"}]}"),
				      &res, why, sizeof why) == DP_OK &&
	      res.n == 0 && res.nunreachable == 1 && res.unreachable[0].not_logged && res.unreachable[0].at == 7);
	dp_resolution_free(&res);
	CHECK(dp_client_parse_resolve(B("{\"devices\":[{\"device\":\"" DEV "\",\"officer\":\"ito.m\",\"post\":\"BEIJING\","
					"\"role\":\"action\",\"key_type\":3,\"epoch\":1,\"not_before\":1,\"not_after\":2,"
					"\"age_recipient\":\"age1pq1x\",\"epoch_key\":\"k\",\"enrolment\":{\"index\":1,"
					"\"entry\":\"!!!!\",\"proof\":[]}}]}"),
				      &res, why, sizeof why) == DP_EPROTO && !res.devs && !res.n); /* bad base64 */
	CHECKF(says(why, "resolve", "\"entry\""), "%s", why);
	CHECK(dp_client_parse_resolve(B("{\"devices\":{}}"), &res, why, sizeof why) == DP_EPROTO); /* wrong type */
	CHECKF(says(why, "resolve", "\"devices\""), "%s", why);
	CHECK(dp_client_parse_resolve(B("{\"devices\":[],\"log\":{\"checkpoint\":\"\",\"consistency\":[]}}"), &res, why,
				      sizeof why) == DP_EPROTO);
	CHECKF(says(why, "resolve", "\"log\""), "%s", why);
	dp_buf_free(&b);
}

static void test_args(void)
{
	uint8_t seed[32] = {1};
	dp_client *c = NULL;
	dp_client_config cfg = {.url = "http://127.0.0.1:1", .tls_seed = seed};
	CHECK(dp_client_new(&c, &cfg) == DP_EINVAL && c == NULL); /* https only */
	cfg.url = "https://";
	CHECK(dp_client_new(&c, &cfg) == DP_EINVAL);
	cfg.url = "https://127.0.0.1:1";
	cfg.tls_seed = NULL;
	CHECK(dp_client_new(&c, &cfg) == DP_EINVAL);
	cfg.tls_seed = seed;
	cfg.connect_timeout_ms = 2000;
	CHECK(dp_client_new(&c, &cfg) == DP_OK);
	if (!c)
		return;
	dp_buf b;
	dp_buf_init(&b, 1024);
	char mrn[DP_MRN_MAX + 1];
	int64_t t;
	dp_cable_status st;
	CHECK(dp_client_fetch(c, "../../etc/passwd", &b, mrn) == DP_EINVAL); /* ids are 32 hex */
	CHECK(dp_client_ack(c, "0123", &t) == DP_EINVAL);
	CHECK(dp_client_status(c, "0123456789abcdef0123456789abcdeg", &st) == DP_EINVAL);
	dp_inbox_item *it;
	size_t n;
	CHECK(dp_client_inbox(c, 61, &it, &n) == DP_EINVAL);
	/* nothing listens on port 1 */
	CHECK(dp_client_health(c, NULL, 0) == DP_ENET);
	CHECK(strstr(dp_client_message(c), "cannot reach") != NULL);
	dp_buf_free(&b);
	dp_client_free(c);
}

static int free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof a;
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) || getsockname(s, (struct sockaddr *)&a, &l)) {
		if (s >= 0)
			close(s);
		return -1;
	}
	close(s);
	return ntohs(a.sin_port);
}

static int wait_port(int port)
{
	for (int i = 0; i < 100; i++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
		close(s);
		if (ok)
			return 1;
		struct timespec ts = {0, 50000000};
		nanosleep(&ts, NULL);
	}
	return 0;
}

static char moved_to[DP_URL_MAX + 1];
static int nmoved;
static void on_moved(void *ud, const char *url)
{
	(void)ud;
	snprintf(moved_to, sizeof moved_to, "%s", url);
	nmoved++;
}

/*
 * The address order (denpo/client.h, "Failover"), against the s_server of
 * test_pin at port: a dead address is passed over for the next, which is
 * then remembered and tried first; a wrong key ends the request at once
 * and is never passed over; every address dead names each.
 */
static void failover(int port, const uint8_t spk[32], const uint8_t other[32], const uint8_t dseed[32])
{
	dp_switch_list l = {.n = 2};
	int dead = free_port(), dead2 = free_port();
	snprintf(l.url[0], sizeof l.url[0], "https://127.0.0.1:%d", dead);
	snprintf(l.url[1], sizeof l.url[1], "https://127.0.0.1:%d", port);
	dp_client_config cfg = {.switches = &l, .tls_seed = dseed, .timeout_ms = 5000, .moved = on_moved};
	memcpy(cfg.switch_tls_pk, spk, 32);
	dp_client *c;
	CHECK(dp_client_new(&c, &cfg) == DP_OK);
	CHECK(!strcmp(dp_client_url(c), l.url[0])); /* the configured start: the primary */
	int r = dp_client_health(c, NULL, 0);
	CHECKF(r == DP_EPROTO && dp_client_http_status(c) == 200, "the second answers: %d (%s)", r,
	       dp_client_message(c));
	CHECK(nmoved == 1 && !strcmp(moved_to, l.url[1]) && !strcmp(dp_client_url(c), l.url[1]));
	r = dp_client_health(c, NULL, 0); /* starts at the second: no new "moved" */
	CHECK(r == DP_EPROTO && nmoved == 1 && !strcmp(dp_client_url(c), l.url[1]));
	dp_client_free(c);
	/* started at the second (the last that answered, as a device remembers it) */
	cfg.start = 1;
	CHECK(dp_client_new(&c, &cfg) == DP_OK && !strcmp(dp_client_url(c), l.url[1]));
	dp_client_free(c);
	/* another key at the first address: the pin error, the second (dead here) never tried */
	snprintf(l.url[0], sizeof l.url[0], "https://127.0.0.1:%d", port);
	snprintf(l.url[1], sizeof l.url[1], "https://127.0.0.1:%d", dead);
	cfg.start = 0;
	memcpy(cfg.switch_tls_pk, other, 32);
	CHECK(dp_client_new(&c, &cfg) == DP_OK);
	r = dp_client_health(c, NULL, 0);
	CHECKF(r == DP_ENET && strstr(dp_client_message(c), "pinned TLS key") &&
	       !strstr(dp_client_message(c), "no address"), "%s", dp_client_message(c));
	CHECK(nmoved == 1 && !strcmp(dp_client_url(c), l.url[0]));
	dp_client_free(c);
	/* every address dead: one message naming each, in the order tried */
	snprintf(l.url[0], sizeof l.url[0], "https://127.0.0.1:%d", dead2);
	cfg.start = 1;
	CHECK(dp_client_new(&c, &cfg) == DP_OK);
	CHECK(dp_client_health(c, NULL, 0) == DP_ENET);
	const char *m = dp_client_message(c), *a = strstr(m, l.url[1]), *b = strstr(m, l.url[0]);
	CHECKF(strstr(m, "no address of the switch answered") && a && b && a < b && nmoved == 1, "%s", m);
	dp_client_free(c);
	/* the configuration's own errors */
	cfg.start = 2;
	CHECK(dp_client_new(&c, &cfg) == DP_EINVAL && !c);
	cfg.start = 0;
	l.n = 0;
	CHECK(dp_client_new(&c, &cfg) == DP_EINVAL && !c);
	l.n = 1;
	strcpy(l.url[0], "https://a/b");
	CHECK(dp_client_new(&c, &cfg) == DP_EINVAL && !c);
}

static void test_pin(void)
{
	if (system("command -v openssl >/dev/null 2>&1") != 0) {
		t_skipped("TLS pin", "no openssl binary");
		return;
	}
	char dir[] = "/tmp/denpo-test-pin-XXXXXX", cert[64], key[64], url[64];
	if (!mkdtemp(dir)) {
		t_skipped("TLS pin", "no temp dir");
		return;
	}
	snprintf(cert, sizeof cert, "%s/cert.pem", dir);
	snprintf(key, sizeof key, "%s/key.pem", dir);
	uint8_t sseed[32], dseed[32], spk[32], other[32];
	dp_random(sseed, 32);
	dp_random(dseed, 32);
	dp_random(other, 32);
	dp_tls_pk_from_seed(sseed, spk);
	dp_buf cp, kp;
	dp_buf_init(&cp, 16384);
	dp_buf_init(&kp, 16384);
	CHECK(dp_tls_selfsigned(sseed, "switch", &cp, &kp) == DP_OK);
	CHECK(dp_write_file(cert, cp.p, cp.len, 0600, 1) == DP_OK);
	CHECK(dp_write_file(key, kp.p, kp.len, 0600, 1) == DP_OK);
	dp_buf_free(&cp);
	dp_buf_free(&kp);
	int port = free_port();
	char ports[16];
	snprintf(ports, sizeof ports, "%d", port);
	pid_t pid = fork();
	if (pid == 0) {
		/* -Verify 1: the server demands a client certificate (mutual TLS) */
		int nul = open("/dev/null", O_WRONLY);
		dup2(nul, 1);
		dup2(nul, 2);
		execlp("openssl", "openssl", "s_server", "-accept", ports, "-cert", cert, "-key", key, "-tls1_3",
		       "-Verify", "1", "-www", "-naccept", "8", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || port < 0 || !wait_port(port)) {
		t_skipped("TLS pin", "openssl s_server did not start");
		if (pid > 0)
			kill(pid, SIGTERM);
	} else {
		snprintf(url, sizeof url, "https://127.0.0.1:%d", port);
		dp_client_config cfg = {.url = url, .tls_seed = dseed, .timeout_ms = 5000};
		dp_client *c;
		/* wrong pin: refused during the handshake */
		memcpy(cfg.switch_tls_pk, other, 32);
		CHECK(dp_client_new(&c, &cfg) == DP_OK);
		CHECK(dp_client_health(c, NULL, 0) == DP_ENET);
		CHECKF(strstr(dp_client_message(c), "pinned TLS key") != NULL, "%s", dp_client_message(c));
		CHECK(dp_client_http_status(c) == 0);
		dp_client_free(c);
		/* right pin: TLS 1.3 + client certificate succeed; s_server's HTML is not our API */
		memcpy(cfg.switch_tls_pk, spk, 32);
		CHECK(dp_client_new(&c, &cfg) == DP_OK);
		int r = dp_client_health(c, NULL, 0);
		CHECKF(r == DP_EPROTO, "right pin -> %d (%s)", r, dp_client_message(c));
		CHECK(dp_client_http_status(c) == 200);
		dp_client_free(c);
		failover(port, spk, other, dseed);
		kill(pid, SIGTERM);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);

	unlink(cert);
	unlink(key);
	rmdir(dir);
}

int main(void)
{
	if (dp_crypto_init() || dp_client_global_init()) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	test_errors();
	test_parse_small();
	test_parse_lists();
	test_args();
	test_pin();
	dp_client_global_cleanup();
	return t_done("test_client_api");
}
