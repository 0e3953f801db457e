/*
 * denpod/alerts.c - alert and containment outputs (ECS JSON lines, RFC 5424
 * syslog) and a small Prometheus registry.  Formats and mappings are
 * documented once, in denpod/alerts.h.
 *
 * Everything that reaches an output is made valid UTF-8 here (an invalid
 * byte becomes U+FFFD) because names and details are free text: jansson
 * refuses invalid UTF-8, and RFC 5424 PARAM-VALUE and MSG-UTF8 require it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "denpo/encoding.h"
#include "denpod/alerts.h"
#include "denpod/config.h"
#include "denpod/syslog_tls.h"

#define MS_MAX INT64_C(253402300799999) /* 9999-12-31T23:59:59.999Z */
#define TS_LEN 32

/* ---- text helpers ---- */

enum clean_mode {
	CLEAN_KEEP,  /* control characters kept (JSON: jansson escapes them) */
	CLEAN_SPACE, /* control characters become a space (one-line text) */
	CLEAN_SD,    /* CLEAN_SPACE, and '"', '\' and ']' escaped (RFC 5424 PARAM-VALUE) */
};

/* Length of the valid UTF-8 sequence at s[0..n), 0 if none (RFC 3629 table). */
static size_t utf8_len(const uint8_t *s, size_t n)
{
	uint8_t c = s[0];
	size_t len;
	uint8_t lo = 0x80, hi = 0xbf; /* bounds of the second byte */
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else
		return 0; /* a continuation byte, C0/C1 (overlong) or F5..FF */
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* Appends s[0..n) as valid UTF-8 according to mode. */
static int put_clean(dp_buf *b, const char *s, size_t n, int mode)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0;
	while (i < n) {
		int r;
		size_t l = utf8_len(p + i, n - i);
		if (l == 0) {
			r = dp_buf_append(b, "\xef\xbf\xbd", 3);
			l = 1;
		} else if (l > 1)
			r = dp_buf_append(b, p + i, l);
		else if (mode != CLEAN_KEEP && (p[i] < 0x20 || p[i] == 0x7f))
			r = dp_buf_putc(b, ' ');
		else if (mode == CLEAN_SD && (p[i] == '"' || p[i] == '\\' || p[i] == ']')) {
			uint8_t esc[2] = {'\\', p[i]};
			r = dp_buf_append(b, esc, 2);
		}
		else
			r = dp_buf_putc(b, p[i]);
		if (r)
			return r;
		i += l;
	}
	return DP_OK;
}

static int put_cleans(dp_buf *b, const char *s, int mode)
{
	return put_clean(b, s, strlen(s), mode);
}

/* lit, then s[0..n) cleaned into one line. */
static int put_after(dp_buf *b, const char *lit, const char *s, size_t n)
{
	int r = dp_buf_puts(b, lit);
	return r ? r : put_clean(b, s, n, CLEAN_SPACE);
}

/* Undo appends made since len (the formatters leave out unchanged on failure). */
static void truncate_to(dp_buf *b, size_t len)
{
	b->len = len;
	if (b->p)
		b->p[len] = 0;
}

/* "2023-11-14T22:13:20.123Z"; DP_EINVAL outside 1970..9999. */
static int fmt_ms(int64_t ms, char out[TS_LEN])
{
	struct tm tm;
	if (ms < 0 || ms > MS_MAX)
		return DP_EINVAL;
	time_t s = (time_t)(ms / 1000);
	if (!gmtime_r(&s, &tm))
		return DP_EINVAL;
	snprintf(out, TS_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return DP_OK;
}

/* Unix seconds as fmt_ms. */
static int fmt_s(int64_t s, char out[TS_LEN])
{
	if (s < 0 || s > MS_MAX / 1000)
		return DP_EINVAL;
	return fmt_ms(s * 1000, out);
}

/* A 16-byte address as text; 0 if all zero (unknown). */
static int fmt_addr(const uint8_t a[16], char out[INET6_ADDRSTRLEN])
{
	static const uint8_t zero[16], v4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (!memcmp(a, zero, 16))
		return 0;
	if (!memcmp(a, v4, 12))
		return inet_ntop(AF_INET, a + 12, out, INET6_ADDRSTRLEN) != NULL;
	return inet_ntop(AF_INET6, a, out, INET6_ADDRSTRLEN) != NULL;
}

/* HOSTNAME, APP-NAME...: 1..max PRINTUSASCII (%d33-126). */
static int printusascii(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n < 1 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126)
			return 0;
	return 1;
}

/* An action name: 1..64 of [a-z-]. */
static int action_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'))
			return 0;
	return 1;
}

static const char *const withheld_names[] = {"none", "cap", "last-device"};

/* The names of an alert's enums; DP_EINVAL if one is out of range. */
struct alert_names {
	const char *rule, *mode, *action, *would, *withheld;
};

static int alert_names(const dp_det_alert *a, struct alert_names *n)
{
	n->rule = dp_det_rule_name(a->rule);
	n->mode = dp_det_mode_name(a->mode);
	n->action = dp_det_action_name(a->action);
	n->would = dp_det_action_name(a->would);
	n->withheld = a->withheld >= 0 && a->withheld <= DP_DET_WH_LAST_DEVICE
			      ? withheld_names[a->withheld]
			      : NULL;
	if (!n->rule || !n->mode || !n->action || !n->would || !n->withheld)
		return DP_EINVAL;
	return DP_OK;
}

/* The one-line human summary of an alert (mode CLEAN_SPACE for names). */
static int alert_summary(const dp_det_alert *a, const struct alert_names *n, dp_buf *b)
{
	char hex[65];
	int r;
	dp_hex_encode(hex, a->device, 32);
	const char *what = a->mode == DP_DET_REPORT ? "report-only" : n->mode;
	r = dp_buf_printf(b, "%s alert (%s%s): ", n->rule, what, a->page ? ", paged" : "");
	if (!r && a->mode == DP_DET_REPORT)
		r = dp_buf_printf(b, "would %s", n->would);
	else if (!r)
		r = dp_buf_puts(b, a->action == DP_DET_NONE ? "no action on" : n->action);
	if (!r)
		r = dp_buf_printf(b, " device %.16s", hex);
	size_t ol = strnlen(a->officer, sizeof a->officer), pl = strnlen(a->post, sizeof a->post);
	if (!r && ol)
		r = put_after(b, " of ", a->officer, ol);
	if (!r && pl)
		r = put_after(b, " at ", a->post, pl);
	if (!r && a->withheld == DP_DET_WH_CAP)
		r = dp_buf_puts(b, " (suspension withheld: hourly cap of automatic suspensions)");
	else if (!r && a->withheld == DP_DET_WH_LAST_DEVICE)
		r = dp_buf_puts(b, " (suspension withheld: last working device of the post)");
	return r;
}

/* The names of an action's kind: summary word, event.dataset, MSGID. */
static const struct {
	const char *word, *dataset, *msgid;
} kinds[] = {
	[DPO_KIND_CONTAINMENT] = {"containment", "denpod.containment", "CONTAINMENT"},
	[DPO_KIND_LOG] = {"log", "denpod.log", "LOG"},
};

static int kind_ok(const dpo_action *x)
{
	return x->kind >= 0 && (size_t)x->kind < sizeof kinds / sizeof kinds[0];
}

/* The summary of an action (its kind checked). */
static int action_summary(const dpo_action *x, dp_buf *b)
{
	int r = dp_buf_printf(b, "%s %s", kinds[x->kind].word, x->action);
	if (!r && x->operator_)
		r = put_after(b, " by ", x->operator_, strlen(x->operator_));
	if (!r && x->device) {
		char hex[65];
		dp_hex_encode(hex, x->device, 32);
		r = dp_buf_printf(b, ": device %.16s", hex);
	}
	if (!r && x->officer)
		r = put_after(b, " of ", x->officer, strlen(x->officer));
	if (!r && x->post)
		r = put_after(b, " at ", x->post, strlen(x->post));
	if (!r && x->rule)
		r = put_after(b, ", rule ", x->rule, strlen(x->rule));
	char ts[TS_LEN];
	if (!r && x->until && fmt_s(x->until, ts) == DP_OK)
		r = dp_buf_printf(b, ", until %s", ts);
	return r;
}

/* A damage record's names: 1..24 of [a-z-] (action_ok's alphabet). */
static int damage_ok(const dpo_damage *x)
{
	return action_ok(x->part) && strlen(x->part) < sizeof x->part && action_ok(x->found_by) &&
	       strlen(x->found_by) < sizeof x->found_by;
}

int dpo_damage_summary(const dpo_damage *x, dp_buf *b)
{
	int r = dp_buf_printf(b, "STORE-DAMAGE (%s): %s", x->found_by, x->part);
	if (!r && x->has_cable) {
		char hex[2 * DP_CABLE_ID + 1];
		dp_hex_encode(hex, x->cable_id, DP_CABLE_ID);
		r = dp_buf_printf(b, " %.16s", hex);
	}
	size_t ml = strnlen(x->mrn, sizeof x->mrn);
	if (!r && ml) {
		r = put_after(b, " (", x->mrn, ml);
		if (!r)
			r = dp_buf_putc(b, ')');
	}
	if (!r && !x->has_cable && x->log_index >= 0)
		r = dp_buf_printf(b, " %lld", (long long)x->log_index);
	size_t dl = strnlen(x->detail, sizeof x->detail);
	if (!r && dl)
		r = put_after(b, ": ", x->detail, dl);
	return r;
}

/* ---- ECS ---- */

/* A JSON string of valid UTF-8 made from s[0..n) (NULL on ENOMEM). */
static json_t *jstr(const char *s, size_t n, int mode)
{
	dp_buf t;
	dp_buf_init(&t, 3 * n + 1);
	json_t *j = NULL;
	if (put_clean(&t, s, n, mode) == DP_OK)
		j = json_stringn(t.p ? (const char *)t.p : "", t.len);
	dp_buf_free(&t);
	return j;
}

static json_t *jstrs(const char *s) { return jstr(s, strlen(s), CLEAN_KEEP); }

/*
 * o[k] = v, taking v; returns v, or NULL (and sets *bad) if o or v is NULL
 * (an earlier ENOMEM) or the set fails, so that nested calls stay safe.
 */
static json_t *jset(json_t *o, const char *k, json_t *v, int *bad)
{
	if (!o || !v) {
		json_decref(v);
		*bad = 1;
		return NULL;
	}
	if (json_object_set_new(o, k, v)) {
		*bad = 1;
		return NULL;
	}
	return v;
}

/* The parts every record has: @timestamp, message, ecs, observer. */
static json_t *ecs_base(int64_t t_ms, const dp_buf *summary, const char *host, int *bad)
{
	char ts[TS_LEN];
	if (fmt_ms(t_ms, ts))
		return NULL;
	json_t *o = json_object();
	jset(o, "@timestamp", json_string(ts), bad);
	jset(o, "message", jstr(summary->p ? (const char *)summary->p : "", summary->len, CLEAN_SPACE),
	     bad);
	jset(jset(o, "ecs", json_object(), bad), "version", json_string(DPO_ECS_VERSION), bad);
	json_t *obs = jset(o, "observer", json_object(), bad);
	jset(obs, "vendor", json_string("denpo"), bad);
	jset(obs, "product", json_string("denpod"), bad);
	jset(obs, "version", json_string(DPC_VERSION), bad);
	if (host)
		jset(obs, "hostname", jstrs(host), bad);
	return o;
}

/* Dumps o as one line + "\n" onto out; consumes o. */
static int ecs_finish(json_t *o, int bad, dp_buf *out)
{
	if (bad) {
		json_decref(o);
		return DP_ENOMEM;
	}
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return DP_ENOMEM;
	size_t start = out->len;
	int r = dp_buf_puts(out, s);
	if (!r)
		r = dp_buf_putc(out, '\n');
	if (r)
		truncate_to(out, start);
	free(s);
	return r;
}

/*
 * event.dataset, event.outcome and event.id (the log index, if >= 0): the
 * fields every record's event has besides its kind, category and type.
 */
static void ecs_event_ids(json_t *ev, const char *dataset, const char *outcome, int64_t log_index,
			  int *bad)
{
	jset(ev, "dataset", json_string(dataset), bad);
	jset(ev, "outcome", json_string(outcome), bad);
	if (log_index >= 0) {
		char id[24];
		snprintf(id, sizeof id, "%lld", (long long)log_index);
		jset(ev, "id", json_string(id), bad);
	}
}

/* rule.id, rule.name, rule.ruleset, rule.reference: name made valid UTF-8. */
static void ecs_rule(json_t *o, const char *name, int *bad)
{
	json_t *rule = jset(o, "rule", json_object(), bad);
	jset(rule, "id", jstrs(name), bad);
	jset(rule, "name", jstrs(name), bad);
	jset(rule, "ruleset", json_string("denpo"), bad);
	dp_buf ref;
	dp_buf_init(&ref, 256);
	if (dpo_rule_reference(name, &ref) == DP_OK)
		jset(rule, "reference", json_stringn((const char *)ref.p, ref.len), bad);
	dp_buf_free(&ref);
}

/* The switch's rules outside detection, and where each is explained. */
static const struct {
	const char *rule, *reference;
} own_rules[] = {
	{"STORE-DAMAGE", DPO_DAMAGE_REFERENCE},
	{"WITNESS-RESET", DPO_WITNESS_REFERENCE},
	{"UNAPPROVED-DEVICE", DPO_UNAPPROVED_REFERENCE},
};

int dpo_rule_reference(const char *rule, dp_buf *out)
{
	for (size_t i = 0; rule && i < sizeof own_rules / sizeof own_rules[0]; i++)
		if (!strcmp(rule, own_rules[i].rule))
			return dp_buf_puts(out, own_rules[i].reference);
	if (dp_det_rule_by_name(rule) < 0)
		return DP_EINVAL;
	size_t start = out->len;
	int r = dp_buf_puts(out, DPO_RULE_REFERENCE);
	for (const char *p = rule; !r && *p; p++)
		r = dp_buf_putc(out, (uint8_t)(*p >= 'A' && *p <= 'Z' ? *p + ('a' - 'A') : *p));
	if (r)
		truncate_to(out, start);
	return r;
}

/*
 * related.user, related.hosts (the device id: the host identifier a SIEM
 * pivots on), related.ip: arrays, each present only if it has a value.
 */
static void ecs_related(json_t *o, const char *const users[2], size_t ulen[2], const char *device,
			const char *ip, int *bad)
{
	json_t *u = json_array(), *h = json_array(), *i = json_array();
	for (int k = 0; k < 2; k++)
		if (users[k] && ulen[k] && json_array_append_new(u, jstr(users[k], ulen[k], CLEAN_KEEP)))
			*bad = 1;
	if (device && json_array_append_new(h, json_string(device)))
		*bad = 1;
	if (ip && json_array_append_new(i, json_string(ip)))
		*bad = 1;
	if (!u || !h || !i) {
		*bad = 1;
		json_decref(u);
		json_decref(h);
		json_decref(i);
		return;
	}
	if (!json_array_size(u) && !json_array_size(h) && !json_array_size(i)) {
		json_decref(u);
		json_decref(h);
		json_decref(i);
		return;
	}
	json_t *rel = jset(o, "related", json_object(), bad);
	if (json_array_size(u))
		jset(rel, "user", u, bad);
	else
		json_decref(u);
	if (json_array_size(h))
		jset(rel, "hosts", h, bad);
	else
		json_decref(h);
	if (json_array_size(i))
		jset(rel, "ip", i, bad);
	else
		json_decref(i);
}

/*
 * An alert's event.outcome is that of the switch's response: "success" if
 * the engine throttled or suspended the device, "failure" if a suspension
 * was withheld (cap, last device), "unknown" otherwise (report-only, or no
 * action: nothing was attempted).
 */
static const char *alert_outcome(const dp_det_alert *a)
{
	if (a->withheld != DP_DET_WH_NONE)
		return "failure";
	return a->mode == DP_DET_ENFORCE && a->action != DP_DET_NONE ? "success" : "unknown";
}

int dpo_alert_ecs(const dp_det_alert *a, const char *host, int64_t log_index, dp_buf *out)
{
	struct alert_names n;
	char hex[65], ip[INET6_ADDRSTRLEN], first[TS_LEN];
	int bad = 0, r = alert_names(a, &n);
	if (r)
		return r;
	dp_buf sum;
	dp_buf_init(&sum, DPO_LINE_MAX);
	r = alert_summary(a, &n, &sum);
	json_t *o = r ? NULL : ecs_base(a->t_ms, &sum, host, &bad);
	dp_buf_free(&sum);
	if (!o)
		return r ? r : bad ? DP_ENOMEM : DP_EINVAL;
	int has_first = a->first_ms && fmt_ms(a->first_ms, first) == DP_OK;

	json_t *ev = jset(o, "event", json_object(), &bad);
	jset(ev, "kind", json_string("alert"), &bad);
	jset(ev, "category", json_pack("[s]", "intrusion_detection"), &bad);
	jset(ev, "type", json_pack("[s]", a->action != DP_DET_NONE ? "denied" : "info"), &bad);
	jset(ev, "action", json_string(n.rule), &bad);
	jset(ev, "severity", json_integer(a->severity), &bad);
	jset(ev, "risk_score", json_real((double)a->risk), &bad);
	jset(ev, "reason", jstr(a->detail, strnlen(a->detail, sizeof a->detail), CLEAN_KEEP), &bad);
	if (has_first)
		jset(ev, "start", json_string(first), &bad);
	ecs_event_ids(ev, "denpod.alert", alert_outcome(a), log_index, &bad);
	ecs_rule(o, n.rule, &bad);
	dp_hex_encode(hex, a->device, 32);
	jset(jset(o, "device", json_object(), &bad), "id", json_string(hex), &bad);
	size_t ol = strnlen(a->officer, sizeof a->officer), pl = strnlen(a->post, sizeof a->post);
	if (ol)
		jset(jset(o, "user", json_object(), &bad), "name", jstr(a->officer, ol, CLEAN_KEEP),
		     &bad);
	if (pl)
		jset(jset(o, "labels", json_object(), &bad), "post", jstr(a->post, pl, CLEAN_KEEP),
		     &bad);
	int has_ip = fmt_addr(a->addr, ip);
	if (has_ip)
		jset(jset(o, "source", json_object(), &bad), "ip", json_string(ip), &bad);
	const char *users[2] = {a->officer, NULL};
	size_t ulen[2] = {ol, 0};
	ecs_related(o, users, ulen, hex, has_ip ? ip : NULL, &bad);

	json_t *d = jset(o, "denpo", json_object(), &bad);
	jset(d, "mode", json_string(n.mode), &bad);
	jset(d, "page", json_boolean(a->page != 0), &bad);
	jset(d, "action", json_string(n.action), &bad);
	jset(d, "would", json_string(n.would), &bad);
	jset(d, "withheld", json_string(n.withheld), &bad);
	if (has_first)
		jset(d, "first_ms", json_string(first), &bad);
	if (log_index >= 0)
		jset(d, "log_index", json_integer((json_int_t)log_index), &bad);
	return ecs_finish(o, bad, out);
}

/* "...-request": asked for, not done (two-person approval pending). */
static int is_request(const char *action)
{
	size_t n = strlen(action), k = strlen("-request");
	return n > k && !strcmp(action + n - k, "-request");
}

int dpo_action_ecs(const dpo_action *x, const char *host, dp_buf *out)
{
	char hex[65], ts[TS_LEN];
	int bad = 0, r;
	if (!action_ok(x->action) || !kind_ok(x))
		return DP_EINVAL;
	dp_buf sum;
	dp_buf_init(&sum, DPO_LINE_MAX);
	r = action_summary(x, &sum);
	json_t *o = r ? NULL : ecs_base(x->t_ms, &sum, host, &bad);
	dp_buf_free(&sum);
	if (!o)
		return r ? r : bad ? DP_ENOMEM : DP_EINVAL;

	json_t *ev = jset(o, "event", json_object(), &bad);
	jset(ev, "kind", json_string("event"), &bad);
	jset(ev, "category", json_pack("[s]", "iam"), &bad);
	jset(ev, "type", json_pack("[ss]", "user", is_request(x->action) ? "info" : "change"), &bad);
	jset(ev, "action", json_string(x->action), &bad);
	if (x->detail)
		jset(ev, "reason", jstrs(x->detail), &bad);
	/* a "-request" changed nothing yet; any other action was done */
	ecs_event_ids(ev, kinds[x->kind].dataset, is_request(x->action) ? "unknown" : "success",
		      x->log_index_valid ? x->log_index : -1, &bad);
	if (x->rule)
		ecs_rule(o, x->rule, &bad);
	if (x->device) {
		dp_hex_encode(hex, x->device, 32);
		jset(jset(o, "device", json_object(), &bad), "id", json_string(hex), &bad);
	}
	/* the switch itself ("auto") is no user to pivot on */
	const char *users[2] = {x->operator_ && strcmp(x->operator_, "auto") ? x->operator_ : NULL,
				x->officer};
	size_t ulen[2] = {users[0] ? strlen(users[0]) : 0, x->officer ? strlen(x->officer) : 0};
	ecs_related(o, users, ulen, x->device ? hex : NULL, NULL, &bad);
	if (x->operator_ || x->officer) {
		json_t *u = jset(o, "user", json_object(), &bad);
		if (x->operator_)
			jset(u, "name", jstrs(x->operator_), &bad);
		if (x->officer)
			jset(jset(u, "target", json_object(), &bad), "name", jstrs(x->officer), &bad);
	}
	if (x->post)
		jset(jset(o, "labels", json_object(), &bad), "post", jstrs(x->post), &bad);
	if (x->id >= 0 || (x->until && fmt_s(x->until, ts) == DP_OK) || x->log_index_valid) {
		json_t *d = jset(o, "denpo", json_object(), &bad);
		if (x->id >= 0)
			jset(d, "containment_id", json_integer((json_int_t)x->id), &bad);
		if (x->until && fmt_s(x->until, ts) == DP_OK)
			jset(d, "until", json_string(ts), &bad);
		if (x->log_index_valid)
			jset(d, "log_index", json_integer((json_int_t)x->log_index), &bad);
	}
	return ecs_finish(o, bad, out);
}

int dpo_damage_ecs(const dpo_damage *x, const char *host, dp_buf *out)
{
	char hex[65];
	int bad = 0;
	if (!damage_ok(x))
		return DP_EINVAL;
	dp_buf sum;
	dp_buf_init(&sum, DPO_LINE_MAX);
	int r = dpo_damage_summary(x, &sum);
	json_t *o = r ? NULL : ecs_base(x->t_ms, &sum, host, &bad);
	dp_buf_free(&sum);
	if (!o)
		return r ? r : bad ? DP_ENOMEM : DP_EINVAL;

	json_t *ev = jset(o, "event", json_object(), &bad);
	jset(ev, "kind", json_string("alert"), &bad);
	jset(ev, "category", json_pack("[s]", "database"), &bad);
	jset(ev, "type", json_pack("[s]", "error"), &bad);
	jset(ev, "action", json_string("store-damage"), &bad);
	jset(ev, "severity", json_integer(73), &bad);
	jset(ev, "reason", jstr(x->detail, strnlen(x->detail, sizeof x->detail), CLEAN_KEEP), &bad);
	/* the log index concerned is not the record's own entry: no event.id */
	ecs_event_ids(ev, "denpod.damage", "failure", -1, &bad);
	ecs_rule(o, "STORE-DAMAGE", &bad);
	if (x->has_device) {
		dp_hex_encode(hex, x->device, 32);
		jset(jset(o, "device", json_object(), &bad), "id", json_string(hex), &bad);
		const char *users[2] = {NULL, NULL};
		size_t ulen[2] = {0, 0};
		ecs_related(o, users, ulen, hex, NULL, &bad);
	}
	json_t *d = jset(o, "denpo", json_object(), &bad);
	jset(d, "part", json_string(x->part), &bad);
	jset(d, "found_by", json_string(x->found_by), &bad);
	if (x->has_cable) {
		dp_hex_encode(hex, x->cable_id, DP_CABLE_ID);
		jset(d, "cable_id", json_string(hex), &bad);
	}
	if (x->mrn[0])
		jset(d, "mrn", jstr(x->mrn, strnlen(x->mrn, sizeof x->mrn), CLEAN_KEEP), &bad);
	if (x->log_index >= 0)
		jset(d, "log_index", json_integer((json_int_t)x->log_index), &bad);
	return ecs_finish(o, bad, out);
}

/* ---- RFC 5424 ---- */

enum { SEV_ALERT = 1, SEV_CRIT = 2, SEV_WARNING = 4, SEV_NOTICE = 5 };

static int alert_severity(const dp_det_alert *a)
{
	if (a->page)
		return a->rule == DP_R_DECOY ? SEV_ALERT : SEV_CRIT;
	return a->mode == DP_DET_REPORT ? SEV_NOTICE : SEV_WARNING;
}

static int action_severity(const char *action)
{
	return !strcmp(action, "suspend") || !strcmp(action, "revoke") ||
			       !strcmp(action, "officer-disable")
		       ? SEV_WARNING
		       : SEV_NOTICE;
}

/* HEADER SP "[" SD-ID; the caller adds params, "]" and MSG. */
static int sys_header(dp_buf *b, const dpo_sysid *id, int sev, int64_t t_ms, const char *msgid)
{
	char ts[TS_LEN], procid[24];
	int facility = id->facility, pid = id->pid;
	const char *host = id->host;
	if (facility < 0 || facility > 23 || id->enterprise == 0)
		return DP_EINVAL;
	if (host && *host && !printusascii(host, 255))
		return DP_EINVAL;
	if (fmt_ms(t_ms, ts))
		snprintf(ts, sizeof ts, "-");
	if (pid > 0)
		snprintf(procid, sizeof procid, "%d", pid);
	else
		snprintf(procid, sizeof procid, "-");
	return dp_buf_printf(b, "<%d>1 %s %s denpod %s %s [%s@%u", facility * 8 + sev, ts,
			     host && *host ? host : "-", procid, msgid, DPO_SD_NAME, id->enterprise);
}

/* SP PARAM-NAME "=" %d34 PARAM-VALUE %d34 */
static int sd_param(dp_buf *b, const char *name, const char *v, size_t n)
{
	int r = dp_buf_printf(b, " %s=\"", name);
	if (!r)
		r = put_clean(b, v, n, CLEAN_SD);
	return r ? r : dp_buf_putc(b, '"');
}

static int sd_params(dp_buf *b, const char *name, const char *v)
{
	return sd_param(b, name, v, strlen(v));
}

static int sd_int(dp_buf *b, const char *name, int64_t v)
{
	return dp_buf_printf(b, " %s=\"%lld\"", name, (long long)v);
}

/* "]" SP BOM MSG */
static int sys_msg(dp_buf *b, const char *msg, size_t n)
{
	int r = dp_buf_append(b, "] \xef\xbb\xbf", 5);
	return r ? r : put_clean(b, msg, n, CLEAN_SPACE);
}

int dpo_alert_syslog(const dp_det_alert *a, const dpo_sysid *id, dp_buf *out)
{
	struct alert_names n;
	char hex[65], ip[INET6_ADDRSTRLEN], first[TS_LEN];
	size_t start = out->len;
	int r = alert_names(a, &n);
	if (!r)
		r = sys_header(out, id, alert_severity(a), a->t_ms, "ALERT");
	dp_hex_encode(hex, a->device, 32);
	size_t ol = strnlen(a->officer, sizeof a->officer), pl = strnlen(a->post, sizeof a->post);
	if (!r)
		r = sd_params(out, "rule", n.rule);
	if (!r)
		r = sd_params(out, "mode", n.mode);
	if (!r)
		r = sd_int(out, "page", a->page != 0);
	if (!r)
		r = sd_params(out, "action", n.action);
	if (!r)
		r = sd_params(out, "would", n.would);
	if (!r)
		r = sd_params(out, "withheld", n.withheld);
	if (!r)
		r = sd_int(out, "severity", a->severity);
	if (!r)
		r = sd_int(out, "risk", a->risk);
	if (!r)
		r = sd_params(out, "device", hex);
	if (!r && ol)
		r = sd_param(out, "officer", a->officer, ol);
	if (!r && pl)
		r = sd_param(out, "post", a->post, pl);
	if (!r && fmt_addr(a->addr, ip))
		r = sd_params(out, "src", ip);
	if (!r && a->first_ms && fmt_ms(a->first_ms, first) == DP_OK)
		r = sd_params(out, "first", first);
	if (!r)
		r = sys_msg(out, a->detail, strnlen(a->detail, sizeof a->detail));
	if (r)
		truncate_to(out, start);
	return r;
}

int dpo_action_syslog(const dpo_action *x, const dpo_sysid *id, dp_buf *out)
{
	char hex[65], ts[TS_LEN];
	size_t start = out->len;
	if (!action_ok(x->action))
		return DP_EINVAL;
	if (!kind_ok(x))
		return DP_EINVAL;
	int r = sys_header(out, id, action_severity(x->action), x->t_ms, kinds[x->kind].msgid);
	if (!r)
		r = sd_params(out, "action", x->action);
	if (!r && x->operator_)
		r = sd_params(out, "operator", x->operator_);
	if (!r && x->device) {
		dp_hex_encode(hex, x->device, 32);
		r = sd_params(out, "device", hex);
	}
	if (!r && x->officer)
		r = sd_params(out, "officer", x->officer);
	if (!r && x->post)
		r = sd_params(out, "post", x->post);
	if (!r && x->rule)
		r = sd_params(out, "rule", x->rule);
	if (!r && x->id >= 0)
		r = sd_int(out, "id", x->id);
	if (!r && x->until && fmt_s(x->until, ts) == DP_OK)
		r = sd_params(out, "until", ts);
	if (!r && x->log_index_valid)
		r = sd_int(out, "log_index", x->log_index);
	if (!r) {
		dp_buf m;
		dp_buf_init(&m, DPO_LINE_MAX);
		r = action_summary(x, &m);
		if (!r && x->detail)
			r = put_after(&m, ": ", x->detail, strlen(x->detail));
		if (!r)
			r = sys_msg(out, m.p ? (const char *)m.p : "", m.len);
		dp_buf_free(&m);
	}
	if (r)
		truncate_to(out, start);
	return r;
}

int dpo_damage_syslog(const dpo_damage *x, const dpo_sysid *id, dp_buf *out)
{
	char hex[65];
	size_t start = out->len;
	if (!damage_ok(x))
		return DP_EINVAL;
	int r = sys_header(out, id, SEV_CRIT, x->t_ms, "DAMAGE");
	if (!r)
		r = sd_params(out, "part", x->part);
	if (!r)
		r = sd_params(out, "found_by", x->found_by);
	if (!r && x->has_cable) {
		dp_hex_encode(hex, x->cable_id, DP_CABLE_ID);
		r = sd_params(out, "cable", hex);
	}
	if (!r && x->mrn[0])
		r = sd_param(out, "mrn", x->mrn, strnlen(x->mrn, sizeof x->mrn));
	if (!r && x->has_device) {
		dp_hex_encode(hex, x->device, 32);
		r = sd_params(out, "device", hex);
	}
	if (!r && x->log_index >= 0)
		r = sd_int(out, "log_index", x->log_index);
	if (!r)
		r = sys_msg(out, x->detail, strnlen(x->detail, sizeof x->detail));
	if (r)
		truncate_to(out, start);
	return r;
}

/* ---- sinks ---- */

enum { SINK_NONE = 0, SINK_UDP, SINK_UNIX, SINK_TLS };

struct dpo_out {
	char *path; /* the JSON-lines file, or NULL */
	int fd;     /* its descriptor, or -1 */
	int sfd;    /* the syslog socket (udp:, unix:), or -1 */
	int skind;
	struct sockaddr_un sun; /* SINK_UNIX: where every datagram goes */
	socklen_t sunlen;
	dpo_tls *tls;           /* SINK_TLS: the queue and its thread */
	int facility;
	unsigned enterprise;
	char host[256];
	_Atomic uint64_t errors;
};

static void seterr(char *err, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t cap, const char *fmt, ...)
{
	if (!err || !cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
}

int dpo_file_open(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

/*
 * "HOST:PORT" of "udp:" or "tls:" with HOST a name, a.b.c.d or [v6],
 * resolved for socktype: *ai (freeaddrinfo), host (the name or literal) and
 * *numeric (an address literal: no name to check or send).
 */
static int resolve(const char *spec, int socktype, struct addrinfo **ai, char host[256],
		   int *numeric, char *err, size_t errcap)
{
	char port[6];
	const char *h = spec, *he, *p;
	*numeric = 0;
	if (*h == '[') {
		he = strchr(h, ']');
		if (!he) {
			seterr(err, errcap, "syslog %s: missing ']' after the IPv6 address", spec);
			return DP_EPARSE;
		}
		h++;
		*numeric = 1;
		if (he[1] != ':') {
			seterr(err, errcap, "syslog %s: expected ':PORT' after ']'", spec);
			return DP_EPARSE;
		}
		p = he + 2;
	} else {
		he = strrchr(h, ':');
		if (!he) {
			seterr(err, errcap, "syslog %s: expected HOST:PORT", spec);
			return DP_EPARSE;
		}
		if (memchr(h, ':', (size_t)(he - h))) {
			seterr(err, errcap, "syslog %s: an IPv6 address goes in brackets", spec);
			return DP_EPARSE;
		}
		p = he + 1;
	}
	size_t hl = (size_t)(he - h), pl = strlen(p);
	if (hl == 0 || hl >= 256) {
		seterr(err, errcap, "syslog %s: the host must be 1..255 characters", spec);
		return DP_EPARSE;
	}
	unsigned long pn = 0;
	for (size_t i = 0; i < pl && pl <= 5; i++)
		pn = (p[i] >= '0' && p[i] <= '9') ? pn * 10 + (unsigned)(p[i] - '0') : 100000;
	if (pl == 0 || pl > 5 || pn < 1 || pn > 65535 || p[0] == '0') {
		seterr(err, errcap, "syslog %s: the port must be 1..65535", spec);
		return DP_EPARSE;
	}
	memcpy(host, h, hl);
	host[hl] = 0;
	memcpy(port, p, pl + 1);

	struct addrinfo hints;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = socktype;
	hints.ai_flags = AI_NUMERICSERV;
	struct in_addr v4;
	if (*numeric || inet_pton(AF_INET, host, &v4) == 1) {
		hints.ai_flags |= AI_NUMERICHOST;
		*numeric = 1;
	}
	int g = getaddrinfo(host, port, &hints, ai);
	if (g) {
		seterr(err, errcap, "syslog %s: cannot resolve %s: %s", spec, host, gai_strerror(g));
		return *numeric ? DP_EPARSE : DP_EIO;
	}
	return DP_OK;
}

/* "udp:HOST:PORT" */
static int open_udp(dpo_out *o, const char *spec, char *err, size_t errcap)
{
	char host[256];
	int numeric;
	struct addrinfo *ai = NULL;
	int r = resolve(spec, SOCK_DGRAM, &ai, host, &numeric, err, errcap);
	if (r)
		return r;
	o->sfd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* connect(): send() then needs no address, and an ICMP "port
	 * unreachable" shows up as a failed send that is counted. */
	if (o->sfd < 0 || connect(o->sfd, ai->ai_addr, ai->ai_addrlen) < 0) {
		seterr(err, errcap, "syslog %s: %s", spec, strerror(errno));
		freeaddrinfo(ai);
		return DP_EIO;
	}
	freeaddrinfo(ai);
	o->skind = SINK_UDP;
	return DP_OK;
}

/* "tls:HOST:PORT" (RFC 5425), the collector's certificate pinned: denpod/syslog_tls.h. */
static int open_tls(dpo_out *o, const char *spec, const char *pin, char *err, size_t errcap)
{
	char host[256], e[512] = "";
	int numeric;
	struct addrinfo *ai = NULL;
	int r = resolve(spec, SOCK_STREAM, &ai, host, &numeric, err, errcap);
	if (r)
		return r;
	r = dpo_tls_open(&o->tls, ai->ai_addr, ai->ai_addrlen, spec, numeric ? NULL : host, pin, e,
			 sizeof e);
	freeaddrinfo(ai);
	if (r) {
		seterr(err, errcap, "%s", e);
		return r;
	}
	o->skind = SINK_TLS;
	return DP_OK;
}

static int open_unix(dpo_out *o, const char *path, char *err, size_t errcap)
{
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof o->sun.sun_path) {
		seterr(err, errcap, "syslog unix:%s: the path must be 1..%zu bytes", path,
		       sizeof o->sun.sun_path - 1);
		return DP_EPARSE;
	}
	o->sun.sun_family = AF_UNIX;
	memcpy(o->sun.sun_path, path, n + 1);
	o->sunlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	o->sfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (o->sfd < 0) {
		seterr(err, errcap, "syslog unix:%s: %s", path, strerror(errno));
		return DP_EIO;
	}
	o->skind = SINK_UNIX;
	return DP_OK;
}

int dpo_open(dpo_out **op, const char *file, const char *syslog, int facility, const char *host,
	     char *err, size_t errcap)
{
	dpo_sinks s = {.file = file, .syslog = syslog, .facility = facility,
		       .enterprise = DPO_ENTERPRISE_DEFAULT, .host = host};
	return dpo_open_sinks(op, &s, err, errcap);
}

int dpo_open_sinks(dpo_out **op, const dpo_sinks *s, char *err, size_t errcap)
{
	int r = DP_OK, facility = s->facility;
	const char *file = s->file, *syslog = s->syslog, *host = s->host;
	*op = NULL;
	seterr(err, errcap, "%s", "");
	if (facility < 0 || facility > 23) {
		seterr(err, errcap, "syslog facility %d is not 0..23", facility);
		return DP_EINVAL;
	}
	if (s->enterprise < 1 || s->enterprise > DPO_ENTERPRISE_MAX) {
		seterr(err, errcap, "syslog enterprise number %u is not 1..%u", s->enterprise,
		       DPO_ENTERPRISE_MAX);
		return DP_EINVAL;
	}
	dpo_out *o = calloc(1, sizeof *o);
	if (!o)
		return DP_ENOMEM;
	o->fd = o->sfd = -1;
	o->facility = facility;
	o->enterprise = s->enterprise;
	atomic_init(&o->errors, 0);
	if (host)
		snprintf(o->host, sizeof o->host, "%s", host);
	else if (gethostname(o->host, sizeof o->host) < 0)
		o->host[0] = 0;
	o->host[sizeof o->host - 1] = 0;
	if (!printusascii(o->host, 255) || (host && strlen(host) > 255)) {
		seterr(err, errcap, "host name \"%s\" is not 1..255 printable ASCII characters",
		       o->host);
		r = DP_EINVAL;
	} else if (syslog && !strncmp(syslog, "udp:", 4))
		r = open_udp(o, syslog + 4, err, errcap);
	else if (syslog && !strncmp(syslog, "unix:", 5))
		r = open_unix(o, syslog + 5, err, errcap);
	else if (syslog && !strncmp(syslog, "tls:", 4))
		r = open_tls(o, syslog + 4, s->tls_pin, err, errcap);
	else if (syslog) {
		seterr(err, errcap, "syslog %s: expected udp:HOST:PORT, tls:HOST:PORT or unix:PATH",
		       syslog);
		r = DP_EPARSE;
	}
	if (!r && file) {
		o->path = strdup(file);
		if (!o->path)
			r = DP_ENOMEM;
		else if ((o->fd = dpo_file_open(file)) < 0) {
			seterr(err, errcap, "alert file %s: %s", file, strerror(errno));
			r = DP_EIO;
		}
	}
	if (r) {
		dpo_close(o);
		return r;
	}
	*op = o;
	return DP_OK;
}

/* One write(2) of the whole line; a short write is a failure. */
static int sink_write(dpo_out *o, const dp_buf *b)
{
	ssize_t w;
	do
		w = write(o->fd, b->p, b->len);
	while (w < 0 && errno == EINTR);
	return w == (ssize_t)b->len ? DP_OK : DP_EIO;
}

static int sink_send(dpo_out *o, const dp_buf *b)
{
	ssize_t w;
	do {
		if (o->skind == SINK_UNIX)
			w = sendto(o->sfd, b->p, b->len, MSG_DONTWAIT | MSG_NOSIGNAL,
				   (const struct sockaddr *)&o->sun, o->sunlen);
		else
			w = send(o->sfd, b->p, b->len, MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (w < 0 && errno == EINTR);
	return w == (ssize_t)b->len ? DP_OK : DP_EIO;
}

/* Formats with f (ECS, to the file) and s (syslog, to the socket); counts failures. */
static int emit(dpo_out *o, int (*f)(const void *, const dpo_out *, int64_t, dp_buf *),
		int (*s)(const void *, const dpo_out *, dp_buf *), const void *rec, int64_t li)
{
	int rc = DP_OK;
	dp_buf b;
	dp_buf_init(&b, DPO_LINE_MAX);
	if (o->fd >= 0) {
		int r = f(rec, o, li, &b);
		if (!r)
			r = sink_write(o, &b);
		if (r) {
			atomic_fetch_add(&o->errors, 1);
			rc = r;
		}
	}
	if (o->sfd >= 0 || o->tls) {
		dp_buf_reset(&b);
		int r = s(rec, o, &b);
		if (!r)
			r = o->tls ? dpo_tls_send(o->tls, b.p, b.len) : sink_send(o, &b);
		if (r) {
			atomic_fetch_add(&o->errors, 1);
			if (!rc)
				rc = r;
		}
	}
	dp_buf_free(&b);
	return rc;
}

static int alert_f(const void *rec, const dpo_out *o, int64_t li, dp_buf *b)
{
	return dpo_alert_ecs(rec, o->host, li, b);
}
static int alert_s(const void *rec, const dpo_out *o, dp_buf *b)
{
	dpo_sysid id = {o->facility, o->enterprise, o->host, (int)getpid()};
	return dpo_alert_syslog(rec, &id, b);
}
static int action_f(const void *rec, const dpo_out *o, int64_t li, dp_buf *b)
{
	return dpo_action_ecs(rec, o->host, b);
}
static int action_s(const void *rec, const dpo_out *o, dp_buf *b)
{
	dpo_sysid id = {o->facility, o->enterprise, o->host, (int)getpid()};
	return dpo_action_syslog(rec, &id, b);
}

int dpo_emit_alert(dpo_out *o, const dp_det_alert *a, int64_t log_index)
{
	return emit(o, alert_f, alert_s, a, log_index);
}

int dpo_emit_action(dpo_out *o, const dpo_action *x) { return emit(o, action_f, action_s, x, -1); }

static int damage_f(const void *rec, const dpo_out *o, int64_t li, dp_buf *b)
{
	return dpo_damage_ecs(rec, o->host, b);
}
static int damage_s(const void *rec, const dpo_out *o, dp_buf *b)
{
	dpo_sysid id = {o->facility, o->enterprise, o->host, (int)getpid()};
	return dpo_damage_syslog(rec, &id, b);
}

int dpo_emit_damage(dpo_out *o, const dpo_damage *x) { return emit(o, damage_f, damage_s, x, -1); }

void dpo_syslog_notes(const char *syslog, unsigned enterprise)
{
	if (!syslog || !syslog[0])
		return;
	if (!strncmp(syslog, "unix:", 5))
		fprintf(stderr, "denpod: warning: syslog=%s: a local syslog daemon does not parse RFC "
				"5424 (rsyslog's default imuxsock and journald keep the structured data "
				"[%s@%u ...] as text in the message, and rsyslog's default templates "
				"rewrite the header): a SIEM that needs the fields should receive them "
				"over syslog=tls:HOST:PORT (or udp:), or read the alerts file "
				"(docs/operations.md, \"Alerts to a SIEM\")\n", syslog, DPO_SD_NAME,
			enterprise);
	if (enterprise == DPO_ENTERPRISE_DEFAULT)
		fprintf(stderr, "denpod: note: the syslog SD-ID is %s@%u: %u is the enterprise number "
				"RFC 5612 reserves for documentation; set syslog_enterprise= in "
				"denpod.conf to your organisation's IANA number\n", DPO_SD_NAME,
			enterprise, enterprise);
}

uint64_t dpo_errors(const dpo_out *o) { return atomic_load(&o->errors); }

int dpo_reopen(dpo_out *o)
{
	return o->path ? dpo_reopen_fd(o, dpo_file_open(o->path)) : DP_OK;
}

int dpo_reopen_fd(dpo_out *o, int nfd)
{
	if (o->fd < 0) {
		if (nfd >= 0)
			close(nfd);
		return DP_OK;
	}
	if (nfd < 0)
		return DP_EIO;
	/* dup3 replaces the file under the same descriptor in one step. */
	if (nfd != o->fd && dup3(nfd, o->fd, O_CLOEXEC) < 0) {
		close(nfd);
		return DP_EIO;
	}
	if (nfd != o->fd)
		close(nfd);
	return DP_OK;
}

void dpo_close(dpo_out *o)
{
	if (!o)
		return;
	if (o->fd >= 0)
		close(o->fd);
	if (o->sfd >= 0)
		close(o->sfd);
	dpo_tls_close(o->tls);
	free(o->path);
	free(o);
}

/* ---- Prometheus ---- */

struct series {
	char *key; /* the rendered label set, l1="v1",l2="v2" (names sorted); "" for none */
	double v;
};

struct family {
	char name[DPO_METRIC_NAME_MAX + 1];
	int counter;
	char *help; /* escaped for the HELP line */
	struct series *s;
	size_t n, alloc; /* sorted by key */
};

struct dpo_metrics {
	pthread_mutex_t *mu; /* a pointer, so that render (const m) may lock it */
	struct family *f;    /* sorted by name */
	size_t n, alloc, nseries;
};

/* The only label names a metric may carry: coarse, never a person or a thing. */
static const char *const label_names[] = {"action", "kind",     "mode",    "post",
					  "reason", "severity", "verdict", "rule"};

int dpo_metrics_new(dpo_metrics **mp)
{
	dpo_metrics *m = calloc(1, sizeof *m);
	*mp = NULL;
	if (!m)
		return DP_ENOMEM;
	m->mu = malloc(sizeof *m->mu);
	if (!m->mu || pthread_mutex_init(m->mu, NULL)) {
		free(m->mu);
		free(m);
		return DP_ENOMEM;
	}
	*mp = m;
	return DP_OK;
}

void dpo_metrics_free(dpo_metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		for (size_t j = 0; j < m->f[i].n; j++)
			free(m->f[i].s[j].key);
		free(m->f[i].s);
		free(m->f[i].help);
	}
	free(m->f);
	pthread_mutex_destroy(m->mu);
	free(m->mu);
	free(m);
}

/* Index of name in the sorted families, or where it would go (*found = 0). */
static size_t family_find(const dpo_metrics *m, const char *name, int *found)
{
	size_t lo = 0, hi = m->n;
	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->f[mid].name, name);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int metric_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > DPO_METRIC_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return 0;
	}
	return 1;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

int dpo_metric_declare(dpo_metrics *m, const char *name, const char *type, const char *help)
{
	int counter = type && !strcmp(type, "counter");
	if (!name || !metric_name_ok(name) || !type || (!counter && strcmp(type, "gauge")) ||
	    (counter && !ends_with(name, "_total")) || !help || strlen(help) > DPO_HELP_MAX)
		return DP_EINVAL;
	/* HELP escapes only backslash and newline (format 0.0.4). */
	dp_buf h;
	dp_buf_init(&h, 6 * DPO_HELP_MAX + 1);
	int r = DP_OK;
	dp_buf t;
	dp_buf_init(&t, 3 * DPO_HELP_MAX + 1);
	r = put_cleans(&t, help, CLEAN_KEEP);
	for (size_t i = 0; !r && i < t.len; i++) {
		uint8_t c = t.p[i];
		if (c == '\\')
			r = dp_buf_puts(&h, "\\\\");
		else if (c == '\n')
			r = dp_buf_puts(&h, "\\n");
		else
			r = dp_buf_putc(&h, c < 0x20 || c == 0x7f ? ' ' : c); /* one line */
	}
	dp_buf_free(&t);
	char *hs = r ? NULL : strdup(h.p ? (const char *)h.p : "");
	dp_buf_free(&h);
	if (!hs)
		return r ? r : DP_ENOMEM;

	pthread_mutex_lock(m->mu);
	int found;
	size_t at = family_find(m, name, &found);
	if (found)
		r = DP_EEXISTS;
	else if (m->n == DPO_FAMILIES_MAX)
		r = DP_ETOOBIG;
	else if (m->n == m->alloc) {
		size_t na = m->alloc ? 2 * m->alloc : 16;
		struct family *nf = realloc(m->f, na * sizeof *nf);
		if (!nf)
			r = DP_ENOMEM;
		else {
			m->f = nf;
			m->alloc = na;
		}
	}
	if (!r) {
		memmove(m->f + at + 1, m->f + at, (m->n - at) * sizeof *m->f);
		struct family *f = &m->f[at];
		memset(f, 0, sizeof *f);
		snprintf(f->name, sizeof f->name, "%s", name);
		f->counter = counter;
		f->help = hs;
		m->n++;
		hs = NULL;
	}
	pthread_mutex_unlock(m->mu);
	free(hs);
	return r;
}

/* A label value: 1..64 of [A-Za-z0-9_.:-]. */
static int label_value_ok(const char *v)
{
	size_t n = strlen(v);
	if (n < 1 || n > DPO_LABEL_VALUE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == ':' || c == '-'))
			return 0;
	}
	return 1;
}

static const char *label_name(const char *k)
{
	for (size_t i = 0; i < sizeof label_names / sizeof *label_names; i++)
		if (!strcmp(k, label_names[i]))
			return label_names[i];
	return NULL;
}

#define KEY_MAX (DPO_LABELS_MAX * (16 + 2 * DPO_LABEL_VALUE_MAX + 4) + 1)

/*
 * Reads the NULL-terminated name, value list into the canonical key of the
 * series.  Values are escaped (\\, \", \n) although the allowed characters
 * need none: the exposition stays valid if the value check is ever widened.
 */
static int read_labels(va_list ap, char key[KEY_MAX])
{
	const char *k[DPO_LABELS_MAX], *v[DPO_LABELS_MAX];
	size_t n = 0;
	for (;;) {
		const char *name = va_arg(ap, const char *);
		if (!name)
			break;
		if (n == DPO_LABELS_MAX)
			return DP_EINVAL; /* too many pairs (the rest is not read) */
		const char *val = va_arg(ap, const char *);
		const char *canon = label_name(name);
		if (!canon || !val || !label_value_ok(val))
			return DP_EINVAL; /* not an allowed name, or a value without its name */
		for (size_t i = 0; i < n; i++)
			if (k[i] == canon)
				return DP_EINVAL; /* the same label twice */
		size_t j = n++;
		for (; j > 0 && strcmp(k[j - 1], canon) > 0; j--) {
			k[j] = k[j - 1];
			v[j] = v[j - 1];
		}
		k[j] = canon;
		v[j] = val;
	}
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		o += (size_t)snprintf(key + o, KEY_MAX - o, "%s%s=\"", i ? "," : "", k[i]);
		for (const char *p = v[i]; *p; p++) {
			if (*p == '\\' || *p == '"' || *p == '\n')
				key[o++] = '\\';
			key[o++] = *p == '\n' ? 'n' : *p;
		}
		key[o++] = '"';
	}
	key[o] = 0;
	return DP_OK;
}

static int metric_update(dpo_metrics *m, const char *name, double v, int set, va_list ap)
{
	char key[KEY_MAX];
	int r = read_labels(ap, key);
	if (r)
		return r;
	if (!isfinite(v))
		return DP_EINVAL;
	pthread_mutex_lock(m->mu);
	int found;
	size_t fi = family_find(m, name, &found);
	struct family *f = found ? &m->f[fi] : NULL;
	if (!f)
		r = DP_ENOTFOUND;
	else if (f->counter && (set || v < 0))
		r = DP_EINVAL; /* a counter only goes up */
	if (r)
		goto out;
	size_t lo = 0, hi = f->n;
	int have = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(f->s[mid].key, key);
		if (c == 0) {
			lo = mid;
			have = 1;
			break;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!have) {
		char *dk = NULL;
		if (m->nseries == DPO_SERIES_MAX)
			r = DP_ETOOBIG;
		else if (f->n == f->alloc) {
			size_t na = f->alloc ? 2 * f->alloc : 8;
			struct series *ns = realloc(f->s, na * sizeof *ns);
			if (!ns)
				r = DP_ENOMEM;
			else {
				f->s = ns;
				f->alloc = na;
			}
		}
		if (!r && !(dk = strdup(key)))
			r = DP_ENOMEM;
		if (r)
			goto out;
		memmove(f->s + lo + 1, f->s + lo, (f->n - lo) * sizeof *f->s);
		f->s[lo].key = dk;
		f->s[lo].v = 0;
		f->n++;
		m->nseries++;
	}
	double nv = set ? v : f->s[lo].v + v;
	if (!isfinite(nv))
		r = DP_ETOOBIG;
	else
		f->s[lo].v = nv;
out:
	pthread_mutex_unlock(m->mu);
	return r;
}

int dpo_metric_add(dpo_metrics *m, const char *name, double v, ...)
{
	va_list ap;
	va_start(ap, v);
	int r = metric_update(m, name, v, 0, ap);
	va_end(ap);
	return r;
}

int dpo_metric_set(dpo_metrics *m, const char *name, double v, ...)
{
	va_list ap;
	va_start(ap, v);
	int r = metric_update(m, name, v, 1, ap);
	va_end(ap);
	return r;
}

/* An integer when integral, else the shortest %g that reads back exactly. */
static void fmt_value(double v, char out[40])
{
	if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		snprintf(out, 40, "%.0f", v);
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(out, 40, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

int dpo_metrics_render(const dpo_metrics *m, dp_buf *out)
{
	size_t start = out->len;
	int r = DP_OK;
	char val[40];
	pthread_mutex_lock(m->mu);
	for (size_t i = 0; !r && i < m->n; i++) {
		const struct family *f = &m->f[i];
		r = dp_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
				  f->counter ? "counter" : "gauge");
		for (size_t j = 0; !r && j < f->n; j++) {
			fmt_value(f->s[j].v, val);
			if (f->s[j].key[0])
				r = dp_buf_printf(out, "%s{%s} %s\n", f->name, f->s[j].key, val);
			else
				r = dp_buf_printf(out, "%s %s\n", f->name, val);
		}
	}
	pthread_mutex_unlock(m->mu);
	if (r)
		truncate_to(out, start);
	return r;
}
