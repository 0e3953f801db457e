/*
 * fuzz_envelope - dp_envelope_decode, dp_submission_decode and
 * dp_submission_claimed_prec on arbitrary bytes (the switch's first contact
 * with a submitted cable; the claim is read before anything is checked).
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
	int claim = dp_submission_claimed_prec(data, size);
	if (claim < -1 || claim > 255)
		__builtin_trap(); /* a byte, or -1 */
	if (dp_submission_decode(&e, data, size, &pl, &pn) == DP_OK &&
	    (pl < data || pl + pn != data + size || pn != e.payload_len || claim != e.prec_action))
		__builtin_trap(); /* the payload is the tail of the input; the claim, the checked value */
	dp_envelope_free(&e);
	return 0;
}
