/*
 * vocab.c - the cable vocabulary: classifications, precedences, the
 * date-time group, names, handles and message reference numbers.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "denpo/cable.h"

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

int dp_mrn_ok(const char *s)
{
	size_t n = strnlen(s, DP_MRN_MAX + 1);
	if (n < 2 + 1 + 1 + 1 + 6 || n > DP_MRN_MAX)
		return 0;
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' || s[2] != ' ')
		return 0; /* two-digit year and a space */
	if (s[n - 7] != ' ')
		return 0;
	int allzero = 1;
	for (size_t i = n - 6; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0; /* six-digit serial */
		if (s[i] != '0')
			allzero = 0;
	}
	if (allzero)
		return 0; /* serials start at 000001 */
	char post[DP_NAME_MAX + 1];
	size_t pl = n - 3 - 7;
	if (pl > DP_NAME_MAX)
		return 0;
	memcpy(post, s + 3, pl);
	post[pl] = 0;
	return dp_name_ok(post);
}

int dp_mrn_format(char out[DP_MRN_MAX + 1], int year, const char *post, uint32_t serial)
{
	if (!dp_name_ok(post) || serial < 1 || serial > 999999 || year < 0)
		return DP_EINVAL;
	int k = snprintf(out, DP_MRN_MAX + 1, "%02d %s %06u", year % 100, post, (unsigned)serial);
	if (k < 0 || k > DP_MRN_MAX)
		return DP_EINVAL;
	return DP_OK;
}
