#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "denpo/buf.h"

void dp_buf_init(dp_buf *b, size_t cap)
{
	b->p = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

void dp_buf_free(dp_buf *b)
{
	if (b->p) {
		sodium_memzero(b->p, b->alloc);
		free(b->p);
	}
	b->p = NULL;
	b->len = 0;
	b->alloc = 0;
}

void dp_buf_reset(dp_buf *b)
{
	if (b->p)
		sodium_memzero(b->p, b->alloc);
	b->len = 0;
}

/* Make room for n more bytes plus a NUL; old contents are wiped on move. */
static int reserve(dp_buf *b, size_t n)
{
	if (n > b->cap || b->len > b->cap - n)
		return DP_ETOOBIG;
	size_t need = b->len + n + 1;
	if (need <= b->alloc)
		return DP_OK;
	size_t na = b->alloc ? b->alloc : 64;
	while (na < need)
		na = na > SIZE_MAX / 2 ? need : na * 2;
	uint8_t *np = malloc(na);
	if (!np)
		return DP_ENOMEM;
	if (b->p) {
		memcpy(np, b->p, b->len);
		sodium_memzero(b->p, b->alloc);
		free(b->p);
	}
	b->p = np;
	b->alloc = na;
	return DP_OK;
}

int dp_buf_grow(dp_buf *b, size_t n, uint8_t **out)
{
	int r = reserve(b, n);
	if (r)
		return r;
	*out = b->p + b->len;
	b->len += n;
	b->p[b->len] = 0;
	return DP_OK;
}

int dp_buf_append(dp_buf *b, const void *p, size_t n)
{
	uint8_t *d;
	int r = dp_buf_grow(b, n, &d);
	if (r)
		return r;
	if (n)
		memcpy(d, p, n);
	return DP_OK;
}

int dp_buf_putc(dp_buf *b, uint8_t c) { return dp_buf_append(b, &c, 1); }
int dp_buf_puts(dp_buf *b, const char *s) { return dp_buf_append(b, s, strlen(s)); }
int dp_buf_put_u8(dp_buf *b, uint8_t v) { return dp_buf_append(b, &v, 1); }

int dp_buf_put_u16(dp_buf *b, uint16_t v)
{
	uint8_t t[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	return dp_buf_append(b, t, 2);
}

int dp_buf_put_u32(dp_buf *b, uint32_t v)
{
	uint8_t t[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	return dp_buf_append(b, t, 4);
}

int dp_buf_put_u64(dp_buf *b, uint64_t v)
{
	uint8_t t[8];
	for (int i = 0; i < 8; i++)
		t[i] = (uint8_t)(v >> (56 - 8 * i));
	return dp_buf_append(b, t, 8);
}

/*
 * Formatted once into the room already allocated when the text fits (the
 * usual case for a buffer that is reused), else measured by that first
 * pass and formatted again after the buffer grows.  What a refused text
 * wrote past len is cut off again (the NUL put back), and is wiped with
 * the rest of the allocation like any contents.
 */
int dp_buf_printf(dp_buf *b, const char *fmt, ...)
{
	size_t room = b->p ? b->alloc - b->len : 0; /* with the NUL */
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(room ? (char *)b->p + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < room && (size_t)n <= b->cap - b->len) {
		b->len += (size_t)n;
		return DP_OK;
	}
	if (room)
		b->p[b->len] = 0;
	if (n < 0)
		return DP_EINVAL;
	int r = reserve(b, (size_t)n);
	if (r)
		return r;
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return DP_OK;
}

uint8_t *dp_buf_steal(dp_buf *b, size_t *len)
{
	uint8_t *p = b->p;
	if (len)
		*len = b->len;
	b->p = NULL;
	b->len = 0;
	b->alloc = 0;
	return p;
}

int dp_cur_take(dp_cur *c, const uint8_t **out, size_t n)
{
	if (n > c->len)
		return DP_EPARSE; /* declared length runs past the end */
	*out = c->p;
	c->p += n;
	c->len -= n;
	return DP_OK;
}

int dp_cur_get(dp_cur *c, void *out, size_t n)
{
	const uint8_t *p;
	int r = dp_cur_take(c, &p, n);
	if (r)
		return r;
	if (n)
		memcpy(out, p, n);
	return DP_OK;
}

int dp_cur_u8(dp_cur *c, uint8_t *v) { return dp_cur_get(c, v, 1); }

int dp_cur_u16(dp_cur *c, uint16_t *v)
{
	const uint8_t *p;
	int r = dp_cur_take(c, &p, 2);
	if (!r)
		*v = (uint16_t)(p[0] << 8 | p[1]);
	return r;
}

int dp_cur_u32(dp_cur *c, uint32_t *v)
{
	const uint8_t *p;
	int r = dp_cur_take(c, &p, 4);
	if (!r)
		*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return r;
}

int dp_cur_u64(dp_cur *c, uint64_t *v)
{
	const uint8_t *p;
	int r = dp_cur_take(c, &p, 8);
	if (r)
		return r;
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x = x << 8 | p[i];
	*v = x;
	return DP_OK;
}

int dp_cur_line(dp_cur *c, const uint8_t **line, size_t *n)
{
	const uint8_t *nl = memchr(c->p, '\n', c->len);
	if (!nl)
		return DP_EPARSE; /* no terminating LF */
	*line = c->p;
	*n = (size_t)(nl - c->p);
	c->p = nl + 1;
	c->len -= *n + 1;
	return DP_OK;
}

int dp_read_fd(int fd, dp_buf *b)
{
	for (;;) {
		uint8_t tmp[65536];
		ssize_t k = read(fd, tmp, sizeof tmp);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			sodium_memzero(tmp, sizeof tmp);
			return DP_EIO;
		}
		if (k == 0)
			break;
		int r = dp_buf_append(b, tmp, (size_t)k);
		sodium_memzero(tmp, (size_t)k);
		if (r)
			return r;
	}
	return DP_OK;
}

int dp_read_file(const char *path, dp_buf *b)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? DP_ENOTFOUND : DP_EIO;
	int r = dp_read_fd(fd, b);
	close(fd);
	return r;
}

/* fsync the directory holding path, so a new name survives a power loss. */
static int sync_parent(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == path)
		snprintf(dir, sizeof dir, "/");
	else if ((size_t)(slash - path) < sizeof dir)
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	else
		return DP_EINVAL;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return DP_EIO;
	int r = fsync(fd) ? DP_EIO : DP_OK;
	close(fd);
	return r;
}

/* A failed write's errno: a full disk (or quota) is DP_ENOSPC, anything else DP_EIO. */
static int write_err(int e)
{
	return e == ENOSPC || e == EDQUOT ? DP_ENOSPC : DP_EIO;
}

int dp_write_file(const char *path, const void *p, size_t n, int mode, int excl)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
		return DP_EINVAL;
	if (excl && access(path, F_OK) == 0)
		return DP_EEXISTS;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return write_err(errno);
	const uint8_t *q = p;
	size_t left = n;
	while (left) {
		ssize_t k = write(fd, q, left);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			int e = k < 0 ? errno : EIO;
			close(fd);
			unlink(tmp);
			return write_err(e);
		}
		q += k;
		left -= (size_t)k;
	}
	int e = 0;
	if (fchmod(fd, (mode_t)mode) || fsync(fd))
		e = errno;
	if (close(fd) && !e)
		e = errno; /* NFS and quotas may report a full disk only here */
	if (e) {
		unlink(tmp);
		return write_err(e);
	}
	if (excl) {
		/* link() fails if path exists: no window where a file is replaced */
		if (link(tmp, path)) {
			e = errno;
			unlink(tmp);
			return e == EEXIST ? DP_EEXISTS : write_err(e);
		}
		unlink(tmp);
	} else if (rename(tmp, path)) {
		e = errno;
		unlink(tmp);
		return write_err(e);
	}
	return sync_parent(path);
}
