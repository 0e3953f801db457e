/*
 * denpo/cmd_read.c - `denpo inbox`, `denpo read`, `denpo ack`.
 */
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "denpo/bind.h"
#include "denpo/cli.h"
#include "denpo/encoding.h"
#include "denpo/num.h"
#include "denpo/origin.h"
#include "denpo/outbox.h"
#include "denpo/seal.h"
#include "denpo/views.h"

#define NOT_SHOWN "the cable is NOT displayed; report its id to security operations"

#define OFFLINE_HINT "read it once the switch is reachable"

void cli_checked_str(const cli_checked *how, char *out, size_t cap)
{
	char t[DP_TIME_STR], age[DP_TIME_STR];
	dp_time_str(how->origin_checked, t);
	dp_span_str(dp_now() - how->origin_checked, age);
	snprintf(out, cap,
		 "offline: verified with what this device kept: the originator checked on %s (%s ago; a "
		 "kept check is used offline for %d days), the MRN against its log entry %llu under the "
		 "checkpoint of size %llu this device verified",
		 t, age, ORIGIN_MAX_AGE / 86400, (unsigned long long)how->index,
		 (unsigned long long)how->log_size);
}

/*
 * The originating device of c must be the directory's device of its From
 * post: asked of the switch, else (unreachable) the check kept when it
 * last passed.  An exit code (failures reported).
 */
static int check_origin(cli_ctx *x, const char *id, const dp_cable *c, cli_checked *how)
{
	char why[512];
	int r = x->offline ? DP_ENET : bind_origin(x, c->from_device, c->from, NULL, NULL, why, sizeof why);
	if (r == DP_ESIG)
		return bind_fail(x, id, why, NOT_SHOWN);
	if (cli_unreachable(x, r)) {
		x->offline = 1; /* and the rest of this command does not wait for the switch again */
		r = origin_kept(x, c->from_device, c->from, &how->origin_checked, why, sizeof why);
		if (r == DP_ESIG)
			return bind_fail(x, id, why, NOT_SHOWN);
		if (r == DP_OK) {
			how->offline = 1;
			return EXIT_OK;
		}
		if (r == DP_ESTATE)
			return cli_fail(x, r, OFFLINE_HINT "; nothing is shown",
					"the switch cannot be reached, and the originator check kept for cable %s is "
					"too old to rely on: %s", id, why);
		return cli_fail(x, DP_ENET, OFFLINE_HINT,
				"the switch cannot be reached and this device never checked the originating "
				"device of cable %s", id);
	}
	if (r)
		return cli_fail(x, r, "retry when the switch is reachable",
				"cannot check the originating device of cable %s", id);
	return EXIT_OK;
}

int cli_open_cable(cli_ctx *x, const char *id, const char *asked, dp_envelope *e, dp_cable *c,
		   char mrn[DP_MRN_MAX + 1], int64_t *accepted)
{
	return cli_open_cable_how(x, id, asked, e, c, mrn, accepted, NULL);
}

int cli_open_cable_how(cli_ctx *x, const char *id, const char *asked, dp_envelope *e, dp_cable *c,
		       char mrn[DP_MRN_MAX + 1], int64_t *accepted, cli_checked *how)
{
	dp_buf sub;
	dp_buf_init(&sub, (size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4);
	int cached = cli_cache_get(x, id, &sub) == DP_OK;
	int r = DP_OK, ec = EXIT_OK, have_fk = 0;
	uint8_t fk[DP_AGE_FILE_KEY] = {0};
	char hdr[DP_MRN_MAX + 1] = "";
	cli_checked dummy;
	if (!how)
		how = &dummy;
	memset(how, 0, sizeof *how);
	mrn[0] = 0;
	*accepted = 0;
	if (!cached) {
		dp_buf_reset(&sub);
		sub.len = 0;
		r = x->offline ? DP_ENET : dp_client_fetch(x->cl, id, &sub, hdr);
		if (x->offline || cli_unreachable(x, r)) {
			ec = cli_fail(x, r, OFFLINE_HINT,
				      "cable %s is not on this device, and the switch cannot be reached", id);
			goto out;
		}
		if (r) {
			ec = cli_fail(x, r, r == DP_ENOTFOUND ? "check the id with `denpo inbox`" : NULL,
				      "cannot fetch cable %s", id);
			goto out;
		}
	}
	const char *swhy = "";
	/* a fetched cable opens with its sealed file key: its epoch key may be erased */
	have_fk = cached && cli_fk_get(x, id, sub.p, sub.len, fk) == DP_OK;
	r = seal_open(sub.p, sub.len, x->ks->age, x->ks->nage, have_fk ? fk : NULL, fk,
		      x->ks->sign_pk, e, c, &swhy);
	if (r) {
		dp_wipe(fk, sizeof fk);
		cli_fail(x, r, NOT_SHOWN, "cable %s failed verification: %s", id, swhy);
		ec = EXIT_VERIFY; /* malformed bytes included: `denpo read --help` promises 3 */
		goto out;
	}
	char hex[DP_HEXID];
	dp_hex_encode(hex, c->id, DP_CABLE_ID);
	if (strcmp(hex, id) != 0) {
		ec = cli_fail(x, DP_ESIG, NOT_SHOWN, "the switch returned cable %s when %s was asked for", hex, id);
		goto out;
	}
	if ((ec = check_origin(x, id, c, how)))
		goto out;
	/* the MRN and acceptance time from its log entry, every word of the switch checked */
	bind_claim cl;
	bind_logged lg;
	int kept = x->offline ? bind_cache_get(x, id, &lg) : DP_OK;
	if (kept == DP_ESIG) {
		ec = bind_fail(x, id, "its kept binding to its log entry (its MRN and time) does not verify under "
				      "this device's key (altered or planted): not trusted", NOT_SHOWN);
		goto out;
	}
	if (kept) {
		ec = cli_fail(x, DP_ENET, OFFLINE_HINT,
			      kept == DP_EPARSE ? "cable %s is on this device, but its MRN was kept by an older denpo "
						  "without this device's MAC: it is not checked here, and the switch "
						  "cannot be reached"
						: "cable %s is on this device, but its MRN was never checked against the "
						  "log here, and the switch cannot be reached",
			      id);
		goto out;
	}
	bind_claim_init(&cl);
	cl.mrn_header = hdr[0] ? hdr : NULL;
	cl.asked = asked && *asked ? asked : NULL;
	ec = bind_cable(x, id, &cl, e, sub.p, sub.len, &lg);
	if (ec)
		goto out;
	memcpy(mrn, lg.mrn, DP_MRN_MAX + 1);
	*accepted = lg.accepted;
	how->index = lg.index;
	how->log_size = cli_log_size(x);
	if (!cached && (r = cli_cache_put(x, id, sub.p, sub.len)) && !x->quiet)
		fprintf(stderr, "denpo: warning: cannot cache the cable: %s\n", cli_strerror(x, r));
	else if (!cached && r)
		; /* said (or recorded nowhere: quiet, and the cable was read all the same) */
	else if (!have_fk && (r = cli_fk_put(x, id, sub.p, sub.len, fk)) && !x->quiet)
		fprintf(stderr, "denpo: warning: cannot store the cable's key: %s\n", cli_strerror(x, r));
out:
	dp_wipe(fk, sizeof fk);
	dp_buf_free(&sub);
	return ec;
}

/* ---- inbox ---- */

static const char inbox_help[] =
	"usage: denpo inbox [--wait N] [--watch]\n"
	"\n"
	"Lists the cables waiting for this device, FLASH first, then by time.  Each is\n"
	"checked first: its precedence and classification against the envelope its\n"
	"sender signed, its MRN and time against the switch's transparency log.  A cable\n"
	"that fails is not listed but reported, and the exit code is 3.\n"
	"  --wait N   if the queue is empty, wait up to N seconds (<= 60) for a cable\n"
	"  --watch    keep waiting and print each new cable; rings the bell on FLASH\n"
	"When the switch cannot be reached (offline), lists instead the cables this\n"
	"device holds and has not acknowledged, each checked with what the device kept\n"
	"(as `denpo read` offline), under a line that says so; --json adds\n"
	"\"offline\": true and \"unchecked\" (held, but never checked here).  --watch\n"
	"then tries the switch every 5 s and watches as usual once it answers.\n"
	"--watch is one session: the keystore unlocked once and one connection to the\n"
	"switch kept open for every long poll.  When the switch goes away during the\n"
	"watch (restarted, the network down), it is tried every 5 s and the watch goes\n"
	"on once it answers.  Ctrl-C, SIGTERM or SIGHUP end it (exit 0), the keys wiped\n"
	"from memory first.\n";

static void print_item(const dp_inbox_item *it)
{
	char age[32];
	cli_age_str(it->accepted, age);
	printf("%-3s %-9s %-18s %-12s %-10s %5s  %s%s\n", it->precedence == DP_PREC_FLASH ? "!!" : "",
	       dp_prec_name(it->precedence), it->mrn, dp_class_name(it->classification), it->from, age,
	       it->cable_id, it->fetched ? "" : " new");
}

/* A checked cable as JSON: its fields from the envelope and the log, and its log index. */
json_t *cli_item_json(const bind_item *b)
{
	const dp_inbox_item *it = &b->it;
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:I}", "cable_id", it->cable_id, "mrn",
			 it->mrn, "precedence", dp_prec_name(it->precedence), "role",
			 dp_role_name(it->role), "classification",
			 dp_class_name(it->classification), "from", it->from, "accepted",
			 (json_int_t)it->accepted, "size", (json_int_t)it->size, "fetched", it->fetched,
			 "log_index", (json_int_t)b->index);
}

/* {"cables": [...]} plus "failed" when a cable failed its checks (exit 3). */
static void list_json(const bind_list *l, json_t *cables)
{
	json_t *j = json_pack("{s:o}", "cables", cables);
	if (j && l->nfailed)
		json_object_set_new(j, "failed", bind_failed_json(l->failed, l->nfailed));
	dp_json_print(j);
}

#define WATCH_OFFLINE_S 5
/*
 * The switch cannot be reached (x->offline): tried again every few
 * seconds (a signal ends the wait) until it answers.  An exit code: a fork
 * found on the way stops the watch, as always.
 */
static int watch_wait_switch(cli_ctx *x)
{
	fprintf(stderr, "denpo: offline: watching for the switch (tried every %d s); new cables are listed once "
			"it answers\n", WATCH_OFFLINE_S);
	while (x->offline) {
		if (!cli_stopping())
			sleep(WATCH_OFFLINE_S); /* a signal ends it early */
		if (cli_stopping())
			return EXIT_OK;
		int ec = cli_reconnect(x);
		if (ec)
			return ec;
	}
	memset(&x->err, 0, sizeof x->err);
	fprintf(stderr, "denpo: the switch answers again\n");
	return EXIT_OK;
}

static int watch(cli_ctx *x)
{
	/*
	 * Print every cable once, as it arrives: each long-poll asks for cables
	 * newer than the highest seq seen, so a backlog never delays a FLASH.
	 * A cable that fails its checks stops the watch (exit 3), as a fork does.
	 */
	int64_t after = 0, last_upkeep = dp_now();
	while (!cli_stopping()) {
		bind_query q = {.wait = 60, .after = after};
		outbox_upkeep(x); /* each pass: a post's outbox empties as soon as the switch answers */
		bind_list l;
		int ec = bind_list_get(x, &q, &l);
		if (ec && !cli_stopping() && cli_unreachable(x, x->err.rc)) {
			/* the switch went away (restarted, the network down): wait for it, then go on */
			x->offline = 1;
			if ((ec = watch_wait_switch(x)))
				return ec;
			continue;
		}
		if (ec)
			return cli_stopping() ? EXIT_OK : ec; /* a signal ended the long poll: a clean end */
		for (size_t i = 0; i < l.n; i++) {
			const dp_inbox_item *it = &l.items[i].it;
			if (it->seq <= after)
				continue; /* shown already */
			if (x->json)
				dp_json_print(cli_item_json(&l.items[i]));
			else {
				if (it->precedence == DP_PREC_FLASH)
					fputc('\a', stdout);
				print_item(it);
			}
			fflush(stdout);
		}
		bind_report(l.failed, l.nfailed);
		if (x->json && l.nfailed)
			dp_json_print(json_pack("{s:o}", "failed", bind_failed_json(l.failed, l.nfailed)));
		if (l.top_seq > after)
			after = l.top_seq;
		size_t failed = l.nfailed;
		bind_list_free(&l);
		if (failed)
			return EXIT_VERIFY;
		/* a watching device stays up for days: keep its key epochs current (at most once a minute) */
		int64_t now = dp_now();
		if (now - last_upkeep >= 60) {
			last_upkeep = now;
			ec = cli_upkeep(x); /* and witness the log: a fork stops the watch */
			if (ec)
				return ec;
			cli_keys_upkeep(x);
		}
	}
	return EXIT_OK;
}

/*
 * The switch cannot be reached: what this device holds and has not
 * acknowledged, checked with what it kept, said to be offline.
 */
static int inbox_held(cli_ctx *x)
{
	bind_list l;
	bind_failure *un = NULL;
	size_t nun = 0;
	int ec = bind_held(x, &l, &un, &nun);
	if (ec)
		return ec;
	if (x->json) {
		json_t *a = json_array(), *u = json_array();
		for (size_t i = 0; i < l.n; i++)
			json_array_append_new(a, cli_item_json(&l.items[i]));
		for (size_t i = 0; i < nun; i++)
			json_array_append_new(u, json_pack("{s:s, s:s}", "cable_id", un[i].cable_id, "message",
							   un[i].why));
		json_t *j = json_pack("{s:o, s:b, s:o}", "cables", a, "offline", 1, "unchecked", u);
		if (j && l.nfailed)
			json_object_set_new(j, "failed", bind_failed_json(l.failed, l.nfailed));
		dp_json_print(j);
	} else {
		printf("offline: the switch cannot be reached; the cables this device holds and has not "
		       "acknowledged, checked with what it kept:\n");
		if (l.n == 0)
			printf("no cables held\n");
		else
			printf("%-3s %-9s %-18s %-12s %-10s %5s  %s\n", "", "PREC", "MRN", "CLASS", "FROM", "AGE",
			       "CABLE ID");
		for (size_t i = 0; i < l.n; i++)
			print_item(&l.items[i].it);
		for (size_t i = 0; i < nun; i++)
			printf("held, not checked here yet: %s (%s)\n", un[i].cable_id, un[i].why);
		printf("cables not fetched yet are listed once the switch is reachable\n");
	}
	bind_report(l.failed, l.nfailed);
	ec = l.nfailed ? EXIT_VERIFY : EXIT_OK;
	bind_list_free(&l);
	free(un);
	return ec;
}

/* A watch begun without the switch: what is held, then the switch tried every few seconds until it answers. */
static int watch_offline(cli_ctx *x)
{
	int ec = inbox_held(x);
	if (ec)
		return ec;
	fflush(stdout);
	if ((ec = watch_wait_switch(x)) || cli_stopping())
		return ec;
	return watch(x);
}

int cmd_inbox(cli_ctx *x, int argc, char **argv)
{
	static const struct option lo[] = {
		{"wait", required_argument, NULL, 'w'},
		{"watch", no_argument, NULL, 'W'},
		CLI_COMMON_OPTS,
		{NULL, 0, NULL, 0},
	};
	int o, wait = 0, w = 0;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == OPT_HELP) {
			fputs(inbox_help, stdout);
			return EXIT_OK;
		}
		if (cli_common_opt(x, o, optarg))
			continue;
		if (o == 'w') {
			uint64_t v;
			if (dp_num_str(&v, optarg, 0, 60))
				return cli_usage("inbox", "--wait takes 0..60 seconds");
			wait = (int)v;
		} else if (o == 'W')
			w = 1;
		else
			return cli_usage("inbox", "unknown option");
	}
	if (optind != argc)
		return cli_usage("inbox", "unexpected argument '%s'", argv[optind]);
	if (cli_home(x, 0))
		return cli_fail(x, DP_ENOTFOUND, "run `denpo init` first", "no state directory %s", x->home);
	x->offline_ok = 1;
	/* --watch runs for days: one session (denpo/session.c), wiped however it ends */
	int ec = w ? cli_session_open(x) : cli_open_client(x);
	if (ec)
		return cli_stopping() ? EXIT_OK : ec;
	if (x->offline && w)
		return watch_offline(x);
	if (x->offline)
		return inbox_held(x);
	if (w)
		return watch(x);
	outbox_upkeep(x); /* the switch is reachable: what waited goes now */
	bind_query q = {.wait = wait};
	bind_list l;
	ec = bind_list_get(x, &q, &l);
	if (ec)
		return ec;
	if (x->json) {
		json_t *a = json_array();
		for (size_t i = 0; i < l.n; i++)
			json_array_append_new(a, cli_item_json(&l.items[i]));
		list_json(&l, a);
	} else if (l.n == 0 && l.nfailed == 0) {
		printf("no cables waiting\n");
	} else if (l.n) {
		printf("%-3s %-9s %-18s %-12s %-10s %5s  %s\n", "", "PREC", "MRN", "CLASS", "FROM", "AGE", "CABLE ID");
		for (size_t i = 0; i < l.n; i++)
			print_item(&l.items[i].it);
	}
	bind_report(l.failed, l.nfailed);
	ec = l.nfailed ? EXIT_VERIFY : EXIT_OK;
	bind_list_free(&l);
	return ec;
}

static const char archive_help[] =
	"usage: denpo archive [--before SEQ] [--limit N]\n"
	"\n"
	"Lists the cables ever addressed to this device (read or not), newest first, N\n"
	"(default 20, at most 1000) before sequence number SEQ (the SEQ column; default:\n"
	"the newest).  `denpo read` opens one; it is kept on this device once read.\n"
	"Checked as `denpo inbox` checks (a cable that fails: reported, exit 3).\n";

int cmd_archive(cli_ctx *x, int argc, char **argv)
{
	static const struct option lo[] = {
		{"before", required_argument, NULL, 'b'},
		{"limit", required_argument, NULL, 'l'},
		CLI_COMMON_OPTS,
		{NULL, 0, NULL, 0},
	};
	int o;
	uint64_t before = INT64_MAX, limit = 20;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == OPT_HELP) {
			fputs(archive_help, stdout);
			return EXIT_OK;
		}
		if (cli_common_opt(x, o, optarg))
			continue;
		if (o == 'b') {
			if (dp_num_str(&before, optarg, 1, INT64_MAX))
				return cli_usage("archive", "--before takes a sequence number (>= 1)");
		} else if (o == 'l') {
			if (dp_num_str(&limit, optarg, 1, 1000))
				return cli_usage("archive", "--limit takes 1..1000");
		} else
			return cli_usage("archive", "unknown option");
	}
	if (optind != argc)
		return cli_usage("archive", "unexpected argument '%s'", argv[optind]);
	if (cli_home(x, 0))
		return cli_fail(x, DP_ENOTFOUND, "run `denpo init` first", "no state directory %s", x->home);
	int ec = cli_open_client(x);
	if (ec)
		return ec;
	bind_query q = {.archive = 1, .before = (int64_t)before, .limit = (int)limit};
	bind_list l;
	ec = bind_list_get(x, &q, &l);
	if (ec)
		return ec;
	if (x->json) {
		json_t *a = json_array();
		for (size_t i = 0; i < l.n; i++) {
			json_t *j = cli_item_json(&l.items[i]);
			json_object_set_new(j, "seq", json_integer((json_int_t)l.items[i].it.seq));
			json_object_set_new(j, "acked", json_boolean(l.items[i].it.acked));
			json_array_append_new(a, j);
		}
		list_json(&l, a);
	} else if (l.n == 0 && l.nfailed == 0) {
		printf("no cables in the archive%s\n", before < INT64_MAX ? " before that" : "");
	} else if (l.n) {
		printf("%-8s %-9s %-18s %-12s %-10s %5s  %s\n", "SEQ", "PREC", "MRN", "CLASS", "FROM",
		       "AGE", "CABLE ID");
		for (size_t i = 0; i < l.n; i++) {
			const dp_inbox_item *it = &l.items[i].it;
			char age[32];
			cli_age_str(it->accepted, age);
			printf("%-8lld %-9s %-18s %-12s %-10s %5s  %s%s\n", (long long)it->seq,
			       dp_prec_name(it->precedence), it->mrn, dp_class_name(it->classification), it->from,
			       age, it->cable_id, it->acked ? "" : " unread");
		}
	}
	bind_report(l.failed, l.nfailed);
	ec = l.nfailed ? EXIT_VERIFY : EXIT_OK;
	bind_list_free(&l);
	return ec;
}

/* ---- read ---- */

static const char read_help[] =
	"usage: denpo read MRN|CABLE_ID [--save-attachments DIR] [--ack]\n"
	"\n"
	"Fetches the cable (or uses the local encrypted copy), decrypts it with this\n"
	"device's key and verifies it: envelope and cable signatures, the originating\n"
	"device against the directory, envelope == cable routing, that the cable\n"
	"names this device, and its MRN against its entry in the switch's transparency\n"
	"log (and the MRN given, if one was).  Any failure: nothing is displayed,\n"
	"nothing is acknowledged, exit code 3.\n"
	"Offline (the switch cannot be reached): a cable already on this device is\n"
	"read all the same, checked with what the device kept -- the originating\n"
	"device's check as it last passed here (HOME/origins, under the device's key)\n"
	"and the MRN's log entry checked before -- and a line on stderr says so\n"
	"(--json: \"verified\": {\"offline\": true, \"origin_checked\", ...}).  A cable\n"
	"not on the device cannot be read until the switch is back (exit 1).\n"
	"  --save-attachments DIR   write the attachments into DIR (never overwrites)\n"
	"  --ack                    acknowledge it after displaying\n";

static json_t *names_json(const char (*l)[DP_NAME_MAX + 1], size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(l[i]));
	return a;
}

json_t *cli_cable_json(const dp_cable *c, const char *id, const char *mrn)
{
	char dev[65], dtg[16];
	dp_hex_encode(dev, c->from_device, 32);
	dp_dtg_format(c->created, dtg);
	json_t *refs = json_array(), *atts = json_array();
	for (size_t i = 0; i < c->nrefs; i++)
		json_array_append_new(refs, json_string(c->refs[i]));
	for (size_t i = 0; i < c->natts; i++)
		json_array_append_new(atts, json_pack("{s:s, s:I}", "name", c->atts[i].name, "size",
						      (json_int_t)c->atts[i].len));
	json_t *j = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:o,"
			      " s:s, s:s, s:o}",
			      "cable_id", id, "mrn", mrn, "classification", dp_class_name(c->classification),
			      "captions", names_json(c->captions, c->ncaptions), "precedence",
			      dp_prec_name(c->prec_action), "info_precedence", dp_prec_name(c->prec_info),
			      "created", (json_int_t)c->created, "dtg", dtg, "from", c->from, "from_device", dev,
			      "to", names_json(c->to, c->nto), "info", names_json(c->info, c->ninfo), "attn",
			      names_json(c->attn, c->nattn), "tags", names_json(c->tags, c->ntags), "subject",
			      c->subject, "refs", refs, "declassify_on", c->declassify_on, "classified_by",
			      c->classified_by, "attachments", atts);
	if (j) {
		json_object_set_new(j, "declassify_event", json_string(c->declassify_event));
		json_object_set_new(j, "retention", json_string(c->retention));
		json_t *b = json_stringn((const char *)c->body, c->body_len);
		json_object_set_new(j, "body", b ? b : json_null());
	}
	return j;
}

/* {"offline": bool, "log_index", "log_size"[, "origin_checked"]}: how the cable was checked. */
static json_t *checked_json(const cli_checked *how)
{
	json_t *j = json_pack("{s:b, s:I, s:I}", "offline", how->offline, "log_index", (json_int_t)how->index,
			      "log_size", (json_int_t)how->log_size);
	if (j && how->offline)
		json_object_set_new(j, "origin_checked", json_integer((json_int_t)how->origin_checked));
	return j;
}

static int save_atts(cli_ctx *x, const dp_cable *c, const char *dir)
{
	for (size_t i = 0; i < c->natts; i++) {
		char p[PATH_MAX];
		if (snprintf(p, sizeof p, "%s/%s", dir, c->atts[i].name) >= (int)sizeof p)
			return cli_fail(x, DP_EINVAL, NULL, "path too long for attachment %s", c->atts[i].name);
		int r = dp_write_file(p, c->atts[i].data, c->atts[i].len, 0600, 1);
		if (r)
			return cli_fail(x, r, r == DP_EEXISTS ? "choose an empty directory" : NULL,
					"cannot save attachment %s", p);
		fprintf(stderr, "saved %s (%zu bytes)\n", p, c->atts[i].len);
	}
	return EXIT_OK;
}

int cli_one_ref(cli_ctx *x, const char *cmd, int argc, char **argv, char id[DP_HEXID],
		char asked[DP_MRN_MAX + 1])
{
	asked[0] = 0;
	if (optind + 1 != argc)
		return cli_usage(cmd, "give exactly one MRN (\"26 HQ 000012\") or cable id");
	if (cli_home(x, 0))
		return cli_fail(x, DP_ENOTFOUND, "run `denpo init` first", "no state directory %s", x->home);
	int ec = cli_open_client(x);
	if (ec)
		return ec;
	int r = cli_ref_to_id(x, argv[optind], id);
	if (r == DP_EINVAL)
		return cli_usage(cmd, "'%s' is neither an MRN (\"26 HQ 000012\") nor a cable id", argv[optind]);
	if (r == DP_ESTATE)
		return EXIT_ERR; /* reported */
	if (r && (x->offline || cli_unreachable(x, r)))
		return cli_fail(x, r, "read it once the switch is reachable",
				"cable %s is not on this device, and the switch cannot be reached", argv[optind]);
	if (r)
		return cli_fail(x, r, "check `denpo inbox` or `denpo sent`", "cannot find cable %s", argv[optind]);
	if (cli_ref_mrn(argv[optind], asked))
		asked[0] = 0; /* a cable id */
	return EXIT_OK;
}

int cmd_read(cli_ctx *x, int argc, char **argv)
{
	static const struct option lo[] = {
		{"save-attachments", required_argument, NULL, 's'},
		{"ack", no_argument, NULL, 'a'},
		CLI_COMMON_OPTS,
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL;
	int o, ack = 0;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == OPT_HELP) {
			fputs(read_help, stdout);
			return EXIT_OK;
		}
		if (cli_common_opt(x, o, optarg))
			continue;
		if (o == 's')
			dir = optarg;
		else if (o == 'a')
			ack = 1;
		else
			return cli_usage("read", "unknown option");
	}
	struct stat sb;
	if (dir && (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode) || access(dir, W_OK) != 0))
		return cli_usage("read", "--save-attachments %s: not a writable directory (create it first)", dir);
	char id[DP_HEXID], mrn[DP_MRN_MAX + 1] = "", asked[DP_MRN_MAX + 1];
	int64_t accepted = 0;
	x->offline_ok = 1;
	int ec = cli_one_ref(x, "read", argc, argv, id, asked);
	if (ec)
		return ec;
	outbox_upkeep(x); /* nothing when offline */
	dp_envelope e;
	dp_cable c;
	dp_envelope_init(&e);
	dp_cable_init(&c);
	cli_checked how;
	char line[512];
	ec = cli_open_cable_how(x, id, asked, &e, &c, mrn, &accepted, &how);
	if (!ec && how.offline) {
		cli_checked_str(&how, line, sizeof line);
		fprintf(stderr, "denpo: %s\n", line);
	}
	if (!ec) {
		if (x->json) {
			json_t *j = cli_cable_json(&c, id, mrn);
			if (j) {
				json_object_set_new(j, "accepted", json_integer((json_int_t)accepted));
				json_object_set_new(j, "verified", checked_json(&how));
			}
			dp_json_print(j);
		} else {
			dp_buf out;
			dp_buf_init(&out, (size_t)DP_MAX_BODY * 2 + 65536);
			int r = dp_cable_render_marked(&c, mrn[0] ? mrn : NULL, cli_markings(x), &out);
			if (r)
				ec = cli_fail(x, r, NULL, "cannot render cable %s", id);
			else
				fwrite(out.p, 1, out.len, stdout);
			dp_buf_free(&out);
		}
	}
	if (!ec && dir)
		ec = save_atts(x, &c, dir);
	if (!ec && ack) {
		int64_t at;
		int r = cli_ack(x, id, &at);
		if (r)
			ec = cli_fail(x, r, "run `denpo ack` again later", "cannot acknowledge %s", id);
	}
	dp_envelope_free(&e);
	dp_cable_free(&c);
	return ec;
}

/* ---- ack ---- */

/*
 * Acknowledge a cable, but only once it is kept on the device: after the
 * ack the switch no longer counts it as queued, so its epoch key may be
 * erased.  The local mark cache/ID.acked lets `denpo purge` know the
 * cable is acknowledged without asking the switch.
 */
int cli_ack(cli_ctx *x, const char *id, int64_t *at)
{
	int w;
	int r = cli_keep_cable(x, id, &w);
	if (!r)
		r = dp_client_ack(x->cl, id, at);
	if (!r) {
		char p[PATH_MAX];
		cli_cache_path(x, id, "acked", p);
		char t[32];
		int n = snprintf(t, sizeof t, "%lld\n", (long long)*at);
		if (dp_write_file(p, t, (size_t)n, 0600, 0))
			fprintf(stderr, "denpo: warning: cannot mark %s acknowledged locally; `denpo purge` "
					"will keep it\n", id);
	}
	return r;
}

static const char ack_help[] =
	"usage: denpo ack MRN|CABLE_ID\n\nRecords the read receipt and removes the cable from your queue.\n"
	"The cable is first stored on this device (fetched if need be, with its key\n"
	"sealed under the device's storage key), so it stays readable after its key\n"
	"epoch is erased; if that fails, nothing is acknowledged.\n";

int cmd_ack(cli_ctx *x, int argc, char **argv)
{
	static const struct option lo[] = {CLI_COMMON_OPTS, {NULL, 0, NULL, 0}};
	int o;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == OPT_HELP) {
			fputs(ack_help, stdout);
			return EXIT_OK;
		}
		if (!cli_common_opt(x, o, optarg))
			return cli_usage("ack", "unknown option");
	}
	char id[DP_HEXID], asked[DP_MRN_MAX + 1];
	int ec = cli_one_ref(x, "ack", argc, argv, id, asked);
	if (ec)
		return ec;
	if (asked[0]) {
		/* acknowledge the cable the officer named: its logged MRN must be the one given */
		bind_claim cl;
		bind_logged lg;
		bind_claim_init(&cl);
		cl.asked = asked;
		if ((ec = bind_cable(x, id, &cl, NULL, NULL, 0, &lg)))
			return ec;
	}
	int64_t at;
	int r = cli_ack(x, id, &at);
	if (r)
		return cli_fail(x, r, "nothing was acknowledged; try again", "cannot acknowledge %s",
				argv[argc - 1]);
	if (x->json)
		dp_json_print(json_pack("{s:s, s:I}", "cable_id", id, "acked", (json_int_t)at));
	else
		printf("acknowledged %s\n", argv[argc - 1]);
	return EXIT_OK;
}
