/*
 * tests/test_keystore.c - device keystore: the version 2 format (storage
 * key, epoch windows, flags), epoch keys (add, erase, their records),
 * the file (save, replace, passphrase).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "denpo/cable.h"
#include "denpo/encoding.h"
#include "denpo/keystore.h"
#include "tests/harness.h"

static char dir[] = "/tmp/denpo-test-ks-XXXXXX";

static int same_keys(const dp_keystore *a, const dp_keystore *b)
{
	if (memcmp(a->sign_sk, b->sign_sk, sizeof a->sign_sk) || memcmp(a->sign_pk, b->sign_pk, 32) ||
	    memcmp(a->tls_seed, b->tls_seed, 32) || memcmp(a->tls_pk, b->tls_pk, 32) ||
	    memcmp(a->storage_key, b->storage_key, 32) || a->nage != b->nage)
		return 0;
	for (size_t i = 0; i < a->nage; i++)
		if (a->age[i].type != b->age[i].type || a->epoch[i] != b->epoch[i] ||
		    memcmp(a->age[i].sk, b->age[i].sk, 32) || a->not_before[i] != b->not_before[i] ||
		    a->not_after[i] != b->not_after[i] || a->flags[i] != b->flags[i])
			return 0;
	return 1;
}

/* 1 if the n bytes of needle occur in hay, the first at *at. */
static int contains_at(const uint8_t *hay, size_t hn, const void *needle, size_t n, size_t *at)
{
	for (size_t i = 0; i + n <= hn; i++)
		if (!memcmp(hay + i, needle, n)) {
			*at = i;
			return 1;
		}
	return 0;
}

/* 1 if the n bytes of needle occur in hay. */
static int contains(const uint8_t *hay, size_t hn, const void *needle, size_t n)
{
	size_t at;
	return contains_at(hay, hn, needle, n, &at);
}

/*
 * No secret of ks appears in the file bytes: raw, hex, base64, as an age
 * identity, or as the start of its plaintext encoding.  NULL if none does;
 * else which one matched and where.  Every needle is 14 bytes or more: the
 * 4-byte magic "DPKS" alone can turn up by chance in an armored (base64)
 * file, about once in 16,000 files of 1,000 characters (64^4 / 1,000).
 */
static const char *leaks(const uint8_t *f, size_t fn, const dp_keystore *ks)
{
	static char why[160];
	static const char *const names[] = {"the signing key", "the TLS seed", "the storage key"};
	const uint8_t *secrets[3 + DP_KEYSTORE_MAX_AGE] = {ks->sign_sk, ks->tls_seed, ks->storage_key};
	size_t ns = 3;
	for (size_t i = 0; i < ks->nage; i++)
		secrets[ns++] = ks->age[i].sk;
	for (size_t i = 0; i < ns; i++) {
		char hex[65], b64[64];
		dp_hex_encode(hex, secrets[i], 32);
		dp_b64_encode(b64, secrets[i], 32, 0);
		/* 8-byte windows are enough to call it a leak */
		size_t at;
		const char *as = contains_at(f, fn, secrets[i], 8, &at)  ? "raw"
				 : contains_at(f, fn, hex, 16, &at)    ? "hex"
				 : contains_at(f, fn, b64, 16, &at)    ? "base64"
									: NULL;
		if (as) {
			if (i < 3)
				snprintf(why, sizeof why, "%s, %s, at byte %zu of %zu", names[i], as, at, fn);
			else
				snprintf(why, sizeof why, "age key %zu, %s, at byte %zu of %zu", i - 3, as, at, fn);
			return why;
		}
	}
	dp_buf id, pt;
	dp_buf_init(&id, 256);
	dp_buf_init(&pt, DP_KEYSTORE_MAX);
	size_t at = 0;
	const char *as = dp_age_identity_format(&ks->age[0], &id) ? "no age identity to look for"
			 : dp_keystore_encode(ks, &pt) || pt.len < 16     ? "no plaintext to look for"
			 : contains_at(f, fn, id.p, id.len, &at)        ? "the age identity"
			 : contains_at(f, fn, "AGE-SECRET-KEY", 14, &at) ? "AGE-SECRET-KEY"
			 : contains_at(f, fn, pt.p, 16, &at) ? "the plaintext's first 16 bytes (\"DPKS\", ...)"
							     : NULL;
	dp_buf_free(&id);
	dp_buf_free(&pt);
	if (!as)
		return NULL;
	snprintf(why, sizeof why, "%s, at byte %zu of %zu", as, at, fn);
	return why;
}

static int all_zero(const void *p, size_t n)
{
	const uint8_t *q = p;
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= q[i];
	return acc == 0;
}

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/*
 * The version 2 plaintext: "DPKS" 2, three typed 32-byte keys, then
 * nage entries of 55 bytes (type, epoch u32, not_before u64, not_after
 * u64, flags, len, seed[32]).
 */
#define OFF_SIGN 5
#define OFF_TLS 38
#define OFF_STORE 71
#define OFF_NAGE 104
#define OFF_AGE 105
#define AGE_LEN 55
#define E_EPOCH 1
#define E_NB 5
#define E_NA 13
#define E_FLAGS 21
#define E_LEN 22
#define E_SEED 23

/* Decode p (n bytes) with byte patches applied by the caller; the result code, back freed. */
static int dec(const uint8_t *p, size_t n)
{
	dp_keystore *back = (dp_keystore *)1;
	int r = dp_keystore_decode(&back, p, n);
	if (r && back != NULL)
		return 9999; /* a failed decode must not hand out a keystore */
	dp_keystore_free(back);
	return r;
}

static void test_format(void)
{
	dp_keystore *ks, *back;
	int64_t t0 = dp_now();
	CHECK(dp_keystore_generate(&ks) == DP_OK);
	int64_t t1 = dp_now();
	CHECK(ks->nage == 1 && ks->epoch[0] == 0 && ks->age[0].type == DP_AGE_MLKEM768X25519);
	CHECK(ks->not_before[0] >= t0 && ks->not_before[0] <= t1);
	CHECK(ks->not_after[0] == ks->not_before[0] + DP_EPOCH_PERIOD + DP_EPOCH_OVERLAP);
	CHECK(ks->flags[0] == 0);
	uint8_t pk[32], sk[64];
	crypto_sign_ed25519_seed_keypair(pk, sk, ks->tls_seed);
	CHECK(!memcmp(pk, ks->tls_pk, 32));
	CHECK(!memcmp(ks->sign_sk + 32, ks->sign_pk, 32));
	CHECK(memcmp(ks->sign_sk, ks->tls_seed, 32) != 0); /* independent seeds */
	CHECK(!all_zero(ks->storage_key, 32) && memcmp(ks->storage_key, ks->sign_sk, 32) &&
	      memcmp(ks->storage_key, ks->tls_seed, 32) && memcmp(ks->storage_key, ks->age[0].sk, 32));
	dp_keystore *other;
	CHECK(dp_keystore_generate(&other) == DP_OK);
	CHECK(memcmp(other->storage_key, ks->storage_key, 32) != 0); /* random per keystore */
	dp_keystore_free(other);

	dp_buf b;
	dp_buf_init(&b, DP_KEYSTORE_MAX);
	CHECK(dp_keystore_encode(ks, &b) == DP_OK);
	CHECK(b.len == OFF_AGE + AGE_LEN);
	CHECK(dp_keystore_decode(&back, b.p, b.len) == DP_OK);
	CHECK(back && same_keys(ks, back));
	dp_keystore_free(back);

	/* three epochs with their windows, the first published: the exact layout */
	int64_t nb = ks->not_before[0];
	CHECK(dp_keystore_add_epoch(ks, nb + 86400, nb + 2 * 86400 + 3600) == DP_OK);
	CHECK(dp_keystore_add_epoch(ks, nb + 2 * 86400, nb + 2 * 86400 + DP_EPOCH_MAX_LIFE) == DP_OK);
	ks->flags[0] = DP_KS_PUBLISHED;
	dp_buf_reset(&b);
	CHECK(dp_keystore_encode(ks, &b) == DP_OK);
	size_t n = b.len;
	CHECK(n == OFF_AGE + 3 * AGE_LEN);
	uint8_t p[OFF_AGE + 3 * AGE_LEN];
	memcpy(p, b.p, sizeof p);
	CHECK(!memcmp(p, "DPKS\x02", 5));
	CHECK(p[OFF_SIGN] == 1 && !memcmp(p + OFF_SIGN + 1, ks->sign_sk, 32));
	CHECK(p[OFF_TLS] == 1 && !memcmp(p + OFF_TLS + 1, ks->tls_seed, 32));
	CHECK(p[OFF_STORE] == 1 && !memcmp(p + OFF_STORE + 1, ks->storage_key, 32));
	CHECK(p[OFF_NAGE] == 3);
	for (size_t i = 0; i < 3; i++) {
		const uint8_t *e = p + OFF_AGE + i * AGE_LEN;
		CHECKF(e[0] == DP_AGE_MLKEM768X25519 && get_be(e + E_EPOCH, 4) == i &&
		       get_be(e + E_NB, 8) == (uint64_t)ks->not_before[i] &&
		       get_be(e + E_NA, 8) == (uint64_t)ks->not_after[i] &&
		       e[E_FLAGS] == (i == 0 ? DP_KS_PUBLISHED : 0) && e[E_LEN] == 32 &&
		       !memcmp(e + E_SEED, ks->age[i].sk, 32),
		       "entry %zu", i);
	}
	CHECK(dp_keystore_decode(&back, p, n) == DP_OK);
	CHECK(back && same_keys(ks, back));
	if (back) {
		dp_buf b2;
		dp_buf_init(&b2, DP_KEYSTORE_MAX);
		CHECK(dp_keystore_encode(back, &b2) == DP_OK && b2.len == n && !memcmp(b2.p, p, n));
		dp_buf_free(&b2);
		dp_keystore_free(back);
	}

	/* every strict-format rejection, with its exact error */
	uint8_t t[OFF_AGE + 4 * AGE_LEN];
	memcpy(t, p, n);
	int bad = 0;
	for (size_t cut = 0; cut < n; cut++) {
		int r = dec(t, cut);
		if (r != DP_EPARSE) {
			bad++;
			fprintf(stderr, "truncated at %zu -> %s\n", cut, dp_errname(r));
		}
	}
	CHECK(bad == 0);
	t[n] = 0;
	CHECK(dec(t, n + 1) == DP_EPARSE); /* trailing byte */
#define PATCH(off, val, want, what)                                                              \
	do {                                                                                     \
		memcpy(t, p, n);                                                                 \
		t[off] = (uint8_t)(val);                                                         \
		int r_ = dec(t, n);                                                              \
		CHECKF(r_ == (want), "%s: %s", what, dp_errname(r_));                            \
	} while (0)
	PATCH(0, 'X', DP_EPARSE, "magic");
	PATCH(4, 1, DP_EUNSUPP, "version 1 (before key epochs)");
	PATCH(4, 0, DP_EUNSUPP, "version 0");
	PATCH(4, 3, DP_EUNSUPP, "version 3");
	PATCH(OFF_SIGN, 9, DP_EUNSUPP, "signing key type");
	PATCH(OFF_TLS, 9, DP_EUNSUPP, "TLS key type");
	PATCH(OFF_STORE, 2, DP_EUNSUPP, "storage key type");
	PATCH(OFF_NAGE, 0, DP_EPARSE, "no age identity");
	PATCH(OFF_NAGE, 2, DP_EPARSE, "count short of the entries");
	PATCH(OFF_NAGE, 4, DP_EPARSE, "count past the entries");
	PATCH(OFF_NAGE, DP_KEYSTORE_MAX_AGE + 1, DP_EPARSE, "too many");
	size_t e1 = OFF_AGE + AGE_LEN; /* the second entry */
	PATCH(e1, DP_AGE_X25519, DP_EUNSUPP, "classic identity: cables are PQ only");
	PATCH(e1, DP_AGE_SCRYPT, DP_EUNSUPP, "not an identity type at all");
	PATCH(e1 + E_LEN, 31, DP_EPARSE, "key length 31");
	PATCH(e1 + E_LEN, 33, DP_EPARSE, "key length 33");
	for (int bit = 1; bit < 8; bit++)
		PATCH(e1 + E_FLAGS, 1 << bit, DP_EPARSE, "unknown flag bit");
	PATCH(e1 + E_FLAGS, DP_KS_PUBLISHED, DP_OK, "published");
	/* epochs strictly increase (gaps are fine) */
	PATCH(e1 + E_EPOCH + 3, 0, DP_EPARSE, "epoch 0 twice");
	PATCH(e1 + AGE_LEN + E_EPOCH + 3, 1, DP_EPARSE, "epoch 1 twice");
	PATCH(e1 + E_EPOCH + 3, 9, DP_EPARSE, "epoch 9 before 2");
	PATCH(e1 + E_EPOCH + 3, 1, DP_OK, "unchanged");
	PATCH(e1 + AGE_LEN + E_EPOCH, 0xff, DP_OK, "epoch 0xff000002 after 1");
	/* windows: the record rules (Not-Before < Not-After <= Not-Before + 8 days, 2000..2099) */
	static const struct {
		int64_t dnb, dna; /* relative to the second entry's not_before */
		uint64_t nb, na;  /* absolute, when non-zero */
		int want;
		const char *what;
	} win[] = {
		{0, 0, 0, 0, DP_EPARSE, "empty window"},
		{0, -1, 0, 0, DP_EPARSE, "Not-After before Not-Before"},
		{0, DP_EPOCH_MIN_LIFE - 1, 0, 0, DP_EPARSE, "a second too short"},
		{0, DP_EPOCH_MIN_LIFE, 0, 0, DP_OK, "the shortest life"},
		{0, DP_EPOCH_MAX_LIFE, 0, 0, DP_OK, "the longest life"},
		{0, DP_EPOCH_MAX_LIFE + 1, 0, 0, DP_EPARSE, "a second too long"},
		{0, 0, 946684799, 946684799 + 3600, DP_EPARSE, "before 2000"},
		{0, 0, 4102444799 - 3600, 4102444800, DP_EPARSE, "after 2099"},
		{0, 0, 4102444799 - 3600, 4102444799, DP_OK, "the last second of 2099"},
		{0, 0, UINT64_C(1) << 63, (UINT64_C(1) << 63) + 3600, DP_EPARSE, "negative as int64"},
		{0, 0, 1771900000, UINT64_MAX, DP_EPARSE, "huge Not-After"},
	};
	for (size_t i = 0; i < sizeof win / sizeof *win; i++) {
		memcpy(t, p, n);
		uint64_t wnb = win[i].nb ? win[i].nb : (uint64_t)(ks->not_before[1] + win[i].dnb);
		uint64_t wna = win[i].na ? win[i].na : (uint64_t)(ks->not_before[1] + win[i].dna);
		put_be(t + e1 + E_NB, wnb, 8);
		put_be(t + e1 + E_NA, wna, 8);
		int r = dec(t, n);
		CHECKF(r == win[i].want, "window %s: %s", win[i].what, dp_errname(r));
	}
#undef PATCH

	/* the encoder refuses what the decoder would */
	dp_keystore *e;
	CHECK(dp_keystore_decode(&e, p, n) == DP_OK);
	if (e) {
		dp_buf_reset(&b);
		e->flags[1] = 2;
		CHECK(dp_keystore_encode(e, &b) == DP_EINVAL);
		e->flags[1] = 0;
		e->not_after[1] = e->not_before[1];
		CHECK(dp_keystore_encode(e, &b) == DP_EINVAL);
		e->not_after[1] = e->not_before[1] + DP_EPOCH_MAX_LIFE + 1;
		CHECK(dp_keystore_encode(e, &b) == DP_EINVAL);
		e->not_after[1] = ks->not_after[1];
		e->epoch[1] = 0;
		CHECK(dp_keystore_encode(e, &b) == DP_EINVAL); /* epoch 0 twice */
		e->epoch[1] = 1;
		e->age[1].type = DP_AGE_X25519;
		CHECK(dp_keystore_encode(e, &b) == DP_EUNSUPP); /* a classic identity is never stored */
		e->age[1].type = DP_AGE_MLKEM768X25519;
		size_t keep = e->nage;
		e->nage = 0;
		CHECK(dp_keystore_encode(e, &b) == DP_EINVAL);
		e->nage = keep;
		dp_buf_reset(&b);
		CHECK(dp_keystore_encode(e, &b) == DP_OK && b.len == n && !memcmp(b.p, p, n));
		dp_keystore_free(e);
	}
	sodium_memzero(p, sizeof p);
	sodium_memzero(t, sizeof t);
	dp_keystore_free(ks);
	dp_buf_free(&b);
}

/* add_epoch: numbering, windows, the cap. */
static void test_add_epoch(void)
{
	dp_keystore *ks;
	CHECK(dp_keystore_generate(&ks) == DP_OK);
	int64_t nb = ks->not_before[0];
	const int64_t badw[][2] = {
		{nb, nb}, {nb, nb - 1}, {nb, nb + DP_EPOCH_MIN_LIFE - 1}, {nb, nb + DP_EPOCH_MAX_LIFE + 1}, {0, 3600}, {-3600, 3600},
	};
	for (size_t i = 0; i < sizeof badw / sizeof *badw; i++)
		CHECKF(dp_keystore_add_epoch(ks, badw[i][0], badw[i][1]) == DP_EINVAL && ks->nage == 1,
		       "bad window %zu", i);
	CHECK(dp_keystore_add_epoch(ks, DP_CREATED_MAX - 10, DP_CREATED_MAX + 1) == DP_EINVAL);
	CHECK(dp_keystore_add_epoch(ks, DP_CREATED_MIN - 1, DP_CREATED_MIN + 10) == DP_EINVAL);
	CHECK(ks->nage == 1 && all_zero(ks->age[1].sk, 32) && ks->age[1].type == 0);

	int ok = 1;
	for (size_t i = 1; i < DP_KEYSTORE_MAX_AGE; i++) {
		int64_t s = nb + (int64_t)i * DP_EPOCH_PERIOD;
		int64_t e = i == 1 ? s + DP_EPOCH_MAX_LIFE : s + DP_EPOCH_PERIOD + DP_EPOCH_OVERLAP;
		int r = dp_keystore_add_epoch(ks, s, e);
		if (r || ks->nage != i + 1 || ks->epoch[i] != i || ks->not_before[i] != s ||
		    ks->not_after[i] != e || ks->flags[i] != 0 ||
		    ks->age[i].type != DP_AGE_MLKEM768X25519 ||
		    !memcmp(ks->age[i].sk, ks->age[i - 1].sk, 32)) {
			ok = 0;
			fprintf(stderr, "add_epoch %zu: %s\n", i, dp_errname(r));
		}
	}
	CHECK(ok);
	CHECK(ks->nage == DP_KEYSTORE_MAX_AGE);
	CHECK(dp_keystore_add_epoch(ks, nb, nb + 3600) == DP_ETOOBIG && ks->nage == DP_KEYSTORE_MAX_AGE);
	/* a full keystore still fits the format */
	dp_buf b;
	dp_buf_init(&b, DP_KEYSTORE_MAX);
	CHECK(dp_keystore_encode(ks, &b) == DP_OK && b.len == OFF_AGE + DP_KEYSTORE_MAX_AGE * AGE_LEN);
	dp_keystore *back;
	CHECK(dp_keystore_decode(&back, b.p, b.len) == DP_OK && same_keys(ks, back));
	dp_keystore_free(back);
	dp_buf_free(&b);
	dp_keystore_free(ks);

	/* the epoch number never wraps */
	CHECK(dp_keystore_generate(&ks) == DP_OK);
	ks->epoch[0] = UINT32_MAX - 1;
	CHECK(dp_keystore_add_epoch(ks, nb, nb + 3600) == DP_OK && ks->epoch[1] == UINT32_MAX);
	CHECK(dp_keystore_add_epoch(ks, nb, nb + 3600) == DP_ETOOBIG && ks->nage == 2);
	dp_keystore_free(ks);
}

/* 1 if the 32-byte seed is anywhere in the keystore's memory. */
static int holds(const dp_keystore *ks, const uint8_t seed[32])
{
	return contains((const uint8_t *)ks, sizeof *ks, seed, 32);
}

static void test_erase(void)
{
	dp_keystore *ks;
	CHECK(dp_keystore_generate(&ks) == DP_OK);
	int64_t nb = ks->not_before[0];
	for (int i = 1; i <= 3; i++)
		CHECK(dp_keystore_add_epoch(ks, nb + i * 86400, nb + i * 86400 + 90000 + i) == DP_OK);
	ks->flags[2] = DP_KS_PUBLISHED;
	uint8_t seed[4][32];
	int64_t na[4];
	for (int i = 0; i < 4; i++) {
		memcpy(seed[i], ks->age[i].sk, 32);
		na[i] = ks->not_after[i];
	}
	CHECK(dp_keystore_erase(ks, 4) == DP_EINVAL && ks->nage == 4);

	/* the middle one: the others keep their order, windows and flags */
	CHECK(dp_keystore_erase(ks, 1) == DP_OK);
	CHECK(ks->nage == 3 && ks->epoch[0] == 0 && ks->epoch[1] == 2 && ks->epoch[2] == 3);
	CHECK(!memcmp(ks->age[0].sk, seed[0], 32) && !memcmp(ks->age[1].sk, seed[2], 32) &&
	      !memcmp(ks->age[2].sk, seed[3], 32));
	CHECK(ks->not_after[0] == na[0] && ks->not_after[1] == na[2] && ks->not_after[2] == na[3]);
	CHECK(ks->not_before[1] == nb + 2 * 86400 && ks->not_before[2] == nb + 3 * 86400);
	CHECK(ks->flags[0] == 0 && ks->flags[1] == DP_KS_PUBLISHED && ks->flags[2] == 0);
	CHECK(!holds(ks, seed[1])); /* the erased secret is nowhere in the struct */
	CHECK(ks->age[3].type == 0 && all_zero(ks->age[3].sk, 32) && ks->epoch[3] == 0 &&
	      ks->not_before[3] == 0 && ks->not_after[3] == 0 && ks->flags[3] == 0);
	for (int i = 0; i < 4; i++)
		if (i != 1)
			CHECK(holds(ks, seed[i]));

	/* the newest, then the oldest */
	CHECK(dp_keystore_erase(ks, 2) == DP_OK && ks->nage == 2 && ks->epoch[1] == 2);
	CHECK(!holds(ks, seed[3]) && all_zero(ks->age[2].sk, 32));
	CHECK(dp_keystore_erase(ks, 0) == DP_OK && ks->nage == 1 && ks->epoch[0] == 2);
	CHECK(!holds(ks, seed[0]) && !memcmp(ks->age[0].sk, seed[2], 32));
	/* never the last key */
	CHECK(dp_keystore_erase(ks, 0) == DP_EINVAL && ks->nage == 1 && holds(ks, seed[2]));
	/* numbering continues from the newest */
	CHECK(dp_keystore_add_epoch(ks, nb, nb + 3600) == DP_OK && ks->epoch[1] == 3);
	dp_buf b;
	dp_buf_init(&b, DP_KEYSTORE_MAX);
	dp_keystore *back;
	CHECK(dp_keystore_encode(ks, &b) == DP_OK);
	CHECK(dp_keystore_decode(&back, b.p, b.len) == DP_OK && same_keys(ks, back));
	CHECK(!contains(b.p, b.len, seed[0], 32) && !contains(b.p, b.len, seed[1], 32) &&
	      !contains(b.p, b.len, seed[3], 32));
	dp_keystore_free(back);
	dp_buf_free(&b);
	dp_keystore_free(ks);
}

/* The epoch key record of each keystore key: signed by the device, accepted, and its own. */
static void test_epoch_key(void)
{
	dp_keystore *ks;
	CHECK(dp_keystore_generate(&ks) == DP_OK);
	int64_t nb = ks->not_before[0];
	CHECK(dp_keystore_add_epoch(ks, nb + 86400, nb + 86400 + 90000) == DP_OK);
	CHECK(dp_keystore_add_epoch(ks, nb + 2 * 86400, nb + 2 * 86400 + 90000) == DP_OK);
	CHECK(dp_keystore_erase(ks, 1) == DP_OK); /* epochs 0 and 2 */
	uint8_t tpk[32], tsk[64];
	crypto_sign_ed25519_seed_keypair(tpk, tsk, ks->tls_seed);
	for (size_t i = 0; i < ks->nage; i++) {
		dp_epoch_key k, d;
		CHECK(dp_keystore_epoch_key(ks, i, &k) == DP_OK);
		CHECK(!memcmp(k.device, ks->sign_pk, 32) && k.epoch == ks->epoch[i] &&
		      k.not_before == ks->not_before[i] && k.not_after == ks->not_after[i]);
		CHECK(strlen(k.age_recipient) == DP_AGE_RECIPIENT_MAX &&
		      !strncmp(k.age_recipient, "age1pq1", 7));
		dp_buf rec;
		dp_buf_init(&rec, DP_EPOCH_KEY_MAX);
		int r = dp_epoch_key_encode(&k, ks->sign_sk, &rec);
		CHECKF(r == DP_OK, "encode epoch %zu: %s", i, dp_errname(r));
		r = dp_epoch_key_decode(&d, rec.p, rec.len);
		CHECKF(r == DP_OK && !memcmp(&d, &k, sizeof k), "decode epoch %zu: %s", i,
		       dp_errname(r));
		dp_buf_reset(&rec);
		CHECK(dp_epoch_key_encode(&k, tsk, &rec) == DP_EINVAL); /* only the device key signs */
		/* what a sender encrypts to with the record, this key (and no other) opens */
		dp_age_recipient rc;
		CHECK(dp_age_recipient_parse(&rc, d.age_recipient) == DP_OK);
		dp_buf ct, pt;
		dp_buf_init(&ct, 1 << 16);
		dp_buf_init(&pt, 1 << 16);
		CHECK(dp_age_encrypt(&rc, 1, (const uint8_t *)"cable", 5, 0, &ct) == DP_OK);
		CHECK(dp_age_decrypt(&ks->age[i], 1, ct.p, ct.len, &pt) == DP_OK && pt.len == 5);
		dp_buf_reset(&pt);
		CHECK(dp_age_decrypt(&ks->age[1 - i], 1, ct.p, ct.len, &pt) == DP_ENOMATCH);
		dp_buf_free(&ct);
		dp_buf_free(&pt);
		dp_buf_free(&rec);
	}
	/* the newest record's recipient is dp_keystore_recipient */
	dp_epoch_key k;
	dp_buf r1;
	dp_buf_init(&r1, DP_AGE_RECIPIENT_MAX + 1);
	CHECK(dp_keystore_epoch_key(ks, ks->nage - 1, &k) == DP_OK);
	CHECK(dp_keystore_recipient(ks, &r1) == DP_OK && r1.len == strlen(k.age_recipient) &&
	      !memcmp(r1.p, k.age_recipient, r1.len));
	dp_buf_free(&r1);
	CHECK(dp_keystore_epoch_key(ks, ks->nage, &k) == DP_EINVAL);
	sodium_memzero(tsk, sizeof tsk);
	dp_keystore_free(ks);
}

static void test_logn(void)
{
	setenv("DENPO_SCRYPT_LOGN", "12", 1);
	CHECK(dp_keystore_logn() == 12);
	setenv("DENPO_SCRYPT_LOGN", "9", 1);
	CHECK(dp_keystore_logn() == DP_AGE_SCRYPT_DEFAULT_LOGN); /* below the floor: ignored */
	setenv("DENPO_SCRYPT_LOGN", "23", 1);
	CHECK(dp_keystore_logn() == DP_AGE_SCRYPT_DEFAULT_LOGN);
	setenv("DENPO_SCRYPT_LOGN", "12x", 1);
	CHECK(dp_keystore_logn() == DP_AGE_SCRYPT_DEFAULT_LOGN);
	unsetenv("DENPO_SCRYPT_LOGN");
	CHECK(dp_keystore_logn() == 18);
	setenv("DENPO_SCRYPT_LOGN", "10", 1);
	CHECK(dp_keystore_logn() == 10);
}

static void test_file(void)
{
	char path[128], missing[128];
	snprintf(path, sizeof path, "%s/keystore.age", dir);
	snprintf(missing, sizeof missing, "%s/none.age", dir);
	dp_keystore *ks, *back = NULL;
	CHECK(dp_keystore_generate(&ks) == DP_OK);
	const char pass[] = "correct horse battery staple";
	CHECK(dp_keystore_save(ks, path, pass, strlen(pass), 9) == DP_EINVAL); /* work factor floor */
	CHECK(dp_keystore_save(ks, path, "", 0, 0) == DP_EINVAL);              /* empty passphrase */
	CHECK(dp_keystore_save(ks, path, pass, strlen(pass), 0) == DP_OK);
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(dp_keystore_save(ks, path, pass, strlen(pass), 0) == DP_EEXISTS); /* never overwritten */

	/* the detector itself: the plaintext encoding, and an identity in text, are caught */
	dp_buf plain;
	dp_buf_init(&plain, DP_KEYSTORE_MAX);
	CHECK(dp_keystore_encode(ks, &plain) == DP_OK && leaks(plain.p, plain.len, ks) != NULL);
	dp_buf_reset(&plain);
	CHECK(dp_age_identity_format(&ks->age[0], &plain) == DP_OK &&
	      leaks(plain.p, plain.len, ks) != NULL);
	dp_buf_free(&plain);

	size_t fn;
	uint8_t *f = t_read_file(path, &fn);
	CHECK(f != NULL);
	if (f) {
		const char *why = leaks(f, fn, ks);
		CHECKF(!why, "the keystore file (armored) shows a secret: %s", why);
		CHECK(contains(f, fn, "-----BEGIN AGE ENCRYPTED FILE-----", 34));
		dp_age_header_info hi;
		dp_buf bin;
		dp_buf_init(&bin, DP_KEYSTORE_MAX);
		CHECK(dp_age_dearmor(f, fn, &bin) == DP_OK);
		CHECK(dp_age_inspect(bin.p, bin.len, &hi) == DP_OK);
		CHECK(hi.nstanzas == 1 && hi.nscrypt == 1);
		CHECK(contains(bin.p, bin.len, "scrypt", 6) && contains(bin.p, bin.len, " 10\n", 4));
		why = leaks(bin.p, bin.len, ks);
		CHECKF(!why, "the keystore file's age bytes (dearmored) show a secret: %s", why);
		dp_buf_free(&bin);
	}

	CHECK(dp_keystore_load(&back, path, pass, strlen(pass)) == DP_OK);
	CHECK(back && same_keys(ks, back));
	dp_keystore_free(back);
	back = NULL;
	CHECK(dp_keystore_load(&back, path, "Correct horse battery staple", strlen(pass)) == DP_EPASS);
	CHECK(back == NULL);
	CHECK(dp_keystore_load(&back, path, pass, strlen(pass) - 1) == DP_EPASS);
	CHECK(dp_keystore_load(&back, missing, pass, strlen(pass)) == DP_ENOTFOUND);

	/* a damaged file never loads */
	if (f) {
		char bad[128];
		snprintf(bad, sizeof bad, "%s/bad.age", dir);
		f[fn / 2] ^= 0x01;
		CHECK(dp_write_file(bad, f, fn, 0600, 1) == DP_OK);
		int r = dp_keystore_load(&back, bad, pass, strlen(pass));
		CHECKF(r != DP_OK && back == NULL, "damaged keystore -> %d", r);
		unlink(bad);
		/* an age file of something else than a keystore */
		dp_age_recipient rc = {
			.type = DP_AGE_SCRYPT, .pass = pass, .passlen = strlen(pass), .logn = 10};
		dp_buf ct;
		dp_buf_init(&ct, 4096);
		CHECK(dp_age_encrypt(&rc, 1, (const uint8_t *)"hello", 5, 0, &ct) == DP_OK);
		CHECK(dp_write_file(bad, ct.p, ct.len, 0600, 1) == DP_OK);
		CHECK(dp_keystore_load(&back, bad, pass, strlen(pass)) == DP_EPARSE);
		dp_buf_free(&ct);
		unlink(bad);
		free(f);
	}
	dp_buf r1;
	dp_buf_init(&r1, DP_AGE_RECIPIENT_MAX + 1);
	CHECK(dp_keystore_recipient(ks, &r1) == DP_OK && r1.len == DP_AGE_RECIPIENT_MAX &&
	      !memcmp(r1.p, "age1pq1", 7));
	dp_buf_free(&r1);

	/* replace: what save never does (overwrite), atomically, mode 0600 whatever it was */
	int64_t nb = ks->not_before[0];
	CHECK(dp_keystore_add_epoch(ks, nb + 86400, nb + 86400 + 90000) == DP_OK);
	ks->flags[0] = DP_KS_PUBLISHED;
	CHECK(dp_keystore_save(ks, path, pass, strlen(pass), 0) == DP_EEXISTS);
	CHECK(dp_keystore_load(&back, path, pass, strlen(pass)) == DP_OK && back && back->nage == 1);
	dp_keystore_free(back);
	CHECK(chmod(path, 0644) == 0);
	CHECK(dp_keystore_replace(ks, path, pass, strlen(pass), 0) == DP_OK);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(dp_keystore_load(&back, path, pass, strlen(pass)) == DP_OK);
	CHECK(back && same_keys(ks, back) && back->nage == 2 && back->flags[0] == DP_KS_PUBLISHED);
	dp_keystore_free(back);
	back = NULL;
	f = t_read_file(path, &fn);
	const char *why = f ? leaks(f, fn, ks) : "the file could not be read";
	CHECKF(!why, "the replaced keystore file shows a secret: %s", why);
	free(f);
	CHECK(dp_keystore_replace(ks, path, "", 0, 0) == DP_EINVAL);
	/* after an erase, the replaced file no longer opens the erased key */
	uint8_t erased[32];
	memcpy(erased, ks->age[0].sk, 32);
	CHECK(dp_keystore_erase(ks, 0) == DP_OK);
	CHECK(dp_keystore_replace(ks, path, pass, strlen(pass), 0) == DP_OK);
	CHECK(dp_keystore_load(&back, path, pass, strlen(pass)) == DP_OK);
	CHECK(back && same_keys(ks, back) && back->nage == 1 && back->epoch[0] == 1 &&
	      !holds(back, erased));
	dp_keystore_free(back);
	back = NULL;
	/* replace creates a missing file too; then save refuses it */
	CHECK(dp_keystore_replace(ks, missing, pass, strlen(pass), 0) == DP_OK);
	CHECK(stat(missing, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(dp_keystore_save(ks, missing, pass, strlen(pass), 0) == DP_EEXISTS);
	/* nothing else is left in the directory (no temporary files) */
	DIR *dh = opendir(dir);
	int others = 0;
	for (struct dirent *de; dh && (de = readdir(dh));)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "keystore.age") && strcmp(de->d_name, "none.age")) {
			others++;
			fprintf(stderr, "left behind: %s\n", de->d_name);
		}
	if (dh)
		closedir(dh);
	CHECK(others == 0);
	unlink(missing);

	/* a full keystore (DP_KEYSTORE_MAX_AGE epoch keys) still fits the file cap once encrypted */
	while (ks->nage < DP_KEYSTORE_MAX_AGE)
		if (dp_keystore_add_epoch(ks, nb, nb + 3600))
			break;
	CHECK(ks->nage == DP_KEYSTORE_MAX_AGE);
	CHECK(dp_keystore_replace(ks, path, pass, strlen(pass), 0) == DP_OK);
	CHECK(stat(path, &st) == 0 && st.st_size <= DP_KEYSTORE_MAX);
	CHECK(dp_keystore_load(&back, path, pass, strlen(pass)) == DP_OK && back && same_keys(ks, back));
	dp_keystore_free(back);
	back = NULL;

	/* a version 1 keystore (before key epochs), correctly encrypted: unsupported */
	dp_buf v1;
	dp_buf_init(&v1, DP_KEYSTORE_MAX);
	CHECK(dp_keystore_encode(ks, &v1) == DP_OK);
	v1.p[4] = 1;
	dp_age_recipient sc = {.type = DP_AGE_SCRYPT, .pass = pass, .passlen = strlen(pass), .logn = 10};
	dp_buf ct1;
	dp_buf_init(&ct1, DP_KEYSTORE_MAX);
	CHECK(dp_age_encrypt(&sc, 1, v1.p, v1.len, 1, &ct1) == DP_OK);
	CHECK(dp_write_file(path, ct1.p, ct1.len, 0600, 0) == DP_OK);
	CHECK(dp_keystore_load(&back, path, pass, strlen(pass)) == DP_EUNSUPP && back == NULL);
	dp_buf_free(&ct1);
	dp_buf_free(&v1);
	unlink(path);
	dp_keystore_free(ks);
}

int main(void)
{
	if (dp_crypto_init() || !mkdtemp(dir)) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	test_format();
	test_add_epoch();
	test_erase();
	test_epoch_key();
	test_logn();
	setenv("DENPO_SCRYPT_LOGN", "10", 1);
	test_file();
	rmdir(dir);
	return t_done("test_keystore");
}
