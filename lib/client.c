/*
 * lib/client.c - libcurl client of the switch's API (docs/api.md).
 *
 * One CURL easy handle per dp_client so the TLS connection is reused
 * between calls: curl_easy_reset before each request resets the options,
 * not the handle's connection cache, so every request of a long-lived
 * process (`denpo ui`, `inbox --watch`, the outbox) goes over the one
 * kept-alive connection (one TLS handshake; the switch closes it after
 * its idle_timeout).  A kept connection the switch closed -- idle, or
 * restarted -- is found dead by libcurl before the request is sent, or
 * the request sent on it gets no byte back, and libcurl connects anew
 * and sends it again by itself.  Answers are read into capped buffers and parsed with
 * jansson; every string taken from an answer is length-checked and free of
 * control characters (it may end up on an officer's terminal).
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "denpo/age.h"
#include "denpo/client.h"
#include "denpo/encoding.h"
#include "denpo/enrol.h"
#include "denpo/envelope.h"
#include "denpo/tls.h"
#include "client_int.h"

#define SUB_MAX ((size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4)
#define LOW_SPEED_BPS 1024L /* a cable transfer slower than this ... */
#define LOW_SPEED_SECS 30L  /* ... for this long is abandoned */

struct dp_client {
	CURL *h;
	dp_switch_list sw;   /* the switch's addresses */
	size_t cur;          /* the one tried first: the last that answered */
	void (*moved)(void *ud, const char *url);
	void *moved_ud;
	long retry_ms;
	const char *url;     /* the address of the attempt under way (sw.url[i]) */
	char pin[64];
	dp_buf cert, key; /* PEM; key is secret and wiped by dp_buf_free */
	long cto, to;
	long status;
	int toobig;
	dp_buf *sink;
	char mrn_hdr[DP_MRN_MAX + 1];
	char msg[DP_CLIENT_MSG_MAX];
	char errbuf[CURL_ERROR_SIZE];
	int decoy; /* the next submission plants a decoy (X-Denpo-Decoy: 1) */
	int pin_failed; /* the last request ended on a pin mismatch */
	int64_t date;  /* the Date header of the answer being read (0: none) */
	int64_t skew;  /* the switch's clock minus this device's, as last seen */
	int skew_from; /* 0 unknown, SKEW_DATE, SKEW_API (a time the API states wins for good) */
	const volatile sig_atomic_t *stop; /* set: the process is ending (dp_client_set_stop) */
};

#define SKEW_DATE 1
#define SKEW_API 2

int dp_client_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? DP_OK : DP_ENET;
}

void dp_client_global_cleanup(void) { curl_global_cleanup(); }

const char *dp_client_message(const dp_client *c) { return c->msg; }
const char *dp_client_url(const dp_client *c) { return c->sw.url[c->cur]; }
long dp_client_http_status(const dp_client *c) { return c->status; }
int dp_client_pin_failed(const dp_client *c) { return c->pin_failed; }
void dp_client_clear_message(dp_client *c) { c->msg[0] = 0; }
void dp_client_set_stop(dp_client *c, const volatile sig_atomic_t *stop) { c->stop = stop; }

static int stopped(const dp_client *c) { return c->stop && *c->stop; }

/* The message of the last failure (c may be NULL: a parser called without a client). */
__attribute__((format(printf, 2, 3))) static void set_msg(dp_client *c, const char *fmt, ...)
{
	if (!c)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof c->msg, fmt, ap);
	va_end(ap);
}

int dp_client_new(dp_client **out, const dp_client_config *cfg)
{
	*out = NULL;
	if (!cfg->tls_seed)
		return DP_EINVAL;
	if (cfg->switches) {
		if (cfg->switches->n < 1 || cfg->switches->n > DP_SWITCH_URLS_MAX ||
		    cfg->start >= cfg->switches->n)
			return DP_EINVAL;
		for (size_t i = 0; i < cfg->switches->n; i++)
			if (!dp_switch_url_ok(cfg->switches->url[i]))
				return DP_EINVAL;
	} else {
		size_t ulen = cfg->url ? strlen(cfg->url) : 0;
		if (ulen < 9 || ulen > DP_URL_MAX || strncmp(cfg->url, "https://", 8) != 0)
			return DP_EINVAL;
	}
	dp_client *c = calloc(1, sizeof *c);
	if (!c)
		return DP_ENOMEM;
	if (cfg->switches) {
		c->sw = *cfg->switches;
		c->cur = cfg->start;
	} else {
		size_t ulen = strlen(cfg->url);
		memcpy(c->sw.url[0], cfg->url, ulen + 1);
		while (ulen > 8 && c->sw.url[0][ulen - 1] == '/')
			c->sw.url[0][--ulen] = 0; /* paths are appended with their own '/' */
		c->sw.n = 1;
	}
	c->url = c->sw.url[c->cur];
	c->moved = cfg->moved;
	c->moved_ud = cfg->moved_ud;
	c->retry_ms = cfg->retry_ms > 0 ? cfg->retry_ms : 0;
	dp_tls_pin(cfg->switch_tls_pk, c->pin);
	c->cto = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 10000;
	c->to = cfg->timeout_ms > 0 ? cfg->timeout_ms : 120000;
	dp_buf_init(&c->cert, 16384);
	dp_buf_init(&c->key, 16384);
	int r = dp_tls_selfsigned(cfg->tls_seed, "denpo-device", &c->cert, &c->key);
	if (r) {
		dp_client_free(c);
		return r;
	}
	c->h = curl_easy_init();
	if (!c->h) {
		dp_client_free(c);
		return DP_ENOMEM;
	}
	*out = c;
	return DP_OK;
}

void dp_client_free(dp_client *c)
{
	if (!c)
		return;
	if (c->h)
		curl_easy_cleanup(c->h);
	dp_buf_free(&c->cert);
	dp_buf_free(&c->key);
	sodium_memzero(c, sizeof *c);
	free(c);
}

int dp_client_errcode(const char *name)
{
	for (int e = -1; e >= DP_ELAST; e--)
		if (strcmp(dp_errname(e), name) == 0)
			return e;
	return DP_EPROTO;
}

/*
 * Copy s into out for display, truncating; anything but printable ASCII
 * becomes '?', so a hostile switch cannot send C0/C1 controls or broken
 * UTF-8 to the officer's terminal.
 */
static void copy_clean(char *out, size_t cap, const char *s)
{
	size_t i = 0;
	for (; s[i] && i + 1 < cap; i++)
		out[i] = ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f) ? '?' : s[i];
	out[i] = 0;
}

int dp_client_parse_error(const uint8_t *body, size_t n, char *msg, size_t msgcap)
{
	if (msgcap)
		msg[0] = 0;
	json_error_t je;
	json_t *j = json_loadb((const char *)body, n, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return DP_EPROTO; /* not JSON */
	json_t *e = json_object_get(j, "error"), *m = json_object_get(j, "message");
	int r = DP_EPROTO;
	if (json_is_string(e)) {
		r = dp_client_errcode(json_string_value(e));
		if (r == DP_OK)
			r = DP_EPROTO; /* "ok" is not an error */
		if (json_is_string(m) && msgcap)
			copy_clean(msg, msgcap, json_string_value(m));
	}
	json_decref(j);
	return r;
}

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
	dp_client *c = ud;
	size_t n = sz * nm;
	if (dp_buf_append(c->sink, p, n)) {
		c->toobig = 1;
		return 0; /* over the cap: abort the transfer */
	}
	return n;
}

/*
 * The switch's clock against this device's.  Every answer's Date header
 * gives it (RFC 9110: when the answer was made); a time the API states
 * itself (a resolve's "at": the switch's clock the keys were judged by) is
 * taken instead and kept.  A clock off by more than the skew the switch
 * allows at both ends (DP_EPOCH_SKEW) makes keys look expired or not yet
 * valid: every failure the switch answers then names it.
 */
static void skew_seen(dp_client *c, int64_t switch_time, int from)
{
	if (switch_time <= 0 || from < c->skew_from)
		return;
	c->skew = switch_time - dp_now();
	c->skew_from = from;
}

int64_t dp_client_clock_skew(const dp_client *c, int *known)
{
	if (known)
		*known = c->skew_from != 0;
	return c->skew;
}

int dp_client_clock_note(const dp_client *c, char *out, size_t cap)
{
	if (cap)
		out[0] = 0;
	if (!c->skew_from || (c->skew <= DP_EPOCH_SKEW && c->skew >= -DP_EPOCH_SKEW))
		return 0;
	char gap[DP_TIME_STR];
	dp_span_str(c->skew, gap);
	if (c->skew < 0)
		snprintf(out, cap, "the switch's clock is %s behind this device's: have the switch "
				   "operator check its time (NTP), and check this device's", gap);
	else
		snprintf(out, cap, "the switch's clock is %s ahead of this device's: check this device's "
				   "time, and have the switch operator check the switch's (NTP)", gap);
	return 1;
}

void dp_client_parse_header(const char *line, size_t n, char mrn[DP_MRN_MAX + 1], int64_t *date)
{
	static const char dname[] = "date:", mname[] = "x-denpo-mrn:";
	if (n > sizeof dname - 1 && n < 128 && strncasecmp(line, dname, sizeof dname - 1) == 0) {
		char v[128];
		memcpy(v, line + sizeof dname - 1, n - (sizeof dname - 1));
		v[n - (sizeof dname - 1)] = 0;
		time_t t = curl_getdate(v, NULL); /* -1 if it is not an HTTP date: ignored */
		*date = t > 0 ? (int64_t)t : 0;
		return;
	}
	if (n > sizeof mname - 1 && strncasecmp(line, mname, sizeof mname - 1) == 0) {
		const char *v = line + sizeof mname - 1;
		size_t vl = n - (sizeof mname - 1);
		while (vl && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
			vl--;
		if (vl <= DP_MRN_MAX) {
			char tmp[DP_MRN_MAX + 1];
			memcpy(tmp, v, vl);
			tmp[vl] = 0;
			if (strlen(tmp) == vl && dp_mrn_ok(tmp)) /* anything else is ignored */
				memcpy(mrn, tmp, vl + 1);
		}
	}
}

static size_t on_header(char *p, size_t sz, size_t nm, void *ud)
{
	dp_client *c = ud;
	size_t n = sz * nm;
	dp_client_parse_header(p, n, c->mrn_hdr, &c->date);
	return n;
}

/* A refusal while the clocks disagree says so: "...; the switch's clock is 61 minutes behind ..." */
static void clock_note_msg(dp_client *c)
{
	char note[256];
	size_t l = strlen(c->msg);
	if (dp_client_clock_note(c, note, sizeof note) && l + 2 + strlen(note) < sizeof c->msg)
		snprintf(c->msg + l, sizeof c->msg - l, "; %s", note);
}

/*
 * What an attempt at one address came to, for failover: ANSWERED (a reply
 * of the switch's, whatever it says, or a failure no other address would
 * change), DOWN (no usable reply from this address: try the next) or PIN
 * (another key answered: stop).
 */
enum { ANSWERED, DOWN, PIN, STOP };

/* libcurl's progress callback (at least once a second, waits included): non-zero ends the transfer. */
static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt, (void)dn, (void)ut, (void)un;
	return stopped(ud);
}

/* One attempt of a request at c->url (request() below); *how: ANSWERED, DOWN or PIN. */
static int attempt(dp_client *c, const char *path, int post, const uint8_t *body, size_t blen,
		   dp_buf *resp, int big, int wait, int *how)
{
	*how = ANSWERED;
	char url[DP_URL_MAX + 512];
	if (snprintf(url, sizeof url, "%s%s", c->url, path) >= (int)sizeof url)
		return DP_EINVAL;
	CURL *h = c->h;
	curl_easy_reset(h);
	c->status = 0;
	c->toobig = 0;
	c->msg[0] = 0;
	c->errbuf[0] = 0;
	c->mrn_hdr[0] = 0;
	c->date = 0;
	c->sink = resp;
	struct curl_blob cert = {c->cert.p, c->cert.len, CURL_BLOB_NOCOPY};
	struct curl_blob key = {c->key.p, c->key.len, CURL_BLOB_NOCOPY};
	struct curl_slist *hdrs = NULL;
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (post && c->decoy)
		hdrs = curl_slist_append(hdrs, "X-Denpo-Decoy: 1");
	if (post)
		hdrs = curl_slist_append(hdrs, "Content-Type: application/octet-stream");
	if (!hdrs)
		return DP_ENOMEM;
	int bad = 0;
	bad |= curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_NOPROXY, "*") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM") != CURLE_OK;
	/* no CA: the switch's certificate is self-signed; the pin below is the trust */
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_PINNEDPUBLICKEY, c->pin) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->cto) != CURLE_OK;
	if (big) {
		bad |= curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_BPS) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, LOW_SPEED_SECS) != CURLE_OK;
	} else {
		bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->to + 1000L * wait) != CURLE_OK;
	}
	bad |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEDATA, c) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_HEADERDATA, c) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf) != CURLE_OK;
	if (c->stop) {
		bad |= curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_XFERINFODATA, c) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L) != CURLE_OK;
	}
	if (post) {
		bad |= curl_easy_setopt(h, CURLOPT_POST, 1L) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? (const char *)body : "") != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen) != CURLE_OK;
	}
	if (bad) {
		curl_slist_free_all(hdrs);
		set_msg(c, "%s", "libcurl lacks a required option (needs 7.85+ with OpenSSL)");
		return DP_ENET;
	}
	CURLcode cr = curl_easy_perform(h);
	curl_slist_free_all(hdrs);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
	skew_seen(c, c->date, SKEW_DATE);
	if (cr == CURLE_ABORTED_BY_CALLBACK) {
		*how = STOP;
		set_msg(c, "%s", "the request was abandoned: this process is ending");
		return DP_ENET;
	}
	if (cr == CURLE_WRITE_ERROR && c->toobig) {
		set_msg(c, "%s", "the switch's answer is larger than allowed");
		return DP_ETOOBIG;
	}
	if (cr == CURLE_SSL_PINNEDPUBKEYNOTMATCH) {
		*how = PIN;
		set_msg(c, "the switch at %s does not present the pinned TLS key (possible "
			   "interception); do not retry -- report it to the HQ operator",
			c->url);
		return DP_ENET;
	}
	if (cr != CURLE_OK)
		*how = DOWN; /* refused, timed out, a TLS failure, a connection that died */
	if (cr != CURLE_OK && strstr(c->errbuf, "alert internal error")) {
		/* the switch could not look the device up (denpod/server.c verify_cb): transient */
		set_msg(c, "the switch at %s could not check this device's certificate just now (its "
			   "database did not answer): try again in a moment; if it lasts, tell the HQ "
			   "operator (%s)",
			c->url, c->errbuf);
		return DP_ENET;
	}
	if (cr != CURLE_OK && strstr(c->errbuf, "alert")) {
		/* the switch ended the handshake: it does not know this device's TLS key */
		set_msg(c, "the switch at %s refused this device's TLS certificate: the device is "
			   "not enrolled there (import the operator's answer with `denpo enrol`), or its "
			   "enrolment was replaced (%s)",
			c->url, c->errbuf);
		return DP_EDEVICE;
	}
	if ((cr == CURLE_RECV_ERROR || cr == CURLE_SEND_ERROR) && c->status == 0) {
		/*
		 * The switch refuses an unknown device in the handshake and
		 * keeps the socket open until the alert saying so is read
		 * (denpod/conn.h, dpd_conn_linger); past its 16 lingering
		 * sockets, or from an older switch, the alert can be lost to
		 * a reset, and a network failure looks the same.  Say both.
		 */
		set_msg(c, "the switch at %s closed the connection without answering (%s); if this "
			   "persists, it does not know this device's TLS certificate: the device is not "
			   "enrolled there, or the switch was restored from an older backup -- ask the "
			   "operator",
			c->url, c->errbuf[0] ? c->errbuf : curl_easy_strerror(cr));
		return DP_ENET;
	}
	if (cr != CURLE_OK) {
		snprintf(c->msg, sizeof c->msg, "cannot reach the switch at %s: %s", c->url,
			 c->errbuf[0] ? c->errbuf : curl_easy_strerror(cr));
		return DP_ENET;
	}
	if (c->status >= 200 && c->status < 300)
		return DP_OK;
	if (c->status == 503)
		*how = DOWN; /* this instance cannot serve now (draining, its database away) */
	int r = dp_client_parse_error(resp->p, resp->len, c->msg, sizeof c->msg);
	if (r == DP_EPROTO && !c->msg[0]) {
		/* not an API error object: fall back on the status */
		snprintf(c->msg, sizeof c->msg, "the switch answered HTTP %ld", c->status);
		r = c->status == 401 || c->status == 403 ? DP_EDEVICE
		  : c->status == 404			  ? DP_ENOTFOUND
		  : c->status == 413			  ? DP_ETOOBIG
		  : c->status == 507			  ? DP_ENOSPC
		  : c->status >= 500			  ? DP_ESTORE
							  : DP_EPROTO;
	}
	if (!c->msg[0])
		set_msg(c, "%s", dp_strerror(r));
	clock_note_msg(c);
	return r;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Drop what a failed attempt appended to b beyond its first len bytes. */
static void buf_cut(dp_buf *b, size_t len)
{
	if (b->len > len) {
		sodium_memzero(b->p + len, b->len - len);
		b->len = len; /* the NUL the buffer keeps after its bytes: the wipe wrote it */
	}
}

/*
 * Every address failed: one message naming each, in the order tried, and
 * why ("no address of the switch answered: https://a:8443: Failed to
 * connect ...; https://b:8443: answered 503 (...); check ..."), and what to do.
 */
static void all_failed_msg(dp_client *c, char (*why)[160], size_t n)
{
	size_t k = (size_t)snprintf(c->msg, sizeof c->msg, "no address of the switch answered:");
	for (size_t i = 0; i < n && k < sizeof c->msg; i++)
		k += (size_t)snprintf(c->msg + k, sizeof c->msg - k, " %s: %s;", c->sw.url[(c->cur + i) % n],
				      why[i]);
	if (k < sizeof c->msg)
		snprintf(c->msg + k, sizeof c->msg - k,
			 " check this device's network; if it works, the switch is down at every address: "
			 "try again later, and tell the HQ operator if it lasts");
}

#define ONE_ADDR_503_TRIES 4 /* request(): a read answered 503 by the one address, asked again */
#define ONE_ADDR_503_MS 250

/*
 * One request, with failover (denpo/client.h): tried at c->cur first, then
 * at each next address until one answers; round the list again a second
 * later while retry_ms lasts.  body/blen: POST body (NULL = GET, unless
 * post is set).  big: a cable transfer (low-speed abort instead of a total
 * timeout).  wait: extra seconds of long-poll allowed.
 */
static int request(dp_client *c, const char *path, int post, const uint8_t *body, size_t blen,
		   dp_buf *resp, int big, int wait)
{
	size_t n = c->sw.n, len0 = resp->len;
	char why[DP_SWITCH_URLS_MAX][160];
	int64_t until = mono_ms() + c->retry_ms;
	int again503 = 0;
	for (;;) {
		int r = DP_ENET, how = DOWN;
		for (size_t k = 0; k < n; k++) {
			size_t i = (c->cur + k) % n;
			c->url = c->sw.url[i];
			buf_cut(resp, len0);
			if (stopped(c)) {
				c->status = 0;
				set_msg(c, "%s", "the request was abandoned: this process is ending");
				return DP_ENET;
			}
			r = attempt(c, path, post, body, blen, resp, big, wait, &how);
			c->pin_failed = how == PIN;
			if (how == PIN || how == STOP)
				return r; /* never past another key: the message says so; or ending */
			if (how == ANSWERED) {
				if (i != c->cur) {
					c->cur = i;
					if (c->moved)
						c->moved(c->moved_ud, c->url);
				}
				return r;
			}
			if (c->status == 503)
				snprintf(why[k], sizeof why[k], "answered 503 (%.100s)", c->msg);
			else if (r == DP_EDEVICE)
				snprintf(why[k], sizeof why[k], "refused this device's TLS certificate (the "
								"device is not enrolled there, or its "
								"enrolment was replaced)");
			else
				snprintf(why[k], sizeof why[k], "%.150s",
					 c->errbuf[0] ? c->errbuf : c->msg);
		}
		c->url = c->sw.url[c->cur];
		/*
		 * One address: its own message, as it always was; but a read the
		 * switch answered 503 is asked again first, ONE_ADDR_503_TRIES times
		 * ONE_ADDR_503_MS apart: that 503 says "retry" and passes in a moment
		 * (the officer index being updated until the checkpoint over a
		 * directory change is served; an instance behind a load balancer a
		 * round behind the log: api.md, "An instance behind the device").
		 * A write is never sent twice here: its caller decides.
		 */
		if (n == 1 && c->retry_ms <= 0 && c->status == 503 && !post && !body &&
		    again503 < ONE_ADDR_503_TRIES) {
			again503++;
			struct timespec w = {0, ONE_ADDR_503_MS * 1000000L};
			nanosleep(&w, NULL);
			continue;
		}
		if (n == 1 && c->retry_ms <= 0)
			return r;
		if (mono_ms() + 1000 > until) {
			if (n > 1)
				all_failed_msg(c, why, n);
			return r;
		}
		sleep(1);
	}
}

/* ---- field helpers: every one fails with DP_EPROTO on a missing or bad field ---- */

/*
 * The field the last helper refused (a literal key; NULL: none), for the
 * message that names it.  Set by the helpers below on failure and read by
 * malformed() on the same thread once the parser gives up: the helpers sit
 * deep in every parser, and a message buffer threaded through all of them
 * would say no more.
 */
static _Thread_local const char *refused;

static int refuse(const char *k)
{
	refused = k;
	return DP_EPROTO;
}

/*
 * A malformed answer: "the switch's status answer is malformed (its
 * "recipients" field is missing or wrong)" into why (may be NULL).
 */
static int malformed(char *why, size_t cap, const char *what)
{
	if (why && cap && refused)
		snprintf(why, cap, "the switch's %s answer is malformed (its \"%s\" field is missing or wrong)",
			 what, refused);
	else if (why && cap)
		snprintf(why, cap, "the switch's %s answer is malformed", what);
	refused = NULL;
	return DP_EPROTO;
}

static int bad_field(dp_client *c, const char *what)
{
	return malformed(c ? c->msg : NULL, c ? sizeof c->msg : 0, what);
}

/*
 * body as a JSON object into *j (the caller decrefs; NULL on failure):
 * DP_EPROTO, why saying so, if it is not one.
 */
static int parse_obj(const uint8_t *body, size_t len, const char *what, json_t **j, char *why,
		     size_t cap)
{
	json_error_t je;
	refused = NULL;
	je.text[0] = 0;
	*j = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &je);
	if (json_is_object(*j))
		return DP_OK;
	json_decref(*j);
	*j = NULL;
	if (why && cap) {
		char t[sizeof je.text];
		copy_clean(t, sizeof t, je.text); /* jansson quotes the input near the error */
		snprintf(why, cap, "the switch's %s answer is not a JSON object%s%s%s", what,
			 t[0] ? " (" : "", t, t[0] ? ")" : "");
	}
	return DP_EPROTO;
}

static int clean_str(const char *s)
{
	return dp_text_ok((const uint8_t *)s, strlen(s), 0);
}

static int jstr(json_t *o, const char *k, char *out, size_t cap)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_string(v))
		return refuse(k); /* missing or not a string */
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (n >= cap || strlen(s) != n || !clean_str(s))
		return refuse(k); /* too long, embedded NUL or control characters */
	memcpy(out, s, n + 1);
	return DP_OK;
}

/* A multi-line text field (an epoch key record: its own parser checks it); no NUL, < cap. */
static int jtext(json_t *o, const char *k, char *out, size_t cap)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_string(v))
		return refuse(k);
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (n >= cap || strlen(s) != n)
		return refuse(k);
	memcpy(out, s, n + 1);
	return DP_OK;
}

static int jint(json_t *o, const char *k, int64_t lo, int64_t hi, int64_t *out)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_integer(v))
		return refuse(k); /* missing or not an integer */
	json_int_t x = json_integer_value(v);
	if (x < lo || x > hi)
		return refuse(k); /* out of range */
	*out = x;
	return DP_OK;
}

/* Integer or null (null -> 0). */
static int jtime_opt(json_t *o, const char *k, int64_t *out)
{
	json_t *v = json_object_get(o, k);
	if (json_is_null(v)) {
		*out = 0;
		return DP_OK;
	}
	return jint(o, k, 0, INT64_MAX, out);
}

/* Integer, null or absent (both -> 0): a field a newer switch adds. */
static int jtime_new(json_t *o, const char *k, int64_t *out)
{
	*out = 0;
	return json_object_get(o, k) ? jtime_opt(o, k, out) : DP_OK;
}

static int jbool(json_t *o, const char *k, int *out)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_boolean(v))
		return refuse(k); /* missing or not a boolean */
	*out = json_is_true(v);
	return DP_OK;
}

static int jmrn(json_t *o, const char *k, char out[DP_MRN_MAX + 1])
{
	if (jstr(o, k, out, DP_MRN_MAX + 1) || !dp_mrn_ok(out))
		return refuse(k); /* not "YY POST NNNNNN" */
	return DP_OK;
}

static int jhexid(json_t *o, const char *k, char out[DP_HEXID])
{
	char s[DP_HEXID];
	uint8_t id[DP_CABLE_ID];
	if (jstr(o, k, s, sizeof s) || dp_hex_decode(id, sizeof id, s, strlen(s)))
		return refuse(k); /* a cable id is 16 bytes in hex */
	dp_hex_encode(out, id, sizeof id);
	return DP_OK;
}

static int jkey(json_t *o, const char *k, uint8_t out[32], int b64)
{
	char s[96];
	size_t n;
	if (jstr(o, k, s, sizeof s))
		return refuse(k);
	if (b64) {
		/* docs/api.md says "b64": accept padded or unpadded, both canonical */
		int padded = strlen(s) % 4 == 0;
		return dp_b64_decode(out, 32, &n, s, strlen(s), padded) || n != 32 ? refuse(k) : DP_OK;
	}
	return dp_hex_decode(out, 32, s, strlen(s)) ? refuse(k) : DP_OK;
}

static int jprec(json_t *o, const char *k, int *p)
{
	char s[DP_NAME_MAX + 1];
	return jstr(o, k, s, sizeof s) || dp_prec_parse(s, p) ? refuse(k) : DP_OK;
}

static int jclass(json_t *o, const char *k, int *cl)
{
	char s[DP_NAME_MAX + 1];
	return jstr(o, k, s, sizeof s) || dp_class_parse(s, cl) ? refuse(k) : DP_OK;
}

static int jrole(json_t *o, const char *k, int *role)
{
	char s[16];
	if (jstr(o, k, s, sizeof s))
		return refuse(k);
	return dp_role_parse(s, role) ? refuse(k) : DP_OK; /* "action", "info" or "record" */
}

/* The array o[k] (must exist, at most max entries); *arr = NULL when empty. */
static int jarray(json_t *o, const char *k, size_t max, size_t elsize, void **arr, size_t *n,
		  json_t **a)
{
	*a = json_object_get(o, k);
	*arr = NULL;
	*n = 0;
	if (!json_is_array(*a) || json_array_size(*a) > max)
		return refuse(k); /* missing, not a list, or longer than any answer holds */
	if (json_array_size(*a) == 0)
		return DP_OK;
	*arr = calloc(json_array_size(*a), elsize);
	if (!*arr)
		return DP_ENOMEM;
	*n = json_array_size(*a);
	return DP_OK;
}

/* ---- endpoints ---- */

/*
 * GET or POST path, the answer's bytes (at most cap) into *b, which the
 * caller frees whatever the outcome.
 */
static int request_body(dp_client *c, const char *path, int post, const uint8_t *body, size_t blen,
			int wait, size_t cap, dp_buf *b)
{
	dp_buf_init(b, cap);
	return request(c, path, post, body, blen, b, 0, wait);
}

int dp_client_parse_submit(const uint8_t *body, size_t len, dp_submit_result *res, char *why,
			   size_t cap)
{
	memset(res, 0, sizeof *res);
	json_t *j;
	int r = parse_obj(body, len, "submission", &j, why, cap);
	int64_t acc;
	if (!r && (jhexid(j, "cable_id", res->cable_id) || jmrn(j, "mrn", res->mrn) ||
		   jint(j, "accepted", 0, INT64_MAX, &acc) || jbool(j, "duplicate", &res->duplicate)))
		r = malformed(why, cap, "submission");
	else if (!r)
		res->accepted = acc;
	json_decref(j);
	if (r)
		memset(res, 0, sizeof *res);
	return r;
}

int dp_client_submit(dp_client *c, const uint8_t *sub, size_t n, dp_submit_result *res)
{
	memset(res, 0, sizeof *res);
	dp_buf b;
	dp_buf_init(&b, DP_CLIENT_JSON_MAX);
	int r = request(c, "/v1/cables", 1, sub, n, &b, 1, 0);
	r = r ? r : dp_client_parse_submit(b.p, b.len, res, c->msg, sizeof c->msg);
	dp_buf_free(&b);
	return r;
}

static int cable_list(dp_client *c, const char *path, int wait, int archive, dp_inbox_item **items,
		      size_t *n);
static int cable_list_log(dp_client *c, const char *path, int wait, int archive, dp_cable_list *out);

int dp_client_submit_decoy(dp_client *c, const uint8_t *sub, size_t n, dp_submit_result *res)
{
	c->decoy = 1;
	int r = dp_client_submit(c, sub, n, res);
	c->decoy = 0;
	return r;
}

int dp_client_inbox(dp_client *c, int wait, dp_inbox_item **items, size_t *n)
{
	return dp_client_inbox_after(c, wait, 0, items, n);
}

/* The inbox path: "/v1/inbox?wait=W&after=A[&log_size=M]" (log_size < 0: none). */
static int inbox_path(char path[128], int wait, int64_t after, int64_t log_size)
{
	if (wait < 0 || wait > 60 || after < 0)
		return DP_EINVAL;
	int n = wait ? snprintf(path, 128, "/v1/inbox?wait=%d&after=%lld", wait, (long long)after)
		     : snprintf(path, 128, "/v1/inbox");
	if (log_size >= 0)
		snprintf(path + n, (size_t)(128 - n), "%slog_size=%lld", wait ? "&" : "?", (long long)log_size);
	return DP_OK;
}

/* The archive path: "/v1/archive?before=B&limit=L[&log_size=M]". */
static int archive_path(char path[128], int64_t before, int limit, int64_t log_size)
{
	if (before < 1 || limit < 1 || limit > 1000)
		return DP_EINVAL;
	int n = snprintf(path, 128, "/v1/archive?before=%lld&limit=%d", (long long)before, limit);
	if (log_size >= 0)
		snprintf(path + n, (size_t)(128 - n), "&log_size=%lld", (long long)log_size);
	return DP_OK;
}

int dp_client_inbox_after(dp_client *c, int wait, int64_t after, dp_inbox_item **items, size_t *n)
{
	*items = NULL;
	*n = 0;
	char path[128];
	int r = inbox_path(path, wait, after, -1);
	return r ? r : cable_list(c, path, wait, 0, items, n);
}

int dp_client_archive(dp_client *c, int64_t before, int limit, dp_inbox_item **items, size_t *n)
{
	*items = NULL;
	*n = 0;
	char path[128];
	int r = archive_path(path, before, limit, -1);
	return r ? r : cable_list(c, path, 0, 1, items, n);
}

int dp_client_inbox_log(dp_client *c, int wait, int64_t after, uint64_t log_size, dp_cable_list *out)
{
	memset(out, 0, sizeof *out);
	char path[128];
	int r = log_size > INT64_MAX ? DP_EINVAL : inbox_path(path, wait, after, (int64_t)log_size);
	return r ? r : cable_list_log(c, path, wait, 0, out);
}

int dp_client_archive_log(dp_client *c, int64_t before, int limit, uint64_t log_size, dp_cable_list *out)
{
	memset(out, 0, sizeof *out);
	char path[128];
	int r = log_size > INT64_MAX ? DP_EINVAL : archive_path(path, before, limit, (int64_t)log_size);
	return r ? r : cable_list_log(c, path, 0, 1, out);
}

/* The "cables" array of a list answer (inbox, archive: with "acked"); *a is that array. */
static int list_items(json_t *j, int archive, dp_inbox_item **items, size_t *n, json_t **a)
{
	dp_inbox_item *it;
	size_t cnt;
	*items = NULL;
	*n = 0;
	int r = jarray(j, "cables", DP_CLIENT_LIST_ITEMS, sizeof *it, (void **)&it, &cnt, a);
	for (size_t i = 0; !r && i < cnt; i++) {
		json_t *o = json_array_get(*a, i);
		int64_t acc, size, seq;
		if (!json_is_object(o) || jhexid(o, "cable_id", it[i].cable_id) ||
		    jmrn(o, "mrn", it[i].mrn) || jprec(o, "precedence", &it[i].precedence) ||
		    jrole(o, "role", &it[i].role) || jclass(o, "classification", &it[i].classification) ||
		    jstr(o, "from", it[i].from, sizeof it[i].from) || jint(o, "accepted", 0, INT64_MAX, &acc) ||
		    jint(o, "size", 0, INT64_MAX, &size) || jint(o, "seq", 1, INT64_MAX, &seq) ||
		    jbool(o, "fetched", &it[i].fetched) ||
		    (archive && jbool(o, "acked", &it[i].acked)))
			r = DP_EPROTO;
		else {
			it[i].accepted = acc;
			it[i].seq = seq;
			it[i].size = (uint64_t)size;
		}
	}
	if (r) {
		free(it);
		return r;
	}
	*items = it;
	*n = cnt;
	return DP_OK;
}

/* GET of a list of cables (inbox, archive): the items of dp_client_parse_list. */
static int cable_list(dp_client *c, const char *path, int wait, int archive, dp_inbox_item **items,
		      size_t *n)
{
	dp_buf b;
	dp_cable_list l;
	int r = request_body(c, path, 0, NULL, 0, wait, DP_CLIENT_JSON_MAX, &b);
	if (!r && (r = dp_client_parse_list(b.p, b.len, archive, &l)) == DP_EPROTO)
		r = bad_field(c, archive ? "archive" : "inbox");
	dp_buf_free(&b);
	if (r)
		return r;
	*items = l.items;
	*n = l.n;
	l.items = NULL;
	dp_cable_list_free(&l);
	return DP_OK;
}

static int jlog(json_t *j, dp_log_view *v);
static int jaccepted(json_t *o, dp_log_accepted *a);
static int jbytes(json_t *o, const char *k, size_t max, uint8_t **out, size_t *n);

void dp_cable_list_free(dp_cable_list *l)
{
	for (size_t i = 0; l->proofs && i < l->n; i++) {
		free(l->proofs[i].envelope);
		dp_log_accepted_free(&l->proofs[i].acc);
	}
	free(l->proofs);
	free(l->items);
	free(l->origins);
	dp_log_view_free(&l->log);
	memset(l, 0, sizeof *l);
}

static int jdevice(json_t *j, dp_device_info *d);

/* "originators": {device hex: directory entry}, optional; each key the entry's device. */
static int jorigins(json_t *j, dp_device_info **out, size_t *n)
{
	json_t *o = json_object_get(j, "originators"), *v;
	const char *k;
	*out = NULL;
	*n = 0;
	if (!o)
		return DP_OK;
	if (!json_is_object(o) || json_object_size(o) > DP_CLIENT_LIST_ITEMS)
		return refuse("originators");
	if (json_object_size(o) == 0)
		return DP_OK;
	*out = calloc(json_object_size(o), sizeof **out);
	if (!*out)
		return DP_ENOMEM;
	json_object_foreach(o, k, v) {
		char hex[65];
		dp_device_info *d = &(*out)[*n];
		if (jdevice(v, d))
			return refuse("originators");
		dp_hex_encode(hex, d->device, 32);
		if (strcmp(hex, k) != 0)
			return refuse("originators"); /* filed under another device */
		(*n)++;
	}
	return DP_OK;
}

/* The same with the proofs of each cable and the answer's "log". */
static int cable_list_log(dp_client *c, const char *path, int wait, int archive, dp_cable_list *out)
{
	dp_buf b;
	dp_buf_init(&b, DP_CLIENT_LIST_MAX);
	int r = request(c, path, 0, NULL, 0, &b, 0, wait);
	if (!r && (r = dp_client_parse_list(b.p, b.len, archive, out)) == DP_EPROTO)
		r = bad_field(c, archive ? "archive (proofs)" : "inbox (proofs)");
	dp_buf_free(&b);
	return r;
}

int dp_client_parse_list(const uint8_t *body, size_t len, int archive, dp_cable_list *out)
{
	json_t *a, *j;
	memset(out, 0, sizeof *out);
	if (parse_obj(body, len, "list", &j, NULL, 0))
		return DP_EPROTO;
	int r = list_items(j, archive, &out->items, &out->n, &a);
	if (!r && out->n && !(out->proofs = calloc(out->n, sizeof *out->proofs)))
		r = DP_ENOMEM;
	for (size_t i = 0; !r && i < out->n; i++) {
		json_t *o = json_array_get(a, i);
		dp_cable_proof *p = &out->proofs[i];
		if (json_object_get(o, "envelope") &&
		    (r = jbytes(o, "envelope", DP_ENVELOPE_MAX, &p->envelope, &p->envelope_len)))
			break;
		r = jaccepted(o, &p->acc);
	}
	if (!r)
		r = jlog(j, &out->log);
	if (!r)
		r = jorigins(j, &out->origins, &out->norigins);
	if (r && r != DP_ENOMEM)
		r = DP_EPROTO;
	json_decref(j);
	if (r)
		dp_cable_list_free(out);
	return r;
}

static int check_id(const char *id)
{
	uint8_t b[DP_CABLE_ID];
	return id && strlen(id) == 32 && dp_hex_decode(b, sizeof b, id, 32) == DP_OK;
}

int dp_client_fetch(dp_client *c, const char *cable_id, dp_buf *out, char mrn[DP_MRN_MAX + 1])
{
	if (!check_id(cable_id))
		return DP_EINVAL;
	char path[64];
	snprintf(path, sizeof path, "/v1/cables/%s", cable_id);
	dp_buf b;
	dp_buf_init(&b, SUB_MAX);
	int r = request(c, path, 0, NULL, 0, &b, 1, 0);
	if (!r) {
		memcpy(mrn, c->mrn_hdr, sizeof c->mrn_hdr);
		r = dp_buf_append(out, b.p, b.len);
	}
	dp_buf_free(&b);
	return r;
}

int dp_client_ack(dp_client *c, const char *cable_id, int64_t *acked)
{
	if (!check_id(cable_id))
		return DP_EINVAL;
	char path[80];
	snprintf(path, sizeof path, "/v1/cables/%s/ack", cable_id);
	dp_buf b;
	int r = request_body(c, path, 1, NULL, 0, 0, DP_CLIENT_JSON_MAX, &b);
	r = r ? r : dp_client_parse_ack(b.p, b.len, acked, c->msg, sizeof c->msg);
	dp_buf_free(&b);
	return r;
}

int dp_client_parse_ack(const uint8_t *body, size_t len, int64_t *acked, char *why, size_t cap)
{
	*acked = 0;
	json_t *j;
	int r = parse_obj(body, len, "acknowledgement", &j, why, cap);
	if (!r && jint(j, "acked", 0, INT64_MAX, acked)) {
		*acked = 0;
		r = malformed(why, cap, "acknowledgement");
	}
	json_decref(j);
	return r;
}

void dp_cable_status_free(dp_cable_status *st)
{
	free(st->recipients);
	dp_log_view_free(&st->log);
	dp_log_accepted_free(&st->acc);
	memset(st, 0, sizeof *st);
}

static int status(dp_client *c, const char *cable_id, int64_t log_size, dp_cable_status *st);

int dp_client_status(dp_client *c, const char *cable_id, dp_cable_status *st)
{
	return status(c, cable_id, -1, st);
}

int dp_client_status_log(dp_client *c, const char *cable_id, uint64_t log_size, dp_cable_status *st)
{
	if (log_size > INT64_MAX) {
		memset(st, 0, sizeof *st);
		return DP_EINVAL;
	}
	return status(c, cable_id, (int64_t)log_size, st);
}

static int status(dp_client *c, const char *cable_id, int64_t log_size, dp_cable_status *st)
{
	memset(st, 0, sizeof *st);
	st->classification = -1;
	if (!check_id(cable_id))
		return DP_EINVAL;
	char path[128];
	int pl = snprintf(path, sizeof path, "/v1/cables/%s/status", cable_id);
	if (log_size >= 0)
		snprintf(path + pl, sizeof path - (size_t)pl, "?log_size=%lld", (long long)log_size);
	dp_buf b;
	int r = request_body(c, path, 0, NULL, 0, 0, DP_CLIENT_JSON_MAX, &b);
	r = r ? r : dp_client_parse_status(b.p, b.len, log_size >= 0, st, c->msg, sizeof c->msg);
	dp_buf_free(&b);
	return r;
}

int dp_client_parse_status(const uint8_t *body, size_t len, int with_log, dp_cable_status *st,
			   char *why, size_t cap)
{
	memset(st, 0, sizeof *st);
	st->classification = -1;
	json_t *j, *a;
	int r = parse_obj(body, len, "status", &j, why, cap);
	if (r)
		return r;
	int64_t acc;
	if (jhexid(j, "cable_id", st->cable_id) || jmrn(j, "mrn", st->mrn) ||
	    jprec(j, "precedence", &st->precedence) || jint(j, "accepted", 0, INT64_MAX, &acc) ||
	    (json_object_get(j, "classification") && jclass(j, "classification", &st->classification)))
		r = DP_EPROTO;
	else
		st->accepted = acc;
	if (!r && with_log && !(r = jlog(j, &st->log)))
		r = jaccepted(j, &st->acc);
	if (!r)
		r = jarray(j, "recipients", DP_MAX_RECIPIENTS, sizeof *st->recipients,
			   (void **)&st->recipients, &st->nrecipients, &a);
	for (size_t i = 0; !r && i < st->nrecipients; i++) {
		json_t *o = json_array_get(a, i);
		dp_receipt *p = &st->recipients[i];
		uint8_t dev[32];
		if (!json_is_object(o) || jkey(o, "device", dev, 0) ||
		    jstr(o, "officer", p->officer, sizeof p->officer) ||
		    jstr(o, "post", p->post, sizeof p->post) || jrole(o, "role", &p->role) ||
		    jtime_opt(o, "delivered", &p->delivered) || jtime_opt(o, "acked", &p->acked) ||
		    jbool(o, "overdue", &p->overdue))
			r = DP_EPROTO;
		else
			dp_hex_encode(p->device, dev, 32);
	}
	json_decref(j);
	if (r == DP_EPROTO)
		malformed(why, cap, "status");
	if (r) {
		dp_cable_status_free(st);
		st->classification = -1;
	}
	return r;
}

void dp_cable_accepted_free(dp_cable_accepted *a)
{
	dp_log_view_free(&a->log);
	dp_log_accepted_free(&a->acc);
	memset(a, 0, sizeof *a);
}

int dp_client_accepted(dp_client *c, const char *cable_id, uint64_t log_size, dp_cable_accepted *out)
{
	memset(out, 0, sizeof *out);
	if (!check_id(cable_id) || log_size > INT64_MAX)
		return DP_EINVAL;
	char path[128];
	snprintf(path, sizeof path, "/v1/cables/%s/accepted?log_size=%llu", cable_id,
		 (unsigned long long)log_size);
	dp_buf b;
	int r = request_body(c, path, 0, NULL, 0, 0, DP_CLIENT_JSON_MAX, &b);
	r = r ? r : dp_client_parse_accepted(b.p, b.len, out, c->msg, sizeof c->msg);
	dp_buf_free(&b);
	return r;
}

int dp_client_parse_accepted(const uint8_t *body, size_t len, dp_cable_accepted *out, char *why,
			     size_t cap)
{
	memset(out, 0, sizeof *out);
	json_t *j;
	int r = parse_obj(body, len, "acceptance", &j, why, cap);
	if (r)
		return r;
	int64_t acc;
	if (jhexid(j, "cable_id", out->cable_id) || jmrn(j, "mrn", out->mrn) ||
	    jint(j, "accepted", 0, INT64_MAX, &acc) || jprec(j, "precedence", &out->precedence) ||
	    jclass(j, "classification", &out->classification) || jstr(j, "from", out->from, sizeof out->from) ||
	    (json_object_get(j, "role") && jrole(j, "role", &out->role)))
		r = DP_EPROTO;
	else
		out->accepted = acc;
	if (!r && !(r = jlog(j, &out->log)))
		r = jaccepted(j, &out->acc);
	json_decref(j);
	if (r == DP_EPROTO)
		malformed(why, cap, "acceptance");
	if (r)
		dp_cable_accepted_free(out);
	return r;
}

/* The "cables" array of a sent-list answer; *a is that array. */
static int sent_items(json_t *j, dp_sent_item **items, size_t *n, json_t **a)
{
	*items = NULL;
	*n = 0;
	dp_sent_item *it;
	size_t cnt;
	int r = jarray(j, "cables", DP_CLIENT_LIST_ITEMS, sizeof *it, (void **)&it, &cnt, a);
	for (size_t i = 0; !r && i < cnt; i++) {
		json_t *o = json_array_get(*a, i);
		int64_t acc, nr, nd, na;
		/* seq: 0 when absent (a switch from before sent-list paging) */
		it[i].seq = 0;
		if (!json_is_object(o) || jhexid(o, "cable_id", it[i].cable_id) ||
		    (json_object_get(o, "seq") && jint(o, "seq", 1, INT64_MAX, &it[i].seq)) ||
		    jmrn(o, "mrn", it[i].mrn) ||
		    jprec(o, "precedence", &it[i].precedence) ||
		    jclass(o, "classification", &it[i].classification) ||
		    jint(o, "accepted", 0, INT64_MAX, &acc) || jint(o, "recipients", 0, DP_MAX_RECIPIENTS, &nr) ||
		    jint(o, "delivered", 0, DP_MAX_RECIPIENTS, &nd) || jint(o, "acked", 0, DP_MAX_RECIPIENTS, &na))
			r = DP_EPROTO;
		else {
			it[i].accepted = acc;
			it[i].recipients = (uint32_t)nr;
			it[i].delivered = (uint32_t)nd;
			it[i].acked = (uint32_t)na;
		}
	}
	if (r) {
		free(it);
		return r;
	}
	*items = it;
	*n = cnt;
	return DP_OK;
}

int dp_client_sent_page(dp_client *c, int64_t before, int limit, dp_sent_item **items, size_t *n)
{
	*items = NULL;
	*n = 0;
	if (before < 1 || limit < 1 || limit > 1000)
		return DP_EINVAL;
	char path[96];
	snprintf(path, sizeof path, "/v1/sent?before=%lld&limit=%d", (long long)before, limit);
	dp_buf b;
	dp_sent_list l;
	int r = request_body(c, path, 0, NULL, 0, 0, DP_CLIENT_LIST_MAX, &b);
	r = r ? r : dp_client_parse_sent(b.p, b.len, 0, &l, c->msg, sizeof c->msg);
	dp_buf_free(&b);
	if (r)
		return r;
	if (l.n > (size_t)limit) { /* more than asked: not an answer to this request */
		set_msg(c, "the switch's sent-list answer holds %zu cables when at most %d were asked for",
			l.n, limit);
		dp_sent_list_free(&l);
		return DP_EPROTO;
	}
	*items = l.items;
	*n = l.n;
	l.items = NULL;
	dp_sent_list_free(&l);
	return DP_OK;
}

int dp_client_sent(dp_client *c, dp_sent_item **items, size_t *n)
{
	return dp_client_sent_page(c, INT64_MAX, DP_SENT_PAGE, items, n);
}

void dp_sent_list_free(dp_sent_list *l)
{
	for (size_t i = 0; l->accs && i < l->n; i++)
		dp_log_accepted_free(&l->accs[i]);
	free(l->accs);
	free(l->items);
	dp_log_view_free(&l->log);
	memset(l, 0, sizeof *l);
}

int dp_client_sent_log(dp_client *c, uint64_t log_size, dp_sent_list *out)
{
	memset(out, 0, sizeof *out);
	if (log_size > INT64_MAX)
		return DP_EINVAL;
	char path[64];
	snprintf(path, sizeof path, "/v1/sent?log_size=%llu", (unsigned long long)log_size);
	dp_buf b;
	int r = request_body(c, path, 0, NULL, 0, 0, DP_CLIENT_LIST_MAX, &b);
	r = r ? r : dp_client_parse_sent(b.p, b.len, 1, out, c->msg, sizeof c->msg);
	dp_buf_free(&b);
	return r;
}

int dp_client_parse_sent(const uint8_t *body, size_t len, int with_log, dp_sent_list *out, char *why,
			 size_t cap)
{
	memset(out, 0, sizeof *out);
	json_t *j, *a;
	int r = parse_obj(body, len, "sent-list", &j, why, cap);
	if (r)
		return r;
	r = sent_items(j, &out->items, &out->n, &a);
	if (!r && with_log && out->n && !(out->accs = calloc(out->n, sizeof *out->accs)))
		r = DP_ENOMEM;
	for (size_t i = 0; !r && with_log && i < out->n; i++)
		r = jaccepted(json_array_get(a, i), &out->accs[i]);
	if (!r && with_log)
		r = jlog(j, &out->log);
	json_decref(j);
	if (r == DP_EPROTO)
		malformed(why, cap, "sent-list");
	if (r)
		dp_sent_list_free(out);
	return r;
}

/* Append "&name=escaped(value)" if value is set. */
static int add_param(CURL *h, dp_buf *q, const char *name, const char *value)
{
	if (!value || !*value)
		return DP_OK;
	char *e = curl_easy_escape(h, value, 0);
	if (!e)
		return DP_ENOMEM;
	int r = dp_buf_printf(q, "%s%s=%s", q->len ? "&" : "?", name, e);
	curl_free(e);
	return r;
}

static int resolve(dp_client *c, const dp_resolve_query *q, int with_log, uint64_t log_size,
		   dp_resolution *res);

void dp_resolution_free(dp_resolution *res)
{
	for (size_t i = 0; res->devs && i < res->n; i++) {
		free(res->devs[i].enrolment.entry);
		free(res->devs[i].key_entry.entry);
	}
	free(res->devs);
	free(res->unreachable);
	for (size_t i = 0; res->officers && i < res->nofficers; i++)
		dp_officer_proof_free(&res->officers[i]);
	free(res->officers);
	dp_log_view_free(&res->log);
	memset(res, 0, sizeof *res);
}

void dp_log_view_free(dp_log_view *v)
{
	free(v->checkpoint);
	memset(v, 0, sizeof *v);
}

void dp_log_accepted_free(dp_log_accepted *a)
{
	free(a->entry.entry);
	memset(a, 0, sizeof *a);
}

/* One base64 hash (32 bytes; padded or not, canonical either way). */
static int jhash_val(json_t *v, uint8_t out[DP_TLOG_HASH])
{
	size_t n;
	if (!json_is_string(v) || json_string_length(v) > 44)
		return DP_EPROTO; /* not a string, or longer than any 32-byte base64 */
	const char *s = json_string_value(v);
	size_t l = json_string_length(v);
	return dp_b64_decode(out, DP_TLOG_HASH, &n, s, l, l % 4 == 0) || n != DP_TLOG_HASH ? DP_EPROTO
											 : DP_OK;
}

/* The array o[k] of at most DP_TLOG_PROOF_MAX base64 hashes. */
static int jproof(json_t *o, const char *k, uint8_t out[DP_TLOG_PROOF_MAX][DP_TLOG_HASH], size_t *n)
{
	json_t *a = json_object_get(o, k);
	*n = 0;
	if (!json_is_array(a) || json_array_size(a) > DP_TLOG_PROOF_MAX)
		return refuse(k); /* missing, or longer than any proof of a uint64 tree */
	for (size_t i = 0; i < json_array_size(a); i++)
		if (jhash_val(json_array_get(a, i), out[i]))
			return refuse(k);
	*n = json_array_size(a);
	return DP_OK;
}

/* {"index": I, "entry": "b64", "proof": [...]} v (named k) into in. */
static int jincl_val(json_t *v, const char *k, dp_log_incl *in)
{
	memset(in, 0, sizeof *in);
	int64_t idx;
	if (!json_is_object(v))
		return refuse(k); /* not an entry with its index and proof */
	if (jint(v, "index", 0, INT64_MAX, &idx) || jproof(v, "proof", in->proof, &in->nproof))
		return DP_EPROTO; /* the helper named the field */
	int r = jbytes(v, "entry", DP_TLOG_ENTRY_MAX, &in->entry, &in->entry_len);
	if (r)
		return r; /* not canonical base64 of 1..65535 bytes */
	in->index = (uint64_t)idx;
	in->present = 1;
	return DP_OK;
}

/* {"index": I, "entry": "b64", "proof": [...]}, if o[k] is present. */
static int jincl(json_t *o, const char *k, dp_log_incl *in)
{
	json_t *v = json_object_get(o, k);
	memset(in, 0, sizeof *in);
	if (!v || json_is_null(v))
		return DP_OK; /* optional: a switch without the log does not send it */
	return jincl_val(v, k, in);
}

/* The optional "log" object of an answer. */
static int jlog(json_t *j, dp_log_view *v)
{
	json_t *l = json_object_get(j, "log");
	if (!l || json_is_null(l))
		return DP_OK;
	json_t *cp = json_object_get(l, "checkpoint");
	if (!json_is_object(l) || !json_is_string(cp) || json_string_length(cp) == 0 ||
	    json_string_length(cp) > DP_NOTE_MAX ||
	    strlen(json_string_value(cp)) != json_string_length(cp))
		return refuse("log"); /* no checkpoint note, too long, or with a NUL */
	if (jproof(l, "consistency", v->consistency, &v->nconsistency))
		return DP_EPROTO; /* the helper named the field */
	v->checkpoint = strdup(json_string_value(cp));
	if (!v->checkpoint)
		return DP_ENOMEM;
	v->checkpoint_len = json_string_length(cp);
	v->present = 1;
	return DP_OK;
}

/* "log_index" (integer or null) and "log_entry" of an answer about a cable; both optional. */
static int jaccepted(json_t *o, dp_log_accepted *a)
{
	memset(a, 0, sizeof *a);
	json_t *v = json_object_get(o, "log_index");
	a->index = -1;
	if (v) {
		int64_t idx;
		a->has_index = 1;
		if (!json_is_null(v) && jint(o, "log_index", 0, INT64_MAX, &idx))
			return refuse("log_index"); /* neither an index nor null */
		a->index = json_is_null(v) ? -1 : idx;
	}
	return jincl(o, "log_entry", &a->entry);
}

/* Base64 bytes o[k] (padded or not, canonical), 1..max of them, into *out (malloc'd). */
static int jbytes(json_t *o, const char *k, size_t max, uint8_t **out, size_t *n)
{
	json_t *v = json_object_get(o, k);
	*out = NULL;
	*n = 0;
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > dp_b64_enclen(max, 1))
		return refuse(k); /* missing, empty, or longer than max bytes can be */
	const char *b = json_string_value(v);
	size_t bl = json_string_length(v), cap = bl / 4 * 3 + 3;
	if (cap > max)
		cap = max;
	*out = malloc(cap);
	if (!*out)
		return DP_ENOMEM;
	if (dp_b64_decode(*out, cap, n, b, bl, bl % 4 == 0) || *n == 0) {
		free(*out);
		*out = NULL;
		*n = 0;
		return refuse(k); /* not canonical base64 */
	}
	return DP_OK;
}

int dp_client_resolve(dp_client *c, const dp_resolve_query *q, dp_resolution *res)
{
	return resolve(c, q, 0, 0, res);
}

int dp_client_resolve_log(dp_client *c, const dp_resolve_query *q, uint64_t log_size,
			  dp_resolution *res)
{
	return resolve(c, q, 1, log_size, res);
}

static int resolve(dp_client *c, const dp_resolve_query *q, int with_log, uint64_t log_size,
		   dp_resolution *res)
{
	memset(res, 0, sizeof *res);
	if (!q->to || !*q->to)
		return DP_EINVAL;
	dp_buf qs;
	dp_buf_init(&qs, 8192);
	int r = add_param(c->h, &qs, "to", q->to);
	r = r ? r : add_param(c->h, &qs, "info", q->info);
	r = r ? r : add_param(c->h, &qs, "classification", dp_class_name(q->classification));
	r = r ? r : add_param(c->h, &qs, "captions", q->captions);
	r = r ? r : add_param(c->h, &qs, "attn", q->attn);
	if (!r && with_log)
		r = dp_buf_printf(&qs, "%slog_size=%llu", qs.len ? "&" : "?", (unsigned long long)log_size);
	char path[8300];
	if (!r && snprintf(path, sizeof path, "/v1/directory/resolve%s", (char *)qs.p) >= (int)sizeof path)
		r = DP_ETOOBIG;
	dp_buf_free(&qs);
	if (r)
		return r;
	dp_buf b;
	r = request_body(c, path, 0, NULL, 0, 0, DP_CLIENT_JSON_MAX, &b);
	r = r ? r : dp_client_parse_resolve(b.p, b.len, res, c->msg, sizeof c->msg);
	dp_buf_free(&b);
	for (size_t i = 0; !r && i < res->nunreachable; i++)
		skew_seen(c, res->unreachable[i].at, SKEW_API);
	return r;
}

int dp_client_parse_resolve(const uint8_t *body, size_t len, dp_resolution *res, char *why, size_t cap)
{
	memset(res, 0, sizeof *res);
	json_t *j, *a, *u;
	int r = parse_obj(body, len, "resolve", &j, why, cap);
	if (r)
		return r;
	dp_resolved *d;
	size_t cnt;
	r = jarray(j, "devices", DP_MAX_RECIPIENTS, sizeof *d, (void **)&d, &cnt, &a);
	for (size_t i = 0; !r && i < cnt; i++) {
		json_t *o = json_array_get(a, i);
		int64_t kt, ep, nb, na;
		if (!json_is_object(o) || jkey(o, "device", d[i].device, 0) ||
		    jstr(o, "officer", d[i].officer, sizeof d[i].officer) ||
		    jstr(o, "post", d[i].post, sizeof d[i].post) || jrole(o, "role", &d[i].role) ||
		    jint(o, "key_type", 1, 255, &kt) || jint(o, "epoch", 0, UINT32_MAX, &ep) ||
		    jint(o, "not_before", 0, INT64_MAX, &nb) || jint(o, "not_after", 0, INT64_MAX, &na) ||
		    jstr(o, "age_recipient", d[i].age_recipient, sizeof d[i].age_recipient) ||
		    jtext(o, "epoch_key", d[i].epoch_key, sizeof d[i].epoch_key))
			r = DP_EPROTO;
		else if ((r = jincl(o, "enrolment", &d[i].enrolment)) == DP_OK &&
			 (r = jincl(o, "key_entry", &d[i].key_entry)) == DP_OK) {
			d[i].key_type = (int)kt;
			d[i].epoch = (uint32_t)ep;
			d[i].not_before = nb;
			d[i].not_after = na;
		}
	}
	/* res owns d from here, so dp_resolution_free releases its entries on any failure */
	res->devs = d;
	res->n = cnt;
	if (!r)
		r = jlog(j, &res->log);
	if (!r && (r = dp_client_jofficers(j, &res->officers, &res->nofficers)) == DP_EPROTO)
		refuse("officers"); /* the officer index's proofs (lib/client_index.c) */
	/* "unreachable" may be absent (nobody is) */
	if (!r && json_object_get(j, "unreachable")) {
		dp_unreachable *un;
		r = jarray(j, "unreachable", DP_MAX_RECIPIENTS, sizeof *un, (void **)&un, &cnt, &u);
		for (size_t i = 0; !r && i < cnt; i++) {
			json_t *o = json_array_get(u, i);
			if (!json_is_object(o) || jkey(o, "device", un[i].device, 0) ||
			    jstr(o, "officer", un[i].officer, sizeof un[i].officer) ||
			    jstr(o, "post", un[i].post, sizeof un[i].post) ||
			    jrole(o, "role", &un[i].role) ||
			    jtime_opt(o, "last_not_after", &un[i].last_not_after) ||
			    jtime_new(o, "next_not_before", &un[i].next_not_before) ||
			    jtime_new(o, "at", &un[i].at))
				r = DP_EPROTO;
			char reason[64] = "";
			if (!r && json_object_get(o, "reason"))
				r = jstr(o, "reason", reason, sizeof reason);
			un[i].not_logged = strcmp(reason, "key not yet in the log") == 0;
		}
		if (!r) {
			res->unreachable = un;
			res->nunreachable = cnt;
		} else
			free(un);
	}
	json_decref(j);
	if (r == DP_EPROTO)
		malformed(why, cap, "resolve");
	if (r)
		dp_resolution_free(res);
	return r;
}

/* What the directory says of a device: device, officer, post, status, sign_key. */
static int jdevice(json_t *j, dp_device_info *d)
{
	memset(d, 0, sizeof *d);
	return json_is_object(j) && !jkey(j, "device", d->device, 0) &&
			       !jstr(j, "officer", d->officer, sizeof d->officer) &&
			       !jstr(j, "post", d->post, sizeof d->post) &&
			       !jstr(j, "status", d->status, sizeof d->status) && !jkey(j, "sign_key", d->sign_key, 1)
		       ? DP_OK
		       : DP_EPROTO;
}

int dp_client_device(dp_client *c, const uint8_t device[32], dp_device_info *d)
{
	memset(d, 0, sizeof *d);
	char hex[65], path[128];
	dp_hex_encode(hex, device, 32);
	snprintf(path, sizeof path, "/v1/directory/devices/%s", hex);
	dp_buf b;
	int r = request_body(c, path, 0, NULL, 0, 0, DP_CLIENT_JSON_MAX, &b);
	r = r ? r : dp_client_parse_device(b.p, b.len, d, c->msg, sizeof c->msg);
	dp_buf_free(&b);
	if (!r && memcmp(d->device, device, 32) != 0) {
		set_msg(c, "%s", "the switch answered about another device than asked");
		memset(d, 0, sizeof *d);
		r = DP_EPROTO;
	}
	return r;
}

int dp_client_parse_device(const uint8_t *body, size_t len, dp_device_info *d, char *why, size_t cap)
{
	memset(d, 0, sizeof *d);
	json_t *j;
	int r = parse_obj(body, len, "device", &j, why, cap);
	if (r)
		return r;
	int64_t ep;
	if (jdevice(j, d))
		r = DP_EPROTO;
	else if (json_object_get(j, "epoch")) {
		/* the current epoch key, when the device has one */
		if (jstr(j, "age_recipient", d->age_recipient, sizeof d->age_recipient) ||
		    jint(j, "epoch", 0, UINT32_MAX, &ep))
			r = DP_EPROTO;
		else {
			d->epoch = (uint32_t)ep;
			d->has_key = 1;
		}
	}
	json_decref(j);
	if (r) {
		memset(d, 0, sizeof *d);
		malformed(why, cap, "device");
	}
	return r;
}

/* ---- the directory listing and the markings ---- */

/* The "markings" member of j (absent: none) into *m; DP_EPROTO if malformed. */
static int jmarkings(json_t *v, dp_markings *m)
{
	memset(m, 0, sizeof *m);
	if (!v)
		return DP_OK;
	if (!json_is_object(v))
		return DP_EPROTO;
	const char *k;
	json_t *mv;
	json_object_foreach(v, k, mv) {
		/* a level name, a marking the rule accepts, no NUL inside */
		if (!json_is_string(mv) || strlen(json_string_value(mv)) != json_string_length(mv) ||
		    dp_markings_set(m, k, json_string_value(mv), json_string_length(mv), NULL, 0)) {
			memset(m, 0, sizeof *m);
			return DP_EPROTO;
		}
	}
	return DP_OK;
}

int dp_client_parse_markings(const uint8_t *body, size_t len, dp_markings *m)
{
	json_error_t je;
	json_t *j = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &je);
	int r = json_is_object(j) ? jmarkings(j, m) : DP_EPROTO;
	if (r)
		memset(m, 0, sizeof *m);
	json_decref(j);
	return r;
}

int dp_client_markings(dp_client *c, dp_markings *m)
{
	memset(m, 0, sizeof *m);
	dp_buf b;
	json_t *j = NULL;
	int r = request_body(c, "/v1/health", 0, NULL, 0, 0, DP_CLIENT_JSON_MAX, &b);
	r = r ? r : parse_obj(b.p, b.len, "health", &j, c->msg, sizeof c->msg);
	if (!r && jmarkings(json_object_get(j, "markings"), m))
		r = bad_field(c, "health (markings)");
	json_decref(j);
	dp_buf_free(&b);
	return r;
}

void dp_directory_free(dp_directory *d)
{
	for (size_t i = 0; d->colls && i < d->ncolls; i++)
		free(d->colls[i].posts);
	free(d->posts);
	free(d->colls);
	free(d->officers);
	memset(d, 0, sizeof *d);
	dp_records_sched_default(&d->records);
}

static int name_cmp(const void *a, const void *b) { return strcmp(a, b); }

/*
 * The names of n entries (each w bytes wide, the name first) sorted into a
 * new array (*sorted, malloc'd): DP_EPROTO if one is there twice.
 */
static int names_sorted(const void *base, size_t n, size_t w, char (**sorted)[DP_NAME_MAX + 1])
{
	*sorted = NULL;
	if (!n)
		return DP_OK;
	char (*s)[DP_NAME_MAX + 1] = calloc(n, sizeof *s);
	if (!s)
		return DP_ENOMEM;
	for (size_t i = 0; i < n; i++)
		memcpy(s[i], (const char *)base + i * w, sizeof s[i]);
	qsort(s, n, sizeof *s, name_cmp);
	for (size_t i = 1; i < n; i++)
		if (strcmp(s[i - 1], s[i]) == 0) {
			free(s);
			return DP_EPROTO; /* a name listed twice */
		}
	*sorted = s;
	return DP_OK;
}

/* names_sorted, for the check alone. */
static int names_unique(const void *base, size_t n, size_t w)
{
	char (*sorted)[DP_NAME_MAX + 1];
	int r = names_sorted(base, n, w, &sorted);
	free(sorted);
	return r;
}

static int listed(char (*sorted)[DP_NAME_MAX + 1], size_t n, const char *name)
{
	return n && bsearch(name, sorted, n, sizeof *sorted, name_cmp) != NULL;
}

/* A JSON string that is a name (dp_name_ok) into out; 0 if it is not. */
static int jname_val(json_t *v, char out[DP_NAME_MAX + 1])
{
	const char *s = json_string_value(v);
	size_t n = s ? json_string_length(v) : 0;
	if (!s || n > DP_NAME_MAX || strlen(s) != n || !dp_name_ok(s))
		return 0;
	memcpy(out, s, n + 1);
	return 1;
}

static int dir_posts(json_t *j, dp_directory *d)
{
	json_t *a;
	void *arr;
	int r = jarray(j, "posts", DP_DIR_POSTS_MAX, sizeof(dp_dir_post), &arr, &d->nposts, &a);
	d->posts = arr;
	for (size_t i = 0; !r && i < d->nposts; i++) {
		json_t *v = json_array_get(a, i);
		if (!json_is_object(v) || jstr(v, "name", d->posts[i].name, DP_NAME_MAX + 1) ||
		    !dp_name_ok(d->posts[i].name) || jbool(v, "hq", &d->posts[i].hq))
			r = DP_EPROTO;
	}
	return r;
}

static int dir_colls(json_t *j, dp_directory *d, char (*posts)[DP_NAME_MAX + 1])
{
	json_t *a;
	void *arr;
	int r = jarray(j, "collectives", DP_DIR_COLLECTIVES_MAX, sizeof(dp_dir_collective), &arr,
		       &d->ncolls, &a);
	d->colls = arr;
	for (size_t i = 0; !r && i < d->ncolls; i++) {
		dp_dir_collective *cl = &d->colls[i];
		json_t *v = json_array_get(a, i), *m;
		void *members;
		if (!json_is_object(v) || jstr(v, "name", cl->name, DP_NAME_MAX + 1) ||
		    !dp_name_ok(cl->name) || listed(posts, d->nposts, cl->name))
			r = DP_EPROTO; /* a collective never shadows a post */
		else if (!(r = jarray(v, "posts", DP_DIR_POSTS_MAX, DP_NAME_MAX + 1, &members,
				      &cl->nposts, &m))) {
			cl->posts = members;
			if (cl->nposts == 0)
				r = DP_EPROTO; /* a collective names at least one post */
			for (size_t k = 0; !r && k < cl->nposts; k++)
				if (!jname_val(json_array_get(m, k), cl->posts[k]) ||
				    !listed(posts, d->nposts, cl->posts[k]))
					r = DP_EPROTO; /* each member a listed post */
		}
	}
	return r ? r : names_unique(d->colls, d->ncolls, sizeof *d->colls);
}

static int dir_officers(json_t *j, dp_directory *d, char (*posts)[DP_NAME_MAX + 1])
{
	json_t *a;
	void *arr;
	int r = jarray(j, "officers", DP_DIR_OFFICERS_MAX, sizeof(dp_dir_officer), &arr,
		       &d->nofficers, &a);
	d->officers = arr;
	for (size_t i = 0; !r && i < d->nofficers; i++) {
		dp_dir_officer *o = &d->officers[i];
		json_t *v = json_array_get(a, i), *roles;
		if (!json_is_object(v) || jstr(v, "handle", o->handle, sizeof o->handle) ||
		    !dp_handle_ok(o->handle) || jstr(v, "post", o->post, sizeof o->post) ||
		    !listed(posts, d->nposts, o->post) || jstr(v, "name", o->name, sizeof o->name) ||
		    !json_is_array(roles = json_object_get(v, "roles")) ||
		    json_array_size(roles) > DP_MAX_CAPTIONS) {
			r = DP_EPROTO;
			break;
		}
		o->nroles = json_array_size(roles);
		for (size_t k = 0; !r && k < o->nroles; k++)
			if (!jname_val(json_array_get(roles, k), o->roles[k]))
				r = DP_EPROTO;
	}
	/* a handle names one officer */
	return r ? r : names_unique(d->officers, d->nofficers, sizeof *d->officers);
}

/* The "records" member (absent: the built-in schedule) into *s; DP_EPROTO if it is not one. */
static int jrecords(json_t *v, dp_records_sched *s)
{
	dp_records_sched_default(s);
	if (!v)
		return DP_OK;
	char *txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!txt)
		return DP_ENOMEM;
	int r = dp_records_sched_parse((const uint8_t *)txt, strlen(txt), s, NULL, 0);
	free(txt);
	return r ? DP_EPROTO : DP_OK; /* a bad schedule: the answer is refused, as a bad marking */
}

static int directory_of(json_t *j, dp_directory *d)
{
	char (*posts)[DP_NAME_MAX + 1] = NULL;
	int r = dir_posts(j, d);
	if (!r)
		r = names_sorted(d->posts, d->nposts, sizeof *d->posts, &posts);
	if (!r)
		r = dir_colls(j, d, posts);
	if (!r)
		r = dir_officers(j, d, posts);
	if (!r)
		r = jmarkings(json_object_get(j, "markings"), &d->markings);
	if (!r)
		r = jrecords(json_object_get(j, "records"), &d->records);
	json_t *rp = json_object_get(j, "records_post");
	if (!r && rp && !jname_val(rp, d->records_post))
		r = DP_EPROTO; /* the archive's post: absent (none) or a post's name */
	free(posts);
	if (r)
		dp_directory_free(d);
	return r;
}

int dp_client_parse_directory(const uint8_t *body, size_t len, dp_directory *out)
{
	memset(out, 0, sizeof *out);
	dp_records_sched_default(&out->records);
	json_t *j;
	int r = parse_obj(body, len, "directory", &j, NULL, 0);
	r = r ? r : directory_of(j, out);
	json_decref(j);
	return r;
}

int dp_client_directory(dp_client *c, dp_directory *out)
{
	memset(out, 0, sizeof *out);
	dp_records_sched_default(&out->records);
	dp_buf b;
	int r = request_body(c, "/v1/directory", 0, NULL, 0, 0, DP_CLIENT_JSON_MAX, &b);
	if (!r && (r = dp_client_parse_directory(b.p, b.len, out)) == DP_EPROTO)
		r = bad_field(c, "directory");
	dp_buf_free(&b);
	return r;
}

int dp_client_health(dp_client *c, char *version, size_t vcap)
{
	dp_buf b;
	int r = request_body(c, "/v1/health", 0, NULL, 0, 0, DP_CLIENT_JSON_MAX, &b);
	r = r ? r : dp_client_parse_health(b.p, b.len, version, vcap, c->msg, sizeof c->msg);
	dp_buf_free(&b);
	return r;
}

int dp_client_parse_health(const uint8_t *body, size_t len, char *version, size_t vcap, char *why,
			   size_t cap)
{
	if (vcap)
		version[0] = 0;
	json_t *j;
	int r = parse_obj(body, len, "health", &j, why, cap);
	if (r)
		return r;
	char st[16];
	if (jstr(j, "status", st, sizeof st) || strcmp(st, "ok") != 0)
		r = malformed(why, cap, "health");
	else if (vcap && jstr(j, "version", version, vcap))
		version[0] = 0; /* the version is for show: none rather than a bad one */
	json_decref(j);
	return r;
}

/* ---- the transparency log ---- */

int dp_client_get_raw(dp_client *c, const char *path, dp_buf *out)
{
	if (!path || path[0] != '/')
		return DP_EINVAL;
	dp_buf b;
	dp_buf_init(&b, out->cap > out->len ? out->cap - out->len : 0);
	int r = request(c, path, 0, NULL, 0, &b, 1, 0);
	if (!r)
		r = dp_buf_append(out, b.p, b.len);
	dp_buf_free(&b);
	return r;
}

int dp_client_post_raw(dp_client *c, const char *path, const char *body, size_t len, dp_buf *out)
{
	if (!path || path[0] != '/')
		return DP_EINVAL;
	return request(c, path, 1, (const uint8_t *)body, len, out, 0, 0);
}

/* For the parsers in their own files (lib/client_int.h). */
int dp_client_jlog(json_t *j, dp_log_view *v) { return jlog(j, v); }
int dp_client_jincl(json_t *v, const char *k, dp_log_incl *in) { return jincl_val(v, k, in); }
void dp_client_set_msg(dp_client *c, const char *msg) { set_msg(c, "%s", msg); }
int dp_client_parse_obj(const uint8_t *body, size_t len, const char *what, json_t **j, char *why,
			size_t cap)
{
	return parse_obj(body, len, what, j, why, cap);
}
int dp_client_malformed(char *why, size_t cap, const char *what) { return malformed(why, cap, what); }
int dp_client_jstr(json_t *o, const char *k, char *out, size_t cap) { return jstr(o, k, out, cap); }
int dp_client_jint(json_t *o, const char *k, int64_t lo, int64_t hi, int64_t *out)
{
	return jint(o, k, lo, hi, out);
}
int dp_client_refuse(const char *k) { return refuse(k); }
int dp_client_jhash(json_t *v, uint8_t out[DP_TLOG_HASH]) { return jhash_val(v, out); }

int dp_client_log_checkpoint(dp_client *c, dp_buf *note)
{
	size_t before = note->len;
	int r = dp_client_get_raw(c, "/v1/log/checkpoint", note);
	if (!r && note->len == before) {
		set_msg(c, "%s", "the switch sent an empty log checkpoint");
		r = DP_EPROTO;
	}
	return r;
}

/* {"size": N, "proof": [...]}: N must be the size asked for. */
static int log_proof(dp_client *c, const char *path, uint64_t size, dp_log_proof *p)
{
	dp_buf b;
	int r = request_body(c, path, 0, NULL, 0, 0, DP_CLIENT_JSON_MAX, &b);
	r = r ? r : dp_client_parse_log_proof(b.p, b.len, size, p, c->msg, sizeof c->msg);
	dp_buf_free(&b);
	return r;
}

int dp_client_parse_log_proof(const uint8_t *body, size_t len, uint64_t size, dp_log_proof *p,
			      char *why, size_t cap)
{
	memset(p, 0, sizeof *p);
	json_t *j;
	int r = parse_obj(body, len, "log proof", &j, why, cap);
	if (r)
		return r;
	int64_t sz;
	if (jint(j, "size", 0, INT64_MAX, &sz) || jproof(j, "proof", p->h, &p->n))
		r = malformed(why, cap, "log proof");
	else if ((uint64_t)sz != size) {
		if (why && cap)
			snprintf(why, cap, "the switch answered a proof for size %lld, not %llu",
				 (long long)sz, (unsigned long long)size);
		r = DP_EPROTO;
	} else
		p->size = size;
	json_decref(j);
	if (r)
		memset(p, 0, sizeof *p);
	return r;
}

int dp_client_log_consistency(dp_client *c, uint64_t from, uint64_t size, dp_log_proof *p)
{
	memset(p, 0, sizeof *p);
	if (from == 0 || from > size || size > INT64_MAX)
		return DP_EINVAL;
	char path[128];
	snprintf(path, sizeof path, "/v1/log/proof/consistency?from=%llu&size=%llu",
		 (unsigned long long)from, (unsigned long long)size);
	return log_proof(c, path, size, p);
}

int dp_client_log_inclusion(dp_client *c, uint64_t index, uint64_t size, dp_log_proof *p)
{
	memset(p, 0, sizeof *p);
	if (index >= size || size > INT64_MAX)
		return DP_EINVAL;
	char path[128];
	snprintf(path, sizeof path, "/v1/log/proof/inclusion?index=%llu&size=%llu",
		 (unsigned long long)index, (unsigned long long)size);
	return log_proof(c, path, size, p);
}

int dp_client_log_tile(dp_client *c, int tlevel, uint64_t n, unsigned width, dp_buf *out)
{
	char tile[128], path[160];
	if (tlevel < -1 || tlevel > 63 || width == 0 || width > DP_TLOG_TILE_WIDTH ||
	    dp_tlog_tile_path(tile, sizeof tile, tlevel, n, width))
		return DP_EINVAL;
	snprintf(path, sizeof path, "/v1/log/%s", tile);
	size_t before = out->len;
	int r = dp_client_get_raw(c, path, out);
	if (r)
		return r;
	/* a hash tile is exactly width hashes; a bundle's count is its parser's to check */
	if (tlevel >= 0 && out->len - before != (size_t)width * DP_TLOG_HASH) {
		set_msg(c, "the switch sent a tile of %zu bytes for %u hashes", out->len - before, width);
		out->len = before;
		return DP_EPROTO;
	}
	return DP_OK;
}

/* POST o (taken; NULL: out of memory) as compact JSON to path; the answer's bytes into *b (freed by the caller). */
static int post_json(dp_client *c, const char *path, json_t *o, dp_buf *b)
{
	char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	dp_buf_init(b, DP_CLIENT_JSON_MAX);
	if (!body)
		return DP_ENOMEM;
	int r = request(c, path, 1, (const uint8_t *)body, strlen(body), b, 0, 0);
	free(body);
	return r;
}

int dp_client_log_cosign(dp_client *c, uint64_t size, const char *line, size_t len)
{
	if (!line || len == 0 || len > 1024 || size > INT64_MAX || strlen(line) != len)
		return DP_EINVAL;
	dp_buf b;
	int r = post_json(c, "/v1/log/cosign",
			  json_pack("{s:I, s:s%}", "size", (json_int_t)size, "cosignature", line, len), &b);
	r = r ? r : dp_client_parse_cosigned(b.p, b.len, c->msg, sizeof c->msg);
	dp_buf_free(&b);
	return r;
}

int dp_client_parse_cosigned(const uint8_t *body, size_t len, char *why, size_t cap)
{
	json_t *j;
	int r = parse_obj(body, len, "cosignature", &j, why, cap), stored = 0;
	if (!r && (jbool(j, "stored", &stored) || !stored))
		r = malformed(why, cap, "cosignature");
	json_decref(j);
	return r;
}

/* The rollbacks answer in j into *items. */
static int rollbacks_of(json_t *j, dp_log_incl **items, size_t *n)
{
	json_t *a;
	void *arr;
	int r = jarray(j, "rollbacks", DP_CLIENT_ROLLBACKS_MAX, sizeof(dp_log_incl), &arr, n, &a);
	dp_log_incl *it = arr;
	for (size_t i = 0; !r && i < *n; i++) {
		json_t *v = json_array_get(a, i);
		int64_t idx;
		if (!json_is_object(v) || jint(v, "index", 0, INT64_MAX, &idx))
			r = DP_EPROTO;
		else if (!(r = jbytes(v, "entry", DP_TLOG_ENTRY_MAX, &it[i].entry, &it[i].entry_len))) {
			it[i].index = (uint64_t)idx;
			it[i].present = 1;
		}
	}
	if (r) {
		dp_log_rollbacks_free(it, *n);
		*n = 0;
		return r;
	}
	*items = it;
	return DP_OK;
}

int dp_client_parse_rollbacks(const uint8_t *body, size_t len, dp_log_incl **items, size_t *n)
{
	*items = NULL;
	*n = 0;
	json_t *j;
	int r = parse_obj(body, len, "rollbacks", &j, NULL, 0);
	r = r ? r : rollbacks_of(j, items, n);
	json_decref(j);
	return r;
}

int dp_client_log_rollbacks(dp_client *c, dp_log_incl **items, size_t *n)
{
	*items = NULL;
	*n = 0;
	dp_buf b;
	int r = request_body(c, "/v1/log/rollbacks", 0, NULL, 0, 0, DP_CLIENT_JSON_MAX, &b);
	if (!r && (r = dp_client_parse_rollbacks(b.p, b.len, items, n)) == DP_EPROTO)
		r = bad_field(c, "rollbacks");
	dp_buf_free(&b);
	return r;
}

void dp_log_rollbacks_free(dp_log_incl *items, size_t n)
{
	for (size_t i = 0; items && i < n; i++)
		free(items[i].entry);
	free(items);
}

int dp_client_log_recovered(dp_client *c, uint64_t rollback, const char *note, size_t len,
			    int64_t *log_index, int *duplicate)
{
	*log_index = -1;
	*duplicate = 0;
	if (!note || len == 0 || len > DP_NOTE_MAX || rollback > INT64_MAX || strlen(note) != len)
		return DP_EINVAL;
	dp_buf b;
	int r = post_json(c, "/v1/log/recovered",
			  json_pack("{s:I, s:s%}", "rollback", (json_int_t)rollback, "checkpoint", note, len),
			  &b);
	r = r ? r : dp_client_parse_recovered(b.p, b.len, log_index, duplicate, c->msg, sizeof c->msg);
	dp_buf_free(&b);
	return r;
}

int dp_client_parse_recovered(const uint8_t *body, size_t len, int64_t *log_index, int *duplicate,
			      char *why, size_t cap)
{
	*log_index = -1;
	*duplicate = 0;
	json_t *j;
	int r = parse_obj(body, len, "recovered", &j, why, cap);
	if (!r && (jint(j, "log_index", 0, INT64_MAX, log_index) || jbool(j, "duplicate", duplicate))) {
		*log_index = -1;
		*duplicate = 0;
		r = malformed(why, cap, "recovered");
	}
	json_decref(j);
	return r;
}

/* ---- key epochs ---- */

int dp_client_publish_key(dp_client *c, const uint8_t *rec, size_t n, int *duplicate)
{
	*duplicate = 0;
	dp_buf b;
	int r = request_body(c, "/v1/keys", 1, rec, n, 0, DP_CLIENT_JSON_MAX, &b);
	r = r ? r : dp_client_parse_published(b.p, b.len, duplicate, c->msg, sizeof c->msg);
	dp_buf_free(&b);
	return r;
}

int dp_client_parse_published(const uint8_t *body, size_t len, int *duplicate, char *why, size_t cap)
{
	*duplicate = 0;
	json_t *j;
	int r = parse_obj(body, len, "key publication", &j, why, cap);
	if (!r && jbool(j, "duplicate", duplicate)) {
		*duplicate = 0;
		r = malformed(why, cap, "key publication");
	}
	json_decref(j);
	return r;
}

void dp_key_status_free(dp_key_status *st)
{
	for (size_t i = 0; i < st->n; i++)
		free(st->epochs[i].pending);
	free(st->epochs);
	memset(st, 0, sizeof *st);
}

int dp_client_keys(dp_client *c, dp_key_status *st)
{
	dp_buf b;
	int r = request_body(c, "/v1/keys", 0, NULL, 0, 0, DP_CLIENT_JSON_MAX, &b);
	r = r ? r : dp_client_parse_keys(b.p, b.len, st, c->msg, sizeof c->msg);
	dp_buf_free(&b);
	return r;
}

int dp_client_parse_keys(const uint8_t *body, size_t len, dp_key_status *st, char *why, size_t cap)
{
	memset(st, 0, sizeof *st);
	json_t *j, *a;
	int r = parse_obj(body, len, "keys", &j, why, cap);
	if (r)
		return r;
	int64_t now = 0, skew = 0;
	if (jint(j, "now", 0, INT64_MAX, &now) || jint(j, "skew", 0, 86400, &skew))
		r = DP_EPROTO;
	st->now = now;
	st->skew = skew;
	size_t cnt = 0;
	if (!r)
		r = jarray(j, "epochs", 100000, sizeof *st->epochs, (void **)&st->epochs, &cnt, &a);
	st->n = cnt;
	for (size_t i = 0; !r && i < cnt; i++) {
		json_t *o = json_array_get(a, i), *pa;
		dp_epoch_state *e = &st->epochs[i];
		int64_t ep, nb, na;
		if (!json_is_object(o) || jint(o, "epoch", 0, UINT32_MAX, &ep) ||
		    jint(o, "not_before", 0, INT64_MAX, &nb) || jint(o, "not_after", 0, INT64_MAX, &na) ||
		    jbool(o, "current", &e->current) || jbool(o, "closed", &e->closed) ||
		    jbool(o, "more", &e->more)) {
			r = DP_EPROTO;
			break;
		}
		e->epoch = (uint32_t)ep;
		e->not_before = nb;
		e->not_after = na;
		r = jarray(o, "pending", 1000, sizeof *e->pending, (void **)&e->pending, &e->npending, &pa);
		for (size_t k = 0; !r && k < e->npending; k++) {
			json_t *v = json_array_get(pa, k);
			char s[DP_HEXID];
			uint8_t id[DP_CABLE_ID];
			if (!json_is_string(v) || json_string_length(v) != 32 ||
			    dp_hex_decode(id, sizeof id, json_string_value(v), 32))
				r = refuse("pending");
			else {
				dp_hex_encode(s, id, sizeof id);
				memcpy(e->pending[k], s, DP_HEXID);
			}
		}
	}
	json_decref(j);
	if (r == DP_EPROTO)
		malformed(why, cap, "keys");
	if (r)
		dp_key_status_free(st);
	return r;
}
