/*
 * denpo/bag.h - BagIt bags (RFC 8493) and the export bag of a declassified
 * cable (docs/formats.md, "The export bag").
 *
 * Two layers:
 *
 *   dp_bag_*     a BagIt 1.0 bag: written from a list of payload files
 *                (path under data/, bytes) with bagit.txt, bag-info.txt,
 *                manifest-sha256.txt, manifest-sha512.txt and the two
 *                tagmanifests, into a fresh directory, atomically; and read
 *                back strictly (a bag is an untrusted file set), every
 *                payload file checked against every manifest, no file
 *                unlisted, Payload-Oxum.  denpo/bag.c.
 *
 *   dp_export_*  what a declassified cable's export bag holds (the cable as
 *                read, its signed plaintext, metadata, attachments, the log
 *                entries with their inclusion proofs and the signed
 *                checkpoint) and the checks of `denpo audit verify BAG`.
 *                denpo/archive_export.c.
 *
 * `denpo records export MRN --out DIR` (denpo/records_cmd.c, denpo/archive_bag.c) fills one
 * dp_export and calls dp_export_bag; nothing else.
 *
 * The export bag's payload (data/):
 *   cable.txt              the cable as `denpo read` shows it (banners, header, body)
 *   cable.signed           the signed plaintext (DENPO-CABLE/1 .. Ed25519 signature)
 *   attachments/<name>     each attachment's bytes
 *   metadata.json          the cable's fields, the declassification, the originator key
 *   submission             the submission bytes the switch delivered (if given):
 *                          SHA-256 = the cable-accepted entry's Envelope-Hash
 *   proofs/<index>.tlog-proof  each log entry (c2sp.org/tlog-proof@v1: the entry in
 *                          "extra", its inclusion proof, the signed checkpoint)
 *   proofs/checkpoint      the signed checkpoint (a note) every proof is under
 *   proofs/log-key         the log's verifier key (informative: never trusted)
 */
#ifndef DENPO_BAG_H
#define DENPO_BAG_H

#include <stddef.h>
#include <stdint.h>

#include "denpo/buf.h"
#include "denpo/client.h"
#include "denpo/error.h"
#include "denpo/markings.h"
#include "denpo/tlog.h"

/* ---- the bag (RFC 8493) ---- */

#define DP_BAG_FILES_MAX 256           /* payload files in a bag we write or read */
#define DP_BAG_PATH_MAX 255            /* bytes of a payload path, "data/..." included */
#define DP_BAG_FILE_MAX (80u << 20)    /* bytes of one payload file (a submission: 64 MiB + envelope) */
#define DP_BAG_TOTAL_MAX (256u << 20)  /* bytes of the whole payload (cable, attachments, submission) */
#define DP_BAG_TAG_MAX (256u * 1024)   /* bytes of one tag file (bagit.txt, manifests...) */
#define DP_BAG_INFO_MAX 32             /* bag-info.txt elements */
#define DP_BAG_VALUE_MAX 1024          /* bytes of one bag-info value */

/* One payload file to write: path relative to data/ ("cable.txt", "proofs/checkpoint"). */
typedef struct {
	const char *path;   /* dp_bag_path_ok */
	const uint8_t *data;
	size_t len;
} dp_bag_file;

/* One bag-info.txt element ("Source-Organization", "Ministry of ..."). */
typedef struct {
	const char *label;  /* [A-Za-z0-9-]+ */
	const char *value;  /* one line of UTF-8 text, no CR/LF */
} dp_bag_info;

/*
 * 1 if p is a payload path we write and accept: 1..DP_BAG_PATH_MAX-5
 * bytes, components separated by single '/', each of [A-Za-z0-9._-] not
 * starting with '.' (so no "..", no hidden files), no leading '/'.
 */
int dp_bag_path_ok(const char *p);

/*
 * Writes the bag into dir, which must not exist (DP_EEXISTS): everything
 * goes into a fresh "dir.tmp-XXXXXX" beside it (0700 while written), files
 * 0644 and directories 0755 (a bag is for publication), each fsync'd, then
 * renamed to dir; on any failure the temporary directory is removed and
 * dir does not exist.  bag-info.txt gets the info elements in order and
 * then Bagging-Date (today, UTC) and Payload-Oxum (computed).  Duplicate
 * or unsafe paths are DP_EINVAL; a file or payload the reader would refuse
 * as too big, DP_ETOOBIG.  why (may be NULL) says what failed.
 */
int dp_bag_write(const char *dir, const dp_bag_file *files, size_t n, const dp_bag_info *info,
		 size_t ninfo, char *why, size_t whycap) DP_WUR;

/*
 * A bag read back.  Payload files are loaded (each <= DP_BAG_FILE_MAX,
 * all of them <= DP_BAG_TOTAL_MAX) so the caller checks what it reads and
 * reads what was checked.
 */
typedef struct {
	char path[DP_BAG_PATH_MAX + 1]; /* relative to data/ */
	uint8_t *data;                  /* owned */
	size_t len;
} dp_bag_payload;
typedef struct {
	dp_bag_payload files[DP_BAG_FILES_MAX];
	size_t nfiles;
	char info_label[DP_BAG_INFO_MAX][64];
	char info_value[DP_BAG_INFO_MAX][DP_BAG_VALUE_MAX + 1];
	size_t ninfo;
	int algs;                       /* DP_BAG_SHA256 | DP_BAG_SHA512: the manifests found */
} dp_bag;
#define DP_BAG_SHA256 1
#define DP_BAG_SHA512 2

/*
 * Reads and validates the bag at dir (RFC 8493 §3 "complete" and "valid"):
 * bagit.txt is exactly version 1.0 and UTF-8; at least one payload manifest
 * of a known algorithm (sha256, sha512; others DP_EUNSUPP); every payload
 * file is listed in every payload manifest, every listed file exists, every
 * digest matches; tag manifests, if any, match the tag files they list;
 * Payload-Oxum, if present, matches; no symlinks, devices or other odd
 * files; no file outside data/ but the tag files.  DP_OK with b filled
 * (dp_bag_free it), else DP_EPARSE / DP_ESIG (a digest or the oxum differs)
 * / DP_ETOOBIG / DP_EUNSUPP / DP_ENOTFOUND with why naming the file.
 */
int dp_bag_read(const char *dir, dp_bag *b, char *why, size_t whycap) DP_WUR;
void dp_bag_free(dp_bag *b);
/* The payload file at path (relative to data/), or NULL. */
const dp_bag_payload *dp_bag_find(const dp_bag *b, const char *path);
/* The value of bag-info label (case-insensitive), or NULL. */
const char *dp_bag_info_get(const dp_bag *b, const char *label);

/*
 * The strict parser of one manifest file (manifest-ALG.txt or
 * tagmanifest-ALG.txt; exposed for fuzz/fuzz_bag_manifest.c): lines
 * "<hex digest> <path>" (hex of either case, of the algorithm's length;
 * one or more spaces or tabs between; LF, CR or CRLF line ends, the last
 * line's optional), the path percent-decoded (%0A %0D %25 only, RFC 8493
 * §2.1.3), each path once.
 * cb is called for each line; a non-zero return stops the parse and is
 * returned.  DP_EPARSE with why for anything else.
 */
typedef int (*dp_bag_line_cb)(void *ctx, const uint8_t *digest, size_t dlen, const char *path);
int dp_bag_manifest_parse(const uint8_t *p, size_t n, size_t dlen, dp_bag_line_cb cb, void *ctx,
			  char *why, size_t whycap) DP_WUR;
/* Parses bagit.txt or bag-info.txt ("Label: value" lines, continuations) into b's info. */
int dp_bag_info_parse(const uint8_t *p, size_t n, dp_bag *b, char *why, size_t whycap) DP_WUR;

/* ---- the export bag of a declassified cable (denpo/archive_export.c) ---- */

#define DP_EXPORT_ENTRIES_MAX 64       /* log entries (accepted parts and records acts) in one bag */

/*
 * What `denpo records export` hands over.  All pointers are the caller's
 * and are only read.  The log entries are as the switch answers them
 * (dp_log_incl: entry bytes, index and inclusion proof, unverified), each
 * proved against the one signed checkpoint `checkpoint` (a proof of
 * another tree size is DP_EINVAL: ask the switch for proofs at the
 * checkpoint's size, dp_client_log_inclusion).  The records entries are
 * the log entries of the declassification's acts (event "records", Act
 * declassify-propose and declassify-approve, this Cable-Id): their bytes,
 * not only their index, are needed, since the bag proves them; others
 * (the export's own, a hold) may be given and are kept.
 */
typedef struct {
	const char *mrn;                       /* the cable's MRN (dp_mrn_ok) */
	const uint8_t *cable;                  /* the signed plaintext: DENPO-CABLE/1 .. signature */
	size_t cable_len;
	const uint8_t *submission;             /* the submission bytes the switch delivered, or NULL */
	size_t submission_len;
	const dp_log_incl *accepted;           /* its cable-accepted entries (every part, 1..n) */
	size_t naccepted;
	const dp_log_incl *records;            /* its "records" entries: at least the propose and */
	size_t nrecords;                       /* the approve of the declassification */
	const char *checkpoint;                /* the signed checkpoint note all proofs are under */
	size_t checkpoint_len;
	const dp_note_vkey *log_key;           /* the log key this device pinned (cli_log_key) */
	const dp_markings *markings;           /* for the banners of cable.txt; NULL: none */
	const char *organization;              /* Source-Organization; NULL: the From post */
} dp_export;

/*
 * Checks the inputs the way `denpo audit verify` will (the cable's
 * signature, its id and MRN in the accepted entry, every proof against
 * the checkpoint, the checkpoint under log_key, a declassification
 * proposed and approved by two officers) and writes the bag into dir,
 * which must not exist (dp_bag_write).  DP_EINVAL / DP_ESIG / DP_ESTATE
 * (not declassified) / DP_EEXISTS / I/O codes, with why saying what.
 */
int dp_export_bag(const dp_export *ex, const char *dir, char *why, size_t whycap) DP_WUR;

/*
 * One check of an export bag, as `denpo audit verify BAG` prints it.
 */
typedef struct {
	const char *what;   /* "bag", "signature", "cable.txt", "metadata.json", "attachments",
			     * "accepted", "proofs", "checkpoint", "declassification" */
	int ok;
	char msg[512];
} dp_export_check;
#define DP_EXPORT_CHECKS 16

/*
 * Verifies the export bag at dir under log key k (never the bag's own
 * copy, data/proofs/log-key: whoever altered the bag could have
 * replaced both checkpoint and key).  Fills checks (up to
 * DP_EXPORT_CHECKS, *n of them) and returns DP_OK only if every one
 * passed; else the first failure's code.  Reads nothing but dir.
 */
int dp_export_verify(const char *dir, const dp_note_vkey *k, dp_export_check *checks, size_t *n)
	DP_WUR;

#endif
