/*
 * tests/test_denpod_notify.c - the sd_notify datagram (denpod/notify.h):
 * sent as one datagram to a path or an abstract socket, nothing without
 * $NOTIFY_SOCKET, a clear error for an address that cannot be one; the
 * watchdog interval only for the process it names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "denpod/notify.h"
#include "tests/harness.h"

/* A datagram socket bound at name (a path, or "@..." abstract); -1 on failure. */
static int listener(const char *name)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	size_t n = strlen(name);
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = 0;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (name[0] == '/'));
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, len) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static int got(int fd, const char *want)
{
	char b[256];
	ssize_t n = recv(fd, b, sizeof b - 1, MSG_DONTWAIT);
	if (n < 0)
		return 0;
	b[n] = 0;
	return strcmp(b, want) == 0;
}

int main(void)
{
	char path[64], abs[64];
	snprintf(path, sizeof path, "/tmp/test_denpod_notify.%d", (int)getpid());
	snprintf(abs, sizeof abs, "@test_denpod_notify.%d", (int)getpid());
	unlink(path);

	unsetenv("NOTIFY_SOCKET");
	CHECK(dpn_notify("READY=1") == DP_OK); /* not under systemd: nothing to do */

	int fd = listener(path);
	CHECK(fd >= 0);
	setenv("NOTIFY_SOCKET", path, 1);
	CHECK(dpn_notify("READY=1") == DP_OK);
	CHECK(got(fd, "READY=1"));
	CHECK(dpn_notify("STOPPING=1") == DP_OK && got(fd, "STOPPING=1"));
	close(fd);
	unlink(path);
	CHECK(dpn_notify("READY=1") == DP_EIO); /* nobody listens any more */

	int afd = listener(abs);
	CHECK(afd >= 0);
	setenv("NOTIFY_SOCKET", abs, 1);
	CHECK(dpn_notify("WATCHDOG=1") == DP_OK && got(afd, "WATCHDOG=1"));
	close(afd);

	/* addresses that cannot be one */
	static const char *const bad[] = {"relative/path", "@", "/", "x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		setenv("NOTIFY_SOCKET", bad[i], 1);
		CHECKF(dpn_notify("READY=1") == DP_EINVAL, "%s", bad[i]);
	}
	char longp[200];
	memset(longp, 'a', sizeof longp - 1);
	longp[0] = '/';
	longp[sizeof longp - 1] = 0;
	setenv("NOTIFY_SOCKET", longp, 1);
	CHECK(dpn_notify("READY=1") == DP_EINVAL);
	unsetenv("NOTIFY_SOCKET");

	/* the watchdog: for the process named, a number of microseconds */
	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
	CHECK(dpn_watchdog_usec(42) == 0);
	setenv("WATCHDOG_USEC", "60000000", 1);
	CHECK(dpn_watchdog_usec(42) == 60000000);
	setenv("WATCHDOG_PID", "42", 1);
	CHECK(dpn_watchdog_usec(42) == 60000000);
	CHECK(dpn_watchdog_usec(43) == 0); /* another process's */
	setenv("WATCHDOG_PID", "42x", 1);
	CHECK(dpn_watchdog_usec(42) == 0);
	unsetenv("WATCHDOG_PID");
	static const char *const badu[] = {"", "-5", "12s", "99999999999999999999999"};
	for (size_t i = 0; i < sizeof badu / sizeof badu[0]; i++) {
		setenv("WATCHDOG_USEC", badu[i], 1);
		CHECKF(dpn_watchdog_usec(42) == 0, "%s", badu[i]);
	}
	return t_done("test_denpod_notify");
}
