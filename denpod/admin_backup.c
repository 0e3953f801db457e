/*
 * denpod/admin_backup.c - `denpod backup DEST` and `denpod restore SRC`
 * (docs/operations.md, "Back up and restore"; what a backup holds:
 * denpod/backup.h).
 *
 * The contract of `denpod backup DEST --data DIR`:
 *   - online: beside a running `denpod run`, which keeps serving and
 *     writing; the database is copied through SQLite's online backup from
 *     one read snapshot (dps_backup), never by copying the live file;
 *   - never readable by others: the process's umask is 077 and every file
 *     is created 0600 (the directory 0700) from the start;
 *   - verified before it exists: everything is written into DEST.tmp-XXXXXX
 *     beside DEST, which is checked as a data directory with `denpod
 *     check`'s own function (dpa_check_dir: the database, the whole log
 *     under the copy's log.key, every cable against its log entry), and
 *     whose keys must be the data directory's (the same public keys);
 *     only then are the manifest written, everything fsynced and the
 *     directory renamed to DEST.  DEST is never overwritten (an existing
 *     non-empty DEST is refused) and on any failure nothing is left at
 *     DEST or beside it: a damaged data directory makes no backup that
 *     looks good;
 *   - exit 0 with one line (what, how big, how long); 1 with why.
 *
 * The contract of `denpod restore SRC --data DIR` (the switch stopped):
 *   - refused while `denpod run` holds DIR's run lock (backup.h), which
 *     restore holds itself until it is done, so no switch starts halfway;
 *   - SRC is checked before anything in DIR changes: its manifest, each
 *     file's size and SHA-256 (on the copy staged in DIR/restore.tmp-XXXXXX,
 *     so what is checked is what is installed), and `denpod check` on the
 *     staged copy; a backup of another switch (another log.key) is refused;
 *   - nothing is lost: the files it replaces (and denpod.db-wal/-shm) move
 *     into DIR/before-restore-<UTC time>/ (0700, files 0600), then the
 *     staged files are renamed into place and DIR is fsynced;
 *   - signer.state is kept: if it is ahead of the restored log, the
 *     rollback of `denpod log rollback` (dpa_rollback: a LOG-ROLLBACK entry
 *     and every MRN counter moved on by the entries lost) and a RESTORE
 *     entry (which backup) in one transaction.  Without signer.state (a new
 *     machine) the entries lost are unknown, and MRNs handed out after the
 *     backup would be handed out again: restore is refused unless
 *     --signed-checkpoint FILE gives the highest checkpoint a device saw
 *     (checked under the backup's log.key before anything changes; it stands
 *     in for signer.state, so the LOG-ROLLBACK devices need is written), or
 *     --lost N says how many (when no device saw beyond the backup: 0).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "denpo/encoding.h"
#include "denpo/num.h"
#include "denpod/admin.h"
#include "denpod/backup.h"
#include "denpod/store.h"

/* The directories given are at most PATH_GIVEN long (usage error), so every path made fits. */
#define PATH_GIVEN 3900
#define PATHX (DPC_PATH_MAX + 256)

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void join(char out[PATHX], const char *dir, const char *name)
{
	if (snprintf(out, PATHX, "%.*s/%s", PATH_GIVEN, dir, name) >= PATHX)
		out[0] = 0; /* cannot happen: the names are short */
}

static int exists(const char *dir, const char *name)
{
	char p[PATHX];
	join(p, dir, name);
	return access(p, F_OK) == 0;
}

/* Removes a work directory of ours: its known files, SQLite's beside the database, itself. */
static void remove_work(const char *dir)
{
	static const char *const extra[] = {DPB_MANIFEST, "denpod.db-wal", "denpod.db-shm",
					    "denpod.db-journal"};
	char p[PATHX];
	for (size_t i = 0; i < dpb_nfiles; i++) {
		join(p, dir, dpb_files[i].name);
		unlink(p);
	}
	for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
		join(p, dir, extra[i]);
		unlink(p);
	}
	rmdir(dir);
}

int dpa_check_report(const char *dir, const char *whose)
{
	char *rep = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&rep, &len);
	if (!m)
		return DP_ENOMEM;
	int ec = dpa_check_dir(dir, m);
	fclose(m);
	if (ec) {
		fprintf(stderr, "denpod: %s\n%s", whose, rep ? rep : "");
	}
	free(rep);
	return ec ? DP_ESTATE : DP_OK;
}

/* Whether the key files of dirs a and b are the same keys (their public keys compared). */
static int same_keys(const char *a, const char *b, const char **which)
{
	static const char *const keys[] = {"log.key", "sign.key", "tls.key"};
	dpc_config ca, cb;
	memset(&ca, 0, sizeof ca);
	memset(&cb, 0, sizeof cb);
	snprintf(ca.dir, sizeof ca.dir, "%s", a);
	snprintf(cb.dir, sizeof cb.dir, "%s", b);
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		uint8_t *ska = NULL, *skb = NULL, pa[32], pb[32];
		int r = dpc_key_load(&ca, keys[i], &ska, pa);
		if (!r)
			r = dpc_key_load(&cb, keys[i], &skb, pb);
		dpc_key_free(ska);
		dpc_key_free(skb);
		*which = keys[i];
		if (r)
			return r;
		if (sodium_memcmp(pa, pb, 32) != 0)
			return DP_ESIG;
	}
	return DP_OK;
}

/* The database of dir: its latest checkpoint and its number of entries. */
static int log_state(const char *dir, dps_checkpoint *cp, uint64_t *entries)
{
	dpc_config c;
	dps_store *s = NULL;
	dpa_args da = {.data = dir};
	if (dpa_open_store(&da, &c, &s))
		return DP_ESTORE;
	int r = dps_log_latest(s, cp);
	if (!r)
		r = dps_log_size(s, entries);
	dps_close(s);
	return r;
}

static void human(char out[32], uint64_t b)
{
	if (b >= 10u << 20)
		snprintf(out, 32, "%.1f MiB", (double)b / (1 << 20));
	else if (b >= 10u << 10)
		snprintf(out, 32, "%.1f KiB", (double)b / (1 << 10));
	else
		snprintf(out, 32, "%llu bytes", (unsigned long long)b);
}

/* ---- denpod backup ---- */

/* DEST must be new: absent, or an empty directory (a mount point made for it). */
static int dest_new(const char *dest)
{
	struct stat st;
	if (lstat(dest, &st) != 0)
		return errno == ENOENT;
	if (!S_ISDIR(st.st_mode))
		return 0;
	return rmdir(dest) == 0; /* empty: made again by the rename, 0700 */
}

/* Everything of the backup of data into work; m filled. */
static int backup_into(const dpa_args *a, const char *work, dpb_manifest *m)
{
	dpc_config c;
	dps_store *s = NULL;
	char src[PATHX], dst[PATHX];
	const char *which = NULL;
	int ec = dpa_open_store(a, &c, &s);
	if (ec)
		return ec == 2 ? DP_EINVAL : DP_ESTORE;
	join(dst, work, "denpod.db");
	int r = dps_backup(s, dst);
	dps_close(s);
	if (r) {
		fprintf(stderr, "denpod: backup: the database could not be copied: %s\n", dp_strerror(r));
		return r;
	}
	m->nfiles = 0;
	for (size_t i = 0; i < dpb_nfiles; i++) {
		int db = strcmp(dpb_files[i].name, "denpod.db") == 0;
		if (m->nfiles >= DPB_FILES_MAX)
			return DP_ETOOBIG; /* cannot happen: dpb_files has at most DPB_FILES_MAX */
		m->file[m->nfiles].name = dpb_files[i].name;
		join(src, a->data, dpb_files[i].name);
		join(dst, work, dpb_files[i].name);
		if (!db && dpb_files[i].optional && access(src, F_OK) != 0)
			continue;
		r = db ? DP_OK : dpb_copy(src, dst, &m->file[m->nfiles].bytes, m->file[m->nfiles].sha256);
		if (r) {
			fprintf(stderr, "denpod: backup: cannot copy %s: %s\n", src, dp_strerror(r));
			return r;
		}
		m->nfiles++;
	}
	/* the copy, as a data directory, through `denpod check` */
	char whose[PATHX + 256];
	snprintf(whose, sizeof whose, "backup: `denpod check` found damage in the copy, so the data "
				      "directory is damaged (the report follows; run `denpod check --data %s` "
				      "and see docs/operations.md, \"Damage and recovery\").  No backup was "
				      "written", a->data);
	if (dpa_check_report(work, whose))
		return DP_ESTATE;
	if ((r = same_keys(a->data, work, &which))) {
		fprintf(stderr, "denpod: backup: the copy's %s is not the data directory's (%s): did a "
				"key change during the backup?  No backup was written\n", which, dp_strerror(r));
		return r;
	}
	dps_checkpoint cp;
	r = log_state(work, &cp, &m->entries);
	if (r)
		return r;
	m->cp_size = cp.size;
	memcpy(m->cp_root, cp.root, DP_TLOG_HASH);
	snprintf(m->origin, sizeof m->origin, "%s", c.log_origin);
	snprintf(m->version, sizeof m->version, "%s", DPC_VERSION);
	m->time = (int64_t)time(NULL);
	/* the database last: the check opened it (a clean close leaves it as it was) */
	for (size_t i = 0; i < m->nfiles; i++)
		if (strcmp(m->file[i].name, "denpod.db") == 0) {
			join(dst, work, m->file[i].name);
			if ((r = dpb_hash(dst, &m->file[i].bytes, m->file[i].sha256)))
				return r;
		}
	if (exists(work, "denpod.db-wal") || exists(work, "denpod.db-shm")) {
		fprintf(stderr, "denpod: backup: the copy's database was left with a -wal file\n");
		return DP_ESTATE;
	}
	dp_buf mb;
	dp_buf_init(&mb, 4096);
	r = dpb_manifest_format(m, &mb);
	join(dst, work, DPB_MANIFEST);
	if (!r)
		r = dp_write_file(dst, mb.p, mb.len, 0600, 1);
	dp_buf_free(&mb);
	return r ? r : dpb_sync_dir(work);
}

/*
 * Backup and restore copy a SQLite switch's files.  A switch on PostgreSQL
 * (store= in denpod.conf) is backed up by PostgreSQL's own means: 1 (said)
 * for it, 0 otherwise (no denpod.conf yet: a restore onto a new machine).
 */
static int refuse_pg(const char *dir, const char *what)
{
	char conf[PATHX];
	dpc_config c;
	snprintf(conf, sizeof conf, "%s/denpod.conf", dir);
	if (access(conf, F_OK) != 0 || dpc_load(&c, dir) || !dpc_store_is_pg(&c))
		return 0;
	fprintf(stderr, "denpod: %s: this switch keeps its state in PostgreSQL (store= in "
			"denpod.conf), which denpod %s does not copy: back the database up with "
			"PostgreSQL's means (a synchronous standby, pg_basebackup, WAL archiving) and the "
			"key files with the data directory; docs/several-switches.md\n", what, what);
	return 1;
}

int dpa_backup(const dpa_args *a)
{
	char dest[DPC_PATH_MAX], work[PATHX], parent[PATHX];
	if (a->npos != 1 || !*a->pos[0] || strlen(a->pos[0]) > PATH_GIVEN ||
	    (a->data && strlen(a->data) > PATH_GIVEN)) {
		fprintf(stderr, "usage: denpod backup DEST --data DIR   (DEST: a new directory)\n");
		return 2;
	}
	if (!a->data || !*a->data) {
		fprintf(stderr, "denpod: give --data DIR (or set DENPOD_DATA)\n");
		return 2;
	}
	if (refuse_pg(a->data, "backup"))
		return 1;
	snprintf(dest, sizeof dest, "%s", a->pos[0]);
	for (size_t n = strlen(dest); n > 1 && dest[n - 1] == '/'; n--)
		dest[n - 1] = 0;
	umask(077);
	double t0 = now_s();
	if (!dest_new(dest)) {
		fprintf(stderr, "denpod: backup: %s exists and is not an empty directory: a backup is "
				"never written over another; give a new directory (e.g. with the date in its "
				"name)\n", dest);
		return 1;
	}
	snprintf(work, sizeof work, "%s.tmp-XXXXXX", dest);
	if (!mkdtemp(work)) {
		fprintf(stderr, "denpod: backup: cannot make %s: %s\n", work, strerror(errno));
		return 1;
	}
	dpb_manifest m;
	memset(&m, 0, sizeof m);
	int r = backup_into(a, work, &m);
	if (!r && rename(work, dest)) {
		fprintf(stderr, "denpod: backup: cannot rename %s to %s: %s\n", work, dest, strerror(errno));
		r = DP_EIO;
	}
	if (r) {
		remove_work(work);
		if (r == DP_ENOSPC)
			fprintf(stderr, "denpod: backup: the disk holding %s is full; nothing was left there\n",
				dest);
		fprintf(stderr, "denpod: backup: failed; no backup was written at %s\n", dest);
		return 1;
	}
	snprintf(parent, sizeof parent, "%s", dest);
	char *slash = strrchr(parent, '/');
	if (slash)
		*(slash == parent ? slash + 1 : slash) = 0;
	if (dpb_sync_dir(slash ? parent : "."))
		fprintf(stderr, "denpod: backup: warning: cannot fsync the directory holding %s\n", dest);
	uint64_t total = 0, dbb = 0;
	for (size_t i = 0; i < m.nfiles; i++) {
		total += m.file[i].bytes;
		if (strcmp(m.file[i].name, "denpod.db") == 0)
			dbb = m.file[i].bytes;
	}
	char ht[32], hd[32], when[21];
	human(ht, total);
	human(hd, dbb);
	dpb_time_format(when, m.time);
	printf("backup: %s written at %s: %zu files, %s (database %s), log %llu entries (checkpoint "
	       "%llu), in %.1f s; checked as `denpod check` does: no damage, the log verifies under "
	       "log.key; no signer.state (see docs/operations.md)\n",
	       dest, when, m.nfiles + 1, ht, hd, (unsigned long long)m.entries,
	       (unsigned long long)m.cp_size, now_s() - t0);
	return 0;
}

/* ---- denpod restore ---- */

/* The manifest of backup src, parsed; its errors said. */
static int read_manifest(const char *src, dpb_manifest *m)
{
	char p[PATHX];
	const char *why = "?";
	dp_buf b;
	join(p, src, DPB_MANIFEST);
	dp_buf_init(&b, 8192);
	int r = dp_read_file(p, &b);
	if (r)
		fprintf(stderr, "denpod: restore: cannot read %s (%s): %s is not a backup made by `denpod "
				"backup`, or it is not whole\n", p, dp_strerror(r), src);
	else if ((r = dpb_manifest_parse(m, b.p, b.len, &why)))
		fprintf(stderr, "denpod: restore: %s is not a whole manifest: %s.  Nothing was changed\n",
			p, why);
	dp_buf_free(&b);
	return r;
}

/* SRC's files into stage, each checked against the manifest as it is copied. */
static int stage_files(const char *src, const char *stage, const dpb_manifest *m)
{
	char from[PATHX], to[PATHX], hex[65];
	for (size_t i = 0; i < m->nfiles; i++) {
		uint64_t bytes;
		uint8_t h[32];
		join(from, src, m->file[i].name);
		join(to, stage, m->file[i].name);
		int r = dpb_copy(from, to, &bytes, h);
		if (r) {
			fprintf(stderr, "denpod: restore: cannot copy %s: %s\n", from, dp_strerror(r));
			return r;
		}
		if (bytes != m->file[i].bytes || sodium_memcmp(h, m->file[i].sha256, 32) != 0) {
			dp_hex_encode(hex, h, 8);
			fprintf(stderr, "denpod: restore: %s is not the file the backup's manifest names "
					"(%llu bytes, SHA-256 %s..., not %llu bytes and the manifest's hash): the "
					"backup is damaged or was changed.  Nothing was changed; use another "
					"backup\n", from, (unsigned long long)bytes, hex,
				(unsigned long long)m->file[i].bytes);
			return DP_ESIG;
		}
	}
	return DP_OK;
}

/* The replaced files of dir into aside (made 0700): what restore never loses. */
static int move_aside(const char *dir, const char *aside, size_t *moved)
{
	static const char *const wal[] = {"denpod.db-wal", "denpod.db-shm"};
	char from[PATHX], to[PATHX];
	*moved = 0;
	if (mkdir(aside, 0700)) {
		fprintf(stderr, "denpod: restore: cannot make %s: %s\n", aside, strerror(errno));
		return DP_EIO;
	}
	for (size_t i = 0; i < dpb_nfiles + 2; i++) {
		const char *n = i < dpb_nfiles ? dpb_files[i].name : wal[i - dpb_nfiles];
		join(from, dir, n);
		join(to, aside, n);
		if (access(from, F_OK) != 0)
			continue;
		if (rename(from, to) || chmod(to, 0600)) {
			fprintf(stderr, "denpod: restore: cannot move %s to %s: %s\n", from, to, strerror(errno));
			return DP_EIO;
		}
		(*moved)++;
	}
	return dpb_sync_dir(aside);
}

/* The staged files into dir; on failure, the ones already moved are said. */
static int install(const char *stage, const char *dir, const dpb_manifest *m)
{
	char from[PATHX], to[PATHX];
	for (size_t i = 0; i < m->nfiles; i++) {
		join(from, stage, m->file[i].name);
		join(to, dir, m->file[i].name);
		if (rename(from, to)) {
			fprintf(stderr, "denpod: restore: cannot move %s to %s: %s\n", from, to, strerror(errno));
			return DP_EIO;
		}
	}
	return dpb_sync_dir(dir);
}

/* Checks of the staged backup beyond its hashes: whole, this switch's, what the manifest says. */
static int stage_check(const char *stage, const char *dir, const dpb_manifest *m)
{
	const char *which = NULL;
	dps_checkpoint cp;
	uint64_t entries = 0;
	if (dpa_check_report(stage, "restore: `denpod check` finds the backup damaged (its report follows); "
			      "nothing was changed: use another backup"))
		return DP_ESTATE;
	int r = log_state(stage, &cp, &entries);
	if (!r && (cp.size != m->cp_size || memcmp(cp.root, m->cp_root, DP_TLOG_HASH) != 0)) {
		fprintf(stderr, "denpod: restore: the backup's database does not hold the checkpoint its "
				"manifest names; nothing was changed\n");
		r = DP_ESTATE;
	}
	if (!r && exists(dir, "log.key") && (r = same_keys(dir, stage, &which))) {
		fprintf(stderr, "denpod: restore: the backup's %s is not the one in %s (%s): it is a backup "
				"of another switch.  Nothing was changed (to replace this switch by that one, "
				"restore into an empty directory)\n", which, dir, dp_strerror(r));
		return DP_ESIG;
	}
	return r;
}

/* Staging, checks, the move aside and the install; then the log.  An exit code. */
static int restore_into(const dpa_args *a, const char *op, const dpb_manifest *m, uint64_t lost)
{
	const char *src = a->pos[0], *dir = a->data;
	char stage[PATHX], aside[PATHX], stamp[32], when[21], detail[DP_LOG_TEXT_MAX + 1];
	size_t moved = 0;
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	join(stage, dir, "restore.tmp-XXXXXX");
	if (!mkdtemp(stage)) {
		fprintf(stderr, "denpod: restore: cannot make %s: %s\n", stage, strerror(errno));
		return 1;
	}
	int r = stage_files(src, stage, m);
	if (!r)
		r = stage_check(stage, dir, m);
	if (r) {
		remove_work(stage);
		return 1;
	}
	snprintf(aside, sizeof aside, "%s/before-restore-%s", dir, stamp);
	r = move_aside(dir, aside, &moved);
	if (!r)
		r = install(stage, dir, m);
	if (r) {
		fprintf(stderr, "denpod: restore: failed halfway: the files it replaced are in %s, the "
				"checked backup's in %s; move them back by hand (mv %s/* %s/) before "
				"starting the switch\n", aside, stage, aside, dir);
		return 1;
	}
	rmdir(stage);
	dpb_time_format(when, m->time);
	printf("restore: %s (backup of %s: log %llu entries, checkpoint %llu) installed in %s; the %zu "
	       "files it replaced are in %s\n", src, when, (unsigned long long)m->entries,
	       (unsigned long long)m->cp_size, dir, moved, aside);
	snprintf(detail, sizeof detail, "database and keys restored from a backup of %s (log %llu "
					"entries, checkpoint %llu); the replaced files are in %s",
		 when, (unsigned long long)m->entries, (unsigned long long)m->cp_size,
		 strrchr(aside, '/') + 1);
	dpc_config c;
	dps_store *s = NULL;
	int ec = dpa_open_store(a, &c, &s);
	if (ec)
		return ec;
	char old_db[PATHX];
	join(old_db, aside, "denpod.db");
	ec = dpa_rollback(&c, s, op, detail, lost, a->signed_cp, exists(aside, "denpod.db") ? old_db : NULL);
	dps_close(s);
	if (!ec)
		printf("restore: logged (admin RESTORE by %s); start the switch\n", op);
	return ec;
}

int dpa_restore(const dpa_args *a)
{
	char op[DP_LOG_TEXT_MAX + 1], state[PATHX];
	uint64_t lost = 0;
	if (a->npos != 1 || !*a->pos[0] || strlen(a->pos[0]) > PATH_GIVEN ||
	    (a->data && strlen(a->data) > PATH_GIVEN)) {
		fprintf(stderr, "usage: denpod restore SRC [--operator NAME] [--signed-checkpoint FILE | "
				"--lost N] --data DIR   "
				"(SRC: a directory made by denpod backup)\n");
		return 2;
	}
	if (!a->data || !*a->data) {
		fprintf(stderr, "denpod: give --data DIR (or set DENPOD_DATA)\n");
		return 2;
	}
	if (a->lost && dp_num_str(&lost, a->lost, 0, INT64_MAX)) {
		fprintf(stderr, "denpod: restore: --lost takes a decimal number of log entries\n");
		return 2;
	}
	int e = dpa_operator_of(a, op);
	if (e)
		return e;
	if (refuse_pg(a->data, "restore"))
		return 1;
	umask(077);
	dpb_manifest m;
	if (read_manifest(a->pos[0], &m))
		return 1;
	if (mkdir(a->data, 0700) && errno != EEXIST) {
		fprintf(stderr, "denpod: restore: cannot make %s: %s\n", a->data, strerror(errno));
		return 1;
	}
	/* the files installed must be the switch's: root would leave them unreadable to it */
	struct stat st;
	if (stat(a->data, &st) == 0 && st.st_uid != geteuid()) {
		fprintf(stderr, "denpod: restore: %s belongs to user id %u: run restore as that user (sudo "
				"-u denpod denpod restore ...), so that the switch can read what it installs.  "
				"Nothing was changed\n", a->data, (unsigned)st.st_uid);
		return 1;
	}
	int lock = -1;
	int r = dpb_lock(a->data, &lock);
	if (r == DP_ESTATE) {
		fprintf(stderr, "denpod: restore: a `denpod run` (or another restore) is using %s: stop the "
				"switch first (systemctl stop denpod), then restore.  Nothing was changed\n",
			a->data);
		return 1;
	}
	if (r) {
		fprintf(stderr, "denpod: restore: cannot take the run lock of %s: %s\n", a->data,
			dp_strerror(r));
		return 1;
	}
	/* before anything changes: without signer.state the loss must be given (the MRN rule) */
	join(state, a->data, "signer.state");
	if (access(state, F_OK) != 0 && !a->lost && !a->signed_cp) {
		fprintf(stderr, "denpod: restore: there is no signer.state in %s (a new machine?), so the "
				"switch cannot tell how many log entries were lost since the backup, and the "
				"MRNs it handed out after the backup would be handed out again to other "
				"cables.  Give --signed-checkpoint FILE: the highest checkpoint any device saw "
				"(a device's log/checkpoint file, or its fork evidence).  If no device saw one "
				"above the backup's %llu or none is reachable, give --lost N instead (N: an "
				"upper bound of the entries lost; --lost 0 if the switch accepted nothing "
				"after the backup).  Nothing was changed\n",
			a->data, (unsigned long long)m.cp_size);
		close(lock);
		return 1;
	}
	if (a->signed_cp) { /* checked against the backup's log.key before anything changes */
		dpc_config sc;
		dp_checkpoint dev;
		if (dpc_load(&sc, a->pos[0]) ||
		    dpa_signed_checkpoint(&sc, a->signed_cp, m.cp_size, "restore", &dev)) {
			close(lock);
			return 1;
		}
	}
	if (a->lost && (access(state, F_OK) == 0 || a->signed_cp))
		printf("restore: signer.state or --signed-checkpoint says how many entries were lost: "
		       "--lost is not needed and not used\n");
	int ec = restore_into(a, op, &m, lost);
	close(lock);
	return ec;
}
