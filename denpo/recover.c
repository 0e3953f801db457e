/*
 * denpo/recover.c - `denpo log recover`: this device witnesses the
 * switch's log again after the switch's database was restored from an
 * older backup (docs/operations.md, "After a restore: devices";
 * docs/transparency.md §4).
 *
 * The restored log goes on from an older checkpoint M, after an admin
 * entry with Act LOG-ROLLBACK whose Detail says what the log key had
 * signed (size N, its root) and what is left (M).  A device that verified
 * a tree of size S with M < S <= N sees a history that does not extend its
 * own: fork evidence, exit 3, on every command.  Here it accepts the new
 * history only if the switch's own log explains it:
 *
 *   1. the current checkpoint T is fetched and judged as every command
 *      does (signed by the Log-Key, for its origin, consistent with the
 *      held one): consistent means there is nothing to recover;
 *   2. else the LOG-ROLLBACK entries (GET /v1/log/rollbacks) are proven in
 *      T (inclusion proof of the entry's leaf hash), decoded, and the
 *      newest whose range explains the held checkpoint is taken
 *      (dp_log_rollback_covers: M < S <= N, and at S = N the signed root
 *      must be the held root: another root is a lie, refused, kept);
 *   3. none: no restore explains it, exit 3, the evidence stays;
 *   4. the officer confirms (or --yes), then under HOME/log/lock the held
 *      checkpoint is kept, the record written, T stored and cosigned
 *      (cli_log_reset); the fork evidence files stay for security
 *      operations;
 *   5. the switch is told (POST /v1/log/recovered, logged there as alert
 *      WITNESS-RESET); if it cannot be told now, HOME/log/recovery-report
 *      keeps the report and the next `denpo log recover` sends it;
 *   6. the keys this device published after the backup are gone from the
 *      switch: every unexpired one is published again (cli_keys_republish).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "denpo/bind.h"
#include "denpo/cli.h"
#include "denpo/logentry.h"
#include "denpo/num.h"

static const char log_help[] =
	"usage: denpo log recover [--yes]\n"
	"\n"
	"After the switch's database was restored from an older backup, a device that\n"
	"had verified a checkpoint of the lost part of the log reports a fork (exit 3,\n"
	"HOME/log/fork-evidence-*.txt) on every command.  `denpo log recover` accepts the\n"
	"restored log only if the switch's log itself explains it: a LOG-ROLLBACK admin\n"
	"entry (written by the operator's `denpod log rollback` or `denpod restore`),\n"
	"proven in the switch's current checkpoint, whose lost range holds the\n"
	"checkpoint this device verified.  It shows who rolled the log back, when, and\n"
	"what was lost, and asks for confirmation; then it keeps the old checkpoint\n"
	"(HOME/log/checkpoint-before-recovery-<unix>), writes what it accepted to\n"
	"HOME/log/recovered-<unix>.txt, witnesses the restored log, tells the switch\n"
	"(logged there as WITNESS-RESET and sent to the security office's alerts), and\n"
	"publishes again the keys the switch lost.  The fork evidence files stay: send\n"
	"them to security operations all the same.\n"
	"\n"
	"  --yes     do not ask (no terminal: required)\n"
	"\n"
	"Exit: 0 recovered, or nothing to recover; 1 error (network, disk); 2 usage, or\n"
	"no terminal to confirm on and no --yes; 3 no LOG-ROLLBACK explains the fork\n"
	"(not a restore: report the evidence), or the rollback contradicts this device's\n"
	"checkpoint (kept in HOME/log/rollback-refused-<unix>.txt).\n";

/*
 * Every unexpired key of this device published again: a restored switch
 * lacks the ones published after its backup; it takes the ones it has as
 * repeats.  A failure is a warning (the next `denpo key publish` retries).
 */
/* Where the lines for people go: stdout, or stderr with --json (stdout holds only the JSON). */
static FILE *human(const cli_ctx *x)
{
	return x->json ? stderr : stdout;
}

static void republish(cli_ctx *x)
{
	cli_maint m;
	int kr = cli_keys_republish(x, &m);
	if (kr)
		fprintf(stderr, "denpo: warning: could not publish this device's keys again: %s (%s); "
				"run `denpo key publish`\n", dp_strerror(kr), dp_client_message(x->cl));
	else
		fprintf(human(x), "  keys published again: %zu\n", m.published);
}

#define REPORT_FILE "log/recovery-report"
#define REPORT_MAGIC "DENPO-RECOVERY-REPORT/1"

/* The rollback accepted, and what proves it. */
typedef struct {
	const dp_log_incl *item; /* index and entry bytes */
	dp_logent e;
	dp_log_rollback rb;
	dp_log_proof proof; /* the entry's inclusion in T */
} found;

/* ---- the report to the switch (kept until it is made) ---- */

/* HOME/log/recovery-report: "DENPO-RECOVERY-REPORT/1\n<rollback index>\n" then the held note. */
static int report_keep(cli_ctx *x, uint64_t index, const cli_ckpt *held)
{
	char p[PATH_MAX];
	dp_buf b;
	dp_buf_init(&b, DP_NOTE_MAX + 64);
	int r = dp_buf_printf(&b, REPORT_MAGIC "\n%llu\n", (unsigned long long)index);
	r = r ? r : dp_buf_append(&b, held->note, held->len);
	cli_path(x, p, REPORT_FILE);
	r = r ? r : dp_write_file(p, b.p, b.len, 0600, 0);
	dp_buf_free(&b);
	return r;
}

/*
 * Tell the switch (the report in HOME/log/recovery-report): DP_ENOTFOUND if
 * there is none.  Made: the file is removed, *log_index is the switch's
 * entry.  Otherwise the file stays, for the next run.
 */
static int report_send(cli_ctx *x, int64_t *log_index, int *dup)
{
	char p[PATH_MAX];
	dp_buf b;
	dp_buf_init(&b, DP_NOTE_MAX + 64);
	cli_path(x, p, REPORT_FILE);
	int r = dp_read_file(p, &b);
	const char *s = (const char *)b.p, *nl1 = NULL, *nl2 = NULL;
	uint64_t idx = 0;
	if (!r && (b.len < sizeof REPORT_MAGIC || memcmp(s, REPORT_MAGIC "\n", sizeof REPORT_MAGIC) != 0 ||
		   !(nl1 = memchr(s, '\n', b.len)) ||
		   !(nl2 = memchr(nl1 + 1, '\n', b.len - (size_t)(nl1 + 1 - s))) ||
		   dp_num_u64(&idx, nl1 + 1, (size_t)(nl2 - nl1 - 1), 0, INT64_MAX) ||
		   (size_t)(nl2 + 1 - s) >= b.len || memchr(nl2 + 1, 0, b.len - (size_t)(nl2 + 1 - s))))
		r = DP_EPARSE;
	if (r == DP_EPARSE)
		fprintf(stderr, "denpo: %s is damaged; it is left as it is (move it away to stop "
				"this warning)\n", p);
	if (!r) {
		size_t off = (size_t)(nl2 + 1 - s);
		r = dp_client_log_recovered(x->cl, idx, s + off, b.len - off, log_index, dup);
	}
	if (!r)
		unlink(p);
	dp_buf_free(&b);
	return r;
}

/* Said after a report that could not be made. */
static void report_failed(cli_ctx *x, int r)
{
	fprintf(stderr, "denpo: warning: the switch was not told of this recovery: %s (%s); it is "
			"kept in %s/" REPORT_FILE ": run `denpo log recover` again when the switch "
			"answers\n", dp_strerror(r), dp_client_message(x->cl), x->home);
}

/* ---- finding the rollback ---- */

/*
 * The i-th rollback item, proven in T and decoded.  DP_OK with f filled;
 * DP_ENOTFOUND if it is not a LOG-ROLLBACK under T at all; DP_ESIG if its
 * inclusion proof does not verify (the switch lied about it); network
 * errors as they are.
 */
static int prove_one(cli_ctx *x, const cli_ckpt *t, const dp_log_incl *it, found *f)
{
	f->item = it;
	if (it->index >= t->cp.size)
		return DP_ENOTFOUND; /* not under T: the switch serves only what it covers */
	int r = dp_client_log_inclusion(x->cl, it->index, t->cp.size, &f->proof);
	if (r)
		return r;
	uint8_t leaf[DP_TLOG_HASH];
	dp_tlog_leaf_hash(leaf, it->entry, it->entry_len);
	if (dp_tlog_verify_inclusion(it->index, t->cp.size, leaf, (const uint8_t(*)[DP_TLOG_HASH])f->proof.h,
				     f->proof.n, t->cp.root) != DP_OK)
		return DP_ESIG;
	if (dp_logent_decode(&f->e, it->entry, it->entry_len) != DP_OK || f->e.event != DP_LOG_ADMIN ||
	    strcmp(f->e.act, DP_LOG_ROLLBACK_ACT) != 0 || dp_log_rollback_parse(&f->rb, f->e.text) != DP_OK)
		return DP_ENOTFOUND;
	if (it->index < f->rb.restored_size)
		return DP_ENOTFOUND; /* appended to a tree of M entries, it cannot sit below M */
	return DP_OK;
}

/* The record of rollback f judged between held and t (cli_log_record), into b. */
static int record(cli_ctx *x, const char *magic, const char *comment, const cli_ckpt *held,
		  const cli_ckpt *t, const found *f, dp_buf *b)
{
	return cli_log_record(x, magic, comment, held, t, f->item->index, f->item->entry,
			      f->item->entry_len, (const uint8_t(*)[DP_TLOG_HASH])f->proof.h, f->proof.n, b);
}

/* Keep a rollback that contradicts the held checkpoint; returns EXIT_VERIFY. */
static int refuse_lie(cli_ctx *x, const cli_ckpt *held, const cli_ckpt *t, const found *f)
{
	char path[PATH_MAX], why[512];
	dp_buf b;
	dp_buf_init(&b, 4 * DP_NOTE_MAX + 4 * DP_TLOG_ENTRY_MAX);
	snprintf(why, sizeof why, "Reason: the LOG-ROLLBACK at entry %llu says the log key signed a tree "
				  "of size %llu with another root than the one this device verified\n",
		 (unsigned long long)f->item->index, (unsigned long long)f->rb.signed_size);
	int r = record(x, "DENPO-ROLLBACK-REFUSED/1",
		       "# a LOG-ROLLBACK entry of its transparency log (Rollback-Entry, proven in\n"
		       "# Received-Checkpoint by Proof) whose signed root for the size this device\n"
		       "# had verified is not the root it verified (Verified-Checkpoint): the entry\n"
		       "# does not describe the log this device saw.  Report this file and the\n"
		       "# fork evidence to security operations at once.\n",
		       held, t, f, &b);
	r = r ? r : dp_buf_puts(&b, why);
	r = r ? r : cli_log_keep(x, "rollback-refused", &b, path);
	dp_buf_free(&b);
	fprintf(stderr, "denpo: the switch's LOG-ROLLBACK at entry %llu claims the log key signed a tree "
			"of size %llu with another root than the one this device verified: it does not "
			"explain this fork; report %s and HOME/log/fork-evidence-*.txt to security "
			"operations\n",
		(unsigned long long)f->item->index, (unsigned long long)f->rb.signed_size,
		r ? "(the record could not be written)" : path);
	return EXIT_VERIFY;
}

/* ---- the officer's confirmation ---- */


static void show(cli_ctx *x, const cli_ckpt *held, const cli_ckpt *t, const found *f)
{
	char when[DP_TIME_STR];
	dp_time_str(f->e.time, when);
	fprintf(human(x), "The switch's log was rolled back (LOG-ROLLBACK, log entry %llu, proven in its checkpoint "
	       "of size %llu):\n"
	       "  by          %s\n"
	       "  at          %s\n"
	       "  signed      up to size %llu\n"
	       "  restored    to size %llu: %llu entries lost\n"
	       "  this device had verified size %llu, now lost from the switch\n",
	       (unsigned long long)f->item->index, (unsigned long long)t->cp.size, f->e.operator_, when,
	       (unsigned long long)f->rb.signed_size, (unsigned long long)f->rb.restored_size,
	       (unsigned long long)(f->rb.signed_size - f->rb.restored_size),
	       (unsigned long long)held->cp.size);
}

/* 1 if the officer typed "yes". */
static int confirmed(cli_ctx *x)
{
	char line[16];
	fprintf(human(x), "Accept the restored log on this device? Type yes to accept (anything else changes "
	       "nothing): ");
	fflush(human(x));
	if (!fgets(line, sizeof line, stdin))
		return 0;
	line[strcspn(line, "\r\n")] = 0;
	return strcmp(line, "yes") == 0;
}

/* ---- the command ---- */

static int nothing_to_recover(cli_ctx *x)
{
	int64_t li;
	int dup;
	int r = report_send(x, &li, &dup);
	if (r == DP_OK)
		fprintf(human(x), "told the switch of this device's earlier recovery (its log entry %lld)\n",
		       (long long)li);
	else if (r != DP_ENOTFOUND)
		report_failed(x, r);
	fprintf(human(x), "nothing to recover: the switch's log extends the checkpoint this device verified "
	       "(size %llu)\n", (unsigned long long)cli_log_size(x));
	/*
	 * A device that witnessed nothing of the lost range may still have
	 * published keys in it (a new epoch after the backup): published again
	 * all the same, so that cables can be sealed to it.
	 */
	republish(x);
	if (x->json)
		dp_json_print(json_pack("{s:b,s:I}", "recovered", 0, "size", (json_int_t)cli_log_size(x)));
	return EXIT_OK;
}

static int not_a_restore(cli_ctx *x, int lied)
{
	fprintf(stderr, "denpo: no LOG-ROLLBACK in the switch's log explains this: it is not a restore; "
			"report %s/log/fork-evidence-*.txt to security operations%s\n",
		x->home, lied ? " (the switch also sent a rollback entry its own checkpoint does not "
				"prove)" : "");
	if (x->json)
		dp_json_print(json_pack("{s:s,s:s}", "error", "fork", "message",
					 "no LOG-ROLLBACK in the switch's log explains this"));
	return EXIT_VERIFY;
}

/* Under way: held and t open; the rollbacks fetched.  Returns an exit code. */
static int recover_with(cli_ctx *x, int yes, const cli_ckpt *held, const cli_ckpt *t,
			const dp_log_incl *items, size_t n)
{
	found *f = malloc(sizeof *f);
	if (!f)
		return cli_fail(x, DP_ENOMEM, NULL, "log recover");
	int r = DP_ENOTFOUND, lied = 0;
	/* the newest first: after two restores the later one explains what was seen since the first */
	for (size_t k = n; k-- > 0;) {
		memset(f, 0, sizeof *f);
		r = prove_one(x, t, &items[k], f);
		if (r == DP_ESIG) {
			lied = 1; /* the switch's own proof does not hold: that entry is nothing */
			r = DP_ENOTFOUND;
			continue;
		}
		if (r == DP_ENOTFOUND)
			continue;
		if (r)
			break;
		r = dp_log_rollback_covers(&f->rb, held->cp.size, held->cp.root);
		if (r != DP_ENOTFOUND)
			break;
	}
	int ec;
	if (r == DP_ENOTFOUND)
		ec = not_a_restore(x, lied);
	else if (r == DP_ESIG)
		ec = refuse_lie(x, held, t, f);
	else if (r)
		ec = cli_fail(x, r, "run it again when the switch answers",
			      "cannot prove the switch's rollback entries");
	else {
		show(x, held, t, f);
		if (!yes && !isatty(STDIN_FILENO)) {
			fprintf(stderr, "denpo: log recover: no terminal to confirm on; give --yes to accept "
					"it (after security operations agreed)\n");
			ec = EXIT_USAGE;
		} else if (!yes && !confirmed(x)) {
			fprintf(human(x), "nothing changed: this device keeps refusing the switch's log\n");
			ec = EXIT_ERR;
		} else
			ec = -1; /* go on below */
	}
	if (ec >= 0) {
		free(f);
		return ec;
	}
	char kept[PATH_MAX], rec[PATH_MAX];
	dp_buf b;
	dp_buf_init(&b, 4 * DP_NOTE_MAX + 4 * DP_TLOG_ENTRY_MAX);
	r = record(x, "DENPO-LOG-RECOVERY/1",
		   "# accepted its transparency log again after a restore: the LOG-ROLLBACK entry\n"
		   "# (Rollback-Entry, at Rollback-Index, proven in Received-Checkpoint by Proof)\n"
		   "# says the log key had signed up to a size that holds the one this device had\n"
		   "# verified (Verified-Checkpoint), lost by the restore.  The device now witnesses\n"
		   "# Received-Checkpoint's history.  Keep this file with the fork evidence.\n",
		   held, t, f, &b);
	/*
	 * Before the checkpoint changes, what must not be forgotten if this
	 * process dies right after it (the next run then finds nothing to
	 * recover): the report to the switch is kept (sent below, or by the next
	 * run), and the MRNs bound to the lost entries are dropped (each is
	 * bound again, in whichever log, when read).
	 */
	int kr = r ? r : report_keep(x, f->item->index, held);
	if (r == DP_OK && kr) {
		dp_buf_free(&b);
		free(f);
		return cli_fail(x, kr, NULL, "cannot keep the report to the switch in %s/%s: nothing changed",
				x->home, REPORT_FILE);
	}
	size_t dropped = r ? 0 : bind_cache_drop_from(x, f->rb.restored_size);
	r = r ? r : cli_log_reset(x, held, t, &b, kept, rec);
	dp_buf_free(&b);
	if (r) {
		char rp[PATH_MAX];
		cli_path(x, rp, REPORT_FILE);
		(void)unlink(rp); /* nothing was reset: nothing to report */
	}
	if (r == DP_ESTATE) {
		free(f);
		return cli_fail(x, r, "run `denpo log recover` again",
				"another denpo process of this device changed its checkpoint meanwhile");
	}
	if (r) {
		free(f);
		return cli_fail(x, r, NULL, "cannot store the restored log's checkpoint in %s/log",
				x->home);
	}
	fprintf(human(x), "recovered: this device witnesses the restored log from size %llu on\n"
	       "  old checkpoint kept in %s\n  what was accepted: %s\n",
	       (unsigned long long)t->cp.size, kept, rec);
	if (dropped)
		fprintf(human(x), "  reference numbers of %zu cables bound to the lost log entries dropped "
				  "(each is checked again in the restored log when read)\n", dropped);
	/* the switch is told (the report was kept above: a failure leaves it for the next run) */
	int64_t li = -1;
	int dup = 0;
	r = report_send(x, &li, &dup);
	if (!r)
		fprintf(human(x), "  the switch logged it: log entry %lld (WITNESS-RESET)\n", (long long)li);
	else
		report_failed(x, r);
	republish(x);
	if (x->json)
		dp_json_print(json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:s,s:s,s:I}", "recovered", 1, "rollback",
					 (json_int_t)f->item->index, "signed_size",
					 (json_int_t)f->rb.signed_size, "restored_size",
					 (json_int_t)f->rb.restored_size, "held_size",
					 (json_int_t)held->cp.size, "size", (json_int_t)t->cp.size,
					 "record", rec, "kept", kept, "log_index", (json_int_t)li));
	free(f);
	return EXIT_OK;
}

static int recover(cli_ctx *x, int yes)
{
	if (cli_home(x, 0))
		return cli_fail(x, DP_ENOTFOUND, "run `denpo init` first", "no state directory %s", x->home);
	x->maint_done = 1; /* the log is judged here; the keys after it */
	int ec = cli_open_client(x);
	if (ec)
		return ec;
	char ev[PATH_MAX];
	int r = cli_log_sync(x, ev);
	if (r == DP_OK)
		return nothing_to_recover(x);
	if (r == CLI_EUNPROVEN)
		return cli_log_upkeep(x); /* says it, exit 3: a refusal to prove is no restore */
	if (r != CLI_EFORK)
		return cli_fail(x, r, "run it again when the switch answers",
				"cannot check the switch's log");
	fprintf(stderr, "denpo: the switch's log does not extend this device's checkpoint (evidence: "
			"%s); looking for a LOG-ROLLBACK that explains it\n", ev[0] ? ev : "not written");
	dp_note_vkey k;
	cli_ckpt held, t;
	char path[PATH_MAX];
	dp_buf note;
	dp_buf_init(&note, DP_NOTE_MAX);
	memset(&t, 0, sizeof t);
	cli_path(x, path, "log/checkpoint");
	r = cli_log_key(x, &k);
	r = r ? r : cli_ckpt_load(&k, path, &held);
	if (r) {
		dp_buf_free(&note);
		return cli_fail(x, r, NULL, "cannot read this device's checkpoint %s", path);
	}
	r = dp_client_log_checkpoint(x->cl, &note);
	r = r ? r : cli_ckpt_open(&k, (const char *)note.p, note.len, &t);
	dp_buf_free(&note);
	dp_log_incl *items = NULL;
	size_t n = 0;
	r = r ? r : dp_client_log_rollbacks(x->cl, &items, &n);
	if (r == DP_ENOTFOUND && dp_client_http_status(x->cl) == 404)
		ec = not_a_restore(x, 0); /* a switch without rollbacks has none to show */
	else if (r)
		ec = cli_fail(x, r, "run it again when the switch answers",
			      "cannot read the switch's log");
	else
		ec = recover_with(x, yes, &held, &t, items, n);
	dp_log_rollbacks_free(items, n);
	cli_ckpt_free(&held);
	cli_ckpt_free(&t);
	return ec;
}

int cmd_log(cli_ctx *x, int argc, char **argv)
{
	static const struct option lo[] = {
		{"yes", no_argument, NULL, 'y'},
		CLI_COMMON_OPTS,
		{NULL, 0, NULL, 0},
	};
	int o, yes = 0;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == OPT_HELP) {
			fputs(log_help, stdout);
			return EXIT_OK;
		}
		if (cli_common_opt(x, o, optarg))
			continue;
		if (o == 'y')
			yes = 1;
		else
			return cli_usage("log", "unknown option (see denpo log --help)");
	}
	if (optind >= argc || strcmp(argv[optind], "recover") != 0)
		return cli_usage("log", "give a subcommand: recover (see denpo log --help)");
	if (optind + 1 < argc)
		return cli_usage("log", "unexpected argument '%s'", argv[optind + 1]);
	return recover(x, yes);
}
