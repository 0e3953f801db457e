/*
 * tool_example - regenerates the worked example of docs/formats.md.
 *
 *   tool_example              print the example blocks (markdown) to stdout
 *   tool_example --corpus DIR write fuzz seeds into
 *                             DIR/fuzz_{cable,envelope,enrol,epoch_key,logentry}/
 *
 * Everything is deterministic: fixed keys (seed bytes base, base+1, ...,
 * base+31), a fixed cable id and times, and a fixed placeholder instead of
 * the (randomized) age payload.  Ed25519 signatures are deterministic, so
 * the output never changes unless the formats do; tests/test_formats_doc.c
 * checks the document against the library.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "denpo/encoding.h"
#include "denpo/enrol.h"
#include "denpo/envelope.h"
#include "denpo/epoch.h"
#include "denpo/logentry.h"
#include "tests/fixture.h"

#define PAYLOAD "DENPO WORKED EXAMPLE PAYLOAD\n"
#define LOG_ORIGIN "switch.mofa.example/log" /* the log's name in its checkpoints */
#define NLOG 13                              /* one entry per event */

static void die(const char *what, int r)
{
	fprintf(stderr, "tool_example: %s: %s\n", what, dp_strerror(r));
	exit(1);
}

typedef struct {
	uint8_t dev_pk[32], dev_sk[64], sw_pk[32], sw_sk[64], tls_pk[32], tls_sk[64];
	uint8_t swtls_pk[32], swtls_sk[64], log_pk[32];
	dp_buf cable, env, sub, req, ans, render;
	dp_buf cable_event; /* fuzz corpus only: Declassify-Event and a record copy */
	dp_buf ans_switches;      /* the same answer for a switch of three instances */
	dp_buf ans_more[3];       /* fuzz corpus only: eight addresses, a repeat, nine */
	dp_buf log[NLOG + 1]; /* log[event]: the example entry of each event */
	dp_buf epk;         /* the epoch key record the request carries (epoch 0) */
	dp_buf epk_more[3]; /* more records, for the fuzz corpus only */
} example;

/* The age1pq1 recipient of the mlkem768x25519 identity whose X-Wing seed is base, base+1, ... */
static void pq_recipient(uint8_t base, char out[DP_AGE_RECIPIENT_MAX + 1])
{
	dp_age_identity id;
	dp_age_recipient rc;
	memset(&id, 0, sizeof id);
	id.type = DP_AGE_MLKEM768X25519;
	for (int i = 0; i < 32; i++)
		id.sk[i] = (uint8_t)(base + i);
	int r = dp_age_identity_to_recipient(&id, &rc);
	dp_age_identity_wipe(&id);
	if (r)
		die("mlkem768x25519", r);
	dp_buf b;
	dp_buf_init(&b, DP_AGE_RECIPIENT_MAX);
	if ((r = dp_age_recipient_format(&rc, &b)))
		die("age recipient", r);
	memcpy(out, b.p, b.len + 1);
	dp_buf_free(&b);
}

/* out = in with its first `from` replaced by `to` (a corpus seed the parser must refuse). */
static void corpus_edit(dp_buf *out, const dp_buf *in, const char *from, const char *to)
{
	const char *at = strstr((const char *)in->p, from);
	dp_buf_init(out, DP_ENROL_MAX + 256);
	if (!at)
		die("corpus edit", DP_EINVAL);
	size_t pre = (size_t)(at - (const char *)in->p);
	if (dp_buf_append(out, in->p, pre) || dp_buf_puts(out, to) ||
	    dp_buf_append(out, in->p + pre + strlen(from), in->len - pre - strlen(from)))
		die("corpus edit", DP_ENOMEM);
}

/* A record for the corpus: device key of seed base, X-Wing seed xbase. */
static void corpus_record(dp_buf *out, uint8_t base, uint8_t xbase, uint32_t epoch, int64_t nb,
			  int64_t na)
{
	dp_epoch_key k;
	uint8_t sk[64];
	memset(&k, 0, sizeof k);
	fx_seed_key(base, k.device, sk);
	k.epoch = epoch;
	k.not_before = nb;
	k.not_after = na;
	pq_recipient(xbase, k.age_recipient);
	dp_buf_init(out, DP_EPOCH_KEY_MAX);
	int r = dp_epoch_key_encode(&k, sk, out);
	sodium_memzero(sk, sizeof sk);
	if (r)
		die("epoch key record", r);
}

/*
 * The signed-note verifier key "<name>+<hex8 id>+<b64(0x01 || pk)>",
 * id = SHA-256(name || "\n" || 0x01 || pk)[:4] (c2sp.org/signed-note).
 */
static void log_vkey(char *out, size_t cap, const char *name, const uint8_t pk[32])
{
	uint8_t msg[256 + 34], h[32], k[33];
	size_t nl = strlen(name);
	memcpy(msg, name, nl);
	msg[nl] = '\n';
	msg[nl + 1] = 0x01;
	memcpy(msg + nl + 2, pk, 32);
	crypto_hash_sha256(h, msg, nl + 34);
	memcpy(k, msg + nl + 1, 33);
	char b64[45];
	dp_b64_encode(b64, k, 33, 1);
	snprintf(out, cap, "%s+%02x%02x%02x%02x+%s", name, h[0], h[1], h[2], h[3], b64);
}

static void log_put(example *x, const dp_logent *e)
{
	dp_buf_init(&x->log[e->event], DP_TLOG_ENTRY_MAX);
	int r = dp_logent_encode(e, &x->log[e->event]);
	if (r)
		die(dp_log_event_name(e->event), r);
}

/*
 * The log's entries about the example: the cable accepted as 26 TOKYO
 * 000017, delivered, fetched and acknowledged by its first recipient; the
 * device's enrolment, its epoch 0 key published and retired; an alert on
 * the device, its containment, suspension, reinstatement and revocation;
 * an operator's act.
 */
static void build_log(example *x, const dp_cable *c)
{
	static dp_logent e;
	dp_log_rcpt rc[3];
	for (size_t i = 0; i < c->nrecipients && i < 3; i++) {
		memcpy(rc[i].device, c->recipients[i].device, 32);
		rc[i].epoch = c->recipients[i].epoch;
	}
	memset(&e, 0, sizeof e);
	e.event = DP_LOG_CABLE_ACCEPTED;
	e.time = c->created + 10;
	memcpy(e.cable_id, c->id, DP_CABLE_ID);
	strcpy(e.mrn, "26 TOKYO 000017");
	dp_sha256(e.envelope_hash, x->sub.p, x->sub.len);
	memcpy(e.device, c->from_device, 32);
	strcpy(e.officer, "tanaka.h");
	strcpy(e.post, c->from);
	e.classification = c->classification;
	e.prec_action = c->prec_action;
	e.prec_info = c->prec_info;
	strcpy(e.source, "192.0.2.10");
	if (dp_logent_set_part(&e, rc, c->nrecipients, 1))
		die("parts", DP_EINVAL);
	log_put(x, &e);
	static const struct {
		int event;
		int64_t dt;
	} reads[] = {
		{DP_LOG_CABLE_DELIVERED, 70}, {DP_LOG_CABLE_ACKED, 130}, {DP_LOG_CABLE_FETCHED, 3670}};
	for (int i = 0; i < 3; i++) {
		memset(&e, 0, sizeof e);
		e.event = reads[i].event;
		e.time = c->created + reads[i].dt;
		memcpy(e.cable_id, c->id, DP_CABLE_ID);
		strcpy(e.mrn, "26 TOKYO 000017");
		memcpy(e.device, rc[0].device, 32);
		strcpy(e.source, "2001:db8:10::25");
		log_put(x, &e);
	}

	memset(&e, 0, sizeof e);
	e.event = DP_LOG_KEY_PUBLISHED; /* at approval: no network source */
	e.time = 1771910000;
	memcpy(e.device, x->dev_pk, 32);
	e.epoch = 0;
	e.record = x->epk.p;
	e.record_len = x->epk.len;
	log_put(x, &e);
	memset(&e, 0, sizeof e);
	e.event = DP_LOG_KEY_RETIRED;
	e.time = 1771990000 + DP_EPOCH_SKEW;
	memcpy(e.device, x->dev_pk, 32);
	strcpy(e.text, "closed");
	log_put(x, &e);

	memset(&e, 0, sizeof e);
	e.event = DP_LOG_DEVICE_ENROLLED;
	e.time = 1771910000;
	memcpy(e.device, x->dev_pk, 32);
	memcpy(e.tls_key, x->tls_pk, 32);
	strcpy(e.officer, "tanaka.h");
	strcpy(e.post, "TOKYO");
	strcpy(e.name, "tanaka-laptop-1");
	strcpy(e.operator_, "suzuki.m");
	log_put(x, &e);
	static const struct {
		int event;
		int64_t t;
		const char *op, *why;
	} acts[] = {
		{DP_LOG_DEVICE_SUSPENDED, 1772000001, "auto", "containment of alert BULK-FETCH"},
		{DP_LOG_DEVICE_REINSTATED, 1772006400, "soc.ito", NULL},
		{DP_LOG_DEVICE_REVOKED, 1772600000, "soc.ito", "laptop replaced"},
	};
	for (int i = 0; i < 3; i++) {
		memset(&e, 0, sizeof e);
		e.event = acts[i].event;
		e.time = acts[i].t;
		memcpy(e.device, x->dev_pk, 32);
		strcpy(e.operator_, acts[i].op);
		if (acts[i].why)
			strcpy(e.text, acts[i].why);
		log_put(x, &e);
	}

	memset(&e, 0, sizeof e);
	e.event = DP_LOG_ADMIN;
	e.time = 1771800000;
	strcpy(e.operator_, "suzuki.m");
	strcpy(e.act, "POST-ADD");
	strcpy(e.text, "TOKYO");
	log_put(x, &e);
	memset(&e, 0, sizeof e);
	e.event = DP_LOG_ALERT;
	e.time = 1772000000;
	strcpy(e.act, "BULK-FETCH");
	memcpy(e.device, x->dev_pk, 32);
	e.has_device = 1;
	strcpy(e.text, "412 cables fetched in 600 s (threshold 200)");
	log_put(x, &e);
	memset(&e, 0, sizeof e);
	e.event = DP_LOG_CONTAINMENT;
	e.time = 1772000001;
	strcpy(e.act, "SUSPEND-DEVICE");
	memcpy(e.device, x->dev_pk, 32);
	e.has_device = 1;
	strcpy(e.operator_, "auto");
	strcpy(e.text, "alert BULK-FETCH");
	log_put(x, &e);
}

static void build(example *x)
{
	int r;
	fx_seed_key(0x01, x->dev_pk, x->dev_sk);
	fx_seed_key(0x21, x->sw_pk, x->sw_sk);
	fx_seed_key(0x41, x->tls_pk, x->tls_sk);
	fx_seed_key(0x61, x->swtls_pk, x->swtls_sk);
	fx_seed_key(0xf1, x->log_pk, NULL);

	dp_cable c;
	dp_cable_init(&c);
	for (int i = 0; i < DP_CABLE_ID; i++)
		c.id[i] = (uint8_t)(i * 0x11);
	c.classification = DP_CLASS_SECRET;
	strcpy(c.captions[0], "NOFORN");
	c.ncaptions = 1;
	c.prec_action = DP_PREC_IMMEDIATE;
	c.prec_info = DP_PREC_ROUTINE;
	c.created = 1771928580; /* 2026-02-24 10:23:00 UTC */
	strcpy(c.from, "TOKYO");
	memcpy(c.from_device, x->dev_pk, 32);
	strcpy(c.to[0], "HQ");
	c.nto = 1;
	strcpy(c.info[0], "SEOUL");
	c.ninfo = 1;
	strcpy(c.attn[0], "POLITICAL");
	strcpy(c.attn[1], "sato.k");
	c.nattn = 2;
	dp_recipient rc[3];
	uint8_t sk[64];
	const uint8_t bases[3] = {0x81, 0xa1, 0xc1};
	const uint32_t epochs[3] = {0, 2, 1};
	const uint8_t roles[3] = {DP_ROLE_ACTION, DP_ROLE_ACTION, DP_ROLE_INFO};
	for (int i = 0; i < 3; i++) {
		fx_seed_key(bases[i], rc[i].device, sk);
		rc[i].key_type = DP_AGE_MLKEM768X25519; /* cables are post-quantum only */
		rc[i].epoch = epochs[i];
		rc[i].role = roles[i];
	}
	sodium_memzero(sk, sizeof sk);
	if ((r = dp_cable_set_recipients(&c, rc, 3)))
		die("recipients", r);
	strcpy(c.tags[0], "PREL");
	strcpy(c.tags[1], "PGOV");
	strcpy(c.tags[2], "KS");
	c.ntags = 3;
	strcpy(c.subject, "FISHERIES CONSULTATIONS WITH THE REPUBLIC OF KOREA");
	strcpy(c.refs[0], "26 TOKYO 000012");
	strcpy(c.refs[1], "26 HQ 000101");
	c.nrefs = 2;
	strcpy(c.declassify_on, "2051-02-24");
	strcpy(c.classified_by, "Ambassador Yamada Taro, reason 1.4(b) and (d)");
	strcpy(c.retention, "PERMANENT");
	static const char body[] =
		"1. (C) Summary: the Korean side proposed a third round of talks in\n"
		"Seoul in April.  Embassy recommends acceptance.  End summary.\n"
		"\n"
		"2. (S//NF) A senior official said privately that the quota offer\n"
		"has room to move by up to ten percent.\n";
	c.body = (uint8_t *)strdup(body);
	c.body_len = strlen(body);
	static const char agenda[] = "Agenda\n1. Quotas\n2. Joint inspections\n";
	strcpy(c.atts[0].name, "agenda.txt");
	c.atts[0].data = (uint8_t *)strdup(agenda);
	c.atts[0].len = strlen(agenda);
	c.natts = 1;

	dp_buf_init(&x->cable, DP_MAX_PLAINTEXT);
	if ((r = dp_cable_encode(&c, x->dev_sk, &x->cable)))
		die("cable", r);
	/* the same cable declassified on an event, one recipient the archive's record copy */
	strcpy(c.declassify_on, "");
	strcpy(c.declassify_event, "Conclusion of the fisheries agreement");
	strcpy(c.retention, "TEMPORARY-30Y");
	const uint8_t role1 = c.recipients[1].role;
	c.recipients[1].role = DP_ROLE_RECORD;
	dp_buf_init(&x->cable_event, DP_MAX_PLAINTEXT);
	if ((r = dp_cable_encode(&c, x->dev_sk, &x->cable_event)))
		die("cable (event)", r);
	strcpy(c.declassify_on, "2051-02-24");
	c.declassify_event[0] = 0;
	strcpy(c.retention, "PERMANENT");
	c.recipients[1].role = role1;
	dp_buf_init(&x->render, 1 << 20);
	if ((r = dp_cable_render(&c, "26 TOKYO 000017", &x->render)))
		die("render", r);

	dp_envelope e;
	if ((r = dp_envelope_from_cable(&e, &c, (const uint8_t *)PAYLOAD, strlen(PAYLOAD))))
		die("envelope", r);
	dp_buf_init(&x->env, DP_ENVELOPE_MAX);
	if ((r = dp_envelope_encode(&e, x->dev_sk, &x->env)))
		die("envelope encode", r);
	dp_buf_init(&x->sub, DP_ENVELOPE_MAX + 4096);
	if ((r = dp_submission_encode(&x->env, (const uint8_t *)PAYLOAD, strlen(PAYLOAD), &x->sub)))
		die("submission", r);
	dp_envelope_free(&e);

	dp_enrol_request q;
	memset(&q, 0, sizeof q);
	strcpy(q.officer, "tanaka.h");
	strcpy(q.post, "TOKYO");
	strcpy(q.device_name, "tanaka-laptop-1");
	memcpy(q.sign_pk, x->dev_pk, 32);
	memcpy(q.tls_pk, x->tls_pk, 32);
	/* the device's epoch 0 key, mlkem768x25519: X-Wing seed e1, e2, ..., ff, 00 */
	pq_recipient(0xe1, q.age_recipient);
	q.epoch = 0;
	q.key_not_before = 1771900000; /* valid a day and an hour (the default schedule) */
	q.key_not_after = 1771900000 + DP_EPOCH_PERIOD + DP_EPOCH_OVERLAP;
	q.created = 1771900000;
	dp_buf_init(&x->req, DP_ENROL_MAX);
	if ((r = dp_enrol_request_encode(&q, x->dev_sk, &x->req)))
		die("request", r);

	/* the request's first epoch key as the record the switch publishes: its Key-Signature */
	dp_enrol_request d;
	if ((r = dp_enrol_request_decode(&d, x->req.p, x->req.len)))
		die("request decode", r);
	dp_epoch_key k;
	memset(&k, 0, sizeof k);
	memcpy(k.device, d.sign_pk, 32);
	k.epoch = d.epoch;
	k.not_before = d.key_not_before;
	k.not_after = d.key_not_after;
	memcpy(k.age_recipient, d.age_recipient, sizeof k.age_recipient);
	dp_buf_init(&x->epk, DP_EPOCH_KEY_MAX);
	if ((r = dp_epoch_key_encode_sig(&k, d.key_sig, &x->epk)))
		die("epoch key record", r);
	dp_buf same;
	dp_buf_init(&same, DP_EPOCH_KEY_MAX);
	if ((r = dp_epoch_key_encode(&k, x->dev_sk, &same)) || same.len != x->epk.len ||
	    memcmp(same.p, x->epk.p, same.len))
		die("epoch key record (signed again)", r ? r : DP_EINVAL);
	dp_buf_free(&same);
	/* the next day's key, the last possible epoch with the longest life, another device's */
	corpus_record(&x->epk_more[0], 0x01, 0x11, 1, 1771986400, 1772076400);
	corpus_record(&x->epk_more[1], 0x01, 0x31, UINT32_MAX, 1771900000,
		      1771900000 + DP_EPOCH_MAX_LIFE);
	corpus_record(&x->epk_more[2], 0x81, 0x51, 2, 1771900000, 1771900060);

	dp_enrol_answer a;
	memset(&a, 0, sizeof a);
	memcpy(a.device_id, x->dev_pk, 32);
	strcpy(a.officer, "tanaka.h");
	strcpy(a.post, "TOKYO");
	a.clearance = DP_CLASS_SECRET;
	strcpy(a.captions[0], "NOFORN");
	a.ncaptions = 1;
	strcpy(a.roles[0], "POLITICAL");
	a.nroles = 1;
	strcpy(a.switches.url[0], "https://switch.mofa.example:8443");
	a.switches.n = 1;
	memcpy(a.switch_tls_pk, x->swtls_pk, 32);
	memcpy(a.switch_sign_pk, x->sw_pk, 32);
	log_vkey(a.log_key, sizeof a.log_key, LOG_ORIGIN, x->log_pk);
	a.issued = 1771910000;
	dp_buf_init(&x->ans, DP_ENROL_MAX);
	if ((r = dp_enrol_answer_encode(&a, x->sw_sk, &x->ans)))
		die("answer", r);
	/* a switch of three instances (docs/several-switches.md §3): one line each, the primary first */
	static const char *const inst[] = {"https://a.switch.mofa.example:8443",
					   "https://b.switch.mofa.example:8443", "https://[2001:db8::7]:8443"};
	for (size_t i = 0; i < 3; i++)
		strcpy(a.switches.url[i], inst[i]);
	a.switches.n = 3;
	dp_buf_init(&x->ans_switches, DP_ENROL_MAX);
	if ((r = dp_enrol_answer_encode(&a, x->sw_sk, &x->ans_switches)))
		die("answer with three addresses", r);
	for (size_t i = 3; i < DP_SWITCH_URLS_MAX; i++)
		snprintf(a.switches.url[i], sizeof a.switches.url[i], "https://10.0.0.%zu:8443", i);
	a.switches.n = DP_SWITCH_URLS_MAX;
	dp_buf_init(&x->ans_more[0], DP_ENROL_MAX);
	if ((r = dp_enrol_answer_encode(&a, x->sw_sk, &x->ans_more[0])))
		die("answer with eight addresses", r);
	/* refused by the parser (the signature is not reached): a line repeated, one address too many */
	corpus_edit(&x->ans_more[1], &x->ans_switches, "Switch-URL: https://a.switch.mofa.example:8443\n",
		    "Switch-URL: https://A.switch.mofa.example:8443\nSwitch-URL: https://a.switch.mofa.example:8443\n");
	corpus_edit(&x->ans_more[2], &x->ans_more[0], "Switch-URL: https://10.0.0.4:8443\n",
		    "Switch-URL: https://10.0.0.9:8443\nSwitch-URL: https://10.0.0.4:8443\n");

	build_log(x, &c);
	dp_cable_free(&c);
}

static void hexline(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

/* One annotated line: hex of n bytes at *off, then "# what". */
static void ann(const uint8_t *p, size_t *off, size_t n, const char *what)
{
	hexline(p + *off, n);
	printf("  # %s\n", what);
	*off += n;
}

static void ann_str8(const uint8_t *p, size_t *off, const char *what)
{
	char w[128];
	size_t n = p[*off];
	snprintf(w, sizeof w, "%s: str8 \"%.*s\"", what, (int)n, (const char *)p + *off + 1);
	ann(p, off, 1 + n, w);
}

static void ann_list(const uint8_t *p, size_t *off, const char *what)
{
	char w[64];
	size_t n = p[*off];
	snprintf(w, sizeof w, "%s: count %zu", what, n);
	ann(p, off, 1, w);
	for (size_t i = 0; i < n; i++)
		ann_str8(p, off, what);
}

static void print_envelope(const dp_buf *b)
{
	const uint8_t *p = b->p;
	size_t off = 0;
	char w[64];
	ann(p, &off, 4, "magic \"DPEV\"");
	ann(p, &off, 1, "version 1");
	ann(p, &off, 1, "flags 0");
	ann(p, &off, 16, "cable_id");
	ann(p, &off, 32, "from_device");
	ann_str8(p, &off, "from_post");
	ann(p, &off, 8, "created 1771928580 (u64)");
	ann(p, &off, 1, "classification 3 = SECRET");
	ann_list(p, &off, "captions");
	ann(p, &off, 1, "prec_action 1 = IMMEDIATE");
	ann(p, &off, 1, "prec_info 3 = ROUTINE");
	ann_list(p, &off, "to");
	ann_list(p, &off, "info");
	ann_list(p, &off, "attn");
	size_t nr = (size_t)p[off] << 8 | p[off + 1];
	snprintf(w, sizeof w, "nrecipients %zu (u16)", nr);
	ann(p, &off, 2, w);
	for (size_t i = 0; i < nr; i++) {
		snprintf(w, sizeof w, "recipient %zu: device", i + 1);
		ann(p, &off, 32, w);
		ann(p, &off, 1, "  key_type 3 = mlkem768x25519");
		ann(p, &off, 4, "  epoch (u32)");
		ann(p, &off, 1, p[off] == 1 ? "  role 1 = action" : "  role 2 = info");
	}
	ann(p, &off, 8, "payload_len (u64)");
	ann(p, &off, 32, "payload_sha256");
	ann(p, &off, 32, "sig (first half)");
	ann(p, &off, 32, "sig (second half)");
	if (off != b->len) {
		fprintf(stderr, "tool_example: envelope annotation out of step\n");
		exit(1);
	}
}

static void block(const char *name, const char *lang)
{
	printf("<!-- example: %s -->\n```%s\n", name, lang);
}

static void print_all(example *x)
{
	size_t sl = x->cable.len - DP_ED25519_SIG;
	block("keys", "text");
	printf("device sign key (seed 01..20)        ");
	hexline(x->dev_pk, 32);
	printf("\ndevice TLS key (seed 41..60)         ");
	hexline(x->tls_pk, 32);
	printf("\nswitch sign key (seed 21..40)        ");
	hexline(x->sw_pk, 32);
	printf("\nswitch TLS key (seed 61..80)         ");
	hexline(x->swtls_pk, 32);
	printf("\nlog key (seed f1..ff, 00..10)        ");
	hexline(x->log_pk, 32);
	printf("\n```\n\n");
	block("cable", "text");
	fwrite(x->cable.p, 1, sl, stdout);
	printf("```\n\n");
	block("cable-signature", "text");
	hexline(x->cable.p + sl, 32);
	printf("\n");
	hexline(x->cable.p + sl + 32, 32);
	printf("\n```\n\n");
	block("payload", "text");
	printf("%s```\n\n", PAYLOAD);
	block("envelope", "text");
	print_envelope(&x->env);
	printf("```\n\n");
	block("render", "text");
	fwrite(x->render.p, 1, x->render.len, stdout);
	printf("```\n\n");
	block("enrol-request", "text");
	fwrite(x->req.p, 1, x->req.len, stdout);
	printf("```\n\n");
	block("enrol-answer", "text");
	fwrite(x->ans.p, 1, x->ans.len, stdout);
	printf("```\n\n");
	block("enrol-answer-switches", "text");
	fwrite(x->ans_switches.p, 1, x->ans_switches.len, stdout);
	printf("```\n\n");
	block("epoch-key", "text");
	fwrite(x->epk.p, 1, x->epk.len, stdout);
	printf("```\n");
	for (int ev = 1; ev <= NLOG; ev++) {
		char name[64];
		snprintf(name, sizeof name, "log-%s", dp_log_event_name(ev));
		printf("\n");
		block(name, "text");
		fwrite(x->log[ev].p, 1, x->log[ev].len, stdout);
		printf("```\n");
	}
}

static void put(const char *dir, const char *sub, const char *name, const dp_buf *b)
{
	char path[4096];
	if (mkdir(dir, 0755) && errno != EEXIST)
		die(dir, DP_EIO);
	snprintf(path, sizeof path, "%s/%s", dir, sub);
	if (mkdir(path, 0755) && errno != EEXIST)
		die(path, DP_EIO);
	snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(b->p, 1, b->len, f) != b->len || fclose(f))
		die(path, DP_EIO);
}

int main(int argc, char **argv)
{
	if (dp_crypto_init())
		return 1;
	example x;
	build(&x);
	if (argc == 3 && !strcmp(argv[1], "--corpus")) {
		put(argv[2], "fuzz_cable", "example", &x.cable);
		put(argv[2], "fuzz_cable", "event_record", &x.cable_event);
		put(argv[2], "fuzz_envelope", "envelope", &x.env);
		put(argv[2], "fuzz_envelope", "submission", &x.sub);
		put(argv[2], "fuzz_enrol", "request", &x.req);
		put(argv[2], "fuzz_enrol", "answer", &x.ans);
		put(argv[2], "fuzz_enrol", "answer_three_switches", &x.ans_switches);
		put(argv[2], "fuzz_enrol", "answer_eight_switches", &x.ans_more[0]);
		put(argv[2], "fuzz_enrol", "answer_switch_repeated", &x.ans_more[1]);
		put(argv[2], "fuzz_enrol", "answer_nine_switches", &x.ans_more[2]);
		put(argv[2], "fuzz_epoch_key", "record", &x.epk);
		put(argv[2], "fuzz_epoch_key", "record_next_day", &x.epk_more[0]);
		put(argv[2], "fuzz_epoch_key", "record_last_epoch_longest_life", &x.epk_more[1]);
		put(argv[2], "fuzz_epoch_key", "record_other_device", &x.epk_more[2]);
		for (int ev = 1; ev <= NLOG; ev++)
			put(argv[2], "fuzz_logentry", dp_log_event_name(ev), &x.log[ev]);
	} else if (argc == 1) {
		print_all(&x);
	} else {
		fprintf(stderr, "usage: tool_example [--corpus DIR]\n");
		return 2;
	}
	dp_buf_free(&x.cable);
	dp_buf_free(&x.cable_event);
	dp_buf_free(&x.env);
	dp_buf_free(&x.sub);
	dp_buf_free(&x.req);
	dp_buf_free(&x.ans);
	dp_buf_free(&x.render);
	dp_buf_free(&x.epk);
	for (int i = 0; i < 3; i++)
		dp_buf_free(&x.epk_more[i]);
	for (int ev = 1; ev <= NLOG; ev++)
		dp_buf_free(&x.log[ev]);
	sodium_memzero(&x, sizeof x);
	return 0;
}
