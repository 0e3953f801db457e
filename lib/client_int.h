/*
 * lib/client_int.h - internal to libdenpo: what lib/client.c shares with
 * the parsers kept in their own files (lib/client_index.c, the officer
 * index answers).  Each takes a parsed JSON object of an answer from a
 * switch the device does not trust and fails with DP_EPROTO on anything
 * malformed (DP_ENOMEM when out of memory), leaving nothing allocated.
 */
#ifndef DENPO_LIB_CLIENT_INT_H
#define DENPO_LIB_CLIENT_INT_H

#include <jansson.h>

#include "denpo/client.h"

/* The optional "log" object of answer j into v (lib/client.c). */
int dp_client_jlog(json_t *j, dp_log_view *v) DP_WUR;
/* One entry with its proof, {"index", "entry", "proof"} (v, named k in a refusal) (lib/client.c). */
int dp_client_jincl(json_t *v, const char *k, dp_log_incl *in) DP_WUR;
/* Sets what dp_client_message says (a parser's why for a malformed answer) (lib/client.c). */
void dp_client_set_msg(dp_client *c, const char *msg);
/*
 * lib/client.c's readers of an answer's fields, for the parsers in their
 * own files: each failure names the field (dp_client_refuse), and
 * dp_client_malformed turns the last one named into the parser's why:
 * "the switch's WHAT answer is malformed (its "k" field is missing or
 * wrong)".  dp_client_parse_obj: body as a JSON object, else DP_EPROTO
 * with why.  dp_client_jstr: a clean string shorter than cap, no NUL.
 * dp_client_jint: an integer in [lo, hi].
 */
int dp_client_parse_obj(const uint8_t *body, size_t len, const char *what, json_t **j, char *why,
			size_t cap) DP_WUR;
int dp_client_malformed(char *why, size_t cap, const char *what);
int dp_client_jstr(json_t *o, const char *k, char *out, size_t cap) DP_WUR;
int dp_client_jint(json_t *o, const char *k, int64_t lo, int64_t hi, int64_t *out) DP_WUR;
int dp_client_refuse(const char *k);
/* One base64 32-byte hash (padded or not, canonical) (lib/client.c). */
int dp_client_jhash(json_t *v, uint8_t out[DP_TLOG_HASH]) DP_WUR;
/*
 * The optional "officers" array of a resolve answer j (lib/client_index.c):
 * at most DP_OFFICERS_MAX objects {"handle","record"?,"proof","other"?},
 * no handle twice.  *out malloc'd (NULL when absent or empty).
 */
int dp_client_jofficers(json_t *j, dp_officer_proof **out, size_t *n) DP_WUR;

#endif
