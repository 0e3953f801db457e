/*
 * tests/tool_devindex.c - the officer index from a device's side, for
 * tests/it_devindex_switch.sh (denpo/devindex.h):
 *
 *   tool_devindex verify FILE HANDLE    FILE: an answer of GET /v1/log/officer or of
 *        /v1/directory/resolve; the officer HANDLE's proof against the officer-index line
 *        of the answer's checkpoint (dp_devindex_verify).  Prints "member" and the record
 *        text, or "absent"; exit 0, or 1 if the proof does not verify (saying why).
 *   tool_devindex approve SEEDFILE OFFICER DEVICE   the approval of DEVICE (hex64) for
 *        OFFICER by the device whose Ed25519 seed is in SEEDFILE (tool_submit's
 *        sign.seed): its base64 signature
 *   tool_devindex id SEEDFILE           that device's id (hex64)
 *   tool_devindex forge LOGKEY NOTEFILE RECORD...   what a switch's root holding the log
 *        key can do: the checkpoint note of NOTEFILE with its officer-index line replaced by
 *        the root over the RECORD files (record texts), signed again with the log key's
 *        seed (LOGKEY: the switch's log.key) under the note's own origin; the new note on
 *        stdout.  (tests/it_devindex.sh: an index that hides a device under a signed root.)
 *
 * The checkpoint's signature is not checked here (the devices do that; the
 * test compares the answer's note with the switch's own).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "denpo/devindex.h"
#include "denpo/encoding.h"
#include "denpo/tlog.h"

static int b64_32(uint8_t out[DP_TLOG_HASH], json_t *j)
{
	size_t n = 0;
	const char *s = json_string_value(j);
	return s && dp_b64_decode(out, DP_TLOG_HASH, &n, s, strlen(s), 1) == DP_OK && n == DP_TLOG_HASH
		       ? 0
		       : -1;
}

/* The officer object for handle: the answer's "officer", or its element of "officers". */
static json_t *officer_of(json_t *a, const char *handle)
{
	json_t *o = json_object_get(a, "officer");
	if (o)
		return o;
	size_t i;
	json_array_foreach(json_object_get(a, "officers"), i, o)
		if (strcmp(json_string_value(json_object_get(o, "handle")) ?: "", handle) == 0)
			return o;
	return NULL;
}

static int verify(const char *file, const char *handle)
{
	json_error_t err;
	json_t *a = json_load_file(file, 0, &err);
	const char *note = json_string_value(json_object_get(json_object_get(a, "log"), "checkpoint"));
	json_t *o = a ? officer_of(a, handle) : NULL;
	if (!note || !o) {
		fprintf(stderr, "verify: %s has no log.checkpoint or no officer %s\n", file, handle);
		return 2;
	}
	size_t tl = 0;
	dp_checkpoint cp;
	uint8_t root[DP_TLOG_HASH];
	if (dp_note_parse(note, strlen(note), &tl, NULL, 0, NULL) || dp_checkpoint_parse(&cp, note, tl) ||
	    dp_devindex_line_parse(note, tl, cp.next, root)) {
		fprintf(stderr, "verify: the checkpoint carries no officer-index line\n");
		return 1;
	}
	dp_devindex_proof *p = calloc(1, sizeof *p);
	json_t *arr = json_object_get(o, "proof"), *v;
	size_t i;
	if (!p || !json_is_array(arr) || json_array_size(arr) > DP_DEVINDEX_PROOF_MAX)
		return 2;
	json_array_foreach(arr, i, v)
		if (b64_32(p->sib[i], v))
			return 2;
	p->n = json_array_size(arr);
	json_t *other = json_object_get(o, "other");
	if (other) {
		p->other = 1;
		if (b64_32(p->other_key, json_object_get(other, "key")) ||
		    b64_32(p->other_vhash, json_object_get(other, "value_hash")))
			return 2;
	}
	const char *rec = json_string_value(json_object_get(o, "record"));
	uint8_t *text = NULL;
	size_t len = 0;
	if (rec) {
		text = malloc(strlen(rec) + 1);
		if (!text || dp_b64_decode(text, strlen(rec), &len, rec, strlen(rec), 1))
			return 2;
	}
	int r = dp_devindex_verify(root, handle, text, len, p);
	if (r) {
		fprintf(stderr, "verify: the proof for %s does not verify against the checkpoint's "
				"officer-index root: %s\n", handle, dp_strerror(r));
		return 1;
	}
	if (text)
		printf("member\n%.*s", (int)len, (const char *)text);
	else
		printf("absent\n");
	free(text);
	free(p);
	json_decref(a);
	return 0;
}

static int approve(const char *seedfile, const char *officer, const char *hex)
{
	dp_buf b;
	uint8_t pk[32], sk[64], dev[32], sig[DP_ED25519_SIG];
	char out[128];
	dp_buf_init(&b, 64);
	if (dp_read_file(seedfile, &b) || b.len != 32 || strlen(hex) != 64 ||
	    dp_hex_decode(dev, 32, hex, 64))
		return 2;
	crypto_sign_ed25519_seed_keypair(pk, sk, b.p);
	int r = dp_devindex_approval_sign(sig, sk, officer, dev);
	sodium_memzero(sk, sizeof sk);
	dp_buf_free(&b);
	if (r)
		return 1;
	dp_b64_encode(out, sig, sizeof sig, 1);
	printf("%s\n", out);
	return 0;
}

static int id_of(const char *seedfile)
{
	dp_buf b;
	uint8_t pk[32], sk[64];
	char hex[65];
	dp_buf_init(&b, 64);
	if (dp_read_file(seedfile, &b) || b.len != 32)
		return 2;
	crypto_sign_ed25519_seed_keypair(pk, sk, b.p);
	sodium_memzero(sk, sizeof sk);
	dp_buf_free(&b);
	dp_hex_encode(hex, pk, 32);
	printf("%s\n", hex);
	return 0;
}

static int forge(const char *keyfile, const char *notefile, char **recs, int nrec)
{
	dp_buf key, note, out, r;
	uint8_t pk[32], sk[64], root[DP_TLOG_HASH];
	uint8_t(*keys)[DP_TLOG_HASH] = calloc((size_t)nrec + 1, DP_TLOG_HASH);
	uint8_t(*vh)[DP_TLOG_HASH] = calloc((size_t)nrec + 1, DP_TLOG_HASH);
	dp_checkpoint cp;
	dp_devindex *m = NULL;
	size_t tl;
	int rc = 1;
	dp_buf_init(&key, 64);
	dp_buf_init(&note, 4096);
	dp_buf_init(&out, 4096);
	dp_buf_init(&r, 4096);
	if (!keys || !vh || dp_read_file(keyfile, &key) || key.len != 32 || dp_read_file(notefile, &note))
		goto done;
	for (int i = 0; i < nrec; i++) {
		static dp_devrec rec;
		dp_buf_reset(&r);
		if (dp_read_file(recs[i], &r) || dp_devrec_decode(&rec, r.p, r.len)) {
			fprintf(stderr, "forge: %s is not a record\n", recs[i]);
			goto done;
		}
		dp_devindex_key(keys[i], rec.officer);
		dp_sha256(vh[i], r.p, r.len);
	}
	/* the text up to the blank line: its first three lines are kept, the index line replaced */
	if (dp_note_parse((const char *)note.p, note.len, &tl, NULL, 0, NULL) ||
	    dp_checkpoint_parse(&cp, (const char *)note.p, tl) ||
	    dp_devindex_build(&m, (const uint8_t(*)[DP_TLOG_HASH])keys,
			      (const uint8_t(*)[DP_TLOG_HASH])vh, (size_t)nrec))
		goto done;
	dp_devindex_root(m, root);
	crypto_sign_ed25519_seed_keypair(pk, sk, key.p);
	size_t text;
	if (dp_checkpoint_format(&out, &cp) || dp_devindex_line_format(&out, root) ||
	    (text = out.len, dp_buf_putc(&out, '\n')) ||
	    dp_note_sign_line(&out, (const char *)out.p, text, cp.origin, sk))
		goto done;
	fwrite(out.p, 1, out.len, stdout);
	rc = 0;
done:
	sodium_memzero(sk, sizeof sk);
	dp_buf_free(&key);
	dp_buf_free(&note);
	dp_buf_free(&out);
	dp_buf_free(&r);
	dp_devindex_free(m);
	free(keys);
	free(vh);
	return rc;
}

int main(int argc, char **argv)
{
	if (dp_crypto_init())
		return 2;
	if (argc == 4 && strcmp(argv[1], "verify") == 0)
		return verify(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "id") == 0)
		return id_of(argv[2]);
	if (argc == 5 && strcmp(argv[1], "approve") == 0)
		return approve(argv[2], argv[3], argv[4]);
	if (argc >= 5 && strcmp(argv[1], "forge") == 0)
		return forge(argv[2], argv[3], argv + 4, argc - 4);
	fprintf(stderr, "see the comment at the top of tests/tool_devindex.c\n");
	return 2;
}
