/*
 * bench_switch - load generator for denpod (docs/api.md), driven by bench/run.sh.
 *
 *   bench_switch setup DIR [--senders S]
 *       Makes S sender devices (post TOKYO, bench.s0..), 20 recipient devices
 *       (post HQ, bench.r0..r19) and one FLASH waiter (HQ, bench.w): keys in
 *       DIR/state (0600, bench only), enrolment requests in DIR/req/OFFICER.req.
 *       The script approves each into DIR/ans/OFFICER.ans with `denpod approve`.
 *   bench_switch load DIR --recipients N [--cables M] [--seconds T] [--conns K] [--label L]
 *       Pre-builds M distinct ROUTINE cables (4 KiB body, signed, age-encrypted
 *       to N recipient devices, enveloped), then submits them over K
 *       keep-alive mutual-TLS connections as fast as the switch answers
 *       (closed loop), stopping early after T seconds if given.  Prints
 *       L_gen_cpu_us: this process's CPU per accepted cable while sending.
 *   bench_switch flash DIR --rate R --seconds T [--fill F] [--fill-seconds S]
 *                      [--conns K] [--label L] [--raw FILE]
 *       Submits up to F untimed ROUTINE cables to bench.r0 first (deepening the
 *       switch's queue, for at most S seconds), then floods ROUTINE to
 *       bench.r0 at R cables/s for T seconds while bench.w, whose own queue is
 *       empty, waits on GET /v1/inbox?wait=30 and a FLASH to it is submitted
 *       every 20-40 ms (the next only once the last was received): measures
 *       submit -> inbox-answer latency, acks each FLASH and re-arms the poll.
 *       --raw appends each FLASH latency (ms) to FILE.  L_flood_gen_cpu_us:
 *       this process's CPU per flood cable while flooding (FLASH side included).
 *   bench_switch sends DIR --rate R --seconds T [--conns K] [--label L] [--raw FILE]
 *       An officer's sends while the switch is under attack (bench/conn_siege.sh):
 *       R ROUTINE cables/s for T seconds, each on a NEW connection (TCP and
 *       TLS handshake included in its latency, as `denpo send` has it), over
 *       at most K at a time; a send not answered within 20 s fails.  Prints
 *       L_accepted, L_errors (failed sends) and the latency percentiles; exit
 *       0 even if some failed (the script reports them).  --raw appends
 *       "start_s latency_ms status connect_ms tls_done_ms" per cable to FILE
 *       (status < 0: -curl code; the last two: since the start, as curl saw them).
 *
 * Several instances (docs/several-switches.md §3): when the enrolment answer
 * names several switch addresses, connection i goes to address i mod n (the
 * load is split across the instances), and in `flash` the FLASH sender
 * submits to the first address while the waiter long-polls the last, so a
 * FLASH crosses from one instance to the other (a NOTIFY wakes the waiter).
 *
 * Cables are built BEFORE timing (two threads), so client-side crypto does
 * not eat the measured server CPU; load and flash then submit with the light
 * client of bench/bench_tls.h (OpenSSL over epoll, requests written as
 * bytes), not libcurl, for the same reason (bench/README.md, "Issue 17: a
 * lighter load generator").  The FLASH sender and waiter use dp_client.  Output: "name value unit" lines; exit 1
 * if any submission was refused or a FLASH was not received within 5 s.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "bench/bench_tls.h"
#include "bench/bench_util.h"
#include "denpo/age.h"
#include "denpo/client.h"
#include "denpo/encoding.h"
#include "denpo/enrol.h"
#include "denpo/epoch.h"
#include "denpo/envelope.h"
#include "denpo/tls.h"

#define MAX_DEV 64
#define NRECV 20
#define BODY_LEN 4096
#define BUILD_THREADS 2
#define SUB_CAP (64u * 1024)
#define FLASH_MAX 4096

typedef struct {
	char officer[DP_NAME_MAX + 1];
	char post[DP_NAME_MAX + 1];
	uint8_t sign_seed[32], tls_seed[32];
	uint8_t sign_pk[32], sign_sk[64];
	dp_age_identity age;
	dp_age_recipient age_r;
	dp_buf cert, key; /* TLS PEM, made on demand */
} bdev;

typedef struct {
	bdev dev[MAX_DEV];
	int n;
	int senders[MAX_DEV], nsenders; /* bench.sN */
	int recv[NRECV];                /* bench.r0..r19 */
	int waiter;                     /* bench.w */
	dp_switch_list sw;              /* every instance's address, from the answer */
	uint8_t switch_tls[32];
	char pin[64];
} bstate;

static void die(const char *what, int r)
{
	fprintf(stderr, "bench_switch: %s: %s\n", what, r ? dp_strerror(r) : "failed");
	exit(1);
}

/* ---- state ---- */

static int dev_derive(bdev *d)
{
	crypto_sign_ed25519_seed_keypair(d->sign_pk, d->sign_sk, d->sign_seed);
	dp_buf_init(&d->cert, 16384);
	dp_buf_init(&d->key, 16384);
	return dp_age_identity_to_recipient(&d->age, &d->age_r);
}

static void dev_wipe(bdev *d)
{
	dp_buf_free(&d->cert);
	dp_buf_free(&d->key);
	dp_age_identity_wipe(&d->age);
	sodium_memzero(d, sizeof *d);
}

static void add_dev(bstate *s, const char *officer, const char *post)
{
	bdev *d = &s->dev[s->n++];
	snprintf(d->officer, sizeof d->officer, "%s", officer);
	snprintf(d->post, sizeof d->post, "%s", post);
	dp_random(d->sign_seed, 32);
	dp_random(d->tls_seed, 32);
	int r = dp_age_identity_generate_pq(&d->age); /* cables are post-quantum only */
	if (r || (r = dev_derive(d)))
		die("key generation", r);
}

/* Assign roles by officer name (bench.sN / bench.rN / bench.w). */
static void index_roles(bstate *s)
{
	s->nsenders = 0;
	s->waiter = -1;
	for (int i = 0; i < NRECV; i++)
		s->recv[i] = -1;
	for (int i = 0; i < s->n; i++) {
		const char *o = s->dev[i].officer;
		if (strncmp(o, "bench.s", 7) == 0)
			s->senders[s->nsenders++] = i;
		else if (strncmp(o, "bench.r", 7) == 0 && atoi(o + 7) >= 0 && atoi(o + 7) < NRECV)
			s->recv[atoi(o + 7)] = i;
		else if (strcmp(o, "bench.w") == 0)
			s->waiter = i;
	}
	for (int i = 0; i < NRECV; i++)
		if (s->recv[i] < 0)
			die("state lacks a recipient device", 0);
	if (s->waiter < 0 || s->nsenders < 2)
		die("state lacks the waiter or two senders", 0);
}

static int write_request(const char *dir, const bdev *d)
{
	dp_enrol_request q;
	memset(&q, 0, sizeof q);
	snprintf(q.officer, sizeof q.officer, "%s", d->officer);
	snprintf(q.post, sizeof q.post, "%s", d->post);
	snprintf(q.device_name, sizeof q.device_name, "BENCH");
	memcpy(q.sign_pk, d->sign_pk, 32);
	dp_tls_pk_from_seed(d->tls_seed, q.tls_pk);
	dp_buf b;
	dp_buf_init(&b, DP_AGE_RECIPIENT_MAX);
	int r = dp_age_recipient_format(&d->age_r, &b);
	if (!r)
		snprintf(q.age_recipient, sizeof q.age_recipient, "%s", (const char *)b.p);
	dp_buf_free(&b);
	q.epoch = 0;
	q.created = dp_now();
	q.key_not_before = q.created;
	q.key_not_after = q.created + DP_EPOCH_PERIOD + DP_EPOCH_OVERLAP;
	dp_buf_init(&b, DP_ENROL_MAX);
	if (!r)
		r = dp_enrol_request_encode(&q, d->sign_sk, &b);
	char path[1024];
	snprintf(path, sizeof path, "%s/req/%s.req", dir, d->officer);
	if (!r)
		r = dp_write_file(path, b.p, b.len, 0644, 1);
	dp_buf_free(&b);
	return r;
}

static int cmd_setup(const char *dir, int nsend)
{
	static bstate s;
	char path[1024];
	if (nsend < 2 || nsend > MAX_DEV - NRECV - 1)
		die("--senders must be 2..43", 0);
	for (int i = 0; i < nsend; i++) {
		snprintf(path, sizeof path, "bench.s%d", i);
		add_dev(&s, path, "TOKYO");
	}
	for (int i = 0; i < NRECV; i++) {
		snprintf(path, sizeof path, "bench.r%d", i);
		add_dev(&s, path, "HQ");
	}
	add_dev(&s, "bench.w", "HQ");
	const char *sub[] = {"", "/req", "/ans"};
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s%s", dir, sub[i]);
		if (mkdir(path, 0700) && errno != EEXIST)
			die(path, DP_EIO);
	}
	/* the state file holds secrets: one line per device, 0600, O_EXCL */
	dp_buf st, line;
	dp_buf_init(&st, 1 << 20);
	dp_buf_init(&line, 256);
	int r = 0;
	for (int i = 0; i < s.n && !r; i++) {
		char h1[65], h2[65];
		dp_hex_encode(h1, s.dev[i].sign_seed, 32);
		dp_hex_encode(h2, s.dev[i].tls_seed, 32);
		dp_buf_reset(&line);
		r = dp_age_identity_format(&s.dev[i].age, &line);
		if (!r)
			r = dp_buf_printf(&st, "%s %s %s %s %s\n", s.dev[i].officer, s.dev[i].post, h1,
					  h2, (const char *)line.p);
		sodium_memzero(h1, sizeof h1);
		sodium_memzero(h2, sizeof h2);
		if (!r)
			r = write_request(dir, &s.dev[i]);
	}
	snprintf(path, sizeof path, "%s/state", dir);
	if (!r)
		r = dp_write_file(path, st.p, st.len, 0600, 1);
	dp_buf_free(&st);
	dp_buf_free(&line);
	for (int i = 0; i < s.n; i++)
		dev_wipe(&s.dev[i]);
	if (r)
		die("setup", r);
	printf("devices %d\n", s.n);
	return 0;
}

static void load_state(bstate *s, const char *dir)
{
	char path[1024];
	dp_buf b;
	dp_buf_init(&b, 1 << 20);
	snprintf(path, sizeof path, "%s/state", dir);
	int r = dp_read_file(path, &b);
	if (r)
		die(path, r);
	char *save = NULL;
	for (char *ln = strtok_r((char *)b.p, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
		char *f[5], *sv2 = NULL;
		int nf = 0;
		for (char *t = strtok_r(ln, " ", &sv2); t && nf < 5; t = strtok_r(NULL, " ", &sv2))
			f[nf++] = t;
		if (nf != 5 || s->n == MAX_DEV)
			die("state file: bad line", DP_EPARSE);
		bdev *d = &s->dev[s->n++];
		snprintf(d->officer, sizeof d->officer, "%s", f[0]);
		snprintf(d->post, sizeof d->post, "%s", f[1]);
		if ((r = dp_hex_decode(d->sign_seed, 32, f[2], strlen(f[2]))) ||
		    (r = dp_hex_decode(d->tls_seed, 32, f[3], strlen(f[3]))) ||
		    (r = dp_age_identity_parse(&d->age, f[4])) || (r = dev_derive(d)))
			die("state file", r);
	}
	sodium_memzero(b.p, b.len);
	dp_buf_free(&b);
	index_roles(s);
	/* the switch's URL and TLS key come from an approved enrolment answer */
	dp_enrol_answer a;
	dp_buf_init(&b, DP_ENROL_MAX);
	snprintf(path, sizeof path, "%s/ans/%s.ans", dir, s->dev[s->senders[0]].officer);
	if ((r = dp_read_file(path, &b)) || (r = dp_enrol_answer_decode(&a, b.p, b.len)))
		die(path, r);
	dp_buf_free(&b);
	s->sw = a.switches;
	memcpy(s->switch_tls, a.switch_tls_pk, 32);
	dp_tls_pin(s->switch_tls, s->pin);
}

static void dev_tls(bdev *d)
{
	if (d->cert.len)
		return;
	int r = dp_tls_selfsigned(d->tls_seed, "bench", &d->cert, &d->key);
	if (r)
		die("TLS certificate", r);
}

/* ---- building cables (before timing) ---- */

typedef struct {
	const bstate *s;
	int prec;
	const int *rcpt;  /* device indices */
	int nrcpt;
	const int *from;  /* sender device indices, cable j is from from[j % nfrom] */
	int nfrom;
	dp_buf *out;      /* n submissions */
	uint8_t (*ids)[DP_CABLE_ID];
	int n;
	int tid;
	int err;
} build_job;

static int build_one(const build_job *jb, int j)
{
	const bdev *from = &jb->s->dev[jb->from[j % jb->nfrom]];
	dp_recipient rc[NRECV];
	dp_age_recipient keys[NRECV];
	for (int i = 0; i < jb->nrcpt; i++) {
		const bdev *d = &jb->s->dev[jb->rcpt[i]];
		memset(&rc[i], 0, sizeof rc[i]);
		memcpy(rc[i].device, d->sign_pk, 32);
		rc[i].key_type = DP_AGE_MLKEM768X25519;
		rc[i].epoch = 0;
		rc[i].role = DP_ROLE_ACTION;
		keys[i] = d->age_r;
	}
	dp_cable c;
	dp_cable_init(&c);
	dp_cable_new_id(c.id); /* as denpo send makes them */
	memcpy(jb->ids[j], c.id, DP_CABLE_ID);
	c.classification = DP_CLASS_CONFIDENTIAL;
	c.prec_action = c.prec_info = jb->prec;
	c.created = (int64_t)time(NULL);
	snprintf(c.from, sizeof c.from, "%s", from->post);
	memcpy(c.from_device, from->sign_pk, 32);
	snprintf(c.to[0], sizeof c.to[0], "HQ");
	c.nto = 1;
	snprintf(c.tags[0], sizeof c.tags[0], "BENCH");
	c.ntags = 1;
	snprintf(c.subject, sizeof c.subject, "Bench cable %d", j);
	snprintf(c.classified_by, sizeof c.classified_by, "bench load generator");
	c.body = malloc(BODY_LEN);
	if (!c.body)
		return DP_ENOMEM;
	c.body_len = BODY_LEN;
	dp_random(c.body, BODY_LEN);
	for (size_t i = 0; i < BODY_LEN; i++)
		c.body[i] = (i % 64 == 63) ? '\n' : (uint8_t)('a' + c.body[i] % 26);
	dp_buf pt, payload, env;
	dp_buf_init(&pt, 1 << 20);
	dp_buf_init(&payload, 1 << 20);
	dp_buf_init(&env, DP_ENVELOPE_MAX);
	dp_envelope e;
	dp_envelope_init(&e);
	int r = dp_cable_set_recipients(&c, rc, (size_t)jb->nrcpt);
	if (!r)
		r = dp_cable_encode(&c, from->sign_sk, &pt);
	if (!r)
		r = dp_age_encrypt(keys, (size_t)jb->nrcpt, pt.p, pt.len, 0, &payload);
	if (!r)
		r = dp_envelope_from_cable(&e, &c, payload.p, payload.len);
	if (!r)
		r = dp_envelope_encode(&e, from->sign_sk, &env);
	dp_buf_init(&jb->out[j], SUB_CAP);
	if (!r)
		r = dp_submission_encode(&env, payload.p, payload.len, &jb->out[j]);
	dp_envelope_free(&e);
	dp_buf_free(&pt);
	dp_buf_free(&payload);
	dp_buf_free(&env);
	dp_cable_free(&c);
	return r;
}

static void *build_thread(void *arg)
{
	build_job *jb = arg;
	for (int j = jb->tid; j < jb->n && !jb->err; j += BUILD_THREADS)
		jb->err = build_one(jb, j);
	return NULL;
}

/* Builds n submissions into out[] (and their ids); returns seconds spent. */
static double build_all(const bstate *s, int prec, const int *rcpt, int nrcpt, const int *from,
			int nfrom, dp_buf *out, uint8_t (*ids)[DP_CABLE_ID], int n)
{
	double t0 = bench_now();
	build_job jb[BUILD_THREADS];
	pthread_t th[BUILD_THREADS];
	for (int t = 0; t < BUILD_THREADS; t++) {
		jb[t] = (build_job){s, prec, rcpt, nrcpt, from, nfrom, out, ids, n, t, 0};
		if (pthread_create(&th[t], NULL, build_thread, &jb[t]))
			die("pthread_create", 0);
	}
	for (int t = 0; t < BUILD_THREADS; t++) {
		pthread_join(th[t], NULL);
		if (jb[t].err)
			die("building cables", jb[t].err);
	}
	return bench_now() - t0;
}

/* ---- what both engines share: which cable goes next, the pace, the counts ---- */

/*
 * The light engine (load, flash) and curl's (sends) differ in how a request
 * travels; the cables each connection sends, the pace and what is counted
 * are the same, so they are here once.
 */
typedef struct {
	dp_buf *subs;     /* cables, grouped by sending device: cable j is from from[j % nfrom] */
	int n, nfrom;
	int *next;        /* per sender position: next cable j of that sender */
	double rate;      /* 0: closed loop; else cables/s (open loop) */
	double t0, seconds;
	int more;         /* sends may still start */
	int sent, done, accepted, errors;
	double *lat;      /* answer latency of each accepted cable, seconds */
	int nlat;
	double t_first, t_last;
} plan;

static void plan_init(plan *q, dp_buf *subs, int n, int nfrom)
{
	memset(q, 0, sizeof *q);
	q->subs = subs;
	q->n = n;
	q->nfrom = nfrom;
	q->next = calloc((size_t)nfrom, sizeof *q->next);
	q->lat = calloc((size_t)n + 1, sizeof *q->lat);
	if (!q->next || !q->lat)
		die("engine", DP_ENOMEM);
	for (int f = 0; f < nfrom; f++)
		q->next[f] = f;
}

static void plan_free(plan *q)
{
	free(q->next);
	free(q->lat);
}

/*
 * rate 0: closed loop (each connection sends its next cable as soon as the
 * previous one is answered).  rate > 0: open loop at that many cables/s (a
 * send that finds every connection busy goes out late, never skipped), until
 * the cables run out or `seconds` passed (0: no limit).
 */
static void plan_start(plan *q, double rate, double seconds)
{
	q->rate = rate;
	q->seconds = seconds;
	q->t0 = bench_now();
	q->more = 1;
}

/* A send may start now (the time limit and the pace allow it). */
static int plan_due(plan *q, double now)
{
	if (q->seconds > 0 && now - q->t0 >= q->seconds)
		q->more = 0;
	return q->more && (q->rate <= 0 || now >= q->t0 + q->sent / q->rate);
}

/* The next cable of slot i's device (counted as sent from t), or -1 if it has none left. */
static int plan_take(plan *q, int i, double t)
{
	int f = i % q->nfrom, j = q->next[f];
	if (j >= q->n)
		return -1;
	q->next[f] += q->nfrom;
	if (!q->sent)
		q->t_first = t;
	q->sent++;
	return j;
}

/* An answer at t to a send started at t_start; 1 if its failure is to be printed (the first 5). */
static int plan_answer(plan *q, double t, double t_start, int accepted)
{
	q->done++;
	q->t_last = t;
	if (accepted) {
		q->accepted++;
		q->lat[q->nlat++] = t - t_start;
		return 0;
	}
	return q->errors++ < 5;
}

/* 1 once every cable sent was answered and no more will be sent. */
static int plan_over(plan *q)
{
	if (q->sent >= q->n)
		q->more = 0;
	return !q->more && q->done == q->sent;
}

/*
 * How long to wait for answers before the next send is due, ms.  Called
 * after every due send that found a free connection went out: a send still
 * due (late) waits for a connection to answer, not 0 ms.  Waiting 0 ms there
 * spun the generator's thread while every connection was busy, ~0.3 core of
 * the 2 it shares with the switch in a FLASH run on a loaded machine.
 */
static int plan_wait_ms(const plan *q)
{
	if (q->rate <= 0 || !q->more)
		return 50;
	double due = q->t0 + q->sent / q->rate - bench_now();
	return due <= 0 ? 50 : due < 0.001 ? 1 : (int)(due * 1000);
}

/* ---- the light engine: K keep-alive connections, OpenSSL over epoll (load, flash) ---- */

/*
 * libcurl's own CPU per request (its multi machinery, header building and
 * parsing) ran on the 2 cores it shares with the switch it measures, and so
 * counted against the switch (bench/README.md, "Issue 17: a lighter load
 * generator").  This engine writes each request as bytes over a kept
 * mutual-TLS connection and reads the answer with bench_tls.h's strict
 * reader; the switch's key is checked against the pin on each handshake.
 */
typedef struct {
	bench_conn c;
	int dev;          /* device whose certificate this connection presents */
	int inst;         /* the instance (index in bstate.sw) it talks to */
	int busy;
	double t0;
	dp_buf out;       /* the request being sent: head and submission */
} lslot;

typedef struct {
	bstate *s;
	int ep;
	struct sockaddr_in sa[DP_SWITCH_URLS_MAX];
	char host[DP_SWITCH_URLS_MAX][64];
	SSL_CTX *ctx[MAX_DEV]; /* per device, made once */
	lslot *slots;
	int nslots;
	plan q;
	int warming;      /* le_warm: GET /v1/health answers still due */
	int warm_bad;     /* one of them was not a 200 */
} lengine;

#define ANSWER_WAIT 60.0 /* seconds: an answer not in by then ends the run (curl's timeout was 60 s) */

static void le_init(lengine *g, bstate *s, int nslots, const int *from, int nfrom, dp_buf *subs,
		    int n)
{
	memset(g, 0, sizeof *g);
	g->s = s;
	for (size_t k = 0; k < s->sw.n; k++)
		if (bench_tls_addr(s->sw.url[k], &g->sa[k], g->host[k]))
			die("the switch's address is not https://IPv4:port", DP_EPARSE);
	g->ep = epoll_create1(EPOLL_CLOEXEC);
	g->slots = calloc((size_t)nslots, sizeof *g->slots);
	if (g->ep < 0 || !g->slots)
		die("engine", DP_ENOMEM);
	g->nslots = nslots;
	plan_init(&g->q, subs, n, nfrom);
	for (int i = 0; i < nslots; i++) {
		lslot *sl = &g->slots[i];
		sl->c.fd = -1;
		sl->dev = from[i % nfrom];
		sl->inst = (int)((size_t)i % s->sw.n);
		dp_buf_init(&sl->out, SUB_CAP + 512);
		if (!g->ctx[sl->dev]) {
			bdev *d = &s->dev[sl->dev];
			dev_tls(d);
			if (!(g->ctx[sl->dev] = bench_tls_ctx(&d->cert, &d->key)))
				die("client SSL_CTX", DP_ECRYPTO);
		}
	}
}

static void le_free(lengine *g)
{
	for (int i = 0; i < g->nslots; i++) {
		bench_conn_close(&g->slots[i].c);
		dp_buf_free(&g->slots[i].out);
	}
	for (int d = 0; d < MAX_DEV; d++)
		SSL_CTX_free(g->ctx[d]);
	close(g->ep);
	free(g->slots);
	plan_free(&g->q);
}

/* Send a request (the head, then body/len) on slot sl, connecting first if it is closed. */
static void le_send(lengine *g, lslot *sl, const char *method, const char *path, const void *body,
		    size_t len)
{
	if (sl->c.st == BC_CLOSED &&
	    bench_conn_open(&sl->c, g->ep, sl, &g->sa[sl->inst], g->ctx[sl->dev], g->s->switch_tls))
		die(sl->c.why, DP_ENET);
	dp_buf_reset(&sl->out);
	int r = body ? dp_buf_printf(&sl->out,
				     "%s %s HTTP/1.1\r\nHost: %s\r\n"
				     "Content-Type: application/octet-stream\r\n"
				     "Content-Length: %zu\r\n\r\n",
				     method, path, g->host[sl->inst], len)
		     : dp_buf_printf(&sl->out, "%s %s HTTP/1.1\r\nHost: %s\r\n\r\n", method, path,
				     g->host[sl->inst]);
	if (!r && body)
		r = dp_buf_append(&sl->out, body, len);
	if (r)
		die("request", r);
	sl->busy = 1;
	sl->t0 = bench_now();
	bench_conn_send(&sl->c, (const char *)sl->out.p, sl->out.len);
}

/* Advance slot sl: 0 waiting, 1 its answer is in (status in sl->c), -1 it failed (closed). */
static int le_step(lslot *sl)
{
	int r = bench_conn_step(&sl->c);
	if (r == 0)
		return 0;
	sl->busy = 0;
	if (r < 0 || sl->c.close_after)
		bench_conn_close(&sl->c);
	return r;
}

/* An answer (or failure) on slot sl: a submission's counted as curl's engine counted it. */
static void le_answered(lengine *g, lslot *sl, int r)
{
	if (g->warming) {
		g->warming--;
		if (r < 0 || sl->c.status != 200) {
			g->warm_bad = 1;
			fprintf(stderr, "bench_switch: connect: %s\n",
				r < 0 ? sl->c.why : "GET /v1/health did not answer 200");
		}
		return;
	}
	if (plan_answer(&g->q, bench_now(), sl->t0, r == 1 && sl->c.status == 201)) {
		if (r == 1)
			fprintf(stderr, "bench_switch: submit: HTTP %d: %.*s\n", sl->c.status,
				(int)(sl->c.want - sl->c.head), sl->c.buf + sl->c.head);
		else
			fprintf(stderr, "bench_switch: submit: %s\n", sl->c.why);
	}
}

/* An idle connection that the switch closed (or sent to unasked): an error, not an answer. */
static void le_idle_failed(lengine *g, const lslot *sl)
{
	if (g->q.errors++ < 5)
		fprintf(stderr, "bench_switch: connection: %s\n", sl->c.why);
}

/* Start the next cable of slot i's device; 0 if it has none left. */
static int le_start(lengine *g, int i)
{
	lslot *sl = &g->slots[i];
	int j = plan_take(&g->q, i, bench_now());
	if (j < 0)
		return 0;
	le_send(g, sl, "POST", "/v1/cables", g->q.subs[j].p, g->q.subs[j].len);
	int r = le_step(sl); /* written now if the connection is ready: no wait for epoll */
	if (r)
		le_answered(g, sl, r);
	return 1;
}

/* A busy slot whose answer is later than ANSWER_WAIT ends the run: the switch is stuck. */
static void le_check_late(const lengine *g, double now)
{
	for (int i = 0; i < g->nslots; i++)
		if (g->slots[i].busy && now - g->slots[i].t0 > ANSWER_WAIT)
			die("no answer from the switch within 60 s", DP_ENET);
}

/* Wait up to ms for the connections, and take what they answered. */
static void le_poll(lengine *g, int ms)
{
	struct epoll_event ev[64];
	int k = epoll_wait(g->ep, ev, 64, ms);
	if (k < 0 && errno != EINTR)
		die("epoll_wait", DP_EIO);
	for (int e = 0; e < k; e++) {
		lslot *sl = ev[e].data.ptr;
		int busy = sl->busy, r = le_step(sl);
		if (!r)
			continue;
		if (busy)
			le_answered(g, sl, r);
		else
			le_idle_failed(g, sl);
	}
	le_check_late(g, bench_now());
}

/* Open every connection (TLS handshake) before timing: one GET /v1/health per slot. */
static void le_warm(lengine *g)
{
	g->warming = g->nslots;
	for (int i = 0; i < g->nslots; i++)
		le_send(g, &g->slots[i], "GET", "/v1/health", NULL, 0);
	while (g->warming)
		le_poll(g, 1000);
	if (g->warm_bad || g->q.errors)
		die("warm-up GET /v1/health failed", 0);
}

/* Submit the cables (plan_start says how). */
static void le_run(lengine *g, double rate, double seconds)
{
	plan_start(&g->q, rate, seconds);
	for (;;) {
		double now = bench_now();
		for (int i = 0; i < g->nslots && plan_due(&g->q, now); i++)
			if (!g->slots[i].busy)
				(void)le_start(g, i); /* 0: this device has no cable left */
		if (plan_over(&g->q))
			break;
		le_poll(g, plan_wait_ms(&g->q));
	}
}

/* ---- sends' engine: libcurl multi, a new connection per cable (as `denpo send` has it) ---- */

typedef struct {
	CURL *h;
	int dev;          /* device whose certificate this connection presents */
	int inst;         /* the instance (index in bstate.sw) it talks to */
	int busy;
	double t0;
	char resp[512];
	size_t rlen;
} slot;

typedef struct {
	bstate *s;
	CURLM *m;
	struct curl_slist *hdrs;
	char url[DP_SWITCH_URLS_MAX][DP_URL_MAX + 32]; /* POST /v1/cables of each instance */
	slot *slots;
	int nslots;
	plan q;
	FILE *raw;        /* sends --raw: "start_s latency_ms status" per cable */
} engine;

static size_t on_resp(char *p, size_t sz, size_t nm, void *ud)
{
	slot *sl = ud;
	size_t n = sz * nm, room = sizeof sl->resp - 1 - sl->rlen;
	memcpy(sl->resp + sl->rlen, p, n < room ? n : room);
	sl->rlen += n < room ? n : room;
	sl->resp[sl->rlen] = 0;
	return n;
}

static void slot_setup(engine *g, slot *sl)
{
	bdev *d = &g->s->dev[sl->dev];
	dev_tls(d);
	struct curl_blob cert = {d->cert.p, d->cert.len, CURL_BLOB_COPY};
	struct curl_blob key = {d->key.p, d->key.len, CURL_BLOB_COPY};
	CURL *h = sl->h;
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
	curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
	curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key);
	curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	/* no CA: trust is the pinned key of the switch (checked on every handshake) */
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(h, CURLOPT_PINNEDPUBLICKEY, g->s->pin);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_resp);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, sl);
	curl_easy_setopt(h, CURLOPT_PRIVATE, sl);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, g->hdrs);
}

static void engine_init(engine *g, bstate *s, int nslots, const int *from, int nfrom, dp_buf *subs,
			int n)
{
	memset(g, 0, sizeof *g);
	g->s = s;
	g->m = curl_multi_init();
	/* Expect: 100-continue would cost a round trip per cable */
	g->hdrs = curl_slist_append(NULL, "Content-Type: application/octet-stream");
	g->hdrs = curl_slist_append(g->hdrs, "Expect:");
	for (size_t k = 0; k < s->sw.n; k++)
		snprintf(g->url[k], sizeof g->url[k], "%s/v1/cables", s->sw.url[k]);
	curl_multi_setopt(g->m, CURLMOPT_MAXCONNECTS, (long)nslots + 4);
	g->slots = calloc((size_t)nslots, sizeof *g->slots);
	if (!g->m || !g->hdrs || !g->slots)
		die("engine", DP_ENOMEM);
	g->nslots = nslots;
	plan_init(&g->q, subs, n, nfrom);
	for (int i = 0; i < nslots; i++) {
		g->slots[i].h = curl_easy_init();
		g->slots[i].dev = from[i % nfrom];
		g->slots[i].inst = (int)((size_t)i % s->sw.n);
		if (!g->slots[i].h)
			die("curl", DP_ENOMEM);
		slot_setup(g, &g->slots[i]);
	}
}

static void engine_free(engine *g)
{
	for (int i = 0; i < g->nslots; i++) {
		if (g->slots[i].busy)
			curl_multi_remove_handle(g->m, g->slots[i].h);
		curl_easy_cleanup(g->slots[i].h);
	}
	curl_multi_cleanup(g->m);
	curl_slist_free_all(g->hdrs);
	free(g->slots);
	plan_free(&g->q);
}

/* Start the next cable of this slot's device; 0 if it has none left. */
static int slot_start(engine *g, int i)
{
	slot *sl = &g->slots[i];
	sl->t0 = bench_now();
	int j = plan_take(&g->q, i, sl->t0);
	if (j < 0)
		return 0;
	sl->rlen = 0;
	sl->resp[0] = 0;
	curl_easy_setopt(sl->h, CURLOPT_URL, g->url[sl->inst]);
	curl_easy_setopt(sl->h, CURLOPT_POST, 1L);
	curl_easy_setopt(sl->h, CURLOPT_POSTFIELDS, (const char *)g->q.subs[j].p);
	curl_easy_setopt(sl->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)g->q.subs[j].len);
	sl->busy = 1;
	curl_multi_add_handle(g->m, sl->h);
	return 1;
}

/* Collect finished transfers. */
static void engine_reap(engine *g)
{
	CURLMsg *msg;
	int q;
	while ((msg = curl_multi_info_read(g->m, &q))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		char *pv = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &pv);
		slot *sl = (slot *)pv;
		double t = bench_now();
		long st = 0;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &st);
		CURLcode rc = msg->data.result;
		curl_multi_remove_handle(g->m, msg->easy_handle);
		sl->busy = 0;
		if (g->raw) {
			curl_off_t tc = 0, ttls = 0;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_CONNECT_TIME_T, &tc);
			curl_easy_getinfo(msg->easy_handle, CURLINFO_APPCONNECT_TIME_T, &ttls);
			fprintf(g->raw, "%.3f %.2f %ld %.2f %.2f\n", sl->t0 - g->q.t_first,
				(t - sl->t0) * 1e3, rc == CURLE_OK ? st : -(long)rc, tc / 1e3, ttls / 1e3);
		}
		if (plan_answer(&g->q, t, sl->t0, rc == CURLE_OK && st == 201))
			fprintf(stderr, "bench_switch: submit: %s, HTTP %ld: %s\n", curl_easy_strerror(rc),
				st, sl->resp);
	}
}

/* Submit the cables (plan_start says how). */
static void engine_run(engine *g, double rate, double seconds)
{
	plan_start(&g->q, rate, seconds);
	for (;;) {
		double now = bench_now();
		for (int i = 0; i < g->nslots && plan_due(&g->q, now); i++)
			if (!g->slots[i].busy)
				(void)slot_start(g, i); /* 0: this device has no cable left */
		int running = 0, before = g->q.done;
		curl_multi_perform(g->m, &running);
		engine_reap(g);
		if (plan_over(&g->q))
			break;
		if (g->q.done != before)
			continue; /* free connections: send before sleeping */
		curl_multi_poll(g->m, NULL, 0, plan_wait_ms(&g->q), NULL);
	}
}

static void print_lat(const char *label, double *v, int n)
{
	qsort(v, (size_t)n, sizeof v[0], bench_cmpd);
	printf("%s_p50 %.2f ms\n", label, bench_pct(v, (size_t)n, 50) * 1e3);
	printf("%s_p99 %.2f ms\n", label, bench_pct(v, (size_t)n, 99) * 1e3);
	printf("%s_max %.2f ms\n", label, n ? v[n - 1] * 1e3 : 0);
}

static void free_subs(dp_buf *subs, int n)
{
	for (int i = 0; i < n; i++)
		dp_buf_free(&subs[i]);
	free(subs);
}

/* ---- load ---- */

static int cmd_load(bstate *s, int nrcpt, int ncables, double seconds, int conns, const char *label)
{
	dp_buf *subs = calloc((size_t)ncables, sizeof *subs);
	uint8_t(*ids)[DP_CABLE_ID] = calloc((size_t)ncables, DP_CABLE_ID);
	if (!subs || !ids)
		die("out of memory", DP_ENOMEM);
	/* the last sender is kept for FLASH traffic; every sender needs a connection */
	int nfrom = s->nsenders - 1 < conns ? s->nsenders - 1 : conns;
	double tb = build_all(s, DP_PREC_ROUTINE, s->recv, nrcpt, s->senders, nfrom, subs, ids,
			      ncables);
	fprintf(stderr, "bench_switch: built %d cables to %d device(s) in %.1f s (%zu bytes each)\n",
		ncables, nrcpt, tb, subs[0].len);
	lengine g;
	le_init(&g, s, conns, s->senders, nfrom, subs, ncables);
	le_warm(&g);
	double c0 = bench_cpu_s();
	le_run(&g, 0, seconds);
	double cpu = bench_cpu_s() - c0;
	double secs = g.q.t_last - g.q.t_first;
	printf("%s_gen_cpu_us %.0f us\n", label, g.q.accepted ? cpu / g.q.accepted * 1e6 : 0);
	printf("%s_accepted %d cables\n", label, g.q.accepted);
	printf("%s_errors %d\n", label, g.q.errors);
	printf("%s_bytes %zu B\n", label, subs[0].len);
	printf("%s_instances %zu\n", label, s->sw.n);
	printf("%s_rate %.0f /s\n", label, secs > 0 ? g.q.accepted / secs : 0);
	print_lat(label, g.q.lat, g.q.nlat);
	int bad = g.q.errors != 0;
	le_free(&g);
	free_subs(subs, ncables);
	free(ids);
	return bad;
}

/* ---- sends over fresh connections (under attack) ---- */

static int cmd_sends(bstate *s, double rate, double seconds, int conns, const char *label,
		     const char *raw)
{
	int n = (int)(rate * seconds);
	dp_buf *subs = calloc((size_t)n, sizeof *subs);
	uint8_t(*ids)[DP_CABLE_ID] = calloc((size_t)n, DP_CABLE_ID);
	if (!subs || !ids)
		die("out of memory", DP_ENOMEM);
	int nfrom = s->nsenders - 1 < conns ? s->nsenders - 1 : conns;
	(void)build_all(s, DP_PREC_ROUTINE, s->recv, 1, s->senders, nfrom, subs, ids, n);
	engine g;
	engine_init(&g, s, conns, s->senders, nfrom, subs, n);
	if (raw && !(g.raw = fopen(raw, "a")))
		die(raw, DP_EIO);
	engine_run(&g, rate, seconds + 30); /* every cable is sent; late ones still count */
	if (g.raw && fclose(g.raw))
		die(raw, DP_EIO);
	printf("%s_accepted %d cables\n", label, g.q.accepted);
	printf("%s_errors %d\n", label, g.q.errors);
	print_lat(label, g.q.lat, g.q.nlat);
	engine_free(&g);
	free_subs(subs, n);
	free(ids);
	return 0;
}

/* ---- flash ---- */

typedef struct {
	bstate *s;
	uint8_t (*ids)[DP_CABLE_ID];
	int n;
	double t_sent[FLASH_MAX], t_recv[FLASH_MAX];
	int received, stop, err;
	pthread_mutex_t mu;
	pthread_cond_t cv;
} flash_ctx;

/* A client of device dev that talks to instance inst only (no failover). */
static dp_client *client_for(bstate *s, int dev, size_t inst)
{
	dp_client_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.url = s->sw.url[inst];
	memcpy(cfg.switch_tls_pk, s->switch_tls, 32);
	cfg.tls_seed = s->dev[dev].tls_seed;
	dp_client *c = NULL;
	int r = dp_client_new(&c, &cfg);
	if (r)
		die("dp_client_new", r);
	return c;
}

/* The waiting recipient: long-poll, timestamp each FLASH, ack it, re-arm. */
static void *waiter_thread(void *arg)
{
	flash_ctx *x = arg;
	dp_client *c = client_for(x->s, x->s->waiter, x->s->sw.n - 1);
	for (;;) {
		pthread_mutex_lock(&x->mu);
		int stop = x->stop;
		pthread_mutex_unlock(&x->mu);
		if (stop)
			break;
		dp_inbox_item *it = NULL;
		size_t n = 0;
		int r = dp_client_inbox(c, 30, &it, &n);
		double t = bench_now();
		if (r) {
			fprintf(stderr, "bench_switch: inbox: %s: %s\n", dp_strerror(r),
				dp_client_message(c));
			pthread_mutex_lock(&x->mu);
			x->err = r;
			pthread_mutex_unlock(&x->mu);
			break;
		}
		for (size_t i = 0; i < n; i++) {
			uint8_t id[DP_CABLE_ID];
			if (dp_hex_decode(id, DP_CABLE_ID, it[i].cable_id, strlen(it[i].cable_id)))
				continue;
			pthread_mutex_lock(&x->mu);
			for (int k = 0; k < x->n; k++)
				if (memcmp(x->ids[k], id, DP_CABLE_ID) == 0 && x->t_recv[k] == 0) {
					x->t_recv[k] = t;
					x->received++;
				}
			pthread_mutex_unlock(&x->mu);
			int64_t acked;
			if ((r = dp_client_ack(c, it[i].cable_id, &acked)))
				fprintf(stderr, "bench_switch: ack: %s\n", dp_strerror(r));
			pthread_cond_broadcast(&x->cv);
		}
		free(it);
	}
	dp_client_free(c);
	pthread_cond_broadcast(&x->cv);
	return NULL;
}

typedef struct {
	flash_ctx *x;
	dp_buf *subs;
	double seconds;
	int sent, lost;
} flash_sender;

/* Submit a FLASH every 20-40 ms; wait until it was received before the next one. */
static void *sender_thread(void *arg)
{
	flash_sender *fs = arg;
	flash_ctx *x = fs->x;
	dp_client *c = client_for(x->s, x->s->senders[x->s->nsenders - 1], 0);
	double t_end = bench_now() + fs->seconds;
	for (int i = 0; i < x->n && bench_now() < t_end; i++) {
		struct timespec d = {0, (20 + (long)randombytes_uniform(20)) * 1000000L};
		nanosleep(&d, NULL);
		dp_submit_result res;
		pthread_mutex_lock(&x->mu);
		x->t_sent[i] = bench_now();
		pthread_mutex_unlock(&x->mu);
		int r = dp_client_submit(c, fs->subs[i].p, fs->subs[i].len, &res);
		if (r) {
			fprintf(stderr, "bench_switch: FLASH submit: %s: %s\n", dp_strerror(r),
				dp_client_message(c));
			break;
		}
		fs->sent++;
		struct timespec dl;
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 5;
		pthread_mutex_lock(&x->mu);
		while (x->t_recv[i] == 0 && !x->err)
			if (pthread_cond_timedwait(&x->cv, &x->mu, &dl) == ETIMEDOUT)
				break;
		if (x->t_recv[i] == 0)
			fs->lost++;
		int err = x->err;
		pthread_mutex_unlock(&x->mu);
		if (err)
			break;
	}
	dp_client_free(c);
	return NULL;
}

static int cmd_flash(bstate *s, double rate, double seconds, int fill, double fill_secs, int conns,
		     const char *label, const char *raw)
{
	int nfrom = s->nsenders - 1 < conns ? s->nsenders - 1 : conns;
	int r0[1] = {s->recv[0]};
	/* 1. deepen the queue of bench.r0 (untimed; in chunks, for at most fill_secs) */
	int filled = 0;
	double tf = bench_now();
	while (filled < fill && bench_now() - tf < fill_secs) {
		int n = fill - filled < 10000 ? fill - filled : 10000;
		dp_buf *subs = calloc((size_t)n, sizeof *subs);
		uint8_t(*ids)[DP_CABLE_ID] = calloc((size_t)n, DP_CABLE_ID);
		if (!subs || !ids)
			die("out of memory", DP_ENOMEM);
		build_all(s, DP_PREC_ROUTINE, r0, 1, s->senders, nfrom, subs, ids, n);
		lengine g;
		le_init(&g, s, conns, s->senders, nfrom, subs, n);
		le_run(&g, 0, fill_secs - (bench_now() - tf));
		if (g.q.errors)
			die("filling the queue", 0);
		filled += g.q.accepted;
		le_free(&g);
		free_subs(subs, n);
		free(ids);
	}
	printf("%s_filled %d cables\n", label, filled);
	/* 2. build the flood and the FLASH cables */
	int nflood = (int)(rate * seconds * 1.05) + conns;
	dp_buf *subs = calloc((size_t)nflood, sizeof *subs);
	uint8_t(*ids)[DP_CABLE_ID] = calloc((size_t)nflood, DP_CABLE_ID);
	static flash_ctx x;
	static dp_buf fsubs[FLASH_MAX + 1];
	int nflash = (int)(seconds / 0.02) + 1;
	if (nflash > FLASH_MAX)
		nflash = FLASH_MAX;
	x.ids = calloc((size_t)nflash + 1, DP_CABLE_ID);
	if (!subs || !ids || !x.ids)
		die("out of memory", DP_ENOMEM);
	build_all(s, DP_PREC_ROUTINE, r0, 1, s->senders, nfrom, subs, ids, nflood);
	int w[1] = {s->waiter}, fsend[1] = {s->senders[s->nsenders - 1]};
	build_all(s, DP_PREC_FLASH, w, 1, fsend, 1, fsubs, x.ids, nflash + 1);
	x.s = s;
	x.n = nflash;
	pthread_mutex_init(&x.mu, NULL);
	pthread_cond_init(&x.cv, NULL);
	/* 3. the waiter drains leftovers, then long-polls */
	{
		dp_client *c = client_for(s, s->waiter, s->sw.n - 1);
		dp_inbox_item *it = NULL;
		size_t n = 0;
		int r = dp_client_inbox(c, 0, &it, &n);
		if (r)
			die("inbox", r);
		for (size_t i = 0; i < n; i++) {
			int64_t a;
			if ((r = dp_client_ack(c, it[i].cable_id, &a)))
				die("ack", r);
		}
		free(it);
		dp_client_free(c);
	}
	lengine g;
	le_init(&g, s, conns, s->senders, nfrom, subs, nflood);
	le_warm(&g);
	pthread_t tw, ts;
	flash_sender fs = {&x, fsubs, seconds, 0, 0};
	if (pthread_create(&tw, NULL, waiter_thread, &x))
		die("pthread_create", 0);
	struct timespec settle = {0, 200000000L};
	nanosleep(&settle, NULL);
	if (pthread_create(&ts, NULL, sender_thread, &fs))
		die("pthread_create", 0);
	double c0 = bench_cpu_s(); /* the FLASH sender's and waiter's CPU counts too: they run beside */
	le_run(&g, rate, seconds);
	double cpu = bench_cpu_s() - c0;
	pthread_join(ts, NULL);
	/* wake the waiter's long-poll with one last FLASH so it sees stop */
	pthread_mutex_lock(&x.mu);
	x.stop = 1;
	pthread_mutex_unlock(&x.mu);
	{
		dp_client *c = client_for(s, fsend[0], 0);
		dp_submit_result res;
		int r = dp_client_submit(c, fsubs[nflash].p, fsubs[nflash].len, &res);
		if (r)
			die("last FLASH", r);
		dp_client_free(c);
	}
	pthread_join(tw, NULL);

	double secs = g.q.t_last - g.q.t_first;
	printf("%s_flood_target %.0f /s\n", label, rate);
	printf("%s_flood_rate %.0f /s\n", label, secs > 0 ? g.q.accepted / secs : 0);
	printf("%s_flood_accepted %d cables\n", label, g.q.accepted);
	printf("%s_flood_errors %d\n", label, g.q.errors);
	printf("%s_flood_gen_cpu_us %.0f us\n", label, g.q.accepted ? cpu / g.q.accepted * 1e6 : 0);
	char fl[128];
	snprintf(fl, sizeof fl, "%s_flood", label);
	print_lat(fl, g.q.lat, g.q.nlat);
	double *lat = calloc((size_t)nflash + 1, sizeof *lat);
	int nl = 0;
	for (int i = 0; i < fs.sent; i++)
		if (x.t_recv[i] > 0)
			lat[nl++] = x.t_recv[i] - x.t_sent[i];
	printf("%s_flash_sent %d\n", label, fs.sent);
	printf("%s_flash_lost %d\n", label, fs.lost);
	if (raw) {
		FILE *f = fopen(raw, "a");
		for (int i = 0; f && i < nl; i++)
			fprintf(f, "%.3f\n", lat[i] * 1e3);
		if (!f || fclose(f))
			die(raw, DP_EIO);
	}
	print_lat(label, lat, nl);
	int bad = g.q.errors || fs.lost || x.err || !fs.sent;
	free(lat);
	le_free(&g);
	free_subs(subs, nflood);
	free(ids);
	for (int i = 0; i <= nflash; i++)
		dp_buf_free(&fsubs[i]);
	free(x.ids);
	return bad;
}

/* ---- main ---- */

static const char *opt(int argc, char **argv, const char *name, const char *def)
{
	for (int i = 3; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return def;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: see the comment at the top of bench/bench_switch.c\n");
		return 2;
	}
	if (dp_crypto_init() || curl_global_init(CURL_GLOBAL_DEFAULT))
		return 1;
	const char *cmd = argv[1], *dir = argv[2];
	if (strcmp(cmd, "setup") == 0)
		return cmd_setup(dir, atoi(opt(argc, argv, "--senders", "5")));
	static bstate s;
	load_state(&s, dir);
	int conns = atoi(opt(argc, argv, "--conns", "32"));
	if (conns < 1 || conns > 1024)
		die("--conns must be 1..1024", 0);
	int r = 2;
	if (strcmp(cmd, "load") == 0) {
		int nr = atoi(opt(argc, argv, "--recipients", "1"));
		int m = atoi(opt(argc, argv, "--cables", "10000"));
		double secs = atof(opt(argc, argv, "--seconds", "0"));
		if (nr < 1 || nr > NRECV || m < 1 || secs < 0)
			die("--recipients 1..20, --cables >= 1, --seconds >= 0", 0);
		r = cmd_load(&s, nr, m, secs, conns, opt(argc, argv, "--label", "load"));
	} else if (strcmp(cmd, "flash") == 0) {
		double rate = atof(opt(argc, argv, "--rate", "1000"));
		double secs = atof(opt(argc, argv, "--seconds", "10"));
		int fill = atoi(opt(argc, argv, "--fill", "0"));
		double fsecs = atof(opt(argc, argv, "--fill-seconds", "60"));
		if (rate <= 0 || secs <= 0 || secs > 120 || fill < 0 || fsecs <= 0)
			die("--rate > 0, --seconds 0..120, --fill >= 0, --fill-seconds > 0", 0);
		r = cmd_flash(&s, rate, secs, fill, fsecs, conns, opt(argc, argv, "--label", "flash"),
			      opt(argc, argv, "--raw", NULL));
	} else if (strcmp(cmd, "sends") == 0) {
		double rate = atof(opt(argc, argv, "--rate", "10"));
		double secs = atof(opt(argc, argv, "--seconds", "20"));
		if (rate <= 0 || secs <= 0 || rate * secs > 100000)
			die("--rate > 0, --seconds > 0, at most 100000 cables", 0);
		r = cmd_sends(&s, rate, secs, conns, opt(argc, argv, "--label", "sends"),
			      opt(argc, argv, "--raw", NULL));
	} else {
		fprintf(stderr, "bench_switch: unknown command %s\n", cmd);
	}
	for (int i = 0; i < s.n; i++)
		dev_wipe(&s.dev[i]);
	curl_global_cleanup();
	return r;
}
