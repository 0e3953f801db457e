/*
 * denpo/main.c - the officer's command-line client: option dispatch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denpo/archive.h"
#include "denpo/cli.h"
#include "denpo/crypto.h"
#include "denpo/drafts.h"
#include "denpo/json.h"

/* DENPO_VERSION comes from the Makefile (VERSION, or git describe in a checkout). */
static int cmd_version(cli_ctx *x, int argc, char **argv)
{
	return printf("denpo %s\n", DENPO_VERSION) < 0 ? EXIT_ERR : EXIT_OK;
}

static const struct {
	const char *name;
	int (*fn)(cli_ctx *, int, char **);
	const char *what;
} cmds[] = {
	{"init", cmd_init, "create this device's keys and its enrolment request"},
	{"enrol", cmd_enrol, "import the operator's enrolment answer"},
	{"whoami", cmd_whoami, "show this device, officer, post and switch"},
	{"send", cmd_send, "draft, sign, encrypt and send a cable"},
	{"reply", cmd_reply, "answer a cable (REF, TO and classification taken from it)"},
	{"draft", cmd_draft, "drafts sealed on this device (as `denpo ui` keeps them): list, save, show, send, delete"},
	{"outbox", cmd_outbox, "cables waiting for the switch (queued offline): list, send, retry, delete"},
	{"retry", cmd_retry, "submit a saved cable again (same bytes): not yet accepted, or lost by the switch (--lost)"},
	{"inbox", cmd_inbox, "list cables waiting for this device, most urgent first"},
	{"archive", cmd_archive, "list every cable addressed to this device, newest first"},
	{"read", cmd_read, "fetch, decrypt, verify and display a cable"},
	{"ack", cmd_ack, "acknowledge a cable (read receipt)"},
	{"directory", cmd_directory, "posts, collectives and officers to address, and the ministry's markings"},
	{"status", cmd_status, "delivery and read receipts of a cable you sent"},
	{"sent", cmd_sent, "cables sent by you"},
	{"key", cmd_key, "this device's key epochs: status, rotate, publish ahead, export-identity"},
	{"purge", cmd_purge, "remove this device's copies of acknowledged cables"},
	{"records", cmd_records, "a records device's archive: sync, list, search, show, declassify, approve, hold, release, destroy, export"},
	{"audit", cmd_audit, "the transparency log: mirror it, who fetched what, breach reports"},
	{"ui", cmd_ui, "the browser interface: inbox, read, compose, receipts, on this device"},
	{"log", cmd_log, "after the switch was restored from a backup: recover (accept its rollback)"},
	{"device", cmd_device, "this officer's devices from the officer index: list, approve"},
	{"version", cmd_version, "print the version (also --version)"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: denpo [--home DIR] [--json] [--passphrase-file FILE] COMMAND [options]\n\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].what);
	fprintf(f, "\n`denpo COMMAND --help` describes each command.\n"
		   "State directory: --home DIR, else $DENPO_HOME, else ~/.denpo.\n"
		   "Passphrase: --passphrase-file FILE, else $DENPO_PASSPHRASE, else asked on the terminal.\n"
		   "Options: --opt VALUE or --opt=VALUE.\n"
		   "Exit codes: 0 ok; 1 error (network, switch refusal, disk, passphrase); 2 usage;\n"
		   "3 verification failure (a signature, a hash or the log does not check: a fork);\n"
		   "4 audit verify inconclusive (checked only under the evidence's own log key: give --log-key).\n");
}

int main(int argc, char **argv)
{
	cli_ctx x;
	memset(&x, 0, sizeof x);
	int i = 1;
	/* global options before the command */
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--json"))
			x.json = 1;
		else if (!strcmp(a, "--home") && i + 1 < argc)
			x.home_opt = argv[++i];
		else if (!strncmp(a, "--home=", 7))
			x.home_opt = a + 7;
		else if (!strcmp(a, "--passphrase-file") && i + 1 < argc)
			x.passfile = argv[++i];
		else if (!strncmp(a, "--passphrase-file=", 18))
			x.passfile = a + 18;
		else if (!strcmp(a, "--version"))
			return cmd_version(&x, 0, NULL);
		else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return EXIT_OK;
		} else {
			fprintf(stderr, "denpo: unknown option %s\n", a);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	dp_json_wipe_allocs(); /* a draft's text passes through jansson: wiped when freed */
	/* the network library is initialised by the first command that connects (cli_open_client) */
	if (dp_crypto_init()) {
		fprintf(stderr, "denpo: cannot initialise the crypto library\n");
		return EXIT_ERR;
	}
	int ec = -1;
	for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++)
		if (!strcmp(argv[i], cmds[k].name) || (!strcmp(argv[i], "enroll") && !strcmp(cmds[k].name, "enrol")) ||
		    (!strcmp(argv[i], "keys") && !strcmp(cmds[k].name, "key")))
			ec = cmds[k].fn(&x, argc - i, argv + i);
	if (ec < 0) {
		fprintf(stderr, "denpo: unknown command '%s'\n", argv[i]);
		usage(stderr);
		ec = EXIT_USAGE;
	}
	cli_close(&x);
	if (x.net_init)
		dp_client_global_cleanup();
	fflush(stdout);
	return ec;
}
