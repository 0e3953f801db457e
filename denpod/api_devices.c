/*
 * denpod/api_devices.c - what a device says about the other devices of
 * its own officer (docs/api.md, "Devices of one's officer";
 * docs/transparency.md §6):
 *
 *   POST /v1/devices/approve  the officer approved a new device of theirs on
 *       this one (`denpo device approve`): the device's signature over the
 *       approval (denpo/devindex.h) goes into the log as a device-approved
 *       entry, and the officer index records it, so every other device of
 *       the officer stops warning about the new one.
 *   POST /v1/devices/report   a device found in its officer's record a device
 *       the officer did not approve: an alert entry (Rule UNAPPROVED-DEVICE)
 *       and a step on the security office's alert outputs, as detection's.
 *
 * Both accept only a device of the caller's own officer: a device speaks
 * for its officer, never about another's.  The switch checks what it can
 * (the approval's signature under the caller's key) and judges nothing
 * else: whether a device is approved is the devices' verdict, from the
 * index the log commits to.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "denpo/devindex.h"
#include "denpo/encoding.h"
#include "denpod/api.h"
#include "denpod/detect_srv.h"
#include "denpod/op.h"
#include "denpod/server.h"

#define DEVICES_BODY_MAX 1024
#define UNAPPROVED_RULE "UNAPPROVED-DEVICE"
#define REPORT_EVERY 3600       /* s: the window of the report limits below */
#define REPORTS_PER_REPORTER 8  /* reports one device may log per window */
#define REPORTS_KEPT 256        /* reports all devices may log per window (all remembered) */

/* The body's "device" (64 hex digits) and the field `other` (NULL: none); NULL j on error. */
static json_t *body(const dpd_call *c, const char *other, uint8_t device[DP_ED25519_PK])
{
	struct evbuffer *in = evhttp_request_get_input_buffer(c->rq->req);
	size_t n = evbuffer_get_length(in);
	json_t *j = NULL;
	if (n && n <= DEVICES_BODY_MAX)
		j = json_loadb((const char *)evbuffer_pullup(in, -1), n, JSON_REJECT_DUPLICATES, NULL);
	json_t *jd = json_object_get(j, "device");
	if (!json_is_string(jd) || json_string_length(jd) != 2 * DP_ED25519_PK ||
	    dp_hex_decode(device, DP_ED25519_PK, json_string_value(jd), 2 * DP_ED25519_PK) ||
	    (other && !json_is_string(json_object_get(j, other)))) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/*
 * The target: a device of the caller's officer, not the caller.  0 with *d,
 * else the HTTP status with msg.
 */
static int own_device(const dpd_call *c, const uint8_t id[DP_ED25519_PK], dps_device *d, char *msg,
		      size_t cap)
{
	int r = dps_device_get(c->srv->store, id, d);
	if (r == DP_ENOTFOUND || (!r && strcmp(d->officer, c->me->handle) != 0)) {
		snprintf(msg, cap, "no device with that id is enrolled for officer %s", c->me->handle);
		return 404;
	}
	if (r) {
		snprintf(msg, cap, "cannot read the directory; retry");
		return 503;
	}
	if (memcmp(id, c->dev->id, DP_ED25519_PK) == 0) {
		snprintf(msg, cap, "a device cannot approve or report itself");
		return 400;
	}
	return 0;
}

/* ---- POST /v1/devices/approve ---- */

struct op_approve {
	dpd_op op;
	uint8_t device[DP_ED25519_PK], approver[DP_ED25519_PK], sig[DP_ED25519_SIG];
	char officer[DP_NAME_MAX + 1];
};

static int approve_write(dps_store *st, dpl_enc *x, dpd_op *op, int *logged)
{
	struct op_approve *k = DPD_OP_OF(op, struct op_approve);
	dp_logent *e = dpl_ent(x, DP_LOG_DEVICE_APPROVED, op->t);
	memcpy(e->device, k->device, DP_ED25519_PK);
	memcpy(e->approver, k->approver, DP_ED25519_PK);
	memcpy(e->sig, k->sig, DP_ED25519_SIG);
	snprintf(e->officer, sizeof e->officer, "%s", k->officer);
	dpl_source(e, op->addr);
	uint64_t idx;
	int r = dpl_put(st, x, &idx);
	if (!r) {
		op->log_idx = (int64_t)idx;
		(*logged)++;
	}
	return r;
}

static void approve_answer(dpd_server *srv, dpd_op *op)
{
	(void)srv;
	dpd_req_release(&op->rq);
	if (op->result) {
		dpd_reply_error(&op->rq, dpd_http_status(op->result), op->result,
				"the switch could not record the approval; retry");
		return;
	}
	dpd_reply_json(&op->rq, 201, json_pack("{s:I,s:b}", "log_index", (json_int_t)op->log_idx,
					       "already_approved", 0));
}

const dpd_op_type dpd_op_approve = {"APPROVE", approve_write, approve_answer, NULL, NULL};

/* Whether the stored officer index already records an approval of device (1), or not (0). */
static int approved(dpd_server *srv, const char *officer, const uint8_t device[DP_ED25519_PK])
{
	dp_buf b;
	dp_devrec *rec = malloc(sizeof *rec);
	dp_buf_init(&b, DP_DEVREC_TEXT_MAX);
	int yes = 0;
	if (rec && dps_offidx_get(srv->store, officer, &b) == DP_OK &&
	    dp_devrec_decode(rec, b.p, b.len) == DP_OK) {
		dp_devrec_dev *d = dp_devrec_find(rec, device);
		yes = d && d->approved;
	}
	free(rec);
	dp_buf_free(&b);
	return yes;
}

void dpd_post_approve(const dpd_call *c)
{
	dpd_server *srv = c->srv;
	uint8_t id[DP_ED25519_PK], sig[DP_ED25519_SIG];
	size_t sn = 0;
	char msg[256];
	dps_device *d = malloc(sizeof *d);
	json_t *j = d ? body(c, "signature", id) : NULL;
	const char *s = json_string_value(json_object_get(j, "signature"));
	if (!j || dp_b64_decode(sig, sizeof sig, &sn, s, strlen(s), 1) || sn != DP_ED25519_SIG) {
		int oom = !d; /* decided before d is freed */
		json_decref(j);
		free(d);
		dpd_reply_error(c->rq, oom ? 503 : 400, oom ? DP_ENOMEM : DP_EPARSE,
				oom ? "out of memory; retry"
				    : "give {\"device\": \"<64 hex digits>\", \"signature\": \"<base64 "
				      "of the 64-byte approval signature>\"}");
		return;
	}
	json_decref(j);
	int st = own_device(c, id, d, msg, sizeof msg);
	if (!st && d->status == DPS_REVOKED) {
		snprintf(msg, sizeof msg, "that device is revoked: a revoked device is never approved");
		st = 409;
	}
	free(d);
	if (!st && dp_devindex_approval_verify(sig, c->dev->id, c->me->handle, id) != DP_OK) {
		snprintf(msg, sizeof msg, "the signature is not this device's approval of that device "
					  "for officer %s (denpo device approve makes it)", c->me->handle);
		st = 400;
	}
	if (st) {
		dpd_reply_error(c->rq, st, st == 404 ? DP_ENOTFOUND : st == 409 ? DP_ESTATE
						     : st == 503 ? DP_ESTORE : DP_EPARSE, msg);
		return;
	}
	if (approved(srv, c->me->handle, id)) {
		dpd_reply_json(c->rq, 200, json_pack("{s:b,s:s}", "already_approved", 1, "message",
						     "the officer index records an approval of that "
						     "device already: nothing was logged"));
		return;
	}
	dpd_op *op = dpd_op_new(&dpd_op_approve, sizeof(struct op_approve), c->rq);
	if (!op) {
		dpd_reply_error(c->rq, 503, DP_ENOMEM, "out of memory; retry");
		return;
	}
	struct op_approve *k = DPD_OP_OF(op, struct op_approve);
	memcpy(k->device, id, DP_ED25519_PK);
	memcpy(k->approver, c->dev->id, DP_ED25519_PK);
	memcpy(k->sig, sig, DP_ED25519_SIG);
	snprintf(k->officer, sizeof k->officer, "%s", c->me->handle);
	op->t = dpd_now(srv);
	dpd_batch_add(srv, op);
}

/* ---- POST /v1/devices/report ---- */

/*
 * The reports of the last hour (loop thread only): reporter and device, and
 * when.  Three limits keep a few devices from flooding the log and the
 * security office's alerts: one report per (reporter, device) an hour; at
 * most REPORTS_PER_REPORTER reports per reporter an hour; and at most
 * REPORTS_KEPT in all an hour, since a report still within its hour is
 * never forgotten to make room (forgetting it would let its repeat log
 * again).  A refused report is answered 429 and the device tries again with
 * its next command (denpo/officer.c keeps only the reports the switch took).
 */
static struct {
	uint8_t reporter[DP_ED25519_PK], device[DP_ED25519_PK];
	int64_t t;
} reports[REPORTS_KEPT];

enum { REPORT_NEW, REPORT_DUPLICATE, REPORT_OVER_BUDGET, REPORT_TABLE_FULL };

/* Whether (reporter, device) may log a report now (REPORT_NEW: recorded as made now). */
static int report_admit(const uint8_t reporter[DP_ED25519_PK], const uint8_t device[DP_ED25519_PK],
			int64_t now)
{
	size_t free_slot = REPORTS_KEPT, mine = 0;
	for (size_t i = 0; i < REPORTS_KEPT; i++) {
		if (!reports[i].t || now - reports[i].t >= REPORT_EVERY) {
			if (free_slot == REPORTS_KEPT)
				free_slot = i;
			continue;
		}
		if (memcmp(reports[i].reporter, reporter, DP_ED25519_PK) != 0)
			continue;
		if (memcmp(reports[i].device, device, DP_ED25519_PK) == 0)
			return REPORT_DUPLICATE;
		mine++;
	}
	if (mine >= REPORTS_PER_REPORTER)
		return REPORT_OVER_BUDGET;
	if (free_slot == REPORTS_KEPT)
		return REPORT_TABLE_FULL;
	memcpy(reports[free_slot].reporter, reporter, DP_ED25519_PK);
	memcpy(reports[free_slot].device, device, DP_ED25519_PK);
	reports[free_slot].t = now;
	return REPORT_NEW;
}

struct op_report {
	dpd_op op;
	uint8_t device[DP_ED25519_PK];
	char detail[DP_LOG_TEXT_MAX + 1];
};

static int report_write(dps_store *st, dpl_enc *x, dpd_op *op, int *logged)
{
	struct op_report *k = DPD_OP_OF(op, struct op_report);
	uint64_t idx;
	int r = dpl_alert(st, x, op->t, UNAPPROVED_RULE, k->device, k->detail, &idx);
	if (!r) {
		op->log_idx = (int64_t)idx;
		(*logged)++;
	}
	return r;
}

/* Loop thread, after the commit: the step to the security office's outputs, then the answer. */
static void report_answer(dpd_server *srv, dpd_op *op)
{
	struct op_report *k = DPD_OP_OF(op, struct op_report);
	dpd_req_release(&op->rq);
	if (op->result) {
		dpd_reply_error(&op->rq, dpd_http_status(op->result), op->result,
				"the switch could not record the report; retry");
		return;
	}
	dpd_det_report(srv, op, "unapproved-device", UNAPPROVED_RULE, k->device, k->detail);
	dpd_reply_json(&op->rq, 201, json_pack("{s:I,s:b}", "log_index", (json_int_t)op->log_idx,
					       "duplicate", 0));
}

const dpd_op_type dpd_op_report = {"REPORT", report_write, report_answer, NULL, NULL};

void dpd_post_report(const dpd_call *c)
{
	dpd_server *srv = c->srv;
	uint8_t id[DP_ED25519_PK];
	char msg[256], me[2 * DP_ED25519_PK + 1], it[2 * DP_ED25519_PK + 1];
	dps_device *d = malloc(sizeof *d);
	json_t *j = d ? body(c, "reason", id) : NULL;
	const char *why = json_string_value(json_object_get(j, "reason"));
	int ok = j && strcmp(why, "unapproved") == 0;
	json_decref(j);
	if (!ok) {
		int oom = !d; /* decided before d is freed */
		free(d);
		dpd_reply_error(c->rq, oom ? 503 : 400, oom ? DP_ENOMEM : DP_EPARSE,
				oom ? "out of memory; retry"
				    : "give {\"device\": \"<64 hex digits>\", \"reason\": \"unapproved\"}");
		return;
	}
	int st = own_device(c, id, d, msg, sizeof msg);
	char name[DP_NAME_MAX + 1] = "";
	int revoked = 0;
	if (!st) { /* d is filled only on success */
		snprintf(name, sizeof name, "%s", d->name);
		revoked = d->status == DPS_REVOKED;
	}
	free(d);
	if (st) {
		dpd_reply_error(c->rq, st, st == 404 ? DP_ENOTFOUND : st == 503 ? DP_ESTORE : DP_EPARSE,
				msg);
		return;
	}
	if (revoked) {
		dpd_reply_json(c->rq, 200, json_pack("{s:b,s:b,s:s}", "duplicate", 0, "revoked", 1,
						     "message", "that device is revoked: it receives "
						     "nothing, and nothing was logged"));
		return;
	}
	int64_t now = dpd_now(srv);
	switch (report_admit(c->dev->id, id, now)) {
	case REPORT_DUPLICATE:
		dpd_reply_json(c->rq, 200, json_pack("{s:b,s:s}", "duplicate", 1, "message",
						     "this device reported that device within the "
						     "hour: nothing was logged again"));
		return;
	case REPORT_OVER_BUDGET:
		dpd_reply_error(c->rq, 429, DP_EDENIED,
				"this device made the most reports a device makes in an hour; "
				"nothing was logged: report again in an hour");
		return;
	case REPORT_TABLE_FULL:
		dpd_reply_error(c->rq, 429, DP_EDENIED,
				"the switch took the most reports it takes in an hour from all devices; "
				"nothing was logged: report again in an hour");
		return;
	}
	dpd_op *op = dpd_op_new(&dpd_op_report, sizeof(struct op_report), c->rq);
	if (!op) {
		dpd_reply_error(c->rq, 503, DP_ENOMEM, "out of memory; retry");
		return;
	}
	struct op_report *k = DPD_OP_OF(op, struct op_report);
	dp_hex_encode(me, c->dev->id, DP_ED25519_PK);
	dp_hex_encode(it, id, DP_ED25519_PK);
	memcpy(k->device, id, DP_ED25519_PK);
	snprintf(k->detail, sizeof k->detail, "device %s of officer %s reports device %.16s (%s) in "
		 "the officer's index, not approved by the officer", me, c->me->handle, it, name);
	op->t = now;
	dpd_batch_add(srv, op);
}
