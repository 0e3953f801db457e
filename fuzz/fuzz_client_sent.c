/*
 * fuzz_client_sent - dp_client_parse_sent on arbitrary bytes: the GET
 * /v1/sent answer a device reads from a switch it does not trust (`denpo
 * sent`, the sent-list record); the first input byte picks a page without
 * proofs (even) or the answer asked with log_size (odd: each cable's
 * "log_index"/"log_entry" and the "log").  What is accepted stays within
 * what the device relies on (ids, MRNs, counts within DP_MAX_RECIPIENTS,
 * seq positive or 0 when not given, entries and proofs within their caps);
 * a refusal leaves nothing behind and says why; nothing leaks.  Then each
 * cable's acceptance entry is proved in the answer's checkpoint
 * (seal_included; its signature skipped, see fuzz/fuzz_client.h).
 * Seeds: fuzz/corpus/fuzz_client_sent/.
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
	dp_sent_list l;
	char why[DP_CLIENT_MSG_MAX];
	why[0] = 0;
	int r = dp_client_parse_sent(data + 1, size - 1, with_log, &l, why, sizeof why);
	if (r != DP_OK) {
		refused(r, l.items || l.accs || l.n || l.log.present, why, sizeof why);
		return 0;
	}
	if ((l.n && !l.items) || (with_log && l.n && !l.accs) || (!with_log && (l.accs || l.log.present)) ||
	    !log_view_ok(&l.log))
		__builtin_trap();
	for (size_t i = 0; i < l.n; i++) {
		const dp_sent_item *it = &l.items[i];
		if (strlen(it->cable_id) != 32 || !dp_mrn_ok(it->mrn) || it->seq < 0 || it->accepted < 0 ||
		    it->recipients > DP_MAX_RECIPIENTS || it->delivered > DP_MAX_RECIPIENTS ||
		    it->acked > DP_MAX_RECIPIENTS || (l.accs && !accepted_ok(&l.accs[i])))
			__builtin_trap();
	}
	const dp_log_incl **entries = l.accs ? malloc(l.n * sizeof *entries) : NULL;
	for (size_t i = 0; entries && i < l.n; i++)
		entries[i] = &l.accs[i].entry;
	if (entries)
		prove_entries(&l.log, entries, l.n);
	free(entries);
	dp_sent_list_free(&l);
	return 0;
}
