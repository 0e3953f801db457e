/*
 * denpo/cmd_outbox.c - `denpo outbox`: the cables waiting for the switch
 * (denpo/outbox.h); `denpo draft`: the drafts (denpo/drafts.h), as
 * `denpo ui` keeps them.
 */
#include <getopt.h>
#include <stdlib.h>
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
	"  send     submit everything that waits now (not the FAILED ones), over one\n"
	"           connection; exit 1 if any was not sent.  Ctrl-C, SIGTERM or SIGHUP\n"
	"           stop it between two cables (the rest wait), its keys wiped\n"
	"  retry    send entry ID again, FAILED or not (after its cause was fixed)\n"
	"  delete   discard entry ID; if an earlier attempt had sealed it, it says so:\n"
	"           that attempt may have reached the switch (see `denpo sent`)\n"
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

/*
 * `outbox delete` and `draft delete`: draft id removed under drafts/lock
 * (never while it is being sent), saying whether an earlier attempt had
 * sealed it: then it may have reached the switch, and deleting the entry
 * does not call it back.
 */
static int discard(cli_ctx *x, const char *id, const char *what)
{
	char cid[DP_HEXID] = "";
	json_t *d;
	int r = drafts_lock(x);
	if (r)
		return cli_fail(x, r, r == DP_EEXISTS ? "nothing was deleted" : NULL, "%s",
				r == DP_EEXISTS ? drafts_busy() : "cannot lock the drafts");
	if (draft_load(x, id, &d) == DP_OK) {
		const char *c = json_string_value(json_object_get(d, "cable_id"));
		if (draft_was_sealed(x, c))
			snprintf(cid, sizeof cid, "%s", c);
		json_decref(d);
	}
	r = draft_delete(x, id);
	drafts_unlock();
	if (r)
		return cli_fail(x, r, "see `denpo outbox` or `denpo draft list`", "cannot delete %s %s", what, id);
	if (x->json) {
		json_t *j = json_pack("{s:s, s:b}", "id", id, "deleted", 1);
		if (j && cid[0])
			json_object_set_new(j, "sealed_cable_id", json_string(cid));
		dp_json_print(j);
	} else if (cid[0])
		printf("deleted %s %s; it had been sealed as cable %s, and an earlier attempt may have reached "
		       "the switch: see `denpo sent`\n", what, id, cid);
	else
		printf("deleted %s %s (nothing was sent)\n", what, id);
	return EXIT_OK;
}

static int send_all(cli_ctx *x, const char *only)
{
	/* several cables over one connection; a signal stops it between two, the keys wiped */
	int ec = cli_session_open(x);
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
		ec = cli_fail(x, r, NULL, "%s", drafts_busy());
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
	return discard(x, id, "outbox entry");
}

static const char draft_help[] =
	"usage: denpo draft list\n"
	"       denpo draft save FILE|- [--id ID]\n"
	"       denpo draft show ID\n"
	"       denpo draft send ID\n"
	"       denpo draft delete ID\n"
	"\n"
	"Drafts as `denpo ui` keeps them: unsigned cables as JSON objects (their fields\n"
	"in denpo/drafts.h: classification, captions, precedence, to, info, attn, tags,\n"
	"subject, body, refs, attachments [{name, data (base64)}], declassify_on,\n"
	"classified_by), sealed under this device's storage key in HOME/drafts (never\n"
	"plaintext on disk).\n"
	"  list     id, precedence, subject, updated, queued\n"
	"  save     a draft from FILE (or stdin), new or replacing draft ID; prints its id\n"
	"  show     the draft as JSON on stdout (its text: mind where it goes)\n"
	"  send     send it (then it is removed), or put it in the outbox if the switch\n"
	"           cannot be reached (`denpo outbox`); prints the MRN or \"queued: ...\"\n"
	"  delete   discard it\n";

static int draft_save_cmd(cli_ctx *x, const char *file, const char *given)
{
	dp_buf b;
	dp_buf_init(&b, (size_t)DP_MAX_PLAINTEXT / 3 * 4 + (1u << 20));
	int r = strcmp(file, "-") ? dp_read_file(file, &b) : dp_read_fd(0, &b);
	if (r) {
		dp_buf_free(&b);
		return cli_fail(x, r, NULL, "cannot read the draft from %s", strcmp(file, "-") ? file : "stdin");
	}
	json_error_t je;
	json_t *d = json_loadb((const char *)b.p, b.len, JSON_REJECT_DUPLICATES, &je);
	dp_buf_free(&b);
	if (!d)
		return cli_fail(x, DP_EPARSE, "a draft is one JSON object (`denpo draft --help`)",
				"the draft is not JSON: %s (line %d)", je.text, je.line);
	char id[DRAFT_ID_LEN + 1] = "", why[512];
	snprintf(id, sizeof id, "%s", given ? given : "");
	r = draft_save(x, d, id, why, sizeof why);
	json_decref(d);
	if (r)
		return cli_fail(x, r, NULL, "the draft was not saved: %s", why);
	if (x->json)
		dp_json_print(json_pack("{s:s}", "id", id));
	else
		printf("%s\n", id);
	return EXIT_OK;
}

static int draft_send_cmd(cli_ctx *x, const char *id)
{
	json_t *d;
	int r = draft_load(x, id, &d);
	if (r)
		return cli_fail(x, r, r == DP_EHMAC ? "it was altered on disk, or is another device's: delete it" : NULL,
				"cannot open draft %s", id);
	x->offline_ok = 1;
	int ec = cli_open_client(x);
	send_result sr;
	send_result_init(&sr);
	if (!ec)
		ec = outbox_send(x, d, id, &sr); /* first: were the outbox sent before, this draft could be in it */
	json_decref(d);
	if (!x->offline && x->cl)
		outbox_upkeep(x);
	for (size_t i = 0; !ec && i < json_array_size(sr.warnings); i++)
		fprintf(stderr, "denpo: WARNING: %s\n", json_string_value(json_array_get(sr.warnings, i)));
	if (!ec && x->json)
		dp_json_print(send_result_json(&sr));
	else if (!ec && sr.queued)
		printf("queued: will be sent when the switch is reachable (outbox entry %s)\n", sr.draft_id);
	else if (!ec)
		printf("%s\n", sr.res.mrn);
	send_result_free(&sr);
	return ec;
}

int cmd_draft(cli_ctx *x, int argc, char **argv)
{
	static const struct option lo[] = {{"id", required_argument, NULL, 'i'}, CLI_COMMON_OPTS, {NULL, 0, NULL, 0}};
	const char *given = NULL;
	int o;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == OPT_HELP) {
			fputs(draft_help, stdout);
			return EXIT_OK;
		}
		if (o == 'i')
			given = optarg;
		else if (!cli_common_opt(x, o, optarg))
			return cli_usage("draft", "unknown option");
	}
	static const char *const subs[] = {"list", "save", "show", "send", "delete"};
	const char *sub = optind < argc ? argv[optind] : "list";
	size_t k = 0;
	while (k < sizeof subs / sizeof subs[0] && strcmp(sub, subs[k]))
		k++;
	if (k == sizeof subs / sizeof subs[0])
		return cli_usage("draft", "unknown subcommand '%s' (list, save, show, send, delete)", sub);
	int nargs = argc - optind - (optind < argc), want = k == 0 ? 0 : 1;
	if (nargs != want)
		return cli_usage("draft", want ? "%s takes one argument (`denpo draft --help`)" : "%s takes no argument",
				 sub);
	if (given && k != 1)
		return cli_usage("draft", "--id goes with save");
	const char *arg = want ? argv[optind + 1] : NULL;
	if (cli_home(x, 0))
		return cli_fail(x, DP_ENOTFOUND, "run `denpo init` first", "no state directory %s", x->home);
	int ec = cli_load_keys(x);
	if (ec)
		return ec;
	if (k == 1)
		return draft_save_cmd(x, arg, given);
	if (k == 3)
		return draft_send_cmd(x, arg);
	if (k == 4)
		return discard(x, arg, "draft");
	json_t *j = NULL;
	int r = k == 0 ? draft_list(x, &j) : draft_load(x, arg, &j);
	if (r)
		return cli_fail(x, r, r == DP_EHMAC ? "it was altered on disk, or is another device's: delete it" : NULL,
				"draft %s: cannot %s it", arg ? arg : "list", sub);

	if (k == 0 && !x->json) {
		for (size_t i = 0; i < json_array_size(j); i++) {
			const json_t *e = json_array_get(j, i);
			char age[32];
			cli_age_str((int64_t)json_integer_value(json_object_get(e, "updated")), age);
			printf("%-32s  %-9s %6s  %s%s\n", json_string_value(json_object_get(e, "id")),
			       json_string_value(json_object_get(e, "precedence")) ?: "-", age,
			       json_string_value(json_object_get(e, "subject")) ?: "",
			       json_integer_value(json_object_get(e, "queued")) ? "  (in the outbox)" : "");
		}
		if (json_array_size(j) == 0)
			printf("no drafts\n");
		json_decref(j);
	} else
		dp_json_print(k == 0 ? json_pack("{s:o}", "drafts", j) : j);
	return EXIT_OK;
}
