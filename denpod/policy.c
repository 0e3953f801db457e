/*
 * denpod/policy.c - acceptance policy of the switch (see policy.h).
 *
 * The switch never widens the recipient set chosen by the drafting device:
 * it only refuses a cable naming a device that may not read it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denpo/encoding.h"
#include "denpo/epoch.h"
#include "denpo/records.h"
#include "denpod/policy.h"

static int in_set(const char set[][DP_NAME_MAX + 1], size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(set[i], name) == 0)
			return 1;
	return 0;
}

int dpp_is_decoy_officer(const char roles[][DP_NAME_MAX + 1], size_t nroles)
{
	return in_set(roles, nroles, DPP_ROLE_DECOY);
}

int dpp_role_listed(const char *role)
{
	return strcmp(role, DPP_ROLE_DECOY) != 0;
}

int dpp_is_records_officer(const dps_officer *o, const char *records_post)
{
	return records_post && *records_post && strcmp(o->post, records_post) == 0 &&
	       in_set(o->roles, o->nroles, DP_RECORDS_ROLE);
}

struct add_ctx {
	char (*set)[DP_NAME_MAX + 1];
	size_t *n;
};

static int add_post(void *ctx, const char *post)
{
	struct add_ctx *a = ctx;
	if (in_set(a->set, *a->n, post))
		return DP_OK;
	if (*a->n == DPP_MAX_POSTS)
		return DP_ETOOBIG; /* more posts than one cable may address */
	snprintf(a->set[*a->n], DP_NAME_MAX + 1, "%s", post);
	(*a->n)++;
	return DP_OK;
}

static int expand(dps_store *s, char names[][DP_NAME_MAX + 1], size_t n,
		  char set[][DP_NAME_MAX + 1], size_t *count, char *msg, size_t msgcap)
{
	struct add_ctx a = {set, count};
	for (size_t i = 0; i < n; i++) {
		int r = dps_addressee_posts(s, names[i], add_post, &a);
		if (r == DP_ENOTFOUND)
			snprintf(msg, msgcap, "addressee %s is neither a post nor a collective", names[i]);
		else if (r == DP_ETOOBIG)
			snprintf(msg, msgcap, "the addressees expand to more than %d posts",
				 DPP_MAX_POSTS);
		if (r)
			return r;
	}
	return DP_OK;
}

int dpp_expand(dps_store *s, char to[][DP_NAME_MAX + 1], size_t nto, char info[][DP_NAME_MAX + 1],
	       size_t ninfo, dpp_posts *out, char *msg, size_t msgcap)
{
	out->nto = out->ninfo = 0;
	int r = expand(s, to, nto, out->to, &out->nto, msg, msgcap);
	if (!r)
		r = expand(s, info, ninfo, out->info, &out->ninfo, msg, msgcap);
	return r;
}

/*
 * Clearance, captions and (but for the archive, which ATTN does not
 * address) ATTN of an active officer receiving as role (dpp_recipient_ok).
 */
static int officer_ok(const dps_officer *o, const dpp_route *rt, int role, char *msg,
		      size_t msgcap)
{
	if (o->clearance < rt->classification) {
		snprintf(msg, msgcap, "officer %s is not cleared for %s", o->handle,
			 dp_class_name(rt->classification));
		return DP_ECLEARANCE;
	}
	for (size_t i = 0; i < rt->ncaps; i++)
		if (!in_set(o->captions, o->ncaptions, rt->caps[i])) {
			snprintf(msg, msgcap, "officer %s does not hold caption %s", o->handle,
				 rt->caps[i]);
			return DP_ECLEARANCE;
		}
	if (rt->nattn == 0 || role == DP_ROLE_RECORD)
		return DP_OK;
	for (size_t i = 0; i < rt->nattn; i++)
		if (strcmp(rt->attn[i], o->handle) == 0 || in_set(o->roles, o->nroles, rt->attn[i]))
			return DP_OK;
	snprintf(msg, msgcap, "officer %s is neither named nor holds a role in ATTN", o->handle);
	return DP_EDENIED;
}

static void hex8(char out[17], const uint8_t *id)
{
	dp_hex_encode(out, id, 8);
}

int dpp_recipient_ok(const dpp_route *rt, const dps_officer *o, const dps_device *d, int *role,
		     char *msg, size_t msgcap)
{
	char h[17], why[DPP_MSG_MAX];
	hex8(h, d->id);
	if (d->status != DPS_ACTIVE) {
		snprintf(msg, msgcap, "recipient device %s... (officer %s) is %s", h, d->officer,
			 dps_status_name(d->status));
		return DP_EDEVICE;
	}
	if (o->status != DPS_ACTIVE) {
		snprintf(msg, msgcap, "recipient device %s...: officer %s is not active", h, o->handle);
		return DP_EDENIED;
	}
	/* whoever holds a decoy device would read the cable: decoy officers receive nothing */
	if (dpp_is_decoy_officer(o->roles, o->nroles)) {
		snprintf(msg, msgcap, "recipient device %s... (officer %s) belongs to a decoy officer "
				      "(role " DPP_ROLE_DECOY "), who receives no cable; resolve the "
				      "recipients again", h, o->handle);
		return DP_EDENIED;
	}
	/* the archive receives every cable it is cleared for, as nobody's addressee */
	*role = dpp_is_records_officer(o, rt->records_post)	   ? DP_ROLE_RECORD
		: in_set(rt->posts->to, rt->posts->nto, o->post)	   ? DP_ROLE_ACTION
		: in_set(rt->posts->info, rt->posts->ninfo, o->post) ? DP_ROLE_INFO
								     : 0;
	if (!*role) {
		snprintf(msg, msgcap, "recipient device %s... (officer %s) is at post %s, "
				      "which the cable does not address", h, o->handle, o->post);
		return DP_EDENIED;
	}
	int r = officer_ok(o, rt, *role, why, sizeof why);
	if (r)
		snprintf(msg, msgcap, "recipient device %s...: %s", h, why);
	return r;
}

const dps_window *dpp_current(const dps_device *d, int64_t now)
{
	const dps_window *cur = NULL;
	for (uint32_t i = 0; i < d->nwin; i++) /* oldest first: the last match is the highest */
		if (d->win[i].not_before <= now && now < d->win[i].not_after)
			cur = &d->win[i];
	return cur;
}

int dpp_epoch_ok(dps_store *s, const dps_device *d, const char *who, uint32_t epoch, int64_t now,
		 char *msg, size_t msgcap)
{
	char h[17];
	dps_window w = {0, 0, 0};
	int found = 0;
	for (uint32_t i = 0; i < d->nwin && !found; i++)
		if (d->win[i].epoch == epoch) {
			w = d->win[i];
			found = 1;
		}
	if (found && w.not_before - DP_EPOCH_SKEW <= now && now < w.not_after + DP_EPOCH_SKEW)
		return DP_OK;
	/* the row holds only the windows not closed when read: ask the store about older ones */
	if (!found) {
		int r = dps_epoch_window(s, d->id, epoch, &w);
		if (r && r != DP_ENOTFOUND)
			return r;
		found = r == DP_OK;
		if (found && w.not_before - DP_EPOCH_SKEW <= now && now < w.not_after + DP_EPOCH_SKEW)
			return DP_OK; /* published after the row was read */
	}
	hex8(h, d->id);
	/*
	 * Judged by the switch's clock, named in the message: a window the
	 * sender took for current but the switch does not is a clock that is
	 * off, the switch's or a device's, and must be said as such.
	 */
	char at[DP_TIME_STR], gap[DP_TIME_STR];
	if (!found)
		snprintf(msg, msgcap, "recipient device %s... (officer %s): key epoch %u is unknown; "
				      "resolve the recipients again", h, who, epoch);
	else if (now >= w.not_after + DP_EPOCH_SKEW) {
		dp_time_str(w.not_after, at);
		dp_span_str(now - w.not_after, gap);
		snprintf(msg, msgcap, "recipient device %s... (officer %s): key epoch %u ended %s, %s "
				      "before the switch's clock: resolve the recipients again (if that is "
				      "not so, check the switch's clock: NTP)", h, who, epoch, at, gap);
	} else {
		dp_time_str(w.not_before, at);
		dp_span_str(w.not_before - now, gap);
		snprintf(msg, msgcap, "recipient device %s... (officer %s): key epoch %u starts %s, %s "
				      "after the switch's clock: the switch's clock is behind (NTP) or the "
				      "recipient's ahead", h, who, epoch, at, gap);
	}
	return DP_ESTATE;
}

/* What the archive requirement of dpp_check found at the records post. */
struct archive_ctx {
	const dpp_route *rt;
	const dp_envelope *e;
	int64_t now;
	size_t devices; /* devices of records officers, any status */
	size_t offered; /* ... that the rule offers for this cable */
	char missing[DPP_MSG_MAX]; /* the first one offered, with a current key, not a recipient */
};

static int archive_one(void *ctx, const dps_officer *o, const dps_device *d)
{
	struct archive_ctx *x = ctx;
	char why[DPP_MSG_MAX], h[17];
	int role = 0;
	if (!dpp_is_records_officer(o, x->rt->records_post))
		return DP_OK;
	x->devices++;
	/* the one rule: what dpp_resolve would offer, with the role it would give */
	if (dpp_recipient_ok(x->rt, o, d, &role, why, sizeof why) || role != DP_ROLE_RECORD)
		return DP_OK;
	x->offered++;
	/* a device without a current key cannot be encrypted to: resolve lists it as unreachable */
	if (!dpp_current(d, x->now))
		return DP_OK;
	for (size_t i = 0; i < x->e->nrecipients; i++)
		if (memcmp(x->e->recipients[i].device, d->id, DP_ED25519_PK) == 0)
			return DP_OK;
	hex8(h, d->id);
	snprintf(x->missing, sizeof x->missing, "device %s... of records officer %s", h, o->handle);
	return DP_EDENIED;
}

/*
 * The archive requirement: a cable of a classification in rec->required
 * is encrypted to every records device the rule offers for it that has a
 * current epoch key, and the rule offers at least one.
 */
static int archive_ok(dps_store *s, const dpp_records *rec, const dpp_route *rt,
		      const dp_envelope *e, int64_t now, char *msg, size_t msgcap)
{
	if (!rec || !rec->post || !*rec->post || e->classification < 0 ||
	    e->classification >= 32 || !(rec->required & (1u << e->classification)))
		return DP_OK;
	struct archive_ctx x = {rt, e, now, 0, 0, ""};
	const char *cls = dp_class_name(e->classification);
	int r = dps_post_devices(s, rec->post, archive_one, &x);
	if (r == DP_EDENIED)
		snprintf(msg, msgcap, "the ministry requires a record copy of %s cables: encrypt to "
				      "the archive's devices too (%s at post %s is not a recipient); "
				      "update denpo, whose send resolves them", cls, x.missing, rec->post);
	else if (!r && x.devices == 0) {
		snprintf(msg, msgcap, "the ministry requires a record copy of %s cables, and the "
				      "archive is not enrolled: no officer holding the role "
				      DP_RECORDS_ROLE " at post %s has a device; tell the switch's "
				      "operator (denpod check says so)", cls, rec->post);
		r = DP_EDENIED;
	} else if (!r && x.offered == 0) {
		snprintf(msg, msgcap, "the ministry requires a record copy of %s cables, and none of "
				      "the archive's devices at post %s may receive this one (suspended or "
				      "revoked, or its officer disabled or not cleared for %s or the "
				      "cable's captions); tell the switch's operator", cls, rec->post, cls);
		r = DP_EDENIED;
	}
	return r;
}

int dpp_check(dps_store *s, const dpp_records *rec, const dps_device *sender,
	      const dp_envelope *e, int64_t now, dps_rcpt *rcpts, char officer[DP_NAME_MAX + 1],
	      char *msg, size_t msgcap)
{
	char h[17];
	dps_officer o;
	/* the envelope must be signed by the device at the other end of the TLS session */
	if (memcmp(e->from_device, sender->id, DP_ED25519_PK) != 0) {
		snprintf(msg, msgcap, "the envelope's From-Device is not this device");
		return DP_EDENIED;
	}
	if (sender->status != DPS_ACTIVE) {
		snprintf(msg, msgcap, "this device is %s", dps_status_name(sender->status));
		return DP_EDEVICE;
	}
	int r = dps_officer_get(s, sender->officer, &o);
	if (r == DP_ENOTFOUND) {
		snprintf(msg, msgcap, "this device's officer %s is not in the directory", sender->officer);
		return DP_EDENIED;
	}
	if (r)
		return r;
	if (o.status != DPS_ACTIVE) {
		snprintf(msg, msgcap, "officer %s is %s", o.handle, dps_status_name(o.status));
		return DP_EDENIED;
	}
	/* an officer originates cables for their own post only */
	if (strcmp(o.post, e->from) != 0) {
		snprintf(msg, msgcap, "officer %s is at post %s, not %s", o.handle, o.post, e->from);
		return DP_EDENIED;
	}
	snprintf(officer, DP_NAME_MAX + 1, "%s", o.handle);
	/* no recipient at all would be a cable nobody can read */
	if (e->nrecipients == 0 || e->nto == 0) {
		snprintf(msg, msgcap, "a cable needs at least one TO addressee and one recipient device");
		return DP_EPARSE;
	}

	/* cables are encrypted to post-quantum (mlkem768x25519) keys only, never classic ones */
	for (size_t i = 0; i < e->nrecipients; i++)
		if (e->recipients[i].key_type != DP_AGE_MLKEM768X25519) {
			hex8(h, e->recipients[i].device);
			snprintf(msg, msgcap, "recipient device %s... is encrypted to key type %d: only "
					      "post-quantum keys (type %d, mlkem768x25519) are accepted",
				 h, e->recipients[i].key_type, DP_AGE_MLKEM768X25519);
			return DP_EUNSUPP;
		}

	dpp_posts *posts = malloc(sizeof *posts);
	if (!posts) {
		snprintf(msg, msgcap, "out of memory; retry");
		return DP_ENOMEM;
	}
	r = dpp_expand(s, (char(*)[DP_NAME_MAX + 1])e->to, e->nto, (char(*)[DP_NAME_MAX + 1])e->info,
		       e->ninfo, posts, msg, msgcap);
	dpp_route rt = {posts, e->classification, e->captions, e->ncaptions, e->attn, e->nattn,
			rec ? rec->post : NULL};
	for (size_t i = 0; !r && i < e->nrecipients; i++) {
		const dp_recipient *rc = &e->recipients[i];
		dps_device d;
		int role = 0;
		hex8(h, rc->device);
		r = dps_device_get(s, rc->device, &d);
		if (r == DP_ENOTFOUND) {
			snprintf(msg, msgcap, "recipient device %s... is not enrolled", h);
			r = DP_EDEVICE;
			break;
		}
		r = r ? r : dps_officer_get(s, d.officer, &o);
		if (r == DP_ENOTFOUND) {
			snprintf(msg, msgcap, "recipient device %s...: officer %s is not in the directory",
				 h, d.officer);
			r = DP_EDENIED;
			break;
		}
		r = r ? r : dpp_recipient_ok(&rt, &o, &d, &role, msg, msgcap);
		/* the role decides the precedence the device is queued at */
		if (!r && rc->role != role) {
			snprintf(msg, msgcap, "recipient device %s... (officer %s) must have role %s, "
					      "not %s%s", h, o.handle, dp_role_name(role),
				 dp_role_name(rc->role),
				 role == DP_ROLE_RECORD ? " (a records device of the archive)"
				 : rc->role == DP_ROLE_RECORD ? " (only the archive's devices are records "
								"devices)"
							      : "");
			r = DP_EDENIED;
		}
		/*
		 * Encrypted to an epoch key the switch does not accept now (closed,
		 * not yet valid, never published): the device may have erased it
		 * or never held it, so the drafter must resolve again.
		 */
		r = r ? r : dpp_epoch_ok(s, &d, o.handle, rc->epoch, now, msg, msgcap);
		if (r)
			break;
		memcpy(rcpts[i].device, rc->device, DP_ED25519_PK);
		rcpts[i].role = role;
		rcpts[i].prec = dp_role_prec(role, e->prec_action, e->prec_info);
		rcpts[i].epoch = rc->epoch;
		rcpts[i].delivered = rcpts[i].acked = 0;
	}
	/* the archive's record copy alone is nobody's delivery (roles as checked above) */
	size_t naddressed = 0;
	for (size_t i = 0; !r && i < e->nrecipients; i++)
		naddressed += rcpts[i].role != DP_ROLE_RECORD;
	if (!r && naddressed == 0) {
		snprintf(msg, msgcap, "a cable needs a recipient device of an addressee (a record copy "
				      "for the archive does not count)");
		r = DP_EPARSE;
	}
	if (!r)
		r = archive_ok(s, rec, &rt, e, now, msg, msgcap);
	free(posts);
	return r;
}

struct resolve_ctx {
	const dpp_route *rt;
	int (*cb)(void *ctx, const dps_officer *o, const dps_device *d, int role);
	void *ctx;
};

static int resolve_one(void *ctx, const dps_officer *o, const dps_device *d)
{
	struct resolve_ctx *x = ctx;
	char why[DPP_MSG_MAX];
	int role = 0;
	/* a device the rule refuses is simply not offered: the why is for acceptance */
	if (dpp_recipient_ok(x->rt, o, d, &role, why, sizeof why))
		return DP_OK;
	return x->cb(x->ctx, o, d, role);
}

int dpp_resolve(dps_store *s, const dpp_route *rt,
		int (*cb)(void *ctx, const dps_officer *o, const dps_device *d, int role), void *ctx)
{
	struct resolve_ctx x = {rt, cb, ctx};
	const dpp_posts *p = rt->posts;
	int r = DP_OK;
	for (size_t i = 0; !r && i < p->nto; i++)
		r = dps_post_devices(s, p->to[i], resolve_one, &x);
	/* a post addressed both as TO and INFO is walked once, as TO (its role by the rule) */
	for (size_t i = 0; !r && i < p->ninfo; i++)
		if (!in_set(p->to, p->nto, p->info[i]))
			r = dps_post_devices(s, p->info[i], resolve_one, &x);
	/* the archive, at a post the cable may not address: the rule offers its records devices */
	if (!r && rt->records_post && *rt->records_post && !in_set(p->to, p->nto, rt->records_post) &&
	    !in_set(p->info, p->ninfo, rt->records_post))
		r = dps_post_devices(s, rt->records_post, resolve_one, &x);
	return r;
}

static int officer_is_decoy(dps_store *s, const char *handle, int *yes)
{
	dps_officer o;
	int r = dps_officer_get(s, handle, &o);
	*yes = r == DP_OK && dpp_is_decoy_officer(o.roles, o.nroles);
	return r == DP_ENOTFOUND ? DP_OK : r;
}

int dpp_decoy_ok(dps_store *s, const dps_device *sender, const char *hdr, int *decoy, char *msg,
		 size_t msgcap)
{
	int decoy_officer = 0;
	int r = officer_is_decoy(s, sender->officer, &decoy_officer);
	*decoy = 0;
	if (r)
		return r;
	if (hdr && (strcmp(hdr, "1") != 0 || !decoy_officer)) {
		snprintf(msg, msgcap, "only devices of the security office's decoy officers (role "
				      DPP_ROLE_DECOY ") may plant decoys (X-Denpo-Decoy: 1)");
		return DP_EDENIED;
	}
	/* and they plant nothing else: a decoy never reaches an inbox by mistake */
	if (!hdr && decoy_officer) {
		snprintf(msg, msgcap, "a " DPP_ROLE_DECOY " officer's device only plants decoys: send "
				      "with --decoy (denpo retry --decoy for a saved one)");
		return DP_EDENIED;
	}
	*decoy = hdr != NULL;
	return DP_OK;
}

struct warn_ctx {
	const char *post;
	void (*warn)(void *ctx, const char *msg);
	void *ctx;
	int n;
	size_t officers; /* records officers at the records post */
	size_t devices;  /* ... their active devices, of active officers */
};

static void say(struct warn_ctx *w, const char *msg)
{
	w->warn(w->ctx, msg);
	w->n++;
}

static int warn_officer(void *ctx, const dps_officer *o)
{
	struct warn_ctx *w = ctx;
	char m[DPP_MSG_MAX + 2 * DP_NAME_MAX];
	if (!in_set(o->roles, o->nroles, DP_RECORDS_ROLE))
		return DP_OK;
	if (dpp_is_records_officer(o, w->post)) {
		w->officers++;
		return DP_OK;
	}
	if (w->post && *w->post)
		snprintf(m, sizeof m, "officer %s holds the role " DP_RECORDS_ROLE " at post %s, not at "
				      "the records post %s: they receive nothing as records (move them "
				      "to %s, or take the role away)", o->handle, o->post, w->post, w->post);
	else
		snprintf(m, sizeof m, "officer %s holds the role " DP_RECORDS_ROLE " but denpod.conf sets "
				      "no records_post: nobody receives cables as records (set "
				      "records_post = the archive's HQ post)", o->handle);
	say(w, m);
	return DP_OK;
}

static int warn_device(void *ctx, const dps_officer *o, const dps_device *d)
{
	struct warn_ctx *w = ctx;
	if (dpp_is_records_officer(o, w->post) && o->status == DPS_ACTIVE && d->status == DPS_ACTIVE)
		w->devices++;
	return DP_OK;
}

int dpp_records_warnings(dps_store *s, const char *records_post, unsigned required,
			 void (*warn)(void *ctx, const char *msg), void *ctx)
{
	struct warn_ctx w = {records_post, warn, ctx, 0, 0, 0};
	char m[DPP_MSG_MAX + 2 * DP_NAME_MAX], levels[128] = "";
	dps_post p;
	int r = dps_officer_list(s, warn_officer, &w);
	if (r || !records_post || !*records_post)
		return r ? -r : w.n;
	r = dps_post_get(s, records_post, &p);
	if (r && r != DP_ENOTFOUND)
		return -r;
	if (r == DP_ENOTFOUND) {
		snprintf(m, sizeof m, "records_post %s is not a post of the directory: nobody receives "
				      "cables as records (denpod post add %s --hq, or correct records_post)",
			 records_post, records_post);
		say(&w, m);
	} else if (!p.hq) {
		snprintf(m, sizeof m, "records_post %s is not an HQ post: the ministry's archive is "
				      "kept at HQ (check records_post)", records_post);
		say(&w, m);
	}
	if ((r = dps_post_devices(s, records_post, warn_device, &w)))
		return -r;
	for (int l = 0; l < DP_CLASS_COUNT; l++)
		if (required & (1u << l))
			snprintf(levels + strlen(levels), sizeof levels - strlen(levels), "%s%s",
				 levels[0] ? ", " : "", dp_class_name(l));
	if (required && w.devices == 0) {
		snprintf(m, sizeof m, "records_required names %s, but no records officer at post %s has "
				      "an active device: every such cable is refused until the archive is "
				      "enrolled (an officer at %s with the role " DP_RECORDS_ROLE ", and "
				      "their device approved)", levels, records_post, records_post);
		say(&w, m);
	} else if (w.officers == 0) {
		snprintf(m, sizeof m, "records_post is %s, but no officer there holds the role "
				      DP_RECORDS_ROLE ": the archive receives nothing (denpod officer "
				      "add HANDLE --post %s --roles " DP_RECORDS_ROLE " ...)", records_post,
			 records_post);
		say(&w, m);
	}
	return w.n;
}
