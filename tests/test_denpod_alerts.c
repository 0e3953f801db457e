/*
 * tests/test_denpod_alerts.c - the switch's alert outputs: ECS lines parsed
 * back field by field; RFC 5424 messages checked byte for byte and by an
 * independent validator of the RFC's ABNF over many random alerts; the
 * sinks against real UDP and unix datagram sockets and a real file (mode,
 * rotation, dead and full receivers); the Prometheus registry rendered
 * exactly, with its refusals.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "denpod/alerts.h"
#include "denpod/config.h"
#include "tests/harness.h"

#define HOST "sw1.example"
#define BOM "\xef\xbb\xbf"
#define DEV_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static uint8_t dev[32];

/* 2023-11-14T22:13:20.123Z, a DECOY page with every field set. */
static void base_alert(dp_det_alert *a)
{
	memset(a, 0, sizeof *a);
	a->rule = DP_R_DECOY;
	a->t_ms = INT64_C(1700000000123);
	a->first_ms = INT64_C(1699999990000);
	memcpy(a->device, dev, 32);
	snprintf(a->officer, sizeof a->officer, "sato.k");
	snprintf(a->post, sizeof a->post, "TOKYO");
	static const uint8_t v4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 7};
	memcpy(a->addr, v4, 16);
	a->severity = 99;
	a->risk = 40;
	a->mode = DP_DET_ENFORCE;
	a->page = 1;
	a->action = DP_DET_SUSPEND;
	a->would = DP_DET_NONE;
	a->withheld = DP_DET_WH_NONE;
	snprintf(a->detail, sizeof a->detail, "fetch of decoy cable seq 4711");
}

static void base_action(dpo_action *x)
{
	memset(x, 0, sizeof *x);
	x->t_ms = INT64_C(1700000000000);
	x->action = "suspend";
	x->operator_ = "auto";
	x->device = dev;
	x->officer = "sato.k";
	x->post = "TOKYO";
	x->rule = "DECOY";
	x->id = 12;
	x->until = 1700014400;
	x->detail = "time-boxed: lapses unless confirmed";
	x->log_index_valid = 1;
	x->log_index = 99;
}

/* ---- JSON helpers ---- */

/* root["a"]["b"]... for the path "a.b" (the first component may be "@timestamp"). */
static json_t *jpath(json_t *root, const char *path)
{
	char tmp[128];
	snprintf(tmp, sizeof tmp, "%s", path);
	json_t *j = root;
	for (char *save = NULL, *k = strtok_r(tmp, ".", &save); j && k; k = strtok_r(NULL, ".", &save))
		j = json_object_get(j, k);
	return j;
}

static int jstr_is(json_t *root, const char *path, const char *want)
{
	json_t *j = jpath(root, path);
	int ok = json_is_string(j) && !strcmp(json_string_value(j), want);
	if (!ok)
		fprintf(stderr, "  %s is %s, want \"%s\"\n", path,
			j ? (json_is_string(j) ? json_string_value(j) : "(not a string)") : "(absent)",
			want);
	return ok;
}

static int jarr_is(json_t *root, const char *path, const char *w0, const char *w1)
{
	json_t *j = jpath(root, path);
	size_t n = w1 ? 2 : 1;
	if (!json_is_array(j) || json_array_size(j) != n)
		return 0;
	json_t *e0 = json_array_get(j, 0), *e1 = json_array_get(j, 1);
	return json_is_string(e0) && !strcmp(json_string_value(e0), w0) &&
	       (!w1 || (json_is_string(e1) && !strcmp(json_string_value(e1), w1)));
}

/* The line is one line: "\n" only at the end, no other raw control character (C0). */
static int one_line(const dp_buf *b)
{
	if (b->len < 2 || b->p[b->len - 1] != '\n')
		return 0;
	for (size_t i = 0; i + 1 < b->len; i++)
		if (b->p[i] < 0x20)
			return 0;
	return 1;
}

static json_t *parse_line(const dp_buf *b)
{
	json_error_t e;
	json_t *j = json_loadb((const char *)b->p, b->len, 0, &e);
	if (!j)
		fprintf(stderr, "  json: %s at %d: %.*s\n", e.text, e.position, (int)b->len,
			(const char *)b->p);
	return j;
}

/* ---- ECS ---- */

static void test_ecs_alert(void)
{
	dp_det_alert a;
	dp_buf b;
	base_alert(&a);
	/* quotes, backslash, newline, tab, DEL, valid UTF-8 and an invalid byte */
	snprintf(a.detail, sizeof a.detail,
		 "he said \"stop\"\\ now\nline2\ttab \x7f \xe6\x9d\xb1\xe4\xba\xac \xff end");
	snprintf(a.officer, sizeof a.officer, "sato\n.k");
	dp_buf_init(&b, DPO_LINE_MAX);
	CHECK(dpo_alert_ecs(&a, HOST, 7, &b) == DP_OK);
	CHECKF(one_line(&b), "%s", (const char *)b.p);
	CHECK(strstr((const char *)b.p, "\\n") != NULL);
	CHECK(strstr((const char *)b.p, "\\\"stop\\\"") != NULL);
	json_t *j = parse_line(&b);
	CHECK(j != NULL);
	/* @timestamp message ecs observer event rule device user labels source related denpo */
	CHECK(json_object_size(j) == 12);
	CHECK(jstr_is(j, "@timestamp", "2023-11-14T22:13:20.123Z"));
	CHECK(jstr_is(j, "message",
		      "DECOY alert (enforce, paged): suspend device 0001020304050607 of sato .k at TOKYO"));
	CHECK(jstr_is(j, "ecs.version", "8.11.0"));
	CHECK(jstr_is(j, "event.kind", "alert"));
	CHECK(jarr_is(j, "event.category", "intrusion_detection", NULL));
	CHECK(jarr_is(j, "event.type", "denied", NULL));
	CHECK(jstr_is(j, "event.action", "DECOY"));
	CHECK(json_integer_value(jpath(j, "event.severity")) == 99 &&
	      json_is_integer(jpath(j, "event.severity")));
	CHECK(json_is_real(jpath(j, "event.risk_score")) &&
	      json_real_value(jpath(j, "event.risk_score")) == 40.0);
	CHECK(jstr_is(j, "event.reason",
		      "he said \"stop\"\\ now\nline2\ttab \x7f \xe6\x9d\xb1\xe4\xba\xac \xef\xbf\xbd end"));
	CHECK(jstr_is(j, "event.start", "2023-11-14T22:13:10.000Z"));
	CHECK(jstr_is(j, "event.dataset", "denpod.alert"));
	CHECK(jstr_is(j, "event.outcome", "success")); /* enforced: the device was suspended */
	CHECK(jstr_is(j, "event.id", "7"));             /* the alert's log entry */
	CHECK(json_object_size(jpath(j, "event")) == 11);
	CHECK(jstr_is(j, "rule.name", "DECOY"));
	CHECK(jstr_is(j, "rule.id", "DECOY"));
	CHECK(jstr_is(j, "rule.reference", "docs/detection.md#rule-decoy"));
	CHECK(jstr_is(j, "rule.ruleset", "denpo"));
	CHECK(jarr_is(j, "related.user", "sato\n.k", NULL));
	CHECK(jarr_is(j, "related.hosts", DEV_HEX, NULL));
	CHECK(jarr_is(j, "related.ip", "192.0.2.7", NULL));
	CHECK(jstr_is(j, "observer.version", DPC_VERSION));
	CHECK(jstr_is(j, "device.id", DEV_HEX));
	CHECK(jstr_is(j, "user.name", "sato\n.k")); /* kept as is; JSON escaped it */
	CHECK(jstr_is(j, "labels.post", "TOKYO"));
	CHECK(jstr_is(j, "source.ip", "192.0.2.7"));
	CHECK(jstr_is(j, "observer.vendor", "denpo"));
	CHECK(jstr_is(j, "observer.product", "denpod"));
	CHECK(jstr_is(j, "observer.hostname", HOST));
	CHECK(jstr_is(j, "denpo.mode", "enforce"));
	CHECK(json_is_true(jpath(j, "denpo.page")));
	CHECK(jstr_is(j, "denpo.action", "suspend"));
	CHECK(jstr_is(j, "denpo.would", "none"));
	CHECK(jstr_is(j, "denpo.withheld", "none"));
	CHECK(jstr_is(j, "denpo.first_ms", "2023-11-14T22:13:10.000Z"));
	CHECK(json_integer_value(jpath(j, "denpo.log_index")) == 7);
	json_decref(j);

	/* Report-only, IPv6, no officer/post/first, unknown log index, appended after a line. */
	size_t before = b.len;
	base_alert(&a);
	a.rule = DP_R_BULK_CAP;
	a.mode = DP_DET_REPORT;
	a.page = 0;
	a.action = DP_DET_NONE;
	a.would = DP_DET_SUSPEND;
	a.officer[0] = a.post[0] = 0;
	a.first_ms = 0;
	a.severity = 73;
	inet_pton(AF_INET6, "2001:db8::1", a.addr);
	CHECK(dpo_alert_ecs(&a, NULL, -1, &b) == DP_OK);
	dp_buf second = {b.p + before, b.len - before, 0, 0};
	CHECK(one_line(&second));
	j = parse_line(&second);
	CHECK(j != NULL);
	CHECK(jstr_is(j, "message",
		      "BULK-CAP alert (report-only): would suspend device 0001020304050607"));
	CHECK(jarr_is(j, "event.type", "info", NULL));
	CHECK(jstr_is(j, "source.ip", "2001:db8::1"));
	CHECK(jstr_is(j, "denpo.mode", "report"));
	CHECK(json_is_false(jpath(j, "denpo.page")));
	CHECK(jstr_is(j, "denpo.would", "suspend"));
	CHECK(!jpath(j, "user") && !jpath(j, "labels") && !jpath(j, "event.start") &&
	      !jpath(j, "denpo.first_ms") && !jpath(j, "denpo.log_index") &&
	      !jpath(j, "observer.hostname") && !jpath(j, "event.id") && !jpath(j, "related.user"));
	CHECK(jstr_is(j, "event.outcome", "unknown")); /* report-only: nothing attempted */
	CHECK(jstr_is(j, "rule.reference", "docs/detection.md#rule-bulk-cap"));
	CHECK(jarr_is(j, "related.ip", "2001:db8::1", NULL));
	json_decref(j);

	/* Withheld suspension; unknown address. */
	dp_buf_reset(&b);
	base_alert(&a);
	a.rule = DP_R_NETWORK;
	a.action = DP_DET_THROTTLE;
	a.withheld = DP_DET_WH_LAST_DEVICE;
	memset(a.addr, 0, 16);
	CHECK(dpo_alert_ecs(&a, HOST, 0, &b) == DP_OK);
	j = parse_line(&b);
	CHECK(jstr_is(j, "denpo.withheld", "last-device"));
	CHECK(jstr_is(j, "message", "NETWORK alert (enforce, paged): throttle device 0001020304050607 of "
				    "sato.k at TOKYO (suspension withheld: last working device of the post)"));
	CHECK(!jpath(j, "source") && !jpath(j, "related.ip"));
	CHECK(jstr_is(j, "event.outcome", "failure")); /* the suspension was withheld */
	CHECK(jstr_is(j, "event.id", "0"));
	CHECK(json_integer_value(jpath(j, "denpo.log_index")) == 0 && jpath(j, "denpo.log_index"));
	json_decref(j);

	/* Refusals leave out unchanged. */
	dp_buf_reset(&b);
	CHECK(dp_buf_puts(&b, "keep") == DP_OK);
	base_alert(&a);
	a.rule = DP_R_COUNT;
	CHECK(dpo_alert_ecs(&a, HOST, 1, &b) == DP_EINVAL);
	base_alert(&a);
	a.withheld = 3;
	CHECK(dpo_alert_ecs(&a, HOST, 1, &b) == DP_EINVAL);
	base_alert(&a);
	a.t_ms = -1;
	CHECK(dpo_alert_ecs(&a, HOST, 1, &b) == DP_EINVAL);
	a.t_ms = INT64_C(253402300800000); /* year 10000 */
	CHECK(dpo_alert_ecs(&a, HOST, 1, &b) == DP_EINVAL);
	CHECK(b.len == 4 && !memcmp(b.p, "keep", 5));
	dp_buf small;
	dp_buf_init(&small, 100);
	CHECK(dp_buf_puts(&small, "keep") == DP_OK);
	base_alert(&a);
	CHECK(dpo_alert_ecs(&a, HOST, 1, &small) == DP_ETOOBIG);
	CHECK(small.len == 4 && !memcmp(small.p, "keep", 5));
	dp_buf_free(&small);

	/* A detail that fills the array without a NUL, all bytes 0x80..0xff: still one valid line. */
	base_alert(&a);
	for (size_t i = 0; i < sizeof a.detail; i++)
		a.detail[i] = (char)(0x80 + i % 128);
	dp_buf_reset(&b);
	CHECK(dpo_alert_ecs(&a, HOST, 1, &b) == DP_OK && one_line(&b));
	j = parse_line(&b);
	CHECK(j && json_string_length(jpath(j, "event.reason")) == 3 * sizeof a.detail);
	json_decref(j);
	dp_buf_free(&b);
}

static void test_ecs_action(void)
{
	dpo_action x;
	dp_buf b;
	base_action(&x);
	dp_buf_init(&b, DPO_LINE_MAX);
	CHECK(dpo_action_ecs(&x, HOST, &b) == DP_OK);
	CHECK(one_line(&b));
	json_t *j = parse_line(&b);
	CHECK(j != NULL);
	CHECK(jstr_is(j, "@timestamp", "2023-11-14T22:13:20.000Z"));
	CHECK(jstr_is(j, "message", "containment suspend by auto: device 0001020304050607 of sato.k at "
				    "TOKYO, rule DECOY, until 2023-11-15T02:13:20.000Z"));
	CHECK(jstr_is(j, "ecs.version", "8.11.0"));
	CHECK(jstr_is(j, "event.kind", "event"));
	CHECK(jarr_is(j, "event.category", "iam", NULL));
	CHECK(jarr_is(j, "event.type", "user", "change"));
	CHECK(jstr_is(j, "event.action", "suspend"));
	CHECK(jstr_is(j, "event.reason", "time-boxed: lapses unless confirmed"));
	CHECK(jstr_is(j, "rule.name", "DECOY"));
	CHECK(jstr_is(j, "rule.ruleset", "denpo"));
	CHECK(jstr_is(j, "device.id", DEV_HEX));
	CHECK(jstr_is(j, "user.name", "auto"));
	CHECK(jstr_is(j, "user.target.name", "sato.k"));
	CHECK(jstr_is(j, "labels.post", "TOKYO"));
	CHECK(jstr_is(j, "observer.hostname", HOST));
	CHECK(json_integer_value(jpath(j, "denpo.containment_id")) == 12);
	CHECK(jstr_is(j, "denpo.until", "2023-11-15T02:13:20.000Z"));
	CHECK(json_integer_value(jpath(j, "denpo.log_index")) == 99);
	json_decref(j);

	/* A bare request: nothing optional. */
	memset(&x, 0, sizeof x);
	x.t_ms = 1;
	x.action = "revoke-request";
	x.id = -1;
	dp_buf_reset(&b);
	CHECK(dpo_action_ecs(&x, NULL, &b) == DP_OK && one_line(&b));
	j = parse_line(&b);
	CHECK(jarr_is(j, "event.type", "user", "info"));
	CHECK(jstr_is(j, "@timestamp", "1970-01-01T00:00:00.001Z"));
	CHECK(jstr_is(j, "message", "containment revoke-request"));
	CHECK(!jpath(j, "rule") && !jpath(j, "device") && !jpath(j, "user") && !jpath(j, "labels") &&
	      !jpath(j, "denpo") && !jpath(j, "event.reason"));
	CHECK(json_object_size(j) == 5); /* @timestamp message ecs observer event */
	json_decref(j);

	/* Action names are 1..64 of [a-z-]. */
	static const char *bad[] = {"", "Suspend", "sus pend", "suspend\n", "susp\"end", NULL};
	dp_buf_reset(&b);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		base_action(&x);
		x.action = bad[i];
		CHECKF(dpo_action_ecs(&x, HOST, &b) == DP_EINVAL, "%s", bad[i] ? bad[i] : "NULL");
		CHECKF(dpo_action_syslog(&x, &(dpo_sysid){10, DPO_ENTERPRISE_DEFAULT, HOST, 1}, &b) == DP_EINVAL, "%s", bad[i] ? bad[i] : "NULL");
	}
	char long_action[66];
	memset(long_action, 'a', 65);
	long_action[65] = 0;
	x.action = long_action;
	CHECK(dpo_action_ecs(&x, HOST, &b) == DP_EINVAL);
	long_action[64] = 0;
	CHECK(dpo_action_ecs(&x, HOST, &b) == DP_OK);
	dp_buf_free(&b);
}

/* ---- an RFC 5424 validator (independent of alerts.c) ---- */

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

/* Valid UTF-8 per RFC 3629 (no overlongs, surrogates or > U+10FFFF). */
static int valid_utf8(const uint8_t *s, size_t n)
{
	static const uint32_t min[4] = {0, 0x80, 0x800, 0x10000};
	size_t i = 0;
	while (i < n) {
		uint32_t c = s[i], cp;
		size_t k;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			k = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3;
			cp = c & 0x07;
		} else
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if (i + j >= n || (s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

struct v {
	const uint8_t *p;
	size_t n, i;
	const char *why;
	/* optional: the unescaped value of one SD-PARAM */
	const char *want_param;
	char got[1024];
	int found;
};

static int fail(struct v *v, const char *why)
{
	if (!v->why)
		v->why = why;
	return 0;
}

/* n digits; their value in *out. */
static int digits(struct v *v, int n, int *out)
{
	*out = 0;
	for (int k = 0; k < n; k++, v->i++) {
		if (v->i >= v->n || !is_digit(v->p[v->i]))
			return 0;
		*out = *out * 10 + (v->p[v->i] - '0');
	}
	return 1;
}

static int lit(struct v *v, char c)
{
	if (v->i >= v->n || v->p[v->i] != (uint8_t)c)
		return 0;
	v->i++;
	return 1;
}

/* NILVALUE / 1*max PRINTUSASCII, then SP. */
static int field(struct v *v, size_t max, const char *why)
{
	size_t s = v->i;
	while (v->i < v->n && v->p[v->i] >= 33 && v->p[v->i] <= 126)
		v->i++;
	if (v->i == s || v->i - s > max)
		return fail(v, why);
	return lit(v, ' ') || fail(v, why);
}

static int timestamp(struct v *v)
{
	int y, mo, d, h, mi, s, x;
	if (v->i < v->n && v->p[v->i] == '-') {
		v->i++;
		return lit(v, ' ') || fail(v, "nil timestamp");
	}
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (!digits(v, 4, &y) || !lit(v, '-') || !digits(v, 2, &mo) || !lit(v, '-') ||
	    !digits(v, 2, &d) || !lit(v, 'T') || !digits(v, 2, &h) || !lit(v, ':') ||
	    !digits(v, 2, &mi) || !lit(v, ':') || !digits(v, 2, &s))
		return fail(v, "timestamp syntax");
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) || h > 23 ||
	    mi > 59 || s > 59)
		return fail(v, "timestamp range");
	if (lit(v, '.')) {
		int k = 0;
		while (v->i < v->n && is_digit(v->p[v->i]))
			v->i++, k++;
		if (k < 1 || k > 6)
			return fail(v, "TIME-SECFRAC");
	}
	if (!lit(v, 'Z')) {
		if (!(lit(v, '+') || lit(v, '-')) || !digits(v, 2, &x) || x > 23 || !lit(v, ':') ||
		    !digits(v, 2, &x) || x > 59)
			return fail(v, "TIME-OFFSET");
	}
	return lit(v, ' ') || fail(v, "SP after timestamp");
}

/* SD-NAME: 1..32 PRINTUSASCII except '=', SP, ']', '"'. */
static size_t sd_name(struct v *v)
{
	size_t s = v->i;
	while (v->i < v->n && v->p[v->i] >= 33 && v->p[v->i] <= 126 && v->p[v->i] != '=' &&
	       v->p[v->i] != ']' && v->p[v->i] != '"')
		v->i++;
	return v->i - s <= 32 ? v->i - s : 0;
}

static int sd_element(struct v *v)
{
	if (!lit(v, '['))
		return fail(v, "'[' expected");
	size_t s = v->i, n = sd_name(v);
	if (!n)
		return fail(v, "SD-ID");
	const uint8_t *at = memchr(v->p + s, '@', n);
	if (at) { /* name@enterprise-number */
		size_t k = (size_t)(v->p + s + n - at - 1);
		if (at == v->p + s || k == 0)
			return fail(v, "SD-ID name@number");
		for (size_t j = 1; j <= k; j++)
			if (!is_digit(at[j]))
				return fail(v, "SD-ID number");
	}
	while (lit(v, ' ')) {
		size_t ns = v->i, nn = sd_name(v);
		if (!nn || !lit(v, '=') || !lit(v, '"'))
			return fail(v, "PARAM-NAME");
		int want = v->want_param && strlen(v->want_param) == nn &&
			   !memcmp(v->p + ns, v->want_param, nn);
		size_t vs = v->i, gl = 0;
		for (;;) {
			if (v->i >= v->n)
				return fail(v, "unterminated PARAM-VALUE");
			uint8_t c = v->p[v->i];
			if (c == '"')
				break;
			if (c == ']')
				return fail(v, "']' not escaped in PARAM-VALUE");
			if (c == '\\') {
				if (v->i + 1 >= v->n ||
				    (v->p[v->i + 1] != '"' && v->p[v->i + 1] != '\\' && v->p[v->i + 1] != ']'))
					return fail(v, "bad escape in PARAM-VALUE");
				v->i++;
				c = v->p[v->i];
			}
			if (want && gl + 1 < sizeof v->got)
				v->got[gl++] = (char)c;
			v->i++;
		}
		if (!valid_utf8(v->p + vs, v->i - vs))
			return fail(v, "PARAM-VALUE not UTF-8");
		if (want) {
			v->got[gl] = 0;
			v->found = 1;
		}
		v->i++; /* the closing quote */
	}
	return lit(v, ']') || fail(v, "']' expected");
}

/* 1 if m[0..n) is a SYSLOG-MSG of RFC 5424 (version 1) on one line. */
static int syslog_valid(struct v *v, const uint8_t *m, size_t n)
{
	int pri = 0, k = 0;
	v->p = m;
	v->n = n;
	v->i = 0;
	v->why = NULL;
	v->found = 0;
	for (size_t i = 0; i < n; i++)
		if (m[i] == '\n' || m[i] == '\r' || m[i] == 0)
			return fail(v, "not one line");
	if (!lit(v, '<'))
		return fail(v, "'<'");
	while (v->i < n && is_digit(m[v->i]) && k < 4)
		pri = pri * 10 + (m[v->i++] - '0'), k++;
	if (k < 1 || k > 3 || pri > 191 || !lit(v, '>'))
		return fail(v, "PRI");
	if (!lit(v, '1') || !lit(v, ' '))
		return fail(v, "VERSION");
	if (!timestamp(v) || !field(v, 255, "HOSTNAME") || !field(v, 48, "APP-NAME") ||
	    !field(v, 128, "PROCID") || !field(v, 32, "MSGID"))
		return 0;
	if (lit(v, '-')) {
		/* NILVALUE structured data */
	} else {
		do
			if (!sd_element(v))
				return 0;
		while (v->i < n && m[v->i] == '[');
	}
	if (v->i == n)
		return 1;
	if (!lit(v, ' '))
		return fail(v, "SP before MSG");
	if (n - v->i >= 3 && !memcmp(m + v->i, BOM, 3) && !valid_utf8(m + v->i + 3, n - v->i - 3))
		return fail(v, "MSG-UTF8 not UTF-8");
	return 1;
}

static int valid_str(const char *s)
{
	struct v v;
	memset(&v, 0, sizeof v);
	int ok = syslog_valid(&v, (const uint8_t *)s, strlen(s));
	if (!ok && getenv("VERBOSE"))
		fprintf(stderr, "  invalid (%s): %s\n", v.why, s);
	return ok;
}

static void test_validator(void)
{
	/* The validator itself: RFC 5424's examples pass, broken messages fail. */
	CHECK(valid_str("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - " BOM
			"'su root' failed for lonvick on /dev/pts/8"));
	CHECK(valid_str("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time"));
	CHECK(valid_str("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
			"[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]"
			"[examplePriority@32473 class=\"high\"]"));
	CHECK(valid_str("<0>1 - - - - - -"));
	CHECK(!valid_str("<192>1 - - - - - -"));
	CHECK(!valid_str("<1234>1 - - - - - -"));
	CHECK(!valid_str("<13>2 - - - - - -"));
	CHECK(!valid_str("<13>1 2003-13-11T22:14:15Z h a p m -"));
	CHECK(!valid_str("<13>1 2003-02-30T22:14:15Z h a p m -"));
	CHECK(!valid_str("<13>1 2003-10-11T24:14:15Z h a p m -"));
	CHECK(!valid_str("<13>1 2003-10-11T22:14:15.1234567Z h a p m -"));
	CHECK(!valid_str("<13>1 2003-10-11 22:14:15Z h a p m -"));
	CHECK(!valid_str("<13>1 - h a p 123456789012345678901234567890123 -"));
	CHECK(!valid_str("<13>1 - h 1234567890123456789012345678901234567890123456789 p m -"));
	CHECK(!valid_str("<13>1 - h a p m [ x@32473 a=\"1\"]"));
	CHECK(!valid_str("<13>1 - h a p m [x@32473 a=\"1]\"]"));
	CHECK(!valid_str("<13>1 - h a p m [x@32473 a=\"1\\x\"]"));
	CHECK(!valid_str("<13>1 - h a p m [x@abc a=\"1\"]"));
	CHECK(!valid_str("<13>1 - h a p m [x@32473 a b=\"1\"]"));
	CHECK(!valid_str("<13>1 - h a p m [x@32473 abcdefghijabcdefghijabcdefghijabc=\"1\"]"));
	CHECK(!valid_str("<13>1 - h a p m [x@32473 a=\"\xff\"]"));
	CHECK(!valid_str("<13>1 - h a p m - " BOM "\xc0\xaf"));
	CHECK(!valid_str("<13>1 - h a p m - " BOM "\xed\xa0\x80"));
	CHECK(!valid_str("<13>1 - h a p m - two\nlines"));
	CHECK(valid_str("<13>1 - h a p m [x@32473 a=\"q\\\"b\\\\c\\]\"] " BOM "ok \xe6\x9d\xb1"));
	{
		char host[300];
		memset(host, 'h', 256);
		host[256] = 0;
		char msg[400];
		snprintf(msg, sizeof msg, "<13>1 - %s a p m -", host);
		CHECK(!valid_str(msg));
		host[255] = 0;
		snprintf(msg, sizeof msg, "<13>1 - %s a p m -", host);
		CHECK(valid_str(msg));
	}
}

/* ---- RFC 5424 ---- */

/* ---- damage to the store ---- */

static void base_damage(dpo_damage *x)
{
	memset(x, 0, sizeof *x);
	x->t_ms = INT64_C(1700000000000);
	snprintf(x->part, sizeof x->part, "cable");
	snprintf(x->found_by, sizeof x->found_by, "fetch");
	x->has_cable = 1;
	for (int i = 0; i < DP_CABLE_ID; i++)
		x->cable_id[i] = (uint8_t)(0xa0 + i);
	snprintf(x->mrn, sizeof x->mrn, "26 TOKYO 000017");
	x->has_device = 1;
	memcpy(x->device, dev, 32);
	x->log_index = 108;
	snprintf(x->detail, sizeof x->detail, "its 4885 stored bytes hash to 1dfd..., not to ...");
}

static void test_damage(void)
{
	dpo_damage x;
	dp_buf b;
	dp_buf_init(&b, DPO_LINE_MAX);
	base_damage(&x);
	CHECK(dpo_damage_ecs(&x, HOST, &b) == DP_OK && one_line(&b));
	json_t *j = parse_line(&b);
	CHECK(j != NULL);
	CHECK(jstr_is(j, "@timestamp", "2023-11-14T22:13:20.000Z"));
	CHECK(jstr_is(j, "message", "STORE-DAMAGE (fetch): cable a0a1a2a3a4a5a6a7 (26 TOKYO 000017): "
				    "its 4885 stored bytes hash to 1dfd..., not to ..."));
	CHECK(jstr_is(j, "event.kind", "alert"));
	CHECK(jarr_is(j, "event.category", "database", NULL));
	CHECK(jarr_is(j, "event.type", "error", NULL));
	CHECK(jstr_is(j, "event.action", "store-damage"));
	CHECK(json_integer_value(jpath(j, "event.severity")) == 73);
	CHECK(jstr_is(j, "rule.name", "STORE-DAMAGE"));
	CHECK(jstr_is(j, "rule.ruleset", "denpo"));
	CHECK(jstr_is(j, "device.id", DEV_HEX));
	CHECK(jstr_is(j, "denpo.part", "cable"));
	CHECK(jstr_is(j, "denpo.found_by", "fetch"));
	CHECK(jstr_is(j, "denpo.cable_id", "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"));
	CHECK(jstr_is(j, "denpo.mrn", "26 TOKYO 000017"));
	CHECK(json_integer_value(jpath(j, "denpo.log_index")) == 108);
	json_decref(j);

	dp_buf_reset(&b);
	CHECK(dpo_damage_syslog(&x, &(dpo_sysid){10, DPO_ENTERPRISE_DEFAULT, HOST, 4242}, &b) == DP_OK);
	static const char want[] =
		"<82>1 2023-11-14T22:13:20.000Z sw1.example denpod 4242 DAMAGE [denpo@32473 "
		"part=\"cable\" found_by=\"fetch\" cable=\"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\" "
		"mrn=\"26 TOKYO 000017\" device=\"" DEV_HEX "\" log_index=\"108\"] " BOM
		"its 4885 stored bytes hash to 1dfd..., not to ...";
	CHECKF(b.len == strlen(want) && !memcmp(b.p, want, b.len), "\n got: %s\nwant: %s",
	       (const char *)b.p, want);
	CHECK(valid_str((const char *)b.p));

	/* nothing optional: a log entry found by the scrub; a newline in the detail stays one line */
	memset(&x, 0, sizeof x);
	x.t_ms = 1;
	snprintf(x.part, sizeof x.part, "log-entry");
	snprintf(x.found_by, sizeof x.found_by, "scrub");
	x.log_index = 5;
	snprintf(x.detail, sizeof x.detail, "entry 5\ndoes not hash");
	dp_buf_reset(&b);
	CHECK(dpo_damage_ecs(&x, NULL, &b) == DP_OK && one_line(&b));
	j = parse_line(&b);
	CHECK(jstr_is(j, "message", "STORE-DAMAGE (scrub): log-entry 5: entry 5 does not hash"));
	CHECK(!jpath(j, "device") && !jpath(j, "denpo.cable_id") && !jpath(j, "denpo.mrn"));
	json_decref(j);
	dp_buf_reset(&b);
	CHECK(dpo_damage_syslog(&x, &(dpo_sysid){10, DPO_ENTERPRISE_DEFAULT, NULL, 0}, &b) == DP_OK && valid_str((const char *)b.p));

	/* part and found_by are names of [a-z-]; nothing is written otherwise */
	static const char *bad[] = {"", "Cable", "ca ble", "cable\n", "ca\"ble"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		base_damage(&x);
		snprintf(x.part, sizeof x.part, "%s", bad[i]);
		dp_buf_reset(&b);
		CHECKF(dpo_damage_ecs(&x, HOST, &b) == DP_EINVAL && b.len == 0, "part '%s'", bad[i]);
		CHECKF(dpo_damage_syslog(&x, &(dpo_sysid){10, DPO_ENTERPRISE_DEFAULT, HOST, 1}, &b) == DP_EINVAL && b.len == 0, "part '%s'", bad[i]);
		base_damage(&x);
		snprintf(x.found_by, sizeof x.found_by, "%s", bad[i]);
		CHECKF(dpo_damage_ecs(&x, HOST, &b) == DP_EINVAL && b.len == 0, "found_by '%s'", bad[i]);
	}
	dp_buf_free(&b);
}

static void test_syslog_exact(void)
{
	dp_det_alert a;
	dpo_action x;
	dp_buf b;
	dp_buf_init(&b, DPO_LINE_MAX);
	base_alert(&a);
	CHECK(dpo_alert_syslog(&a, &(dpo_sysid){10, DPO_ENTERPRISE_DEFAULT, HOST, 4242}, &b) == DP_OK);
	static const char want[] =
		"<81>1 2023-11-14T22:13:20.123Z sw1.example denpod 4242 ALERT [denpo@32473 "
		"rule=\"DECOY\" mode=\"enforce\" page=\"1\" action=\"suspend\" would=\"none\" "
		"withheld=\"none\" severity=\"99\" risk=\"40\" device=\"" DEV_HEX "\" officer=\"sato.k\" "
		"post=\"TOKYO\" src=\"192.0.2.7\" first=\"2023-11-14T22:13:10.000Z\"] " BOM
		"fetch of decoy cable seq 4711";
	CHECKF(b.len == strlen(want) && !memcmp(b.p, want, b.len), "\n got: %s\nwant: %s",
	       (const char *)b.p, want);
	CHECK(valid_str((const char *)b.p));

	base_action(&x);
	dp_buf_reset(&b);
	CHECK(dpo_action_syslog(&x, &(dpo_sysid){10, DPO_ENTERPRISE_DEFAULT, HOST, 4242}, &b) == DP_OK);
	static const char want2[] =
		"<84>1 2023-11-14T22:13:20.000Z sw1.example denpod 4242 CONTAINMENT [denpo@32473 "
		"action=\"suspend\" operator=\"auto\" device=\"" DEV_HEX "\" officer=\"sato.k\" "
		"post=\"TOKYO\" rule=\"DECOY\" id=\"12\" until=\"2023-11-15T02:13:20.000Z\" "
		"log_index=\"99\"] " BOM
		"containment suspend by auto: device 0001020304050607 of sato.k at TOKYO, rule DECOY, "
		"until 2023-11-15T02:13:20.000Z: time-boxed: lapses unless confirmed";
	CHECKF(b.len == strlen(want2) && !memcmp(b.p, want2, b.len), "\n got: %s\nwant: %s",
	       (const char *)b.p, want2);
	CHECK(valid_str((const char *)b.p));

	/* Escaping in SD values; control characters and a newline in MSG become spaces. */
	base_alert(&a);
	snprintf(a.officer, sizeof a.officer, "a\"b\\c]d\ne");
	snprintf(a.post, sizeof a.post, "]]\\\"");
	snprintf(a.detail, sizeof a.detail, "one\ntwo\r\tthree \"]\\");
	dp_buf_reset(&b);
	CHECK(dpo_alert_syslog(&a, &(dpo_sysid){10, DPO_ENTERPRISE_DEFAULT, HOST, 4242}, &b) == DP_OK);
	CHECK(strstr((const char *)b.p,
		     " officer=\"a\\\"b\\\\c\\]d e\" post=\"\\]\\]\\\\\\\"\" ") != NULL);
	static const char tail[] = "] " BOM "one two  three \"]\\";
	CHECK(b.len > strlen(tail) && !memcmp(b.p + b.len - strlen(tail), tail, strlen(tail)));
	CHECK(valid_str((const char *)b.p));

	/* Severity: DECOY page 1, other page 2, report 5, enforce without page 4; facility in PRI. */
	struct {
		int rule, mode, page, facility, pri;
	} sev[] = {
		{DP_R_DECOY, DP_DET_ENFORCE, 1, 10, 81},   {DP_R_BULK_CAP, DP_DET_ENFORCE, 1, 10, 82},
		{DP_R_BULK_CAP, DP_DET_REPORT, 0, 10, 85}, {DP_R_DECOY, DP_DET_REPORT, 0, 10, 85},
		{DP_R_RISK, DP_DET_ENFORCE, 0, 10, 84},    {DP_R_RISK, DP_DET_REPORT, 1, 13, 106},
		{DP_R_DECOY, DP_DET_ENFORCE, 1, 0, 1},     {DP_R_DECOY, DP_DET_ENFORCE, 1, 23, 185},
	};
	for (size_t i = 0; i < sizeof sev / sizeof *sev; i++) {
		char p[16];
		base_alert(&a);
		a.rule = sev[i].rule;
		a.mode = sev[i].mode;
		a.page = sev[i].page;
		dp_buf_reset(&b);
		CHECK(dpo_alert_syslog(&a, &(dpo_sysid){sev[i].facility, DPO_ENTERPRISE_DEFAULT, HOST, 1}, &b) == DP_OK);
		snprintf(p, sizeof p, "<%d>1 ", sev[i].pri);
		CHECKF(!strncmp((const char *)b.p, p, strlen(p)), "case %zu: %.8s", i, (const char *)b.p);
	}
	static const struct {
		const char *action;
		int pri;
	} asev[] = {{"suspend", 84}, {"revoke", 84}, {"officer-disable", 84}, {"throttle", 85},
		    {"lapse", 85},   {"undo", 85},   {"revoke-request", 85}};
	for (size_t i = 0; i < sizeof asev / sizeof *asev; i++) {
		char p[16];
		base_action(&x);
		x.action = asev[i].action;
		dp_buf_reset(&b);
		CHECK(dpo_action_syslog(&x, &(dpo_sysid){10, DPO_ENTERPRISE_DEFAULT, HOST, 1}, &b) == DP_OK);
		snprintf(p, sizeof p, "<%d>1 ", asev[i].pri);
		CHECKF(!strncmp((const char *)b.p, p, strlen(p)), "%s: %.8s", asev[i].action,
		       (const char *)b.p);
	}

	/* NILVALUEs: no host, no pid, a time out of range. */
	base_alert(&a);
	a.t_ms = -5;
	dp_buf_reset(&b);
	CHECK(dpo_alert_syslog(&a, &(dpo_sysid){10, DPO_ENTERPRISE_DEFAULT, NULL, 0}, &b) == DP_OK);
	CHECK(!strncmp((const char *)b.p, "<81>1 - - denpod - ALERT [denpo@32473 ", 38));
	CHECK(valid_str((const char *)b.p));

	/* Refusals leave out unchanged. */
	dp_buf_reset(&b);
	CHECK(dp_buf_puts(&b, "keep") == DP_OK);
	base_alert(&a);
	CHECK(dpo_alert_syslog(&a, &(dpo_sysid){24, DPO_ENTERPRISE_DEFAULT, HOST, 1}, &b) == DP_EINVAL);
	CHECK(dpo_alert_syslog(&a, &(dpo_sysid){-1, DPO_ENTERPRISE_DEFAULT, HOST, 1}, &b) == DP_EINVAL);
	CHECK(dpo_alert_syslog(&a, &(dpo_sysid){10, DPO_ENTERPRISE_DEFAULT, "bad host", 1}, &b) == DP_EINVAL);
	CHECK(dpo_alert_syslog(&a, &(dpo_sysid){10, DPO_ENTERPRISE_DEFAULT, "h\xc3\xa9", 1}, &b) == DP_EINVAL);
	a.mode = 7;
	CHECK(dpo_alert_syslog(&a, &(dpo_sysid){10, DPO_ENTERPRISE_DEFAULT, HOST, 1}, &b) == DP_EINVAL);
	CHECK(b.len == 4 && !memcmp(b.p, "keep", 5));
	dp_buf small;
	dp_buf_init(&small, 200);
	CHECK(dp_buf_puts(&small, "keep") == DP_OK);
	base_alert(&a);
	CHECK(dpo_alert_syslog(&a, &(dpo_sysid){10, DPO_ENTERPRISE_DEFAULT, HOST, 1}, &small) == DP_ETOOBIG);
	CHECK(small.len == 4 && !memcmp(small.p, "keep", 5));
	dp_buf_free(&small);
	dp_buf_free(&b);
}

/* xorshift64*: a fixed, reproducible stream. */
static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1du;
}

/* Random bytes biased towards the ones that need care. */
static void rnd_text(char *s, size_t cap, int printable)
{
	static const char special[] = "\"\\]=[ \n\r\t";
	size_t n = rnd() % cap;
	for (size_t i = 0; i < n; i++) {
		uint64_t r = rnd() % 10;
		if (printable)
			s[i] = r < 3 ? special[rnd() % 6] : (char)(33 + rnd() % 94);
		else if (r < 3)
			s[i] = special[rnd() % (sizeof special - 1)];
		else if (r < 5)
			s[i] = (char)(0x80 + rnd() % 128);
		else if (r < 6) {
			if (i + 3 < n) { /* a valid 3-byte sequence */
				memcpy(s + i, "\xe6\x9d\xb1", 3);
				i += 2;
			} else
				s[i] = 'x';
		} else
			s[i] = (char)(1 + rnd() % 127);
	}
	s[n] = 0;
}

static void test_syslog_random(void)
{
	dp_buf b, e;
	dp_buf_init(&b, DPO_LINE_MAX);
	dp_buf_init(&e, DPO_LINE_MAX);
	int bad = 0, roundtrip = 0, ecs_bad = 0;
	for (int it = 0; it < 3000; it++) {
		dp_det_alert a;
		memset(&a, 0, sizeof a);
		a.rule = (int)(rnd() % DP_R_COUNT);
		a.t_ms = (int64_t)(rnd() % (uint64_t)INT64_C(253402300800000));
		a.first_ms = (int64_t)(rnd() % 2) * a.t_ms;
		for (int i = 0; i < 32; i++)
			a.device[i] = (uint8_t)rnd();
		int printable = it % 2;
		rnd_text(a.officer, sizeof a.officer, printable);
		rnd_text(a.post, sizeof a.post, printable);
		rnd_text(a.detail, sizeof a.detail, 0);
		if (rnd() % 2)
			for (int i = 0; i < 16; i++)
				a.addr[i] = (uint8_t)rnd();
		a.severity = (int)(rnd() % 100);
		a.risk = (int)(rnd() % 1000);
		a.mode = 1 + (int)(rnd() % 2);
		a.page = (int)(rnd() % 2);
		a.action = (int)(rnd() % 3);
		a.would = (int)(rnd() % 3);
		a.withheld = (int)(rnd() % 3);
		char host[256];
		size_t hl = 1 + rnd() % 255;
		for (size_t i = 0; i < hl; i++)
			host[i] = (char)(33 + rnd() % 94);
		host[hl] = 0;
		dp_buf_reset(&b);
		if (dpo_alert_syslog(&a, &(dpo_sysid){(int)(rnd() % 24), DPO_ENTERPRISE_DEFAULT, host, (int)(rnd() % 4000000)}, &b)) {
			bad++;
			continue;
		}
		struct v v;
		memset(&v, 0, sizeof v);
		v.want_param = "officer";
		if (!syslog_valid(&v, b.p, b.len)) {
			if (bad++ < 3)
				fprintf(stderr, "  invalid (%s at %zu): %s\n", v.why, v.i, (const char *)b.p);
			continue;
		}
		/* A printable officer reads back exactly after unescaping. */
		if (printable && a.officer[0] && (!v.found || strcmp(v.got, a.officer))) {
			if (roundtrip++ < 3)
				fprintf(stderr, "  officer %s read back as %s\n", a.officer, v.got);
		}
		dp_buf_reset(&e);
		json_t *j = NULL;
		if (dpo_alert_ecs(&a, host, (int64_t)(rnd() % 1000) - 1, &e) || !one_line(&e) ||
		    !(j = json_loadb((const char *)e.p, e.len, 0, NULL)))
			ecs_bad++;
		json_decref(j);

		dpo_action x;
		char off[80], det[200];
		memset(&x, 0, sizeof x);
		x.t_ms = a.t_ms;
		x.action = (const char *[]){"suspend", "lapse", "revoke-request", "officer-disable"}[it % 4];
		x.operator_ = it % 3 ? "auto" : NULL;
		x.device = it % 5 ? a.device : NULL;
		rnd_text(off, sizeof off, printable);
		rnd_text(det, sizeof det, 0);
		x.officer = it % 7 ? off : NULL;
		x.post = it % 2 ? a.post : NULL;
		x.rule = it % 3 ? dp_det_rule_name(a.rule) : NULL;
		x.id = (int64_t)(rnd() % 100) - 1;
		x.until = (int64_t)(rnd() % 2) * (int64_t)(rnd() % INT64_C(253402300800));
		x.detail = it % 4 ? det : NULL;
		x.log_index_valid = it % 2;
		x.log_index = (int64_t)rnd() % 100000;
		dp_buf_reset(&b);
		memset(&v, 0, sizeof v);
		if (dpo_action_syslog(&x, &(dpo_sysid){10, DPO_ENTERPRISE_DEFAULT, host, 1}, &b) || !syslog_valid(&v, b.p, b.len)) {
			if (bad++ < 3)
				fprintf(stderr, "  invalid action (%s): %s\n", v.why, (const char *)b.p);
		}
		dp_buf_reset(&e);
		j = NULL;
		if (dpo_action_ecs(&x, host, &e) || !one_line(&e) ||
		    !(j = json_loadb((const char *)e.p, e.len, 0, NULL)))
			ecs_bad++;
		json_decref(j);
	}
	CHECKF(bad == 0, "%d of 6000 random messages invalid", bad);
	CHECKF(roundtrip == 0, "%d officers did not read back", roundtrip);
	CHECKF(ecs_bad == 0, "%d random ECS lines bad", ecs_bad);
	dp_buf_free(&b);
	dp_buf_free(&e);
}

/* ---- sinks ---- */

static char dir[64];

static char *read_all(const char *path, size_t *n)
{
	return (char *)t_read_file(path, n);
}

static size_t count_lines(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += s[i] == '\n';
	return k;
}

/* One datagram within 2 s into buf; its length, or -1. */
static ssize_t recv_one(int fd, char *buf, size_t cap)
{
	struct pollfd p = {fd, POLLIN, 0};
	if (poll(&p, 1, 2000) != 1)
		return -1;
	return recv(fd, buf, cap, 0);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_sink_udp_file(void)
{
	char file[128], spec[64], err[256], got[DPO_LINE_MAX];
	dp_det_alert a;
	dpo_action x;
	dp_buf want;
	base_alert(&a);
	base_action(&x);
	dp_buf_init(&want, DPO_LINE_MAX);
	snprintf(file, sizeof file, "%s/alerts.jsonl", dir);

	int rfd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin;
	socklen_t sl = sizeof sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(rfd >= 0 && bind(rfd, (struct sockaddr *)&sin, sizeof sin) == 0);
	CHECK(getsockname(rfd, (struct sockaddr *)&sin, &sl) == 0);
	snprintf(spec, sizeof spec, "udp:127.0.0.1:%u", ntohs(sin.sin_port));

	dpo_out *o;
	CHECKF(dpo_open(&o, file, spec, 10, HOST, err, sizeof err) == DP_OK, "%s", err);
	if (!o)
		return;
	CHECK(dpo_emit_alert(o, &a, 7) == DP_OK);
	ssize_t n = recv_one(rfd, got, sizeof got);
	CHECK(dpo_alert_syslog(&a, &(dpo_sysid){10, DPO_ENTERPRISE_DEFAULT, HOST, (int)getpid()}, &want) == DP_OK);
	CHECKF(n == (ssize_t)want.len && !memcmp(got, want.p, want.len), "received %zd bytes", n);
	CHECK(dpo_emit_action(o, &x) == DP_OK);
	n = recv_one(rfd, got, sizeof got);
	dp_buf_reset(&want);
	CHECK(dpo_action_syslog(&x, &(dpo_sysid){10, DPO_ENTERPRISE_DEFAULT, HOST, (int)getpid()}, &want) == DP_OK);
	CHECK(n == (ssize_t)want.len && !memcmp(got, want.p, want.len));
	CHECK(dpo_emit_alert(o, &a, -1) == DP_OK);
	CHECK(recv_one(rfd, got, sizeof got) > 0);
	CHECK(dpo_errors(o) == 0);

	/* The file: exactly the ECS lines, one per emit, mode 0600. */
	struct stat st;
	CHECK(stat(file, &st) == 0 && (st.st_mode & 0777) == 0600);
	size_t fl;
	char *fc = read_all(file, &fl);
	dp_buf_reset(&want);
	CHECK(dpo_alert_ecs(&a, HOST, 7, &want) == DP_OK);
	CHECK(dpo_action_ecs(&x, HOST, &want) == DP_OK);
	CHECK(dpo_alert_ecs(&a, HOST, -1, &want) == DP_OK);
	CHECKF(fc && fl == want.len && !memcmp(fc, want.p, fl), "file has %zu bytes", fl);
	CHECK(fc && count_lines(fc, fl) == 3);
	free(fc);

	/* Rotation: rename, the next line goes to the old file until reopen. */
	char rotated[160];
	snprintf(rotated, sizeof rotated, "%s.1", file);
	CHECK(rename(file, rotated) == 0);
	CHECK(dpo_emit_alert(o, &a, 8) == DP_OK);
	CHECK(access(file, F_OK) != 0);
	CHECK(dpo_reopen(o) == DP_OK);
	CHECK(dpo_emit_alert(o, &a, 9) == DP_OK);
	fc = read_all(rotated, &fl);
	CHECK(fc && count_lines(fc, fl) == 4);
	free(fc);
	fc = read_all(file, &fl);
	CHECK(fc && count_lines(fc, fl) == 1 && strstr(fc, "\"log_index\":9"));
	free(fc);
	CHECK(stat(file, &st) == 0 && (st.st_mode & 0777) == 0600);
	/* A reopen that fails (a directory where the file was) keeps the old file. */
	char rotated2[160];
	snprintf(rotated2, sizeof rotated2, "%s.2", file);
	CHECK(rename(file, rotated2) == 0 && mkdir(file, 0700) == 0);
	CHECK(dpo_reopen(o) == DP_EIO);
	CHECK(dpo_emit_alert(o, &a, 10) == DP_OK);
	fc = read_all(rotated2, &fl);
	CHECK(fc && count_lines(fc, fl) == 2);
	free(fc);
	CHECK(rmdir(file) == 0);
	/* A descriptor opened elsewhere (the signer's, denpod run): taken, and used. */
	CHECK(dpo_reopen_fd(o, -1) == DP_EIO); /* nothing to take: the old file stays */
	CHECK(dpo_emit_alert(o, &a, 11) == DP_OK);
	fc = read_all(rotated2, &fl);
	CHECK(fc && count_lines(fc, fl) == 3);
	free(fc);
	int nfd = dpo_file_open(file);
	CHECK(nfd >= 0 && dpo_reopen_fd(o, nfd) == DP_OK);
	CHECK(nfd < 0 || fcntl(nfd, F_GETFD) < 0); /* consumed: closed after the dup */
	CHECK(dpo_emit_alert(o, &a, 12) == DP_OK);
	fc = read_all(file, &fl);
	CHECK(fc && count_lines(fc, fl) == 1 && strstr(fc, "\"log_index\":12"));
	free(fc);
	CHECK(stat(file, &st) == 0 && (st.st_mode & 0777) == 0600);
	for (int i = 0; i < 8; i++)
		recv_one(rfd, got, sizeof got);
	CHECK(dpo_errors(o) == 0);
	dpo_close(o);
	close(rfd);
	unlink(rotated);
	unlink(rotated2);

	/* IPv6 in brackets, if this host has ::1. */
	int r6 = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 s6;
	memset(&s6, 0, sizeof s6);
	s6.sin6_family = AF_INET6;
	s6.sin6_addr = in6addr_loopback;
	sl = sizeof s6;
	if (r6 < 0 || bind(r6, (struct sockaddr *)&s6, sizeof s6) != 0 ||
	    getsockname(r6, (struct sockaddr *)&s6, &sl) != 0) {
		t_skipped("syslog udp:[::1]", "no IPv6 loopback");
	} else {
		snprintf(spec, sizeof spec, "udp:[::1]:%u", ntohs(s6.sin6_port));
		CHECKF(dpo_open(&o, NULL, spec, 10, HOST, err, sizeof err) == DP_OK, "%s", err);
		if (o) {
			CHECK(dpo_emit_alert(o, &a, 1) == DP_OK);
			dp_buf_reset(&want);
			CHECK(dpo_alert_syslog(&a, &(dpo_sysid){10, DPO_ENTERPRISE_DEFAULT, HOST, (int)getpid()}, &want) == DP_OK);
			n = recv_one(r6, got, sizeof got);
			CHECK(n == (ssize_t)want.len && !memcmp(got, want.p, want.len));
			dpo_close(o);
		}
	}
	if (r6 >= 0)
		close(r6);
	dp_buf_free(&want);
}

static int unix_receiver(const char *path)
{
	struct sockaddr_un sun;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void test_sink_unix(void)
{
	char path[128], spec[160], err[256], got[DPO_LINE_MAX];
	dp_det_alert a;
	dpo_action x;
	dp_buf want;
	base_alert(&a);
	base_action(&x);
	dp_buf_init(&want, DPO_LINE_MAX);
	snprintf(path, sizeof path, "%s/log.sock", dir);
	snprintf(spec, sizeof spec, "unix:%s", path);
	int rfd = unix_receiver(path);
	CHECK(rfd >= 0);
	dpo_out *o;
	CHECKF(dpo_open(&o, NULL, spec, DPO_FACILITY_DEFAULT, HOST, err, sizeof err) == DP_OK, "%s",
	       err);
	if (!o)
		return;
	CHECK(dpo_emit_action(o, &x) == DP_OK);
	ssize_t n = recv_one(rfd, got, sizeof got);
	CHECK(dpo_action_syslog(&x, &(dpo_sysid){DPO_FACILITY_DEFAULT, DPO_ENTERPRISE_DEFAULT, HOST, (int)getpid()}, &want) == DP_OK);
	CHECK(n == (ssize_t)want.len && !memcmp(got, want.p, want.len));
	CHECK(dpo_emit_alert(o, &a, 3) == DP_OK);
	dp_buf_reset(&want);
	CHECK(dpo_alert_syslog(&a, &(dpo_sysid){DPO_FACILITY_DEFAULT, DPO_ENTERPRISE_DEFAULT, HOST, (int)getpid()}, &want) == DP_OK);
	n = recv_one(rfd, got, sizeof got);
	CHECK(n == (ssize_t)want.len && !memcmp(got, want.p, want.len));
	CHECK(dpo_errors(o) == 0);

	/* The syslog daemon restarts: a send to nobody is counted, then it is found again. */
	close(rfd);
	unlink(path);
	CHECK(dpo_emit_alert(o, &a, 3) == DP_EIO);
	CHECK(dpo_errors(o) == 1);
	rfd = unix_receiver(path);
	CHECK(dpo_emit_alert(o, &a, 3) == DP_OK);
	n = recv_one(rfd, got, sizeof got);
	CHECK(n == (ssize_t)want.len && !memcmp(got, want.p, want.len));

	/* A receiver that never reads: sends fail (counted), nothing blocks. */
	double t0 = now_s();
	uint64_t e0 = dpo_errors(o);
	for (int i = 0; i < 2000; i++)
		(void)dpo_emit_alert(o, &a, i);
	double dt = now_s() - t0;
	CHECKF(dt < 5.0, "2000 emits to a full socket took %.2f s", dt);
	CHECKF(dpo_errors(o) > e0, "errors %llu", (unsigned long long)dpo_errors(o));
	dpo_close(o);
	close(rfd);
	unlink(path);
	dp_buf_free(&want);
}

static void test_sink_failures(void)
{
	char spec[64], err[256];
	dp_det_alert a;
	base_alert(&a);

	/* A dead UDP target: nothing blocks, failures are counted (ICMP port unreachable). */
	int rfd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin;
	socklen_t sl = sizeof sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(rfd, (struct sockaddr *)&sin, sizeof sin) == 0 &&
	      getsockname(rfd, (struct sockaddr *)&sin, &sl) == 0);
	close(rfd);
	snprintf(spec, sizeof spec, "udp:localhost:%u", ntohs(sin.sin_port));
	dpo_out *o;
	int r = dpo_open(&o, NULL, spec, 10, HOST, err, sizeof err);
	if (r == DP_EIO) { /* no "localhost" in this container's resolver */
		snprintf(spec, sizeof spec, "udp:127.0.0.1:%u", ntohs(sin.sin_port));
		r = dpo_open(&o, NULL, spec, 10, HOST, err, sizeof err);
	}
	CHECKF(r == DP_OK, "%s", err);
	if (o) {
		double t0 = now_s();
		int failed = 0;
		for (int i = 0; i < 50; i++)
			failed += dpo_emit_alert(o, &a, i) != DP_OK;
		double dt = now_s() - t0;
		CHECKF(dt < 1.0, "50 emits to a dead port took %.2f s", dt);
		CHECKF(dpo_errors(o) > 0 && dpo_errors(o) == (uint64_t)failed, "errors %llu, failed %d",
		       (unsigned long long)dpo_errors(o), failed);
		dpo_close(o);
	}

	/* A file that cannot take the line (/dev/full): counted. */
	CHECK(dpo_open(&o, "/dev/full", NULL, 10, HOST, err, sizeof err) == DP_OK);
	if (o) {
		CHECK(dpo_emit_alert(o, &a, 1) == DP_EIO);
		CHECK(dpo_errors(o) == 1);
		dpo_close(o);
	}

	/* A record that cannot be formatted is counted too. */
	CHECK(dpo_open(&o, "/dev/null", NULL, 10, HOST, err, sizeof err) == DP_OK);
	if (o) {
		dpo_action x;
		base_action(&x);
		x.action = "Bad";
		CHECK(dpo_emit_action(o, &x) == DP_EINVAL);
		CHECK(dpo_errors(o) == 1);
		dpo_close(o);
	}

	/* Bad specs, facility, host; a file that cannot be opened. */
	static const char *bad[] = {
		"tcp:127.0.0.1:514", "udp:", "udp:127.0.0.1", "udp:127.0.0.1:", "udp:127.0.0.1:0",
		"udp:127.0.0.1:65536", "udp:127.0.0.1:0514", "udp:127.0.0.1:51a", "udp:127.0.0.1:123456",
		"udp::514", "udp:[::1", "udp:[::1]514", "udp:[::1]:", "udp:::1:514", "udp:[nothost]:514",
		"unix:", "", "UDP:127.0.0.1:514",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err[0] = 0;
		o = (dpo_out *)&err; /* must be reset to NULL */
		r = dpo_open(&o, NULL, bad[i], 10, HOST, err, sizeof err);
		CHECKF(r == DP_EPARSE && err[0] && !o, "%s: %d %s", bad[i], r, err);
	}
	char longpath[200];
	memset(longpath, 'p', sizeof longpath);
	memcpy(longpath, "unix:/", 6);
	longpath[sizeof longpath - 1] = 0;
	CHECK(dpo_open(&o, NULL, longpath, 10, HOST, err, sizeof err) == DP_EPARSE && !o);
	CHECK(dpo_open(&o, NULL, NULL, 24, HOST, err, sizeof err) == DP_EINVAL && !o && err[0]);
	CHECK(dpo_open(&o, NULL, NULL, -1, HOST, err, sizeof err) == DP_EINVAL && !o);
	CHECK(dpo_open(&o, NULL, NULL, 10, "bad host", err, sizeof err) == DP_EINVAL && !o);
	CHECK(dpo_open(&o, NULL, NULL, 10, "", err, sizeof err) == DP_EINVAL && !o);
	char nofile[128];
	snprintf(nofile, sizeof nofile, "%s/no/such/dir/alerts.jsonl", dir);
	CHECK(dpo_open(&o, nofile, NULL, 10, HOST, err, sizeof err) == DP_EIO && !o &&
	      strstr(err, nofile));
	CHECK(dpo_open(&o, nofile, NULL, 10, HOST, NULL, 0) == DP_EIO && !o);

	/* No sinks at all, and the default host name. */
	CHECK(dpo_open(&o, NULL, NULL, 10, NULL, err, sizeof err) == DP_OK);
	if (o) {
		CHECK(dpo_emit_alert(o, &a, 1) == DP_OK && dpo_reopen(o) == DP_OK && dpo_errors(o) == 0);
		dpo_close(o);
	}
	dpo_close(NULL);
}

/* ---- Prometheus ---- */

static char *render(const dpo_metrics *m)
{
	dp_buf b;
	dp_buf_init(&b, 1 << 20);
	if (dpo_metrics_render(m, &b)) {
		dp_buf_free(&b);
		return NULL;
	}
	if (!b.p && dp_buf_puts(&b, "") != DP_OK)
		return NULL;
	return (char *)dp_buf_steal(&b, NULL);
}

static void test_metrics_exact(void)
{
	dpo_metrics *m;
	CHECK(dpo_metrics_new(&m) == DP_OK);
	CHECK(dpo_metric_declare(m, "denpo_alerts_total", "counter",
				 "Alerts raised, by rule and mode.") == DP_OK);
	CHECK(dpo_metric_declare(m, "denpo_throttled_devices", "gauge",
				 "Devices throttled now.\nSecond line with a \\ backslash.") == DP_OK);
	CHECK(dpo_metric_declare(m, "denpo_actions_total", "counter", "Containment actions.") == DP_OK);
	CHECK(dpo_metric_declare(m, "denpo_up", "gauge", "") == DP_OK);
	CHECK(dpo_metric_add(m, "denpo_alerts_total", 1, "rule", "DECOY", "mode", "enforce", NULL) ==
	      DP_OK);
	CHECK(dpo_metric_add(m, "denpo_alerts_total", 2, "mode", "enforce", "rule", "BULK-CAP", NULL) ==
	      DP_OK);
	CHECK(dpo_metric_add(m, "denpo_alerts_total", 1, "mode", "enforce", "rule", "DECOY", NULL) ==
	      DP_OK);
	CHECK(dpo_metric_add(m, "denpo_alerts_total", 1, "rule", "DECOY", "mode", "report", NULL) ==
	      DP_OK);
	CHECK(dpo_metric_set(m, "denpo_throttled_devices", 0.25, "post", "TOKYO", NULL) == DP_OK);
	CHECK(dpo_metric_set(m, "denpo_throttled_devices", 3, "post", "ACCRA", NULL) == DP_OK);
	CHECK(dpo_metric_add(m, "denpo_throttled_devices", 4, "post", "ACCRA", NULL) == DP_OK);
	CHECK(dpo_metric_set(m, "denpo_up", 1, NULL) == DP_OK);
	static const char want[] =
		"# HELP denpo_actions_total Containment actions.\n"
		"# TYPE denpo_actions_total counter\n"
		"# HELP denpo_alerts_total Alerts raised, by rule and mode.\n"
		"# TYPE denpo_alerts_total counter\n"
		"denpo_alerts_total{mode=\"enforce\",rule=\"BULK-CAP\"} 2\n"
		"denpo_alerts_total{mode=\"enforce\",rule=\"DECOY\"} 2\n"
		"denpo_alerts_total{mode=\"report\",rule=\"DECOY\"} 1\n"
		"# HELP denpo_throttled_devices Devices throttled now.\\nSecond line with a \\\\ backslash.\n"
		"# TYPE denpo_throttled_devices gauge\n"
		"denpo_throttled_devices{post=\"ACCRA\"} 7\n"
		"denpo_throttled_devices{post=\"TOKYO\"} 0.25\n"
		"# HELP denpo_up \n"
		"# TYPE denpo_up gauge\n"
		"denpo_up 1\n";
	char *got = render(m);
	CHECKF(got && !strcmp(got, want), "\n got:\n%s\nwant:\n%s", got ? got : "(null)", want);
	free(got);

	/* Render appends, and leaves out unchanged if it does not fit. */
	dp_buf b;
	dp_buf_init(&b, 64);
	CHECK(dp_buf_puts(&b, "keep") == DP_OK);
	CHECK(dpo_metrics_render(m, &b) == DP_ETOOBIG && b.len == 4 && !memcmp(b.p, "keep", 5));
	dp_buf_free(&b);
	dpo_metrics_free(m);

	/* Values: integers, shortest exact decimals. */
	static const struct {
		double v;
		const char *text;
	} vals[] = {
		{0, "0"}, {-3, "-3"}, {0.1, "0.1"}, {1e-7, "1e-07"}, {123456789.5, "123456789.5"},
		{9007199254740991.0, "9007199254740991"}, {1152921504606846976.0, "1.152921504606847e+18"},
		{1.0 / 3, "0.3333333333333333"},
	};
	for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
		char want1[128];
		CHECK(dpo_metrics_new(&m) == DP_OK);
		CHECK(dpo_metric_declare(m, "g", "gauge", "h") == DP_OK);
		CHECK(dpo_metric_set(m, "g", vals[i].v, NULL) == DP_OK);
		snprintf(want1, sizeof want1, "# HELP g h\n# TYPE g gauge\ng %s\n", vals[i].text);
		got = render(m);
		CHECKF(got && !strcmp(got, want1), "%.17g: %s", vals[i].v, got ? got : "(null)");
		free(got);
		dpo_metrics_free(m);
	}
}

static void test_metrics_refusals(void)
{
	dpo_metrics *m;
	CHECK(dpo_metrics_new(&m) == DP_OK);
	CHECK(dpo_metric_declare(m, "c_total", "counter", "c") == DP_OK);
	CHECK(dpo_metric_declare(m, "g", "gauge", "g") == DP_OK);

	/* Declarations. */
	CHECK(dpo_metric_declare(m, "c_total", "counter", "again") == DP_EEXISTS);
	CHECK(dpo_metric_declare(m, "c_total", "gauge", "again") == DP_EEXISTS);
	CHECK(dpo_metric_declare(m, "c", "counter", "no _total") == DP_EINVAL);
	CHECK(dpo_metric_declare(m, "9c_total", "counter", "h") == DP_EINVAL);
	CHECK(dpo_metric_declare(m, "c-x_total", "counter", "h") == DP_EINVAL);
	CHECK(dpo_metric_declare(m, "", "gauge", "h") == DP_EINVAL);
	CHECK(dpo_metric_declare(m, "h", "histogram", "h") == DP_EINVAL);
	CHECK(dpo_metric_declare(m, "h", NULL, "h") == DP_EINVAL);
	CHECK(dpo_metric_declare(m, "h", "gauge", NULL) == DP_EINVAL);
	CHECK(dpo_metric_declare(m, "ns:sub_total", "counter", "colons are fine") == DP_OK);

	/* Label names outside the allow-list: a person, a device, an address, a cable. */
	static const char *names[] = {"officer", "device", "addr", "address", "cable",
				      "user",    "Rule",   "rule ", ""};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		CHECKF(dpo_metric_add(m, "c_total", 1, names[i], "x", NULL) == DP_EINVAL, "%s", names[i]);
	static const char *okn[] = {"rule",   "mode", "action", "severity",
				    "reason", "post", "kind",   "verdict"};
	for (size_t i = 0; i < sizeof okn / sizeof *okn; i++)
		CHECKF(dpo_metric_add(m, "c_total", 1, okn[i], "x", NULL) == DP_OK, "%s", okn[i]);

	/* Label values. */
	char v64[65], v65[66];
	memset(v64, 'v', 64);
	v64[64] = 0;
	memset(v65, 'v', 65);
	v65[65] = 0;
	static const char *badv[] = {"",	      "sato k", "a\"b", "a\\b", "a\nb",
				     "\xe6\x9d\xb1", "a/b",    "a{b}", "a,b",  "a=b"};
	for (size_t i = 0; i < sizeof badv / sizeof *badv; i++)
		CHECKF(dpo_metric_add(m, "c_total", 1, "post", badv[i], NULL) == DP_EINVAL, "[%s]", badv[i]);
	CHECK(dpo_metric_add(m, "c_total", 1, "post", v65, NULL) == DP_EINVAL);
	CHECK(dpo_metric_add(m, "c_total", 1, "post", v64, NULL) == DP_OK);
	CHECK(dpo_metric_add(m, "c_total", 1, "post", "Ab0_.:-", NULL) == DP_OK);

	/* Pairs: at most 3, no repeats, each name with a value. */
	CHECK(dpo_metric_add(m, "c_total", 1, "rule", "a", "mode", "b", "action", "c", NULL) == DP_OK);
	CHECK(dpo_metric_add(m, "c_total", 1, "rule", "a", "mode", "b", "action", "c", "kind", "d",
			     NULL) == DP_EINVAL);
	CHECK(dpo_metric_add(m, "c_total", 1, "rule", "a", "rule", "b", NULL) == DP_EINVAL);
	CHECK(dpo_metric_add(m, "c_total", 1, "rule", NULL) == DP_EINVAL);

	/* Families and types. */
	CHECK(dpo_metric_add(m, "nope_total", 1, NULL) == DP_ENOTFOUND);
	CHECK(dpo_metric_set(m, "c_total", 5, NULL) == DP_EINVAL);
	CHECK(dpo_metric_add(m, "g", -2.5, NULL) == DP_OK);
	CHECK(dpo_metric_add(m, "g", NAN, NULL) == DP_EINVAL);
	CHECK(dpo_metric_set(m, "g", INFINITY, NULL) == DP_EINVAL);

	/* Counters only go up: a refused add leaves the value. */
	dpo_metrics_free(m);
	CHECK(dpo_metrics_new(&m) == DP_OK);
	CHECK(dpo_metric_declare(m, "c_total", "counter", "c") == DP_OK);
	CHECK(dpo_metric_add(m, "c_total", 5, "rule", "DECOY", NULL) == DP_OK);
	CHECK(dpo_metric_add(m, "c_total", -1, "rule", "DECOY", NULL) == DP_EINVAL);
	CHECK(dpo_metric_add(m, "c_total", NAN, "rule", "DECOY", NULL) == DP_EINVAL);
	CHECK(dpo_metric_add(m, "c_total", INFINITY, "rule", "DECOY", NULL) == DP_EINVAL);
	CHECK(dpo_metric_add(m, "c_total", 1e308, "rule", "DECOY", NULL) == DP_OK);
	CHECK(dpo_metric_add(m, "c_total", 1e308, "rule", "DECOY", NULL) == DP_ETOOBIG);
	dpo_metrics_free(m);
	CHECK(dpo_metrics_new(&m) == DP_OK);
	CHECK(dpo_metric_declare(m, "c_total", "counter", "c") == DP_OK);
	CHECK(dpo_metric_add(m, "c_total", 5, "rule", "DECOY", NULL) == DP_OK);
	CHECK(dpo_metric_add(m, "c_total", -1, "rule", "DECOY", NULL) == DP_EINVAL);
	CHECK(dpo_metric_add(m, "c_total", 0, "rule", "DECOY", NULL) == DP_OK);
	char *got = render(m);
	CHECK(got && strstr(got, "c_total{rule=\"DECOY\"} 5\n"));
	free(got);
	dpo_metrics_free(m);

	/* Cardinality is bounded. */
	CHECK(dpo_metrics_new(&m) == DP_OK);
	CHECK(dpo_metric_declare(m, "c_total", "counter", "c") == DP_OK);
	int r = DP_OK, i;
	char v[16];
	for (i = 0; i < DPO_SERIES_MAX && !r; i++) {
		snprintf(v, sizeof v, "r%d", i);
		r = dpo_metric_add(m, "c_total", 1, "rule", v, NULL);
	}
	CHECK(r == DP_OK && i == DPO_SERIES_MAX);
	CHECK(dpo_metric_add(m, "c_total", 1, "rule", "one-more", NULL) == DP_ETOOBIG);
	CHECK(dpo_metric_add(m, "c_total", 1, "rule", "r17", NULL) == DP_OK); /* existing: fine */
	got = render(m);
	CHECK(got && strstr(got, "c_total{rule=\"r17\"} 2\n") && !strstr(got, "one-more"));
	/* sorted: r0 < r1 < r10 ... */
	CHECK(got && strstr(got, "c_total{rule=\"r0\"} 1\nc_total{rule=\"r1\"} 1\n"
				 "c_total{rule=\"r10\"} 1\n"));
	free(got);
	dpo_metrics_free(m);
	dpo_metrics_free(NULL);
}

struct thr {
	dpo_metrics *m;
	int fails;
};

static void *adder(void *p)
{
	struct thr *t = p;
	for (int i = 0; i < 20000; i++)
		t->fails += dpo_metric_add(t->m, "c_total", 1, "rule", i % 2 ? "A" : "B", NULL) != DP_OK;
	return NULL;
}

static void test_metrics_threads(void)
{
	dpo_metrics *m;
	pthread_t th[4];
	struct thr t[4];
	CHECK(dpo_metrics_new(&m) == DP_OK);
	CHECK(dpo_metric_declare(m, "c_total", "counter", "c") == DP_OK);
	for (int i = 0; i < 4; i++) {
		t[i].m = m;
		t[i].fails = 0;
		CHECK(pthread_create(&th[i], NULL, adder, &t[i]) == 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK(t[i].fails == 0);
	}
	char *got = render(m);
	CHECK(got && !strcmp(got, "# HELP c_total c\n# TYPE c_total counter\n"
				  "c_total{rule=\"A\"} 40000\nc_total{rule=\"B\"} 40000\n"));
	free(got);
	dpo_metrics_free(m);
}

int main(void)
{
	for (int i = 0; i < 32; i++)
		dev[i] = (uint8_t)i;
	snprintf(dir, sizeof dir, "/tmp/denpo-alerts-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	umask(022);
	test_ecs_alert();
	test_ecs_action();
	test_damage();
	test_validator();
	test_syslog_exact();
	test_syslog_random();
	test_sink_udp_file();
	test_sink_unix();
	test_sink_failures();
	test_metrics_exact();
	test_metrics_refusals();
	test_metrics_threads();
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return t_done("test_denpod_alerts");
}
