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
/* Sets what dp_client_message says (a parser's why for a malformed answer) (lib/client.c). */
void dp_client_set_msg(dp_client *c, const char *msg);
/* One base64 32-byte hash (padded or not, canonical) (lib/client.c). */
int dp_client_jhash(json_t *v, uint8_t out[DP_TLOG_HASH]) DP_WUR;
/*
 * The optional "officers" array of a resolve answer j (lib/client_index.c):
 * at most DP_OFFICERS_MAX objects {"handle","record"?,"proof","other"?},
 * no handle twice.  *out malloc'd (NULL when absent or empty).
 */
int dp_client_jofficers(json_t *j, dp_officer_proof **out, size_t *n) DP_WUR;

#endif
