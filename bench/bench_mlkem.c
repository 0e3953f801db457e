/*
 * bench_mlkem - ML-KEM-768 (libdenpo, portable C) keygen, encaps and decaps
 * per second on one core, beside libsodium X25519 in the same run (a
 * fixed-base scalarmult, as in an age key generation, and a variable-base
 * one, as in each age stanza).  Each figure is the median of RUNS windows
 * of WINDOW seconds.
 *
 *   bench_mlkem
 *   output: one "name value unit" line per measurement
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "bench/bench_util.h"
#include "denpo/crypto.h"
#include "denpo/mlkem.h"

#define RUNS 5
#define WINDOW 0.3

static uint8_t ek[DP_MLKEM768_EK], dk[DP_MLKEM768_DK], ct[DP_MLKEM768_CT];
static uint8_t xsk[32], xpk[32], xpeer[32];
static volatile uint8_t sink;

static int op_keygen(void)
{
	return dp_mlkem768_keygen(ek, dk, NULL);
}

static int op_encaps(void)
{
	uint8_t ss[32];
	int rc = dp_mlkem768_encaps(ct, ss, ek, sizeof ek);
	sink ^= ss[0];
	return rc;
}

static int op_decaps(void)
{
	uint8_t ss[32];
	int rc = dp_mlkem768_decaps(ss, dk, sizeof dk, ct, sizeof ct);
	sink ^= ss[0];
	return rc;
}

static int op_x25519_base(void)
{
	return crypto_scalarmult_base(xpk, xsk);
}

static int op_x25519(void)
{
	uint8_t s[32];
	int rc = crypto_scalarmult(s, xsk, xpeer);
	sink ^= s[0];
	return rc;
}

/* Operations per second: the median of RUNS windows. */
static double rate(int (*op)(void))
{
	double v[RUNS];
	for (int r = 0; r < RUNS; r++) {
		long n = 0;
		double t0 = bench_now(), t;
		do {
			for (int i = 0; i < 32; i++)
				if (op())
					return -1;
			n += 32;
		} while ((t = bench_now() - t0) < WINDOW);
		v[r] = (double)n / t;
	}
	return bench_median(v, RUNS);
}

int main(void)
{
	if (dp_crypto_init())
		return 1;
	randombytes_buf(xsk, sizeof xsk);
	crypto_scalarmult_base(xpeer, xsk);
	randombytes_buf(xsk, sizeof xsk);
	if (dp_mlkem768_keygen(ek, dk, NULL) || op_encaps())
		return 1;
	const struct {
		const char *name;
		int (*op)(void);
	} ops[] = {
		{"mlkem768_keygen", op_keygen},
		{"mlkem768_encaps", op_encaps},
		{"mlkem768_decaps", op_decaps},
		{"x25519_base", op_x25519_base},
		{"x25519", op_x25519},
	};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		double r = rate(ops[i].op);
		if (r < 0) {
			fprintf(stderr, "%s failed\n", ops[i].name);
			return 1;
		}
		printf("%s %.0f ops/s\n", ops[i].name, r);
		fflush(stdout);
	}
	sodium_memzero(dk, sizeof dk);
	sodium_memzero(xsk, sizeof xsk);
	return 0;
}
