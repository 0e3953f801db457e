/*
 * denpod/scrub.c - the background pass over stored cables and the log
 * (see scrub.h).
 *
 * The thread alternates a step (at most about a tenth of a second's worth
 * of bytes at the configured rate) and a sleep long enough to keep to the
 * rate; between passes it sleeps until the next one is due.  Every sleep
 * is a wait on a condition that dpsc_stop signals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "denpo/encoding.h"
#include "denpo/envelope.h"
#include "denpo/num.h"
#include "denpod/check.h"
#include "denpod/say.h"
#include "denpod/scrub.h"
#include "denpod/tlog.h"

#define STATE_KEY "scrub"
#define LAST_KEY "scrub_last"
#define STEP_CABLES 64    /* cables read per step at most */
#define STEP_MIN 65536    /* bytes a step may read whatever the rate */
#define SAVE_MS 2000      /* the position is saved at least this often while a pass runs */
#define ENTRY_GUESS 256   /* bytes an entry is taken to have when sizing a log step */

enum { PH_CABLES = 0, PH_LOG = 1, PH_TABLES = 2, PH_DONE = 3 };
#define TABLES_MAX 64 /* tables the database check goes through (denpod has ~20) */

struct dpsc {
	dps_store *s;
	dp_note_vkey vk;
	pthread_mutex_t *wlock;
	uint64_t period, rate;
	dpsc_report report;
	void *ctx;
	/* the thread */
	pthread_t th;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int quit; /* under mu */
	/* the pass (the thread's own) */
	int64_t pass_start; /* Unix seconds */
	int phase;
	int64_t cable_seq;  /* the last cable checked */
	uint64_t log_at;    /* the last checkpoint the walk passed, and its root */
	uint8_t log_root[32];
	uint64_t cables, entries, found; /* this pass; found is kept with the position */
	int log_bad;        /* the log walk met damage (the mark was lowered) */
	uint64_t table;     /* the next table SQLite's integrity_check looks at */
	dpl_walk *walk;
	uint64_t walk_bytes; /* read by the walk so far */
	uint64_t step_bytes; /* read by the current step */
	uint64_t budget;     /* bytes per step */
	dp_buf data;
	dp_logent *e;
	uint64_t saved_ms;
	int warned_late;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Sleeps ms (or until dpsc_stop); 1 if asked to stop. */
static int nap(dpsc *x, uint64_t ms)
{
	uint64_t until = mono_ms() + ms;
	pthread_mutex_lock(&x->mu);
	while (!x->quit && mono_ms() < until) {
		struct timespec ts = {(time_t)(until / 1000), (long)(until % 1000) * 1000000};
		(void)pthread_cond_timedwait(&x->cv, &x->mu, &ts);
	}
	int q = x->quit;
	pthread_mutex_unlock(&x->mu);
	return q;
}

static int stopping(dpsc *x)
{
	pthread_mutex_lock(&x->mu);
	int q = x->quit;
	pthread_mutex_unlock(&x->mu);
	return q;
}

/* ---- reports ---- */

static void report(dpsc *x, dpo_damage *d)
{
	x->found++;
	if (x->found > DPSC_REPORT_MAX)
		return;
	d->t_ms = dp_now() * 1000;
	snprintf(d->found_by, sizeof d->found_by, "scrub");
	x->report(x->ctx, d);
}

static void walk_problem(void *ctx, const dpl_problem *p)
{
	dpsc *x = ctx;
	dpo_damage d;
	dpk_damage(&d, p->part, NULL, p->at > INT64_MAX ? -1 : (int64_t)p->at, "%s", p->msg);
	report(x, &d);
	x->log_bad = 1;
}

/* ---- the position ---- */

/* "<n> <n> ..." into v[0..n): exactly n decimal fields, one space apart. */
static int fields(const char *s, uint64_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *e = strchr(s, ' ');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if ((i + 1 < n) != (e != NULL) || dp_num_u64(&v[i], s, len, 0, INT64_MAX))
			return DP_EPARSE;
		s = e ? e + 1 : s + len;
	}
	return DP_OK;
}

/* "<pass start> <phase> <cable seq> <log at> <found> <table> <hex root>" */
static void load_state(dpsc *x)
{
	char v[256], *sp;
	uint64_t f[6];
	x->phase = PH_DONE;
	x->pass_start = 0;
	/* no (or an unreadable) position: a pass starts now */
	if (dps_meta_get(x->s, STATE_KEY, v, sizeof v) || !(sp = strrchr(v, ' ')) ||
	    strlen(sp + 1) != 64 || dp_hex_decode(x->log_root, 32, sp + 1, 64))
		return;
	*sp = 0;
	if (fields(v, f, 6) || f[1] > PH_DONE)
		return;
	x->pass_start = (int64_t)f[0];
	x->phase = (int)f[1];
	x->cable_seq = (int64_t)f[2];
	x->log_at = f[3];
	x->found = f[4];
	x->table = f[5];
}

static void save_state(dpsc *x)
{
	char v[256], hex[65];
	dp_hex_encode(hex, x->log_root, 32);
	snprintf(v, sizeof v, "%lld %d %lld %llu %llu %llu %s", (long long)x->pass_start, x->phase,
		 (long long)x->cable_seq, (unsigned long long)x->log_at, (unsigned long long)x->found,
		 (unsigned long long)x->table, hex);
	if (x->wlock)
		pthread_mutex_lock(x->wlock);
	int r = dps_meta_put(x->s, STATE_KEY, v);
	if (x->wlock)
		pthread_mutex_unlock(x->wlock);
	if (r)
		dpd_say("denpod: scrub: cannot save its position (%s); it will resume from the last "
			"one saved", dp_strerror(r));
	x->saved_ms = mono_ms();
}

/* ---- cables ---- */

static int cable_one(void *ctx, const dps_cable *c, const uint8_t digest[32])
{
	dpsc *x = ctx;
	dpo_damage d;
	int r = dpk_cable_read(x->s, c, &x->data, x->e, &d);
	if (r == DP_ESTATE)
		report(x, &d);
	else if (r)
		return r; /* not damage: a failure to read; the step is tried again */
	x->cable_seq = c->seq;
	x->cables++;
	x->step_bytes += c->size;
	return x->step_bytes >= x->budget ? 1 : DP_OK;
}

/* One step of cables; *none = 1 once every cable is checked. */
static int cables_step(dpsc *x, int *none)
{
	int64_t before = x->cable_seq;
	int r = dps_snapshot_begin(x->s);
	if (!r) {
		r = dps_cable_scan(x->s, x->cable_seq, STEP_CABLES, cable_one, x);
		dps_snapshot_end(x->s);
	}
	*none = !r && x->cable_seq == before;
	return r;
}

/* ---- the log ---- */

static int log_begin(dpsc *x)
{
	dpl_walk_cb cb = {walk_problem, x, NULL, NULL};
	int r = dps_snapshot_begin(x->s);
	if (r)
		return r;
	r = dpl_walk_begin(&x->walk, x->s, &x->vk, x->log_at, x->log_root, 0, &cb);
	if (r == DP_ENOTFOUND && x->log_at > 0) {
		/* the checkpoint it had reached is not there with that root: from the start */
		x->log_at = 0;
		r = dpl_walk_begin(&x->walk, x->s, &x->vk, 0, NULL, 0, &cb);
	}
	dps_snapshot_end(x->s);
	x->walk_bytes = 0;
	return r;
}

/* One step of the log; *done = 1 when the walk is over (its problems reported). */
static int log_step(dpsc *x, int *done)
{
	*done = 0;
	int r = x->walk ? DP_OK : log_begin(x);
	if (r)
		return r;
	uint64_t n = x->budget / ENTRY_GUESS, bytes = 0;
	r = dps_snapshot_begin(x->s);
	if (!r) {
		r = dpl_walk_step(x->walk, n ? n : 1, done);
		dps_snapshot_end(x->s);
	}
	dpl_walk_at(x->walk, &x->log_at, x->log_root, &bytes);
	x->step_bytes += bytes - x->walk_bytes;
	x->walk_bytes = bytes;
	if (x->log_bad == 1) {
		/* the mark no longer holds: the next start walks the whole log and refuses */
		uint8_t empty[32];
		dp_tlog_empty_root(empty);
		int e = dpl_mark_lower(x->s, x->wlock, 0, empty);
		if (e)
			dpd_say("denpod: scrub: cannot lower the log's mark (%s)", dp_strerror(e));
		x->log_bad = 2;
	}
	if (r || !*done)
		return r;
	unsigned problems = 0;
	r = dpl_walk_end(x->walk, &problems, NULL);
	x->walk = NULL;
	x->entries = x->log_at;
	/* the whole pass found nothing wrong: the start need not walk this log again */
	if (!r && !problems && !x->found && x->log_at > 0 &&
	    (r = dpl_mark_raise(x->s, x->wlock, x->log_at, x->log_root)))
		dpd_say("denpod: scrub: cannot raise the log's mark (%s)", dp_strerror(r));
	return r;
}

/* ---- the tables ---- */

struct tables {
	char name[TABLES_MAX][64];
	size_t n;
};

static int table_one(void *ctx, const char *name)
{
	struct tables *t = ctx;
	if (t->n < TABLES_MAX && strlen(name) < sizeof t->name[0])
		snprintf(t->name[t->n++], sizeof t->name[0], "%s", name);
	return DP_OK;
}

struct table_ctx {
	unsigned n;
	char first[DPO_DETAIL_MAX + 1];
};

static void table_problem(void *ctx, const char *line)
{
	struct table_ctx *t = ctx;
	if (!t->n++)
		snprintf(t->first, sizeof t->first, "%s", line);
}

/*
 * SQLite's integrity_check of the next table and its indexes (an index
 * that lost a row hides a cable from an inbox, and only this sees it).
 * One statement cannot be paced: the step counts as many bytes as the
 * rate allows in the time it took, so the scrub then rests as long.
 */
static int tables_step(dpsc *x, int *done)
{
	struct tables *t = calloc(1, sizeof *t);
	if (!t)
		return DP_ENOMEM;
	uint64_t t0 = mono_ms();
	int r = dps_snapshot_begin(x->s);
	if (!r) {
		r = dps_db_tables(x->s, table_one, t);
		if (r == DP_EUNSUPP)
			r = DP_OK; /* PostgreSQL checks its own pages: no table of it to read here */
		if (!r && x->table < t->n) {
			/* one report per table: one damaged page can cost an index a hundred rows */
			struct table_ctx tc = {0, ""};
			if (dps_db_check(x->s, 1, t->name[x->table], table_problem, &tc) && tc.n) {
				dpo_damage d;
				dpk_damage(&d, "database", NULL, -1, "SQLite's integrity_check of table %s: %u "
					   "problem%s, the first: %.300s", t->name[x->table], tc.n,
					   tc.n == 1 ? "" : "s", tc.first);
				report(x, &d);
			}
			x->table++;
		}
		dps_snapshot_end(x->s);
	}
	*done = !r && x->table >= t->n;
	free(t);
	x->step_bytes += (mono_ms() - t0) * x->rate / 1000;
	return r;
}

/* ---- passes ---- */

static void pass_begin(dpsc *x)
{
	x->pass_start = dp_now();
	x->phase = PH_CABLES;
	x->cable_seq = 0;
	x->log_at = 0;
	memset(x->log_root, 0, sizeof x->log_root);
	x->cables = x->entries = x->found = 0;
	x->log_bad = 0;
	x->table = 0;
	save_state(x);
}

static void pass_end(dpsc *x)
{
	char v[160];
	int64_t now = dp_now();
	x->phase = PH_DONE;
	if (x->found > DPSC_REPORT_MAX) {
		dpo_damage d;
		dpk_damage(&d, "database", NULL, -1, "%llu damaged copies found in this pass, %d "
			   "reported; run denpod check for all of them", (unsigned long long)x->found,
			   DPSC_REPORT_MAX);
		d.t_ms = now * 1000;
		snprintf(d.found_by, sizeof d.found_by, "scrub");
		x->report(x->ctx, &d);
	}
	snprintf(v, sizeof v, "%lld %lld %llu %llu %llu", (long long)x->pass_start, (long long)now,
		 (unsigned long long)x->cables, (unsigned long long)x->entries,
		 (unsigned long long)x->found);
	if (x->wlock)
		pthread_mutex_lock(x->wlock);
	int r = dps_meta_put(x->s, LAST_KEY, v);
	if (x->wlock)
		pthread_mutex_unlock(x->wlock);
	(void)r; /* the summary is for operators; the position below is what matters */
	save_state(x);
	dpd_say("denpod: scrub: pass done in %lld s: %llu cables, %llu log entries, %llu damaged",
		(long long)(now - x->pass_start), (unsigned long long)x->cables,
		(unsigned long long)x->entries, (unsigned long long)x->found);
	if (now - x->pass_start > (int64_t)x->period && !x->warned_late++)
		dpd_say("denpod: scrub: the pass took longer than scrub_period=%llu s; raise scrub_rate= "
			"in denpod.conf (now %llu bytes/s)", (unsigned long long)x->period,
			(unsigned long long)x->rate);
}

static void *scrub_main(void *arg)
{
	dpsc *x = arg;
	int warned = 0;
	load_state(x);
	uint64_t next = mono_ms();
	while (!stopping(x)) {
		if (x->phase == PH_DONE) {
			int64_t due = x->pass_start + (int64_t)x->period, now = dp_now();
			if (x->pass_start && now < due) {
				/* at most a minute at a time: the wall clock may be set meanwhile */
				int64_t wait = due - now > 60 ? 60 : due - now;
				if (nap(x, (uint64_t)wait * 1000))
					break;
				continue;
			}
			pass_begin(x);
			next = mono_ms();
		}
		x->step_bytes = 0;
		int r, done = 0;
		if (x->phase == PH_CABLES) {
			r = cables_step(x, &done);
			if (!r && done)
				x->phase = PH_LOG;
		} else if (x->phase == PH_LOG) {
			r = log_step(x, &done);
			if (!r && done)
				x->phase = PH_TABLES;
		} else {
			r = tables_step(x, &done);
			if (!r && done)
				pass_end(x);
		}
		if (r) {
			/* not damage (that is reported): the database was busy or failing; later */
			if (!warned++)
				dpd_say("denpod: scrub: step failed (%s); retrying in a minute",
					dp_strerror(r));
			if (nap(x, 60000))
				break;
			continue;
		}
		warned = 0;
		if (mono_ms() - x->saved_ms >= SAVE_MS)
			save_state(x);
		/* the rate: this step's bytes take their share of a second */
		next += x->step_bytes * 1000 / x->rate;
		uint64_t now = mono_ms();
		if (next < now)
			next = now;
		if (next > now && nap(x, next - now))
			break;
	}
	if (x->walk) {
		int r = dpl_walk_end(x->walk, NULL, NULL);
		(void)r; /* stopped half-way: its position is what counts */
		x->walk = NULL;
	}
	save_state(x);
	return NULL;
}

int dpsc_last(dps_store *s, dpsc_pass *p)
{
	char v[160];
	uint64_t f[5];
	int r = dps_meta_get(s, LAST_KEY, v, sizeof v);
	if (r && r != DP_ETOOBIG)
		return r;
	if (r || fields(v, f, 5))
		return DP_ENOTFOUND;
	p->start = (int64_t)f[0];
	p->end = (int64_t)f[1];
	p->cables = f[2];
	p->entries = f[3];
	p->damaged = f[4];
	return DP_OK;
}

/* ---- start, stop ---- */

static void scrub_free(dpsc *x)
{
	dps_close(x->s);
	dp_buf_free(&x->data);
	free(x->e);
	pthread_mutex_destroy(&x->mu);
	pthread_cond_destroy(&x->cv);
	free(x);
}

int dpsc_start(dpsc **out, const dpc_config *cfg, const dp_note_vkey *vk, pthread_mutex_t *wlock,
	       dpsc_report rep, void *ctx)
{
	char path[DPC_PATH_MAX];
	pthread_condattr_t ca;
	*out = NULL;
	if (!cfg->scrub_period)
		return DP_OK;
	dpsc *x = calloc(1, sizeof *x);
	if (!x)
		return DP_ENOMEM;
	if (pthread_condattr_init(&ca) || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
	    pthread_cond_init(&x->cv, &ca) || pthread_mutex_init(&x->mu, NULL)) {
		free(x);
		return DP_ENOMEM;
	}
	pthread_condattr_destroy(&ca);
	x->vk = *vk;
	x->wlock = wlock;
	x->period = cfg->scrub_period;
	x->rate = cfg->scrub_rate < DPC_SCRUB_RATE_MIN ? DPC_SCRUB_RATE_MIN : cfg->scrub_rate;
	x->budget = x->rate / 10 > STEP_MIN ? x->rate / 10 : STEP_MIN;
	x->report = rep;
	x->ctx = ctx;
	dp_buf_init(&x->data, (size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4);
	x->e = malloc(sizeof *x->e);
	int r = x->e ? dpc_store_target(cfg, path, sizeof path) : DP_ENOMEM;
	if (!r)
		r = dps_open(&x->s, path, 0);
	/* its position is recomputed if lost: no fsync for it; it reads each page once */
	if (!r)
		r = dps_relax_sync(x->s);
	if (!r)
		r = dps_cache_small(x->s);
	if (!r && pthread_create(&x->th, NULL, scrub_main, x))
		r = DP_ENOMEM;
	else if (!r)
		(void)pthread_setname_np(x->th, "dpd-scrub");
	if (r) {
		scrub_free(x);
		return r;
	}
	x->started = 1;
	*out = x;
	return DP_OK;
}

void dpsc_stop(dpsc *x)
{
	if (!x)
		return;
	pthread_mutex_lock(&x->mu);
	x->quit = 1;
	pthread_cond_signal(&x->cv);
	pthread_mutex_unlock(&x->mu);
	if (x->started)
		pthread_join(x->th, NULL);
	scrub_free(x);
}
