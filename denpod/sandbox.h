/*
 * denpod/sandbox.h - what the network process may still do once it serves.
 *
 * The network process (the child of `denpod run`, denpod/signer.h) parses
 * TLS and HTTP from anyone.  Once it has opened everything it needs (the
 * database, the listeners, the alert outputs) and started its threads,
 * dpd_sandbox_enter confines it for good, every thread of it:
 *
 *   files     (Landlock) it may read and write the database files, read
 *             denpod.conf, detect.conf, the time zone files and the
 *             resolver's files, and list the data directory; it creates
 *             no file (the alert file is open before, and a rotated one
 *             comes from the signer: signer.h, REOPEN); nothing else: not
 *             the key files (log.key,
 *             sign.key, tls.key), not the signer's state, not /proc of
 *             another process.  A kernel without Landlock is said once at
 *             start (the seccomp filter and the signer's own protections
 *             still hold).
 *   syscalls  (seccomp, libseccomp) an allowlist: what the loop, the batch
 *             writer, the log integrator, the verify pool, the scrub, the
 *             syslog sender and their libraries call while serving.  No process or thread is created, nothing executed,
 *             no other process traced.  Any other system call kills the
 *             process (SIGSYS) after a line that names it; the signer
 *             reports the death.
 *
 * Every thread: seccomp's filter is installed on all threads at once
 * (TSYNC), but Landlock confines only the thread that asks, so each thread
 * started before the sandbox is asked in turn, by SIGRTMIN, to confine
 * itself (sandbox.c, on_thread); a thread that cannot, or does not answer
 * within 5 s, and the switch does not serve.  What that asks of the
 * process's threads: none blocks SIGRTMIN (dpd_sandbox_prepare, before the
 * first thread, unblocks it in every thread made after), none is made
 * after dpd_sandbox_enter (the filter forbids it anyway), and each takes
 * one EINTR once at start (a poll, a sleep, a socket with a timeout:
 * syslog_tls.c's cut_by_signal).  Afterwards SIGRTMIN is ignored.
 *
 * Both need no privilege (no_new_privs is set first).  The allowlist is
 * the one place to add a call that a new feature needs.  The SAN=1 test
 * build confines itself only if $DENPOD_SAN_SANDBOX is set: LeakSanitizer's
 * exit check traces the process's threads, which the filter forbids.
 */
#ifndef DENPOD_SANDBOX_H
#define DENPOD_SANDBOX_H

#include "denpod/config.h"

/*
 * Confine the calling process (all its threads).  DP_ECRYPTO (named so by
 * its message) if the seccomp filter cannot be installed: the switch must
 * not serve unconfined.  For tests/it_privsep.sh, $DENPOD_TEST_SANDBOX=ptrace
 * makes the process try to trace the signer right after (a forbidden call:
 * it dies), and =open-keys try to open the key files and say what happened.
 */
int dpd_sandbox_enter(const dpc_config *cfg) DP_WUR;
/* Before the network process makes its first thread: SIGRTMIN unblocked (inherited by each). */
void dpd_sandbox_prepare(void);

#endif
