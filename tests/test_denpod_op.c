/*
 * tests/test_denpod_op.c - the operations table of the commit engine
 * (denpod/op.h): every kind has a name, a write and an answer hook (the
 * engine calls them without looking), names are unique, and an op made by
 * dpd_op_new starts as the engine expects (no log entry yet, the request
 * it answers or none, its kind's own struct whole and zeroed) and is freed
 * through its kind's free hook.  A new kind goes into `kinds` below.
 */
#include <string.h>

#include "denpod/op.h"
#include "tests/harness.h"

static const dpd_op_type *const kinds[] = {
	&dpd_op_submit, &dpd_op_deliver, &dpd_op_fetch, &dpd_op_ack,  &dpd_op_key_put, &dpd_op_keys,
	&dpd_op_cosign, &dpd_op_recovered, &dpd_op_approve, &dpd_op_report, &dpd_op_records, &dpd_op_alert, &dpd_op_lapse, &dpd_op_config, &dpd_op_probe,
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

/* A kind of the test's own, to see what the engine's helpers do with its struct. */
struct op_test {
	dpd_op op;
	char payload[100];
	int *freed;
};

static int test_write(dps_store *st, dpl_enc *x, dpd_op *op, int *logged) { return DP_OK; }
static void test_answer(struct dpd_server *srv, dpd_op *op) {}
static void test_free(dpd_op *op) { (*DPD_OP_OF(op, struct op_test)->freed)++; }
static const dpd_op_type test_kind = {"TEST", test_write, test_answer, NULL, test_free};

int main(void)
{
	for (size_t i = 0; i < NKINDS; i++) {
		const dpd_op_type *t = kinds[i];
		CHECKF(t->name && t->name[0], "kind %zu has no name", i);
		CHECKF(t->write != NULL, "%s has no write hook", t->name);
		CHECKF(t->answer != NULL, "%s has no answer hook", t->name);
		for (size_t k = 0; k < i; k++)
			CHECKF(strcmp(kinds[k]->name, t->name) != 0, "two kinds named %s", t->name);
	}
	/* only a submission and a first delivery are counted; only a submission wakes long-polls */
	for (size_t i = 0; i < NKINDS; i++)
		CHECKF(!kinds[i]->committed || kinds[i] == &dpd_op_submit || kinds[i] == &dpd_op_deliver,
		       "%s follows its commit", kinds[i]->name);

	/* an op with no request */
	int freed = 0;
	dpd_op *op = dpd_op_new(&test_kind, sizeof(struct op_test), NULL);
	CHECK(op != NULL);
	if (op) {
		struct op_test *k = DPD_OP_OF(op, struct op_test);
		CHECK((void *)k == (void *)op); /* the header is the first member */
		CHECK(op->type == &test_kind);
		CHECK(op->log_idx == -1);
		CHECK(op->result == DP_OK && op->next == NULL && op->rq.req == NULL);
		CHECK(!strcmp(op->rq.method, "TEST") && !strcmp(op->rq.dev, "-"));
		int zero = 1;
		for (size_t i = 0; i < sizeof k->payload; i++)
			zero &= k->payload[i] == 0;
		CHECK(zero); /* the kind's struct is allocated whole, zeroed */
		memset(k->payload, 'x', sizeof k->payload); /* ASan: all of it is ours */
		k->freed = &freed;
		dpd_op_free(op);
		CHECK(freed == 1);
	}
	/* an op answering a request: a copy of it */
	dpd_req rq;
	memset(&rq, 0, sizeof rq);
	snprintf(rq.method, sizeof rq.method, "POST");
	snprintf(rq.path, sizeof rq.path, "/v1/cables");
	snprintf(rq.addr, sizeof rq.addr, "192.0.2.7");
	op = dpd_op_new(&test_kind, sizeof(struct op_test), &rq);
	CHECK(op != NULL);
	if (op) {
		CHECK(!strcmp(op->rq.method, "POST") && !strcmp(op->rq.path, "/v1/cables"));
		CHECK(!strcmp(op->rq.addr, "192.0.2.7") && op->log_idx == -1);
		DPD_OP_OF(op, struct op_test)->freed = &freed;
		dpd_op_free(op);
		CHECK(freed == 2);
	}
	dpd_op_free(NULL); /* nothing */

	/* "log_index" only when the op has an entry */
	dpd_op o;
	memset(&o, 0, sizeof o);
	o.log_idx = -1;
	json_t *j = dpd_op_with_log(json_object(), &o);
	CHECK(j && !json_object_get(j, "log_index"));
	json_decref(j);
	o.log_idx = 42;
	j = dpd_op_with_log(json_object(), &o);
	CHECK(j && json_integer_value(json_object_get(j, "log_index")) == 42);
	json_decref(j);
	CHECK(dpd_op_with_log(NULL, &o) == NULL);
	return t_done("test_denpod_op");
}
