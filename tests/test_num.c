/*
 * tests/test_num.c - the one reader of numbers (denpo/num.h): each edge of
 * its form (the table of the header) with its exact answer; every accepted
 * text is the printf spelling of its value; the fixed-width fields of dates.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "denpo/num.h"
#include "tests/harness.h"

/* dp_num_u64 over the bytes v[0..n) (n may count a NUL) in [min, max]: its code, *out on success. */
static int num(const char *v, size_t n, uint64_t min, uint64_t max, uint64_t *out)
{
	*out = 12345; /* untouched on failure */
	return dp_num_u64(out, v, n, min, max);
}

static void accepts(const char *s, uint64_t want)
{
	uint64_t v;
	int r = num(s, strlen(s), 0, UINT64_MAX, &v);
	CHECKF(r == DP_OK && v == want, "\"%s\" -> %d, %" PRIu64, s, r, v);
	r = dp_num_str(&v, s, 0, UINT64_MAX);
	CHECKF(r == DP_OK && v == want, "str \"%s\" -> %d", s, r);
}

static void refuses(const char *s, size_t n, const char *why)
{
	uint64_t v;
	int r = num(s, n, 0, UINT64_MAX, &v);
	CHECKF(r == DP_EPARSE && v == 12345, "%s: -> %d, %" PRIu64, why, r, v);
}

int main(void)
{
	uint64_t v;
	accepts("0", 0);
	accepts("1", 1);
	accepts("10", 10);
	accepts("9223372036854775807", INT64_MAX);
	accepts("9223372036854775808", (uint64_t)INT64_MAX + 1);
	accepts("18446744073709551615", UINT64_MAX); /* max */

	refuses("18446744073709551616", 20, "max + 1 (2^64)");
	refuses("18446744073709551620", 20, "2^64 + 4");
	refuses("99999999999999999999", 20, "20 nines");
	refuses("99999999999999999999999", 23, "23 digits");
	refuses("100000000000000000000", 21, "21 digits");
	refuses("", 0, "empty");
	refuses("00", 2, "leading zero");
	refuses("007", 3, "leading zero");
	refuses("018446744073709551615", 21, "leading zero before max");
	refuses("+1", 2, "a plus sign");
	refuses("-0", 2, "a minus sign on 0");
	refuses("-1", 2, "a minus sign");
	refuses(" 1", 2, "a leading space");
	refuses("1 ", 2, "a trailing space");
	refuses("\t1", 2, "a tab");
	refuses("1\n", 2, "a newline");
	refuses("0x10", 4, "hex");
	refuses("1e3", 3, "exponent");
	refuses("1.0", 3, "a decimal point");
	refuses("1_000", 5, "a separator");
	refuses("1x", 2, "trailing bytes");
	refuses("1\0", 2, "an embedded NUL at the end");
	refuses("1\0002", 3, "an embedded NUL inside");
	refuses("\0001", 2, "a leading NUL");
	refuses("\xd9\xa1", 2, "an Arabic-Indic digit");

	/* the range: DP_ETOOBIG outside [min, max], at both ends exact */
	CHECK(num("0", 1, 1, 1000, &v) == DP_ETOOBIG && v == 12345);
	CHECK(num("1", 1, 1, 1000, &v) == DP_OK && v == 1);
	CHECK(num("1000", 4, 1, 1000, &v) == DP_OK && v == 1000);
	CHECK(num("1001", 4, 1, 1000, &v) == DP_ETOOBIG && v == 12345);
	CHECK(num("60", 2, 0, 60, &v) == DP_OK && v == 60);
	CHECK(num("61", 2, 0, 60, &v) == DP_ETOOBIG);
	CHECK(num("9223372036854775808", 19, 0, INT64_MAX, &v) == DP_ETOOBIG);
	/* malformed stays malformed, whatever the range */
	CHECK(num("1x", 2, 0, 1, &v) == DP_EPARSE);
	CHECK(num("18446744073709551616", 20, 0, 60, &v) == DP_EPARSE);

	/* a C string: its end is the first NUL, and a long one is refused without reading it all */
	CHECK(dp_num_str(&v, "1x", 0, 9) == DP_EPARSE);
	CHECK(dp_num_str(&v, "", 0, 9) == DP_EPARSE);
	CHECK(dp_num_str(&v, "42", 0, 41) == DP_ETOOBIG);
	char big[4096];
	memset(big, '1', sizeof big - 1);
	big[sizeof big - 1] = 0;
	CHECK(dp_num_str(&v, big, 0, UINT64_MAX) == DP_EPARSE);

	/* every value near the edges spells itself back */
	static const uint64_t edges[] = {0, 1, 9, 10, 99, 100, 65535, 65536, UINT32_MAX,
					 (uint64_t)UINT32_MAX + 1, INT64_MAX, UINT64_MAX - 1, UINT64_MAX};
	for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
		char s[32];
		snprintf(s, sizeof s, "%" PRIu64, edges[i]);
		CHECKF(dp_num_str(&v, s, 0, UINT64_MAX) == DP_OK && v == edges[i], "%s", s);
	}

	/* fixed-width fields: leading zeros are part of the form, nothing else is */
	CHECK(dp_num_fixed(&v, "2026", 4) == DP_OK && v == 2026);
	CHECK(dp_num_fixed(&v, "02", 2) == DP_OK && v == 2);
	CHECK(dp_num_fixed(&v, "00", 2) == DP_OK && v == 0);
	CHECK(dp_num_fixed(&v, "9999999999999999999", 19) == DP_OK && v == 9999999999999999999ULL);
	v = 7;
	CHECK(dp_num_fixed(&v, "+1", 2) == DP_EPARSE && v == 7);
	CHECK(dp_num_fixed(&v, " 1", 2) == DP_EPARSE);
	CHECK(dp_num_fixed(&v, "1\0", 2) == DP_EPARSE);
	CHECK(dp_num_fixed(&v, "", 0) == DP_EPARSE);
	CHECK(dp_num_fixed(&v, "12345678901234567890", 20) == DP_EPARSE); /* may not fit */
	return t_done("test_num");
}
