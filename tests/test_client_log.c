/*
 * tests/test_client_log.c - the client side of the transparency log
 * without a switch: the witness rules (denpo/witness.c: checkpoints under
 * the log key, consistency, forks and their evidence), the forward
 * consistency computation against the library's verifier on every pair of
 * small trees, the audit mirror (denpo/audit_mirror.c: re-hashing, damage
 * caught, proofs, cosignatures counted only if they verify, a sync that
 * fails leaving the mirror as it was), `audit verify` on fork evidence, and
 * the log endpoints, resolve's optional log fields and the proofs of the
 * inbox, archive, sent, status and accepted answers (lib/client.c) against a local `openssl s_server -WWW` serving canned
 * answers over mutual TLS 1.3.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "denpo/cli.h"
#include "denpo/encoding.h"
#include "denpo/tls.h"
#include "tests/harness.h"

#define ORIGIN "test.example/denpo-log"

static uint8_t log_sk[64], log_pk[32], other_sk[64], other_pk[32];
static dp_note_vkey log_vk;

/* ---- a tiny tree: leaves are H(0x00 || "entry i" || tag) ---- */

typedef struct {
	uint8_t (*leaf)[DP_TLOG_HASH];
	uint64_t n;
} tree;

static void mth(const tree *t, uint64_t lo, uint64_t hi, uint8_t out[DP_TLOG_HASH])
{
	if (hi - lo == 1) {
		memcpy(out, t->leaf[lo], DP_TLOG_HASH);
		return;
	}
	uint64_t k = 1;
	while (k * 2 < hi - lo)
		k *= 2;
	uint8_t l[DP_TLOG_HASH], r[DP_TLOG_HASH];
	mth(t, lo, lo + k, l);
	mth(t, lo + k, hi, r);
	dp_tlog_node_hash(out, l, r);
}

static int rd(void *ctx, unsigned level, uint64_t n, uint8_t out[DP_TLOG_HASH])
{
	const tree *t = ctx;
	uint64_t lo = n << level, hi = (n + 1) << level;
	if (hi > t->n)
		return DP_EINVAL;
	mth(t, lo, hi, out);
	return DP_OK;
}

static void tree_make(tree *t, uint64_t n, int fork_at)
{
	t->n = n;
	t->leaf = calloc(n ? n : 1, DP_TLOG_HASH);
	for (uint64_t i = 0; i < n; i++) {
		char e[64];
		int l = snprintf(e, sizeof e, "entry %llu%s", (unsigned long long)i,
				 fork_at >= 0 && i >= (uint64_t)fork_at ? " (fork B)" : "");
		dp_tlog_leaf_hash(t->leaf[i], (const uint8_t *)e, (size_t)l);
	}
}

static void root_of(const tree *t, uint64_t size, uint8_t out[DP_TLOG_HASH])
{
	if (size == 0)
		dp_tlog_empty_root(out);
	else
		mth(t, 0, size, out);
}

/* A signed checkpoint note of the first `size` leaves (origin and key as given). */
static void note_of(dp_buf *out, const char *origin, const uint8_t sk[64], const uint8_t root[32],
		    uint64_t size)
{
	dp_checkpoint cp;
	memset(&cp, 0, sizeof cp);
	snprintf(cp.origin, sizeof cp.origin, "%s", origin);
	cp.size = size;
	memcpy(cp.root, root, 32);
	dp_buf text;
	dp_buf_init(&text, 4096);
	dp_buf_reset(out);
	out->len = 0;
	int r = dp_checkpoint_format(&text, &cp);
	r = r ? r : dp_buf_append(out, text.p, text.len);
	r = r ? r : dp_buf_putc(out, '\n');
	r = r ? r : dp_note_sign_line(out, (const char *)text.p, text.len, ORIGIN, sk);
	CHECK(r == DP_OK);
	dp_buf_free(&text);
}

static void tree_note(dp_buf *out, const tree *t, uint64_t size)
{
	uint8_t root[32];
	root_of(t, size, root);
	note_of(out, ORIGIN, log_sk, root, size);
}

static int open_note(const dp_buf *b, cli_ckpt *c)
{
	return cli_ckpt_open(&log_vk, (const char *)b->p, b->len, c);
}

/* ---- checkpoints under the log key ---- */

static void test_ckpt(void)
{
	tree t;
	tree_make(&t, 5, -1);
	dp_buf b;
	dp_buf_init(&b, DP_NOTE_MAX);
	cli_ckpt c;
	tree_note(&b, &t, 5);
	CHECK(open_note(&b, &c) == DP_OK && c.cp.size == 5 && c.len == b.len && c.text_len < c.len);
	cli_ckpt_free(&c);
	/* signed by another key under the log's name: refused */
	uint8_t root[32];
	root_of(&t, 5, root);
	note_of(&b, ORIGIN, other_sk, root, 5);
	CHECK(open_note(&b, &c) == DP_ESIG);
	cli_ckpt_free(&c);
	/* the log key signing a checkpoint of another origin: refused */
	note_of(&b, "other.example/log", log_sk, root, 5);
	CHECK(open_note(&b, &c) != DP_OK);
	cli_ckpt_free(&c);
	/* one byte changed */
	tree_note(&b, &t, 5);
	b.p[b.len / 3] ^= 1;
	CHECK(open_note(&b, &c) != DP_OK);
	cli_ckpt_free(&c);
	/* not text */
	tree_note(&b, &t, 5);
	b.p[2] = 0;
	CHECK(open_note(&b, &c) == DP_EPARSE);
	CHECK(cli_ckpt_open(&log_vk, "", 0, &c) == DP_EPARSE);
	dp_buf_free(&b);
	free(t.leaf);
}

/* ---- the accept rules ---- */

static void judge(const tree *ta, uint64_t m, tree *tb, uint64_t n, int with_proof, int flip,
		  int want, const char *why_has)
{
	dp_buf a, b;
	dp_buf_init(&a, DP_NOTE_MAX);
	dp_buf_init(&b, DP_NOTE_MAX);
	tree_note(&a, ta, m);
	tree_note(&b, tb, n);
	cli_ckpt ca, cb;
	CHECK(open_note(&a, &ca) == DP_OK);
	CHECK(open_note(&b, &cb) == DP_OK);
	uint8_t pf[DP_TLOG_PROOF_MAX][DP_TLOG_HASH];
	size_t np = 0;
	if (with_proof && m > 0 && m < n)
		CHECK(dp_tlog_prove_consistency(m, n, rd, tb, pf, &np) == DP_OK);
	if (flip && np)
		pf[np - 1][5] ^= 0x40;
	char why[512];
	int r = cli_log_judge(m ? &ca : NULL, &cb, (const uint8_t(*)[DP_TLOG_HASH])pf, np, why, sizeof why);
	CHECKF(r == want, "judge %llu -> %llu: %d, want %d (%s)", (unsigned long long)m, (unsigned long long)n,
	       r, want, why);
	if (why_has)
		CHECKF(strstr(why, why_has) != NULL, "why: %s", why);
	cli_ckpt_free(&ca);
	cli_ckpt_free(&cb);
	dp_buf_free(&a);
	dp_buf_free(&b);
}

static void test_judge(void)
{
	tree a, b;
	tree_make(&a, 40, -1);
	tree_make(&b, 40, 20); /* same first 20 entries, then another history */
	judge(&a, 0, &a, 7, 0, 0, DP_OK, NULL);            /* nothing seen yet */
	judge(&a, 7, &a, 7, 0, 0, DP_OK, NULL);            /* same tree */
	judge(&a, 7, &a, 33, 1, 0, DP_OK, NULL);           /* grows, proof verifies */
	judge(&a, 8, &a, 33, 1, 0, DP_OK, NULL);           /* old size a power of two */
	judge(&a, 7, &a, 33, 1, 1, CLI_EFORK, "does not verify");
	judge(&a, 7, &a, 33, 0, 0, CLI_EFORK, "does not verify"); /* no proof at all */
	judge(&a, 12, &b, 33, 1, 0, DP_OK, NULL);          /* shared prefix: consistent */
	judge(&a, 25, &b, 33, 1, 0, CLI_EFORK, "own consistency proof"); /* conclusive */
	judge(&a, 31, &b, 33, 1, 0, CLI_EFORK, "own consistency proof");
	/* an old size that is a power of two: the proof leaves out the old root, so a
	 * failing proof is not by itself conclusive */
	judge(&a, 32, &b, 33, 1, 0, CLI_EFORK, "does not verify");
	judge(&a, 25, &b, 25, 0, 0, CLI_EFORK, "two different roots");
	judge(&a, 30, &a, 29, 0, 0, DP_ESTATE, NULL);      /* older: the caller needs a proof back */
	free(a.leaf);
	free(b.leaf);
}

/* cli_log_cons_roots computes exactly the roots the verifier accepts, for every pair. */
static void test_cons_roots(void)
{
	tree t;
	tree_make(&t, 48, -1);
	int bad = 0, pairs = 0;
	for (uint64_t m = 1; m < 48; m++)
		for (uint64_t n = m + 1; n <= 48; n++) {
			uint8_t pf[DP_TLOG_PROOF_MAX][DP_TLOG_HASH], r1[32], r2[32], fr[32], sr[32];
			size_t np;
			root_of(&t, m, r1);
			root_of(&t, n, r2);
			if (dp_tlog_prove_consistency(m, n, rd, &t, pf, &np) ||
			    dp_tlog_verify_consistency(m, n, r1, r2, (const uint8_t(*)[32])pf, np) ||
			    cli_log_cons_roots(m, n, r1, (const uint8_t(*)[32])pf, np, fr, sr) ||
			    memcmp(fr, r1, 32) || memcmp(sr, r2, 32))
				bad++;
			/* a proof one hash short has the wrong shape */
			if (np > 1 && cli_log_cons_roots(m, n, r1, (const uint8_t(*)[32])pf, np - 1, fr, sr) == DP_OK &&
			    !memcmp(sr, r2, 32))
				bad++;
			pairs++;
		}
	CHECKF(bad == 0, "%d of %d pairs", bad, pairs);
	CHECK(pairs == 47 * 48 / 2);
	uint8_t z[32] = {0}, fr[32], sr[32];
	CHECK(cli_log_cons_roots(0, 5, z, (const uint8_t(*)[32])z, 1, fr, sr) == DP_EINVAL);
	CHECK(cli_log_cons_roots(5, 5, z, (const uint8_t(*)[32])z, 1, fr, sr) == DP_EINVAL);
	CHECK(cli_log_cons_roots(3, 5, z, (const uint8_t(*)[32])z, 0, fr, sr) == DP_EINVAL);
	free(t.leaf);
}

/* ---- a device state directory with a log key ---- */

static void ctx_init(cli_ctx *x, const char *home)
{
	memset(x, 0, sizeof *x);
	snprintf(x->home, sizeof x->home, "%s", home);
	x->have_ans = 1;
	snprintf(x->ans.switches.url[0], sizeof x->ans.switches.url[0], "https://127.0.0.1:1");
	x->ans.switches.n = 1;
	memset(x->ans.device_id, 0xd1, 32);
	CHECK(dp_note_vkey_format(x->ans.log_key, sizeof x->ans.log_key, &log_vk) == DP_OK);
}

static void test_evidence(const char *home)
{
	cli_ctx x;
	ctx_init(&x, home);
	dp_note_vkey k;
	CHECK(cli_log_key(&x, &k) == DP_OK && k.id == log_vk.id && !memcmp(k.pub, log_pk, 32));
	tree a, b;
	tree_make(&a, 30, -1);
	tree_make(&b, 30, 10);
	dp_buf na, nb;
	dp_buf_init(&na, DP_NOTE_MAX);
	dp_buf_init(&nb, DP_NOTE_MAX);
	tree_note(&na, &a, 20);
	tree_note(&nb, &b, 30);
	cli_ckpt ca, cb;
	CHECK(open_note(&na, &ca) == DP_OK && open_note(&nb, &cb) == DP_OK);
	uint8_t pf[DP_TLOG_PROOF_MAX][DP_TLOG_HASH];
	size_t np;
	CHECK(dp_tlog_prove_consistency(20, 30, rd, &b, pf, &np) == DP_OK);
	char dir[PATH_MAX], p1[PATH_MAX], p2[PATH_MAX];
	snprintf(dir, sizeof dir, "%s/log", home);
	CHECK(cli_log_evidence(&x, dir, &ca, &cb, 20, 30, (const uint8_t(*)[32])pf, np, "test", p1) == DP_OK);
	CHECK(cli_log_evidence(&x, dir, &ca, &cb, 20, 30, (const uint8_t(*)[32])pf, np, "test", p2) == DP_OK);
	CHECKF(strcmp(p1, p2) != 0, "two pieces of evidence, two files (%s)", p1);
	struct stat st;
	CHECK(stat(p1, &st) == 0 && (st.st_mode & 0777) == 0600);
	size_t len;
	uint8_t *f = t_read_file(p1, &len);
	CHECK(f && len > 22 && !memcmp(f, "DENPO-FORK-EVIDENCE/1\n", 22));
	/* both notes are in it, base64, and decode to the very bytes */
	char *s = f ? strstr((char *)f, "\nVerified-Checkpoint: ") : NULL;
	if (s) {
		s += 22;
		char *e = strchr(s, '\n');
		uint8_t dec[DP_NOTE_MAX];
		size_t dl;
		CHECK(e && dp_b64_decode(dec, sizeof dec, &dl, s, (size_t)(e - s), 1) == DP_OK && dl == na.len &&
		      !memcmp(dec, na.p, dl));
	} else
		CHECK(s != NULL);
	CHECK(f && strstr((char *)f, "\nProof-From: 20\nProof-Size: 30\n") != NULL);
	size_t nproof = 0;
	for (char *q = f ? (char *)f : NULL; q && (q = strstr(q, "\nProof: ")); q++)
		nproof++;
	CHECK(nproof == np);
	free(f);
	unlink(p1);
	unlink(p2);
	cli_ckpt_free(&ca);
	cli_ckpt_free(&cb);
	dp_buf_free(&na);
	dp_buf_free(&nb);
	free(a.leaf);
	free(b.leaf);
}

/* ---- the audit mirror ---- */

static int count_cb(void *ctx, uint64_t idx, const uint8_t *e, size_t len)
{
	uint64_t *n = ctx;
	if (idx != *n)
		return DP_EINVAL; /* entries come in index order */
	(*n)++;
	return DP_OK;
}

static void write_mirror(const char *home, uint64_t size, const char *salt)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/audit", home);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/audit/entries", home);
	mkdir(p, 0700);
	dp_tlog_range rng;
	dp_tlog_range_init(&rng);
	for (uint64_t b = 0; b * 256 < size; b++) {
		dp_buf bun;
		dp_buf_init(&bun, DP_CLIENT_BUNDLE_MAX);
		uint64_t end = (b + 1) * 256 < size ? (b + 1) * 256 : size;
		for (uint64_t i = b * 256; i < end; i++) {
			char e[96];
			int l = snprintf(e, sizeof e, "DENPO-LOG/1 test entry %llu %s", (unsigned long long)i, salt);
			uint8_t h[32];
			dp_tlog_leaf_hash(h, (const uint8_t *)e, (size_t)l);
			CHECK(dp_tlog_range_append(&rng, h, NULL, NULL) == DP_OK);
			CHECK(dp_tlog_bundle_put(&bun, (const uint8_t *)e, (size_t)l) == DP_OK);
		}
		snprintf(p, sizeof p, "%s/audit/entries/%llu%s", home, (unsigned long long)b,
			 end - b * 256 == 256 ? "" : ".p");
		CHECK(dp_write_file(p, bun.p, bun.len, 0600, 0) == DP_OK);
		dp_buf_free(&bun);
	}
	uint8_t root[32];
	dp_tlog_range_root(&rng, root);
	dp_buf n;
	dp_buf_init(&n, DP_NOTE_MAX);
	note_of(&n, ORIGIN, log_sk, root, size);
	snprintf(p, sizeof p, "%s/audit/checkpoint", home);
	CHECK(dp_write_file(p, n.p, n.len, 0600, 0) == DP_OK);
	dp_buf_free(&n);
}

static void test_mirror(const char *home)
{
	cli_ctx x;
	ctx_init(&x, home);
	audit_mirror m;
	char why[512];
	uint64_t cnt = 0;
	CHECK(audit_mirror_open(&x, &m, 0, count_cb, &cnt, why, sizeof why) == DP_ENOTFOUND);
	const uint64_t size = 600; /* two full bundles and a partial one */
	write_mirror(home, size, "a");
	CHECKF(audit_mirror_open(&x, &m, 1, count_cb, &cnt, why, sizeof why) == DP_OK, "%s", why);
	CHECK(cnt == size && m.ck.cp.size == size);
	/* every proof from the mirror verifies; a wrong index does not */
	int bad = 0;
	for (uint64_t i = 0; i < size; i++) {
		uint8_t pf[DP_TLOG_PROOF_MAX][DP_TLOG_HASH];
		size_t np;
		if (audit_mirror_prove(&m, i, pf, &np) ||
		    dp_tlog_verify_inclusion(i, size, m.leaf[i], (const uint8_t(*)[32])pf, np, m.ck.cp.root) ||
		    dp_tlog_verify_inclusion((i + 1) % size, size, m.leaf[i], (const uint8_t(*)[32])pf, np,
					     m.ck.cp.root) == DP_OK)
			bad++;
	}
	CHECKF(bad == 0, "%d proofs", bad);
	uint8_t pf[DP_TLOG_PROOF_MAX][DP_TLOG_HASH];
	size_t np;
	CHECK(audit_mirror_prove(&m, size, pf, &np) == DP_EINVAL);
	audit_mirror_free(&m);
	/* one byte of one entry changed on disk: caught */
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/audit/entries/1", home);
	size_t len;
	uint8_t *f = t_read_file(p, &len);
	CHECK(f != NULL && len > 100);
	if (f) {
		f[len - 3] ^= 1;
		CHECK(dp_write_file(p, f, len, 0600, 0) == DP_OK);
		cnt = 0;
		CHECK(audit_mirror_open(&x, &m, 0, count_cb, &cnt, why, sizeof why) == DP_ESIG);
		CHECKF(strstr(why, "changed on disk") != NULL, "%s", why);
		f[len - 3] ^= 1;
		/* a bundle cut short: malformed */
		CHECK(dp_write_file(p, f, len - 1, 0600, 0) == DP_OK);
		CHECK(audit_mirror_open(&x, &m, 0, NULL, NULL, why, sizeof why) != DP_OK);
		CHECK(dp_write_file(p, f, len, 0600, 0) == DP_OK);
		CHECK(audit_mirror_open(&x, &m, 0, NULL, NULL, why, sizeof why) == DP_OK);
		audit_mirror_free(&m);
		free(f);
	}
	/* a missing bundle */
	snprintf(p, sizeof p, "%s/audit/entries/2.p", home);
	CHECK(unlink(p) == 0);
	CHECK(audit_mirror_open(&x, &m, 0, NULL, NULL, why, sizeof why) != DP_OK);
	/* a checkpoint of other entries (same size, other root) */
	write_mirror(home, size, "a");
	dp_buf n;
	dp_buf_init(&n, DP_NOTE_MAX);
	uint8_t root[32] = {1};
	note_of(&n, ORIGIN, log_sk, root, size);
	snprintf(p, sizeof p, "%s/audit/checkpoint", home);
	CHECK(dp_write_file(p, n.p, n.len, 0600, 0) == DP_OK);
	CHECK(audit_mirror_open(&x, &m, 0, NULL, NULL, why, sizeof why) == DP_ESIG);
	/* a checkpoint not signed by the log key */
	note_of(&n, ORIGIN, other_sk, root, size);
	CHECK(dp_write_file(p, n.p, n.len, 0600, 0) == DP_OK);
	CHECK(audit_mirror_open(&x, &m, 0, NULL, NULL, why, sizeof why) == DP_ESIG);
	dp_buf_free(&n);
	/* the empty log */
	write_mirror(home, 0, "a");
	CHECKF(audit_mirror_open(&x, &m, 1, NULL, NULL, why, sizeof why) == DP_OK, "%s", why);
	CHECK(m.ck.cp.size == 0);
	audit_mirror_free(&m);
}


/* ---- cosignatures: only lines that verify count ---- */

/* A cosignature/v1 line by a fresh device key over note's text, appended to note. */
static void add_cosig(dp_buf *note, uint8_t pk_out[32])
{
	uint8_t pk[32], sk[64];
	crypto_sign_keypair(pk, sk);
	char hex[65], name[DP_NOTE_NAME_MAX + 1];
	dp_hex_encode(hex, pk, 32);
	snprintf(name, sizeof name, "denpo-device/%s", hex);
	size_t tl = 0;
	CHECK(dp_note_parse((const char *)note->p, note->len, &tl, NULL, 0, NULL) == DP_OK);
	CHECK(dp_note_cosign_line(note, (const char *)note->p, tl, name, sk, 1771900000) == DP_OK);
	if (pk_out)
		memcpy(pk_out, pk, 32);
}

/* "— NAME base64(id || junk)": a line that names a key (right id) but does not verify. */
static void add_forged(dp_buf *note, const char *name, const uint8_t pub[32], size_t junk)
{
	uint8_t blob[4 + 128];
	uint32_t id = dp_note_key_id(name, DP_NOTE_COSIG_V1, pub);
	blob[0] = (uint8_t)(id >> 24), blob[1] = (uint8_t)(id >> 16), blob[2] = (uint8_t)(id >> 8), blob[3] = (uint8_t)id;
	dp_random(blob + 4, junk);
	char b64[256];
	dp_b64_encode(b64, blob, 4 + junk, 1);
	CHECK(dp_buf_printf(note, "\xe2\x80\x94 %s %s\n", name, b64) == DP_OK);
}

static void test_count_cosigs(void)
{
	tree t;
	tree_make(&t, 9, -1);
	dp_buf b;
	dp_buf_init(&b, DP_NOTE_MAX);
	tree_note(&b, &t, 9);
	cli_ckpt c;
	CHECK(open_note(&b, &c) == DP_OK && audit_count_cosigs(&c) == 0);
	cli_ckpt_free(&c);
	/* forged lines only: a random device name with its right key id, junk signatures */
	uint8_t pk[32], gpk[32];
	char hex[65], name[DP_NOTE_NAME_MAX + 1];
	for (int i = 0; i < 3; i++) {
		dp_random(pk, 32);
		dp_hex_encode(hex, pk, 32);
		snprintf(name, sizeof name, "denpo-device/%s", hex);
		add_forged(&b, name, pk, 72);
	}
	CHECK(dp_buf_printf(&b, "\xe2\x80\x94 denpo-device/nothex AAAAAAAAAAA=\n") == DP_OK);
	CHECKF(open_note(&b, &c) == DP_OK, "the log's signature still opens");
	CHECKF(audit_count_cosigs(&c) == 0, "forged denpo-device/ lines count for nothing (%zu)",
	       audit_count_cosigs(&c));
	cli_ckpt_free(&c);
	/* one genuine cosignature: 1; the same line again, or its name in upper case: still 1 */
	tree_note(&b, &t, 9);
	add_cosig(&b, gpk);
	CHECK(open_note(&b, &c) == DP_OK && audit_count_cosigs(&c) == 1);
	{
		/* a key the mirrored log never enrolled as a device counts for nothing */
		uint8_t ids[2][32];
		dp_random(ids[0], 32);
		memcpy(ids[1], gpk, 32);
		CHECKF(audit_count_cosigs_of(&c, (const uint8_t(*)[32])ids, 1) == 0,
		       "a valid cosignature by a key no device-enrolled entry names counts 0 (%zu)",
		       audit_count_cosigs_of(&c, (const uint8_t(*)[32])ids, 1));
		CHECKF(audit_count_cosigs_of(&c, (const uint8_t(*)[32])ids, 0) == 0,
		       "no enrolled device at all: 0");
		CHECKF(audit_count_cosigs_of(&c, (const uint8_t(*)[32])ids, 2) == 1,
		       "the enrolled device's cosignature counts 1 (%zu)",
		       audit_count_cosigs_of(&c, (const uint8_t(*)[32])ids, 2));
		CHECK(audit_count_cosigs_of(&c, NULL, 0) == 1);
	}
	size_t l0 = c.len;
	const char *line = strstr(c.note, "\xe2\x80\x94 denpo-device/");
	CHECK(line != NULL);
	if (line) {
		char *dup = strdup(line);
		CHECK(dp_buf_printf(&b, "%s", dup) == DP_OK);
		for (char *q = dup + strlen("\xe2\x80\x94 denpo-device/"); *q && *q != ' '; q++)
			if (*q >= 'a' && *q <= 'f')
				*q = (char)(*q - 32);
		CHECK(dp_buf_printf(&b, "%s", dup) == DP_OK);
		free(dup);
	}
	dp_random(pk, 32);
	dp_hex_encode(hex, pk, 32);
	snprintf(name, sizeof name, "denpo-device/%s", hex);
	add_forged(&b, name, pk, 72);
	add_cosig(&b, NULL); /* a second genuine one */
	cli_ckpt_free(&c);
	CHECK(open_note(&b, &c) == DP_OK && c.len > l0);
	CHECKF(audit_count_cosigs(&c) == 2, "two devices cosigned, whatever else the note says (%zu)",
	       audit_count_cosigs(&c));
	cli_ckpt_free(&c);
	dp_buf_free(&b);
	free(t.leaf);
}

/* ---- the empty tree after a larger one: refused, no evidence; audit verify: inconclusive ---- */

static size_t count_evidence(const char *dir)
{
	char cmd[PATH_MAX + 64];
	snprintf(cmd, sizeof cmd, "ls '%s' 2>/dev/null | grep -c '^fork-evidence-'", dir);
	FILE *f = popen(cmd, "r");
	unsigned long n = 0;
	if (f) {
		if (fscanf(f, "%lu", &n) != 1)
			n = 0;
		pclose(f);
	}
	return n;
}

static void test_empty_after(const char *home)
{
	cli_ctx x;
	ctx_init(&x, home);
	char dir[PATH_MAX + 16], path[PATH_MAX + 32], ev[PATH_MAX], vk[DP_NOTE_VKEY_MAX + 1];
	snprintf(dir, sizeof dir, "%s/log", home);
	snprintf(path, sizeof path, "%s/log/checkpoint", home);
	CHECK(dp_note_vkey_format(vk, sizeof vk, &log_vk) == DP_OK);
	tree t;
	tree_make(&t, 20, -1);
	dp_buf n20, n0, n5, n9;
	dp_buf_init(&n20, DP_NOTE_MAX);
	dp_buf_init(&n0, DP_NOTE_MAX);
	dp_buf_init(&n5, DP_NOTE_MAX);
	dp_buf_init(&n9, DP_NOTE_MAX);
	tree_note(&n20, &t, 20);
	tree_note(&n0, &t, 0);
	tree_note(&n5, &t, 5);
	tree_note(&n9, &t, 9);
	CHECK(cli_log_accept(&x, (const char *)n20.p, n20.len, 0, NULL, 0, ev) == DP_OK);
	size_t before = count_evidence(dir);
	int r = cli_log_accept(&x, (const char *)n0.p, n0.len, 20, NULL, 0, ev);
	CHECKF(r == DP_ESTATE, "the empty log after size 20: refused as an error, not a fork (%d)", r);
	CHECK(ev[0] == 0 && count_evidence(dir) == before);
	size_t len;
	uint8_t *f = t_read_file(path, &len);
	CHECK(f && len == n20.len && !memcmp(f, n20.p, len)); /* the device keeps what it verified */
	free(f);
	/* evidence files made by hand: audit verify's verdicts */
	cli_ckpt c0, c5, c9, c20;
	CHECK(open_note(&n0, &c0) == DP_OK && open_note(&n5, &c5) == DP_OK && open_note(&n9, &c9) == DP_OK &&
	      open_note(&n20, &c20) == DP_OK);
	char e1[PATH_MAX], e2[PATH_MAX], e3[PATH_MAX], e4[PATH_MAX];
	uint8_t pf[DP_TLOG_PROOF_MAX][DP_TLOG_HASH];
	size_t np = 0;
	CHECK(dp_tlog_prove_consistency(5, 9, rd, &t, pf, &np) == DP_OK && np > 0);
	CHECK(cli_log_evidence(&x, dir, &c20, &c0, 0, 0, NULL, 0, "test", e1) == DP_OK);
	CHECK(cli_log_evidence(&x, dir, &c5, &c9, 0, 0, NULL, 0, "test", e2) == DP_OK);
	pf[np - 1][3] ^= 1; /* a wrong proof: the switch's mistake, not a fork */
	CHECK(cli_log_evidence(&x, dir, &c5, &c9, 5, 9, (const uint8_t(*)[32])pf, np, "test", e3) == DP_OK);
	tree b;
	tree_make(&b, 20, 3);
	dp_buf nb;
	dp_buf_init(&nb, DP_NOTE_MAX);
	tree_note(&nb, &b, 5);
	cli_ckpt cb5;
	CHECK(open_note(&nb, &cb5) == DP_OK);
	CHECK(cli_log_evidence(&x, dir, &c5, &cb5, 0, 0, NULL, 0, "test", e4) == DP_OK);
	int saved = dup(1), nul = open("/dev/null", O_WRONLY);
	fflush(stdout);
	dup2(nul, 1);
	int v1 = audit_verify(&x, e1, vk), v2 = audit_verify(&x, e2, vk), v3 = audit_verify(&x, e3, vk),
	    v4 = audit_verify(&x, e4, vk), v5 = audit_verify(&x, e4, NULL);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(nul);
	CHECKF(v1 == 4, "size 0 and size 20: inconclusive (exit %d)", v1);
	CHECKF(v2 == 4, "sizes 5 and 9 of one log, no proof: inconclusive, not OK (exit %d)", v2);
	CHECKF(v3 == 4, "sizes 5 and 9 with a proof that does not verify: inconclusive (exit %d)", v3);
	CHECKF(v4 == 0, "two roots for size 5: conclusive (exit %d)", v4);
	CHECKF(v5 == 4, "the same under the file's own key only: inconclusive (exit %d)", v5);
	cli_ckpt_free(&c0);
	cli_ckpt_free(&c5);
	cli_ckpt_free(&c9);
	cli_ckpt_free(&c20);
	cli_ckpt_free(&cb5);
	dp_buf_free(&nb);
	dp_buf_free(&n0);
	dp_buf_free(&n5);
	dp_buf_free(&n9);
	dp_buf_free(&n20);
	free(t.leaf);
	free(b.leaf);
}

/* ---- the endpoints, against openssl s_server -WWW ---- */

static int free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof a;
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) || getsockname(s, (struct sockaddr *)&a, &l)) {
		if (s >= 0)
			close(s);
		return -1;
	}
	close(s);
	return ntohs(a.sin_port);
}

static int wait_port(int port)
{
	for (int i = 0; i < 100; i++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
		close(s);
		if (ok)
			return 1;
		struct timespec ts = {0, 50000000};
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* A canned answer: s_server -WWW serves the file named like the request path (query included). */
static void serve(const char *root, const char *path, const char *body)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/%s", root, path);
	for (char *s = p + strlen(root) + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			mkdir(p, 0700);
			*s = '/';
		}
	CHECK(dp_write_file(p, body, strlen(body), 0600, 0) == DP_OK);
}

static const char dev_json[] =
	"{\"device\": \"%s\", \"officer\": \"sato.k\", \"post\": \"HQ\", \"role\": \"action\", "
	"\"key_type\": 3, \"epoch\": 1, \"not_before\": 1, \"not_after\": 2, \"age_recipient\": \"age1pq1x\", "
	"\"epoch_key\": \"DENPO-EPOCH-KEY/1\\n\"%s}";

static void test_endpoints(const char *dir)
{
	if (system("command -v openssl >/dev/null 2>&1") != 0) {
		t_skipped("log endpoints", "no openssl binary");
		return;
	}
	char www[PATH_MAX], cert[PATH_MAX], key[PATH_MAX], url[64];
	snprintf(www, sizeof www, "%s/www", dir);
	mkdir(www, 0700);
	snprintf(cert, sizeof cert, "%s/cert.pem", dir);
	snprintf(key, sizeof key, "%s/key.pem", dir);
	uint8_t sseed[32], dseed[32], spk[32];
	dp_random(sseed, 32);
	dp_random(dseed, 32);
	dp_tls_pk_from_seed(sseed, spk);
	dp_buf cp, kp;
	dp_buf_init(&cp, 16384);
	dp_buf_init(&kp, 16384);
	CHECK(dp_tls_selfsigned(sseed, "switch", &cp, &kp) == DP_OK);
	CHECK(dp_write_file(cert, cp.p, cp.len, 0600, 0) == DP_OK);
	CHECK(dp_write_file(key, kp.p, kp.len, 0600, 0) == DP_OK);
	dp_buf_free(&cp);
	dp_buf_free(&kp);

	/* the canned answers */
	tree t;
	tree_make(&t, 20, -1);
	dp_buf note;
	dp_buf_init(&note, DP_NOTE_MAX);
	tree_note(&note, &t, 20);
	serve(www, "v1/log/checkpoint", (const char *)note.p);
	uint8_t pf[DP_TLOG_PROOF_MAX][DP_TLOG_HASH];
	size_t np;
	CHECK(dp_tlog_prove_consistency(7, 20, rd, &t, pf, &np) == DP_OK);
	dp_buf js;
	dp_buf_init(&js, 65536);
	CHECK(dp_buf_printf(&js, "{\"size\": 20, \"proof\": [") == DP_OK);
	for (size_t i = 0; i < np; i++) {
		char b64[48];
		dp_b64_encode(b64, pf[i], 32, 1);
		CHECK(dp_buf_printf(&js, "%s\"%s\"", i ? ", " : "", b64) == DP_OK);
	}
	CHECK(dp_buf_printf(&js, "]}") == DP_OK);
	serve(www, "v1/log/proof/consistency?from=7&size=20", (const char *)js.p);
	serve(www, "v1/log/proof/consistency?from=7&size=19", (const char *)js.p); /* wrong size */
	serve(www, "v1/log/proof/consistency?from=1&size=20", "{\"size\": 20, \"proof\": [\"AAAA\"]}");
	serve(www, "v1/log/proof/inclusion?index=3&size=20", "{\"size\": 20, \"proof\": []}");
	serve(www, "v1/log/tile/0/000.p/20", "0123456789abcdef0123456789abcdef"); /* 1 hash, 20 wanted */
	/* 20 hashes */
	char tile[20 * 32 + 1];
	memset(tile, 'h', sizeof tile - 1);
	tile[sizeof tile - 1] = 0;
	serve(www, "v1/log/tile/1/x001/234.p/20", tile);
	/* resolve: absent log fields, present ones, malformed ones */
	char hex[65], b[8192], ent[64], ck[DP_NOTE_MAX * 2];
	memset(hex, 'a', 64);
	hex[64] = 0;
	dp_b64_encode(ent, (const uint8_t *)"DENPO-LOG/1 x", 13, 1);
	char p0[48];
	dp_b64_encode(p0, pf[0], 32, 1);
	/* the note, JSON-escaped (it holds newlines and an em dash, which JSON carries as UTF-8) */
	size_t k = 0;
	for (size_t i = 0; i < note.len && k + 3 < sizeof ck; i++) {
		if (note.p[i] == '\n') {
			ck[k++] = '\\';
			ck[k++] = 'n';
		} else
			ck[k++] = (char)note.p[i];
	}
	ck[k] = 0;
	snprintf(b, sizeof b, "{\"devices\": [" "%s" "]}", "");
	char d1[2048], d2[2048];
	snprintf(d1, sizeof d1, dev_json, hex, "");
	snprintf(b, sizeof b, "{\"devices\": [%s], \"unreachable\": ["
		 "{\"device\": \"%s\", \"officer\": \"mori.a\", \"post\": \"HQ\", \"role\": \"info\", "
		 "\"last_not_after\": null, \"reason\": \"key not yet in the log\"}, "
		 "{\"device\": \"%s\", \"officer\": \"ono.b\", \"post\": \"HQ\", \"role\": \"info\", "
		 "\"last_not_after\": 5}]}", d1, hex, hex);
	serve(www, "v1/directory/resolve?to=PLAIN&classification=UNCLASSIFIED&log_size=0", b);
	/* an unreachable reason that is not a clean string */
	snprintf(b, sizeof b, "{\"devices\": [%s], \"unreachable\": ["
		 "{\"device\": \"%s\", \"officer\": \"mori.a\", \"post\": \"HQ\", \"role\": \"info\", "
		 "\"last_not_after\": null, \"reason\": 7}]}", d1, hex);
	serve(www, "v1/directory/resolve?to=BADREASON&classification=UNCLASSIFIED&log_size=0", b);
	/* the switch's clock an hour behind: the device's next key starts before this device's now */
	int64_t swnow = dp_now() - 3600;
	snprintf(b, sizeof b, "{\"devices\": [], \"unreachable\": ["
		 "{\"device\": \"%s\", \"officer\": \"mori.a\", \"post\": \"HQ\", \"role\": \"info\", "
		 "\"last_not_after\": null, \"next_not_before\": %lld, \"at\": %lld, "
		 "\"reason\": \"no key valid yet at the switch's time\"}]}",
		 hex, (long long)swnow + 3000, (long long)swnow);
	serve(www, "v1/directory/resolve?to=CLOCK&classification=UNCLASSIFIED&log_size=0", b);
	snprintf(b, sizeof b, "{\"devices\": [], \"unreachable\": ["
		 "{\"device\": \"%s\", \"officer\": \"mori.a\", \"post\": \"HQ\", \"role\": \"info\", "
		 "\"last_not_after\": null, \"at\": \"noon\"}]}", hex);
	serve(www, "v1/directory/resolve?to=BADAT&classification=UNCLASSIFIED&log_size=0", b);
	char extra[1024];
	snprintf(extra, sizeof extra,
		 ", \"enrolment\": {\"index\": 12, \"entry\": \"%s\", \"proof\": [\"%s\"]}, "
		 "\"key_entry\": {\"index\": 40, \"entry\": \"%s\", \"proof\": []}",
		 ent, p0, ent);
	snprintf(d2, sizeof d2, dev_json, hex, extra);
	dp_buf big;
	dp_buf_init(&big, 1 << 20);
	CHECK(dp_buf_printf(&big, "{\"log\": {\"checkpoint\": \"%s\", \"consistency\": [\"%s\"]}, \"devices\": [%s]}",
			    ck, p0, d2) == DP_OK);
	serve(www, "v1/directory/resolve?to=LOGGED&classification=UNCLASSIFIED&log_size=7", (const char *)big.p);
	/* malformed: a proof hash that is not 32 bytes; an entry that is not base64; no checkpoint */
	snprintf(extra, sizeof extra, ", \"enrolment\": {\"index\": 12, \"entry\": \"%s\", \"proof\": [\"AAAA\"]}", ent);
	snprintf(d2, sizeof d2, dev_json, hex, extra);
	snprintf(b, sizeof b, "{\"devices\": [%s]}", d2);
	serve(www, "v1/directory/resolve?to=BADPROOF&classification=UNCLASSIFIED&log_size=0", b);
	snprintf(extra, sizeof extra, ", \"key_entry\": {\"index\": 12, \"entry\": \"#!\", \"proof\": []}");
	snprintf(d2, sizeof d2, dev_json, hex, extra);
	snprintf(b, sizeof b, "{\"devices\": [%s]}", d2);
	serve(www, "v1/directory/resolve?to=BADENTRY&classification=UNCLASSIFIED&log_size=0", b);
	snprintf(b, sizeof b, "{\"log\": {\"consistency\": []}, \"devices\": [%s]}", d1);
	serve(www, "v1/directory/resolve?to=NOCKPT&classification=UNCLASSIFIED&log_size=0", b);

	/* proofs in list and cable answers (log_size=M): envelope, log_index, log_entry, log */
	static const char item[] =
		"{\"cable_id\": \"%s\", \"mrn\": \"26 HQ 000003\", \"seq\": 41, \"precedence\": \"FLASH\", "
		"\"role\": \"action\", \"classification\": \"SECRET\", \"from\": \"HQ\", \"accepted\": 1771928580, "
		"\"size\": 5120, \"fetched\": false%s}";
	const char *cid = "0123456789abcdef0123456789abcdef";
	char i1[2048], i2[1024], i3[1024], envb[64];
	dp_b64_encode(envb, (const uint8_t *)"DPEV envelope", 13, 1);
	snprintf(extra, sizeof extra,
		 ", \"envelope\": \"%s\", \"log_index\": 3, \"log_entry\": {\"index\": 3, \"entry\": \"%s\", "
		 "\"proof\": [\"%s\"]}", envb, ent, p0);
	snprintf(i1, sizeof i1, item, cid, extra);
	snprintf(i2, sizeof i2, item, cid, ", \"envelope\": \"AAAA\", \"log_index\": null");
	snprintf(i3, sizeof i3, item, cid, ", \"log_index\": 25");
	dp_buf_reset(&big);
	big.len = 0;
	char orig[512], sk64[48];
	uint8_t dk[32];
	memset(dk, 0xaa, 32);
	dp_b64_encode(sk64, dk, 32, 1);
	snprintf(orig, sizeof orig,
		 "{\"%s\": {\"device\": \"%s\", \"officer\": \"sato.k\", \"post\": \"HQ\", \"status\": "
		 "\"active\", \"sign_key\": \"%s\"}}",
		 hex, hex, sk64);
	CHECK(dp_buf_printf(&big, "{\"log\": {\"checkpoint\": \"%s\", \"consistency\": []}, \"originators\": %s, "
				  "\"cables\": [%s, %s, %s]}",
			    ck, orig, i1, i2, i3) == DP_OK);
	serve(www, "v1/inbox?log_size=7", (const char *)big.p);
	/* an originator filed under another device's id */
	orig[2] = orig[2] == 'a' ? 'b' : 'a';
	snprintf(b, sizeof b, "{\"originators\": %s, \"cables\": []}", orig);
	serve(www, "v1/inbox?log_size=6", b);
	serve(www, "v1/archive?before=9&limit=5&log_size=0", "{\"cables\": []}");
	const char *bad_items[][2] = {
		{"v1/inbox?log_size=1", ", \"envelope\": \"#!\""},                 /* not base64 */
		{"v1/inbox?log_size=2", ", \"log_index\": -1"},                     /* not an index */
		{"v1/inbox?log_size=3", ", \"log_index\": \"3\""},                  /* a string */
		{"v1/inbox?log_size=4", ", \"log_entry\": {\"index\": 3, \"proof\": []}"}, /* no entry */
		{"v1/inbox?log_size=5", ", \"envelope\": \"\""},                   /* empty */
	};
	for (size_t i = 0; i < 5; i++) {
		snprintf(i2, sizeof i2, item, cid, bad_items[i][1]);
		snprintf(b, sizeof b, "{\"cables\": [%s]}", i2);
		serve(www, bad_items[i][0], b);
	}
	char path[128];
	snprintf(path, sizeof path, "v1/cables/%s/accepted?log_size=7", cid);
	dp_buf_reset(&big);
	big.len = 0;
	CHECK(dp_buf_printf(&big,
		 "{\"cable_id\": \"%s\", \"mrn\": \"26 HQ 000003\", \"accepted\": 1771928580, \"precedence\": "
		 "\"ROUTINE\", \"role\": \"info\", \"classification\": \"SECRET\", \"from\": \"HQ\", \"log\": "
		 "{\"checkpoint\": \"%s\", \"consistency\": []}, \"log_index\": 3, \"log_entry\": {\"index\": 3, "
		 "\"entry\": \"%s\", \"proof\": []}}",
		 cid, ck, ent) == DP_OK);
	serve(www, path, (const char *)big.p);
	snprintf(path, sizeof path, "v1/cables/%s/accepted?log_size=8", cid);
	serve(www, path, "{\"cable_id\": \"0123456789abcdef0123456789abcdef\", \"mrn\": \"26 HQ 000003\"}");
	snprintf(path, sizeof path, "v1/cables/%s/status?log_size=7", cid);
	dp_buf_reset(&big);
	big.len = 0;
	CHECK(dp_buf_printf(&big,
		 "{\"cable_id\": \"%s\", \"mrn\": \"26 HQ 000003\", \"precedence\": \"FLASH\", \"classification\": "
		 "\"SECRET\", \"accepted\": 1771928580, \"recipients\": [], \"log\": {\"checkpoint\": \"%s\", "
		 "\"consistency\": []}, \"log_index\": 3}",
		 cid, ck) == DP_OK);
	serve(www, path, (const char *)big.p);
	dp_buf_reset(&big);
	big.len = 0;
	CHECK(dp_buf_printf(&big,
		 "{\"log\": {\"checkpoint\": \"%s\", \"consistency\": []}, \"cables\": [{\"cable_id\": \"%s\", "
		 "\"seq\": 3, \"mrn\": \"26 HQ 000003\", \"precedence\": \"FLASH\", \"classification\": \"SECRET\", "
		 "\"accepted\": 1771928580, \"recipients\": 2, \"delivered\": 1, \"acked\": 0, \"log_index\": 3, "
		 "\"log_entry\": {\"index\": 3, \"entry\": \"%s\", \"proof\": [\"%s\"]}}]}",
		 ck, cid, ent, p0) == DP_OK);
	serve(www, "v1/sent?log_size=7", (const char *)big.p);
	/* a switch from before sent-list paging gives no seq: read, seq 0 */
	dp_buf_reset(&big);
	big.len = 0;
	CHECK(dp_buf_printf(&big,
		 "{\"log\": {\"checkpoint\": \"%s\", \"consistency\": []}, \"cables\": [{\"cable_id\": \"%s\", "
		 "\"mrn\": \"26 HQ 000003\", \"precedence\": \"FLASH\", \"classification\": \"SECRET\", "
		 "\"accepted\": 1771928580, \"recipients\": 2, \"delivered\": 1, \"acked\": 0, \"log_index\": 3, "
		 "\"log_entry\": {\"index\": 3, \"entry\": \"%s\", \"proof\": [\"%s\"]}}]}",
		 ck, cid, ent, p0) == DP_OK);
	serve(www, "v1/sent?log_size=8", (const char *)big.p);

	int port = free_port();
	char ports[16];
	snprintf(ports, sizeof ports, "%d", port);
	pid_t pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);
		dup2(nul, 1);
		dup2(nul, 2);
		if (chdir(www) != 0)
			_exit(127);
		execlp("openssl", "openssl", "s_server", "-accept", ports, "-cert", cert, "-key", key, "-tls1_3",
		       "-Verify", "1", "-WWW", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || port < 0 || !wait_port(port)) {
		t_skipped("log endpoints", "openssl s_server did not start");
		goto done;
	}
	snprintf(url, sizeof url, "https://127.0.0.1:%d", port);
	dp_client_config cfg = {.url = url, .tls_seed = dseed, .timeout_ms = 5000};
	memcpy(cfg.switch_tls_pk, spk, 32);
	dp_client *c;
	CHECK(dp_client_new(&c, &cfg) == DP_OK);
	dp_buf got;
	dp_buf_init(&got, DP_NOTE_MAX);
	int r = dp_client_log_checkpoint(c, &got);
	CHECKF(r == DP_OK && got.len == note.len && !memcmp(got.p, note.p, note.len), "checkpoint: %d %s", r,
	       dp_client_message(c));
	dp_buf small;
	dp_buf_init(&small, 10);
	CHECK(dp_client_log_checkpoint(c, &small) == DP_ETOOBIG); /* the caller's cap holds */
	dp_buf_free(&small);
	CHECK(dp_client_get_raw(c, "v1/log/checkpoint", &got) == DP_EINVAL);
	dp_log_proof lp;
	r = dp_client_log_consistency(c, 7, 20, &lp);
	CHECKF(r == DP_OK && lp.size == 20 && lp.n == np && !memcmp(lp.h, pf, np * 32), "consistency: %d %s", r,
	       dp_client_message(c));
	CHECK(dp_client_log_consistency(c, 7, 19, &lp) == DP_EPROTO);   /* answers size 20 */
	CHECK(dp_client_log_consistency(c, 1, 20, &lp) == DP_EPROTO);   /* a 3-byte "hash" */
	CHECK(dp_client_log_consistency(c, 0, 20, &lp) == DP_EINVAL);
	CHECK(dp_client_log_consistency(c, 21, 20, &lp) == DP_EINVAL);
	r = dp_client_log_inclusion(c, 3, 20, &lp);
	CHECKF(r == DP_OK && lp.n == 0, "inclusion: %d %s", r, dp_client_message(c));
	CHECK(dp_client_log_inclusion(c, 20, 20, &lp) == DP_EINVAL);
	dp_buf tb;
	dp_buf_init(&tb, DP_CLIENT_BUNDLE_MAX);
	CHECK(dp_client_log_tile(c, 0, 0, 20, &tb) == DP_EPROTO && tb.len == 0); /* 32 bytes, not 640 */
	r = dp_client_log_tile(c, 1, 1234, 20, &tb);
	CHECKF(r == DP_OK && tb.len == 640, "tile: %d %s", r, dp_client_message(c));
	CHECK(dp_client_log_tile(c, 0, 0, 0, &tb) == DP_EINVAL);
	CHECK(dp_client_log_tile(c, 0, 0, 257, &tb) == DP_EINVAL);
	CHECK(dp_client_log_tile(c, -2, 0, 1, &tb) == DP_EINVAL);
	dp_buf_free(&tb);
	dp_resolution res;
	dp_resolve_query q = {"PLAIN", NULL, NULL, NULL, DP_CLASS_UNCLASSIFIED};
	r = dp_client_resolve_log(c, &q, 0, &res);
	CHECKF(r == DP_OK && res.n == 1 && !res.log.present && !res.devs[0].enrolment.present &&
	       !res.devs[0].key_entry.present, "resolve without log fields: %d %s", r, dp_client_message(c));
	CHECKF(r == DP_OK && res.nunreachable == 2 && res.unreachable[0].not_logged &&
	       !res.unreachable[1].not_logged && res.unreachable[1].last_not_after == 5,
	       "unreachable: a key not yet in the log is told apart (%zu)", res.nunreachable);
	dp_resolution_free(&res);
	q.to = "BADREASON";
	CHECK(dp_client_resolve_log(c, &q, 0, &res) == DP_EPROTO);
	dp_resolution_free(&res);
	/* no Date header (s_server -WWW) and no "at" yet: nothing says the clocks disagree */
	int known = 1;
	char clock[256];
	CHECK(dp_client_clock_skew(c, &known) == 0 && !known);
	CHECK(!dp_client_clock_note(c, clock, sizeof clock) && !clock[0]);
	q.to = "BADAT";
	CHECK(dp_client_resolve_log(c, &q, 0, &res) == DP_EPROTO);
	dp_resolution_free(&res);
	q.to = "CLOCK";
	r = dp_client_resolve_log(c, &q, 0, &res);
	CHECKF(r == DP_OK && res.n == 0 && res.nunreachable == 1 && res.unreachable[0].at == swnow &&
	       res.unreachable[0].next_not_before == swnow + 3000 && !res.unreachable[0].not_logged,
	       "unreachable with the switch's time: %d %s", r, dp_client_message(c));
	dp_resolution_free(&res);
	int64_t skew = dp_client_clock_skew(c, &known);
	CHECKF(known && skew <= -3598 && skew >= -3602, "skew %lld", (long long)skew);
	CHECKF(dp_client_clock_note(c, clock, sizeof clock) &&
	       strstr(clock, "the switch's clock is 60 minutes behind this device's"), "%s", clock);
	q.to = "PLAIN";
	q.to = "LOGGED";
	r = dp_client_resolve_log(c, &q, 7, &res);
	CHECKF(r == DP_OK && res.n == 1, "resolve with log fields: %d %s", r, dp_client_message(c));
	if (r == DP_OK && res.n == 1) {
		CHECK(res.log.present && res.log.checkpoint_len == note.len &&
		      !memcmp(res.log.checkpoint, note.p, note.len) && res.log.nconsistency == 1 &&
		      !memcmp(res.log.consistency[0], pf[0], 32));
		const dp_resolved *d = &res.devs[0];
		CHECK(d->enrolment.present && d->enrolment.index == 12 && d->enrolment.entry_len == 13 &&
		      !memcmp(d->enrolment.entry, "DENPO-LOG/1 x", 13) && d->enrolment.nproof == 1);
		CHECK(d->key_entry.present && d->key_entry.index == 40 && d->key_entry.nproof == 0);
		/* the note it carries opens like the one from /v1/log/checkpoint */
		cli_ckpt cc;
		CHECK(cli_ckpt_open(&log_vk, res.log.checkpoint, res.log.checkpoint_len, &cc) == DP_OK &&
		      cc.cp.size == 20);
		cli_ckpt_free(&cc);
	}
	dp_resolution_free(&res);
	const char *bad[] = {"BADPROOF", "BADENTRY", "NOCKPT"};
	for (size_t i = 0; i < 3; i++) {
		q.to = bad[i];
		r = dp_client_resolve_log(c, &q, 0, &res);
		CHECKF(r == DP_EPROTO && res.devs == NULL && res.log.checkpoint == NULL, "%s: %d", bad[i], r);
		dp_resolution_free(&res);
	}
	/* the lists with proofs */
	dp_cable_list l;
	r = dp_client_inbox_log(c, 0, 0, 7, &l);
	CHECKF(r == DP_OK && l.n == 3 && l.log.present && l.log.checkpoint_len == note.len,
	       "inbox with proofs: %d %s", r, dp_client_message(c));
	if (r == DP_OK && l.n == 3) {
		const dp_cable_proof *p = l.proofs;
		CHECK(p[0].envelope_len == 13 && !memcmp(p[0].envelope, "DPEV envelope", 13));
		CHECK(p[0].acc.has_index && p[0].acc.index == 3 && p[0].acc.entry.present &&
		      p[0].acc.entry.index == 3 && p[0].acc.entry.nproof == 1 &&
		      !memcmp(p[0].acc.entry.proof[0], pf[0], 32));
		CHECK(p[1].envelope_len == 3 && p[1].acc.has_index && p[1].acc.index == -1 &&
		      !p[1].acc.entry.present);
		CHECK(!p[2].envelope && p[2].acc.index == 25 && !p[2].acc.entry.present);
		CHECK(!strcmp(l.items[0].mrn, "26 HQ 000003") && l.items[0].precedence == DP_PREC_FLASH);
		CHECK(l.norigins == 1 && l.origins[0].device[0] == 0xaa && !strcmp(l.origins[0].officer, "sato.k") &&
		      !strcmp(l.origins[0].status, "active") && l.origins[0].sign_key[31] == 0xaa);
	}
	dp_cable_list_free(&l);
	r = dp_client_archive_log(c, 9, 5, 0, &l);
	CHECKF(r == DP_OK && l.n == 0 && !l.log.present, "archive with proofs: %d %s", r, dp_client_message(c));
	dp_cable_list_free(&l);
	for (uint64_t m = 1; m <= 6; m++) {
		r = dp_client_inbox_log(c, 0, 0, m, &l);
		CHECKF(r == DP_EPROTO && l.items == NULL && l.proofs == NULL, "malformed proofs %llu: %d",
		       (unsigned long long)m, r);
		dp_cable_list_free(&l);
	}
	CHECK(dp_client_inbox_log(c, 61, 0, 0, &l) == DP_EINVAL);
	CHECK(dp_client_inbox_log(c, 0, 0, (uint64_t)INT64_MAX + 1, &l) == DP_EINVAL);
	dp_cable_accepted ca;
	r = dp_client_accepted(c, cid, 7, &ca);
	CHECKF(r == DP_OK && !strcmp(ca.mrn, "26 HQ 000003") && ca.accepted == 1771928580 &&
	       ca.precedence == DP_PREC_ROUTINE && ca.role == DP_ROLE_INFO && ca.classification == DP_CLASS_SECRET &&
	       !strcmp(ca.from, "HQ") && ca.log.present && ca.acc.index == 3 && ca.acc.entry.present,
	       "accepted: %d %s", r, dp_client_message(c));
	dp_cable_accepted_free(&ca);
	CHECK(dp_client_accepted(c, cid, 8, &ca) == DP_EPROTO); /* no time, precedence, ... */
	dp_cable_accepted_free(&ca);
	CHECK(dp_client_accepted(c, "../x", 7, &ca) == DP_EINVAL);
	dp_cable_status cs;
	r = dp_client_status_log(c, cid, 7, &cs);
	CHECKF(r == DP_OK && cs.classification == DP_CLASS_SECRET && cs.log.present && cs.acc.index == 3 &&
	       !cs.acc.entry.present, "status with proofs: %d %s", r, dp_client_message(c));
	dp_cable_status_free(&cs);
	dp_sent_list sl;
	r = dp_client_sent_log(c, 7, &sl);
	CHECKF(r == DP_OK && sl.n == 1 && sl.accs[0].index == 3 && sl.accs[0].entry.present && sl.log.present &&
	       sl.items[0].recipients == 2, "sent with proofs: %d %s", r, dp_client_message(c));
	CHECK(r == DP_OK && sl.n == 1 && sl.items[0].seq == 3);
	dp_sent_list_free(&sl);
	r = dp_client_sent_log(c, 8, &sl);
	CHECKF(r == DP_OK && sl.n == 1 && sl.items[0].seq == 0 && sl.items[0].recipients == 2,
	       "sent from an older switch (no seq): %d %s", r, dp_client_message(c));
	dp_sent_list_free(&sl);
	dp_buf_free(&got);
	dp_client_free(c);
done:
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	dp_buf_free(&big);
	dp_buf_free(&js);
	dp_buf_free(&note);
	free(t.leaf);
}

/* ---- audit sync against canned answers: a bad sync leaves the mirror as it was ---- */

static void log_entry(uint64_t i, char *e, size_t cap, int *l)
{
	*l = snprintf(e, cap, "DENPO-LOG/1 test entry %llu %s", (unsigned long long)i, "a"); /* write_mirror's */
}

/* Bundle n of the tree of `size` entries (entry `bad`, if any, changed). */
static void bundle_of(dp_buf *out, uint64_t n, uint64_t size, uint64_t bad)
{
	dp_buf_reset(out);
	out->len = 0;
	for (uint64_t i = n * 256; i < size && i < (n + 1) * 256; i++) {
		char e[96];
		int l;
		log_entry(i, e, sizeof e, &l);
		if (i == bad)
			e[l - 1] = 'b';
		CHECK(dp_tlog_bundle_put(out, (const uint8_t *)e, (size_t)l) == DP_OK);
	}
}

static void proof_json(dp_buf *js, const tree *t, uint64_t from, uint64_t size)
{
	uint8_t pf[DP_TLOG_PROOF_MAX][DP_TLOG_HASH];
	size_t np;
	CHECK(dp_tlog_prove_consistency(from, size, rd, (void *)(uintptr_t)t, pf, &np) == DP_OK);
	dp_buf_reset(js);
	js->len = 0;
	CHECK(dp_buf_printf(js, "{\"from\": %llu, \"size\": %llu, \"proof\": [", (unsigned long long)from,
			    (unsigned long long)size) == DP_OK);
	for (size_t i = 0; i < np; i++) {
		char b64[48];
		dp_b64_encode(b64, pf[i], 32, 1);
		CHECK(dp_buf_printf(js, "%s\"%s\"", i ? ", " : "", b64) == DP_OK);
	}
	CHECK(dp_buf_printf(js, "]}") == DP_OK);
}

static void serve_buf(const char *root, const char *path, const dp_buf *b)
{
	char *s = malloc(b->len + 1);
	memcpy(s, b->p, b->len);
	s[b->len] = 0;
	serve(root, path, s);
	free(s);
}

static void test_sync(const char *dir)
{
	if (system("command -v openssl >/dev/null 2>&1") != 0) {
		t_skipped("audit sync", "no openssl binary");
		return;
	}
	char www[PATH_MAX], cert[PATH_MAX], key[PATH_MAX], home[PATH_MAX], url[64], p[PATH_MAX + 64];
	snprintf(www, sizeof www, "%s/www-sync", dir);
	snprintf(home, sizeof home, "%s/auditor", dir);
	mkdir(www, 0700);
	mkdir(home, 0700);
	snprintf(cert, sizeof cert, "%s/cert.pem", dir); /* test_endpoints' */
	snprintf(key, sizeof key, "%s/key.pem", dir);
	uint8_t sseed[32], dseed[32], spk[32];
	dp_random(sseed, 32);
	dp_random(dseed, 32);
	dp_tls_pk_from_seed(sseed, spk);
	dp_buf cp, kp;
	dp_buf_init(&cp, 16384);
	dp_buf_init(&kp, 16384);
	CHECK(dp_tls_selfsigned(sseed, "switch", &cp, &kp) == DP_OK);
	CHECK(dp_write_file(cert, cp.p, cp.len, 0600, 0) == DP_OK);
	CHECK(dp_write_file(key, kp.p, kp.len, 0600, 0) == DP_OK);
	dp_buf_free(&cp);
	dp_buf_free(&kp);

	/* the log: write_mirror's entries; the mirror holds 600 of them */
	tree t;
	t.n = 760;
	t.leaf = calloc(t.n, DP_TLOG_HASH);
	for (uint64_t i = 0; i < t.n; i++) {
		char e[96];
		int l;
		log_entry(i, e, sizeof e, &l);
		dp_tlog_leaf_hash(t.leaf[i], (const uint8_t *)e, (size_t)l);
	}
	write_mirror(home, 600, "a");
	dp_buf note, js, bun;
	dp_buf_init(&note, DP_NOTE_MAX);
	dp_buf_init(&js, 65536);
	dp_buf_init(&bun, DP_CLIENT_BUNDLE_MAX);
	tree_note(&note, &t, 700);
	serve_buf(www, "v1/log/checkpoint", &note);
	proof_json(&js, &t, 600, 700);
	serve_buf(www, "v1/log/proof/consistency?from=600&size=700", &js);
	bundle_of(&bun, 2, 700, 650); /* entry 650 is not what the switch signed */
	snprintf(p, sizeof p, "%s/v1/log/tile/entries/002.p/188", www);
	serve(www, "v1/log/tile/entries/002.p/188", "");
	CHECK(dp_write_file(p, bun.p, bun.len, 0600, 0) == DP_OK);

	int port = free_port();
	char ports[16];
	snprintf(ports, sizeof ports, "%d", port);
	pid_t pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);
		dup2(nul, 1);
		dup2(nul, 2);
		if (chdir(www) != 0)
			_exit(127);
		execlp("openssl", "openssl", "s_server", "-accept", ports, "-cert", cert, "-key", key, "-tls1_3",
		       "-Verify", "1", "-WWW", (char *)NULL);
		_exit(127);
	}
	dp_client *c = NULL;
	if (pid < 0 || port < 0 || !wait_port(port)) {
		t_skipped("audit sync", "openssl s_server did not start");
		goto done;
	}
	snprintf(url, sizeof url, "https://127.0.0.1:%d", port);
	dp_client_config cfg = {.url = url, .tls_seed = dseed, .timeout_ms = 5000};
	memcpy(cfg.switch_tls_pk, spk, 32);
	CHECK(dp_client_new(&c, &cfg) == DP_OK);
	cli_ctx x;
	ctx_init(&x, home);
	x.cl = c;
	audit_sync_result res;
	audit_mirror m;
	char ev[PATH_MAX], why[768];
	int w = -1;

	/* 1. a bad bundle: the sync fails, the mirror answers as before */
	int r = audit_sync_min(&x, 0, 1, &res, &w, ev, why, sizeof why);
	CHECKF(r == DP_ESIG && strstr(why, "do not hash"), "bad bundle: %d %s (%s)", r, why, dp_client_message(c));
	r = audit_mirror_open(&x, &m, 0, NULL, NULL, why, sizeof why);
	CHECKF(r == DP_OK && m.ck.cp.size == 600, "the mirror after a failed sync: %d %s", r, why);
	if (r == DP_OK)
		audit_mirror_free(&m);
	snprintf(p, sizeof p, "%s/audit/entries/2.p.new", home);
	CHECK(access(p, F_OK) != 0);

	/* 2. the right bundle: no witnessed checkpoint (404), so the latest, unwitnessed */
	bundle_of(&bun, 2, 700, UINT64_MAX);
	snprintf(p, sizeof p, "%s/v1/log/tile/entries/002.p/188", www);
	CHECK(dp_write_file(p, bun.p, bun.len, 0600, 0) == DP_OK);
	r = audit_sync_min(&x, 0, 1, &res, &w, ev, why, sizeof why);
	CHECKF(r == DP_OK && res.size == 700 && res.old_size == 600 && res.fetched == 1 && w == 0 && res.cosigs == 0,
	       "sync to the latest: %d %s size %llu fetched %zu witnessed %d", r, why, (unsigned long long)res.size,
	       res.fetched, w);
	r = audit_mirror_open(&x, &m, 0, NULL, NULL, why, sizeof why);
	CHECKF(r == DP_OK && m.ck.cp.size == 700, "the mirror at 700: %d %s", r, why);
	if (r == DP_OK)
		audit_mirror_free(&m);

	/* 3. a witnessed checkpoint (one device's cosignature, and a forged line) */
	tree_note(&note, &t, 750);
	serve_buf(www, "v1/log/checkpoint", &note);
	add_cosig(&note, NULL);
	uint8_t fpk[32];
	char fhex[65], fname[DP_NOTE_NAME_MAX + 1];
	dp_random(fpk, 32);
	dp_hex_encode(fhex, fpk, 32);
	snprintf(fname, sizeof fname, "denpo-device/%s", fhex);
	add_forged(&note, fname, fpk, 72);
	serve_buf(www, "v1/log/witnessed?min=1", &note);
	proof_json(&js, &t, 700, 750);
	serve_buf(www, "v1/log/proof/consistency?from=700&size=750", &js);
	bundle_of(&bun, 2, 750, UINT64_MAX);
	serve(www, "v1/log/tile/entries/002.p/238", "");
	snprintf(p, sizeof p, "%s/v1/log/tile/entries/002.p/238", www);
	CHECK(dp_write_file(p, bun.p, bun.len, 0600, 0) == DP_OK);
	r = audit_sync_min(&x, 0, 1, &res, &w, ev, why, sizeof why);
	CHECKF(r == DP_OK && res.size == 750 && w == 1 && res.cosigs == 1,
	       "sync to the witnessed checkpoint: %d %s size %llu witnessed %d cosigs %zu", r, why,
	       (unsigned long long)res.size, w, res.cosigs);
	/* two cosigners wanted: none (404), the latest (same tree, no cosignature): the mirror keeps its note */
	r = audit_sync_min(&x, 0, 2, &res, &w, ev, why, sizeof why);
	CHECKF(r == DP_OK && res.size == 750 && w == 0 && res.cosigs == 1, "min 2: %d %s witnessed %d cosigs %zu", r,
	       why, w, res.cosigs);

	/* 4. a sync interrupted after the renames: a wider partial serves the old checkpoint */
	bundle_of(&bun, 2, 760, UINT64_MAX);
	snprintf(p, sizeof p, "%s/audit/entries/2.p", home);
	CHECK(dp_write_file(p, bun.p, bun.len, 0600, 0) == DP_OK);
	r = audit_mirror_open(&x, &m, 0, NULL, NULL, why, sizeof why);
	CHECKF(r == DP_OK && m.ck.cp.size == 750, "a wider partial bundle: %d %s", r, why);
	if (r == DP_OK)
		audit_mirror_free(&m);

	/* 5. the empty tree after 750: refused, no evidence, mirror as it was */
	tree_note(&note, &t, 0);
	serve_buf(www, "v1/log/checkpoint", &note);
	snprintf(p, sizeof p, "%s/v1/log/witnessed?min=1", www);
	unlink(p);
	r = audit_sync_min(&x, 0, 1, &res, &w, ev, why, sizeof why);
	CHECKF(r == DP_ESTATE && strstr(why, "empty log after size 750"), "empty log: %d %s", r, why);
	snprintf(p, sizeof p, "%s/audit", home);
	CHECK(count_evidence(p) == 0 && ev[0] == 0);
	r = audit_mirror_open(&x, &m, 0, NULL, NULL, why, sizeof why);
	CHECKF(r == DP_OK && m.ck.cp.size == 750, "the mirror after the empty log: %d %s", r, why);
	if (r == DP_OK)
		audit_mirror_free(&m);

	/* 6. a device holding 600: the switch offers 750 and answers garbage for the proof */
	{
		char wh[PATH_MAX], lp[PATH_MAX + 64];
		snprintf(wh, sizeof wh, "%s/witness", dir);
		mkdir(wh, 0700);
		snprintf(lp, sizeof lp, "%s/log", wh);
		mkdir(lp, 0700);
		cli_ctx y;
		ctx_init(&y, wh);
		y.cl = c;
		tree_note(&note, &t, 600);
		snprintf(lp, sizeof lp, "%s/log/checkpoint", wh);
		CHECK(dp_write_file(lp, note.p, note.len, 0600, 0) == DP_OK);
		tree_note(&note, &t, 750);
		serve_buf(www, "v1/log/checkpoint", &note);
		char *offer = strndup((const char *)note.p, note.len);
		serve(www, "v1/log/proof/consistency?from=600&size=750", "<html>not a proof</html>\n");
		for (int i = 1; i <= 3; i++) {
			r = cli_log_sync(&y, ev);
			if (i < 3)
				CHECKF(r != DP_OK && r != CLI_EUNPROVEN && r != CLI_EFORK,
				       "refusal %d: a warning only (%d)", i, r);
			else
				CHECKF(r == CLI_EUNPROVEN, "the third refusal in a row fails (%d)", r);
			snprintf(lp, sizeof lp, "%s/log", wh);
			DIR *d = opendir(lp);
			size_t nk = 0;
			struct dirent *de;
			while (d && (de = readdir(d)))
				if (!strncmp(de->d_name, "unproven-", 9)) {
					nk++;
					char fp[PATH_MAX + 64 + 300];
					snprintf(fp, sizeof fp, "%s/%s", lp, de->d_name);
					struct stat st;
					dp_buf kb;
					dp_buf_init(&kb, 65536);
					CHECK(stat(fp, &st) == 0 && (st.st_mode & 0777) == 0600);
					CHECK(dp_read_file(fp, &kb) == DP_OK);
					CHECK(dp_buf_append(&kb, "", 1) == DP_OK);
					CHECKF(strstr((char *)kb.p, "Held-Size: 600\n") && strstr((char *)kb.p, "Offered-Size: 750\n") &&
						       strstr((char *)kb.p, "Answer: ") &&
						       strstr((char *)kb.p, offer) != NULL,
					       "%s keeps the offer, the size held and the answer", de->d_name);
					dp_buf_free(&kb);
				}
			if (d)
				closedir(d);
			CHECKF(nk == (size_t)i, "refusal %d: %zu unproven-*.txt kept", i, nk);
		}
		free(offer);
		snprintf(lp, sizeof lp, "%s/log/refusals", wh);
		CHECK(access(lp, F_OK) == 0);
		/* the switch proves it at last: accepted, the count starts again */
		proof_json(&js, &t, 600, 750);
		serve_buf(www, "v1/log/proof/consistency?from=600&size=750", &js);
		r = cli_log_sync(&y, ev);
		CHECKF(r == DP_OK && cli_log_size(&y) == 750, "proven: accepted (%d, size %llu)", r,
		       (unsigned long long)cli_log_size(&y));
		CHECKF(access(lp, F_OK) != 0, "a successful accept resets the refusals");
	}
done:
	if (c)
		dp_client_free(c);
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	dp_buf_free(&note);
	dp_buf_free(&js);
	dp_buf_free(&bun);
	free(t.leaf);
}

int main(void)
{
	if (dp_crypto_init() || dp_client_global_init()) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	crypto_sign_keypair(log_pk, log_sk);
	crypto_sign_keypair(other_pk, other_sk);
	if (dp_note_vkey_make(&log_vk, ORIGIN, DP_NOTE_ED25519, log_pk)) {
		fprintf(stderr, "vkey failed\n");
		return 1;
	}
	char dir[] = "/tmp/denpo-test-log-XXXXXX";
	if (!mkdtemp(dir)) {
		fprintf(stderr, "no temp dir\n");
		return 1;
	}
	test_ckpt();
	test_judge();
	test_cons_roots();
	test_evidence(dir);
	test_count_cosigs();
	char h2[PATH_MAX + 8];
	snprintf(h2, sizeof h2, "%s/e0", dir);
	mkdir(h2, 0700);
	test_empty_after(h2);
	test_mirror(dir);
	test_endpoints(dir);
	test_sync(dir);
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	sodium_memzero(log_sk, sizeof log_sk);
	dp_client_global_cleanup();
	return t_done("test_client_log");
}
