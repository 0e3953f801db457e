/*
 * test_sha3.c - FIPS 202 known answers (the NIST example values for the
 * empty string, "abc" and the 1600-bit message of 200 bytes 0xa3), long
 * SHAKE outputs across many blocks, incremental absorb/squeeze against the
 * one-shot forms at every split point, and a differential run against
 * OpenSSL's SHA-3 for every message length 0..600.
 */
#include <string.h>

#include <openssl/evp.h>

#include "denpo/encoding.h"
#include "denpo/sha3.h"
#include "tests/harness.h"

static int hex_is(const uint8_t *got, size_t n, const char *want)
{
	uint8_t w[512];
	if (strlen(want) != 2 * n || n > sizeof w || dp_hex_decode(w, n, want, 2 * n))
		return 0;
	return memcmp(got, w, n) == 0;
}

static const uint8_t *msg_a3(void)
{
	static uint8_t m[200];
	memset(m, 0xa3, sizeof m);
	return m;
}

static void known_answers(void)
{
	uint8_t h[64], x[512];

	dp_sha3_256(h, "", 0);
	CHECK(hex_is(h, 32, "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"));
	dp_sha3_256(h, "abc", 3);
	CHECK(hex_is(h, 32, "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"));
	dp_sha3_256(h, msg_a3(), 200);
	CHECK(hex_is(h, 32, "79f38adec5c20307a98ef76e8324afbfd46cfd81b22e3973c65fa1bd9de31787"));
	dp_sha3_256(h, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56);
	CHECK(hex_is(h, 32, "41c0dba2a9d6240849100376a8235e2c82e1b9998a999e21db32dd97496d3376"));

	dp_sha3_512(h, "", 0);
	CHECK(hex_is(h, 64, "a69f73cca23a9ac5c8b567dc185a756e97c982164fe25859e0d1dcc1475c80a6"
			    "15b2123af1f5f94c11e3e9402c3ac558f500199d95b6d3e301758586281dcd26"));
	dp_sha3_512(h, "abc", 3);
	CHECK(hex_is(h, 64, "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e"
			    "10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0"));
	dp_sha3_512(h, msg_a3(), 200);
	CHECK(hex_is(h, 64, "e76dfad22084a8b1467fcf2ffa58361bec7628edf5f3fdc0e4805dc48caeeca8"
			    "1b7c13c30adf52a3659584739a2df46be589c51ca1a4a8416df6545a1ce8ba00"));

	dp_shake128(x, 32, "", 0);
	CHECK(hex_is(x, 32, "7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26"));
	dp_shake256(x, 64, "", 0);
	CHECK(hex_is(x, 64, "46b9dd2b0ba88d13233b3feb743eeb243fcd52ea62b81b82b50c27646ed5762f"
			    "d75dc4ddd8c0f200cb05019d67b592f6fc821c49479ab48640292eacb3b7c4be"));
	/* NIST examples: 4096 output bits of the 1600-bit message; first and last 32 bytes */
	dp_shake128(x, 512, msg_a3(), 200);
	CHECK(hex_is(x, 32, "131ab8d2b594946b9c81333f9bb6e0ce75c3b93104fa3469d3917457385da037"));
	CHECK(hex_is(x + 480, 32, "44c9fb359fd56ac0a9a75a743cff6862f17d7259ab075216c0699511643b6439"));
	dp_shake256(x, 512, msg_a3(), 200);
	CHECK(hex_is(x, 32, "cd8a920ed141aa0407a22d59288652e9d9f1a7ee0c1e7c1ca699424da84a904d"));
	CHECK(hex_is(x + 480, 32, "6a1a9d7846436e4dca5728b6f760eef0ca92bf0be5615e96959d767197a0beeb"));
}

typedef void (*init_fn)(dp_sha3_ctx *);

/* Absorb split at every point (one and two cuts) and squeeze in every chunk size. */
static void incremental(const char *name, init_fn init, size_t outlen)
{
	uint8_t m[500], want[600], got[600];
	for (size_t i = 0; i < sizeof m; i++)
		m[i] = (uint8_t)(i * 7 + 1);
	dp_sha3_ctx c;
	init(&c);
	dp_sha3_absorb(&c, m, sizeof m);
	dp_shake_squeeze(&c, want, outlen);

	int bad = 0;
	for (size_t cut = 0; cut <= sizeof m; cut++) {
		init(&c);
		dp_sha3_absorb(&c, m, cut);
		dp_sha3_absorb(&c, m + cut, sizeof m - cut);
		dp_shake_squeeze(&c, got, outlen);
		bad += memcmp(got, want, outlen) != 0;
		/* three pieces: a cut, then a few bytes, then the rest */
		size_t b = cut + 13 < sizeof m ? cut + 13 : sizeof m;
		init(&c);
		dp_sha3_absorb(&c, m, cut);
		dp_sha3_absorb(&c, m + cut, b - cut);
		dp_sha3_absorb(&c, m + b, sizeof m - b);
		dp_shake_squeeze(&c, got, outlen);
		bad += memcmp(got, want, outlen) != 0;
	}
	CHECKF(bad == 0, "%s: %d absorb splits differ", name, bad);

	bad = 0;
	for (size_t chunk = 1; chunk <= outlen; chunk++) {
		init(&c);
		dp_sha3_absorb(&c, m, sizeof m);
		for (size_t o = 0; o < outlen; o += chunk)
			dp_shake_squeeze(&c, got + o, outlen - o < chunk ? outlen - o : chunk);
		bad += memcmp(got, want, outlen) != 0;
	}
	CHECKF(bad == 0, "%s: %d squeeze chunkings differ", name, bad);
	/* absorbing after output began is ignored (documented contract) */
	init(&c);
	dp_sha3_absorb(&c, m, sizeof m);
	dp_shake_squeeze(&c, got, 10);
	dp_sha3_absorb(&c, m, 5);
	dp_shake_squeeze(&c, got + 10, outlen - 10);
	CHECK(memcmp(got, want, outlen) == 0);
}

static void against_openssl(void)
{
	uint8_t m[600], a[300], b[300];
	for (size_t i = 0; i < sizeof m; i++)
		m[i] = (uint8_t)(i * 131 + 17);
	const struct {
		const char *name;
		const EVP_MD *md;
		size_t out;
		int xof;
	} fs[] = {
		{"SHA3-256", EVP_sha3_256(), 32, 0},
		{"SHA3-512", EVP_sha3_512(), 64, 0},
		{"SHAKE128", EVP_shake128(), 300, 1},
		{"SHAKE256", EVP_shake256(), 300, 1},
	};
	for (size_t f = 0; f < sizeof fs / sizeof fs[0]; f++) {
		int bad = 0;
		for (size_t n = 0; n <= sizeof m; n++) {
			EVP_MD_CTX *x = EVP_MD_CTX_new();
			unsigned int l = 0;
			int ok = x && EVP_DigestInit_ex(x, fs[f].md, NULL) && EVP_DigestUpdate(x, m, n) &&
				 (fs[f].xof ? EVP_DigestFinalXOF(x, a, fs[f].out)
					    : EVP_DigestFinal_ex(x, a, &l));
			EVP_MD_CTX_free(x);
			if (!ok) {
				bad++;
				continue;
			}
			switch (f) {
			case 0: dp_sha3_256(b, m, n); break;
			case 1: dp_sha3_512(b, m, n); break;
			case 2: dp_shake128(b, fs[f].out, m, n); break;
			default: dp_shake256(b, fs[f].out, m, n); break;
			}
			bad += memcmp(a, b, fs[f].out) != 0;
		}
		CHECKF(bad == 0, "%s: %d lengths differ from OpenSSL", fs[f].name, bad);
	}
}

int main(void)
{
	known_answers();
	incremental("SHA3-256", dp_sha3_256_init, 32);
	incremental("SHA3-512", dp_sha3_512_init, 64);
	incremental("SHAKE128", dp_shake128_init, 400);
	incremental("SHAKE256", dp_shake256_init, 400);
	against_openssl();
	return t_done("test_sha3");
}
