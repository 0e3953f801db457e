/*
 * denpod/segment.h - a SQLite switch's cable bodies, outside the database:
 * append-only segment files in DATA/cables (docs/formats.md, "Cable
 * segments").
 *
 * Why: a body (6.5 KB for one recipient, 41 KB for twenty) written as a
 * BLOB goes through SQLite's write-ahead log and again through the
 * checkpoint; appended here it is written once, and the row keeps only
 * (segment, offset) beside the size and digest it always had.
 *
 * The files: DATA/cables (0700) holds SEG000001, SEG000002, ... (0600),
 * each a 16-byte header "DENPO-SEGMENT 1\n" then bodies back to back.  The
 * database records, with the rows of each transaction that appends, where
 * the next body goes (meta DPSEG_META: "SEG OFFSET"); a body is written
 * there and never below it, so no byte a committed row points at is
 * written again; a segment is rolled (the next number begun) once it holds
 * DPSEG_ROLL bytes.  Bytes past the recorded place (a batch rolled back,
 * or cut short by a crash; the zeros written ahead) are no row's and are
 * written over by the next bodies.  Zeros are written ahead only from the
 * file's real end, read again in every transaction that appends (another
 * process may have appended and extended the file since).  A new segment
 * (a roll, or no place recorded: a restored backup) is a number no file
 * has, after the highest there is if the next is taken: a file there may
 * be pointed into by another copy of the database (one a restore set
 * aside); the one exception is a segment this handle made in a
 * transaction that did not commit (no row's), taken again.
 *
 * Ordering (the contract with the commit engine, denpod/batch.c): bodies
 * are appended only inside a write transaction (which holds SQLite's one
 * write lock: the admin commands beside `denpod run` append too, never at
 * once), and dpseg_sync (fdatasync of every segment appended to) runs
 * before the transaction commits (store.c dps_commit), so a committed row
 * never points at bytes that are not on disk.
 *
 * One handle per store handle (per thread): it holds open descriptors.
 * The directory is made with the first segment, or before by
 * dpseg_make_dir; either way its data directory is synced after.
 */
#ifndef DENPOD_SEGMENT_H
#define DENPOD_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "denpo/buf.h"

#define DPSEG_DIR "cables"
#define DPSEG_MAGIC "DENPO-SEGMENT 1\n"
#define DPSEG_HEADER 16
#define DPSEG_ROLL ((int64_t)256 << 20) /* a segment is rolled past 256 MiB */
#define DPSEG_CHUNK ((int64_t)4 << 20)  /* zeros written ahead of the bodies, 4 MiB at a time */
#define DPSEG_META "segment_next"       /* meta key: where the next body goes */

typedef struct dpseg dpseg;

/*
 * The segments beside the database file db_path (its directory's
 * DPSEG_DIR, made 0700 with the first segment).  Nothing is opened or
 * made yet.
 */
int dpseg_open(dpseg **out, const char *db_path) DP_WUR;
void dpseg_close(dpseg *g);
/*
 * DATA_DIR's DPSEG_DIR made (0700) if it is missing, and DATA_DIR synced
 * then (the network process makes it before its sandbox: denpod/sandbox.c).
 * DP_EIO (errno set) if either fails, DP_EINVAL for a path too long.
 */
int dpseg_make_dir(const char *data_dir) DP_WUR;

/* No place known in this transaction yet: dpseg_place first. */
int dpseg_needs_place(const dpseg *g);
/*
 * Where the next body goes, as the database recorded it (seg 0: nothing
 * recorded: a new segment after every one there is).  Opens (makes) the
 * segment, and reads its size (one fstat when it is open already); a file
 * shorter than the header gets the header.  DP_ESTATE for a place no
 * segment can have.
 */
int dpseg_place(dpseg *g, int64_t seg, int64_t tail) DP_WUR;
/*
 * Appends n bytes at the place (inside the caller's write transaction):
 * *seg and *off say where.  DP_ENOSPC (disk full), DP_ESTORE (any other
 * failure: the batch is rolled back, as for a database failure).
 */
int dpseg_append(dpseg *g, const uint8_t *p, size_t n, int64_t *seg, int64_t *off) DP_WUR;
/* Whether this transaction appended; *seg, *tail: where the next body goes (to record). */
int dpseg_pending(const dpseg *g, int64_t *seg, int64_t *tail);
/* fdatasync of what was appended since the last call (none: no system call). */
int dpseg_sync(dpseg *g) DP_WUR;
/* The transaction ended without a sync (rolled back): its bytes are no row's. */
void dpseg_forget(dpseg *g);

/*
 * The n bytes at (seg, off) into out (reset first).  A segment that is
 * missing or ends before off + n yields the bytes it has (fewer, or none):
 * the caller's digest check reports the damage.  DP_EINVAL for a place no
 * row can name, DP_EIO for a read that fails, DP_ENOMEM.
 */
int dpseg_read(dpseg *g, int64_t seg, int64_t off, size_t n, dp_buf *out) DP_WUR;

/*
 * The bytes of every segment there is (SEG and six digits in the
 * directory; none yet: 0) into *bytes, the zeros written ahead included:
 * they hold the disk.  DP_EIO if the directory cannot be read.
 */
int dpseg_bytes(const dpseg *g, uint64_t *bytes) DP_WUR;

#endif
