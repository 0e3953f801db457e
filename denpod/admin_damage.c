/*
 * denpod/admin_damage.c - the operator's commands for damage to the
 * switch's database (docs/operations.md, "Damage and recovery"): `denpod
 * check`, the fsck, and `denpod cable restore`, the repair of a cable's
 * stored bytes from any good copy.
 *
 * `denpod check`:
 * In one read snapshot, beside a running switch or on a stopped one:
 * SQLite's integrity_check; the whole transparency log (the walk of
 * `denpod log verify`); every stored cable's bytes against the
 * Envelope-Hash of its cable-accepted entry (denpod/check.h); and the
 * cross-references that cost an index lookup each:
 *   - every cable-accepted entry (part 1) has its cable, whose row points
 *     back at it, and every device-enrolled entry its device;
 *   - every cable's row says what its entry says (MRN, originator,
 *     officer, post, classification, precedence), the digest stored beside
 *     its bytes is the entry's, and its delivery rows are exactly the
 *     recipients (device and key epoch) its entries list;
 *   - the archive's record states (records_state) are what the log's
 *     records entries make of them, replayed through dp_records_apply, and
 *     records_log lists each of those entries (the export's proofs).
 * Each damaged copy is one line on stdout, with where it is; then the
 * archive's configuration against the directory (dpp_records_warnings),
 * as warnings that do not change the exit status.  Exit 0:
 * nothing found; 1: damage, or a database that cannot be read at all;
 * 2: usage.
 *
 * `denpod cable restore ID FILE`: the sender's device keeps every
 * submission (HOME/sent/ID.cable), each recipient's device the bytes it
 * fetched (HOME/cache/ID.cable), and a backup the row: any of them is the
 * cable if it hashes to the Envelope-Hash of the cable's cable-accepted
 * entry, which is all this trusts.  The bytes are replaced in one
 * transaction with an admin entry (CABLE-RESTORE) that says so.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "denpo/encoding.h"
#include "denpo/envelope.h"
#include "denpod/admin.h"
#include "denpod/check.h"
#include "denpod/policy.h"
#include "denpod/scrub.h"
#include "denpod/tlog.h"

#define PRINT_MAX 1000 /* damage lines printed; the rest are counted */

struct chk {
	dps_store *s;
	FILE *out; /* the report */
	uint64_t damaged;
	uint64_t cables;
	dp_buf data;
	dp_logent *e, *part; /* a cable's first entry; its other parts */
	dp_log_rcpt *want;   /* the recipients its entries list */
	size_t nwant, awant;
	size_t ngot;         /* delivery rows compared so far */
	int rows_bad;
	struct rec_act *recs; /* the records entries that change a record copy's state */
	size_t nrecs, arecs;
};

static void damage(struct chk *x, dpo_damage *d)
{
	snprintf(d->found_by, sizeof d->found_by, "check");
	if (++x->damaged > PRINT_MAX)
		return;
	dp_buf b;
	dp_buf_init(&b, DPO_LINE_MAX);
	if (dpo_damage_summary(d, &b) == DP_OK)
		fprintf(x->out, "check: DAMAGE %.*s\n", (int)b.len, (const char *)b.p);
	else
		fprintf(x->out, "check: DAMAGE %s: %s\n", d->part, d->detail);
	dp_buf_free(&b);
}

__attribute__((format(printf, 5, 6))) static void found(struct chk *x, const char *part,
							const dps_cable *c, int64_t log_index,
							const char *fmt, ...)
{
	dpo_damage d;
	char detail[DPO_DETAIL_MAX + 1];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	dpk_damage(&d, part, c, log_index, "%s", detail);
	damage(x, &d);
}

/* ---- the database file ---- */

static void db_problem(void *ctx, const char *line)
{
	found(ctx, "database", NULL, -1, "SQLite's integrity_check: %s", line);
}

/* ---- the log, and what its entries point at ---- */

/* A records entry that changes a record copy's state (not a read, export or search). */
struct rec_act {
	uint8_t id[DP_CABLE_ID];
	char mrn[DP_MRN_MAX + 1];
	uint64_t idx;
	int64_t t;
	int act;
	char officer[DP_NAME_MAX + 1];
	char detail[DP_LOG_TEXT_MAX + 1];
};

static int rec_keep(struct chk *x, uint64_t idx, const dp_logent *e)
{
	int act = 0;
	if (e->event != DP_LOG_RECORDS || !e->mrn[0] || dp_records_act_parse(e->act, &act) ||
	    dp_log_records_reads(act))
		return DP_OK;
	if (x->nrecs == x->arecs) {
		size_t na = x->arecs ? 2 * x->arecs : 64;
		struct rec_act *p = realloc(x->recs, na * sizeof *p);
		if (!p)
			return DP_ENOMEM;
		x->recs = p;
		x->arecs = na;
	}
	struct rec_act *a = &x->recs[x->nrecs++];
	memcpy(a->id, e->cable_id, DP_CABLE_ID);
	snprintf(a->mrn, sizeof a->mrn, "%s", e->mrn);
	a->idx = idx;
	a->t = e->time;
	a->act = act;
	snprintf(a->officer, sizeof a->officer, "%s", e->officer);
	snprintf(a->detail, sizeof a->detail, "%s", e->text);
	return DP_OK;
}

static void log_problem(void *ctx, const dpl_problem *p)
{
	found(ctx, p->part, NULL, p->at > INT64_MAX ? -1 : (int64_t)p->at, "%s", p->msg);
}

static int log_entry(void *ctx, uint64_t idx, const dp_logent *e)
{
	struct chk *x = ctx;
	char hex[65];
	int r = rec_keep(x, idx, e);
	if (r)
		return r;
	if (e->event == DP_LOG_CABLE_ACCEPTED && e->part == 1) {
		dps_cable c;
		r = dps_cable_get(x->s, e->cable_id, &c);
		dp_hex_encode(hex, e->cable_id, DP_CABLE_ID);
		if (r == DP_ENOTFOUND)
			found(x, "cable", NULL, (int64_t)idx, "log entry %llu accepted cable %s (%s), which "
				"is not stored", (unsigned long long)idx, hex, e->mrn);
		else if (!r && c.log_idx != (int64_t)idx)
			found(x, "cable", &c, (int64_t)idx, "its row points to log entry %lld, but its "
				"cable-accepted entry is %llu", (long long)c.log_idx, (unsigned long long)idx);
	} else if (e->event == DP_LOG_DEVICE_ENROLLED) {
		dps_device d;
		int64_t at = -1;
		r = dps_device_get(x->s, e->device, &d);
		if (!r)
			r = dps_device_log_idx(x->s, e->device, &at);
		dp_hex_encode(hex, e->device, 32);
		if (r == DP_ENOTFOUND)
			found(x, "device", NULL, (int64_t)idx, "log entry %llu enrolled device %.16s..., "
				"which is not stored", (unsigned long long)idx, hex);
		else if (!r && (at != (int64_t)idx || memcmp(d.tls_key, e->tls_key, 32) != 0))
			found(x, "device", NULL, (int64_t)idx, "device %.16s...: its row (%s) is not what "
				"its device-enrolled entry %llu says", hex,
				at != (int64_t)idx ? "log index" : "TLS key", (unsigned long long)idx);
	}
	/* a row that cannot be read is damage found by integrity_check; go on */
	return r == DP_ESTORE || r == DP_ENOTFOUND ? DP_OK : r;
}

static int check_log(struct chk *x, const dp_note_vkey *vk)
{
	dpl_walk_cb cb = {log_problem, x, log_entry, x};
	dpl_walk *w = NULL;
	unsigned problems = 0;
	uint64_t ncp = 0, at = 0, before = x->damaged;
	int r = dpl_walk_begin(&w, x->s, vk, 0, NULL, 1, &cb);
	if (!r)
		r = dpl_walk_finish(w, UINT64_MAX, &at, NULL, &problems, &ncp);
	if (r) {
		found(x, "log", NULL, -1, "the log cannot be read: %s", dp_strerror(r));
		return r;
	}
	if (!ncp)
		found(x, "log", NULL, -1, "no checkpoint is stored (has denpod run ever started?)");
	fprintf(x->out, "check: log: %llu checkpoints up to %llu verified under %s: %s\n",
	       (unsigned long long)ncp, (unsigned long long)at, vk->name,
	       x->damaged == before ? "ok" : "DAMAGED");
	return DP_OK;
}

/* ---- cables ---- */

struct part_read {
	struct chk *x;
	const dps_cable *c;
	uint64_t first;
	uint32_t n; /* parts read */
	int bad;
};

static int want_add(struct chk *x, const dp_logent *e)
{
	if (x->nwant + e->nrcpts > x->awant) {
		size_t na = x->awant ? 2 * x->awant : 512;
		while (na < x->nwant + e->nrcpts)
			na *= 2;
		dp_log_rcpt *p = realloc(x->want, na * sizeof *p);
		if (!p)
			return DP_ENOMEM;
		x->want = p;
		x->awant = na;
	}
	memcpy(x->want + x->nwant, e->rcpts, e->nrcpts * sizeof *e->rcpts);
	x->nwant += e->nrcpts;
	return DP_OK;
}

/* Parts 2.. of a cable's cable-accepted entries: the rest of its recipients. */
static int part_one(void *ctx, uint64_t idx, const uint8_t *p, size_t len)
{
	struct part_read *pr = ctx;
	dp_logent *e = pr->x->part;
	uint64_t k = idx - pr->first + 1;
	pr->n++;
	if (dp_logent_decode(e, p, len) != DP_OK || e->event != DP_LOG_CABLE_ACCEPTED ||
	    e->part != k || memcmp(e->cable_id, pr->c->cable_id, DP_CABLE_ID) != 0) {
		pr->bad = 1;
		return 1; /* stop: reported by the caller */
	}
	return want_add(pr->x, e);
}

static int rcpt_row(void *ctx, const dps_rcpt *r)
{
	struct chk *x = ctx;
	size_t i = x->ngot++;
	if (i >= x->nwant || memcmp(r->device, x->want[i].device, 32) != 0 ||
	    r->epoch != x->want[i].epoch)
		x->rows_bad = 1;
	return DP_OK;
}

/* The row and the delivery rows of a cable whose bytes its entry vouches for (in x->e). */
static int cross_check(struct chk *x, const dps_cable *c, const uint8_t digest[32])
{
	const dp_logent *e = x->e;
	const char *field = strcmp(c->mrn, e->mrn) ? "MRN"
			    : memcmp(c->from_device, e->device, 32) ? "originating device"
			    : strcmp(c->officer, e->officer) ? "officer"
			    : strcmp(c->from_post, e->post) ? "post"
			    : c->classification != e->classification ? "classification"
			    : c->prec_action != e->prec_action || c->prec_info != e->prec_info ? "precedence"
			    : memcmp(digest, e->envelope_hash, 32) ? "digest beside its bytes"
												   : NULL;
	if (field)
		found(x, "cable", c, c->log_idx, "its row's %s is not what its cable-accepted entry %lld "
			"says", field, (long long)c->log_idx);
	x->nwant = 0;
	int r = want_add(x, e);
	struct part_read pr = {x, c, (uint64_t)c->log_idx, 1, 0};
	if (!r && e->parts > 1)
		r = dps_log_entries(x->s, (uint64_t)c->log_idx + 1, e->parts - 1, part_one, &pr);
	if (r == 1)
		r = DP_OK;
	if (!r && (pr.bad || pr.n != e->parts)) {
		found(x, "log-entry", c, c->log_idx, "its %u cable-accepted entries from %lld are not "
			"all there", e->parts, (long long)c->log_idx);
		return DP_OK;
	}
	x->ngot = 0;
	x->rows_bad = 0;
	if (!r)
		r = dps_rcpts(x->s, c->seq, rcpt_row, x);
	if (!r && (x->rows_bad || x->ngot != x->nwant))
		found(x, "cable", c, c->log_idx, "its delivery rows (%zu) are not the recipients its "
			"cable-accepted entries list (%zu): a device or key epoch differs", x->ngot,
			x->nwant);
	return r == DP_ESTORE ? DP_OK : r; /* unreadable rows: integrity_check's to report */
}

static int cable_one(void *ctx, const dps_cable *c, const uint8_t digest[32])
{
	struct chk *x = ctx;
	dpo_damage d;
	x->cables++;
	int r = dpk_cable_read(x->s, c, &x->data, x->e, &d);
	if (r == DP_ESTATE) {
		damage(x, &d);
		return DP_OK;
	}
	if (r) {
		found(x, "cable", c, c->log_idx, "cannot be read: %s", dp_strerror(r));
		return DP_OK;
	}
	return c->log_idx >= 0 ? cross_check(x, c, digest) : DP_OK;
}

static void check_cables(struct chk *x)
{
	uint64_t before = x->damaged;
	int r = dps_cable_scan(x->s, 0, SIZE_MAX, cable_one, x);
	if (r)
		found(x, "database", NULL, -1, "the cables cannot be read: %s", dp_strerror(r));
	fprintf(x->out, "check: cables: %llu checked against their log entries: %s\n",
	       (unsigned long long)x->cables, x->damaged == before ? "ok" : "DAMAGED");
}

/* ---- the archive's record states ---- */

/* The log indices records_log lists for one cable. */
struct idx_set {
	int64_t *v;
	size_t n, a;
};

static int idx_add(void *ctx, int64_t idx)
{
	struct idx_set *t = ctx;
	if (t->n == t->a) {
		size_t na = t->a ? 2 * t->a : 16;
		int64_t *p = realloc(t->v, na * sizeof *p);
		if (!p)
			return DP_ENOMEM;
		t->v = p;
		t->a = na;
	}
	t->v[t->n++] = idx;
	return DP_OK;
}

static int idx_has(const struct idx_set *t, int64_t idx)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i] == idx)
			return 1;
	return 0;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct rec_act *p = a, *q = b;
	int c = memcmp(p->id, q->id, DP_CABLE_ID);
	return c ? c : p->idx < q->idx ? -1 : p->idx > q->idx;
}

/*
 * The table records_state is what the log's records entries make of it:
 * each record copy's entries replayed through the one rule of the acts
 * (dp_records_apply), in log order, give its row, and there is no other
 * row.  An entry the rule would have refused is damage of the log's.
 */
static void check_records(struct chk *x)
{
	uint64_t before = x->damaged;
	size_t copies = 0;
	if (x->nrecs) /* qsort of NULL is undefined even for 0 elements */
		qsort(x->recs, x->nrecs, sizeof *x->recs, rec_cmp);
	for (size_t i = 0; i < x->nrecs;) {
		dp_records_state st, row;
		dps_cable c;
		char why[DP_RECORDS_WHY];
		memset(&st, 0, sizeof st);
		memset(&c, 0, sizeof c);
		memcpy(c.cable_id, x->recs[i].id, DP_CABLE_ID);
		snprintf(c.mrn, sizeof c.mrn, "%s", x->recs[i].mrn);
		size_t j = i;
		for (; j < x->nrecs && !memcmp(x->recs[j].id, c.cable_id, DP_CABLE_ID); j++) {
			const struct rec_act *a = &x->recs[j];
			if (dp_records_apply(&st, a->act, a->officer, a->t, a->detail, why, sizeof why))
				found(x, "log-entry", &c, (int64_t)a->idx, "records entry %llu (%s by %s) is "
					"not allowed on the state the record copy's earlier entries make: %s",
					(unsigned long long)a->idx, dp_records_act_name(a->act), a->officer, why);
		}
		copies++;
		/* each decision's entry is listed in records_log, which the export's proofs come from */
		struct idx_set got = {0};
		/* the decisions come first: as many rows as there are decisions hold them all */
		int lr = dps_records_log_each(x->s, c.cable_id, j - i, idx_add, &got);
		for (size_t k = i; !lr && k < j; k++)
			if (!idx_has(&got, (int64_t)x->recs[k].idx))
				found(x, "records", &c, (int64_t)x->recs[k].idx, "records entry %llu (%s) is "
					"missing from records_log: a device exporting this cable would not "
					"get it", (unsigned long long)x->recs[k].idx,
					dp_records_act_name(x->recs[k].act));
		if (lr)
			found(x, "database", &c, -1, "its records_log rows cannot be read: %s",
			      dp_strerror(lr));
		free(got.v);
		int r = dps_records_get(x->s, c.cable_id, &row);
		if (r)
			found(x, "database", &c, -1, "its record state cannot be read: %s", dp_strerror(r));
		else if (!dps_records_same(&st, &row))
			found(x, "records", &c, (int64_t)x->recs[j - 1].idx, "its row of records_state is not "
				"what its records entries make of it (the last: %llu)",
				(unsigned long long)x->recs[j - 1].idx);
		i = j;
	}
	int64_t rows = -1;
	int r = dps_records_count(x->s, &rows);
	if (!r && rows != (int64_t)copies)
		found(x, "records", NULL, -1, "records_state holds %lld rows; the log's records entries "
			"change the state of %zu record copies", (long long)rows, copies);
	fprintf(x->out, "check: records: %zu record states checked against the log's records "
			"entries: %s\n", copies, x->damaged == before ? "ok" : "DAMAGED");
}

/* ---- the scrub's last pass ---- */

static void print_scrub(dps_store *s, FILE *out)
{
	char t0[32] = "?", t1[32] = "?";
	dpsc_pass p;
	struct tm tm;
	if (dpsc_last(s, &p)) {
		fprintf(out, "check: scrub: no complete pass yet\n");
		return;
	}
	time_t ta = (time_t)p.start, tb = (time_t)p.end;
	if (gmtime_r(&ta, &tm))
		strftime(t0, sizeof t0, "%Y-%m-%d %H:%M:%SZ", &tm);
	if (gmtime_r(&tb, &tm))
		strftime(t1, sizeof t1, "%Y-%m-%d %H:%M:%SZ", &tm);
	fprintf(out, "check: scrub: last pass %s to %s: %llu cables, %llu log entries, %llu damaged\n", t0,
	       t1, (unsigned long long)p.cables, (unsigned long long)p.entries,
	       (unsigned long long)p.damaged);
}

int dpa_check(const dpa_args *a)
{
	if (a->npos) {
		fprintf(stderr, "usage: denpod check --data DIR\n");
		return 2;
	}
	if (!a->data || !*a->data) {
		fprintf(stderr, "denpod: give --data DIR (or set DENPOD_DATA)\n");
		return 2;
	}
	return dpa_check_dir(a->data, stdout);
}

static void records_warn(void *ctx, const char *msg)
{
	fprintf(ctx, "check: warning: records: %s\n", msg);
}

int dpa_check_dir(const char *dir, FILE *out)
{
	dpc_config c;
	dps_store *s = NULL;
	char vks[DP_NOTE_VKEY_MAX + 1];
	dp_note_vkey vk;
	if (dpc_load(&c, dir))
		return 1;
	int r = dpl_vkey(&c, vks, sizeof vks);
	if (!r)
		r = dp_note_vkey_parse(&vk, vks, strlen(vks));
	if (r)
		return dpa_fail(r, "check: cannot make the log's verifier key", "check log.key");
	dpa_args da = {.data = dir};
	if (dpa_open_store(&da, &c, &s)) {
		fprintf(out, "check: DAMAGE database: it cannot be opened (see above)\n");
		fprintf(out, "check: docs/operations.md, \"Damage and recovery\", says how to restore it\n");
		return 1;
	}
	struct chk x;
	memset(&x, 0, sizeof x);
	x.s = s;
	x.out = out;
	dp_buf_init(&x.data, (size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4);
	x.e = malloc(sizeof *x.e);
	x.part = malloc(sizeof *x.part);
	if (!x.e || !x.part || (r = dps_snapshot_begin(s))) {
		free(x.e);
		free(x.part);
		dps_close(s);
		return dpa_fail(r ? r : DP_ENOMEM, "check", NULL);
	}
	/* one snapshot: what the switch commits meanwhile is not half seen */
	r = dps_db_check(s, 1, NULL, db_problem, &x);
	if (r == DP_EUNSUPP) /* PostgreSQL: its pages are the server's to check */
		fprintf(out, "check: database: PostgreSQL (its pages are checked by the server: data "
			     "checksums, amcheck; docs/several-switches.md)\n");
	else
		fprintf(out, "check: database: SQLite's integrity_check: %s\n", r ? "DAMAGED" : "ok");
	if (!check_log(&x, &vk)) {
		check_cables(&x);
		check_records(&x);
	}
	dps_snapshot_end(s);
	print_scrub(s, out);
	(void)dpk_mrn_warnings(s, dp_now(), out, "check: warning: "); /* said, not damage */
	/* the archive's configuration against the directory: said, not damage */
	if (dpp_records_warnings(s, c.records_post, c.records_required, records_warn, out) < 0)
		fprintf(out, "check: warning: records: cannot read the directory\n");
	free(x.e);
	free(x.part);
	free(x.want);
	free(x.recs);
	dp_buf_free(&x.data);
	dps_close(s);
	if (x.damaged > PRINT_MAX)
		fprintf(out, "check: ... %llu damaged copies in all\n", (unsigned long long)x.damaged);
	if (!x.damaged) {
		fprintf(out, "check: ok: no damage found\n");
		return 0;
	}
	fprintf(out, "check: %llu damaged cop%s found; docs/operations.md, \"Damage and recovery\", says what "
	       "to do\n", (unsigned long long)x.damaged, x.damaged == 1 ? "y" : "ies");
	return 1;
}

/* ---- denpod cable restore ---- */

int dpa_cable_restore(const dpa_args *a)
{
	dpc_config c;
	dps_store *s = NULL;
	uint8_t id[DP_CABLE_ID];
	char op[DP_LOG_TEXT_MAX + 1], detail[DP_LOG_TEXT_MAX + 1], hex[2 * DP_CABLE_ID + 1];
	if (a->npos != 2 || strlen(a->pos[0]) != 2 * DP_CABLE_ID ||
	    dp_hex_decode(id, DP_CABLE_ID, a->pos[0], 2 * DP_CABLE_ID)) {
		fprintf(stderr, "usage: denpod cable restore CABLE_ID FILE --data DIR   (the 32-hex-digit "
				"id; FILE: a copy of its submission bytes)\n");
		return 2;
	}
	int e = dpa_operator_of(a, op);
	if (e || (e = dpa_open_store(a, &c, &s)))
		return e;
	dp_buf file, stored;
	dp_buf_init(&file, (size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4);
	dp_buf_init(&stored, (size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4);
	dpl_enc *x = dpl_enc_new();
	dps_cable cb;
	dpo_damage d;
	int r = x ? dp_read_file(a->pos[1], &file) : DP_ENOMEM;
	if (r) {
		fprintf(stderr, "denpod: cable restore: cannot read %s: %s\n", a->pos[1], dp_strerror(r));
		goto done;
	}
	r = dps_begin(s);
	if (!r && (r = dps_cable_get(s, id, &cb)) == DP_ENOTFOUND)
		fprintf(stderr, "denpod: cable restore: no cable %s is stored\n", a->pos[0]);
	/* the stored copy first: an intact one is left alone */
	int k = r ? r : dpk_cable_read(s, &cb, &stored, NULL, &d);
	if (!r && k == DP_OK) {
		printf("cable %s (%s): the stored copy is intact; nothing to restore\n", a->pos[0], cb.mrn);
		dps_rollback(s);
		goto done;
	}
	if (!r && k != DP_ESTATE)
		r = k;
	/* the copy must be what the log says the cable is */
	if (!r && (k = dpk_cable(s, &cb, file.p, file.len, NULL, &d)) != DP_OK) {
		if (k == DP_ESTATE)
			fprintf(stderr, "denpod: cable restore: %s is not this cable: %s\n", a->pos[1],
				d.detail);
		r = k == DP_ESTATE ? DP_ESIG : k;
	}
	dp_hex_encode(hex, id, DP_CABLE_ID);
	snprintf(detail, sizeof detail, "cable %s (%.*s): stored bytes restored from a copy that hashes "
					"to the Envelope-Hash of log entry %lld", hex, DP_MRN_MAX, cb.mrn,
		 (long long)cb.log_idx);
	if (!r)
		r = dps_cable_restore(s, cb.seq, file.p, file.len);
	if (!r)
		r = dpa_log_admin(s, x, op, "CABLE-RESTORE", detail);
	r = dpa_finish_txn(s, r);
	if (!r)
		printf("cable %s (%s): restored (%zu bytes, checked against log entry %lld)\n", a->pos[0],
		       cb.mrn, file.len, (long long)cb.log_idx);
done:
	dpl_enc_free(x);
	dp_buf_free(&file);
	dp_buf_free(&stored);
	dps_close(s);
	if (r == DP_ESIG || r == DP_ENOTFOUND)
		return 1;
	return r ? dpa_fail(r, "cable restore", NULL) : 0;
}
