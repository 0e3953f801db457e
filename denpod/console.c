/*
 * denpod/console.c - `denpod console` (denpod/console.h): the web console
 * on 127.0.0.1, its operators' login and the limits on guessing.
 *
 * Login (dp_webui_config.login): the name and password are checked
 * against the store's Argon2id hash (dpop_verify).  Failures are limited
 * per name, before any hash is computed, so that failing logins under
 * other names never locks a real operator out:
 *   - a name with DPCS_FAILS failures in DPCS_FAIL_WINDOW seconds is
 *     locked for DPCS_LOCK seconds, doubling with each further failure
 *     (at most DPCS_LOCK_MAX): no password is checked meanwhile, the right
 *     one neither, so guessing one name costs hours; a slot counting an
 *     operator's failures is never taken for another name (user_slot);
 *   - past DPCS_FAILS_MINUTE failures over all names in the last
 *     DPCS_FAIL_SPAN seconds (a sliding window, so a burst across the
 *     clock's minute counts whole), it is said on stderr, and names that
 *     cannot be an operator's are refused unchecked; every other name is
 *     still checked (login()).
 * Every failure is said on stderr (the journal, under systemd); every
 * successful login, and the lockout of an operator's name, are admin
 * entries in the transparency log (CONSOLE-LOGIN, CONSOLE-LOCKOUT), by the
 * operator named.
 *
 * A session lasts while its operator is one with the password it logged
 * in with (`denpod operator passwd` or `remove` ends it at its next
 * request), for DPCS_LIFETIME after the login, and DPCS_IDLE after the
 * operator's last act: the page polls every 2 s, so the web server's idle
 * timeout (any request) would never fire; dpcs_who, before every route,
 * counts only requests the page marks as the operator's (X-Denpo-Activity).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/http.h>
#include <sodium.h>

#include "denpo/epoch.h"
#include "denpo/json.h"
#include "denpo/num.h"
#include "denpod/admin.h"
#include "denpod/console.h"
#include "denpod/operators.h"

#define DPCS_FAILS 5
#define DPCS_FAIL_WINDOW 900
#define DPCS_LOCK 60
#define DPCS_LOCK_MAX 3600
#define DPCS_FAILS_MINUTE 10
#define DPCS_IDLE 1800	    /* seconds without an operator's act that end a session */
#define DPCS_LIFETIME 43200 /* seconds after the login that end a session, acts or not */

/* A slot that holds nothing a login limit or a session needs: free to take. */
static int slot_free(const dpcs_user *u, int64_t now)
{
	return !u->name[0] || (!u->login && u->locked_until <= now &&
			       (!u->fails || now - u->first_fail > DPCS_FAIL_WINDOW));
}

/*
 * The slot of name: its own; else a free one (slot_free); else that of a
 * name that is no operator's, tried longest ago (a guessed name's count
 * protects nothing; an operator's does).  NULL when none is left: never a
 * slot counting an operator's failures or locking it, never a logged-in
 * operator's, so fresh names tried by the thousand cannot wipe a lock.
 * (So a name whose count survives a flood of fresh names is an operator's:
 * finding that out costs DPCS_FAILS failures at it, a CONSOLE-LOCKOUT in
 * the log.)
 */
static dpcs_user *user_slot(dpcs *c, const char *name, int op, int64_t now)
{
	dpcs_user *take = NULL, *guess = NULL; /* a free slot; a guessed name's */
	for (size_t i = 0; i < DPCS_USERS; i++) {
		dpcs_user *u = &c->users[i];
		if (u->name[0] && strcmp(u->name, name) == 0) {
			u->op = op; /* an operator added or removed since */
			return u;
		}
		if (!take && slot_free(u, now))
			take = u;
		if (!u->op && !u->login && (!guess || u->first_fail < guess->first_fail))
			guess = u;
	}
	take = take ? take : guess;
	if (take) {
		memset(take, 0, sizeof *take);
		snprintf(take->name, sizeof take->name, "%s", name);
		take->op = op;
	}
	return take;
}

/*
 * What identifies the operator's password now: a hash of its stored
 * Argon2id string (a new password has a new salt, so a new string).
 */
static int hash_id(dps_store *s, const char *name, uint8_t out[32])
{
	dps_operator o;
	int r = dps_operator_get(s, name, &o);
	if (!r)
		crypto_generichash(out, 32, (const uint8_t *)o.hash, strlen(o.hash), NULL, 0);
	sodium_memzero(&o, sizeof o);
	return r;
}

/* An admin entry by name (CONSOLE-LOGIN, CONSOLE-LOCKOUT): said, never fatal. */
static void log_act(dpcs *c, const char *name, const char *act, const char *detail)
{
	dpl_enc *x = dpl_enc_new();
	int r = x ? dps_begin(c->s) : DP_ENOMEM;
	if (!r)
		r = dpa_log_admin(c->s, x, name, act, detail);
	if (x)
		r = dpa_finish_txn(c->s, r);
	dpl_enc_free(x);
	if (r)
		fprintf(stderr, "denpod console: %s of %s not logged: %s\n", act, name, dp_strerror(r));
}

/* Failed logins by any name in the DPCS_FAIL_SPAN seconds up to now. */
static unsigned recent_fails(const dpcs *c, int64_t now)
{
	unsigned n = 0;
	for (size_t i = 0; i < DPCS_FAIL_SPAN; i++)
		if (c->fail_at[i] <= now && now - c->fail_at[i] < DPCS_FAIL_SPAN)
			n += c->fail_n[i];
	return n;
}

/* A failure of name (its slot u, NULL if none): counted, and the name locked at DPCS_FAILS. */
static void count_fail(dpcs *c, dpcs_user *u, const char *name, const char *shown, int64_t now)
{
	size_t b = (size_t)(now % DPCS_FAIL_SPAN);
	if (c->fail_at[b] != now) {
		c->fail_at[b] = now;
		c->fail_n[b] = 0;
	}
	c->fail_n[b]++;
	if (recent_fails(c, now) > DPCS_FAILS_MINUTE && now - c->flood_said >= DPCS_FAIL_SPAN) {
		c->flood_said = now;
		fprintf(stderr, "denpod console: more than %d failed logins in the last minute, over "
				"all names: someone may be guessing (operators' names stay open to their "
				"passwords; each name locks on its own)\n", DPCS_FAILS_MINUTE);
	}
	if (!u) { /* a name that cannot be an operator's */
		fprintf(stderr, "denpod console: failed login as %s\n", shown);
		return;
	}
	if (!u->fails || now - u->first_fail > DPCS_FAIL_WINDOW) {
		u->fails = 0;
		u->first_fail = now;
	}
	u->fails++;
	fprintf(stderr, "denpod console: failed login as %s (%u in %d min)\n", shown, u->fails,
		DPCS_FAIL_WINDOW / 60);
	if (u->fails < DPCS_FAILS)
		return;
	int64_t lock = DPCS_LOCK;
	for (unsigned i = DPCS_FAILS; i < u->fails && lock < DPCS_LOCK_MAX; i++)
		lock *= 2;
	lock = lock > DPCS_LOCK_MAX ? DPCS_LOCK_MAX : lock;
	u->locked_until = now + lock;
	char detail[128];
	snprintf(detail, sizeof detail, "%u failed console logins in %d min: locked for %lld s",
		 u->fails, DPCS_FAIL_WINDOW / 60, (long long)lock);
	fprintf(stderr, "denpod console: %s: %s\n", shown, detail);
	/* in the log for an operator's name only: a guessed name is no one who acted */
	if (u->op)
		log_act(c, name, "CONSOLE-LOCKOUT", detail);
}

/*
 * Which logins are checked: a locked name's is not (429), nor one no slot
 * is left for (user_slot: 429, as a cap); a name that
 * cannot be an operator's (dpop_name_ok) is not, past DPCS_FAILS_MINUTE
 * failures in the last DPCS_FAIL_SPAN seconds; every other one is, past the cap too, so a real
 * operator's right password opens a session whatever others try.  An
 * unknown name and a wrong password cost the same hash and get the same
 * answer (403), slot or none (user_slot looks the name up in the store,
 * microseconds beside the hash), so neither the delay nor the answer says
 * which names are operators'.
 */
static int login(void *app, const char *name, const char *password)
{
	dpcs *c = app;
	int64_t now = dp_now();
	int valid = dpop_name_ok(name);
	/* a name that cannot be an operator's is refused as a wrong password, and not echoed */
	const char *shown = valid ? name : "(not an operator's name)";
	if (!valid && recent_fails(c, now) >= DPCS_FAILS_MINUTE) {
		fprintf(stderr, "denpod console: login as %s refused unchecked: too many failed logins "
				"in the last minute\n", shown);
		return DP_ESTATE; /* not checked: the web server says to wait (429) */
	}
	dps_operator o;
	int op = valid && dps_operator_get(c->s, name, &o) == DP_OK;
	sodium_memzero(&o, sizeof o);
	dpcs_user *u = valid ? user_slot(c, name, op, now) : NULL;
	if (valid && (!u || u->locked_until > now)) {
		fprintf(stderr, "denpod console: login as %s refused unchecked: %s\n", shown,
			u ? "locked after failed logins" : "every slot holds an operator's failures");
		return DP_ESTATE;
	}
	if (dpop_verify(c->s, name, password) == DP_OK && u && hash_id(c->s, name, u->hash_id) == DP_OK) {
		u->fails = 0;
		u->first_fail = 0;
		u->login = now;
		u->active = now;
		fprintf(stderr, "denpod console: %s logged in\n", name);
		log_act(c, name, "CONSOLE-LOGIN", "denpod console");
		return 0;
	}
	count_fail(c, u, name, shown, now);
	return DP_EDENIED;
}

/* The header the page sends on an operator's act or navigation, never on its polling. */
static int is_activity(dp_webui_req *rq)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(rq->req), "X-Denpo-Activity");
	return h && strcmp(h, "1") == 0;
}

int dpcs_who(dpcs *c, dp_webui_req *rq)
{
	uint8_t now[32];
	dpcs_user *u = NULL;
	int64_t t = dp_now();
	for (size_t i = 0; i < DPCS_USERS && !u; i++)
		if (rq->user && strcmp(c->users[i].name, rq->user) == 0 && c->users[i].login)
			u = &c->users[i];
	const char *ended = NULL;
	if (u && t - u->login >= c->lifetime)
		ended = "the session is older than the console allows";
	else if (u && t - u->active >= c->idle)
		ended = "the session was idle too long";
	if (ended) {
		fprintf(stderr, "denpod console: %s's session ended: %s\n", u->name, ended);
		u->login = 0;
		dp_webui_fail(rq, 401, "session-ended", ended, "log in again");
		return -1;
	}
	int r = u ? hash_id(c->s, rq->user, now) : DP_ENOTFOUND;
	if (r == DP_OK && sodium_memcmp(now, u->hash_id, sizeof now) == 0) {
		if (is_activity(rq))
			u->active = t;
		return 0;
	}
	dp_webui_fail(rq, 401, "session-ended",
		      r == DP_ENOTFOUND ? "this operator was removed, or the session is not an operator's"
		      : r		? "the store cannot be read"
					: "this operator's password was changed since the login",
		      "log in again");
	return -1;
}

/* A limit in seconds: def, or the test's environment variable (a short one). */
static int64_t limit_of(const char *env, int64_t def)
{
	uint64_t v;
	const char *e = getenv(env);
	return e && !dp_num_str(&v, e, 1, (uint64_t)def) ? (int64_t)v : def;
}

/* --listen: a port, bound to 127.0.0.1 whatever is asked (docs/operations.md). */
static int port_of(const char *listen, uint16_t *port)
{
	uint64_t v = 0;
	const char *p = listen;
	if (!p) {
		*port = 0;
		return 0;
	}
	if (strncmp(p, "127.0.0.1:", 10) == 0)
		p += 10;
	else if (strncmp(p, "localhost:", 10) == 0)
		p += 10;
	if (dp_num_str(&v, p, 1, 65535)) {
		fprintf(stderr, "denpod console: --listen takes a port (1-65535); the console listens on "
				"127.0.0.1 only: reach it from elsewhere through an SSH tunnel\n");
		return 2;
	}
	*port = (uint16_t)v;
	return 0;
}

static void on_signal(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopexit(arg, NULL);
}

int dpa_console(const dpa_args *a)
{
	uint16_t port = 0;
	if (a->npos) {
		fprintf(stderr, "usage: denpod console [--listen PORT] --data DIR\n");
		return 2;
	}
	int e = port_of(a->listen, &port);
	dp_json_wipe_allocs(); /* a login's password passes through jansson: wiped when freed */
	static dpcs c; /* large (the feed); one console per process */
	memset(&c, 0, sizeof c);
	/* shorter limits for tests only (tests/it_console.sh): never longer than the real ones */
	c.idle = limit_of("DENPO_TEST_CONSOLE_IDLE", DPCS_IDLE);
	c.lifetime = limit_of("DENPO_TEST_CONSOLE_LIFETIME", DPCS_LIFETIME);
	if (e || (e = dpa_open_store(a, &c.cfg, &c.s)))
		return e;
	if (dpcs_feed_init(&c.feed)) {
		dps_close(c.s);
		return dpa_fail(DP_ENOMEM, "console", NULL);
	}
	/* the hash of an unknown name is made now, not at the first login that needs it */
	if (dpop_verify(c.s, "", "") == DP_OK)
		return 1; /* cannot be: "" is no operator's name */
	struct event_base *base = event_base_new();
	struct event *term = base ? evsignal_new(base, SIGTERM, on_signal, base) : NULL;
	struct event *intr = base ? evsignal_new(base, SIGINT, on_signal, base) : NULL;
	const dp_webui_asset *assets;
	size_t nassets;
	dpcs_assets(&assets, &nassets);
	dp_webui_config cfg = {
		.name = "denpod console",
		.cookie = "denpod_console",
		.port = port,
		.assets = assets,
		.nassets = nassets,
		.routes = dpcs_routes,
		.nroutes = dpcs_nroutes,
		.idle_timeout = DPCS_LIFETIME, /* the page polls: dpcs_who ends idle sessions */
		.login = login,
		.app = &c,
	};
	int r = term && intr && !event_add(term, NULL) && !event_add(intr, NULL) ? DP_OK : DP_ENOMEM;
	if (!r)
		r = dp_webui_start(base, &cfg, &c.w);
	if (r == DP_ENET)
		fprintf(stderr, "denpod console: cannot listen on 127.0.0.1:%u (in use?): give another "
				"--listen PORT\n", (unsigned)port);
	else if (r)
		fprintf(stderr, "denpod console: cannot start: %s\n", dp_strerror(r));
	if (!r) {
		printf("denpod console: http://127.0.0.1:%u/ (log in as an operator: denpod operator "
		       "add NAME)\n", (unsigned)dp_webui_port(c.w));
		fflush(stdout);
		event_base_dispatch(base);
		dp_webui_free(c.w);
	}
	if (term)
		event_free(term);
	if (intr)
		event_free(intr);
	if (base)
		event_base_free(base);
	dpcs_feed_free(&c.feed);
	sodium_memzero(c.users, sizeof c.users);
	dps_close(c.s);
	return r ? 1 : 0;
}
