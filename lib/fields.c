/*
 * fields.c - "Name: value" text fields, shared by the cable header block
 * (cable.c) and the enrolment files (enrol.c), and the one reader of a
 * UTF-8 code point (note.c, markings.c).  See fields.h.
 */
#include <string.h>

#include "lib/fields.h"

int dp_fld_take(dp_cur *c, const char *name, int bytes, const char **v, size_t *vn)
{
	const uint8_t *nl = memchr(c->p, '\n', c->len);
	if (!nl)
		return DP_EPARSE; /* every line, the last header included, ends in LF */
	size_t ln = (size_t)(nl - c->p), nm = strlen(name);
	if (ln < nm + 2 || memcmp(c->p, name, nm) || c->p[nm] != ':' || c->p[nm + 1] != ' ')
		return 0;
	for (size_t i = 0; i < ln; i++)
		if (c->p[i] < 0x20 || c->p[i] == 0x7f || (bytes == DP_FLD_ASCII && c->p[i] > 0x7f))
			return DP_EPARSE; /* no CR, NUL or other controls; no UTF-8 where ASCII */
	*v = (const char *)c->p + nm + 2;
	*vn = ln - nm - 2;
	c->p += ln + 1;
	c->len -= ln + 1;
	return 1;
}

int dp_fld_need(dp_cur *c, const char *name, int bytes, const char **v, size_t *vn)
{
	int r = dp_fld_take(c, name, bytes, v, vn);
	return r == 1 ? DP_OK : r == 0 ? DP_EPARSE : r;
}

int dp_fld_copy(char *dst, size_t cap, const char *v, size_t vn)
{
	if (vn >= cap)
		return DP_ETOOBIG; /* longer than the field allows */
	memcpy(dst, v, vn);
	dst[vn] = 0;
	return DP_OK;
}

int dp_fld_list(char *l, size_t w, size_t max, size_t *n, const char *v, size_t vn)
{
	size_t k = 0, i = 0;
	for (;;) {
		const char *comma = memchr(v + i, ',', vn - i);
		size_t end = comma ? (size_t)(comma - v) : vn;
		if (k == max)
			return DP_ETOOBIG;
		int r = dp_fld_copy(l + k * w, w, v + i, end - i);
		if (r)
			return r;
		k++;
		if (!comma)
			break;
		if (end + 1 >= vn || v[end + 1] != ' ')
			return DP_EPARSE; /* separator is ", " */
		i = end + 2;
	}
	*n = k;
	return DP_OK;
}

int dp_fld_label_ok(const char *s, size_t max, int spaces)
{
	size_t n = strnlen(s, max + 1);
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		int alnum = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
			    (ch >= '0' && ch <= '9');
		if (i == 0 && !alnum)
			return 0; /* no hidden files, no "-option", no leading space */
		if (spaces && ch == ' ' && i + 1 < n && s[i + 1] != ' ')
			continue; /* a single inner space */
		if (!alnum && ch != '.' && ch != '_' && ch != '-')
			return 0;
	}
	return 1;
}

int dp_fld_names_ok(const char (*l)[DP_NAME_MAX + 1], size_t n, size_t max, int (*ok)(const char *))
{
	if (n > max)
		return DP_ETOOBIG;
	for (size_t i = 0; i < n; i++) {
		if (!ok(l[i]))
			return DP_EPARSE;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(l[i], l[j]))
				return DP_EPARSE; /* duplicate entry */
	}
	return DP_OK;
}

int dp_fld_put_list(dp_buf *b, const char *name, const char (*l)[DP_NAME_MAX + 1], size_t n)
{
	int r = dp_buf_printf(b, "%s: ", name);
	for (size_t i = 0; !r && i < n; i++)
		r = dp_buf_printf(b, "%s%s", i ? ", " : "", l[i]);
	return r ? r : dp_buf_putc(b, '\n');
}

long dp_fld_utf8_next(const uint8_t *p, size_t n, size_t *i)
{
	uint8_t b = p[*i];
	if (b < 0x80) {
		(*i)++;
		return b;
	}
	size_t k;
	long c, min;
	if ((b & 0xe0) == 0xc0) {
		k = 1, c = b & 0x1f, min = 0x80;
	} else if ((b & 0xf0) == 0xe0) {
		k = 2, c = b & 0x0f, min = 0x800;
	} else if ((b & 0xf8) == 0xf0) {
		k = 3, c = b & 0x07, min = 0x10000;
	} else {
		return -1; /* continuation byte or 0xf8.. lead */
	}
	if (n - *i - 1 < k)
		return -1; /* truncated sequence */
	for (size_t j = 1; j <= k; j++) {
		uint8_t d = p[*i + j];
		if ((d & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (d & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1; /* overlong, out of range, surrogate */
	*i += k + 1;
	return c;
}
