/*
 * tests/test_denpod_store.c - the SQLite store: directory, cable insert,
 * queue order, gap-free MRNs, idempotency, receipts and restart.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denpo/crypto.h"
#include "denpod/store.h"
#include "tests/harness.h"

static char dir[] = "/tmp/test_denpod_store.XXXXXX";
static char dbpath[256];

static void mkdev(dps_store *s, uint8_t id[32], const char *officer)
{
	dps_device d;
	memset(&d, 0, sizeof d);
	dp_random(d.id, 32);
	dp_random(d.tls_key, 32);
	snprintf(d.officer, sizeof d.officer, "%s", officer);
	snprintf(d.name, sizeof d.name, "LAPTOP");
	/* a post-quantum recipient is DP_AGE_RECIPIENT_MAX characters: the store keeps them all */
	static const char cs[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
	memcpy(d.age_recipient, "age1pq1", 7);
	for (size_t i = 7; i < DP_AGE_RECIPIENT_MAX; i++)
		d.age_recipient[i] = cs[(i * 7 + d.id[0]) % 32];
	d.age_recipient[DP_AGE_RECIPIENT_MAX] = 0;
	d.key_type = DP_AGE_MLKEM768X25519;
	d.created = 1771928580;
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

int main(void)
{
	if (dp_crypto_init() || !mkdtemp(dir))
		return 1;
	snprintf(dbpath, sizeof dbpath, "%s/denpod.db", dir);
	dps_store *s = NULL;
	CHECK(dps_open(&s, dbpath, 0) == DP_ESTORE); /* no database yet and create=0 */
	CHECK(dps_open(&s, dbpath, 1) == DP_OK);
	if (!s)
		return t_done("test_denpod_store");

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
	CHECK(dv.key_type == DP_AGE_MLKEM768X25519 && strlen(dv.age_recipient) == DP_AGE_RECIPIENT_MAX &&
	      dv.age_recipient[DP_AGE_RECIPIENT_MAX - 1] == "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
		      [((DP_AGE_RECIPIENT_MAX - 1) * 7 + d2[0]) % 32]);
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
		dps_close(rd);
	}

	/* cables: queue order, gap-free MRN per post and year */
	uint8_t data[4096];
	dp_random(data, sizeof data);
	dps_rcpt r[2];
	memset(r, 0, sizeof r);
	memcpy(r[0].device, d2, 32);
	r[0].role = DP_ROLE_ACTION;
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

	/* restart keeps everything, including the data */
	dps_close(s);
	s = NULL;
	CHECK(dps_open(&s, dbpath, 0) == DP_OK);
	if (!s)
		return t_done("test_denpod_store");
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
	dps_close(s);

	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return t_done("test_denpod_store");
}
