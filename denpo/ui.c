/*
 * denpo/ui.c - `denpo ui`: the officer's browser interface, served by this
 * device's own process on 127.0.0.1 (docs/ui.md).
 *
 * The process unlocks the keystore once and keeps it for as long as it runs;
 * the page is a client of the JSON API below and never receives a key: every
 * signature, encryption, decryption and check happens here, through the same
 * functions the commands use (denpo/views.h, bind.h, seal.h), so what the
 * page shows was checked exactly as `denpo read` checks it.  The local web
 * server's rules (Host, one-time token, session cookie and key, Origin,
 * Content-Security-Policy) are lib/webui.c's.
 *
 * Plaintext stays in this process's memory: the search index of the cables
 * opened here lives in memory only, every JSON value is wiped when freed
 * (main.c: dp_json_wipe_allocs), the process cannot dump core, and the answers carry
 * Cache-Control: no-store so the browser keeps none on disk either.
 *
 * The API (every route needs the session and its key; POST/PUT/DELETE Origin too):
 *   GET  /api/me                     officer, device, post, switch, online state
 *   GET  /api/inbox                  checked inbox, FLASH first, subjects of opened cables
 *   GET  /api/archive?before=&limit= every cable addressed here, newest first
 *   GET  /api/cables/ID              opened and verified: fields, body, banner, verification
 *   GET  /api/cables/ID/status       receipts of a cable this officer sent
 *   GET  /api/cables/ID/attachments/N  an attachment's bytes, as a download
 *   POST /api/cables/ID/ack          acknowledge (read receipt)
 *   GET  /api/sent                   sent cables, pending and lost ones
 *   GET  /api/directory              posts, collectives, officers and roles (as `denpo directory`)
 *   POST /api/send {draft}           sign, encrypt, submit; or into the outbox when offline
 *   POST /api/defaults {draft}       the records schedule's declassification and retention for it
 *   GET  /api/reply/ID               the draft of a reply to a cable
 *   GET|POST /api/drafts, GET|PUT|DELETE /api/drafts/ID   drafts (denpo/drafts.h)
 *   GET  /api/outbox, POST /api/outbox/send               the outbox (denpo/outbox.h)
 *   POST /api/search {"q","from","to"}  the opened cables, searched in memory
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <sodium.h>

#include "denpo/bind.h"
#include "denpo/cli.h"
#include "denpo/encoding.h"
#include "denpo/num.h"
#include "denpo/officer.h"
#include "denpo/outbox.h"
#include "denpo/send.h"
#include "denpo/ui.h"
#include "denpo/views.h"
#include "denpo/webui.h"

extern char **environ;

/* How often the process witnesses the log and keeps its key epochs, as `inbox --watch` does. */
#define UPKEEP_SECONDS 60
/* A cable's text in a request body: the largest cable, base64, and room for the rest. */
#define UI_BODY_MAX ((size_t)DP_MAX_PAYLOAD / 3 * 4 + (1u << 20))
/* Search: how many hits an answer lists. */
#define SEARCH_MAX 200

/* ---- state ---- */

struct ui_app {
	cli_ctx *x;
	struct event_base *base;
	dp_webui *w;
	int online;                  /* the last request to the switch got an answer */
	int64_t last_contact;        /* when */
	char offline_why[1024];
	char halted[1200];           /* a fork or a failed log check: nothing more is shown */
	json_t *opened;              /* cable id -> the cable as cli_cable_json (memory only) */
	int64_t last_try;            /* offline: when the switch was last tried */
	char open_page[PATH_MAX];    /* the page that opened the browser, removed once a session began */
};

/* Offline: how often the page's refreshes try the switch again. */
#define RECONNECT_SECONDS 5

/* ---- answering ---- */

/* After a call to the switch: remember whether it answered (a pin mismatch is not "offline"). */
static void note_contact(ui_app *a, int rc)
{
	if (a->x->offline || cli_unreachable(a->x, rc)) {
		a->online = 0;
		a->x->offline = 1; /* the next commands do not wait for it: ui_reconnect tries it again */
		if (a->x->err.message[0])
			snprintf(a->offline_why, sizeof a->offline_why, "%s", a->x->err.message);
	} else if (rc == DP_OK) {
		a->online = 1;
		a->last_contact = dp_now();
		a->offline_why[0] = 0;
	}
}

/*
 * Offline: try the switch again (at most every RECONNECT_SECONDS); when it
 * answers, send what waits in the outbox.  A fork found on the way halts
 * the interface.
 */
static void ui_reconnect(ui_app *a, int force)
{
	cli_ctx *x = a->x;
	int64_t now = dp_now();
	if (!x->offline || a->halted[0] || (!force && now - a->last_try < RECONNECT_SECONDS))
		return;
	a->last_try = now;
	int ec = cli_reconnect(x);
	if (ec == EXIT_VERIFY)
		snprintf(a->halted, sizeof a->halted, "the switch's transparency log failed its check: %s",
			 x->err.message);
	if (!x->offline && !ec) {
		note_contact(a, DP_OK);
		outbox_report r = {0};
		if (outbox_flush(x, 0, &r) == DP_OK && (r.sent || r.failed))
			fprintf(stderr, "denpo ui: back online: sent %zu queued cable%s%s\n", r.sent,
				r.sent == 1 ? "" : "s", r.failed ? " (some refused: see the outbox)" : "");
		outbox_report_free(&r);
	}
	memset(&x->err, 0, sizeof x->err);
}

/*
 * A command function failed with exit code ec: answer with what cli_fail
 * recorded.  A verification failure is 422 (the page shows nothing of the
 * cable), the switch out of reach 503, anything else 502/500.
 */
static void fail_from(dp_webui_req *rq, int ec)
{
	ui_app *a = rq->app;
	cli_ctx *x = a->x;
	int rc = x->err.rc;
	note_contact(a, rc);
	int status = ec == EXIT_VERIFY		      ? 422
		     : cli_unreachable(x, rc)		      ? 503
		     : rc == DP_ENOTFOUND		      ? 404
		     : rc == DP_ESTATE || rc == DP_EEXISTS ? 409 /* an outbox entry sealed, or being sent */
							      : 502;
	const char *name = ec == EXIT_VERIFY ? "verification" : dp_errname(rc);
	char msg[2200];
	snprintf(msg, sizeof msg, "%s: %s", x->err.what[0] ? x->err.what : "failed",
		 x->err.message[0] ? x->err.message : "error");
	dp_webui_fail(rq, status, name, msg, x->err.hint[0] ? x->err.hint : NULL);
	memset(&x->err, 0, sizeof x->err);
}

static int halted(dp_webui_req *rq)
{
	ui_app *a = rq->app;
	if (!a->halted[0])
		return 0;
	dp_webui_fail(rq, 409, "halted", a->halted,
		      "report this to security operations; nothing more is shown until it is resolved");
	return 1;
}

static int id_ok(const char *s, size_t n)
{
	if (n != DP_HEXID - 1)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* ---- me ---- */

/* How many cables wait in the outbox (not those marked failed: they wait for the officer). */
static size_t outbox_waiting(ui_app *a, size_t *failed)
{
	json_t *l = NULL;
	size_t n = 0, k;
	json_t *e;
	*failed = 0;
	if (outbox_list(a->x, &l) != DP_OK)
		return 0;
	json_array_foreach(l, k, e)
	{
		if (json_is_true(json_object_get(e, "failed")) || json_is_string(json_object_get(e, "failed")))
			(*failed)++;
		else
			n++;
	}
	json_decref(l);
	return n;
}

static void h_me(dp_webui_req *rq)
{
	ui_app *a = rq->app;
	ui_reconnect(a, 0);
	const dp_enrol_answer *an = &a->x->ans;
	char dev[65];
	dp_hex_encode(dev, an->device_id, 32);
	json_t *caps = json_array();
	for (size_t i = 0; i < an->ncaptions; i++)
		json_array_append_new(caps, json_string(an->captions[i]));
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:b, s:I, s:s, s:s}", "officer", an->officer,
			      "post", an->post, "device", dev, "clearance", dp_class_name(an->clearance),
			      "captions", caps, "switch", cli_switch_last(a->x), "online", a->online,
			      "last_contact", (json_int_t)a->last_contact, "offline_why", a->offline_why,
			      "halted", a->halted);
	size_t failed, waiting = outbox_waiting(a, &failed);
	json_object_set_new(j, "outbox", json_integer((json_int_t)waiting));
	json_object_set_new(j, "outbox_failed", json_integer((json_int_t)failed));
	json_object_set_new(j, "markings", cli_markings_json(a->x));
	/* devices of this officer it did not approve (denpo/officer.h): a banner on every page */
	json_object_set_new(j, "warnings", a->x->ov && a->x->ov->warnings ? json_copy(a->x->ov->warnings)
									    : json_array());
	dp_webui_json(rq, 200, j);
}

/* ---- inbox and archive ---- */

/* The subject of a cable opened in this process, for the lists ("" if not opened). */
static const char *opened_subject(ui_app *a, const char *id)
{
	json_t *c = json_object_get(a->opened, id);
	const char *s = c ? json_string_value(json_object_get(c, "subject")) : NULL;
	return s ? s : "";
}

static void answer_list(dp_webui_req *rq, const bind_query *q)
{
	ui_app *a = rq->app;
	if (halted(rq))
		return;
	ui_reconnect(a, 0);
	bind_list l;
	bind_failure *unchecked = NULL;
	size_t nunchecked = 0;
	int offline = a->x->offline;
	int ec = offline ? EXIT_ERR : bind_list_get(a->x, q, &l);
	if (!offline && ec) {
		note_contact(a, a->x->err.rc);
		offline = a->x->offline;
		if (!offline) {
			fail_from(rq, ec);
			return;
		}
	}
	if (offline && q->archive) {
		dp_webui_fail(rq, 503, "offline", "the archive is on the switch, which cannot be reached",
			      "the inbox lists the cables this device holds; search finds the ones opened here");
		return;
	}
	if (offline && (ec = bind_held(a->x, &l, &unchecked, &nunchecked))) {
		fail_from(rq, ec);
		return;
	}
	if (!offline)
		note_contact(a, DP_OK);
	json_t *arr = json_array();
	for (size_t i = 0; i < l.n; i++) {
		json_t *j = cli_item_json(&l.items[i]);
		json_object_set_new(j, "seq", json_integer((json_int_t)l.items[i].it.seq));
		if (q->archive)
			json_object_set_new(j, "acked", json_boolean(l.items[i].it.acked));
		json_object_set_new(j, "subject", json_string(opened_subject(a, l.items[i].it.cable_id)));
		json_array_append_new(arr, j);
	}
	json_t *out = json_pack("{s:o, s:b}", "cables", arr, "offline", offline);
	if (l.nfailed)
		json_object_set_new(out, "failed", bind_failed_json(l.failed, l.nfailed));
	if (nunchecked)
		json_object_set_new(out, "unchecked", bind_failed_json(unchecked, nunchecked));
	free(unchecked);
	bind_list_free(&l);
	dp_webui_json(rq, 200, out);
}

static void h_inbox(dp_webui_req *rq)
{
	bind_query q = {0};
	answer_list(rq, &q);
}

static void h_archive(dp_webui_req *rq)
{
	char b[32], l[8];
	uint64_t before = INT64_MAX, limit = 50;
	if (!dp_webui_query(rq, "before", b, sizeof b) || !dp_webui_query(rq, "limit", l, sizeof l) ||
	    (b[0] && dp_num_str(&before, b, 1, INT64_MAX)) || (l[0] && dp_num_str(&limit, l, 1, 1000))) {
		dp_webui_fail(rq, 400, "invalid", "before: a sequence number; limit: 1..1000", NULL);
		return;
	}
	bind_query q = {.archive = 1, .before = (int64_t)before, .limit = (int)limit};
	answer_list(rq, &q);
}

/* ---- one cable ---- */

/*
 * Open cable id exactly as `denpo read` does (cli_open_cable), into c; the
 * caller frees e and c.  Returns an exit code; on failure the answer is sent.
 */
static int open_cable(dp_webui_req *rq, const char *id, dp_envelope *e, dp_cable *c, char mrn[DP_MRN_MAX + 1],
		      int64_t *accepted, cli_checked *how)
{
	ui_app *a = rq->app;
	dp_envelope_init(e);
	dp_cable_init(c);
	int ec = cli_open_cable_how(a->x, id, "", e, c, mrn, accepted, how);
	if (ec)
		fail_from(rq, ec);
	else
		note_contact(a, how->offline ? DP_ENET : DP_OK);
	return ec;
}

static void cable_view(dp_webui_req *rq, const char *id)
{
	ui_app *a = rq->app;
	dp_envelope e;
	dp_cable c;
	char mrn[DP_MRN_MAX + 1];
	int64_t accepted;
	cli_checked how = {0};
	if (open_cable(rq, id, &e, &c, mrn, &accepted, &how))
		goto out;
	json_t *j = cli_cable_json(&c, id, mrn);
	char banner[CLI_BANNER_MAX] = ""; /* exactly the banner `denpo read` prints, the ministry's markings with it */
	if (cli_banner(a->x, &c, banner, sizeof banner))
		banner[0] = 0;
	char note[512] = "";
	if (how.offline)
		cli_checked_str(&how, note, sizeof note);
	json_object_set_new(j, "accepted", json_integer((json_int_t)accepted));
	json_object_set_new(j, "banner", json_string(banner));
	json_object_set_new(j, "verification",
			    json_pack("{s:b, s:b, s:s, s:I, s:I, s:I, s:s}", "ok", 1, "offline", how.offline, "checked",
				      "signatures of the envelope and the cable; the originating device is the "
				      "directory's device of the From post; this device is a named recipient; MRN "
				      "and time from the cable's entry in the switch's transparency log",
				      "log_index", (json_int_t)how.index, "log_size", (json_int_t)how.log_size,
				      "origin_checked", (json_int_t)how.origin_checked, "offline_note", note));
	/* kept for the lists' subjects and for search, in memory only */
	json_object_set(a->opened, id, j);
	dp_webui_json(rq, 200, j);
out:
	dp_envelope_free(&e);
	dp_cable_free(&c);
}

static void attachment(dp_webui_req *rq, const char *id, const char *nstr)
{
	uint64_t n;
	if (dp_num_str(&n, nstr, 1, DP_MAX_ATTACHMENTS)) {
		dp_webui_fail(rq, 404, "not_found", "no such attachment", NULL);
		return;
	}
	dp_envelope e;
	dp_cable c;
	char mrn[DP_MRN_MAX + 1];
	int64_t accepted;
	cli_checked how = {0};
	if (open_cable(rq, id, &e, &c, mrn, &accepted, &how) == EXIT_OK) {
		if (n > c.natts)
			dp_webui_fail(rq, 404, "not_found", "no such attachment", NULL);
		else /* always a download, never shown in the page */
			dp_webui_bytes(rq, "application/octet-stream", c.atts[n - 1].name, c.atts[n - 1].data,
				       c.atts[n - 1].len);
	}
	dp_envelope_free(&e);
	dp_cable_free(&c);
}

static void status_view(dp_webui_req *rq, const char *id)
{
	ui_app *a = rq->app;
	dp_cable_status st;
	bind_logged lg;
	int ec = bind_status(a->x, id, "", &st, &lg);
	if (ec) {
		fail_from(rq, ec);
		return;
	}
	note_contact(a, DP_OK);
	dp_webui_json(rq, 200, cli_status_json(&st, &lg));
	dp_cable_status_free(&st);
}

/* GET /api/cables/ID[/status|/attachments/N] */
static void h_cable_get(dp_webui_req *rq)
{
	if (halted(rq))
		return;
	const char *t = rq->tail, *slash = strchr(t, '/');
	size_t idn = slash ? (size_t)(slash - t) : strlen(t);
	char id[DP_HEXID];
	if (!id_ok(t, idn)) {
		dp_webui_fail(rq, 404, "not_found", "not a cable id", NULL);
		return;
	}
	memcpy(id, t, idn);
	id[idn] = 0;
	if (!slash)
		cable_view(rq, id);
	else if (strcmp(slash, "/status") == 0)
		status_view(rq, id);
	else if (strncmp(slash, "/attachments/", 13) == 0)
		attachment(rq, id, slash + 13);
	else
		dp_webui_fail(rq, 404, "not_found", "no such page", NULL);
}

/* POST /api/cables/ID/ack */
static void h_cable_post(dp_webui_req *rq)
{
	ui_app *a = rq->app;
	if (halted(rq))
		return;
	const char *t = rq->tail, *slash = strchr(t, '/');
	if (!slash || !id_ok(t, (size_t)(slash - t)) || strcmp(slash, "/ack") != 0) {
		dp_webui_fail(rq, 404, "not_found", "no such page", NULL);
		return;
	}
	char id[DP_HEXID];
	memcpy(id, t, DP_HEXID - 1);
	id[DP_HEXID - 1] = 0;
	int64_t at = 0;
	int r = a->x->offline ? DP_ENET : cli_ack(a->x, id, &at);
	note_contact(a, r);
	if (r) {
		dp_webui_fail(rq, cli_unreachable(a->x, r) || a->x->offline ? 503 : 502, dp_errname(r), dp_strerror(r),
			      "acknowledge again later: the cable stays in the inbox until then");
		return;
	}
	dp_webui_json(rq, 200, json_pack("{s:s, s:I}", "cable_id", id, "acked", (json_int_t)at));
}

/* ---- sent ---- */

static void h_sent(dp_webui_req *rq)
{
	ui_app *a = rq->app;
	if (halted(rq))
		return;
	cli_sent v;
	int ec = cli_sent_get(a->x, &v);
	if (ec) {
		fail_from(rq, ec);
		return;
	}
	note_contact(a, DP_OK);
	dp_webui_json(rq, 200, cli_sent_json(a->x, &v));
	cli_sent_free(&v);
}

/* ---- composing: send, reply, drafts, the outbox ---- */

/* A draft's id from a path tail (32 hex digits): 1 if it is one. */
static int draft_id_of(const char *tail, char id[DRAFT_ID_LEN + 1])
{
	if (!id_ok(tail, strlen(tail)))
		return 0;
	memcpy(id, tail, DRAFT_ID_LEN + 1);
	return 1;
}

static json_t *body_json(dp_webui_req *rq)
{
	json_t *d = json_loadb((const char *)rq->body, rq->body_len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(d)) {
		json_decref(d);
		dp_webui_fail(rq, 400, "invalid", "the request is not a JSON object", NULL);
		return NULL;
	}
	return d;
}

/*
 * POST /api/send {draft fields, "draft_id"?}: sign, encrypt to the cleared
 * devices and submit; or, the switch out of reach, into the outbox
 * (outbox_send).  A draft sent is removed.
 */
static void h_send(dp_webui_req *rq)
{
	ui_app *a = rq->app;
	if (halted(rq))
		return;
	json_t *d = body_json(rq);
	if (!d)
		return;
	char draft[DRAFT_ID_LEN + 1] = "";
	const char *did = json_string_value(json_object_get(d, "draft_id"));
	if (did && !draft_id_of(did, draft)) {
		json_decref(d);
		dp_webui_fail(rq, 400, "invalid", "draft_id: not a draft's id", NULL);
		return;
	}
	json_object_del(d, "draft_id");
	ui_reconnect(a, 1);
	send_result res;
	send_result_init(&res);
	int ec = outbox_send(a->x, d, draft[0] ? draft : NULL, &res);
	json_decref(d);
	if (ec)
		fail_from(rq, ec);
	else {
		note_contact(a, res.queued ? DP_ENET : DP_OK);
		dp_webui_json(rq, res.queued ? 202 : 201, send_result_json(&res));
	}
	send_result_free(&res);
}

/* GET /api/reply/ID: the reply's draft (REF, TO, classification, captions, TAGS from the cable). */
static void h_reply(dp_webui_req *rq)
{
	ui_app *a = rq->app;
	if (halted(rq))
		return;
	if (!id_ok(rq->tail, strlen(rq->tail))) {
		dp_webui_fail(rq, 404, "not_found", "not a cable id", NULL);
		return;
	}
	json_t *d = NULL;
	int ec = send_reply_draft(a->x, rq->tail, &d);
	if (ec)
		fail_from(rq, ec);
	else
		dp_webui_json(rq, 200, d);
}

/* A drafts call failed with DP code r (why: the field at fault, if any). */
static void draft_fail(dp_webui_req *rq, int r, const char *why)
{
	int status = r == DP_EINVAL || r == DP_ETOOBIG	      ? 400
		     : r == DP_ENOTFOUND		      ? 404
		     : r == DP_EHMAC			      ? 422
		     : r == DP_ESTATE || r == DP_EEXISTS ? 409 /* sealed in the outbox; the outbox being sent */
							  : 500;
	dp_webui_fail(rq, status, dp_errname(r), why && *why ? why : dp_strerror(r),
		      r == DP_EHMAC ? "the draft file was altered: it is not opened; report it to security operations"
				    : NULL);
}

static void h_drafts_list(dp_webui_req *rq)
{
	json_t *l = NULL;
	int r = draft_list(((ui_app *)rq->app)->x, &l);
	if (r)
		draft_fail(rq, r, NULL);
	else
		dp_webui_json(rq, 200, json_pack("{s:o}", "drafts", l));
}

/* POST /api/drafts (a new one) and PUT /api/drafts/ID (saved again). */
static void draft_put(dp_webui_req *rq, const char *given)
{
	json_t *d = body_json(rq);
	if (!d)
		return;
	char id[DRAFT_ID_LEN + 1] = "", why[512] = "";
	if (given && !draft_id_of(given, id)) {
		json_decref(d);
		dp_webui_fail(rq, 404, "not_found", "not a draft's id", NULL);
		return;
	}
	int r = draft_save(((ui_app *)rq->app)->x, d, id, why, sizeof why);
	json_decref(d);
	if (r)
		draft_fail(rq, r, why);
	else
		dp_webui_json(rq, given ? 200 : 201, json_pack("{s:s}", "id", id));
}

static void h_draft_new(dp_webui_req *rq) { draft_put(rq, NULL); }
static void h_draft_put(dp_webui_req *rq) { draft_put(rq, rq->tail); }

static void h_draft_get(dp_webui_req *rq)
{
	char id[DRAFT_ID_LEN + 1];
	json_t *d = NULL;
	int r = draft_id_of(rq->tail, id) ? draft_load(((ui_app *)rq->app)->x, id, &d) : DP_ENOTFOUND;
	if (r)
		draft_fail(rq, r, NULL);
	else
		dp_webui_json(rq, 200, d);
}

static void h_draft_delete(dp_webui_req *rq)
{
	char id[DRAFT_ID_LEN + 1];
	int r = draft_id_of(rq->tail, id) ? draft_delete(((ui_app *)rq->app)->x, id) : DP_ENOTFOUND;
	if (r)
		draft_fail(rq, r, NULL);
	else
		dp_webui_json(rq, 200, json_pack("{s:s}", "deleted", id));
}

static void h_outbox(dp_webui_req *rq)
{
	json_t *l = NULL;
	int r = outbox_list(((ui_app *)rq->app)->x, &l);
	if (r)
		draft_fail(rq, r, NULL);
	else
		dp_webui_json(rq, 200, json_pack("{s:o}", "outbox", l));
}

/* POST /api/outbox/send: try the switch now and send what waits (failed ones too: the officer asked). */
static void h_outbox_send(dp_webui_req *rq)
{
	ui_app *a = rq->app;
	if (halted(rq))
		return;
	ui_reconnect(a, 1);
	if (a->x->offline) {
		dp_webui_fail(rq, 503, "offline", "the switch cannot be reached",
			      "the outbox is sent by itself when it is back");
		return;
	}
	outbox_report r = {0};
	int rc = outbox_flush(a->x, 1, &r);
	note_contact(a, rc);
	if (rc && !r.results)
		dp_webui_fail(rq, cli_unreachable(a->x, rc) ? 503 : 502, dp_errname(rc), dp_strerror(rc), NULL);
	else
		dp_webui_json(rq, 200,
			      json_pack("{s:I, s:I, s:I, s:O}", "sent", (json_int_t)r.sent, "failed",
					(json_int_t)r.failed, "waiting", (json_int_t)r.waiting, "results",
					r.results ? r.results : json_null()));
	outbox_report_free(&r);
}

/* ---- the records schedule's defaults, for the compose form ---- */

/*
 * POST /api/defaults {draft}: the declassification and retention the records
 * schedule proposes for the draft's classification and TAGS if it were sealed
 * now (the fields the draft sets stay its own), and the schedule's classes:
 * {"declassify_on", "declassify_event", "retention", "retentions": [names]}.
 */
static void h_defaults(dp_webui_req *rq)
{
	ui_app *a = rq->app;
	if (halted(rq))
		return;
	json_t *d = body_json(rq);
	if (!d)
		return;
	char why[512];
	dp_cable c;
	dp_cable_init(&c);
	c.classification = c.prec_action = c.prec_info = -1;
	int r = draft_cable(a->x, d, &c, 0, 0, why, sizeof why);
	json_decref(d);
	if (!r && c.classification < 0) {
		r = DP_EINVAL;
		snprintf(why, sizeof why, "classification is required");
	}
	c.created = dp_now();
	const dp_records_sched *s = cli_records(a->x);
	if (!r)
		r = dp_records_defaults(s, &c);
	json_t *names = json_array();
	for (size_t i = 0; names && i < s->nretentions; i++)
		json_array_append_new(names, json_string(s->retentions[i].name));
	if (r)
		draft_fail(rq, r, why);
	else
		dp_webui_json(rq, 200, json_pack("{s:s, s:s, s:s, s:o}", "declassify_on", c.declassify_on,
						 "declassify_event", c.declassify_event, "retention", c.retention,
						 "retentions", names));
	if (r)
		json_decref(names);
	dp_cable_free(&c);
}

/* ---- the directory, for TO/INFO/ATTN ---- */

static void h_directory(dp_webui_req *rq)
{
	ui_app *a = rq->app;
	dp_directory d;
	int64_t kept_at = 0;
	int r = cli_directory_get(a->x, &d, &kept_at);
	if (r) {
		dp_webui_fail(rq, r == DP_ENET ? 503 : 502, dp_errname(r), dp_strerror(r),
			      "type the posts by name; the directory is kept once it was listed");
		return;
	}
	note_contact(a, kept_at ? DP_ENET : DP_OK);
	json_t *j = cli_directory_json(a->x, &d);
	if (kept_at)
		json_object_set_new(j, "kept_at", json_integer((json_int_t)kept_at));
	dp_directory_free(&d);
	dp_webui_json(rq, 200, j);
}

/* ---- search ---- */

/* The first place hay holds needle, ASCII case folded (other bytes, Japanese, as they are); NULL if none. */
static const char *find_fold(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	if (!n)
		return hay;
	for (const char *p = hay; *p; p++) {
		size_t i = 0;
		while (i < n && p[i]) {
			unsigned char x = (unsigned char)p[i], y = (unsigned char)needle[i];
			if (x >= 'A' && x <= 'Z')
				x = (unsigned char)(x + 32);
			if (y >= 'A' && y <= 'Z')
				y = (unsigned char)(y + 32);
			if (x != y)
				break;
			i++;
		}
		if (i == n)
			return p;
		if (!p[i] && i < n)
			return NULL; /* hay ends before needle could */
	}
	return NULL;
}

static int contains_fold(const char *hay, const char *needle) { return find_fold(hay, needle) != NULL; }

/* Does cable c (cli_cable_json) hold every word of q in its subject, TAGS, text, MRN, From or captions? */
static int cable_matches(json_t *c, const char *q)
{
	char word[256];
	const char *p = q;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		size_t n = strcspn(p, " \t\n");
		if (!n)
			break;
		if (n >= sizeof word)
			n = sizeof word - 1;
		memcpy(word, p, n);
		word[n] = 0;
		p += n;
		int hit = 0;
		static const char *const fields[] = {"subject", "body", "mrn", "from", "classification", "precedence"};
		for (size_t i = 0; i < sizeof fields / sizeof fields[0] && !hit; i++) {
			const char *v = json_string_value(json_object_get(c, fields[i]));
			hit = v && contains_fold(v, word);
		}
		static const char *const lists[] = {"tags", "to", "info", "captions", "refs"};
		for (size_t i = 0; i < sizeof lists / sizeof lists[0] && !hit; i++) {
			size_t k;
			json_t *e;
			json_array_foreach(json_object_get(c, lists[i]), k, e)
			{
				const char *v = json_string_value(e);
				if (v && contains_fold(v, word)) {
					hit = 1;
					break;
				}
			}
		}
		if (!hit)
			return 0;
	}
	return 1;
}

/* A line of text around the first place the body has the first word (for the hit list). */
static json_t *snippet(json_t *c, const char *q)
{
	const char *body = json_string_value(json_object_get(c, "body"));
	if (!body)
		return json_string("");
	size_t n = strlen(body);
	size_t at = 0, len;
	char w[64];
	size_t wl = strcspn(q, " \t\n");
	if (wl && wl < sizeof w) {
		memcpy(w, q, wl);
		w[wl] = 0;
		const char *hit = find_fold(body, w); /* one pass: a body of 1 MiB is searched at once */
		size_t i = hit ? (size_t)(hit - body) : 0;
		at = i > 60 ? i - 60 : 0;
	}
	while (at > 0 && ((unsigned char)body[at] & 0xC0) == 0x80)
		at--; /* never start inside a UTF-8 sequence */
	len = n - at < 160 ? n - at : 160;
	while (len > 0 && at + len < n && ((unsigned char)body[at + len] & 0xC0) == 0x80)
		len--;
	return json_stringn(body + at, len);
}

static void h_search(dp_webui_req *rq)
{
	ui_app *a = rq->app;
	if (halted(rq))
		return;
	json_t *in = json_loadb((const char *)rq->body, rq->body_len, 0, NULL);
	const char *q = "";
	json_int_t from = 0, to = INT64_MAX;
	if (!in || json_unpack(in, "{s?s, s?I, s?I}", "q", &q, "from", &from, "to", &to)) {
		json_decref(in);
		dp_webui_fail(rq, 400, "invalid", "give {\"q\": words, \"from\": unix time, \"to\": unix time}", NULL);
		return;
	}
	json_t *hits = json_array();
	const char *id;
	json_t *c;
	json_object_foreach(a->opened, id, c)
	{
		json_int_t t = json_integer_value(json_object_get(c, "accepted"));
		if (t < from || t > to || !cable_matches(c, q))
			continue;
		if (json_array_size(hits) >= SEARCH_MAX)
			break;
		json_array_append_new(
			hits, json_pack("{s:s, s:O, s:O, s:O, s:O, s:O, s:O, s:o}", "cable_id", id, "mrn",
					json_object_get(c, "mrn"), "subject", json_object_get(c, "subject"), "from",
					json_object_get(c, "from"), "accepted", json_object_get(c, "accepted"),
					"precedence", json_object_get(c, "precedence"), "classification",
					json_object_get(c, "classification"), "snippet", snippet(c, q)));
	}
	json_decref(in);
	dp_webui_json(rq, 200,
		      json_pack("{s:o, s:I}", "hits", hits, "searched", (json_int_t)json_object_size(a->opened)));
}

/* ---- the cables already on this device, opened into memory at start (for search) ---- */

static void open_held(ui_app *a)
{
	char **ids = NULL;
	size_t n = 0;
	if (cli_cache_ids(a->x, &ids, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		dp_envelope e;
		dp_cable c;
		char mrn[DP_MRN_MAX + 1];
		int64_t accepted;
		dp_envelope_init(&e);
		dp_cable_init(&c);
		if (cli_open_cable(a->x, ids[i], "", &e, &c, mrn, &accepted) == EXIT_OK) {
			json_t *j = cli_cable_json(&c, ids[i], mrn);
			json_object_set_new(j, "accepted", json_integer((json_int_t)accepted));
			json_object_set_new(a->opened, ids[i], j);
		}
		dp_envelope_free(&e);
		dp_cable_free(&c);
		free(ids[i]);
	}
	free(ids);
	memset(&a->x->err, 0, sizeof a->x->err);
}

/* ---- the routes ---- */

static const dp_webui_route routes[] = {
	{"GET", DP_WEBUI_EXACT, "/api/me", h_me},
	{"GET", DP_WEBUI_EXACT, "/api/inbox", h_inbox},
	{"GET", DP_WEBUI_EXACT, "/api/archive", h_archive},
	{"GET", DP_WEBUI_PREFIX, "/api/cables/", h_cable_get},
	{"POST", DP_WEBUI_PREFIX, "/api/cables/", h_cable_post},
	{"GET", DP_WEBUI_EXACT, "/api/sent", h_sent},
	{"GET", DP_WEBUI_EXACT, "/api/directory", h_directory},
	{"POST", DP_WEBUI_EXACT, "/api/send", h_send},
	{"POST", DP_WEBUI_EXACT, "/api/defaults", h_defaults},
	{"GET", DP_WEBUI_PREFIX, "/api/reply/", h_reply},
	{"GET", DP_WEBUI_EXACT, "/api/drafts", h_drafts_list},
	{"POST", DP_WEBUI_EXACT, "/api/drafts", h_draft_new},
	{"GET", DP_WEBUI_PREFIX, "/api/drafts/", h_draft_get},
	{"PUT", DP_WEBUI_PREFIX, "/api/drafts/", h_draft_put},
	{"DELETE", DP_WEBUI_PREFIX, "/api/drafts/", h_draft_delete},
	{"GET", DP_WEBUI_EXACT, "/api/outbox", h_outbox},
	{"POST", DP_WEBUI_EXACT, "/api/outbox/send", h_outbox_send},
	{"POST", DP_WEBUI_EXACT, "/api/search", h_search},
};

/* ---- the process ---- */

static const char ui_help[] =
	"usage: denpo ui [--port N] [--no-open]\n"
	"\n"
	"Serves this device's browser interface on 127.0.0.1 and opens it in the system\n"
	"browser (xdg-open) through a one-time link: the inbox (FLASH first, with a sound\n"
	"and a desktop notification), reading with banners and the verification result,\n"
	"search over the cables on this device, composing and replying, drafts, receipts.\n"
	"Every key and every cryptographic step stays in this process: the page gets only\n"
	"what it shows.  Nothing read is written to disk.  The session ends when this\n"
	"process does (Ctrl-C).\n"
	"  --port N    listen on port N (default: any free port)\n"
	"  --no-open   do not start a browser; print the one-time link instead\n";

/* SIGINT, SIGTERM, SIGHUP (denpo/session.c): a request under way was abandoned; the loop ends. */
static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static void on_upkeep(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ui_app *a = arg;
	if (a->halted[0])
		return;
	if (a->x->offline) {
		ui_reconnect(a, 1);
		return;
	}
	int ec = cli_upkeep(a->x); /* witness the log: a fork stops everything */
	if (ec == EXIT_VERIFY)
		snprintf(a->halted, sizeof a->halted, "the switch's transparency log failed its check: %s",
			 a->x->err.message);
	note_contact(a, ec ? a->x->err.rc : DP_OK);
	if (!ec)
		cli_keys_upkeep(a->x);
	memset(&a->x->err, 0, sizeof a->x->err);
}

/*
 * Open the browser without putting the one-time token on a command line
 * (other users see those): a 0600 page in the state directory that forwards
 * to the link, removed once the session started or the process ends.
 */
static void page_spent(void *app)
{
	ui_app *a = app;
	if (a->open_page[0])
		unlink(a->open_page);
	a->open_page[0] = 0;
}

static int open_browser(ui_app *a, const char *url)
{
	char *page = a->open_page;
	cli_path(a->x, page, "ui-open.html");
	char html[512];
	int n = snprintf(html, sizeof html,
			 "<!doctype html><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url=%s\">"
			 "<title>denpo</title>\n",
			 url);
	unlink(page);
	int r = dp_write_file(page, (const uint8_t *)html, (size_t)n, 0600, 1);
	sodium_memzero(html, sizeof html);
	if (r) {
		page[0] = 0;
		return r;
	}
	char fileurl[PATH_MAX + 8];
	snprintf(fileurl, sizeof fileurl, "file://%s", page);
	char *argv[] = {"xdg-open", fileurl, NULL};
	pid_t pid;
	signal(SIGCHLD, SIG_IGN); /* xdg-open is not waited for: no zombie */
	return posix_spawnp(&pid, "xdg-open", NULL, NULL, argv, environ) == 0 ? DP_OK : DP_ENOTFOUND;
}

int cmd_ui(cli_ctx *x, int argc, char **argv)
{
	static const struct option lo[] = {
		{"port", required_argument, NULL, 'p'},
		{"no-open", no_argument, NULL, 'n'},
		CLI_COMMON_OPTS,
		{NULL, 0, NULL, 0},
	};
	uint64_t port = 0;
	int o, no_open = 0;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == OPT_HELP) {
			fputs(ui_help, stdout);
			return EXIT_OK;
		}
		if (cli_common_opt(x, o, optarg))
			continue;
		if (o == 'p') {
			if (dp_num_str(&port, optarg, 1, 65535))
				return cli_usage("ui", "--port takes 1..65535");
		} else if (o == 'n')
			no_open = 1;
		else
			return cli_usage("ui", "unknown option");
	}
	if (optind != argc)
		return cli_usage("ui", "unexpected argument '%s'", argv[optind]);
	if (cli_home(x, 0))
		return cli_fail(x, DP_ENOTFOUND, "run `denpo init` first", "no state directory %s", x->home);
	x->offline_ok = 1; /* a post cut off from the switch still reads what it holds and drafts */
	/* one session for as long as it runs (denpo/session.c): no core file, the keys wiped at the end */
	int ec = cli_session_open(x);
	if (ec)
		return cli_stopping() ? EXIT_OK : ec;
	ui_app a = {.x = x, .online = !x->offline, .last_contact = x->offline ? 0 : dp_now()};
	if (x->offline)
		fprintf(stderr, "denpo ui: offline: the switch cannot be reached; the cables on this device can "
				"be read, and what is sent waits in the outbox\n");
	a.opened = json_object();
	a.base = event_base_new();
	if (!a.opened || !a.base) {
		json_decref(a.opened);
		if (a.base)
			event_base_free(a.base);
		return cli_fail(x, DP_ENOMEM, NULL, "cannot start the interface");
	}
	x->quiet = 1;
	open_held(&a);
	dp_webui_config cfg = {
		.name = "denpo ui",
		.cookie = "denpo_ui",
		.port = (uint16_t)port,
		.routes = routes,
		.nroutes = sizeof routes / sizeof routes[0],
		.max_body = UI_BODY_MAX,
		.on_session = page_spent,
		.app = &a,
	};
	ui_assets(&cfg.assets, &cfg.nassets);
	int r = dp_webui_start(a.base, &cfg, &a.w);
	struct event *stop = NULL, *upkeep = NULL;
	if (r) {
		x->quiet = 0;
		ec = cli_fail(x, r, port ? "choose another --port, or leave it out for any free one" : NULL,
			      "cannot listen on 127.0.0.1:%u", (unsigned)port);
		goto out;
	}
	/* the session's signals (not libevent's: a request under way is abandoned at once) */
	stop = event_new(a.base, cli_stop_fd(), EV_READ, on_stop, a.base);
	upkeep = event_new(a.base, -1, EV_PERSIST, on_upkeep, &a);
	struct timeval every = {UPKEEP_SECONDS, 0};
	if (!stop || !upkeep || event_add(stop, NULL) || event_add(upkeep, &every)) {
		x->quiet = 0;
		ec = cli_fail(x, DP_ENOMEM, NULL, "cannot start the interface");
		goto out;
	}
	char url[160];
	if (dp_webui_token_url(a.w, url, sizeof url)) {
		ec = EXIT_ERR;
		goto out;
	}
	if (no_open || open_browser(&a, url)) {
		if (!no_open)
			fprintf(stderr, "denpo ui: cannot start a browser (xdg-open); open the link below\n");
		printf("denpo ui: open %s\n", url);
	} else {
		printf("denpo ui: opened in the browser (http://127.0.0.1:%u)\n", (unsigned)dp_webui_port(a.w));
	}
	printf("denpo ui: serving %s on 127.0.0.1:%u; Ctrl-C ends the session\n", x->ans.officer,
	       (unsigned)dp_webui_port(a.w));
	fflush(stdout);
	sodium_memzero(url, sizeof url);
	event_base_dispatch(a.base); /* a signal before it: the stop pipe is readable, it ends at once */
	printf("denpo ui: stopped\n");
out:
	page_spent(&a);
	if (upkeep)
		event_free(upkeep);
	if (stop)
		event_free(stop);
	dp_webui_free(a.w);
	event_base_free(a.base);
	json_decref(a.opened);
	x->quiet = 0;
	return ec;
}
