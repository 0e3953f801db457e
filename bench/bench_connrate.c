/*
 * bench_connrate - new mutual-TLS connections per second against denpod
 * (bench/conn_rate.sh), and the in-process OpenSSL baseline beside it.
 *
 *   bench_connrate load DIR --seconds S [--conns N] [--devices D] [--path P] [--label L]
 *                      [--client openssl|curl]
 *       N requests in flight at once (one thread), each on a NEW TCP + TLS
 *       1.3 connection with no TLS session resumed (a full mutual-TLS
 *       handshake every time, as a device that starts `denpo` does), one
 *       HTTP/1.1 GET P (default /v1/health: an
 *       authenticated request, device and officer looked up, that reads no
 *       cable) per connection, for S seconds.  The client certificates are
 *       those of the bench devices bench_switch enrolled in DIR
 *       (bench/switch_setup.sh): the first D senders, in turn.
 *       Prints L_conns_per_s, L_p50 / L_p99 (ms, connect to answer),
 *       L_done, L_errors and L_client_cpu_us (this process's CPU per
 *       connection).  --client openssl (the default): OpenSSL directly over
 *       epoll, one SSL_CTX per device made once; --client curl: libcurl
 *       multi (CURLOPT_FRESH_CONNECT, FORBID_REUSE, no session cache), as
 *       denpo connects, at about three times the client CPU (it builds an
 *       SSL_CTX and parses the PEM certificate per connection), which on a
 *       2-core machine leaves the switch less than a core.
 *   bench_connrate baseline --seconds S [--label L]
 *       The same handshake in one process and one thread, no network: a
 *       TLS 1.3 client and server over memory BIOs, self-signed Ed25519
 *       certificates on both sides, the client's verified by a callback, the
 *       server sending no session ticket (as denpod), for S seconds of this
 *       thread's CPU.  Prints L_hs_per_s (both sides, per second of one
 *       core's CPU) and L_server_us (the server side's CPU per handshake: the
 *       floor of denpod's cost per connection).  CPU time, not wall time:
 *       other processes on the machine do not move it.
 *
 * Output: "name value unit" lines; exit 1 if the switch answered nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "bench/bench_tls.h"
#include "bench/bench_util.h"
#include "denpo/encoding.h"
#include "denpo/enrol.h"
#include "denpo/error.h"
#include "denpo/tls.h"

#define MAX_DEV 64
#define MAX_CONNS 1024
#define MAX_LAT (1u << 22)

static void die(const char *what, int r)
{
	fprintf(stderr, "bench_connrate: %s: %s\n", what, r ? dp_strerror(r) : "failed");
	exit(1);
}

/* This thread's CPU time, seconds (the baseline: not slowed by other processes). */
static double thread_cpu_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* ---- the bench devices (bench_switch's state file) ---- */

typedef struct {
	dp_buf cert, key; /* TLS PEM */
} cdev;

typedef struct {
	cdev dev[MAX_DEV];
	int n;
	char url[DP_URL_MAX + 1];
	char pin[64];
	uint8_t switch_tls[32];
} cstate;

/* The senders' TLS identities (field 4 of each bench.sN line) and the switch from an answer. */
static void load_state(cstate *s, const char *dir, int want)
{
	char path[1024], officer[64] = "";
	dp_buf b;
	dp_buf_init(&b, 1 << 20);
	snprintf(path, sizeof path, "%s/state", dir);
	int r = dp_read_file(path, &b);
	if (r)
		die(path, r);
	char *save = NULL;
	for (char *ln = strtok_r((char *)b.p, "\n", &save); ln && s->n < want;
	     ln = strtok_r(NULL, "\n", &save)) {
		char *f[4], *sv2 = NULL;
		int nf = 0;
		for (char *t = strtok_r(ln, " ", &sv2); t && nf < 4; t = strtok_r(NULL, " ", &sv2))
			f[nf++] = t;
		if (nf != 4)
			die("state file: bad line", DP_EPARSE);
		if (strncmp(f[0], "bench.s", 7) != 0)
			continue;
		if (!officer[0])
			snprintf(officer, sizeof officer, "%s", f[0]);
		uint8_t seed[32];
		cdev *d = &s->dev[s->n++];
		dp_buf_init(&d->cert, 16384);
		dp_buf_init(&d->key, 16384);
		if ((r = dp_hex_decode(seed, 32, f[3], strlen(f[3]))) ||
		    (r = dp_tls_selfsigned(seed, "bench", &d->cert, &d->key)))
			die("state file", r);
		sodium_memzero(seed, sizeof seed);
	}
	sodium_memzero(b.p, b.len);
	dp_buf_free(&b);
	if (!s->n)
		die("state file: no sender device", DP_EPARSE);
	dp_enrol_answer a;
	dp_buf_init(&b, DP_ENROL_MAX);
	snprintf(path, sizeof path, "%s/ans/%s.ans", dir, officer);
	if ((r = dp_read_file(path, &b)) || (r = dp_enrol_answer_decode(&a, b.p, b.len)))
		die(path, r);
	dp_buf_free(&b);
	snprintf(s->url, sizeof s->url, "%s", a.switches.url[0]);
	dp_tls_pin(a.switch_tls_pk, s->pin);
	memcpy(s->switch_tls, a.switch_tls_pk, 32);
}

/* ---- load: N requests in flight, each on a new connection ---- */

typedef struct {
	CURL *h;
	double t0;
} slot;

static size_t sink(char *p, size_t sz, size_t nm, void *ud)
{
	(void)p;
	(void)ud;
	return sz * nm;
}

static void slot_setup(CURL *h, const cstate *s, const cdev *d, const char *url, slot *sl)
{
	struct curl_blob cert = {d->cert.p, d->cert.len, CURL_BLOB_COPY};
	struct curl_blob key = {d->key.p, d->key.len, CURL_BLOB_COPY};
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
	curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
	curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key);
	curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	/* no CA: trust is the pinned key of the switch (checked on every handshake) */
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(h, CURLOPT_PINNEDPUBLICKEY, s->pin);
	/* a full handshake every time: no connection and no TLS session kept */
	curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_PRIVATE, sl);
}

static int cmd_load(const char *dir, double secs, int conns, int ndev, const char *p,
		    const char *label)
{
	static cstate s;
	char url[DP_URL_MAX + 256];
	load_state(&s, dir, ndev);
	snprintf(url, sizeof url, "%s%s", s.url, p);
	CURLM *m = curl_multi_init();
	slot *sl = calloc((size_t)conns, sizeof *sl);
	double *lat = malloc(MAX_LAT * sizeof *lat);
	if (!m || !sl || !lat)
		die("load", DP_ENOMEM);
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)conns + 4);
	size_t done = 0, errors = 0;
	int running = 0;
	double t0 = bench_now(), c0 = bench_cpu_s(), end = t0 + secs;
	for (int i = 0; i < conns; i++) {
		if (!(sl[i].h = curl_easy_init()))
			die("curl", DP_ENOMEM);
		slot_setup(sl[i].h, &s, &s.dev[i % s.n], url, &sl[i]);
		sl[i].t0 = bench_now();
		curl_multi_add_handle(m, sl[i].h);
	}
	for (;;) {
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			slot *x = NULL;
			long st = 0;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &st);
			double now = bench_now();
			if (msg->data.result == CURLE_OK && st == 200) {
				if (done < MAX_LAT)
					lat[done] = now - x->t0;
				done++;
			} else if (errors++ < 5) {
				fprintf(stderr, "bench_connrate: request failed: %s, HTTP %ld\n",
					curl_easy_strerror(msg->data.result), st);
			}
			curl_multi_remove_handle(m, x->h);
			if (now < end) {
				x->t0 = now;
				curl_multi_add_handle(m, x->h);
			}
		}
		if (!running && bench_now() >= end)
			break;
		curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	double el = bench_now() - t0, cpu = bench_cpu_s() - c0;
	for (int i = 0; i < conns; i++)
		curl_easy_cleanup(sl[i].h);
	curl_multi_cleanup(m);
	size_t nl = done < MAX_LAT ? done : MAX_LAT;
	qsort(lat, nl, sizeof *lat, bench_cmpd);
	printf("%s_conns_per_s %.0f conn/s\n", label, (double)done / el);
	printf("%s_p50 %.2f ms\n", label, bench_pct(lat, nl, 50) * 1e3);
	printf("%s_p99 %.2f ms\n", label, bench_pct(lat, nl, 99) * 1e3);
	printf("%s_done %zu conns\n", label, done);
	printf("%s_errors %zu conns\n", label, errors);
	printf("%s_client_cpu_us %.0f us\n", label, done ? cpu / (double)done * 1e6 : 0);
	free(lat);
	free(sl);
	for (int i = 0; i < s.n; i++) {
		dp_buf_free(&s.dev[i].cert);
		dp_buf_free(&s.dev[i].key);
	}
	return done ? 0 : 1;
}

/* ---- baseline: the bare OpenSSL handshake, both sides in this thread ---- */

static void ossl_die(const char *what)
{
	ERR_print_errors_fp(stderr);
	die(what, 0);
}

/* An SSL_CTX with a fresh self-signed Ed25519 identity (dp_tls_selfsigned, as denpo's). */
static SSL_CTX *ctx_new(int server)
{
	uint8_t seed[32];
	dp_buf cert, key;
	dp_buf_init(&cert, 16384);
	dp_buf_init(&key, 16384);
	randombytes_buf(seed, sizeof seed);
	if (dp_tls_selfsigned(seed, server ? "denpo switch" : "bench", &cert, &key))
		die("certificate", 0);
	BIO *cb = BIO_new_mem_buf(cert.p, (int)cert.len), *kb = BIO_new_mem_buf(key.p, (int)key.len);
	X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
	EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!x || !k || !ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    SSL_CTX_use_certificate(ctx, x) != 1 || SSL_CTX_use_PrivateKey(ctx, k) != 1)
		ossl_die("SSL_CTX");
	BIO_free(cb);
	BIO_free(kb);
	X509_free(x);
	EVP_PKEY_free(k);
	dp_buf_free(&cert);
	dp_buf_free(&key);
	sodium_memzero(seed, sizeof seed);
	return ctx;
}

/* Accepts any self-signed leaf (denpod checks the key against its directory instead). */
static int accept_leaf(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

/* One handshake over a pair of memory BIOs; *server_s += the server side's time. */
static void handshake(SSL_CTX *sc, SSL_CTX *cc, double *server_s)
{
	SSL *srv = SSL_new(sc), *cli = SSL_new(cc);
	BIO *s_in = BIO_new(BIO_s_mem()), *s_out = BIO_new(BIO_s_mem());
	if (!srv || !cli || !s_in || !s_out)
		ossl_die("SSL_new");
	/* the client reads what the server writes and writes what it reads */
	SSL_set_bio(srv, s_in, s_out);
	BIO_up_ref(s_in);
	BIO_up_ref(s_out);
	SSL_set_bio(cli, s_out, s_in);
	SSL_set_accept_state(srv);
	SSL_set_connect_state(cli);
	int sd = 0, cd = 0;
	for (int round = 0; round < 16 && !(sd && cd); round++) {
		if (!cd) {
			int r = SSL_do_handshake(cli);
			if (r == 1)
				cd = 1;
			else if (SSL_get_error(cli, r) != SSL_ERROR_WANT_READ)
				ossl_die("client handshake");
		}
		if (!sd) {
			double t = thread_cpu_s();
			int r = SSL_do_handshake(srv);
			*server_s += thread_cpu_s() - t;
			if (r == 1)
				sd = 1;
			else if (SSL_get_error(srv, r) != SSL_ERROR_WANT_READ)
				ossl_die("server handshake");
		}
	}
	if (!sd || !cd)
		die("handshake did not finish", 0);
	SSL_free(cli);
	SSL_free(srv);
}

static int cmd_baseline(double secs, const char *label)
{
	SSL_CTX *sc = ctx_new(1), *cc = ctx_new(0);
	SSL_CTX_set_verify(sc, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_leaf);
	SSL_CTX_set_num_tickets(sc, 0);
	SSL_CTX_set_verify(cc, SSL_VERIFY_PEER, accept_leaf);
	SSL_CTX_set_session_cache_mode(cc, SSL_SESS_CACHE_OFF);
	double t0 = thread_cpu_s(), srv_s = 0;
	long n = 0;
	while (thread_cpu_s() - t0 < secs) {
		handshake(sc, cc, &srv_s);
		n++;
	}
	double el = thread_cpu_s() - t0;
	printf("%s_hs_per_s %.0f hs/s\n", label, (double)n / el);
	printf("%s_server_us %.0f us\n", label, srv_s / (double)n * 1e6);
	SSL_CTX_free(sc);
	SSL_CTX_free(cc);
	return 0;
}

/* ---- load, the light client: OpenSSL directly, epoll, one thread ---- */

/*
 * libcurl builds an SSL_CTX and parses the client's PEM certificate and key
 * for every connection: ~1.3 ms of client CPU each, more than the switch
 * spends, on a machine whose cores the client shares with the switch.  This
 * client (bench_tls.h, which bench_switch's load uses too) makes one SSL_CTX
 * per device, once, and otherwise does what curl does: connect, a full TLS
 * 1.3 handshake with the device's certificate (no session kept), the
 * switch's key checked against the pin, one request, the answer read, close.
 */
typedef struct {
	bench_conn c;
	int dev;
	double t0;
} oconn;

typedef struct {
	int ep;
	struct sockaddr_in sa;
	SSL_CTX *ctx[MAX_DEV];
	const cstate *s;
	char req[512];
	size_t reqlen;
	size_t done, errors;
	double *lat;
} oeng;

static void o_start(oeng *g, oconn *c)
{
	c->t0 = bench_now();
	if (bench_conn_open(&c->c, g->ep, c, &g->sa, g->ctx[c->dev], g->s->switch_tls))
		die(c->c.why, DP_ENET);
	bench_conn_send(&c->c, g->req, g->reqlen);
}

/* Advance c; 1 when its request was answered or failed (it is closed then). */
static int o_step(oeng *g, oconn *c)
{
	int r = bench_conn_step(&c->c);
	if (!r)
		return 0;
	if (r == 1 && c->c.status == 200) {
		if (g->done < MAX_LAT)
			g->lat[g->done] = bench_now() - c->t0;
		g->done++;
	} else if (g->errors++ < 5) {
		fprintf(stderr, "bench_connrate: connection failed: %s\n",
			r < 0 ? c->c.why : "not a 200 answer");
	}
	bench_conn_close(&c->c);
	return 1;
}

static int cmd_load_ossl(const char *dir, double secs, int conns, int ndev, const char *p,
			 const char *label)
{
	static cstate s;
	static oeng g;
	load_state(&s, dir, ndev);
	g.s = &s;
	char host[64];
	if (bench_tls_addr(s.url, &g.sa, host))
		die("the switch's address is not https://IPv4:port", DP_EPARSE);
	int n = snprintf(g.req, sizeof g.req, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
			 p, host);
	if (n < 0 || (size_t)n >= sizeof g.req)
		die("path too long", DP_EINVAL);
	g.reqlen = (size_t)n;
	for (int i = 0; i < s.n; i++)
		if (!(g.ctx[i] = bench_tls_ctx(&s.dev[i].cert, &s.dev[i].key)))
			die("client SSL_CTX", DP_ECRYPTO);
	oconn *c = calloc((size_t)conns, sizeof *c);
	g.lat = malloc(MAX_LAT * sizeof *g.lat);
	g.ep = epoll_create1(EPOLL_CLOEXEC);
	if (!c || !g.lat || g.ep < 0)
		die("load", DP_ENOMEM);
	double t0 = bench_now(), c0 = bench_cpu_s(), end = t0 + secs;
	int live = 0;
	for (int i = 0; i < conns; i++) {
		c[i].dev = i % s.n;
		o_start(&g, &c[i]);
		live++;
	}
	struct epoll_event ev[64];
	while (live) {
		int k = epoll_wait(g.ep, ev, 64, 1000);
		if (k < 0 && errno != EINTR)
			die("epoll_wait", DP_EIO);
		double now = bench_now();
		for (int j = 0; j < k; j++) {
			oconn *x = ev[j].data.ptr;
			if (!o_step(&g, x))
				continue;
			if (now < end) {
				x->dev = (x->dev + 1) % s.n;
				o_start(&g, x);
			} else {
				live--;
			}
		}
		if (now > end + 25) /* a connection the switch never answers: give up on it */
			break;
	}
	double el = bench_now() - t0, cpu = bench_cpu_s() - c0;
	size_t nl = g.done < MAX_LAT ? g.done : MAX_LAT;
	qsort(g.lat, nl, sizeof *g.lat, bench_cmpd);
	printf("%s_conns_per_s %.0f conn/s\n", label, (double)g.done / el);
	printf("%s_p50 %.2f ms\n", label, bench_pct(g.lat, nl, 50) * 1e3);
	printf("%s_p99 %.2f ms\n", label, bench_pct(g.lat, nl, 99) * 1e3);
	printf("%s_done %zu conns\n", label, g.done);
	printf("%s_errors %zu conns\n", label, g.errors + (size_t)live);
	printf("%s_client_cpu_us %.0f us\n", label, g.done ? cpu / (double)g.done * 1e6 : 0);
	for (int i = 0; i < conns; i++)
		bench_conn_close(&c[i].c);
	for (int i = 0; i < s.n; i++) {
		SSL_CTX_free(g.ctx[i]);
		dp_buf_free(&s.dev[i].cert);
		dp_buf_free(&s.dev[i].key);
	}
	close(g.ep);
	free(c);
	free(g.lat);
	return g.done ? 0 : 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_connrate load DIR --seconds S [--conns N] [--devices D] "
			"[--path P] [--label L] [--client openssl|curl]\n"
			"       bench_connrate baseline --seconds S [--label L]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	double secs = 5;
	int conns = 16, ndev = 8, i = 2;
	const char *label = "conn", *path = "/v1/health", *dir = NULL, *client = "openssl";
	if (argc < 2 || sodium_init() < 0)
		usage();
	int load = strcmp(argv[1], "load") == 0;
	if (!load && strcmp(argv[1], "baseline") != 0)
		usage();
	if (load) {
		if (argc < 3)
			usage();
		dir = argv[i++];
	}
	for (; i + 1 < argc; i += 2) {
		const char *o = argv[i], *v = argv[i + 1];
		if (!strcmp(o, "--seconds"))
			secs = atof(v);
		else if (!strcmp(o, "--conns"))
			conns = atoi(v);
		else if (!strcmp(o, "--devices"))
			ndev = atoi(v);
		else if (!strcmp(o, "--path"))
			path = v;
		else if (!strcmp(o, "--label"))
			label = v;
		else if (!strcmp(o, "--client"))
			client = v;
		else
			usage();
	}
	if (i != argc || secs <= 0 || secs > 3600 || conns < 1 || conns > MAX_CONNS || ndev < 1 ||
	    ndev > MAX_DEV || path[0] != '/' || (strcmp(client, "openssl") && strcmp(client, "curl")))
		usage();
	if (!load)
		return cmd_baseline(secs, label);
	if (!strcmp(client, "openssl"))
		return cmd_load_ossl(dir, secs, conns, ndev, path, label);
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		die("curl", 0);
	int r = cmd_load(dir, secs, conns, ndev, path, label);
	curl_global_cleanup();
	return r;
}
