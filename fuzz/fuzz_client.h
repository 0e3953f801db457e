/*
 * fuzz/fuzz_client.h - what the targets of the device's answer parsers
 * (fuzz_client_*.c) check alike: a string an answer gave is a clean,
 * bounded C string; a refusal says why in printable text; a log view and a
 * log entry with its proof stay within their caps; and, to reach what the
 * device does next with an answer, the checkpoint of its "log" object.
 *
 * A fuzzer cannot forge the log's signature, so ckpt_of takes the
 * checkpoint's text without it (dp_note_parse, then dp_checkpoint_parse):
 * the inclusion and consistency proofs of the answer are then verified
 * against the size and root the switch claims, which is the code the
 * device runs once the signature has passed.  The signature check itself
 * is fuzzed by fuzz_note and fuzz_client_checkpoint.
 */
#ifndef DENPO_FUZZ_CLIENT_H
#define DENPO_FUZZ_CLIENT_H

#include <stdlib.h>
#include <string.h>

#include "denpo/client.h"
#include "denpo/encoding.h"
#include "denpo/tlog.h"

/* s is a NUL-terminated string within cap, of printable text only. */
static inline int clean(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	return n < cap && dp_text_ok((const uint8_t *)s, n, 0);
}

/* A refusal's message: not empty, printable ASCII (it reaches the officer's terminal). */
/*
 * A role a device may be given in an answer: ACTION, INFO, or RECORD (the
 * archive's device, include/denpo/records.h), as dp_role_parse accepts.
 */
static inline int role_ok(int role)
{
	return role == DP_ROLE_ACTION || role == DP_ROLE_INFO || role == DP_ROLE_RECORD;
}

static inline int why_ok(const char *why, size_t cap)
{
	size_t n = strnlen(why, cap);
	if (n == 0 || n == cap)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)why[i] < 0x20 || (unsigned char)why[i] >= 0x7f)
			return 0;
	return 1;
}

static inline int log_view_ok(const dp_log_view *v)
{
	if (!v->present)
		return !v->checkpoint && v->nconsistency == 0;
	return v->checkpoint && strlen(v->checkpoint) == v->checkpoint_len && v->checkpoint_len > 0 &&
	       v->checkpoint_len <= DP_NOTE_MAX && v->nconsistency <= DP_TLOG_PROOF_MAX;
}

static inline int incl_ok(const dp_log_incl *in)
{
	if (!in->present)
		return !in->entry && in->entry_len == 0;
	return in->entry && in->entry_len > 0 && in->entry_len <= DP_TLOG_ENTRY_MAX &&
	       in->nproof <= DP_TLOG_PROOF_MAX && in->index <= INT64_MAX;
}

static inline int accepted_ok(const dp_log_accepted *a)
{
	return a->index >= -1 && (a->has_index || a->index == -1) && incl_ok(&a->entry);
}

/* The checkpoint v carries, its signature not checked (see above): DP_OK and *cp, or a refusal. */
static inline int ckpt_of(const dp_log_view *v, dp_checkpoint *cp)
{
	size_t tl = 0, ns = 0;
	if (!v->present || dp_note_parse(v->checkpoint, v->checkpoint_len, &tl, NULL, 0, &ns) != DP_OK)
		return DP_EPARSE;
	return dp_checkpoint_parse(cp, v->checkpoint, tl);
}

/*
 * A parser's refusal (r not DP_OK): nothing left behind (leftover: what
 * the caller found still set), and, for a malformed answer, why says so.
 */
static inline void refused(int r, int leftover, const char *why, size_t cap)
{
	if (leftover)
		__builtin_trap(); /* a refused answer leaves nothing behind */
	if (r == DP_EPROTO && !why_ok(why, cap))
		__builtin_trap(); /* and says why */
}

#ifdef DENPO_SEAL_H
/* What the device does with entries[n] of an answer that carries log: prove each in its checkpoint. */
static inline void prove_entries(const dp_log_view *log, const dp_log_incl *const *entries, size_t n)
{
	dp_checkpoint cp;
	dp_logent *e = malloc(sizeof *e);
	if (e && ckpt_of(log, &cp) == DP_OK)
		for (size_t i = 0; i < n; i++)
			(void)seal_included(entries[i], cp.size, cp.root, e);
	free(e);
}
#endif

#endif
