/*
 * fuzz_detect - the detection engine (include/denpo/detect.h) on arbitrary
 * bytes.  The first byte picks the mode:
 *
 *   even  the rest is a configuration text for dp_det_config_parse.  What
 *         parses must be within every bound; what does not must leave the
 *         defaults and an error naming its line.  A parsed configuration
 *         then drives an engine (its one device a records device) through a
 *         few fixed events.
 *   odd   an engine from a small fixed configuration, with posts, officers,
 *         devices (one a decoy, one a records device, one inactive) registered,
 *         is fed events
 *         decoded from the rest, 12 bytes each: random kinds (some out of
 *         range), times stepping forwards and backwards, addresses from the
 *         registered networks or anywhere, sequence numbers, ages, flags
 *         (re-fetch, decoy, queued, FLASH), a search's copies (negative, huge);
 *         a few codes instead change the registry (status, unthrottle, an
 *         officer moving, a reconfiguration).  Every verdict and alert must
 *         be well-formed.
 */
#include <stdio.h>
#include <string.h>

#include "denpo/detect.h"
#include "fuzz/fuzz.h"

static void check_alert(void *ctx, const dp_det_alert *a)
{
	(void)ctx;
	if (a->rule < 0 || a->rule >= DP_R_COUNT || !memchr(a->detail, 0, sizeof a->detail) ||
	    !memchr(a->officer, 0, sizeof a->officer) || !memchr(a->post, 0, sizeof a->post) ||
	    a->detail[0] == 0)
		__builtin_trap();
	if (a->mode != DP_DET_REPORT && a->mode != DP_DET_ENFORCE)
		__builtin_trap();
	if (a->mode == DP_DET_REPORT && (a->page || a->action != DP_DET_NONE || a->withheld))
		__builtin_trap();
	if (a->withheld && (!a->page || a->action != DP_DET_THROTTLE || a->would != DP_DET_SUSPEND))
		__builtin_trap();
	if (a->first_ms > a->t_ms || a->risk < 0 || a->action < 0 || a->action > DP_DET_SUSPEND)
		__builtin_trap();
}

static void check_config(const dp_det_config *c)
{
	for (int i = 0; i < DP_P_COUNT; i++)
		if (c->p[i] < dp_det_params[i].min || c->p[i] > dp_det_params[i].max)
			__builtin_trap();
	for (int r = 0; r < DP_R_COUNT; r++)
		if (!dp_det_mode_name(c->mode[r]) || !dp_det_action_name(c->action[r]))
			__builtin_trap();
	if (c->nnets > DP_DET_NETS_MAX)
		__builtin_trap();
	for (size_t i = 0; i < c->nnets; i++)
		if (c->nets[i].prefix > 128 || c->nets[i].post < -1 ||
		    (c->nets[i].post >= 0 && (size_t)c->nets[i].post >= c->nnet_posts))
			__builtin_trap();
}

static const char *const addrs[] = {
	"192.0.2.9", "198.51.100.9", "198.51.100.200", "2001:db8:1::9", "10.9.9.9", "203.0.113.9",
	"2001:db8:2::9", "0.0.0.0",
};

static void fixed_events(dp_det *d)
{
	uint8_t id[32] = {1};
	for (int i = 0; i < 8; i++) {
		dp_det_event e;
		memset(&e, 0, sizeof e);
		e.kind = 1 + i % 6;
		e.t_ms = INT64_C(1772409600000) + i * 1000;
		e.copies = i * 7;
		memcpy(e.device, id, 32);
		if (dp_det_addr_parse(addrs[i], e.addr))
			__builtin_trap();
		e.cable_seq = i;
		e.refetch = i & 1;
		int v = dp_det_feed(d, &e);
		if (v < DP_DET_ALLOW || v > DP_DET_BLOCKED)
			__builtin_trap();
	}
}

static int fuzz_config(const uint8_t *data, size_t size)
{
	dp_det_config c;
	char err[256];
	int r = dp_det_config_parse(&c, (const char *)data, size, err, sizeof err);
	check_config(&c);
	if (r) {
		if (strncmp(err, "line ", 5) != 0 || c.nets || c.nnets ||
		    c.p[DP_P_ENUM_RUN] != dp_det_params[DP_P_ENUM_RUN].def)
			__builtin_trap();
		dp_det_config_free(&c);
		return 0;
	}
	dp_det *d = NULL;
	if (dp_det_new(&d, &c, check_alert, NULL) == DP_OK) {
		for (size_t j = 0; j < c.nnet_posts && j < 8; j++)
			(void)dp_det_post(d, c.net_posts[j], (int32_t)(j * 3600));
		if (c.nnet_posts && dp_det_officer(d, "fuzz.o", c.net_posts[0]) == DP_OK) {
			uint8_t id[32] = {1};
			(void)dp_det_device(d, id, "fuzz.o", 1, DP_DET_DEV_RECORDS);
		}
		fixed_events(d);
		dp_det_free(d);
	}
	dp_det_config_free(&c);
	return 0;
}

static const char engine_conf[] = "network.TOKYO = 192.0.2.0/24, 2001:db8:1::/48\n"
				  "network.BEIJING = 198.51.100.0/24\n"
				  "network.TOKYO = 198.51.100.128/25\n"
				  "network.* = 10.0.0.0/8\n"
				  "realert.seconds = 60\n"
				  "throttle.escalate = 3\n"
				  "suspend.max-hour = 3\n"
				  "enum.run = 4\n"
				  "speed.run = 4\n"
				  "deep.max-hour = 2\n"
				  "deep.records-max-hour = 3\n"
				  "bulk.cap-hour = 30\n"
				  "bulk.floor-hour = 5\n"
				  "bulk.floor-day = 10\n"
				  "bulk.warmup-days = 1\n"
				  "peer.min-officers = 2\n"
				  "not-addressed.max = 1\n"
				  "risk.page = 20\n"
				  "rule.RISK.action = suspend\n"
				  "rule.ENUM-RANGE.mode = report\n";

#define NDEV 10

static int fuzz_engine(const uint8_t *data, size_t size)
{
	dp_det_config c;
	if (dp_det_config_parse(&c, engine_conf, sizeof engine_conf - 1, NULL, 0))
		__builtin_trap();
	dp_det *d = NULL;
	if (dp_det_new(&d, &c, check_alert, NULL))
		__builtin_trap();
	static const char *const posts[] = {"TOKYO", "BEIJING", "LIMA"};
	static const char *const offs[] = {"a.t", "b.t", "c.t", "d.b", "e.l"};
	static const int off_post[] = {0, 0, 0, 1, 2};
	for (int i = 0; i < 3; i++)
		if (dp_det_post(d, posts[i], (i - 1) * 9 * 3600))
			__builtin_trap();
	for (int i = 0; i < 5; i++)
		if (dp_det_officer(d, offs[i], posts[off_post[i]]))
			__builtin_trap();
	uint8_t ids[NDEV + 2][32];
	memset(ids, 0, sizeof ids);
	for (int i = 0; i < NDEV + 2; i++) {
		ids[i][0] = (uint8_t)(i + 1);
		ids[i][31] = 0x5a;
	}
	/* device 8 a decoy, 7 a records device, 9 inactive; 10 and 11 unknown */
	for (int i = 0; i < NDEV; i++)
		if (dp_det_device(d, ids[i], offs[i % 5], i != 9,
				  i == 8 ? DP_DET_DEV_DECOY : i == 7 ? DP_DET_DEV_RECORDS : DP_DET_DEV_PLAIN))
			__builtin_trap();
	int64_t t = INT64_C(1772409600000);
	int64_t seq = 1000;
	for (size_t off = 0; off + 12 <= size; off += 12) {
		const uint8_t *b = data + off;
		int dev = b[1] % (NDEV + 2);
		int16_t dt = (int16_t)(b[2] | b[3] << 8);
		/* mostly forwards, by ms to about a day; sometimes back */
		t += (int64_t)dt * (b[4] & 0x80 ? 2637 : 37);
		switch (b[0] % 21) {
		case 16:
			(void)dp_det_device_status(d, ids[dev], b[5] & 1);
			continue;
		case 17:
			(void)dp_det_unthrottle(d, ids[dev]);
			(void)dp_det_throttled_until(d, ids[dev]);
			continue;
		case 18:
			(void)dp_det_officer(d, offs[b[5] % 5], posts[b[6] % 3]);
			continue;
		case 19:
			if (dp_det_post(d, posts[b[5] % 3], ((int32_t)(int8_t)b[6]) * 500)) /* +-17.6 h */
				__builtin_trap();
			continue;
		case 20: {
			c.p[DP_P_SUSPEND_MAX_HOUR] = b[5] % 4;
			c.p[DP_P_REALERT_SECONDS] = b[6];
			c.mode[b[7] % DP_R_COUNT] = b[8] % 3;
			if (dp_det_reconfigure(d, &c))
				__builtin_trap();
			continue;
		}
		default:
			break;
		}
		dp_det_event e;
		memset(&e, 0, sizeof e);
		e.kind = b[0] % 21 < 15 ? 1 + b[0] % 6 : b[0]; /* some out of range */
		e.t_ms = b[0] == 0xff ? (int64_t)(b[5] * (UINT64_C(1) << 56)) : t;
		memcpy(e.device, ids[dev], 32);
		if (b[5] < 8 * 28) {
			if (dp_det_addr_parse(addrs[b[5] % 8], e.addr))
				__builtin_trap();
		} else {
			memcpy(e.addr, b + 4, 8); /* anything */
			memcpy(e.addr + 8, b + 2, 8);
		}
		int64_t step = (int8_t)b[6];
		seq += step;
		e.cable_seq = b[7] & 0x80 ? seq : (int64_t)b[7] * 1000003;
		e.cable_accepted = t / 1000 - (int64_t)(b[8] | b[9] << 8) * 900;
		if (b[10] == 0xff)
			e.cable_accepted = b[9] & 1 ? INT64_MAX : INT64_MIN;
		e.refetch = b[10] & 1;
		e.decoy = (b[10] & 0x0e) == 0x0e;
		e.queued = (b[10] >> 4) & 1;
		e.flash = (b[10] >> 5) & 1;
		memcpy(e.subject, ids[b[11] % (NDEV + 2)], 32);
		e.copies = (int64_t)(int8_t)b[11] * (b[9] & 0x80 ? INT64_C(100000000000) : 1);
		int v = dp_det_feed(d, &e);
		if (v < DP_DET_ALLOW || v > DP_DET_BLOCKED)
			__builtin_trap();
	}
	dp_det_stats s;
	dp_det_get_stats(d, &s);
	if (s.pages > s.alerts || s.unknown_device > s.events || s.deliveries > s.events ||
	    s.flash_passed > s.deliveries)
		__builtin_trap();
	dp_det_free(d);
	dp_det_config_free(&c);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		return fuzz_engine(data + 1, size - 1);
	return fuzz_config(data + 1, size - 1);
}
