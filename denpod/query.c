/*
 * denpod/query.c - the query string of an API request, read strictly
 * (see query.h).  libevent splits and decodes; this only refuses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include "denpo/num.h"
#include "denpod/query.h"

#define NAME_SHOWN_MAX 32

/* The raw name of a "name=value" piece, if it may be shown in a message; else a stand-in. */
static void shown_name(char out[NAME_SHOWN_MAX + 1], const char *piece, size_t len)
{
	const char *eq = memchr(piece, '=', len);
	size_t n = eq ? (size_t)(eq - piece) : len;
	int plain = n >= 1 && n <= NAME_SHOWN_MAX;
	for (size_t i = 0; plain && i < n; i++)
		plain = (piece[i] >= 'a' && piece[i] <= 'z') || piece[i] == '_';
	if (plain)
		snprintf(out, NAME_SHOWN_MAX + 1, "%.*s", (int)n, piece);
	else
		snprintf(out, NAME_SHOWN_MAX + 1, "(a name that is not [a-z_])");
}

/*
 * Whether any name=value piece of the query decodes (as libevent decodes
 * it) to a NUL byte; 1 with its name in `name`, 0, or DP_ENOMEM.
 */
static int find_nul(const char *query, char name[NAME_SHOWN_MAX + 1])
{
	for (const char *p = query; *p;) {
		size_t len = strcspn(p, "&"), dn = 0;
		char *piece = strndup(p, len);
		char *d = piece ? evhttp_uridecode(piece, 1, &dn) : NULL;
		int nul = d && memchr(d, 0, dn) != NULL;
		free(piece);
		free(d);
		if (!d)
			return DP_ENOMEM;
		if (nul) {
			shown_name(name, p, len);
			return 1;
		}
		p += len + (p[len] == '&');
	}
	return 0;
}

int dpq_parse(const char *query, struct evkeyvalq *out, char *msg, size_t msgcap)
{
	char name[NAME_SHOWN_MAX + 1];
	if (evhttp_parse_query_str(query, out) != 0) {
		evhttp_clear_headers(out);
		snprintf(msg, msgcap, "malformed query string: give name=value pairs joined by '&'");
		return DP_EPARSE;
	}
	size_t n = 0;
	const struct evkeyval *kv, *kw;
	TAILQ_FOREACH(kv, out, next)
		n++;
	int r = DP_OK;
	if (n > DPQ_PARAMS_MAX) {
		snprintf(msg, msgcap, "the query has %zu parameters; no endpoint takes more than %d", n,
			 DPQ_PARAMS_MAX);
		r = DP_EPARSE;
	}
	/*
	 * Which of two values would count is a guess the switch does not make.
	 * evhttp_find_header matches names in any case: so does this check
	 * ("limit=1&LIMIT=1000" is the same parameter twice).
	 */
	TAILQ_FOREACH(kv, out, next) {
		for (kw = TAILQ_NEXT(kv, next); !r && kw; kw = TAILQ_NEXT(kw, next))
			if (evutil_ascii_strcasecmp(kv->key, kw->key) == 0) {
				shown_name(name, kv->key, strlen(kv->key));
				snprintf(msg, msgcap, "query parameter %s is given twice; give it once",
					 name);
				r = DP_EPARSE;
			}
	}
	/* libevent's values are C strings: an encoded NUL would cut one short unseen */
	int nul = r ? 0 : find_nul(query, name);
	if (nul == 1) {
		snprintf(msg, msgcap, "query parameter %s holds a NUL byte (%%00); names and numbers "
				      "never do", name);
		r = DP_EPARSE;
	} else if (nul) {
		snprintf(msg, msgcap, "out of memory; retry");
		r = nul;
	}
	if (r)
		evhttp_clear_headers(out);
	return r;
}

const char *dpq_get(const struct evkeyvalq *q, const char *key)
{
	return q ? evhttp_find_header(q, key) : NULL;
}

int dpq_num(const struct evkeyvalq *q, const char *key, uint64_t min, uint64_t max, uint64_t *v,
	    char *msg, size_t msgcap)
{
	const char *s = dpq_get(q, key);
	uint64_t x;
	if (!s)
		return DP_OK;
	if (dp_num_str(&x, s, min, max)) {
		snprintf(msg, msgcap, "query parameter %s must be a decimal number %llu..%llu (no sign, "
				      "no leading zero, nothing after the digits)", key,
			 (unsigned long long)min, (unsigned long long)max);
		return DP_EPARSE;
	}
	*v = x;
	return DP_OK;
}
