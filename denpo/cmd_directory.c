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
	"and, for a kept copy, \"kept_at\": its time (unix seconds); \"records_post\": the\n"
	"archive's post, when the switch has one.\n\n"
	"--records-post POST  confirm that the ministry's archive is now at POST: the\n"
	"    switch's directory must name POST (asked now, never a kept copy); it is\n"
	"    pinned in HOME/records-post, and `denpo send` gives record copies only to\n"
	"    devices logged there.  (The first send that has record copies pins the\n"
	"    directory's records post by itself; a change is a warning on every send\n"
	"    until confirmed here.)\n";

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
	if (d->records_post[0])
		printf("RECORDS POST\n  %s  (the archive's record copies go to its RECORDS officers)\n",
		       d->records_post);
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

/* --records-post POST: pin POST if the switch's directory, asked now, names it. */
static int confirm_records_post(cli_ctx *x, dp_directory *d, int64_t at, const char *post)
{
	char now[DP_NAME_MAX + 1], old[DP_NAME_MAX + 1];
	snprintf(now, sizeof now, "%s", d->records_post);
	dp_directory_free(d);
	if (at)
		return cli_fail(x, DP_ENET, "confirm it once the switch is reachable",
				"the switch is out of reach: nothing pinned");
	if (!now[0])
		return cli_fail(x, DP_EINVAL, "check with the HQ operator (denpod.conf records_post)",
				"the switch's directory names no records post: nothing pinned");
	if (strcmp(now, post) != 0)
		return cli_fail(x, DP_EINVAL, "check the post with the HQ operator (`denpo directory` shows it)",
				"the switch's directory names %s as the records post, not %s: nothing pinned",
				now, post);
	int had = cli_records_post_pinned(x, old);
	int r = cli_records_post_pin(x, post);
	if (r)
		return cli_fail(x, r, NULL, "cannot keep the records post in %s", x->home);
	if (x->json)
		dp_json_print(json_pack("{s:s}", "records_post", post));
	else
		printf("records post %s pinned%s%s%s: record copies go only to devices logged there\n", post,
		       had ? "" : " (was ", had ? "" : old, had ? "" : ")");
	return EXIT_OK;
}

int cmd_directory(cli_ctx *x, int argc, char **argv)
{
	enum { OPT_RECPOST = 1 };
	static const struct option lo[] = {CLI_COMMON_OPTS, {"records-post", required_argument, NULL, OPT_RECPOST},
					   {NULL, 0, NULL, 0}};
	int o;
	const char *confirm = NULL;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == OPT_HELP) {
			fputs(directory_help, stdout);
			return EXIT_OK;
		}
		if (o == OPT_RECPOST) {
			confirm = optarg;
			continue;
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
	if (confirm)
		return confirm_records_post(x, &d, at, confirm);
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
