/*
 * tool_bag.c - export bags of a fixture cable for tests/it_bag.sh, made by
 * the product's own dp_export_bag from real inputs: a cable signed by its
 * device (dp_cable_encode), log entries (dp_logent_encode) in a C2SP tlog
 * tree, inclusion proofs (dp_tlog_prove_inclusion) and a checkpoint signed
 * by the log key (dp_note_sign_line).  No switch: tests/it_records.sh does
 * the end-to-end.
 *
 *   tool_bag DIR
 *
 *   log.vkey            the log key the bags are verified under
 *   bag/                the export bag of a cable declassified by two officers
 *   bag-other/          the same, its log signed by another key of the same name
 *   same.tlog-proof     a proof (under bag/'s checkpoint) of a second approval by
 *                       the proposer; approve-index holds the index of the real one
 *                       and of that one
 *   admin.tlog-proof    a proof (under bag/'s checkpoint) of entry 0, an admin entry
 *
 * It also asserts what the exporter refuses (exit 1 if it does not): an
 * existing directory, a declassification by one officer, a proof under
 * another checkpoint, a submission that is not the accepted one.
 * Test keys only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "denpo/bag.h"
#include "denpo/crypto.h"
#include "denpo/encoding.h"
#include "denpo/logentry.h"
#include "tests/fixture.h"

#define H DP_TLOG_HASH
#define LOG_NAME "denpo.example/it-bag-log"
#define MRN "26 TOKYO 000123"
#define NLEAVES 9

static int fail(const char *what, const char *why)
{
	fprintf(stderr, "tool_bag: %s%s%s\n", what, why && *why ? ": " : "", why ? why : "");
	exit(1);
}

/* ---- a tiny in-memory log ---- */
static uint8_t *entries[NLEAVES];
static size_t entry_len[NLEAVES];
static uint8_t leaves[NLEAVES][H];
static size_t nleaves;

static int node(void *ctx, unsigned level, uint64_t n, uint8_t out[H])
{
	(void)ctx;
	uint64_t w = (uint64_t)1 << level;
	if ((n + 1) * w > nleaves)
		return DP_ENOTFOUND;
	if (level == 0) {
		memcpy(out, leaves[n], H);
		return DP_OK;
	}
	uint8_t l[H], r[H];
	if (node(ctx, level - 1, 2 * n, l) || node(ctx, level - 1, 2 * n + 1, r))
		return DP_ENOTFOUND;
	dp_tlog_node_hash(out, l, r);
	return DP_OK;
}

static void append(const dp_logent *e)
{
	dp_buf b;
	dp_buf_init(&b, DP_TLOG_ENTRY_MAX);
	if (dp_logent_encode(e, &b))
		fail("encode a log entry", dp_log_event_name(e->event));
	entries[nleaves] = b.p;
	entry_len[nleaves] = b.len;
	dp_tlog_leaf_hash(leaves[nleaves], b.p, b.len);
	nleaves++;
}

static void incl(dp_log_incl *o, size_t i)
{
	memset(o, 0, sizeof *o);
	o->present = 1;
	o->index = i;
	o->entry = entries[i];
	o->entry_len = entry_len[i];
	if (dp_tlog_prove_inclusion(i, nleaves, node, NULL, o->proof, &o->nproof))
		fail("prove inclusion", NULL);
}

/* The checkpoint of the whole log signed by sk under LOG_NAME. */
static void checkpoint(dp_buf *note, const uint8_t sk[64])
{
	dp_checkpoint c;
	memset(&c, 0, sizeof c);
	snprintf(c.origin, sizeof c.origin, "%s", LOG_NAME);
	c.size = nleaves;
	if (dp_tlog_root(nleaves, node, NULL, c.root))
		fail("root", NULL);
	dp_buf t;
	dp_buf_init(&t, 4096);
	if (dp_checkpoint_format(&t, &c) || dp_buf_append(note, t.p, t.len) || dp_buf_putc(note, '\n') ||
	    dp_note_sign_line(note, (const char *)t.p, t.len, LOG_NAME, sk))
		fail("sign the checkpoint", NULL);
	dp_buf_free(&t);
}

/* DIR/name: the c2sp.org/tlog-proof@v1 file of one entry under the checkpoint note. */
static void write_proof(const char *dir, const char *name, const dp_log_incl *in, const dp_buf *note)
{
	dp_tlog_proof *tp = calloc(1, sizeof *tp);
	dp_buf t;
	char p[4096];
	dp_buf_init(&t, DP_TLOG_PROOF_TEXT_MAX);
	if (!tp)
		fail("out of memory", NULL);
	tp->index = in->index;
	memcpy(tp->proof, in->proof, in->nproof * H);
	tp->n = in->nproof;
	memcpy(tp->extra_buf, in->entry, in->entry_len);
	tp->extra_len = in->entry_len;
	tp->has_extra = 1;
	tp->note = (const char *)note->p;
	tp->note_len = note->len;
	snprintf(p, sizeof p, "%s/%s", dir, name);
	if (dp_tlog_proof_encode(&t, tp) || dp_write_file(p, t.p, t.len, 0644, 0))
		fail("write a proof", name);
	free(tp);
	dp_buf_free(&t);
}

static void records(dp_logent *e, int64_t t, const uint8_t id[16], const uint8_t dev[32], const char *who,
		    const char *act)
{
	memset(e, 0, sizeof *e);
	for (int ev = 1; ev < 64; ev++)
		if (dp_log_event_name(ev) && !strcmp(dp_log_event_name(ev), "records"))
			e->event = ev;
	if (!e->event) {
		printf("tool_bag: this build has no \"records\" log event\n");
		exit(77);
	}
	e->time = t;
	memcpy(e->cable_id, id, 16);
	snprintf(e->mrn, sizeof e->mrn, "%s", MRN);
	memcpy(e->device, dev, 32);
	e->has_device = 1;
	snprintf(e->officer, sizeof e->officer, "%s", who);
	snprintf(e->act, sizeof e->act, "%s", act);
}

static void fill_recipient(dp_recipient *r, size_t i)
{
	r->device[31] = 0x55;
	r->epoch = 1;
	r->role = i % 2 ? DP_ROLE_INFO : DP_ROLE_ACTION;
}

int main(int argc, char **argv)
{
	if (argc != 2 || dp_crypto_init())
		return 2;
	const char *dir = argv[1];
	char p[4096], why[512];
	uint8_t dev_pk[32], dev_sk[64], log_pk[32], log_sk[64], oth_pk[32], oth_sk[64], rec_pk[32];
	fx_seed_key(0x10, dev_pk, dev_sk);
	fx_seed_key(0x40, log_pk, log_sk);
	fx_seed_key(0x70, oth_pk, oth_sk);
	fx_seed_key(0x90, rec_pk, NULL);

	/* the cable, signed by its device */
	dp_cable c;
	dp_cable_init(&c);
	for (int i = 0; i < DP_CABLE_ID; i++)
		c.id[i] = (uint8_t)(0xc0 + i);
	c.classification = DP_CLASS_SECRET;
	strcpy(c.captions[0], "NOFORN");
	c.ncaptions = 1;
	c.prec_action = DP_PREC_PRIORITY;
	c.prec_info = DP_PREC_ROUTINE;
	c.created = 1771928580;
	strcpy(c.from, "TOKYO");
	memcpy(c.from_device, dev_pk, 32);
	strcpy(c.to[0], "HQ");
	c.nto = 1;
	strcpy(c.info[0], "SEOUL");
	c.ninfo = 1;
	fx_set_recipients(&c, 3, fill_recipient);
	strcpy(c.tags[0], "PREL");
	c.ntags = 1;
	strcpy(c.subject, "JAPAN-KOREA FISHERIES TALKS: ROUND THREE");
	strcpy(c.refs[0], "26 TOKYO 000001");
	c.nrefs = 1;
	strcpy(c.declassify_on, "2056-02-24");
	strcpy(c.classified_by, "Ambassador X, reason 1.4(d)");
	const char *body = "1. (S) Round three ended without agreement on quotas.\n"
			   "2. (S) Delegations meet again in March.\n";
	c.body = (uint8_t *)strdup(body);
	c.body_len = strlen(body);
	strcpy(c.atts[0].name, "quota-table.csv");
	c.atts[0].data = (uint8_t *)strdup("species,japan,korea\nsquid,120,95\n");
	c.atts[0].len = strlen((const char *)c.atts[0].data);
	c.natts = 1;
	dp_buf pt;
	dp_buf_init(&pt, DP_MAX_PLAINTEXT);
	int r = dp_cable_encode(&c, dev_sk, &pt);
	if (r)
		fail("encode the cable", dp_strerror(r));
	/* the submission bytes (stand-in: what the switch hashed into Envelope-Hash) */
	const char *sub = "DENPO-SUBMISSION stand-in: an envelope and the age payload";

	/* the log: others' entries, the acceptance, the two acts, a second approval by the proposer */
	dp_logent e;
	for (int i = 0; i < 3; i++) {
		memset(&e, 0, sizeof e);
		e.event = DP_LOG_ADMIN;
		e.time = 1771928000 + i;
		snprintf(e.operator_, sizeof e.operator_, "ops");
		snprintf(e.act, sizeof e.act, "CONFIG-RELOAD");
		append(&e);
	}
	memset(&e, 0, sizeof e);
	e.event = DP_LOG_CABLE_ACCEPTED;
	e.time = 1771928600;
	memcpy(e.cable_id, c.id, 16);
	snprintf(e.mrn, sizeof e.mrn, "%s", MRN);
	dp_sha256(e.envelope_hash, sub, strlen(sub));
	memcpy(e.device, dev_pk, 32);
	snprintf(e.officer, sizeof e.officer, "sato.k");
	snprintf(e.post, sizeof e.post, "TOKYO");
	e.classification = c.classification;
	e.prec_action = c.prec_action;
	e.prec_info = c.prec_info;
	dp_log_rcpt rc[3];
	for (size_t i = 0; i < 3; i++) {
		memcpy(rc[i].device, c.recipients[i].device, 32);
		rc[i].epoch = c.recipients[i].epoch;
	}
	if (dp_logent_set_part(&e, rc, 3, 1))
		fail("part", NULL);
	append(&e);
	size_t i_acc = nleaves - 1;
	records(&e, 1900000000, c.id, rec_pk, "tanaka.r", "declassify-propose");
	append(&e);
	size_t i_prop = nleaves - 1;
	records(&e, 1900086400, c.id, rec_pk, "suzuki.m", "declassify-approve");
	append(&e);
	size_t i_appr = nleaves - 1;
	records(&e, 1900090000, c.id, rec_pk, "tanaka.r", "declassify-approve");
	append(&e);
	size_t i_same = nleaves - 1;
	memset(&e, 0, sizeof e);
	e.event = DP_LOG_ADMIN;
	e.time = 1900100000;
	snprintf(e.operator_, sizeof e.operator_, "ops");
	snprintf(e.act, sizeof e.act, "BACKUP");
	append(&e);

	dp_buf note, onote;
	dp_buf_init(&note, DP_NOTE_MAX);
	dp_buf_init(&onote, DP_NOTE_MAX);
	checkpoint(&note, log_sk);
	checkpoint(&onote, oth_sk);
	dp_note_vkey lk, ok;
	char vk[DP_NOTE_VKEY_MAX];
	if (dp_note_vkey_make(&lk, LOG_NAME, DP_NOTE_ED25519, log_pk) ||
	    dp_note_vkey_make(&ok, LOG_NAME, DP_NOTE_ED25519, oth_pk) || dp_note_vkey_format(vk, sizeof vk, &lk))
		fail("vkey", NULL);
	snprintf(p, sizeof p, "%s/log.vkey", dir);
	FILE *f = fopen(p, "w");
	if (!f || fprintf(f, "%s\n", vk) < 0 || fclose(f))
		fail("write log.vkey", NULL);

	dp_log_incl acc, rec[2], same;
	incl(&acc, i_acc);
	incl(&rec[0], i_prop);
	incl(&rec[1], i_appr);
	incl(&same, i_same);
	dp_markings m;
	memset(&m, 0, sizeof m);
	if (dp_markings_set(&m, "SECRET", "極秘", strlen("極秘"), why, sizeof why))
		fail("marking", why);
	dp_export ex = {
		.mrn = MRN,
		.cable = pt.p,
		.cable_len = pt.len,
		.submission = (const uint8_t *)sub,
		.submission_len = strlen(sub),
		.accepted = &acc,
		.naccepted = 1,
		.records = rec,
		.nrecords = 2,
		.checkpoint = (const char *)note.p,
		.checkpoint_len = note.len,
		.log_key = &lk,
		.markings = &m,
		.organization = "Ministry of Foreign Affairs of Japan",
	};
	snprintf(p, sizeof p, "%s/bag", dir);
	r = dp_export_bag(&ex, p, why, sizeof why);
	if (r)
		fail("export", why);
	/* an existing directory is refused, and nothing is left beside it */
	if (dp_export_bag(&ex, p, why, sizeof why) != DP_EEXISTS)
		fail("a second export into the same directory was not refused", why);
	/* the exporter checks what the verifier will */
	dp_export bad = ex;
	dp_log_incl one[2] = {rec[0], same};
	bad.records = one;
	snprintf(p, sizeof p, "%s/bad", dir);
	if (dp_export_bag(&bad, p, why, sizeof why) == DP_OK)
		fail("a declassification by one officer was exported", NULL);
	printf("refused: %s\n", why);
	bad = ex;
	bad.submission_len--;
	if (dp_export_bag(&bad, p, why, sizeof why) == DP_OK)
		fail("a submission that is not the accepted one was exported", NULL);
	printf("refused: %s\n", why);
	bad = ex;
	bad.checkpoint = (const char *)onote.p;
	bad.checkpoint_len = onote.len;
	if (dp_export_bag(&bad, p, why, sizeof why) == DP_OK)
		fail("a checkpoint of another key was exported", NULL);
	printf("refused: %s\n", why);
	struct stat st;
	if (stat(p, &st) == 0)
		fail("a refused export left a directory", p);
	/* the same bag, its log signed by another key of the same name */
	bad = ex;
	bad.checkpoint = (const char *)onote.p;
	bad.checkpoint_len = onote.len;
	bad.log_key = &ok;
	snprintf(p, sizeof p, "%s/bag-other", dir);
	if ((r = dp_export_bag(&bad, p, why, sizeof why)) != DP_OK)
		fail("export under the other key", why);
	/* proofs under bag/'s checkpoint of the proposer's own approval and of another's entry */
	write_proof(dir, "same.tlog-proof", &same, &note);
	dp_log_incl adm;
	incl(&adm, 0);
	write_proof(dir, "admin.tlog-proof", &adm, &note);
	snprintf(p, sizeof p, "%s/approve-index", dir);
	f = fopen(p, "w");
	if (!f || fprintf(f, "%zu %zu\n", i_appr, i_same) < 0 || fclose(f))
		fail("write approve-index", NULL);
	printf("tool_bag: %s/bag (%zu log entries, checkpoint of %zu)\n", dir, (size_t)3, nleaves);
	dp_buf_free(&note);
	dp_buf_free(&onote);
	dp_buf_free(&pt);
	dp_cable_free(&c);
	for (size_t i = 0; i < nleaves; i++)
		free(entries[i]);
	return 0;
}
