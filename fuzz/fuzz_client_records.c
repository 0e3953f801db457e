/*
 * fuzz_client_records - dp_client_parse_records on arbitrary bytes: the
 * answers of POST /v1/records (an act of the archive, with its log entry's
 * index) and GET /v1/records/state that a records device reads from a
 * switch it does not trust before it decrypts or acts (include/denpo/
 * records.h); the first input byte picks the act's answer (1), the
 * state's (0), the state's with its log and entries (2) or GET
 * /v1/records/changes's (3, after = byte / 4; byte mod 4).
 * What is accepted stays within what the archive relies
 * on: a known act and an index for an act, -1 and no act for a state; a
 * reference that is an MRN exactly when one is due; handles that are
 * handles, times not negative and each set with its officer, a clean
 * bounded hold reason only with a hold, a destruction proposed with its
 * clean detail and done only by another officer; with the log, a checkpoint and at
 * most DP_RECORDS_ENTRIES_MAX entries in strictly increasing log order,
 * each with its bytes and a proof or (not under the checkpoint) neither.
 * A refusal leaves nothing behind
 * and says why; nothing leaks.
 * Seeds: fuzz/corpus/fuzz_client_records/ (answers of a real switch,
 * tests/it_records_acts.sh).
 */
#include <string.h>

#include "denpo/client.h"
#include "denpo/encoding.h"
#include "denpo/records.h"
#include "fuzz/fuzz.h"
#include "fuzz/fuzz_client.h"

static int who_ok(const char *s, size_t cap)
{
	return strnlen(s, cap) < cap && (!s[0] || dp_handle_ok(s));
}

static int state_ok(const dp_records_state *s)
{
	return who_ok(s->proposed_by, sizeof s->proposed_by) && who_ok(s->approved_by, sizeof s->approved_by) &&
	       who_ok(s->held_by, sizeof s->held_by) && who_ok(s->destroyed_by, sizeof s->destroyed_by) &&
	       (s->proposed_by[0] != 0) == (s->proposed_at > 0) &&
	       (s->approved_by[0] != 0) == (s->declassified_at > 0) &&
	       (s->held_by[0] != 0) == (s->held_at > 0) &&
	       (s->destroyed_by[0] != 0) == (s->destroyed_at > 0) &&
	       (s->held_by[0] || !s->hold_reason[0]) && clean(s->hold_reason, sizeof s->hold_reason) &&
	       who_ok(s->destroy_proposed_by, sizeof s->destroy_proposed_by) &&
	       (s->destroy_proposed_by[0] != 0) == (s->destroy_proposed_at > 0) &&
	       (s->destroy_proposed_by[0] != 0) == (s->destroy_detail[0] != 0) &&
	       clean(s->destroy_detail, sizeof s->destroy_detail) &&
	       (!s->destroyed_by[0] ||
		(s->destroy_proposed_by[0] && strcmp(s->destroyed_by, s->destroy_proposed_by)));
}

/* the changes' answer: each cable once, in strictly increasing index order, next the last */
static void changes(const uint8_t *data, size_t size, int64_t after)
{
	dp_records_changes c;
	char why[DP_CLIENT_MSG_MAX];
	why[0] = 0;
	int r = dp_client_parse_records_changes(data, size, after, &c, why, sizeof why);
	if (r != DP_OK) {
		refused(r, c.changes || c.n || c.next || c.more, why, sizeof why);
		return;
	}
	int64_t last = after;
	if (c.n > DP_RECORDS_CHANGES_MAX || (c.more && c.n != DP_RECORDS_CHANGES_MAX) || (c.n && !c.changes))
		__builtin_trap();
	for (size_t i = 0; i < c.n; i++) {
		const dp_records_change *ch = &c.changes[i];
		uint8_t id[DP_CABLE_ID];
		if (ch->index <= last || strlen(ch->cable_id) != 2 * DP_CABLE_ID ||
		    dp_hex_decode(id, sizeof id, ch->cable_id, 2 * DP_CABLE_ID) || !dp_mrn_ok(ch->reference) ||
		    !state_ok(&ch->state))
			__builtin_trap();
		last = ch->index;
	}
	if (c.next != last)
		__builtin_trap();
	dp_records_changes_free(&c);
}

static int entries_ok(const dp_records_answer *a, int how)
{
	if (how != DP_RECORDS_ANS_LOG)
		return !a->log && !a->entries && !a->nentries;
	if (!a->log || !a->log->present || !a->log->checkpoint || a->nentries > DP_RECORDS_ENTRIES_MAX ||
	    strlen(a->log->checkpoint) != a->log->checkpoint_len || (a->nentries && !a->entries))
		return 0;
	for (size_t i = 0; i < a->nentries; i++) {
		const dp_log_incl *e = &a->entries[i];
		if ((i && e->index <= a->entries[i - 1].index) || e->index > INT64_MAX ||
		    e->nproof > DP_TLOG_PROOF_MAX ||
		    (e->present ? !e->entry || !e->entry_len || e->entry_len > DP_TLOG_ENTRY_MAX
				: e->entry || e->entry_len || e->nproof))
			return 0;
		if (e->present)
			memset(e->entry, 0xa5, e->entry_len); /* ASan: every byte is the answer's */
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] % 4 == 3) {
		changes(data + 1, size - 1, data[0] / 4);
		return 0;
	}
	int how = data[0] % 4;
	int with_index = how == DP_RECORDS_ANS_ACT;
	dp_records_answer a;
	static const dp_records_answer zero = {.index = -1};
	char why[DP_CLIENT_MSG_MAX];
	why[0] = 0;
	int r = dp_client_parse_records(data + 1, size - 1, how, &a, why, sizeof why);
	if (r != DP_OK) {
		refused(r, memcmp(&a, &zero, sizeof a) != 0, why, sizeof why);
		return 0;
	}
	int want_ref = !with_index || dp_records_act_has_cable(a.act);
	if ((with_index && (a.act < DP_REC_READ || a.act > DP_REC_ACT_MAX || a.index < 0)) ||
	    (!with_index && (a.act != 0 || a.index != -1)) ||
	    (want_ref ? !dp_mrn_ok(a.reference) : a.reference[0] != 0) || !state_ok(&a.state) ||
	    !entries_ok(&a, how))
		__builtin_trap();
	dp_records_answer_free(&a);
	return 0;
}
