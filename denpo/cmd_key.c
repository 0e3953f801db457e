/*
 * denpo/cmd_key.c - `denpo key`: this device's key epochs (status, rotate,
 * publish ahead) and `export-identity`; and `denpo purge`, which removes
 * the device's own copies of acknowledged cables.
 *
 * export-identity hands the age identities to another age implementation
 * (interoperability checks, recovery).  The secret keys leave the keystore
 * in clear text, so the command needs the passphrase, writes only to a new
 * 0600 file (O_EXCL, never stdout) and warns on stderr.
 */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "denpo/archive.h"
#include "denpo/cli.h"
#include "denpo/num.h"

static const char key_help[] =
	"usage: denpo key [status]\n"
	"       denpo key rotate\n"
	"       denpo key publish [--lookahead DAYS]\n"
	"       denpo key export-identity --out FILE\n"
	"       denpo key passphrase [--new-passphrase-file FILE]\n"
	"\n"
	"Cables reach this device encrypted to short-lived post-quantum keys, one per\n"
	"key epoch (a new one every day, valid 25 hours), each signed by the device and\n"
	"published to the switch a week ahead.  Once the switch accepts no more cables\n"
	"for an epoch and every cable queued for it is stored on this device, the\n"
	"epoch's secret key is erased: a copy of this device taken later cannot open\n"
	"the switch's copies of earlier cables (forward secrecy).  A records device\n"
	"(role RECORDS) keeps it instead, in its archive's key file, so the archive\n"
	"opens every record copy for as long as it keeps them.  Every command that\n"
	"contacts the switch does this upkeep first; these subcommands show or force it.\n"
	"\n"
	"  status            do the upkeep, then list the epochs this device holds\n"
	"  rotate            start a new epoch now (current at once): after a suspected\n"
	"                    compromise of the device, or to test\n"
	"  publish           do the upkeep with a longer lookahead, before a planned\n"
	"    --lookahead DAYS  outage: the switch keeps accepting cables for this device\n"
	"                    for DAYS (1..14, default 7) without it connecting\n"
	"  export-identity --out FILE\n"
	"                    write this device's post-quantum age identities\n"
	"                    (AGE-SECRET-KEY-PQ-1..., mlkem768x25519, one per held key\n"
	"                    epoch, each after a comment line) to FILE, a NEW file with\n"
	"                    mode 0600.  An age implementation that supports\n"
	"                    mlkem768x25519 (e.g. typage, the age-encryption npm package)\n"
	"                    can then decrypt the payload of a cable addressed to this\n"
	"                    device at a held epoch.  FILE holds secret keys in clear:\n"
	"                    keep it off shared disks and shred it after use.\n"
	"  passphrase        change the keystore's passphrase (no switch needed).  The\n"
	"                    new one comes from FILE's first line, else is asked twice on\n"
	"                    the terminal, and must pass the same checks as at `denpo\n"
	"                    init` (libpwquality: at least 12 characters, no dictionary\n"
	"                    word, not like the current one).  Copies of the old\n"
	"                    keystore.age (backups) still open with the old passphrase.\n"
	"All need the keystore passphrase.\n";

/* The identity file: "# denpo device identity of OFFICER, key epoch N\nAGE-SECRET-KEY-PQ-1...\n" per epoch. */
static int export_identities(const dp_keystore *ks, const char *officer, dp_buf *out, size_t *count)
{
	*count = 0;
	dp_buf line;
	dp_buf_init(&line, 256);
	int r = DP_OK;
	for (size_t i = 0; i < ks->nage && !r; i++) {
		char head[160];
		if (ks->age[i].type != DP_AGE_MLKEM768X25519)
			continue; /* cable keys are post-quantum; a keystore holds no other kind */
		int n = snprintf(head, sizeof head, "# denpo device identity of %s, key epoch %u\n", officer,
				 (unsigned)ks->epoch[i]);
		dp_buf_reset(&line);
		r = dp_buf_append(out, head, (size_t)n);
		r = r ? r : dp_age_identity_format(&ks->age[i], &line);
		r = r ? r : dp_buf_append(out, line.p, line.len);
		r = r ? r : dp_buf_append(out, "\n", 1);
		(*count)++;
	}
	dp_buf_free(&line); /* wipes */
	if (!r && out->len == 0)
		r = DP_EUNSUPP;
	return r;
}

static void tstr(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%MZ", &tm);
}

static const char *epoch_state(const dp_keystore *ks, size_t i, int64_t now, int64_t cur)
{
	if (!(ks->flags[i] & DP_KS_PUBLISHED))
		return ks->not_after[i] <= now ? "expired, never published" : "not yet published";
	if (ks->epoch[i] == cur && cur >= 0)
		return "current";
	if (ks->not_before[i] > now)
		return "ahead";
	if (ks->not_after[i] + DP_EPOCH_SKEW <= now)
		return "closed, cables to fetch";
	return "valid";
}

static int key_status(cli_ctx *x, const cli_maint *m)
{
	const dp_keystore *ks = x->ks;
	int64_t now = dp_now(), cur = -1;
	/* the current epoch: the highest published one whose window holds now */
	for (size_t i = 0; i < ks->nage; i++)
		if ((ks->flags[i] & DP_KS_PUBLISHED) && ks->not_before[i] <= now && now < ks->not_after[i])
			cur = ks->epoch[i];
	int kept_rc = DP_OK;
	size_t kept = archive_is_records(x) ? archive_keys_count(x, &kept_rc) : 0;
	if (x->json) {
		json_t *a = json_array();
		for (size_t i = 0; i < ks->nage; i++)
			json_array_append_new(a, json_pack("{s:I, s:I, s:I, s:b, s:s}", "epoch",
							   (json_int_t)ks->epoch[i], "not_before",
							   (json_int_t)ks->not_before[i], "not_after",
							   (json_int_t)ks->not_after[i], "published",
							   (ks->flags[i] & DP_KS_PUBLISHED) != 0,
							   "state", epoch_state(ks, i, now, cur)));
		json_t *j = json_pack("{s:o, s:{s:I, s:I, s:I, s:I}}", "epochs", a, "upkeep", "generated",
				      (json_int_t)m->generated, "published", (json_int_t)m->published, "erased",
				      (json_int_t)m->erased, "rewrapped", (json_int_t)m->wrapped);
		if (j && kept_rc == DP_OK && archive_is_records(x))
			json_object_set_new(j, "archive_keys", json_integer((json_int_t)kept));
		dp_json_print(j);
		return EXIT_OK;
	}
	printf("%-6s %-17s %-17s %s\n", "EPOCH", "VALID FROM", "UNTIL", "STATE");
	for (size_t i = 0; i < ks->nage; i++) {
		char a[32], b[32];
		tstr(ks->not_before[i], a);
		tstr(ks->not_after[i], b);
		printf("%-6u %-17s %-17s %s\n", (unsigned)ks->epoch[i], a, b, epoch_state(ks, i, now, cur));
	}
	printf("upkeep: %zu generated, %zu published, %zu erased, %zu cables re-wrapped\n", m->generated,
	       m->published, m->erased, m->wrapped);
	if (archive_is_records(x))
		printf("records device: %zu closed epoch keys kept in the archive (HOME/archive/keys)%s\n", kept,
		       kept_rc ? ", which cannot be read" : "");
	return EXIT_OK;
}

static int key_export(cli_ctx *x, const char *out)
{
	if (!out)
		return cli_usage("key", "--out FILE is required (a new file; the keys are never printed)");
	int ec = cli_load_keys(x);
	if (ec)
		return ec;
	char officer[DP_NAME_MAX + 1] = "this device";
	if (cli_load_answer(x) == EXIT_OK)
		snprintf(officer, sizeof officer, "%s", x->ans.officer);
	dp_buf b;
	dp_buf_init(&b, 32768);
	size_t n = 0;
	int r = export_identities(x->ks, officer, &b, &n);
	if (!r)
		r = dp_write_file(out, b.p, b.len, 0600, 1);
	dp_buf_free(&b); /* wipes the clear-text keys */
	if (r)
		return cli_fail(x, r, r == DP_EEXISTS ? "choose a new file name; an existing file is never overwritten"
						       : NULL,
				"cannot export the identities to %s", out);
	fprintf(stderr, "denpo: WARNING: %s now holds this device's SECRET keys in clear text;\n"
			"  anyone with the file reads every cable sent to this device. Shred it after use.\n",
		out);
	if (x->json)
		dp_json_print(json_pack("{s:s, s:I}", "file", out, "identities", (json_int_t)n));
	else
		printf("exported %zu identit%s to %s\n", n, n == 1 ? "y" : "ies", out);
	return EXIT_OK;
}

/* `denpo key passphrase`: the keystore re-saved under a new passphrase that passes the checks. */
static int key_passphrase(cli_ctx *x, const char *newfile)
{
	int ec = cli_load_keys(x);
	if (ec)
		return ec;
	char rpath[PATH_MAX], kpath[PATH_MAX], *pass;
	size_t plen;
	dp_buf q;
	dp_enrol_request rq;
	cli_path(x, rpath, "enrol-request.txt");
	cli_path(x, kpath, "keystore.age");
	dp_buf_init(&q, DP_ENROL_MAX);
	int known = !dp_read_file(rpath, &q) && !dp_enrol_request_decode(&rq, q.p, q.len);
	dp_buf_free(&q);
	/* the officer's handle, if the request says it, must not be in the passphrase */
	if ((ec = cli_passphrase_new(x, newfile, x->pass, known ? rq.officer : NULL, &pass, &plen)))
		return ec;
	int r = cli_keys_repass(x, pass, plen);
	if (r)
		return cli_fail(x, r, "the keystore still opens with the old passphrase",
				"cannot save the keystore %s", kpath);
	if (x->json)
		dp_json_print(json_pack("{s:s, s:b}", "keystore", kpath, "changed", 1));
	else
		printf("the passphrase of %s is changed; backups made before still open with the old one\n",
		       kpath);
	return EXIT_OK;
}

int cmd_key(cli_ctx *x, int argc, char **argv)
{
	static const struct option lo[] = {
		{"out", required_argument, NULL, 'o'},
		{"lookahead", required_argument, NULL, 'l'},
		{"new-passphrase-file", required_argument, NULL, 'n'},
		CLI_COMMON_OPTS,
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL, *newfile = NULL;
	long days = DP_EPOCH_LOOKAHEAD / 86400;
	int o;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == OPT_HELP) {
			fputs(key_help, stdout);
			return EXIT_OK;
		}
		if (cli_common_opt(x, o, optarg))
			continue;
		if (o == 'o')
			out = optarg;
		else if (o == 'n')
			newfile = optarg;
		else if (o == 'l') {
			/* "30" or "30d" */
			size_t n = strlen(optarg);
			uint64_t v;
			n -= n > 1 && optarg[n - 1] == 'd';
			if (dp_num_u64(&v, optarg, n, 1, DP_EPOCH_MAX_LOOKAHEAD / 86400))
				return cli_usage("key", "--lookahead takes a number of days, 1..%d",
						 DP_EPOCH_MAX_LOOKAHEAD / 86400);
			days = (long)v;
		} else
			return cli_usage("key", "unknown option");
	}
	const char *sub = optind < argc ? argv[optind] : "status";
	if (optind + 1 < argc)
		return cli_usage("key", "unexpected argument '%s'", argv[optind + 1]);
	int export = !strcmp(sub, "export-identity"), rotate = !strcmp(sub, "rotate");
	int repass = !strcmp(sub, "passphrase");
	if (!export && !rotate && !repass && strcmp(sub, "status") && strcmp(sub, "publish"))
		return cli_usage("key", "unknown subcommand '%s' (status, rotate, publish, export-identity, "
					"passphrase)", sub);
	if (out && !export)
		return cli_usage("key", "--out goes with export-identity");
	if (newfile && !repass)
		return cli_usage("key", "--new-passphrase-file goes with passphrase");
	if (days != DP_EPOCH_LOOKAHEAD / 86400 && strcmp(sub, "publish"))
		return cli_usage("key", "--lookahead goes with publish");
	if (cli_home(x, 0))
		return cli_fail(x, DP_ENOTFOUND, "run `denpo init` first", "no state directory %s", x->home);
	if (export)
		return key_export(x, out);
	if (repass)
		return key_passphrase(x, newfile);
	x->no_maint = 1; /* run here, with its errors reported as errors */
	int ec = cli_open_client(x);
	if (ec)
		return ec;
	cli_maint m;
	int r = cli_keys_maintain(x, (int64_t)days * 86400, rotate, &m);
	if (r == DP_ESTATE)
		return cli_fail(x, r, "the switch's message says which rule; if it is about an epoch not "
				      "higher than the published ones, this keystore is an old copy: enrol "
				      "a new device instead",
				"the switch refused this device's key");
	if (r)
		return cli_fail(x, r, "the keys are saved; the upkeep resumes with the next command",
				"key upkeep did not finish (%zu generated, %zu published, %zu erased)",
				m.generated, m.published, m.erased);
	return key_status(x, &m);
}

/* ---- purge ---- */

static const char purge_help[] =
	"usage: denpo purge [--older-than DAYS] [MRN|CABLE_ID ...]\n"
	"\n"
	"Removes this device's own copies of cables it acknowledged (the cable as\n"
	"received and the key that opens it).  Once purged -- and once its key epoch is\n"
	"erased -- nothing on this device opens the cable any more; the originating\n"
	"officer and the other recipients keep theirs.  A cable this device has not\n"
	"acknowledged (`denpo ack`, `denpo read --ack`) is never purged.\n"
	"  --older-than DAYS  purge every acknowledged cable fetched DAYS or more ago\n"
	"                     (0 = all acknowledged cables)\n";

static int purge_one(cli_ctx *x, const char *id)
{
	static const char *const ext[] = {"key", "cable", "mrn", "bad", "acked"};
	int gone = 0;
	for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		char p[PATH_MAX];
		cli_cache_path(x, id, ext[i], p);
		int u = unlink(p) == 0; /* the key first: without it the rest opens nothing */
		gone |= u && i < 2;
	}
	return gone;
}

int cmd_purge(cli_ctx *x, int argc, char **argv)
{
	static const struct option lo[] = {
		{"older-than", required_argument, NULL, 'o'},
		CLI_COMMON_OPTS,
		{NULL, 0, NULL, 0},
	};
	long days = -1;
	int o;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == OPT_HELP) {
			fputs(purge_help, stdout);
			return EXIT_OK;
		}
		if (cli_common_opt(x, o, optarg))
			continue;
		if (o == 'o') {
			uint64_t v;
			if (dp_num_str(&v, optarg, 0, 36500))
				return cli_usage("purge", "--older-than takes a number of days, 0..36500");
			days = (long)v;
		} else
			return cli_usage("purge", "unknown option");
	}
	if ((days < 0) == (optind == argc))
		return cli_usage("purge", "name the cables or give --older-than DAYS (not both)");
	if (cli_home(x, 0))
		return cli_fail(x, DP_ENOTFOUND, "run `denpo init` first", "no state directory %s", x->home);
	char (*ids)[DP_HEXID] = NULL;
	size_t nids = 0, cap = 0, purged = 0;
	if (days >= 0) {
		char dpath[PATH_MAX];
		cli_path(x, dpath, "cache");
		DIR *d = opendir(dpath);
		struct dirent *de;
		time_t cut = (time_t)(dp_now() - days * 86400);
		while (d && (de = readdir(d))) {
			size_t l = strlen(de->d_name);
			if (l != 38 || strcmp(de->d_name + 32, ".cable"))
				continue;
			struct stat st;
			if (fstatat(dirfd(d), de->d_name, &st, 0) || st.st_mtime > cut)
				continue;
			if (nids == cap) {
				cap = cap ? 2 * cap : 64;
				void *q = realloc(ids, cap * sizeof *ids);
				if (!q)
					break;
				ids = q;
			}
			memcpy(ids[nids], de->d_name, 32);
			ids[nids++][32] = 0;
		}
		if (d)
			closedir(d);
	} else {
		ids = calloc((size_t)(argc - optind), sizeof *ids);
		for (int i = optind; ids && i < argc; i++) {
			int r = cli_ref_to_id(x, argv[i], ids[nids]);
			if (r) {
				free(ids);
				return cli_fail(x, r, "check the reference with `denpo inbox` or `denpo sent`",
						"no cable %s", argv[i]);
			}
			nids++;
		}
	}
	for (size_t i = 0; i < nids; i++) {
		/* only what this device acknowledged (it keeps a mark): never a queued cable */
		char p[PATH_MAX];
		cli_cache_path(x, ids[i], "acked", p);
		if (access(p, F_OK) != 0) {
			fprintf(stderr, "denpo: %s is not acknowledged: kept (run `denpo ack` first)\n", ids[i]);
			continue;
		}
		purged += (size_t)purge_one(x, ids[i]);
	}
	free(ids);
	if (x->json)
		dp_json_print(json_pack("{s:I}", "purged", (json_int_t)purged));
	else
		printf("purged %zu cable%s\n", purged, purged == 1 ? "" : "s");
	return EXIT_OK;
}
