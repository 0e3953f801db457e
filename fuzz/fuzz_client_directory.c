/*
 * fuzz_client_directory - dp_client_parse_directory and
 * dp_client_parse_markings on arbitrary bytes: the GET /v1/directory answer
 * and the "markings" object (an answer's, or HOME/markings as cached) that a
 * device reads from a switch it does not trust.  What is accepted stays
 * within what the device relies on: the caps, names as the cable format
 * allows them, every officer's post and collective member a listed post,
 * and every marking one dp_marking_ok accepts, so every banner made with
 * it still carries its level, and a records schedule dp_records_sched_validate
 * accepts (the built-in one without "records"); a refusal leaves nothing behind; nothing
 * leaks.  Seeds: fuzz/corpus/fuzz_client_directory/.
 */
#include <stdlib.h>
#include <string.h>

#include "denpo/client.h"
#include "fuzz/fuzz.h"

static int is_post(const dp_directory *d, const char *name)
{
	for (size_t i = 0; i < d->nposts; i++)
		if (strcmp(d->posts[i].name, name) == 0)
			return 1;
	return 0;
}

/* Every level's banner with m: it holds the level's own name. */
static void banners(const dp_markings *m)
{
	dp_cable c;
	dp_buf b;
	dp_cable_init(&c);
	for (int l = DP_CLASS_UNCLASSIFIED; l <= DP_CLASS_TOP_SECRET; l++) {
		size_t n = strlen(m->of[l]);
		if (n > DP_MARKING_MAX || (n && !dp_marking_ok(m->of[l], n, NULL, 0)))
			__builtin_trap(); /* a marking the rule refuses was kept */
		c.classification = l;
		dp_buf_init(&b, 4096);
		if (dp_cable_banner(&c, m, &b) != DP_OK || !memmem(b.p, b.len, dp_class_name(l),
								    strlen(dp_class_name(l))))
			__builtin_trap(); /* a banner without its level */
		dp_buf_free(&b);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dp_markings m;
	if (dp_client_parse_markings(data, size, &m) == DP_OK)
		banners(&m);
	else if (!dp_markings_empty(&m))
		__builtin_trap(); /* a refused table leaves no marking */
	dp_directory d;
	int r = dp_client_parse_directory(data, size, &d);
	if (r != DP_OK) {
		if (d.posts || d.colls || d.officers || d.nposts || d.ncolls || d.nofficers)
			__builtin_trap(); /* a refused answer leaves nothing behind */
		return 0;
	}
	if (dp_records_sched_validate(&d.records, NULL, 0))
		__builtin_trap(); /* an accepted schedule (or the built-in one) is a valid one */
	if (d.nposts > DP_DIR_POSTS_MAX || d.ncolls > DP_DIR_COLLECTIVES_MAX ||
	    d.nofficers > DP_DIR_OFFICERS_MAX)
		__builtin_trap();
	for (size_t i = 0; i < d.nposts; i++)
		if (!dp_name_ok(d.posts[i].name))
			__builtin_trap();
	for (size_t i = 0; i < d.ncolls; i++) {
		if (!dp_name_ok(d.colls[i].name) || is_post(&d, d.colls[i].name) || d.colls[i].nposts == 0)
			__builtin_trap();
		for (size_t k = 0; k < d.colls[i].nposts; k++)
			if (!is_post(&d, d.colls[i].posts[k]))
				__builtin_trap();
	}
	for (size_t i = 0; i < d.nofficers; i++) {
		const dp_dir_officer *o = &d.officers[i];
		if (!dp_handle_ok(o->handle) || !is_post(&d, o->post) || o->nroles > DP_MAX_CAPTIONS ||
		    !dp_text_ok((const uint8_t *)o->name, strlen(o->name), 0))
			__builtin_trap();
		for (size_t k = 0; k < o->nroles; k++)
			if (!dp_name_ok(o->roles[k]))
				__builtin_trap();
	}
	banners(&d.markings);
	dp_directory_free(&d);
	return 0;
}
