/*
 * tests/tool_flood.c - a busy sending device for tests/it_kill9.sh and
 * scripts/failover-drill.
 *
 *   tool_flood HOME TO N OUTDIR [WORKERS] [DEADLINE_S]
 *
 * Uses the enrolled denpo device in HOME (keystore.age opened with
 * $DENPO_PASSPHRASE, answer.txt: fx_device_open) and libdenpo's client
 * (mTLS, pinned switch key).  Resolves the CONFIDENTIAL devices at post TO once, then
 * WORKERS processes (default 8) build and submit N cables between them,
 * like `denpo send` does: each submission (real signed envelope; 512
 * random bytes age-encrypted to the devices, so that they open it; the
 * switch never does) is first written to
 * OUTDIR/I.sub, then submitted; a network failure or a 503 is retried with
 * the SAME bytes every 50 ms until DEADLINE_S (default 90) has passed.
 *
 * With $FLOOD_FLASH_EVERY=K, cable I is a FLASH when I % K == K - 1 (the
 * others ROUTINE): a FLASH is checked on the switch's loop, not by its
 * workers, and written ahead of the ROUTINE pending (denpod/pool.h,
 * batch.c); it_kill9 has both kinds killed mid-way.
 *
 * One line per cable on stdout (a single write(), so lines from the
 * workers never mix when stdout is opened O_APPEND):
 *   ok I CABLE_ID MRN STATUS(201|200) TRIES DONE_MS SENT_MS
 *   fail I CABLE_ID ERRNAME MESSAGE
 * DONE_MS: when the answer came, SENT_MS: when the cable was first sent, in
 * milliseconds of the Unix epoch (scripts/failover-drill measures from each
 * kill to the next acceptance of a cable sent, or sent again, after it).
 * Exit 0 if every cable was accepted.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "denpo/age.h"
#include "denpo/client.h"
#include "denpo/encoding.h"
#include "denpo/enrol.h"
#include "denpo/envelope.h"
#include "denpo/keystore.h"
#include "tests/fixture.h"

#define PAYLOAD 512

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* milliseconds of the Unix epoch */
static long long ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int by_device(const void *a, const void *b)
{
	return memcmp(((const dp_recipient *)a)->device, ((const dp_recipient *)b)->device, 32);
}

/* One submission to the resolved devices, signed by this device. */
static int build(const dp_keystore *ks, const char *from, const char *to, const dp_resolved *d, size_t n,
		 int prec, dp_buf *sub)
{
	dp_envelope e;
	dp_envelope_init(&e);
	dp_random(e.cable_id, sizeof e.cable_id);
	memcpy(e.from_device, ks->sign_pk, 32);
	snprintf(e.from, sizeof e.from, "%s", from);
	e.created = (int64_t)time(NULL);
	e.classification = DP_CLASS_CONFIDENTIAL;
	e.prec_action = e.prec_info = prec;
	snprintf(e.to[0], sizeof e.to[0], "%s", to);
	e.nto = 1;
	e.recipients = calloc(n, sizeof *e.recipients);
	if (!e.recipients)
		return DP_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		memcpy(e.recipients[i].device, d[i].device, 32);
		e.recipients[i].key_type = (uint8_t)d[i].key_type;
		e.recipients[i].epoch = d[i].epoch;
		e.recipients[i].role = (uint8_t)d[i].role;
	}
	qsort(e.recipients, n, sizeof *e.recipients, by_device);
	e.nrecipients = n;
	/* random bytes, age-encrypted to the devices: they open it (tool_drain checks that) */
	uint8_t pt[PAYLOAD];
	dp_random(pt, sizeof pt);
	dp_age_recipient *keys = calloc(n, sizeof *keys);
	dp_buf payload, env;
	dp_buf_init(&payload, DP_MAX_PAYLOAD);
	dp_buf_init(&env, DP_ENVELOPE_MAX);
	int r = keys ? DP_OK : DP_ENOMEM;
	for (size_t i = 0; !r && i < n; i++)
		r = dp_age_recipient_parse(&keys[i], d[i].age_recipient);
	if (!r)
		r = dp_age_encrypt(keys, n, pt, sizeof pt, 0, &payload);
	free(keys);
	if (!r) {
		e.payload_len = payload.len;
		dp_sha256(e.payload_sha256, payload.p, payload.len);
		r = dp_envelope_encode(&e, ks->sign_sk, &env);
	}
	if (!r)
		r = dp_submission_encode(&env, payload.p, payload.len, sub);
	dp_buf_free(&payload);
	dp_buf_free(&env);
	dp_envelope_free(&e);
	return r;
}

static void line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void line(const char *fmt, ...)
{
	char b[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b, sizeof b, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof b - 1)
		n = (int)sizeof b - 1;
	if (write(1, b, (size_t)n) != n) {
		/* nothing better to do: the test will miss the line and fail */
	}
}

static int worker(const dp_client_config *cfg, const dp_keystore *ks, const char *from, const char *to,
		  const dp_resolved *d, size_t nd, long w, long nw, long n, const char *outdir, double deadline)
{
	dp_client *cl;
	if (dp_client_new(&cl, cfg))
		return 1;
	int bad = 0;
	const char *fe = getenv("FLOOD_FLASH_EVERY");
	long every = fe ? strtol(fe, NULL, 10) : 0;
	for (long i = w; i < n; i += nw) {
		dp_buf sub;
		dp_buf_init(&sub, DP_ENVELOPE_MAX + DP_MAX_PAYLOAD + 4);
		char path[4096], id[DP_HEXID];
		int prec = every > 0 && i % every == every - 1 ? DP_PREC_FLASH : DP_PREC_ROUTINE;
		int r = build(ks, from, to, d, nd, prec, &sub);
		snprintf(path, sizeof path, "%s/%ld.sub", outdir, i);
		if (!r)
			r = dp_write_file(path, sub.p, sub.len, 0600, 1);
		if (r) {
			fprintf(stderr, "tool_flood: cannot build/save cable %ld: %s\n", i, dp_strerror(r));
			dp_buf_free(&sub);
			bad = 1;
			break;
		}
		/* the cable id follows the u32 length, "DPEV", version and flags */
		dp_hex_encode(id, sub.p + 4 + 6, DP_CABLE_ID);
		dp_submit_result res;
		int tries = 0;
		long long sent = ms_now();
		for (;;) {
			tries++;
			r = dp_client_submit(cl, sub.p, sub.len, &res);
			int transient = r == DP_ENET || (r == DP_ESTORE && dp_client_http_status(cl) == 503);
			if (!transient || now_s() > deadline)
				break;
			struct timespec ts = {0, 50 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		if (r) {
			line("fail %ld %s %s %s\n", i, id, dp_errname(r), dp_client_message(cl));
			bad = 1;
		} else {
			line("ok %ld %s %s %d %d %lld %lld\n", i, res.cable_id, res.mrn, res.duplicate ? 200 : 201,
			     tries, ms_now(), sent);
		}
		dp_buf_free(&sub);
	}
	dp_client_free(cl);
	return bad;
}

int main(int argc, char **argv)
{
	if (argc < 5 || argc > 7) {
		fprintf(stderr, "usage: tool_flood HOME TO N OUTDIR [WORKERS] [DEADLINE_S]\n");
		return 2;
	}
	const char *home = argv[1], *to = argv[2], *outdir = argv[4];
	long n = strtol(argv[3], NULL, 10), nw = argc > 5 ? strtol(argv[5], NULL, 10) : 8;
	double deadline = now_s() + (argc > 6 ? strtod(argv[6], NULL) : 90.0);
	if (n < 1 || nw < 1 || nw > 64) {
		fprintf(stderr, "tool_flood: N >= 1, 1 <= WORKERS <= 64\n");
		return 2;
	}
	if (dp_crypto_init() || dp_client_global_init())
		return 1;
	dp_keystore *ks;
	dp_enrol_answer ans;
	dp_client_config cfg;
	int r = fx_device_open("tool_flood", home, &ks, &ans, &cfg);
	if (r)
		return 1;
	dp_client *cl;
	dp_resolution res;
	memset(&res, 0, sizeof res);
	dp_resolve_query q = {to, NULL, NULL, NULL, DP_CLASS_CONFIDENTIAL};
	r = dp_client_new(&cl, &cfg);
	if (!r) {
		r = dp_client_resolve(cl, &q, &res);
		if (r)
			fprintf(stderr, "tool_flood: resolve: %s (%s)\n", dp_strerror(r), dp_client_message(cl));
		dp_client_free(cl);
	}
	dp_resolved *d = res.devs;
	size_t nd = res.n;
	if (!r && nd == 0)
		r = DP_ENOTFOUND;
	if (r) {
		fprintf(stderr, "tool_flood: no recipients at %s: %s\n", to, dp_strerror(r));
		dp_resolution_free(&res);
		dp_keystore_free(ks);
		return 1;
	}
	fflush(NULL);
	for (long w = 0; w < nw; w++) {
		pid_t p = fork();
		if (p == 0) {
			int bad = worker(&cfg, ks, ans.post, to, d, nd, w, nw, n, outdir, deadline);
			dp_keystore_free(ks);
			dp_resolution_free(&res);
			_exit(bad);
		}
		if (p < 0) {
			fprintf(stderr, "tool_flood: fork failed\n");
			nw = w;
			r = DP_EIO;
			break;
		}
	}
	int bad = r != 0, st;
	while (wait(&st) > 0)
		bad |= !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	dp_keystore_free(ks);
	dp_resolution_free(&res);
	dp_client_global_cleanup();
	return bad;
}
