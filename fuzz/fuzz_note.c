/*
 * fuzz_note - the signed-note family on arbitrary bytes: dp_note_parse,
 * dp_note_open (with a fixed Ed25519 log key and a cosigner key; the seed
 * corpus holds notes they signed), dp_checkpoint_parse, dp_note_vkey_parse,
 * dp_note_skey_parse and dp_tlog_proof_parse.  Whatever parses must be in
 * the one canonical spelling: re-encoding it gives back the input bytes.
 */
#include <string.h>

#include <sodium.h>

#include "denpo/encoding.h"
#include "denpo/tlog.h"
#include "fuzz/fuzz.h"

/* Keys from fixed seeds: SHA-256("denpo fuzz log key"), SHA-256("denpo fuzz witness key"). */
static dp_note_vkey keys[2];
static int keys_ready;

static void init_keys(void)
{
	static const char *seeds[2] = {"denpo fuzz log key", "denpo fuzz witness key"};
	static const char *names[2] = {"fuzz.example/log", "fuzz.example/witness"};
	static const uint8_t types[2] = {DP_NOTE_ED25519, DP_NOTE_COSIG_V1};
	for (int i = 0; i < 2; i++) {
		uint8_t seed[32], pk[32], sk[64];
		crypto_hash_sha256(seed, (const uint8_t *)seeds[i], strlen(seeds[i]));
		crypto_sign_ed25519_seed_keypair(pk, sk, seed);
		if (dp_note_vkey_make(&keys[i], names[i], types[i], pk))
			__builtin_trap();
		sodium_memzero(sk, sizeof sk);
	}
	keys_ready = 1;
}

/* The note rebuilt from its parts: text, empty line, one line per signature. */
static void check_note_roundtrip(const char *note, size_t len)
{
	static dp_note_sig sigs[DP_NOTE_SIGS_MAX];
	size_t tl, ns;
	if (dp_note_parse(note, len, &tl, sigs, DP_NOTE_SIGS_MAX, &ns) != DP_OK)
		return;
	if (tl == 0 || tl >= len || note[tl - 1] != '\n' || note[tl] != '\n' || ns == 0 ||
	    ns > DP_NOTE_SIGS_MAX)
		__builtin_trap();
	dp_buf b;
	dp_buf_init(&b, DP_NOTE_MAX);
	if (dp_buf_append(&b, note, tl + 1))
		__builtin_trap();
	for (size_t i = 0; i < ns; i++) {
		if (!dp_note_name_ok(sigs[i].name))
			__builtin_trap();
		if (sigs[i].siglen == 0) {
			dp_buf_free(&b);
			return; /* a long signature is kept as name and id only */
		}
		uint8_t blob[4 + DP_NOTE_SIG_MAX];
		char enc[(4 + DP_NOTE_SIG_MAX) * 4 / 3 + 8];
		blob[0] = (uint8_t)(sigs[i].id >> 24);
		blob[1] = (uint8_t)(sigs[i].id >> 16);
		blob[2] = (uint8_t)(sigs[i].id >> 8);
		blob[3] = (uint8_t)sigs[i].id;
		memcpy(blob + 4, sigs[i].sig, sigs[i].siglen);
		dp_b64_encode(enc, blob, 4 + sigs[i].siglen, 1);
		if (dp_buf_printf(&b, "\xe2\x80\x94 %s %s\n", sigs[i].name, enc))
			__builtin_trap();
	}
	if (b.len != len || memcmp(b.p, note, len))
		__builtin_trap();
	dp_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	if (!keys_ready)
		init_keys();

	check_note_roundtrip(s, size);

	int ver[2];
	uint64_t ts[2];
	size_t tl;
	int r = dp_note_open(s, size, keys, 2, ver, ts, &tl);
	if (r == DP_OK) {
		size_t tl2, ns;
		if (!(ver[0] || ver[1]) || dp_note_parse(s, size, &tl2, NULL, 0, &ns) || tl2 != tl)
			__builtin_trap();
		if (ver[1] && ts[1] > (uint64_t)INT64_MAX)
			__builtin_trap();
	} else if (r != DP_EPARSE && r != DP_ETOOBIG && r != DP_ESIG) {
		__builtin_trap();
	} else if (ver[0] || ver[1]) {
		__builtin_trap(); /* nothing reported verified on failure */
	}

	/* a checkpoint with no extension lines has exactly one spelling */
	dp_checkpoint c;
	if (dp_checkpoint_parse(&c, s, size) == DP_OK) {
		dp_buf b;
		dp_buf_init(&b, DP_NOTE_MAX);
		if (dp_checkpoint_format(&b, &c) || b.len != c.next || memcmp(b.p, s, c.next))
			__builtin_trap();
		dp_buf_free(&b);
	}

	dp_note_vkey k;
	if (dp_note_vkey_parse(&k, s, size) == DP_OK) {
		char out[DP_NOTE_VKEY_MAX + 1];
		if (dp_note_vkey_format(out, sizeof out, &k) || strlen(out) != size ||
		    memcmp(out, s, size))
			__builtin_trap();
	}
	uint8_t sk[64];
	if (dp_note_skey_parse(&k, sk, s, size) == DP_OK) {
		if (memcmp(sk + 32, k.pub, 32))
			__builtin_trap();
		sodium_memzero(sk, sizeof sk);
	}

	static dp_tlog_proof p;
	if (dp_tlog_proof_parse(&p, s, size) == DP_OK) {
		if (!p.note || p.note < s || p.note + p.note_len != s + size || p.n > DP_TLOG_PROOF_MAX)
			__builtin_trap();
		dp_buf b;
		dp_buf_init(&b, DP_TLOG_PROOF_TEXT_MAX);
		if (dp_tlog_proof_encode(&b, &p) || b.len != size || memcmp(b.p, s, size))
			__builtin_trap();
		dp_buf_free(&b);
	}
	return 0;
}
