/*
 * sha3.c - FIPS 202 Keccak-f[1600] and the sponge: SHA3-256, SHA3-512,
 * SHAKE128, SHAKE256.  Written from FIPS 202 sections 3-6; the state is 25
 * 64-bit lanes A[x+5y], bytes mapped to lanes little-endian (FIPS 202 B.1).
 * No secret-dependent branches or indices: every step is fixed-shape.
 */
#include <string.h>

#include "denpo/crypto.h"
#include "denpo/sha3.h"

/* rho offsets (FIPS 202 Algorithm 2) for lane x+5y. */
static const unsigned RHO[25] = {
	0,  1,  62, 28, 27, /* y = 0 */
	36, 44, 6,  55, 20, /* y = 1 */
	3,  10, 43, 25, 39, /* y = 2 */
	41, 45, 15, 21, 8,  /* y = 3 */
	18, 2,  61, 56, 14, /* y = 4 */
};

/* iota round constants (FIPS 202 Algorithm 6, from rc(t) of Algorithm 5). */
static const uint64_t RC[24] = {
	0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
	0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
	0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
	0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
	0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
	0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

static inline uint64_t rol64(uint64_t v, unsigned s)
{
	return (v << s) | (v >> ((64 - s) & 63));
}

void dp_keccak_f1600(uint64_t A[25])
{
	uint64_t B[25], C[5], D[5];
	for (int r = 0; r < 24; r++) {
		/* theta */
#pragma GCC unroll 5
		for (int x = 0; x < 5; x++)
			C[x] = A[x] ^ A[x + 5] ^ A[x + 10] ^ A[x + 15] ^ A[x + 20];
#pragma GCC unroll 5
		for (int x = 0; x < 5; x++)
			D[x] = C[(x + 4) % 5] ^ rol64(C[(x + 1) % 5], 1);
		/* rho and pi: A[x,y] moves to B[y, 2x+3y] */
#pragma GCC unroll 5
		for (int y = 0; y < 5; y++)
#pragma GCC unroll 5
			for (int x = 0; x < 5; x++)
				B[y + 5 * ((2 * x + 3 * y) % 5)] =
					rol64(A[x + 5 * y] ^ D[x], RHO[x + 5 * y]);
		/* chi */
#pragma GCC unroll 5
		for (int y = 0; y < 5; y++)
#pragma GCC unroll 5
			for (int x = 0; x < 5; x++)
				A[x + 5 * y] = B[x + 5 * y] ^
					       (~B[(x + 1) % 5 + 5 * y] & B[(x + 2) % 5 + 5 * y]);
		/* iota */
		A[0] ^= RC[r];
	}
}

static void init(dp_sha3_ctx *c, unsigned rate, uint8_t dsep)
{
	memset(c, 0, sizeof *c);
	c->rate = rate;
	c->dsep = dsep;
}

void dp_sha3_256_init(dp_sha3_ctx *c) { init(c, 136, 0x06); }
void dp_sha3_512_init(dp_sha3_ctx *c) { init(c, 72, 0x06); }
void dp_shake128_init(dp_sha3_ctx *c) { init(c, DP_SHAKE128_RATE, 0x1f); }
void dp_shake256_init(dp_sha3_ctx *c) { init(c, DP_SHAKE256_RATE, 0x1f); }

static inline void xor_byte(uint64_t *st, unsigned i, uint8_t b)
{
	st[i / 8] ^= (uint64_t)b << (8 * (i % 8));
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

void dp_sha3_absorb(dp_sha3_ctx *c, const void *in, size_t n)
{
	const uint8_t *p = in;
	if (c->squeezing)
		return; /* contract: absorbing after the output began is ignored */
	/* finish a partial block */
	while (n && c->pos) {
		xor_byte(c->st, c->pos, *p++);
		n--;
		if (++c->pos == c->rate) {
			dp_keccak_f1600(c->st);
			c->pos = 0;
		}
	}
	/* whole blocks, a lane at a time */
	while (n >= c->rate) {
		for (unsigned i = 0; i < c->rate / 8; i++)
			c->st[i] ^= load64(p + 8 * i);
		dp_keccak_f1600(c->st);
		p += c->rate;
		n -= c->rate;
	}
	while (n--)
		xor_byte(c->st, c->pos++, *p++);
}

/* Pad (pad10*1 with the domain bits) and permute once: output may begin. */
static void pad(dp_sha3_ctx *c)
{
	xor_byte(c->st, c->pos, c->dsep);
	xor_byte(c->st, c->rate - 1, 0x80);
	dp_keccak_f1600(c->st);
	c->pos = 0;
	c->squeezing = 1;
}

void dp_shake_squeeze(dp_sha3_ctx *c, uint8_t *out, size_t n)
{
	if (!c->squeezing)
		pad(c);
	while (n) {
		if (c->pos == c->rate) {
			dp_keccak_f1600(c->st);
			c->pos = 0;
		}
		if (c->pos == 0 && n >= c->rate) {
			/* a whole block straight out */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			memcpy(out, c->st, c->rate); /* lanes are already in byte order */
#else
			for (unsigned i = 0; i < c->rate / 8; i++)
				for (unsigned j = 0; j < 8; j++)
					out[8 * i + j] = (uint8_t)(c->st[i] >> (8 * j));
#endif
			out += c->rate;
			n -= c->rate;
			c->pos = c->rate;
			continue;
		}
		*out++ = (uint8_t)(c->st[c->pos / 8] >> (8 * (c->pos % 8)));
		c->pos++;
		n--;
	}
}

void dp_sha3_wipe(dp_sha3_ctx *c) { dp_wipe(c, sizeof *c); }

void dp_sha3_256_final(dp_sha3_ctx *c, uint8_t out[DP_SHA3_256])
{
	dp_shake_squeeze(c, out, DP_SHA3_256);
	dp_sha3_wipe(c);
}

void dp_sha3_512_final(dp_sha3_ctx *c, uint8_t out[DP_SHA3_512])
{
	dp_shake_squeeze(c, out, DP_SHA3_512);
	dp_sha3_wipe(c);
}

void dp_sha3_256(uint8_t out[DP_SHA3_256], const void *p, size_t n)
{
	dp_sha3_ctx c;
	dp_sha3_256_init(&c);
	dp_sha3_absorb(&c, p, n);
	dp_sha3_256_final(&c, out);
}

void dp_sha3_512(uint8_t out[DP_SHA3_512], const void *p, size_t n)
{
	dp_sha3_ctx c;
	dp_sha3_512_init(&c);
	dp_sha3_absorb(&c, p, n);
	dp_sha3_512_final(&c, out);
}

void dp_shake128(uint8_t *out, size_t outlen, const void *p, size_t n)
{
	dp_sha3_ctx c;
	dp_shake128_init(&c);
	dp_sha3_absorb(&c, p, n);
	dp_shake_squeeze(&c, out, outlen);
	dp_sha3_wipe(&c);
}

void dp_shake256(uint8_t *out, size_t outlen, const void *p, size_t n)
{
	dp_sha3_ctx c;
	dp_shake256_init(&c);
	dp_sha3_absorb(&c, p, n);
	dp_shake_squeeze(&c, out, outlen);
	dp_sha3_wipe(&c);
}
