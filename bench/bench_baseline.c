/*
 * bench_baseline - the physical limits the switch is measured against, in
 * the same run: libsodium Ed25519 verification of a 4 KiB message, and a
 * batched SQLite WAL (synchronous=FULL) insert of 4 KiB rows with a queue
 * index.  Prints medians of RUNS windows.
 *
 *   bench_baseline [DIR]    (DIR for the scratch database, default /tmp)
 *   output: one "name value unit" line per measurement (parsed by bench/run.sh)
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "bench/bench_util.h"

#define RUNS 5

static double ed25519_verify_rate(void)
{
	unsigned char pk[32], sk[64], sig[64], msg[4096];
	crypto_sign_keypair(pk, sk);
	randombytes_buf(msg, sizeof msg);
	crypto_sign_detached(sig, NULL, msg, sizeof msg, sk);
	double t0 = bench_now();
	long n = 0;
	do {
		for (int i = 0; i < 64; i++)
			if (crypto_sign_verify_detached(sig, msg, sizeof msg, pk) != 0)
				return -1;
		n += 64;
	} while (bench_now() - t0 < 0.3);
	sodium_memzero(sk, sizeof sk);
	return (double)n / (bench_now() - t0);
}

static int ex(sqlite3 *db, const char *s)
{
	char *e = NULL;
	if (sqlite3_exec(db, s, NULL, NULL, &e) != SQLITE_OK) {
		fprintf(stderr, "sqlite: %s: %s\n", s, e ? e : "?");
		sqlite3_free(e);
		return -1;
	}
	return 0;
}

/* rows/s for 20,000 4 KiB rows in transactions of `batch` rows. */
static double sqlite_rate(const char *dir, int batch)
{
	char path[4096], f[4200];
	snprintf(path, sizeof path, "%s/bench_baseline.%ld.db", dir, (long)getpid());
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	double rate = -1;
	sqlite3_stmt *st = NULL;
	if (ex(db, "PRAGMA journal_mode=WAL") || ex(db, "PRAGMA synchronous=FULL") ||
	    ex(db, "CREATE TABLE q(id INTEGER PRIMARY KEY, device INTEGER, prec INTEGER, body BLOB)") ||
	    ex(db, "CREATE INDEX qi ON q(device, prec, id)"))
		goto out;
	if (sqlite3_prepare_v2(db, "INSERT INTO q(device, prec, body) VALUES(?,?,?)", -1, &st, NULL))
		goto out;
	static unsigned char blob[4096];
	randombytes_buf(blob, sizeof blob);
	const int N = 20000;
	double t0 = bench_now();
	for (int i = 0; i < N; i += batch) {
		if (ex(db, "BEGIN"))
			goto out;
		for (int j = i; j < i + batch && j < N; j++) {
			sqlite3_bind_int(st, 1, j % 500);
			sqlite3_bind_int(st, 2, j % 4);
			sqlite3_bind_blob(st, 3, blob, sizeof blob, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE)
				goto out;
			sqlite3_reset(st);
		}
		if (ex(db, "COMMIT"))
			goto out;
	}
	rate = N / (bench_now() - t0);
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	unlink(path);
	snprintf(f, sizeof f, "%s-wal", path);
	unlink(f);
	snprintf(f, sizeof f, "%s-shm", path);
	unlink(f);
	return rate;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	if (sodium_init() < 0)
		return 1;
	double v[RUNS];
	for (int i = 0; i < RUNS; i++)
		v[i] = ed25519_verify_rate();
	printf("ed25519_verify_4k %.0f /s\n", bench_median(v, RUNS));
	int batches[] = {1, 100};
	for (unsigned b = 0; b < 2; b++) {
		for (int i = 0; i < 3; i++)
			v[i] = sqlite_rate(dir, batches[b]);
		printf("sqlite_wal_full_4k_batch%d %.0f rows/s\n", batches[b], bench_median(v, 3));
	}
	return 0;
}
