/*
 * denpod/config.c - data directory layout, initialisation and key files.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "denpo/encoding.h"
#include "denpo/num.h"
#include "denpo/tls.h"
#include "denpod/config.h"
#include "denpod/store.h"

int dpc_path(const dpc_config *c, const char *name, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s", c->dir, name);
	return n < 0 || (size_t)n >= cap ? DP_ETOOBIG : DP_OK;
}

int dpc_parse_listen(const char *s, char *host, size_t hostcap, int *port)
{
	const char *colon = strrchr(s, ':');
	/* host:port with a non-empty host */
	if (!colon || colon == s || (size_t)(colon - s) >= hostcap)
		return DP_EPARSE;
	const char *h = s;
	size_t hl = (size_t)(colon - s);
	if (h[0] == '[' && h[hl - 1] == ']') { /* [::1]:8443 */
		h++;
		hl -= 2;
	}
	memcpy(host, h, hl);
	host[hl] = 0;
	uint64_t p;
	if (dp_num_str(&p, colon + 1, 1, 65535))
		return DP_EPARSE; /* ":+8443", ": 8443", ":08443", ":8443x" */
	*port = (int)p;
	return DP_OK;
}

static int write_seed(const dpc_config *c, const char *name, uint8_t seed[32])
{
	char path[DPC_PATH_MAX];
	int r = dpc_path(c, name, path, sizeof path);
	if (!r)
		r = dp_write_file(path, seed, 32, 0600, 1);
	if (r)
		fprintf(stderr, "denpod: cannot write %s: %s\n", path, dp_strerror(r));
	return r;
}

int dpc_default_origin(const char *url, char *out, size_t cap)
{
	const char *h = strncmp(url, "https://", 8) == 0 ? url + 8 : url;
	size_t n = strcspn(h, "/?#");
	int k = snprintf(out, cap, "%.*s/denpo-log", (int)n, h);
	if (k < 0 || (size_t)k >= cap || n == 0 || !dp_note_name_ok(out))
		return DP_EINVAL;
	return DP_OK;
}

int dpc_init(dpc_config *c)
{
	char path[DPC_PATH_MAX], host[DPC_LISTEN_MAX];
	int port, r;
	if (dpc_parse_listen(c->listen, host, sizeof host, &port)) {
		fprintf(stderr, "denpod: --listen must be HOST:PORT, e.g. 127.0.0.1:8443\n");
		return DP_EINVAL;
	}
	if (strncmp(c->url, "https://", 8) != 0 || strlen(c->url) > DP_URL_MAX ||
	    strpbrk(c->url, " \t\r\n")) {
		fprintf(stderr, "denpod: --url must be https://HOST:PORT\n");
		return DP_EINVAL;
	}
	if (!c->log_origin[0] && dpc_default_origin(c->url, c->log_origin, sizeof c->log_origin)) {
		fprintf(stderr, "denpod: no log origin can be made from --url %s; give --origin NAME\n",
			c->url);
		return DP_EINVAL;
	}
	if (!dp_note_name_ok(c->log_origin)) {
		fprintf(stderr, "denpod: --origin must be a key name: printable, no spaces, no '+' "
				"(e.g. mofa.example/denpo-log)\n");
		return DP_EINVAL;
	}
	if (mkdir(c->dir, 0700) != 0) {
		if (errno != EEXIST) {
			fprintf(stderr, "denpod: cannot create %s: %s\n", c->dir, strerror(errno));
			return DP_EIO;
		}
		if (chmod(c->dir, 0700) != 0)
			return DP_EIO;
	}
	/* refuse to overwrite an existing switch: the O_EXCL key writes below fail too */
	if (dpc_path(c, "sign.key", path, sizeof path) == DP_OK && access(path, F_OK) == 0) {
		fprintf(stderr, "denpod: %s already holds a switch (sign.key exists); "
				"choose another --data directory\n", c->dir);
		return DP_EEXISTS;
	}

	uint8_t *seeds = sodium_malloc(96);
	if (!seeds)
		return DP_ENOMEM;
	dp_random(seeds, 96);
	uint8_t sign_pk[32], tls_pk[32], log_pk[32];
	dp_tls_pk_from_seed(seeds, sign_pk);
	dp_tls_pk_from_seed(seeds + 32, tls_pk);
	dp_tls_pk_from_seed(seeds + 64, log_pk);
	dp_buf cert, key;
	dp_buf_init(&cert, 16384);
	dp_buf_init(&key, 16384);
	r = write_seed(c, "sign.key", seeds);
	if (!r)
		r = write_seed(c, "tls.key", seeds + 32);
	if (!r)
		r = write_seed(c, "log.key", seeds + 64);
	if (!r)
		r = dp_tls_selfsigned(seeds + 32, "denpo switch", &cert, &key);
	sodium_free(seeds);
	dp_buf_free(&key); /* rebuilt from tls.key at start; never stored as PEM */
	if (!r && !(r = dpc_path(c, "tls.crt", path, sizeof path)))
		r = dp_write_file(path, cert.p, cert.len, 0644, 1);
	dp_buf_free(&cert);

	dp_buf conf;
	dp_buf_init(&conf, 4096);
	if (!r)
		r = dp_buf_printf(&conf, "# denpod configuration\nurl=%s\nlisten=%s\nlog_origin=%s\n",
				  c->url, c->listen, c->log_origin);
	if (!r && !(r = dpc_path(c, "denpod.conf", path, sizeof path)))
		r = dp_write_file(path, conf.p, conf.len, 0600, 1);
	dp_buf_free(&conf);

	dps_store *s = NULL;
	if (!r && !(r = dpc_path(c, "denpod.db", path, sizeof path)))
		r = dps_open(&s, path, 1);
	dps_close(s);
	if (!r) {
		/* the database holds metadata of every cable: owner only */
		if (chmod(path, 0600) != 0)
			r = DP_EIO;
	}
	if (r) {
		fprintf(stderr, "denpod: init failed: %s\n", dp_strerror(r));
		return r;
	}
	char b64[64], pin[64], hex[65];
	printf("switch initialised in %s\n", c->dir);
	printf("url:            %s\n", c->url);
	printf("listen:         %s\n", c->listen);
	dp_b64_encode(b64, sign_pk, 32, 1);
	dp_hex_encode(hex, sign_pk, 32);
	printf("sign key:       %s (hex %s)\n", b64, hex);
	dp_b64_encode(b64, tls_pk, 32, 1);
	dp_tls_pin(tls_pk, pin);
	printf("tls key:        %s\n", b64);
	printf("tls pin:        %s\n", pin);
	dp_note_vkey vk;
	char vks[DP_NOTE_VKEY_MAX + 1];
	if (dp_note_vkey_make(&vk, c->log_origin, DP_NOTE_ED25519, log_pk) == DP_OK &&
	    dp_note_vkey_format(vks, sizeof vks, &vk) == DP_OK)
		printf("log key:        %s\n", vks);
	printf("next: add posts and officers (denpod post add, denpod officer add), then "
	       "approve enrolment requests (denpod approve)\n");
	return DP_OK;
}

/* Value of key in a "key=value" config text, or "" if absent. */
static void conf_get(const dp_buf *b, const char *key, char *out, size_t cap)
{
	dp_cur c = dp_cur_make(b->p, b->len);
	const uint8_t *line;
	size_t n, kl = strlen(key);
	out[0] = 0;
	while (dp_cur_line(&c, &line, &n) == DP_OK) {
		if (n > kl && memcmp(line, key, kl) == 0 && line[kl] == '=') {
			size_t vl = n - kl - 1;
			if (vl >= cap)
				vl = cap - 1;
			memcpy(out, line + kl + 1, vl);
			out[vl] = 0;
		}
	}
}

/* The connection limits: key, field, the range allowed, the default. */
static const struct {
	const char *key;
	size_t off;
	unsigned min, max, def;
} conn_keys[] = {
	{"max_connections", offsetof(dpc_conn_limits, max_conns), 0, 1000000, 0},
	{"max_connections_per_address", offsetof(dpc_conn_limits, max_per_addr), 1, 1000000, 256},
	{"max_handshakes_per_address", offsetof(dpc_conn_limits, max_hs_per_addr), 1, 1000000, 32},
	{"handshake_timeout", offsetof(dpc_conn_limits, handshake_s), 1, 3600, 10},
	{"idle_timeout", offsetof(dpc_conn_limits, idle_s), 1, 3600, 30},
	{"request_timeout", offsetof(dpc_conn_limits, request_s), 1, 3600, 20},
	{"min_upload_rate", offsetof(dpc_conn_limits, min_rate), 1, 1u << 30, 4096},
	{"write_timeout", offsetof(dpc_conn_limits, write_s), 1, 3600, 30},
};

void dpc_conn_defaults(dpc_conn_limits *l)
{
	for (size_t i = 0; i < sizeof conn_keys / sizeof conn_keys[0]; i++)
		*(unsigned *)(void *)((char *)l + conn_keys[i].off) = conn_keys[i].def;
}

static int conn_limits(const dp_buf *b, const char *path, dpc_conn_limits *l)
{
	dpc_conn_defaults(l);
	for (size_t i = 0; i < sizeof conn_keys / sizeof conn_keys[0]; i++) {
		char v[24];
		uint64_t n;
		conf_get(b, conn_keys[i].key, v, sizeof v);
		if (!v[0])
			continue;
		if (dp_num_str(&n, v, conn_keys[i].min, conn_keys[i].max)) {
			fprintf(stderr, "denpod: %s= in %s must be a number %u..%u (it is \"%s\")\n",
				conn_keys[i].key, path, conn_keys[i].min, conn_keys[i].max, v);
			return DP_EPARSE;
		}
		*(unsigned *)(void *)((char *)l + conn_keys[i].off) = (unsigned)n;
	}
	return DP_OK;
}

int dpc_load(dpc_config *c, const char *dir)
{
	char path[DPC_PATH_MAX];
	memset(c, 0, sizeof *c);
	if (strlen(dir) >= sizeof c->dir - 32)
		return DP_ETOOBIG;
	snprintf(c->dir, sizeof c->dir, "%s", dir);
	dp_buf b;
	dp_buf_init(&b, 65536);
	int r = dpc_path(c, "denpod.conf", path, sizeof path);
	if (!r)
		r = dp_read_file(path, &b);
	if (r) {
		fprintf(stderr, "denpod: cannot read %s (%s); is %s a data directory made by "
				"`denpod init`?\n", path, dp_strerror(r), dir);
		dp_buf_free(&b);
		return r;
	}
	conf_get(&b, "url", c->url, sizeof c->url);
	conf_get(&b, "listen", c->listen, sizeof c->listen);
	conf_get(&b, "log_origin", c->log_origin, sizeof c->log_origin);
	conf_get(&b, "alerts_file", c->alerts_file, sizeof c->alerts_file);
	conf_get(&b, "syslog", c->syslog, sizeof c->syslog);
	conf_get(&b, "metrics_listen", c->metrics_listen, sizeof c->metrics_listen);
	char fac[16], period[32], rate[32], pen[16];
	conf_get(&b, "syslog_facility", fac, sizeof fac);
	conf_get(&b, "syslog_pin", c->syslog_pin, sizeof c->syslog_pin);
	conf_get(&b, "syslog_enterprise", pen, sizeof pen);
	conf_get(&b, "scrub_period", period, sizeof period);
	conf_get(&b, "scrub_rate", rate, sizeof rate);
	r = conn_limits(&b, path, &c->conn);
	dp_buf_free(&b);
	if (r)
		return r;
	c->scrub_period = DPC_SCRUB_PERIOD;
	c->scrub_rate = DPC_SCRUB_RATE;
	/* a year at most: a longer period is a typo, not a policy */
	if (period[0] && dp_num_str(&c->scrub_period, period, 0, 366 * 86400)) {
		fprintf(stderr, "denpod: scrub_period= in %s must be seconds, 0..%d (0: no scrub)\n",
			path, 366 * 86400);
		return DP_EPARSE;
	}
	if (rate[0] && dp_num_str(&c->scrub_rate, rate, DPC_SCRUB_RATE_MIN, UINT64_C(1) << 40)) {
		fprintf(stderr, "denpod: scrub_rate= in %s must be bytes per second, %d..%llu\n", path,
			DPC_SCRUB_RATE_MIN, (unsigned long long)(UINT64_C(1) << 40));
		return DP_EPARSE;
	}
	uint64_t f = 10; /* authpriv: security messages, kept private by syslog daemons */
	if (fac[0] && dp_num_str(&f, fac, 0, 23)) {
		fprintf(stderr, "denpod: syslog_facility= in %s must be 0..23\n", path);
		return DP_EPARSE;
	}
	c->syslog_facility = (int)f;
	uint64_t e = DPC_ENTERPRISE_DEFAULT;
	if (pen[0] && dp_num_str(&e, pen, 1, UINT32_MAX - 1)) {
		fprintf(stderr, "denpod: syslog_enterprise= in %s must be your IANA private enterprise "
				"number, 1..%u\n", path, UINT32_MAX - 1);
		return DP_EPARSE;
	}
	c->syslog_enterprise = (unsigned)e;
	if (!c->alerts_file[0])
		snprintf(c->alerts_file, sizeof c->alerts_file, "alerts.jsonl");
	if (!c->url[0] || !c->listen[0]) {
		fprintf(stderr, "denpod: %s lacks url= or listen=\n", path);
		return DP_EPARSE;
	}
	if (!c->log_origin[0] && dpc_default_origin(c->url, c->log_origin, sizeof c->log_origin)) {
		fprintf(stderr, "denpod: %s lacks log_origin= and url= gives none\n", path);
		return DP_EPARSE;
	}
	if (!dp_note_name_ok(c->log_origin)) {
		fprintf(stderr, "denpod: log_origin= in %s is not a valid key name\n", path);
		return DP_EPARSE;
	}
	return DP_OK;
}

int dpc_key_load(const dpc_config *c, const char *name, uint8_t **sk, uint8_t pk[32])
{
	char path[DPC_PATH_MAX];
	int r = dpc_path(c, name, path, sizeof path);
	if (r)
		return r;
	struct stat st;
	if (stat(path, &st) == 0 && (st.st_mode & 077)) {
		fprintf(stderr, "denpod: %s is readable by others; run chmod 600 %s\n", path, path);
		return DP_EDENIED;
	}
	dp_buf b;
	dp_buf_init(&b, 64);
	r = dp_read_file(path, &b);
	/* a seed file holds exactly 32 bytes */
	if (!r && b.len != 32)
		r = DP_EPARSE;
	uint8_t *k = r ? NULL : sodium_malloc(64);
	if (!r && !k)
		r = DP_ENOMEM;
	if (!r) {
		crypto_sign_ed25519_seed_keypair(pk, k, b.p);
		sodium_mprotect_readonly(k);
		*sk = k;
	}
	dp_buf_free(&b);
	if (r)
		fprintf(stderr, "denpod: cannot load key %s: %s\n", path, dp_strerror(r));
	return r;
}

void dpc_key_free(uint8_t *sk)
{
	if (sk)
		sodium_free(sk);
}
