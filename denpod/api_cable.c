/*
 * denpod/api_cable.c - the cable's writes: POST /v1/cables (a submission),
 * GET /v1/cables/{id} (a delivery or a fetch) and POST
 * /v1/cables/{id}/ack, with their operations for the commit engine
 * (op.h): submit, deliver, fetch, ack.
 *
 * Each is verified completely here (a submission's envelope signature by a
 * worker of the pool, pool.h; the rest on the loop thread) and written by the
 * writer thread with its log entry (cable-accepted, -delivered, -fetched,
 * -acked) in the same savepoint; nothing is answered, and no byte of a
 * cable leaves, before that commit is durable.  A retry is idempotent:
 * the answer of a submission or an acknowledgement already stored has the
 * same shape as the first (one function builds each).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "denpo/encoding.h"
#include "denpo/envelope.h"
#include "denpod/api.h"
#include "denpod/check.h"
#include "denpod/detect_srv.h"
#include "denpod/op.h"
#include "denpod/policy.h"
#include "denpod/pool.h"
#include "denpod/server.h"
#include "denpod/wait.h"

/* A store failure that is a full disk (DP_ENOSPC, 507), where a read met it. */
#define DISK_FULL "the switch's disk is full: its operator must free space on it; then retry"

/*
 * The answer to a submission, the first (201) or a retry of one stored
 * (200, duplicate): {"cable_id", "mrn", "accepted", "duplicate",
 * "log_index" (its cable-accepted entry, if it has one)}.
 */
static void reply_submitted(dpd_req *rq, const uint8_t id[DP_CABLE_ID], const char *mrn,
			    int64_t accepted, int duplicate, int64_t log_idx)
{
	char hex[2 * DP_CABLE_ID + 1];
	dp_hex_encode(hex, id, DP_CABLE_ID);
	json_t *j = json_pack("{s:s,s:s,s:I,s:b}", "cable_id", hex, "mrn", mrn, "accepted",
			      (json_int_t)accepted, "duplicate", duplicate);
	if (j && log_idx >= 0)
		json_object_set_new(j, "log_index", json_integer((json_int_t)log_idx));
	dpd_reply_json(rq, duplicate ? 200 : 201, j);
}

/*
 * Loop thread: if this cable id is stored with the submission whose SHA-256
 * is digest, answered as its duplicate (DP_OK); else dps_cable_stored's
 * verdict (DP_ENOTFOUND, DP_EEXISTS, DP_ESTORE, ...) and nothing answered.
 */
static int answer_stored(dpd_server *srv, dpd_req *rq, const uint8_t id[DP_CABLE_ID],
			 const uint8_t digest[DP_SHA256])
{
	dps_cable c;
	int r = dps_cable_stored(srv->store, id, digest, &c);
	if (r == DP_OK)
		reply_submitted(rq, c.cable_id, c.mrn, c.accepted, 1, c.log_idx);
	return r;
}

/* The answer to an acknowledgement, the first or a repeat: {"cable_id", "acked", "log_index"?}. */
static void reply_acked(dpd_req *rq, const uint8_t id[DP_CABLE_ID], int64_t acked, int64_t log_idx)
{
	char hex[2 * DP_CABLE_ID + 1];
	dp_hex_encode(hex, id, DP_CABLE_ID);
	json_t *j = json_pack("{s:s,s:I}", "cable_id", hex, "acked", (json_int_t)acked);
	if (j && log_idx >= 0)
		json_object_set_new(j, "log_index", json_integer((json_int_t)log_idx));
	dpd_reply_json(rq, 200, j);
}

/* ---- submit ---- */

struct op_submit {
	dpd_op op;
	dps_submit sub;  /* sub.now = op.t: the acceptance time */
	dps_rcpt *rcpts; /* sub.rcpts: our own copy, valid even if the submitter vanished */
	uint8_t *data;   /* sub.data: our copy of the submission bytes */
};

static int submit_write(dps_store *st, dpl_enc *x, dpd_op *op, int *logged)
{
	struct op_submit *s = DPD_OP_OF(op, struct op_submit);
	uint64_t next = 0, first = 0;
	int r = dps_log_next(st, &next);
	s->sub.log_idx = (int64_t)next;
	if (!r)
		r = dps_cable_insert(st, &s->sub);
	if (!r && !s->sub.duplicate) {
		r = dpl_cable_accepted(st, x, &s->sub, op->addr, &first);
		*logged += !r;
	}
	/* the recipients' waiters on the other instances, woken at the commit (submit_committed: ours) */
	if (!r && !s->sub.duplicate && !s->sub.c.decoy)
		r = dps_notify_inbox(st, s->rcpts, s->sub.nrcpts);
	op->log_idx = s->sub.log_idx; /* a duplicate's: the stored cable's */
	return r;
}

static void submit_answer(struct dpd_server *srv, dpd_op *op)
{
	struct op_submit *s = DPD_OP_OF(op, struct op_submit);
	/*
	 * A batch that could not be written (a full disk, a database failure):
	 * a retry of a cable stored before is still the duplicate it is.  The
	 * loop looked for a stored copy only if the judgement refused (refused),
	 * so it looks here, rather than tell the device its cable was not
	 * stored.  Reading needs no space.
	 */
	if (op->result == DP_ENOSPC || op->result == DP_ESTORE) {
		dpd_req_release(&op->rq);
		if (answer_stored(srv, &op->rq, s->sub.c.cable_id, s->sub.digest) == DP_OK)
			return;
	}
	if (!dpd_op_refused(op))
		reply_submitted(&op->rq, s->sub.c.cable_id, s->sub.mrn, s->sub.accepted,
				s->sub.duplicate, op->log_idx);
}

static void submit_committed(struct dpd_server *srv, dpd_op *op)
{
	struct op_submit *s = DPD_OP_OF(op, struct op_submit);
	/* a decoy is no traffic: counted or waking a long-poll with nothing new, it would show */
	if (s->sub.duplicate || s->sub.c.decoy)
		return;
	dpm_accepted(&srv->met, s->sub.c.prec_action);
	for (size_t i = 0; i < s->sub.nrcpts; i++)
		dpd_wait_notify(srv, s->rcpts[i].device);
}

static void submit_free(dpd_op *op)
{
	struct op_submit *s = DPD_OP_OF(op, struct op_submit);
	free(s->rcpts);
	free(s->data);
}

const dpd_op_type dpd_op_submit = {"SUBMIT", submit_write, submit_answer, submit_committed,
				   submit_free};

/*
 * A submission between the loop and a worker (pool.h): the worker parses
 * the bytes and checks the envelope's Ed25519 signature and payload digest
 * (dp_submission_decode: no store, no state), and hashes the bytes for the
 * store (dps_submit.hashed: so the writer, one thread for every cable, need
 * not); the loop then judges it (policy; a stored copy if policy refuses)
 * and hands it to the commit engine.  The job owns
 * copies of everything the worker reads, and holds the request, so a
 * client that goes away meanwhile frees nothing the worker reads: its
 * submission goes on to the batch like any other and is just not
 * answered (batch.c), and its retry finds it stored.
 */
struct submit_job {
	dpd_job job;
	dpd_req rq;       /* held: a vanished peer only clears rq.req */
	dps_device dev;   /* the authenticated device (the call's is on the router's stack) */
	int decoy;
	uint8_t *data;    /* our copy of the submission bytes; moved to the op */
	size_t len;
	int r;            /* out (worker): dp_submission_decode's verdict */
	dp_envelope e;    /* out (worker): the envelope, if r == DP_OK; 10 KiB the worker clears */
	uint8_t digest[DP_SHA256]; /* out (worker), if r == DP_OK: SHA-256 of the bytes, as stored */
};

static void submit_decode(dpd_job *jb)
{
	struct submit_job *j = (struct submit_job *)(void *)jb;
	const uint8_t *payload;
	size_t plen;
	j->r = dp_submission_decode(&j->e, j->data, j->len, &payload, &plen);
	/* the digest the cable is stored with, made here so that the one writer thread need not */
	if (j->r == DP_OK)
		dp_sha256(j->digest, j->data, j->len);
}

/*
 * Loop thread: a submission that dpp_check refused (r, msg), answered.  A
 * retry of a cable already stored is answered as the duplicate it is,
 * whatever the judgement now: its recipients' key epochs may have closed
 * since it was accepted.  Looked up only here, after a refusal: a
 * submission judged acceptable goes to the writer, which finds a stored
 * copy in its own transaction (dps_cable_insert) and answers it the same
 * way, so a new cable costs no read of its own on the loop.
 */
static void refused(dpd_server *srv, dpd_req *rq, const dps_device *dev, const dp_envelope *e,
		    const uint8_t digest[DP_SHA256], int r, char *msg, size_t cap)
{
	int found = memcmp(e->from_device, dev->id, 32) == 0
			    ? answer_stored(srv, rq, e->cable_id, digest) : DP_ENOTFOUND;
	if (found == DP_OK)
		return;
	if (found == DP_ESTORE || found == DP_ENOSPC) {
		r = found;
		snprintf(msg, cap, "%s", r == DP_ENOSPC ? DISK_FULL
					  : "the switch could not read its database; retry");
	} else if (r == DP_ESTORE || r == DP_ENOSPC) {
		snprintf(msg, cap, "%s", r == DP_ENOSPC ? DISK_FULL
					  : "the switch could not read its directory; retry");
	}
	dpd_reply_error(rq, dpd_http_status(r), r, msg);
}

/* Loop thread: a verified submission judged and handed to the engine, or refused; answered. */
static void submit_judge(dpd_server *srv, struct submit_job *j)
{
	dpd_req *rq = &j->rq;
	const dps_device *dev = &j->dev;
	dp_envelope *e = &j->e;
	size_t n = j->len;
	char msg[DPP_MSG_MAX];
	int r = j->r;
	if (r) {
		snprintf(msg, sizeof msg, "%s: %s",
			 r == DP_ESIG ? "the envelope signature does not verify against From-Device"
				      : "the submission is malformed",
			 dp_strerror(r));
		dpd_reply_error(rq, dpd_http_status(r), r, msg);
		return;
	}
	dpd_op *op = dpd_op_new(&dpd_op_submit, sizeof(struct op_submit), rq);
	dps_rcpt *rcpts = calloc(e->nrecipients ? e->nrecipients : 1, sizeof *rcpts);
	if (!op || !rcpts) {
		free(op);
		free(rcpts);
		dpd_reply_error(rq, 503, DP_ENOMEM, "out of memory; retry");
		return;
	}
	struct op_submit *s = DPD_OP_OF(op, struct op_submit);
	s->rcpts = rcpts;
	/* the acceptance time: the epochs are judged at it and the cable is stored with it */
	op->t = s->sub.now = dpd_now(srv);
	dpp_records rec = {srv->cfg.records_post, srv->cfg.records_required};
	r = dpp_check(srv->store, &rec, dev, e, s->sub.now, rcpts, s->sub.c.officer, msg,
		      sizeof msg);
	if (r) {
		refused(srv, rq, dev, e, j->digest, r, msg, sizeof msg);
		dpd_op_free(op);
		return;
	}
	dps_cable *c = &s->sub.c;
	c->decoy = j->decoy;
	memcpy(c->cable_id, e->cable_id, DP_CABLE_ID);
	snprintf(c->from_post, sizeof c->from_post, "%s", e->from);
	memcpy(c->from_device, e->from_device, 32);
	c->classification = e->classification;
	c->prec_action = e->prec_action;
	c->prec_info = e->prec_info;
	s->sub.rcpts = rcpts;
	s->sub.nrcpts = e->nrecipients;
	/* the job's copy, now the op's: the writer thread reads it even if the client goes away */
	s->data = j->data;
	s->sub.data = j->data;
	s->sub.len = n;
	memcpy(s->sub.digest, j->digest, DP_SHA256);
	s->sub.hashed = 1;
	op->rank = c->prec_action; /* a FLASH goes ahead of the ROUTINE pending (batch.c) */
#if DPD_FT_ON
	memcpy(op->ft, j->job.ft, sizeof op->ft);
	memcpy(op->ft_n, j->job.ft_n, sizeof op->ft_n);
#endif
	j->data = NULL;
	dpd_batch_add(srv, op);
}

static void submit_verified(dpd_job *jb)
{
	struct submit_job *j = (struct submit_job *)(void *)jb;
	dpd_req_release(&j->rq);
	submit_judge(j->rq.srv, j);
	dp_envelope_free(&j->e);
	free(j->data);
	free(j);
}

void dpd_post_cable(const dpd_call *call)
{
	dpd_server *srv = call->srv;
	dpd_req *rq = call->rq;
	struct evbuffer *in = evhttp_request_get_input_buffer(rq->req);
	size_t n = evbuffer_get_length(in);
	char msg[DPP_MSG_MAX];
	if (n == 0 || n > DPD_BODY_MAX) {
		dpd_reply_error(rq, n ? 413 : 400, n ? DP_ETOOBIG : DP_EPARSE,
				"the body must be a submission (u32 envelope_len || envelope || payload)");
		return;
	}
	/* a decoy (docs/detection.md): who may plant one is policy's rule */
	const char *dh = evhttp_find_header(evhttp_request_get_input_headers(rq->req), "X-Denpo-Decoy");
	int decoy = 0;
	int r = dpp_decoy_ok(srv->store, call->dev, dh, &decoy, msg, sizeof msg);
	if (r) {
		dpd_reply_error(rq, dpd_http_status(r), r,
				r == DP_ESTORE ? "the switch could not read its directory; retry" : msg);
		return;
	}
	/* not zeroed here: the worker's dp_submission_decode initialises the envelope */
	struct submit_job *j = malloc(sizeof *j);
	uint8_t *data = malloc(n);
	if (!j || !data || evbuffer_copyout(in, data, n) != (ev_ssize_t)n) {
		free(j);
		free(data);
		dpd_reply_error(rq, 503, DP_ENOMEM, "out of memory; retry");
		return;
	}
	j->job.next = NULL;
	j->job.work = submit_decode;
	j->job.done = submit_verified;
	j->rq = *rq;
	j->rq.on_close = NULL;
	j->dev = *call->dev;
	j->decoy = decoy;
	j->data = data;
	j->len = n;
	j->r = DP_EPARSE;
	dpd_req_hold(&j->rq);
	/*
	 * A FLASH is checked at once on the loop, not behind the flood's queue and
	 * two thread hand-overs (under a flood, after its two commits the largest
	 * share of its time: bench/README.md).  The claim is unverified here: the
	 * pool bounds what a false one costs (pool.h), and the verdict and the
	 * batch's order come from the checked envelope (submit_judge).
	 */
	int urgent = dp_submission_claimed_prec(data, n) == DP_PREC_FLASH;
#if DPD_FT_ON
	static unsigned ft_flip; /* the trace build: every other FLASH the pool's way ("arm 0", ftrace.h) */
	if (urgent)
		urgent = ft_flip++ & 1;
	j->job.ft_n[4] = urgent;
#endif
	if (urgent)
		dpd_pool_submit_urgent(srv->pool, &j->job, n);
	else
		dpd_pool_submit(srv->pool, &j->job);
}

/* ---- deliver, fetch, ack: one receipt row or cable of one device ---- */

struct op_cable {
	dpd_op op;
	int64_t seq;                   /* the cable */
	uint8_t cable_id[DP_CABLE_ID];
	char mrn[DPS_MRN_MAX + 1];
	uint8_t device[32];            /* the device that fetches or acknowledges */
	int prec;                      /* deliver: the recipient's precedence (the metrics) */
	int first;                     /* out, deliver: it was the first delivery */
	struct evbuffer *body;         /* deliver / fetch: the cable bytes to send after commit */
};

/* The entry of a receipt or a fetch: cable, device, source. */
static int log_cable(dps_store *st, dpl_enc *x, struct op_cable *k, int event)
{
	dp_logent *e = dpl_ent(x, event, k->op.t);
	memcpy(e->cable_id, k->cable_id, DP_CABLE_ID);
	snprintf(e->mrn, sizeof e->mrn, "%.*s", DP_MRN_MAX, k->mrn); /* made by dp_mrn_format: fits */
	memcpy(e->device, k->device, DP_ED25519_PK);
	dpl_source(e, k->op.addr);
	uint64_t idx;
	int r = dpl_put(st, x, &idx);
	if (!r)
		k->op.log_idx = (int64_t)idx;
	return r;
}

static int deliver_write(dps_store *st, dpl_enc *x, dpd_op *op, int *logged)
{
	struct op_cable *k = DPD_OP_OF(op, struct op_cable);
	int is_first = 0;
	int r = dps_mark_delivered_first(st, k->seq, k->device, op->t, &is_first);
	k->first = is_first;
	/* a second first fetch in the same batch is a later fetch */
	if (!r)
		r = log_cable(st, x, k, is_first ? DP_LOG_CABLE_DELIVERED : DP_LOG_CABLE_FETCHED);
	*logged += !r;
	return r;
}

static int fetch_write(dps_store *st, dpl_enc *x, dpd_op *op, int *logged)
{
	int r = log_cable(st, x, DPD_OP_OF(op, struct op_cable), DP_LOG_CABLE_FETCHED);
	*logged += !r;
	return r;
}

/* deliver, fetch: the bytes, with the MRN and the entry of this access */
static void bytes_answer(struct dpd_server *srv, dpd_op *op)
{
	struct op_cable *k = DPD_OP_OF(op, struct op_cable);
	if (!dpd_op_refused(op))
		dpd_reply_bytes(&op->rq, 200, k->body, k->mrn, op->log_idx);
}

static void deliver_committed(struct dpd_server *srv, dpd_op *op)
{
	struct op_cable *k = DPD_OP_OF(op, struct op_cable);
	if (k->first)
		dpm_delivered(&srv->met, k->prec);
}

static void cable_free(dpd_op *op)
{
	struct op_cable *k = DPD_OP_OF(op, struct op_cable);
	if (k->body)
		evbuffer_free(k->body);
}

const dpd_op_type dpd_op_deliver = {"DELIVER", deliver_write, bytes_answer, deliver_committed,
				    cable_free};
const dpd_op_type dpd_op_fetch = {"FETCH", fetch_write, bytes_answer, NULL, cable_free};

static int ack_write(dps_store *st, dpl_enc *x, dpd_op *op, int *logged)
{
	struct op_cable *k = DPD_OP_OF(op, struct op_cable);
	uint64_t next = 0;
	int is_first = 0;
	int r = dps_log_next(st, &next);
	if (!r)
		r = dps_mark_acked_log(st, k->seq, k->device, op->t, (int64_t)next, &is_first);
	if (!r && is_first) {
		r = log_cable(st, x, k, DP_LOG_CABLE_ACKED);
		*logged += !r;
	} else if (!r) {
		/* acknowledged earlier in this batch: answer with that ack */
		dps_rcpt rc;
		r = dps_rcpt_get(st, k->seq, k->device, &rc);
		if (!r) {
			op->t = rc.acked;
			op->log_idx = rc.ack_log;
		}
	}
	return r;
}

static void ack_answer(struct dpd_server *srv, dpd_op *op)
{
	if (!dpd_op_refused(op))
		reply_acked(&op->rq, DPD_OP_OF(op, struct op_cable)->cable_id, op->t, op->log_idx);
}

const dpd_op_type dpd_op_ack = {"ACK", ack_write, ack_answer, NULL, cable_free};

/* An op of one cable and device, judged now. */
static dpd_op *cable_op(const dpd_call *call, const dpd_op_type *t)
{
	dpd_op *op = dpd_op_new(t, sizeof(struct op_cable), call->rq);
	if (!op)
		return NULL;
	struct op_cable *k = DPD_OP_OF(op, struct op_cable);
	k->seq = call->cable->seq;
	memcpy(k->device, call->dev->id, 32);
	memcpy(k->cable_id, call->cable->cable_id, DP_CABLE_ID);
	snprintf(k->mrn, sizeof k->mrn, "%s", call->cable->mrn);
	op->t = dpd_now(call->srv);
	return op;
}

void dpd_get_cable(const dpd_call *call)
{
	dpd_server *srv = call->srv;
	dpd_req *rq = call->rq;
	const dps_cable *c = call->cable;
	const dps_rcpt *rc = call->rcpt;
	struct evbuffer *b = evbuffer_new();
	dp_buf data;
	dpo_damage dmg;
	dp_logent e; /* 24 KiB on the loop thread's stack: a heap block this size costs a fetch more */
	dp_buf_init(&data, DPD_BODY_MAX);
	/* no byte of a copy the log does not vouch for leaves, and nothing is recorded */
	int r = b ? dpk_cable_read(srv->store, c, &data, &e, &dmg) : DP_ENOMEM;
	if (r == DP_ESTATE) {
		dmg.t_ms = dp_now() * 1000;
		snprintf(dmg.found_by, sizeof dmg.found_by, "fetch");
		dmg.has_device = 1;
		memcpy(dmg.device, call->dev->id, 32);
		dpd_det_damage(srv, &dmg);
		dp_buf_free(&data);
		evbuffer_free(b);
		dpd_reply_error(rq, 500, DP_ESTORE, "the switch's copy of this cable is damaged; the "
						    "security office has been alerted");
		return;
	}
	if (!r && evbuffer_add(b, data.p, data.len))
		r = DP_ENOMEM;
	dp_buf_free(&data);
	if (r) {
		if (b)
			evbuffer_free(b);
		dpd_reply_error(rq, dpd_http_status(r), r, "cannot read the cable; retry");
		return;
	}
	/*
	 * First fetch by a recipient: the delivery receipt; any other (a later
	 * fetch, the originator's): a cable-fetched entry.  Either commits
	 * before the bytes go out.
	 */
	dpd_op *op = cable_op(call, rc && !rc->delivered ? &dpd_op_deliver : &dpd_op_fetch);
	if (!op) {
		evbuffer_free(b);
		dpd_reply_error(rq, 503, DP_ENOMEM, "out of memory; retry");
		return;
	}
	struct op_cable *k = DPD_OP_OF(op, struct op_cable);
	k->prec = rc ? rc->prec : c->prec_action;
	k->body = b;
	dpd_batch_add(srv, op);
}

void dpd_post_ack(const dpd_call *call)
{
	const dps_rcpt *rc = call->rcpt;
	if (!rc) {
		dpd_reply_error(call->rq, 404, DP_ENOTFOUND, "this device is not a recipient");
		return;
	}
	if (rc->acked) { /* idempotent: answer with the first ack */
		reply_acked(call->rq, call->cable->cable_id, rc->acked, rc->ack_log);
		return;
	}
	dpd_op *op = cable_op(call, &dpd_op_ack);
	if (!op) {
		dpd_reply_error(call->rq, 503, DP_ENOMEM, "out of memory; retry");
		return;
	}
	dpd_batch_add(call->srv, op);
}
