/*
 * denpo/cmd_directory.c - `denpo directory`: the posts, collectives and
 * officers a drafter addresses (TO, INFO, ATTN), and the ministry's
 * classification markings, as the switch lists them (GET /v1/directory).
 * The listing itself is denpo/directory.c's (kept for offline drafting),
 * the markings denpo/markings.c's (kept for the banners).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "denpo/cli.h"

static const char directory_help[] =
	"usage: denpo directory [--json]\n\n"
	"The directory as the switch lists it for drafting: every post (HQ marked) and\n"
	"collective address (with its posts) for TO and INFO, and every active officer\n"
	"(handle, post, name, roles) for ATTN; then the ministry's classification\n"
	"markings, which this device keeps for its banners.  The listing is kept too:\n"
	"when the switch is out of reach, the copy kept last is shown, with its date.\n"
	"No keys: `denpo send` asks for those for each cable, with their proofs.\n"
	"--json prints {\"posts\":[{\"name\",\"hq\"}], \"collectives\":[{\"name\",\"posts\"}],\n"
	"\"officers\":[{\"handle\",\"post\",\"name\",\"roles\"}], \"markings\":{LEVEL: TEXT}}\n"
	"and, for a kept copy, \"kept_at\": its time (unix seconds).\n";

static void print_text(cli_ctx *x, const dp_directory *d)
{
	printf("POSTS (%zu)\n", d->nposts);
	for (size_t i = 0; i < d->nposts; i++)
		printf("  %s%s\n", d->posts[i].name, d->posts[i].hq ? "  (HQ)" : "");
	printf("COLLECTIVES (%zu)\n", d->ncolls);
	for (size_t i = 0; i < d->ncolls; i++) {
		printf("  %s:", d->colls[i].name);
		for (size_t k = 0; k < d->colls[i].nposts; k++)
			printf("%s %s", k ? "," : "", d->colls[i].posts[k]);
		putchar('\n');
	}
	printf("OFFICERS (%zu)\n", d->nofficers);
	for (size_t i = 0; i < d->nofficers; i++) {
		const dp_dir_officer *o = &d->officers[i];
		printf("  %-24s %-16s %s", o->handle, o->post, o->name);
		for (size_t k = 0; k < o->nroles; k++)
			printf("%s%s", k ? ", " : "  [", o->roles[k]);
		printf("%s\n", o->nroles ? "]" : "");
	}
	const dp_markings *m = cli_markings(x);
	printf("MARKINGS%s\n", dp_markings_empty(m) ? " (none: banners show the levels alone)" : "");
	for (int l = DP_CLASS_UNCLASSIFIED; l <= DP_CLASS_TOP_SECRET; l++)
		if (m->of[l][0])
			printf("  %-13s %s\n", dp_class_name(l), m->of[l]);
}

int cmd_directory(cli_ctx *x, int argc, char **argv)
{
	static const struct option lo[] = {CLI_COMMON_OPTS, {NULL, 0, NULL, 0}};
	int o;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == OPT_HELP) {
			fputs(directory_help, stdout);
			return EXIT_OK;
		}
		if (!cli_common_opt(x, o, optarg))
			return cli_usage("directory", "unknown option");
	}
	if (optind != argc)
		return cli_usage("directory", "unexpected argument '%s'", argv[optind]);
	if (cli_home(x, 0))
		return cli_fail(x, DP_ENOTFOUND, "run `denpo init` first", "no state directory %s", x->home);
	int ec = cli_open_client(x);
	if (ec)
		return ec;
	dp_directory d;
	int64_t at;
	int r = cli_directory_get(x, &d, &at);
	if (r)
		return cli_fail(x, r, r == DP_ENOTFOUND ? "the switch is older than this device: update denpod"
				      : r == DP_ENET ? "no copy is kept here yet: run it again once the switch is reached"
						     : NULL, "cannot list the directory");
	if (at) {
		char when[32];
		struct tm tm;
		time_t t = (time_t)at;
		strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime_r(&t, &tm));
		fprintf(stderr, "denpo: warning: the switch is out of reach: the directory as kept on %s\n",
			when);
	}
	if (x->json) {
		json_t *j = cli_directory_json(x, &d);
		if (j && at)
			json_object_set_new(j, "kept_at", json_integer(at));
		if (!j) {
			dp_directory_free(&d);
			return cli_fail(x, DP_ENOMEM, NULL, "cannot print the directory");
		}
		dp_json_print(j);
	} else
		print_text(x, &d);
	dp_directory_free(&d);
	return EXIT_OK;
}
