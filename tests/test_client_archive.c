/*
 * tests/test_client_archive.c - the records device's archive offline
 * (denpo/archive.h): the kept epoch keys (order, idempotence, the window
 * filter, modes, a file of another device or altered refused) and the
 * store (rows, filters, what is due, state, the copy wiped).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "denpo/archive.h"
#include "tests/harness.h"

#define DAY 86400

static int mode_of(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 ? (int)(sb.st_mode & 0777) : -1;
}

static void test_role(cli_ctx *x)
{
	CHECK(!archive_is_records(x)); /* no answer loaded */
	x->have_ans = 1;
	strcpy(x->ans.roles[0], "AUDIT");
	x->ans.nroles = 1;
	CHECK(!archive_is_records(x));
	strcpy(x->ans.roles[1], DP_RECORDS_ROLE);
	x->ans.nroles = 2;
	CHECK(archive_is_records(x)); /* no directory kept: the enrolment's Roles */
	CHECK(archive_records_now(x) == -1);
	CHECK(archive_keys_decide(x) == -1); /* and the upkeep erases nothing */
}

/* Write HOME/directory as the switch would send it (records_post "" for none). */
static void put_dir(cli_ctx *x, const char *records_post, const char *post, const char *roles)
{
	char j[1024], p[PATH_MAX];
	snprintf(j, sizeof j,
		 "{\"posts\":[{\"name\":\"HQ\",\"hq\":true},{\"name\":\"PARIS\",\"hq\":false}],"
		 "\"collectives\":[],\"officers\":[{\"handle\":\"rec.k\",\"post\":\"%s\",\"name\":\"\","
		 "\"roles\":[%s]}],\"markings\":{}%s%s%s}",
		 post, roles, *records_post ? ",\"records_post\":\"" : "", records_post, *records_post ? "\"" : "");
	cli_path(x, p, "directory");
	CHECK(dp_write_file(p, j, strlen(j), 0600, 0) == DP_OK);
}

/* The switch's current view decides (the directory), not the enrolment's Roles. */
static void test_role_directory(cli_ctx *x)
{
	strcpy(x->ans.officer, "rec.k");
	put_dir(x, "HQ", "HQ", "\"RECORDS\"");
	CHECK(archive_records_now(x) == 1 && archive_is_records(x) && archive_keys_decide(x) == 1);
	/* RECORDS at an embassy: not the archive, whatever the enrolment said */
	put_dir(x, "HQ", "PARIS", "\"RECORDS\"");
	CHECK(archive_records_now(x) == 0 && !archive_is_records(x) && archive_keys_decide(x) == 0);
	/* no records_post: the switch has no archive */
	put_dir(x, "", "HQ", "\"RECORDS\"");
	CHECK(archive_records_now(x) == 0 && !archive_is_records(x));
	/* at the records post without the role, and not listed at all */
	put_dir(x, "HQ", "HQ", "\"AUDIT\"");
	CHECK(archive_records_now(x) == 0);
	strcpy(x->ans.officer, "other.k");
	put_dir(x, "HQ", "HQ", "\"RECORDS\"");
	CHECK(archive_records_now(x) == 0);
	/* granted after enrolment: the enrolment's Roles lack it, the directory has it */
	strcpy(x->ans.officer, "rec.k");
	x->ans.nroles = 1;
	CHECK(archive_records_now(x) == 1 && archive_is_records(x));
	/* a records_post that is not a name: the listing is refused whole (unknown) */
	put_dir(x, "bad post", "HQ", "\"RECORDS\"");
	CHECK(archive_records_now(x) == -1);
	char p[PATH_MAX];
	cli_path(x, p, "directory");
	unlink(p);
	x->ans.nroles = 2;
}

static void test_keys(cli_ctx *x)
{
	dp_keystore *ks = x->ks;
	int64_t t0 = ks->not_before[0];
	CHECK(dp_keystore_add_epoch(ks, t0 + DAY, t0 + 2 * DAY + 3600) == DP_OK);
	CHECK(dp_keystore_add_epoch(ks, t0 + 2 * DAY, t0 + 3 * DAY + 3600) == DP_OK);
	int rc;
	CHECK(archive_keys_count(x, &rc) == 0 && rc == DP_OK); /* none kept yet */
	/* kept out of order and twice: stored once each, in epoch order */
	CHECK(archive_keys_keep(x, 2) == DP_OK);
	CHECK(archive_keys_keep(x, 0) == DP_OK);
	CHECK(archive_keys_keep(x, 0) == DP_OK);
	CHECK(archive_keys_keep(x, 1) == DP_OK);
	CHECK(archive_keys_keep(x, 3) == DP_EINVAL);
	CHECK(archive_keys_count(x, &rc) == 3 && rc == DP_OK);
	char p[PATH_MAX];
	archive_path(x, "", p);
	CHECK(mode_of(p) == 0700);
	archive_path(x, "keys", p);
	CHECK(mode_of(p) == 0600);

	/* the keystore lets epochs 0 and 1 go, as the upkeep does: the kept ones still open */
	dp_age_identity k0 = ks->age[0], k1 = ks->age[1];
	CHECK(dp_keystore_erase(ks, 0) == DP_OK && dp_keystore_erase(ks, 0) == DP_OK && ks->nage == 1);
	dp_age_identity *ids;
	size_t n;
	CHECK(archive_ids(x, 0, &ids, &n) == DP_OK && n == 1 + 3);
	if (n == 4)
		CHECK(memcmp(ids[1].sk, k0.sk, 32) == 0 && memcmp(ids[2].sk, k1.sk, 32) == 0 &&
		      ids[1].type == DP_AGE_MLKEM768X25519);
	archive_ids_free(ids, n);
	/* a time in epoch 1 only: the keystore's key, then epoch 1's */
	CHECK(archive_ids(x, t0 + DAY + 12 * 3600, &ids, &n) == DP_OK && n == 2);
	if (n == 2)
		CHECK(memcmp(ids[1].sk, k1.sk, 32) == 0);
	archive_ids_free(ids, n);
	/* near the end of epoch 0's window (the overlap): both 0 and 1 */
	CHECK(archive_ids(x, t0 + DAY + 1800, &ids, &n) == DP_OK && n == 3);
	archive_ids_free(ids, n);
	sodium_memzero(&k0, sizeof k0);
	sodium_memzero(&k1, sizeof k1);

	/* another device's storage key does not open the file */
	uint8_t saved[32];
	memcpy(saved, ks->storage_key, 32);
	ks->storage_key[0] ^= 1;
	CHECK(archive_ids(x, 0, &ids, &n) == DP_EHMAC && ids == NULL);
	CHECK(archive_keys_keep(x, 0) == DP_EHMAC); /* and nothing is written over it */
	memcpy(ks->storage_key, saved, 32);
	CHECK(archive_keys_count(x, &rc) == 3 && rc == DP_OK);

	/* one byte altered: refused */
	size_t len;
	uint8_t *f = t_read_file(p, &len);
	CHECK(f != NULL && len > 40);
	if (f && len > 40) {
		f[len - 20] ^= 0x40;
		CHECK(dp_write_file(p, f, len, 0600, 0) == DP_OK);
		CHECK(archive_ids(x, 0, &ids, &n) == DP_EHMAC);
		f[len - 20] ^= 0x40;
		f[4] = 2; /* a version this program does not know */
		CHECK(dp_write_file(p, f, len, 0600, 0) == DP_OK);
		CHECK(archive_ids(x, 0, &ids, &n) == DP_EPARSE);
		CHECK(dp_write_file(p, f, 20, 0600, 0) == DP_OK); /* truncated */
		CHECK(archive_ids(x, 0, &ids, &n) == DP_EPARSE);
	}
	free(f);
}

static void row(archive_row *r, int k, const char *post, const char *tags, int64_t created)
{
	memset(r, 0, sizeof *r);
	snprintf(r->cable_id, sizeof r->cable_id, "%032x", k);
	snprintf(r->mrn, sizeof r->mrn, "26 %s %06d", post, k);
	snprintf(r->post, sizeof r->post, "%s", post);
	strcpy(r->classification, "SECRET");
	strcpy(r->precedence, "ROUTINE");
	snprintf(r->tags, sizeof r->tags, "%s", tags);
	strcpy(r->retention, "PERMANENT");
	r->created = r->accepted = created;
	r->log_index = k;
	r->ingested = created;
}

static size_t count;
static int counter(void *ctx, const archive_row *r)
{
	(void)ctx;
	(void)r;
	count++;
	return DP_OK;
}
static size_t n_of(archive_db *a, const archive_filter *f)
{
	count = 0;
	return archive_db_each(a, f, counter, NULL) == DP_OK ? count : (size_t)-1;
}

/* The MRNs archive_db_each walks, space-separated serials, into a buffer. */
static char walked[256];
static int walk(void *ctx, const archive_row *r)
{
	(void)ctx;
	const char *sp = strrchr(r->mrn, ' ');
	size_t n = strlen(walked);
	snprintf(walked + n, sizeof walked - n, "%s%s", n ? " " : "", sp ? sp + 1 : r->mrn);
	return DP_OK;
}

/*
 * MRNs of one post wider than six digits (docs/formats.md, "MRN serials"):
 * found by MRN, and walked in number order where created and accepted tie
 * (as text 1000000 sorts before 999999).  Run last: it adds rows.
 */
static void test_wide_mrns(cli_ctx *x)
{
	archive_db a;
	char why[256];
	CHECK(archive_db_open(x, &a, why, sizeof why) == DP_OK);
	uint8_t copy[10] = {0};
	archive_row r;
	static const int ks[] = {1000001, 999999, 1000000, 999998};
	for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
		row(&r, ks[i], "HQ", ",ADMN,", 1796000000);
		CHECK(archive_db_put(&a, &r, copy, sizeof copy, NULL, NULL, 0) == DP_OK);
	}
	archive_row g;
	CHECK(archive_db_get(&a, "26 HQ 1000000", &g) == DP_OK && strcmp(g.mrn, "26 HQ 1000000") == 0);
	archive_filter f = {0};
	f.mrn = "26 HQ 1000001";
	CHECK(n_of(&a, &f) == 1);
	memset(&f, 0, sizeof f);
	f.post = "HQ";
	walked[0] = 0;
	CHECK(archive_db_each(&a, &f, walk, NULL) == DP_OK);
	CHECKF(strcmp(walked, "999998 999999 1000000 1000001") == 0, "walked %s", walked);
	archive_db_close(&a);
}

static void test_store(cli_ctx *x)
{
	archive_db a;
	char why[256];
	CHECK(archive_db_open(x, &a, why, sizeof why) == DP_OK);
	char p[PATH_MAX];
	archive_path(x, "archive.db", p);
	CHECK(mode_of(p) == 0600);
	int64_t now = 1796000000; /* 2026-11-30 */
	archive_row r;
	uint8_t copy[100];
	memset(copy, 0xa5, sizeof copy);
	dp_log_incl e;
	memset(&e, 0, sizeof e);
	e.present = 1;
	e.entry = (uint8_t *)"entry";
	e.entry_len = 5;
	e.nproof = 2;
	row(&r, 1, "TOKYO", ",PREL,", now - 10 * DAY);
	dp_sha256(r.envelope_hash, copy, sizeof copy);
	uint8_t h1[DP_SHA256];
	memcpy(h1, r.envelope_hash, DP_SHA256);
	r.size = sizeof copy;
	CHECK(archive_db_put(&a, &r, copy, sizeof copy, &e, "checkpoint\n", 11) == DP_OK);
	CHECK(archive_db_put(&a, &r, copy, sizeof copy, &e, "checkpoint\n", 11) == DP_EEXISTS);
	row(&r, 2, "SEOUL", ",ADMN,PREL,", now - 5 * DAY);
	strcpy(r.declassify_on, "2026-12-01");
	CHECK(archive_db_put(&a, &r, copy, 10, NULL, NULL, 0) == DP_OK);
	row(&r, 3, "TOKYO", ",ADMN,", now - DAY);
	strcpy(r.declassify_event, "the end of the negotiation");
	r.retention_end = now + DAY;
	strcpy(r.retention, "TEMPORARY-1Y");
	CHECK(archive_db_put(&a, &r, copy, 10, NULL, NULL, 0) == DP_OK);
	CHECK(archive_db_has(&a, r.cable_id) && !archive_db_has(&a, "00000000000000000000000000000009"));

	archive_row g;
	CHECK(archive_db_get(&a, "26 TOKYO 000001", &g) == DP_OK && g.created == now - 10 * DAY &&
	      memcmp(g.envelope_hash, h1, DP_SHA256) == 0 && g.size == sizeof copy && strcmp(g.tags, ",PREL,") == 0);
	CHECK(archive_db_get(&a, "00000000000000000000000000000003", &g) == DP_OK &&
	      strcmp(g.declassify_event, "the end of the negotiation") == 0 && g.retention_end == now + DAY);
	CHECK(archive_db_get(&a, "26 TOKYO 000009", &g) == DP_ENOTFOUND);
	dp_buf b;
	dp_buf_init(&b, 1024);
	int64_t idx = 0;
	CHECK(archive_db_copy(&a, "00000000000000000000000000000001", &b) == DP_OK && b.len == sizeof copy &&
	      memcmp(b.p, copy, sizeof copy) == 0);
	b.len = 0;
	CHECK(archive_db_entry(&a, "00000000000000000000000000000001", &b, &idx) == DP_OK && b.len == 5 && idx == 1);
	b.len = 0;
	CHECK(archive_db_entry(&a, "00000000000000000000000000000002", &b, &idx) == DP_ENOTFOUND);

	/* the metadata filters */
	archive_filter f = {0};
	CHECK(n_of(&a, &f) == 3);
	f.post = "TOKYO";
	CHECK(n_of(&a, &f) == 2);
	f.tag = "ADMN";
	CHECK(n_of(&a, &f) == 1);
	f.tag = "ADM"; /* a whole tag only */
	CHECK(n_of(&a, &f) == 0);
	memset(&f, 0, sizeof f);
	f.tag = "PREL";
	CHECK(n_of(&a, &f) == 2);
	memset(&f, 0, sizeof f);
	f.since = now - 6 * DAY;
	f.until = now - 2 * DAY;
	CHECK(n_of(&a, &f) == 1);
	memset(&f, 0, sizeof f);
	f.mrn = "26 SEOUL 000002";
	CHECK(n_of(&a, &f) == 1);

	/* what is due: nothing of 1; 2 from its date; 3 for its event, then its retention */
	memset(&f, 0, sizeof f);
	f.due = 1;
	f.now = now;
	CHECK(n_of(&a, &f) == 1); /* 3: the event is named */
	f.now = now + 2 * DAY;   /* 2026-12-02 */
	CHECK(n_of(&a, &f) == 2);
	CHECK(archive_db_get(&a, "26 TOKYO 000003", &g) == DP_OK);
	CHECK(archive_due_why(&g, now) && strcmp(archive_due_why(&g, now), "declassification event named") == 0);
	CHECK(strcmp(archive_due_why(&g, now + 2 * DAY), "retention ended") == 0);
	/* declassified: the event no longer due; held: due */
	dp_records_state st;
	memset(&st, 0, sizeof st);
	strcpy(st.approved_by, "rec.b");
	st.declassified_at = now;
	CHECK(archive_db_set_state(&a, g.cable_id, &st) == DP_OK);
	CHECK(archive_db_get(&a, g.cable_id, &g) == DP_OK && g.st.declassified_at == now &&
	      strcmp(g.st.approved_by, "rec.b") == 0 && archive_due_why(&g, now) == NULL);
	CHECK(archive_db_get(&a, "26 TOKYO 000001", &g) == DP_OK && archive_due_why(&g, now) == NULL);
	strcpy(st.held_by, "rec.a");
	st.held_at = now;
	strcpy(st.hold_reason, "litigation");
	CHECK(archive_db_set_state(&a, g.cable_id, &st) == DP_OK);
	CHECK(archive_db_get(&a, g.cable_id, &g) == DP_OK && strcmp(archive_due_why(&g, now), "held") == 0 &&
	      strcmp(g.st.hold_reason, "litigation") == 0);
	/* destroyed: the copy is gone, the row stays, nothing is due */
	memset(&st, 0, sizeof st);
	st.destroyed_at = now;
	CHECK(archive_db_wipe_copy(&a, g.cable_id) == DP_OK && archive_db_set_state(&a, g.cable_id, &st) == DP_OK);
	b.len = 0;
	CHECK(archive_db_copy(&a, g.cable_id, &b) == DP_ENOTFOUND);
	CHECK(archive_db_get(&a, g.cable_id, &g) == DP_OK && g.st.destroyed_at == now && archive_due_why(&g, now) == NULL);
	dp_buf_free(&b);
	archive_db_close(&a);
	/* opened again: the rows are there */
	CHECK(archive_db_open(x, &a, why, sizeof why) == DP_OK);
	memset(&f, 0, sizeof f);
	CHECK(n_of(&a, &f) == 3);
	archive_db_close(&a);
}

int main(void)
{
	if (dp_crypto_init()) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	cli_ctx x;
	memset(&x, 0, sizeof x);
	char tmpl[] = "/tmp/test_client_archive.XXXXXX";
	if (!mkdtemp(tmpl) || dp_keystore_generate(&x.ks)) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	snprintf(x.home, sizeof x.home, "%s", tmpl);
	test_role(&x);
	test_role_directory(&x);
	test_keys(&x);
	test_store(&x);
	test_wide_mrns(&x);
	dp_keystore_free(x.ks);
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpl);
	return t_done("test_client_archive");
}
