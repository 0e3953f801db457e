/*
 * lib/webui.c - the local web server of `denpo ui` and `denpod console`
 * (contract and security rules: include/denpo/webui.h).
 *
 * Every request goes through one gate, in this order: Host, then the
 * session (cookie), then for the API the session's key (X-Denpo-Key), and
 * for a request that changes anything Origin and Sec-Fetch-Site; only then
 * an asset or a route.  Each answer, refusals included, carries the same
 * security headers (put_headers).  Secrets (tokens, session ids, keys) are
 * compared in constant time and wiped when dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>
#include <sodium.h>

#include "denpo/webui.h"

/* What every application's pages share (lib/webui/), served to any request that passes the Host check. */
DP_WEBUI_EMBED(webui_base_css, "lib/webui/base.css");
DP_WEBUI_EMBED(webui_dom_js, "lib/webui/dom.js");
DP_WEBUI_EMBED(webui_signin_js, "lib/webui/signin.js");
static const dp_webui_asset shared_assets[] = {
	DP_WEBUI_OPEN_ASSET("/webui/base.css", "text/css; charset=utf-8", webui_base_css),
	DP_WEBUI_OPEN_ASSET("/webui/dom.js", "text/javascript; charset=utf-8", webui_dom_js),
	DP_WEBUI_OPEN_ASSET("/webui/signin.js", "text/javascript; charset=utf-8", webui_signin_js),
};

#define SECRET_BYTES 32
#define SECRET_HEX (2 * SECRET_BYTES + 1)
#define MAX_SESSIONS 64
#define USER_MAX 64

static const char CSP[] = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
			  "media-src 'self'; font-src 'self'; connect-src 'self'; form-action 'self'; "
			  "frame-ancestors 'none'; base-uri 'none'";

typedef struct {
	char id[SECRET_HEX];                 /* "" = free slot */
	char key[SECRET_HEX];                /* X-Denpo-Key: held by this origin's pages only */
	char user[USER_MAX + 1];
	time_t last;
} session;

struct dp_webui {
	const dp_webui_config *cfg;
	struct evhttp *http;
	uint16_t port;
	char token[SECRET_HEX];              /* the one-time token; "" = none outstanding */
	session sessions[MAX_SESSIONS];
	char origin[2][48];                  /* "http://127.0.0.1:PORT", "http://localhost:PORT" */
};

static void new_secret(char out[SECRET_HEX])
{
	uint8_t b[SECRET_BYTES];
	randombytes_buf(b, sizeof b);
	sodium_bin2hex(out, SECRET_HEX, b, sizeof b);
	sodium_memzero(b, sizeof b);
}

/* Constant time in the secret's length (both are SECRET_HEX - 1 when valid). */
static int secret_eq(const char *known, const char *given)
{
	size_t n = strlen(known);
	if (n != SECRET_HEX - 1 || !given || strlen(given) != n)
		return 0;
	return sodium_memcmp(known, given, n) == 0;
}

/* ---- answers ---- */

static void put_headers(struct evhttp_request *req, const char *type)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Content-Security-Policy", CSP);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "Cross-Origin-Opener-Policy", "same-origin");
	evhttp_add_header(h, "Cross-Origin-Resource-Policy", "same-origin");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
	if (type)
		evhttp_add_header(h, "Content-Type", type);
}

static void send_text(struct evhttp_request *req, int status, const char *type, const char *p, size_t n)
{
	struct evbuffer *b = evbuffer_new();
	put_headers(req, type);
	if (b && n)
		evbuffer_add(b, p, n);
	evhttp_send_reply(req, status, NULL, b);
	if (b)
		evbuffer_free(b);
}

static void send_error(struct evhttp_request *req, int status, const char *name, const char *message,
		       const char *hint)
{
	json_t *j = json_pack("{s:s, s:s}", "error", name, "message", message);
	if (j && hint && *hint)
		json_object_set_new(j, "hint", json_string(hint));
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (s)
		send_text(req, status, "application/json", s, strlen(s));
	else
		send_text(req, 500, "text/plain; charset=utf-8", "out of memory\n", 14);
	free(s);
	json_decref(j);
}

void dp_webui_json(dp_webui_req *rq, int status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	if (s)
		send_text(rq->req, status, "application/json", s, strlen(s));
	else
		send_error(rq->req, 500, "internal", "cannot encode the answer", NULL);
	if (s) {
		sodium_memzero(s, strlen(s)); /* may hold a cable's text */
		free(s);
	}
	json_decref(j);
	rq->answered = 1;
}

void dp_webui_fail(dp_webui_req *rq, int status, const char *name, const char *message, const char *hint)
{
	send_error(rq->req, status, name, message, hint);
	rq->answered = 1;
}

void dp_webui_bytes(dp_webui_req *rq, const char *type, const char *download_name, const uint8_t *p, size_t n)
{
	if (download_name) {
		/* RFC 6266 / RFC 5987: the name percent-encoded, never a quoted string to escape */
		char disp[1024] = "attachment; filename*=UTF-8''";
		size_t k = strlen(disp);
		for (const unsigned char *c = (const unsigned char *)download_name; *c && k + 4 < sizeof disp; c++) {
			if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
			    strchr("!#$&+-.^_`|~", *c))
				disp[k++] = (char)*c;
			else
				k += (size_t)snprintf(disp + k, sizeof disp - k, "%%%02X", *c);
		}
		disp[k] = 0;
		evhttp_add_header(evhttp_request_get_output_headers(rq->req), "Content-Disposition", disp);
	}
	send_text(rq->req, 200, type, (const char *)p, n);
	rq->answered = 1;
}

const char *dp_webui_query(dp_webui_req *rq, const char *name, char *out, size_t cap)
{
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(rq->req);
	const char *q = u ? evhttp_uri_get_query(u) : NULL;
	struct evkeyvalq kv;
	TAILQ_INIT(&kv);
	if (cap)
		out[0] = 0;
	if (!q || evhttp_parse_query_str(q, &kv) != 0) {
		evhttp_clear_headers(&kv);
		return cap ? out : NULL;
	}
	const char *v = evhttp_find_header(&kv, name);
	const char *ret = out;
	if (v && strlen(v) >= cap)
		ret = NULL;
	else if (v)
		memcpy(out, v, strlen(v) + 1);
	evhttp_clear_headers(&kv);
	return ret;
}

/* ---- sessions ---- */

static void session_drop(session *s)
{
	sodium_memzero(s, sizeof *s);
}

static void sessions_expire(dp_webui *w, time_t now)
{
	if (w->cfg->idle_timeout <= 0)
		return;
	for (size_t i = 0; i < MAX_SESSIONS; i++)
		if (w->sessions[i].id[0] && now - w->sessions[i].last > w->cfg->idle_timeout)
			session_drop(&w->sessions[i]);
}

/* The value of cookie name in a Cookie header ("a=1; b=2"), into out; 0 if found. */
static int cookie_value(const char *hdr, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	for (const char *p = hdr; p && *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t vl = len - nl - 1;
			if (vl >= cap)
				return -1;
			memcpy(out, p + nl + 1, vl);
			out[vl] = 0;
			return 0;
		}
		p = end;
	}
	return -1;
}

static session *session_of(dp_webui *w, struct evhttp_request *req)
{
	const char *hdr = evhttp_find_header(evhttp_request_get_input_headers(req), "Cookie");
	char v[SECRET_HEX + 1];
	if (!hdr || cookie_value(hdr, w->cfg->cookie, v, sizeof v))
		return NULL;
	session *found = NULL;
	for (size_t i = 0; i < MAX_SESSIONS; i++) /* every slot compared: no early exit on a match */
		if (w->sessions[i].id[0] && secret_eq(w->sessions[i].id, v))
			found = &w->sessions[i];
	sodium_memzero(v, sizeof v);
	return found;
}

/* A new session for user; sets its cookie on the answer.  NULL when all slots are taken. */
static session *session_new(dp_webui *w, struct evhttp_request *req, const char *user)
{
	session *s = NULL, *oldest = NULL;
	for (size_t i = 0; i < MAX_SESSIONS && !s; i++) {
		if (!w->sessions[i].id[0])
			s = &w->sessions[i];
		else if (!oldest || w->sessions[i].last < oldest->last)
			oldest = &w->sessions[i];
	}
	if (!s) {
		s = oldest; /* the least recently used ends */
		session_drop(s);
	}
	new_secret(s->id);
	new_secret(s->key);
	snprintf(s->user, sizeof s->user, "%s", user);
	s->last = time(NULL);
	char c[256];
	snprintf(c, sizeof c, "%s=%s; Path=/; HttpOnly; SameSite=Strict", w->cfg->cookie, s->id);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie", c);
	sodium_memzero(c, sizeof c);
	return s;
}

size_t dp_webui_sessions(const dp_webui *w)
{
	size_t n = 0;
	for (size_t i = 0; i < MAX_SESSIONS; i++)
		n += w->sessions[i].id[0] != 0;
	return n;
}

/* ---- the gate ---- */

static int host_ok(dp_webui *w, struct evhttp_request *req)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
	char a[40], b[40];
	snprintf(a, sizeof a, "127.0.0.1:%u", (unsigned)w->port);
	snprintf(b, sizeof b, "localhost:%u", (unsigned)w->port);
	return h && (strcmp(h, a) == 0 || strcmp(h, b) == 0);
}

/* A request that may change something: from this origin, and not sent by another site. */
static const char *origin_refusal(dp_webui *w, struct evhttp_request *req)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *o = evhttp_find_header(in, "Origin");
	if (!o || (strcmp(o, w->origin[0]) != 0 && strcmp(o, w->origin[1]) != 0))
		return "the request did not come from this page (Origin)";
	const char *site = evhttp_find_header(in, "Sec-Fetch-Site");
	if (site && strcmp(site, "same-origin") != 0)
		return "the request came from another site (Sec-Fetch-Site)";
	return NULL;
}

static int is_get(struct evhttp_request *req)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	return m == EVHTTP_REQ_GET || m == EVHTTP_REQ_HEAD;
}

static const char *method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_HEAD: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	default: return "";
	}
}

static void redirect(struct evhttp_request *req, const char *to)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Location", to);
	send_text(req, 303, "text/plain; charset=utf-8", "", 0);
}

static const char NO_SESSION_PAGE[] =
	"<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Not signed in</title>"
	"<main><h1>Not signed in</h1><p>This page opens only from the link the program printed when it "
	"started, once. Run it again for a new link.</p></main></html>\n";

/* The answer to the one-time link: the session's key for this tab (lib/webui/signin.js keeps it). */
static void send_signed_in(struct evhttp_request *req, const char *key)
{
	char page[512];
	int n = snprintf(page, sizeof page,
			 "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">"
			 "<meta name=\"denpo-key\" content=\"%s\"><title>Signed in</title>"
			 "<script src=\"/webui/signin.js\"></script><main><h1>Signed in</h1>"
			 "<p><a href=\"/\">Continue</a></p></main></html>\n",
			 key);
	send_text(req, 200, "text/html; charset=utf-8", page, (size_t)n);
	sodium_memzero(page, sizeof page);
}

/* GET /login?token=T (the one-time link) and POST /login {"user","password"} (an application's login). */
static void handle_login(dp_webui *w, struct evhttp_request *req)
{
	dp_webui_req rq = {.req = req, .w = w};
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		send_text(req, 405, "text/plain; charset=utf-8", "", 0); /* a probe never spends the token */
		return;
	}
	if (is_get(req)) {
		char tok[SECRET_HEX + 1];
		const char *t = dp_webui_query(&rq, "token", tok, sizeof tok);
		int ok = t && w->token[0] && secret_eq(w->token, t);
		sodium_memzero(tok, sizeof tok);
		if (!ok) {
			send_text(req, 403, "text/html; charset=utf-8", NO_SESSION_PAGE, sizeof NO_SESSION_PAGE - 1);
			return;
		}
		sodium_memzero(w->token, sizeof w->token); /* spent */
		session *s = session_new(w, req, "");
		if (w->cfg->on_session)
			w->cfg->on_session(w->cfg->app);
		/*
		 * Not a redirect: the link is opened from outside (a file page,
		 * the terminal), so the browser counts a redirect chain from it
		 * as cross-site and would send neither the SameSite=Strict
		 * cookie nor a same-origin Sec-Fetch-Site with the next request.
		 * This page's script keeps the key and moves on from this origin.
		 */
		send_signed_in(req, s->key);
		return;
	}
	const char *why = origin_refusal(w, req);
	if (why) {
		send_error(req, 403, "forbidden", why, NULL);
		return;
	}
	if (!w->cfg->login) {
		send_error(req, 404, "not_found", "no password login here: open the link the program printed",
			   NULL);
		return;
	}
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	char body[1024];
	json_t *j = NULL;
	if (n < sizeof body) {
		evbuffer_remove(in, body, n);
		body[n] = 0;
		j = json_loads(body, 0, NULL);
		sodium_memzero(body, sizeof body);
	}
	const char *user = NULL, *pass = NULL;
	if (!j || json_unpack(j, "{s:s, s:s}", "user", &user, "password", &pass) || !*user ||
	    strlen(user) > USER_MAX) {
		send_error(req, 400, "invalid", "give {\"user\": ..., \"password\": ...}", NULL);
		json_decref(j);
		return;
	}
	int r = w->cfg->login(w->cfg->app, user, pass);
	if (r == DP_ESTATE) {
		send_error(req, 429, "rate_limited", "too many failed sign-ins for this name",
			   "wait, or ask another operator; the failures are in the log");
	} else if (r) {
		send_error(req, 403, "denied", "wrong operator name or password", NULL);
	} else {
		session *s = session_new(w, req, user);
		json_t *a = json_pack("{s:s, s:s}", "user", s->user, "key", s->key);
		char *txt = a ? json_dumps(a, JSON_COMPACT) : NULL;
		send_text(req, 200, "application/json", txt ? txt : "{}", txt ? strlen(txt) : 2);
		if (txt)
			sodium_memzero(txt, strlen(txt));
		free(txt);
		json_decref(a);
	}
	json_decref(j); /* the password's copy: wiped when freed (dp_json_wipe_allocs) */
}

static const dp_webui_asset *asset_of(const dp_webui *w, const char *path)
{
	for (size_t i = 0; i < sizeof shared_assets / sizeof shared_assets[0]; i++)
		if (strcmp(shared_assets[i].path, path) == 0)
			return &shared_assets[i];
	for (size_t i = 0; i < w->cfg->nassets; i++)
		if (strcmp(w->cfg->assets[i].path, path) == 0)
			return &w->cfg->assets[i];
	return NULL;
}

static void send_asset(struct evhttp_request *req, const dp_webui_asset *a)
{
	send_text(req, 200, a->type, (const char *)a->data, (size_t)(a->end - a->data));
}

static void run_route(dp_webui *w, struct evhttp_request *req, session *s, const char *path)
{
	const char *m = method_name(evhttp_request_get_command(req));
	const dp_webui_route *hit = NULL;
	int path_known = 0;
	for (size_t i = 0; i < w->cfg->nroutes && !hit; i++) {
		const dp_webui_route *r = &w->cfg->routes[i];
		size_t pl = strlen(r->path);
		int match = r->match == DP_WEBUI_PREFIX ? strncmp(path, r->path, pl) == 0 && path[pl]
							: strcmp(path, r->path) == 0;
		if (!match)
			continue;
		path_known = 1;
		if (strcmp(r->method, m) == 0)
			hit = r;
	}
	if (!hit) {
		send_error(req, path_known ? 405 : 404, path_known ? "method" : "not_found",
			   path_known ? "method not allowed here" : "no such page", NULL);
		return;
	}
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	uint8_t *body = malloc(n + 1);
	if (!body) {
		send_error(req, 500, "nomem", "out of memory", NULL);
		return;
	}
	evbuffer_remove(in, body, n);
	body[n] = 0;
	dp_webui_req rq = {
		.req = req,
		.method = m,
		.path = path,
		.tail = hit->match == DP_WEBUI_PREFIX ? path + strlen(hit->path) : "",
		.body = body,
		.body_len = n,
		.user = s->user,
		.app = w->cfg->app,
		.w = w,
	};
	hit->fn(&rq);
	if (!rq.answered)
		send_error(req, 500, "internal", "the handler did not answer", NULL);
	sodium_memzero(body, n); /* a draft's text */
	free(body);
}

static void handle(struct evhttp_request *req, void *arg)
{
	dp_webui *w = arg;
	if (!host_ok(w, req)) {
		send_text(req, 421, "text/plain; charset=utf-8", "wrong Host: open 127.0.0.1\n", 27);
		return;
	}
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *raw = u ? evhttp_uri_get_path(u) : NULL;
	size_t plen = 0;
	char *path = raw ? evhttp_uridecode(raw, 0, &plen) : NULL;
	if (!path || path[0] != '/' || strlen(path) != plen || strstr(path, "..")) {
		send_error(req, 400, "invalid", "bad path", NULL); /* a decoded NUL, or a way up */
		free(path);
		return;
	}
	time_t now = time(NULL);
	sessions_expire(w, now);
	if (strcmp(path, "/login") == 0) {
		handle_login(w, req);
		free(path);
		return;
	}
	const dp_webui_asset *a = asset_of(w, path);
	if (a && a->open && is_get(req)) {
		send_asset(req, a);
		free(path);
		return;
	}
	session *s = session_of(w, req);
	if (!s) {
		if (strncmp(path, "/api/", 5) == 0)
			send_error(req, 401, "unauthenticated", "not signed in",
				   w->cfg->login ? "sign in again" : "open the link the program printed");
		else if (w->cfg->login && is_get(req) && asset_of(w, "/login.html"))
			redirect(req, "/login.html");
		else
			send_text(req, 401, "text/html; charset=utf-8", NO_SESSION_PAGE, sizeof NO_SESSION_PAGE - 1);
		free(path);
		return;
	}
	int api = strncmp(path, "/api/", 5) == 0;
	if (api || !is_get(req)) {
		/*
		 * The cookie alone is not enough: a cookie of 127.0.0.1 reaches
		 * every port there, so another local program can catch it.  The
		 * key is only in this origin's pages (sessionStorage).
		 */
		const char *k = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Denpo-Key");
		if (!secret_eq(s->key, k)) {
			send_error(req, 401, "unauthenticated", "this request does not carry the session's key",
				   w->cfg->login ? "sign in again" : "open the link the program printed");
			free(path);
			return;
		}
	}
	if (!is_get(req)) {
		const char *why = origin_refusal(w, req);
		if (why) {
			send_error(req, 403, "forbidden", why, "reload the page");
			free(path);
			return;
		}
	} else {
		const char *site = evhttp_find_header(evhttp_request_get_input_headers(req), "Sec-Fetch-Site");
		if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0) {
			send_error(req, 403, "forbidden", "the request came from another site (Sec-Fetch-Site)",
				   NULL);
			free(path);
			return;
		}
	}
	s->last = now;
	if (strcmp(path, "/api/session") == 0 && is_get(req)) {
		json_t *j = json_pack("{s:s, s:s}", "user", s->user, "name", w->cfg->name);
		dp_webui_req rq = {.req = req, .w = w};
		dp_webui_json(&rq, 200, j);
	} else if (strcmp(path, "/logout") == 0 && !is_get(req)) {
		session_drop(s);
		char c[128];
		snprintf(c, sizeof c, "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict", w->cfg->cookie);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie", c);
		send_text(req, 204, NULL, "", 0);
	} else if (a && is_get(req)) {
		send_asset(req, a);
	} else {
		run_route(w, req, s, path);
	}
	free(path);
}

/* ---- the server ---- */

int dp_webui_start(struct event_base *base, const dp_webui_config *cfg, dp_webui **out)
{
	*out = NULL;
	if (!cfg || !cfg->cookie || !cfg->name)
		return DP_EINVAL;
	dp_webui *w = calloc(1, sizeof *w);
	if (!w)
		return DP_ENOMEM;
	w->cfg = cfg;
	w->http = evhttp_new(base);
	if (!w->http) {
		free(w);
		return DP_ENOMEM;
	}
	evhttp_set_gencb(w->http, handle, w);
	evhttp_set_allowed_methods(w->http,
				   EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
					   EVHTTP_REQ_DELETE);
	evhttp_set_max_body_size(w->http, (ev_ssize_t)(cfg->max_body ? cfg->max_body : 65536));
	evhttp_set_max_headers_size(w->http, 16384);
	evhttp_set_timeout(w->http, 120);
	struct evhttp_bound_socket *b = evhttp_bind_socket_with_handle(w->http, "127.0.0.1", cfg->port);
	if (!b) {
		evhttp_free(w->http);
		free(w);
		return DP_ENET;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getsockname(evhttp_bound_socket_get_fd(b), (struct sockaddr *)&ss, &sl) != 0) {
		evhttp_free(w->http);
		free(w);
		return DP_ENET;
	}
	w->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	snprintf(w->origin[0], sizeof w->origin[0], "http://127.0.0.1:%u", (unsigned)w->port);
	snprintf(w->origin[1], sizeof w->origin[1], "http://localhost:%u", (unsigned)w->port);
	*out = w;
	return DP_OK;
}

void dp_webui_free(dp_webui *w)
{
	if (!w)
		return;
	evhttp_free(w->http);
	sodium_memzero(w, sizeof *w);
	free(w);
}

uint16_t dp_webui_port(const dp_webui *w)
{
	return w->port;
}

int dp_webui_token_url(dp_webui *w, char *out, size_t cap)
{
	new_secret(w->token);
	int n = snprintf(out, cap, "http://127.0.0.1:%u/login?token=%s", (unsigned)w->port, w->token);
	return n < 0 || (size_t)n >= cap ? DP_EINVAL : DP_OK;
}
