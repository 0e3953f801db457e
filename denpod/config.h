/*
 * denpod/config.h - the switch's data directory.
 *
 *   DIR/            0700
 *   DIR/denpod.conf url = ..., listen = ..., log_origin = ... (text, one KEY = VALUE a
 *                   line, read by denpo/conf.h's line reader: unknown keys, duplicate
 *                   keys and malformed lines are refused with FILE:LINE; every key is
 *                   in config.c's table and docs/operations.md "denpod.conf")
 *   DIR/sign.key    32-byte Ed25519 seed signing enrolment answers (0600, O_EXCL)
 *   DIR/log.key     32-byte Ed25519 seed signing the transparency log's checkpoints (0600, O_EXCL)
 *   DIR/tls.key     32-byte Ed25519 seed of the TLS identity (0600, O_EXCL)
 *   DIR/tls.crt     the self-signed certificate (PEM, informational)
 *   DIR/denpod.db   SQLite database (WAL)
 *   DIR/denpod.lock locked by `denpod run` and `denpod restore` (denpod/backup.h)
 *   DIR/before-restore-<UTC time>/  the files a `denpod restore` replaced
 *
 * `denpod run` reads tls.key and log.key; sign.key is read by `denpod approve`.
 * url names every address of the switch, in the order devices try them: one
 * (https://HOST:PORT), or several instances of it on one database, separated by
 * commas (url = https://a.example:8443, https://b.example:8443; at most
 * DP_SWITCH_URLS_MAX, no two the same: denpo/switches.h).  `denpod approve`
 * puts them all in the enrolment answer; the first is the primary.
 * log_origin names the log in its checkpoints (and its key in signatures);
 * default: the first URL's host[:port] + "/denpo-log".
 *
 * Detection (docs/detection.md), all optional:
 *   DIR/detect.conf   the rules' thresholds, modes and networks (dp_det_config_parse)
 *   alerts_file=PATH  alerts and containment steps as ECS JSON lines (default
 *                     DIR/alerts.jsonl; a relative path is under DIR; "none": off)
 *   syslog=udp:HOST:PORT | tls:HOST:PORT | unix:PATH   the same as RFC 5424 messages
 *                     (default: off; tls: RFC 5425, denpod/syslog_tls.h)
 *   syslog_pin=PATH | sha256:HEX  tls: the collector's certificate (PEM) or its SHA-256
 *                     fingerprint; required with tls:, nothing else is trusted
 *   syslog_enterprise=N  the IANA private enterprise number in the SD-ID
 *                     ("denpo@N"; default 32473, RFC 5612's documentation number)
 *   syslog_facility=N 0..23 (default 10, authpriv)
 *   metrics_listen=HOST:PORT  Prometheus metrics over plain HTTP (GET /metrics; default
 *                     off; keep it on a loopback or management address), and the
 *                     health checks /healthz and /readyz (denpod/health.h)
 *   shutdown_delay=S  after SIGTERM, keep serving S seconds (0..300, default 0) with
 *                     /readyz answering 503, so a load balancer drains the switch first
 *                     (a second SIGTERM or SIGINT stops it at once)
 *   verify_threads=N  worker threads that parse submissions and check their
 *                     envelope signatures off the loop thread (0..64, default 2;
 *                     0: the loop thread does, as one thread)
 *
 * Classification markings (denpo/markings.h, docs/operations.md), all optional:
 *   marking_unclassified, marking_restricted, marking_confidential, marking_secret,
 *   marking_top_secret = TEXT   the ministry's own marking of that level (UTF-8, e.g.
 *                     極秘), shown on every banner beside the level; a value that
 *                     dp_marking_ok refuses stops the switch at start with FILE:LINE
 *
 * The scrub (denpod/scrub.h, docs/operations.md "Damage and recovery"):
 *   scrub_period=SECONDS  a pass over every stored cable and the whole log
 *                     starts at most this often (default 86400, a day; 0: no scrub)
 *   scrub_rate=BYTES      the pass reads at most this many bytes a second, cables and
 *                     log entries together (default 8388608, 8 MiB/s; at least 4096)
 *
 * Connections to the API port (denpod/conn.h; docs/operations.md), all optional,
 * each a decimal number:
 *   max_connections=N             in all (default 0: what the descriptor limit leaves)
 *   max_connections_per_address=N from one IPv4 address or IPv6 /64 (default 256)
 *   max_handshakes_per_address=N  of those, still in their TLS handshake (default 32)
 *   handshake_timeout=S           accept to TLS handshake done (default 10)
 *   idle_timeout=S                a kept-alive connection with no request (default 30)
 *   request_timeout=S             first byte to the whole request head (default 20) ...
 *   min_upload_rate=B             ... plus one second per B bytes of body (default 4096)
 *   write_timeout=S               an answer that makes no progress (default 30)
 *
 * The ministry's record copy (denpo/records.h; docs/operations.md "Records"), all optional:
 *   records_post=POST     the HQ post whose officers holding the role RECORDS are the
 *                     archive: each of their devices receives every cable it is
 *                     cleared for, with role record (denpod/policy.h).  Unset: no archive
 *   records_required=LEVELS  the classifications whose cables must be encrypted to the
 *                     archive's devices: names as dp_class_name spells them, separated
 *                     by commas (SECRET, TOP SECRET), or "all", or "none" (the default);
 *                     refused without records_post
 *   records_retention_NAME, records_class_LEVEL, records_tag_TAG = ...  the records
 *                     schedule (dp_records_sched_set), handed to devices with the
 *                     directory; without them dp_records_sched_default
 */
#ifndef DENPOD_CONFIG_H
#define DENPOD_CONFIG_H

#include "denpo/enrol.h"
#include "denpo/markings.h"
#include "denpo/records.h"
#include "denpo/tlog.h"

#define DPC_VERSION "0.1" /* denpod's version: GET /v1/health, ECS observer.version */
#define DPC_PATH_MAX 4096
#define DPC_STORE_MAX 1024 /* bytes of a store = URI */
#define DPC_LISTEN_MAX 128

/* The limits of denpod/conn.h, as denpod.conf sets them (seconds, bytes/s, counts). */
typedef struct {
	unsigned max_conns;       /* 0: derived from RLIMIT_NOFILE */
	unsigned max_per_addr;
	unsigned max_hs_per_addr;
	unsigned handshake_s, idle_s, request_s, write_s;
	unsigned min_rate;
} dpc_conn_limits;

typedef struct {
	char dir[DPC_PATH_MAX];
	char url[DP_SWITCH_LIST_TEXT_MAX + 1]; /* as written: one address or several */
	char store[DPC_STORE_MAX + 1]; /* a PostgreSQL URI; "": denpod.db in dir (dpc_store_target) */
	dp_switch_list urls;                    /* ... parsed (dpc_parse, dpc_init) */
	char listen[DPC_LISTEN_MAX + 1]; /* "host:port" */
	char log_origin[DP_NOTE_NAME_MAX + 1];
	char alerts_file[DPC_PATH_MAX];
	char syslog[DPC_LISTEN_MAX + DPC_PATH_MAX];
	int syslog_facility;
	char syslog_pin[DPC_PATH_MAX];  /* tls: the collector's PEM certificate or sha256:HEX */
	unsigned syslog_enterprise;     /* the SD-ID's enterprise number (default 32473) */
	char metrics_listen[DPC_LISTEN_MAX + 1];
	uint64_t scrub_period; /* seconds; 0: off */
	uint64_t scrub_rate;   /* bytes per second */
	dpc_conn_limits conn;
	uint64_t set;       /* bit i: key i of dpc_key_show was in the file */
	unsigned line[64];  /* ... on this line */
	unsigned shutdown_delay; /* seconds serving with /readyz at 503 after SIGTERM (0..300) */
	unsigned verify_threads; /* worker threads checking submissions (0..64; 0: the loop thread) */
	dp_markings markings;    /* marking_LEVEL = ...: the ministry's markings ("": none) */
	char records_post[DP_NAME_MAX + 1]; /* "": no archive */
	char records_required_s[128];       /* records_required as written ("": none) */
	unsigned records_required;          /* ... parsed: bit (1u << level) per enum dp_class */
	dp_records_sched records;           /* the schedule: the default + records_* lines */
} dpc_config;

#define DPC_ENTERPRISE_DEFAULT 32473 /* RFC 5612: for documentation; a ministry sets its own */
#define DPC_SCRUB_PERIOD 86400
#define DPC_SCRUB_RATE (8u << 20)
#define DPC_SCRUB_RATE_MIN 4096

/* DIR/name into out (DP_ETOOBIG if it does not fit). */
int dpc_path(const dpc_config *c, const char *name, char *out, size_t cap) DP_WUR;
/*
 * The database the switch keeps its state in, as dps_open takes it: the
 * `store` URI (PostgreSQL: docs/several-switches.md) if set, else the
 * SQLite file denpod.db in the data directory.  DP_ETOOBIG if it does not
 * fit.  The one place that decides it: every program and thread that opens
 * the store asks here.
 */
int dpc_store_target(const dpc_config *c, char *out, size_t cap) DP_WUR;
/* 1 if the switch's store is PostgreSQL (store = postgresql://...). */
int dpc_store_is_pg(const dpc_config *c);
/* The alert file's path (alerts_file=, under DIR if relative); DP_ENOTFOUND if "none". */
int dpc_alerts_path(const dpc_config *c, char *out, size_t cap) DP_WUR;
/*
 * Create the data directory (must not exist or be empty), keys, cert,
 * database, config.  An empty c->log_origin gets the default.
 */
int dpc_init(dpc_config *c) DP_WUR;
/* The connection limits' defaults (what an absent key means). */
void dpc_conn_defaults(dpc_conn_limits *l);
/*
 * Read DIR/denpod.conf (dpc_parse); its error, if any, goes to stderr as
 * "denpod: PATH:LINE: what (what to do)".
 */
int dpc_load(dpc_config *c, const char *dir) DP_WUR;
/* The same with the message in err instead ("PATH:LINE: ..." or "cannot read PATH ..."). */
int dpc_read(dpc_config *c, const char *dir, char *err, size_t errcap) DP_WUR;
/*
 * A denpod.conf text (name: the file in messages) into c, on top of the
 * defaults, for data directory dir.  Every line is a known key once, with
 * a value of its kind (numbers in range, HOST:PORT addresses that parse,
 * strings that fit); url and listen are required.  DP_EPARSE / DP_ETOOBIG
 * with err ("NAME:LINE: ...").
 */
int dpc_parse(dpc_config *c, const char *dir, const char *name, const char *text, size_t len,
	      char *err, size_t errcap) DP_WUR;
/*
 * records_required's value into a set of levels (bit 1u << level): "all",
 * "none", or level names as dp_class_name spells them separated by commas.
 * DP_EPARSE with why.
 */
int dpc_records_required_parse(const char *v, unsigned *set, char *why, size_t whycap) DP_WUR;
/* How many keys denpod.conf has. */
size_t dpc_key_count(void);
/*
 * Key i (< dpc_key_count()): returns its name, its value in force into val
 * (a secret one as "(set, not shown)"), and whether that is the default.
 * NULL if i is out of range.
 */
const char *dpc_key_show(const dpc_config *c, size_t i, char *val, size_t cap, int *is_default);
/*
 * Read a 32-byte seed file into sodium_malloc'd memory and derive the
 * 64-byte libsodium secret key (seed || pk) there; *sk must be released with
 * dpc_key_free.  pk receives the public key.
 */
int dpc_key_load(const dpc_config *c, const char *name, uint8_t **sk, uint8_t pk[32]) DP_WUR;
void dpc_key_free(uint8_t *sk);
/* The default log origin of a URL (the first of a list): "host[:port]/denpo-log". */
int dpc_default_origin(const char *url, char *out, size_t cap) DP_WUR;
/* Parse "host:port" (IPv4/IPv6 literal or name); port 1..65535. */
int dpc_parse_listen(const char *s, char *host, size_t hostcap, int *port) DP_WUR;

#endif
