/*
 * tests/test_devindex.c - the officer index (denpo/devindex.h): the record
 * made by the one rule from log entries, its one encoding, the trust a
 * device gives its officer's other devices, the map's root against an
 * independent recomputation from the definition, membership and
 * non-membership proofs (and every kind of forged one refused), and the
 * checkpoint line.
 */
#include <stdlib.h>
#include <string.h>

#include "denpo/devindex.h"
#include "denpo/encoding.h"
#include "tests/harness.h"

static void dev(uint8_t d[32], uint8_t tag)
{
	for (int i = 0; i < 32; i++)
		d[i] = (uint8_t)(tag * 7 + i);
}

static dp_logent ent(int ev, const char *officer, uint8_t tag)
{
	dp_logent e;
	memset(&e, 0, sizeof e);
	e.event = ev;
	e.time = 1790000000 + tag;
	snprintf(e.officer, sizeof e.officer, "%s", officer);
	dev(e.device, tag);
	e.has_device = 1;
	snprintf(e.name, sizeof e.name, "laptop %u", tag);
	return e;
}

static int apply(dp_devrec *r, const dp_logent *e, uint64_t idx)
{
	int changed = -1, x = dp_devrec_apply(r, e, idx, &changed);
	return x ? x : changed;
}

/* device-approved of `tag` by `by`, signed by by's key (seed = tag bytes) */
static dp_logent approval(const char *officer, uint8_t tag, const uint8_t sk[64], const uint8_t pk[32])
{
	dp_logent e = ent(DP_LOG_DEVICE_APPROVED, officer, tag);
	memcpy(e.approver, pk, 32);
	if (dp_devindex_approval_sign(e.sig, sk, officer, e.device))
		memset(e.sig, 0, sizeof e.sig);
	return e;
}

#include <sodium.h>

static void test_record(void)
{
	dp_devrec r, d;
	uint8_t pk[32], sk[64];
	crypto_sign_keypair(pk, sk);
	CHECK(dp_devrec_init(&r, "Tanaka") == DP_EINVAL);
	CHECK(dp_devrec_init(&r, "tanaka.h") == DP_OK && r.n == 0);

	/* enrolment: for this officer only, once */
	dp_logent e = ent(DP_LOG_DEVICE_ENROLLED, "tanaka.h", 1);
	CHECK(apply(&r, &e, 10) == 1 && r.n == 1 && r.dev[0].status == DP_DEVREC_ACTIVE &&
	      r.dev[0].enrolled == 10 && r.dev[0].status_idx == 10 && !r.dev[0].has_key);
	CHECK(apply(&r, &e, 11) == DP_EEXISTS && r.n == 1);
	dp_logent other = ent(DP_LOG_DEVICE_ENROLLED, "mori.y", 2);
	CHECK(apply(&r, &other, 12) == 0 && r.n == 1);
	/* the second device: its id is pk, so it can sign approvals */
	e = ent(DP_LOG_DEVICE_ENROLLED, "tanaka.h", 3);
	memcpy(e.device, pk, 32);
	CHECK(apply(&r, &e, 13) == 1 && r.n == 2);
	/* keys and status of listed devices; others change nothing */
	e = ent(DP_LOG_KEY_PUBLISHED, "", 1);
	e.epoch = 7;
	CHECK(apply(&r, &e, 20) == 1 && r.dev[0].has_key && r.dev[0].key_epoch == 7 &&
	      r.dev[0].key_idx == 20);
	e = ent(DP_LOG_KEY_PUBLISHED, "", 2);
	CHECK(apply(&r, &e, 21) == 0);
	e = ent(DP_LOG_DEVICE_SUSPENDED, "", 1);
	CHECK(apply(&r, &e, 22) == 1 && r.dev[0].status == DP_DEVREC_SUSPENDED &&
	      r.dev[0].status_idx == 22);
	e = ent(DP_LOG_DEVICE_REINSTATED, "", 1);
	CHECK(apply(&r, &e, 23) == 1 && r.dev[0].status == DP_DEVREC_ACTIVE);
	e = ent(DP_LOG_CABLE_FETCHED, "", 1);
	CHECK(apply(&r, &e, 24) == 0);

	/* a third device, approved by the second: the signature must be the approver's */
	e = ent(DP_LOG_DEVICE_ENROLLED, "tanaka.h", 4);
	CHECK(apply(&r, &e, 30) == 1 && r.n == 3);
	dp_logent a = approval("tanaka.h", 4, sk, pk);
	dp_logent bad = a;
	bad.sig[5] ^= 1;
	CHECK(apply(&r, &bad, 31) == 0 && !r.dev[2].approved);
	bad = approval("mori.y", 4, sk, pk); /* signed for another officer */
	CHECK(apply(&r, &bad, 31) == 0 && !r.dev[2].approved);
	bad = approval("tanaka.h", 4, sk, pk);
	dev(bad.approver, 9); /* an approver the record does not list */
	CHECK(apply(&r, &bad, 31) == 0 && !r.dev[2].approved);
	CHECK(apply(&r, &a, 32) == 1 && r.dev[2].approved && r.dev[2].approved_idx == 32 &&
	      !memcmp(r.dev[2].approver, pk, 32));
	CHECK(apply(&r, &a, 33) == 0 && r.dev[2].approved_idx == 32); /* the first approval stays */

	/* revocation is final */
	e = ent(DP_LOG_DEVICE_REVOKED, "", 1);
	CHECK(apply(&r, &e, 40) == 1 && r.dev[0].status == DP_DEVREC_REVOKED);
	e = ent(DP_LOG_DEVICE_REINSTATED, "", 1);
	CHECK(apply(&r, &e, 41) == 0 && r.dev[0].status == DP_DEVREC_REVOKED);

	/* the text: one encoding, read back whole */
	dp_buf b;
	dp_buf_init(&b, 1024);
	CHECK(dp_devrec_encode(&r, &b) == DP_OK);
	{
		const char *head = "DENPO-OFFICER-DEVICES/1\nOfficer: tanaka.h\nDevice: ";
		CHECK(b.len > strlen(head) && !memcmp(b.p, head, strlen(head)));
	}
	CHECK(memmem(b.p, b.len, " 10 1790000001 revoked 40 7@20 - laptop 1\n", 42) != NULL);
	CHECK(dp_devrec_decode(&d, b.p, b.len) == DP_OK && d.n == 3 && !memcmp(&d, &r, sizeof d));

	/* every kind of damage refused, nothing kept */
	static const struct {
		const char *old, *new;
	} mut[] = {
	    {"Officer: tanaka.h", "Officer: Tanaka.h"},
	    {"DENPO-OFFICER-DEVICES/1", "DENPO-OFFICER-DEVICES/2"},
	    {" 10 1790000001 revoked 40", " 010 1790000001 revoked 40"},
	    {" 10 1790000001 revoked 40", " 10 1790000001 lost 40"},
	    {" 10 1790000001 revoked 40", " 10 1790000001 revoked 9"},  /* status before enrolment */
	    {" 10 1790000001 revoked 40", " 10 1790000001  revoked 40"},
	    {" 7@20 ", " 7@5 "},                                         /* key before enrolment */
	    {" 7@20 ", " 7@ "},
	    {" 7@20 ", " @20 "},
	    {"laptop 1\n", "laptop 1 \n"},
	    {"laptop 1\n", "laptop\t1\n"},
	    {"laptop 1\n", "\n"},
	    {"laptop 1\n", "laptop 1"},
	    {"Device: ", "Device:  "},
	    {"Device: ", "Devices: "},
	};
	for (size_t i = 0; i < sizeof mut / sizeof *mut; i++) {
		char *s = malloc(b.len + 64), *at;
		memcpy(s, b.p, b.len);
		s[b.len] = 0;
		at = strstr(s, mut[i].old);
		CHECKF(at != NULL, "mut %zu: %s not found", i, mut[i].old);
		if (at) {
			size_t on = strlen(mut[i].old), nn = strlen(mut[i].new);
			memmove(at + nn, at + on, strlen(at + on) + 1);
			memcpy(at, mut[i].new, nn);
			int x = dp_devrec_decode(&d, (uint8_t *)s, strlen(s));
			CHECKF(x == DP_EPARSE && d.n == 0 && !d.officer[0], "mut %zu: %d", i, x);
		}
		free(s);
	}
	/* lines out of enrolment order, and a device twice */
	dp_devrec t = r;
	t.dev[1] = r.dev[2];
	t.dev[2] = r.dev[1];
	dp_buf_reset(&b);
	CHECK(dp_devrec_encode(&t, &b) == DP_EINVAL);
	t = r;
	memcpy(t.dev[2].device, t.dev[0].device, 32);
	CHECK(dp_devrec_encode(&t, &b) == DP_EINVAL);
	dp_buf_free(&b);

	/* full: DP_DEVREC_MAX devices at most */
	dp_devrec f;
	CHECK(dp_devrec_init(&f, "sato.k") == DP_OK);
	int x = 0;
	for (int i = 0; i < DP_DEVREC_MAX && !x; i++) {
		e = ent(DP_LOG_DEVICE_ENROLLED, "sato.k", (uint8_t)i);
		e.device[31] = (uint8_t)i;
		e.device[30] = 0xee;
		x = apply(&f, &e, (uint64_t)i + 1) == 1 ? 0 : -1;
	}
	CHECK(!x && f.n == DP_DEVREC_MAX);
	e.device[29] = 0xdd;
	CHECK(apply(&f, &e, 1000) == DP_ETOOBIG && f.n == DP_DEVREC_MAX);
	dp_buf_init(&b, DP_DEVREC_TEXT_MAX);
	CHECK(dp_devrec_encode(&f, &b) == DP_OK && b.len <= DP_DEVREC_TEXT_MAX);
	CHECK(dp_devrec_decode(&d, b.p, b.len) == DP_OK && d.n == DP_DEVREC_MAX);
	dp_buf_free(&b);
}

/*
 * DP_DEVREC_MAX devices, every line at its longest (20-digit indexes, the
 * latest Time, suspended, a key of epoch UINT32_MAX, an approval, a name of
 * DP_NAME_MAX, an officer of DP_NAME_MAX), made by the one rule: it encodes
 * in exactly DP_DEVREC_TEXT_MAX bytes and decodes to itself.  (With the
 * old cap of 16384 the encoder refused it at the 42nd device.)
 */
static void test_longest(void)
{
	static uint8_t pk[DP_DEVREC_MAX][32], sk[DP_DEVREC_MAX][64];
	char officer[DP_NAME_MAX + 1];
	memset(officer, 'o', DP_NAME_MAX);
	officer[DP_NAME_MAX] = 0;
	dp_devrec r, d;
	dp_buf b;
	CHECK(dp_devrec_init(&r, officer) == DP_OK);
	int bad = 0;
	for (int i = 0; i < DP_DEVREC_MAX; i++) {
		crypto_sign_keypair(pk[i], sk[i]);
		dp_logent e = ent(DP_LOG_DEVICE_ENROLLED, officer, (uint8_t)i);
		memcpy(e.device, pk[i], 32);
		e.time = DP_CREATED_MAX;
		memset(e.name, 'n', DP_NAME_MAX);
		e.name[DP_NAME_MAX] = 0;
		bad |= apply(&r, &e, UINT64_C(10000000000000000000) + (uint64_t)i) != 1;
		e = ent(DP_LOG_KEY_PUBLISHED, officer, (uint8_t)i);
		memcpy(e.device, pk[i], 32);
		e.epoch = UINT32_MAX;
		bad |= apply(&r, &e, UINT64_MAX - 3000 + (uint64_t)i) != 1;
	}
	for (int i = 0; i < DP_DEVREC_MAX; i++) { /* each approved by the next, the last by the first */
		int by = (i + 1) % DP_DEVREC_MAX;
		dp_logent e = approval(officer, (uint8_t)i, sk[by], pk[by]);
		memcpy(e.device, pk[i], 32);
		CHECK(dp_devindex_approval_sign(e.sig, sk[by], officer, e.device) == DP_OK);
		bad |= apply(&r, &e, UINT64_MAX - 2000 + (uint64_t)i) != 1;
	}
	for (int i = 0; i < DP_DEVREC_MAX; i++) {
		dp_logent e = ent(DP_LOG_DEVICE_SUSPENDED, officer, (uint8_t)i);
		memcpy(e.device, pk[i], 32);
		bad |= apply(&r, &e, UINT64_MAX - 1000 + (uint64_t)i) != 1;
	}
	CHECKF(!bad && r.n == DP_DEVREC_MAX, "the one rule makes the longest record");
	dp_buf_init(&b, DP_DEVREC_TEXT_MAX);
	int x = dp_devrec_encode(&r, &b);
	CHECKF(x == DP_OK && b.len == DP_DEVREC_TEXT_MAX,
	       "the longest record encodes in exactly DP_DEVREC_TEXT_MAX = %zu bytes (got %d, %zu bytes)",
	       (size_t)DP_DEVREC_TEXT_MAX, x, b.len);
	CHECK(dp_devrec_decode(&d, b.p, b.len) == DP_OK && d.n == DP_DEVREC_MAX &&
	      memcmp(&d.dev, &r.dev, sizeof r.dev) == 0);
	/* one byte over the cap is refused as too big, not parsed */
	uint8_t *over = malloc(b.len + 1);
	CHECK(over != NULL);
	if (over) {
		memcpy(over, b.p, b.len);
		over[b.len] = 'x';
		CHECK(dp_devrec_decode(&d, over, b.len + 1) == DP_ETOOBIG);
	}
	free(over);
	dp_buf_free(&b);
}

static void test_trust(void)
{
	dp_devrec r;
	uint8_t pk[4][32], sk[4][64];
	CHECK(dp_devrec_init(&r, "tanaka.h") == DP_OK);
	for (int i = 0; i < 4; i++) {
		crypto_sign_keypair(pk[i], sk[i]);
		dp_logent e = ent(DP_LOG_DEVICE_ENROLLED, "tanaka.h", (uint8_t)i);
		memcpy(e.device, pk[i], 32);
		CHECK(apply(&r, &e, (uint64_t)10 + (uint64_t)i) == 1);
	}
	size_t unk[DP_DEVREC_MAX], n;
	/* device 0 trusts itself only: 1, 2, 3 unknown */
	dp_devrec_unapproved(&r, (const uint8_t(*)[32])pk[0], 1, unk, &n);
	CHECK(n == 3 && unk[0] == 1 && unk[1] == 2 && unk[2] == 3);
	/* 1 approved by 0, 2 approved by 1: accepted through the chain */
	dp_logent a = approval("tanaka.h", 0, sk[0], pk[0]);
	memcpy(a.device, pk[1], 32);
	CHECK(dp_devindex_approval_sign(a.sig, sk[0], "tanaka.h", pk[1]) == DP_OK);
	CHECK(apply(&r, &a, 20) == 1);
	memcpy(a.device, pk[2], 32);
	memcpy(a.approver, pk[1], 32);
	CHECK(dp_devindex_approval_sign(a.sig, sk[1], "tanaka.h", pk[2]) == DP_OK);
	CHECK(apply(&r, &a, 21) == 1);
	dp_devrec_unapproved(&r, (const uint8_t(*)[32])pk[0], 1, unk, &n);
	CHECK(n == 1 && unk[0] == 3);
	/* 3 approved by itself? an approver must be another device */
	memcpy(a.device, pk[3], 32);
	memcpy(a.approver, pk[3], 32);
	CHECK(dp_devindex_approval_sign(a.sig, sk[3], "tanaka.h", pk[3]) == DP_OK);
	CHECK(apply(&r, &a, 22) == 0);
	/* device 3 (a rogue) trusts itself: it does not make the others trust it */
	dp_devrec_unapproved(&r, (const uint8_t(*)[32])pk[3], 1, unk, &n);
	CHECK(n == 3); /* from 3's side, 0 1 2 are unknown */
	/* revoking 1 withdraws its approval of 2; 1 itself is no warning any more */
	dp_logent v = ent(DP_LOG_DEVICE_REVOKED, "", 0);
	memcpy(v.device, pk[1], 32);
	CHECK(apply(&r, &v, 30) == 1);
	dp_devrec_unapproved(&r, (const uint8_t(*)[32])pk[0], 1, unk, &n);
	CHECK(n == 2 && unk[0] == 2 && unk[1] == 3);
	/* a trusted list that names them accepts them */
	dp_devrec_unapproved(&r, (const uint8_t(*)[32])pk, 4, unk, &n);
	CHECK(n == 0);
}

/* ---- the map: an independent root from the definition ---- */

typedef struct {
	uint8_t key[32], vh[32];
} kv;

static void h2(uint8_t out[32], uint8_t tag, const uint8_t a[32], const uint8_t b[32])
{
	uint8_t m[65];
	m[0] = tag;
	memcpy(m + 1, a, 32);
	memcpy(m + 33, b, 32);
	dp_sha256(out, m, 65);
}

static int getbit(const uint8_t *k, int d) { return k[d / 8] >> (7 - d % 8) & 1; }

/* root(S, d) by filtering, as devindex.h defines it: no sorting, no stored nodes */
static void ref_root(uint8_t out[32], const kv *s, const int *in, int n, int d)
{
	int cnt = 0, last = -1;
	for (int i = 0; i < n; i++)
		if (in[i]) {
			cnt++;
			last = i;
		}
	if (cnt == 0) {
		memset(out, 0, 32);
		return;
	}
	if (cnt == 1) {
		h2(out, 0x00, s[last].key, s[last].vh);
		return;
	}
	int *l = calloc((size_t)n, sizeof *l), *r = calloc((size_t)n, sizeof *r);
	for (int i = 0; i < n; i++)
		if (in[i])
			(getbit(s[i].key, d) ? r : l)[i] = 1;
	uint8_t lh[32], rh[32];
	ref_root(lh, s, l, n, d + 1);
	ref_root(rh, s, r, n, d + 1);
	h2(out, 0x01, lh, rh);
	free(l);
	free(r);
}

static void test_map(void)
{
	enum { N = 300 };
	static kv s[N];
	static uint8_t keys[N][32], vhs[N][32];
	static char names[N][24];
	static uint8_t text[N][40];
	int in[N];
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof names[i], "officer%d.x", i);
		dp_devindex_key(keys[i], names[i]);
		snprintf((char *)text[i], sizeof text[i], "record of %d", i);
		dp_sha256(vhs[i], text[i], strlen((char *)text[i]));
		memcpy(s[i].key, keys[i], 32);
		memcpy(s[i].vh, vhs[i], 32);
		in[i] = 1;
	}
	/* the key: SHA-256 of the domain, a 0x00, the handle */
	{
		uint8_t k[32], m[64];
		memcpy(m, "denpo officer index v1", 22);
		m[22] = 0;
		memcpy(m + 23, "tanaka.h", 8);
		dp_sha256(k, m, 31);
		uint8_t k2[32];
		dp_devindex_key(k2, "tanaka.h");
		CHECK(!memcmp(k, k2, 32));
	}
	int sizes[] = {0, 1, 2, 3, 17, N};
	for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
		int n = sizes[z];
		dp_devindex *m;
		uint8_t root[32], ref[32];
		CHECK(dp_devindex_build(&m, (const uint8_t(*)[32])keys, (const uint8_t(*)[32])vhs,
					(size_t)n) == DP_OK);
		dp_devindex_root(m, root);
		ref_root(ref, s, in, n, 0);
		CHECKF(!memcmp(root, ref, 32), "root of %d differs from the definition", n);
		if (n == 0) {
			static const uint8_t zero[32];
			CHECK(!memcmp(root, zero, 32));
		}
		dp_devindex_proof p;
		int found, bad = 0;
		for (int i = 0; i < n; i++) {
			dp_devindex_prove(m, keys[i], &p, &found);
			const uint8_t *t = text[i];
			size_t tl = strlen((const char *)t);
			if (!found || dp_devindex_verify(root, names[i], t, tl, &p) ||
			    !dp_devindex_verify(root, names[i], NULL, 0, &p) || /* it is there */
			    !dp_devindex_verify(root, names[i], (const uint8_t *)"x", 1, &p) ||
			    (n > 1 && !dp_devindex_verify(root, names[(i + 1) % n], t, tl, &p)))
				bad++;
			if (p.n) { /* a sibling changed, or one dropped */
				p.sib[p.n - 1][0] ^= 1;
				bad += !dp_devindex_verify(root, names[i], t, tl, &p);
				p.sib[p.n - 1][0] ^= 1;
				p.n--;
				bad += !dp_devindex_verify(root, names[i], t, tl, &p);
			}
		}
		CHECKF(bad == 0, "size %d: %d proofs wrong", n, bad);
		/* officers not in the map: a non-membership proof each, which no record passes */
		bad = 0;
		for (int i = n; i < n + 40 && i < N; i++) {
			dp_devindex_prove(m, keys[i], &p, &found);
			if (found || dp_devindex_verify(root, names[i], NULL, 0, &p) ||
			    !dp_devindex_verify(root, names[i], text[i], strlen((char *)text[i]), &p))
				bad++;
			if (p.other) { /* the other leaf must share the path and not be the key */
				dp_devindex_proof q = p;
				memcpy(q.other_key, keys[i], 32);
				bad += !dp_devindex_verify(root, names[i], NULL, 0, &q);
			}
		}
		CHECKF(bad == 0, "size %d: %d non-membership proofs wrong", n, bad);
		dp_devindex_free(m);
	}
	/* two records for one officer: refused */
	dp_devindex *m;
	memcpy(keys[1], keys[0], 32);
	CHECK(dp_devindex_build(&m, (const uint8_t(*)[32])keys, (const uint8_t(*)[32])vhs, 3) ==
	      DP_EINVAL);
}

static void test_line(void)
{
	uint8_t root[32], got[32];
	for (int i = 0; i < 32; i++)
		root[i] = (uint8_t)(i * 5);
	dp_buf b;
	dp_buf_init(&b, 256);
	CHECK(dp_buf_puts(&b, "example.org/log\n12\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n") == 0);
	size_t ext = b.len;
	CHECK(dp_devindex_line_parse((char *)b.p, b.len, ext, got) == DP_ENOTFOUND);
	CHECK(dp_devindex_line_format(&b, root) == DP_OK);
	CHECK(b.len == ext + DP_DEVINDEX_LINE_MAX);
	CHECK(dp_devindex_line_parse((char *)b.p, b.len, ext, got) == DP_OK && !memcmp(got, root, 32));
	/* another extension line beside it is fine */
	CHECK(dp_buf_puts(&b, "other ext\n") == 0);
	CHECK(dp_devindex_line_parse((char *)b.p, b.len, ext, got) == DP_OK);
	/* twice, or malformed: refused */
	dp_buf c;
	dp_buf_init(&c, 512);
	CHECK(dp_buf_append(&c, b.p, b.len) == 0 && dp_devindex_line_format(&c, root) == 0);
	CHECK(dp_devindex_line_parse((char *)c.p, c.len, ext, got) == DP_EPARSE);
	dp_buf_reset(&c);
	CHECK(dp_buf_append(&c, b.p, ext) == 0 && dp_buf_puts(&c, "officer-index AAAA\n") == 0);
	CHECK(dp_devindex_line_parse((char *)c.p, c.len, ext, got) == DP_EPARSE);
	dp_buf_free(&b);
	dp_buf_free(&c);
}

int main(void)
{
	if (dp_crypto_init())
		return 1;
	test_record();
	test_longest();
	test_trust();
	test_map();
	test_line();
	return t_done("test_devindex");
}
