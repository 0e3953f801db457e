/*
 * bench_floor - what a cable costs a server built of the switch's parts and
 * nothing else, to set beside what it costs the switch (bench/floor.sh,
 * bench/README.md "Issue 17, sixth session: the floor").
 *
 *   bench_floor --data DIR [--crypto]
 *
 * Serves the switch's address (DIR's denpod.conf `listen`, host:port,
 * IPv4) with the switch's TLS context (dpd_tls_ctx: its key, TLS 1.3
 * only, a client certificate required, no resumption; any Ed25519
 * certificate passes, no directory is read), on one thread, the way
 * denpod's loop does: libevent's evhttp over bufferevent_openssl,
 * TCP_NODELAY, the answer's head and body joined into one record.  GET
 * answers 200 `{}`; POST takes the body out of evhttp's buffer into memory
 * of its own (denpod's copy for its worker) and answers 201 with a body
 * of the length of denpod's answer to a new cable.  With --crypto it
 * also does what the protocol asks of every submission before any store:
 * dp_submission_decode (the envelope's parse and Ed25519 signature, the
 * payload's SHA-256 against the envelope) and the SHA-256 of the whole
 * submission (the log's Envelope-Hash); a submission that fails is
 * answered 400.  There is no store, no policy, no log and no second thread:
 * the CPU it takes per request is a floor under the switch's loop (plain)
 * and under its loop and verify workers together (--crypto).
 *
 * SIGTERM or SIGINT: stops, printing "floor_requests N" and
 * "floor_refused N" on stdout.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "denpo/crypto.h"
#include "denpo/envelope.h"
#include "denpod/config.h"
#include "denpod/server.h"

static SSL_CTX *ssl_ctx;
static int crypto;
static unsigned long n_requests, n_refused;

/* denpod's answer to a new cable has this shape and length (api_cable.c reply_submitted) */
static const char answer[] = "{\"cable_id\":\"0192a7c4e1f3000000000000000000aa\",\"mrn\":\"26 HQ "
			     "000001\",\"accepted\":1796601600,\"duplicate\":false,\"log_index\":"
			     "1000}\n";

static int any_ed25519(X509_STORE_CTX *ctx, void *arg)
{
	X509 *cert = X509_STORE_CTX_get0_cert(ctx);
	EVP_PKEY *pk = cert ? X509_get0_pubkey(cert) : NULL;
	if (pk && EVP_PKEY_id(pk) == EVP_PKEY_ED25519) {
		X509_STORE_CTX_set_error(ctx, X509_V_OK);
		return 1;
	}
	X509_STORE_CTX_set_error(ctx, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
	return 0;
}

static struct bufferevent *bevcb(struct event_base *base, void *arg)
{
	SSL *ssl = SSL_new(ssl_ctx);
	return ssl ? bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
						    BEV_OPT_CLOSE_ON_FREE)
		   : NULL;
}

/* As denpod's send_reply (req.c): the answer's head and body joined into one TLS record. */
static void reply(struct evhttp_request *req, int status, const char *body, size_t n)
{
	struct evbuffer *b = evbuffer_new();
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json");
	if (b)
		evbuffer_add(b, body, n);
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	if (bev)
		bufferevent_incref(bev);
	evhttp_send_reply(req, status, status == 201 ? "Created" : status == 200 ? "OK" : "Bad Request", b);
	if (bev) {
		struct evbuffer *out = bufferevent_get_output(bev);
		size_t len = evbuffer_get_length(out);
		(void)evbuffer_pullup(out, len < 16384 ? (ev_ssize_t)len : 16384);
		bufferevent_decref(bev);
	}
	if (b)
		evbuffer_free(b);
}

/* 0: the submission passes what the protocol asks before any store; -1 not. */
static int check(const uint8_t *p, size_t n)
{
	dp_envelope e;
	const uint8_t *payload;
	size_t plen;
	uint8_t digest[DP_SHA256];
	if (dp_submission_decode(&e, p, n, &payload, &plen) != DP_OK)
		return -1;
	dp_sha256(digest, p, n); /* the Envelope-Hash the switch stores and logs */
	dp_envelope_free(&e);
	return 0;
}

static void handle(struct evhttp_request *req, void *arg)
{
	n_requests++;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		reply(req, 200, "{}\n", 3);
		return;
	}
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	uint8_t *p = malloc(n ? n : 1);
	if (!p || evbuffer_remove(in, p, n) != (int)n) {
		free(p);
		n_refused++;
		reply(req, 400, "{}\n", 3);
		return;
	}
	int bad = crypto && check(p, n) != 0;
	free(p);
	if (bad) {
		n_refused++;
		reply(req, 400, "{}\n", 3);
		return;
	}
	reply(req, 201, answer, sizeof answer - 1);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopbreak(arg);
}

static int usage(FILE *f, int rc)
{
	fprintf(f, "usage: bench_floor --data DIR [--crypto]\n"
		   "  serves DIR's switch address with its TLS key, and no switch behind it\n"
		   "  (bench/floor.sh runs it; SIGTERM stops it)\n");
	return rc;
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--data") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--crypto"))
			crypto = 1;
		else if (!strcmp(argv[i], "--help"))
			return usage(stdout, 0);
		else
			return usage(stderr, 2);
	}
	if (!dir)
		return usage(stderr, 2);
	static dpc_config cfg;
	if (dp_crypto_init() || dpc_load(&cfg, dir)) {
		fprintf(stderr, "bench_floor: cannot read the switch's configuration in %s\n", dir);
		return 1;
	}
	char host[DPC_LISTEN_MAX + 1];
	snprintf(host, sizeof host, "%s", cfg.listen);
	char *colon = strrchr(host, ':');
	if (!colon) {
		fprintf(stderr, "bench_floor: listen = %s has no port\n", cfg.listen);
		return 1;
	}
	*colon = 0;
	int port = atoi(colon + 1);
	if (!(ssl_ctx = dpd_tls_ctx(&cfg, any_ed25519, NULL))) {
		fprintf(stderr, "bench_floor: cannot make the TLS context from %s/tls.key\n", dir);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	struct event_base *base = event_base_new();
	struct evhttp *http = base ? evhttp_new(base) : NULL;
	struct evhttp_bound_socket *bound =
		http ? evhttp_bind_socket_with_handle(http, host, (ev_uint16_t)port) : NULL;
	if (!bound) {
		fprintf(stderr, "bench_floor: cannot listen on %s\n", cfg.listen);
		return 1;
	}
	int one = 1; /* as denpod (server.c): accepted sockets inherit it */
	if (setsockopt(evhttp_bound_socket_get_fd(bound), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one)) {
		fprintf(stderr, "bench_floor: cannot set TCP_NODELAY\n");
		return 1;
	}
	evhttp_set_bevcb(http, bevcb, NULL);
	evhttp_set_gencb(http, handle, NULL);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_max_body_size(http, 64 << 20);
	struct event *term = evsignal_new(base, SIGTERM, on_signal, base);
	struct event *intr = evsignal_new(base, SIGINT, on_signal, base);
	event_add(term, NULL);
	event_add(intr, NULL);
	fprintf(stderr, "bench_floor: listening on %s%s\n", cfg.listen, crypto ? " (crypto)" : "");
	event_base_dispatch(base);
	printf("floor_requests %lu\nfloor_refused %lu\n", n_requests, n_refused);
	event_free(term);
	event_free(intr);
	evhttp_free(http);
	event_base_free(base);
	SSL_CTX_free(ssl_ctx);
	return 0;
}
