/*
 * fuzz_signer - the log signer's request parser and policy (denpod/signer.h)
 * on arbitrary requests, as a taken-over network process could send them.
 * The input is a sequence of requests, each a 2-byte big-endian length and
 * that many bytes, answered in order by one fresh signer (no signer.state:
 * its first start).  Whatever arrives:
 *   - every answer is 1..DPSG_MSG_MAX bytes, its status byte 0 or a
 *     DP_E* code the header documents;
 *   - a signed checkpoint opens under the log key, names the log, and is
 *     of the (size, root) the request asked for, with the officer index's
 *     root of the request (its last 32 bytes) as its officer-index line;
 *   - the signer never signs a rollback (a size below one it signed) nor a
 *     fork (a second root for a size it signed): the property privilege
 *     separation exists for (docs/threat-model.md); nor, in one run, a
 *     second officer index for a tree it signed.
 * The log key and data directory are made once, in a temporary directory.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "denpo/devindex.h"
#include "denpo/tlog.h"
#include "denpod/signer.h"
#include "fuzz/fuzz.h"

#define SIGNED_MAX 64

static dpc_config cfg;
static dp_note_vkey vk;
static char state_path[DPC_PATH_MAX + 32];

static char key_path[DPC_PATH_MAX + 32];

static void cleanup(void)
{
	unlink(state_path);
	unlink(key_path);
	rmdir(cfg.dir);
}

static void setup(void)
{
	static int done;
	if (done)
		return;
	char tmpl[] = "/tmp/fuzz_signer.XXXXXX";
	uint8_t seed[32], pk[32], sk[64];
	if (!mkdtemp(tmpl))
		abort();
	memset(&cfg, 0, sizeof cfg);
	snprintf(cfg.dir, sizeof cfg.dir, "%s", tmpl);
	snprintf(cfg.log_origin, sizeof cfg.log_origin, "fuzz.example/denpo-log");
	snprintf(key_path, sizeof key_path, "%s/log.key", tmpl);
	snprintf(state_path, sizeof state_path, "%s/signer.state", tmpl);
	randombytes_buf(seed, sizeof seed);
	FILE *f = fopen(key_path, "wb");
	if (!f || fwrite(seed, 1, sizeof seed, f) != sizeof seed || fclose(f) || chmod(key_path, 0600))
		abort();
	atexit(cleanup);
	crypto_sign_ed25519_seed_keypair(pk, sk, seed);
	if (dp_note_vkey_make(&vk, cfg.log_origin, DP_NOTE_ED25519, pk))
		abort();
	done = 1;
}

static int known_status(uint8_t s)
{
	int r = -(int)s;
	return s == 0 || r == DP_ESTATE || r == DP_EPARSE || r == DP_EIO || r == DP_ESIG ||
	       r == DP_ENOMEM || r == DP_ETOOBIG;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	unlink(state_path); /* each input: the signer's first start */
	dpsg_signer *k;
	if (dpsg_signer_new(&k, &cfg))
		abort();
	static uint8_t ans[DPSG_MSG_MAX];
	uint64_t sizes[SIGNED_MAX], max_signed = 0;
	uint8_t roots[SIGNED_MAX][DP_TLOG_HASH], iroots[SIGNED_MAX][DP_TLOG_HASH];
	size_t nsigned = 0, at = 0;
	while (at + 2 <= size) {
		size_t n = (size_t)data[at] << 8 | data[at + 1];
		at += 2;
		if (n > size - at)
			n = size - at;
		const uint8_t *req = data + at;
		at += n;
		size_t an = 0;
		memset(ans, 0xa5, sizeof ans);
		dpsg_answer(k, req, n, ans, &an);
		if (an < 1 || an > DPSG_MSG_MAX || !known_status(ans[0]))
			__builtin_trap();
		if (ans[0] != 0 || n < 1 || req[0] != 2 /* SIGN */)
			continue;
		/* a signature: of what was asked, under the log key, never a rollback or fork */
		if (n < 1 + 8 + 2 * DP_TLOG_HASH + 1 || an < 11)
			__builtin_trap();
		size_t nl = (size_t)ans[9] << 8 | ans[10];
		if (nl != an - 11)
			__builtin_trap();
		int verified = 0;
		size_t tl = 0;
		dp_checkpoint cp;
		if (dp_note_open((const char *)ans + 11, nl, &vk, 1, &verified, NULL, &tl) || !verified ||
		    dp_checkpoint_parse(&cp, (const char *)ans + 11, tl) ||
		    strcmp(cp.origin, cfg.log_origin) != 0)
			__builtin_trap();
		uint64_t asked = 0;
		for (int i = 0; i < 8; i++)
			asked = asked << 8 | req[1 + i];
		if (cp.size != asked || memcmp(cp.root, req + 9, DP_TLOG_HASH) != 0 || cp.size < max_signed)
			__builtin_trap();
		uint8_t iroot[DP_TLOG_HASH];
		if (dp_devindex_line_parse((const char *)ans + 11, tl, cp.next, iroot) != DP_OK ||
		    memcmp(iroot, req + n - DP_TLOG_HASH, DP_TLOG_HASH) != 0)
			__builtin_trap(); /* the index root asked for, as the one extension line */
		for (size_t i = 0; i < nsigned; i++) {
			if (sizes[i] == cp.size && memcmp(roots[i], cp.root, DP_TLOG_HASH) != 0)
				__builtin_trap(); /* two roots for one size: a fork signed */
			if (sizes[i] == cp.size && memcmp(iroots[i], iroot, DP_TLOG_HASH) != 0)
				__builtin_trap(); /* two officer indexes for one tree */
		}
		if (nsigned < SIGNED_MAX) {
			sizes[nsigned] = cp.size;
			memcpy(iroots[nsigned], iroot, DP_TLOG_HASH);
			memcpy(roots[nsigned++], cp.root, DP_TLOG_HASH);
		}
		max_signed = cp.size;
	}
	dpsg_signer_free(k);
	return 0;
}
