/*
 * lib/switches.c - the address list of a switch (denpo/switches.h): what
 * an address is, when two are the same, a list as the operator writes it.
 * One rule for denpod.conf, the enrolment answer and the client.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "denpo/switches.h"

/*
 * The host of a well-formed address s (after "https://"): *hl its length,
 * *port its port (443 when none is given).  0 if s is not well-formed.
 */
static int url_split(const char *s, const char **host, size_t *hl, long *port)
{
	size_t n = strnlen(s, DP_URL_MAX + 1);
	if (n > DP_URL_MAX || strncmp(s, "https://", 8))
		return 0;
	const char *h = s + 8, *end = s + n, *q = h;
	if (q < end && *q == '[') {
		q++;
		while (q < end && ((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f') ||
				   (*q >= 'A' && *q <= 'F') || *q == ':' || *q == '.'))
			q++;
		if (q == h + 1 || q >= end || *q != ']')
			return 0;
		q++;
	} else {
		while (q < end && ((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'z') ||
				   (*q >= 'A' && *q <= 'Z') || *q == '.' || *q == '-'))
			q++;
		if (q == h)
			return 0; /* empty host */
	}
	*host = h;
	*hl = (size_t)(q - h);
	*port = 443;
	if (q == end)
		return 1;
	if (*q++ != ':' || q == end || *q == '0' || end - q > 5)
		return 0; /* ":PORT" without leading zero; a path, user info or anything else */
	long p = 0;
	for (; q < end; q++) {
		if (*q < '0' || *q > '9')
			return 0;
		p = p * 10 + (*q - '0');
	}
	*port = p;
	return p >= 1 && p <= 65535;
}

int dp_switch_url_ok(const char *s)
{
	const char *h;
	size_t hl;
	long port;
	return url_split(s, &h, &hl, &port);
}

int dp_switch_url_same(const char *a, const char *b)
{
	const char *ha, *hb;
	size_t la, lb;
	long pa, pb;
	if (!url_split(a, &ha, &la, &pa) || !url_split(b, &hb, &lb, &pb))
		return 0;
	return la == lb && pa == pb && strncasecmp(ha, hb, la) == 0;
}

int dp_switch_list_find(const dp_switch_list *l, const char *url)
{
	for (size_t i = 0; i < l->n; i++)
		if (dp_switch_url_same(l->url[i], url))
			return (int)i;
	return -1;
}

int dp_switch_list_add(dp_switch_list *l, const char *url)
{
	if (!dp_switch_url_ok(url))
		return DP_EPARSE;
	if (dp_switch_list_find(l, url) >= 0)
		return DP_EEXISTS; /* a second line for one instance would only double its retries */
	if (l->n >= DP_SWITCH_URLS_MAX)
		return DP_ETOOBIG;
	memcpy(l->url[l->n++], url, strlen(url) + 1);
	return DP_OK;
}

int dp_switch_list_parse(dp_switch_list *l, const char *s, size_t n, char *err, size_t errcap)
{
	memset(l, 0, sizeof *l);
	if (errcap)
		err[0] = 0;
	const char *p = s, *end = s + n;
	for (size_t i = 1;; i++) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *e = comma ? comma : end, *b = p;
		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		char one[DP_URL_MAX + 1];
		int r = DP_EPARSE;
		if (b == e)
			snprintf(err, errcap, "address %zu is empty (addresses are separated by one comma)", i);
		else if ((size_t)(e - b) > DP_URL_MAX)
			snprintf(err, errcap, "address %zu is longer than %d bytes", i, DP_URL_MAX);
		else {
			memcpy(one, b, (size_t)(e - b));
			one[e - b] = 0;
			r = dp_switch_list_add(l, one);
			if (r == DP_EPARSE)
				snprintf(err, errcap, "address %zu (%.64s) is not https://HOST:PORT (no path, "
						      "no user, port 1-65535)", i, one);
			else if (r == DP_EEXISTS)
				snprintf(err, errcap, "address %zu (%.64s) is listed twice", i, one);
			else if (r == DP_ETOOBIG)
				snprintf(err, errcap, "more than %d addresses", DP_SWITCH_URLS_MAX);
		}
		if (r) {
			memset(l, 0, sizeof *l);
			return r;
		}
		if (!comma)
			return DP_OK;
		p = comma + 1;
	}
}

int dp_switch_list_format(const dp_switch_list *l, char *out, size_t cap)
{
	size_t k = 0;
	if (cap)
		out[0] = 0;
	for (size_t i = 0; i < l->n; i++) {
		int w = snprintf(out + k, cap - k, "%s%s", i ? ", " : "", l->url[i]);
		if (w < 0 || (size_t)w >= cap - k)
			return DP_ETOOBIG;
		k += (size_t)w;
	}
	return DP_OK;
}
