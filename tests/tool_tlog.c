/*
 * tool_tlog.c - writes a directory of libdenpo transparency-log artifacts
 * for an independent verifier (tests/go/tlogcheck, run by
 * tests/it_tlog_go.sh):
 *
 *   tool_tlog DIR [N]      a random tree of N leaves (default: random 1..300)
 *
 *   vkey, skey             the log's Ed25519 key (skey in Go x/mod's form)
 *   cosigner.vkey          a cosigner's Ed25519 cosignature/v1 key (type 0x04)
 *   entries.txt            "<hex entry> <hex leaf hash>" per leaf
 *   roots.txt              "<size> <base64 root>" for sizes 1..N
 *   checkpoint             the size-N checkpoint, signed and cosigned
 *   checkpoint.badsig      the log signature with one bit flipped
 *   checkpoint.badcosig    the cosignature with one bit flipped
 *   incl.txt, incl.bad.txt "<index> <size> <base64 hash>..." (bad: one bit flipped)
 *   cons.txt, cons.bad.txt "<size1> <size2> <base64 hash>..."
 *   proof-<i>.tlog-proof   c2sp.org/tlog-proof@v1 files for a few leaves
 *   proof-bad.tlog-proof   one with a flipped proof hash
 *
 * Test keys only: the skey is written by design and is never installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "denpo/crypto.h"
#include "denpo/encoding.h"
#include "denpo/tlog.h"

#define H DP_TLOG_HASH
#define LOG_NAME "denpo.example/it-log"
#define COSIGNER "denpo.example/it-witness"

typedef struct {
	uint8_t (*lv[64])[H];
	uint64_t cap[64];
} store;

static int store_emit(void *ctx, unsigned level, uint64_t n, const uint8_t h[H])
{
	store *s = ctx;
	if (n >= s->cap[level]) {
		uint64_t c = s->cap[level] ? s->cap[level] * 2 : 16;
		while (c <= n)
			c *= 2;
		void *p = realloc(s->lv[level], c * H);
		if (!p)
			return DP_ENOMEM;
		s->lv[level] = p;
		s->cap[level] = c;
	}
	memcpy(s->lv[level][n], h, H);
	return DP_OK;
}

static uint64_t tree_size; /* nodes of this tree only */

static int store_read(void *ctx, unsigned level, uint64_t n, uint8_t out[H])
{
	store *s = ctx;
	if (level >= 64 || n >= (tree_size >> level))
		return DP_ENOTFOUND;
	memcpy(out, s->lv[level][n], H);
	return DP_OK;
}

static int write_buf(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	int ok = n == 0 || fwrite(p, 1, n, f) == n; /* an empty buffer has no pointer */
	return fclose(f) == 0 && ok ? 0 : -1;
}

static void b64(char out[48], const uint8_t h[H])
{
	dp_b64_encode(out, h, H, 1);
}

/* Flip one bit of the base64 signature on the line starting with prefix. */
static int flip_sig(dp_buf *note, const char *prefix)
{
	char *l = strstr((char *)note->p, prefix);
	if (!l)
		return -1;
	char *b = l + strlen(prefix), *e = strchr(b, '\n');
	uint8_t sig[128];
	size_t sl;
	if (!e || dp_b64_decode(sig, sizeof sig, &sl, b, (size_t)(e - b), 1))
		return -1;
	sig[sl - 1] ^= 0x01; /* inside the Ed25519 signature, not the key id */
	char enc[200];
	dp_b64_encode(enc, sig, sl, 1);
	if (strlen(enc) != (size_t)(e - b))
		return -1;
	memcpy(b, enc, strlen(enc));
	return 0;
}

static int die(const char *what, int r)
{
	fprintf(stderr, "tool_tlog: %s: %s\n", what, dp_strerror(r));
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 2 || dp_crypto_init())
		return 2;
	const char *dir = argv[1];
	uint64_t N = argc > 2 ? strtoull(argv[2], NULL, 10) : 1 + randombytes_uniform(300);
	if (N < 1 || N > 100000)
		return 2;
	int r;

	/* keys */
	uint8_t seed[32], pk[32], sk[64], wpk[32], wsk[64];
	randombytes_buf(seed, sizeof seed);
	crypto_sign_ed25519_seed_keypair(pk, sk, seed);
	crypto_sign_ed25519_keypair(wpk, wsk);
	dp_note_vkey lk, wk;
	char vk[DP_NOTE_VKEY_MAX];
	if ((r = dp_note_vkey_make(&lk, LOG_NAME, DP_NOTE_ED25519, pk)) ||
	    (r = dp_note_vkey_make(&wk, COSIGNER, DP_NOTE_COSIG_V1, wpk)))
		return die("vkey", r);
	if ((r = dp_note_vkey_format(vk, sizeof vk, &lk)) || write_buf(dir, "vkey", vk, strlen(vk)))
		return die("vkey", r ? r : DP_EIO);
	if ((r = dp_note_vkey_format(vk, sizeof vk, &wk)) ||
	    write_buf(dir, "cosigner.vkey", vk, strlen(vk)))
		return die("cosigner.vkey", r ? r : DP_EIO);
	{
		uint8_t k[33];
		char e[64], skey[512];
		k[0] = DP_NOTE_ED25519;
		memcpy(k + 1, seed, 32);
		dp_b64_encode(e, k, sizeof k, 1);
		snprintf(skey, sizeof skey, "PRIVATE+KEY+%s+%08x+%s", LOG_NAME, (unsigned)lk.id, e);
		if (write_buf(dir, "skey", skey, strlen(skey)))
			return die("skey", DP_EIO);
		sodium_memzero(k, sizeof k);
		sodium_memzero(skey, sizeof skey);
		sodium_memzero(e, sizeof e);
	}

	/* the tree, its entries and every root */
	store st;
	memset(&st, 0, sizeof st);
	dp_tlog_range rg;
	dp_tlog_range_init(&rg);
	dp_buf ents, roots;
	dp_buf_init(&ents, 64u << 20);
	dp_buf_init(&roots, 64u << 20);
	uint8_t(*rootv)[H] = calloc(N + 1, H);
	uint8_t(*leaf)[H] = calloc(N, H);
	for (uint64_t i = 0; i < N; i++) {
		uint8_t e[64];
		size_t el = randombytes_uniform(sizeof e + 1);
		randombytes_buf(e, el);
		dp_tlog_leaf_hash(leaf[i], e, el);
		if ((r = dp_tlog_range_append(&rg, leaf[i], store_emit, &st)))
			return die("append", r);
		char he[2 * sizeof e + 1], hh[2 * H + 1], rb[48];
		dp_hex_encode(he, e, el);
		dp_hex_encode(hh, leaf[i], H);
		dp_tlog_range_root(&rg, rootv[i + 1]);
		b64(rb, rootv[i + 1]);
		if (dp_buf_printf(&ents, "%s %s\n", he, hh) ||
		    dp_buf_printf(&roots, "%llu %s\n", (unsigned long long)(i + 1), rb))
			return die("buffers", DP_ETOOBIG);
	}
	if (write_buf(dir, "entries.txt", ents.p, ents.len) ||
	    write_buf(dir, "roots.txt", roots.p, roots.len))
		return die("write", DP_EIO);

	/* the checkpoint: log signature and cosignature; and two forgeries */
	dp_checkpoint c;
	memset(&c, 0, sizeof c);
	snprintf(c.origin, sizeof c.origin, "%s", LOG_NAME);
	c.size = N;
	memcpy(c.root, rootv[N], H);
	dp_buf note;
	dp_buf_init(&note, DP_NOTE_MAX);
	if ((r = dp_checkpoint_format(&note, &c)))
		return die("checkpoint", r);
	size_t tl = note.len;
	char *text = strndup((char *)note.p, tl);
	if ((r = dp_buf_putc(&note, '\n')) || (r = dp_note_sign_line(&note, text, tl, LOG_NAME, sk)) ||
	    (r = dp_note_cosign_line(&note, text, tl, COSIGNER, wsk,
				     1700000000 + randombytes_uniform(100000000))))
		return die("sign", r);
	if (write_buf(dir, "checkpoint", note.p, note.len))
		return die("write", DP_EIO);
	dp_buf bad;
	dp_buf_init(&bad, DP_NOTE_MAX);
	if (dp_buf_append(&bad, note.p, note.len) || flip_sig(&bad, "\xe2\x80\x94 " LOG_NAME " ") ||
	    write_buf(dir, "checkpoint.badsig", bad.p, bad.len))
		return die("badsig", DP_EIO);
	dp_buf_reset(&bad);
	if (dp_buf_append(&bad, note.p, note.len) || flip_sig(&bad, "\xe2\x80\x94 " COSIGNER " ") ||
	    write_buf(dir, "checkpoint.badcosig", bad.p, bad.len))
		return die("badcosig", DP_EIO);

	/* proofs: sizes and indices at random, and the edges */
	dp_buf in, inb, co, cob;
	dp_buf_init(&in, 64u << 20);
	dp_buf_init(&inb, 64u << 20);
	dp_buf_init(&co, 64u << 20);
	dp_buf_init(&cob, 64u << 20);
	uint8_t pf[DP_TLOG_PROOF_MAX][H];
	size_t n;
	for (int k = 0; k < 200; k++) {
		uint64_t s = k == 0 ? N : 1 + randombytes_uniform((uint32_t)N);
		uint64_t i = k == 1 ? s - 1 : randombytes_uniform((uint32_t)s);
		tree_size = s;
		if ((r = dp_tlog_prove_inclusion(i, s, store_read, &st, pf, &n)))
			return die("prove inclusion", r);
		int flip = n ? (int)randombytes_uniform((uint32_t)n) : -1;
		for (int pass = 0; pass < 2; pass++) {
			dp_buf *o = pass ? &inb : &in;
			if (pass && flip < 0)
				break; /* an empty proof has nothing to flip */
			if (dp_buf_printf(o, "%llu %llu", (unsigned long long)i, (unsigned long long)s))
				return die("buffers", DP_ETOOBIG);
			for (size_t j = 0; j < n; j++) {
				uint8_t h[H];
				char e[48];
				memcpy(h, pf[j], H);
				if (pass && (int)j == flip)
					h[randombytes_uniform(H)] ^= (uint8_t)(1u << randombytes_uniform(8));
				b64(e, h);
				if (dp_buf_printf(o, " %s", e))
					return die("buffers", DP_ETOOBIG);
			}
			if (dp_buf_putc(o, '\n'))
				return die("buffers", DP_ETOOBIG);
		}
		uint64_t s2 = k == 0 ? N : 1 + randombytes_uniform((uint32_t)N);
		uint64_t s1 = k == 1 ? s2 : 1 + randombytes_uniform((uint32_t)s2);
		tree_size = s2;
		if ((r = dp_tlog_prove_consistency(s1, s2, store_read, &st, pf, &n)))
			return die("prove consistency", r);
		flip = n ? (int)randombytes_uniform((uint32_t)n) : -1;
		for (int pass = 0; pass < 2; pass++) {
			dp_buf *o = pass ? &cob : &co;
			if (pass && flip < 0)
				break;
			if (dp_buf_printf(o, "%llu %llu", (unsigned long long)s1, (unsigned long long)s2))
				return die("buffers", DP_ETOOBIG);
			for (size_t j = 0; j < n; j++) {
				uint8_t h[H];
				char e[48];
				memcpy(h, pf[j], H);
				if (pass && (int)j == flip)
					h[randombytes_uniform(H)] ^= (uint8_t)(1u << randombytes_uniform(8));
				b64(e, h);
				if (dp_buf_printf(o, " %s", e))
					return die("buffers", DP_ETOOBIG);
			}
			if (dp_buf_putc(o, '\n'))
				return die("buffers", DP_ETOOBIG);
		}
	}
	if (write_buf(dir, "incl.txt", in.p, in.len) || write_buf(dir, "incl.bad.txt", inb.p, inb.len) ||
	    write_buf(dir, "cons.txt", co.p, co.len) || write_buf(dir, "cons.bad.txt", cob.p, cob.len))
		return die("write", DP_EIO);

	/* tlog-proof files against the signed checkpoint */
	static dp_tlog_proof tp;
	tree_size = N;
	for (int k = 0; k < 5; k++) {
		memset(&tp, 0, sizeof tp);
		tp.index = k == 0 ? 0 : k == 1 ? N - 1 : randombytes_uniform((uint32_t)N);
		if ((r = dp_tlog_prove_inclusion(tp.index, N, store_read, &st, tp.proof, &tp.n)))
			return die("prove", r);
		tp.note = (const char *)note.p;
		tp.note_len = note.len;
		if (k % 2) {
			tp.has_extra = 1;
			tp.extra_len = 1 + randombytes_uniform(100);
			randombytes_buf(tp.extra_buf, tp.extra_len);
		}
		dp_buf f;
		dp_buf_init(&f, DP_TLOG_PROOF_TEXT_MAX);
		char name[64];
		snprintf(name, sizeof name, "proof-%llu.tlog-proof", (unsigned long long)tp.index);
		if ((r = dp_tlog_proof_encode(&f, &tp)) || write_buf(dir, name, f.p, f.len))
			return die("tlog-proof", r ? r : DP_EIO);
		if (k == 4 && tp.n > 0) {
			dp_buf_reset(&f);
			tp.proof[tp.n - 1][0] ^= 0x80;
			if ((r = dp_tlog_proof_encode(&f, &tp)) ||
			    write_buf(dir, "proof-bad.tlog-proof", f.p, f.len))
				return die("tlog-proof", r ? r : DP_EIO);
		}
		dp_buf_free(&f);
	}

	sodium_memzero(seed, sizeof seed);
	sodium_memzero(sk, sizeof sk);
	sodium_memzero(wsk, sizeof wsk);
	for (int l = 0; l < 64; l++)
		free(st.lv[l]);
	free(rootv);
	free(leaf);
	free(text);
	dp_buf_free(&ents);
	dp_buf_free(&roots);
	dp_buf_free(&note);
	dp_buf_free(&bad);
	dp_buf_free(&in);
	dp_buf_free(&inb);
	dp_buf_free(&co);
	dp_buf_free(&cob);
	printf("%llu\n", (unsigned long long)N);
	return 0;
}
