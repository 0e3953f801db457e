/*
 * fuzz_tlog - the Merkle side of the transparency log.  The first byte
 * picks what the rest is:
 *
 *   0: a tile path for dp_tlog_tile_parse (what parses re-spells identically)
 *   1: want (1 byte, 0..255; 255 means 256) || an entry bundle for
 *      dp_tlog_bundle_parse (what parses re-encodes identically)
 *   2: arbitrary proof verification: index/size1 (8), size/size2 (8),
 *      leaf/root1 (32), root/root2 (32), then hashes; never crashes, never
 *      answers anything but OK, ESIG or EINVAL
 *   3: a small tree: size (2 bytes, 1..1024), index and size1 (2 bytes
 *      each), the rest seeds the leaves; every generated proof verifies,
 *      a flipped bit does not, and the range's root is the reader's
 */
#include <stdlib.h>
#include <string.h>

#include "denpo/tlog.h"
#include "fuzz/fuzz.h"

#define H DP_TLOG_HASH

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void tile_path(const uint8_t *d, size_t n)
{
	char s[256];
	if (n >= sizeof s)
		return;
	memcpy(s, d, n);
	s[n] = 0;
	int lv;
	uint64_t idx;
	unsigned w;
	if (dp_tlog_tile_parse(s, &lv, &idx, &w) != DP_OK)
		return;
	char out[256];
	if (lv < -1 || lv > 63 || w < 1 || w > 256 || dp_tlog_tile_path(out, sizeof out, lv, idx, w) ||
	    strcmp(out, s) != 0)
		__builtin_trap();
}

typedef struct {
	dp_buf *b;
	unsigned n;
} rebuild;

static int put_entry(void *ctx, unsigned i, const uint8_t *e, size_t elen)
{
	rebuild *r = ctx;
	if (i != r->n++ || dp_tlog_bundle_put(r->b, e, elen))
		__builtin_trap();
	return DP_OK;
}

static void bundle(const uint8_t *d, size_t n)
{
	if (n < 1)
		return;
	unsigned want = d[0] == 255 ? 256 : d[0];
	dp_buf b;
	dp_buf_init(&b, n);
	rebuild r = {&b, 0};
	if (dp_tlog_bundle_parse(d + 1, n - 1, want, put_entry, &r) == DP_OK) {
		if (r.n != want || b.len != n - 1 || (b.len && memcmp(b.p, d + 1, b.len)))
			__builtin_trap();
	}
	dp_buf_free(&b);
}

static void verify_any(const uint8_t *d, size_t n)
{
	if (n < 80)
		return;
	uint64_t a = be64(d), b = be64(d + 8);
	const uint8_t *h1 = d + 16, *h2 = d + 48;
	size_t np = (n - 80) / H;
	/* the hashes in a buffer of exactly np*32 bytes: any read past them is caught */
	uint8_t *copy = np ? malloc(np * H) : NULL;
	if (np)
		memcpy(copy, d + 80, np * H);
	const uint8_t(*proof)[H] = (const uint8_t(*)[H])copy;
	int r = dp_tlog_verify_inclusion(a, b, h1, proof, np, h2);
	if (r != DP_OK && r != DP_ESIG && r != DP_EINVAL)
		__builtin_trap();
	r = dp_tlog_verify_consistency(a, b, h1, h2, proof, np);
	if (r != DP_OK && r != DP_ESIG && r != DP_EINVAL)
		__builtin_trap();
	free(copy);
}

/* ---- small trees ---- */

typedef struct {
	uint64_t size;
	uint8_t (*lv[12])[H];
} tree;

static int tree_read(void *ctx, unsigned level, uint64_t n, uint8_t out[H])
{
	tree *t = ctx;
	if (level >= 12 || n >= t->size >> level)
		return DP_ENOTFOUND; /* only complete nodes exist */
	memcpy(out, t->lv[level][n], H);
	return DP_OK;
}

static void small_tree(const uint8_t *d, size_t n)
{
	if (n < 6)
		return;
	uint64_t size = 1 + ((uint64_t)d[0] << 8 | d[1]) % 1024;
	uint64_t index = ((uint64_t)d[2] << 8 | d[3]) % size;
	uint64_t size1 = 1 + ((uint64_t)d[4] << 8 | d[5]) % size;
	d += 6;
	n -= 6;
	tree t = {size, {0}};
	dp_tlog_range rg;
	dp_tlog_range_init(&rg);
	for (int l = 0; l < 12; l++)
		t.lv[l] = malloc(((size >> l) + 1) * H);
	uint8_t root1[H] = {0}, root[H], r2[H];
	for (uint64_t i = 0; i < size; i++) {
		uint8_t e[3] = {(uint8_t)i, (uint8_t)(i >> 8), n ? d[i % n] : 0};
		dp_tlog_leaf_hash(t.lv[0][i], e, sizeof e);
		if (dp_tlog_range_append(&rg, t.lv[0][i], NULL, NULL))
			__builtin_trap();
		if (i + 1 == size1)
			dp_tlog_range_root(&rg, root1);
	}
	for (int l = 1; l < 12; l++)
		for (uint64_t i = 0; i < size >> l; i++)
			dp_tlog_node_hash(t.lv[l][i], t.lv[l - 1][2 * i], t.lv[l - 1][2 * i + 1]);
	dp_tlog_range_root(&rg, root);
	if (dp_tlog_root(size, tree_read, &t, r2) || memcmp(root, r2, H))
		__builtin_trap();
	if (dp_tlog_root(size1, tree_read, &t, r2) || memcmp(root1, r2, H))
		__builtin_trap();

	uint8_t pf[DP_TLOG_PROOF_MAX + 1][H];
	size_t np;
	size_t bit = n ? d[0] : 0;
	if (dp_tlog_prove_inclusion(index, size, tree_read, &t, pf, &np))
		__builtin_trap();
	if (dp_tlog_verify_inclusion(index, size, t.lv[0][index], (const uint8_t(*)[H])pf, np, root))
		__builtin_trap();
	if (np) {
		pf[bit % np][(bit / 8) % H] ^= (uint8_t)(1u << (bit % 8));
		if (dp_tlog_verify_inclusion(index, size, t.lv[0][index], (const uint8_t(*)[H])pf, np,
					     root) == DP_OK)
			__builtin_trap();
	}
	if (dp_tlog_prove_consistency(size1, size, tree_read, &t, pf, &np))
		__builtin_trap();
	if (dp_tlog_verify_consistency(size1, size, root1, root, (const uint8_t(*)[H])pf, np))
		__builtin_trap();
	if (np) {
		pf[bit % np][(bit / 8) % H] ^= (uint8_t)(1u << (bit % 8));
		if (dp_tlog_verify_consistency(size1, size, root1, root, (const uint8_t(*)[H])pf, np) ==
		    DP_OK)
			__builtin_trap();
	}
	for (int l = 0; l < 12; l++)
		free(t.lv[l]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		tile_path(data + 1, size - 1);
		break;
	case 1:
		bundle(data + 1, size - 1);
		break;
	case 2:
		verify_any(data + 1, size - 1);
		break;
	default:
		small_tree(data + 1, size - 1);
		break;
	}
	return 0;
}
