/*
 * denpod/signer.h - the log signer: the one process that holds log.key.
 *
 * `denpod run` splits in two, as OpenSSH's sshd does.  The parent becomes
 * the signer: it loads log.key (only after the fork, so no copy of it is
 * ever in the other process), makes itself non-dumpable, and answers the
 * child over a socketpair.  The child is the network process: TLS, HTTP,
 * the API, the database, the log's integrator; it runs sandboxed
 * (denpod/sandbox.h) and can neither read the key files nor reach the
 * signer's memory.  The signer parses no TLS, HTTP or SQL.
 *
 * The protocol (SOCK_SEQPACKET, one message per request and per answer, a
 * request at a time):
 *
 *   HELLO  the network process's latest stored checkpoint (or none), once,
 *          first.  Answer: the log's public key, and the tree the signer
 *          signed last (size, root).  That tree comes from the signer's own
 *          state file (DIR/signer.state, which the network process cannot
 *          open); only if there is none yet (the first start) does the
 *          signer take the stored checkpoint, after checking its signature.
 *   SIGN   (size, root), a consistency proof from the tree signed last, and
 *          the officer index's root (denpo/devindex.h), which the note
 *          carries as its extension line "officer-index <b64>".
 *          Signed only if the proof shows that the new tree extends that
 *          one (RFC 9162 §2.1.4): a network process taken over can append
 *          to the log but never get a fork or a rollback signed.  The new
 *          tree is written to signer.state (fsync) before the note is
 *          answered.  Answer: the signed checkpoint note.  The signer
 *          cannot recompute the index (it reads no entries); it refuses a
 *          second index root for the size it signed last, so one run of it
 *          signs one note per tree.
 *
 *
 * Three requests concern the service, not the log (denpod/notify.h):
 *
 *   READY  the network process listens and its log is open: the signer
 *          sends systemd READY=1.  Answer: a status byte.
 *   ALIVE  the network process's event loop turns: WATCHDOG=1.
 *   REOPEN the alert file again (SIGHUP, after logrotate moved it away):
 *          the signer opens the path of its own configuration (the request
 *          names none), creating it 0600, and passes the descriptor with
 *          the answer (SCM_RIGHTS).  The network process cannot create
 *          files (Landlock, denpod/sandbox.h), so a file made anew has to
 *          come from outside its sandbox; letting it create files in the
 *          alert file's directory would let a taken-over network process
 *          fill or replace files there (the data directory holds the keys
 *          and signer.state).  Answer: a status byte, and the descriptor.
 *
 * Errors (the status byte of an answer): DP_ESTATE (the tree does not
 * extend the last one, or HELLO came twice or SIGN before HELLO),
 * DP_EPARSE (a malformed request), DP_EIO (signer.state could not be
 * written: nothing was signed), DP_ESIG (HELLO's checkpoint does not
 * verify under the log key).
 */
#ifndef DENPOD_SIGNER_H
#define DENPOD_SIGNER_H

#include <stdint.h>
#include <sys/types.h>

#include "denpo/tlog.h"
#include "denpod/config.h"
#include "denpod/store.h"

#define DPSG_MSG_MAX 4096 /* bytes of any request or answer */

/* What HELLO answers: the log's key and the tree the signer signed last. */
typedef struct {
	uint8_t pk[32];
	uint64_t size;
	uint8_t root[DP_TLOG_HASH];
} dpsg_state;

/* ---- the network process's side (any thread: requests are taken one at a time) ---- */

/* latest: the stored latest checkpoint, NULL if none. */
int dpsg_hello(int fd, const dps_checkpoint *latest, dpsg_state *out) DP_WUR;
/*
 * The signed checkpoint of (size, root) with the officer index's root
 * iroot as its extension line, given the consistency proof from the tree
 * signed last (n = 0 if that was size 0 or this very size).  out->t is
 * when it was signed.
 */
int dpsg_sign(int fd, uint64_t size, const uint8_t root[DP_TLOG_HASH], const uint8_t iroot[DP_TLOG_HASH],
	     const uint8_t (*proof)[DP_TLOG_HASH], size_t n, dps_checkpoint *out) DP_WUR;

/* READY: the switch serves (systemd READY=1).  DP_EIO if the signer is gone. */
int dpsg_ready(int fd) DP_WUR;
/* ALIVE: the loop turns (systemd WATCHDOG=1).  DP_EIO if the signer is gone. */
int dpsg_alive(int fd) DP_WUR;
/*
 * REOPEN: *out = a new descriptor of the alert file (the caller's to
 * close).  DP_ENOTFOUND if none is configured (alerts_file=none), DP_EIO
 * if the signer could not open it (it says why) or is gone.
 */
int dpsg_reopen(int fd, int *out) DP_WUR;

/* ---- the signer's side ---- */

/*
 * The signer (the parent of `denpod run`, after the fork): loads log.key,
 * answers fd until the network process `child` exits, forwards SIGTERM,
 * SIGINT and SIGHUP to it (telling systemd STOPPING=1 before SIGTERM and
 * SIGINT).  Returns 0 if the child exited 0, else 1 (saying
 * why, e.g. "killed by SIGSYS: a system call outside its allowlist").
 */
int dpsg_run(const dpc_config *cfg, int fd, pid_t child);
/*
 * One request in `req` (n bytes) answered into `ans` (*an bytes): the
 * signer's whole policy, without I/O but the state file (for tests).
 */
typedef struct dpsg_signer dpsg_signer;
int dpsg_signer_new(dpsg_signer **out, const dpc_config *cfg) DP_WUR;
void dpsg_signer_free(dpsg_signer *k);
void dpsg_answer(dpsg_signer *k, const uint8_t *req, size_t n, uint8_t *ans, size_t *an);

/*
 * signer.state (DIR/signer.state, 0600): the tree the signer signed last.
 * Read: DP_ENOTFOUND if absent, DP_EPARSE (said) if damaged or another
 * log's.  Written atomically and durably.  `denpod log rollback` is the
 * only other writer (an operator accepting a restored, older log).
 */
int dpsg_state_get(const dpc_config *cfg, uint64_t *size, uint8_t root[DP_TLOG_HASH]) DP_WUR;
int dpsg_state_put(const dpc_config *cfg, uint64_t size, const uint8_t root[DP_TLOG_HASH]) DP_WUR;

/*
 * The signer's policy on a thread of the calling process, for the tests and
 * benchmarks that open the log in-process: *fd is the network side's
 * socket, valid until dpsg_thread_stop (which closes it).  denpod run never
 * uses it: there the signer is another process.
 */
typedef struct dpsg_thread dpsg_thread;
int dpsg_thread_start(const dpc_config *cfg, dpsg_thread **out, int *fd) DP_WUR;
void dpsg_thread_stop(dpsg_thread *t);

#endif
