/*
 * denpod/console_api.c - the console's JSON routes (denpod/console.h).
 *
 * Reads: what the CLI's list commands print with --json (the same
 * functions, denpod/admin.h), with each device's post added, and what
 * the feed follows in the log.  Acts: POST /api/<what>/<target>/<verb>
 * with an optional body {"reason": TEXT}, one row of acts[] each, carried
 * out by the function the CLI's command calls, by the session's operator:
 * the same transaction, the same log entries, the same two-operator rule
 * (the approval of a request is the same act by a different operator).
 * Every route first checks that the session's operator still is one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denpo/encoding.h"
#include "denpo/epoch.h"
#include "denpo/num.h"
#include "denpod/admin.h"
#include "denpod/console.h"

static dpcs *app(dp_webui_req *rq)
{
	dpcs *c = rq->app;
	return dpcs_who(c, rq) ? NULL : c;
}

/* A store error as the answer. */
static void store_fail(dp_webui_req *rq, int r)
{
	dp_webui_fail(rq, r == DP_ENOMEM ? 500 : 503, "store", dp_strerror(r),
		      "the database cannot be read now; the page tries again");
}

/* Answers j (a new reference) or the error r. */
static void answer(dp_webui_req *rq, int r, json_t *j)
{
	if (r) {
		json_decref(j);
		store_fail(rq, r);
		return;
	}
	dp_webui_json(rq, 200, j);
}

/* Adds "post" (and "officer" where absent) to each object of list with a device. */
static void add_posts(dpcs *c, json_t *list, const char *key)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) {
		const char *hex = json_string_value(json_object_get(v, key));
		uint8_t id[32];
		if (!hex || strlen(hex) != 64 || dp_hex_decode(id, sizeof id, hex, 64) != DP_OK)
			continue;
		const dpcs_dev *d = dpcs_feed_device(&c->feed, c->s, id);
		json_object_set_new(v, "post", json_string(d ? d->post : ""));
		if (!json_object_get(v, "officer"))
			json_object_set_new(v, "officer", json_string(d ? d->officer : ""));
	}
}

static void get_me(dp_webui_req *rq)
{
	dpcs *c = app(rq);
	if (c)
		dp_webui_json(rq, 200, json_pack("{s:s, s:s}", "user", rq->user, "origin",
						 c->cfg.log_origin));
}

/* What the feed follows in the log, brought up to date first. */
static void feed_route(dp_webui_req *rq, int alerts)
{
	dpcs *c = app(rq);
	json_t *j = NULL;
	if (!c)
		return;
	int r = dpcs_feed_update(&c->feed, c->s);
	if (!r)
		r = alerts ? dpcs_alerts_json(&c->feed, c->s, &j) : dpcs_rates_json(&c->feed, dp_now(), &j);
	answer(rq, r, j);
}

static void get_alerts(dp_webui_req *rq)
{
	feed_route(rq, 1);
}

static void get_rates(dp_webui_req *rq)
{
	feed_route(rq, 0);
}

/*
 * A list route: {key: list} of what fn (the CLI's --json) gives at now,
 * with each row's device (the field dev; NULL: none) given its post.
 */
static void list_route(dp_webui_req *rq, int (*fn)(dps_store *s, int64_t now, json_t **out),
		       const char *key, const char *dev)
{
	dpcs *c = app(rq);
	json_t *j = NULL;
	if (!c)
		return;
	int r = fn(c->s, dp_now(), &j);
	if (!r && dev)
		add_posts(c, j, dev);
	answer(rq, r, r ? NULL : json_pack("{s:o}", key, j));
}

static int steps_open(dps_store *s, int64_t now, json_t **out)
{
	return dpa_steps_json(s, 0, out);
}

static int steps_all(dps_store *s, int64_t now, json_t **out)
{
	return dpa_steps_json(s, 1, out);
}

static void get_steps(dp_webui_req *rq)
{
	char all[4];
	const char *q = dp_webui_query(rq, "all", all, sizeof all);
	list_route(rq, q && strcmp(q, "1") == 0 ? steps_all : steps_open, "steps", NULL);
}

static void get_devices(dp_webui_req *rq)
{
	list_route(rq, dpa_devices_json, "devices", "id");
}

static void get_overdue(dp_webui_req *rq)
{
	list_route(rq, dpa_overdue_json, "overdue", "device");
}

struct witnessed {
	dpcs *c;
	json_t *posts; /* {"POST": largest size cosigned by a device of the post} */
};

static int post_name(void *ctx, const dps_post *p)
{
	struct witnessed *x = ctx;
	return json_object_set_new(x->posts, p->name, json_null()) ? DP_ENOMEM : DP_OK;
}

static int post_head(void *ctx, const uint8_t device[32], uint64_t size)
{
	struct witnessed *x = ctx;
	const dpcs_dev *d = dpcs_feed_device(&x->c->feed, x->c->s, device);
	if (!d)
		return DP_OK;
	json_t *had = json_object_get(x->posts, d->post);
	if (json_is_integer(had) && (uint64_t)json_integer_value(had) >= size)
		return DP_OK;
	return json_object_set_new(x->posts, d->post, json_integer((json_int_t)size)) ? DP_ENOMEM : DP_OK;
}

/*
 * The latest checkpoint (as `denpod log checkpoint --json`), its cosigners
 * each with its officer and post, and every post with the largest
 * checkpoint a device of it cosigned ("witnessed": null if none): a post
 * that witnessed a size has checked that the log it saw then is a prefix
 * of what every other witness saw.
 */
static void get_checkpoint(dp_webui_req *rq)
{
	dpcs *c = app(rq);
	json_t *j = NULL, *who = json_array();
	struct witnessed x = {c, json_object()};
	if (!c) {
		json_decref(x.posts);
		json_decref(who);
		return;
	}
	int r = x.posts && who ? dpa_checkpoint_json(c->s, &j) : DP_ENOMEM;
	if (r == DP_ENOTFOUND) {
		json_decref(x.posts);
		json_decref(who);
		dp_webui_fail(rq, 404, "no-checkpoint", "the log has no signed checkpoint yet",
			      "denpod run signs the first one when it starts");
		return;
	}
	if (!r)
		r = dps_post_list(c->s, post_name, &x);
	if (!r)
		r = dps_log_cosig_heads(c->s, post_head, &x);
	size_t i;
	json_t *v;
	json_array_foreach(r ? NULL : json_object_get(j, "cosigners"), i, v) {
		const char *name = json_string_value(v);
		const char *hex = name && strncmp(name, "denpo-device/", 13) == 0 ? name + 13 : "";
		uint8_t id[32];
		const dpcs_dev *d = strlen(hex) == 64 && dp_hex_decode(id, sizeof id, hex, 64) == DP_OK
					    ? dpcs_feed_device(&c->feed, c->s, id) : NULL;
		if (json_array_append_new(who, json_pack("{s:s, s:s, s:s}", "name", name ? name : "",
							 "officer", d ? d->officer : "", "post",
							 d ? d->post : "")))
			r = DP_ENOMEM;
	}
	json_t *posts = json_array();
	const char *k;
	json_object_foreach(r ? NULL : x.posts, k, v)
		if (json_array_append_new(posts, json_pack("{s:s, s:O}", "post", k, "witnessed", v)))
			r = DP_ENOMEM;
	if (!r && (json_object_set(j, "witnesses", who) || json_object_set(j, "posts", posts)))
		r = DP_ENOMEM;
	json_decref(posts);
	json_decref(x.posts);
	json_decref(who);
	answer(rq, r, j);
}

static int approval_json(void *ctx, const dps_approval *a)
{
	return json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:I}", "id",
						    (json_int_t)a->id, "act", a->act, "target", a->target,
						    "requested_by", a->requested_by, "reason", a->reason,
						    "created", (json_int_t)a->created, "expires",
						    (json_int_t)a->expires))
		       ? DP_ENOMEM : DP_OK;
}

static void get_approvals(dp_webui_req *rq)
{
	dpcs *c = app(rq);
	if (!c)
		return;
	json_t *list = json_array();
	int r = list ? dps_approval_list(c->s, dp_now(), 100, approval_json, list) : DP_ENOMEM;
	if (!r)
		add_posts(c, list, "target"); /* a device's: whose, where */
	answer(rq, r, r ? list : json_pack("{s:o}", "approvals", list));
}

/* ---- acts ---- */

typedef int (*act_fn)(dpcs *c, const char *target, const char *op, const char *reason, int *go,
		      dpa_said *said);

static int step_id(const char *t, int64_t *id)
{
	uint64_t v;
	if (dp_num_str(&v, t, 1, INT64_MAX))
		return DP_EPARSE;
	*id = (int64_t)v;
	return DP_OK;
}

static int step_act(dpcs *c, const char *target, const char *op, const char *reason, int undo,
		    dpa_said *said)
{
	int64_t id;
	if (step_id(target, &id)) {
		dpa_why(said, "%s is not a step id", target);
		return DP_EPARSE;
	}
	return dpa_contain_do(&c->cfg, c->s, undo, 0, &id, 1, op, reason, said);
}

static int act_undo(dpcs *c, const char *t, const char *op, const char *reason, int *go, dpa_said *said)
{
	return step_act(c, t, op, reason, 1, said);
}

static int act_confirm(dpcs *c, const char *t, const char *op, const char *reason, int *go,
		       dpa_said *said)
{
	return step_act(c, t, op, reason, 0, said);
}

static int act_suspend(dpcs *c, const char *t, const char *op, const char *reason, int *go,
		       dpa_said *said)
{
	return dpa_device_set(&c->cfg, c->s, t, DPS_SUSPENDED, op, reason, go, said);
}

static int act_reinstate(dpcs *c, const char *t, const char *op, const char *reason, int *go,
			 dpa_said *said)
{
	return dpa_device_set(&c->cfg, c->s, t, DPS_ACTIVE, op, reason, go, said);
}

static int act_revoke(dpcs *c, const char *t, const char *op, const char *reason, int *go,
		      dpa_said *said)
{
	return dpa_device_set(&c->cfg, c->s, t, DPS_REVOKED, op, reason, go, said);
}

static int act_disable(dpcs *c, const char *t, const char *op, const char *reason, int *go,
		       dpa_said *said)
{
	return dpa_officer_set(c->s, t, 1, op, reason, go, said);
}

static int act_enable(dpcs *c, const char *t, const char *op, const char *reason, int *go,
		      dpa_said *said)
{
	return dpa_officer_set(c->s, t, 0, op, reason, go, said);
}

struct find_ap {
	int64_t id;
	dps_approval a;
	int found;
};

static int find_approval(void *ctx, const dps_approval *a)
{
	struct find_ap *x = ctx;
	if (a->id != x->id)
		return DP_OK;
	x->a = *a;
	x->found = 1;
	return 1;
}

/* The second operator's approval of a request: the requested act, by this operator. */
static int act_approve(dpcs *c, const char *t, const char *op, const char *reason, int *go,
		       dpa_said *said)
{
	struct find_ap x = {0};
	int r = step_id(t, &x.id);
	if (!r)
		r = dps_approval_list(c->s, dp_now(), 1000, find_approval, &x);
	if (r == 1 || r == DP_OK)
		r = x.found ? DP_OK : DP_ENOTFOUND;
	if (r) {
		dpa_why(said, "no pending request %s (it was carried out, or it lapsed after %d h)", t,
			DPA_APPROVAL_SECONDS / 3600);
		return r;
	}
	if (strcmp(x.a.act, "device-revoke") == 0)
		return act_revoke(c, x.a.target, op, reason, go, said);
	if (strcmp(x.a.act, "officer-disable") == 0)
		return act_disable(c, x.a.target, op, reason, go, said);
	dpa_why(said, "request %s is for %s, which the console does not carry out", t, x.a.act);
	return DP_EUNSUPP;
}

static const struct {
	const char *what, *verb;
	act_fn fn;
} acts[] = {
	{"steps", "undo", act_undo},
	{"steps", "confirm", act_confirm},
	{"devices", "suspend", act_suspend},
	{"devices", "reinstate", act_reinstate},
	{"devices", "revoke", act_revoke},
	{"officers", "disable", act_disable},
	{"officers", "enable", act_enable},
	{"approvals", "approve", act_approve},
};

static int act_status(int r)
{
	switch (r) {
	case DP_ENOTFOUND: return 404;
	case DP_ESTATE: return 409;
	case DP_EDENIED: return 403;
	case DP_EEXISTS: case DP_EPARSE: case DP_EUNSUPP: return 400;
	default: return 500;
	}
}

int dpcs_act_parse(const char *path, const uint8_t *body, size_t len, dpcs_act_req *out)
{
	memset(out, 0, sizeof *out);
	if (strncmp(path, "/api/", 5) != 0)
		return DP_ENOTFOUND;
	const char *p = path + 5;
	size_t n1 = strcspn(p, "/");
	const char *t = p[n1] ? p + n1 + 1 : "";
	size_t n2 = strcspn(t, "/");
	const char *v = t[n2] ? t + n2 + 1 : "";
	/* three non-empty parts, each within its field, nothing after the verb */
	if (!n1 || n1 >= sizeof out->what || !n2 || n2 >= sizeof out->target || !*v ||
	    strlen(v) >= sizeof out->verb || strchr(v, '/'))
		return DP_ENOTFOUND;
	memcpy(out->what, p, n1);
	memcpy(out->target, t, n2);
	memcpy(out->verb, v, strlen(v));
	if (!len)
		return DP_OK;
	json_t *b = json_loadb((const char *)body, len, 0, NULL);
	json_t *rv = json_object_get(b, "reason");
	const char *rs = json_string_value(rv);
	/* an object; its reason absent, null, "" or log text (what the CLI's --reason takes) */
	int bad = !json_is_object(b) || (rv && !json_is_null(rv) && !rs) ||
		  (rs && *rs && !dpa_log_text_ok(rs));
	if (!bad && rs)
		snprintf(out->reason, sizeof out->reason, "%s", rs);
	json_decref(b);
	return bad ? DP_EPARSE : DP_OK;
}

/* POST /api/<what>/<target>/<verb>, body {"reason": TEXT} or empty. */
static void post_act(dp_webui_req *rq)
{
	dpcs *c = app(rq);
	dpcs_act_req q;
	if (!c)
		return;
	int r = dpcs_act_parse(rq->path, rq->body, rq->body_len, &q);
	size_t k = 0;
	while (!r && k < sizeof acts / sizeof acts[0] &&
	       (strcmp(acts[k].what, q.what) != 0 || strcmp(acts[k].verb, q.verb) != 0))
		k++;
	if (r == DP_EPARSE) {
		dp_webui_fail(rq, 400, "bad-reason", "the body is {\"reason\": TEXT}",
			      "a reason is printable ASCII, no space at either end, at most 512 "
			      "characters");
		return;
	}
	if (r || k == sizeof acts / sizeof acts[0]) {
		dp_webui_fail(rq, 404, "no-such-act", "no such act", "POST /api/WHAT/TARGET/VERB");
		return;
	}
	dpa_said said;
	dpa_said_init(&said);
	int go = 1;
	r = acts[k].fn(c, q.target, rq->user, q.reason[0] ? q.reason : NULL, &go, &said);
	if (r)
		dp_webui_fail(rq, act_status(r), r == DP_EDENIED ? "two-operators" : "refused",
			      said.why[0] ? said.why : dp_strerror(r), "nothing was changed");
	else
		dp_webui_json(rq, 200, json_pack("{s:b, s:s%}", "done", go, "said",
						 said.done.len ? (const char *)said.done.p : "",
						 said.done.len));
	dpa_said_free(&said);
}

const dp_webui_route dpcs_routes[] = {
	{"GET", DP_WEBUI_EXACT, "/api/me", get_me},
	{"GET", DP_WEBUI_EXACT, "/api/alerts", get_alerts},
	{"GET", DP_WEBUI_EXACT, "/api/rates", get_rates},
	{"GET", DP_WEBUI_EXACT, "/api/steps", get_steps},
	{"GET", DP_WEBUI_EXACT, "/api/devices", get_devices},
	{"GET", DP_WEBUI_EXACT, "/api/overdue", get_overdue},
	{"GET", DP_WEBUI_EXACT, "/api/checkpoint", get_checkpoint},
	{"GET", DP_WEBUI_EXACT, "/api/approvals", get_approvals},
	{"POST", DP_WEBUI_PREFIX, "/api/steps/", post_act},
	{"POST", DP_WEBUI_PREFIX, "/api/devices/", post_act},
	{"POST", DP_WEBUI_PREFIX, "/api/officers/", post_act},
	{"POST", DP_WEBUI_PREFIX, "/api/approvals/", post_act},
};
const size_t dpcs_nroutes = sizeof dpcs_routes / sizeof dpcs_routes[0];
