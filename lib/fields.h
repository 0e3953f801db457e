/*
 * lib/fields.h - internal to libdenpo: the "Name: value" text fields that
 * the cable header block and the enrolment files are made of (one field a
 * line, in a fixed order, docs/formats.md).  The readers work on a dp_cur
 * over untrusted bytes; a value is a pointer and a length into the input,
 * never NUL-terminated until it is copied out.  Also the value rules both
 * formats share (labels, name lists).  Programs outside lib/ do not include
 * this header: numbers are read through the public denpo/num.h.
 */
#ifndef DENPO_LIB_FIELDS_H
#define DENPO_LIB_FIELDS_H

#include <stddef.h>
#include <stdint.h>
#include "denpo/buf.h"
#include "denpo/cable.h"
#include "denpo/num.h"

/* Which bytes a field line may hold (CR, NUL, other C0 controls and DEL never). */
#define DP_FLD_ASCII 0 /* printable ASCII only: the enrolment files */
#define DP_FLD_UTF8 1  /* also bytes >= 0x80: cable headers, UTF-8 checked by the field's rule */

/*
 * If the next line is "Name: value\n", consume it and point *v, *vn at the
 * value.  Returns 1 if taken, 0 if the next line is another field (nothing
 * consumed), DP_EPARSE if there is no LF or the line holds a byte that
 * `bytes` does not allow.
 */
int dp_fld_take(dp_cur *c, const char *name, int bytes, const char **v, size_t *vn) DP_WUR;
/* dp_fld_take for a required field: absent, misordered or unknown here is DP_EPARSE. */
int dp_fld_need(dp_cur *c, const char *name, int bytes, const char **v, size_t *vn) DP_WUR;
/* Copy the value into dst (cap bytes with its NUL); DP_ETOOBIG if it does not fit. */
int dp_fld_copy(char *dst, size_t cap, const char *v, size_t vn) DP_WUR;
/*
 * "a, b, c" into the array l of entries w bytes wide (each copied as by
 * dp_fld_copy), *n = the count.  DP_ETOOBIG for more than max entries or an
 * entry wider than w - 1, DP_EPARSE for a separator other than ", ".
 */
int dp_fld_list(char *l, size_t w, size_t max, size_t *n, const char *v, size_t vn) DP_WUR;
/*
 * A number field: dp_num_u64 in [0, max] (denpo/num.h, the one reader of
 * numbers): DP_EPARSE if malformed or over 2^64 - 1, DP_ETOOBIG if > max.
 */
static inline DP_WUR int dp_fld_uint(uint64_t *out, const char *v, size_t vn, uint64_t max)
{
	return dp_num_u64(out, v, vn, 0, max);
}

/*
 * 1 if s is a label (an attachment's file name, a device name): 1..max
 * bytes of [A-Za-z0-9._-], the first alphanumeric; if spaces is set, also
 * single spaces between other characters ("TOKYO LAPTOP 2").
 */
int dp_fld_label_ok(const char *s, size_t max, int spaces);
/* Names in a list: at most max (else DP_ETOOBIG), each passes ok(), none repeated (else DP_EPARSE). */
int dp_fld_names_ok(const char (*l)[DP_NAME_MAX + 1], size_t n, size_t max,
		    int (*ok)(const char *)) DP_WUR;
/* Append "Name: a, b, c\n" (the line is written even for n == 0). */
int dp_fld_put_list(dp_buf *b, const char *name, const char (*l)[DP_NAME_MAX + 1],
		    size_t n) DP_WUR;

/*
 * The code point at p[*i] (i < n), advancing *i past it; -1 unless
 * shortest-form UTF-8 of a scalar value (no surrogates, at most U+10FFFF),
 * then *i is unchanged.  (signed notes, classification markings)
 */
long dp_fld_utf8_next(const uint8_t *p, size_t n, size_t *i);

#endif
