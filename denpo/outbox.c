/*
 * denpo/outbox.c - cables waiting for the switch (contract in denpo/outbox.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "denpo/encoding.h"
#include "denpo/outbox.h"
#include "denpo/send.h"

int outbox_queue(cli_ctx *x, const dp_cable *c, const char *cable_id, char id[DRAFT_ID_LEN + 1], char *why,
		 size_t cap)
{
	json_t *d = draft_json(c);
	id[0] = 0;
	if (!d) {
		snprintf(why, cap, "the cable cannot be kept as a draft (its body is not UTF-8 text, or out of memory)");
		return DP_EINVAL;
	}
	int r = draft_save(x, d, id, why, cap);
	json_decref(d);
	if (!r && (r = draft_state(x, id, 1, cable_id, NULL, NULL)))
		snprintf(why, cap, "cannot mark the draft queued: %s", cli_strerror(x, r));
	return r;
}

static int prec_of(const json_t *e)
{
	int p;
	const char *s = json_string_value(json_object_get(e, "precedence"));
	return s && dp_prec_parse(s, &p) == DP_OK ? p : DP_PREC_ROUTINE + 1;
}

static int by_send_order(const void *pa, const void *pb)
{
	const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	int pa_ = prec_of(a), pb_ = prec_of(b);
	if (pa_ != pb_)
		return pa_ < pb_ ? -1 : 1;
	json_int_t qa = json_integer_value(json_object_get(a, "queued_ms")),
		   qb = json_integer_value(json_object_get(b, "queued_ms"));
	if (qa != qb)
		return qa < qb ? -1 : 1;
	return strcmp(json_string_value(json_object_get(a, "id")) ?: "",
		      json_string_value(json_object_get(b, "id")) ?: "");
}

int outbox_list(cli_ctx *x, json_t **out)
{
	json_t *all;
	*out = NULL;
	int r = draft_list(x, &all);
	if (r)
		return r;
	size_t n = 0;
	json_t **v = calloc(json_array_size(all) + 1, sizeof *v);
	if (!v) {
		json_decref(all);
		return DP_ENOMEM;
	}
	for (size_t i = 0; i < json_array_size(all); i++) {
		json_t *e = json_array_get(all, i);
		/* one that does not open is shown (it may be a queued cable): never silently dropped */
		if (json_integer_value(json_object_get(e, "queued")) > 0 || json_object_get(e, "error"))
			v[n++] = e;
	}
	qsort(v, n, sizeof *v, by_send_order);
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append(a, v[i]);
	free(v);
	json_decref(all);
	*out = a;
	return a ? DP_OK : DP_ENOMEM;
}

void outbox_report_free(outbox_report *r)
{
	json_decref(r->results);
	memset(r, 0, sizeof *r);
}

/* A failure the switch will repeat until someone changes something. */
static int lasting(int rc)
{
	return rc != DP_ENET && rc != DP_ENOSPC && rc != DP_ESTORE && rc != DP_ENOMEM && rc != DP_EIO;
}

/*
 * One attempt at entry id (its draft d): DP_OK with res, or the failure's
 * code with why.  Quiet: nothing printed.
 */
static int attempt(cli_ctx *x, const char *id, const json_t *d, dp_submit_result *res, char *why, size_t cap)
{
	char cid[DP_HEXID];
	const char *kept = json_string_value(json_object_get(d, "cable_id"));
	int r;
	if (kept && strlen(kept) == 32)
		snprintf(cid, sizeof cid, "%s", kept);
	else {
		/* its id from now on, kept before anything is sealed: an attempt cut short is finished, not repeated */
		uint8_t raw[DP_CABLE_ID];
		dp_cable_new_id(raw);
		dp_hex_encode(cid, raw, sizeof raw);
		if ((r = draft_state(x, id, -1, cid, NULL, NULL))) {
			snprintf(why, cap, "cannot update the outbox: %s", cli_strerror(x, r));
			return r;
		}
	}
	if (draft_was_sealed(x, cid)) {
		r = send_again(x, cid, 0, res);
		if (r) {
			const char *m = x->cl ? dp_client_message(x->cl) : "";
			snprintf(why, cap, "%s%s%s%s", dp_strerror(r), *m ? " (" : "", m, *m ? ")" : "");
		}
		return r;
	}
	dp_cable c;
	dp_cable_init(&c);
	c.classification = c.prec_action = c.prec_info = -1;
	r = draft_cable(x, d, &c, 1, 0, why, cap);
	if (!r && dp_hex_decode(c.id, sizeof c.id, cid, 32))
		r = DP_EINVAL;
	if (!r) {
		send_result sr;
		send_result_init(&sr);
		int ec = send_cable(x, &c, 0, &sr);
		if (ec) {
			r = x->err.rc ? x->err.rc : DP_EINVAL;
			snprintf(why, cap, "%.400s: %.500s", x->err.what, x->err.message);
		} else
			*res = sr.res;
		send_result_free(&sr);
	}
	dp_cable_free(&c);
	return r;
}

/* What became of one attempt at an entry (send_entry). */
typedef struct {
	int rc;                 /* DP_OK: accepted (res); else the failure (why) */
	int gone;               /* the entry is no longer there (another process sent or deleted it) */
	int lasting;            /* the failure will not go away by itself: marked failed */
	dp_submit_result res;
	char why[1024];
	char warn[128];         /* its bookkeeping failed ("" if not) */
} entry_outcome;

/*
 * Entry id sent once (drafts/lock held; its draft loaded here, so what is
 * sent is what the store holds now), and its state kept: removed when
 * accepted, else last_error (and failed, for a lasting failure).  Quiet.
 */
static void send_entry(cli_ctx *x, const char *id, entry_outcome *o)
{
	json_t *d;
	int quiet = x->quiet;
	memset(o, 0, sizeof *o);
	int k = draft_load(x, id, &d);
	if (k == DP_ENOTFOUND) {
		o->rc = k;
		o->gone = 1;
		return;
	}
	if (k)
		snprintf(o->why, sizeof o->why, "the draft does not open: %s", dp_strerror(k));
	else {
		x->quiet = 1;
		k = attempt(x, id, d, &o->res, o->why, sizeof o->why);
		x->quiet = quiet;
		json_decref(d);
	}
	o->rc = k;
	if (!k) {
		if (draft_delete(x, id) != DP_OK)
			snprintf(o->warn, sizeof o->warn,
				 "sent, but its draft could not be removed: delete it with `denpo outbox delete`");
		return;
	}
	o->lasting = lasting(k);
	if (draft_state(x, id, -1, NULL, o->why, o->lasting ? o->why : "") != DP_OK)
		snprintf(o->warn, sizeof o->warn, "its state could not be saved");
}

int outbox_flush(cli_ctx *x, int retry_failed, outbox_report *rep)
{
	memset(rep, 0, sizeof *rep);
	rep->results = json_array();
	/* one sender at a time, and the list read under the lock: what another sent is gone from it */
	int r = drafts_lock(x);
	if (r)
		return r;
	json_t *list;
	r = outbox_list(x, &list);
	if (r) {
		drafts_unlock();
		return r;
	}
	for (size_t i = 0; i < json_array_size(list) && !cli_stopping(); i++) {
		const json_t *e = json_array_get(list, i);
		const char *id = json_string_value(json_object_get(e, "id"));
		const char *subj = json_string_value(json_object_get(e, "subject"));
		const char *prec = json_string_value(json_object_get(e, "precedence"));
		if (!id || json_object_get(e, "error") || (json_object_get(e, "failed") && !retry_failed))
			continue;
		entry_outcome oc;
		send_entry(x, id, &oc);
		if (oc.gone)
			continue; /* removed since it was listed: nothing to send, nothing failed */
		int k = oc.rc;
		json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "id", id, "subject", subj ? subj : "", "precedence",
				      prec ? prec : "", "sent", k == DP_OK);
		if (!k) {
			rep->sent++;
			json_object_set_new(o, "cable_id", json_string(oc.res.cable_id));
			json_object_set_new(o, "mrn", json_string(oc.res.mrn));
		} else {
			rep->failed += (size_t)oc.lasting;
			rep->waiting += (size_t)!oc.lasting;
			json_object_set_new(o, "failed", json_boolean(oc.lasting));
			json_object_set_new(o, "error", json_string(oc.why));
		}
		if (oc.warn[0])
			json_object_set_new(o, "warning", json_string(oc.warn));
		json_array_append_new(rep->results, o);
		if (k == DP_ENET)
			break; /* the switch is gone again: the rest wait too */
	}
	drafts_unlock();
	json_decref(list);
	return DP_OK;
}

void outbox_upkeep(cli_ctx *x)
{
	outbox_report rep;
	if (!x->cl || x->offline || !draft_any_queued(x))
		return; /* the common case: nothing waits, and no draft is opened to know it */
	int r = outbox_flush(x, 0, &rep);
	if (r == DP_OK && (rep.sent || rep.failed || rep.waiting) && !x->quiet) {
		if (rep.sent)
			fprintf(stderr, "denpo: sent %zu queued cable%s from the outbox\n", rep.sent,
				rep.sent == 1 ? "" : "s");
		for (size_t i = 0; i < json_array_size(rep.results); i++) {
			const json_t *o = json_array_get(rep.results, i);
			if (json_is_true(json_object_get(o, "sent")))
				continue;
			fprintf(stderr, "denpo: %s queued cable \"%s\": %s\n",
				json_is_true(json_object_get(o, "failed")) ? "REFUSED (kept in the outbox, marked failed)"
									   : "still waiting:",
				json_string_value(json_object_get(o, "subject")),
				json_string_value(json_object_get(o, "error")));
		}
		if (rep.failed)
			fprintf(stderr, "  -> see `denpo outbox`; fix the cause and `denpo outbox retry ID`, or "
					"`denpo outbox delete ID`\n");
	} else if (r && r != DP_EEXISTS && !x->quiet)
		fprintf(stderr, "denpo: warning: cannot send the outbox: %s\n", cli_strerror(x, r));
	outbox_report_free(&rep);
}

/*
 * Draft id, in the outbox already sealed as cable cid (drafts/lock held):
 * sent as the outbox sends it -- its sealed bytes, never sealed anew -- or,
 * the switch out of reach, left waiting.  An exit code.
 */
static int send_in_flight(cli_ctx *x, const char *id, const char *cid, send_result *out)
{
	entry_outcome oc;
	memset(&oc, 0, sizeof oc);
	if (x->offline)
		oc.rc = DP_ENET;
	else
		send_entry(x, id, &oc);
	snprintf(out->cable_id, sizeof out->cable_id, "%s", cid);
	out->sealed = 1;
	if (oc.warn[0])
		json_array_append_new(out->warnings, json_string(oc.warn));
	if (oc.rc == DP_OK) {
		out->res = oc.res;
		return EXIT_OK;
	}
	if (oc.gone)
		return cli_fail(x, DP_ENOTFOUND, "see `denpo sent`",
				"outbox entry %s was sent a moment ago by another denpo process", id);
	if (cli_unreachable(x, oc.rc) || x->offline) {
		out->queued = 1; /* it waits, as it was */
		snprintf(out->draft_id, sizeof out->draft_id, "%s", id);
		return EXIT_OK;
	}
	return cli_fail(x, oc.rc, oc.lasting ? "it is kept in the outbox, marked failed: see `denpo outbox`"
					     : "it waits in the outbox: see `denpo outbox`",
			"cable %s (outbox entry %s) was not sent: %s", cid, id, oc.why);
}

/* outbox_send of a new cable, or of draft draft_id (drafts/lock held) not yet sealed. */
static int send_fresh(cli_ctx *x, const json_t *d, const char *draft_id, send_result *out)
{
	char why[512], id[DRAFT_ID_LEN + 1] = "";
	dp_cable c;
	dp_cable_init(&c);
	c.classification = c.prec_action = c.prec_info = -1;
	int ec, r = draft_cable(x, d, &c, 1, 0, why, sizeof why);
	if (r) {
		ec = cli_fail(x, r, "nothing was sent", "the draft is not ready to send: %s", why);
		goto out;
	}
	out->defer_net = 1;
	if (x->offline)
		x->err.rc = DP_ENET;
	ec = x->offline ? EXIT_ERR : send_cable(x, &c, 0, out);
	if (!ec) {
		if (draft_id && *draft_id && (r = draft_delete(x, draft_id)) && r != DP_ENOTFOUND)
			json_array_append_new(out->warnings, json_string("sent, but its draft could not be removed"));
		goto out;
	}
	if (!cli_unreachable(x, x->err.rc) && !x->offline)
		goto out; /* reported (recorded in x->err) */
	/* the switch cannot be reached: kept, queued (with its sealed bytes if it got that far) */
	if (draft_id && *draft_id) {
		snprintf(id, sizeof id, "%s", draft_id);
		r = draft_save(x, d, id, why, sizeof why);
		if (!r && (r = draft_state(x, id, 1, out->sealed ? out->cable_id : NULL, NULL, NULL)))
			snprintf(why, sizeof why, "cannot mark the draft queued: %s", cli_strerror(x, r));
	} else
		r = outbox_queue(x, &c, out->sealed ? out->cable_id : NULL, id, why, sizeof why);
	if (r) {
		ec = cli_fail(x, r, "nothing was sent or queued", "cannot queue the cable: %s", why);
		goto out;
	}
	out->queued = 1;
	snprintf(out->draft_id, sizeof out->draft_id, "%s", id);
	ec = EXIT_OK;
out:
	dp_cable_free(&c);
	return ec;
}

int outbox_send(cli_ctx *x, const json_t *d, const char *draft_id, send_result *out)
{
	if (!draft_id || !*draft_id)
		return send_fresh(x, d, NULL, out);
	/* a draft: under the lock, so a flush elsewhere never sends it at the same time */
	int r = drafts_lock(x);
	if (r)
		return cli_fail(x, r, r == DP_EEXISTS ? "nothing was sent" : NULL, "%s",
				r == DP_EEXISTS ? drafts_busy() : "cannot lock the drafts");
	json_t *kept = NULL;
	int k = draft_load(x, draft_id, &kept);
	const char *cid = k == DP_OK ? draft_in_flight(x, kept) : NULL;
	int ec;
	if (k == DP_ENOTFOUND)
		ec = cli_fail(x, k, "nothing was sent; see `denpo sent` and `denpo outbox`",
			      "draft %s is no longer on this device (sent from the outbox a moment ago, or deleted)",
			      draft_id);
	else if (cid && !draft_same(d, kept))
		ec = cli_fail(x, DP_ESTATE, "nothing was sent", "draft %s was not sent with these changes: " DRAFT_SEALED_WHY,
			      draft_id, cid);
	else if (cid)
		ec = send_in_flight(x, draft_id, cid, out);
	else
		ec = send_fresh(x, d, draft_id, out);
	json_decref(kept);
	drafts_unlock();
	return ec;
}
