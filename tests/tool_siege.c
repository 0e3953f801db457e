/*
 * tests/tool_siege.c - a crowd of hostile connections, for tests/it_conn.sh
 * and bench/conn_siege.sh.
 *
 *   tool_siege HOST PORT MODE N [--from ADDR] [--addrs K] [--seconds S]
 *              [--trickle MS] [--once]
 *
 * Keeps N connections to HOST:PORT open for S seconds (default 10), from
 * the K loopback-style source addresses ADDR, ADDR+1, ... (default: no
 * bind; ADDR is IPv4).  MODE:
 *   idle     connects and sends nothing (half-open from the switch's side)
 *   slowtls  sends a TLS record header announcing a ClientHello, then one
 *            byte of it every MS milliseconds (default 1000): a handshake
 *            that never ends
 * A connection the switch closes is opened again at once (a persistent
 * attacker), unless --once.  Needs a descriptor limit above N (it raises
 * its soft limit to the hard one).
 *
 * Prints "name value" lines: opened, closed (by the switch), open (at the
 * end), life_p50_ms, life_max_ms, life_min_ms (of the closed ones).
 * Exit 0; 1 on a usage or set-up error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { IDLE, SLOWTLS };

typedef struct {
	int fd;
	int connected;
	int64_t opened, next_byte;
	unsigned sent;
} sconn;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static struct sockaddr_in dst;
static uint32_t from0; /* host order; 0: no bind */
static unsigned naddrs = 1, next_addr;
static int epfd;

static int open_one(sconn *c, size_t i)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (from0) {
		struct sockaddr_in src;
		memset(&src, 0, sizeof src);
		src.sin_family = AF_INET;
		src.sin_addr.s_addr = htonl(from0 + next_addr++ % naddrs);
		if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0) {
			close(fd);
			return -1;
		}
	}
	if (connect(fd, (struct sockaddr *)&dst, sizeof dst) != 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.u64 = i};
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		close(fd);
		return -1;
	}
	c->fd = fd;
	c->connected = 0;
	c->opened = now_ms();
	c->next_byte = c->opened;
	c->sent = 0;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: see the comment at the top of tests/tool_siege.c\n");
		return 1;
	}
	int mode = strcmp(argv[3], "idle") == 0 ? IDLE : strcmp(argv[3], "slowtls") == 0 ? SLOWTLS : -1;
	long n = strtol(argv[4], NULL, 10);
	double seconds = 10;
	long trickle = 1000;
	int once = 0;
	for (int i = 5; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0)
			once = 1;
		else if (i + 1 < argc && strcmp(argv[i], "--from") == 0) {
			struct in_addr a;
			if (inet_pton(AF_INET, argv[++i], &a) != 1)
				return fprintf(stderr, "tool_siege: bad --from\n"), 1;
			from0 = ntohl(a.s_addr);
		} else if (i + 1 < argc && strcmp(argv[i], "--addrs") == 0)
			naddrs = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (i + 1 < argc && strcmp(argv[i], "--seconds") == 0)
			seconds = strtod(argv[++i], NULL);
		else if (i + 1 < argc && strcmp(argv[i], "--trickle") == 0)
			trickle = strtol(argv[++i], NULL, 10);
		else
			return fprintf(stderr, "tool_siege: unknown option %s\n", argv[i]), 1;
	}
	if (mode < 0 || n < 1 || n > 100000 || !naddrs || trickle < 1)
		return fprintf(stderr, "tool_siege: bad arguments\n"), 1;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&dst, 0, sizeof dst);
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1)
		return fprintf(stderr, "tool_siege: HOST is an IPv4 address\n"), 1;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	sconn *cs = calloc((size_t)n, sizeof *cs);
	size_t lcap = 1024, nlife = 0;
	int64_t *life = malloc(lcap * sizeof *life);
	if (epfd < 0 || !cs || !life)
		return fprintf(stderr, "tool_siege: out of memory\n"), 1;
	uint64_t opened = 0, closed = 0, failed = 0;
	for (long i = 0; i < n; i++) {
		cs[i].fd = -1;
		if (open_one(&cs[i], (size_t)i) == 0)
			opened++;
		else
			failed++;
	}
	/* a ClientHello's record header (type 22, version 3.1, length 512), then its bytes */
	static const unsigned char hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03};
	int64_t end = now_ms() + (int64_t)(seconds * 1000);
	struct epoll_event evs[256];
	while (now_ms() < end) {
		int k = epoll_wait(epfd, evs, 256, 50);
		int64_t t = now_ms();
		for (int j = 0; j < k; j++) {
			sconn *c = &cs[evs[j].data.u64];
			if (c->fd < 0)
				continue;
			if (evs[j].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
				char buf[4096];
				ssize_t r = read(c->fd, buf, sizeof buf);
				if (r > 0 && !(evs[j].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
					continue; /* an alert or a byte: still open */
				/* closed by the switch (or never connected) */
				int soerr = 0;
				socklen_t sl = sizeof soerr;
				if (!c->connected && getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
				    soerr == 0 && (evs[j].events & EPOLLOUT))
					c->connected = 1; /* connected and closed in one wake-up */
				if (c->connected) {
					closed++;
					if (nlife == lcap) {
						lcap *= 2;
						int64_t *nl = realloc(life, lcap * sizeof *life);
						if (!nl) {
							fprintf(stderr, "tool_siege: out of memory\n");
							return 1;
						}
						life = nl;
					}
					life[nlife++] = t - c->opened;
				} else {
					failed++;
				}
				epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				c->fd = -1;
				if (!once && open_one(c, evs[j].data.u64) == 0)
					opened++;
				continue;
			}
			if ((evs[j].events & EPOLLOUT) && !c->connected) {
				c->connected = 1;
				struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u64 = evs[j].data.u64};
				epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
			}
		}
		if (mode != SLOWTLS)
			continue;
		for (long i = 0; i < n; i++) {
			sconn *c = &cs[i];
			if (c->fd < 0 || !c->connected || t < c->next_byte || c->sent >= sizeof hello)
				continue;
			/* the record header at once, then a byte per trickle period */
			size_t m = c->sent == 0 ? 5 : 1;
			if (write(c->fd, hello + c->sent, m) == (ssize_t)m)
				c->sent += (unsigned)m;
			c->next_byte = t + trickle;
			if (c->sent >= sizeof hello)
				c->sent = 5; /* keep trickling the same bytes: the record is 512 long */
		}
	}
	uint64_t open_now = 0;
	for (long i = 0; i < n; i++)
		if (cs[i].fd >= 0 && cs[i].connected)
			open_now++;
	qsort(life, nlife, sizeof *life, cmp64);
	printf("opened %llu\nclosed %llu\nfailed %llu\nopen %llu\n", (unsigned long long)opened,
	       (unsigned long long)closed, (unsigned long long)failed, (unsigned long long)open_now);
	printf("life_min_ms %lld\nlife_p50_ms %lld\nlife_max_ms %lld\n",
	       (long long)(nlife ? life[0] : -1), (long long)(nlife ? life[nlife / 2] : -1),
	       (long long)(nlife ? life[nlife - 1] : -1));
	for (long i = 0; i < n; i++)
		if (cs[i].fd >= 0)
			close(cs[i].fd);
	close(epfd);
	free(cs);
	free(life);
	return 0;
}
