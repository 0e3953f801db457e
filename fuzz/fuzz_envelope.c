/*
 * fuzz_envelope - dp_envelope_decode and dp_submission_decode on arbitrary
 * bytes (the switch's first contact with a submitted cable).
 */
#include "denpo/envelope.h"
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dp_envelope e;
	if (dp_envelope_decode(&e, data, size) == DP_OK && e.nrecipients == 0)
		__builtin_trap(); /* accepted envelopes have recipients */
	dp_envelope_free(&e);
	const uint8_t *pl;
	size_t pn;
	if (dp_submission_decode(&e, data, size, &pl, &pn) == DP_OK &&
	    (pl < data || pl + pn != data + size || pn != e.payload_len))
		__builtin_trap(); /* the payload is the tail of the input */
	dp_envelope_free(&e);
	return 0;
}
