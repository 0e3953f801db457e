/*
 * lib/age_stream.h - internal to libdenpo: the age payload (STREAM).
 */
#ifndef DENPO_LIB_AGE_STREAM_H
#define DENPO_LIB_AGE_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include "denpo/age.h"

/* Append nonce and encrypted chunks of pt to out. */
int dp_age_stream_seal(const uint8_t fk[DP_AGE_FILE_KEY], const uint8_t *pt, size_t ptlen,
		       dp_buf *out) DP_WUR;
/*
 * Open a payload (nonce and chunks) into out.  DP_EHEADER if the nonce is
 * short (the testkit counts it as header), DP_EPAYLOAD for any chunk
 * failure: then out keeps the plaintext of the chunks that authenticated
 * before it (see age.h).
 */
int dp_age_stream_open(const uint8_t fk[DP_AGE_FILE_KEY], const uint8_t *in, size_t inlen,
		       dp_buf *out) DP_WUR;

#endif
