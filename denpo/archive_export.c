/*
 * denpo/archive_export.c - the export bag of a declassified cable
 * (denpo/bag.h, docs/formats.md "The export bag"): what it holds, written
 * by dp_export_bag for `denpo records export`, and every check of
 * dp_export_verify for `denpo audit verify BAG`.
 *
 * One model serves both: the bag's derived files (cable.txt,
 * metadata.json) are functions of the signed plaintext, the proved log
 * entries and the banner's marking, made here by the same code for the
 * writer and the verifier, which compares them byte for byte.  The log
 * entries travel as c2sp.org/tlog-proof@v1 files checked by
 * cli_proof_check, the same check as a breach report's proofs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "denpo/bag.h"
#include "denpo/cli.h"
#include "denpo/encoding.h"
#include "denpo/logentry.h"
#include "denpo/num.h"

#ifndef DENPO_VERSION
#define DENPO_VERSION "unknown"
#endif

#define PROOF_TEXT_MAX DP_TLOG_PROOF_TEXT_MAX
/*
 * The version of what this file derives (cable.txt, metadata.json): a
 * change to either, or to dp_cable_render, is a new version, and a
 * verifier makes them as the bag's version says.
 */
#define EXPORT_FORMAT "denpo-export/1"

/* One proved log entry of the bag. */
typedef struct {
	uint64_t index;
	char *proof;        /* its tlog-proof text (malloc'd) */
	size_t proof_len;
	dp_logent e;        /* decoded */
	int decoded;
} xent;

typedef struct {
	dp_cable c;
	char mrn[DP_MRN_MAX + 1];
	char marking[DP_MARKING_MAX + 1]; /* the banner's marking of the cable's level, or "" */
	xent *ents;
	size_t nents;
	/* what check_entries found */
	const dp_logent *accepted, *propose, *approve;
} xbag;

static void xbag_free(xbag *b)
{
	dp_cable_free(&b->c);
	for (size_t i = 0; i < b->nents; i++)
		free(b->ents[i].proof);
	free(b->ents);
	memset(b, 0, sizeof *b);
}

/* ---- the checks shared by the writer and the verifier ---- */

static int is_records(const dp_logent *e)
{
	return e->event == DP_LOG_RECORDS;
}

/* The act of a records entry (enum dp_records_act), 0 if it names none. */
static int act_of(const dp_logent *e)
{
	int act = 0;
	return is_records(e) && dp_records_act_parse(e->act, &act) == DP_OK ? act : 0;
}

/*
 * The entries name this cable: a cable-accepted entry of its id, MRN,
 * originating device, classification and precedences; a proposal and an
 * approval of its declassification by two different officers, the
 * approval after the proposal.  DP_OK, or DP_ESIG with why.
 */
static int check_accepted(xbag *b, char *why, size_t cap)
{
	const dp_cable *c = &b->c;
	b->accepted = NULL;
	/* a bag proves facts of its cable only */
	for (size_t i = 0; i < b->nents; i++) {
		const dp_logent *e = &b->ents[i].e;
		if (!b->ents[i].decoded || (e->event != DP_LOG_CABLE_ACCEPTED && !is_records(e)) ||
		    memcmp(e->cable_id, c->id, DP_CABLE_ID) != 0) {
			snprintf(why, cap, "log entry %llu is not a cable-accepted or records entry of this "
					   "cable",
				 (unsigned long long)b->ents[i].index);
			return DP_ESIG;
		}
	}
	for (size_t i = 0; i < b->nents; i++) {
		const dp_logent *e = &b->ents[i].e;
		if (!b->ents[i].decoded || e->event != DP_LOG_CABLE_ACCEPTED)
			continue;
		if (strcmp(e->mrn, b->mrn) != 0) {
			snprintf(why, cap, "the cable-accepted entry %llu names MRN %s, not %s",
				 (unsigned long long)b->ents[i].index, e->mrn, b->mrn);
			return DP_ESIG;
		}
		if (memcmp(e->device, c->from_device, DP_ED25519_PK) != 0) {
			snprintf(why, cap, "the cable-accepted entry %llu names another originating "
					   "device than the one that signed the cable",
				 (unsigned long long)b->ents[i].index);
			return DP_ESIG;
		}
		if (e->classification != c->classification || e->prec_action != c->prec_action ||
		    e->prec_info != c->prec_info || strcmp(e->post, c->from) != 0) {
			snprintf(why, cap, "the cable-accepted entry %llu differs from the cable in "
					   "classification, precedence or post",
				 (unsigned long long)b->ents[i].index);
			return DP_ESIG;
		}
		if (!b->accepted || e->part < b->accepted->part)
			b->accepted = e;
	}
	if (!b->accepted) {
		snprintf(why, cap, "no cable-accepted entry of the cable (the switch's acceptance is not "
				   "proved)");
		return DP_ESIG;
	}
	return DP_OK;
}

static int check_declassified(xbag *b, char *why, size_t cap)
{
	b->propose = b->approve = NULL;
	for (size_t i = 0; i < b->nents; i++) {
		const dp_logent *e = &b->ents[i].e;
		if (!b->ents[i].decoded || !is_records(e) || memcmp(e->cable_id, b->c.id, DP_CABLE_ID) != 0)
			continue;
		if (act_of(e) == DP_REC_PROPOSE && !b->propose)
			b->propose = e;
		else if (act_of(e) == DP_REC_APPROVE && !b->approve)
			b->approve = e;
	}
	if (!b->propose || !b->approve) {
		snprintf(why, cap, "no %s (%s) entry of the cable's declassification",
			 !b->propose ? "proposal" : "approval",
			 dp_records_act_name(!b->propose ? DP_REC_PROPOSE : DP_REC_APPROVE));
		return DP_ESTATE;
	}
	if (!strcmp(b->propose->officer, b->approve->officer)) {
		snprintf(why, cap, "proposed and approved by one officer (%s): a declassification needs "
				   "two",
			 b->propose->officer);
		return DP_ESIG;
	}
	if (b->approve->time < b->propose->time) {
		snprintf(why, cap, "approved before it was proposed");
		return DP_ESIG;
	}
	return DP_OK;
}

/* ---- the derived files ---- */

static int render(const xbag *b, dp_buf *out)
{
	dp_markings m;
	memset(&m, 0, sizeof m);
	if (b->marking[0]) {
		char w[DP_MARKING_WHY];
		int r = dp_markings_set(&m, dp_class_name(b->c.classification), b->marking,
					strlen(b->marking), w, sizeof w);
		if (r)
			return r;
	}
	return dp_cable_render_marked(&b->c, b->mrn, b->marking[0] ? &m : NULL, out);
}

static json_t *names(const char (*v)[DP_NAME_MAX + 1], size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* RFC 3339 UTC, as JSON readers expect ("2026-02-24T10:23:00Z"). */
static json_t *when(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm g;
	char s[32];
	if (!gmtime_r(&tt, &g) || !strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &g))
		return json_integer((json_int_t)t);
	return json_string(s);
}

static json_t *hex(const uint8_t *p, size_t n)
{
	char h[2 * DP_ED25519_PK + 1];
	dp_hex_encode(h, p, n);
	return json_string(h);
}

static int metadata(const xbag *b, dp_buf *out)
{
	const dp_cable *c = &b->c;
	char dtg[16];
	dp_dtg_format(c->created, dtg);
	json_t *atts = json_array(), *refs = json_array(), *ents = json_array();
	for (size_t i = 0; i < c->natts; i++)
		json_array_append_new(atts, json_pack("{s:s, s:I, s:o}", "name", c->atts[i].name, "size",
						      (json_int_t)c->atts[i].len, "sha256",
						      hex(c->atts[i].sha256, DP_SHA256)));
	for (size_t i = 0; i < c->nrefs; i++)
		json_array_append_new(refs, json_string(c->refs[i]));
	for (size_t i = 0; i < b->nents; i++) {
		const dp_logent *e = &b->ents[i].e;
		char f[48];
		snprintf(f, sizeof f, "proofs/%llu.tlog-proof", (unsigned long long)b->ents[i].index);
		json_t *o = json_pack("{s:I, s:s, s:o, s:s}", "index", (json_int_t)b->ents[i].index, "event",
				      dp_log_event_name(e->event) ? dp_log_event_name(e->event) : "?",
				      "time", when(e->time), "file", f);
		if (is_records(e))
			json_object_set_new(o, "act", json_string(e->act));
		if (e->officer[0])
			json_object_set_new(o, "officer", json_string(e->officer));
		json_array_append_new(ents, o);
	}
	json_t *j = json_pack(
		"{s:s, s:s, s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:o, s:{s:s, s:s}, s:o, s:s, s:o, s:s, s:o}",
		"format", EXPORT_FORMAT, "mrn", b->mrn, "id", hex(c->id, DP_CABLE_ID), "classification",
		dp_class_name(c->classification), "marking", b->marking, "captions",
		names(c->captions, c->ncaptions), "from", json_string(c->from), "to", names(c->to, c->nto),
		"info", names(c->info, c->ninfo), "dtg", dtg, "created", when(c->created), "precedence",
		"action", dp_prec_name(c->prec_action), "info", dp_prec_name(c->prec_info), "tags",
		names(c->tags, c->ntags), "subject", c->subject, "refs", refs, "classified_by",
		c->classified_by, "attn", names(c->attn, c->nattn));
	if (!j) {
		json_decref(atts);
		json_decref(ents);
		return DP_ENOMEM;
	}
	json_object_set_new(j, "declassify_on", json_string(c->declassify_on));
	json_object_set_new(j, "declassify_event", json_string(c->declassify_event));
	json_object_set_new(j, "retention", json_string(c->retention[0] ? c->retention : "PERMANENT"));
	json_object_set_new(j, "originator_device", hex(c->from_device, DP_ED25519_PK));
	if (b->accepted)
		json_object_set_new(j, "accepted",
				    json_pack("{s:o, s:s, s:s}", "time", when(b->accepted->time), "officer",
					      b->accepted->officer, "post", b->accepted->post));
	if (b->propose && b->approve)
		json_object_set_new(j, "declassification",
				    json_pack("{s:s, s:o, s:s, s:o, s:[s, s]}", "proposed_by",
					      b->propose->officer, "proposed_at", when(b->propose->time),
					      "approved_by", b->approve->officer, "declassified_at",
					      when(b->approve->time), "approvers", b->propose->officer,
					      b->approve->officer));
	json_object_set_new(j, "attachments", atts);
	json_object_set_new(j, "log_entries", ents);
	char *s = json_dumps(j, JSON_INDENT(2));
	json_decref(j);
	if (!s)
		return DP_ENOMEM;
	int r = dp_buf_puts(out, s);
	if (!r)
		r = dp_buf_putc(out, '\n');
	free(s);
	return r;
}

/* ---- writing ---- */

static int add_entry(xbag *b, const dp_log_incl *in, const cli_ckpt *ck, const dp_note_vkey *k,
		     char *why, size_t cap)
{
	if (!in->present || !in->entry || in->entry_len == 0 || in->entry_len > DP_TLOG_ENTRY_MAX ||
	    in->nproof > DP_TLOG_PROOF_MAX) {
		snprintf(why, cap, "a log entry is missing or malformed");
		return DP_EINVAL;
	}
	dp_tlog_proof *p = calloc(1, sizeof *p);
	if (!p)
		return DP_ENOMEM;
	p->index = in->index;
	memcpy(p->proof, in->proof, in->nproof * DP_TLOG_HASH);
	p->n = in->nproof;
	memcpy(p->extra_buf, in->entry, in->entry_len);
	p->extra_len = in->entry_len;
	p->has_extra = 1;
	p->note = ck->note;
	p->note_len = ck->len;
	dp_buf t;
	dp_buf_init(&t, PROOF_TEXT_MAX);
	int r = dp_tlog_proof_encode(&t, p);
	xent *x = &b->ents[b->nents];
	uint64_t size;
	char msg[300];
	if (!r && (r = cli_proof_check(k, (const char *)t.p, t.len, ck, p, &size, msg, sizeof msg)) != DP_OK)
		snprintf(why, cap, "log entry %llu: %s (ask the switch for proofs at the checkpoint's size)",
			 (unsigned long long)in->index, msg);
	else if (!r && dp_logent_decode(&x->e, in->entry, in->entry_len) != DP_OK) {
		snprintf(why, cap, "log entry %llu is not a denpo log entry this version reads",
			 (unsigned long long)in->index);
		r = DP_EINVAL;
	}
	for (size_t i = 0; !r && i < b->nents; i++)
		if (b->ents[i].index == in->index) {
			snprintf(why, cap, "log entry %llu given twice", (unsigned long long)in->index);
			r = DP_EINVAL;
		}
	free(p);
	if (r) {
		dp_buf_free(&t);
		return r;
	}
	x->index = in->index;
	x->proof = (char *)t.p; /* owned now */
	x->proof_len = t.len;
	x->decoded = 1;
	b->nents++;
	return DP_OK;
}

int dp_export_bag(const dp_export *ex, const char *dir, char *why, size_t whycap)
{
	char w[512] = "";
	if (!why || !whycap)
		why = w, whycap = sizeof w;
	why[0] = 0;
	if (!ex || !dir || !ex->mrn || !dp_mrn_ok(ex->mrn) || !ex->cable || !ex->checkpoint ||
	    !ex->log_key || ex->naccepted + ex->nrecords > DP_EXPORT_ENTRIES_MAX ||
	    (ex->naccepted && !ex->accepted) || (ex->nrecords && !ex->records)) {
		snprintf(why, whycap, "bad arguments to the export");
		return DP_EINVAL;
	}
	xbag *b = calloc(1, sizeof *b);
	if (!b)
		return DP_ENOMEM;
	b->ents = calloc(DP_EXPORT_ENTRIES_MAX, sizeof *b->ents);
	cli_ckpt ck;
	memset(&ck, 0, sizeof ck);
	dp_buf txt, meta;
	dp_buf_init(&txt, DP_MAX_PLAINTEXT);
	dp_buf_init(&meta, 1u << 20);
	dp_bag_file files[DP_BAG_FILES_MAX];
	char paths[DP_MAX_ATTACHMENTS + DP_EXPORT_ENTRIES_MAX][DP_BAG_PATH_MAX + 1];
	size_t nf = 0, np = 0;
	char vkey[DP_NOTE_VKEY_MAX + 2];
	int r = b->ents ? DP_OK : DP_ENOMEM;
	snprintf(b->mrn, sizeof b->mrn, "%s", ex->mrn);
	if (!r && (r = dp_cable_decode(&b->c, ex->cable, ex->cable_len)) != DP_OK)
		snprintf(why, whycap, "the cable's signed plaintext does not verify (%s)", dp_strerror(r));
	if (!r && ex->markings && ex->markings->of[b->c.classification][0])
		snprintf(b->marking, sizeof b->marking, "%s", ex->markings->of[b->c.classification]);
	if (!r && (r = cli_ckpt_open(ex->log_key, ex->checkpoint, ex->checkpoint_len, &ck)) != DP_OK)
		snprintf(why, whycap, "the checkpoint is not signed by the log key (%s)", dp_strerror(r));
	for (size_t i = 0; !r && i < ex->naccepted; i++)
		r = add_entry(b, &ex->accepted[i], &ck, ex->log_key, why, whycap);
	for (size_t i = 0; !r && i < ex->nrecords; i++)
		r = add_entry(b, &ex->records[i], &ck, ex->log_key, why, whycap);
	if (!r)
		r = check_accepted(b, why, whycap);
	if (!r)
		r = check_declassified(b, why, whycap);
	if (!r && ex->submission) {
		uint8_t h[DP_SHA256];
		dp_sha256(h, ex->submission, ex->submission_len);
		if (memcmp(h, b->accepted->envelope_hash, DP_SHA256) != 0) {
			snprintf(why, whycap, "the submission's SHA-256 is not the Envelope-Hash of the "
					      "cable-accepted entry");
			r = DP_EINVAL;
		}
	}
	if (!r && (r = render(b, &txt)) != DP_OK)
		snprintf(why, whycap, "cannot render the cable (%s)", dp_strerror(r));
	if (!r && (r = metadata(b, &meta)) != DP_OK)
		snprintf(why, whycap, "cannot write the metadata (%s)", dp_strerror(r));
	if (!r && (r = dp_note_vkey_format(vkey, sizeof vkey - 1, ex->log_key)) == DP_OK)
		strcat(vkey, "\n");
	if (!r) {
		files[nf++] = (dp_bag_file){"cable.txt", txt.p, txt.len};
		files[nf++] = (dp_bag_file){"cable.signed", ex->cable, ex->cable_len};
		files[nf++] = (dp_bag_file){"metadata.json", meta.p, meta.len};
		if (ex->submission)
			files[nf++] = (dp_bag_file){"submission", ex->submission, ex->submission_len};
		files[nf++] = (dp_bag_file){"proofs/checkpoint", (const uint8_t *)ck.note, ck.len};
		files[nf++] = (dp_bag_file){"proofs/log-key", (const uint8_t *)vkey, strlen(vkey)};
		for (size_t i = 0; i < b->c.natts; i++, np++) {
			snprintf(paths[np], sizeof paths[np], "attachments/%s", b->c.atts[i].name);
			files[nf++] = (dp_bag_file){paths[np], b->c.atts[i].data, b->c.atts[i].len};
		}
		for (size_t i = 0; i < b->nents; i++, np++) {
			snprintf(paths[np], sizeof paths[np], "proofs/%llu.tlog-proof",
				 (unsigned long long)b->ents[i].index);
			files[nf++] = (dp_bag_file){paths[np], (const uint8_t *)b->ents[i].proof,
						    b->ents[i].proof_len};
		}
		char desc[DP_SUBJECT_MAX + 96], id[2 * DP_CABLE_ID + 1];
		snprintf(desc, sizeof desc, "Declassified cable %s: %s", b->mrn, b->c.subject);
		dp_hex_encode(id, b->c.id, DP_CABLE_ID);
		dp_bag_info info[] = {
			{"Source-Organization", ex->organization ? ex->organization : b->c.from},
			{"External-Identifier", b->mrn},
			{"External-Description", desc},
			{"Internal-Sender-Identifier", id},
			{"Bag-Software-Agent", "denpo " DENPO_VERSION},
		};
		r = dp_bag_write(dir, files, nf, info, sizeof info / sizeof info[0], why, whycap);
	}
	/* the plaintext of the record copy does not linger in this process's memory */
	if (txt.p)
		sodium_memzero(txt.p, txt.len);
	dp_buf_free(&txt);
	dp_buf_free(&meta);
	cli_ckpt_free(&ck);
	xbag_free(b);
	free(b);
	return r;
}

/* ---- verifying ---- */

typedef struct {
	dp_export_check *v;
	size_t n, max;
	int first;
} checks;

static int report(checks *cs, const char *what, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int report(checks *cs, const char *what, int r, const char *fmt, ...)
{
	if (r && !cs->first)
		cs->first = r;
	if (cs->n < cs->max) {
		dp_export_check *c = &cs->v[cs->n++];
		c->what = what;
		c->ok = r == DP_OK;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->msg, sizeof c->msg, fmt, ap);
		va_end(ap);
	}
	return r;
}

/* The proofs/ files: INDEX.tlog-proof each, under the bag's checkpoint. */
static int read_entries(xbag *x, const dp_bag *bag, const dp_note_vkey *k, const cli_ckpt *ck, checks *cs)
{
	dp_tlog_proof *p = calloc(1, sizeof *p);
	if (!p)
		return report(cs, "proofs", DP_ENOMEM, "out of memory");
	int r = DP_OK;
	for (size_t i = 0; i < bag->nfiles && !r; i++) {
		const char *f = bag->files[i].path;
		size_t l = strlen(f);
		if (strncmp(f, "proofs/", 7) != 0 || l <= 7 + 11 || strcmp(f + l - 11, ".tlog-proof") != 0)
			continue;
		uint64_t idx, size;
		char msg[300];
		if (dp_num_u64(&idx, f + 7, l - 7 - 11, 0, UINT64_MAX) != DP_OK) {
			r = report(cs, "proofs", DP_EPARSE, "%s: not named INDEX.tlog-proof", f);
			break;
		}
		if (x->nents == DP_EXPORT_ENTRIES_MAX) {
			r = report(cs, "proofs", DP_ETOOBIG, "more than %d log entries", DP_EXPORT_ENTRIES_MAX);
			break;
		}
		r = cli_proof_check(k, (const char *)bag->files[i].data, bag->files[i].len, ck, p, &size, msg,
				    sizeof msg);
		if (r) {
			report(cs, "proofs", r, "%s: %s", f, msg);
			break;
		}
		if (p->index != idx) {
			r = report(cs, "proofs", DP_ESIG, "%s proves entry %llu", f, (unsigned long long)p->index);
			break;
		}
		xent *e = &x->ents[x->nents++];
		e->index = idx;
		e->decoded = dp_logent_decode(&e->e, p->extra_buf, p->extra_len) == DP_OK;
		if (!e->decoded) {
			r = report(cs, "proofs", DP_EPARSE, "%s: entry %llu is proved, but not a denpo log "
							    "entry this version reads",
				   f, (unsigned long long)idx);
			break;
		}
	}
	free(p);
	if (!r && x->nents == 0)
		r = report(cs, "proofs", DP_ENOTFOUND, "no proofs/INDEX.tlog-proof file");
	else if (!r)
		report(cs, "proofs", DP_OK, "%zu log entries, each proved under the checkpoint", x->nents);
	return r;
}

static int cmp_ent(const void *a, const void *b)
{
	uint64_t x = ((const xent *)a)->index, y = ((const xent *)b)->index;
	return x < y ? -1 : x > y;
}

static int same(const dp_bag_payload *f, const dp_buf *want)
{
	return f && f->len == want->len && (want->len == 0 || !memcmp(f->data, want->p, want->len));
}

/* The payload files an export bag may hold beyond attachments/ and proofs/INDEX.tlog-proof. */
static const char *const KNOWN[] = {"cable.txt", "cable.signed", "metadata.json", "submission",
				    "proofs/checkpoint", "proofs/log-key"};

static void verify_bag(const char *dir, const dp_note_vkey *k, dp_bag *bag, xbag *x, checks *cs)
{
	char why[512] = "";
	int r = dp_bag_read(dir, bag, why, sizeof why);
	if (r) {
		report(cs, "bag", r, "not a valid BagIt bag: %s", why);
		return;
	}
	report(cs, "bag", DP_OK,
	       "BagIt 1.0: every payload file in each manifest (%s%s%s), digests and Payload-Oxum "
	       "match (%zu files)",
	       bag->algs & DP_BAG_SHA256 ? "sha256" : "",
	       bag->algs & DP_BAG_SHA256 && bag->algs & DP_BAG_SHA512 ? ", " : "",
	       bag->algs & DP_BAG_SHA512 ? "sha512" : "", bag->nfiles);
	/* nothing but what an export bag holds */
	for (size_t i = 0; i < bag->nfiles; i++) {
		const char *f = bag->files[i].path;
		int ok = !strncmp(f, "attachments/", 12) ||
			 (!strncmp(f, "proofs/", 7) && strlen(f) > 18 &&
			  !strcmp(f + strlen(f) - 11, ".tlog-proof"));
		for (size_t j = 0; j < sizeof KNOWN / sizeof KNOWN[0]; j++)
			ok |= !strcmp(f, KNOWN[j]);
		if (!ok) {
			report(cs, "bag", DP_EPARSE, "data/%s is no part of an export bag", f);
			return;
		}
	}
	/* the cable's signature */
	const dp_bag_payload *sf = dp_bag_find(bag, "cable.signed");
	r = sf ? dp_cable_decode(&x->c, sf->data, sf->len) : DP_ENOTFOUND;
	char fd[2 * DP_ED25519_PK + 1];
	if (!r)
		dp_hex_encode(fd, x->c.from_device, DP_ED25519_PK);
	if (r == DP_ENOTFOUND)
		report(cs, "signature", r, "data/cable.signed is missing");
	else if (r)
		report(cs, "signature", r, "data/cable.signed does not verify (%s): altered, or not a cable",
		       dp_strerror(r));
	else
		report(cs, "signature", r, "the cable is signed by its originating device %.16s...", fd);
	if (r)
		return;
	/* metadata.json: its MRN and marking, then byte for byte what the cable and entries make */
	const dp_bag_payload *mf = dp_bag_find(bag, "metadata.json");
	json_error_t je;
	json_t *mj = mf ? json_loadb((const char *)mf->data, mf->len, JSON_REJECT_DUPLICATES, &je) : NULL;
	const char *mrn = json_string_value(json_object_get(mj, "mrn"));
	const char *mk = json_string_value(json_object_get(mj, "marking"));
	const char *fmt = json_string_value(json_object_get(mj, "format"));
	if (mf && mj && (!fmt || strcmp(fmt, EXPORT_FORMAT) != 0)) {
		json_decref(mj);
		report(cs, "metadata.json", DP_EUNSUPP, "data/metadata.json is not of format %s: verify the "
							"bag with the denpo that made it",
		       EXPORT_FORMAT);
		return;
	}
	if (!mrn || !dp_mrn_ok(mrn) || !mk || strlen(mk) > DP_MARKING_MAX) {
		json_decref(mj);
		report(cs, "metadata.json", DP_EPARSE, "data/metadata.json is missing or has no MRN");
		return;
	}
	snprintf(x->mrn, sizeof x->mrn, "%s", mrn);
	snprintf(x->marking, sizeof x->marking, "%s", mk);
	json_decref(mj);
	/* what a catalogue reads of the bag names this cable */
	const char *ei = dp_bag_info_get(bag, "External-Identifier");
	const char *si = dp_bag_info_get(bag, "Internal-Sender-Identifier");
	char id[2 * DP_CABLE_ID + 1];
	dp_hex_encode(id, x->c.id, DP_CABLE_ID);
	if (!ei || strcmp(ei, x->mrn) != 0 || !si || strcmp(si, id) != 0)
		report(cs, "bag-info", DP_ESIG, "bag-info.txt's External-Identifier or "
						"Internal-Sender-Identifier is not the cable's MRN %s and id",
		       x->mrn);
	else
		report(cs, "bag-info", DP_OK, "External-Identifier %s, Internal-Sender-Identifier the "
					      "cable's id",
		       x->mrn);
	/* the checkpoint, under the key given (never the bag's own copy) */
	const dp_bag_payload *cf = dp_bag_find(bag, "proofs/checkpoint");
	cli_ckpt ck;
	memset(&ck, 0, sizeof ck);
	r = cf ? cli_ckpt_open(k, (const char *)cf->data, cf->len, &ck) : DP_ENOTFOUND;
	if (r == DP_ENOTFOUND)
		report(cs, "checkpoint", r, "data/proofs/checkpoint is missing");
	else if (r)
		report(cs, "checkpoint", r, "data/proofs/checkpoint is not signed by the log key %s+%08x (%s)",
		       k->name, k->id, dp_strerror(r));
	else
		report(cs, "checkpoint", r, "signed by the log key %s+%08x, %llu entries", k->name, k->id,
		       (unsigned long long)ck.cp.size);
	if (!r)
		r = read_entries(x, bag, k, &ck, cs);
	cli_ckpt_free(&ck);
	if (r)
		return;
	qsort(x->ents, x->nents, sizeof *x->ents, cmp_ent);
	/* the entries name this cable */
	r = check_accepted(x, why, sizeof why);
	if (r)
		report(cs, "accepted", r, "%s", why);
	else
		report(cs, "accepted", r, "the log's cable-accepted entry names this cable, MRN %s and its "
					  "originating device",
		       x->mrn);
	const dp_bag_payload *sub = dp_bag_find(bag, "submission");
	if (!r && sub) {
		uint8_t h[DP_SHA256];
		dp_sha256(h, sub->data, sub->len);
		int sr = memcmp(h, x->accepted->envelope_hash, DP_SHA256) ? DP_ESIG : DP_OK;
		report(cs, "submission", sr, sr ? "data/submission is not what the switch accepted "
						  "(SHA-256 is not the entry's Envelope-Hash)"
						: "data/submission is what the switch accepted (Envelope-Hash)");
	}
	int dr = check_declassified(x, why, sizeof why);
	if (dr)
		report(cs, "declassification", dr, "%s", why);
	else
		report(cs, "declassification", DP_OK, "proposed by %s, approved by %s (two officers, both "
						      "in the log)",
		       x->propose->officer, x->approve->officer);
	/* cable.txt and metadata.json: what the signed cable and the entries make */
	dp_buf t;
	dp_buf_init(&t, DP_MAX_PLAINTEXT);
	r = render(x, &t);
	const dp_bag_payload *tf = dp_bag_find(bag, "cable.txt");
	if (r)
		report(cs, "cable.txt", r, "the marking in metadata.json is not one (%s)", dp_strerror(r));
	else if (!same(tf, &t))
		report(cs, "cable.txt", DP_ESIG, "data/cable.txt is not the signed cable as read");
	else
		report(cs, "cable.txt", DP_OK, "is the signed cable as read");
	dp_buf_reset(&t);
	if (!r && (r = metadata(x, &t)) != DP_OK)
		report(cs, "metadata.json", r, "cannot make it (%s)", dp_strerror(r));
	else if (!r && !same(mf, &t))
		report(cs, "metadata.json", DP_ESIG, "data/metadata.json differs from what the signed "
						     "cable and the log entries say");
	else if (!r)
		report(cs, "metadata.json", DP_OK, "is what the signed cable and the log entries say");
	if (t.p)
		sodium_memzero(t.p, t.len);
	dp_buf_free(&t);
	/* the attachments: exactly the cable's */
	size_t natt = 0;
	for (size_t i = 0; i < bag->nfiles; i++)
		natt += !strncmp(bag->files[i].path, "attachments/", 12);
	int ar = natt == x->c.natts ? DP_OK : DP_ESIG;
	for (size_t i = 0; !ar && i < x->c.natts; i++) {
		char p[DP_BAG_PATH_MAX + 1];
		snprintf(p, sizeof p, "attachments/%s", x->c.atts[i].name);
		const dp_bag_payload *f = dp_bag_find(bag, p);
		if (!f || f->len != x->c.atts[i].len ||
		    (f->len && memcmp(f->data, x->c.atts[i].data, f->len) != 0))
			ar = DP_ESIG;
	}
	report(cs, "attachments", ar, ar ? "data/attachments/ is not the cable's attachments (%zu)"
					 : "data/attachments/ holds the cable's attachments (%zu)",
	       x->c.natts);
}

int dp_export_verify(const char *dir, const dp_note_vkey *k, dp_export_check *v, size_t *n)
{
	checks cs = {v, 0, DP_EXPORT_CHECKS, 0};
	dp_bag *bag = calloc(1, sizeof *bag);
	xbag *x = calloc(1, sizeof *x);
	if (x)
		x->ents = calloc(DP_EXPORT_ENTRIES_MAX, sizeof *x->ents);
	if (!bag || !x || !x->ents)
		report(&cs, "bag", DP_ENOMEM, "out of memory");
	else
		verify_bag(dir, k, bag, x, &cs);
	if (bag)
		dp_bag_free(bag);
	free(bag);
	if (x) {
		x->nents = 0; /* the entries own nothing in the verifier */
		xbag_free(x);
	}
	free(x);
	*n = cs.n;
	return cs.first;
}
