/*
 * fuzz_cable - dp_cable_decode on arbitrary bytes.  Inputs that decode
 * (e.g. the seed from tests/tool_example) are also rendered and their
 * envelope built, so those paths see every accepted cable.
 */
#include "denpo/envelope.h"
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dp_cable c;
	if (dp_cable_decode(&c, data, size) == DP_OK) {
		dp_buf b;
		dp_buf_init(&b, 4u << 20);
		if (dp_cable_render(&c, "26 TOKYO 000017", &b))
			__builtin_trap(); /* a decoded cable always renders */
		dp_buf_free(&b);
		dp_envelope e;
		if (dp_envelope_from_cable(&e, &c, data, size))
			__builtin_trap();
		if (!dp_envelope_matches_cable(&e, &c))
			__builtin_trap();
		dp_envelope_free(&e);
	}
	dp_cable_free(&c);
	return 0;
}
