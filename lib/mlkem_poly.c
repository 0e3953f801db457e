/*
 * mlkem_poly.c - ML-KEM polynomial arithmetic, encodings and sampling,
 * written from FIPS 203 (sections 4.2.1 and 4.3, Algorithms 5-11).
 *
 * Reductions: Montgomery (R = 2^16) for products, Barrett for sums; both
 * are fixed sequences of multiplies and shifts.  Right shifts of negative
 * values are arithmetic (gcc and clang document this).
 */
#include <string.h>

#include "denpo/crypto.h"
#include "denpo/sha3.h"
#include "lib/mlkem_poly.h"

#define Q DP_MLKEM_Q
#define N DP_MLKEM_N
#define QINV 62209u      /* q^-1 mod 2^16 */
#define MONT_SQ 1353     /* 2^32 mod q */
#define INVNTT_F 1441    /* 2^25 mod q = 2^32 / 128 mod q */
#define BARRETT_V 20159  /* round(2^26 / q) */
#define DIVQ_M 20642679u /* ceil(2^36 / q): floor(a / q) = (a * DIVQ_M) >> 36 for a < 2^22 */

/* zeta^BitRev7(i) * 2^16 mod q, centred, zeta = 17 (FIPS 203 section 4.3). */
static const int16_t ZETAS[128] = {
	-1044, -758,  -359,  -1517, 1493,  1422,  287,   202,  -171,  622,   1577,  182,   962,
	-1202, -1474, 1468,  573,   -1325, 264,   383,   -829, 1458,  -1602, -130,  -681,  1017,
	732,   608,   -1542, 411,   -205,  -1571, 1223,  652,  -552,  1015,  -1293, 1491,  -282,
	-1544, 516,   -8,    -320,  -666,  -1618, -1162, 126,  1469,  -853,  -90,   -271,  830,
	107,   -1421, -247,  -951,  -398,  961,   -1508, -725, 448,   -1065, 677,   -1275, -1103,
	430,   555,   843,   -1251, 871,   1550,  105,   422,  587,   177,   -235,  -291,  -460,
	1574,  1653,  -246,  778,   1159,  -147,  -777,  1483, -602,  1119,  -1590, 644,   -872,
	349,   418,   329,   -156,  -75,   817,   1097,  603,  610,   1322,  -1285, -1465, 384,
	-1215, -136,  1218,  -1335, -874,  220,   -1187, -1659, -1185, -1530, -1278, 794,   -1510,
	-854,  -870,  478,   -108,  -308,  996,   991,   958,  -1460, 1522,  1628,
};

/* gamma_i = zeta^(2 BitRev7(i) + 1) * 2^16 mod q for MultiplyNTTs: +zeta, -zeta
 * of ZETAS[64 + i/2] alternately (zeta^128 = -1). */
static const int16_t GAMMAS[128] = {
#define PM(z) z, -z
	PM(-1103), PM(430),   PM(555),   PM(843),   PM(-1251), PM(871),   PM(1550),  PM(105),
	PM(422),   PM(587),   PM(177),   PM(-235),  PM(-291),  PM(-460),  PM(1574),  PM(1653),
	PM(-246),  PM(778),   PM(1159),  PM(-147),  PM(-777),  PM(1483),  PM(-602),  PM(1119),
	PM(-1590), PM(644),   PM(-872),  PM(349),   PM(418),   PM(329),   PM(-156),  PM(-75),
	PM(817),   PM(1097),  PM(603),   PM(610),   PM(1322),  PM(-1285), PM(-1465), PM(384),
	PM(-1215), PM(-136),  PM(1218),  PM(-1335), PM(-874),  PM(220),   PM(-1187), PM(-1659),
	PM(-1185), PM(-1530), PM(-1278), PM(794),   PM(-1510), PM(-854),  PM(-870),  PM(478),
	PM(-108),  PM(-308),  PM(996),   PM(991),   PM(958),   PM(-1460), PM(1522),  PM(1628),
#undef PM
};

/* a * b * 2^-16 mod q (Montgomery), |result| < q for |a * b| < q * 2^15.
 * t = a b q^-1 mod 2^16 makes a b - t q divisible by 2^16; as both
 * products then share their low halves, (a b - t q) >> 16 is the difference
 * of their high halves: 16-bit multiplies only, which vectorise. */
static inline int16_t fqmul(int16_t a, int16_t b)
{
	int32_t p = (int32_t)a * b;
	int16_t t = (int16_t)(uint16_t)((uint32_t)(uint16_t)p * QINV);
	return (int16_t)((p >> 16) - (((int32_t)t * Q) >> 16));
}

/* a mod q, centred: |result| <= q/2.  t = round(a * v / 2^26), written as
 * a high-half product then a rounding shift (the same value) so that it
 * vectorises. */
static inline int16_t barrett(int16_t a)
{
	int16_t t = (int16_t)(((int32_t)a * BARRETT_V) >> 16);
	t = (int16_t)((t + (1 << 9)) >> 10);
	return (int16_t)(a - t * Q);
}

/* The representative in [0, q) of |a| < q, without a branch. */
static inline uint16_t canon(int16_t a)
{
	a = (int16_t)(a + ((a >> 15) & Q));
	return (uint16_t)a;
}

/* round(2^d * x / q) mod 2^d for x in [0, q) (Compress_d). */
static inline uint32_t compress(uint16_t x, unsigned d)
{
	uint64_t a = ((uint64_t)x << d) + Q / 2;
	return (uint32_t)((a * DIVQ_M) >> 36) & ((1u << d) - 1);
}

/* round(q * y / 2^d) (Decompress_d). */
static inline int16_t decompress(uint32_t y, unsigned d)
{
	return (int16_t)((y * Q + (1u << (d - 1))) >> d);
}

/* One layer of Algorithm 9; inlined with a constant len so that the inner
 * loop has a fixed trip count and compiles to vector code. */
static inline __attribute__((always_inline)) void ntt_layer(int16_t *f, unsigned len, unsigned k)
{
	for (unsigned start = 0; start < N; start += 2 * len) {
		int16_t z = ZETAS[k++], *lo = f + start, *hi = lo + len;
		for (unsigned j = 0; j < len; j++) {
			int16_t t = fqmul(z, hi[j]);
			hi[j] = (int16_t)(lo[j] - t);
			lo[j] = (int16_t)(lo[j] + t);
		}
	}
}

void dp_mlkem_poly_ntt(dp_mlkem_poly *p)
{
	/* layer with len uses zetas 128/len .. 256/len - 1 */
	ntt_layer(p->c, 128, 1);
	ntt_layer(p->c, 64, 2);
	ntt_layer(p->c, 32, 4);
	ntt_layer(p->c, 16, 8);
	ntt_layer(p->c, 8, 16);
	ntt_layer(p->c, 4, 32);
	ntt_layer(p->c, 2, 64);
	dp_mlkem_poly_reduce(p);
}

/* One layer of Algorithm 10 (zetas taken downwards from k).  Sums double
 * their bound each layer; with inputs |f| <= q/2 they stay below 8q
 * (int16-safe) for four layers, so only the fourth layer reduces them. */
static inline __attribute__((always_inline)) void invntt_layer(int16_t *f, unsigned len, unsigned k,
							      int reduce)
{
	for (unsigned start = 0; start < N; start += 2 * len) {
		int16_t z = ZETAS[k--], *lo = f + start, *hi = lo + len;
		for (unsigned j = 0; j < len; j++) {
			int16_t t = lo[j];
			lo[j] = (int16_t)(t + hi[j]);
			if (reduce)
				lo[j] = barrett(lo[j]);
			hi[j] = fqmul(z, (int16_t)(hi[j] - t));
		}
	}
}

void dp_mlkem_poly_invntt(dp_mlkem_poly *p)
{
	int16_t *f = p->c;
	dp_mlkem_poly_reduce(p);   /* |f| <= q/2 */
	invntt_layer(f, 2, 127, 0);  /* sums < q */
	invntt_layer(f, 4, 63, 0);   /* < 2q */
	invntt_layer(f, 8, 31, 0);   /* < 4q */
	invntt_layer(f, 16, 15, 1);  /* < 8q before, q/2 after the reduction */
	invntt_layer(f, 32, 7, 0);   /* < 2q (the other halves are fqmul outputs, < q) */
	invntt_layer(f, 64, 3, 0);   /* < 4q */
	invntt_layer(f, 128, 1, 0);  /* < 8q */
	for (unsigned j = 0; j < N; j++)
		f[j] = fqmul(f[j], INVNTT_F);
}

void dp_mlkem_poly_basemul_acc(dp_mlkem_poly *r, const dp_mlkem_poly *a, const dp_mlkem_poly *b)
{
	/* pair i (coefficients 2i, 2i+1) multiplies modulo X^2 - gamma_i, where
	 * gamma = +zeta, -zeta for the two pairs of each group of four */
	for (unsigned i = 0; i < N / 2; i++) {
		int16_t g = GAMMAS[i];
		int16_t a0 = a->c[2 * i], a1 = a->c[2 * i + 1], b0 = b->c[2 * i], b1 = b->c[2 * i + 1];
		int16_t c0 = (int16_t)(fqmul(fqmul(a1, b1), g) + fqmul(a0, b0));
		int16_t c1 = (int16_t)(fqmul(a0, b1) + fqmul(a1, b0));
		r->c[2 * i] = (int16_t)(r->c[2 * i] + c0);
		r->c[2 * i + 1] = (int16_t)(r->c[2 * i + 1] + c1);
	}
}

void dp_mlkem_poly_tomont(dp_mlkem_poly *r)
{
	for (unsigned i = 0; i < N; i++)
		r->c[i] = fqmul(r->c[i], MONT_SQ);
}

void dp_mlkem_poly_reduce(dp_mlkem_poly *r)
{
	for (unsigned i = 0; i < N; i++)
		r->c[i] = barrett(r->c[i]);
}

void dp_mlkem_poly_add(dp_mlkem_poly *r, const dp_mlkem_poly *a)
{
	for (unsigned i = 0; i < N; i++)
		r->c[i] = (int16_t)(r->c[i] + a->c[i]);
}

void dp_mlkem_poly_sub(dp_mlkem_poly *r, const dp_mlkem_poly *a)
{
	for (unsigned i = 0; i < N; i++)
		r->c[i] = (int16_t)(r->c[i] - a->c[i]);
}

void dp_mlkem_poly_tobytes(uint8_t r[DP_MLKEM_POLYBYTES], const dp_mlkem_poly *p)
{
	for (unsigned i = 0; i < N / 2; i++) {
		uint16_t a = canon(barrett(p->c[2 * i])), b = canon(barrett(p->c[2 * i + 1]));
		r[3 * i] = (uint8_t)a;
		r[3 * i + 1] = (uint8_t)((a >> 8) | (b << 4));
		r[3 * i + 2] = (uint8_t)(b >> 4);
	}
}

void dp_mlkem_poly_frombytes(dp_mlkem_poly *p, const uint8_t r[DP_MLKEM_POLYBYTES])
{
	for (unsigned i = 0; i < N / 2; i++) {
		uint16_t a = (uint16_t)(r[3 * i] | ((r[3 * i + 1] & 0x0f) << 8));
		uint16_t b = (uint16_t)((r[3 * i + 1] >> 4) | (r[3 * i + 2] << 4));
		/* values are < 4096 < 2q: Barrett brings them into |c| <= q/2 */
		p->c[2 * i] = barrett((int16_t)a);
		p->c[2 * i + 1] = barrett((int16_t)b);
	}
}

int dp_mlkem_poly_check12(const uint8_t r[DP_MLKEM_POLYBYTES])
{
	/* public data (an encapsulation key): an early exit is fine */
	for (unsigned i = 0; i < N / 2; i++) {
		unsigned a = r[3 * i] | ((r[3 * i + 1] & 0x0fu) << 8);
		unsigned b = (r[3 * i + 1] >> 4) | ((unsigned)r[3 * i + 2] << 4);
		if (a >= Q || b >= Q)
			return 0;
	}
	return 1;
}

void dp_mlkem_poly_compress10(uint8_t r[DP_MLKEM_POLYC10], const dp_mlkem_poly *p)
{
	for (unsigned i = 0; i < N / 4; i++) {
		uint32_t t[4];
		for (unsigned j = 0; j < 4; j++)
			t[j] = compress(canon(barrett(p->c[4 * i + j])), 10);
		r[5 * i] = (uint8_t)t[0];
		r[5 * i + 1] = (uint8_t)((t[0] >> 8) | (t[1] << 2));
		r[5 * i + 2] = (uint8_t)((t[1] >> 6) | (t[2] << 4));
		r[5 * i + 3] = (uint8_t)((t[2] >> 4) | (t[3] << 6));
		r[5 * i + 4] = (uint8_t)(t[3] >> 2);
	}
}

void dp_mlkem_poly_decompress10(dp_mlkem_poly *p, const uint8_t r[DP_MLKEM_POLYC10])
{
	for (unsigned i = 0; i < N / 4; i++) {
		const uint8_t *b = r + 5 * i;
		uint32_t t[4] = {
			b[0] | ((uint32_t)(b[1] & 0x03) << 8),
			(b[1] >> 2) | ((uint32_t)(b[2] & 0x0f) << 6),
			(b[2] >> 4) | ((uint32_t)(b[3] & 0x3f) << 4),
			(b[3] >> 6) | ((uint32_t)b[4] << 2),
		};
		for (unsigned j = 0; j < 4; j++)
			p->c[4 * i + j] = decompress(t[j], 10);
	}
}

void dp_mlkem_poly_compress4(uint8_t r[DP_MLKEM_POLYC4], const dp_mlkem_poly *p)
{
	for (unsigned i = 0; i < N / 2; i++) {
		uint32_t a = compress(canon(barrett(p->c[2 * i])), 4);
		uint32_t b = compress(canon(barrett(p->c[2 * i + 1])), 4);
		r[i] = (uint8_t)(a | (b << 4));
	}
}

void dp_mlkem_poly_decompress4(dp_mlkem_poly *p, const uint8_t r[DP_MLKEM_POLYC4])
{
	for (unsigned i = 0; i < N / 2; i++) {
		p->c[2 * i] = decompress(r[i] & 0x0fu, 4);
		p->c[2 * i + 1] = decompress((unsigned)r[i] >> 4, 4);
	}
}

void dp_mlkem_poly_tomsg(uint8_t m[32], const dp_mlkem_poly *p)
{
	for (unsigned i = 0; i < 32; i++) {
		unsigned b = 0;
		for (unsigned j = 0; j < 8; j++)
			b |= compress(canon(barrett(p->c[8 * i + j])), 1) << j;
		m[i] = (uint8_t)b;
	}
}

void dp_mlkem_poly_frommsg(dp_mlkem_poly *p, const uint8_t m[32])
{
	/* Decompress_1: bit 1 -> round(q/2) = 1665, by mask, not by branch */
	for (unsigned i = 0; i < 32; i++)
		for (unsigned j = 0; j < 8; j++)
			p->c[8 * i + j] = (int16_t)(-(int16_t)((m[i] >> j) & 1) & ((Q + 1) / 2));
}

void dp_mlkem_poly_sample_ntt(dp_mlkem_poly *p, const uint8_t rho[32], uint8_t x, uint8_t y)
{
	uint8_t seed[34], buf[3 * DP_SHAKE128_RATE];
	dp_sha3_ctx c;
	memcpy(seed, rho, 32);
	seed[32] = x;
	seed[33] = y;
	dp_shake128_init(&c);
	dp_sha3_absorb(&c, seed, sizeof seed);
	/* three blocks usually suffice (about 470 bytes needed on average) */
	size_t have = sizeof buf, pos = 0;
	dp_shake_squeeze(&c, buf, have);
	unsigned n = 0;
	while (n < N) {
		if (pos + 3 > have) {
			dp_shake_squeeze(&c, buf, DP_SHAKE128_RATE);
			have = DP_SHAKE128_RATE;
			pos = 0;
		}
		const uint8_t *b = buf + pos;
		pos += 3;
		unsigned d1 = b[0] | ((b[1] & 0x0fu) << 8);
		unsigned d2 = (b[1] >> 4) | ((unsigned)b[2] << 4);
		/* rejection on public data (the matrix is public) */
		if (d1 < Q)
			p->c[n++] = (int16_t)d1;
		if (d2 < Q && n < N)
			p->c[n++] = (int16_t)d2;
	}
}

void dp_mlkem_poly_noise(dp_mlkem_poly *p, const uint8_t s[32], uint8_t nonce)
{
	uint8_t in[33], buf[DP_MLKEM_ETA_BYTES];
	memcpy(in, s, 32);
	in[32] = nonce;
	dp_shake256(buf, sizeof buf, in, sizeof in);
	/* eta = 2: each coefficient is (b0 + b1) - (b2 + b3) of 4 consecutive bits */
	for (unsigned i = 0; i < N / 8; i++) {
		uint32_t t = (uint32_t)buf[4 * i] | ((uint32_t)buf[4 * i + 1] << 8) |
			     ((uint32_t)buf[4 * i + 2] << 16) | ((uint32_t)buf[4 * i + 3] << 24);
		uint32_t d = (t & 0x55555555u) + ((t >> 1) & 0x55555555u);
		for (unsigned j = 0; j < 8; j++) {
			int16_t a = (int16_t)((d >> (4 * j)) & 3), b = (int16_t)((d >> (4 * j + 2)) & 3);
			p->c[8 * i + j] = (int16_t)(a - b);
		}
	}
	dp_wipe(in, sizeof in);
	dp_wipe(buf, sizeof buf);
}
