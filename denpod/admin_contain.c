/*
 * denpod/admin_contain.c - the operator's side of detection
 * (docs/detection.md): following, confirming and undoing automatic
 * containment steps, the two-operator acts (revoking a device, disabling
 * an officer), the decoy registry and checking a detect.conf.
 *
 * Every change is one transaction with its transparency-log entries; the
 * running switch sees it within a second (its tick reads the steps and the
 * directory).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "denpo/detect.h"
#include "denpo/encoding.h"
#include "denpo/num.h"
#include "denpod/admin.h"
#include "denpod/alerts.h"
#include "denpod/detect_srv.h"
#include "denpod/policy.h"

static void utc(char out[32], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (t > 0 && gmtime_r(&tt, &tm))
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(out, 32, "-");
}

/* Cuts trailing spaces (a truncated --reason may end in one; log texts may not). */
static void trim_end(char *t)
{
	size_t n = strlen(t);
	while (n && t[n - 1] == ' ')
		t[--n] = 0;
}

static int log_step(dps_store *s, dpl_enc *x, const char *action, const uint8_t *dev,
		    const char *op, const char *detail)
{
	dp_logent *e = dpl_ent(x, DP_LOG_CONTAINMENT, dp_now());
	snprintf(e->act, sizeof e->act, "%s", action);
	if (dev) {
		memcpy(e->device, dev, 32);
		e->has_device = 1;
	}
	snprintf(e->operator_, sizeof e->operator_, "%s", op);
	snprintf(e->text, sizeof e->text, "%.*s", DP_LOG_TEXT_MAX, detail);
	trim_end(e->text);
	return dpl_put(s, x, NULL);
}

int dpa_two_person(dps_store *s, dpl_enc *x, const char *act, const char *target, const char *op,
		   const char *reason, int *go, dpa_said *said)
{
	int64_t now = dp_now();
	dps_approval ap;
	char detail[DP_LOG_TEXT_MAX + 1], action[DP_NAME_MAX + 1];
	*go = 0;
	int r = dps_approval_pending(s, act, target, now, &ap);
	if (r == DP_ENOTFOUND) {
		memset(&ap, 0, sizeof ap);
		snprintf(ap.act, sizeof ap.act, "%s", act);
		snprintf(ap.target, sizeof ap.target, "%s", target);
		snprintf(ap.requested_by, sizeof ap.requested_by, "%s", op);
		snprintf(ap.reason, sizeof ap.reason, "%s", reason ? reason : "");
		ap.created = now;
		ap.expires = now + DPA_APPROVAL_SECONDS;
		r = dps_approval_add(s, &ap);
		snprintf(action, sizeof action, "%s-REQUESTED", act);
		for (char *p = action; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		snprintf(detail, sizeof detail, "request %lld: %s %s%s%.300s; needs a second operator "
			 "within %d h", (long long)ap.id, act, target, reason ? ": " : "",
			 reason ? reason : "", DPA_APPROVAL_SECONDS / 3600);
		if (!r)
			r = log_step(s, x, action, NULL, op, detail);
		return r;
	}
	if (r)
		return r;
	if (strcasecmp(ap.requested_by, op) == 0) {
		dpa_why(said, "%s of %s was requested by %s (request %lld); the "
			"second approval must come from another operator (--operator NAME, or another "
			"operator's console login)", act, target, op,
			(long long)ap.id);
		return DP_EDENIED;
	}
	r = dps_approval_close(s, ap.id, DPS_AP_DONE, op, now);
	snprintf(action, sizeof action, "%s-APPROVED", act);
	for (char *p = action; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	snprintf(detail, sizeof detail, "request %lld by %.200s approved by %.200s: %s %s",
		 (long long)ap.id, ap.requested_by, op, act, target);
	if (!r)
		r = log_step(s, x, action, NULL, op, detail);
	if (!r)
		*go = 1;
	return r;
}

/* ---- contain list | confirm | undo ---- */

struct owner {
	dps_store *s;
	int n;
	json_t *list; /* --json: the steps as JSON objects; NULL: a table */
};

/* Unix seconds, or null where the time is absent (0). */
static json_t *time_json(int64_t t)
{
	return t > 0 ? json_integer(t) : json_null();
}

/* A string, or null where it is absent (NULL or ""). */
static json_t *str_json(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* The fields of a row of the table, as JSON (docs/operations.md, "JSON output"). */
static int step_json(json_t *list, const dps_containment *c, const char *hex, const dps_officer *off)
{
	json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:o, s:o}", "id",
			      (json_int_t)c->id, "state", dps_contain_state_name(c->state), "kind",
			      dps_contain_kind_name(c->kind), "device", hex, "officer",
			      str_json(off ? off->handle : NULL), "post", str_json(off ? off->post : NULL),
			      "rule", c->rule, "since", time_json(c->created), "until", time_json(c->until),
			      "operator", str_json(c->operator_));
	return json_array_append_new(list, j) ? DP_ENOMEM : DP_OK;
}

static int print_step(void *ctx, const dps_containment *c)
{
	struct owner *o = ctx;
	dps_device d;
	dps_officer off;
	char hex[65], created[32], until[32];
	dp_hex_encode(hex, c->device, 32);
	int known = dps_device_get(o->s, c->device, &d) == DP_OK &&
		    dps_officer_get(o->s, d.officer, &off) == DP_OK;
	o->n++;
	if (o->list)
		return step_json(o->list, c, hex, known ? &off : NULL);
	utc(created, c->created);
	utc(until, c->until);
	printf("%-5lld %-9s %-8s %.16s %-16s %-10s %-14s %s until %s%s%s\n", (long long)c->id,
	       dps_contain_state_name(c->state), dps_contain_kind_name(c->kind), hex,
	       known ? off.handle : "?", known ? off.post : "?", c->rule, created, until,
	       c->operator_[0] ? " by " : "", c->operator_);
	return DP_OK;
}

/* "123" -> 123; -1 if not a step id (dp_num: no sign, no leading zero, nothing after it). */
static int64_t step_id(const char *s)
{
	uint64_t v;
	return dp_num_str(&v, s, 1, INT64_MAX) ? -1 : (int64_t)v;
}

struct undo_ctx {
	int64_t *ids;
	size_t n, cap;
};

static int collect_open(void *ctx, const dps_containment *c);

/* Active (not confirmed) automatic steps only. */
static int collect_active(void *ctx, const dps_containment *c)
{
	return c->state == DPS_CS_ACTIVE ? collect_open(ctx, c) : DP_OK;
}

static int collect_open(void *ctx, const dps_containment *c)
{
	struct undo_ctx *u = ctx;
	if (u->n == u->cap) {
		size_t cap = u->cap ? 2 * u->cap : 64;
		int64_t *p = realloc(u->ids, cap * sizeof *p);
		if (!p)
			return DP_ENOMEM;
		u->ids = p;
		u->cap = cap;
	}
	u->ids[u->n++] = c->id;
	return DP_OK;
}

/*
 * The operator's steps also go to the switch's alert outputs (alerts file,
 * syslog; docs/detection.md §7), after the commit.  A failure to report is
 * said, never fatal: the log has them.
 */
static void emit_steps(const dpc_config *cfg, dps_store *s, const char *action, const char *op,
		       const int64_t *ids, size_t n)
{
	char err[256] = "";
	if (!n)
		return;
	dpo_out *o = NULL;
	if (dpd_det_outputs_open(cfg, &o, err, sizeof err)) {
		fprintf(stderr, "denpod: warning: not reported to the alert outputs: %s\n",
			err[0] ? err : "cannot open them");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		dps_containment c;
		dps_device d;
		dps_officer off;
		if (dps_contain_get(s, ids[i], &c))
			continue;
		int known = dps_device_get(s, c.device, &d) == DP_OK &&
			    dps_officer_get(s, d.officer, &off) == DP_OK;
		dpo_action x;
		memset(&x, 0, sizeof x);
		x.t_ms = dp_now() * 1000;
		x.action = action;
		x.operator_ = op;
		x.device = c.device;
		x.officer = known ? off.handle : NULL;
		x.post = known ? off.post : NULL;
		x.rule = c.rule;
		x.id = c.id;
		x.detail = c.detail;
		x.log_index = -1;
		(void)dpo_emit_action(o, &x);
	}
	dpo_close(o);
}

/* 1 if the device has an open automatic suspension other than step `but`. */
static int other_open_suspension(dps_store *s, const uint8_t dev[32], int64_t but, int *yes)
{
	dps_containment c;
	int r = dps_contain_open_for(s, dev, DPS_CK_SUSPEND, &c);
	*yes = r == DP_OK && c.id != but;
	return r == DP_ENOTFOUND ? DP_OK : r;
}

/*
 * Undo (undo=1) or confirm one step inside the caller's transaction; what
 * it did goes to out, printed only once everything commits.
 */
static int one_step(dps_store *s, dpl_enc *x, int64_t id, int undo, const char *op,
		    const char *reason, dpa_said *said)
{
	dps_containment c;
	dps_device d;
	char detail[DP_LOG_TEXT_MAX + 1];
	int r = dps_contain_get(s, id, &c);
	if (r == DP_ENOTFOUND) {
		dpa_why(said, "no containment step %lld (denpod contain list "
			"--all)", (long long)id);
		return r;
	}
	if (r)
		return r;
	if (c.state != DPS_CS_ACTIVE && c.state != DPS_CS_CONFIRMED) {
		dpa_why(said, "step %lld is %s already; nothing to %s%s",
			(long long)id, dps_contain_state_name(c.state), undo ? "undo" : "confirm",
			c.state == DPS_CS_TAKEN ? " (an operator suspended the device: denpod device "
						  "reinstate lifts that)" : "");
		return DP_ESTATE;
	}
	int64_t now = dp_now();
	r = dps_device_get(s, c.device, &d);
	if (r && r != DP_ENOTFOUND)
		return r;
	int suspended = r == DP_OK && d.status == DPS_SUSPENDED;
	r = DP_OK;
	if (!undo) {
		if (c.kind != DPS_CK_SUSPEND || c.state != DPS_CS_ACTIVE) {
			dpa_why(said, "step %lld is a %s %s: only an active "
				"suspension is confirmed (a throttle ends by itself or by undo)",
				(long long)id, dps_contain_state_name(c.state),
				dps_contain_kind_name(c.kind));
			return DP_ESTATE;
		}
		if (!suspended) {
			dpa_why(said, "the device of step %lld is not suspended "
				"any more (reinstated or revoked: denpod device list); to suspend it, "
				"run denpod device suspend", (long long)id);
			return DP_ESTATE;
		}
		r = dps_contain_set(s, id, DPS_CS_CONFIRMED, op, 0, 0);
		snprintf(detail, sizeof detail, "step %lld (suspension by alert %s) confirmed: the "
			 "device stays suspended until reinstated or revoked%s%.300s", (long long)id,
			 c.rule, reason ? ": " : "", reason ? reason : "");
		if (!r)
			r = log_step(s, x, "CONFIRM", c.device, op, detail);
		if (!r)
			dpa_done(said, "step %lld confirmed: the device stays "
				"suspended\n", (long long)id);
		return r;
	}
	r = dps_contain_set(s, id, DPS_CS_UNDONE, op, now, c.until);
	/* the device is reinstated only if no other automatic suspension holds it */
	int other = 0;
	if (!r && c.kind == DPS_CK_SUSPEND && suspended)
		r = other_open_suspension(s, c.device, id, &other);
	if (!r && c.kind == DPS_CK_SUSPEND && suspended && !other) {
		r = dps_device_set_status(s, c.device, DPS_ACTIVE);
		dp_logent *e = dpl_ent(x, DP_LOG_DEVICE_REINSTATED, now);
		memcpy(e->device, c.device, 32);
		snprintf(e->operator_, sizeof e->operator_, "%s", op);
		snprintf(e->text, sizeof e->text, "undo of containment step %lld", (long long)id);
		if (!r)
			r = dpl_put(s, x, NULL);
	}
	snprintf(detail, sizeof detail, "step %lld (%s by alert %s) undone%s%.300s", (long long)id,
		 dps_contain_kind_name(c.kind), c.rule, reason ? ": " : "", reason ? reason : "");
	if (!r)
		r = log_step(s, x, "UNDO", c.device, op, detail);
	if (!r)
		dpa_done(said, "step %lld undone (%s)\n", (long long)id,
			c.kind == DPS_CK_THROTTLE ? "throttle lifted"
			: other		   ? "another automatic suspension still holds the device"
			: suspended		   ? "device reinstated"
					   : "the device was not suspended any more");
	return r;
}

int dpa_steps_on_status(dps_store *s, dpl_enc *x, const uint8_t dev[32], int status,
			const char *op, struct dpa_steps *changed)
{
	struct undo_ctx u = {NULL, 0, 0};
	int r = dps_contain_list(s, 1, (size_t)-1, collect_open, &u);
	char detail[DP_LOG_TEXT_MAX + 1];
	for (size_t i = 0; !r && i < u.n; i++) {
		dps_containment c;
		r = dps_contain_get(s, u.ids[i], &c);
		if (r || memcmp(c.device, dev, 32) != 0)
			continue;
		if (status == DPS_SUSPENDED && c.kind == DPS_CK_SUSPEND) {
			/* the operator's suspension takes over: no lapse, no undo lifts it */
			r = dps_contain_set(s, c.id, DPS_CS_TAKEN, op, dp_now(), 0);
			snprintf(detail, sizeof detail, "step %lld (suspension by alert %s) taken over by "
				 "the operator's suspension: only denpod device reinstate lifts it",
				 (long long)c.id, c.rule);
			if (!r)
				r = log_step(s, x, "TAKE-OVER", dev, op, detail);
			if (!r && changed && changed->n < DPA_STEPS_MAX)
				changed->take[changed->n] = 1, changed->id[changed->n++] = c.id;
		} else if (status != DPS_SUSPENDED) {
			/* reinstated or revoked: every automatic step on the device ends */
			r = dps_contain_set(s, c.id, DPS_CS_UNDONE, op, dp_now(), c.until);
			snprintf(detail, sizeof detail, "step %lld (%s by alert %s) ended: the device is "
				 "%s by the operator", (long long)c.id, dps_contain_kind_name(c.kind),
				 c.rule, status == DPS_ACTIVE ? "reinstated" : "revoked");
			if (!r)
				r = log_step(s, x, "UNDO", dev, op, detail);
			if (!r && changed && changed->n < DPA_STEPS_MAX)
				changed->take[changed->n] = 0, changed->id[changed->n++] = c.id;
		}
	}
	free(u.ids);
	return r;
}

void dpa_emit_steps(const dpc_config *cfg, dps_store *s, const char *op,
		    const struct dpa_steps *changed)
{
	int64_t undo[DPA_STEPS_MAX], take[DPA_STEPS_MAX];
	size_t nu = 0, nt = 0;
	for (size_t i = 0; i < changed->n; i++) {
		if (changed->take[i])
			take[nt++] = changed->id[i];
		else
			undo[nu++] = changed->id[i];
	}
	emit_steps(cfg, s, "undo", op, undo, nu);
	emit_steps(cfg, s, "take-over", op, take, nt);
}

int dpa_steps_json(dps_store *s, int all, json_t **out)
{
	struct owner o = {s, 0, json_array()};
	int r = o.list ? dps_contain_list(s, !all, all ? 1000 : (size_t)-1, print_step, &o) : DP_ENOMEM;
	if (r) {
		json_decref(o.list);
		o.list = NULL;
	}
	*out = o.list;
	return r;
}

int dpa_contain_do(const dpc_config *c, dps_store *s, int undo, int all, const int64_t *ids,
		   size_t n, const char *op, const char *reason, dpa_said *said)
{
	struct undo_ctx u = {NULL, 0, 0};
	dpl_enc *x = dpl_enc_new();
	int r = x ? dps_begin(s) : DP_ENOMEM;
	/* all: the active automatic steps; a confirmed one is undone only by its id */
	if (!r && all)
		r = dps_contain_list(s, 1, (size_t)-1, collect_active, &u);
	for (size_t i = 0; !r && !all && i < n; i++)
		r = collect_open(&u, &(dps_containment){.id = ids[i]});
	for (size_t i = 0; !r && i < u.n; i++)
		r = one_step(s, x, u.ids[i], undo, op, reason, said);
	if (x)
		r = dpa_finish_txn(s, r);
	dpl_enc_free(x);
	if (!r && all && !u.n)
		dpa_done(said, "no active automatic steps (a confirmed one is undone by its id: denpod "
			 "contain list)\n");
	if (!r)
		emit_steps(c, s, undo ? "undo" : "confirm", op, u.ids, u.n);
	free(u.ids);
	return r;
}

int dpa_contain(const dpa_args *a)
{
	const char *verb = a->verb;
	dpc_config c;
	dps_store *s = NULL;
	int list = strcmp(verb, "list") == 0, undo = strcmp(verb, "undo") == 0;
	if (!list && !undo && strcmp(verb, "confirm") != 0) {
		fprintf(stderr, "usage: denpod contain list [--all] | confirm ID | undo ID...|--all\n");
		return 2;
	}
	if ((list && a->npos) || (!list && !undo && a->npos != 1) ||
	    (undo && (a->all ? a->npos != 0 : a->npos == 0))) {
		fprintf(stderr, "usage: denpod contain %s --data DIR\n",
			list ? "list [--all] [--json]" : undo ? "undo ID... | undo --all" : "confirm ID");
		return 2;
	}
	char op[DP_LOG_TEXT_MAX + 1];
	int e = list ? 0 : dpa_operator_of(a, op);
	if (!e && a->reason && !dpa_log_text_ok(a->reason)) {
		fprintf(stderr, "denpod: --reason is 1-%d printable ASCII characters\n", DP_LOG_TEXT_MAX);
		e = 2;
	}
	int64_t ids[16];
	for (int i = 0; !e && i < a->npos; i++)
		if ((ids[i] = step_id(a->pos[i])) < 0) {
			fprintf(stderr, "denpod: %s is not a step id (the first column of "
					"denpod contain list)\n", a->pos[i]);
			e = 2;
		}
	if (e || (e = dpa_open_store(a, &c, &s)))
		return e;
	int r;
	if (list) {
		struct owner o = {s, 0, NULL};
		if (a->json) {
			json_t *j = NULL;
			r = dpa_steps_json(s, a->all, &j);
			dps_close(s);
			return dpa_list_done(r, "contain list", "steps", j);
		}
		printf("%-5s %-9s %-8s %-16s %-16s %-10s %-14s %s\n", "ID", "STATE", "KIND", "DEVICE",
		       "OFFICER", "POST", "RULE", "SINCE");
		r = dps_contain_list(s, !a->all, a->all ? 1000 : (size_t)-1, print_step, &o);
		dps_close(s);
		if (r)
			return dpa_list_done(r, "contain list", "steps", NULL);
		if (!o.n)
			printf("(no %scontainment steps)\n", a->all ? "" : "open ");
		return 0;
	}
	dpa_said said;
	dpa_said_init(&said);
	r = dpa_contain_do(&c, s, undo, a->all, ids, (size_t)a->npos, op, a->reason, &said);
	dps_close(s);
	if (!r && said.done.len)
		fwrite(said.done.p, 1, said.done.len, stdout);
	if (said.why[0])
		fprintf(stderr, "denpod: %s\n", said.why);
	dpa_said_free(&said);
	if (r) {
		if (r == DP_ENOTFOUND || r == DP_ESTATE) {
			fprintf(stderr, "denpod: nothing was changed\n");
			return 1;
		}
		return dpa_fail(r, verb, "nothing was changed");
	}
	return 0;
}

int dpa_officer_set(dps_store *s, const char *handle, int disable, const char *op,
		    const char *reason, int *go, dpa_said *said)
{
	dps_officer o;
	dpl_enc *x = dpl_enc_new();
	*go = 1;
	int r = x ? dps_begin(s) : DP_ENOMEM;
	if (!r)
		r = dps_officer_get(s, handle, &o);
	if (!r && disable && o.status != DPS_ACTIVE)
		r = DP_ESTATE;
	if (!r && disable)
		r = dpa_two_person(s, x, "officer-disable", o.handle, op, reason, go, said);
	if (!r && *go) {
		o.status = disable ? DPS_SUSPENDED : DPS_ACTIVE;
		r = dps_officer_put(s, &o, 1);
		dp_logent *en = dpl_ent(x, DP_LOG_ADMIN, dp_now());
		snprintf(en->operator_, sizeof en->operator_, "%s", op);
		snprintf(en->act, sizeof en->act, "%s", disable ? "OFFICER-DISABLE" : "OFFICER-ENABLE");
		snprintf(en->text, sizeof en->text, "%s%s%.300s", o.handle, reason ? ": " : "",
			 reason ? reason : "");
		trim_end(en->text);
		if (!r)
			r = dpl_put(s, x, NULL);
	}
	if (x)
		r = dpa_finish_txn(s, r);
	dpl_enc_free(x);
	if (r && r != DP_EDENIED && !said->why[0])
		dpa_why(said, "%s: %s%s", disable ? "disable" : "enable", dp_strerror(r),
			r == DP_ENOTFOUND ? "; no such officer (denpod officer list)"
			: r == DP_ESTATE ? "; the officer is not active" : "");
	if (!r && !*go)
		dpa_done(said, "disabling officer %s is requested by %s; it takes effect when a "
			 "different operator does the same within %d h\n", o.handle, op,
			 DPA_APPROVAL_SECONDS / 3600);
	else if (!r)
		dpa_done(said, "officer %s is now %s\n", o.handle, disable ? "disabled" : "enabled");
	return r;
}

int dpa_officer_state(const dpa_args *a)
{
	const char *verb = a->verb;
	int disable = strcmp(verb, "disable") == 0;
	if (a->npos != 1) {
		fprintf(stderr, "usage: denpod officer %s HANDLE [--reason TEXT] [--operator NAME] "
				"--data DIR\n", verb);
		return 2;
	}
	char op[DP_LOG_TEXT_MAX + 1];
	int e = dpa_operator_of(a, op);
	if (!e && a->reason && !dpa_log_text_ok(a->reason)) {
		fprintf(stderr, "denpod: --reason is 1-%d printable ASCII characters\n", DP_LOG_TEXT_MAX);
		e = 2;
	}
	dpc_config c;
	dps_store *s = NULL;
	if (e || (e = dpa_open_store(a, &c, &s)))
		return e;
	dpa_said said;
	dpa_said_init(&said);
	int go;
	int r = dpa_officer_set(s, a->pos[0], disable, op, a->reason, &go, &said);
	dps_close(s);
	return dpa_said_print(r, &said);
}

/* ---- decoys, detect.conf ---- */

struct decoys {
	int n;
	json_t *list; /* --json: the decoys as JSON objects; NULL: a table */
};

static int print_decoy(void *ctx, const dps_cable *c)
{
	struct decoys *d = ctx;
	char t[32], hex[2 * DP_CABLE_ID + 1];
	dp_hex_encode(hex, c->cable_id, DP_CABLE_ID);
	d->n++;
	if (d->list) {
		json_t *j = json_pack("{s:s, s:s, s:o, s:s, s:s}", "cable_id", hex, "mrn", c->mrn,
				      "accepted", time_json(c->accepted), "classification",
				      dp_class_name(c->classification), "officer", c->officer);
		return json_array_append_new(d->list, j) ? DP_ENOMEM : DP_OK;
	}
	utc(t, c->accepted);
	printf("%s %-20s %s %-14s %s\n", hex, c->mrn, t, dp_class_name(c->classification),
	       c->officer);
	return DP_OK;
}

int dpa_decoy_list(const dpa_args *a)
{
	dpc_config c;
	dps_store *s = NULL;
	int e = a->npos ? (fprintf(stderr, "usage: denpod decoy list [--json] --data DIR\n"), 2) : 0;
	if (e || (e = dpa_open_store(a, &c, &s)))
		return e;
	struct decoys d = {0, a->json ? json_array() : NULL};
	int r = dps_decoy_list(s, 100000, print_decoy, &d);
	dps_close(s);
	if (r || d.list)
		return dpa_list_done(r, "decoy list", "decoys", d.list);
	if (!d.n)
		printf("(no decoys: plant them with `denpo send --decoy` from a DECOY officer's "
		       "device)\n");
	return 0;
}

int dpa_detect_check(const dpa_args *a)
{
	char path[DPC_PATH_MAX];
	if (a->npos > 1) {
		fprintf(stderr, "usage: denpod detect check [FILE] [--data DIR]\n");
		return 2;
	}
	if (a->npos == 1) {
		snprintf(path, sizeof path, "%s", a->pos[0]);
	} else {
		dpc_config c;
		if (!a->data || !*a->data) {
			fprintf(stderr, "denpod: give FILE or --data DIR (or set DENPOD_DATA)\n");
			return 2;
		}
		if (dpc_load(&c, a->data) || dpc_path(&c, "detect.conf", path, sizeof path))
			return 1;
	}
	dp_det_config cfg;
	int r = dpd_det_check_file(path, &cfg);
	if (r && r != DP_ENOTFOUND) {
		dp_det_config_free(&cfg);
		return 1;
	}
	printf("%s: %s\n", path, r == DP_ENOTFOUND ? "absent: the defaults apply" : "ok");
	for (int i = 0; i < DP_R_COUNT; i++)
		printf("  rule %-14s %-8s %s\n", dp_det_rule_name(i), dp_det_mode_name(cfg.mode[i]),
		       dp_det_action_name(cfg.action[i]));
	for (int i = 0; i < DP_P_COUNT; i++)
		printf("  %-21s %lld\n", dp_det_params[i].name, (long long)cfg.p[i]);
	printf("  networks: %zu\n", cfg.nnets);
	dp_det_config_free(&cfg);
	return 0;
}
