/*
 * denpo/directory.c - the directory as this device knows it (denpo/cli.h):
 * asked of the switch (GET /v1/directory) and kept in HOME/directory for
 * when the switch is out of reach, so a post cut off from HQ still drafts
 * to the right addressees; and its JSON, the one `denpo directory --json`
 * prints and `denpo ui` hands to its page.
 *
 * HOME/directory is that JSON, read back through the same parser as the
 * switch's answer (dp_client_parse_directory): a damaged or edited copy is
 * refused whole, as a malformed answer would be.  It holds names, no key,
 * and is written 0600 like everything in HOME.
 */
#include <string.h>
#include <sys/stat.h>

#include "denpo/cli.h"

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

/* d's markings as every level's text ("" for none). */
static json_t *markings_json(const dp_markings *m)
{
	json_t *j = json_object();
	for (int l = DP_CLASS_UNCLASSIFIED; j && l <= DP_CLASS_TOP_SECRET; l++)
		if (json_object_set_new(j, dp_class_name(l), json_string(m->of[l]))) {
			json_decref(j);
			return NULL;
		}
	return j;
}

/* The records schedule as the directory answer carries it (dp_records_sched_json). */
static json_t *records_json(const dp_records_sched *s)
{
	dp_buf b;
	dp_buf_init(&b, 1 << 17);
	json_t *j = dp_records_sched_json(s, &b) ? NULL : json_loadb((const char *)b.p, b.len, 0, NULL);
	dp_buf_free(&b);
	return j;
}

static json_t *listing_json(const dp_directory *d, const dp_markings *m)
{
	json_t *posts = json_array(), *colls = json_array(), *offs = json_array();
	int bad = !posts || !colls || !offs;
	for (size_t i = 0; !bad && i < d->nposts; i++)
		bad = json_array_append_new(posts, json_pack("{s:s,s:b}", "name", d->posts[i].name, "hq",
							     d->posts[i].hq));
	for (size_t i = 0; !bad && i < d->ncolls; i++)
		bad = json_array_append_new(colls, json_pack("{s:s,s:o*}", "name", d->colls[i].name,
							     "posts", names_json(d->colls[i].posts,
										 d->colls[i].nposts)));
	for (size_t i = 0; !bad && i < d->nofficers; i++) {
		const dp_dir_officer *o = &d->officers[i];
		bad = json_array_append_new(offs, json_pack("{s:s,s:s,s:s,s:o*}", "handle", o->handle,
							    "post", o->post, "name", o->name, "roles",
							    names_json(o->roles, o->nroles)));
	}
	if (bad) {
		json_decref(posts);
		json_decref(colls);
		json_decref(offs);
		return NULL;
	}
	json_t *j = json_pack("{s:o,s:o,s:o,s:o*,s:o}", "posts", posts, "collectives", colls, "officers",
			      offs, "markings", markings_json(m), "records", records_json(&d->records));
	if (j && d->records_post[0] && json_object_set_new(j, "records_post", json_string(d->records_post))) {
		json_decref(j);
		return NULL;
	}
	return j;
}

json_t *cli_directory_json(cli_ctx *x, const dp_directory *d)
{
	return listing_json(d, cli_markings(x));
}

json_t *cli_markings_json(cli_ctx *x)
{
	return markings_json(cli_markings(x));
}

/* Keep d in HOME/directory (a failure: a warning; the listing itself is fine). */
static void keep(cli_ctx *x, const dp_directory *d)
{
	json_t *j = listing_json(d, &d->markings);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	char path[PATH_MAX];
	cli_path(x, path, "directory");
	int r = s ? dp_write_file(path, s, strlen(s), 0600, 0) : DP_ENOMEM;
	free(s);
	if (r)
		fprintf(stderr, "denpo: warning: cannot keep the directory in %s for offline use: %s\n",
			path, cli_strerror(x, r));
}

int cli_directory_kept(cli_ctx *x, dp_directory *d, int64_t *kept_at)
{
	char path[PATH_MAX];
	struct stat st;
	cli_path(x, path, "directory");
	memset(d, 0, sizeof *d);
	if (stat(path, &st) != 0)
		return DP_ENOTFOUND;
	dp_buf b;
	dp_buf_init(&b, DP_CLIENT_JSON_MAX);
	int r = dp_read_file(path, &b);
	if (!r && (r = dp_client_parse_directory(b.p, b.len, d)) == DP_EPROTO)
		fprintf(stderr, "denpo: warning: %s is damaged (not a directory listing): remove it; "
				"`denpo directory` writes it again when the switch is reached\n", path);
	dp_buf_free(&b);
	*kept_at = (int64_t)st.st_mtime;
	return r;
}

int cli_directory_get(cli_ctx *x, dp_directory *d, int64_t *kept_at)
{
	*kept_at = 0;
	int r = x->cl ? dp_client_directory(x->cl, d) : DP_ENET;
	if (!r) {
		/* the markings as the switch gives them now, kept for the banners (offline too) */
		int w = cli_markings_save(x, &d->markings);
		if (w)
			fprintf(stderr, "denpo: warning: cannot keep the ministry's markings in %s: %s\n",
				x->home, cli_strerror(x, w));
		/* and the records schedule, for the drafts' defaults */
		if ((w = cli_records_save(x, &d->records)))
			fprintf(stderr, "denpo: warning: cannot keep the records schedule in %s: %s\n",
				x->home, cli_strerror(x, w));
		keep(x, d);
		return DP_OK;
	}
	if (r != DP_ENET)
		return r; /* the switch answered: what it said stands */
	return cli_directory_kept(x, d, kept_at) == DP_OK ? DP_OK : r;
}

int cli_records_post_pinned(cli_ctx *x, char out[DP_NAME_MAX + 1])
{
	char path[PATH_MAX];
	cli_path(x, path, "records-post");
	out[0] = 0;
	dp_buf b;
	dp_buf_init(&b, DP_NAME_MAX + 2);
	int r = dp_read_file(path, &b);
	if (!r) {
		size_t n = b.len && b.p[b.len - 1] == '\n' ? b.len - 1 : b.len;
		if (n == 0 || n > DP_NAME_MAX)
			r = DP_EPARSE;
		else {
			memcpy(out, b.p, n);
			out[n] = 0;
			if (strlen(out) != n || !dp_name_ok(out))
				r = DP_EPARSE;
		}
	}
	if (r == DP_ETOOBIG)
		r = DP_EPARSE;
	if (r)
		out[0] = 0;
	dp_buf_free(&b);
	return r;
}

int cli_records_post_pin(cli_ctx *x, const char *post)
{
	if (!dp_name_ok(post))
		return DP_EINVAL;
	char path[PATH_MAX], line[DP_NAME_MAX + 2];
	cli_path(x, path, "records-post");
	int n = snprintf(line, sizeof line, "%s\n", post);
	return dp_write_file(path, line, (size_t)n, 0600, 0);
}
