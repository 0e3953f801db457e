/*
 * fingerprint.c - the enrolment request's fingerprint and the reading of a
 * typed one (denpo/fingerprint.h).
 */
#include <string.h>

#include "denpo/enrol.h"
#include "denpo/fingerprint.h"
#include "denpo/sha3.h"

#define FP_CTX "denpo-enrol-fingerprint-v1"

int dp_enrol_fingerprint(const uint8_t *p, size_t n, char out[DP_FP_STR])
{
	out[0] = 0;
	dp_enrol_request q;
	int r = dp_enrol_request_decode(&q, p, n);
	if (r)
		return r; /* only a request that can be approved has a fingerprint */
	uint8_t h[DP_FP_GROUPS * 5];
	dp_sha3_ctx c;
	dp_shake256_init(&c);
	dp_sha3_absorb(&c, FP_CTX, sizeof FP_CTX); /* the NUL ends the context */
	dp_sha3_absorb(&c, p, n);
	dp_shake_squeeze(&c, h, sizeof h);
	dp_sha3_wipe(&c);
	char *o = out;
	for (int i = 0; i < DP_FP_GROUPS; i++) {
		uint64_t v = 0;
		for (int j = 0; j < 5; j++)
			v = v << 8 | h[5 * i + j];
		v %= 100000;
		for (int d = DP_FP_GROUP_DIGITS - 1; d >= 0; d--, v /= 10)
			o[d] = (char)('0' + v % 10);
		o += DP_FP_GROUP_DIGITS;
		*o++ = i + 1 < DP_FP_GROUPS ? ' ' : 0;
	}
	return DP_OK;
}

int dp_fp_parse(const char *s, char digits[DP_FP_DIGITS + 1])
{
	size_t n = strnlen(s, DP_FP_INPUT_MAX + 1), k = 0;
	digits[0] = 0;
	if (n > DP_FP_INPUT_MAX)
		return DP_ETOOBIG;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ' || s[i] == '-')
			continue; /* how people group digits when they type them */
		if (s[i] < '0' || s[i] > '9' || k == DP_FP_DIGITS) {
			digits[0] = 0;
			return DP_EPARSE; /* not a digit, or too many of them */
		}
		digits[k++] = s[i];
	}
	digits[k] = 0;
	if (k != DP_FP_DIGITS) {
		digits[0] = 0;
		return DP_EPARSE; /* too few digits: a group was left out */
	}
	return DP_OK;
}

int dp_fp_matches(const char shown[DP_FP_STR], const char *typed)
{
	char a[DP_FP_DIGITS + 1], b[DP_FP_DIGITS + 1];
	/* fingerprints are public: a plain comparison leaks nothing */
	return dp_fp_parse(shown, a) == DP_OK && dp_fp_parse(typed, b) == DP_OK &&
	       memcmp(a, b, DP_FP_DIGITS) == 0;
}
