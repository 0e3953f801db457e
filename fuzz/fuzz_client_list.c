/*
 * fuzz_client_list - dp_client_parse_list on arbitrary bytes: the inbox and
 * archive answers with their proofs (docs/api.md, "Proofs in answers"),
 * which a device reads from a switch it does not trust.  Whatever is
 * accepted stays within the caps the checks rely on: every string a
 * clean, bounded C string, envelopes and entries within their maximum
 * sizes, proofs within DP_TLOG_PROOF_MAX hashes, a proof per item; and
 * nothing leaks (dp_cable_list_free).  The first input byte picks inbox or
 * archive.  Then each cable's acceptance entry is proved in the answer's
 * checkpoint as the device does (seal_included; the checkpoint's signature
 * skipped, see fuzz/fuzz_client.h).  The list without proofs
 * (dp_client_inbox, dp_client_archive) is this parser's items.
 * Seeds: fuzz/corpus/fuzz_client_list/.
 */
#include <stdlib.h>

#include "denpo/envelope.h"
#include "denpo/seal.h"
#include "fuzz/fuzz.h"
#include "fuzz/fuzz_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	dp_cable_list l;
	int r = dp_client_parse_list(data + 1, size - 1, data[0] & 1, &l);
	if (r != DP_OK) {
		if (l.items || l.proofs || l.origins || l.log.checkpoint || l.n)
			__builtin_trap(); /* a refused answer leaves nothing behind */
		return 0;
	}
	if (l.n && !l.proofs)
		__builtin_trap();
	for (size_t i = 0; i < l.n; i++) {
		const dp_inbox_item *it = &l.items[i];
		const dp_cable_proof *p = &l.proofs[i];
		if (strlen(it->cable_id) != 32 || !dp_mrn_ok(it->mrn) || !clean(it->from, sizeof it->from) ||
		    it->precedence < DP_PREC_FLASH || it->precedence > DP_PREC_ROUTINE)
			__builtin_trap();
		if ((p->envelope == NULL) != (p->envelope_len == 0) || p->envelope_len > DP_ENVELOPE_MAX)
			__builtin_trap();
		const dp_log_incl *e = &p->acc.entry;
		if (e->present && (!e->entry || e->entry_len == 0 || e->entry_len > DP_TLOG_ENTRY_MAX ||
				   e->nproof > DP_TLOG_PROOF_MAX))
			__builtin_trap();
		if (p->acc.index < -1 || (!p->acc.has_index && p->acc.index != -1))
			__builtin_trap();
	}
	for (size_t i = 0; i < l.norigins; i++)
		if (!clean(l.origins[i].officer, sizeof l.origins[i].officer) ||
		    !clean(l.origins[i].post, sizeof l.origins[i].post) ||
		    !clean(l.origins[i].status, sizeof l.origins[i].status))
			__builtin_trap();
	if (l.n > DP_CLIENT_LIST_ITEMS || l.norigins > DP_CLIENT_LIST_ITEMS || !log_view_ok(&l.log))
		__builtin_trap();
	const dp_log_incl **entries = l.n ? malloc(l.n * sizeof *entries) : NULL;
	for (size_t i = 0; entries && i < l.n; i++)
		entries[i] = &l.proofs[i].acc.entry;
	if (entries)
		prove_entries(&l.log, entries, l.n);
	free(entries);
	dp_cable_list_free(&l);
	return 0;
}
