/*
 * fuzz_client_fetch - a fetched cable (GET /v1/cables/{id}: the submission
 * bytes a switch that is not trusted hands over) through what `denpo read`
 * does with it before anything is shown: seal_open (envelope and its
 * signature, payload hash, age decryption with this device's identity,
 * the cable's signature, envelope routing against the signed cable, this
 * device among the signed recipients).  The device is fixed: its
 * identity the mlkem768x25519 key of X-Wing seed 0x21..0x40 (fuzz_age_decrypt's), its id the
 * Ed25519 key of seed 0x41..0x60.  Never a crash or a leak; a refusal says
 * why and leaves the cable and envelope empty; an accepted cable names
 * this device among its recipients.  The X-Denpo-MRN header of the answer
 * is fuzz_client_answer's (10).  Seeds: fuzz/corpus/fuzz_client_fetch/: cables fetched
 * from a switch run by tests/it_e2e.sh (sealed to other devices: they
 * reach the envelope and the age header) and one sealed to this device.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "denpo/seal.h"
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static dp_age_identity id;
	static uint8_t me[32];
	if (!id.type) {
		uint8_t seed[32], sk[64];
		id.type = DP_AGE_MLKEM768X25519;
		for (int i = 0; i < 32; i++) {
			id.sk[i] = (uint8_t)(0x21 + i);
			seed[i] = (uint8_t)(0x41 + i);
		}
		crypto_sign_ed25519_seed_keypair(me, sk, seed);
		sodium_memzero(sk, sizeof sk);
	}
	dp_envelope e;
	dp_cable c;
	dp_envelope_init(&e);
	dp_cable_init(&c);
	uint8_t fk[DP_AGE_FILE_KEY];
	const char *why = NULL;
	int r = seal_open(data, size, &id, 1, NULL, fk, me, &e, &c, &why);
	if (r != DP_OK) {
		if (!why || !*why)
			__builtin_trap(); /* a refusal says why */
	} else {
		int named = 0;
		for (size_t i = 0; i < c.nrecipients; i++)
			named |= !memcmp(c.recipients[i].device, me, 32);
		if (!named)
			__builtin_trap(); /* opened only when this device is a signed recipient */
	}
	sodium_memzero(fk, sizeof fk);
	dp_envelope_free(&e);
	dp_cable_free(&c);
	return 0;
}
