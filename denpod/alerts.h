/*
 * denpod/alerts.h - where the switch's alerts and containment actions go:
 * ECS JSON lines, RFC 5424 syslog, and Prometheus counters.
 *
 * The detection engine (denpo/detect.h) produces dp_det_alert; the switch
 * produces dpo_action for each containment or operator step.  Both are
 * written, one object per line, to a JSON-lines file that any shipper can
 * tail, and as RFC 5424 messages to a syslog receiver.  Metrics carry
 * coarse labels only: they are less protected than the audit stream.
 *
 * ---- ECS mapping (Elastic Common Schema 8.11; nested objects, one line) ----
 * Alert (dpo_alert_ecs):
 *   @timestamp         t_ms, RFC 3339 UTC with milliseconds ("2023-11-14T22:13:20.123Z")
 *   message            one line: "DECOY alert (enforce, paged): suspend device
 *                      0001020304050607 of sato.k at TOKYO" (the device's first 16 hex
 *                      digits; report-only: "... (report-only): would suspend device ...";
 *                      a withheld suspension says why); control characters become spaces
 *   ecs.version        "8.11.0"
 *   event.kind         "alert" (a detection rule run outside the Elastic Stack)
 *   event.category     ["intrusion_detection"]
 *   event.type         ["denied"] if the engine throttled or suspended the device,
 *                      else ["info"] (the types ECS expects for intrusion_detection)
 *   event.action       the rule name ("DECOY", "BULK-CAP", ...)
 *   event.severity     the alert's severity (21 low, 47 medium, 73 high, 99 critical)
 *   event.risk_score   the device's risk score (a float, as ECS types it)
 *   event.reason       the detail: what, how much, against which threshold
 *   event.start        first_ms (the first event of the evidence), if set
 *   rule.name          the rule name;  rule.ruleset "denpo"
 *   device.id          hex of the 32-byte device id (64 lower-case digits)
 *   user.name          the officer (absent if empty)
 *   labels.post        the post (a post is neither a user group nor an ECS
 *                      organization; labels are ECS's place for such keywords)
 *   source.ip          the request's address (IPv4-mapped shown as a.b.c.d;
 *                      absent if all zero = unknown)
 *   observer.vendor "denpo", observer.product "denpod", observer.hostname host
 *   denpo.mode         "report" | "enforce"
 *   denpo.page         true | false
 *   denpo.action       what the engine did: "none" | "throttle" | "suspend"
 *   denpo.would        report-only: what it would have done ("none" otherwise)
 *   denpo.withheld     "none" | "cap" | "last-device" (a suspension the safeguards withheld)
 *   denpo.first_ms     = event.start (RFC 3339 ms), if set
 *   denpo.log_index    the transparency-log entry of the alert, if log_index >= 0
 * Action (dpo_action_ecs), following ECS's IAM convention (user = who acted,
 * user.target = whom it affected; two event types: the activity and "user"):
 *   @timestamp, message, ecs.version, observer.*   as above
 *   event.kind         "event"
 *   event.category     ["iam"]
 *   event.type         ["user", "change"]; ["user", "info"] for an action whose
 *                      name ends in "-request" (nothing changed yet)
 *   event.action       the action ("suspend", "lapse", "revoke-request", ...)
 *   event.reason       detail, if any
 *   rule.name, rule.ruleset "denpo"   the rule that caused it, if any
 *   device.id          hex of the device, if any
 *   user.name          operator_ ("auto" for the switch itself), if any
 *   user.target.name   the officer, if any
 *   labels.post        the post, if any
 *   denpo.containment_id  id, if >= 0
 *   denpo.until        until (Unix seconds) as RFC 3339 ms, if not 0
 *   denpo.log_index    if log_index_valid
 * Damage (dpo_damage_ecs): a stored copy that is not what vouches for it
 * (docs/operations.md, "Damage and recovery"):
 *   @timestamp, message, ecs.version, observer.*   as above; message:
 *                      "STORE-DAMAGE (fetch): cable 0011223344556677 (26 TOKYO 000001):
 *                      <detail>" (the part, the cable's first 16 hex digits and MRN if known)
 *   event.kind         "alert"
 *   event.category     ["database"]
 *   event.type         ["error"]
 *   event.action       "store-damage"
 *   event.severity     73 (high)
 *   event.reason       the detail: what does not match what, where
 *   rule.name          "STORE-DAMAGE";  rule.ruleset "denpo"
 *   device.id          the device whose fetch met it, if any
 *   denpo.part         what is damaged: "cable", "log-entry", "log-tile", "checkpoint",
 *                      "log" (the log as a whole), "database" (SQLite's check)
 *   denpo.found_by     "fetch", "scrub" or "start"
 *   denpo.cable_id     32 hex digits, if a cable is concerned;  denpo.mrn  its MRN, if known
 *   denpo.log_index    the log entry (or checkpoint size) concerned, if known
 * Strings are made valid UTF-8 first (an invalid byte becomes U+FFFD);
 * jansson escapes quotes, backslashes and control characters, so a line
 * never holds a raw newline.
 *
 * ---- RFC 5424 ----
 *   <PRI>1 TIMESTAMP HOSTNAME denpod PROCID MSGID [denpo@32473 k="v" ...] BOM MSG
 * PRI = facility * 8 + severity.  Default facility DPO_FACILITY_DEFAULT =
 * 10 (authpriv): security/authorization messages kept private; Debian's
 * rsyslog writes them to /var/log/auth.log (root:adm 0640) and not to the
 * world-readable files, which is what alerts naming officers and devices
 * need.  (13, "log audit", has no name in glibc's <syslog.h> and Debian's
 * rules route it to /var/log/syslog with everything else.)
 * Severity of an alert: a page for DECOY 1 (alert), any other page
 * 2 (crit), report-only 5 (notice), otherwise 4 (warning).  Severity of an
 * action: 4 (warning) for suspend, revoke and officer-disable (access taken
 * away), 5 (notice) for the rest.
 * TIMESTAMP: t_ms in RFC 3339 UTC with milliseconds ("-" if out of the years
 * 1970..9999).  HOSTNAME: host ("-" if NULL or empty), 1..255 PRINTUSASCII
 * or DP_EINVAL.  PROCID: pid in decimal ("-" if <= 0).  MSGID "ALERT" or
 * "CONTAINMENT".
 * Damage: severity 2 (crit), MSGID "DAMAGE", params part found_by [cable]
 * [mrn] [device] [log_index], MSG the detail.
 * SD-ID DPO_SD_ID ("denpo@32473": 32473 is the enterprise number RFC 5612
 * reserves for documentation; a ministry substitutes its own IANA number).
 * Alert params, in this order: rule mode page action would withheld severity
 * risk device [officer] [post] [src] [first]; action params: action
 * [operator] [device] [officer] [post] [rule] [id] [until] [log_index]
 * ([x]: only if known).  Values: valid UTF-8, control characters replaced
 * by a space, and '"', '\' and ']' escaped with '\' (RFC 5424 6.3.3).
 * MSG: the UTF-8 BOM (RFC 5424 6.4 says a sender that knows its MSG is
 * UTF-8 SHOULD mark it) then the detail (alert) or the summary line and
 * ": detail" (action), valid UTF-8, control characters replaced by spaces,
 * so a message is always one line.  No trailing newline, no octet count:
 * one message per datagram (RFC 5426; unix datagram sockets likewise).
 */
#ifndef DENPOD_ALERTS_H
#define DENPOD_ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include "denpo/buf.h"
#include "denpo/cable.h"
#include "denpo/detect.h"
#include "denpod/config.h"

#define DPO_FACILITY_DEFAULT 10  /* authpriv: see above */
#define DPO_SD_NAME "denpo"      /* the SD-ID is DPO_SD_NAME "@" the enterprise number */
#define DPO_ENTERPRISE_DEFAULT DPC_ENTERPRISE_DEFAULT /* syslog_enterprise= in denpod.conf */
#define DPO_ENTERPRISE_MAX 4294967294u
#define DPO_ECS_VERSION "8.11.0"
#define DPO_LINE_MAX 16384       /* one formatted alert or action, any format */

/* A containment or operator action, for the same outputs as alerts. */
typedef struct {
	int64_t t_ms;
	const char *action;    /* e.g. "suspend", "throttle", "lapse", "confirm", "undo",
				  "revoke-request", "revoke", "officer-disable" ... (free text, 1..64 [a-z-]) */
	const char *operator_; /* "auto" for the switch; NULL: not known */
	const uint8_t *device; /* 32 bytes or NULL */
	const char *officer;   /* or NULL */
	const char *post;      /* or NULL */
	const char *rule;      /* the rule that caused it, or NULL */
	int64_t id;            /* the containment's id at the switch, or -1 */
	int64_t until;         /* Unix seconds the step lapses at, or 0 */
	const char *detail;    /* explanation, or NULL */
	int log_index_valid;
	int64_t log_index;     /* its transparency-log entry, if known */
	int kind;              /* DPO_KIND_CONTAINMENT (0) or DPO_KIND_LOG (a device's witness
				  reset): the message's first word, event.dataset and MSGID */
} dpo_action;
enum { DPO_KIND_CONTAINMENT = 0, DPO_KIND_LOG };

/*
 * Damage to a stored copy (mapping above).  part and found_by are names of
 * 1..24 characters of [a-z-]; the rest is optional.
 */
#define DPO_DETAIL_MAX 512
typedef struct {
	int64_t t_ms;
	char part[25];                 /* "cable", "log-entry", "log-tile", "checkpoint", "log", "database" */
	char found_by[25];             /* "fetch", "scrub", "start" */
	int has_cable;
	uint8_t cable_id[DP_CABLE_ID];
	char mrn[DP_MRN_MAX + 1];      /* "" = not known */
	int has_device;
	uint8_t device[32];            /* the device whose request met it */
	int64_t log_index;             /* the entry or checkpoint concerned; -1 = none */
	char detail[DPO_DETAIL_MAX + 1];
} dpo_damage;

/*
 * One ECS JSON object and "\n" appended to out (mapping above).
 * host = observer.hostname (NULL: absent); log_index < 0: absent.
 * DP_EINVAL for a t_ms outside 1970..9999, an alert enum (rule, mode,
 * action, would, withheld) out of range, a bad action name or damage part /
 * found_by name; DP_ETOOBIG
 * past out's cap; DP_ENOMEM.  On failure out is unchanged.  An optional
 * time (first_ms, until) that is out of range is left out.
 */
int dpo_alert_ecs(const dp_det_alert *a, const char *host, int64_t log_index, dp_buf *out) DP_WUR;
int dpo_action_ecs(const dpo_action *x, const char *host, dp_buf *out) DP_WUR;
int dpo_damage_ecs(const dpo_damage *x, const char *host, dp_buf *out) DP_WUR;
/*
 * rule.reference of a rule: DPO_RULE_REFERENCE and the rule's name in
 * lower case ("docs/detection.md#rule-bulk-cap"), an anchor that
 * docs/detection.md's rule table carries; the switch's own rules outside
 * detection: STORE-DAMAGE DPO_DAMAGE_REFERENCE, WITNESS-RESET (a device
 * reset its witness of the log after a LOG-ROLLBACK) DPO_WITNESS_REFERENCE,
 * UNAPPROVED-DEVICE (a device reported one of its officer's that the officer
 * did not approve) DPO_UNAPPROVED_REFERENCE.  Appended to out; DP_EINVAL for a name that is no
 * rule (nothing appended).
 */
#define DPO_RULE_REFERENCE "docs/detection.md#rule-"
#define DPO_DAMAGE_REFERENCE "docs/operations.md#damage-and-recovery"
#define DPO_WITNESS_REFERENCE "docs/operations.md#after-a-restore-devices"
#define DPO_UNAPPROVED_REFERENCE "docs/operations.md#the-officer-index"
int dpo_rule_reference(const char *rule, dp_buf *out) DP_WUR;
/* The damage's one-line message (the ECS message above) appended to out: `denpod check` prints it. */
int dpo_damage_summary(const dpo_damage *x, dp_buf *out) DP_WUR;

/* Who sends an RFC 5424 message: PRI's facility, the SD-ID's number, HOSTNAME, PROCID. */
typedef struct {
	int facility;        /* 0..23 */
	unsigned enterprise; /* 1..DPO_ENTERPRISE_MAX (the private enterprise number of the SD-ID) */
	const char *host;    /* NULL or "": "-" */
	int pid;             /* <= 0: "-" */
} dpo_sysid;

/*
 * One RFC 5424 message (no trailing newline, no octet count) appended to
 * out (format above).  A facility or enterprise number out of range, a
 * host that is not PRINTUSASCII, alert enums out of range or a bad action
 * name: DP_EINVAL; DP_ETOOBIG past out's cap.  On failure out is unchanged.
 */
int dpo_alert_syslog(const dp_det_alert *a, const dpo_sysid *id, dp_buf *out) DP_WUR;
int dpo_action_syslog(const dpo_action *x, const dpo_sysid *id, dp_buf *out) DP_WUR;
int dpo_damage_syslog(const dpo_damage *x, const dpo_sysid *id, dp_buf *out) DP_WUR;

/* ---- sinks ---- */

typedef struct dpo_out dpo_out;
/*
 * file: path of the JSON-lines file (appended; created 0600;
 * O_APPEND|O_CLOEXEC); NULL: none.
 * syslog: NULL (none), "udp:HOST:PORT" (HOST a name, an IPv4 address or
 * [IPv6]; resolved once, here) or "unix:PATH" (a datagram socket such as
 * /dev/log; addressed afresh by every send, so a restarted syslog daemon
 * is found again).  facility 0..23.  host: the HOSTNAME and
 * observer.hostname (NULL: gethostname()); 1..255 PRINTUSASCII.
 * DP_EPARSE for a bad syslog spec, DP_EINVAL for a bad facility or host,
 * DP_EIO if the file cannot be opened or the host not resolved, each with
 * a message in err (errcap bytes; err may be NULL).
 */
int dpo_open(dpo_out **o, const char *file, const char *syslog, int facility, const char *host,
	     char *err, size_t errcap) DP_WUR;
/*
 * dpo_open with every option.  syslog may also be "tls:HOST:PORT": RFC
 * 5425 over TLS to a collector whose certificate is tls_pin (a PEM file or
 * "sha256:HEX"; required), sent from a thread with a bounded queue
 * (denpod/syslog_tls.h).  enterprise: 1..DPO_ENTERPRISE_MAX, else
 * DP_EINVAL.  Errors as dpo_open's.
 */
typedef struct {
	const char *file, *syslog;
	int facility;
	unsigned enterprise;
	const char *tls_pin;
	const char *host;
} dpo_sinks;
int dpo_open_sinks(dpo_out **o, const dpo_sinks *s, char *err, size_t errcap) DP_WUR;
/*
 * Writes one alert / action to every sink: one write(2) of one ECS line to
 * the file, one datagram of one RFC 5424 message to syslog (PROCID =
 * getpid()), or for tls: one octet-counted frame queued for the sending
 * thread (a full queue counts as a failed send).  Sockets are non-blocking; a failed write or send (or a
 * record that cannot be formatted) is counted in dpo_errors and otherwise
 * ignored: DP_OK if every sink took it, else DP_EIO (or the formatter's
 * error), never fatal.  log_index < 0: not known.
 * Safe to call from several threads at once, and with dpo_reopen.
 */
int dpo_emit_alert(dpo_out *o, const dp_det_alert *a, int64_t log_index);
int dpo_emit_action(dpo_out *o, const dpo_action *x);
int dpo_emit_damage(dpo_out *o, const dpo_damage *x);
/*
 * On stderr, at the switch's start: a warning if syslog is "unix:..." (a
 * local daemon does not parse RFC 5424 structured data) and a note if the
 * enterprise number is still the documentation placeholder.
 */
void dpo_syslog_notes(const char *syslog, unsigned enterprise);
/* Writes and sends that failed since dpo_open (a full tls: queue counts). */
uint64_t dpo_errors(const dpo_out *o);
/*
 * Opens (creating it 0600) the JSON-lines file for appending: the one way
 * the alert file is opened, by dpo_open, dpo_reopen and the signer
 * (denpod/signer.h, REOPEN).  A descriptor, or -1 with errno.
 */
int dpo_file_open(const char *path);
/*
 * Re-opens the file at its path (log rotation: SIGHUP).  The new file
 * replaces the old atomically (dup3 onto the same descriptor), so a
 * concurrent emit goes wholly to one or the other.  DP_EIO if it cannot be
 * opened: the old file is kept.  DP_OK without a file.
 */
int dpo_reopen(dpo_out *o) DP_WUR;
/*
 * The same with a descriptor opened elsewhere (the confined network
 * process gets it from the signer): fd is consumed on every path.
 * DP_EIO if fd < 0 or cannot replace the old one (kept); DP_OK, fd
 * closed, without a file.
 */
int dpo_reopen_fd(dpo_out *o, int fd) DP_WUR;
void dpo_close(dpo_out *o);

/* ---- Prometheus ---- */

/*
 * A tiny registry of counters and gauges with COARSE labels only.  Label
 * names come from a fixed allow-list: rule, mode, action, severity, reason,
 * post, kind, verdict; never an officer, device, address or cable.  Label
 * values are 1..64 characters of [A-Za-z0-9_.:-]; anything else is
 * refused (DP_EINVAL), so a caller bug cannot smuggle free text into a
 * metric.  (The allow-list of names is the real guard: an officer handle
 * such as "sato.k" would pass the value check.)
 * Series are identified by their label set whatever the order of the
 * pairs in the call; at most DPO_SERIES_MAX series in all (DP_ETOOBIG:
 * cardinality is bounded) and DPO_FAMILIES_MAX families.
 * Every function may be called from several threads (one mutex).
 */
#define DPO_LABELS_MAX 3
#define DPO_LABEL_VALUE_MAX 64
#define DPO_METRIC_NAME_MAX 128
#define DPO_HELP_MAX 1024
#define DPO_FAMILIES_MAX 256
#define DPO_SERIES_MAX 4096

typedef struct dpo_metrics dpo_metrics;
int dpo_metrics_new(dpo_metrics **m) DP_WUR;
void dpo_metrics_free(dpo_metrics *m);
/*
 * Declares a family once: type "counter" or "gauge".  name matches
 * [a-zA-Z_:][a-zA-Z0-9_:]* (1..DPO_METRIC_NAME_MAX) and ends in "_total"
 * for a counter; help is any text up to DPO_HELP_MAX bytes (escaped when
 * rendered).  DP_EINVAL for a bad name, type or help, DP_EEXISTS if
 * declared already, DP_ETOOBIG past DPO_FAMILIES_MAX.
 */
int dpo_metric_declare(dpo_metrics *m, const char *name, const char *type, const char *help) DP_WUR;
/*
 * Adds v to a series of a counter (v finite and >= 0: counters only go up)
 * or a gauge (v finite), or sets a gauge to v (finite; setting a counter is
 * DP_EINVAL), with up to DPO_LABELS_MAX label pairs given as a
 * NULL-terminated list of name, value, name, value, ..., NULL.  A series is
 * created (at 0) on first use.  DP_ENOTFOUND for an undeclared name,
 * DP_EINVAL for a refused label name or value, a repeated label name, more
 * than DPO_LABELS_MAX pairs, a name without a value, or a bad v (the
 * series is then unchanged); DP_ETOOBIG past DPO_SERIES_MAX series.
 */
int dpo_metric_add(dpo_metrics *m, const char *name, double v, ...) DP_WUR
	__attribute__((sentinel));
int dpo_metric_set(dpo_metrics *m, const char *name, double v, ...) DP_WUR
	__attribute__((sentinel));
/*
 * Text exposition format 0.0.4 appended to out: families sorted by name,
 * each "# HELP name text" (\\ and \n escaped), "# TYPE name type", then its
 * series sorted by their label sets (labels sorted by name; values escaped
 * \\, \" and \n), "name{l="v",...} value", every line ending in "\n".
 * Values are integers when integral (below 2^53), else the shortest
 * decimal that reads back exactly.  DP_ETOOBIG past out's cap (out is then
 * unchanged), DP_ENOMEM.
 */
int dpo_metrics_render(const dpo_metrics *m, dp_buf *out) DP_WUR;

#endif
