/*
 * denpo/outbox.c - cables waiting for the switch (contract in denpo/outbox.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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

/* The sealed bytes of cable id exist (an earlier attempt got that far). */
static int sealed(cli_ctx *x, const char *id)
{
	char p[PATH_MAX], name[64];
	snprintf(name, sizeof name, "sent/%.32s.cable", id);
	cli_path(x, p, name);
	return access(p, F_OK) == 0;
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
		dp_random(raw, sizeof raw);
		dp_hex_encode(cid, raw, sizeof raw);
		if ((r = draft_state(x, id, -1, cid, NULL, NULL))) {
			snprintf(why, cap, "cannot update the outbox: %s", cli_strerror(x, r));
			return r;
		}
	}
	if (sealed(x, cid)) {
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

int outbox_flush(cli_ctx *x, int retry_failed, outbox_report *rep)
{
	memset(rep, 0, sizeof *rep);
	rep->results = json_array();
	json_t *list;
	int r = outbox_list(x, &list);
	if (r)
		return r;
	if (json_array_size(list) == 0) {
		json_decref(list);
		return DP_OK;
	}
	/* one sender at a time: two would seal one entry twice */
	char dir[PATH_MAX], lp[PATH_MAX];
	cli_path(x, dir, "drafts");
	cli_path(x, lp, "drafts/lock");
	int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (fd >= 0)
			close(fd);
		json_decref(list);
		return fd < 0 ? DP_EIO : DP_EEXISTS;
	}
	int quiet = x->quiet;
	x->quiet = 1;
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *e = json_array_get(list, i);
		const char *id = json_string_value(json_object_get(e, "id"));
		const char *subj = json_string_value(json_object_get(e, "subject"));
		const char *prec = json_string_value(json_object_get(e, "precedence"));
		if (!id || json_object_get(e, "error") || (json_object_get(e, "failed") && !retry_failed))
			continue;
		json_t *d;
		char why[1024] = "";
		dp_submit_result res;
		int k = draft_load(x, id, &d);
		if (k) {
			snprintf(why, sizeof why, "the draft does not open: %s", dp_strerror(k));
		} else {
			k = attempt(x, id, d, &res, why, sizeof why);
			json_decref(d);
		}
		json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "id", id, "subject", subj ? subj : "", "precedence",
				      prec ? prec : "", "sent", k == DP_OK);
		if (!k) {
			rep->sent++;
			json_object_set_new(o, "cable_id", json_string(res.cable_id));
			json_object_set_new(o, "mrn", json_string(res.mrn));
			if (draft_delete(x, id) != DP_OK)
				json_object_set_new(o, "warning", json_string("sent, but its draft could not be removed: "
									       "delete it with `denpo outbox delete`"));
		} else {
			int fail = lasting(k);
			rep->failed += (size_t)fail;
			rep->waiting += (size_t)!fail;
			json_object_set_new(o, "failed", json_boolean(fail));
			json_object_set_new(o, "error", json_string(why));
			if (draft_state(x, id, -1, NULL, why, fail ? why : "") != DP_OK)
				json_object_set_new(o, "warning", json_string("its state could not be saved"));
		}
		json_array_append_new(rep->results, o);
		if (k == DP_ENET)
			break; /* the switch is gone again: the rest wait too */
	}
	x->quiet = quiet;
	flock(fd, LOCK_UN);
	close(fd);
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

int outbox_send(cli_ctx *x, const json_t *d, const char *draft_id, send_result *out)
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
