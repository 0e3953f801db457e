/*
 * denpod/op.c - what every kind of operation shares (see op.h): making
 * one, freeing one, and the answers of a refused write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denpod/op.h"

dpd_op *dpd_op_new(const dpd_op_type *t, size_t size, const dpd_req *rq)
{
	dpd_op *op = calloc(1, size < sizeof *op ? sizeof *op : size);
	if (!op)
		return NULL;
	op->type = t;
	op->log_idx = -1;
	op->rank = DPD_IN_ORDER;
	if (rq) {
		op->rq = *rq;
	} else {
		snprintf(op->rq.dev, sizeof op->rq.dev, "-");
		snprintf(op->rq.method, sizeof op->rq.method, "%s", t->name);
	}
	return op;
}

void dpd_op_free(dpd_op *op)
{
	if (!op)
		return;
	if (op->type->free)
		op->type->free(op);
	free(op);
}

/* The answer of an op whose write failed (op->result != DP_OK). */
static void refuse(dpd_op *op)
{
	char msg[256];
	if (op->result == DP_EEXISTS)
		snprintf(msg, sizeof msg, "cable id already used by a different cable; "
					  "a new cable needs a new id");
	else if (op->result == DP_ESTORE)
		snprintf(msg, sizeof msg, "the switch could not store the request; retry");
	else if (op->result == DP_ETOOBIG && op->type == &dpd_op_submit)
		snprintf(msg, sizeof msg, "the originating post has used every MRN serial of this "
					  "year (999999999999999): its cables are refused until 1 "
					  "January; tell the switch's operator (docs/operations.md, "
					  "\"MRN serials\")"); /* dpr_mrn: the post's year is full */
	else if (op->result == DP_ENOSPC)
		snprintf(msg, sizeof msg, "the switch's disk is full: nothing of this request was "
					  "stored; its operator must free space on the switch, then "
					  "retry (the same request is safe to repeat)");
	else
		snprintf(msg, sizeof msg, "%s", dp_strerror(op->result));
	dpd_reply_error(&op->rq, dpd_http_status(op->result), op->result, msg);
}

int dpd_op_refused(dpd_op *op)
{
	dpd_req_release(&op->rq);
	if (!op->result)
		return 0;
	refuse(op);
	return 1;
}

json_t *dpd_op_with_log(json_t *j, const dpd_op *op)
{
	if (j && op->log_idx >= 0)
		json_object_set_new(j, "log_index", json_integer((json_int_t)op->log_idx));
	return j;
}
