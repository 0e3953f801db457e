/*
 * bench_age - age encryption and decryption with libdenpo (dp_age_encrypt,
 * dp_age_decrypt; binary, not armored) of a 4 KiB and a 1 MiB payload to
 * 1, 20 and 200 recipient devices, X25519 and post-quantum
 * (mlkem768x25519), beside raw libsodium ChaCha20-Poly1305 (IETF) of the
 * same sizes in the same run: the floor that age's STREAM cannot beat.
 * Decryption uses the identity of the LAST recipient, so it tries every
 * stanza before its own (the worst case).  Each figure is the median of
 * RUNS windows of WINDOW seconds, in microseconds per operation; the
 * ratio lines divide by raw ChaCha20-Poly1305 of the same size.
 *
 *   bench_age [quick]
 *   output: one "name value unit" line per measurement
 *   goal: 1 MiB to 1 recipient within 1.5 x raw ChaCha20-Poly1305
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bench/bench_util.h"
#include "denpo/age.h"
#include "denpo/crypto.h"

#define MAXR 200

static int RUNS = 5;
static double WINDOW = 0.25;

static uint8_t *pt, *ct_raw;
static size_t cur_len;
static uint8_t key[32], nonce[12];
static dp_age_recipient *rc;
static dp_age_identity *ids;
static size_t cur_n;
static dp_buf file, out;

static int op_raw(void)
{
	unsigned long long cl;
	crypto_aead_chacha20poly1305_ietf_encrypt(ct_raw, &cl, pt, cur_len, NULL, 0, NULL, nonce, key);
	nonce[0]++;
	return 0;
}

static int op_encrypt(void)
{
	dp_buf_reset(&file);
	return dp_age_encrypt(rc, cur_n, pt, cur_len, 0, &file);
}

static int op_decrypt(void)
{
	dp_buf_reset(&out);
	int r = dp_age_decrypt(&ids[cur_n - 1], 1, file.p, file.len, &out);
	return r ? r : out.len != cur_len;
}

/* Median over RUNS windows of the time per call, in microseconds; < 0 on error. */
static double measure(int (*op)(void))
{
	double v[16];
	if (op())
		return -1; /* warm up, and check it works */
	for (int r = 0; r < RUNS; r++) {
		long n = 0;
		double t0 = bench_now(), t;
		do {
			if (op())
				return -1;
			n++;
			t = bench_now();
		} while (t - t0 < WINDOW);
		v[r] = (t - t0) / (double)n * 1e6;
	}
	return bench_median(v, RUNS);
}

static int setup_keys(int pq)
{
	for (int i = 0; i < MAXR; i++) {
		int r = pq ? dp_age_identity_generate_pq(&ids[i]) : dp_age_identity_generate(&ids[i]);
		if (r || dp_age_identity_to_recipient(&ids[i], &rc[i]))
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = {4096, 1 << 20};
	static const char *size_name[] = {"4k", "1m"};
	static const size_t counts[] = {1, 20, 200};
	double raw[2];

	if (dp_crypto_init())
		return 1;
	if (argc > 1 && !strcmp(argv[1], "quick")) {
		RUNS = 3;
		WINDOW = 0.05;
	}
	pt = malloc(1 << 20);
	ct_raw = malloc((1 << 20) + 16);
	rc = calloc(MAXR, sizeof *rc);
	ids = calloc(MAXR, sizeof *ids);
	if (!pt || !ct_raw || !rc || !ids)
		return 1;
	dp_random(pt, 1 << 20);
	dp_random(key, sizeof key);
	dp_buf_init(&file, 4u << 20);
	dp_buf_init(&out, 4u << 20);

	for (int s = 0; s < 2; s++) {
		cur_len = sizes[s];
		raw[s] = measure(op_raw);
		printf("chacha20poly1305_%s %.1f us\n", size_name[s], raw[s]);
	}
	for (int pq = 0; pq < 2; pq++) {
		const char *tn = pq ? "pq" : "x25519";
		if (setup_keys(pq)) {
			fprintf(stderr, "bench_age: key generation failed\n");
			return 1;
		}
		for (int s = 0; s < 2; s++)
			for (int c = 0; c < 3; c++) {
				cur_len = sizes[s];
				cur_n = counts[c];
				double e = measure(op_encrypt);
				double d = measure(op_decrypt); /* decrypts the last file made */
				if (e < 0 || d < 0) {
					fprintf(stderr, "bench_age: %s %s %zu failed\n", tn, size_name[s],
						cur_n);
					return 1;
				}
				printf("age_%s_%s_r%zu_encrypt %.1f us\n", tn, size_name[s], cur_n, e);
				printf("age_%s_%s_r%zu_decrypt %.1f us\n", tn, size_name[s], cur_n, d);
				printf("age_%s_%s_r%zu_header_bytes %zu B\n", tn, size_name[s], cur_n,
				       file.len - cur_len - 16 - 16 * ((cur_len + 65535) / 65536));
				printf("age_%s_%s_r%zu_encrypt_vs_chacha %.2f x\n", tn, size_name[s], cur_n,
				       e / raw[s]);
				printf("age_%s_%s_r%zu_decrypt_vs_chacha %.2f x\n", tn, size_name[s], cur_n,
				       d / raw[s]);
			}
		for (int i = 0; i < MAXR; i++)
			dp_age_identity_wipe(&ids[i]);
	}
	printf("goal 1m_r1_within 1.5 x\n");
	dp_buf_free(&file);
	dp_buf_free(&out);
	free(pt), free(ct_raw), free(rc), free(ids);
	return 0;
}
