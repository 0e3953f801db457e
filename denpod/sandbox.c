/*
 * denpod/sandbox.c - Landlock and seccomp for the network process (sandbox.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
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

	int r = bad ? -1 : (int)syscall(SYS_landlock_restrict_self, rs, 0);
	close(rs);
	if (r) {
		fprintf(stderr, "denpod: cannot confine the network process's files (Landlock): %s\n",
			strerror(errno));
		return DP_ECRYPTO;
	}
	return DP_OK;
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
	int r = landlock(cfg);
	if (!r)
		r = seccomp();
	/* tests/it_privsep.sh: what the confined process can no longer do */
	const char *t = getenv("DENPOD_TEST_SANDBOX");
	if (!r && t && strcmp(t, "ptrace") == 0)
		(void)ptrace(PTRACE_ATTACH, signer, NULL, NULL);
	static const char *const keys[] = {"log.key", "sign.key", "tls.key", "signer.state"};
	for (size_t i = 0; !r && t && strcmp(t, "open-keys") == 0 && i < 4; i++) {
		char p[2 * DPC_PATH_MAX];
		int fd = in_dir(p, sizeof p, cfg->dir, keys[i]) ? -1 : open(p, O_RDONLY | O_CLOEXEC);
		fprintf(stderr, "denpod: test: open %s: %s\n", keys[i], fd < 0 ? strerror(errno) : "opened");
		if (fd >= 0)
			close(fd);
	}
	return r;
}
