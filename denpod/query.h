/*
 * denpod/query.h - the query string of an API request, read strictly.
 *
 * libevent splits the query at '&' and '=' and percent-decodes the values
 * (evhttp_parse_query_str), but hands them out as C strings: an encoded
 * NUL ("wait=1%00", "to=TOKYO%00X") would silently cut a value short and
 * the switch would answer for a request nobody sent.  dpq_parse takes
 * libevent's parse and refuses, naming the parameter:
 *   - a parameter whose name or value decodes to a NUL byte;
 *   - a parameter given twice ("after=1&after=9": which one would count?),
 *     names compared in any case as libevent finds them ("after=1&AFTER=9");
 *   - more than DPQ_PARAMS_MAX parameters (no endpoint takes half as many).
 * After it, every value is the whole decoded value, and dpq_num reads
 * numbers through the one number reader (denpo/num.h).
 *
 * Messages are for the API's JSON error ({"error": "parse", "message"}):
 * they name the parameter when its name is a plain one ([a-z_], as every
 * parameter of docs/api.md is) and never repeat a value.
 */
#ifndef DENPOD_QUERY_H
#define DENPOD_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "denpo/error.h"

struct evkeyvalq;

#define DPQ_PARAMS_MAX 16
#define DPQ_MSG_MAX 192

/*
 * Parses query (the part of the URI after '?') into out, which the caller
 * has TAILQ_INIT'ed and clears with evhttp_clear_headers.  DP_EPARSE with
 * a message for each refusal above, or a query libevent cannot split
 * ("a&b", "=1"); out is then empty.  DP_ENOMEM.
 */
int dpq_parse(const char *query, struct evkeyvalq *out, char *msg, size_t msgcap) DP_WUR;

/* The value of parameter key, or NULL if absent (q NULL: the request had no query). */
const char *dpq_get(const struct evkeyvalq *q, const char *key);

/*
 * Parameter key as a number in [min, max] (dp_num_str); *v is left as it
 * is (the caller's default) if the parameter is absent.  DP_EPARSE with a
 * message naming the parameter and the range if it is present and not a
 * number in that range ("limit=+5", "after=99999999999999999999999").
 */
int dpq_num(const struct evkeyvalq *q, const char *key, uint64_t min, uint64_t max, uint64_t *v,
	    char *msg, size_t msgcap) DP_WUR;

#endif
