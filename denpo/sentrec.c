/*
 * denpo/sentrec.c - the records of sent cables and the lost ones (contract:
 * denpo/sentrec.h).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "denpo/encoding.h"
#include "denpo/sentrec.h"

/* One page of the older sent list: the most the switch gives at once. */
#define OLDER_PAGE 1000

static void record_path(const cli_ctx *x, const char *id, char p[PATH_MAX])
{
	char name[64];
	snprintf(name, sizeof name, "sent/%.32s.json", id);
	cli_path(x, p, name);
}

static int save(const cli_ctx *x, const char *id, json_t *j)
{
	char p[PATH_MAX];
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (!s)
		return DP_ENOMEM;
	record_path(x, id, p);
	int r = dp_write_file(p, s, strlen(s), 0600, 0);
	free(s);
	return r;
}

int sentrec_write(cli_ctx *x, const dp_cable *c, const char *state, const dp_submit_result *res, int decoy)
{
	char id[DP_HEXID];
	dp_hex_encode(id, c->id, DP_CABLE_ID);
	json_t *to = json_array(), *info = json_array();
	for (size_t i = 0; i < c->nto; i++)
		json_array_append_new(to, json_string(c->to[i]));
	for (size_t i = 0; i < c->ninfo; i++)
		json_array_append_new(info, json_string(c->info[i]));
	json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:o, s:o, s:I, s:I}", "cable_id", id, "state",
			      state, "mrn", res ? res->mrn : "", "created", (json_int_t)c->created,
			      "classification", dp_class_name(c->classification), "precedence",
			      dp_prec_name(c->prec_action), "to", to, "info", info, "recipients",
			      (json_int_t)c->nrecipients, "accepted", (json_int_t)(res ? res->accepted : 0));
	if (j && decoy)
		json_object_set_new(j, "decoy", json_true());
	int r = save(x, id, j);
	json_decref(j);
	return r;
}

static const char *str(json_t *j, const char *k)
{
	json_t *v = json_object_get(j, k);
	return json_is_string(v) ? json_string_value(v) : "";
}

void *sentrec_json(cli_ctx *x, const char *id)
{
	char p[PATH_MAX];
	record_path(x, id, p);
	json_error_t je;
	json_t *j = json_load_file(p, 0, &je);
	if (!json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

int sentrec_accepted(cli_ctx *x, const char *id, const dp_submit_result *res)
{
	json_t *j = sentrec_json(x, id);
	if (!j)
		return DP_ENOTFOUND;
	/*
	 * Accepted before, and now as a new cable (not a repeat): the switch
	 * had lost it.  The new MRN may even be the old one (a restored post
	 * counter gives the same numbers again): it is a new acceptance all the same.
	 */
	const char *old = str(j, "mrn");
	if (!strcmp(str(j, "state"), "accepted") && *old && !res->duplicate) {
		json_object_set_new(j, "mrn_before_restore", json_string(old));
		json_object_set_new(j, "resent", json_integer(dp_now()));
	}
	json_object_set_new(j, "state", json_string("accepted"));
	json_object_set_new(j, "mrn", json_string(res->mrn));
	json_object_set_new(j, "accepted", json_integer(res->accepted));
	int r = save(x, id, j);
	json_decref(j);
	return r;
}

static int by_id(const void *a, const void *b)
{
	return strcmp(((const sentrec *)a)->cable_id, ((const sentrec *)b)->cable_id);
}

/* sent/NAME.json into *out; 0 if it is not a usable record. */
static int read_one(const char *dir, const char *name, sentrec *out)
{
	char p[PATH_MAX + 256];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	json_error_t je;
	json_t *j = json_load_file(p, 0, &je);
	uint8_t raw[DP_CABLE_ID];
	const char *id = str(j, "cable_id"), *st = str(j, "state");
	/* the record names its own file: anything else is not one of ours */
	int ok = json_is_object(j) && strlen(id) == 32 && !strncmp(id, name, 32) &&
		 !dp_hex_decode(raw, sizeof raw, id, 32);
	if (ok) {
		memset(out, 0, sizeof *out);
		memcpy(out->cable_id, id, DP_HEXID);
		out->state = !strcmp(st, "pending") ? SENTREC_PENDING
			     : !strcmp(st, "accepted") ? SENTREC_ACCEPTED : SENTREC_OTHER;
		snprintf(out->mrn, sizeof out->mrn, "%s", str(j, "mrn"));
		snprintf(out->was, sizeof out->was, "%s", str(j, "mrn_before_restore"));
		if (dp_prec_parse(str(j, "precedence"), &out->precedence))
			out->precedence = -1;
		if (dp_class_parse(str(j, "classification"), &out->classification))
			out->classification = -1;
		json_t *a = json_object_get(j, "accepted");
		out->accepted = json_is_integer(a) ? json_integer_value(a) : 0;
		out->decoy = json_is_true(json_object_get(j, "decoy"));
		if (out->state == SENTREC_ACCEPTED && !out->mrn[0])
			out->state = SENTREC_OTHER; /* accepted with no MRN: not a record we wrote */
	}
	json_decref(j);
	return ok;
}

int sentrec_load(cli_ctx *x, sentrec **recs, size_t *n)
{
	*recs = NULL;
	*n = 0;
	char dir[PATH_MAX];
	cli_path(x, dir, "sent");
	DIR *d = opendir(dir);
	if (!d)
		return DP_OK; /* nothing sent yet */
	size_t cap = 0;
	int r = DP_OK;
	struct dirent *de;
	while (!r && (de = readdir(d))) {
		if (strlen(de->d_name) != 37 || strcmp(de->d_name + 32, ".json") != 0)
			continue;
		if (*n == cap) {
			size_t nc = cap ? 2 * cap : 64;
			sentrec *t = nc <= SIZE_MAX / sizeof *t ? realloc(*recs, nc * sizeof *t) : NULL;
			if (!t) {
				r = DP_ENOMEM;
				break;
			}
			*recs = t;
			cap = nc;
		}
		*n += (size_t)read_one(dir, de->d_name, &(*recs)[*n]);
	}
	closedir(d);
	if (r) {
		free(*recs);
		*recs = NULL;
		*n = 0;
		return r;
	}
	if (*n)
		qsort(*recs, *n, sizeof **recs, by_id);
	return DP_OK;
}

int sentrec_get(cli_ctx *x, const char *id, sentrec *out)
{
	char dir[PATH_MAX], name[64];
	cli_path(x, dir, "sent");
	snprintf(name, sizeof name, "%.32s.json", id);
	memset(out, 0, sizeof *out);
	return strlen(name) == 37 && read_one(dir, name, out) ? DP_OK : DP_ENOTFOUND;
}

sentrec *sentrec_find(const sentrec *recs, size_t n, const char *cable_id)
{
	sentrec key;
	snprintf(key.cable_id, sizeof key.cable_id, "%s", cable_id);
	return n ? bsearch(&key, recs, n, sizeof *recs, by_id) : NULL;
}

void sentrec_seen(sentrec *recs, size_t n, const char *cable_id)
{
	sentrec *s = sentrec_find(recs, n, cable_id);
	if (s)
		s->seen = 1;
}

static size_t unaccounted(const sentrec *recs, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += recs[i].state == SENTREC_ACCEPTED && !recs[i].seen;
	return k;
}

int sentrec_find_lost(cli_ctx *x, sentrec *recs, size_t n, int more, int64_t before, size_t *nlost)
{
	*nlost = 0;
	/*
	 * A full first page may go on: read older pages while an accepted
	 * record is not accounted for.  Once a page is short, the switch has
	 * listed every cable of the officer.
	 */
	while (more && unaccounted(recs, n)) {
		dp_sent_item *it;
		size_t m;
		int r = dp_client_sent_page(x->cl, before, OLDER_PAGE, &it, &m);
		if (r)
			return r;
		int64_t low = before;
		for (size_t i = 0; i < m; i++) {
			sentrec_seen(recs, n, it[i].cable_id);
			if (it[i].seq < low)
				low = it[i].seq;
		}
		if (m >= DP_SENT_PAGE && low == 0) {
			/* a switch from before paging (no seq): its one page may not be all */
			free(it);
			return DP_ESTATE;
		}
		/* a short page is the end; so is one that does not go down (a switch that ignores before=) */
		more = m == OLDER_PAGE && low < before;
		before = low;
		free(it);
	}
	for (size_t i = 0; i < n; i++) {
		recs[i].lost = recs[i].state == SENTREC_ACCEPTED && !recs[i].seen;
		*nlost += (size_t)recs[i].lost;
	}
	return DP_OK;
}

static int by_prec(const void *a, const void *b)
{
	const sentrec *p = a, *q = b;
	/* unknown precedence (-1) after ROUTINE */
	unsigned pa = (unsigned)p->precedence, pb = (unsigned)q->precedence;
	if (pa != pb)
		return pa < pb ? -1 : 1;
	if (p->accepted != q->accepted)
		return p->accepted < q->accepted ? -1 : 1;
	return strcmp(p->cable_id, q->cable_id);
}

sentrec *sentrec_lost_sorted(const sentrec *recs, size_t n, size_t nlost)
{
	sentrec *l = nlost ? calloc(nlost, sizeof *l) : NULL;
	for (size_t i = 0, k = 0; l && i < n && k < nlost; i++)
		if (recs[i].lost)
			l[k++] = recs[i];
	if (l)
		qsort(l, nlost, sizeof *l, by_prec);
	return l;
}
