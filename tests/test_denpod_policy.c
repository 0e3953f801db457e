/*
 * tests/test_denpod_policy.c - the acceptance policy: a valid envelope
 * passes with the right roles and precedences; each rejection returns its
 * exact error.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denpo/crypto.h"
#include "denpod/policy.h"
#include "tests/harness.h"

static dps_store *s;

static void officer(const char *h, const char *post, int cl, const char *caps, const char *roles)
{
	dps_officer o;
	memset(&o, 0, sizeof o);
	snprintf(o.handle, sizeof o.handle, "%s", h);
	snprintf(o.post, sizeof o.post, "%s", post);
	o.clearance = cl;
	CHECK(dps_split_names(caps, o.captions, DP_MAX_CAPTIONS, &o.ncaptions) == DP_OK);
	CHECK(dps_split_names(roles, o.roles, DP_MAX_CAPTIONS, &o.nroles) == DP_OK);
	CHECK(dps_officer_put(s, &o, 0) == DP_OK);
}

static void device(dps_device *d, const char *officer_handle)
{
	memset(d, 0, sizeof *d);
	dp_random(d->id, 32);
	dp_random(d->tls_key, 32);
	snprintf(d->officer, sizeof d->officer, "%s", officer_handle);
	snprintf(d->age_recipient, sizeof d->age_recipient, "age1pq1x");
	d->key_type = DP_AGE_MLKEM768X25519;
	d->epoch = 3;
	CHECK(dps_device_add(s, d) == DP_OK);
}

/* An envelope from `from` to TO=to (one name) with recipients rc. */
static void envelope(dp_envelope *e, const dps_device *from, const char *post, const char *to,
		     const char *info, int cls, const dps_device *const *rc, const int *roles, size_t n)
{
	dp_envelope_init(e);
	dp_random(e->cable_id, 16);
	memcpy(e->from_device, from->id, 32);
	snprintf(e->from, sizeof e->from, "%s", post);
	e->classification = cls;
	e->prec_action = DP_PREC_FLASH;
	e->prec_info = DP_PREC_ROUTINE;
	snprintf(e->to[0], sizeof e->to[0], "%s", to);
	e->nto = 1;
	if (info) {
		snprintf(e->info[0], sizeof e->info[0], "%s", info);
		e->ninfo = 1;
	}
	e->recipients = calloc(n ? n : 1, sizeof *e->recipients);
	for (size_t i = 0; i < n; i++) {
		memcpy(e->recipients[i].device, rc[i]->id, 32);
		e->recipients[i].key_type = (uint8_t)rc[i]->key_type;
		e->recipients[i].epoch = rc[i]->epoch;
		e->recipients[i].role = (uint8_t)roles[i];
	}
	e->nrecipients = n;
}

static int check(const dps_device *sender, dp_envelope *e, char *msg)
{
	dps_rcpt r[8];
	char off[DP_NAME_MAX + 1];
	msg[0] = 0;
	int rc = dpp_check(s, sender, e, r, off, msg, DPP_MSG_MAX);
	return rc;
}

struct count {
	int n, action, info;
};
static int count_cb(void *ctx, const dps_officer *o, const dps_device *d, int role)
{
	struct count *c = ctx;
	c->n++;
	c->action += role == DP_ROLE_ACTION;
	c->info += role == DP_ROLE_INFO;
	return DP_OK;
}

int main(void)
{
	char dir[] = "/tmp/test_denpod_policy.XXXXXX", path[256], msg[DPP_MSG_MAX];
	if (dp_crypto_init() || !mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/db", dir);
	if (dps_open(&s, path, 1) != DP_OK)
		return 1;
	dps_post hq = {"HQ", 1, "UTC"}, tk = {"TOKYO", 0, "UTC"}, pa = {"PARIS", 0, "UTC"};
	CHECK(dps_post_add(s, &hq) == DP_OK && dps_post_add(s, &tk) == DP_OK && dps_post_add(s, &pa) == DP_OK);
	const char *all[] = {"TOKYO", "PARIS"};
	CHECK(dps_collective_add(s, "ALL POSTS", all, 2) == DP_OK);
	officer("tanaka.h", "HQ", DP_CLASS_TOP_SECRET, "NOFORN", "COMMS");
	officer("sato.k", "TOKYO", DP_CLASS_SECRET, "NOFORN", "POL");
	officer("mori.a", "TOKYO", DP_CLASS_SECRET, "", "");
	officer("low.p", "PARIS", DP_CLASS_CONFIDENTIAL, "NOFORN", "");
	dps_device A, B, M, P, A2;
	device(&A, "tanaka.h");
	device(&A2, "tanaka.h");
	device(&B, "sato.k");
	device(&M, "mori.a");
	device(&P, "low.p");

	dp_envelope e;
	const dps_device *rb[] = {&B}, *rbp[] = {&B, &P}, *rp[] = {&P}, *rm[] = {&M};
	int act[] = {DP_ROLE_ACTION, DP_ROLE_ACTION}, inf[] = {DP_ROLE_INFO};

	/* valid: TO ALL POSTS at CONFIDENTIAL reaches TOKYO and PARIS as action */
	envelope(&e, &A, "HQ", "ALL POSTS", NULL, DP_CLASS_CONFIDENTIAL, rbp, act, 2);
	dps_rcpt r[8];
	char off[DP_NAME_MAX + 1];
	CHECKF(dpp_check(s, &A, &e, r, off, msg, sizeof msg) == DP_OK, "%s", msg);
	CHECK(strcmp(off, "tanaka.h") == 0 && r[0].prec == DP_PREC_FLASH && r[1].role == DP_ROLE_ACTION);
	dp_envelope_free(&e);
	/* valid: INFO recipient gets the info precedence */
	envelope(&e, &A, "HQ", "TOKYO", "PARIS", DP_CLASS_CONFIDENTIAL, rp, inf, 1);
	CHECKF(dpp_check(s, &A, &e, r, off, msg, sizeof msg) == DP_OK, "%s", msg);
	CHECK(r[0].prec == DP_PREC_ROUTINE && r[0].role == DP_ROLE_INFO);
	/* ... but not when it claims to be action */
	e.recipients[0].role = DP_ROLE_ACTION;
	CHECK(check(&A, &e, msg) == DP_EDENIED && strstr(msg, "role info"));
	dp_envelope_free(&e);

	/* sender is not the envelope's From-Device */
	envelope(&e, &A, "HQ", "TOKYO", NULL, DP_CLASS_SECRET, rb, act, 1);
	CHECK(check(&B, &e, msg) == DP_EDENIED && strstr(msg, "From-Device"));
	/* another device of the same officer is still another device */
	CHECK(check(&A2, &e, msg) == DP_EDENIED);
	dp_envelope_free(&e);
	/* officer not at the From post */
	envelope(&e, &A, "TOKYO", "TOKYO", NULL, DP_CLASS_SECRET, rb, act, 1);
	CHECK(check(&A, &e, msg) == DP_EDENIED && strstr(msg, "not TOKYO"));
	dp_envelope_free(&e);
	/* unknown addressee */
	envelope(&e, &A, "HQ", "MARS", NULL, DP_CLASS_SECRET, rb, act, 1);
	CHECK(check(&A, &e, msg) == DP_ENOTFOUND && strstr(msg, "MARS"));
	dp_envelope_free(&e);
	/* recipient at a post not addressed */
	envelope(&e, &A, "HQ", "TOKYO", NULL, DP_CLASS_CONFIDENTIAL, rp, act, 1);
	CHECK(check(&A, &e, msg) == DP_EDENIED && strstr(msg, "does not address"));
	dp_envelope_free(&e);
	/* clearance */
	envelope(&e, &A, "HQ", "PARIS", NULL, DP_CLASS_SECRET, rp, act, 1);
	CHECK(check(&A, &e, msg) == DP_ECLEARANCE && strstr(msg, "not cleared for SECRET"));
	dp_envelope_free(&e);
	/* caption not held */
	envelope(&e, &A, "HQ", "TOKYO", NULL, DP_CLASS_SECRET, rm, act, 1);
	snprintf(e.captions[0], sizeof e.captions[0], "NOFORN");
	e.ncaptions = 1;
	CHECK(check(&A, &e, msg) == DP_ECLEARANCE && strstr(msg, "caption NOFORN"));
	dp_envelope_free(&e);
	/* ATTN: matched by handle, by role, refused otherwise */
	envelope(&e, &A, "HQ", "TOKYO", NULL, DP_CLASS_SECRET, rb, act, 1);
	snprintf(e.attn[0], sizeof e.attn[0], "sato.k");
	e.nattn = 1;
	CHECK(check(&A, &e, msg) == DP_OK);
	snprintf(e.attn[0], sizeof e.attn[0], "POL");
	CHECK(check(&A, &e, msg) == DP_OK);
	snprintf(e.attn[0], sizeof e.attn[0], "mori.a");
	CHECK(check(&A, &e, msg) == DP_EDENIED && strstr(msg, "ATTN"));
	e.nattn = 0;
	/* stale key epoch / type */
	e.recipients[0].epoch = 2;
	CHECK(check(&A, &e, msg) == DP_ESTATE && strstr(msg, "epoch 3"));
	e.recipients[0].epoch = 3;
	CHECK(check(&A, &e, msg) == DP_OK);
	/* a classic (X25519) or any other non post-quantum key type: refused before any lookup */
	for (int kt = 0; kt < 256; kt++) {
		if (kt == DP_AGE_MLKEM768X25519)
			continue;
		e.recipients[0].key_type = (uint8_t)kt;
		int got = check(&A, &e, msg);
		CHECKF(got == DP_EUNSUPP && strstr(msg, "post-quantum"), "key type %d -> %d", kt, got);
	}
	e.recipients[0].key_type = DP_AGE_MLKEM768X25519;
	CHECK(check(&A, &e, msg) == DP_OK);
	/* unknown recipient device */
	dp_random(e.recipients[0].device, 32);
	CHECK(check(&A, &e, msg) == DP_EDEVICE && strstr(msg, "not enrolled"));
	memcpy(e.recipients[0].device, B.id, 32);
	/* suspended and revoked recipients */
	CHECK(dps_device_set_status(s, B.id, DPS_SUSPENDED) == DP_OK);
	CHECK(check(&A, &e, msg) == DP_EDEVICE && strstr(msg, "suspended"));
	CHECK(dps_device_set_status(s, B.id, DPS_ACTIVE) == DP_OK);
	CHECK(check(&A, &e, msg) == DP_OK);
	/* suspended sender */
	dps_device As = A;
	As.status = DPS_SUSPENDED;
	CHECK(check(&As, &e, msg) == DP_EDEVICE);
	/* no recipients */
	e.nrecipients = 0;
	CHECK(check(&A, &e, msg) == DP_EPARSE);
	dp_envelope_free(&e);

	/* resolve: ALL POSTS at SECRET -> TOKYO's two officers; with NOFORN -> sato.k only */
	dpp_posts *posts = calloc(1, sizeof *posts);
	char to[1][DP_NAME_MAX + 1] = {"ALL POSTS"}, info[1][DP_NAME_MAX + 1] = {"TOKYO"};
	char caps[1][DP_NAME_MAX + 1] = {"NOFORN"};
	struct count c = {0, 0, 0};
	CHECK(dpp_expand(s, to, 1, NULL, 0, posts, msg, sizeof msg) == DP_OK && posts->nto == 2);
	CHECK(dpp_resolve(s, posts, DP_CLASS_SECRET, NULL, 0, NULL, 0, count_cb, &c) == DP_OK);
	CHECK(c.n == 2 && c.action == 2);
	memset(&c, 0, sizeof c);
	CHECK(dpp_resolve(s, posts, DP_CLASS_CONFIDENTIAL, caps, 1, NULL, 0, count_cb, &c) == DP_OK);
	CHECK(c.n == 2); /* sato.k and low.p hold NOFORN, mori.a does not */
	/* TO and INFO both name TOKYO: counted once, as action */
	char tk1[1][DP_NAME_MAX + 1] = {"TOKYO"};
	CHECK(dpp_expand(s, tk1, 1, info, 1, posts, msg, sizeof msg) == DP_OK);
	memset(&c, 0, sizeof c);
	CHECK(dpp_resolve(s, posts, DP_CLASS_SECRET, NULL, 0, NULL, 0, count_cb, &c) == DP_OK);
	CHECK(c.n == 2 && c.info == 0);
	free(posts);

	dps_close(s);
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	if (system(path) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return t_done("test_denpod_policy");
}
