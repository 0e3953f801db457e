/*
 * denpod/api_rollback.c - the log's rollbacks, for the devices that
 * witnessed what a restore lost (docs/api.md, "After a restore";
 * docs/transparency.md §4).
 *
 * A database restored from a backup older than what the log key signed
 * goes on from its own latest checkpoint M, after an admin entry with Act
 * LOG-ROLLBACK that says what was signed (N, its root) and what is left
 * (M).  A device that verified a tree of size S with M < S <= N sees a
 * history that does not extend its own: fork evidence.  Its `denpo log
 * recover` reads the rollbacks here (GET /v1/log/rollbacks: each entry
 * with its index; the device proves its inclusion in a checkpoint it
 * verifies), accepts one that explains its checkpoint, and reports that
 * it did (POST /v1/log/recovered).
 *
 * The report is an alert entry of the log (Rule WITNESS-RESET, the
 * device, a Detail naming the rollback and the size it had verified) and
 * a step on the alert outputs the security office watches.  A device
 * cannot log one without a rollback that explains a checkpoint it really
 * held: it sends that checkpoint as the log key signed it, and the entry
 * it names must be a LOG-ROLLBACK under the latest checkpoint whose range
 * covers it (dp_log_rollback_covers, the rule the device applies too).
 * Once per rollback and device: a repeat answers the first entry.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "denpo/encoding.h"
#include "denpod/api.h"
#include "denpod/detect_srv.h"
#include "denpod/op.h"
#include "denpod/server.h"

#define RECOVERED_BODY_MAX (DP_NOTE_MAX + 1024) /* the checkpoint note and two numbers */
#define WITNESS_RULE "WITNESS-RESET"

/* ---- GET /v1/log/rollbacks ---- */

struct rb_list {
	json_t *arr;
	dp_logent *e;
};

/* The rollback of a LOG-ROLLBACK entry whose Detail devices can read; DP_EPARSE for any other entry. */
static int rollback_of(dp_logent *e, const uint8_t *p, size_t len, dp_log_rollback *rb)
{
	if (dp_logent_decode(e, p, len) != DP_OK || e->event != DP_LOG_ADMIN ||
	    strcmp(e->act, DP_LOG_ROLLBACK_ACT) != 0)
		return DP_EPARSE;
	return dp_log_rollback_parse(rb, e->text);
}

static int rb_one(void *ctx, uint64_t idx, const uint8_t *p, size_t len)
{
	struct rb_list *x = ctx;
	dp_log_rollback rb;
	if (rollback_of(x->e, p, len, &rb) != DP_OK)
		return DP_OK; /* quoted in another entry's text (the table's backfill): not one */
	char *b64 = malloc(dp_b64_enclen(len, 1) + 1);
	if (!b64)
		return DP_ENOMEM;
	dp_b64_encode(b64, p, len, 1);
	int r = json_array_append_new(x->arr, json_pack("{s:I,s:s}", "index", (json_int_t)idx, "entry",
							b64)) ? DP_ENOMEM : DP_OK;
	free(b64);
	return r;
}

void dpd_log_rollbacks(const dpd_call *call)
{
	dpd_server *srv = call->srv;
	dpd_req *rq = call->rq;
	dps_checkpoint c;
	dpl_latest(srv->log, &c);
	struct rb_list x = {json_array(), malloc(sizeof(dp_logent))};
	/* only what the latest checkpoint covers: a device proves each entry against it */
	int r = DP_ENOMEM;
	if (x.arr && x.e)
		r = dps_log_rollbacks(srv->store, c.size, DP_LOG_ROLLBACKS_MAX, rb_one, &x);
	free(x.e);
	if (r) {
		json_decref(x.arr);
		dpd_reply_error(rq, 503, r == DP_ENOMEM ? r : DP_ESTORE,
				"the switch cannot read its log's rollbacks; retry");
		return;
	}
	dpd_reply_json(rq, 200, json_pack("{s:I,s:o}", "size", (json_int_t)c.size, "rollbacks", x.arr));
}

/* ---- POST /v1/log/recovered ---- */

struct entry_one {
	dp_logent *e;
	dp_log_rollback rb;
	int found, ok;
};

static int entry_one(void *ctx, uint64_t idx, const uint8_t *p, size_t len)
{
	struct entry_one *x = ctx;
	(void)idx;
	x->found = 1;
	x->ok = rollback_of(x->e, p, len, &x->rb) == DP_OK;
	return DP_OK;
}

/*
 * The report's checks: the checkpoint verifies under the log key, the entry
 * is a LOG-ROLLBACK under the latest checkpoint, and it explains that
 * checkpoint.  DP_OK with *cp and *rb; else the HTTP status and msg.
 */
static int judge(dpd_server *srv, uint64_t idx, const char *note, size_t len, dp_checkpoint *cp,
		 dp_log_rollback *rb, char *msg, size_t cap)
{
	if (dp_checkpoint_open(dpl_verifier(srv->log), note, len, cp, NULL) != DP_OK) {
		snprintf(msg, cap, "the checkpoint is not one this log's key signed (send the one this "
				   "device had verified, as the switch sent it)");
		return 400;
	}
	dps_checkpoint latest;
	dpl_latest(srv->log, &latest);
	if (idx >= latest.size) {
		snprintf(msg, cap, "entry %llu is not under the latest checkpoint (size %llu)",
			 (unsigned long long)idx, (unsigned long long)latest.size);
		return 409;
	}
	struct entry_one x = {.e = malloc(sizeof(dp_logent))};
	int r = x.e ? dps_log_entries(srv->store, idx, 1, entry_one, &x) : DP_ENOMEM;
	free(x.e);
	if (r || !x.found) {
		snprintf(msg, cap, "the switch cannot read its log; retry");
		return 503;
	}
	if (!x.ok || idx < x.rb.restored_size) { /* appended after M entries: never below M */
		snprintf(msg, cap, "entry %llu is not a " DP_LOG_ROLLBACK_ACT " admin entry",
			 (unsigned long long)idx);
		return 409;
	}
	*rb = x.rb;
	r = dp_log_rollback_covers(rb, cp->size, cp->root);
	if (r) {
		snprintf(msg, cap, "the " DP_LOG_ROLLBACK_ACT " at entry %llu (signed-size %llu, "
				   "restored-size %llu) does not explain a checkpoint of size %llu%s",
			 (unsigned long long)idx, (unsigned long long)rb->signed_size,
			 (unsigned long long)rb->restored_size, (unsigned long long)cp->size,
			 r == DP_ESIG ? " with that root" : "");
		return 409;
	}
	return 0;
}

/* A device's report for the commit engine (op.h): its alert entry, once per rollback and device. */
struct op_recovered {
	dpd_op op;
	uint64_t rollback;             /* the LOG-ROLLBACK entry's index */
	uint64_t verified;             /* the size the device had verified */
	uint8_t device[DP_ED25519_PK];
	char detail[DP_LOG_TEXT_MAX + 1]; /* the entry's Detail */
	int first;                     /* out: 1 if logged now (0: a repeat answers the first) */
};

static int recovered_write(dps_store *st, dpl_enc *x, dpd_op *op, int *logged)
{
	struct op_recovered *k = DPD_OP_OF(op, struct op_recovered);
	int64_t prev;
	int r = dps_log_recovery_get(st, k->rollback, k->device, &prev);
	if (r || prev >= 0) {
		op->log_idx = prev; /* reported before: the first report's entry answers */
		return r;
	}
	uint64_t idx;
	r = dpl_alert(st, x, op->t, WITNESS_RULE, k->device, k->detail, &idx);
	if (!r)
		r = dps_log_recovery_put(st, k->rollback, k->device, k->verified, idx);
	if (!r) {
		op->log_idx = (int64_t)idx;
		k->first = 1;
		(*logged)++;
	}
	return r;
}

/* Loop thread, after the commit: the answer, and the step to the security office's outputs. */
static void recovered_answer(dpd_server *srv, dpd_op *op)
{
	struct op_recovered *k = DPD_OP_OF(op, struct op_recovered);
	dpd_req_release(&op->rq);
	if (op->result) {
		dpd_reply_error(&op->rq, dpd_http_status(op->result), op->result,
				"the switch could not record the report; retry");
		return;
	}
	if (k->first)
		dpd_det_report(srv, op, "witness-reset", WITNESS_RULE, k->device, k->detail);
	dpd_reply_json(&op->rq, k->first ? 201 : 200,
		       json_pack("{s:I,s:b}", "log_index", (json_int_t)op->log_idx, "duplicate",
				 !k->first));
}

const dpd_op_type dpd_op_recovered = {"RECOVERED", recovered_write, recovered_answer, NULL, NULL};

void dpd_log_recovered(const dpd_call *call)
{
	dpd_server *srv = call->srv;
	dpd_req *rq = call->rq;
	const dps_device *dev = call->dev;
	struct evbuffer *in = evhttp_request_get_input_buffer(rq->req);
	size_t n = evbuffer_get_length(in);
	const char *bad = "give {\"rollback\": <index of the LOG-ROLLBACK entry>, \"checkpoint\": "
			  "\"<the signed checkpoint this device had verified>\"}";
	json_t *j = NULL;
	if (n && n <= RECOVERED_BODY_MAX)
		j = json_loadb((const char *)evbuffer_pullup(in, -1), n, JSON_REJECT_DUPLICATES, NULL);
	json_t *ji = json_object_get(j, "rollback"), *jc = json_object_get(j, "checkpoint");
	if (!json_is_integer(ji) || json_integer_value(ji) < 0 || !json_is_string(jc) ||
	    json_string_length(jc) == 0 || json_string_length(jc) > DP_NOTE_MAX) {
		json_decref(j);
		dpd_reply_error(rq, 400, n > RECOVERED_BODY_MAX ? DP_ETOOBIG : DP_EPARSE, bad);
		return;
	}
	uint64_t idx = (uint64_t)json_integer_value(ji);
	dp_checkpoint cp;
	dp_log_rollback rb;
	char msg[512];
	int st = judge(srv, idx, json_string_value(jc), json_string_length(jc), &cp, &rb, msg, sizeof msg);
	json_decref(j);
	if (st) {
		dpd_reply_error(rq, st, st == 400 ? DP_ESIG : st == 409 ? DP_ESTATE : DP_ESTORE, msg);
		return;
	}
	dpd_op *op = dpd_op_new(&dpd_op_recovered, sizeof(struct op_recovered), rq);
	if (!op) {
		dpd_reply_error(rq, 503, DP_ENOMEM, "out of memory; retry");
		return;
	}
	struct op_recovered *k = DPD_OP_OF(op, struct op_recovered);
	char root[2 * DP_TLOG_HASH + 1];
	dp_hex_encode(root, cp.root, DP_TLOG_HASH);
	snprintf(k->detail, sizeof k->detail, "reset its witness of the log after the " DP_LOG_ROLLBACK_ACT
		 " at entry %llu (signed-size %llu, restored-size %llu): it had verified size %llu "
		 "(root %s), lost by the restore",
		 (unsigned long long)idx, (unsigned long long)rb.signed_size,
		 (unsigned long long)rb.restored_size, (unsigned long long)cp.size, root);
	k->rollback = idx;
	k->verified = cp.size;
	op->t = dpd_now(srv);
	memcpy(k->device, dev->id, DP_ED25519_PK);
	dpd_batch_add(srv, op);
}
