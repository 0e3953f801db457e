/*
 * fuzz_client_status - dp_client_parse_status on arbitrary bytes: the
 * GET /v1/cables/{id}/status answer (the receipts) a sending device reads
 * from a switch it does not trust (`denpo status`); the first input byte
 * picks the plain answer (even) or the one asked with log_size (odd: with
 * "log", "log_index" and "log_entry").  What is accepted stays within what
 * the device relies on (clean bounded strings, a 64-hex-digit device per
 * receipt, times not negative, at most DP_MAX_RECIPIENTS receipts, entries
 * and proofs within their caps); a refusal leaves nothing behind and says
 * why; nothing leaks.  Then the cable's acceptance entry is proved in the
 * answer's checkpoint as the device does (seal_included; the checkpoint's
 * signature skipped, see fuzz/fuzz_client.h).
 * Seeds: fuzz/corpus/fuzz_client_status/ (answers of a real switch).
 */
#include <stdlib.h>

#include "denpo/seal.h"
#include "fuzz/fuzz.h"
#include "fuzz/fuzz_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int with_log = data[0] & 1;
	dp_cable_status st;
	char why[DP_CLIENT_MSG_MAX];
	why[0] = 0;
	int r = dp_client_parse_status(data + 1, size - 1, with_log, &st, why, sizeof why);
	if (r != DP_OK) {
		refused(r, st.recipients || st.nrecipients || st.log.present || st.acc.entry.entry ||
				   st.classification != -1,
			why, sizeof why);
		return 0;
	}
	if (strlen(st.cable_id) != 32 || !dp_mrn_ok(st.mrn) || st.accepted < 0 ||
	    st.nrecipients > DP_MAX_RECIPIENTS || (st.nrecipients && !st.recipients) ||
	    !log_view_ok(&st.log) || (with_log && !accepted_ok(&st.acc)) ||
	    (!with_log && (st.log.present || st.acc.has_index || st.acc.entry.present)))
		__builtin_trap();
	for (size_t i = 0; i < st.nrecipients; i++) {
		const dp_receipt *p = &st.recipients[i];
		if (strlen(p->device) != 64 || !clean(p->officer, sizeof p->officer) ||
		    !clean(p->post, sizeof p->post) || p->delivered < 0 || p->acked < 0 ||
		    !role_ok(p->role))
			__builtin_trap();
	}
	const dp_log_incl *entry = &st.acc.entry;
	prove_entries(&st.log, &entry, 1);
	dp_cable_status_free(&st);
	return 0;
}
