/*
 * denpod/server.h - the HTTPS server's shared state: server.c (TLS, evhttp,
 * the process), route.c (the route table, authentication), the endpoints
 * (api.h), req.c (answers), batch.c (the commit engine, op.h) and wait.c
 * (long-polls).  Everything runs on the one libevent loop
 * (the "loop thread") except the database writes of a batch, which a
 * writer thread commits on its own connection (batch.c; the two meet only
 * through the hand-over fields under `mu`), and the parse and signature
 * check of a submission, which a worker thread of `pool` does on the job's
 * own copy of the bytes (pool.h, api_cable.c).  The log signer (denpod/tlog.h)
 * is a third thread on a third connection: the writer kicks it after a
 * commit that appended entries, and the loop reads its latest checkpoint.
 */
#ifndef DENPOD_SERVER_H
#define DENPOD_SERVER_H

#include <pthread.h>

#include <jansson.h>

#include "denpo/envelope.h"
#include "denpo/epoch.h"
#include "denpod/config.h"
#include "denpod/op.h"
#include "denpod/req.h"
#include "denpod/metrics.h"
#include "denpod/route.h"
#include "denpod/store.h"
#include "denpod/tlog.h"
#include "denpod/wait.h"

struct event_base;
struct evhttp;
struct evhttp_request;
struct evbuffer;
struct event;
struct evkeyvalq;
typedef struct ssl_ctx_st SSL_CTX;

#define DPD_VERSION "denpod " DPC_VERSION /* GET /v1/health, the DETECT-CONFIG log entries */
#define DPD_BODY_MAX ((size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4)
#define DPD_INBOX_MAX 1000

/*
 * The loop's event priorities (libevent runs every active event of a
 * higher priority before a lower one): a crowd of connections that never
 * authenticate cannot delay an enrolled device's request or the answers of
 * a commit.  Events not given one get DPD_PRIO_NORMAL.
 */
enum { DPD_PRIO_HIGH,   /* the writer's hand-over (batch.c), authenticated connections */
       DPD_PRIO_NORMAL, /* listeners, timers, connections in their TLS handshake */
       DPD_PRIO_LOW,    /* connections the guard shut down (conn.c): only their freeing */
       DPD_PRIOS };

typedef struct dpd_server {
	dpc_config cfg;
	struct event_base *base;
	struct evhttp *http;
	struct dpd_conns *conns; /* the connection guard (conn.h) */
	SSL_CTX *ssl;
	dps_store *store;  /* the loop thread's connection: reads (directory cached) */
	dps_store *wstore; /* the writer thread's connection: batch commits */
	dpl_enc *wenc;     /* the writer thread's log entry encoder */
	dpl_log *log;      /* the log signer (its own thread and connection) */
	struct dpx_view *offidx; /* loop thread: the officer index map answers prove from (offidx.h) */
	pthread_mutex_t wlock; /* held by the writer and the signer around write transactions */
	struct event *commit_ev, *done_ev;
	struct event *sig_term, *sig_int;
	dpd_op *batch_head, **batch_tail; /* pending: the next batch (loop thread) */
	dpd_op **batch_rank[4]; /* after the last op of rank <= p or in order (batch.c) */
	size_t batch_len;
	dpd_op **batch_cut; /* the link after the pending batch's last FLASH, or NULL (batch.c) */
	int batch_was_cut; /* the last hand-over left ops pending behind a FLASH (batch.c) */
	int busy; /* loop thread: a batch is with the writer */
	/* hand-over between the loop and the writer thread */
	pthread_mutex_t mu;
	pthread_cond_t todo_cv, done_cv;
	pthread_t writer;
	int writer_started;
	dpd_op *todo; /* under mu: a batch for the writer */
	dpd_op *done; /* under mu: that batch, written; done_r: 0 or DP_ESTORE if rolled back */
	int done_r;
	int quit;     /* under mu: the writer exits when idle */
	dpd_waiter *waiters[DPD_WAIT_BUCKETS];
	uint64_t n_batches, n_committed;
	int stopping;
	int64_t clock; /* loop thread: the latest dpd_now() answer */
	struct dpd_det *det; /* detection and containment (detect_srv.c); NULL: off */
	int signer;          /* the socket to the signer process (signer.h) */
	struct event *watchdog; /* pings the signer for systemd's watchdog; NULL: none asked */
	struct dpd_health *health; /* the metrics listener (health.c); NULL: off */
	dpm_counters met;          /* loop thread only (metrics.h) */
	/* a refused request of an enrolled device (req.h): detection's weak signal; NULL: off */
	void (*denied)(struct dpd_server *srv, dpd_req *rq);
	struct dpd_listen *listen; /* the other instances' notifications (listen.h); NULL: SQLite */
	struct dpd_pool *pool;     /* the workers verifying submissions (pool.h); NULL: the loop does */
} dpd_server;

/* server.c */
int dpd_run(const dpc_config *cfg) DP_WUR;
/*
 * The switch's TLS context: cfg's tls.key in a self-signed certificate,
 * TLS 1.3 only, a client certificate required and judged by verify(ctx,
 * arg) alone (SSL_CTX_set_cert_verify_callback: no chain is built), no
 * resumption.  NULL on failure (OpenSSL's errors printed).  The switch
 * passes its directory check; bench/bench_floor.c one of its own, so the
 * floor it measures has the switch's TLS exactly.
 */
typedef struct x509_store_ctx_st X509_STORE_CTX;
SSL_CTX *dpd_tls_ctx(const dpc_config *cfg, int (*verify)(X509_STORE_CTX *ctx, void *arg), void *arg);

/* api_log.c: the proofs of the log that answers of other endpoints carry */

/*
 * The proofs that answers carry for a device that witnesses the log
 * (docs/api.md, "Proofs in answers").  log_size=M (dpq_num): *given = 0
 * if absent; DP_EPARSE with msg if it is not a number in 0..2^63 - 1.
 */
int dpd_log_size_param(struct evkeyvalq *q, int *given, uint64_t *m, char *msg, size_t cap) DP_WUR;
/*
 * Whether the checkpoint this instance serves (*cp, dpl_latest) covers size
 * M, the parameter `what` (a device's log_size, a proof's size): DP_OK;
 * DP_ESTORE (503) when it does not but the database holds a checkpoint that
 * does: another instance published it and this one has not followed yet,
 * or it is not yet known durable (the standby away); the log thread is
 * woken, and the device asks another instance of the switch, or again
 * (docs/api.md); DP_EINVAL (400) when no stored checkpoint is that large
 * (no device can have verified it).  msg says which, and what to do.
 */
int dpd_log_covers(dpd_server *srv, const char *what, uint64_t m, dps_checkpoint *cp, char *msg,
		   size_t cap) DP_WUR;
/*
 * The "log" object: the latest signed checkpoint, read once (every proof of
 * the answer is against it; *size is its size) and its consistency proof
 * from M.  dpd_log_covers' verdict if it does not cover M, DP_ESTORE
 * (tiles unreadable), DP_ENOMEM; msg says what went wrong.
 */
int dpd_log_view(dpd_server *srv, uint64_t m, json_t **out, uint64_t *size, char *msg,
		 size_t cap) DP_WUR;
/* The same, with that checkpoint into *cp (its officer-index line: the officers' proofs). */
int dpd_log_view_cp(dpd_server *srv, uint64_t m, json_t **out, dps_checkpoint *cp, char *msg,
		    size_t cap) DP_WUR;
/*
 * The officers' records and proofs of an answer, under checkpoint cp
 * (offidx.h): the object of one officer, or appended to arr for each
 * handle of a list (once each).  DP_ESTATE with msg if the index is
 * being updated (retry), DP_ENOTFOUND if cp carries no index.
 */
int dpd_officer_json(dpd_server *srv, const dps_checkpoint *cp, const char *officer, json_t **out,
		     char *msg, size_t cap) DP_WUR;
/* A proof as answers carry it: a JSON array of base64 hashes (NULL when out of memory). */
json_t *dpd_proof_json(const uint8_t (*proof)[DP_TLOG_HASH], size_t n);
/*
 * Inclusion proofs of many entries in the tree of `size` for one answer,
 * each node read (or hashed from its tile) once.  NULL when out of memory.
 */
typedef struct dpd_prover dpd_prover;
dpd_prover *dpd_prover_new(dps_store *s, uint64_t size);
int dpd_prove(dpd_prover *p, uint64_t idx, uint8_t proof[DP_TLOG_PROOF_MAX][DP_TLOG_HASH],
	      size_t *n) DP_WUR;
void dpd_prover_free(dpd_prover *p);

#endif
