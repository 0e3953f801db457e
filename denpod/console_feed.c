/*
 * denpod/console_feed.c - what `denpod console` follows in the
 * transparency log (denpod/console.h): every alert the switch logged (its
 * rule, device and Detail, the explanation the detection engine wrote:
 * what was seen, in which window, against which threshold) and every
 * cable-delivered / cable-fetched entry, counted per post of the fetching
 * device and per minute for the fetch-rate chart.
 *
 * The log is the record both come from (the alert file is an export of
 * it), so the console shows what any auditor can check, from any
 * instance's store.  It reads forward from where it stopped: a request
 * costs what the log gained since the last one.
 */
#include <stdlib.h>
#include <string.h>

#include "denpo/encoding.h"
#include "denpo/epoch.h"
#include "denpod/admin.h"
#include "denpod/console.h"

int dpcs_feed_init(dpcs_feed *f)
{
	memset(f, 0, sizeof *f);
	f->e = malloc(sizeof *f->e);
	return f->e ? DP_OK : DP_ENOMEM;
}

void dpcs_feed_free(dpcs_feed *f)
{
	free(f->e);
	free(f->devs);
	memset(f, 0, sizeof *f);
}

static int dev_cmp(const void *a, const void *b)
{
	return memcmp(((const dpcs_dev *)a)->id, ((const dpcs_dev *)b)->id, 32);
}

struct devs {
	dpcs_dev *d;
	size_t n, cap;
};

static int dev_add(void *ctx, const dps_det_device *d)
{
	struct devs *x = ctx;
	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 256;
		if (cap > SIZE_MAX / sizeof *x->d)
			return DP_ENOMEM;
		dpcs_dev *p = realloc(x->d, cap * sizeof *p);
		if (!p)
			return DP_ENOMEM;
		x->d = p;
		x->cap = cap;
	}
	dpcs_dev *v = &x->d[x->n++];
	memcpy(v->id, d->id, 32);
	snprintf(v->officer, sizeof v->officer, "%s", d->officer);
	snprintf(v->post, sizeof v->post, "%s", d->post);
	return DP_OK;
}

/* The directory's devices again (once per update at most: a device enrolled since). */
static int devs_load(dpcs_feed *f, dps_store *s)
{
	struct devs x = {NULL, 0, 0};
	int r = dps_det_devices(s, dev_add, &x);
	if (r) {
		free(x.d);
		return r;
	}
	qsort(x.d, x.n, sizeof *x.d, dev_cmp);
	free(f->devs);
	f->devs = x.d;
	f->ndevs = x.n;
	f->reloaded = 1;
	return DP_OK;
}

const dpcs_dev *dpcs_feed_device(dpcs_feed *f, dps_store *s, const uint8_t id[32])
{
	dpcs_dev key;
	memcpy(key.id, id, 32);
	const dpcs_dev *d = f->ndevs ? bsearch(&key, f->devs, f->ndevs, sizeof key, dev_cmp) : NULL;
	if (!d && !f->reloaded && devs_load(f, s) == DP_OK)
		d = f->ndevs ? bsearch(&key, f->devs, f->ndevs, sizeof key, dev_cmp) : NULL;
	return d;
}

/* The chart's column of post (DPCS_POSTS: other posts, or unknown). */
static size_t post_slot(dpcs_feed *f, const char *post)
{
	for (size_t i = 0; i < f->nposts; i++)
		if (strcmp(f->posts[i], post) == 0)
			return i;
	if (!*post || f->nposts == DPCS_POSTS)
		return DPCS_POSTS;
	snprintf(f->posts[f->nposts], sizeof f->posts[0], "%s", post);
	return f->nposts++;
}

struct upd {
	dpcs_feed *f;
	dps_store *s;
};

static int one_entry(void *ctx, uint64_t idx, const uint8_t *p, size_t len)
{
	struct upd *u = ctx;
	dpcs_feed *f = u->f;
	dp_logent *e = f->e;
	f->next = idx + 1;
	/* an entry that does not decode is `denpod check`'s to report; the console skips it */
	if (dp_logent_decode(e, p, len) != DP_OK)
		return DP_OK;
	if (e->event == DP_LOG_ALERT) {
		dpcs_alert *a = &f->alerts[f->head];
		memset(a, 0, sizeof *a);
		a->idx = idx;
		a->t = e->time;
		snprintf(a->rule, sizeof a->rule, "%s", e->act);
		a->has_device = e->has_device;
		memcpy(a->device, e->device, 32);
		snprintf(a->detail, sizeof a->detail, "%s", e->text);
		f->head = (f->head + 1) % DPCS_ALERTS;
		if (f->nalerts < DPCS_ALERTS)
			f->nalerts++;
	} else if (e->event == DP_LOG_CABLE_FETCHED || e->event == DP_LOG_CABLE_DELIVERED ||
		   dp_logent_reads_record(e)) {
		/* the archive's reads of record copies are fetches of cables too */
		int64_t m = e->time / 60;
		size_t b = (size_t)(m % DPCS_MINUTES);
		if (f->minute[b] != m) {
			if (f->minute[b] > m)
				return DP_OK; /* older than the chart */
			f->minute[b] = m;
			memset(f->fetches[b], 0, sizeof f->fetches[b]);
		}
		const dpcs_dev *d = dpcs_feed_device(f, u->s, e->device);
		f->fetches[b][post_slot(f, d ? d->post : "")]++;
	}
	return DP_OK;
}

int dpcs_feed_update(dpcs_feed *f, dps_store *s)
{
	uint64_t size;
	int r = dps_log_size(s, &size);
	if (r)
		return r;
	if (!f->started) {
		f->next = size > DPCS_BACKLOG ? size - DPCS_BACKLOG : 0;
		f->started = 1;
	}
	if (size < f->next)
		f->next = size; /* a log rolled back (denpod log rollback): read on from its end */
	f->reloaded = 0;
	struct upd u = {f, s};
	uint64_t n = size - f->next < DPCS_STEP ? size - f->next : DPCS_STEP;
	return n ? dps_log_entries(s, f->next, n, one_entry, &u) : DP_OK;
}

/* The containment steps by the alert that caused them: {"<log index>": step}. */
static int step_of(void *ctx, const dps_containment *c)
{
	char key[24];
	if (c->alert_log < 0)
		return DP_OK;
	snprintf(key, sizeof key, "%lld", (long long)c->alert_log);
	if (json_object_get(ctx, key))
		return DP_OK; /* newest first: the newest step of the alert */
	return json_object_set_new(ctx, key, json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)c->id,
						       "state", dps_contain_state_name(c->state), "kind",
						       dps_contain_kind_name(c->kind), "until",
						       (json_int_t)c->until))
		       ? DP_ENOMEM : DP_OK;
}

int dpcs_alerts_json(dpcs_feed *f, dps_store *s, json_t **out)
{
	json_t *list = json_array(), *steps = json_object();
	int r = list && steps ? dps_contain_list(s, 0, 1000, step_of, steps) : DP_ENOMEM;
	for (size_t i = 0; !r && i < f->nalerts; i++) {
		const dpcs_alert *a = &f->alerts[(f->head + DPCS_ALERTS - 1 - i) % DPCS_ALERTS];
		char hex[65] = "", key[24];
		const dpcs_dev *d = NULL;
		if (a->has_device) {
			dp_hex_encode(hex, a->device, 32);
			d = dpcs_feed_device(f, s, a->device);
		}
		snprintf(key, sizeof key, "%llu", (unsigned long long)a->idx);
		json_t *step = json_object_get(steps, key);
		json_t *j = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:O}", "index",
				      (json_int_t)a->idx, "time", (json_int_t)a->t, "rule", a->rule,
				      "device", hex, "officer", d ? d->officer : "", "post",
				      d ? d->post : "", "detail", a->detail, "step",
				      step ? step : json_null());
		if (!j || json_array_append_new(list, j))
			r = DP_ENOMEM;
	}
	json_decref(steps);
	if (r) {
		json_decref(list);
		return r;
	}
	*out = json_pack("{s:o}", "alerts", list);
	return *out ? DP_OK : DP_ENOMEM;
}

int dpcs_rates_json(dpcs_feed *f, int64_t now, json_t **out)
{
	int64_t end = now / 60;
	json_t *posts = json_array();
	for (size_t p = 0; posts && p <= DPCS_POSTS; p++) {
		if (p < DPCS_POSTS && p >= f->nposts)
			continue;
		json_t *counts = json_array();
		json_int_t sum = 0;
		for (int64_t m = end - DPCS_MINUTES + 1; counts && m <= end; m++) {
			size_t b = (size_t)(m % DPCS_MINUTES);
			json_int_t n = f->minute[b] == m ? f->fetches[b][p] : 0;
			sum += n;
			if (json_array_append_new(counts, json_integer(n))) {
				json_decref(counts);
				counts = NULL;
			}
		}
		if (!counts || (sum && json_array_append_new(posts, json_pack("{s:s, s:o}", "post",
									     p < DPCS_POSTS ? f->posts[p] : "other",
									     "counts", counts)))) {
			json_decref(posts);
			posts = NULL;
		} else if (!sum) {
			json_decref(counts);
		}
	}
	*out = posts ? json_pack("{s:I, s:i, s:o}", "end", (json_int_t)end, "minutes", DPCS_MINUTES,
				 "posts", posts) : NULL;
	return *out ? DP_OK : DP_ENOMEM;
}
