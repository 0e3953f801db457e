/*
 * denpod - the switch.  `denpod help` lists the commands.
 * Exit codes: 0 ok, 1 error, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "denpod/admin.h"
#include "denpod/server.h"

static const char usage[] =
	"usage: denpod COMMAND [options]   (--data DIR defaults to $DENPOD_DATA)\n"
	"  init --data DIR [--url https://127.0.0.1:8443] [--listen 127.0.0.1:8443] [--origin NAME]\n"
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
	"Commands that change the switch are logged with --operator NAME (default\n"
	"$DENPOD_OPERATOR, else the login name).  Every command takes --help.\n";

struct cmd {
	const char *w1, *w2; /* command words */
	const char *help;
};

static const struct cmd cmds[] = {
	{"init", NULL, "denpod init --data DIR [--url URL] [--listen HOST:PORT] [--origin NAME]\n"
		       "  Makes a new switch: keys (sign.key, tls.key, log.key), TLS certificate,\n"
		       "  database, configuration.  --origin names the transparency log in its\n"
		       "  checkpoints (default: the URL's host:port + \"/denpo-log\").\n"},
	{"run", NULL, "denpod run --data DIR\n  Serves the HTTPS API until SIGTERM/SIGINT, and signs the\n"
		      "  transparency log (it refuses to start if the stored log does not check).\n"},
	{"post", "add", "denpod post add NAME [--hq] [--tz ZONE] [--operator NAME] --data DIR\n"},
	{"collective", "add", "denpod collective add NAME POST... [--operator NAME] --data DIR\n"
			      "  A collective address (e.g. \"ALL POSTS\") expanding to posts.\n"},
	{"officer", "add", "denpod officer add HANDLE --post P --clearance C [--captions A,B] "
			   "[--roles R,S] [--name \"Full Name\"] [--operator NAME] --data DIR\n"
			   "  Role AUDIT lets the officer's devices read the log's entry bundles.\n"},
	{"officer", "list", "denpod officer list --data DIR\n"},
	{"approve", NULL, "denpod approve REQUEST_FILE --out ANSWER_FILE [--expect FINGERPRINT] "
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
	{"device", "list", "denpod device list --data DIR\n"
			   "  Each device with its status and current key epoch (or \"no current key\").\n"},
	{"device", "suspend", "denpod device suspend DEVICE [--reason TEXT] [--operator NAME] --data DIR\n"
			      "  Takes effect at once; logged.\n"},
	{"device", "reinstate", "denpod device reinstate DEVICE [--reason TEXT] [--operator NAME] "
				"--data DIR\n"},
	{"device", "revoke", "denpod device revoke DEVICE [--reason TEXT] [--operator NAME] --data DIR\n"
			     "  Final; also retires the device's keys in the log.  Needs two different\n"
			     "  operators: the first run records the request, the same command by another\n"
			     "  operator within 24 h carries it out (both are logged).\n"},
	{"officer", "disable", "denpod officer disable HANDLE [--reason TEXT] [--operator NAME] --data DIR\n"
			       "  Every device of the officer is refused at once.  Needs two different\n"
			       "  operators, like device revoke.\n"},
	{"officer", "enable", "denpod officer enable HANDLE [--reason TEXT] [--operator NAME] --data DIR\n"
			      "  Undoes officer disable (one operator).\n"},
	{"contain", "list", "denpod contain list [--all] --data DIR\n"
			    "  The containment steps the switch took on its own (throttles, time-boxed\n"
			    "  suspensions): id, state, kind, device, officer, post, rule, since, until.\n"
			    "  --all: also the ones that lapsed or were undone.\n"},
	{"contain", "confirm", "denpod contain confirm ID [--reason TEXT] [--operator NAME] --data DIR\n"
			       "  Keeps an automatic suspension beyond its time box: the device stays\n"
			       "  suspended until `denpod device reinstate` or revoke.  Unconfirmed\n"
			       "  suspensions lapse by themselves (suspend.seconds in detect.conf).\n"},
	{"contain", "undo", "denpod contain undo ID... | --all [--reason TEXT] [--operator NAME] --data DIR\n"
			    "  Lifts automatic steps at once: the device is reinstated, the throttle\n"
			    "  lifted.  --all: every open step (a mass false alarm).  Logged.\n"},
	{"decoy", "list", "denpod decoy list --data DIR\n"
			  "  The decoy cables planted by DECOY officers (`denpo send --decoy`).\n"},
	{"detect", "check", "denpod detect check [FILE] [--data DIR]\n"
			    "  Checks a detection configuration (default DIR/detect.conf) and prints\n"
			    "  the rules' modes and actions and every threshold in effect.  A running\n"
			    "  switch re-reads detect.conf on SIGHUP (and keeps the old one if the new\n"
			    "  one does not check).\n"},
	{"overdue", NULL, "denpod overdue --data DIR\n  Recipients past the handling-time objective.\n"},
	{"cable", "list", "denpod cable list --data DIR\n"},
	{"cable", "restore", "denpod cable restore CABLE_ID FILE [--operator NAME] --data DIR\n"
			     "  Repairs a cable whose stored copy is damaged (denpod check lists them) from\n"
			     "  a good copy of its submission bytes: the sender's HOME/sent/ID.cable, a\n"
			     "  recipient's HOME/cache/ID.cable, or a backup.  The copy is used only if it\n"
			     "  hashes to the Envelope-Hash of the cable's cable-accepted log entry.\n"
			     "  Logged (admin CABLE-RESTORE).  Exit 0 restored (or intact already), 1 not.\n"},
	{"log", "checkpoint", "denpod log checkpoint --data DIR\n"
			      "  Prints the latest signed checkpoint of the transparency log.\n"},
	{"log", "verify", "denpod log verify --data DIR\n"
			  "  Recomputes every leaf hash and tile from the stored entries and checks every\n"
			  "  stored checkpoint's root and signature.  Exit 0 if all is well, 1 (saying\n"
			  "  what is wrong) otherwise.\n"},
	{"log", "rollback", "denpod log rollback [--operator NAME] --data DIR\n"
			    "  With the switch stopped: accepts a database restored from a backup older\n"
			    "  than what the signer signed (denpod run refuses it, saying so).  Only when no\n"
			    "  newer copy of the database exists: entries above the restored checkpoint are\n"
			    "  lost, and every device that saw a checkpoint above it reports a fork.\n"
			    "  Logged (admin LOG-ROLLBACK).\n"},
	{"log", "show", "denpod log show [--from I] [--count N] --data DIR\n"
			"  Prints entries I.. (all by default), each after a \"# entry N\" line: who did\n"
			"  what to which cable, key or device, when and from where.\n"},
	{"check", NULL, "denpod check --data DIR\n"
			"  The operator's fsck of the switch's database, beside a running switch (one\n"
			"  read snapshot) or a stopped one: SQLite's integrity_check, the whole\n"
			"  transparency log (as log verify), every stored cable's bytes against the\n"
			"  Envelope-Hash of its cable-accepted log entry, and the rows that point into\n"
			"  the log (each cable and device has its entry and says what it says; each\n"
			"  cable's delivery rows are the recipients its entries list).  Lists each\n"
			"  damaged copy with where it is.  Exit 0: no damage; 1: damage found (see\n"
			"  docs/operations.md, \"Damage and recovery\"); 2: usage.\n"},
};

/* Options taking a value, and where they go. */
static const char **opt_slot(dpa_args *a, const char *name)
{
	static const struct {
		const char *name;
		size_t off;
	} opts[] = {
		{"--data", offsetof(dpa_args, data)},	      {"--url", offsetof(dpa_args, url)},
		{"--listen", offsetof(dpa_args, listen)},     {"--tz", offsetof(dpa_args, tz)},
		{"--post", offsetof(dpa_args, post)},	      {"--clearance", offsetof(dpa_args, clearance)},
		{"--captions", offsetof(dpa_args, captions)}, {"--roles", offsetof(dpa_args, roles)},
		{"--name", offsetof(dpa_args, name)},	      {"--out", offsetof(dpa_args, out)},
		{"--operator", offsetof(dpa_args, operator_)}, {"--origin", offsetof(dpa_args, origin)},
		{"--reason", offsetof(dpa_args, reason)},     {"--from", offsetof(dpa_args, from)},
		{"--count", offsetof(dpa_args, count)},
		{"--expect", offsetof(dpa_args, expect)},
	};
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		if (strcmp(name, opts[i].name) == 0)
			return (const char **)((char *)a + opts[i].off);
	return NULL;
}

int main(int argc, char **argv)
{
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
	for (int i = first; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			fputs(cmd->help, stdout);
			return 0;
		}
		if (strcmp(arg, "--hq") == 0) {
			a.hq = 1;
			continue;
		}
		if (strcmp(arg, "--all") == 0) {
			a.all = 1;
			continue;
		}
		const char **slot = opt_slot(&a, arg);
		if (slot) {
			if (i + 1 >= argc) {
				fprintf(stderr, "denpod: %s needs a value\n%s", arg, cmd->help);
				return 2;
			}
			*slot = argv[++i];
			continue;
		}
		if (arg[0] == '-' && arg[1] == '-') {
			fprintf(stderr, "denpod: unknown option %s\n%s", arg, cmd->help);
			return 2;
		}
		if (a.npos == (int)(sizeof a.pos / sizeof a.pos[0])) {
			fprintf(stderr, "denpod: too many arguments\n");
			return 2;
		}
		a.pos[a.npos++] = arg;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "denpod: libsodium failed to initialise\n");
		return 1;
	}
	const char *w = cmd->w1, *w2 = cmd->w2 ? cmd->w2 : "";
	if (strcmp(w, "init") == 0)
		return a.npos ? (fputs(cmd->help, stderr), 2) : dpa_init(&a);
	if (strcmp(w, "run") == 0) {
		dpc_config c;
		if (a.npos) {
			fputs(cmd->help, stderr);
			return 2;
		}
		if (!a.data || !*a.data) {
			fprintf(stderr, "denpod: give --data DIR (or set DENPOD_DATA)\n");
			return 2;
		}
		if (dpc_load(&c, a.data))
			return 1;
		return dpd_run(&c) ? 1 : 0;
	}
	if (strcmp(w, "post") == 0)
		return dpa_post_add(&a);
	if (strcmp(w, "collective") == 0)
		return dpa_collective_add(&a);
	if (strcmp(w, "officer") == 0)
		return strcmp(w2, "add") == 0	 ? dpa_officer_add(&a)
		       : strcmp(w2, "list") == 0 ? dpa_officer_list(&a)
						 : dpa_officer_state(&a, w2);
	if (strcmp(w, "contain") == 0)
		return dpa_contain(&a, w2);
	if (strcmp(w, "decoy") == 0)
		return dpa_decoy_list(&a);
	if (strcmp(w, "detect") == 0)
		return dpa_detect_check(&a);
	if (strcmp(w, "approve") == 0)
		return dpa_approve(&a);
	if (strcmp(w, "device") == 0)
		return dpa_device(&a, w2);
	if (strcmp(w, "overdue") == 0)
		return dpa_overdue(&a);
	if (strcmp(w, "log") == 0)
		return dpa_log(&a, w2);
	if (strcmp(w, "check") == 0)
		return dpa_check(&a);
	if (strcmp(w, "cable") == 0 && strcmp(w2, "restore") == 0)
		return dpa_cable_restore(&a);
	return dpa_cable_list(&a);
}
