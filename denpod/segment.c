/*
 * denpod/segment.c - cable bodies in append-only segment files
 * (denpod/segment.h says the files and the ordering).
 *
 * Appending: the first append of a transaction finds the newest segment
 * (another process may have rolled one since: one stat of the next name),
 * opens it and takes its size as the place to write (under the write lock
 * nobody else appends); later appends of the same transaction count on.
 * Reads keep a few descriptors open, newest used first.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "denpod/say.h"
#include "denpod/segment.h"

#define SEG_MAX 999999 /* SEG + six digits */
#define RD_FDS 4

struct dpseg {
	char dir[PATH_MAX];
	int64_t cur;    /* the segment appended to (0: not found yet) */
	int wfd;        /* its descriptor, or -1 */
	int64_t tail;   /* where the next body goes; -1: read the size at the next append */
	int dirty;      /* appended since the last sync */
	int synced_old; /* a segment rolled past in this transaction was synced when rolled */
	struct {
		int64_t seg;
		int fd;
	} rd[RD_FDS];
};

static int seg_path(const dpseg *g, int64_t n, char *out, size_t cap)
{
	int k = snprintf(out, cap, "%s/SEG%06lld", g->dir, (long long)n);
	return k < 0 || (size_t)k >= cap ? DP_EINVAL : DP_OK;
}

static int exists(const dpseg *g, int64_t n)
{
	char p[PATH_MAX + 16];
	struct stat st;
	return n <= SEG_MAX && !seg_path(g, n, p, sizeof p) && stat(p, &st) == 0;
}

int dpseg_open(dpseg **out, const char *db_path)
{
	*out = NULL;
	dpseg *g = calloc(1, sizeof *g);
	if (!g)
		return DP_ENOMEM;
	const char *slash = strrchr(db_path, '/');
	int k = slash ? snprintf(g->dir, sizeof g->dir, "%.*s/" DPSEG_DIR, (int)(slash - db_path), db_path)
		      : snprintf(g->dir, sizeof g->dir, DPSEG_DIR);
	if (k < 0 || (size_t)k >= sizeof g->dir - 16) {
		free(g);
		return DP_EINVAL;
	}
	g->wfd = -1;
	g->tail = -1;
	for (int i = 0; i < RD_FDS; i++)
		g->rd[i].fd = -1;
	*out = g;
	return DP_OK;
}

void dpseg_close(dpseg *g)
{
	if (!g)
		return;
	if (g->wfd >= 0)
		close(g->wfd);
	for (int i = 0; i < RD_FDS; i++)
		if (g->rd[i].fd >= 0)
			close(g->rd[i].fd);
	free(g);
}

const char *dpseg_dir(const dpseg *g)
{
	return g->dir;
}

static int io_err(const dpseg *g, const char *what, int64_t n, int e)
{
	dpd_say("denpod: cable bodies: %s %s/SEG%06lld: %s", what, g->dir, (long long)n, strerror(e));
	return e == ENOSPC || e == EDQUOT ? DP_ENOSPC : DP_ESTORE;
}

/* A new segment n: made with its header, synced, its directory entry synced. */
static int seg_make(dpseg *g, int64_t n, int *fd_out)
{
	char p[PATH_MAX + 16];
	if (n > SEG_MAX || seg_path(g, n, p, sizeof p))
		return DP_ESTORE;
	int fd = open(p, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ENOENT) {
		/* the first body of this data directory: its directory too */
		if (mkdir(g->dir, 0700) != 0 && errno != EEXIST)
			return io_err(g, "cannot make the directory of", n, errno);
		fd = open(p, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return io_err(g, "cannot make", n, errno);
	int r = DP_OK;
	if (pwrite(fd, DPSEG_MAGIC, DPSEG_HEADER, 0) != DPSEG_HEADER || fdatasync(fd))
		r = io_err(g, "cannot write", n, errno ? errno : EIO);
	int dfd = r ? -1 : open(g->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!r && (dfd < 0 || fsync(dfd)))
		r = io_err(g, "cannot sync the directory of", n, errno);
	if (dfd >= 0)
		close(dfd);
	if (r) {
		close(fd);
		unlink(p);
		return r;
	}
	*fd_out = fd;
	return DP_OK;
}

/* The newest segment open for appending, its size read (the first append of a transaction). */
static int find_tail(dpseg *g)
{
	int64_t n = g->cur ? g->cur : 1;
	while (exists(g, n + 1))
		n++;
	if (n != g->cur && g->wfd >= 0) {
		close(g->wfd);
		g->wfd = -1;
	}
	g->cur = n;
	if (g->wfd < 0) {
		char p[PATH_MAX + 16];
		if (seg_path(g, n, p, sizeof p))
			return DP_ESTORE;
		g->wfd = open(p, O_RDWR | O_CLOEXEC);
		if (g->wfd < 0 && errno == ENOENT) {
			int r = seg_make(g, n, &g->wfd);
			if (r == DP_ESTORE && exists(g, n)) /* made meanwhile by another process */
				g->wfd = open(p, O_RDWR | O_CLOEXEC);
			else if (r)
				return r;
		}
		if (g->wfd < 0)
			return io_err(g, "cannot open", n, errno);
	}
	struct stat st;
	if (fstat(g->wfd, &st))
		return io_err(g, "cannot read the size of", n, errno);
	g->tail = st.st_size < DPSEG_HEADER ? DPSEG_HEADER : st.st_size;
	return DP_OK;
}

int dpseg_append(dpseg *g, const uint8_t *p, size_t n, int64_t *seg, int64_t *off)
{
	int r;
	if (n > (size_t)INT32_MAX)
		return DP_EINVAL;
	if (g->tail < 0 && (r = find_tail(g)))
		return r;
	if (g->tail > DPSEG_HEADER && g->tail + (int64_t)n > DPSEG_ROLL) {
		/* roll: what this transaction wrote to the old one is synced now */
		int fd;
		if (g->dirty && fdatasync(g->wfd))
			return io_err(g, "cannot sync", g->cur, errno);
		g->dirty = 0;
		if ((r = seg_make(g, g->cur + 1, &fd)))
			return r;
		close(g->wfd);
		g->wfd = fd;
		g->cur++;
		g->tail = DPSEG_HEADER;
	}
	size_t done = 0;
	while (done < n) {
		ssize_t w = pwrite(g->wfd, p + done, n - done, (off_t)(g->tail + (int64_t)done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			/* the size is read again at the next append: what was written is dead space */
			g->tail = -1;
			return io_err(g, "cannot write", g->cur, w < 0 ? errno : EIO);
		}
		done += (size_t)w;
	}
	*seg = g->cur;
	*off = g->tail;
	g->tail += (int64_t)n;
	g->dirty = 1;
	return DP_OK;
}

int dpseg_sync(dpseg *g)
{
	int r = DP_OK;
	if (g->dirty && fdatasync(g->wfd))
		r = io_err(g, "cannot sync", g->cur, errno);
	g->dirty = 0;
	g->tail = -1; /* the next transaction reads the size again (another process may append) */
	return r;
}

void dpseg_forget(dpseg *g)
{
	g->dirty = 0;
	g->tail = -1;
}

/* A read descriptor of segment n (kept among the last RD_FDS used). */
static int rd_fd(dpseg *g, int64_t n, int *fd)
{
	int i;
	for (i = 0; i < RD_FDS; i++)
		if (g->rd[i].fd >= 0 && g->rd[i].seg == n)
			break;
	if (i == RD_FDS) {
		char p[PATH_MAX + 16];
		if (seg_path(g, n, p, sizeof p))
			return DP_EINVAL;
		int f = open(p, O_RDONLY | O_CLOEXEC);
		if (f < 0)
			return errno == ENOENT ? DP_ENOTFOUND : io_err(g, "cannot open", n, errno);
		i = RD_FDS - 1;
		if (g->rd[i].fd >= 0)
			close(g->rd[i].fd);
		g->rd[i].seg = n;
		g->rd[i].fd = f;
	}
	/* most recently used first */
	for (; i > 0; i--) {
		__typeof__(g->rd[0]) t = g->rd[i];
		g->rd[i] = g->rd[i - 1];
		g->rd[i - 1] = t;
	}
	*fd = g->rd[0].fd;
	return DP_OK;
}

int dpseg_read(dpseg *g, int64_t seg, int64_t off, size_t n, dp_buf *out)
{
	dp_buf_reset(out);
	if (seg < 1 || seg > SEG_MAX || off < DPSEG_HEADER || n > (size_t)INT32_MAX)
		return DP_EINVAL;
	int fd, r = rd_fd(g, seg, &fd);
	if (r == DP_ENOTFOUND)
		return DP_OK; /* no segment: no bytes, which the digest check reports */
	uint8_t *p;
	if (r || (r = dp_buf_grow(out, n, &p)))
		return r;
	size_t got = 0;
	while (got < n) {
		ssize_t k = pread(fd, p + got, n - got, (off_t)(off + (int64_t)got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			dp_buf_reset(out);
			io_err(g, "cannot read", seg, errno);
			return DP_EIO;
		}
		if (k == 0)
			break; /* the segment ends early: torn or cut short */
		got += (size_t)k;
	}
	out->len -= n - got;
	return DP_OK;
}
