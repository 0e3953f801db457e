/*
 * denpo/webui.h - a browser interface served on 127.0.0.1 by the process
 * that holds what it shows: `denpo ui` (the officer's device: its keys never
 * leave the process, the page gets only what an officer reads) and
 * `denpod console` (the switch host: the security office and the operators).
 *
 * HTTP is libevent's evhttp; this file adds what makes a local web
 * application safe to leave open on a shared machine (docs/ui.md):
 *
 *   Listening   127.0.0.1 only, on the port asked for or any free one.
 *   Host        must be "127.0.0.1:PORT" or "localhost:PORT" (this port):
 *               anything else is 421, so a hostile page that rebinds its own
 *               name to 127.0.0.1 (DNS rebinding) reaches nothing.
 *   Session     nothing but /login answers without one.  A session starts
 *               either by the one-time token (GET /login?token=T: the token
 *               the process printed, spent on first use, 256 random bits;
 *               answered by a page that keeps the session's key in this
 *               tab and moves on to / by itself, so the next request is
 *               one of this origin's) or, when the application has a login
 *               callback (the console's operators), by POST /login
 *               {"user", "password"}, answered {"user", "key"}.  It is a
 *               cookie (HttpOnly, SameSite=Strict, no Expires: the browser
 *               drops it when it closes) naming a session held in this
 *               process's memory only, AND the session's key: every /api/
 *               request, GET included, must carry X-Denpo-Key.  The cookie
 *               alone opens only the pages (which hold no data): a cookie
 *               of 127.0.0.1 is sent to every port there, so another local
 *               user's server could catch it, but not the key, which only
 *               this origin's pages hold (sessionStorage).  A session ends
 *               with the process, after idle_timeout, or at POST /logout.
 *   Requests    that change anything (any method but GET/HEAD) must also
 *               carry Origin equal to this origin, and no Sec-Fetch-Site but
 *               same-origin, so another site can neither forge one
 *               (cross-site request forgery) nor read an answer (no CORS
 *               header is ever sent).
 *   Headers     every answer: a strict Content-Security-Policy (scripts,
 *               styles, images, sounds and connections from this origin only;
 *               no inline script, no eval, no frames, no form posts
 *               elsewhere), X-Content-Type-Options: nosniff, Referrer-Policy:
 *               no-referrer, Cache-Control: no-store (nothing read is kept in
 *               the browser's disk cache), Cross-Origin-Opener-Policy and
 *               -Resource-Policy same-origin, X-Frame-Options: DENY.
 *   Assets      the application's own files, compiled into the program
 *               (DP_WEBUI_EMBED): no file is read at run time, nothing is
 *               fetched from elsewhere.  What every application's pages
 *               share is served here: /webui/base.css (colours, fonts, the
 *               top bar) and /webui/dom.js (el(): elements with text only
 *               ever put in as text), from lib/webui/.
 *
 * One dp_webui runs on the caller's event base, in the caller's thread.
 * Handlers may block briefly (a request to the switch); the browser waits.
 */
#ifndef DENPO_WEBUI_H
#define DENPO_WEBUI_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "denpo/error.h"

struct event_base;
struct evhttp_request;

/*
 * A file compiled into the program: DP_WEBUI_EMBED(app_js, "denpo/ui/app.js")
 * at file scope defines app_js[] .. app_js_end[] (the path is relative to
 * the top of the source tree, where make runs; the Makefile lists the files
 * as the object's prerequisites).
 */
#define DP_WEBUI_EMBED(sym, file)                                                        \
	__asm__(".pushsection .rodata\n.balign 16\n" #sym ":\n.incbin \"" file "\"\n" #sym \
		"_end:\n.byte 0\n.popsection\n");                                         \
	extern const unsigned char sym[], sym##_end[]
#define DP_WEBUI_ASSET(urlpath, type, sym) {urlpath, type, sym, sym##_end, 0}
/* An asset served without a session: a login page and what it loads (holds no data). */
#define DP_WEBUI_OPEN_ASSET(urlpath, type, sym) {urlpath, type, sym, sym##_end, 1}

typedef struct {
	const char *path;                    /* "/", "/app.js" */
	const char *type;                    /* "text/html; charset=utf-8" */
	const unsigned char *data, *end;
	int open;                            /* served without a session */
} dp_webui_asset;

typedef struct dp_webui dp_webui;

/* One request to an API route, for the handler. */
typedef struct {
	struct evhttp_request *req;
	const char *method;                  /* "GET", "POST", "DELETE", ... */
	const char *path;                    /* decoded path without the query */
	const char *tail;                    /* for a prefix route: what follows the prefix */
	const uint8_t *body;                 /* the request body (NUL-terminated copy) */
	size_t body_len;
	const char *user;                    /* the session's user ("" for a token session) */
	void *app;                           /* dp_webui_config.app */
	dp_webui *w;
	int answered;
} dp_webui_req;

/*
 * A route's handler answers with dp_webui_json / dp_webui_fail /
 * dp_webui_bytes before it returns; one that does not answer gets a 500.
 */
typedef void (*dp_webui_fn)(dp_webui_req *rq);

enum { DP_WEBUI_EXACT = 0, DP_WEBUI_PREFIX = 1 };
typedef struct {
	const char *method;                  /* "GET", "POST", "DELETE" */
	int match;                           /* DP_WEBUI_EXACT or DP_WEBUI_PREFIX */
	const char *path;                    /* "/api/inbox", "/api/cables/" */
	dp_webui_fn fn;
} dp_webui_route;

typedef struct {
	const char *name;                    /* "denpo ui": in messages */
	const char *cookie;                  /* the session cookie's name: "denpo_ui" */
	uint16_t port;                       /* 0: any free port */
	const dp_webui_asset *assets;        /* "/" is the application's page */
	size_t nassets;
	const dp_webui_route *routes;
	size_t nroutes;
	size_t max_body;                     /* cap on a request body (0: 64 KiB) */
	long idle_timeout;                   /* seconds without a request that end a session (0: never) */
	/*
	 * The console's operators: check user and password (constant time, a
	 * password hash): 0 ok; DP_ESTATE refused without checking (the name
	 * is locked after failed logins: 429, "wait"); anything else wrong
	 * (403).  The callback keeps the failure counts and the lockout: the
	 * web server has no limit of its own, so that guesses at one name
	 * never lock the other operators out.  NULL: only the one-time token
	 * opens a session.
	 */
	int (*login)(void *app, const char *user, const char *password);
	/* Called when the one-time link opened a session (may be NULL). */
	void (*on_session)(void *app);
	void *app;
} dp_webui_config;

/*
 * Listen on 127.0.0.1 (DP_ENET if the port is taken).  Makes the first
 * one-time token (dp_webui_token).  The config and its tables must outlive it.
 */
int dp_webui_start(struct event_base *base, const dp_webui_config *cfg, dp_webui **out) DP_WUR;
/* Close every session and the listener; wipes the tokens. */
void dp_webui_free(dp_webui *w);
/* The port listened on. */
uint16_t dp_webui_port(const dp_webui *w);
/*
 * The URL that opens a session once: "http://127.0.0.1:PORT/login?token=T".
 * Each call makes a new token (the previous one is spent).  out >= 128 bytes.
 */
int dp_webui_token_url(dp_webui *w, char *out, size_t cap) DP_WUR;
/* How many sessions are open now. */
size_t dp_webui_sessions(const dp_webui *w);

/* Answer with JSON (takes the reference) and status (200, 201, ...). */
void dp_webui_json(dp_webui_req *rq, int status, json_t *j);
/*
 * Answer an error: {"error": name, "message": message, "hint": hint}
 * (hint may be NULL), with status.
 */
void dp_webui_fail(dp_webui_req *rq, int status, const char *name, const char *message, const char *hint);
/* Answer with bytes of a type (attachments: as a download, named). */
void dp_webui_bytes(dp_webui_req *rq, const char *type, const char *download_name, const uint8_t *p,
		    size_t n);
/* A query parameter of the request ("" if absent; NULL if cap is too small). */
const char *dp_webui_query(dp_webui_req *rq, const char *name, char *out, size_t cap);

#endif
