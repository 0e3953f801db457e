/*
 * bench/bench_tls.h - the light mutual-TLS HTTP/1.1 client of the load
 * generators (bench_connrate's new connections, bench_switch's keep-alive
 * submissions): OpenSSL directly over non-blocking sockets and an epoll set
 * the caller owns, one SSL_CTX per device made once.
 *
 * Why not libcurl: the generators run BESIDE the switch on the same 2 cores,
 * so their CPU is taken from the switch they measure.  libcurl builds an
 * SSL_CTX and parses the PEM certificate per connection (~1.3 ms of client
 * CPU each) and spends tens of microseconds per request in its own
 * machinery; this client does only the TLS, a request written as bytes and a
 * minimal reader of the answer.
 *
 * The reader is strict, not general: it talks to our own switch (libevent's
 * evhttp), which frames every answer with Content-Length.  Anything else (no
 * or a repeated Content-Length, Transfer-Encoding, a status line that is not
 * HTTP/1.1, bytes after the answer, a head or body past BENCH_ANSWER_MAX) is
 * a failure with a reason, never guessed at.
 *
 * One connection: bench_conn_open (TCP connect + TLS handshake, driven by
 * bench_conn_step; the switch's key is checked against the pin once the
 * handshake is done), bench_conn_send (a request; one at a time, no
 * pipelining), bench_conn_step on each epoll event until it returns 1 (the
 * answer is in: status, body) or -1 (failed: why), bench_conn_close.
 */
#ifndef DENPO_BENCH_TLS_H
#define DENPO_BENCH_TLS_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "denpo/buf.h"

#define BENCH_ANSWER_MAX 4096 /* head and body of one answer: the switch's are a few hundred bytes */

enum { BC_CLOSED, BC_HANDSHAKE, BC_IDLE, BC_WRITE, BC_READ };

typedef struct {
	int fd;
	SSL *ssl;
	int st;                /* BC_* */
	int ep;                /* the caller's epoll set */
	void *tag;             /* epoll's data.ptr for this connection */
	uint32_t watching;     /* events asked of epoll now */
	const uint8_t *pin;    /* the switch's TLS key (32 bytes) */
	const char *req;       /* the request being written (the caller keeps it) */
	size_t reqlen;
	char buf[BENCH_ANSWER_MAX];
	size_t got, head;      /* bytes read; length of the head once it is in */
	size_t want;           /* head + Content-Length once the head is in */
	int status;            /* the answer's status code */
	int close_after;       /* the answer said Connection: close */
	const char *why;       /* why bench_conn_step returned -1 */
} bench_conn;

/* A client SSL_CTX presenting this certificate and key (PEM), TLS 1.3, no session kept. */
static inline SSL_CTX *bench_tls_ctx(const dp_buf *cert, const dp_buf *key)
{
	BIO *cb = BIO_new_mem_buf(cert->p, (int)cert->len);
	BIO *kb = BIO_new_mem_buf(key->p, (int)key->len);
	X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
	EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!x || !k || !ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    SSL_CTX_use_certificate(ctx, x) != 1 || SSL_CTX_use_PrivateKey(ctx, k) != 1) {
		ERR_print_errors_fp(stderr);
		SSL_CTX_free(ctx);
		ctx = NULL;
	} else {
		/* a full handshake each connection, as a device that starts; the pin is checked after */
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	BIO_free(cb);
	BIO_free(kb);
	X509_free(x);
	EVP_PKEY_free(k);
	return ctx;
}

/* url "https://IPv4:port" (the bench switches listen on loopback) -> sa and "IPv4:port" for Host. */
static inline int bench_tls_addr(const char *url, struct sockaddr_in *sa, char host[64])
{
	char ip[32], rest[2];
	int port = 0;
	if (sscanf(url, "https://%31[0-9.]:%d%1s", ip, &port, rest) != 2 || port <= 0 || port > 65535)
		return -1;
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, ip, &sa->sin_addr) != 1)
		return -1;
	snprintf(host, 64, "%s:%d", ip, port);
	return 0;
}

static inline int bench_conn_watch(bench_conn *c, uint32_t ev)
{
	if (c->watching == ev)
		return 0;
	struct epoll_event e = {.events = ev, .data.ptr = c->tag};
	if (epoll_ctl(c->ep, c->watching ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &e))
		return -1;
	c->watching = ev;
	return 0;
}

static inline void bench_conn_close(bench_conn *c)
{
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd); /* epoll forgets it */
	c->ssl = NULL;
	c->fd = -1;
	c->st = BC_CLOSED;
	c->watching = 0;
}

/* Start connecting (the handshake goes on in bench_conn_step). 0, or -1 with c->why. */
static inline int bench_conn_open(bench_conn *c, int ep, void *tag, const struct sockaddr_in *sa,
				  SSL_CTX *ctx, const uint8_t pin[32])
{
	c->ep = ep;
	c->tag = tag;
	c->pin = pin;
	c->watching = 0;
	c->req = NULL;
	c->ssl = NULL;
	c->st = BC_HANDSHAKE;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		c->why = "socket() failed";
		return -1;
	}
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(c->fd, (const struct sockaddr *)sa, sizeof *sa) && errno != EINPROGRESS) {
		c->why = "connect() failed";
		bench_conn_close(c);
		return -1;
	}
	c->ssl = SSL_new(ctx);
	if (!c->ssl || !SSL_set_fd(c->ssl, c->fd) || bench_conn_watch(c, EPOLLOUT)) {
		c->why = "SSL_new or epoll failed";
		bench_conn_close(c);
		return -1;
	}
	SSL_set_connect_state(c->ssl);
	return 0;
}

/* The request to write once the connection is ready (now, if it is idle). */
static inline void bench_conn_send(bench_conn *c, const char *req, size_t len)
{
	c->req = req;
	c->reqlen = len;
	c->got = c->head = c->want = 0;
	c->status = c->close_after = 0;
	if (c->st == BC_IDLE)
		c->st = BC_WRITE;
}

/* The switch's key is the pinned one. */
static inline int bench_conn_pinned(const bench_conn *c)
{
	X509 *x = SSL_get0_peer_certificate(c->ssl);
	EVP_PKEY *k = x ? X509_get0_pubkey(x) : NULL;
	uint8_t pk[32];
	size_t n = sizeof pk;
	return k && EVP_PKEY_get_raw_public_key(k, pk, &n) == 1 && n == 32 &&
	       memcmp(pk, c->pin, 32) == 0;
}

/*
 * The head of an answer in c->buf: 0 not all in yet, 1 parsed (status,
 * head, want, close_after), -1 not an answer this reader takes (c->why).
 */
static inline int bench_conn_head(bench_conn *c)
{
	const char *b = c->buf, *end = memmem(b, c->got, "\r\n\r\n", 4);
	if (!end)
		return 0;
	if (c->got < 13 || memcmp(b, "HTTP/1.1 ", 9) != 0 || b[9] < '1' || b[9] > '5' ||
	    b[10] < '0' || b[10] > '9' || b[11] < '0' || b[11] > '9' || b[12] != ' ') {
		c->why = "the answer's status line is not HTTP/1.1 NNN";
		return -1;
	}
	c->status = (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
	long long cl = -1;
	const char *ln = (const char *)memchr(b, '\n', (size_t)(end + 2 - b)) + 1; /* end[1] is one */
	while (ln < end + 2) {
		const char *eol = memmem(ln, (size_t)(end + 2 - ln), "\r\n", 2);
		size_t n = (size_t)(eol - ln);
		const char *colon = memchr(ln, ':', n);
		if (!colon) {
			c->why = "a header line without ':'";
			return -1;
		}
		size_t name = (size_t)(colon - ln);
		const char *v = colon + 1;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		size_t vn = (size_t)(eol - v);
		if (name == 14 && !strncasecmp(ln, "Content-Length", 14)) {
			if (cl >= 0 || !vn || vn > 9) {
				c->why = "a repeated or unreadable Content-Length";
				return -1;
			}
			cl = 0;
			for (size_t i = 0; i < vn; i++) {
				if (v[i] < '0' || v[i] > '9') {
					c->why = "Content-Length is not a number";
					return -1;
				}
				cl = cl * 10 + (v[i] - '0');
			}
		} else if (name == 17 && !strncasecmp(ln, "Transfer-Encoding", 17)) {
			c->why = "Transfer-Encoding (only Content-Length is read)";
			return -1;
		} else if (name == 10 && !strncasecmp(ln, "Connection", 10) && vn == 5 &&
			   !strncasecmp(v, "close", 5)) {
			c->close_after = 1;
		}
		ln = eol + 2;
	}
	if (cl < 0) {
		c->why = "the answer has no Content-Length";
		return -1;
	}
	c->head = (size_t)(end + 4 - b);
	c->want = c->head + (size_t)cl;
	if (c->want > sizeof c->buf) {
		c->why = "the answer is longer than BENCH_ANSWER_MAX";
		return -1;
	}
	return 1;
}

/* Fails c: -1 with the reason (OpenSSL's queue is cleared: it belongs to this connection). */
static inline int bench_conn_fail(bench_conn *c, const char *why)
{
	ERR_clear_error();
	c->why = why;
	return -1;
}

/*
 * Advance c after an epoll event (or right after bench_conn_send): 0 wait
 * for the next event, 1 the answer is in (c->status, the body at
 * c->buf + c->head, c->want - c->head bytes; c is idle again, or to be
 * closed if c->close_after), -1 failed (c->why; the caller closes c).
 */
static inline int bench_conn_step(bench_conn *c)
{
	int r = 1;
	switch (c->st) {
	case BC_HANDSHAKE:
		r = SSL_do_handshake(c->ssl);
		if (r != 1)
			break;
		if (!bench_conn_pinned(c))
			return bench_conn_fail(c, "the switch's key is not the pinned one");
		c->st = c->req ? BC_WRITE : BC_IDLE;
		if (c->st == BC_IDLE)
			return bench_conn_watch(c, EPOLLIN) ? bench_conn_fail(c, "epoll_ctl") : 0;
		/* fall through */
	case BC_WRITE:
		/* not partial: it returns > 0 once all of it is written; else retried as it is */
		r = SSL_write(c->ssl, c->req, (int)c->reqlen);
		if (r <= 0)
			break;
		c->st = BC_READ;
		/* fall through */
	case BC_READ:
	case BC_IDLE: /* nothing is due: a read there finds the switch closing, or bytes unasked */
		for (;;) {
			if (c->got == sizeof c->buf)
				return bench_conn_fail(c, "the answer is longer than BENCH_ANSWER_MAX");
			r = SSL_read(c->ssl, c->buf + c->got, (int)(sizeof c->buf - c->got));
			if (r <= 0)
				break;
			if (c->st == BC_IDLE)
				return bench_conn_fail(c, "bytes from the switch with no request");
			c->got += (size_t)r;
			if (!c->want) {
				int h = bench_conn_head(c);
				if (h < 0)
					return bench_conn_fail(c, c->why);
				if (!h)
					continue;
			}
			if (c->got > c->want)
				return bench_conn_fail(c, "bytes after the answer's Content-Length");
			if (c->got == c->want) {
				c->st = BC_IDLE;
				c->req = NULL;
				return bench_conn_watch(c, EPOLLIN) ? bench_conn_fail(c, "epoll_ctl") : 1;
			}
		}
		break;
	default:
		return bench_conn_fail(c, "a step on a closed connection");
	}
	int e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ)
		return bench_conn_watch(c, EPOLLIN) ? bench_conn_fail(c, "epoll_ctl") : 0;
	if (e == SSL_ERROR_WANT_WRITE)
		return bench_conn_watch(c, EPOLLOUT) ? bench_conn_fail(c, "epoll_ctl") : 0;
	if (c->st == BC_HANDSHAKE)
		return bench_conn_fail(c, "the TLS handshake failed");
	if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && r == 0))
		return bench_conn_fail(c, c->st == BC_IDLE ? "the switch closed an idle connection"
							   : "the switch closed before the answer");
	return bench_conn_fail(c, c->st == BC_WRITE ? "writing the request failed"
						     : "reading the answer failed");
}

#endif
