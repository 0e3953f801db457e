/*
 * lib/client_index.c - the officer index answers of the switch, as the
 * device reads them (include/denpo/devindex.h, docs/api.md "The officer
 * index"): GET /v1/log/officer, the resolve answer's "officers", and the
 * two posts of `denpo device` (approve, report).
 *
 * Contract: every byte comes from a switch the device does not trust, so
 * the parsers only check shape and caps -- a handle that is one, a record
 * of canonical base64 within DP_DEVREC_TEXT_MAX bytes and free of NUL, a
 * proof of at most DP_DEVINDEX_PROOF_MAX hashes of 32 bytes -- and verify
 * nothing: the caller checks the record and proof against the
 * officer-index line of a checkpoint it verified (dp_devindex_verify),
 * and decodes the record (dp_devrec_decode) only then.  A refused answer
 * leaves nothing allocated.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client_int.h"
#include "denpo/encoding.h"

void dp_officer_proof_free(dp_officer_proof *p)
{
	free(p->record);
	memset(p, 0, sizeof *p);
}

void dp_officer_answer_free(dp_officer_answer *a)
{
	dp_log_view_free(&a->log);
	dp_officer_proof_free(&a->officer);
}

/* o["record"]: canonical base64 (padded or not) of 1..DP_DEVREC_TEXT_MAX bytes, no NUL. */
static int jrecord(json_t *v, dp_officer_proof *p)
{
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > dp_b64_enclen(DP_DEVREC_TEXT_MAX, 1))
		return DP_EPROTO;
	const char *s = json_string_value(v);
	size_t l = json_string_length(v), n = 0;
	p->record = malloc(DP_DEVREC_TEXT_MAX);
	if (!p->record)
		return DP_ENOMEM;
	if (dp_b64_decode(p->record, DP_DEVREC_TEXT_MAX, &n, s, l, l % 4 == 0) || n == 0 ||
	    memchr(p->record, 0, n)) {
		free(p->record);
		p->record = NULL;
		return DP_EPROTO; /* not base64 of a record's text */
	}
	p->record_len = n;
	return DP_OK;
}

/* One {"handle","record"?,"proof","other"?} object into p (p zeroed first). */
static int jofficer(json_t *o, dp_officer_proof *p)
{
	memset(p, 0, sizeof *p);
	json_t *h = json_object_get(o, "handle"), *pr = json_object_get(o, "proof"),
	       *rec = json_object_get(o, "record"), *oth = json_object_get(o, "other");
	if (!json_is_object(o) || !json_is_string(h) || json_string_length(h) > DP_NAME_MAX ||
	    strlen(json_string_value(h)) != json_string_length(h) || !dp_handle_ok(json_string_value(h)))
		return DP_EPROTO; /* no officer handle */
	memcpy(p->handle, json_string_value(h), json_string_length(h) + 1);
	if (!json_is_array(pr) || json_array_size(pr) > DP_DEVINDEX_PROOF_MAX)
		return DP_EPROTO; /* longer than any path of a 256-bit key */
	for (size_t i = 0; i < json_array_size(pr); i++)
		if (dp_client_jhash(json_array_get(pr, i), p->proof.sib[i]))
			return DP_EPROTO;
	p->proof.n = json_array_size(pr);
	if (oth && !json_is_null(oth)) {
		if (rec && !json_is_null(rec))
			return DP_EPROTO; /* a record's path ends at its own leaf, never another's */
		if (!json_is_object(oth) || dp_client_jhash(json_object_get(oth, "key"), p->proof.other_key) ||
		    dp_client_jhash(json_object_get(oth, "value_hash"), p->proof.other_vhash))
			return DP_EPROTO;
		p->proof.other = 1;
	}
	if (rec && !json_is_null(rec))
		return jrecord(rec, p);
	return DP_OK;
}

int dp_client_jofficers(json_t *j, dp_officer_proof **out, size_t *n)
{
	json_t *a = json_object_get(j, "officers");
	*out = NULL;
	*n = 0;
	if (!a || json_is_null(a))
		return DP_OK; /* a switch without the index: the caller decides */
	if (!json_is_array(a) || json_array_size(a) > DP_OFFICERS_MAX)
		return DP_EPROTO;
	size_t cnt = json_array_size(a);
	if (cnt == 0)
		return DP_OK;
	dp_officer_proof *p = calloc(cnt, sizeof *p);
	if (!p)
		return DP_ENOMEM;
	int r = DP_OK;
	size_t i = 0;
	for (; !r && i < cnt; i++) {
		r = jofficer(json_array_get(a, i), &p[i]);
		for (size_t k = 0; !r && k < i; k++)
			if (strcmp(p[k].handle, p[i].handle) == 0)
				r = DP_EPROTO; /* one officer answered twice: which is meant? */
	}
	if (r) {
		for (size_t k = 0; k < i; k++)
			dp_officer_proof_free(&p[k]);
		free(p);
		return r;
	}
	*out = p;
	*n = cnt;
	return DP_OK;
}

int dp_client_parse_officer(const uint8_t *body, size_t len, const char *asked, dp_officer_answer *out)
{
	memset(out, 0, sizeof *out);
	json_error_t je;
	json_t *j = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &je);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		return DP_EPROTO;
	}
	int r = dp_client_jlog(j, &out->log);
	if (!r && !out->log.present)
		r = DP_EPROTO; /* a proof against no checkpoint proves nothing */
	if (!r)
		r = jofficer(json_object_get(j, "officer"), &out->officer);
	if (!r && asked && strcmp(out->officer.handle, asked) != 0)
		r = DP_EPROTO; /* the answer for another officer */
	json_decref(j);
	if (r)
		dp_officer_answer_free(out);
	return r;
}

#define OFFICER_ANSWER_MAX (DP_NOTE_MAX + 16384 + 2 * DP_DEVREC_TEXT_MAX + 64 * DP_DEVINDEX_PROOF_MAX)

int dp_client_officer(dp_client *c, const char *handle, uint64_t log_size, dp_officer_answer *out)
{
	memset(out, 0, sizeof *out);
	if (!handle || !dp_handle_ok(handle) || log_size > INT64_MAX)
		return DP_EINVAL;
	char path[160];
	snprintf(path, sizeof path, "/v1/log/officer?handle=%s&log_size=%llu", handle,
		 (unsigned long long)log_size); /* a handle is [a-z0-9._-]: nothing to escape */
	dp_buf b;
	dp_buf_init(&b, OFFICER_ANSWER_MAX);
	int r = dp_client_get_raw(c, path, &b);
	if (!r)
		r = dp_client_parse_officer(b.p, b.len, handle, out);
	dp_buf_free(&b);
	return r;
}

/* POST o (taken) to path; the answer's JSON object into *j. */
static int post(dp_client *c, const char *path, json_t *o, json_t **j)
{
	*j = NULL;
	char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!body)
		return DP_ENOMEM;
	dp_buf b;
	dp_buf_init(&b, 65536);
	int r = dp_client_post_raw(c, path, body, strlen(body), &b);
	free(body);
	if (!r) {
		json_error_t je;
		*j = json_loadb((const char *)b.p, b.len, JSON_REJECT_DUPLICATES, &je);
		if (!*j || !json_is_object(*j)) {
			json_decref(*j);
			*j = NULL;
			r = DP_EPROTO;
		}
	}
	dp_buf_free(&b);
	return r;
}

int dp_client_device_approve(dp_client *c, const uint8_t device[DP_ED25519_PK],
			     const uint8_t sig[DP_ED25519_SIG], int64_t *log_index)
{
	char hex[2 * DP_ED25519_PK + 1], b64[DP_ED25519_SIG * 2];
	dp_hex_encode(hex, device, DP_ED25519_PK);
	dp_b64_encode(b64, sig, DP_ED25519_SIG, 1);
	json_t *j;
	if (log_index)
		*log_index = -1;
	int r = post(c, "/v1/devices/approve", json_pack("{s:s, s:s}", "device", hex, "signature", b64), &j);
	if (r)
		return r;
	json_t *v = json_object_get(j, "log_index");
	if (log_index && json_is_integer(v) && json_integer_value(v) >= 0)
		*log_index = json_integer_value(v);
	json_decref(j);
	return DP_OK;
}

int dp_client_device_report(dp_client *c, const uint8_t device[DP_ED25519_PK], const char *reason)
{
	char hex[2 * DP_ED25519_PK + 1];
	dp_hex_encode(hex, device, DP_ED25519_PK);
	json_t *j;
	int r = post(c, "/v1/devices/report", json_pack("{s:s, s:s}", "device", hex, "reason", reason), &j);
	json_decref(j);
	return r;
}
