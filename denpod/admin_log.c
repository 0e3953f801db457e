/*
 * denpod/admin_log.c - `denpod log checkpoint|verify|show`: the operator's
 * and the auditor's view of the transparency log, read from the database
 * (works beside a running `denpod run`); and `denpod log rollback`, the
 * operator's acceptance of a database restored from an older backup.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "denpo/num.h"
#include "denpod/admin.h"
#include "denpod/backup.h"
#include "denpod/cable_rules.h"
#include "denpo/encoding.h"
#include "denpod/signer.h"
#include "denpod/store.h"
#include "denpod/tlog.h"

struct cosigners {
	const dps_checkpoint *c;
	size_t text_len; /* of c's note: the text and its blank line end at text_len + 1 */
	json_t *names;
};

/*
 * The cosigner's name of one stored cosignature line, read by the note
 * parser: the checkpoint's text followed by that line is a note with one
 * signature.  A line that is not one (a damaged database) is an error.
 */
static int cosigner(void *ctx, const char *line)
{
	struct cosigners *x = ctx;
	dp_note_sig sig;
	size_t n = 0;
	dp_buf b;
	dp_buf_init(&b, DPS_NOTE_MAX + DP_NOTE_VKEY_MAX + 2 * DP_NOTE_SIG_MAX);
	int r = dp_buf_append(&b, x->c->note, x->text_len + 1);
	if (!r)
		r = dp_buf_puts(&b, line);
	if (!r)
		r = dp_note_parse((const char *)b.p, b.len, NULL, &sig, 1, &n);
	dp_buf_free(&b);
	if (r) {
		fprintf(stderr, "denpod: log checkpoint: a stored cosignature of checkpoint %llu is not "
				"a signature line (%s): the database is damaged (denpod check)\n",
			(unsigned long long)x->c->size, dp_strerror(r));
		return DP_EPARSE;
	}
	return json_array_append_new(x->names, json_string(sig.name)) ? DP_ENOMEM : DP_OK;
}

/*
 * The checkpoint's origin, size and root as its note says them
 * (dp_note_parse, dp_checkpoint_parse: the parsers the devices use), the
 * note as the text form prints it, and the cosigners whose lines the
 * switch stored for that size (each verified when a device sent it).
 */
int dpa_checkpoint_json(dps_store *s, json_t **out)
{
	dps_checkpoint c;
	*out = NULL;
	int r = dps_log_latest(s, &c);
	if (r)
		return r;
	struct cosigners x = {&c, 0, json_array()};
	dp_checkpoint cp;
	char root[48];
	r = dp_note_parse(c.note, c.note_len, &x.text_len, NULL, 0, NULL);
	if (!r)
		r = dp_checkpoint_parse(&cp, c.note, x.text_len);
	if (r) {
		json_decref(x.names);
		fprintf(stderr, "denpod: log checkpoint: the latest stored checkpoint (size %llu) is not "
				"a signed checkpoint note (%s): the database is damaged (denpod check)\n",
			(unsigned long long)c.size, dp_strerror(r));
		return DP_EPARSE;
	}
	r = x.names ? dps_log_cosigs(s, c.size, SIZE_MAX, cosigner, &x) : DP_ENOMEM;
	dp_b64_encode(root, cp.root, DP_TLOG_HASH, 1);
	json_t *j = r ? NULL : json_pack("{s:s, s:I, s:s, s:s%, s:O, s:I}", "origin", cp.origin, "size",
					 (json_int_t)cp.size, "root", root, "note", c.note,
					 c.note_len, "cosigners", x.names, "signed", (json_int_t)c.t);
	json_decref(x.names);
	*out = j;
	return r ? r : j ? DP_OK : DP_ENOMEM;
}

static int log_checkpoint(dps_store *s, int json)
{
	dps_checkpoint c;
	json_t *j = NULL;
	int r = json ? dpa_checkpoint_json(s, &j) : dps_log_latest(s, &c);
	if (r == DP_ENOTFOUND) {
		fprintf(stderr, "denpod: no checkpoint yet: `denpod run` signs the first one when it "
				"starts\n");
		return 1;
	}
	if (r == DP_EPARSE)
		return 1; /* said */
	if (r) {
		fprintf(stderr, "denpod: log checkpoint: %s\n", dp_strerror(r));
		return 1;
	}
	if (json) {
		dp_json_print(j);
		return 0;
	}
	fwrite(c.note, 1, c.note_len, stdout);
	return 0;
}

static int log_verify(const dpc_config *c, dps_store *s)
{
	char vks[DP_NOTE_VKEY_MAX + 1];
	dp_note_vkey vk;
	int r = dpl_vkey(c, vks, sizeof vks);
	if (!r)
		r = dp_note_vkey_parse(&vk, vks, strlen(vks));
	if (r) {
		fprintf(stderr, "denpod: log verify: cannot make the log's verifier key: %s\n",
			dp_strerror(r));
		return 1;
	}
	r = dpl_verify(s, &vk, stdout);
	return r ? 1 : 0;
}

struct show_ctx {
	dp_logent *e;
	char *text; /* the entry as shown */
	size_t cap;
	dp_json_stream *json; /* --json; NULL: the text form */
};

/* The entry's string fields in --json, each where the entry has it (not ""). */
static const struct {
	const char *key;
	size_t off;
} show_fields[] = {
	{"mrn", offsetof(dp_logent, mrn)},
	{"officer", offsetof(dp_logent, officer)},
	{"post", offsetof(dp_logent, post)},
	{"operator", offsetof(dp_logent, operator_)},
	{"source", offsetof(dp_logent, source)},
	{"detail", offsetof(dp_logent, text)}, /* Detail, or Reason */
};

/* One entry as a JSON object; e is NULL for bytes that are not a valid entry. */
static json_t *entry_json(uint64_t idx, const dp_logent *e, const char *text, size_t len)
{
	json_t *j = json_pack("{s:I, s:b, s:s%, s:o, s:o}", "index", (json_int_t)idx, "valid",
			      e != NULL, "entry", text, len, "event",
			      e ? json_string(dp_log_event_name(e->event)) : json_null(), "time",
			      e ? json_integer(e->time) : json_null());
	if (!j || !e)
		return j;
	char hex[2 * DP_ED25519_PK + 1];
	if (e->mrn[0]) { /* every cable event has its Cable-Id and Reference */
		dp_hex_encode(hex, e->cable_id, DP_CABLE_ID);
		json_object_set_new(j, "cable_id", json_string(hex));
	}
	if (e->has_device) {
		dp_hex_encode(hex, e->device, DP_ED25519_PK);
		json_object_set_new(j, "device", json_string(hex));
	}
	if (e->event == DP_LOG_KEY_PUBLISHED || e->event == DP_LOG_KEY_RETIRED)
		json_object_set_new(j, "epoch", json_integer(e->epoch));
	/* the entry's Act (admin), Action (containment) or Rule (alert) */
	if (e->act[0])
		json_object_set_new(j, e->event == DP_LOG_ALERT ? "rule" : "act", json_string(e->act));
	for (size_t i = 0; i < sizeof show_fields / sizeof show_fields[0]; i++) {
		const char *v = (const char *)e + show_fields[i].off;
		if (*v)
			json_object_set_new(j, show_fields[i].key, json_string(v));
	}
	return j;
}

/* Why the JSON stream failed: stdout, or an allocation. */
static int stream_err(void)
{
	return ferror(stdout) ? DP_EIO : DP_ENOMEM;
}

static int show_one(void *ctx, uint64_t idx, const uint8_t *p, size_t len)
{
	struct show_ctx *x = ctx;
	int ok = dp_logent_decode(x->e, p, len) == DP_OK;
	if (len + 1 > x->cap) {
		char *t = realloc(x->text, len + 1);
		if (!t)
			return DP_ENOMEM;
		x->text = t;
		x->cap = len + 1;
	}
	/* entries are printable ASCII lines; anything else is shown as '?' */
	for (size_t i = 0; i < len; i++)
		x->text[i] = p[i] == '\n' || (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	if (x->json)
		return dp_json_stream_item(x->json, entry_json(idx, ok ? x->e : NULL, x->text, len))
			       ? stream_err() : DP_OK;
	printf("# entry %llu%s\n", (unsigned long long)idx, ok ? "" : " (NOT A VALID ENTRY)");
	fwrite(x->text, 1, len, stdout);
	if (len && p[len - 1] != '\n')
		putchar('\n');
	putchar('\n');
	return DP_OK;
}

/*
 * Entries --from I, --count N (all by default).  --json streams them, one
 * object printed as each entry is read: a log of any size needs the memory
 * of one entry.
 */
static int log_show(const dpa_args *a, dps_store *s)
{
	uint64_t from = 0, count = UINT64_MAX;
	const char *bad = a->from && dp_num_str(&from, a->from, 0, INT64_MAX)	 ? "--from"
			  : a->count && dp_num_str(&count, a->count, 0, INT64_MAX) ? "--count"
										   : NULL;
	if (bad) {
		fprintf(stderr, "denpod: %s takes a decimal number 0..%lld (no sign, no leading zero, "
				"nothing after the digits)\n", bad, (long long)INT64_MAX);
		return 2;
	}
	dp_json_stream js;
	struct show_ctx x = {malloc(sizeof(dp_logent)), NULL, 0, a->json ? &js : NULL};
	if (!x.e)
		return 1;
	int r = x.json && dp_json_stream_begin(x.json, "entries") ? stream_err() : DP_OK;
	if (!r)
		r = dps_log_entries(s, from, count, show_one, &x);
	if (!r && x.json && dp_json_stream_end(x.json))
		r = stream_err();
	free(x.e);
	free(x.text);
	if (r) {
		fprintf(stderr, "denpod: log show: %s%s\n", dp_strerror(r),
			x.json ? " (the JSON on stdout is cut short)" : "");
		return 1;
	}
	return 0;
}

/*
 * The signer refuses a database whose log is older than what it signed
 * (signer.state).  When no newer copy exists, an operator accepts the
 * rollback (`denpod log rollback`, or `denpod restore`, which calls this):
 * signer.state is set to the database's latest checkpoint, after an admin
 * entry (LOG-ROLLBACK) that says what was lost.  Every device that saw a
 * checkpoint above it will report a fork, rightly.
 *
 * The MRN rule: a post's MRNs are numbered by the counter in table mrn,
 * which the restored database holds as it was at the backup, so the cables
 * accepted after it would see their MRNs handed out again, to other cables.
 * Each of those cables has at least one cable-accepted entry among the lost
 * entries, so no post accepted more than lost = signed size - restored
 * size cables after the backup: every counter moves lost numbers on, in
 * the transaction of the LOG-ROLLBACK entry.  Some numbers are skipped
 * (never repeated); a gap in a post's MRNs is what a restore looks like.
 * That bound counts every lost entry (fetches, keys: not only cables) and
 * misses entries committed after the last signed checkpoint, so when the
 * replaced database can be read (restore: old_db), its own counters are
 * taken instead (dps_mrn_merge): exact, no jump toward the cap (DPR_MRN_END).
 */
int dpa_signed_checkpoint(const dpc_config *c, const char *file, uint64_t restored,
			  const char *what, dp_checkpoint *cp)
{
	char vks[DP_NOTE_VKEY_MAX + 1];
	dp_note_vkey vk;
	dp_buf b;
	dp_buf_init(&b, DPS_NOTE_MAX + 1);
	int r = dp_read_file(file, &b);
	if (r) {
		fprintf(stderr, "denpod: %s: cannot read the signed checkpoint %s: %s\n", what, file,
			dp_strerror(r));
		dp_buf_free(&b);
		return 1;
	}
	r = dpl_vkey(c, vks, sizeof vks);
	if (!r)
		r = dp_note_vkey_parse(&vk, vks, strlen(vks));
	if (r) {
		dp_buf_free(&b);
		return dpa_fail(r, what, "cannot make the log's verifier key from log.key");
	}
	r = dp_checkpoint_open(&vk, (const char *)b.p, b.len, cp, NULL);
	dp_buf_free(&b);
	if (r) {
		fprintf(stderr, "denpod: %s: %s is not a checkpoint of this log signed by its log.key "
				"(origin %s): %s.  Give a device's log/checkpoint file of this switch.  "
				"Nothing was changed\n", what, file, c->log_origin, dp_strerror(r));
		return 1;
	}
	if (cp->size <= restored) {
		fprintf(stderr, "denpod: %s: the signed checkpoint in %s (size %llu) is not above the "
				"restored log's checkpoint %llu, so it says nothing was lost: give the "
				"highest checkpoint any device saw, or --lost 0 if none saw more.  Nothing "
				"was changed\n", what, file, (unsigned long long)cp->size,
			(unsigned long long)restored);
		return 1;
	}
	return 0;
}

int dpa_rollback(const dpc_config *c, dps_store *s, const char *op, const char *restore,
		 uint64_t lost_given, const char *cp_file, const char *old_db)
{
	const char *what = restore ? "restore" : "log rollback";
	char vks[DP_NOTE_VKEY_MAX + 1], detail[DP_LOG_TEXT_MAX + 1];
	uint8_t root[DP_TLOG_HASH];
	uint64_t size = 0, lost = 0, mrns = 0;
	dp_note_vkey vk;
	dps_checkpoint cp;
	int r = dpl_vkey(c, vks, sizeof vks);
	if (!r)
		r = dp_note_vkey_parse(&vk, vks, strlen(vks));
	if (!r && (r = dps_log_latest(s, &cp)) == DP_ENOTFOUND) {
		fprintf(stderr, "denpod: %s: the database has no checkpoint; nothing to roll back to\n",
			what);
		return 1;
	}
	if (!r && dpl_checkpoint_ok(&cp, &vk) != DP_OK) {
		fprintf(stderr, "denpod: %s: the database's latest checkpoint (size %llu) does not "
				"verify under log.key: this database is not this switch's log (denpod "
				"check)\n", what, (unsigned long long)cp.size);
		return 1;
	}
	int have_state = 0;
	if (!r && (r = dpsg_state_get(c, &size, root)) == DP_OK)
		have_state = 1;
	else if (r == DP_ENOTFOUND)
		r = DP_OK;
	if (r)
		return dpa_fail(r, what, NULL);
	/* a device's signed checkpoint stands in for signer.state, or raises it */
	dp_checkpoint dev;
	if (cp_file && dpa_signed_checkpoint(c, cp_file, cp.size, what, &dev))
		return 1;
	if (cp_file && have_state && dev.size == size &&
	    sodium_memcmp(dev.root, root, DP_TLOG_HASH) != 0) {
		fprintf(stderr, "denpod: %s: the signed checkpoint in %s and signer.state both say size "
				"%llu but with different roots: the log was forked (two different logs "
				"signed by log.key).  Keep both as evidence and call the security office; "
				"nothing was changed\n", what, cp_file, (unsigned long long)size);
		return 1;
	}
	if (cp_file && (!have_state || dev.size > size)) {
		size = dev.size;
		memcpy(root, dev.root, DP_TLOG_HASH);
		have_state = 1;
	}
	lost = have_state ? (size > cp.size ? size - cp.size : 0) : lost_given;
	if (!restore && !have_state) {
		printf("no signer.state: the signer takes the database's checkpoint %llu at its next "
		       "start; nothing to roll back\n", (unsigned long long)cp.size);
		return 0;
	}
	if (!restore && !lost) {
		printf("the database's log (checkpoint %llu) is not older than what was signed (%llu); "
		       "nothing to roll back\n", (unsigned long long)cp.size, (unsigned long long)size);
		return 0;
	}
	int roll = have_state && lost;
	if (roll) {
		dp_log_rollback rb = {.signed_size = size, .restored_size = cp.size};
		memcpy(rb.signed_root, root, DP_TLOG_HASH);
		char why[200];
		snprintf(why, sizeof why, "entries above %llu are lost; MRN counters advanced by %llu; "
					  "devices that saw a checkpoint above it report a fork until they "
					  "run `denpo log recover`",
			 (unsigned long long)cp.size, (unsigned long long)lost);
		if (dp_log_rollback_format(detail, &rb, why))
			return dpa_fail(DP_EINVAL, what, NULL);
	}
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	dpl_enc *x = dpl_enc_new();
	r = x ? dps_begin(s) : DP_ENOMEM;
	if (!r && roll)
		r = dpa_log_admin(s, x, op, DP_LOG_ROLLBACK_ACT, detail);
	/* the replaced database's own counters when it can be read (exact); else the bound */
	int merged = 0;
	if (!r && old_db) { /* even with nothing signed lost: entries after the last checkpoint */
		r = dps_savepoint(s); /* a merge that fails halfway is undone, then the bound is used */
		if (!r && dps_mrn_merge(s, old_db, &mrns) == DP_OK)
			merged = 1;
		if (!r)
			r = dps_savepoint_end(s, merged);
		if (!r && !merged)
			fprintf(stderr, "denpod: %s: the replaced database %s cannot be read: the MRN "
					"counters move on by the %llu entries lost instead\n", what, old_db,
				(unsigned long long)lost);
		/* when unreadable with nothing lost, there is nothing to move on */
	}
	if (!r && lost && !merged)
		r = dps_mrn_skip(s, lost, tm.tm_year + 1900, &mrns);
	char high[512];
	high[0] = 0;
	if (!r && (lost || merged))
		r = dps_mrn_high(s, DPR_MRN_WARN, high, sizeof high);
	if (!r && restore)
		r = dpa_log_admin(s, x, op, "RESTORE", restore);
	r = x ? dpa_finish_txn(s, r) : r;
	dpl_enc_free(x);
	/* the entry first: a failure below leaves the start refusing, and this can be run again */
	if (!r && roll)
		r = dpsg_state_put(c, cp.size, cp.root);
	if (r)
		return dpa_fail(r, what, NULL);
	if (roll)
		printf("log rolled back from size %llu to checkpoint %llu (logged as LOG-ROLLBACK by %s).\n"
		       "Tell the security office: every device that saw a checkpoint above %llu reports a "
		       "fork (its evidence is in its log/ directory) until it runs `denpo log recover`.\n",
		       (unsigned long long)size, (unsigned long long)cp.size, op,
		       (unsigned long long)cp.size);
	if (merged)
		printf("MRNs: every post's MRN counter is at least the replaced database's (%llu counters "
		       "raised), so no MRN handed out after the backup is handed out again.\n",
		       (unsigned long long)mrns);
	else if (lost)
		printf("MRNs: %llu entries are lost, so at most %llu cables were accepted after the backup: "
		       "every post's MRN counter moved %llu on (%llu counters), so none is handed out "
		       "again.\n", (unsigned long long)lost, (unsigned long long)lost,
		       (unsigned long long)lost, (unsigned long long)mrns);
	if (high[0])
		fprintf(stderr, "denpod: %s: warning: these MRN counters are above %lld, a tenth of the "
				"%lld serials of a post's year: %s.  When one reaches the limit that post "
				"can send nothing more until January (docs/operations.md, \"MRN "
				"serials\")\n", what, (long long)DPR_MRN_WARN, (long long)(DPR_MRN_END - 1),
			high);
	return 0;
}

static int log_rollback(const dpa_args *a, const dpc_config *c, dps_store *s)
{
	char op[DP_LOG_TEXT_MAX + 1];
	int lock = -1;
	int e = dpa_operator_of(a, op);
	if (e)
		return e;
	/* as restore: not beside a running switch, whose signer would sign over the rollback */
	int r = dpb_lock(a->data, &lock);
	if (r) {
		fprintf(stderr, "denpod: log rollback: %s\n", r == DP_ESTATE
				? "a `denpod run` (or a restore) is using the data directory: stop the "
				  "switch first (systemctl stop denpod).  Nothing was changed"
				: dp_strerror(r));
		return 1;
	}
	e = dpa_rollback(c, s, op, NULL, 0, a->signed_cp, NULL);
	close(lock);
	return e;
}

int dpa_log(const dpa_args *a)
{
	const char *verb = a->verb;
	dpc_config c;
	dps_store *s = NULL;
	if (a->npos) {
		fprintf(stderr, "usage: denpod log checkpoint [--json] | verify | show [--from I] "
				"[--count N] [--json] | rollback [--signed-checkpoint FILE] [--operator NAME] --data DIR\n");
		return 2;
	}
	int e = dpa_open_store(a, &c, &s);
	if (e)
		return e;
	int r = strcmp(verb, "checkpoint") == 0 ? log_checkpoint(s, a->json)
		: strcmp(verb, "verify") == 0	? log_verify(&c, s)
		: strcmp(verb, "rollback") == 0 ? log_rollback(a, &c, s)
						: log_show(a, s);
	dps_close(s);
	return r;
}
