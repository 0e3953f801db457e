/*
 * bench_devindex - what the officer index costs the switch's signer
 * (denpo/devreplay.h, denpod/offidx.h), beside a baseline measured in the
 * same process.
 *
 *   bench_devindex [--officers N] [--runs R]
 *
 * Makes N officers with two devices each (device-enrolled and key-published
 * entries, encoded as the log stores them) and measures, R times each
 * (medians printed):
 *
 *   baseline_sha256_records  ms: one SHA-256 of every officer's record text, the
 *                            least any map over the records must do
 *   replay_log               ms: dp_devreplay_entry over all 4N entries from an
 *                            empty replay, then its root (the upgrade's replay,
 *                            `denpod log verify`, an auditor)
 *   root_rebuild             ms: dp_devreplay_root after one record changed (a
 *                            suspension): what a signing round with a device
 *                            entry adds
 *   root_cached              ms: dp_devreplay_root with nothing changed (a round
 *                            of cables only)
 *   load_records             ms: dp_devreplay_load of every record (decoded) and the
 *                            root: the signer's start, without the SQL read
 *   view_records             ms: dp_devreplay_put of every record and the root: the
 *                            API's map after the root changed, without the SQL read
 *   skip_entry               ns per entry: dp_devreplay_entry of a cable-fetched
 *                            entry (what every other entry costs the signer)
 *   ratio_rebuild_baseline   root_rebuild / baseline_sha256_records
 *
 * Output: "name value unit" lines.  Not a test: bench/README.md explains.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bench/bench_util.h"
#include "denpo/crypto.h"
#include "denpo/devreplay.h"
#include "denpo/logentry.h"

static void die(const char *what, int r)
{
	fprintf(stderr, "bench_devindex: %s: %s\n", what, dp_strerror(r));
	exit(1);
}

typedef struct {
	uint8_t *p;
	size_t len;
} blob;

static blob encode(dp_logent *e)
{
	dp_buf b;
	dp_buf_init(&b, DP_TLOG_ENTRY_MAX);
	int r = dp_logent_encode(e, &b);
	if (r)
		die("encode", r);
	blob x = {b.p, b.len};
	return x;
}

/* A handle for officer i: letters only ("ab.x"). */
static void handle(char out[DP_NAME_MAX + 1], size_t i)
{
	char l[16];
	size_t k = 0;
	do {
		l[k++] = (char)('a' + i % 26);
		i /= 26;
	} while (i && k < sizeof l - 1);
	l[k] = 0;
	snprintf(out, DP_NAME_MAX + 1, "o%s.x", l);
}

/*
 * Every record of x into a new replay *y and its root, as the signer's start
 * reads them (dp_devreplay_load) or the API's view (put: dp_devreplay_put).
 */
static int copy_records(const dp_devreplay *x, int put, dp_devreplay **y, uint8_t root[DP_TLOG_HASH])
{
	int r = dp_devreplay_new(y);
	for (size_t i = 0; !r && i < dp_devreplay_count(x); i++) {
		const char *o;
		const uint8_t *t;
		size_t len;
		int dirty;
		dp_devreplay_get(x, i, &o, &t, &len, &dirty);
		r = put ? dp_devreplay_put(*y, o, t, len) : dp_devreplay_load(*y, t, len);
	}
	return r ? r : dp_devreplay_root(*y, root);
}

int main(int argc, char **argv)
{
	size_t n = 10000;
	int runs = 5;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--officers") == 0 && i + 1 < argc)
			n = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
			runs = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: bench_devindex [--officers N] [--runs R]\n");
			return 2;
		}
	}
	if (dp_crypto_init() || n < 1 || runs < 1)
		return 1;
	size_t ne = 4 * n;
	blob *ent = calloc(ne, sizeof *ent);
	dp_logent *e = calloc(1, sizeof *e);
	uint8_t rec[64];
	if (!ent || !e)
		die("entries", DP_ENOMEM);
	memset(rec, 7, sizeof rec);
	for (size_t i = 0; i < 2 * n; i++) {
		memset(e, 0, sizeof *e);
		e->event = DP_LOG_DEVICE_ENROLLED;
		e->time = 1771928580;
		randombytes_buf(e->device, 32);
		randombytes_buf(e->tls_key, 32);
		handle(e->officer, i / 2);
		snprintf(e->post, sizeof e->post, "TOKYO");
		snprintf(e->name, sizeof e->name, "laptop");
		snprintf(e->operator_, sizeof e->operator_, "bench");
		ent[2 * i] = encode(e);
		uint8_t dev[32];
		memcpy(dev, e->device, 32);
		memset(e, 0, sizeof *e);
		e->event = DP_LOG_KEY_PUBLISHED;
		e->time = 1771928580;
		memcpy(e->device, dev, 32);
		e->record = rec;
		e->record_len = sizeof rec;
		ent[2 * i + 1] = encode(e);
	}
	/* a cable-fetched entry, for the cost of the entries the index skips */
	memset(e, 0, sizeof *e);
	e->event = DP_LOG_CABLE_FETCHED;
	e->time = 1771928580;
	randombytes_buf(e->cable_id, sizeof e->cable_id);
	snprintf(e->mrn, sizeof e->mrn, "26 TOKYO 000001");
	randombytes_buf(e->device, 32);
	blob fetched = encode(e);
	dp_devreplay *x = NULL;

	double *base = calloc((size_t)runs, sizeof *base), *replay = calloc((size_t)runs, sizeof *replay),
	       *rebuild = calloc((size_t)runs, sizeof *rebuild), *cached = calloc((size_t)runs, sizeof *cached),
	       *skip = calloc((size_t)runs, sizeof *skip), *load = calloc((size_t)runs, sizeof *load),
	       *view = calloc((size_t)runs, sizeof *view);
	uint8_t root[32];
	for (int k = 0; k < runs; k++) {
		dp_devreplay_free(x);
		x = NULL;
		int r = dp_devreplay_new(&x);
		double t0 = bench_now();
		for (size_t i = 0; !r && i < ne; i++)
			r = dp_devreplay_entry(x, i, ent[i].p, ent[i].len, NULL, 0);
		if (!r)
			r = dp_devreplay_root(x, root);
		replay[k] = (bench_now() - t0) * 1e3;
		if (r)
			die("replay", r);
		/* baseline: hash every record once */
		t0 = bench_now();
		uint8_t h[32];
		for (size_t i = 0; i < dp_devreplay_count(x); i++) {
			const char *o;
			const uint8_t *t;
			size_t len;
			int dirty;
			dp_devreplay_get(x, i, &o, &t, &len, &dirty);
			dp_sha256(h, t, len);
		}
		base[k] = (bench_now() - t0) * 1e3;
		/* one record changed: a key-published entry of an existing device again */
		r = dp_devreplay_entry(x, ne + (size_t)k, ent[1].p, ent[1].len, NULL, 0);
		t0 = bench_now();
		if (!r)
			r = dp_devreplay_root(x, root);
		rebuild[k] = (bench_now() - t0) * 1e3;
		t0 = bench_now();
		if (!r)
			r = dp_devreplay_root(x, root);
		cached[k] = (bench_now() - t0) * 1e3;
		t0 = bench_now();
		for (int i = 0; !r && i < 100000; i++)
			r = dp_devreplay_entry(x, ne + 1000 + (size_t)i, fetched.p, fetched.len, NULL, 0);
		skip[k] = (bench_now() - t0) * 1e9 / 100000;
		if (r)
			die("rounds", r);
		/* the records into a new replay, as the API's view and the signer's start read them */
		dp_devreplay *y = NULL;
		t0 = bench_now();
		r = copy_records(x, 0, &y, root);
		load[k] = (bench_now() - t0) * 1e3;
		dp_devreplay_free(y);
		if (r)
			die("load", r);
		y = NULL;
		t0 = bench_now();
		r = copy_records(x, 1, &y, root);
		view[k] = (bench_now() - t0) * 1e3;
		dp_devreplay_free(y);
		if (r)
			die("view", r);
	}
	double b = bench_median(base, runs), rb = bench_median(rebuild, runs);
	printf("officers %zu\n", n);
	printf("baseline_sha256_records %.3f ms\n", b);
	printf("replay_log %.3f ms\n", bench_median(replay, runs));
	printf("root_rebuild %.3f ms\n", rb);
	printf("root_cached %.6f ms\n", bench_median(cached, runs));
	printf("skip_entry %.1f ns\n", bench_median(skip, runs));
	printf("load_records %.3f ms\n", bench_median(load, runs));
	printf("view_records %.3f ms\n", bench_median(view, runs));
	printf("ratio_rebuild_baseline %.2f\n", b > 0 ? rb / b : 0);
	dp_devreplay_free(x);
	for (size_t i = 0; i < ne; i++)
		free(ent[i].p);
	free(ent);
	free(fetched.p);
	free(e);
	free(base);
	free(replay);
	free(rebuild);
	free(cached);
	free(skip);
	free(load);
	free(view);
	return 0;
}
