/*
 * denpod/admin_log.c - `denpod log checkpoint|verify|show`: the operator's
 * and the auditor's view of the transparency log, read from the database
 * (works beside a running `denpod run`); and `denpod log rollback`, the
 * operator's acceptance of a database restored from an older backup.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "denpo/num.h"
#include "denpod/admin.h"
#include "denpo/encoding.h"
#include "denpod/signer.h"
#include "denpod/store.h"
#include "denpod/tlog.h"

static int log_checkpoint(dps_store *s)
{
	dps_checkpoint c;
	int r = dps_log_latest(s, &c);
	if (r == DP_ENOTFOUND) {
		fprintf(stderr, "denpod: no checkpoint yet: `denpod run` signs the first one when it "
				"starts\n");
		return 1;
	}
	if (r) {
		fprintf(stderr, "denpod: log checkpoint: %s\n", dp_strerror(r));
		return 1;
	}
	fwrite(c.note, 1, c.note_len, stdout);
	return 0;
}

static int log_verify(const dpc_config *c, dps_store *s)
{
	char vks[DP_NOTE_VKEY_MAX + 1];
	dp_note_vkey vk;
	int r = dpl_vkey(c, vks, sizeof vks);
	if (!r)
		r = dp_note_vkey_parse(&vk, vks, strlen(vks));
	if (r) {
		fprintf(stderr, "denpod: log verify: cannot make the log's verifier key: %s\n",
			dp_strerror(r));
		return 1;
	}
	r = dpl_verify(s, &vk, stdout);
	return r ? 1 : 0;
}

struct show_ctx {
	dp_logent *e;
};

static int show_one(void *ctx, uint64_t idx, const uint8_t *p, size_t len)
{
	struct show_ctx *x = ctx;
	int ok = dp_logent_decode(x->e, p, len) == DP_OK;
	printf("# entry %llu%s\n", (unsigned long long)idx, ok ? "" : " (NOT A VALID ENTRY)");
	/* entries are printable ASCII lines; anything else is shown as '?' */
	for (size_t i = 0; i < len; i++)
		putchar(p[i] == '\n' || (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '?');
	if (len && p[len - 1] != '\n')
		putchar('\n');
	putchar('\n');
	return DP_OK;
}

static int log_show(const dpa_args *a, dps_store *s)
{
	uint64_t from = 0, count = UINT64_MAX;
	const char *bad = a->from && dp_num_str(&from, a->from, 0, INT64_MAX)	 ? "--from"
			  : a->count && dp_num_str(&count, a->count, 0, INT64_MAX) ? "--count"
										   : NULL;
	if (bad) {
		fprintf(stderr, "denpod: %s takes a decimal number 0..%lld (no sign, no leading zero, "
				"nothing after the digits)\n", bad, (long long)INT64_MAX);
		return 2;
	}
	struct show_ctx x = {malloc(sizeof(dp_logent))};
	if (!x.e)
		return 1;
	int r = dps_log_entries(s, from, count, show_one, &x);
	free(x.e);
	if (r) {
		fprintf(stderr, "denpod: log show: %s\n", dp_strerror(r));
		return 1;
	}
	return 0;
}

/*
 * The signer refuses a database whose log is older than what it signed
 * (signer.state).  When no newer copy exists, an operator accepts the
 * rollback (`denpod log rollback`, or `denpod restore`, which calls this):
 * signer.state is set to the database's latest checkpoint, after an admin
 * entry (LOG-ROLLBACK) that says what was lost.  Every device that saw a
 * checkpoint above it will report a fork, rightly.
 *
 * The MRN rule: a post's MRNs are numbered by the counter in table mrn,
 * which the restored database holds as it was at the backup, so the cables
 * accepted after it would see their MRNs handed out again, to other cables.
 * Each of those cables has at least one cable-accepted entry among the lost
 * entries, so no post accepted more than lost = signed size - restored
 * size cables after the backup: every counter moves lost numbers on, in
 * the transaction of the LOG-ROLLBACK entry.  Some numbers are skipped
 * (never repeated); a gap in a post's MRNs is what a restore looks like.
 */
int dpa_rollback(const dpc_config *c, dps_store *s, const char *op, const char *restore,
		 uint64_t lost_given)
{
	const char *what = restore ? "restore" : "log rollback";
	char vks[DP_NOTE_VKEY_MAX + 1], detail[DP_LOG_TEXT_MAX + 1];
	uint8_t root[DP_TLOG_HASH];
	uint64_t size = 0, lost = 0, mrns = 0;
	dp_note_vkey vk;
	dps_checkpoint cp;
	int r = dpl_vkey(c, vks, sizeof vks);
	if (!r)
		r = dp_note_vkey_parse(&vk, vks, strlen(vks));
	if (!r && (r = dps_log_latest(s, &cp)) == DP_ENOTFOUND) {
		fprintf(stderr, "denpod: %s: the database has no checkpoint; nothing to roll back to\n",
			what);
		return 1;
	}
	if (!r && dpl_checkpoint_ok(&cp, &vk) != DP_OK) {
		fprintf(stderr, "denpod: %s: the database's latest checkpoint (size %llu) does not "
				"verify under log.key: this database is not this switch's log (denpod "
				"check)\n", what, (unsigned long long)cp.size);
		return 1;
	}
	int have_state = 0;
	if (!r && (r = dpsg_state_get(c, &size, root)) == DP_OK)
		have_state = 1;
	else if (r == DP_ENOTFOUND)
		r = DP_OK;
	if (r)
		return dpa_fail(r, what, NULL);
	lost = have_state ? (size > cp.size ? size - cp.size : 0) : lost_given;
	if (!restore && !have_state) {
		printf("no signer.state: the signer takes the database's checkpoint %llu at its next "
		       "start; nothing to roll back\n", (unsigned long long)cp.size);
		return 0;
	}
	if (!restore && !lost) {
		printf("the database's log (checkpoint %llu) is not older than what was signed (%llu); "
		       "nothing to roll back\n", (unsigned long long)cp.size, (unsigned long long)size);
		return 0;
	}
	int roll = have_state && lost;
	if (roll) {
		dp_log_rollback rb = {.signed_size = size, .restored_size = cp.size};
		memcpy(rb.signed_root, root, DP_TLOG_HASH);
		char why[200];
		snprintf(why, sizeof why, "entries above %llu are lost; MRN counters advanced by %llu; "
					  "devices that saw a checkpoint above it report a fork until they "
					  "run `denpo log recover`",
			 (unsigned long long)cp.size, (unsigned long long)lost);
		if (dp_log_rollback_format(detail, &rb, why))
			return dpa_fail(DP_EINVAL, what, NULL);
	}
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	dpl_enc *x = dpl_enc_new();
	r = x ? dps_begin(s) : DP_ENOMEM;
	if (!r && roll)
		r = dpa_log_admin(s, x, op, DP_LOG_ROLLBACK_ACT, detail);
	if (!r && lost)
		r = dps_mrn_skip(s, lost, tm.tm_year + 1900, &mrns);
	if (!r && restore)
		r = dpa_log_admin(s, x, op, "RESTORE", restore);
	r = x ? dpa_finish_txn(s, r) : r;
	dpl_enc_free(x);
	/* the entry first: a failure below leaves the start refusing, and this can be run again */
	if (!r && roll)
		r = dpsg_state_put(c, cp.size, cp.root);
	if (r)
		return dpa_fail(r, what, NULL);
	if (roll)
		printf("log rolled back from size %llu to checkpoint %llu (logged as LOG-ROLLBACK by %s).\n"
		       "Tell the security office: every device that saw a checkpoint above %llu reports a "
		       "fork (its evidence is in its log/ directory) until it runs `denpo log recover`.\n",
		       (unsigned long long)size, (unsigned long long)cp.size, op,
		       (unsigned long long)cp.size);
	if (lost)
		printf("MRNs: %llu entries are lost, so at most %llu cables were accepted after the backup: "
		       "every post's MRN counter moved %llu on (%llu counters), so none is handed out "
		       "again.\n", (unsigned long long)lost, (unsigned long long)lost,
		       (unsigned long long)lost, (unsigned long long)mrns);
	return 0;
}

static int log_rollback(const dpa_args *a, const dpc_config *c, dps_store *s)
{
	char op[DP_LOG_TEXT_MAX + 1];
	int e = dpa_operator_of(a, op);
	return e ? e : dpa_rollback(c, s, op, NULL, 0);
}

int dpa_log(const dpa_args *a)
{
	const char *verb = a->verb;
	dpc_config c;
	dps_store *s = NULL;
	if (a->npos) {
		fprintf(stderr, "usage: denpod log checkpoint|verify|show [--from I] [--count N] | "
				"rollback [--operator NAME] --data DIR\n");
		return 2;
	}
	int e = dpa_open_store(a, &c, &s);
	if (e)
		return e;
	int r = strcmp(verb, "checkpoint") == 0 ? log_checkpoint(s)
		: strcmp(verb, "verify") == 0	? log_verify(&c, s)
		: strcmp(verb, "rollback") == 0 ? log_rollback(a, &c, s)
						: log_show(a, s);
	dps_close(s);
	return r;
}
