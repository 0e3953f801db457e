/*
 * tests/test_denpod_policy.c - the acceptance policy: a valid envelope
 * passes with the right roles and precedences; each rejection returns its
 * exact error; a recipient's key epoch is accepted exactly inside its
 * window widened by the skew; the archive (records officers at the records
 * post) receives every cable it is cleared for as record, and a cable of a
 * required classification without it is refused; denpod.conf's records keys.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "denpo/crypto.h"
#include "denpo/epoch.h"
#include "denpod/config.h"
#include "denpod/policy.h"
#include "tests/fixture.h"
#include "tests/harness.h"

static dps_store *s;
static dpp_records REC; /* the switch's archive: none until the records tests */
static int64_t T; /* the test's "now": dp_now() at start */
static uint8_t next_seed = 1;

/* A signed record of device (pk, sk) for epoch ep, window [nb, na), a fresh PQ recipient, stored. */
static void publish(const uint8_t pk[32], const uint8_t sk[64], uint32_t ep, int64_t nb, int64_t na,
		    int64_t now)
{
	dp_epoch_key k;
	dp_age_identity id;
	dp_age_recipient rc;
	dp_buf ab, rec;
	memset(&k, 0, sizeof k);
	memcpy(k.device, pk, 32);
	k.epoch = ep;
	k.not_before = nb;
	k.not_after = na;
	dp_buf_init(&ab, DP_AGE_RECIPIENT_MAX + 1);
	dp_buf_init(&rec, DP_EPOCH_KEY_MAX);
	if (dp_age_identity_generate_pq(&id) || dp_age_identity_to_recipient(&id, &rc) ||
	    dp_age_recipient_format(&rc, &ab))
		abort();
	memcpy(k.age_recipient, ab.p, ab.len + 1);
	dp_age_identity_wipe(&id);
	if (dp_epoch_key_encode(&k, sk, &rec))
		abort();
	dps_epoch_pub p;
	memset(&p, 0, sizeof p);
	p.k = &k;
	p.record = rec.p;
	p.len = rec.len;
	p.now = now;
	CHECKF(dps_epoch_put(s, &p) == DP_OK && !p.duplicate, "epoch %u", ep);
	dp_buf_free(&ab);
	dp_buf_free(&rec);
}

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

/* A device with real keys (the seeds next_seed...) whose epoch 3 is valid around T. */
static void device(dps_device *d, const char *officer_handle, uint8_t sk[64])
{
	uint8_t pk[32], tmp[64];
	fx_seed_key((uint8_t)next_seed, pk, sk ? sk : tmp);
	next_seed++; /* each base its own seed (base, base + 1, ...) */
	memset(d, 0, sizeof *d);
	memcpy(d->id, pk, 32);
	dp_random(d->tls_key, 32);
	snprintf(d->officer, sizeof d->officer, "%s", officer_handle);
	CHECK(dps_device_add(s, d) == DP_OK);
	publish(pk, sk ? sk : tmp, 3, T - 3600, T + 86400, T);
	CHECK(dps_device_get(s, pk, d) == DP_OK && d->nwin == 1 && d->win[0].epoch == 3);
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
		e->recipients[i].key_type = DP_AGE_MLKEM768X25519;
		e->recipients[i].epoch = rc[i]->win[rc[i]->nwin - 1].epoch; /* its newest key */
		e->recipients[i].role = (uint8_t)roles[i];
	}
	e->nrecipients = n;
}

static int check_at(const dps_device *sender, dp_envelope *e, int64_t now, char *msg)
{
	dps_rcpt r[8];
	char off[DP_NAME_MAX + 1];
	msg[0] = 0;
	int rc = dpp_check(s, &REC, sender, e, now, r, off, msg, DPP_MSG_MAX);
	return rc;
}

static int check(const dps_device *sender, dp_envelope *e, char *msg)
{
	return check_at(sender, e, T, msg);
}

struct count {
	int n, action, info, keyed, record;
};
static int count_cb(void *ctx, const dps_officer *o, const dps_device *d, int role);

static int resolve(const dpp_posts *p, int cls, const char (*caps)[DP_NAME_MAX + 1], size_t ncaps,
		   struct count *c)
{
	dpp_route rt = {p, cls, caps, ncaps, NULL, 0, REC.post};
	return dpp_resolve(s, &rt, count_cb, c);
}

/* What resolve offered, for the agreement of acceptance and resolution. */
struct offered {
	uint8_t dev[16][32];
	int role[16];
	size_t n;
};
static int offered_cb(void *ctx, const dps_officer *o, const dps_device *d, int role)
{
	struct offered *x = ctx;
	if (x->n < 16) {
		memcpy(x->dev[x->n], d->id, 32);
		x->role[x->n++] = role;
	}
	return DP_OK;
}
static int offered_role(const struct offered *x, const uint8_t dev[32])
{
	for (size_t i = 0; i < x->n; i++)
		if (memcmp(x->dev[i], dev, 32) == 0)
			return x->role[i];
	return 0;
}
static int count_cb(void *ctx, const dps_officer *o, const dps_device *d, int role)
{
	struct count *c = ctx;
	c->n++;
	c->keyed += d->nwin >= 1 && d->win[0].epoch == 3; /* rows come with their windows */
	c->action += role == DP_ROLE_ACTION;
	c->info += role == DP_ROLE_INFO;
	c->record += role == DP_ROLE_RECORD;
	return DP_OK;
}

/*
 * A DECOY officer's device is never a recipient: resolve does not offer it
 * and acceptance refuses a cable addressed to it by hand.  Then the one
 * rule, seen from both sides: for every route of a matrix, with and
 * without an archive (records post HQ: its records officers arc.h and
 * arc.s; arc.t holds RECORDS at TOKYO), and every device and role,
 * dpp_check accepts a cable to that device in that role exactly when
 * dpp_resolve offers the device in that role.
 */
static void decoys_and_agreement(const dps_device *A, const dps_device *B, const dps_device *M,
				 const dps_device *P, const dps_device *R, const dps_device *R2,
				 const dps_device *RT)
{
	char msg[DPP_MSG_MAX];
	dp_envelope e;
	dps_device D, X, Ms;
	officer("decoy.d", "TOKYO", DP_CLASS_TOP_SECRET, "NOFORN", "DECOY,POL");
	officer("gone.g", "TOKYO", DP_CLASS_TOP_SECRET, "NOFORN", "POL");
	device(&D, "decoy.d", NULL);
	device(&X, "gone.g", NULL);
	device(&Ms, "mori.a", NULL);
	dps_officer g;
	CHECK(dps_officer_get(s, "gone.g", &g) == DP_OK);
	g.status = DPS_SUSPENDED; /* denpod officer disable */
	CHECK(dps_officer_put(s, &g, 1) == DP_OK);
	CHECK(dps_device_set_status(s, Ms.id, DPS_SUSPENDED) == DP_OK);
	CHECK(dps_device_get(s, Ms.id, &Ms) == DP_OK);

	/* hand-addressed to the decoy officer's device: refused, and says why */
	const dps_device *rd[] = {B, &D};
	int act[] = {DP_ROLE_ACTION, DP_ROLE_ACTION};
	envelope(&e, A, "HQ", "TOKYO", NULL, DP_CLASS_SECRET, rd, act, 2);
	CHECKF(check(A, &e, msg) == DP_EDENIED && strstr(msg, "decoy.d") &&
		       strstr(msg, "decoy officer (role DECOY)"), "%s", msg);
	e.nrecipients = 1; /* without it: accepted */
	CHECKF(check(A, &e, msg) == DP_OK, "%s", msg);
	dp_envelope_free(&e);

	/* the decoy rule of a submission */
	int decoy = -1;
	CHECK(dpp_decoy_ok(s, &D, "1", &decoy, msg, sizeof msg) == DP_OK && decoy == 1);
	CHECK(dpp_decoy_ok(s, &D, NULL, &decoy, msg, sizeof msg) == DP_EDENIED &&
	      strstr(msg, "only plants decoys") && decoy == 0);
	CHECK(dpp_decoy_ok(s, &D, "yes", &decoy, msg, sizeof msg) == DP_EDENIED);
	CHECK(dpp_decoy_ok(s, &D, "", &decoy, msg, sizeof msg) == DP_EDENIED);
	CHECK(dpp_decoy_ok(s, A, "1", &decoy, msg, sizeof msg) == DP_EDENIED &&
	      strstr(msg, "may plant decoys"));
	CHECK(dpp_decoy_ok(s, A, NULL, &decoy, msg, sizeof msg) == DP_OK && decoy == 0);

	/* the matrix */
	static const char *tos[] = {"TOKYO", "PARIS", "ALL POSTS"};
	static const char *infos[] = {NULL, "PARIS", "TOKYO"};
	static const int classes[] = {DP_CLASS_UNCLASSIFIED, DP_CLASS_CONFIDENTIAL, DP_CLASS_SECRET,
				      DP_CLASS_TOP_SECRET};
	static const char *capss[] = {NULL, "NOFORN"};
	static const char *attns[] = {NULL, "POL", "mori.a", "decoy.d", "DECOY"};
	const dps_device *devs[] = {B, M, P, &D, &X, &Ms, R, R2, RT};
	const size_t ndevs = sizeof devs / sizeof devs[0];
	static const char *rposts[] = {NULL, "HQ"};
	dpp_posts *posts = calloc(1, sizeof *posts);
	size_t routes = 0, offers = 0, disagree = 0, records = 0, record_only = 0;
	for (size_t ri = 0; ri < 2; ri++)
	for (size_t ti = 0; ti < 3; ti++)
	for (size_t ii = 0; ii < 3; ii++)
	for (size_t ci = 0; ci < 4; ci++)
	for (size_t pi = 0; pi < 2; pi++)
	for (size_t ai = 0; ai < 5; ai++) {
		char to[1][DP_NAME_MAX + 1], info[1][DP_NAME_MAX + 1];
		char cap[1][DP_NAME_MAX + 1], attn[1][DP_NAME_MAX + 1];
		snprintf(to[0], sizeof to[0], "%s", tos[ti]);
		snprintf(info[0], sizeof info[0], "%s", infos[ii] ? infos[ii] : "");
		snprintf(cap[0], sizeof cap[0], "%s", capss[pi] ? capss[pi] : "");
		snprintf(attn[0], sizeof attn[0], "%s", attns[ai] ? attns[ai] : "");
		CHECK(dpp_expand(s, to, 1, info, infos[ii] ? 1 : 0, posts, msg, sizeof msg) == DP_OK);
		dpp_route rt = {posts, classes[ci], cap, capss[pi] ? 1 : 0, attn, attns[ai] ? 1 : 0,
				rposts[ri]};
		REC.post = rposts[ri];
		struct offered off = {.n = 0};
		CHECK(dpp_resolve(s, &rt, offered_cb, &off) == DP_OK);
		routes++;
		offers += off.n;
		CHECK(offered_role(&off, D.id) == 0); /* never the decoy officer's device */
		/* the archive: every cable its clearance allows, whatever TO, INFO and ATTN say */
		CHECK(offered_role(&off, R->id) == (rposts[ri] ? DP_ROLE_RECORD : 0));
		/* arc.s: SECRET, no caption */
		CHECK(offered_role(&off, R2->id) ==
		      (rposts[ri] && !capss[pi] && classes[ci] <= DP_CLASS_SECRET ? DP_ROLE_RECORD : 0));
		CHECK(offered_role(&off, RT->id) != DP_ROLE_RECORD); /* RECORDS elsewhere: no archive */
		for (size_t di = 0; di < ndevs; di++) {
			records += offered_role(&off, devs[di]->id) == DP_ROLE_RECORD;
			for (int role = DP_ROLE_ACTION; role <= DP_ROLE_RECORD; role++) {
				const dps_device *one[] = {devs[di]};
				int roles[] = {role};
				envelope(&e, A, "HQ", tos[ti], infos[ii], classes[ci], one, roles, 1);
				e.recipients[0].epoch = 3; /* current at T for every device here */
				if (capss[pi]) {
					snprintf(e.captions[0], sizeof e.captions[0], "%s", capss[pi]);
					e.ncaptions = 1;
				}
				if (attns[ai]) {
					snprintf(e.attn[0], sizeof e.attn[0], "%s", attns[ai]);
					e.nattn = 1;
				}
				int accepted = check(A, &e, msg) == DP_OK;
				int offered = offered_role(&off, devs[di]->id) == role;
				/* a record copy alone is no delivery: refused as such, not by the rule */
				if (offered && role == DP_ROLE_RECORD) {
					record_only++;
					CHECKF(!accepted && strstr(msg, "a record copy for the archive "
									"does not count"),
					       "record copy alone: %s", msg);
					offered = 0;
				}
				if (accepted != offered) {
					disagree++;
					fprintf(stderr, "route %s/%s/%d/%s/%s device %zu role %d: "
						"check %d resolve %d (%s)\n", tos[ti],
						infos[ii] ? infos[ii] : "-", classes[ci],
						capss[pi] ? capss[pi] : "-", attns[ai] ? attns[ai] : "-",
						di, role, accepted, offered, msg);
				}
				dp_envelope_free(&e);
			}
		}
	}
	free(posts);
	REC.post = NULL;
	CHECKF(disagree == 0, "%zu disagreements of acceptance and resolution", disagree);
	/* the matrix exercised both answers */
	CHECKF(record_only == records, "%zu record copies alone refused of %zu", record_only, records);
	CHECKF(routes == 720 && offers > 200 && offers < routes * ndevs && records > 360,
	       "%zu routes, %zu offers, %zu records", routes, offers, records);
	fprintf(stderr, "agreement: %zu routes, %zu devices offered, %zu as record\n", routes, offers,
		records);
}

/* The devices resolve offers for TO `to` at cls (caption cap, ATTN attn: NULL for none). */
static void offer(const char *to, int cls, const char *cap, const char *attn, struct offered *off)
{
	char msg[DPP_MSG_MAX], t[1][DP_NAME_MAX + 1], c[1][DP_NAME_MAX + 1], a[1][DP_NAME_MAX + 1];
	dpp_posts *posts = calloc(1, sizeof *posts);
	snprintf(t[0], sizeof t[0], "%s", to);
	snprintf(c[0], sizeof c[0], "%s", cap ? cap : "");
	snprintf(a[0], sizeof a[0], "%s", attn ? attn : "");
	CHECK(posts && dpp_expand(s, t, 1, NULL, 0, posts, msg, sizeof msg) == DP_OK);
	dpp_route rt = {posts, cls, c, cap ? 1 : 0, a, attn ? 1 : 0, REC.post};
	off->n = 0;
	CHECK(dpp_resolve(s, &rt, offered_cb, off) == DP_OK);
	free(posts);
}

/*
 * The archive, records post HQ: arc.h (TOP SECRET, NOFORN) and arc.s
 * (SECRET) are its records officers, R and R2 their devices (Rs arc.h's
 * suspended one); arc.t holds RECORDS at TOKYO, RT its device.
 */
static void records_rule(const dps_device *A, const dps_device *B, const dps_device *R,
			 const dps_device *R2, const dps_device *RT, const dps_device *Rs)
{
	char msg[DPP_MSG_MAX], off_h[DP_NAME_MAX + 1];
	struct offered off;
	dp_envelope e;
	dps_rcpt r[8];
	dps_officer o;
	REC.post = "HQ";
	REC.required = 0;
	CHECK(dps_officer_get(s, "arc.h", &o) == DP_OK && dpp_is_records_officer(&o, "HQ") &&
	      !dpp_is_records_officer(&o, "TOKYO") && !dpp_is_records_officer(&o, NULL) &&
	      !dpp_is_records_officer(&o, ""));
	CHECK(dps_officer_get(s, "arc.t", &o) == DP_OK && !dpp_is_records_officer(&o, "HQ"));

	/* every cable the archive is cleared for, with role record, whatever TO says */
	offer("PARIS", DP_CLASS_CONFIDENTIAL, NULL, NULL, &off);
	CHECK(offered_role(&off, R->id) == DP_ROLE_RECORD && offered_role(&off, R2->id) == DP_ROLE_RECORD);
	CHECK(offered_role(&off, Rs->id) == 0);       /* suspended: not offered */
	CHECK(offered_role(&off, RT->id) == 0);       /* RECORDS at TOKYO: nothing as records */
	/* HQ addressed: its records officers are still the archive, not addressees */
	offer("HQ", DP_CLASS_SECRET, NULL, NULL, &off);
	CHECK(offered_role(&off, R->id) == DP_ROLE_RECORD && offered_role(&off, R2->id) == DP_ROLE_RECORD);
	CHECK(offered_role(&off, A->id) == DP_ROLE_ACTION);
	size_t n_hq = off.n;
	offer("HQ", DP_CLASS_SECRET, NULL, NULL, &off); /* each device once */
	CHECK(off.n == n_hq && n_hq == 4);              /* tanaka.h's two, arc.h's, arc.s's */
	/* clearance and captions still apply */
	offer("TOKYO", DP_CLASS_TOP_SECRET, NULL, NULL, &off);
	CHECK(offered_role(&off, R->id) == DP_ROLE_RECORD && offered_role(&off, R2->id) == 0);
	offer("TOKYO", DP_CLASS_CONFIDENTIAL, "NOFORN", NULL, &off);
	CHECK(offered_role(&off, R->id) == DP_ROLE_RECORD && offered_role(&off, R2->id) == 0);
	/* ATTN addresses officers, not the archive: ignored for it */
	offer("TOKYO", DP_CLASS_SECRET, NULL, "mori.a", &off);
	CHECK(offered_role(&off, R->id) == DP_ROLE_RECORD && offered_role(&off, R2->id) == DP_ROLE_RECORD);
	CHECK(offered_role(&off, B->id) == 0 && offered_role(&off, RT->id) == 0);
	/* RECORDS at TOKYO: an ordinary TOKYO officer (action when TOKYO is addressed) */
	offer("TOKYO", DP_CLASS_SECRET, NULL, NULL, &off);
	CHECK(offered_role(&off, RT->id) == DP_ROLE_ACTION);
	/* no records post: nobody is the archive */
	REC.post = NULL;
	offer("TOKYO", DP_CLASS_SECRET, NULL, NULL, &off);
	CHECK(offered_role(&off, R->id) == 0 && offered_role(&off, R2->id) == 0);
	REC.post = "HQ";

	/* acceptance: the record role, its precedence, and only for the archive */
	const dps_device *all3[] = {B, R, R2};
	int roles3[] = {DP_ROLE_ACTION, DP_ROLE_RECORD, DP_ROLE_RECORD};
	envelope(&e, A, "HQ", "TOKYO", NULL, DP_CLASS_SECRET, all3, roles3, 3);
	e.prec_info = DP_PREC_PRIORITY;
	CHECKF(dpp_check(s, &REC, A, &e, T, r, off_h, msg, sizeof msg) == DP_OK, "%s", msg);
	CHECK(r[0].prec == DP_PREC_FLASH && r[1].role == DP_ROLE_RECORD &&
	      r[1].prec == DP_PREC_ROUTINE && r[2].prec == DP_PREC_ROUTINE);
	e.recipients[1].role = DP_ROLE_ACTION; /* the archive announced as an addressee */
	CHECKF(check(A, &e, msg) == DP_EDENIED && strstr(msg, "arc.h") &&
		       strstr(msg, "must have role record, not action"), "%s", msg);
	e.recipients[1].role = DP_ROLE_RECORD;
	e.recipients[0].role = DP_ROLE_RECORD; /* an addressee announced as the archive */
	CHECKF(check(A, &e, msg) == DP_EDENIED && strstr(msg, "sato.k") &&
		       strstr(msg, "must have role action, not record"), "%s", msg);
	e.recipients[0].role = DP_ROLE_ACTION;
	/* the archive's devices are not required unless records_required says so */
	e.nrecipients = 1;
	CHECKF(check(A, &e, msg) == DP_OK, "%s", msg);

	/* records_required = SECRET: a SECRET cable without the archive is refused, naming it */
	REC.required = 1u << DP_CLASS_SECRET;
	CHECKF(check(A, &e, msg) == DP_EDENIED &&
		       strstr(msg, "the ministry requires a record copy of SECRET cables: encrypt "
				   "to the archive's devices too") &&
		       strstr(msg, "records officer arc.") && strstr(msg, "update denpo"),
	       "%s", msg);
	e.nrecipients = 2; /* arc.h's device, not arc.s's */
	CHECKF(check(A, &e, msg) == DP_EDENIED && strstr(msg, "arc.s"), "%s", msg);
	e.nrecipients = 3; /* every records device offered; arc.h's suspended one is not required */
	CHECKF(check(A, &e, msg) == DP_OK, "%s", msg);
	/* a records device without a current key cannot be required (resolve: unreachable) */
	e.nrecipients = 1;
	CHECKF(check_at(A, &e, T + 86400 + DP_EPOCH_SKEW - 1, msg) == DP_OK, "%s", msg);
	dp_envelope_free(&e);
	/* CONFIDENTIAL is not required */
	envelope(&e, A, "HQ", "TOKYO", NULL, DP_CLASS_CONFIDENTIAL, all3, roles3, 1);
	CHECKF(check(A, &e, msg) == DP_OK, "%s", msg);
	dp_envelope_free(&e);
	/* TOP SECRET required, and the only records device cleared for it suspended */
	REC.required = 1u << DP_CLASS_TOP_SECRET;
	officer("ts.k", "TOKYO", DP_CLASS_TOP_SECRET, "", "");
	dps_device K;
	device(&K, "ts.k", NULL);
	const dps_device *rk[] = {&K, R};
	int rkr[] = {DP_ROLE_ACTION, DP_ROLE_RECORD};
	envelope(&e, A, "HQ", "TOKYO", NULL, DP_CLASS_TOP_SECRET, rk, rkr, 2);
	CHECKF(check(A, &e, msg) == DP_OK, "%s", msg);
	CHECK(dps_device_set_status(s, R->id, DPS_SUSPENDED) == DP_OK);
	e.nrecipients = 1;
	CHECKF(check(A, &e, msg) == DP_EDENIED && strstr(msg, "none of the archive's devices") &&
		       strstr(msg, "tell the switch's operator"), "%s", msg);
	CHECK(dps_device_set_status(s, R->id, DPS_ACTIVE) == DP_OK);
	/* a records post without any records officer's device: the archive is not enrolled */
	REC.post = "PARIS";
	CHECKF(check(A, &e, msg) == DP_EDENIED && strstr(msg, "the archive is not enrolled") &&
		       strstr(msg, "post PARIS"), "%s", msg);
	dp_envelope_free(&e);
	REC.post = NULL;
	REC.required = 0;
}

/* Warnings collected, one a line. */
static void warn_cb(void *ctx, const char *msg)
{
	char *b = ctx;
	snprintf(b + strlen(b), 4096 - strlen(b), "%s\n", msg);
}

static void records_warnings(void)
{
	char *b = calloc(1, 4096);
	/* arc.t holds RECORDS at TOKYO: said whatever the records post */
	CHECK(dpp_records_warnings(s, "HQ", 0x1f, warn_cb, b) == 1 &&
	      strstr(b, "officer arc.t holds the role RECORDS at post TOKYO, not at the records post HQ"));
	b[0] = 0;
	CHECK(dpp_records_warnings(s, NULL, 0, warn_cb, b) == 3 &&
	      strstr(b, "officer arc.h holds the role RECORDS but denpod.conf sets no records_post"));
	/* a records post that is not HQ, without records officers, with required levels */
	b[0] = 0;
	CHECKF(dpp_records_warnings(s, "PARIS", 1u << DP_CLASS_SECRET | 1u << DP_CLASS_TOP_SECRET,
				    warn_cb, b) == 5 &&
		       strstr(b, "records_post PARIS is not an HQ post") &&
		       strstr(b, "records_required names SECRET, TOP SECRET, but no records officer at "
				 "post PARIS has an active device"), "%s", b);
	b[0] = 0;
	CHECKF(dpp_records_warnings(s, "PARIS", 0, warn_cb, b) == 5 &&
		       strstr(b, "no officer there holds the role RECORDS"), "%s", b);
	b[0] = 0;
	CHECK(dpp_records_warnings(s, "MARS", 0, warn_cb, b) == 5 &&
	      strstr(b, "records_post MARS is not a post of the directory"));
	free(b);
}

/* denpod.conf's records keys, as dpc_parse reads them. */
static int conf(const char *extra, dpc_config *c, char *err)
{
	char text[1024];
	snprintf(text, sizeof text, "url = https://127.0.0.1:8443\nlisten = 127.0.0.1:8443\n%s", extra);
	err[0] = 0;
	return dpc_parse(c, "/tmp", "denpod.conf", text, strlen(text), err, 512);
}

static void config_records(const char *dir)
{
	(void)dir;
	char err[512];
	dpc_config *c = calloc(1, sizeof *c);
	CHECKF(conf("", c, err) == DP_OK && !c->records_post[0] && c->records_required == 0, "%s",
	       err);
	CHECKF(conf("records_post = HQ\nrecords_required = SECRET, TOP SECRET\n", c, err) == DP_OK &&
		       strcmp(c->records_post, "HQ") == 0 &&
		       c->records_required == (1u << DP_CLASS_SECRET | 1u << DP_CLASS_TOP_SECRET),
	       "%s", err);
	CHECK(conf("records_post = HQ\nrecords_required = all\n", c, err) == DP_OK &&
	      c->records_required == 0x1f);
	CHECK(conf("records_post = HQ\nrecords_required = none\n", c, err) == DP_OK &&
	      c->records_required == 0);
	/* refused at start, with the line and what to do */
	CHECKF(conf("records_required = all\n", c, err) == DP_EPARSE &&
		       strstr(err, "denpod.conf:3:") && strstr(err, "records_post is not set"),
	       "%s", err);
	CHECKF(conf("records_post = HQ\nrecords_required = SECRET,SEKRET\n", c, err) == DP_EPARSE &&
		       strstr(err, "\"SEKRET\" is not a classification"), "%s", err);
	CHECK(conf("records_post = HQ\nrecords_required = secret\n", c, err) == DP_EPARSE);
	CHECK(conf("records_post = HQ\nrecords_required = SECRET,\n", c, err) == DP_EPARSE);
	CHECKF(conf("records_post = H Q!\n", c, err) == DP_EPARSE && strstr(err, "not a post name"),
	       "%s", err);
	/* the schedule's lines go to dp_records_sched_set; set once, as every key */
	CHECKF(conf("records_retention_TEMPORARY-10Y = 10\nrecords_class_restricted = TEMPORARY-10Y 10y\n",
		    c, err) == DP_OK, "%s", err);
	CHECKF(conf("records_retention_TEMPORARY-10Y = 10\nrecords_retention_temporary-10y = 11\n", c,
		    err) == DP_EPARSE && strstr(err, "duplicate key (first set on line 3"), "%s", err);
	CHECKF(conf("records_class_secret = NOSUCHCLASS 10y\n", c, err) == DP_EPARSE &&
		       strstr(err, "denpod.conf:3: records_class_secret:") &&
		       strstr(err, "docs/operations.md"), "%s", err);
	CHECK(conf("records_retentionX = 10\n", c, err) == DP_EPARSE && strstr(err, "unknown key"));
	free(c);
}

int main(void)
{
	char dir[] = "/tmp/test_denpod_policy.XXXXXX", path[256], msg[DPP_MSG_MAX];
	if (dp_crypto_init() || !mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/db", dir);
	if (dps_open(&s, path, 1) != DP_OK)
		return 1;
	T = dp_now();
	dps_post hq = {"HQ", 1, "UTC"}, tk = {"TOKYO", 0, "UTC"}, pa = {"PARIS", 0, "UTC"};
	CHECK(dps_post_add(s, &hq) == DP_OK && dps_post_add(s, &tk) == DP_OK && dps_post_add(s, &pa) == DP_OK);
	const char *all[] = {"TOKYO", "PARIS"};
	CHECK(dps_collective_add(s, "ALL POSTS", all, 2) == DP_OK);
	officer("tanaka.h", "HQ", DP_CLASS_TOP_SECRET, "NOFORN", "COMMS");
	officer("sato.k", "TOKYO", DP_CLASS_SECRET, "NOFORN", "POL");
	officer("mori.a", "TOKYO", DP_CLASS_SECRET, "", "");
	officer("low.p", "PARIS", DP_CLASS_CONFIDENTIAL, "NOFORN", "");
	dps_device A, B, M, P, A2;
	uint8_t bsk[64];
	device(&A, "tanaka.h", NULL);
	device(&A2, "tanaka.h", NULL);
	device(&B, "sato.k", bsk);
	device(&M, "mori.a", NULL);
	device(&P, "low.p", NULL);

	dp_envelope e;
	const dps_device *rb[] = {&B}, *rbp[] = {&B, &P}, *rp[] = {&P}, *rm[] = {&M};
	int act[] = {DP_ROLE_ACTION, DP_ROLE_ACTION}, inf[] = {DP_ROLE_INFO};

	/* valid: TO ALL POSTS at CONFIDENTIAL reaches TOKYO and PARIS as action */
	envelope(&e, &A, "HQ", "ALL POSTS", NULL, DP_CLASS_CONFIDENTIAL, rbp, act, 2);
	dps_rcpt r[8];
	char off[DP_NAME_MAX + 1];
	CHECKF(dpp_check(s, &REC, &A, &e, T, r, off, msg, sizeof msg) == DP_OK, "%s", msg);
	CHECK(strcmp(off, "tanaka.h") == 0 && r[0].prec == DP_PREC_FLASH && r[1].role == DP_ROLE_ACTION);
	CHECK(r[0].epoch == 3 && r[1].epoch == 3); /* the delivery rows keep the epoch */
	dp_envelope_free(&e);
	/* valid: INFO recipient gets the info precedence */
	envelope(&e, &A, "HQ", "TOKYO", "PARIS", DP_CLASS_CONFIDENTIAL, rp, inf, 1);
	CHECKF(dpp_check(s, &REC, &A, &e, T, r, off, msg, sizeof msg) == DP_OK, "%s", msg);
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
	/* an epoch the device never published */
	e.recipients[0].epoch = 2;
	CHECK(check(&A, &e, msg) == DP_ESTATE && strstr(msg, "key epoch 2 is unknown") &&
	      strstr(msg, "sato.k") && strstr(msg, "resolve the recipients again"));
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

	/*
	 * Key epochs at acceptance.  B has epoch 3 [T - 3600, T + 86400) and
	 * publishes 4 [T + 3600, T + 7200); the switch accepts an epoch from
	 * Not-Before - skew until Not-After + skew, both ends exact.
	 */
	publish(B.id, bsk, 4, T + 3600, T + 7200, T);
	envelope(&e, &A, "HQ", "TOKYO", NULL, DP_CLASS_SECRET, rb, act, 1);
	CHECK(e.recipients[0].epoch == 3);
	e.recipients[0].epoch = 4;
	CHECKF(check_at(&A, &e, T + 3600 - DP_EPOCH_SKEW, msg) == DP_OK, "%s", msg);
	/* refused by the switch's clock, and the message names it (a switch clock behind) */
	char want[160], at[DP_TIME_STR];
	dp_time_str(T + 3600, at);
	snprintf(want, sizeof want, "key epoch 4 starts %s, 5 minutes after the switch's clock: the "
				    "switch's clock is behind (NTP)", at);
	CHECKF(check_at(&A, &e, T + 3600 - DP_EPOCH_SKEW - 1, msg) == DP_ESTATE && strstr(msg, want),
	       "%s", msg);
	CHECK(check_at(&A, &e, T + 7200 + DP_EPOCH_SKEW - 1, msg) == DP_OK);
	dp_time_str(T + 7200, at);
	snprintf(want, sizeof want, "key epoch 4 ended %s, 5 minutes before the switch's clock: resolve "
				    "the recipients again", at);
	CHECKF(check_at(&A, &e, T + 7200 + DP_EPOCH_SKEW, msg) == DP_ESTATE && strstr(msg, want), "%s",
	       msg);
	/* the epoch goes into the delivery row */
	CHECK(dpp_check(s, &REC, &A, &e, T + 4000, r, off, msg, sizeof msg) == DP_OK && r[0].epoch == 4);
	/* epoch 3, and the older one still valid at the same time (overlap) */
	e.recipients[0].epoch = 3;
	CHECK(dpp_check(s, &REC, &A, &e, T + 4000, r, off, msg, sizeof msg) == DP_OK && r[0].epoch == 3);
	CHECK(check_at(&A, &e, T - 3600 - DP_EPOCH_SKEW, msg) == DP_OK);
	CHECK(check_at(&A, &e, T - 3600 - DP_EPOCH_SKEW - 1, msg) == DP_ESTATE);
	CHECK(check_at(&A, &e, T + 86400 + DP_EPOCH_SKEW - 1, msg) == DP_OK);
	CHECK(check_at(&A, &e, T + 86400 + DP_EPOCH_SKEW, msg) == DP_ESTATE && strstr(msg, "ended"));
	/* a record closed before the device row was read is not in it: the store is asked */
	publish(B.id, bsk, 6, T - 5 * 86400, T - 4 * 86400, T - 5 * 86400);
	dps_device Bn;
	CHECK(dps_device_get(s, B.id, &Bn) == DP_OK && Bn.nwin == 2 && Bn.win[1].epoch == 4);
	e.recipients[0].epoch = 6;
	dp_time_str(T - 4 * 86400, at);
	snprintf(want, sizeof want, "key epoch 6 ended %s, 4 days before the switch's clock", at);
	CHECKF(check(&A, &e, msg) == DP_ESTATE && strstr(msg, want), "%s", msg);
	/* the store's window decides: judged at a time inside it, the record is accepted */
	CHECK(check_at(&A, &e, T - 4 * 86400 - 10, msg) == DP_OK);
	e.recipients[0].epoch = 5;
	CHECK(check(&A, &e, msg) == DP_ESTATE && strstr(msg, "key epoch 5 is unknown"));
	/* one bad recipient among good ones refuses the cable */
	dp_envelope_free(&e);
	envelope(&e, &A, "HQ", "ALL POSTS", NULL, DP_CLASS_CONFIDENTIAL, rbp, act, 2);
	CHECK(check(&A, &e, msg) == DP_OK);
	e.recipients[1].epoch = 4;
	CHECK(check(&A, &e, msg) == DP_ESTATE && strstr(msg, "low.p"));
	dp_envelope_free(&e);

	/* the current epoch of a device row: the highest whose window holds the time */
	CHECK(dpp_current(&Bn, T) && dpp_current(&Bn, T)->epoch == 3);
	CHECK(dpp_current(&Bn, T + 3599)->epoch == 3);
	CHECK(dpp_current(&Bn, T + 3600)->epoch == 4);
	CHECK(dpp_current(&Bn, T + 7199)->epoch == 4);
	CHECK(dpp_current(&Bn, T + 7200)->epoch == 3);
	CHECK(dpp_current(&Bn, T + 86400) == NULL);
	CHECK(dpp_current(&Bn, T - 3601) == NULL);

	/* resolve: ALL POSTS at SECRET -> TOKYO's two officers; with NOFORN -> sato.k only */
	dpp_posts *posts = calloc(1, sizeof *posts);
	char to[1][DP_NAME_MAX + 1] = {"ALL POSTS"}, info[1][DP_NAME_MAX + 1] = {"TOKYO"};
	char caps[1][DP_NAME_MAX + 1] = {"NOFORN"};
	struct count c = {0, 0, 0, 0, 0};
	CHECK(dpp_expand(s, to, 1, NULL, 0, posts, msg, sizeof msg) == DP_OK && posts->nto == 2);
	CHECK(resolve(posts, DP_CLASS_SECRET, NULL, 0, &c) == DP_OK);
	CHECK(c.n == 2 && c.action == 2 && c.keyed == 2);
	memset(&c, 0, sizeof c);
	CHECK(resolve(posts, DP_CLASS_CONFIDENTIAL, caps, 1, &c) == DP_OK);
	CHECK(c.n == 2); /* sato.k and low.p hold NOFORN, mori.a does not */
	/* TO and INFO both name TOKYO: counted once, as action */
	char tk1[1][DP_NAME_MAX + 1] = {"TOKYO"};
	CHECK(dpp_expand(s, tk1, 1, info, 1, posts, msg, sizeof msg) == DP_OK);
	memset(&c, 0, sizeof c);
	CHECK(resolve(posts, DP_CLASS_SECRET, NULL, 0, &c) == DP_OK);
	CHECK(c.n == 2 && c.info == 0);
	free(posts);

	/* the archive: records officers at HQ (the records post) and one holding RECORDS at TOKYO */
	officer("arc.h", "HQ", DP_CLASS_TOP_SECRET, "NOFORN", "RECORDS");
	officer("arc.s", "HQ", DP_CLASS_SECRET, "", "RECORDS,COMMS");
	officer("arc.t", "TOKYO", DP_CLASS_TOP_SECRET, "NOFORN", "RECORDS");
	dps_device R, R2, RT, Rs;
	device(&R, "arc.h", NULL);
	device(&R2, "arc.s", NULL);
	device(&RT, "arc.t", NULL);
	device(&Rs, "arc.h", NULL);
	CHECK(dps_device_set_status(s, Rs.id, DPS_SUSPENDED) == DP_OK);

	decoys_and_agreement(&A, &B, &M, &P, &R, &R2, &RT);
	records_rule(&A, &B, &R, &R2, &RT, &Rs);
	records_warnings();
	config_records(dir);

	dps_close(s);
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	if (system(path) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return t_done("test_denpod_policy");
}
