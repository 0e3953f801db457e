/*
 * fuzz_num - the one reader of numbers (denpo/num.h) on arbitrary bytes.
 * A number has one spelling: dp_num_u64 accepts exactly the inputs that
 * printf("%llu") gives for some 64-bit value (judged here independently,
 * digit by digit against 2^64 - 1), and the value it reads spells the input
 * back.  Its range is exact at both ends; dp_num_str agrees with it up to
 * the first NUL; dp_num_fixed accepts exactly 1..19 digits.
 */
#include <stdio.h>
#include <string.h>

#include "denpo/num.h"
#include "fuzz/fuzz.h"

/* Whether v[0..n) is the printf spelling of a uint64_t, without converting it. */
static int canonical(const uint8_t *v, size_t n)
{
	static const char max[] = "18446744073709551615";
	if (n == 0 || n > 20 || (n > 1 && v[0] == '0'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return 0;
	return n < 20 || memcmp(v, max, 20) <= 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	uint64_t x = 7, y;
	int r = dp_num_u64(&x, s, size, 0, UINT64_MAX);
	if ((r == DP_OK) != canonical(data, size) || (r && (r != DP_EPARSE || x != 7)))
		__builtin_trap(); /* accepted exactly the one spelling; refused = parse, nothing written */
	if (r == DP_OK) {
		char back[32];
		int n = snprintf(back, sizeof back, "%llu", (unsigned long long)x);
		if ((size_t)n != size || memcmp(back, s, size))
			__builtin_trap(); /* the value spells the input back */
		if (dp_num_u64(&y, s, size, x, x) || y != x ||
		    (x < UINT64_MAX && dp_num_u64(&y, s, size, x + 1, UINT64_MAX) != DP_ETOOBIG) ||
		    (x > 0 && dp_num_u64(&y, s, size, 0, x - 1) != DP_ETOOBIG))
			__builtin_trap(); /* the range is exact at both ends */
	}
	/* the C string of the input: up to its first NUL */
	char str[64];
	size_t sl = size < sizeof str - 1 ? size : sizeof str - 1;
	memcpy(str, s, sl);
	str[sl] = 0;
	size_t cl = strlen(str);
	int rs = dp_num_str(&y, str, 0, UINT64_MAX);
	if (rs != dp_num_u64(&x, str, cl, 0, UINT64_MAX) || (!rs && x != y))
		__builtin_trap();
	/* fixed width: digits only, 1..19 of them */
	int all = size >= 1 && size <= 19;
	for (size_t i = 0; all && i < size; i++)
		all = data[i] >= '0' && data[i] <= '9';
	if ((dp_num_fixed(&x, s, size) == DP_OK) != all)
		__builtin_trap();
	return 0;
}
