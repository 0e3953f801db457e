/*
 * denpod/syslog_tls.c - RFC 5425 syslog over TLS with a pinned certificate
 * (contract in syslog_tls.h).
 *
 * One thread per sink.  The queue is a ring of malloc'd frames, each
 * already framed ("LEN SP MSG"), so the thread writes it in one SSL_write.
 * The thread holds the mutex only to look at or pop the queue: connecting,
 * handshaking and writing happen without it, so dpo_tls_send never waits
 * for the network.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "denpo/encoding.h"
#include "denpod/say.h"
#include "denpod/syslog_tls.h"

struct frame {
	size_t n;
	uint8_t p[]; /* "LEN SP MSG" */
};

struct dpo_tls {
	pthread_t th;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct frame *q[DPO_TLS_QUEUE_MAX]; /* ring */
	size_t head, n;
	int stop;                /* close asked: drain until drain_until, then stop */
	struct timespec drain_until;
	uint64_t dropped;        /* refused: queue full */
	/* the thread's own (no lock needed) */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char name[300];          /* "HOST:PORT", for the log */
	char sni[256];           /* "" if HOST is an address literal */
	uint8_t pin[32];
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
};

static void fingerprint_hex(const uint8_t fp[32], char out[65]) { dp_hex_encode(out, fp, 32); }

/* "sha256:HEX" (':' between bytes allowed), else a PEM certificate file. */
static int load_pin(const char *pin, uint8_t out[32], char *err, size_t errcap)
{
	if (!strncmp(pin, "sha256:", 7)) {
		char hex[65];
		size_t k = 0;
		for (const char *p = pin + 7; *p; p++) {
			if (*p == ':')
				continue;
			if (k == 64) {
				k = 65;
				break;
			}
			hex[k++] = *p;
		}
		if (k != 64 || dp_hex_decode(out, 32, hex, 64)) {
			snprintf(err, errcap, "syslog_pin=%s: expected sha256: and 64 hex digits (e.g. the "
				       "output of `openssl x509 -noout -fingerprint -sha256 -in "
				       "collector.crt`)", pin);
			return DP_EPARSE;
		}
		return DP_OK;
	}
	FILE *f = fopen(pin, "re");
	if (!f) {
		snprintf(err, errcap, "syslog_pin=%s: cannot read the collector's certificate: %s "
			       "(give its PEM file or sha256:HEX)", pin, strerror(errno));
		return DP_EIO;
	}
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	unsigned int n = 0;
	int ok = x && X509_digest(x, EVP_sha256(), out, &n) == 1 && n == 32;
	X509_free(x);
	if (!ok) {
		snprintf(err, errcap, "syslog_pin=%s: not a PEM certificate (give the collector's "
			       "certificate or sha256:HEX)", pin);
		return DP_EPARSE;
	}
	return DP_OK;
}

/* Any chain: trust is the pin, checked once the handshake is done. */
static int accept_any(int ok, X509_STORE_CTX *c)
{
	(void)ok;
	(void)c;
	return 1;
}

static void disconnect(dpo_tls *t)
{
	if (t->ssl) {
		SSL_free(t->ssl);
		t->ssl = NULL;
	}
	if (t->fd >= 0) {
		close(t->fd);
		t->fd = -1;
	}
}

/*
 * An SSL call on the blocking socket cut short by a signal, to be made
 * again: with SO_RCVTIMEO/SO_SNDTIMEO set, recv and send return EINTR even
 * under SA_RESTART, and OpenSSL reports that as WANT_READ/WANT_WRITE.  The
 * sandbox asks every thread by a signal once at start (sandbox.c), and
 * SIGHUP and SIGTERM may land on this thread.  A timeout (EAGAIN) is not
 * one: it fails as before.
 */
static int cut_by_signal(dpo_tls *t, int rc)
{
	int e = errno, k = SSL_get_error(t->ssl, rc);
	return (k == SSL_ERROR_WANT_READ || k == SSL_ERROR_WANT_WRITE) && e == EINTR;
}

/* One attempt: TCP, TLS, pin.  DP_OK with t->ssl up, else a reason in why. */
static int connect_once(dpo_tls *t, char *why, size_t cap)
{
	int fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(why, cap, "socket: %s", strerror(errno));
		return DP_ENET;
	}
	t->fd = fd;
	if (connect(fd, (struct sockaddr *)&t->addr, t->addrlen) < 0) {
		if (errno != EINPROGRESS) {
			snprintf(why, cap, "connect: %s", strerror(errno));
			return DP_ENET;
		}
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int e = 0;
		socklen_t el = sizeof e;
		int pr;
		/* a signal (cut_by_signal) is no failure */
		while ((pr = poll(&p, 1, DPO_TLS_IO_TIMEOUT * 1000)) < 0 && errno == EINTR)
			;
		if (pr <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e) {
			snprintf(why, cap, "connect: %s", pr == 0 ? "timed out" : strerror(e ? e : errno));
			return DP_ENET;
		}
	}
	/* blocking from here, every read and write bounded */
	int fl = fcntl(fd, F_GETFL);
	struct timeval tv = {DPO_TLS_IO_TIMEOUT, 0};
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv)) {
		snprintf(why, cap, "socket options: %s", strerror(errno));
		return DP_ENET;
	}
	t->ssl = SSL_new(t->ctx);
	if (!t->ssl || !SSL_set_fd(t->ssl, fd) || (t->sni[0] && !SSL_set_tlsext_host_name(t->ssl, t->sni))) {
		snprintf(why, cap, "TLS: out of memory");
		return DP_ENOMEM;
	}
	ERR_clear_error();
	int rc;
	while ((rc = SSL_connect(t->ssl)) != 1 && cut_by_signal(t, rc))
		;
	if (rc != 1) {
		unsigned long e = ERR_get_error();
		snprintf(why, cap, "TLS handshake: %s", e ? ERR_reason_error_string(e) : "connection closed");
		return DP_ECRYPTO;
	}
	X509 *peer = SSL_get1_peer_certificate(t->ssl);
	uint8_t fp[32];
	unsigned int n = 0;
	int ok = peer && X509_digest(peer, EVP_sha256(), fp, &n) == 1 && n == 32;
	X509_free(peer);
	if (!ok || memcmp(fp, t->pin, 32) != 0) {
		char got[65], want[65];
		fingerprint_hex(t->pin, want);
		if (ok)
			fingerprint_hex(fp, got);
		snprintf(why, cap, "REFUSED: the collector's certificate is sha256:%s, not the pinned "
			 "sha256:%s (syslog_pin= in denpod.conf); nothing sent", ok ? got : "(none)", want);
		return DP_EDENIED;
	}
	return DP_OK;
}

/*
 * The collector closed the connection (or broke it).  A TLS 1.3 server
 * sends session tickets after the handshake, so readable is not gone:
 * what is there is read (without blocking) and anything but a clean
 * "nothing more yet" ends the connection.  A collector has nothing to
 * say to a sender (RFC 5425), so data it sends is discarded.
 */
static int peer_gone(dpo_tls *t)
{
	struct pollfd p = {.fd = t->fd, .events = POLLIN};
	if (poll(&p, 1, 0) <= 0)
		return 0;
	if (p.revents & (POLLERR | POLLHUP))
		return 1;
	int fl = fcntl(t->fd, F_GETFL);
	if (fl < 0 || fcntl(t->fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return 1;
	int gone = 0;
	for (;;) {
		char buf[512];
		ERR_clear_error();
		int r = SSL_read(t->ssl, buf, sizeof buf);
		if (r > 0)
			continue;
		int e = SSL_get_error(t->ssl, r);
		gone = e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE;
		break;
	}
	if (fcntl(t->fd, F_SETFL, fl) < 0)
		gone = 1;
	return gone;
}

static void after(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

static int passed(const struct timespec *ts)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > ts->tv_sec || (now.tv_sec == ts->tv_sec && now.tv_nsec >= ts->tv_nsec);
}

/* Stop now: asked to close and the queue is empty, or the time to drain is over. */
static int finished(dpo_tls *t) { return t->stop && (t->n == 0 || passed(&t->drain_until)); }

static void *run(void *arg)
{
	dpo_tls *t = arg;
	long backoff = 1;
	struct timespec retry_at;
	clock_gettime(CLOCK_MONOTONIC, &retry_at);
	pthread_mutex_lock(&t->mu);
	while (!finished(t)) {
		if (!t->ssl) {
			if (!passed(&retry_at)) {
				struct timespec w = t->stop ? t->drain_until : retry_at;
				pthread_cond_timedwait(&t->cv, &t->mu, &w);
				continue;
			}
			pthread_mutex_unlock(&t->mu);
			char why[400];
			int r = connect_once(t, why, sizeof why);
			pthread_mutex_lock(&t->mu);
			if (r) {
				disconnect(t);
				dpd_say("denpod: syslog tls:%s: %s; %zu message%s queued, next attempt in "
					"%ld s", t->name, why, t->n, t->n == 1 ? "" : "s", backoff);
				after(&retry_at, backoff * 1000);
				backoff = backoff * 2 > DPO_TLS_BACKOFF_MAX ? DPO_TLS_BACKOFF_MAX : backoff * 2;
				continue;
			}
			backoff = 1;
			dpd_say("denpod: syslog tls:%s: connected (%s, pinned certificate); %zu "
				"message%s queued", t->name, SSL_get_version(t->ssl), t->n,
				t->n == 1 ? "" : "s");
		}
		if (t->n == 0) {
			if (t->stop)
				break;
			pthread_cond_wait(&t->cv, &t->mu);
			continue;
		}
		struct frame *f = t->q[t->head];
		pthread_mutex_unlock(&t->mu);
		int ok = !peer_gone(t);
		if (ok) {
			ERR_clear_error();
			int rc;
			while ((rc = SSL_write(t->ssl, f->p, (int)f->n)) <= 0 && cut_by_signal(t, rc))
				;
			ok = rc == (int)f->n;
		}
		pthread_mutex_lock(&t->mu);
		if (!ok) {
			/* the frame stays at the head: sent again on the next connection */
			disconnect(t);
			dpd_say("denpod: syslog tls:%s: connection lost; %zu message%s queued, "
				"reconnecting", t->name, t->n, t->n == 1 ? "" : "s");
			clock_gettime(CLOCK_MONOTONIC, &retry_at);
			continue;
		}
		t->q[t->head] = NULL;
		t->head = (t->head + 1) % DPO_TLS_QUEUE_MAX;
		t->n--;
		free(f);
	}
	if (t->n)
		dpd_say("denpod: syslog tls:%s: %zu message%s not delivered at stop (the collector "
			"was unreachable); the alerts file holds them", t->name, t->n,
			t->n == 1 ? "" : "s");
	pthread_mutex_unlock(&t->mu);
	if (t->ssl)
		SSL_shutdown(t->ssl);
	disconnect(t);
	return NULL;
}

int dpo_tls_open(dpo_tls **tp, const struct sockaddr *addr, socklen_t addrlen, const char *name,
		 const char *sni, const char *pin, char *err, size_t errcap)
{
	*tp = NULL;
	if (!pin || !pin[0]) {
		snprintf(err, errcap, "syslog tls:%s needs syslog_pin= in denpod.conf (the collector's "
			       "PEM certificate or sha256:HEX): a certificate that is not pinned is "
			       "never trusted", name);
		return DP_EPARSE;
	}
	if (addrlen > sizeof(struct sockaddr_storage))
		return DP_EINVAL;
	dpo_tls *t = calloc(1, sizeof *t);
	if (!t)
		return DP_ENOMEM;
	t->fd = -1;
	memcpy(&t->addr, addr, addrlen);
	t->addrlen = addrlen;
	snprintf(t->name, sizeof t->name, "%s", name);
	snprintf(t->sni, sizeof t->sni, "%s", sni ? sni : "");
	int r = load_pin(pin, t->pin, err, errcap);
	if (!r) {
		t->ctx = SSL_CTX_new(TLS_client_method());
		if (!t->ctx || !SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION)) {
			snprintf(err, errcap, "syslog tls:%s: cannot make a TLS context", name);
			r = DP_ECRYPTO;
		} else
			SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, accept_any);
	}
	pthread_condattr_t ca;
	if (!r && (pthread_mutex_init(&t->mu, NULL) || pthread_condattr_init(&ca) ||
		   pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) || pthread_cond_init(&t->cv, &ca)))
		r = DP_ENOMEM;
	if (!r && pthread_create(&t->th, NULL, run, t)) {
		snprintf(err, errcap, "syslog tls:%s: cannot start its thread", name);
		r = DP_ENOMEM;
	} else if (!r)
		(void)pthread_setname_np(t->th, "dpd-syslog");
	if (r) {
		SSL_CTX_free(t->ctx);
		free(t);
		return r;
	}
	t->started = 1;
	*tp = t;
	return DP_OK;
}

int dpo_tls_send(dpo_tls *t, const uint8_t *msg, size_t n)
{
	char len[24];
	int k = snprintf(len, sizeof len, "%zu ", n);
	struct frame *f = malloc(sizeof *f + (size_t)k + n);
	if (!f)
		return DP_ENOMEM;
	memcpy(f->p, len, (size_t)k);
	memcpy(f->p + k, msg, n);
	f->n = (size_t)k + n;
	pthread_mutex_lock(&t->mu);
	int full = t->n == DPO_TLS_QUEUE_MAX;
	uint64_t dropped = 0;
	if (full)
		dropped = ++t->dropped;
	else {
		t->q[(t->head + t->n) % DPO_TLS_QUEUE_MAX] = f;
		t->n++;
		pthread_cond_signal(&t->cv);
	}
	pthread_mutex_unlock(&t->mu);
	if (full) {
		free(f);
		dpd_say("denpod: syslog tls:%s: queue full (%d messages waiting for the collector): "
			"message dropped (%llu so far); the alerts file keeps it", t->name,
			DPO_TLS_QUEUE_MAX, (unsigned long long)dropped);
		return DP_ETOOBIG;
	}
	return DP_OK;
}

void dpo_tls_close(dpo_tls *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->mu);
	t->stop = 1;
	after(&t->drain_until, DPO_TLS_CLOSE_WAIT_MS);
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->th, NULL);
	for (size_t i = 0; i < t->n; i++)
		free(t->q[(t->head + i) % DPO_TLS_QUEUE_MAX]);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	SSL_CTX_free(t->ctx);
	free(t);
}
