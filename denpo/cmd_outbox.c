/*
 * denpo/cmd_outbox.c - `denpo outbox`: the cables waiting for the switch
 * (denpo/outbox.h).
 */
#include <getopt.h>
#include <string.h>

#include <jansson.h>

#include "denpo/cli.h"
#include "denpo/outbox.h"

static const char outbox_help[] =
	"usage: denpo outbox [list]\n"
	"       denpo outbox send\n"
	"       denpo outbox retry ID\n"
	"       denpo outbox delete ID\n"
	"\n"
	"The cables `denpo send` and `denpo reply` queued because the switch could not\n"
	"be reached (or with --queue).  Each is kept on this device as its draft,\n"
	"sealed under the device's storage key; it is signed and encrypted to its\n"
	"recipients when it is submitted.  Every command that reaches the switch\n"
	"(send, reply, inbox, read) sends what waits first, FLASH first.\n"
	"  list     what waits: precedence, subject, TO, queued since, the last error;\n"
	"           FAILED: the switch refused it for a reason that will not go away by\n"
	"           itself (e.g. no recipient resolves); it is kept, never sent again\n"
	"           by itself\n"
	"  send     submit everything that waits now (not the FAILED ones); exit 1 if\n"
	"           any was not sent\n"
	"  retry    send entry ID again, FAILED or not (after its cause was fixed)\n"
	"  delete   discard entry ID (nothing is sent)\n"
	"With --json: list {\"outbox\": [{id, subject, precedence, to, queued,\n"
	"last_error?, failed?}]}; send/retry {\"sent\", \"failed\", \"waiting\", \"results\"}.\n";

static int list(cli_ctx *x)
{
	json_t *a;
	int r = outbox_list(x, &a);
	if (r)
		return cli_fail(x, r, NULL, "cannot read the outbox in %s/drafts", x->home);
	if (x->json) {
		dp_json_print(json_pack("{s:o}", "outbox", a));
		return EXIT_OK;
	}
	if (json_array_size(a) == 0)
		printf("the outbox is empty\n");
	else
		printf("%-32s  %-9s %-7s %-20s %-8s %s\n", "ID", "PREC", "STATE", "TO", "QUEUED", "SUBJECT");
	for (size_t i = 0; i < json_array_size(a); i++) {
		const json_t *e = json_array_get(a, i);
		char to[128] = "", age[32];
		const json_t *t = json_object_get(e, "to");
		for (size_t k = 0; k < json_array_size(t); k++)
			snprintf(to + strlen(to), sizeof to - strlen(to), "%s%s", k ? "," : "",
				 json_string_value(json_array_get(t, k)));
		cli_age_str((int64_t)json_integer_value(json_object_get(e, "queued")), age);
		const char *bad = json_string_value(json_object_get(e, "error"));
		if (bad) {
			printf("%-32s  UNREADABLE: %s; `denpo outbox delete` it\n",
			       json_string_value(json_object_get(e, "id")), bad);
			continue;
		}
		const char *failed = json_string_value(json_object_get(e, "failed"));
		const char *err = json_string_value(json_object_get(e, "last_error"));
		printf("%-32s  %-9s %-7s %-20s %-8s %s\n", json_string_value(json_object_get(e, "id")),
		       json_string_value(json_object_get(e, "precedence")) ?: "?", failed ? "FAILED" : "waiting",
		       to, age, json_string_value(json_object_get(e, "subject")) ?: "");
		if (err)
			printf("%34s-> %s: %s\n", "", failed ? "refused" : "last attempt", err);
	}
	json_decref(a);
	return EXIT_OK;
}

static int send_all(cli_ctx *x, const char *only)
{
	int ec = cli_open_client(x);
	if (ec)
		return ec;
	if (x->offline)
		return cli_fail(x, DP_ENET, "the outbox is sent by itself once the switch is reachable",
				"the switch cannot be reached; nothing was sent");
	if (only) {
		/* the one entry: its failed mark cleared, then sent with the rest that wait */
		int r = draft_state(x, only, -1, NULL, NULL, "");
		if (r)
			return cli_fail(x, r, "see `denpo outbox`", "no outbox entry %s", only);
	}
	outbox_report rep;
	int r = outbox_flush(x, 0, &rep);
	if (r == DP_EEXISTS)
		ec = cli_fail(x, r, "try again in a moment", "another denpo process is sending the outbox now");
	else if (r)
		ec = cli_fail(x, r, NULL, "cannot send the outbox");
	else if (x->json) {
		dp_json_print(json_pack("{s:I, s:I, s:I, s:O}", "sent", (json_int_t)rep.sent, "failed",
					 (json_int_t)rep.failed, "waiting", (json_int_t)rep.waiting, "results",
					 rep.results));
	} else {
		for (size_t i = 0; i < json_array_size(rep.results); i++) {
			const json_t *o = json_array_get(rep.results, i);
			const char *subj = json_string_value(json_object_get(o, "subject"));
			if (json_is_true(json_object_get(o, "sent")))
				printf("SENT     %-9s %s  \"%s\"\n", json_string_value(json_object_get(o, "precedence")),
				       json_string_value(json_object_get(o, "mrn")), subj);
			else
				printf("%-8s %-9s \"%s\": %s\n",
				       json_is_true(json_object_get(o, "failed")) ? "FAILED" : "WAITING",
				       json_string_value(json_object_get(o, "precedence")), subj,
				       json_string_value(json_object_get(o, "error")));
		}
		printf("%zu sent, %zu refused (kept, marked failed), %zu still waiting\n", rep.sent, rep.failed,
		       rep.waiting);
	}
	if (!ec && (rep.failed || rep.waiting))
		ec = EXIT_ERR;
	outbox_report_free(&rep);
	return ec;
}

int cmd_outbox(cli_ctx *x, int argc, char **argv)
{
	static const struct option lo[] = {CLI_COMMON_OPTS, {NULL, 0, NULL, 0}};
	int o;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == OPT_HELP) {
			fputs(outbox_help, stdout);
			return EXIT_OK;
		}
		if (!cli_common_opt(x, o, optarg))
			return cli_usage("outbox", "unknown option");
	}
	const char *sub = optind < argc ? argv[optind] : "list";
	int nargs = argc - optind - (optind < argc);
	int needs_id = !strcmp(sub, "retry") || !strcmp(sub, "delete");
	if (strcmp(sub, "list") && strcmp(sub, "send") && !needs_id)
		return cli_usage("outbox", "unknown subcommand '%s' (list, send, retry, delete)", sub);
	if (nargs != needs_id)
		return cli_usage("outbox", needs_id ? "%s takes the entry's ID (see `denpo outbox`)"
						    : "%s takes no argument", sub);
	const char *id = needs_id ? argv[optind + 1] : NULL;
	if (cli_home(x, 0))
		return cli_fail(x, DP_ENOTFOUND, "run `denpo init` first", "no state directory %s", x->home);
	if (!strcmp(sub, "send") || !strcmp(sub, "retry")) {
		x->offline_ok = 1; /* said plainly below rather than failing on the log */
		return send_all(x, id);
	}
	int ec = cli_load_keys(x);
	if (ec)
		return ec;
	if (!strcmp(sub, "list"))
		return list(x);
	int r = draft_delete(x, id);
	if (r)
		return cli_fail(x, r, "see `denpo outbox`", "cannot delete outbox entry %s", id);
	if (x->json)
		dp_json_print(json_pack("{s:s, s:b}", "id", id, "deleted", 1));
	else
		printf("deleted outbox entry %s (nothing was sent)\n", id);
	return EXIT_OK;
}
