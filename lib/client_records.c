/*
 * lib/client_records.c - the archive's acts as a records device asks for
 * them (include/denpo/records.h, docs/api.md "The archive's acts"):
 * POST /v1/records and GET /v1/records/state, and the one parser of both
 * answers.  The parser is pure (bytes in, struct out, why on failure, as
 * lib/client.c's); the request functions only do HTTP and then parse.  The
 * answer comes from a switch the device does not trust: every string is
 * bounded and clean, every handle a handle, every time a time, and a state
 * that no sequence of acts could make (a hold without its holder, a
 * declassification without its approver) is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client_int.h"
#include "denpo/encoding.h"
#include "denpo/records.h"

#define RECORDS_ANSWER_MAX 16384 /* a state with a 512-byte reason, JSON-escaped: well under */
/* ... with a checkpoint and DP_RECORDS_ENTRIES_MAX entries of ~0.7 KiB, each with a proof of ~3 KiB */
#define RECORDS_LOG_ANSWER_MAX (2u << 20)

/* "" or an officer handle. */
static int jhandle(json_t *o, const char *k, char out[DP_NAME_MAX + 1])
{
	if (dp_client_jstr(o, k, out, DP_NAME_MAX + 1) || (out[0] && !dp_handle_ok(out)))
		return dp_client_refuse(k);
	return DP_OK;
}

/* 0 (not so) or a time an act can have */
static int jtime(json_t *o, const char *k, int64_t *out)
{
	return dp_client_jint(o, k, 0, DP_CREATED_MAX, out);
}

/* A name and its time are set together, or neither: the only states dp_records_apply makes. */
static int paired(const char *who, int64_t t, const char *k)
{
	return (who[0] != 0) == (t != 0) ? DP_OK : dp_client_refuse(k);
}

static int jstate(json_t *j, dp_records_state *st)
{
	json_t *o = json_object_get(j, "state");
	if (!json_is_object(o))
		return dp_client_refuse("state");
	int r = jhandle(o, "proposed_by", st->proposed_by);
	r = r ? r : jtime(o, "proposed_at", &st->proposed_at);
	r = r ? r : jhandle(o, "approved_by", st->approved_by);
	r = r ? r : jtime(o, "declassified_at", &st->declassified_at);
	r = r ? r : jhandle(o, "held_by", st->held_by);
	r = r ? r : jtime(o, "held_at", &st->held_at);
	r = r ? r : dp_client_jstr(o, "hold_reason", st->hold_reason, sizeof st->hold_reason);
	r = r ? r : jhandle(o, "destroyed_by", st->destroyed_by);
	r = r ? r : jtime(o, "destroyed_at", &st->destroyed_at);
	r = r ? r : jhandle(o, "destroy_proposed_by", st->destroy_proposed_by);
	r = r ? r : jtime(o, "destroy_proposed_at", &st->destroy_proposed_at);
	r = r ? r : dp_client_jstr(o, "destroy_detail", st->destroy_detail, sizeof st->destroy_detail);
	r = r ? r : paired(st->destroy_proposed_by, st->destroy_proposed_at, "destroy_proposed_at");
	r = r ? r : paired(st->proposed_by, st->proposed_at, "proposed_at");
	r = r ? r : paired(st->approved_by, st->declassified_at, "declassified_at");
	r = r ? r : paired(st->held_by, st->held_at, "held_at");
	r = r ? r : paired(st->destroyed_by, st->destroyed_at, "destroyed_at");
	if (!r && !st->held_by[0] && st->hold_reason[0])
		r = dp_client_refuse("hold_reason"); /* a reason without a hold */
	if (!r && st->approved_by[0] && !st->proposed_by[0])
		r = dp_client_refuse("approved_by"); /* approved, never proposed */
	/* destruction: proposed with its detail, then done by a second officer */
	if (!r && (st->destroy_proposed_by[0] != 0) != (st->destroy_detail[0] != 0))
		r = dp_client_refuse("destroy_detail");
	if (!r && st->destroyed_by[0] &&
	    (!st->destroy_proposed_by[0] || !strcmp(st->destroyed_by, st->destroy_proposed_by)))
		r = dp_client_refuse("destroyed_by"); /* one officer's destruction */
	return r;
}

void dp_records_answer_free(dp_records_answer *a)
{
	if (a->log)
		dp_log_view_free(a->log);
	free(a->log);
	for (size_t i = 0; a->entries && i < a->nentries; i++)
		free(a->entries[i].entry);
	free(a->entries);
	a->log = NULL;
	a->entries = NULL;
	a->nentries = 0;
}

/*
 * "entries": at most DP_RECORDS_ENTRIES_MAX, in strictly increasing log
 * order, each an entry with its proof or {"index"} alone (not under the
 * checkpoint yet: present 0).
 */
static int jentries(json_t *j, dp_records_answer *out)
{
	json_t *a = json_object_get(j, "entries");
	if (!json_is_array(a) || json_array_size(a) > DP_RECORDS_ENTRIES_MAX)
		return dp_client_refuse("entries");
	size_t n = json_array_size(a);
	out->entries = calloc(n ? n : 1, sizeof *out->entries);
	if (!out->entries)
		return DP_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(a, i);
		dp_log_incl *in = &out->entries[i];
		int64_t idx;
		int r = json_is_object(v) && !json_object_get(v, "entry") && json_object_size(v) == 1
				? dp_client_jint(v, "index", 0, INT64_MAX, &idx)
				: dp_client_jincl(v, "entries", in);
		out->nentries = i + 1;
		if (r)
			return r;
		if (!in->present)
			in->index = (uint64_t)idx;
		if (i && in->index <= out->entries[i - 1].index)
			return dp_client_refuse("entries"); /* out of log order, or twice */
	}
	return DP_OK;
}

int dp_client_parse_records(const uint8_t *body, size_t len, int how, dp_records_answer *out,
			    char *why, size_t whycap)
{
	int with_index = how == DP_RECORDS_ANS_ACT;
	const char *what = with_index ? "records act" : "records state";
	memset(out, 0, sizeof *out);
	out->index = -1;
	if (how < DP_RECORDS_ANS_STATE || how > DP_RECORDS_ANS_LOG)
		return DP_EINVAL;
	json_t *j;
	char name[32];
	int64_t idx = -1;
	int r = dp_client_parse_obj(body, len, what, &j, why, whycap);
	if (r)
		return r;
	if (with_index) {
		if (dp_client_jstr(j, "act", name, sizeof name) || dp_records_act_parse(name, &out->act))
			r = dp_client_refuse("act");
		else
			r = dp_client_jint(j, "index", 0, INT64_MAX, &idx);
		out->index = idx;
	}
	/* the reference: every state answer has one; an act's exactly when it names a cable */
	int want_ref = !with_index || (out->act && dp_records_act_has_cable(out->act));
	if (!r && (want_ref || json_object_get(j, "reference")) &&
	    (!want_ref || dp_client_jstr(j, "reference", out->reference, sizeof out->reference) ||
	     !dp_mrn_ok(out->reference)))
		r = dp_client_refuse("reference");
	if (!r)
		r = jstate(j, &out->state);
	if (!r && how == DP_RECORDS_ANS_LOG) {
		/* the proofs were asked for: a log and the entries, never silently none */
		out->log = calloc(1, sizeof *out->log);
		r = !out->log ? DP_ENOMEM : dp_client_jlog(j, out->log);
		if (!r && !out->log->present)
			r = dp_client_refuse("log");
		if (!r)
			r = jentries(j, out);
	}
	json_decref(j);
	if (r) {
		dp_records_answer_free(out);
		memset(out, 0, sizeof *out);
		out->index = -1;
		return r == DP_ENOMEM ? r : dp_client_malformed(why, whycap, what);
	}
	return DP_OK;
}

static int hex_id(const char *id)
{
	uint8_t b[DP_CABLE_ID];
	return id && strlen(id) == 2 * DP_CABLE_ID && dp_hex_decode(b, sizeof b, id, strlen(id)) == DP_OK;
}

/* The answer's bytes parsed into out; a malformed one is said by dp_client_message. */
static int parse_into(dp_client *c, const dp_buf *b, int how, dp_records_answer *out)
{
	char why[DP_CLIENT_MSG_MAX];
	int r = dp_client_parse_records(b->p, b->len, how, out, why, sizeof why);
	if (r)
		dp_client_set_msg(c, why);
	return r;
}

/* POST /v1/records with body o (taken) for act; the answer parsed into out. */
static int post_act(dp_client *c, int act, json_t *o, dp_records_answer *out)
{
	char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!body)
		return DP_ENOMEM;
	dp_buf b;
	dp_buf_init(&b, RECORDS_ANSWER_MAX);
	int r = dp_client_post_raw(c, "/v1/records", body, strlen(body), &b);
	free(body);
	if (!r)
		r = parse_into(c, &b, DP_RECORDS_ANS_ACT, out);
	dp_buf_free(&b);
	if (!r && out->act != act) {
		dp_client_set_msg(c, "the switch's records act answer names another act than the one "
				     "asked for");
		memset(out, 0, sizeof *out);
		out->index = -1;
		r = DP_EPROTO;
	}
	return r;
}

int dp_client_records_act(dp_client *c, int act, const char *cable_id, const char *detail,
			  dp_records_answer *out)
{
	memset(out, 0, sizeof *out);
	out->index = -1;
	int has_cable = dp_records_act_has_cable(act);
	if (act < DP_REC_READ || act > DP_REC_ACT_MAX || has_cable != hex_id(cable_id) ||
	    (!has_cable && cable_id) || (detail && strlen(detail) > DP_RECORDS_DETAIL_MAX))
		return DP_EINVAL;
	json_t *o = json_pack("{s:s}", "act", dp_records_act_name(act));
	if (o && has_cable)
		json_object_set_new(o, "cable", json_string(cable_id));
	if (o && detail && detail[0])
		json_object_set_new(o, "detail", json_string(detail));
	return post_act(c, act, o, out);
}

int dp_client_records_search(dp_client *c, const char *query, const char *const *ids, size_t n,
			     dp_records_answer *out)
{
	memset(out, 0, sizeof *out);
	out->index = -1;
	if (!query || strlen(query) > DP_RECORDS_DETAIL_MAX || n > DP_RECORDS_SEARCH_MAX || (n && !ids))
		return DP_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!hex_id(ids[i]))
			return DP_EINVAL;
	json_t *o = json_pack("{s:s, s:s, s:[]}", "act", dp_records_act_name(DP_REC_SEARCH), "detail", query,
			      "cables");
	json_t *l = json_object_get(o, "cables");
	for (size_t i = 0; l && i < n; i++)
		if (json_array_append_new(l, json_string(ids[i]))) {
			json_decref(o);
			return DP_ENOMEM;
		}
	return post_act(c, DP_REC_SEARCH, o, out);
}

/* GET /v1/records/state for cable_id, with log_size=m when with_log. */
static int state_get(dp_client *c, const char *cable_id, int with_log, uint64_t m,
		     dp_records_answer *out)
{
	memset(out, 0, sizeof *out);
	out->index = -1;
	if (!hex_id(cable_id) || m > INT64_MAX)
		return DP_EINVAL;
	char path[128];
	if (with_log)
		snprintf(path, sizeof path, "/v1/records/state?cable=%s&log_size=%llu", cable_id,
			 (unsigned long long)m);
	else
		snprintf(path, sizeof path, "/v1/records/state?cable=%s", cable_id);
	dp_buf b;
	dp_buf_init(&b, with_log ? RECORDS_LOG_ANSWER_MAX : RECORDS_ANSWER_MAX);
	int r = dp_client_get_raw(c, path, &b);
	if (!r)
		r = parse_into(c, &b, with_log ? DP_RECORDS_ANS_LOG : DP_RECORDS_ANS_STATE, out);
	dp_buf_free(&b);
	return r;
}

int dp_client_records_state(dp_client *c, const char *cable_id, dp_records_answer *out)
{
	return state_get(c, cable_id, 0, 0, out);
}

int dp_client_records_state_log(dp_client *c, const char *cable_id, uint64_t log_size,
				dp_records_answer *out)
{
	return state_get(c, cable_id, 1, log_size, out);
}

/* ---- GET /v1/records/changes ---- */

#define CHANGES_ANSWER_MAX (DP_RECORDS_CHANGES_MAX * 2048u) /* a state with two texts of 512 bytes, escaped */

void dp_records_changes_free(dp_records_changes *c)
{
	free(c->changes);
	memset(c, 0, sizeof *c);
}

static int jchange(json_t *v, int64_t after, dp_records_change *ch)
{
	if (!json_is_object(v))
		return dp_client_refuse("changes");
	int r = dp_client_jstr(v, "cable", ch->cable_id, sizeof ch->cable_id);
	if (r || !hex_id(ch->cable_id))
		return dp_client_refuse("cable");
	for (const char *p = ch->cable_id; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			return dp_client_refuse("cable"); /* as the switch writes it: lower case */
	if (after == INT64_MAX)
		return dp_client_refuse("index");
	r = dp_client_jint(v, "index", after + 1, INT64_MAX, &ch->index);
	if (r)
		return r;
	if (dp_client_jstr(v, "reference", ch->reference, sizeof ch->reference) || !dp_mrn_ok(ch->reference))
		return dp_client_refuse("reference");
	return jstate(v, &ch->state);
}

int dp_client_parse_records_changes(const uint8_t *body, size_t len, int64_t after,
				    dp_records_changes *out, char *why, size_t whycap)
{
	static const char what[] = "records changes";
	memset(out, 0, sizeof *out);
	if (after < 0)
		return DP_EINVAL;
	json_t *j;
	int r = dp_client_parse_obj(body, len, what, &j, why, whycap);
	if (r)
		return r;
	json_t *a = json_object_get(j, "changes"), *more = json_object_get(j, "more");
	size_t n = json_is_array(a) ? json_array_size(a) : 0;
	if (!json_is_array(a) || n > DP_RECORDS_CHANGES_MAX)
		r = dp_client_refuse("changes");
	else if (!json_is_boolean(more) || (json_is_true(more) && n != DP_RECORDS_CHANGES_MAX))
		r = dp_client_refuse("more"); /* more only after a full page */
	else if (!(out->changes = calloc(n ? n : 1, sizeof *out->changes)))
		r = DP_ENOMEM;
	int64_t last = after;
	for (size_t i = 0; !r && i < n; i++) {
		r = jchange(json_array_get(a, i), last, &out->changes[i]);
		if (!r)
			last = out->changes[i].index; /* strictly increasing: each cable once */
		out->n = i + 1;
	}
	if (!r)
		r = dp_client_jint(j, "next", after, INT64_MAX, &out->next);
	if (!r && out->next != last)
		r = dp_client_refuse("next");
	out->more = json_is_true(more);
	json_decref(j);
	if (r) {
		dp_records_changes_free(out);
		return r == DP_ENOMEM ? r : dp_client_malformed(why, whycap, what);
	}
	return DP_OK;
}

int dp_client_records_changes(dp_client *c, int64_t after, dp_records_changes *out)
{
	memset(out, 0, sizeof *out);
	if (after < 0)
		return DP_EINVAL;
	char path[64], why[DP_CLIENT_MSG_MAX];
	snprintf(path, sizeof path, "/v1/records/changes?after=%lld", (long long)after);
	dp_buf b;
	dp_buf_init(&b, CHANGES_ANSWER_MAX);
	int r = dp_client_get_raw(c, path, &b);
	if (!r && (r = dp_client_parse_records_changes(b.p, b.len, after, out, why, sizeof why)))
		dp_client_set_msg(c, why);
	dp_buf_free(&b);
	return r;
}
