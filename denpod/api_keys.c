/*
 * denpod/api_keys.c - key epochs (docs/api.md, "Key epochs"): POST
 * /v1/keys publishes a device's DENPO-EPOCH-KEY/1 record, GET /v1/keys
 * lists its epochs with the cables still pending for each, and their
 * operations for the commit engine (op.h): key put, keys.
 *
 * Both are judged by the writer, in batch order: the publication rules
 * (epochs only increase, a recipient once, the window against the
 * switch's clock) in its transaction, and the key list after every cable
 * judged before it is written, so an epoch it reports closed has no cable
 * still on its way to the database (batch.c, "Times").  The list writes
 * only the key-retired entries of epochs it is the first to see closed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "denpo/encoding.h"
#include "denpo/epoch.h"
#include "denpod/api.h"
#include "denpod/op.h"
#include "denpod/server.h"

static json_t *hexj(const uint8_t *p, size_t n)
{
	char h[2 * 32 + 1];
	dp_hex_encode(h, p, n);
	return json_string(h);
}

/* ---- key put ---- */

struct op_key_put {
	dpd_op op;
	dp_epoch_key *key; /* the decoded record (malloc'd) */
	uint8_t *data;     /* its bytes (pub.record) */
	dps_epoch_pub pub;
};

/* Why POST /v1/keys was refused (DP_EEXISTS, DP_ESTATE). */
static void key_put_msg(const struct op_key_put *k, char *msg, size_t cap)
{
	const dps_epoch_pub *p = &k->pub;
	unsigned long ep = (unsigned long)k->key->epoch;
	char at[DP_TIME_STR], gap[DP_TIME_STR];
	if (k->op.result == DP_EEXISTS) {
		snprintf(msg, cap, "this device already published epoch %lu with other content; an "
				   "epoch is published once: publish the next epoch", ep);
		return;
	}
	switch (p->rule) {
	case DPS_EPR_EPOCH:
		snprintf(msg, cap, "epoch %lu is not higher than epoch %lu, the newest this device "
				   "published; epochs only increase", ep, (unsigned long)p->last_epoch);
		break;
	case DPS_EPR_REUSED:
		snprintf(msg, cap, "this recipient was already published as epoch %lu; every epoch "
				   "needs a new key", (unsigned long)p->reused_epoch);
		break;
	case DPS_EPR_EXPIRED:
		dp_time_str(k->key->not_after, at);
		dp_span_str(k->op.t - k->key->not_after, gap);
		snprintf(msg, cap, "epoch %lu ended %s, %s before the switch's clock: this device's "
				   "clock is behind or the switch's ahead; check both (NTP)", ep, at, gap);
		break;
	case DPS_EPR_AHEAD:
		dp_time_str(k->key->not_before, at);
		dp_span_str(k->key->not_before - k->op.t, gap);
		snprintf(msg, cap, "epoch %lu starts %s, %s after the switch's clock (at most %d days "
				   "ahead): this device's clock is ahead or the switch's behind; check both "
				   "(NTP)", ep, at, gap, DP_EPOCH_MAX_AHEAD / 86400);
		break;
	case DPS_EPR_FULL:
		snprintf(msg, cap, "this device already has %d epoch keys that are not closed; publish "
				   "more when the oldest closes", DPS_EPOCHS_MAX);
		break;
	default:
		snprintf(msg, cap, "%s", dp_strerror(k->op.result));
	}
}

static int key_put_write(dps_store *st, dpl_enc *x, dpd_op *op, int *logged)
{
	struct op_key_put *k = DPD_OP_OF(op, struct op_key_put);
	uint64_t next = 0;
	int r = dps_log_next(st, &next);
	k->pub.k = k->key;
	k->pub.record = k->data;
	k->pub.now = op->t;
	k->pub.log_idx = (int64_t)next;
	if (!r)
		r = dps_epoch_put(st, &k->pub);
	if (!r && !k->pub.duplicate) {
		dp_logent *e = dpl_ent(x, DP_LOG_KEY_PUBLISHED, op->t);
		memcpy(e->device, k->key->device, DP_ED25519_PK);
		e->epoch = k->key->epoch;
		e->record = k->data;
		e->record_len = k->pub.len;
		dpl_source(e, op->addr);
		r = dpl_put(st, x, NULL);
		*logged += !r;
	}
	op->log_idx = k->pub.log_idx;
	return r;
}

static void key_put_answer(struct dpd_server *srv, dpd_op *op)
{
	struct op_key_put *k = DPD_OP_OF(op, struct op_key_put);
	if (op->result == DP_EEXISTS || op->result == DP_ESTATE) {
		char msg[256];
		dpd_req_release(&op->rq);
		key_put_msg(k, msg, sizeof msg);
		dpd_reply_error(&op->rq, dpd_http_status(op->result), op->result, msg);
		return;
	}
	if (dpd_op_refused(op))
		return;
	char dev[2 * DP_ED25519_PK + 1];
	dp_hex_encode(dev, k->key->device, DP_ED25519_PK);
	dpd_reply_json(&op->rq, k->pub.duplicate ? 200 : 201,
		       dpd_op_with_log(json_pack("{s:s,s:I,s:I,s:I,s:b}", "device", dev, "epoch",
						 (json_int_t)k->key->epoch, "not_before",
						 (json_int_t)k->key->not_before, "not_after",
						 (json_int_t)k->key->not_after, "duplicate",
						 k->pub.duplicate), op));
}

static void key_put_free(dpd_op *op)
{
	struct op_key_put *k = DPD_OP_OF(op, struct op_key_put);
	free(k->key);
	free(k->data);
}

const dpd_op_type dpd_op_key_put = {"KEY-PUT", key_put_write, key_put_answer, NULL, key_put_free};

void dpd_post_keys(const dpd_call *call)
{
	dpd_server *srv = call->srv;
	dpd_req *rq = call->rq;
	const dps_device *dev = call->dev;
	struct evbuffer *in = evhttp_request_get_input_buffer(rq->req);
	size_t n = evbuffer_get_length(in);
	if (n == 0 || n > DP_EPOCH_KEY_MAX) {
		dpd_reply_error(rq, 400, n ? DP_ETOOBIG : DP_EPARSE,
				"the body must be one DENPO-EPOCH-KEY/1 record (at most 4096 bytes)");
		return;
	}
	const uint8_t *p = evbuffer_pullup(in, -1);
	dpd_op *op = dpd_op_new(&dpd_op_key_put, sizeof(struct op_key_put), rq);
	dp_epoch_key *k = malloc(sizeof *k);
	uint8_t *data = malloc(n);
	if (!p || !op || !k || !data) {
		free(op);
		free(k);
		free(data);
		dpd_reply_error(rq, 503, DP_ENOMEM, "out of memory; retry");
		return;
	}
	int r = dp_epoch_key_decode(k, p, n);
	const char *why = NULL;
	if (r == DP_EUNSUPP)
		why = "the record's Age-Recipient is not a post-quantum mlkem768x25519 (age1pq1) "
		      "recipient: cables are encrypted to nothing else";
	else if (r == DP_ESIG)
		why = "the record's signature does not verify against its Device-Id";
	else if (r)
		why = "the body is not a well-formed DENPO-EPOCH-KEY/1 record";
	else if (memcmp(k->device, dev->id, DP_ED25519_PK) != 0) {
		r = DP_EDENIED;
		why = "the record's Device-Id is not this device: a device publishes its own keys only";
	}
	if (r) {
		dpd_reply_error(rq, dpd_http_status(r), r, why);
		free(op);
		free(k);
		free(data);
		return;
	}
	memcpy(data, p, n);
	struct op_key_put *kp = DPD_OP_OF(op, struct op_key_put);
	kp->key = k;
	kp->data = data;
	kp->pub.len = n;
	op->t = dpd_now(srv);
	dpd_batch_add(srv, op); /* the writer judges the publication rules in its transaction */
}


struct keys_ctx {
	json_t *arr;
	int64_t now;
	uint32_t current; /* the current epoch, if has_current */
	int has_current;
};

static int keys_one(void *ctx, const dps_epoch_state *st)
{
	struct keys_ctx *x = ctx;
	json_t *pend = json_array();
	for (size_t i = 0; i < st->npending; i++)
		json_array_append_new(pend, hexj(st->pending[i], DP_CABLE_ID));
	json_t *j = json_object();
	json_object_set_new(j, "epoch", json_integer(st->w.epoch));
	json_object_set_new(j, "not_before", json_integer(st->w.not_before));
	json_object_set_new(j, "not_after", json_integer(st->w.not_after));
	json_object_set_new(j, "current", json_boolean(x->has_current && x->current == st->w.epoch));
	json_object_set_new(j, "closed", json_boolean(st->closed));
	json_object_set_new(j, "pending", pend);
	json_object_set_new(j, "more", json_boolean(st->more));
	json_array_append_new(x->arr, j);
	return DP_OK;
}

static int keys_json(dps_store *st, const uint8_t device[32], int64_t now, json_t **out)
{
	struct keys_ctx x = {json_array(), now, 0, 0};
	dps_epoch *e = malloc(sizeof *e);
	int r = e ? dps_epoch_current(st, device, now, e, NULL) : DP_ENOMEM;
	if (!r) {
		x.current = e->epoch;
		x.has_current = 1;
	}
	free(e);
	if (r == DP_ENOTFOUND)
		r = DP_OK;
	if (!r)
		r = dps_epoch_list(st, device, now, keys_one, &x);
	if (r) {
		json_decref(x.arr);
		return r;
	}
	*out = json_pack("{s:I,s:i,s:o}", "now", (json_int_t)now, "skew", DP_EPOCH_SKEW, "epochs",
			 x.arr);
	return *out ? DP_OK : DP_ENOMEM;
}

/* ---- keys ---- */

struct op_keys {
	dpd_op op;
	uint8_t device[32];
};

struct retire_ctx {
	dps_store *st;
	dpl_enc *x;
	const struct op_keys *k;
	int n;
};

static int retire_one(void *ctx, uint32_t epoch)
{
	struct retire_ctx *c = ctx;
	dp_logent *e = dpl_ent(c->x, DP_LOG_KEY_RETIRED, c->k->op.t);
	memcpy(e->device, c->k->device, DP_ED25519_PK);
	e->epoch = epoch;
	snprintf(e->text, sizeof e->text, "closed");
	c->n++;
	return dpl_put(c->st, c->x, NULL);
}

/* Writer: the epochs this answer is the first to see closed are retired, once (logged). */
static int keys_write(dps_store *st, dpl_enc *x, dpd_op *op, int *logged)
{
	struct op_keys *k = DPD_OP_OF(op, struct op_keys);
	struct retire_ctx rc = {st, x, k, 0};
	int r = dps_epoch_retire(st, k->device, op->t, retire_one, &rc);
	*logged += rc.n;
	return r;
}

/*
 * Loop thread, once the batch holding the op is committed: the list, read
 * on the loop's own connection (srv->store), so that the writer, which is
 * already writing the next batch, never waits for it (reading an epoch's
 * pending cables reads the device's queue entries: about 10 ms per 100,000
 * queued).  What batch.c guarantees still holds: the op is in order, so
 * every cable judged before it was written in this batch or an earlier
 * one, and is committed and seen here.  A read may also see what a later
 * batch committed meanwhile: more pending cables, or fewer once the device
 * itself acknowledged them, never an accepted cable left out.
 */
static void keys_answer(struct dpd_server *srv, dpd_op *op)
{
	struct op_keys *k = DPD_OP_OF(op, struct op_keys);
	if (dpd_op_refused(op))
		return;
	json_t *j = NULL;
	int r = keys_json(srv->store, k->device, op->t, &j);
	if (r) {
		dpd_reply_error(&op->rq, dpd_http_status(r), r, "cannot read the key epochs; retry");
		return;
	}
	dpd_reply_json(&op->rq, 200, j);
}

const dpd_op_type dpd_op_keys = {"KEYS", keys_write, keys_answer, NULL, NULL};

void dpd_get_keys(const dpd_call *call)
{
	/*
	 * In batch order: the retirement of closed epochs in the writer's
	 * transaction, the list read after its commit (keys_answer).
	 */
	dpd_op *op = dpd_op_new(&dpd_op_keys, sizeof(struct op_keys), call->rq);
	if (!op) {
		dpd_reply_error(call->rq, 503, DP_ENOMEM, "out of memory; retry");
		return;
	}
	memcpy(DPD_OP_OF(op, struct op_keys)->device, call->dev->id, 32);
	op->t = dpd_now(call->srv);
	dpd_batch_add(call->srv, op);
}
