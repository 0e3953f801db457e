/*
 * denpo/sha3.h - FIPS 202: Keccak-f[1600], SHA3-256, SHA3-512, SHAKE128 and
 * SHAKE256, portable C, with an incremental absorb/squeeze API.
 *
 * One context type serves all four functions.  Absorb any number of times,
 * then either finish a hash (dp_sha3_256_final / dp_sha3_512_final) or
 * squeeze an XOF any number of times (dp_shake_squeeze): the first squeeze
 * pads, and the stream continues across calls, so squeezing a then b bytes
 * gives the same bytes as squeezing a+b at once.  Absorbing after the first
 * squeeze or final is a caller bug (it is ignored, see dp_sha3_absorb).
 * Contexts may hold secrets: dp_sha3_wipe() them when done (the finals
 * wipe the context themselves).
 */
#ifndef DENPO_SHA3_H
#define DENPO_SHA3_H

#include <stddef.h>
#include <stdint.h>

#define DP_SHA3_256 32
#define DP_SHA3_512 64
#define DP_SHAKE128_RATE 168
#define DP_SHAKE256_RATE 136

typedef struct dp_sha3_ctx {
	uint64_t st[25];   /* the Keccak state, lane x+5y */
	unsigned rate;     /* bytes per block */
	unsigned pos;      /* byte offset in the current block */
	uint8_t dsep;      /* domain bits and first pad bit: 0x06 SHA3, 0x1f SHAKE */
	uint8_t squeezing; /* 1 once padded */
} dp_sha3_ctx;

/* The permutation itself (24 rounds), on lanes x+5y. */
void dp_keccak_f1600(uint64_t st[25]);

void dp_sha3_256_init(dp_sha3_ctx *c);
void dp_sha3_512_init(dp_sha3_ctx *c);
void dp_shake128_init(dp_sha3_ctx *c);
void dp_shake256_init(dp_sha3_ctx *c);
/* Absorb n bytes; ignored once the context squeezes. */
void dp_sha3_absorb(dp_sha3_ctx *c, const void *p, size_t n);
/* Finish a SHA3-256 / SHA3-512 context (made by the matching init); wipes it. */
void dp_sha3_256_final(dp_sha3_ctx *c, uint8_t out[DP_SHA3_256]);
void dp_sha3_512_final(dp_sha3_ctx *c, uint8_t out[DP_SHA3_512]);
/* Next n bytes of a SHAKE context's output stream. */
void dp_shake_squeeze(dp_sha3_ctx *c, uint8_t *out, size_t n);
void dp_sha3_wipe(dp_sha3_ctx *c);

/* One-shot forms. */
void dp_sha3_256(uint8_t out[DP_SHA3_256], const void *p, size_t n);
void dp_sha3_512(uint8_t out[DP_SHA3_512], const void *p, size_t n);
void dp_shake128(uint8_t *out, size_t outlen, const void *p, size_t n);
void dp_shake256(uint8_t *out, size_t outlen, const void *p, size_t n);

#endif
