/*
 * fuzz_age_header.c - dp_age_inspect on arbitrary bytes (binary or armored).
 * Invariants: on success the counts add up and the header fits the input
 * (when the input is binary).
 */
#include <stdlib.h>
#include <string.h>

#include "denpo/age.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dp_age_header_info info;
	int r = dp_age_inspect(data, size, &info);
	if (r == DP_OK) {
		if (info.nx25519 + info.nscrypt + info.npq + info.nunknown != info.nstanzas ||
		    info.nstanzas == 0 || info.nstanzas > DP_AGE_MAX_STANZAS)
			abort();
		/* scrypt is alone or absent */
		if (info.nscrypt && info.nstanzas != 1)
			abort();
		if (size >= 19 && memcmp(data, "age-encryption.org/", 19) == 0 && info.header_len > size)
			abort();
	} else if (r != DP_EHEADER && r != DP_EARMOR && r != DP_ETOOBIG && r != DP_ENOMEM) {
		abort();
	}
	return 0;
}
