/*
 * denpo/session.c - one unlocked, connected session for the life of a
 * long-lived process: `denpo inbox --watch`, `denpo ui`, `denpo outbox
 * send` (denpo/cli.h, cli_session_open).
 *
 * The session is the command context itself: the keystore unlocked once
 * (x->ks, its passphrase x->pass), the switch's enrolment answer, and one
 * client (x->cl: one libcurl handle, its connection kept alive between
 * requests, lib/client.c), all of it wiped by cli_close when main returns.
 * What this file adds for a process that lives for hours: it cannot dump
 * core, and SIGINT, SIGTERM and SIGHUP end it through that same return
 * rather than killing it with its keys in memory -- the handler only sets
 * a flag (and writes a byte an event loop wakes on: cli_stop_fd); the
 * client abandons a request under way within a second (a 60-second long
 * poll included: dp_client_set_stop), the loops see the flag and return,
 * and main wipes everything (cli_close) on the way out.
 *
 * What a session saves, measured by bench/client_cost.sh: a one-shot
 * `denpo read` pays for loading ~40 libraries, OpenSSL's and libcurl's
 * initialisation, unlocking the keystore, the device's certificate and a
 * TLS handshake before its first request; in a session each action pays
 * for its requests alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "denpo/cli.h"

static volatile sig_atomic_t stop;
/* a byte written at the signal: an event loop (denpo ui) wakes on its read end */
static int stop_pipe[2] = {-1, -1};

static void on_stop(int sig)
{
	(void)sig;
	int e = errno;
	stop = 1;
	if (stop_pipe[1] >= 0) {
		ssize_t n = write(stop_pipe[1], "", 1); /* full: one byte is enough to wake the loop */
		(void)n;
	}
	errno = e;
}

const volatile sig_atomic_t *cli_stop_flag(void) { return &stop; }

int cli_stopping(void) { return stop != 0; }

int cli_stop_fd(void) { return stop_pipe[0]; }

int cli_session_open(cli_ctx *x)
{
	/* nothing this process holds may reach a core file */
	struct rlimit none = {0, 0};
	setrlimit(RLIMIT_CORE, &none);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (stop_pipe[0] < 0 && pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return cli_fail(x, DP_EIO, NULL, "cannot make a pipe");
	/* no SA_RESTART: a sleep between retries ends at the signal too */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (sigaction(sigs[i], &sa, NULL) != 0)
			return cli_fail(x, DP_EIO, NULL, "cannot catch signal %d", sigs[i]);
	return cli_open_client(x);
}
