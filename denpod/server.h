/*
 * denpod/server.h - the HTTPS server: shared state of server.c (TLS,
 * evhttp, authentication, replies), api.c (endpoints) and batch.c (group
 * commit and long-poll waiters).  Everything runs on the one libevent loop
 * (the "loop thread") except the database writes of a batch, which a
 * writer thread commits on its own connection (batch.c); the two meet only
 * through the hand-over fields under `mu`.  The log signer (denpod/tlog.h)
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
#include "denpod/metrics.h"
#include "denpod/route.h"
#include "denpod/store.h"
#include "denpod/tlog.h"

struct event_base;
struct evhttp;
struct evhttp_request;
struct evbuffer;
struct event;
struct evkeyvalq;
typedef struct ssl_ctx_st SSL_CTX;

#define DPD_VERSION "denpod " DPC_VERSION /* GET /v1/health, the DETECT-CONFIG log entries */
#define DPD_BODY_MAX ((size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4)
#define DPD_WAIT_MAX 60
#define DPD_INBOX_MAX 1000
#define DPD_WAIT_BUCKETS 4096
#define DPD_WAIT_PER_DEVICE 8 /* held long-polls per device; a 9th answers the oldest */

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

/* A request being answered: what the log line and the reply need. */
typedef struct dpd_req_s {
	struct evhttp_request *req; /* NULL once the peer went away */
	char method[8];
	char path[96];
	char dev[13]; /* device id prefix for the log, "-" if none */
	char addr[46]; /* the peer's IP address ("" if unknown): Source of its log entries */
	struct dpd_server *srv;
	void (*on_close)(struct dpd_req_s *rq); /* called if the peer goes away while held */
	uint8_t devid[32]; /* the authenticated device (authed = 1) */
	int authed;
	int det_fed;       /* detection has seen this request (a refusal is not fed again) */
	int route;         /* enum dpd_route (route.h): the endpoint, for the dispatch and metrics */
	int64_t t0_ns;     /* CLOCK_MONOTONIC when it was read in full (its latency) */
} dpd_req;

/*
 * DPD_OP_KEYS (GET /v1/keys) is answered in batch order, inside the
 * writer's transaction: its pending lists then include every cable
 * accepted before it, so an epoch it reports closed has no cable still on
 * its way to the database (see api.c, get_keys); it writes only the
 * key-retired entries of epochs it is the first to see closed.
 * DPD_OP_FETCH is a fetch of a cable already delivered to the device (or
 * by its originator): it changes nothing but its cable-fetched entry,
 * and the bytes leave only once that entry is committed.
 */
enum dpd_op_kind { DPD_OP_SUBMIT, DPD_OP_DELIVER, DPD_OP_ACK, DPD_OP_KEY_PUT, DPD_OP_KEYS,
		   DPD_OP_FETCH, DPD_OP_COSIGN, DPD_OP_ALERT, DPD_OP_LAPSE, DPD_OP_CONFIG,
		   DPD_OP_PROBE, DPD_OP_RECOVERED };
/*
 * DPD_OP_ALERT (no request): an alert of the detection engine, its log
 * entry and its automatic containment (detect_srv.c); DPD_OP_LAPSE: the
 * time-boxed steps whose time ran out; DPD_OP_CONFIG: the detection
 * configuration the switch runs with (an admin entry, at start and on
 * every SIGHUP that changes it; data = the Detail).  All three are
 * answered to detect_srv.c.  DPD_OP_PROBE (no request): the readiness
 * check's write (denpod/health.h), answered to its done callback.
 */
struct dp_det_alert_s;

/* One write waiting for the next group commit. */
typedef struct dpd_op {
	struct dpd_op *next;
	dpd_req rq;
	int kind;
	int result;
	/* submit */
	dps_submit sub;
	dps_rcpt *rcpts;
	/* deliver / fetch / ack; keys: device and t (the time the request is judged at) */
	int64_t seq;
	uint8_t device[32];
	uint8_t cable_id[DP_CABLE_ID];
	int64_t t;
	/* key put: the decoded record (malloc'd), its bytes in data */
	dp_epoch_key *key;
	dps_epoch_pub pub;
	json_t *json;          /* keys: the answer, built by the writer */
	uint8_t *data;         /* submit: our copy of the submission bytes (sub.data); key put: the record */
	struct evbuffer *body; /* deliver / fetch: the cable bytes to send after commit */
	char mrn[DPS_MRN_MAX + 1];
	char addr[46];         /* the peer's address, copied for the writer (rq is the loop's) */
	int64_t log_idx;       /* out: the op's (first) log entry, -1 if none */
	/* alert: the engine's alert (malloc'd), the time box, out: the containment's id */
	struct dp_det_alert_s *alert;
	int64_t until;
	int64_t cid;
	/* cosign: seq = the checkpoint size, t = the cosignature's time, data = the line (NUL-terminated) */
	/* recovered: seq = the rollback's index, until = the size the device had verified,
	   data = the entry's Detail (NUL-terminated); out: first = 1 if logged now */
	/* deliver: the recipient's precedence; out: it was the first delivery (the metrics) */
	int prec, first;
	/* set: the loop thread calls it instead of answering a request (probe) */
	void (*done)(struct dpd_server *srv, struct dpd_op *op);
} dpd_op;

/* A long-poll GET /v1/inbox?wait=N. */
typedef struct dpd_waiter {
	struct dpd_waiter *next, **pprev;
	dpd_req rq;
	uint8_t device[32];
	size_t limit;
	int64_t log_size; /* -1: no proofs asked for */
	struct event *timer;
} dpd_waiter;

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
	pthread_mutex_t wlock; /* held by the writer and the signer around write transactions */
	struct event *commit_ev, *done_ev;
	struct event *sig_term, *sig_int;
	dpd_op *batch_head, **batch_tail; /* pending: the next batch (loop thread) */
	size_t batch_len;
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
} dpd_server;

/* server.c */
int dpd_run(const dpc_config *cfg) DP_WUR;
/*
 * The time the loop thread judges a request at: dp_now(), but never
 * earlier than an answer it gave before, so "accepted before" and "judged
 * before" agree even if the system clock steps back.
 */
int64_t dpd_now(dpd_server *srv);
/* HTTP status for an error code (device errors: 403; the caller picks 401 for unknown). */
int dpd_http_status(int err);
/* Reply with JSON (steals j) and log the request. */
void dpd_reply_json(dpd_req *rq, int status, json_t *j);
void dpd_reply_error(dpd_req *rq, int status, int err, const char *msg);
/* Reply with bytes (takes the buffer's contents) and log; log_idx < 0: no X-Denpo-Log-Index. */
void dpd_reply_bytes(dpd_req *rq, int status, struct evbuffer *body, const char *mrn,
		     int64_t log_idx);
/* Reply with n bytes of Content-Type type (Cache-Control cache unless NULL) and log. */
void dpd_reply_text(dpd_req *rq, int status, const char *type, const char *cache,
		    const void *p, size_t n);
/* Track / untrack the connection of a deferred request (so a vanished peer is not answered). */
void dpd_req_hold(dpd_req *rq);
void dpd_req_release(dpd_req *rq);

/* api.c */
void dpd_api_handle(dpd_server *srv, dpd_req *rq, const char *query, const uint8_t tls_key[32]);
/*
 * JSON of a device's inbox (also the long-poll answers).  log_size >= 0: the
 * device asked for proofs (log_size=M): each cable with its envelope and
 * cable-accepted entry, and the "log" object (docs/api.md).
 */
int dpd_inbox_json(dpd_server *srv, const uint8_t device[32], size_t limit, int64_t log_size,
		   json_t **out) DP_WUR;
/* The GET /v1/keys answer of a device at time now, read through st (the writer's connection). */
int dpd_keys_json(dps_store *st, const uint8_t device[32], int64_t now, json_t **out) DP_WUR;

/* api_log.c: GET /v1/log/... (the transparency log's read API) */
void dpd_log_api(dpd_server *srv, dpd_req *rq, struct evkeyvalq *q, const dps_officer *me,
		 const dps_device *dev, int post);

/*
 * api_rollback.c: the log's rollbacks for the devices that witnessed what
 * was lost (docs/api.md, "After a restore").  GET /v1/log/rollbacks: the
 * LOG-ROLLBACK entries under the latest checkpoint.  POST
 * /v1/log/recovered: a device's report that it reset its witness after
 * one, checked here against the entry and the log key, then logged by the
 * writer (DPD_OP_RECOVERED: dpd_recovered_write in its transaction,
 * answered and sent to the alert outputs by the op's done).
 */
void dpd_log_rollbacks(dpd_server *srv, dpd_req *rq);
void dpd_log_recovered(dpd_server *srv, dpd_req *rq, const dps_device *dev);
int dpd_recovered_write(dps_store *st, dpl_enc *x, dpd_op *op, int *logged) DP_WUR;

/*
 * The proofs that answers carry for a device that witnesses the log
 * (docs/api.md, "Proofs in answers").  log_size=M (dpq_num): *given = 0
 * if absent; DP_EPARSE with msg if it is not a number in 0..2^63 - 1.
 */
int dpd_log_size_param(struct evkeyvalq *q, int *given, uint64_t *m, char *msg, size_t cap) DP_WUR;
/*
 * The "log" object: the latest signed checkpoint, read once (every proof of
 * the answer is against it; *size is its size) and its consistency proof
 * from M.  DP_EINVAL if M is beyond it, DP_ESTORE (tiles unreadable),
 * DP_ENOMEM; msg says what went wrong.
 */
int dpd_log_view(dpd_server *srv, uint64_t m, json_t **out, uint64_t *size, char *msg,
		 size_t cap) DP_WUR;
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

/* batch.c */
void dpd_batch_add(dpd_server *srv, dpd_op *op);
/* Start the writer thread (srv->wstore must be open). */
int dpd_batch_init(dpd_server *srv) DP_WUR;
/* Commit and answer everything accepted so far, blocking the loop (shutdown). */
void dpd_batch_drain(dpd_server *srv);
/* Stop and join the writer thread; free the events.  After dpd_batch_drain. */
void dpd_batch_stop(dpd_server *srv);
void dpd_op_free(dpd_op *op);
void dpd_wait_add(dpd_server *srv, dpd_waiter *w, int seconds);
void dpd_wait_notify(dpd_server *srv, const uint8_t device[32]);
void dpd_wait_drop(dpd_waiter *w);

#endif
