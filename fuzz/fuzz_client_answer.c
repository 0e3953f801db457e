/*
 * fuzz_client_answer - the device's parsers of the small answers of a
 * switch it does not trust, one target for all (each is a few fields; a
 * target apiece would cost CI time and find nothing more).  The first
 * input byte picks the parser, the rest is the answer:
 *
 *    0  dp_client_parse_submit      POST /v1/cables
 *    1  dp_client_parse_ack         POST /v1/cables/{id}/ack
 *    2  dp_client_parse_device      GET /v1/directory/devices/{device}
 *    3  dp_client_parse_keys        GET /v1/keys
 *    4  dp_client_parse_log_proof   GET /v1/log/proof/...: the next byte is
 *                                   the size asked for; an accepted proof is
 *                                   then verified as an inclusion and a
 *                                   consistency proof in a tree of that size
 *    5  dp_client_parse_health      GET /v1/health
 *    6  dp_client_parse_cosigned    POST /v1/log/cosign
 *    7  dp_client_parse_recovered   POST /v1/log/recovered
 *    8  dp_client_parse_published   POST /v1/keys
 *    9  dp_client_parse_error       any refusal {"error", "message"}
 *   10  dp_client_parse_header      one header line (Date, X-Denpo-MRN)
 *
 * What is accepted stays within what the device relies on (clean bounded
 * strings, ids and MRNs well formed, numbers in their ranges, lists within
 * their caps); a refusal leaves its outputs empty and says why in
 * printable text; nothing leaks.  Seeds: fuzz/corpus/fuzz_client_answer/
 * (a selector byte and an answer of a switch run by the tests).
 */
#include <stdlib.h>

#include "fuzz/fuzz.h"
#include "fuzz/fuzz_client.h"

#define REFUSED(r, why)                                                                          \
	do {                                                                                     \
		if ((r) == DP_EPROTO && !why_ok(why, sizeof why))                                \
			__builtin_trap(); /* a refusal says why */                               \
	} while (0)

static int submit(const uint8_t *p, size_t n, char *why, size_t cap)
{
	dp_submit_result s;
	int r = dp_client_parse_submit(p, n, &s, why, cap);
	if (r == DP_OK && (strlen(s.cable_id) != 32 || !dp_mrn_ok(s.mrn) || s.accepted < 0 ||
			   (s.duplicate != 0 && s.duplicate != 1)))
		__builtin_trap();
	if (r != DP_OK && (s.cable_id[0] || s.mrn[0] || s.accepted || s.duplicate))
		__builtin_trap();
	return r;
}

static int device(const uint8_t *p, size_t n, char *why, size_t cap)
{
	dp_device_info d;
	int r = dp_client_parse_device(p, n, &d, why, cap);
	if (r == DP_OK && (!clean(d.officer, sizeof d.officer) || !clean(d.post, sizeof d.post) ||
			   !clean(d.status, sizeof d.status) ||
			   !clean(d.age_recipient, sizeof d.age_recipient) ||
			   (!d.has_key && (d.age_recipient[0] || d.epoch))))
		__builtin_trap();
	if (r != DP_OK && (d.officer[0] || d.has_key))
		__builtin_trap();
	return r;
}

static int keys(const uint8_t *p, size_t n, char *why, size_t cap)
{
	dp_key_status st;
	int r = dp_client_parse_keys(p, n, &st, why, cap);
	if (r != DP_OK) {
		if (st.epochs || st.n)
			__builtin_trap();
		return r;
	}
	if (st.now < 0 || st.skew < 0 || st.skew > 86400 || (st.n && !st.epochs))
		__builtin_trap();
	for (size_t i = 0; i < st.n; i++) {
		const dp_epoch_state *e = &st.epochs[i];
		if (e->npending > 1000 || (e->npending && !e->pending) || e->not_before < 0 || e->not_after < 0)
			__builtin_trap();
		for (size_t k = 0; k < e->npending; k++)
			if (strnlen(e->pending[k], DP_HEXID) != 32)
				__builtin_trap();
	}
	dp_key_status_free(&st);
	return r;
}

static int log_proof(const uint8_t *p, size_t n, char *why, size_t cap)
{
	if (n < 1)
		return DP_OK;
	uint64_t size = p[0];
	dp_log_proof pr;
	int r = dp_client_parse_log_proof(p + 1, n - 1, size, &pr, why, cap);
	if (r != DP_OK) {
		if (pr.n || pr.size)
			__builtin_trap();
		return r;
	}
	if (pr.size != size || pr.n > DP_TLOG_PROOF_MAX)
		__builtin_trap();
	/* what the device does next: verify it (roots from the proof itself, so some verify) */
	static const uint8_t zero[DP_TLOG_HASH];
	const uint8_t *root = pr.n ? pr.h[pr.n - 1] : zero;
	uint64_t m = size / 2;
	r = dp_tlog_verify_inclusion(m, size, zero, (const uint8_t(*)[DP_TLOG_HASH])pr.h, pr.n, root);
	if (r != DP_OK && r != DP_ESIG && r != DP_EINVAL)
		__builtin_trap();
	r = dp_tlog_verify_consistency(m, size, zero, root, (const uint8_t(*)[DP_TLOG_HASH])pr.h, pr.n);
	if (r != DP_OK && r != DP_ESIG && r != DP_EINVAL)
		__builtin_trap();
	return DP_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	char why[DP_CLIENT_MSG_MAX];
	why[0] = 0;
	int r = DP_OK;
	switch (data[0]) {
	case 0:
		r = submit(p, n, why, sizeof why);
		break;
	case 1: {
		int64_t at;
		r = dp_client_parse_ack(p, n, &at, why, sizeof why);
		if ((r == DP_OK && at < 0) || (r != DP_OK && at != 0))
			__builtin_trap();
		break;
	}
	case 2:
		r = device(p, n, why, sizeof why);
		break;
	case 3:
		r = keys(p, n, why, sizeof why);
		break;
	case 4:
		r = log_proof(p, n, why, sizeof why);
		break;
	case 5: {
		char v[32];
		r = dp_client_parse_health(p, n, v, sizeof v, why, sizeof why);
		if (!clean(v, sizeof v))
			__builtin_trap();
		break;
	}
	case 6:
		r = dp_client_parse_cosigned(p, n, why, sizeof why);
		break;
	case 7: {
		int64_t idx;
		int dup;
		r = dp_client_parse_recovered(p, n, &idx, &dup, why, sizeof why);
		if ((r == DP_OK && idx < 0) || (r != DP_OK && (idx != -1 || dup)))
			__builtin_trap();
		break;
	}
	case 8: {
		int dup;
		r = dp_client_parse_published(p, n, &dup, why, sizeof why);
		if ((dup != 0 && dup != 1) || (r != DP_OK && dup))
			__builtin_trap();
		break;
	}
	case 9: {
		char msg[64];
		r = dp_client_parse_error(p, n, msg, sizeof msg);
		if (r == DP_OK || r < DP_ELAST || (msg[0] && !why_ok(msg, sizeof msg)))
			__builtin_trap(); /* a code of the vocabulary; a message in printable ASCII */
		return 0;
	}
	case 10: {
		char mrn[DP_MRN_MAX + 1] = "";
		int64_t date = -1;
		dp_client_parse_header((const char *)p, n, mrn, &date);
		if ((mrn[0] && !dp_mrn_ok(mrn)) || date < -1)
			__builtin_trap();
		return 0;
	}
	default:
		return 0;
	}
	REFUSED(r, why);
	return 0;
}
