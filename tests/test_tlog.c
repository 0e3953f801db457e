/*
 * test_tlog.c - the transparency log's structures (lib/tlog.c, lib/note.c):
 *
 *  - transparency-dev/merkle's 196 inclusion and consistency probes, read
 *    in place from <vectors>/tlog/transparency-dev-merkle/testdata;
 *  - RFC 6962 hashing constants and the 8-leaf reference tree;
 *  - the signed-note vectors (C2SP example, x/mod notes and keys, cosigner
 *    keys from their seeds, a real witness vkey and cosignature blob);
 *  - the 15-entry Tessera log rebuilt and re-signed byte for byte
 *    (checkpoints, partial level-0 tiles, entry bundles);
 *  - Sunlight's cosigned checkpoints and the mirror's hash tiles;
 *  - self-tests on random trees (every proof verifies, every mutation
 *    fails, only complete nodes are read, O(log n) reads), uint64 edges;
 *  - tables of malformed tile paths, bundles, notes, keys, checkpoints
 *    and proof files.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "denpo/crypto.h"
#include "denpo/encoding.h"
#include "denpo/tlog.h"
#include "tests/harness.h"

#define H DP_TLOG_HASH

/* ---- small helpers ---- */

static const char *vdir(void)
{
	static char p[4096];
	const char *vd = t_vectors_dir();
	if (!vd)
		return NULL;
	snprintf(p, sizeof p, "%s/tlog", vd);
	return p;
}

static uint8_t *readv(const char *rel, size_t *n)
{
	char p[8192];
	const char *d = vdir();
	if (!d)
		return NULL;
	snprintf(p, sizeof p, "%s/%s", d, rel);
	return t_read_file(p, n);
}

static void hexh(uint8_t out[H], const char *hex)
{
	if (dp_hex_decode(out, H, hex, strlen(hex)))
		memset(out, 0xee, H);
}

static int b64h(uint8_t out[H], const char *s)
{
	size_t n;
	return dp_b64_decode(out, H, &n, s, strlen(s), 1) == DP_OK && n == H;
}

/* templ with each "{A}" replaced by a and each "{B}" by b; the length written. */
static size_t expand(char *out, size_t cap, const char *templ, const char *a, const char *b)
{
	size_t o = 0;
	for (const char *t = templ; *t && o + 1 < cap;) {
		const char *v = strncmp(t, "{A}", 3) == 0 ? a : strncmp(t, "{B}", 3) == 0 ? b : NULL;
		if (v) {
			size_t vl = strlen(v);
			if (o + vl + 1 > cap)
				break;
			memcpy(out + o, v, vl);
			o += vl;
			t += 3;
		} else {
			out[o++] = *t++;
		}
	}
	out[o] = 0;
	return o;
}

static uint64_t rnd(uint64_t n)
{
	return n ? ((uint64_t)randombytes_random() << 32 | randombytes_random()) % n : 0;
}

/* ---- an in-memory tree whose reader serves only complete nodes ---- */

#define MT_LEVELS 24
typedef struct {
	uint64_t size;
	uint8_t (*lv[MT_LEVELS])[H];
	uint64_t count[MT_LEVELS];
	unsigned long calls;
} memtree;

static void mt_build(memtree *t, const uint8_t (*leaves)[H], uint64_t size)
{
	memset(t, 0, sizeof *t);
	t->size = size;
	for (int l = 0; l < MT_LEVELS; l++) {
		uint64_t c = size >> l;
		t->count[l] = c;
		t->lv[l] = malloc((c ? c : 1) * H);
		for (uint64_t i = 0; i < c; i++) {
			if (l == 0)
				memcpy(t->lv[0][i], leaves[i], H);
			else
				dp_tlog_node_hash(t->lv[l][i], t->lv[l - 1][2 * i], t->lv[l - 1][2 * i + 1]);
		}
	}
}

static void mt_free(memtree *t)
{
	for (int l = 0; l < MT_LEVELS; l++)
		free(t->lv[l]);
}

static int mt_read(void *ctx, unsigned level, uint64_t n, uint8_t out[H])
{
	memtree *t = ctx;
	t->calls++;
	if (level >= MT_LEVELS || n >= t->count[level])
		return DP_ENOTFOUND; /* an incomplete or absent node: never asked for */
	memcpy(out, t->lv[level][n], H);
	return DP_OK;
}

/* Reference MTH by the RFC's recursion over leaf hashes. */
static void ref_mth(const uint8_t (*lh)[H], uint64_t lo, uint64_t hi, uint8_t out[H])
{
	uint64_t n = hi - lo;
	if (n == 1) {
		memcpy(out, lh[lo], H);
		return;
	}
	uint64_t k = 1;
	while (k * 2 < n)
		k *= 2;
	uint8_t a[H], b[H];
	ref_mth(lh, lo, lo + k, a);
	ref_mth(lh, lo + k, hi, b);
	dp_tlog_node_hash(out, a, b);
}

/* Reference PATH and SUBPROOF (RFC 9162 §2.1.3.1, §2.1.4.1) by recursion. */
static void ref_path(const uint8_t (*lh)[H], uint64_t m, uint64_t lo, uint64_t hi,
		     uint8_t (*pf)[H], size_t *n)
{
	uint64_t sz = hi - lo, k = 1;
	if (sz == 1)
		return;
	while (k * 2 < sz)
		k *= 2;
	if (m < k) {
		ref_path(lh, m, lo, lo + k, pf, n);
		ref_mth(lh, lo + k, hi, pf[(*n)++]);
	} else {
		ref_path(lh, m - k, lo + k, hi, pf, n);
		ref_mth(lh, lo, lo + k, pf[(*n)++]);
	}
}

static void ref_sub(const uint8_t (*lh)[H], uint64_t m, uint64_t lo, uint64_t hi, int b,
		    uint8_t (*pf)[H], size_t *n)
{
	uint64_t sz = hi - lo, k = 1;
	if (m == sz) {
		if (!b)
			ref_mth(lh, lo, hi, pf[(*n)++]);
		return;
	}
	while (k * 2 < sz)
		k *= 2;
	if (m <= k) {
		ref_sub(lh, m, lo, lo + k, b, pf, n);
		ref_mth(lh, lo + k, hi, pf[(*n)++]);
	} else {
		ref_sub(lh, m - k, lo + k, hi, 0, pf, n);
		ref_mth(lh, lo, lo + k, pf[(*n)++]);
	}
}

static unsigned bitlen(uint64_t x)
{
	unsigned b = 0;
	while (x) {
		b++;
		x >>= 1;
	}
	return b;
}

/* ---- RFC 6962 constants ---- */

static void test_hash_constants(void)
{
	uint8_t h[H], want[H], a[H], b[H];
	dp_tlog_empty_root(h);
	hexh(want, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK(memcmp(h, want, H) == 0);
	dp_tlog_leaf_hash(h, (const uint8_t *)"", 0);
	hexh(want, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
	CHECK(memcmp(h, want, H) == 0);
	dp_tlog_leaf_hash(h, (const uint8_t *)"L123456", 7);
	hexh(want, "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56");
	CHECK(memcmp(h, want, H) == 0);
	/* node("N123","N456"): the vector feeds raw ASCII children; check with the same bytes */
	{
		uint8_t m[9] = {0x01, 'N', '1', '2', '3', 'N', '4', '5', '6'};
		dp_sha256(h, m, sizeof m);
		hexh(want, "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb");
		CHECK(memcmp(h, want, H) == 0);
		/* and dp_tlog_node_hash is exactly 0x01 || left || right */
		memset(a, 'a', H);
		memset(b, 'b', H);
		uint8_t mm[1 + 2 * H];
		mm[0] = 1;
		memcpy(mm + 1, a, H);
		memcpy(mm + 1 + H, b, H);
		dp_sha256(want, mm, sizeof mm);
		dp_tlog_node_hash(h, a, b);
		CHECK(memcmp(h, want, H) == 0);
	}
	/* leaves of every size hash as SHA-256(0x00 || entry) */
	{
		static uint8_t big[DP_TLOG_ENTRY_MAX + 1];
		for (size_t i = 0; i < sizeof big; i++)
			big[i] = (uint8_t)(i * 7);
		size_t sizes[] = {511, 512, 513, 4096, DP_TLOG_ENTRY_MAX};
		for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
			big[0] = 0;
			uint8_t save = big[0];
			uint8_t *m = malloc(sizes[s] + 1);
			m[0] = 0;
			memcpy(m + 1, big + 1, sizes[s]);
			dp_sha256(want, m, sizes[s] + 1);
			dp_tlog_leaf_hash(h, big + 1, sizes[s]);
			CHECKF(memcmp(h, want, H) == 0, "leaf of %zu bytes", sizes[s]);
			free(m);
			big[0] = save;
		}
	}

	/* the 8-leaf reference tree: MTH of the first n leaves */
	static const char *data[8] = {"", "00", "10", "2021", "3031", "40414243",
				      "5051525354555657", "606162636465666768696a6b6c6d6e6f"};
	static const char *roots[8] = {
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	};
	uint8_t lh[8][H];
	dp_tlog_range rg;
	dp_tlog_range_init(&rg);
	for (int i = 0; i < 8; i++) {
		uint8_t d[16];
		size_t dl = strlen(data[i]) / 2;
		CHECK(dp_hex_decode(d, dl, data[i], strlen(data[i])) == DP_OK);
		dp_tlog_leaf_hash(lh[i], d, dl);
		CHECK(dp_tlog_range_append(&rg, lh[i], NULL, NULL) == DP_OK);
		memtree t;
		mt_build(&t, (const uint8_t(*)[H])lh, (uint64_t)i + 1);
		hexh(want, roots[i]);
		dp_tlog_range_root(&rg, h);
		CHECKF(memcmp(h, want, H) == 0, "range root n=%d", i + 1);
		CHECK(dp_tlog_root((uint64_t)i + 1, mt_read, &t, h) == DP_OK && memcmp(h, want, H) == 0);
		mt_free(&t);
	}
}

/* ---- transparency-dev/merkle probes ---- */

/* uint64 field `key` read from the raw JSON text (jansson's integers are signed 64-bit). */
static int raw_u64(char *js, const char *key, uint64_t *v)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":", key);
	char *p = strstr(js, pat);
	if (!p)
		return -1;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(p, &end, 10);
	if (errno || end == p)
		return -1;
	*v = x;
	/* blank the number for jansson: "0" and spaces */
	*p = '0';
	for (char *q = p + 1; q < end; q++)
		*q = ' ';
	return 0;
}

/* Decode a base64 value of any length into a malloc'd buffer. */
static uint8_t *jb64(json_t *o, size_t *n, int *ok)
{
	const char *s = json_string_value(o);
	*n = 0;
	if (!s) {
		*ok = 0;
		return NULL;
	}
	size_t sl = strlen(s);
	uint8_t *p = malloc(sl + 1);
	if (dp_b64_decode(p, sl + 1, n, s, sl, 1) != DP_OK)
		*ok = 0;
	return p;
}

/*
 * Our API takes 32-byte roots; a probe's root of another length (a few use
 * 12-byte "don't care" roots) goes in as SHA-256 of its bytes, which keeps
 * equal roots equal and never equals a real root.
 */
static void as_root(uint8_t out[H], const uint8_t *p, size_t n)
{
	if (n == H)
		memcpy(out, p, H);
	else
		dp_sha256(out, p, n);
}

typedef struct {
	int files, want_ok, api_decided, decode_rejected, agree;
} probe_stats;

/* Returns 1 if the probe's outcome equals wantErr. */
static int run_probe(const char *path, int consistency, probe_stats *st)
{
	size_t len;
	char *js = (char *)t_read_file(path, &len);
	if (!js)
		return 0;
	uint64_t a, b;
	int okn = consistency ? !raw_u64(js, "size1", &a) && !raw_u64(js, "size2", &b)
			      : !raw_u64(js, "leafIdx", &a) && !raw_u64(js, "treeSize", &b);
	json_error_t err;
	json_t *j = okn ? json_loads(js, 0, &err) : NULL;
	free(js);
	if (!j) {
		fprintf(stderr, "unreadable probe %s\n", path);
		return 0;
	}
	json_t *we = json_object_get(j, "wantErr");
	int want_err = json_is_true(we);
	if (!json_is_boolean(we)) {
		json_decref(j);
		return 0;
	}
	/* decoding: bad base64 or a hash that is not 32 bytes cannot reach the API */
	int shape = 1;
	json_t *pj = json_object_get(j, "proof");
	size_t np = json_is_array(pj) ? json_array_size(pj) : 0;
	uint8_t(*proof)[H] = calloc(np ? np : 1, H);
	for (size_t i = 0; i < np; i++) {
		size_t n;
		uint8_t *e = jb64(json_array_get(pj, i), &n, &shape);
		if (n == H)
			memcpy(proof[i], e, H);
		else
			shape = 0;
		free(e);
	}
	int r;
	if (!consistency) {
		size_t ln, rn;
		uint8_t *leaf = jb64(json_object_get(j, "leafHash"), &ln, &shape);
		uint8_t *root = jb64(json_object_get(j, "root"), &rn, &shape);
		uint8_t rh[H];
		as_root(rh, root, rn);
		if (ln != H)
			shape = 0; /* transparency-dev: the leaf hash must be 32 bytes */
		r = shape ? dp_tlog_verify_inclusion(a, b, leaf, (const uint8_t(*)[H])proof, np, rh)
			  : DP_EPARSE;
		free(leaf);
		free(root);
	} else {
		size_t n1, n2;
		uint8_t *r1 = jb64(json_object_get(j, "root1"), &n1, &shape);
		uint8_t *r2 = jb64(json_object_get(j, "root2"), &n2, &shape);
		uint8_t h1[H], h2[H];
		as_root(h1, r1, n1);
		as_root(h2, r2, n2);
		r = shape ? dp_tlog_verify_consistency(a, b, h1, h2, (const uint8_t(*)[H])proof, np)
			  : DP_EPARSE;
		free(r1);
		free(r2);
	}
	free(proof);
	json_decref(j);
	st->files++;
	if (!want_err)
		st->want_ok++;
	if (shape)
		st->api_decided++;
	else
		st->decode_rejected++;
	int agree = (r == DP_OK) == !want_err;
	/* a refusal must be one of the documented codes */
	if (shape && r != DP_OK && r != DP_ESIG && r != DP_EINVAL)
		agree = 0;
	if (!agree)
		fprintf(stderr, "probe %s: got %d, wantErr %d\n", path, r, want_err);
	st->agree += agree;
	return agree;
}

static void walk_probes(const char *dir, int consistency, probe_stats *st)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	char **names = NULL;
	size_t nn = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		names = realloc(names, (nn + 1) * sizeof *names);
		names[nn++] = strdup(e->d_name);
	}
	closedir(d);
	for (size_t i = 0; i < nn; i++) {
		char p[8192];
		snprintf(p, sizeof p, "%s/%s", dir, names[i]);
		size_t l = strlen(names[i]);
		if (l > 5 && strcmp(names[i] + l - 5, ".json") == 0)
			run_probe(p, consistency, st);
		else
			walk_probes(p, consistency, st);
		free(names[i]);
	}
	free(names);
}

static void test_merkle_probes(void)
{
	const char *d = vdir();
	if (!d) {
		t_skipped("transparency-dev/merkle probes", "no vectors directory (DENPO_VECTORS)");
		return;
	}
	char p[4096];
	probe_stats in = {0}, co = {0};
	snprintf(p, sizeof p, "%s/transparency-dev-merkle/testdata/inclusion", d);
	walk_probes(p, 0, &in);
	snprintf(p, sizeof p, "%s/transparency-dev-merkle/testdata/consistency", d);
	walk_probes(p, 1, &co);
	/* 98 + 98 files, 6 + 6 of them must verify: a missing file cannot pass silently */
	CHECKF(in.files == 98 && in.want_ok == 6, "inclusion probes %d (ok %d)", in.files, in.want_ok);
	CHECKF(co.files == 98 && co.want_ok == 6, "consistency probes %d (ok %d)", co.files,
	       co.want_ok);
	CHECKF(in.agree == in.files, "inclusion: %d of %d agree", in.agree, in.files);
	CHECKF(co.agree == co.files, "consistency: %d of %d agree", co.agree, co.files);
	printf("merkle probes: %d inclusion + %d consistency agree (%d decided by the verifier, "
	       "%d refused at decoding)\n",
	       in.agree, co.agree, in.api_decided + co.api_decided,
	       in.decode_rejected + co.decode_rejected);
}

/* ---- self-tests on random trees ---- */

static void flip(uint8_t *p, size_t n)
{
	size_t bit = (size_t)rnd(n * 8);
	p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
}

typedef struct {
	memtree *t;
	uint64_t emitted;
	int bad;
	int fail_at; /* emit fails on this call (-1 never) */
	int ncalls;
} emit_ctx;

static int check_emit(void *ctx, unsigned level, uint64_t n, const uint8_t h[H])
{
	emit_ctx *e = ctx;
	if (e->fail_at >= 0 && e->ncalls++ == e->fail_at)
		return DP_EIO;
	uint8_t want[H];
	if (mt_read(e->t, level, n, want) || memcmp(want, h, H))
		e->bad++;
	e->emitted++;
	return DP_OK;
}

static void self_test_tree(uint64_t size, int all_pairs)
{
	uint8_t(*lh)[H] = malloc(size * H);
	for (uint64_t i = 0; i < size; i++) {
		uint8_t e[16];
		randombytes_buf(e, sizeof e);
		dp_tlog_leaf_hash(lh[i], e, 8 + (size_t)rnd(9)); /* distinct leaves */
	}
	memtree t;
	mt_build(&t, (const uint8_t(*)[H])lh, size);

	/* roots: reference recursion == reader decomposition == compact range; emit sees every node */
	uint8_t(*roots)[H] = malloc((size + 1) * H);
	dp_tlog_range rg;
	dp_tlog_range_init(&rg);
	emit_ctx ec = {&t, 0, 0, -1, 0};
	int root_bad = 0, load_bad = 0;
	dp_tlog_empty_root(roots[0]);
	for (uint64_t s = 1; s <= size; s++) {
		if (dp_tlog_range_append(&rg, lh[s - 1], check_emit, &ec))
			root_bad++;
		uint8_t a[H], b[H];
		ref_mth((const uint8_t(*)[H])lh, 0, s, roots[s]);
		dp_tlog_range_root(&rg, a);
		t.calls = 0;
		if (dp_tlog_root(s, mt_read, &t, b) || memcmp(a, roots[s], H) || memcmp(b, roots[s], H))
			root_bad++;
		if (t.calls != __builtin_popcountll(s))
			root_bad++;
		dp_tlog_range ld;
		if (dp_tlog_range_load(&ld, s, mt_read, &t) || ld.size != s)
			load_bad++;
		else
			for (int l = 0; l < 64; l++)
				if (s >> l & 1 && memcmp(ld.h[l], rg.h[l], H))
					load_bad++;
	}
	/* each complete node is emitted once: 2*size - popcount(size) of them */
	CHECKF(root_bad == 0 && load_bad == 0, "size %llu: roots %d, load %d",
	       (unsigned long long)size, root_bad, load_bad);
	CHECKF(ec.bad == 0 && ec.emitted == 2 * size - (uint64_t)__builtin_popcountll(size),
	       "size %llu: emitted %llu (bad %d)", (unsigned long long)size,
	       (unsigned long long)ec.emitted, ec.bad);

	/* inclusion: every index; equal to the reference; mutations fail */
	uint8_t pf[DP_TLOG_PROOF_MAX][H], rp[DP_TLOG_PROOF_MAX + 2][H];
	size_t n, rn;
	int gen_bad = 0, ver_bad = 0, mut_bad = 0, calls_bad = 0;
	for (uint64_t s = 1; s <= size; s++) {
		if (!all_pairs && s != size && rnd(8))
			continue;
		memtree ts = t;
		ts.count[0] = s; /* the tree of size s: nodes past it do not exist yet */
		for (int l = 1; l < MT_LEVELS; l++)
			ts.count[l] = s >> l;
		for (uint64_t i = 0; i < s; i++) {
			ts.calls = 0;
			if (dp_tlog_prove_inclusion(i, s, mt_read, &ts, pf, &n)) {
				gen_bad++;
				continue;
			}
			if (ts.calls > 2 * (unsigned long)bitlen(s) + 1)
				calls_bad++;
			/* the reference recursion is O(size) a hash: a sample of it on big trees */
			if (all_pairs || !rnd(8)) {
				rn = 0;
				ref_path((const uint8_t(*)[H])lh, i, 0, s, rp, &rn);
				if (rn != n || memcmp(rp, pf, n * H))
					gen_bad++;
			}
			const uint8_t(*cp)[H] = (const uint8_t(*)[H])pf;
			if (dp_tlog_verify_inclusion(i, s, lh[i], cp, n, roots[s]))
				ver_bad++;
			/* one flipped bit in any hash, leaf or root */
			for (size_t k = 0; k < n; k++) {
				uint8_t save[H];
				memcpy(save, pf[k], H);
				flip(pf[k], H);
				mut_bad += dp_tlog_verify_inclusion(i, s, lh[i], cp, n, roots[s]) == DP_OK;
				memcpy(pf[k], save, H);
			}
			uint8_t x[H];
			memcpy(x, lh[i], H);
			flip(x, H);
			mut_bad += dp_tlog_verify_inclusion(i, s, x, cp, n, roots[s]) == DP_OK;
			memcpy(x, roots[s], H);
			flip(x, H);
			mut_bad += dp_tlog_verify_inclusion(i, s, lh[i], cp, n, x) == DP_OK;
			/* another index, another size, a shorter or longer proof */
			if (i + 1 < s)
				mut_bad += dp_tlog_verify_inclusion(i + 1, s, lh[i], cp, n, roots[s]) == DP_OK;
			if (i > 0)
				mut_bad += dp_tlog_verify_inclusion(i - 1, s, lh[i], cp, n, roots[s]) == DP_OK;
			/*
			 * another size, with that tree's real root (the size alone only
			 * fixes the proof's shape, so a claimed root is all it can refute)
			 */
			if (s + 1 <= size)
				mut_bad += dp_tlog_verify_inclusion(i, s + 1, lh[i], cp, n, roots[s + 1]) == DP_OK;
			if (s - 1 > i)
				mut_bad += dp_tlog_verify_inclusion(i, s - 1, lh[i], cp, n, roots[s - 1]) == DP_OK;
			if (n)
				mut_bad += dp_tlog_verify_inclusion(i, s, lh[i], cp, n - 1, roots[s]) == DP_OK;
			memcpy(pf[n], pf[0], H);
			mut_bad += dp_tlog_verify_inclusion(i, s, lh[i], cp, n + 1, roots[s]) == DP_OK;
		}
		/* an index past the end is refused by both sides */
		CHECK(dp_tlog_prove_inclusion(s, s, mt_read, &ts, pf, &n) == DP_EINVAL);
		CHECK(dp_tlog_verify_inclusion(s, s, lh[0], (const uint8_t(*)[H])pf, 0, roots[s]) ==
		      DP_EINVAL);
		/* asking for a node of a bigger tree is an error the prover passes up */
		if (s > 2)
			CHECK(dp_tlog_prove_inclusion(0, s + 1, mt_read, &ts, pf, &n) == DP_ENOTFOUND);
	}
	CHECKF(gen_bad == 0 && ver_bad == 0 && mut_bad == 0 && calls_bad == 0,
	       "inclusion size %llu: gen %d verify %d mutations-accepted %d calls %d",
	       (unsigned long long)size, gen_bad, ver_bad, mut_bad, calls_bad);

	/* consistency: pairs (s1, s2) */
	gen_bad = ver_bad = mut_bad = calls_bad = 0;
	for (uint64_t s2 = 1; s2 <= size; s2++) {
		if (!all_pairs && s2 != size && rnd(8))
			continue;
		memtree ts = t;
		for (int l = 0; l < MT_LEVELS; l++)
			ts.count[l] = s2 >> l;
		for (uint64_t s1 = 1; s1 <= s2; s1++) {
			if (!all_pairs && rnd(4))
				continue;
			ts.calls = 0;
			if (dp_tlog_prove_consistency(s1, s2, mt_read, &ts, pf, &n)) {
				gen_bad++;
				continue;
			}
			if (ts.calls > 2 * (unsigned long)bitlen(s2) + 2)
				calls_bad++;
			if (all_pairs || !rnd(4)) {
				rn = 0;
				if (s1 < s2)
					ref_sub((const uint8_t(*)[H])lh, s1, 0, s2, 1, rp, &rn);
				if (rn != n || memcmp(rp, pf, n * H))
					gen_bad++;
			}
			const uint8_t(*cp)[H] = (const uint8_t(*)[H])pf;
			if (dp_tlog_verify_consistency(s1, s2, roots[s1], roots[s2], cp, n))
				ver_bad++;
			for (size_t k = 0; k < n; k++) {
				uint8_t save[H];
				memcpy(save, pf[k], H);
				flip(pf[k], H);
				mut_bad += dp_tlog_verify_consistency(s1, s2, roots[s1], roots[s2], cp, n) == DP_OK;
				memcpy(pf[k], save, H);
			}
			uint8_t x[H];
			memcpy(x, roots[s1], H);
			flip(x, H);
			mut_bad += dp_tlog_verify_consistency(s1, s2, x, roots[s2], cp, n) == DP_OK;
			memcpy(x, roots[s2], H);
			flip(x, H);
			mut_bad += dp_tlog_verify_consistency(s1, s2, roots[s1], x, cp, n) == DP_OK;
			if (s1 < s2) {
				mut_bad += dp_tlog_verify_consistency(s1, s2, roots[s2], roots[s1], cp, n) == DP_OK;
				mut_bad += dp_tlog_verify_consistency(s1 + 1, s2, roots[s1 + 1], roots[s2], cp, n) == DP_OK;
				if (s1 > 1)
					mut_bad += dp_tlog_verify_consistency(s1 - 1, s2, roots[s1 - 1], roots[s2], cp, n) == DP_OK;
				if (s2 + 1 <= size)
					mut_bad += dp_tlog_verify_consistency(s1, s2 + 1, roots[s1], roots[s2 + 1], cp, n) == DP_OK;
				mut_bad += dp_tlog_verify_consistency(s1, s2 - 1, roots[s1], roots[s2 - 1], cp, n) == DP_OK;
				mut_bad += dp_tlog_verify_consistency(s1, s2, roots[s1], roots[s2], cp, n - 1) == DP_OK;
			}
			memcpy(pf[n], roots[s1], H);
			mut_bad += dp_tlog_verify_consistency(s1, s2, roots[s1], roots[s2], cp, n + 1) == DP_OK;
		}
	}
	CHECKF(gen_bad == 0 && ver_bad == 0 && mut_bad == 0 && calls_bad == 0,
	       "consistency size %llu: gen %d verify %d mutations-accepted %d calls %d",
	       (unsigned long long)size, gen_bad, ver_bad, mut_bad, calls_bad);
	mt_free(&t);
	free(roots);
	free(lh);
}

static void test_self(void)
{
	/* every pair of sizes up to 70, then sampled bigger trees up to ~600 */
	self_test_tree(70, 1);
	for (int k = 0; k < 6; k++)
		self_test_tree(100 + rnd(500), 0);
	self_test_tree(600, 0);
	self_test_tree(512, 0);

	/* an emit error stops the append and leaves the range as it was */
	uint8_t lh[8][H];
	for (int i = 0; i < 8; i++)
		dp_tlog_leaf_hash(lh[i], (const uint8_t *)&i, sizeof i);
	memtree t;
	mt_build(&t, (const uint8_t(*)[H])lh, 8);
	dp_tlog_range rg, before;
	dp_tlog_range_init(&rg);
	emit_ctx ec = {&t, 0, 0, -1, 0};
	for (int i = 0; i < 7; i++)
		CHECK(dp_tlog_range_append(&rg, lh[i], check_emit, &ec) == DP_OK);
	before = rg;
	for (int f = 0; f < 4; f++) {
		/* leaf 7 completes levels 0..3: failing on any of the 4 emits changes nothing */
		emit_ctx fe = {&t, 0, 0, f, 0};
		CHECK(dp_tlog_range_append(&rg, lh[7], check_emit, &fe) == DP_EIO);
		CHECK(memcmp(&rg, &before, sizeof rg) == 0);
	}
	CHECK(dp_tlog_range_append(&rg, lh[7], check_emit, &ec) == DP_OK && rg.size == 8);
	CHECK(ec.bad == 0);
	mt_free(&t);
	/* consistency from 0 is meaningless here; size1 > size2 is impossible */
	uint8_t pf[DP_TLOG_PROOF_MAX][H], r[H];
	size_t n;
	dp_tlog_empty_root(r);
	CHECK(dp_tlog_prove_consistency(0, 5, mt_read, &t, pf, &n) == DP_EINVAL);
	CHECK(dp_tlog_prove_consistency(6, 5, mt_read, &t, pf, &n) == DP_EINVAL);
	CHECK(dp_tlog_verify_consistency(0, 5, r, r, (const uint8_t(*)[H])pf, 0) == DP_EINVAL);
	CHECK(dp_tlog_verify_consistency(0, 0, r, r, (const uint8_t(*)[H])pf, 0) == DP_EINVAL);
	CHECK(dp_tlog_verify_consistency(6, 5, r, r, (const uint8_t(*)[H])pf, 0) == DP_EINVAL);
	CHECK(dp_tlog_verify_consistency(5, 5, r, r, (const uint8_t(*)[H])pf, 0) == DP_OK);
	CHECK(dp_tlog_verify_consistency(5, 5, r, r, (const uint8_t(*)[H])pf, 1) == DP_ESIG);
	CHECK(dp_tlog_verify_consistency(5, 6, r, r, (const uint8_t(*)[H])pf, 0) == DP_ESIG);
	uint8_t e[H];
	dp_tlog_empty_root(e);
	CHECK(dp_tlog_root(0, NULL, NULL, r) == DP_OK && memcmp(r, e, H) == 0);
	dp_tlog_range_init(&rg);
	dp_tlog_range_root(&rg, r);
	CHECK(memcmp(r, e, H) == 0);
}

/*
 * A tree of 2^64-1 leaves whose leaf i is X[parity(popcount(i))]: every
 * complete node (level, n) is then P[level][parity(n)], so the tree is
 * real (children hash to parents) and cheap at any size.
 */
static uint8_t P[64][2][H];

static int huge_read(void *ctx, unsigned level, uint64_t n, uint8_t out[H])
{
	unsigned long *calls = ctx;
	(*calls)++;
	if (level >= 64)
		return DP_EINVAL;
	memcpy(out, P[level][__builtin_parityll(n)], H);
	return DP_OK;
}

static void test_uint64_edges(void)
{
	dp_tlog_leaf_hash(P[0][0], (const uint8_t *)"even", 4);
	dp_tlog_leaf_hash(P[0][1], (const uint8_t *)"odd", 3);
	for (int l = 1; l < 64; l++)
		for (int p = 0; p < 2; p++)
			dp_tlog_node_hash(P[l][p], P[l - 1][p], P[l - 1][!p]);
	unsigned long calls = 0;
	const uint64_t MAX = UINT64_MAX;
	uint64_t idx[] = {0, 1, (uint64_t)1 << 62, ((uint64_t)1 << 63) - 1, (uint64_t)1 << 63,
			  MAX - 2, MAX - 1};
	uint64_t sizes[] = {MAX, MAX - 1, ((uint64_t)1 << 63) + 12345, (uint64_t)1 << 63};
	uint8_t pf[DP_TLOG_PROOF_MAX + 1][H], root[H];
	size_t n;
	int bad = 0, tried = 0;
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		calls = 0;
		if (dp_tlog_root(sizes[s], huge_read, &calls, root) || calls > 64)
			bad++;
		for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++) {
			if (idx[i] >= sizes[s])
				continue;
			tried++;
			calls = 0;
			if (dp_tlog_prove_inclusion(idx[i], sizes[s], huge_read, &calls, pf, &n) ||
			    calls > 2 * 64 + 1) {
				bad++;
				continue;
			}
			const uint8_t(*cp)[H] = (const uint8_t(*)[H])pf;
			const uint8_t *leaf = P[0][__builtin_parityll(idx[i])];
			bad += dp_tlog_verify_inclusion(idx[i], sizes[s], leaf, cp, n, root) != DP_OK;
			bad += dp_tlog_verify_inclusion(idx[i], sizes[s], P[0][!__builtin_parityll(idx[i])],
							cp, n, root) == DP_OK;
		}
	}
	CHECKF(bad == 0 && tried > 10, "uint64 inclusion: %d bad of %d", bad, tried);
	/* consistency across 2^63 and up to 2^64-1 */
	uint64_t pairs[][2] = {{1, MAX},
			       {(uint64_t)1 << 63, MAX},
			       {((uint64_t)1 << 62) + 2, MAX},
			       {MAX - 1, MAX},
			       {MAX - 3, MAX},
			       {12346, ((uint64_t)1 << 63) + 7},
			       {12345, ((uint64_t)1 << 63) - 1},
			       {((uint64_t)1 << 63) + 1, ((uint64_t)1 << 63) + 2}};
	bad = 0;
	for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
		uint8_t r1[H], r2[H];
		if (dp_tlog_root(pairs[k][0], huge_read, &calls, r1) ||
		    dp_tlog_root(pairs[k][1], huge_read, &calls, r2) ||
		    dp_tlog_prove_consistency(pairs[k][0], pairs[k][1], huge_read, &calls, pf, &n)) {
			bad++;
			continue;
		}
		const uint8_t(*cp)[H] = (const uint8_t(*)[H])pf;
		int e1 = dp_tlog_verify_consistency(pairs[k][0], pairs[k][1], r1, r2, cp, n);
		int e2 = dp_tlog_verify_consistency(pairs[k][0], pairs[k][1], r2, r1, cp, n);
		if (e1 != DP_OK || e2 == DP_OK) {
			fprintf(stderr, "pair %zu: %d %d (n=%zu)\n", k, e1, e2, n);
			bad++;
		}
	}
	CHECKF(bad == 0, "uint64 consistency: %d bad", bad);
	/* the shapes that would need 65 hashes (odd size1 > 1, size2 > 2^63) are refused */
	CHECK(dp_tlog_prove_consistency(((uint64_t)1 << 63) - 1, MAX, huge_read, &calls, pf, &n) ==
	      DP_EINVAL);
	CHECK(dp_tlog_prove_consistency(((uint64_t)1 << 62) + 1, MAX, huge_read, &calls, pf, &n) ==
	      DP_EINVAL);
	CHECK(dp_tlog_prove_consistency(3, ((uint64_t)1 << 63) + 1, huge_read, &calls, pf, &n) ==
	      DP_EINVAL);
	CHECK(dp_tlog_prove_consistency(MAX - 2, MAX, huge_read, &calls, pf, &n) == DP_EINVAL);
	/* verification arithmetic on extreme values: refused, never out of bounds */
	CHECK(dp_tlog_verify_inclusion(MAX, 1, root, (const uint8_t(*)[H])pf, 0, root) == DP_EINVAL);
	CHECK(dp_tlog_verify_inclusion(MAX - 1, MAX, root, (const uint8_t(*)[H])pf, 0, root) ==
	      DP_ESIG);
	CHECK(dp_tlog_verify_consistency(MAX, MAX, root, root, (const uint8_t(*)[H])pf, 0) == DP_OK);
	CHECK(dp_tlog_verify_consistency(1, MAX, root, root, (const uint8_t(*)[H])pf, 0) == DP_ESIG);
	/* node_from_tiles refuses nodes that do not fit in uint64 */
	uint8_t o[H];
	CHECK(dp_tlog_node_from_tiles(NULL, NULL, 3, 0, o) == DP_EINVAL);
}

/* ---- tiles: paths, widths, node_from_tiles ---- */

static void test_tile_paths(void)
{
	static const struct {
		const char *path;
		int lv;
		uint64_t n;
		unsigned w;
	} good[] = {
		{"tile/0/000", 0, 0, 256},
		{"tile/0/005", 0, 5, 256},
		{"tile/1/x001/000", 1, 1000, 256},
		{"tile/0/x001/x234/067", 0, 1234067, 256},
		{"tile/2/x001/x234/067.p/9", 2, 1234067, 9},
		{"tile/entries/000.p/1", -1, 0, 1},
		{"tile/entries/x999/999.p/255", -1, 999999, 255},
		{"tile/63/000", 63, 0, 256},
		{"tile/0/x018/x446/x744/x073/x709/x551/615", 0, UINT64_MAX, 256},
	};
	char buf[128];
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		int lv;
		uint64_t n;
		unsigned w;
		CHECKF(dp_tlog_tile_parse(good[i].path, &lv, &n, &w) == DP_OK && lv == good[i].lv &&
			       n == good[i].n && w == good[i].w,
		       "%s", good[i].path);
		CHECKF(dp_tlog_tile_path(buf, sizeof buf, good[i].lv, good[i].n, good[i].w) == DP_OK &&
			       strcmp(buf, good[i].path) == 0,
		       "%s -> %s", good[i].path, buf);
	}
	static const char *bad[] = {
		"",
		"tile",
		"tile/",
		"tiles/0/000",
		"tile//000",
		"tile/00/000",          /* level with a leading zero */
		"tile/64/000",          /* level past 63 */
		"tile/-1/000",
		"tile/+1/000",
		"tile/0/00",            /* groups are exactly 3 digits */
		"tile/0/0000",
		"tile/0/5",
		"tile/0/x000/005",      /* non-canonical: a leading zero group */
		"tile/0/x000/000",
		"tile/0/x001",          /* the last group has no x */
		"tile/0/x001/",
		"tile/0/001/002",       /* every group but the last has an x */
		"tile/0/X001/000",
		"tile/0/x001/x002",
		"tile/0/000/",
		"tile/0/000.p/0",       /* width 1..255 */
		"tile/0/000.p/256",
		"tile/0/000.p/01",
		"tile/0/000.p/",
		"tile/0/000.p/5/",
		"tile/0/000.p/1a",
		"tile/0/000.q/5",
		"tile/0/000p/5",
		"tile/0/000.p5",
		"tile/entries/000.p/256",
		"tile/entry/000",
		"tile/8/data/000",      /* Go sumdb spelling, not tlog-tiles */
		"tile/0/x018/x446/x744/x073/x709/x551/616", /* past uint64 */
		"tile/0/x999/x999/x999/x999/x999/x999/x999/999",
		"/tile/0/000",
		"tile/0/000 ",
		"tile/0/ 000",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int lv = 7;
		uint64_t n = 7;
		unsigned w = 7;
		CHECKF(dp_tlog_tile_parse(bad[i], &lv, &n, &w) == DP_EPARSE && lv == 7 && n == 7 && w == 7,
		       "accepted \"%s\"", bad[i]);
	}
	/* the writer refuses what it cannot spell */
	CHECK(dp_tlog_tile_path(buf, sizeof buf, -2, 0, 256) == DP_EINVAL);
	CHECK(dp_tlog_tile_path(buf, sizeof buf, 64, 0, 256) == DP_EINVAL);
	CHECK(dp_tlog_tile_path(buf, sizeof buf, 0, 0, 0) == DP_EINVAL);
	CHECK(dp_tlog_tile_path(buf, sizeof buf, 0, 0, 257) == DP_EINVAL);
	CHECK(dp_tlog_tile_path(buf, 10, 0, 0, 256) == DP_ETOOBIG); /* "tile/0/000" needs 11 */
	CHECK(dp_tlog_tile_path(buf, 11, 0, 0, 256) == DP_OK);
	/* round trip of random values */
	int rt_bad = 0;
	for (int i = 0; i < 2000; i++) {
		int lv = (int)rnd(65) - 1;
		uint64_t n = rnd(UINT64_MAX) >> rnd(64);
		unsigned w = 1 + (unsigned)rnd(256);
		int l2;
		uint64_t n2;
		unsigned w2;
		if (dp_tlog_tile_path(buf, sizeof buf, lv, n, w) ||
		    dp_tlog_tile_parse(buf, &l2, &n2, &w2) || l2 != lv || n2 != n || w2 != w)
			rt_bad++;
	}
	CHECK(rt_bad == 0);

	/* widths: the tlog-tiles worked example (rfc6962-hash-vectors.txt) */
	CHECK(dp_tlog_tile_width(0, 0, 70000) == 256);
	CHECK(dp_tlog_tile_width(0, 272, 70000) == 256);
	CHECK(dp_tlog_tile_width(0, 273, 70000) == 112);
	CHECK(dp_tlog_tile_width(0, 274, 70000) == 0);
	CHECK(dp_tlog_tile_width(1, 0, 70000) == 256);
	CHECK(dp_tlog_tile_width(1, 1, 70000) == 17);
	CHECK(dp_tlog_tile_width(1, 2, 70000) == 0);
	CHECK(dp_tlog_tile_width(2, 0, 70000) == 1);
	CHECK(dp_tlog_tile_width(3, 0, 70000) == 0);
	CHECK(dp_tlog_tile_width(0, 0, 256) == 256);
	CHECK(dp_tlog_tile_width(0, 1, 256) == 0); /* empty tiles do not exist */
	CHECK(dp_tlog_tile_width(1, 0, 256) == 1);
	CHECK(dp_tlog_tile_width(0, 0, 0) == 0);
	CHECK(dp_tlog_tile_width(7, 0, UINT64_MAX) == 255);
	CHECK(dp_tlog_tile_width(0, (UINT64_MAX >> 8), UINT64_MAX) == 255);
	CHECK(dp_tlog_tile_width(8, 0, UINT64_MAX) == 0);
	/* counting tiles of 70,000 as the example does */
	unsigned full0 = 0, part0 = 0;
	for (uint64_t n = 0; n < 300; n++) {
		unsigned w = dp_tlog_tile_width(0, n, 70000);
		full0 += w == 256;
		part0 += w > 0 && w < 256;
	}
	CHECK(full0 == 273 && part0 == 1);
}

/* A tile reader over a memtree, checking what node_from_tiles asks for. */
typedef struct {
	memtree *t;
	int bad;
} tile_mem;

static int tile_mem_read(void *ctx, unsigned tlevel, uint64_t from, size_t count, uint8_t *out)
{
	tile_mem *m = ctx;
	/* a node's hashes never cross a tile and are a power of two, aligned */
	if (count == 0 || count > 256 || (count & (count - 1)) || from % count ||
	    from / 256 != (from + count - 1) / 256)
		m->bad++;
	for (size_t i = 0; i < count; i++)
		if (mt_read(m->t, 8 * tlevel, from + i, out + 32 * i))
			return DP_ENOTFOUND;
	return DP_OK;
}

static void test_node_from_tiles(void)
{
	uint64_t size = 70000;
	uint8_t(*lh)[H] = malloc(size * H);
	for (uint64_t i = 0; i < size; i++)
		dp_tlog_leaf_hash(lh[i], (const uint8_t *)&i, sizeof i);
	memtree t;
	mt_build(&t, (const uint8_t(*)[H])lh, size);
	tile_mem tm = {&t, 0};
	dp_tlog_tiles tiles = {tile_mem_read, &tm};
	int bad = 0;
	for (unsigned level = 0; level <= 16; level++) {
		for (int k = 0; k < 20 && t.count[level]; k++) {
			uint64_t n = rnd(t.count[level]);
			uint8_t a[H];
			if (dp_tlog_tiles_node(&tiles, level, n, a) || memcmp(a, t.lv[level][n], H))
				bad++;
		}
	}
	CHECK(bad == 0 && tm.bad == 0);
	uint8_t r1[H], r2[H];
	CHECK(dp_tlog_root(size, dp_tlog_tiles_node, &tiles, r1) == DP_OK);
	ref_mth((const uint8_t(*)[H])lh, 0, size, r2);
	CHECK(memcmp(r1, r2, H) == 0);
	/* a proof through tiles verifies */
	uint8_t pf[DP_TLOG_PROOF_MAX][H];
	size_t n;
	CHECK(dp_tlog_prove_inclusion(69999, size, dp_tlog_tiles_node, &tiles, pf, &n) == DP_OK &&
	      dp_tlog_verify_inclusion(69999, size, lh[69999], (const uint8_t(*)[H])pf, n, r1) ==
		      DP_OK);
	mt_free(&t);
	free(lh);
}

/* ---- bundles ---- */

typedef struct {
	const uint8_t *want[300];
	size_t wlen[300];
	unsigned seen;
	int bad;
	int stop_at;
} bundle_ctx;

static int bundle_cb(void *ctx, unsigned i, const uint8_t *e, size_t elen)
{
	bundle_ctx *b = ctx;
	if ((int)i == b->stop_at)
		return DP_EIO;
	if (i != b->seen || elen != b->wlen[i] || (elen && memcmp(e, b->want[i], elen)))
		b->bad++;
	b->seen++;
	return DP_OK;
}

static void test_bundles(void)
{
	dp_buf b;
	dp_buf_init(&b, 1 << 20);
	static uint8_t big[DP_TLOG_ENTRY_MAX + 1];
	memset(big, 'z', sizeof big);
	bundle_ctx bc = {{0}, {0}, 0, 0, -1};
	for (unsigned i = 0; i < 256; i++) {
		size_t l = i == 3 ? 0 : i == 7 ? DP_TLOG_ENTRY_MAX : rnd(40);
		bc.want[i] = big;
		bc.wlen[i] = l;
		CHECK(dp_tlog_bundle_put(&b, big, l) == DP_OK);
	}
	CHECK(dp_tlog_bundle_parse(b.p, b.len, 256, bundle_cb, &bc) == DP_OK && bc.seen == 256 &&
	      bc.bad == 0);
	CHECK(dp_tlog_bundle_parse(b.p, b.len, 255, NULL, NULL) == DP_EPARSE); /* one too many */
	CHECK(dp_tlog_bundle_parse(b.p, b.len - 1, 256, NULL, NULL) == DP_EPARSE); /* truncated */
	CHECK(dp_tlog_bundle_parse(b.p, b.len, 257, NULL, NULL) == DP_EINVAL);
	/* a bad bundle reaches the callback not at all */
	bc.seen = 0;
	CHECK(dp_tlog_bundle_parse(b.p, b.len - 1, 256, bundle_cb, &bc) == DP_EPARSE && bc.seen == 0);
	/* the callback's error stops the walk */
	bc.seen = 0;
	bc.stop_at = 5;
	CHECK(dp_tlog_bundle_parse(b.p, b.len, 256, bundle_cb, &bc) == DP_EIO && bc.seen == 5);
	CHECK(dp_tlog_bundle_parse(NULL, 0, 0, NULL, NULL) == DP_OK);
	CHECK(dp_tlog_bundle_parse((const uint8_t *)"\x00", 1, 1, NULL, NULL) == DP_EPARSE);
	CHECK(dp_tlog_bundle_parse((const uint8_t *)"\x00\x00", 2, 1, NULL, NULL) == DP_OK);
	CHECK(dp_tlog_bundle_parse((const uint8_t *)"\x00\x00", 2, 0, NULL, NULL) == DP_EPARSE);
	CHECK(dp_tlog_bundle_parse((const uint8_t *)"\x00\x02" "a", 3, 1, NULL, NULL) == DP_EPARSE);
	CHECK(dp_tlog_bundle_parse((const uint8_t *)"\x00\x01" "ab", 4, 1, NULL, NULL) == DP_EPARSE);
	/* too long an entry; a full buffer stays as it was */
	size_t before = b.len;
	CHECK(dp_tlog_bundle_put(&b, big, DP_TLOG_ENTRY_MAX + 1) == DP_ETOOBIG && b.len == before);
	dp_buf small;
	dp_buf_init(&small, 5);
	CHECK(dp_tlog_bundle_put(&small, big, 3) == DP_OK);
	CHECK(dp_tlog_bundle_put(&small, big, 1) == DP_ETOOBIG && small.len == 5);
	dp_buf_free(&small);
	dp_buf_free(&b);
}

/* ---- signed-note vectors file ---- */

typedef struct {
	char *vkey[8][4];
	int nvkey[8];
	char *skey[8];
	char *note[8];
	char *bad[4];
	int nbad;
	char *cos_name[4], *cos_seed[4], *cos_vkey[4];
	int ncos;
	char *leaves;
	char *cosig_b64, *not_cosig_b64;
} note_vecs;

static char *first_token(const char *s)
{
	while (*s == ' ')
		s++;
	size_t n = strcspn(s, " \t\n");
	return strndup(s, n);
}

static int load_note_vecs(note_vecs *v)
{
	memset(v, 0, sizeof *v);
	size_t len;
	char *f = (char *)readv("signed-note-vectors.txt", &len);
	if (!f)
		return 0;
	int sec = 0;
	char *save = NULL, *line;
	char *note = NULL;
	size_t nl = 0;
	/* strtok_r would merge empty lines: walk by hand */
	char *p = f;
	(void)save;
	while (p < f + len) {
		char *e = memchr(p, '\n', (size_t)(f + len - p));
		if (!e)
			e = f + len;
		*e = 0;
		line = p;
		p = e + 1;
		if (note) {
			if (strcmp(line, "END NOTE") == 0) {
				if (sec < 8)
					v->note[sec] = note;
				note = NULL;
				continue;
			}
			size_t ll = strlen(line);
			note = realloc(note, nl + ll + 2);
			memcpy(note + nl, line, ll);
			nl += ll;
			note[nl++] = '\n';
			note[nl] = 0;
			continue;
		}
		if (strncmp(line, "## ", 3) == 0) {
			sec = atoi(line + 3);
			if (sec < 0 || sec >= 8)
				sec = 0;
		} else if (strcmp(line, "BEGIN NOTE") == 0) {
			note = calloc(1, 1);
			nl = 0;
		} else if (strncmp(line, "vkey: ", 6) == 0 && v->nvkey[sec] < 4) {
			v->vkey[sec][v->nvkey[sec]++] = first_token(line + 6);
		} else if (strncmp(line, "skey: ", 6) == 0) {
			v->skey[sec] = first_token(line + 6);
		} else if (strncmp(line, "bad-vkey: ", 10) == 0 && v->nbad < 4) {
			v->bad[v->nbad++] = first_token(line + 10);
		} else if (strncmp(line, "leaves: ", 8) == 0) {
			v->leaves = strdup(line + 8);
		} else if (strncmp(line, "cosig-b64: ", 11) == 0) {
			v->cosig_b64 = first_token(line + 11);
		} else if (strncmp(line, "not-cosig-b64: ", 15) == 0) {
			v->not_cosig_b64 = first_token(line + 15);
		} else if (strncmp(line, "cosigner: ", 10) == 0 && v->ncos < 4) {
			/* cosigner: NAME   seed=SHA-256("STRING")   vkey=VKEY */
			char *s1 = strstr(line, "seed=SHA-256(\""), *vk = strstr(line, "vkey=");
			if (!s1 || !vk)
				continue;
			s1 += strlen("seed=SHA-256(\"");
			char *q = strchr(s1, '"');
			if (!q)
				continue;
			v->cos_name[v->ncos] = first_token(line + 10);
			v->cos_seed[v->ncos] = strndup(s1, (size_t)(q - s1));
			v->cos_vkey[v->ncos] = first_token(vk + 5);
			v->ncos++;
		}
	}
	free(note);
	free(f);
	return 1;
}

static void free_note_vecs(note_vecs *v)
{
	for (int s = 0; s < 8; s++) {
		for (int i = 0; i < v->nvkey[s]; i++)
			free(v->vkey[s][i]);
		free(v->skey[s]);
		free(v->note[s]);
	}
	for (int i = 0; i < v->nbad; i++)
		free(v->bad[i]);
	for (int i = 0; i < v->ncos; i++) {
		free(v->cos_name[i]);
		free(v->cos_seed[i]);
		free(v->cos_vkey[i]);
	}
	free(v->leaves);
	free(v->cosig_b64);
	free(v->not_cosig_b64);
}

static int vkey(dp_note_vkey *k, const char *s)
{
	return dp_note_vkey_parse(k, s, strlen(s));
}

/* Re-encode signature line `which` (0-based) of a note with one byte of its signature flipped. */
static char *mutate_sig(const char *note, int which, size_t byte, const char *rename)
{
	size_t tl, ns;
	if (dp_note_parse(note, strlen(note), &tl, NULL, 0, &ns) || which >= (int)ns)
		return NULL;
	dp_buf b;
	dp_buf_init(&b, 1 << 20);
	if (dp_buf_append(&b, note, tl + 1)) {
		dp_buf_free(&b);
		return NULL;
	}
	const char *p = note + tl + 1;
	for (int i = 0; i < (int)ns; i++) {
		const char *e = strchr(p, '\n');
		if (i != which) {
			if (dp_buf_append(&b, p, (size_t)(e - p + 1)))
				break;
		} else {
			const char *name = p + 4, *sp = strchr(name, ' ');
			uint8_t sig[256];
			size_t sl;
			char enc[400];
			if (dp_b64_decode(sig, sizeof sig, &sl, sp + 1, (size_t)(e - sp - 1), 1))
				break;
			if (byte < sl)
				sig[byte] ^= 0x01;
			dp_b64_encode(enc, sig, sl, 1);
			if (dp_buf_printf(&b, "\xe2\x80\x94 %.*s %s\n",
					  rename ? (int)strlen(rename) : (int)(sp - name),
					  rename ? rename : name, enc))
				break;
		}
		p = e + 1;
	}
	return (char *)dp_buf_steal(&b, &tl);
}

static void test_note_vectors(note_vecs *v)
{
	dp_note_vkey k, k2, kk[3];
	char out[DP_NOTE_VKEY_MAX];
	int ver[3];
	uint64_t ts[3];
	size_t tl;

	/* §1 C2SP example */
	CHECK(v->nvkey[1] == 1 && v->note[1]);
	if (v->nvkey[1] == 1 && v->note[1]) {
		CHECK(vkey(&k, v->vkey[1][0]) == DP_OK && k.id == 0x530d903a && k.type == 1 &&
		      strcmp(k.name, "example.com/foo") == 0);
		CHECK(dp_note_vkey_format(out, sizeof out, &k) == DP_OK && strcmp(out, v->vkey[1][0]) == 0);
		CHECK(dp_note_key_id(k.name, k.type, k.pub) == 0x530d903a);
		CHECK(dp_note_open(v->note[1], strlen(v->note[1]), &k, 1, ver, NULL, &tl) == DP_OK &&
		      ver[0] == 1 && tl == strlen("This is an example message.\n"));
		dp_note_sig sg[4];
		size_t ns;
		CHECK(dp_note_parse(v->note[1], strlen(v->note[1]), &tl, sg, 4, &ns) == DP_OK && ns == 1 &&
		      sg[0].id == 0x530d903a && sg[0].siglen == 64 &&
		      strcmp(sg[0].name, "example.com/foo") == 0);
		char *m = mutate_sig(v->note[1], 0, 10, NULL);
		CHECK(m && dp_note_open(m, strlen(m), &k, 1, ver, NULL, NULL) == DP_ESIG && ver[0] == 0);
		free(m);
		/* a byte of the key id flipped: no longer this key's line, nothing verified */
		m = mutate_sig(v->note[1], 0, 1, NULL);
		CHECK(m && dp_note_open(m, strlen(m), &k, 1, ver, NULL, NULL) == DP_ESIG);
		free(m);
	}

	/* §2 x/mod: skey reproduces the signature, two signers, negatives */
	CHECK(v->nvkey[2] == 2 && v->skey[2] && v->note[2] && v->nbad == 2);
	if (v->nvkey[2] == 2 && v->skey[2] && v->note[2]) {
		uint8_t sk[64];
		CHECK(dp_note_skey_parse(&k, sk, v->skey[2], strlen(v->skey[2])) == DP_OK);
		CHECK(vkey(&kk[0], v->vkey[2][0]) == DP_OK && vkey(&kk[1], v->vkey[2][1]) == DP_OK);
		CHECK(memcmp(&k, &kk[0], sizeof k) == 0);
		CHECK(kk[0].id == 0xc74f20a3 && kk[1].id == 0xaf0cfe78);
		for (int i = 0; i < 2; i++)
			CHECK(dp_note_vkey_format(out, sizeof out, &kk[i]) == DP_OK &&
			      strcmp(out, v->vkey[2][i]) == 0);
		const char *note = v->note[2];
		size_t nlen = strlen(note);
		CHECK(dp_note_parse(note, nlen, &tl, NULL, 0, NULL) == DP_OK);
		dp_buf b;
		dp_buf_init(&b, 4096);
		CHECK(dp_note_sign_line(&b, note, tl, k.name, sk) == DP_OK);
		const char *peter = strstr(note, "\xe2\x80\x94 PeterNeumann ");
		CHECK(peter && b.len > 0 && strncmp(peter, (char *)b.p, b.len) == 0);
		dp_buf_free(&b);
		sodium_memzero(sk, sizeof sk);
		CHECK(dp_note_open(note, nlen, kk, 2, ver, NULL, NULL) == DP_OK && ver[0] && ver[1]);
		CHECK(dp_note_open(note, nlen, &kk[1], 1, ver, NULL, NULL) == DP_OK && ver[0]);
		char *m = mutate_sig(note, 0, 20, NULL);
		CHECK(m && dp_note_open(m, strlen(m), kk, 2, ver, NULL, NULL) == DP_ESIG);
		/* only Enoch known: Peter's broken line is an unknown key's, ignored */
		CHECK(m && dp_note_open(m, strlen(m), &kk[1], 1, ver, NULL, NULL) == DP_OK && ver[0]);
		free(m);
		m = mutate_sig(note, 0, 0, "NotPeter");
		/* renamed: ignored; Peter alone has nothing to verify */
		CHECK(m && dp_note_open(m, strlen(m), &kk[0], 1, ver, NULL, NULL) == DP_ESIG);
		CHECK(m && dp_note_open(m, strlen(m), kk, 2, ver, NULL, NULL) == DP_OK && !ver[0] && ver[1]);
		free(m);
		CHECK(dp_note_open(note, nlen, NULL, 0, NULL, NULL, NULL) == DP_ESIG);
	}
	CHECK(v->nbad == 2 && vkey(&k, v->bad[0]) == DP_EPARSE && vkey(&k, v->bad[1]) == DP_EUNSUPP);

	/* §3 Tessera key pair */
	CHECK(v->skey[3] && v->nvkey[3] == 1);
	if (v->skey[3] && v->nvkey[3] == 1) {
		uint8_t sk[64];
		CHECK(dp_note_skey_parse(&k, sk, v->skey[3], strlen(v->skey[3])) == DP_OK &&
		      vkey(&k2, v->vkey[3][0]) == DP_OK && memcmp(&k, &k2, sizeof k) == 0);
		sodium_memzero(sk, sizeof sk);
	}

	/* §4 cosigner keys from their seeds */
	CHECK(v->ncos == 3);
	for (int i = 0; i < v->ncos; i++) {
		uint8_t seed[32], pk[32], sk[64];
		dp_sha256(seed, v->cos_seed[i], strlen(v->cos_seed[i]));
		crypto_sign_ed25519_seed_keypair(pk, sk, seed);
		CHECK(dp_note_vkey_make(&k, v->cos_name[i], DP_NOTE_COSIG_V1, pk) == DP_OK &&
		      dp_note_vkey_format(out, sizeof out, &k) == DP_OK &&
		      strcmp(out, v->cos_vkey[i]) == 0);
		CHECK(vkey(&k2, v->cos_vkey[i]) == DP_OK && memcmp(&k, &k2, sizeof k) == 0);
		sodium_memzero(sk, sizeof sk);
		sodium_memzero(seed, sizeof seed);
	}

	/* §5 a real witness vkey and a cosignature blob */
	CHECK(v->nvkey[5] == 1 && v->cosig_b64 && v->not_cosig_b64);
	if (v->nvkey[5] == 1 && v->cosig_b64 && v->not_cosig_b64) {
		CHECK(vkey(&k, v->vkey[5][0]) == DP_OK && k.type == DP_NOTE_COSIG_V1 && k.id == 0xda77ade7 &&
		      dp_note_vkey_format(out, sizeof out, &k) == DP_OK && strcmp(out, v->vkey[5][0]) == 0);
		uint8_t blob[128];
		size_t bl;
		CHECK(dp_b64_decode(blob, sizeof blob, &bl, v->cosig_b64, strlen(v->cosig_b64), 1) ==
			      DP_OK &&
		      bl == 76);
		uint64_t t = 0;
		for (int i = 0; i < 8; i++)
			t = t << 8 | blob[4 + i];
		CHECK(blob[0] == 0x64 && blob[1] == 0x68 && blob[2] == 0x46 && blob[3] == 0xb9 &&
		      t == 1727964367);
		/* a 68-byte (type 0x01) signature under a cosigner key: never a cosignature */
		CHECK(dp_b64_decode(blob, sizeof blob, &bl, v->not_cosig_b64, strlen(v->not_cosig_b64),
				    1) == DP_OK &&
		      bl == 68);
		uint8_t pk[32], sk[64];
		crypto_sign_ed25519_keypair(pk, sk);
		CHECK(dp_note_vkey_make(&k, "w.example", DP_NOTE_COSIG_V1, pk) == DP_OK);
		blob[0] = (uint8_t)(k.id >> 24);
		blob[1] = (uint8_t)(k.id >> 16);
		blob[2] = (uint8_t)(k.id >> 8);
		blob[3] = (uint8_t)k.id;
		char enc[128], note[512];
		const char *text = "o.example\n1\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n";
		/* even a valid Ed25519 signature of the text by the same key */
		crypto_sign_ed25519_detached(blob + 4, NULL, (const uint8_t *)text, strlen(text), sk);
		dp_b64_encode(enc, blob, 68, 1);
		snprintf(note, sizeof note, "%s\n\xe2\x80\x94 w.example %s\n", text, enc);
		CHECK(dp_note_open(note, strlen(note), &k, 1, ver, ts, NULL) == DP_ESIG);
		sodium_memzero(sk, sizeof sk);
	}
}

/* ---- Tessera log ---- */

typedef struct {
	uint8_t tile[256][H];
	unsigned n;
	int bad;
} tile_collect;

static int collect_l0(void *ctx, unsigned level, uint64_t n, const uint8_t h[H])
{
	tile_collect *c = ctx;
	if (level == 0) {
		if (n != c->n || n >= 256)
			c->bad++;
		else
			memcpy(c->tile[c->n++], h, H);
	}
	return DP_OK;
}

typedef struct {
	char *w[16];
	unsigned n;
	int bad;
} words;

static int check_word(void *ctx, unsigned i, const uint8_t *e, size_t elen)
{
	words *w = ctx;
	if (i >= w->n || strlen(w->w[i]) != elen || memcmp(w->w[i], e, elen))
		w->bad++;
	return DP_OK;
}

static void test_tessera(note_vecs *v)
{
	if (!v->skey[3] || !v->leaves || v->nvkey[3] != 1) {
		CHECKF(0, "tessera: vectors missing from signed-note-vectors.txt");
		return;
	}
	words w = {{0}, 0, 0};
	char *lv = strdup(v->leaves), *save = NULL;
	for (char *t = strtok_r(lv, " ", &save); t && w.n < 16; t = strtok_r(NULL, " ", &save))
		w.w[w.n++] = t;
	CHECK(w.n == 15);
	dp_note_vkey k;
	uint8_t sk[64];
	CHECK(dp_note_skey_parse(&k, sk, v->skey[3], strlen(v->skey[3])) == DP_OK);
	dp_tlog_range rg;
	dp_tlog_range_init(&rg);
	tile_collect tc;
	memset(&tc, 0, sizeof tc);
	int cp_ok = 0, tile_ok = 0, bundle_ok = 0, open_ok = 0, path_ok = 0;
	uint8_t leaves[16][H];
	for (unsigned n = 0; n <= w.n; n++) {
		if (n > 0) {
			dp_tlog_leaf_hash(leaves[n - 1], (const uint8_t *)w.w[n - 1], strlen(w.w[n - 1]));
			if (dp_tlog_range_append(&rg, leaves[n - 1], collect_l0, &tc))
				continue;
		}
		/* checkpoint.N, re-signed byte for byte */
		dp_checkpoint c;
		memset(&c, 0, sizeof c);
		snprintf(c.origin, sizeof c.origin, "%s", k.name);
		c.size = n;
		dp_tlog_range_root(&rg, c.root);
		dp_buf b;
		dp_buf_init(&b, DP_NOTE_MAX);
		int r = dp_checkpoint_format(&b, &c);
		size_t text_len = b.len;
		if (!r)
			r = dp_buf_putc(&b, '\n');
		if (!r)
			r = dp_note_sign_line(&b, (const char *)b.p, text_len, k.name, sk);
		char rel[64];
		snprintf(rel, sizeof rel, "tessera-log/checkpoint.%u", n);
		size_t fl;
		char *f = (char *)readv(rel, &fl);
		if (!r && f && fl == b.len && memcmp(f, b.p, fl) == 0)
			cp_ok++;
		else
			fprintf(stderr, "%s differs:\n%s---\n%s", rel, f ? f : "(missing)", (char *)b.p);
		int ver = 0;
		size_t tl;
		dp_checkpoint pc;
		if (f && dp_note_open(f, fl, &k, 1, &ver, NULL, &tl) == DP_OK && ver &&
		    dp_checkpoint_parse(&pc, f, tl) == DP_OK && pc.size == n &&
		    memcmp(pc.root, c.root, H) == 0 && strcmp(pc.origin, k.name) == 0 && pc.next == tl)
			open_ok++;
		if (n == w.n) {
			size_t ll;
			char *latest = (char *)readv("tessera-log/checkpoint", &ll);
			CHECK(latest && f && ll == fl && memcmp(latest, f, ll) == 0);
			free(latest);
		}
		free(f);
		dp_buf_free(&b);
		if (n == 0)
			continue;
		/* tile/0/000.p/N: the leaf hashes the range emitted */
		char path[64];
		if (dp_tlog_tile_path(path, sizeof path, 0, 0, dp_tlog_tile_width(0, 0, n)) == DP_OK &&
		    snprintf(rel, sizeof rel, "tessera-log/tile/0/000.p/%u", n) > 0 &&
		    strcmp(rel + strlen("tessera-log/"), path) == 0)
			path_ok++;
		uint8_t *tile = readv(rel, &fl);
		if (tile && fl == n * H && tc.n == n && memcmp(tile, tc.tile, fl) == 0)
			tile_ok++;
		free(tile);
		/* tile/entries/000.p/N: parse, check the words, re-encode identically */
		snprintf(rel, sizeof rel, "tessera-log/tile/entries/000.p/%u", n);
		uint8_t *bun = readv(rel, &fl);
		words wn = w;
		wn.n = n;
		wn.bad = 0;
		dp_buf re;
		dp_buf_init(&re, 1 << 16);
		int rb = bun ? dp_tlog_bundle_parse(bun, fl, n, check_word, &wn) : DP_EIO;
		for (unsigned i = 0; !rb && i < n; i++)
			rb = dp_tlog_bundle_put(&re, (const uint8_t *)w.w[i], strlen(w.w[i]));
		if (!rb && wn.bad == 0 && re.len == fl && memcmp(re.p, bun, fl) == 0)
			bundle_ok++;
		dp_buf_free(&re);
		free(bun);
	}
	CHECKF(cp_ok == 16, "tessera checkpoints re-signed identically: %d of 16", cp_ok);
	CHECKF(open_ok == 16, "tessera checkpoints opened: %d of 16", open_ok);
	CHECKF(tile_ok == 15 && path_ok == 15, "tessera tiles: %d, paths %d of 15", tile_ok, path_ok);
	CHECKF(bundle_ok == 15, "tessera bundles: %d of 15", bundle_ok);
	CHECK(tc.bad == 0);
	/* every inclusion and consistency proof of the 15-leaf tree against the real roots */
	memtree t;
	mt_build(&t, (const uint8_t(*)[H])leaves, 15);
	int bad = 0;
	uint8_t roots[16][H];
	for (uint64_t s = 0; s <= 15; s++)
		if (dp_tlog_root(s, mt_read, &t, roots[s]))
			bad++;
	for (uint64_t s = 1; s <= 15; s++) {
		char rel[64];
		size_t fl, tl;
		dp_checkpoint pc;
		snprintf(rel, sizeof rel, "tessera-log/checkpoint.%llu", (unsigned long long)s);
		char *f = (char *)readv(rel, &fl);
		if (!f || dp_note_parse(f, fl, &tl, NULL, 0, NULL) || dp_checkpoint_parse(&pc, f, tl) ||
		    memcmp(pc.root, roots[s], H))
			bad++;
		free(f);
	}
	CHECK(bad == 0);
	mt_free(&t);
	sodium_memzero(sk, sizeof sk);
	free(lv);
}

/* ---- Sunlight witness fixtures ---- */

typedef struct {
	const char *dir;
	uint64_t size;
} file_tiles;

static int file_tile_read(void *ctx, unsigned tlevel, uint64_t from, size_t count, uint8_t *out)
{
	file_tiles *ft = ctx;
	uint64_t n = from / 256;
	unsigned off = (unsigned)(from % 256);
	unsigned w = dp_tlog_tile_width(tlevel, n, ft->size);
	if (w == 0 || off + count > w)
		return DP_ENOTFOUND;
	char path[64], full[8192];
	if (dp_tlog_tile_path(path, sizeof path, (int)tlevel, n, w))
		return DP_EINVAL;
	snprintf(full, sizeof full, "%s/%s", ft->dir, path);
	size_t fl;
	uint8_t *f = t_read_file(full, &fl);
	if (!f)
		return DP_ENOTFOUND;
	int r = fl == (size_t)w * H ? DP_OK : DP_EPARSE;
	if (!r)
		memcpy(out, f + (size_t)off * H, count * H);
	free(f);
	return r;
}

static void test_sunlight(note_vecs *v)
{
	const char *d = vdir();
	if (v->ncos != 3) {
		CHECKF(0, "sunlight: cosigner vectors missing");
		return;
	}
	/* the cosigner keys from their seeds (SHA-256 of the published strings) */
	dp_note_vkey keys[3];
	for (int i = 0; i < 3; i++) {
		uint8_t seed[32], pk[32], sk[64];
		dp_sha256(seed, v->cos_seed[i], strlen(v->cos_seed[i]));
		crypto_sign_ed25519_seed_keypair(pk, sk, seed);
		CHECK(dp_note_vkey_make(&keys[i], v->cos_name[i], DP_NOTE_COSIG_V1, pk) == DP_OK);
		sodium_memzero(sk, sizeof sk);
		sodium_memzero(seed, sizeof seed);
	}
	static const char *files[3] = {
		"sunlight-witness/witness/000de184301123b9278c086a7d9f68c9577e83872224c197058fd90784ea9706/checkpoint",
		"sunlight-witness/witness2/88ad7a28caeb0b2aa890fdf0304c2fcaf59fca2ee140134ff8c1300bac493482/checkpoint",
		"sunlight-witness/witness/mirror/000de184301123b9278c086a7d9f68c9577e83872224c197058fd90784ea9706/checkpoint",
	};
	static const char *origin[3] = {"rome2026h1.example.org", "milan2026h1.example.org",
					"rome2026h1.example.org"};
	dp_checkpoint cps[3];
	for (int i = 0; i < 3; i++) {
		size_t fl, tl;
		char *f = (char *)readv(files[i], &fl);
		int ver[3];
		uint64_t ts[3];
		CHECKF(f != NULL, "%s", files[i]);
		if (!f)
			continue;
		/* key i (witness, witness2, mirror) cosigned checkpoint i; the others did not */
		CHECK(dp_note_open(f, fl, keys, 3, ver, ts, &tl) == DP_OK && ver[i] == 1 &&
		      ts[i] == 1767139200 && ver[(i + 1) % 3] == 0 && ver[(i + 2) % 3] == 0);
		CHECK(dp_checkpoint_parse(&cps[i], f, tl) == DP_OK && cps[i].size == 300 &&
		      strcmp(cps[i].origin, origin[i]) == 0);
		/* the directory is hex SHA-256 of the origin */
		uint8_t oh[32];
		char hex[65];
		dp_sha256(oh, origin[i], strlen(origin[i]));
		dp_hex_encode(hex, oh, 32);
		CHECK(strstr(files[i], hex) != NULL);
		/* one changed bit of the text: the cosignature no longer verifies */
		f[5] ^= 0x01;
		CHECK(dp_note_open(f, fl, keys, 3, ver, ts, NULL) == DP_ESIG);
		f[5] ^= 0x01;
		/* the log's 0x05 line is some other key's: a witness key under its name is still ignored */
		dp_note_vkey other = keys[i];
		snprintf(other.name, sizeof other.name, "%s", origin[i]);
		CHECK(dp_note_open(f, fl, &other, 1, ver, ts, NULL) == DP_ESIG);
		free(f);
	}
	/* decoys are not notes */
	static const char *decoys[2] = {"sunlight-witness/witness/checkpoint",
					"sunlight-witness/witness/mirror/checkpoint"};
	for (int i = 0; i < 2; i++) {
		size_t fl, tl;
		char *f = (char *)readv(decoys[i], &fl);
		CHECK(f && dp_note_parse(f, fl, &tl, NULL, 0, NULL) == DP_EPARSE);
		free(f);
	}
	/* the mirror's hash tiles give its checkpoint's root; leaves are "record <i>" */
	char dir[4096];
	snprintf(dir, sizeof dir,
		 "%s/sunlight-witness/witness/mirror/000de184301123b9278c086a7d9f68c9577e83872224c197058fd90784ea9706",
		 d);
	file_tiles ft = {dir, 300};
	dp_tlog_tiles tiles = {file_tile_read, &ft};
	uint8_t root[H];
	CHECK(dp_tlog_root(300, dp_tlog_tiles_node, &tiles, root) == DP_OK &&
	      memcmp(root, cps[2].root, H) == 0);
	int bad = 0;
	for (uint64_t i = 0; i < 300; i++) {
		char rec[32];
		uint8_t lh[H], th[H], pf[DP_TLOG_PROOF_MAX][H];
		size_t n;
		snprintf(rec, sizeof rec, "record %llu", (unsigned long long)i);
		dp_tlog_leaf_hash(lh, (const uint8_t *)rec, strlen(rec));
		if (dp_tlog_tiles_node(&tiles, 0, i, th) || memcmp(th, lh, H))
			bad++;
		if (dp_tlog_prove_inclusion(i, 300, dp_tlog_tiles_node, &tiles, pf, &n) ||
		    dp_tlog_verify_inclusion(i, 300, lh, (const uint8_t(*)[H])pf, n, root))
			bad++;
	}
	CHECKF(bad == 0, "mirror leaves/proofs: %d bad", bad);
	/* level-1 partial tile of width 1: node (8, 0) */
	uint8_t n8[H];
	CHECK(dp_tlog_tiles_node(&tiles, 8, 0, n8) == DP_OK);
	CHECK(dp_tlog_tiles_node(&tiles, 8, 1, n8) == DP_ENOTFOUND);
	/* a consistency proof 256 -> 300 from the tiles */
	uint8_t pf[DP_TLOG_PROOF_MAX][H], r256[H];
	size_t n;
	CHECK(dp_tlog_root(256, dp_tlog_tiles_node, &tiles, r256) == DP_OK && memcmp(r256, n8, H) == 0);
	CHECK(dp_tlog_prove_consistency(256, 300, dp_tlog_tiles_node, &tiles, pf, &n) == DP_OK &&
	      dp_tlog_verify_consistency(256, 300, r256, root, (const uint8_t(*)[H])pf, n) == DP_OK);
}

/* ---- notes, keys, checkpoints, proofs: strictness ---- */

#define TEXT "o.example/log\n5\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n"

static void test_note_rules(void)
{
	uint8_t pk[32], sk[64], wpk[32], wsk[64];
	crypto_sign_ed25519_keypair(pk, sk);
	crypto_sign_ed25519_keypair(wpk, wsk);
	dp_note_vkey keys[2];
	CHECK(dp_note_vkey_make(&keys[0], "o.example/log", DP_NOTE_ED25519, pk) == DP_OK);
	CHECK(dp_note_vkey_make(&keys[1], "w.example", DP_NOTE_COSIG_V1, wpk) == DP_OK);
	CHECK(dp_note_vkey_make(&keys[0], "bad name", DP_NOTE_ED25519, pk) == DP_EINVAL);
	CHECK(dp_note_vkey_make(&keys[0], "x", 0x02, pk) == DP_EUNSUPP);
	CHECK(dp_note_vkey_make(&keys[0], "o.example/log", DP_NOTE_ED25519, pk) == DP_OK);

	/* sign, cosign, open */
	dp_buf b;
	dp_buf_init(&b, DP_NOTE_MAX);
	const char *text = TEXT;
	size_t tl = strlen(text);
	CHECK(dp_buf_append(&b, text, tl) == DP_OK && dp_buf_putc(&b, '\n') == DP_OK);
	CHECK(dp_note_sign_line(&b, text, tl, "o.example/log", sk) == DP_OK);
	CHECK(dp_note_cosign_line(&b, text, tl, "w.example", wsk, 1700000000) == DP_OK);
	int ver[2];
	uint64_t ts[2];
	size_t otl;
	CHECK(dp_note_open((char *)b.p, b.len, keys, 2, ver, ts, &otl) == DP_OK && ver[0] && ver[1] &&
	      ts[1] == 1700000000 && ts[0] == 0 && otl == tl);
	/* the cosignature line is 76 bytes: id || ts || sig */
	dp_note_sig sg[4];
	size_t ns;
	CHECK(dp_note_parse((char *)b.p, b.len, &otl, sg, 4, &ns) == DP_OK && ns == 2 &&
	      sg[1].siglen == 72 && sg[1].id == keys[1].id && sg[0].siglen == 64);
	CHECK(dp_note_parse((char *)b.p, b.len, &otl, sg, 1, &ns) == DP_ETOOBIG);
	/* the cosigner key does not open the log's line and vice versa: each only its own */
	CHECK(dp_note_open((char *)b.p, b.len, &keys[1], 1, ver, ts, NULL) == DP_OK && ver[0]);
	/* a cosignature is not an Ed25519 note signature of the same key */
	dp_note_vkey as_ed = keys[1];
	as_ed.type = DP_NOTE_ED25519;
	as_ed.id = dp_note_key_id(as_ed.name, DP_NOTE_ED25519, as_ed.pub);
	CHECK(dp_note_open((char *)b.p, b.len, &as_ed, 1, ver, ts, NULL) == DP_ESIG);
	/* same key id, wrong public key: verified and failed */
	dp_note_vkey wrong = keys[0];
	wrong.pub[0] ^= 1;
	CHECK(dp_note_open((char *)b.p, b.len, &wrong, 1, ver, ts, NULL) == DP_ESIG);
	/* strict Ed25519 (crypto.h's rule set): S + L is the same signature to a lax verifier */
	{
		static const uint8_t L[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
					      0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
					      0,    0,    0,    0,    0,    0,    0,    0,
					      0,    0,    0,    0,    0,    0,    0,    0x10};
		dp_buf n1;
		dp_buf_init(&n1, 4096);
		CHECK(dp_buf_append(&n1, text, tl) == DP_OK && dp_buf_putc(&n1, '\n') == DP_OK);
		size_t head = n1.len;
		CHECK(dp_note_sign_line(&n1, text, tl, "o.example/log", sk) == DP_OK);
		CHECK(dp_note_open((char *)n1.p, n1.len, keys, 1, ver, NULL, NULL) == DP_OK);
		char *b64 = (char *)n1.p + head + strlen("\xe2\x80\x94 o.example/log ");
		uint8_t blob[68];
		size_t bl;
		CHECK(dp_b64_decode(blob, sizeof blob, &bl, b64, 92, 1) == DP_OK && bl == 68);
		unsigned carry = 0;
		for (int i = 0; i < 32; i++) {
			unsigned v = blob[4 + 32 + i] + L[i] + carry;
			blob[4 + 32 + i] = (uint8_t)v;
			carry = v >> 8;
		}
		char enc[100];
		dp_b64_encode(enc, blob, sizeof blob, 1);
		memcpy(b64, enc, 92);
		CHECK(dp_note_open((char *)n1.p, n1.len, keys, 1, ver, NULL, NULL) == DP_ESIG);
		/* a small-order key with R = identity, S = 0 "signs" anything under the lax rules */
		uint8_t ident[32] = {1};
		dp_note_vkey weak;
		CHECK(dp_note_vkey_make(&weak, "weak.example", DP_NOTE_ED25519, ident) == DP_OK);
		uint8_t wb[68] = {0};
		for (int i = 0; i < 4; i++)
			wb[i] = (uint8_t)(weak.id >> (24 - 8 * i));
		wb[4] = 1;
		dp_b64_encode(enc, wb, sizeof wb, 1);
		char wn[512];
		snprintf(wn, sizeof wn, "%s\n\xe2\x80\x94 weak.example %s\n", text, enc);
		CHECK(dp_note_open(wn, strlen(wn), &weak, 1, ver, NULL, NULL) == DP_ESIG);
		dp_buf_free(&n1);
	}
	/* a timestamp of 2^63 or more is refused even when signed */
	{
		uint8_t blob[4 + 72];
		uint64_t big = (uint64_t)1 << 63;
		char head[64], enc[128];
		int hl = snprintf(head, sizeof head, "cosignature/v1\ntime %llu\n", (unsigned long long)big);
		uint8_t *m = malloc((size_t)hl + tl);
		memcpy(m, head, (size_t)hl);
		memcpy(m + hl, text, tl);
		for (int i = 0; i < 4; i++)
			blob[i] = (uint8_t)(keys[1].id >> (24 - 8 * i));
		for (int i = 0; i < 8; i++)
			blob[4 + i] = (uint8_t)(big >> (56 - 8 * i));
		crypto_sign_ed25519_detached(blob + 12, NULL, m, (size_t)hl + tl, wsk);
		free(m);
		dp_b64_encode(enc, blob, sizeof blob, 1);
		char note[512];
		snprintf(note, sizeof note, "%s\n\xe2\x80\x94 w.example %s\n", text, enc);
		CHECK(dp_note_open(note, strlen(note), &keys[1], 1, ver, ts, NULL) == DP_ESIG);
	}
	CHECK(dp_note_cosign_line(&b, text, tl, "w.example", wsk, 0) == DP_EINVAL);
	CHECK(dp_note_cosign_line(&b, text, tl, "w.example", wsk, (uint64_t)1 << 63) == DP_EINVAL);
	CHECK(dp_note_cosign_line(&b, text, tl - 1, "w.example", wsk, 5) == DP_EINVAL);
	CHECK(dp_note_sign_line(&b, text, tl, "w example", sk) == DP_EINVAL);
	CHECK(dp_note_sign_line(&b, "a\tb\n", 4, "w", sk) == DP_EINVAL);
	CHECK(dp_note_sign_line(&b, "", 0, "w", sk) == DP_EINVAL);

	/* a post-quantum-sized line from an unknown key does not make the note unreadable */
	{
		dp_buf pq;
		dp_buf_init(&pq, DP_NOTE_MAX);
		uint8_t blob[4 + 2428];
		char *enc = malloc(dp_b64_enclen(sizeof blob, 1) + 1);
		randombytes_buf(blob, sizeof blob);
		dp_b64_encode(enc, blob, sizeof blob, 1);
		CHECK(dp_buf_append(&pq, b.p, b.len) == DP_OK &&
		      dp_buf_printf(&pq, "\xe2\x80\x94 pq.example %s\n", enc) == DP_OK);
		CHECK(dp_note_parse((char *)pq.p, pq.len, &otl, sg, 4, &ns) == DP_OK && ns == 3 &&
		      sg[2].siglen == 0 && strcmp(sg[2].name, "pq.example") == 0);
		CHECK(dp_note_open((char *)pq.p, pq.len, keys, 2, ver, ts, NULL) == DP_OK && ver[0] &&
		      ver[1]);
		/* ... unless it claims to be a known key's */
		dp_note_vkey pqk = keys[0];
		snprintf(pqk.name, sizeof pqk.name, "pq.example");
		pqk.id = (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 | (uint32_t)blob[2] << 8 | blob[3];
		CHECK(dp_note_open((char *)pq.p, pq.len, &pqk, 1, ver, ts, NULL) == DP_ESIG);
		free(enc);
		dp_buf_free(&pq);
	}

	/* malformed notes: each a small edit of a valid one */
	char good[1024];
	snprintf(good, sizeof good, "%s", (char *)b.p);
	char *sig1 = strstr(good, "\xe2\x80\x94 o.example/log ") + strlen("\xe2\x80\x94 o.example/log ");
	char sigb64[200];
	snprintf(sigb64, sizeof sigb64, "%.*s", (int)(strchr(sig1, '\n') - sig1), sig1);
	static const char *templ[] = {
		"{A}\n\xe2\x80\x94 o.example/log {B}",                 /* no final newline */
		"{A}\xe2\x80\x94 o.example/log {B}\n",                 /* no empty line */
		"{A}\n",                                              /* no signatures */
		"{A}\n\n\xe2\x80\x94 o.example/log {B}\n\n",           /* empty line after signatures */
		"{A}\n- o.example/log {B}\n",                          /* ASCII dash */
		"{A}\n\xe2\x80\x94o.example/log {B}\n",                /* no space after the dash */
		"{A}\n\xe2\x80\x94  o.example/log {B}\n",              /* empty name */
		"{A}\n\xe2\x80\x94 o.example/log  {B}\n",              /* two spaces */
		"{A}\n\xe2\x80\x94 o.example/log {B} \n",              /* trailing space */
		"{A}\n\xe2\x80\x94 o.example+log {B}\n",               /* '+' in the name */
		"{A}\n\xe2\x80\x94 o.example/log\xc2\xa0x {B}\n",      /* NBSP in the name */
		"{A}\n\xe2\x80\x94 o.example/log {B}\r\n",             /* CR */
		"{A}\n\xe2\x80\x94 o.example/log {B}AA\n",             /* base64 not padded */
		"{A}\n\xe2\x80\x94 o.example/log \n",                 /* no signature */
		"{A}\n\xe2\x80\x94 o.example/log AAAAAA==\n",         /* 4 bytes: an id, no signature */
		"{A}\n\xe2\x80\x94 o.example/log {B}\nnot a signature\n",
		"{A}\t\n\xe2\x80\x94 o.example/log {B}\n",             /* tab in the text */
		"{A}\x01\n\xe2\x80\x94 o.example/log {B}\n",           /* control character */
		"{A}\xc0\xaf\n\xe2\x80\x94 o.example/log {B}\n",       /* overlong UTF-8 */
		"{A}\xed\xa0\x80\n\xe2\x80\x94 o.example/log {B}\n",   /* surrogate */
		"{A}\xe2\x80\n\xe2\x80\x94 o.example/log {B}\n",       /* truncated UTF-8 */
		"{A}\xff\n\xe2\x80\x94 o.example/log {B}\n",           /* invalid byte */
		"{A}\xf4\x90\x80\x80\n\xe2\x80\x94 o.example/log {B}\n", /* past U+10FFFF */
		"\n\xe2\x80\x94 o.example/log {B}\n",                 /* a lone newline, then the signature: no empty line */
	};
	for (size_t i = 0; i < sizeof templ / sizeof templ[0]; i++) {
		char note[1200];
		size_t nl = expand(note, sizeof note, templ[i], text, sigb64);
		CHECKF(dp_note_parse(note, nl, &otl, NULL, 0, &ns) == DP_EPARSE, "note case %zu", i);
		CHECKF(dp_note_open(note, nl, keys, 2, ver, ts, NULL) == DP_EPARSE, "open case %zu", i);
	}
	/* shifted base64 is still a line, of no known key's: nothing verifies */
	{
		char note[1200];
		size_t nl = expand(note, sizeof note, "{A}\n\xe2\x80\x94 o.example/log AAAA{B}\n", text, sigb64);
		CHECK(dp_note_parse(note, nl, &otl, sg, 4, &ns) == DP_OK && ns == 1 && sg[0].siglen == 67);
		CHECK(dp_note_open(note, nl, keys, 2, ver, ts, NULL) == DP_ESIG);
	}
	/* a NUL byte anywhere (the length, not the terminator, bounds a note) */
	{
		char note[1200];
		size_t nl = expand(note, sizeof note, "{A}\n\xe2\x80\x94 o.example/log {B}\n", text, sigb64);
		CHECK(dp_note_parse(note, nl, &otl, NULL, 0, &ns) == DP_OK);
		CHECK(dp_note_parse(note, nl + 1, &otl, NULL, 0, &ns) == DP_EPARSE);
		note[3] = 0;
		CHECK(dp_note_parse(note, nl, &otl, NULL, 0, &ns) == DP_EPARSE);
		CHECK(dp_note_parse(note, 0, &otl, NULL, 0, &ns) == DP_EPARSE);
	}
	/* valid edge cases: empty lines inside the text; a one-line "\n" text */
	{
		const char *t2 = "a\n\nb\n\n\nc\n";
		dp_buf n2;
		dp_buf_init(&n2, 4096);
		CHECK(dp_buf_puts(&n2, t2) == DP_OK && dp_buf_putc(&n2, '\n') == DP_OK &&
		      dp_note_sign_line(&n2, t2, strlen(t2), "o.example/log", sk) == DP_OK);
		CHECK(dp_note_open((char *)n2.p, n2.len, keys, 1, ver, NULL, &otl) == DP_OK &&
		      otl == strlen(t2));
		dp_buf_free(&n2);
	}
	/* signature count: 100 lines are read, 101 are too many */
	{
		dp_buf many;
		dp_buf_init(&many, DP_NOTE_MAX);
		CHECK(dp_buf_append(&many, text, tl) == DP_OK && dp_buf_putc(&many, '\n') == DP_OK);
		for (int i = 0; i < 100; i++)
			CHECK(dp_buf_printf(&many, "\xe2\x80\x94 u%d.example %s\n", i, sigb64) == DP_OK);
		CHECK(dp_note_parse((char *)many.p, many.len, &otl, NULL, 0, &ns) == DP_OK && ns == 100);
		CHECK(dp_buf_printf(&many, "\xe2\x80\x94 o.example/log %s\n", sigb64) == DP_OK);
		CHECK(dp_note_parse((char *)many.p, many.len, &otl, NULL, 0, &ns) == DP_ETOOBIG);
		dp_buf_free(&many);
		char *huge = malloc(DP_NOTE_MAX + 2);
		memset(huge, 'a', DP_NOTE_MAX + 2);
		CHECK(dp_note_parse(huge, DP_NOTE_MAX + 1, &otl, NULL, 0, &ns) == DP_ETOOBIG);
		free(huge);
	}
	/* names */
	CHECK(dp_note_name_ok("example.com/log") && dp_note_name_ok("\xe6\x97\xa5\xe6\x9c\xac"));
	CHECK(!dp_note_name_ok("") && !dp_note_name_ok("a b") && !dp_note_name_ok("a+b") &&
	      !dp_note_name_ok("a\tb") && !dp_note_name_ok("a\xe3\x80\x80" "b") &&
	      !dp_note_name_ok("a\x7f") && !dp_note_name_ok("\xc3") && !dp_note_name_ok(NULL));
	char long_name[300];
	memset(long_name, 'n', sizeof long_name);
	long_name[255] = 0;
	CHECK(dp_note_name_ok(long_name));
	long_name[255] = 'n';
	long_name[256] = 0;
	CHECK(!dp_note_name_ok(long_name));
	dp_buf_free(&b);
	sodium_memzero(sk, sizeof sk);
	sodium_memzero(wsk, sizeof wsk);
}

static void test_key_rules(void)
{
	dp_note_vkey k;
	const char *good = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
	CHECK(vkey(&k, good) == DP_OK);
	static const struct {
		const char *s;
		int err;
	} bad[] = {
		{"PeterNeumann", DP_EPARSE},
		{"PeterNeumann+c74f20a3", DP_EPARSE},
		{"PeterNeumann+c74f20a3+", DP_EPARSE},
		{"+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", DP_EPARSE},
		{"PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", DP_EPARSE},
		{"PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", DP_EPARSE},
		{"PeterNeumann+c74f20a30+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", DP_EPARSE},
		{"PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", DP_EPARSE},
		{"Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", DP_EPARSE},
		{"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", DP_EPARSE},
		{"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW ", DP_EPARSE},
		{"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAAAA", DP_EPARSE},
		{"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10", DP_EPARSE},
		{"PeterNeumann+c74f20a3+AA==", DP_EUNSUPP},
		{"PeterNeumann+c74f20a3+Ag==", DP_EUNSUPP},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECKF(vkey(&k, bad[i].s) == bad[i].err, "vkey case %zu", i);
	char toolong[DP_NOTE_VKEY_MAX + 2];
	memset(toolong, 'a', sizeof toolong);
	CHECK(dp_note_vkey_parse(&k, toolong, sizeof toolong) == DP_ETOOBIG);
	/* length-bounded: a prefix of a good key does not parse as the whole */
	CHECK(dp_note_vkey_parse(&k, good, strlen(good) - 4) == DP_EPARSE);
	char out[16];
	CHECK(vkey(&k, good) == DP_OK && dp_note_vkey_format(out, sizeof out, &k) == DP_ETOOBIG);
	/* skeys */
	uint8_t sk[64];
	const char *skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
	CHECK(dp_note_skey_parse(&k, sk, skey, strlen(skey)) == DP_OK);
	CHECK(dp_note_skey_parse(&k, sk, skey + 8, strlen(skey) - 8) == DP_EPARSE);
	const char *skey_bad = "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
	uint8_t zero[64] = {0};
	CHECK(dp_note_skey_parse(&k, sk, skey_bad, strlen(skey_bad)) == DP_EPARSE &&
	      memcmp(sk, zero, 64) == 0);
}

static void test_checkpoint_rules(void)
{
	dp_checkpoint c;
	const char *root = "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=";
	char t[512];
	snprintf(t, sizeof t, "o.example/log\n18446744073709551615\n%s\n", root);
	CHECK(dp_checkpoint_parse(&c, t, strlen(t)) == DP_OK && c.size == UINT64_MAX &&
	      c.next == strlen(t) && strcmp(c.origin, "o.example/log") == 0);
	snprintf(t, sizeof t, "o.example/log\n0\n%s\next one\next two\n", root);
	CHECK(dp_checkpoint_parse(&c, t, strlen(t)) == DP_OK && c.size == 0 &&
	      c.next == strlen("o.example/log\n0\n") + strlen(root) + 1);
	static const char *bad[] = {
		"o.example/log\n01\n{A}\n",
		"o.example/log\n-1\n{A}\n",
		"o.example/log\n+1\n{A}\n",
		"o.example/log\n 1\n{A}\n",
		"o.example/log\n1 \n{A}\n",
		"o.example/log\n\n{A}\n",
		"o.example/log\n18446744073709551616\n{A}\n",
		"o.example/log\n99999999999999999999\n{A}\n",
		"o.example/log\n0x10\n{A}\n",
		"o.example/log\n1\n{A}",                        /* no final newline */
		"o.example/log\n1\n{A}\n\n",                    /* empty extension line */
		"o.example/log\n1\n{A}\next\n\n",
		"o.example/log\n1\n{A}\r\n",
		"o.example/log\r\n1\n{A}\n",
		"o example/log\n1\n{A}\n",
		"\n1\n{A}\n",
		"o.example/log\n1\n",
		"o.example/log\n1\n{A}AAAA\n",                  /* 35 bytes */
		"o.example/log\n1\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0\n", /* unpadded */
		"o.example/log\n1\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoA==\n", /* 31 bytes */
		"o.example/log\n1\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB1=\n", /* trailing bits */
		"o.example/log\n1\n{A}\next\x01\n",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t l = expand(t, sizeof t, bad[i], root, NULL);
		CHECKF(dp_checkpoint_parse(&c, t, l) == DP_EPARSE, "checkpoint case %zu", i);
	}
	/* format: the canonical text, refused for a bad origin */
	memset(&c, 0, sizeof c);
	snprintf(c.origin, sizeof c.origin, "o.example/log");
	c.size = 1;
	CHECK(b64h(c.root, root));
	dp_buf b;
	dp_buf_init(&b, 4096);
	CHECK(dp_checkpoint_format(&b, &c) == DP_OK);
	snprintf(t, sizeof t, "o.example/log\n1\n%s\n", root);
	CHECK(b.len == strlen(t) && memcmp(b.p, t, b.len) == 0);
	snprintf(c.origin, sizeof c.origin, "o example");
	CHECK(dp_checkpoint_format(&b, &c) == DP_EINVAL);
	dp_buf_free(&b);
}

static void test_proof_files(void)
{
	uint8_t pk[32], sk[64];
	crypto_sign_ed25519_keypair(pk, sk);
	dp_note_vkey key;
	CHECK(dp_note_vkey_make(&key, "o.example/log", DP_NOTE_ED25519, pk) == DP_OK);
	/* a 21-leaf tree, checkpoint, proofs for every leaf, with and without extra */
	uint8_t lh[21][H], root[H];
	for (int i = 0; i < 21; i++)
		dp_tlog_leaf_hash(lh[i], (const uint8_t *)&i, sizeof i);
	memtree t;
	mt_build(&t, (const uint8_t(*)[H])lh, 21);
	CHECK(dp_tlog_root(21, mt_read, &t, root) == DP_OK);
	dp_checkpoint c;
	memset(&c, 0, sizeof c);
	snprintf(c.origin, sizeof c.origin, "o.example/log");
	c.size = 21;
	memcpy(c.root, root, H);
	dp_buf note;
	dp_buf_init(&note, DP_NOTE_MAX);
	CHECK(dp_checkpoint_format(&note, &c) == DP_OK);
	size_t tl = note.len;
	CHECK(dp_buf_putc(&note, '\n') == DP_OK &&
	      dp_note_sign_line(&note, (char *)note.p, tl, "o.example/log", sk) == DP_OK);
	static dp_tlog_proof p, q;
	int bad = 0;
	for (uint64_t i = 0; i < 21; i++) {
		memset(&p, 0, sizeof p);
		p.index = i;
		if (dp_tlog_prove_inclusion(i, 21, mt_read, &t, p.proof, &p.n))
			bad++;
		p.note = (const char *)note.p;
		p.note_len = note.len;
		if (i % 2) {
			p.has_extra = 1;
			p.extra_len = (size_t)i * 100;
			memset(p.extra_buf, (int)i, p.extra_len);
		}
		dp_buf f;
		dp_buf_init(&f, DP_TLOG_PROOF_TEXT_MAX);
		if (dp_tlog_proof_encode(&f, &p) || dp_tlog_proof_parse(&q, (char *)f.p, f.len)) {
			bad++;
			dp_buf_free(&f);
			continue;
		}
		/* parse gives back what was encoded; the caller's checks pass */
		int ver = 0;
		size_t otl;
		dp_checkpoint pc;
		if (q.index != i || q.n != p.n || memcmp(q.proof, p.proof, p.n * H) ||
		    q.has_extra != p.has_extra || q.extra_len != p.extra_len ||
		    memcmp(q.extra_buf, p.extra_buf, p.extra_len) || q.note_len != note.len ||
		    memcmp(q.note, note.p, note.len) || (q.has_extra && (!q.extra || q.extra[-1] != ' ')))
			bad++;
		if (dp_note_open(q.note, q.note_len, &key, 1, &ver, NULL, &otl) || !ver ||
		    dp_checkpoint_parse(&pc, q.note, otl) ||
		    dp_tlog_verify_inclusion(q.index, pc.size, lh[i], (const uint8_t(*)[H])q.proof, q.n,
					     pc.root))
			bad++;
		/* and the wrong leaf does not verify */
		if (dp_tlog_verify_inclusion(q.index, pc.size, lh[(i + 1) % 21],
					     (const uint8_t(*)[H])q.proof, q.n, pc.root) == DP_OK)
			bad++;
		dp_buf_free(&f);
	}
	CHECK(bad == 0);

	/* a reference text, then malformed variants */
	memset(&p, 0, sizeof p);
	p.index = 3;
	CHECK(dp_tlog_prove_inclusion(3, 21, mt_read, &t, p.proof, &p.n) == DP_OK && p.n == 5);
	p.note = (const char *)note.p;
	p.note_len = note.len;
	p.has_extra = 1;
	p.extra_len = 3;
	memcpy(p.extra_buf, "abc", 3);
	dp_buf f;
	dp_buf_init(&f, DP_TLOG_PROOF_TEXT_MAX);
	CHECK(dp_tlog_proof_encode(&f, &p) == DP_OK);
	const char *want_head = "c2sp.org/tlog-proof@v1\nextra YWJj\nindex 3\n";
	CHECK(strncmp((char *)f.p, want_head, strlen(want_head)) == 0);
	char *body = strstr((char *)f.p, "index 3\n") + strlen("index 3\n"); /* the hashes */
	char hashes[512];
	size_t hl = (size_t)(strstr(body, "\n\n") - body) + 1;
	snprintf(hashes, sizeof hashes, "%.*s", (int)hl, body);
	const char *ck = (const char *)note.p;
	static const char *bad_t[] = {
		"c2sp.org/tlog-proof@v2\nindex 3\n{A}\n{B}",
		"c2sp.org/tlog-proof@v1 \nindex 3\n{A}\n{B}",
		"c2sp.org/tlog-proof@v1\nextra \nindex 3\n{A}\n{B}",        /* empty extra */
		"c2sp.org/tlog-proof@v1\nextra YWJ\nindex 3\n{A}\n{B}",     /* bad base64 */
		"c2sp.org/tlog-proof@v1\nextra YWJj\nextra YWJj\nindex 3\n{A}\n{B}",
		"c2sp.org/tlog-proof@v1\nindex 03\n{A}\n{B}",
		"c2sp.org/tlog-proof@v1\nindex -3\n{A}\n{B}",
		"c2sp.org/tlog-proof@v1\nindex  3\n{A}\n{B}",
		"c2sp.org/tlog-proof@v1\nindex\n{A}\n{B}",
		"c2sp.org/tlog-proof@v1\nindex 3\r\n{A}\n{B}",
		"c2sp.org/tlog-proof@v1\n{A}\n{B}",                         /* no index */
		"c2sp.org/tlog-proof@v1\nindex 3\n{A}AAAA\n\n{B}",          /* a 3-byte hash */
		"c2sp.org/tlog-proof@v1\nindex 3\n{A}{B}",                  /* no empty line */
		"c2sp.org/tlog-proof@v1\nindex 3\n{A}\n",                  /* no checkpoint */
		"c2sp.org/tlog-proof@v1\nindex 3\n{A}\nnot a note\n",
		"c2sp.org/tlog-proof@v1\nindex 3\n{A}\n\n{B}",              /* two empty lines */
		"index 3\n{A}\n{B}",
		"",
	};
	for (size_t i = 0; i < sizeof bad_t / sizeof bad_t[0]; i++) {
		char s[4096];
		size_t l = expand(s, sizeof s, bad_t[i], hashes, ck);
		CHECKF(dp_tlog_proof_parse(&q, s, l) == DP_EPARSE && q.note == NULL, "proof case %zu", i);
	}
	/* the same text, correctly spelled, parses (the table's edits are what fails) */
	{
		char s[4096];
		size_t l = expand(s, sizeof s, "c2sp.org/tlog-proof@v1\nextra YWJj\nindex 3\n{A}\n{B}", hashes, ck);
		CHECK(l == f.len && memcmp(s, f.p, l) == 0 && dp_tlog_proof_parse(&q, s, l) == DP_OK);
	}
	/* 64 hashes are the most a proof file carries */
	{
		dp_buf m;
		dp_buf_init(&m, DP_TLOG_PROOF_TEXT_MAX);
		CHECK(dp_buf_puts(&m, "c2sp.org/tlog-proof@v1\nindex 0\n") == DP_OK);
		for (int i = 0; i < 65; i++)
			CHECK(dp_buf_puts(&m, "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n") == DP_OK);
		CHECK(dp_buf_putc(&m, '\n') == DP_OK && dp_buf_append(&m, note.p, note.len) == DP_OK);
		CHECK(dp_tlog_proof_parse(&q, (char *)m.p, m.len) == DP_ETOOBIG);
		dp_buf_free(&m);
	}
	/* a checkpoint whose note is not a checkpoint, and an empty-extra struct, do not encode */
	p.has_extra = 1;
	p.extra_len = 0;
	CHECK(dp_tlog_proof_encode(&f, &p) == DP_EINVAL);
	p.has_extra = 0;
	p.note = "hello\n\n\xe2\x80\x94 a AAAAAAA=\n";
	p.note_len = strlen(p.note);
	CHECK(dp_tlog_proof_encode(&f, &p) == DP_EINVAL);
	/* no extra and zero hashes: the shortest form parses */
	{
		char s[2048];
		int l = snprintf(s, sizeof s, "c2sp.org/tlog-proof@v1\nindex 0\n\n%s", ck);
		CHECK(dp_tlog_proof_parse(&q, s, (size_t)l) == DP_OK && q.n == 0 && !q.has_extra &&
		      q.extra == NULL);
	}
	dp_buf_free(&f);
	dp_buf_free(&note);
	mt_free(&t);
	sodium_memzero(sk, sizeof sk);
}

int main(void)
{
	if (dp_crypto_init())
		return 1;
	test_hash_constants();
	test_merkle_probes();
	test_self();
	test_uint64_edges();
	test_tile_paths();
	test_node_from_tiles();
	test_bundles();
	test_note_rules();
	test_key_rules();
	test_checkpoint_rules();
	test_proof_files();
	if (vdir()) {
		note_vecs v;
		if (load_note_vecs(&v)) {
			test_note_vectors(&v);
			test_tessera(&v);
			test_sunlight(&v);
			free_note_vecs(&v);
		} else {
			CHECKF(0, "signed-note-vectors.txt missing from %s", vdir());
		}
	} else {
		t_skipped("tlog vectors (notes, tessera, sunlight)",
			  "no vectors directory (set DENPO_VECTORS)");
	}
	return t_done("test_tlog");
}
