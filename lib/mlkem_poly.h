/*
 * lib/mlkem_poly.h - internal: polynomials of ML-KEM (FIPS 203 sections 4.2-4.3)
 * over Z_q[X]/(X^256+1), q = 3329, for lib/mlkem.c.
 *
 * Coefficients are int16_t in signed representatives.  Unless a function
 * says otherwise its outputs satisfy |c| < q, the bound every input needs.
 * Multiplication in the NTT domain uses Montgomery reduction (R = 2^16):
 * dp_mlkem_poly_basemul_acc leaves a factor 2^-16 that the caller removes
 * with dp_mlkem_poly_tomont or that dp_mlkem_poly_invntt absorbs.
 * Nothing branches on or indexes by coefficient values except the
 * rejection sampling of public matrix entries.
 */
#ifndef DENPO_LIB_MLKEM_POLY_H
#define DENPO_LIB_MLKEM_POLY_H

#include <stdint.h>

#define DP_MLKEM_N 256
#define DP_MLKEM_Q 3329
#define DP_MLKEM_POLYBYTES 384   /* ByteEncode_12 */
#define DP_MLKEM_POLYC10 320     /* ByteEncode_10 (d_u = 10) */
#define DP_MLKEM_POLYC4 128      /* ByteEncode_4 (d_v = 4) */
#define DP_MLKEM_ETA_BYTES 128   /* PRF output for eta = 2: 64 * eta */

typedef struct dp_mlkem_poly {
	int16_t c[DP_MLKEM_N];
} dp_mlkem_poly;

/* NTT (Algorithm 9); input |c| <= q, output reduced. */
void dp_mlkem_poly_ntt(dp_mlkem_poly *p);
/* NTT^-1 (Algorithm 10) of a basemul result, removing its 2^-16 factor. */
void dp_mlkem_poly_invntt(dp_mlkem_poly *p);
/* r = r + a*b in the NTT domain (MultiplyNTTs, Algorithm 11), times 2^-16;
 * |r| grows by < 2q per call, so reduce after at most 4 calls. */
void dp_mlkem_poly_basemul_acc(dp_mlkem_poly *r, const dp_mlkem_poly *a, const dp_mlkem_poly *b);
/* r = r * 2^16 (cancels basemul's factor), output |c| < q. */
void dp_mlkem_poly_tomont(dp_mlkem_poly *r);
void dp_mlkem_poly_reduce(dp_mlkem_poly *r);
void dp_mlkem_poly_add(dp_mlkem_poly *r, const dp_mlkem_poly *a);
void dp_mlkem_poly_sub(dp_mlkem_poly *r, const dp_mlkem_poly *a); /* r = r - a */

/* ByteEncode_12 of the canonical representatives in [0, q). */
void dp_mlkem_poly_tobytes(uint8_t r[DP_MLKEM_POLYBYTES], const dp_mlkem_poly *p);
/* ByteDecode_12 (values mod q, as FIPS 203 defines it for d = 12). */
void dp_mlkem_poly_frombytes(dp_mlkem_poly *p, const uint8_t r[DP_MLKEM_POLYBYTES]);
/* 1 if every 12-bit value in r is < q (the encapsulation key modulus check). */
int dp_mlkem_poly_check12(const uint8_t r[DP_MLKEM_POLYBYTES]);

/* ByteEncode_d(Compress_d(p)) and Decompress_d(ByteDecode_d(r)) for d = 10, 4, 1. */
void dp_mlkem_poly_compress10(uint8_t r[DP_MLKEM_POLYC10], const dp_mlkem_poly *p);
void dp_mlkem_poly_decompress10(dp_mlkem_poly *p, const uint8_t r[DP_MLKEM_POLYC10]);
void dp_mlkem_poly_compress4(uint8_t r[DP_MLKEM_POLYC4], const dp_mlkem_poly *p);
void dp_mlkem_poly_decompress4(dp_mlkem_poly *p, const uint8_t r[DP_MLKEM_POLYC4]);
void dp_mlkem_poly_tomsg(uint8_t m[32], const dp_mlkem_poly *p);
void dp_mlkem_poly_frommsg(dp_mlkem_poly *p, const uint8_t m[32]);

/* SampleNTT(rho || x || y) (Algorithm 7): rejection sampling from SHAKE128. */
void dp_mlkem_poly_sample_ntt(dp_mlkem_poly *p, const uint8_t rho[32], uint8_t x, uint8_t y);
/* SamplePolyCBD_2(PRF_2(s, nonce)) (Algorithms 8 and PRF of 4.1). */
void dp_mlkem_poly_noise(dp_mlkem_poly *p, const uint8_t s[32], uint8_t nonce);

#endif
