/*
 * denpod/op.h - the operations the commit engine (batch.c) writes: one
 * interface, a table of hooks per kind (as OpenSSH's mon_dispatch or
 * Redis's command table), each kind defined in the file that owns its
 * rules.
 *
 * A handler verifies a request completely, then, on the loop thread, hands
 * its write to the engine as an op (a submission's parse and signature
 * check may run on a verify worker first, denpod/pool.h; the judgement
 * against the store and the hand-over are the loop's).  The engine knows only this header:
 * it writes each op of a batch inside its own savepoint of one
 * transaction (the kind's write hook, on the writer thread), commits, and
 * only then, back on the loop thread, calls each op's answer hook, then
 * the committed hook of every op that is now durable, then frees them.
 * The engine's guarantees (group commit, nothing answered before it is
 * durable, a savepoint per op, the log signer kicked after a commit that
 * appended entries, writes in the order of their judgement times but
 * for a submission's precedence, op->rank) are in batch.c's header
 * comment; what a kind must do to keep them is in the contract of each
 * hook below.
 *
 * Payload: every kind's struct embeds `dpd_op` as its FIRST member
 * (struct op_submit { dpd_op op; dps_submit sub; ... }), allocated whole
 * by dpd_op_new, so the engine moves `dpd_op *` around and a hook gets
 * its own struct back with DPD_OP_OF (no cast of unrelated types, one
 * allocation, no field whose meaning depends on the kind).  A payload
 * pointer would cost a second allocation per cable for nothing: the
 * engine never needs to know the payload's size.
 *
 * The kinds (each defined in the file named; tests/test_denpod_op.c checks
 * every one's hooks: a new kind goes into its list):
 *   cable submit, deliver, fetch, ack   api_cable.c
 *   key put, keys                       api_keys.c
 *   cosign                              api_log.c
 *   recovered                           api_rollback.c
 *   approve, report                     api_devices.c
 *   records                             api_records.c
 *   alert, lapse, config                detect_srv.c (no request: answered to detection)
 *   probe                               health.c (no request: answered to /readyz)
 */
#ifndef DENPOD_OP_H
#define DENPOD_OP_H

#include <stddef.h>
#include <stdint.h>

#include "denpo/error.h"
#include "denpod/ftrace.h"
#include "denpod/req.h"
#include "denpod/store.h"
#include "denpod/tlog.h"

struct dpd_server;
typedef struct dpd_op dpd_op;

typedef struct dpd_op_type {
	const char *name; /* "submit", "alert": for tests and the method of an op with no request */
	/*
	 * Writer thread, inside the op's savepoint of the batch's transaction:
	 * the change and its transparency-log entries (dpl_put through x), all
	 * at op->t (the time the loop thread judged it at).  Adds the number of
	 * entries appended to *logged (the engine kicks the signer if any).
	 * Returns DP_OK, or the op's verdict (DP_EEXISTS, DP_ESTATE, ...: its
	 * savepoint is undone, the rest of the batch goes on), or DP_ESTORE /
	 * DP_ENOSPC (the whole batch is rolled back).  Reads and writes only its
	 * own struct and st: the loop thread does not touch the op meanwhile.
	 * Sets op->log_idx to the entry its answer names (-1 before the call).
	 */
	int (*write)(dps_store *st, dpl_enc *x, dpd_op *op, int *logged);
	/*
	 * Loop thread, after the batch's commit (op->result: DP_OK, its verdict,
	 * or DP_ESTORE / DP_ENOSPC if the batch was rolled back): answers the
	 * request (dpd_req_release first: the engine held it, req.h) or reports
	 * to whoever made the op.  May add new ops (a retry).  Must not free op.
	 */
	void (*answer)(struct dpd_server *srv, dpd_op *op);
	/*
	 * Loop thread, after every op of a committed batch is answered, for each
	 * op whose write is durable (op->result == DP_OK): what follows from it
	 * (the request metrics of a cable accepted or delivered, waking the
	 * long-polls of its recipients).  A decoy does neither: counting or
	 * waking would tell that one was planted.  NULL: nothing follows.
	 */
	void (*committed)(struct dpd_server *srv, dpd_op *op);
	/* Frees what the kind's struct owns (not the struct: the engine frees it); NULL: nothing. */
	void (*free)(dpd_op *op);
} dpd_op_type;

/* The engine's part of every op: the first member of each kind's struct. */
struct dpd_op {
	dpd_op *next;             /* the batch (engine) */
	const dpd_op_type *type;
	dpd_req rq;               /* the loop thread's: the request to answer (req.req NULL: none) */
	char addr[46];            /* the peer's address, copied for the writer (Source of entries) */
	int64_t t;                /* the time the loop thread judged it at (dpd_now) */
	int rank;                 /* DPD_IN_ORDER, or a cable's precedence (batch.c) */
	int result;               /* out: the write's verdict, or the batch's failure */
	int64_t log_idx;          /* out: the entry its answer names; -1 if none */
	DPD_FT_FIELDS             /* a -DDPD_FLASH_TRACE build only (ftrace.h) */
};

/*
 * An op's place in the pending batch (batch.c): DPD_IN_ORDER (every op
 * dpd_op_new makes) is written after everything added before it; a
 * submission sets its cable's precedence (DP_PREC_FLASH 0 .. ROUTINE 3)
 * and is written before the submissions of a lower precedence added since
 * the last op in order.
 */
#define DPD_IN_ORDER (-1)

/* The kind's struct of an op: `struct op_submit *s = DPD_OP_OF(op, struct op_submit);` */
#define DPD_OP_OF(op, type) ((type *)(void *)(op))

/*
 * A zeroed op of `size` bytes (the kind's struct, at least sizeof(dpd_op))
 * of type t, log_idx -1, answering a copy of rq; rq NULL: an op with no
 * request (its method for the record is t->name, device "-").  The caller
 * sets op->t (the time it judged it at).  NULL when out of memory.
 */
dpd_op *dpd_op_new(const dpd_op_type *t, size_t size, const dpd_req *rq);
/* Frees the op and what its kind owns (type->free). */
void dpd_op_free(dpd_op *op);
/*
 * The start of a request's answer hook: releases the request (the engine
 * held it) and, if the write failed (op->result != DP_OK), answers with
 * the refusal the kinds share (the message of the verdict: a cable id
 * already used, the store failed, the disk is full; what to do next) and
 * returns 1; 0: the write is durable and the hook answers its success.
 */
int dpd_op_refused(dpd_op *op);
/* "log_index" set in an answer when the op has an entry (j NULL: NULL). */
json_t *dpd_op_with_log(json_t *j, const dpd_op *op);

/* ---- the commit engine (batch.c) ---- */

/* Loop thread: appends op to the pending batch (and holds its request). */
void dpd_batch_add(struct dpd_server *srv, dpd_op *op);
/* Start the writer thread (srv->wstore must be open). */
int dpd_batch_init(struct dpd_server *srv) DP_WUR;
/* Commit and answer everything accepted so far, blocking the loop (shutdown). */
void dpd_batch_drain(struct dpd_server *srv);
/* Stop and join the writer thread; free the events.  After dpd_batch_drain. */
void dpd_batch_stop(struct dpd_server *srv);

/* ---- the kinds ---- */

extern const dpd_op_type dpd_op_submit, dpd_op_deliver, dpd_op_fetch, dpd_op_ack; /* api_cable.c */
extern const dpd_op_type dpd_op_key_put, dpd_op_keys;                            /* api_keys.c */
extern const dpd_op_type dpd_op_cosign;                                          /* api_log.c */
extern const dpd_op_type dpd_op_recovered;                                       /* api_rollback.c */
extern const dpd_op_type dpd_op_approve, dpd_op_report;                          /* api_devices.c */
extern const dpd_op_type dpd_op_records;                                         /* api_records.c */
extern const dpd_op_type dpd_op_alert, dpd_op_lapse, dpd_op_config;              /* detect_srv.c */
extern const dpd_op_type dpd_op_probe;                                           /* health.c */

#endif
