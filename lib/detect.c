/*
 * detect.c - the detection and containment engine (include/denpo/detect.h):
 * the configuration parser, the registry of posts, officers and devices, the
 * rules, the weak-signal risk score, throttles, suspensions and their
 * safeguards.  Research behind the rules: /work/shared/notes/detection.md
 * §2 (detections D1-D9) and §5 (the containment ladder and its safeguards).
 *
 * Cost: per event, one hash probe for the device (its officer and post are
 * indices), a few fixed bucket rings, and a network lookup that costs one
 * hash probe per distinct prefix length in the configuration.  Nothing is
 * allocated per event; registration and reconfiguration may allocate.
 *
 * Readings of the header, where it leaves a choice (the one a security
 * operations team would expect; marked (Rn) at their code):
 *
 *  R1 Windows are bucket-granular: "the rolling hour" is 60 one-minute
 *     buckets (the current minute and the 59 before it), "the rolling day"
 *     24 one-hour buckets, the NOT-ADDRESSED "10 minutes" ten one-minute
 *     buckets.  Event times are UTC; bucket edges are whole UTC minutes/hours.
 *  R2 Bulk counts are of distinct cables ("distinct cables per user per
 *     1h/24h", detection notes D4): a fetch of a cable that the officer, on
 *     any of their devices, fetched in the last 24 hours is not counted
 *     again, so a client retrying one cable, or the officer's second device
 *     fetching a cable the first one already has, is not bulk.  The
 *     memory is a per-officer set of RECENT (256) cables, 8 probes, the
 *     oldest evicted: beyond 256 distinct cables a day a few may count
 *     twice.  Refused (throttled) fetches count: they are attempts.
 *     Deliveries (R19) are neither counted nor remembered, so the first
 *     re-fetch of a cable just delivered counts.
 *  R3 BULK-CAP counts every distinct fetch but deliveries (R19): a hard cap
 *     on what the officer pulls from the switch, which is what a thief or a
 *     sweep does; what the switch queued for the device is the device's to
 *     take, however much of it waited.  Defaults 1,500 an hour and 4,000 a
 *     day, above any client re-sync (bench_scenario, docs/detection.md §9).
 *  R4 BULK-BASELINE and BULK-PEER count the same measure as BULK-CAP, and the
 *     baselines learn that measure, so they are compared with what they
 *     learnt.  (Before R19 they left out only first fetches of cables
 *     accepted more than a day before: a backlog of recent cables, such as
 *     a post's after a short outage, still counted.)
 *  R5 Baselines: each completed active UTC hour (post-local day) -- one with
 *     any fetch, deliveries included -- is folded into an EWMA (lambda 0.1)
 *     of mean and variance with its count (0 if it held only deliveries),
 *     so an officer who only reads what is sent to them has a baseline near
 *     0 and is held to the floors.  An hour (day) in which a bulk threshold
 *     was crossed is folded at most at that threshold, so an attack does
 *     not teach the baseline.  "Days of history" = completed active days.
 *  R6 BULK-PEER is the warm-up rule: it is evaluated only while the officer
 *     has fewer than bulk.warmup-days of history.  Afterwards the officer's
 *     own baseline (BULK-BASELINE) speaks for them; a peer threshold would
 *     page every hour on the post's communications officers (3-5x a desk
 *     officer's volume), which the detection notes' FP budget forbids.
 *     Peers: the other officers of the post with at least one completed
 *     active day; median and MAD (floored at 1) of their baseline means,
 *     the post's snapshot recomputed at most once per UTC hour, lazily.
 *  R7 ENUM-RANGE and MACHINE-SPEED look only at re-fetches: first fetches
 *     and other requests neither extend nor break a run; a re-fetch of the
 *     same cable as the one before (a retry) neither extends nor breaks an
 *     ENUM-RANGE run.  A run that turns direction restarts at length 2.
 *  R8 Weak signals: each kind holds one value that falls linearly to 0 over
 *     risk.hours from its latest signal (a lone signal decays exactly as the
 *     header says; several of one kind decay together, a slight
 *     over-estimate of the older ones), capped at signal.cap.  Points are
 *     rounded to the nearest; a kind is "in" the score while it contributes
 *     at least 1 point.  DORMANT is per officer (an account returning),
 *     scored on the requesting device; NEW-PLACE once per (device, other
 *     post), remembering 8 other posts.
 *  R9 Places: an address is at post P if it lies in one of P's networks
 *     (the device's own post first, then the longest matching prefix among
 *     all posts).  Global networks (network.*) are no place: the ministry
 *     VPN is everywhere.  NETWORK fires for an address in none of the
 *     ministry's networks: not the device's post's, not a global one, and
 *     not another post's either.  A diplomat on another post's network is
 *     travelling, the routine case the header gives its own weak signal
 *     (NEW-PLACE, once per place) and its own rule (TWO-PLACES, when too
 *     fast); were it NETWORK too, NEW-PLACE could never matter, because
 *     NETWORK suspends first.  TWO-PLACES: seen at post B at most
 *     two-places.seconds after it was last seen at post A.
 *  R10 Decoys: a fetch or NOT_ADDRESSED of a decoy cable and a KEYREQ for a
 *     decoy device are DECOY, except a decoy device's own key requests for
 *     decoy devices: the decoy devices are the security office's, planting
 *     decoys (denpo send --decoy).
 *  R11 A suspension made by the engine stays until the switch says
 *     otherwise (dp_det_device_status(...,1) on undo or lapse): the engine
 *     never lapses it by itself (the switch owns the time box).  Registering
 *     a device again with active=1 also lifts it.
 *  R12 Throttle: a token bucket of throttle.per-min tokens refilled whole
 *     at each minute counted from the throttle's start, so exactly per-min
 *     fetches pass in each such minute; the fetch that triggered it is the
 *     first of them.  A new throttling alert while throttled extends it.
 *     Refusals count towards throttle.escalate; an escalation whose
 *     suspension is withheld restarts the count (and its repeated alert is
 *     sent at most once per realert.seconds).
 *  R13 Several rules on one event each alert (in rule order); a rule whose
 *     device an earlier one already suspended records action none ("device
 *     already suspended").  The safeguards are checked in order: last
 *     working device of the post, then the hourly cap.  `would` holds the
 *     configured action in enforce mode too (a withheld suspension shows
 *     action throttle, would suspend).
 *  R14 Event times are clamped to 0..9999-12-31 (and then to the latest time
 *     seen, as the header says); an unknown event kind counts as OTHER.
 *  R15 Callbacks run after the event is fully judged (the throttle/suspension
 *     already in force), so they may call dp_det_throttled_until,
 *     dp_det_device_status or the registration functions; not dp_det_feed.
 *  R16 The device hash mixes all 32 bytes of the id (not only the first 8):
 *     as cheap, and safe with test ids that differ only at the end.
 *  R17 Per officer: the bulk rules, baselines, DORMANT and the ODD-HOUR
 *     history.  Per device: everything else (ENUM-RANGE, MACHINE-SPEED,
 *     NOT-ADDRESSED and DEEP-ARCHIVE windows, places, weak signals, realert,
 *     throttles).
 *  R18 Names (posts, officers) are 1..64 printable ASCII bytes without
 *     spaces; a post's UTC offset is within +-18 h (else DP_EINVAL).  A
 *     configured network is matched to the post of the same name whenever
 *     that post is registered, before or after the engine was made.
 *  R19 A delivery is a FETCH with queued set and refetch and decoy clear.
 *     The switch sets queued from the device's own recipient row (a
 *     recipient, neither delivered nor acknowledged), so no re-fetch, no
 *     cable not addressed to the device (that is NOT_ADDRESSED), no
 *     acknowledged cable read back from the archive and no decoy (stored
 *     delivered) passes as one: a sweep of the archive counts in full.
 *     Deliveries are not bulk (R2-R5), and the bulk rules are evaluated
 *     only on the fetches they count, so a backlog of any size (a post back
 *     online after weeks, a records device after maintenance) drains
 *     without a bulk alert.  The other fetch rules already looked at
 *     re-fetches only (R7, DEEP-ARCHIVE).  A delivery still feeds ODD-HOUR
 *     and the officer's hours: when the device is online is the officer's.
 *  R20 A throttle never refuses a delivery of a cable that is FLASH for the
 *     device: it takes no token and is no refusal (it cannot escalate); its
 *     event is judged like any other and may alert.  A suspension, the
 *     engine's or an operator's, still refuses it: it answers evidence of a
 *     compromise (a decoy touched, a foreign network, a sweep), and a FLASH
 *     cable is the last thing to hand a stolen device.  The post is not cut
 *     off: its last working device is never suspended automatically (R13:
 *     throttled instead, and the throttle lets FLASH through), and the
 *     cable stays queued until the SOC undoes the step or it lapses.
 *  R21 A records device (DP_DET_DEV_RECORDS: the archive, whose work is
 *     reading old cables for review and declassification) differs from
 *     any device in two rules, and the kinds table (kind_rules) is the only
 *     place that says so, read only by rule_deep and rule_enum:
 *     - DEEP-ARCHIVE allows it deep.records-max-hour deep re-fetches in the
 *       rolling hour instead of deep.max-hour, and its deep re-fetches
 *       within that allowance are no DEEP-READ signal (else a review
 *       session would page RISK through the ODD-HOUR points a records
 *       device collects from its day-and-night ingest).  Past the
 *       allowance they are both, as for any device.
 *     - ENUM-RANGE judges only its machine-speed runs (enum.run): a run at
 *       a person's pace (no step faster than speed.gap-ms) is never
 *       enum.run-paced, however long, because a declassification review
 *       goes through the cables in acceptance (MRN) order.  Such a run is
 *       bounded by DEEP-ARCHIVE's allowance for old cables and by the bulk
 *       rules; one step at machine speed makes it a machine run again.
 *     MACHINE-SPEED, the bulk rules, decoys and the rest judge it as any
 *     device.
 *  R22 A SEARCH (the archive's search, only a records device's) counts its
 *     copies in the officer's bulk measure and baselines as that many
 *     cables, not de-duplicated (R2 needs the cables, which the switch does
 *     not learn), and is judged by the bulk rules if it counted any.  No
 *     cable is named, so no run (R7), deep read or ODD-HOUR.  Throttled, a
 *     search takes one token like a fetch (it is one request).
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denpo/conf.h"
#include "denpo/detect.h"
#include "denpo/num.h"

#define MIN_MS INT64_C(60000)
#define HOUR_MS INT64_C(3600000)
#define DAY_MS INT64_C(86400000)
#define T_MAX_MS INT64_C(253402300799999) /* 9999-12-31T23:59:59.999Z */
#define T_MAX_S INT64_C(253402300799)
#define RECENT 256               /* R2: cables remembered per officer (a power of 2) */
#define RECENT_PROBES 8
#define PLACES 8                 /* R8: other posts remembered per device */
#define NAMES_MAX (1u << 24) /* entities of one kind */
#define OFFSET_MAX_S (18 * 3600)

/* ---- names ---- */

static const char *const rule_names[DP_R_COUNT] = {
	[DP_R_DECOY] = "DECOY",
	[DP_R_NETWORK] = "NETWORK",
	[DP_R_TWO_PLACES] = "TWO-PLACES",
	[DP_R_BULK_CAP] = "BULK-CAP",
	[DP_R_BULK_BASELINE] = "BULK-BASELINE",
	[DP_R_BULK_PEER] = "BULK-PEER",
	[DP_R_ENUM_RANGE] = "ENUM-RANGE",
	[DP_R_NOT_ADDRESSED] = "NOT-ADDRESSED",
	[DP_R_DEEP_ARCHIVE] = "DEEP-ARCHIVE",
	[DP_R_MACHINE_SPEED] = "MACHINE-SPEED",
	[DP_R_RISK] = "RISK",
};

/* ECS event.severity of each rule's alert: 99 critical, 73 high, 47 medium. */
static const int rule_severity[DP_R_COUNT] = {
	[DP_R_DECOY] = 99,	   [DP_R_NETWORK] = 73,	      [DP_R_TWO_PLACES] = 73,
	[DP_R_BULK_CAP] = 73,	   [DP_R_BULK_BASELINE] = 47, [DP_R_BULK_PEER] = 47,
	[DP_R_ENUM_RANGE] = 73,	   [DP_R_NOT_ADDRESSED] = 47, [DP_R_DEEP_ARCHIVE] = 47,
	[DP_R_MACHINE_SPEED] = 73, [DP_R_RISK] = 73,
};

static const char *const signal_names[DP_S_COUNT] = {
	[DP_S_DENIED] = "DENIED",	[DP_S_DORMANT] = "DORMANT",
	[DP_S_ODD_HOUR] = "ODD-HOUR",	[DP_S_DEEP_READ] = "DEEP-READ",
	[DP_S_NEW_PLACE] = "NEW-PLACE",
};
static const int signal_param[DP_S_COUNT] = {
	[DP_S_DENIED] = DP_P_SIGNAL_DENIED,	  [DP_S_DORMANT] = DP_P_SIGNAL_DORMANT,
	[DP_S_ODD_HOUR] = DP_P_SIGNAL_ODD_HOUR,	  [DP_S_DEEP_READ] = DP_P_SIGNAL_DEEP_READ,
	[DP_S_NEW_PLACE] = DP_P_SIGNAL_NEW_PLACE,
};

static const char *const mode_names[] = {"off", "report", "enforce"};
static const char *const action_names[] = {"none", "throttle", "suspend"};

const char *dp_det_rule_name(int rule)
{
	return rule >= 0 && rule < DP_R_COUNT ? rule_names[rule] : NULL;
}

int dp_det_rule_by_name(const char *name)
{
	for (int i = 0; name && i < DP_R_COUNT; i++)
		if (strcmp(name, rule_names[i]) == 0)
			return i;
	return -1;
}

const char *dp_det_signal_name(int sig)
{
	return sig >= 0 && sig < DP_S_COUNT ? signal_names[sig] : NULL;
}

const char *dp_det_mode_name(int mode)
{
	return mode >= 0 && mode <= DP_DET_ENFORCE ? mode_names[mode] : NULL;
}

const char *dp_det_action_name(int action)
{
	return action >= 0 && action <= DP_DET_SUSPEND ? action_names[action] : NULL;
}

/* ---- parameters ---- */

const dp_det_param dp_det_params[DP_P_COUNT] = {
	[DP_P_THROTTLE_PER_MIN] = {"throttle.per-min", 6, 1, 600,
				   "fetches per minute a throttled device still gets"},
	[DP_P_THROTTLE_SECONDS] = {"throttle.seconds", 3600, 5, 604800, "how long a throttle lasts"},
	[DP_P_THROTTLE_ESCALATE] = {"throttle.escalate", 30, 1, 100000,
				    "refusals of a throttled device before it is suspended"},
	[DP_P_SUSPEND_SECONDS] = {"suspend.seconds", 14400, 5, 604800,
				  "the time box of an automatic suspension (the switch lapses it)"},
	[DP_P_SUSPEND_MAX_HOUR] = {"suspend.max-hour", 10, 0, 10000,
				   "automatic suspensions allowed in any rolling hour"},
	[DP_P_REALERT_SECONDS] = {"realert.seconds", 3600, 0, 604800,
				  "a rule fires at most once per device in this many seconds"},
	[DP_P_TWO_PLACES_SECONDS] = {"two-places.seconds", 1800, 1, 86400,
				     "seen at two posts' networks within this many seconds"},
	[DP_P_BULK_CAP_HOUR] = {"bulk.cap-hour", 1500, 1, 1000000,
				"hard cap: distinct cables per officer in the rolling hour"},
	[DP_P_BULK_CAP_DAY] = {"bulk.cap-day", 4000, 1, 10000000,
			       "hard cap: distinct cables per officer in the rolling day"},
	[DP_P_BULK_FLOOR_HOUR] = {"bulk.floor-hour", 200, 1, 1000000,
				  "baseline and peer rules never fire at or below this in an hour"},
	[DP_P_BULK_FLOOR_DAY] = {"bulk.floor-day", 400, 1, 10000000,
				 "baseline and peer rules never fire at or below this in a day"},
	[DP_P_BULK_K10] = {"bulk.k10", 100, 10, 1000, "own baseline: sigmas above the mean, times 10"},
	[DP_P_BULK_WARMUP_DAYS] = {"bulk.warmup-days", 14, 1, 365,
				   "active days of history before the own baseline is used"},
	[DP_P_PEER_K10] = {"peer.k10", 80, 10, 1000, "peers: MADs above the median, times 10"},
	[DP_P_PEER_MIN_OFFICERS] = {"peer.min-officers", 4, 2, 10000,
				    "other officers with history a peer group needs"},
	[DP_P_ENUM_RUN] = {"enum.run", 60, 3, 100000,
			   "re-fetches in a row in strictly monotonic acceptance order"},
	[DP_P_NOT_ADDRESSED_MAX] = {"not-addressed.max", 3, 0, 100000,
				    "requests for cables not addressed to the device in 10 minutes"},
	[DP_P_DEEP_DAYS] = {"deep.days", 30, 1, 36500, "a cable accepted longer ago is deep archive"},
	[DP_P_DEEP_MAX_HOUR] = {"deep.max-hour", 0, 0, 100000,
				"deep-archive re-fetches allowed in the rolling hour"},
	[DP_P_SPEED_RUN] = {"speed.run", 60, 2, 100000, "re-fetches in a row at machine speed"},
	[DP_P_SPEED_GAP_MS] = {"speed.gap-ms", 2000, 1, 600000,
			       "machine speed: less than this between re-fetches"},
	[DP_P_RISK_PAGE] = {"risk.page", 100, 1, 100000,
			    "risk score that pages (with two kinds of signal at least)"},
	[DP_P_RISK_HOURS] = {"risk.hours", 24, 1, 720, "a weak signal decays to 0 over these hours"},
	[DP_P_SIGNAL_DENIED] = {"signal.denied", 15, 0, 100000, "points of a refused request"},
	[DP_P_SIGNAL_DORMANT] = {"signal.dormant", 40, 0, 100000,
				 "points of the first request after dormant.days"},
	[DP_P_SIGNAL_ODD_HOUR] = {"signal.odd-hour", 4, 0, 100000, "points of a fetch at an odd hour"},
	[DP_P_SIGNAL_DEEP_READ] = {"signal.deep-read", 8, 0, 100000,
				   "points of a re-fetch of a deep-archive cable"},
	[DP_P_SIGNAL_NEW_PLACE] = {"signal.new-place", 30, 0, 100000,
				   "points of a first request from another post's network"},
	[DP_P_SIGNAL_CAP] = {"signal.cap", 60, 0, 100000, "most points one kind of signal adds"},
	[DP_P_DORMANT_DAYS] = {"dormant.days", 30, 1, 3650,
			       "days without a request that make an officer dormant"},
	[DP_P_WORK_START] = {"work.start", 7, 0, 23, "post-local hour the working day starts"},
	[DP_P_WORK_END] = {"work.end", 20, 1, 24, "post-local hour the working day ends"},
	[DP_P_ENUM_RUN_PACED] = {"enum.run-paced", 12, 3, 100000,
				 "re-fetches in a row in monotonic order, none at machine speed "
				 "(not on a records device)"},
	[DP_P_DEEP_RECORDS_MAX_HOUR] = {"deep.records-max-hour", 30, 0, 100000,
					"a records device's deep-archive reads allowed in the "
					"rolling hour (a person reviewing old cables)"},
};

void dp_det_config_default(dp_det_config *c)
{
	memset(c, 0, sizeof *c);
	for (int i = 0; i < DP_P_COUNT; i++)
		c->p[i] = dp_det_params[i].def;
	for (int r = 0; r < DP_R_COUNT; r++) {
		c->mode[r] = DP_DET_ENFORCE;
		c->action[r] = r <= DP_R_BULK_CAP ? DP_DET_SUSPEND : DP_DET_THROTTLE;
	}
	/*
	 * A throttle (6 a minute) does not slow a human-paced thief: the rules
	 * that only a sweep of the archive trips suspend, time-boxed and
	 * undoable (bench_scenario, docs/detection.md §9).
	 */
	c->action[DP_R_DEEP_ARCHIVE] = DP_DET_SUSPEND;
	c->action[DP_R_ENUM_RANGE] = DP_DET_SUSPEND;
	c->action[DP_R_NOT_ADDRESSED] = DP_DET_SUSPEND;
}

void dp_det_config_free(dp_det_config *c)
{
	if (!c)
		return;
	free(c->nets);
	free(c->net_posts);
	c->nets = NULL;
	c->net_posts = NULL;
	c->nnets = 0;
	c->nnet_posts = 0;
}

/* ---- addresses ---- */

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static int is_v4(const uint8_t a[16])
{
	return memcmp(a, v4mapped, 12) == 0;
}

/* The unknown address: all zero, or the IPv4 0.0.0.0 (::ffff:0.0.0.0). */
static int addr_zero(const uint8_t a[16])
{
	static const uint8_t z[16];
	return memcmp(a, z, 16) == 0 || (memcmp(a, v4mapped, 12) == 0 && memcmp(a + 12, z, 4) == 0);
}

/* Text of a 16-byte address (dotted quad for ::ffff:a.b.c.d). */
static void addr_text(const uint8_t a[16], char *out, size_t cap)
{
	if (is_v4(a)) {
		snprintf(out, cap, "%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
		return;
	}
	char s[INET6_ADDRSTRLEN];
	if (!inet_ntop(AF_INET6, a, s, sizeof s))
		snprintf(s, sizeof s, "?");
	snprintf(out, cap, "%s", s);
}

/* out = a with the bits after prefix cleared (out may be a). */
static void mask_addr(uint8_t out[16], const uint8_t a[16], unsigned prefix)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = prefix >= 8 * (i + 1) ? 8 : prefix > 8 * i ? prefix - 8 * i : 0;
		out[i] = (uint8_t)(a[i] & (0xff00 >> keep));
	}
}

static int in_net(const uint8_t a[16], const dp_det_net *n)
{
	unsigned full = n->prefix / 8, rest = n->prefix % 8;
	if (memcmp(a, n->addr, full) != 0)
		return 0;
	return !rest || ((a[full] ^ n->addr[full]) & (0xff << (8 - rest))) == 0;
}

/* Decimal without sign or leading zeros, 0..max; -1 if not. */
static int64_t small_uint(const char *s, size_t n, int64_t max)
{
	if (n == 0 || n > 18 || (n > 1 && s[0] == '0'))
		return -1;
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

static int addr_parse_n(const char *s, size_t n, uint8_t out[16])
{
	char buf[INET6_ADDRSTRLEN + 1];
	if (n == 0 || n >= sizeof buf)
		return DP_EPARSE;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (memchr(buf, ':', n)) {
		if (inet_pton(AF_INET6, buf, out) != 1)
			return DP_EPARSE;
		return DP_OK;
	}
	uint8_t v4[4];
	if (inet_pton(AF_INET, buf, v4) != 1)
		return DP_EPARSE;
	memcpy(out, v4mapped, 12);
	memcpy(out + 12, v4, 4);
	return DP_OK;
}

int dp_det_addr_parse(const char *s, uint8_t addr[16])
{
	if (!s || !addr)
		return DP_EINVAL;
	int r = addr_parse_n(s, strlen(s), addr);
	if (r)
		memset(addr, 0, 16);
	return r;
}

enum cidr_err { CIDR_OK = 0, CIDR_ADDR, CIDR_NOPREFIX, CIDR_PREFIX, CIDR_HOSTBITS };

static enum cidr_err cidr_parse_n(const char *s, size_t n, uint8_t addr[16], unsigned *prefix)
{
	const char *slash = memchr(s, '/', n);
	if (!slash)
		return CIDR_NOPREFIX;
	size_t an = (size_t)(slash - s);
	/* "::ffff:a.b.c.d/n" is IPv6 syntax: its prefix counts all 128 bits */
	int v6 = memchr(s, ':', an) != NULL;
	if (addr_parse_n(s, an, addr))
		return CIDR_ADDR;
	int64_t p = small_uint(slash + 1, n - an - 1, v6 ? 128 : 32);
	if (p < 0)
		return CIDR_PREFIX;
	*prefix = (unsigned)p + (v6 ? 0 : 96);
	uint8_t m[16];
	mask_addr(m, addr, *prefix);
	if (memcmp(m, addr, 16) != 0)
		return CIDR_HOSTBITS;
	return CIDR_OK;
}

int dp_det_cidr_parse(const char *s, uint8_t addr[16], unsigned *prefix)
{
	if (!s || !addr || !prefix)
		return DP_EINVAL;
	uint8_t a[16];
	unsigned p = 0;
	if (cidr_parse_n(s, strlen(s), a, &p) != CIDR_OK) {
		memset(addr, 0, 16);
		*prefix = 0;
		return DP_EPARSE;
	}
	memcpy(addr, a, 16);
	*prefix = p;
	return DP_OK;
}

/* ---- the configuration parser ---- */

struct pctx {
	dp_det_config *c;
	dp_conf rd; /* the line reader: the line number and the message */
	unsigned line_p[DP_P_COUNT], line_mode[DP_R_COUNT], line_action[DP_R_COUNT];
	size_t capnets, capposts;
};

__attribute__((format(printf, 3, 4))) static int perr(struct pctx *x, int code, const char *fmt,
						      ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return dp_conf_err(&x->rd, code, "%s", msg);
}

/* A value quoted for an error message: printable ASCII, at most 40 bytes. */
static const char *quoted(char out[48], const char *s, size_t n)
{
	return dp_conf_quote(out, s, n);
}

static int is_ws(char ch)
{
	return ch == ' ' || ch == '\t';
}

static int parse_number(struct pctx *x, int id, const char *v, size_t vn)
{
	const dp_det_param *pm = &dp_det_params[id];
	char q[48];
	uint64_t n;
	int r = dp_num_u64(&n, v, vn, (uint64_t)pm->min, (uint64_t)pm->max);
	if (r == DP_OK) {
		x->c->p[id] = (int64_t)n;
		return DP_OK;
	}
	if (r == DP_EPARSE && vn > 1 && v[0] == '0' && dp_num_u64(&n, v + 1, vn - 1, 0, UINT64_MAX) == DP_OK)
		return perr(x, DP_EPARSE, "%s: \"%s\" has a leading zero (allowed %lld..%lld)",
			    pm->name, quoted(q, v, vn), (long long)pm->min, (long long)pm->max);
	if (r == DP_EPARSE) {
		size_t i = 0;
		while (i < vn && v[i] >= '0' && v[i] <= '9')
			i++;
		if (i == 0 || i != vn)
			return perr(x, DP_EPARSE,
				    "%s: \"%s\" is not a decimal integer (allowed %lld..%lld, no sign)",
				    pm->name, quoted(q, v, vn), (long long)pm->min, (long long)pm->max);
	}
	/* digits only: out of range (or past 2^64, which dp_num refuses as a parse error) */
	if (r == DP_EPARSE || dp_num_u64(&n, v, vn, 0, (uint64_t)pm->min) != DP_OK)
		return perr(x, DP_EPARSE, "%s: %s is above the maximum %lld (allowed %lld..%lld)",
			    pm->name, quoted(q, v, vn), (long long)pm->max, (long long)pm->min,
			    (long long)pm->max);
	return perr(x, DP_EPARSE, "%s: %lld is below the minimum %lld (allowed %lld..%lld)",
		    pm->name, (long long)n, (long long)pm->min, (long long)pm->min,
		    (long long)pm->max);
}

static int post_name_ok(const char *s, size_t n)
{
	if (n < 1 || n > DP_DET_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

static int net_post_index(struct pctx *x, const char *name, size_t n, int *out)
{
	dp_det_config *c = x->c;
	for (size_t i = 0; i < c->nnet_posts; i++)
		if (strlen(c->net_posts[i]) == n && memcmp(c->net_posts[i], name, n) == 0) {
			*out = (int)i;
			return DP_OK;
		}
	if (c->nnet_posts == x->capposts) {
		size_t cap = x->capposts ? x->capposts * 2 : 8;
		void *p = realloc(c->net_posts, cap * sizeof c->net_posts[0]);
		if (!p)
			return perr(x, DP_ENOMEM, "out of memory");
		c->net_posts = p;
		x->capposts = cap;
	}
	memcpy(c->net_posts[c->nnet_posts], name, n);
	c->net_posts[c->nnet_posts][n] = 0;
	*out = (int)c->nnet_posts++;
	return DP_OK;
}

static int parse_networks(struct pctx *x, const char *key, size_t kn, const char *v, size_t vn)
{
	dp_det_config *c = x->c;
	char q[48], kq[48];
	const char *post = key + 8; /* after "network." */
	size_t pn = kn - 8;
	int pidx = -1;
	quoted(kq, key, kn);
	if (!(pn == 1 && post[0] == '*')) {
		if (!post_name_ok(post, pn))
			return perr(x, DP_EPARSE,
				    "%s: post name \"%s\" is not 1..64 of A-Z, 0-9 and - (or * for "
				    "every post)",
				    kq, quoted(q, post, pn));
	}
	size_t i = 0;
	for (;;) {
		while (i < vn && is_ws(v[i]))
			i++;
		size_t s = i;
		while (i < vn && v[i] != ',' && !is_ws(v[i]))
			i++;
		size_t tn = i - s;
		while (i < vn && is_ws(v[i]))
			i++;
		if (tn == 0)
			return perr(x, DP_EPARSE, "%s: empty entry in the list (CIDR[, CIDR...])", kq);
		if (i < vn && v[i] != ',')
			return perr(x, DP_EPARSE,
				    "%s: \"%s\" is not one CIDR (entries are separated by commas)", kq,
				    quoted(q, v + s, vn - s));
		dp_det_net n;
		memset(&n, 0, sizeof n);
		switch (cidr_parse_n(v + s, tn, n.addr, &n.prefix)) {
		case CIDR_OK:
			break;
		case CIDR_HOSTBITS:
			return perr(x, DP_EPARSE,
				    "%s: \"%s\" has host bits set (the address must be the network's "
				    "first, e.g. 192.0.2.0/24)",
				    kq, quoted(q, v + s, tn));
		case CIDR_NOPREFIX:
			return perr(x, DP_EPARSE,
				    "%s: \"%s\" has no /prefix (a.b.c.d/n with n 0..32, or IPv6/n "
				    "with n 0..128)",
				    kq, quoted(q, v + s, tn));
		case CIDR_PREFIX:
			return perr(x, DP_EPARSE,
				    "%s: \"%s\": bad prefix length (0..32 for IPv4, 0..128 for IPv6, "
				    "no leading zeros)",
				    kq, quoted(q, v + s, tn));
		default:
			return perr(x, DP_EPARSE,
				    "%s: \"%s\" is not an address (a.b.c.d/n or IPv6/n)", kq,
				    quoted(q, v + s, tn));
		}
		if (c->nnets == DP_DET_NETS_MAX)
			return perr(x, DP_ETOOBIG, "%s: more than %d networks in all (the maximum)",
				    kq, DP_DET_NETS_MAX);
		if (pidx < 0 && !(pn == 1 && post[0] == '*')) {
			int r = net_post_index(x, post, pn, &pidx);
			if (r)
				return r;
		}
		n.post = pidx;
		if (c->nnets == x->capnets) {
			size_t cap = x->capnets ? x->capnets * 2 : 16;
			void *p = realloc(c->nets, cap * sizeof c->nets[0]);
			if (!p)
				return perr(x, DP_ENOMEM, "out of memory");
			c->nets = p;
			x->capnets = cap;
		}
		c->nets[c->nnets++] = n;
		if (i == vn)
			return DP_OK;
		i++; /* the comma */
	}
}

static int parse_rule_key(struct pctx *x, const char *key, size_t kn, const char *v, size_t vn)
{
	char q[48], kq[48], name[DP_DET_NAME_MAX + 1];
	quoted(kq, key, kn);
	const char *dot = NULL;
	for (size_t i = kn; i > 5; i--)
		if (key[i - 1] == '.') {
			dot = key + i - 1;
			break;
		}
	if (!dot || dot == key + 5)
		return perr(x, DP_EPARSE, "unknown key \"%s\" (rule.NAME.mode or rule.NAME.action)",
			    kq);
	size_t nn = (size_t)(dot - (key + 5)), fn = kn - (size_t)(dot + 1 - key);
	int field = fn == 4 && memcmp(dot + 1, "mode", 4) == 0	   ? 0
		    : fn == 6 && memcmp(dot + 1, "action", 6) == 0 ? 1
								   : -1;
	if (field < 0)
		return perr(x, DP_EPARSE, "unknown key \"%s\" (rule.NAME.mode or rule.NAME.action)",
			    kq);
	int rule = -1;
	if (nn <= DP_DET_NAME_MAX) {
		memcpy(name, key + 5, nn);
		name[nn] = 0;
		rule = dp_det_rule_by_name(name);
	}
	if (rule < 0)
		return perr(x, DP_EPARSE,
			    "%s: unknown rule \"%s\" (DECOY, NETWORK, TWO-PLACES, BULK-CAP, "
			    "BULK-BASELINE, BULK-PEER, ENUM-RANGE, NOT-ADDRESSED, DEEP-ARCHIVE, "
			    "MACHINE-SPEED, RISK)",
			    kq, quoted(q, key + 5, nn));
	unsigned *seen = field ? &x->line_action[rule] : &x->line_mode[rule];
	if (*seen)
		return perr(x, DP_EPARSE, "%s: duplicate key (first set on line %u; set it once)", kq,
			    *seen);
	*seen = x->rd.line;
	const char *const *names = field ? action_names : mode_names;
	for (int i = 0; i < 3; i++)
		if (strlen(names[i]) == vn && memcmp(names[i], v, vn) == 0) {
			if (field)
				x->c->action[rule] = i;
			else
				x->c->mode[rule] = i;
			return DP_OK;
		}
	return perr(x, DP_EPARSE, "%s: \"%s\" is not one of %s", kq, quoted(q, v, vn),
		    field ? "none, throttle, suspend" : "off, report, enforce");
}

static int parse_line(struct pctx *x, const dp_conf_kv *kv)
{
	char kq[48];
	const char *key = kv->key, *v = kv->val;
	size_t kn = kv->kn, vn = kv->vn;
	quoted(kq, key, kn);
	for (int id = 0; id < DP_P_COUNT; id++)
		if (strlen(dp_det_params[id].name) == kn &&
		    memcmp(dp_det_params[id].name, key, kn) == 0) {
			if (x->line_p[id])
				return perr(x, DP_EPARSE,
					    "%s: duplicate key (first set on line %u; set it once)",
					    kq, x->line_p[id]);
			x->line_p[id] = x->rd.line;
			return parse_number(x, id, v, vn);
		}
	if (kn > 5 && memcmp(key, "rule.", 5) == 0)
		return parse_rule_key(x, key, kn, v, vn);
	if (kn > 8 && memcmp(key, "network.", 8) == 0)
		return parse_networks(x, key, kn, v, vn);
	const char *near = dp_conf_suggest(key, kn, dp_det_params, DP_P_COUNT, sizeof dp_det_params[0]);
	if (near)
		return perr(x, DP_EPARSE, "unknown key \"%s\" (did you mean \"%s\"?)", kq, near);
	return perr(x, DP_EPARSE,
		    "unknown key \"%s\" (a parameter such as bulk.cap-hour, rule.NAME.mode, "
		    "rule.NAME.action, network.POST or network.*)",
		    kq);
}

int dp_det_config_parse(dp_det_config *c, const char *text, size_t len, char *err, size_t errcap)
{
	return dp_det_config_parse_named(c, NULL, text, len, err, errcap);
}

int dp_det_config_parse_named(dp_det_config *c, const char *name, const char *text, size_t len,
			      char *err, size_t errcap)
{
	if (!c)
		return DP_EINVAL;
	dp_det_config_default(c);
	if (err && errcap)
		err[0] = 0;
	if (!text && len)
		return DP_EINVAL;
	struct pctx *x = calloc(1, sizeof *x);
	if (!x)
		return DP_ENOMEM;
	x->c = c;
	dp_conf_init(&x->rd, name, text, len, err, errcap);
	dp_conf_kv kv;
	int r;
	while ((r = dp_conf_next(&x->rd, &kv)) == DP_OK && (r = parse_line(x, &kv)) == DP_OK)
		;
	if (r == DP_ENOTFOUND)
		r = DP_OK;
	if (!r && c->p[DP_P_WORK_START] >= c->p[DP_P_WORK_END]) {
		unsigned ls = x->line_p[DP_P_WORK_START], le = x->line_p[DP_P_WORK_END];
		x->rd.line = ls > le ? ls : le;
		r = perr(x, DP_EPARSE,
			 "work.start %lld is not before work.end %lld (hours 0..23 and 1..24, start "
			 "< end)",
			 (long long)c->p[DP_P_WORK_START], (long long)c->p[DP_P_WORK_END]);
	}
	free(x);
	if (r) {
		dp_det_config_free(c);
		dp_det_config_default(c);
	}
	return r;
}

/* ---- rolling windows (R1) ---- */

/*
 * A ring of n buckets of w ms: bucket b holds the events of window index
 * last - ((last - b) mod n); first[] is the offset of the first event of a
 * bucket from the bucket's start (so the earliest event in the window is
 * known, for an alert's first_ms).
 */
#define RING(N)                                                                                    \
	struct {                                                                                   \
		int64_t last;                                                                      \
		uint32_t sum, init;                                                                \
		uint32_t cnt[N];                                                                   \
		uint32_t first[N];                                                                 \
	}
typedef RING(60) ring60;
typedef RING(24) ring24;
typedef RING(10) ring10;

struct rv {
	int64_t *last;
	uint32_t *sum, *init, *cnt, *first;
	int64_t n, w;
};
#define RV(r, W)                                                                                   \
	((struct rv){&(r)->last, &(r)->sum, &(r)->init, (r)->cnt, (r)->first,                      \
		     (int64_t)(sizeof((r)->cnt) / sizeof((r)->cnt[0])), (W)})

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t floormod(int64_t a, int64_t b)
{
	int64_t m = a % b;
	return m < 0 ? m + b : m;
}

static void ring_advance(struct rv r, int64_t t)
{
	int64_t idx = floordiv(t, r.w);
	if (!*r.init) {
		*r.init = 1;
		*r.last = idx;
		return;
	}
	if (idx <= *r.last)
		return;
	if (idx - *r.last >= r.n) {
		memset(r.cnt, 0, (size_t)r.n * sizeof r.cnt[0]);
		*r.sum = 0;
	} else {
		for (int64_t j = *r.last + 1; j <= idx; j++) {
			int64_t b = floormod(j, r.n);
			*r.sum -= r.cnt[b];
			r.cnt[b] = 0;
		}
	}
	*r.last = idx;
}

/* n events at t (saturating); n = 0 only advances. */
static void ring_addn(struct rv r, int64_t t, uint32_t n)
{
	ring_advance(r, t);
	if (!n)
		return;
	int64_t b = floormod(*r.last, r.n);
	if (r.cnt[b] == 0)
		r.first[b] = (uint32_t)(t - *r.last * r.w);
	uint32_t room = UINT32_MAX - *r.sum; /* sum >= every cnt */
	if (n > room)
		n = room;
	r.cnt[b] += n;
	*r.sum += n;
}

static void ring_add(struct rv r, int64_t t)
{
	ring_addn(r, t, 1);
}

/* The time of the earliest event still in the window; -1 if none. */
static int64_t ring_first(struct rv r)
{
	for (int64_t j = r.n - 1; j >= 0; j--) {
		int64_t idx = *r.last - j;
		int64_t b = floormod(idx, r.n);
		if (r.cnt[b])
			return idx * r.w + r.first[b];
	}
	return -1;
}

/* ---- the engine's state ---- */

typedef struct {
	uint8_t id[32];
	int32_t officer, next; /* next: the officer's next device, -1 */
	uint8_t active, decoy, kind, esusp; /* kind: an index of kind_rules (R21) */
	int64_t fired[DP_R_COUNT]; /* when each rule last fired for it; -1 never */
	/* throttle (R12) */
	int64_t thr_until, thr_start, thr_win, esc_alert;
	int32_t thr_tokens, thr_refused, thr_rule;
	/* ENUM-RANGE and MACHINE-SPEED runs (R7) */
	int64_t en_last_seq, en_first_seq, en_first_ms, en_last_ms;
	uint32_t en_run;
	uint32_t en_fast; /* steps of the run faster than speed.gap-ms */
	int en_dir;
	int64_t sp_last_ms, sp_first_ms;
	uint32_t sp_run;
	/* places (R9) */
	int32_t place;
	int64_t place_ms;
	int32_t seen[PLACES];
	uint32_t nseen;
	/* weak signals (R8) */
	double sig[DP_S_COUNT];
	int64_t sig_t[DP_S_COUNT], sig_first[DP_S_COUNT];
	ring10 na;
	ring60 deep;
} device;

typedef struct {
	char name[DP_DET_NAME_MAX + 1];
	int32_t post, dev_first;
	ring60 cap_h; /* every distinct fetch but deliveries (R3, R4) */
	ring24 cap_d;
	uint64_t recent[RECENT]; /* R2: fingerprint << 20 | UTC hour mod 2^20; 0 empty */
	/* baselines (R5) */
	int64_t cur_h, cur_d;
	uint32_t cnt_h, cnt_d, clamp_h, clamp_d, n_h, n_d;
	uint8_t act_h, act_d; /* the current hour (day) saw a fetch: it is active (R5) */
	double mu_h, var_h, mu_d, var_d;
	uint32_t hist[168], hist_total;
	int64_t last_req; /* -1: none yet */
	/* peers (R6): this officer's thresholds against its post's snapshot */
	uint64_t snap_gen, peer_gen;
	double snap_h, snap_d;
	double pmed_h, pmad_h, pmed_d, pmad_d;
	uint32_t peer_n;
} officer;

typedef struct {
	char name[DP_DET_NAME_MAX + 1];
	int32_t utc_off, working;
	int32_t *officers;
	uint32_t nof, capof;
	uint32_t *nets, nnets; /* indices into d->c.nets of this post's own networks */
	/* the peer snapshot: sorted baseline means of officers with history */
	uint64_t gen;
	int64_t snap_hour;
	double *sh, *sd;
	uint32_t nsnap;
} post;

struct tab {
	uint32_t *s; /* entity index + 1; 0 empty */
	uint32_t mask, n;
};

struct netslot {
	uint8_t key[16];
	int32_t net; /* index into d->c.nets + 1; 0 empty */
	uint32_t prefix;
};

struct dp_det {
	dp_det_config c;
	dp_det_alert_fn fn;
	void *ctx;
	post *posts;
	officer *offs;
	device *devs;
	uint32_t nposts, capposts, noffs, capoffs, ndevs, capdevs;
	struct tab tposts, toffs, tdevs;
	/* networks */
	int32_t *netpost; /* config post index -> engine post, -1 unregistered */
	uint32_t *globals, nglobals;
	struct netslot *nix;
	uint32_t nixmask;
	uint8_t lens[129];
	uint32_t nlens;
	/* automatic suspensions of the last hour (the cap) */
	int64_t *susp;
	uint32_t susp_cap, susp_n, susp_pos;
	/* scratch for peer statistics, as long as the largest post */
	double *scratch;
	uint32_t scratch_cap;
	uint64_t gen;
	int64_t now;
	dp_det_stats st;
	dp_det_alert al[DP_R_COUNT + 2];
	int nal;
};

/* ---- hash tables ---- */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	return x;
}

static uint64_t name_hash(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * UINT64_C(0x100000001b3);
	return mix64(h);
}

static uint64_t id_hash(const uint8_t id[32])
{
	uint64_t w[4];
	memcpy(w, id, 32);
	return mix64(w[0] ^ w[1] ^ w[2] ^ w[3]); /* R16 */
}

enum { T_POST, T_OFF, T_DEV };

static uint64_t ent_hash(const dp_det *d, int kind, uint32_t i)
{
	return kind == T_DEV   ? id_hash(d->devs[i].id)
	       : kind == T_OFF ? name_hash(d->offs[i].name)
			       : name_hash(d->posts[i].name);
}

static void tab_put(struct tab *t, uint64_t h, uint32_t idx)
{
	uint32_t s = (uint32_t)h & t->mask;
	while (t->s[s])
		s = (s + 1) & t->mask;
	t->s[s] = idx + 1;
	t->n++;
}

/* Room for one more entry (load at most 1/2). */
static int tab_reserve(dp_det *d, struct tab *t, int kind)
{
	if (t->s && (t->n + 1) * 2 <= t->mask + 1)
		return DP_OK;
	uint32_t cap = t->s ? (t->mask + 1) * 2 : 64;
	uint32_t *s = calloc(cap, sizeof *s);
	if (!s)
		return DP_ENOMEM;
	uint32_t n = t->n;
	free(t->s);
	t->s = s;
	t->mask = cap - 1;
	t->n = 0;
	for (uint32_t i = 0; i < n; i++)
		tab_put(t, ent_hash(d, kind, i), i);
	return DP_OK;
}

static int32_t find_dev(const dp_det *d, const uint8_t id[32])
{
	if (!d->tdevs.s)
		return -1;
	uint32_t s = (uint32_t)id_hash(id) & d->tdevs.mask;
	while (d->tdevs.s[s]) {
		uint32_t i = d->tdevs.s[s] - 1;
		if (memcmp(d->devs[i].id, id, 32) == 0)
			return (int32_t)i;
		s = (s + 1) & d->tdevs.mask;
	}
	return -1;
}

static int32_t find_name(const dp_det *d, const struct tab *t, int kind, const char *name)
{
	if (!t->s)
		return -1;
	uint32_t s = (uint32_t)name_hash(name) & t->mask;
	while (t->s[s]) {
		uint32_t i = t->s[s] - 1;
		const char *n = kind == T_OFF ? d->offs[i].name : d->posts[i].name;
		if (strcmp(n, name) == 0)
			return (int32_t)i;
		s = (s + 1) & t->mask;
	}
	return -1;
}

static int grow(void **p, uint32_t *cap, uint32_t need, size_t size)
{
	if (need <= *cap)
		return DP_OK;
	if (need > NAMES_MAX)
		return DP_ETOOBIG;
	uint32_t c = *cap ? *cap : 16;
	while (c < need)
		c *= 2;
	void *q = realloc(*p, (size_t)c * size);
	if (!q)
		return DP_ENOMEM;
	*p = q;
	*cap = c;
	return DP_OK;
}

/* ---- networks ---- */

static uint64_t net_hash(const uint8_t key[16], unsigned prefix)
{
	uint64_t a, b;
	memcpy(&a, key, 8);
	memcpy(&b, key + 8, 8);
	return mix64(a ^ mix64(b ^ prefix));
}

/* The index of places (R9), the global networks and each post's own. */
static int nets_build(dp_det *d)
{
	free(d->nix);
	free(d->globals);
	free(d->netpost);
	d->nix = NULL;
	d->globals = NULL;
	d->netpost = NULL;
	d->nglobals = 0;
	d->nlens = 0;
	const dp_det_config *c = &d->c;
	uint32_t cap = 16;
	while (cap < 2 * c->nnets + 2)
		cap *= 2;
	d->nix = calloc(cap, sizeof *d->nix);
	d->globals = calloc(c->nnets + 1, sizeof *d->globals);
	d->netpost = calloc(c->nnet_posts + 1, sizeof *d->netpost);
	if (!d->nix || !d->globals || !d->netpost)
		return DP_ENOMEM;
	d->nixmask = cap - 1;
	uint8_t have[129] = {0};
	for (size_t i = 0; i < c->nnets; i++) {
		const dp_det_net *n = &c->nets[i];
		if (n->post < 0) {
			d->globals[d->nglobals++] = (uint32_t)i;
			continue;
		}
		uint8_t key[16];
		mask_addr(key, n->addr, n->prefix);
		uint32_t s = (uint32_t)net_hash(key, n->prefix) & d->nixmask;
		int dup = 0;
		while (d->nix[s].net) {
			if (d->nix[s].prefix == n->prefix && memcmp(d->nix[s].key, key, 16) == 0)
				dup = 1; /* the same network for two posts: the first is its place */
			s = (s + 1) & d->nixmask;
		}
		if (dup)
			continue;
		memcpy(d->nix[s].key, key, 16);
		d->nix[s].prefix = n->prefix;
		d->nix[s].net = (int32_t)i + 1;
		have[n->prefix] = 1;
	}
	for (int l = 128; l >= 0; l--)
		if (have[l])
			d->lens[d->nlens++] = (uint8_t)l;
	for (size_t j = 0; j < c->nnet_posts; j++)
		d->netpost[j] = find_name(d, &d->tposts, T_POST, c->net_posts[j]);
	return DP_OK;
}

/* This post's own networks, from the configuration. */
static int post_nets(dp_det *d, post *p)
{
	free(p->nets);
	p->nets = NULL;
	p->nnets = 0;
	const dp_det_config *c = &d->c;
	size_t k = 0;
	for (size_t i = 0; i < c->nnets; i++)
		if (c->nets[i].post >= 0 && strcmp(c->net_posts[c->nets[i].post], p->name) == 0)
			k++;
	if (!k)
		return DP_OK;
	p->nets = calloc(k, sizeof *p->nets);
	if (!p->nets)
		return DP_ENOMEM;
	for (size_t i = 0; i < c->nnets; i++)
		if (c->nets[i].post >= 0 && strcmp(c->net_posts[c->nets[i].post], p->name) == 0)
			p->nets[p->nnets++] = (uint32_t)i;
	return DP_OK;
}

static int in_post_nets(const dp_det *d, const post *p, const uint8_t a[16])
{
	for (uint32_t i = 0; i < p->nnets; i++)
		if (in_net(a, &d->c.nets[p->nets[i]]))
			return 1;
	return 0;
}

static int in_globals(const dp_det *d, const uint8_t a[16])
{
	for (uint32_t i = 0; i < d->nglobals; i++)
		if (in_net(a, &d->c.nets[d->globals[i]]))
			return 1;
	return 0;
}

/*
 * The registered post whose network (longest prefix) holds a; -1 if none.
 * *known: a is in some post's configured network, registered post or not.
 */
static int32_t place_of(const dp_det *d, const uint8_t a[16], int *known)
{
	*known = 0;
	for (uint32_t l = 0; l < d->nlens; l++) {
		uint8_t key[16];
		unsigned prefix = d->lens[l];
		mask_addr(key, a, prefix);
		uint32_t s = (uint32_t)net_hash(key, prefix) & d->nixmask;
		while (d->nix[s].net) {
			if (d->nix[s].prefix == prefix && memcmp(d->nix[s].key, key, 16) == 0) {
				int cp = d->c.nets[d->nix[s].net - 1].post;
				int32_t p = d->netpost[cp];
				*known = 1;
				if (p >= 0)
					return p;
				break; /* that post is not registered: try a shorter prefix */
			}
			s = (s + 1) & d->nixmask;
		}
	}
	return -1;
}

/* ---- configuration copies ---- */

static int config_check(const dp_det_config *c)
{
	for (int i = 0; i < DP_P_COUNT; i++)
		if (c->p[i] < dp_det_params[i].min || c->p[i] > dp_det_params[i].max)
			return DP_EINVAL;
	if (c->p[DP_P_WORK_START] >= c->p[DP_P_WORK_END])
		return DP_EINVAL;
	for (int r = 0; r < DP_R_COUNT; r++)
		if (c->mode[r] < DP_DET_OFF || c->mode[r] > DP_DET_ENFORCE ||
		    c->action[r] < DP_DET_NONE || c->action[r] > DP_DET_SUSPEND)
			return DP_EINVAL;
	if (c->nnets > DP_DET_NETS_MAX || (c->nnets && !c->nets) ||
	    (c->nnet_posts && !c->net_posts) || c->nnet_posts > DP_DET_NETS_MAX)
		return DP_EINVAL;
	for (size_t i = 0; i < c->nnets; i++)
		if (c->nets[i].prefix > 128 || c->nets[i].post < -1 ||
		    (c->nets[i].post >= 0 && (size_t)c->nets[i].post >= c->nnet_posts))
			return DP_EINVAL;
	for (size_t j = 0; j < c->nnet_posts; j++)
		if (!memchr(c->net_posts[j], 0, DP_DET_NAME_MAX + 1))
			return DP_EINVAL;
	return DP_OK;
}

static int config_copy(dp_det_config *dst, const dp_det_config *src)
{
	*dst = *src;
	dst->nets = NULL;
	dst->net_posts = NULL;
	if (src->nnets) {
		dst->nets = malloc(src->nnets * sizeof *dst->nets);
		if (!dst->nets)
			return DP_ENOMEM;
		memcpy(dst->nets, src->nets, src->nnets * sizeof *dst->nets);
	}
	if (src->nnet_posts) {
		dst->net_posts = malloc(src->nnet_posts * sizeof *dst->net_posts);
		if (!dst->net_posts) {
			free(dst->nets);
			dst->nets = NULL;
			return DP_ENOMEM;
		}
		memcpy(dst->net_posts, src->net_posts, src->nnet_posts * sizeof *dst->net_posts);
	}
	for (size_t i = 0; i < dst->nnets; i++) /* host bits never matter */
		mask_addr(dst->nets[i].addr, dst->nets[i].addr, dst->nets[i].prefix);
	return DP_OK;
}

/* The ring of recent automatic suspensions, resized to suspend.max-hour (keeps the newest). */
static int susp_resize(dp_det *d)
{
	uint32_t cap = (uint32_t)d->c.p[DP_P_SUSPEND_MAX_HOUR];
	int64_t *n = calloc(cap ? cap : 1, sizeof *n);
	if (!n)
		return DP_ENOMEM;
	uint32_t keep = d->susp_n < cap ? d->susp_n : cap;
	for (uint32_t i = 0; i < keep; i++) {
		/* the i-th newest of the old ring */
		uint32_t j = (d->susp_pos + d->susp_cap - 1 - i) % (d->susp_cap ? d->susp_cap : 1);
		n[keep - 1 - i] = d->susp[j];
	}
	free(d->susp);
	d->susp = n;
	d->susp_cap = cap;
	d->susp_n = keep;
	d->susp_pos = cap ? keep % cap : 0;
	return DP_OK;
}

static int apply_config(dp_det *d, const dp_det_config *c)
{
	if (!c || config_check(c))
		return DP_EINVAL;
	dp_det_config nc;
	int r = config_copy(&nc, c);
	if (r)
		return r;
	dp_det_config old = d->c;
	d->c = nc;
	if ((r = nets_build(d)) || (r = susp_resize(d)))
		goto fail;
	for (uint32_t i = 0; i < d->nposts; i++)
		if ((r = post_nets(d, &d->posts[i])))
			goto fail;
	dp_det_config_free(&old);
	return DP_OK;
fail:
	dp_det_config_free(&d->c);
	d->c = old;
	/* rebuild from the old configuration; if even that fails, no network is known */
	if (nets_build(d) == DP_OK) {
		for (uint32_t i = 0; i < d->nposts; i++)
			(void)post_nets(d, &d->posts[i]);
	}
	return r;
}

int dp_det_new(dp_det **out, const dp_det_config *c, dp_det_alert_fn fn, void *ctx)
{
	if (!out)
		return DP_EINVAL;
	*out = NULL;
	dp_det *d = calloc(1, sizeof *d);
	if (!d)
		return DP_ENOMEM;
	d->fn = fn;
	d->ctx = ctx;
	dp_det_config_default(&d->c);
	int r = apply_config(d, c);
	if (r) {
		dp_det_free(d);
		return r;
	}
	*out = d;
	return DP_OK;
}

void dp_det_free(dp_det *d)
{
	if (!d)
		return;
	for (uint32_t i = 0; i < d->nposts; i++) {
		free(d->posts[i].officers);
		free(d->posts[i].nets);
		free(d->posts[i].sh);
		free(d->posts[i].sd);
	}
	free(d->posts);
	free(d->offs);
	free(d->devs);
	free(d->tposts.s);
	free(d->toffs.s);
	free(d->tdevs.s);
	free(d->netpost);
	free(d->globals);
	free(d->nix);
	free(d->susp);
	free(d->scratch);
	dp_det_config_free(&d->c);
	free(d);
}

int dp_det_reconfigure(dp_det *d, const dp_det_config *c)
{
	if (!d)
		return DP_EINVAL;
	return apply_config(d, c);
}

/* ---- registration ---- */

/* Names: 1..DP_DET_NAME_MAX printable ASCII bytes, no space. */
static int name_ok(const char *s)
{
	if (!s)
		return 0;
	size_t n = 0;
	for (; s[n]; n++)
		if (n >= DP_DET_NAME_MAX || (uint8_t)s[n] <= 0x20 || (uint8_t)s[n] >= 0x7f)
			return 0;
	return n > 0;
}

static int working(const device *v)
{
	return v->active && !v->esusp && !v->decoy;
}

int dp_det_post(dp_det *d, const char *name, int32_t utc_offset_s)
{
	if (!d || !name_ok(name) || utc_offset_s < -OFFSET_MAX_S || utc_offset_s > OFFSET_MAX_S)
		return DP_EINVAL;
	int32_t i = find_name(d, &d->tposts, T_POST, name);
	if (i >= 0) {
		d->posts[i].utc_off = utc_offset_s;
		return DP_OK;
	}
	int r = grow((void **)&d->posts, &d->capposts, d->nposts + 1, sizeof *d->posts);
	if (!r)
		r = tab_reserve(d, &d->tposts, T_POST);
	if (r)
		return r;
	post *p = &d->posts[d->nposts];
	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "%s", name);
	p->utc_off = utc_offset_s;
	p->snap_hour = INT64_MIN;
	if ((r = post_nets(d, p)))
		return r;
	tab_put(&d->tposts, name_hash(name), d->nposts);
	for (size_t j = 0; j < d->c.nnet_posts; j++)
		if (strcmp(d->c.net_posts[j], name) == 0)
			d->netpost[j] = (int32_t)d->nposts;
	d->nposts++;
	return DP_OK;
}

/* Room for one more officer in post p's lists and in the peer scratch. */
static int post_room(dp_det *d, post *p)
{
	if (p->nof < p->capof)
		return DP_OK;
	uint32_t cap = p->capof ? p->capof * 2 : 8;
	int32_t *o = realloc(p->officers, cap * sizeof *o);
	if (!o)
		return DP_ENOMEM;
	p->officers = o;
	double *sh = realloc(p->sh, cap * sizeof *sh);
	if (!sh)
		return DP_ENOMEM;
	p->sh = sh;
	double *sd = realloc(p->sd, cap * sizeof *sd);
	if (!sd)
		return DP_ENOMEM;
	p->sd = sd;
	p->capof = cap;
	if (d->scratch_cap < 2 * cap) {
		double *s = realloc(d->scratch, 2 * cap * sizeof *s);
		if (!s)
			return DP_ENOMEM;
		d->scratch = s;
		d->scratch_cap = 2 * cap;
	}
	return DP_OK;
}

static void post_drop_officer(post *p, int32_t oi)
{
	for (uint32_t i = 0; i < p->nof; i++)
		if (p->officers[i] == oi) {
			p->officers[i] = p->officers[--p->nof];
			break;
		}
	p->snap_hour = INT64_MIN; /* recompute the peers */
}

int dp_det_officer(dp_det *d, const char *handle, const char *postname)
{
	if (!d || !name_ok(handle) || !name_ok(postname))
		return DP_EINVAL;
	int32_t pi = find_name(d, &d->tposts, T_POST, postname);
	if (pi < 0)
		return DP_ENOTFOUND;
	int r = post_room(d, &d->posts[pi]);
	if (r)
		return r;
	int32_t oi = find_name(d, &d->toffs, T_OFF, handle);
	if (oi >= 0) {
		officer *o = &d->offs[oi];
		if (o->post == pi)
			return DP_OK;
		/* moved: its working devices now count for the new post */
		for (int32_t v = o->dev_first; v >= 0; v = d->devs[v].next)
			if (working(&d->devs[v])) {
				d->posts[o->post].working--;
				d->posts[pi].working++;
			}
		post_drop_officer(&d->posts[o->post], oi);
		o->post = pi;
		post *p = &d->posts[pi];
		p->officers[p->nof++] = oi;
		p->snap_hour = INT64_MIN;
		return DP_OK;
	}
	if ((r = grow((void **)&d->offs, &d->capoffs, d->noffs + 1, sizeof *d->offs)) ||
	    (r = tab_reserve(d, &d->toffs, T_OFF)))
		return r;
	officer *o = &d->offs[d->noffs];
	memset(o, 0, sizeof *o);
	snprintf(o->name, sizeof o->name, "%s", handle);
	o->post = pi;
	o->dev_first = -1;
	o->last_req = -1;
	o->cur_h = o->cur_d = INT64_MIN;
	o->clamp_h = o->clamp_d = UINT32_MAX;
	tab_put(&d->toffs, name_hash(handle), d->noffs);
	post *p = &d->posts[pi];
	p->officers[p->nof++] = (int32_t)d->noffs;
	p->snap_hour = INT64_MIN;
	d->noffs++;
	return DP_OK;
}

static void unlink_dev(dp_det *d, int32_t vi)
{
	officer *o = &d->offs[d->devs[vi].officer];
	int32_t *pp = &o->dev_first;
	while (*pp >= 0 && *pp != vi)
		pp = &d->devs[*pp].next;
	if (*pp == vi)
		*pp = d->devs[vi].next;
	d->devs[vi].next = -1;
}

static void set_working(dp_det *d, device *v, int was)
{
	int now = working(v);
	if (now != was)
		d->posts[d->offs[v->officer].post].working += now ? 1 : -1;
}

/*
 * What a device's kind changes in the rules (R21): the one place the engine
 * decides by kind, read by rule_deep and rule_enum.  A decoy device is judged
 * as a plain one here (its keys are the alarm: decoys, R10).
 */
static const struct kind_rules {
	int deep_param;   /* DEEP-ARCHIVE's allowance in the rolling hour */
	uint8_t deep_sig; /* a deep re-fetch within that allowance is a DEEP-READ signal */
	uint8_t paced;    /* ENUM-RANGE judges runs at a person's pace (enum.run-paced) */
	const char *note; /* added to the alerts that used these rules */
} kind_rules[] = {
	[DP_DET_DEV_PLAIN] = {DP_P_DEEP_MAX_HOUR, 1, 1, ""},
	[DP_DET_DEV_DECOY] = {DP_P_DEEP_MAX_HOUR, 1, 1, ""},
	/* the archive: review reads old cables, in MRN order, at a person's pace */
	[DP_DET_DEV_RECORDS] = {DP_P_DEEP_RECORDS_MAX_HOUR, 0, 0,
				" (a records device: the archive's reading allowance)"},
};

/* A dp_det_device kind as an index of kind_rules; an unknown one is plain. */
static uint8_t kind_of(int kind)
{
	return kind > 0 && (size_t)kind < sizeof kind_rules / sizeof *kind_rules ? (uint8_t)kind
										   : DP_DET_DEV_PLAIN;
}

int dp_det_device(dp_det *d, const uint8_t id[32], const char *officer_name, int active, int kind)
{
	if (!d || !id || !name_ok(officer_name))
		return DP_EINVAL;
	int32_t oi = find_name(d, &d->toffs, T_OFF, officer_name);
	if (oi < 0)
		return DP_ENOTFOUND;
	int32_t vi = find_dev(d, id);
	if (vi >= 0) {
		device *v = &d->devs[vi];
		int was = working(v);
		if (was)
			d->posts[d->offs[v->officer].post].working--;
		if (v->officer != oi) {
			unlink_dev(d, vi);
			v->officer = oi;
			v->next = d->offs[oi].dev_first;
			d->offs[oi].dev_first = vi;
		}
		v->active = active != 0;
		v->decoy = kind == DP_DET_DEV_DECOY;
		v->kind = kind_of(kind);
		if (v->active)
			v->esusp = 0; /* R11 */
		set_working(d, v, 0);
		return DP_OK;
	}
	int r = grow((void **)&d->devs, &d->capdevs, d->ndevs + 1, sizeof *d->devs);
	if (!r)
		r = tab_reserve(d, &d->tdevs, T_DEV);
	if (r)
		return r;
	device *v = &d->devs[d->ndevs];
	memset(v, 0, sizeof *v);
	memcpy(v->id, id, 32);
	v->officer = oi;
	v->next = d->offs[oi].dev_first;
	d->offs[oi].dev_first = (int32_t)d->ndevs;
	v->active = active != 0;
	v->decoy = kind == DP_DET_DEV_DECOY;
	v->kind = kind_of(kind);
	for (int i = 0; i < DP_R_COUNT; i++)
		v->fired[i] = -1;
	v->place = -1;
	v->esc_alert = -1;
	v->thr_rule = -1;
	set_working(d, v, 0);
	tab_put(&d->tdevs, id_hash(id), d->ndevs);
	d->ndevs++;
	return DP_OK;
}

int dp_det_device_status(dp_det *d, const uint8_t id[32], int active)
{
	if (!d || !id)
		return DP_EINVAL;
	int32_t vi = find_dev(d, id);
	if (vi < 0)
		return DP_ENOTFOUND;
	device *v = &d->devs[vi];
	int was = working(v);
	v->active = active != 0;
	if (v->active)
		v->esusp = 0; /* undo or lapse of an automatic suspension */
	set_working(d, v, was);
	return DP_OK;
}

int dp_det_unthrottle(dp_det *d, const uint8_t id[32])
{
	if (!d || !id)
		return DP_EINVAL;
	int32_t vi = find_dev(d, id);
	if (vi < 0)
		return DP_ENOTFOUND;
	device *v = &d->devs[vi];
	v->thr_until = 0;
	v->thr_refused = 0;
	return DP_OK;
}

int dp_det_throttle(dp_det *d, const uint8_t id[32], int rule, int64_t from_ms, int64_t until_ms)
{
	if (!d || !id || until_ms <= from_ms)
		return DP_EINVAL;
	int32_t vi = find_dev(d, id);
	if (vi < 0)
		return DP_ENOTFOUND;
	device *v = &d->devs[vi];
	if (v->thr_until <= from_ms) {
		/* a fresh bucket, counted from the step's start (R12) */
		v->thr_start = from_ms;
		v->thr_win = 0;
		v->thr_tokens = (int32_t)d->c.p[DP_P_THROTTLE_PER_MIN];
		v->thr_refused = 0;
	}
	if (until_ms > v->thr_until)
		v->thr_until = until_ms;
	v->thr_rule = rule >= 0 && rule < DP_R_COUNT ? rule : v->thr_rule;
	return DP_OK;
}

int64_t dp_det_throttled_until(const dp_det *d, const uint8_t id[32])
{
	if (!d || !id)
		return 0;
	int32_t vi = find_dev(d, id);
	if (vi < 0)
		return 0;
	const device *v = &d->devs[vi];
	return v->thr_until > d->now ? v->thr_until : 0;
}

void dp_det_get_stats(const dp_det *d, dp_det_stats *s)
{
	if (!s)
		return;
	if (!d) {
		memset(s, 0, sizeof *s);
		return;
	}
	*s = d->st;
}

/* ---- weak signals (R8) ---- */

static double sig_value(const dp_det *d, const device *v, int k, int64_t t)
{
	if (v->sig[k] <= 0)
		return 0;
	double h = (double)d->c.p[DP_P_RISK_HOURS] * (double)HOUR_MS;
	double f = 1.0 - (double)(t - v->sig_t[k]) / h;
	return f > 0 ? v->sig[k] * f : 0;
}

/* Points of kind k now, rounded to the nearest (what the score and the text use). */
static int64_t sig_points(const dp_det *d, const device *v, int k, int64_t t)
{
	return (int64_t)(sig_value(d, v, k, t) + 0.5);
}

static void add_signal(dp_det *d, device *v, int k, int64_t t)
{
	int64_t pts = d->c.p[signal_param[k]];
	if (pts <= 0)
		return;
	double cur = sig_value(d, v, k, t);
	if (cur < 0.5)
		v->sig_first[k] = t; /* the kind was out of the score: its evidence starts now */
	double nv = cur + (double)pts, cap = (double)d->c.p[DP_P_SIGNAL_CAP];
	v->sig[k] = nv < cap ? nv : cap;
	v->sig_t[k] = t;
}

static int64_t risk_now(const dp_det *d, const device *v, int64_t t, int *kinds)
{
	int64_t sum = 0;
	int n = 0;
	for (int k = 0; k < DP_S_COUNT; k++) {
		int64_t p = sig_points(d, v, k, t);
		if (p >= 1) {
			sum += p;
			n++;
		}
	}
	if (kinds)
		*kinds = n;
	return sum;
}

/* ---- alerts and actions ---- */

__attribute__((format(printf, 2, 3))) static void dappend(dp_det_alert *a, const char *fmt, ...)
{
	size_t n = strlen(a->detail);
	if (n + 1 >= sizeof a->detail)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->detail + n, sizeof a->detail - n, fmt, ap);
	va_end(ap);
}

struct ev {
	dp_det *d;
	const dp_det_event *e;
	int64_t t;
	int32_t vi;
	device *v;
	officer *o;
	post *p;
};

/* A new alert of rule for this event, or NULL if the rule is off or fired lately. */
static dp_det_alert *begin(struct ev *x, int rule, int64_t first_ms)
{
	dp_det *d = x->d;
	device *v = x->v;
	int mode = d->c.mode[rule];
	if (mode == DP_DET_OFF)
		return NULL;
	int64_t re = d->c.p[DP_P_REALERT_SECONDS] * 1000;
	if (v->fired[rule] >= 0 && x->t - v->fired[rule] < re)
		return NULL;
	if (d->nal >= (int)(sizeof d->al / sizeof d->al[0]))
		return NULL; /* cannot happen: one alert per rule and one escalation */
	v->fired[rule] = x->t;
	dp_det_alert *a = &d->al[d->nal++];
	memset(a, 0, sizeof *a);
	a->rule = rule;
	a->t_ms = x->t;
	a->first_ms = first_ms >= 0 && first_ms <= x->t ? first_ms : x->t;
	memcpy(a->device, v->id, 32);
	snprintf(a->officer, sizeof a->officer, "%s", x->o->name);
	snprintf(a->post, sizeof a->post, "%s", x->p->name);
	memcpy(a->addr, x->e->addr, 16);
	a->severity = rule_severity[rule];
	a->mode = mode;
	a->page = mode == DP_DET_ENFORCE;
	a->would = d->c.action[rule];
	a->action = DP_DET_NONE;
	return a;
}

static void start_throttle(dp_det *d, device *v, int rule, int64_t t)
{
	if (v->thr_until <= t) {
		v->thr_start = t;
		v->thr_win = 0;
		v->thr_tokens = (int32_t)d->c.p[DP_P_THROTTLE_PER_MIN];
		v->thr_refused = 0;
		d->st.throttles++;
	}
	v->thr_until = t + d->c.p[DP_P_THROTTLE_SECONDS] * 1000;
	v->thr_rule = rule;
}

/* The safeguards (R13); DP_DET_WH_NONE if the suspension may go ahead. */
static int safeguard(dp_det *d, const struct ev *x)
{
	if (working(x->v) && x->p->working <= 1)
		return DP_DET_WH_LAST_DEVICE;
	if (d->susp_cap == 0)
		return DP_DET_WH_CAP;
	if (d->susp_n == d->susp_cap && d->susp[d->susp_pos] > x->t - HOUR_MS)
		return DP_DET_WH_CAP;
	return DP_DET_WH_NONE;
}

static void do_suspend(dp_det *d, struct ev *x)
{
	int was = working(x->v);
	x->v->esusp = 1;
	set_working(d, x->v, was);
	d->susp[d->susp_pos] = x->t;
	d->susp_pos = (d->susp_pos + 1) % d->susp_cap;
	if (d->susp_n < d->susp_cap)
		d->susp_n++;
	d->st.suspensions++;
}

/* Suspends (or, withheld, throttles) for alert a; appends what happened. */
static void act_suspend(struct ev *x, dp_det_alert *a)
{
	dp_det *d = x->d;
	int wh = safeguard(d, x);
	if (wh == DP_DET_WH_NONE) {
		do_suspend(d, x);
		a->action = DP_DET_SUSPEND;
		dappend(a, "; device suspended (time box suspend.seconds=%lld)",
			(long long)d->c.p[DP_P_SUSPEND_SECONDS]);
		return;
	}
	a->withheld = wh;
	a->page = 1;
	a->action = DP_DET_THROTTLE;
	d->st.withheld++;
	start_throttle(d, x->v, a->rule, x->t);
	if (wh == DP_DET_WH_LAST_DEVICE)
		dappend(a, "; suspension withheld: last working device of post %s", x->p->name);
	else
		dappend(a,
			"; suspension withheld: %lld automatic suspensions in the last hour "
			"(suspend.max-hour=%lld)",
			(long long)d->susp_n, (long long)d->c.p[DP_P_SUSPEND_MAX_HOUR]);
	dappend(a, "; throttled instead to %lld fetches/min for %lld s",
		(long long)d->c.p[DP_P_THROTTLE_PER_MIN], (long long)d->c.p[DP_P_THROTTLE_SECONDS]);
}

/* Takes the alert's action (enforced rules) and counts it. */
static void finish(struct ev *x, dp_det_alert *a)
{
	dp_det *d = x->d;
	device *v = x->v;
	int blocked = v->esusp || !v->active;
	if (a->mode != DP_DET_ENFORCE) {
		dappend(a, "; report-only: would %s", action_names[a->would]);
	} else if (a->would != DP_DET_NONE && blocked) {
		dappend(a, "; device already suspended");
	} else if (a->would == DP_DET_SUSPEND) {
		act_suspend(x, a);
	} else if (a->would == DP_DET_THROTTLE) {
		start_throttle(d, v, a->rule, x->t);
		a->action = DP_DET_THROTTLE;
		dappend(a, "; throttled to %lld fetches/min for %lld s",
			(long long)d->c.p[DP_P_THROTTLE_PER_MIN],
			(long long)d->c.p[DP_P_THROTTLE_SECONDS]);
	}
	d->st.alerts++;
	d->st.alerts_by_rule[a->rule]++;
	if (a->page)
		d->st.pages++;
}

/* ---- the rules ---- */

static void rule_decoy(struct ev *x, const char *what)
{
	dp_det_alert *a = begin(x, DP_R_DECOY, x->t);
	if (!a)
		return;
	snprintf(a->detail, sizeof a->detail, "%s", what);
	finish(x, a);
}

static void hex8(char out[17], const uint8_t id[32])
{
	static const char hx[] = "0123456789abcdef";
	for (int i = 0; i < 8; i++) {
		out[2 * i] = hx[id[i] >> 4];
		out[2 * i + 1] = hx[id[i] & 15];
	}
	out[16] = 0;
}

/* The decoy touches of this event (R10); 1 if any. */
static int decoy_check(struct ev *x)
{
	const dp_det_event *e = x->e;
	char what[160], h[17];
	int hit = 0;
	if (e->kind == DP_DET_FETCH && e->decoy) {
		snprintf(what, sizeof what, "fetch of decoy cable seq %lld (%s)",
			 (long long)e->cable_seq, e->refetch ? "a re-fetch" : "a first fetch");
		hit = 1;
	} else if (e->kind == DP_DET_NOT_ADDRESSED && e->decoy) {
		snprintf(what, sizeof what, "request for decoy cable seq %lld (not addressed to "
					    "the device)",
			 (long long)e->cable_seq);
		hit = 1;
	} else if (e->kind == DP_DET_KEYREQ) {
		int32_t s = find_dev(x->d, e->subject);
		if (s >= 0 && x->d->devs[s].decoy) {
			hex8(h, e->subject);
			snprintf(what, sizeof what, "key request for decoy device %s... (officer %s)",
				 h, x->d->offs[x->d->devs[s].officer].name);
			hit = 1;
		}
	}
	/*
	 * A decoy device's own requests are the security office planting and
	 * reading its decoys (denpo send --decoy): not an alarm, and its key
	 * requests for decoy devices neither.
	 */
	if (hit && x->v->decoy && e->kind == DP_DET_KEYREQ)
		hit = 0;
	if (hit)
		rule_decoy(x, what);
	return hit;
}

/* NETWORK (R9): an address in none of the ministry's networks. */
static void rule_network(struct ev *x, int known)
{
	if (x->p->nnets == 0 || known)
		return;
	dp_det_alert *a = begin(x, DP_R_NETWORK, x->t);
	if (!a)
		return;
	char at[INET6_ADDRSTRLEN + 8];
	addr_text(x->e->addr, at, sizeof at);
	snprintf(a->detail, sizeof a->detail,
		 "request from %s, in none of the %u networks registered for post %s, nor another "
		 "post's, nor a global one",
		 at, x->p->nnets, x->p->name);
	finish(x, a);
}

static int seen_place(device *v, int32_t place)
{
	for (uint32_t i = 0; i < v->nseen && i < PLACES; i++)
		if (v->seen[i] == place)
			return 1;
	v->seen[v->nseen % PLACES] = place;
	v->nseen++;
	if (v->nseen >= 2 * PLACES)
		v->nseen -= PLACES; /* keeps the ring position without overflowing */
	return 0;
}

/* Where the request came from (R9): NETWORK, TWO-PLACES, NEW-PLACE. */
static int place_check(struct ev *x)
{
	dp_det *d = x->d;
	device *v = x->v;
	const uint8_t *a = x->e->addr;
	if (addr_zero(a))
		return 0;
	int known = 1;
	int32_t place = in_post_nets(d, x->p, a) ? x->o->post : place_of(d, a, &known);
	if (!known && in_globals(d, a))
		known = 1;
	rule_network(x, known);
	if (place < 0)
		return 0;
	int sig = 0;
	if (v->place >= 0 && v->place != place &&
	    x->t - v->place_ms <= d->c.p[DP_P_TWO_PLACES_SECONDS] * 1000) {
		dp_det_alert *al = begin(x, DP_R_TWO_PLACES, v->place_ms);
		if (al) {
			char at[INET6_ADDRSTRLEN + 8];
			addr_text(a, at, sizeof at);
			int64_t ms = x->t - v->place_ms;
			snprintf(al->detail, sizeof al->detail,
				 "seen from a network of post %s (%s) %lld.%03lld s after one of post "
				 "%s; limit two-places.seconds=%lld",
				 d->posts[place].name, at, (long long)(ms / 1000),
				 (long long)(ms % 1000), d->posts[v->place].name,
				 (long long)d->c.p[DP_P_TWO_PLACES_SECONDS]);
			finish(x, al);
		}
	}
	v->place = place;
	v->place_ms = x->t;
	if (place != x->o->post && !seen_place(v, place)) {
		add_signal(d, v, DP_S_NEW_PLACE, x->t);
		sig = 1;
	}
	return sig;
}

/* One completed period's count into an EWMA of mean and variance (lambda 0.1). */
static void ewma(double *mu, double *var, uint32_t *n, uint32_t cnt, uint32_t clamp)
{
	const double lambda = 0.1;
	double xv = cnt < clamp ? cnt : clamp;
	if (*n == 0) {
		*mu = xv;
		*var = 0;
	} else {
		double diff = xv - *mu, inc = lambda * diff;
		*mu += inc;
		*var = (1 - lambda) * (*var + diff * inc);
	}
	if (*n < UINT32_MAX)
		(*n)++;
}

/* Folds the completed active hour (UTC) and day (post-local) into the baselines (R5). */
static void fold(officer *o, const post *p, int64_t t)
{
	int64_t h = floordiv(t, HOUR_MS);
	if (h != o->cur_h) {
		if (o->act_h)
			ewma(&o->mu_h, &o->var_h, &o->n_h, o->cnt_h, o->clamp_h);
		o->cur_h = h;
		o->cnt_h = 0;
		o->act_h = 0;
		o->clamp_h = UINT32_MAX;
	}
	int64_t dd = floordiv(t + (int64_t)p->utc_off * 1000, DAY_MS);
	if (dd != o->cur_d) {
		if (o->act_d)
			ewma(&o->mu_d, &o->var_d, &o->n_d, o->cnt_d, o->clamp_d);
		o->cur_d = dd;
		o->cnt_d = 0;
		o->act_d = 0;
		o->clamp_d = UINT32_MAX;
	}
}

static void clamp_at(uint32_t *clamp, double thr)
{
	uint32_t c = thr >= (double)UINT32_MAX ? UINT32_MAX : (uint32_t)thr;
	if (c < *clamp)
		*clamp = c;
}

/* In-place heapsort: glibc's qsort may allocate, and nothing is allocated per event. */
static void sort_doubles(double *v, uint32_t n)
{
	for (uint32_t end = n, start = n / 2;;) {
		uint32_t root;
		if (start > 0) {
			root = --start;
		} else {
			if (end <= 1)
				return;
			double tmp = v[--end];
			v[end] = v[0];
			v[0] = tmp;
			root = 0;
		}
		for (uint32_t child; (child = 2 * root + 1) < end; root = child) {
			if (child + 1 < end && v[child + 1] > v[child])
				child++;
			if (!(v[child] > v[root]))
				break;
			double tmp = v[root];
			v[root] = v[child];
			v[child] = tmp;
		}
	}
}

/* Median of n sorted values. */
static double median_sorted(const double *v, uint32_t n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Median and MAD of sorted v[0..n) without one element equal to skip (if have_skip). */
static void med_mad(dp_det *d, const double *v, uint32_t n, int have_skip, double skip,
		    double *med, double *mad)
{
	double *a = d->scratch, *dev = d->scratch + d->scratch_cap / 2;
	uint32_t k = 0;
	int skipped = !have_skip;
	for (uint32_t i = 0; i < n; i++) {
		if (!skipped && v[i] == skip) {
			skipped = 1;
			continue;
		}
		a[k++] = v[i];
	}
	*med = median_sorted(a, k);
	for (uint32_t i = 0; i < k; i++)
		dev[i] = a[i] > *med ? a[i] - *med : *med - a[i];
	sort_doubles(dev, k);
	*mad = median_sorted(dev, k);
}

/* Brings the post's snapshot and this officer's peer figures up to date (R6). */
static void peers(dp_det *d, officer *o, post *p, int64_t t)
{
	int64_t h = floordiv(t, HOUR_MS);
	if (p->snap_hour != h) {
		uint32_t k = 0;
		d->gen++;
		for (uint32_t i = 0; i < p->nof; i++) {
			officer *q = &d->offs[p->officers[i]];
			if (q->n_d == 0)
				continue;
			p->sh[k] = q->mu_h;
			p->sd[k] = q->mu_d;
			q->snap_gen = d->gen;
			q->snap_h = q->mu_h;
			q->snap_d = q->mu_d;
			k++;
		}
		sort_doubles(p->sh, k);
		sort_doubles(p->sd, k);
		p->nsnap = k;
		p->gen = d->gen;
		p->snap_hour = h;
	}
	if (o->peer_gen == p->gen)
		return;
	o->peer_gen = p->gen;
	int self = o->snap_gen == p->gen;
	o->peer_n = p->nsnap - (self ? 1 : 0);
	if (o->peer_n == 0)
		return;
	med_mad(d, p->sh, p->nsnap, self, o->snap_h, &o->pmed_h, &o->pmad_h);
	med_mad(d, p->sd, p->nsnap, self, o->snap_d, &o->pmed_d, &o->pmad_d);
}

static void rule_bulk(struct ev *x)
{
	dp_det *d = x->d;
	officer *o = x->o;
	const int64_t *P = d->c.p;
	/* BULK-CAP (R3): every distinct fetch but deliveries */
	uint32_t ch = o->cap_h.sum, cd = o->cap_d.sum;
	int hour = ch > P[DP_P_BULK_CAP_HOUR];
	if (hour || cd > P[DP_P_BULK_CAP_DAY]) {
		clamp_at(hour ? &o->clamp_h : &o->clamp_d,
			 (double)P[hour ? DP_P_BULK_CAP_HOUR : DP_P_BULK_CAP_DAY]);
		dp_det_alert *a = begin(x, DP_R_BULK_CAP,
					hour ? ring_first(RV(&o->cap_h, MIN_MS))
					     : ring_first(RV(&o->cap_d, HOUR_MS)));
		if (a) {
			snprintf(a->detail, sizeof a->detail,
				 "%u cables fetched in the last %s; hard cap %s=%lld", hour ? ch : cd,
				 hour ? "hour" : "day", hour ? "bulk.cap-hour" : "bulk.cap-day",
				 (long long)P[hour ? DP_P_BULK_CAP_HOUR : DP_P_BULK_CAP_DAY]);
			finish(x, a);
		}
	}
	/* the same measure against the baselines (R4) */
	uint32_t bh = ch, bd = cd;
	int64_t fh = P[DP_P_BULK_FLOOR_HOUR], fd = P[DP_P_BULK_FLOOR_DAY];
	if (bh <= fh && bd <= fd)
		return;
	double floor_h = (double)fh, floor_d = (double)fd;
	if (o->n_d >= (uint64_t)P[DP_P_BULK_WARMUP_DAYS]) {
		/* BULK-BASELINE */
		double k = (double)P[DP_P_BULK_K10] / 10.0;
		double sh = o->var_h > 0 ? sqrt(o->var_h) : 0, sd = o->var_d > 0 ? sqrt(o->var_d) : 0;
		double th = o->mu_h + k * sh, td = o->mu_d + k * sd;
		double thr_h = th > floor_h ? th : floor_h, thr_d = td > floor_d ? td : floor_d;
		int hh = bh > thr_h;
		if (!hh && !(bd > thr_d))
			return;
		clamp_at(hh ? &o->clamp_h : &o->clamp_d, hh ? thr_h : thr_d);
		dp_det_alert *a = begin(x, DP_R_BULK_BASELINE,
					hh ? ring_first(RV(&o->cap_h, MIN_MS))
					   : ring_first(RV(&o->cap_d, HOUR_MS)));
		if (!a)
			return;
		snprintf(a->detail, sizeof a->detail,
			 "%u cables in the last %s; own baseline %.1f +/- %.1f per active %s (%u "
			 "days of history), threshold max(%lld, %.1f+%.1f*%.1f)=%.1f",
			 hh ? bh : bd, hh ? "hour" : "day", hh ? o->mu_h : o->mu_d, hh ? sh : sd,
			 hh ? "hour" : "day", o->n_d, (long long)(hh ? fh : fd),
			 hh ? o->mu_h : o->mu_d, k, hh ? sh : sd, hh ? thr_h : thr_d);
		finish(x, a);
		return;
	}
	/* BULK-PEER, the warm-up rule (R6) */
	peers(d, o, x->p, x->t);
	if (o->peer_n < (uint64_t)P[DP_P_PEER_MIN_OFFICERS])
		return;
	double k = (double)P[DP_P_PEER_K10] / 10.0;
	double mh = o->pmad_h > 1 ? o->pmad_h : 1, md = o->pmad_d > 1 ? o->pmad_d : 1;
	double th = o->pmed_h + k * mh, td = o->pmed_d + k * md;
	double thr_h = th > floor_h ? th : floor_h, thr_d = td > floor_d ? td : floor_d;
	int hh = bh > thr_h;
	if (!hh && !(bd > thr_d))
		return;
	clamp_at(hh ? &o->clamp_h : &o->clamp_d, hh ? thr_h : thr_d);
	dp_det_alert *a = begin(x, DP_R_BULK_PEER,
				hh ? ring_first(RV(&o->cap_h, MIN_MS)) : ring_first(RV(&o->cap_d, HOUR_MS)));
	if (!a)
		return;
	snprintf(a->detail, sizeof a->detail,
		 "%u cables in the last %s; peers: %u other officers of post %s, median %.1f, MAD "
		 "%.1f per active %s, threshold max(%lld, %.1f+%.1f*%.1f)=%.1f; own history %u of "
		 "bulk.warmup-days=%lld days",
		 hh ? bh : bd, hh ? "hour" : "day", o->peer_n, x->p->name,
		 hh ? o->pmed_h : o->pmed_d, hh ? o->pmad_h : o->pmad_d, hh ? "hour" : "day",
		 (long long)(hh ? fh : fd), hh ? o->pmed_h : o->pmed_d, k, hh ? mh : md,
		 hh ? thr_h : thr_d, o->n_d, (long long)P[DP_P_BULK_WARMUP_DAYS]);
	finish(x, a);
}

/* ODD-HOUR: an hour of the week the officer hardly uses, post-local. */
static int odd_hour(const dp_det *d, officer *o, const post *p, int64_t t)
{
	int64_t local = t + (int64_t)p->utc_off * 1000;
	int64_t day = floordiv(local, DAY_MS);
	int hour = (int)(floormod(local, DAY_MS) / HOUR_MS);
	int dow = (int)floormod(day + 4, 7); /* 1970-01-01 was a Thursday; 0 = Sunday */
	int how = dow * 24 + hour;
	int odd;
	if (o->hist_total >= 200)
		odd = (uint64_t)o->hist[how] * 100 < o->hist_total;
	else
		odd = hour < d->c.p[DP_P_WORK_START] || hour >= d->c.p[DP_P_WORK_END] || dow == 0 ||
		      dow == 6;
	if (o->hist_total < UINT32_MAX) {
		o->hist[how]++;
		o->hist_total++;
	}
	return odd;
}

/*
 * R2: 1 if the officer fetched no cable seq in the last 24 hours (and
 * remembers this one), 0 if they did.  A cable lives in one of the
 * RECENT_PROBES slots after its hash; a slot older than a day is free.
 */
static int distinct(officer *o, int64_t seq, int64_t t)
{
	const uint64_t hmask = (UINT64_C(1) << 20) - 1;
	uint64_t h = mix64((uint64_t)seq ^ UINT64_C(0x6a09e667f3bcc909));
	uint64_t fp = (h >> 20) | 1, hour = (uint64_t)floordiv(t, HOUR_MS) & hmask;
	uint32_t base = (uint32_t)h & (RECENT - 1), victim = base;
	uint64_t victim_age = 0;
	for (uint32_t i = 0; i < RECENT_PROBES; i++) {
		uint32_t s = (base + i) & (RECENT - 1);
		uint64_t e = o->recent[s];
		uint64_t age = e ? (hour - (e & hmask)) & hmask : UINT64_MAX;
		if (e && (e >> 20) == fp && age < 24)
			return 0;
		if (age >= 24 && age > victim_age) { /* empty or a day old: free */
			victim = s;
			victim_age = age;
		} else if (victim_age < 24 && age > victim_age) {
			victim = s; /* none free yet: the oldest goes */
			victim_age = age;
		}
	}
	o->recent[victim] = fp << 20 | hour;
	return 1;
}

#define ENUM_IDLE_MS (30 * 60 * 1000LL)

static void rule_enum(struct ev *x)
{
	device *v = x->v;
	int64_t seq = x->e->cable_seq;
	int64_t gap = x->d->c.p[DP_P_SPEED_GAP_MS];
	if (v->en_run == 0 || x->t - v->en_last_ms > ENUM_IDLE_MS) {
		/* a pause of half an hour ends a run: two re-syncs days apart are not one sweep */
		v->en_run = 1;
		v->en_fast = 0;
		v->en_first_seq = seq;
		v->en_first_ms = x->t;
		v->en_dir = 0;
	} else if (seq == v->en_last_seq) {
		return; /* a retry of the same cable: neither extends nor breaks (R7) */
	} else {
		int dir = seq > v->en_last_seq ? 1 : -1;
		int fast = x->t - v->en_last_ms < gap;
		if (v->en_dir == 0 || v->en_dir == dir) {
			if (v->en_run < UINT32_MAX)
				v->en_run++;
			v->en_fast += fast;
		} else {
			v->en_run = 2;
			v->en_fast = fast;
			v->en_first_seq = v->en_last_seq;
			v->en_first_ms = v->en_last_ms;
		}
		v->en_dir = dir;
	}
	v->en_last_seq = seq;
	v->en_last_ms = x->t;
	/*
	 * A client re-sync re-fetches in order at machine speed, a person
	 * re-reading picks cables in no order: an ordered run at human pace
	 * (no step faster than speed.gap-ms) is a person sweeping, and pages
	 * sooner (enum.run-paced) than a machine-speed one (enum.run).  Not on
	 * a records device (R21): its paced ordered run is a review in MRN
	 * order, left to DEEP-ARCHIVE's allowance and the bulk rules.
	 */
	int64_t need = x->d->c.p[DP_P_ENUM_RUN];
	int64_t paced = x->d->c.p[DP_P_ENUM_RUN_PACED];
	int person = v->en_fast == 0;
	if (person && !kind_rules[v->kind].paced)
		return;
	if (v->en_run < need && !(person && v->en_run >= paced))
		return;
	dp_det_alert *a = begin(x, DP_R_ENUM_RANGE, v->en_first_ms);
	if (!a)
		return;
	int64_t ms = x->t - v->en_first_ms;
	snprintf(a->detail, sizeof a->detail,
		 "%u re-fetches in a row in %s acceptance order (seq %lld to %lld) over %lld.%03lld "
		 "s; %s=%lld",
		 v->en_run, v->en_dir > 0 ? "increasing" : "decreasing", (long long)v->en_first_seq,
		 (long long)seq, (long long)(ms / 1000), (long long)(ms % 1000),
		 v->en_run < need ? "at human pace, enum.run-paced" : "enum.run",
		 (long long)(v->en_run < need ? paced : need));
	finish(x, a);
}

static void rule_speed(struct ev *x)
{
	device *v = x->v;
	int64_t gap = x->d->c.p[DP_P_SPEED_GAP_MS];
	if (v->sp_run > 0 && x->t - v->sp_last_ms < gap) {
		if (v->sp_run < UINT32_MAX)
			v->sp_run++;
	} else {
		v->sp_run = 1;
		v->sp_first_ms = x->t;
	}
	v->sp_last_ms = x->t;
	int64_t need = x->d->c.p[DP_P_SPEED_RUN];
	if (v->sp_run < need)
		return;
	dp_det_alert *a = begin(x, DP_R_MACHINE_SPEED, v->sp_first_ms);
	if (!a)
		return;
	int64_t ms = x->t - v->sp_first_ms;
	snprintf(a->detail, sizeof a->detail,
		 "%u re-fetches in a row, each less than speed.gap-ms=%lld ms after the one "
		 "before (%lld.%03lld s in all); speed.run=%lld",
		 v->sp_run, (long long)gap, (long long)(ms / 1000), (long long)(ms % 1000),
		 (long long)need);
	finish(x, a);
}

/*
 * DEEP-ARCHIVE (R21): a re-fetch of a cable accepted more than deep.days
 * ago, age_s seconds old.  1 if it was a DEEP-READ weak signal.
 */
static int rule_deep(struct ev *x, int64_t age_s)
{
	dp_det *d = x->d;
	device *v = x->v;
	const struct kind_rules *k = &kind_rules[v->kind];
	int pid = k->deep_param;
	int64_t allowed = d->c.p[pid];
	ring_add(RV(&v->deep, MIN_MS), x->t);
	int over = v->deep.sum > allowed;
	int sig = k->deep_sig || over; /* the archive's work, within its allowance, is no signal */
	if (sig)
		add_signal(d, v, DP_S_DEEP_READ, x->t);
	if (!over)
		return sig;
	dp_det_alert *a = begin(x, DP_R_DEEP_ARCHIVE, ring_first(RV(&v->deep, MIN_MS)));
	if (a) {
		snprintf(a->detail, sizeof a->detail,
			 "%u re-fetches in the last hour of cables accepted more than deep.days=%lld "
			 "days ago (this one: seq %lld, %lld days old); %s=%lld%s",
			 v->deep.sum, (long long)d->c.p[DP_P_DEEP_DAYS], (long long)x->e->cable_seq,
			 (long long)(age_s / 86400), dp_det_params[pid].name, (long long)allowed,
			 k->note);
		finish(x, a);
	}
	return sig;
}

/*
 * A search (R22): a records device decrypting e->copies record copies at
 * once.  The bulk rules count them as that many cables (the switch checked
 * and logged each, and counted them; the engine is told how many, not
 * which); nothing else.
 */
static void on_search(struct ev *x)
{
	officer *o = x->o;
	int64_t n = x->e->copies < 0 ? 0 : x->e->copies > DP_DET_COPIES_MAX ? DP_DET_COPIES_MAX
									   : x->e->copies;
	fold(o, x->p, x->t);
	o->act_h = o->act_d = 1;
	ring_addn(RV(&o->cap_h, MIN_MS), x->t, (uint32_t)n);
	ring_addn(RV(&o->cap_d, HOUR_MS), x->t, (uint32_t)n);
	o->cnt_h = o->cnt_h > UINT32_MAX - (uint32_t)n ? UINT32_MAX : o->cnt_h + (uint32_t)n;
	o->cnt_d = o->cnt_d > UINT32_MAX - (uint32_t)n ? UINT32_MAX : o->cnt_d + (uint32_t)n;
	if (n)
		rule_bulk(x);
}

/* R19: the first fetch of a cable queued for the device. */
static int delivery(const dp_det_event *e)
{
	return e->kind == DP_DET_FETCH && e->queued && !e->refetch && !e->decoy;
}

/* A fetch: counts, baselines, odd hour, deep archive, runs; the fetch rules. */
static int on_fetch(struct ev *x)
{
	dp_det *d = x->d;
	const dp_det_event *e = x->e;
	officer *o = x->o;
	device *v = x->v;
	int sig = 0;
	int64_t acc = e->cable_accepted < 0 ? 0 : e->cable_accepted > T_MAX_S ? T_MAX_S
										: e->cable_accepted;
	int64_t age_s = x->t / 1000 - acc;
	fold(o, x->p, x->t);
	o->act_h = o->act_d = 1;
	int dl = delivery(e);
	d->st.deliveries += (uint64_t)dl;
	/* a delivery is not bulk, nor remembered as fetched (R2, R19) */
	int counted = !dl && distinct(o, e->cable_seq, x->t);
	if (counted) {
		ring_add(RV(&o->cap_h, MIN_MS), x->t);
		ring_add(RV(&o->cap_d, HOUR_MS), x->t);
		if (o->cnt_h < UINT32_MAX)
			o->cnt_h++;
		if (o->cnt_d < UINT32_MAX)
			o->cnt_d++;
	} else {
		ring_advance(RV(&o->cap_h, MIN_MS), x->t);
		ring_advance(RV(&o->cap_d, HOUR_MS), x->t);
	}
	if (odd_hour(d, o, x->p, x->t)) {
		add_signal(d, v, DP_S_ODD_HOUR, x->t);
		sig = 1;
	}
	if (counted)
		rule_bulk(x);
	if (!e->refetch)
		return sig;
	if (age_s > d->c.p[DP_P_DEEP_DAYS] * 86400)
		sig |= rule_deep(x, age_s);
	rule_enum(x);
	rule_speed(x);
	return sig;
}

static void on_not_addressed(struct ev *x)
{
	device *v = x->v;
	ring_add(RV(&v->na, MIN_MS), x->t);
	int64_t max = x->d->c.p[DP_P_NOT_ADDRESSED_MAX];
	if (v->na.sum <= max)
		return;
	dp_det_alert *a = begin(x, DP_R_NOT_ADDRESSED, ring_first(RV(&v->na, MIN_MS)));
	if (!a)
		return;
	snprintf(a->detail, sizeof a->detail,
		 "%u requests in the last 10 minutes for cables not addressed to the device (this "
		 "one: seq %lld); not-addressed.max=%lld",
		 v->na.sum, (long long)x->e->cable_seq, (long long)max);
	finish(x, a);
}

static void rule_risk(struct ev *x)
{
	dp_det *d = x->d;
	int kinds;
	int64_t risk = risk_now(d, x->v, x->t, &kinds);
	if (risk < d->c.p[DP_P_RISK_PAGE] || kinds < 2)
		return;
	int64_t first = x->t;
	for (int k = 0; k < DP_S_COUNT; k++)
		if (sig_points(d, x->v, k, x->t) >= 1 && x->v->sig_first[k] < first)
			first = x->v->sig_first[k];
	dp_det_alert *a = begin(x, DP_R_RISK, first);
	if (!a)
		return;
	snprintf(a->detail, sizeof a->detail, "risk %lld >= risk.page=%lld from %d kinds of signal:",
		 (long long)risk, (long long)d->c.p[DP_P_RISK_PAGE], kinds);
	const char *sep = " ";
	for (int k = 0; k < DP_S_COUNT; k++) {
		int64_t p = sig_points(d, x->v, k, x->t);
		if (p >= 1) {
			dappend(a, "%s%s %lld", sep, signal_names[k], (long long)p);
			sep = ", ";
		}
	}
	dappend(a, " (each kind capped at signal.cap=%lld, decaying to 0 over risk.hours=%lld)",
		(long long)d->c.p[DP_P_SIGNAL_CAP], (long long)d->c.p[DP_P_RISK_HOURS]);
	finish(x, a);
}

/* A throttled device refused throttle.escalate times: the throttling alert again, suspending. */
static void escalate(struct ev *x)
{
	dp_det *d = x->d;
	device *v = x->v;
	int rule = v->thr_rule >= 0 && v->thr_rule < DP_R_COUNT ? v->thr_rule : DP_R_RISK;
	int64_t refused = v->thr_refused;
	int wh = safeguard(d, x);
	if (wh != DP_DET_WH_NONE) {
		v->thr_refused = 0; /* try again after as many refusals (R12) */
		int64_t re = d->c.p[DP_P_REALERT_SECONDS] * 1000;
		if (v->esc_alert >= 0 && x->t - v->esc_alert < re) {
			d->st.withheld++;
			start_throttle(d, v, rule, x->t);
			return;
		}
	}
	if (d->nal >= (int)(sizeof d->al / sizeof d->al[0]))
		return;
	v->esc_alert = x->t;
	dp_det_alert *a = &d->al[d->nal++];
	memset(a, 0, sizeof *a);
	a->rule = rule;
	a->t_ms = x->t;
	a->first_ms = v->thr_start <= x->t ? v->thr_start : x->t;
	memcpy(a->device, v->id, 32);
	snprintf(a->officer, sizeof a->officer, "%s", x->o->name);
	snprintf(a->post, sizeof a->post, "%s", x->p->name);
	memcpy(a->addr, x->e->addr, 16);
	a->severity = rule_severity[rule] > 73 ? rule_severity[rule] : 73;
	a->mode = DP_DET_ENFORCE;
	a->page = 1;
	a->would = DP_DET_SUSPEND;
	snprintf(a->detail, sizeof a->detail,
		 "throttled device (by %s) refused %lld times since the throttle began; "
		 "throttle.escalate=%lld: escalated to suspension",
		 rule_names[rule], (long long)refused, (long long)d->c.p[DP_P_THROTTLE_ESCALATE]);
	act_suspend(x, a);
	if (a->action == DP_DET_SUSPEND)
		v->thr_refused = 0;
	d->st.alerts++;
	d->st.alerts_by_rule[rule]++;
	d->st.pages++;
}

/* The token bucket (R12): per-min tokens, refilled whole each minute of the throttle. */
static int throttle_verdict(struct ev *x)
{
	dp_det *d = x->d;
	device *v = x->v;
	if (v->thr_until == 0)
		return DP_DET_ALLOW;
	if (v->thr_until <= x->t) {
		v->thr_until = 0; /* expired */
		v->thr_refused = 0;
		return DP_DET_ALLOW;
	}
	if (x->e->kind != DP_DET_FETCH && x->e->kind != DP_DET_SEARCH)
		return DP_DET_ALLOW; /* R22: a search is a read: one token, as a fetch */
	if (x->e->flash && delivery(x->e)) {
		d->st.flash_passed++; /* R20: never held back, no token, no refusal */
		return DP_DET_ALLOW;
	}
	int64_t w = (x->t - v->thr_start) / MIN_MS;
	if (w != v->thr_win) {
		v->thr_win = w;
		v->thr_tokens = (int32_t)d->c.p[DP_P_THROTTLE_PER_MIN];
	}
	if (v->thr_tokens > 0) {
		v->thr_tokens--;
		return DP_DET_ALLOW;
	}
	if (v->thr_refused < INT32_MAX)
		v->thr_refused++;
	if (v->thr_refused >= d->c.p[DP_P_THROTTLE_ESCALATE])
		escalate(x);
	if (v->esusp) {
		d->st.blocked_requests++;
		return DP_DET_BLOCKED;
	}
	d->st.throttled_requests++;
	return DP_DET_THROTTLED;
}

static void emit(struct ev *x)
{
	dp_det *d = x->d;
	int n = d->nal;
	if (!n)
		return;
	int64_t risk = risk_now(d, x->v, x->t, NULL);
	for (int i = 0; i < n; i++)
		d->al[i].risk = risk > INT32_MAX ? INT32_MAX : (int)risk;
	d->nal = 0;
	if (!d->fn)
		return;
	/* copied first: a callback may register entities (R15), never feed */
	for (int i = 0; i < n; i++) {
		dp_det_alert a = d->al[i];
		d->fn(d->ctx, &a);
	}
}

int dp_det_feed(dp_det *d, const dp_det_event *e)
{
	if (!d || !e)
		return DP_DET_ALLOW;
	d->st.events++;
	int64_t t = e->t_ms < 0 ? 0 : e->t_ms > T_MAX_MS ? T_MAX_MS : e->t_ms; /* R14 */
	if (t < d->now)
		t = d->now;
	d->now = t;
	int32_t vi = find_dev(d, e->device);
	if (vi < 0) {
		d->st.unknown_device++;
		return DP_DET_ALLOW;
	}
	struct ev x = {d, e, t, vi, &d->devs[vi], NULL, NULL};
	x.o = &d->offs[x.v->officer];
	x.p = &d->posts[x.o->post];
	d->nal = 0;
	int kind = e->kind >= DP_DET_FETCH && e->kind <= DP_DET_SEARCH ? e->kind : DP_DET_OTHER;
	if (!x.v->active || x.v->esusp) {
		/* suspended: blocked; only a decoy touch still alerts */
		decoy_check(&x);
		d->st.blocked_requests++;
		emit(&x);
		return DP_DET_BLOCKED;
	}
	int sig = 0;
	decoy_check(&x);
	/* DORMANT: the officer's first request after dormant.days without one (R8) */
	officer *o = x.o;
	if (o->last_req >= 0 && t - o->last_req > d->c.p[DP_P_DORMANT_DAYS] * DAY_MS) {
		add_signal(d, x.v, DP_S_DORMANT, t);
		sig = 1;
	}
	o->last_req = t;
	sig |= place_check(&x);
	switch (kind) {
	case DP_DET_FETCH:
		sig |= on_fetch(&x);
		break;
	case DP_DET_NOT_ADDRESSED:
		on_not_addressed(&x);
		break;
	case DP_DET_SEARCH:
		on_search(&x);
		break;
	case DP_DET_DENIED:
		add_signal(d, x.v, DP_S_DENIED, t);
		sig = 1;
		break;
	default:
		break;
	}
	if (sig)
		rule_risk(&x);
	int verdict;
	if (!x.v->active || x.v->esusp) {
		d->st.blocked_requests++;
		verdict = DP_DET_BLOCKED;
	} else {
		verdict = throttle_verdict(&x);
	}
	emit(&x);
	return verdict;
}
