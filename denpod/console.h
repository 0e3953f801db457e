/*
 * denpod/console.h - `denpod console`, the security office's and the
 * operators' web console on the switch host (docs/operations.md, "The
 * console"): private to denpod/console*.c.
 *
 *   console.c       the command: the store, the web server (include/denpo/
 *                   webui.h) on 127.0.0.1, the operators' login with its
 *                   rate limit, the assets (denpod/console/)
 *   console_api.c   the JSON routes: what the page shows and the acts it
 *                   asks for, each through the function the CLI uses
 *                   (denpod/admin.h), by the session's operator
 *   console_feed.c  what the console reads from the transparency log as
 *                   it grows: the alerts, the fetches per post and minute
 *   console_assets.c the page (denpod/console/), compiled in
 *
 * One thread: the event loop runs the web server, and every handler reads
 * or writes the store in turn (a write waits for the running switch's
 * commit like any admin command).  The console holds no key and never
 * reads a cable.
 */
#ifndef DENPOD_CONSOLE_H
#define DENPOD_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "denpo/logentry.h"
#include "denpo/webui.h"
#include "denpod/config.h"
#include "denpod/store.h"

/* ---- console_feed.c ---- */

#define DPCS_ALERTS 200      /* the newest alerts kept */
#define DPCS_MINUTES 60      /* the fetch-rate chart's span, a bucket a minute */
#define DPCS_POSTS 64        /* posts charted one by one (more: "other") */
#define DPCS_BACKLOG 100000  /* entries read back from the end of the log at start */
#define DPCS_STEP 100000     /* entries read at most per update (= the backlog: the first reads it whole) */

typedef struct {
	uint64_t idx;
	int64_t t;
	char rule[DP_NAME_MAX + 1];
	uint8_t device[32];
	int has_device;
	char detail[DP_LOG_TEXT_MAX + 1];
} dpcs_alert;

typedef struct {
	uint8_t id[32];
	char officer[DP_NAME_MAX + 1];
	char post[DP_NAME_MAX + 1];
} dpcs_dev;

typedef struct {
	uint64_t next;                       /* the next log index to read */
	int started;
	dp_logent *e;                        /* scratch for one entry */
	dpcs_alert alerts[DPCS_ALERTS];      /* a ring, the newest at (head - 1) */
	size_t head, nalerts;
	int64_t minute[DPCS_MINUTES];        /* the minute (unix / 60) each bucket counts */
	uint32_t fetches[DPCS_MINUTES][DPCS_POSTS + 1]; /* [bucket][post], DPCS_POSTS: other */
	char posts[DPCS_POSTS][DP_NAME_MAX + 1];
	size_t nposts;
	dpcs_dev *devs;                      /* every device, sorted by id */
	size_t ndevs;
	int reloaded;                        /* devs were read again in this update */
} dpcs_feed;

/* An empty feed; DP_ENOMEM. */
int dpcs_feed_init(dpcs_feed *f) DP_WUR;
void dpcs_feed_free(dpcs_feed *f);
/*
 * Reads what the log gained since the last call (at most DPCS_STEP
 * entries; the first call starts DPCS_BACKLOG entries before the end).
 * A store error leaves the feed as it was, to be tried again.
 */
int dpcs_feed_update(dpcs_feed *f, dps_store *s) DP_WUR;
/* The device's officer and post (the directory as last read); NULL if unknown. */
const dpcs_dev *dpcs_feed_device(dpcs_feed *f, dps_store *s, const uint8_t id[32]);
/* {"alerts": [newest first: index, time, rule, device, officer, post, detail, step]} */
int dpcs_alerts_json(dpcs_feed *f, dps_store *s, json_t **out) DP_WUR;
/* {"end": minute, "minutes": 60, "posts": [{"post", "counts": [oldest..newest]}]} at now */
int dpcs_rates_json(dpcs_feed *f, int64_t now, json_t **out) DP_WUR;

/* ---- console.c ---- */

#define DPCS_USERS 64 /* operators and names tried, followed by the login limits */
#define DPCS_FAIL_SPAN 60 /* seconds over which the failures of all names are counted */

typedef struct {
	char name[DPS_OPNAME_MAX + 1];
	int op;               /* the name was an operator's when its slot was taken */
	int64_t login;        /* last successful login (0: no session) */
	int64_t active;       /* the operator's last act or navigation (X-Denpo-Activity) */
	uint8_t hash_id[32];  /* of the password hash at that login: a new one ends the sessions */
	int64_t first_fail;   /* start of the failures counted */
	unsigned fails;
	int64_t locked_until; /* no password is checked before then */
} dpcs_user;

typedef struct {
	dpc_config cfg;
	dps_store *s;
	dp_webui *w;
	dpcs_feed feed;
	dpcs_user users[DPCS_USERS];
	/* failed logins by any name over the last DPCS_FAIL_SPAN seconds: a count per second, a ring */
	int64_t fail_at[DPCS_FAIL_SPAN]; /* the second (unix) each slot counts */
	unsigned fail_n[DPCS_FAIL_SPAN];
	int64_t flood_said;   /* when the flood of failures was last said (once a span) */
	int64_t idle, lifetime; /* seconds: DPCS_IDLE, DPCS_LIFETIME (tests: dpa_console) */
} dpcs;

/*
 * The session's operator for a route: 0 if rq->user is an operator whose
 * password hash is the one it logged in with, who logged in less than
 * c->lifetime ago and acted less than c->idle ago; else answers 401 and
 * -1 (the page goes to the login page).  A request with X-Denpo-Activity:
 * 1 (the page sends it on an act or a navigation, never when it polls)
 * is an act.  The times are the operator's, not one session's: a new
 * login of the same name renews its other sessions too.
 */
int dpcs_who(dpcs *c, dp_webui_req *rq) DP_WUR;

/* ---- console_assets.c ---- */

/* The page's files: the login page and what it loads without a session, the console with one. */
void dpcs_assets(const dp_webui_asset **out, size_t *n);

/* ---- console_api.c ---- */

extern const dp_webui_route dpcs_routes[];

/* An act the page asks for: POST /api/<what>/<target>/<verb>, body {"reason": TEXT} or empty. */
typedef struct {
	char what[16], target[80], verb[16];
	char reason[DP_LOG_TEXT_MAX + 1]; /* "" if none */
} dpcs_act_req;
/*
 * The request's path (untrusted: any bytes up to a NUL) and body into
 * *out.  DP_OK; DP_ENOTFOUND if the path is not of that shape (three
 * non-empty parts within their fields); DP_EPARSE if the body is not a
 * JSON object whose reason is absent, null, "" or a log text
 * (dpa_log_text_ok).  fuzz/fuzz_console_act.c.
 */
int dpcs_act_parse(const char *path, const uint8_t *body, size_t len, dpcs_act_req *out) DP_WUR;
extern const size_t dpcs_nroutes;

#endif
