/*
 * fuzz_client_accepted - dp_client_parse_accepted on arbitrary bytes: the
 * GET /v1/cables/{id}/accepted?log_size=M answer (a cable's logged
 * acceptance with its proofs) a device reads from a switch it does not
 * trust before it shows a cable's MRN and time.  What is accepted stays
 * within what the device relies on (an id, an MRN, a precedence and
 * classification it knows, a clean sender, entries and proofs within their
 * caps); a refusal leaves nothing behind and says why; nothing leaks.
 * Then the acceptance entry is proved in the answer's checkpoint as the
 * device does (seal_included; the checkpoint's signature skipped, see
 * fuzz/fuzz_client.h).  Seeds: fuzz/corpus/fuzz_client_accepted/.
 */
#include <stdlib.h>

#include "denpo/seal.h"
#include "fuzz/fuzz.h"
#include "fuzz/fuzz_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dp_cable_accepted a;
	char why[DP_CLIENT_MSG_MAX];
	why[0] = 0;
	int r = dp_client_parse_accepted(data, size, &a, why, sizeof why);
	if (r != DP_OK) {
		refused(r, a.log.present || a.log.checkpoint || a.acc.entry.entry || a.acc.has_index, why,
			sizeof why);
		return 0;
	}
	if (strlen(a.cable_id) != 32 || !dp_mrn_ok(a.mrn) || a.accepted < 0 ||
	    !clean(a.from, sizeof a.from) || a.precedence < DP_PREC_FLASH ||
	    a.precedence > DP_PREC_ROUTINE || (a.role != 0 && !role_ok(a.role)) ||
	    !log_view_ok(&a.log) || !accepted_ok(&a.acc))
		__builtin_trap();
	const dp_log_incl *entry = &a.acc.entry;
	prove_entries(&a.log, &entry, 1);
	dp_cable_accepted_free(&a);
	return 0;
}
