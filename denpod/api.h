/*
 * denpod/api.h - the endpoints of docs/api.md: one handler signature for
 * all of them, and each handler with the file that defines it.  The route
 * table (route.c) maps a method and a path to its handler; the dispatch
 * there authenticates the device, tells detection about the request,
 * parses the query, and for the cable routes looks the cable and the
 * device's receipt row up once, before a handler is called.
 *
 * A handler answers its request (dpd_reply_*, req.h) or hands it to the
 * commit engine as an op (op.h), or holds it (wait.h): exactly one of them.
 */
#ifndef DENPOD_API_H
#define DENPOD_API_H

#include "denpo/markings.h"
#include "denpod/req.h"
#include "denpod/store.h"

struct dpd_server;
struct evkeyvalq;

/* What the dispatch knows of a request when its handler is called. */
typedef struct dpd_call {
	struct dpd_server *srv;
	dpd_req *rq;
	struct evkeyvalq *q;     /* the parsed query; NULL: none */
	const dps_device *dev;   /* the authenticated, active device */
	const dps_officer *me;   /* its officer (active) */
	/* the cable routes (/v1/cables/{id}...) only; NULL otherwise */
	const dps_cable *cable;  /* the cable, addressed to the device or originated by its officer */
	const dps_rcpt *rcpt;    /* the device's receipt row; NULL: not a recipient */
	int is_orig;             /* the device belongs to the cable's originating officer */
} dpd_call;

typedef void (*dpd_handler)(const dpd_call *c);

/* api.c: reads (the health answer, lists, a cable's receipts, the directory) */
void dpd_get_health(const dpd_call *c);
void dpd_get_inbox(const dpd_call *c);
void dpd_get_archive(const dpd_call *c);
void dpd_get_sent(const dpd_call *c);
void dpd_get_overdue(const dpd_call *c);
void dpd_get_resolve(const dpd_call *c);
void dpd_get_device(const dpd_call *c);
void dpd_get_status(const dpd_call *c);
void dpd_get_accepted(const dpd_call *c);
/*
 * Log entry idx as answers carry it, {"index", "entry" (b64), "proof"}, its
 * inclusion proof in the tree of `size` (idx < size).  DP_ESTORE: the entry
 * or a tile is not stored.
 */
int dpd_incl_json(dps_store *s, uint64_t idx, uint64_t size, json_t **out) DP_WUR;
/* api_offidx.c: the officer index (an officer's record and proof) */
void dpd_get_officer(const dpd_call *c);
/* api_devices.c: a device's approval of, or report on, another device of its officer */
void dpd_post_approve(const dpd_call *c);
void dpd_post_report(const dpd_call *c);
/* api_records.c: the archive's acts and the state of a record copy (denpo/records.h) */
void dpd_post_records(const dpd_call *c);
void dpd_get_records_state(const dpd_call *c);
void dpd_get_records_changes(const dpd_call *c);
/* api_dir.c: the directory listing */
void dpd_get_directory(const dpd_call *c);
/* The markings' answer field: {"SECRET": "極秘", ...}, levels without one left out (NULL: ENOMEM). */
json_t *dpd_markings_json(const dp_markings *m);
/* api_cable.c: a submission, a fetch, an acknowledgement (ops: op.h) */
void dpd_post_cable(const dpd_call *c);
void dpd_get_cable(const dpd_call *c);
void dpd_post_ack(const dpd_call *c);
/* api_keys.c: key epochs */
void dpd_post_keys(const dpd_call *c);
void dpd_get_keys(const dpd_call *c);
/* api_log.c: the transparency log's read API and cosignatures */
void dpd_get_checkpoint(const dpd_call *c);
void dpd_get_witnessed(const dpd_call *c);
void dpd_get_tile(const dpd_call *c);
void dpd_get_inclusion(const dpd_call *c);
void dpd_get_consistency(const dpd_call *c);
void dpd_post_cosign(const dpd_call *c);
/* api_rollback.c: after a restore */
void dpd_log_rollbacks(const dpd_call *c);
void dpd_log_recovered(const dpd_call *c);

#endif
