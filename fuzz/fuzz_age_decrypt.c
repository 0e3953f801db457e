/*
 * fuzz_age_decrypt.c - dp_age_decrypt on arbitrary bytes with a fixed
 * X25519 identity, a fixed post-quantum (mlkem768x25519) identity and a
 * passphrase identity whose work factor is capped low (max_logn), so
 * scrypt never takes more than a millisecond or two.  The seed corpus
 * holds real files for these identities and the passphrase.
 *
 * Identities (seed corpus made with them, via tool_age):
 *   X25519: the secret key 0x01 0x02 ... 0x20
 *   mlkem768x25519: the X-Wing seed 0x21 0x22 ... 0x40 (files pq_*)
 *   (fixed test keys: tool_age prints their identity strings)
 * Passphrase: "fuzz", work factor <= 10.
 */
#include <stdlib.h>
#include <string.h>

#include "denpo/age.h"
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dp_age_identity ids[3];
	memset(ids, 0, sizeof ids);
	ids[0].type = DP_AGE_X25519;
	for (int i = 0; i < 32; i++)
		ids[0].sk[i] = (uint8_t)(i + 1);
	ids[1].type = DP_AGE_SCRYPT;
	ids[1].pass = "fuzz";
	ids[1].passlen = 4;
	ids[1].max_logn = 10;
	ids[2].type = DP_AGE_MLKEM768X25519;
	for (int i = 0; i < 32; i++)
		ids[2].sk[i] = (uint8_t)(0x21 + i);

	dp_buf out;
	dp_buf_init(&out, 1 << 20);
	int r = dp_age_decrypt(ids, 3, data, size, &out);
	switch (r) {
	case DP_OK:
		break;
	case DP_EPAYLOAD:
		break;
	case DP_EARMOR:
	case DP_EHEADER:
	case DP_ENOMATCH:
	case DP_EHMAC:
		if (out.len)
			abort(); /* only payload failures may have released plaintext */
		break;
	case DP_ETOOBIG:
	case DP_ENOMEM:
		break;
	default:
		abort();
	}
	dp_buf_free(&out);
	return 0;
}
