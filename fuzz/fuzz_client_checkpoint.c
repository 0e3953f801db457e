/*
 * fuzz_client_checkpoint - a checkpoint as a device reads it from a switch
 * it does not trust (GET /v1/log/checkpoint, /v1/log/witnessed; `denpo`
 * on every upkeep, `denpo audit sync`), with the consistency proof that
 * joins it to the one the device holds.  Input: one byte h (the proof is
 * the last h % 65 times 32 bytes), then the signed note, then the proof.
 *
 * The note goes through cli_ckpt_open under a fixed log key whose name is
 * the note's origin (the seeds are real checkpoints re-signed with that
 * key, their cosignature lines kept as the devices made them, so mutations
 * of the cosignatures keep the log's signature good), then
 * cli_ckpt_cosigs (each device's cosignature line parsed and verified,
 * each device once), then cli_log_judge and cli_log_cons_roots against a
 * held checkpoint of half its size.  A note that does not open under the
 * key is still taken apart unverified (dp_note_parse, dp_checkpoint_parse)
 * so that the cosignatures and the judge are reached from mutated texts.
 * Never a crash, a leak or a verdict other than the contract's.
 * Seeds: fuzz/corpus/fuzz_client_checkpoint/.
 */
#include <stdlib.h>

#include <sodium.h>

#include "denpo/cli.h"
#include "fuzz/fuzz.h"
#include "fuzz/fuzz_client.h"

/* The log key: Ed25519 from SHA-256("denpo fuzz log key") (fuzz_note's), named by the note. */
static int log_key(const char *note, size_t len, dp_note_vkey *k)
{
	static uint8_t pk[32];
	static int ready;
	if (!ready) {
		uint8_t seed[32], sk[64];
		static const char s[] = "denpo fuzz log key";
		crypto_hash_sha256(seed, (const uint8_t *)s, sizeof s - 1);
		crypto_sign_ed25519_seed_keypair(pk, sk, seed);
		sodium_memzero(sk, sizeof sk);
		ready = 1;
	}
	char name[DP_NOTE_NAME_MAX + 1];
	const char *nl = memchr(note, '\n', len);
	size_t n = nl ? (size_t)(nl - note) : 0;
	if (n == 0 || n > DP_NOTE_NAME_MAX)
		return DP_EPARSE;
	memcpy(name, note, n);
	name[n] = 0;
	return dp_note_vkey_make(k, name, DP_NOTE_ED25519, pk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t h = data[0] % (DP_TLOG_PROOF_MAX + 1);
	if (size - 1 < h * DP_TLOG_HASH)
		return 0;
	const char *note = (const char *)data + 1;
	size_t len = size - 1 - h * DP_TLOG_HASH;
	uint8_t(*proof)[DP_TLOG_HASH] = h ? malloc(h * DP_TLOG_HASH) : NULL;
	if (h && !proof)
		return 0;
	if (h)
		memcpy(proof, data + 1 + len, h * DP_TLOG_HASH);

	cli_ckpt nw = {0};
	dp_note_vkey k;
	int opened = log_key(note, len, &k) == DP_OK && cli_ckpt_open(&k, note, len, &nw) == DP_OK;
	if (opened && (nw.len != len || nw.text_len >= len || strlen(nw.note) != len ||
		       strcmp(nw.cp.origin, k.name)))
		__builtin_trap(); /* what opened is the note as received, its text inside it */
	if (!opened) {
		/* unverified: the same note taken apart, to reach what follows from any text */
		cli_ckpt_free(&nw);
		size_t tl = 0, ns = 0;
		if (len == 0 || len > DP_NOTE_MAX || memchr(note, 0, len) ||
		    dp_note_parse(note, len, &tl, NULL, 0, &ns) != DP_OK ||
		    dp_checkpoint_parse(&nw.cp, note, tl) != DP_OK || !(nw.note = malloc(len + 1))) {
			free(proof);
			return 0;
		}
		memcpy(nw.note, note, len);
		nw.note[len] = 0;
		nw.len = len;
		nw.text_len = tl;
	}

	cli_cosig cs[8];
	size_t nc = cli_ckpt_cosigs(&nw, cs, 8);
	if (nc > DP_NOTE_SIGS_MAX || cli_ckpt_cosigs(&nw, NULL, 0) != nc)
		__builtin_trap(); /* counting alone counts the same */
	for (size_t i = 0; i < nc && i < 8; i++)
		for (size_t j = 0; j < i; j++)
			if (!memcmp(cs[i].id, cs[j].id, 32))
				__builtin_trap(); /* each device once */

	/* the device holds a checkpoint of half the size; the switch proves the new one extends it */
	cli_ckpt old = {0};
	old.cp = nw.cp;
	old.cp.size = nw.cp.size / 2;
	if (h)
		memcpy(old.cp.root, proof[0], DP_TLOG_HASH);
	char why[256];
	int r = cli_log_judge(&old, &nw, (const uint8_t(*)[DP_TLOG_HASH])proof, h, why, sizeof why);
	if (r != DP_OK && r != CLI_EFORK)
		__builtin_trap(); /* larger or empty: agreed or a fork, nothing else */
	if (r == CLI_EFORK && !why_ok(why, sizeof why))
		__builtin_trap(); /* a fork says what it saw */
	uint8_t fr[DP_TLOG_HASH], sr[DP_TLOG_HASH];
	r = cli_log_cons_roots(old.cp.size, nw.cp.size, old.cp.root, (const uint8_t(*)[DP_TLOG_HASH])proof,
			       h, fr, sr);
	if (r != DP_OK && r != DP_ESIG && r != DP_EINVAL)
		__builtin_trap();
	cli_ckpt_free(&nw);
	free(proof);
	return 0;
}
