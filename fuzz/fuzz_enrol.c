/*
 * fuzz_enrol - both enrolment decoders on arbitrary bytes.  Whatever is
 * accepted must satisfy the field rules (re-encoding would need the key).
 */
#include <string.h>

#include "denpo/enrol.h"
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dp_enrol_request q;
	if (dp_enrol_request_decode(&q, data, size) == DP_OK &&
	    (!dp_handle_ok(q.officer) || !dp_name_ok(q.post) || strncmp(q.age_recipient, "age1", 4)))
		__builtin_trap();
	dp_enrol_answer a;
	if (dp_enrol_answer_decode(&a, data, size) == DP_OK &&
	    (!dp_handle_ok(a.officer) || strncmp(a.switch_url, "https://", 8)))
		__builtin_trap();
	return 0;
}
