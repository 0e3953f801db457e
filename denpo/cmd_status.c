/*
 * denpo/cmd_status.c - `denpo status` (receipts of a sent cable), `denpo sent`.
 */
#include <dirent.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "denpo/bind.h"
#include "denpo/cli.h"

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
		json_t *a = json_array();
		for (size_t i = 0; i < st.nrecipients; i++) {
			const dp_receipt *p = &st.recipients[i];
			json_array_append_new(
				a, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:b}", "device", p->device, "officer",
					     p->officer, "post", p->post, "role",
					     p->role == DP_ROLE_INFO ? "info" : "action", "delivered",
					     p->delivered ? json_integer(p->delivered) : json_null(), "acked",
					     p->acked ? json_integer(p->acked) : json_null(), "overdue", p->overdue));
		}
		dp_json_print(json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:o}", "cable_id", lg.cable_id, "mrn",
					 lg.mrn, "precedence", dp_prec_name(lg.prec_action), "classification",
					 dp_class_name(lg.classification), "accepted", (json_int_t)lg.accepted,
					 "log_index", (json_int_t)lg.index, "recipients", a));
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
			       p->role == DP_ROLE_INFO ? "info" : "action", d, k, p->overdue ? "OVERDUE" : "");
		}
	}
	dp_cable_status_free(&st);
	return EXIT_OK;
}

static const char sent_help[] =
	"usage: denpo sent\n\n"
	"Cables sent by your officer (from the switch), plus any cable saved on this\n"
	"device that the switch has not accepted yet (send it with `denpo retry ID`).\n"
	"Each is checked against its entry in the switch's transparency log; one that\n"
	"fails is not listed but reported, and the exit code is 3.\n";

/* Local records still "pending". */
static json_t *pending(cli_ctx *x)
{
	json_t *a = json_array();
	char dir[PATH_MAX];
	cli_path(x, dir, "sent");
	DIR *d = opendir(dir);
	if (!d)
		return a;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n != 37 || strcmp(de->d_name + 32, ".json") != 0)
			continue;
		char p[PATH_MAX + 256];
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		json_error_t je;
		json_t *j = json_load_file(p, 0, &je);
		json_t *s = j ? json_object_get(j, "state") : NULL;
		if (json_is_string(s) && !strcmp(json_string_value(s), "pending"))
			json_array_append(a, j);
		json_decref(j);
	}
	closedir(d);
	return a;
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
	dp_sent_item *it;
	bind_failure *failed;
	size_t n, nfailed;
	/* each one's MRN, time, precedence and classification checked against its log entry */
	ec = bind_sent(x, &it, &n, &failed, &nfailed);
	if (ec)
		return ec;
	json_t *pend = pending(x);
	if (x->json) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(
				a, json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "cable_id", it[i].cable_id,
					     "mrn", it[i].mrn, "precedence", dp_prec_name(it[i].precedence),
					     "classification", dp_class_name(it[i].classification), "accepted",
					     (json_int_t)it[i].accepted, "recipients", (json_int_t)it[i].recipients,
					     "delivered", (json_int_t)it[i].delivered, "acked",
					     (json_int_t)it[i].acked));
		json_t *j = json_pack("{s:o, s:o}", "cables", a, "pending", pend);
		if (j && nfailed)
			json_object_set_new(j, "failed", bind_failed_json(failed, nfailed));
		dp_json_print(j);
	} else {
		if (n == 0 && nfailed == 0)
			printf("no cables sent\n");
		else if (n)
			printf("%-18s %-9s %-12s %5s %-6s %-6s %-6s %s\n", "MRN", "PREC", "CLASS", "AGE", "RCPTS",
			       "DELIV", "ACKED", "CABLE ID");
		for (size_t i = 0; i < n; i++) {
			char age[32];
			cli_age_str(it[i].accepted, age);
			printf("%-18s %-9s %-12s %5s %-6u %-6u %-6u %s\n", it[i].mrn, dp_prec_name(it[i].precedence),
			       dp_class_name(it[i].classification), age, it[i].recipients, it[i].delivered,
			       it[i].acked, it[i].cable_id);
		}
		for (size_t i = 0; i < json_array_size(pend); i++) {
			json_t *j = json_array_get(pend, i), *cid = json_object_get(j, "cable_id");
			printf("NOT ACCEPTED YET  %s  (run `denpo retry %s`)\n",
			       json_is_string(cid) ? json_string_value(cid) : "?",
			       json_is_string(cid) ? json_string_value(cid) : "ID");
		}
		json_decref(pend);
	}
	bind_report(failed, nfailed);
	free(it);
	free(failed);
	return nfailed ? EXIT_VERIFY : EXIT_OK;
}
