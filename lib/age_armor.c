/*
 * age_armor.c - the age ASCII armor: strict RFC 7468 PEM, label
 * "AGE ENCRYPTED FILE", 64-column lines of padded canonical base64.
 *
 * Accepted: whitespace (SP, HT, CR, LF) before the BEGIN line and after the
 * END line, LF or CRLF line ends, no line end after END.  Refused (armor
 * failure): headers, empty lines, whitespace inside the block, a short line
 * that is not the last, lines over 64 columns, missing padding, non-zero
 * trailing bits, anything else around the block.
 */
#include <string.h>

#include "denpo/age.h"
#include "denpo/crypto.h"
#include "denpo/encoding.h"

#define ARMOR_BEGIN "-----BEGIN AGE ENCRYPTED FILE-----"
#define ARMOR_END "-----END AGE ENCRYPTED FILE-----"
#define ARMOR_COLS 64

int dp_age_armor(const uint8_t *in, size_t n, dp_buf *out)
{
	size_t start = out->len;
	char line[ARMOR_COLS + 1];
	int r = dp_buf_puts(out, ARMOR_BEGIN "\n");
	for (size_t i = 0; !r && i < n; i += ARMOR_COLS / 4 * 3) {
		size_t k = n - i < ARMOR_COLS / 4 * 3 ? n - i : ARMOR_COLS / 4 * 3;
		dp_b64_encode(line, in + i, k, 1);
		r = dp_buf_puts(out, line);
		if (!r)
			r = dp_buf_putc(out, '\n');
	}
	if (!r)
		r = dp_buf_puts(out, ARMOR_END "\n");
	if (r) {
		out->len = start;
		if (out->p)
			out->p[start] = 0;
	}
	return r;
}

static int is_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Next line of the block: content in l, ln without its LF or CRLF.
 * *eol is 0 when the input ended without a line end.
 */
static void next_line(dp_cur *c, const uint8_t **l, size_t *ln, int *eol)
{
	const uint8_t *lf = memchr(c->p, '\n', c->len);
	size_t n = lf ? (size_t)(lf - c->p) : c->len;
	*l = c->p;
	*eol = lf != NULL;
	c->p += n + (lf != NULL);
	c->len -= n + (lf != NULL);
	if (n > 0 && (*l)[n - 1] == '\r')
		n--;
	*ln = n;
}

int dp_age_dearmor(const uint8_t *in, size_t n, dp_buf *out)
{
	dp_cur c = dp_cur_make(in, n);
	const uint8_t *l;
	size_t ln;
	int eol;
	size_t start = out->len;
	int r = DP_EARMOR;

	while (c.len && is_ws(c.p[0]))
		c.p++, c.len--;
	next_line(&c, &l, &ln, &eol);
	/* the BEGIN line exactly, with the right label, then a line end */
	if (!eol || ln != strlen(ARMOR_BEGIN) || memcmp(l, ARMOR_BEGIN, ln) != 0)
		return DP_EARMOR;

	/* base64 text, lines joined; decoded at the END line */
	dp_buf b64;
	dp_buf_init(&b64, n);
	int short_seen = 0;
	for (;;) {
		if (c.len == 0)
			goto out; /* no END line */
		next_line(&c, &l, &ln, &eol);
		if (ln == strlen(ARMOR_END) && memcmp(l, ARMOR_END, ln) == 0)
			break;
		/* a line after a short line, an empty line, or an over-long line */
		if (short_seen || ln == 0 || ln > ARMOR_COLS || !eol)
			goto out;
		if (ln < ARMOR_COLS)
			short_seen = 1;
		/* padded base64 comes in whole 4-character groups */
		if (ln % 4)
			goto out;
		if (dp_buf_append(&b64, l, ln))
			goto out;
	}
	/* only whitespace may follow the block */
	for (size_t i = 0; i < c.len; i++)
		if (!is_ws(c.p[i]))
			goto out;

	/* exact decoded size, so that an out buffer capped at it suffices */
	size_t dl = b64.len / 4 * 3, got;
	for (size_t i = 0; i < 2 && i < b64.len && b64.p[b64.len - 1 - i] == '='; i++)
		dl--;
	uint8_t *d;
	r = dp_buf_grow(out, dl, &d);
	if (r)
		goto out;
	/* '=' anywhere but the end, missing padding, non-canonical bits */
	if (dp_b64_decode(d, dl, &got, (const char *)b64.p, b64.len, 1)) {
		r = DP_EARMOR;
		goto out;
	}
	out->len = start + got;
	out->p[out->len] = 0;
	r = DP_OK;
out:
	dp_buf_free(&b64);
	if (r && out->p && out->len > start) {
		dp_wipe(out->p + start, out->len - start);
		out->len = start;
		out->p[start] = 0;
	}
	return r;
}
