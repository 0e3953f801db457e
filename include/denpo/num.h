/*
 * denpo/num.h - the one reader of decimal numbers that come from outside:
 * the switch's query parameters, every command-line option of denpo and
 * denpod, configuration values, and the numeric fields of the text formats
 * (cable headers, enrolment files, log entries).
 *
 * A number has exactly one spelling, the one printf("%llu") gives it:
 * "0", or a digit 1-9 followed by digits.  Everything else is refused, and
 * nothing is skipped or guessed:
 *
 *   refused         why
 *   ""              empty
 *   "+1", "-0"      a sign (a negative number is never a count, a size or a time here)
 *   "007", "00"     a leading zero (a second spelling of 7; some readers take it as octal)
 *   " 1", "1 "      a space (strtol skips the first and stops at the second)
 *   "0x10", "1e3"   another base or notation
 *   "1x", "1\0x"    trailing bytes, a NUL among them: a value read with its length
 *                   sees the NUL as the non-digit it is
 *   21+ digits, or  more than 2^64 - 1 (strtoull would saturate and carry on)
 *   > 2^64 - 1
 *
 * Fixed-width digit fields (the "2026-02-24" of a date) are another form:
 * dp_num_fixed reads exactly n digits, leading zeros included.
 *
 * Errors: DP_EPARSE if the text is not a number of this form, DP_ETOOBIG
 * if it is one but outside [min, max] (below min included: the caller's
 * message gives the range).  Nothing is written to *out on failure.
 */
#ifndef DENPO_NUM_H
#define DENPO_NUM_H

#include <stddef.h>
#include <stdint.h>
#include "denpo/error.h"

/* Digits in the longest number read: 2^64 - 1 = 18446744073709551615. */
#define DP_NUM_DIGITS_MAX 20

/* The number v[0..vn) (not NUL-terminated; any byte that is not a digit is DP_EPARSE). */
int dp_num_u64(uint64_t *out, const char *v, size_t vn, uint64_t min, uint64_t max) DP_WUR;

/*
 * The whole C string s as a number (a command-line option, a decoded query
 * value).  A C string cannot show a NUL inside it: a reader of bytes that
 * may hold one (an HTTP query decoded by libevent) checks for it first
 * (denpod/query.h), or calls dp_num_u64 with the decoded length.
 */
int dp_num_str(uint64_t *out, const char *s, uint64_t min, uint64_t max) DP_WUR;

/* Exactly n (1..19) ASCII digits, leading zeros allowed: a field of a fixed width. */
int dp_num_fixed(uint64_t *out, const char *v, size_t n) DP_WUR;

#endif
