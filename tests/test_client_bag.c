/*
 * test_client_bag - BagIt bags (denpo/bag.c): what dp_bag_write writes
 * (RFC 8493's files, modes, the fresh directory, refusals of unsafe or
 * duplicate paths and of an existing directory) and what dp_bag_read
 * refuses of a hostile bag (each case a bag written by dp_bag_write and
 * then altered on disk), with the manifest and bag-info parsers on their
 * edge cases.  The export bag's own checks are tests/it_bag.sh's.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "denpo/bag.h"
#include "denpo/encoding.h"
#include "tests/harness.h"

static char root[64];

static char *slurp(const char *dir, const char *rel)
{
	char p[512];
	size_t n;
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	uint8_t *b = t_read_file(p, &n);
	char *s = b ? realloc(b, n + 1) : NULL;
	if (s)
		s[n] = 0;
	return s;
}

static const dp_bag_file FILES[] = {
	{"cable.txt", (const uint8_t *)"SECRET\nbody\n", 12},
	{"attachments/a.csv", (const uint8_t *)"x,y\n", 4},
	{"proofs/1.tlog-proof", (const uint8_t *)"proof\n", 6},
	{"empty", NULL, 0},
};
static const dp_bag_info INFO[] = {{"Source-Organization", "Ministry of Foreign Affairs"},
				   {"External-Identifier", "26 TOKYO 000123"}};

/* A fresh good bag at root/name; its path in out. */
static void good(const char *name, char *out, size_t cap)
{
	char why[300];
	snprintf(out, cap, "%s/%s", root, name);
	int r = dp_bag_write(out, FILES, 4, INFO, 2, why, sizeof why);
	CHECKF(r == DP_OK, "%s: %s", name, why);
}

/* dp_bag_read of dir: its code, why's text in why. */
static int readb(const char *dir, char *why, size_t cap)
{
	dp_bag *b = calloc(1, sizeof *b);
	int r = dp_bag_read(dir, b, why, cap);
	dp_bag_free(b);
	free(b);
	return r;
}

/* The manifest lines of manifest-sha256.txt made again from the files (a forger's). */
static void remanifest(const char *dir)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd,
		 "cd '%s' && find data -type f | LC_ALL=C sort | xargs sha256sum > manifest-sha256.txt && "
		 "rm -f manifest-sha512.txt tagmanifest-*.txt && sed -i '/^Payload-Oxum/d' bag-info.txt",
		 dir);
	if (system(cmd) != 0)
		abort();
}

static int count_cb(void *ctx, const uint8_t *d, size_t dl, const char *path)
{
	(void)d, (void)dl;
	char *last = ctx;
	snprintf(last, 300, "%s", path);
	return DP_OK;
}

static int parse(const char *text, size_t dlen, char *last)
{
	char why[300];
	last[0] = 0;
	return dp_bag_manifest_parse((const uint8_t *)text, strlen(text), dlen, count_cb, last, why,
				     sizeof why);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	snprintf(root, sizeof root, "/tmp/test-bag-XXXXXX");
	if (!mkdtemp(root))
		return 1;
	char d[256], why[300], e[512];

	/* ---- writing ---- */
	good("ok", d, sizeof d);
	char *s = slurp(d, "bagit.txt");
	CHECK(s && !strcmp(s, "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"));
	free(s);
	s = slurp(d, "bag-info.txt");
	const char *pre = "Source-Organization: Ministry of Foreign Affairs\nExternal-Identifier: 26 TOKYO "
			  "000123\nBagging-Date: ";
	CHECK(s && !strncmp(s, pre, strlen(pre)));
	CHECK(s && strstr(s, "\nPayload-Oxum: 22.4\n"));
	free(s);
	s = slurp(d, "manifest-sha256.txt");
	/* sorted, "<hex>  data/<path>", the empty file's digest that of nothing */
	CHECK(s && strstr(s, "  data/attachments/a.csv\n") && strstr(s, "  data/cable.txt\n") &&
	      strstr(s, "  data/attachments/a.csv\n") < strstr(s, "  data/cable.txt\n"));
	CHECK(s && strstr(s, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  data/empty\n"));
	free(s);
	s = slurp(d, "tagmanifest-sha512.txt");
	CHECK(s && strstr(s, "  bagit.txt\n") && strstr(s, "  bag-info.txt\n") && strstr(s, "  manifest-sha256.txt\n") &&
	      strstr(s, "  manifest-sha512.txt\n") && !strstr(s, "tagmanifest"));
	free(s);
	struct stat st;
	snprintf(e, sizeof e, "%s/data/attachments/a.csv", d);
	CHECK(stat(e, &st) == 0 && (st.st_mode & 07777) == 0644);
	snprintf(e, sizeof e, "%s/data/attachments", d);
	CHECK(stat(e, &st) == 0 && (st.st_mode & 07777) == 0755);
	CHECK(stat(d, &st) == 0 && (st.st_mode & 07777) == 0755);
	dp_bag *b = calloc(1, sizeof *b);
	CHECK(dp_bag_read(d, b, why, sizeof why) == DP_OK);
	CHECK(b->nfiles == 4 && b->algs == (DP_BAG_SHA256 | DP_BAG_SHA512));
	const dp_bag_payload *f = dp_bag_find(b, "attachments/a.csv");
	CHECK(f && f->len == 4 && !memcmp(f->data, "x,y\n", 4));
	CHECK(dp_bag_info_get(b, "external-identifier") && !strcmp(dp_bag_info_get(b, "external-identifier"), "26 TOKYO 000123"));
	dp_bag_free(b);
	free(b);

	/* an existing directory: refused, left as it was, nothing beside it */
	CHECK(dp_bag_write(d, FILES, 4, INFO, 2, why, sizeof why) == DP_EEXISTS);
	snprintf(e, sizeof e, "%s/emptydir", root);
	CHECK(mkdir(e, 0700) == 0);
	CHECK(dp_bag_write(e, FILES, 4, INFO, 2, why, sizeof why) == DP_EEXISTS);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s/emptydir)\" && ! ls -d %s/*.tmp-* >/dev/null 2>&1", root, root);
	CHECK(system(cmd) == 0);
	/* unsafe and duplicate paths */
	static const char *bad[] = {"../x", "/etc/passwd", "a/../b", ".hidden", "a//b", "a/", "", "a b",
				    "a\nb", "a%b", "dir/.x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		dp_bag_file one = {bad[i], (const uint8_t *)"x", 1};
		snprintf(e, sizeof e, "%s/bad%zu", root, i);
		CHECKF(dp_bag_write(e, &one, 1, NULL, 0, why, sizeof why) == DP_EINVAL, "%s", bad[i]);
		CHECK(stat(e, &st) != 0);
	}
	dp_bag_file two[] = {{"a", (const uint8_t *)"1", 1}, {"a", (const uint8_t *)"2", 1}};
	snprintf(e, sizeof e, "%s/dup", root);
	CHECK(dp_bag_write(e, two, 2, NULL, 0, why, sizeof why) == DP_EINVAL);
	dp_bag_file fd[] = {{"a", (const uint8_t *)"1", 1}, {"a/b", (const uint8_t *)"2", 1}};
	CHECK(dp_bag_write(e, fd, 2, NULL, 0, why, sizeof why) == DP_EINVAL);
	dp_bag_info bi[] = {{"Payload-Oxum", "1.1"}};
	CHECK(dp_bag_write(e, FILES, 1, bi, 1, why, sizeof why) == DP_EINVAL);
	dp_bag_info nl[] = {{"Contact-Name", "two\nlines"}};
	CHECK(dp_bag_write(e, FILES, 1, nl, 1, why, sizeof why) == DP_EINVAL);
	CHECK(stat(e, &st) != 0);

	/* ---- reading a hostile bag: each a good bag altered ---- */
	struct {
		const char *name, *sh, *want; /* shell run in the bag; a word of why */
		int code;
	} cases[] = {
		{"byte", "printf X >> data/cable.txt", "does not match", DP_ESIG},
		{"added", "echo x > data/new", "not listed", DP_EPARSE},
		{"removed", "rm data/empty", "lacks", DP_ENOTFOUND},
		{"symlink", "ln -s /etc/passwd data/passwd", "not a regular file", DP_EPARSE},
		{"datalink", "mv data ../datalink-target && ln -s ../datalink-target data", "not a directory",
		 DP_EPARSE},
		{"fifo", "mkfifo data/pipe", "not a regular file", DP_EPARSE},
		{"fetch", "echo 'https://x.example/a 1 data/a' > fetch.txt", "fetch.txt", DP_EUNSUPP},
		{"md5", "md5sum data/cable.txt > manifest-md5.txt", "only sha256 and sha512", DP_EUNSUPP},
		{"top", "echo x > notes.txt", "no manifest covers", DP_EPARSE},
		{"version", "sed -i s/1.0/0.97/ bagit.txt", "BagIt-Version: 1.0", DP_EUNSUPP},
		{"nobagit", "rm bagit.txt", "bagit.txt", DP_ENOTFOUND},
		{"oxum", "sed -i 's/^Payload-Oxum: .*/Payload-Oxum: 21.4/' bag-info.txt", "tagmanifest", DP_ESIG},
		{"tagm", "echo 'Contact-Name: x' >> bag-info.txt", "tagmanifest", DP_ESIG},
		{"oxumonly", "sed -i 's/^Payload-Oxum: .*/Payload-Oxum: 21.4/' bag-info.txt && rm tagmanifest-*",
		 "Payload-Oxum 21.4", DP_ESIG},
		{"twice", "sed -n 1p manifest-sha256.txt >> manifest-sha256.txt", "listed twice", DP_EPARSE},
		{"dotdot", "sed -i '1s|data/|data/../|' manifest-sha256.txt", "not a safe path", DP_EPARSE},
		{"bom", "printf '\\357\\273\\277' | cat - manifest-sha256.txt > m && mv m manifest-sha256.txt",
		 "byte-order mark", DP_EPARSE},
		{"tagother", "sha256sum /etc/hostname | sed 's|/etc/hostname|../../etc/hostname|' >> tagmanifest-sha256.txt",
		 "not a tag file", DP_EPARSE},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		good(cases[i].name, d, sizeof d);
		snprintf(cmd, sizeof cmd, "cd '%s' && %s", d, cases[i].sh);
		CHECKF(system(cmd) == 0, "%s", cases[i].sh);
		why[0] = 0;
		int r = readb(d, why, sizeof why);
		CHECKF(r == cases[i].code && strstr(why, cases[i].want), "%s: %s (%s)", cases[i].name,
		       dp_strerror(r), why);
	}
	/* a name that would move the cursor is shown as '?' */
	good("vis", d, sizeof d);
	snprintf(cmd, sizeof cmd, "cd '%s' && echo x > \"data/a$(printf '\\r')OK\"", d);
	CHECK(system(cmd) == 0);
	CHECK(readb(d, why, sizeof why) == DP_EPARSE && strstr(why, "data/a?OK is not listed") && !strchr(why, '\r'));
	/* a forger's manifests (no sha512, no tag manifests, no oxum) are a valid bag: denpo's own checks are elsewhere */
	good("forged", d, sizeof d);
	snprintf(cmd, sizeof cmd, "cd '%s' && printf X >> data/cable.txt", d);
	CHECK(system(cmd) == 0);
	remanifest(d);
	CHECK(readb(d, why, sizeof why) == DP_OK);
	/* Payload-Oxum twice, each right */
	good("oxum2", d, sizeof d);
	snprintf(cmd, sizeof cmd, "cd '%s' && grep Payload-Oxum bag-info.txt > o && cat o >> bag-info.txt && rm o tagmanifest-*", d);
	CHECK(system(cmd) == 0);
	CHECK(readb(d, why, sizeof why) == DP_EPARSE && strstr(why, "twice"));

	/* ---- the manifest parser ---- */
	char last[300];
	const char *h = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	char t[512];
	snprintf(t, sizeof t, "%s data/a%%0Ab%%25c%%0d\r\n%s\tdata/x y", h, h);
	CHECK(parse(t, 32, last) == DP_OK && !strcmp(last, "data/x y"));
	snprintf(t, sizeof t, "%s data/a%%0Ab%%25c%%0d", h);
	CHECK(parse(t, 32, last) == DP_OK && !strcmp(last, "data/a\nb%c\r"));
	snprintf(t, sizeof t, "%s data/a%%41", h); /* only CR, LF and %% are encoded */
	CHECK(parse(t, 32, last) == DP_EPARSE);
	snprintf(t, sizeof t, "%s data/a%%2", h);
	CHECK(parse(t, 32, last) == DP_EPARSE);
	snprintf(t, sizeof t, "%s data/a", h);
	CHECK(parse(t, 64, last) == DP_EPARSE); /* a sha256 digest in a sha512 manifest */
	snprintf(t, sizeof t, "%.63s data/a", h);
	CHECK(parse(t, 32, last) == DP_EPARSE);
	snprintf(t, sizeof t, "%s\n", h);
	CHECK(parse(t, 32, last) == DP_EPARSE);
	snprintf(t, sizeof t, "%sdata/a\n", h);
	CHECK(parse(t, 32, last) == DP_EPARSE);
	snprintf(t, sizeof t, "%s data/a\n\n", h); /* an empty line */
	CHECK(parse(t, 32, last) == DP_EPARSE);
	CHECK(parse("", 32, last) == DP_OK && !last[0]);

	/* ---- bag-info ---- */
	b = calloc(1, sizeof *b);
	const char *info = "A: one\nB:\ttwo\n  continued\nC: x\r\n";
	CHECK(dp_bag_info_parse((const uint8_t *)info, strlen(info), b, why, sizeof why) == DP_OK &&
	      b->ninfo == 3 && !strcmp(dp_bag_info_get(b, "b"), "two continued"));
	const char *badinfo[] = {"A:one\n", "A : one\n", ": one\n", "  cont\n", "A: o\001ne\n", "A\n",
				 "A: one\tx\n"};
	for (size_t i = 0; i < sizeof badinfo / sizeof badinfo[0]; i++)
		CHECKF(dp_bag_info_parse((const uint8_t *)badinfo[i], strlen(badinfo[i]), b, why, sizeof why) ==
			       DP_EPARSE,
		       "%zu", i);
	free(b);

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	if (system(cmd) != 0)
		return 1;
	return t_done("test_client_bag");
}
