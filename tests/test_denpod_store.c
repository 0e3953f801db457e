/*
 * tests/test_denpod_store.c - the store's conformance suite: the
 * behaviours every database the store runs on must show (directory, cable
 * insert, queue order, gap-free MRNs, idempotency, receipts and restart;
 * key epochs: publication rules, current-epoch selection, windows of a
 * device row, pending cables per epoch), run once per target in the table
 * `targets`: a SQLite file in a temporary directory, and PostgreSQL when
 * DENPO_TEST_PG names a server (a libpq URI; skipped otherwise): the suite
 * runs in a database of its own there, made empty and dropped after
 * ([uses DENPO_TEST_PG]: tests/run.sh starts one with scripts/pg-tmp).
 * A new database is one line in the table.
 *
 * Then what only SQLite has (test_sqlite_old_db): the refusal or upgrade
 * of a database file written by an older denpod.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "denpo/crypto.h"
#include "denpo/epoch.h"
#include "denpod/db.h"
#include "denpod/segment.h"
#include "denpod/store.h"
#include "denpod/store_impl.h"
#include "tests/fixture.h"
#include "tests/harness.h"
#include "tests/pgdb.h"

static char dir[] = "/tmp/test_denpod_store.XXXXXX";
static char dbpath[512]; /* the target the suite runs against */

/*
 * The databases the suite runs on.  env: the variable naming the target
 * (its absence skips it); NULL: a fresh SQLite file in dir.
 */
static const struct target {
	const char *name;
	const char *env;
} targets[] = {
	{"sqlite", NULL},
	{"postgresql", "DENPO_TEST_PG"},
};

/*
 * The table list a migration copies (store.h dps_tables) is the schema's:
 * every table the database was made with is listed (on SQLite as one to
 * copy: a table SQLite has and migrate skipped would be left behind), and
 * every listed table is there.  A table added to either schema in store.c
 * and not to dps_tables fails here.
 */
struct tables_seen {
	int pg;
	size_t n, listed;
};
static int table_seen(void *ctx, const char *name)
{
	struct tables_seen *x = ctx;
	const dps_table *t = dps_table_find(name);
	CHECKF(t != NULL, "table %s of the schema is in dps_tables (store.c): denpod migrate copies "
			  "only what that list names", name);
	CHECKF(!t || x->pg || t->kind == DPS_TAB_COPY, "table %s of SQLite's schema is copied by migrate",
	       name);
	x->n++;
	return DP_OK;
}
/*
 * The archive's record states (dps_records_*): the first state for a cable
 * no act changed, written only inside a transaction, replaced whole, and
 * undone with the transaction that wrote it.
 */
static void test_records(dps_store *s)
{
	uint8_t id[DP_CABLE_ID], other[DP_CABLE_ID];
	dp_records_state st, got, zero;
	memset(&zero, 0, sizeof zero);
	memset(id, 0x5a, sizeof id);
	memset(other, 0x5b, sizeof other);
	memset(&got, 0xee, sizeof got);
	CHECK(dps_records_get(s, id, &got) == DP_OK && !memcmp(&got, &zero, sizeof got));
	memset(&st, 0, sizeof st);
	strcpy(st.proposed_by, "kato.r");
	st.proposed_at = 1772000000;
	CHECK(dps_records_put(s, id, &st, 1772000000) == DP_EINVAL); /* outside a transaction */
	CHECK(dps_begin(s) == DP_OK && dps_records_put(s, id, &st, 1772000000) == DP_OK &&
	      dps_commit(s) == DP_OK);
	CHECK(dps_records_get(s, id, &got) == DP_OK && !memcmp(&got, &st, sizeof got));
	/* replaced whole: approved, held with a reason, the proposal kept as given */
	strcpy(st.approved_by, "mori.a");
	st.declassified_at = 1772000100;
	strcpy(st.held_by, "mori.a");
	st.held_at = 1772000200;
	memset(st.hold_reason, 'x', DP_RECORDS_DETAIL_MAX);
	st.hold_reason[DP_RECORDS_DETAIL_MAX] = 0;
	strcpy(st.destroy_proposed_by, "kato.r"); /* and a destruction proposed */
	st.destroy_proposed_at = 1772000150;
	memset(st.destroy_detail, 'd', DP_RECORDS_DETAIL_MAX);
	st.destroy_detail[DP_RECORDS_DETAIL_MAX] = 0;
	CHECK(dps_begin(s) == DP_OK && dps_records_put(s, id, &st, 1772000200) == DP_OK &&
	      dps_commit(s) == DP_OK);
	CHECK(dps_records_get(s, id, &got) == DP_OK && !memcmp(&got, &st, sizeof got));
	/* a rolled-back write leaves the state as it was */
	dp_records_state later = st;
	strcpy(later.destroyed_by, "kato.r");
	later.destroyed_at = 1772000300;
	CHECK(dps_begin(s) == DP_OK && dps_records_put(s, id, &later, 1772000300) == DP_OK);
	dps_rollback(s);
	CHECK(dps_records_get(s, id, &got) == DP_OK && !memcmp(&got, &st, sizeof got));
	/* denpod check compares the proposal of a destruction too (dps_records_same) */
	dp_records_state other_st = st;
	CHECK(dps_records_same(&st, &other_st));
	other_st.destroy_proposed_by[0] = 0;
	CHECK(!dps_records_same(&st, &other_st));
	other_st = st;
	other_st.destroy_proposed_at++;
	CHECK(!dps_records_same(&st, &other_st));
	other_st = st;
	other_st.destroy_detail[0] = 'e';
	CHECK(!dps_records_same(&st, &other_st));
	/* another cable is untouched */
	CHECK(dps_records_get(s, other, &got) == DP_OK && !memcmp(&got, &zero, sizeof got));
}

static void test_tables(dps_store *s)
{
	struct tables_seen x = {strncmp(dbpath, "postgres", 8) == 0, 0, 0};
	CHECK(dps_schema_tables(s, table_seen, &x) == DP_OK);
	for (size_t i = 0; i < dps_ntables; i++)
		x.listed += x.pg || dps_tables[i].kind == DPS_TAB_COPY;
	CHECKF(x.n == x.listed, "the schema has %zu tables, dps_tables lists %zu for it", x.n, x.listed);
}

static int count_operator(void *ctx, const dps_operator *o)
{
	(*(int *)ctx)++;
	return DP_OK;
}

static int count_approval(void *ctx, const dps_approval *a)
{
	(*(int *)ctx)++;
	return strcmp(a->act, "device-revoke") == 0 ? DP_OK : DP_EINVAL;
}

/* The console's operators, and the pending approvals it lists (denpod console). */
static void test_operators(dps_store *s)
{
	dps_operator o, g;
	memset(&o, 0, sizeof o);
	snprintf(o.name, sizeof o.name, "ito.m");
	snprintf(o.hash, sizeof o.hash, "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA");
	o.created = o.changed = 1000;
	CHECK(dps_begin(s) == DP_OK);
	CHECK(dps_operator_put(s, &o, 1) == DP_OK);
	CHECK(dps_operator_put(s, &o, 1) == DP_EEXISTS);
	o.changed = 2000;
	o.hash[20] = 'X';
	CHECK(dps_operator_put(s, &o, 0) == DP_OK);
	g = o; /* a whole operator (a hash, times) of a name the store lacks */
	snprintf(g.name, sizeof g.name, "nobody");
	CHECK(dps_operator_put(s, &g, 0) == DP_ENOTFOUND);
	CHECK(dps_commit(s) == DP_OK);
	CHECK(dps_operator_get(s, "ito.m", &g) == DP_OK && strcmp(g.hash, o.hash) == 0 &&
	      g.created == 1000 && g.changed == 2000);
	CHECK(dps_operator_get(s, "nobody", &g) == DP_ENOTFOUND);
	int n = 0;
	CHECK(dps_operator_list(s, count_operator, &n) == DP_OK && n == 1);
	CHECK(dps_begin(s) == DP_OK);
	CHECK(dps_operator_del(s, "ito.m") == DP_OK);
	CHECK(dps_operator_del(s, "ito.m") == DP_ENOTFOUND);
	CHECK(dps_commit(s) == DP_OK);
	n = 0;
	CHECK(dps_operator_list(s, count_operator, &n) == DP_OK && n == 0);

	dps_approval a;
	memset(&a, 0, sizeof a);
	snprintf(a.act, sizeof a.act, "device-revoke");
	snprintf(a.target, sizeof a.target, "00ff");
	snprintf(a.requested_by, sizeof a.requested_by, "ito.m");
	a.created = 1000;
	a.expires = 5000;
	CHECK(dps_begin(s) == DP_OK);
	CHECK(dps_approval_add(s, &a) == DP_OK);
	CHECK(dps_commit(s) == DP_OK);
	n = 0;
	CHECK(dps_approval_list(s, 4999, 10, count_approval, &n) == DP_OK && n == 1);
	n = 0;
	CHECK(dps_approval_list(s, 5000, 10, count_approval, &n) == DP_OK && n == 0); /* lapsed */
}

static void mkdev(dps_store *s, uint8_t id[32], const char *officer)
{
	dps_device d;
	memset(&d, 0, sizeof d);
	dp_random(d.id, 32);
	dp_random(d.tls_key, 32);
	snprintf(d.officer, sizeof d.officer, "%s", officer);
	snprintf(d.name, sizeof d.name, "LAPTOP");
	d.created = 1771928580;
	d.nwin = 3; /* ignored by the store: windows come from epoch records */
	CHECK(dps_device_add(s, &d) == DP_OK);
	memcpy(id, d.id, 32);
}

static void mkofficer(dps_store *s, const char *handle, const char *post, int clearance)
{
	dps_officer o;
	memset(&o, 0, sizeof o);
	snprintf(o.handle, sizeof o.handle, "%s", handle);
	snprintf(o.post, sizeof o.post, "%s", post);
	o.clearance = clearance;
	CHECK(dps_split_names("NOFORN,EXDIS", o.captions, DP_MAX_CAPTIONS, &o.ncaptions) == DP_OK);
	CHECK(dps_officer_put(s, &o, 0) == DP_OK);
}

struct collect {
	int n;
	char mrn[16][DPS_MRN_MAX + 1];
	int prec[16];
	int64_t maxseq;
};
static int collect_cb(void *ctx, const dps_cable *c, const dps_rcpt *r)
{
	struct collect *k = ctx;
	if (k->n < 16) {
		snprintf(k->mrn[k->n], sizeof k->mrn[0], "%s", c->mrn);
		k->prec[k->n] = r->prec;
	}
	if (c->seq > k->maxseq)
		k->maxseq = c->seq;
	k->n++;
	return DP_OK;
}
static int count_post(void *ctx, const char *post)
{
	(*(int *)ctx)++;
	return DP_OK;
}

static int submit(dps_store *s, const char *post, const uint8_t id[16], const uint8_t *data,
		  size_t len, const dps_rcpt *r, size_t nr, int64_t now, dps_submit *out)
{
	memset(out, 0, sizeof *out);
	memcpy(out->c.cable_id, id, 16);
	snprintf(out->c.from_post, sizeof out->c.from_post, "%s", post);
	snprintf(out->c.officer, sizeof out->c.officer, "tanaka.h");
	out->c.classification = DP_CLASS_SECRET;
	out->c.prec_action = r[0].prec;
	out->c.prec_info = DP_PREC_ROUTINE;
	out->rcpts = r;
	out->nrcpts = nr;
	out->data = data;
	out->len = len;
	out->now = now;
	int rc = dps_begin(s);
	if (rc)
		return rc;
	rc = dps_cable_insert(s, out);
	int c = dps_commit(s);
	return rc ? rc : c;
}

/* A fresh post-quantum (age1pq1) recipient. */
static void pq_recipient(char out[DP_AGE_RECIPIENT_MAX + 1])
{
	dp_age_identity id;
	dp_age_recipient rc;
	dp_buf b;
	dp_buf_init(&b, DP_AGE_RECIPIENT_MAX + 1);
	out[0] = 0;
	if (dp_age_identity_generate_pq(&id) || dp_age_identity_to_recipient(&id, &rc) ||
	    dp_age_recipient_format(&rc, &b) || b.len != DP_AGE_RECIPIENT_MAX)
		abort();
	memcpy(out, b.p, b.len + 1);
	dp_age_identity_wipe(&id);
	dp_buf_free(&b);
}

/* A device holding real keys, its signed records and their publication. */
typedef struct {
	uint8_t pk[32], sk[64];
	dp_epoch_key k;
	uint8_t rec[DP_EPOCH_KEY_MAX];
	size_t len;
} keyed;

static void keyed_device(dps_store *s, keyed *kd, uint8_t seed, const char *officer)
{
	dps_device d;
	memset(kd, 0, sizeof *kd);
	fx_seed_key(seed, kd->pk, kd->sk);
	memset(&d, 0, sizeof d);
	memcpy(d.id, kd->pk, 32);
	dp_random(d.tls_key, 32);
	snprintf(d.officer, sizeof d.officer, "%s", officer);
	snprintf(d.name, sizeof d.name, "PHONE");
	d.created = dp_now();
	CHECK(dps_device_add(s, &d) == DP_OK);
}

/* kd->k/rec = the signed record of epoch ep, window [nb, na), recipient age (NULL: a new one). */
static void mkrec(keyed *kd, uint32_t ep, int64_t nb, int64_t na, const char *age)
{
	dp_buf b;
	memset(&kd->k, 0, sizeof kd->k);
	memcpy(kd->k.device, kd->pk, 32);
	kd->k.epoch = ep;
	kd->k.not_before = nb;
	kd->k.not_after = na;
	if (age)
		snprintf(kd->k.age_recipient, sizeof kd->k.age_recipient, "%s", age);
	else
		pq_recipient(kd->k.age_recipient);
	dp_buf_init(&b, DP_EPOCH_KEY_MAX);
	if (dp_epoch_key_encode(&kd->k, kd->sk, &b)) {
		fprintf(stderr, "mkrec: epoch %u [%lld, %lld) cannot be encoded\n", ep, (long long)nb,
			(long long)na);
		abort();
	}
	memcpy(kd->rec, b.p, b.len);
	kd->len = b.len;
	dp_buf_free(&b);
}

/* Publish kd's current record at time now. */
static int publish(dps_store *s, keyed *kd, int64_t now, int enrol, dps_epoch_pub *p)
{
	memset(p, 0, sizeof *p);
	p->k = &kd->k;
	p->record = kd->rec;
	p->len = kd->len;
	p->now = now;
	p->enrol = enrol;
	return dps_epoch_put(s, p);
}

/* mkrec + publish, expecting DP_OK (not a duplicate). */
static void put_ok(dps_store *s, keyed *kd, uint32_t ep, int64_t nb, int64_t na, int64_t now)
{
	dps_epoch_pub p;
	mkrec(kd, ep, nb, na, NULL);
	int r = publish(s, kd, now, 0, &p);
	CHECKF(r == DP_OK && !p.duplicate, "epoch %u: %d rule %d", ep, r, p.rule);
}

struct epochs {
	int n;
	uint32_t epoch[40];
	int closed[40], more[40];
	size_t npending[40];
	uint8_t first[40][16];
};
static int epochs_cb(void *ctx, const dps_epoch_state *st)
{
	struct epochs *e = ctx;
	if (e->n < 40) {
		e->epoch[e->n] = st->w.epoch;
		e->closed[e->n] = st->closed;
		e->more[e->n] = st->more;
		e->npending[e->n] = st->npending;
		if (st->npending)
			memcpy(e->first[e->n], st->pending[0], 16);
	}
	e->n++;
	return DP_OK;
}

/* An epoch of the list, or -1. */
static int find_epoch(const struct epochs *e, uint32_t ep)
{
	for (int i = 0; i < e->n && i < 40; i++)
		if (e->epoch[i] == ep)
			return i;
	return -1;
}

/* The publication rules, one by one, each with its boundary. */
static void test_publish(dps_store *s)
{
	const int64_t now = dp_now();
	dps_epoch_pub p;
	keyed *kd = calloc(1, sizeof *kd), *k2 = calloc(1, sizeof *k2);
	if (!kd || !k2)
		abort();
	keyed_device(s, kd, 40, "tanaka.h");

	/* stored, and repeated byte for byte: idempotent */
	mkrec(kd, 0, now - 100, now + 86400, NULL);
	CHECK(publish(s, kd, now, 0, &p) == DP_OK && p.duplicate == 0);
	CHECK(publish(s, kd, now, 0, &p) == DP_OK && p.duplicate == 1);
	/* ... even once it has expired: a retry is not a new publication */
	CHECK(publish(s, kd, now + 2 * 86400, 0, &p) == DP_OK && p.duplicate == 1);
	/* the same epoch with other bytes (another key) */
	char age0[DP_AGE_RECIPIENT_MAX + 1];
	snprintf(age0, sizeof age0, "%s", kd->k.age_recipient);
	mkrec(kd, 0, now - 100, now + 86400, NULL);
	CHECK(publish(s, kd, now, 0, &p) == DP_EEXISTS);
	/* ... or the same key with another window */
	mkrec(kd, 0, now - 100, now + 86401, age0);
	CHECK(publish(s, kd, now, 0, &p) == DP_EEXISTS);

	put_ok(s, kd, 2, now, now + 86400, now);
	char age2[DP_AGE_RECIPIENT_MAX + 1];
	snprintf(age2, sizeof age2, "%s", kd->k.age_recipient);
	/* epochs only increase: 1 (a gap below 2) and 2 with a new key are both refused */
	mkrec(kd, 1, now, now + 86400, NULL);
	CHECK(publish(s, kd, now, 0, &p) == DP_ESTATE && p.rule == DPS_EPR_EPOCH && p.last_epoch == 2);
	/* the recipient of epoch 0 or 2 again, under a new epoch */
	mkrec(kd, 3, now, now + 86400, age2);
	CHECK(publish(s, kd, now, 0, &p) == DP_ESTATE && p.rule == DPS_EPR_REUSED &&
	      p.reused_epoch == 2);
	mkrec(kd, 3, now, now + 86400, age0);
	CHECK(publish(s, kd, now, 0, &p) == DP_ESTATE && p.rule == DPS_EPR_REUSED &&
	      p.reused_epoch == 0);
	/*
	 * A recipient that only shares its start with a used one (the same
	 * ML-KEM key, another X25519 key) is a new recipient: the index finds
	 * candidates by the start, the full comparison decides.
	 */
	dp_age_recipient ar;
	dp_buf ab;
	dp_buf_init(&ab, DP_AGE_RECIPIENT_MAX + 1);
	CHECK(dp_age_recipient_parse(&ar, age2) == DP_OK);
	ar.pq_pk[DP_AGE_PQ_PK - 1] ^= 0x40;
	CHECK(dp_age_recipient_format(&ar, &ab) == DP_OK && ab.len == DP_AGE_RECIPIENT_MAX);
	CHECK(memcmp(ab.p, age2, 7 + 64) == 0 && strcmp((const char *)ab.p, age2) != 0);
	mkrec(kd, 3, now, now + 86400, (const char *)ab.p);
	dp_buf_free(&ab);
	CHECK(publish(s, kd, now, 0, &p) == DP_OK && !p.duplicate);
	/* another device may hold the same recipient (it is its own business) */
	keyed_device(s, k2, 80, "sato.k");
	mkrec(k2, 0, now, now + 86400, age2);
	CHECK(publish(s, k2, now, 0, &p) == DP_OK && !p.duplicate);
	/* Not-After must be in the future: now is too late, now + 1 is fine */
	mkrec(kd, 4, now - 3600, now, NULL);
	CHECK(publish(s, kd, now, 0, &p) == DP_ESTATE && p.rule == DPS_EPR_EXPIRED);
	/* ... except for the enrolment's first key, checked below on a new device */
	/* Not-Before at most 31 days ahead */
	mkrec(kd, 4, now + DP_EPOCH_MAX_AHEAD + 1, now + DP_EPOCH_MAX_AHEAD + 3600, NULL);
	CHECK(publish(s, kd, now, 0, &p) == DP_ESTATE && p.rule == DPS_EPR_AHEAD);
	put_ok(s, kd, 4, now + DP_EPOCH_MAX_AHEAD, now + DP_EPOCH_MAX_AHEAD + 3600, now);
	put_ok(s, kd, 5, now - 3600, now + 1, now);
	/* a record too big to be one, and an unknown device */
	mkrec(kd, 6, now, now + 3600, NULL);
	kd->len = DP_EPOCH_KEY_MAX + 1;
	CHECK(publish(s, kd, now, 0, &p) == DP_ETOOBIG);
	kd->len = 0;
	CHECK(publish(s, kd, now, 0, &p) == DP_ETOOBIG);
	keyed ghost;
	fx_seed_key(120, ghost.pk, ghost.sk);
	mkrec(&ghost, 0, now, now + 3600, NULL);
	CHECK(publish(s, &ghost, now, 0, &p) == DP_ENOTFOUND);
	/* every refusal above stored nothing */
	dps_window w;
	CHECK(dps_epoch_window(s, kd->pk, 1, &w) == DP_ENOTFOUND);
	CHECK(dps_epoch_window(s, kd->pk, 6, &w) == DP_ENOTFOUND);
	CHECK(dps_epoch_window(s, kd->pk, 0, &w) == DP_OK && w.not_after == now + 86400);

	/* the enrolment's first key is stored even if it expired on the way */
	keyed_device(s, k2, 90, "sato.k");
	mkrec(k2, 0, now - 3 * 86400, now - 2 * 86400, NULL);
	CHECK(publish(s, k2, now, 0, &p) == DP_ESTATE && p.rule == DPS_EPR_EXPIRED);
	CHECK(publish(s, k2, now, 1, &p) == DP_OK && !p.duplicate);
	dps_device d;
	CHECK(dps_device_get(s, k2->pk, &d) == DP_OK && d.nwin == 0); /* closed: no window */

	/* at most 32 records not closed (now < Not-After + skew) */
	keyed_device(s, k2, 100, "sato.k");
	for (uint32_t i = 0; i < DPS_EPOCHS_MAX; i++)
		put_ok(s, k2, i, now + (int64_t)i * 3600, now + 86400 + (int64_t)i * 3600, now);
	mkrec(k2, DPS_EPOCHS_MAX, now + 40 * 3600, now + 41 * 3600, NULL);
	CHECK(publish(s, k2, now, 0, &p) == DP_ESTATE && p.rule == DPS_EPR_FULL);
	/* epoch 0 ends at now + 86400; within the skew after it, it still counts */
	CHECK(publish(s, k2, now + 86400 + DP_EPOCH_SKEW - 1, 0, &p) == DP_ESTATE &&
	      p.rule == DPS_EPR_FULL);
	CHECK(publish(s, k2, now + 86400 + DP_EPOCH_SKEW, 0, &p) == DP_OK && !p.duplicate);
	/*
	 * The device row carries the newest 32 windows not closed, oldest
	 * first.  (Publishing "a day later" made 33 open at the real time now,
	 * which a real clock cannot: epoch 0 is the one left out.)
	 */
	CHECK(dps_device_get(s, k2->pk, &d) == DP_OK && d.nwin == DPS_EPOCHS_MAX);
	CHECK(d.win[0].epoch == 1 && d.win[DPS_EPOCHS_MAX - 1].epoch == DPS_EPOCHS_MAX);
	CHECK(d.win[0].not_before == now + 3600 && d.win[0].not_after == now + 86400 + 3600);
	CHECK(d.win[DPS_EPOCHS_MAX - 1].not_before == now + 40 * 3600);
	free(kd);
	free(k2);
}

/* Counts the device ctx names if it lists with windows 1 and 2. */
static int list_cb(void *ctx, const dps_device *d)
{
	struct { const uint8_t *id; int seen; } *w = ctx;
	if (memcmp(d->id, w->id, 32) == 0 && d->nwin == 2 && d->win[0].epoch == 1)
		w->seen++;
	return DP_OK;
}

/* The current key: highest epoch whose window holds now; none -> when the last one expired. */
static void test_current(dps_store *s)
{
	const int64_t t = dp_now();
	keyed *kd = calloc(1, sizeof *kd);
	dps_epoch *e = calloc(1, sizeof *e);
	if (!kd || !e)
		abort();
	keyed_device(s, kd, 140, "tanaka.h");
	int64_t last = -1;
	/* a device without records has no current key and no expiry */
	CHECK(dps_epoch_current(s, kd->pk, t, e, &last) == DP_ENOTFOUND && last == 0);
	put_ok(s, kd, 0, t - 1000, t + 1000, t);
	char age0[DP_AGE_RECIPIENT_MAX + 1];
	snprintf(age0, sizeof age0, "%s", kd->k.age_recipient);
	size_t len0 = kd->len;
	put_ok(s, kd, 1, t + 500, t + 5000, t); /* overlaps 0 */
	put_ok(s, kd, 2, t + 10000, t + 20000, t); /* later, after a gap */

	CHECK(dps_epoch_current(s, kd->pk, t, e, &last) == DP_OK && e->epoch == 0);
	CHECK(strcmp(e->age_recipient, age0) == 0 && e->len == len0 && strlen(e->record) == len0);
	CHECK(e->not_before == t - 1000 && e->not_after == t + 1000 && e->published == t);
	/* the record is the signed text, as published */
	dp_epoch_key k;
	CHECK(dp_epoch_key_decode(&k, (const uint8_t *)e->record, e->len) == DP_OK && k.epoch == 0 &&
	      memcmp(k.device, kd->pk, 32) == 0);
	CHECK(dps_epoch_current(s, kd->pk, t - 1000, e, NULL) == DP_OK && e->epoch == 0);
	CHECK(dps_epoch_current(s, kd->pk, t + 499, e, NULL) == DP_OK && e->epoch == 0);
	/* overlap: the higher epoch wins */
	CHECK(dps_epoch_current(s, kd->pk, t + 500, e, NULL) == DP_OK && e->epoch == 1);
	CHECK(dps_epoch_current(s, kd->pk, t + 999, e, NULL) == DP_OK && e->epoch == 1);
	CHECK(dps_epoch_current(s, kd->pk, t + 4999, e, NULL) == DP_OK && e->epoch == 1);
	/* the gap: unreachable, last key expired at t + 5000 (not the future one's end) */
	CHECK(dps_epoch_current(s, kd->pk, t + 5000, e, &last) == DP_ENOTFOUND && last == t + 5000);
	CHECK(dps_epoch_current(s, kd->pk, t + 9999, e, &last) == DP_ENOTFOUND && last == t + 5000);
	CHECK(dps_epoch_current(s, kd->pk, t + 10000, e, NULL) == DP_OK && e->epoch == 2);
	CHECK(dps_epoch_current(s, kd->pk, t + 20000, e, &last) == DP_ENOTFOUND && last == t + 20000);
	/* before anything: nothing expired yet */
	CHECK(dps_epoch_current(s, kd->pk, t - 1001, e, &last) == DP_ENOTFOUND && last == 0);
	/* another device's records are not this one's */
	uint8_t other[32];
	dp_random(other, 32);
	CHECK(dps_epoch_current(s, other, t, e, &last) == DP_ENOTFOUND && last == 0);

	/* the windows a device row carries: not closed when read (Not-After + skew > now) */
	keyed_device(s, kd, 160, "tanaka.h");
	const int64_t old = t - 5 * 86400; /* a window is at most 8 days long */
	put_ok(s, kd, 0, old, t - DP_EPOCH_SKEW - 100, old);   /* closed before now */
	put_ok(s, kd, 1, old, t - DP_EPOCH_SKEW + 100, old);   /* expired, but within the skew */
	put_ok(s, kd, 2, t + 3600, t + 7200, t);                /* future */
	dps_device d;
	CHECK(dps_device_get(s, kd->pk, &d) == DP_OK);
	CHECKF(d.nwin == 2 && d.win[0].epoch == 1 && d.win[1].epoch == 2, "nwin %u", d.nwin);
	CHECK(d.win[1].not_before == t + 3600 && d.win[1].not_after == t + 7200);
	/* every way of reading a device row brings the windows */
	char hex[65];
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", kd->pk[i]);
	memset(&d, 0, sizeof d);
	CHECK(dps_device_find(s, hex, &d) == DP_OK && d.nwin == 2 && d.win[1].epoch == 2);
	struct { const uint8_t *id; int seen; } want = {kd->pk, 0};
	CHECK(dps_device_list(s, "tanaka.h", list_cb, &want) == DP_OK && want.seen == 1);
	free(kd);
	free(e);
}

/* Pending cables per epoch (GET /v1/keys): listed until acknowledged, also once closed. */
static void test_pending(dps_store *s)
{
	const int64_t t = dp_now();
	keyed *kd = calloc(1, sizeof *kd);
	if (!kd)
		abort();
	keyed_device(s, kd, 180, "sato.k");
	put_ok(s, kd, 0, t - 1000, t + 1000, t);
	put_ok(s, kd, 1, t + 200, t + 5000, t); /* open for cables at t: t + 200 - skew <= t */
	put_ok(s, kd, 2, t + 4000, t + 9000, t); /* open at t + 4000 - skew */
	struct epochs e;
	memset(&e, 0, sizeof e);
	CHECK(dps_epoch_list(s, kd->pk, t, epochs_cb, &e) == DP_OK && e.n == 3);
	CHECK(e.epoch[0] == 0 && e.epoch[2] == 2 && e.npending[0] == 0 && !e.closed[0] && !e.more[0]);

	dps_rcpt r;
	memset(&r, 0, sizeof r);
	memcpy(r.device, kd->pk, 32);
	r.role = DP_ROLE_ACTION;
	r.prec = DP_PREC_ROUTINE;
	uint8_t ids[3][16], data[8] = {1, 2, 3};
	uint32_t eps[3] = {0, 1, 0};
	dps_submit sub;
	for (int i = 0; i < 3; i++) {
		dp_random(ids[i], 16);
		r.epoch = eps[i];
		r.prec = i == 2 ? DP_PREC_FLASH : DP_PREC_ROUTINE;
		CHECK(submit(s, "PARIS", ids[i], data, sizeof data, &r, 1, t + i, &sub) == DP_OK);
	}
	r.prec = DP_PREC_ROUTINE;
	memset(&e, 0, sizeof e);
	CHECK(dps_epoch_list(s, kd->pk, t, epochs_cb, &e) == DP_OK && e.n == 3);
	/* acceptance order, not the queue's (the FLASH ids[2] after the ROUTINE ids[0]) */
	CHECK(e.npending[0] == 2 && memcmp(e.first[0], ids[0], 16) == 0);
	CHECK(e.npending[1] == 1 && memcmp(e.first[1], ids[1], 16) == 0 && e.npending[2] == 0);

	/* an ack shrinks the list */
	dps_cable c;
	CHECK(dps_cable_get(s, ids[0], &c) == DP_OK);
	CHECK(dps_mark_acked(s, c.seq, kd->pk, t + 10) == DP_OK);
	memset(&e, 0, sizeof e);
	CHECK(dps_epoch_list(s, kd->pk, t, epochs_cb, &e) == DP_OK);
	CHECK(e.npending[0] == 1 && memcmp(e.first[0], ids[2], 16) == 0);
	/* fetching is not acknowledging */
	CHECK(dps_cable_get(s, ids[2], &c) == DP_OK);
	CHECK(dps_mark_delivered(s, c.seq, kd->pk, t + 11) == DP_OK);
	memset(&e, 0, sizeof e);
	CHECK(dps_epoch_list(s, kd->pk, t, epochs_cb, &e) == DP_OK && e.npending[0] == 1);

	/* epoch 0 closes at t + 1000 + skew: still listed while a cable waits for it */
	memset(&e, 0, sizeof e);
	CHECK(dps_epoch_list(s, kd->pk, t + 1000 + DP_EPOCH_SKEW - 1, epochs_cb, &e) == DP_OK);
	CHECK(e.n == 3 && e.epoch[0] == 0 && !e.closed[0]);
	memset(&e, 0, sizeof e);
	CHECK(dps_epoch_list(s, kd->pk, t + 1000 + DP_EPOCH_SKEW, epochs_cb, &e) == DP_OK);
	CHECK(e.n == 3 && e.epoch[0] == 0 && e.closed[0] && e.npending[0] == 1 && !e.closed[1]);
	CHECK(dps_mark_acked(s, c.seq, kd->pk, t + 12) == DP_OK);
	memset(&e, 0, sizeof e);
	CHECK(dps_epoch_list(s, kd->pk, t + 1000 + DP_EPOCH_SKEW, epochs_cb, &e) == DP_OK);
	CHECK(e.n == 2 && e.epoch[0] == 1 && e.npending[0] == 1);
	/* epoch 1 closed with its cable pending; epoch 2 closed and empty: gone */
	memset(&e, 0, sizeof e);
	CHECK(dps_epoch_list(s, kd->pk, t + 9000 + DP_EPOCH_SKEW, epochs_cb, &e) == DP_OK);
	CHECK(e.n == 1 && e.epoch[0] == 1 && e.closed[0]);

	/* more than DPS_PENDING_MAX cables at one epoch: the list is cut and says so */
	CHECK(dps_begin(s) == DP_OK);
	r.epoch = 2;
	for (int i = 0; i < DPS_PENDING_MAX + 1; i++) {
		memset(&sub, 0, sizeof sub);
		dp_random(sub.c.cable_id, 16);
		snprintf(sub.c.from_post, sizeof sub.c.from_post, "PARIS");
		snprintf(sub.c.officer, sizeof sub.c.officer, "tanaka.h");
		sub.rcpts = &r;
		sub.nrcpts = 1;
		data[7] = (uint8_t)i;
		sub.data = data;
		sub.len = sizeof data;
		sub.now = t + 100;
		if (dps_cable_insert(s, &sub) != DP_OK) {
			CHECK(0);
			break;
		}
	}
	CHECK(dps_commit(s) == DP_OK);
	/* read at t, epoch 2 is not open for cables yet: none can have been accepted, none read */
	memset(&e, 0, sizeof e);
	CHECK(dps_epoch_list(s, kd->pk, t, epochs_cb, &e) == DP_OK);
	int i2 = find_epoch(&e, 2);
	CHECK(i2 >= 0 && e.npending[i2] == 0 && !e.more[i2]);
	/* ... and once it is open, the list is cut and says so */
	memset(&e, 0, sizeof e);
	CHECK(dps_epoch_list(s, kd->pk, t + 4000 - DP_EPOCH_SKEW, epochs_cb, &e) == DP_OK);
	i2 = find_epoch(&e, 2);
	CHECK(i2 >= 0 && e.npending[i2] == DPS_PENDING_MAX && e.more[i2]);
	int i1 = find_epoch(&e, 1);
	CHECK(i1 >= 0 && e.npending[i1] == 1 && !e.more[i1]);
	free(kd);
}

/* Publishing a key bumps the directory version: a cached device row gets its new window. */
static void test_cache(dps_store *s)
{
	const int64_t t = dp_now();
	keyed *kd = calloc(1, sizeof *kd);
	if (!kd)
		abort();
	keyed_device(s, kd, 200, "sato.k");
	put_ok(s, kd, 0, t - 60, t + 3600, t);
	dps_store *rd = NULL;
	CHECK(dps_open(&rd, dbpath, 0) == DP_OK);
	if (!rd) {
		free(kd);
		return;
	}
	dps_device d;
	CHECK(dps_dir_cache(rd) == DP_OK && dps_dir_sync(rd) == DP_OK);
	CHECK(dps_device_get(rd, kd->pk, &d) == DP_OK && d.nwin == 1);
	put_ok(s, kd, 1, t + 3000, t + 7200, t);
	CHECK(dps_device_get(rd, kd->pk, &d) == DP_OK && d.nwin == 1); /* cached */
	CHECK(dps_dir_sync(rd) == DP_OK);
	CHECK(dps_device_get(rd, kd->pk, &d) == DP_OK && d.nwin == 2 && d.win[1].epoch == 1);
	/* and by TLS key, through the id table */
	uint8_t tls[32];
	memcpy(tls, d.tls_key, 32);
	CHECK(dps_device_by_tls(rd, tls, &d) == DP_OK && d.nwin == 2 && memcmp(d.id, kd->pk, 32) == 0);
	/* a refused publication writes nothing, so the cache stays valid */
	dps_epoch_pub p;
	mkrec(kd, 1, t, t + 60, NULL);
	CHECK(publish(s, kd, t, 0, &p) == DP_EEXISTS);
	dps_close(rd);
	free(kd);
}

/* A database written before key epochs (and one from the future) is refused. */
static void test_sqlite_old_db(void)
{
	char path[300];
	snprintf(path, sizeof path, "%s/old.db", dir);
	sqlite3 *db = NULL;
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT);"
			       "CREATE TABLE devices(id BLOB PRIMARY KEY, tls_key BLOB NOT NULL UNIQUE,"
			       " officer TEXT NOT NULL, name TEXT NOT NULL, age_recipient TEXT NOT NULL,"
			       " key_type INTEGER NOT NULL, epoch INTEGER NOT NULL,"
			       " status INTEGER NOT NULL, created INTEGER NOT NULL);",
			   NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	dps_store *o = NULL;
	CHECK(dps_open(&o, path, 0) == DP_ESTATE && o == NULL);
	CHECK(dps_open(&o, path, 1) == DP_ESTATE && o == NULL); /* create does not patch it up */
	/* the refusal changed nothing: still no schema row, still the old columns */
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	sqlite3_stmt *st = NULL;
	CHECK(sqlite3_prepare_v2(db, "SELECT count(*) FROM pragma_table_info('devices') WHERE "
				     "name='age_recipient'", -1, &st, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1);
	sqlite3_finalize(st);
	/* schema 6: a newer denpod's */
	CHECK(sqlite3_exec(db, "INSERT INTO meta VALUES('schema','6')", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK(dps_open(&o, path, 0) == DP_ESTATE && o == NULL);
	/* schema 2: before the transparency log, refused too */
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "UPDATE meta SET v='2' WHERE k='schema'", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK(dps_open(&o, path, 0) == DP_ESTATE && o == NULL);
	/* a new database says schema 5 and opens again */
	snprintf(path, sizeof path, "%s/new.db", dir);
	CHECK(dps_open(&o, path, 1) == DP_OK);
	dps_close(o);
	o = NULL;
	CHECK(dps_open(&o, path, 0) == DP_OK);
	dps_close(o);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "SELECT v FROM meta WHERE k='schema'", -1, &st, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW &&
	      strcmp((const char *)sqlite3_column_text(st, 0), "5") == 0);
	sqlite3_finalize(st);
	/* schema 3 (before detection) with a device and a cable: upgraded in place (to 4, then 5), nothing lost */
	CHECK(sqlite3_exec(db,
			   "INSERT INTO posts VALUES('HQ',1,'');"
			   "INSERT INTO officers VALUES('a.b','HQ','A B',3,'','',0);"
			   "INSERT INTO devices VALUES(x'01',x'02','a.b','d',0,0,NULL);"
			   "INSERT INTO cables(cable_id,mrn,from_post,from_device,officer,classification,"
			   "prec_action,prec_info,accepted,size,digest,data) VALUES(x'03','26 HQ 000001',"
			   "'HQ',x'01','a.b',0,3,3,1,1,x'04',x'05');"
			   "DROP TABLE containments; DROP TABLE approvals; DROP INDEX archive_acked;"
			   "DROP INDEX cables_decoy; ALTER TABLE cables DROP COLUMN decoy; UPDATE meta SET v='3' WHERE k='schema'",
			   NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	o = NULL;
	CHECK(dps_open(&o, path, 0) == DP_OK && o);
	dps_close(o);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "SELECT (SELECT v FROM meta WHERE k='schema'), (SELECT decoy FROM "
				     "cables WHERE mrn='26 HQ 000001'), (SELECT count(*) FROM containments) "
				     "+ (SELECT count(*) FROM approvals)", -1, &st, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW &&
	      strcmp((const char *)sqlite3_column_text(st, 0), "5") == 0 &&
	      sqlite3_column_int(st, 1) == 0 && sqlite3_column_int(st, 2) == 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* One integer a query of db gives (-1: none). */
static int64_t db_int(dpdb *db, const char *sql)
{
	dpdb_stmt *st = dpdb_prepare(db, sql);
	int64_t v = dpdb_step(st) == DPDB_ROW ? dpdb_col_i64(st, 0) : -1;
	while (dpdb_step(st) == DPDB_ROW)
		;
	return v;
}

/*
 * A database made with the three queue indexes (queue, pending_epoch,
 * pending_due) gets the one queue index when opened, and its rows stay
 * in the queue.  Run on the conformance database once it holds a queue.
 */
static void test_queue_migration(void)
{
	dpdb *db = NULL;
	int sqlite = dpdb_kind_of(dbpath) == DPDB_SQLITE;
	const char *count_old = sqlite ? "SELECT count(*) FROM sqlite_master WHERE type='index' AND "
					 "name IN ('pending_epoch','pending_due')"
				       : "SELECT count(*) FROM pg_indexes WHERE schemaname=current_schema() "
					 "AND indexname IN ('pending_epoch','pending_due')";
	const char *count_new = sqlite ? "SELECT count(*) FROM sqlite_master WHERE type='index' AND "
					 "name='queue' AND sql LIKE '%epoch,due,acked)%'"
				       : "SELECT count(*) FROM pg_indexes WHERE schemaname=current_schema() "
					 "AND indexname='queue' AND indexdef LIKE '%INCLUDE (epoch, due)%'";
	CHECK(dpdb_open(&db, dbpath, 0) == DP_OK);
	if (!db)
		return;
	CHECK(db_int(db, count_old) == 0 && db_int(db, count_new) == 1);
	int64_t pending = db_int(db, "SELECT count(*) FROM deliveries WHERE acked IS NULL");
	CHECK(pending > 0);
	/* a database of schema 4: three queue indexes */
	const char *schema = "SELECT CAST(v AS BIGINT) FROM meta WHERE k='schema'";
	CHECK(db_int(db, schema) == 5);
	CHECK(dpdb_exec(db, "DROP INDEX queue;"
			    "CREATE INDEX queue ON deliveries(device,prec,seq) WHERE acked IS NULL;"
			    "CREATE INDEX pending_epoch ON deliveries(device,epoch,seq) WHERE acked IS NULL;"
			    "CREATE INDEX pending_due ON deliveries(due) WHERE acked IS NULL;"
			    "UPDATE meta SET v='4' WHERE k='schema';") == DP_OK);
	CHECK(db_int(db, count_old) == 2 && db_int(db, count_new) == 0 && db_int(db, schema) == 4);
	dpdb_close(db);
	dps_store *s = NULL;
	CHECK(dps_open(&s, dbpath, 0) == DP_OK);
	dps_close(s);
	db = NULL;
	CHECK(dpdb_open(&db, dbpath, 0) == DP_OK);
	if (!db)
		return;
	/* upgraded: the one index, schema 5 (which a denpod of schema 4 refuses) */
	CHECK(db_int(db, count_old) == 0 && db_int(db, count_new) == 1 && db_int(db, schema) == 5);
	CHECK(db_int(db, "SELECT count(*) FROM deliveries WHERE acked IS NULL") == pending);
	/* a newer denpod's (schema 6): refused, nothing changed; then 5 opens again */
	CHECK(dpdb_exec(db, "UPDATE meta SET v='6' WHERE k='schema'") == DP_OK);
	dpdb_close(db);
	s = NULL;
	CHECK(dps_open(&s, dbpath, 0) == DP_ESTATE && s == NULL);
	db = NULL;
	CHECK(dpdb_open(&db, dbpath, 0) == DP_OK);
	if (!db)
		return;
	CHECK(db_int(db, schema) == 6);
	CHECK(dpdb_exec(db, "UPDATE meta SET v='5' WHERE k='schema'") == DP_OK);
	dpdb_close(db);
	CHECK(dps_open(&s, dbpath, 0) == DP_OK);
	dps_close(s);
}

/*
 * Two processes opening a database that lacks a schema change at once (a
 * switch and an admin command; instances starting together): both see it
 * missing, one makes it, and the other, once it has the write lock, finds
 * it made and does nothing (no "duplicate column name", no index dropped
 * and rebuilt).  Made deterministic: this test's own handle takes the
 * write lock first; the open (a thread) checks, then waits for the lock;
 * only then does the handle make the change and commit.  The open must
 * succeed and change nothing more.  SQLite: a database without the
 * segment columns (ALTER TABLE ADD COLUMN, which has no IF NOT EXISTS);
 * the open is known to wait when SQLite's busy handler sleeps (a VFS that
 * is the default one but for xSleep).  PostgreSQL: the three queue indexes
 * of schema 4; the open waits when pg_locks shows an advisory lock not
 * granted; the queue index it finds is the one the handle made (its oid).
 */
static pthread_mutex_t open_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t open_cv = PTHREAD_COND_INITIALIZER;
static int open_waits;
static sqlite3_vfs wait_vfs, *real_vfs;

static int wait_sleep(sqlite3_vfs *vfs, int us)
{
	pthread_mutex_lock(&open_mu);
	open_waits = 1;
	pthread_cond_broadcast(&open_cv);
	pthread_mutex_unlock(&open_mu);
	return real_vfs->xSleep(real_vfs, us);
}

struct open_arg {
	const char *path;
	int r;
};

static void *open_thread(void *arg)
{
	struct open_arg *a = arg;
	dps_store *s = NULL;
	a->r = dps_open(&s, a->path, 0);
	dps_close(s);
	return NULL;
}

static void test_open_during_migration(void)
{
	int sqlite = dpdb_kind_of(dbpath) == DPDB_SQLITE;
	char path[600];
	snprintf(path, sizeof path, "%s/concurrent", dir);
	CHECK(!sqlite || mkdir(path, 0700) == 0);
	snprintf(path + strlen(path), sizeof path - strlen(path), "/db");
	const char *target = sqlite ? path : dbpath;
	dps_store *s = NULL;
	dpdb *db = NULL;
	if (sqlite) {
		CHECK(dps_open(&s, target, 1) == DP_OK);
		dps_close(s);
	}
	CHECK(dpdb_open(&db, target, 0) == DP_OK);
	if (!db)
		return;
	const char *before = sqlite
		? "ALTER TABLE cables DROP COLUMN seg; ALTER TABLE cables DROP COLUMN off;"
		: "DROP INDEX queue; CREATE INDEX queue ON deliveries(device,prec,seq) WHERE acked IS NULL;"
		  "CREATE INDEX pending_epoch ON deliveries(device,epoch,seq) WHERE acked IS NULL;"
		  "CREATE INDEX pending_due ON deliveries(due) WHERE acked IS NULL;";
	const char *change = sqlite
		? "ALTER TABLE cables ADD COLUMN seg INTEGER; ALTER TABLE cables ADD COLUMN off INTEGER;"
		: "DROP INDEX pending_epoch; DROP INDEX pending_due; DROP INDEX queue;"
		  "CREATE INDEX queue ON deliveries(device,prec,seq) INCLUDE (epoch,due) WHERE acked IS NULL;";
	const char *done = sqlite
		? "SELECT count(*) FROM pragma_table_info('cables') WHERE name IN ('seg','off')"
		: "SELECT count(*) FROM pg_indexes WHERE schemaname=current_schema() AND "
		  "indexname='queue' AND indexdef LIKE '%INCLUDE (epoch, due)%'";
	const char *queue_oid = "SELECT CAST(oid AS BIGINT) FROM pg_class WHERE relname='queue' AND "
				"relnamespace=CAST(current_schema() AS regnamespace)";
	CHECK(dpdb_exec(db, before) == DP_OK);
	if (sqlite) {
		real_vfs = sqlite3_vfs_find(NULL);
		wait_vfs = *real_vfs;
		wait_vfs.zName = "denpo-test-wait";
		wait_vfs.xSleep = wait_sleep;
		CHECK(sqlite3_vfs_register(&wait_vfs, 1) == SQLITE_OK);
	}
	/* the write lock first, as the first process to migrate would hold it */
	CHECK(dpdb_begin(db) == DP_OK);
	CHECK(sqlite || dpdb_exec(db, "SELECT pg_advisory_xact_lock(7342001)") == DP_OK);
	struct open_arg a = {target, -1};
	pthread_t t;
	CHECK(pthread_create(&t, NULL, open_thread, &a) == 0);
	/* until the open has checked and waits for the lock */
	if (sqlite) {
		pthread_mutex_lock(&open_mu);
		while (!open_waits)
			pthread_cond_wait(&open_cv, &open_mu);
		pthread_mutex_unlock(&open_mu);
	} else {
		dpdb *w = NULL;
		CHECK(dpdb_open(&w, target, 0) == DP_OK);
		while (w && db_int(w, "SELECT count(*) FROM pg_locks WHERE locktype='advisory' AND "
				      "NOT granted") < 1)
			usleep(10 * 1000);
		dpdb_close(w);
	}
	CHECK(dpdb_exec(db, change) == DP_OK);
	int64_t oid = sqlite ? 0 : db_int(db, queue_oid); /* before the open may go on */
	CHECK(dpdb_commit(db) == DP_OK);
	pthread_join(t, NULL);
	if (sqlite)
		CHECK(sqlite3_vfs_register(real_vfs, 1) == SQLITE_OK &&
		      sqlite3_vfs_unregister(&wait_vfs) == SQLITE_OK);
	CHECKF(a.r == DP_OK, "the second open: %s", dp_strerror(a.r));
	CHECK(db_int(db, done) == (sqlite ? 2 : 1));
	CHECK(sqlite || db_int(db, queue_oid) == oid); /* not dropped and made again */
	dpdb_close(db);
}

struct rcpt_list {
	dps_rcpt r[32];
	size_t n;
};

static int rcpt_cb(void *ctx, const dps_rcpt *r)
{
	struct rcpt_list *l = ctx;
	if (l->n < 32)
		l->r[l->n] = *r;
	l->n++;
	return DP_OK;
}

/*
 * A cable to 23 devices (two statements of ten delivery rows, three of
 * one): every row stored with its own device, role, precedence and epoch,
 * each in its device's queue.
 */
static void test_many_rcpts(dps_store *s, int64_t now)
{
	dps_rcpt r[23];
	memset(r, 0, sizeof r);
	for (size_t i = 0; i < 23; i++) {
		memset(r[i].device, 0xA0 + (int)i, 32);
		r[i].role = i % 2 ? DP_ROLE_INFO : DP_ROLE_ACTION;
		r[i].prec = i % 2 ? DP_PREC_ROUTINE : DP_PREC_IMMEDIATE;
		r[i].epoch = 100 + (uint32_t)i;
	}
	uint8_t id[16], data[8] = {1, 2, 3};
	dp_random(id, sizeof id);
	dps_submit sub;
	CHECK(submit(s, "HQ", id, data, sizeof data, r, 23, now, &sub) == DP_OK);
	struct rcpt_list l = {.n = 0};
	CHECK(dps_rcpts(s, sub.c.seq, rcpt_cb, &l) == DP_OK);
	CHECKF(l.n == 23, "%zu rows", l.n);
	for (size_t i = 0; i < l.n && i < 23; i++) {
		size_t k = (size_t)(l.r[i].device[0] - 0xA0); /* rows come by device */
		CHECK(k < 23 && memcmp(l.r[i].device, r[k].device, 32) == 0);
		if (k >= 23)
			continue;
		CHECK(l.r[i].role == r[k].role && l.r[i].prec == r[k].prec &&
		      l.r[i].epoch == r[k].epoch && l.r[i].acked == 0 && l.r[i].delivered == 0);
		int more = 0;
		CHECK(dps_inbox_has_after(s, r[k].device, sub.c.seq - 1, &more) == DP_OK && more);
	}
}

struct plan {
	int kind;
	int bad, decoy_idx;
	char why[256];
};

static int plan_row(dpdb_stmt *st, void *ctx)
{
	struct plan *p = ctx;
	const char *t = dpdb_col_text(st, p->kind == DPDB_SQLITE ? 3 : 0);
	if (!t)
		return DP_OK;
	p->decoy_idx |= strstr(t, "cables_decoy") != NULL;
	/* SQLite: "SCAN c ..." / "SEARCH c ..." (the alias); PostgreSQL: "... on cables c" */
	int cable = p->kind == DPDB_SQLITE ? strncmp(t, "SCAN c", 6) == 0 || strncmp(t, "SEARCH c", 8) == 0
					   : strstr(t, "Seq Scan on cables") || strstr(t, "cables_pkey");
	if (cable && !strstr(t, "cables_decoy")) {
		p->bad = 1;
		snprintf(p->why, sizeof p->why, "%s", t);
	}
	return DP_OK;
}

/*
 * The queue's figures (dps_queue_stats): decoys left out, overdue counted;
 * and its plan reads no cable row but the decoys' (the cables_decoy index):
 * its cost does not grow with the cables stored.
 */
static void test_queue_stats(dps_store *s, int64_t now)
{
	uint64_t q0[4], q1[4], over0, over1, all0;
	CHECK(dps_queue_stats(s, now, q0, &over0) == DP_OK);
	CHECK(dps_queue_stats(s, INT64_MAX / 2, q0, &all0) == DP_OK);
	CHECK(all0 == q0[0] + q0[1] + q0[2] + q0[3]); /* then every queued row is overdue */
	dps_rcpt r[3];
	memset(r, 0, sizeof r);
	for (int i = 0; i < 3; i++) {
		memset(r[i].device, 0xD0 + i, 32);
		r[i].prec = i ? DP_PREC_PRIORITY : DP_PREC_FLASH;
	}
	/* a decoy to three devices, a cable to two: only the cable's rows count */
	uint8_t id[16], data[8] = {9, 8, 7};
	dps_submit sub;
	memset(&sub, 0, sizeof sub);
	dp_random(id, sizeof id);
	memcpy(sub.c.cable_id, id, 16);
	snprintf(sub.c.from_post, sizeof sub.c.from_post, "HQ");
	snprintf(sub.c.officer, sizeof sub.c.officer, "desk.kimura");
	sub.c.prec_action = sub.c.prec_info = DP_PREC_FLASH;
	sub.c.decoy = 1;
	sub.rcpts = r;
	sub.nrcpts = 3;
	sub.data = data;
	sub.len = sizeof data;
	sub.now = now;
	CHECK(dps_begin(s) == DP_OK && dps_cable_insert(s, &sub) == DP_OK && dps_commit(s) == DP_OK);
	dp_random(id, sizeof id);
	CHECK(submit(s, "HQ", id, data, sizeof data, r + 1, 2, now, &sub) == DP_OK);
	CHECK(dps_queue_stats(s, now, q1, &over1) == DP_OK);
	CHECKF(q1[DP_PREC_FLASH] == q0[DP_PREC_FLASH] && q1[DP_PREC_PRIORITY] == q0[DP_PREC_PRIORITY] + 2 &&
	       q1[DP_PREC_IMMEDIATE] == q0[DP_PREC_IMMEDIATE] && q1[DP_PREC_ROUTINE] == q0[DP_PREC_ROUTINE],
	       "flash %llu -> %llu, priority %llu -> %llu", (unsigned long long)q0[DP_PREC_FLASH],
	       (unsigned long long)q1[DP_PREC_FLASH], (unsigned long long)q0[DP_PREC_PRIORITY],
	       (unsigned long long)q1[DP_PREC_PRIORITY]);
	CHECK(over1 == over0); /* just accepted: none overdue yet */
	uint64_t all1;
	CHECK(dps_queue_stats(s, INT64_MAX / 2, q1, &all1) == DP_OK && all1 == all0 + 2);

	/* the plan: the decoys' index, no other cable read */
	dpdb *db = NULL;
	CHECK(dpdb_open(&db, dbpath, 0) == DP_OK);
	if (!db)
		return;
	struct plan p = {dpdb_kind(db), 0, 0, ""};
	char sql[1024];
	snprintf(sql, sizeof sql, "%s%s", p.kind == DPDB_SQLITE ? "EXPLAIN QUERY PLAN " : "EXPLAIN ",
		 dps_sql_queue_stats);
	/* PostgreSQL: a few rows make a sequential scan the cheapest; forbid it to see the indexes */
	if (p.kind == DPDB_PG)
		CHECK(dpdb_exec(db, "SET enable_seqscan = off") == DP_OK);
	dpdb_stmt *st = dpdb_prepare(db, sql);
	dpdb_bind_i64(st, 1, now);
	int rc;
	while ((rc = dpdb_step(st)) == DPDB_ROW)
		CHECK(plan_row(st, &p) == DP_OK);
	CHECK(rc == DPDB_DONE);
	dpdb_reset(st);
	CHECKF(!p.bad && p.decoy_idx, "the queue figures' plan reads cables: %s", p.why);
	dpdb_close(db);
}

/* The conformance suite on the (empty) database dbpath names. */
struct feed_rows {
	int64_t id[8], inst[8], lseq[8];
	dp_det_event e[8];
	size_t n;
};

static int feed_row(void *ctx, int64_t id, int64_t inst, int64_t lseq, const dp_det_event *e)
{
	struct feed_rows *f = ctx;
	if (f->n == 8)
		return DP_ETOOBIG;
	f->id[f->n] = id;
	f->inst[f->n] = inst;
	f->lseq[f->n] = lseq;
	f->e[f->n++] = *e;
	return DP_OK;
}

/* Detection across instances (store.h): the shared feed and the claims; SQLite has neither. */
static void test_shared_detect(dps_store *s)
{
	dp_det_event ev[3];
	int64_t lseq[3] = {1, 2, 3}, last = -1;
	memset(ev, 0, sizeof ev);
	for (int i = 0; i < 3; i++) {
		ev[i].kind = i == 2 ? DP_DET_KEYREQ : DP_DET_FETCH;
		ev[i].t_ms = INT64_C(1772409600000) + i;
		memset(ev[i].device, 0xa0 + i, 32);
		memset(ev[i].addr, 7, 16);
		ev[i].cable_seq = 40 + i;
		ev[i].cable_accepted = 1772400000 + i;
		ev[i].refetch = i == 0;
		ev[i].queued = i == 1;
		ev[i].flash = i == 1;
		ev[i].decoy = i == 0;
	}
	memset(ev[2].subject, 0x5e, 32);
	int first = 0;
	if (!dps_shared(s)) {
		CHECK(dps_det_events_put(s, 9, lseq, ev, 3) == DP_EUNSUPP);
		CHECK(dps_det_events_last(s, &last) == DP_EUNSUPP);
		CHECK(dps_det_claim(s, ev[0].device, "DECOY", 2, 1, 10, 9, 1, &first) == DP_OK && first);
		CHECK(dps_det_claim(s, ev[0].device, "DECOY", 2, 1, 10, 9, 1, &first) == DP_OK && first);
		return;
	}
	/* a second instance's connection: the ids follow the commits of both */
	dps_store *s2 = NULL;
	CHECK(dps_open(&s2, dbpath, 0) == DP_OK);
	if (!s2)
		return;
	CHECK(dps_det_events_last(s, &last) == DP_OK && last == 0);
	CHECK(dps_det_events_put(s, 9, lseq, ev, 2) == DP_OK);
	CHECK(dps_det_events_put(s2, 11, lseq + 2, ev + 2, 1) == DP_OK);
	struct feed_rows f = {0};
	CHECK(dps_det_events_after(s2, 0, 10, feed_row, &f) == DP_OK && f.n == 3);
	CHECK(f.id[0] < f.id[1] && f.id[1] < f.id[2]);
	CHECK(f.inst[0] == 9 && f.inst[1] == 9 && f.inst[2] == 11 && f.lseq[2] == 3);
	/* every fact the engine reads comes back as written */
	for (size_t i = 0; i < f.n; i++)
		CHECKF(memcmp(&f.e[i], &ev[i], sizeof ev[i]) == 0, "event %zu", i);
	struct feed_rows g = {0};
	CHECK(dps_det_events_after(s, f.id[0], 1, feed_row, &g) == DP_OK && g.n == 1 &&
	      g.id[0] == f.id[1]);
	CHECK(dps_det_events_last(s, &last) == DP_OK && last == f.id[2]);
	CHECK(dps_det_events_trim(s, f.id[1]) == DP_OK);
	memset(&g, 0, sizeof g);
	CHECK(dps_det_events_after(s, 0, 10, feed_row, &g) == DP_OK && g.n == 1 &&
	      g.id[0] == f.id[2]);
	/* inside a transaction the feed is refused: it commits on its own */
	CHECK(dps_begin(s) == DP_OK);
	CHECK(dps_det_events_put(s, 9, lseq, ev, 1) == DP_EINVAL);
	dps_rollback(s);
	/* an instance that holds the feed's lock and hangs does not hold this one's loop: its
	 * batch is given up after the lock timeout (200 ms), not waited for */
	dpdb *hang = NULL;
	CHECK(dpdb_open(&hang, dbpath, 0) == DP_OK && dpdb_begin(hang) == DP_OK &&
	      dpdb_exec(hang, "SELECT pg_advisory_xact_lock(7342002)") == DP_OK);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(dps_det_events_put(s, 9, lseq, ev, 1) == DP_ESTORE);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long waited = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECKF(waited < 5000, "%ld ms", waited);
	dpdb_rollback(hang);
	dpdb_close(hang);
	CHECK(dps_det_events_put(s, 9, lseq, ev, 1) == DP_OK); /* and the next one goes in */

	/* one incident, one alert: the same event, or within the window */
	const uint8_t *dev = ev[0].device;
	int64_t t = ev[0].t_ms;
	CHECK(dps_det_claim(s, dev, "NOT-ADDRESSED", 2, t, 10000, 9, 5, &first) == DP_OK && first);
	CHECK(dps_det_claim(s2, dev, "NOT-ADDRESSED", 2, t + 300, 10000, 11, 8, &first) == DP_OK &&
	      !first); /* the other engine, on another event 0.3 s on */
	CHECK(dps_det_claim(s2, dev, "NOT-ADDRESSED", 2, t - 300, 10000, 11, 7, &first) == DP_OK &&
	      !first); /* its clock a little behind */
	CHECK(dps_det_claim(s2, dev, "NOT-ADDRESSED", 2, t + 60000, 0, 9, 5, &first) == DP_OK &&
	      !first); /* realert.seconds = 0: the same event still is one incident */
	CHECK(dps_det_claim(s2, dev, "NOT-ADDRESSED", 2, t + 300, 0, 11, 8, &first) == DP_OK &&
	      first); /* ... another is not */
	CHECK(dps_det_claim(s, dev, "NOT-ADDRESSED", 1, t, 10000, 9, 5, &first) == DP_OK &&
	      first); /* another action (an escalation) */
	CHECK(dps_det_claim(s, dev, "DECOY", 2, t, 10000, 9, 5, &first) == DP_OK && first);
	CHECK(dps_det_claim(s, ev[1].device, "NOT-ADDRESSED", 2, t, 10000, 9, 5, &first) == DP_OK &&
	      first);
	CHECK(dps_det_claim(s, dev, "NOT-ADDRESSED", 2, t + 20000, 10000, 9, 6, &first) == DP_OK &&
	      first); /* a later incident */
	dps_close(s2);
}


/* A device's status set on db (its directory version bumped by the trigger), the store bypassed. */
static int set_status_raw(dpdb *db, const uint8_t id[32], int status)
{
	dpdb_stmt *st = dpdb_prepare(db, "UPDATE devices SET status=?1 WHERE id=?2");
	dpdb_bind_i64(st, 1, status);
	dpdb_bind_blob(st, 2, id, 32);
	return dpdb_run(st);
}
static void conformance(void)
{
	dps_store *s = NULL;
	if (dpdb_kind_of(dbpath) == DPDB_SQLITE)
		CHECK(dps_open(&s, dbpath, 0) == DP_ESTORE); /* no database yet and create=0 */
	CHECK(dps_open(&s, dbpath, 1) == DP_OK);
	if (!s)
		return;

	/* directory */
	dps_post hq = {"HQ", 1, "Asia/Tokyo"}, tk = {"TOKYO", 0, "Asia/Tokyo"}, dc = {"WASHINGTON", 0, "UTC"};
	CHECK(dps_post_add(s, &hq) == DP_OK);
	CHECK(dps_post_add(s, &tk) == DP_OK);
	CHECK(dps_post_add(s, &dc) == DP_OK);
	CHECK(dps_post_add(s, &tk) == DP_EEXISTS);
	const char *members[] = {"TOKYO", "WASHINGTON"};
	CHECK(dps_collective_add(s, "ALL POSTS", members, 2) == DP_OK);
	CHECK(dps_collective_add(s, "HQ", members, 2) == DP_EEXISTS); /* shadows a post */
	const char *bad[] = {"TOKYO", "NOWHERE"};
	CHECK(dps_collective_add(s, "SOME POSTS", bad, 2) == DP_ENOTFOUND);
	int n = 0;
	CHECK(dps_addressee_posts(s, "SOME POSTS", count_post, &n) == DP_ENOTFOUND && n == 0);
	CHECKF(dps_addressee_posts(s, "ALL POSTS", count_post, &n) == DP_OK && n == 2, "n=%d", n);
	n = 0;
	CHECK(dps_addressee_posts(s, "HQ", count_post, &n) == DP_OK && n == 1);
	CHECK(dps_addressee_posts(s, "MARS", count_post, &n) == DP_ENOTFOUND);

	mkofficer(s, "tanaka.h", "HQ", DP_CLASS_TOP_SECRET);
	mkofficer(s, "sato.k", "TOKYO", DP_CLASS_SECRET);
	dps_officer o;
	memset(&o, 0, sizeof o);
	snprintf(o.handle, sizeof o.handle, "ghost");
	snprintf(o.post, sizeof o.post, "NOWHERE");
	CHECK(dps_officer_put(s, &o, 0) == DP_ENOTFOUND);
	CHECK(dps_officer_get(s, "sato.k", &o) == DP_OK);
	CHECK(o.clearance == DP_CLASS_SECRET && o.ncaptions == 2 && strcmp(o.captions[1], "EXDIS") == 0);
	CHECK(dps_officer_get(s, "nobody", &o) == DP_ENOTFOUND);

	uint8_t d1[32], d2[32];
	mkdev(s, d1, "tanaka.h");
	mkdev(s, d2, "sato.k");
	dps_device dv;
	CHECK(dps_device_get(s, d2, &dv) == DP_OK && strcmp(dv.officer, "sato.k") == 0);
	CHECK(dv.nwin == 0 && dv.created == 1771928580 && strcmp(dv.name, "LAPTOP") == 0);
	uint8_t tls2[32];
	memcpy(tls2, dv.tls_key, 32);
	CHECK(dps_device_by_tls(s, tls2, &dv) == DP_OK && memcmp(dv.id, d2, 32) == 0);
	CHECK(dps_device_by_tls(s, d2, &dv) == DP_ENOTFOUND); /* the sign key is not the TLS key */
	char hex[65];
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d2[i]);
	hex[12] = 0;
	CHECK(dps_device_find(s, hex, &dv) == DP_OK && memcmp(dv.id, d2, 32) == 0);
	CHECK(dps_device_find(s, "", &dv) == DP_EPARSE);
	CHECK(dps_device_find(s, "zz", &dv) == DP_EPARSE);
	/* status: suspend, reinstate, revoke is final */
	CHECK(dps_device_set_status(s, d2, DPS_SUSPENDED) == DP_OK);
	CHECK(dps_device_get(s, d2, &dv) == DP_OK && dv.status == DPS_SUSPENDED);
	CHECK(dps_device_set_status(s, d2, DPS_ACTIVE) == DP_OK);
	uint8_t d3[32];
	mkdev(s, d3, "sato.k");
	CHECK(dps_device_set_status(s, d3, DPS_REVOKED) == DP_OK);
	CHECK(dps_device_set_status(s, d3, DPS_ACTIVE) == DP_ESTATE);
	CHECK(dps_device_get(s, d3, &dv) == DP_OK && dv.status == DPS_REVOKED);

	/*
	 * Directory cache: a second handle (the server's reader) caches rows;
	 * writes through the first (an admin command in another process) bump
	 * the directory version, and dps_dir_sync makes the reader see them.
	 */
	dps_store *rd = NULL;
	CHECK(dps_open(&rd, dbpath, 0) == DP_OK);
	if (rd) {
		CHECK(dps_dir_sync(rd) == DP_OK); /* no cache yet: a no-op */
		CHECK(dps_dir_cache(rd) == DP_OK);
		CHECK(dps_dir_sync(rd) == DP_OK);
		CHECK(dps_device_by_tls(rd, tls2, &dv) == DP_OK && dv.status == DPS_ACTIVE);
		CHECK(dps_officer_get(rd, "sato.k", &o) == DP_OK && o.clearance == DP_CLASS_SECRET);
		dps_post pp;
		CHECK(dps_post_get(rd, "PARIS", &pp) == DP_ENOTFOUND); /* cached as absent */
		/* the cache really answers: a write without a sync is not seen yet */
		CHECK(dps_device_set_status(s, d2, DPS_SUSPENDED) == DP_OK);
		CHECK(dps_device_get(rd, d2, &dv) == DP_OK && dv.status == DPS_ACTIVE);
		CHECK(dps_dir_sync(rd) == DP_OK);
		CHECK(dps_device_get(rd, d2, &dv) == DP_OK && dv.status == DPS_SUSPENDED);
		CHECK(dps_device_by_tls(rd, tls2, &dv) == DP_OK && dv.status == DPS_SUSPENDED);
		CHECK(dps_device_set_status(s, d2, DPS_ACTIVE) == DP_OK);
		dps_post paris = {"PARIS", 0, "Europe/Paris"};
		CHECK(dps_post_add(s, &paris) == DP_OK);
		o.clearance = DP_CLASS_CONFIDENTIAL;
		CHECK(dps_officer_put(s, &o, 1) == DP_OK);
		CHECK(dps_dir_sync(rd) == DP_OK);
		CHECK(dps_device_by_tls(rd, tls2, &dv) == DP_OK && dv.status == DPS_ACTIVE);
		CHECK(dps_post_get(rd, "PARIS", &pp) == DP_OK && strcmp(pp.tz, "Europe/Paris") == 0);
		CHECK(dps_officer_get(rd, "sato.k", &o) == DP_OK && o.clearance == DP_CLASS_CONFIDENTIAL);
		o.clearance = DP_CLASS_SECRET;
		CHECK(dps_officer_put(s, &o, 1) == DP_OK);
		CHECK(dps_dir_sync(rd) == DP_OK);
		CHECK(dps_officer_get(rd, "sato.k", &o) == DP_OK && o.clearance == DP_CLASS_SECRET);
		/*
		 * dps_dir_sync_recent: nothing read within the window after a
		 * read (a window of 10 s here, so the cache's answer is seen
		 * whatever the machine's speed), at once after dps_dir_stale,
		 * and again once the default window (1 ms) has passed; a window
		 * of 0 reads every time.  The changes are made through a
		 * connection of its own, the store bypassed.
		 */
		dpdb *raw = NULL;
		CHECK(dpdb_open(&raw, dbpath, 0) == DP_OK && dpdb_relax_sync(raw) == DP_OK);
		if (raw) {
			dps_dir_window(rd, 10000);
			CHECK(dps_dir_sync(rd) == DP_OK);
			/* the row cached (only a cached row can be stale) */
			CHECK(dps_device_get(rd, d2, &dv) == DP_OK && dv.status == DPS_ACTIVE);
			CHECK(set_status_raw(raw, d2, DPS_SUSPENDED) == DP_OK);
			CHECK(dps_dir_sync_recent(rd) == DP_OK);
			CHECK(dps_device_get(rd, d2, &dv) == DP_OK && dv.status == DPS_ACTIVE);
			dps_dir_stale(rd);
			CHECK(dps_dir_sync_recent(rd) == DP_OK);
			CHECK(dps_device_get(rd, d2, &dv) == DP_OK && dv.status == DPS_SUSPENDED);
			/* the stale mark is spent by that read: the window holds again */
			CHECK(set_status_raw(raw, d2, DPS_ACTIVE) == DP_OK);
			CHECK(dps_dir_sync_recent(rd) == DP_OK);
			CHECK(dps_device_get(rd, d2, &dv) == DP_OK && dv.status == DPS_SUSPENDED);
			/* the default window: read again once 1 ms has passed */
			dps_dir_window(rd, DPS_DIR_FRESH_MS);
			struct timespec t0, t1, ms1 = {0, 1000000};
			clock_gettime(CLOCK_MONOTONIC, &t0);
			do {
				nanosleep(&ms1, NULL);
				clock_gettime(CLOCK_MONOTONIC, &t1);
			} while ((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) <
				 2 * DPS_DIR_FRESH_MS * 1000000L);
			CHECK(dps_dir_sync_recent(rd) == DP_OK);
			CHECK(dps_device_get(rd, d2, &dv) == DP_OK && dv.status == DPS_ACTIVE);
			/* a window of 0: every call reads */
			dps_dir_window(rd, 0);
			CHECK(set_status_raw(raw, d2, DPS_SUSPENDED) == DP_OK);
			CHECK(dps_dir_sync_recent(rd) == DP_OK);
			CHECK(dps_device_get(rd, d2, &dv) == DP_OK && dv.status == DPS_SUSPENDED);
			CHECK(set_status_raw(raw, d2, DPS_ACTIVE) == DP_OK);
			CHECK(dps_dir_sync_recent(rd) == DP_OK);
			CHECK(dps_device_get(rd, d2, &dv) == DP_OK && dv.status == DPS_ACTIVE);
			dpdb_close(raw);
		}
		dps_close(rd);
	}

	/* cables: queue order, gap-free MRN per post and year */
	uint8_t data[4096];
	dp_random(data, sizeof data);
	dps_rcpt r[2];
	memset(r, 0, sizeof r);
	memcpy(r[0].device, d2, 32);
	r[0].role = DP_ROLE_ACTION;
	r[0].epoch = 7; /* kept per delivery row */
	int precs[4] = {DP_PREC_ROUTINE, DP_PREC_FLASH, DP_PREC_PRIORITY, DP_PREC_FLASH};
	uint8_t ids[4][16];
	dps_submit sub;
	const int64_t t0 = 1771928580; /* 2026 */
	for (int i = 0; i < 4; i++) {
		dp_random(ids[i], 16);
		r[0].prec = precs[i];
		data[0] = (uint8_t)i;
		CHECK(submit(s, "HQ", ids[i], data, sizeof data, r, 1, t0 + i, &sub) == DP_OK);
		char want[32];
		snprintf(want, sizeof want, "26 HQ %06d", i + 1);
		CHECKF(strcmp(sub.mrn, want) == 0, "%s", sub.mrn);
		CHECK(sub.duplicate == 0 && sub.accepted == t0 + i);
	}
	/* another post has its own counter */
	uint8_t idt[16];
	dp_random(idt, 16);
	memcpy(r[0].device, d1, 32);
	CHECK(submit(s, "TOKYO", idt, data, 100, r, 1, t0, &sub) == DP_OK);
	CHECK(strcmp(sub.mrn, "26 TOKYO 000001") == 0);
	/* a new UTC year restarts at 1 (2027-01-01T00:00:00Z) */
	dp_random(idt, 16);
	CHECK(submit(s, "TOKYO", idt, data, 100, r, 1, 1798761600, &sub) == DP_OK);
	CHECK(strcmp(sub.mrn, "27 TOKYO 000001") == 0);

	/* idempotency: same bytes -> same MRN, duplicate; other bytes -> exists; no MRN consumed */
	memcpy(r[0].device, d2, 32);
	data[0] = 0;
	CHECK(submit(s, "HQ", ids[0], data, sizeof data, r, 1, t0 + 100, &sub) == DP_OK);
	CHECK(sub.duplicate == 1 && strcmp(sub.mrn, "26 HQ 000001") == 0 && sub.accepted == t0);
	data[0] = 9;
	CHECK(submit(s, "HQ", ids[0], data, sizeof data, r, 1, t0 + 100, &sub) == DP_EEXISTS);
	uint8_t id5[16];
	dp_random(id5, 16);
	CHECK(submit(s, "HQ", id5, data, sizeof data, r, 1, t0 + 5, &sub) == DP_OK);
	CHECK(strcmp(sub.mrn, "26 HQ 000005") == 0);
	/* a failing cable inside a batch (duplicate recipient) leaves no trace and no MRN gap */
	dps_rcpt twice[2];
	memcpy(&twice[0], &r[0], sizeof r[0]);
	memcpy(&twice[1], &r[0], sizeof r[0]);
	uint8_t id6[16], id7[16];
	dp_random(id6, 16);
	dp_random(id7, 16);
	CHECK(dps_begin(s) == DP_OK);
	dps_submit a, b;
	memset(&a, 0, sizeof a);
	memcpy(a.c.cable_id, id6, 16);
	snprintf(a.c.from_post, sizeof a.c.from_post, "HQ");
	snprintf(a.c.officer, sizeof a.c.officer, "tanaka.h");
	a.rcpts = twice;
	a.nrcpts = 2;
	a.data = data;
	a.len = 10;
	a.now = t0 + 6;
	b = a;
	memcpy(b.c.cable_id, id7, 16);
	b.nrcpts = 1;
	CHECK(dps_cable_insert(s, &a) == DP_EEXISTS);
	CHECK(dps_cable_insert(s, &b) == DP_OK && strcmp(b.mrn, "26 HQ 000006") == 0);
	CHECK(dps_commit(s) == DP_OK);
	dps_cable c;
	CHECK(dps_cable_get(s, id6, &c) == DP_ENOTFOUND);
	CHECK(dps_cable_get(s, id7, &c) == DP_OK && strcmp(c.mrn, "26 HQ 000006") == 0);
	/* rollback of a whole batch consumes nothing */
	uint8_t id8[16];
	dp_random(id8, 16);
	CHECK(dps_begin(s) == DP_OK);
	b.nrcpts = 1;
	memcpy(b.c.cable_id, id8, 16);
	CHECK(dps_cable_insert(s, &b) == DP_OK && strcmp(b.mrn, "26 HQ 000007") == 0);
	dps_rollback(s);
	CHECK(dps_cable_get(s, id8, &c) == DP_ENOTFOUND);
	CHECK(submit(s, "HQ", id8, data, 10, r, 1, t0 + 7, &sub) == DP_OK);
	CHECK(strcmp(sub.mrn, "26 HQ 000007") == 0);

	/* queue order for d2: FLASH (seq order), PRIORITY, ROUTINE... */
	struct collect k;
	memset(&k, 0, sizeof k);
	CHECK(dps_inbox(s, d2, 100, collect_cb, &k) == DP_OK);
	CHECKF(k.n == 7, "%d", k.n);
	CHECK(strcmp(k.mrn[0], "26 HQ 000002") == 0 && strcmp(k.mrn[1], "26 HQ 000004") == 0);
	CHECK(k.prec[0] == DP_PREC_FLASH && k.prec[5] == DP_PREC_PRIORITY && k.prec[6] == DP_PREC_ROUTINE);
	CHECK(strcmp(k.mrn[5], "26 HQ 000003") == 0 && strcmp(k.mrn[6], "26 HQ 000001") == 0);
	for (int i = 1; i < k.n && i < 16; i++)
		CHECK(k.prec[i - 1] <= k.prec[i]);
	/* long-poll condition: something newer than the highest seq seen */
	int64_t top = k.maxseq;
	int fresh = -1;
	CHECK(dps_inbox_has_after(s, d2, 0, &fresh) == DP_OK && fresh == 1);
	CHECK(dps_inbox_has_after(s, d2, top - 1, &fresh) == DP_OK && fresh == 1);
	CHECK(dps_inbox_has_after(s, d2, top, &fresh) == DP_OK && fresh == 0);
	uint8_t nobody[32];
	dp_random(nobody, sizeof nobody);
	CHECK(dps_inbox_has_after(s, nobody, 0, &fresh) == DP_OK && fresh == 0); /* no queue */
	memset(&k, 0, sizeof k);
	CHECK(dps_inbox(s, d2, 2, collect_cb, &k) == DP_OK && k.n == 2);

	/* receipts */
	CHECK(dps_cable_get(s, ids[1], &c) == DP_OK);
	CHECK(dps_mark_delivered(s, c.seq, d1, t0 + 50) == DP_ENOTFOUND); /* not a recipient */
	CHECK(dps_mark_delivered(s, c.seq, d2, t0 + 50) == DP_OK);
	CHECK(dps_mark_delivered(s, c.seq, d2, t0 + 60) == DP_OK); /* first fetch wins */
	dps_rcpt x;
	CHECK(dps_rcpt_get(s, c.seq, d2, &x) == DP_OK && x.delivered == t0 + 50 && x.acked == 0);
	CHECK(x.epoch == 7);
	CHECK(dps_mark_acked(s, c.seq, d2, t0 + 70) == DP_OK);
	CHECK(dps_mark_acked(s, c.seq, d2, t0 + 80) == DP_OK); /* idempotent */
	CHECK(dps_rcpt_get(s, c.seq, d2, &x) == DP_OK && x.acked == t0 + 70);
	memset(&k, 0, sizeof k);
	CHECK(dps_inbox(s, d2, 100, collect_cb, &k) == DP_OK && k.n == 6);
	CHECK(strcmp(k.mrn[0], "26 HQ 000004") == 0);
	/* ack without fetch sets delivered too */
	CHECK(dps_cable_get(s, ids[3], &c) == DP_OK);
	CHECK(dps_mark_acked(s, c.seq, d2, t0 + 90) == DP_OK);
	CHECK(dps_rcpt_get(s, c.seq, d2, &x) == DP_OK && x.delivered == t0 + 90);

	/* overdue: ROUTINE objective 21600 s after acceptance */
	memset(&k, 0, sizeof k);
	CHECK(dps_overdue(s, t0 + 599, NULL, collect_cb, &k) == DP_OK && k.n == 0);
	memset(&k, 0, sizeof k);
	CHECK(dps_overdue(s, t0 + 21600 + 200, NULL, collect_cb, &k) == DP_OK);
	CHECKF(k.n == 6, "%d", k.n); /* 5 HQ cables to d2 unacked + 1 TOKYO 2026 to d1 */
	memset(&k, 0, sizeof k);
	CHECK(dps_overdue(s, t0 + 21600 + 200, "HQ", collect_cb, &k) == DP_OK && k.n == 1);

	/* restart keeps everything, including the data; a database with three queue indexes too */
	dps_close(s);
	s = NULL;
	test_queue_migration();
	test_open_during_migration();
	CHECK(dps_open(&s, dbpath, 0) == DP_OK);
	if (!s)
		return;
	CHECK(dps_cable_get(s, ids[2], &c) == DP_OK && strcmp(c.mrn, "26 HQ 000003") == 0);
	dp_buf got;
	dp_buf_init(&got, 1 << 20);
	data[0] = 2;
	CHECK(dps_cable_data(s, c.seq, &got) == DP_OK && got.len == sizeof data &&
	      memcmp(got.p, data, sizeof data) == 0);
	dp_buf_free(&got);
	memset(&k, 0, sizeof k);
	CHECK(dps_inbox(s, d2, 100, collect_cb, &k) == DP_OK && k.n == 5);
	dp_random(idt, 16);
	CHECK(submit(s, "HQ", idt, data, 10, r, 1, t0 + 9, &sub) == DP_OK);
	CHECK(strcmp(sub.mrn, "26 HQ 000008") == 0);
	CHECK(dps_rcpt_get(s, sub.c.seq, d2, &x) == DP_OK && x.epoch == 7);

	/* a retry is recognised by its bytes' digest */
	uint8_t dg10[DP_SHA256], dg9[DP_SHA256];
	dp_sha256(dg10, data, 10);
	dp_sha256(dg9, data, 9);
	CHECK(dps_cable_stored(s, idt, dg10, &c) == DP_OK && strcmp(c.mrn, "26 HQ 000008") == 0);
	CHECK(dps_cable_stored(s, idt, dg9, &c) == DP_EEXISTS);
	dp_random(idt, 16);
	CHECK(dps_cable_stored(s, idt, dg10, &c) == DP_ENOTFOUND);

	test_many_rcpts(s, t0 + 10);
	test_queue_stats(s, t0 + 11);
	test_tables(s);
	test_records(s);
	/* key epochs */
	test_publish(s);
	test_current(s);
	test_pending(s);
	test_cache(s);
	test_shared_detect(s);
	test_operators(s);
	dps_close(s);

	/* a database that holds a switch is not made a new one (denpod init) */
	CHECK(dps_target_empty(dbpath) == DP_EEXISTS);
	if (dpdb_kind_of(dbpath) == DPDB_PG) {
		dps_store *again = NULL;
		CHECK(dps_open(&again, dbpath, 1) == DP_EEXISTS && again == NULL);
		/* a database made before several instances (no lease, no shared detection tables)
		 * gets them when opened: its log is signed again (the lease is taken) */
		dpdb *db = NULL;
		CHECK(dpdb_open(&db, dbpath, 0) == DP_OK &&
		      dpdb_exec(db, "DROP TABLE log_lease; DROP TABLE det_events; DROP TABLE det_alerts") ==
			      DP_OK);
		dpdb_close(db);
		int held = 0;
		CHECK(dps_open(&again, dbpath, 0) == DP_OK && again);
		CHECK(again && dps_log_lease(again, "test", 5000, &held) == DP_OK && held == 1);
		dps_close(again);
	}
}

/* Entry idx's bytes: "entry <idx>" padded with its index byte to 40 + idx % 7 bytes. */
static size_t mig_entry(uint64_t idx, uint8_t out[64])
{
	size_t n = 40 + idx % 7;
	memset(out, (int)(idx & 0xff), n);
	memcpy(out, "entry ", 6);
	return n;
}
struct mig_seen {
	uint64_t n, bad;
};
static int mig_entry_cb(void *ctx, uint64_t idx, const uint8_t *e, size_t len)
{
	struct mig_seen *x = ctx;
	uint8_t want[64];
	size_t n = mig_entry(idx, want);
	x->bad += len != n || memcmp(e, want, n) != 0;
	x->n++;
	return DP_OK;
}

/*
 * dps_migrate_copy (denpod migrate) into an empty PostgreSQL database:
 * tables of more rows than one INSERT carries (meta: 2 columns, 256 rows a
 * statement; 701 rows, one value NULL; log_entries: 300) arrive whole and
 * byte for byte; a database that is not empty is refused, naming a table.
 */
static void test_migrate(const char *base)
{
	char path[300], name[64], found[64], key[16], val[16], got[16], why[256];
	snprintf(path, sizeof path, "%s/migrate.db", dir);
	snprintf(name, sizeof name, "denpo_test_migrate_%d", (int)getpid());
	char *uri = t_pg_with_database(base, name);
	dps_store *src = NULL, *dst = NULL;
	CHECK(uri && t_pg_database(base, name, 1) == DP_OK);
	CHECK(dps_open(&src, path, 1) == DP_OK);
	CHECK(src && dps_begin(src) == DP_OK);
	for (int i = 0; src && i < 700; i++) {
		snprintf(key, sizeof key, "k%04d", i);
		snprintf(val, sizeof val, "v%d", i);
		CHECK(dps_meta_put(src, key, i == 300 ? NULL : val) == DP_OK);
	}
	for (uint64_t i = 0; src && i < 300; i++) {
		uint8_t e[64];
		uint64_t idx;
		size_t n = mig_entry(i, e);
		CHECK(dps_log_append(src, e, n, &idx) == DP_OK && idx == i);
	}
	dp_records_state rst, rgot;
	uint8_t rid[DP_CABLE_ID];
	memset(&rst, 0, sizeof rst);
	memset(rid, 0x77, sizeof rid);
	strcpy(rst.held_by, "kato.r");
	rst.held_at = 1772000000;
	strcpy(rst.hold_reason, "litigation 2026-7");
	CHECK(src && dps_records_put(src, rid, &rst, 1772000000) == DP_OK);
	CHECK(src && dps_commit(src) == DP_OK);
	CHECK(dps_migrate_open(&dst, uri, found, sizeof found) == DP_OK);
	CHECK(src && dps_begin(src) == DP_OK);
	CHECK(dst && dps_migrate_copy(src, dst, NULL, NULL, why, sizeof why) == DP_OK);
	CHECK(dst && dps_commit(dst) == DP_OK);
	if (src)
		dps_rollback(src);
	CHECK(dst && dps_meta_get(dst, "k0699", got, sizeof got) == DP_OK && strcmp(got, "v699") == 0);
	CHECK(dst && dps_meta_get(dst, "k0256", got, sizeof got) == DP_OK && strcmp(got, "v256") == 0);
	CHECK(dst && dps_meta_get(dst, "k0300", got, sizeof got) == DP_OK && got[0] == 0);
	CHECK(dst && dps_meta_get(dst, "schema", got, sizeof got) == DP_OK && got[0] != 0);
	uint64_t size = 0;
	struct mig_seen seen = {0, 0};
	CHECK(dst && dps_log_size(dst, &size) == DP_OK && size == 300);
	CHECK(dst && dps_records_get(dst, rid, &rgot) == DP_OK && !memcmp(&rgot, &rst, sizeof rgot));
	CHECK(dst && dps_log_entries(dst, 0, 1000, mig_entry_cb, &seen) == DP_OK && seen.n == 300 &&
	      seen.bad == 0);
	dps_close(dst);
	dst = NULL;
	/* the database holds the switch now: a second migration into it is refused */
	CHECK(dps_migrate_open(&dst, uri, found, sizeof found) == DP_EEXISTS && dst == NULL &&
	      strcmp(found, "approvals") == 0);
	/* the source was only read */
	CHECK(src && dps_meta_get(src, "k0699", got, sizeof got) == DP_OK && strcmp(got, "v699") == 0);
	dps_close(src);
	CHECK(t_pg_database(base, name, 0) == DP_OK);
	free(uri);
}

/* A SQLite file's statement, run outside the store (the way damage or an old denpod would). */
static void sq(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	CHECKF(sqlite3_open(path, &db) == SQLITE_OK && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK,
	       "%s: %s", sql, db ? sqlite3_errmsg(db) : "?");
	sqlite3_close(db);
}

/* meta DPSEG_META: where the next body goes, "SEG OFFSET" */
static int place_is(dps_store *s, const char *want)
{
	char v[64];
	return dps_meta_get(s, DPSEG_META, v, sizeof v) == DP_OK && strcmp(v, want) == 0;
}

/*
 * The cable bodies' segments (denpod/segment.h): appended where the
 * database says, read back (whole and the envelope alone), a full segment
 * rolled, another handle appending after, a rolled-back batch's bytes
 * written over, no place recorded (a restored backup) starting a new
 * segment, a body in the data column (a database from before segments)
 * read too, a segment cut short read as what it has, a restore appended;
 * another handle appending across a zeroed chunk's end while this one holds
 * the segment open (none of its bytes zeroed after), a new segment after
 * the highest there is (a gap, a roll into a file that is there), a header
 * written into a file shorter than one, a rolled-back roll's segment used
 * by the next batch, the place read again after a refused append.
 */
/* A file's size, 0 if there is none. */
static uint64_t fsize(const char *path, const char *suffix)
{
	char p[800];
	struct stat st;
	snprintf(p, sizeof p, "%s%s", path, suffix);
	return stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* A file holding text (made or replaced). */
static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fputs(text, f) >= 0;
	if (f)
		ok &= fclose(f) == 0;
	CHECKF(ok, "%s", path);
}

/* Whether a file holds exactly text. */
static int file_is(const char *path, const char *text)
{
	char buf[256];
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
	if (f)
		fclose(f);
	return f && n == strlen(text) && memcmp(buf, text, n) == 0;
}

static void test_segments(void)
{
	char d[600], path[700], seg[700], seg2[700], seg3[700];
	snprintf(d, sizeof d, "%s/segtest", dir);
	snprintf(path, sizeof path, "%s/denpod.db", d);
	snprintf(seg, sizeof seg, "%s/cables/SEG000001", d);
	snprintf(seg2, sizeof seg2, "%s/cables/SEG000002", d);
	snprintf(seg3, sizeof seg3, "%s/cables/SEG000003", d);
	CHECK(mkdir(d, 0700) == 0);
	dps_store *s = NULL;
	CHECK(dps_open(&s, path, 1) == DP_OK);
	if (!s)
		return;
	struct stat st;
	CHECK(stat(seg, &st) != 0); /* nothing made before the first body */
	/* the store's size: the database and its WAL alone (no segment yet) */
	uint64_t bytes = 0;
	CHECK(dps_store_bytes(s, &bytes) == DP_OK && bytes == fsize(path, "") + fsize(path, "-wal"));
	dps_rcpt r[1];
	memset(r, 0, sizeof r);
	dp_random(r[0].device, 32);
	r[0].prec = DP_PREC_ROUTINE;
	/* a submission: u32 envelope length 8, the 8 "envelope" bytes, a payload */
	uint8_t a[300], b[200], id1[16], id2[16], id3[16], id4[16], id5[16];
	for (size_t i = 0; i < sizeof a; i++)
		a[i] = (uint8_t)(i * 7 + 1);
	memcpy(a, "\0\0\0\010ENVELOPE", 12);
	memcpy(b, a, sizeof b);
	b[100] ^= 1;
	dp_random(id1, 16);
	dp_random(id2, 16);
	dp_random(id3, 16);
	dp_random(id4, 16);
	dp_random(id5, 16);
	dps_submit sub;
	int64_t t0 = 1767225600 + 86400;
	CHECK(submit(s, "HQ", id1, a, sizeof a, r, 1, t0, &sub) == DP_OK);
	int64_t seq1 = sub.c.seq;
	CHECK(place_is(s, "1 316"));
	/* written ahead with zeros: a body overwrites blocks that are there */
	CHECK(stat(seg, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == DPSEG_CHUNK);
	char cdir[700];
	snprintf(cdir, sizeof cdir, "%s/cables", d);
	CHECK(stat(cdir, &st) == 0 && (st.st_mode & 0777) == 0700);
	/* ... and now the segment too, a file there that is no segment not counted */
	char stray[800];
	snprintf(stray, sizeof stray, "%s/SEG1.bak", cdir);
	FILE *sf = fopen(stray, "w");
	CHECK(sf && fputs("not a segment", sf) >= 0);
	if (sf)
		fclose(sf);
	CHECK(dps_store_bytes(s, &bytes) == DP_OK &&
	      bytes == fsize(path, "") + fsize(path, "-wal") + (uint64_t)DPSEG_CHUNK);
	unlink(stray);
	FILE *f = fopen(seg, "rb");
	char head[DPSEG_HEADER + 1] = {0};
	CHECK(f && fread(head, 1, DPSEG_HEADER, f) == DPSEG_HEADER && strcmp(head, DPSEG_MAGIC) == 0);
	if (f)
		fclose(f);
	dp_buf got;
	dp_buf_init(&got, 1 << 20);
	CHECK(dps_cable_data(s, seq1, &got) == DP_OK && got.len == sizeof a && memcmp(got.p, a, sizeof a) == 0);
	CHECK(dps_cable_envelope(s, seq1, &got) == DP_OK && got.len == 8 && memcmp(got.p, "ENVELOPE", 8) == 0);
	/* a retry with the same bytes appends nothing; an id reused with others is refused */
	CHECK(submit(s, "HQ", id1, a, sizeof a, r, 1, t0, &sub) == DP_OK && sub.duplicate);
	CHECK(submit(s, "HQ", id1, b, sizeof b, r, 1, t0, &sub) == DP_EEXISTS);
	CHECK(place_is(s, "1 316"));

	/* a segment at its size: the next body begins SEG000002 */
	dps_close(s);
	sq(path, "UPDATE meta SET v='1 268435400' WHERE k='" DPSEG_META "'");
	CHECK(dps_open(&s, path, 0) == DP_OK);
	if (!s)
		return;
	CHECK(submit(s, "HQ", id2, b, sizeof b, r, 1, t0 + 1, &sub) == DP_OK);
	int64_t seq2 = sub.c.seq;
	CHECK(place_is(s, "2 216") && stat(seg2, &st) == 0);
	CHECK(dps_cable_data(s, seq2, &got) == DP_OK && got.len == sizeof b && memcmp(got.p, b, sizeof b) == 0);
	/* ... where another handle (another process) appends after it */
	dps_store *s2 = NULL;
	CHECK(dps_open(&s2, path, 0) == DP_OK);
	if (s2) {
		CHECK(submit(s2, "HQ", id3, a, 50, r, 1, t0 + 2, &sub) == DP_OK);
		CHECK(place_is(s2, "2 266"));
		dps_close(s2);
	}
	CHECK(dps_cable_data(s, seq2, &got) == DP_OK && got.len == sizeof b && memcmp(got.p, b, sizeof b) == 0);

	/* a rolled-back batch: its bytes are no row's, and the next body is written over them */
	memset(&sub, 0, sizeof sub);
	memcpy(sub.c.cable_id, id4, 16);
	snprintf(sub.c.from_post, sizeof sub.c.from_post, "HQ");
	snprintf(sub.c.officer, sizeof sub.c.officer, "tanaka.h");
	sub.c.prec_action = sub.c.prec_info = DP_PREC_ROUTINE;
	sub.rcpts = r;
	sub.nrcpts = 1;
	sub.data = b;
	sub.len = sizeof b;
	sub.now = t0 + 3;
	CHECK(dps_begin(s) == DP_OK && dps_cable_insert(s, &sub) == DP_OK);
	dps_rollback(s);
	CHECK(dps_cable_get(s, id4, &(dps_cable){0}) == DP_ENOTFOUND && place_is(s, "2 266"));
	CHECK(submit(s, "HQ", id4, a, sizeof a, r, 1, t0 + 3, &sub) == DP_OK && place_is(s, "2 566"));
	CHECK(dps_cable_data(s, sub.c.seq, &got) == DP_OK && got.len == sizeof a && memcmp(got.p, a, sizeof a) == 0);

	/* no place recorded (a restored backup has none): a new segment, never over one */
	dps_close(s);
	sq(path, "DELETE FROM meta WHERE k='" DPSEG_META "'");
	CHECK(dps_open(&s, path, 0) == DP_OK);
	if (!s)
		return;
	CHECK(submit(s, "HQ", id5, b, sizeof b, r, 1, t0 + 4, &sub) == DP_OK && place_is(s, "3 216"));
	CHECK(stat(seg3, &st) == 0);
	/* a place that is none: refused, nothing written */
	dps_close(s);
	sq(path, "UPDATE meta SET v='3 x' WHERE k='" DPSEG_META "'");
	CHECK(dps_open(&s, path, 0) == DP_OK);
	if (!s)
		return;
	uint8_t id6[16];
	dp_random(id6, 16);
	CHECK(submit(s, "HQ", id6, b, sizeof b, r, 1, t0 + 5, &sub) == DP_ESTATE);
	CHECK(dps_cable_get(s, id6, &(dps_cable){0}) == DP_ENOTFOUND);
	dps_close(s);
	sq(path, "UPDATE meta SET v='3 216' WHERE k='" DPSEG_META "'");

	/* a body in the data column (a row from before segments) reads as before */
	sq(path, "UPDATE cables SET data=x'0000000441424344454647', seg=NULL, off=NULL, size=11 WHERE seq=1");
	CHECK(dps_open(&s, path, 0) == DP_OK);
	if (!s)
		return;
	CHECK(dps_cable_data(s, seq1, &got) == DP_OK && got.len == 11 && memcmp(got.p + 4, "ABCDEFG", 7) == 0);
	CHECK(dps_cable_envelope(s, seq1, &got) == DP_OK && got.len == 4 && memcmp(got.p, "ABCD", 4) == 0);

	/* a segment cut short: the bytes it still has (the digest check reports it) */
	CHECK(truncate(seg2, DPSEG_HEADER + 20) == 0);
	CHECK(dps_cable_data(s, seq2, &got) == DP_OK && got.len == 20 && memcmp(got.p, b, 20) == 0);
	/* ... and a restore appends a whole copy where new bodies go, never over it */
	CHECK(dps_begin(s) == DP_OK && dps_cable_restore(s, seq2, b, sizeof b) == DP_OK && dps_commit(s) == DP_OK);
	CHECK(dps_cable_data(s, seq2, &got) == DP_OK && got.len == sizeof b && memcmp(got.p, b, sizeof b) == 0);
	CHECK(place_is(s, "3 416"));

	/*
	 * Another process (`denpod cable restore` beside the switch) appends
	 * across a DPSEG_CHUNK boundary while this handle holds the segment
	 * open: this handle's next batch reads the file's size again and
	 * writes no zeros over that body.
	 */
	size_t bign = (size_t)DPSEG_CHUNK;
	uint8_t *big = malloc(bign), id7[16], id8[16];
	dp_buf bgot;
	dp_buf_init(&bgot, bign);
	CHECK(big != NULL);
	if (!big)
		return;
	for (size_t i = 0; i < bign; i++)
		big[i] = (uint8_t)(i * 13 + 5);
	memcpy(big, "\0\0\0\010ENVELOPE", 12);
	dp_random(id7, 16);
	dp_random(id8, 16);
	CHECK(dps_open(&s2, path, 0) == DP_OK);
	int64_t seqbig = 0;
	if (s2) {
		CHECK(submit(s2, "HQ", id7, big, bign, r, 1, t0 + 6, &sub) == DP_OK);
		seqbig = sub.c.seq;
		CHECK(place_is(s2, "3 4194720"));
		dps_close(s2);
	}
	CHECK(stat(seg3, &st) == 0 && st.st_size == 2 * DPSEG_CHUNK);
	CHECK(submit(s, "HQ", id8, b, sizeof b, r, 1, t0 + 7, &sub) == DP_OK && place_is(s, "3 4194920"));
	CHECK(dps_cable_data(s, seqbig, &bgot) == DP_OK && bgot.len == bign && memcmp(bgot.p, big, bign) == 0);
	CHECK(dps_cable_data(s, sub.c.seq, &got) == DP_OK && got.len == sizeof b && memcmp(got.p, b, sizeof b) == 0);
	dp_buf_free(&bgot);
	free(big);

	/*
	 * No place recorded, and a gap among the segments (SEG000004 gone, a
	 * set-aside database's SEG000005 there): a new segment after the
	 * highest, never over one.
	 */
	char seg4[700], seg5[700], seg7[700], seg8[700], seg9[700], seg10[700], seg11[700];
	snprintf(seg4, sizeof seg4, "%s/cables/SEG000004", d);
	snprintf(seg5, sizeof seg5, "%s/cables/SEG000005", d);
	snprintf(seg7, sizeof seg7, "%s/cables/SEG000007", d);
	snprintf(seg8, sizeof seg8, "%s/cables/SEG000008", d);
	snprintf(seg9, sizeof seg9, "%s/cables/SEG000009", d);
	snprintf(seg10, sizeof seg10, "%s/cables/SEG000010", d);
	snprintf(seg11, sizeof seg11, "%s/cables/SEG000011", d);
	static const char kept[] = DPSEG_MAGIC "a set-aside database points here";
	write_file(seg5, kept);
	dps_close(s);
	sq(path, "DELETE FROM meta WHERE k='" DPSEG_META "'");
	CHECK(dps_open(&s, path, 0) == DP_OK);
	if (!s)
		return;
	uint8_t id9[16], id10[16], id11[16], id12[16];
	dp_random(id9, 16);
	dp_random(id10, 16);
	dp_random(id11, 16);
	dp_random(id12, 16);
	CHECK(submit(s, "HQ", id9, b, sizeof b, r, 1, t0 + 8, &sub) == DP_OK && place_is(s, "6 216"));
	CHECK(stat(seg4, &st) != 0 && file_is(seg5, kept));
	/* a segment rolled into a file that is there already: after the highest, never over it */
	write_file(seg7, kept);
	dps_close(s);
	sq(path, "UPDATE meta SET v='6 268435400' WHERE k='" DPSEG_META "'");
	CHECK(dps_open(&s, path, 0) == DP_OK);
	if (!s)
		return;
	CHECK(submit(s, "HQ", id10, b, sizeof b, r, 1, t0 + 9, &sub) == DP_OK && place_is(s, "8 216"));
	CHECK(file_is(seg7, kept) && stat(seg8, &st) == 0 && st.st_size == DPSEG_CHUNK);
	CHECK(dps_cable_data(s, sub.c.seq, &got) == DP_OK && got.len == sizeof b && memcmp(got.p, b, sizeof b) == 0);
	/* a segment shorter than its header where the place is (made just before a crash): the header written */
	write_file(seg9, "");
	dps_close(s);
	sq(path, "UPDATE meta SET v='9 16' WHERE k='" DPSEG_META "'");
	CHECK(dps_open(&s, path, 0) == DP_OK);
	if (!s)
		return;
	CHECK(submit(s, "HQ", id11, b, sizeof b, r, 1, t0 + 10, &sub) == DP_OK && place_is(s, "9 216"));
	f = fopen(seg9, "rb");
	memset(head, 0, sizeof head);
	CHECK(f && fread(head, 1, DPSEG_HEADER, f) == DPSEG_HEADER && strcmp(head, DPSEG_MAGIC) == 0);
	if (f)
		fclose(f);
	CHECK(dps_cable_data(s, sub.c.seq, &got) == DP_OK && got.len == sizeof b && memcmp(got.p, b, sizeof b) == 0);
	/* a batch that rolled and was rolled back: the segment it made is the next one's, none more */
	dps_close(s);
	sq(path, "UPDATE meta SET v='9 268435400' WHERE k='" DPSEG_META "'");
	CHECK(dps_open(&s, path, 0) == DP_OK);
	if (!s)
		return;
	memset(&sub, 0, sizeof sub);
	memcpy(sub.c.cable_id, id12, 16);
	snprintf(sub.c.from_post, sizeof sub.c.from_post, "HQ");
	snprintf(sub.c.officer, sizeof sub.c.officer, "tanaka.h");
	sub.c.prec_action = sub.c.prec_info = DP_PREC_ROUTINE;
	sub.rcpts = r;
	sub.nrcpts = 1;
	sub.data = a;
	sub.len = sizeof a;
	sub.now = t0 + 11;
	CHECK(dps_begin(s) == DP_OK && dps_cable_insert(s, &sub) == DP_OK);
	dps_rollback(s);
	CHECK(stat(seg10, &st) == 0 && place_is(s, "9 268435400"));
	CHECK(submit(s, "HQ", id12, b, sizeof b, r, 1, t0 + 11, &sub) == DP_OK && place_is(s, "10 216"));
	CHECK(stat(seg11, &st) != 0);
	/*
	 * A transaction whose append was refused (no segment number left) and
	 * that committed without it: the next reads the place again, not the
	 * one it was given.
	 */
	dps_close(s);
	sq(path, "UPDATE meta SET v='999999 268435400' WHERE k='" DPSEG_META "'");
	CHECK(dps_open(&s, path, 0) == DP_OK);
	if (!s)
		return;
	uint8_t id13[16];
	dp_random(id13, 16);
	memcpy(sub.c.cable_id, id13, 16);
	sub.now = t0 + 12;
	CHECK(dps_begin(s) == DP_OK && dps_savepoint(s) == DP_OK);
	CHECK(dps_cable_insert(s, &sub) == DP_ESTORE);
	CHECK(dps_savepoint_end(s, 0) == DP_OK && dps_commit(s) == DP_OK);
	sq(path, "UPDATE meta SET v='10 216' WHERE k='" DPSEG_META "'");
	CHECK(submit(s, "HQ", id13, b, sizeof b, r, 1, t0 + 12, &sub) == DP_OK && place_is(s, "10 416"));
	dp_buf_free(&got);
	dps_close(s);
}

int main(void)
{
	if (dp_crypto_init() || !mkdtemp(dir))
		return 1;
	for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
		const struct target *t = &targets[i];
		const char *v = t->env ? getenv(t->env) : NULL;
		if (t->env && (!v || !*v)) {
			char why[64];
			snprintf(why, sizeof why, "%s not set", t->env);
			t_skipped(t->name, why); /* "SKIP postgresql: DENPO_TEST_PG not set" */
			continue;
		}
		char name[64];
		snprintf(name, sizeof name, "denpo_test_store_%d", (int)getpid());
		char *uri = v ? t_pg_with_database(v, name) : NULL;
		if (v && (!uri || t_pg_database(v, name, 1))) {
			CHECKF(0, "a database of this test's own on %s", t->env);
			free(uri);
			continue;
		}
		if (v)
			snprintf(dbpath, sizeof dbpath, "%s", uri);
		else
			snprintf(dbpath, sizeof dbpath, "%s/%s.db", dir, t->name);
		fprintf(stderr, "test_denpod_store: target %s\n", t->name);
		conformance();
		if (v)
			CHECK(t_pg_database(v, name, 0) == DP_OK);
		free(uri);
	}
	test_sqlite_old_db();
	test_segments();
	const char *pg = getenv("DENPO_TEST_PG");
	if (pg && *pg)
		test_migrate(pg);

	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return t_done("test_denpod_store");
}
