/*
 * bench_tlog - the transparency log's own costs (docs/transparency.md),
 * beside a baseline measured in the same process.
 *
 *   bench_tlog DIR [--runs R] [--entries N] [--batch B] [--rate E]
 *
 * Makes a switch data directory in DIR/sw (dpc_init: keys, database) and
 * measures, R times each (medians printed):
 *
 *   baseline_sqlite_batch   entries/s: the same encoded entries inserted
 *                           into a plain table of the same database, B per
 *                           transaction (synchronous=FULL, as the writer)
 *   log_append_batch        entries/s: dps_log_append of N cable-fetched
 *                           entries, B per transaction (durable when
 *                           dps_commit returns)
 *   log_integrate           entries/s: dpl_round (leaf hashes, tiles,
 *                           checkpoint signed and committed) over them
 *   log_durable_signed      entries/s: append + integrate back to back, i.e.
 *                           N / (time until the last entry is durable AND
 *                           under a signed checkpoint), one thread doing both
 *   checkpoint_lag p50/p99  ms from a batch's commit until dpl_latest()
 *                           shows a checkpoint covering it, with the signer
 *                           thread running (dpl_start) while E entries/s are
 *                           appended in batches every 10 ms for a few seconds
 *
 * Output: "name value unit" lines.  Not a test: bench/README.md explains.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "bench/bench_util.h"
#include "denpo/logentry.h"
#include "denpod/config.h"
#include "denpod/store.h"
#include "denpod/signer.h"
#include "denpod/tlog.h"

static void die(const char *what, int r)
{
	fprintf(stderr, "bench_tlog: %s: %s\n", what, dp_strerror(r));
	exit(1);
}

/* N realistic entries: cable-fetched by one of 64 devices, with a source. */
static uint8_t **make_entries(size_t n, size_t **lens)
{
	uint8_t **v = calloc(n, sizeof *v);
	*lens = calloc(n, sizeof **lens);
	dp_logent *e = calloc(1, sizeof *e);
	if (!v || !*lens || !e)
		die("entries", DP_ENOMEM);
	uint8_t devs[64][32], sk[64];
	for (int d = 0; d < 64; d++)
		crypto_sign_keypair(devs[d], sk);
	sodium_memzero(sk, sizeof sk);
	dp_buf b;
	dp_buf_init(&b, DP_TLOG_ENTRY_MAX);
	for (size_t i = 0; i < n; i++) {
		memset(e, 0, sizeof *e);
		e->event = DP_LOG_CABLE_FETCHED;
		e->time = 1798761600 + (int64_t)(i / 1000);
		randombytes_buf(e->cable_id, sizeof e->cable_id);
		snprintf(e->mrn, sizeof e->mrn, "26 TOKYO %06zu", i % 999999 + 1);
		memcpy(e->device, devs[i % 64], sizeof e->device);
		snprintf(e->source, sizeof e->source, "10.1.%zu.%zu", (i / 256) % 256, i % 256);
		dp_buf_reset(&b);
		int r = dp_logent_encode(e, &b);
		if (r)
			die("dp_logent_encode", r);
		v[i] = malloc(b.len);
		if (!v[i])
			die("entries", DP_ENOMEM);
		memcpy(v[i], b.p, b.len);
		(*lens)[i] = b.len;
	}
	dp_buf_free(&b);
	free(e);
	return v;
}

static double baseline(const char *path, uint8_t **v, const size_t *lens, size_t n, size_t batch)
{
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die("sqlite3_open", DP_ESTORE);
	sqlite3_busy_timeout(db, 10000);
	sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			 "DROP TABLE IF EXISTS bench_plain;"
			 "CREATE TABLE bench_plain(idx INTEGER PRIMARY KEY, data BLOB NOT NULL)",
		     NULL, NULL, NULL);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "INSERT INTO bench_plain(data) VALUES(?)", -1, &st, NULL) != SQLITE_OK)
		die("prepare", DP_ESTORE);
	double t0 = bench_now();
	for (size_t i = 0; i < n;) {
		sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		for (size_t k = 0; k < batch && i < n; k++, i++) {
			sqlite3_bind_blob(st, 1, v[i], (int)lens[i], SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE)
				die("insert", DP_ESTORE);
			sqlite3_reset(st);
		}
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			die("commit", DP_ESTORE);
	}
	double dt = bench_now() - t0;
	sqlite3_finalize(st);
	sqlite3_exec(db, "DROP TABLE bench_plain", NULL, NULL, NULL);
	sqlite3_close(db);
	return (double)n / dt;
}

static double append_all(dps_store *s, uint8_t **v, const size_t *lens, size_t n, size_t batch)
{
	double t0 = bench_now();
	for (size_t i = 0; i < n;) {
		int r = dps_begin(s);
		for (size_t k = 0; !r && k < batch && i < n; k++, i++) {
			uint64_t idx;
			r = dps_log_append(s, v[i], lens[i], &idx);
		}
		if (!r)
			r = dps_commit(s);
		if (r)
			die("append", r);
	}
	return bench_now() - t0;
}

static double integrate_all(dpl_log *l)
{
	double t0 = bench_now();
	for (;;) {
		uint64_t k = 0;
		int r = dpl_round(l, &k);
		if (r)
			die("dpl_round", r);
		if (!k)
			break;
	}
	return bench_now() - t0;
}

/* ---- checkpoint lag with the signer thread running ---- */

struct lag {
	dpl_log *l;
	volatile int stop;
	size_t nb;
	uint64_t *last_idx; /* per batch: its last index */
	double *commit_t;   /* per batch: when its commit returned */
	volatile size_t committed;
	double *lag_ms;
	size_t nlag;
};

static void *watch(void *arg)
{
	struct lag *g = arg;
	size_t next = 0;
	while (next < g->nb) {
		if (next >= g->committed) {
			if (g->stop)
				break;
			usleep(200);
			continue;
		}
		dps_checkpoint c;
		dpl_latest(g->l, &c);
		double now = bench_now();
		while (next < g->committed && c.size > g->last_idx[next])
			g->lag_ms[g->nlag++] = (now - g->commit_t[next++]) * 1e3;
		usleep(200);
	}
	return NULL;
}

static void lag_run(dpl_log *l, dps_store *s, uint8_t **v, const size_t *lens, size_t n,
		    double rate, double *p50, double *p99)
{
	const double period = 0.010;
	size_t per = (size_t)(rate * period);
	if (per < 1)
		per = 1;
	size_t nb = n / per;
	if (nb > 500)
		nb = 500; /* 5 s */
	struct lag g = {.l = l, .nb = nb};
	g.last_idx = calloc(nb, sizeof *g.last_idx);
	g.commit_t = calloc(nb, sizeof *g.commit_t);
	g.lag_ms = calloc(nb, sizeof *g.lag_ms);
	if (!g.last_idx || !g.commit_t || !g.lag_ms)
		die("lag", DP_ENOMEM);
	pthread_t th;
	if (pthread_create(&th, NULL, watch, &g))
		die("pthread_create", DP_ENOMEM);
	double start = bench_now();
	size_t i = 0;
	for (size_t b = 0; b < nb; b++) {
		double due = start + (double)b * period;
		double now = bench_now();
		if (due > now)
			usleep((useconds_t)((due - now) * 1e6));
		int r = dps_begin(s);
		uint64_t idx = 0;
		for (size_t k = 0; !r && k < per; k++, i = (i + 1) % n)
			r = dps_log_append(s, v[i], lens[i], &idx);
		if (!r)
			r = dps_commit(s);
		if (r)
			die("append", r);
		g.last_idx[b] = idx;
		g.commit_t[b] = bench_now();
		__atomic_store_n(&g.committed, b + 1, __ATOMIC_RELEASE);
		dpl_kick(l);
	}
	/* let the signer catch up (at most 5 s) */
	double until = bench_now() + 5;
	while (g.nlag < nb && bench_now() < until)
		usleep(1000);
	g.stop = 1;
	pthread_join(th, NULL);
	qsort(g.lag_ms, g.nlag, sizeof *g.lag_ms, bench_cmpd);
	*p50 = bench_pct(g.lag_ms, g.nlag, 50);
	*p99 = g.nlag == nb ? bench_pct(g.lag_ms, g.nlag, 99) : 1e9; /* a batch never signed */
	free(g.last_idx);
	free(g.commit_t);
	free(g.lag_ms);
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fprintf(stderr, "usage: bench_tlog DIR [--runs R] [--entries N] [--batch B] [--rate E]\n");
		return 2;
	}
	int runs = 3;
	size_t n = 200000, batch = 1000;
	double rate = 20000;
	for (int i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--runs") == 0)
			runs = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--entries") == 0)
			n = (size_t)strtoull(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--batch") == 0)
			batch = (size_t)strtoull(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--rate") == 0)
			rate = strtod(argv[i + 1], NULL);
		else {
			fprintf(stderr, "bench_tlog: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (runs < 1 || runs > 50 || n < 1000 || batch < 1 || rate < 100) {
		fprintf(stderr, "bench_tlog: bad --runs/--entries/--batch/--rate\n");
		return 2;
	}
	if (sodium_init() < 0)
		die("sodium_init", DP_ECRYPTO);
	size_t *lens;
	uint8_t **v = make_entries(n, &lens);
	size_t bytes = 0;
	for (size_t i = 0; i < n; i++)
		bytes += lens[i];

	double *base = calloc((size_t)runs, sizeof(double)), *app = calloc((size_t)runs, sizeof(double)),
	       *integ = calloc((size_t)runs, sizeof(double)), *both = calloc((size_t)runs, sizeof(double)),
	       *l50 = calloc((size_t)runs, sizeof(double)), *l99 = calloc((size_t)runs, sizeof(double));
	if (!base || !app || !integ || !both || !l50 || !l99)
		die("alloc", DP_ENOMEM);
	for (int run = 0; run < runs; run++) {
		/* a fresh switch each run: the tree starts empty every time */
		dpc_config c;
		memset(&c, 0, sizeof c);
		snprintf(c.dir, sizeof c.dir, "%s/sw%d", argv[1], run);
		snprintf(c.listen, sizeof c.listen, "127.0.0.1:1");
		snprintf(c.url, sizeof c.url, "https://127.0.0.1:1");
		int r = dpc_init(&c);
		if (r)
			die("dpc_init (DIR/swN must not exist)", r);
		char db[DPC_PATH_MAX];
		if ((r = dpc_path(&c, "denpod.db", db, sizeof db)))
			die("path", r);
		base[run] = baseline(db, v, lens, n, batch);

		dps_store *s;
		if ((r = dps_open(&s, db, 0)))
			die("dps_open", r);
		dpl_log *l;
		dpsg_thread *sg = NULL;
		int fd = -1;
		if ((r = dpsg_thread_start(&c, &sg, &fd)) || (r = dpl_open(&l, &c, NULL, fd)))
			die("dpl_open", r);
		double ta = append_all(s, v, lens, n, batch);
		double ti = integrate_all(l);
		app[run] = (double)n / ta;
		integ[run] = (double)n / ti;
		both[run] = (double)n / (ta + ti);

		if ((r = dpl_start(l)))
			die("dpl_start", r);
		lag_run(l, s, v, lens, n, rate, &l50[run], &l99[run]);
		dpl_close(l);
		dpsg_thread_stop(sg);
		dps_close(s);
		fprintf(stderr, "run %d: baseline %.0f/s append %.0f/s integrate %.0f/s both %.0f/s "
				"lag p50 %.1f ms p99 %.1f ms\n",
			run + 1, base[run], app[run], integ[run], both[run], l50[run], l99[run]);
	}
	double mb = bench_median(base, runs), ma = bench_median(app, runs),
	       mi = bench_median(integ, runs), mboth = bench_median(both, runs);
	printf("entries %zu count\n", n);
	printf("entry_bytes_mean %.0f bytes\n", (double)bytes / (double)n);
	printf("batch %zu entries\n", batch);
	printf("baseline_sqlite_batch %.0f entries/s\n", mb);
	printf("log_append_batch %.0f entries/s\n", ma);
	printf("log_integrate %.0f entries/s\n", mi);
	printf("log_durable_signed %.0f entries/s\n", mboth);
	printf("append_vs_baseline %.2f ratio\n", ma / mb);
	printf("checkpoint_lag_rate %.0f entries/s\n", rate);
	printf("checkpoint_lag_p50 %.1f ms\n", bench_median(l50, runs));
	printf("checkpoint_lag_p99 %.1f ms\n", bench_median(l99, runs));
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	free(lens);
	free(base);
	free(app);
	free(integ);
	free(both);
	free(l50);
	free(l99);
	return 0;
}
