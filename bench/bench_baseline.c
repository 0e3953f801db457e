/*
 * bench_baseline - the physical limits the switch is measured against, in
 * the same run: libsodium Ed25519 verification of a 4 KiB message (one
 * thread, and two threads at once: the 2-core rate), and a
 * batched SQLite WAL (synchronous=FULL) insert of 4 KiB rows with a queue
 * index.  Prints medians of RUNS windows.
 *
 *   bench_baseline [DIR]    (DIR for the scratch database, default /tmp)
 *   bench_baseline --pg URI [--bytes N] [--conns K] [--seconds S]
 *       The same for a PostgreSQL database instead (the switch's store on
 *       PostgreSQL is measured against it): rows of N bytes (the cable's
 *       size) into an indexed queue table (made and dropped here), each
 *       INSERT its own transaction with synchronous_commit on, from K
 *       connections at once (K threads: the server's WAL flush groups
 *       concurrent commits), then from one connection, and one connection
 *       inserting 100 rows per transaction.  Windows of S seconds (1).
 *   output: one "name value unit" line per measurement (parsed by bench/run.sh)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sodium.h>
#include <sqlite3.h>

#include "bench/bench_util.h"

#define RUNS 5

/* Verifications/s of one thread: a 4 KiB message, 0.3 s; -1 if one fails. */
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

/* One of the verifying threads of ed25519_verify_rate_2core: starts with the other. */
struct verifier {
	pthread_barrier_t *start;
	double rate;
};

static void *verifier_main(void *arg)
{
	struct verifier *v = arg;
	pthread_barrier_wait(v->start);
	v->rate = ed25519_verify_rate();
	return NULL;
}

/*
 * Verifications/s of two threads at once (the switch's machine has two
 * cores; issue 17's goals are ratios to this): the sum of their rates over
 * the same 0.3 s; -1 if one fails.
 */
static double ed25519_verify_rate_2core(void)
{
	pthread_barrier_t start;
	struct verifier v[2];
	pthread_t t[2];
	if (pthread_barrier_init(&start, NULL, 2))
		return -1;
	for (int i = 0; i < 2; i++) {
		v[i].start = &start;
		v[i].rate = -1;
	}
	if (pthread_create(&t[0], NULL, verifier_main, &v[0])) {
		pthread_barrier_destroy(&start);
		return -1;
	}
	if (pthread_create(&t[1], NULL, verifier_main, &v[1])) {
		verifier_main(&v[1]); /* the barrier still needs its second thread */
		pthread_join(t[0], NULL);
		pthread_barrier_destroy(&start);
		return -1;
	}
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	pthread_barrier_destroy(&start);
	return v[0].rate < 0 || v[1].rate < 0 ? -1 : v[0].rate + v[1].rate;
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

/* ---- PostgreSQL ---- */

typedef struct {
	const char *uri;
	const unsigned char *body;
	int bytes, batch;
	double seconds;
	long rows; /* out: rows committed in the window */
	int err;   /* out */
} pg_job;

static int pg_ok(PGconn *c, PGresult *res, ExecStatusType want, const char *what)
{
	int ok = PQresultStatus(res) == want;
	if (!ok)
		fprintf(stderr, "bench_baseline: %s: %s", what, PQerrorMessage(c));
	PQclear(res);
	return ok;
}

static int pg_exec(PGconn *c, const char *sql) { return pg_ok(c, PQexec(c, sql), PGRES_COMMAND_OK, sql); }

static PGconn *pg_connect(const char *uri)
{
	PGconn *c = PQconnectdb(uri);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "bench_baseline: connect: %s", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	/* durable commits, as the switch's (the server's default; set in case the cluster's is not) */
	if (!pg_exec(c, "SET synchronous_commit = on") || !pg_exec(c, "SET client_min_messages = warning")) {
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* One connection: insert rows `batch` per transaction for `seconds`. */
static void *pg_worker(void *arg)
{
	pg_job *j = arg;
	PGconn *c = pg_connect(j->uri);
	if (!c || !pg_ok(c, PQprepare(c, "ins", "INSERT INTO bench_q(device, prec, body) VALUES($1, $2, $3)",
				      3, NULL), PGRES_COMMAND_OK, "prepare")) {
		j->err = 1;
		PQfinish(c);
		return NULL;
	}
	char dev[16], prec[16];
	const char *val[3] = {dev, prec, (const char *)j->body};
	int len[3] = {0, 0, j->bytes}, fmt[3] = {0, 0, 1};
	double t0 = bench_now();
	long n = 0;
	while (!j->err && bench_now() - t0 < j->seconds) {
		if (j->batch > 1 && !pg_exec(c, "BEGIN"))
			j->err = 1;
		for (int k = 0; k < j->batch && !j->err; k++, n++) {
			snprintf(dev, sizeof dev, "%ld", n % 500);
			snprintf(prec, sizeof prec, "%ld", n % 4);
			if (!pg_ok(c, PQexecPrepared(c, "ins", 3, val, len, fmt, 0), PGRES_COMMAND_OK, "insert"))
				j->err = 1;
		}
		if (j->batch > 1 && !j->err && !pg_exec(c, "COMMIT"))
			j->err = 1;
		if (!j->err)
			j->rows = n;
	}
	PQfinish(c);
	return NULL;
}

/* rows/s committed by `conns` connections at once, `batch` rows per transaction. */
static double pg_rate(const char *uri, const unsigned char *body, int bytes, int conns, int batch,
		      double seconds)
{
	pthread_t th[256];
	pg_job jobs[256];
	int started = 0, err = 0;
	long rows = 0;
	double t0 = bench_now();
	for (int i = 0; i < conns; i++, started++) {
		jobs[i] = (pg_job){uri, body, bytes, batch, seconds, 0, 0};
		if (pthread_create(&th[i], NULL, pg_worker, &jobs[i])) {
			err = 1;
			break;
		}
	}
	for (int i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		err |= jobs[i].err;
		rows += jobs[i].rows;
	}
	double t = bench_now() - t0;
	return err ? -1 : (double)rows / t;
}

static const char *opt(int argc, char **argv, const char *name, const char *def)
{
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return def;
}

static int pg_main(int argc, char **argv)
{
	const char *uri = opt(argc, argv, "--pg", "");
	int bytes = atoi(opt(argc, argv, "--bytes", "4096")), conns = atoi(opt(argc, argv, "--conns", "32"));
	double secs = atof(opt(argc, argv, "--seconds", "1"));
	if (bytes < 1 || bytes > (1 << 20) || conns < 1 || conns > 256 || secs <= 0) {
		fprintf(stderr, "bench_baseline: --bytes 1..1048576, --conns 1..256, --seconds > 0\n");
		return 2;
	}
	PGconn *c = pg_connect(uri);
	if (!c || !pg_exec(c, "DROP TABLE IF EXISTS bench_q") ||
	    !pg_exec(c, "CREATE TABLE bench_q(id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
			"device int NOT NULL, prec int NOT NULL, body bytea NOT NULL)") ||
	    !pg_exec(c, "CREATE INDEX bench_qi ON bench_q(device, prec, id)")) {
		PQfinish(c);
		return 1;
	}
	unsigned char *body = malloc((size_t)bytes);
	if (!body)
		return 1;
	randombytes_buf(body, (size_t)bytes); /* incompressible, as a ciphertext */
	struct {
		const char *name;
		int conns, batch;
	} m[] = {{"pg_insert_concurrent", conns, 1}, {"pg_insert_one", 1, 1}, {"pg_insert_batch100", 1, 100}};
	int rc = 0;
	for (unsigned k = 0; k < sizeof m / sizeof m[0] && !rc; k++) {
		double v[3];
		for (int i = 0; i < 3 && !rc; i++)
			rc = (v[i] = pg_rate(uri, body, bytes, m[k].conns, m[k].batch, secs)) < 0;
		if (!rc)
			printf("%s %.0f rows/s (%d B rows, %d connection(s), %d row(s) a transaction)\n",
			       m[k].name, bench_median(v, 3), bytes, m[k].conns, m[k].batch);
		fflush(stdout);
	}
	if (!pg_exec(c, "DROP TABLE bench_q"))
		rc = 1;
	PQfinish(c);
	free(body);
	return rc;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	if (argc > 1 && strcmp(argv[1], "--pg") == 0)
		return pg_main(argc, argv);
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	double v[RUNS];
	for (int i = 0; i < RUNS; i++)
		v[i] = ed25519_verify_rate();
	printf("ed25519_verify_4k %.0f /s\n", bench_median(v, RUNS));
	for (int i = 0; i < RUNS; i++)
		v[i] = ed25519_verify_rate_2core();
	printf("ed25519_verify_4k_2core %.0f /s\n", bench_median(v, RUNS));
	int batches[] = {1, 100};
	for (unsigned b = 0; b < 2; b++) {
		for (int i = 0; i < 3; i++)
			v[i] = sqlite_rate(dir, batches[b]);
		printf("sqlite_wal_full_4k_batch%d %.0f rows/s\n", batches[b], bench_median(v, 3));
	}
	return 0;
}
