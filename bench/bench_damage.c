/*
 * bench_damage - what finding damage costs the switch (docs/operations.md,
 * "Damage and recovery"), beside the baseline it adds to, in one process.
 *
 *   bench_damage DIR [--entries N] [--cables C] [--runs R]
 *
 * Makes a switch data directory in DIR/sw (dpc_init) holding C cables
 * (4 KiB submissions, one recipient, each with its cable-accepted entry)
 * and N realistic cable-fetched entries, all signed (dpl_open), and
 * measures, R times each (medians printed):
 *
 *   start_quick_check        ms: PRAGMA quick_check of the whole file (the start runs it)
 *   start_integrity_check    ms: PRAGMA integrity_check, for comparison (denpod check and
 *                            the scrub run it; the start does not)
 *   start_log_mark           ms: dpl_open + dpl_close of the signer with the mark at the
 *                            latest checkpoint: the log's part of a restart
 *   start_log_no_mark        ms: the same without a mark: the whole log walked
 *   log_verify               ms: dpl_verify (denpod log verify; denpod check's log part)
 *   fetch_read               us: dps_cable_data of one 4 KiB cable (what a fetch read)
 *   fetch_read_checked       us: dpk_cable_read: the same, its SHA-256 and its entry read
 *                            and decoded (what a fetch reads now)
 *   scrub_pass               s: one scrub pass (denpod/scrub.h) unpaced: every cable, the
 *                            whole log, each table's integrity_check, on its own thread
 *   scrub_cpu                MB per CPU-second the pass read; scrub_core_share: the share
 *                            of one core a scrub at the default scrub_rate takes
 *
 * Output: "name value unit" lines (and the database's size).  Not a test: bench/README.md explains.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "bench/bench_util.h"
#include "denpo/crypto.h"
#include "denpo/envelope.h"
#include "denpod/check.h"
#include "denpod/config.h"
#include "denpod/scrub.h"
#include "denpod/store.h"
#include "denpod/signer.h"
#include "denpod/tlog.h"

static void die(const char *what, int r)
{
	printf("bench_damage: %s: %s\n", what, dp_strerror(r)); /* stderr is the daemon's noise */
	exit(1);
}

static dps_store *open_db(const dpc_config *c)
{
	char path[DPC_PATH_MAX];
	dps_store *s = NULL;
	int r = dpc_path(c, "denpod.db", path, sizeof path);
	if (!r)
		r = dps_open(&s, path, 0);
	if (r)
		die("dps_open", r);
	return s;
}

/* C cables and N cable-fetched entries, in transactions of 1000. */
static void fill(dps_store *s, size_t cables, size_t n, uint8_t (*ids)[DP_CABLE_ID])
{
	dpl_enc *x = dpl_enc_new();
	uint8_t data[4096], dev[32];
	dps_rcpt rc;
	memset(&rc, 0, sizeof rc);
	randombytes_buf(rc.device, 32);
	randombytes_buf(dev, 32);
	rc.prec = DP_PREC_ROUTINE;
	size_t done = 0, total = cables + n;
	while (done < total) {
		int r = dps_begin(s);
		for (size_t k = 0; !r && k < 1000 && done < total; k++, done++) {
			uint64_t idx;
			if (done < cables) {
				dps_submit sub;
				memset(&sub, 0, sizeof sub);
				randombytes_buf(data, sizeof data);
				randombytes_buf(sub.c.cable_id, DP_CABLE_ID);
				memcpy(ids[done], sub.c.cable_id, DP_CABLE_ID);
				snprintf(sub.c.from_post, sizeof sub.c.from_post, "HQ");
				snprintf(sub.c.officer, sizeof sub.c.officer, "sato.k");
				memcpy(sub.c.from_device, dev, 32);
				sub.c.classification = DP_CLASS_CONFIDENTIAL;
				sub.c.prec_action = sub.c.prec_info = DP_PREC_ROUTINE;
				sub.rcpts = &rc;
				sub.nrcpts = 1;
				sub.data = data;
				sub.len = sizeof data;
				sub.now = 1798761600 + (int64_t)done;
				r = dps_log_next(s, &idx);
				sub.log_idx = (int64_t)idx;
				if (!r)
					r = dps_cable_insert(s, &sub);
				if (!r)
					r = dpl_cable_accepted(s, x, &sub, "10.1.2.3", &idx);
				continue;
			}
			dp_logent *e = dpl_ent(x, DP_LOG_CABLE_FETCHED, 1798761600 + (int64_t)(done / 1000));
			randombytes_buf(e->cable_id, DP_CABLE_ID);
			snprintf(e->mrn, sizeof e->mrn, "26 TOKYO %06zu", done % 999999 + 1);
			memcpy(e->device, rc.device, 32);
			snprintf(e->source, sizeof e->source, "10.1.%zu.%zu", (done / 256) % 256, done % 256);
			r = dpl_put(s, x, &idx);
		}
		if (!r)
			r = dps_commit(s);
		if (r)
			die("fill", r);
	}
	dpl_enc_free(x);
}

static void ignore_line(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "bench_damage: unexpected damage: %s\n", line);
}

static double db_check_ms(const dpc_config *c, int full)
{
	double t0 = bench_now();
	dps_store *s = open_db(c);
	int r = dps_db_check(s, full, NULL, ignore_line, NULL);
	dps_close(s);
	if (r)
		die("dps_db_check", r);
	return (bench_now() - t0) * 1e3;
}

static double open_log_ms(const dpc_config *c)
{
	dpl_log *l = NULL;
	dpsg_thread *sg = NULL;
	int fd = -1;
	double t0 = bench_now();
	int r = dpsg_thread_start(c, &sg, &fd); /* the signer, on a thread here */
	if (!r)
		r = dpl_open(&l, c, NULL, fd);
	dpl_close(l);
	dpsg_thread_stop(sg);
	if (r)
		die("dpl_open", r);
	return (bench_now() - t0) * 1e3;
}

static void no_damage(void *ctx, const dpo_damage *d)
{
	(void)ctx;
	printf("bench_damage: unexpected damage: %s: %s\n", d->part, d->detail);
}

static double cpu_s(void)
{
	struct rusage u;
	getrusage(RUSAGE_SELF, &u);
	return (double)u.ru_utime.tv_sec + (double)u.ru_stime.tv_sec +
	       ((double)u.ru_utime.tv_usec + (double)u.ru_stime.tv_usec) * 1e-6;
}

/* One pass of the real scrub, as fast as it goes; this thread only waits meanwhile. */
static void scrub_pass(const dpc_config *c0, const dp_note_vkey *vk, dps_store *s)
{
	dpc_config c = *c0;
	dpsc *x = NULL;
	dpsc_pass p;
	char path[DPC_PATH_MAX];
	struct stat st;
	c.scrub_period = 3600;
	c.scrub_rate = UINT64_C(1) << 40;
	int r = dps_meta_put(s, "scrub_last", "");
	if (!r)
		r = dps_meta_put(s, "scrub", "");
	double t0 = bench_now(), u0 = cpu_s();
	if (!r)
		r = dpsc_start(&x, &c, vk, NULL, no_damage, NULL);
	if (r)
		die("dpsc_start", r);
	while (dpsc_last(s, &p) != DP_OK)
		usleep(20000);
	double wall = bench_now() - t0, cpu = cpu_s() - u0;
	dpsc_stop(x);
	double mb = dpc_path(&c, "denpod.db", path, sizeof path) == DP_OK && stat(path, &st) == 0
			    ? (double)st.st_size / 1e6 : 0;
	printf("scrub_pass %.1f s (%.1f s of CPU; %llu cables, %llu log entries)\n", wall, cpu,
	       (unsigned long long)p.cables, (unsigned long long)p.entries);
	printf("scrub_cpu %.0f MB/s\n", mb / cpu);
	printf("scrub_core_share %.1f %% at scrub_rate=%u\n", 100.0 * DPC_SCRUB_RATE / 1e6 / (mb / cpu),
	       DPC_SCRUB_RATE);
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fprintf(stderr, "usage: bench_damage DIR [--entries N] [--cables C] [--runs R]\n");
		return 2;
	}
	size_t n = 1000000, cables = 1000;
	int runs = 5;
	for (int i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--entries") == 0)
			n = (size_t)strtoull(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--cables") == 0)
			cables = (size_t)strtoull(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--runs") == 0)
			runs = atoi(argv[i + 1]);
		else {
			fprintf(stderr, "bench_damage: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (runs < 1 || runs > 50 || cables < 1 || n < 1000) {
		fprintf(stderr, "bench_damage: bad --entries/--cables/--runs\n");
		return 2;
	}
	if (dp_crypto_init())
		return 1;
	dpc_config c;
	memset(&c, 0, sizeof c);
	snprintf(c.dir, sizeof c.dir, "%s/sw", argv[1]);
	snprintf(c.url, sizeof c.url, "https://127.0.0.1:8443");
	snprintf(c.listen, sizeof c.listen, "127.0.0.1:8443");
	fflush(stdout);
	int so = dup(1);
	if (!freopen("/dev/null", "w", stdout)) /* dpc_init's greeting */
		return 1;
	int r = dpc_init(&c);
	fflush(stdout);
	dup2(so, 1);
	close(so);
	if (r)
		die("dpc_init (DIR/sw must not exist)", r);
	/* the run's messages (one per open) are not the benchmark's output */
	if (!freopen("/dev/null", "w", stderr))
		return 1;
	uint8_t (*ids)[DP_CABLE_ID] = calloc(cables, DP_CABLE_ID);
	dps_store *s = open_db(&c);
	double t0 = bench_now();
	fill(s, cables, n, ids);
	double filled = bench_now() - t0;
	(void)open_log_ms(&c); /* signs everything */
	(void)open_log_ms(&c); /* walks it all once and sets the mark at the latest checkpoint */
	char vks[DP_NOTE_VKEY_MAX + 1];
	dp_note_vkey vk;
	if ((r = dpl_vkey(&c, vks, sizeof vks)) || (r = dp_note_vkey_parse(&vk, vks, strlen(vks))))
		die("vkey", r);
	uint64_t size = 0;
	uint8_t root[32];
	if ((r = dpl_mark_get(s, &size, root)))
		die("no mark after the first open", r);

	double *qc = calloc((size_t)runs, sizeof(double)), *ic = calloc((size_t)runs, sizeof(double)),
	       *wm = calloc((size_t)runs, sizeof(double)), *nm = calloc((size_t)runs, sizeof(double)),
	       *lv = calloc((size_t)runs, sizeof(double)), *fr = calloc((size_t)runs, sizeof(double)),
	       *fc = calloc((size_t)runs, sizeof(double));
	FILE *null = fopen("/dev/null", "w");
	dp_logent *e = malloc(sizeof *e); /* the scratch the switch's loop keeps on its stack */
	dp_buf data;
	dp_buf_init(&data, (size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4);
	for (int run = 0; run < runs; run++) {
		qc[run] = db_check_ms(&c, 0);
		ic[run] = db_check_ms(&c, 1);
		wm[run] = open_log_ms(&c);
		/* without a mark: the whole log once (the open sets it again) */
		if ((r = dps_meta_put(s, "log_verified", "")))
			die("dps_meta_put", r);
		nm[run] = open_log_ms(&c);
		t0 = bench_now();
		if ((r = dpl_verify(s, &vk, null)))
			die("dpl_verify", r);
		lv[run] = (bench_now() - t0) * 1e3;
		/* every cable once, read only, then read and checked */
		dps_cable cb;
		dpo_damage d;
		t0 = bench_now();
		for (size_t i = 0; i < cables; i++)
			if ((r = dps_cable_get(s, ids[i], &cb)) || (r = dps_cable_data(s, cb.seq, &data)))
				die("fetch_read", r);
		fr[run] = (bench_now() - t0) * 1e6 / (double)cables;
		t0 = bench_now();
		for (size_t i = 0; i < cables; i++)
			if ((r = dps_cable_get(s, ids[i], &cb)) || (r = dpk_cable_read(s, &cb, &data, e, &d)))
				die("fetch_read_checked", r);
		fc[run] = (bench_now() - t0) * 1e6 / (double)cables;
	}
	uint64_t entries = 0;
	if ((r = dps_log_size(s, &entries)))
		die("dps_log_size", r);
	printf("entries %llu count (mark at %llu)\n", (unsigned long long)entries,
	       (unsigned long long)size);
	printf("cables %zu count\n", cables);
	char path[DPC_PATH_MAX];
	struct stat st;
	if (dpc_path(&c, "denpod.db", path, sizeof path) == DP_OK && stat(path, &st) == 0)
		printf("database %.0f MB\n", (double)st.st_size / 1e6);
	printf("fill %.1f s\n", filled);
	printf("start_quick_check %.0f ms\n", bench_median(qc, runs));
	printf("start_integrity_check %.0f ms\n", bench_median(ic, runs));
	printf("start_log_mark %.0f ms\n", bench_median(wm, runs));
	printf("start_log_no_mark %.0f ms\n", bench_median(nm, runs));
	printf("log_verify %.0f ms\n", bench_median(lv, runs));
	printf("fetch_read %.1f us\n", bench_median(fr, runs));
	printf("fetch_read_checked %.1f us\n", bench_median(fc, runs));
	scrub_pass(&c, &vk, s);
	dp_buf_free(&data);
	free(e);
	fclose(null);
	dps_close(s);
	free(ids);
	free(qc);
	free(ic);
	free(wm);
	free(nm);
	free(lv);
	free(fr);
	free(fc);
	return 0;
}
