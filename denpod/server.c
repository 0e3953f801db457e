/*
 * denpod/server.c - TLS 1.3 mutual authentication, evhttp, the process (replies and
 * the request log: req.c).
 *
 * libevent's evhttp parses HTTP; bufferevent_openssl carries it over TLS.
 * The server never holds the switch's signing key: only the TLS identity.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "denpo/encoding.h"
#include "denpo/tls.h"
#include "denpod/check.h"
#include "denpod/conn.h"
#include "denpod/detect_srv.h"
#include "denpod/health.h"
#include "denpod/listen.h"
#include "denpod/offidx.h"
#include "denpod/notify.h"
#include "denpod/policy.h"
#include "denpod/route.h"
#include "denpod/pool.h"
#include "denpod/db_sqlite.h"
#include "denpod/sandbox.h"
#include "denpod/say.h"
#include "denpod/scrub.h"
#include "denpod/backup.h"
#include "denpod/server.h"
#include "denpod/signer.h"

/* The peer's IP address as the log writes it ("" if unknown). */
static void peer_addr(struct evhttp_request *req, char out[46])
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	const struct sockaddr *sa = evcon ? evhttp_connection_get_addr(evcon) : NULL;
	char a[INET6_ADDRSTRLEN];
	const char *p = NULL;
	out[0] = 0;
	if (sa && sa->sa_family == AF_INET)
		p = inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, a,
			      sizeof a);
	else if (sa && sa->sa_family == AF_INET6)
		p = inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, a,
			      sizeof a);
	if (p)
		snprintf(out, 46, "%s", p);
}

/* The raw Ed25519 key of the peer's certificate, or -1. */
static int peer_key(struct evhttp_request *req, uint8_t key[32])
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
	X509 *x = ssl ? SSL_get0_peer_certificate(ssl) : NULL;
	EVP_PKEY *k = x ? X509_get0_pubkey(x) : NULL;
	size_t n = 32;
	/* only Ed25519 identities exist in denpo */
	if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_ED25519)
		return -1;
	if (EVP_PKEY_get_raw_public_key(k, key, &n) != 1 || n != 32)
		return -1;
	return 0;
}

static void handle(struct evhttp_request *req, void *arg)
{
	dpd_server *srv = arg;
	dpd_req rq;
	dpd_conn_request(req); /* read in full: the request deadline no longer applies */
	memset(&rq, 0, sizeof rq);
	rq.req = req;
	rq.srv = srv;
	rq.t0_ns = dpd_mono_ns();
	snprintf(rq.dev, sizeof rq.dev, "-");
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET: snprintf(rq.method, sizeof rq.method, "GET"); break;
	case EVHTTP_REQ_POST: snprintf(rq.method, sizeof rq.method, "POST"); break;
	default: snprintf(rq.method, sizeof rq.method, "OTHER"); break;
	}
	const char *uri = evhttp_request_get_uri(req);
	const char *q = strchr(uri, '?');
	size_t pl = q ? (size_t)(q - uri) : strlen(uri);
	if (pl >= sizeof rq.path) {
		snprintf(rq.path, sizeof rq.path, "(long)");
		dpd_reply_error(&rq, 404, DP_ENOTFOUND, "no such endpoint");
		return;
	}
	memcpy(rq.path, uri, pl);
	rq.path[pl] = 0;
	const dpd_route_row *row = dpd_route_match(&rq, evhttp_request_get_command(req) == EVHTTP_REQ_POST);
	peer_addr(req, rq.addr);
	uint8_t key[32];
	if (peer_key(req, key) != 0) {
		dpd_reply_error(&rq, 401, DP_EDEVICE, "present the Ed25519 TLS certificate of an "
						      "enrolled device");
		return;
	}
	dpd_route_dispatch(srv, &rq, row, q ? q + 1 : NULL, key);
}

/*
 * Trust comes from the enrolled directory, not from a chain: accept a
 * self-signed Ed25519 leaf (TLS 1.3 CertificateVerify proves the peer holds
 * its key) only if the key is some enrolled device's TLS key.  An unknown
 * peer is refused in the handshake, before it can send a request body: the
 * body cap (tens of MiB) applies only to enrolled devices.  Suspended and
 * revoked devices pass here and get a clear 403 from the API.
 *
 * This replaces OpenSSL's chain verification (SSL_CTX_set_cert_verify_callback)
 * rather than overriding its verdict at depth 0: nothing in a chain counts
 * here (no CA, the leaf's dates and extensions were never the test), and
 * building one cost ~4 % of a new connection's CPU and looked the key up
 * once per chain error.  The leaf is the certificate the peer presented
 * first; whatever else it sent is ignored.
 */
static int verify_peer(X509_STORE_CTX *ctx, void *arg)
{
	dpd_server *srv = arg;
	SSL *ssl = X509_STORE_CTX_get_ex_data(ctx, SSL_get_ex_data_X509_STORE_CTX_idx());
	X509 *cert = X509_STORE_CTX_get0_cert(ctx);
	EVP_PKEY *pk = cert ? X509_get0_pubkey(cert) : NULL;
	uint8_t key[32];
	size_t kl = sizeof key;
	int r = DP_ENOTFOUND;
	if (srv && pk && EVP_PKEY_id(pk) == EVP_PKEY_ED25519 &&
	    EVP_PKEY_get_raw_public_key(pk, key, &kl) == 1 && kl == sizeof key) {
		dps_device d;
		/*
		 * No dps_dir_sync first (the API's authentication does it): a key
		 * not in the cache is looked up in the database, so a device
		 * enrolled a moment ago is seen, and a cached key is an enrolled
		 * device's for good (devices are never deleted nor their TLS key
		 * changed; the status that may have changed is not judged here).
		 */
		r = dps_device_by_tls(srv->store, key, &d);
		if (r == DP_ENOTFOUND) {
			char hex[13];
			dp_hex_encode(hex, key, 6);
			dpd_say("denpod: TLS handshake refused: key %s... belongs to no enrolled device", hex);
		}
	} /* else: not an Ed25519 device certificate */
	if (!r) {
		X509_STORE_CTX_set_error(ctx, X509_V_OK);
		return 1;
	}
	/* refused as unknown_ca, as a self-signed leaf nobody trusts; but a store that failed
	 * (a database restarting) fails closed as internal_error: the device may be enrolled
	 * (lib/client.c retries).  Either alert is delivered, not reset away. */
	X509_STORE_CTX_set_error(ctx, r == DP_ENOTFOUND ? X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
							: X509_V_ERR_OUT_OF_MEM);
	if (ssl)
		dpd_conn_linger(ssl);
	return 0;
}

static struct bufferevent *bevcb(struct event_base *base, void *arg)
{
	dpd_server *srv = arg;
	return dpd_conns_bev(srv->conns, srv->ssl); /* tracked, with deadlines (conn.h) */
}

SSL_CTX *dpd_tls_ctx(const dpc_config *cfg, int (*verify)(X509_STORE_CTX *ctx, void *arg), void *arg)
{
	uint8_t *sk = NULL, pk[32];
	dp_buf cert, key;
	SSL_CTX *ctx = NULL;
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	BIO *b = NULL;
	dp_buf_init(&cert, 16384);
	dp_buf_init(&key, 16384);
	if (dpc_key_load(cfg, "tls.key", &sk, pk))
		return NULL;
	int r = dp_tls_selfsigned(sk, "denpo switch", &cert, &key);
	if (!r)
		k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk, 32);
	dpc_key_free(sk);
	dp_buf_free(&key); /* the EVP_PKEY holds the key from here on */
	if (r || !k)
		goto done;
	b = BIO_new_mem_buf(cert.p, (int)cert.len);
	x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	ctx = SSL_CTX_new(TLS_server_method());
	if (!x || !ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
	    SSL_CTX_use_certificate(ctx, x) != 1 || SSL_CTX_use_PrivateKey(ctx, k) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		SSL_CTX_free(ctx);
		ctx = NULL;
		goto done;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_cert_verify_callback(ctx, verify, arg);
	static const unsigned char sid[] = "denpod";
	SSL_CTX_set_session_id_context(ctx, sid, sizeof sid - 1);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	/*
	 * No resumption: no session tickets, no session cache.  No client
	 * resumes (denpo keeps its connection; a new one is a new handshake),
	 * and OpenSSL 3.0 copies the whole session, peer certificate re-parsed,
	 * for every ticket it sends: a fifth of a connection's CPU for nothing.
	 * A resumed session would also skip verify_peer's directory check.
	 */
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* the switch's certificate is self-signed, its own chain: none to build per handshake */
	SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
done:
	if (!ctx)
		ERR_print_errors_fp(stderr);
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(k);
	dp_buf_free(&cert);
	return ctx;
}

/*
 * The request log is held (say.h) and written once per loop pass: the first
 * line held activates say_ev, which runs at the end of the pass's
 * authenticated work (DPD_PRIO_HIGH) or at the start of the next pass.
 * Written too on SIGTERM, SIGINT and SIGHUP, and at exit.
 */
static struct event *say_ev; /* one loop per process */

static void say_drain(evutil_socket_t fd, short what, void *arg)
{
	dpd_say_drain();
}

static void say_wake(void *arg)
{
	event_active(arg, EV_TIMEOUT, 0);
}

static int say_start(struct event_base *base, struct event **hup)
{
	say_ev = event_new(base, -1, 0, say_drain, NULL);
	*hup = evsignal_new(base, SIGHUP, say_drain, NULL); /* besides detection's (detect_srv.c) */
	if (!say_ev || event_priority_set(say_ev, DPD_PRIO_HIGH) || !*hup || event_add(*hup, NULL))
		return DP_ENOMEM;
	dpd_say_hold(say_wake, say_ev);
	return DP_OK;
}

/*
 * Before the loop goes: what is held is written, and lines are written at
 * once again.  The writer, signer and pool threads still log; once
 * dpd_say_hold returns none of them is in say_wake or will call it (say.h),
 * so say_ev may go before they are joined.
 */
static void say_stop(struct event *hup)
{
	dpd_say_hold(NULL, NULL);
	if (say_ev)
		event_free(say_ev);
	say_ev = NULL;
	if (hup)
		event_free(hup);
}

static void stop_now(evutil_socket_t fd, short what, void *arg)
{
	dpd_server *srv = arg;
	dpd_pool_drain(srv->pool); /* submissions being verified: judged into the batch */
	dpd_batch_drain(srv); /* answer what was accepted before leaving */
	event_base_loopbreak(srv->base);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	dpd_server *srv = arg;
	dpd_say_drain();
	if (srv->stopping) {
		stop_now(-1, 0, srv); /* a second signal during shutdown_delay: at once */
		return;
	}
	fprintf(stderr, "denpod: signal %d: committing and shutting down\n", (int)sig);
	srv->stopping = 1;
	/* shutdown_delay=: /readyz says 503 meanwhile, so load balancers drain the switch first */
	struct timeval tv = {(time_t)srv->cfg.shutdown_delay, 0};
	if (!srv->cfg.shutdown_delay || event_base_once(srv->base, -1, EV_TIMEOUT, stop_now, srv, &tv))
		stop_now(-1, 0, srv);
}

/*
 * systemd's watchdog (notify.h): the loop pings the signer, which tells
 * systemd.  A loop that hangs, or a signer that stops answering, stops the
 * pings.  A signer that is gone ends the switch anyway (PR_SET_PDEATHSIG).
 */
static void watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	dpd_server *srv = arg;
	if (dpsg_alive(srv->signer))
		dpd_say("denpod: the signer does not answer the watchdog's ping");
}

/* Start the pings at a third of the interval systemd asked for, if it asked. */
static int watchdog_start(dpd_server *srv)
{
	uint64_t us = dpn_watchdog_usec(getppid()) / 3;
	if (!us)
		return DP_OK;
	struct timeval tv = {.tv_sec = (time_t)(us / 1000000), .tv_usec = (suseconds_t)(us % 1000000)};
	srv->watchdog = event_new(srv->base, -1, EV_PERSIST, watchdog_cb, srv);
	if (!srv->watchdog || event_add(srv->watchdog, &tv))
		return DP_ENOMEM;
	return DP_OK;
}

/* The scrub's damage reports go where the fetch's go. */
static void scrub_report(void *srv, const dpo_damage *d)
{
	dpd_det_damage(srv, d);
}

/* A warning about the archive's configuration (dpp_records_warnings), on stderr. */
static void start_warn(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "denpod: warning: records: %s\n", msg);
}

/* The network process (signer.h): everything but the log key; signer is its socket to it. */
static int serve(const dpc_config *cfg, int signer)
{
	static dpd_server srv; /* large (waiter table); one per process */
	dpsc *scrub = NULL;
	struct event *hup = NULL;
	char host[DPC_LISTEN_MAX], path[DPC_PATH_MAX];
	int port, r;
	memset(&srv, 0, sizeof srv);
	srv.cfg = *cfg;
	srv.signer = signer;
	if (dpc_parse_listen(cfg->listen, host, sizeof host, &port)) {
		fprintf(stderr, "denpod: bad listen=%s in the configuration\n", cfg->listen);
		return DP_EINVAL;
	}
	signal(SIGPIPE, SIG_IGN);
	dpd_sandbox_prepare(); /* before the first thread: each must answer the sandbox's signal */
	dpdb_sqlite_temp_in_memory(); /* before the first store: no temporary file outside the sandbox */
	/* the writer thread wakes the loop with event_active: a locking base */
	if (evthread_use_pthreads() != 0) {
		fprintf(stderr, "denpod: cannot enable libevent threads\n");
		return DP_ENOMEM;
	}
	/* two connections: the loop reads (directory cached), the writer commits; quick_check first */
	if ((r = dpc_store_target(cfg, path, sizeof path)) || (r = dpk_open_start(&srv.store, cfg)) ||
	    (r = dps_dir_cache(srv.store)) || (r = dps_open(&srv.wstore, path, 0))) {
		dps_close(srv.store);
		return r;
	}
	/* the archive's configuration against the directory, said once at start */
	if (dpp_records_warnings(srv.store, cfg->records_post, cfg->records_required, start_warn,
				 NULL) < 0)
		fprintf(stderr, "denpod: warning: records: cannot read the directory\n");
	/* the log is checked and signed up to date before anything is served */
	if (pthread_mutex_init(&srv.wlock, NULL) || (r = dpl_open(&srv.log, cfg, &srv.wlock, signer))) {
		if (r == DP_ESTATE) {
			fprintf(stderr, "denpod: not starting: the transparency log does not check (see "
					"above).  Run `denpod check --data %s`; docs/operations.md, \"Damage "
					"and recovery\", says what to do\n", cfg->dir);
			dpk_start_refused(cfg, "log", "the transparency log does not verify");
		}
		dps_close(srv.wstore);
		dps_close(srv.store);
		return r ? r : DP_ENOMEM;
	}
	srv.ssl = dpd_tls_ctx(cfg, verify_peer, &srv);
	srv.base = event_base_new();
	if (srv.base && event_base_priority_init(srv.base, DPD_PRIOS) != 0) {
		event_base_free(srv.base);
		srv.base = NULL;
	}
	srv.http = srv.base ? evhttp_new(srv.base) : NULL;
	if (!srv.ssl || !srv.http || dpd_conns_new(&srv.conns, srv.base, &cfg->conn) ||
	    dpd_batch_init(&srv) || dpl_start(srv.log) ||
	    dpd_pool_new(&srv.pool, srv.base, cfg->verify_threads, DPD_PRIO_HIGH)) {
		fprintf(stderr, "denpod: cannot set up TLS or HTTP\n");
		r = DP_ECRYPTO;
		goto done;
	}
	if ((r = dpd_det_open(&srv)) || (r = dph_open(&srv)) ||
	    (r = dpd_listen_start(&srv.listen, &srv, path)) ||
	    (r = dpsc_start(&scrub, cfg, dpl_verifier(srv.log), &srv.wlock, scrub_report, &srv)))
		goto done;
	evhttp_set_bevcb(srv.http, bevcb, &srv);
	evhttp_set_gencb(srv.http, handle, &srv);
	evhttp_set_allowed_methods(srv.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	/* refused from Content-Length before the body is read */
	evhttp_set_max_body_size(srv.http, (ev_ssize_t)DPD_BODY_MAX);
	evhttp_set_max_headers_size(srv.http, 16384);
	/* a backstop only: conn.c's deadlines are the ones that apply */
	evhttp_set_timeout(srv.http, DPD_WAIT_MAX + 30);
	struct evhttp_bound_socket *bound =
		evhttp_bind_socket_with_handle(srv.http, host, (ev_uint16_t)port);
	if (!bound) {
		fprintf(stderr, "denpod: cannot listen on %s (in use? try another --listen)\n",
			cfg->listen);
		r = DP_ENET;
		goto done;
	}
	dpd_conns_listener(srv.conns, evhttp_bound_socket_get_listener(bound));
	/*
	 * Answers leave in more than one TCP segment; without TCP_NODELAY the
	 * last one waits for the client's delayed ACK (~40 ms per request).
	 * Accepted sockets inherit the option from the listener on Linux.
	 */
	int one = 1;
	if (setsockopt(evhttp_bound_socket_get_fd(bound), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one))
		fprintf(stderr, "denpod: warning: cannot set TCP_NODELAY; answers will be slow\n");
	srv.sig_term = evsignal_new(srv.base, SIGTERM, on_signal, &srv);
	srv.sig_int = evsignal_new(srv.base, SIGINT, on_signal, &srv);
	if (!srv.sig_term || !srv.sig_int || event_add(srv.sig_term, NULL) ||
	    event_add(srv.sig_int, NULL) || say_start(srv.base, &hup)) {
		r = DP_ENOMEM;
		goto done;
	}
	/* before the sandbox: it asks who the signer is (getppid) */
	if ((r = watchdog_start(&srv)) || (r = dpd_sandbox_enter(cfg)))
		goto done;
	dpd_conn_stats cs;
	dpd_conns_stats(srv.conns, &cs);
	fprintf(stderr, "denpod: listening on https://%s (TLS 1.3, mutual auth; at most %u "
			"connections)\n", cfg->listen, cs.max);
	/* listening, the log open and signed: systemd may send traffic (notify.h) */
	if ((r = dpsg_ready(signer)))
		goto done;
	event_base_dispatch(srv.base);
	say_stop(hup);
	hup = NULL;
	fprintf(stderr, "denpod: stopped after %llu batches, %llu writes committed\n",
		(unsigned long long)srv.n_batches, (unsigned long long)srv.n_committed);
	r = DP_OK;
done:
	say_stop(hup);
	if (srv.http)
		evhttp_free(srv.http); /* closes connections: held requests are dropped */
	dpd_conns_free(srv.conns);
	dpd_pool_free(srv.pool); /* empty after stop_now's drain */
	dpd_batch_stop(&srv); /* the writer finishes the batch it holds */
	dpsc_stop(scrub);
	dph_close(&srv);
	dpd_listen_stop(srv.listen);
	dpd_det_close(&srv);
	dpl_close(srv.log);   /* ... and the signer signs what it wrote */
	dpx_view_free(srv.offidx);
	for (size_t i = 0; i < DPD_WAIT_BUCKETS; i++)
		while (srv.waiters[i])
			dpd_wait_drop(srv.waiters[i]);
	if (srv.sig_term)
		event_free(srv.sig_term);
	if (srv.sig_int)
		event_free(srv.sig_int);
	if (srv.watchdog)
		event_free(srv.watchdog);
	if (srv.base)
		event_base_free(srv.base);
	SSL_CTX_free(srv.ssl);
	dps_close(srv.wstore);
	dps_close(srv.store);
	pthread_mutex_destroy(&srv.wlock);
	return r;
}

int dpd_run(const dpc_config *cfg)
{
	int sv[2], lock = -1;
	/* held by both processes until both end: `denpod restore` waits for it (denpod/backup.h) */
	int lr = dpb_lock(cfg->dir, &lock);
	if (lr) {
		fprintf(stderr, "denpod: not starting: %s\n", lr == DP_ESTATE
			? "another denpod run, or a denpod restore, is using this data directory "
			  "(it holds denpod.lock)" : "cannot take the run lock (denpod.lock) of the data directory");
		return lr;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		fprintf(stderr, "denpod: cannot make the signer's socket: %s\n", strerror(errno));
		return DP_ENOMEM;
	}
	pid_t signer = getpid();
	fflush(NULL);
	/* before any thread or key: the child starts from a process that holds nothing secret */
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "denpod: cannot start the network process: %s\n", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return DP_ENOMEM;
	}
	if (pid == 0) {
		close(sv[0]);
		/* it dies with the signer: never serves unsigned, and a kill -9 of denpod is a crash of both */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != signer)
			exit(1);
		signal(SIGHUP, SIG_IGN); /* forwarded by the signer; detection takes it over */
		exit(serve(cfg, sv[1]) ? 1 : 0);
	}
	close(sv[1]);
	return dpsg_run(cfg, sv[0], pid) ? DP_ESTATE : DP_OK;
}
