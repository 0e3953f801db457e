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
 *   - `denpod log verify` fails on an altered row, naming the officer;
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
	test_signer(s, x);
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
