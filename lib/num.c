/*
 * lib/num.c - decimal numbers from outside, one spelling each (denpo/num.h).
 */
#include <string.h>

#include "denpo/num.h"

int dp_num_u64(uint64_t *out, const char *v, size_t vn, uint64_t min, uint64_t max)
{
	if (vn == 0 || vn > DP_NUM_DIGITS_MAX || (vn > 1 && v[0] == '0'))
		return DP_EPARSE; /* empty, longer than 2^64 - 1 can be, or a leading zero */
	uint64_t x = 0;
	for (size_t i = 0; i < vn; i++) {
		if (v[i] < '0' || v[i] > '9')
			return DP_EPARSE; /* a sign, a space, a NUL, another base, trailing bytes */
		unsigned d = (unsigned)(v[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return DP_EPARSE; /* over 2^64 - 1 */
		x = x * 10 + d;
	}
	if (x < min || x > max)
		return DP_ETOOBIG;
	*out = x;
	return DP_OK;
}

int dp_num_str(uint64_t *out, const char *s, uint64_t min, uint64_t max)
{
	/* no strlen: a string of a million digits is refused after 21 bytes */
	return dp_num_u64(out, s, strnlen(s, DP_NUM_DIGITS_MAX + 1), min, max);
}

int dp_num_fixed(uint64_t *out, const char *v, size_t n)
{
	if (n == 0 || n >= DP_NUM_DIGITS_MAX)
		return DP_EPARSE; /* 19 digits always fit in 64 bits */
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return DP_EPARSE;
		x = x * 10 + (unsigned)(v[i] - '0');
	}
	*out = x;
	return DP_OK;
}
