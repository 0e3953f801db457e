/*
 * test_age.c - age v1: the CCTV testkit (every vector, classic and
 * post-quantum: exact outcome and SHA-256 of released plaintext), round
 * trips (X25519, scrypt, mlkem768x25519), key strings, the file key
 * (dp_age_decrypt_fk / dp_age_decrypt_with_fk), and the error paths
 * the testkit cannot cover (encryption side, our own malformed stanzas).
 *
 * Vectors: $DENPO_AGE_VECTORS, else t_vectors_dir()/age.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

#include "denpo/age.h"
#include "denpo/crypto.h"
#include "denpo/encoding.h"
#include "denpo/xwing.h"
#include "tests/harness.h"

#define MAX_IDS 16
#define INFLATE_CAP (64u << 20)

static int n_run, n_pq, n_unknown;

static int inflate_all(const uint8_t *in, size_t n, dp_buf *out)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit(&z) != Z_OK)
		return -1;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	int zr;
	do {
		uint8_t *o;
		if (dp_buf_grow(out, 65536, &o)) {
			inflateEnd(&z);
			return -1;
		}
		z.next_out = o;
		z.avail_out = 65536;
		zr = inflate(&z, Z_NO_FLUSH);
		out->len -= z.avail_out;
		if (zr != Z_OK && zr != Z_STREAM_END) {
			inflateEnd(&z);
			return -1;
		}
	} while (zr != Z_STREAM_END);
	inflateEnd(&z);
	return 0;
}

static int expect_code(const char *e)
{
	if (!strcmp(e, "success"))
		return DP_OK;
	if (!strcmp(e, "no match"))
		return DP_ENOMATCH;
	if (!strcmp(e, "HMAC failure"))
		return DP_EHMAC;
	if (!strcmp(e, "header failure"))
		return DP_EHEADER;
	if (!strcmp(e, "payload failure"))
		return DP_EPAYLOAD;
	if (!strcmp(e, "armor failure"))
		return DP_EARMOR;
	return 1; /* unknown */
}

static void run_vector(const char *name, const uint8_t *f, size_t flen)
{
	const uint8_t *end = f + flen, *p = f;
	char expect[64] = "", payload[65] = "";
	char idlines[MAX_IDS][128], pass[MAX_IDS][128];
	int nid = 0, npass = 0, pq = 0, zlib = 0, armored = 0, unknown = 0;

	/* "key: value" lines up to the blank line */
	for (;;) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			CHECKF(0, "%s: no blank line", name);
			return;
		}
		if (nl == p) {
			p++;
			break;
		}
		char line[256];
		size_t ln = (size_t)(nl - p) < sizeof line - 1 ? (size_t)(nl - p) : sizeof line - 1;
		memcpy(line, p, ln);
		line[ln] = 0;
		p = nl + 1;
		char *colon = strstr(line, ": ");
		if (!colon) {
			unknown = 1;
			continue;
		}
		*colon = 0;
		const char *v = colon + 2;
		if (!strcmp(line, "expect"))
			snprintf(expect, sizeof expect, "%s", v);
		else if (!strcmp(line, "payload"))
			snprintf(payload, sizeof payload, "%s", v);
		else if (!strcmp(line, "identity") && nid < MAX_IDS) {
			if (!strncmp(v, "AGE-SECRET-KEY-PQ-", 18))
				pq = 1;
			snprintf(idlines[nid++], sizeof idlines[0], "%s", v);
		} else if (!strcmp(line, "passphrase") && npass < MAX_IDS)
			snprintf(pass[npass++], sizeof pass[0], "%s", v);
		else if (!strcmp(line, "compressed"))
			zlib = !strcmp(v, "zlib") ? 1 : (unknown = 1, 0);
		else if (!strcmp(line, "armored"))
			armored = !strcmp(v, "yes");
		else if (strcmp(line, "file key") && strcmp(line, "comment"))
			unknown = 1;
	}
	if (!strncmp(name, "hybrid", 6))
		pq = 1;
	int want = expect_code(expect);
	if (unknown || want == 1) {
		/* the testkit says to ignore files with unknown keys */
		n_unknown++;
		return;
	}

	dp_buf data, out;
	dp_buf_init(&data, INFLATE_CAP);
	dp_buf_init(&out, INFLATE_CAP);
	if (zlib) {
		if (inflate_all(p, (size_t)(end - p), &data)) {
			CHECKF(0, "%s: inflate failed", name);
			goto done;
		}
	} else if (dp_buf_append(&data, p, (size_t)(end - p))) {
		CHECKF(0, "%s: too big", name);
		goto done;
	}

	dp_age_identity ids[2 * MAX_IDS];
	int n = 0;
	for (int i = 0; i < nid; i++) {
		int r = dp_age_identity_parse(&ids[n], idlines[i]);
		CHECKF(r == DP_OK, "%s: identity does not parse: %d", name, r);
		if (r == DP_OK)
			n++;
	}
	for (int i = 0; i < npass; i++) {
		memset(&ids[n], 0, sizeof ids[n]);
		ids[n].type = DP_AGE_SCRYPT;
		ids[n].pass = pass[i];
		ids[n].passlen = strlen(pass[i]);
		n++;
	}

	int got = dp_age_decrypt(ids, (size_t)n, data.p, data.len, &out);
	n_run++;
	n_pq += pq;
	CHECKF(got == want, "%s: expected %s (%s), got %s", name, expect, dp_errname(want),
	       dp_errname(got));
	if (want == DP_OK || want == DP_EPAYLOAD) {
		uint8_t h[32];
		char hex[65];
		dp_sha256(h, out.p ? out.p : (const uint8_t *)"", out.len);
		dp_hex_encode(hex, h, 32);
		CHECKF(strcmp(hex, payload) == 0, "%s: payload hash %s, want %s", name, hex, payload);
	} else {
		CHECKF(out.len == 0, "%s: %zu bytes released on %s", name, out.len, expect);
	}
	/* the armor flag agrees with the auto-detection */
	if (armored && want != DP_EARMOR) {
		dp_buf bin;
		dp_buf_init(&bin, INFLATE_CAP);
		CHECKF(dp_age_dearmor(data.p, data.len, &bin) == DP_OK, "%s: dearmor", name);
		dp_buf_free(&bin);
	}
	for (int i = 0; i < n; i++)
		dp_age_identity_wipe(&ids[i]);
done:
	dp_buf_free(&data);
	dp_buf_free(&out);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_vectors(void)
{
	char dir[4096];
	const char *env = getenv("DENPO_AGE_VECTORS");
	const char *vd = t_vectors_dir();
	if (env && *env)
		snprintf(dir, sizeof dir, "%s", env);
	else if (vd)
		snprintf(dir, sizeof dir, "%s/age", vd);
	else {
		t_skipped("CCTV age testkit", "no vectors directory (set DENPO_AGE_VECTORS)");
		return;
	}
	DIR *d = opendir(dir);
	if (!d) {
		t_skipped("CCTV age testkit", "vectors directory absent");
		return;
	}
	char **names = NULL;
	size_t nn = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "README.md"))
			continue;
		names = realloc(names, (nn + 1) * sizeof *names);
		names[nn++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, nn, sizeof *names, cmp_str);
	int fail0 = t_fail;
	for (size_t i = 0; i < nn; i++) {
		char path[8192];
		size_t len;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		uint8_t *f = t_read_file(path, &len);
		CHECKF(f != NULL, "cannot read %s", path);
		if (f)
			run_vector(names[i], f, len);
		free(f);
		free(names[i]);
	}
	free(names);
	printf("CCTV age testkit (%s): %d vectors run (%d of them post-quantum), %d ignored "
	       "(unknown keys), %d failed checks\n",
	       dir, n_run, n_pq, n_unknown, t_fail - fail0);
	CHECKF(n_run > 0, "no vector ran in %s", dir);
	CHECKF(n_pq > 0, "no post-quantum vector in %s", dir);
}

/* ---- round trips and error paths ---- */

static void fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 131 + (i >> 8));
}

static void test_roundtrip(void)
{
	enum { NR = 20 };
	dp_age_identity ids[NR];
	dp_age_recipient rc[NR];
	for (int i = 0; i < NR; i++) {
		CHECK(dp_age_identity_generate(&ids[i]) == DP_OK);
		CHECK(dp_age_identity_to_recipient(&ids[i], &rc[i]) == DP_OK);
	}
	static const size_t sizes[] = {0, 1, 65535, 65536, 65537, 3 * 65536};
	uint8_t *pt = malloc(3 * 65536);
	fill(pt, 3 * 65536);
	int ok = 1, cases = 0;
	for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
		for (int nr = 1; nr <= NR; nr += NR - 1) {
			for (int armor = 0; armor < 2; armor++) {
				dp_buf ct, out;
				dp_buf_init(&ct, 1 << 22);
				dp_buf_init(&out, 1 << 22);
				int r = dp_age_encrypt(rc, (size_t)nr, pt, sizes[si], armor, &ct);
				/* the last recipient's identity alone opens it */
				int r2 = r ? r : dp_age_decrypt(&ids[nr - 1], 1, ct.p, ct.len, &out);
				/* binary size: header + 16-byte nonce + a tag per chunk */
				size_t chunks = sizes[si] ? (sizes[si] + 65535) / 65536 : 1;
				dp_age_header_info info;
				int ri = dp_age_inspect(ct.p, ct.len, &info);
				if (r || r2 || out.len != sizes[si] || memcmp(out.p, pt, sizes[si]) ||
				    ri || info.nx25519 != (size_t)nr || info.nstanzas != (size_t)nr ||
				    (!armor && ct.len != info.header_len + 16 + sizes[si] + 16 * chunks) ||
				    (armor && memcmp(ct.p, "-----BEGIN AGE ENCRYPTED FILE-----\n", 35))) {
					ok = 0;
					fprintf(stderr, "round trip size %zu nr %d armor %d: %d %d %d\n",
						sizes[si], nr, armor, r, r2, ri);
				}
				cases++;
				dp_buf_free(&ct);
				dp_buf_free(&out);
			}
		}
	}
	CHECKF(ok, "round trips");
	printf("round trips: %d (sizes 0..196608, 1 and 20 recipients, binary and armored)\n", cases);

	/* wrong identity; flipped payload byte; flipped header byte; truncation */
	dp_buf ct, out;
	dp_buf_init(&ct, 1 << 22);
	dp_buf_init(&out, 1 << 22);
	CHECK(dp_age_encrypt(rc, 3, pt, 100000, 0, &ct) == DP_OK);
	CHECK(dp_age_decrypt(&ids[5], 1, ct.p, ct.len, &out) == DP_ENOMATCH && out.len == 0);
	CHECK(dp_age_decrypt(&ids[3], 3, ct.p, ct.len, &out) == DP_ENOMATCH);
	CHECK(dp_age_decrypt(&ids[2], 2, ct.p, ct.len, &out) == DP_OK && out.len == 100000);
	dp_buf_reset(&out);
	ct.p[ct.len - 5] ^= 1; /* in the second (final) chunk */
	CHECK(dp_age_decrypt(&ids[0], 1, ct.p, ct.len, &out) == DP_EPAYLOAD);
	CHECK(out.len == 65536 && memcmp(out.p, pt, 65536) == 0); /* first chunk was released */
	ct.p[ct.len - 5] ^= 1;
	dp_buf_reset(&out);
	dp_age_header_info info;
	CHECK(dp_age_inspect(ct.p, ct.len, &info) == DP_OK);
	ct.p[info.header_len + 20] ^= 0x80; /* first chunk */
	CHECK(dp_age_decrypt(&ids[0], 1, ct.p, ct.len, &out) == DP_EPAYLOAD && out.len == 0);
	ct.p[info.header_len + 20] ^= 0x80;
	/* a byte of the MAC-covered header (the second stanza's share) */
	uint8_t *second = (uint8_t *)strstr((char *)ct.p + 30, "-> X25519 ");
	CHECK(second != NULL);
	if (second) {
		/* the first stanza still opens for ids[0]; the MAC then fails */
		uint8_t orig = second[12];
		second[12] = orig == 'A' ? 'B' : 'A';
		CHECK(dp_age_decrypt(&ids[0], 1, ct.p, ct.len, &out) == DP_EHMAC && out.len == 0);
		second[12] = orig;
	}
	CHECK(dp_age_decrypt(&ids[0], 1, ct.p, info.header_len + 10, &out) == DP_EHEADER);
	CHECK(dp_age_decrypt(&ids[0], 1, ct.p, info.header_len + 16, &out) == DP_EPAYLOAD);
	CHECK(dp_age_decrypt(&ids[0], 1, ct.p, info.header_len + 16 + 15, &out) == DP_EPAYLOAD);
	CHECK(out.len == 0);
	CHECK(dp_age_decrypt(&ids[0], 1, ct.p, info.header_len - 1, &out) == DP_EHEADER);
	dp_buf_reset(&out);
	/* output cap: too small a buffer is an error, not a truncation */
	dp_buf small;
	dp_buf_init(&small, 1000);
	int rs = dp_age_decrypt(&ids[0], 1, ct.p, ct.len, &small);
	CHECKF(rs == DP_ETOOBIG && small.len == 0, "%s %zu", dp_errname(rs), small.len);
	dp_buf_free(&small);

	/* mixing and scrypt rules on encryption */
	dp_age_recipient mix[2] = {rc[0], rc[1]};
	mix[1].type = DP_AGE_MLKEM768X25519;
	dp_buf_reset(&ct);
	CHECK(dp_age_encrypt(mix, 2, pt, 10, 0, &ct) == DP_EMIXED && ct.len == 0);
	/* alone, its all-zero key (low-order X25519 part) cannot be encrypted to */
	CHECK(dp_age_encrypt(&mix[1], 1, pt, 10, 0, &ct) == DP_EINVAL && ct.len == 0);
	dp_age_recipient sc[2] = {{.type = DP_AGE_SCRYPT, .pass = "pw", .passlen = 2, .logn = 4},
				  rc[0]};
	CHECK(dp_age_encrypt(sc, 2, pt, 10, 0, &ct) == DP_EINVAL && ct.len == 0);
	CHECK(dp_age_encrypt(sc, 0, pt, 10, 0, &ct) == DP_EINVAL);

	dp_buf_free(&ct);
	dp_buf_free(&out);
	free(pt);
	for (int i = 0; i < NR; i++)
		dp_age_identity_wipe(&ids[i]);
}

static void test_scrypt(void)
{
	dp_age_recipient r = {.type = DP_AGE_SCRYPT, .pass = "correct horse", .passlen = 13, .logn = 10};
	dp_age_identity good = {.type = DP_AGE_SCRYPT, .pass = "correct horse", .passlen = 13};
	dp_age_identity bad = {.type = DP_AGE_SCRYPT, .pass = "correct horsf", .passlen = 13};
	dp_age_identity low = good;
	low.max_logn = 9;
	uint8_t pt[70000];
	fill(pt, sizeof pt);
	dp_buf ct, out;
	dp_buf_init(&ct, 1 << 20);
	dp_buf_init(&out, 1 << 20);
	for (int armor = 0; armor < 2; armor++) {
		dp_buf_reset(&ct);
		dp_buf_reset(&out);
		CHECK(dp_age_encrypt(&r, 1, pt, sizeof pt, armor, &ct) == DP_OK);
		CHECK(strstr((char *)ct.p, armor ? "-----BEGIN" : "-> scrypt ") != NULL);
		CHECK(dp_age_decrypt(&good, 1, ct.p, ct.len, &out) == DP_OK && out.len == sizeof pt &&
		      memcmp(out.p, pt, sizeof pt) == 0);
		dp_buf_reset(&out);
		CHECK(dp_age_decrypt(&bad, 1, ct.p, ct.len, &out) == DP_ENOMATCH);
		/* work factor above the identity's limit is a header failure */
		CHECK(dp_age_decrypt(&low, 1, ct.p, ct.len, &out) == DP_EHEADER);
		/* an X25519 identity does not know the scrypt stanza */
		dp_age_identity x;
		CHECK(dp_age_identity_generate(&x) == DP_OK);
		CHECK(dp_age_decrypt(&x, 1, ct.p, ct.len, &out) == DP_ENOMATCH);
		dp_age_identity_wipe(&x);
	}
	/* work factor outside 1..22 refused on encryption */
	r.logn = 23;
	CHECK(dp_age_encrypt(&r, 1, pt, 1, 0, &ct) == DP_EINVAL);
	r.logn = -1;
	CHECK(dp_age_encrypt(&r, 1, pt, 1, 0, &ct) == DP_EINVAL);
	dp_buf_free(&ct);
	dp_buf_free(&out);
}

static void test_keys(void)
{
	dp_age_identity id, id2;
	dp_age_recipient rc, rc2;
	dp_buf s, t;
	dp_buf_init(&s, 256);
	dp_buf_init(&t, 256);
	CHECK(dp_age_identity_generate(&id) == DP_OK);
	CHECK(dp_age_identity_format(&id, &s) == DP_OK);
	CHECK(s.len == 74 && memcmp(s.p, "AGE-SECRET-KEY-1", 16) == 0);
	CHECK(dp_age_identity_parse(&id2, (char *)s.p) == DP_OK && memcmp(id.sk, id2.sk, 32) == 0);
	CHECK(dp_age_identity_to_recipient(&id, &rc) == DP_OK);
	CHECK(dp_age_recipient_format(&rc, &t) == DP_OK);
	CHECK(t.len == 62 && memcmp(t.p, "age1", 4) == 0);
	CHECK(dp_age_recipient_parse(&rc2, (char *)t.p) == DP_OK && memcmp(rc.pk, rc2.pk, 32) == 0);
	/* recipient string as identity and vice versa */
	CHECK(dp_age_identity_parse(&id2, (char *)t.p) == DP_EPARSE);
	CHECK(dp_age_recipient_parse(&rc2, (char *)s.p) == DP_EPARSE);
	/* a flipped character breaks the checksum */
	s.p[30] = s.p[30] == 'Q' ? 'P' : 'Q';
	CHECK(dp_age_identity_parse(&id2, (char *)s.p) == DP_EPARSE);
	/* mixed case */
	t.p[10] = t.p[10] >= 'a' && t.p[10] <= 'z' ? (uint8_t)(t.p[10] - 32) : t.p[10];
	t.p[4] = 'Q';
	CHECK(dp_age_recipient_parse(&rc2, (char *)t.p) == DP_EPARSE);
	/* tag and plugin strings are well-formed but unsupported */
	dp_buf pq;
	dp_buf_init(&pq, 4096);
	uint8_t key[1249];
	fill(key, sizeof key);
	CHECK(dp_bech32_encode(&pq, "age1tagpq", key, sizeof key, 0) == DP_OK);
	CHECK(dp_age_recipient_parse(&rc2, (char *)pq.p) == DP_EUNSUPP);
	dp_buf_reset(&pq);
	CHECK(dp_bech32_encode(&pq, "AGE-PLUGIN-YUBIKEY-", key, 32, 1) == DP_OK);
	CHECK(dp_age_identity_parse(&id2, (char *)pq.p) == DP_EUNSUPP);
	dp_buf_reset(&pq);
	/* wrong length */
	CHECK(dp_bech32_encode(&pq, "age", key, 31, 0) == DP_OK);
	CHECK(dp_age_recipient_parse(&rc2, (char *)pq.p) == DP_EPARSE);
	dp_buf_reset(&pq);
	CHECK(dp_bech32_encode(&pq, "AGE-SECRET-KEY-", key, 33, 1) == DP_OK);
	CHECK(dp_age_identity_parse(&id2, (char *)pq.p) == DP_EPARSE);
	dp_buf_free(&pq);
	dp_buf_free(&s);
	dp_buf_free(&t);
	dp_age_identity_wipe(&id);
	dp_age_identity_wipe(&id2);
}

/* ---- post-quantum (mlkem768x25519) ---- */

/* Copy of the age file f with its first mlkem768x25519 stanza line replaced by "-> args". */
static void pq_replace_line(const dp_buf *f, const char *args, dp_buf *out)
{
	const char *p = strstr((const char *)f->p, "-> mlkem768x25519 ");
	dp_buf_reset(out);
	if (!p)
		return;
	const char *e = strchr(p, '\n');
	int ok = dp_buf_append(out, f->p, (size_t)((const uint8_t *)p - f->p)) == DP_OK &&
		 dp_buf_printf(out, "-> %s", args) == DP_OK &&
		 dp_buf_append(out, e, (size_t)(f->p + f->len - (const uint8_t *)e)) == DP_OK;
	if (!ok)
		dp_buf_reset(out);
}

/* The enc of the first mlkem768x25519 stanza of f, edited by xor at byte i, as arguments. */
static void pq_args_xor(const dp_buf *f, size_t i, uint8_t x, size_t newlen, char *args)
{
	const char *p = strstr((const char *)f->p, "-> mlkem768x25519 ") + 18;
	uint8_t enc[1121];
	size_t got;
	args[0] = 0;
	if (dp_b64_decode(enc, sizeof enc, &got, p, 1494, 0) || got != 1120)
		return;
	enc[i] ^= x;
	memcpy(args, "mlkem768x25519 ", 15);
	dp_b64_encode(args + 15, enc, newlen, 0);
}

static void test_pq(void)
{
	enum { NR = 20 };
	dp_age_identity ids[NR], id2, xid;
	dp_age_recipient rc[NR], rc2, xrc;
	dp_buf s, t;
	dp_buf_init(&s, 4096);
	dp_buf_init(&t, 4096);

	/* key strings */
	for (int i = 0; i < NR; i++) {
		CHECK(dp_age_identity_generate_pq(&ids[i]) == DP_OK);
		CHECK(dp_age_identity_to_recipient(&ids[i], &rc[i]) == DP_OK &&
		      rc[i].type == DP_AGE_MLKEM768X25519);
	}
	uint8_t pk[DP_XWING_PK];
	CHECK(dp_xwing_public(pk, ids[0].sk, 32) == DP_OK && !memcmp(pk, rc[0].pq_pk, sizeof pk));
	CHECK(dp_age_identity_format(&ids[0], &s) == DP_OK);
	CHECK(s.len == 77 && memcmp(s.p, "AGE-SECRET-KEY-PQ-1", 19) == 0);
	CHECK(dp_age_identity_parse(&id2, (char *)s.p) == DP_OK &&
	      id2.type == DP_AGE_MLKEM768X25519 && memcmp(id2.sk, ids[0].sk, 32) == 0);
	CHECK(dp_age_recipient_format(&rc[0], &t) == DP_OK);
	CHECK(t.len == 1959 && memcmp(t.p, "age1pq1", 7) == 0);
	CHECK(dp_age_recipient_parse(&rc2, (char *)t.p) == DP_OK &&
	      rc2.type == DP_AGE_MLKEM768X25519 && memcmp(rc2.pq_pk, rc[0].pq_pk, DP_AGE_PQ_PK) == 0);
	/* swapped roles */
	CHECK(dp_age_identity_parse(&id2, (char *)t.p) == DP_EPARSE);
	CHECK(dp_age_recipient_parse(&rc2, (char *)s.p) == DP_EPARSE);
	/* wrong lengths, invalid keys */
	uint8_t key[DP_AGE_PQ_PK + 1];
	memcpy(key, rc[0].pq_pk, DP_AGE_PQ_PK);
	const struct {
		const char *hrp;
		size_t n;
		int upper, recipient;
	} bad[] = {{"age1pq", DP_AGE_PQ_PK - 1, 0, 1},
		   {"age1pq", DP_AGE_PQ_PK + 1, 0, 1},
		   {"AGE-SECRET-KEY-PQ-", 31, 1, 0},
		   {"AGE-SECRET-KEY-PQ-", 33, 1, 0}};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		dp_buf_reset(&t);
		CHECK(dp_bech32_encode(&t, bad[i].hrp, key, bad[i].n, bad[i].upper) == DP_OK);
		CHECKF((bad[i].recipient ? dp_age_recipient_parse(&rc2, (char *)t.p)
					 : dp_age_identity_parse(&id2, (char *)t.p)) == DP_EPARSE,
		       "%s length %zu", bad[i].hrp, bad[i].n);
	}
	key[0] = 0xff; /* first coefficient 0x?ff >= q: the ML-KEM modulus check */
	key[1] |= 0x0f;
	dp_buf_reset(&t);
	CHECK(dp_bech32_encode(&t, "age1pq", key, DP_AGE_PQ_PK, 0) == DP_OK);
	CHECK(dp_age_recipient_parse(&rc2, (char *)t.p) == DP_EPARSE && rc2.type == 0);
	memcpy(key, rc[0].pq_pk, DP_AGE_PQ_PK);
	memset(key + DP_MLKEM768_EK, 0, 32); /* X25519 identity point */
	dp_buf_reset(&t);
	CHECK(dp_bech32_encode(&t, "age1pq", key, DP_AGE_PQ_PK, 0) == DP_OK);
	CHECK(dp_age_recipient_parse(&rc2, (char *)t.p) == DP_EPARSE);

	/* round trips: 1 and 20 recipients, binary and armored */
	static const size_t sizes[] = {0, 1, 65536, 65537};
	uint8_t *pt = malloc(65537);
	fill(pt, 65537);
	int ok = 1, cases = 0;
	for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
		for (int nr = 1; nr <= NR; nr += NR - 1)
			for (int armor = 0; armor < 2; armor++) {
				dp_buf ct, out;
				dp_age_header_info info;
				dp_buf_init(&ct, 1 << 22);
				dp_buf_init(&out, 1 << 22);
				int r = dp_age_encrypt(rc, (size_t)nr, pt, sizes[si], armor, &ct);
				int r2 = r ? r : dp_age_decrypt(&ids[nr - 1], 1, ct.p, ct.len, &out);
				int ri = dp_age_inspect(ct.p, ct.len, &info);
				if (r || r2 || out.len != sizes[si] || memcmp(out.p, pt, sizes[si]) ||
				    ri || info.npq != (size_t)nr || info.nstanzas != (size_t)nr ||
				    info.nx25519) {
					ok = 0;
					fprintf(stderr, "pq round trip size %zu nr %d armor %d: %d %d %d\n",
						sizes[si], nr, armor, r, r2, ri);
				}
				cases++;
				dp_buf_free(&ct);
				dp_buf_free(&out);
			}
	CHECKF(ok, "post-quantum round trips");
	printf("post-quantum round trips: %d (sizes 0..65537, 1 and 20 recipients, binary and "
	       "armored)\n",
	       cases);

	dp_buf ct, out, ed;
	dp_buf_init(&ct, 1 << 20);
	dp_buf_init(&out, 1 << 20);
	dp_buf_init(&ed, 1 << 20);
	CHECK(dp_age_identity_generate(&xid) == DP_OK && dp_age_identity_to_recipient(&xid, &xrc) == DP_OK);
	/* never mixed with classic recipients, in either order */
	dp_age_recipient mix[2] = {rc[0], xrc};
	CHECK(dp_age_encrypt(mix, 2, pt, 10, 0, &ct) == DP_EMIXED && ct.len == 0);
	mix[0] = xrc;
	mix[1] = rc[0];
	CHECK(dp_age_encrypt(mix, 2, pt, 10, 1, &ct) == DP_EMIXED && ct.len == 0);
	dp_age_recipient sc[2] = {{.type = DP_AGE_SCRYPT, .pass = "pw", .passlen = 2, .logn = 4},
				  rc[0]};
	CHECK(dp_age_encrypt(sc, 2, pt, 10, 0, &ct) == DP_EINVAL && ct.len == 0);
	/* a recipient struct whose key fails the modulus check */
	dp_age_recipient badr = rc[0];
	badr.pq_pk[0] = 0xff;
	badr.pq_pk[1] |= 0x0f;
	CHECK(dp_age_encrypt(&badr, 1, pt, 10, 0, &ct) == DP_EINVAL && ct.len == 0);

	/* identities: wrong ones, several, other types */
	CHECK(dp_age_encrypt(rc, 3, pt, 1000, 0, &ct) == DP_OK);
	CHECK(dp_age_decrypt(&ids[3], 1, ct.p, ct.len, &out) == DP_ENOMATCH && out.len == 0);
	CHECK(dp_age_decrypt(&xid, 1, ct.p, ct.len, &out) == DP_ENOMATCH);
	dp_age_identity several[3] = {xid, ids[5], ids[2]};
	CHECK(dp_age_decrypt(several, 3, ct.p, ct.len, &out) == DP_OK && out.len == 1000 &&
	      memcmp(out.p, pt, 1000) == 0);
	dp_buf_reset(&out);
	dp_buf xct;
	dp_buf_init(&xct, 1 << 20);
	CHECK(dp_age_encrypt(&xrc, 1, pt, 1000, 0, &xct) == DP_OK);
	CHECK(dp_age_decrypt(&ids[0], 1, xct.p, xct.len, &out) == DP_ENOMATCH);
	dp_buf_free(&xct);

	/* our own malformed stanzas (before the MAC: exact header errors) */
	char *args = malloc(2048);
	struct {
		size_t i;
		uint8_t x;
		size_t len;
		int want;
		const char *what;
	} ed_cases[] = {
		{0, 0, 1120, DP_OK, "unchanged"},
		{100, 1, 1120, DP_ENOMATCH, "ML-KEM part flipped (implicit rejection)"},
		{1119, 0x40, 1120, DP_ENOMATCH, "X25519 part flipped"},
		{0, 0, 1119, DP_EHEADER, "enc one byte short"},
	};
	for (size_t i = 0; i < sizeof ed_cases / sizeof ed_cases[0]; i++) {
		pq_args_xor(&ct, ed_cases[i].i, ed_cases[i].x, ed_cases[i].len, args);
		pq_replace_line(&ct, args, &ed);
		dp_buf_reset(&out);
		int r = dp_age_decrypt(&ids[0], 1, ed.p, ed.len, &out);
		CHECKF(ed.len && r == ed_cases[i].want, "%s: %s", ed_cases[i].what, dp_errname(r));
	}
	/* the X25519 half of enc replaced by the identity point: header failure */
	{
		const char *p = strstr((const char *)ct.p, "-> mlkem768x25519 ") + 18;
		uint8_t enc[1121];
		size_t got;
		CHECK(dp_b64_decode(enc, sizeof enc, &got, p, 1494, 0) == DP_OK && got == 1120);
		memset(enc + DP_MLKEM768_CT, 0, 32);
		memcpy(args, "mlkem768x25519 ", 15);
		dp_b64_encode(args + 15, enc, 1120, 0);
		pq_replace_line(&ct, args, &ed);
		CHECK(ed.len && dp_age_decrypt(&ids[0], 1, ed.p, ed.len, &out) == DP_EHEADER);
		/* also for the identity of the second stanza, met after the bad one */
		CHECK(ed.len && dp_age_decrypt(&ids[1], 1, ed.p, ed.len, &out) == DP_EHEADER);
	}
	/* an extra argument; upper-case type (ignored: no match) */
	pq_args_xor(&ct, 0, 0, 1120, args);
	strcat(args, " extra");
	pq_replace_line(&ct, args, &ed);
	CHECK(ed.len && dp_age_decrypt(&ids[0], 1, ed.p, ed.len, &out) == DP_EHEADER);
	pq_args_xor(&ct, 0, 0, 1120, args);
	memcpy(args, "MLKEM768X25519", 14);
	pq_replace_line(&ct, args, &ed);
	CHECK(ed.len && dp_age_decrypt(&ids[0], 1, ed.p, ed.len, &out) == DP_ENOMATCH);
	CHECK(out.len == 0);

	free(args);
	free(pt);
	dp_buf_free(&ct);
	dp_buf_free(&out);
	dp_buf_free(&ed);
	dp_buf_free(&s);
	dp_buf_free(&t);
	for (int i = 0; i < NR; i++)
		dp_age_identity_wipe(&ids[i]);
	dp_age_identity_wipe(&id2);
	dp_age_identity_wipe(&xid);
}

static void test_armor_and_inspect(void)
{
	uint8_t bin[200];
	fill(bin, sizeof bin);
	for (size_t n = 0; n <= sizeof bin; n++) {
		dp_buf a, b;
		dp_buf_init(&a, 1000);
		dp_buf_init(&b, n); /* the exact decoded size is enough */
		int ok = dp_age_armor(bin, n, &a) == DP_OK && dp_age_dearmor(a.p, a.len, &b) == DP_OK &&
			 b.len == n && memcmp(b.p, bin, n) == 0;
		if (!ok)
			CHECKF(0, "armor round trip %zu", n);
		dp_buf_free(&a);
		dp_buf_free(&b);
	}
	const char *h = "age-encryption.org/v1\n-> X25519 AAAA\nAAAA\n-> grease a b\n\n"
			"-> mlkem768x25519 x\n\n"
			"--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\npayload";
	dp_age_header_info info;
	CHECK(dp_age_inspect((const uint8_t *)h, strlen(h), &info) == DP_OK);
	CHECK(info.nstanzas == 3 && info.nx25519 == 1 && info.npq == 1 && info.nunknown == 1 &&
	      info.header_len == strlen(h) - 7);
	/* a full body line must be followed by another (here: missing final line) */
	const char *bad = "age-encryption.org/v1\n-> X25519 AAAA\n"
			  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
			  "--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";
	CHECK(dp_age_inspect((const uint8_t *)bad, strlen(bad), &info) == DP_EHEADER);
	const char *noline = "age-encryption.org/v1\n-> X25519 AAAA\n\n"
			     "--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	CHECK(dp_age_inspect((const uint8_t *)noline, strlen(noline), &info) == DP_EHEADER);
	const char *sc = "age-encryption.org/v1\n-> scrypt AAAA 10\n\n-> X25519 A\n\n"
			 "--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";
	CHECK(dp_age_inspect((const uint8_t *)sc, strlen(sc), &info) == DP_EHEADER);
	CHECK(dp_age_inspect((const uint8_t *)"", 0, &info) == DP_EHEADER);
	CHECK(dp_age_inspect((const uint8_t *)"garbage", 7, &info) == DP_EARMOR);
}

/* 1 if all n bytes are zero. */
static int all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/*
 * The file key: dp_age_decrypt_fk hands out the key that opened the file,
 * dp_age_decrypt_with_fk opens the file with it alone (header MAC and every
 * chunk still checked), and a failure leaves no key behind.
 */
static void fk_case(const dp_age_identity *ids, const dp_age_recipient *rc, size_t nr, int armor,
		    const char *what)
{
	enum { PT = 2 * 65536 + 100 }; /* three chunks */
	uint8_t *pt = malloc(PT);
	fill(pt, PT);
	dp_buf ct, out, out2;
	dp_buf_init(&ct, 1 << 22);
	dp_buf_init(&out, 1 << 22);
	dp_buf_init(&out2, 1 << 22);
	uint8_t fk[DP_AGE_FILE_KEY], fk2[DP_AGE_FILE_KEY], bad[DP_AGE_FILE_KEY];
	CHECK(dp_age_encrypt(rc, nr, pt, PT, armor, &ct) == DP_OK);

	/* every recipient's identity yields the same file key, and it opens the file */
	memset(fk, 0xaa, sizeof fk);
	int r = dp_age_decrypt_fk(&ids[0], 1, ct.p, ct.len, &out, fk);
	CHECKF(r == DP_OK && out.len == PT && !memcmp(out.p, pt, PT), "%s: decrypt_fk %s", what,
	       dp_errname(r));
	uint8_t aa[DP_AGE_FILE_KEY];
	memset(aa, 0xaa, sizeof aa);
	CHECKF(!all_zero(fk, sizeof fk) && memcmp(fk, aa, sizeof fk), "%s: no file key came out", what);
	memset(fk2, 0, sizeof fk2);
	dp_buf_reset(&out);
	CHECK(dp_age_decrypt_fk(&ids[nr - 1], 1, ct.p, ct.len, &out, fk2) == DP_OK &&
	      !memcmp(fk, fk2, sizeof fk));
	r = dp_age_decrypt_with_fk(fk, ct.p, ct.len, &out2);
	CHECKF(r == DP_OK && out2.len == PT && !memcmp(out2.p, pt, PT), "%s: decrypt_with_fk %s", what,
	       dp_errname(r));

	/* a wrong file key (one bit): the header MAC refuses it, nothing is released */
	memcpy(bad, fk, sizeof bad);
	bad[7] ^= 0x10;
	dp_buf_reset(&out2);
	r = dp_age_decrypt_with_fk(bad, ct.p, ct.len, &out2);
	CHECKF(r == DP_EHMAC && out2.len == 0, "%s: wrong file key %s", what, dp_errname(r));

	/* the binary form, tampered: payload (right key) and header (right key) */
	dp_buf bin;
	dp_buf_init(&bin, 1 << 22);
	if (armor)
		CHECK(dp_age_dearmor(ct.p, ct.len, &bin) == DP_OK);
	else
		CHECK(dp_buf_append(&bin, ct.p, ct.len) == DP_OK);
	dp_age_header_info info;
	CHECK(dp_age_inspect(bin.p, bin.len, &info) == DP_OK);
	bin.p[bin.len - 3] ^= 0x01; /* in the final chunk */
	dp_buf_reset(&out2);
	r = dp_age_decrypt_with_fk(fk, bin.p, bin.len, &out2);
	CHECKF(r == DP_EPAYLOAD, "%s: tampered payload %s", what, dp_errname(r));
	/* the same damage through decrypt_fk: an error, and the file key is wiped */
	memset(fk2, 0xaa, sizeof fk2);
	dp_buf_reset(&out);
	r = dp_age_decrypt_fk(&ids[0], 1, bin.p, bin.len, &out, fk2);
	CHECKF(r == DP_EPAYLOAD && all_zero(fk2, sizeof fk2), "%s: tampered payload, fk %s", what,
	       dp_errname(r));
	bin.p[bin.len - 3] ^= 0x01;
	/* a stanza body byte (in the header, before the MAC): the MAC fails even with the key */
	uint8_t *st = memmem(bin.p, info.header_len, "\n-> ", 4);
	CHECK(st != NULL);
	if (st) {
		uint8_t *body = memchr(st + 4, '\n', info.header_len - (size_t)(st + 4 - bin.p));
		CHECK(body != NULL);
		if (body) {
			uint8_t was = body[1];
			body[1] = was == 'A' ? 'B' : 'A';
			dp_buf_reset(&out2);
			r = dp_age_decrypt_with_fk(fk, bin.p, bin.len, &out2);
			CHECKF(r == DP_EHMAC && out2.len == 0, "%s: tampered header %s", what,
			       dp_errname(r));
			body[1] = was;
		}
	}
	dp_buf_reset(&out2);
	CHECK(dp_age_decrypt_with_fk(fk, bin.p, bin.len, &out2) == DP_OK && out2.len == PT);

	/* failures before any key is found wipe the caller's buffer too */
	dp_age_identity other;
	CHECK((ids[0].type == DP_AGE_X25519 ? dp_age_identity_generate(&other)
					    : dp_age_identity_generate_pq(&other)) == DP_OK);
	memset(fk2, 0xaa, sizeof fk2);
	dp_buf_reset(&out);
	r = dp_age_decrypt_fk(&other, 1, ct.p, ct.len, &out, fk2);
	CHECKF(r == DP_ENOMATCH && all_zero(fk2, sizeof fk2) && out.len == 0,
	       "%s: wrong identity %s", what, dp_errname(r));
	dp_age_identity_wipe(&other);
	memset(fk2, 0xaa, sizeof fk2);
	r = dp_age_decrypt_fk(&ids[0], 1, bin.p, info.header_len - 2, &out, fk2); /* no MAC line */
	CHECKF(r == DP_EHEADER && all_zero(fk2, sizeof fk2), "%s: cut header %s", what, dp_errname(r));
	memset(fk2, 0xaa, sizeof fk2);
	r = dp_age_decrypt_fk(&ids[0], 1, (const uint8_t *)"garbage", 7, &out, fk2);
	CHECKF(r == DP_EARMOR && all_zero(fk2, sizeof fk2), "%s: not age %s", what, dp_errname(r));
	dp_buf_free(&bin);
	dp_buf_free(&ct);
	dp_buf_free(&out);
	dp_buf_free(&out2);
	dp_wipe(fk, sizeof fk);
	free(pt);
}

static void test_file_key(void)
{
	enum { NR = 3 };
	dp_age_identity ids[NR];
	dp_age_recipient rc[NR];
	for (int i = 0; i < NR; i++) {
		CHECK(dp_age_identity_generate_pq(&ids[i]) == DP_OK);
		CHECK(dp_age_identity_to_recipient(&ids[i], &rc[i]) == DP_OK);
	}
	fk_case(ids, rc, 1, 0, "mlkem768x25519");
	fk_case(ids, rc, NR, 1, "mlkem768x25519, 3 recipients, armored");
	for (int i = 0; i < NR; i++) {
		dp_age_identity_wipe(&ids[i]);
		CHECK(dp_age_identity_generate(&ids[i]) == DP_OK);
		CHECK(dp_age_identity_to_recipient(&ids[i], &rc[i]) == DP_OK);
	}
	fk_case(ids, rc, NR, 0, "X25519");
	for (int i = 0; i < NR; i++)
		dp_age_identity_wipe(&ids[i]);
}

int main(void)
{
	if (dp_crypto_init())
		return 1;
	test_vectors();
	test_keys();
	test_armor_and_inspect();
	test_roundtrip();
	test_scrypt();
	test_pq();
	test_file_key();
	return t_done("test_age");
}
