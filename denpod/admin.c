/*
 * denpod/admin.c - operator commands (post, collective, officer, approve,
 * device, overdue, cable list).  They open the same database as a running
 * `denpod run` (WAL + busy timeout), so they work while it serves.
 *
 * Every change is an admin act in the transparency log: the change and its
 * entry (naming the operator) commit in one transaction, and the running
 * switch signs it into its next checkpoint.
 */
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "denpo/age.h"
#include "denpo/devindex.h"
#include "denpo/encoding.h"
#include "denpo/enrol.h"
#include "denpo/epoch.h"
#include "denpo/fingerprint.h"
#include "denpo/tls.h"
#include "denpod/admin.h"
#include "denpod/db.h"
#include "denpod/policy.h"
#include "denpod/store.h"
#include "denpod/tlog.h"

int dpa_open_store(const dpa_args *a, dpc_config *c, dps_store **s)
{
	char path[DPC_PATH_MAX];
	if (!a->data || !*a->data) {
		fprintf(stderr, "denpod: give --data DIR (or set DENPOD_DATA)\n");
		return 2;
	}
	if (dpc_load(c, a->data))
		return 1;
	if (dpc_store_target(c, path, sizeof path) || dps_open(s, path, 0))
		return 1;
	return 0;
}

int dpa_list_done(int r, const char *what, const char *key, void *list)
{
	if (r) {
		json_decref(list);
		return dpa_fail(r, what, NULL);
	}
	if (list)
		dp_json_print(json_pack("{s:o}", key, list));
	return 0;
}

int dpa_fail(int r, const char *what, const char *next)
{
	fprintf(stderr, "denpod: %s: %s%s%s\n", what, dp_strerror(r), next ? "; " : "", next ? next : "");
	return 1;
}

/* A log <text>: 1..DP_LOG_TEXT_MAX printable ASCII, no space at either end. */
int dpa_log_text_ok(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > DP_LOG_TEXT_MAX || t[0] == ' ' || t[n - 1] == ' ')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (t[i] < 0x20 || t[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * Who acts, for the log: --operator, else $DENPOD_OPERATOR, else the login
 * name.  0, or 2 (usage) with a message.
 */
int dpa_operator_of(const dpa_args *a, char out[DP_LOG_TEXT_MAX + 1])
{
	const char *o = a->operator_ ? a->operator_ : getenv("DENPOD_OPERATOR");
	if (!o || !*o) {
		struct passwd *pw = getpwuid(getuid());
		o = pw ? pw->pw_name : NULL;
	}
	if (!o || !dpa_log_text_ok(o)) {
		fprintf(stderr, "denpod: the operator (--operator, $DENPOD_OPERATOR or the login name) "
				"must be 1-%d printable ASCII characters\n", DP_LOG_TEXT_MAX);
		return 2;
	}
	snprintf(out, DP_LOG_TEXT_MAX + 1, "%s", o);
	return 0;
}

/* Detail of an admin entry: printable ASCII, cut at DP_LOG_TEXT_MAX (with "..."). */
static void detail_set(char out[DP_LOG_TEXT_MAX + 1], const char *d)
{
	size_t n = 0;
	for (; d[n] && n < DP_LOG_TEXT_MAX; n++)
		out[n] = d[n] >= 0x20 && d[n] <= 0x7e ? d[n] : '?';
	if (d[n])
		memcpy(out + DP_LOG_TEXT_MAX - 3, "...", 3);
	out[n] = 0;
	while (n && out[n - 1] == ' ')
		out[--n] = 0;
}

/* Appends an admin entry (inside the caller's transaction). */
static int log_admin(dps_store *s, dpl_enc *x, const char *op, const char *act, const char *detail)
{
	dp_logent *e = dpl_ent(x, DP_LOG_ADMIN, dp_now());
	snprintf(e->operator_, sizeof e->operator_, "%s", op);
	snprintf(e->act, sizeof e->act, "%s", act);
	if (detail && *detail)
		detail_set(e->text, detail);
	return dpl_put(s, x, NULL);
}

int dpa_log_admin(dps_store *s, dpl_enc *x, const char *op, const char *act, const char *detail)
{
	return log_admin(s, x, op, act, detail);
}

void dpa_said_init(dpa_said *said)
{
	dp_buf_init(&said->done, 1 << 20);
	said->why[0] = 0;
}

void dpa_said_free(dpa_said *said)
{
	dp_buf_free(&said->done);
}

void dpa_done(dpa_said *said, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	/* a NUL kept after the text, not counted in len */
	if (dp_buf_puts(&said->done, line) == DP_OK && dp_buf_append(&said->done, "", 1) == DP_OK)
		said->done.len--;
}

void dpa_why(dpa_said *said, const char *fmt, ...)
{
	size_t n = strlen(said->why);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(said->why + n, sizeof said->why - n, fmt, ap);
	va_end(ap);
}

int dpa_said_print(int r, dpa_said *said)
{
	if (!r && said->done.len)
		fwrite(said->done.p, 1, said->done.len, stdout);
	if (r && said->why[0])
		fprintf(stderr, "denpod: %s\n", said->why);
	else if (r)
		fprintf(stderr, "denpod: %s\n", dp_strerror(r));
	dpa_said_free(said);
	return r ? 1 : 0;
}

/* Commits (r == 0) or rolls back; returns r or the commit's error. */
int dpa_finish_txn(dps_store *s, int r)
{
	if (!r)
		return dps_commit(s);
	dps_rollback(s);
	return r;
}

int dpa_init(const dpa_args *a)
{
	dpc_config c;
	memset(&c, 0, sizeof c);
	if (!a->data || !*a->data) {
		fprintf(stderr, "denpod: give --data DIR (or set DENPOD_DATA)\n");
		return 2;
	}
	if (strlen(a->data) >= sizeof c.dir - 32) {
		fprintf(stderr, "denpod: --data path too long\n");
		return 2;
	}
	snprintf(c.dir, sizeof c.dir, "%s", a->data);
	snprintf(c.listen, sizeof c.listen, "%s", a->listen ? a->listen : "127.0.0.1:8443");
	if (a->url && strlen(a->url) >= sizeof c.url) {
		fprintf(stderr, "denpod: --url is at most %zu bytes (%d addresses)\n", sizeof c.url - 1,
			DP_SWITCH_URLS_MAX);
		return 2;
	}
	snprintf(c.url, sizeof c.url, "%s", a->url ? a->url : "https://127.0.0.1:8443");
	if (a->origin && strlen(a->origin) >= sizeof c.log_origin) {
		fprintf(stderr, "denpod: --origin is at most %d bytes\n", DP_NOTE_NAME_MAX);
		return 2;
	}
	snprintf(c.log_origin, sizeof c.log_origin, "%s", a->origin ? a->origin : "");
	if (a->store && (dpdb_kind_of(a->store) != DPDB_PG || strlen(a->store) >= sizeof c.store ||
			 strpbrk(a->store, " \t\r\n"))) {
		fprintf(stderr, "denpod: --store must be a PostgreSQL URI, postgresql://USER@HOST/DB "
				"(at most %zu bytes; see docs/several-switches.md); without it the switch "
				"keeps denpod.db in --data\n", sizeof c.store - 1);
		return 2;
	}
	snprintf(c.store, sizeof c.store, "%s", a->store ? a->store : "");
	int r = dpc_init(&c);
	return r == DP_EINVAL ? 2 : r ? 1 : 0;
}

int dpa_post_add(const dpa_args *a)
{
	dpc_config c;
	dps_store *s = NULL;
	if (a->npos != 1) {
		fprintf(stderr, "usage: denpod post add NAME [--hq] [--tz Asia/Tokyo] --data DIR\n");
		return 2;
	}
	if (!dp_name_ok(a->pos[0])) {
		fprintf(stderr, "denpod: a post name is 1-%d of A-Z 0-9 . _ - and single spaces, e.g. TOKYO\n",
			DP_NAME_MAX);
		return 2;
	}
	dps_post p;
	memset(&p, 0, sizeof p);
	snprintf(p.name, sizeof p.name, "%s", a->pos[0]);
	p.hq = a->hq;
	if (a->tz && (strlen(a->tz) > DPS_TZ_MAX || !*a->tz)) {
		fprintf(stderr, "denpod: --tz is an IANA zone name such as Asia/Tokyo\n");
		return 2;
	}
	snprintf(p.tz, sizeof p.tz, "%s", a->tz ? a->tz : "UTC");
	char op[DP_LOG_TEXT_MAX + 1], detail[DP_LOG_TEXT_MAX + 1];
	int e = dpa_operator_of(a, op);
	if (e || (e = dpa_open_store(a, &c, &s)))
		return e;
	snprintf(detail, sizeof detail, "%s%s tz=%s", p.name, p.hq ? " HQ" : "", p.tz);
	dpl_enc *x = dpl_enc_new();
	int r = x ? dps_begin(s) : DP_ENOMEM;
	if (!r) {
		r = dps_post_add(s, &p);
		if (!r)
			r = log_admin(s, x, op, "POST-ADD", detail);
		r = dpa_finish_txn(s, r);
	}
	dpl_enc_free(x);
	dps_close(s);
	if (r)
		return dpa_fail(r, "post add", r == DP_EEXISTS ? "that post (or collective) already exists" : NULL);
	printf("post %s added%s\n", p.name, p.hq ? " (HQ)" : "");
	return 0;
}

int dpa_collective_add(const dpa_args *a)
{
	dpc_config c;
	dps_store *s = NULL;
	if (a->npos < 2) {
		fprintf(stderr, "usage: denpod collective add NAME POST... --data DIR\n");
		return 2;
	}
	for (int i = 0; i < a->npos; i++)
		if (!dp_name_ok(a->pos[i])) {
			fprintf(stderr, "denpod: bad name '%s' (A-Z 0-9 . _ - and single spaces)\n", a->pos[i]);
			return 2;
		}
	char op[DP_LOG_TEXT_MAX + 1], detail[2048];
	int e = dpa_operator_of(a, op);
	if (e || (e = dpa_open_store(a, &c, &s)))
		return e;
	size_t used = (size_t)snprintf(detail, sizeof detail, "%s:", a->pos[0]);
	for (int i = 1; i < a->npos && used < sizeof detail; i++)
		used += (size_t)snprintf(detail + used, sizeof detail - used, "%s%s", i > 1 ? "," : " ",
					 a->pos[i]);
	dpl_enc *x = dpl_enc_new();
	int r = x ? dps_begin(s) : DP_ENOMEM;
	if (!r) {
		r = dps_collective_add(s, a->pos[0], a->pos + 1, (size_t)a->npos - 1);
		if (!r)
			r = log_admin(s, x, op, "COLLECTIVE-ADD", detail);
		r = dpa_finish_txn(s, r);
	}
	dpl_enc_free(x);
	dps_close(s);
	if (r)
		return dpa_fail(r, "collective add",
			    r == DP_ENOTFOUND ? "every member must be an existing post (denpod post add)"
			    : r == DP_EEXISTS ? "the name is taken by a post or the collective exists" : NULL);
	printf("collective %s added with %d posts\n", a->pos[0], a->npos - 1);
	return 0;
}

/* Fill the clearance/captions/roles/name options into o; 2 on a usage error. */
static int officer_opts(const dpa_args *a, dps_officer *o)
{
	if (a->clearance && dp_class_parse(a->clearance, &o->clearance)) {
		fprintf(stderr, "denpod: --clearance is UNCLASSIFIED, RESTRICTED, CONFIDENTIAL, SECRET "
				"or TOP SECRET (or U/R/C/S/TS)\n");
		return 2;
	}
	if (a->captions && dps_split_names(a->captions, o->captions, DP_MAX_CAPTIONS, &o->ncaptions)) {
		fprintf(stderr, "denpod: --captions is a comma-separated list of at most %d names\n",
			DP_MAX_CAPTIONS);
		return 2;
	}
	if (a->roles && dps_split_names(a->roles, o->roles, DP_MAX_CAPTIONS, &o->nroles)) {
		fprintf(stderr, "denpod: --roles is a comma-separated list of at most %d names\n",
			DP_MAX_CAPTIONS);
		return 2;
	}
	for (size_t i = 0; i < o->ncaptions; i++)
		if (!dp_name_ok(o->captions[i])) {
			fprintf(stderr, "denpod: bad caption '%s' (upper case, e.g. NOFORN)\n", o->captions[i]);
			return 2;
		}
	for (size_t i = 0; i < o->nroles; i++)
		if (!dp_name_ok(o->roles[i])) {
			fprintf(stderr, "denpod: bad role '%s' (upper case, e.g. COMMS)\n", o->roles[i]);
			return 2;
		}
	if (a->name) {
		/* UTF-8 text without controls: it is shown on every device (GET /v1/directory) */
		if (strlen(a->name) > DPS_FULLNAME_MAX ||
		    !dp_text_ok((const uint8_t *)a->name, strlen(a->name), 0)) {
			fprintf(stderr, "denpod: --name is one line of at most %d bytes of UTF-8 text, "
					"without control characters\n", DPS_FULLNAME_MAX);
			return 2;
		}
		snprintf(o->fullname, sizeof o->fullname, "%s", a->name);
	}
	return 0;
}

/* An officer as an admin entry's Detail: handle, post, clearance, captions, roles (no name). */
static void officer_detail(char out[DP_LOG_TEXT_MAX + 1], const dps_officer *o)
{
	char caps[512], roles[512], d[1400];
	dps_join_names(caps, sizeof caps, (char(*)[DP_NAME_MAX + 1])o->captions, o->ncaptions);
	dps_join_names(roles, sizeof roles, (char(*)[DP_NAME_MAX + 1])o->roles, o->nroles);
	snprintf(d, sizeof d, "%s post=%s clearance=%s captions=%s roles=%s", o->handle, o->post,
		 dp_class_name(o->clearance), caps[0] ? caps : "-", roles[0] ? roles : "-");
	detail_set(out, d);
}

int dpa_officer_add(const dpa_args *a)
{
	dpc_config c;
	dps_store *s = NULL;
	if (a->npos != 1 || !a->post || !a->clearance) {
		fprintf(stderr, "usage: denpod officer add HANDLE --post P --clearance C [--captions A,B] "
				"[--roles R,S] [--name \"Full Name\"] --data DIR\n");
		return 2;
	}
	if (!dp_handle_ok(a->pos[0])) {
		fprintf(stderr, "denpod: a handle is lower case a-z 0-9 . _ -, e.g. sato.k\n");
		return 2;
	}
	dps_officer o;
	memset(&o, 0, sizeof o);
	snprintf(o.handle, sizeof o.handle, "%s", a->pos[0]);
	snprintf(o.post, sizeof o.post, "%s", a->post);
	int e = officer_opts(a, &o);
	char op[DP_LOG_TEXT_MAX + 1], detail[DP_LOG_TEXT_MAX + 1];
	if (e || (e = dpa_operator_of(a, op)))
		return e;
	if ((e = dpa_open_store(a, &c, &s)))
		return e;
	officer_detail(detail, &o);
	dpl_enc *x = dpl_enc_new();
	int r = x ? dps_begin(s) : DP_ENOMEM;
	if (!r) {
		r = dps_officer_put(s, &o, 0);
		if (!r)
			r = log_admin(s, x, op, "OFFICER-ADD", detail);
		r = dpa_finish_txn(s, r);
	}
	dpl_enc_free(x);
	dps_close(s);
	if (r)
		return dpa_fail(r, "officer add",
			    r == DP_ENOTFOUND ? "add the post first (denpod post add)"
			    : r == DP_EEXISTS ? "that handle exists" : NULL);
	printf("officer %s added at %s, cleared %s\n", o.handle, o.post, dp_class_name(o.clearance));
	return 0;
}

/* A list of names as a JSON array. */
static json_t *names_json(const char (*names)[DP_NAME_MAX + 1], size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(names[i]));
	return a;
}

/* The callbacks of the lists: ctx NULL prints a table row, else appends to the JSON array ctx. */
static int print_officer(void *ctx, const dps_officer *o)
{
	char caps[512], roles[512];
	if (ctx) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "handle", o->handle, "post", o->post,
				      "clearance", dp_class_name(o->clearance), "status",
				      dps_status_name(o->status), "name", o->fullname);
		json_object_set_new(j, "captions", names_json(o->captions, o->ncaptions));
		json_object_set_new(j, "roles", names_json(o->roles, o->nroles));
		return json_array_append_new(ctx, j) ? DP_ENOMEM : DP_OK;
	}
	dps_join_names(caps, sizeof caps, (char(*)[DP_NAME_MAX + 1])o->captions, o->ncaptions);
	dps_join_names(roles, sizeof roles, (char(*)[DP_NAME_MAX + 1])o->roles, o->nroles);
	printf("%-20s %-12s %-13s %-9s captions=%s roles=%s %s\n", o->handle, o->post,
	       dp_class_name(o->clearance), dps_status_name(o->status), caps, roles, o->fullname);
	return DP_OK;
}

int dpa_officer_list(const dpa_args *a)
{
	dpc_config c;
	dps_store *s = NULL;
	int e = dpa_open_store(a, &c, &s);
	if (e)
		return e;
	json_t *list = a->json ? json_array() : NULL;
	int r = dps_officer_list(s, print_officer, list);
	dps_close(s);
	return dpa_list_done(r, "officer list", "officers", list);
}

/* A date for the operator, UTC. */
static void utc(char out[32], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%d %H:%M UTC", &tm))
		snprintf(out, 32, "%lld", (long long)t);
}

/*
 * Stores the officer (if put_officer), the device and its first epoch key
 * (the request's) in one transaction with their log entries (officer-set,
 * device-enrolled, key-published): a device is never enrolled without a
 * key record, nor either without its entry.
 */
_Static_assert(DP_DEVREC_MAX == 64, "approve's message names the limit");

static int count_device(void *ctx, const dps_device *d)
{
	(void)d;
	(*(size_t *)ctx)++;
	return DP_OK;
}

static int add_device(dps_store *s, const dps_officer *o, int put_officer, const dps_device *d,
		      const dp_epoch_key *k, const uint8_t *rec, size_t len, dps_epoch_pub *pub,
		      const char *op)
{
	memset(pub, 0, sizeof *pub);
	dpl_enc *x = dpl_enc_new();
	if (!x)
		return DP_ENOMEM;
	char detail[DP_LOG_TEXT_MAX + 1];
	uint64_t next = 0;
	int r = dps_begin(s);
	if (r) {
		dpl_enc_free(x);
		return r;
	}
	if (put_officer) {
		officer_detail(detail, o);
		r = dps_officer_put(s, o, 1);
		if (!r)
			r = log_admin(s, x, op, "OFFICER-SET", detail);
	}
	/* the officer index lists every device ever enrolled for an officer, up to a limit */
	size_t ndev = 0;
	if (!r)
		r = dps_device_list(s, o->handle, count_device, &ndev);
	if (!r && ndev >= DP_DEVREC_MAX)
		r = DP_ETOOBIG;
	if (!r)
		r = dps_device_add(s, d);
	if (!r) {
		dp_logent *e = dpl_ent(x, DP_LOG_DEVICE_ENROLLED, d->created);
		memcpy(e->device, d->id, DP_ED25519_PK);
		memcpy(e->tls_key, d->tls_key, DP_ED25519_PK);
		snprintf(e->officer, sizeof e->officer, "%s", o->handle);
		snprintf(e->post, sizeof e->post, "%s", o->post);
		snprintf(e->name, sizeof e->name, "%s", d->name);
		snprintf(e->operator_, sizeof e->operator_, "%s", op);
		uint64_t eidx = 0;
		r = dpl_put(s, x, &eidx);
		if (!r) /* resolve answers it with its inclusion proof (transparency.md §3) */
			r = dps_device_set_log_idx(s, d->id, (int64_t)eidx);
	}
	if (!r)
		r = dps_log_next(s, &next);
	pub->k = k;
	pub->record = rec;
	pub->len = len;
	pub->now = d->created;
	pub->enrol = 1; /* stored even if it expired while the request travelled */
	pub->log_idx = (int64_t)next;
	if (!r)
		r = dps_epoch_put(s, pub);
	if (!r && pub->duplicate)
		r = DP_EEXISTS; /* cannot be: the device is new */
	if (!r) {
		dp_logent *e = dpl_ent(x, DP_LOG_KEY_PUBLISHED, d->created);
		memcpy(e->device, d->id, DP_ED25519_PK);
		e->epoch = k->epoch;
		e->record = rec;
		e->record_len = len;
		r = dpl_put(s, x, NULL);
	}
	dpl_enc_free(x);
	return dpa_finish_txn(s, r);
}

/*
 * --expect did not match: nothing is approved, and the attempt is logged
 * (admin ENROL-REFUSED), for a request swapped on its way to the operator
 * is an attack on the enrolment that auditors should see.
 */
static int approve_refused(const dpa_args *a, const dp_enrol_request *q, const char *fp,
			   const char *op)
{
	dpc_config c;
	dps_store *s = NULL;
	char hex[65], detail[DP_LOG_TEXT_MAX + 1];
	dp_hex_encode(hex, q->sign_pk, 32);
	snprintf(detail, sizeof detail, "request of device %s (%s) for officer %s at %s: fingerprint %s, "
		 "not the one the operator expected", hex, q->device_name, q->officer, q->post, fp);
	int e = dpa_open_store(a, &c, &s);
	if (e)
		return e;
	dpl_enc *x = dpl_enc_new();
	int r = x ? dps_begin(s) : DP_ENOMEM;
	if (!r)
		r = dpa_finish_txn(s, log_admin(s, x, op, "ENROL-REFUSED", detail));
	dpl_enc_free(x);
	dps_close(s);
	fprintf(stderr, "denpod: approve: REFUSED: the request's fingerprint is\n  %s\nnot the one "
			"given with --expect.  Nothing was approved%s.\n"
			"  -> this request may not be the one officer %s made: do not approve it.  Ask the "
			"officer to read the fingerprint that `denpo init` showed once more; if it still "
			"differs, have a new request made and brought to you in person.\n",
		fp, r ? "" : " (logged as ENROL-REFUSED)", q->officer);
	if (r)
		dpa_fail(r, "approve: logging the refusal", NULL);
	return 1;
}

int dpa_approve(const dpa_args *a)
{
	dpc_config c;
	dps_store *s = NULL;
	if (a->npos != 1 || !a->out) {
		fprintf(stderr, "usage: denpod approve REQUEST_FILE --out ANSWER_FILE [--expect FINGERPRINT] "
				"[--clearance C] [--captions A,B] [--roles R,S] [--name \"Full Name\"] "
				"--data DIR\n");
		return 2;
	}
	char want[DP_FP_DIGITS + 1];
	if (a->expect && dp_fp_parse(a->expect, want)) {
		fprintf(stderr, "denpod: approve: --expect \"%.60s%s\" is not a request fingerprint: give "
				"the 40 digits (8 groups of 5) the officer reads from `denpo init`\n",
			a->expect, strlen(a->expect) > 60 ? "..." : "");
		return 2;
	}
	dp_buf b;
	dp_buf_init(&b, DP_ENROL_MAX);
	dp_enrol_request q;
	char fp[DP_FP_STR];
	int r = dp_read_file(a->pos[0], &b);
	if (!r)
		r = dp_enrol_request_decode(&q, b.p, b.len);
	if (!r)
		r = dp_enrol_fingerprint(b.p, b.len, fp);
	dp_buf_free(&b);
	if (r)
		return dpa_fail(r, "enrolment request",
			    r == DP_ESIG ? "the request is not signed by its Sign-Key: do not approve it"
					 : "is it a DENPO-ENROL-REQUEST/1 file written by denpo init?");
	/* the device's first epoch key, as the record senders will get (signed by the device) */
	dp_epoch_key k;
	memset(&k, 0, sizeof k);
	memcpy(k.device, q.sign_pk, DP_ED25519_PK);
	k.epoch = q.epoch;
	k.not_before = q.key_not_before;
	k.not_after = q.key_not_after;
	snprintf(k.age_recipient, sizeof k.age_recipient, "%s", q.age_recipient);
	static uint8_t rec[DP_EPOCH_KEY_MAX]; /* public: the record senders get */
	size_t reclen = 0;
	char op[DP_LOG_TEXT_MAX + 1];
	if ((r = dpa_operator_of(a, op)))
		return r;
	if (a->expect && !dp_fp_matches(fp, a->expect))
		return approve_refused(a, &q, fp, op);
	dp_buf rb;
	dp_buf_init(&rb, DP_EPOCH_KEY_MAX);
	r = dp_epoch_key_encode_sig(&k, q.key_sig, &rb);
	if (!r) {
		memcpy(rec, rb.p, rb.len);
		reclen = rb.len;
	}
	dp_buf_free(&rb);
	if (r)
		return dpa_fail(r, "the request's first epoch key",
			    "the request is damaged or was not written by denpo init: do not approve it");
	int e = dpa_open_store(a, &c, &s);
	if (e)
		return e;
	dps_officer o;
	r = dps_officer_get(s, q.officer, &o);
	if (r == DP_ENOTFOUND) {
		/* a new officer needs at least a clearance from the operator */
		if (!a->clearance) {
			dps_close(s);
			fprintf(stderr, "denpod: officer %s does not exist; add it (denpod officer add) "
					"or pass --clearance (and --captions/--roles)\n", q.officer);
			return 1;
		}
		memset(&o, 0, sizeof o);
		snprintf(o.handle, sizeof o.handle, "%s", q.officer);
		snprintf(o.post, sizeof o.post, "%s", q.post);
		r = DP_OK;
	} else if (r) {
		dps_close(s);
		return dpa_fail(r, "approve", NULL);
	} else if (strcmp(o.post, q.post) != 0) {
		dps_close(s);
		fprintf(stderr, "denpod: officer %s is at post %s, but the request says %s; refusing\n",
			o.handle, o.post, q.post);
		return 1;
	} else if (o.status != DPS_ACTIVE) {
		dps_close(s);
		fprintf(stderr, "denpod: officer %s is %s\n", o.handle, dps_status_name(o.status));
		return 1;
	}
	if ((e = officer_opts(a, &o))) {
		dps_close(s);
		return e;
	}
	dps_device d;
	memset(&d, 0, sizeof d);
	memcpy(d.id, q.sign_pk, 32);
	memcpy(d.tls_key, q.tls_pk, 32);
	snprintf(d.officer, sizeof d.officer, "%s", o.handle);
	snprintf(d.name, sizeof d.name, "%s", q.device_name);
	d.status = DPS_ACTIVE;
	d.created = dp_now();
	dps_epoch_pub pub;
	/* the log key first: an approval that cannot tell the device the log key changes nothing */
	char vk[DP_NOTE_VKEY_MAX + 1];
	if ((r = dpl_vkey(&c, vk, sizeof vk))) {
		dps_close(s);
		return dpa_fail(r, "approve", "the log key (log.key) cannot be read");
	}
	r = add_device(s, &o, a->clearance || a->captions || a->roles || a->name, &d, &k, rec,
		       reclen, &pub, op);
	dps_close(s);
	if (r == DP_ESTATE && pub.rule == DPS_EPR_AHEAD) {
		char t[32];
		utc(t, k.not_before);
		fprintf(stderr, "denpod: approve: the device's first key starts at %s, more than %d days "
				"from now: the device's clock is wrong; have it fixed and a new request "
				"made (denpo init)\n", t, DP_EPOCH_MAX_AHEAD / 86400);
		return 1;
	}
	if (r)
		return dpa_fail(r, "approve", r == DP_EEXISTS ? "this device (or its TLS key) is already enrolled"
					  : r == DP_ENOTFOUND ? "the request's post does not exist (denpod post add)"
					  : r == DP_ESTATE ? "the request's first key cannot be stored"
					  : r == DP_ETOOBIG ? "the officer has had 64 devices, revoked ones "
							      "included, and the officer index lists no more "
							      "(docs/transparency.md §6)"
							   : NULL);

	r = dpa_answer_write(&c, &o, d.id, d.created, vk, a->out);
	if (r)
		return dpa_fail(r, "writing the answer",
			    r == DP_EEXISTS ? "the --out file exists; choose another name (the device is "
					      "enrolled: revoke it or re-run with a new file)" : NULL);
	char hex[65];
	dp_hex_encode(hex, d.id, 32);
	printf("device %s of officer %s at %s approved; give %s to the device (denpo enrol --import)\n"
	       "fingerprint %s\n",
	       hex, o.handle, o.post, a->out, fp);
	if (!a->expect)
		printf("check: the officer reads you the fingerprint `denpo init` showed; it must be these "
		       "digits.  If it is not, this request was not theirs: revoke the device at once "
		       "(denpod device revoke %.16s).  Next time approve with --expect \"DIGITS READ\" "
		       "and a mismatch approves nothing.\n",
		       hex);
	if (k.not_after <= d.created) {
		/* kept: the device publishes fresh keys the first time it connects */
		char t[32];
		utc(t, k.not_after);
		printf("note: the device's first key (epoch %lu) expired at %s, so nobody can send to "
		       "it until it connects once (any denpo command publishes new keys)\n",
		       (unsigned long)k.epoch, t);
	}
	return 0;
}

struct device_list {
	int64_t now;
	json_t *list; /* NULL: a table */
};

static int print_device(void *ctx, const dps_device *d)
{
	char hex[65], key[80];
	const struct device_list *dl = ctx;
	const dps_window *w = dpp_current(d, dl->now);
	dp_hex_encode(hex, d->id, 32);
	if (dl->list) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "id", hex, "officer", d->officer, "status",
				      dps_status_name(d->status), "name", d->name);
		json_object_set_new(j, "epoch", w ? json_integer(w->epoch) : json_null());
		json_object_set_new(j, "key_not_after", w ? json_integer(w->not_after) : json_null());
		return json_array_append_new(dl->list, j) ? DP_ENOMEM : DP_OK;
	}
	if (w) {
		char t[32];
		utc(t, w->not_after);
		snprintf(key, sizeof key, "epoch=%lu until %s", (unsigned long)w->epoch, t);
	} else {
		snprintf(key, sizeof key, "no current key");
	}
	printf("%s %-20s %-9s %s %s\n", hex, d->officer, dps_status_name(d->status), key, d->name);
	return DP_OK;
}

struct retire_ctx {
	dps_store *s;
	dpl_enc *x;
	const uint8_t *device;
	int64_t t;
};

static int retire_one(void *ctx, uint32_t epoch)
{
	struct retire_ctx *c = ctx;
	dp_logent *e = dpl_ent(c->x, DP_LOG_KEY_RETIRED, c->t);
	memcpy(e->device, c->device, DP_ED25519_PK);
	e->epoch = epoch;
	snprintf(e->text, sizeof e->text, "device revoked");
	return dpl_put(c->s, c->x, NULL);
}

/*
 * The device-suspended/-reinstated/-revoked entry; a revocation also
 * retires every key of the device not retired yet (key-retired, "device
 * revoked"): nothing may be encrypted to them any more.
 */
static int log_device(dps_store *s, dpl_enc *x, const dps_device *d, int status, const char *op,
		      const char *reason)
{
	int64_t now = dp_now();
	int ev = status == DPS_SUSPENDED ? DP_LOG_DEVICE_SUSPENDED
		 : status == DPS_ACTIVE	 ? DP_LOG_DEVICE_REINSTATED
					 : DP_LOG_DEVICE_REVOKED;
	dp_logent *e = dpl_ent(x, ev, now);
	memcpy(e->device, d->id, DP_ED25519_PK);
	snprintf(e->operator_, sizeof e->operator_, "%s", op);
	if (reason)
		snprintf(e->text, sizeof e->text, "%s", reason);
	int r = dpl_put(s, x, NULL);
	if (!r && status == DPS_REVOKED) {
		struct retire_ctx rc = {s, x, d->id, now};
		r = dps_epoch_retire(s, d->id, INT64_MAX, retire_one, &rc);
	}
	return r;
}

int dpa_devices_json(dps_store *s, int64_t now, json_t **out)
{
	struct device_list dl = {now, json_array()};
	int r = dl.list ? dps_device_list(s, NULL, print_device, &dl) : DP_ENOMEM;
	if (r) {
		json_decref(dl.list);
		dl.list = NULL;
	}
	*out = dl.list;
	return r;
}

int dpa_device_set(const dpc_config *c, dps_store *s, const char *device, int status,
		   const char *op, const char *reason, int *go, dpa_said *said)
{
	dps_device d;
	dpl_enc *x = dpl_enc_new();
	char hex[65];
	struct dpa_steps steps = {.n = 0};
	*go = 1;
	int r = x ? dps_begin(s) : DP_ENOMEM;
	if (!r) {
		r = dps_device_find(s, device, &d);
		if (!r && status == DPS_REVOKED && d.status == DPS_REVOKED)
			r = DP_ESTATE;
		/* revocation is final: two different operators (docs/detection.md) */
		hex[0] = 0;
		if (!r)
			dp_hex_encode(hex, d.id, 32);
		if (!r && status == DPS_REVOKED)
			r = dpa_two_person(s, x, "device-revoke", hex, op, reason, go, said);
		if (!r && *go)
			r = dps_device_set_status(s, d.id, status);
		if (!r && *go)
			r = log_device(s, x, &d, status, op, reason);
		if (!r && *go)
			r = dpa_steps_on_status(s, x, d.id, status, op, &steps);
		r = dpa_finish_txn(s, r);
	}
	if (!r && steps.n)
		dpa_emit_steps(c, s, op, &steps);
	dpl_enc_free(x);
	const char *verb = status == DPS_SUSPENDED ? "suspend" : status == DPS_ACTIVE ? "reinstate"
											 : "revoke";
	if (r && r != DP_EDENIED && !said->why[0])
		dpa_why(said, "%s: %s%s", verb, dp_strerror(r),
			r == DP_EEXISTS ? "; the prefix matches several devices; give more digits"
			: r == DP_ENOTFOUND ? "; no such device (denpod device list)"
			: r == DP_ESTATE ? "; the device is revoked, which is final"
			: r == DP_EPARSE ? "; a device is given by hex digits" : "");
	if (!r && !*go)
		dpa_done(said, "revocation of device %s (officer %s) is requested by %s; it takes effect "
			 "when a different operator does the same within %d h\n", hex, d.officer, op,
			 DPA_APPROVAL_SECONDS / 3600);
	else if (!r)
		dpa_done(said, "device %s (officer %s) is now %s\n", hex, d.officer,
			 dps_status_name(status));
	return r;
}

int dpa_device(const dpa_args *a)
{
	const char *verb = a->verb;
	dpc_config c;
	dps_store *s = NULL;
	int status = -1;
	if (strcmp(verb, "suspend") == 0)
		status = DPS_SUSPENDED;
	else if (strcmp(verb, "reinstate") == 0)
		status = DPS_ACTIVE;
	else if (strcmp(verb, "revoke") == 0)
		status = DPS_REVOKED;
	else if (strcmp(verb, "list") != 0) {
		fprintf(stderr, "usage: denpod device list|suspend|reinstate|revoke [DEVICE] --data DIR\n");
		return 2;
	}
	if ((status < 0 && a->npos != 0) || (status >= 0 && a->npos != 1)) {
		fprintf(stderr, "usage: denpod device %s%s --data DIR\n", verb,
			status >= 0 ? " DEVICE (hex id or a unique prefix) [--reason TEXT] [--operator NAME]"
				    : "");
		return 2;
	}
	char op[DP_LOG_TEXT_MAX + 1];
	int e = status >= 0 ? dpa_operator_of(a, op) : 0;
	if (!e && a->reason && status >= 0 && !dpa_log_text_ok(a->reason)) {
		fprintf(stderr, "denpod: --reason is 1-%d printable ASCII characters\n", DP_LOG_TEXT_MAX);
		e = 2;
	}
	if (e || (e = dpa_open_store(a, &c, &s)))
		return e;
	int r;
	if (status < 0) {
		struct device_list dl = {dp_now(), NULL};
		json_t *j = NULL;
		r = a->json ? dpa_devices_json(s, dl.now, &j) : dps_device_list(s, NULL, print_device, &dl);
		dps_close(s);
		return dpa_list_done(r, "device list", "devices", j);
	}
	dpa_said said;
	dpa_said_init(&said);
	int go;
	r = dpa_device_set(&c, s, a->pos[0], status, op, a->reason, &go, &said);
	dps_close(s);
	return dpa_said_print(r, &said);
}

struct overdue_list {
	int64_t now;
	json_t *list; /* NULL: a table */
};

static int print_overdue(void *ctx, const dps_cable *c, const dps_rcpt *r)
{
	char hex[65];
	const struct overdue_list *ol = ctx;
	dp_hex_encode(hex, r->device, 32);
	long late = (long)(ol->now - c->accepted - dp_prec_objective(r->prec));
	if (ol->list) {
		char cid[33];
		dp_hex_encode(cid, c->cable_id, DP_CABLE_ID);
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:b}", "mrn", c->mrn, "cable_id", cid,
				      "precedence", dp_prec_name(r->prec), "device", hex, "role",
				      dp_role_name(r->role), "late_seconds",
				      (json_int_t)late, "fetched", r->delivered != 0);
		return json_array_append_new(ol->list, j) ? DP_ENOMEM : DP_OK;
	}
	hex[16] = 0;
	printf("%-22s %-9s device %s... %s, %lds late%s\n", c->mrn, dp_prec_name(r->prec), hex,
	       dp_role_name(r->role), late,
	       r->delivered ? "" : " (not even fetched)");
	return DP_OK;
}

int dpa_overdue_json(dps_store *s, int64_t now, json_t **out)
{
	struct overdue_list ol = {now, json_array()};
	int r = ol.list ? dps_overdue(s, now, NULL, print_overdue, &ol) : DP_ENOMEM;
	if (r) {
		json_decref(ol.list);
		ol.list = NULL;
	}
	*out = ol.list;
	return r;
}

int dpa_overdue(const dpa_args *a)
{
	dpc_config c;
	dps_store *s = NULL;
	int e = dpa_open_store(a, &c, &s);
	if (e)
		return e;
	struct overdue_list ol = {dp_now(), NULL};
	json_t *j = NULL;
	int r = a->json ? dpa_overdue_json(s, ol.now, &j) : dps_overdue(s, ol.now, NULL, print_overdue, &ol);
	dps_close(s);
	return dpa_list_done(r, "overdue", "overdue", j);
}

static int print_cable(void *ctx, const dps_cable *c)
{
	char hex[33];
	dp_hex_encode(hex, c->cable_id, DP_CABLE_ID);
	if (ctx) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "mrn", c->mrn, "cable_id", hex,
				      "precedence", dp_prec_name(c->prec_action), "classification",
				      dp_class_name(c->classification), "from_post", c->from_post,
				      "officer", c->officer, "size", (json_int_t)c->size);
		return json_array_append_new(ctx, j) ? DP_ENOMEM : DP_OK;
	}
	printf("%-22s %s %-9s %-12s from %-10s by %-16s %llu bytes\n", c->mrn, hex,
	       dp_prec_name(c->prec_action), dp_class_name(c->classification), c->from_post,
	       c->officer, (unsigned long long)c->size);
	return DP_OK;
}

int dpa_cable_list(const dpa_args *a)
{
	dpc_config c;
	dps_store *s = NULL;
	int e = dpa_open_store(a, &c, &s);
	if (e)
		return e;
	json_t *list = a->json ? json_array() : NULL;
	int r = dps_cable_list(s, 1000, print_cable, list);
	dps_close(s);
	return dpa_list_done(r, "cable list", "cables", list);
}
