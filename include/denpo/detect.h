/*
 * denpo/detect.h - detection and automatic containment on metadata only.
 *
 * The switch never reads a cable, so the engine sees only what the switch
 * sees of each request: which device, when, from which address, which
 * cable (its acceptance order and time, whether the device is addressed,
 * whether it is a decoy), and whether the request was refused.  The same
 * engine runs inside `denpod run` (real time) and inside the scenario
 * generator (simulated time), so what the generator measures is what the
 * switch does.  Design and figures: docs/detection.md.
 *
 * Single-threaded: one engine is used by one thread.  No allocation per
 * event once the entities are registered (registration may allocate).
 * Nothing here reads a clock: every time comes in an event.
 *
 * ---- Entities ----
 * Posts (with their UTC offset, for "odd hours"), officers (at a post) and
 * devices (of an officer) are registered by name / 32-byte id before their
 * events; an event of an unregistered device is counted (dp_det_stats) and
 * otherwise ignored.  Registering again updates (an officer moved post, a
 * post's offset after a DST change, a device's status).  Decoy devices
 * (the security office's fictitious originators) are registered with
 * decoy=1: a request for their keys is an alarm; they are never counted
 * as a post's working devices.  Records devices (the archive's: a records
 * officer's at the records post) are registered with DP_DET_DEV_RECORDS:
 * DEEP-ARCHIVE gives them deep.records-max-hour instead of deep.max-hour, and
 * ENUM-RANGE judges only their machine-speed runs (a review reads in MRN order).
 *
 * ---- Rules (each alert explains itself in dp_det_alert.detail) ----
 *   DECOY          a fetch of a decoy cable, or a request for a decoy device's keys
 *   NETWORK        a request from an address in no network registered for the device's
 *                  post (nor a global one, nor another post's: that is travel, see
 *                  NEW-PLACE and TWO-PLACES); only for posts with at least one network
 *   TWO-PLACES     the device seen from the registered networks of two different posts
 *                  within two-places.seconds
 *   BULK-CAP       the officer fetched more than bulk.cap-hour cables in the rolling
 *                  hour, or more than bulk.cap-day in the rolling day (deliveries not
 *                  counted, nor by the two rules below: see "Delivery")
 *   BULK-BASELINE  the officer's rolling-hour count above max(bulk.floor-hour,
 *                  mu + bulk.k * sigma) of their own active-hour baseline (EWMA), or the
 *                  rolling-day count above max(bulk.floor-day, mu_d + bulk.k * sigma_d)
 *                  of their day baseline; only after bulk.warmup-days of history
 *   BULK-PEER      the rolling-hour (day) count above max(floor, peer median + peer.k * MAD)
 *                  of the baselines of the other officers of the post (at least
 *                  peer.min-officers of them)
 *   ENUM-RANGE     enum.run re-fetches in a row in strictly increasing or strictly
 *                  decreasing acceptance order (an ordered sweep of the archive), or
 *                  enum.run-paced of them when none came faster than speed.gap-ms (a
 *                  person sweeping: client re-syncs run at machine speed); a pause of
 *                  30 minutes ends a run.  For a records device only enum.run, and only
 *                  when a step of the run came faster than speed.gap-ms: its run at a
 *                  person's pace is a review in MRN order, bounded by DEEP-ARCHIVE and
 *                  the bulk rules
 *   NOT-ADDRESSED  more than not-addressed.max requests in 10 minutes for cables not
 *                  addressed to the device (the switch answers 404)
 *   DEEP-ARCHIVE   more than deep.max-hour re-fetches in the rolling hour of cables
 *                  accepted more than deep.days ago; for a records device (registered
 *                  DP_DET_DEV_RECORDS: the archive, whose work is reading old cables)
 *                  more than deep.records-max-hour, and its deep re-fetches within that
 *                  allowance are no DEEP-READ signal.  Every other rule but ENUM-RANGE
 *                  judges a records device as any device.
 *   MACHINE-SPEED  speed.run re-fetches in a row, each less than speed.gap-ms after the
 *                  one before
 *   RISK           the device's weak-signal score reaches risk.page with at least two
 *                  different kinds of signal in it (a weak signal never pages alone)
 * "Re-fetch": a fetch of a cable this device has fetched before (the first
 * fetch by a recipient is the delivery; a backlog after leave is many
 * first fetches at machine speed and is not enumeration).
 * "Delivery": the first fetch of a cable queued for the device (it is a
 * recipient; the cable was neither delivered to it nor acknowledged by it;
 * never a decoy).  Deliveries are not bulk: the bulk rules (BULK-CAP,
 * BULK-BASELINE, BULK-PEER) count the other distinct fetches -- re-fetches,
 * and first fetches of cables already acknowledged -- so a device draining
 * any backlog trips none of them, while a sweep of the archive still does.
 *
 * Weak signals (feed RISK only; each decays linearly to 0 over risk.hours):
 *   DENIED      a refused request (other than NOT-ADDRESSED)      signal.denied each
 *   DORMANT     the first request after dormant.days without one  signal.dormant once
 *   ODD-HOUR    a fetch in an hour of the week the officer's history hardly uses
 *               (< 1 % of at least 200 past fetches; before that, outside
 *               work.start..work.end post-local time or on a post-local Sat/Sun)
 *                                                                 signal.odd-hour each
 *   DEEP-READ   a re-fetch of a cable older than deep.days        signal.deep-read each
 *   NEW-PLACE   the first request from a registered network of another post
 *                                                                 signal.new-place once
 * Each kind's contribution is capped at signal.cap.
 *
 * ---- Modes and actions ----
 * Every rule has a mode (off, report, enforce) and an action (none,
 * throttle, suspend).  An enforced rule's alert pages (dp_det_alert.page)
 * and takes its action; a report-only rule's alert says so, never pages
 * and takes no action (its would-be action is in the alert).  A rule
 * fires at most once per device per realert.seconds.
 *
 * Throttle: from then on the device gets throttle.per-min fetches per
 * minute (a token bucket; other requests are not limited) for
 * throttle.seconds; a throttled device that is refused throttle.escalate
 * times is suspended (alert THROTTLE-EXCEEDED is not a rule: the alert of
 * the rule that throttled is repeated with action suspend).  A throttle
 * never holds back the delivery of a FLASH cable (event.flash): it passes
 * without a token and is never a refusal (its event may still alert).
 * Suspend: the device is blocked at once; the switch makes it durable and
 * time-boxed (suspend.seconds, lapsing unless an operator confirms it).
 * A suspension, automatic or not, refuses everything, FLASH deliveries
 * included: it answers evidence of a compromise (the post keeps a working
 * device: see the safeguards).
 * Safeguards, checked before every automatic suspension:
 *   - at most suspend.max-hour automatic suspensions in any rolling hour;
 *   - never the last working (active, not decoy) device of a post.
 * A withheld suspension becomes a throttle, and the alert says why
 * (withheld) and pages whatever the rule's mode.
 *
 * ---- Configuration (text; dp_det_config_parse) ----
 *   # comment
 *   KEY = VALUE               a number (below) within its bounds
 *   rule.NAME.mode = off|report|enforce
 *   rule.NAME.action = none|throttle|suspend
 *   network.POST = CIDR[, CIDR...]   networks registered for POST (repeatable)
 *   network.* = CIDR[, CIDR...]      networks valid for every post (the ministry VPN)
 * CIDR: IPv4 a.b.c.d/n (0..32) or IPv6 (inet_pton) /n (0..128), host bits zero.
 * Unknown keys, out-of-range numbers, duplicate keys (but network.*) are
 * refused with the line number.  The table of keys, defaults and bounds is
 * dp_det_params (and docs/detection.md).
 */
#ifndef DENPO_DETECT_H
#define DENPO_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "denpo/error.h"

enum dp_det_rule {
	DP_R_DECOY = 0,
	DP_R_NETWORK,
	DP_R_TWO_PLACES,
	DP_R_BULK_CAP,
	DP_R_BULK_BASELINE,
	DP_R_BULK_PEER,
	DP_R_ENUM_RANGE,
	DP_R_NOT_ADDRESSED,
	DP_R_DEEP_ARCHIVE,
	DP_R_MACHINE_SPEED,
	DP_R_RISK,
	DP_R_COUNT
};
/* "DECOY", "TWO-PLACES", ...; NULL if out of range. */
const char *dp_det_rule_name(int rule);
/* The rule of a name; -1 if none. */
int dp_det_rule_by_name(const char *name);

enum dp_det_signal { DP_S_DENIED = 0, DP_S_DORMANT, DP_S_ODD_HOUR, DP_S_DEEP_READ, DP_S_NEW_PLACE,
		     DP_S_COUNT };
const char *dp_det_signal_name(int sig); /* "DENIED", "ODD-HOUR", ... */

enum dp_det_mode { DP_DET_OFF = 0, DP_DET_REPORT, DP_DET_ENFORCE };
enum dp_det_action { DP_DET_NONE = 0, DP_DET_THROTTLE, DP_DET_SUSPEND };
const char *dp_det_mode_name(int mode);     /* "off", "report", "enforce" */
const char *dp_det_action_name(int action); /* "none", "throttle", "suspend" */

/* ---- configuration ---- */

/* Numeric parameters: name (as in the config file), default, bounds. */
typedef struct {
	const char *name;
	int64_t def, min, max;
	const char *help;
} dp_det_param;
enum dp_det_param_id {
	DP_P_THROTTLE_PER_MIN = 0, /* throttle.per-min      6      1..600 */
	DP_P_THROTTLE_SECONDS,     /* throttle.seconds      3600   5..604800 */
	DP_P_THROTTLE_ESCALATE,    /* throttle.escalate     30     1..100000 */
	DP_P_SUSPEND_SECONDS,      /* suspend.seconds       14400  5..604800 (the time box) */
	DP_P_SUSPEND_MAX_HOUR,     /* suspend.max-hour      10     0..10000 */
	DP_P_REALERT_SECONDS,      /* realert.seconds       3600   0..604800 */
	DP_P_TWO_PLACES_SECONDS,   /* two-places.seconds    1800   1..86400 */
	DP_P_BULK_CAP_HOUR,        /* bulk.cap-hour         1500   1..1000000 (above a registry officer's catch-up) */
	DP_P_BULK_CAP_DAY,         /* bulk.cap-day          4000   1..10000000 */
	DP_P_BULK_FLOOR_HOUR,      /* bulk.floor-hour       200    1..1000000 */
	DP_P_BULK_FLOOR_DAY,       /* bulk.floor-day        400    1..10000000 */
	DP_P_BULK_K10,             /* bulk.k10              100    10..1000 (k times 10: 10.0 sigma) */
	DP_P_BULK_WARMUP_DAYS,     /* bulk.warmup-days      14     1..365 */
	DP_P_PEER_K10,             /* peer.k10              80     10..1000 (8.0 MAD) */
	DP_P_PEER_MIN_OFFICERS,    /* peer.min-officers     4      2..10000 */
	DP_P_ENUM_RUN,             /* enum.run              60     3..100000 */
	DP_P_NOT_ADDRESSED_MAX,    /* not-addressed.max     3      0..100000 */
	DP_P_DEEP_DAYS,            /* deep.days             30     1..36500 */
	DP_P_DEEP_MAX_HOUR,        /* deep.max-hour         0      0..100000 (0: the first deep re-fetch) */
	DP_P_SPEED_RUN,            /* speed.run             60     2..100000 */
	DP_P_SPEED_GAP_MS,         /* speed.gap-ms          2000   1..600000 */
	DP_P_RISK_PAGE,            /* risk.page             100    1..100000 */
	DP_P_RISK_HOURS,           /* risk.hours            24     1..720 */
	DP_P_SIGNAL_DENIED,        /* signal.denied         15     0..100000 */
	DP_P_SIGNAL_DORMANT,       /* signal.dormant        40     0..100000 */
	DP_P_SIGNAL_ODD_HOUR,      /* signal.odd-hour       4      0..100000 */
	DP_P_SIGNAL_DEEP_READ,     /* signal.deep-read      8      0..100000 */
	DP_P_SIGNAL_NEW_PLACE,     /* signal.new-place      30     0..100000 */
	DP_P_SIGNAL_CAP,           /* signal.cap            60     0..100000 */
	DP_P_DORMANT_DAYS,         /* dormant.days          30     1..3650 */
	DP_P_WORK_START,           /* work.start            7      0..23 (post-local hour) */
	DP_P_WORK_END,             /* work.end              20     1..24 */
	DP_P_ENUM_RUN_PACED,       /* enum.run-paced        12     3..100000 */
	DP_P_DEEP_RECORDS_MAX_HOUR, /* deep.records-max-hour 30   0..100000 (a records device's
				       deep.max-hour: the archive reads old cables as its work) */
	DP_P_COUNT
};
extern const dp_det_param dp_det_params[DP_P_COUNT];

#define DP_DET_NETS_MAX 4096 /* registered networks, all posts together */
#define DP_DET_NAME_MAX 64

typedef struct {
	uint8_t addr[16]; /* IPv4 as ::ffff:a.b.c.d (then prefix counts from bit 96) */
	unsigned prefix;  /* 0..128 (an IPv4 /n is stored as 96 + n) */
	int post;         /* index into the config's post names; -1 = every post */
} dp_det_net;

typedef struct {
	int64_t p[DP_P_COUNT];
	int mode[DP_R_COUNT];   /* enum dp_det_mode */
	int action[DP_R_COUNT]; /* enum dp_det_action */
	dp_det_net *nets;       /* malloc'd */
	size_t nnets;
	char (*net_posts)[DP_DET_NAME_MAX + 1]; /* post names the nets refer to (malloc'd) */
	size_t nnet_posts;
} dp_det_config;

/*
 * Defaults: every number at its default; every rule enforced, with action
 *   suspend: DECOY, NETWORK, TWO-PLACES, BULK-CAP, ENUM-RANGE, NOT-ADDRESSED, DEEP-ARCHIVE
 *   throttle: BULK-BASELINE, BULK-PEER, MACHINE-SPEED, RISK
 * (the numbers and actions bench_scenario's synthetic ministry supports:
 * docs/detection.md §9)
 * no networks.
 */
void dp_det_config_default(dp_det_config *c);
/*
 * Parses a configuration text on top of the defaults (c is set to the
 * defaults first).  DP_EPARSE / DP_ETOOBIG / DP_ENOMEM; on failure c holds
 * the defaults and err (if not NULL, errcap bytes) says which line and why,
 * e.g. "line 4: bulk.cap-hour: 0 is below the minimum 1".
 */
int dp_det_config_parse(dp_det_config *c, const char *text, size_t len, char *err,
			size_t errcap) DP_WUR;
/*
 * The same, its lines read by denpo/conf.h's reader; messages name the file:
 * "NAME:4: bulk.cap-hour: ..." (NAME NULL: "line 4: ...").  An unknown
 * parameter gets its likely spelling ("did you mean ...?").
 */
int dp_det_config_parse_named(dp_det_config *c, const char *name, const char *text, size_t len,
			      char *err, size_t errcap) DP_WUR;
void dp_det_config_free(dp_det_config *c);
/* Parses "a.b.c.d/n" or "v6/n" (host bits must be zero). */
int dp_det_cidr_parse(const char *s, uint8_t addr[16], unsigned *prefix) DP_WUR;
/* Maps a textual IPv4/IPv6 address to the 16-byte form; DP_EPARSE. */
int dp_det_addr_parse(const char *s, uint8_t addr[16]) DP_WUR;

/* ---- events ---- */

enum dp_det_kind {
	DP_DET_FETCH = 1,     /* a cable's bytes requested by a device allowed to have them */
	DP_DET_NOT_ADDRESSED, /* a cable requested that is not addressed to the device (or unknown) */
	DP_DET_DENIED,        /* any other refused request (clearance, policy, bad request) */
	DP_DET_KEYREQ,        /* a request for a device's keys (key = that device, in `subject`) */
	DP_DET_OTHER,         /* any other request (inbox, listing, submit, ack, log ...) */
	DP_DET_SEARCH,        /* the archive's search: a records device decrypts `copies` record
				 copies of its own choosing at once (the switch learns how many,
				 not which): counted `copies` times by the bulk rules (BULK-*),
				 no cable of its own (no run, no deep read); throttled like a fetch */
};
#define DP_DET_COPIES_MAX 1000000 /* SEARCH: copies beyond this count as this many */

typedef struct {
	int kind;                  /* enum dp_det_kind */
	int64_t t_ms;              /* event time, ms since the epoch; an earlier time than the
				      engine's latest is taken as the latest */
	uint8_t device[32];        /* the requesting device */
	uint8_t addr[16];          /* its source address (all zero: unknown, no network rules) */
	/* FETCH */
	int64_t cable_seq;         /* the cable's acceptance order at the switch */
	int64_t cable_accepted;    /* its acceptance time, Unix seconds */
	int refetch;               /* 1: this device fetched this cable before */
	int queued;                /* 1: the cable is queued for this device: it is a recipient
				      and the cable was neither delivered to it nor acknowledged
				      by it, so this first fetch is its delivery (ignored with
				      refetch or decoy set) */
	int flash;                 /* 1: the cable is FLASH for this device (the precedence of
				      its addressee role) */
	int decoy;                 /* FETCH, NOT_ADDRESSED: the cable is a decoy */
	/* SEARCH */
	int64_t copies;            /* record copies the search decrypts (< 0: 0; above
				      DP_DET_COPIES_MAX: that) */
	/* KEYREQ */
	uint8_t subject[32];       /* the device whose keys were asked for */
} dp_det_event;

enum dp_det_verdict {
	DP_DET_ALLOW = 0,
	DP_DET_THROTTLED, /* refuse this fetch for now (HTTP 429, Retry-After) */
	DP_DET_BLOCKED,   /* the device is suspended (HTTP 403) */
};

/* ---- alerts ---- */

enum dp_det_withheld { DP_DET_WH_NONE = 0, DP_DET_WH_CAP, DP_DET_WH_LAST_DEVICE };

typedef struct dp_det_alert_s {
	int rule;                      /* enum dp_det_rule */
	int64_t t_ms;                  /* when it fired (the event's time) */
	int64_t first_ms;              /* the first event of its evidence (e.g. the first
					  fetch of the hour counted; the event itself if one) */
	uint8_t device[32];
	char officer[DP_DET_NAME_MAX + 1];
	char post[DP_DET_NAME_MAX + 1];
	uint8_t addr[16];
	int severity;                  /* ECS event.severity: 21 low, 47 medium, 73 high, 99 critical */
	int risk;                      /* the device's risk score after this event (0..) */
	int mode;                      /* the rule's mode when it fired (report or enforce) */
	int page;                      /* 1: page a human */
	int action;                    /* what the engine did: enum dp_det_action */
	int would;                     /* report-only: what it would have done */
	int withheld;                  /* enum dp_det_withheld: a suspension the safeguards withheld */
	char detail[512];              /* the explanation: what, how much, against which threshold */
} dp_det_alert;

typedef void (*dp_det_alert_fn)(void *ctx, const dp_det_alert *a);

/* ---- the engine ---- */

typedef struct dp_det dp_det;

/* Copies the configuration (the caller keeps and frees its own). */
int dp_det_new(dp_det **d, const dp_det_config *c, dp_det_alert_fn fn, void *ctx) DP_WUR;
void dp_det_free(dp_det *d);
/* Replaces the configuration (SIGHUP); state (baselines, throttles) is kept. */
int dp_det_reconfigure(dp_det *d, const dp_det_config *c) DP_WUR;

/* What a device is, for the rules (dp_det_device's kind). */
enum dp_det_dev_kind {
	DP_DET_DEV_PLAIN = 0,   /* an officer's device */
	DP_DET_DEV_DECOY = 1,   /* the security office's fictitious originator's (a request for
				   its keys is an alarm; never a post's working device) */
	DP_DET_DEV_RECORDS = 2, /* the archive's (a records officer's at the records post):
				   DEEP-ARCHIVE allows it deep.records-max-hour, ENUM-RANGE
				   judges only its machine-speed runs */
};

/* Registration; names are 1..DP_DET_NAME_MAX characters. */
int dp_det_post(dp_det *d, const char *post, int32_t utc_offset_s) DP_WUR;
int dp_det_officer(dp_det *d, const char *handle, const char *post) DP_WUR; /* post registered */
/*
 * active: the device may be used (not suspended or revoked); kind: enum
 * dp_det_dev_kind (another value: DP_DET_DEV_PLAIN).  Registering again
 * updates the kind too (an officer given or losing the role RECORDS).
 */
int dp_det_device(dp_det *d, const uint8_t id[32], const char *officer, int active,
		  int kind) DP_WUR;
/* Status change made outside the engine (operator, lapse, undo); DP_ENOTFOUND. */
int dp_det_device_status(dp_det *d, const uint8_t id[32], int active) DP_WUR;
/* Lifts a throttle (undo); DP_ENOTFOUND for an unknown device. */
int dp_det_unthrottle(dp_det *d, const uint8_t id[32]) DP_WUR;
/*
 * A throttle decided outside this engine (another switch instance's step,
 * read from the shared store): the device throttled until until_ms, its
 * bucket counted from from_ms if it was not throttled then (an existing
 * throttle is only extended); rule (enum dp_det_rule, -1: unchanged) is
 * the one an escalation repeats.  No alert, no count in the stats.
 * DP_ENOTFOUND for an unknown device, DP_EINVAL if until_ms <= from_ms.
 */
int dp_det_throttle(dp_det *d, const uint8_t id[32], int rule, int64_t from_ms,
		    int64_t until_ms) DP_WUR;

/*
 * Feeds one event; alerts go to the callback before this returns.  The
 * verdict says what to do with the request itself.
 */
int dp_det_feed(dp_det *d, const dp_det_event *e);

/* Whether a device is throttled, and until when (ms); 0 if not. */
int64_t dp_det_throttled_until(const dp_det *d, const uint8_t id[32]);

typedef struct {
	uint64_t events, unknown_device, alerts, pages, throttles, suspensions, withheld;
	uint64_t alerts_by_rule[DP_R_COUNT];
	uint64_t throttled_requests, blocked_requests;
	uint64_t deliveries;     /* FETCH events that were deliveries (not counted as bulk) */
	uint64_t flash_passed;   /* FLASH deliveries a throttle let through */
} dp_det_stats;
void dp_det_get_stats(const dp_det *d, dp_det_stats *s);

#endif
