/*
 * denpod/detect_srv.c - detection and containment inside the switch (see
 * detect_srv.h and docs/detection.md).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "denpo/conf.h"
#include "denpo/encoding.h"
#include "denpo/logentry.h"
#include "denpod/alerts.h"
#include "denpod/conn.h"
#include "denpod/detect_feed.h"
#include "denpod/detect_srv.h"
#include "denpod/policy.h"
#include "denpod/say.h"
#include "denpod/signer.h"

#define DET_TICK_MS 1000
#define DET_RELOAD_S 3600  /* re-read the posts' UTC offsets (DST) at least this often */
#define DET_TRACK_MAX 4096 /* automatic steps the loop follows (for undo and lapse) */
/*
 * Several instances: two engines that both fired for one incident did so
 * on the same event, or on two events this close (each engine's order of
 * the events differs by how late it read the other's); the later alert is
 * dropped (dps_det_claim), unless realert.seconds is shorter.
 */
#define DET_DUP_WINDOW_MS 10000

/* An automatic step the loop follows until it ends. */
typedef struct {
	uint8_t device[32];
	int kind;    /* DPS_CK_* */
	int64_t cid; /* its containment id; -1 while its op is being written */
} det_track;

struct dpd_det {
	dp_det *eng;
	dp_det_config cfg;
	dpo_out *out;
	dpo_metrics *met;
	uint64_t events_seen, errors_seen; /* what the metrics counted so far */
	struct event *tick, *hup;
	int64_t dirver;    /* the directory version last registered */
	int64_t stepver;   /* the directory version at the last steps_changed (several instances) */
	int64_t loaded_at; /* when (Unix s) */
	int lapse_busy;    /* a lapse op is with the writer */
	det_track track[DET_TRACK_MAX];
	size_t ntrack;
	char conf_path[DPC_PATH_MAX];
	/* several instances (detect_feed.h): NULL on SQLite */
	dpd_feed *feed;
	int64_t lseq;               /* this instance's events, numbered */
	int64_t cur_inst, cur_lseq; /* the event being fed: an alert's identity (dps_det_claim) */
};

/*
 * Detection's operations for the commit engine (op.h), none with a
 * request: answered here after the commit.  alert: an alert's entry and its
 * automatic containment; lapse: the time-boxed steps whose time ran out;
 * config: the configuration the switch runs with (an admin entry, at start
 * and on every SIGHUP that changes it).
 */
struct op_alert {
	dpd_op op;
	dp_det_alert alert;
	int64_t until; /* the time box of its step */
	int64_t cid;   /* out: the containment's id; -1: none */
	int tries;     /* writes rolled back before this one (a store failure: retried 3 times) */
	int64_t inst, lseq, window_ms; /* its event and how close a repeat is (dps_det_claim) */
	int dup;       /* out: another instance logged this alert already: nothing written */
};

struct op_lapse {
	dpd_op op;
	json_t *json; /* out: the steps that lapsed [{"id", "device", "kind", "rule"}] */
};

struct op_config {
	dpd_op op;
	char detail[DP_LOG_TEXT_MAX + 1]; /* "WHEN: SUMMARY" */
};

static void steps_changed(dpd_server *srv);

/* The engine's answer to a status change it need not act on (unknown device: nothing to undo). */
static void ignore(int r)
{
	(void)r;
}

/* ---- the configuration ---- */

int dpd_det_read_file(const char *path, dp_det_config *out, char *err, size_t errcap)
{
	dp_buf b;
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		dp_det_config_default(out);
		return DP_ENOTFOUND;
	}
	dp_buf_init(&b, DP_CONF_MAX + 1);
	int r = dp_read_file(path, &b);
	if (r) {
		snprintf(err, errcap, "cannot read %s: %s", path, dp_strerror(r));
		dp_det_config_default(out);
	} else {
		r = dp_det_config_parse_named(out, path, (const char *)b.p, b.len, err, errcap);
	}
	dp_buf_free(&b);
	return r;
}

int dpd_det_check_file(const char *path, dp_det_config *out)
{
	char err[DPC_PATH_MAX + 512];
	int r = dpd_det_read_file(path, out, err, sizeof err);
	if (r && r != DP_ENOTFOUND)
		fprintf(stderr, "denpod: %s\n", err);
	return r;
}

/* ---- registration ---- */

/* The UTC offset of a time zone at t (0 for "" or an unknown zone). */
static int32_t tz_offset(const char *tz, time_t t)
{
	if (!tz[0])
		return 0;
	/* the loop thread is the only user of local time in denpod */
	char *old = getenv("TZ");
	char saved[256];
	int had = old != NULL;
	if (had)
		snprintf(saved, sizeof saved, "%s", old);
	setenv("TZ", tz, 1);
	tzset();
	struct tm tm;
	int32_t off = localtime_r(&t, &tm) ? (int32_t)tm.tm_gmtoff : 0;
	if (had)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	return off;
}

struct reg_ctx {
	struct dpd_det *d;
	time_t now;
	int r;
	const char *records_post; /* denpod.conf records_post ("" none) */
};

static int reg_post(void *ctx, const dps_post *p)
{
	struct reg_ctx *x = ctx;
	int r = dp_det_post(x->d->eng, p->name, tz_offset(p->tz, x->now));
	return r == DP_OK || r == DP_EINVAL ? DP_OK : r; /* a name the engine refuses: skipped */
}

static int reg_officer(void *ctx, const dps_officer *o)
{
	struct reg_ctx *x = ctx;
	int r = dp_det_officer(x->d->eng, o->handle, o->post);
	return r == DP_OK || r == DP_EINVAL || r == DP_ENOTFOUND ? DP_OK : r;
}

static const det_track *tracked(const struct dpd_det *d, const uint8_t dev[32], int kind)
{
	for (size_t i = 0; i < d->ntrack; i++)
		if (d->track[i].kind == kind && memcmp(d->track[i].device, dev, 32) == 0)
			return &d->track[i];
	return NULL;
}

/*
 * What the engine needs to know of a device (enum dp_det_dev_kind), from
 * the policy's own tests of its officer's roles: a decoy originator's, a
 * records device (the archive's: DEEP-ARCHIVE allows it its reading, R21
 * of lib/detect.c), or an officer's.
 */
static int device_kind(const dps_det_device *v, const char *records_post)
{
	if (dpp_is_decoy_officer(v->roles, v->nroles))
		return DP_DET_DEV_DECOY;
	dps_officer o;
	memset(&o, 0, sizeof o);
	snprintf(o.post, sizeof o.post, "%s", v->post);
	memcpy(o.roles, v->roles, sizeof o.roles);
	o.nroles = v->nroles;
	return dpp_is_records_officer(&o, records_post) ? DP_DET_DEV_RECORDS : DP_DET_DEV_PLAIN;
}

static int reg_device(void *ctx, const dps_det_device *v)
{
	struct reg_ctx *x = ctx;
	int active = v->status == DPS_ACTIVE && v->officer_status == DPS_ACTIVE;
	/* a suspension the engine made whose op is still being written stays */
	for (size_t i = 0; i < x->d->ntrack; i++)
		if (x->d->track[i].kind == DPS_CK_SUSPEND && x->d->track[i].cid < 0 &&
		    memcmp(x->d->track[i].device, v->id, 32) == 0)
			active = 0;
	int r = dp_det_device(x->d->eng, v->id, v->officer, active, device_kind(v, x->records_post));
	return r == DP_OK || r == DP_EINVAL || r == DP_ENOTFOUND ? DP_OK : r;
}

/* Registers the directory if it changed since last time (or an hour passed). */
static int det_register(dpd_server *srv, int force)
{
	struct dpd_det *d = srv->det;
	int r = dps_dir_sync(srv->store);
	if (r)
		return r;
	int64_t v = dps_dir_version(srv->store);
	time_t now = (time_t)dpd_now(srv);
	if (!force && v == d->dirver && now - d->loaded_at < DET_RELOAD_S)
		return DP_OK;
	struct reg_ctx x = {d, now, 0, srv->cfg.records_post};
	r = dps_post_list(srv->store, reg_post, &x);
	if (!r)
		r = dps_officer_list(srv->store, reg_officer, &x);
	if (!r)
		r = dps_det_devices(srv->store, reg_device, &x);
	if (!r) {
		d->dirver = v;
		d->loaded_at = now;
	}
	return r;
}

/* ---- alerts: from the engine to the writer ---- */

static void track_add(struct dpd_det *d, const uint8_t dev[32], int kind)
{
	if (d->ntrack == DET_TRACK_MAX) {
		fprintf(stderr, "denpod: detect: %d automatic steps followed; the oldest is no longer "
				"followed for undo\n", DET_TRACK_MAX);
		memmove(d->track, d->track + 1, (DET_TRACK_MAX - 1) * sizeof d->track[0]);
		d->ntrack--;
	}
	det_track *t = &d->track[d->ntrack++];
	memcpy(t->device, dev, 32);
	t->kind = kind;
	t->cid = -1;
}

static void track_drop(struct dpd_det *d, size_t i)
{
	memmove(d->track + i, d->track + i + 1, (d->ntrack - i - 1) * sizeof d->track[0]);
	d->ntrack--;
}

static void metric_add(struct dpd_det *d, const char *name, const char *k1, const char *v1,
		       const char *k2, const char *v2)
{
	if (!d->met)
		return;
	int r = k2 ? dpo_metric_add(d->met, name, 1, k1, v1, k2, v2, (const char *)NULL)
	      : k1 ? dpo_metric_add(d->met, name, 1, k1, v1, (const char *)NULL)
		   : dpo_metric_add(d->met, name, 1, (const char *)NULL);
	(void)r; /* a metric that cannot be counted is not worth failing a request for */
}

/* An alert reported (once per incident: not one another instance logged first). */
static void count_alert(struct dpd_det *d, const dp_det_alert *a)
{
	metric_add(d, "denpod_detect_alerts_total", "rule", dp_det_rule_name(a->rule), "mode",
		   dp_det_mode_name(a->mode));
	if (a->page)
		metric_add(d, "denpod_detect_pages_total", "rule", dp_det_rule_name(a->rule), NULL, NULL);
	if (a->withheld)
		metric_add(d, "denpod_containment_withheld_total", "reason",
			   a->withheld == DP_DET_WH_CAP ? "cap" : "last-device", NULL, NULL);
}

static void on_alert(void *ctx, const dp_det_alert *a)
{
	dpd_server *srv = ctx;
	struct dpd_det *d = srv->det;
	dpd_op *op = dpd_op_new(&dpd_op_alert, sizeof(struct op_alert), NULL);
	if (!op) {
		/* never lose an alert: report it unlogged */
		fprintf(stderr, "denpod: detect: out of memory; alert %s not logged\n",
			dp_det_rule_name(a->rule));
		count_alert(d, a);
		(void)dpo_emit_alert(d->out, a, -1);
		return;
	}
	struct op_alert *k = DPD_OP_OF(op, struct op_alert);
	k->alert = *a;
	op->t = a->t_ms / 1000;
	k->cid = -1;
	k->inst = d->cur_inst;
	k->lseq = d->cur_lseq;
	int64_t re = d->cfg.p[DP_P_REALERT_SECONDS] * 1000;
	k->window_ms = re < DET_DUP_WINDOW_MS ? re : DET_DUP_WINDOW_MS;
	if (a->action == DP_DET_SUSPEND) {
		k->until = op->t + d->cfg.p[DP_P_SUSPEND_SECONDS];
		track_add(d, a->device, DPS_CK_SUSPEND);
	} else if (a->action == DP_DET_THROTTLE) {
		int64_t until_ms = dp_det_throttled_until(d->eng, a->device);
		k->until = until_ms > 0 ? (until_ms + 999) / 1000
					: op->t + d->cfg.p[DP_P_THROTTLE_SECONDS];
		if (!tracked(d, a->device, DPS_CK_THROTTLE))
			track_add(d, a->device, DPS_CK_THROTTLE);
	}
	dpd_batch_add(srv, op);
}

/* ---- requests ---- */

static void addr16(const char *addr, uint8_t out[16])
{
	if (!addr[0] || dp_det_addr_parse(addr, out))
		memset(out, 0, 16);
}

int dpd_det_request(dpd_server *srv, dpd_req *rq, dp_det_event *e)
{
	struct dpd_det *d = srv->det;
	if (!d || !rq->authed)
		return 0;
	/*
	 * The request passed the directory's check (device and officer active,
	 * dpd_api_handle), so the engine must not block it on an older view: a
	 * device reinstated a moment ago is active here too, not only after the
	 * next tick's reload.  Except while a suspension the engine made is
	 * still being written (its device is not suspended in the store yet).
	 */
	/*
	 * Several instances: a containment step written anywhere bumps the
	 * directory version (trigger det_containments), which route.c read for
	 * this request (or at most DPS_DIR_FRESH_MS before it: store.h): the
	 * steps are read again before its verdict, so a throttle made on another
	 * instance holds from the device's next request here (1 ms after it is
	 * committed at the latest), not from whenever the notification is heard.
	 */
	if (d->feed && dps_dir_version(srv->store) != d->stepver) {
		d->stepver = dps_dir_version(srv->store);
		steps_changed(srv);
	}
	int pending = 0;
	for (size_t i = 0; i < d->ntrack && !pending; i++)
		pending = d->track[i].kind == DPS_CK_SUSPEND && d->track[i].cid < 0 &&
			  memcmp(d->track[i].device, rq->devid, 32) == 0;
	if (!pending)
		ignore(dp_det_device_status(d->eng, rq->devid, 1));
	rq->det_fed = 1;
	e->t_ms = dpd_now(srv) * 1000 + 0; /* the request's judged time */
	struct timespec ts;
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0 && ts.tv_sec == e->t_ms / 1000)
		e->t_ms += ts.tv_nsec / 1000000; /* milliseconds within the same second */
	memcpy(e->device, rq->devid, 32);
	addr16(rq->addr, e->addr);
	d->cur_inst = dpd_feed_inst(d->feed);
	d->cur_lseq = ++d->lseq;
	dpd_feed_share(d->feed, d->cur_lseq, e); /* the other instances' engines see it too */
	int v = dp_det_feed(d->eng, e);
	if (e->kind == DP_DET_FETCH)
		metric_add(d, "denpod_cable_fetches_total", "verdict",
			   v == DP_DET_ALLOW ? "allowed" : v == DP_DET_THROTTLED ? "throttled" : "blocked",
			   NULL, NULL);
	if (v == DP_DET_ALLOW)
		return 0;
	if (v == DP_DET_THROTTLED) {
		int64_t until = dp_det_throttled_until(d->eng, e->device);
		(void)until;
		if (rq->req)
			evhttp_add_header(evhttp_request_get_output_headers(rq->req), "Retry-After", "60");
		dpd_reply_error(rq, 429, DP_EDENIED,
				"this device is fetching faster than its post's security rules allow "
				"and is throttled; retry after 60 s, or ask the security office");
		return 1;
	}
	dpd_reply_error(rq, 403, DP_EDEVICE, "this device is suspended; ask the switch operator");
	return 1;
}

int dpd_det_search(dpd_server *srv, dpd_req *rq, int64_t copies)
{
	dp_det_event e;
	memset(&e, 0, sizeof e);
	e.kind = DP_DET_SEARCH;
	e.cable_seq = -1;
	e.copies = copies < 0 ? 0 : copies > DP_DET_COPIES_MAX ? DP_DET_COPIES_MAX : copies;
	return dpd_det_request(srv, rq, &e);
}

/* An event another instance shared (detect_feed.h): judged here as if it were this one's. */
static void remote_event(void *ctx, int64_t inst, int64_t lseq, const dp_det_event *e)
{
	dpd_server *srv = ctx;
	struct dpd_det *d = srv->det;
	d->cur_inst = inst;
	d->cur_lseq = lseq;
	(void)dp_det_feed(d->eng, e); /* its verdict was the other instance's to give */
}

void dpd_det_heard(dpd_server *srv, const char *payload)
{
	struct dpd_det *d = srv->det;
	if (!d || !d->feed)
		return;
	if (!payload || strcmp(payload, "c") != 0) {
		if (!payload || dpd_feed_heard(d->feed, payload))
			dpd_feed_read(d->feed);
	}
	if (!payload || strcmp(payload, "c") == 0)
		steps_changed(srv);
}

/* srv->denied (req.h): a refusal (400/403) of an authenticated request is a DENIED weak signal. */
static void det_denied(dpd_server *srv, dpd_req *rq)
{
	if (!srv || !srv->det || !rq->authed || rq->det_fed)
		return;
	dp_det_event e;
	memset(&e, 0, sizeof e);
	e.kind = DP_DET_DENIED;
	e.cable_seq = -1;
	(void)dpd_det_request(srv, rq, &e); /* the refusal is being answered already */
}

/* ---- the writer's side ---- */

/* Text for a log entry: printable ASCII, no edge spaces, at most DP_LOG_TEXT_MAX. */
static void log_text(char out[DP_LOG_TEXT_MAX + 1], const char *in)
{
	size_t n = 0;
	for (const char *p = in; *p && n < DP_LOG_TEXT_MAX; p++)
		out[n++] = *p >= 0x20 && *p <= 0x7e ? *p : '?';
	while (n && out[n - 1] == ' ')
		n--;
	out[n] = 0;
	size_t lead = strspn(out, " ");
	if (lead)
		memmove(out, out + lead, n - lead + 1);
	if (!out[0])
		snprintf(out, DP_LOG_TEXT_MAX + 1, "-");
}

static void utc_text(char out[32], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm))
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(out, 32, "%lld", (long long)t);
}

static int log_containment(dps_store *st, dpl_enc *x, int64_t t, const char *action,
			   const uint8_t dev[32], const char *op, const char *detail)
{
	dp_logent *e = dpl_ent(x, DP_LOG_CONTAINMENT, t);
	snprintf(e->act, sizeof e->act, "%s", action);
	if (dev) {
		memcpy(e->device, dev, 32);
		e->has_device = 1;
	}
	log_text(e->operator_, op);
	log_text(e->text, detail);
	return dpl_put(st, x, NULL);
}

static int log_status(dps_store *st, dpl_enc *x, int64_t t, int event, const uint8_t dev[32],
		      const char *op, const char *reason)
{
	dp_logent *e = dpl_ent(x, event, t);
	memcpy(e->device, dev, 32);
	log_text(e->operator_, op);
	log_text(e->text, reason);
	return dpl_put(st, x, NULL);
}

static int alert_write(dps_store *st, dpl_enc *x, dpd_op *op, int *logged)
{
	struct op_alert *k = DPD_OP_OF(op, struct op_alert);
	const dp_det_alert *a = &k->alert;
	const char *rule = dp_det_rule_name(a->rule);
	/* several instances: the first to log this incident's alert writes it, the others nothing */
	int first;
	int r = dps_det_claim(st, a->device, rule, a->action, a->t_ms, k->window_ms, k->inst,
			      k->lseq, &first);
	if (r)
		return r;
	k->dup = !first;
	if (k->dup)
		return DP_OK;
	char detail[DP_LOG_TEXT_MAX + 1];
	log_text(detail, a->detail);
	uint64_t idx;
	r = dpl_alert(st, x, op->t, rule, a->device, detail, &idx);
	if (r)
		return r;
	op->log_idx = (int64_t)idx;
	(*logged)++;
	if (a->action != DP_DET_SUSPEND && a->action != DP_DET_THROTTLE)
		return DP_OK;
	dps_device dev;
	r = dps_device_get(st, a->device, &dev);
	if (r)
		return r == DP_ENOTFOUND ? DP_OK : r; /* gone: nothing to contain */
	dps_containment c;
	memset(&c, 0, sizeof c);
	memcpy(c.device, a->device, 32);
	c.kind = a->action == DP_DET_SUSPEND ? DPS_CK_SUSPEND : DPS_CK_THROTTLE;
	snprintf(c.rule, sizeof c.rule, "%s", rule);
	c.created = op->t;
	c.until = k->until;
	c.state = DPS_CS_ACTIVE;
	c.alert_log = op->log_idx;
	char until[32], why[2 * DP_LOG_TEXT_MAX];
	utc_text(until, k->until);
	if (c.kind == DPS_CK_SUSPEND) {
		if (dev.status != DPS_ACTIVE)
			return DP_OK; /* an operator acted first: nothing automatic to add */
		r = dps_device_set_status(st, a->device, DPS_SUSPENDED);
		snprintf(why, sizeof why, "containment of alert %s", rule);
		if (!r)
			r = log_status(st, x, op->t, DP_LOG_DEVICE_SUSPENDED, a->device, "auto", why);
		if (!r)
			(*logged)++;
		snprintf(c.detail, sizeof c.detail, "suspended by alert %s (log entry %lld) until %s "
			 "unless an operator confirms it", rule, (long long)op->log_idx, until);
	} else {
		snprintf(c.detail, sizeof c.detail, "throttled by alert %s (log entry %lld) until %s",
			 rule, (long long)op->log_idx, until);
	}
	dps_containment open;
	int ext = c.kind == DPS_CK_THROTTLE ? dps_contain_open_for(st, a->device, DPS_CK_THROTTLE, &open)
					    : DP_ENOTFOUND;
	if (!r && ext == DP_OK) {
		/* one throttle per device: a second rule extends the open step */
		r = dps_contain_set(st, open.id, open.state, open.operator_, 0,
				    k->until > open.until ? k->until : open.until);
		if (r)
			return r;
		k->cid = open.id;
		snprintf(why, sizeof why, "step %lld extended by alert %s (log entry %lld) until %s",
			 (long long)open.id, rule, (long long)op->log_idx, until);
		r = log_containment(st, x, op->t, "THROTTLE-DEVICE", a->device, "auto", why);
		*logged += !r;
		return r;
	}
	if (!r && ext != DP_ENOTFOUND)
		r = ext;
	if (!r)
		r = dps_contain_add(st, &c);
	if (r)
		return r;
	k->cid = c.id;
	snprintf(why, sizeof why, "step %lld: %s; undo: denpod contain undo %lld", (long long)c.id,
		 c.detail, (long long)c.id);
	r = log_containment(st, x, op->t,
			    c.kind == DPS_CK_SUSPEND ? "SUSPEND-DEVICE" : "THROTTLE-DEVICE",
			    a->device, "auto", why);
	if (!r)
		(*logged)++;
	return r;
}

#define LAPSE_MAX 256

struct lapse_ctx {
	dps_containment *c;
	size_t n;
};

static int lapse_collect(void *ctx, const dps_containment *c)
{
	struct lapse_ctx *x = ctx;
	if (x->n < LAPSE_MAX)
		x->c[x->n++] = *c;
	return DP_OK;
}

static int lapse_write(dps_store *st, dpl_enc *x, dpd_op *op, int *logged)
{
	struct lapse_ctx lc = {calloc(LAPSE_MAX, sizeof(dps_containment)), 0};
	if (!lc.c)
		return DP_ENOMEM;
	int r = dps_contain_due(st, op->t, lapse_collect, &lc);
	json_t *done = json_array();
	if (!done)
		r = r ? r : DP_ENOMEM;
	for (size_t i = 0; !r && i < lc.n; i++) {
		const dps_containment *c = &lc.c[i];
		char why[DP_LOG_TEXT_MAX + 1];
		r = dps_contain_set(st, c->id, DPS_CS_LAPSED, "auto", op->t, c->until);
		snprintf(why, sizeof why, "step %lld (%s by alert %s) lapsed unconfirmed at its "
			 "time box", (long long)c->id, dps_contain_kind_name(c->kind), c->rule);
		if (!r)
			r = log_containment(st, x, op->t, "LAPSE", c->device, "auto", why);
		*logged += !r;
		if (!r && c->kind == DPS_CK_SUSPEND) {
			/*
			 * Reinstated only if nothing else holds it: another automatic
			 * suspension still open, or an operator's (which confirmed or
			 * ended this step: it would not be lapsing).
			 */
			dps_device dev;
			dps_containment other;
			int o = dps_contain_open_for(st, c->device, DPS_CK_SUSPEND, &other);
			r = o == DP_ENOTFOUND ? dps_device_get(st, c->device, &dev) : o;
			if (!r && o == DP_ENOTFOUND && dev.status == DPS_SUSPENDED) {
				r = dps_device_set_status(st, c->device, DPS_ACTIVE);
				snprintf(why, sizeof why, "time-boxed suspension %lld (alert %s) lapsed "
					 "unconfirmed", (long long)c->id, c->rule);
				if (!r)
					r = log_status(st, x, op->t, DP_LOG_DEVICE_REINSTATED, c->device,
						       "auto", why);
				*logged += !r;
			}
			if (r == DP_ENOTFOUND)
				r = DP_OK;
		}
		if (!r) {
			char hex[65];
			dp_hex_encode(hex, c->device, 32);
			json_array_append_new(done, json_pack("{s:I,s:s,s:i,s:s}", "id",
							      (json_int_t)c->id, "device", hex,
							      "kind", c->kind, "rule", c->rule));
		}
	}
	free(lc.c);
	if (r)
		json_decref(done);
	else
		DPD_OP_OF(op, struct op_lapse)->json = done;
	return r;
}

/*
 * The configuration's admin entry, unless the last one logged says the
 * same (a restart with an unchanged detect.conf adds nothing to the log).
 * data = "WHEN: SUMMARY"; the summary is what is compared.
 */
static int config_write(dps_store *st, dpl_enc *x, dpd_op *op, int *logged)
{
	char text[DP_LOG_TEXT_MAX + 1], last[DP_LOG_TEXT_MAX + 1];
	log_text(text, DPD_OP_OF(op, struct op_config)->detail);
	const char *summary = strstr(text, ": ");
	summary = summary ? summary + 2 : text;
	int r = dps_meta_get(st, "detect_config", last, sizeof last);
	if (r == DP_ETOOBIG)
		r = DP_OK, last[0] = 0;
	if (r || strcmp(last, summary) == 0)
		return r;
	dp_logent *e = dpl_ent(x, DP_LOG_ADMIN, op->t);
	snprintf(e->operator_, sizeof e->operator_, "denpod");
	snprintf(e->act, sizeof e->act, "DETECT-CONFIG");
	snprintf(e->text, sizeof e->text, "%s", text);
	r = dpl_put(st, x, NULL);
	if (!r)
		r = dps_meta_put(st, "detect_config", summary);
	*logged += !r;
	return r;
}

/* ---- after the commit ---- */

void dpd_det_report(dpd_server *srv, const dpd_op *op, const char *action, const char *rule,
		    const uint8_t device[32], const char *detail)
{
	dpo_action a;
	memset(&a, 0, sizeof a);
	a.kind = DPO_KIND_LOG;
	a.t_ms = op->t * 1000;
	a.action = action;
	a.device = device;
	a.rule = rule;
	a.id = -1;
	a.detail = detail;
	a.log_index_valid = 1;
	a.log_index = op->log_idx;
	dpd_det_step(srv, &a);
}

void dpd_det_step(dpd_server *srv, dpo_action *a)
{
	struct dpd_det *d = srv->det;
	dps_device v;
	dps_officer o;
	if (!d)
		return;
	/* whose device: for the SOC reading the alert stream */
	if (a->device && dps_device_get(srv->store, a->device, &v) == DP_OK &&
	    dps_officer_get(srv->store, v.officer, &o) == DP_OK) {
		a->officer = o.handle;
		a->post = o.post;
	}
	(void)dpo_emit_action(d->out, a);
	a->officer = a->post = NULL; /* they pointed here */
}

static void emit_step(dpd_server *srv, const char *action, const char *op_name,
		      const uint8_t dev[32], const char *rule, int64_t id, int64_t until,
		      const char *detail, int64_t t_ms, int64_t log_index)
{
	struct dpd_det *d = srv->det;
	dpo_action a;
	memset(&a, 0, sizeof a);
	a.t_ms = t_ms;
	a.action = action;
	a.operator_ = op_name;
	a.device = dev;
	a.rule = rule;
	a.id = id;
	a.until = until;
	a.detail = detail;
	a.log_index_valid = log_index >= 0;
	a.log_index = log_index;
	dpd_det_step(srv, &a);
	metric_add(d, "denpod_containment_actions_total", "action", action, "mode", "auto");
}

static void config_answer(dpd_server *srv, dpd_op *op)
{
	if (srv->det && op->result)
		fprintf(stderr, "denpod: detect: the configuration could not be logged (%s)\n",
			dp_strerror(op->result));
}

const dpd_op_type dpd_op_config = {"CONFIG", config_write, config_answer, NULL, NULL};

static void lapse_answer(dpd_server *srv, dpd_op *op)
{
	struct dpd_det *d = srv->det;
	if (!d)
		return;
	d->lapse_busy = 0;
	if (op->result)
		return; /* rolled back: nothing lapsed; the next tick tries again */
	size_t i;
	json_t *v;
	json_array_foreach(DPD_OP_OF(op, struct op_lapse)->json, i, v)
	{
		uint8_t dev[32];
		const char *hex = json_string_value(json_object_get(v, "device"));
		int kind = (int)json_integer_value(json_object_get(v, "kind"));
		if (!hex || dp_hex_decode(dev, 32, hex, strlen(hex)))
			continue;
		if (kind == DPS_CK_SUSPEND)
			d->dirver = -2; /* reinstated, or still held: the store says which */
		else
			ignore(dp_det_unthrottle(d->eng, dev));
		for (size_t k = 0; k < d->ntrack; k++)
			if (d->track[k].cid == json_integer_value(json_object_get(v, "id"))) {
				track_drop(d, k);
				break;
			}
		emit_step(srv, "lapse", "auto", dev, json_string_value(json_object_get(v, "rule")),
			  (int64_t)json_integer_value(json_object_get(v, "id")), 0,
			  "the time box ran out unconfirmed", op->t * 1000, -1);
	}
}

static void lapse_free(dpd_op *op)
{
	json_decref(DPD_OP_OF(op, struct op_lapse)->json);
}

const dpd_op_type dpd_op_lapse = {"LAPSE", lapse_write, lapse_answer, NULL, lapse_free};

static void alert_answer(dpd_server *srv, dpd_op *op)
{
	struct dpd_det *d = srv->det;
	if (!d)
		return;
	struct op_alert *k = DPD_OP_OF(op, struct op_alert);
	const dp_det_alert *a = &k->alert;
	if (op->result == DP_ESTORE && k->tries < 3 && !srv->stopping) {
		/* rolled back (a store failure): the same alert and step again, at most 3 times */
		dpd_op *again = dpd_op_new(&dpd_op_alert, sizeof(struct op_alert), &op->rq);
		if (again) {
			struct op_alert *g = DPD_OP_OF(again, struct op_alert);
			g->alert = k->alert;
			again->t = op->t;
			g->until = k->until;
			g->cid = -1;
			g->tries = k->tries + 1;
			g->inst = k->inst;
			g->lseq = k->lseq;
			g->window_ms = k->window_ms;
			again->rq.req = NULL;
			dpd_batch_add(srv, again);
			return;
		}
	}
	int kind = a->action == DP_DET_SUSPEND ? DPS_CK_SUSPEND
		 : a->action == DP_DET_THROTTLE ? DPS_CK_THROTTLE : 0;
	if (op->result || k->dup) {
		if (op->result)
			fprintf(stderr, "denpod: detect: alert %s could not be logged (%s); it is "
					"reported unlogged and its step is released\n",
				dp_det_rule_name(a->rule), dp_strerror(op->result));
		/*
		 * Nothing durable of ours to follow or undo: the engine lets the
		 * device go.  After another instance's alert, what that one
		 * stored holds the device here too: a suspension through the
		 * directory, a throttle through contain_sync, at once.
		 */
		if (a->action == DP_DET_SUSPEND)
			ignore(dp_det_device_status(d->eng, a->device, 1));
		else if (a->action == DP_DET_THROTTLE)
			ignore(dp_det_unthrottle(d->eng, a->device));
	}
	for (size_t i = 0; kind && i < d->ntrack; i++) {
		det_track *t = &d->track[i];
		if (t->cid < 0 && t->kind == kind && memcmp(t->device, a->device, 32) == 0) {
			if (op->result || k->dup || k->cid < 0)
				track_drop(d, i); /* nothing durable to follow */
			else
				t->cid = k->cid;
			break;
		}
	}
	if (!op->result && k->dup) {
		char hex[13];
		dp_hex_encode(hex, a->device, 6);
		dpd_say("denpod: detect: alert %s of device %s... was logged by another instance first; "
			"its step holds here", dp_det_rule_name(a->rule), hex);
		steps_changed(srv);
		return;
	}
	count_alert(d, a);
	(void)dpo_emit_alert(d->out, a, op->result ? -1 : op->log_idx);
	if (!kind)
		return;
	if (!op->result && k->cid >= 0)
		emit_step(srv, kind == DPS_CK_SUSPEND ? "suspend" : "throttle", "auto", a->device,
			  dp_det_rule_name(a->rule), k->cid, k->until, a->detail, a->t_ms,
			  op->log_idx);
}

const dpd_op_type dpd_op_alert = {"ALERT", alert_write, alert_answer, NULL, NULL};

/* ---- the tick: directory, lapses, undo ---- */

static int sync_step(void *ctx, const dps_containment *c)
{
	dpd_server *srv = ctx;
	struct dpd_det *d = srv->det;
	/* a step this engine made or already follows: its own track says what to do */
	if (c->kind != DPS_CK_THROTTLE || tracked(d, c->device, DPS_CK_THROTTLE))
		return DP_OK;
	if (dp_det_throttle(d->eng, c->device, dp_det_rule_by_name(c->rule), c->created * 1000,
			    c->until * 1000) != DP_OK)
		return DP_OK; /* a device this engine does not know yet (or a step without time) */
	track_add(d, c->device, DPS_CK_THROTTLE);
	d->track[d->ntrack - 1].cid = c->id;
	return DP_OK;
}

/*
 * Several instances: the open throttles another instance (or this one,
 * before a restart) stored, imposed on this engine and followed until they
 * end.  A suspension needs nothing here: it is the device's status in the
 * directory, whose version every request checks first (route.c; a reading
 * at most 1 ms old serves: store.h dps_dir_sync_recent).  Called on every
 * tick and whenever a step is written anywhere (DPS_CHAN_DET 'c').
 */
static void contain_sync(dpd_server *srv)
{
	struct dpd_det *d = srv->det;
	if (!d->feed)
		return;
	int r = dps_contain_list(srv->store, 1, DET_TRACK_MAX, sync_step, srv);
	if (r)
		dpd_say("denpod: detect: cannot read the containment steps (%s); retrying in a second",
			dp_strerror(r));
}

static void follow_steps(dpd_server *srv)
{
	struct dpd_det *d = srv->det;
	for (size_t i = 0; i < d->ntrack;) {
		det_track *t = &d->track[i];
		dps_containment c;
		if (t->cid < 0) {
			i++;
			continue;
		}
		int r = dps_contain_get(srv->store, t->cid, &c);
		if (r == DP_OK && (c.state == DPS_CS_ACTIVE || c.state == DPS_CS_CONFIRMED) &&
		    !(t->kind == DPS_CK_THROTTLE && !dp_det_throttled_until(d->eng, t->device))) {
			i++;
			continue;
		}
		if (r == DP_OK && c.state == DPS_CS_UNDONE) {
			/* an operator undid it (`denpod contain undo`): the engine forgets it */
			if (t->kind == DPS_CK_SUSPEND)
				d->dirver = -2; /* the store says what the device is now (revoked?) */
			/* `denpod contain undo` reported it to the alert outputs itself */
			metric_add(d, "denpod_containment_actions_total", "action", "undo", "mode",
				   "operator");
		}
		/* ended, whoever ended it (undo, lapse, reinstate, on any instance): no longer held */
		if (r == DP_OK && t->kind == DPS_CK_THROTTLE)
			ignore(dp_det_unthrottle(d->eng, t->device));
		track_drop(d, i);
	}
}

/*
 * A containment step was written somewhere (DPS_CHAN_DET 'c', or another
 * instance's alert won): open throttles imposed, ended ones lifted, now
 * rather than at the next tick.
 */
static void steps_changed(dpd_server *srv)
{
	contain_sync(srv);
	follow_steps(srv);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	dpd_server *srv = arg;
	struct dpd_det *d = srv->det;
	if (srv->stopping)
		return;
	if (det_register(srv, 0))
		fprintf(stderr, "denpod: detect: cannot read the directory; retrying in a second\n");
	dpd_feed_read(d->feed);
	dpd_feed_tick(d->feed, dpd_now(srv));
	steps_changed(srv);
	int due = 0;
	int64_t now = dpd_now(srv);
	if (!d->lapse_busy && dps_contain_any_due(srv->store, now, &due) == DP_OK && due) {
		dpd_op *op = dpd_op_new(&dpd_op_lapse, sizeof(struct op_lapse), NULL);
		if (op) {
			op->t = now;
			d->lapse_busy = 1;
			dpd_batch_add(srv, op);
		}
	}
}

/*
 * The configuration in force, for the log: the file's SHA-256 (or "absent:
 * defaults"), the rules not enforced, the numbers not at their default and
 * how many networks.  Written when it changes (at start, on SIGHUP), so an
 * auditor sees a rule turned off before what it would have caught.
 */
static void log_config(dpd_server *srv, const char *when)
{
	struct dpd_det *d = srv->det;
	char detail[DP_LOG_TEXT_MAX + 1], hex[17] = "";
	dp_buf b;
	dp_buf_init(&b, 1 << 20);
	if (access(d->conf_path, F_OK) == 0 && dp_read_file(d->conf_path, &b) == DP_OK) {
		uint8_t h[32];
		dp_sha256(h, b.p, b.len);
		dp_hex_encode(hex, h, 8);
	}
	dp_buf_free(&b);
	size_t n = (size_t)snprintf(detail, sizeof detail, "%s: %s, detect.conf %s%s", when,
				    DPD_VERSION, hex[0] ? "sha256 " : "absent, defaults", hex);
	for (int m = DP_DET_OFF; m <= DP_DET_REPORT && n < sizeof detail; m++) {
		n += (size_t)snprintf(detail + n, sizeof detail - n, "; %s:", dp_det_mode_name(m));
		int any = 0;
		for (int r = 0; r < DP_R_COUNT && n < sizeof detail; r++)
			if (d->cfg.mode[r] == m) {
				n += (size_t)snprintf(detail + n, sizeof detail - n, "%s%s", any ? "," : " ",
						      dp_det_rule_name(r));
				any = 1;
			}
		if (!any && n < sizeof detail)
			n += (size_t)snprintf(detail + n, sizeof detail - n, " none");
	}
	int changed = 0;
	for (int i = 0; i < DP_P_COUNT && n < sizeof detail; i++)
		if (d->cfg.p[i] != dp_det_params[i].def)
			n += (size_t)snprintf(detail + n, sizeof detail - n, "%s %s=%lld",
					      changed++ ? "," : "; changed:", dp_det_params[i].name,
					      (long long)d->cfg.p[i]);
	if (n < sizeof detail)
		snprintf(detail + n, sizeof detail - n, "; networks: %zu", d->cfg.nnets);
	dpd_op *op = dpd_op_new(&dpd_op_config, sizeof(struct op_config), NULL);
	if (!op) {
		fprintf(stderr, "denpod: detect: out of memory; the configuration is not logged\n");
		return;
	}
	snprintf(DPD_OP_OF(op, struct op_config)->detail, DP_LOG_TEXT_MAX + 1, "%s", detail);
	op->t = dpd_now(srv);
	dpd_batch_add(srv, op);
}

static void hup_cb(evutil_socket_t fd, short what, void *arg)
{
	dpd_server *srv = arg;
	struct dpd_det *d = srv->det;
	dp_det_config c;
	int r = dpd_det_check_file(d->conf_path, &c);
	if (r == DP_OK || r == DP_ENOTFOUND) {
		if (dp_det_reconfigure(d->eng, &c) == DP_OK) {
			dp_det_config_free(&d->cfg);
			d->cfg = c;
			fprintf(stderr, "denpod: SIGHUP: detection configuration re-read%s\n",
				r == DP_ENOTFOUND ? " (no detect.conf: defaults)" : "");
			log_config(srv, "re-read on SIGHUP");
		} else {
			dp_det_config_free(&c);
		}
	} else {
		dp_det_config_free(&c);
		fprintf(stderr, "denpod: SIGHUP: keeping the running detection configuration\n");
	}
	/* the file after logrotate moved it away: the signer makes it (signer.h, REOPEN) */
	int nfd = -1;
	r = dpsg_reopen(srv->signer, &nfd);
	if (r == DP_OK)
		r = dpo_reopen_fd(d->out, nfd);
	if (r == DP_OK)
		fprintf(stderr, "denpod: SIGHUP: alert file reopened\n");
	else if (r != DP_ENOTFOUND)
		fprintf(stderr, "denpod: SIGHUP: cannot reopen the alert file (%s): alerts go on to "
				"the file that was open\n", dp_strerror(r));
}

/* ---- metrics (rendered by the metrics listener, denpod/health.h) ---- */

/* Adds to a counter what a running total gained since the last scrape. */
static int catch_up(dpo_metrics *m, const char *name, uint64_t total, uint64_t *seen)
{
	uint64_t d = total > *seen ? total - *seen : 0;
	*seen = total > *seen ? total : *seen;
	return d ? dpo_metric_add(m, name, (double)d, (const char *)NULL) : DP_OK;
}

int dpd_det_metrics(dpd_server *srv, dp_buf *out)
{
	struct dpd_det *d = srv->det;
	if (!d)
		return DP_OK;
	dp_det_stats s;
	dp_det_get_stats(d->eng, &s);
	int r = catch_up(d->met, "denpod_detect_events_total", s.events, &d->events_seen);
	if (!r)
		r = catch_up(d->met, "denpod_alert_output_errors_total", dpo_errors(d->out),
			     &d->errors_seen);
	size_t thr = 0, sus = 0;
	for (size_t i = 0; i < d->ntrack; i++)
		d->track[i].kind == DPS_CK_THROTTLE ? thr++ : sus++;
	if (!r)
		r = dpo_metric_set(d->met, "denpod_detect_throttled_devices", (double)thr,
				   (const char *)NULL);
	if (!r)
		r = dpo_metric_set(d->met, "denpod_detect_auto_suspended_devices", (double)sus,
				   (const char *)NULL);
	return r ? r : dpo_metrics_render(d->met, out);
}

static int metrics_declare(dpo_metrics *m)
{
	static const struct {
		const char *name, *type, *help;
	} f[] = {
		{"denpod_detect_events_total", "counter", "Requests seen by detection."},
		{"denpod_detect_alerts_total", "counter", "Alerts by rule and mode (report or enforce)."},
		{"denpod_detect_pages_total", "counter", "Alerts that paged a human, by rule."},
		{"denpod_containment_actions_total", "counter",
		 "Containment steps by action and mode (auto or operator)."},
		{"denpod_containment_withheld_total", "counter",
		 "Automatic suspensions withheld by a safeguard, by reason."},
		{"denpod_cable_fetches_total", "counter", "Cable fetches by detection verdict."},
		{"denpod_detect_throttled_devices", "gauge", "Devices throttled now by detection."},
		{"denpod_detect_auto_suspended_devices", "gauge",
		 "Automatic suspensions the switch follows now."},
		{"denpod_alert_output_errors_total", "counter", "Alert writes or sends that failed."},
		{"denpod_store_damage_total", "counter",
		 "Damaged stored copies found, by part (kind) and by who found them (reason: fetch, "
		 "scrub)."},
	};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		int r = dpo_metric_declare(m, f[i].name, f[i].type, f[i].help);
		if (r)
			return r;
	}
	return DP_OK;
}

/* ---- open, close ---- */

int dpd_det_outputs_open(const dpc_config *cfg, dpo_out **o, char *err, size_t errcap)
{
	char file[DPC_PATH_MAX];
	int r = dpc_alerts_path(cfg, file, sizeof file);
	if (r && r != DP_ENOTFOUND)
		return r;
	const char *fp = r ? NULL : file;
	/* host NULL: the machine's name (gethostname) */
	dpo_sinks s = {.file = fp, .syslog = cfg->syslog[0] ? cfg->syslog : NULL,
		       .facility = cfg->syslog_facility, .enterprise = cfg->syslog_enterprise,
		       .tls_pin = cfg->syslog_pin, .host = NULL};
	return dpo_open_sinks(o, &s, err, errcap);
}

int dpd_det_open(dpd_server *srv)
{
	struct dpd_det *d = calloc(1, sizeof *d);
	if (!d)
		return DP_ENOMEM;
	srv->det = d;
	srv->denied = det_denied;
	d->dirver = -2;
	d->stepver = -2;
	int r = dpc_path(&srv->cfg, "detect.conf", d->conf_path, sizeof d->conf_path);
	if (!r) {
		r = dpd_det_check_file(d->conf_path, &d->cfg);
		if (r == DP_ENOTFOUND)
			r = DP_OK;
		else if (r)
			fprintf(stderr, "denpod: not starting: fix %s (`denpod detect check` shows "
					"the same)\n", d->conf_path);
	}
	if (!r && (r = dp_det_new(&d->eng, &d->cfg, on_alert, srv)))
		fprintf(stderr, "denpod: cannot start detection: %s\n", dp_strerror(r));
	char err[512] = "";
	if (!r && (r = dpd_det_outputs_open(&srv->cfg, &d->out, err, sizeof err)))
		fprintf(stderr, "denpod: alert outputs: %s\n", err[0] ? err : dp_strerror(r));
	if (!r)
		dpo_syslog_notes(srv->cfg.syslog, srv->cfg.syslog_enterprise);
	if (!r && !(r = dpo_metrics_new(&d->met)))
		r = metrics_declare(d->met);
	if (!r && (r = det_register(srv, 1)))
		fprintf(stderr, "denpod: detect: cannot read the directory\n");
	/* several instances: their events, and the steps they took before this one started */
	if (!r && !(r = dpd_feed_open(&d->feed, srv->base, srv->store, remote_event, srv)))
		contain_sync(srv);
	struct timeval tv = {DET_TICK_MS / 1000, (DET_TICK_MS % 1000) * 1000};
	if (!r) {
		d->tick = event_new(srv->base, -1, EV_PERSIST, tick_cb, srv);
		d->hup = evsignal_new(srv->base, SIGHUP, hup_cb, srv);
		if (!d->tick || !d->hup || event_add(d->tick, &tv) || event_add(d->hup, NULL))
			r = DP_ENOMEM;
	}
	if (r) {
		dpd_det_close(srv);
		return r;
	}
	log_config(srv, "at start");
	return DP_OK;
}

void dpd_det_close(dpd_server *srv)
{
	struct dpd_det *d = srv->det;
	if (!d)
		return;
	if (d->tick)
		event_free(d->tick);
	if (d->hup)
		event_free(d->hup);
	dpd_feed_close(d->feed);
	dpo_metrics_free(d->met);
	dpo_close(d->out);
	dp_det_free(d->eng);
	dp_det_config_free(&d->cfg);
	free(d);
	srv->det = NULL;
	srv->denied = NULL;
}

/* ---- damage to the store (denpod/check.h) ---- */

void dpd_det_damage(dpd_server *srv, const dpo_damage *x)
{
	struct dpd_det *d = srv->det;
	/* the switch's own log too: the operator reads it first */
	dpd_say("denpod: DAMAGE (%s): %s: %s", x->found_by, x->part, x->detail);
	if (!d)
		return;
	metric_add(d, "denpod_store_damage_total", "kind", x->part, "reason", x->found_by);
	(void)dpo_emit_damage(d->out, x);
}
