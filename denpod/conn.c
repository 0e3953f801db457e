/*
 * denpod/conn.c - the connection guard (the contract is in conn.h).
 *
 * evhttp owns each connection; the guard rides along with it.  It learns
 * of a connection from the bufferevent callback (dpd_conns_bev: before the
 * socket is attached, so the address comes a moment later, in adopt()),
 * of the handshake's end from OpenSSL's info callback, of a request from
 * server.c (dpd_conn_request, dpd_conn_replied), and of the end from the
 * SSL object's ex_data free callback, which runs when evhttp frees the
 * bufferevent and with it the SSL: whatever way a connection ends, its
 * record goes with it.  To end a connection the guard only shuts its
 * socket down; evhttp reads the end of the stream and frees it.
 *
 * Bytes received and sent are read off the socket BIO's counters, so the
 * request and write deadlines need no hook inside evhttp.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <sodium.h>

#include "denpo/error.h"
#include "denpod/conn.h"
#include "denpod/server.h"

enum phase { PH_HANDSHAKE, PH_IDLE, PH_REQUEST, PH_HANDLER };

#define ADDR_KEY 17     /* family byte + 16 address bytes (IPv6: the /64, zero-padded) */
#define ADDR_BUCKETS 4096
#define SWEEP_MS 250
#define KNOWN_SLOTS 4096         /* addresses that completed a handshake lately */
#define KNOWN_PROBE 8
#define KNOWN_MS (24 * 3600 * 1000) /* ... within a day */
#define SUMMARY_MS 10000
#define RESUME_MS 100
#define LISTENERS_MAX 4
#define DPD_BACKLOG 4096
#define LINGER_MAX 16   /* refused handshakes kept open at once to deliver their alert */
#define LINGER_MS 2000  /* ... for at most this long */

struct addr;

struct conn {
	struct conn *prev, *next;   /* every connection, oldest first */
	struct conn *hprev, *hnext; /* in its handshake, oldest first */
	struct conn *aprev, *anext; /* in its handshake, of the same address */
	struct addr *addr;          /* NULL until adopted */
	struct dpd_conns *g;
	struct bufferevent *bev;
	struct event *adopt_ev;
	int phase;
	int doomed;      /* shut down by the guard; evhttp will free it */
	unsigned spread; /* per mille added to its deadlines (0..499) */
	int64_t since;   /* ms: the phase's start (writing: the last progress) */
	uint64_t rd, wr; /* the BIO's byte counts at that moment */
};

struct addr {
	struct addr *next;
	uint8_t key[ADDR_KEY];
	unsigned total, handshaking;
	struct conn *hhead, *htail; /* its connections in their handshake */
};

/* A refused handshake's socket, kept until the device has read the alert (dpd_conn_linger). */
struct lingerer {
	struct lingerer *prev, *next;
	struct dpd_conns *g;
	struct event *ev;
	int fd;      /* a duplicate: evhttp closes its own descriptor meanwhile */
	int shut;    /* the sending side is shut (the alert is out) */
	int64_t until;
};

struct dpd_conns {
	struct event_base *base;
	struct lingerer *lhead, *ltail;
	unsigned nlinger;
	dpc_conn_limits lim;
	struct conn *head, *tail;   /* all */
	struct conn *hhead, *htail; /* handshaking */
	unsigned n, nhs;
	struct addr *buckets[ADDR_BUCKETS];
	struct {
		uint8_t key[ADDR_KEY];
		int64_t t; /* ms of the last handshake done from it; 0: free */
	} known[KNOWN_SLOTS];
	uint8_t hkey[crypto_shorthash_KEYBYTES];
	struct evconnlistener *lev[LISTENERS_MAX];
	size_t nlev;
	int paused; /* the listeners are disabled: over the cap, or out of descriptors */
	struct event *sweep_ev, *resume_ev;
	dpd_conn_stats st, said; /* said: the counts at the last summary line */
	int64_t said_at;
	uint64_t spread_state; /* splitmix64, seeded at random: a spread per connection, no syscall */
};

static int ssl_idx = -1;

/* 0..499, a new one per connection (splitmix64): deadlines spread, not a secret */
static unsigned spread_next(dpd_conns *g)
{
	uint64_t z = (g->spread_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (unsigned)((z ^ (z >> 31)) % 500);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- lists ---- */

#define LINK(headp, tailp, c, P, N)                                                               \
	do {                                                                                      \
		(c)->P = *(tailp);                                                                \
		(c)->N = NULL;                                                                    \
		if (*(tailp))                                                                     \
			(*(tailp))->N = (c);                                                      \
		else                                                                              \
			*(headp) = (c);                                                           \
		*(tailp) = (c);                                                                   \
	} while (0)
#define UNLINK(headp, tailp, c, P, N)                                                             \
	do {                                                                                      \
		if ((c)->P)                                                                       \
			(c)->P->N = (c)->N;                                                       \
		else                                                                              \
			*(headp) = (c)->N;                                                        \
		if ((c)->N)                                                                       \
			(c)->N->P = (c)->P;                                                       \
		else                                                                              \
			*(tailp) = (c)->P;                                                        \
		(c)->P = (c)->N = NULL;                                                           \
	} while (0)

/* ---- addresses ---- */

static unsigned hash_of(const dpd_conns *g, const uint8_t key[ADDR_KEY])
{
	uint8_t h[crypto_shorthash_BYTES];
	/* keyed: an attacker cannot aim many addresses at one chain or slot */
	crypto_shorthash(h, key, ADDR_KEY, g->hkey);
	return h[0] | (unsigned)h[1] << 8 | (unsigned)h[2] << 16;
}

static unsigned bucket_of(const dpd_conns *g, const uint8_t key[ADDR_KEY])
{
	return hash_of(g, key) % ADDR_BUCKETS;
}

/*
 * Addresses from which an enrolled device finished a handshake within a
 * day: a new connection from one of them is served ahead of the crowd from
 * elsewhere, before it has proved anything (posts' addresses are stable;
 * an attacker behind a post's NAT is held by the per-address caps).
 */
static int known_get(const dpd_conns *g, const uint8_t key[ADDR_KEY], int64_t now)
{
	unsigned h = hash_of(g, key);
	for (unsigned i = 0; i < KNOWN_PROBE; i++) {
		unsigned k = (h + i) % KNOWN_SLOTS;
		if (g->known[k].t && now - g->known[k].t < KNOWN_MS &&
		    memcmp(g->known[k].key, key, ADDR_KEY) == 0)
			return 1;
	}
	return 0;
}

static void known_put(dpd_conns *g, const uint8_t key[ADDR_KEY], int64_t now)
{
	unsigned h = hash_of(g, key), oldest = h % KNOWN_SLOTS;
	for (unsigned i = 0; i < KNOWN_PROBE; i++) {
		unsigned k = (h + i) % KNOWN_SLOTS;
		if (memcmp(g->known[k].key, key, ADDR_KEY) == 0 || !g->known[k].t) {
			oldest = k;
			break;
		}
		if (g->known[k].t < g->known[oldest].t)
			oldest = k;
	}
	memcpy(g->known[oldest].key, key, ADDR_KEY);
	g->known[oldest].t = now;
}

/* The key of the peer's address (IPv4, or the /64 of an IPv6 one); -1 if none. */
static int addr_key(int fd, uint8_t key[ADDR_KEY])
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	memset(key, 0, ADDR_KEY);
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
		return -1;
	if (ss.ss_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((struct sockaddr_in *)&ss)->sin_addr, 4);
		return 0;
	}
	if (ss.ss_family == AF_INET6) {
		const uint8_t *a = ((struct sockaddr_in6 *)&ss)->sin6_addr.s6_addr;
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(a, mapped, 12) == 0) { /* an IPv4 peer on a dual-stack socket */
			key[0] = 4;
			memcpy(key + 1, a + 12, 4);
		} else {
			key[0] = 6;
			memcpy(key + 1, a, 8);
		}
		return 0;
	}
	return -1;
}

static struct addr *addr_get(dpd_conns *g, const uint8_t key[ADDR_KEY])
{
	unsigned b = bucket_of(g, key);
	for (struct addr *a = g->buckets[b]; a; a = a->next)
		if (memcmp(a->key, key, ADDR_KEY) == 0)
			return a;
	struct addr *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	memcpy(a->key, key, ADDR_KEY);
	a->next = g->buckets[b];
	g->buckets[b] = a;
	return a;
}

static void addr_put(dpd_conns *g, struct addr *a)
{
	if (a->total)
		return;
	struct addr **pp = &g->buckets[bucket_of(g, a->key)];
	while (*pp != a)
		pp = &(*pp)->next;
	*pp = a->next;
	free(a);
}

/* ---- the listeners ---- */

static void listeners_set(dpd_conns *g, int pause)
{
	if (g->paused == pause)
		return;
	g->paused = pause;
	for (size_t i = 0; i < g->nlev; i++)
		(void)(pause ? evconnlistener_disable(g->lev[i]) : evconnlistener_enable(g->lev[i]));
}

/* ---- phases ---- */

static uint64_t bytes_read(const struct conn *c)
{
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	BIO *b = ssl ? SSL_get_rbio(ssl) : NULL;
	return b ? BIO_number_read(b) : 0;
}

static uint64_t bytes_written(const struct conn *c)
{
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	BIO *b = ssl ? SSL_get_wbio(ssl) : NULL;
	return b ? BIO_number_written(b) : 0;
}

static void handshake_end(struct conn *c)
{
	dpd_conns *g = c->g;
	if (c->phase != PH_HANDSHAKE)
		return;
	c->phase = PH_IDLE;
	UNLINK(&g->hhead, &g->htail, c, hprev, hnext);
	g->nhs--;
	if (c->addr) {
		UNLINK(&c->addr->hhead, &c->addr->htail, c, aprev, anext);
		c->addr->handshaking--;
	}
}

static void enter(struct conn *c, int phase)
{
	c->phase = phase;
	c->since = now_ms();
	c->rd = bytes_read(c);
	c->wr = bytes_written(c);
}

/* Shut the connection down (evhttp frees it on the end of the stream); *count++. */
static void doom(struct conn *c, uint64_t *count)
{
	if (c->doomed)
		return;
	handshake_end(c); /* no longer a candidate for eviction */
	c->doomed = 1;
	(*count)++;
	(void)bufferevent_priority_set(c->bev, DPD_PRIO_LOW); /* fails if active: no matter */
	int fd = (int)bufferevent_getfd(c->bev);
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
	/* else: not attached yet; adopt() shuts it down */
}

/* The oldest connection that can make room: in its handshake, else idle (no answer pending). */
static struct conn *victim(dpd_conns *g, const struct conn *spare)
{
	for (struct conn *c = g->hhead; c; c = c->hnext)
		if (c != spare)
			return c;
	for (struct conn *c = g->head; c; c = c->next)
		if (c != spare && !c->doomed && c->phase == PH_IDLE &&
		    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
			return c;
	return NULL;
}

/* Over the cap: make room for c (or refuse it), and pause until there is room. */
static void make_room(dpd_conns *g, struct conn *c)
{
	if (g->n <= g->lim.max_conns)
		return;
	struct conn *v = victim(g, c);
	if (v)
		doom(v, &g->st.evicted);
	else
		doom(c, &g->st.refused);
	listeners_set(g, 1); /* resumed when a connection is freed */
}

/* The record's end: evhttp freed the bufferevent, and the SSL with it. */
static void gone(struct conn *c)
{
	dpd_conns *g = c->g;
	if (c->phase == PH_HANDSHAKE && !c->doomed)
		g->st.handshake_failed++;
	handshake_end(c);
	if (c->adopt_ev)
		event_free(c->adopt_ev);
	if (c->addr) {
		c->addr->total--;
		addr_put(g, c->addr);
	}
	UNLINK(&g->head, &g->tail, c, prev, next);
	g->n--;
	free(c);
	if (g->paused && g->n <= g->lim.max_conns && !evtimer_pending(g->resume_ev, NULL))
		listeners_set(g, 0);
}

static void ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	if (ptr)
		gone(ptr);
}

static void info_cb(const SSL *ssl, int where, int ret)
{
	if (!(where & SSL_CB_HANDSHAKE_DONE))
		return;
	struct conn *c = SSL_get_ex_data(ssl, ssl_idx);
	if (c && c->phase == PH_HANDSHAKE && !c->doomed) {
		handshake_end(c);
		enter(c, PH_IDLE);
		/* an enrolled device: ahead of every connection still in its handshake */
		(void)bufferevent_priority_set(c->bev, DPD_PRIO_HIGH);
		if (c->addr)
			known_put(c->g, c->addr->key, c->since);
	}
}

/* The socket is attached now: count the connection against its address. */
static void adopt(evutil_socket_t fd_, short what, void *arg)
{
	struct conn *c = arg;
	dpd_conns *g = c->g;
	uint8_t key[ADDR_KEY];
	int fd = (int)bufferevent_getfd(c->bev);
	event_free(c->adopt_ev);
	c->adopt_ev = NULL;
	if (c->doomed) { /* refused before its socket was attached */
		if (fd >= 0)
			shutdown(fd, SHUT_RDWR);
		return;
	}
	struct addr *a = addr_key(fd, key) == 0 ? addr_get(g, key) : NULL;
	if (!a) {
		doom(c, &g->st.refused); /* no address, or no memory to count it */
		return;
	}
	c->addr = a;
	a->total++;
	if (c->phase == PH_HANDSHAKE && known_get(g, key, now_ms()))
		(void)bufferevent_priority_set(c->bev, DPD_PRIO_HIGH); /* a device's address */
	if (c->phase == PH_HANDSHAKE) {
		LINK(&a->hhead, &a->htail, c, aprev, anext);
		a->handshaking++;
	}
	if (a->total > g->lim.max_per_addr) {
		/* the address's oldest handshake makes room; else the newcomer is refused */
		if (a->hhead && a->hhead != c)
			doom(a->hhead, &g->st.evicted);
		else
			doom(c, &g->st.refused);
	} else if (a->handshaking > g->lim.max_hs_per_addr) {
		doom(a->hhead, &g->st.evicted);
	}
}

struct bufferevent *dpd_conns_bev(dpd_conns *g, SSL_CTX *ctx)
{
	struct conn *c = calloc(1, sizeof *c);
	SSL *ssl = c ? SSL_new(ctx) : NULL;
	if (!ssl) {
		free(c);
		return NULL;
	}
	c->g = g;
	c->spread = spread_next(g);
	c->adopt_ev = event_new(g->base, -1, 0, adopt, c);
	/* adopt() runs before the crowd's reads: it may move a device's connection ahead */
	if (!c->adopt_ev || event_priority_set(c->adopt_ev, DPD_PRIO_HIGH) ||
	    !SSL_set_ex_data(ssl, ssl_idx, c)) {
		if (c->adopt_ev)
			event_free(c->adopt_ev);
		free(c);
		SSL_free(ssl);
		return NULL;
	}
	/* from here on, the SSL's end is the record's end (ex_free) */
	LINK(&g->head, &g->tail, c, prev, next);
	LINK(&g->hhead, &g->htail, c, hprev, hnext);
	g->n++;
	g->nhs++;
	g->st.accepted++;
	c->phase = PH_HANDSHAKE;
	c->since = now_ms();
	SSL_set_info_callback(ssl, info_cb);
	c->bev = bufferevent_openssl_socket_new(g->base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
						BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev)
		return NULL; /* libevent freed the SSL, and with it c */
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	/* evhttp attaches the socket right after this returns; adopt() runs next */
	event_active(c->adopt_ev, EV_TIMEOUT, 0);
	make_room(g, c);
	return c->bev;
}

/* ---- refused handshakes: a lingering close ---- */

static void linger_end(struct lingerer *l)
{
	dpd_conns *g = l->g;
	UNLINK(&g->lhead, &g->ltail, l, prev, next);
	g->nlinger--;
	event_free(l->ev);
	close(l->fd);
	free(l);
}

static void linger_cb(evutil_socket_t fd_, short what, void *arg)
{
	struct lingerer *l = arg;
	int64_t now = now_ms();
	if (!l->shut) { /* first run, after OpenSSL wrote the alert: the end of our stream */
		l->shut = 1;
		shutdown(l->fd, SHUT_WR);
		struct timeval tv = {LINGER_MS / 1000, (LINGER_MS % 1000) * 1000};
		if (event_add(l->ev, &tv))
			linger_end(l);
		return;
	}
	if (what & EV_READ) { /* what the device still sends is dropped, until it closes */
		char sink[4096];
		ssize_t n = recv(l->fd, sink, sizeof sink, 0);
		if (n > 0 && now < l->until)
			return;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) &&
		    now < l->until)
			return;
	}
	linger_end(l); /* the device closed, an error, or the time is up */
}

void dpd_conn_linger(SSL *ssl)
{
	struct conn *c = ssl ? SSL_get_ex_data(ssl, ssl_idx) : NULL;
	int fd = ssl ? SSL_get_fd(ssl) : -1;
	if (!c || fd < 0 || c->g->nlinger >= LINGER_MAX)
		return; /* the plain close */
	dpd_conns *g = c->g;
	struct lingerer *l = calloc(1, sizeof *l);
	if (!l)
		return;
	l->g = g;
	l->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	l->ev = l->fd >= 0 ? event_new(g->base, l->fd, EV_READ | EV_PERSIST, linger_cb, l) : NULL;
	if (!l->ev) {
		if (l->fd >= 0)
			close(l->fd);
		free(l);
		return;
	}
	l->until = now_ms() + LINGER_MS;
	LINK(&g->lhead, &g->ltail, l, prev, next);
	g->nlinger++;
	event_active(l->ev, EV_TIMEOUT, 0); /* runs after this handshake step has written */
}

/* ---- requests ---- */

static struct conn *conn_of(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = req ? evhttp_request_get_connection(req) : NULL;
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
	return ssl && ssl_idx >= 0 ? SSL_get_ex_data(ssl, ssl_idx) : NULL;
}

void dpd_conn_request(struct evhttp_request *req)
{
	struct conn *c = conn_of(req);
	if (c && !c->doomed) {
		handshake_end(c);
		enter(c, PH_HANDLER);
	}
}

void dpd_conn_replied(struct evhttp_request *req)
{
	struct conn *c = conn_of(req);
	if (c && !c->doomed)
		enter(c, PH_IDLE);
}

/* ---- the sweep ---- */

static void say_summary(dpd_conns *g, int64_t now)
{
	const dpd_conn_stats *a = &g->st, *b = &g->said;
	uint64_t dl = (a->closed_handshake - b->closed_handshake) + (a->closed_idle - b->closed_idle) +
		      (a->closed_request - b->closed_request) + (a->closed_write - b->closed_write);
	uint64_t ev = a->evicted - b->evicted, rf = a->refused - b->refused,
		 fd = a->fd_shortage - b->fd_shortage;
	if ((!dl && !ev && !rf && !fd) || now - g->said_at < SUMMARY_MS)
		return;
	fprintf(stderr,
		"denpod: connections: %u open of %u (%u in their TLS handshake); in the last %llds: "
		"%llu past a deadline (handshake %llu, idle %llu, request %llu, write %llu), %llu "
		"closed to make room, %llu refused at a cap, %llu accepts out of descriptors%s\n",
		g->n, g->lim.max_conns, g->nhs, (long long)((now - g->said_at) / 1000),
		(unsigned long long)dl, (unsigned long long)(a->closed_handshake - b->closed_handshake),
		(unsigned long long)(a->closed_idle - b->closed_idle),
		(unsigned long long)(a->closed_request - b->closed_request),
		(unsigned long long)(a->closed_write - b->closed_write), (unsigned long long)ev,
		(unsigned long long)rf, (unsigned long long)fd,
		fd ? " (raise LimitNOFILE: docs/operations.md)" : "");
	g->said = g->st;
	g->said_at = now;
}

/*
 * s seconds, and up to half as much again, by connection: a crowd that came
 * together and is closed together would come back together, overflow the
 * listen backlog and have an officer's SYN dropped.
 */
static int64_t limit_ms(const struct conn *c, unsigned s)
{
	return (int64_t)s * (1000 + c->spread);
}

static void sweep_one(dpd_conns *g, struct conn *c, int64_t now)
{
	const dpc_conn_limits *l = &g->lim;
	uint64_t rd, wr;
	switch (c->phase) {
	case PH_HANDSHAKE:
		if (now - c->since > limit_ms(c, l->handshake_s))
			doom(c, &g->st.closed_handshake);
		return;
	case PH_IDLE:
		if (evbuffer_get_length(bufferevent_get_output(c->bev))) {
			/* still writing an answer: alive while it makes progress */
			wr = bytes_written(c);
			if (wr != c->wr) {
				c->wr = wr;
				c->since = now;
			} else if (now - c->since > limit_ms(c, l->write_s)) {
				doom(c, &g->st.closed_write);
			}
			return;
		}
		rd = bytes_read(c);
		if (rd != c->rd) {
			/* a request began (at most a sweep ago: its time counts from now) */
			c->phase = PH_REQUEST;
			c->since = now;
			return;
		}
		if (now - c->since > limit_ms(c, l->idle_s))
			doom(c, &g->st.closed_idle);
		return;
	case PH_REQUEST:
		rd = bytes_read(c) - c->rd;
		/* the head's time, and a second more for every min_rate bytes received */
		if (now - c->since > limit_ms(c, l->request_s) + (int64_t)(rd * 1000 / l->min_rate))
			doom(c, &g->st.closed_request);
		return;
	default:
		return; /* with the switch: its own time limits apply */
	}
}

static void sweep(evutil_socket_t fd_, short what, void *arg)
{
	dpd_conns *g = arg;
	int64_t now = now_ms();
	for (struct conn *c = g->head; c; c = c->next)
		if (!c->doomed)
			sweep_one(g, c, now);
	say_summary(g, now);
}

static void resume(evutil_socket_t fd_, short what, void *arg)
{
	dpd_conns *g = arg;
	if (g->n <= g->lim.max_conns)
		listeners_set(g, 0);
	/* else: the next connection freed resumes (gone) */
}

/* accept() failed for a reason other than "try again". */
static void accept_error(struct evconnlistener *lev, void *arg)
{
	dpd_conns *g = arg;
	int e = EVUTIL_SOCKET_ERROR();
	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
		g->st.fd_shortage++;
		struct conn *v = victim(g, NULL);
		if (v)
			doom(v, &g->st.evicted);
	} else {
		fprintf(stderr, "denpod: accept: %s; pausing accepts for %d ms\n", strerror(e), RESUME_MS);
	}
	/* never a tight loop: no accepts for a moment, whatever the cause */
	listeners_set(g, 1);
	struct timeval tv = {0, RESUME_MS * 1000};
	evtimer_add(g->resume_ev, &tv);
}

void dpd_conns_listener(dpd_conns *g, struct evconnlistener *lev)
{
	if (!lev || g->nlev == LISTENERS_MAX)
		return;
	g->lev[g->nlev++] = lev;
	evconnlistener_set_error_cb(lev, accept_error);
	/*
	 * evhttp listens with a backlog of 128: a crowd reconnecting at once
	 * overflows it, and the kernel drops an officer's SYN (retried 1 s, then
	 * 3 s later).  The kernel caps this at net.core.somaxconn.
	 */
	if (listen((int)evconnlistener_get_fd(lev), DPD_BACKLOG) != 0)
		fprintf(stderr, "denpod: warning: cannot raise the listen backlog: %s\n", strerror(errno));
	if (g->paused)
		evconnlistener_disable(lev);
}

/* ---- set-up ---- */

/* The connection cap the descriptor limit allows (raising the soft limit first). */
static unsigned fd_cap(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024 - DPD_FD_RESERVE;
	rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = want;
		(void)setrlimit(RLIMIT_NOFILE, &rl); /* systemd's default soft limit is 1024 */
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	rlim_t n = rl.rlim_cur == RLIM_INFINITY ? 65536 : rl.rlim_cur;
	if (n > 1000000)
		n = 1000000;
	return n > 2 * DPD_FD_RESERVE ? (unsigned)(n - DPD_FD_RESERVE) : (unsigned)(n / 2);
}

int dpd_conns_new(dpd_conns **out, struct event_base *base, const dpc_conn_limits *lim)
{
	*out = NULL;
	if (ssl_idx < 0)
		ssl_idx = SSL_get_ex_new_index(0, (void *)"denpod conn", NULL, NULL, ex_free);
	dpd_conns *g = calloc(1, sizeof *g);
	if (!g || ssl_idx < 0) {
		free(g);
		return DP_ENOMEM;
	}
	g->base = base;
	g->lim = *lim;
	unsigned cap = fd_cap();
	if (!g->lim.max_conns || g->lim.max_conns > cap) {
		if (g->lim.max_conns > cap)
			fprintf(stderr, "denpod: max_connections=%u is more than the descriptor limit "
					"allows; using %u (raise LimitNOFILE: docs/operations.md)\n",
				g->lim.max_conns, cap);
		g->lim.max_conns = cap;
	}
	randombytes_buf(g->hkey, sizeof g->hkey);
	randombytes_buf(&g->spread_state, sizeof g->spread_state);
	g->sweep_ev = event_new(base, -1, EV_PERSIST, sweep, g);
	g->resume_ev = evtimer_new(base, resume, g);
	struct timeval tv = {SWEEP_MS / 1000, (SWEEP_MS % 1000) * 1000};
	if (!g->sweep_ev || !g->resume_ev || event_add(g->sweep_ev, &tv)) {
		dpd_conns_free(g);
		return DP_ENOMEM;
	}
	g->said_at = now_ms();
	*out = g;
	return DP_OK;
}

void dpd_conns_free(dpd_conns *g)
{
	if (!g)
		return;
	/* connections still tracked (evhttp_free has normally freed them): forget them */
	while (g->head) {
		struct conn *c = g->head;
		SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
		if (ssl)
			SSL_set_ex_data(ssl, ssl_idx, NULL);
		if (c->adopt_ev)
			event_free(c->adopt_ev);
		UNLINK(&g->head, &g->tail, c, prev, next);
		free(c);
	}
	while (g->lhead)
		linger_end(g->lhead);
	for (size_t b = 0; b < ADDR_BUCKETS; b++)
		while (g->buckets[b]) {
			struct addr *a = g->buckets[b];
			g->buckets[b] = a->next;
			free(a);
		}
	if (g->sweep_ev)
		event_free(g->sweep_ev);
	if (g->resume_ev)
		event_free(g->resume_ev);
	sodium_memzero(g->hkey, sizeof g->hkey);
	free(g);
}

void dpd_conns_stats(const dpd_conns *g, dpd_conn_stats *st)
{
	*st = g->st;
	st->open = g->n;
	st->handshaking = g->nhs;
	st->max = g->lim.max_conns;
}
