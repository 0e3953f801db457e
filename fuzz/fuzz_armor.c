/*
 * fuzz_armor.c - dp_age_dearmor on arbitrary bytes; whatever decodes must
 * re-armor to a canonical form that dearmors to the same bytes and re-armors
 * identically (armor(dearmor(armor(x))) == armor(x)).  Also armor(input)
 * must always dearmor back to the input.
 */
#include <stdlib.h>
#include <string.h>

#include "denpo/age.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const uint8_t *bin, size_t n)
{
	dp_buf a, b, c;
	dp_buf_init(&a, 4 * n + 4096);
	dp_buf_init(&b, n + 1);
	dp_buf_init(&c, 4 * n + 4096);
	if (dp_age_armor(bin, n, &a) != DP_OK)
		abort();
	if (dp_age_dearmor(a.p, a.len, &b) != DP_OK || b.len != n || (n && memcmp(b.p, bin, n)))
		abort();
	if (dp_age_armor(b.p, b.len, &c) != DP_OK || c.len != a.len || memcmp(a.p, c.p, a.len))
		abort();
	dp_buf_free(&a);
	dp_buf_free(&b);
	dp_buf_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dp_buf out;
	dp_buf_init(&out, size + 1);
	int r = dp_age_dearmor(data, size, &out);
	if (r == DP_OK) {
		/* armor is at least 4/3 of what it carries */
		if (out.len > size)
			abort();
		roundtrip(out.p ? out.p : (const uint8_t *)"", out.len);
	} else if (r != DP_EARMOR) {
		abort();
	} else if (out.len != 0) {
		abort(); /* failure leaves nothing behind */
	}
	dp_buf_free(&out);
	roundtrip(data, size);
	return 0;
}
