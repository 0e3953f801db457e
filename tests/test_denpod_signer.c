/*
 * tests/test_denpod_signer.c - the log signer (denpod/signer.h): it signs
 * a tree only if a consistency proof shows that it extends the one it
 * signed last, remembers that tree across restarts in signer.state, takes
 * HELLO once, and its process answers over the real socketpair and reports
 * how the network process ended.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "denpod/signer.h"
#include "tests/harness.h"

#define H DP_TLOG_HASH
#define MAXLEAF 64

/* A tree over leaf hashes, as a node reader of complete subtrees. */
typedef struct {
	uint8_t leaf[MAXLEAF][H];
	uint64_t n;
} tree;

static void node(const tree *t, unsigned level, uint64_t n, uint8_t out[H])
{
	if (level == 0) {
		memcpy(out, t->leaf[n], H);
		return;
	}
	uint8_t a[H], b[H];
	node(t, level - 1, 2 * n, a);
	node(t, level - 1, 2 * n + 1, b);
	dp_tlog_node_hash(out, a, b);
}

static int rd(void *ctx, unsigned level, uint64_t n, uint8_t out[H])
{
	const tree *t = ctx;
	if (level > 6 || ((n + 1) << level) > t->n)
		return DP_ENOTFOUND;
	node(t, level, n, out);
	return DP_OK;
}

/* Leaves "tag-0", "tag-1", ... */
static void grow(tree *t, const char *tag, uint64_t n)
{
	char e[32];
	for (uint64_t i = t->n; i < n; i++) {
		int k = snprintf(e, sizeof e, "%s-%llu", tag, (unsigned long long)i);
		dp_tlog_leaf_hash(t->leaf[i], (const uint8_t *)e, (size_t)k);
	}
	t->n = n;
}

static void root_of(tree *t, uint64_t size, uint8_t out[H])
{
	uint64_t keep = t->n;
	t->n = size;
	if (dp_tlog_root(size, rd, t, out))
		abort();
	t->n = keep;
}

static size_t prove(tree *t, uint64_t from, uint64_t to, uint8_t pf[DP_TLOG_PROOF_MAX][H])
{
	size_t n = 0;
	uint64_t keep = t->n;
	t->n = to;
	if (dp_tlog_prove_consistency(from, to, rd, t, pf, &n))
		abort();
	t->n = keep;
	return n;
}

/* ---- requests as the wire carries them (dpsg_answer: the whole policy) ---- */

static int hello(dpsg_signer *k, const dps_checkpoint *cp, dpsg_state *st)
{
	uint8_t req[4 + DPS_NOTE_MAX], ans[DPSG_MSG_MAX];
	size_t nl = cp ? cp->note_len : 0, an = 0;
	req[0] = 1;
	req[1] = cp != NULL;
	req[2] = (uint8_t)(nl >> 8);
	req[3] = (uint8_t)nl;
	if (nl)
		memcpy(req + 4, cp->note, nl);
	dpsg_answer(k, req, 4 + nl, ans, &an);
	if (ans[0])
		return -(int)ans[0];
	memcpy(st->pk, ans + 1, 32);
	st->size = 0;
	for (int i = 0; i < 8; i++)
		st->size = st->size << 8 | ans[33 + i];
	memcpy(st->root, ans + 41, H);
	return DP_OK;
}

static const uint8_t zero[H]; /* the empty officer index */

static int sign(dpsg_signer *k, uint64_t size, const uint8_t root[H], uint8_t pf[][H], size_t np,
		dps_checkpoint *out)
{
	uint8_t req[DPSG_MSG_MAX], ans[DPSG_MSG_MAX];
	size_t an = 0;
	req[0] = 2;
	for (int i = 0; i < 8; i++)
		req[1 + i] = (uint8_t)(size >> (56 - 8 * i));
	memcpy(req + 9, root, H);
	req[9 + H] = (uint8_t)np;
	memcpy(req + 10 + H, pf, np * H);
	memset(req + 10 + H + np * H, 0, H); /* the empty officer index */
	dpsg_answer(k, req, 10 + (np + 2) * H, ans, &an);
	if (ans[0])
		return -(int)ans[0];
	size_t nl = (size_t)ans[9] << 8 | ans[10];
	memset(out, 0, sizeof *out);
	out->size = size;
	memcpy(out->root, root, H);
	memcpy(out->note, ans + 11, nl);
	out->note_len = nl;
	return an == 11 + nl ? DP_OK : DP_EPARSE;
}

/* The note verifies under the log key and says (size, root). */
static int note_ok(const dps_checkpoint *c, const uint8_t pk[32], const char *origin, uint64_t size,
		   const uint8_t root[H])
{
	dp_note_vkey vk;
	dp_checkpoint cp;
	int verified = 0;
	size_t tl = 0;
	return dp_note_vkey_make(&vk, origin, DP_NOTE_ED25519, pk) == DP_OK &&
	       dp_note_open(c->note, c->note_len, &vk, 1, &verified, NULL, &tl) == DP_OK && verified &&
	       dp_checkpoint_parse(&cp, c->note, tl) == DP_OK && cp.size == size &&
	       memcmp(cp.root, root, H) == 0;
}

static char dir[64];
static dpc_config cfg;

static void write_key(void)
{
	uint8_t seed[32];
	char path[128];
	randombytes_buf(seed, sizeof seed);
	snprintf(path, sizeof path, "%s/log.key", dir);
	if (dp_write_file(path, seed, 32, 0600, 1))
		abort();
	sodium_memzero(seed, sizeof seed);
}

static void policy(void)
{
	tree t = {0}, fork = {0};
	uint8_t r5[H], r8[H], r12[H], f12[H], r6[H], pf[DP_TLOG_PROOF_MAX][H];
	dps_checkpoint c5, c8, c;
	dpsg_state st;
	dpsg_signer *k = NULL;
	grow(&t, "entry", 12);
	grow(&fork, "entry", 6);
	fork.n = 6;
	grow(&fork, "forged", 12); /* the first 6 agree, then another history */
	root_of(&t, 5, r5);
	root_of(&t, 6, r6);
	root_of(&t, 8, r8);
	root_of(&t, 12, r12);
	root_of(&fork, 12, f12);

	CHECK(dpsg_signer_new(&k, &cfg) == DP_OK);
	CHECK(sign(k, 5, r5, pf, 0, &c) == DP_ESTATE); /* SIGN before HELLO */
	CHECK(hello(k, NULL, &st) == DP_OK && st.size == 0); /* first start, empty log */
	CHECK(hello(k, NULL, &st) == DP_ESTATE);            /* HELLO once */
	CHECK(sign(k, 5, r5, pf, 0, &c5) == DP_OK && note_ok(&c5, st.pk, cfg.log_origin, 5, r5));
	size_t n = prove(&t, 5, 8, pf);
	CHECK(sign(k, 8, r8, pf, n, &c8) == DP_OK && note_ok(&c8, st.pk, cfg.log_origin, 8, r8));
	CHECK(sign(k, 8, r8, pf, 0, &c) == DP_OK && c.note_len == c8.note_len &&
	      memcmp(c.note, c8.note, c8.note_len) == 0); /* the same tree: the same note */
	CHECK(sign(k, 8, r5, pf, 0, &c) == DP_ESTATE);    /* another root at that size: a fork */
	CHECK(sign(k, 6, r6, pf, 0, &c) == DP_ESTATE);    /* a rollback */
	/* a tree that shares the first 6 entries but not 8: its own proof from 8 fails */
	n = prove(&fork, 8, 12, pf);
	CHECK(sign(k, 12, f12, pf, n, &c) == DP_ESTATE);
	/* the right tree with a damaged proof */
	n = prove(&t, 8, 12, pf);
	pf[0][3] ^= 1;
	CHECK(sign(k, 12, r12, pf, n, &c) == DP_ESTATE);
	pf[0][3] ^= 1;
	CHECK(sign(k, 12, r12, pf, n > 0 ? n - 1 : 0, &c) == DP_ESTATE); /* a proof cut short */
	/* malformed: a proof longer than any, a length that lies */
	uint8_t bad[3] = {2, 0, 0};
	uint8_t ans[DPSG_MSG_MAX];
	size_t an = 0;
	dpsg_answer(k, bad, sizeof bad, ans, &an);
	CHECK(an == 1 && -(int)ans[0] == DP_EPARSE);
	dpsg_answer(k, bad, 0, ans, &an);
	CHECK(an == 1 && -(int)ans[0] == DP_EPARSE);
	dpsg_signer_free(k);

	/*
	 * A restart: the signer remembers size 8 from signer.state, whatever
	 * checkpoint the network process presents (here an older one it signed).
	 */
	CHECK(dpsg_signer_new(&k, &cfg) == DP_OK);
	CHECK(hello(k, &c5, &st) == DP_OK && st.size == 8 && memcmp(st.root, r8, H) == 0);
	n = prove(&fork, 6, 12, pf); /* extends what was signed at 5 and 6, not at 8 */
	CHECK(sign(k, 12, f12, pf, n, &c) == DP_ESTATE);
	n = prove(&t, 8, 12, pf);
	CHECK(sign(k, 12, r12, pf, n, &c) == DP_OK && note_ok(&c, st.pk, cfg.log_origin, 12, r12));
	dpsg_signer_free(k);

	/* a damaged state file: no signing at all */
	char path[128];
	snprintf(path, sizeof path, "%s/signer.state", dir);
	FILE *f = fopen(path, "r+");
	if (f) {
		fseek(f, 30, SEEK_SET);
		fputc('#', f);
		fclose(f);
	}
	CHECK(dpsg_signer_new(&k, &cfg) == DP_OK);
	CHECK(hello(k, &c5, &st) == DP_EPARSE);
	CHECK(sign(k, 12, r12, pf, 0, &c) == DP_ESTATE);
	dpsg_signer_free(k);
	unlink(path);

	/* first start with a stored checkpoint: taken only if it verifies under the log key */
	CHECK(dpsg_signer_new(&k, &cfg) == DP_OK);
	dps_checkpoint forged = c8;
	forged.note[forged.note_len - 5] ^= 1;
	CHECK(hello(k, &forged, &st) == DP_ESIG);
	dpsg_signer_free(k);
	CHECK(dpsg_signer_new(&k, &cfg) == DP_OK);
	CHECK(hello(k, &c8, &st) == DP_OK && st.size == 8 && memcmp(st.root, r8, H) == 0);
	dpsg_signer_free(k);
	struct stat sb;
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
}

/* The process: dpsg_run answers the network process over the socketpair. */
static void process(void)
{
	tree t = {0};
	uint8_t r12[H], r20[H], pf[DP_TLOG_PROOF_MAX][H];
	grow(&t, "entry", 20);
	root_of(&t, 12, r12);
	root_of(&t, 20, r20);
	for (int mode = 0; mode < 2; mode++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
			abort();
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0) {
			close(sv[0]);
			if (mode == 1) /* a network process that breaks its sandbox */
				raise(SIGSYS);
			dpsg_state st;
			dps_checkpoint c;
			/* the state policy() left: size 8 */
			int ok = dpsg_hello(sv[1], NULL, &st) == DP_OK && st.size == 8;
			size_t n = ok ? prove(&t, 8, 20, pf) : 0;
			ok = ok && dpsg_sign(sv[1], 20, r20, zero, (const uint8_t(*)[H])pf, n, &c) == DP_OK &&
				 note_ok(&c, st.pk, cfg.log_origin, 20, r20) && c.t > 0 &&
				 dpsg_sign(sv[1], 12, r12, zero, NULL, 0, &c) == DP_ESTATE;
			_exit(ok ? 0 : 3);
		}
		close(sv[1]);
		int r = dpsg_run(&cfg, sv[0], pid);
		CHECKF(mode == 0 ? r == 0 : r == 1, "mode %d: dpsg_run %d", mode, r);
	}
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	snprintf(dir, sizeof dir, "/tmp/denpo-signer.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	memset(&cfg, 0, sizeof cfg);
	snprintf(cfg.dir, sizeof cfg.dir, "%s", dir);
	snprintf(cfg.log_origin, sizeof cfg.log_origin, "switch.example/denpo-log");
	write_key();
	policy();
	process();
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return t_done("test_denpod_signer");
}
