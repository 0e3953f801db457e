/*
 * fuzz_mrn - the MRN parser (dp_mrn_parse, dp_mrn_ok, dp_mrn_cmp in
 * lib/vocab.c) on arbitrary bytes.  An MRN has one spelling: whatever
 * parses is formatted back byte for byte by dp_mrn_format; what does not
 * parse leaves the outputs alone.  The serial's rule is judged here apart,
 * digit by digit (six with leading zeros, or 7..15 without one, never 0).
 * dp_mrn_cmp is an order: antisymmetric, and the serial's number order
 * within one post and year.
 */
#include <stdio.h>
#include <string.h>

#include "denpo/cable.h"
#include "fuzz/fuzz.h"

/* The serial field's rule alone, on the bytes after the last space. */
static int serial_ok(const char *s)
{
	const char *sp = strrchr(s, ' ');
	if (!sp)
		return 0;
	const char *v = sp + 1;
	size_t n = strlen(v), zeros = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 0;
		zeros += v[i] == '0';
	}
	if (n == 6)
		return zeros < 6;
	return n >= 7 && n <= 15 && v[0] != '0';
}

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[2 * DP_MRN_MAX + 2];
	size_t n = size < sizeof s - 1 ? size : sizeof s - 1;
	memcpy(s, data, n);
	s[n] = 0;
	int yy = -7;
	char post[DP_NAME_MAX + 1] = "unset";
	uint64_t serial = 7;
	int r = dp_mrn_parse(s, &yy, post, &serial);
	if (r != DP_OK && r != DP_EPARSE)
		__builtin_trap();
	if ((r == DP_OK) != dp_mrn_ok(s))
		__builtin_trap();
	if (r) {
		if (yy != -7 || strcmp(post, "unset") || serial != 7)
			__builtin_trap(); /* refused: nothing written */
	} else {
		char back[DP_MRN_MAX + 1];
		if (!serial_ok(s) || yy < 0 || yy > 99 || !dp_name_ok(post) || serial < 1 ||
		    serial > DP_MRN_SERIAL_MAX || strlen(s) > DP_MRN_MAX)
			__builtin_trap();
		if (dp_mrn_format(back, 2000 + yy, post, serial) || strcmp(back, s))
			__builtin_trap(); /* one spelling: the parts give the input back */
		if (dp_mrn_cmp(s, s))
			__builtin_trap();
		/* the next serial of the same post and year sorts after it */
		if (serial < DP_MRN_SERIAL_MAX && (dp_mrn_format(back, 2000 + yy, post, serial + 1) ||
						   dp_mrn_cmp(s, back) >= 0 || dp_mrn_cmp(back, s) <= 0))
			__builtin_trap();
	}
	/* the input cut in two at its first newline: an order between any two strings */
	char *nl = strchr(s, '\n');
	if (nl) {
		*nl = 0;
		const char *a = s, *b = nl + 1;
		if (sign(dp_mrn_cmp(a, b)) != -sign(dp_mrn_cmp(b, a)))
			__builtin_trap();
		int ya, yb;
		char pa[DP_NAME_MAX + 1], pb[DP_NAME_MAX + 1];
		uint64_t sa, sb;
		if (!dp_mrn_parse(a, &ya, pa, &sa) && !dp_mrn_parse(b, &yb, pb, &sb) && ya == yb &&
		    !strcmp(pa, pb) && sign(dp_mrn_cmp(a, b)) != (sa > sb) - (sa < sb))
			__builtin_trap(); /* one post and year: the serial's number order */
	}
	return 0;
}
