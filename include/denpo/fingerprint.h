/*
 * denpo/fingerprint.h - the fingerprint of an enrolment request: what the
 * officer (denpo init) and the operator (denpod approve) compare by voice,
 * in person or on the phone, before the operator approves, as SSH host key
 * fingerprints and Signal's safety numbers are compared.  It binds the whole
 * request: a request changed or swapped on its way to the operator (other
 * keys, officer, post, device name, times) has another fingerprint.
 *
 *   h = SHAKE256("denpo-enrol-fingerprint-v1" || 0x00 || request, 40 bytes)
 *   group i (0..7) = (h[5i..5i+5) as a big-endian 40-bit number) mod 100000,
 *                    written as 5 decimal digits
 *   shown: the 8 groups separated by single spaces, "01234 56789 ..." (47 characters)
 *
 * request is the whole file as written (DENPO-ENROL-REQUEST/1 through its
 * Signature line).  Its decoder accepts only the canonical encoding, so a
 * request has exactly one fingerprint.
 *
 * Why 40 digits: faking a request means finding another signed request with
 * the same fingerprint as the officer's (a second preimage; the attacker does
 * not choose the officer's keys), 2^132.9 SHAKE256 calls for 8 groups of
 * log2(10^5) = 16.6 bits.  That stays above 2^100 even against 2^30 pending
 * requests at once and if an operator skips one group, while 40 digits read
 * aloud take about half a minute.  Digits because they are read and heard
 * alike in any language (Signal's choice); 2^40 mod 10^5 makes some group
 * values more likely by 1 in 10^7, which costs nothing.
 */
#ifndef DENPO_FINGERPRINT_H
#define DENPO_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#include "denpo/error.h"

#define DP_FP_GROUPS 8
#define DP_FP_GROUP_DIGITS 5
#define DP_FP_DIGITS (DP_FP_GROUPS * DP_FP_GROUP_DIGITS)
#define DP_FP_STR (DP_FP_DIGITS + DP_FP_GROUPS) /* groups, spaces between, NUL */
#define DP_FP_INPUT_MAX 200                     /* what dp_fp_parse reads at most */

/*
 * The shown fingerprint of the request p[0..n) into out.  The request must
 * decode (dp_enrol_request_decode: canonical, both signatures verify),
 * else its error is returned and out is "".
 */
int dp_enrol_fingerprint(const uint8_t *p, size_t n, char out[DP_FP_STR]) DP_WUR;

/*
 * A fingerprint as a person typed it (--expect): exactly DP_FP_DIGITS
 * decimal digits, with any number of spaces or '-' before, between and
 * after them.  digits gets the 40 digits and a NUL.  DP_EPARSE for any
 * other character or another number of digits, DP_ETOOBIG for more than
 * DP_FP_INPUT_MAX characters.
 */
int dp_fp_parse(const char *s, char digits[DP_FP_DIGITS + 1]) DP_WUR;

/* 1 if the typed fingerprint (dp_fp_parse) is the shown one, 0 if not or if typed is malformed. */
int dp_fp_matches(const char shown[DP_FP_STR], const char *typed);

#endif
