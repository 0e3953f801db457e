/*
 * denpo/encoding.h - text encodings of binary data.
 *
 * All decoders are strict: they reject non-canonical input (non-zero
 * trailing bits in base64, mixed case in Bech32, '=' where padding is not
 * allowed) and are constant-time in the data (not in the length), so they
 * may decode secret keys.
 */
#ifndef DENPO_ENCODING_H
#define DENPO_ENCODING_H

#include <stddef.h>
#include <stdint.h>
#include "denpo/buf.h"

/* Length of the base64 encoding of n bytes (without NUL). */
size_t dp_b64_enclen(size_t n, int padded);
/* Encode into out (needs dp_b64_enclen()+1 bytes); NUL-terminates. */
void dp_b64_encode(char *out, const uint8_t *in, size_t n, int padded);
/*
 * Decode standard-alphabet base64.  padded=0: no '=' allowed, length must
 * not be 1 mod 4; padded=1: length multiple of 4 with canonical padding.
 * Rejects any other character and non-zero trailing bits.  Writes at most
 * outcap bytes; *outlen gets the decoded length.
 */
int dp_b64_decode(uint8_t *out, size_t outcap, size_t *outlen, const char *in, size_t inlen,
		  int padded) DP_WUR;

/* Lower-case hex; out needs 2n+1 bytes. */
void dp_hex_encode(char *out, const uint8_t *in, size_t n);
/* Exactly 2*n hex digits (either case) into n bytes. */
int dp_hex_decode(uint8_t *out, size_t n, const char *in, size_t inlen) DP_WUR;

/*
 * BIP173 Bech32 (not Bech32m) with no length limit.  dp_bech32_encode
 * writes lower case (upper=0) or upper case (upper=1) into b.
 * dp_bech32_decode accepts all-lower or all-upper input, returns the HRP
 * folded to lower case in hrp (cap hrpcap, NUL-terminated) and the data.
 */
int dp_bech32_encode(dp_buf *b, const char *hrp, const uint8_t *data, size_t n, int upper) DP_WUR;
int dp_bech32_decode(char *hrp, size_t hrpcap, dp_buf *data, const char *in, size_t inlen) DP_WUR;

#endif
