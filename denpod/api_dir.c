/*
 * denpod/api_dir.c - GET /v1/directory: the directory as a drafter chooses
 * from it (docs/api.md), and the ministry's classification markings
 * (denpo/markings.h) as every answer that carries them spells them.
 *
 * What a listing holds, and why no more:
 *   - every post (name, whether it is HQ) and every collective with its
 *     member posts: the addressees of TO and INFO;
 *   - every active officer with at least one device not revoked (handle,
 *     post, full name, roles): the names ATTN takes.  A suspension does
 *     not hide an officer (containment is not every device's business);
 *     a revocation or a disabled officer does.
 *   - no key, no device, no clearance, no status: keys come from
 *     /v1/directory/resolve for one cable's routing, with their proofs.
 * Decoys (docs/detection.md §5): the security office's fictitious
 * originators are listed like any officer and their DECOY role is never
 * shown (dpp_role_listed).  Leaving them out would be the tell: their
 * cables are in every recipient's archive under their handle, and an
 * insider who compared the archive's originators with the listing would
 * find exactly the decoys.  They stay nobody's recipient (resolve never
 * offers their devices).
 *
 * The ministry's records schedule (denpo/records.h) rides along as
 * "records" (dp_records_sched_json), so every drafting device proposes the
 * same retention and declassification; "records_post" names the archive's
 * post when the switch has one (denpod.conf records_post), so a device can
 * say why resolve lists records devices it did not address.
 *
 * Detection sees the request as an OTHER event (route.c's row): the place
 * rules, the dormancy signal and a suspension apply to it as to any request.
 */
#include <stdlib.h>
#include <string.h>

#include "denpo/cable.h"
#include "denpo/records.h"
#include "denpod/api.h"
#include "denpod/policy.h"
#include "denpod/server.h"

json_t *dpd_markings_json(const dp_markings *m)
{
	json_t *j = json_object();
	for (int l = DP_CLASS_UNCLASSIFIED; j && l <= DP_CLASS_TOP_SECRET; l++)
		if (m->of[l][0])
			json_object_set_new(j, dp_class_name(l), json_string(m->of[l]));
	return j;
}

struct listing {
	json_t *posts, *colls, *officers;
	char (*with_dev)[DP_NAME_MAX + 1]; /* officers holding a device not revoked, sorted */
	size_t n, cap;
};

static int by_name(const void *a, const void *b) { return strcmp(a, b); }

static int post_one(void *ctx, const dps_post *p)
{
	struct listing *x = ctx;
	json_t *j = json_pack("{s:s,s:b}", "name", p->name, "hq", p->hq);
	return j && json_array_append_new(x->posts, j) == 0 ? DP_OK : DP_ENOMEM;
}

static int coll_one(void *ctx, const char *name, const char *post)
{
	struct listing *x = ctx;
	size_t n = json_array_size(x->colls);
	json_t *last = n ? json_array_get(x->colls, n - 1) : NULL;
	/* rows come by name: a new name starts a new collective */
	if (!last || strcmp(json_string_value(json_object_get(last, "name")), name) != 0) {
		last = json_pack("{s:s,s:[]}", "name", name, "posts");
		if (!last || json_array_append_new(x->colls, last))
			return DP_ENOMEM;
	}
	return json_array_append_new(json_object_get(last, "posts"), json_string(post)) ? DP_ENOMEM
											 : DP_OK;
}

static int device_one(void *ctx, const dps_det_device *d)
{
	struct listing *x = ctx;
	if (d->status == DPS_REVOKED)
		return DP_OK;
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 256;
		void *p = reallocarray(x->with_dev, cap, sizeof *x->with_dev);
		if (!p)
			return DP_ENOMEM;
		x->with_dev = p;
		x->cap = cap;
	}
	memcpy(x->with_dev[x->n++], d->officer, sizeof x->with_dev[0]);
	return DP_OK;
}

static int officer_one(void *ctx, const dps_officer *o)
{
	struct listing *x = ctx;
	if (o->status != DPS_ACTIVE ||
	    !bsearch(o->handle, x->with_dev, x->n, sizeof x->with_dev[0], by_name))
		return DP_OK;
	json_t *roles = json_array();
	for (size_t i = 0; roles && i < o->nroles; i++)
		if (dpp_role_listed(o->roles[i]))
			json_array_append_new(roles, json_string(o->roles[i]));
	/* a name from before `officer add --name` checked it: left out rather than fail the listing */
	const char *name = dp_text_ok((const uint8_t *)o->fullname, strlen(o->fullname), 0) ? o->fullname
											     : "";
	json_t *j = roles ? json_pack("{s:s,s:s,s:s,s:o}", "handle", o->handle, "post", o->post,
				      "name", name, "roles", roles)
			  : NULL;
	return j && json_array_append_new(x->officers, j) == 0 ? DP_OK : DP_ENOMEM;
}

/* The configured schedule as the listing's "records" object; NULL if out of memory. */
static json_t *sched_json(const dp_records_sched *sc)
{
	dp_buf b;
	dp_buf_init(&b, 4096);
	json_t *j = dp_records_sched_json(sc, &b) ? NULL : json_loadb((const char *)b.p, b.len, 0, NULL);
	dp_buf_free(&b);
	return j;
}

void dpd_get_directory(const dpd_call *c)
{
	dpd_server *srv = c->srv;
	struct listing x = {json_array(), json_array(), json_array(), NULL, 0, 0};
	int r = x.posts && x.colls && x.officers ? DP_OK : DP_ENOMEM;
	if (!r)
		r = dps_det_devices(srv->store, device_one, &x);
	if (!r && x.n)
		qsort(x.with_dev, x.n, sizeof x.with_dev[0], by_name);
	if (!r)
		r = dps_post_list(srv->store, post_one, &x);
	if (!r)
		r = dps_collective_list(srv->store, coll_one, &x);
	if (!r)
		r = dps_officer_list(srv->store, officer_one, &x);
	json_t *mk = r ? NULL : dpd_markings_json(&srv->cfg.markings);
	json_t *rec = r ? NULL : sched_json(&srv->cfg.records);
	free(x.with_dev);
	if (!r && (!mk || !rec))
		r = DP_ENOMEM;
	if (r) {
		json_decref(mk);
		json_decref(rec);
		json_decref(x.posts);
		json_decref(x.colls);
		json_decref(x.officers);
		dpd_reply_error(c->rq, dpd_http_status(r), r,
				r == DP_ENOMEM ? "out of memory; retry" : "cannot read the directory; retry");
		return;
	}
	json_t *ans = json_pack("{s:o,s:o,s:o,s:o,s:o}", "posts", x.posts, "collectives", x.colls,
				"officers", x.officers, "markings", mk, "records", rec);
	if (ans && srv->cfg.records_post[0])
		json_object_set_new(ans, "records_post", json_string(srv->cfg.records_post));
	dpd_reply_json(c->rq, 200, ans);
}
