/*
 * test_encoding.c - base64 (RFC 4648 vectors, strictness), hex, Bech32
 * (BIP173 valid/invalid vectors, no length limit, case rules).
 */
#include <stdlib.h>
#include <string.h>

#include "denpo/crypto.h"
#include "denpo/encoding.h"
#include "tests/harness.h"

static const struct {
	const char *plain, *padded, *unpadded;
} rfc4648[] = {
	{"", "", ""},
	{"f", "Zg==", "Zg"},
	{"fo", "Zm8=", "Zm8"},
	{"foo", "Zm9v", "Zm9v"},
	{"foob", "Zm9vYg==", "Zm9vYg"},
	{"fooba", "Zm9vYmE=", "Zm9vYmE"},
	{"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

static int b64dec(const char *s, int padded, uint8_t *out, size_t cap, size_t *n)
{
	return dp_b64_decode(out, cap, n, s, strlen(s), padded);
}

static void test_b64_vectors(void)
{
	char enc[64];
	uint8_t dec[64];
	size_t n;
	for (size_t i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
		const char *p = rfc4648[i].plain;
		size_t pl = strlen(p);
		CHECK(dp_b64_enclen(pl, 1) == strlen(rfc4648[i].padded));
		CHECK(dp_b64_enclen(pl, 0) == strlen(rfc4648[i].unpadded));
		dp_b64_encode(enc, (const uint8_t *)p, pl, 1);
		CHECKF(strcmp(enc, rfc4648[i].padded) == 0, "%s", enc);
		dp_b64_encode(enc, (const uint8_t *)p, pl, 0);
		CHECKF(strcmp(enc, rfc4648[i].unpadded) == 0, "%s", enc);
		CHECK(b64dec(rfc4648[i].padded, 1, dec, sizeof dec, &n) == DP_OK && n == pl &&
		      memcmp(dec, p, pl) == 0);
		CHECK(b64dec(rfc4648[i].unpadded, 0, dec, sizeof dec, &n) == DP_OK && n == pl &&
		      memcmp(dec, p, pl) == 0);
		/* the other padding mode is refused whenever the forms differ */
		if (strcmp(rfc4648[i].padded, rfc4648[i].unpadded) != 0) {
			CHECK(b64dec(rfc4648[i].padded, 0, dec, sizeof dec, &n) == DP_EPARSE);
			CHECK(b64dec(rfc4648[i].unpadded, 1, dec, sizeof dec, &n) == DP_EPARSE);
		}
	}
}

static void test_b64_strict(void)
{
	uint8_t dec[64];
	size_t n;
	/* non-canonical trailing bits */
	CHECK(b64dec("Zh==", 1, dec, sizeof dec, &n) == DP_EPARSE);
	CHECK(b64dec("Zh", 0, dec, sizeof dec, &n) == DP_EPARSE);
	CHECK(b64dec("Zm9=", 1, dec, sizeof dec, &n) == DP_EPARSE);
	CHECK(b64dec("Zm9", 0, dec, sizeof dec, &n) == DP_EPARSE);
	CHECK(b64dec("Zm8", 0, dec, sizeof dec, &n) == DP_OK && n == 2);
	/* stray or misplaced '=' */
	CHECK(b64dec("Zg=", 1, dec, sizeof dec, &n) == DP_EPARSE);
	CHECK(b64dec("Zg=", 0, dec, sizeof dec, &n) == DP_EPARSE);
	CHECK(b64dec("Z=g=", 1, dec, sizeof dec, &n) == DP_EPARSE);
	CHECK(b64dec("=Zg=", 1, dec, sizeof dec, &n) == DP_EPARSE);
	CHECK(b64dec("Zm9v====", 1, dec, sizeof dec, &n) == DP_EPARSE);
	CHECK(b64dec("Zm9v=", 0, dec, sizeof dec, &n) == DP_EPARSE);
	CHECK(b64dec("====", 1, dec, sizeof dec, &n) == DP_EPARSE);
	CHECK(b64dec("Z===", 1, dec, sizeof dec, &n) == DP_EPARSE);
	CHECK(b64dec("Zm9vZ", 0, dec, sizeof dec, &n) == DP_EPARSE);
	/* whitespace and other alphabets */
	CHECK(b64dec("Zm9v\n", 0, dec, sizeof dec, &n) == DP_EPARSE);
	CHECK(b64dec("Zm 9v", 0, dec, sizeof dec, &n) == DP_EPARSE);
	CHECK(b64dec("-_-_", 0, dec, sizeof dec, &n) == DP_EPARSE);
	/* embedded NUL */
	CHECK(dp_b64_decode(dec, sizeof dec, &n, "Zm\0v", 4, 0) == DP_EPARSE);
	/* output cap */
	CHECK(b64dec("Zm9vYmFy", 0, dec, 5, &n) == DP_ETOOBIG);
	CHECK(b64dec("Zm9vYmFy", 0, dec, 6, &n) == DP_OK && n == 6);

	/* exactly the 64 alphabet characters decode, each to its index */
	const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	int accepted = 0, right = 0;
	for (int c = 0; c < 256; c++) {
		char s[5] = {(char)c, 'A', 'A', 'A', 0};
		if (dp_b64_decode(dec, sizeof dec, &n, s, 4, 0) == DP_OK) {
			accepted++;
			const char *pos = memchr(alpha, c, 64);
			if (pos && dec[0] >> 2 == pos - alpha)
				right++;
		}
	}
	CHECK(accepted == 64 && right == 64);

	/* random round trips in both modes */
	uint8_t raw[100], back[100];
	char enc[200];
	int ok = 1;
	for (size_t len = 0; len < sizeof raw; len++) {
		dp_random(raw, len);
		for (int pad = 0; pad < 2; pad++) {
			dp_b64_encode(enc, raw, len, pad);
			if (strlen(enc) != dp_b64_enclen(len, pad) ||
			    dp_b64_decode(back, sizeof back, &n, enc, strlen(enc), pad) != DP_OK ||
			    n != len || memcmp(raw, back, len) != 0)
				ok = 0;
		}
	}
	CHECK(ok);
}

static void test_hex(void)
{
	char enc[32];
	uint8_t dec[16];
	dp_hex_encode(enc, (const uint8_t *)"foobar", 6);
	CHECK(strcmp(enc, "666f6f626172") == 0);
	CHECK(dp_hex_decode(dec, 6, "666F6F626172", 12) == DP_OK && memcmp(dec, "foobar", 6) == 0);
	CHECK(dp_hex_decode(dec, 6, "666f6f626172", 12) == DP_OK && memcmp(dec, "foobar", 6) == 0);
	CHECK(dp_hex_decode(dec, 1, "0g", 2) == DP_EPARSE);
	CHECK(dp_hex_decode(dec, 1, "0", 1) == DP_EPARSE);
	CHECK(dp_hex_decode(dec, 1, "000", 3) == DP_EPARSE);
	CHECK(dp_hex_decode(dec, 1, " 0", 2) == DP_EPARSE);
	uint8_t all[256], back[256];
	char h[513];
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	dp_hex_encode(h, all, 256);
	CHECK(strlen(h) == 512 && dp_hex_decode(back, 256, h, 512) == DP_OK &&
	      memcmp(all, back, 256) == 0);
	/* exactly 22 characters are hex digits */
	int acc = 0;
	for (int c = 0; c < 256; c++) {
		char s[2] = {(char)c, '0'};
		if (dp_hex_decode(dec, 1, s, 2) == DP_OK)
			acc++;
	}
	CHECK(acc == 22);
}

/* BIP173 "valid checksum" test vectors. */
static const char *bip173_valid[] = {
	"A12UEL5L",
	"a12uel5l",
	"an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
	"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
	"11" "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq" "c8247j",
	"split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
	"?1ezyfcl",
};

/* BIP173 "invalid" test vectors (with their reason). */
static const struct {
	const char *s;
	size_t len;
} bip173_invalid[] = {
	{"\x20" "1nwldj5", 8},       /* HRP character out of range */
	{"\x7f" "1axkwrx", 8},       /* HRP character out of range */
	{"\x80" "1eym55h", 8},       /* HRP character out of range */
	{"pzry9x0s0muk", 12},        /* no separator */
	{"1pzry9x0s0muk", 13},       /* empty HRP */
	{"x1b4n0q5v", 9},            /* invalid data character */
	{"li1dgmt3", 8},             /* too short checksum */
	{"de1lg7wt\xff", 9},         /* invalid character in checksum */
	{"A1G7SGD8", 8},             /* checksum calculated with upper-case HRP */
	{"10a06t8", 7},              /* empty HRP */
	{"1qzzfhee", 8},             /* empty HRP */
	/* 84-character HRP (BIP173's "overall max length exceeded" case; we
	 * lift the 90-character limit but keep the 83-character HRP limit) */
	{"an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
	 91},
};

static void test_bech32(void)
{
	char hrp[100];
	dp_buf d, e;
	dp_buf_init(&d, 1 << 20);
	dp_buf_init(&e, 1 << 20);
	for (size_t i = 0; i < sizeof bip173_valid / sizeof bip173_valid[0]; i++) {
		const char *s = bip173_valid[i];
		dp_buf_reset(&d);
		int r = dp_bech32_decode(hrp, sizeof hrp, &d, s, strlen(s));
		CHECKF(r == DP_OK, "valid vector %s: %d", s, r);
		if (r)
			continue;
		/* re-encoding in the input's case gives the input back */
		int up = s[0] >= 'A' && s[0] <= 'Z';
		dp_buf_reset(&e);
		CHECK(dp_bech32_encode(&e, hrp, d.p, d.len, up) == DP_OK);
		CHECKF(e.len == strlen(s) && memcmp(e.p, s, e.len) == 0, "re-encode %s -> %.*s", s,
		       (int)e.len, (const char *)e.p);
	}
	for (size_t i = 0; i < sizeof bip173_invalid / sizeof bip173_invalid[0]; i++) {
		dp_buf_reset(&d);
		CHECKF(dp_bech32_decode(hrp, sizeof hrp, &d, bip173_invalid[i].s, bip173_invalid[i].len) ==
			       DP_EPARSE,
		       "invalid vector %zu accepted", i);
		CHECK(d.len == 0);
	}
	/* decoded bytes of two vectors (5-to-8 bit conversion) */
	{
		uint8_t want[30];
		dp_buf_reset(&d);
		CHECK(dp_hex_decode(want, 20, "00443214c74254b635cf84653a56d7c675be77df", 40) == DP_OK);
		CHECK(dp_bech32_decode(hrp, sizeof hrp, &d, bip173_valid[3], strlen(bip173_valid[3])) ==
			      DP_OK &&
		      d.len == 20 && memcmp(d.p, want, 20) == 0 && strcmp(hrp, "abcdef") == 0);
		dp_buf_reset(&d);
		CHECK(dp_hex_decode(want, 30, "c5f38b70305f519bf66d85fb6cf03058f3dde463ecd7918f2dc743918f2d",
				    60) == DP_OK);
		CHECK(dp_bech32_decode(hrp, sizeof hrp, &d, bip173_valid[5], strlen(bip173_valid[5])) ==
			      DP_OK &&
		      d.len == 30 && memcmp(d.p, want, 30) == 0 && strcmp(hrp, "split") == 0);
		dp_buf_reset(&d);
		CHECK(dp_bech32_decode(hrp, sizeof hrp, &d, bip173_valid[4], strlen(bip173_valid[4])) ==
			      DP_OK &&
		      d.len == 51 && strcmp(hrp, "1") == 0);
	}
	/* mixed case */
	CHECK(dp_bech32_decode(hrp, sizeof hrp, &d, "A12uEL5L", 8) == DP_EPARSE);
	/* the HRP comes back lower case */
	dp_buf_reset(&d);
	CHECK(dp_bech32_decode(hrp, sizeof hrp, &d, "A12UEL5L", 8) == DP_OK && strcmp(hrp, "a") == 0);

	/* no length limit: 2000 bytes round trip, both cases */
	uint8_t big[2000];
	dp_random(big, sizeof big);
	for (int up = 0; up < 2; up++) {
		dp_buf_reset(&e);
		dp_buf_reset(&d);
		CHECK(dp_bech32_encode(&e, "age1pq", big, sizeof big, up) == DP_OK);
		CHECK(e.len == 6 + 1 + (sizeof big * 8 + 4) / 5 + 6);
		CHECK(dp_bech32_decode(hrp, sizeof hrp, &d, (const char *)e.p, e.len) == DP_OK &&
		      strcmp(hrp, "age1pq") == 0 && d.len == sizeof big && memcmp(d.p, big, d.len) == 0);
		/* any single-character change is caught by the checksum */
		size_t at = e.len / 2;
		e.p[at] = e.p[at] == (up ? 'Q' : 'q') ? (uint8_t)(up ? 'P' : 'p') : (uint8_t)(up ? 'Q' : 'q');
		dp_buf_reset(&d);
		CHECK(dp_bech32_decode(hrp, sizeof hrp, &d, (const char *)e.p, e.len) == DP_EPARSE);
	}
	/* all lengths 0..40 round trip */
	int ok = 1;
	for (size_t len = 0; len <= 40; len++) {
		dp_buf_reset(&e);
		dp_buf_reset(&d);
		if (dp_bech32_encode(&e, "age", big, len, 0) ||
		    dp_bech32_decode(hrp, sizeof hrp, &d, (const char *)e.p, e.len) || d.len != len ||
		    memcmp(d.p, big, len) != 0)
			ok = 0;
	}
	CHECK(ok);

	/* 5-to-8 conversion padding (strings checksummed with an independent
	 * Python implementation of the BIP173 polymod): */
	dp_buf_reset(&d);
	CHECK(dp_bech32_decode(hrp, sizeof hrp, &d, "a1qqqd87cq", 10) == DP_OK && d.len == 1 &&
	      d.p[0] == 0); /* 10 bits: one byte and 2 zero bits */
	dp_buf_reset(&d);
	CHECK(dp_bech32_decode(hrp, sizeof hrp, &d, "a1qpamnt9j", 10) == DP_EPARSE); /* non-zero pad bits */
	dp_buf_reset(&d);
	CHECK(dp_bech32_decode(hrp, sizeof hrp, &d, "a1lmyple6", 9) == DP_EPARSE); /* 5 pad bits */
	dp_buf_reset(&e);
	dp_buf_reset(&d);
	/* HRP cap too small */
	CHECK(dp_bech32_decode(hrp, 3, &d, "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", 45) ==
	      DP_ETOOBIG);
	/* data buffer cap */
	dp_buf small;
	dp_buf_init(&small, 10);
	CHECK(dp_bech32_decode(hrp, sizeof hrp, &small, "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
			       45) == DP_ETOOBIG);
	dp_buf_free(&small);
	dp_buf_free(&d);
	dp_buf_free(&e);
}

/*
 * Regression: dp_bech32_encode sized its output as (n * 8 + 4) / 5, which
 * wraps for n > SIZE_MAX / 8 and under-sized the buffer it then wrote n
 * bytes' worth of characters into.  Such a length is refused before data
 * is read (data points at one byte here).
 */
static void test_bech32_size_wrap(void)
{
	dp_buf e;
	dp_buf_init(&e, SIZE_MAX);
	const uint8_t one[1] = {0};
	CHECK(dp_bech32_encode(&e, "age", one, SIZE_MAX / 8 + 1, 0) == DP_ETOOBIG);
	CHECK(dp_bech32_encode(&e, "age", one, SIZE_MAX / 4, 0) == DP_ETOOBIG);
	CHECK(e.len == 0);
	dp_buf_free(&e);
}

/*
 * dp_buf_printf: a text that fits the room already allocated, one that
 * does not (the buffer grows, what was there kept), one past the cap
 * (DP_ETOOBIG, len and the NUL after it as they were, also when the
 * refused text was first written into the room), then the buffer reused.
 */
static void test_buf_printf(void)
{
	dp_buf b;
	dp_buf_init(&b, 100);
	CHECK(dp_buf_printf(&b, "%s-%d", "ab", 12) == DP_OK && b.len == 5 &&
	      memcmp(b.p, "ab-12", 6) == 0);
	size_t a0 = b.alloc; /* 64: the first allocation */
	CHECK(dp_buf_printf(&b, "%d", 345) == DP_OK && b.len == 8 && b.alloc == a0 &&
	      memcmp(b.p, "ab-12345", 9) == 0);
	char big[81];
	memset(big, 'x', 80);
	big[80] = 0;
	CHECK(dp_buf_printf(&b, "[%s]", big) == DP_OK && b.len == 90 && b.alloc > a0 &&
	      memcmp(b.p, "ab-12345[x", 10) == 0 && b.p[89] == ']' && b.p[90] == 0);
	/* 11 more would pass the cap of 100: refused, nothing changed */
	CHECK(dp_buf_printf(&b, "%s", "0123456789a") == DP_ETOOBIG && b.len == 90 && b.p[90] == 0);
	CHECK(dp_buf_printf(&b, "%s", "0123456789") == DP_OK && b.len == 100 && b.p[100] == 0);
	CHECK(dp_buf_printf(&b, "%s", "") == DP_OK && b.len == 100);
	CHECK(dp_buf_printf(&b, "%c", 'z') == DP_ETOOBIG && b.len == 100 && b.p[100] == 0);
	/* reused: reset keeps the allocation, and a text that fits goes into it */
	dp_buf_reset(&b);
	size_t a1 = b.alloc;
	CHECK(dp_buf_printf(&b, "%05u|%s", 42u, "ok") == DP_OK && b.len == 8 && b.alloc == a1 &&
	      strcmp((char *)b.p, "00042|ok") == 0);
	dp_buf_free(&b);
	/* a cap smaller than the first allocation: the room is larger than the cap allows */
	dp_buf_init(&b, 4);
	CHECK(dp_buf_printf(&b, "%s", "abc") == DP_OK && b.len == 3);
	CHECK(dp_buf_printf(&b, "%s", "de") == DP_ETOOBIG && b.len == 3 && strcmp((char *)b.p, "abc") == 0);
	CHECK(dp_buf_printf(&b, "%s", "d") == DP_OK && strcmp((char *)b.p, "abcd") == 0);
	dp_buf_free(&b);
}

int main(void)
{
	if (dp_crypto_init())
		return 1;
	test_b64_vectors();
	test_b64_strict();
	test_hex();
	test_bech32();
	test_bech32_size_wrap();
	test_buf_printf();
	return t_done("test_encoding");
}
