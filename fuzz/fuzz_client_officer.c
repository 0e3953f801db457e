/*
 * fuzz_client_officer - the officer index answers a device reads from a
 * switch it does not trust (lib/client_index.c): the first byte picks the
 * parser, the rest is the answer.
 *   even: dp_client_parse_officer (GET /v1/log/officer), asked for "sato.k"
 *         when bit 1 is set, for whoever the answer names otherwise;
 *   odd:  dp_client_jofficers on the object, as the resolve answer's "officers".
 * Whatever is accepted stays within the caps the device relies on (a
 * handle, a record of 1..DP_DEVREC_TEXT_MAX bytes without NUL, at most
 * DP_DEVINDEX_PROOF_MAX siblings, "other" only without a record, no
 * handle twice); a refusal leaves nothing behind; nothing leaks.  Each
 * accepted answer then goes through what the device does with it: the
 * proof against a root (which it cannot match: an all-zero one) and the
 * record's strict decoder.
 * Seeds: fuzz/corpus/fuzz_client_officer/.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "denpo/client.h"
#include "denpo/devindex.h"
#include "fuzz/fuzz.h"
#include "lib/client_int.h"

static void check(const dp_officer_proof *p, dp_devrec *rec)
{
	if (!dp_handle_ok(p->handle) || p->proof.n > DP_DEVINDEX_PROOF_MAX ||
	    (p->record && (p->record_len == 0 || p->record_len > DP_DEVREC_TEXT_MAX ||
			   memchr(p->record, 0, p->record_len))) ||
	    (!p->record && p->record_len) || (p->record && p->proof.other))
		__builtin_trap();
	uint8_t root[DP_TLOG_HASH] = {0};
	(void)dp_devindex_verify(root, p->handle, p->record, p->record_len, &p->proof);
	if (p->record && dp_devrec_decode(rec, p->record, p->record_len) == DP_OK &&
	    rec->n > DP_DEVREC_MAX)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	dp_devrec *rec = malloc(sizeof *rec);
	if (!rec)
		return 0;
	if (!(data[0] & 1)) {
		dp_officer_answer a;
		int r = dp_client_parse_officer(data + 1, size - 1, (data[0] & 2) ? "sato.k" : NULL, &a);
		if (r != DP_OK) {
			if (a.log.present || a.log.checkpoint || a.officer.record)
				__builtin_trap(); /* a refused answer leaves nothing behind */
		} else {
			if (!a.log.present || !a.log.checkpoint ||
			    ((data[0] & 2) && strcmp(a.officer.handle, "sato.k") != 0))
				__builtin_trap();
			check(&a.officer, rec);
		}
		dp_officer_answer_free(&a);
	} else {
		json_error_t je;
		json_t *j = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, &je);
		dp_officer_proof *p = NULL;
		size_t n = 0;
		if (j && dp_client_jofficers(j, &p, &n) == DP_OK) {
			if (n > DP_OFFICERS_MAX || (n && !p) || (!n && p))
				__builtin_trap();
			for (size_t i = 0; i < n; i++) {
				check(&p[i], rec);
				for (size_t k = 0; k < i; k++)
					if (!strcmp(p[i].handle, p[k].handle))
						__builtin_trap();
			}
			for (size_t i = 0; i < n; i++)
				dp_officer_proof_free(&p[i]);
			free(p);
		} else if (p || n)
			__builtin_trap();
		json_decref(j);
	}
	free(rec);
	return 0;
}
