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

#include "denpo/cli.h"
#include "denpo/encoding.h"
#include "denpo/num.h"
#include "denpo/seal.h"

int cli_open_cable(cli_ctx *x, const char *id, dp_envelope *e, dp_cable *c, char mrn[DP_MRN_MAX + 1])
{
	dp_buf sub;
	dp_buf_init(&sub, (size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4);
	int cached = cli_cache_get(x, id, &sub, mrn) == DP_OK;
	int r = DP_OK, ec = EXIT_OK, have_fk = 0;
	uint8_t fk[DP_AGE_FILE_KEY] = {0};
	if (!cached) {
		dp_buf_reset(&sub);
		sub.len = 0;
		r = dp_client_fetch(x->cl, id, &sub, mrn);
		if (r) {
			ec = cli_fail(x, r, r == DP_ENOTFOUND ? "check the id with `denpo inbox`" : NULL,
				      "cannot fetch cable %s", id);
			goto out;
		}
		if (mrn[0] && !dp_mrn_ok(mrn))
			mrn[0] = 0; /* not a reference number: show none rather than junk */
	}
	const char *why = "";
	/* a fetched cable opens with its sealed file key: its epoch key may be erased */
	have_fk = cached && cli_fk_get(x, id, sub.p, sub.len, fk) == DP_OK;
	r = seal_open(sub.p, sub.len, x->ks->age, x->ks->nage, have_fk ? fk : NULL, fk,
		      x->ks->sign_pk, e, c, &why);
	if (r) {
		dp_wipe(fk, sizeof fk);
		cli_fail(x, r, "the cable is NOT displayed; report its id to security operations",
			 "cable %s failed verification: %s", id, why);
		ec = EXIT_VERIFY; /* malformed bytes included: `denpo read --help` promises 3 */
		goto out;
	}
	char hex[DP_HEXID];
	dp_hex_encode(hex, c->id, DP_CABLE_ID);
	if (strcmp(hex, id) != 0) {
		ec = cli_fail(x, DP_ESIG, "the cable is NOT displayed; report its id to security operations",
			      "the switch returned cable %s when %s was asked for", hex, id);
		goto out;
	}
	/* the originating device must be the directory's device of the From post */
	dp_device_info d;
	r = dp_client_device(x->cl, c->from_device, &d);
	if (r == DP_ENOTFOUND) {
		ec = cli_fail(x, DP_ESIG, "the cable is NOT displayed; report its id to security operations",
			      "cable %s is signed by a device the directory does not know", id);
		goto out;
	}
	if (r) {
		ec = cli_fail(x, r, "retry when the switch is reachable",
			      "cannot check the originating device of cable %s", id);
		goto out;
	}
	if (memcmp(d.sign_key, c->from_device, DP_ED25519_PK) != 0 || strcmp(d.post, c->from) != 0) {
		ec = cli_fail(x, DP_ESIG, "the cable is NOT displayed; report its id to security operations",
			      "cable %s claims post %s but its signing device belongs to %s (%s)", id, c->from,
			      d.post, d.officer);
		goto out;
	}
	if (strcmp(d.status, "active") != 0)
		fprintf(stderr, "denpo: note: the originating device (%s, %s) is now %s\n", d.officer, d.post,
			d.status);
	if (!cached && (r = cli_cache_put(x, id, sub.p, sub.len, mrn)))
		fprintf(stderr, "denpo: warning: cannot cache the cable: %s\n", cli_strerror(x, r));
	else if (!have_fk && (r = cli_fk_put(x, id, sub.p, sub.len, fk)))
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
	"Lists the cables waiting for this device, FLASH first, then by time.\n"
	"  --wait N   if the queue is empty, wait up to N seconds (<= 60) for a cable\n"
	"  --watch    keep waiting and print each new cable; rings the bell on FLASH\n";

static void print_item(const dp_inbox_item *it)
{
	char age[32];
	cli_age_str(it->accepted, age);
	printf("%-3s %-9s %-18s %-12s %-10s %5s  %s%s\n", it->precedence == DP_PREC_FLASH ? "!!" : "",
	       dp_prec_name(it->precedence), it->mrn, dp_class_name(it->classification), it->from, age,
	       it->cable_id, it->fetched ? "" : " new");
}

static json_t *item_json(const dp_inbox_item *it)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:b}", "cable_id", it->cable_id, "mrn",
			 it->mrn, "precedence", dp_prec_name(it->precedence), "role",
			 it->role == DP_ROLE_INFO ? "info" : "action", "classification",
			 dp_class_name(it->classification), "from", it->from, "accepted",
			 (json_int_t)it->accepted, "size", (json_int_t)it->size, "fetched", it->fetched);
}

static int watch(cli_ctx *x)
{
	/*
	 * Print every cable once, as it arrives: each long-poll asks for cables
	 * newer than the highest seq seen, so a backlog never delays a FLASH.
	 */
	int64_t after = 0, last_upkeep = dp_now();
	for (;;) {
		dp_inbox_item *it;
		size_t n;
		int r = dp_client_inbox_after(x->cl, 60, after, &it, &n);
		if (r)
			return cli_fail(x, r, NULL, "cannot read the inbox");
		int64_t top = after;
		for (size_t i = 0; i < n; i++) {
			if (it[i].seq > top)
				top = it[i].seq;
			if (it[i].seq <= after)
				continue; /* shown already */
			if (x->json)
				cli_json_print(item_json(&it[i]));
			else {
				if (it[i].precedence == DP_PREC_FLASH)
					fputc('\a', stdout);
				print_item(&it[i]);
			}
			fflush(stdout);
		}
		free(it);
		after = top;
		/* a watching device stays up for days: keep its key epochs current (at most once a minute) */
		int64_t now = dp_now();
		if (now - last_upkeep >= 60) {
			last_upkeep = now;
			int ec = cli_log_upkeep(x); /* and witness the log: a fork stops the watch */
			if (ec)
				return ec;
			cli_keys_upkeep(x);
		}
	}
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
	int ec = cli_open_client(x);
	if (ec)
		return ec;
	if (w)
		return watch(x);
	dp_inbox_item *it;
	size_t n;
	int r = dp_client_inbox(x->cl, wait, &it, &n);
	if (r)
		return cli_fail(x, r, NULL, "cannot read the inbox");
	if (x->json) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, item_json(&it[i]));
		cli_json_print(json_pack("{s:o}", "cables", a));
	} else if (n == 0) {
		printf("no cables waiting\n");
	} else {
		printf("%-3s %-9s %-18s %-12s %-10s %5s  %s\n", "", "PREC", "MRN", "CLASS", "FROM", "AGE", "CABLE ID");
		for (size_t i = 0; i < n; i++)
			print_item(&it[i]);
	}
	free(it);
	return EXIT_OK;
}

static const char archive_help[] =
	"usage: denpo archive [--before SEQ] [--limit N]\n"
	"\n"
	"Lists the cables ever addressed to this device (read or not), newest first, N\n"
	"(default 20, at most 1000) before sequence number SEQ (the SEQ column; default:\n"
	"the newest).  `denpo read` opens one; it is kept on this device once read.\n";

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
	dp_inbox_item *it;
	size_t n;
	int r = dp_client_archive(x->cl, (int64_t)before, (int)limit, &it, &n);
	if (r)
		return cli_fail(x, r, NULL, "cannot read the archive");
	if (x->json) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++) {
			json_t *j = item_json(&it[i]);
			json_object_set_new(j, "seq", json_integer((json_int_t)it[i].seq));
			json_object_set_new(j, "acked", json_boolean(it[i].acked));
			json_array_append_new(a, j);
		}
		cli_json_print(json_pack("{s:o}", "cables", a));
	} else if (n == 0) {
		printf("no cables in the archive%s\n", before < INT64_MAX ? " before that" : "");
	} else {
		printf("%-8s %-9s %-18s %-12s %-10s %5s  %s\n", "SEQ", "PREC", "MRN", "CLASS", "FROM",
		       "AGE", "CABLE ID");
		for (size_t i = 0; i < n; i++) {
			char age[32];
			cli_age_str(it[i].accepted, age);
			printf("%-8lld %-9s %-18s %-12s %-10s %5s  %s%s\n", (long long)it[i].seq,
			       dp_prec_name(it[i].precedence), it[i].mrn,
			       dp_class_name(it[i].classification), it[i].from, age, it[i].cable_id,
			       it[i].acked ? "" : " unread");
		}
	}
	free(it);
	return EXIT_OK;
}

/* ---- read ---- */

static const char read_help[] =
	"usage: denpo read MRN|CABLE_ID [--save-attachments DIR] [--ack]\n"
	"\n"
	"Fetches the cable (or uses the local encrypted copy), decrypts it with this\n"
	"device's key and verifies it: envelope and cable signatures, the originating\n"
	"device against the directory, envelope == cable routing, and that the cable\n"
	"names this device.  Any failure: nothing is displayed, exit code 3.\n"
	"  --save-attachments DIR   write the attachments into DIR (never overwrites)\n"
	"  --ack                    acknowledge it after displaying\n";

static json_t *names_json(const char (*l)[DP_NAME_MAX + 1], size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(l[i]));
	return a;
}

static json_t *cable_json(const dp_cable *c, const char *id, const char *mrn)
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
		json_t *b = json_stringn((const char *)c->body, c->body_len);
		json_object_set_new(j, "body", b ? b : json_null());
	}
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

int cli_one_ref(cli_ctx *x, const char *cmd, int argc, char **argv, char id[DP_HEXID])
{
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
	if (r)
		return cli_fail(x, r, "check `denpo inbox` or `denpo sent`", "cannot find cable %s", argv[optind]);
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
	char id[DP_HEXID], mrn[DP_MRN_MAX + 1] = "";
	int ec = cli_one_ref(x, "read", argc, argv, id);
	if (ec)
		return ec;
	dp_envelope e;
	dp_cable c;
	dp_envelope_init(&e);
	dp_cable_init(&c);
	ec = cli_open_cable(x, id, &e, &c, mrn);
	if (!ec) {
		if (x->json) {
			cli_json_print(cable_json(&c, id, mrn));
		} else {
			dp_buf out;
			dp_buf_init(&out, (size_t)DP_MAX_BODY * 2 + 65536);
			int r = dp_cable_render(&c, mrn[0] ? mrn : NULL, &out);
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
	char id[DP_HEXID];
	int ec = cli_one_ref(x, "ack", argc, argv, id);
	if (ec)
		return ec;
	int64_t at;
	int r = cli_ack(x, id, &at);
	if (r)
		return cli_fail(x, r, "nothing was acknowledged; try again", "cannot acknowledge %s",
				argv[argc - 1]);
	if (x->json)
		cli_json_print(json_pack("{s:s, s:I}", "cable_id", id, "acked", (json_int_t)at));
	else
		printf("acknowledged %s\n", argv[argc - 1]);
	return EXIT_OK;
}
