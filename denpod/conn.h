/*
 * denpod/conn.h - the connection guard of the API port.
 *
 * Anyone who reaches the port can open connections; only enrolled devices
 * finish the TLS handshake (server.c refuses any other certificate in it).
 * The guard sees to it that nobody can hold the switch's descriptors or
 * stall its loop by merely connecting, slowly or not at all:
 *
 * Deadlines.  A connection is in one phase at a time, and its deadline is
 * checked once a second:
 *
 *   handshake  accept .. TLS handshake done              handshake_timeout
 *   idle       handshake or answer .. a byte of the next  idle_timeout
 *              request
 *   request    that byte .. the request read in full      request_timeout, plus
 *              (head and body)                            a second per min_upload_rate
 *                                                         bytes received: a large body
 *                                                         at a decent rate is never cut
 *   handler    the switch holds the request                none here (a long-poll ends
 *              (commit, long-poll)                        by the API: DPD_WAIT_MAX)
 *   writing    an answer not yet written out              write_timeout without progress
 *
 * A connection past its deadline is shut down (shutdown(2)); evhttp sees
 * the end of the stream and frees it.
 *
 * Caps.  At most max_connections in all (by default what the descriptor
 * limit leaves after DPD_FD_RESERVE for databases, logs and listeners),
 * at most max_connections_per_address from one address (an IPv6 /64
 * counts as one), of which at most max_handshakes_per_address still in
 * their handshake.  Room is made by closing the OLDEST connection still in
 * its handshake (of that address, or of all): an enrolled device's
 * handshake takes milliseconds, so it is never the oldest, while a flood
 * of slow handshakes only displaces itself.  With no handshake to close,
 * the oldest kept-alive idle connection goes; with none either, the new
 * connection is refused and the listener paused until one closes: new
 * connections wait in the kernel's backlog, the loop never spins.
 *
 * Order.  Connections of enrolled devices are served ahead of those still
 * in their handshake (DPD_PRIO_HIGH in server.h), and so is a new
 * connection from an address where a device finished a handshake within a
 * day; connections the guard shut down come last.  Deadlines are
 * stretched by up to half, at random per connection, so that a crowd
 * closed together does not come back together.
 *
 * Descriptors.  If accept() fails for want of descriptors (EMFILE,
 * ENFILE: something else used them), the oldest handshake is closed and
 * the listener paused for 100 ms.  What the guard closed is said in one
 * summary line per 10 s at most, never a line per connection.
 *
 * Everything here runs on the loop thread.
 */
#ifndef DENPOD_CONN_H
#define DENPOD_CONN_H

#include <stdint.h>

#include "denpod/config.h"

struct event_base;
struct bufferevent;
struct evconnlistener;
struct evhttp_request;
typedef struct ssl_ctx_st SSL_CTX;

/* Descriptors kept for the switch itself: databases, logs, listeners, the signer. */
#define DPD_FD_RESERVE 64

typedef struct dpd_conns dpd_conns;

/* What the guard did, since start (the summary line and the metrics). */
typedef struct {
	uint64_t accepted;
	uint64_t closed_handshake, closed_idle, closed_request, closed_write; /* deadlines */
	uint64_t evicted;     /* oldest handshake (or idle) closed to make room */
	uint64_t refused;     /* a new connection closed: over a cap with nothing to evict */
	uint64_t fd_shortage; /* accept() failed for want of descriptors */
	uint64_t handshake_failed; /* ended in the handshake, not closed by the guard (refused
				      certificate, protocol error, the peer left) */
	unsigned open, handshaking, max;
} dpd_conn_stats;

/*
 * The guard for connections served on base under the limits lim (a
 * max_conns of 0 is derived from RLIMIT_NOFILE, whose soft value is first
 * raised to the hard one, at most 65536).  DP_ENOMEM.
 */
int dpd_conns_new(dpd_conns **out, struct event_base *base, const dpc_conn_limits *lim) DP_WUR;
/* After every connection is gone (evhttp_free); g may be NULL. */
void dpd_conns_free(dpd_conns *g);
/*
 * evhttp's bufferevent callback: a tracked TLS bufferevent (accepting)
 * for the connection evhttp is about to set up, or NULL (out of memory:
 * evhttp then serves it without TLS, which the API refuses).
 */
struct bufferevent *dpd_conns_bev(dpd_conns *g, SSL_CTX *ctx);
/* Guard the accepts of a listener: pause at the cap, survive EMFILE. */
void dpd_conns_listener(dpd_conns *g, struct evconnlistener *lev);
/* A request was read in full and is with the switch (the handler phase). */
void dpd_conn_request(struct evhttp_request *req);
/* Its answer is being handed to evhttp (the writing, then idle phase). */
void dpd_conn_replied(struct evhttp_request *req);
void dpd_conns_stats(const dpd_conns *g, dpd_conn_stats *st);
/*
 * A lingering close for a handshake server.c refuses (call it from the
 * certificate check, before OpenSSL sends the alert).  The alert that says
 * why (unknown_ca: not enrolled; internal_error: the database did not
 * answer) reaches the device only if the socket is not reset under it, and
 * a close with the device's next bytes unread (TLS 1.3: its request may
 * follow its certificate at once) resets it.  So the socket is kept open
 * past evhttp's close, on a duplicate descriptor: its sending side is shut
 * once the alert is out, what the device still sends is read and dropped
 * until it closes, and after 2 s at most it is closed.  At most 16 at once
 * (they come out of DPD_FD_RESERVE); beyond that, the plain close.
 */
typedef struct ssl_st SSL;
void dpd_conn_linger(SSL *ssl);

#endif
