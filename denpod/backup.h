/*
 * denpod/backup.h - what a backup of the switch is, and the data
 * directory's run lock (docs/operations.md, "Back up and restore").
 *
 * A backup is a directory (0700) of files (0600), each a copy of the data
 * directory's file of the same name:
 *
 *   denpod.db    the database, copied from one read snapshot (store.h dps_backup)
 *   sign.key, tls.key, log.key, tls.crt, denpod.conf
 *   detect.conf  if the switch has one
 *   BACKUP       the manifest, below
 *
 * and never signer.state: it is the signer's memory of the last tree it
 * signed, and a copy of it would let a restored (older) log be signed over
 * without anyone accepting the loss; nor alerts or other logs, which are
 * the SIEM's.
 *
 * The manifest is text, one "KEY VALUE..." a line, in this order:
 *
 *   DENPO-BACKUP 1
 *   denpod VERSION                 the denpod that wrote it
 *   time 2026-12-06T16:50:00Z      when (UTC)
 *   origin ORIGIN                  the log's name (denpod.conf log_origin)
 *   log-entries N                  entries in the copied database
 *   checkpoint SIZE ROOT           its latest signed checkpoint (ROOT: 64 hex)
 *   file NAME BYTES SHA256         one per file above (SHA256: 64 hex)
 *   end
 *
 * so a restore tells a whole backup from a damaged, partial or altered
 * one before it touches anything.
 */
#ifndef DENPOD_BACKUP_H
#define DENPOD_BACKUP_H

#include <stdint.h>

#include "denpo/buf.h"
#include "denpo/tlog.h"

#define DPB_MANIFEST "BACKUP"
#define DPB_MAGIC "DENPO-BACKUP 1"
#define DPB_LOCK "denpod.lock"

/* The files of a backup, in manifest order; optional ones may be absent. */
typedef struct {
	const char *name;
	int optional;
} dpb_file_kind;
extern const dpb_file_kind dpb_files[];
extern const size_t dpb_nfiles;

#define DPB_FILES_MAX 8
#define DPB_VERSION_MAX 32
typedef struct {
	char version[DPB_VERSION_MAX + 1];
	int64_t time; /* Unix seconds */
	char origin[DP_NOTE_NAME_MAX + 1];
	uint64_t entries, cp_size;
	uint8_t cp_root[DP_TLOG_HASH];
	size_t nfiles;
	struct {
		const char *name; /* points into dpb_files */
		uint64_t bytes;
		uint8_t sha256[32];
	} file[DPB_FILES_MAX];
} dpb_manifest;

/* The manifest's text into out (appended).  DP_EINVAL if m is not one parse would accept. */
int dpb_manifest_format(const dpb_manifest *m, dp_buf *out) DP_WUR;
/*
 * Strict: exactly the lines above, in order, each file of dpb_files at
 * most once and every one not optional present, in dpb_files order;
 * nothing after "end\n".  DP_EPARSE otherwise (why: a short reason, may be
 * NULL).
 */
int dpb_manifest_parse(dpb_manifest *m, const uint8_t *p, size_t n, const char **why) DP_WUR;
/* "2026-12-06T16:50:00Z" of t into out. */
void dpb_time_format(char out[21], int64_t t);

/*
 * Copies src to dst, a new file (O_EXCL, created 0600: never readable by
 * anyone else, not even for a moment), fsynced; *bytes and sha256 are
 * those of what was written.  DP_ENOTFOUND: no src; DP_EEXISTS: dst
 * exists; DP_ENOSPC: the disk is full (dst removed); DP_EIO.
 */
int dpb_copy(const char *src, const char *dst, uint64_t *bytes, uint8_t sha256[32]) DP_WUR;
/* A file's size and SHA-256, read in pieces.  DP_ENOTFOUND, DP_EIO. */
int dpb_hash(const char *path, uint64_t *bytes, uint8_t sha256[32]) DP_WUR;
/* fsync of a directory (its entries: files made, renamed or removed there). */
int dpb_sync_dir(const char *dir) DP_WUR;

/*
 * The data directory's run lock: an exclusive flock on DIR/denpod.lock
 * (created 0600), held by `denpod run` while it runs and by `denpod
 * restore` while it replaces the files, so neither happens beside the
 * other.  *fd: the descriptor that holds it (close releases it; a child
 * made by fork shares it).  A lock held by another process is waited for
 * up to DPB_LOCK_WAIT_MS (a run ended by SIGKILL releases it only when its
 * network process has died too); DP_ESTATE if it is still held; DP_EIO.
 */
#define DPB_LOCK_WAIT_MS 3000
int dpb_lock(const char *dir, int *fd) DP_WUR;

#endif
