/*
 * bench_scenario - a synthetic ministry and its traffic, in simulated time,
 * through the real detection engine (dp_det_feed), with labelled attacks.
 *
 *   bench_scenario [--seed N] [--days D] [--posts P] [--officers O]
 *                  [--attacks K] [--types LIST] [--config FILE]
 *                  [--report-only] [--json FILE] [--check] [--quiet]
 *                  [--warmup-days W] [--history-days H] [--rates]
 *                  [--rate KEY=V ...]
 *
 * What it does (all in simulated time; one engine, one thread):
 *   1. builds P posts (TOKYO = HQ, real capitals, then POST-nnn) with UTC
 *      offsets, 1-4 registered networks each and a ministry VPN (network.*),
 *      O officers (1 in 8 a communications/registry officer), 1 or 2
 *      devices each, and a few decoy devices (fictitious originators);
 *   2. generates H days of cables (each post's daily stream, proportional to
 *      its size, drafted in the drafters' hours) into every addressed
 *      device's archive; ~1 % of each stream are decoys that go to the
 *      archive only (never to an inbox);
 *   3. simulates the last W of those days (warm-up: the engine learns its
 *      baselines; alerts counted apart) and then D measured days: officers
 *      work in post-local hours, their clients poll the inbox and fetch new
 *      cables, re-fetch after a purge or reinstall, travel, go on leave,
 *      come back from long absences, look up keys, get refused; posts have
 *      crisis days, and outages (the post's devices offline for days, still
 *      addressed: every device drains its backlog when the post comes back
 *      online); HQ's records devices receive every cable, day and night, and
 *      drain thousands after a maintenance outage; the switch restarts now
 *      and then (a new engine: every baseline and window starts over; the
 *      switch's own suspensions stay); every request is one engine event,
 *      fed in time order
 *      (a heap; sessions, syncs and attacks push their next event lazily),
 *      and the engine's verdicts are applied: a THROTTLED fetch is refused
 *      (retried at the next poll by a benign client, lost to an attacker),
 *      a BLOCKED device gets nothing; a fetch is a delivery (event.queued)
 *      when the device never fetched the cable, and FLASH for ~1 % of the
 *      cables; an automatic suspension lapses after
 *      suspend.seconds (the switch's time box) unless the device is under
 *      attack (an operator would confirm it);
 *   4. plays K labelled attacks of each type (STOLEN-BULK, SLOW-DRIP,
 *      INSIDER-SWEEP, FOREIGN-CREDS, DECOY-TOUCH) at random times and posts;
 *   5. reports detection, false pages with their rules, causes and officer
 *      classes, collateral damage and the engine's speed.
 *
 * Definitions (the report uses exactly these):
 *   t0        an attack's first malicious event (for STOLEN-BULK and
 *             FOREIGN-CREDS an inbox listing 1-10 s before the first fetch;
 *             otherwise the first fetch, probe or KEYREQ);
 *   page      an alert with page=1 on the attacked device, from t0 until
 *             24 h (the engine's longest window) after the attack's last
 *             event; "on the owner's request" if a benign event of the
 *             device raised it; action: the engine's first throttle or
 *             suspension in that window; contain: the first of the
 *             attacker's requests the engine refused (THROTTLED/BLOCKED);
 *             suspend: the first suspension (or BLOCKED);
 *   got       non-decoy cables the attacker obtained before containment /
 *             in all;
 *   false page  a page on any other device (or outside that window) in the
 *             measured period; per 1,000 officer-days = officers x days
 *             (also per 1,000 active officer-days: days with a request);
 *             each counts under every cause seen on the officer's devices
 *             in the 2 h before (leave return, re-sync, crisis day ...);
 *   speed     events / seconds spent inside dp_det_feed (clock_gettime
 *             around each call: the generator's own time excluded).
 *
 * Every rate is in the table `rates` below (printed by --help/--rates and
 * in the report): they are meant to be plausible, not kind to the engine;
 * --rate KEY=V changes one for a sensitivity run and the report says so.
 * Randomness comes from per-purpose streams (world, cables per day,
 * officer-day, session, attack), so a verdict that changes one device's
 * behaviour does not reshuffle everyone else's: runs with different
 * configurations see the same benign workload until verdicts differ.
 * --check exits 1 unless every attack pages within 300 s and is contained
 * within 600 s of its t0 and measured false pages stay <= 1 per 1,000
 * officer-days.  Exit 2: bad usage or a configuration the engine refuses.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bench/bench_util.h"
#include "denpo/detect.h"

/* ------------------------------------------------------------------ rates */

enum rate_id {
	R_HQ_SHARE,
	R_POST_SIZE,
	R_TWO_DEVICES,
	R_COMMS_SHARE,
	R_COMMS_MULT,
	R_VOL_SIGMA,
	R_CABLES_HQ,
	R_CABLES_POST,
	R_DESK_HQ,
	R_DESK_POST,
	R_FROM_HQ,
	R_HOUR_SHOULDER,
	R_HOUR_NIGHT,
	R_WEEKEND_TRAFFIC,
	R_DECOY_SHARE,
	R_DECOY_DEVICES,
	R_NETS,
	R_NET_OTHER,
	R_START,
	R_START_DAY_SD,
	R_END,
	R_END_DAY_SD,
	R_LUNCH_AT,
	R_LUNCH_MIN,
	R_POLL_MIN,
	R_SYNC_GAP_S,
	R_ABSENT_DAY,
	R_WEEKEND_WORK,
	R_WEEKEND_HOURS,
	R_LATE,
	R_LATE_MIN,
	R_LATE_VPN,
	R_SECOND_ONLINE,
	R_SECOND_HOURS,
	R_LEAVE,
	R_LEAVE_DAYS,
	R_DORMANT,
	R_DORMANT_DAYS,
	R_TRAVEL,
	R_TRIP_DAYS,
	R_TRAVEL_VPN,
	R_CRISIS,
	R_CRISIS_FACTOR,
	R_CRISIS_STAY,
	R_REFETCH_RECENT,
	R_REFETCH_N,
	R_REFETCH_SCRIPT,
	R_REFETCH_SCRIPT_GAP,
	R_REFETCH_HAND_GAP,
	R_REFETCH_AGE,
	R_REFETCH_DEEP,
	R_DEEP_N,
	R_DEEP_GAP,
	R_DEEP_AGE,
	R_DENIED,
	R_NOTADDR,
	R_NOTADDR_N,
	R_SENDER,
	R_KEYREQS,
	R_FLASH,
	R_OUTAGE,
	R_OUTAGE_DAYS,
	R_RECORDS,
	R_RECORDS_OUTAGE,
	R_RECORDS_OUTAGE_DAYS,
	R_RESTART,
	A_BULK_GAP_MS,
	A_DRIP_PER_HOUR,
	A_DRIP_DAYS,
	A_SWEEP_GAP_S,
	A_SWEEP_N,
	A_SWEEP_PROBES,
	A_FOREIGN_N,
	A_FOREIGN_GAP_S,
	A_DECOY_N,
	A_DECOY_GAP_S,
	A_GIVE_UP,
	R_COUNT
};

typedef struct {
	const char *key;
	double lo, hi; /* a value (lo == hi) or a uniform range */
	const char *unit;
	const char *basis;
} rate_t;

static rate_t rates[R_COUNT] = { /* --rate KEY=V overrides one (reported) */
	[R_HQ_SHARE] = {"hq.share", 0.20, 0.20, "of officers", "brief: TOKYO HQ ~600 of ~3,000"},
	[R_POST_SIZE] = {"post.officers", 3, 40, "officers",
			 "named capitals fixed (WASHINGTON/BEIJING 40 ...), others lognormal, scaled to the total"},
	[R_TWO_DEVICES] = {"officer.two-devices", 0.30, 0.30, "of officers", "brief"},
	[R_COMMS_SHARE] = {"officer.comms", 0.125, 0.125, "of a post's officers", "brief: 1 in 8"},
	[R_COMMS_MULT] = {"comms.volume", 3, 5, "x desk volume", "brief; capped at every cable of the post"},
	[R_VOL_SIGMA] = {"officer.volume-sigma", 0.4, 0.4, "lognormal sigma",
			 "officers differ in how much is addressed to them"},
	[R_CABLES_HQ] = {"cables.hq", 2.67, 2.67, "per HQ officer per weekday",
			 "1,600/weekday at HQ; with posts ~4,500/weekday: 'several thousand a day'"},
	[R_CABLES_POST] = {"cables.post", 1.2, 1.2, "per post officer per weekday", "~2,900/weekday over all posts"},
	[R_DESK_HQ] = {"desk.hq", 30, 30, "cables per weekday (mean)", "brief: HQ desk officers read many cables"},
	[R_DESK_POST] = {"desk.post", 10, 10, "cables per weekday (mean)", "small posts: everyone gets every cable"},
	[R_FROM_HQ] = {"cables.from-hq", 0.75, 0.75, "of a post's cables", "drafted at HQ in Tokyo hours"},
	[R_HOUR_SHOULDER] = {"drafting.shoulder", 0.35, 0.35, "x weight 7-9h,18-21h",
			     "drafting weight 1.0 at 9-18h local"},
	[R_HOUR_NIGHT] = {"drafting.night", 0.04, 0.04, "x weight 21-7h", "FLASH/IMMEDIATE at any hour"},
	[R_WEEKEND_TRAFFIC] = {"cables.weekend", 0.15, 0.15, "x weekday", "Sat/Sun"},
	[R_DECOY_SHARE] = {"decoy.share", 0.01, 0.01, "of each post's cables", "brief; archive only"},
	[R_DECOY_DEVICES] = {"decoy.devices", 6, 6, "devices", "fictitious originators"},
	[R_NETS] = {"post.networks", 1, 4, "per post (HQ 4)", "IPv4 /24 or IPv6 /48, half each"},
	[R_NET_OTHER] = {"net.other", 0.20, 0.20, "of device-days", "on another of the post's networks"},
	[R_START] = {"work.start", 8.3, 8.3, "h local (officer mean, sd 0.8)", "brief: ~8 +/- 1"},
	[R_START_DAY_SD] = {"work.start-day-sd", 0.5, 0.5, "h", "day-to-day jitter"},
	[R_END] = {"work.end", 18.0, 18.0, "h local (officer mean, sd 1.2)", "brief: ~18 +/- 1.5"},
	[R_END_DAY_SD] = {"work.end-day-sd", 0.8, 0.8, "h", "day-to-day jitter"},
	[R_LUNCH_AT] = {"lunch.at", 12.0, 13.25, "h local", "no requests during lunch"},
	[R_LUNCH_MIN] = {"lunch.minutes", 40, 75, "min", ""},
	[R_POLL_MIN] = {"client.poll", 2, 6, "min between inbox polls", "each poll fetches new cables"},
	[R_SYNC_GAP_S] = {"client.fetch-gap", 0.15, 0.8, "s between fetches of a sync", "machine speed"},
	[R_ABSENT_DAY] = {"day.absent", 0.03, 0.03, "of weekdays", "sick, training, off-site"},
	[R_WEEKEND_WORK] = {"weekend.work", 0.10, 0.10, "of weekend officer-days", "brief"},
	[R_WEEKEND_HOURS] = {"weekend.hours", 1, 4, "h, starting 9:30-15:00", ""},
	[R_LATE] = {"late.night", 0.03, 0.03, "of working officer-days", "brief; starts 21:30-23:30"},
	[R_LATE_MIN] = {"late.minutes", 20, 90, "min", ""},
	[R_LATE_VPN] = {"late.vpn", 0.5, 0.5, "of late sessions", "from home over the ministry VPN"},
	[R_SECOND_ONLINE] = {"device2.online", 0.6, 0.6, "of working days", "second device syncs its own inbox"},
	[R_SECOND_HOURS] = {"device2.hours", 1, 4, "h", ""},
	[R_LEAVE] = {"leave.share", 0.01, 0.01, "of officers at any time", "brief: leave for a week"},
	[R_LEAVE_DAYS] = {"leave.days", 7, 7, "days", "still addressed: a backlog on return"},
	[R_DORMANT] = {"absence.long", 0.004, 0.004, "of officers per 30 days",
		       "back after > 30 days; not addressed while away"},
	[R_DORMANT_DAYS] = {"absence.days", 35, 60, "days", ""},
	[R_TRAVEL] = {"travel", 0.002, 0.002, "of officer-days", "brief"},
	[R_TRIP_DAYS] = {"travel.days", 3, 7, "days", "the first and last are flights (no work)"},
	[R_TRAVEL_VPN] = {"travel.vpn", 0.5, 0.5, "of trips", "else from another post's network"},
	[R_CRISIS] = {"crisis", 3, 3, "post-days per 30 days", "brief: a few posts per month (not HQ)"},
	[R_CRISIS_FACTOR] = {"crisis.factor", 5, 5, "x traffic", "brief"},
	[R_CRISIS_STAY] = {"crisis.stay", 1, 3, "h later", "officers stay late"},
	[R_REFETCH_RECENT] = {"refetch.recent", 0.005, 0.005, "of officer-days", "brief: 1 in 200 (purge/reinstall)"},
	[R_REFETCH_N] = {"refetch.n", 5, 50, "cables", "brief"},
	[R_REFETCH_SCRIPT] = {"refetch.scripted", 0.5, 0.5, "of bursts",
			      "client re-sync: newest n in seq order, machine speed"},
	[R_REFETCH_SCRIPT_GAP] = {"refetch.script-gap", 0.2, 1.5, "s", ""},
	[R_REFETCH_HAND_GAP] = {"refetch.hand-gap", 5, 90, "s", "by hand: random order"},
	[R_REFETCH_AGE] = {"refetch.age", 1, 20, "days", "recent cables"},
	[R_REFETCH_DEEP] = {"refetch.deep", 0.0005, 0.0005, "of officer-days", "brief: 1 in 2,000"},
	[R_DEEP_N] = {"deep.n", 2, 5, "cables", "from the archive listing (may hold decoys)"},
	[R_DEEP_GAP] = {"deep.gap", 10, 120, "s", ""},
	[R_DEEP_AGE] = {"deep.age", 31, 31, "days or older", ""},
	[R_DENIED] = {"denied", 0.01, 0.01, "of working officer-days", "brief: one denial"},
	[R_NOTADDR] = {"not-addressed", 0.005, 0.005, "of working officer-days",
			"a reference to a cable sent to others (typo, forwarded MRN): 404"},
	[R_NOTADDR_N] = {"not-addressed.n", 1, 3, "requests a minute apart", "the officer retries"},
	[R_SENDER] = {"sender", 0.30, 0.30, "of working officer-days", "drafts cables that day"},
	[R_KEYREQS] = {"sender.keyreqs", 1, 5, "KEYREQ per sending day", "brief: a few"},
	[R_FLASH] = {"cables.flash", 0.01, 0.01, "of cables", "rare (an assumption); clients here drain in acceptance order"},
	[R_OUTAGE] = {"post.outage", 3, 3, "post outages per 30 days",
		      "a link down, an evacuation (not HQ); still addressed: a backlog"},
	[R_OUTAGE_DAYS] = {"post.outage-days", 2, 60, "days", "every device of the post drains on return"},
	[R_RECORDS] = {"records.devices", 2, 2, "at HQ",
		       "role RECORDS (PRODUCT 5, 8): every cable, a client polling day and night"},
	[R_RECORDS_OUTAGE] = {"records.outage", 1, 1, "per 30 days",
			      "maintenance of one records device; the switch is restarted in it"},
	[R_RECORDS_OUTAGE_DAYS] = {"records.outage-days", 1, 3, "days", "thousands of cables queued on return"},
	[R_RESTART] = {"switch.restarts", 1, 1, "per 30 days", "upgrades, besides the maintenance restarts"},
	[A_BULK_GAP_MS] = {"attack.bulk-gap", 50, 400, "ms", "STOLEN-BULK: machine speed, whole archive"},
	[A_DRIP_PER_HOUR] = {"attack.drip-rate", 2, 6, "per hour", "SLOW-DRIP: deep archive, working hours"},
	[A_DRIP_DAYS] = {"attack.drip-days", 3, 6, "working days", ""},
	[A_SWEEP_GAP_S] = {"attack.sweep-gap", 5, 30, "s", "INSIDER-SWEEP: in seq order"},
	[A_SWEEP_N] = {"attack.sweep-n", 200, 600, "cables", ""},
	[A_SWEEP_PROBES] = {"attack.sweep-probes", 3, 6, "NOT_ADDRESSED", "in the first 15 min"},
	[A_FOREIGN_N] = {"attack.foreign-n", 3, 10, "recent cables", "FOREIGN-CREDS: foreign network"},
	[A_FOREIGN_GAP_S] = {"attack.foreign-gap", 20, 180, "s", ""},
	[A_DECOY_N] = {"attack.decoy-n", 3, 6, "archive cables", "DECOY-TOUCH: one a decoy (or a decoy KEYREQ)"},
	[A_DECOY_GAP_S] = {"attack.decoy-gap", 3, 60, "s", ""},
	[A_GIVE_UP] = {"attack.give-up", 20, 20, "BLOCKED in a row", "the attacker stops"},
};
#define RV(id) (rates[id].lo)

/* -------------------------------------------------------------- constants */

#define T0_S 1772409600LL /* 2026-03-02 00:00:00 UTC, a Monday: the measured period starts */
#define DAY_S 86400LL
#define HOUR_MS 3600000LL
#define MIN_MS 60000LL
#define NONE32 0xffffffffu
#define FETCHED 0x80000000u
#define CABLE_MASK 0x7fffffffu
#define VPN_DEST 0xffff
#define HIST_MAX 10001
#define NSAMPLES (5 * DP_R_COUNT) /* up to 5 examples per rule */
#define NCLASS 5                  /* officer classes: HQ desk, HQ comms, post desk, post comms, HQ records */

enum atk_type { A_STOLEN_BULK, A_SLOW_DRIP, A_INSIDER_SWEEP, A_FOREIGN_CREDS, A_DECOY_TOUCH, A_NTYPES };
static const char *const atk_names[A_NTYPES] = {"STOLEN-BULK", "SLOW-DRIP", "INSIDER-SWEEP", "FOREIGN-CREDS",
						 "DECOY-TOUCH"};

enum cause_bit {
	CB_CRISIS,
	CB_LEAVE_RET,
	CB_DORMANT_RET,
	CB_TRAVEL_POST,
	CB_TRAVEL_VPN,
	CB_WEEKEND,
	CB_LATE,
	CB_REFETCH_SCRIPT,
	CB_REFETCH_HAND,
	CB_REFETCH_DEEP,
	CB_DENIED,
	CB_KEYREQ,
	CB_SECONDARY,
	CB_BIG_SYNC,
	CB_NET_OTHER,
	CB_NOTADDR,
	CB_OUTAGE_RET,
	CB_COUNT
};
static const char *const cause_names[CB_COUNT] = {
	"crisis-day",	  "leave-return",     "dormant-return", "travel-other-post", "travel-vpn",
	"weekend",	  "late-night",	      "refetch-scripted", "refetch-by-hand", "refetch-deep",
	"denied",	  "keyreq",	      "second-device",	"sync>100",	     "other-post-network",
	"not-addressed",  "outage-return",
};
typedef uint32_t cause_set; /* a set of enum cause_bit */
#define C(b) ((cause_set)(1u << (b)))

/* -------------------------------------------------------------------- rng */

typedef struct {
	uint64_t s;
} rng_t;

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
static rng_t rseed(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	rng_t r = {mix64(a ^ mix64(b ^ mix64(c ^ mix64(d + 0x632be59bd9b4e019ULL))))};
	return r;
}
static uint64_t rnext(rng_t *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return mix64(r->s);
}
static double runif(rng_t *r)
{
	return (double)(rnext(r) >> 11) * 0x1.0p-53;
}
static double rrange(rng_t *r, double lo, double hi)
{
	return lo + (hi - lo) * runif(r);
}
static double rrate(rng_t *r, int id)
{
	return rrange(r, rates[id].lo, rates[id].hi);
}
static uint32_t rbelow(rng_t *r, uint32_t n)
{
	return (uint32_t)(((rnext(r) >> 32) * (uint64_t)n) >> 32);
}
static int rint_in(rng_t *r, int lo, int hi) /* inclusive */
{
	return lo + (int)rbelow(r, (uint32_t)(hi - lo + 1));
}
static int rrate_int(rng_t *r, int id)
{
	return rint_in(r, (int)rates[id].lo, (int)rates[id].hi);
}
static double rnorm(rng_t *r)
{
	double u = runif(r), v = runif(r);
	if (u < 1e-300)
		u = 1e-300;
	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}
static uint32_t rpois(rng_t *r, double lam)
{
	if (lam <= 0)
		return 0;
	if (lam < 30) {
		double l = exp(-lam), p = 1;
		uint32_t k = 0;
		do {
			k++;
			p *= runif(r);
		} while (p > l);
		return k - 1;
	}
	double x = lam + sqrt(lam) * rnorm(r) + 0.5;
	return x < 0 ? 0 : (uint32_t)x;
}

/* ------------------------------------------------------------------ world */

typedef struct {
	uint8_t a[16];
	unsigned prefix; /* as text: /24 or /48 (or /16 for the VPN) */
	int v6;
	int post; /* -1 global (VPN), -2 foreign (registered nowhere) */
} net_t;

typedef struct {
	char name[24];
	int32_t off_s;
	int hq;
	uint32_t o0, nof; /* officers o0 .. o0+nof-1 */
	uint32_t nets[4];
	int nnets;
	double cables_wd; /* cables per weekday */
	int crisis[8];	  /* local days */
	int ncrisis;
} post_t;

typedef struct {
	int16_t a, b; /* local days [a, b) */
	uint8_t type;
	uint16_t dest;
} ival_t;
enum { IV_LONG = 1, IV_LEAVE, IV_TRAVEL };

typedef struct {
	char handle[48];
	uint32_t post;
	uint8_t comms, ndev, away; /* away: 1 leave, 2 long absence, 3 outage (until the next working day) */
	uint8_t records;           /* a records device's officer (role RECORDS, at HQ): every cable */
	int16_t out[4][2];         /* outages: local days [a, b) the officer's devices are offline */
	uint8_t nout;
	uint32_t dev[2];
	double p_addr;	/* probability of being addressed by a cable of the post */
	double hs, he;	/* habitual start/end, h local */
	uint32_t iv0, niv;
	uint32_t hour_cnt, day_cnt; /* benign fetches this UTC hour/day (measured) */
	int64_t hour_no, day_no;
} officer_t;

typedef struct {
	uint8_t id[32];
	uint32_t officer;
	uint32_t home_net;
	uint16_t host;
	uint8_t secondary, decoy;
	uint32_t *arch; /* cable index | FETCHED, in acceptance order */
	uint32_t narch, cap, ptr;
	uint8_t syncing, susp, confirmed, pending_return, throttled_ever, wrongly_susp;
	uint8_t outage_return, outage_restarted; /* pending_return after an outage (spanning a restart) */
	uint32_t susp_gen;
	uint32_t sync_net;
	cause_set sync_cause;
	int32_t attack;
	int64_t cause_t[CB_COUNT]; /* last time each cause was seen on this device */
} device_t;

typedef struct {
	int64_t acc; /* acceptance, unix s */
	uint32_t post;
	uint8_t decoy, flash;
} cable_t;

/* heap items */
enum { H_POLL = 1, H_SYNC, H_SINGLE, H_ATK_START, H_ATK_STEP, H_LAPSE, H_RESTART };
typedef struct {
	int64_t t;
	uint64_t tie;
	uint8_t type, kind;
	cause_set cause;
	uint32_t dev, arg, net;
} hitem_t;

typedef struct {
	uint32_t dev, net;
	int64_t end;
	cause_set cause;
	uint32_t next_free;
	rng_t r;
} session_t;

typedef struct {
	int64_t t;
	uint8_t kind;
	uint32_t arg; /* archive position (FETCH), cable (NOT_ADDRESSED), device (KEYREQ) */
} step_t;

typedef struct {
	int type, k;
	uint32_t dev, post, net;
	int variant; /* type-specific: order, network, decoy variant */
	int64_t t_start;
	step_t *plan;
	uint32_t nplan, i;
	int started, done;
	int64_t t_first, t_last;
	int64_t t_alert, t_page, t_contain, t_susp, t_would, t_act;
	int page_malicious; /* the first page was raised by a malicious event (not the owner's) */
	uint32_t obtained_before, obtained_total, attempts, refused, blocked_run;
	uint32_t rule_alerts[DP_R_COUNT], rule_pages[DP_R_COUNT];
	int page_rule, first_alert_rule;
	char desc[160];
} attack_t;

typedef struct {
	uint64_t events, first_fetch, refetch, other, keyreq, denied, notaddr;
	uint64_t alerts, pages, nonpage;
	uint64_t alerts_rule[DP_R_COUNT], pages_rule[DP_R_COUNT];
} phase_t;

typedef struct {
	int64_t t;
	int rule, page, action, would, withheld;
	cause_set cause;
	char post[DP_DET_NAME_MAX + 1], officer[DP_DET_NAME_MAX + 1];
	char detail[512];
} sample_t;

typedef struct {
	/* options */
	uint64_t seed;
	int days, nposts_opt, nofficers_opt, k_attacks, warmup, history;
	unsigned types_mask;
	const char *config_path, *json_path;
	int report_only, check, quiet;
	char overrides[1024];

	dp_det_config cfg;
	dp_det *det;
	char *config_text;

	post_t *post;
	uint32_t nposts, hq;
	officer_t *off;
	uint32_t noff;
	ival_t *iv;
	uint32_t niv, cap_iv;
	device_t *dev;
	uint32_t ndev, nreal_dev;
	uint32_t *dev_hash; /* open addressing: device index + 1 */
	uint32_t hash_mask;
	net_t *net;
	uint32_t nnet, vpn_net[2], foreign0, nforeign;
	cable_t *cab;
	uint32_t ncab, cap_cab;
	uint64_t cables_measured, decoys_measured, deliveries;
	double hq_w[24 * 7]; /* HQ intake weight per UTC hour-of-week */

	hitem_t *heap;
	size_t nheap, cap_heap;
	uint64_t tie;
	session_t *sess;
	uint32_t nsess, cap_sess, free_sess;

	attack_t *atk;
	uint32_t natk;

	/* the event being fed */
	uint32_t cur_dev;
	cause_set cur_cause;
	int cur_atk;
	int64_t cur_t;

	/* accounting */
	phase_t ph[2]; /* 0 warm-up, 1 measured */
	uint64_t officer_days, active_officer_days;
	uint64_t beh[CB_COUNT]; /* measured officer-days (or bursts) showing each behaviour */
	uint64_t crisis_measured; /* crisis post-days in the measured period */
	uint64_t fp_pages, fp_rule[DP_R_COUNT], fp_cause[CB_COUNT + 1];
	uint64_t fp_nonpage, fp_nonpage_rule[DP_R_COUNT];
	uint64_t fp_withheld;
	uint64_t fp_class[NCLASS], fp_class_rule[NCLASS][DP_R_COUNT], class_days[NCLASS];
	sample_t samples[NSAMPLES];
	uint32_t nsamples, nsamples_rule[DP_R_COUNT];
	uint64_t benign_fetch_throttled, benign_fetch_blocked, benign_other_refused;
	uint64_t benign_devices_throttled, wrong_susp, wrong_susp_devices;
	uint64_t owner_refused; /* refusals of the owner of an attacked device, after the attack began */
	uint64_t lapses;
	uint64_t feed_errors, events_total;
	double feed_s;
	uint32_t *backlog;
	uint32_t nbacklog, cap_backlog;
	uint32_t *delay_s; /* a sample of first-fetch delays */
	uint32_t ndelay, cap_delay;
	uint64_t delay_n;
	uint32_t *hist_day, *hist_hour; /* benign officer fetches per UTC day/hour (measured) */
	uint32_t rec0, nrec;           /* records officers rec0 .. rec0+nrec-1 */
	int64_t *restart_t;            /* switch restarts (ms), in no order: each one an H_RESTART */
	uint32_t nrestart, restarts_done;
	dp_det_stats st_prev;          /* the engines before the last restart */
	uint64_t outages_measured, records_outages_measured;
	uint32_t *obacklog;            /* backlogs on return from an outage (measured) */
	uint32_t nobacklog, cap_obacklog, obacklog_restarted;
	uint64_t benign_flash, benign_flash_throttled, benign_flash_blocked;
} sim_t;

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);
	if (!p) {
		fprintf(stderr, "bench_scenario: out of memory\n");
		exit(2);
	}
	return p;
}
static void *xrealloc(void *p, size_t n, size_t sz)
{
	if (n && sz > SIZE_MAX / n) {
		fprintf(stderr, "bench_scenario: out of memory\n");
		exit(2);
	}
	size_t bytes = n * sz;
	void *q = realloc(p, bytes ? bytes : 1);
	if (!q) {
		fprintf(stderr, "bench_scenario: out of memory\n");
		exit(2);
	}
	return q;
}
static void die_det(const char *what, int r)
{
	fprintf(stderr, "bench_scenario: %s: %s\n", what, dp_strerror(r));
	exit(2);
}

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
/* local day number of a unix time at a UTC offset (day 0 = 2026-03-02) */
static int local_day(int64_t t_s, int32_t off_s)
{
	return (int)floordiv(t_s + off_s - T0_S, DAY_S);
}
static int weekday(int day) /* 0 Monday .. 6 Sunday */
{
	return (int)(((day % 7) + 7) % 7);
}
/* ms of local hour h (may exceed 24) of local day L at offset off */
static int64_t local_ms(int day, int32_t off_s, double h)
{
	return (T0_S + (int64_t)day * DAY_S - off_s) * 1000 + (int64_t)(h * 3600000.0);
}

/* ------------------------------------------------------------------- posts */

typedef struct {
	const char *name;
	int off_min; /* UTC offset in minutes */
	int size;    /* officers */
} capital_t;

/* Real capitals (and a few big consulates/missions) with their standard offsets. */
static const capital_t capitals[] = {
	{"TOKYO", 540, 0},	     {"WASHINGTON", -300, 40},	 {"BEIJING", 480, 40},
	{"LONDON", 0, 30},	     {"SEOUL", 540, 30},	 {"NEW-YORK-UN", -300, 28},
	{"PARIS", 60, 25},	     {"MOSCOW", 180, 25},	 {"BERLIN", 60, 22},
	{"NEW-DELHI", 330, 22},	     {"GENEVA", 60, 18},	 {"BRUSSELS", 60, 16},
	{"CANBERRA", 600, 15},	     {"JAKARTA", 420, 15},	 {"BANGKOK", 420, 15},
	{"MANILA", 480, 14},	     {"HANOI", 420, 12},	 {"SINGAPORE", 480, 12},
	{"ROME", 60, 12},	     {"OTTAWA", -300, 10},	 {"MADRID", 60, 10},
	{"KUALA-LUMPUR", 480, 10},   {"BRASILIA", -180, 10},	 {"MEXICO-CITY", -360, 10},
	{"ISLAMABAD", 300, 9},	     {"TEHRAN", 210, 9},	 {"RIYADH", 180, 9},
	{"CAIRO", 120, 9},	     {"ANKARA", 180, 9},	 {"VIENNA", 60, 9},
	{"BUENOS-AIRES", -180, 8},   {"KYIV", 120, 8},		 {"WARSAW", 60, 8},
	{"LOS-ANGELES", -480, 8},    {"LIMA", -300, 7},		 {"SANTIAGO", -240, 7},
	{"NAIROBI", 180, 7},	     {"PRETORIA", 120, 7},	 {"ABU-DHABI", 240, 7},
	{"TEL-AVIV", 120, 7},	     {"BOGOTA", -300, 6},	 {"ADDIS-ABABA", 180, 6},
	{"ABUJA", 60, 6},	     {"STOCKHOLM", 60, 6},	 {"THE-HAGUE", 60, 6},
	{"YANGON", 390, 6},	     {"DHAKA", 360, 6},		 {"WELLINGTON", 720, 6},
	{"HONOLULU", -600, 6},	     {"DAKAR", 0, 5},		 {"ACCRA", 0, 5},
	{"ATHENS", 120, 5},	     {"LISBON", 0, 5},		 {"ULAANBAATAR", 480, 5},
	{"COLOMBO", 330, 5},	     {"TASHKENT", 300, 5},	 {"ASTANA", 300, 5},
	{"DOHA", 180, 5},	     {"DUBLIN", 0, 4},		 {"KATHMANDU", 345, 4},
	{"KABUL", 270, 4},	     {"BAGHDAD", 180, 4},	 {"SUVA", 720, 4},
	{"HAVANA", -300, 4},	     {"PORT-MORESBY", 600, 4},
};
#define NCAPITALS (sizeof capitals / sizeof capitals[0])

/* offset of a generated post: Americas -10..-3, Europe/Africa 0..+3, Middle East +3..+4,
 * Asia +5..+9, Oceania +10..+12 (weights 0.2/0.4/0.1/0.2/0.1) */
static int32_t gen_offset(rng_t *r)
{
	double u = runif(r);
	int h;
	if (u < 0.2)
		h = rint_in(r, -10, -3);
	else if (u < 0.6)
		h = rint_in(r, 0, 3);
	else if (u < 0.7)
		h = rint_in(r, 3, 4);
	else if (u < 0.9)
		h = rint_in(r, 5, 9);
	else
		h = rint_in(r, 10, 12);
	return h * 3600;
}

static uint32_t add_net(sim_t *s, int post, int v6, uint32_t n)
{
	s->net = xrealloc(s->net, s->nnet + 1, sizeof *s->net);
	net_t *x = &s->net[s->nnet];
	memset(x, 0, sizeof *x);
	x->post = post;
	x->v6 = v6;
	if (v6) { /* 2001:db8:NNNN::/48 */
		x->a[0] = 0x20, x->a[1] = 0x01, x->a[2] = 0x0d, x->a[3] = 0xb8;
		x->a[4] = (uint8_t)(n >> 8), x->a[5] = (uint8_t)n;
		x->prefix = 48;
	} else { /* 10.X.Y.0/24 */
		x->a[10] = x->a[11] = 0xff;
		x->a[12] = 10, x->a[13] = (uint8_t)(16 + n / 256), x->a[14] = (uint8_t)(n % 256);
		x->prefix = 24;
	}
	return s->nnet++;
}

static void net_text(const net_t *x, char *buf, size_t cap)
{
	if (x->v6)
		snprintf(buf, cap, "%x:%x:%x::/%u", (x->a[0] << 8) | x->a[1], (x->a[2] << 8) | x->a[3],
			 (x->a[4] << 8) | x->a[5], x->prefix);
	else
		snprintf(buf, cap, "%u.%u.%u.%u/%u", x->a[12], x->a[13], x->a[14], x->a[15], x->prefix);
}

/* the address of device di on network ni */
static void make_addr(const sim_t *s, uint32_t ni, uint32_t di, uint8_t out[16])
{
	const net_t *x = &s->net[ni];
	memcpy(out, x->a, 16);
	if (x->v6) {
		out[12] = (uint8_t)(di >> 24), out[13] = (uint8_t)(di >> 16);
		out[14] = (uint8_t)(di >> 8), out[15] = (uint8_t)(di | 1);
	} else if (x->prefix == 16) {
		out[14] = (uint8_t)(di / 254), out[15] = (uint8_t)(di % 254 + 1);
	} else {
		out[15] = (uint8_t)(s->dev[di].host);
	}
}

static int in_iv(const sim_t *s, const officer_t *o, int day, uint16_t *dest, int *flight)
{
	int best = 0;
	for (uint32_t i = 0; i < o->niv; i++) {
		const ival_t *v = &s->iv[o->iv0 + i];
		if (day >= v->a && day < v->b && (best == 0 || v->type < best)) {
			best = v->type;
			if (dest)
				*dest = v->dest;
			if (flight)
				*flight = v->type == IV_TRAVEL && v->dest != VPN_DEST && (day == v->a || day == v->b - 1);
		}
	}
	return best;
}

static uint32_t dev_hash_slot(const uint8_t id[32], uint32_t mask)
{
	uint64_t h;
	memcpy(&h, id, 8);
	return (uint32_t)(mix64(h) & mask);
}
static void dev_hash_add(sim_t *s, uint32_t di)
{
	uint32_t i = dev_hash_slot(s->dev[di].id, s->hash_mask);
	while (s->dev_hash[i])
		i = (i + 1) & s->hash_mask;
	s->dev_hash[i] = di + 1;
}
static int64_t dev_lookup(const sim_t *s, const uint8_t id[32])
{
	uint32_t i = dev_hash_slot(id, s->hash_mask);
	while (s->dev_hash[i]) {
		if (!memcmp(s->dev[s->dev_hash[i] - 1].id, id, 32))
			return s->dev_hash[i] - 1;
		i = (i + 1) & s->hash_mask;
	}
	return -1;
}

/* drafting weight of an hour, at the drafter's local time */
static double draft_w(int64_t t_s, int32_t off_s)
{
	int64_t loc = t_s + off_s - T0_S;
	int day = (int)floordiv(loc, DAY_S);
	int h = (int)((loc - (int64_t)day * DAY_S) / 3600);
	double w = (h >= 9 && h < 18) ? 1.0 : ((h >= 7 && h < 9) || (h >= 18 && h < 21)) ? RV(R_HOUR_SHOULDER)
											 : RV(R_HOUR_NIGHT);
	if (weekday(day) >= 5)
		w *= RV(R_WEEKEND_TRAFFIC);
	return w;
}
static double draft_wsum(void) /* one weekday's sum of hourly weights */
{
	return 9 * 1.0 + 5 * RV(R_HOUR_SHOULDER) + 10 * RV(R_HOUR_NIGHT);
}

static void add_outage(officer_t *o, int a, int b)
{
	if (o->nout < 4) {
		o->out[o->nout][0] = (int16_t)a;
		o->out[o->nout][1] = (int16_t)b;
		o->nout++;
	}
}

/* The outage of the officer's devices on local day L, or -1. */
static int outage_on(const officer_t *o, int day)
{
	for (int k = 0; k < o->nout; k++)
		if (day >= o->out[k][0] && day < o->out[k][1])
			return k;
	return -1;
}

static void add_restart(sim_t *s, int64_t t_ms)
{
	s->restart_t = xrealloc(s->restart_t, s->nrestart + 1, sizeof *s->restart_t);
	s->restart_t[s->nrestart++] = t_ms;
}

/* how many of (rate per 30 days) fall in the measured period and in the warm-up (the
 * measured period gets at least one) */
static void per_period(const sim_t *s, int id, long *nm, long *nw)
{
	*nm = lround(RV(id) * s->days / 30.0);
	*nw = lround(RV(id) * s->warmup / 30.0);
	if (*nm < 1 && RV(id) > 0)
		*nm = 1;
}

/* an end day (exclusive) in the measured period (k < nm) or in the warm-up */
static int end_day(const sim_t *s, rng_t *q, long k, long nm)
{
	if (k < nm)
		return 1 + (int)rbelow(q, (uint32_t)(s->days > 1 ? s->days - 1 : 1));
	return -s->warmup + 1 + (int)rbelow(q, (uint32_t)(s->warmup > 1 ? s->warmup - 1 : 1));
}

/*
 * Outages, each ending (the devices back online) in the measured period or
 * the warm-up: posts (not HQ: the switch is there) whose devices are all
 * offline for post.outage-days, and one records device at a time for
 * records.outage-days of maintenance, with a switch restart in its middle;
 * and switch.restarts more restarts at random times.
 */
static void schedule_outages(sim_t *s)
{
	rng_t q = rseed(s->seed, 0x0F7A6E, 0, 0);
	long nm, nw;
	per_period(s, R_OUTAGE, &nm, &nw);
	for (long k = 0; k < nm + nw && s->nposts > 1; k++) {
		const post_t *P = &s->post[1 + rbelow(&q, s->nposts - 1)];
		int b = end_day(s, &q, k, nm), a = b - rrate_int(&q, R_OUTAGE_DAYS);
		for (uint32_t i = 0; i < P->nof; i++)
			add_outage(&s->off[P->o0 + i], a, b);
		s->outages_measured += k < nm;
	}
	per_period(s, R_RECORDS_OUTAGE, &nm, &nw);
	for (long k = 0; k < nm + nw && s->nrec; k++) {
		officer_t *o = &s->off[s->rec0 + rbelow(&q, s->nrec)];
		int b = end_day(s, &q, k, nm), len = rrate_int(&q, R_RECORDS_OUTAGE_DAYS), a = b - len;
		add_outage(o, a, b);
		add_restart(s, local_ms(a, s->post[0].off_s, 12.0 * len));
		s->records_outages_measured += k < nm;
	}
	per_period(s, R_RESTART, &nm, &nw);
	for (long k = 0; k < nm + nw; k++) {
		int64_t lo = (int64_t)(k < nm ? 0 : -s->warmup) * DAY_S * 1000;
		int64_t span = (int64_t)(k < nm ? s->days : s->warmup) * DAY_S * 1000;
		add_restart(s, T0_S * 1000 + lo + (int64_t)(runif(&q) * (double)span));
	}
}

static void build_world(sim_t *s)
{
	rng_t r = rseed(s->seed, 0x3011D, 0, 0);
	uint32_t np = (uint32_t)s->nposts_opt;
	s->post = xcalloc(np, sizeof *s->post);
	s->nposts = np;
	s->hq = 0;
	/* sizes */
	double *raw = xcalloc(np, sizeof *raw);
	double rawsum = 0;
	for (uint32_t p = 0; p < np; p++) {
		post_t *P = &s->post[p];
		if (p < NCAPITALS) {
			snprintf(P->name, sizeof P->name, "%s", capitals[p].name);
			P->off_s = capitals[p].off_min * 60;
			raw[p] = capitals[p].size;
		} else {
			snprintf(P->name, sizeof P->name, "POST-%03u", p);
			P->off_s = gen_offset(&r);
			raw[p] = 2.0 + exp(1.55 + 0.6 * rnorm(&r));
		}
		if (p)
			rawsum += raw[p];
	}
	s->post[0].hq = 1;
	uint32_t hq_n = (uint32_t)lround(RV(R_HQ_SHARE) * s->nofficers_opt);
	if (hq_n < 8)
		hq_n = 8;
	double target = (double)s->nofficers_opt - hq_n, scale = np > 1 ? target / rawsum : 0;
	uint32_t nof = hq_n;
	s->post[0].nof = hq_n;
	for (int it = 0; it < 4 && np > 1; it++) { /* rescale until the clamped sum is near the target */
		double sum = 0;
		for (uint32_t p = 1; p < np; p++) {
			double v = raw[p] * scale;
			v = v < rates[R_POST_SIZE].lo ? rates[R_POST_SIZE].lo : v > rates[R_POST_SIZE].hi ? rates[R_POST_SIZE].hi : v;
			sum += v;
		}
		scale *= target / sum;
	}
	for (uint32_t p = 1; p < np; p++) {
		double v = raw[p] * scale;
		long n = lround(v);
		if (n < (long)rates[R_POST_SIZE].lo)
			n = (long)rates[R_POST_SIZE].lo;
		if (n > (long)rates[R_POST_SIZE].hi)
			n = (long)rates[R_POST_SIZE].hi;
		s->post[p].nof = (uint32_t)n;
		nof += (uint32_t)n;
	}
	free(raw);

	/* networks: registered per post, the VPN, and foreign ones (registered nowhere) */
	uint32_t netno = 0;
	for (uint32_t p = 0; p < np; p++) {
		post_t *P = &s->post[p];
		double u = runif(&r);
		P->nnets = P->hq ? 4 : u < 0.4 ? 1 : u < 0.75 ? 2 : u < 0.92 ? 3 : 4;
		for (int k = 0; k < P->nnets; k++)
			P->nets[k] = add_net(s, (int)p, runif(&r) < 0.5, netno++);
	}
	s->vpn_net[0] = add_net(s, -1, 0, 0);
	s->net[s->vpn_net[0]].a[12] = 100, s->net[s->vpn_net[0]].a[13] = 64, s->net[s->vpn_net[0]].a[14] = 0;
	s->net[s->vpn_net[0]].prefix = 16;
	s->vpn_net[1] = add_net(s, -1, 1, 0xffff);
	s->foreign0 = s->nnet;
	static const uint8_t f4[3][3] = {{192, 0, 2}, {198, 51, 100}, {203, 0, 113}};
	for (int k = 0; k < 3; k++) {
		uint32_t ni = add_net(s, -2, 0, 0);
		memcpy(&s->net[ni].a[12], f4[k], 3);
	}
	for (int k = 0; k < 3; k++) { /* 3fff:k00::/48 (RFC 9637 documentation space) */
		uint32_t ni = add_net(s, -2, 1, 0);
		s->net[ni].a[0] = 0x3f, s->net[ni].a[1] = 0xff, s->net[ni].a[2] = (uint8_t)(k + 1), s->net[ni].a[3] = 0;
		s->net[ni].a[4] = s->net[ni].a[5] = 0;
	}
	s->nforeign = s->nnet - s->foreign0;

	/* officers and devices */
	s->nrec = (uint32_t)RV(R_RECORDS);
	s->off = xcalloc(nof + s->nrec, sizeof *s->off);
	s->noff = nof + s->nrec;
	s->dev = xcalloc(nof * 2 + s->nrec + (uint32_t)RV(R_DECOY_DEVICES), sizeof *s->dev);
	uint32_t oi = 0, di = 0;
	double wsum = draft_wsum();
	(void)wsum;
	for (uint32_t p = 0; p < np; p++) {
		post_t *P = &s->post[p];
		P->o0 = oi;
		uint32_t ncomms = (uint32_t)ceil(P->nof * RV(R_COMMS_SHARE));
		if (ncomms < 1)
			ncomms = 1;
		P->cables_wd = P->hq ? RV(R_CABLES_HQ) * P->nof : RV(R_CABLES_POST) * P->nof;
		if (P->cables_wd < 3)
			P->cables_wd = 3;
		double desk = P->hq ? RV(R_DESK_HQ) : RV(R_DESK_POST);
		double base_p = desk / P->cables_wd;
		if (base_p > 1)
			base_p = 1;
		for (uint32_t k = 0; k < P->nof; k++, oi++) {
			officer_t *o = &s->off[oi];
			o->post = p;
			o->comms = k < ncomms;
			snprintf(o->handle, sizeof o->handle, "%.20s.%c%04u", P->name, o->comms ? 'c' : 'd', k);
			double sg = RV(R_VOL_SIGMA);
			double w = exp(sg * rnorm(&r) - sg * sg / 2);
			if (o->comms)
				w *= rrate(&r, R_COMMS_MULT);
			o->p_addr = base_p * w > 1 ? 1 : base_p * w;
			o->hs = RV(R_START) + 0.8 * rnorm(&r);
			if (o->hs < 6.5)
				o->hs = 6.5;
			if (o->hs > 10.5)
				o->hs = 10.5;
			o->he = RV(R_END) + 1.2 * rnorm(&r);
			if (o->he < o->hs + 6)
				o->he = o->hs + 6;
			if (o->he > 21.5)
				o->he = 21.5;
			o->ndev = runif(&r) < RV(R_TWO_DEVICES) ? 2 : 1;
			uint32_t home = P->nets[rbelow(&r, (uint32_t)P->nnets)];
			for (int j = 0; j < o->ndev; j++, di++) {
				device_t *d = &s->dev[di];
				for (int b = 0; b < 32; b += 8) {
					uint64_t x = rnext(&r);
					memcpy(d->id + b, &x, 8);
				}
				d->officer = oi;
				d->home_net = home;
				d->host = (uint16_t)(2 + rbelow(&r, 250));
				d->secondary = (uint8_t)j;
				d->attack = -1;
				o->dev[j] = di;
			}
		}
	}
	/* records devices (role RECORDS) at HQ: an officer with one device each, every cable */
	s->rec0 = oi;
	for (uint32_t k = 0; k < s->nrec; k++, oi++, di++) {
		rng_t q = rseed(s->seed, 0x2EC02D, k, 0);
		officer_t *o = &s->off[oi];
		device_t *d = &s->dev[di];
		o->post = 0;
		o->records = 1;
		o->p_addr = 1;
		o->hs = 0;
		o->he = 24;
		o->ndev = 1;
		o->dev[0] = di;
		snprintf(o->handle, sizeof o->handle, "%.20s.r%04u", s->post[0].name, k);
		for (int b = 0; b < 32; b += 8) {
			uint64_t x = rnext(&q);
			memcpy(d->id + b, &x, 8);
		}
		d->officer = oi;
		d->home_net = s->post[0].nets[k % (uint32_t)s->post[0].nnets];
		d->host = (uint16_t)(2 + rbelow(&q, 250));
		d->attack = -1;
	}
	s->nreal_dev = di;
	/* decoy devices: fictitious originators at random posts (not addressed, never used) */
	for (int k = 0; k < (int)RV(R_DECOY_DEVICES); k++, di++) {
		device_t *d = &s->dev[di];
		for (int b = 0; b < 32; b += 8) {
			uint64_t x = rnext(&r);
			memcpy(d->id + b, &x, 8);
		}
		d->officer = NONE32;
		d->decoy = 1;
		d->attack = -1;
		d->home_net = s->post[rbelow(&r, np)].nets[0];
	}
	s->ndev = di;
	uint32_t hc = 1;
	while (hc < s->ndev * 4)
		hc <<= 1;
	s->dev_hash = xcalloc(hc, sizeof *s->dev_hash);
	s->hash_mask = hc - 1;
	for (uint32_t i = 0; i < s->ndev; i++)
		dev_hash_add(s, i);

	/* schedules: long absences, leave weeks, trips, over history + measured days */
	for (uint32_t o = 0; o < s->noff; o++) {
		rng_t q = rseed(s->seed, 0x5C4ED, o, 0);
		officer_t *O = &s->off[o];
		O->iv0 = s->niv;
		for (int L = O->records ? s->days : -s->history; L < s->days;) { /* records devices: none */
			int type = 0, len = 0;
			uint16_t dest = 0;
			if (runif(&q) < RV(R_DORMANT) / 30.0)
				type = IV_LONG, len = rrate_int(&q, R_DORMANT_DAYS);
			else if (runif(&q) < RV(R_LEAVE) / RV(R_LEAVE_DAYS))
				type = IV_LEAVE, len = (int)RV(R_LEAVE_DAYS);
			else if (runif(&q) < RV(R_TRAVEL) / ((rates[R_TRIP_DAYS].lo + rates[R_TRIP_DAYS].hi) / 2)) {
				type = IV_TRAVEL, len = rrate_int(&q, R_TRIP_DAYS);
				if (runif(&q) < RV(R_TRAVEL_VPN) || np < 2)
					dest = VPN_DEST;
				else {
					dest = (uint16_t)rbelow(&q, np - 1);
					if (dest >= O->post)
						dest++;
				}
			}
			if (!type) {
				L++;
				continue;
			}
			if (s->niv == s->cap_iv) {
				s->cap_iv = s->cap_iv ? s->cap_iv * 2 : 1024;
				s->iv = xrealloc(s->iv, s->cap_iv, sizeof *s->iv);
			}
			s->iv[s->niv++] = (ival_t){(int16_t)L, (int16_t)(L + len), (uint8_t)type, dest};
			O->niv++;
			L += len;
		}
	}

	/* crisis days (not HQ), over warm-up + measured days */
	if (np > 1) {
		/* a fixed number (the rate, at least one in the measured period) at random posts and days */
		rng_t q = rseed(s->seed, 0xC2151, 0, 0);
		long nm, nw;
		per_period(s, R_CRISIS, &nm, &nw);
		for (long k = 0; k < nm + nw; k++) {
			post_t *P = &s->post[1 + rbelow(&q, np - 1)];
			int day = k < nm ? (int)rbelow(&q, (uint32_t)s->days)
					 : -s->warmup + (int)rbelow(&q, (uint32_t)(s->warmup > 0 ? s->warmup : 1));
			if (P->ncrisis < 8)
				P->crisis[P->ncrisis++] = day;
			if (k < nm)
				s->crisis_measured++;
		}
	}

	schedule_outages(s);

	/* HQ's intake weight per UTC hour of the week: cables drafted at the posts, by size */
	double tot = 0;
	for (uint32_t p = 1; p < np; p++)
		tot += s->post[p].nof;
	for (int how = 0; how < 24 * 7; how++) {
		int64_t t = T0_S + (int64_t)how * 3600 + 1800;
		double w = 0;
		for (uint32_t p = 1; p < np; p++)
			w += s->post[p].nof * draft_w(t, s->post[p].off_s);
		s->hq_w[how] = tot > 0 ? w / tot : draft_w(t, 9 * 3600);
	}
}

static int is_crisis(const post_t *P, int day)
{
	for (int i = 0; i < P->ncrisis; i++)
		if (P->crisis[i] == day)
			return 1;
	return 0;
}

/* ------------------------------------------------------------------ cables */

static void arch_add(device_t *d, uint32_t v)
{
	if (d->narch == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 256;
		d->arch = xrealloc(d->arch, d->cap, sizeof *d->arch);
	}
	d->arch[d->narch++] = v;
}

static int cmp_cable(const void *a, const void *b)
{
	const cable_t *x = a, *y = b;
	if (x->acc != y->acc)
		return x->acc < y->acc ? -1 : 1;
	return x->post < y->post ? -1 : x->post > y->post;
}

/* cable ci into the archives of officer o's devices: fetched already if it came before the
 * simulation (and the officer's devices were not offline then) */
static void address_to(sim_t *s, const officer_t *o, uint32_t ci, int prefetched)
{
	const cable_t *c = &s->cab[ci];
	int fetched = prefetched && !c->decoy &&
		      (!o->nout || outage_on(o, local_day(c->acc, s->post[o->post].off_s)) < 0);
	for (int j = 0; j < o->ndev; j++)
		arch_add(&s->dev[o->dev[j]], ci | (fetched ? FETCHED : 0));
	s->deliveries += c->acc >= T0_S ? o->ndev : 0;
}

static void address_cable(sim_t *s, uint32_t ci, rng_t *r, int prefetched)
{
	const cable_t *c = &s->cab[ci];
	const post_t *P = &s->post[c->post];
	int n = 0;
	uint32_t fallback = NONE32;
	for (uint32_t k = 0; k < P->nof; k++) {
		officer_t *o = &s->off[P->o0 + k];
		if (o->niv && in_iv(s, o, local_day(c->acc, P->off_s), NULL, NULL) == IV_LONG)
			continue; /* away for long: the registry takes them off distribution */
		if (fallback == NONE32 && o->comms)
			fallback = P->o0 + k;
		if (runif(r) >= o->p_addr)
			continue;
		n++;
		address_to(s, o, ci, prefetched);
	}
	if (!n && fallback != NONE32)
		address_to(s, &s->off[fallback], ci, prefetched);
	for (uint32_t k = 0; k < s->nrec; k++) /* the records devices receive every cable */
		address_to(s, &s->off[s->rec0 + k], ci, prefetched);
}

/* the cables accepted in UTC day u */
static void gen_cables_day(sim_t *s, int u)
{
	rng_t r = rseed(s->seed, 0xCAB1E, (uint64_t)(u + 100000), 0);
	double wsum = draft_wsum();
	cable_t *tmp = NULL;
	size_t n = 0, cap = 0;
	for (uint32_t p = 0; p < s->nposts; p++) {
		const post_t *P = &s->post[p];
		for (int h = 0; h < 24; h++) {
			int64_t th = T0_S + (int64_t)u * DAY_S + h * 3600;
			double w;
			if (P->hq) {
				int how = (int)(((int64_t)u * 24 + h) % (24 * 7));
				w = s->hq_w[how < 0 ? how + 24 * 7 : how];
			} else {
				w = RV(R_FROM_HQ) * draft_w(th + 1800, 9 * 3600) +
				    (1 - RV(R_FROM_HQ)) * draft_w(th + 1800, P->off_s);
			}
			double lam = P->cables_wd * w / wsum;
			if (P->ncrisis && is_crisis(P, local_day(th + 1800, P->off_s)))
				lam *= RV(R_CRISIS_FACTOR);
			uint32_t k = rpois(&r, lam);
			for (uint32_t i = 0; i < k; i++) {
				if (n == cap) {
					cap = cap ? cap * 2 : 8192;
					tmp = xrealloc(tmp, cap, sizeof *tmp);
				}
				tmp[n].acc = th + rbelow(&r, 3600);
				tmp[n].post = p;
				tmp[n].decoy = runif(&r) < RV(R_DECOY_SHARE);
				n++;
			}
		}
	}
	qsort(tmp, n, sizeof *tmp, cmp_cable);
	if (s->ncab + n > s->cap_cab) {
		while (s->ncab + n > s->cap_cab)
			s->cap_cab = s->cap_cab ? s->cap_cab * 2 : 65536;
		s->cab = xrealloc(s->cab, s->cap_cab, sizeof *s->cab);
	}
	int prefetched = u < -s->warmup; /* delivered before the simulation starts */
	for (size_t i = 0; i < n; i++) {
		uint32_t ci = s->ncab++;
		s->cab[ci] = tmp[i];
		/* from the cable's own hash, so the other streams stay as they were */
		s->cab[ci].flash = (double)(mix64(s->seed ^ mix64(ci + 0xF1A5ULL)) >> 11) * 0x1.0p-53 < RV(R_FLASH);
		if (tmp[i].acc >= T0_S) {
			s->cables_measured++;
			s->decoys_measured += tmp[i].decoy;
		}
		address_cable(s, ci, &r, prefetched);
	}
	free(tmp);
}

/* first archive position whose cable was accepted at or after t_s */
static uint32_t arch_lower(const sim_t *s, const device_t *d, int64_t t_s)
{
	uint32_t lo = 0, hi = d->narch;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (s->cab[d->arch[mid] & CABLE_MASK].acc < t_s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
static int arch_has(const device_t *d, uint32_t ci)
{
	uint32_t lo = 0, hi = d->narch;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if ((d->arch[mid] & CABLE_MASK) < ci)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->narch && (d->arch[lo] & CABLE_MASK) == ci;
}

/* -------------------------------------------------------------------- heap */

static int h_less(const hitem_t *a, const hitem_t *b)
{
	return a->t < b->t || (a->t == b->t && a->tie < b->tie);
}
static void hpush(sim_t *s, hitem_t it)
{
	if (s->nheap == s->cap_heap) {
		s->cap_heap = s->cap_heap ? s->cap_heap * 2 : 65536;
		s->heap = xrealloc(s->heap, s->cap_heap, sizeof *s->heap);
	}
	it.tie = s->tie++;
	size_t i = s->nheap++;
	while (i) {
		size_t p = (i - 1) / 2;
		if (!h_less(&it, &s->heap[p]))
			break;
		s->heap[i] = s->heap[p];
		i = p;
	}
	s->heap[i] = it;
}
static hitem_t hpop(sim_t *s)
{
	hitem_t top = s->heap[0], last = s->heap[--s->nheap];
	size_t i = 0, n = s->nheap;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && h_less(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!h_less(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (n)
		s->heap[i] = last;
	return top;
}
static void push_ev(sim_t *s, int64_t t, int type, int kind, uint32_t dev, uint32_t arg, uint32_t net,
		    cause_set cause)
{
	hitem_t it = {.t = t, .type = (uint8_t)type, .kind = (uint8_t)kind, .cause = cause, .dev = dev,
		      .arg = arg, .net = net};
	hpush(s, it);
}

static uint32_t sess_new(sim_t *s)
{
	if (s->free_sess != NONE32) {
		uint32_t i = s->free_sess;
		s->free_sess = s->sess[i].next_free;
		return i;
	}
	if (s->nsess == s->cap_sess) {
		s->cap_sess = s->cap_sess ? s->cap_sess * 2 : 8192;
		s->sess = xrealloc(s->sess, s->cap_sess, sizeof *s->sess);
	}
	return s->nsess++;
}
static void sess_free(sim_t *s, uint32_t i)
{
	s->sess[i].next_free = s->free_sess;
	s->free_sess = i;
}

/* ------------------------------------------------------- feeding, alerts */

/* The attack an alert on device di at t belongs to: from the attack's first event until 24 h
 * (the engine's longest window, the rolling day) after its last: a bulk day count the attacker
 * filled is still the attacker's evidence after the attacker stopped. */
#define ATK_TAIL_MS (24 * HOUR_MS)
static int atk_of(const sim_t *s, uint32_t di, int64_t t)
{
	if (di >= s->ndev || s->dev[di].attack < 0)
		return -1;
	const attack_t *A = &s->atk[s->dev[di].attack];
	if (!A->started || t < A->t_first)
		return -1;
	if (A->done && t > A->t_last + ATK_TAIL_MS)
		return -1;
	return s->dev[di].attack;
}

/* 0 HQ desk, 1 HQ comms, 2 post desk, 3 post comms, 4 HQ records */
static int officer_class(const sim_t *s, uint32_t oi)
{
	const officer_t *o = &s->off[oi];
	if (o->records)
		return 4;
	return (s->post[o->post].hq ? 0 : 2) + (o->comms ? 1 : 0);
}
static const char *const class_names[NCLASS] = {"HQ desk", "HQ comms", "post desk", "post comms", "HQ records"};

static cause_set recent_causes(const sim_t *s, uint32_t di, int64_t t)
{
	cause_set m = 0;
	const device_t *d = &s->dev[di];
	if (d->officer == NONE32)
		return 0;
	const officer_t *o = &s->off[d->officer];
	for (int j = 0; j < o->ndev; j++) {
		const device_t *x = &s->dev[o->dev[j]];
		for (int b = 0; b < CB_COUNT; b++)
			if (x->cause_t[b] && t - x->cause_t[b] <= 2 * HOUR_MS)
				m |= C(b);
	}
	return m;
}

static void on_alert(void *ctx, const dp_det_alert *a)
{
	sim_t *s = ctx;
	int64_t di64 = dev_lookup(s, a->device);
	uint32_t di = di64 < 0 ? NONE32 : (uint32_t)di64;
	int measured = a->t_ms >= T0_S * 1000;
	phase_t *ph = &s->ph[measured];
	int rule = a->rule >= 0 && a->rule < DP_R_COUNT ? a->rule : 0;
	ph->alerts++;
	ph->alerts_rule[rule]++;
	if (a->page) {
		ph->pages++;
		ph->pages_rule[rule]++;
	} else {
		ph->nonpage++;
	}
	int ai = di == NONE32 ? -1 : atk_of(s, di, a->t_ms);
	if (ai >= 0) {
		attack_t *A = &s->atk[ai];
		A->rule_alerts[rule]++;
		if (!A->t_alert) {
			A->t_alert = a->t_ms;
			A->first_alert_rule = rule;
		}
		if (a->page) {
			A->rule_pages[rule]++;
			if (!A->t_page) {
				A->t_page = a->t_ms;
				A->page_rule = rule;
				A->page_malicious = s->cur_atk == ai;
			}
		}
		if (a->would != DP_DET_NONE && !A->t_would)
			A->t_would = a->t_ms;
		if (a->action != DP_DET_NONE && !A->t_act)
			A->t_act = a->t_ms;
		if (a->action == DP_DET_SUSPEND && !A->t_susp)
			A->t_susp = a->t_ms;
	} else if (measured) {
		cause_set cause = (cause_set)(s->cur_cause | (di != NONE32 ? recent_causes(s, di, a->t_ms) : 0));
		if (a->page) {
			s->fp_pages++;
			s->fp_rule[rule]++;
			s->fp_withheld += a->withheld != DP_DET_WH_NONE;
			if (di != NONE32 && s->dev[di].officer != NONE32) {
				int cl = officer_class(s, s->dev[di].officer);
				s->fp_class[cl]++;
				s->fp_class_rule[cl][rule]++;
			}
			int any = 0;
			for (int b = 0; b < CB_COUNT; b++)
				if (cause & C(b))
					s->fp_cause[b]++, any = 1;
			if (!any)
				s->fp_cause[CB_COUNT]++;
		} else {
			s->fp_nonpage++;
			s->fp_nonpage_rule[rule]++;
		}
		if ((a->page || s->report_only) && s->nsamples < NSAMPLES && s->nsamples_rule[rule] < 5) {
			s->nsamples_rule[rule]++;
			sample_t *x = &s->samples[s->nsamples++];
			x->t = a->t_ms;
			x->rule = rule;
			x->page = a->page;
			x->action = a->action;
			x->would = a->would;
			x->withheld = a->withheld;
			x->cause = cause;
			snprintf(x->post, sizeof x->post, "%s", a->post);
			snprintf(x->officer, sizeof x->officer, "%s", a->officer);
			snprintf(x->detail, sizeof x->detail, "%s", a->detail);
		}
	}
	/* the switch's side of a suspension: durable, time-boxed; an operator confirms it for a
	 * device under attack; otherwise it lapses after suspend.seconds */
	if (a->action == DP_DET_SUSPEND && di != NONE32) {
		device_t *d = &s->dev[di];
		d->susp = 1;
		d->susp_gen++;
		if (ai >= 0) {
			d->confirmed = 1;
		} else {
			if (measured) {
				s->wrong_susp++;
				if (!d->wrongly_susp)
					s->wrong_susp_devices++;
				d->wrongly_susp = 1;
			}
			push_ev(s, a->t_ms + s->cfg.p[DP_P_SUSPEND_SECONDS] * 1000, H_LAPSE, 0, di, d->susp_gen, 0, 0);
		}
	}
}

static int feed(sim_t *s, uint32_t di, int kind, int64_t t, uint32_t net, uint32_t cable, int refetch,
		uint32_t subject, cause_set cause, int atk)
{
	dp_det_event e;
	memset(&e, 0, sizeof e);
	e.kind = kind;
	e.t_ms = t;
	device_t *d = &s->dev[di];
	memcpy(e.device, d->id, 32);
	make_addr(s, net, di, e.addr);
	if (kind == DP_DET_FETCH || kind == DP_DET_NOT_ADDRESSED) {
		const cable_t *c = &s->cab[cable];
		e.cable_seq = (int64_t)cable + 1;
		e.cable_accepted = c->acc;
		e.refetch = refetch;
		e.decoy = c->decoy;
		/* every device in the simulation is a recipient of the cables it fetches, and
		   acknowledges nothing before fetching it: its first fetch is the delivery */
		e.queued = kind == DP_DET_FETCH && !refetch && !c->decoy;
		e.flash = c->flash;
	}
	if (kind == DP_DET_KEYREQ)
		memcpy(e.subject, s->dev[subject].id, 32);
	s->cur_dev = di;
	s->cur_cause = cause;
	s->cur_atk = atk;
	s->cur_t = t;
	for (int b = 0; b < CB_COUNT; b++)
		if (cause & C(b))
			d->cause_t[b] = t;
	double t0 = bench_now();
	int v = dp_det_feed(s->det, &e);
	s->feed_s += bench_now() - t0;
	s->events_total++;
	if (v < 0) {
		s->feed_errors++;
		v = DP_DET_ALLOW;
	}
	int measured = t >= T0_S * 1000;
	phase_t *ph = &s->ph[measured];
	ph->events++;
	switch (kind) {
	case DP_DET_FETCH:
		if (refetch)
			ph->refetch++;
		else
			ph->first_fetch++;
		break;
	case DP_DET_OTHER: ph->other++; break;
	case DP_DET_KEYREQ: ph->keyreq++; break;
	case DP_DET_DENIED: ph->denied++; break;
	case DP_DET_NOT_ADDRESSED: ph->notaddr++; break;
	default: break;
	}
	if (atk < 0 && measured) {
		if (kind == DP_DET_FETCH && !refetch && s->cab[cable].flash) {
			s->benign_flash++;
			s->benign_flash_throttled += v == DP_DET_THROTTLED;
			s->benign_flash_blocked += v == DP_DET_BLOCKED;
		}
		if (v != DP_DET_ALLOW) {
			if (atk_of(s, di, t) >= 0 || (d->attack >= 0 && s->atk[d->attack].started)) {
				s->owner_refused++;
			} else if (kind == DP_DET_FETCH) {
				if (v == DP_DET_THROTTLED)
					s->benign_fetch_throttled++;
				else
					s->benign_fetch_blocked++;
				if (!d->throttled_ever)
					s->benign_devices_throttled++;
				d->throttled_ever = 1;
			} else {
				s->benign_other_refused++;
			}
		}
		if (kind == DP_DET_FETCH && v == DP_DET_ALLOW && d->officer != NONE32) {
			officer_t *o = &s->off[d->officer];
			int64_t hn = t / HOUR_MS, dn = t / (DAY_S * 1000);
			if (hn != o->hour_no) {
				if (o->hour_cnt)
					s->hist_hour[o->hour_cnt < HIST_MAX ? o->hour_cnt : HIST_MAX - 1]++;
				o->hour_no = hn, o->hour_cnt = 0;
			}
			if (dn != o->day_no) {
				if (o->day_cnt)
					s->hist_day[o->day_cnt < HIST_MAX ? o->day_cnt : HIST_MAX - 1]++;
				o->day_no = dn, o->day_cnt = 0;
			}
			o->hour_cnt++, o->day_cnt++;
		}
	}
	return v;
}

/* ---------------------------------------------------------- benign actors */

static uint32_t pick_net(sim_t *s, const device_t *d, rng_t *r)
{
	const post_t *P = &s->post[s->off[d->officer].post];
	if (P->nnets > 1 && runif(r) < RV(R_NET_OTHER)) {
		uint32_t n = P->nets[rbelow(r, (uint32_t)P->nnets)];
		return n;
	}
	return d->home_net;
}

static void add_session(sim_t *s, uint32_t di, int64_t a, int64_t b, uint32_t net, cause_set cause, rng_t *r)
{
	if (b <= a)
		return;
	uint32_t si = sess_new(s);
	session_t *se = &s->sess[si];
	se->dev = di;
	se->net = net;
	se->end = b;
	se->cause = cause;
	se->r = rseed(rnext(r), di, (uint64_t)a, 0x5E55);
	push_ev(s, a + (int64_t)rbelow(r, 60000), H_POLL, DP_DET_OTHER, di, si, net, cause);
}

/* a burst of re-fetches by a benign device */
static void refetch_burst(sim_t *s, uint32_t di, int64_t tb, uint32_t net, cause_set cause, int deep, rng_t *r)
{
	device_t *d = &s->dev[di];
	int64_t tbs = tb / 1000;
	uint32_t lo, hi;
	if (deep) {
		lo = 0;
		hi = arch_lower(s, d, tbs - (int64_t)RV(R_DEEP_AGE) * DAY_S);
	} else {
		lo = arch_lower(s, d, tbs - (int64_t)rates[R_REFETCH_AGE].hi * DAY_S);
		hi = arch_lower(s, d, tbs - (int64_t)rates[R_REFETCH_AGE].lo * DAY_S);
	}
	if (hi <= lo)
		return;
	int n = deep ? rrate_int(r, R_DEEP_N) : rrate_int(r, R_REFETCH_N);
	int64_t t = tb;
	if (deep) { /* from the archive listing: decoys included */
		cause |= C(CB_REFETCH_DEEP);
		s->beh[CB_REFETCH_DEEP] += tb >= T0_S * 1000;
		for (int k = 0; k < n; k++) {
			uint32_t pos = lo + rbelow(r, hi - lo);
			push_ev(s, t, H_SINGLE, DP_DET_FETCH, di, pos, net, cause);
			t += (int64_t)(rrate(r, R_DEEP_GAP) * 1000);
		}
		return;
	}
	/* recent: only cables this device already has (its inbox history; no decoys) */
	uint32_t *cand = xcalloc(hi - lo, sizeof *cand);
	uint32_t nc = 0;
	for (uint32_t p = lo; p < hi; p++)
		if (d->arch[p] & FETCHED)
			cand[nc++] = p;
	if (nc < (uint32_t)rates[R_REFETCH_N].lo) {
		free(cand);
		return;
	}
	if ((uint32_t)n > nc)
		n = (int)nc;
	if (runif(r) < RV(R_REFETCH_SCRIPT)) { /* client re-sync: the newest n, in order, machine speed */
		cause |= C(CB_REFETCH_SCRIPT);
		s->beh[CB_REFETCH_SCRIPT] += tb >= T0_S * 1000;
		for (uint32_t k = nc - (uint32_t)n; k < nc; k++) {
			push_ev(s, t, H_SINGLE, DP_DET_FETCH, di, cand[k], net, cause);
			t += (int64_t)(rrate(r, R_REFETCH_SCRIPT_GAP) * 1000);
		}
	} else { /* by hand, random order */
		cause |= C(CB_REFETCH_HAND);
		s->beh[CB_REFETCH_HAND] += tb >= T0_S * 1000;
		for (int k = 0; k < n; k++) {
			uint32_t j = (uint32_t)k + rbelow(r, nc - (uint32_t)k);
			uint32_t x = cand[k];
			cand[k] = cand[j];
			cand[j] = x;
			push_ev(s, t, H_SINGLE, DP_DET_FETCH, di, cand[k], net, cause);
			t += (int64_t)(rrate(r, R_REFETCH_HAND_GAP) * 1000);
		}
	}
	free(cand);
}

static uint32_t random_real_device(sim_t *s, uint32_t post, rng_t *r)
{
	const post_t *P = &s->post[post];
	const officer_t *o = &s->off[P->o0 + rbelow(r, P->nof)];
	return o->dev[rbelow(r, o->ndev)];
}

/* Back online after outage k (its last day was L - 1): note whether a restart fell in it. */
static void outage_over(sim_t *s, officer_t *o, int L)
{
	int64_t a = INT64_MIN, b = local_ms(L, s->post[o->post].off_s, 0);
	for (int k = 0; k < o->nout; k++)
		if (o->out[k][1] <= L && local_ms(o->out[k][0], s->post[o->post].off_s, 0) > a)
			a = local_ms(o->out[k][0], s->post[o->post].off_s, 0);
	int restarted = 0;
	for (uint32_t i = 0; i < s->nrestart; i++)
		restarted |= s->restart_t[i] >= a && s->restart_t[i] < b;
	for (int j = 0; j < o->ndev; j++) {
		s->dev[o->dev[j]].outage_return = 1;
		s->dev[o->dev[j]].outage_restarted = (uint8_t)restarted;
	}
}

/* a records device's day: its client polls day and night, unless it is down for maintenance */
static void records_day(sim_t *s, uint32_t oi, int L)
{
	officer_t *o = &s->off[oi];
	if (outage_on(o, L) >= 0) {
		o->away = 3;
		return;
	}
	rng_t r = rseed(s->seed, 0xDA7, oi, (uint64_t)(L + 100000));
	cause_set cause = 0;
	device_t *d = &s->dev[o->dev[0]];
	if (o->away) {
		cause = C(CB_OUTAGE_RET);
		o->away = 0;
		d->pending_return = 1;
		outage_over(s, o, L);
	}
	if (L >= 0) {
		s->active_officer_days++;
		s->class_days[officer_class(s, oi)]++;
		s->beh[CB_OUTAGE_RET] += cause != 0;
	}
	int32_t off = s->post[o->post].off_s;
	add_session(s, o->dev[0], local_ms(L, off, 0), local_ms(L, off, 24), d->home_net, cause, &r);
}

/* one officer's local day L */
static void gen_officer_day(sim_t *s, uint32_t oi, int L)
{
	officer_t *o = &s->off[oi];
	if (o->records) {
		records_day(s, oi, L);
		return;
	}
	const post_t *P = &s->post[o->post];
	rng_t r = rseed(s->seed, 0xDA7, oi, (uint64_t)(L + 100000));
	uint16_t dest = 0;
	int flight = 0;
	int ivt = o->niv ? in_iv(s, o, L, &dest, &flight) : 0;
	if (flight)
		return; /* flying to or from another post: no requests that day */
	if (ivt == IV_LONG) {
		o->away = 2;
		return;
	}
	if (o->nout && outage_on(o, L) >= 0) { /* the post is offline: none of its devices connects */
		if (o->away != 2)
			o->away = 3;
		return;
	}
	if (ivt == IV_LEAVE) {
		if (o->away != 2)
			o->away = 1;
		return;
	}
	int wd = weekday(L);
	cause_set cause = 0;
	int32_t offs = P->off_s;
	uint32_t travel_net = NONE32;
	if (ivt == IV_TRAVEL) {
		if (dest == VPN_DEST) {
			cause |= C(CB_TRAVEL_VPN);
			travel_net = s->vpn_net[rbelow(&r, 2)];
		} else {
			const post_t *D = &s->post[dest];
			cause |= C(CB_TRAVEL_POST);
			offs = D->off_s;
			travel_net = D->nets[rbelow(&r, (uint32_t)D->nnets)];
		}
	}
	int work = wd < 5 ? runif(&r) >= RV(R_ABSENT_DAY) : runif(&r) < RV(R_WEEKEND_WORK);
	if (!work)
		return;
	if (o->away) {
		cause |= o->away == 1 ? C(CB_LEAVE_RET) : o->away == 2 ? C(CB_DORMANT_RET) : C(CB_OUTAGE_RET);
		if (o->away == 3)
			outage_over(s, o, L);
		o->away = 0;
	}
	if (P->ncrisis && is_crisis(P, L))
		cause |= C(CB_CRISIS);
	double st, en, la = 0, lb = 0;
	int lunch = 0;
	if (wd >= 5) {
		cause |= C(CB_WEEKEND);
		st = rrange(&r, 9.5, 15);
		en = st + rrate(&r, R_WEEKEND_HOURS);
	} else {
		st = o->hs + RV(R_START_DAY_SD) * rnorm(&r);
		en = o->he + RV(R_END_DAY_SD) * rnorm(&r);
		if (cause & C(CB_CRISIS))
			en += rrate(&r, R_CRISIS_STAY);
		if (en < st + 3)
			en = st + 3;
		la = rrate(&r, R_LUNCH_AT);
		lb = la + rrate(&r, R_LUNCH_MIN) / 60.0;
		lunch = la > st + 0.5 && lb < en - 0.5;
	}
	if (L >= 0) {
		s->active_officer_days++;
		s->class_days[officer_class(s, oi)]++;
		for (int b = 0; b < CB_COUNT; b++)
			if (cause & C(b))
				s->beh[b]++;
	}
	int64_t tst = local_ms(L, offs, st), ten = local_ms(L, offs, en);
	uint32_t pnet = NONE32;
	for (int j = 0; j < o->ndev; j++) {
		uint32_t di = o->dev[j];
		device_t *d = &s->dev[di];
		if (j && ivt == IV_TRAVEL)
			continue; /* the second device stays at the post */
		uint32_t net = travel_net != NONE32 ? travel_net : pick_net(s, d, &r);
		cause_set dc = (cause_set)(cause | (j ? C(CB_SECONDARY) : 0) |
					 (net != d->home_net && travel_net == NONE32 ? C(CB_NET_OTHER) : 0));
		s->beh[CB_NET_OTHER] += L >= 0 && (dc & C(CB_NET_OTHER));
		if (cause & (C(CB_LEAVE_RET) | C(CB_DORMANT_RET) | C(CB_OUTAGE_RET)))
			d->pending_return = 1;
		if (j == 0) {
			pnet = net;
			if (lunch) {
				add_session(s, di, tst, local_ms(L, offs, la), net, dc, &r);
				add_session(s, di, local_ms(L, offs, lb), ten, net, dc, &r);
			} else {
				add_session(s, di, tst, ten, net, dc, &r);
			}
		} else if (runif(&r) < RV(R_SECOND_ONLINE)) {
			s->beh[CB_SECONDARY] += L >= 0;
			double a = rrange(&r, st, en - 1 > st ? en - 1 : st);
			double b = a + rrate(&r, R_SECOND_HOURS);
			if (b > en)
				b = en;
			add_session(s, di, local_ms(L, offs, a), local_ms(L, offs, b), net, dc, &r);
		}
	}
	uint32_t d0 = o->dev[0];
	if (wd < 5 && runif(&r) < RV(R_LATE)) {
		s->beh[CB_LATE] += L >= 0;
		double a = rrange(&r, 21.5, 23.5);
		uint32_t net = runif(&r) < RV(R_LATE_VPN) ? s->vpn_net[rbelow(&r, 2)] : pnet;
		add_session(s, d0, local_ms(L, offs, a), local_ms(L, offs, a + rrate(&r, R_LATE_MIN) / 60.0), net,
			    (cause_set)(cause | C(CB_LATE)), &r);
	}
	if (runif(&r) < RV(R_DENIED)) {
		s->beh[CB_DENIED] += L >= 0;
		push_ev(s, tst + (int64_t)(runif(&r) * (double)(ten - tst)), H_SINGLE, DP_DET_DENIED, d0, 0, pnet,
			(cause_set)(cause | C(CB_DENIED)));
	}
	if (runif(&r) < RV(R_NOTADDR)) {
		int n = rrate_int(&r, R_NOTADDR_N);
		s->beh[CB_NOTADDR] += L >= 0;
		int64_t t = tst + (int64_t)(runif(&r) * (double)(ten - tst));
		uint32_t ci = s->ncab ? rbelow(&r, s->ncab) : 0;
		for (int g = 0; g < 100 && s->ncab && (s->cab[ci].acc * 1000 > t || s->cab[ci].decoy || arch_has(&s->dev[d0], ci));
		     g++)
			ci = rbelow(&r, s->ncab);
		for (int k = 0; k < n && s->ncab; k++, t += (int64_t)rrange(&r, 20000, 90000))
			push_ev(s, t, H_SINGLE, DP_DET_NOT_ADDRESSED, d0, ci, pnet, (cause_set)(cause | C(CB_NOTADDR)));
	}
	if (runif(&r) < RV(R_SENDER)) {
		int n = rrate_int(&r, R_KEYREQS);
		s->beh[CB_KEYREQ] += L >= 0;
		for (int k = 0; k < n; k++) {
			uint32_t subj = random_real_device(s, runif(&r) < 0.5 ? o->post : s->hq, &r);
			push_ev(s, tst + (int64_t)(runif(&r) * (double)(ten - tst)), H_SINGLE, DP_DET_KEYREQ, d0, subj,
				pnet, (cause_set)(cause | C(CB_KEYREQ)));
		}
	}
	if (runif(&r) < RV(R_REFETCH_RECENT))
		refetch_burst(s, d0, tst + (int64_t)(runif(&r) * (double)(ten - tst)), pnet, cause, 0, &r);
	if (runif(&r) < RV(R_REFETCH_DEEP))
		refetch_burst(s, d0, tst + (int64_t)(runif(&r) * (double)(ten - tst)), pnet, cause, 1, &r);
}

static void note_delay(sim_t *s, int64_t t_ms, const cable_t *c)
{
	if (t_ms < T0_S * 1000)
		return;
	if ((s->delay_n++ & 15) != 0)
		return;
	if (s->ndelay == s->cap_delay) {
		s->cap_delay = s->cap_delay ? s->cap_delay * 2 : 65536;
		s->delay_s = xrealloc(s->delay_s, s->cap_delay, sizeof *s->delay_s);
	}
	int64_t dl = t_ms / 1000 - c->acc;
	s->delay_s[s->ndelay++] = (uint32_t)(dl < 0 ? 0 : dl);
}

static void do_poll(sim_t *s, const hitem_t *it)
{
	session_t *se = &s->sess[it->arg];
	uint32_t di = se->dev;
	device_t *d = &s->dev[di];
	int v = feed(s, di, DP_DET_OTHER, it->t, se->net, 0, 0, 0, se->cause, -1);
	if (v == DP_DET_ALLOW && !d->syncing) {
		/* pending: cables queued for the device (never decoys) accepted by now */
		int64_t ts = it->t / 1000;
		while (d->ptr < d->narch &&
		       ((d->arch[d->ptr] & FETCHED) || s->cab[d->arch[d->ptr] & CABLE_MASK].decoy))
			d->ptr++;
		uint32_t pend = 0;
		for (uint32_t p = d->ptr; p < d->narch && s->cab[d->arch[p] & CABLE_MASK].acc <= ts; p++)
			pend += !(d->arch[p] & FETCHED) && !s->cab[d->arch[p] & CABLE_MASK].decoy;
		if (pend) {
			d->syncing = 1;
			d->sync_net = se->net;
			d->sync_cause = (cause_set)(se->cause | (pend > 100 ? C(CB_BIG_SYNC) : 0));
			s->beh[CB_BIG_SYNC] += pend > 100 && it->t >= T0_S * 1000;
			if (d->pending_return && it->t >= T0_S * 1000 && d->outage_return) {
				if (s->nobacklog == s->cap_obacklog) {
					s->cap_obacklog = s->cap_obacklog ? s->cap_obacklog * 2 : 256;
					s->obacklog = xrealloc(s->obacklog, s->cap_obacklog, sizeof *s->obacklog);
				}
				s->obacklog[s->nobacklog++] = pend;
				s->obacklog_restarted += d->outage_restarted;
			} else if (d->pending_return && it->t >= T0_S * 1000) {
				if (s->nbacklog == s->cap_backlog) {
					s->cap_backlog = s->cap_backlog ? s->cap_backlog * 2 : 256;
					s->backlog = xrealloc(s->backlog, s->cap_backlog, sizeof *s->backlog);
				}
				s->backlog[s->nbacklog++] = pend;
			}
			push_ev(s, it->t + (int64_t)(rrate(&se->r, R_SYNC_GAP_S) * 1000), H_SYNC, DP_DET_FETCH, di,
				0, se->net, d->sync_cause);
		}
	}
	d->pending_return = 0;
	d->outage_return = 0;
	int64_t next = it->t + (int64_t)(rrate(&se->r, R_POLL_MIN) * 60000);
	if (next < se->end)
		push_ev(s, next, H_POLL, DP_DET_OTHER, di, it->arg, se->net, se->cause);
	else
		sess_free(s, it->arg);
}

static void do_sync(sim_t *s, const hitem_t *it)
{
	uint32_t di = it->dev;
	device_t *d = &s->dev[di];
	int64_t ts = it->t / 1000;
	while (d->ptr < d->narch && ((d->arch[d->ptr] & FETCHED) || s->cab[d->arch[d->ptr] & CABLE_MASK].decoy))
		d->ptr++;
	if (d->ptr >= d->narch || s->cab[d->arch[d->ptr] & CABLE_MASK].acc > ts) {
		d->syncing = 0;
		return;
	}
	uint32_t ci = d->arch[d->ptr] & CABLE_MASK;
	int v = feed(s, di, DP_DET_FETCH, it->t, d->sync_net, ci, 0, 0, d->sync_cause, -1);
	if (v != DP_DET_ALLOW) { /* 429/403: the client stops; the next poll retries */
		d->syncing = 0;
		return;
	}
	note_delay(s, it->t, &s->cab[ci]);
	d->arch[d->ptr] |= FETCHED;
	d->ptr++;
	rng_t r = rseed(s->seed, di, (uint64_t)it->t, 0x5111C);
	push_ev(s, it->t + (int64_t)(rrate(&r, R_SYNC_GAP_S) * 1000), H_SYNC, DP_DET_FETCH, di, 0, d->sync_net,
		d->sync_cause);
}

static void do_single(sim_t *s, const hitem_t *it)
{
	uint32_t di = it->dev;
	device_t *d = &s->dev[di];
	switch (it->kind) {
	case DP_DET_FETCH: {
		if (it->arg >= d->narch)
			return;
		uint32_t ci = d->arch[it->arg] & CABLE_MASK;
		int refetch = (d->arch[it->arg] & FETCHED) != 0;
		int v = feed(s, di, DP_DET_FETCH, it->t, it->net, ci, refetch, 0, it->cause, -1);
		if (v == DP_DET_ALLOW)
			d->arch[it->arg] |= FETCHED;
		break;
	}
	case DP_DET_KEYREQ: feed(s, di, DP_DET_KEYREQ, it->t, it->net, 0, 0, it->arg, it->cause, -1); break;
	case DP_DET_NOT_ADDRESSED:
		feed(s, di, DP_DET_NOT_ADDRESSED, it->t, it->net, it->arg, 0, 0, it->cause, -1);
		break;
	default: feed(s, di, it->kind, it->t, it->net, 0, 0, 0, it->cause, -1); break;
	}
}

/* ---------------------------------------------------------------- attacks */

static void plan_add(attack_t *A, uint32_t *cap, int64_t t, int kind, uint32_t arg)
{
	if (A->nplan == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		A->plan = xrealloc(A->plan, *cap, sizeof *A->plan);
	}
	A->plan[A->nplan++] = (step_t){t, (uint8_t)kind, arg};
}

static void shuffle32(uint32_t *v, uint32_t n, rng_t *r)
{
	for (uint32_t i = n; i > 1; i--) {
		uint32_t j = rbelow(r, i);
		uint32_t x = v[i - 1];
		v[i - 1] = v[j];
		v[j] = x;
	}
}

/* pick a victim device at a random post: an officer who is not away for long */
static int pick_victim(sim_t *s, attack_t *A, rng_t *r, int primary)
{
	for (int tries = 0; tries < 1000; tries++) {
		uint32_t p = rbelow(r, s->nposts);
		const post_t *P = &s->post[p];
		uint32_t oi = P->o0 + rbelow(r, P->nof);
		const officer_t *o = &s->off[oi];
		int bad = 0;
		for (uint32_t i = 0; i < o->niv; i++)
			if (s->iv[o->iv0 + i].type == IV_LONG && s->iv[o->iv0 + i].b > -s->warmup)
				bad = 1;
		uint32_t di = o->dev[primary ? 0 : rbelow(r, o->ndev)];
		if (bad || s->dev[di].attack >= 0 || s->dev[di].narch < 200)
			continue;
		A->dev = di;
		A->post = p;
		return 0;
	}
	return -1;
}

/* a working weekday of the victim's post in [d0, d1) */
static int pick_workday(const sim_t *s, const post_t *P, rng_t *r, int d0, int d1)
{
	(void)s;
	(void)P;
	for (int tries = 0; tries < 100; tries++) {
		int day = d0 + (int)rbelow(r, (uint32_t)(d1 > d0 ? d1 - d0 : 1));
		if (weekday(day) < 5)
			return day;
	}
	return d0;
}

static void setup_attacks(sim_t *s)
{
	s->atk = xcalloc((size_t)A_NTYPES * (size_t)s->k_attacks, sizeof *s->atk);
	int64_t span = (int64_t)s->days * DAY_S;
	for (int type = 0; type < A_NTYPES; type++) {
		if (!(s->types_mask & (1u << type)))
			continue;
		for (int k = 0; k < s->k_attacks; k++) {
			attack_t *A = &s->atk[s->natk];
			memset(A, 0, sizeof *A);
			A->type = type;
			A->k = k;
			rng_t r = rseed(s->seed, 0xA77AC, (uint64_t)type, (uint64_t)k);
			int primary = type == A_SLOW_DRIP || type == A_INSIDER_SWEEP;
			if (pick_victim(s, A, &r, primary) < 0)
				continue;
			const device_t *d = &s->dev[A->dev];
			const officer_t *o = &s->off[d->officer];
			const post_t *P = &s->post[A->post];
			A->variant = (int)rbelow(&r, 6);
			switch (type) {
			case A_STOLEN_BULK:
			case A_FOREIGN_CREDS:
			case A_DECOY_TOUCH: {
				int64_t lo = 3600, hi = span - 3 * 3600;
				A->t_start = (T0_S + lo + (int64_t)(runif(&r) * (double)(hi > lo ? hi - lo : 1))) * 1000;
				break;
			}
			case A_INSIDER_SWEEP: {
				int day = pick_workday(s, P, &r, 0, s->days);
				A->t_start = local_ms(day, P->off_s, rrange(&r, o->hs + 0.5, o->he - 2.5 > o->hs + 0.5 ? o->he - 2.5 : o->hs + 1));
				break;
			}
			case A_SLOW_DRIP: {
				int nd = rrate_int(&r, A_DRIP_DAYS);
				int last = s->days - nd - 2;
				int day = pick_workday(s, P, &r, 0, last > 1 ? last : 1);
				A->t_start = local_ms(day, P->off_s, o->hs + 0.5);
				A->variant = nd; /* working days */
				break;
			}
			default: break;
			}
			/* the network: a cloned key abroad, or the post's own network */
			if (type == A_FOREIGN_CREDS || (type == A_STOLEN_BULK && (k & 1) == 0))
				A->net = s->foreign0 + rbelow(&r, s->nforeign);
			else
				A->net = d->home_net;
			s->dev[A->dev].attack = (int32_t)s->natk;
			push_ev(s, A->t_start, H_ATK_START, 0, A->dev, s->natk, A->net, 0);
			s->natk++;
		}
	}
}

static void attack_plan(sim_t *s, attack_t *A, int64_t t0)
{
	device_t *d = &s->dev[A->dev];
	const officer_t *o = &s->off[d->officer];
	const post_t *P = &s->post[A->post];
	rng_t r = rseed(s->seed, 0xB1A7, (uint64_t)A->type, (uint64_t)A->k);
	uint32_t cap = 0;
	int64_t t0s = t0 / 1000;
	uint32_t navail = arch_lower(s, d, t0s + 1); /* archive entries accepted by t0 */
	int64_t t = t0;
	char netbuf[64];
	net_text(&s->net[A->net], netbuf, sizeof netbuf);
	switch (A->type) {
	case A_STOLEN_BULK: {
		/* list the inbox, then every archived cable at machine speed (ascending, descending
		 * or random order); decoys in the archive are fetched like the rest */
		plan_add(A, &cap, t, DP_DET_OTHER, 0);
		t += (int64_t)rrange(&r, 1000, 5000);
		uint32_t *ord = xcalloc(navail, sizeof *ord);
		for (uint32_t i = 0; i < navail; i++)
			ord[i] = i;
		int order = A->variant % 3;
		if (order == 1)
			for (uint32_t i = 0; i < navail / 2; i++) {
				uint32_t x = ord[i];
				ord[i] = ord[navail - 1 - i];
				ord[navail - 1 - i] = x;
			}
		else if (order == 2)
			shuffle32(ord, navail, &r);
		for (uint32_t i = 0; i < navail; i++) {
			plan_add(A, &cap, t, DP_DET_FETCH, ord[i]);
			t += (int64_t)rrate(&r, A_BULK_GAP_MS);
		}
		free(ord);
		snprintf(A->desc, sizeof A->desc, "cloned key, %u archived cables %s from %s (%s)", navail,
			 order == 0 ? "oldest first" : order == 1 ? "newest first" : "in random order", netbuf,
			 s->net[A->net].post == -2 ? "foreign" : "post network");
		break;
	}
	case A_SLOW_DRIP: {
		/* deep archive (older than deep.age), random order, 2-6 an hour in the insider's
		 * working hours over several working days */
		uint32_t deep = arch_lower(s, d, t0s - (int64_t)RV(R_DEEP_AGE) * DAY_S);
		uint32_t *ord = xcalloc(deep ? deep : 1, sizeof *ord);
		for (uint32_t i = 0; i < deep; i++)
			ord[i] = i;
		shuffle32(ord, deep, &r);
		double rate = rrate(&r, A_DRIP_PER_HOUR);
		int day = local_day(t0s, P->off_s), left = A->variant;
		uint32_t used = 0;
		while (left > 0 && used < deep) {
			if (weekday(day) < 5) {
				int64_t a = local_ms(day, P->off_s, o->hs + 0.5), b = local_ms(day, P->off_s, o->he - 0.5);
				if (a < t0)
					a = t0;
				for (double x = (double)a + -log(1 - runif(&r)) / rate * 3600000.0; x < (double)b && used < deep;
				     x += -log(1 - runif(&r)) / rate * 3600000.0)
					plan_add(A, &cap, (int64_t)x, DP_DET_FETCH, ord[used++]);
				left--;
			}
			day++;
		}
		free(ord);
		snprintf(A->desc, sizeof A->desc, "insider, %u deep cables at %.1f/h over %d working days from %s",
			 A->nplan, rate, A->variant, netbuf);
		break;
	}
	case A_INSIDER_SWEEP: {
		/* in seq order from a random point, a fetch every 5-30 s, and a few probes of
		 * cables not addressed to the device in the first 15 minutes */
		int n = rrate_int(&r, A_SWEEP_N);
		int asc = A->variant & 1;
		uint32_t start = navail ? rbelow(&r, navail) : 0;
		if (asc && navail - start < (uint32_t)n)
			start = navail > (uint32_t)n ? navail - (uint32_t)n - rbelow(&r, navail - (uint32_t)n) : 0;
		if (!asc && start < (uint32_t)n)
			start = navail > (uint32_t)n ? (uint32_t)n + rbelow(&r, navail - (uint32_t)n) : navail - 1;
		int probes = rrate_int(&r, A_SWEEP_PROBES);
		int64_t *pt = xcalloc((size_t)probes, sizeof *pt);
		for (int i = 0; i < probes; i++)
			pt[i] = t0 + (int64_t)rrange(&r, 20000, 15 * 60000);
		int pi = 0;
		uint32_t pos = start;
		for (int i = 0; i < n && pos < navail; i++) {
			while (pi < probes) { /* probes whose time has come */
				int found = -1;
				for (int j = 0; j < probes; j++)
					if (pt[j] >= 0 && pt[j] <= t)
						found = j;
				if (found < 0)
					break;
				uint32_t ci;
				int g = 0;
				do
					ci = rbelow(&r, (uint32_t)(s->ncab < 1 ? 1 : s->ncab));
				while ((arch_has(d, ci) || s->cab[ci].acc > t0s) && ++g < 100);
				plan_add(A, &cap, t, DP_DET_NOT_ADDRESSED, ci);
				t += (int64_t)rrange(&r, 2000, 8000);
				pt[found] = -1;
				pi++;
			}
			plan_add(A, &cap, t, DP_DET_FETCH, pos);
			t += (int64_t)(rrate(&r, A_SWEEP_GAP_S) * 1000);
			if (asc)
				pos++;
			else if (pos == 0)
				break;
			else
				pos--;
		}
		free(pt);
		snprintf(A->desc, sizeof A->desc, "insider, %d cables %s from position %u/%u, %d probes, from %s", n,
			 asc ? "ascending" : "descending", start, navail, probes, netbuf);
		break;
	}
	case A_FOREIGN_CREDS: {
		plan_add(A, &cap, t, DP_DET_OTHER, 0);
		t += (int64_t)rrange(&r, 2000, 10000);
		uint32_t lo = arch_lower(s, d, t0s - 7 * DAY_S);
		int n = rrate_int(&r, A_FOREIGN_N);
		for (int i = 0; i < n && navail > lo; i++) {
			uint32_t pos = lo + rbelow(&r, navail - lo);
			if (s->cab[d->arch[pos] & CABLE_MASK].decoy)
				continue;
			plan_add(A, &cap, t, DP_DET_FETCH, pos);
			t += (int64_t)(rrate(&r, A_FOREIGN_GAP_S) * 1000);
		}
		snprintf(A->desc, sizeof A->desc, "cloned key, %u recent cables from %s (foreign)", A->nplan - 1,
			 netbuf);
		break;
	}
	case A_DECOY_TOUCH: {
		/* a few archive cables, one of them a decoy (or a KEYREQ for a decoy device) */
		uint32_t decoy_pos = NONE32;
		uint32_t nd = 0;
		for (uint32_t i = 0; i < navail; i++)
			if (s->cab[d->arch[i] & CABLE_MASK].decoy && rbelow(&r, ++nd) == 0)
				decoy_pos = i;
		int keyreq = (A->k & 1) || decoy_pos == NONE32;
		int n = rrate_int(&r, A_DECOY_N);
		int at = (int)rbelow(&r, (uint32_t)n);
		for (int i = 0; i < n; i++) {
			if (i == at) {
				if (keyreq)
					plan_add(A, &cap, t, DP_DET_KEYREQ, s->nreal_dev + rbelow(&r, s->ndev - s->nreal_dev));
				else
					plan_add(A, &cap, t, DP_DET_FETCH, decoy_pos);
			} else {
				uint32_t pos;
				int g = 0;
				do
					pos = rbelow(&r, navail ? navail : 1);
				while (s->cab[d->arch[pos] & CABLE_MASK].decoy && ++g < 100);
				plan_add(A, &cap, t, DP_DET_FETCH, pos);
			}
			t += (int64_t)(rrate(&r, A_DECOY_GAP_S) * 1000);
		}
		snprintf(A->desc, sizeof A->desc, "intruder on the device, %d requests, #%d %s, from %s", n, at + 1,
			 keyreq ? "a KEYREQ for a decoy device" : "a decoy cable", netbuf);
		break;
	}
	default: break;
	}
}

static void do_attack_step(sim_t *s, const hitem_t *it)
{
	attack_t *A = &s->atk[it->arg];
	device_t *d = &s->dev[A->dev];
	if (A->i >= A->nplan) {
		A->done = 1;
		return;
	}
	const step_t *st = &A->plan[A->i];
	if (!A->t_first)
		A->t_first = it->t;
	A->started = 1;
	A->t_last = it->t;
	int v;
	uint32_t ci = 0;
	int refetch = 0;
	switch (st->kind) {
	case DP_DET_FETCH:
		ci = d->arch[st->arg] & CABLE_MASK;
		refetch = (d->arch[st->arg] & FETCHED) != 0;
		v = feed(s, A->dev, DP_DET_FETCH, it->t, A->net, ci, refetch, 0, 0, (int)it->arg);
		A->attempts++;
		if (v == DP_DET_ALLOW) {
			d->arch[st->arg] |= FETCHED;
			if (!s->cab[ci].decoy) {
				A->obtained_total++;
				if (!A->t_contain)
					A->obtained_before++;
			}
		}
		break;
	case DP_DET_NOT_ADDRESSED:
		v = feed(s, A->dev, DP_DET_NOT_ADDRESSED, it->t, A->net, st->arg, 0, 0, 0, (int)it->arg);
		break;
	case DP_DET_KEYREQ: v = feed(s, A->dev, DP_DET_KEYREQ, it->t, A->net, 0, 0, st->arg, 0, (int)it->arg); break;
	default: v = feed(s, A->dev, DP_DET_OTHER, it->t, A->net, 0, 0, 0, 0, (int)it->arg); break;
	}
	if (v != DP_DET_ALLOW) {
		A->refused++;
		if (!A->t_contain)
			A->t_contain = it->t;
		if (v == DP_DET_BLOCKED && !A->t_susp)
			A->t_susp = it->t;
	}
	A->blocked_run = v == DP_DET_BLOCKED ? A->blocked_run + 1 : 0;
	A->i++;
	if (A->i < A->nplan && A->blocked_run < (uint32_t)RV(A_GIVE_UP)) {
		int64_t nt = A->plan[A->i].t > it->t ? A->plan[A->i].t : it->t;
		push_ev(s, nt, H_ATK_STEP, 0, A->dev, it->arg, A->net, 0);
	} else {
		A->done = 1;
	}
}

/* ------------------------------------------------------------ main loop */

static void register_all(sim_t *s);

/* The engine's counters of the whole run: the engines before the last restart, and this one. */
static void engine_stats(const sim_t *s, dp_det_stats *st)
{
	/* dp_det_stats is made of uint64_t counters only */
	_Static_assert(sizeof(dp_det_stats) % sizeof(uint64_t) == 0, "dp_det_stats: counters only");
	uint64_t now[sizeof(dp_det_stats) / sizeof(uint64_t)], prev[sizeof now / sizeof now[0]];
	dp_det_get_stats(s->det, (dp_det_stats *)now);
	memcpy(prev, &s->st_prev, sizeof prev);
	for (size_t i = 0; i < sizeof now / sizeof now[0]; i++)
		now[i] += prev[i];
	memcpy(st, now, sizeof now);
}

/*
 * The switch restarts: a new engine, registered from the directory as denpod
 * does at start (the switch's own suspensions are in it: those devices are
 * not active; throttles, baselines and windows are gone).
 */
static void restart(sim_t *s)
{
	engine_stats(s, &s->st_prev);
	dp_det_free(s->det);
	s->det = NULL;
	register_all(s);
	s->restarts_done++;
}

static void process(sim_t *s, int64_t until_ms)
{
	while (s->nheap && s->heap[0].t < until_ms) {
		hitem_t it = hpop(s);
		switch (it.type) {
		case H_POLL: do_poll(s, &it); break;
		case H_SYNC: do_sync(s, &it); break;
		case H_SINGLE: do_single(s, &it); break;
		case H_ATK_START: {
			attack_t *A = &s->atk[it.arg];
			attack_plan(s, A, it.t);
			if (A->nplan)
				push_ev(s, A->plan[0].t, H_ATK_STEP, 0, A->dev, it.arg, A->net, 0);
			else
				A->done = 1;
			break;
		}
		case H_ATK_STEP: do_attack_step(s, &it); break;
		case H_RESTART: restart(s); break;
		case H_LAPSE: {
			device_t *d = &s->dev[it.dev];
			if (d->susp && d->susp_gen == it.arg && !d->confirmed) {
				int r = dp_det_device_status(s->det, d->id, 1);
				if (r != 0)
					die_det("dp_det_device_status", r);
				d->susp = 0;
				s->lapses++;
			}
			break;
		}
		default: break;
		}
	}
}

static void drain(sim_t *s)
{
	s->nheap = 0; /* sessions and plans are freed with the sim */
}

/* ----------------------------------------------------------------- config */

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *b = xcalloc(cap, 1);
	for (;;) {
		if (n + 1 >= cap) {
			if (cap >= (size_t)2 << 20)
				break;
			cap *= 2;
			b = xrealloc(b, cap, 1);
		}
		size_t k = fread(b + n, 1, cap - n - 1, f);
		if (!k)
			break;
		n += k;
	}
	fclose(f);
	b[n] = 0;
	*len = n;
	return b;
}

static void build_config(sim_t *s)
{
	size_t flen = 0;
	char *ftext = NULL;
	if (s->config_path) {
		ftext = read_file(s->config_path, &flen);
		if (!ftext) {
			fprintf(stderr, "bench_scenario: %s: %s\n", s->config_path, strerror(errno));
			exit(2);
		}
	}
	size_t cap = flen + 64 + (size_t)s->nposts * 200 + 256, n = 0;
	char *t = xcalloc(cap, 1);
	if (ftext) {
		memcpy(t, ftext, flen);
		n = flen;
		if (n && t[n - 1] != '\n')
			t[n++] = '\n';
	}
	free(ftext);
	n += (size_t)snprintf(t + n, cap - n, "# generated by bench_scenario: the posts' networks and the VPN\n");
	for (uint32_t p = 0; p < s->nposts; p++) {
		const post_t *P = &s->post[p];
		n += (size_t)snprintf(t + n, cap - n, "network.%s = ", P->name);
		for (int k = 0; k < P->nnets; k++) {
			char b[64];
			net_text(&s->net[P->nets[k]], b, sizeof b);
			n += (size_t)snprintf(t + n, cap - n, "%s%s", k ? ", " : "", b);
		}
		n += (size_t)snprintf(t + n, cap - n, "\n");
	}
	char v4[64], v6[64];
	net_text(&s->net[s->vpn_net[0]], v4, sizeof v4);
	net_text(&s->net[s->vpn_net[1]], v6, sizeof v6);
	n += (size_t)snprintf(t + n, cap - n, "network.* = %s, %s\n", v4, v6);

	char err[512] = "";
	int r = dp_det_config_parse(&s->cfg, t, n, err, sizeof err);
	if (r != 0) {
		fprintf(stderr, "bench_scenario: config: %s (%s)\n", err, dp_strerror(r));
		free(t);
		exit(2);
	}
	if (s->report_only)
		for (int i = 0; i < DP_R_COUNT; i++)
			if (s->cfg.mode[i] != DP_DET_OFF)
				s->cfg.mode[i] = DP_DET_REPORT;
	s->config_text = t;
}

static void register_all(sim_t *s)
{
	int r = dp_det_new(&s->det, &s->cfg, on_alert, s);
	if (r != 0)
		die_det("dp_det_new", r);
	for (uint32_t p = 0; p < s->nposts; p++)
		if ((r = dp_det_post(s->det, s->post[p].name, s->post[p].off_s)) != 0)
			die_det("dp_det_post", r);
	for (uint32_t o = 0; o < s->noff; o++)
		if ((r = dp_det_officer(s->det, s->off[o].handle, s->post[s->off[o].post].name)) != 0)
			die_det("dp_det_officer", r);
	for (uint32_t i = 0; i < s->nreal_dev; i++)
		if ((r = dp_det_device(s->det, s->dev[i].id, s->off[s->dev[i].officer].handle, !s->dev[i].susp,
				       0)) != 0)
			die_det("dp_det_device", r);
	for (uint32_t i = s->nreal_dev; i < s->ndev; i++) {
		char h[32];
		uint32_t p = 0;
		for (uint32_t q = 0; q < s->nposts; q++)
			for (int k = 0; k < s->post[q].nnets; k++)
				if (s->post[q].nets[k] == s->dev[i].home_net)
					p = q;
		snprintf(h, sizeof h, "DECOY-%u", i - s->nreal_dev + 1);
		if ((r = dp_det_officer(s->det, h, s->post[p].name)) != 0)
			die_det("dp_det_officer (decoy)", r);
		if ((r = dp_det_device(s->det, s->dev[i].id, h, 1, 1)) != 0)
			die_det("dp_det_device (decoy)", r);
	}
}

/* ----------------------------------------------------------------- report */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}
static uint32_t pct_u32(const uint32_t *v, size_t n, double p)
{
	if (!n)
		return 0;
	size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}
static uint32_t hist_pct(const uint32_t *h, double p)
{
	uint64_t tot = 0, acc = 0;
	for (int i = 0; i < HIST_MAX; i++)
		tot += h[i];
	if (!tot)
		return 0;
	for (int i = 0; i < HIST_MAX; i++) {
		acc += h[i];
		if ((double)acc >= p / 100.0 * (double)tot)
			return (uint32_t)i;
	}
	return HIST_MAX - 1;
}
static uint32_t hist_max(const uint32_t *h)
{
	for (int i = HIST_MAX - 1; i >= 0; i--)
		if (h[i])
			return (uint32_t)i;
	return 0;
}

typedef struct {
	int n, paged, paged_5, contained, contained_10, suspended, alerted, would, acted, page_mal;
	double page[64], contain[64], susp[64], alert[64], wouldt[64], act[64];
	int npage, ncontain, nsusp, nalert, nwould, nact;
	uint32_t before[64], total[64];
	int nbefore;
	uint32_t rules_alert[DP_R_COUNT], rules_page[DP_R_COUNT];
} typestat_t;

static double dsec(int64_t a, int64_t b)
{
	return (double)(a - b) / 1000.0;
}

static void type_stats(const sim_t *s, int type, typestat_t *ts)
{
	memset(ts, 0, sizeof *ts);
	for (uint32_t i = 0; i < s->natk; i++) {
		const attack_t *A = &s->atk[i];
		if (A->type != type || !A->started)
			continue;
		ts->n++;
		if (A->t_alert && ts->nalert < 64)
			ts->alerted++, ts->alert[ts->nalert++] = dsec(A->t_alert, A->t_first);
		if (A->t_would && ts->nwould < 64)
			ts->would++, ts->wouldt[ts->nwould++] = dsec(A->t_would, A->t_first);
		if (A->t_act && ts->nact < 64)
			ts->acted++, ts->act[ts->nact++] = dsec(A->t_act, A->t_first);
		ts->page_mal += A->t_page && A->page_malicious;
		if (A->t_page && ts->npage < 64) {
			double x = dsec(A->t_page, A->t_first);
			ts->paged++;
			ts->paged_5 += x <= 300;
			ts->page[ts->npage++] = x;
		}
		if (A->t_contain && ts->ncontain < 64) {
			double x = dsec(A->t_contain, A->t_first);
			ts->contained++;
			ts->contained_10 += x <= 600;
			ts->contain[ts->ncontain++] = x;
		}
		if (A->t_susp && ts->nsusp < 64)
			ts->suspended++, ts->susp[ts->nsusp++] = dsec(A->t_susp, A->t_first);
		if (ts->nbefore < 64) {
			ts->before[ts->nbefore] = A->obtained_before;
			ts->total[ts->nbefore++] = A->obtained_total;
		}
		for (int r = 0; r < DP_R_COUNT; r++) {
			ts->rules_alert[r] += A->rule_alerts[r] > 0;
			ts->rules_page[r] += A->rule_pages[r] > 0;
		}
	}
}

static double dmed(const double *v, int n)
{
	if (!n)
		return -1;
	double t[64];
	memcpy(t, v, (size_t)n * sizeof *t);
	return bench_median(t, n);
}
static double dmax(const double *v, int n)
{
	double m = -1;
	for (int i = 0; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}
static uint32_t umed(const uint32_t *v, int n)
{
	if (!n)
		return 0;
	uint32_t t[64];
	memcpy(t, v, (size_t)n * sizeof *t);
	qsort(t, (size_t)n, sizeof *t, cmp_u32);
	return t[n / 2];
}
static uint32_t umax(const uint32_t *v, int n)
{
	uint32_t m = 0;
	for (int i = 0; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

static void fmt_s(char *b, size_t cap, double x)
{
	if (x < 0)
		snprintf(b, cap, "-");
	else if (x < 600)
		snprintf(b, cap, "%.0fs", x);
	else if (x < 3 * 3600)
		snprintf(b, cap, "%.0fm", x / 60);
	else
		snprintf(b, cap, "%.1fh", x / 3600);
}

static void cause_text(cause_set m, char *b, size_t cap)
{
	size_t n = 0;
	b[0] = 0;
	for (int i = 0; i < CB_COUNT; i++)
		if (m & C(i))
			n += (size_t)snprintf(b + n, n < cap ? cap - n : 0, "%s%s", n ? "," : "", cause_names[i]);
	if (!n)
		snprintf(b, cap, "ordinary-work");
}

static double fp_rate(const sim_t *s, int active)
{
	uint64_t od = active ? s->active_officer_days : s->officer_days;
	return od ? (double)s->fp_pages * 1000.0 / (double)od : 0;
}

static int check_ok(const sim_t *s, char *why, size_t cap)
{
	int ok = 1;
	size_t n = 0;
	why[0] = 0;
	for (uint32_t i = 0; i < s->natk; i++) {
		const attack_t *A = &s->atk[i];
		if (!A->started)
			continue;
		int pg = A->t_page && dsec(A->t_page, A->t_first) <= 300;
		int ct = A->t_contain && dsec(A->t_contain, A->t_first) <= 600;
		if (!pg || !ct) {
			ok = 0;
			n += (size_t)snprintf(why + n, n < cap ? cap - n : 0, "%s%s#%d %s", n ? "; " : "",
					      atk_names[A->type], A->k, !pg ? "not paged within 300 s" : "not contained within 600 s");
		}
	}
	if (fp_rate(s, 0) > 1.0) {
		ok = 0;
		n += (size_t)snprintf(why + n, n < cap ? cap - n : 0, "%sfalse pages %.2f per 1,000 officer-days > 1",
				      n ? "; " : "", fp_rate(s, 0));
	}
	return ok;
}

static void print_rates(FILE *f)
{
	fprintf(f, "%-22s %-13s %-32s %s\n", "rate", "value", "unit", "basis");
	for (int i = 0; i < R_COUNT; i++) {
		char v[32];
		if (rates[i].lo == rates[i].hi)
			snprintf(v, sizeof v, "%g", rates[i].lo);
		else
			snprintf(v, sizeof v, "%g..%g", rates[i].lo, rates[i].hi);
		fprintf(f, "%-22s %-13s %-32s %s\n", rates[i].key, v, rates[i].unit, rates[i].basis);
	}
}

/* "backlogs on return from WHAT: N devices, median, p90, max" (the measured period) */
static void backlog_line(FILE *f, const char *what, const uint32_t *v, uint32_t n, const char *note)
{
	if (!n)
		return;
	uint32_t *bl = xcalloc(n, sizeof *bl);
	memcpy(bl, v, n * sizeof *bl);
	qsort(bl, n, sizeof *bl, cmp_u32);
	fprintf(f, "backlogs on return from %s: %u devices%s, median %u, p90 %u, max %u cables\n", what, n, note,
		pct_u32(bl, n, 50), pct_u32(bl, n, 90), bl[n - 1]);
	free(bl);
}

static uint32_t max_u32(const uint32_t *v, uint32_t n)
{
	uint32_t m = 0;
	for (uint32_t i = 0; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

static void report_text(const sim_t *s, double wall)
{
	FILE *f = stdout;
	char b1[32], b2[32], b3[32], b4[32], b5[32], b6[32];
	fprintf(f, "\n== bench_scenario: seed %" PRIu64 ", %d measured days after %d warm-up (%d of history)%s\n",
		s->seed, s->days, s->warmup, s->history, s->report_only ? ", ALL RULES REPORT-ONLY" : "");
	fprintf(f, "config: %s\n", s->config_path ? s->config_path : "engine defaults");
	if (s->overrides[0])
		fprintf(f, "RATES OVERRIDDEN (--rate):%s\n", s->overrides);
	uint32_t two = 0;
	for (uint32_t o = 0; o < s->noff; o++)
		two += s->off[o].ndev == 2;
	fprintf(f, "\n-- ministry\n");
	fprintf(f, "posts %u (HQ %s %u officers), officers %u (%u with two devices), devices %u (%u records) + %u decoy "
		   "devices\n",
		s->nposts, s->post[0].name, s->post[0].nof, s->noff, two, s->nreal_dev, s->nrec, s->ndev - s->nreal_dev);
	fprintf(f, "cables in the measured period %" PRIu64 " (%.0f/day, %" PRIu64 " decoys), deliveries %" PRIu64
		   " (device copies)\n",
		s->cables_measured, (double)s->cables_measured / s->days, s->decoys_measured, s->deliveries);
	const phase_t *m = &s->ph[1], *w = &s->ph[0];
	fprintf(f, "officer-days %" PRIu64 " (active %" PRIu64 "); events measured %" PRIu64 " (first fetches %" PRIu64
		   ", re-fetches %" PRIu64 ", other %" PRIu64 ", keyreq %" PRIu64 ", denied %" PRIu64
		   ", not-addressed %" PRIu64 "), warm-up %" PRIu64 "\n",
		s->officer_days, s->active_officer_days, m->events, m->first_fetch, m->refetch, m->other, m->keyreq,
		m->denied, m->notaddr, w->events);
	fprintf(f, "crisis post-days %" PRIu64 "; behaviours in the measured period (officer-days; bursts, syncs and "
		   "device-days counted singly):",
		s->crisis_measured);
	for (int b = 0; b < CB_COUNT; b++)
		fprintf(f, "%s %s %" PRIu64, b ? "," : "", cause_names[b], s->beh[b]);
	fprintf(f, "\n");
	uint32_t *dl = s->delay_s;
	qsort(dl, s->ndelay, sizeof *dl, cmp_u32);
	fmt_s(b1, sizeof b1, pct_u32(dl, s->ndelay, 50));
	fmt_s(b2, sizeof b2, pct_u32(dl, s->ndelay, 90));
	fmt_s(b3, sizeof b3, pct_u32(dl, s->ndelay, 99));
	fprintf(f, "first fetch after acceptance: median %s, p90 %s, p99 %s\n", b1, b2, b3);
	fprintf(f, "benign fetches per officer per UTC day: median %u, p99 %u, p99.9 %u, max %u; per clock hour: "
		   "median %u, p99 %u, p99.9 %u, max %u\n",
		hist_pct(s->hist_day, 50), hist_pct(s->hist_day, 99), hist_pct(s->hist_day, 99.9), hist_max(s->hist_day),
		hist_pct(s->hist_hour, 50), hist_pct(s->hist_hour, 99), hist_pct(s->hist_hour, 99.9),
		hist_max(s->hist_hour));
	backlog_line(f, "leave/absence", s->backlog, s->nbacklog, "");
	char rs[64];
	snprintf(rs, sizeof rs, " (%u after a switch restart)", s->obacklog_restarted);
	fprintf(f, "outages ending in the measured period: %" PRIu64 " posts, %" PRIu64 " records devices; switch "
		   "restarts in the run %u\n",
		s->outages_measured, s->records_outages_measured, s->restarts_done);
	backlog_line(f, "an outage", s->obacklog, s->nobacklog, rs);
	fprintf(f, "FLASH deliveries to benign devices %" PRIu64 ": refused while throttled %" PRIu64
		   ", while suspended %" PRIu64 "\n",
		s->benign_flash, s->benign_flash_throttled, s->benign_flash_blocked);

	fprintf(f, "\n-- attacks (times from the attack's first malicious event; '-' = never)\n");
	fprintf(f, "%-14s %5s %7s %7s %9s %9s %15s %15s %15s %15s %13s %11s  %s\n", "type", "K", "paged", "<=5min",
		"contain", "<=10min", "page med/max", "action med/max", "contain med/max", "suspend med/max",
		"got before", "got total", "rules (attacks where it alerted/paged)");
	for (int type = 0; type < A_NTYPES; type++) {
		typestat_t ts;
		type_stats(s, type, &ts);
		if (!ts.n)
			continue;
		char pg[80], ct[80], su[80], ac[80], rl[400];
		fmt_s(b1, sizeof b1, dmed(ts.act, ts.nact));
		fmt_s(b2, sizeof b2, dmax(ts.act, ts.nact));
		snprintf(ac, sizeof ac, "%s/%s", b1, b2);
		fmt_s(b1, sizeof b1, dmed(ts.page, ts.npage));
		fmt_s(b2, sizeof b2, dmax(ts.page, ts.npage));
		fmt_s(b3, sizeof b3, dmed(ts.contain, ts.ncontain));
		fmt_s(b4, sizeof b4, dmax(ts.contain, ts.ncontain));
		fmt_s(b5, sizeof b5, dmed(ts.susp, ts.nsusp));
		fmt_s(b6, sizeof b6, dmax(ts.susp, ts.nsusp));
		snprintf(pg, sizeof pg, "%s/%s", b1, b2);
		snprintf(ct, sizeof ct, "%s/%s", b3, b4);
		snprintf(su, sizeof su, "%s/%s", b5, b6);
		size_t n = 0;
		rl[0] = 0;
		for (int r = 0; r < DP_R_COUNT; r++)
			if (ts.rules_alert[r])
				n += (size_t)snprintf(rl + n, n < sizeof rl ? sizeof rl - n : 0, "%s%s %u/%u", n ? ", " : "",
						      dp_det_rule_name(r), ts.rules_alert[r], ts.rules_page[r]);
		char gb[32], gt[32];
		snprintf(gb, sizeof gb, "%u/%u", umed(ts.before, ts.nbefore), umax(ts.before, ts.nbefore));
		snprintf(gt, sizeof gt, "%u/%u", umed(ts.total, ts.nbefore), umax(ts.total, ts.nbefore));
		fprintf(f, "%-14s %5d %4d/%-2d %7d %6d/%-2d %6d %15s %15s %15s %15s %13s %11s  %s\n", atk_names[type],
			ts.n, ts.paged, ts.n, ts.paged_5, ts.contained, ts.n, ts.contained_10, pg, ac, ct, su, gb, gt, rl);
		if (s->report_only) {
			fmt_s(b1, sizeof b1, dmed(ts.alert, ts.nalert));
			fmt_s(b2, sizeof b2, dmax(ts.alert, ts.nalert));
			fmt_s(b3, sizeof b3, dmed(ts.wouldt, ts.nwould));
			fmt_s(b4, sizeof b4, dmax(ts.wouldt, ts.nwould));
			fprintf(f, "%-14s       report-only: alerted %d/%d (first alert med/max %s/%s), would have acted on %d "
				   "(med/max %s/%s)\n",
				"", ts.alerted, ts.n, b1, b2, ts.would, b3, b4);
		}
	}
	fprintf(f, "(action: the engine's first throttle/suspension of the device; contain: the first request of the\n"
		   " attacker it refused; got: cables obtained before containment / in all)\n");
	fprintf(f, "\nattack list:\n");
	for (uint32_t i = 0; i < s->natk; i++) {
		const attack_t *A = &s->atk[i];
		const device_t *d = &s->dev[A->dev];
		if (!A->started) {
			fprintf(f, "  %-13s #%d %-24s did not start in the period\n", atk_names[A->type], A->k,
				s->off[d->officer].handle);
			continue;
		}
		fmt_s(b1, sizeof b1, A->t_page ? dsec(A->t_page, A->t_first) : -1);
		fmt_s(b2, sizeof b2, A->t_contain ? dsec(A->t_contain, A->t_first) : -1);
		fmt_s(b3, sizeof b3, A->t_susp ? dsec(A->t_susp, A->t_first) : -1);
		fmt_s(b4, sizeof b4, A->t_alert ? dsec(A->t_alert, A->t_first) : -1);
		fmt_s(b5, sizeof b5, A->t_act ? dsec(A->t_act, A->t_first) : -1);
		fprintf(f, "  %-13s #%d %-22s alert %-6s page %-6s (%s%s) action %-6s contain %-6s suspend %-6s got %u before/%u "
			   "total of %u tried; %s\n",
			atk_names[A->type], A->k, s->off[d->officer].handle, b4, b1,
			A->t_page ? dp_det_rule_name(A->page_rule) : A->t_alert ? dp_det_rule_name(A->first_alert_rule) : "-",
			A->t_page && !A->page_malicious ? " on the owner's request" : "", b5, b2, b3, A->obtained_before,
			A->obtained_total, A->attempts, A->desc);
	}

	fprintf(f, "\n-- false pages (benign, measured period)\n");
	fprintf(f, "pages %" PRIu64 ": %.3f per 1,000 officer-days (%.3f per 1,000 active officer-days); goal <= 1\n",
		s->fp_pages, fp_rate(s, 0), fp_rate(s, 1));
	fprintf(f, "by rule:");
	for (int r = 0; r < DP_R_COUNT; r++)
		if (s->fp_rule[r])
			fprintf(f, " %s %" PRIu64, dp_det_rule_name(r), s->fp_rule[r]);
	fprintf(f, "\nby cause (a page counts under every cause seen on the officer's devices in the 2 h before):");
	for (int b = 0; b <= CB_COUNT; b++)
		if (s->fp_cause[b])
			fprintf(f, " %s %" PRIu64, b < CB_COUNT ? cause_names[b] : "ordinary-work", s->fp_cause[b]);
	fprintf(f, "\nby officer class:");
	for (int c = 0; c < NCLASS; c++) {
		fprintf(f, " %s %" PRIu64 " (%.2f per 1,000 active days", class_names[c], s->fp_class[c],
			s->class_days[c] ? (double)s->fp_class[c] * 1000.0 / (double)s->class_days[c] : 0.0);
		for (int r = 0; r < DP_R_COUNT; r++)
			if (s->fp_class_rule[c][r])
				fprintf(f, ", %s %" PRIu64, dp_det_rule_name(r), s->fp_class_rule[c][r]);
		fprintf(f, ")%s", c < NCLASS - 1 ? ";" : "");
	}
	fprintf(f, "\nwithheld suspensions among them %" PRIu64 "\n", s->fp_withheld);
	fprintf(f, "non-paging alerts on benign devices %" PRIu64 ":", s->fp_nonpage);
	for (int r = 0; r < DP_R_COUNT; r++)
		if (s->fp_nonpage_rule[r])
			fprintf(f, " %s %" PRIu64, dp_det_rule_name(r), s->fp_nonpage_rule[r]);
	fprintf(f, "\ncollateral: benign fetches throttled %" PRIu64 ", blocked %" PRIu64 ", other requests refused %" PRIu64
		   ", devices ever refused %" PRIu64 "; wrongful suspensions %" PRIu64 " (%" PRIu64
		   " devices, lapsed after suspend.seconds=%" PRId64 " s: %" PRIu64 ")\n",
		s->benign_fetch_throttled, s->benign_fetch_blocked, s->benign_other_refused, s->benign_devices_throttled,
		s->wrong_susp, s->wrong_susp_devices, s->cfg.p[DP_P_SUSPEND_SECONDS], s->lapses);
	fprintf(f, "owners of attacked devices: %" PRIu64 " of their own requests refused after the attack began\n",
		s->owner_refused);
	if (s->nsamples) {
		fprintf(f, "examples:\n");
		for (uint32_t i = 0; i < s->nsamples; i++) {
			const sample_t *x = &s->samples[i];
			char ct[256];
			cause_text(x->cause, ct, sizeof ct);
			time_t tt = (time_t)(x->t / 1000);
			struct tm tm;
			gmtime_r(&tt, &tm);
			char ts[32];
			strftime(ts, sizeof ts, "%m-%d %H:%MZ", &tm);
			fprintf(f, "  %s %-13s %s%s %-24s [%s] %s\n", ts, dp_det_rule_name(x->rule),
				x->page ? "PAGE " : "alert", x->withheld ? " withheld" : "", x->officer, ct, x->detail);
		}
	}
	fprintf(f, "\n-- warm-up (%d days, not counted above): alerts %" PRIu64 ", pages %" PRIu64, s->warmup,
		w->alerts, w->pages);
	for (int r = 0; r < DP_R_COUNT; r++)
		if (w->pages_rule[r])
			fprintf(f, " %s %" PRIu64, dp_det_rule_name(r), w->pages_rule[r]);
	fprintf(f, "\n-- measured, all devices: alerts %" PRIu64 ", pages %" PRIu64 "\n", m->alerts, m->pages);
	dp_det_stats st;
	engine_stats(s, &st);
	fprintf(f, "-- engine stats (whole run, %u restarts): events %" PRIu64 ", unknown devices %" PRIu64 ", alerts %" PRIu64
		   ", pages %" PRIu64 ", throttles %" PRIu64 ", suspensions %" PRIu64 ", withheld %" PRIu64
		   ", throttled requests %" PRIu64 ", blocked requests %" PRIu64 ", deliveries %" PRIu64
		   ", FLASH deliveries through a throttle %" PRIu64 "\n",
		s->restarts_done, st.events, st.unknown_device, st.alerts, st.pages, st.throttles, st.suspensions,
		st.withheld, st.throttled_requests, st.blocked_requests, st.deliveries, st.flash_passed);
	fprintf(f, "\n-- speed: %" PRIu64 " events fed in %.3f s inside dp_det_feed = %.0f events/s (whole program %.1f s)%s\n",
		s->events_total, s->feed_s, s->feed_s > 0 ? (double)s->events_total / s->feed_s : 0, wall,
		s->feed_errors ? " FEED ERRORS" : "");
}

static void json_str(FILE *f, const char *x)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)x; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}
static void json_num(FILE *f, double x)
{
	if (x < 0 || !isfinite(x))
		fprintf(f, "null");
	else
		fprintf(f, "%.3f", x);
}
static void json_rules(FILE *f, const uint64_t *v)
{
	fputc('{', f);
	int first = 1;
	for (int r = 0; r < DP_R_COUNT; r++)
		if (v[r]) {
			fprintf(f, "%s", first ? "" : ",");
			json_str(f, dp_det_rule_name(r));
			fprintf(f, ":%" PRIu64, v[r]);
			first = 0;
		}
	fputc('}', f);
}

static int report_json(const sim_t *s, const char *path, int ok, const char *why)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "{\"params\":{\"seed\":%" PRIu64 ",\"days\":%d,\"warmup_days\":%d,\"history_days\":%d,\"posts\":%u,"
		   "\"officers\":%u,\"devices\":%u,\"decoy_devices\":%u,\"attacks_per_type\":%d,\"report_only\":%s,\"config\":",
		s->seed, s->days, s->warmup, s->history, s->nposts, s->noff, s->nreal_dev, s->ndev - s->nreal_dev,
		s->k_attacks, s->report_only ? "true" : "false");
	if (s->config_path)
		json_str(f, s->config_path);
	else
		fprintf(f, "null");
	fprintf(f, ",\"rate_overrides\":");
	json_str(f, s->overrides);
	fprintf(f, "},\n\"rates\":[");
	for (int i = 0; i < R_COUNT; i++) {
		fprintf(f, "%s{\"key\":", i ? "," : "");
		json_str(f, rates[i].key);
		fprintf(f, ",\"lo\":%g,\"hi\":%g,\"unit\":", rates[i].lo, rates[i].hi);
		json_str(f, rates[i].unit);
		fprintf(f, ",\"basis\":");
		json_str(f, rates[i].basis);
		fputc('}', f);
	}
	const phase_t *m = &s->ph[1], *w = &s->ph[0];
	fprintf(f, "],\n\"workload\":{\"cables\":%" PRIu64 ",\"decoy_cables\":%" PRIu64 ",\"deliveries\":%" PRIu64
		   ",\"officer_days\":%" PRIu64 ",\"active_officer_days\":%" PRIu64 ",\"events\":%" PRIu64
		   ",\"first_fetches\":%" PRIu64 ",\"refetches\":%" PRIu64 ",\"other\":%" PRIu64 ",\"keyreq\":%" PRIu64
		   ",\"denied\":%" PRIu64 ",\"not_addressed\":%" PRIu64 ",\"warmup_events\":%" PRIu64 ",\"backlogs\":%u"
		   ",\"records_devices\":%u,\"outages\":{\"posts\":%" PRIu64 ",\"records\":%" PRIu64 ",\"returns\":%u"
		   ",\"returns_after_restart\":%u,\"max_backlog\":%u},\"restarts\":%u},\n",
		s->cables_measured, s->decoys_measured, s->deliveries, s->officer_days, s->active_officer_days, m->events,
		m->first_fetch, m->refetch, m->other, m->keyreq, m->denied, m->notaddr, w->events, s->nbacklog, s->nrec,
		s->outages_measured, s->records_outages_measured, s->nobacklog, s->obacklog_restarted,
		max_u32(s->obacklog, s->nobacklog), s->restarts_done);
	fprintf(f, "\"behaviours\":{");
	for (int b = 0; b < CB_COUNT; b++)
		fprintf(f, "%s\"%s\":%" PRIu64, b ? "," : "", cause_names[b], s->beh[b]);
	fprintf(f, "},\n\"attacks\":{\"by_type\":[");
	int firstt = 1;
	for (int type = 0; type < A_NTYPES; type++) {
		typestat_t ts;
		type_stats(s, type, &ts);
		if (!(s->types_mask & (1u << type)))
			continue;
		fprintf(f, "%s{\"type\":\"%s\",\"k\":%d,\"alerted\":%d,\"paged\":%d,\"paged_within_300s\":%d,\"contained\":%d,"
			   "\"contained_within_600s\":%d,\"suspended\":%d,\"acted\":%d,\"paged_on_malicious_event\":%d,"
			   "\"page_s\":{\"median\":",
			firstt ? "" : ",", atk_names[type], ts.n, ts.alerted, ts.paged, ts.paged_5, ts.contained, ts.contained_10,
			ts.suspended, ts.acted, ts.page_mal);
		firstt = 0;
		json_num(f, dmed(ts.page, ts.npage));
		fprintf(f, ",\"max\":");
		json_num(f, dmax(ts.page, ts.npage));
		fprintf(f, "},\"contain_s\":{\"median\":");
		json_num(f, dmed(ts.contain, ts.ncontain));
		fprintf(f, ",\"max\":");
		json_num(f, dmax(ts.contain, ts.ncontain));
		fprintf(f, "},\"suspend_s\":{\"median\":");
		json_num(f, dmed(ts.susp, ts.nsusp));
		fprintf(f, ",\"max\":");
		json_num(f, dmax(ts.susp, ts.nsusp));
		fprintf(f, "},\"action_s\":{\"median\":");
		json_num(f, dmed(ts.act, ts.nact));
		fprintf(f, ",\"max\":");
		json_num(f, dmax(ts.act, ts.nact));
		fprintf(f, "},\"first_alert_s\":{\"median\":");
		json_num(f, dmed(ts.alert, ts.nalert));
		fprintf(f, ",\"max\":");
		json_num(f, dmax(ts.alert, ts.nalert));
		fprintf(f, "},\"obtained_before_containment\":{\"median\":%u,\"max\":%u},\"obtained_total\":{\"median\":%u,"
			   "\"max\":%u},\"rules_alerted\":",
			umed(ts.before, ts.nbefore), umax(ts.before, ts.nbefore), umed(ts.total, ts.nbefore),
			umax(ts.total, ts.nbefore));
		uint64_t ra[DP_R_COUNT], rp[DP_R_COUNT];
		for (int r = 0; r < DP_R_COUNT; r++)
			ra[r] = ts.rules_alert[r], rp[r] = ts.rules_page[r];
		json_rules(f, ra);
		fprintf(f, ",\"rules_paged\":");
		json_rules(f, rp);
		fputc('}', f);
	}
	fprintf(f, "],\n\"list\":[");
	for (uint32_t i = 0; i < s->natk; i++) {
		const attack_t *A = &s->atk[i];
		fprintf(f, "%s{\"type\":\"%s\",\"k\":%d,\"officer\":", i ? "," : "", atk_names[A->type], A->k);
		json_str(f, s->off[s->dev[A->dev].officer].handle);
		fprintf(f, ",\"post\":");
		json_str(f, s->post[A->post].name);
		fprintf(f, ",\"started\":%s,\"t_first_ms\":%" PRId64 ",\"first_alert_s\":", A->started ? "true" : "false",
			A->t_first);
		json_num(f, A->t_alert ? dsec(A->t_alert, A->t_first) : -1);
		fprintf(f, ",\"page_s\":");
		json_num(f, A->t_page ? dsec(A->t_page, A->t_first) : -1);
		fprintf(f, ",\"page_rule\":");
		if (A->t_page)
			json_str(f, dp_det_rule_name(A->page_rule));
		else
			fprintf(f, "null");
		fprintf(f, ",\"page_on_malicious_event\":%s,\"action_s\":", A->page_malicious ? "true" : "false");
		json_num(f, A->t_act ? dsec(A->t_act, A->t_first) : -1);
		fprintf(f, ",\"contain_s\":");
		json_num(f, A->t_contain ? dsec(A->t_contain, A->t_first) : -1);
		fprintf(f, ",\"suspend_s\":");
		json_num(f, A->t_susp ? dsec(A->t_susp, A->t_first) : -1);
		fprintf(f, ",\"obtained_before_containment\":%u,\"obtained_total\":%u,\"attempts\":%u,\"description\":",
			A->obtained_before, A->obtained_total, A->attempts);
		json_str(f, A->desc);
		uint64_t ra[DP_R_COUNT];
		for (int r = 0; r < DP_R_COUNT; r++)
			ra[r] = A->rule_alerts[r];
		fprintf(f, ",\"rules\":");
		json_rules(f, ra);
		fputc('}', f);
	}
	fprintf(f, "]},\n\"false_pages\":{\"count\":%" PRIu64 ",\"per_1000_officer_days\":%.4f,"
		   "\"per_1000_active_officer_days\":%.4f,\"withheld\":%" PRIu64 ",\"by_rule\":",
		s->fp_pages, fp_rate(s, 0), fp_rate(s, 1), s->fp_withheld);
	json_rules(f, s->fp_rule);
	fprintf(f, ",\"by_cause\":{");
	int first = 1;
	for (int b = 0; b <= CB_COUNT; b++)
		if (s->fp_cause[b]) {
			fprintf(f, "%s\"%s\":%" PRIu64, first ? "" : ",", b < CB_COUNT ? cause_names[b] : "ordinary-work",
				s->fp_cause[b]);
			first = 0;
		}
	fprintf(f, "},\"by_class\":{");
	for (int c = 0; c < NCLASS; c++) {
		fprintf(f, "%s\"%s\":{\"pages\":%" PRIu64 ",\"active_officer_days\":%" PRIu64 ",\"by_rule\":", c ? "," : "",
			class_names[c], s->fp_class[c], s->class_days[c]);
		json_rules(f, s->fp_class_rule[c]);
		fputc('}', f);
	}
	fprintf(f, "},\"non_paging_alerts\":%" PRIu64 ",\"non_paging_by_rule\":", s->fp_nonpage);
	json_rules(f, s->fp_nonpage_rule);
	fprintf(f, ",\"samples\":[");
	for (uint32_t i = 0; i < s->nsamples; i++) {
		const sample_t *x = &s->samples[i];
		char ct[256];
		cause_text(x->cause, ct, sizeof ct);
		fprintf(f, "%s{\"t_ms\":%" PRId64 ",\"rule\":\"%s\",\"page\":%s,\"action\":\"%s\",\"would\":\"%s\",\"withheld\":%d,"
			   "\"officer\":",
			i ? "," : "", x->t, dp_det_rule_name(x->rule), x->page ? "true" : "false", dp_det_action_name(x->action),
			dp_det_action_name(x->would), x->withheld);
		json_str(f, x->officer);
		fprintf(f, ",\"cause\":");
		json_str(f, ct);
		fprintf(f, ",\"detail\":");
		json_str(f, x->detail);
		fputc('}', f);
	}
	fprintf(f, "]},\n\"collateral\":{\"benign_fetches_throttled\":%" PRIu64 ",\"benign_fetches_blocked\":%" PRIu64
		   ",\"benign_other_refused\":%" PRIu64 ",\"benign_devices_refused\":%" PRIu64
		   ",\"wrongful_suspensions\":%" PRIu64 ",\"wrongly_suspended_devices\":%" PRIu64
		   ",\"owner_refused\":%" PRIu64 "},\n",
		s->benign_fetch_throttled, s->benign_fetch_blocked, s->benign_other_refused, s->benign_devices_throttled,
		s->wrong_susp, s->wrong_susp_devices, s->owner_refused);
	fprintf(f, "\"flash\":{\"benign_deliveries\":%" PRIu64 ",\"refused_throttled\":%" PRIu64
		   ",\"refused_suspended\":%" PRIu64 "},\n",
		s->benign_flash, s->benign_flash_throttled, s->benign_flash_blocked);
	fprintf(f, "\"phases\":{\"warmup\":{\"alerts\":%" PRIu64 ",\"pages\":%" PRIu64 ",\"pages_by_rule\":", w->alerts,
		w->pages);
	json_rules(f, w->pages_rule);
	fprintf(f, "},\"measured\":{\"alerts\":%" PRIu64 ",\"pages\":%" PRIu64 ",\"alerts_by_rule\":", m->alerts, m->pages);
	json_rules(f, m->alerts_rule);
	fprintf(f, ",\"pages_by_rule\":");
	json_rules(f, m->pages_rule);
	dp_det_stats st;
	engine_stats(s, &st);
	fprintf(f, "}},\n\"engine\":{\"events\":%" PRIu64 ",\"unknown_device\":%" PRIu64 ",\"alerts\":%" PRIu64
		   ",\"pages\":%" PRIu64 ",\"throttles\":%" PRIu64 ",\"suspensions\":%" PRIu64 ",\"withheld\":%" PRIu64
		   ",\"throttled_requests\":%" PRIu64 ",\"blocked_requests\":%" PRIu64 ",\"deliveries\":%" PRIu64
		   ",\"flash_passed\":%" PRIu64 ",\"restarts\":%u},\n",
		st.events, st.unknown_device, st.alerts, st.pages, st.throttles, st.suspensions, st.withheld,
		st.throttled_requests, st.blocked_requests, st.deliveries, st.flash_passed, s->restarts_done);
	fprintf(f, "\"speed\":{\"events\":%" PRIu64 ",\"feed_seconds\":%.4f,\"events_per_s\":%.0f},\n", s->events_total,
		s->feed_s, s->feed_s > 0 ? (double)s->events_total / s->feed_s : 0);
	fprintf(f, "\"check\":{\"passed\":%s,\"why\":", ok ? "true" : "false");
	json_str(f, why);
	fprintf(f, "}}\n");
	return fclose(f) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------- main */

static const char usage[] =
	"usage: bench_scenario [--seed N] [--days D (30)] [--posts P (234)] [--officers O (3000)]\n"
	"                      [--attacks K per type (4)] [--types LIST] [--config FILE]\n"
	"                      [--report-only] [--json FILE] [--check] [--quiet]\n"
	"                      [--warmup-days W (21)] [--history-days H (90)] [--rates]\n"
	"                      [--rate KEY=V|KEY=LO..HI ...]\n"
	"A synthetic ministry and its traffic in simulated time, fed through the detection\n"
	"engine with labelled attacks; prints detection delays, false pages per 1,000\n"
	"officer-days, collateral damage and the engine's speed.\n"
	"  --types LIST   comma-separated attack types to play (default all): stolen-bulk,\n"
	"                 slow-drip, insider-sweep, foreign-creds, decoy-touch\n"
	"  --config FILE  a detect configuration (dp_det_config_parse); the posts' networks\n"
	"                 and the VPN (network.*) are appended to it\n"
	"  --report-only  every rule that is not off runs report-only\n"
	"  --check        exit 1 unless every attack is paged within 300 s and contained\n"
	"                 within 600 s of its first malicious event, and false pages\n"
	"                 <= 1 per 1,000 officer-days\n"
	"  --rates        print the table of rates the generator uses and exit\n"
	"  --rate K=V     override one rate (sensitivity runs; reported as such)\n";

static int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int set_rate(const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq)
		return -1;
	for (int i = 0; i < R_COUNT; i++) {
		if (strlen(rates[i].key) != (size_t)(eq - kv) || strncmp(rates[i].key, kv, (size_t)(eq - kv)) != 0)
			continue;
		char buf[64], *end;
		snprintf(buf, sizeof buf, "%s", eq + 1);
		char *dots = strstr(buf, "..");
		if (dots)
			*dots = 0;
		double lo = strtod(buf, &end), hi = lo;
		if (end == buf || *end)
			return -1;
		if (dots) {
			hi = strtod(dots + 2, &end);
			if (end == dots + 2 || *end)
				return -1;
		}
		if (hi < lo || lo < 0)
			return -1;
		rates[i].lo = lo;
		rates[i].hi = hi;
		return 0;
	}
	return -1;
}

static unsigned parse_types(const char *s)
{
	static const char *const names[A_NTYPES] = {"stolen-bulk", "slow-drip", "insider-sweep", "foreign-creds",
						     "decoy-touch"};
	unsigned m = 0;
	char buf[256];
	snprintf(buf, sizeof buf, "%s", s);
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int found = 0;
		for (int i = 0; i < A_NTYPES; i++)
			if (!strcasecmp(tok, names[i]) || !strcasecmp(tok, atk_names[i]))
				m |= 1u << i, found = 1;
		if (!found)
			return 0;
	}
	return m;
}

int main(int argc, char **argv)
{
	static sim_t S;
	sim_t *s = &S;
	s->seed = 1;
	s->days = 30;
	s->nposts_opt = 234;
	s->nofficers_opt = 3000;
	s->k_attacks = 4;
	s->warmup = 21;
	s->history = 90;
	s->types_mask = (1u << A_NTYPES) - 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		long v;
		int more = i + 1 < argc;
#define NUM(name, lo, hi, dst)                                                                           \
	if (!strcmp(a, name)) {                                                                          \
		if (!more || parse_int(argv[++i], lo, hi, &v) < 0) {                                     \
			fprintf(stderr, "bench_scenario: %s takes a number %ld..%ld\n", name, (long)(lo), (long)(hi)); \
			return 2;                                                                        \
		}                                                                                        \
		dst = v;                                                                                 \
		continue;                                                                                \
	}
		if (!strcmp(a, "--seed")) {
			if (!more) {
				fprintf(stderr, "bench_scenario: --seed takes a number\n");
				return 2;
			}
			char *end;
			errno = 0;
			s->seed = strtoull(argv[++i], &end, 10);
			if (errno || *end) {
				fprintf(stderr, "bench_scenario: --seed takes a number\n");
				return 2;
			}
			continue;
		}
		NUM("--days", 1, 365, s->days)
		NUM("--posts", 2, 2000, s->nposts_opt)
		NUM("--officers", 20, 200000, s->nofficers_opt)
		NUM("--attacks", 0, 64, s->k_attacks)
		NUM("--warmup-days", 0, 60, s->warmup)
		NUM("--history-days", 1, 365, s->history)
#undef NUM
		if (!strcmp(a, "--types") && more) {
			s->types_mask = parse_types(argv[++i]);
			if (!s->types_mask) {
				fprintf(stderr, "bench_scenario: --types: unknown type in '%s'\n", argv[i]);
				return 2;
			}
		} else if (!strcmp(a, "--config") && more) {
			s->config_path = argv[++i];
		} else if (!strcmp(a, "--json") && more) {
			s->json_path = argv[++i];
		} else if (!strcmp(a, "--rate") && more) {
			if (set_rate(argv[++i]) < 0) {
				fprintf(stderr, "bench_scenario: --rate KEY=V or KEY=LO..HI with a key of --rates\n");
				return 2;
			}
			size_t ol = strlen(s->overrides);
			snprintf(s->overrides + ol, sizeof s->overrides - ol, " %s", argv[i]);
		} else if (!strcmp(a, "--report-only")) {
			s->report_only = 1;
		} else if (!strcmp(a, "--check")) {
			s->check = 1;
		} else if (!strcmp(a, "--quiet")) {
			s->quiet = 1;
		} else if (!strcmp(a, "--rates")) {
			print_rates(stdout);
			return 0;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			fputs("\nRates (all documented here and in the report):\n", stdout);
			print_rates(stdout);
			return 0;
		} else {
			fprintf(stderr, "bench_scenario: unknown or incomplete option '%s'\n%s", a, usage);
			return 2;
		}
	}
	if (s->history < s->warmup + (int)RV(R_DEEP_AGE) + 5)
		s->history = s->warmup + (int)RV(R_DEEP_AGE) + 5;
	double wall0 = bench_now();
	s->free_sess = NONE32;
	s->hist_day = xcalloc(HIST_MAX, sizeof *s->hist_day);
	s->hist_hour = xcalloc(HIST_MAX, sizeof *s->hist_hour);
	build_world(s);
	build_config(s);
	register_all(s);
	for (uint32_t o = 0; o < s->noff; o++)
		s->off[o].hour_no = s->off[o].day_no = -1;
	s->officer_days = (uint64_t)s->noff * (uint64_t)s->days;

	/* history: cables only, all delivered */
	for (int u = -s->history; u < -s->warmup; u++)
		gen_cables_day(s, u);
	setup_attacks(s);
	for (uint32_t i = 0; i < s->nrestart; i++)
		push_ev(s, s->restart_t[i], H_RESTART, 0, 0, 0, 0, 0);
	int genu = -s->warmup;
	for (int L = -s->warmup; L < s->days; L++) {
		while (genu <= L + 1)
			gen_cables_day(s, genu++);
		for (uint32_t o = 0; o < s->noff; o++)
			gen_officer_day(s, o, L);
		process(s, (T0_S + (int64_t)(L + 1) * DAY_S - 14 * 3600) * 1000);
		if (!s->quiet && (L % 10 == 9 || L == s->days - 1))
			fprintf(stderr, "bench_scenario: day %d/%d, %" PRIu64 " events, %.1f s\n", L + 1, s->days,
				s->events_total, bench_now() - wall0);
	}
	process(s, (T0_S + (int64_t)s->days * DAY_S) * 1000);
	drain(s);
	/* flush the last hour/day of each officer into the histograms */
	for (uint32_t o = 0; o < s->noff; o++) {
		if (s->off[o].hour_cnt)
			s->hist_hour[s->off[o].hour_cnt < HIST_MAX ? s->off[o].hour_cnt : HIST_MAX - 1]++;
		if (s->off[o].day_cnt)
			s->hist_day[s->off[o].day_cnt < HIST_MAX ? s->off[o].day_cnt : HIST_MAX - 1]++;
	}
	double wall = bench_now() - wall0;

	char why[4096];
	int ok = check_ok(s, why, sizeof why);
	if (!s->quiet)
		report_text(s, wall);
	else
		printf("bench_scenario: %" PRIu64 " events, %" PRIu64 " false pages (%.3f per 1,000 officer-days), "
		       "%.0f events/s\n",
		       s->events_total, s->fp_pages, fp_rate(s, 0),
		       s->feed_s > 0 ? (double)s->events_total / s->feed_s : 0);
	if (s->check)
		printf("check: %s%s%s\n", ok ? "PASSED" : "FAILED", ok ? "" : ": ", ok ? "" : why);
	int rc = 0;
	if (s->json_path && report_json(s, s->json_path, ok, why) < 0) {
		fprintf(stderr, "bench_scenario: cannot write %s\n", s->json_path);
		rc = 2;
	}

	/* free everything (ASan leak check) */
	for (uint32_t i = 0; i < s->ndev; i++)
		free(s->dev[i].arch);
	for (uint32_t i = 0; i < s->natk; i++)
		free(s->atk[i].plan);
	free(s->atk);
	free(s->dev);
	free(s->off);
	free(s->post);
	free(s->iv);
	free(s->net);
	free(s->cab);
	free(s->heap);
	free(s->sess);
	free(s->dev_hash);
	free(s->backlog);
	free(s->obacklog);
	free(s->restart_t);
	free(s->delay_s);
	free(s->hist_day);
	free(s->hist_hour);
	free(s->config_text);
	dp_det_free(s->det);
	dp_det_config_free(&s->cfg);
	if (rc)
		return rc;
	return s->check && !ok ? 1 : 0;
}
