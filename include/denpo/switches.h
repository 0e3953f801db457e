/*
 * denpo/switches.h - the addresses of one switch: every instance of it, in
 * the order devices try them.
 *
 * A ministry may run several denpod instances on one database
 * (docs/several-switches.md §3).  They serve one TLS key (the pinned
 * identity) and one log, so to a device they are one switch with several
 * addresses.  The switch's operator names them in denpod.conf
 * (`url = https://a:8443, https://b:8443`); the signed enrolment answer
 * carries them, one Switch-URL line each, the first the primary
 * (denpo/enrol.h); the client fails over from one to the next
 * (denpo/client.h).
 *
 * An address is https://HOST[:PORT]: HOST is [A-Za-z0-9.-]+ or [IPv6],
 * PORT 1..65535 without a leading zero; no path, no user info; at most
 * DP_URL_MAX bytes.  A list holds 1..DP_SWITCH_URLS_MAX addresses, no two
 * the same (the same host, compared without case, and the same port, 443
 * when none is given).
 */
#ifndef DENPO_SWITCHES_H
#define DENPO_SWITCHES_H

#include <stddef.h>

#include "denpo/error.h"

#define DP_URL_MAX 256
#define DP_SWITCH_URLS_MAX 8
/* A list as text ("https://a:8443, https://b:8443"): every address, ", " between. */
#define DP_SWITCH_LIST_TEXT_MAX (DP_SWITCH_URLS_MAX * (DP_URL_MAX + 2))

typedef struct {
	char url[DP_SWITCH_URLS_MAX][DP_URL_MAX + 1];
	size_t n;
} dp_switch_list;

/* 1 if s is a well-formed switch address (the rule above), else 0. */
int dp_switch_url_ok(const char *s);
/* 1 if a and b (both well-formed) name the same address: host without case, port (443 default). */
int dp_switch_url_same(const char *a, const char *b);
/*
 * Append url to l.  DP_EPARSE: not a well-formed address; DP_EEXISTS: l
 * holds it already; DP_ETOOBIG: l is full.  l is unchanged on error.
 */
int dp_switch_list_add(dp_switch_list *l, const char *url) DP_WUR;
/*
 * Parse a list as an operator writes it: addresses separated by commas,
 * spaces around them ignored ("https://a:8443, https://b:8443").  On error
 * l is empty and err says which address and why (DP_EPARSE for an empty
 * entry or a malformed address, DP_EEXISTS for a repeat, DP_ETOOBIG for
 * more than DP_SWITCH_URLS_MAX).
 */
int dp_switch_list_parse(dp_switch_list *l, const char *s, size_t n, char *err, size_t errcap) DP_WUR;
/* The list as text (", " between), into out; DP_ETOOBIG if cap is too small. */
int dp_switch_list_format(const dp_switch_list *l, char *out, size_t cap) DP_WUR;
/* The index of the address the same as url, or -1. */
int dp_switch_list_find(const dp_switch_list *l, const char *url);

#endif
