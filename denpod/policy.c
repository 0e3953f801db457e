/*
 * denpod/policy.c - acceptance policy of the switch (see policy.h).
 *
 * The switch never widens the recipient set chosen by the drafting device:
 * it only refuses a cable naming a device that may not read it.
 */
#include <stdio.h>
#include <string.h>

#include "denpo/encoding.h"
#include "denpo/epoch.h"
#include "denpod/policy.h"

static int in_set(char set[][DP_NAME_MAX + 1], size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(set[i], name) == 0)
			return 1;
	return 0;
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

int dpp_officer_ok(const dps_officer *o, int classification, char caps[][DP_NAME_MAX + 1],
		   size_t ncaps, char attn[][DP_NAME_MAX + 1], size_t nattn, char *msg,
		   size_t msgcap)
{
	if (o->clearance < classification) {
		snprintf(msg, msgcap, "officer %s is not cleared for %s", o->handle,
			 dp_class_name(classification));
		return DP_ECLEARANCE;
	}
	for (size_t i = 0; i < ncaps; i++)
		if (!in_set((char(*)[DP_NAME_MAX + 1])o->captions, o->ncaptions, caps[i])) {
			snprintf(msg, msgcap, "officer %s does not hold caption %s", o->handle,
				 caps[i]);
			return DP_ECLEARANCE;
		}
	if (nattn == 0)
		return DP_OK;
	for (size_t i = 0; i < nattn; i++)
		if (strcmp(attn[i], o->handle) == 0 ||
		    in_set((char(*)[DP_NAME_MAX + 1])o->roles, o->nroles, attn[i]))
			return DP_OK;
	snprintf(msg, msgcap, "officer %s is neither named nor holds a role in ATTN", o->handle);
	return DP_EDENIED;
}

static void hex8(char out[17], const uint8_t *id)
{
	dp_hex_encode(out, id, 8);
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

int dpp_check(dps_store *s, const dps_device *sender, const dp_envelope *e, int64_t now,
	      dps_rcpt *rcpts, char officer[DP_NAME_MAX + 1], char *msg, size_t msgcap)
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

	static dpp_posts posts; /* large; the server is single-threaded */
	r = dpp_expand(s, (char(*)[DP_NAME_MAX + 1])e->to, e->nto, (char(*)[DP_NAME_MAX + 1])e->info,
		       e->ninfo, &posts, msg, msgcap);
	if (r)
		return r;

	for (size_t i = 0; i < e->nrecipients; i++) {
		const dp_recipient *rc = &e->recipients[i];
		dps_device d;
		hex8(h, rc->device);
		r = dps_device_get(s, rc->device, &d);
		if (r == DP_ENOTFOUND) {
			snprintf(msg, msgcap, "recipient device %s... is not enrolled", h);
			return DP_EDEVICE;
		}
		if (r)
			return r;
		if (d.status != DPS_ACTIVE) {
			snprintf(msg, msgcap, "recipient device %s... (officer %s) is %s", h, d.officer,
				 dps_status_name(d.status));
			return DP_EDEVICE;
		}
		r = dps_officer_get(s, d.officer, &o);
		if (r == DP_ENOTFOUND || (!r && o.status != DPS_ACTIVE)) {
			snprintf(msg, msgcap, "recipient device %s...: officer %s is not active", h,
				 d.officer);
			return DP_EDENIED;
		}
		if (r)
			return r;
		int role = in_set(posts.to, posts.nto, o.post)	   ? DP_ROLE_ACTION
			   : in_set(posts.info, posts.ninfo, o.post) ? DP_ROLE_INFO
								     : 0;
		if (!role) {
			snprintf(msg, msgcap, "recipient device %s... (officer %s) is at post %s, "
					      "which the cable does not address", h, o.handle, o.post);
			return DP_EDENIED;
		}
		/* the role decides the precedence the device is queued at */
		if (rc->role != role) {
			snprintf(msg, msgcap, "recipient device %s... (officer %s) must have role %s",
				 h, o.handle, role == DP_ROLE_ACTION ? "action" : "info");
			return DP_EDENIED;
		}
		char why[DPP_MSG_MAX];
		r = dpp_officer_ok(&o, e->classification, (char(*)[DP_NAME_MAX + 1])e->captions,
				   e->ncaptions, (char(*)[DP_NAME_MAX + 1])e->attn, e->nattn, why,
				   sizeof why);
		if (r) {
			snprintf(msg, msgcap, "recipient device %s...: %s", h, why);
			return r;
		}
		/*
		 * Encrypted to an epoch key the switch does not accept now (closed,
		 * not yet valid, never published): the device may have erased it
		 * or never held it, so the drafter must resolve again.
		 */
		r = dpp_epoch_ok(s, &d, o.handle, rc->epoch, now, msg, msgcap);
		if (r)
			return r;
		memcpy(rcpts[i].device, rc->device, DP_ED25519_PK);
		rcpts[i].role = role;
		rcpts[i].prec = role == DP_ROLE_ACTION ? e->prec_action : e->prec_info;
		rcpts[i].epoch = rc->epoch;
		rcpts[i].delivered = rcpts[i].acked = 0;
	}
	return DP_OK;
}

struct resolve_ctx {
	const dpp_posts *posts;
	int role, classification;
	char (*caps)[DP_NAME_MAX + 1];
	size_t ncaps;
	char (*attn)[DP_NAME_MAX + 1];
	size_t nattn;
	int (*cb)(void *ctx, const dps_officer *o, const dps_device *d, int role);
	void *ctx;
};

static int resolve_one(void *ctx, const dps_officer *o, const dps_device *d)
{
	struct resolve_ctx *x = ctx;
	char why[DPP_MSG_MAX];
	if (o->status != DPS_ACTIVE || d->status != DPS_ACTIVE)
		return DP_OK;
	/* the security office's fictitious originators are nobody's addressee */
	if (in_set((char(*)[DP_NAME_MAX + 1])o->roles, o->nroles, DPP_ROLE_DECOY))
		return DP_OK;
	if (dpp_officer_ok(o, x->classification, x->caps, x->ncaps, x->attn, x->nattn, why,
			   sizeof why))
		return DP_OK;
	return x->cb(x->ctx, o, d, x->role);
}

int dpp_resolve(dps_store *s, const dpp_posts *posts, int classification,
		char caps[][DP_NAME_MAX + 1], size_t ncaps, char attn[][DP_NAME_MAX + 1],
		size_t nattn,
		int (*cb)(void *ctx, const dps_officer *o, const dps_device *d, int role), void *ctx)
{
	struct resolve_ctx x = {posts, DP_ROLE_ACTION, classification, caps, ncaps, attn, nattn, cb, ctx};
	int r = DP_OK;
	for (size_t i = 0; !r && i < posts->nto; i++)
		r = dps_post_devices(s, posts->to[i], resolve_one, &x);
	x.role = DP_ROLE_INFO;
	for (size_t i = 0; !r && i < posts->ninfo; i++) {
		/* a post addressed both as TO and INFO counts as action, once */
		int dup = 0;
		for (size_t j = 0; j < posts->nto && !dup; j++)
			dup = strcmp(posts->to[j], posts->info[i]) == 0;
		if (!dup)
			r = dps_post_devices(s, posts->info[i], resolve_one, &x);
	}
	return r;
}

int dpp_has_role(dps_store *s, const char *handle, const char *role)
{
	dps_officer o;
	if (dps_officer_get(s, handle, &o))
		return 0;
	return in_set((char(*)[DP_NAME_MAX + 1])o.roles, o.nroles, role);
}
