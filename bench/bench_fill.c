/*
 * bench_fill - N cables stored in a switch's data directory at once, written
 * through the store (denpod/store.h), for bench/scale.sh: the switch
 * measured with 10,000 and with 1,000,000 cables already stored.
 *
 *   bench_fill DIR N [--bytes B]
 *
 * DIR is a stopped switch's data directory (SQLite).  Each cable is B
 * random bytes (default 6500: a 4 KiB body to one recipient, as sent), from
 * post TOKYO, ROUTINE, to one recipient device that does not exist (never
 * the bench's), delivered and acknowledged: the archive of a switch that
 * has been running, not a queue.  Accepted one a minute before now,
 * oldest first (MRNs over several years: one post's serial per year
 * stays short of its end).  Written in transactions of 1000 as the
 * writer writes a batch (the bodies in segments, synced before each
 * commit), without their log entries: the log's growth is not what
 * scale.sh measures.  Prints "filled N cables in S s (R/s)".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "bench/bench_util.h"
#include "denpo/cable.h"
#include "denpod/store.h"

static void die(const char *what, int r)
{
	fprintf(stderr, "bench_fill: %s: %s\n", what, dp_strerror(r));
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc != 3 && !(argc == 5 && strcmp(argv[3], "--bytes") == 0)) {
		fprintf(stderr, "usage: bench_fill DIR N [--bytes B]\n");
		return 2;
	}
	long long n = atoll(argv[2]), bytes = argc == 5 ? atoll(argv[4]) : 6500;
	if (n < 0 || bytes < 16 || bytes > (1 << 20) || sodium_init() < 0) {
		fprintf(stderr, "bench_fill: N >= 0 and 16 <= B <= 1 MiB\n");
		return 2;
	}
	char path[4096];
	snprintf(path, sizeof path, "%s/denpod.db", argv[1]);
	dps_store *s = NULL;
	int r = dps_open(&s, path, 0);
	if (r)
		die("dps_open", r);
	uint8_t *data = malloc((size_t)bytes), dev[32];
	if (!data)
		die("malloc", DP_ENOMEM);
	randombytes_buf(data, (size_t)bytes);
	randombytes_buf(dev, 32);
	dps_rcpt rc;
	memset(&rc, 0, sizeof rc);
	memcpy(rc.device, dev, 32);
	rc.prec = DP_PREC_ROUTINE;
	int64_t t0 = (int64_t)time(NULL) - 60 * (int64_t)n;
	double start = bench_now();
	for (long long done = 0; done < n;) {
		r = dps_begin(s);
		for (int k = 0; !r && k < 1000 && done < n; k++, done++) {
			dps_submit sub;
			memset(&sub, 0, sizeof sub);
			randombytes_buf(sub.c.cable_id, DP_CABLE_ID);
			memcpy(data, sub.c.cable_id, DP_CABLE_ID); /* distinct bytes, distinct digests */
			snprintf(sub.c.from_post, sizeof sub.c.from_post, "TOKYO");
			snprintf(sub.c.officer, sizeof sub.c.officer, "bench.fill");
			memcpy(sub.c.from_device, dev, 32);
			sub.c.classification = DP_CLASS_CONFIDENTIAL;
			sub.c.prec_action = sub.c.prec_info = DP_PREC_ROUTINE;
			sub.rcpts = &rc;
			sub.nrcpts = 1;
			sub.data = data;
			sub.len = (size_t)bytes;
			sub.now = t0 + 60 * (int64_t)done;
			sub.log_idx = -1;
			r = dps_cable_insert(s, &sub);
			if (!r)
				r = dps_mark_acked(s, sub.c.seq, dev, sub.now + 30);
		}
		if (!r)
			r = dps_commit(s);
		else
			dps_rollback(s);
		if (r)
			die("fill", r);
	}
	double sec = bench_now() - start;
	printf("filled %lld cables in %.1f s (%.0f/s)\n", n, sec, sec > 0 ? (double)n / sec : 0.0);
	dps_close(s);
	free(data);
	return 0;
}
