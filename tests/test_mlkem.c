/*
 * test_mlkem.c - ML-KEM-768 (final FIPS 203) against:
 *
 *   accumulated  the CCTV procedure, self-contained: a SHAKE-128 stream of
 *                empty input draws d, z, m and a random 1088-byte ct per
 *                round; a second SHAKE-128 absorbs ek, dk, ct, K and the
 *                implicit-rejection K of the random ct.  10,000 rounds
 *                must hash to the final-FIPS-203 value f959d18d...c1c1
 *                (CCTV's own f7db260e... is for the ipd draft).
 *   wycheproof   keygen from seed, encaps (modulus-check and length
 *                rejections), decaps from seed (implicit rejection, length
 *                rejections), and decaps with an expanded dk (dk checks).
 *   cctv         unluckysample, strcmp, modulus (780 keys, gzipped), and
 *                the Encaps/Decaps parts of the intermediate vector.  CCTV
 *                targets FIPS 203 ipd, whose KeyGen differs from final
 *                (no G(d || k) separator), so their KeyGen is not compared.
 *   api          exact errors for bad lengths and corrupted keys, implicit
 *                rejection equal to J(z || c), random round trips.
 * Vectors are read in place from $DENPO_VECTORS/mlkem (skipped if absent).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <zlib.h>

#include "denpo/crypto.h"
#include "denpo/encoding.h"
#include "denpo/mlkem.h"
#include "denpo/sha3.h"
#include "tests/harness.h"

#define EK DP_MLKEM768_EK
#define DK DP_MLKEM768_DK
#define CT DP_MLKEM768_CT
#define SS DP_MLKEM768_SS

static int hex_is(const uint8_t *got, size_t n, const char *want)
{
	uint8_t w[32];
	if (n > sizeof w || strlen(want) != 2 * n || dp_hex_decode(w, n, want, 2 * n))
		return 0;
	return memcmp(got, w, n) == 0;
}

/* ---- accumulated ---- */

static void accumulated(int rounds, const char *want)
{
	dp_sha3_ctx rng, acc;
	static uint8_t ek[EK], dk[DK], ct[CT], bad[CT];
	uint8_t seed[64], m[32], k[SS], k2[SS], kr[SS], h[32];
	int mismatch = 0, errors = 0;

	dp_shake128_init(&rng);
	dp_shake128_init(&acc);
	for (int i = 0; i < rounds; i++) {
		dp_shake_squeeze(&rng, seed, 64); /* d then z */
		dp_shake_squeeze(&rng, m, 32);
		dp_shake_squeeze(&rng, bad, CT);
		errors += dp_mlkem768_keygen_seed(ek, dk, seed, sizeof seed) != DP_OK;
		errors += dp_mlkem768_encaps_internal(ct, k, ek, EK, m) != DP_OK;
		errors += dp_mlkem768_decaps(k2, dk, DK, ct, CT) != DP_OK;
		mismatch += memcmp(k, k2, SS) != 0;
		errors += dp_mlkem768_decaps(kr, dk, DK, bad, CT) != DP_OK;
		dp_sha3_absorb(&acc, ek, EK);
		dp_sha3_absorb(&acc, dk, DK);
		dp_sha3_absorb(&acc, ct, CT);
		dp_sha3_absorb(&acc, k, SS);
		dp_sha3_absorb(&acc, kr, SS);
	}
	dp_shake_squeeze(&acc, h, sizeof h);
	CHECKF(errors == 0, "accumulated: %d calls failed", errors);
	CHECKF(mismatch == 0, "accumulated: %d decaps != encaps", mismatch);
	char hex[65];
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	CHECKF(hex_is(h, 32, want), "accumulated %d rounds: got %s want %s", rounds, hex, want);
	printf("accumulated %d rounds: %s\n", rounds, hex);
}

/* ---- api ---- */

static void api(void)
{
	static uint8_t ek[EK], dk[DK], ct[CT], ct2[CT], big[DK + 1];
	uint8_t seed[64], ss[SS], ss2[SS], jz[SS];

	for (int i = 0; i < 20; i++) {
		CHECK(dp_mlkem768_keygen(ek, dk, seed) == DP_OK);
		CHECK(dp_mlkem768_encaps(ct, ss, ek, EK) == DP_OK);
		CHECK(dp_mlkem768_decaps(ss2, dk, DK, ct, CT) == DP_OK);
		CHECK(memcmp(ss, ss2, SS) == 0);
	}
	/* keygen from the returned seed reproduces the key pair */
	static uint8_t ek2[EK], dk2[DK];
	CHECK(dp_mlkem768_keygen_seed(ek2, dk2, seed, 64) == DP_OK);
	CHECK(memcmp(ek, ek2, EK) == 0 && memcmp(dk, dk2, DK) == 0);
	/* dk layout: ... || ek || H(ek) || z */
	uint8_t h[32];
	dp_sha3_256(h, ek, EK);
	CHECK(memcmp(dk + 1152, ek, EK) == 0);
	CHECK(memcmp(dk + 2336, h, 32) == 0);
	CHECK(memcmp(dk + 2368, seed + 32, 32) == 0);

	/* implicit rejection: every single-bit flip gives J(z || c'), not an error */
	int bad = 0;
	for (size_t bit = 0; bit < 8 * CT; bit += 97) {
		memcpy(ct2, ct, CT);
		ct2[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		uint8_t in[32 + CT];
		memcpy(in, dk + 2368, 32);
		memcpy(in + 32, ct2, CT);
		dp_shake256(jz, SS, in, sizeof in);
		bad += dp_mlkem768_decaps(ss2, dk, DK, ct2, CT) != DP_OK || memcmp(ss2, jz, SS) != 0 ||
		       memcmp(ss2, ss, SS) == 0;
	}
	CHECKF(bad == 0, "implicit rejection: %d flips wrong", bad);

	/* exact errors for wrong lengths and corrupted keys */
	memcpy(big, seed, 64);
	big[64] = 0;
	CHECK(dp_mlkem768_keygen_seed(ek2, dk2, big, 63) == DP_EPARSE);
	CHECK(dp_mlkem768_keygen_seed(ek2, dk2, big, 65) == DP_EPARSE);
	CHECK(dp_mlkem768_keygen_seed(ek2, dk2, big, 0) == DP_EPARSE);
	memcpy(big, ek, EK);
	CHECK(dp_mlkem768_encaps(ct2, ss2, big, EK - 1) == DP_EPARSE);
	CHECK(dp_mlkem768_encaps(ct2, ss2, big, EK + 1) == DP_EPARSE);
	memcpy(big, dk, DK);
	CHECK(dp_mlkem768_decaps(ss2, big, DK - 1, ct, CT) == DP_EPARSE);
	CHECK(dp_mlkem768_decaps(ss2, big, DK + 1, ct, CT) == DP_EPARSE);
	memcpy(big, ct, CT);
	big[CT] = 0;
	CHECK(dp_mlkem768_decaps(ss2, dk, DK, big, CT - 1) == DP_EPARSE);
	CHECK(dp_mlkem768_decaps(ss2, dk, DK, big, CT + 1) == DP_EPARSE);
	static const uint8_t zero[SS];
	CHECK(memcmp(ss2, zero, SS) == 0); /* failed decaps leaves a zero secret */
	memcpy(big, dk, DK);
	big[1152 + 10] ^= 1; /* embedded ek */
	CHECK(dp_mlkem768_decaps(ss2, big, DK, ct, CT) == DP_EPARSE);
	memcpy(big, dk, DK);
	big[2336] ^= 0x80; /* H(ek) */
	CHECK(dp_mlkem768_decaps(ss2, big, DK, ct, CT) == DP_EPARSE);

	/* the modulus check at the first, a middle and the last coefficient */
	const size_t pos[] = {0, 1, 385, 767}; /* of 3 * 256 */
	for (size_t i = 0; i < sizeof pos / sizeof pos[0]; i++) {
		memcpy(big, ek, EK);
		size_t c = pos[i], b = 3 * (c / 2);
		unsigned v = 3329 + (unsigned)i; /* q .. q+3 */
		if (c % 2 == 0) {
			big[b] = (uint8_t)v;
			big[b + 1] = (uint8_t)((big[b + 1] & 0xf0) | (v >> 8));
		} else {
			big[b + 1] = (uint8_t)((big[b + 1] & 0x0f) | ((v & 0x0f) << 4));
			big[b + 2] = (uint8_t)(v >> 4);
		}
		CHECKF(dp_mlkem768_encaps(ct2, ss2, big, EK) == DP_EPARSE, "coefficient %zu = %u", c,
		       v);
		/* and q - 1 there is accepted */
		v = 3328;
		if (c % 2 == 0) {
			big[b] = (uint8_t)v;
			big[b + 1] = (uint8_t)((big[b + 1] & 0xf0) | (v >> 8));
		} else {
			big[b + 1] = (uint8_t)((big[b + 1] & 0x0f) | ((v & 0x0f) << 4));
			big[b + 2] = (uint8_t)(v >> 4);
		}
		CHECK(dp_mlkem768_encaps(ct2, ss2, big, EK) == DP_OK);
	}
}

/* ---- vectors ---- */

/* Hex string s into a malloc'd buffer (1 byte at least); NULL if not hex. */
static uint8_t *unhex(const char *s, size_t *n)
{
	size_t l = s ? strlen(s) : 1;
	if (l % 2)
		return NULL;
	uint8_t *p = malloc(l / 2 + 1);
	if (!p || (l && dp_hex_decode(p, l / 2, s, l))) {
		free(p);
		return NULL;
	}
	*n = l / 2;
	return p;
}

/* A hex field; an absent field (invalid cases omit ek and K) reads as empty. */
static uint8_t *jhex(json_t *t, const char *key, size_t *n)
{
	json_t *v = json_object_get(t, key);
	return unhex(v ? json_string_value(v) : "", n);
}

static int valid(json_t *t)
{
	const char *r = json_string_value(json_object_get(t, "result"));
	return r && strcmp(r, "valid") == 0;
}

static json_t *load_json(const char *vd, const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/mlkem/wycheproof/%s", vd, name);
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);
	if (!j)
		t_skipped(name, err.text);
	return j;
}

/* Calls fn on every test of every group; prints per-file counts. */
typedef int (*case_fn)(json_t *t); /* 1 = as expected */
static void each_test(const char *vd, const char *name, case_fn fn)
{
	json_t *j = load_json(vd, name);
	if (!j)
		return;
	size_t gi, ti, n = 0, ok = 0;
	json_t *g, *t;
	json_array_foreach(json_object_get(j, "testGroups"), gi, g)
	{
		const char *ps = json_string_value(json_object_get(g, "parameterSet"));
		if (!ps || strcmp(ps, "ML-KEM-768") != 0)
			continue;
		json_array_foreach(json_object_get(g, "tests"), ti, t)
		{
			int r = fn(t);
			n++;
			ok += r == 1;
			CHECKF(r == 1, "%s tcId %lld", name,
			       (long long)json_integer_value(json_object_get(t, "tcId")));
		}
	}
	printf("%s: %zu/%zu as expected\n", name, ok, n);
	CHECKF(n > 0, "%s: no tests", name);
	json_decref(j);
}

static int wp_keygen(json_t *t)
{
	size_t ns = 0, ne = 0, nd = 0;
	uint8_t *seed = jhex(t, "seed", &ns), *wek = jhex(t, "ek", &ne), *wdk = jhex(t, "dk", &nd);
	static uint8_t ek[EK], dk[DK];
	int r = 0;
	if (seed && wek && wdk) {
		int rc = dp_mlkem768_keygen_seed(ek, dk, seed, ns);
		if (valid(t))
			r = rc == DP_OK && ne == EK && nd == DK && !memcmp(ek, wek, EK) &&
			    !memcmp(dk, wdk, DK);
		else
			r = rc == DP_EPARSE;
	}
	free(seed), free(wek), free(wdk);
	return r;
}

static int wp_encaps(json_t *t)
{
	size_t ne = 0, nm = 0, nc = 0, nk = 0;
	uint8_t *ek = jhex(t, "ek", &ne), *m = jhex(t, "m", &nm), *c = jhex(t, "c", &nc),
		*k = jhex(t, "K", &nk);
	static uint8_t ct[CT];
	uint8_t ss[SS];
	int r = 0;
	if (ek && m && c && k && nm == 32) {
		int rc = dp_mlkem768_encaps_internal(ct, ss, ek, ne, m);
		if (valid(t))
			r = rc == DP_OK && nc == CT && nk == SS && !memcmp(ct, c, CT) &&
			    !memcmp(ss, k, SS);
		else
			r = rc == DP_EPARSE; /* too short, too long, not reduced mod q */
	}
	free(ek), free(m), free(c), free(k);
	return r;
}

/* mlkem_768_test.json: keys from seed, then decaps. Invalid = wrong seed or c length. */
static int wp_decaps(json_t *t)
{
	size_t ns = 0, ne = 0, nc = 0, nk = 0;
	uint8_t *seed = jhex(t, "seed", &ns), *wek = jhex(t, "ek", &ne), *c = jhex(t, "c", &nc),
		*k = jhex(t, "K", &nk);
	static uint8_t ek[EK], dk[DK];
	uint8_t ss[SS];
	int r = 0;
	if (seed && wek && c && k) {
		int kg = dp_mlkem768_keygen_seed(ek, dk, seed, ns);
		if (kg != DP_OK) {
			r = !valid(t) && kg == DP_EPARSE && ns != 64;
		} else {
			int rc = dp_mlkem768_decaps(ss, dk, DK, c, nc);
			if (valid(t))
				r = rc == DP_OK && ne == EK && !memcmp(ek, wek, EK) && nk == SS &&
				    !memcmp(ss, k, SS);
			else
				r = rc == DP_EPARSE && nc != CT;
		}
	}
	free(seed), free(wek), free(c), free(k);
	return r;
}

static int wp_semi(json_t *t)
{
	size_t nd = 0, nc = 0, nk = 0;
	uint8_t *dk = jhex(t, "dk", &nd), *c = jhex(t, "c", &nc), *k = jhex(t, "K", &nk);
	uint8_t ss[SS];
	int r = 0;
	if (dk && c && k) {
		int rc = dp_mlkem768_decaps(ss, dk, nd, c, nc);
		if (valid(t))
			r = rc == DP_OK && nk == SS && !memcmp(ss, k, SS);
		else
			r = rc == DP_EPARSE;
	}
	free(dk), free(c), free(k);
	return r;
}

/* ---- CCTV "key = hex" files ---- */

#define MAXKV 64
struct kv {
	int n;
	char key[MAXKV][32];
	char *val[MAXKV];
};

/* Reads "name = value" lines (first occurrence of a name wins). */
static int read_kv(const char *path, struct kv *kv)
{
	size_t len;
	char *buf = (char *)t_read_file(path, &len);
	memset(kv, 0, sizeof *kv);
	if (!buf)
		return -1;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char *eq = strstr(line, " = ");
		if (!eq || eq - line >= 31 || kv->n == MAXKV)
			continue;
		char name[32];
		memcpy(name, line, (size_t)(eq - line));
		name[eq - line] = 0;
		int seen = 0;
		for (int i = 0; i < kv->n; i++)
			seen |= strcmp(kv->key[i], name) == 0;
		if (seen)
			continue;
		strcpy(kv->key[kv->n], name);
		kv->val[kv->n++] = strdup(eq + 3);
	}
	free(buf);
	return 0;
}

static uint8_t *kvhex(const struct kv *kv, const char *name, size_t want)
{
	for (int i = 0; i < kv->n; i++) {
		if (strcmp(kv->key[i], name))
			continue;
		size_t n = 0;
		uint8_t *p = unhex(kv->val[i], &n);
		if (p && n == want)
			return p;
		free(p);
		return NULL;
	}
	return NULL;
}

static void kv_free(struct kv *kv)
{
	for (int i = 0; i < kv->n; i++)
		free(kv->val[i]);
}

/* Encaps(ek, m) = (c, K) and Decaps(dk, c) = K from a CCTV file. */
static void cctv_kem(const char *vd, const char *sub)
{
	char path[4096];
	struct kv kv;
	snprintf(path, sizeof path, "%s/mlkem/cctv/%s/ML-KEM-768.txt", vd, sub);
	if (read_kv(path, &kv)) {
		t_skipped(path, "absent");
		return;
	}
	uint8_t *ek = kvhex(&kv, "ek", EK), *dk = kvhex(&kv, "dk", DK), *m = kvhex(&kv, "m", 32),
		*c = kvhex(&kv, "c", CT), *k = kvhex(&kv, "K", SS);
	static uint8_t ct[CT];
	uint8_t ss[SS], ss2[SS], h[32];
	CHECKF(ek && dk && m && c && k, "%s: fields", sub);
	if (ek && dk && m && c && k) {
		CHECKF(dp_mlkem768_encaps_internal(ct, ss, ek, EK, m) == DP_OK, "%s encaps", sub);
		CHECKF(!memcmp(ct, c, CT) && !memcmp(ss, k, SS), "%s: encaps output", sub);
		CHECKF(dp_mlkem768_decaps(ss2, dk, DK, c, CT) == DP_OK && !memcmp(ss2, k, SS),
		       "%s: decaps", sub);
		uint8_t *hek = kvhex(&kv, "H(ek)", 32);
		if (hek) {
			dp_sha3_256(h, ek, EK);
			CHECKF(!memcmp(h, hek, 32), "%s: H(ek)", sub);
		}
		uint8_t *kbar = kvhex(&kv, "KBar", 32);
		if (kbar) {
			/* a ciphertext that fails re-encryption yields J(z || c') */
			uint8_t in[32 + CT];
			memcpy(in, dk + 2368, 32);
			memcpy(in + 32, c, CT);
			dp_shake256(h, 32, in, sizeof in);
			CHECKF(!memcmp(h, kbar, 32), "%s: KBar = J(z || c)", sub);
		}
		free(hek), free(kbar);
		printf("cctv %s: encaps and decaps checked\n", sub);
	}
	free(ek), free(dk), free(m), free(c), free(k);
	kv_free(&kv);
}

static void cctv_strcmp(const char *vd)
{
	char path[4096];
	struct kv kv;
	snprintf(path, sizeof path, "%s/mlkem/cctv/strcmp/ML-KEM-768.txt", vd);
	if (read_kv(path, &kv)) {
		t_skipped(path, "absent");
		return;
	}
	uint8_t *dk = kvhex(&kv, "dk", DK), *c = kvhex(&kv, "c", CT), *k = kvhex(&kv, "K", SS);
	uint8_t ss[SS];
	CHECK(dk && c && k);
	if (dk && c && k) {
		CHECK(dp_mlkem768_decaps(ss, dk, DK, c, CT) == DP_OK && !memcmp(ss, k, SS));
		printf("cctv strcmp: decaps checked\n");
	}
	free(dk), free(c), free(k);
	kv_free(&kv);
}

static void cctv_modulus(const char *vd)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/mlkem/cctv/modulus/ML-KEM-768.txt.gz", vd);
	gzFile f = gzopen(path, "rb");
	if (!f) {
		t_skipped(path, "absent");
		return;
	}
	static char line[8192];
	static uint8_t ct[CT];
	uint8_t ss[SS];
	int n = 0, rejected = 0, malformed = 0;
	while (gzgets(f, line, sizeof line)) {
		size_t l = strcspn(line, "\r\n");
		line[l] = 0;
		if (!l)
			continue;
		size_t nek = 0;
		uint8_t *ek = unhex(line, &nek);
		n++;
		if (!ek || nek != EK) {
			malformed++;
		} else {
			rejected += dp_mlkem768_encaps(ct, ss, ek, nek) == DP_EPARSE;
		}
		free(ek);
	}
	gzclose(f);
	CHECKF(malformed == 0, "modulus: %d malformed lines", malformed);
	CHECKF(n == 780 && rejected == n, "modulus: %d of %d rejected", rejected, n);
	printf("cctv modulus: %d/%d keys rejected\n", rejected, n);
}

int main(int argc, char **argv)
{
	if (dp_crypto_init())
		return 1;
	api();
	/* argument: fewer rounds for a quick run (the hash then is not checked) */
	int rounds = argc > 1 ? atoi(argv[1]) : 10000;
	if (rounds == 10000)
		accumulated(rounds,
			    "f959d18d3d1180121433bf0e05f11e7908cf9d03edc150b2b07cb90bef5bc1c1");

	const char *vd = t_vectors_dir();
	if (!vd) {
		t_skipped("mlkem vectors", "no vectors directory (set DENPO_VECTORS)");
		return t_done("test_mlkem");
	}
	each_test(vd, "mlkem_768_keygen_seed_test.json", wp_keygen);
	each_test(vd, "mlkem_768_encaps_test.json", wp_encaps);
	each_test(vd, "mlkem_768_test.json", wp_decaps);
	each_test(vd, "mlkem_768_semi_expanded_decaps_test.json", wp_semi);
	cctv_kem(vd, "unluckysample");
	cctv_kem(vd, "intermediate");
	cctv_strcmp(vd);
	cctv_modulus(vd);
	return t_done("test_mlkem");
}
