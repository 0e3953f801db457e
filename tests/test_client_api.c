/*
 * tests/test_client_api.c - the protocol client without a switch: error
 * mapping, argument checks, and the TLS pin against a local `openssl
 * s_server` presenting a denpo self-signed Ed25519 certificate (mutual TLS,
 * TLS 1.3): the right pin connects, a wrong pin is refused before any
 * request is sent.  Failover between a switch's addresses: the order,
 * the address remembered, a wrong key never passed over.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "denpo/client.h"
#include "denpo/tls.h"
#include "tests/harness.h"

static void test_errors(void)
{
	for (int e = DP_ENOMEM; e >= DP_ELAST; e--)
		CHECKF(dp_client_errcode(dp_errname(e)) == e, "code %d", e);
	CHECK(dp_client_errcode("no such name") == DP_EPROTO);
	CHECK(dp_client_errcode("ok") == DP_EPROTO); /* success is not an error name */
	char msg[64];
	const char *b1 = "{\"error\": \"clearance\", \"message\": \"not cleared for SECRET\"}";
	CHECK(dp_client_parse_error((const uint8_t *)b1, strlen(b1), msg, sizeof msg) == DP_ECLEARANCE);
	CHECK(!strcmp(msg, "not cleared for SECRET"));
	const char *b2 = "{\"error\": \"device\", \"message\": \"bad\\u001b[31m\\nname\"}";
	CHECK(dp_client_parse_error((const uint8_t *)b2, strlen(b2), msg, sizeof msg) == DP_EDEVICE);
	CHECK(!strcmp(msg, "bad?[31m?name")); /* no terminal escapes reach the officer */
	/* a C1 CSI (U+009B, UTF-8 c2 9b) is an escape on some terminals: only ASCII gets through */
	const char *b7 = "{\"error\": \"device\", \"message\": \"x\\u009b31my\"}";
	CHECK(dp_client_parse_error((const uint8_t *)b7, strlen(b7), msg, sizeof msg) == DP_EDEVICE);
	CHECK(!strcmp(msg, "x??31my"));
	const char *b3 = "<html>502</html>";
	CHECK(dp_client_parse_error((const uint8_t *)b3, strlen(b3), msg, sizeof msg) == DP_EPROTO);
	const char *b4 = "{\"message\": \"x\"}";
	CHECK(dp_client_parse_error((const uint8_t *)b4, strlen(b4), msg, sizeof msg) == DP_EPROTO);
	const char *b5 = "{\"error\": \"ok\"}";
	CHECK(dp_client_parse_error((const uint8_t *)b5, strlen(b5), msg, sizeof msg) == DP_EPROTO);
	const char *b6 = "{\"error\": \"exists\", \"error\": \"exists\"}";
	CHECK(dp_client_parse_error((const uint8_t *)b6, strlen(b6), msg, sizeof msg) == DP_EPROTO);
	char small[8];
	CHECK(dp_client_parse_error((const uint8_t *)b1, strlen(b1), small, sizeof small) == DP_ECLEARANCE);
	CHECK(!strcmp(small, "not cle")); /* truncated, terminated */
}

static void test_args(void)
{
	uint8_t seed[32] = {1};
	dp_client *c = NULL;
	dp_client_config cfg = {.url = "http://127.0.0.1:1", .tls_seed = seed};
	CHECK(dp_client_new(&c, &cfg) == DP_EINVAL && c == NULL); /* https only */
	cfg.url = "https://";
	CHECK(dp_client_new(&c, &cfg) == DP_EINVAL);
	cfg.url = "https://127.0.0.1:1";
	cfg.tls_seed = NULL;
	CHECK(dp_client_new(&c, &cfg) == DP_EINVAL);
	cfg.tls_seed = seed;
	cfg.connect_timeout_ms = 2000;
	CHECK(dp_client_new(&c, &cfg) == DP_OK);
	if (!c)
		return;
	dp_buf b;
	dp_buf_init(&b, 1024);
	char mrn[DP_MRN_MAX + 1];
	int64_t t;
	dp_cable_status st;
	CHECK(dp_client_fetch(c, "../../etc/passwd", &b, mrn) == DP_EINVAL); /* ids are 32 hex */
	CHECK(dp_client_ack(c, "0123", &t) == DP_EINVAL);
	CHECK(dp_client_status(c, "0123456789abcdef0123456789abcdeg", &st) == DP_EINVAL);
	dp_inbox_item *it;
	size_t n;
	CHECK(dp_client_inbox(c, 61, &it, &n) == DP_EINVAL);
	/* nothing listens on port 1 */
	CHECK(dp_client_health(c, NULL, 0) == DP_ENET);
	CHECK(strstr(dp_client_message(c), "cannot reach") != NULL);
	dp_buf_free(&b);
	dp_client_free(c);
}

static int free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof a;
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) || getsockname(s, (struct sockaddr *)&a, &l)) {
		if (s >= 0)
			close(s);
		return -1;
	}
	close(s);
	return ntohs(a.sin_port);
}

static int wait_port(int port)
{
	for (int i = 0; i < 100; i++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
		close(s);
		if (ok)
			return 1;
		struct timespec ts = {0, 50000000};
		nanosleep(&ts, NULL);
	}
	return 0;
}

static char moved_to[DP_URL_MAX + 1];
static int nmoved;
static void on_moved(void *ud, const char *url)
{
	(void)ud;
	snprintf(moved_to, sizeof moved_to, "%s", url);
	nmoved++;
}

/*
 * The address order (denpo/client.h, "Failover"), against the s_server of
 * test_pin at port: a dead address is passed over for the next, which is
 * then remembered and tried first; a wrong key ends the request at once
 * and is never passed over; every address dead names each.
 */
static void failover(int port, const uint8_t spk[32], const uint8_t other[32], const uint8_t dseed[32])
{
	dp_switch_list l = {.n = 2};
	int dead = free_port(), dead2 = free_port();
	snprintf(l.url[0], sizeof l.url[0], "https://127.0.0.1:%d", dead);
	snprintf(l.url[1], sizeof l.url[1], "https://127.0.0.1:%d", port);
	dp_client_config cfg = {.switches = &l, .tls_seed = dseed, .timeout_ms = 5000, .moved = on_moved};
	memcpy(cfg.switch_tls_pk, spk, 32);
	dp_client *c;
	CHECK(dp_client_new(&c, &cfg) == DP_OK);
	CHECK(!strcmp(dp_client_url(c), l.url[0])); /* the configured start: the primary */
	int r = dp_client_health(c, NULL, 0);
	CHECKF(r == DP_EPROTO && dp_client_http_status(c) == 200, "the second answers: %d (%s)", r,
	       dp_client_message(c));
	CHECK(nmoved == 1 && !strcmp(moved_to, l.url[1]) && !strcmp(dp_client_url(c), l.url[1]));
	r = dp_client_health(c, NULL, 0); /* starts at the second: no new "moved" */
	CHECK(r == DP_EPROTO && nmoved == 1 && !strcmp(dp_client_url(c), l.url[1]));
	dp_client_free(c);
	/* started at the second (the last that answered, as a device remembers it) */
	cfg.start = 1;
	CHECK(dp_client_new(&c, &cfg) == DP_OK && !strcmp(dp_client_url(c), l.url[1]));
	dp_client_free(c);
	/* another key at the first address: the pin error, the second (dead here) never tried */
	snprintf(l.url[0], sizeof l.url[0], "https://127.0.0.1:%d", port);
	snprintf(l.url[1], sizeof l.url[1], "https://127.0.0.1:%d", dead);
	cfg.start = 0;
	memcpy(cfg.switch_tls_pk, other, 32);
	CHECK(dp_client_new(&c, &cfg) == DP_OK);
	r = dp_client_health(c, NULL, 0);
	CHECKF(r == DP_ENET && strstr(dp_client_message(c), "pinned TLS key") &&
	       !strstr(dp_client_message(c), "no address"), "%s", dp_client_message(c));
	CHECK(nmoved == 1 && !strcmp(dp_client_url(c), l.url[0]));
	dp_client_free(c);
	/* every address dead: one message naming each, in the order tried */
	snprintf(l.url[0], sizeof l.url[0], "https://127.0.0.1:%d", dead2);
	cfg.start = 1;
	CHECK(dp_client_new(&c, &cfg) == DP_OK);
	CHECK(dp_client_health(c, NULL, 0) == DP_ENET);
	const char *m = dp_client_message(c), *a = strstr(m, l.url[1]), *b = strstr(m, l.url[0]);
	CHECKF(strstr(m, "no address of the switch answered") && a && b && a < b && nmoved == 1, "%s", m);
	dp_client_free(c);
	/* the configuration's own errors */
	cfg.start = 2;
	CHECK(dp_client_new(&c, &cfg) == DP_EINVAL && !c);
	cfg.start = 0;
	l.n = 0;
	CHECK(dp_client_new(&c, &cfg) == DP_EINVAL && !c);
	l.n = 1;
	strcpy(l.url[0], "https://a/b");
	CHECK(dp_client_new(&c, &cfg) == DP_EINVAL && !c);
}

static void test_pin(void)
{
	if (system("command -v openssl >/dev/null 2>&1") != 0) {
		t_skipped("TLS pin", "no openssl binary");
		return;
	}
	char dir[] = "/tmp/denpo-test-pin-XXXXXX", cert[64], key[64], url[64];
	if (!mkdtemp(dir)) {
		t_skipped("TLS pin", "no temp dir");
		return;
	}
	snprintf(cert, sizeof cert, "%s/cert.pem", dir);
	snprintf(key, sizeof key, "%s/key.pem", dir);
	uint8_t sseed[32], dseed[32], spk[32], other[32];
	dp_random(sseed, 32);
	dp_random(dseed, 32);
	dp_random(other, 32);
	dp_tls_pk_from_seed(sseed, spk);
	dp_buf cp, kp;
	dp_buf_init(&cp, 16384);
	dp_buf_init(&kp, 16384);
	CHECK(dp_tls_selfsigned(sseed, "switch", &cp, &kp) == DP_OK);
	CHECK(dp_write_file(cert, cp.p, cp.len, 0600, 1) == DP_OK);
	CHECK(dp_write_file(key, kp.p, kp.len, 0600, 1) == DP_OK);
	dp_buf_free(&cp);
	dp_buf_free(&kp);
	int port = free_port();
	char ports[16];
	snprintf(ports, sizeof ports, "%d", port);
	pid_t pid = fork();
	if (pid == 0) {
		/* -Verify 1: the server demands a client certificate (mutual TLS) */
		int nul = open("/dev/null", O_WRONLY);
		dup2(nul, 1);
		dup2(nul, 2);
		execlp("openssl", "openssl", "s_server", "-accept", ports, "-cert", cert, "-key", key, "-tls1_3",
		       "-Verify", "1", "-www", "-naccept", "8", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || port < 0 || !wait_port(port)) {
		t_skipped("TLS pin", "openssl s_server did not start");
		if (pid > 0)
			kill(pid, SIGTERM);
	} else {
		snprintf(url, sizeof url, "https://127.0.0.1:%d", port);
		dp_client_config cfg = {.url = url, .tls_seed = dseed, .timeout_ms = 5000};
		dp_client *c;
		/* wrong pin: refused during the handshake */
		memcpy(cfg.switch_tls_pk, other, 32);
		CHECK(dp_client_new(&c, &cfg) == DP_OK);
		CHECK(dp_client_health(c, NULL, 0) == DP_ENET);
		CHECKF(strstr(dp_client_message(c), "pinned TLS key") != NULL, "%s", dp_client_message(c));
		CHECK(dp_client_http_status(c) == 0);
		dp_client_free(c);
		/* right pin: TLS 1.3 + client certificate succeed; s_server's HTML is not our API */
		memcpy(cfg.switch_tls_pk, spk, 32);
		CHECK(dp_client_new(&c, &cfg) == DP_OK);
		int r = dp_client_health(c, NULL, 0);
		CHECKF(r == DP_EPROTO, "right pin -> %d (%s)", r, dp_client_message(c));
		CHECK(dp_client_http_status(c) == 200);
		dp_client_free(c);
		failover(port, spk, other, dseed);
		kill(pid, SIGTERM);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);

	unlink(cert);
	unlink(key);
	rmdir(dir);
}

int main(void)
{
	if (dp_crypto_init() || dp_client_global_init()) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	test_errors();
	test_args();
	test_pin();
	dp_client_global_cleanup();
	return t_done("test_client_api");
}
