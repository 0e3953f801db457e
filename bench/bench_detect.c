/*
 * bench_detect - the detection engine's throughput (lib/detect.c), beside a
 * baseline measured in the same process over the same events.
 *
 *   bench_detect [--runs R] [--events N] [--seed S]
 *
 * Builds a synthetic ministry: 234 posts (TOKYO, the HQ, with 600
 * officers; the others 3 and up, skewed: a few large embassies, most small),
 * 3,000 officers, one device each and a second for one in three (~4,000),
 * five decoy devices, 1-4 IPv4 /24 networks per post, an IPv6 /48 for HQ and
 * a global VPN network.  Then generates N events in memory, in time order,
 * over 14 simulated days: a device is drawn at random and kept with
 * probability 1 in its post's working hours (08-18 local, Mon-Fri) and 1 in
 * 20 outside them; 55 % first fetches of new cables, 10 % re-fetches (of a
 * cable accepted within 30 days, 1 in 20 deeper), 30 % other requests, 3 %
 * key requests, 1 % refusals, 0.5 % not-addressed, 0.5 % other; 95 % of
 * addresses in the device's post's networks, 4 % the VPN, 1 % unknown.
 *
 * Timed, R times each on a fresh engine (registration not timed):
 *   baseline_touch   a loop that only hashes each event's device id into a
 *                    counter table: the cost of touching the events
 *   det_feed         dp_det_feed over the same events
 * Prints each run, the medians, the ratio and "name value unit" lines.
 * Goal: >= 200,000 events/s.  Not a test: bench/README.md explains.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_util.h"
#include "denpo/detect.h"

#define NPOSTS 234
#define NOFFICERS 3000
#define HQ_OFFICERS 600
#define DAYS 14

static void die(const char *what, int r)
{
	fprintf(stderr, "bench_detect: %s: %s\n", what, dp_strerror(r));
	exit(1);
}

/* xorshift64*: reproducible, cheap */
static uint64_t rng_s = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void)
{
	rng_s ^= rng_s >> 12;
	rng_s ^= rng_s << 25;
	rng_s ^= rng_s >> 27;
	return rng_s * UINT64_C(2685821657736338717);
}
static double rndf(void)
{
	return (double)(rnd() >> 11) * (1.0 / 9007199254740992.0);
}
static uint64_t rndn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

struct post {
	char name[DP_DET_NAME_MAX + 1];
	int32_t off_s;
	int nnets;
	int net0; /* its networks are 172.16.0.0/12 /24s net0 .. net0 + nnets - 1 */
};

struct dev {
	uint8_t id[32];
	int post;
	int decoy;
};

struct world {
	struct post posts[NPOSTS];
	char (*officers)[DP_DET_NAME_MAX + 1];
	int *officer_post;
	struct dev *devs;
	int *dev_officer;
	int ndevs, ndecoys;
	char *conf;
	size_t nnets;
};

static const char *const capitals[] = {
	"TOKYO",     "WASHINGTON", "BEIJING",  "LONDON",    "PARIS",   "BERLIN",   "MOSCOW",
	"SEOUL",     "NEW-DELHI",  "CANBERRA", "OTTAWA",    "ROME",    "MADRID",   "BRASILIA",
	"MEXICO",    "JAKARTA",    "BANGKOK",  "MANILA",    "HANOI",   "SINGAPORE", "CAIRO",
	"NAIROBI",   "PRETORIA",   "ANKARA",   "TEHRAN",    "RIYADH",  "ABU-DHABI", "GENEVA",
	"BRUSSELS",  "THE-HAGUE",  "VIENNA",   "WARSAW",    "KYIV",    "STOCKHOLM", "OSLO",
	"HELSINKI",  "COPENHAGEN", "LISBON",   "ATHENS",    "BUENOS-AIRES", "SANTIAGO", "LIMA",
	"BOGOTA",    "WELLINGTON", "ISLAMABAD", "DHAKA",    "KUALA-LUMPUR", "ULAANBAATAR",
	"ASTANA",    "TASHKENT",   "DOHA",     "KUWAIT",    "AMMAN",   "TEL-AVIV", "ADDIS-ABABA",
	"ABUJA",     "DAKAR",      "RABAT",    "ALGIERS",   "TUNIS",
};

static void build_world(struct world *w)
{
	memset(w, 0, sizeof *w);
	/* posts: names, UTC offsets spread over the world, networks */
	int net = 0;
	for (int i = 0; i < NPOSTS; i++) {
		struct post *p = &w->posts[i];
		if (i < (int)(sizeof capitals / sizeof capitals[0]))
			snprintf(p->name, sizeof p->name, "%s", capitals[i]);
		else
			snprintf(p->name, sizeof p->name, "POST-%03d", i);
		p->off_s = i == 0 ? 9 * 3600 : (int32_t)((int)rndn(23) - 10) * 3600;
		p->nnets = 1 + (int)rndn(4);
		p->net0 = net;
		net += p->nnets;
	}
	/* configuration: every post's /24s (172.16.0.0/12), HQ's /48, the VPN */
	size_t cap = (size_t)NPOSTS * 160 + 256, n = 0;
	w->conf = malloc(cap);
	if (!w->conf)
		die("config", DP_ENOMEM);
	for (int i = 0; i < NPOSTS; i++) {
		struct post *p = &w->posts[i];
		n += (size_t)snprintf(w->conf + n, cap - n, "network.%s = ", p->name);
		for (int j = 0; j < p->nnets; j++) {
			int k = p->net0 + j;
			n += (size_t)snprintf(w->conf + n, cap - n, "%s172.%d.%d.0/24", j ? ", " : "",
					      16 + k / 256, k % 256);
			w->nnets++;
		}
		n += (size_t)snprintf(w->conf + n, cap - n, "\n");
	}
	n += (size_t)snprintf(w->conf + n, cap - n,
			      "network.TOKYO = 2001:db8:1::/48\nnetwork.* = 100.64.0.0/10\n");
	w->nnets += 2;
	/* officers: HQ 600, the rest skewed (weights 1/(rank+1)^0.9), at least 3 a post */
	w->officers = calloc(NOFFICERS, sizeof *w->officers);
	w->officer_post = calloc(NOFFICERS, sizeof *w->officer_post);
	if (!w->officers || !w->officer_post)
		die("officers", DP_ENOMEM);
	int per[NPOSTS];
	double wsum = 0, wt[NPOSTS];
	for (int i = 1; i < NPOSTS; i++) {
		wt[i] = 1.0 / __builtin_pow(i, 0.9);
		wsum += wt[i];
	}
	int left = NOFFICERS - HQ_OFFICERS - 3 * (NPOSTS - 1), total = HQ_OFFICERS;
	per[0] = HQ_OFFICERS;
	for (int i = 1; i < NPOSTS; i++) {
		per[i] = 3 + (int)(left * wt[i] / wsum);
		total += per[i];
	}
	for (int i = 1; total < NOFFICERS; i = i % (NPOSTS - 1) + 1, total++)
		per[i]++;
	int o = 0;
	for (int i = 0; i < NPOSTS; i++)
		for (int k = 0; k < per[i] && o < NOFFICERS; k++, o++) {
			snprintf(w->officers[o], sizeof w->officers[o], "o%04d.p%03d", o, i);
			w->officer_post[o] = i;
		}
	/* devices: one per officer, a second for one in three; five decoys at HQ */
	w->devs = calloc(2 * NOFFICERS + 8, sizeof *w->devs);
	w->dev_officer = calloc(2 * NOFFICERS + 8, sizeof *w->dev_officer);
	if (!w->devs || !w->dev_officer)
		die("devices", DP_ENOMEM);
	for (int i = 0; i < NOFFICERS; i++)
		for (int k = 0; k < (i % 3 == 0 ? 2 : 1); k++) {
			struct dev *v = &w->devs[w->ndevs];
			for (int b = 0; b < 32; b += 8) {
				uint64_t x = rnd();
				memcpy(v->id + b, &x, 8);
			}
			v->post = w->officer_post[i];
			w->dev_officer[w->ndevs++] = i;
		}
	for (int k = 0; k < 5; k++) {
		struct dev *v = &w->devs[w->ndevs];
		for (int b = 0; b < 32; b += 8) {
			uint64_t x = rnd();
			memcpy(v->id + b, &x, 8);
		}
		v->decoy = 1;
		w->dev_officer[w->ndevs++] = 0;
		w->ndecoys++;
	}
}

static dp_det *make_engine(const struct world *w, const dp_det_config *cfg, uint64_t *alerts)
{
	dp_det *d;
	int r = dp_det_new(&d, cfg, NULL, NULL);
	if (r)
		die("dp_det_new", r);
	for (int i = 0; i < NPOSTS; i++)
		if ((r = dp_det_post(d, w->posts[i].name, w->posts[i].off_s)))
			die("dp_det_post", r);
	for (int i = 0; i < NOFFICERS; i++)
		if ((r = dp_det_officer(d, w->officers[i], w->posts[w->officer_post[i]].name)))
			die("dp_det_officer", r);
	for (int i = 0; i < w->ndevs; i++)
		if ((r = dp_det_device(d, w->devs[i].id, w->officers[w->dev_officer[i]], 1,
				       w->devs[i].decoy)))
			die("dp_det_device", r);
	(void)alerts;
	return d;
}

/* A random host of one of the post's networks (or the VPN, or unknown). */
static void pick_addr(const struct world *w, int post, uint8_t a[16])
{
	memset(a, 0, 16);
	double r = rndf();
	if (r < 0.01)
		return;
	a[10] = a[11] = 0xff;
	if (r < 0.05) {
		a[12] = 100;
		a[13] = (uint8_t)(64 + rndn(64));
		a[14] = (uint8_t)rndn(256);
		a[15] = (uint8_t)(1 + rndn(254));
		return;
	}
	const struct post *p = &w->posts[post];
	int k = p->net0 + (int)rndn((uint64_t)p->nnets);
	a[12] = 172;
	a[13] = (uint8_t)(16 + k / 256);
	a[14] = (uint8_t)(k % 256);
	a[15] = (uint8_t)(1 + rndn(254));
}

struct mix {
	size_t first, refetch, other, keyreq, denied, notaddr;
};

static dp_det_event *make_events(const struct world *w, size_t n, struct mix *m)
{
	dp_det_event *ev = calloc(n, sizeof *ev);
	if (!ev)
		die("events", DP_ENOMEM);
	const int64_t t0 = INT64_C(1772409600000); /* Monday 2026-03-02 00:00 UTC */
	const double gap = (double)DAYS * 86400000.0 / (double)n;
	double t = (double)t0;
	int64_t seq = 1000000;
	memset(m, 0, sizeof *m);
	for (size_t i = 0; i < n; i++) {
		dp_det_event *e = &ev[i];
		t += gap * 2 * rndf();
		int64_t ms = (int64_t)t;
		int dv;
		for (;;) { /* working hours of the post, mostly */
			dv = (int)rndn((uint64_t)(w->ndevs - w->ndecoys));
			int64_t local = ms + (int64_t)w->posts[w->devs[dv].post].off_s * 1000;
			int hour = (int)((local / 3600000) % 24);
			int dow = (int)((local / 86400000 + 4) % 7);
			if ((hour >= 8 && hour < 18 && dow != 0 && dow != 6) || rndf() < 0.05)
				break;
		}
		e->t_ms = ms;
		memcpy(e->device, w->devs[dv].id, 32);
		pick_addr(w, w->devs[dv].post, e->addr);
		e->cable_seq = -1;
		double r = rndf();
		if (r < 0.55) {
			e->kind = DP_DET_FETCH;
			e->cable_seq = seq++;
			e->cable_accepted = ms / 1000 - (int64_t)rndn(6 * 3600);
			m->first++;
		} else if (r < 0.65) {
			e->kind = DP_DET_FETCH;
			e->refetch = 1;
			int deep = rndf() < 0.05;
			int64_t age = deep ? 30 * 86400 + (int64_t)rndn(300 * 86400)
					   : (int64_t)rndn(30 * 86400);
			e->cable_accepted = ms / 1000 - age;
			e->cable_seq = seq - 1 - (int64_t)rndn(200000);
			m->refetch++;
		} else if (r < 0.95) {
			e->kind = DP_DET_OTHER;
			m->other++;
		} else if (r < 0.98) {
			e->kind = DP_DET_KEYREQ;
			memcpy(e->subject, w->devs[rndn((uint64_t)(w->ndevs - w->ndecoys))].id, 32);
			m->keyreq++;
		} else if (r < 0.99) {
			e->kind = DP_DET_DENIED;
			m->denied++;
		} else if (r < 0.995) {
			e->kind = DP_DET_NOT_ADDRESSED;
			e->cable_seq = (int64_t)rndn((uint64_t)seq);
			m->notaddr++;
		} else {
			e->kind = DP_DET_OTHER;
			m->other++;
		}
	}
	return ev;
}

static uint32_t counters[1 << 16];

/* The cost of touching the events: each device id hashed into a counter table. */
static double run_baseline(const dp_det_event *ev, size_t n, uint64_t *sink)
{
	memset(counters, 0, sizeof counters);
	double t0 = bench_now();
	for (size_t i = 0; i < n; i++) {
		uint64_t h[4];
		memcpy(h, ev[i].device, 32);
		uint64_t x = (h[0] ^ h[1] ^ h[2] ^ h[3]) * UINT64_C(0x9e3779b97f4a7c15);
		counters[x >> 48] += (uint32_t)ev[i].kind;
	}
	double dt = bench_now() - t0;
	uint64_t s = 0;
	for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
		s += counters[i];
	*sink += s;
	return (double)n / dt;
}

static double run_feed(const struct world *w, const dp_det_config *cfg, const dp_det_event *ev,
		       size_t n, dp_det_stats *st, uint64_t *sink)
{
	dp_det *d = make_engine(w, cfg, NULL);
	uint64_t v = 0;
	double t0 = bench_now();
	for (size_t i = 0; i < n; i++)
		v += (uint64_t)dp_det_feed(d, &ev[i]);
	double dt = bench_now() - t0;
	*sink += v;
	dp_det_get_stats(d, st);
	dp_det_free(d);
	return (double)n / dt;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_detect [--runs R (5)] [--events N (2000000)] [--seed S]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int runs = 5;
	size_t n = 2000000;
	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--runs") == 0)
			runs = atoi(argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "--events") == 0)
			n = (size_t)strtoull(argv[++i], NULL, 10);
		else if (i + 1 < argc && strcmp(argv[i], "--seed") == 0)
			rng_s = strtoull(argv[++i], NULL, 10) | 1;
		else
			usage();
	}
	if (runs < 1 || runs > 100 || n < 1000 || n > 100000000)
		usage();
	static struct world w;
	build_world(&w);
	dp_det_config cfg;
	char err[256];
	int r = dp_det_config_parse(&cfg, w.conf, strlen(w.conf), err, sizeof err);
	if (r) {
		fprintf(stderr, "bench_detect: config: %s\n", err);
		return 1;
	}
	struct mix m;
	double g0 = bench_now();
	dp_det_event *ev = make_events(&w, n, &m);
	double gen = bench_now() - g0;
	printf("bench_detect: %d posts, %d officers, %d devices (+%d decoys), %zu networks\n", NPOSTS,
	       NOFFICERS, w.ndevs - w.ndecoys, w.ndecoys, w.nnets);
	printf("events: %zu over %d simulated days (generated in %.1f s, %zu MB): first fetches "
	       "%.1f %%, re-fetches %.1f %%, other %.1f %%, key requests %.1f %%, denied %.1f %%, "
	       "not addressed %.1f %%\n\n",
	       n, DAYS, gen, n * sizeof *ev >> 20, 100.0 * (double)m.first / (double)n,
	       100.0 * (double)m.refetch / (double)n, 100.0 * (double)m.other / (double)n,
	       100.0 * (double)m.keyreq / (double)n, 100.0 * (double)m.denied / (double)n,
	       100.0 * (double)m.notaddr / (double)n);
	double *base = calloc((size_t)runs, sizeof *base), *feed = calloc((size_t)runs, sizeof *feed);
	if (!base || !feed)
		die("runs", DP_ENOMEM);
	uint64_t sink = 0;
	dp_det_stats st;
	printf("%-4s %18s %18s %7s %8s %7s %7s %10s %9s\n", "run", "baseline_touch", "det_feed",
	       "ratio", "alerts", "pages", "suspend", "throttled", "blocked");
	printf("%-4s %18s %18s %7s\n", "", "(events/s)", "(events/s)", "");
	for (int i = 0; i < runs; i++) {
		base[i] = run_baseline(ev, n, &sink);
		feed[i] = run_feed(&w, &cfg, ev, n, &st, &sink);
		printf("%-4d %18.0f %18.0f %7.3f %8llu %7llu %7llu %10llu %9llu\n", i + 1, base[i],
		       feed[i], feed[i] / base[i], (unsigned long long)st.alerts,
		       (unsigned long long)st.pages, (unsigned long long)st.suspensions,
		       (unsigned long long)st.throttled_requests,
		       (unsigned long long)st.blocked_requests);
	}
	double mb = bench_median(base, runs), mf = bench_median(feed, runs);
	printf("%-4s %18.0f %18.0f %7.3f\n\n", "med", mb, mf, mf / mb);
	printf("alerts by rule (last run):");
	for (int k = 0; k < DP_R_COUNT; k++)
		if (st.alerts_by_rule[k])
			printf(" %s %llu", dp_det_rule_name(k), (unsigned long long)st.alerts_by_rule[k]);
	printf("\n\n");
	printf("baseline_touch %.0f events/s\n", mb);
	printf("det_feed %.0f events/s\n", mf);
	printf("det_feed_ns %.1f ns/event\n", 1e9 / mf);
	printf("det_feed_ratio %.4f x baseline\n", mf / mb);
	printf("goal >= 200000 events/s: %s\n", mf >= 200000 ? "met" : "NOT met");
	fprintf(stderr, "(sink %llu)\n", (unsigned long long)sink);
	free(base);
	free(feed);
	free(ev);
	free(w.conf);
	free(w.officers);
	free(w.officer_post);
	free(w.devs);
	free(w.dev_officer);
	dp_det_config_free(&cfg);
	return 0;
}
