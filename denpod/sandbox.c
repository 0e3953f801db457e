/*
 * denpod/sandbox.c - Landlock and seccomp for the network process (sandbox.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <time.h>
#include <linux/landlock.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <seccomp.h>

#include "denpo/error.h"
#include "denpod/sandbox.h"
#include "denpod/segment.h"

/*
 * The SAN=1 test build: LeakSanitizer stops the threads at exit with a
 * tracer it clones and ptrace, which the filter forbids (it hangs).  That
 * build confines itself only when $DENPOD_SAN_SANDBOX is set (the tests of
 * the sandbox, with leak checks off); the normal build always does, and
 * runs every integration test confined.
 */
#if defined(__SANITIZE_ADDRESS__)
#define DENPOD_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DENPOD_SANITIZED 1
#endif
#endif

/* ---- every thread of the process ---- */

/*
 * landlock_restrict_self confines the calling thread only (Debian 12's
 * kernel, and every kernel before LANDLOCK_RESTRICT_SELF_TSYNC), and the
 * network process's threads (the batch writer, the log integrator, the
 * verify pool, the scrub, the syslog sender) are started before the
 * sandbox: the seccomp filter forbids clone, so it comes after them.  So
 * each thread is asked, by a signal whose handler runs on that thread, to
 * do the same thing (restrict itself), one at a time, and the caller waits
 * for its answer: the way glibc changes the credentials of every thread
 * (setuid).  No thread is made after the list is read (the process makes
 * its threads itself, all before; after the filter none can be made).
 */
#define MAX_THREADS 1024
#define ASK_WAIT_MS 5000 /* a thread that does not answer in this time: not served */

static pid_t threads[MAX_THREADS];
static char thread_name[MAX_THREADS][16]; /* its comm (dpd-writer, ...): the test's lines say it */
static int nthreads;
static int (*volatile ask_job)(void); /* what the asked thread runs: 0 or an errno */
static atomic_int ask_done, ask_err, ask_tid; /* ask_tid: who answered (a late answer is not it) */

static void on_ask(int sig)
{
	(void)sig;
	int e = errno;
	atomic_store(&ask_err, ask_job());
	atomic_store(&ask_tid, (int)syscall(SYS_gettid));
	atomic_store(&ask_done, 1);
	errno = e;
}

void dpd_sandbox_prepare(void)
{
	/* tests/it_privsep.sh: the mask left as it came, so that a thread does not answer */
	const char *t = getenv("DENPOD_TEST_SANDBOX");
	if (t && strcmp(t, "keep-sigmask") == 0)
		return;
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGRTMIN);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL); /* cannot fail with a valid how */
}

/* The threads of this process but the calling one into threads[]; -1 if /proc cannot be read. */
static int list_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return -1;
	pid_t self = (pid_t)syscall(SYS_gettid);
	struct dirent *e;
	int r = 0;
	nthreads = 0;
	for (errno = 0; (e = readdir(d)); errno = 0) {
		char *end;
		long t = strtol(e->d_name, &end, 10);
		if (e->d_name[0] < '0' || e->d_name[0] > '9' || *end || t == self)
			continue;
		if (nthreads == MAX_THREADS) {
			r = -1;
			break;
		}
		char p[64];
		snprintf(p, sizeof p, "/proc/self/task/%ld/comm", t);
		FILE *f = fopen(p, "re");
		char *nm = thread_name[nthreads];
		if (!f || !fgets(nm, sizeof thread_name[0], f))
			snprintf(nm, sizeof thread_name[0], "?");
		nm[strcspn(nm, "\n")] = 0;
		if (f)
			fclose(f);
		threads[nthreads++] = (pid_t)t;
	}
	if (!r && errno)
		r = -1; /* readdir failed: a thread could be missing from the list */
	int e2 = errno;
	closedir(d);
	errno = e2;
	return r;
}

/* SIGRTMIN answered by on_ask (asking), or ignored from then on: a late signal does nothing. */
static int ask_handler(int asking)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = asking ? on_ask : SIG_IGN;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGRTMIN, &sa, NULL) ? errno : 0;
}

/*
 * job run on thread i of threads[] (its signal handler: async-signal-safe
 * calls only; ask_handler(1) first): 0, or the errno it returned;
 * ETIMEDOUT if the thread did not answer within ASK_WAIT_MS (it blocks
 * SIGRTMIN, or is stuck in the kernel), or the errno of the signal that
 * could not be sent.  A thread that is gone (ESRCH) opens nothing: 0.
 */
static int on_thread(int i, int (*job)(void))
{
	ask_job = job;
	atomic_store(&ask_done, 0);
	atomic_store(&ask_tid, 0);
	if (syscall(SYS_tgkill, getpid(), threads[i], SIGRTMIN))
		return errno == ESRCH ? 0 : errno;
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!atomic_load(&ask_done) || atomic_load(&ask_tid) != threads[i]) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 > ASK_WAIT_MS)
			return ETIMEDOUT;
		struct timespec d = {0, 1000000L};
		nanosleep(&d, NULL);
	}
	return atomic_load(&ask_err);
}

/* ---- files: Landlock ---- */

/* Rights newer than Debian 12's headers (linux 6.1): the kernel may know them. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif

#define FS_READ LANDLOCK_ACCESS_FS_READ_FILE
#define FS_RW (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE)

/* Every filesystem right the kernel's Landlock ABI knows: all denied unless a rule allows. */
static uint64_t handled(int abi)
{
	uint64_t a = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
		     LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
		     LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
		     LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
		     LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
		     LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
		     LANDLOCK_ACCESS_FS_MAKE_SYM;
	if (abi >= 2)
		a |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		a |= LANDLOCK_ACCESS_FS_TRUNCATE;
	return a;
}

/* Rights that a rule on a file (not a directory) may carry. */
#define FILE_RIGHTS                                                                               \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE | \
	 LANDLOCK_ACCESS_FS_TRUNCATE)

/* Allow `rights` beneath path (a file or a directory) if it exists; -1 on a failure. */
static int allow(int rs, uint64_t all, const char *path, uint64_t rights)
{
	int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1; /* absent: nothing to allow */
	struct stat st;
	int dir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
	struct landlock_path_beneath_attr pb = {
		.allowed_access = (dir ? rights : rights & FILE_RIGHTS) & all,
		.parent_fd = fd,
	};
	int r = pb.allowed_access ? (int)syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH,
						  &pb, 0)
				  : 0;
	close(fd);
	return r;
}

/* DIR/name, or name itself if absolute; -1 if it does not fit. */
static int in_dir(char *out, size_t cap, const char *dir, const char *name)
{
	int n = name[0] == '/' ? snprintf(out, cap, "%s", name) : snprintf(out, cap, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int ruleset = -1; /* landlock(): the ruleset each thread restricts itself to */

/* The calling thread confined to ruleset (no_new_privs is per thread too): 0 or an errno. */
static int restrict_here(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_landlock_restrict_self, ruleset, 0))
		return errno;
	return 0;
}

static int landlock(const dpc_config *cfg)
{
	int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1) {
		fprintf(stderr, "denpod: warning: this kernel has no Landlock (%s): the network process "
				"could still open the key files; the system-call filter and the signer's "
				"own protections still hold (docs/operations.md)\n", strerror(errno));
		return DP_OK;
	}
	uint64_t all = handled(abi);
	struct landlock_ruleset_attr ra = {.handled_access_fs = all};
	int rs = (int)syscall(SYS_landlock_create_ruleset, &ra, sizeof ra, 0);
	if (rs < 0)
		return DP_ECRYPTO;
	char p[2 * DPC_PATH_MAX];
	int bad = 0;
	static const char *const db[] = {"denpod.db", "denpod.db-wal", "denpod.db-shm"};
	for (size_t i = 0; i < sizeof db / sizeof db[0]; i++) {
		bad |= in_dir(p, sizeof p, cfg->dir, db[i]) ||
		       allow(rs, all, p, FS_RW | LANDLOCK_ACCESS_FS_TRUNCATE);
	}
	/*
	 * The cable bodies' segments of a SQLite switch (denpod/segment.h):
	 * read, appended, a new one made and synced (and the data directory,
	 * listed below).  The directory is made here (the data directory
	 * synced) if this switch has written none yet: the rules name what
	 * exists.
	 */
	if (!cfg->store[0]) {
		bad |= in_dir(p, sizeof p, cfg->dir, DPSEG_DIR) || dpseg_make_dir(cfg->dir) != DP_OK ||
		       allow(rs, all, p, FS_RW | LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_MAKE_REG);
	}
	bad |= in_dir(p, sizeof p, cfg->dir, "denpod.conf") || allow(rs, all, p, FS_READ);
	/* re-read on SIGHUP */
	bad |= in_dir(p, sizeof p, cfg->dir, "detect.conf") || allow(rs, all, p, FS_READ);
	/* the directory listed (SQLite syncs it), none of its other files opened */
	bad |= allow(rs, all, cfg->dir, LANDLOCK_ACCESS_FS_READ_DIR);
	/*
	 * No rule for the alert file: it is open before the sandbox, and a
	 * rotated one is opened anew by the signer and passed over (signer.h,
	 * REOPEN), so this process creates no file anywhere.
	 */
	/* local time of the posts (detection), and what the resolver reads (syslog=udp:HOST) */
	static const char *const sys[] = {"/usr/share/zoneinfo", "/etc/localtime", "/etc/hosts",
					  "/etc/resolv.conf", "/etc/nsswitch.conf", "/etc/gai.conf",
					  "/etc/host.conf"};
	for (size_t i = 0; i < sizeof sys / sizeof sys[0]; i++)
		bad |= allow(rs, all, sys[i], FS_READ | LANDLOCK_ACCESS_FS_READ_DIR);

	/* every other thread first (each confines itself: on_thread), then this one */
	int r = bad ? errno ? errno : EINVAL : ask_handler(1);
	int i = 0;
	ruleset = rs;
	for (; !r && i < nthreads; i++)
		if ((r = on_thread(i, restrict_here)))
			break;
	if (!r)
		r = restrict_here();
	ruleset = -1;
	close(rs);
	if (r && i < nthreads)
		fprintf(stderr, "denpod: cannot confine the network process's files (Landlock): its thread "
				"%s (%d) %s\n", thread_name[i], (int)threads[i],
			r == ETIMEDOUT ? "did not answer the request to confine itself within 5 s (is "
					 "SIGRTMIN blocked in it?)" : strerror(r));
	else if (r)
		fprintf(stderr, "denpod: cannot confine the network process's files (Landlock): %s\n",
			strerror(r));
	return r ? DP_ECRYPTO : DP_OK;
}

/* ---- system calls: seccomp ---- */

/* What the network process calls while it serves (strace of the test suite, and the libraries' error paths). */
static const char *const allowed[] = {
	/* memory */
	"brk", "mmap", "munmap", "mprotect", "mremap", "madvise", "mlock", "munlock",
	/* files already open, and the few opened later (Landlock decides which) */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "lseek", "close", "fstat",
	"newfstatat", "statx", "fcntl", "fsync", "fdatasync", "ftruncate", "openat", "access",
	"faccessat", "faccessat2", "fchown", "fchmod", "getdents64", "dup", "dup2", "dup3",
	/* the network: sockets are filtered by family below */
	"accept4", "accept", "connect", "bind", "listen", "getsockname", "getpeername",
	"setsockopt", "getsockopt", "shutdown", "sendto", "recvfrom", "sendmsg", "recvmsg",
	"sendmmsg", "poll", "ppoll",
	/* the loop and its threads */
	"epoll_wait", "epoll_pwait", "epoll_ctl", "epoll_create1", "eventfd2", "pipe2", "futex",
	"set_robust_list", "rseq", "sched_yield", "getrandom", "clock_gettime", "clock_getres",
	"clock_nanosleep", "nanosleep", "gettimeofday",
	/* signals (SIGTERM, SIGHUP; abort) and exits */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "tgkill", "getpid",
	"gettid", "exit", "exit_group", "restart_syscall",
	/* the libraries' questions about the system */
	"getuid", "geteuid", "getgid", "getegid", "uname", "sysinfo", "prlimit64", "getrlimit",
	/* glibc's malloc (and the sanitizers' allocator) counting CPUs the first time
	 * threads contend for an arena: seen only under load */
	"sched_getaffinity",
};

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	/* async-signal-safe: the number in decimal by hand, one write, then die of SIGSYS */
	char msg[160] = "denpod: the network process made system call ";
	size_t n = strlen(msg);
	char num[12];
	int k = 0, v = si->si_syscall;
	do
		num[k++] = (char)('0' + v % 10);
	while ((v /= 10) && k < (int)sizeof num);
	while (k)
		msg[n++] = num[--k];
	static const char tail[] = ", outside its allowlist (denpod/sandbox.c): stopped\n";
	memcpy(msg + n, tail, sizeof tail - 1);
	n += sizeof tail - 1;
	if (write(2, msg, n) < 0) {
		/* nothing more to say */
	}
	signal(SIGSYS, SIG_DFL);
	raise(SIGSYS);
}

static int seccomp(void)
{
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_TRAP);
	int r = f ? seccomp_attr_set(f, SCMP_FLTATR_CTL_TSYNC, 1) : -1;
	for (size_t i = 0; !r && i < sizeof allowed / sizeof allowed[0]; i++) {
		int nr = seccomp_syscall_resolve_name(allowed[i]);
		if (nr != __NR_SCMP_ERROR)
			r = seccomp_rule_add(f, SCMP_ACT_ALLOW, nr, 0);
	}
	/* sockets of the three families the switch speaks (TCP, syslog's UDP or unix datagrams) */
	static const int fam[] = {AF_UNIX, AF_INET, AF_INET6};
	for (size_t i = 0; !r && i < sizeof fam / sizeof fam[0]; i++)
		r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fam[i]));
	/* libevent asks how much a socket holds; no other ioctl */
	if (!r)
		r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)FIONREAD));
	/* SQLite removes its -wal at the last close: refused by Landlock anyway, not fatal */
	if (!r)
		r = seccomp_rule_add(f, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(unlink), 0);
	if (!r)
		r = seccomp_rule_add(f, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(unlinkat), 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	if (!r)
		r = sigaction(SIGSYS, &sa, NULL);
	if (!r)
		r = seccomp_load(f);
	if (r)
		fprintf(stderr, "denpod: cannot install the network process's system-call filter "
				"(seccomp: %s); not serving unconfined\n", strerror(r < 0 ? -r : errno));
	seccomp_release(f);
	return r ? DP_ECRYPTO : DP_OK;
}

/* ---- tests/it_privsep.sh: what every confined thread can no longer open ---- */

static const char *const test_keys[] = {"log.key", "sign.key", "tls.key", "signer.state"};
#define NKEYS (sizeof test_keys / sizeof test_keys[0])
static char test_path[NKEYS][2 * DPC_PATH_MAX];
static int test_errno[NKEYS];

/* on one thread: open each key file (0 in test_errno: it opened) */
static int test_open_here(void)
{
	for (size_t k = 0; k < NKEYS; k++) {
		int fd = open(test_path[k], O_RDONLY | O_CLOEXEC);
		test_errno[k] = fd < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

static void test_open_keys(const dpc_config *cfg)
{
	for (size_t k = 0; k < NKEYS; k++)
		if (in_dir(test_path[k], sizeof test_path[k], cfg->dir, test_keys[k]))
			return;
	/* the calling thread, then each of the others (listed before the sandbox) */
	for (int i = -1; i < nthreads; i++) {
		int r = i < 0 ? test_open_here() : on_thread(i, test_open_here);
		for (size_t k = 0; k < NKEYS; k++) {
			const char *what = r ? strerror(r) : test_errno[k] ? strerror(test_errno[k]) : "opened";
			if (i < 0)
				fprintf(stderr, "denpod: test: open %s: %s\n", test_keys[k], what);
			else
				fprintf(stderr, "denpod: test: thread %d of %d (%s): open %s: %s\n", i + 1,
					nthreads, thread_name[i], test_keys[k], what);
		}
	}
}

int dpd_sandbox_enter(const dpc_config *cfg)
{
#ifdef DENPOD_SANITIZED
	if (!getenv("DENPOD_SAN_SANDBOX"))
		return DP_OK;
#endif
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		fprintf(stderr, "denpod: cannot set no_new_privs: %s\n", strerror(errno));
		return DP_ECRYPTO;
	}
	pid_t signer = getppid();
	if (list_threads()) {
		fprintf(stderr, "denpod: cannot list the network process's threads (/proc/self/task): %s\n",
			strerror(errno));
		return DP_ECRYPTO;
	}
	int r = landlock(cfg);
	if (!r)
		r = seccomp();
	/* tests/it_privsep.sh: what the confined process can no longer do */
	const char *t = getenv("DENPOD_TEST_SANDBOX");
	if (!r && t && strcmp(t, "ptrace") == 0)
		(void)ptrace(PTRACE_ATTACH, signer, NULL, NULL);
	if (!r && t && strcmp(t, "open-keys") == 0 && !ask_handler(1))
		test_open_keys(cfg);
	(void)ask_handler(0);
	return r;
}
