/*
 * encoding.c - strict, constant-time base64, hex and Bech32.
 *
 * The character <-> value maps use only arithmetic on the character (no
 * table lookups, no branches on data), so decoding a secret key leaks
 * nothing but its length.  Signed right shifts of negative ints are
 * arithmetic with gcc and clang, which the range masks rely on.
 */
#include <string.h>

#include <sodium.h>

#include "denpo/encoding.h"

/* -1 (all ones) if lo <= c <= hi, else 0; constant time. */
static int ct_range(int c, int lo, int hi)
{
	return ((lo - 1 - c) & (c - hi - 1)) >> 8;
}

/* ---- base64 ---- */

/* 0..63 -> standard alphabet character. */
static char b64_char(int v)
{
	int d = 'A';
	d += ((25 - v) >> 8) & 6;   /* v >= 26: 'a' - 26 */
	d -= ((51 - v) >> 8) & 75;  /* v >= 52: '0' - 52 */
	d -= ((61 - v) >> 8) & 15;  /* v >= 62: '+' - 62 */
	d += ((62 - v) >> 8) & 3;   /* v == 63: '/' - 63 */
	return (char)(v + d);
}

/* Character -> 0..63, or -1 if not in the alphabet. */
static int b64_val(int c)
{
	int r = -1;
	r += ct_range(c, 'A', 'Z') & (c - 'A' + 1);
	r += ct_range(c, 'a', 'z') & (c - 'a' + 26 + 1);
	r += ct_range(c, '0', '9') & (c - '0' + 52 + 1);
	r += ct_range(c, '+', '+') & (62 + 1);
	r += ct_range(c, '/', '/') & (63 + 1);
	return r;
}

size_t dp_b64_enclen(size_t n, int padded)
{
	if (padded)
		return (n + 2) / 3 * 4;
	return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

void dp_b64_encode(char *out, const uint8_t *in, size_t n, int padded)
{
	size_t i = 0, o = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64_char((int)(w >> 18));
		out[o++] = b64_char((int)(w >> 12) & 63);
		out[o++] = b64_char((int)(w >> 6) & 63);
		out[o++] = b64_char((int)w & 63);
	}
	if (n - i == 1) {
		uint32_t w = (uint32_t)in[i] << 16;
		out[o++] = b64_char((int)(w >> 18));
		out[o++] = b64_char((int)(w >> 12) & 63);
		if (padded) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64_char((int)(w >> 18));
		out[o++] = b64_char((int)(w >> 12) & 63);
		out[o++] = b64_char((int)(w >> 6) & 63);
		if (padded)
			out[o++] = '=';
	}
	out[o] = 0;
}

int dp_b64_decode(uint8_t *out, size_t outcap, size_t *outlen, const char *in, size_t inlen,
		  int padded)
{
	size_t L = inlen;
	*outlen = 0;
	if (padded) {
		/* padded form: whole quanta only */
		if (inlen % 4)
			return DP_EPARSE;
		if (L > 0 && in[L - 1] == '=')
			L--;
		if (L > 0 && in[L - 1] == '=')
			L--;
		/* "====" / "x===": padding must complete a 2- or 3-char tail */
		if (L % 4 == 1 || (inlen - L > 0 && L % 4 == 0))
			return DP_EPARSE;
	} else if (L % 4 == 1) {
		/* 1 mod 4 characters cannot encode whole bytes */
		return DP_EPARSE;
	}
	size_t need = L / 4 * 3 + (L % 4 ? L % 4 - 1 : 0);
	if (need > outcap)
		return DP_ETOOBIG;

	int err = 0; /* negative if any character is outside the alphabet */
	size_t i = 0, o = 0;
	for (; i + 4 <= L; i += 4) {
		int a = b64_val((unsigned char)in[i]), b = b64_val((unsigned char)in[i + 1]);
		int c = b64_val((unsigned char)in[i + 2]), d = b64_val((unsigned char)in[i + 3]);
		err |= a | b | c | d;
		uint32_t w = (uint32_t)(a & 63) << 18 | (uint32_t)(b & 63) << 12 |
			     (uint32_t)(c & 63) << 6 | (uint32_t)(d & 63);
		out[o++] = (uint8_t)(w >> 16);
		out[o++] = (uint8_t)(w >> 8);
		out[o++] = (uint8_t)w;
	}
	if (L - i == 2) {
		int a = b64_val((unsigned char)in[i]), b = b64_val((unsigned char)in[i + 1]);
		err |= a | b;
		/* non-canonical: the low 4 bits of the last character must be zero */
		err |= -((b & 15) != 0);
		out[o++] = (uint8_t)(((a & 63) << 2) | ((b & 63) >> 4));
	} else if (L - i == 3) {
		int a = b64_val((unsigned char)in[i]), b = b64_val((unsigned char)in[i + 1]);
		int c = b64_val((unsigned char)in[i + 2]);
		err |= a | b | c;
		/* non-canonical: the low 2 bits of the last character must be zero */
		err |= -((c & 3) != 0);
		out[o++] = (uint8_t)(((a & 63) << 2) | ((b & 63) >> 4));
		out[o++] = (uint8_t)(((b & 15) << 4) | ((c & 63) >> 2));
	}
	if (err < 0) {
		sodium_memzero(out, o);
		return DP_EPARSE;
	}
	*outlen = o;
	return DP_OK;
}

/* ---- hex ---- */

void dp_hex_encode(char *out, const uint8_t *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = in[i] >> 4, lo = in[i] & 15;
		out[2 * i] = (char)(hi + '0' + (((9 - hi) >> 8) & ('a' - '0' - 10)));
		out[2 * i + 1] = (char)(lo + '0' + (((9 - lo) >> 8) & ('a' - '0' - 10)));
	}
	out[2 * n] = 0;
}

static int hex_val(int c)
{
	int r = -1;
	r += ct_range(c, '0', '9') & (c - '0' + 1);
	r += ct_range(c, 'a', 'f') & (c - 'a' + 10 + 1);
	r += ct_range(c, 'A', 'F') & (c - 'A' + 10 + 1);
	return r;
}

int dp_hex_decode(uint8_t *out, size_t n, const char *in, size_t inlen)
{
	/* exactly two digits per byte */
	if (n > SIZE_MAX / 2 || inlen != 2 * n)
		return DP_EPARSE;
	int err = 0;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_val((unsigned char)in[2 * i]), lo = hex_val((unsigned char)in[2 * i + 1]);
		err |= hi | lo;
		out[i] = (uint8_t)(((hi & 15) << 4) | (lo & 15));
	}
	if (err < 0) {
		sodium_memzero(out, n);
		return DP_EPARSE;
	}
	return DP_OK;
}

/* ---- Bech32 (BIP173) ---- */

#define BECH32_MAX_HRP 83

static const char bech32_chars[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t polymod_step(uint32_t chk, int v)
{
	static const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
	uint32_t b = chk >> 25;
	chk = ((chk & 0x1ffffff) << 5) ^ (uint32_t)v;
	for (int i = 0; i < 5; i++)
		chk ^= (uint32_t)(-(int32_t)((b >> i) & 1)) & gen[i];
	return chk;
}

/* Lower-case character -> 0..31, or -1; constant time (scans the whole alphabet). */
static int bech32_val(int c)
{
	int r = 0, found = 0;
	for (int i = 0; i < 32; i++) {
		int m = ct_range(c, bech32_chars[i], bech32_chars[i]);
		r |= m & i;
		found |= m;
	}
	return r | ~found;
}

/* 0..31 -> character; constant time. */
static char bech32_char(int v)
{
	int r = 0;
	for (int i = 0; i < 32; i++)
		r |= ct_range(v, i, i) & bech32_chars[i];
	return (char)r;
}

static uint32_t hrp_polymod(const char *hrp, size_t n)
{
	uint32_t chk = 1;
	for (size_t i = 0; i < n; i++)
		chk = polymod_step(chk, (hrp[i] | 0x20 * (hrp[i] >= 'A' && hrp[i] <= 'Z')) >> 5);
	chk = polymod_step(chk, 0);
	for (size_t i = 0; i < n; i++)
		chk = polymod_step(chk, (hrp[i] | 0x20 * (hrp[i] >= 'A' && hrp[i] <= 'Z')) & 31);
	return chk;
}

int dp_bech32_encode(dp_buf *b, const char *hrp, const uint8_t *data, size_t n, int upper)
{
	size_t hl = strlen(hrp);
	/* HRP: 1..83 printable characters */
	if (hl < 1 || hl > BECH32_MAX_HRP)
		return DP_EINVAL;
	for (size_t i = 0; i < hl; i++)
		if (hrp[i] < 33 || hrp[i] > 126)
			return DP_EINVAL;
	/* n * 8 must not wrap: a wrapped count would under-size the output */
	if (n > (SIZE_MAX - 4) / 8)
		return DP_ETOOBIG;
	size_t n5 = (n * 8 + 4) / 5;
	uint8_t *o;
	int r = dp_buf_grow(b, hl + 1 + n5 + 6, &o);
	if (r)
		return r;
	int cs = upper ? 0 : 0x20; /* case bit applied to letters */
	for (size_t i = 0; i < hl; i++) {
		int c = hrp[i];
		if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
			c = (c & ~0x20) | cs;
		*o++ = (uint8_t)c;
	}
	*o++ = '1';
	uint32_t chk = hrp_polymod(hrp, hl);
	uint32_t acc = 0;
	int bits = 0;
	int letter = upper ? ~0x20 : 0xff;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8 | data[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			int v = (int)(acc >> bits) & 31;
			chk = polymod_step(chk, v);
			int c = bech32_char(v);
			/* upper-casing only touches letters: digits have 0x20 set and stay */
			*o++ = (uint8_t)(c & (letter | (ct_range(c, '0', '9') & 0x20)));
		}
	}
	if (bits > 0) {
		int v = (int)(acc << (5 - bits)) & 31;
		chk = polymod_step(chk, v);
		int c = bech32_char(v);
		*o++ = (uint8_t)(c & (letter | (ct_range(c, '0', '9') & 0x20)));
	}
	for (int i = 0; i < 6; i++)
		chk = polymod_step(chk, 0);
	chk ^= 1;
	for (int i = 0; i < 6; i++) {
		int c = bech32_char((int)(chk >> (5 * (5 - i))) & 31);
		*o++ = (uint8_t)(c & (letter | (ct_range(c, '0', '9') & 0x20)));
	}
	sodium_memzero(&acc, sizeof acc);
	return DP_OK;
}

int dp_bech32_decode(char *hrp, size_t hrpcap, dp_buf *data, const char *in, size_t inlen)
{
	size_t sep = inlen;
	/* the separator is the last '1'; the data part never contains one */
	for (size_t i = inlen; i > 0; i--)
		if (in[i - 1] == '1') {
			sep = i - 1;
			break;
		}
	/* need a separator, a 1..83 char HRP and at least the 6-char checksum */
	if (sep == inlen || sep < 1 || sep > BECH32_MAX_HRP || inlen - sep - 1 < 6)
		return DP_EPARSE;
	if (sep + 1 > hrpcap)
		return DP_ETOOBIG;

	int lower = 0, upper = 0, bad = 0;
	for (size_t i = 0; i < inlen; i++) {
		int c = (unsigned char)in[i];
		bad |= ~ct_range(c, 33, 126);
		lower |= ct_range(c, 'a', 'z');
		upper |= ct_range(c, 'A', 'Z');
	}
	/* only printable ASCII, and never mixed case */
	if (bad || (lower && upper))
		return DP_EPARSE;

	for (size_t i = 0; i < sep; i++) {
		int c = (unsigned char)in[i];
		hrp[i] = (char)(c | (ct_range(c, 'A', 'Z') & 0x20));
	}
	hrp[sep] = 0;
	uint32_t chk = hrp_polymod(hrp, sep);

	size_t start = data->len;
	size_t ndata = inlen - sep - 1 - 6; /* 5-bit groups carrying data */
	uint8_t *o;
	int r = dp_buf_grow(data, ndata * 5 / 8, &o);
	if (r)
		return r;
	uint32_t acc = 0;
	int bits = 0, err = 0;
	for (size_t i = sep + 1; i < inlen; i++) {
		int c = (unsigned char)in[i];
		int v = bech32_val(c | (ct_range(c, 'A', 'Z') & 0x20));
		err |= v;
		v &= 31;
		chk = polymod_step(chk, v);
		if (i - sep - 1 < ndata) {
			acc = (acc << 5 | (uint32_t)v) & 0xfff;
			bits += 5;
			if (bits >= 8) {
				bits -= 8;
				*o++ = (uint8_t)(acc >> bits);
			}
		}
	}
	/* leftover padding must be under 5 bits and all zero */
	err |= -((acc & ((1u << bits) - 1)) != 0);
	sodium_memzero(&acc, sizeof acc);
	if (err < 0 || bits >= 5 || chk != 1) {
		sodium_memzero(data->p + start, data->len - start);
		data->len = start;
		data->p[start] = 0;
		return DP_EPARSE;
	}
	return DP_OK;
}
