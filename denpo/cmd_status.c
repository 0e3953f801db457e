/*
 * denpo/cmd_status.c - `denpo status` (receipts of a sent cable), `denpo sent` (with the
 * cables the switch lost: denpo/sentrec.h).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "denpo/bind.h"
#include "denpo/cli.h"
#include "denpo/sentrec.h"
#include "denpo/views.h"

static const char status_help[] =
	"usage: denpo status MRN|CABLE_ID\n\n"
	"Delivery and read receipts, per recipient device, of a cable your officer sent;\n"
	"OVERDUE marks a recipient past the precedence's handling-time objective.  Its MRN,\n"
	"time, precedence and classification are checked against its entry in the\n"
	"switch's transparency log: any difference shows nothing, exit code 3.\n";

static void when(int64_t t, char out[32])
{
	if (!t) {
		strcpy(out, "-");
		return;
	}
	char dtg[16];
	dp_dtg_format(t, dtg);
	snprintf(out, 32, "%s", dtg);
}

int cmd_status(cli_ctx *x, int argc, char **argv)
{
	static const struct option lo[] = {CLI_COMMON_OPTS, {NULL, 0, NULL, 0}};
	int o;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == OPT_HELP) {
			fputs(status_help, stdout);
			return EXIT_OK;
		}
		if (!cli_common_opt(x, o, optarg))
			return cli_usage("status", "unknown option");
	}
	char id[DP_HEXID], asked[DP_MRN_MAX + 1];
	int ec = cli_one_ref(x, "status", argc, argv, id, asked);
	if (ec)
		return ec;
	dp_cable_status st;
	bind_logged lg;
	/* MRN, time, precedence and classification checked against the cable's log entry */
	ec = bind_status(x, id, asked, &st, &lg);
	if (ec)
		return ec;
	size_t nd = 0, na = 0, nover = 0;
	for (size_t i = 0; i < st.nrecipients; i++) {
		nd += st.recipients[i].delivered != 0;
		na += st.recipients[i].acked != 0;
		nover += st.recipients[i].overdue != 0;
	}
	if (x->json) {
		dp_json_print(cli_status_json(&st, &lg));
	} else {
		char acc[32];
		when(lg.accepted, acc);
		printf("%s  %s  %s  accepted %s  %zu recipients, %zu delivered, %zu acknowledged%s\n", lg.mrn,
		       dp_prec_name(lg.prec_action), dp_class_name(lg.classification), acc, st.nrecipients, nd,
		       na, nover ? ", OVERDUE" : "");
		printf("%-20s %-12s %-6s %-16s %-16s %s\n", "OFFICER", "POST", "ROLE", "DELIVERED", "ACKED", "");
		for (size_t i = 0; i < st.nrecipients; i++) {
			const dp_receipt *p = &st.recipients[i];
			char d[32], k[32];
			when(p->delivered, d);
			when(p->acked, k);
			printf("%-20s %-12s %-6s %-16s %-16s %s\n", p->officer, p->post,
			       dp_role_name(p->role), d, k, p->overdue ? "OVERDUE" : "");
		}
	}
	dp_cable_status_free(&st);
	return EXIT_OK;
}

json_t *cli_status_json(const dp_cable_status *st, const bind_logged *lg)
{
	json_t *a = json_array();
	for (size_t i = 0; i < st->nrecipients; i++) {
		const dp_receipt *p = &st->recipients[i];
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:b}", "device", p->device,
						   "officer", p->officer, "post", p->post, "role",
						   dp_role_name(p->role), "delivered",
						   p->delivered ? json_integer(p->delivered) : json_null(), "acked",
						   p->acked ? json_integer(p->acked) : json_null(), "overdue",
						   p->overdue));
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:o}", "cable_id", lg->cable_id, "mrn", lg->mrn,
			 "precedence", dp_prec_name(lg->prec_action), "classification",
			 dp_class_name(lg->classification), "accepted", (json_int_t)lg->accepted, "log_index",
			 (json_int_t)lg->index, "recipients", a);
}

static const char sent_help[] =
	"usage: denpo sent\n\n"
	"Cables sent by your officer (from the switch), plus any cable saved on this\n"
	"device that the switch has not accepted yet (send it with `denpo retry ID`).\n"
	"Each is checked against its entry in the switch's transparency log; one that\n"
	"fails is not listed but reported, and the exit code is 3.\n"
	"A cable resent after the switch lost it shows its new MRN and (was OLD MRN).\n\n"
	"LOST FROM SWITCH: a cable this device sent and the switch accepted that the\n"
	"switch no longer holds (it was restored from an older backup).  This device\n"
	"still has it: `denpo retry ID` resends one, `denpo retry --lost` all of them,\n"
	"FLASH first.  Lost cables are also said on stderr; the exit code stays 0.\n"
	"With --json: \"cables\", \"pending\", \"lost\" (and \"failed\").\n";

static const char *prec_or_unknown(int p) { return p >= 0 ? dp_prec_name(p) : "?"; }

json_t *cli_sent_json(cli_ctx *x, const cli_sent *v)
{
	json_t *a = json_array(), *pend = json_array(), *lost = json_array();
	for (size_t i = 0; i < v->n; i++) {
		const dp_sent_item *it = &v->items[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "cable_id", it->cable_id, "mrn",
				      it->mrn, "precedence", dp_prec_name(it->precedence), "classification",
				      dp_class_name(it->classification), "accepted", (json_int_t)it->accepted,
				      "recipients", (json_int_t)it->recipients, "delivered",
				      (json_int_t)it->delivered, "acked", (json_int_t)it->acked);
		const sentrec *s = sentrec_find(v->recs, v->nrec, it->cable_id);
		if (o && s && s->was[0])
			json_object_set_new(o, "mrn_before_restore", json_string(s->was));
		json_array_append_new(a, o);
	}
	for (size_t i = 0; i < v->nrec; i++) {
		json_t *rec = v->recs[i].state == SENTREC_PENDING ? sentrec_json(x, v->recs[i].cable_id) : NULL;
		if (rec) /* the whole record, as it is on disk */
			json_array_append_new(pend, rec);
	}
	for (size_t i = 0; i < v->nlost; i++)
		json_array_append_new(lost, json_pack("{s:s, s:s, s:s, s:I}", "cable_id", v->lost[i].cable_id,
						      "mrn", v->lost[i].mrn, "precedence",
						      prec_or_unknown(v->lost[i].precedence), "accepted",
						      (json_int_t)v->lost[i].accepted));
	json_t *j = json_pack("{s:o, s:o, s:o}", "cables", a, "pending", pend, "lost", lost);
	if (j && v->nfailed)
		json_object_set_new(j, "failed", bind_failed_json(v->failed, v->nfailed));
	return j;
}

static void print_text(const dp_sent_item *it, size_t n, const sentrec *recs, size_t nrec, size_t nfailed,
		       const sentrec *lost, size_t nlost)
{
	if (n == 0 && nfailed == 0)
		printf("no cables sent\n");
	else if (n)
		printf("%-18s %-9s %-12s %5s %-6s %-6s %-6s %s\n", "MRN", "PREC", "CLASS", "AGE", "RCPTS", "DELIV",
		       "ACKED", "CABLE ID");
	for (size_t i = 0; i < n; i++) {
		char age[32];
		cli_age_str(it[i].accepted, age);
		const sentrec *s = sentrec_find(recs, nrec, it[i].cable_id);
		printf("%-18s %-9s %-12s %5s %-6u %-6u %-6u %s", it[i].mrn, dp_prec_name(it[i].precedence),
		       dp_class_name(it[i].classification), age, it[i].recipients, it[i].delivered, it[i].acked,
		       it[i].cable_id);
		if (s && s->was[0])
			printf("  (was %s)", s->was);
		putchar('\n');
	}
	for (size_t i = 0; i < nrec; i++)
		if (recs[i].state == SENTREC_PENDING)
			printf("NOT ACCEPTED YET  %s  (run `denpo retry %s`)\n", recs[i].cable_id, recs[i].cable_id);
	for (size_t i = 0; i < nlost; i++)
		printf("LOST FROM SWITCH  %s  %s  %s  (resend: denpo retry %s)\n", lost[i].mrn,
		       prec_or_unknown(lost[i].precedence), lost[i].cable_id, lost[i].cable_id);
}

void cli_sent_free(cli_sent *v)
{
	free(v->items);
	free(v->failed);
	free(v->recs);
	free(v->lost);
	memset(v, 0, sizeof *v);
}

int cli_sent_get(cli_ctx *x, cli_sent *v)
{
	memset(v, 0, sizeof *v);
	/* each one's MRN, time, precedence and classification checked against its log entry */
	int ec = bind_sent(x, &v->items, &v->n, &v->failed, &v->nfailed);
	if (ec)
		return ec;
	int r = sentrec_load(x, &v->recs, &v->nrec);
	if (r) {
		cli_sent_free(v);
		return cli_fail(x, r, NULL, "cannot read the records in %s/sent", x->home);
	}
	/* what the switch listed, failed ones included, is held by it: never lost */
	int64_t low = INT64_MAX;
	for (size_t i = 0; i < v->n; i++) {
		sentrec_seen(v->recs, v->nrec, v->items[i].cable_id);
		low = v->items[i].seq < low ? v->items[i].seq : low;
	}
	for (size_t i = 0; i < v->nfailed; i++)
		sentrec_seen(v->recs, v->nrec, v->failed[i].cable_id);
	/*
	 * A switch from before sent-list paging gives no seq: its one page is
	 * the whole list only if it is not full; else what is beyond it cannot
	 * be asked for, and nothing is called lost.
	 */
	int full = v->n + v->nfailed >= DP_SENT_PAGE;
	if (full && v->n && low == 0) {
		fprintf(stderr, "denpo: warning: the switch does not number its sent list (an older denpod): "
				"cables lost from it cannot be told from older ones; not judged\n");
		r = DP_OK;
	} else
		r = sentrec_find_lost(x, v->recs, v->nrec, full, low, &v->nlost);
	/* the lost ones in the order `denpo retry --lost` resends them: FLASH first */
	v->lost = r ? NULL : sentrec_lost_sorted(v->recs, v->nrec, v->nlost);
	if (v->nlost && !v->lost && !r)
		r = DP_ENOMEM;
	if (r) {
		cli_sent_free(v);
		return cli_fail(x, r, NULL, "cannot ask the switch which cables it holds");
	}
	return EXIT_OK;
}

int cmd_sent(cli_ctx *x, int argc, char **argv)
{
	static const struct option lo[] = {CLI_COMMON_OPTS, {NULL, 0, NULL, 0}};
	int o;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == OPT_HELP) {
			fputs(sent_help, stdout);
			return EXIT_OK;
		}
		if (!cli_common_opt(x, o, optarg))
			return cli_usage("sent", "unknown option");
	}
	if (optind != argc)
		return cli_usage("sent", "unexpected argument '%s'", argv[optind]);
	if (cli_home(x, 0))
		return cli_fail(x, DP_ENOTFOUND, "run `denpo init` first", "no state directory %s", x->home);
	int ec = cli_open_client(x);
	if (ec)
		return ec;
	cli_sent v;
	if ((ec = cli_sent_get(x, &v)))
		return ec;
	if (x->json)
		dp_json_print(cli_sent_json(x, &v));
	else
		print_text(v.items, v.n, v.recs, v.nrec, v.nfailed, v.lost, v.nlost);
	size_t nlost = v.nlost, nfailed = v.nfailed;
	if (nlost) {
		if (!x->json)
			printf("%zu cable%s sent from this device %s lost from the switch (restored from a backup?): "
			       "resend %s with `denpo retry --lost`\n",
			       nlost, nlost == 1 ? "" : "s", nlost == 1 ? "is" : "are", nlost == 1 ? "it" : "them all");
		/* for scripts and cron, which read stderr: not a verification failure, so exit 0 */
		fprintf(stderr, "denpo: warning: %zu cable%s sent from this device %s lost from the switch; "
				"resend with `denpo retry --lost`\n",
			nlost, nlost == 1 ? "" : "s", nlost == 1 ? "is" : "are");
	}
	bind_report(v.failed, v.nfailed);
	cli_sent_free(&v);
	return nfailed ? EXIT_VERIFY : EXIT_OK;
}
