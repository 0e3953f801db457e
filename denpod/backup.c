/*
 * denpod/backup.c - a backup's files and manifest, copies that are never
 * readable by others, and the data directory's run lock (backup.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "denpo/encoding.h"
#include "denpo/error.h"
#include "denpod/backup.h"

const dpb_file_kind dpb_files[] = {
	{"denpod.db", 0}, {"sign.key", 0},    {"tls.key", 0},	  {"log.key", 0},
	{"tls.crt", 0},	  {"denpod.conf", 0}, {"detect.conf", 1},
};
const size_t dpb_nfiles = sizeof dpb_files / sizeof dpb_files[0];

void dpb_time_format(char out[21], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 21, "?");
}

/* A token of printable ASCII without spaces (the origin, the version). */
static int token_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (!n || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return 0;
	return 1;
}

int dpb_manifest_format(const dpb_manifest *m, dp_buf *out)
{
	char t[21], root[2 * DP_TLOG_HASH + 1], h[65];
	if (!token_ok(m->version, DPB_VERSION_MAX) || !token_ok(m->origin, DP_NOTE_NAME_MAX) ||
	    m->nfiles > DPB_FILES_MAX || m->time < 0)
		return DP_EINVAL;
	dpb_time_format(t, m->time);
	dp_hex_encode(root, m->cp_root, DP_TLOG_HASH);
	int r = dp_buf_printf(out, DPB_MAGIC "\ndenpod %s\ntime %s\norigin %s\nlog-entries %" PRIu64
				       "\ncheckpoint %" PRIu64 " %s\n",
			      m->version, t, m->origin, m->entries, m->cp_size, root);
	for (size_t i = 0; i < m->nfiles && !r; i++) {
		dp_hex_encode(h, m->file[i].sha256, 32);
		r = dp_buf_printf(out, "file %s %" PRIu64 " %s\n", m->file[i].name, m->file[i].bytes, h);
	}
	return r ? r : dp_buf_printf(out, "end\n");
}

/* The next line (without its "\n") as a C string in line; 0 if there is none or it is too long. */
static int next_line(const uint8_t **p, const uint8_t *end, char *line, size_t cap)
{
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	if (!nl || (size_t)(nl - *p) >= cap || memchr(*p, 0, (size_t)(nl - *p)))
		return 0;
	memcpy(line, *p, (size_t)(nl - *p));
	line[nl - *p] = 0;
	*p = nl + 1;
	return 1;
}

static int bad(const char **why, const char *w)
{
	if (why)
		*why = w;
	return DP_EPARSE;
}

/*
 * Read leniently with sscanf, then written back with dpb_manifest_format and
 * compared byte for byte: only the one canonical text of a manifest is one.
 */
int dpb_manifest_parse(dpb_manifest *m, const uint8_t *p, size_t n, const char **why)
{
	const uint8_t *q = p, *end = p + n;
	char line[512], a[512], b[512];
	unsigned long long x, y;
	int yr, mo, d, hh, mi, ss;
	memset(m, 0, sizeof *m);
	if (n > 4096)
		return bad(why, "longer than any manifest");
	if (!next_line(&q, end, line, sizeof line) || strcmp(line, DPB_MAGIC) != 0)
		return bad(why, "its first line is not \"" DPB_MAGIC "\"");
	if (!next_line(&q, end, line, sizeof line) || sscanf(line, "denpod %32s", m->version) != 1)
		return bad(why, "no \"denpod VERSION\" line");
	if (!next_line(&q, end, line, sizeof line) ||
	    sscanf(line, "time %4d-%2d-%2dT%2d:%2d:%2dZ", &yr, &mo, &d, &hh, &mi, &ss) != 6 ||
	    yr < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 || mi > 59 || ss > 60)
		return bad(why, "no \"time YYYY-MM-DDTHH:MM:SSZ\" line");
	struct tm tm = {.tm_year = yr - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = hh,
			.tm_min = mi, .tm_sec = ss};
	m->time = (int64_t)timegm(&tm);
	if (!next_line(&q, end, line, sizeof line) || sscanf(line, "origin %255s", m->origin) != 1)
		return bad(why, "no \"origin NAME\" line");
	if (!next_line(&q, end, line, sizeof line) || sscanf(line, "log-entries %llu", &x) != 1)
		return bad(why, "no \"log-entries N\" line");
	m->entries = x;
	if (!next_line(&q, end, line, sizeof line) || sscanf(line, "checkpoint %llu %64s", &x, a) != 2 ||
	    strlen(a) != 2 * DP_TLOG_HASH || dp_hex_decode(m->cp_root, DP_TLOG_HASH, a, strlen(a)))
		return bad(why, "no \"checkpoint SIZE ROOT\" line");
	m->cp_size = x;
	size_t k = 0; /* the next kind of file that may come */
	for (;;) {
		if (!next_line(&q, end, line, sizeof line))
			return bad(why, "it does not end with an \"end\" line (cut short?)");
		if (strcmp(line, "end") == 0)
			break;
		uint8_t sha[32];
		if (sscanf(line, "file %511s %llu %511s", a, &y, b) != 3 || strlen(b) != 64 ||
		    dp_hex_decode(sha, sizeof sha, b, 64))
			return bad(why, "a line is not \"file NAME BYTES SHA256\"");
		while (k < dpb_nfiles && strcmp(dpb_files[k].name, a) != 0) {
			if (!dpb_files[k].optional)
				return bad(why, "a file of a backup is missing or out of order");
			k++;
		}
		if (k == dpb_nfiles || m->nfiles == DPB_FILES_MAX)
			return bad(why, "it names a file that is not part of a backup, or one twice");
		m->file[m->nfiles].name = dpb_files[k++].name;
		memcpy(m->file[m->nfiles].sha256, sha, sizeof sha);
		m->file[m->nfiles++].bytes = y;
	}
	for (; k < dpb_nfiles; k++)
		if (!dpb_files[k].optional)
			return bad(why, "a file of a backup is missing");
	if (q != end)
		return bad(why, "something follows its \"end\" line");
	dp_buf back;
	dp_buf_init(&back, 4096);
	int r = dpb_manifest_format(m, &back);
	int same = !r && back.len == n && memcmp(back.p, p, n) == 0;
	dp_buf_free(&back);
	return same ? DP_OK : bad(why, "it is not written as denpod writes one (spaces, case, leading zeros)");
}

static int io_err(int e)
{
	return e == ENOENT ? DP_ENOTFOUND : e == EEXIST ? DP_EEXISTS
	       : e == ENOSPC || e == EDQUOT ? DP_ENOSPC : DP_EIO;
}

/* Reads fd to its end into the hash (and, if out >= 0, writes each piece there). */
static int pump(int in, int out, uint64_t *bytes, uint8_t sha256[32])
{
	uint8_t buf[65536];
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	*bytes = 0;
	for (;;) {
		ssize_t k = read(in, buf, sizeof buf);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return DP_EIO;
		if (k == 0)
			break;
		crypto_hash_sha256_update(&st, buf, (unsigned long long)k);
		*bytes += (uint64_t)k;
		for (ssize_t off = 0; out >= 0 && off < k;) {
			ssize_t w = write(out, buf + off, (size_t)(k - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return io_err(w < 0 ? errno : EIO);
			off += w;
		}
	}
	crypto_hash_sha256_final(&st, sha256);
	sodium_memzero(buf, sizeof buf); /* key files pass through here */
	return DP_OK;
}

int dpb_hash(const char *path, uint64_t *bytes, uint8_t sha256[32])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return io_err(errno);
	int r = pump(fd, -1, bytes, sha256);
	close(fd);
	return r;
}

int dpb_copy(const char *src, const char *dst, uint64_t *bytes, uint8_t sha256[32])
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return io_err(errno);
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		int e = errno;
		close(in);
		return io_err(e);
	}
	int r = pump(in, out, bytes, sha256);
	if (!r && fsync(out))
		r = io_err(errno);
	if (close(out) && !r)
		r = io_err(errno); /* NFS and quotas may report a full disk only here */
	close(in);
	if (r)
		unlink(dst);
	return r;
}

int dpb_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return io_err(errno);
	int r = fsync(fd) ? DP_EIO : DP_OK;
	close(fd);
	return r;
}

int dpb_lock(const char *dir, int *fd)
{
	char path[4096];
	*fd = -1;
	if (snprintf(path, sizeof path, "%s/%s", dir, DPB_LOCK) >= (int)sizeof path)
		return DP_EINVAL;
	int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (f < 0)
		return io_err(errno);
	/* a run killed with SIGKILL leaves its network process to die a moment
	 * later (PR_SET_PDEATHSIG), holding the lock until it has: a restart
	 * straight after such a kill waits for it rather than refusing */
	for (int tries = 0; flock(f, LOCK_EX | LOCK_NB); tries++) {
		int e = errno;
		if (e == EWOULDBLOCK && tries < DPB_LOCK_WAIT_MS / 50) {
			struct timespec ts = { 0, 50 * 1000 * 1000 };
			nanosleep(&ts, NULL);
			continue;
		}
		close(f);
		return e == EWOULDBLOCK ? DP_ESTATE : DP_EIO;
	}
	*fd = f;
	return DP_OK;
}
