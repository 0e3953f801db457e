/*
 * lib/markings.c - the rule a classification marking follows, and the
 * table of them (denpo/markings.h).  The banner that shows them is
 * dp_cable_banner (cable.c).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "denpo/cable.h"
#include "denpo/markings.h"
#include "lib/fields.h"

_Static_assert(DP_CLASS_COUNT == DP_CLASS_TOP_SECRET + 1, "one marking per level");

static int why_set(char *why, size_t cap, const char *s)
{
	if (why && cap)
		snprintf(why, cap, "%s", s);
	return 0;
}

/*
 * The characters a marking may hold: letters and digits of the scripts a
 * ministry writes its markings in, and a few separators.  Everything else
 * is refused, notably what could make a banner lie: controls and format
 * characters (bidi overrides reorder the line), the banner's own '/', '('
 * and ')', and full-width and other look-alike forms of ASCII.
 */
static int char_ok(long c)
{
	static const long ranges[][2] = {
		{'0', '9'}, {'A', 'Z'}, {'a', 'z'}, {' ', ' '}, {'-', '.'},
		{0x00c0, 0x00d6}, {0x00d8, 0x00f6}, {0x00f8, 0x024f}, /* Latin-1 letters, Extended-A/B */
		{0x3005, 0x3005},                                     /* 々 */
		{0x3041, 0x3096}, {0x309d, 0x309f},                   /* Hiragana */
		{0x30a1, 0x30ff},                                     /* Katakana, ・ and ー */
		{0x3400, 0x4dbf}, {0x4e00, 0x9fff},                   /* CJK ideographs */
		{0xac00, 0xd7a3},                                     /* Hangul syllables */
	};
	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
		if (c >= ranges[i][0] && c <= ranges[i][1])
			return 1;
	return 0;
}

/* 1 if s[0..n) holds a level's name in any ASCII letter case ("TOP SECRET" holds "SECRET"). */
static int names_a_level(const char *s, size_t n)
{
	for (int l = DP_CLASS_UNCLASSIFIED; l < DP_CLASS_TOP_SECRET; l++) {
		const char *w = dp_class_name(l);
		size_t wn = strlen(w);
		for (size_t i = 0; i + wn <= n; i++)
			if (strncasecmp(s + i, w, wn) == 0)
				return 1;
	}
	return 0;
}

int dp_marking_ok(const char *s, size_t n, char *why, size_t whycap)
{
	const uint8_t *p = (const uint8_t *)s;
	if (n == 0)
		return why_set(why, whycap, "empty");
	if (n > DP_MARKING_MAX) {
		if (why && whycap)
			snprintf(why, whycap, "%zu bytes, at most %d", n, DP_MARKING_MAX);
		return 0;
	}
	if (s[0] == ' ' || s[n - 1] == ' ' || memmem(s, n, "  ", 2))
		return why_set(why, whycap, "a space at either end or two in a row");
	for (size_t i = 0; i < n;) {
		size_t at = i;
		long c = dp_fld_utf8_next(p, n, &i);
		if (c < 0)
			return why_set(why, whycap, "not UTF-8");
		if (!char_ok(c)) {
			if (why && whycap)
				snprintf(why, whycap, "character U+%04lX (byte %zu) is not allowed: letters, "
						      "digits, space, '-' and '.' only (no control, '/', '(' "
						      "or ')', no full-width ASCII)", c, at);
			return 0;
		}
	}
	if (names_a_level(s, n))
		return why_set(why, whycap, "it names a classification level: the banner shows the "
					    "level itself beside the marking");
	return 1;
}

int dp_markings_set(dp_markings *m, const char *level, const char *s, size_t n, char *why,
		    size_t whycap)
{
	int l = -1;
	for (int i = DP_CLASS_UNCLASSIFIED; i <= DP_CLASS_TOP_SECRET; i++)
		if (strcmp(level, dp_class_name(i)) == 0)
			l = i;
	if (l < 0) {
		why_set(why, whycap, "no such classification level");
		return DP_EINVAL;
	}
	if (n && !dp_marking_ok(s, n, why, whycap))
		return DP_EPARSE;
	memcpy(m->of[l], s, n);
	m->of[l][n] = 0;
	return DP_OK;
}

int dp_markings_empty(const dp_markings *m)
{
	for (int i = 0; m && i < DP_CLASS_COUNT; i++)
		if (m->of[i][0])
			return 0;
	return 1;
}
