/*
 * denpo/ckpt.c - checkpoints of the switch's transparency log as the device
 * reads them, and the judgement of a consistency proof between two
 * (contracts in denpo/cli.h: cli_ckpt_*, cli_log_judge, cli_log_cons_roots).
 *
 * Everything here takes bytes the switch chose (a signed note with its
 * cosignature lines, the hashes of a proof) and touches no file, network
 * or state of the device: witness.c and audit_mirror.c decide what to do
 * with the verdict, and fuzz/fuzz_client_checkpoint.c feeds it arbitrary
 * notes and proofs.  (cli_ckpt_load and cli_ckpt_save are the two that
 * touch a file: the stored checkpoint, read and written whole.)
 */
#include <stdlib.h>
#include <string.h>

#include "denpo/cli.h"
#include "denpo/encoding.h"

/* ---- checkpoints ---- */

void cli_ckpt_free(cli_ckpt *c)
{
	free(c->note);
	memset(c, 0, sizeof *c);
}

int cli_ckpt_open(const dp_note_vkey *k, const char *note, size_t len, cli_ckpt *out)
{
	memset(out, 0, sizeof *out);
	if (len == 0 || len > DP_NOTE_MAX || memchr(note, 0, len))
		return DP_EPARSE; /* empty, oversized, or not text */
	size_t tl = 0;
	int r = dp_checkpoint_open(k, note, len, &out->cp, &tl);
	if (r)
		return r;
	out->note = malloc(len + 1);
	if (!out->note)
		return DP_ENOMEM;
	memcpy(out->note, note, len);
	out->note[len] = 0;
	out->len = len;
	out->text_len = tl;
	return DP_OK;
}

int cli_ckpt_load(const dp_note_vkey *k, const char *path, cli_ckpt *out)
{
	memset(out, 0, sizeof *out);
	dp_buf b;
	dp_buf_init(&b, DP_NOTE_MAX);
	int r = dp_read_file(path, &b);
	if (!r)
		r = cli_ckpt_open(k, (const char *)b.p, b.len, out);
	dp_buf_free(&b);
	return r;
}

int cli_proof_check(const dp_note_vkey *k, const char *text, size_t len, const cli_ckpt *want,
		    dp_tlog_proof *p, uint64_t *size, char *msg, size_t cap)
{
	cli_ckpt c;
	memset(&c, 0, sizeof c);
	msg[0] = 0;
	int r;
	if ((r = dp_tlog_proof_parse(p, text, len)) != DP_OK)
		snprintf(msg, cap, "not a c2sp.org/tlog-proof@v1 file (%s)", dp_strerror(r));
	else if (!p->has_extra && (r = DP_EPARSE))
		snprintf(msg, cap, "it carries no entry (extra)");
	else if ((r = cli_ckpt_open(k, p->note, p->note_len, &c)) != DP_OK)
		snprintf(msg, cap, "its checkpoint is not signed by the log key (%s)", dp_strerror(r));
	else if (want && (c.text_len != want->text_len || memcmp(c.note, want->note, c.text_len) != 0) &&
		 (r = DP_ESIG))
		snprintf(msg, cap, "proof under another checkpoint (of %llu entries) than the one given "
				   "(of %llu entries)",
			 (unsigned long long)c.cp.size, (unsigned long long)want->cp.size);
	else {
		uint8_t leaf[DP_TLOG_HASH];
		dp_tlog_leaf_hash(leaf, p->extra_buf, p->extra_len);
		*size = c.cp.size;
		r = dp_tlog_verify_inclusion(p->index, c.cp.size, leaf, (const uint8_t(*)[DP_TLOG_HASH])p->proof,
					     p->n, c.cp.root);
		if (r)
			snprintf(msg, cap, "the entry is not entry %llu of the log of %llu entries the "
					   "checkpoint signs (inclusion proof fails)",
				 (unsigned long long)p->index, (unsigned long long)c.cp.size);
	}
	cli_ckpt_free(&c);
	return r;
}

int cli_ckpt_save(const cli_ckpt *c, const char *path)
{
	return dp_write_file(path, c->note, c->len, 0600, 0);
}

size_t cli_ckpt_cosigs(const cli_ckpt *c, cli_cosig *out, size_t max)
{
	static const char pre[] = "denpo-device/";
	const size_t pl = sizeof pre - 1;
	dp_note_sig *sigs = malloc(DP_NOTE_SIGS_MAX * sizeof *sigs);
	uint8_t (*seen)[32] = malloc(DP_NOTE_SIGS_MAX * 32);
	size_t tl, ns = 0, cnt = 0;
	if (sigs && seen && dp_note_parse(c->note, c->len, &tl, sigs, DP_NOTE_SIGS_MAX, &ns) == DP_OK)
		for (size_t i = 0; i < ns; i++) {
			const char *nm = sigs[i].name;
			uint8_t pub[32];
			char hex[65];
			if (strncmp(nm, pre, pl) != 0 || strlen(nm) != pl + 64 ||
			    dp_hex_decode(pub, 32, nm + pl, 64) != DP_OK)
				continue;
			dp_hex_encode(hex, pub, 32);
			if (strcmp(hex, nm + pl) != 0)
				continue; /* not the canonical (lower-case) spelling of the id */
			int dup = 0;
			for (size_t j = 0; j < cnt && !dup; j++)
				dup = memcmp(seen[j], pub, 32) == 0;
			if (dup)
				continue;
			dp_note_vkey vk;
			int ok = 0;
			uint64_t ts = 0;
			if (dp_note_vkey_make(&vk, nm, DP_NOTE_COSIG_V1, pub) != DP_OK ||
			    dp_note_open(c->note, c->len, &vk, 1, &ok, &ts, NULL) != DP_OK || !ok)
				continue;
			if (out && cnt < max) {
				memcpy(out[cnt].id, pub, 32);
				out[cnt].ts = ts;
			}
			memcpy(seen[cnt++], pub, 32);
		}
	free(seen);
	free(sigs);
	return cnt;
}

/* ---- consistency ---- */

static int pow2(uint64_t v) { return v && !(v & (v - 1)); }

int cli_log_cons_roots(uint64_t size1, uint64_t size2, const uint8_t root1[DP_TLOG_HASH],
		       const uint8_t (*proof)[DP_TLOG_HASH], size_t n, uint8_t fr[DP_TLOG_HASH],
		       uint8_t sr[DP_TLOG_HASH])
{
	/* RFC 9162 §2.1.4.2, computing both roots instead of comparing them */
	if (size1 == 0 || size1 >= size2 || n == 0)
		return DP_EINVAL;
	size_t i = 0;
	uint8_t first[DP_TLOG_HASH];
	if (pow2(size1))
		memcpy(first, root1, DP_TLOG_HASH); /* the old root is a node of the new tree */
	else
		memcpy(first, proof[i++], DP_TLOG_HASH);
	uint64_t fn = size1 - 1, sn = size2 - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	memcpy(fr, first, DP_TLOG_HASH);
	memcpy(sr, first, DP_TLOG_HASH);
	uint8_t t[DP_TLOG_HASH];
	for (; i < n; i++) {
		if (sn == 0)
			return DP_ESIG; /* more hashes than the shape has room for */
		if ((fn & 1) || fn == sn) {
			dp_tlog_node_hash(t, proof[i], fr);
			memcpy(fr, t, DP_TLOG_HASH);
			dp_tlog_node_hash(t, proof[i], sr);
			memcpy(sr, t, DP_TLOG_HASH);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			dp_tlog_node_hash(t, sr, proof[i]);
			memcpy(sr, t, DP_TLOG_HASH);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 ? DP_OK : DP_ESIG; /* fewer hashes than the shape needs */
}

int cli_log_judge(const cli_ckpt *old, const cli_ckpt *nw, const uint8_t (*proof)[DP_TLOG_HASH],
		  size_t n, char *why, size_t whycap)
{
	uint64_t m = old ? old->cp.size : 0, s = nw->cp.size;
	why[0] = 0;
	if (m == 0)
		return DP_OK; /* nothing seen yet: anything extends the empty tree */
	if (s == m) {
		if (memcmp(old->cp.root, nw->cp.root, DP_TLOG_HASH) == 0)
			return DP_OK;
		snprintf(why, whycap, "two different roots for the same tree size %llu",
			 (unsigned long long)s);
		return CLI_EFORK;
	}
	if (s < m)
		return DP_ESTATE; /* older: the caller asks for a proof the other way */
	if (dp_tlog_verify_consistency(m, s, old->cp.root, nw->cp.root, proof, n) == DP_OK)
		return DP_OK;
	uint8_t fr[DP_TLOG_HASH], sr[DP_TLOG_HASH];
	if (cli_log_cons_roots(m, s, old->cp.root, proof, n, fr, sr) == DP_OK &&
	    memcmp(sr, nw->cp.root, DP_TLOG_HASH) == 0 && memcmp(fr, old->cp.root, DP_TLOG_HASH) != 0)
		snprintf(why, whycap,
			 "the switch's own consistency proof from %llu to %llu shows its tree of size %llu "
			 "with another root than the one it signed before",
			 (unsigned long long)m, (unsigned long long)s, (unsigned long long)m);
	else
		snprintf(why, whycap,
			 "the switch's consistency proof from %llu to %llu does not verify (%zu hashes)",
			 (unsigned long long)m, (unsigned long long)s, n);
	return CLI_EFORK;
}
