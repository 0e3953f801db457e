/*
 * denpo/markings.c - the ministry's classification markings on this device
 * (denpo/cli.h, denpo/markings.h): the cache HOME/markings, its refresh
 * from the switch, and the banner line the CLI and the UI both show.
 *
 * The cache is the "markings" object exactly as the switch's answers carry
 * it, read back through the same parser (dp_client_parse_markings), so a
 * marking the rule refuses never reaches a banner from either side.  It
 * holds no secret (the switch gives every device the same table); it is
 * written 0600 like everything in HOME.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "denpo/cli.h"

static void markings_path(const cli_ctx *x, char out[PATH_MAX]) { cli_path(x, out, "markings"); }

/* HOME/markings into x->marks (absent: none); its age in seconds into *age (-1: absent). */
static void markings_read(cli_ctx *x, int64_t *age)
{
	char path[PATH_MAX];
	struct stat st;
	memset(&x->marks, 0, sizeof x->marks);
	*age = -1;
	markings_path(x, path);
	if (stat(path, &st) != 0)
		return;
	*age = (int64_t)time(NULL) - (int64_t)st.st_mtime;
	dp_buf b;
	dp_buf_init(&b, 4096);
	if (dp_read_file(path, &b) || dp_client_parse_markings(b.p, b.len, &x->marks)) {
		fprintf(stderr, "denpo: warning: %s is unreadable or malformed: banners show the levels "
				"alone until the switch is reached (`denpo directory` fetches them)\n", path);
		*age = -1;
	}
	dp_buf_free(&b);
}

const dp_markings *cli_markings(cli_ctx *x)
{
	int64_t now = (int64_t)time(NULL), age;
	if (x->marks_at && now - x->marks_at < CLI_MARKINGS_TTL)
		return &x->marks;
	if (cli_home(x, 0))
		return &x->marks; /* no state directory: no markings */
	markings_read(x, &age);
	x->marks_at = now;
	dp_markings m;
	/* only a switch that answered this process's last request is asked: never a timeout */
	if ((age < 0 || age >= CLI_MARKINGS_TTL) && x->cl && dp_client_http_status(x->cl) != 0 &&
	    dp_client_markings(x->cl, &m) == DP_OK) {
		int r = cli_markings_save(x, &m);
		if (r)
			fprintf(stderr, "denpo: warning: cannot keep the ministry's markings in %s: %s\n",
				x->home, cli_strerror(x, r));
		x->marks = m;
	}
	return &x->marks;
}

int cli_markings_save(cli_ctx *x, const dp_markings *m)
{
	json_t *j = json_object();
	int bad = !j;
	for (int l = DP_CLASS_UNCLASSIFIED; !bad && l <= DP_CLASS_TOP_SECRET; l++)
		bad = m->of[l][0] && json_object_set_new(j, dp_class_name(l), json_string(m->of[l]));
	char *s = bad ? NULL : json_dumps(j, JSON_COMPACT); /* UTF-8 as given, readable with cat */
	json_decref(j);
	if (!s)
		return DP_ENOMEM;
	char path[PATH_MAX];
	markings_path(x, path);
	int r = dp_write_file(path, s, strlen(s), 0600, 0);
	free(s);
	if (!r) {
		x->marks = *m;
		x->marks_at = (int64_t)time(NULL);
	}
	return r;
}

int cli_banner(cli_ctx *x, const dp_cable *c, char *out, size_t cap)
{
	dp_buf b;
	dp_buf_init(&b, CLI_BANNER_MAX);
	int r = dp_cable_banner(c, cli_markings(x), &b);
	if (!r && b.len >= cap)
		r = DP_ETOOBIG;
	if (!r) {
		memcpy(out, b.p, b.len);
		out[b.len] = 0;
	}
	dp_buf_free(&b);
	return r;
}
