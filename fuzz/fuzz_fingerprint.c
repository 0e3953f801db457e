/*
 * fuzz_fingerprint - the two readers of denpo/fingerprint.h on arbitrary
 * bytes.  dp_fp_parse (what an operator typed after --expect) accepts
 * exactly 40 digits among spaces and dashes and yields them; a request that
 * has a fingerprint yields 8 groups of 5 digits that read back as a match
 * of themselves and of their bare digits.
 */
#include <string.h>

#include "denpo/fingerprint.h"
#include "fuzz/fuzz.h"

static int is_digits(const char *d)
{
	for (int i = 0; i < DP_FP_DIGITS; i++)
		if (d[i] < '0' || d[i] > '9')
			return 0;
	return d[DP_FP_DIGITS] == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[DP_FP_INPUT_MAX + 2], digits[DP_FP_DIGITS + 1];
	size_t n = size < sizeof s - 1 ? size : sizeof s - 1;
	memcpy(s, data, n);
	s[n] = 0;
	int r = dp_fp_parse(s, digits);
	if (r == DP_OK) {
		if (!is_digits(digits))
			__builtin_trap();
		for (size_t i = 0; s[i]; i++)
			if (s[i] != ' ' && s[i] != '-' && (s[i] < '0' || s[i] > '9'))
				__builtin_trap(); /* accepted a character it should not */
	} else if ((r != DP_EPARSE && r != DP_ETOOBIG) || digits[0] != 0) {
		__builtin_trap();
	}

	char fp[DP_FP_STR];
	if (dp_enrol_fingerprint(data, size, fp) == DP_OK) {
		if (strlen(fp) != DP_FP_STR - 1 || dp_fp_parse(fp, digits) != DP_OK ||
		    !dp_fp_matches(fp, fp) || !dp_fp_matches(fp, digits))
			__builtin_trap();
		for (int i = 0; i < DP_FP_GROUPS - 1; i++)
			if (fp[(i + 1) * (DP_FP_GROUP_DIGITS + 1) - 1] != ' ')
				__builtin_trap(); /* groups of 5 separated by one space */
	} else if (fp[0] != 0) {
		__builtin_trap();
	}
	return 0;
}
