/*
 * denpod - the switch.  `denpod help` lists the commands.
 * Exit codes: 0 ok, 1 error, 2 usage (the usage text and docs/operations.md
 * "Exit codes" say what each means).
 */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "denpod/admin.h"
#include "denpod/server.h"

static const char usage[] =
	"usage: denpod COMMAND [options]   (--data DIR defaults to $DENPOD_DATA)\n"
	"  init --data DIR [--url https://127.0.0.1:8443] [--listen 127.0.0.1:8443] [--origin NAME]\n"
	"       [--store postgresql://USER@HOST/DB]\n"
	"  run --data DIR\n"
	"  post add NAME [--hq] [--tz Asia/Tokyo]\n"
	"  collective add NAME POST...\n"
	"  officer add HANDLE --post P --clearance C [--captions A,B] [--roles R,S] [--name \"Full Name\"]\n"
	"  officer list\n"
	"  approve REQUEST_FILE --out ANSWER_FILE [--expect FINGERPRINT] [--clearance C] [--captions A,B] [--roles R,S]\n"
	"  device list | device suspend|reinstate|revoke DEVICE [--reason TEXT]   (hex id or prefix)\n"
	"  officer disable|enable HANDLE [--reason TEXT]\n"
	"  contain list [--all] | contain confirm ID | contain undo ID...|--all\n"
	"  decoy list | detect check [FILE]\n"
	"  overdue\n"
	"  cable list | cable restore CABLE_ID FILE\n"
	"  log checkpoint | log verify | log show [--from I] [--count N] | log rollback\n"
	"  check\n"
	"  backup DEST | restore SRC [--signed-checkpoint FILE | --lost N]   (docs/operations.md, \"Back up and restore\")\n"
	"  migrate --to postgresql://USER@HOST/DB   (docs/operations.md, \"Moving to PostgreSQL\")\n"
	"  version   (also --version)\n"
	"  config check [--json]\n"
	"  operator add|passwd|remove NAME | operator list   (the console's operators)\n"
	"  console [--listen PORT]   (the web console on 127.0.0.1, docs/operations.md)\n"
	"List and show commands take --json (officer list, device list, cable list,\n"
	"overdue, config check, contain list, decoy list, log show, log checkpoint,\n"
	"operator list).\n"
	"Options: --opt VALUE or\n"
	"--opt=VALUE; an option the command does not take is refused.\n"
	"Commands that change the switch are logged with --operator NAME (default\n"
	"$DENPOD_OPERATOR, else the login name).  Every command takes --help.\n"
	"Exit codes: 0 ok; 1 error (the command failed, or check, log verify or\n"
	"config check found something wrong: said on stderr); 2 usage (unknown\n"
	"command or option, missing argument).\n";

/*
 * Every option of denpod, and where dpa_args keeps it.  A command takes the
 * ones its row of cmds[] names (a bit each, O_ in the order of opts[]);
 * any other is an error naming the command and its options.  Both
 * "--opt VALUE" and "--opt=VALUE" work (getopt_long, as in denpo).
 */
enum {
	O_DATA = 1u << 0, O_URL = 1u << 1, O_LISTEN = 1u << 2, O_ORIGIN = 1u << 3,
	O_TZ = 1u << 4, O_HQ = 1u << 5, O_POST = 1u << 6, O_CLEARANCE = 1u << 7,
	O_CAPTIONS = 1u << 8, O_ROLES = 1u << 9, O_NAME = 1u << 10, O_OUT = 1u << 11,
	O_OPERATOR = 1u << 12, O_REASON = 1u << 13, O_FROM = 1u << 14, O_COUNT = 1u << 15,
	O_ALL = 1u << 16, O_JSON = 1u << 17, O_EXPECT = 1u << 18, O_LOST = 1u << 19,
	O_SIGNEDCP = 1u << 20, O_STORE = 1u << 21, O_TO = 1u << 22,
};
static const struct {
	const char *name;
	const char *value; /* what the value is, for messages; NULL: a flag (int) */
	size_t off;
} opts[] = {
	{"data", "DIR", offsetof(dpa_args, data)},
	{"url", "URL", offsetof(dpa_args, url)},
	{"listen", "HOST:PORT", offsetof(dpa_args, listen)},
	{"origin", "NAME", offsetof(dpa_args, origin)},
	{"tz", "ZONE", offsetof(dpa_args, tz)},
	{"hq", NULL, offsetof(dpa_args, hq)},
	{"post", "P", offsetof(dpa_args, post)},
	{"clearance", "C", offsetof(dpa_args, clearance)},
	{"captions", "A,B", offsetof(dpa_args, captions)},
	{"roles", "R,S", offsetof(dpa_args, roles)},
	{"name", "NAME", offsetof(dpa_args, name)},
	{"out", "FILE", offsetof(dpa_args, out)},
	{"operator", "NAME", offsetof(dpa_args, operator_)},
	{"reason", "TEXT", offsetof(dpa_args, reason)},
	{"from", "I", offsetof(dpa_args, from)},
	{"count", "N", offsetof(dpa_args, count)},
	{"all", NULL, offsetof(dpa_args, all)},
	{"json", NULL, offsetof(dpa_args, json)},
	{"expect", "FINGERPRINT", offsetof(dpa_args, expect)},
	{"lost", "N", offsetof(dpa_args, lost)},
	{"signed-checkpoint", "FILE", offsetof(dpa_args, signed_cp)},
	{"store", "URI", offsetof(dpa_args, store)},
	{"to", "URI", offsetof(dpa_args, to)},
};
#define NOPTS (sizeof opts / sizeof opts[0])
#define O_ACT (O_DATA | O_OPERATOR) /* a command that changes the switch: logged with its operator */

struct cmd {
	const char *w1, *w2; /* command words */
	unsigned opts;       /* the options it takes (O_*) */
	int (*run)(const dpa_args *a); /* an exit code; a->verb is w2 */
	const char *help;
};

static int run_switch(const dpa_args *a);

static const struct cmd cmds[] = {
	{"init", NULL, O_DATA | O_URL | O_LISTEN | O_ORIGIN | O_STORE, dpa_init, "denpod init --data DIR [--url URL] [--listen HOST:PORT] [--origin NAME] [--store postgresql://...]\n"
		       "  Makes a new switch: keys (sign.key, tls.key, log.key), TLS certificate,\n"
		       "  database, configuration.  --origin names the transparency log in its\n"
		       "  checkpoints (default: the URL's host:port + \"/denpo-log\").\n"
		       "  --url may list every instance of the switch, the primary first, separated\n"
		       "  by commas (\"https://a:8443, https://b:8443\"): devices fail over between them.\n"
		       "  --store keeps the switch's state in PostgreSQL (an existing, empty\n"
		       "  database) instead of denpod.db in --data: several instances share it\n"
		       "  (docs/several-switches.md).  It is written to denpod.conf as store=.\n"},
	{"run", NULL, O_DATA, run_switch, "denpod run --data DIR\n  Serves the HTTPS API until SIGTERM/SIGINT, and signs the\n"
		      "  transparency log (it refuses to start if the stored log does not check).\n"
		      "  SIGHUP re-reads detect.conf and reopens the alert file (logrotate).  Under\n"
		      "  systemd ($NOTIFY_SOCKET) it sends READY=1 once it serves, STOPPING=1, and\n"
		      "  WATCHDOG=1 if $WATCHDOG_USEC asks (dist/denpod.service).\n"},
	{"post", "add", O_ACT | O_HQ | O_TZ, dpa_post_add, "denpod post add NAME [--hq] [--tz ZONE] [--operator NAME] --data DIR\n"},
	{"collective", "add", O_ACT, dpa_collective_add, "denpod collective add NAME POST... [--operator NAME] --data DIR\n"
			      "  A collective address (e.g. \"ALL POSTS\") expanding to posts.\n"},
	{"officer", "add", O_ACT | O_POST | O_CLEARANCE | O_CAPTIONS | O_ROLES | O_NAME, dpa_officer_add, "denpod officer add HANDLE --post P --clearance C [--captions A,B] "
			   "[--roles R,S] [--name \"Full Name\"] [--operator NAME] --data DIR\n"
			   "  Role AUDIT lets the officer's devices read the log's entry bundles.\n"
			   "  Role RECORDS at denpod.conf's records_post makes the officer's devices the\n"
			   "  ministry's archive: they receive every cable they are cleared for.\n"},
	{"officer", "list", O_DATA | O_JSON, dpa_officer_list, "denpod officer list [--json] --data DIR\n"},
	{"approve", NULL, O_ACT | O_OUT | O_EXPECT | O_CLEARANCE | O_CAPTIONS | O_ROLES | O_NAME, dpa_approve,
	 "denpod approve REQUEST_FILE --out ANSWER_FILE [--expect FINGERPRINT] "
			  "[--clearance C] [--captions A,B] [--roles R,S] [--name N] --data DIR\n"
			  "  Verifies an enrolment request, records the device and its first key epoch\n"
			  "  (kept even if already expired: the device publishes new keys when it connects),\n"
			  "  writes the signed answer (with the log's verifier key).\n"
			  "  --clearance/--captions/--roles create or update the officer.\n"
			  "  Logged (device-enrolled, key-published) with --operator NAME.\n"
			  "  Shows the request's fingerprint (8 groups of 5 digits, the same `denpo init`\n"
			  "  showed the officer).  --expect FINGERPRINT: the digits the officer read to\n"
			  "  you (spaces and '-' ignored); if the request's differ, nothing is approved,\n"
			  "  the refusal is logged (admin ENROL-REFUSED) and the exit code is 1.\n"},
	{"device", "list", O_DATA | O_JSON, dpa_device, "denpod device list [--json] --data DIR\n"
			   "  Each device with its status and current key epoch (or \"no current key\").\n"},
	{"device", "suspend", O_ACT | O_REASON, dpa_device, "denpod device suspend DEVICE [--reason TEXT] [--operator NAME] --data DIR\n"
			      "  Takes effect at once; logged.\n"},
	{"device", "reinstate", O_ACT | O_REASON, dpa_device, "denpod device reinstate DEVICE [--reason TEXT] [--operator NAME] "
				"--data DIR\n"},
	{"device", "answer", O_DATA | O_OUT, dpa_device_answer, "denpod device answer DEVICE --out ANSWER_FILE --data DIR\n"
			     "  A new signed enrolment answer for an active device: the switch's addresses\n"
			     "  as url lists them now (the same keys); `denpo enrol --answer FILE` on the\n"
			     "  device replaces its answer with it.\n"},
	{"device", "revoke", O_ACT | O_REASON, dpa_device, "denpod device revoke DEVICE [--reason TEXT] [--operator NAME] --data DIR\n"
			     "  Final; also retires the device's keys in the log.  Needs two different\n"
			     "  operators: the first run records the request, the same command by another\n"
			     "  operator within 24 h carries it out (both are logged).\n"},
	{"officer", "disable", O_ACT | O_REASON, dpa_officer_state, "denpod officer disable HANDLE [--reason TEXT] [--operator NAME] --data DIR\n"
			       "  Every device of the officer is refused at once.  Needs two different\n"
			       "  operators, like device revoke.\n"},
	{"officer", "enable", O_ACT | O_REASON, dpa_officer_state, "denpod officer enable HANDLE [--reason TEXT] [--operator NAME] --data DIR\n"
			      "  Undoes officer disable (one operator).\n"},
	{"contain", "list", O_DATA | O_ALL | O_JSON, dpa_contain, "denpod contain list [--all] [--json] --data DIR\n"
			    "  The containment steps the switch took on its own (throttles, time-boxed\n"
			    "  suspensions): id, state, kind, device, officer, post, rule, since, until.\n"
			    "  --all: also the ones that lapsed or were undone.  --json: {\"steps\": [...]}.\n"},
	{"contain", "confirm", O_ACT | O_REASON, dpa_contain, "denpod contain confirm ID [--reason TEXT] [--operator NAME] --data DIR\n"
			       "  Keeps an automatic suspension beyond its time box: the device stays\n"
			       "  suspended until `denpod device reinstate` or revoke.  Unconfirmed\n"
			       "  suspensions lapse by themselves (suspend.seconds in detect.conf).\n"},
	{"contain", "undo", O_ACT | O_ALL | O_REASON, dpa_contain, "denpod contain undo ID... | --all [--reason TEXT] [--operator NAME] --data DIR\n"
			    "  Lifts automatic steps at once: the device is reinstated, the throttle\n"
			    "  lifted.  --all: every open step (a mass false alarm).  Logged.\n"},
	{"decoy", "list", O_DATA | O_JSON, dpa_decoy_list, "denpod decoy list [--json] --data DIR\n"
			  "  The decoy cables planted by DECOY officers (`denpo send --decoy`).\n"
			  "  --json: {\"decoys\": [...]}.\n"},
	{"detect", "check", O_DATA, dpa_detect_check, "denpod detect check [FILE] [--data DIR]\n"
			    "  Checks a detection configuration (default DIR/detect.conf) and prints\n"
			    "  the rules' modes and actions and every threshold in effect.  A running\n"
			    "  switch re-reads detect.conf on SIGHUP (and keeps the old one if the new\n"
			    "  one does not check).\n"},
	{"overdue", NULL, O_DATA | O_JSON, dpa_overdue, "denpod overdue [--json] --data DIR\n  Recipients past the handling-time objective.\n"},
	{"cable", "list", O_DATA | O_JSON, dpa_cable_list, "denpod cable list [--json] --data DIR\n"},
	{"cable", "restore", O_ACT, dpa_cable_restore, "denpod cable restore CABLE_ID FILE [--operator NAME] --data DIR\n"
			     "  Repairs a cable whose stored copy is damaged (denpod check lists them) from\n"
			     "  a good copy of its submission bytes: the sender's HOME/sent/ID.cable, a\n"
			     "  recipient's HOME/cache/ID.cable, or a backup.  The copy is used only if it\n"
			     "  hashes to the Envelope-Hash of the cable's cable-accepted log entry.\n"
			     "  Logged (admin CABLE-RESTORE).  Exit 0 restored (or intact already), 1 not.\n"},
	{"log", "checkpoint", O_DATA | O_JSON, dpa_log, "denpod log checkpoint [--json] --data DIR\n"
			      "  Prints the latest signed checkpoint of the transparency log.  --json:\n"
			      "  {\"origin\", \"size\", \"root\", \"note\", \"cosigners\": [...], \"signed\"}.\n"},
	{"log", "verify", O_DATA, dpa_log, "denpod log verify --data DIR\n"
			  "  Recomputes every leaf hash and tile from the stored entries and checks every\n"
			  "  stored checkpoint's root and signature.  Exit 0 if all is well, 1 (saying\n"
			  "  what is wrong) otherwise.\n"},
	{"log", "rollback", O_ACT | O_SIGNEDCP, dpa_log, "denpod log rollback [--signed-checkpoint FILE] [--operator NAME] --data DIR\n"
			    "  With the switch stopped: accepts a database restored from a backup older\n"
			    "  than what the signer signed (denpod run refuses it, saying so).  Only when no\n"
			    "  newer copy of the database exists: entries above the restored checkpoint are\n"
			    "  lost, and every device that saw a checkpoint above it reports a fork.\n"
			    "  Every post's MRN counter moves on by the entries lost, so no MRN handed\n"
			    "  out after the backup is handed out again.  Logged (admin LOG-ROLLBACK).\n"
			    "  --signed-checkpoint FILE: a signed checkpoint of this log a device saw (its\n"
			    "  log/checkpoint file); it stands in for signer.state when that is gone or\n"
			    "  behind (the larger is taken; the same size with another root is refused).\n"},
	{"log", "show", O_DATA | O_FROM | O_COUNT | O_JSON, dpa_log, "denpod log show [--from I] [--count N] [--json] --data DIR\n"
			"  Prints entries I.. (all by default), each after a \"# entry N\" line: who did\n"
			"  what to which cable, key or device, when and from where.  --json:\n"
			"  {\"entries\": [{\"index\", \"valid\", \"entry\", \"event\", \"time\", ...}]},\n"
			"  streamed entry by entry.\n"},
	{"config", "check", O_DATA | O_JSON, dpa_config_check, "denpod config check [--json] --data DIR\n"
			      "  Reads DIR/denpod.conf and DIR/detect.conf as `denpod run` does and prints\n"
			      "  every key in force, its value and \"(default)\" where it is the default.\n"
			      "  Needs no running switch.  Exit 0 if both files check, 1 (with each\n"
			      "  file's error: FILE:LINE: what) if not.\n"},
	{"operator", "add", O_ACT, dpa_operator, "denpod operator add NAME [--operator NAME] --data DIR\n"
			      "  An operator of `denpod console`: asks for the password (twice, without\n"
			      "  echo; or the first line of standard input when it is not a terminal),\n"
			      "  checks it with libpwquality (at least 12 characters) and keeps only its\n"
			      "  Argon2id hash, in the store.  Logged (admin OPERATOR-ADD by --operator).\n"},
	{"operator", "passwd", O_ACT, dpa_operator, "denpod operator passwd NAME [--operator NAME] --data DIR\n"
				 "  A new password for a console operator (asked as by add).  The operator's\n"
				 "  open console sessions end.  Logged (admin OPERATOR-PASSWD).\n"},
	{"operator", "remove", O_ACT, dpa_operator, "denpod operator remove NAME [--operator NAME] --data DIR\n"
				 "  The operator can no longer log in to the console; open sessions end.\n"
				 "  Logged (admin OPERATOR-REMOVE).\n"},
	{"operator", "list", O_DATA | O_JSON, dpa_operator, "denpod operator list [--json] --data DIR\n"
			       "  The console's operators (names only).\n"},
	{"console", NULL, O_DATA | O_LISTEN, dpa_console, "denpod console [--listen PORT] --data DIR\n"
			  "  The security office's and operators' web console, on 127.0.0.1 only (any\n"
			  "  free port unless --listen; from elsewhere, through an SSH tunnel): live\n"
			  "  alerts with their explanation, containment steps (undo, confirm), devices,\n"
			  "  two-operator acts and their approval, overdue cables by post, the log's\n"
			  "  checkpoint and the posts that witnessed it, fetch rates.  Operators log in\n"
			  "  with the password of `denpod operator add`; every act is logged as the\n"
			  "  CLI's is, by the operator logged in.  Runs beside `denpod run` (the same\n"
			  "  store) until SIGTERM/SIGINT.\n"},
	{"check", NULL, O_DATA, dpa_check, "denpod check --data DIR\n"
			"  The operator's fsck of the switch's database, beside a running switch (one\n"
			"  read snapshot) or a stopped one: SQLite's integrity_check, the whole\n"
			"  transparency log (as log verify), every stored cable's bytes against the\n"
			"  Envelope-Hash of its cable-accepted log entry, and the rows that point into\n"
			"  the log (each cable and device has its entry and says what it says; each\n"
			"  cable's delivery rows are the recipients its entries list).  Lists each\n"
			"  damaged copy with where it is.  Warns (not damage) of each post whose MRN\n"
			"  serial this year is past a tenth of its limit (docs/operations.md, \"MRN\n"
			"  serials\").  Exit 0: no damage; 1: damage found (see docs/operations.md,\n"
			"  \"Damage and recovery\"); 2: usage.\n"},
	{"backup", NULL, O_DATA, dpa_backup, "denpod backup DEST --data DIR\n"
			 "  Writes a backup into DEST, a new directory (an existing non-empty one is\n"
			 "  refused: a backup is never overwritten), beside a running switch, which\n"
			 "  goes on serving: the database from one consistent snapshot (SQLite's online\n"
			 "  backup), sign.key, tls.key, log.key, tls.crt, denpod.conf, detect.conf (if\n"
			 "  any) and a manifest (BACKUP: time, the log's checkpoint, each file's\n"
			 "  SHA-256).  DEST is 0700 and every file 0600 from the moment it is made.\n"
			 "  Not signer.state: it is the signer's memory of what it signed, which must\n"
			 "  stay ahead of an older restored log so that the loss is accepted (and\n"
			 "  logged) rather than signed over; not the alert or request logs.\n"
			 "  The copy is checked before it becomes DEST: `denpod check` on it (the\n"
			 "  database, the whole log under log.key, every cable) and the same public\n"
			 "  keys as the data directory.  Exit 0 (one line: size, log, time taken); 1\n"
			 "  (why) with nothing left at DEST, e.g. when the data directory is damaged.\n"},
	{"restore", NULL, O_ACT | O_LOST | O_SIGNEDCP, dpa_restore, "denpod restore SRC [--signed-checkpoint FILE | --lost N] [--operator NAME] --data DIR\n"
			  "  With the switch stopped (refused while denpod run uses DIR): checks the\n"
			  "  backup SRC (its manifest's hashes, `denpod check` on it, the same keys as\n"
			  "  DIR's), moves the files it replaces into DIR/before-restore-<UTC time>/,\n"
			  "  installs SRC's and keeps signer.state.  If the signer signed more than the\n"
			  "  backup holds, does what `denpod log rollback` does (LOG-ROLLBACK), raises\n"
			  "  every post's MRN counter to the replaced database's (by the entries lost if\n"
			  "  it cannot be read; so no MRN is handed out twice), and logs RESTORE.\n"
			  "  Without signer.state (a new machine), give --signed-checkpoint FILE: the\n"
			  "  highest checkpoint a device saw (a device's log/checkpoint file, checked\n"
			  "  under the backup's log.key; it must be above the backup's): it stands in\n"
			  "  for signer.state, so the LOG-ROLLBACK that\n"
			  "  `denpo log recover` needs is written.  Only if no device saw beyond the\n"
			  "  backup (or none is reachable): --lost N, the log entries lost (0: none).\n"},
	{"migrate", NULL, O_ACT | O_TO, dpa_migrate, "denpod migrate --to postgresql://USER@HOST[:PORT]/DB [--operator NAME] --data DIR\n"
			  "  Moves a SQLite switch to PostgreSQL, its log intact.  With the switch stopped\n"
			  "  (refused while denpod run uses DIR) and `denpod check` clean: copies every\n"
			  "  table into the database --to names, which must be empty (createdb), in one\n"
			  "  transaction; checks the copy (row counts; `denpod log verify` on it; the\n"
			  "  same log size and latest signed checkpoint, so devices see no fork); only\n"
			  "  then logs it (admin MIGRATE, by --operator NAME), commits and writes\n"
			  "  store=URI into denpod.conf.  DIR/denpod.db is left as it was:\n"
			  "  the way back is to remove that line.  On any failure nothing changes.\n"
			  "  The URI's password is never shown; keep it in ~/.pgpass or PGPASSWORD.\n"},
};

/* "--data DIR, --operator NAME, --help": the options cmd takes, for messages. */
static void opts_list(const struct cmd *cmd, FILE *f)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (cmd->opts & (1u << i))
			fprintf(f, "--%s%s%s, ", opts[i].name, opts[i].value ? " " : "",
				opts[i].value ? opts[i].value : "");
	fputs("--help", f);
}

/*
 * cmd's options and positional arguments from argv[first..argc) into *a.
 * -1 to go on, else the exit code (0 after --help, 2 on a usage error).
 */
static int parse_opts(const struct cmd *cmd, int argc, char **argv, int first, dpa_args *a)
{
	enum { BASE = 1000 };
	struct option lo[NOPTS + 2];
	size_t n = 0;
	for (size_t i = 0; i < NOPTS; i++)
		if (cmd->opts & (1u << i))
			lo[n++] = (struct option){opts[i].name, opts[i].value ? required_argument : no_argument,
						  NULL, BASE + (int)i};
	lo[n++] = (struct option){"help", no_argument, NULL, 'h'};
	lo[n] = (struct option){NULL, 0, NULL, 0};
	/* getopt_long from the last command word on, as if it were the program */
	int ac = argc - first + 1, o;
	char **av = argv + first - 1;
	char name[64];
	snprintf(name, sizeof name, "%s%s%s", cmd->w1, cmd->w2 ? " " : "", cmd->w2 ? cmd->w2 : "");
	optind = 0; /* GNU: start afresh */
	opterr = 0; /* the messages below name the command and its options */
	while ((o = getopt_long(ac, av, ":h", lo, NULL)) != -1) {
		if (o == 'h') {
			fputs(cmd->help, stdout);
			return 0;
		}
		if (o >= BASE && o < BASE + (int)NOPTS) {
			char *slot = (char *)a + opts[o - BASE].off;
			if (opts[o - BASE].value)
				memcpy(slot, &optarg, sizeof optarg);
			else
				*(int *)(void *)slot = 1;
			continue;
		}
		const char *bad = av[optind - 1];
		int blen = (int)strcspn(bad, "=");
		if (o == ':')
			fprintf(stderr, "denpod %s: %.*s needs a value\n", name, blen, bad);
		else if (optopt >= BASE)
			fprintf(stderr, "denpod %s: %.*s takes no value\n", name, blen, bad);
		else
			fprintf(stderr, "denpod %s: %.*s is not an option of this command\n", name, blen, bad);
		fprintf(stderr, "denpod %s takes: ", name);
		opts_list(cmd, stderr);
		fputs("\n", stderr);
		return 2;
	}
	for (int i = optind; i < ac; i++) {
		if (a->npos == (int)(sizeof a->pos / sizeof a->pos[0])) {
			fprintf(stderr, "denpod %s: too many arguments\n", name);
			return 2;
		}
		a->pos[a->npos++] = av[i];
	}
	return -1;
}

/* `denpod run`: the configuration of --data, then the server until a signal. */
static int run_switch(const dpa_args *a)
{
	dpc_config c;
	if (!a->data || !*a->data) {
		fprintf(stderr, "denpod: give --data DIR (or set DENPOD_DATA)\n");
		return 2;
	}
	if (dpc_load(&c, a->data))
		return 1;
	return dpd_run(&c) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0))
		return printf("denpod %s\n", DENPO_VERSION) < 0; /* DENPO_VERSION: from the Makefile */
	if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const struct cmd *cmd = NULL;
	int first = 2;
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0] && !cmd; i++) {
		if (strcmp(argv[1], cmds[i].w1) != 0)
			continue;
		if (!cmds[i].w2)
			cmd = &cmds[i];
		else if (argc > 2 && strcmp(argv[2], cmds[i].w2) == 0) {
			cmd = &cmds[i];
			first = 3;
		}
	}
	if (!cmd) {
		/* a command group without (or with a wrong) subcommand: its commands' help */
		int group = 0, help = argc > 2 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0);
		for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
			if (cmds[i].w2 && strcmp(argv[1], cmds[i].w1) == 0) {
				if (!group++ && !help)
					fprintf(stderr, "denpod: %s needs a subcommand:\n", argv[1]);
				fputs(cmds[i].help, help ? stdout : stderr);
			}
		if (group)
			return help ? 0 : 2;
		fprintf(stderr, "denpod: unknown command '%s%s%s'\n%s", argv[1], argc > 2 ? " " : "",
			argc > 2 ? argv[2] : "", usage);
		return 2;
	}
	dpa_args a;
	memset(&a, 0, sizeof a);
	a.data = getenv("DENPOD_DATA");
	int ec = parse_opts(cmd, argc, argv, first, &a);
	if (ec >= 0)
		return ec;
	if (sodium_init() < 0) {
		fprintf(stderr, "denpod: libsodium failed to initialise\n");
		return 1;
	}
	a.verb = cmd->w2;
	/* init and run take no positional argument; the others check their own */
	if (a.npos && (cmd->run == dpa_init || cmd->run == run_switch || cmd->run == dpa_console)) {
		fputs(cmd->help, stderr);
		return 2;
	}
	return cmd->run(&a);
}
