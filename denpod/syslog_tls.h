/*
 * denpod/syslog_tls.h - RFC 5425 syslog over TLS to one collector whose
 * certificate is pinned, from a thread of its own with a bounded queue.
 *
 * Contract:
 * - Transport: TCP, TLS 1.2 or newer (OpenSSL), each message framed by
 *   octet counting, "MSG-LEN SP SYSLOG-MSG" (RFC 5425 4.3).
 * - Trust: the collector's leaf certificate must have the pinned SHA-256
 *   fingerprint (of its DER encoding).  Nothing else is trusted: no CA, no
 *   name check, no fallback to plain TCP or UDP.  A collector presenting
 *   another certificate is refused after the handshake, before any message
 *   is written, and said so in the switch's log; the attempt is retried
 *   with backoff (a collector's certificate may be replaced by the pinned
 *   one), and the queue keeps the messages meanwhile.
 * - Never blocking the caller: dpo_tls_send copies the message into the
 *   queue under a mutex and returns; the thread connects, handshakes and
 *   writes with blocking I/O bounded by socket timeouts.  So the event loop
 *   serving cables never waits for the collector.
 * - Nothing lost silently: a message leaves the queue only once SSL_write
 *   has taken it whole on a connection the collector has not closed (the
 *   socket is polled for the collector's close before each write).  A write
 *   that fails is retried on the next connection (at least once: a message
 *   can arrive twice when a connection breaks under it).  A message that
 *   does not fit the queue (DPO_TLS_QUEUE_MAX) is refused, counted in
 *   dropped and said in the log; the JSON-lines file keeps every alert.
 * - Reconnect: after a failure, waits 1 s, doubling to DPO_TLS_BACKOFF_MAX
 *   seconds; back to 1 s once a connection is up.
 * - Everything the thread needs (address, SSL_CTX, pin) is prepared in
 *   dpo_tls_open, before the network process is confined: at run time the
 *   thread only opens an AF_INET/AF_INET6 socket and connects
 *   (denpod/sandbox.c allows both).  The thread is started by dpo_tls_open
 *   (the confined process may not create threads).
 * - The name is resolved once, at open.
 */
#ifndef DENPOD_SYSLOG_TLS_H
#define DENPOD_SYSLOG_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "denpo/error.h"

#define DPO_TLS_QUEUE_MAX 4096     /* messages waiting for the collector */
#define DPO_TLS_BACKOFF_MAX 30     /* seconds between attempts at most */
#define DPO_TLS_IO_TIMEOUT 10      /* seconds a connect, handshake or write may take */
#define DPO_TLS_CLOSE_WAIT_MS 3000 /* dpo_tls_close: time given to drain the queue */

typedef struct dpo_tls dpo_tls;

/*
 * addr: the collector's address (resolved by the caller, denpod/alerts.c);
 * name: "HOST:PORT" for the log; sni: the host name sent in the handshake
 * ("" or NULL for an address literal); pin: "sha256:HEX" (64 hex digits,
 * ':' between bytes allowed) or the path of the collector's PEM
 * certificate.  Builds the TLS context and starts the thread (which
 * connects at once).  DP_EPARSE for a missing or bad pin, DP_EIO for an
 * unreadable certificate, DP_ECRYPTO, DP_ENOMEM; a message in err (errcap
 * bytes, errcap > 0).
 */
int dpo_tls_open(dpo_tls **t, const struct sockaddr *addr, socklen_t addrlen, const char *name,
		 const char *sni, const char *pin, char *err, size_t errcap) DP_WUR;
/*
 * Queues a copy of msg[0..n) (n 1..DPO_LINE_MAX) and returns at once:
 * DP_OK, or DP_ETOOBIG if the queue is full (the message is dropped, counted
 * and said in the log), DP_ENOMEM.  Thread-safe.
 */
int dpo_tls_send(dpo_tls *t, const uint8_t *msg, size_t n);
/*
 * Gives the thread up to DPO_TLS_CLOSE_WAIT_MS to deliver what is queued,
 * says in the log how many messages it could not deliver, then stops it
 * and frees everything.  NULL: nothing.
 */
void dpo_tls_close(dpo_tls *t);

#endif
