/*
 * bench/bench_client_phases.c - where a one-shot client's CPU goes before
 * and around its requests (issue 17 item 4): the steps every `denpo`
 * command that talks to the switch takes, each timed on its own, in the
 * order the command takes them (denpo/main.c, denpo/state.c):
 *
 *   bench_client_phases HOME [REQUESTS]
 *
 * HOME is an enrolled device's state directory (keystore.age, answer.txt;
 * the passphrase from $DENPO_PASSPHRASE, the switch up).  One line of
 * "phase=cpu_ms/wall_ms" fields on stdout:
 *   start       CPU this process used before main: the dynamic loader mapping
 *               and relocating every library (-z now), their constructors
 *   crypto      dp_crypto_init (libsodium)
 *   curl        dp_client_global_init (curl_global_init: OpenSSL's own init)
 *   answer      answer.txt read and decoded
 *   unlock      keystore.age read and opened (scrypt at $DENPO_SCRYPT_LOGN)
 *   client      dp_client_new (the device's TLS certificate made in memory)
 *   first       the first request: TCP connect, TLS 1.3 handshake (mutual,
 *               pinned) and GET /v1/health -- with OpenSSL's first-use work
 *   again       the median of REQUESTS-1 more GET /v1/health on the kept
 *               connection: the request alone
 *   reconnect   a second dp_client's first request (a new handle: a new
 *               handshake, OpenSSL already warm) minus "again": the handshake
 * Times are this process's CPU (user + system) and the wall clock.  One run
 * is one sample; bench/client_cost.sh takes medians over several.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench_util.h"
#include "denpo/client.h"
#include "denpo/crypto.h"
#include "denpo/enrol.h"
#include "denpo/keystore.h"

typedef struct {
	double cpu, wall;
} stamp;

static stamp now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (stamp){(double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6, bench_now() * 1e3};
}

static void say(const char *name, stamp a, stamp b)
{
	printf(" %s=%.3f/%.3f", name, b.cpu - a.cpu, b.wall - a.wall);
}

static int fail(const char *what, int r)
{
	fprintf(stderr, "bench_client_phases: %s: %s\n", what, dp_strerror(r));
	return 1;
}

static int new_client(dp_client **c, const dp_enrol_answer *ans, const dp_keystore *ks)
{
	dp_client_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.switches = &ans->switches;
	memcpy(cfg.switch_tls_pk, ans->switch_tls_pk, 32);
	cfg.tls_seed = ks->tls_seed;
	return dp_client_new(c, &cfg);
}

int main(int argc, char **argv)
{
	stamp t0 = now();
	/* the process's start: CPU before main, wall unknown (0) */
	printf("start=%.3f/0", t0.cpu);
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bench_client_phases HOME [REQUESTS]\n");
		return 2;
	}
	int nreq = argc == 3 ? atoi(argv[2]) : 21;
	if (nreq < 2 || nreq > 10000)
		nreq = 21;
	const char *pass = getenv("DENPO_PASSPHRASE");
	if (!pass)
		return fail("$DENPO_PASSPHRASE", DP_EINVAL);
	char path[PATH_MAX];
	stamp a = now();
	if (dp_crypto_init())
		return fail("dp_crypto_init", DP_ECRYPTO);
	stamp b = now();
	say("crypto", a, b);
	if (dp_client_global_init())
		return fail("dp_client_global_init", DP_ENET);
	a = now();
	say("curl", b, a);
	dp_enrol_answer ans;
	dp_buf f;
	dp_buf_init(&f, DP_ENROL_MAX);
	snprintf(path, sizeof path, "%s/answer.txt", argv[1]);
	int r = dp_read_file(path, &f);
	if (!r)
		r = dp_enrol_answer_decode(&ans, f.p, f.len);
	dp_buf_free(&f);
	if (r)
		return fail(path, r);
	b = now();
	say("answer", a, b);
	dp_keystore *ks = NULL;
	snprintf(path, sizeof path, "%s/keystore.age", argv[1]);
	if ((r = dp_keystore_load(&ks, path, pass, strlen(pass))))
		return fail(path, r);
	a = now();
	say("unlock", b, a);
	dp_client *c = NULL;
	if ((r = new_client(&c, &ans, ks)))
		return fail("dp_client_new", r);
	b = now();
	say("client", a, b);
	char ver[64];
	if ((r = dp_client_health(c, ver, sizeof ver)))
		return fail(dp_client_message(c), r);
	a = now();
	say("first", b, a);
	double *cpu = calloc((size_t)nreq, sizeof *cpu), *wall = calloc((size_t)nreq, sizeof *wall);
	if (!cpu || !wall)
		return fail("calloc", DP_ENOMEM);
	for (int i = 0; i < nreq - 1; i++) {
		b = now();
		if ((r = dp_client_health(c, ver, sizeof ver)))
			return fail(dp_client_message(c), r);
		a = now();
		cpu[i] = a.cpu - b.cpu;
		wall[i] = a.wall - b.wall;
	}
	double again_cpu = bench_median(cpu, nreq - 1), again_wall = bench_median(wall, nreq - 1);
	printf(" again=%.3f/%.3f", again_cpu, again_wall);
	dp_client *c2 = NULL;
	if ((r = new_client(&c2, &ans, ks)))
		return fail("dp_client_new", r);
	a = now();
	if ((r = dp_client_health(c2, ver, sizeof ver)))
		return fail(dp_client_message(c2), r);
	stamp e = now();
	printf(" reconnect=%.3f/%.3f\n", e.cpu - a.cpu - again_cpu, e.wall - a.wall - again_wall);
	free(cpu);
	free(wall);
	dp_client_free(c2);
	dp_client_free(c);
	dp_keystore_free(ks);
	dp_client_global_cleanup();
	return 0;
}
