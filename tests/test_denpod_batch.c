/*
 * tests/test_denpod_batch.c - the order in which the commit engine
 * (denpod/batch.c) writes and answers what it was given: ops in order
 * after everything before them, a cable submission before the pending
 * submissions of a lower precedence added since the last op in order
 * (first come first within one precedence), and a pending batch that holds
 * a FLASH handed to the writer only up to its last FLASH, the rest
 * committed by the next batch, never cut in turn (a steady FLASH stream
 * starves no precedence).  The engine runs for real: its writer
 * thread, a SQLite store, the loop's hand-over and answers.
 */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denpod/op.h"
#include "denpod/server.h"
#include "tests/harness.h"

#define MAXOPS 32

static char written[MAXOPS][8];   /* names, in the order the writer wrote them */
static uint64_t batch_of[MAXOPS]; /* and the batch that answered each */
static char answered[MAXOPS][8];
static int nwritten, nanswered;

struct op_test {
	dpd_op op;
	char name[8];
};

static int test_write(dps_store *st, dpl_enc *x, dpd_op *op, int *logged)
{
	if (nwritten < MAXOPS)
		snprintf(written[nwritten++], 8, "%s", DPD_OP_OF(op, struct op_test)->name);
	return DP_OK;
}

static int stream; /* FLASH still to come: one more added as each FLASH is answered */
static void add(dpd_server *srv, const char *name);

static void test_answer(struct dpd_server *srv, dpd_op *op)
{
	const char *name = DPD_OP_OF(op, struct op_test)->name;
	if (nanswered < MAXOPS) {
		batch_of[nanswered] = srv->n_batches;
		snprintf(answered[nanswered++], 8, "%s", name);
	}
	/* on the loop thread, between two hand-overs: as a FLASH arriving during every commit */
	if (name[0] == 'F' && stream > 0) {
		char next[8];
		snprintf(next, sizeof next, "F%d", atoi(name + 1) + 1);
		stream--;
		add(srv, next);
	}
}

static const dpd_op_type test_kind = {"TEST", test_write, test_answer, NULL, NULL};

/* An op named name: "R1" a ROUTINE submission, "F1" FLASH, "I1" IMMEDIATE, "X1" in order. */
static void add(dpd_server *srv, const char *name)
{
	dpd_op *op = dpd_op_new(&test_kind, sizeof(struct op_test), NULL);
	CHECK(op != NULL);
	if (!op)
		return;
	snprintf(DPD_OP_OF(op, struct op_test)->name, 8, "%s", name);
	op->rank = name[0] == 'F' ? DP_PREC_FLASH : name[0] == 'I' ? DP_PREC_IMMEDIATE
			: name[0] == 'P' ? DP_PREC_PRIORITY : name[0] == 'R' ? DP_PREC_ROUTINE
			: DPD_IN_ORDER;
	dpd_batch_add(srv, op);
}

/* The names joined by spaces, with "|" where one batch ends and the next begins. */
static void joined(char (*names)[8], const uint64_t *batch, int n, char *out, size_t cap)
{
	out[0] = 0;
	for (int i = 0; i < n; i++) {
		size_t l = strlen(out);
		snprintf(out + l, cap - l, "%s%s", i == 0 ? "" : batch && batch[i] != batch[i - 1] ? " | " : " ",
			 names[i]);
	}
}

/* Adds each op of `ops` (space-separated) while the writer is busy, then commits them all. */
static void run(dpd_server *srv, const char *ops, const char *want)
{
	nwritten = nanswered = 0;
	srv->busy = 1; /* as if a batch were with the writer: everything stays pending */
	char buf[256], *save = NULL;
	snprintf(buf, sizeof buf, "%s", ops);
	for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
		add(srv, t);
	srv->busy = 0;
	dpd_batch_drain(srv);
	char got[512], wrote[512];
	joined(answered, batch_of, nanswered, got, sizeof got);
	joined(written, NULL, nwritten, wrote, sizeof wrote);
	CHECKF(!strcmp(got, want), "%s: answered %s, want %s", ops, got, want);
	/* written in the order answered (the batches strictly one after the other) */
	joined(answered, NULL, nanswered, got, sizeof got);
	CHECKF(!strcmp(got, wrote), "%s: written %s, answered %s", ops, wrote, got);
}

int main(void)
{
	char dir[] = "/tmp/test_denpod_batch.XXXXXX", path[64];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/db", dir);
	static dpd_server srv;
	srv.base = event_base_new();
	CHECK(srv.base && event_base_priority_init(srv.base, DPD_PRIOS) == 0);
	CHECK(dps_open(&srv.wstore, path, 1) == DP_OK);
	CHECK(dpd_batch_init(&srv) == DP_OK);

	/* nothing but ROUTINE, or nothing but ops in order: first come, first written, one batch */
	run(&srv, "R1 R2 R3", "R1 R2 R3");
	run(&srv, "X1 R1 X2 R2", "X1 R1 X2 R2");
	/* precedence first, arrival next; no FLASH: one batch */
	run(&srv, "R1 P1 R2 I1 P2 I2", "I1 I2 P1 P2 R1 R2");
	/* a FLASH ahead of the flood, and the flood committed by the next batch */
	run(&srv, "R1 R2 R3 F1 R4", "F1 | R1 R2 R3 R4");
	run(&srv, "R1 F1 I1 R2 F2", "F1 F2 | I1 R1 R2");
	/* never ahead of an op in order (a key list, an ack, an alert), nor of what came before it */
	run(&srv, "R1 X1 R2 F1 R3", "R1 X1 F1 | R2 R3");
	run(&srv, "F1 X1 R1", "F1 | X1 R1");
	run(&srv, "R1 F1 X1 R2 F2 R3", "F1 R1 X1 F2 | R2 R3");
	/* a FLASH last: nothing left behind it */
	run(&srv, "R1 R2 F1", "F1 | R1 R2");
	/*
	 * A FLASH arriving during every commit does not hold the rest back: a
	 * hand-over after a cut one takes everything pending, so the ROUTINE
	 * behind F1 goes with F2 (never cut twice in a row), not after F5.
	 */
	stream = 4;
	run(&srv, "R1 R2 F1", "F1 | F2 R1 R2 | F3 | F4 | F5");
	stream = 4;
	run(&srv, "R1 F1 X1 R2", "F1 | R1 X1 F2 R2 | F3 | F4 | F5");
	CHECK(stream == 0);
	/* the counters are right after a cut: a next batch starts clean */
	run(&srv, "R1 I1", "I1 R1");
	CHECK(srv.batch_head == NULL && srv.batch_len == 0);

	dpd_batch_stop(&srv);
	dps_close(srv.wstore);
	event_base_free(srv.base);
	unlink(path);
	char wal[80];
	snprintf(wal, sizeof wal, "%s-wal", path);
	unlink(wal);
	snprintf(wal, sizeof wal, "%s-shm", path);
	unlink(wal);
	rmdir(dir);
	return t_done("test_denpod_batch");
}
