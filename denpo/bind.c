/*
 * denpo/bind.c - the one check between what the switch says of a cable and
 * what its sender signed or its log recorded (denpo/bind.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "denpo/bind.h"
#include "denpo/encoding.h"
#include "denpo/kept.h"
#include "denpo/origin.h"
#include "denpo/seal.h"

#define NOT_SHOWN "the cable is NOT displayed; report its id to security operations"
/* why a cable is not shown when its entry never comes under a checkpoint (BIND_WAIT_MS) */
#define NOT_LOGGED                                                                                   \
	"its cable-accepted entry is still not under a checkpoint of the switch's log 30 s after the " \
	"switch listed it: the switch does not log it, or holds its checkpoints back"
_Static_assert(BIND_WAIT_MS == 30000, "NOT_LOGGED says 30 s");
#define BIND_KDF "dpMrnBnd" /* kept.h: the context the kept binding's MAC key is derived under */

void bind_claim_init(bind_claim *c)
{
	memset(c, 0, sizeof *c);
	c->accepted = -1;
	c->precedence = -1;
	c->classification = -1;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void bind_pace_start(bind_pace *p)
{
	p->deadline = now_ms() + BIND_WAIT_MS;
	p->delay = 50;
}

int bind_pace_over(const bind_pace *p) { return now_ms() >= p->deadline; }

void bind_pace_wait(bind_pace *p)
{
	struct timespec ts = {(time_t)(p->delay / 1000), (long)(p->delay % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0)
		;
	p->delay = p->delay * 2 > 1000 ? 1000 : p->delay * 2;
}

static void say(const char *id, const char *why, const char *hint)
{
	fprintf(stderr, "denpo: cable %s failed verification: %s\n  -> %s\n", id, why, hint);
}

int bind_fail(cli_ctx *x, const char *id, const char *why, const char *hint)
{
	x->err.rc = DP_ESIG;
	snprintf(x->err.what, sizeof x->err.what, "cable %s failed verification", id);
	snprintf(x->err.message, sizeof x->err.message, "%s", why);
	snprintf(x->err.hint, sizeof x->err.hint, "%s", hint ? hint : "");
	if (x->quiet)
		return EXIT_VERIFY;
	say(id, why, hint);
	if (x->json) {
		char what[96];
		snprintf(what, sizeof what, "cable %s failed verification", id);
		dp_json_print(json_pack("{s:s, s:s, s:s}", "error", dp_errname(DP_ESIG), "what", what,
					 "message", why));
	}
	return EXIT_VERIFY;
}

/* ---- one entry ---- */

int bind_entry(const dp_log_accepted *a, const cli_ckpt *ck, const char *id, bind_logged *out, char *why,
	       size_t cap)
{
	memset(out, 0, sizeof *out);
	why[0] = 0;
	if (!a->has_index) {
		snprintf(why, cap, "the switch sent no log index for it (a switch that does not prove "
				   "its cables' acceptance)");
		return BIND_BAD;
	}
	if (a->index < 0) {
		snprintf(why, cap, "the switch has no cable-accepted entry in its log for it: it was "
				   "never logged as accepted");
		return BIND_BAD;
	}
	if (!a->entry.present) {
		if ((uint64_t)a->index >= ck->cp.size)
			return BIND_PENDING; /* accepted after the checkpoint: ask again */
		snprintf(why, cap, "the switch did not send its cable-accepted entry (index %lld), which "
				   "its checkpoint of size %llu covers",
			 (long long)a->index, (unsigned long long)ck->cp.size);
		return BIND_BAD;
	}
	if (a->entry.index != (uint64_t)a->index) {
		snprintf(why, cap, "the switch sent log entry %llu for its log index %lld",
			 (unsigned long long)a->entry.index, (long long)a->index);
		return BIND_BAD;
	}
	dp_logent *e = malloc(sizeof *e);
	if (!e) {
		snprintf(why, cap, "out of memory");
		return BIND_BAD;
	}
	int r = seal_included(&a->entry, ck->cp.size, ck->cp.root, e), res = BIND_BAD;
	char hex[DP_HEXID];
	if (r == DP_EPARSE)
		snprintf(why, cap, "its log entry %lld is malformed", (long long)a->index);
	else if (r)
		snprintf(why, cap, "its log entry %lld is not in the checkpoint this device verified (the "
				   "inclusion proof does not verify)",
			 (long long)a->index);
	else if (e->event != DP_LOG_CABLE_ACCEPTED)
		snprintf(why, cap, "log entry %lld is a %s entry, not the cable's cable-accepted entry",
			 (long long)a->index, dp_log_event_name(e->event));
	else if (dp_hex_encode(hex, e->cable_id, DP_CABLE_ID), strcmp(hex, id) != 0)
		snprintf(why, cap, "cable id: the switch says log entry %lld records cable %s, it records %s",
			 (long long)a->index, id, hex);
	else {
		memcpy(out->cable_id, hex, sizeof hex);
		memcpy(out->mrn, e->mrn, sizeof out->mrn);
		out->accepted = e->time;
		out->index = (uint64_t)a->index;
		out->classification = e->classification;
		out->prec_action = e->prec_action;
		out->prec_info = e->prec_info;
		memcpy(out->originator, e->device, DP_ED25519_PK);
		memcpy(out->officer, e->officer, sizeof out->officer);
		memcpy(out->post, e->post, sizeof out->post);
		memcpy(out->envelope_hash, e->envelope_hash, DP_SHA256);
		res = BIND_OK;
	}
	free(e);
	return res;
}

/* ---- fields ---- */

/* One field as two parties state it: `said` by `by`, `truth` by `source`. */
typedef struct {
	const char *field, *by, *source;
	char said[96], truth[96];
} bind_row;

#define ROWS_MAX 16

static void row(bind_row *rows, size_t *n, const char *field, const char *by, const char *said,
		const char *source, const char *truth)
{
	if (!said || *n >= ROWS_MAX)
		return; /* not said: nothing to compare */
	bind_row *w = &rows[(*n)++];
	w->field = field;
	w->by = by;
	w->source = source;
	snprintf(w->said, sizeof w->said, "%s", said);
	snprintf(w->truth, sizeof w->truth, "%s", truth);
}

static void fmt_time(int64_t t, char out[64])
{
	char s[32];
	audit_fmt_time(t, s);
	snprintf(out, 64, "%lld (%s)", (long long)t, s);
}

static void hex16(char out[20], const uint8_t *p)
{
	char h[2 * DP_ED25519_PK + 1];
	dp_hex_encode(h, p, DP_ED25519_PK);
	snprintf(out, 20, "%.16s...", h);
}

int bind_compare(const bind_claim *cl, const bind_logged *lg, const dp_envelope *e,
		 const uint8_t *my_device, const uint8_t *sub, size_t n, char *why, size_t cap)
{
	static const char sw[] = "the switch says", logs[] = "its log entry says",
			  signed_[] = "the sender signed";
	bind_row rows[ROWS_MAX];
	size_t nr = 0;
	char a[64], b[64], c[64], d[64];
	int role = 0;
	why[0] = 0;
	if (e && my_device) {
		for (size_t i = 0; i < e->nrecipients && !role; i++)
			if (!memcmp(e->recipients[i].device, my_device, DP_ED25519_PK))
				role = e->recipients[i].role;
		if (!role) {
			snprintf(why, cap, "role: the switch lists it for this device, but the sender did not "
					   "address it to this device");
			return DP_ESIG;
		}
	}
	/* the switch's word against the log's (MRN, time) and the sender's (the rest) */
	row(rows, &nr, "MRN", sw, cl->mrn, logs, lg->mrn);
	row(rows, &nr, "MRN", "the switch's X-Denpo-MRN header says", cl->mrn_header, logs, lg->mrn);
	row(rows, &nr, "MRN", "the switch gave this cable for", cl->asked, logs, lg->mrn);
	if (cl->accepted >= 0) {
		fmt_time(cl->accepted, a);
		fmt_time(lg->accepted, b);
		row(rows, &nr, "acceptance time", sw, a, logs, b);
	}
	int prec = e ? dp_role_prec(role, e->prec_action, e->prec_info) : lg->prec_action;
	row(rows, &nr, "precedence", sw, cl->precedence >= 0 ? dp_prec_name(cl->precedence) : NULL,
	    e ? signed_ : logs, dp_prec_name(prec));
	if (role)
		row(rows, &nr, "role", sw, cl->role ? dp_role_name(cl->role) : NULL, signed_, dp_role_name(role));
	row(rows, &nr, "classification", sw,
	    cl->classification >= 0 ? dp_class_name(cl->classification) : NULL, e ? signed_ : logs,
	    dp_class_name(e ? e->classification : lg->classification));
	row(rows, &nr, "From", sw, cl->from, e ? signed_ : logs, e ? e->from : lg->post);
	if (e) {
		/* what the switch logged when it accepted the cable against what was signed */
		snprintf(a, sizeof a, "%s/%s", dp_prec_name(lg->prec_action), dp_prec_name(lg->prec_info));
		snprintf(b, sizeof b, "%s/%s", dp_prec_name(e->prec_action), dp_prec_name(e->prec_info));
		hex16(c, lg->originator);
		hex16(d, e->from_device);
		row(rows, &nr, "precedence", logs, a, signed_, b);
		row(rows, &nr, "classification", logs, dp_class_name(lg->classification), signed_,
		    dp_class_name(e->classification));
		row(rows, &nr, "From", logs, lg->post, signed_, e->from);
		row(rows, &nr, "originating device", logs, c, signed_, d);
		char id[DP_HEXID];
		dp_hex_encode(id, e->cable_id, DP_CABLE_ID);
		row(rows, &nr, "cable id", logs, lg->cable_id, "its envelope says", id);
	}
	if (sub) {
		uint8_t h[DP_SHA256];
		char hl[2 * DP_SHA256 + 1], hs[2 * DP_SHA256 + 1];
		dp_sha256(h, sub, n);
		dp_hex_encode(hl, lg->envelope_hash, DP_SHA256);
		dp_hex_encode(hs, h, DP_SHA256);
		row(rows, &nr, "submission SHA-256", logs, hl, "the bytes served are", hs);
	}
	for (size_t i = 0; i < nr; i++)
		if (strcmp(rows[i].said, rows[i].truth) != 0) {
			snprintf(why, cap, "%s: %s %s, %s %s", rows[i].field, rows[i].by, rows[i].said,
				 rows[i].source, rows[i].truth);
			return DP_ESIG;
		}
	return DP_OK;
}

/* ---- the originating device ---- */

void bind_origins_free(bind_origins *o)
{
	free(o->dev);
	free(o->post);
	memset(o, 0, sizeof *o);
}

/* Remember a device found right (best effort: a full memory only asks again). */
static void remember(bind_origins *o, const uint8_t dev[DP_ED25519_PK], const char *post)
{
	if (o->n == o->cap) {
		size_t nc = o->cap ? o->cap * 2 : 16;
		uint8_t(*d)[DP_ED25519_PK] = reallocarray(o->dev, nc, sizeof *d);
		if (d)
			o->dev = d;
		char(*p)[DP_NAME_MAX + 1] = d ? reallocarray(o->post, nc, sizeof *p) : NULL;
		if (p)
			o->post = p;
		if (!d || !p)
			return;
		o->cap = nc;
	}
	memcpy(o->dev[o->n], dev, DP_ED25519_PK);
	snprintf(o->post[o->n], sizeof o->post[o->n], "%s", post);
	o->n++;
}

int bind_origin(cli_ctx *x, const uint8_t dev[DP_ED25519_PK], const char *post, const dp_cable_list *list,
		bind_origins *seen, char *why, size_t cap)
{
	for (size_t i = 0; seen && i < seen->n; i++)
		if (!memcmp(seen->dev[i], dev, DP_ED25519_PK) && !strcmp(seen->post[i], post))
			return DP_OK;
	dp_device_info asked;
	const dp_device_info *d = NULL;
	for (size_t i = 0; list && i < list->norigins && !d; i++)
		if (!memcmp(list->origins[i].device, dev, DP_ED25519_PK))
			d = &list->origins[i];
	if (!d && list) {
		snprintf(why, cap, "the switch sent no directory entry for its originating device");
		return DP_ESIG;
	}
	if (!d) {
		int r = dp_client_device(x->cl, dev, &asked);
		if (r == DP_ENOTFOUND) {
			snprintf(why, cap, "it is signed by a device the directory does not know");
			origin_forget(x, dev);
			return DP_ESIG;
		}
		if (r) {
			snprintf(why, cap, "cannot check its originating device: %s", dp_strerror(r));
			return r;
		}
		d = &asked;
	}
	if (memcmp(d->sign_key, dev, DP_ED25519_PK) != 0 || strcmp(d->post, post) != 0) {
		if (memcmp(d->sign_key, dev, DP_ED25519_PK) != 0)
			/* an entry for the device id with another key: the directory answer is forged */
			snprintf(why, cap, "the switch's directory entry for its originating device (%s, %s) "
					   "gives another signing key than the device's own id",
				 d->officer, d->post);
		else
			snprintf(why, cap, "it claims post %s but its signing device belongs to %s (%s)", post,
				 d->post, d->officer);
		origin_forget(x, dev); /* the directory says otherwise now: never read offline on the old word */
		return DP_ESIG;
	}
	if (strcmp(d->status, "active") != 0 && !x->quiet)
		fprintf(stderr, "denpo: note: the originating device (%s, %s) is now %s\n", d->officer, d->post,
			d->status);
	if (seen)
		remember(seen, dev, post);
	origin_keep(x, dev, post); /* what `read` uses when the switch cannot be reached (denpo/origin.h) */
	return DP_OK;
}

/* ---- the checkpoint of an answer ---- */

/* 1 if HOME/log/checkpoint is c's tree: nothing new to witness (c verified). */
static int witnessed(cli_ctx *x, const dp_note_vkey *k, const cli_ckpt *c)
{
	char p[PATH_MAX];
	cli_ckpt held;
	cli_path(x, p, "log/checkpoint");
	if (cli_ckpt_load(k, p, &held) != DP_OK)
		return 0;
	int same = held.cp.size == c->cp.size && memcmp(held.cp.root, c->cp.root, DP_TLOG_HASH) == 0;
	cli_ckpt_free(&held);
	return same;
}

/*
 * The witness could not store the checkpoint (this device's disk): judge it
 * in memory against the one held, with the answer's proof from m, by the
 * witness's own rule (cli_log_judge).  DP_OK, CLI_EFORK, or err when it
 * cannot tell (the held one is not of size m).
 */
static int judge_held(cli_ctx *x, const dp_note_vkey *k, const cli_ckpt *c, const dp_log_view *v,
		      uint64_t m, int err)
{
	char p[PATH_MAX], why[512];
	cli_ckpt held;
	cli_path(x, p, "log/checkpoint");
	int r = cli_ckpt_load(k, p, &held);
	if (r == DP_ENOTFOUND)
		return DP_OK; /* none held: a new device takes the signed one */
	if (r)
		return err;
	r = held.cp.size != m ? err
			       : cli_log_judge(&held, c, (const uint8_t(*)[DP_TLOG_HASH])v->consistency,
					       v->nconsistency, why, sizeof why);
	if (r == DP_ESTATE)
		r = err; /* an older tree: the witness would have asked for a proof */
	if (r == CLI_EFORK)
		fprintf(stderr, "denpo: %s\n", why);
	cli_ckpt_free(&held);
	return r;
}

int bind_checkpoint(cli_ctx *x, const dp_log_view *v, uint64_t m, const char *what, const char *hint,
		    cli_ckpt *out)
{
	char ev[PATH_MAX];
	memset(out, 0, sizeof *out);
	if (!v->present)
		return cli_fail_why(x, DP_ESIG, hint,
				    "the switch sent no transparency log checkpoint with %s: what it says "
				    "cannot be checked against its log",
				    what);
	dp_note_vkey k;
	int r = cli_log_key(x, &k);
	if (!r)
		r = cli_ckpt_open(&k, v->checkpoint, v->checkpoint_len, out);
	if (r == DP_ESIG || r == DP_EPARSE)
		return cli_fail(x, DP_ESIG, hint,
				"the log checkpoint the switch sent with %s does not verify under this "
				"device's log key",
				what);
	/*
	 * Usually the very tree this command has just witnessed (cli_open_client):
	 * judged and cosigned once.  Anything else goes through the witness's rules.
	 */
	if (!r && !witnessed(x, &k, out)) {
		r = cli_log_accept(x, v->checkpoint, v->checkpoint_len, m,
				   (const uint8_t(*)[DP_TLOG_HASH])v->consistency, v->nconsistency, ev);
		if (r == DP_ENOSPC || r == DP_EIO) {
			fprintf(stderr, "denpo: warning: cannot keep the log checkpoint: %s\n", cli_strerror(x, r));
			r = judge_held(x, &k, out, v, m, r);
		}
		if (r == CLI_EFORK) {
			cli_ckpt_free(out);
			return cli_log_fork_fail(x, ev);
		}
		if (r == DP_ESTATE)
			r = DP_OK; /* this device's own checkpoint is unusable (said): judged as a new device would */
		dp_client_clear_message(x->cl); /* a cosignature refused was a warning, not this command's error */
	}
	if (r) {
		cli_ckpt_free(out);
		return cli_fail(x, r, "retry", "cannot check the switch's transparency log");
	}
	return EXIT_OK;
}

/* ---- the kept binding ---- */

int bind_cache_get(cli_ctx *x, const char *id, bind_logged *out)
{
	char p[PATH_MAX];
	memset(out, 0, sizeof *out);
	if (!x->ks)
		return DP_ENOTFOUND; /* its MAC cannot be checked without the storage key */
	cli_cache_path(x, id, "mrn", p);
	dp_buf b;
	dp_buf_init(&b, 256);
	int r = dp_read_file(p, &b);
	if (r) {
		dp_buf_free(&b);
		return DP_ENOTFOUND;
	}
	/* "MRN\nINDEX ACCEPTED SHA256HEX\nmac HEX\n" (denpo/kept.h): untrusted until its MAC verifies */
	char s[257], mrn[DP_MRN_MAX + 2], hx[2 * DP_SHA256 + 2];
	unsigned long long idx;
	long long acc;
	int used = 0;
	size_t body = 0;
	if (b.len)
		memcpy(s, b.p, b.len);
	s[b.len] = 0;
	r = kept_open(x, BIND_KDF, s, b.len, &body);
	dp_buf_free(&b);
	if (r)
		return r; /* DP_EPARSE: an older denpo's, not MAC'd (or malformed); DP_ESIG: altered or planted */
	s[body] = 0;
	char *nl = strchr(s, '\n');
	r = DP_EPARSE;
	if (nl && (size_t)(nl - s) <= DP_MRN_MAX) {
		memcpy(mrn, s, (size_t)(nl - s));
		mrn[nl - s] = 0;
		if (dp_mrn_ok(mrn) && sscanf(nl + 1, "%llu %lld %65s\n%n", &idx, &acc, hx, &used) == 3 &&
		    strlen(hx) == 2 * DP_SHA256 && nl[1 + used] == 0 &&
		    dp_hex_decode(out->envelope_hash, DP_SHA256, hx, strlen(hx)) == DP_OK) {
			snprintf(out->cable_id, sizeof out->cable_id, "%s", id);
			memcpy(out->mrn, mrn, sizeof out->mrn);
			out->index = idx;
			out->accepted = acc;
			r = DP_OK;
		}
	}
	if (r)
		memset(out, 0, sizeof *out);
	return r;
}

static void cache_put(cli_ctx *x, const bind_logged *lg)
{
	char p[PATH_MAX], hx[2 * DP_SHA256 + 1], s[256];
	dp_hex_encode(hx, lg->envelope_hash, DP_SHA256);
	int n = snprintf(s, sizeof s, "%s\n%llu %lld %s\n", lg->mrn, (unsigned long long)lg->index,
			 (long long)lg->accepted, hx);
	size_t len = n < 0 || (size_t)n >= sizeof s ? 0 : kept_seal(x, BIND_KDF, s, (size_t)n, sizeof s);
	cli_cache_path(x, lg->cable_id, "mrn", p);
	int r = len ? dp_write_file(p, s, len, 0600, 0) : DP_ETOOBIG;
	if (r && !x->quiet)
		fprintf(stderr, "denpo: warning: cannot keep the checked reference number of %s: %s\n",
			lg->cable_id, cli_strerror(x, r));
}

size_t bind_cache_drop_from(cli_ctx *x, uint64_t from)
{
	char dir[PATH_MAX];
	cli_path(x, dir, "cache");
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		char id[DP_HEXID], p[PATH_MAX];
		bind_logged lg;
		if (strlen(de->d_name) != 32 + 4 || strcmp(de->d_name + 32, ".mrn") != 0)
			continue;
		memcpy(id, de->d_name, 32);
		id[32] = 0;
		if (bind_cache_get(x, id, &lg) != DP_OK || lg.index < from)
			continue;
		cli_cache_path(x, id, "mrn", p);
		if (unlink(p) == 0)
			n++;
		else
			fprintf(stderr, "denpo: warning: cannot remove %s (%s): remove it by hand\n", p,
				strerror(errno));
	}
	closedir(d);
	return n;
}

/* ---- lists ---- */

static int add_failure(bind_failure **f, size_t *n, const char *id, const char *why)
{
	bind_failure *g = reallocarray(*f, *n + 1, sizeof *g);
	if (!g)
		return DP_ENOMEM;
	*f = g;
	snprintf(g[*n].cable_id, sizeof g[*n].cable_id, "%s", id);
	snprintf(g[*n].why, sizeof g[*n].why, "%s", why);
	(*n)++;
	return DP_OK;
}

void bind_list_free(bind_list *l)
{
	free(l->items);
	free(l->failed);
	memset(l, 0, sizeof *l);
}

void bind_report(const bind_failure *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		say(f[i].cable_id, f[i].why, "it is NOT listed; report its id to security operations");
}

void *bind_failed_json(const bind_failure *f, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "cable_id", f[i].cable_id, "error",
						   dp_errname(DP_ESIG), "message", f[i].why));
	return a;
}

/* the inbox: precedence (signed), then the log's order */
static int by_prec(const void *pa, const void *pb)
{
	const bind_item *a = pa, *b = pb;
	if (a->it.precedence != b->it.precedence)
		return a->it.precedence < b->it.precedence ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

/* the archive: newest first, by the log's order */
static int by_index_desc(const void *pa, const void *pb)
{
	const bind_item *a = pa, *b = pb;
	return a->index > b->index ? -1 : a->index < b->index;
}

/*
 * One listed cable: its envelope signed by a device the directory gives its
 * From post, its entry in the tree, every field as said.  BIND_OK (*it
 * rewritten from those sources; seq becomes the log index), BIND_PENDING,
 * BIND_BAD (why), or a DP code that stops the list (the directory could not
 * be asked).
 */
static int check_item(cli_ctx *x, bind_item *bi, const dp_cable_proof *p, const dp_cable_list *l,
		      const cli_ckpt *ck, bind_origins *seen, dp_envelope *e, char *why, size_t cap)
{
	dp_inbox_item *it = &bi->it;
	bind_logged lg;
	char id[DP_HEXID];
	int r = bind_entry(&p->acc, ck, it->cable_id, &lg, why, cap);
	if (r != BIND_OK)
		return r;
	if (!p->envelope) {
		snprintf(why, cap, "the switch sent no envelope for it");
		return BIND_BAD;
	}
	dp_envelope_free(e);
	r = dp_envelope_decode(e, p->envelope, p->envelope_len);
	if (r) {
		snprintf(why, cap, "its envelope %s", r == DP_ESIG ? "is not signed by its From-Device"
								 : "is malformed");
		return BIND_BAD;
	}
	dp_hex_encode(id, e->cable_id, DP_CABLE_ID);
	if (strcmp(id, it->cable_id) != 0) {
		snprintf(why, cap, "cable id: the switch lists %s, the envelope it sent is of %s", it->cable_id,
			 id);
		return BIND_BAD;
	}
	bind_claim cl;
	bind_claim_init(&cl);
	cl.mrn = it->mrn;
	cl.accepted = it->accepted;
	cl.precedence = it->precedence;
	cl.role = it->role;
	cl.classification = it->classification;
	cl.from = it->from;
	if (bind_compare(&cl, &lg, e, x->ks->sign_pk, NULL, 0, why, cap))
		return BIND_BAD;
	/* from the answer's directory entries: asking for a decoy originator's would be an alarm */
	r = bind_origin(x, e->from_device, e->from, l, seen, why, cap);
	if (r == DP_ESIG)
		return BIND_BAD;
	if (r)
		return r;
	/* shown from the sources, not from the answer (they are equal by now) */
	for (size_t i = 0; i < e->nrecipients; i++)
		if (!memcmp(e->recipients[i].device, x->ks->sign_pk, DP_ED25519_PK))
			it->role = e->recipients[i].role;
	it->precedence = dp_role_prec(it->role, e->prec_action, e->prec_info);
	it->classification = e->classification;
	snprintf(it->from, sizeof it->from, "%s", e->from);
	memcpy(it->mrn, lg.mrn, sizeof it->mrn);
	it->accepted = lg.accepted;
	bi->index = lg.index;
	return BIND_OK;
}

static int id_cmp(const void *a, const void *b) { return strcmp(a, b); }

/*
 * A list answer names each cable once: 1 and its id in dup if one is
 * listed twice (a switch repeating one verified cable thousands of times
 * would fill the officer's list with it), else 0 (also when out of
 * memory: the items are then checked one by one all the same).  The ids
 * are the char[DP_HEXID] at base + i * stride + off.
 */
static int listed_twice(const void *base, size_t n, size_t stride, size_t off, char dup[DP_HEXID])
{
	char(*ids)[DP_HEXID] = n > 1 ? calloc(n, DP_HEXID) : NULL;
	int found = 0;
	if (!ids)
		return 0;
	for (size_t i = 0; i < n; i++)
		memcpy(ids[i], (const char *)base + i * stride + off, DP_HEXID);
	qsort(ids, n, DP_HEXID, id_cmp);
	for (size_t i = 1; i < n && !found; i++)
		if (!strcmp(ids[i - 1], ids[i])) {
			memcpy(dup, ids[i], DP_HEXID);
			found = 1;
		}
	free(ids);
	return found;
}

static int list_request(cli_ctx *x, const bind_query *q, uint64_t m, dp_cable_list *l)
{
	return q->archive ? dp_client_archive_log(x->cl, q->before, q->limit, m, l)
			  : dp_client_inbox_log(x->cl, 0, 0, m, l);
}

int bind_list_get(cli_ctx *x, const bind_query *q, bind_list *out)
{
	const char *what = q->archive ? "the archive" : "the inbox";
	memset(out, 0, sizeof *out);
	bind_pace pc = {0, 0};
	int ec = EXIT_OK;
	if (!q->archive && q->wait > 0) {
		/*
		 * The long-poll itself carries no proofs: the cable it wakes for was
		 * committed a moment ago and is not under a checkpoint yet, so the
		 * switch would build them for nothing (for every woken device at once).
		 */
		dp_inbox_item *it;
		size_t n;
		int r = dp_client_inbox_after(x->cl, q->wait, q->after, &it, &n);
		if (r)
			return cli_fail(x, r, NULL, "cannot read %s", what);
		free(it);
	}
	bind_origins seen = {0};
	dp_envelope e;
	dp_envelope_init(&e);
	char why[512];
	for (;;) {
		dp_cable_list l;
		cli_ckpt ck;
		uint64_t m = cli_log_size(x);
		int r = list_request(x, q, m, &l);
		char dup[DP_HEXID];
		if (r) {
			ec = cli_fail(x, r, NULL, "cannot read %s", what);
			break;
		}
		if (listed_twice(l.items, l.n, sizeof *l.items, offsetof(dp_inbox_item, cable_id), dup)) {
			ec = cli_fail(x, DP_EPROTO, "nothing is listed; report this to security operations",
				      "the switch's answer lists cable %s more than once in %s", dup, what);
			dp_cable_list_free(&l);
			break;
		}
		if (!pc.deadline)
			bind_pace_start(&pc); /* from the first answer */
		ec = bind_checkpoint(x, &l.log, m, what, "nothing is listed; report this to security operations",
				     &ck);
		if (ec) {
			dp_cable_list_free(&l);
			break;
		}
		size_t pending = 0;
		int last = bind_pace_over(&pc);
		free(out->items);
		out->items = l.n ? calloc(l.n, sizeof *out->items) : NULL;
		out->n = 0;
		free(out->failed);
		out->failed = NULL;
		out->nfailed = 0;
		r = l.n && !out->items ? DP_ENOMEM : DP_OK;
		for (size_t i = 0; !r && i < l.n; i++) {
			bind_item bi = {l.items[i], 0};
			if (bi.it.seq > out->top_seq)
				out->top_seq = bi.it.seq;
			int k = check_item(x, &bi, &l.proofs[i], &l, &ck, &seen, &e, why, sizeof why);
			if (k == BIND_OK)
				out->items[out->n++] = bi;
			else if (k == BIND_PENDING && !last)
				pending++;
			else if (k == BIND_PENDING)
				r = add_failure(&out->failed, &out->nfailed, bi.it.cable_id, NOT_LOGGED);
			else if (k == BIND_BAD)
				r = add_failure(&out->failed, &out->nfailed, bi.it.cable_id, why);
			else
				r = k;
		}
		cli_ckpt_free(&ck);
		dp_cable_list_free(&l);
		if (r) {
			ec = cli_fail(x, r, NULL, "cannot check %s", what);
			break;
		}
		if (!pending)
			break;
		bind_pace_wait(&pc); /* a cable newer than the checkpoint: its entry is signed within a second or so */
	}
	dp_envelope_free(&e);
	bind_origins_free(&seen);
	if (ec) {
		bind_list_free(out);
		return ec;
	}
	if (out->n > 1)
		qsort(out->items, out->n, sizeof *out->items, q->archive ? by_index_desc : by_prec);
	return EXIT_OK;
}

/* ---- one cable ---- */

int bind_cable(cli_ctx *x, const char *id, const bind_claim *cl, const dp_envelope *e,
	       const uint8_t *sub, size_t n, bind_logged *out)
{
	char why[512];
	int held = bind_cache_get(x, id, out);
	if (held == DP_ESIG && !x->quiet)
		fprintf(stderr, "denpo: warning: the kept binding of cable %s (cache/%s.mrn) does not verify under "
				"this device's key (altered or planted): not trusted; bound again in the switch's "
				"log\n", id, id);
	if (held == DP_OK) {
		/* checked before: what the officer asked for and the bytes, against the kept binding */
		bind_claim kept;
		bind_claim_init(&kept);
		kept.asked = cl->asked;
		if (bind_compare(&kept, out, NULL, NULL, sub, n, why, sizeof why) == DP_OK)
			return EXIT_OK;
		return bind_fail(x, id, why, NOT_SHOWN);
	}
	bind_pace pc;
	bind_pace_start(&pc);
	for (;;) {
		dp_cable_accepted a;
		cli_ckpt ck;
		uint64_t m = cli_log_size(x);
		int r = dp_client_accepted(x->cl, id, m, &a);
		if (r)
			return cli_fail(x, r, "the cable is NOT displayed; retry",
					"cannot get the logged acceptance of cable %s", id);
		char what[64];
		snprintf(what, sizeof what, "cable %.32s", id);
		int ec = bind_checkpoint(x, &a.log, m, what, NOT_SHOWN, &ck);
		if (ec) {
			dp_cable_accepted_free(&a);
			return ec;
		}
		int k = bind_entry(&a.acc, &ck, id, out, why, sizeof why);
		cli_ckpt_free(&ck);
		if (k == BIND_OK) {
			bind_claim all = *cl;
			all.mrn = a.mrn;
			all.accepted = a.accepted;
			all.precedence = a.precedence;
			all.role = a.role;
			all.classification = a.classification;
			all.from = a.from;
			if (strcmp(a.cable_id, id) != 0) {
				snprintf(why, sizeof why, "cable id: the switch answered about cable %s", a.cable_id);
				k = BIND_BAD;
			} else if (bind_compare(&all, out, e, e ? x->ks->sign_pk : NULL, sub, n, why, sizeof why))
				k = BIND_BAD;
		}
		dp_cable_accepted_free(&a);
		if (k == BIND_OK) {
			cache_put(x, out);
			return EXIT_OK;
		}
		if (k == BIND_PENDING && !bind_pace_over(&pc)) {
			bind_pace_wait(&pc);
			continue;
		}
		if (k == BIND_PENDING)
			snprintf(why, sizeof why, "%s", NOT_LOGGED);
		return bind_fail(x, id, why, NOT_SHOWN);
	}
}

/* sent/ID.cable of a cable this device sent, decoded (DP_ENOTFOUND if another device sent it). */
static int own_submission(cli_ctx *x, const char *id, dp_buf *sub, dp_envelope *e)
{
	char name[64], p[PATH_MAX];
	snprintf(name, sizeof name, "sent/%.32s.cable", id);
	cli_path(x, p, name);
	int r = dp_read_file(p, sub);
	const uint8_t *payload;
	size_t plen;
	if (!r)
		r = dp_submission_decode(e, sub->p, sub->len, &payload, &plen);
	return r;
}

int bind_status(cli_ctx *x, const char *id, const char *asked, dp_cable_status *st, bind_logged *out)
{
	char why[512];
	bind_pace pc;
	bind_pace_start(&pc);
	dp_buf sub;
	dp_envelope e;
	dp_buf_init(&sub, (size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4);
	dp_envelope_init(&e);
	int own = own_submission(x, id, &sub, &e) == DP_OK, ec = EXIT_OK;
	for (;;) {
		cli_ckpt ck;
		uint64_t m = cli_log_size(x);
		int r = dp_client_status_log(x->cl, id, m, st);
		if (r) {
			ec = cli_fail(x, r, r == DP_EDENIED ? "only the originating officer's devices see receipts" : NULL,
				      "cannot get the status of %s", asked && *asked ? asked : id);
			break;
		}
		char what[64];
		snprintf(what, sizeof what, "the status of cable %.32s", id);
		ec = bind_checkpoint(x, &st->log, m, what, "nothing is shown; report this to security operations",
				     &ck);
		if (ec)
			break;
		int k = bind_entry(&st->acc, &ck, id, out, why, sizeof why);
		cli_ckpt_free(&ck);
		if (k == BIND_OK) {
			bind_claim cl;
			bind_claim_init(&cl);
			cl.mrn = st->mrn;
			cl.asked = asked && *asked ? asked : NULL;
			cl.accepted = st->accepted;
			cl.precedence = st->precedence;
			cl.classification = st->classification;
			if (strcmp(st->cable_id, id) != 0) {
				snprintf(why, sizeof why, "cable id: the switch answered about cable %s", st->cable_id);
				k = BIND_BAD;
			} else if (strcmp(out->officer, x->ans.officer) != 0) {
				snprintf(why, sizeof why, "originating officer: its log entry says %s, this device "
							  "is %s's",
					 out->officer, x->ans.officer);
				k = BIND_BAD;
			} else if (bind_compare(&cl, out, own ? &e : NULL, NULL, own ? sub.p : NULL, sub.len, why,
						sizeof why))
				k = BIND_BAD;
		}
		if (k == BIND_OK)
			break;
		if (k == BIND_PENDING && !bind_pace_over(&pc)) {
			dp_cable_status_free(st);
			bind_pace_wait(&pc);
			continue;
		}
		if (k == BIND_PENDING)
			snprintf(why, sizeof why, "%s", NOT_LOGGED);
		ec = bind_fail(x, id, why, "nothing is shown; report its id to security operations");
		break;
	}
	if (ec)
		dp_cable_status_free(st);
	dp_envelope_free(&e);
	dp_buf_free(&sub);
	return ec;
}

int bind_sent(cli_ctx *x, dp_sent_item **items, size_t *n, bind_failure **failed, size_t *nfailed)
{
	char why[512];
	bind_pace pc = {0, 0};
	*items = NULL;
	*n = 0;
	*failed = NULL;
	*nfailed = 0;
	for (;;) {
		dp_sent_list l;
		cli_ckpt ck;
		uint64_t m = cli_log_size(x);
		int r = dp_client_sent_log(x->cl, m, &l);
		char dup[DP_HEXID];
		if (r)
			return cli_fail(x, r, NULL, "cannot list sent cables");
		if (listed_twice(l.items, l.n, sizeof *l.items, offsetof(dp_sent_item, cable_id), dup)) {
			dp_sent_list_free(&l);
			free(*items);
			free(*failed);
			*items = NULL;
			*failed = NULL;
			*n = *nfailed = 0;
			return cli_fail(x, DP_EPROTO, "nothing is listed; report this to security operations",
					"the switch's answer lists cable %s more than once in the sent list", dup);
		}
		if (!pc.deadline)
			bind_pace_start(&pc);
		int ec = bind_checkpoint(x, &l.log, m, "the sent list",
					 "nothing is listed; report this to security operations", &ck);
		if (ec) {
			dp_sent_list_free(&l);
			return ec;
		}
		size_t pending = 0;
		int last = bind_pace_over(&pc);
		free(*items);
		free(*failed);
		*items = l.n ? calloc(l.n, sizeof **items) : NULL;
		*failed = NULL;
		*n = *nfailed = 0;
		r = l.n && !*items ? DP_ENOMEM : DP_OK;
		for (size_t i = 0; !r && i < l.n; i++) {
			bind_logged lg;
			dp_sent_item it = l.items[i];
			int k = bind_entry(&l.accs[i], &ck, it.cable_id, &lg, why, sizeof why);
			if (k == BIND_OK) {
				bind_claim cl;
				bind_claim_init(&cl);
				cl.mrn = it.mrn;
				cl.accepted = it.accepted;
				cl.precedence = it.precedence;
				cl.classification = it.classification;
				if (strcmp(lg.officer, x->ans.officer) != 0) {
					snprintf(why, sizeof why, "originating officer: its log entry says %s",
						 lg.officer);
					k = BIND_BAD;
				} else if (bind_compare(&cl, &lg, NULL, NULL, NULL, 0, why, sizeof why))
					k = BIND_BAD;
			}
			if (k == BIND_OK)
				(*items)[(*n)++] = it;
			else if (k == BIND_PENDING && !last)
				pending++;
			else
				r = add_failure(failed, nfailed, it.cable_id, k == BIND_BAD ? why : NOT_LOGGED);
		}
		cli_ckpt_free(&ck);
		dp_sent_list_free(&l);
		if (r) {
			free(*items);
			free(*failed);
			*items = NULL;
			*failed = NULL;
			*n = *nfailed = 0;
			return cli_fail(x, r, NULL, "cannot check the sent list");
		}
		if (!pending)
			return EXIT_OK;
		bind_pace_wait(&pc);
	}
}
