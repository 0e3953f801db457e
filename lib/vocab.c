/*
 * vocab.c - the cable vocabulary: classifications, precedences, the
 * date-time group, names, handles and message reference numbers.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "denpo/cable.h"
#include "denpo/num.h"

static const char *const class_names[] = {"UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET",
					  "TOP SECRET"};
static const char *const class_abbr[] = {"U", "R", "C", "S", "TS"};
static const char *const prec_names[] = {"FLASH", "IMMEDIATE", "PRIORITY", "ROUTINE"};
static const char prec_letters[] = {'Z', 'O', 'P', 'R'};
static const int64_t prec_objectives[] = {600, 1800, 10800, 21600};

const char *dp_class_name(int c)
{
	if (c < DP_CLASS_UNCLASSIFIED || c > DP_CLASS_TOP_SECRET)
		return "?";
	return class_names[c];
}

const char *dp_class_banner(int c) { return dp_class_name(c); }

int dp_class_parse(const char *s, int *c)
{
	for (int i = 0; i <= DP_CLASS_TOP_SECRET; i++) {
		if (!strcmp(s, class_names[i]) || !strcmp(s, class_abbr[i])) {
			*c = i;
			return DP_OK;
		}
	}
	return DP_EPARSE; /* not a classification we know */
}

const char *dp_prec_name(int p)
{
	if (p < DP_PREC_FLASH || p > DP_PREC_ROUTINE)
		return "?";
	return prec_names[p];
}

char dp_prec_letter(int p)
{
	if (p < DP_PREC_FLASH || p > DP_PREC_ROUTINE)
		return '?';
	return prec_letters[p];
}

int dp_prec_parse(const char *s, int *p)
{
	for (int i = 0; i <= DP_PREC_ROUTINE; i++) {
		if (!strcmp(s, prec_names[i]) || (s[0] == prec_letters[i] && s[1] == 0)) {
			*p = i;
			return DP_OK;
		}
	}
	return DP_EPARSE; /* not a precedence we know */
}

int64_t dp_prec_objective(int p)
{
	if (p < DP_PREC_FLASH || p > DP_PREC_ROUTINE)
		return 0;
	return prec_objectives[p];
}

void dp_dtg_format(int64_t t, char out[16])
{
	static const char *const mon[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
					  "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || tm.tm_mon < 0 || tm.tm_mon > 11) {
		snprintf(out, 16, "??????Z ??? ??");
		return;
	}
	snprintf(out, 16, "%02d%02d%02dZ %s %02d", tm.tm_mday, tm.tm_hour, tm.tm_min,
		 mon[tm.tm_mon], (tm.tm_year + 1900) % 100);
}

static int is_upper_alnum(int ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'); }
static int is_lower_alnum(int ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'); }

int dp_name_ok(const char *s)
{
	size_t n = strnlen(s, DP_NAME_MAX + 1);
	if (n == 0 || n > DP_NAME_MAX)
		return 0;
	if (!is_upper_alnum((unsigned char)s[0]))
		return 0; /* starts with a letter or digit: no leading space or punctuation */
	for (size_t i = 0; i < n; i++) {
		int ch = (unsigned char)s[i];
		if (is_upper_alnum(ch) || ch == '.' || ch == '_' || ch == '-')
			continue;
		if (ch == ' ' && i + 1 < n && s[i + 1] != ' ')
			continue; /* single inner spaces only: "ALL POSTS" */
		return 0;
	}
	return 1;
}

int dp_handle_ok(const char *s)
{
	size_t n = strnlen(s, DP_NAME_MAX + 1);
	if (n == 0 || n > DP_NAME_MAX)
		return 0;
	if (!is_lower_alnum((unsigned char)s[0]))
		return 0;
	for (size_t i = 0; i < n; i++) {
		int ch = (unsigned char)s[i];
		if (!is_lower_alnum(ch) && ch != '.' && ch != '_' && ch != '-')
			return 0;
	}
	return 1;
}

/* The serial's digits v[0..n): six with leading zeros, or 7..15 without one (dp_mrn_parse). */
static int mrn_serial(const char *v, size_t n, uint64_t *out)
{
	uint64_t x;
	if (n == DP_MRN_SERIAL_DIGITS_MIN) {
		if (dp_num_fixed(&x, v, n) || x == 0)
			return DP_EPARSE; /* serials start at 000001 */
	} else if (n < DP_MRN_SERIAL_DIGITS_MIN || n > DP_MRN_SERIAL_DIGITS ||
		   dp_num_u64(&x, v, n, 1000000, DP_MRN_SERIAL_MAX)) {
		return DP_EPARSE; /* wider only without a leading zero, so never below 1000000 */
	}
	*out = x;
	return DP_OK;
}

int dp_mrn_parse(const char *s, int *yy, char post[DP_NAME_MAX + 1], uint64_t *serial)
{
	size_t n = strnlen(s, DP_MRN_MAX + 1);
	if (n < 3 + 1 + 1 + DP_MRN_SERIAL_DIGITS_MIN || n > DP_MRN_MAX)
		return DP_EPARSE;
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' || s[2] != ' ')
		return DP_EPARSE; /* two-digit year and a space */
	const char *sp = memrchr(s, ' ', n);
	if (!sp || sp < s + 4)
		return DP_EPARSE; /* the serial follows the last space, after a post of one byte or more */
	uint64_t x;
	if (mrn_serial(sp + 1, n - (size_t)(sp + 1 - s), &x))
		return DP_EPARSE;
	char p[DP_NAME_MAX + 1];
	size_t pl = (size_t)(sp - (s + 3));
	if (pl > DP_NAME_MAX)
		return DP_EPARSE;
	memcpy(p, s + 3, pl);
	p[pl] = 0;
	if (!dp_name_ok(p))
		return DP_EPARSE;
	if (yy)
		*yy = (s[0] - '0') * 10 + (s[1] - '0');
	if (post)
		memcpy(post, p, pl + 1);
	if (serial)
		*serial = x;
	return DP_OK;
}

int dp_mrn_ok(const char *s)
{
	return dp_mrn_parse(s, NULL, NULL, NULL) == DP_OK;
}

int dp_mrn_format(char out[DP_MRN_MAX + 1], int year, const char *post, uint64_t serial)
{
	if (!dp_name_ok(post) || serial < 1 || serial > DP_MRN_SERIAL_MAX || year < 0)
		return DP_EINVAL;
	int k = snprintf(out, DP_MRN_MAX + 1, "%02d %s %06llu", year % 100, post,
			 (unsigned long long)serial);
	if (k < 0 || k > DP_MRN_MAX)
		return DP_EINVAL;
	return DP_OK;
}

int dp_mrn_cmp(const char *a, const char *b)
{
	int ya, yb;
	char pa[DP_NAME_MAX + 1], pb[DP_NAME_MAX + 1];
	uint64_t sa, sb;
	int oka = dp_mrn_parse(a, &ya, pa, &sa) == DP_OK, okb = dp_mrn_parse(b, &yb, pb, &sb) == DP_OK;
	if (!oka || !okb)
		return oka != okb ? (oka ? -1 : 1) : strcmp(a, b);
	if (ya != yb)
		return ya < yb ? -1 : 1;
	int c = strcmp(pa, pb);
	if (c)
		return c;
	return sa < sb ? -1 : sa > sb;
}
