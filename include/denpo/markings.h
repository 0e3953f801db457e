/*
 * denpo/markings.h - the ministry's own classification markings (極秘, 秘,
 * 取扱注意, ...) shown beside the canonical levels of include/denpo/cable.h.
 *
 * The switch's operator configures them once for the whole ministry
 * (denpod.conf, marking_secret = 極秘, docs/operations.md); the switch hands
 * them to every device (GET /v1/directory, GET /v1/health: "markings"); a
 * device caches them (HOME/markings) and every banner it renders shows
 * them (dp_cable_banner, denpo/cable.h).
 *
 * The switch is not trusted with what a cable says, so a marking never
 * replaces the level the sender signed: a banner reads "極秘 (SECRET)//NOFORN",
 * the canonical level always in the parentheses.  A switch that swapped the
 * labels could make a TOP SECRET cable carry the word 秘, never lose its
 * "(TOP SECRET)".  For that, a marking may not look like banner syntax or
 * a level (dp_marking_ok): the same rule at the switch (a bad denpod.conf is
 * refused at start) and at the device (a switch's answer with a bad marking
 * is refused).
 */
#ifndef DENPO_MARKINGS_H
#define DENPO_MARKINGS_H

#include <stddef.h>
#include "denpo/error.h"

#define DP_CLASS_COUNT 5   /* enum dp_class: UNCLASSIFIED .. TOP SECRET */
#define DP_MARKING_MAX 64  /* bytes of UTF-8 in one marking (21 kanji) */
#define DP_MARKING_WHY 160 /* a refusal's reason */

/* One marking per level, indexed by enum dp_class; "" = none (the banner shows the level alone). */
typedef struct {
	char of[DP_CLASS_COUNT][DP_MARKING_MAX + 1];
} dp_markings;

/*
 * Whether s[0..n) may be a marking: 1..DP_MARKING_MAX bytes of
 * shortest-form UTF-8 whose every character is a letter or digit of ASCII,
 * Latin-1 / Latin Extended-A/B, Hiragana, Katakana (with ー and ・), the CJK
 * ideographs (with 々) or Hangul, or an ASCII space, '-' or '.' -- so no
 * control or format character (bidi overrides, zero-width), no full-width
 * or look-alike forms of ASCII, no '/', '(' or ')' of the banner's syntax;
 * no space at either end or two in a row; and no canonical level name in
 * it, in any letter case ("SECRET", "Confidential"...), so that nothing a
 * marking says can pass for the level in parentheses.
 * 1 if so; 0 with the reason in why (may be NULL).
 */
int dp_marking_ok(const char *s, size_t n, char *why, size_t whycap);

/*
 * Sets the marking of the level named level ("SECRET", as dp_class_name
 * spells it; abbreviations refused) to s[0..n) ("" clears it).
 * DP_EINVAL for an unknown level, DP_EPARSE for a marking dp_marking_ok
 * refuses (why says why).
 */
int dp_markings_set(dp_markings *m, const char *level, const char *s, size_t n, char *why,
		    size_t whycap) DP_WUR;

/* 1 if no level has a marking (m may be NULL). */
int dp_markings_empty(const dp_markings *m);

#endif
