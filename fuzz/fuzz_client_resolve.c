/*
 * fuzz_client_resolve - dp_client_parse_resolve on arbitrary bytes: the
 * GET /v1/directory/resolve answer a sending device reads from a switch it
 * does not trust (`denpo send`): the devices with their keys, epoch key
 * records, enrolment and key entries with inclusion proofs, the "log"
 * checkpoint with its consistency proof, and the unreachable devices.
 * What is accepted stays within what the device relies on (every string
 * clean and bounded, roles and key types in range, entries and proofs
 * within their caps); a refusal leaves nothing behind and says why in
 * printable text; nothing leaks.  Then what denpo/send.c does with an
 * accepted answer: each device's entries proved in the answer's checkpoint
 * (seal_logged; fuzz/fuzz_client.h says why the checkpoint's signature is
 * skipped) and each epoch key record checked against the device that
 * signs it (seal_recipients, at a time the input gives: the first
 * device's not_before).  Seeds: fuzz/corpus/fuzz_client_resolve/ (answers
 * of a switch run by tests/it_e2e.sh).
 */
#include <stdlib.h>

#include "denpo/seal.h"
#include "fuzz/fuzz.h"
#include "fuzz/fuzz_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dp_resolution res;
	char why[DP_CLIENT_MSG_MAX];
	why[0] = 0;
	int r = dp_client_parse_resolve(data, size, &res, why, sizeof why);
	if (r != DP_OK) {
		refused(r, res.devs || res.n || res.unreachable || res.nunreachable || res.log.present, why,
			sizeof why);
		return 0;
	}
	if (res.n > DP_MAX_RECIPIENTS || res.nunreachable > DP_MAX_RECIPIENTS || (res.n && !res.devs) ||
	    !log_view_ok(&res.log))
		__builtin_trap();
	for (size_t i = 0; i < res.n; i++) {
		const dp_resolved *d = &res.devs[i];
		if (!clean(d->officer, sizeof d->officer) || !clean(d->post, sizeof d->post) ||
		    !clean(d->age_recipient, sizeof d->age_recipient) ||
		    strnlen(d->epoch_key, sizeof d->epoch_key) == sizeof d->epoch_key ||
		    !role_ok(d->role) || d->key_type < 1 ||
		    d->key_type > 255 || d->not_before < 0 || d->not_after < 0 || !incl_ok(&d->enrolment) ||
		    !incl_ok(&d->key_entry))
			__builtin_trap();
	}
	for (size_t i = 0; i < res.nunreachable; i++) {
		const dp_unreachable *u = &res.unreachable[i];
		if (!clean(u->officer, sizeof u->officer) || !clean(u->post, sizeof u->post) ||
		    !role_ok(u->role) || u->last_not_after < 0 ||
		    u->next_not_before < 0 || u->at < 0 || (u->not_logged != 0 && u->not_logged != 1))
			__builtin_trap();
	}
	dp_checkpoint cp;
	if (ckpt_of(&res.log, &cp) == DP_OK) {
		size_t bad = 0;
		const char *w = NULL;
		if (seal_logged(res.devs, res.n, cp.size, cp.root, &bad, &w) == DP_ESIG &&
		    (bad >= res.n || !w))
			__builtin_trap(); /* a failure names the device and what failed */
	}
	if (res.n) {
		dp_recipient *rc = calloc(res.n, sizeof *rc);
		dp_age_recipient *keys = calloc(res.n, sizeof *keys);
		size_t bad = 0;
		if (rc && keys &&
		    seal_recipients(res.devs, res.n, res.devs[0].not_before, rc, keys, &bad) != DP_OK &&
		    bad >= res.n)
			__builtin_trap(); /* a refusal names the device */
		free(rc);
		free(keys);
	}
	dp_resolution_free(&res);
	return 0;
}
