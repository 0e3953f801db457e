/*
 * tests/test_keystore.c - device keystore: format, file, passphrase.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "denpo/encoding.h"
#include "denpo/keystore.h"
#include "tests/harness.h"

static char dir[] = "/tmp/denpo-test-ks-XXXXXX";

static int same_keys(const dp_keystore *a, const dp_keystore *b)
{
	if (memcmp(a->sign_sk, b->sign_sk, sizeof a->sign_sk) || memcmp(a->sign_pk, b->sign_pk, 32) ||
	    memcmp(a->tls_seed, b->tls_seed, 32) || memcmp(a->tls_pk, b->tls_pk, 32) || a->nage != b->nage)
		return 0;
	for (size_t i = 0; i < a->nage; i++)
		if (a->age[i].type != b->age[i].type || a->epoch[i] != b->epoch[i] ||
		    memcmp(a->age[i].sk, b->age[i].sk, 32))
			return 0;
	return 1;
}

/* 1 if the n bytes of needle occur in hay. */
static int contains(const uint8_t *hay, size_t hn, const void *needle, size_t n)
{
	for (size_t i = 0; i + n <= hn; i++)
		if (!memcmp(hay + i, needle, n))
			return 1;
	return 0;
}

/* No secret of ks appears in the file bytes: raw, hex, base64, or as an age identity. */
static int leaks(const uint8_t *f, size_t fn, const dp_keystore *ks)
{
	const uint8_t *secrets[3] = {ks->sign_sk, ks->tls_seed, ks->age[0].sk};
	for (int i = 0; i < 3; i++) {
		char hex[65], b64[64];
		dp_hex_encode(hex, secrets[i], 32);
		dp_b64_encode(b64, secrets[i], 32, 0);
		/* 8-byte windows are enough to call it a leak */
		if (contains(f, fn, secrets[i], 8) || contains(f, fn, hex, 16) || contains(f, fn, b64, 16))
			return 1;
	}
	dp_buf id;
	dp_buf_init(&id, 256);
	int bad = dp_age_identity_format(&ks->age[0], &id) || contains(f, fn, id.p, id.len) ||
		  contains(f, fn, "AGE-SECRET-KEY", 14) || contains(f, fn, "DPKS", 4);
	dp_buf_free(&id);
	return bad;
}

static void test_format(void)
{
	dp_keystore *ks, *back;
	CHECK(dp_keystore_generate(&ks) == DP_OK);
	CHECK(ks->nage == 1 && ks->epoch[0] == 0 && ks->age[0].type == DP_AGE_MLKEM768X25519);
	uint8_t pk[32], sk[64];
	crypto_sign_ed25519_seed_keypair(pk, sk, ks->tls_seed);
	CHECK(!memcmp(pk, ks->tls_pk, 32));
	CHECK(!memcmp(ks->sign_sk + 32, ks->sign_pk, 32));
	CHECK(memcmp(ks->sign_sk, ks->tls_seed, 32) != 0); /* independent seeds */

	dp_buf b;
	dp_buf_init(&b, DP_KEYSTORE_MAX);
	CHECK(dp_keystore_encode(ks, &b) == DP_OK);
	CHECK(b.len == 4 + 1 + 33 + 33 + 1 + 38);
	CHECK(dp_keystore_decode(&back, b.p, b.len) == DP_OK);
	CHECK(back && same_keys(ks, back));
	dp_keystore_free(back);

	/* every strict-format rejection, with its exact error */
	uint8_t t[256];
	memcpy(t, b.p, b.len);
	size_t n = b.len;
	for (size_t cut = 0; cut < n; cut++) {
		int r = dp_keystore_decode(&back, t, cut);
		CHECKF(r == DP_EPARSE, "truncated at %zu -> %d", cut, r);
		CHECK(back == NULL);
	}
	t[n] = 0;
	CHECK(dp_keystore_decode(&back, t, n + 1) == DP_EPARSE); /* trailing byte */
	t[0] = 'X';
	CHECK(dp_keystore_decode(&back, t, n) == DP_EPARSE); /* magic */
	memcpy(t, b.p, n);
	t[4] = 2;
	CHECK(dp_keystore_decode(&back, t, n) == DP_EUNSUPP); /* version */
	memcpy(t, b.p, n);
	t[5] = 9;
	CHECK(dp_keystore_decode(&back, t, n) == DP_EUNSUPP); /* signing key type */
	memcpy(t, b.p, n);
	t[38] = 9;
	CHECK(dp_keystore_decode(&back, t, n) == DP_EUNSUPP); /* TLS key type */
	memcpy(t, b.p, n);
	t[71] = 0;
	CHECK(dp_keystore_decode(&back, t, n) == DP_EPARSE); /* no age identity */
	memcpy(t, b.p, n);
	t[71] = DP_KEYSTORE_MAX_AGE + 1;
	CHECK(dp_keystore_decode(&back, t, n) == DP_EPARSE); /* too many */
	memcpy(t, b.p, n);
	CHECK(t[72] == DP_AGE_MLKEM768X25519);
	t[72] = DP_AGE_X25519;
	CHECK(dp_keystore_decode(&back, t, n) == DP_EUNSUPP); /* classic identity: cables are PQ only */
	t[72] = DP_AGE_SCRYPT;
	CHECK(dp_keystore_decode(&back, t, n) == DP_EUNSUPP); /* not an identity type at all */
	memcpy(t, b.p, n);
	t[77] = 31;
	CHECK(dp_keystore_decode(&back, t, n) == DP_EPARSE); /* key length */

	/* two epochs round trip; epochs must increase */
	dp_keystore *two;
	CHECK(dp_keystore_generate(&two) == DP_OK);
	memcpy(&ks->age[1], &two->age[0], sizeof two->age[0]);
	ks->epoch[1] = 5;
	ks->nage = 2;
	dp_buf_reset(&b);
	b.len = 0;
	CHECK(dp_keystore_encode(ks, &b) == DP_OK);
	CHECK(dp_keystore_decode(&back, b.p, b.len) == DP_OK);
	CHECK(back && same_keys(ks, back));
	dp_keystore_free(back);
	ks->epoch[1] = 0;
	dp_buf_reset(&b);
	b.len = 0;
	CHECK(dp_keystore_encode(ks, &b) == DP_OK);
	CHECK(dp_keystore_decode(&back, b.p, b.len) == DP_EPARSE); /* epoch 0 twice */
	ks->epoch[1] = 5;
	ks->age[1].type = DP_AGE_X25519;
	dp_buf_reset(&b);
	b.len = 0;
	CHECK(dp_keystore_encode(ks, &b) == DP_EUNSUPP); /* a classic identity is never stored */
	dp_keystore_free(two);
	dp_keystore_free(ks);
	dp_buf_free(&b);
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

	size_t fn;
	uint8_t *f = t_read_file(path, &fn);
	CHECK(f != NULL);
	if (f) {
		CHECK(!leaks(f, fn, ks));
		CHECK(contains(f, fn, "-----BEGIN AGE ENCRYPTED FILE-----", 34));
		dp_age_header_info hi;
		dp_buf bin;
		dp_buf_init(&bin, DP_KEYSTORE_MAX);
		CHECK(dp_age_dearmor(f, fn, &bin) == DP_OK);
		CHECK(dp_age_inspect(bin.p, bin.len, &hi) == DP_OK);
		CHECK(hi.nstanzas == 1 && hi.nscrypt == 1);
		CHECK(contains(bin.p, bin.len, "scrypt", 6) && contains(bin.p, bin.len, " 10\n", 4));
		CHECK(!leaks(bin.p, bin.len, ks));
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
		dp_age_recipient rc = {.type = DP_AGE_SCRYPT, .pass = pass, .passlen = strlen(pass), .logn = 10};
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
	test_logn();
	setenv("DENPO_SCRYPT_LOGN", "10", 1);
	test_file();
	rmdir(dir);
	return t_done("test_keystore");
}
