/*
 * denpod/notify.c - the sd_notify datagram (notify.h).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "denpod/notify.h"

int dpn_notify(const char *state)
{
	const char *e = getenv("NOTIFY_SOCKET");
	if (!e || !*e)
		return DP_OK;
	struct sockaddr_un sa;
	size_t n = strlen(e);
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if ((e[0] != '/' && e[0] != '@') || n < 2 || n > sizeof sa.sun_path)
		return DP_EINVAL;
	memcpy(sa.sun_path, e, n);
	if (e[0] == '@')
		sa.sun_path[0] = 0; /* abstract: the name without a terminating NUL */
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (e[0] == '/'));
	if (e[0] == '/' && n == sizeof sa.sun_path)
		return DP_EINVAL; /* no room for the NUL */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return DP_EIO;
	size_t m = strlen(state);
	ssize_t w;
	do
		w = sendto(fd, state, m, MSG_NOSIGNAL, (const struct sockaddr *)&sa, len);
	while (w < 0 && errno == EINTR);
	close(fd);
	return w == (ssize_t)m ? DP_OK : DP_EIO;
}

uint64_t dpn_watchdog_usec(pid_t pid)
{
	const char *u = getenv("WATCHDOG_USEC"), *p = getenv("WATCHDOG_PID");
	char *end;
	if (!u || !*u)
		return 0;
	if (p && *p) {
		errno = 0;
		long long v = strtoll(p, &end, 10);
		if (errno || *end || v != (long long)pid)
			return 0; /* meant for another process */
	}
	errno = 0;
	unsigned long long v = strtoull(u, &end, 10);
	return errno || *end || u[0] == '-' ? 0 : (uint64_t)v;
}
