/*
 * tests/test_denpod_devindex.c - the officer index as the switch's signer
 * keeps it (denpod/offidx.h, denpo/devreplay.h), on a real data directory
 * with the signer on a thread:
 *   - the replay: a device's later entries go to its officer's record, a
 *     device enrolled twice is refused, the empty index's root is zero;
 *   - every checkpoint carries the officer-index line, and its root is the
 *     one built independently from records made entry by entry with
 *     dp_devrec_apply; the stored rows are those records;
 *   - a suspension and an approval change the record and the root;
 *   - a store without the records (before the index) is replayed at open
 *     and gives the same root;
 *   - `denpod log verify` fails on an altered row, naming the officer, and
 *     the signer replays rather than signs over one (even one that decodes);
 *   - a log whose latest checkpoint has no line (before the index): an
 *     admin entry OFFICER-INDEX at the start, and the line from then on;
 *   - a 65th device for one officer: the signer refuses to sign on.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "denpo/crypto.h"
#include "denpo/devindex.h"
#include "denpo/devreplay.h"
#include "denpo/encoding.h"
#include "denpod/config.h"
#include "denpod/db.h"
#include "denpod/offidx.h"
#include "denpod/signer.h"
#include "denpod/store.h"
#include "denpod/tlog.h"
#include "tests/harness.h"

static char dir[] = "/tmp/test_denpod_devindex.XXXXXX";
static char dbpath[DPC_PATH_MAX + 16];
static dpc_config cfg;
static dp_note_vkey vk;
static dpsg_thread *signer_t;

#define T0 1771928580

typedef struct {
	uint8_t pk[32], sk[64];
} dev;

/* ---- the expectation: records made entry by entry, the map built from them ---- */

#define NOFF 4
static struct {
	dp_devrec r;
	int used;
} want[NOFF];

static dp_devrec *want_of(const char *officer)
{
	for (int i = 0; i < NOFF; i++)
		if (want[i].used && strcmp(want[i].r.officer, officer) == 0)
			return &want[i].r;
	for (int i = 0; i < NOFF; i++)
		if (!want[i].used) {
			want[i].used = 1;
			if (dp_devrec_init(&want[i].r, officer))
				abort();
			return &want[i].r;
		}
	abort();
}

static void want_root(uint8_t root[32])
{
	uint8_t k[NOFF][32], v[NOFF][32];
	size_t n = 0;
	dp_buf b;
	dp_buf_init(&b, DP_DEVREC_TEXT_MAX);
	for (int i = 0; i < NOFF; i++) {
		if (!want[i].used || !want[i].r.n)
			continue;
		dp_buf_reset(&b);
		if (dp_devrec_encode(&want[i].r, &b))
			abort();
		dp_devindex_key(k[n], want[i].r.officer);
		dp_sha256(v[n++], b.p, b.len);
	}
	dp_devindex *m = NULL;
	if (dp_devindex_build(&m, (const uint8_t(*)[32])k, (const uint8_t(*)[32])v, n))
		abort();
	dp_devindex_root(m, root);
	dp_devindex_free(m);
	dp_buf_free(&b);
}

/* ---- entries ---- */


/* Appends x->e in its own transaction and applies it to the expectation. */
static int put(dps_store *s, dpl_enc *x, const char *officer)
{
	uint64_t idx;
	int r = dps_begin(s);
	if (!r)
		r = dpl_put(s, x, &idx);
	if (!r)
		r = dps_commit(s);
	else
		dps_rollback(s);
	if (!r && officer) {
		int changed = 0;
		dp_devrec *w = want_of(officer);
		if (w->n < DP_DEVREC_MAX || x->e.event != DP_LOG_DEVICE_ENROLLED)
			r = dp_devrec_apply(w, &x->e, idx, &changed);
	}
	return r;
}

static int enrol(dps_store *s, dpl_enc *x, dev *d, const char *officer)
{
	crypto_sign_keypair(d->pk, d->sk);
	dp_logent *e = dpl_ent(x, DP_LOG_DEVICE_ENROLLED, T0);
	memcpy(e->device, d->pk, 32);
	randombytes_buf(e->tls_key, 32);
	snprintf(e->officer, sizeof e->officer, "%s", officer);
	snprintf(e->post, sizeof e->post, "WASHINGTON");
	snprintf(e->name, sizeof e->name, "laptop");
	snprintf(e->operator_, sizeof e->operator_, "test");
	return put(s, x, officer);
}

static int status(dps_store *s, dpl_enc *x, const dev *d, int ev, const char *officer)
{
	dp_logent *e = dpl_ent(x, ev, T0 + 10);
	memcpy(e->device, d->pk, 32);
	snprintf(e->operator_, sizeof e->operator_, "test");
	return put(s, x, officer);
}

static int approve(dps_store *s, dpl_enc *x, const dev *by, const dev *d, const char *officer)
{
	dp_logent *e = dpl_ent(x, DP_LOG_DEVICE_APPROVED, T0 + 20);
	memcpy(e->device, d->pk, 32);
	memcpy(e->approver, by->pk, 32);
	snprintf(e->officer, sizeof e->officer, "%s", officer);
	if (dp_devindex_approval_sign(e->sig, by->sk, officer, d->pk))
		return DP_EINVAL;
	return put(s, x, officer);
}

static int admin(dps_store *s, dpl_enc *x)
{
	dp_logent *e = dpl_ent(x, DP_LOG_ADMIN, T0 + 30);
	snprintf(e->operator_, sizeof e->operator_, "test");
	snprintf(e->act, sizeof e->act, "TEST");
	return put(s, x, NULL);
}

/* ---- checks ---- */

static int log_open(dpl_log **l)
{
	int fd = -1;
	dpsg_thread_stop(signer_t);
	signer_t = NULL;
	int r = dpsg_thread_start(&cfg, &signer_t, &fd);
	return r ? r : dpl_open(l, &cfg, NULL, fd);
}

/* The latest checkpoint covers every entry and its line is the expected root. */
static int line_is_want(dps_store *s)
{
	dps_checkpoint c;
	uint8_t got[32], w[32];
	uint64_t n;
	want_root(w);
	return dps_log_latest(s, &c) == DP_OK && dps_log_size(s, &n) == DP_OK && c.size == n &&
	       dpl_checkpoint_ok(&c, &vk) == DP_OK && dpx_checkpoint_root(&c, got) == DP_OK &&
	       memcmp(got, w, 32) == 0;
}

struct rows {
	int n, bad;
};

static int row_is_want(void *ctx, const char *officer, const uint8_t *text, size_t len)
{
	struct rows *x = ctx;
	dp_buf b;
	dp_buf_init(&b, DP_DEVREC_TEXT_MAX);
	x->n++;
	if (dp_devrec_encode(want_of(officer), &b) || b.len != len || memcmp(b.p, text, len))
		x->bad++;
	dp_buf_free(&b);
	return DP_OK;
}

/* Every officer with a device has its row, and each row is the expected record. */
static int rows_are_want(dps_store *s, int n)
{
	struct rows x = {0, 0};
	return dps_offidx_all(s, row_is_want, &x) == DP_OK && x.n == n && !x.bad;
}

static int verify_quiet(dps_store *s)
{
	FILE *f = fopen("/dev/null", "w");
	int r = dpl_verify(s, &vk, f ? f : stderr);
	if (f)
		fclose(f);
	return r;
}

static int sql(const char *q)
{
	dpdb *db = NULL;
	int rc = dpdb_open(&db, dbpath, 0);
	if (!rc)
		rc = dpdb_exec(db, q);
	dpdb_close(db);
	return rc;
}

/* ---- tests ---- */

static void test_replay(void)
{
	dp_devreplay *x = NULL;
	uint8_t root[32], zero[32] = {0};
	dp_logent *e = calloc(1, sizeof *e);
	dev a, b;
	char why[256];
	CHECK(e && dp_devreplay_new(&x) == DP_OK);
	if (!x || !e)
		return;
	CHECK(dp_devreplay_root(x, root) == DP_OK && memcmp(root, zero, 32) == 0);
	crypto_sign_keypair(a.pk, a.sk);
	crypto_sign_keypair(b.pk, b.sk);
	e->event = DP_LOG_DEVICE_ENROLLED;
	e->time = T0;
	memcpy(e->device, a.pk, 32);
	snprintf(e->officer, sizeof e->officer, "tanaka.h");
	snprintf(e->name, sizeof e->name, "laptop");
	CHECK(dp_devreplay_apply(x, 0, e, why, sizeof why) == DP_OK);
	memcpy(e->device, b.pk, 32);
	snprintf(e->officer, sizeof e->officer, "sato.k");
	CHECK(dp_devreplay_apply(x, 1, e, why, sizeof why) == DP_OK);
	/* a later entry names only the device: it goes to that device's officer */
	e->event = DP_LOG_DEVICE_SUSPENDED;
	e->officer[0] = 0;
	CHECK(dp_devreplay_apply(x, 2, e, why, sizeof why) == DP_OK);
	const uint8_t *t;
	size_t len;
	CHECK(dp_devreplay_find(x, "sato.k", &t, &len) == DP_OK && memmem(t, len, " suspended 2 ", 13));
	CHECK(dp_devreplay_find(x, "tanaka.h", &t, &len) == DP_OK && !memmem(t, len, "suspended", 9));
	CHECK(dp_devreplay_find(x, "mori.y", &t, &len) == DP_ENOTFOUND);
	/* the same device enrolled again, for another officer: refused, saying which */
	e->event = DP_LOG_DEVICE_ENROLLED;
	snprintf(e->officer, sizeof e->officer, "tanaka.h");
	CHECK(dp_devreplay_apply(x, 3, e, why, sizeof why) == DP_EEXISTS && strstr(why, "sato.k"));
	CHECK(dp_devreplay_root(x, root) == DP_OK && memcmp(root, zero, 32) != 0);
	/* the records loaded into a new replay give the same root */
	dp_devreplay *y = NULL;
	uint8_t root2[32];
	CHECK(dp_devreplay_new(&y) == DP_OK);
	for (size_t i = 0; y && i < dp_devreplay_count(x); i++) {
		const char *o;
		int dirty;
		dp_devreplay_get(x, i, &o, &t, &len, &dirty);
		CHECK(dirty && dp_devreplay_load(y, t, len) == DP_OK);
		CHECK(dp_devreplay_load(y, t, len) == DP_EEXISTS);
	}
	CHECK(y && dp_devreplay_root(y, root2) == DP_OK && memcmp(root, root2, 32) == 0);
	CHECK(y && dp_devreplay_load(y, (const uint8_t *)"DENPO-OFFICER-DEVICES/1\n", 24) == DP_EPARSE);
	dp_devreplay_free(y);
	dp_devreplay_free(x);
	free(e);
}

/*
 * The replay of DP_DEVREC_MAX devices whose lines are all at their longest
 * (20-digit indexes, an approval, a key, a suspension, names of
 * DP_NAME_MAX): every entry is taken (with the old cap of 16384 the 42nd
 * was refused, with an empty why, and the signer stopped).  An entry the
 * record refuses says why and changes nothing: the device it enrols is not
 * mapped, so the same device enrolled properly after it is taken.
 */
static void test_replay_longest(void)
{
	static dev d[DP_DEVREC_MAX];
	dp_devreplay *x = NULL;
	dp_logent *e = calloc(1, sizeof *e);
	char why[256], officer[DP_NAME_MAX + 1];
	const uint8_t *t;
	size_t len;
	uint8_t root[32];
	int bad = 0;
	memset(officer, 'q', DP_NAME_MAX);
	officer[DP_NAME_MAX] = 0;
	CHECK(e && dp_devreplay_new(&x) == DP_OK);
	if (!x || !e) {
		free(e);
		return;
	}
	uint64_t idx = UINT64_C(10000000000000000000);
	for (int i = 0; i < DP_DEVREC_MAX; i++) {
		crypto_sign_keypair(d[i].pk, d[i].sk);
		memset(e, 0, sizeof *e);
		e->event = DP_LOG_DEVICE_ENROLLED;
		e->time = DP_CREATED_MAX;
		memcpy(e->device, d[i].pk, 32);
		snprintf(e->officer, sizeof e->officer, "%s", officer);
		memset(e->name, 'n', DP_NAME_MAX);
		why[0] = 0;
		int r = dp_devreplay_apply(x, idx++, e, why, sizeof why);
		CHECKF(r == DP_OK, "device %d of %d taken: %s", i + 1, DP_DEVREC_MAX, why);
		bad |= r;
	}
	for (int i = 0; i < DP_DEVREC_MAX; i++) {
		int by = (i + 1) % DP_DEVREC_MAX;
		memset(e, 0, sizeof *e);
		e->time = T0;
		memcpy(e->device, d[i].pk, 32);
		snprintf(e->officer, sizeof e->officer, "%s", officer);
		e->event = DP_LOG_KEY_PUBLISHED;
		e->epoch = UINT32_MAX;
		bad |= dp_devreplay_apply(x, idx++, e, why, sizeof why);
		e->event = DP_LOG_DEVICE_APPROVED;
		memcpy(e->approver, d[by].pk, 32);
		bad |= dp_devindex_approval_sign(e->sig, d[by].sk, officer, e->device);
		bad |= dp_devreplay_apply(x, idx++, e, why, sizeof why);
	}
	for (int i = 0; i < DP_DEVREC_MAX; i++) {
		e->event = DP_LOG_DEVICE_SUSPENDED;
		memcpy(e->device, d[i].pk, 32);
		bad |= dp_devreplay_apply(x, UINT64_MAX - DP_DEVREC_MAX + (uint64_t)i, e, why, sizeof why);
	}
	CHECKF(!bad, "every entry of the longest record taken");
	CHECK(dp_devreplay_find(x, officer, &t, &len) == DP_OK && len == DP_DEVREC_TEXT_MAX);
	CHECK(dp_devreplay_root(x, root) == DP_OK);

	/* refused: a record that would break a rule (a Time before DP_CREATED_MIN) */
	dev c;
	crypto_sign_keypair(c.pk, c.sk);
	memset(e, 0, sizeof *e);
	e->event = DP_LOG_DEVICE_ENROLLED;
	e->time = 0;
	memcpy(e->device, c.pk, 32);
	snprintf(e->officer, sizeof e->officer, "kato.m");
	snprintf(e->name, sizeof e->name, "phone");
	why[0] = 0;
	CHECK(dp_devreplay_apply(x, 5, e, why, sizeof why) == DP_EINVAL);
	CHECKF(strstr(why, "entry 5") && strstr(why, "kato.m"), "why names the entry: \"%s\"", why);
	CHECK(dp_devreplay_find(x, "kato.m", &t, &len) == DP_ENOTFOUND);
	e->time = T0;
	why[0] = 0;
	CHECKF(dp_devreplay_apply(x, 6, e, why, sizeof why) == DP_OK,
	       "the refused entry left the device unmapped: %s", why);
	CHECK(dp_devreplay_find(x, "kato.m", &t, &len) == DP_OK && memmem(t, len, " 6 ", 3));
	/* a full record: refused, saying why */
	crypto_sign_keypair(c.pk, c.sk);
	memcpy(e->device, c.pk, 32);
	snprintf(e->officer, sizeof e->officer, "%s", officer);
	why[0] = 0;
	CHECK(dp_devreplay_apply(x, 7, e, why, sizeof why) == DP_ETOOBIG && strstr(why, "most devices"));
	dp_devreplay_free(x);
	free(e);
}

static void test_signer(dps_store *s, dpl_enc *x)
{
	dpl_log *l = NULL;
	dev a1, a2, b1;
	uint64_t n;
	CHECK(enrol(s, x, &a1, "tanaka.h") == DP_OK && enrol(s, x, &a2, "tanaka.h") == DP_OK &&
	      enrol(s, x, &b1, "sato.k") == DP_OK);
	CHECK(log_open(&l) == DP_OK);
	CHECKF(line_is_want(s), "the first checkpoint's officer-index line is the records' root");
	CHECK(rows_are_want(s, 2));
	dps_checkpoint c0;
	CHECK(dps_log_latest(s, &c0) == DP_OK);

	/* a suspension and an approval: the record and the root follow */
	CHECK(status(s, x, &a2, DP_LOG_DEVICE_SUSPENDED, "tanaka.h") == DP_OK &&
	      approve(s, x, &a1, &a2, "tanaka.h") == DP_OK);
	CHECK(dpl_round(l, &n) == DP_OK && n == 2);
	CHECK(line_is_want(s) && rows_are_want(s, 2));
	dp_devrec_dev *d = dp_devrec_find(want_of("tanaka.h"), a2.pk);
	CHECK(d && d->status == DP_DEVREC_SUSPENDED && d->approved);
	uint8_t r0[32], r1[32];
	dps_checkpoint c1;
	CHECK(dps_log_latest(s, &c1) == DP_OK && dpx_checkpoint_root(&c0, r0) == DP_OK &&
	      dpx_checkpoint_root(&c1, r1) == DP_OK && memcmp(r0, r1, 32) != 0);
	/* an approval by a device of another officer changes nothing */
	CHECK(approve(s, x, &b1, &a1, "tanaka.h") == DP_OK && admin(s, x) == DP_OK);
	CHECK(dpl_round(l, &n) == DP_OK && n == 2 && line_is_want(s));
	CHECK(dp_devrec_find(want_of("tanaka.h"), a1.pk) && !dp_devrec_find(want_of("tanaka.h"), a1.pk)->approved);
	CHECK(verify_quiet(s) == DP_OK);
	dpl_close(l);
	l = NULL;

	/* a store without the records: replayed at open, the same root signed next */
	CHECK(sql("DELETE FROM officer_index; DELETE FROM meta WHERE k='officer_index'") == DP_OK);
	CHECK(log_open(&l) == DP_OK);
	CHECK(admin(s, x) == DP_OK && dpl_round(l, &n) == DP_OK && n == 1);
	CHECK(line_is_want(s) && rows_are_want(s, 2));
	CHECK(verify_quiet(s) == DP_OK);
	/* a damaged row: the start replays (and rewrites it); log verify names it first */
	CHECK(sql("UPDATE officer_index SET record=CAST('junk' AS BLOB) WHERE officer='sato.k'") == DP_OK);
	CHECK(verify_quiet(s) == DP_ESTATE);
	dpl_close(l);
	l = NULL;
	CHECK(log_open(&l) == DP_OK);
	CHECK(admin(s, x) == DP_OK && dpl_round(l, &n) == DP_OK && n == 1);
	CHECK(rows_are_want(s, 2) && verify_quiet(s) == DP_OK);
	dpl_close(l);
	l = NULL;
	/* a row edited so that it still decodes (a2 shown active): never signed over */
	CHECK(sql("UPDATE officer_index SET record=CAST(replace(CAST(record AS TEXT), ' suspended ', "
		  "' active ') AS BLOB) WHERE officer='tanaka.h'") == DP_OK);
	CHECK(!rows_are_want(s, 2) && verify_quiet(s) == DP_ESTATE);
	CHECK(log_open(&l) == DP_OK);
	CHECK(admin(s, x) == DP_OK && dpl_round(l, &n) == DP_OK && n == 1);
	CHECKF(line_is_want(s) && rows_are_want(s, 2), "the altered row was replayed, not signed");
	CHECK(verify_quiet(s) == DP_OK);
	dpl_close(l);
}

/* The latest checkpoint's note replaced by one signed as before the index (no line). */
static int unline_latest(dps_store *s)
{
	dps_checkpoint c;
	dp_checkpoint cp;
	uint8_t *sk = NULL, pk[32];
	dp_buf b;
	int r = dps_log_latest(s, &c);
	if (r)
		return r;
	memset(&cp, 0, sizeof cp);
	snprintf(cp.origin, sizeof cp.origin, "%s", cfg.log_origin);
	cp.size = c.size;
	memcpy(cp.root, c.root, 32);
	dp_buf_init(&b, DPS_NOTE_MAX);
	r = dpc_key_load(&cfg, "log.key", &sk, pk);
	if (!r)
		r = dp_checkpoint_format(&b, &cp);
	size_t tl = b.len;
	if (!r)
		r = dp_buf_putc(&b, '\n');
	if (!r)
		r = dp_note_sign_line(&b, (const char *)b.p, tl, cfg.log_origin, sk);
	dpc_key_free(sk);
	char q[DPS_NOTE_MAX + 128];
	snprintf(q, sizeof q, "UPDATE log_checkpoints SET note='%.*s' WHERE size=%llu", (int)b.len,
		 (const char *)b.p, (unsigned long long)c.size);
	dp_buf_free(&b);
	return r ? r : sql(q);
}

static int is_index_entry(void *ctx, uint64_t idx, const uint8_t *p, size_t len)
{
	dp_logent *e = malloc(sizeof *e);
	(void)idx;
	*(int *)ctx = e && dp_logent_decode(e, p, len) == DP_OK && e->event == DP_LOG_ADMIN &&
		      strcmp(e->act, "OFFICER-INDEX") == 0 && strcmp(e->operator_, "denpod") == 0;
	free(e);
	return DP_OK;
}

/* A log from before the index: replayed, an admin entry, and a checkpoint with the line. */
static void test_upgrade(dps_store *s)
{
	dpl_log *l = NULL;
	uint64_t n0 = 0, n1 = 0;
	uint8_t root[32];
	dps_checkpoint c;
	CHECK(unline_latest(s) == DP_OK);
	CHECK(sql("DELETE FROM officer_index; DELETE FROM meta WHERE k='officer_index'") == DP_OK);
	CHECK(dps_log_latest(s, &c) == DP_OK && dpx_checkpoint_root(&c, root) == DP_ENOTFOUND);
	CHECK(dps_log_size(s, &n0) == DP_OK);
	CHECK(verify_quiet(s) == DP_OK); /* a checkpoint without the line is not compared */
	CHECK(log_open(&l) == DP_OK);
	CHECK(dps_log_size(s, &n1) == DP_OK && n1 == n0 + 1);
	CHECKF(line_is_want(s), "after the upgrade the next checkpoint carries the line");
	CHECK(rows_are_want(s, 2));
	int k = 0;
	CHECK(dps_log_entries(s, n0, 1, is_index_entry, &k) == DP_OK);
	CHECKF(k == 1, "entry %llu is the admin entry OFFICER-INDEX", (unsigned long long)n0);
	dpl_close(l);
	/* a second start: the index is stored, no second entry */
	CHECK(log_open(&l) == DP_OK && dps_log_size(s, &n1) == DP_OK && n1 == n0 + 1);
	dpl_close(l);
}

static void test_full(dps_store *s, dpl_enc *x)
{
	dpl_log *l = NULL;
	dev d;
	uint64_t n = 0, before = 0;
	CHECK(log_open(&l) == DP_OK);
	for (int i = 0; i < DP_DEVREC_MAX; i++)
		CHECK(enrol(s, x, &d, "mori.y") == DP_OK);
	CHECK(dpl_round(l, &n) == DP_OK && n == DP_DEVREC_MAX && line_is_want(s));
	CHECK(dps_log_size(s, &before) == DP_OK);
	/* the 65th: the index cannot hold it, so nothing more is signed */
	FILE *keep = stderr;
	stderr = fopen("/dev/null", "w");
	CHECK(enrol(s, x, &d, "mori.y") == DP_OK);
	CHECK(dpl_round(l, &n) == DP_ESTATE);
	CHECK(dpl_round(l, &n) == DP_ESTATE);
	fclose(stderr);
	stderr = keep;
	dps_checkpoint c;
	CHECK(dps_log_latest(s, &c) == DP_OK && c.size == before);
	dpl_close(l);
}

int main(void)
{
	if (dp_crypto_init() || !mkdtemp(dir))
		return 1;
	memset(&cfg, 0, sizeof cfg);
	snprintf(cfg.dir, sizeof cfg.dir, "%s/sw", dir);
	snprintf(cfg.url, sizeof cfg.url, "https://127.0.0.1:8443");
	snprintf(cfg.listen, sizeof cfg.listen, "127.0.0.1:8443");
	fflush(stdout);
	int so = dup(1);
	if (!freopen("/dev/null", "w", stdout)) /* dpc_init's greeting */
		return 1;
	int r = dpc_init(&cfg);
	fflush(stdout);
	dup2(so, 1);
	close(so);
	CHECK(r == DP_OK);
	char vks[DP_NOTE_VKEY_MAX + 1];
	CHECK(dpl_vkey(&cfg, vks, sizeof vks) == DP_OK && dp_note_vkey_parse(&vk, vks, strlen(vks)) == DP_OK);
	snprintf(dbpath, sizeof dbpath, "%s/denpod.db", cfg.dir);
	dps_store *s = NULL;
	dpl_enc *x = dpl_enc_new();
	CHECK(dps_open(&s, dbpath, 0) == DP_OK && x);
	if (!s || !x)
		return t_done("test_denpod_devindex");
	test_replay();
	test_replay_longest();
	test_signer(s, x);
	test_upgrade(s);
	test_full(s, x);
	dpsg_thread_stop(signer_t);
	dpl_enc_free(x);
	dps_close(s);
	char cmd[80];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return t_done("test_denpod_devindex");
}
