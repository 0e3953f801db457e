/*
 * denpod/signer.c - the log signer process and its client (signer.h).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "denpo/devindex.h"
#include "denpo/encoding.h"
#include "denpo/epoch.h"
#include "denpod/alerts.h"
#include "denpod/notify.h"
#include "denpod/signer.h"

enum { OP_HELLO = 1, OP_SIGN = 2, OP_READY = 3, OP_ALIVE = 4, OP_REOPEN = 5 };
#define STATE_FILE "signer.state"
#define STATE_MAGIC "DENPO-SIGNER/1"

/* ---- wire helpers ---- */

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* ---- the signer ---- */

struct dpsg_signer {
	dpc_config cfg;
	uint8_t *sk; /* log.key, sodium memory */
	dp_note_vkey vk;
	int hello;   /* HELLO answered: the state below is the one in force */
	const char *why; /* the last refusal, for the log line */
	uint64_t size;
	uint8_t root[DP_TLOG_HASH];
	int has_iroot; /* the officer index's root signed with (size, root) by this run */
	uint8_t iroot[DP_TLOG_HASH];
};

int dpsg_state_get(const dpc_config *cfg, uint64_t *size_out, uint8_t root_out[DP_TLOG_HASH])
{
	char path[DPC_PATH_MAX], origin[DP_NOTE_NAME_MAX + 1], root[80];
	unsigned long long size;
	uint8_t rt[DP_TLOG_HASH];
	dp_buf b;
	int r = dpc_path(cfg, STATE_FILE, path, sizeof path);
	if (r)
		return r;
	if (access(path, F_OK) != 0)
		return errno == ENOENT ? DP_ENOTFOUND : DP_EIO;
	dp_buf_init(&b, 4096);
	r = dp_read_file(path, &b);
	if (!r && dp_buf_putc(&b, 0))
		r = DP_ENOMEM;
	/* written by the signer only: a damaged file is a stop, never a guess */
	if (!r && (sscanf((const char *)b.p, STATE_MAGIC "\norigin %255s\nsize %llu\nroot %79s\n", origin,
			  &size, root) != 3 ||
		   strcmp(origin, cfg->log_origin) != 0 ||
		   dp_hex_decode(rt, sizeof rt, root, strlen(root)) != DP_OK))
		r = DP_EPARSE;
	if (!r) {
		*size_out = size;
		memcpy(root_out, rt, DP_TLOG_HASH);
	}
	dp_buf_free(&b);
	if (r)
		fprintf(stderr, "denpod: signer: %s is unreadable or not this log's (%s): the signer "
				"will not sign until it is repaired (docs/operations.md, \"Back up and "
				"restore\")\n", path, dp_strerror(r));
	return r;
}

int dpsg_state_put(const dpc_config *cfg, uint64_t size, const uint8_t root[DP_TLOG_HASH])
{
	char path[DPC_PATH_MAX], text[512], hex[2 * DP_TLOG_HASH + 1];
	int r = dpc_path(cfg, STATE_FILE, path, sizeof path);
	if (r)
		return r;
	dp_hex_encode(hex, root, DP_TLOG_HASH);
	int n = snprintf(text, sizeof text, STATE_MAGIC "\norigin %s\nsize %llu\nroot %s\n",
			 cfg->log_origin, (unsigned long long)size, hex);
	/* atomic and durable (fsync, rename, fsync of the directory) */
	r = n > 0 && (size_t)n < sizeof text ? dp_write_file(path, text, (size_t)n, 0600, 0) : DP_ETOOBIG;
	if (r)
		fprintf(stderr, "denpod: signer: cannot write %s (%s): nothing signed\n", path,
			dp_strerror(r));
	return r;
}

static int state_read(dpsg_signer *k)
{
	return dpsg_state_get(&k->cfg, &k->size, k->root);
}

static int state_write(const dpsg_signer *k, uint64_t size, const uint8_t root[DP_TLOG_HASH])
{
	return dpsg_state_put(&k->cfg, size, root);
}

int dpsg_signer_new(dpsg_signer **out, const dpc_config *cfg)
{
	dpsg_signer *k = calloc(1, sizeof *k);
	uint8_t pk[32];
	*out = NULL;
	if (!k)
		return DP_ENOMEM;
	k->cfg = *cfg;
	int r = dpc_key_load(cfg, "log.key", &k->sk, pk);
	if (!r && (r = dp_note_vkey_make(&k->vk, cfg->log_origin, DP_NOTE_ED25519, pk)))
		fprintf(stderr, "denpod: log_origin=%s in denpod.conf is not a valid key name\n",
			cfg->log_origin);
	if (r) {
		dpsg_signer_free(k);
		return r;
	}
	*out = k;
	return DP_OK;
}

void dpsg_signer_free(dpsg_signer *k)
{
	if (!k)
		return;
	dpc_key_free(k->sk);
	sodium_memzero(k, sizeof *k);
	free(k);
}

/* The signed note of (size, root) and the index root into c (t = now). */
static int sign_note(const dpsg_signer *k, uint64_t size, const uint8_t root[DP_TLOG_HASH],
		     const uint8_t iroot[DP_TLOG_HASH], dps_checkpoint *c)
{
	dp_checkpoint cp;
	dp_buf b;
	memset(&cp, 0, sizeof cp);
	snprintf(cp.origin, sizeof cp.origin, "%s", k->cfg.log_origin);
	cp.size = size;
	memcpy(cp.root, root, DP_TLOG_HASH);
	dp_buf_init(&b, DPS_NOTE_MAX);
	int r = dp_checkpoint_format(&b, &cp);
	if (!r)
		r = dp_devindex_line_format(&b, iroot);
	size_t tl = b.len;
	if (!r)
		r = dp_buf_putc(&b, '\n');
	if (!r)
		r = dp_note_sign_line(&b, (const char *)b.p, tl, k->cfg.log_origin, k->sk);
	if (!r) {
		memset(c, 0, sizeof *c);
		c->size = size;
		memcpy(c->root, root, DP_TLOG_HASH);
		c->t = dp_now();
		memcpy(c->note, b.p, b.len);
		c->note[b.len] = 0;
		c->note_len = b.len;
	}
	dp_buf_free(&b);
	return r;
}

/* HELLO: the state in force, from signer.state or (first start) the stored checkpoint. */
static int hello(dpsg_signer *k, const uint8_t *p, size_t n)
{
	if (k->hello) {
		k->why = "HELLO came twice (a network process cannot reset what was signed)";
		return DP_ESTATE;
	}
	if (n < 3)
		return DP_EPARSE;
	int has = p[0];
	size_t nl = (size_t)p[1] << 8 | p[2];
	if (has > 1 || nl != n - 3 || nl > DPS_NOTE_MAX || (!has && nl))
		return DP_EPARSE;
	int r = state_read(k);
	if (r == DP_OK) {
		k->hello = 1;
		return DP_OK;
	}
	if (r != DP_ENOTFOUND)
		return r;
	/* the first start: the network process has faced no one yet, its database is the truth */
	if (!has) {
		k->size = 0;
		dp_tlog_empty_root(k->root);
	} else {
		int verified = 0;
		size_t tl = 0;
		dp_checkpoint cp;
		r = dp_note_open((const char *)p + 3, nl, &k->vk, 1, &verified, NULL, &tl);
		if (!r)
			r = dp_checkpoint_parse(&cp, (const char *)p + 3, tl);
		if (!r && strcmp(cp.origin, k->vk.name) != 0)
			r = DP_ESIG;
		if (r)
			return r == DP_EPARSE ? DP_ESIG : r;
		k->size = cp.size;
		memcpy(k->root, cp.root, DP_TLOG_HASH);
	}
	r = state_write(k, k->size, k->root);
	if (!r)
		k->hello = 1;
	return r;
}

/* SIGN: only a tree that extends the one signed last. */
static int sign(dpsg_signer *k, const uint8_t *p, size_t n, dps_checkpoint *c)
{
	k->why = "it does not extend the tree signed last";
	if (!k->hello) {
		k->why = "SIGN before HELLO";
		return DP_ESTATE;
	}
	if (n < 8 + DP_TLOG_HASH + 1)
		return DP_EPARSE;
	uint64_t size = get64(p);
	const uint8_t *root = p + 8;
	size_t np = p[8 + DP_TLOG_HASH];
	if (np > DP_TLOG_PROOF_MAX || n != 8 + DP_TLOG_HASH + 1 + np * DP_TLOG_HASH + DP_TLOG_HASH)
		return DP_EPARSE;
	const uint8_t *iroot = p + 8 + DP_TLOG_HASH + 1 + np * DP_TLOG_HASH;
	uint8_t proof[DP_TLOG_PROOF_MAX][DP_TLOG_HASH];
	memcpy(proof, p + 8 + DP_TLOG_HASH + 1, np * DP_TLOG_HASH);
	if (size < k->size) {
		k->why = "it is smaller than the tree signed last (a rollback)";
		return DP_ESTATE;
	}
	if (size == k->size) {
		/* the same tree again (Ed25519 is deterministic: the same note) or a fork */
		if (np || sodium_memcmp(root, k->root, DP_TLOG_HASH) != 0)
			return DP_ESTATE;
		if (k->has_iroot && sodium_memcmp(iroot, k->iroot, DP_TLOG_HASH) != 0) {
			k->why = "it names another officer index for the tree signed last";
			return DP_ESTATE;
		}
	} else if (k->size == 0) {
		if (np)
			return DP_ESTATE; /* every tree extends the empty one: no proof to give */
	} else if (dp_tlog_verify_consistency(k->size, size, k->root, root,
					      (const uint8_t(*)[DP_TLOG_HASH])proof, np) != DP_OK) {
		return DP_ESTATE;
	}
	int r = sign_note(k, size, root, iroot, c);
	/* durable before it is handed out: a restart never forgets what it signed */
	if (!r && size != k->size)
		r = state_write(k, size, root);
	if (!r) {
		k->size = size;
		memcpy(k->root, root, DP_TLOG_HASH);
		memcpy(k->iroot, iroot, DP_TLOG_HASH);
		k->has_iroot = 1;
	}
	return r;
}

void dpsg_answer(dpsg_signer *k, const uint8_t *req, size_t n, uint8_t *ans, size_t *an)
{
	int r = DP_EPARSE;
	dps_checkpoint c;
	*an = 1;
	if (n >= 1 && req[0] == OP_HELLO) {
		r = hello(k, req + 1, n - 1);
		if (!r) {
			memcpy(ans + 1, k->vk.pub, 32);
			put64(ans + 33, k->size);
			memcpy(ans + 41, k->root, DP_TLOG_HASH);
			*an = 41 + DP_TLOG_HASH;
		}
	} else if (n >= 1 && req[0] == OP_SIGN) {
		r = sign(k, req + 1, n - 1, &c);
		if (!r) {
			put64(ans + 1, (uint64_t)c.t);
			ans[9] = (uint8_t)(c.note_len >> 8);
			ans[10] = (uint8_t)c.note_len;
			memcpy(ans + 11, c.note, c.note_len);
			*an = 11 + c.note_len;
		}
	}
	if (r && r != DP_EIO)
		fprintf(stderr, "denpod: signer: refused a %s request: %s\n",
			n && req[0] == OP_SIGN ? "SIGN" : n && req[0] == OP_HELLO ? "HELLO" : "malformed",
			r == DP_ESTATE && k->why ? k->why : dp_strerror(r));
	ans[0] = (uint8_t)-r; /* DP_E* codes are small and negative */
}

/* ---- the process ---- */

static const char *signame(int sig)
{
	const char *s = sigabbrev_np(sig);
	return s ? s : "?";
}

/* An answer, with the descriptor `pass` attached if it is >= 0 (SCM_RIGHTS). */
static ssize_t send_fd(int fd, const uint8_t *ans, size_t an, int pass)
{
	struct iovec iov = {.iov_base = (void *)(uintptr_t)ans, .iov_len = an};
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (pass >= 0) {
		memset(&u, 0, sizeof u);
		mh.msg_control = u.b;
		mh.msg_controllen = sizeof u.b;
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass, sizeof pass);
	}
	return sendmsg(fd, &mh, MSG_NOSIGNAL);
}

/*
 * The requests that are about the service, not the log (signer.h): READY
 * and ALIVE become sd_notify messages, REOPEN opens the alert file.  0 if
 * req is none of them (dpsg_answer's), else 1 with the answer in ans.
 */
static int service(const dpc_config *cfg, const uint8_t *req, size_t n, uint8_t *ans,
		   size_t *an, int *pass)
{
	char path[DPC_PATH_MAX];
	int r;
	if (n != 1 || (req[0] != OP_READY && req[0] != OP_ALIVE && req[0] != OP_REOPEN))
		return 0;
	if (req[0] == OP_READY) {
		r = dpn_notify("READY=1");
		if (r)
			fprintf(stderr, "denpod: cannot tell systemd (NOTIFY_SOCKET) that the switch "
					"serves: %s\n", dp_strerror(r));
	} else if (req[0] == OP_ALIVE) {
		r = dpn_notify("WATCHDOG=1");
	} else {
		/* the path is the signer's own configuration, never the request's */
		r = dpc_alerts_path(cfg, path, sizeof path);
		if (!r && (*pass = dpo_file_open(path)) < 0) {
			fprintf(stderr, "denpod: SIGHUP: cannot open the alert file %s: %s\n", path,
				strerror(errno));
			r = DP_EIO;
		}
	}
	ans[0] = (uint8_t)-r;
	*an = 1;
	return 1;
}

int dpsg_run(const dpc_config *cfg, int fd, pid_t child)
{
	/* neither ptrace nor /proc/PID/mem of a process of the same user reaches this one */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	int sfd = -1;
	if (sigprocmask(SIG_BLOCK, &set, NULL) == 0)
		sfd = signalfd(-1, &set, SFD_CLOEXEC);
	dpsg_signer *k = NULL;
	int r = sfd < 0 ? DP_ENOMEM : dpsg_signer_new(&k, cfg);
	if (r) {
		/* no key, no signing: the network process must not serve unsigned */
		kill(child, SIGTERM);
	}
	uint8_t req[DPSG_MSG_MAX], ans[DPSG_MSG_MAX];
	int status = 0, done = 0, sock_open = !r;
	/*
	 * A network process that failed at once (a database that cannot be
	 * opened) may have exited before SIGCHLD was blocked above: its signal
	 * then went by unseen, and only asking catches it.
	 */
	if (waitpid(child, &status, WNOHANG) == child)
		done = 1;
	while (!done) {
		struct pollfd pf[2] = {{sfd, POLLIN, 0}, {sock_open ? fd : -1, POLLIN, 0}};
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
				if (si.ssi_signo == SIGCHLD) {
					if (waitpid(child, &status, WNOHANG) == child)
						done = 1;
				} else {
					if (si.ssi_signo != SIGHUP && dpn_notify("STOPPING=1"))
						fprintf(stderr, "denpod: cannot tell systemd (NOTIFY_SOCKET) "
								"that the switch stops\n");
					kill(child, (int)si.ssi_signo); /* the network process stops or reloads */
				}
			}
		}
		if (!done && sock_open && (pf[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t m = recv(fd, req, sizeof req, 0);
			if (m <= 0) {
				sock_open = 0; /* the child is going: wait for it */
				if (waitpid(child, &status, WNOHANG) == child)
					done = 1;
				continue;
			}
			size_t an = 0;
			int pass = -1; /* a descriptor that goes with the answer */
			if (!service(cfg, req, (size_t)m, ans, &an, &pass))
				dpsg_answer(k, req, (size_t)m, ans, &an);
			sodium_memzero(req, sizeof req);
			if (send_fd(fd, ans, an, pass) != (ssize_t)an)
				sock_open = 0;
			if (pass >= 0)
				close(pass);
		}
		if (!done && sfd < 0)
			done = waitpid(child, &status, 0) == child;
	}
	dpsg_signer_free(k);
	if (sfd >= 0)
		close(sfd);
	close(fd);
	if (!done)
		waitpid(child, &status, 0);
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		fprintf(stderr, "denpod: the network process was killed by SIG%s%s\n", signame(sig),
			sig == SIGSYS ? ": a system call outside its allowlist (denpod/sandbox.c); this "
					"is a bug, report it with the line above"
				      : "");
		return 1;
	}
	return r || !WIFEXITED(status) || WEXITSTATUS(status) ? 1 : 0;
}

/* ---- the network process's side ---- */

/*
 * One request and its answer.  The log's signer thread and the event loop
 * (READY, ALIVE, REOPEN) share the socket: a lock keeps each answer with
 * its request.  *got: a descriptor that came with the answer, or -1 (NULL:
 * none expected; one that comes anyway is closed).
 */
static int call_fd(int fd, const uint8_t *req, size_t n, uint8_t *ans, size_t *an, int *got)
{
	static pthread_mutex_t one = PTHREAD_MUTEX_INITIALIZER;
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = {.iov_base = ans, .iov_len = DPSG_MSG_MAX};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
			    .msg_controllen = sizeof u.b};
	int in = -1;
	ssize_t k;
	pthread_mutex_lock(&one);
	do
		k = send(fd, req, n, MSG_NOSIGNAL);
	while (k < 0 && errno == EINTR);
	if (k == (ssize_t)n) {
		do
			k = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
		while (k < 0 && errno == EINTR);
	} else {
		k = -1;
	}
	pthread_mutex_unlock(&one);
	struct cmsghdr *c = k > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&in, CMSG_DATA(c), sizeof in);
	if (got)
		*got = in;
	else if (in >= 0)
		close(in);
	if (k < 1)
		return DP_EIO; /* the signer is gone */
	*an = (size_t)k;
	return ans[0] ? -(int)ans[0] : DP_OK;
}

static int call(int fd, const uint8_t *req, size_t n, uint8_t *ans, size_t *an)
{
	return call_fd(fd, req, n, ans, an, NULL);
}

/* A one-byte request answered by a status byte. */
static int call_op(int fd, uint8_t op, int *got)
{
	uint8_t ans[DPSG_MSG_MAX];
	size_t an = 0;
	int r = call_fd(fd, &op, 1, ans, &an, got);
	if (got && r && *got >= 0) {
		close(*got);
		*got = -1;
	}
	return r;
}

int dpsg_ready(int fd) { return call_op(fd, OP_READY, NULL); }

int dpsg_alive(int fd) { return call_op(fd, OP_ALIVE, NULL); }

int dpsg_reopen(int fd, int *out)
{
	int r = call_op(fd, OP_REOPEN, out);
	if (!r && *out < 0)
		r = DP_ENOTFOUND; /* no alert file configured */
	return r;
}

int dpsg_hello(int fd, const dps_checkpoint *latest, dpsg_state *out)
{
	uint8_t req[4 + DPS_NOTE_MAX], ans[DPSG_MSG_MAX];
	size_t nl = latest ? latest->note_len : 0, an = 0;
	if (nl > DPS_NOTE_MAX)
		return DP_ETOOBIG;
	req[0] = OP_HELLO;
	req[1] = latest != NULL;
	req[2] = (uint8_t)(nl >> 8);
	req[3] = (uint8_t)nl;
	if (nl)
		memcpy(req + 4, latest->note, nl);
	int r = call(fd, req, 4 + nl, ans, &an);
	if (!r && an != 41 + DP_TLOG_HASH)
		r = DP_EPARSE;
	if (!r) {
		memcpy(out->pk, ans + 1, 32);
		out->size = get64(ans + 33);
		memcpy(out->root, ans + 41, DP_TLOG_HASH);
	}
	return r;
}

int dpsg_sign(int fd, uint64_t size, const uint8_t root[DP_TLOG_HASH], const uint8_t iroot[DP_TLOG_HASH],
	     const uint8_t (*proof)[DP_TLOG_HASH], size_t n, dps_checkpoint *out)
{
	uint8_t req[1 + 8 + DP_TLOG_HASH + 1 + (DP_TLOG_PROOF_MAX + 1) * DP_TLOG_HASH],
		ans[DPSG_MSG_MAX];
	size_t an = 0;
	if (n > DP_TLOG_PROOF_MAX)
		return DP_EINVAL;
	req[0] = OP_SIGN;
	put64(req + 1, size);
	memcpy(req + 9, root, DP_TLOG_HASH);
	req[9 + DP_TLOG_HASH] = (uint8_t)n;
	if (n)
		memcpy(req + 10 + DP_TLOG_HASH, proof, n * DP_TLOG_HASH);
	memcpy(req + 10 + DP_TLOG_HASH + n * DP_TLOG_HASH, iroot, DP_TLOG_HASH);
	int r = call(fd, req, 10 + (n + 2) * DP_TLOG_HASH, ans, &an);
	size_t nl = an >= 11 ? (size_t)ans[9] << 8 | ans[10] : 0;
	if (!r && (an < 11 || nl > DPS_NOTE_MAX || an != 11 + nl))
		r = DP_EPARSE;
	if (!r) {
		memset(out, 0, sizeof *out);
		out->size = size;
		memcpy(out->root, root, DP_TLOG_HASH);
		out->t = (int64_t)get64(ans + 1);
		memcpy(out->note, ans + 11, nl);
		out->note[nl] = 0;
		out->note_len = nl;
	}
	return r;
}

/* ---- the signer on a thread (tests and benchmarks that open the log in-process) ---- */

struct dpsg_thread {
	dpsg_signer *k;
	int fd, peer;
	pthread_t th;
};

static void *thread_main(void *arg)
{
	dpsg_thread *t = arg;
	uint8_t req[DPSG_MSG_MAX], ans[DPSG_MSG_MAX];
	ssize_t m;
	while ((m = recv(t->fd, req, sizeof req, 0)) > 0) {
		size_t an = 0;
		dpsg_answer(t->k, req, (size_t)m, ans, &an);
		if (send(t->fd, ans, an, MSG_NOSIGNAL) != (ssize_t)an)
			break;
	}
	return NULL;
}

int dpsg_thread_start(const dpc_config *cfg, dpsg_thread **out, int *fd)
{
	int sv[2];
	dpsg_thread *t = calloc(1, sizeof *t);
	*out = NULL;
	if (!t || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		free(t);
		return DP_ENOMEM;
	}
	t->fd = sv[0];
	t->peer = sv[1];
	int r = dpsg_signer_new(&t->k, cfg);
	if (!r && pthread_create(&t->th, NULL, thread_main, t))
		r = DP_ENOMEM;
	if (r) {
		dpsg_signer_free(t->k);
		close(sv[0]);
		close(sv[1]);
		free(t);
		return r;
	}
	*fd = sv[1];
	*out = t;
	return DP_OK;
}

void dpsg_thread_stop(dpsg_thread *t)
{
	if (!t)
		return;
	shutdown(t->peer, SHUT_RDWR); /* the thread's recv ends */
	pthread_join(t->th, NULL);
	close(t->peer);
	close(t->fd);
	dpsg_signer_free(t->k);
	free(t);
}
