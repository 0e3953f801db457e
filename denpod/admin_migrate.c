/*
 * denpod/admin_migrate.c - `denpod migrate --to URI --data DIR`: a SQLite
 * switch moved to PostgreSQL with its log intact (docs/operations.md,
 * "Moving to PostgreSQL"; docs/several-switches.md §5).
 *
 * The contract:
 *   - the switch is stopped: refused while `denpod run` holds DIR's run
 *     lock (backup.h), which migrate holds itself until it is done, and the
 *     SQLite database's write lock is held throughout, so no admin command
 *     writes to it meanwhile;
 *   - the source is whole: `denpod check` on DIR first (the database, the
 *     whole log under log.key, every cable against its entry);
 *   - the target is a PostgreSQL database that holds no table: anything
 *     else (another URI, a database in use) is refused before anything is
 *     written;
 *   - one PostgreSQL transaction (store_migrate.c): the schema, every table
 *     of dps_tables row for row, identity columns past the copied keys,
 *     row counts compared; then, still inside it, `denpod log verify`'s own
 *     check (dpl_verify) of the copy under DIR's log.key, and the copy's log
 *     size and latest signed checkpoint (size and root) equal to the
 *     source's.  Only then the commit: devices meet the same tree, the same
 *     roots, and see no fork; an admin entry MIGRATE (the operator's)
 *     is appended in the same transaction, signed by the first run;
 *   - only after the commit, denpod.conf gets store = URI (written
 *     atomically, 0600); denpod.db is left as it was, the way back;
 *   - on any failure nothing changed: not the SQLite file, not denpod.conf,
 *     not the PostgreSQL database (its transaction rolled back);
 *   - the URI may hold a password: it is never printed (messages show it
 *     with the password as ***), and its copies in memory are wiped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "denpo/encoding.h"
#include "denpod/admin.h"
#include "denpod/backup.h"
#include "denpod/db.h"
#include "denpod/tlog.h"

#define CONF_MAX 65536 /* denpod.conf's bytes (its lines are short; a few dozen keys) */

/* Each table's rows as they are copied. */
static void said_rows(void *ctx, const char *table, uint64_t n)
{
	(void)ctx;
	printf("  %-16s %llu rows\n", table, (unsigned long long)n);
}

/*
 * denpod.conf with store = uri added, into out, checked by the parser the
 * switch reads it with: a URI the switch would refuse is refused now, before
 * anything is copied.  An exit code (2: the URI; 1: the file).
 */
static int new_conf(const char *dir, const char *uri, dp_buf *out)
{
	char path[DPC_PATH_MAX + 32], err[512], when[21];
	dpc_config *c = calloc(1, sizeof *c);
	int r = c ? DP_OK : DP_ENOMEM;
	if (!r && snprintf(path, sizeof path, "%s/denpod.conf", dir) >= (int)sizeof path)
		r = DP_ETOOBIG;
	if (!r)
		r = dp_read_file(path, out);
	if (r) {
		free(c);
		fprintf(stderr, "denpod: migrate: cannot read %s: %s\n", path, dp_strerror(r));
		return 1;
	}
	dpb_time_format(when, time(NULL));
	if (out->len && out->p[out->len - 1] != '\n')
		r = dp_buf_puts(out, "\n");
	if (!r)
		r = dp_buf_printf(out, "# moved from denpod.db (kept, the way back: remove the next line) "
				       "by denpod migrate, %s\nstore=%s\n", when, uri);
	if (!r)
		r = dpc_parse(c, dir, "denpod.conf", (const char *)out->p, out->len, err, sizeof err);
	sodium_memzero(c, sizeof *c);
	free(c);
	if (r == DP_ENOMEM) {
		fprintf(stderr, "denpod: migrate: out of memory\n");
		return 1;
	}
	if (r) {
		/* the parser's message names the key, never its value */
		fprintf(stderr, "denpod: migrate: --to: %s\n", err);
		return 2;
	}
	return 0;
}

/*
 * The copy's log against the source's and under the log's key: `denpod
 * log verify` on the copy (inside its transaction), and the same size and
 * latest checkpoint as the source.  An exit code.
 */
static int check_log(const dpc_config *c, dps_store *src, dps_store *dst)
{
	char vks[DP_NOTE_VKEY_MAX + 1], b64[48];
	dp_note_vkey vk;
	dps_checkpoint *cs = calloc(2, sizeof *cs), *cd = cs + 1;
	uint64_t ns = 0, nd = 0;
	int r = cs ? dpl_vkey(c, vks, sizeof vks) : DP_ENOMEM;
	if (!r)
		r = dp_note_vkey_parse(&vk, vks, strlen(vks));
	if (r) {
		free(cs);
		return dpa_fail(r, "migrate: the log's verifier key (log.key)", "nothing was changed");
	}
	int v = dpl_verify(dst, &vk, stdout);
	if (!v)
		v = dps_log_size(src, &ns);
	if (!v)
		v = dps_log_size(dst, &nd);
	int ls = v ? v : dps_log_latest(src, cs), ld = v ? v : dps_log_latest(dst, cd);
	if (!v && (ls || ld))
		v = ls ? ls : ld;
	if (!v && (ns != nd || cs->size != cd->size || memcmp(cs->root, cd->root, DP_TLOG_HASH) != 0 ||
		   cs->note_len != cd->note_len || memcmp(cs->note, cd->note, cs->note_len) != 0)) {
		fprintf(stderr, "denpod: migrate: the copy's log is not the source's (entries %llu and "
				"%llu, latest checkpoints %llu and %llu)\n",
			(unsigned long long)ns, (unsigned long long)nd, (unsigned long long)cs->size,
			(unsigned long long)cd->size);
		v = DP_ESTATE;
	}
	if (!v) {
		dp_b64_encode(b64, cd->root, DP_TLOG_HASH, 1);
		printf("log: %llu entries; latest signed checkpoint %llu, root %s: the same as the SQLite "
		       "database's\n", (unsigned long long)nd, (unsigned long long)cd->size, b64);
	}
	free(cs);
	if (v)
		fprintf(stderr, "denpod: migrate: the copy's log does not check (%s): nothing was changed "
				"(the PostgreSQL database is as empty as it was)\n", dp_strerror(v));
	return v ? 1 : 0;
}

/*
 * The move itself on the log, after the copy checked and inside its
 * transaction: an admin entry MIGRATE by the operator (signed by the
 * switch's first round on PostgreSQL).  The URI is not in it.
 */
static int log_move(dps_store *dst, const char *op)
{
	char detail[DP_LOG_TEXT_MAX + 1];
	uint64_t n = 0;
	dpl_enc *x = dpl_enc_new();
	int r = x ? dps_log_size(dst, &n) : DP_ENOMEM;
	snprintf(detail, sizeof detail, "store moved from SQLite to PostgreSQL with the log's %llu "
					"entries", (unsigned long long)n);
	if (!r)
		r = dpa_log_admin(dst, x, op, "MIGRATE", detail);
	dpl_enc_free(x);
	if (r)
		fprintf(stderr, "denpod: migrate: cannot log the move (%s): nothing was changed\n",
			dp_strerror(r));
	return r;
}

/* Connects, copies, checks, logs, commits: an exit code (0: the copy is in). */
static int copy(const dpc_config *c, const char *uri, const char *shown, const char *op)
{
	char path[DPC_PATH_MAX], found[128], why[512];
	dps_store *src = NULL, *dst = NULL;
	if (dpc_store_target(c, path, sizeof path) || dps_open(&src, path, 0) || dps_begin(src)) {
		dps_close(src);
		fprintf(stderr, "denpod: migrate: cannot open the SQLite database %s (said above); "
				"nothing was changed\n", path);
		return 1;
	}
	int r = dps_migrate_open(&dst, uri, found, sizeof found);
	if (r == DP_EEXISTS)
		fprintf(stderr, "denpod: migrate: the database %s is not empty (it has table %s): "
				"migrate into a new, empty database (createdb -O OWNER NAME), or drop "
				"its tables if it holds nothing you need; nothing was changed\n",
			shown, found);
	else if (r)
		fprintf(stderr, "denpod: migrate: cannot connect to %s (%s; the reason is above): check "
				"the host, port, database name, user and password (~/.pgpass or "
				"PGPASSWORD); nothing was changed\n", shown, dp_strerror(r));
	if (!r) {
		printf("copying %s into %s:\n", path, shown);
		r = dps_migrate_copy(src, dst, said_rows, NULL, why, sizeof why);
		if (r)
			fprintf(stderr, "denpod: migrate: the copy failed: %s; nothing was changed\n",
				why[0] ? why : dp_strerror(r));
		else if (check_log(c, src, dst))
			r = DP_ESTATE;
		if (!r)
			r = log_move(dst, op);
		if (!r && (r = dps_commit(dst)) != DP_OK)
			fprintf(stderr, "denpod: migrate: the commit on %s failed (%s), and whether the "
					"copy is in PostgreSQL is not known (a commit whose answer was lost may "
					"have happened): denpod.conf is unchanged, so the switch still runs on "
					"denpod.db; before migrating again, drop what the database holds (migrate "
					"refuses a database that is not empty)\n", shown, dp_strerror(r));
		else if (r)
			dps_rollback(dst);
	}
	dps_rollback(src); /* only read: the SQLite file stays as it was */
	dps_close(dst);
	dps_close(src);
	return r ? 1 : 0;
}

int dpa_migrate(const dpa_args *a)
{
	char shown[DPC_STORE_MAX + 8], conf[DPC_PATH_MAX + 32];
	if (!a->data || !*a->data || !a->to || a->npos) {
		fprintf(stderr, "denpod: migrate: give --to postgresql://USER@HOST/DB and --data DIR "
				"(denpod migrate --help)\n");
		return 2;
	}
	dpdb_redact(shown, sizeof shown, a->to);
	if (dpdb_kind_of(a->to) != DPDB_PG) {
		fprintf(stderr, "denpod: migrate: --to %s is not a PostgreSQL URI: give "
				"postgresql://USER@HOST[:PORT]/DB (docs/operations.md, \"Moving to "
				"PostgreSQL\")\n", shown);
		return 2;
	}
	char op[DP_LOG_TEXT_MAX + 1];
	int e = dpa_operator_of(a, op);
	if (e)
		return e;
	dpc_config c;
	if (dpc_load(&c, a->data))
		return 1;
	if (dpc_store_is_pg(&c)) {
		fprintf(stderr, "denpod: migrate: the switch in %s is on PostgreSQL already "
				"(denpod.conf store=); nothing to move\n", a->data);
		return 1;
	}
	dp_buf text;
	dp_buf_init(&text, CONF_MAX);
	int ec = new_conf(a->data, a->to, &text);
	int lock = -1;
	int r = ec ? DP_OK : dpb_lock(a->data, &lock);
	if (!ec && r == DP_ESTATE) {
		fprintf(stderr, "denpod: migrate: denpod run is using %s: stop the switch first "
				"(systemctl stop denpod), then migrate\n", a->data);
		ec = 1;
	} else if (!ec && r) {
		ec = dpa_fail(r, "migrate: the run lock", "nothing was changed");
	}
	if (!ec && dpa_check_report(a->data, "migrate: `denpod check` finds the switch damaged (its "
					     "report follows); nothing was changed: repair it first "
					     "(docs/operations.md, \"Damage and recovery\")"))
		ec = 1;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!ec)
		ec = copy(&c, a->to, shown, op);
	snprintf(conf, sizeof conf, "%s/denpod.conf", a->data);
	if (!ec && (r = dp_write_file(conf, text.p, text.len, 0600, 0)) != DP_OK) {
		fprintf(stderr, "denpod: migrate: the copy is in %s, but %s could not be written (%s): "
				"the switch still uses denpod.db.  Add the line store=<the URI> to it "
				"yourself, or drop the copy's tables and migrate again\n",
			shown, conf, dp_strerror(r));
		ec = 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!ec)
		printf("moved to %s in %.1f s (logged: admin MIGRATE by %s); denpod.conf now says "
		       "store=%s.\n"
		       "%s/denpod.db is kept as it was, the way back until the switch runs on PostgreSQL: "
		       "remove the store= line from denpod.conf (once it has run, going back is a rollback).\n"
		       "Start the switch: denpod run --data %s\n",
		       shown, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, op, shown,
		       a->data, a->data);
	dp_buf_free(&text); /* wiped: it holds the URI */
	sodium_memzero(&c, sizeof c);
	if (lock >= 0)
		close(lock);
	return ec;
}
