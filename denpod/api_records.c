/*
 * denpod/api_records.c - the archive's acts (docs/api.md, "The archive's
 * acts"; include/denpo/records.h):
 *
 *   POST /v1/records             a records device asks for an act (read, search,
 *       export, declassify-propose, declassify-approve, hold, release, destroy):
 *       the switch applies the one rule of the acts (dp_records_apply) to the
 *       cable's state it keeps and, in one transaction, stores the new state
 *       and appends a `records` entry to the log; only then does it answer,
 *       with the entry's index.  The archive decrypts or acts after that answer.
 *   GET /v1/records/state?cable=hex32   the state the switch keeps of a record copy.
 *   GET /v1/records/changes?after=N     the cables of this device whose state an
 *       act changed at a log index > N, with their states (a records device's sync).
 *
 * Only an active device of an active officer holding the role RECORDS may
 * call them (403 denied otherwise); an act on a cable, or its state, only
 * for a cable this device is a recipient of (404, as for any cable a device
 * may not see: a non-recipient does not learn that it exists).
 *
 * The rule is applied on the writer thread, to the state read inside the
 * batch's transaction: two records officers acting on one cable at once are
 * judged one after the other (the second approval of a proposal finds it
 * approved), and a refused act leaves neither state nor entry behind.
 *
 * Detection (docs/detection.md §1): the handler tells detection itself, once
 * the body says which act on which cable (route row feed DPD_FEED_SELF).  A
 * read or an export is a FETCH of the cable by the device, read back from
 * the archive (a re-fetch, never a delivery), so a records device sweeping
 * the archive meets the same bulk and sweep rules and the same containment
 * as any device; an act on a cable the device did not receive is
 * NOT_ADDRESSED; a search is one SEARCH of as many copies as its "cables"
 * names (each checked received, each logged as a read entry of its own);
 * any other act is OTHER.  The archive's ingest (GET
 * /v1/cables/{id}, each new cable once) is a delivery, which no bulk rule
 * counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "denpo/encoding.h"
#include "denpo/logentry.h"
#include "denpo/num.h"
#include "denpo/records.h"
#include "denpod/api.h"
#include "denpod/detect_srv.h"
#include "denpod/op.h"
#include "denpod/policy.h"
#include "denpod/query.h"
#include "denpod/server.h"

/*
 * {"act", "cable", "detail" of at most 512}, or a search's {"act", "detail",
 * "cables": DP_RECORDS_SEARCH_MAX ids of 34 bytes and a comma}: 500 x 35 =
 * 17,500 bytes, with room for whitespace.
 */
#define RECORDS_BODY_MAX 32768
#define STR_(x) #x
#define XSTR(x) STR_(x)

/* ---- what both endpoints check ---- */

/* 0 if the caller may ask for the archive's acts; else answered 403 and -1. */
static int refuse_non_records(const dpd_call *c)
{
	if (dpp_is_records_officer(c->me, c->srv->cfg.records_post))
		return 0;
	char msg[400];
	snprintf(msg, sizeof msg, "officer %s is not a records officer (the role " DP_RECORDS_ROLE " at "
				  "the switch's records post): only a records officer's device may ask "
				  "for the archive's acts (the switch operator gives the role: denpod "
				  "officer add ... --roles " DP_RECORDS_ROLE ")",
		 c->me->handle);
	dpd_reply_error(c->rq, 403, DP_EDENIED, msg);
	return -1;
}

/* Tells detection of the request (records.h: the archive's acts are requests like any). */
static int feed(const dpd_call *c, int kind, const dps_cable *cable)
{
	dp_det_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = kind;
	ev.cable_seq = -1;
	if (cable) {
		ev.cable_seq = cable->seq;
		ev.cable_accepted = cable->accepted;
		ev.decoy = cable->decoy;
	}
	/* a read from the archive is read back: never a delivery, always a re-fetch */
	ev.refetch = kind == DP_DET_FETCH;
	return dpd_det_request(c->srv, c->rq, &ev);
}

/*
 * The cable id[] that the caller's device is a recipient of, into *cable.
 * 0; DP_ENOTFOUND (told to detection as NOT_ADDRESSED, nothing answered),
 * or answered (503, detection's refusal) and -1.
 */
static int lookup_cable(const dpd_call *c, const uint8_t id[DP_CABLE_ID], dps_cable *cable)
{
	dps_rcpt rc;
	int r = dps_cable_get(c->srv->store, id, cable);
	if (!r)
		r = dps_rcpt_get(c->srv->store, cable->seq, c->dev->id, &rc);
	if (r == DP_ENOTFOUND) /* enumeration, or a decoy of another device's archive: as GET /v1/cables/{id} */
		return feed(c, DP_DET_NOT_ADDRESSED, cable->seq > 0 ? cable : NULL) ? -1 : DP_ENOTFOUND;
	if (r) {
		dpd_reply_error(c->rq, dpd_http_status(r), r, "cannot read the cable; retry");
		return -1;
	}
	return 0;
}

/*
 * The cable of hex (32 hex digits) that the caller's device is a recipient
 * of, into *cable; det_kind: what detection is told of a cable it may see.
 * 0, or answered (400, 404, 503, detection's refusal) and -1.
 */
static int own_cable(const dpd_call *c, const char *hex, int det_kind, dps_cable *cable)
{
	uint8_t id[DP_CABLE_ID];
	if (!hex || strlen(hex) != 2 * DP_CABLE_ID || dp_hex_decode(id, DP_CABLE_ID, hex, strlen(hex))) {
		dpd_reply_error(c->rq, 400, DP_EPARSE, "\"cable\" is the cable's id: 32 hex digits");
		return -1;
	}
	int r = lookup_cable(c, id, cable);
	if (r == DP_ENOTFOUND)
		dpd_reply_error(c->rq, 404, DP_ENOTFOUND, "no such cable for this device (the archive "
							  "acts on the cables its device received)");
	if (r)
		return -1;
	return feed(c, det_kind, cable) ? -1 : 0;
}

static json_t *state_json(const dp_records_state *s)
{
	return json_pack("{s:s, s:I, s:s, s:I, s:s, s:I, s:s, s:s, s:I, s:s, s:I, s:s}", "proposed_by",
			 s->proposed_by, "proposed_at", (json_int_t)s->proposed_at, "approved_by",
			 s->approved_by, "declassified_at", (json_int_t)s->declassified_at, "held_by",
			 s->held_by, "held_at", (json_int_t)s->held_at, "hold_reason", s->hold_reason,
			 "destroyed_by", s->destroyed_by, "destroyed_at", (json_int_t)s->destroyed_at,
			 "destroy_proposed_by", s->destroy_proposed_by, "destroy_proposed_at",
			 (json_int_t)s->destroy_proposed_at, "destroy_detail", s->destroy_detail);
}

/* ---- POST /v1/records ---- */

/* A search's candidate: a cable the device received, its MRN (the read entry's Reference). */
struct search_cand {
	uint8_t id[DP_CABLE_ID];
	char mrn[DPS_MRN_MAX + 1];
};

struct op_records {
	dpd_op op;
	int act, has_cable;
	uint8_t cable_id[DP_CABLE_ID];
	uint8_t device[DP_ED25519_PK];
	char mrn[DPS_MRN_MAX + 1];
	char officer[DP_NAME_MAX + 1];
	char detail[DP_RECORDS_DETAIL_MAX + 1];
	dp_records_state state;   /* out: the state after the act */
	char why[DP_RECORDS_WHY]; /* out: dp_records_apply's refusal */
	/* a search: the query's digest (hex), its candidates, the first read entry's index (out) */
	char query[2 * DP_SHA256 + 1];
	size_t ncand;
	int64_t first_read;
	struct search_cand cand[];
};

/*
 * The act on cable id (NULL: none) by k's officer: the rule applied to
 * the state kept (stored if changed, into *after), then its records entry
 * with text, its index into *idx.  DP_OK or the rule's refusal in k->why.
 */
static int act_entry(dps_store *st, dpl_enc *x, struct op_records *k, int64_t t, const char *addr,
		     int act, const uint8_t *id, const char *mrn, const char *text,
		     dp_records_state *after, uint64_t *idx)
{
	dp_records_state before;
	int r = DP_OK;
	memset(after, 0, sizeof *after);
	if (id)
		r = dps_records_get(st, id, after);
	before = *after;
	if (!r)
		r = dp_records_apply(id ? after : NULL, act, k->officer, t, text, k->why, sizeof k->why);
	if (!r && id && !dps_records_same(&before, after))
		r = dps_records_put(st, id, after, t);
	if (r)
		return r;
	dp_logent *e = dpl_ent(x, DP_LOG_RECORDS, t);
	memcpy(e->device, k->device, DP_ED25519_PK);
	snprintf(e->officer, sizeof e->officer, "%s", k->officer);
	snprintf(e->act, sizeof e->act, "%s", dp_records_act_name(act));
	if (id) {
		memcpy(e->cable_id, id, DP_CABLE_ID);
		snprintf(e->mrn, sizeof e->mrn, "%.*s", (int)sizeof e->mrn - 1, mrn); /* dp_mrn_ok */
	}
	snprintf(e->text, sizeof e->text, "%s", text);
	dpl_source(e, addr);
	r = dpl_put(st, x, idx);
	if (!r && id) /* GET /v1/records/state finds the cable's entries by it */
		r = dps_records_log_add(st, id, (int64_t)*idx, act);
	return r;
}

/*
 * A search: its `search` entry (Detail the query's digest and the count,
 * written here), then a `read` entry of each candidate (Detail "search"
 * and the digest's first 16 hex digits), all in the op's savepoint: every
 * entry or none.  A candidate the rule refuses (destroyed) refuses all.
 */
static int search_write(dps_store *st, dpl_enc *x, dpd_op *op, struct op_records *k, int *logged)
{
	char text[DP_RECORDS_DETAIL_MAX + 1], rd[32];
	dp_records_state cs;
	uint64_t idx;
	snprintf(text, sizeof text, "query sha256:%s over %zu", k->query, k->ncand);
	int r = act_entry(st, x, k, op->t, op->addr, DP_REC_SEARCH, NULL, NULL, text, &k->state, &idx);
	if (r)
		return r;
	int n = 1; /* added to *logged once all are in */
	snprintf(rd, sizeof rd, "search %.16s", k->query);
	for (size_t i = 0; i < k->ncand; i++) {
		uint64_t ri;
		r = act_entry(st, x, k, op->t, op->addr, DP_REC_READ, k->cand[i].id, k->cand[i].mrn, rd, &cs,
			      &ri);
		if (r) {
			char why[DP_RECORDS_WHY];
			snprintf(why, sizeof why, "%s", k->why);
			snprintf(k->why, sizeof k->why, "candidate %.40s: %.100s (leave it out of the search)",
				 k->cand[i].mrn, why);
			return r;
		}
		if (!i)
			k->first_read = (int64_t)ri;
		n++;
	}
	op->log_idx = (int64_t)idx;
	*logged += n;
	return DP_OK;
}

static int records_write(dps_store *st, dpl_enc *x, dpd_op *op, int *logged)
{
	struct op_records *k = DPD_OP_OF(op, struct op_records);
	if (k->act == DP_REC_SEARCH)
		return search_write(st, x, op, k, logged);
	uint64_t idx;
	int r = act_entry(st, x, k, op->t, op->addr, k->act, k->has_cable ? k->cable_id : NULL, k->mrn,
			  k->detail, &k->state, &idx);
	if (!r) {
		op->log_idx = (int64_t)idx;
		(*logged)++;
	}
	return r;
}

static void records_answer(dpd_server *srv, dpd_op *op)
{
	(void)srv;
	struct op_records *k = DPD_OP_OF(op, struct op_records);
	int r = op->result;
	if (r == DP_ESTATE || r == DP_EDENIED || r == DP_EINVAL) {
		/* the rule's refusal, saying what to do */
		dpd_req_release(&op->rq);
		dpd_reply_error(&op->rq, dpd_http_status(r), r,
				k->why[0] ? k->why : "the record copy's state forbids that act");
		return;
	}
	if (dpd_op_refused(op))
		return;
	json_t *j = json_pack("{s:s, s:I, s:o}", "act", dp_records_act_name(k->act), "index",
			      (json_int_t)op->log_idx, "state", state_json(&k->state));
	if (j && k->has_cable)
		json_object_set_new(j, "reference", json_string(k->mrn));
	json_t *reads = j && k->act == DP_REC_SEARCH ? json_array() : NULL;
	for (size_t i = 0; reads && i < k->ncand; i++) /* one transaction: consecutive */
		json_array_append_new(reads, json_integer((json_int_t)(k->first_read + (int64_t)i)));
	if (reads)
		json_object_set_new(j, "reads", reads);
	dpd_reply_json(&op->rq, 200, dpd_op_with_log(j, op));
}

const dpd_op_type dpd_op_records = {"RECORDS", records_write, records_answer, NULL, NULL};

/* An act's detail as the log takes it: "" (none) or 1..512 printable ASCII, no edge space. */
static int detail_ok(const char *s, size_t n)
{
	if (n == 0)
		return 1;
	if (n > DP_RECORDS_DETAIL_MAX || s[0] == ' ' || s[n - 1] == ' ')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* The fields of an act's body. */
static int known_field(const char *key)
{
	static const char *const fields[] = {"act", "cable", "detail", "cables"};
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
		if (strcmp(key, fields[i]) == 0)
			return 1;
	return 0;
}

/* A search's detail: "query sha256:" and 16 to 64 lowercase hex digits; the digits into query. */
static int search_query(const char *d, char query[2 * DP_SHA256 + 1])
{
	static const char pre[] = "query sha256:";
	size_t n = strlen(d), k = sizeof pre - 1;
	if (n < k + 16 || n > k + 2 * DP_SHA256 || strncmp(d, pre, k) != 0 ||
	    strspn(d + k, "0123456789abcdef") != n - k)
		return -1;
	snprintf(query, 2 * DP_SHA256 + 1, "%s", d + k);
	return 0;
}

/*
 * A search's "cables": an array of at most DP_RECORDS_SEARCH_MAX distinct
 * cable ids (32 hex digits), decoded into *ids (malloc'd, *n; NULL when
 * empty).  NULL, or what is wrong.
 */
static const char *search_cables(json_t *a, uint8_t (**ids)[DP_CABLE_ID], size_t *n)
{
	*ids = NULL;
	*n = 0;
	if (!json_is_array(a))
		return "a search names its candidates: give \"cables\", the ids (32 hex digits) of the "
		       "record copies it will decrypt ([] when the metadata matched none)";
	size_t m = json_array_size(a);
	if (m > DP_RECORDS_SEARCH_MAX)
		return "a search decrypts at most " XSTR(DP_RECORDS_SEARCH_MAX) " record copies: narrow it "
		       "by --post, --tag, --since, --until or --mrn";
	if (!m)
		return NULL;
	uint8_t(*v)[DP_CABLE_ID] = calloc(m, DP_CABLE_ID);
	if (!v)
		return "out of memory; retry";
	for (size_t i = 0; i < m; i++) {
		json_t *e = json_array_get(a, i);
		const char *h = json_string_value(e);
		if (!h || json_string_length(e) != 2 * DP_CABLE_ID || strlen(h) != 2 * DP_CABLE_ID ||
		    dp_hex_decode(v[i], DP_CABLE_ID, h, strlen(h))) {
			free(v);
			return "each of \"cables\" is a cable's id: 32 hex digits";
		}
		for (size_t j = 0; j < i; j++)
			if (memcmp(v[i], v[j], DP_CABLE_ID) == 0) {
				free(v);
				return "\"cables\" names a cable twice: name each candidate once";
			}
	}
	*ids = v;
	*n = m;
	return NULL;
}

/*
 * The request's act, cable (NULL for search) and detail, and a search's
 * query digest and candidates (*ids malloc'd, *nids); 0, or answered 400
 * and -1.
 */
static int parse_body(const dpd_call *c, int *act, char cable[2 * DP_CABLE_ID + 1],
		      char detail[DP_RECORDS_DETAIL_MAX + 1], char query[2 * DP_SHA256 + 1],
		      uint8_t (**ids)[DP_CABLE_ID], size_t *nids)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(c->rq->req);
	size_t n = evbuffer_get_length(in);
	const char *msg = NULL;
	json_t *j = NULL;
	*ids = NULL;
	*nids = 0;
	if (n > RECORDS_BODY_MAX)
		msg = "the body is over 32768 bytes: an act is {\"act\", \"cable\", \"detail\"} with a "
		      "detail of at most 512 characters, a search {\"act\", \"detail\", \"cables\"} of at "
		      "most " XSTR(DP_RECORDS_SEARCH_MAX) " ids";
	else if (!n || !(j = json_loadb((const char *)evbuffer_pullup(in, -1), n,
					 JSON_REJECT_DUPLICATES, NULL)) || !json_is_object(j))
		msg = "give a JSON object {\"act\": \"read\", \"cable\": \"<32 hex digits>\", \"detail\": "
		      "\"...\"} (docs/api.md, \"The archive's acts\")";
	json_t *ja = json_object_get(j, "act"), *jc = json_object_get(j, "cable"),
	       *jd = json_object_get(j, "detail"), *jl = json_object_get(j, "cables");
	const char *key;
	json_t *v;
	if (!msg)
		json_object_foreach(j, key, v)
			if (!known_field(key))
				msg = "unknown field: an act has only \"act\", \"cable\" and \"detail\" (a "
				      "search \"act\", \"detail\" and \"cables\")";
	if (!msg && (!json_is_string(ja) || dp_records_act_parse(json_string_value(ja), act)))
		msg = "\"act\" is one of read, search, export, declassify-propose, declassify-approve, "
		      "hold, release, destroy";
	if (!msg && jd && (!json_is_string(jd) ||
			   !detail_ok(json_string_value(jd), json_string_length(jd)) ||
			   strlen(json_string_value(jd)) != json_string_length(jd)))
		msg = "\"detail\" is 1 to 512 printable ASCII characters (no control characters, no "
		      "non-ASCII, no space at either end), as a log entry's text";
	if (!msg && dp_records_act_has_cable(*act) && !json_is_string(jc))
		msg = "this act names a cable: give \"cable\", its id (32 hex digits)";
	if (!msg && dp_records_act_has_cable(*act) && jl)
		msg = "\"cables\" is a search's: this act names its one cable in \"cable\"";
	if (!msg && !dp_records_act_has_cable(*act) && jc)
		msg = "a search names no one cable: leave \"cable\" out, name its candidates in \"cables\" "
		      "and its query in \"detail\"";
	if (!msg && *act == DP_REC_SEARCH &&
	    (!jd || search_query(json_string_value(jd), query)))
		msg = "a search needs its \"detail\": \"query sha256:<16 to 64 lowercase hex digits>\", "
		      "the digest of what was searched for (the switch logs it with the count)";
	if (!msg && *act == DP_REC_SEARCH)
		msg = search_cables(jl, ids, nids);
	if (!msg && jc && json_string_length(jc) != 2 * DP_CABLE_ID)
		msg = "\"cable\" is the cable's id: 32 hex digits";
	if (!msg) {
		snprintf(cable, 2 * DP_CABLE_ID + 1, "%s", jc ? json_string_value(jc) : "");
		snprintf(detail, DP_RECORDS_DETAIL_MAX + 1, "%s", jd ? json_string_value(jd) : "");
	}
	json_decref(j);
	if (msg) {
		free(*ids);
		*ids = NULL;
		*nids = 0;
		dpd_reply_error(c->rq, 400, n > RECORDS_BODY_MAX ? DP_ETOOBIG : DP_EPARSE, msg);
		return -1;
	}
	return 0;
}

/*
 * A search's candidates, each a cable the device received, into k (MRNs
 * for the read entries); 0, or answered (404 naming the first that is not,
 * 503, detection's refusal) and -1.  Detection is told once, the count,
 * and of each decoy among them as a read of it.
 */
static int search_cands(const dpd_call *c, uint8_t (*ids)[DP_CABLE_ID], struct op_records *k)
{
	for (size_t i = 0; i < k->ncand; i++) {
		dps_cable cable;
		memset(&cable, 0, sizeof cable);
		int r = lookup_cable(c, ids[i], &cable);
		if (r == DP_ENOTFOUND) {
			char hex[2 * DP_CABLE_ID + 1], msg[256];
			dp_hex_encode(hex, ids[i], DP_CABLE_ID);
			snprintf(msg, sizeof msg, "no such cable for this device: %s (a search names only "
						  "record copies its device received; nothing was logged)", hex);
			dpd_reply_error(c->rq, 404, DP_ENOTFOUND, msg);
		}
		if (r)
			return -1;
		if (cable.decoy && feed(c, DP_DET_FETCH, &cable)) /* touching a decoy: its own rule */
			return -1;
		memcpy(k->cand[i].id, cable.cable_id, DP_CABLE_ID);
		snprintf(k->cand[i].mrn, sizeof k->cand[i].mrn, "%s", cable.mrn);
	}
	return dpd_det_search(c->srv, c->rq, (int64_t)k->ncand) ? -1 : 0; /* its copies count as bulk reads */
}

void dpd_post_records(const dpd_call *c)
{
	int act = 0;
	char hex[2 * DP_CABLE_ID + 1], detail[DP_RECORDS_DETAIL_MAX + 1], query[2 * DP_SHA256 + 1];
	uint8_t(*ids)[DP_CABLE_ID] = NULL;
	size_t nids = 0;
	dps_cable cable;
	memset(&cable, 0, sizeof cable);
	if (refuse_non_records(c) || parse_body(c, &act, hex, detail, query, &ids, &nids))
		return;
	int has_cable = dp_records_act_has_cable(act);
	if (has_cable &&
	    own_cable(c, hex, dp_log_records_reads(act) ? DP_DET_FETCH : DP_DET_OTHER, &cable))
		return;
	dpd_op *op = dpd_op_new(&dpd_op_records,
				sizeof(struct op_records) + nids * sizeof(struct search_cand), c->rq);
	if (!op) {
		free(ids);
		dpd_reply_error(c->rq, 503, DP_ENOMEM, "out of memory; retry");
		return;
	}
	struct op_records *k = DPD_OP_OF(op, struct op_records);
	k->act = act;
	k->has_cable = has_cable;
	k->ncand = nids;
	k->first_read = -1;
	if (has_cable) {
		memcpy(k->cable_id, cable.cable_id, DP_CABLE_ID);
		snprintf(k->mrn, sizeof k->mrn, "%s", cable.mrn);
	}
	memcpy(k->device, c->dev->id, DP_ED25519_PK);
	snprintf(k->officer, sizeof k->officer, "%s", c->me->handle);
	snprintf(k->detail, sizeof k->detail, "%s", detail);
	if (act == DP_REC_SEARCH) {
		snprintf(k->query, sizeof k->query, "%s", query);
		int r = search_cands(c, ids, k);
		free(ids);
		if (r) {
			dpd_op_free(op);
			return;
		}
	}
	op->t = dpd_now(c->srv);
	dpd_batch_add(c->srv, op);
}

/* ---- GET /v1/records/state?cable=hex32[&log_size=M] ---- */

struct entries_ctx {
	dps_store *s;
	uint64_t size; /* the answer's checkpoint */
	json_t *arr;
};

/* One records entry of the cable: with its proof if the checkpoint covers it, else its index alone. */
static int entry_one(void *ctx, int64_t idx)
{
	struct entries_ctx *x = ctx;
	json_t *e = NULL;
	int r = (uint64_t)idx < x->size ? dpd_incl_json(x->s, (uint64_t)idx, x->size, &e) : DP_OK;
	if (!r && !e)
		e = json_pack("{s:I}", "index", (json_int_t)idx); /* not under the checkpoint yet */
	if (!r && (!e || json_array_append_new(x->arr, e)))
		r = DP_ENOMEM;
	return r;
}

/* "log" and "entries" of the answer j, under the latest checkpoint (consistent with m). */
static int state_entries(const dpd_call *c, const uint8_t id[DP_CABLE_ID], uint64_t m, json_t *j,
			 char *msg, size_t cap)
{
	json_t *logj = NULL;
	struct entries_ctx x = {c->srv->store, 0, json_array()};
	int r = x.arr ? dps_snapshot_begin(c->srv->store) : DP_ENOMEM;
	if (r) {
		json_decref(x.arr);
		return r;
	}
	r = dpd_log_view(c->srv, m, &logj, &x.size, msg, cap);
	if (!r)
		r = dps_records_log_each(c->srv->store, id, DP_RECORDS_ENTRIES_MAX, entry_one, &x);
	dps_snapshot_end(c->srv->store);
	if (r) {
		json_decref(logj);
		json_decref(x.arr);
		return r;
	}
	json_object_set_new(j, "log", logj);
	json_object_set_new(j, "entries", x.arr);
	return DP_OK;
}

void dpd_get_records_state(const dpd_call *c)
{
	dps_cable cable;
	dp_records_state st;
	memset(&cable, 0, sizeof cable);
	if (refuse_non_records(c))
		return;
	const char *hex = c->q ? evhttp_find_header(c->q, "cable") : NULL;
	if (!hex) {
		dpd_reply_error(c->rq, 400, DP_EPARSE, "give ?cable=<32 hex digits>: the cable's id");
		return;
	}
	int with_log;
	uint64_t m;
	char msg[DPQ_MSG_MAX];
	if (dpd_log_size_param(c->q, &with_log, &m, msg, sizeof msg)) {
		dpd_reply_error(c->rq, 400, DP_EPARSE, msg);
		return;
	}
	if (own_cable(c, hex, DP_DET_OTHER, &cable))
		return;
	int r = dps_records_get(c->srv->store, cable.cable_id, &st);
	if (r) {
		dpd_reply_error(c->rq, dpd_http_status(r), r, "cannot read the record copy's state; retry");
		return;
	}
	json_t *j = json_pack("{s:s, s:o}", "reference", cable.mrn, "state", state_json(&st));
	snprintf(msg, sizeof msg, "cannot read the record copy's log entries; retry");
	r = !j ? DP_ENOMEM : with_log ? state_entries(c, cable.cable_id, m, j, msg, sizeof msg) : DP_OK;
	if (r) {
		json_decref(j);
		dpd_reply_error(c->rq, r == DP_EINVAL ? 400 : dpd_http_status(r), r, msg);
		return;
	}
	dpd_reply_json(c->rq, 200, j);
}

/* ---- GET /v1/records/changes?after=N ---- */

struct changes_ctx {
	dps_store *s;
	json_t *arr;
	int64_t last;
};

static int change_one(void *ctx, const uint8_t id[DP_CABLE_ID], const char *mrn, int64_t idx)
{
	struct changes_ctx *x = ctx;
	dp_records_state st;
	char hex[2 * DP_CABLE_ID + 1];
	int r = dps_records_get(x->s, id, &st);
	if (r)
		return r;
	dp_hex_encode(hex, id, DP_CABLE_ID);
	json_t *e = json_pack("{s:s, s:I, s:s, s:o}", "cable", hex, "index", (json_int_t)idx, "reference",
			      mrn, "state", state_json(&st));
	if (!e || json_array_append_new(x->arr, e))
		return DP_ENOMEM;
	x->last = idx;
	return DP_OK;
}

void dpd_get_records_changes(const dpd_call *c)
{
	if (refuse_non_records(c))
		return;
	const char *v = c->q ? evhttp_find_header(c->q, "after") : NULL;
	uint64_t after = 0;
	if (v && dp_num_u64(&after, v, strlen(v), 0, INT64_MAX)) {
		dpd_reply_error(c->rq, 400, DP_EPARSE, "?after=N is a log index (0 or more): the "
						       "\"next\" of the previous page, 0 the first time");
		return;
	}
	struct changes_ctx x = {c->srv->store, json_array(), (int64_t)after};
	int r = x.arr ? dps_snapshot_begin(c->srv->store) : DP_ENOMEM;
	if (!r) {
		r = dps_records_changes(c->srv->store, c->dev->id, (int64_t)after, DP_RECORDS_CHANGES_MAX,
					change_one, &x);
		dps_snapshot_end(c->srv->store);
	}
	size_t n = x.arr ? json_array_size(x.arr) : 0;
	json_t *j = r ? NULL
		      : json_pack("{s:o, s:I, s:b}", "changes", x.arr, "next", (json_int_t)x.last, "more",
				  n == DP_RECORDS_CHANGES_MAX);
	if (!j) {
		if (r)
			json_decref(x.arr);
		dpd_reply_error(c->rq, r ? dpd_http_status(r) : 503, r ? r : DP_ENOMEM,
				"cannot read the record states' changes; retry");
		return;
	}
	dpd_reply_json(c->rq, 200, j);
}
