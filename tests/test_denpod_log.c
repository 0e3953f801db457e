/*
 * tests/test_denpod_log.c - the switch's transparency log on a real data
 * directory: appends inside transactions (gap-free indices, rollback and
 * savepoints give indices back), the cable-accepted split, the signer
 * (root against a direct RFC 6962 computation, tiles and partial tiles,
 * proofs from the tiles, checkpoints under the log key), restart, a
 * refused fork, and tampering: a changed entry, tile or checkpoint makes
 * `denpod log verify` fail and the signer refuse to start; the start
 * verifies from the mark (the last size verified in full) and a damaged
 * mark cannot make it skip anything.  Prints a rough
 * append + integrate rate.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "denpo/crypto.h"
#include "denpo/encoding.h"
#include "denpo/logentry.h"
#include "denpo/tlog.h"
#include "denpod/config.h"
#include "denpod/db.h"
#include "denpod/store.h"
#include "denpod/signer.h"
#include "denpod/tlog.h"
#include "tests/harness.h"

static char dir[] = "/tmp/test_denpod_log.XXXXXX";
static char dbpath[DPC_PATH_MAX + 16];
static dpc_config cfg;
static dp_note_vkey vk;

/* ---- a reference tree: leaf hashes of every entry, MTH by the RFC's recursion ---- */

static uint8_t (*leaves)[32];
static size_t nleaves, aleaves;

static void ref_add(const uint8_t *e, size_t len)
{
	if (nleaves == aleaves) {
		aleaves = aleaves ? 2 * aleaves : 1024;
		leaves = realloc(leaves, aleaves * 32);
		if (!leaves)
			abort();
	}
	dp_tlog_leaf_hash(leaves[nleaves++], e, len);
}

static void mth(size_t lo, size_t hi, uint8_t out[32])
{
	if (hi == lo) {
		dp_tlog_empty_root(out);
		return;
	}
	if (hi - lo == 1) {
		memcpy(out, leaves[lo], 32);
		return;
	}
	size_t k = 1;
	while (k * 2 < hi - lo)
		k *= 2;
	uint8_t l[32], r[32];
	mth(lo, lo + k, l);
	mth(lo + k, hi, r);
	dp_tlog_node_hash(out, l, r);
}

/* ---- helpers ---- */

/* A second connection to the store's database ("another process"), through db.h. */
static dpdb *raw(void)
{
	dpdb *db = NULL;
	if (dpdb_open(&db, dbpath, 0) != DP_OK)
		abort();
	return db;
}

static int sql(const char *q)
{
	dpdb *db = raw();
	int rc = dpdb_exec(db, q);
	dpdb_close(db);
	return rc == DP_OK ? 0 : -1;
}

/* Appends an admin entry numbered i (in the caller's transaction) and to the reference. */
static int put_admin(dps_store *s, dpl_enc *x, uint64_t i, uint64_t *idx)
{
	dp_logent *e = dpl_ent(x, DP_LOG_ADMIN, 1771928580 + (int64_t)i);
	snprintf(e->operator_, sizeof e->operator_, "test operator");
	snprintf(e->act, sizeof e->act, "TEST-%llu", (unsigned long long)i);
	snprintf(e->text, sizeof e->text, "entry number %llu", (unsigned long long)i);
	int r = dpl_put(s, x, idx);
	if (!r)
		ref_add(x->b.p, x->b.len);
	return r;
}

/* n entries in transactions of `per`; checks the indices are consecutive. */
static void append_n(dps_store *s, dpl_enc *x, uint64_t n, uint64_t per)
{
	int ok = 1;
	for (uint64_t done = 0; done < n;) {
		CHECK(dps_begin(s) == DP_OK);
		for (uint64_t k = 0; k < per && done < n; k++, done++) {
			uint64_t idx, want = nleaves;
			ok &= put_admin(s, x, want, &idx) == DP_OK && idx == want;
		}
		CHECK(dps_commit(s) == DP_OK);
	}
	CHECK(ok);
}

static void root_matches(dps_store *s, const char *when)
{
	dps_checkpoint c;
	uint8_t want[32];
	CHECKF(dps_log_latest(s, &c) == DP_OK && c.size == nleaves, "%s: latest size %llu, %zu entries",
	       when, (unsigned long long)c.size, nleaves);
	mth(0, nleaves, want);
	CHECKF(memcmp(c.root, want, 32) == 0, "%s: the signed root is the RFC 6962 root", when);
	CHECKF(dpl_checkpoint_ok(&c, &vk) == DP_OK, "%s: the checkpoint verifies under the log key", when);
	int verified = 0;
	size_t tl;
	CHECK(dp_note_open(c.note, c.note_len, &vk, 1, &verified, NULL, &tl) == DP_OK && verified);
}

/* Tiles of the tree of nleaves: level-0 hashes are the leaves; level-1 hashes roots of level-0 tiles. */
static void tiles_match(dps_store *s)
{
	uint8_t t[256 * 32];
	int ok = 1;
	for (uint64_t n = 0; n * 256 < nleaves; n++) {
		unsigned w = dp_tlog_tile_width(0, n, nleaves);
		ok &= dps_log_tile(s, 0, n, w, t) == DP_OK && memcmp(t, leaves[n * 256], (size_t)w * 32) == 0;
		if (w < 256) /* a partial tile is no wider than the checkpoint */
			ok &= dps_log_tile(s, 0, n, w + 1, t) == DP_ENOTFOUND;
	}
	CHECKF(ok, "level-0 tiles hold the leaf hashes (%zu leaves)", nleaves);
	unsigned w1 = dp_tlog_tile_width(1, 0, nleaves);
	if (w1) {
		ok = dps_log_tile(s, 1, 0, w1, t) == DP_OK;
		for (unsigned i = 0; ok && i < w1; i++) {
			uint8_t h[32];
			mth((size_t)i * 256, (size_t)(i + 1) * 256, h);
			ok &= memcmp(t + (size_t)i * 32, h, 32) == 0;
		}
		CHECKF(ok, "level-1 tile 0 (width %u) holds the roots of the full level-0 tiles", w1);
	}
}

/* Proofs from the stored tiles verify against the reference roots. */
static void proofs_match(dps_store *s, uint64_t old)
{
	dp_tlog_tiles tiles = {dpl_tile_read, s};
	uint8_t proof[DP_TLOG_PROOF_MAX][32], root[32], root1[32];
	size_t n;
	int ok = 1;
	mth(0, nleaves, root);
	for (int i = 0; i < 50; i++) {
		uint64_t idx = (uint64_t)rand() % nleaves;
		ok &= dp_tlog_prove_inclusion(idx, nleaves, dp_tlog_tiles_node, &tiles, proof, &n) == DP_OK &&
		      dp_tlog_verify_inclusion(idx, nleaves, leaves[idx], (const uint8_t(*)[32])proof, n,
					       root) == DP_OK;
	}
	CHECKF(ok, "inclusion proofs from the tiles verify (size %zu)", nleaves);
	if (old) {
		mth(0, old, root1);
		CHECKF(dp_tlog_prove_consistency(old, nleaves, dp_tlog_tiles_node, &tiles, proof, &n) == DP_OK &&
			       dp_tlog_verify_consistency(old, nleaves, root1, root,
							  (const uint8_t(*)[32])proof, n) == DP_OK,
		       "consistency %llu -> %zu from the tiles verifies", (unsigned long long)old, nleaves);
	}
}

static int verify_quiet(dps_store *s)
{
	FILE *f = getenv("DENPO_LOG_VERBOSE") ? NULL : fopen("/dev/null", "w");
	int r = dpl_verify(s, &vk, f ? f : stderr);
	if (f)
		fclose(f);
	return r;
}

/* ---- tests ---- */

static void test_append(dps_store *s, dpl_enc *x)
{
	uint64_t size = 99, idx;
	CHECK(dps_log_size(s, &size) == DP_OK && size == 0);
	CHECK(dps_log_append(s, (const uint8_t *)"x", 1, &idx) == DP_EINVAL); /* outside a transaction */
	append_n(s, x, 10, 4);
	CHECK(dps_log_size(s, &size) == DP_OK && size == 10);
	/* a rolled-back transaction leaves no entry and gives its indices back */
	CHECK(dps_begin(s) == DP_OK);
	CHECK(dps_log_append(s, (const uint8_t *)"junk", 4, &idx) == DP_OK && idx == 10);
	CHECK(dps_log_append(s, (const uint8_t *)"junk", 4, &idx) == DP_OK && idx == 11);
	dps_rollback(s);
	CHECK(dps_log_size(s, &size) == DP_OK && size == 10);
	/* a savepoint undone: its entries vanish, later appends take their indices */
	CHECK(dps_begin(s) == DP_OK);
	CHECK(put_admin(s, x, nleaves, &idx) == DP_OK && idx == 10);
	CHECK(dps_savepoint(s) == DP_OK);
	CHECK(dps_log_append(s, (const uint8_t *)"junk", 4, &idx) == DP_OK && idx == 11);
	CHECK(dps_savepoint_end(s, 0) == DP_OK);
	CHECK(dps_savepoint(s) == DP_OK);
	CHECK(put_admin(s, x, nleaves, &idx) == DP_OK && idx == 11);
	CHECK(dps_savepoint_end(s, 1) == DP_OK);
	CHECK(dps_commit(s) == DP_OK);
	CHECK(dps_log_size(s, &size) == DP_OK && size == 12);
	/* an entry over the bundle limit is refused */
	static uint8_t big[DP_TLOG_ENTRY_MAX + 1];
	CHECK(dps_begin(s) == DP_OK);
	CHECK(dps_log_append(s, big, sizeof big, &idx) == DP_ETOOBIG);
	dps_rollback(s);
	/* an append by "another process" (another connection) between two of ours is counted */
	dp_logent *e = dpl_ent(x, DP_LOG_ADMIN, 1771928580);
	snprintf(e->operator_, sizeof e->operator_, "another process");
	snprintf(e->act, sizeof e->act, "OTHER");
	x->b.len = 0;
	CHECK(dp_logent_encode(e, &x->b) == DP_OK);
	dpdb *db = raw();
	dpdb_stmt *st = dpdb_prepare(db, "INSERT INTO log_entries(idx,data) VALUES(12,?1)");
	dpdb_bind_blob(st, 1, x->b.p, x->b.len);
	CHECK(dpdb_run(st) == DP_OK);
	dpdb_close(db);
	ref_add(x->b.p, x->b.len);
	CHECK(dps_begin(s) == DP_OK);
	CHECK(put_admin(s, x, nleaves, &idx) == DP_OK && idx == 13);
	CHECK(dps_commit(s) == DP_OK);
}

static int rcpt_sorted(void *ctx, uint64_t idx, const uint8_t *e, size_t len)
{
	dp_logent *d = ctx;
	return dp_logent_decode(&d[idx % 3], e, len);
}

static void test_cable_accepted(dps_store *s, dpl_enc *x)
{
	enum { NR = 1200 };
	dps_rcpt *r = calloc(NR, sizeof *r);
	uint8_t data[100];
	dp_random(data, sizeof data);
	dps_submit sub;
	memset(&sub, 0, sizeof sub);
	for (size_t i = 0; i < NR; i++) {
		dp_random(r[i].device, 32);
		r[i].epoch = (uint32_t)i;
		r[i].prec = DP_PREC_ROUTINE;
	}
	dp_random(sub.c.cable_id, DP_CABLE_ID);
	snprintf(sub.c.from_post, sizeof sub.c.from_post, "HQ");
	snprintf(sub.c.officer, sizeof sub.c.officer, "sato.k");
	dp_random(sub.c.from_device, 32);
	sub.c.classification = DP_CLASS_SECRET;
	sub.c.prec_action = DP_PREC_IMMEDIATE;
	sub.c.prec_info = DP_PREC_ROUTINE;
	sub.rcpts = r;
	sub.nrcpts = NR;
	sub.data = data;
	sub.len = sizeof data;
	sub.now = 1771928580;
	uint64_t next = 0, first = 0;
	CHECK(dps_begin(s) == DP_OK);
	CHECK(dps_log_next(s, &next) == DP_OK && next == nleaves);
	sub.log_idx = (int64_t)next;
	CHECK(dps_cable_insert(s, &sub) == DP_OK && !sub.duplicate);
	CHECK(dpl_cable_accepted(s, x, &sub, "::ffff:127.0.0.1", &first) == DP_OK && first == next);
	CHECK(dps_commit(s) == DP_OK);
	dp_logent *d = calloc(3, sizeof *d);
	CHECK(dps_log_entries(s, first, 3, rcpt_sorted, d) == DP_OK);
	size_t total = 0;
	int sorted = 1;
	for (int k = 0; k < 3; k++) {
		dp_logent *e = &d[(first + (uint64_t)k) % 3];
		CHECKF(e->event == DP_LOG_CABLE_ACCEPTED && e->part == (uint32_t)k + 1 && e->parts == 3,
		       "part %d of 3", k + 1);
		CHECK(memcmp(e->cable_id, sub.c.cable_id, DP_CABLE_ID) == 0 && strcmp(e->mrn, sub.mrn) == 0);
		CHECK(memcmp(e->envelope_hash, sub.digest, 32) == 0);
		CHECK(strcmp(e->source, "127.0.0.1") == 0); /* an IPv4-mapped peer is written as IPv4 */
		total += e->nrcpts;
		for (size_t i = 1; i < e->nrcpts; i++)
			sorted &= memcmp(e->rcpts[i - 1].device, e->rcpts[i].device, 32) < 0;
	}
	CHECK(total == NR && sorted);
	/* the reference tree follows the real bytes */
	for (uint64_t i = first; i < first + 3; i++) {
		dpdb *db = raw();
		dpdb_stmt *st = dpdb_prepare(db, "SELECT data FROM log_entries WHERE idx=?1");
		dpdb_bind_i64(st, 1, (int64_t)i);
		size_t n;
		if (dpdb_step(st) == DPDB_ROW) {
			const uint8_t *p = dpdb_col_blob(st, 0, &n);
			ref_add(p, n);
		}
		dpdb_reset(st);
		dpdb_close(db);
	}
	/* a retry of the same cable answers with the first part's index */
	dps_cable c;
	uint8_t dg[DP_SHA256];
	dp_sha256(dg, data, sizeof data);
	CHECK(dps_cable_stored(s, sub.c.cable_id, dg, &c) == DP_OK &&
	      c.log_idx == (int64_t)first);
	CHECK(dps_begin(s) == DP_OK);
	sub.log_idx = 999999;
	CHECK(dps_cable_insert(s, &sub) == DP_OK && sub.duplicate && sub.log_idx == (int64_t)first);
	dps_rollback(s);
	free(d);
	free(r);
}

/*
 * The log opened in-process, with the signer's policy on a thread (denpod
 * run has it in another process): a new signer for each open, as each run
 * of the switch starts one, with the state it left in signer.state.
 */
static dpsg_thread *signer_t;
static int log_open(dpl_log **l)
{
	int fd = -1;
	dpsg_thread_stop(signer_t);
	signer_t = NULL;
	int r = dpsg_thread_start(&cfg, &signer_t, &fd);
	return r ? r : dpl_open(l, &cfg, NULL, fd);
}

static void test_signer(dps_store *s, dpl_enc *x)
{
	dpl_log *l = NULL;
	uint64_t n;
	CHECK(log_open(&l) == DP_OK);
	root_matches(s, "first open");
	tiles_match(s);
	uint64_t sizes[8];
	int ns = 0;
	sizes[ns++] = nleaves;
	/* grow across tile boundaries: 256 (a full tile, level-1 partial), 512, then a partial */
	uint64_t steps[] = {1, 240, 1, 300, 170};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		append_n(s, x, steps[i], 37);
		CHECK(dpl_round(l, &n) == DP_OK && n == steps[i]);
		root_matches(s, "after a round");
		tiles_match(s);
		sizes[ns++] = nleaves;
	}
	CHECK(dpl_round(l, &n) == DP_OK && n == 0); /* nothing new: no new checkpoint */
	proofs_match(s, sizes[2]);
	dps_checkpoint c;
	dpl_latest(l, &c);
	CHECK(c.size == nleaves);
	/* every checkpoint is stored, each consistent with the last */
	int all = 1;
	for (int i = 0; i < ns; i++) {
		dps_checkpoint k;
		all &= dps_log_checkpoint_next(s, (int64_t)sizes[i] - 1, &k) == DP_OK && k.size == sizes[i];
		uint8_t want[32];
		mth(0, (size_t)sizes[i], want);
		all &= memcmp(k.root, want, 32) == 0;
	}
	CHECK(all);
	/* close signs what is left; a restart resumes from the stored tiles */
	append_n(s, x, 5, 5);
	dpl_close(l);
	root_matches(s, "after close");
	uint64_t before = nleaves;
	append_n(s, x, 77, 10);
	CHECK(log_open(&l) == DP_OK);
	root_matches(s, "after restart");
	tiles_match(s);
	proofs_match(s, before);
	CHECK(verify_quiet(s) == DP_OK);
	dpl_close(l);
}

/* Each tampering: verify fails, and (startup) the signer refuses; then undo it. */
static void test_tamper(dps_store *s)
{
	dpl_log *l = NULL;
	char q[256];
	uint64_t last = nleaves - 1;
	CHECK(verify_quiet(s) == DP_OK);
	/* an old entry: verify sees it (the signer re-hashes only its last tile) */
	CHECK(sql("CREATE TABLE keep AS SELECT * FROM log_entries") == 0);
	CHECK(sql("UPDATE log_entries SET data=CAST(replace(CAST(data AS TEXT),'entry number','entry NUMBER') "
		  "AS BLOB) WHERE idx=20") == 0);
	CHECK(verify_quiet(s) == DP_ESTATE);
	CHECK(sql("UPDATE log_entries SET data=(SELECT data FROM keep WHERE keep.idx=20) WHERE idx=20") == 0);
	CHECK(verify_quiet(s) == DP_OK);
	/* the newest entry: verify and the signer */
	snprintf(q, sizeof q, "UPDATE log_entries SET data=CAST(replace(CAST(data AS TEXT),'test operator',"
			      "'evil operator') AS BLOB) WHERE idx=%llu", (unsigned long long)last);
	CHECK(sql(q) == 0);
	CHECK(verify_quiet(s) == DP_ESTATE);
	CHECK(log_open(&l) == DP_ESTATE && l == NULL);
	snprintf(q, sizeof q, "UPDATE log_entries SET data=(SELECT data FROM keep WHERE keep.idx=%llu) "
			      "WHERE idx=%llu", (unsigned long long)last, (unsigned long long)last);
	CHECK(sql(q) == 0);
	/* an entry deleted */
	snprintf(q, sizeof q, "DELETE FROM log_entries WHERE idx=%llu", (unsigned long long)last);
	CHECK(sql(q) == 0);
	CHECK(verify_quiet(s) == DP_ESTATE);
	CHECK(log_open(&l) == DP_ESTATE && l == NULL);
	snprintf(q, sizeof q, "INSERT INTO log_entries SELECT * FROM keep WHERE idx=%llu",
		 (unsigned long long)last);
	CHECK(sql(q) == 0);
	CHECK(verify_quiet(s) == DP_OK);
	/* a full tile, then a partial one: one hash byte flipped */
	const char *tiles[] = {"level=0 AND n=0", "level=1 AND n=0", "level=0 AND n=(SELECT max(n) FROM "
								   "log_tiles WHERE level=0)"};
	for (size_t i = 0; i < 3; i++) {
		CHECK(sql("DROP TABLE IF EXISTS keep_t; CREATE TABLE keep_t AS SELECT * FROM log_tiles") == 0);
		snprintf(q, sizeof q, "UPDATE log_tiles SET data=zeroblob(32)||substr(data,33) WHERE %s", tiles[i]);
		CHECK(sql(q) == 0);
		CHECKF(verify_quiet(s) == DP_ESTATE, "tampered tile %s: verify fails", tiles[i]);
		/*
		 * The signer checks the right edge it extends (the compact range, the
		 * partial tiles, the last tile's entries), not every old tile: that is
		 * verify's job, and every tlog client checks the tiles it reads
		 * against the signed root.
		 */
		if (i > 0)
			CHECKF(log_open(&l) == DP_ESTATE && l == NULL,
			       "tampered tile %s: no signer", tiles[i]);
		CHECK(sql("DELETE FROM log_tiles; INSERT INTO log_tiles SELECT * FROM keep_t") == 0);
	}
	/* a tile too wide: a hash no checkpoint covers */
	CHECK(sql("UPDATE log_tiles SET data=data||zeroblob(32) WHERE level=0 AND n=(SELECT max(n) FROM "
		  "log_tiles WHERE level=0)") == 0);
	CHECK(verify_quiet(s) == DP_ESTATE);
	CHECK(sql("DELETE FROM log_tiles; INSERT INTO log_tiles SELECT * FROM keep_t") == 0);
	/* the latest checkpoint's note altered: its signature breaks */
	CHECK(sql("CREATE TABLE keep_c AS SELECT * FROM log_checkpoints") == 0);
	CHECK(sql("UPDATE log_checkpoints SET note=replace(note,'denpo-log','denpo-lag') WHERE "
		  "size=(SELECT max(size) FROM log_checkpoints)") == 0);
	CHECK(verify_quiet(s) == DP_ESTATE);
	CHECK(log_open(&l) == DP_ESTATE && l == NULL);
	CHECK(sql("DELETE FROM log_checkpoints; INSERT INTO log_checkpoints SELECT * FROM keep_c") == 0);
	/* an older checkpoint's root changed: verify sees it */
	CHECK(sql("UPDATE log_checkpoints SET root=zeroblob(32) WHERE size=(SELECT min(size) FROM "
		  "log_checkpoints WHERE size > 0)") == 0);
	CHECK(verify_quiet(s) == DP_ESTATE);
	CHECK(sql("DELETE FROM log_checkpoints; INSERT INTO log_checkpoints SELECT * FROM keep_c") == 0);
	CHECK(sql("DROP TABLE keep; DROP TABLE keep_t; DROP TABLE keep_c") == 0);
	CHECK(verify_quiet(s) == DP_OK);
	CHECK(log_open(&l) == DP_OK);
	dpl_close(l);
}

/* Entry idx's text changed in place (a damaged copy); keep_d keeps the original. */
static void damage_entry(uint64_t idx)
{
	char q[512];
	CHECK(sql("DROP TABLE IF EXISTS keep_d; CREATE TABLE keep_d AS SELECT * FROM log_entries") == 0);
	snprintf(q, sizeof q, "UPDATE log_entries SET data=CAST(replace(CAST(data AS TEXT),'entry number',"
			      "'entry NUMBER') AS BLOB) WHERE idx=%llu", (unsigned long long)idx);
	CHECK(sql(q) == 0);
}

static void undamage(void)
{
	CHECK(sql("DELETE FROM log_entries; INSERT INTO log_entries SELECT * FROM keep_d; "
		  "DROP TABLE keep_d") == 0);
}

/*
 * The start verifies from the mark (the last size verified in full) on:
 * damage above it is refused even far from the newest tile; damage below
 * it is the scrub's (and verify's) to find; a damaged mark names no
 * checkpoint with its root and makes the start verify everything.
 */
static void test_mark(dps_store *s, dpl_enc *x)
{
	dpl_log *l = NULL;
	uint64_t m = 0, n;
	uint8_t root[32], want[32];
	CHECK(log_open(&l) == DP_OK);
	dpl_close(l);
	CHECK(dpl_mark_get(s, &m, root) == DP_OK && m == nleaves);
	mth(0, nleaves, want);
	CHECK(memcmp(root, want, 32) == 0);
	/* 700 entries signed in rounds of a running signer: above the mark, across tiles */
	uint64_t mark = m, first = nleaves;
	CHECK(log_open(&l) == DP_OK);
	append_n(s, x, 700, 100);
	CHECK(dpl_round(l, &n) == DP_OK && n == 700);
	dpl_close(l);
	CHECK(dpl_mark_get(s, &m, root) == DP_OK && m == mark); /* signing is no verification */
	/* an entry above the mark, outside the newest tile: the start refuses now */
	damage_entry(first + 10);
	CHECK(verify_quiet(s) == DP_ESTATE);
	CHECK(log_open(&l) == DP_ESTATE && l == NULL);
	CHECK(dpl_mark_get(s, &m, root) == DP_OK && m == mark);
	undamage();
	CHECK(log_open(&l) == DP_OK);
	dpl_close(l);
	CHECK(dpl_mark_get(s, &m, root) == DP_OK && m == nleaves);
	/* below the mark: not the start's to see (a fast start), but verify's */
	damage_entry(first + 10);
	CHECK(verify_quiet(s) == DP_ESTATE);
	CHECK(log_open(&l) == DP_OK);
	dpl_close(l);
	/* a damaged mark: another root, another size, garbage; each verifies the whole log */
	char v[160], hex[65];
	const char *marks[3];
	char bad_root[160], bad_size[160];
	dp_hex_encode(hex, want, 32);
	hex[0] = hex[0] == '0' ? '1' : '0';
	snprintf(bad_root, sizeof bad_root, "%llu %s", (unsigned long long)m, hex);
	dp_hex_encode(hex, root, 32);
	snprintf(bad_size, sizeof bad_size, "%llu %s", (unsigned long long)(m - 1), hex);
	marks[0] = bad_root;
	marks[1] = bad_size;
	marks[2] = "12x garbage";
	for (int i = 0; i < 3; i++) {
		snprintf(v, sizeof v, "UPDATE meta SET v='%s' WHERE k='log_verified'", marks[i]);
		CHECK(sql(v) == 0);
		CHECKF(log_open(&l) == DP_ESTATE && l == NULL,
		       "mark '%s': the whole log is verified and the damage below the mark found", marks[i]);
	}
	undamage();
	CHECK(log_open(&l) == DP_OK);
	dpl_close(l);
	CHECK(dpl_mark_get(s, &m, root) == DP_OK && m == nleaves);
	mth(0, nleaves, want);
	CHECK(memcmp(root, want, 32) == 0);
	/* the mark never goes back */
	CHECK(dpl_mark_raise(s, NULL, 1, want) == DP_OK);
	CHECK(dpl_mark_get(s, &m, root) == DP_OK && m == nleaves);
	/* an unsigned tail that does not decode is never signed */
	CHECK(dps_begin(s) == DP_OK);
	uint64_t idx;
	CHECK(dps_log_append(s, (const uint8_t *)"not an entry\n", 13, &idx) == DP_OK);
	CHECK(dps_commit(s) == DP_OK);
	CHECK(log_open(&l) == DP_ESTATE && l == NULL);
	dps_checkpoint c;
	CHECK(dps_log_latest(s, &c) == DP_OK && c.size == nleaves);
	char q[96];
	snprintf(q, sizeof q, "DELETE FROM log_entries WHERE idx=%llu", (unsigned long long)idx);
	CHECK(sql(q) == 0);
	CHECK(log_open(&l) == DP_OK);
	dpl_close(l);
}

/* A stored checkpoint of the next size with another root (validly signed): never sign over it. */
static void test_fork(dps_store *s, dpl_enc *x)
{
	dpl_log *l = NULL;
	uint64_t n;
	CHECK(log_open(&l) == DP_OK);
	append_n(s, x, 1, 1);
	uint8_t *sk = NULL, pk[32];
	CHECK(dpc_key_load(&cfg, "log.key", &sk, pk) == DP_OK);
	dp_checkpoint cp;
	memset(&cp, 0, sizeof cp);
	snprintf(cp.origin, sizeof cp.origin, "%s", cfg.log_origin);
	cp.size = nleaves;
	memset(cp.root, 0xab, 32);
	dp_buf b;
	dp_buf_init(&b, 2048);
	CHECK(dp_checkpoint_format(&b, &cp) == DP_OK);
	size_t tl = b.len;
	CHECK(dp_buf_putc(&b, '\n') == DP_OK && dp_note_sign_line(&b, (const char *)b.p, tl, cp.origin, sk) == DP_OK);
	dpc_key_free(sk);
	CHECK(dp_buf_putc(&b, 0) == DP_OK); /* the note as text */
	dpdb *db = raw();
	dpdb_stmt *st = dpdb_prepare(db, "INSERT INTO log_checkpoints(size,root,t,note) VALUES(?1,?2,1,?3)");
	dpdb_bind_i64(st, 1, (int64_t)cp.size);
	dpdb_bind_blob(st, 2, cp.root, 32);
	dpdb_bind_text(st, 3, (const char *)b.p);
	CHECK(dpdb_run(st) == DP_OK);
	dpdb_close(db);
	dp_buf_free(&b);
	fprintf(stderr, "(a LOG FORK REFUSED message is expected next)\n");
	CHECK(dpl_round(l, &n) == DP_ESTATE);
	CHECK(dpl_round(l, &n) == DP_ESTATE); /* and stays stopped */
	dps_checkpoint c;
	CHECK(dps_log_latest(s, &c) == DP_OK && c.size == nleaves && memcmp(c.root, cp.root, 32) == 0);
	dpl_close(l);
	/* the forged row is the latest: its root does not come from the tiles, so no restart */
	CHECK(log_open(&l) == DP_ESTATE && l == NULL);
	CHECK(verify_quiet(s) == DP_ESTATE);
	char q[128];
	snprintf(q, sizeof q, "DELETE FROM log_checkpoints WHERE size=%zu", nleaves);
	CHECK(sql(q) == 0);
	CHECK(log_open(&l) == DP_OK);
	root_matches(s, "after the forged row is gone");
	dpl_close(l);
}

/*
 * The database away in the middle of a round, and still away when the round
 * reloads what is stored (a PostgreSQL restart: here a table renamed under
 * the log's connection): the rounds fail, and once it is back the next one
 * loads again before it integrates anything, and signs every entry.  (The
 * round after a failed reload used to integrate into the officer index the
 * reload had freed: SIGSEGV in the switch's network process.)
 */
static void test_store_away(dps_store *s, dpl_enc *x)
{
	dpl_log *l = NULL;
	uint64_t n = 1;
	CHECK(log_open(&l) == DP_OK);
	append_n(s, x, 3, 3);
	CHECK(sql("ALTER TABLE log_checkpoints RENAME TO log_checkpoints_away") == 0);
	fprintf(stderr, "(store errors about log_checkpoints are expected next)\n");
	CHECK(dpl_round(l, &n) != DP_OK && n == 0); /* its commit fails, then its reload */
	append_n(s, x, 1, 1);
	CHECK(dpl_round(l, &n) != DP_OK && n == 0); /* the reload first, which fails again */
	CHECK(sql("ALTER TABLE log_checkpoints_away RENAME TO log_checkpoints") == 0);
	append_n(s, x, 2, 2);
	CHECK(dpl_round(l, &n) == DP_OK && n == 6);
	root_matches(s, "after the database came back");
	tiles_match(s);
	CHECK(verify_quiet(s) == DP_OK);
	dpl_close(l);
}

struct retired {
	uint32_t ep[8];
	int n;
};

static int note_retired(void *ctx, uint32_t epoch)
{
	struct retired *x = ctx;
	if (x->n < 8)
		x->ep[x->n] = epoch;
	x->n++;
	return DP_OK;
}

static struct retired retire_at(dps_store *s, const uint8_t dev[32], int64_t now)
{
	struct retired x = {{0}, 0};
	CHECK(dps_begin(s) == DP_OK);
	CHECK(dps_epoch_retire(s, dev, now, note_retired, &x) == DP_OK);
	CHECK(dps_commit(s) == DP_OK);
	return x;
}

/* Each record is retired once: when first seen closed, or all at a revocation. */
static void test_retire(dps_store *s)
{
	dps_post p = {"HQ", 1, "UTC"};
	dps_officer o;
	dps_device d;
	memset(&o, 0, sizeof o);
	memset(&d, 0, sizeof d);
	snprintf(o.handle, sizeof o.handle, "sato.k");
	snprintf(o.post, sizeof o.post, "HQ");
	dp_random(d.id, 32);
	dp_random(d.tls_key, 32);
	snprintf(d.officer, sizeof d.officer, "sato.k");
	snprintf(d.name, sizeof d.name, "LAPTOP");
	int64_t now = dp_now();
	d.created = now;
	CHECK(dps_post_add(s, &p) == DP_OK && dps_officer_put(s, &o, 0) == DP_OK && dps_device_add(s, &d) == DP_OK);
	/* epoch 0 closed long ago, 1 expired but within the skew, 2 current */
	int64_t na[3] = {now - 86400, now - 100, now + 86400};
	for (uint32_t e = 0; e < 3; e++) {
		dp_epoch_key k;
		dps_epoch_pub pub;
		memset(&k, 0, sizeof k);
		memset(&pub, 0, sizeof pub);
		memcpy(k.device, d.id, 32);
		k.epoch = e;
		k.not_before = na[e] - 90000;
		k.not_after = na[e];
		snprintf(k.age_recipient, sizeof k.age_recipient, "age1pq1%0120u", e);
		pub.k = &k;
		pub.record = (const uint8_t *)"record";
		pub.len = 6;
		pub.now = now;
		pub.enrol = 1;
		pub.log_idx = -1;
		CHECKF(dps_epoch_put(s, &pub) == DP_OK, "epoch %u", e);
	}
	struct retired x = retire_at(s, d.id, now);
	CHECK(x.n == 1 && x.ep[0] == 0);
	x = retire_at(s, d.id, now);
	CHECK(x.n == 0); /* once */
	x = retire_at(s, d.id, now + 300);
	CHECK(x.n == 1 && x.ep[0] == 1);
	x = retire_at(s, d.id, INT64_MAX); /* a revocation: the rest */
	CHECK(x.n == 1 && x.ep[0] == 2);
	x = retire_at(s, d.id, INT64_MAX);
	CHECK(x.n == 0);
	struct retired y = {{0}, 0};
	CHECK(dps_epoch_retire(s, d.id, now, note_retired, &y) == DP_EINVAL); /* outside a transaction */
}

static double secs(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_rate(dps_store *s, dpl_enc *x)
{
	const char *env = getenv("DENPO_LOG_RATE_N");
	uint64_t n = env ? strtoull(env, NULL, 10) : 20000, got;
	dpl_log *l = NULL;
	CHECK(log_open(&l) == DP_OK);
	double t0 = secs();
	append_n(s, x, n, 1000);
	double t1 = secs();
	uint64_t done = 0;
	int ok = 1;
	while (done < n && ok) {
		ok = dpl_round(l, &got) == DP_OK && got > 0;
		done += got;
	}
	double t2 = secs();
	CHECK(ok && done == n);
	root_matches(s, "after the rate run");
	printf("rate: %llu entries appended in transactions of 1000 at %.0f/s, integrated and signed at "
	       "%.0f/s\n", (unsigned long long)n, (double)n / (t1 - t0), (double)n / (t2 - t1));
	dpl_close(l);
}

/*
 * What an instance serves next given the database's latest (dpl_pub_next):
 * forward, the same, and back after a failover that lost checkpoints (a
 * smaller size, or the same size regrown with other entries: another
 * root); the durable latest on SQLite is the latest, outside a transaction.
 */
static void test_pub_next(dps_store *s)
{
	dps_checkpoint none, a, b, b2, c;
	memset(&none, 0, sizeof none);
	memset(&a, 0, sizeof a);
	a.size = 1552;
	memset(a.root, 1, 32);
	b = a;
	b.size = 1553;
	memset(b.root, 2, 32);
	b2 = b;
	b2.root[31] ^= 1;
	c = a;
	CHECK(dpl_pub_next(&none, &a) == DPL_PUB_AHEAD); /* the first one */
	CHECK(dpl_pub_next(&a, &b) == DPL_PUB_AHEAD);
	CHECK(dpl_pub_next(&a, &c) == DPL_PUB_KEEP);
	CHECK(dpl_pub_next(&b, &a) == DPL_PUB_BACK);  /* the seed 25312 case: 1553 lost */
	CHECK(dpl_pub_next(&b, &b2) == DPL_PUB_BACK); /* lost and regrown to the same size */
	CHECK(dpl_pub_next(&b, &none) == DPL_PUB_BACK);
	/* on SQLite, the latest as it is, outside a transaction only */
	dps_checkpoint d, e;
	int rl = dps_log_latest(s, &d);
	CHECK(rl == DP_OK || rl == DP_ENOTFOUND);
	CHECK(dps_log_latest_durable(s, &e) == rl);
	CHECK(rl || (e.size == d.size && memcmp(e.root, d.root, 32) == 0));
	CHECK(dps_begin(s) == DP_OK);
	CHECK(dps_log_latest_durable(s, &e) == DP_EINVAL);
	dps_rollback(s);
}

int main(void)
{
	if (dp_crypto_init() || !mkdtemp(dir))
		return 1;
	srand(7);
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
	CHECK(r == DP_OK && strcmp(cfg.log_origin, "127.0.0.1:8443/denpo-log") == 0);
	dpc_config loaded;
	CHECK(dpc_load(&loaded, cfg.dir) == DP_OK && strcmp(loaded.log_origin, cfg.log_origin) == 0);
	char vks[DP_NOTE_VKEY_MAX + 1];
	CHECK(dpl_vkey(&cfg, vks, sizeof vks) == DP_OK && dp_note_vkey_parse(&vk, vks, strlen(vks)) == DP_OK);
	snprintf(dbpath, sizeof dbpath, "%s/denpod.db", cfg.dir);
	dps_store *s = NULL;
	dpl_enc *x = dpl_enc_new();
	CHECK(dps_open(&s, dbpath, 0) == DP_OK && x);
	if (!s || !x)
		return t_done("test_denpod_log");
	test_pub_next(s);
	test_append(s, x);
	test_cable_accepted(s, x);
	test_signer(s, x);
	test_retire(s);
	test_tamper(s);
	test_mark(s, x);
	test_store_away(s, x);
	test_fork(s, x);
	test_rate(s, x);
	dpsg_thread_stop(signer_t);
	dpl_enc_free(x);
	dps_close(s);
	free(leaves);
	char cmd[64];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return t_done("test_denpod_log");
}
