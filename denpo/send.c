/*
 * denpo/send.c - sending a cable without printing (contract in denpo/send.h):
 * resolve, check the keys in the log, seal, save, submit.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "denpo/bind.h"
#include "denpo/drafts.h"
#include "denpo/encoding.h"
#include "denpo/officer.h"
#include "denpo/seal.h"
#include "denpo/send.h"
#include "denpo/sentrec.h"

void send_result_init(send_result *r)
{
	memset(r, 0, sizeof *r);
	r->warnings = json_array();
}

void send_result_free(send_result *r)
{
	free(r->devs);
	json_decref(r->warnings);
	memset(r, 0, sizeof *r);
}

/* Join names with ',' (for the resolve query). */
static void join(char *out, size_t cap, const char (*l)[DP_NAME_MAX + 1], size_t n)
{
	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		if (i)
			strncat(out, ",", cap - strlen(out) - 1);
		strncat(out, l[i], cap - strlen(out) - 1);
	}
}

/*
 * Submit with retries on network failure, always the same bytes.  A switch
 * with several addresses: the client library goes round them itself for
 * longer than these retries would wait (denpo/cli.h CLI_FAILOVER_MS).
 */
static int submit(cli_ctx *x, const uint8_t *sub, size_t n, dp_submit_result *res, int decoy)
{
	int r = DP_ENET, tries = x->ans.switches.n > 1 ? 1 : 4;
	for (int attempt = 0; attempt < tries && !(attempt && cli_stopping()); attempt++) {
		if (attempt && !x->quiet)
			fprintf(stderr, "denpo: %s; retrying in %d s (same cable)\n", dp_client_message(x->cl),
				1 << (attempt - 1));
		if (attempt)
			sleep(1u << (attempt - 1));
		r = decoy ? dp_client_submit_decoy(x->cl, sub, n, res)
			  : dp_client_submit(x->cl, sub, n, res);
		int transient = r == DP_ENET || (r == DP_ESTORE && dp_client_http_status(x->cl) == 503);
		if (!transient)
			break;
	}
	return r;
}

/*
 * The resolve answer's checkpoint verified and consistent with the one this
 * device verified before (a fork stops everything), then every device's
 * enrolment and key entries included in it.  EXIT_OK, or the failure
 * reported (exit 3: nothing may be sent).  No log in the answer is the same
 * failure: never a silent downgrade to unlogged keys.
 */
static int logged_keys(cli_ctx *x, const dp_resolution *res, uint64_t m, json_t *warnings)
{
	const char *hint = "nothing was sent; report this to security operations at once";
	cli_ckpt cp;
	int ec = bind_checkpoint(x, &res->log, m, "the recipients' keys", hint, &cp);
	if (ec)
		return ec;
	size_t bad = 0;
	const char *why = "";
	int r = seal_logged(res->devs, res->n, cp.cp.size, cp.cp.root, &bad, &why);
	char iwhy[512];
	int ir = r ? DP_OK : officer_recipients(res, &cp, warnings, iwhy, sizeof iwhy);
	cli_ckpt_free(&cp);
	if (ir == DP_ESIG) /* every device it lists is in its officer's verified set of devices */
		return cli_fail(x, ir, hint, "%s", iwhy);
	if (ir)
		return cli_fail(x, ir, "nothing was sent", "cannot check the recipients in the officer index");
	if (r == DP_ESIG) {
		char hex[2 * DP_ED25519_PK + 1];
		dp_hex_encode(hex, res->devs[bad].device, DP_ED25519_PK);
		return cli_fail_why(x, r, hint, "the switch offered a key for device %.16s... of %s at %s "
						"that is not in the transparency log (%s)",
				    hex, res->devs[bad].officer, res->devs[bad].post, why);
	}
	if (r)
		return cli_fail(x, r, "nothing was sent", "cannot check the recipients' log entries");
	return EXIT_OK;
}

/*
 * The record copies the switch added go to the archive only
 * (seal_record_posts): every DP_ROLE_RECORD device logged at the records
 * post this device pinned (HOME/records-post), pinned now from the
 * switch's directory if none was.  A directory naming another post is a
 * warning on every send until the officer confirms it (`denpo directory
 * --records-post`); record copies still go only to the pinned one.
 * EXIT_OK or the failure reported (exit 3 for a record device elsewhere).
 */
static int record_posts(cli_ctx *x, const dp_resolution *res, json_t *warnings)
{
	size_t nrec = 0, bad = 0;
	for (size_t i = 0; i < res->n; i++)
		nrec += res->devs[i].role == DP_ROLE_RECORD;
	if (!nrec)
		return EXIT_OK;
	char pin[DP_NAME_MAX + 1], now[DP_NAME_MAX + 1] = "";
	int r = cli_records_post_pinned(x, pin);
	if (r && r != DP_ENOTFOUND)
		return cli_fail(x, r, "remove it; the next `denpo send` pins the directory's records post again",
				"%s/records-post is damaged (not a post's name); nothing was sent", x->home);
	dp_directory d;
	int64_t at;
	int dr = cli_directory_get(x, &d, &at);
	if (!dr)
		memcpy(now, d.records_post, sizeof now);
	dp_directory_free(&d);
	if (r == DP_ENOTFOUND) {
		if (dr)
			return cli_fail(x, dr, "nothing was sent; try again", "cannot learn the archive's records "
				       "post from the switch's directory (to check its record copies)");
		if (!now[0])
			return cli_fail(x, DP_ESIG, "nothing was sent; report this to security operations",
					"the switch added %zu record cop%s, but its directory names no records post",
					nrec, nrec == 1 ? "y" : "ies");
		if ((r = cli_records_post_pin(x, now)))
			return cli_fail(x, r, "nothing was sent", "cannot keep the records post in %s", x->home);
		memcpy(pin, now, sizeof pin);
		if (!x->quiet)
			fprintf(stderr, "denpo: the archive's records post is %s (pinned in %s/records-post: "
					"record copies go only to devices logged there)\n", pin, x->home);
	} else if (now[0] && strcmp(now, pin) != 0) {
		char line[512];
		snprintf(line, sizeof line, "the switch's directory names %s as the records post, but this "
					    "device pinned %s: record copies go only to %s; if the ministry moved "
					    "its archive, confirm with `denpo directory --records-post %s`", now, pin,
			 pin, now);
		json_array_append_new(warnings, json_string(line));
		if (!x->quiet)
			fprintf(stderr, "denpo: warning: %s\n", line);
	}
	if (seal_record_posts(res->devs, res->n, pin, &bad) == DP_OK)
		return EXIT_OK;
	char hex[2 * DP_ED25519_PK + 1];
	dp_hex_encode(hex, res->devs[bad].device, DP_ED25519_PK);
	return cli_fail_why(x, DP_ESIG, "nothing was sent; report this to security operations at once",
			    "the switch added device %.16s... of %s, logged at %s, as a record copy, but the "
			    "archive's records post is %s%s", hex, res->devs[bad].officer, res->devs[bad].post,
			    pin, strcmp(now, pin) ? " (pinned on this device)" : "");
}

/*
 * Whether u lacks a key only by the switch's clock (skewed: it is off): by
 * this device's clock its next key has started, or its last one not ended.
 */
static int by_clock(const dp_unreachable *u, int skewed)
{
	int64_t now = dp_now();
	return skewed && u->at && !u->not_logged &&
	       ((u->next_not_before && u->next_not_before <= now + DP_EPOCH_SKEW) ||
		(u->last_not_after && u->last_not_after + DP_EPOCH_SKEW > now));
}

/*
 * Why device u will not get the cable, on stderr.  clock: the sentence
 * naming how far the switch's clock is off, if that is why (by_clock),
 * else NULL.
 */
static void warn_unreachable(json_t *warnings, const dp_unreachable *u, const char *clock)
{
	char line[1024];
	char hex[2 * DP_ED25519_PK + 1], why[384] = "it never published one", t[DP_TIME_STR];
	dp_hex_encode(hex, u->device, DP_ED25519_PK);
	if (u->not_logged) {
		snprintf(line, sizeof line, "device %.16s... of %s at %s has a key that is not yet "
					    "in the transparency log (published moments ago): it will NOT receive "
					    "this cable; resend it in a few seconds", hex, u->officer, u->post);
		json_array_append_new(warnings, json_string(line));
		return;
	}
	if (clock && u->at) {
		dp_time_str(u->at, t);
		snprintf(why, sizeof why, "none valid at the switch's time %s, and %s", t, clock);
	} else if (u->next_not_before) {
		dp_time_str(u->next_not_before, t);
		snprintf(why, sizeof why, "its next key starts %s", t);
	} else if (u->last_not_after) {
		dp_time_str(u->last_not_after, t);
		snprintf(why, sizeof why, "its last key expired %s", t);
	}
	snprintf(line, sizeof line, "device %.16s... of %s at %s has no current key (%s): it "
				    "will NOT receive this cable; %s", hex, u->officer, u->post, why,
		 clock ? "send it again once the clocks agree" : "it must connect to the switch, then resend it");
	json_array_append_new(warnings, json_string(line));
}

/*
 * The first device of res that has a key, but one not yet under the
 * latest signed checkpoint (published less than a signing interval ago),
 * and how many such (*n); NULL if none.
 */
static const dp_unreachable *first_not_logged(const dp_resolution *res, size_t *n)
{
	const dp_unreachable *u = NULL;
	*n = 0;
	for (size_t i = 0; i < res->nunreachable; i++)
		if (res->unreachable[i].not_logged) {
			u = u ? u : &res->unreachable[i];
			(*n)++;
		}
	return u;
}

/*
 * Resolve q against this device's log size m into *res (freed by the
 * caller on DP_OK only).  A device that published a key moments ago -- a
 * `denpo key rotate` makes its new key current at once -- is not under a
 * checkpoint until the signer signs the next one, normally well under a
 * second after the commit; sent in that window, the cable would go
 * without a cleared reader.  So while some device is unreachable only for
 * that, resolve again, at the pace and for as long as a reader waits for a
 * cable's entry (denpo/bind.h, BIND_WAIT_MS); after that the send goes as
 * before, that device named in the warnings (warn_unreachable).
 */
static int resolve_logged(cli_ctx *x, const dp_resolve_query *q, uint64_t m, dp_resolution *res)
{
	bind_pace pc = {0, 0};
	for (int first = 1;; first = 0) {
		int r, tries = 0;
		do /* a 503 while the switch's officer index catches up with a new checkpoint: moments */
			r = dp_client_resolve_log(x->cl, q, m, res);
		while (cli_busy_retry(x, r, &tries));
		if (r)
			return r;
		size_t n;
		const dp_unreachable *u = first_not_logged(res, &n);
		if (first && u)
			bind_pace_start(&pc);
		/* a session told to stop (cli_stopping) stops in the next resolve: DP_ENET, nothing sent */
		if (!u || bind_pace_over(&pc))
			return DP_OK;
		if (first && !x->quiet)
			fprintf(stderr, "denpo: the new key of %s@%s%s is not yet in the transparency log "
					"(published moments ago); waiting for it (at most %d s)\n",
				u->officer, u->post, n > 1 ? " and others" : "", BIND_WAIT_MS / 1000);
		dp_resolution_free(res);
		bind_pace_wait(&pc);
	}
}

/* A failure, recorded and reported -- a DP_ENET one only recorded when the caller queues the cable (out->defer_net). */
static int net_fail(cli_ctx *x, const send_result *out, int r, const char *hint, const char *what)
{
	int quiet = x->quiet;
	if (cli_unreachable(x, r) && out->defer_net)
		x->quiet = 1;
	int ec = cli_fail(x, r, hint, "%s", what);
	x->quiet = quiet;
	return ec;
}

void send_plan_free(send_plan *p)
{
	if (p->have)
		dp_resolution_free(&p->res);
	free(p->keys);
	memset(p, 0, sizeof *p);
}

int send_resolve(cli_ctx *x, dp_cable *c, send_plan *p, send_result *out)
{
	memset(p, 0, sizeof *p);
	char to[DP_MAX_ADDRESSEES * (DP_NAME_MAX + 1) + 1], info[sizeof to], attn[sizeof to],
		caps[DP_MAX_CAPTIONS * (DP_NAME_MAX + 1) + 1];
	join(to, sizeof to, c->to, c->nto);
	join(info, sizeof info, c->info, c->ninfo);
	join(attn, sizeof attn, c->attn, c->nattn);
	join(caps, sizeof caps, c->captions, c->ncaptions);
	int ec = EXIT_OK;
	dp_resolve_query q = {to, info, attn, caps, c->classification};
	dp_resolution res0;
	uint64_t m = cli_log_size(x);
	int r = resolve_logged(x, &q, m, &res0);
	if (r)
		return net_fail(x, out, r, NULL, "cannot resolve the recipients");
	dp_resolved *devs = res0.devs;
	size_t ndev = res0.n, bad = 0;
	/* key transparency (docs/transparency.md §3): encrypt only to keys in a verified log */
	if ((ec = logged_keys(x, &res0, m, out->warnings)) != EXIT_OK ||
	    (ec = record_posts(x, &res0, out->warnings)) != EXIT_OK) {
		dp_resolution_free(&res0);
		return ec;
	}
	/* never silent: an addressed device without a current key does not get the cable */
	char clock[256];
	int skewed = dp_client_clock_note(x->cl, clock, sizeof clock);
	size_t nclock = 0;
	for (size_t i = 0; i < res0.nunreachable; i++) {
		int why = by_clock(&res0.unreachable[i], skewed);
		warn_unreachable(out->warnings, &res0.unreachable[i], why ? clock : NULL);
		nclock += (size_t)why;
	}
	/* the archive's record copy reads nobody's cable: an addressee must be able to */
	size_t naddressed = 0;
	for (size_t i = 0; i < ndev; i++)
		naddressed += devs[i].role != DP_ROLE_RECORD;
	if (naddressed == 0) {
		size_t nun = res0.nunreachable;
		dp_resolution_free(&res0);
		/* the switch judged the keys by a clock that is off: that, not clearance, is why */
		if (nclock && nclock == nun)
			return cli_fail(x, DP_ESTATE, "nothing was sent; send again once the clocks agree",
					"no addressed device has a key valid by the switch's clock: %s", clock);
		return cli_fail(x, DP_ENOTFOUND,
				"check TO/INFO/ATTN, the classification and captions; nothing was sent",
				"no recipient device resolves: %s%s%s%s%s",
				nun ? "no addressed device has a current key, and nobody else "
						    "addressed is cleared for " : "nobody addressed is cleared for ",
				dp_class_name(c->classification), caps[0] ? " with " : "", caps,
				ndev ? " (the archive's record copy alone is no delivery)" : "");
	}
	dp_recipient *rcpt = calloc(ndev, sizeof *rcpt);
	dp_age_recipient *keys = calloc(ndev, sizeof *keys);
	if (!rcpt || !keys) {
		ec = cli_fail(x, DP_ENOMEM, NULL, "out of memory");
		goto out;
	}
	r = seal_recipients(devs, ndev, dp_now(), rcpt, keys, &bad);
	if (r == DP_EUNSUPP) {
		ec = cli_fail(x, r, "report this to the HQ operator; nothing was sent",
			      "a recipient device has no post-quantum key (cables are encrypted to "
			      "mlkem768x25519 keys only)");
		goto out;
	}
	if (r == DP_ESIG) {
		ec = cli_fail(x, r, "nothing was sent; report this to security operations at once",
			      "the switch gave a key for device of %s at %s that the device did not sign "
			      "(a substituted key)", devs[bad].officer, devs[bad].post);
		goto out;
	}
	if (r == DP_ESTATE) {
		ec = cli_fail(x, r, skewed ? "nothing was sent; send again once the clocks agree"
					   : "check this computer's clock; nothing was sent",
			      "the key the switch gave for %s at %s is not valid now by this device's "
			      "clock%s%s", devs[bad].officer, devs[bad].post, skewed ? ": " : "",
			      skewed ? clock : "");
		goto out;
	}
	if (r == DP_EINVAL && ndev > DP_MAX_RECIPIENTS) {
		ec = cli_fail(x, DP_EPROTO, "report this to the HQ operator; nothing was sent",
			      "the switch resolved %zu devices, more than the %d a cable may be encrypted to",
			      ndev, DP_MAX_RECIPIENTS);
		goto out;
	}
	if (r == DP_EINVAL) { /* seal_recipients: devs[bad] is listed twice */
		char hex[2 * DP_ED25519_PK + 1];
		dp_hex_encode(hex, devs[bad].device, DP_ED25519_PK);
		ec = cli_fail(x, DP_EPROTO, "report this to security operations; nothing was sent",
			      "the switch's recipient list names device %.16s... of %s at %s more than once",
			      hex, devs[bad].officer, devs[bad].post);
		goto out;
	}
	if (r || (r = dp_cable_set_recipients(c, rcpt, ndev))) {
		ec = cli_fail(x, r, "report this to the HQ operator", "the switch's recipient list is unusable");
		goto out;
	}
	/* who can read it: the caller shows it (never a silent recipient) */
	out->devs = calloc(ndev, sizeof *out->devs);
	if (!out->devs) {
		ec = cli_fail(x, DP_ENOMEM, NULL, "out of memory");
		goto out;
	}
	memcpy(out->devs, devs, ndev * sizeof *devs);
	out->ndev = ndev;
	p->res = res0;
	p->have = 1;
	p->keys = keys;
	p->n = ndev;
	keys = NULL;
	free(rcpt);
	return EXIT_OK;
out:
	dp_resolution_free(&res0);
	free(rcpt);
	free(keys);
	return ec;
}

int send_sealed(cli_ctx *x, dp_cable *c, int decoy, send_plan *pl, send_result *out)
{
	int r, ec = EXIT_OK;
	dp_buf sub;
	dp_buf_init(&sub, (size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4);
	static const uint8_t zero_id[DP_CABLE_ID];
	if (!memcmp(c->id, zero_id, sizeof zero_id))
		dp_cable_new_id(c->id); /* else: an outbox entry's, kept across attempts */
	c->created = dp_now();
	/* declassification and retention the drafter left empty: the ministry's schedule proposes them */
	if ((r = dp_records_defaults(cli_records(x), c))) {
		ec = cli_fail(x, r, "give --class", "the cable has no classification");
		goto out;
	}
	strcpy(c->from, x->ans.post);
	memcpy(c->from_device, x->ks->sign_pk, DP_ED25519_PK);
	if ((r = dp_cable_validate(c))) {
		ec = cli_fail(x, r, "check the body is UTF-8 text, attachment names [A-Za-z0-9._-], dates",
			      "the cable does not follow the format");
		goto out;
	}
	if ((r = seal_cable(c, pl->keys, pl->n, x->ks->sign_sk, &sub))) {
		ec = cli_fail(x, r, NULL, "cannot sign and encrypt the cable");
		goto out;
	}
	char id[DP_HEXID], p[PATH_MAX], name[64];
	dp_hex_encode(id, c->id, DP_CABLE_ID);
	snprintf(name, sizeof name, "sent/%s.cable", id);
	cli_path(x, p, name);
	if ((r = dp_write_file(p, sub.p, sub.len, 0600, 1)) || (r = sentrec_write(x, c, "pending", NULL, decoy))) {
		ec = cli_fail(x, r, "nothing was sent", "cannot save the outgoing cable in %s", x->home);
		goto out;
	}
	out->sealed = 1;
	memcpy(out->cable_id, id, sizeof out->cable_id);
	dp_submit_result res;
	r = submit(x, sub.p, sub.len, &res, decoy);
	if (r) {
		/* unreachable, or its disk full: the same bytes go later */
		int later = r == DP_ENET || r == DP_ENOSPC;
		char what[96];
		snprintf(what, sizeof what, "cable %s was not accepted", id);
		ec = net_fail(x, out, r,
			      !later ? NULL
			      : decoy ? "the decoy is saved; run `denpo retry --decoy` with its id to send the same bytes"
			      : r == DP_ENOSPC ? "the cable is saved; once the switch's operator has freed space, "
						 "run `denpo retry` with its id to send the same bytes"
					 : "the cable is saved; run `denpo retry` with its id to send the same bytes",
			      what);
		goto out;
	}
	if (strcmp(res.cable_id, id) != 0) {
		ec = cli_fail(x, DP_EPROTO, "report this to the HQ operator", "the switch acknowledged another cable id");
		goto out;
	}
	out->res = res;
	if ((r = sentrec_write(x, c, "accepted", &res, decoy))) {
		char line[512];
		snprintf(line, sizeof line, "cable %s was accepted, but its record in sent/ still says pending: %s",
			 id, cli_strerror(x, r));
		json_array_append_new(out->warnings, json_string(line));
	}
out:
	dp_buf_free(&sub);
	return ec;
}

int send_cable(cli_ctx *x, dp_cable *c, int decoy, send_result *out)
{
	send_plan p;
	int ec = send_resolve(x, c, &p, out);
	if (!ec)
		ec = send_sealed(x, c, decoy, &p, out);
	send_plan_free(&p);
	return ec;
}

int send_again(cli_ctx *x, const char *id, int decoy, dp_submit_result *res)
{
	char p[PATH_MAX], name[64];
	snprintf(name, sizeof name, "sent/%.32s.cable", id);
	cli_path(x, p, name);
	dp_buf sub;
	dp_buf_init(&sub, (size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4);
	int r = dp_read_file(p, &sub);
	if (!r)
		r = submit(x, sub.p, sub.len, res, decoy);
	dp_buf_free(&sub);
	if (r)
		return r;
	if (strcmp(res->cable_id, id) != 0)
		return DP_EPROTO; /* the switch acknowledged another cable */
	int w = sentrec_accepted(x, id, res);
	if (w && w != DP_ENOTFOUND && !x->quiet)
		fprintf(stderr, "denpo: warning: cable %s was accepted as %s, but its record in sent/ could "
				"not be updated: %s\n", id, res->mrn, cli_strerror(x, w));
	return DP_OK;
}


json_t *send_result_json(const send_result *r)
{
	if (r->queued) {
		json_t *j = json_pack("{s:b, s:s}", "queued", 1, "draft_id", r->draft_id);
		if (j && r->cable_id[0])
			json_object_set_new(j, "cable_id", json_string(r->cable_id));
		return j;
	}
	json_t *j = json_pack("{s:s, s:s, s:I, s:b, s:I}", "cable_id", r->res.cable_id, "mrn", r->res.mrn,
			      "accepted", (json_int_t)r->res.accepted, "duplicate", r->res.duplicate,
			      "recipients", (json_int_t)r->ndev);
	if (!j)
		return NULL;
	if (r->devs) {
		json_t *a = json_array();
		for (size_t i = 0; i < r->ndev; i++) {
			char hex[2 * DP_ED25519_PK + 1];
			dp_hex_encode(hex, r->devs[i].device, DP_ED25519_PK);
			json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}", "device", hex, "officer",
							   r->devs[i].officer, "post", r->devs[i].post, "role",
							   dp_role_name(r->devs[i].role)));
		}
		json_object_set_new(j, "devices", a);
	}
	if (r->warnings && json_array_size(r->warnings))
		json_object_set(j, "warnings", r->warnings);
	return j;
}

int send_reply_draft(cli_ctx *x, const char *ref, json_t **out)
{
	char id[DP_HEXID], mrn[DP_MRN_MAX + 1], asked[DP_MRN_MAX + 1];
	int64_t accepted;
	*out = NULL;
	int r = cli_ref_to_id(x, ref, id);
	if (r == DP_EINVAL)
		return cli_fail(x, r, NULL, "'%s' is neither an MRN (\"26 HQ 000012\") nor a cable id", ref);
	if (r == DP_ESTATE)
		return EXIT_ERR; /* reported */
	if (r)
		return cli_fail(x, r, r == DP_ENET ? "answer it once the switch is reachable" : "check `denpo inbox`",
				"cannot find cable %s%s", ref, r == DP_ENET ? " on this device" : "");
	if (cli_ref_mrn(ref, asked))
		asked[0] = 0; /* a cable id */
	dp_cable orig, c;
	dp_envelope e;
	dp_cable_init(&orig);
	dp_envelope_init(&e);
	dp_cable_init(&c);
	/* REF is the MRN its log entry records, checked like `denpo read` checks it */
	int ec = cli_open_cable(x, id, asked, &e, &orig, mrn, &accepted);
	if (!ec) {
		c.classification = orig.classification;
		memcpy(c.captions, orig.captions, sizeof c.captions);
		c.ncaptions = orig.ncaptions;
		c.prec_action = c.prec_info = orig.prec_action;
		strcpy(c.to[0], orig.from);
		c.nto = 1;
		memcpy(c.tags, orig.tags, sizeof c.tags);
		c.ntags = orig.ntags;
		strcpy(c.refs[0], mrn);
		c.nrefs = 1;
		if (!strncmp(orig.subject, "RE: ", 4))
			snprintf(c.subject, sizeof c.subject, "%s", orig.subject);
		else
			snprintf(c.subject, sizeof c.subject, "RE: %.*s", DP_SUBJECT_MAX - 4, orig.subject);
		*out = draft_json(&c);
		if (!*out)
			ec = cli_fail(x, DP_ENOMEM, NULL, "out of memory");
	}
	dp_cable_free(&orig);
	dp_envelope_free(&e);
	dp_cable_free(&c);
	return ec;
}
