/*
 * denpo/tlog.h - the transparency log's structures: RFC 6962/9162 Merkle
 * trees and proofs, C2SP tlog-tiles paths and entry bundles, C2SP signed
 * notes, tlog-checkpoint, tlog-cosignature (Ed25519 cosignature/v1) and
 * tlog-proof files.  Pure functions, no I/O, no global state; every
 * parser is strict, bounded and fuzzed (fuzz/fuzz_note.c, fuzz_tlog.c).
 *
 * Hashing (RFC 6962 §2.1): SHA-256; leaf = H(0x00 || entry), node =
 * H(0x01 || left || right), the empty tree's root is H("").  Node (level,
 * n) is the root of the complete subtree over leaves [n*2^level,
 * (n+1)*2^level).  Indices and sizes are uint64.
 */
#ifndef DENPO_TLOG_H
#define DENPO_TLOG_H

#include <stddef.h>
#include <stdint.h>

#include "denpo/buf.h"
#include "denpo/error.h"

#define DP_TLOG_HASH 32
#define DP_TLOG_PROOF_MAX 64          /* hashes in any proof of a uint64 tree (*) */
#define DP_TLOG_TILE_WIDTH 256        /* hashes (or entries) in a full tile */
#define DP_TLOG_TILE_HEIGHT 8         /* tree levels per tile level */
#define DP_TLOG_ENTRY_MAX 65535       /* bytes in one entry (uint16 length in bundles) */

/* ---- Merkle hashing ---- */

void dp_tlog_leaf_hash(uint8_t out[DP_TLOG_HASH], const uint8_t *entry, size_t len);
void dp_tlog_node_hash(uint8_t out[DP_TLOG_HASH], const uint8_t left[DP_TLOG_HASH],
		       const uint8_t right[DP_TLOG_HASH]);
void dp_tlog_empty_root(uint8_t out[DP_TLOG_HASH]);

/*
 * Hash of the complete node (level, n), from the storage (a log's tiles, a
 * test's array).  Return DP_OK or an error, which the caller passes up.
 */
typedef int (*dp_tlog_node_reader)(void *ctx, unsigned level, uint64_t n, uint8_t out[DP_TLOG_HASH]);

/*
 * Hashes [from, from+count) of tile level `tlevel` (tree level 8*tlevel:
 * tile level 0 holds leaf hashes) into out (count*32 bytes).
 */
typedef int (*dp_tlog_tile_reader)(void *ctx, unsigned tlevel, uint64_t from, size_t count,
				   uint8_t *out);

/*
 * Node (level, n) computed from tile hashes: reads the 2^(level mod 8)
 * hashes below it at tile level level/8 and hashes them up.
 */
int dp_tlog_node_from_tiles(dp_tlog_tile_reader rd, void *ctx, unsigned level, uint64_t n,
			    uint8_t out[DP_TLOG_HASH]) DP_WUR;
/* Adapter: a dp_tlog_node_reader over a tile reader.  ctx is a dp_tlog_tiles. */
typedef struct {
	dp_tlog_tile_reader rd;
	void *ctx;
} dp_tlog_tiles;
int dp_tlog_tiles_node(void *ctx, unsigned level, uint64_t n, uint8_t out[DP_TLOG_HASH]) DP_WUR;

/* Root of the tree of `size` leaves (size 0: the empty root). */
int dp_tlog_root(uint64_t size, dp_tlog_node_reader rd, void *ctx, uint8_t root[DP_TLOG_HASH]) DP_WUR;

/*
 * RFC 9162 §2.1.3.1 inclusion proof of leaf `index` in the tree of `size`
 * leaves (index < size, else DP_EINVAL), leaf to root; *n hashes.
 */
int dp_tlog_prove_inclusion(uint64_t index, uint64_t size, dp_tlog_node_reader rd, void *ctx,
			    uint8_t proof[DP_TLOG_PROOF_MAX][DP_TLOG_HASH], size_t *n) DP_WUR;
/*
 * RFC 9162 §2.1.4.1 consistency proof from size1 to size2
 * (0 < size1 <= size2, else DP_EINVAL; size1 == size2: empty proof).
 * (*) A consistency proof can need 65 hashes, but only into a tree of
 * more than 2^63 leaves (from an odd size1 > 1); generating one fails
 * with DP_EINVAL.
 * Both provers make O(log size) reader calls (at most about 128).
 */
int dp_tlog_prove_consistency(uint64_t size1, uint64_t size2, dp_tlog_node_reader rd, void *ctx,
			      uint8_t proof[DP_TLOG_PROOF_MAX][DP_TLOG_HASH], size_t *n) DP_WUR;

/*
 * RFC 9162 §2.1.3.2, with transparency-dev/merkle's rules: index < size,
 * proof length exactly as the shape requires.  DP_OK or DP_ESIG (does not
 * verify) or DP_EINVAL (impossible arguments).
 */
int dp_tlog_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf[DP_TLOG_HASH],
			     const uint8_t (*proof)[DP_TLOG_HASH], size_t n,
			     const uint8_t root[DP_TLOG_HASH]) DP_WUR;
/*
 * RFC 9162 §2.1.4.2.  size1 == 0 is an error (DP_EINVAL) here, as in
 * transparency-dev/merkle; callers treat "nothing seen yet" above this.
 * size1 == size2: the proof must be empty and the roots equal.
 */
int dp_tlog_verify_consistency(uint64_t size1, uint64_t size2, const uint8_t root1[DP_TLOG_HASH],
			       const uint8_t root2[DP_TLOG_HASH],
			       const uint8_t (*proof)[DP_TLOG_HASH], size_t n) DP_WUR;

/*
 * The right edge of a growing tree ("compact range"): the roots of its
 * complete subtrees, one per set bit of size.  Appending a leaf hash
 * reports every node it completes through emit (the leaf itself at level
 * 0, then each completed parent), which is how a log fills its tiles.
 */
typedef struct {
	uint64_t size;
	uint8_t h[64][DP_TLOG_HASH]; /* h[level] valid when bit `level` of size is set */
} dp_tlog_range;
typedef int (*dp_tlog_emit)(void *ctx, unsigned level, uint64_t n, const uint8_t h[DP_TLOG_HASH]);
void dp_tlog_range_init(dp_tlog_range *r);
/* The range of a stored tree of `size` leaves, read through rd. */
int dp_tlog_range_load(dp_tlog_range *r, uint64_t size, dp_tlog_node_reader rd, void *ctx) DP_WUR;
/* emit may be NULL; an error from emit stops and is returned (the range is then unchanged). */
int dp_tlog_range_append(dp_tlog_range *r, const uint8_t leaf[DP_TLOG_HASH], dp_tlog_emit emit,
			 void *ctx) DP_WUR;
void dp_tlog_range_root(const dp_tlog_range *r, uint8_t root[DP_TLOG_HASH]);

/* ---- tlog-tiles ---- */

/*
 * "tile/<L>/<N>[.p/<W>]" (tlevel >= 0) or "tile/entries/<N>[.p/<W>]"
 * (tlevel == -1), N in x-prefixed 3-digit groups; width 256 = full (no
 * .p), 1..255 = partial.  DP_ETOOBIG if cap is short.
 */
int dp_tlog_tile_path(char *out, size_t cap, int tlevel, uint64_t n, unsigned width) DP_WUR;
/* The inverse, strict (canonical spelling only): DP_EPARSE otherwise. */
int dp_tlog_tile_parse(const char *path, int *tlevel, uint64_t *n, unsigned *width) DP_WUR;
/*
 * Width of tile (tlevel, n) in the tree of `size` leaves: 256 if full,
 * 1..255 if it is the partial right edge, 0 if it does not exist.
 */
unsigned dp_tlog_tile_width(unsigned tlevel, uint64_t n, uint64_t size);

/* Entry bundles: each entry is uint16 big-endian length || bytes. */
int dp_tlog_bundle_put(dp_buf *b, const uint8_t *entry, size_t len) DP_WUR;
/*
 * Splits a bundle: calls cb for each entry in order; DP_EPARSE on a
 * truncated entry or if the count is not exactly `want` (0..256).
 */
int dp_tlog_bundle_parse(const uint8_t *p, size_t len, unsigned want,
			 int (*cb)(void *ctx, unsigned i, const uint8_t *e, size_t elen), void *ctx) DP_WUR;

/* ---- signed notes (c2sp.org/signed-note) ---- */

#define DP_NOTE_MAX 65536         /* bytes in a note we read */
#define DP_NOTE_NAME_MAX 255
#define DP_NOTE_SIGS_MAX 100      /* signature lines in a note we read */
#define DP_NOTE_SIG_MAX 128       /* signature bytes after the key id */
#define DP_NOTE_VKEY_MAX 512

enum dp_note_type {
	DP_NOTE_ED25519 = 0x01,
	DP_NOTE_COSIG_V1 = 0x04, /* Ed25519 cosignature/v1 (c2sp.org/tlog-cosignature) */
};

/* A verifier key: "<name>+<hex8 id>+<base64(type || pub)>". */
typedef struct {
	char name[DP_NOTE_NAME_MAX + 1];
	uint32_t id;
	uint8_t type;  /* enum dp_note_type */
	uint8_t pub[32];
} dp_note_vkey;

/* A signature line as parsed (not verified). */
typedef struct {
	char name[DP_NOTE_NAME_MAX + 1];
	uint32_t id;
	uint8_t sig[DP_NOTE_SIG_MAX];
	size_t siglen;
} dp_note_sig;

/* Key name rules: non-empty, printable, no spaces, no '+'. */
int dp_note_name_ok(const char *name);
/* SHA-256(name || "\n" || type || pub)[:4], big-endian. */
uint32_t dp_note_key_id(const char *name, uint8_t type, const uint8_t pub[32]);
/* A vkey from its name, type and public key (computes the id). */
int dp_note_vkey_make(dp_note_vkey *k, const char *name, uint8_t type, const uint8_t pub[32]) DP_WUR;
/*
 * Strict: a valid name, exactly 8 lower-case hex digits equal to the key's
 * id, padded base64 of type || 32 bytes.  DP_EUNSUPP for another type.
 */
int dp_note_vkey_parse(dp_note_vkey *k, const char *s, size_t len) DP_WUR;
int dp_note_vkey_format(char *out, size_t cap, const dp_note_vkey *k) DP_WUR;
/*
 * A signer key in Go x/mod's form "PRIVATE+KEY+<name>+<hex8 id>+
 * base64(type || 32-byte Ed25519 seed)", type 0x01 or 0x04: its public
 * half into k (the id must match) and the libsodium secret key (seed ||
 * pub) into sk.  Temporary copies are wiped; sk is wiped on failure.
 */
int dp_note_skey_parse(dp_note_vkey *k, uint8_t sk[64], const char *s, size_t len) DP_WUR;

/*
 * Splits a note into its text (which ends in '\n') and signature lines.
 * Strict: UTF-8 without control characters but '\n', ends in '\n', text
 * separated from signatures by the last empty line, every signature line
 * "— <name> <base64>\n" with at least 4+1 decoded bytes, 1..DP_NOTE_SIGS_MAX
 * lines.  DP_EPARSE / DP_ETOOBIG.  A signature longer than
 * DP_NOTE_SIG_MAX (an ML-DSA-44 cosignature, ...) is checked and kept as
 * name and id with siglen 0: no key type here uses one, so it is an
 * unknown key's line and must not make the note unreadable.
 * sigs may be NULL (max is then ignored) to only check and count.
 */
int dp_note_parse(const char *note, size_t len, size_t *text_len, dp_note_sig *sigs, size_t max,
		  size_t *nsigs) DP_WUR;
/*
 * Opens a note: for each known key, a signature line with its name and id
 * must verify (else DP_ESIG); lines of unknown keys are ignored.
 * verified[i] is set to 1 for each key i that signed (and for cosigner keys
 * *ts[i] gets the cosignature's timestamp if ts is not NULL).  DP_ESIG if
 * no key in `keys` signed at all.  Cosignature keys (type 0x04) verify
 * cosignature/v1 over the text.
 */
int dp_note_open(const char *note, size_t len, const dp_note_vkey *keys, size_t nkeys,
		 int *verified, uint64_t *ts, size_t *text_len) DP_WUR;
/* Appends "— <name> <base64(id || Ed25519 signature of text)>\n" to out. */
int dp_note_sign_line(dp_buf *out, const char *text, size_t len, const char *name,
		      const uint8_t sk[64]) DP_WUR;
/*
 * Ed25519 cosignature/v1 line over a checkpoint text:
 * signed message "cosignature/v1\ntime <ts>\n" || text; the line carries
 * id || u64 ts || sig (76 bytes).  ts > 0.
 */
int dp_note_cosign_line(dp_buf *out, const char *text, size_t len, const char *name,
			const uint8_t sk[64], uint64_t ts) DP_WUR;

/* ---- checkpoints (c2sp.org/tlog-checkpoint) ---- */

typedef struct {
	char origin[DP_NOTE_NAME_MAX + 1];
	uint64_t size;
	uint8_t root[DP_TLOG_HASH];
	size_t next; /* bytes of the three mandatory lines; extension lines follow */
} dp_checkpoint;

/* The note text of a checkpoint; extension lines are allowed and ignored. */
int dp_checkpoint_parse(dp_checkpoint *c, const char *text, size_t len) DP_WUR;
/* "<origin>\n<size>\n<base64 root>\n" */
int dp_checkpoint_format(dp_buf *out, const dp_checkpoint *c) DP_WUR;
/*
 * A signed checkpoint note of the log whose key is k: k signed it (other
 * lines, cosignatures, are ignored), its text parses, and its origin is
 * k's name (a log key signs for one log).  c and *text_len (may be NULL)
 * are set on DP_OK.  DP_ESIG (not signed by k, or for another origin),
 * DP_EPARSE, DP_ETOOBIG.
 */
int dp_checkpoint_open(const dp_note_vkey *k, const char *note, size_t len, dp_checkpoint *c,
		       size_t *text_len) DP_WUR;

/* ---- offline proofs (c2sp.org/tlog-proof@v1) ---- */

/* bytes in a proof file we read: header, extra, index, 64 hashes, a DP_NOTE_MAX note */
#define DP_TLOG_PROOF_TEXT_MAX (160 * 1024)

typedef struct {
	uint64_t index;
	uint8_t proof[DP_TLOG_PROOF_MAX][DP_TLOG_HASH];
	size_t n;
	const char *extra;  /* parse: the base64 "extra" text in the input (ends at '\n'), or NULL */
	uint8_t extra_buf[DP_TLOG_ENTRY_MAX];
	size_t extra_len;
	int has_extra;
	const char *note;   /* the signed checkpoint (points into the parsed input) */
	size_t note_len;
} dp_tlog_proof;

/*
 * "c2sp.org/tlog-proof@v1\n[extra <b64>\n]index <n>\n<b64 hash>\n...\n\n<signed checkpoint>"
 * Encode writes extra_buf[:extra_len] when has_extra (extra_len >= 1).
 * Parse is syntax only: the note must parse (dp_note_parse) and its text
 * be a checkpoint; the caller opens the note (dp_note_open) and verifies
 * the inclusion proof against the checkpoint (dp_tlog_verify_inclusion).
 */
int dp_tlog_proof_encode(dp_buf *out, const dp_tlog_proof *p) DP_WUR;
int dp_tlog_proof_parse(dp_tlog_proof *p, const char *s, size_t len) DP_WUR;

#endif
