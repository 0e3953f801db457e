/*
 * denpod/segment.c - cable bodies in append-only segment files
 * (denpod/segment.h says the files and the ordering).
 *
 * Appending: the first append of a transaction is told where the last
 * committed body ended (dpseg_place, from the database) and writes there;
 * later appends of the same transaction count on.  The file is written
 * ahead with zeros, DPSEG_CHUNK at a time, so a body overwrites blocks that
 * are there already and its fdatasync flushes data alone: an append that
 * grows the file makes fdatasync commit the file system's journal too
 * (several times slower on ext4).  Reads keep a few descriptors open, the
 * last used first.
 *
 * The writer keeps its segment open between transactions, but reads its
 * size again in each (one fstat per batch): another process (`denpod cable
 * restore` beside the switch) may have appended and extended it since, and
 * zeros are written only from the file's real end, never over a body.  A
 * new segment (a roll, or no place recorded) is a number no file has
 * (O_EXCL): a file there may be pointed into by another copy of the
 * database (one a restore set aside).
 */
#include <dirent.h>
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
	int64_t tail;   /* where the next body goes; -1: not known in this transaction (dpseg_place) */
	int64_t alloc;  /* the file's size (read in each transaction): bytes from tail up to it are no row's */
	int dirty;      /* appended since the last sync */
	int64_t made;   /* a segment this handle made that no commit has recorded a place in (0: none) */
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

static int io_err(const dpseg *g, const char *what, int64_t n, int e)
{
	if (e == ENOSPC || e == EDQUOT) {
		/* the words of the database's full disk (db_sqlite.c): one fault, one line */
		dpd_say("denpod: store: the disk holding %s is full (%s): the switch refuses whatever it "
			"would write (507 disk_full) until its operator frees space there; what it "
			"accepted before is kept", g->dir, strerror(e));
		return DP_ENOSPC;
	}
	dpd_say("denpod: store: cable bodies: %s %s/SEG%06lld: %s", what, g->dir, (long long)n, strerror(e));
	return DP_ESTORE;
}

/* fsync of a directory (its entries): 0, or -1 with errno set. */
static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

/* The data directory holding dir (DATA/cables): dir without its last name, "." if none. */
static void parent_of(const char *dir, char *out, size_t cap)
{
	const char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(out, cap, ".");
	else if (slash == dir)
		snprintf(out, cap, "/");
	else
		snprintf(out, cap, "%.*s", (int)(slash - dir), dir);
}

/* dir made (0700) if missing, and then its data directory synced (the new entry kept on a crash). */
static int make_dir(const char *dir)
{
	if (mkdir(dir, 0700) != 0)
		return errno == EEXIST ? 0 : -1;
	char up[PATH_MAX];
	parent_of(dir, up, sizeof up);
	return sync_dir(up);
}

int dpseg_make_dir(const char *data_dir)
{
	char p[PATH_MAX];
	int k = snprintf(p, sizeof p, "%s/" DPSEG_DIR, data_dir);
	if (k < 0 || (size_t)k >= sizeof p) {
		errno = ENAMETOOLONG;
		return DP_EINVAL;
	}
	return make_dir(p) ? DP_EIO : DP_OK;
}

/*
 * A new segment n, made with O_EXCL (DP_EEXISTS: a file has that number,
 * left as it is) with its header (synced with the first batch written to
 * it); its name synced in the directory, and the directory's own name in
 * the data directory too (made perhaps by an earlier process killed
 * before it synced that).
 */
static int seg_make(dpseg *g, int64_t n, int *fd_out)
{
	char p[PATH_MAX + 16];
	if (n > SEG_MAX) {
		dpd_say("denpod: store: cable bodies: no segment number is left in %s (SEG%06d is the last)",
			g->dir, SEG_MAX);
		return DP_ESTORE;
	}
	if (seg_path(g, n, p, sizeof p))
		return DP_ESTORE;
	int fd = open(p, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ENOENT) {
		/* the first body of this data directory: its directory too */
		if (make_dir(g->dir) != 0)
			return io_err(g, "cannot make the directory of", n, errno);
		fd = open(p, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (fd < 0 && errno == EEXIST)
		return DP_EEXISTS;
	if (fd < 0)
		return io_err(g, "cannot make", n, errno);
	int r = DP_OK;
	if (pwrite(fd, DPSEG_MAGIC, DPSEG_HEADER, 0) != DPSEG_HEADER)
		r = io_err(g, "cannot write", n, errno ? errno : EIO);
	char up[PATH_MAX];
	parent_of(g->dir, up, sizeof up);
	if (!r && (sync_dir(g->dir) || sync_dir(up)))
		r = io_err(g, "cannot sync the directory of", n, errno);
	if (r) {
		close(fd);
		unlink(p);
		return r;
	}
	*fd_out = fd;
	return DP_OK;
}

int dpseg_needs_place(const dpseg *g)
{
	return g->tail < 0;
}

/*
 * Segment n (one a row may point into: the recorded place, or the one this
 * handle made) open for writing as the one appended to, made if missing;
 * its size read in every transaction, and its header written if the file
 * is shorter than one (made just before a crash).
 */
static int open_for_append(dpseg *g, int64_t n)
{
	char p[PATH_MAX + 16];
	if (n != g->cur || g->wfd < 0) {
		if (g->wfd >= 0)
			close(g->wfd);
		g->wfd = -1;
		g->cur = n;
		if (n < 1 || n > SEG_MAX || seg_path(g, n, p, sizeof p))
			return DP_ESTATE;
		g->wfd = open(p, O_RDWR | O_CLOEXEC);
		if (g->wfd < 0 && errno == ENOENT) {
			int r = seg_make(g, n, &g->wfd);
			if (r == DP_EEXISTS) /* made since the open above: under the write lock, no one does */
				r = io_err(g, "cannot open", n, EEXIST);
			if (r)
				return r;
		}
		if (g->wfd < 0)
			return io_err(g, "cannot open", n, errno);
	}
	struct stat st;
	if (fstat(g->wfd, &st))
		return io_err(g, "cannot read the size of", n, errno);
	g->alloc = st.st_size;
	if (g->alloc < DPSEG_HEADER) {
		if (pwrite(g->wfd, DPSEG_MAGIC, DPSEG_HEADER, 0) != DPSEG_HEADER)
			return io_err(g, "cannot write", n, errno ? errno : EIO);
		g->alloc = DPSEG_HEADER;
	}
	return DP_OK;
}

/* SEG and six digits: a segment's name (seg_path), nothing else in the directory counted */
static int seg_name(const char *name)
{
	if (strncmp(name, "SEG", 3) != 0 || strlen(name) != 9)
		return 0;
	for (int i = 3; i < 9; i++)
		if (name[i] < '0' || name[i] > '9')
			return 0;
	return 1;
}

/* The highest segment number in the directory, 0 if there is none (nor the directory). */
static int highest(const dpseg *g, int64_t *top)
{
	*top = 0;
	DIR *d = opendir(g->dir);
	if (!d) {
		if (errno == ENOENT)
			return DP_OK;
		dpd_say("denpod: store: cable bodies: cannot list %s: %s", g->dir, strerror(errno));
		return DP_ESTORE;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		int64_t n = seg_name(e->d_name) ? strtoll(e->d_name + 3, NULL, 10) : 0;
		if (n > *top)
			*top = n;
	}
	closedir(d);
	return DP_OK;
}

/*
 * A new segment to append to, never a file that is there (another copy of
 * the database may point into it): n if no file has that number, else the
 * highest there is + 1 (n 0: that at once).  The segment this handle made
 * in a transaction that did not commit is no row's: it is taken again
 * when it is the one that would be made (a rolled-back roll makes no
 * second file).
 */
static int open_new(dpseg *g, int64_t n)
{
	int64_t top;
	int r = DP_OK;
	if (n == 0) {
		if ((r = highest(g, &top)))
			return r;
		n = top && top == g->made ? top : top + 1;
	}
	if (n == g->made)
		return open_for_append(g, n);
	int fd = -1;
	r = seg_make(g, n, &fd);
	if (r == DP_EEXISTS && !(r = highest(g, &top))) {
		n = top + 1;
		r = seg_make(g, n, &fd);
		if (r == DP_EEXISTS)
			r = io_err(g, "cannot make", n, EEXIST);
	}
	if (r)
		return r;
	if (g->wfd >= 0)
		close(g->wfd);
	g->wfd = fd;
	g->cur = g->made = n;
	g->alloc = DPSEG_HEADER;
	return DP_OK;
}

int dpseg_place(dpseg *g, int64_t seg, int64_t tail)
{
	if (seg == 0) {
		/* nothing recorded: after every segment there is, never over one */
		int r = open_new(g, 0);
		if (!r)
			g->tail = DPSEG_HEADER;
		return r;
	}
	if (seg < 1 || seg > SEG_MAX || tail < DPSEG_HEADER)
		return DP_ESTATE;
	int r = open_for_append(g, seg);
	if (r)
		return r;
	g->tail = tail;
	return DP_OK;
}

/* Zeros written up to at least end (in DPSEG_CHUNK steps): what is appended then overwrites them. */
static int prezero(dpseg *g, int64_t end)
{
	static const uint8_t zeros[64 * 1024];
	int64_t to = (end + DPSEG_CHUNK - 1) / DPSEG_CHUNK * DPSEG_CHUNK;
	while (g->alloc < to) {
		int64_t k = to - g->alloc < (int64_t)sizeof zeros ? to - g->alloc : (int64_t)sizeof zeros;
		ssize_t w = pwrite(g->wfd, zeros, (size_t)k, (off_t)g->alloc);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return io_err(g, "cannot extend", g->cur, w < 0 ? errno : EIO);
		g->alloc += w;
	}
	return DP_OK;
}

int dpseg_append(dpseg *g, const uint8_t *p, size_t n, int64_t *seg, int64_t *off)
{
	int r;
	if (n > (size_t)INT32_MAX || g->tail < 0)
		return DP_EINVAL;
	if (g->tail > DPSEG_HEADER && g->tail + (int64_t)n > DPSEG_ROLL) {
		/* roll: what this transaction wrote to the old one is synced now */
		if (g->dirty && fdatasync(g->wfd))
			return io_err(g, "cannot sync", g->cur, errno);
		if ((r = open_new(g, g->cur + 1)))
			return r;
		g->tail = DPSEG_HEADER;
	}
	if (g->alloc < g->tail + (int64_t)n && (r = prezero(g, g->tail + (int64_t)n)))
		return r;
	size_t done = 0;
	while (done < n) {
		ssize_t w = pwrite(g->wfd, p + done, n - done, (off_t)(g->tail + (int64_t)done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return io_err(g, "cannot write", g->cur, w < 0 ? errno : EIO);
		done += (size_t)w;
	}
	*seg = g->cur;
	*off = g->tail;
	g->tail += (int64_t)n;
	g->dirty = 1;
	return DP_OK;
}

int dpseg_pending(const dpseg *g, int64_t *seg, int64_t *tail)
{
	*seg = g->cur;
	*tail = g->tail;
	return g->dirty;
}

int dpseg_sync(dpseg *g)
{
	int r = DP_OK;
	if (g->dirty && fdatasync(g->wfd))
		r = io_err(g, "cannot sync", g->cur, errno);
	else if (g->dirty && g->made && g->made <= g->cur)
		g->made = 0; /* the commit records a place in it (or past it) */
	g->dirty = 0;
	g->tail = -1; /* the next transaction reads the place again (another process may append) */
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

int dpseg_bytes(const dpseg *g, uint64_t *bytes)
{
	*bytes = 0;
	DIR *d = opendir(g->dir);
	if (!d)
		return errno == ENOENT ? DP_OK : DP_EIO;
	struct dirent *e;
	struct stat st;
	while ((e = readdir(d)) != NULL)
		if (seg_name(e->d_name) && fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode))
			*bytes += (uint64_t)st.st_size;
	closedir(d);
	return DP_OK;
}
