/*
 * denpo/cmd_directory.c - `denpo directory`: the posts, collectives and
 * officers a drafter addresses (TO, INFO, ATTN), and the ministry's
 * classification markings, as the switch lists them (GET /v1/directory).
 * The markings are kept for the banners (HOME/markings, denpo/markings.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "denpo/cli.h"

static const char directory_help[] =
	"usage: denpo directory [--json]\n\n"
	"The directory as the switch lists it for drafting: every post (HQ marked) and\n"
	"collective address (with its posts) for TO and INFO, and every active officer\n"
	"(handle, post, name, roles) for ATTN; then the ministry's classification\n"
	"markings, which this device keeps for its banners (also when offline).\n"
	"No keys: `denpo send` asks for those for each cable, with their proofs.\n"
	"--json prints {\"posts\":[{\"name\",\"hq\"}], \"collectives\":[{\"name\",\"posts\"}],\n"
	"\"officers\":[{\"handle\",\"post\",\"name\",\"roles\"}], \"markings\":{LEVEL: TEXT}}.\n";

static json_t *names_json(const char (*l)[DP_NAME_MAX + 1], size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(l[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *directory_json(cli_ctx *x, const dp_directory *d)
{
	json_t *posts = json_array(), *colls = json_array(), *offs = json_array();
	for (size_t i = 0; posts && i < d->nposts; i++)
		json_array_append_new(posts, json_pack("{s:s,s:b}", "name", d->posts[i].name, "hq",
						       d->posts[i].hq));
	for (size_t i = 0; colls && i < d->ncolls; i++)
		json_array_append_new(colls, json_pack("{s:s,s:o*}", "name", d->colls[i].name, "posts",
						       names_json(d->colls[i].posts, d->colls[i].nposts)));
	for (size_t i = 0; offs && i < d->nofficers; i++) {
		const dp_dir_officer *o = &d->officers[i];
		json_array_append_new(offs, json_pack("{s:s,s:s,s:s,s:o*}", "handle", o->handle, "post",
						      o->post, "name", o->name, "roles",
						      names_json(o->roles, o->nroles)));
	}
	return json_pack("{s:o*,s:o*,s:o*,s:o*}", "posts", posts, "collectives", colls, "officers", offs,
			 "markings", cli_markings_json(x));
}

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
	int r = dp_client_directory(x->cl, &d);
	if (r)
		return cli_fail(x, r, r == DP_ENOTFOUND ? "the switch is older than this device: update denpod"
							: NULL, "cannot list the directory");
	/* the markings as the switch gives them now, kept for the banners (offline too) */
	r = cli_markings_save(x, &d.markings);
	if (r)
		fprintf(stderr, "denpo: warning: cannot keep the ministry's markings in %s: %s\n", x->home,
			cli_strerror(x, r));
	if (x->json) {
		json_t *j = directory_json(x, &d);
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
