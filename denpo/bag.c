/*
 * denpo/bag.c - BagIt 1.0 bags (RFC 8493): writing one into a fresh
 * directory, and reading one back strictly (denpo/bag.h).
 *
 * The writer only writes what the reader accepts: payload paths of
 * [A-Za-z0-9._-] components, sha256 and sha512 payload and tag
 * manifests, bagit.txt, bag-info.txt.  The reader is for untrusted bags:
 * it opens every file relative to the bag's directory without following
 * a symlink, reads at most DP_BAG_FILE_MAX bytes a file, and refuses
 * anything the bag's manifests do not account for.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "denpo/bag.h"
#include "denpo/cable.h"
#include "denpo/encoding.h"
#include "denpo/epoch.h"

#define WHY(...) (why && whycap ? (void)snprintf(why, whycap, __VA_ARGS__) : (void)0)

/* ---- the algorithms: one table ---- */

typedef struct {
	const char *name;   /* as in manifest-NAME.txt */
	int bit;            /* DP_BAG_SHA256 / DP_BAG_SHA512 */
	size_t len;         /* digest bytes */
} bag_alg;
static const bag_alg ALGS[] = {
	{"sha256", DP_BAG_SHA256, crypto_hash_sha256_BYTES},
	{"sha512", DP_BAG_SHA512, crypto_hash_sha512_BYTES},
};
#define NALGS (sizeof ALGS / sizeof ALGS[0])
#define DIGEST_MAX crypto_hash_sha512_BYTES

static void digest(const bag_alg *a, uint8_t *out, const uint8_t *p, size_t n)
{
	if (a->bit == DP_BAG_SHA256)
		crypto_hash_sha256(out, p, n);
	else
		crypto_hash_sha512(out, p, n);
}

/* The tag files this bag format has, in the order the writer lists them. */
static const char *const TAG_FILES[] = {"bagit.txt", "bag-info.txt", "manifest-sha256.txt",
					"manifest-sha512.txt"};
#define NTAGS (sizeof TAG_FILES / sizeof TAG_FILES[0])

/* ---- paths ---- */

int dp_bag_path_ok(const char *p)
{
	size_t n = p ? strlen(p) : 0;
	if (n == 0 || n > DP_BAG_PATH_MAX - 5)
		return 0;
	int start = 1;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '/') {
			if (start)
				return 0; /* leading, doubled or trailing (below) slash */
			start = 1;
			continue;
		}
		if (start && c == '.')
			return 0; /* ".", "..", hidden files */
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
		start = 0;
	}
	return !start;
}

/* RFC 8493 §2.1.3: CR, LF and % (only those) percent-encoded in a manifest's path. */
static int put_path(dp_buf *b, const char *p)
{
	int r = DP_OK;
	for (; *p && !r; p++)
		r = *p == '\n' ? dp_buf_puts(b, "%0A")
		    : *p == '\r' ? dp_buf_puts(b, "%0D")
		    : *p == '%' ? dp_buf_puts(b, "%25")
				: dp_buf_putc(b, (uint8_t)*p);
	return r;
}

/* ---- writing ---- */

typedef struct {
	int dirfd;
	char *why;
	size_t whycap;
} wctx;

static int write_at(wctx *w, const char *rel, const uint8_t *p, size_t n)
{
	int fd = openat(w->dirfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;
		if (w->why)
			snprintf(w->why, w->whycap, "cannot create %s: %s", rel, strerror(e));
		return e == EEXIST ? DP_EEXISTS : e == ENOSPC || e == EDQUOT ? DP_ENOSPC : DP_EIO;
	}
	int r = fchmod(fd, 0644) == 0 ? DP_OK : DP_EIO;
	while (!r && n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			r = errno == ENOSPC || errno == EDQUOT ? DP_ENOSPC : DP_EIO;
		else
			p += k, n -= (size_t)k;
	}
	if (!r && fsync(fd) != 0)
		r = DP_EIO;
	if (close(fd) != 0 && !r)
		r = DP_EIO;
	if (r && w->why)
		snprintf(w->why, w->whycap, "cannot write %s: %s", rel, dp_strerror(r));
	return r;
}

/* Creates the directories of data/<path> (0755). */
static int make_parents(wctx *w, const char *rel)
{
	char d[DP_BAG_PATH_MAX + 1];
	snprintf(d, sizeof d, "%s", rel);
	for (char *s = strchr(d, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		if (mkdirat(w->dirfd, d, 0755) != 0 && errno != EEXIST) {
			if (w->why)
				snprintf(w->why, w->whycap, "cannot create %s/: %s", d, strerror(errno));
			return DP_EIO;
		}
		if (fchmodat(w->dirfd, d, 0755, 0) != 0)
			return DP_EIO;
		*s = '/';
	}
	return DP_OK;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)f;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const dp_bag_file *)a)->path, ((const dp_bag_file *)b)->path);
}

static int info_label_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

/* The manifest of alg over files (paths prefixed) into out. */
static int manifest(dp_buf *out, const bag_alg *a, const char *prefix, const dp_bag_file *f, size_t n)
{
	int r = DP_OK;
	for (size_t i = 0; i < n && !r; i++) {
		uint8_t d[DIGEST_MAX];
		char hex[2 * DIGEST_MAX + 1];
		digest(a, d, f[i].data, f[i].len);
		dp_hex_encode(hex, d, a->len);
		r = dp_buf_printf(out, "%s  %s", hex, prefix);
		if (!r)
			r = put_path(out, f[i].path);
		if (!r)
			r = dp_buf_putc(out, '\n');
	}
	return r;
}

static int write_all(wctx *w, const dp_bag_file *files, size_t n, const dp_bag_info *info, size_t ninfo)
{
	int r = mkdirat(w->dirfd, "data", 0755) == 0 && fchmodat(w->dirfd, "data", 0755, 0) == 0
			? DP_OK
			: DP_EIO;
	uint64_t octets = 0;
	for (size_t i = 0; i < n && !r; i++) {
		char rel[DP_BAG_PATH_MAX + 1];
		snprintf(rel, sizeof rel, "data/%s", files[i].path);
		octets += files[i].len;
		r = make_parents(w, rel);
		if (!r)
			r = write_at(w, rel, files[i].data, files[i].len);
	}
	/* The tag files, kept in memory for the tag manifests. */
	dp_buf tag[NTAGS];
	for (size_t i = 0; i < NTAGS; i++)
		dp_buf_init(&tag[i], DP_BAG_TAG_MAX);
	if (!r)
		r = dp_buf_puts(&tag[0], "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n");
	for (size_t i = 0; i < ninfo && !r; i++)
		r = dp_buf_printf(&tag[1], "%s: %s\n", info[i].label, info[i].value);
	if (!r) {
		time_t now = (time_t)dp_now();
		struct tm g;
		char day[16] = "";
		if (gmtime_r(&now, &g))
			strftime(day, sizeof day, "%Y-%m-%d", &g);
		r = dp_buf_printf(&tag[1], "Bagging-Date: %s\nPayload-Oxum: %llu.%zu\n", day,
				  (unsigned long long)octets, n);
	}
	for (size_t a = 0; a < NALGS && !r; a++)
		r = manifest(&tag[2 + a], &ALGS[a], "data/", files, n);
	for (size_t i = 0; i < NTAGS && !r; i++)
		r = write_at(w, TAG_FILES[i], tag[i].p, tag[i].len);
	dp_bag_file tf[NTAGS];
	for (size_t i = 0; i < NTAGS; i++)
		tf[i] = (dp_bag_file){TAG_FILES[i], tag[i].p, tag[i].len};
	for (size_t a = 0; a < NALGS && !r; a++) {
		dp_buf tm;
		dp_buf_init(&tm, DP_BAG_TAG_MAX);
		char name[64];
		snprintf(name, sizeof name, "tagmanifest-%s.txt", ALGS[a].name);
		r = manifest(&tm, &ALGS[a], "", tf, NTAGS);
		if (!r)
			r = write_at(w, name, tm.p, tm.len);
		dp_buf_free(&tm);
	}
	for (size_t i = 0; i < NTAGS; i++)
		dp_buf_free(&tag[i]);
	return r;
}

int dp_bag_write(const char *dir, const dp_bag_file *files, size_t n, const dp_bag_info *info,
		 size_t ninfo, char *why, size_t whycap)
{
	if (!dir || !*dir || (n && !files) || n > DP_BAG_FILES_MAX || ninfo > DP_BAG_INFO_MAX) {
		WHY("bad arguments (at most %d payload files)", DP_BAG_FILES_MAX);
		return DP_EINVAL;
	}
	for (size_t i = 0; i < ninfo; i++) {
		const char *v = info[i].value;
		if (!info_label_ok(info[i].label) || !strcasecmp(info[i].label, "Payload-Oxum") ||
		    !strcasecmp(info[i].label, "Bagging-Date") || !v || !*v ||
		    strlen(v) > DP_BAG_VALUE_MAX || !dp_text_ok((const uint8_t *)v, strlen(v), 0)) {
			WHY("bag-info element %zu (%s) is not a label and one line of text", i,
			    info[i].label ? info[i].label : "?");
			return DP_EINVAL;
		}
	}
	dp_bag_file *sorted = n ? malloc(n * sizeof *sorted) : NULL;
	if (n && !sorted)
		return DP_ENOMEM;
	if (n)
		memcpy(sorted, files, n * sizeof *sorted);
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++) {
		total += sorted[i].len;
		if (sorted[i].len > DP_BAG_FILE_MAX || total > DP_BAG_TOTAL_MAX) {
			WHY("a payload file larger than %u bytes, or a payload larger than %u",
			    DP_BAG_FILE_MAX, DP_BAG_TOTAL_MAX);
			free(sorted);
			return DP_ETOOBIG;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!dp_bag_path_ok(sorted[i].path) || (sorted[i].len && !sorted[i].data)) {
			WHY("unsafe payload path \"%s\" (components of [A-Za-z0-9._-], none starting "
			    "with '.')",
			    sorted[i].path ? sorted[i].path : "");
			free(sorted);
			return DP_EINVAL;
		}
	qsort(sorted, n, sizeof *sorted, cmp_file);
	for (size_t i = 1; i < n; i++) {
		size_t l = strlen(sorted[i - 1].path);
		/* the same path twice, or a file that is also a directory ("a" and "a/b") */
		if (!strcmp(sorted[i - 1].path, sorted[i].path) ||
		    (!strncmp(sorted[i - 1].path, sorted[i].path, l) && sorted[i].path[l] == '/')) {
			WHY("payload path \"%s\" given twice (or as a file and a directory)",
			    sorted[i].path);
			free(sorted);
			return DP_EINVAL;
		}
	}
	struct stat st;
	if (lstat(dir, &st) == 0) {
		WHY("%s exists: give a new directory (an export never writes into or over one)", dir);
		free(sorted);
		return DP_EEXISTS;
	}
	char tmp[PATH_MAX];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", dir) >= sizeof tmp) {
		free(sorted);
		WHY("path too long");
		return DP_EINVAL;
	}
	if (!mkdtemp(tmp)) {
		int e = errno;
		WHY("cannot create a directory beside %s: %s", dir, strerror(e));
		free(sorted);
		return e == ENOSPC || e == EDQUOT ? DP_ENOSPC : DP_EIO;
	}
	wctx w = {open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), why, whycap};
	int r = w.dirfd >= 0 ? write_all(&w, sorted, n, info, ninfo) : DP_EIO;
	free(sorted);
	if (!r && (fsync(w.dirfd) != 0 || fchmod(w.dirfd, 0755) != 0)) {
		WHY("cannot sync %s", tmp);
		r = DP_EIO;
	}
	if (w.dirfd >= 0)
		close(w.dirfd);
	if (!r && renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_NOREPLACE) != 0) {
		int e = errno;
		WHY("cannot rename %s to %s: %s", tmp, dir, strerror(e));
		r = e == EEXIST ? DP_EEXISTS : DP_EIO;
	}
	if (r) {
		(void)nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		return r;
	}
	/* the rename itself, durable */
	char parent[PATH_MAX];
	snprintf(parent, sizeof parent, "%s", dir);
	char *slash = strrchr(parent, '/');
	if (slash)
		slash == parent ? (void)(slash[1] = 0) : (void)(*slash = 0);
	int pfd = open(slash ? parent : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd >= 0) {
		(void)fsync(pfd);
		close(pfd);
	}
	return DP_OK;
}

/* ---- reading: the parsers of tag files ---- */

/*
 * A reason shown on a terminal names files and paths of the bag (any
 * bytes, a decoded %0D or %0A included): every byte but printable ASCII
 * becomes '?', so no name can move the cursor or fake a line.
 */
static void why_vis(char *why, size_t whycap)
{
	for (size_t i = 0; why && i < whycap && why[i]; i++)
		if ((unsigned char)why[i] < 0x20 || (unsigned char)why[i] > 0x7e)
			why[i] = '?';
}

/* dp_text_ok (one line) where TAB is also allowed: no UTF-8 sequence holds 0x09. */
static int text_tabs_ok(const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n;
	while (p <= end) {
		const uint8_t *t = memchr(p, '\t', (size_t)(end - p));
		const uint8_t *e = t ? t : end;
		if (e > p && !dp_text_ok(p, (size_t)(e - p), 0))
			return 0;
		p = e + 1;
	}
	return 1;
}

/* Next line of a text tag file (LF, CR or CRLF; the last may lack one). 0 at the end. */
static int next_line(const uint8_t **p, const uint8_t *end, const uint8_t **line, size_t *n)
{
	if (*p >= end)
		return 0;
	const uint8_t *s = *p, *e = s;
	while (e < end && *e != '\n' && *e != '\r')
		e++;
	*line = s;
	*n = (size_t)(e - s);
	if (e < end)
		e += *e == '\r' && e + 1 < end && e[1] == '\n' ? 2 : 1;
	*p = e;
	return 1;
}

static int hexval(uint8_t c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
					    : c >= 'A' && c <= 'F' ? c - 'A' + 10
								   : -1;
}

#define MANIFEST_LINES_MAX (2 * DP_BAG_FILES_MAX)

int dp_bag_manifest_parse(const uint8_t *p, size_t n, size_t dlen, dp_bag_line_cb cb, void *ctx,
			  char *why, size_t whycap)
{
	if (dlen == 0 || dlen > DIGEST_MAX)
		return DP_EINVAL;
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
		WHY("a byte-order mark (RFC 8493 section 2.2.4 forbids it with UTF-8)");
		return DP_EPARSE;
	}
	char(*seen)[DP_BAG_PATH_MAX + 1] = malloc(MANIFEST_LINES_MAX * sizeof *seen);
	if (!seen)
		return DP_ENOMEM;
	const uint8_t *cur = p, *end = p + n, *line;
	size_t len, nl = 0;
	int r = DP_OK;
	while (!r && next_line(&cur, end, &line, &len)) {
		nl++;
		if (nl > MANIFEST_LINES_MAX) {
			WHY("more than %d lines", MANIFEST_LINES_MAX);
			r = DP_ETOOBIG;
			break;
		}
		uint8_t d[DIGEST_MAX];
		size_t i = 0;
		for (; i < len && hexval(line[i]) >= 0; i++)
			;
		if (i != 2 * dlen || i == len || (line[i] != ' ' && line[i] != '\t')) {
			WHY("line %zu: not \"<%zu hex digits> <path>\"", nl, 2 * dlen);
			r = DP_EPARSE;
			break;
		}
		for (size_t k = 0; k < dlen; k++)
			d[k] = (uint8_t)(hexval(line[2 * k]) << 4 | hexval(line[2 * k + 1]));
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len || !text_tabs_ok(line + i, len - i)) {
			WHY("line %zu: the path is missing or not text", nl);
			r = DP_EPARSE;
			break;
		}
		char path[DP_BAG_PATH_MAX + 1];
		size_t o = 0;
		for (; i < len && !r; i++) {
			uint8_t c = line[i];
			if (c == '%') {
				int h = i + 2 < len ? hexval(line[i + 1]) : -1, l = h >= 0 ? hexval(line[i + 2]) : -1;
				c = h >= 0 && l >= 0 ? (uint8_t)(h << 4 | l) : 0;
				if (c != '\n' && c != '\r' && c != '%') {
					WHY("line %zu: '%%' not in %%0A, %%0D or %%25 (RFC 8493 section 2.1.3)", nl);
					r = DP_EPARSE;
					break;
				}
				i += 2;
			}
			if (o == DP_BAG_PATH_MAX) {
				WHY("line %zu: a path longer than %d bytes", nl, DP_BAG_PATH_MAX);
				r = DP_ETOOBIG;
				break;
			}
			path[o++] = (char)c;
		}
		if (r)
			break;
		path[o] = 0;
		for (size_t k = 0; k + 1 < nl && !r; k++)
			if (!strcmp(seen[k], path)) {
				WHY("line %zu: %s listed twice", nl, path);
				r = DP_EPARSE;
			}
		if (r)
			break;
		memcpy(seen[nl - 1], path, o + 1);
		r = cb ? cb(ctx, d, dlen, path) : DP_OK;
	}
	free(seen);
	if (r)
		why_vis(why, whycap);
	return r;
}

static int add_info(dp_bag *b, const uint8_t *label, size_t ln, const uint8_t *v, size_t vn, char *why,
		    size_t whycap)
{
	if (b->ninfo == DP_BAG_INFO_MAX) {
		WHY("more than %d elements", DP_BAG_INFO_MAX);
		return DP_ETOOBIG;
	}
	if (ln == 0 || ln >= sizeof b->info_label[0] || vn > DP_BAG_VALUE_MAX) {
		WHY("a label or value too long");
		return DP_ETOOBIG;
	}
	memcpy(b->info_label[b->ninfo], label, ln);
	b->info_label[b->ninfo][ln] = 0;
	memcpy(b->info_value[b->ninfo], v, vn);
	b->info_value[b->ninfo][vn] = 0;
	b->ninfo++;
	return DP_OK;
}

int dp_bag_info_parse(const uint8_t *p, size_t n, dp_bag *b, char *why, size_t whycap)
{
	b->ninfo = 0;
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
		WHY("a byte-order mark (RFC 8493 section 2.2.4 forbids it with UTF-8)");
		return DP_EPARSE;
	}
	const uint8_t *cur = p, *end = p + n, *line;
	size_t len, nl = 0;
	while (next_line(&cur, end, &line, &len)) {
		nl++;
		if (!text_tabs_ok(line, len)) {
			WHY("line %zu is not text", nl);
			return DP_EPARSE;
		}
		if (len && (line[0] == ' ' || line[0] == '\t')) {
			/* a continuation of the previous value (section 2.2.2) */
			size_t i = 0;
			while (i < len && (line[i] == ' ' || line[i] == '\t'))
				i++;
			if (!b->ninfo || i == len) {
				WHY("line %zu: a continuation without an element", nl);
				return DP_EPARSE;
			}
			char *v = b->info_value[b->ninfo - 1];
			size_t have = strlen(v);
			if (have + 1 + (len - i) > DP_BAG_VALUE_MAX) {
				WHY("line %zu: a value longer than %d bytes", nl, DP_BAG_VALUE_MAX);
				return DP_ETOOBIG;
			}
			v[have] = ' ';
			memcpy(v + have + 1, line + i, len - i);
			v[have + 1 + len - i] = 0;
			continue;
		}
		const uint8_t *colon = memchr(line, ':', len);
		size_t ln = colon ? (size_t)(colon - line) : 0;
		/* "Label: value": a single space or tab after the colon (section 2.2.2) */
		if (!colon || ln == 0 || line[ln - 1] == ' ' || line[ln - 1] == '\t' || ln + 1 >= len ||
		    (line[ln + 1] != ' ' && line[ln + 1] != '\t')) {
			WHY("line %zu: not \"Label: value\"", nl);
			return DP_EPARSE;
		}
		int r = add_info(b, line, ln, line + ln + 2, len - ln - 2, why, whycap);
		if (r)
			return r;
	}
	for (size_t i = 0; i < b->ninfo; i++)
		if (memchr(b->info_value[i], '\t', strlen(b->info_value[i])) ||
		    !dp_text_ok((const uint8_t *)b->info_value[i], strlen(b->info_value[i]), 0)) {
			WHY("the value of %s is not one line of text", b->info_label[i]);
			return DP_EPARSE;
		}
	return DP_OK;
}

const char *dp_bag_info_get(const dp_bag *b, const char *label)
{
	for (size_t i = 0; i < b->ninfo; i++)
		if (!strcasecmp(b->info_label[i], label))
			return b->info_value[i];
	return NULL;
}

const dp_bag_payload *dp_bag_find(const dp_bag *b, const char *path)
{
	for (size_t i = 0; i < b->nfiles; i++)
		if (!strcmp(b->files[i].path, path))
			return &b->files[i];
	return NULL;
}

void dp_bag_free(dp_bag *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->nfiles; i++) {
		free(b->files[i].data);
		b->files[i].data = NULL;
	}
	b->nfiles = 0;
}

/* ---- reading: the files ---- */

/* A regular file at rel under dirfd, not through a symlink, at most max bytes. */
static int load_at(int dirfd, const char *rel, size_t max, uint8_t **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	int fd = openat(dirfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? DP_ENOTFOUND : DP_EIO;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return DP_EPARSE;
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return DP_ETOOBIG;
	}
	dp_buf b;
	dp_buf_init(&b, max);
	int r = dp_read_fd(fd, &b);
	close(fd);
	if (r) {
		dp_buf_free(&b);
		return r;
	}
	*out = b.p ? b.p : malloc(1);
	*len = b.len;
	return *out ? DP_OK : DP_ENOMEM;
}

typedef struct {
	dp_bag *b;
	uint64_t total;
	char *why;
	size_t whycap;
} rctx;

/* Every regular file under data/ (depth-limited), loaded. */
static int walk(rctx *c, int dirfd, const char *rel, int depth)
{
	char *why = c->why;
	size_t whycap = c->whycap;
	if (depth > 16) {
		WHY("%s: directories nested too deep", rel);
		return DP_ETOOBIG;
	}
	int fd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		WHY("%s/ is not a directory (or a symlink)", rel);
		return DP_EPARSE;
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return DP_EIO;
	}
	int r = DP_OK;
	struct dirent *e;
	while (!r && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char sub[DP_BAG_PATH_MAX + 8];
		if ((size_t)snprintf(sub, sizeof sub, "%s/%s", rel, e->d_name) > DP_BAG_PATH_MAX) {
			WHY("%s/%s: a path longer than %d bytes", rel, e->d_name, DP_BAG_PATH_MAX);
			r = DP_ETOOBIG;
			break;
		}
		struct stat st;
		if (fstatat(dirfd, sub, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			r = DP_EIO;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			r = walk(c, dirfd, sub, depth + 1);
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			WHY("%s is not a regular file (a symlink, device or pipe in a bag is refused)", sub);
			r = DP_EPARSE;
			break;
		}
		if (c->b->nfiles == DP_BAG_FILES_MAX) {
			WHY("more than %d payload files", DP_BAG_FILES_MAX);
			r = DP_ETOOBIG;
			break;
		}
		dp_bag_payload *f = &c->b->files[c->b->nfiles];
		r = load_at(dirfd, sub, DP_BAG_FILE_MAX, &f->data, &f->len);
		if (r) {
			WHY("%s: cannot read it (%s)", sub, dp_strerror(r));
			break;
		}
		memcpy(f->path, sub + 5, strlen(sub + 5) + 1); /* after "data/"; <= DP_BAG_PATH_MAX - 5 */
		c->b->nfiles++;
		c->total += f->len;
		if (c->total > DP_BAG_TOTAL_MAX) {
			WHY("a payload larger than %u bytes", DP_BAG_TOTAL_MAX);
			r = DP_ETOOBIG;
		}
	}
	closedir(d);
	return r;
}

/* One manifest's lines checked against the loaded payload or tag files. */
typedef struct {
	const bag_alg *alg;
	int tag;                             /* a tag manifest */
	dp_bag *b;
	uint8_t seen[DP_BAG_FILES_MAX];      /* payload files this manifest listed */
	int dirfd;
	char *why;
	size_t whycap;
} mctx;

static int on_line(void *ctx, const uint8_t *dg, size_t dlen, const char *path)
{
	mctx *m = ctx;
	char *why = m->why;
	size_t whycap = m->whycap;
	uint8_t d[DIGEST_MAX];
	if (m->tag) {
		int known = 0;
		for (size_t i = 0; i < NTAGS; i++)
			known |= !strcmp(path, TAG_FILES[i]);
		if (!known) {
			WHY("tagmanifest-%s.txt lists %s, which is not a tag file of this bag format",
			    m->alg->name, path);
			return DP_EPARSE;
		}
		uint8_t *p;
		size_t n;
		int r = load_at(m->dirfd, path, DP_BAG_TAG_MAX, &p, &n);
		if (r) {
			WHY("tagmanifest-%s.txt lists %s, which cannot be read (%s)", m->alg->name, path,
			    dp_strerror(r));
			return r == DP_ENOTFOUND ? DP_ENOTFOUND : DP_EPARSE;
		}
		digest(m->alg, d, p, n);
		free(p);
		if (sodium_memcmp(d, dg, dlen) != 0) {
			WHY("%s does not match its %s digest in tagmanifest-%s.txt", path, m->alg->name,
			    m->alg->name);
			return DP_ESIG;
		}
		return DP_OK;
	}
	if (strncmp(path, "data/", 5) != 0 || !dp_bag_path_ok(path + 5)) {
		WHY("manifest-%s.txt lists \"%s\": not a safe path under data/", m->alg->name, path);
		return DP_EPARSE;
	}
	const dp_bag_payload *f = dp_bag_find(m->b, path + 5);
	if (!f) {
		WHY("manifest-%s.txt lists %s, which the bag lacks", m->alg->name, path);
		return DP_ENOTFOUND;
	}
	digest(m->alg, d, f->data, f->len);
	if (sodium_memcmp(d, dg, dlen) != 0) {
		WHY("%s does not match its %s digest in manifest-%s.txt (the file was changed)", path,
		    m->alg->name, m->alg->name);
		return DP_ESIG;
	}
	m->seen[f - m->b->files] = 1;
	return DP_OK;
}

/* One manifest, if the bag has it (*found). */
static int check_manifest(dp_bag *b, int dirfd, const bag_alg *a, int tag, int *found, char *why,
			  size_t whycap)
{
	char name[64];
	snprintf(name, sizeof name, "%smanifest-%s.txt", tag ? "tag" : "", a->name);
	uint8_t *p;
	size_t n;
	int r = load_at(dirfd, name, DP_BAG_TAG_MAX, &p, &n);
	*found = r != DP_ENOTFOUND;
	if (r == DP_ENOTFOUND)
		return DP_OK;
	if (r) {
		WHY("%s: cannot read it (%s)", name, dp_strerror(r));
		return r;
	}
	mctx *m = calloc(1, sizeof *m);
	if (!m) {
		free(p);
		return DP_ENOMEM;
	}
	*m = (mctx){.alg = a, .tag = tag, .b = b, .dirfd = dirfd, .why = why, .whycap = whycap};
	char w[300] = "";
	r = dp_bag_manifest_parse(p, n, a->len, on_line, m, w, sizeof w);
	free(p);
	if (r && w[0])
		WHY("%s: %s", name, w);
	for (size_t i = 0; !r && !tag && i < b->nfiles; i++)
		if (!m->seen[i]) {
			WHY("data/%s is not listed in %s (a file added to the bag?)", b->files[i].path, name);
			r = DP_EPARSE;
		}
	free(m);
	return r;
}

/* The names a bag of ours may have at its top: the tag files, the tag manifests, data. */
static int top_name_ok(const char *s)
{
	if (!strcmp(s, "data"))
		return 1;
	for (size_t i = 0; i < NTAGS; i++)
		if (!strcmp(s, TAG_FILES[i]))
			return 1;
	for (size_t a = 0; a < NALGS; a++) {
		char t[64];
		snprintf(t, sizeof t, "tagmanifest-%s.txt", ALGS[a].name);
		if (!strcmp(s, t))
			return 1;
	}
	return 0;
}

static int read_bag(int dirfd, dp_bag *b, char *why, size_t whycap)
{
	/* bagit.txt: exactly the two lines of version 1.0 in UTF-8 (LF or CRLF ends) */
	uint8_t *p;
	size_t n;
	int r = load_at(dirfd, "bagit.txt", DP_BAG_TAG_MAX, &p, &n);
	if (r) {
		WHY("bagit.txt: %s (not a bag?)", r == DP_ENOTFOUND ? "missing" : dp_strerror(r));
		return r == DP_ENOTFOUND ? DP_ENOTFOUND : DP_EPARSE;
	}
	static const char *const decl[] = {
		"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
		"BagIt-Version: 1.0\r\nTag-File-Character-Encoding: UTF-8\r\n",
	};
	int ok = 0;
	for (size_t i = 0; i < 2; i++)
		ok |= n == strlen(decl[i]) && !memcmp(p, decl[i], n);
	free(p);
	if (!ok) {
		WHY("bagit.txt is not \"BagIt-Version: 1.0\" and \"Tag-File-Character-Encoding: UTF-8\"");
		return DP_EUNSUPP;
	}
	/* nothing at the top but what this format has (fetch.txt: holes are refused) */
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return DP_EIO;
	}
	struct dirent *e;
	while (!r && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!strcmp(e->d_name, "fetch.txt")) {
			WHY("fetch.txt: a bag with files to fetch is not complete; fetch them first");
			r = DP_EUNSUPP;
		} else if (!strncmp(e->d_name, "manifest-", 9) || !strncmp(e->d_name, "tagmanifest-", 12)) {
			if (!top_name_ok(e->d_name)) {
				WHY("%s: only sha256 and sha512 manifests are supported", e->d_name);
				r = DP_EUNSUPP;
			}
		} else if (!top_name_ok(e->d_name)) {
			WHY("%s: a file in the bag that no manifest covers", e->d_name);
			r = DP_EPARSE;
		}
	}
	closedir(d);
	if (r)
		return r;
	/* bag-info.txt (optional in RFC 8493, present in ours) */
	r = load_at(dirfd, "bag-info.txt", DP_BAG_TAG_MAX, &p, &n);
	if (r == DP_OK) {
		char w[200] = "";
		r = dp_bag_info_parse(p, n, b, w, sizeof w);
		free(p);
		if (r) {
			WHY("bag-info.txt: %s", w);
			return r;
		}
	} else if (r != DP_ENOTFOUND) {
		WHY("bag-info.txt: %s", dp_strerror(r));
		return r;
	}
	/* the payload */
	rctx c = {b, 0, why, whycap};
	r = walk(&c, dirfd, "data", 0);
	if (r)
		return r;
	/* the manifests: every payload file in each, each digest right */
	for (size_t a = 0; a < NALGS; a++) {
		int found;
		r = check_manifest(b, dirfd, &ALGS[a], 0, &found, why, whycap);
		if (r)
			return r;
		if (found)
			b->algs |= ALGS[a].bit;
	}
	if (!b->algs) {
		WHY("no payload manifest (manifest-sha256.txt or manifest-sha512.txt)");
		return DP_EPARSE;
	}
	for (size_t a = 0; a < NALGS; a++) {
		int found;
		r = check_manifest(b, dirfd, &ALGS[a], 1, &found, why, whycap);
		if (r)
			return r;
	}
	/* Payload-Oxum: once, "octets.files", and right */
	const char *ox = NULL;
	for (size_t i = 0; i < b->ninfo; i++)
		if (!strcasecmp(b->info_label[i], "Payload-Oxum")) {
			if (ox) {
				WHY("bag-info.txt: Payload-Oxum twice");
				return DP_EPARSE;
			}
			ox = b->info_value[i];
		}
	if (ox) {
		uint64_t octets = 0;
		for (size_t i = 0; i < b->nfiles; i++)
			octets += b->files[i].len;
		char want[48];
		snprintf(want, sizeof want, "%llu.%zu", (unsigned long long)octets, b->nfiles);
		if (strcmp(ox, want) != 0) {
			WHY("bag-info.txt: Payload-Oxum %s, but the payload is %s (octets.files)", ox, want);
			return DP_ESIG;
		}
	}
	return DP_OK;
}

int dp_bag_read(const char *dir, dp_bag *b, char *why, size_t whycap)
{
	memset(b, 0, sizeof *b);
	if (why && whycap)
		why[0] = 0;
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		WHY("%s: not a directory (%s)", dir, strerror(errno));
		return DP_ENOTFOUND;
	}
	int r = read_bag(dirfd, b, why, whycap);
	close(dirfd);
	if (r) {
		dp_bag_free(b);
		why_vis(why, whycap);
	}
	return r;
}
