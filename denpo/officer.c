/*
 * denpo/officer.c - the officer index on the device: its own officer's
 * set checked at each upkeep, and the sender's check of recipients
 * (contract in denpo/officer.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "denpo/bind.h"
#include "denpo/encoding.h"
#include "denpo/epoch.h"
#include "denpo/officer.h"

void officer_view_free(struct officer_view *v)
{
	if (!v)
		return;
	json_decref(v->warnings);
	free(v);
}

int officer_verify(const cli_ckpt *cp, const char *officer, const dp_officer_proof *p, dp_devrec *rec,
		   char *why, size_t whycap)
{
	uint8_t root[DP_TLOG_HASH];
	memset(rec, 0, sizeof *rec);
	int r = dp_devindex_line_parse(cp->note, cp->text_len, cp->cp.next, root);
	if (r) {
		snprintf(why, whycap, "the log's checkpoint of size %llu %s",
			 (unsigned long long)cp->cp.size,
			 r == DP_ENOTFOUND ? "carries no officer-index line: the switch does not commit "
					     "to its officers' devices"
					   : "has a malformed officer-index line");
		return DP_ESIG;
	}
	if (strcmp(p->handle, officer) != 0) {
		snprintf(why, whycap, "the switch answered for officer %s when asked for %s", p->handle, officer);
		return DP_ESIG;
	}
	if (dp_devindex_verify(root, officer, p->record, p->record_len, &p->proof) != DP_OK) {
		snprintf(why, whycap, "the switch's %s for officer %s does not verify against the "
				      "officer-index root of the log's checkpoint of size %llu",
			 p->record ? "record and proof" : "proof that there is no record",
			 officer, (unsigned long long)cp->cp.size);
		return DP_ESIG;
	}
	if (!p->record)
		return DP_ENOTFOUND;
	if (dp_devrec_decode(rec, p->record, p->record_len) != DP_OK || strcmp(rec->officer, officer)) {
		snprintf(why, whycap, "the officer index holds a record for %s that is not one "
				      "(checkpoint of size %llu)", officer, (unsigned long long)cp->cp.size);
		return DP_ESIG;
	}
	return DP_OK;
}

/* ---- evidence ---- */

/* HOME/log/index-evidence-<unix>.txt: what the switch showed, for security operations. */
static void keep_evidence(cli_ctx *x, const cli_ckpt *cp, const dp_officer_proof *p, const char *why,
			  char path[PATH_MAX])
{
	dp_buf b;
	dp_buf_init(&b, 2 * DP_NOTE_MAX + 4 * DP_DEVREC_TEXT_MAX + 64 * DP_DEVINDEX_PROOF_MAX);
	char dev[65] = "?";
	if (x->have_ans)
		dp_hex_encode(dev, x->ans.device_id, 32);
	int r = dp_buf_printf(&b, "DENPO-INDEX-EVIDENCE/1\n"
				  "# The switch at %s showed this device (Witness) an answer of its officer\n"
				  "# index that does not check against the officer-index line of a log\n"
				  "# checkpoint signed by the log key.  Report this file to security operations.\n"
				  "# Checkpoint: the signed note (base64); Record: the record text it sent\n"
				  "# (base64; absent: none); Proof: the map proof, root down; Other-*: where\n"
				  "# the path ended at another officer's leaf.\n"
				  "Time: %lld\nWitness: denpo-device/%s\nOfficer: %s\nReason: %s\n",
			      x->cl ? dp_client_url(x->cl) : "?", (long long)dp_now(), dev, p->handle, why);
	r = r ? r : cli_put_b64(&b, "Checkpoint", (const uint8_t *)cp->note, cp->len);
	if (!r && p->record)
		r = cli_put_b64(&b, "Record", p->record, p->record_len);
	for (size_t i = 0; !r && i < p->proof.n; i++)
		r = cli_put_b64(&b, "Proof", p->proof.sib[i], DP_TLOG_HASH);
	if (!r && p->proof.other) {
		r = cli_put_b64(&b, "Other-Key", p->proof.other_key, DP_TLOG_HASH);
		r = r ? r : cli_put_b64(&b, "Other-Value-Hash", p->proof.other_vhash, DP_TLOG_HASH);
	}
	if (r || cli_log_keep(x, "index-evidence", &b, path) != DP_OK)
		snprintf(path, PATH_MAX, "(not kept: %s)", dp_strerror(r ? r : DP_EIO));
	dp_buf_free(&b);
}

/* ---- HOME/devices: trusted, reported ---- */

typedef struct {
	uint8_t (*id)[DP_ED25519_PK];
	size_t n, cap;
} id_set;

static int set_has(const id_set *s, const uint8_t id[DP_ED25519_PK])
{
	for (size_t i = 0; i < s->n; i++)
		if (memcmp(s->id[i], id, DP_ED25519_PK) == 0)
			return 1;
	return 0;
}

static int set_add(id_set *s, const uint8_t id[DP_ED25519_PK])
{
	if (set_has(s, id))
		return DP_OK;
	if (s->n == s->cap) {
		size_t nc = s->cap ? 2 * s->cap : 16;
		void *p = realloc(s->id, nc * DP_ED25519_PK);
		if (!p)
			return DP_ENOMEM;
		s->id = p;
		s->cap = nc;
	}
	memcpy(s->id[s->n++], id, DP_ED25519_PK);
	return DP_OK;
}

static void devices_path(const cli_ctx *x, const char *name, char out[PATH_MAX])
{
	char rel[64];
	snprintf(rel, sizeof rel, "devices/%s", name);
	cli_path(x, out, rel);
}

/* HOME/devices/<name> (0600, the directory 0700 made if need be) holds p[0..n). */
static int devices_write(const cli_ctx *x, const char *name, const void *p, size_t n)
{
	char path[PATH_MAX];
	cli_path(x, path, "devices");
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return DP_EIO;
	devices_path(x, name, path);
	return dp_write_file(path, p, n, 0600, 0);
}

/* HOME/devices/<name>: one hex id a line.  DP_ENOTFOUND if absent; DP_EPARSE if damaged. */
static int set_load(const cli_ctx *x, const char *name, id_set *s)
{
	char p[PATH_MAX];
	memset(s, 0, sizeof *s);
	devices_path(x, name, p);
	dp_buf b;
	dp_buf_init(&b, 65 * 4096);
	int r = dp_read_file(p, &b);
	for (size_t at = 0; !r && at < b.len; at += 65) {
		uint8_t id[DP_ED25519_PK];
		if (b.len - at < 65 || b.p[at + 64] != '\n' ||
		    dp_hex_decode(id, sizeof id, (const char *)b.p + at, 64))
			r = DP_EPARSE;
		else
			r = set_add(s, id);
	}
	dp_buf_free(&b);
	return r;
}

static int set_save(const cli_ctx *x, const char *name, const id_set *s)
{
	dp_buf b;
	dp_buf_init(&b, 65 * (s->n + 1));
	int r = DP_OK;
	for (size_t i = 0; !r && i < s->n; i++) {
		char hex[65];
		dp_hex_encode(hex, s->id[i], DP_ED25519_PK);
		r = dp_buf_printf(&b, "%s\n", hex);
	}
	r = r ? r : devices_write(x, name, b.p, b.len);
	dp_buf_free(&b);
	return r;
}

int officer_trust(cli_ctx *x, const uint8_t id[DP_ED25519_PK])
{
	id_set t;
	int r = set_load(x, "trusted", &t);
	if (r == DP_ENOTFOUND)
		r = DP_OK; /* the upkeep writes the first list; this one joins it */
	r = r ? r : set_add(&t, id);
	r = r ? r : set_save(x, "trusted", &t);
	free(t.id);
	return r;
}

/* ---- the upkeep ---- */

json_t *officer_dev_json(const cli_ctx *x, const dp_devrec *r, size_t i, int unknown)
{
	const dp_devrec_dev *d = &r->dev[i];
	char hex[65], ap[65];
	dp_hex_encode(hex, d->device, DP_ED25519_PK);
	json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:b, s:b}", "id", hex, "name", d->name,
			      "status", dp_devrec_status_name(d->status), "enrolled", (json_int_t)d->time,
			      "log_index", (json_int_t)d->enrolled, "status_index", (json_int_t)d->status_idx,
			      "this_device", x->have_ans && !memcmp(d->device, x->ans.device_id, DP_ED25519_PK),
			      "unapproved", unknown);
	if (o && d->approved) {
		dp_hex_encode(ap, d->approver, DP_ED25519_PK);
		json_object_set_new(o, "approved_by", json_string(ap));
		json_object_set_new(o, "approved_index", json_integer((json_int_t)d->approved_idx));
	}
	return o;
}

/* The name of the device id in r, or "?". */
static const char *name_of(const dp_devrec *r, const uint8_t id[DP_ED25519_PK])
{
	for (size_t i = 0; i < r->n; i++)
		if (!memcmp(r->dev[i].device, id, DP_ED25519_PK))
			return r->dev[i].name;
	return "?";
}

/* The warning sentence for r->dev[i], a device this one does not accept. */
static void unknown_line(const dp_devrec *r, size_t i, char *out, size_t cap)
{
	const dp_devrec_dev *d = &r->dev[i];
	char hex[65], t[DP_TIME_STR];
	dp_hex_encode(hex, d->device, DP_ED25519_PK);
	dp_time_str(d->time, t);
	snprintf(out, cap, "a device this officer did not approve is enrolled in the name of %s: \"%s\" "
			   "(id %.16s..., enrolled %s, log entry %llu, %s)%s%s%s. If it is not yours, tell the "
			   "security office; if it is, approve it with `denpo device approve %.16s`",
		 r->officer, d->name, hex, t, (unsigned long long)d->enrolled,
		 dp_devrec_status_name(d->status), d->approved ? "; approved by \"" : "",
		 d->approved ? name_of(r, d->approver) : "", d->approved ? "\", a device this one does not trust" : "",
		 hex);
}

/* Report each unknown device not reported before (HOME/devices/reported); failures are warnings. */
static void report_unknown(cli_ctx *x, const struct officer_view *v)
{
	id_set rep;
	int r = set_load(x, "reported", &rep);
	if (r == DP_ENOTFOUND || r == DP_EPARSE)
		r = DP_OK; /* none yet (a damaged list: reported again, which the switch tolerates) */
	int changed = 0;
	for (size_t k = 0; !r && k < v->nunknown; k++) {
		const uint8_t *id = v->rec.dev[v->unknown[k]].device;
		if (set_has(&rep, id))
			continue;
		int e = dp_client_device_report(x->cl, id, "unapproved");
		if (e) {
			if (!x->quiet)
				fprintf(stderr, "denpo: warning: could not report the unapproved device to the "
						"switch: %s (%s); tried again with the next command\n",
					dp_strerror(e), dp_client_message(x->cl));
			dp_client_clear_message(x->cl);
			continue;
		}
		r = set_add(&rep, id);
		changed = 1;
	}
	if (!r && changed)
		r = set_save(x, "reported", &rep);
	if (r && !x->quiet)
		fprintf(stderr, "denpo: warning: cannot keep the list of reported devices: %s\n",
			cli_strerror(x, r));
	free(rep.id);
}

/*
 * A record lists every device ever enrolled for its officer, so a later one
 * holds every device an earlier one did, with the same enrolment entry and
 * time, and a revoked device stays revoked: a device gone (or brought back)
 * is the switch hiding one.  HOME/devices/record keeps "<log size>\n" and
 * the last record verified (0600).  The caller refuses an answer under a
 * smaller tree than this device holds; a record kept of a larger tree is of
 * a history the device gave up (`denpo log recover`) and is replaced.  DP_OK,
 * or DP_ESIG with why said.
 */
static int record_grows(cli_ctx *x, const dp_officer_proof *p, const dp_devrec *rec, uint64_t size,
			char *why, size_t whycap)
{
	char path[PATH_MAX];
	devices_path(x, "record", path);
	dp_buf b;
	dp_buf_init(&b, DP_DEVREC_TEXT_MAX + 32);
	dp_devrec *old = malloc(sizeof *old);
	int r = old ? dp_read_file(path, &b) : DP_ENOMEM;
	unsigned long long held = 0;
	const uint8_t *nl = r ? NULL : memchr(b.p, '\n', b.len);
	int have = nl && sscanf((const char *)b.p, "%llu\n", &held) == 1 &&
		   dp_devrec_decode(old, nl + 1, b.len - (size_t)(nl + 1 - b.p)) == DP_OK &&
		   !strcmp(old->officer, rec->officer);
	r = DP_OK;
	if (have && size < held)
		have = 0; /* only after `denpo log recover` accepted a shorter history: the kept record is of the lost one */
	for (size_t i = 0; have && i < old->n && !r; i++) {
		const dp_devrec_dev *o = &old->dev[i];
		const dp_devrec_dev *n = NULL;
		for (size_t k = 0; k < rec->n; k++)
			n = memcmp(rec->dev[k].device, o->device, DP_ED25519_PK) ? n : &rec->dev[k];
		if (n && n->enrolled == o->enrolled && n->time == o->time &&
		    (o->status != DP_DEVREC_REVOKED || n->status == DP_DEVREC_REVOKED))
			continue;
		char hex[65];
		dp_hex_encode(hex, o->device, DP_ED25519_PK);
		snprintf(why, whycap, "the officer index of the log's checkpoint of size %llu no longer lists "
				      "device \"%s\" (%.16s..., enrolled at log entry %llu) as it listed it at "
				      "size %llu%s: the switch hides a device of %s", (unsigned long long)size,
			 o->name, hex, (unsigned long long)o->enrolled, held,
			 n ? " (its enrolment or revocation changed)" : "", rec->officer);
		r = DP_ESIG;
	}
	free(old);
	if (!r) {
		dp_buf_reset(&b);
		r = dp_buf_printf(&b, "%llu\n", (unsigned long long)size);
		r = r ? r : dp_buf_append(&b, p->record, p->record_len);
		r = r ? r : devices_write(x, "record", b.p, b.len);
		if (!r) {
			char rp[PATH_MAX];
			devices_path(x, "refused", rp);
			unlink(rp); /* verified: the refusals, if any, are over */
		}
		if (r && !x->quiet)
			fprintf(stderr, "denpo: warning: cannot keep this officer's record in %s: %s\n", path,
				cli_strerror(x, r));
		r = DP_OK;
	}
	dp_buf_free(&b);
	return r;
}

/*
 * How long the switch may refuse a device its officer's record (a 403, a
 * 5xx, ...) before the check fails instead of warning: an hour, 60 upkeeps
 * of `inbox --watch`.  A switch that cannot be reached is not refusing.
 */
#define CHECK_GRACE 3600

/*
 * Since when the switch has refused this device its officer's record:
 * HOME/devices/refused holds the time of the first refusal since the last
 * verified record (written now if absent; removed by a verified record).
 */
static int64_t refused_since(const cli_ctx *x)
{
	char p[PATH_MAX], v[32] = "";
	dp_buf b;
	long long t = 0;
	devices_path(x, "refused", p);
	dp_buf_init(&b, 32);
	if (dp_read_file(p, &b) == DP_OK && b.len < sizeof v) {
		memcpy(v, b.p, b.len); /* v stays NUL-terminated: at most 31 bytes */
		if (sscanf(v, "%lld", &t) != 1)
			t = 0;
	}
	dp_buf_free(&b);
	if (t > 0)
		return (int64_t)t;
	char now[32];
	int n = snprintf(now, sizeof now, "%lld\n", (long long)dp_now());
	if (devices_write(x, "refused", now, (size_t)n) == DP_OK)
		return dp_now();
	return 0; /* not kept: never escalates, stays a warning */
}

/* 1 if this device verified its officer's record before (HOME/devices/record). */
static int kept_record(const cli_ctx *x)
{
	char p[PATH_MAX];
	devices_path(x, "record", p);
	return access(p, F_OK) == 0;
}

/* The check could not be made: x->ov says so (the UI shows it); EXIT_OK. */
static int unchecked(cli_ctx *x, const char *line)
{
	struct officer_view *v = calloc(1, sizeof *v);
	if (v && (v->warnings = json_array()) != NULL)
		json_array_append_new(v->warnings, json_string(line));
	officer_view_free(x->ov);
	x->ov = v;
	return EXIT_OK;
}

/* The failure of a check: evidence kept, said, EXIT_VERIFY. */
static int index_fail(cli_ctx *x, const cli_ckpt *cp, const dp_officer_proof *p, const char *why)
{
	char path[PATH_MAX];
	keep_evidence(x, cp, p, why, path);
	return cli_fail(x, DP_ESIG, "report the evidence to security operations at once",
			"cannot check this officer's devices: %s; kept in %s", why, path);
}

/* Trusted := what this device accepts (the first check: itself and the devices enrolled before it). */
static int load_trusted(cli_ctx *x, const dp_devrec *rec, id_set *t)
{
	int r = set_load(x, "trusted", t);
	if (r == DP_EPARSE) {
		char p[PATH_MAX];
		devices_path(x, "trusted", p);
		fprintf(stderr, "denpo: %s is damaged; move it away to trust this officer's devices afresh\n", p);
		return r;
	}
	if (r != DP_ENOTFOUND)
		return r;
	/*
	 * The first check trusts this device and those enrolled before it (the
	 * officer's devices when this one joined them), never one enrolled after
	 * it: that one the officer approves, or it is warned of.
	 */
	const dp_devrec_dev *self = NULL;
	for (size_t i = 0; i < rec->n; i++)
		self = memcmp(rec->dev[i].device, x->ans.device_id, DP_ED25519_PK) ? self : &rec->dev[i];
	r = set_add(t, x->ans.device_id);
	for (size_t i = 0; !r && self && i < rec->n; i++)
		if (rec->dev[i].status != DP_DEVREC_REVOKED && rec->dev[i].enrolled < self->enrolled)
			r = set_add(t, rec->dev[i].device);
	r = r ? r : set_save(x, "trusted", t);
	if (!r && !x->quiet) {
		fprintf(stderr, "denpo: This officer's devices (from the switch's officer index) that this "
				"device now trusts: itself and those enrolled before it:\n");
		for (size_t i = 0; i < rec->n; i++) {
			const dp_devrec_dev *d = &rec->dev[i];
			if (!set_has(t, d->device))
				continue; /* a later one is warned of below until approved */
			char hex[65], tm[DP_TIME_STR];
			dp_hex_encode(hex, d->device, DP_ED25519_PK);
			dp_time_str(d->time, tm);
			fprintf(stderr, "  %-24s %.16s...  %-9s enrolled %s%s\n", d->name, hex,
				dp_devrec_status_name(d->status), tm,
				!memcmp(d->device, x->ans.device_id, 32) ? "  (this device)" : "");
		}
		fprintf(stderr, "  -> if one of them is not yours, tell the security office\n");
	}
	return r;
}

int officer_upkeep(cli_ctx *x)
{
	if (!x->cl || !x->have_ans)
		return EXIT_OK;
	const char *hint = "report this to security operations at once";
	uint64_t m = cli_log_size(x);
	dp_officer_answer a;
	int r, tries = 0;
	do
		r = dp_client_officer(x->cl, x->ans.officer, m, &a);
	while (cli_busy_retry(x, r, &tries));
	/*
	 * An answer that is not one (malformed, or no such endpoint) fails here.
	 * A switch that cannot be reached is only a warning (the command's own
	 * request says so too).  Any other refusal (busy, 403, ...) is a warning
	 * on stderr and in the UI, and once the refusals have lasted CHECK_GRACE
	 * (refused_since), a failure: a switch must not be able to turn the
	 * check off by refusing this one request.
	 */
	if (r && r != DP_EPROTO && r != DP_ENOTFOUND) {
		char line[768];
		snprintf(line, sizeof line, "could not check this officer's devices in the officer index: "
					    "%s%s%s%s", dp_strerror(r), dp_client_message(x->cl)[0] ? " (" : "",
			 dp_client_message(x->cl), dp_client_message(x->cl)[0] ? ")" : "");
		dp_client_clear_message(x->cl);
		int64_t since = r == DP_ENET ? 0 : refused_since(x);
		if (since && dp_now() - since > CHECK_GRACE) {
			char age[32];
			cli_age_str(since, age);
			return cli_fail(x, DP_ESIG, hint,
					"the switch has refused this device its officer's devices for %s: %s",
					age, line);
		}
		if (!x->quiet)
			fprintf(stderr, "denpo: warning: %s; checked again with the next command\n", line);
		return unchecked(x, line);
	}
	if (r)
		return cli_fail(x, DP_ESIG, hint,
				"the switch did not answer this officer's record in its officer index (%s)",
				r == DP_EPROTO ? "its answer is malformed" : "it has no officer index");
	cli_ckpt cp;
	int ec = bind_checkpoint(x, &a.log, m, "this officer's devices", hint, &cp);
	if (ec) {
		dp_officer_answer_free(&a);
		return ec;
	}
	struct officer_view *v = calloc(1, sizeof *v);
	char why[512];
	if (!v) {
		ec = cli_fail(x, DP_ENOMEM, NULL, "out of memory");
		goto out;
	}
	if (cp.cp.size < m) {
		/* an older view than this device holds: an index from before a device was enrolled */
		snprintf(why, sizeof why, "the switch answered this officer's record under the log's "
					  "checkpoint of size %llu, older than the one of size %llu this device "
					  "holds", (unsigned long long)cp.cp.size, (unsigned long long)m);
		ec = index_fail(x, &cp, &a.officer, why);
		goto out;
	}
	r = officer_verify(&cp, x->ans.officer, &a.officer, &v->rec, why, sizeof why);
	if (r == DP_ENOTFOUND || (!r && !dp_devrec_find(&v->rec, x->ans.device_id))) {
		/*
		 * An honest index lists every device enrolled, this one too, once the
		 * checkpoint covers its enrolment (within a signing interval).  Before
		 * this device's first verified record that is a refusal (a warning,
		 * failing after CHECK_GRACE); after it, the record dropped a device
		 * it listed (record_grows says so) or the officer's record is gone.
		 */
		snprintf(why, sizeof why, "the officer index of the log's checkpoint of size %llu %s",
			 (unsigned long long)cp.cp.size,
			 r == DP_ENOTFOUND ? "has no record of this device's officer"
					   : "does not list this device among its officer's devices");
		if (!kept_record(x)) {
			int64_t since = refused_since(x);
			if (!since || dp_now() - since <= CHECK_GRACE) {
				if (!x->quiet)
					fprintf(stderr, "denpo: warning: %s yet; checked again with the next "
							"command\n", why);
				ec = unchecked(x, why);
				goto out;
			}
		}
		r = r == DP_ENOTFOUND ? DP_ESIG : record_grows(x, &a.officer, &v->rec, cp.cp.size, why,
							      sizeof why);
		if (!r)
			r = DP_ESIG; /* not dropped from a kept record, yet missing: still a failure */
	} else if (!r) {
		r = record_grows(x, &a.officer, &v->rec, cp.cp.size, why, sizeof why);
	}
	if (r) {
		ec = index_fail(x, &cp, &a.officer, why);
		goto out;
	}
	v->log_size = cp.cp.size;
	v->checked = 1;
	id_set t;
	r = load_trusted(x, &v->rec, &t);
	if (!r)
		r = set_add(&t, x->ans.device_id); /* the device itself, always */
	if (r) {
		free(t.id);
		ec = cli_fail(x, r, NULL, "cannot keep the devices this device trusts");
		goto out;
	}
	dp_devrec_unapproved(&v->rec, (const uint8_t(*)[DP_ED25519_PK])t.id, t.n, v->unknown, &v->nunknown);
	free(t.id);
	v->warnings = json_array();
	for (size_t k = 0; k < v->nunknown; k++) {
		char line[1024];
		unknown_line(&v->rec, v->unknown[k], line, sizeof line);
		if (!x->quiet)
			fprintf(stderr, "denpo: WARNING: %s\n", line);
		json_array_append_new(v->warnings, json_string(line));
	}
	if (v->nunknown)
		report_unknown(x, v);
	officer_view_free(x->ov);
	x->ov = v;
	v = NULL;
out:
	officer_view_free(v);
	cli_ckpt_free(&cp);
	dp_officer_answer_free(&a);
	return ec;
}

int cli_upkeep(cli_ctx *x)
{
	int ec = cli_log_upkeep(x);
	if (ec || x->offline || !x->cl)
		return ec; /* a fork; or no switch: nothing to check against */
	return officer_upkeep(x);
}

/* ---- senders ---- */

static const dp_officer_proof *proof_of(const dp_resolution *res, const char *officer)
{
	for (size_t i = 0; i < res->nofficers; i++)
		if (!strcmp(res->officers[i].handle, officer))
			return &res->officers[i];
	return NULL;
}

static int listed(const dp_resolution *res, const uint8_t id[DP_ED25519_PK])
{
	for (size_t i = 0; i < res->n; i++)
		if (!memcmp(res->devs[i].device, id, DP_ED25519_PK))
			return 1;
	for (size_t i = 0; i < res->nunreachable; i++)
		if (!memcmp(res->unreachable[i].device, id, DP_ED25519_PK))
			return 1;
	return 0;
}

int officer_recipients(const dp_resolution *res, const cli_ckpt *cp, json_t *warnings, char *why,
		       size_t whycap)
{
	dp_devrec *rec = malloc(sizeof *rec);
	if (!rec)
		return DP_ENOMEM;
	int r = DP_OK;
	/* each officer once: the devices listed must be in the record, the record's active ones listed */
	for (size_t i = 0; !r && i < res->n; i++) {
		const dp_resolved *d = &res->devs[i];
		int first = 1;
		for (size_t k = 0; k < i && first; k++)
			first = strcmp(res->devs[k].officer, d->officer) != 0;
		if (!first)
			continue;
		const dp_officer_proof *p = proof_of(res, d->officer);
		if (!p) {
			snprintf(why, whycap, "the switch sent no officer index answer for %s, whose devices "
					      "it listed", d->officer);
			r = DP_ESIG;
			break;
		}
		r = officer_verify(cp, d->officer, p, rec, why, whycap);
		if (r == DP_ENOTFOUND) {
			snprintf(why, whycap, "the switch listed a device of %s that %s's officer index does "
					      "not hold (the index has no record of %s)", d->officer, d->officer,
				 d->officer);
			r = DP_ESIG;
		}
		for (size_t k = i; !r && k < res->n; k++) {
			const dp_resolved *e = &res->devs[k];
			if (strcmp(e->officer, d->officer))
				continue;
			char hex[65];
			dp_hex_encode(hex, e->device, DP_ED25519_PK);
			const dp_devrec_dev *rd = dp_devrec_find(rec, e->device);
			if (!rd)
				snprintf(why, whycap, "the switch listed a device of %s that %s's officer index "
						      "does not hold (device %.16s...)", e->officer, e->officer, hex);
			else if (rd->status != DP_DEVREC_ACTIVE)
				snprintf(why, whycap, "the switch listed device %.16s... of %s, which %s's "
						      "officer index records as %s", hex, e->officer, e->officer,
					 dp_devrec_status_name(rd->status));
			else if (!e->enrolment.present || rd->enrolled != e->enrolment.index)
				snprintf(why, whycap, "the switch listed device %.16s... of %s with its enrolment "
						      "at log entry %llu, but %s's officer index records entry %llu",
					 hex, e->officer, (unsigned long long)e->enrolment.index, e->officer,
					 (unsigned long long)rd->enrolled);
			else
				continue;
			r = DP_ESIG;
		}
		for (size_t k = 0; !r && k < rec->n; k++) {
			const dp_devrec_dev *rd = &rec->dev[k];
			if (rd->status != DP_DEVREC_ACTIVE || listed(res, rd->device))
				continue;
			char hex[65], line[512];
			dp_hex_encode(hex, rd->device, DP_ED25519_PK);
			snprintf(line, sizeof line, "device \"%s\" (%.16s...) of %s is active in %s's officer "
						    "index, but the switch left it out of the recipients: it will NOT "
						    "receive this cable", rd->name, hex, d->officer, d->officer);
			json_array_append_new(warnings, json_string(line));
		}
	}
	free(rec);
	return r;
}
