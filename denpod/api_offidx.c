/*
 * denpod/api_offidx.c - the officer index in the API (docs/api.md, "The
 * officer index"; docs/transparency.md §6): an officer's record with its
 * proof under a signed checkpoint, for a device checking its own
 * officer's devices and a sender checking the recipients' (the resolve
 * answer's "officers").
 *
 * The proof is against the officer-index line of the very checkpoint the
 * answer's "log" object carries (dpd_log_view_cp): the map comes from the
 * stored records, kept while that root does not change, and is used only
 * if it gives exactly that root (offidx.h).  While the signer is between
 * the two (a new checkpoint signed, the map not yet rebuilt), the answer
 * is 503: retry.
 */
#include <stdlib.h>
#include <string.h>

#include "denpo/encoding.h"
#include "denpod/api.h"
#include "denpod/policy.h"
#include "denpod/offidx.h"
#include "denpod/query.h"
#include "denpod/server.h"

int dpd_officer_json(dpd_server *srv, const dps_checkpoint *cp, const char *officer, json_t **out,
		     char *msg, size_t cap)
{
	int r = dpx_officer_json(&srv->offidx, srv->store, cp, officer, out);
	if (r == DP_ESTATE)
		snprintf(msg, cap, "the officer index is being updated; retry");
	else if (r == DP_ENOTFOUND)
		snprintf(msg, cap, "the latest checkpoint (size %llu) carries no officer index yet "
				   "(signed before the switch kept one); retry after its next checkpoint",
			 (unsigned long long)cp->size);
	else if (r)
		snprintf(msg, cap, "cannot read the officer index; retry");
	return r;
}

/* GET /v1/log/officer?handle=X[&log_size=M] */
void dpd_get_officer(const dpd_call *c)
{
	dpd_server *srv = c->srv;
	char msg[DPP_MSG_MAX];
	uint64_t m = 0;
	const char *h = dpq_get(c->q, "handle");
	if (!h || !dp_handle_ok(h)) {
		dpd_reply_error(c->rq, 400, DP_EPARSE, "give handle=<officer handle>[&log_size=M]");
		return;
	}
	if (dpq_num(c->q, "log_size", 0, UINT64_MAX, &m, msg, sizeof msg)) {
		dpd_reply_error(c->rq, 400, DP_EPARSE, msg);
		return;
	}
	dps_checkpoint *cp = malloc(sizeof *cp);
	json_t *logj = NULL, *oj = NULL;
	int r = cp ? dpd_log_view_cp(srv, m, &logj, cp, msg, sizeof msg) : DP_ENOMEM;
	if (!cp)
		snprintf(msg, sizeof msg, "out of memory; retry");
	if (!r)
		r = dpd_officer_json(srv, cp, h, &oj, msg, sizeof msg);
	free(cp);
	if (r) {
		json_decref(logj);
		dpd_reply_error(c->rq, r == DP_ENOTFOUND || r == DP_ESTATE ? 503 : dpd_http_status(r), r,
				msg);
		return;
	}
	dpd_reply_json(c->rq, 200, json_pack("{s:o,s:o}", "log", logj, "officer", oj));
}
