/*
 * denpo/records_cmd.c - `denpo records`: the records device's commands on
 * its archive (denpo/archive.h, include/denpo/records.h; docs/operations.md
 * "The archive").
 *
 * Every command that decrypts a record copy or changes its schedule asks
 * the switch first (POST /v1/records): the switch logs the act and only
 * then answers; a refusal is printed with the switch's reason and changes
 * nothing here.  Ingest (sync) is the delivery itself: the switch already
 * logged cable-delivered for this device; the copy is decrypted once, only
 * to index the schedule's fields and TAGS, and the plaintext is wiped.
 *
 * (`denpo archive`, any device's listing of every cable addressed to it, is
 * another command: denpo/cmd_read.c.)
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "denpo/archive.h"
#include "denpo/bind.h"
#include "denpo/encoding.h"
#include "denpo/seal.h"
#include "denpo/views.h"

#define NOT_RECORDS_HINT                                                                             \
	"the archive is kept by a records device: a device of an officer holding the role RECORDS at " \
	"the records post (docs/operations.md, \"The archive\")"
#define SYNC_HINT "run `denpo records sync` first"

/* ---- shared steps ---- */

/*
 * Home, the records role and the store, and (online) keys and the switch;
 * returns an exit code.  Offline: the archive's metadata only (list).
 */
static int archive_open_how(cli_ctx *x, archive_db *a, int online)
{
	char why[512];
	a->db = NULL;
	if (cli_home(x, 0))
		return cli_fail(x, DP_ENOTFOUND, "run `denpo init` first", "no state directory %s", x->home);
	int ec = online ? cli_open_client(x) : cli_load_answer(x);
	if (ec)
		return ec;
	if (!archive_is_records(x))
		return cli_fail_why(x, DP_ESTATE, NOT_RECORDS_HINT,
				    "this device is not a records device (officer %s does not hold the role %s "
				    "at the switch's records post)",
				    x->ans.officer, DP_RECORDS_ROLE);
	int r = archive_db_open(x, a, why, sizeof why);
	if (r)
		return cli_fail_why(x, r, "check the state directory's disk and permissions", "%s", why);
	return EXIT_OK;
}

static int archive_open(cli_ctx *x, archive_db *a)
{
	return archive_open_how(x, a, 1);
}

/* A row of MRN|ID, or an exit code (reported). */
static int row_get(cli_ctx *x, archive_db *a, const char *ref, archive_row *r)
{
	char mrn[DP_MRN_MAX + 1];
	int k = archive_db_get(a, cli_ref_mrn(ref, mrn) == DP_OK ? mrn : ref, r);
	if (k == DP_ENOTFOUND)
		return cli_fail_why(x, DP_ENOTFOUND, SYNC_HINT " (and check the MRN with `denpo records list`)",
				    "%s is not in this archive", ref);
	if (k)
		return cli_fail(x, k, NULL, "cannot read the archive");
	return EXIT_OK;
}

/* The store and the row of ref (an MRN or cable id); an exit code (reported). */
static int open_row(cli_ctx *x, archive_db *a, const char *ref, archive_row *r)
{
	int ec = archive_open(x, a);
	return ec ? ec : row_get(x, a, ref, r);
}

/*
 * Ask the switch for act on the row's cable (NULL for search): logged
 * there first.  On acceptance the state it answers is kept in the row.
 * Returns an exit code; a refusal prints the switch's reason, nothing changes.
 */
static int ask(cli_ctx *x, archive_db *a, int act, const archive_row *row, const char *detail,
	       dp_records_answer *ans)
{
	memset(ans, 0, sizeof *ans);
	int r = dp_client_records_act(x->cl, act, row ? row->cable_id : NULL, detail, ans);
	if (r) {
		const char *hint = cli_unreachable(x, r) ? "the archive reads nothing while the switch cannot log "
							   "the act; try again when it is reachable"
							 : "nothing was done here";
		int ec = cli_fail(x, r, hint, "the switch refused %s%s%s", dp_records_act_name(act),
				  row ? " of " : "", row ? row->mrn : "");
		return r == DP_EDENIED ? EXIT_ERR : ec; /* a refusal (not a records device, the proposer), not a forgery */
	}
	if (row && (r = archive_db_set_state(a, row->cable_id, &ans->state)))
		fprintf(stderr, "denpo: warning: the switch logged %s of %s (log index %lld), but the archive "
				"could not keep its state: %s\n", dp_records_act_name(act), row->mrn,
			(long long)ans->index, dp_strerror(r));
	return EXIT_OK;
}

/*
 * Decrypt and verify the record copy of row (after its act was logged):
 * with the keystore's and the kept epoch keys (denpo/archive_keys.c).
 * Returns an exit code; e and c are filled on EXIT_OK (free both).
 */
static int open_copy(cli_ctx *x, archive_db *a, const archive_row *row, dp_envelope *e, dp_cable *c)
{
	dp_buf sub;
	dp_buf_init(&sub, (size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4);
	int r = archive_db_copy(a, row->cable_id, &sub), ec = EXIT_OK;
	if (r) {
		dp_buf_free(&sub);
		return cli_fail(x, r, NULL, r == DP_ENOTFOUND ? "the record copy of %s is gone (destroyed)"
							       : "cannot read the record copy of %s", row->mrn);
	}
	uint8_t h[DP_SHA256];
	dp_sha256(h, sub.p, sub.len);
	if (sodium_memcmp(h, row->envelope_hash, DP_SHA256) != 0) {
		dp_buf_free(&sub);
		return bind_fail(x, row->cable_id, "the record copy is not the bytes the log entry names "
						   "(the archive database was altered)",
				 "report it to security operations");
	}
	const char *why = "";
	dp_envelope_init(e);
	dp_cable_init(c);
	for (int pass = 0; pass < 2; pass++) {
		dp_age_identity *ids;
		size_t n;
		/* first the epoch keys whose window holds its acceptance, then every kept key */
		r = archive_ids(x, pass ? 0 : row->accepted, &ids, &n);
		if (r)
			break;
		r = seal_open(sub.p, sub.len, ids, n, NULL, NULL, x->ks->sign_pk, e, c, &why);
		archive_ids_free(ids, n);
		if (r != DP_ENOMATCH || pass)
			break;
		dp_envelope_free(e); /* and again with every key */
		dp_cable_free(c);
		dp_envelope_init(e);
		dp_cable_init(c);
	}
	char hex[DP_HEXID];
	if (!r && (dp_hex_encode(hex, c->id, DP_CABLE_ID), strcmp(hex, row->cable_id) != 0)) {
		r = DP_ESIG;
		why = "the record copy is another cable";
	}
	if (r) {
		if (r == DP_EHMAC && !*why)
			why = "the archive's key file does not open with this device's storage key";
		ec = cli_fail(x, r, "the cable is NOT displayed; report it to security operations",
			      "the record copy of %s does not open: %s", row->mrn, why);
		dp_envelope_free(e);
		dp_cable_free(c);
	}
	dp_buf_free(&sub);
	return ec;
}

/* Frees what open_copy opened; dp_cable_free wipes the whole cable (subject and refs too). */
static void cable_wipe(dp_envelope *e, dp_cable *c)
{
	dp_envelope_free(e);
	dp_cable_free(c);
}

/* l[0..n) joined by commas ("A,B"); framed: with a comma at each end too (",A,B,", for whole-tag search). */
static void join(char *out, size_t cap, const char (*l)[DP_NAME_MAX + 1], size_t n, int framed)
{
	size_t k = 0;
	out[0] = 0;
	if (framed && n)
		k += (size_t)snprintf(out + k, cap - k, ",");
	for (size_t i = 0; i < n && k < cap; i++)
		k += (size_t)snprintf(out + k, cap - k, "%s%s", l[i], framed || i + 1 < n ? "," : "");
}

static void date_str(int64_t t, char out[16])
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!t || !gmtime_r(&tt, &tm) || !strftime(out, 16, "%Y-%m-%d", &tm))
		snprintf(out, 16, "-");
}

/* "YYYY-MM-DD" -> its 00:00 UTC (end_of_day: 23:59:59); DP_EINVAL. */
static int parse_date(const char *s, int end_of_day, int64_t *t)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *e = strptime(s, "%Y-%m-%d", &tm);
	if (!e || *e || strlen(s) != 10)
		return DP_EINVAL;
	*t = (int64_t)timegm(&tm) + (end_of_day ? 86399 : 0);
	return DP_OK;
}

/* ---- sync ---- */

static const char sync_help[] =
	"usage: denpo records sync\n"
	"\n"
	"Fetches every cable waiting for this records device (its inbox), verifies\n"
	"each as `denpo read` does (signatures, originating device, MRN in the log)\n"
	"and keeps its record copy in HOME/archive/archive.db: the ciphertext as\n"
	"delivered, its log entry with the inclusion proof, and the metadata the\n"
	"schedule needs (classification, TAGS, dates, retention), never the subject or\n"
	"text in clear; then acknowledges it.  Safe to run again (a timer runs it):\n"
	"prints what was stored, what was there already and what failed.  A cable\n"
	"that fails verification is not stored (exit 3).  Then every change of a\n"
	"record's state since the last sync is asked of the switch (a cursor kept in\n"
	"archive.db), so another records officer's proposal, approval, hold, release\n"
	"or destruction shows here; the copy of every cable destroyed is wiped (also\n"
	"one whose wipe an earlier destroy could not finish).\n";

/* Verify, index and keep one cable; an exit code (failures reported). */
static int ingest(cli_ctx *x, archive_db *a, const dp_records_sched *s, const char *id)
{
	dp_envelope e;
	dp_cable c;
	char mrn[DP_MRN_MAX + 1];
	int64_t accepted;
	dp_envelope_init(&e);
	dp_cable_init(&c);
	int ec = cli_open_cable(x, id, NULL, &e, &c, mrn, &accepted); /* fetched, verified, bound */
	if (ec) {
		cable_wipe(&e, &c);
		return ec;
	}
	archive_row row;
	memset(&row, 0, sizeof row);
	snprintf(row.cable_id, sizeof row.cable_id, "%s", id);
	snprintf(row.mrn, sizeof row.mrn, "%s", mrn);
	snprintf(row.post, sizeof row.post, "%s", c.from);
	snprintf(row.classification, sizeof row.classification, "%s", dp_class_name(c.classification));
	join(row.captions, sizeof row.captions, c.captions, c.ncaptions, 0);
	snprintf(row.precedence, sizeof row.precedence, "%s", dp_prec_name(c.prec_action));
	row.created = c.created;
	row.accepted = accepted;
	join(row.tags, sizeof row.tags, c.tags, c.ntags, 1);
	snprintf(row.declassify_on, sizeof row.declassify_on, "%s", c.declassify_on);
	snprintf(row.declassify_event, sizeof row.declassify_event, "%s", c.declassify_event);
	snprintf(row.retention, sizeof row.retention, "%s", c.retention[0] ? c.retention : DP_RETENTION_DEFAULT);
	row.ingested = dp_now();
	int r = dp_records_retention_end(s, row.retention, row.created, &row.retention_end);
	cable_wipe(&e, &c); /* the plaintext was needed for the fields above only */
	if (r == DP_ENOTFOUND) {
		fprintf(stderr, "denpo: warning: %s names retention class %s, which the schedule lacks: kept as "
				"permanent until the schedule names it\n", mrn, row.retention);
		row.retention_end = 0;
	} else if (r)
		return cli_fail(x, r, NULL, "cannot compute the retention of %s", mrn);

	/* the copy as delivered, and its log entry with the proof that came with it */
	dp_buf sub;
	dp_buf_init(&sub, (size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4);
	r = cli_cache_get(x, id, &sub);
	if (r) {
		dp_buf_free(&sub);
		return cli_fail(x, r, "run `denpo records sync` again", "cannot read the fetched copy of %s", mrn);
	}
	dp_sha256(row.envelope_hash, sub.p, sub.len);
	dp_cable_accepted acc;
	uint64_t m = cli_log_size(x);
	r = dp_client_accepted(x->cl, id, m, &acc);
	cli_ckpt ck;
	bind_logged lg;
	char why[512] = "";
	int k = BIND_BAD;
	if (!r && !(ec = bind_checkpoint(x, &acc.log, m, mrn, "nothing was stored", &ck))) {
		k = bind_entry(&acc.acc, &ck, id, &lg, why, sizeof why);
		cli_ckpt_free(&ck);
		if (k == BIND_OK && (memcmp(lg.envelope_hash, row.envelope_hash, DP_SHA256) || strcmp(lg.mrn, mrn)))
			k = BIND_BAD, snprintf(why, sizeof why, "the log entry names other bytes or another MRN");
	}
	if (r)
		ec = cli_fail(x, r, "run `denpo records sync` again", "cannot get the log entry of %s", mrn);
	else if (!ec && k != BIND_OK)
		ec = bind_fail(x, id, k == BIND_PENDING ? "its log entry is not under a checkpoint yet" : why,
			       "not stored; run `denpo records sync` again");
	if (!ec) {
		row.log_index = (int64_t)lg.index;
		row.size = (int64_t)sub.len;
		r = archive_db_put(a, &row, sub.p, sub.len, &acc.acc.entry, acc.log.checkpoint,
				   acc.log.checkpoint_len);
		if (r && r != DP_EEXISTS)
			ec = cli_fail(x, r, "run `denpo records sync` again", "cannot store the record copy of %s", mrn);
	}
	dp_cable_accepted_free(&acc);
	dp_buf_free(&sub);
	if (ec)
		return ec;
	/* the archive's copy is the one kept: not a second one in the read cache */
	char p[PATH_MAX];
	cli_cache_path(x, id, "cable", p);
	(void)cli_shred(p);
	cli_cache_path(x, id, "key", p);
	(void)cli_shred(p);
	return EXIT_OK;
}

/*
 * Every state change since the last sync (GET /v1/records/changes after
 * the cursor archive.db keeps): another records officer's approval,
 * hold, release or destruction reaches this archive so.  The cursor is
 * kept where it was when keep (a cable of the inbox failed: its changes
 * are applied once it is stored).  DP codes.
 */
static int apply_changes(cli_ctx *x, archive_db *a, int keep, size_t *changed)
{
	int64_t after;
	int r = archive_db_cursor(a, &after), more = 1;
	for (int page = 0; !r && more && page < 100000; page++) {
		dp_records_changes ch;
		if ((r = dp_client_records_changes(x->cl, after, &ch)))
			break;
		for (size_t i = 0; !r && i < ch.n; i++) {
			archive_row row;
			const dp_records_change *c = &ch.changes[i];
			if (archive_db_get(a, c->cable_id, &row) || !memcmp(&row.st, &c->state, sizeof row.st))
				continue; /* not (yet) in this archive, or as known */
			if (!(r = archive_db_set_state(a, c->cable_id, &c->state)))
				(*changed)++;
		}
		after = ch.next;
		more = ch.more;
		dp_records_changes_free(&ch);
		if (!r && !keep)
			r = archive_db_set_cursor(a, after);
	}
	return r;
}

/*
 * Finish the destruction of a row the switch says is destroyed: wipe its
 * copy (archive_db_wipe_copy) and any copy a plain read left in the cache.
 * Returns DP codes (the copy stays marked for the next destroy or sync).
 */
static int wipe_destroyed(cli_ctx *x, archive_db *a, const char *cable_id)
{
	int r = archive_db_wipe_copy(a, cable_id);
	char p[PATH_MAX];
	for (int i = 0; i < 2; i++) {
		cli_cache_path(x, cable_id, i ? "key" : "cable", p);
		(void)cli_shred(p);
	}
	return r;
}

static int wipe_report(cli_ctx *x, int r, const archive_row *row)
{
	if (!r)
		return EXIT_OK;
	return cli_fail(x, r, "run `denpo records destroy` or `denpo records sync` again: the destruction is "
			      "logged, the copy is not wiped yet (another process reading the archive?)",
			"cannot wipe the record copy of %s", row->mrn);
}

struct wipe_list {
	char (*id)[DP_HEXID];
	size_t n, cap;
};

static int wipe_due(void *ctx, const archive_row *r)
{
	struct wipe_list *w = ctx;
	if (!r->st.destroyed_at || !r->has_copy)
		return DP_OK;
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 16;
		void *p = realloc(w->id, cap * sizeof *w->id);
		if (!p)
			return DP_ENOMEM;
		w->id = p;
		w->cap = cap;
	}
	memcpy(w->id[w->n++], r->cable_id, DP_HEXID);
	return DP_OK;
}

/*
 * Every row the switch says is destroyed whose copy is still here (the
 * other archive's destroy, or a wipe of this one that did not finish):
 * wiped, after the rows are read (a checkpoint waits for no open read).
 */
static int finish_wipes(cli_ctx *x, archive_db *a, size_t *wiped)
{
	struct wipe_list w = {NULL, 0, 0};
	archive_filter all = {0};
	int r = archive_db_each(a, &all, wipe_due, &w), bad = r != DP_OK;
	for (size_t i = 0; !r && i < w.n; i++) {
		int k = wipe_destroyed(x, a, w.id[i]);
		if (k) {
			fprintf(stderr, "denpo: warning: the destroyed record copy of cable %s is not wiped yet: "
					"%s; run `denpo records sync` again\n", w.id[i], dp_strerror(k));
			bad = 1;
		} else
			(*wiped)++;
	}
	free(w.id);
	return bad;
}

static int archive_sync(cli_ctx *x, int argc, char **argv)
{
	static const struct option lo[] = {CLI_COMMON_OPTS, {NULL, 0, NULL, 0}};
	int o;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == OPT_HELP)
			return fputs(sync_help, stdout), EXIT_OK;
		if (!cli_common_opt(x, o, optarg))
			return cli_usage("records sync", "unknown option");
	}
	if (optind != argc)
		return cli_usage("records sync", "unexpected argument '%s'", argv[optind]);
	archive_db a;
	int ec = archive_open(x, &a);
	if (ec)
		return ec;
	const dp_records_sched *s = cli_records(x);
	size_t stored = 0, had = 0, failed = 0;
	int verify = 0;
	/* the inbox lists at most 1000 at a time; each stored cable is acknowledged and leaves it */
	for (int round = 0; round < 1000 && !ec; round++) {
		bind_query q = {.wait = 0};
		bind_list l;
		if ((ec = bind_list_get(x, &q, &l)))
			break;
		size_t progress = 0;
		for (size_t i = 0; i < l.n; i++) {
			const char *id = l.items[i].it.cable_id;
			int have = archive_db_has(&a, id);
			int e = have ? EXIT_OK : ingest(x, &a, s, id);
			if (e) {
				failed++;
				verify |= e == EXIT_VERIFY;
				continue;
			}
			int64_t at;
			int r = dp_client_ack(x->cl, id, &at);
			if (r) {
				fprintf(stderr, "denpo: warning: %s is archived but not acknowledged: %s; the next sync "
						"acknowledges it\n", l.items[i].it.mrn, dp_strerror(r));
				failed++;
			} else
				progress++;
			*(have ? &had : &stored) += 1;
		}
		bind_report(l.failed, l.nfailed);
		failed += l.nfailed;
		verify |= l.nfailed > 0;
		size_t n = l.n;
		bind_list_free(&l);
		if (n == 0 || progress == 0)
			break;
	}
	size_t changed = 0, wiped = 0;
	if (!ec) {
		int r = apply_changes(x, &a, failed > 0, &changed);
		if (r) {
			fprintf(stderr, "denpo: warning: the record states' changes were not all applied: %s%s%s; "
					"the next sync asks again\n",
				dp_strerror(r), dp_client_message(x->cl)[0] ? ": " : "", dp_client_message(x->cl));
			failed++;
		}
		if (finish_wipes(x, &a, &wiped))
			failed++;
	}
	archive_db_close(&a);
	if (ec)
		return ec;
	if (x->json)
		dp_json_print(json_pack("{s:I, s:I, s:I, s:I, s:I}", "stored", (json_int_t)stored, "already",
					(json_int_t)had, "failed", (json_int_t)failed, "updated", (json_int_t)changed,
					"wiped", (json_int_t)wiped));
	else
		printf("records sync: %zu stored, %zu already in the archive, %zu failed, %zu states updated, "
		       "%zu destroyed copies wiped\n",
		       stored, had, failed, changed, wiped);
	return verify ? EXIT_VERIFY : failed ? EXIT_ERR : EXIT_OK;
}

/* ---- list ---- */

static const char list_help[] =
	"usage: denpo records list [--due]\n"
	"\n"
	"Lists the record copies in this archive, oldest first: MRN, created, post,\n"
	"classification, TAGS, retention (and its end), declassification, state.\n"
	"Reads the archive's metadata only: nothing is decrypted, nothing is logged,\n"
	"and the switch is not asked (it works when the switch is unreachable).\n"
	"  --due   only the cables needing a records officer: the declassification\n"
	"          date reached or the event named (not yet declassified), the\n"
	"          retention ended (not yet destroyed), or held\n";

static const char *state_of(const archive_row *r)
{
	return r->st.destroyed_at ? "destroyed"
	       : r->st.held_at    ? "held"
	       : r->st.destroy_proposed_at ? "destroy proposed"
	       : r->st.declassified_at ? "declassified"
	       : r->st.proposed_at     ? "proposed"
				       : "classified";
}

static json_t *row_json(const archive_row *r, int64_t now)
{
	const char *due = archive_due_why(r, now);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s,"
			 " s:s, s:s, s:I, s:s, s:I, s:s, s:I, s:s, s:s, s:b, s:s?}",
			 "cable_id", r->cable_id, "mrn", r->mrn, "post", r->post, "classification",
			 r->classification, "captions", r->captions, "precedence", r->precedence, "created",
			 (json_int_t)r->created, "accepted", (json_int_t)r->accepted, "tags", r->tags,
			 "declassify_on", r->declassify_on, "declassify_event", r->declassify_event,
			 "retention", r->retention, "retention_end", (json_int_t)r->retention_end, "log_index",
			 (json_int_t)r->log_index, "size", (json_int_t)r->size, "state", state_of(r),
			 "proposed_by", r->st.proposed_by, "approved_by", r->st.approved_by, "declassified_at",
			 (json_int_t)r->st.declassified_at, "held_by", r->st.held_by, "held_at",
			 (json_int_t)r->st.held_at, "hold_reason", r->st.hold_reason, "destroyed_at",
			 (json_int_t)r->st.destroyed_at, "destroyed_by", r->st.destroyed_by,
			 "destroy_proposed_by", r->st.destroy_proposed_by, "copy", r->has_copy, "due", due);
}

typedef struct {
	cli_ctx *x;
	int64_t now;
	json_t *arr;
	size_t n;
} list_ctx;

static int list_one(void *ctx, const archive_row *r)
{
	list_ctx *l = ctx;
	l->n++;
	if (l->arr)
		return json_array_append_new(l->arr, row_json(r, l->now)) ? DP_ENOMEM : DP_OK;
	char cr[16], end[16], tags[sizeof r->tags], ret[DP_NAME_MAX + 32];
	date_str(r->created, cr);
	date_str(r->retention_end, end);
	/* ",PREL,ADMN," as "PREL ADMN" */
	size_t k = 0;
	for (const char *t = r->tags; *t; t++)
		if (*t != ',' || (k && t[1]))
			tags[k++] = *t == ',' ? ' ' : *t;
	tags[k] = 0;
	snprintf(ret, sizeof ret, "%s%s%s", r->retention, r->retention_end ? " to " : "", r->retention_end ? end : "");
	const char *due = archive_due_why(r, l->now);
	if (l->n == 1)
		printf("%-20s %-10s %-10s %-12s %-12s %-24s %-12s %s\n", "MRN", "CREATED", "POST", "CLASS", "TAGS",
		       "RETENTION", "DECL", "STATE");
	printf("%-20s %-10s %-10s %-12s %-12s %-24s %-12s %s%s%s\n", r->mrn, cr, r->post, r->classification,
	       *tags ? tags : "-", ret,
	       r->declassify_on[0] ? r->declassify_on : r->declassify_event[0] ? "on event" : "-", state_of(r),
	       due ? "  due: " : "", due ? due : "");
	return DP_OK;
}

static int archive_list(cli_ctx *x, int argc, char **argv)
{
	static const struct option lo[] = {{"due", no_argument, NULL, 'd'}, CLI_COMMON_OPTS, {NULL, 0, NULL, 0}};
	int o, due = 0;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == OPT_HELP)
			return fputs(list_help, stdout), EXIT_OK;
		if (cli_common_opt(x, o, optarg))
			continue;
		if (o == 'd')
			due = 1;
		else
			return cli_usage("records list", "unknown option");
	}
	if (optind != argc)
		return cli_usage("records list", "unexpected argument '%s'", argv[optind]);
	archive_db a;
	int ec = archive_open_how(x, &a, 0); /* metadata only: no switch needed */
	if (ec)
		return ec;
	list_ctx l = {.x = x, .now = dp_now(), .arr = x->json ? json_array() : NULL};
	archive_filter f = {.due = due, .now = l.now, .sched = cli_records(x)};
	int r = archive_db_each(&a, &f, list_one, &l);
	archive_db_close(&a);
	if (r) {
		json_decref(l.arr);
		return cli_fail(x, r, NULL, "cannot read the archive");
	}
	if (l.arr)
		dp_json_print(json_pack("{s:o}", "records", l.arr));
	else if (!l.n)
		printf(due ? "nothing is due\n" : "the archive is empty (`denpo records sync` fills it)\n");
	return EXIT_OK;
}

/* ---- search ---- */

static const char search_help[] =
	"usage: denpo records search [--mrn M] [--post P] [--tag T] [--since DATE] [--until DATE]\n"
	"                            [--subject TEXT] [--text TEXT]\n"
	"\n"
	"Searches the archive: first by its metadata (MRN, originating post, TAGS,\n"
	"created between DATEs, YYYY-MM-DD, UTC), then sends the switch the query's\n"
	"hash and the list of these candidates.  The switch logs one `search` act\n"
	"(Detail \"query sha256:<16 hex of the query's hash> over N\", N counted by it)\n"
	"and one `read` act of each candidate (Detail \"search <16 hex>\"): only after\n"
	"that are the N candidates, and only they, decrypted to match the subject and\n"
	"text (case-insensitive); MRN, date and subject of each match are printed.\n"
	"At most 500 candidates: narrow the metadata first (--post, --tag, --since,\n"
	"--until, --mrn).  Destroyed copies are skipped.\n";

typedef struct {
	archive_row *rows;
	size_t n, cap;
} row_vec;

static int collect(void *ctx, const archive_row *r)
{
	row_vec *v = ctx;
	if (r->st.destroyed_at)
		return DP_OK;
	if (v->n == v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 16;
		archive_row *p = realloc(v->rows, nc * sizeof *p);
		if (!p)
			return DP_ENOMEM;
		v->rows = p;
		v->cap = nc;
	}
	v->rows[v->n++] = *r;
	return DP_OK;
}

static int icontains(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; k <= n && i + k <= n; i++)
		if (strncasecmp(hay + i, needle, k) == 0)
			return 1;
	return k == 0;
}

/* The query in one canonical text (every field, in order, "" when not given), hashed. */
static void query_id(const char *const v[7], char out[17])
{
	static const char *const k[7] = {"mrn", "post", "tag", "since", "until", "subject", "text"};
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	for (int i = 0; i < 7; i++) {
		const char *s = v[i] ? v[i] : "";
		crypto_hash_sha256_update(&h, (const uint8_t *)k[i], strlen(k[i]));
		crypto_hash_sha256_update(&h, (const uint8_t *)"=", 1);
		crypto_hash_sha256_update(&h, (const uint8_t *)s, strlen(s) + 1); /* with its NUL */
	}
	uint8_t d[32];
	crypto_hash_sha256_final(&h, d);
	char hex[65];
	dp_hex_encode(hex, d, 32);
	memcpy(out, hex, 16);
	out[16] = 0;
}

/*
 * Ask the switch to log the search (query: "query sha256:<hex>") naming
 * the candidates rv: the search entry and a read entry of each.  An exit
 * code; a refusal prints the switch's reason, nothing is decrypted.
 */
static int ask_search(cli_ctx *x, const char *query, const row_vec *rv, dp_records_answer *ans)
{
	const char **ids = calloc(rv->n ? rv->n : 1, sizeof *ids);
	if (!ids)
		return cli_fail(x, DP_ENOMEM, NULL, "cannot list the search's candidates");
	for (size_t i = 0; i < rv->n; i++)
		ids[i] = rv->rows[i].cable_id;
	int r = dp_client_records_search(x->cl, query, ids, rv->n, ans);
	free(ids);
	if (!r)
		return EXIT_OK;
	const char *hint = cli_unreachable(x, r) ? "the archive decrypts nothing while the switch cannot "
						   "log the search; try again when it is reachable"
						 : "nothing was decrypted";
	int ec = cli_fail(x, r, hint, "the switch refused the search");
	return r == DP_EDENIED ? EXIT_ERR : ec;
}

static int archive_search(cli_ctx *x, int argc, char **argv)
{
	static const struct option lo[] = {
		{"mrn", required_argument, NULL, 'm'},	   {"post", required_argument, NULL, 'p'},
		{"tag", required_argument, NULL, 't'},	   {"since", required_argument, NULL, 's'},
		{"until", required_argument, NULL, 'u'},   {"subject", required_argument, NULL, 'S'},
		{"text", required_argument, NULL, 'T'},	   CLI_COMMON_OPTS,
		{NULL, 0, NULL, 0},
	};
	const char *v[7] = {NULL};
	static const char opts[] = "mptsuST";
	int o;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == OPT_HELP)
			return fputs(search_help, stdout), EXIT_OK;
		if (cli_common_opt(x, o, optarg))
			continue;
		const char *w = o > 0 && o < 256 ? strchr(opts, o) : NULL;
		if (!w)
			return cli_usage("records search", "unknown option");
		v[w - opts] = optarg;
	}
	if (optind != argc)
		return cli_usage("records search", "unexpected argument '%s'", argv[optind]);
	archive_filter f = {.mrn = v[0], .post = v[1], .tag = v[2]};
	char mrn[DP_MRN_MAX + 1];
	if (v[0] && cli_ref_mrn(v[0], mrn))
		return cli_usage("records search", "--mrn takes an MRN (\"26 HQ 000012\")");
	if (v[0])
		f.mrn = mrn;
	if (v[3] && parse_date(v[3], 0, &f.since))
		return cli_usage("records search", "--since takes a date, YYYY-MM-DD");
	if (v[4] && parse_date(v[4], 1, &f.until))
		return cli_usage("records search", "--until takes a date, YYYY-MM-DD");
	archive_db a;
	int ec = archive_open(x, &a);
	if (ec)
		return ec;
	row_vec rv = {0};
	int r = archive_db_each(&a, &f, collect, &rv);
	if (r) {
		free(rv.rows);
		archive_db_close(&a);
		return cli_fail(x, r, NULL, "cannot read the archive");
	}
	if (rv.n > DP_RECORDS_SEARCH_MAX) {
		fprintf(stderr, "denpo: the search's metadata matches %zu record copies, over the %d one "
				"search may decrypt: narrow it by --post, --tag, --since, --until or --mrn "
				"(nothing was logged or decrypted)\n",
			rv.n, DP_RECORDS_SEARCH_MAX);
		free(rv.rows);
		archive_db_close(&a);
		return EXIT_ERR;
	}
	char qid[17], detail[DP_RECORDS_DETAIL_MAX + 1];
	query_id(v, qid);
	snprintf(detail, sizeof detail, "query sha256:%s", qid);
	dp_records_answer ans;
	ec = ask_search(x, detail, &rv, &ans); /* logged, each candidate named, before anything is decrypted */
	json_t *arr = x->json ? json_array() : NULL;
	size_t matched = 0;
	for (size_t i = 0; !ec && i < rv.n; i++) {
		dp_envelope e;
		dp_cable c;
		int k = open_copy(x, &a, &rv.rows[i], &e, &c);
		if (k) {
			ec = k;
			break;
		}
		int hit = (!v[5] || icontains(c.subject, strlen(c.subject), v[5])) &&
			  (!v[6] || icontains((const char *)c.body, c.body_len, v[6]));
		if (hit) {
			char d[16];
			date_str(c.created, d);
			matched++;
			if (arr)
				json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "mrn", rv.rows[i].mrn, "date", d,
								     "subject", c.subject));
			else
				printf("%-18s %s  %s\n", rv.rows[i].mrn, d, c.subject);
		}
		cable_wipe(&e, &c);
	}
	size_t n = rv.n;
	free(rv.rows);
	archive_db_close(&a);
	if (ec) {
		json_decref(arr);
		return ec;
	}
	if (arr)
		dp_json_print(json_pack("{s:o, s:s, s:I, s:I}", "matches", arr, "query", qid, "log_index",
					(json_int_t)ans.index, "candidates", (json_int_t)n));
	else if (!matched)
		printf("no match\n");
	return EXIT_OK;
}

/* ---- show ---- */

static const char show_help[] =
	"usage: denpo records show MRN\n"
	"\n"
	"Asks the switch to log a `read` act of the record copy (refused: nothing is\n"
	"shown), then decrypts and verifies it and shows it as `denpo read` does,\n"
	"banners and all.  Each show is one entry in the transparency log, and reads\n"
	"count for detection as any device's do.\n";

/* Parse the single MRN|ID argument of a subcommand; argv[optind]. */
static int one_mrn(const char *cmd, const char *help, cli_ctx *x, int argc, char **argv,
		   const struct option *extra, int (*opt)(void *, int, const char *), void *octx)
{
	struct option lo[8];
	size_t k = 0;
	for (; extra && extra[k].name; k++)
		lo[k] = extra[k];
	const struct option common[] = {CLI_COMMON_OPTS, {NULL, 0, NULL, 0}};
	for (size_t i = 0; i < 5; i++)
		lo[k + i] = common[i];
	int o;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == OPT_HELP)
			return fputs(help, stdout), -1;
		if (cli_common_opt(x, o, optarg))
			continue;
		if (!opt || o == '?' || opt(octx, o, optarg))
			return cli_usage(cmd, "unknown option");
	}
	if (optind + 1 != argc)
		return cli_usage(cmd, "give exactly one MRN (\"26 HQ 000012\") or cable id");
	return EXIT_OK;
}

static int archive_show(cli_ctx *x, int argc, char **argv)
{
	int ec = one_mrn("records show", show_help, x, argc, argv, NULL, NULL, NULL);
	if (ec)
		return ec < 0 ? EXIT_OK : ec;
	archive_db a;
	archive_row row;
	dp_records_answer ans;
	if ((ec = open_row(x, &a, argv[optind], &row)) || (ec = ask(x, &a, DP_REC_READ, &row, NULL, &ans))) {
		archive_db_close(&a);
		return ec;
	}
	dp_envelope e;
	dp_cable c;
	ec = open_copy(x, &a, &row, &e, &c);
	archive_db_close(&a);
	if (ec)
		return ec;
	if (x->json) {
		json_t *j = cli_cable_json(&c, row.cable_id, row.mrn);
		if (j) {
			json_object_set_new(j, "accepted", json_integer((json_int_t)row.accepted));
			json_object_set_new(j, "read_log_index", json_integer((json_int_t)ans.index));
		}
		dp_json_print(j);
	} else {
		dp_buf out;
		dp_buf_init(&out, (size_t)DP_MAX_BODY * 2 + 65536);
		int r = dp_cable_render_marked(&c, row.mrn, cli_markings(x), &out);
		if (r)
			ec = cli_fail(x, r, NULL, "cannot render %s", row.mrn);
		else
			fwrite(out.p, 1, out.len, stdout);
		dp_buf_free(&out);
	}
	cable_wipe(&e, &c);
	return ec;
}

/* ---- the schedule's acts ---- */

static const char declassify_help[] =
	"usage: denpo records declassify MRN [--reason TEXT]\n"
	"\n"
	"Proposes the cable's declassification (act declassify-propose, logged by the\n"
	"switch).  Another records officer approves it from their own device with\n"
	"`denpo records approve MRN`; only then is it declassified (and exportable).\n"
	"Refused while the cable is held, proposed already or destroyed.\n";
static const char approve_help[] =
	"usage: denpo records approve MRN\n"
	"\n"
	"Approves the declassification another records officer proposed (act\n"
	"declassify-approve): the proposer cannot approve their own proposal.\n";
static const char hold_help[] =
	"usage: denpo records hold MRN --reason TEXT\n"
	"\n"
	"Places a legal hold (act hold, the reason logged): while held the cable is\n"
	"neither declassified nor destroyed.  `denpo records release MRN` lifts it.\n";
static const char release_help[] =
	"usage: denpo records release MRN\n\nLifts the legal hold on the cable (act release).\n";

static int reason_opt(void *ctx, int o, const char *arg)
{
	if (o != 'r')
		return 1;
	*(const char **)ctx = arg;
	return 0;
}

/* One act on one cable, with an optional or required --reason. */
static int simple_act(cli_ctx *x, int argc, char **argv, const char *cmd, const char *help, int act,
		      int need_reason)
{
	static const struct option ro[] = {{"reason", required_argument, NULL, 'r'}, {NULL, 0, NULL, 0}};
	const char *reason = NULL;
	int use_reason = act == DP_REC_PROPOSE || act == DP_REC_HOLD;
	int ec = one_mrn(cmd, help, x, argc, argv, use_reason ? ro : NULL, use_reason ? reason_opt : NULL,
			 &reason);
	if (ec)
		return ec < 0 ? EXIT_OK : ec;
	if (need_reason && (!reason || !*reason))
		return cli_usage(cmd, "--reason TEXT is required (it is logged)");
	if (reason && strlen(reason) > DP_RECORDS_DETAIL_MAX)
		return cli_usage(cmd, "--reason takes at most %d bytes", DP_RECORDS_DETAIL_MAX);
	archive_db a;
	archive_row row;
	dp_records_answer ans;
	if (!(ec = open_row(x, &a, argv[optind], &row)))
		ec = ask(x, &a, act, &row, reason, &ans);
	archive_db_close(&a);
	if (ec)
		return ec;
	if (x->json)
		dp_json_print(json_pack("{s:s, s:s, s:I, s:s}", "mrn", row.mrn, "act", dp_records_act_name(act),
					"log_index", (json_int_t)ans.index, "state", state_of(&(archive_row){.st = ans.state})));
	else
		printf("%s: %s logged (log index %lld); now %s\n", row.mrn, dp_records_act_name(act),
		       (long long)ans.index, state_of(&(archive_row){.st = ans.state}));
	return EXIT_OK;
}

static int archive_declassify(cli_ctx *x, int argc, char **argv)
{
	return simple_act(x, argc, argv, "records declassify", declassify_help, DP_REC_PROPOSE, 0);
}
static int archive_approve(cli_ctx *x, int argc, char **argv)
{
	return simple_act(x, argc, argv, "records approve", approve_help, DP_REC_APPROVE, 0);
}
static int archive_hold(cli_ctx *x, int argc, char **argv)
{
	return simple_act(x, argc, argv, "records hold", hold_help, DP_REC_HOLD, 1);
}
static int archive_release(cli_ctx *x, int argc, char **argv)
{
	return simple_act(x, argc, argv, "records release", release_help, DP_REC_RELEASE, 0);
}

/* ---- destroy ---- */

static const char destroy_help[] =
	"usage: denpo records destroy MRN\n"
	"\n"
	"Destroys the record copy at the end of its retention, two records officers\n"
	"together: the first one's destroy proposes it, a second one's destroys it\n"
	"(the proposer repeating is refused).  Refused here before the retention's\n"
	"end (as the schedule says now; never for a permanent class), refused by the\n"
	"switch while held.  Each destroy is logged with the MRN, the retention class,\n"
	"its end and the SHA-256 and size of the record copy; once destroyed, the copy\n"
	"is overwritten and removed (the other archives' copies at their next\n"
	"`denpo records sync`).  The archive keeps the row, marked destroyed.  Run on\n"
	"a destroyed cable whose wipe did not finish, it finishes the wipe.\n";

/*
 * 1 (with *ec) if the switch says the cable is destroyed already (another
 * records officer completed it; this archive has not synced since): the
 * copy here is wiped too.  0 otherwise, or when the switch cannot say
 * (the act that follows says why).
 */
static int destroyed_elsewhere(cli_ctx *x, archive_db *a, const archive_row *row, int *ec)
{
	dp_records_answer st;
	memset(&st, 0, sizeof st);
	if (dp_client_records_state(x->cl, row->cable_id, &st) || !st.state.destroyed_at)
		return 0;
	int r = archive_db_set_state(a, row->cable_id, &st.state);
	*ec = wipe_report(x, r ? r : wipe_destroyed(x, a, row->cable_id), row);
	if (!*ec)
		printf("%s was destroyed already (by %s); the record copy here is wiped too\n", row->mrn,
		       st.state.destroyed_by);
	return 1;
}

static int archive_destroy(cli_ctx *x, int argc, char **argv)
{
	int ec = one_mrn("records destroy", destroy_help, x, argc, argv, NULL, NULL, NULL);
	if (ec)
		return ec < 0 ? EXIT_OK : ec;
	archive_db a;
	archive_row row;
	if ((ec = open_row(x, &a, argv[optind], &row)))
		goto out;
	if (row.st.destroyed_at) {
		if (row.has_copy) { /* the switch destroyed it; the wipe here did not finish */
			if (!(ec = wipe_report(x, wipe_destroyed(x, &a, row.cable_id), &row)))
				printf("%s: the record copy is wiped (destroyed by %s)\n", row.mrn, row.st.destroyed_by);
		} else
			ec = cli_fail_why(x, DP_ESTATE, NULL, "%s was destroyed already", row.mrn);
		goto out;
	}
	if (destroyed_elsewhere(x, &a, &row, &ec))
		goto out;
	/* the retention as the schedule says now, not as it said at ingest */
	if (archive_row_retention(&row, cli_records(x)) == DP_ENOTFOUND) {
		ec = cli_fail_why(x, DP_ENOTFOUND, "ask the switch's operator for the class in the schedule "
						   "(records_retention_*), then `denpo records sync`",
				  "the schedule has no retention class %s (of %s)", row.retention, row.mrn);
		goto out;
	}
	char end[16];
	date_str(row.retention_end, end);
	if (!row.retention_end) {
		ec = cli_fail_why(x, DP_ESTATE, "a permanent record is never destroyed",
				  "%s is kept for ever (retention %s)", row.mrn, row.retention);
		goto out;
	}
	if (dp_now() < row.retention_end) {
		ec = cli_fail_why(x, DP_ESTATE, "destroy it on or after that date",
				  "the retention of %s (%s) ends on %s", row.mrn, row.retention, end);
		goto out;
	}
	dp_buf sub;
	dp_buf_init(&sub, (size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4);
	int r = archive_db_copy(&a, row.cable_id, &sub);
	if (r) {
		dp_buf_free(&sub);
		ec = cli_fail(x, r, NULL, "cannot read the record copy of %s", row.mrn);
		goto out;
	}
	uint8_t h[DP_SHA256];
	char hex[65], detail[DP_RECORDS_DETAIL_MAX + 1];
	dp_sha256(h, sub.p, sub.len);
	dp_hex_encode(hex, h, DP_SHA256);
	snprintf(detail, sizeof detail, "%s retention %s ended %s: record copy sha256:%s size %zu", row.mrn,
		 row.retention, end, hex, sub.len);
	dp_buf_free(&sub);
	dp_records_answer ans;
	memset(&ans, 0, sizeof ans);
	if ((ec = ask(x, &a, DP_REC_DESTROY, &row, detail, &ans)))
		goto out;
	if (!ans.state.destroyed_at) { /* the first officer's destroy: a proposal */
		if (x->json)
			dp_json_print(json_pack("{s:s, s:s, s:s, s:I}", "mrn", row.mrn, "proposed_by",
						ans.state.destroy_proposed_by, "sha256", hex, "log_index",
						(json_int_t)ans.index));
		else
			printf("%s: destruction proposed (log index %lld); a second records officer completes it "
			       "with `denpo records destroy %s`\n",
			       row.mrn, (long long)ans.index, row.mrn);
		goto out;
	}
	if ((ec = wipe_report(x, wipe_destroyed(x, &a, row.cable_id), &row)))
		goto out;
	if (x->json)
		dp_json_print(json_pack("{s:s, s:s, s:I, s:I}", "mrn", row.mrn, "sha256", hex, "size",
					(json_int_t)row.size, "log_index", (json_int_t)ans.index));
	else
		printf("%s destroyed: %lld bytes, sha256:%s (log index %lld)\n", row.mrn, (long long)row.size, hex,
		       (long long)ans.index);
out:
	archive_db_close(&a);
	return ec;
}

/* ---- export ---- */

static const char export_help[] =
	"usage: denpo records export MRN --out DIR\n"
	"\n"
	"Exports a declassified cable as a BagIt bag (RFC 8493) in DIR, which must not\n"
	"exist: the cable as read, its signed text, attachments, metadata as JSON and\n"
	"the log entries with their inclusion proofs and checkpoint, verifiable\n"
	"offline with `denpo audit verify DIR` (docs/formats.md, \"The export bag\").\n"
	"The switch logs the act export first and refuses it unless the cable is\n"
	"declassified.\n";

static int out_opt(void *ctx, int o, const char *arg)
{
	if (o != 'o')
		return 1;
	*(const char **)ctx = arg;
	return 0;
}

static int archive_export_cmd(cli_ctx *x, int argc, char **argv)
{
	static const struct option oo[] = {{"out", required_argument, NULL, 'o'}, {NULL, 0, NULL, 0}};
	const char *dir = NULL;
	int ec = one_mrn("records export", export_help, x, argc, argv, oo, out_opt, &dir);
	if (ec)
		return ec < 0 ? EXIT_OK : ec;
	if (!dir || !*dir)
		return cli_usage("records export", "--out DIR is required (a directory that does not exist yet)");
	archive_db a;
	archive_row row;
	dp_records_answer ans;
	char why[512] = "";
	if (!(ec = open_row(x, &a, argv[optind], &row)) && !(ec = ask(x, &a, DP_REC_EXPORT, &row, NULL, &ans))) {
		dp_envelope e;
		dp_cable c;
		if (!(ec = open_copy(x, &a, &row, &e, &c))) {
			cable_wipe(&e, &c); /* verified; the bag is written from the copy's own bytes */
			int r = archive_export(x, &a, &row, dir, why, sizeof why);
			if (r)
				ec = cli_fail_why(x, r, NULL, "cannot export %s: %s", row.mrn, why);
			else if (x->json)
				dp_json_print(json_pack("{s:s, s:s, s:I}", "mrn", row.mrn, "bag", dir, "log_index",
							(json_int_t)ans.index));
			else
				printf("%s exported to %s (log index %lld)\n", row.mrn, dir, (long long)ans.index);
		}
	}
	archive_db_close(&a);
	return ec;
}

/* ---- the table ---- */

static const struct {
	const char *name;
	int (*fn)(cli_ctx *, int, char **);
	const char *args;
	const char *what;
} subs[] = {
	{"sync", archive_sync, "", "fetch, verify and keep every new cable for this records device"},
	{"list", archive_list, " [--due]", "the record copies (--due: those needing a records officer)"},
	{"search", archive_search, " [--mrn M] [--post P] [--tag T] [--since DATE] [--until DATE] [--subject TEXT] [--text TEXT]",
	 "search by metadata, then subject and text (one logged search act)"},
	{"show", archive_show, " MRN", "show a record copy (a logged read act)"},
	{"declassify", archive_declassify, " MRN [--reason TEXT]", "propose a cable's declassification"},
	{"approve", archive_approve, " MRN", "approve another records officer's proposal"},
	{"hold", archive_hold, " MRN --reason TEXT", "place a legal hold"},
	{"release", archive_release, " MRN", "lift a legal hold"},
	{"destroy", archive_destroy, " MRN", "destroy a record copy at the end of its retention"},
	{"export", archive_export_cmd, " MRN --out DIR", "export a declassified cable as a BagIt bag"},
};

static void records_usage(FILE *f)
{
	fprintf(f, "usage: denpo records SUBCOMMAND [options]\n");
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
		fprintf(f, "       denpo records %s%s\n", subs[i].name, subs[i].args);
	fprintf(f, "\nThe ministry's archive, kept by a records device (a device of an officer\n"
		   "holding the role RECORDS at the records post): each read, search and export,\n"
		   "and each decision of the schedule, is asked of the switch first and logged.\n");
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
		fprintf(f, "  %-10s %s\n", subs[i].name, subs[i].what);
	fprintf(f, "`denpo records SUBCOMMAND --help` describes each.  (Every cable addressed to\n"
		   "any device, newest first: `denpo archive`.)\n");
}

int cmd_records(cli_ctx *x, int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		records_usage(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; argc >= 2 && i < sizeof subs / sizeof subs[0]; i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].fn(x, argc - 1, argv + 1);
	if (argc < 2)
		return cli_usage("records", "give a subcommand: sync, list, search, show, declassify, approve, "
					    "hold, release, destroy, export (`denpo records --help`)");
	return cli_usage("records", "unknown subcommand '%s' (sync, list, search, show, declassify, approve, "
				    "hold, release, destroy, export)", argv[1]);
}
