/*
 * denpo/buf.h - bounded buffers and cursors for untrusted bytes.
 *
 * dp_buf is a growable byte buffer whose maximum size is fixed when it is
 * made; appending past the cap fails with DP_ETOOBIG and leaves the buffer
 * as it was.  dp_buf_free() wipes the contents before freeing, so a buffer
 * may hold secrets (plaintext, keys).
 *
 * dp_cur reads untrusted bytes: every getter checks the remaining length
 * before it consumes, and on failure consumes nothing.
 */
#ifndef DENPO_BUF_H
#define DENPO_BUF_H

#include <stddef.h>
#include <stdint.h>
#include "denpo/error.h"

typedef struct {
	uint8_t *p;   /* contents (NUL-terminated for convenience; NUL not counted) */
	size_t len;   /* bytes used */
	size_t alloc; /* bytes allocated */
	size_t cap;   /* maximum len, fixed at init */
} dp_buf;

void dp_buf_init(dp_buf *b, size_t cap);
/* Wipes and frees; leaves b empty with the same cap. */
void dp_buf_free(dp_buf *b);
/* Wipes contents, keeps allocation. */
void dp_buf_reset(dp_buf *b);
int dp_buf_append(dp_buf *b, const void *p, size_t n) DP_WUR;
int dp_buf_putc(dp_buf *b, uint8_t c) DP_WUR;
int dp_buf_puts(dp_buf *b, const char *s) DP_WUR;
int dp_buf_printf(dp_buf *b, const char *fmt, ...) DP_WUR __attribute__((format(printf, 2, 3)));
int dp_buf_put_u8(dp_buf *b, uint8_t v) DP_WUR;
int dp_buf_put_u16(dp_buf *b, uint16_t v) DP_WUR; /* big-endian */
int dp_buf_put_u32(dp_buf *b, uint32_t v) DP_WUR; /* big-endian */
int dp_buf_put_u64(dp_buf *b, uint64_t v) DP_WUR; /* big-endian */
/* Reserve n more bytes and return a pointer to them (len grows by n). */
int dp_buf_grow(dp_buf *b, size_t n, uint8_t **out) DP_WUR;
/* Hand the allocation to the caller (who must free() it); b becomes empty. */
uint8_t *dp_buf_steal(dp_buf *b, size_t *len);

typedef struct {
	const uint8_t *p;
	size_t len; /* bytes remaining */
} dp_cur;

static inline dp_cur dp_cur_make(const void *p, size_t len)
{
	dp_cur c = {(const uint8_t *)p, len};
	return c;
}
int dp_cur_get(dp_cur *c, void *out, size_t n) DP_WUR;
/* Point *out at the next n bytes without copying. */
int dp_cur_take(dp_cur *c, const uint8_t **out, size_t n) DP_WUR;
int dp_cur_u8(dp_cur *c, uint8_t *v) DP_WUR;
int dp_cur_u16(dp_cur *c, uint16_t *v) DP_WUR;
int dp_cur_u32(dp_cur *c, uint32_t *v) DP_WUR;
int dp_cur_u64(dp_cur *c, uint64_t *v) DP_WUR;
/*
 * Next line ending in "\n" (not included in *line, *n); fails with
 * DP_EPARSE when no LF remains.  A CR is returned as part of the line.
 */
int dp_cur_line(dp_cur *c, const uint8_t **line, size_t *n) DP_WUR;

/* Read a whole file into b (fails with DP_ETOOBIG past b->cap). */
int dp_read_file(const char *path, dp_buf *b) DP_WUR;
/* Read all of a file descriptor into b. */
int dp_read_fd(int fd, dp_buf *b) DP_WUR;
/*
 * Write a file atomically (temp file, fsync, rename) with the given mode.
 * With excl set, fails with DP_EEXISTS if path exists (O_EXCL semantics).
 * On any failure path is as it was (the temp file is removed): DP_ENOSPC
 * when the disk or quota is full, DP_EIO for other I/O errors.
 */
int dp_write_file(const char *path, const void *p, size_t n, int mode, int excl) DP_WUR;

#endif
