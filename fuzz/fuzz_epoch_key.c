/*
 * fuzz_epoch_key - dp_epoch_key_decode on arbitrary bytes.  Whatever is
 * accepted must satisfy the record rules (dp_epoch_key_check) and be the
 * one encoding of its fields: re-encoding them with the signature from the
 * input's last line (dp_epoch_key_encode_sig verifies it again) gives the
 * input back, byte for byte.  Seeds: `tool_example --corpus fuzz/corpus`
 * (valid records from the fixed example keys).
 */
#include <string.h>

#include "denpo/encoding.h"
#include "denpo/epoch.h"
#include "fuzz/fuzz.h"

/* "Signature: " + 88 base64 characters + LF ends every accepted record. */
#define SIG_LINE (11 + 88 + 1)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dp_epoch_key k;
	int r = dp_epoch_key_decode(&k, data, size);
	if (r != DP_OK) {
		static const dp_epoch_key zero;
		if (memcmp(&k, &zero, sizeof k))
			__builtin_trap(); /* a refused record leaves nothing behind */
		return 0;
	}
	if (dp_epoch_key_check(&k) != DP_OK || size > DP_EPOCH_KEY_MAX || size < SIG_LINE ||
	    k.not_before >= k.not_after || k.not_after - k.not_before > DP_EPOCH_MAX_LIFE ||
	    strncmp(k.age_recipient, "age1pq1", 7))
		__builtin_trap();
	uint8_t sig[DP_ED25519_SIG];
	size_t got;
	if (memcmp(data + size - SIG_LINE, "Signature: ", 11) ||
	    dp_b64_decode(sig, sizeof sig, &got, (const char *)data + size - SIG_LINE + 11, 88, 1) ||
	    got != sizeof sig)
		__builtin_trap();
	if (dp_epoch_key_verify(&k, sig) != DP_OK)
		__builtin_trap();
	dp_buf b;
	dp_buf_init(&b, DP_EPOCH_KEY_MAX);
	if (dp_epoch_key_encode_sig(&k, sig, &b) != DP_OK || b.len != size || memcmp(b.p, data, size))
		__builtin_trap(); /* not the canonical form, yet accepted */
	dp_buf_free(&b);
	return 0;
}
