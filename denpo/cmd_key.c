/*
 * denpo/cmd_key.c - `denpo key export-identity`: hand this device's age
 * identities to another age implementation (interoperability checks,
 * recovery).  The secret keys leave the keystore in clear text, so the
 * command needs the passphrase, writes only to a new 0600 file (O_EXCL,
 * never stdout) and warns on stderr.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "denpo/cli.h"

static const char key_help[] =
	"usage: denpo key export-identity --out FILE\n"
	"\n"
	"Writes this device's post-quantum age identities (AGE-SECRET-KEY-PQ-1...,\n"
	"mlkem768x25519, one per key epoch, each after a comment line) to FILE, a NEW\n"
	"file created with mode 0600.  An age implementation that supports\n"
	"mlkem768x25519 (e.g. typage, the age-encryption npm package) can then\n"
	"decrypt the payload of a cable addressed to this device; one without\n"
	"post-quantum support cannot.  Needs the keystore passphrase.\n"
	"FILE holds the device's secret keys in clear: keep it off shared disks and\n"
	"shred it after use.\n";

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

int cmd_key(cli_ctx *x, int argc, char **argv)
{
	static const struct option lo[] = {
		{"out", required_argument, NULL, 'o'},
		CLI_COMMON_OPTS,
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL;
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
		else
			return cli_usage("key", "unknown option");
	}
	if (optind >= argc || strcmp(argv[optind], "export-identity") != 0)
		return cli_usage("key", "the only subcommand is export-identity");
	if (optind + 1 != argc)
		return cli_usage("key", "unexpected argument '%s'", argv[optind + 1]);
	if (!out)
		return cli_usage("key", "--out FILE is required (a new file; the keys are never printed)");
	if (cli_home(x, 0))
		return cli_fail(x, DP_ENOTFOUND, "run `denpo init` first", "no state directory %s", x->home);
	int ec = cli_load_keys(x);
	if (ec)
		return ec;
	char officer[DP_NAME_MAX + 1] = "this device";
	if (cli_load_answer(x) == EXIT_OK)
		snprintf(officer, sizeof officer, "%s", x->ans.officer);
	dp_buf b;
	dp_buf_init(&b, 4096);
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
		cli_json_print(json_pack("{s:s, s:I}", "file", out, "identities", (json_int_t)n));
	else
		printf("exported %zu identit%s to %s\n", n, n == 1 ? "y" : "ies", out);
	return EXIT_OK;
}
