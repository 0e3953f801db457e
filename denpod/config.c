/*
 * denpod/config.c - data directory layout, initialisation and key files.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "denpo/conf.h"
#include "denpo/encoding.h"
#include "denpo/num.h"
#include "denpo/tls.h"
#include "denpod/config.h"
#include "denpod/db.h"
#include "denpod/store.h"

int dpc_path(const dpc_config *c, const char *name, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s", c->dir, name);
	return n < 0 || (size_t)n >= cap ? DP_ETOOBIG : DP_OK;
}

int dpc_store_target(const dpc_config *c, char *out, size_t cap)
{
	if (!c->store[0])
		return dpc_path(c, "denpod.db", out, cap);
	int n = snprintf(out, cap, "%s", c->store);
	return n < 0 || (size_t)n >= cap ? DP_ETOOBIG : DP_OK;
}

int dpc_store_is_pg(const dpc_config *c) { return c->store[0] != 0; }

int dpc_alerts_path(const dpc_config *c, char *out, size_t cap)
{
	if (!c->alerts_file[0] || strcmp(c->alerts_file, "none") == 0)
		return DP_ENOTFOUND;
	if (c->alerts_file[0] != '/')
		return dpc_path(c, c->alerts_file, out, cap);
	int n = snprintf(out, cap, "%s", c->alerts_file);
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
	size_t n = strcspn(h, "/?#, \t"); /* of the first address of a list */
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
	char err[256];
	if (strpbrk(c->url, "\r\n") ||
	    dp_switch_list_parse(&c->urls, c->url, strlen(c->url), err, sizeof err)) {
		fprintf(stderr, "denpod: --url: %s (give https://HOST:PORT, or every instance's address "
				"separated by commas, the primary first, at most %d)\n",
			strpbrk(c->url, "\r\n") ? "a line break in it" : err, DP_SWITCH_URLS_MAX);
		return DP_EINVAL;
	}
	/* written back as parsed: one spelling, whatever spaces it was given with */
	if (dp_switch_list_format(&c->urls, c->url, sizeof c->url))
		return DP_EINVAL;
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
	/* a database that holds a switch (or anything) is not made a new one's: before any file */
	if (c->store[0] && (r = dps_target_empty(c->store)))
		return r;
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
	if (!r && c->store[0])
		r = dp_buf_printf(&conf, "store=%s\n", c->store);
	if (!r && !(r = dpc_path(c, "denpod.conf", path, sizeof path)))
		r = dp_write_file(path, conf.p, conf.len, 0600, 1);
	dp_buf_free(&conf);

	dps_store *s = NULL;
	if (!r && !(r = dpc_store_target(c, path, sizeof path)))
		r = dps_open(&s, path, 1);
	dps_close(s);
	if (!r && !c->store[0]) {
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

/*
 * Every key of denpod.conf: its field, what a value is, its default.  The
 * one list that dpc_load reads, `denpod config check` shows and
 * docs/operations.md ("denpod.conf") documents.
 */
enum { K_STR, K_ADDR, K_NUM, K_STORE, K_MARK, K_POST, K_LEVELS };
#define CONN(f) offsetof(dpc_config, conn) + offsetof(dpc_conn_limits, f), sizeof(unsigned)
#define STR(f) offsetof(dpc_config, f), sizeof(((dpc_config *)0)->f)
#define MARK(l) offsetof(dpc_config, markings.of[l]), DP_MARKING_MAX + 1
static const struct dpc_key {
	const char *name;
	int kind;
	size_t off, size;    /* the field; a string's capacity, a number's width */
	uint64_t min, max;   /* a number's range */
	uint64_t def;        /* a number's default */
	const char *def_s;   /* the default as shown ("": none, "-": required) */
	int secret;          /* shown as "(set, not shown)" */
} keys[] = {
	{"url", K_STR, STR(url), 0, 0, 0, "-", 0},
	/* may hold a password: never shown (libpq's passfile keeps it out of this file) */
	{"store", K_STORE, STR(store), 0, 0, 0, "denpod.db in the data directory (SQLite)", 1},
	{"listen", K_ADDR, STR(listen), 0, 0, 0, "-", 0},
	{"log_origin", K_STR, STR(log_origin), 0, 0, 0, "the first url's host:port + /denpo-log", 0},
	{"alerts_file", K_STR, STR(alerts_file), 0, 0, 0, "alerts.jsonl", 0},
	{"syslog", K_STR, STR(syslog), 0, 0, 0, "off", 0},
	{"syslog_facility", K_NUM, offsetof(dpc_config, syslog_facility), sizeof(int), 0, 23, 10, "", 0},
	{"syslog_pin", K_STR, STR(syslog_pin), 0, 0, 0, "none (required with syslog=tls:)", 0},
	/* your IANA private enterprise number; 32473 is RFC 5612's documentation number */
	{"syslog_enterprise", K_NUM, offsetof(dpc_config, syslog_enterprise), sizeof(unsigned), 1,
	 UINT32_MAX - 1, DPC_ENTERPRISE_DEFAULT, "", 0},
	{"metrics_listen", K_ADDR, STR(metrics_listen), 0, 0, 0, "off", 0},
	/* a year at most: a longer period is a typo, not a policy */
	{"scrub_period", K_NUM, offsetof(dpc_config, scrub_period), 8, 0, 366 * 86400, DPC_SCRUB_PERIOD, "", 0},
	{"scrub_rate", K_NUM, offsetof(dpc_config, scrub_rate), 8, DPC_SCRUB_RATE_MIN, UINT64_C(1) << 40,
	 DPC_SCRUB_RATE, "", 0},
	{"max_connections", K_NUM, CONN(max_conns), 0, 1000000, 0, "", 0},
	{"max_connections_per_address", K_NUM, CONN(max_per_addr), 1, 1000000, 256, "", 0},
	{"max_handshakes_per_address", K_NUM, CONN(max_hs_per_addr), 1, 1000000, 32, "", 0},
	{"handshake_timeout", K_NUM, CONN(handshake_s), 1, 3600, 10, "", 0},
	{"idle_timeout", K_NUM, CONN(idle_s), 1, 3600, 30, "", 0},
	{"request_timeout", K_NUM, CONN(request_s), 1, 3600, 20, "", 0},
	{"min_upload_rate", K_NUM, CONN(min_rate), 1, 1u << 30, 4096, "", 0},
	{"write_timeout", K_NUM, CONN(write_s), 1, 3600, 30, "", 0},
	/* seconds serving with /readyz at 503 after SIGTERM, so a load balancer drains first */
	{"shutdown_delay", K_NUM, offsetof(dpc_config, shutdown_delay), sizeof(unsigned), 0, 300, 0, "", 0},
	/* worker threads checking submissions' signatures (denpod/pool.h; 0: the loop thread) */
	{"verify_threads", K_NUM, offsetof(dpc_config, verify_threads), sizeof(unsigned), 0, 64, 2, "", 0},
	/* the ministry's classification markings (denpo/markings.h), shown beside each level */
	{"marking_unclassified", K_MARK, MARK(DP_CLASS_UNCLASSIFIED), 0, 0, 0, "none", 0},
	{"marking_restricted", K_MARK, MARK(DP_CLASS_RESTRICTED), 0, 0, 0, "none", 0},
	{"marking_confidential", K_MARK, MARK(DP_CLASS_CONFIDENTIAL), 0, 0, 0, "none", 0},
	{"marking_secret", K_MARK, MARK(DP_CLASS_SECRET), 0, 0, 0, "none", 0},
	{"marking_top_secret", K_MARK, MARK(DP_CLASS_TOP_SECRET), 0, 0, 0, "none", 0},
	/* the archive (denpo/records.h): its post, and the levels that must carry a record copy */
	{"records_post", K_POST, STR(records_post), 0, 0, 0, "none", 0},
	{"records_required", K_LEVELS, STR(records_required_s), 0, 0, 0, "none", 0},
};
#undef CONN
#undef STR
#undef MARK
#define NKEYS (sizeof keys / sizeof keys[0])
_Static_assert(NKEYS <= 64, "dpc_config.set has a bit per key");

static void num_set(void *base, const struct dpc_key *k, uint64_t v)
{
	char *f = (char *)base + k->off;
	if (k->size == 8)
		memcpy(f, &v, 8);
	else {
		unsigned u = (unsigned)v; /* int fields hold 0..23: the same bytes */
		memcpy(f, &u, sizeof u);
	}
}

static uint64_t num_get(const void *base, const struct dpc_key *k)
{
	const char *f = (const char *)base + k->off;
	if (k->size == 8) {
		uint64_t v;
		memcpy(&v, f, 8);
		return v;
	}
	unsigned u;
	memcpy(&u, f, sizeof u);
	return u;
}

void dpc_conn_defaults(dpc_conn_limits *l)
{
	/* the conn keys' fields, as offsets into a whole config */
	dpc_config c;
	memset(&c, 0, sizeof c);
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].off >= offsetof(dpc_config, conn) &&
		    keys[i].off < offsetof(dpc_config, conn) + sizeof c.conn)
			num_set(&c, &keys[i], keys[i].def);
	*l = c.conn;
}

int dpc_records_required_parse(const char *v, unsigned *set, char *why, size_t whycap)
{
	*set = 0;
	if (strcmp(v, "none") == 0 || !*v)
		return DP_OK;
	if (strcmp(v, "all") == 0) {
		*set = (1u << DP_CLASS_COUNT) - 1;
		return DP_OK;
	}
	for (const char *p = v;; p++) { /* every element, the empty one of "SECRET," too */
		size_t n = strcspn(p, ",");
		const char *e = p + n;
		while (n && (*p == ' ' || *p == '\t'))
			p++, n--;
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		int l = DP_CLASS_COUNT;
		for (int i = 0; i < DP_CLASS_COUNT && l == DP_CLASS_COUNT; i++)
			if (strlen(dp_class_name(i)) == n && memcmp(dp_class_name(i), p, n) == 0)
				l = i;
		if (l == DP_CLASS_COUNT) {
			snprintf(why, whycap, "\"%.*s\" is not a classification (UNCLASSIFIED, "
					      "RESTRICTED, CONFIDENTIAL, SECRET, TOP SECRET; separated by "
					      "commas), nor all or none", (int)(n > 40 ? 40 : n), p);
			return DP_EPARSE;
		}
		*set |= 1u << l;
		if (!*e)
			return DP_OK;
		p = e;
	}
}

/* The schedule's keys: a family each, the name after the prefix (dp_records_sched_set). */
static const char *const sched_prefix[] = {"records_retention_", "records_class_", "records_tag_"};
#define SCHED_KEYS (DP_RECORDS_RETENTIONS + DP_CLASS_COUNT + DP_RECORDS_TAG_RULES)
#define SCHED_KEY_MAX 96
struct sched_seen {
	char key[SCHED_KEYS][SCHED_KEY_MAX];
	unsigned line[SCHED_KEYS];
	size_t n;
};

/* A records_* schedule line into c->records; DP_ENOTFOUND if the key is not one. */
static int load_sched(dpc_config *c, dp_conf *rd, const dp_conf_kv *kv, struct sched_seen *seen)
{
	char kq[48], key[SCHED_KEY_MAX], val[256], why[DP_RECORDS_WHY];
	size_t f = 0;
	while (f < sizeof sched_prefix / sizeof sched_prefix[0] &&
	       (kv->kn <= strlen(sched_prefix[f]) ||
		memcmp(kv->key, sched_prefix[f], strlen(sched_prefix[f])) != 0))
		f++;
	if (f == sizeof sched_prefix / sizeof sched_prefix[0])
		return DP_ENOTFOUND;
	dp_conf_quote(kq, kv->key, kv->kn);
	if (kv->kn >= sizeof key || kv->vn >= sizeof val)
		return dp_conf_err(rd, DP_ETOOBIG, "%s: the line is too long (a name of at most %d "
						   "characters, a value of at most %zu bytes)", kq,
				   DP_NAME_MAX, sizeof val - 1);
	memcpy(key, kv->key, kv->kn);
	key[kv->kn] = 0;
	memcpy(val, kv->val, kv->vn);
	val[kv->vn] = 0;
	/* as every key of the file: set once (a level's name in any letter case is one key) */
	for (size_t i = 0; i < seen->n; i++)
		if (strcasecmp(seen->key[i], key) == 0)
			return dp_conf_err(rd, DP_EPARSE, "%s: duplicate key (first set on line %u; set "
							  "it once)", kq, seen->line[i]);
	if (seen->n == SCHED_KEYS)
		return dp_conf_err(rd, DP_ETOOBIG, "%s: more than %d records schedule lines", kq,
				   SCHED_KEYS);
	memcpy(seen->key[seen->n], key, sizeof key);
	seen->line[seen->n++] = rd->line;
	int r = dp_records_sched_set(&c->records, key, val, why, sizeof why);
	if (r)
		return dp_conf_err(rd, r == DP_ETOOBIG ? r : DP_EPARSE,
				   "%s: %s (docs/operations.md, \"Records\", has the schedule's lines "
				   "and an example)", kq, why);
	return DP_OK;
}

/* One line's key and value into c (rd: the line, for messages). */
static int load_kv(dpc_config *c, dp_conf *rd, const dp_conf_kv *kv, struct sched_seen *seen)
{
	char q[48], kq[48];
	const struct dpc_key *k = NULL;
	size_t i;
	int sr = load_sched(c, rd, kv, seen);
	if (sr != DP_ENOTFOUND)
		return sr;
	dp_conf_quote(kq, kv->key, kv->kn);
	for (i = 0; i < NKEYS && !k; i++)
		if (strlen(keys[i].name) == kv->kn && memcmp(keys[i].name, kv->key, kv->kn) == 0)
			k = &keys[i];
	if (!k) {
		const char *near = dp_conf_suggest(kv->key, kv->kn, keys, NKEYS, sizeof keys[0]);
		if (near)
			return dp_conf_err(rd, DP_EPARSE, "unknown key '%s' (did you mean '%s'?)", kq, near);
		return dp_conf_err(rd, DP_EPARSE, "unknown key '%s' (the keys are listed in "
						  "docs/operations.md, \"denpod.conf\"; `denpod config "
						  "check` shows them)", kq);
	}
	i--;
	if (c->set & (UINT64_C(1) << i))
		return dp_conf_err(rd, DP_EPARSE, "%s: duplicate key (first set on line %u; set it once)",
				   kq, c->line[i]);
	c->set |= UINT64_C(1) << i;
	c->line[i] = rd->line;
	if (k->kind == K_NUM) {
		uint64_t v;
		int r = dp_num_u64(&v, kv->val, kv->vn, k->min, k->max);
		if (r == DP_ETOOBIG)
			return dp_conf_err(rd, r, "%s: %s is outside the range %llu..%llu", kq,
					   dp_conf_quote(q, kv->val, kv->vn), (unsigned long long)k->min,
					   (unsigned long long)k->max);
		if (r)
			return dp_conf_err(rd, DP_EPARSE, "%s: \"%s\" is not a number (decimal digits, no "
							  "sign, no leading zero; %llu..%llu)", kq,
					   dp_conf_quote(q, kv->val, kv->vn), (unsigned long long)k->min,
					   (unsigned long long)k->max);
		num_set(c, k, v);
		return DP_OK;
	}
	/* refused, not cut: a cut path or address would be another one */
	if (kv->vn >= k->size)
		return dp_conf_err(rd, DP_ETOOBIG, "%s: the value is %zu bytes, at most %zu", kq, kv->vn,
				   k->size - 1);
	char *f = (char *)c + k->off;
	memcpy(f, kv->val, kv->vn);
	f[kv->vn] = 0;
	char host[DPC_LISTEN_MAX];
	int port;
	if (k->kind == K_STORE && (dpdb_kind_of(f) != DPDB_PG || strpbrk(f, " \t")))
		return dp_conf_err(rd, DP_EPARSE, "store: not a PostgreSQL URI (postgresql://USER@HOST/DB, "
						  "no spaces; see docs/several-switches.md); without store the "
						  "switch keeps denpod.db in its data directory");
	char why[DP_MARKING_WHY];
	if (k->kind == K_MARK && !dp_marking_ok(f, kv->vn, why, sizeof why))
		return dp_conf_err(rd, DP_EPARSE, "%s: not a marking: %s (a marking is shown on every "
						  "banner beside the level: e.g. %s = 極秘; docs/operations.md, "
						  "\"Classification markings\")", kq, why, kq);
	if (k->kind == K_POST && !dp_name_ok(f))
		return dp_conf_err(rd, DP_EPARSE, "%s: \"%s\" is not a post name (the HQ post of the "
						  "records officers, as `denpod post list` shows it)", kq,
				   dp_conf_quote(q, kv->val, kv->vn));
	if (k->kind == K_LEVELS && dpc_records_required_parse(f, &c->records_required, why, sizeof why))
		return dp_conf_err(rd, DP_EPARSE, "%s: %s", kq, why);
	if (k->kind == K_ADDR && dpc_parse_listen(f, host, sizeof host, &port))
		return dp_conf_err(rd, DP_EPARSE, "%s: \"%s\" is not HOST:PORT (e.g. 127.0.0.1:9100, "
						  "[::1]:9100)", kq, dp_conf_quote(q, kv->val, kv->vn));
	return DP_OK;
}

/* The line a key was set on (0: not set). */
static unsigned line_of(const dpc_config *c, const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return c->line[i];
	return 0;
}

int dpc_parse(dpc_config *c, const char *dir, const char *name, const char *text, size_t len,
	      char *err, size_t errcap)
{
	memset(c, 0, sizeof *c);
	if (strlen(dir) >= sizeof c->dir - 32)
		return DP_ETOOBIG;
	snprintf(c->dir, sizeof c->dir, "%s", dir);
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].kind == K_NUM)
			num_set(c, &keys[i], keys[i].def);
	dp_records_sched_default(&c->records);
	dp_conf rd;
	dp_conf_kv kv;
	int r;
	struct sched_seen *seen = calloc(1, sizeof *seen);
	if (!seen)
		return DP_ENOMEM;
	dp_conf_init(&rd, name, text, len, err, errcap);
	while ((r = dp_conf_next(&rd, &kv)) == DP_OK && (r = load_kv(c, &rd, &kv, seen)) == DP_OK)
		;
	free(seen);
	if (r != DP_ENOTFOUND)
		return r;
	if (!c->alerts_file[0])
		snprintf(c->alerts_file, sizeof c->alerts_file, "alerts.jsonl");
	if (!c->url[0] || !c->listen[0]) {
		snprintf(err, errcap, "%s: lacks %s (`denpod init` writes both)", name,
			 !c->url[0] ? "url = https://HOST:PORT" : "listen = HOST:PORT");
		return DP_EPARSE;
	}
	rd.line = line_of(c, "url");
	char why[256];
	if ((r = dp_switch_list_parse(&c->urls, c->url, strlen(c->url), why, sizeof why)))
		return dp_conf_err(&rd, DP_EPARSE, "url: %s (url is what devices are told to connect "
						   "to: one address, or every instance's separated by commas, "
						   "the primary first, at most %d)",
				   why, DP_SWITCH_URLS_MAX);
	if (!c->log_origin[0] && dpc_default_origin(c->url, c->log_origin, sizeof c->log_origin))
		return dp_conf_err(&rd, DP_EPARSE, "url: no log origin can be made from it; set "
						   "log_origin");
	rd.line = line_of(c, "log_origin");
	if (!dp_note_name_ok(c->log_origin))
		return dp_conf_err(&rd, DP_EPARSE, "log_origin: not a valid key name (printable, no "
						   "spaces, no '+', e.g. mofa.example/denpo-log)");
	if (c->records_required && !c->records_post[0]) {
		rd.line = line_of(c, "records_required");
		return dp_conf_err(&rd, DP_EPARSE, "records_required: names classifications but "
						   "records_post is not set: set records_post = the HQ "
						   "post of the archive's records officers, or remove "
						   "records_required");
	}
	if ((r = dp_records_sched_validate(&c->records, why, sizeof why))) {
		snprintf(err, errcap, "%s: the records schedule (records_* lines): %s", name, why);
		return DP_EPARSE;
	}
	return DP_OK;
}

int dpc_read(dpc_config *c, const char *dir, char *err, size_t errcap)
{
	char path[DPC_PATH_MAX];
	memset(c, 0, sizeof *c);
	if (strlen(dir) >= sizeof c->dir - 32) {
		snprintf(err, errcap, "the data directory's path is too long");
		return DP_ETOOBIG;
	}
	snprintf(c->dir, sizeof c->dir, "%s", dir); /* for dpc_path; dpc_parse sets it again */
	dp_buf b;
	dp_buf_init(&b, DP_CONF_MAX + 1);
	int r = dpc_path(c, "denpod.conf", path, sizeof path);
	if (!r)
		r = dp_read_file(path, &b);
	if (r)
		snprintf(err, errcap, "cannot read %s (%s); is %s a data directory made by "
				      "`denpod init`?", path, dp_strerror(r), dir);
	else
		r = dpc_parse(c, dir, path, (const char *)b.p, b.len, err, errcap);
	dp_buf_free(&b);
	return r;
}

int dpc_load(dpc_config *c, const char *dir)
{
	char err[DPC_PATH_MAX + 512];
	int r = dpc_read(c, dir, err, sizeof err);
	if (r)
		fprintf(stderr, "denpod: %s\n", err);
	return r;
}

size_t dpc_key_count(void)
{
	return NKEYS;
}

const char *dpc_key_show(const dpc_config *c, size_t i, char *val, size_t cap, int *is_default)
{
	if (i >= NKEYS)
		return NULL;
	const struct dpc_key *k = &keys[i];
	*is_default = !(c->set & (UINT64_C(1) << i));
	if (k->secret && !*is_default)
		snprintf(val, cap, "(set, not shown)");
	else if (k->kind == K_NUM)
		snprintf(val, cap, "%llu", (unsigned long long)num_get(c, k));
	else if (*is_default && (strcmp(k->def_s, "off") == 0 || strcmp(k->def_s, "none") == 0))
		snprintf(val, cap, "%s", k->def_s);
	else
		snprintf(val, cap, "%s", (const char *)c + k->off);
	return k->name;
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
