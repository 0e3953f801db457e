/*
 * denpod/console.c - `denpod console` (denpod/console.h): the web console
 * on 127.0.0.1, its operators' login and the limits on guessing.
 *
 * Login (dp_webui_config.login): the name and password are checked
 * against the store's Argon2id hash (dpop_verify).  Failures are limited
 * before any hash is computed:
 *   - a name with DPCS_FAILS failures in DPCS_FAIL_WINDOW seconds is
 *     locked for DPCS_LOCK seconds, doubling with each further failure
 *     (at most DPCS_LOCK_MAX): no password is checked meanwhile, the right
 *     one neither, so guessing one name costs hours;
 *   - at most DPCS_FAILS_MINUTE failures a minute over all names (guessing
 *     many names at once): past it every login waits for the next minute.
 * Every failure is said on stderr (the journal, under systemd); every
 * successful login, and the lockout of an operator's name, are admin
 * entries in the transparency log (CONSOLE-LOGIN, CONSOLE-LOCKOUT), by the
 * operator named.
 *
 * A session lasts while its operator is one with the password it logged
 * in with: `denpod operator passwd` or `remove` ends it at its next
 * request (dpcs_who, before every route).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
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
#define DPCS_IDLE 1800 /* seconds without a request that end a session */

/*
 * The slot of name: its own, else a new one in place of the name tried
 * longest ago (a logged-in operator's slot is kept: it holds the login
 * time); NULL only when every slot holds a logged-in operator.
 */
static dpcs_user *user_slot(dpcs *c, const char *name)
{
	dpcs_user *victim = NULL;
	for (size_t i = 0; i < DPCS_USERS; i++) {
		dpcs_user *u = &c->users[i];
		if (u->name[0] && strcmp(u->name, name) == 0)
			return u;
		if (u->login)
			continue;
		if (!victim || !u->name[0] || (victim->name[0] && u->first_fail < victim->first_fail))
			victim = victim && !victim->name[0] ? victim : u;
	}
	if (victim) {
		memset(victim, 0, sizeof *victim);
		snprintf(victim->name, sizeof victim->name, "%s", name);
	}
	return victim;
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

static int login(void *app, const char *name, const char *password)
{
	dpcs *c = app;
	int64_t now = dp_now();
	/* a name that cannot be an operator's is refused as a wrong password, and not echoed */
	const char *shown = dpop_name_ok(name) ? name : "(not an operator's name)";
	if (c->minute != now / 60) {
		c->minute = now / 60;
		c->minute_fails = 0;
	}
	dpcs_user *u = user_slot(c, dpop_name_ok(name) ? name : "-");
	if (!u || c->minute_fails >= DPCS_FAILS_MINUTE || u->locked_until > now) {
		fprintf(stderr, "denpod console: login as %s refused unchecked: %s\n", shown,
			!u || c->minute_fails >= DPCS_FAILS_MINUTE
				? "too many failed logins this minute"
				: "locked after failed logins");
		return DP_ESTATE; /* not checked: the web server says to wait (429) */
	}
	if (dpop_verify(c->s, name, password) == DP_OK && hash_id(c->s, name, u->hash_id) == DP_OK) {
		u->fails = 0;
		u->first_fail = 0;
		u->login = now;
		fprintf(stderr, "denpod console: %s logged in\n", name);
		log_act(c, name, "CONSOLE-LOGIN", "denpod console");
		return 0;
	}
	c->minute_fails++;
	if (!u->fails || now - u->first_fail > DPCS_FAIL_WINDOW) {
		u->fails = 0;
		u->first_fail = now;
	}
	u->fails++;
	fprintf(stderr, "denpod console: failed login as %s (%u in %d min)\n", shown, u->fails,
		DPCS_FAIL_WINDOW / 60);
	if (u->fails >= DPCS_FAILS) {
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
		dps_operator o;
		if (dpop_name_ok(name) && dps_operator_get(c->s, name, &o) == DP_OK)
			log_act(c, name, "CONSOLE-LOCKOUT", detail);
		sodium_memzero(&o, sizeof o);
	}
	return DP_EDENIED;
}

int dpcs_who(dpcs *c, dp_webui_req *rq)
{
	uint8_t now[32];
	const dpcs_user *u = NULL;
	for (size_t i = 0; i < DPCS_USERS && !u; i++)
		if (rq->user && strcmp(c->users[i].name, rq->user) == 0 && c->users[i].login)
			u = &c->users[i];
	int r = u ? hash_id(c->s, rq->user, now) : DP_ENOTFOUND;
	if (r == DP_OK && sodium_memcmp(now, u->hash_id, sizeof now) == 0)
		return 0;
	dp_webui_fail(rq, 401, "session-ended",
		      r == DP_ENOTFOUND ? "this operator was removed, or the session is not an operator's"
		      : r		? "the store cannot be read"
					: "this operator's password was changed since the login",
		      "log in again");
	return -1;
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
	uint16_t port;
	if (a->npos) {
		fprintf(stderr, "usage: denpod console [--listen PORT] --data DIR\n");
		return 2;
	}
	int e = port_of(a->listen, &port);
	dp_json_wipe_allocs(); /* a login's password passes through jansson: wiped when freed */
	static dpcs c; /* large (the feed); one console per process */
	memset(&c, 0, sizeof c);
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
		.idle_timeout = DPCS_IDLE,
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
