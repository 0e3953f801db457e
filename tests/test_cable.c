/*
 * test_cable - the cable plaintext: vocabulary, round trip, and strict
 * rejection of every malformed variant with the exact error code.
 *
 * Mutated cables are re-signed with the originating key, so a rejection
 * comes from the parser, not from the signature check.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "denpo/cable.h"
#include "tests/fixture.h"
#include "tests/harness.h"

static uint8_t dev_pk[32], dev_sk[64], other_pk[32], other_sk[64];

static void set_name(char *dst, const char *s) { strcpy(dst, s); }

/* Recipients alternate action, info; epoch i. */
static void fill_recipient(dp_recipient *r, size_t i)
{
	r->device[31] = 0x55;
	r->epoch = (uint32_t)i;
	r->role = i % 2 ? DP_ROLE_INFO : DP_ROLE_ACTION;
}

/* A valid SECRET cable with every optional field and nrcp recipients. */
static void base_cable(dp_cable *c, size_t nrcp)
{
	dp_cable_init(c);
	for (int i = 0; i < DP_CABLE_ID; i++)
		c->id[i] = (uint8_t)(0xa0 + i);
	c->classification = DP_CLASS_SECRET;
	set_name(c->captions[0], "NOFORN");
	set_name(c->captions[1], "EXDIS");
	c->ncaptions = 2;
	c->prec_action = DP_PREC_PRIORITY;
	c->prec_info = DP_PREC_ROUTINE;
	c->created = 1771928580;
	set_name(c->from, "TOKYO");
	memcpy(c->from_device, dev_pk, 32);
	set_name(c->to[0], "HQ");
	set_name(c->to[1], "ALL POSTS");
	c->nto = 2;
	set_name(c->info[0], "SEOUL");
	c->ninfo = 1;
	set_name(c->attn[0], "sato.k");
	c->nattn = 1;
	fx_set_recipients(c, nrcp, fill_recipient);
	set_name(c->tags[0], "PREL");
	set_name(c->tags[1], "PGOV");
	c->ntags = 2;
	strcpy(c->subject, "TEST SUBJECT");
	strcpy(c->refs[0], "26 TOKYO 000001");
	c->nrefs = 1;
	strcpy(c->declassify_on, "2051-02-24");
	strcpy(c->classified_by, "Ambassador X, reason 1.4(d)");
	strcpy(c->retention, "PERMANENT");
	const char *body = "1. (S) Body text.\n";
	c->body = (uint8_t *)strdup(body);
	c->body_len = strlen(body);
	strcpy(c->atts[0].name, "a.txt");
	c->atts[0].data = (uint8_t *)strdup("attachment\n");
	c->atts[0].len = 11;
	c->natts = 1;
}

static int encode(const dp_cable *c, dp_buf *out)
{
	dp_buf_init(out, DP_MAX_PLAINTEXT);
	return dp_cable_encode(c, dev_sk, out);
}

static int has(const dp_buf *b, const char *s) { return memmem(b->p, b->len, s, strlen(s)) != NULL; }

static int decode_buf(const uint8_t *p, size_t n)
{
	dp_cable d;
	int r = dp_cable_decode(&d, p, n);
	dp_cable_free(&d);
	return r;
}

/* Decode text || Ed25519(ctx, sk, text). */
static int decode_signed(const uint8_t *text, size_t n, const char *ctx, const uint8_t *sk)
{
	uint8_t *m = malloc(n + 64);
	memcpy(m, text, n);
	if (dp_sign(m + n, sk, ctx, text, n))
		abort();
	int r = decode_buf(m, n + 64);
	free(m);
	return r;
}

static int decode_resigned(const dp_buf *b) { return decode_signed(b->p, b->len, "denpo-cable-v1", dev_sk); }

/* Replace the first occurrence of old in the signed part of cable and re-sign. */
static int mutate(const dp_buf *cable, const char *old, const char *new)
{
	dp_buf t;
	if (fx_replace(&t, DP_MAX_PLAINTEXT + 1024, cable->p, cable->len - 64, old, new))
		return 999;
	int r = decode_resigned(&t);
	dp_buf_free(&t);
	return r;
}

static void test_vocab(void)
{
	int v;
	CHECK(!strcmp(dp_class_name(DP_CLASS_TOP_SECRET), "TOP SECRET"));
	CHECK(!strcmp(dp_class_banner(DP_CLASS_SECRET), "SECRET"));
	CHECK(dp_class_parse("TS", &v) == DP_OK && v == DP_CLASS_TOP_SECRET);
	CHECK(dp_class_parse("CONFIDENTIAL", &v) == DP_OK && v == DP_CLASS_CONFIDENTIAL);
	CHECK(dp_class_parse("secret", &v) == DP_EPARSE);
	CHECK(dp_class_parse("", &v) == DP_EPARSE);
	CHECK(!strcmp(dp_prec_name(DP_PREC_FLASH), "FLASH"));
	CHECK(dp_prec_letter(DP_PREC_IMMEDIATE) == 'O' && dp_prec_letter(DP_PREC_ROUTINE) == 'R');
	CHECK(dp_prec_parse("Z", &v) == DP_OK && v == DP_PREC_FLASH);
	CHECK(dp_prec_parse("PRIORITY", &v) == DP_OK && v == DP_PREC_PRIORITY);
	CHECK(dp_prec_parse("ZZ", &v) == DP_EPARSE);
	CHECK(dp_prec_objective(DP_PREC_FLASH) == 600 && dp_prec_objective(DP_PREC_IMMEDIATE) == 1800);
	CHECK(dp_prec_objective(DP_PREC_PRIORITY) == 10800 && dp_prec_objective(DP_PREC_ROUTINE) == 21600);
	char dtg[16];
	dp_dtg_format(1771928580, dtg);
	CHECK(!strcmp(dtg, "241023Z FEB 26"));
	dp_dtg_format(1293839999, dtg); /* 2010-12-31 23:59:59 */
	CHECK(!strcmp(dtg, "312359Z DEC 10"));
	CHECK(dp_name_ok("TOKYO") && dp_name_ok("ALL POSTS") && dp_name_ok("A-B_C.D9"));
	CHECK(!dp_name_ok("") && !dp_name_ok("Tokyo") && !dp_name_ok(" TOKYO"));
	CHECK(!dp_name_ok("TOKYO ") && !dp_name_ok("ALL  POSTS") && !dp_name_ok("A,B"));
	CHECK(!dp_name_ok("-X") && !dp_name_ok("T\xc3\x89"));
	char big[64];
	memset(big, 'A', 48);
	big[48] = 0;
	CHECK(dp_name_ok(big));
	big[48] = 'A';
	big[49] = 0;
	CHECK(!dp_name_ok(big));
	CHECK(dp_handle_ok("sato.k") && dp_handle_ok("a1-b_c"));
	CHECK(!dp_handle_ok("Sato.k") && !dp_handle_ok(".sato") && !dp_handle_ok("sato k"));
	CHECK(dp_mrn_ok("26 TOKYO 001234") && dp_mrn_ok("26 NEW YORK 000001"));
	CHECK(!dp_mrn_ok("26 TOKYO 1234") && !dp_mrn_ok("2026 TOKYO 001234"));
	CHECK(!dp_mrn_ok("26 tokyo 001234") && !dp_mrn_ok("26 TOKYO 000000"));
	CHECK(!dp_mrn_ok("26  TOKYO 001234") && !dp_mrn_ok("26 TOKYO 0012345"));
	/* wider serials past 999999: 7..15 digits, never a leading zero (one spelling each) */
	CHECK(dp_mrn_ok("26 TOKYO 1000000") && dp_mrn_ok("26 TOKYO 999999999999999"));
	CHECK(dp_mrn_ok("26 NEW YORK 1234567") && dp_mrn_ok("26 POST 7 1000000"));
	CHECK(!dp_mrn_ok("26 TOKYO 0999999") && !dp_mrn_ok("26 TOKYO 0000001"));
	CHECK(!dp_mrn_ok("26 TOKYO 1000000000000000") && !dp_mrn_ok("26 TOKYO 0999999999999999"));
	CHECK(!dp_mrn_ok("26 TOKYO 12345") && !dp_mrn_ok("26 TOKYO +1000000"));
	CHECK(!dp_mrn_ok("26 TOKYO 1000000 ") && !dp_mrn_ok("26 TOKYO  1000000"));
	CHECK(!dp_mrn_ok("26 TOKYO 10000x0") && !dp_mrn_ok("26 1000000") && !dp_mrn_ok("26  1000000"));
	CHECK(!dp_mrn_ok("") && !dp_mrn_ok("26 TOKYO 1e6") && !dp_mrn_ok("2X TOKYO 1000000"));
	int yy = -1;
	char post[DP_NAME_MAX + 1] = "";
	uint64_t serial = 0;
	CHECK(dp_mrn_parse("26 NEW YORK 1000000", &yy, post, &serial) == DP_OK && yy == 26 &&
	      !strcmp(post, "NEW YORK") && serial == 1000000);
	CHECK(dp_mrn_parse("07 HQ 000017", &yy, post, &serial) == DP_OK && yy == 7 &&
	      !strcmp(post, "HQ") && serial == 17);
	yy = -1;
	CHECK(dp_mrn_parse("26 HQ 0000017", &yy, post, &serial) == DP_EPARSE && yy == -1);
	CHECK(dp_mrn_parse("26 HQ 000017", NULL, NULL, NULL) == DP_OK);
	char mrn[DP_MRN_MAX + 1];
	CHECK(dp_mrn_format(mrn, 2026, "TOKYO", 17) == DP_OK && !strcmp(mrn, "26 TOKYO 000017"));
	CHECK(dp_mrn_format(mrn, 2026, "TOKYO", 0) == DP_EINVAL);
	CHECK(dp_mrn_format(mrn, 2026, "TOKYO", 999999) == DP_OK && !strcmp(mrn, "26 TOKYO 999999"));
	CHECK(dp_mrn_format(mrn, 2026, "TOKYO", 1000000) == DP_OK && !strcmp(mrn, "26 TOKYO 1000000"));
	CHECK(dp_mrn_format(mrn, 2026, "TOKYO", DP_MRN_SERIAL_MAX) == DP_OK &&
	      !strcmp(mrn, "26 TOKYO 999999999999999"));
	CHECK(dp_mrn_format(mrn, 2026, "TOKYO", DP_MRN_SERIAL_MAX + 1) == DP_EINVAL);
	CHECK(dp_mrn_format(mrn, 2026, "tokyo", 1) == DP_EINVAL);
	memset(big, 'A', 48);
	big[48] = 0;
	CHECK(dp_mrn_format(mrn, 2026, big, 999999) == DP_OK && dp_mrn_ok(mrn));
	/* the longest MRN: a 48-byte post and 15 digits fill DP_MRN_MAX exactly */
	CHECK(dp_mrn_format(mrn, 2026, big, DP_MRN_SERIAL_MAX) == DP_OK && dp_mrn_ok(mrn) &&
	      strlen(mrn) == DP_MRN_MAX);
	/* order: the serial as a number, where strcmp puts 1000000 before 999999 */
	CHECK(dp_mrn_cmp("26 HQ 999999", "26 HQ 1000000") < 0 && strcmp("26 HQ 999999", "26 HQ 1000000") > 0);
	CHECK(dp_mrn_cmp("26 HQ 1000000", "26 HQ 999999") > 0 && dp_mrn_cmp("26 HQ 000017", "26 HQ 000017") == 0);
	CHECK(dp_mrn_cmp("26 HQ 000002", "26 HQ 000010") < 0 && dp_mrn_cmp("26 HQ 9999999", "26 HQ 10000000") < 0);
	CHECK(dp_mrn_cmp("25 HQ 1000000", "26 HQ 000001") < 0 && dp_mrn_cmp("26 HQ 1000000", "26 TOKYO 000001") < 0);
	CHECK(dp_mrn_cmp("26 HQ 000001", "garbage") < 0 && dp_mrn_cmp("garbage", "26 HQ 000001") > 0);
	CHECK(dp_mrn_cmp("a", "b") < 0 && dp_mrn_cmp("b", "b") == 0);
	/* recipient roles: one table of names, one rule of precedence */
	static const char *const roles[] = {"?", "action", "info", "record", "?"};
	for (int i = 0; i <= 4; i++) {
		CHECKF(!strcmp(dp_role_name(i), roles[i]), "role %d", i);
		int want = i >= 1 && i <= 3 ? DP_OK : DP_EPARSE;
		CHECKF(dp_role_parse(roles[i], &v) == want && (want || v == i), "parse %s", roles[i]);
	}
	CHECK(dp_role_name(-1)[0] == '?' && dp_role_parse("Record", &v) == DP_EPARSE);
	CHECK(dp_role_parse("", &v) == DP_EPARSE && dp_role_parse("records", &v) == DP_EPARSE);
	CHECK(dp_role_prec(DP_ROLE_ACTION, DP_PREC_FLASH, DP_PREC_PRIORITY) == DP_PREC_FLASH);
	CHECK(dp_role_prec(DP_ROLE_INFO, DP_PREC_FLASH, DP_PREC_PRIORITY) == DP_PREC_PRIORITY);
	CHECK(dp_role_prec(DP_ROLE_RECORD, DP_PREC_FLASH, DP_PREC_FLASH) == DP_PREC_ROUTINE);
}

static void test_roundtrip(void)
{
	dp_cable c, d;
	dp_buf b, b2;
	base_cable(&c, 2);
	CHECK(dp_cable_validate(&c) == DP_OK);
	CHECK(encode(&c, &b) == DP_OK);
	CHECK(dp_cable_decode(&d, b.p, b.len) == DP_OK);
	CHECK(!memcmp(d.id, c.id, DP_CABLE_ID) && d.classification == c.classification);
	CHECK(d.ncaptions == 2 && !strcmp(d.captions[1], "EXDIS"));
	CHECK(d.prec_action == DP_PREC_PRIORITY && d.prec_info == DP_PREC_ROUTINE);
	CHECK(d.created == c.created && !strcmp(d.from, "TOKYO"));
	CHECK(d.nto == 2 && !strcmp(d.to[1], "ALL POSTS") && d.ninfo == 1 && d.nattn == 1);
	CHECK(d.nrecipients == 2);
	for (size_t i = 0; i < 2 && i < d.nrecipients; i++)
		CHECK(!memcmp(d.recipients[i].device, c.recipients[i].device, 32) &&
		      d.recipients[i].key_type == c.recipients[i].key_type &&
		      d.recipients[i].epoch == c.recipients[i].epoch &&
		      d.recipients[i].role == c.recipients[i].role);
	CHECK(d.ntags == 2 && !strcmp(d.subject, c.subject) && d.nrefs == 1);
	CHECK(!strcmp(d.declassify_on, "2051-02-24") && !strcmp(d.classified_by, c.classified_by));
	CHECK(!strcmp(d.retention, "PERMANENT") && !d.declassify_event[0]);
	CHECK(d.body_len == c.body_len && !memcmp(d.body, c.body, c.body_len));
	CHECK(d.natts == 1 && d.atts[0].len == 11 && !memcmp(d.atts[0].data, "attachment\n", 11));
	uint8_t h[32];
	dp_sha256(h, "attachment\n", 11);
	CHECK(!memcmp(d.atts[0].sha256, h, 32));
	/* decoded cable re-encodes to the same bytes */
	CHECK(encode(&d, &b2) == DP_OK && b2.len == b.len && !memcmp(b2.p, b.p, b.len));
	dp_buf_free(&b2);
	/* encode appends to what out already holds */
	dp_buf_init(&b2, DP_MAX_PLAINTEXT);
	CHECK(dp_buf_puts(&b2, "prefix") == DP_OK);
	CHECK(dp_cable_encode(&c, dev_sk, &b2) == DP_OK);
	CHECK(b2.len == b.len + 6 && !memcmp(b2.p + 6, b.p, b.len));
	dp_buf_free(&b2);
	/* signing key must be the From-Device */
	dp_buf_init(&b2, DP_MAX_PLAINTEXT);
	CHECK(dp_cable_encode(&c, other_sk, &b2) == DP_EINVAL && b2.len == 0);
	dp_buf_free(&b2);
	dp_cable_free(&d);
	dp_buf_free(&b);

	/* minimal UNCLASSIFIED cable, UTF-8 subject, empty body */
	dp_cable_free(&c);
	base_cable(&c, 1);
	c.classification = DP_CLASS_UNCLASSIFIED;
	c.ncaptions = c.ninfo = c.nattn = c.nrefs = c.natts = 0;
	free(c.atts[0].data);
	c.atts[0].data = NULL;
	c.prec_info = c.prec_action = DP_PREC_FLASH;
	c.declassify_on[0] = c.classified_by[0] = 0;
	strcpy(c.subject, "\xe6\x97\xa5\xe9\x9f\x93\xe6\xbc\x81\xe6\xa5\xad\xe5\x8d\x94\xe8\xad\xb0");
	free(c.body);
	c.body = NULL;
	c.body_len = 0;
	CHECK(encode(&c, &b) == DP_OK);
	CHECK(dp_cable_decode(&d, b.p, b.len) == DP_OK);
	CHECK(!strcmp(d.subject, c.subject) && d.body_len == 0 && d.natts == 0);
	CHECK(memmem(b.p, b.len, "Precedence: FLASH/FLASH\n", 24) != NULL);
	dp_cable_free(&d);
	dp_buf_free(&b);
	dp_cable_free(&c);
}

typedef struct {
	const uint8_t *p;
	size_t n;
} span;

/* Header lines of an encoded cable (between magic and blank line). */
static size_t split_headers(const dp_buf *b, span *l, size_t max, size_t *body_off)
{
	size_t off = 14, k = 0; /* after "DENPO-CABLE/1\n" */
	for (;;) {
		const uint8_t *nl = memchr(b->p + off, '\n', b->len - off);
		size_t ln = (size_t)(nl - (b->p + off));
		if (ln == 0) {
			*body_off = off + 1;
			return k;
		}
		if (k < max) {
			l[k].p = b->p + off;
			l[k].n = ln + 1;
			k++;
		}
		off += ln + 1;
	}
}

/* Reassemble magic + lines (in the order of idx, -1 = extra) + blank + rest, re-sign, decode. */
static int assemble(const dp_buf *b, const span *l, const int *idx, size_t k, const char *extra,
		    size_t body_off)
{
	dp_buf t;
	dp_buf_init(&t, DP_MAX_PLAINTEXT + 1024);
	if (dp_buf_append(&t, b->p, 14))
		abort();
	for (size_t i = 0; i < k; i++) {
		int r = idx[i] < 0 ? dp_buf_puts(&t, extra) : dp_buf_append(&t, l[idx[i]].p, l[idx[i]].n);
		if (r)
			abort();
	}
	if (dp_buf_putc(&t, '\n') || dp_buf_append(&t, b->p + body_off, b->len - 64 - body_off))
		abort();
	int r = decode_resigned(&t);
	dp_buf_free(&t);
	return r;
}

static int removal_expect(const span *l)
{
	/* optional headers whose absence leaves a valid cable */
	static const char *const ok[] = {"Captions: ", "Attn: ", "Recipient: ", "Ref: ",
					 "Declassify-On: ", "Retention: "};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		if (l->n > strlen(ok[i]) && !memcmp(l->p, ok[i], strlen(ok[i])))
			return DP_OK;
	return DP_EPARSE; /* required, or (Info, Classified-By, Attachment) required here */
}

static void test_header_structure(void)
{
	dp_cable c;
	dp_buf b;
	base_cable(&c, 2);
	CHECK(encode(&c, &b) == DP_OK);
	span l[64];
	size_t body_off, k = split_headers(&b, l, 64, &body_off);
	CHECK(k == 21); /* 20 header names (not Declassify-Event), two Recipient lines */
	int idx[64];
	for (size_t i = 0; i < k; i++)
		idx[i] = (int)i;
	CHECK(assemble(&b, l, idx, k, NULL, body_off) == DP_OK); /* the harness itself is sound */
	for (size_t i = 0; i < k; i++) {
		int v[64];
		size_t m = 0;
		/* missing */
		for (size_t j = 0; j < k; j++)
			if (j != i)
				v[m++] = (int)j;
		int r = assemble(&b, l, v, m, NULL, body_off);
		CHECKF(r == removal_expect(&l[i]), "without line %zu (%.*s): %s", i, (int)l[i].n - 1,
		       (const char *)l[i].p, dp_errname(r));
		/* duplicated */
		m = 0;
		for (size_t j = 0; j < k; j++) {
			v[m++] = (int)j;
			if (j == i)
				v[m++] = (int)j;
		}
		r = assemble(&b, l, v, m, NULL, body_off);
		CHECKF(r == DP_EPARSE, "line %zu twice: %s", i, dp_errname(r));
		/* swapped with the next */
		if (i + 1 < k) {
			for (size_t j = 0; j < k; j++)
				v[j] = (int)j;
			v[i] = (int)i + 1;
			v[i + 1] = (int)i;
			r = assemble(&b, l, v, k, NULL, body_off);
			CHECKF(r == DP_EPARSE, "lines %zu,%zu swapped: %s", i, i + 1, dp_errname(r));
		}
		/* unknown header before line i, and a known one in the wrong place */
		m = 0;
		for (size_t j = 0; j < k; j++) {
			if (j == i)
				v[m++] = -1;
			v[m++] = (int)j;
		}
		r = assemble(&b, l, v, m, "X-Extra: 1\n", body_off);
		CHECKF(r == DP_EPARSE, "unknown header at %zu: %s", i, dp_errname(r));
		r = assemble(&b, l, v, m, i == 0 ? "Subject: X\n" : "Cable-Id: 00112233445566778899aabbccddeeff\n",
			     body_off);
		CHECKF(r == DP_EPARSE, "misplaced header at %zu: %s", i, dp_errname(r));
		/* CR before LF */
		m = 0;
		char crl[512];
		snprintf(crl, sizeof crl, "%.*s\r\n", (int)l[i].n - 1, (const char *)l[i].p);
		for (size_t j = 0; j < k; j++)
			v[m++] = j == i ? -1 : (int)j;
		r = assemble(&b, l, v, m, crl, body_off);
		CHECKF(r == DP_EPARSE, "CR in line %zu: %s", i, dp_errname(r));
	}
	/* unknown header at the end, before the blank line */
	int v[64];
	for (size_t j = 0; j < k; j++)
		v[j] = (int)j;
	v[k] = -1;
	CHECK(assemble(&b, l, v, k + 1, "X-Extra: 1\n", body_off) == DP_EPARSE);
	dp_buf_free(&b);
	dp_cable_free(&c);
}

static void test_values(void)
{
	dp_cable c;
	dp_buf b;
	base_cable(&c, 2);
	CHECK(encode(&c, &b) == DP_OK);
	CHECK(mutate(&b, "Subject: TEST", "Subject: TEST") == DP_OK);
	/* non-canonical spellings */
	CHECK(mutate(&b, "Cable-Id: a0a1", "Cable-Id: A0A1") == DP_EPARSE);
	CHECK(mutate(&b, "Classification: SECRET", "Classification: S") == DP_EPARSE);
	CHECK(mutate(&b, "Precedence: PRIORITY/ROUTINE", "Precedence: P/R") == DP_EPARSE);
	CHECK(mutate(&b, "Precedence: PRIORITY/ROUTINE", "Precedence: PRIORITY") == DP_EPARSE);
	CHECK(mutate(&b, "Created: 1771928580", "Created: 01771928580") == DP_EPARSE);
	CHECK(mutate(&b, "Created: 1771928580", "Created: 1771928640") == DP_EPARSE); /* DTG disagrees */
	CHECK(mutate(&b, "Created: 1771928580\n", "Created: 1771928580 \n") == DP_EPARSE);
	CHECK(mutate(&b, "DTG: 241023Z FEB 26", "DTG: 241023Z Feb 26") == DP_EPARSE);
	CHECK(mutate(&b, "Subject: TEST", "Subject:  TEST") == DP_EPARSE);
	CHECK(mutate(&b, "Subject: TEST", "Subject:TEST") == DP_EPARSE);
	CHECK(mutate(&b, "Subject: TEST", "subject: TEST") == DP_EPARSE);
	CHECK(mutate(&b, "To: HQ, ALL POSTS", "To: HQ,ALL POSTS") == DP_EPARSE);
	CHECK(mutate(&b, "To: HQ, ALL POSTS", "To: HQ, ALL POSTS, ") == DP_EPARSE);
	CHECK(mutate(&b, "To: HQ, ALL POSTS", "To: HQ, HQ") == DP_EPARSE);
	CHECK(mutate(&b, "To: HQ, ALL POSTS", "To: HQ, SEOUL") == DP_EPARSE); /* also INFO */
	CHECK(mutate(&b, "From: TOKYO", "From: Tokyo") == DP_EPARSE);
	CHECK(mutate(&b, "From: TOKYO", "From: TOKY\xc3\x96") == DP_EPARSE);
	CHECK(mutate(&b, "Attn: sato.k", "Attn: Sato.k") == DP_EPARSE);
	CHECK(mutate(&b, "Attn: sato.k", "Attn: sato.k, POLITICAL") == DP_OK);
	CHECK(mutate(&b, " 1 0 action", " 1 0 Action") == DP_EPARSE);
	CHECK(mutate(&b, " 1 0 action", " 2 0 action") == DP_EPARSE);  /* scrypt is no recipient */
	CHECK(mutate(&b, " 1 0 action", " 3 0 action") == DP_EMIXED);  /* classic + PQ */
	CHECK(mutate(&b, " 1 0 action", " 1 00 action") == DP_EPARSE);
	CHECK(mutate(&b, " 1 0 action", " 1 4294967296 action") == DP_EPARSE);
	CHECK(mutate(&b, " 1 0 action", " 1 4294967295 action") == DP_OK);
	CHECK(mutate(&b, " 1 0 action", " 1 0 action ") == DP_EPARSE);
	CHECK(mutate(&b, " 1 0 action", " 1  0 action") == DP_EPARSE);
	CHECK(mutate(&b, " 1 1 info\n", " 1 1 record\n") == DP_OK); /* the archive's copy */
	CHECK(mutate(&b, " 1 1 info\n", " 1 1 Record\n") == DP_EPARSE);
	CHECK(mutate(&b, " 1 1 info\n", " 1 1 records\n") == DP_EPARSE);
	CHECK(mutate(&b, " 1 1 info\n", " 1 1 3\n") == DP_EPARSE);
	CHECK(mutate(&b, " 1 1 info\n", " 1 1 \n") == DP_EPARSE);
	CHECK(mutate(&b, "Tags: PREL, PGOV", "Tags: PREL, prel") == DP_EPARSE);
	CHECK(mutate(&b, "Subject: TEST SUBJECT", "Subject: TEST\xc3\x28") == DP_EPARSE);     /* bad UTF-8 */
	CHECK(mutate(&b, "Subject: TEST SUBJECT", "Subject: TEST\xc0\xaf") == DP_EPARSE);     /* overlong */
	CHECK(mutate(&b, "Subject: TEST SUBJECT", "Subject: TEST\xed\xa0\x80") == DP_EPARSE); /* surrogate */
	CHECK(mutate(&b, "Subject: TEST SUBJECT", "Subject: TEST\xc2\x9b") == DP_EPARSE);     /* C1 CSI */
	CHECK(mutate(&b, "Subject: TEST SUBJECT", "Subject: TEST\x1b[31m") == DP_EPARSE);     /* ESC */
	CHECK(mutate(&b, "Subject: TEST SUBJECT", "Subject: TEST \xe2\x80\x94 OK") == DP_OK);
	CHECK(mutate(&b, "Ref: 26 TOKYO 000001", "Ref: TOKYO 000001") == DP_EPARSE);
	CHECK(mutate(&b, "Ref: 26 TOKYO 000001", "Ref: 26 TOKYO 000001, 26 TOKYO 000001") == DP_EPARSE);
	CHECK(mutate(&b, "Declassify-On: 2051-02-24", "Declassify-On: 2051-02-29") == DP_EPARSE);
	CHECK(mutate(&b, "Declassify-On: 2051-02-24", "Declassify-On: 2052-02-29") == DP_OK);
	CHECK(mutate(&b, "Declassify-On: 2051-02-24", "Declassify-On: 2026-02-24") == DP_EPARSE);
	CHECK(mutate(&b, "Declassify-On: 2051-02-24", "Declassify-On: 2051-2-24") == DP_EPARSE);
	CHECK(mutate(&b, "Declassify-On: 2051-02-24", "Declassify-On: 2051-02-244") == DP_EPARSE);
	CHECK(mutate(&b, "Classification: SECRET", "Classification: UNCLASSIFIED") == DP_EPARSE);
	/* body and attachments */
	CHECK(mutate(&b, "Body-Length: 18", "Body-Length: 17") == DP_EPARSE);
	CHECK(mutate(&b, "Body-Length: 18", "Body-Length: 19") == DP_EPARSE);
	CHECK(mutate(&b, "Body-Length: 18", "Body-Length: 018") == DP_EPARSE);
	CHECK(mutate(&b, "Body text.", "Body\x01text.") == DP_EPARSE);
	CHECK(mutate(&b, "Body text.", "Body\ttext.") == DP_OK);
	CHECK(mutate(&b, "Body text.", "Body\rtext.") == DP_EPARSE);
	CHECK(mutate(&b, "Body text.", "Body\xe3\x81\x82xt.") == DP_OK);  /* U+3042, 3 bytes for 3 */
	CHECK(mutate(&b, "Body text.", "Body\xf4\x90\x80\x80xt") == DP_EPARSE); /* > U+10FFFF */
	CHECK(mutate(&b, "attachment\n", "attachmenT\n") == DP_EPARSE); /* hash mismatch */
	CHECK(mutate(&b, "Attachment: 11 ", "Attachment: 12 ") == DP_EPARSE);
	CHECK(mutate(&b, " a.txt\n", " .a.txt\n") == DP_EPARSE);
	CHECK(mutate(&b, " a.txt\n", " a/b.txt\n") == DP_EPARSE);
	dp_buf_free(&b);
	dp_cable_free(&c);
}

/* Declassify-Event and Retention: where they go, what they hold, and the one-instruction rule. */
static void test_records_fields(void)
{
	dp_cable c, d;
	dp_buf b, b2;
	base_cable(&c, 2);
	c.declassify_on[0] = 0;
	strcpy(c.declassify_event, "Conclusion of the treaty \xe2\x80\x94 Art. 3");
	strcpy(c.retention, "TEMPORARY-10Y");
	CHECK(encode(&c, &b) == DP_OK);
	CHECK(has(&b, "\nRef: 26 TOKYO 000001\nDeclassify-Event: Conclusion of the treaty \xe2\x80\x94 Art. 3\n"
		      "Classified-By: Ambassador X, reason 1.4(d)\nRetention: TEMPORARY-10Y\nAttachment: "));
	CHECK(dp_cable_decode(&d, b.p, b.len) == DP_OK);
	CHECK(!strcmp(d.declassify_event, c.declassify_event) && !d.declassify_on[0]);
	CHECK(!strcmp(d.retention, "TEMPORARY-10Y"));
	CHECK(encode(&d, &b2) == DP_OK && b2.len == b.len && !memcmp(b2.p, b.p, b.len));
	dp_buf_free(&b2);
	dp_cable_free(&d);
	/* strict decoding: order, spelling, text rules, lengths */
	const char *ev = "Declassify-Event: Conclusion", *rt = "Retention: TEMPORARY-10Y";
	CHECK(mutate(&b, ev, "Declassify-Event: Conclusion") == DP_OK);
	CHECK(mutate(&b, ev, "Declassify-Event:  Conclusion") == DP_EPARSE);
	CHECK(mutate(&b, ev, "Declassify-event: Conclusion") == DP_EPARSE);
	CHECK(mutate(&b, ev, "Declassify-Event: Conclusion\x1b[2J") == DP_EPARSE);
	CHECK(mutate(&b, ev, "Declassify-Event: Conclusion\xc2\x9b") == DP_EPARSE);
	CHECK(mutate(&b, ev, "Declassify-Event: Conclusion\xc3\x28") == DP_EPARSE);
	CHECK(mutate(&b, " Art. 3\n", " Art. 3 \n") == DP_EPARSE); /* trailing space */
	CHECK(mutate(&b, rt, "Retention: temporary-10y") == DP_EPARSE);
	CHECK(mutate(&b, rt, "Retention: TEMPORARY 10Y") == DP_OK);
	CHECK(mutate(&b, rt, "Retention: TEMPORARY  10Y") == DP_EPARSE);
	CHECK(mutate(&b, rt, "Retention: TEMPORARY,10Y") == DP_EPARSE);
	CHECK(mutate(&b, rt, "Retention:  TEMPORARY-10Y") == DP_EPARSE);
	char s[512];
	snprintf(s, sizeof s, "Retention: %0*d", DP_NAME_MAX, 0);
	CHECK(mutate(&b, rt, s) == DP_OK);
	snprintf(s, sizeof s, "Retention: %0*d", DP_NAME_MAX + 1, 0);
	CHECK(mutate(&b, rt, s) == DP_ETOOBIG);
	char line[1024];
	memset(s, 'E', DP_DECL_EVENT_MAX);
	s[DP_DECL_EVENT_MAX] = 0;
	snprintf(line, sizeof line, "Declassify-Event: %s", s);
	CHECK(mutate(&b, "Declassify-Event: Conclusion of the treaty \xe2\x80\x94 Art. 3", line) == DP_OK);
	snprintf(line, sizeof line, "Declassify-Event: %sE", s);
	CHECK(mutate(&b, "Declassify-Event: Conclusion of the treaty \xe2\x80\x94 Art. 3", line) == DP_ETOOBIG);
	/* fixed order: Declassify-Event after Declassify-On, Retention after Classified-By */
	CHECK(mutate(&b, "Declassify-Event: Conclusion of the treaty \xe2\x80\x94 Art. 3\nClassified-By: Ambassador X, "
			 "reason 1.4(d)\n",
		     "Classified-By: Ambassador X, reason 1.4(d)\nDeclassify-Event: Conclusion of the treaty "
		     "\xe2\x80\x94 Art. 3\n") == DP_EPARSE);
	CHECK(mutate(&b, "Classified-By: Ambassador X, reason 1.4(d)\nRetention: TEMPORARY-10Y\n",
		     "Retention: TEMPORARY-10Y\nClassified-By: Ambassador X, reason 1.4(d)\n") == DP_EPARSE);
	CHECK(mutate(&b, "Ref: 26 TOKYO 000001\n", "Ref: 26 TOKYO 000001\nRetention: PERMANENT\n") == DP_EPARSE);
	CHECK(mutate(&b, "Retention: TEMPORARY-10Y\n", "Retention: TEMPORARY-10Y\nRetention: PERMANENT\n") ==
	      DP_EPARSE);
	/* a date and an event: one instruction only, whichever the order */
	CHECK(mutate(&b, "Ref: 26 TOKYO 000001\n", "Ref: 26 TOKYO 000001\nDeclassify-On: 2051-02-24\n") ==
	      DP_EPARSE);
	CHECK(mutate(&b, "Classification: SECRET", "Classification: UNCLASSIFIED") == DP_EPARSE);
	dp_buf_free(&b);
	/* the encoder refuses the same */
	strcpy(c.declassify_on, "2051-02-24");
	dp_buf_init(&b, DP_MAX_PLAINTEXT);
	CHECK(dp_cable_encode(&c, dev_sk, &b) == DP_EPARSE && b.len == 0);
	c.declassify_on[0] = 0;
	c.classification = DP_CLASS_UNCLASSIFIED;
	c.classified_by[0] = 0;
	CHECK(dp_cable_encode(&c, dev_sk, &b) == DP_EPARSE); /* nothing to declassify */
	c.declassify_event[0] = 0;
	CHECK(dp_cable_encode(&c, dev_sk, &b) == DP_OK); /* a retention on UNCLASSIFIED is fine */
	dp_buf_reset(&b);
	strcpy(c.retention, "Permanent");
	CHECK(dp_cable_validate(&c) == DP_EPARSE);
	strcpy(c.retention, " PERMANENT");
	CHECK(dp_cable_validate(&c) == DP_EPARSE);
	c.retention[0] = 0;
	c.classification = DP_CLASS_SECRET;
	strcpy(c.classified_by, "X");
	strcpy(c.declassify_event, " leading space");
	CHECK(dp_cable_validate(&c) == DP_EPARSE);
	strcpy(c.declassify_event, "tab\there");
	CHECK(dp_cable_validate(&c) == DP_EPARSE);
	strcpy(c.declassify_event, "x");
	CHECK(dp_cable_validate(&c) == DP_OK);
	dp_buf_free(&b);
	dp_cable_free(&c);
}

static void test_nul_in_body(void)
{
	dp_cable c;
	dp_buf b;
	base_cable(&c, 1);
	c.body[3] = 0; /* validate refuses to encode it ... */
	dp_buf_init(&b, DP_MAX_PLAINTEXT);
	CHECK(dp_cable_encode(&c, dev_sk, &b) == DP_EPARSE);
	c.body[3] = '(';
	CHECK(dp_cable_encode(&c, dev_sk, &b) == DP_OK);
	/* ... and decode refuses it when forged by hand */
	uint8_t *nul = memmem(b.p, b.len - 64, "1. (S)", 6);
	CHECK(nul != NULL);
	if (nul) {
		nul[3] = 0;
		b.len -= 64;
		CHECK(decode_resigned(&b) == DP_EPARSE);
	}
	dp_buf_free(&b);
	dp_cable_free(&c);
}

static void test_truncation_and_signature(void)
{
	dp_cable c;
	dp_buf b;
	base_cable(&c, 2);
	CHECK(encode(&c, &b) == DP_OK);
	int bad = 0;
	for (size_t n = 0; n < b.len; n++) {
		int r = decode_buf(b.p, n);
		if (r != DP_EPARSE) {
			bad++;
			fprintf(stderr, "truncated to %zu: %s\n", n, dp_errname(r));
		}
	}
	CHECK(bad == 0);
	uint8_t *x = malloc(b.len + 1);
	memcpy(x, b.p, b.len);
	x[b.len] = 0;
	CHECK(decode_buf(x, b.len + 1) == DP_EPARSE); /* one byte too many */
	memcpy(x, b.p, b.len);
	CHECK(decode_buf(x, b.len) == DP_OK);
	bad = 0;
	for (size_t i = b.len - 64; i < b.len; i++) {
		x[i] ^= 0x01;
		if (decode_buf(x, b.len) != DP_ESIG)
			bad++;
		x[i] ^= 0x01;
	}
	CHECK(bad == 0);
	/* a changed body letter, a changed recipient epoch: signature */
	uint8_t *t = memmem(x, b.len - 64, "Body text", 9);
	t[0] = 'N';
	CHECK(decode_buf(x, b.len) == DP_ESIG);
	t[0] = 'B';
	t = memmem(x, b.len - 64, "PGOV", 4);
	t[1] = 'R';
	CHECK(decode_buf(x, b.len) == DP_ESIG);
	free(x);
	/* wrong context and wrong key */
	CHECK(decode_signed(b.p, b.len - 64, "denpo-cable-v1", dev_sk) == DP_OK);
	CHECK(decode_signed(b.p, b.len - 64, "denpo-envelope-v1", dev_sk) == DP_ESIG);
	CHECK(decode_signed(b.p, b.len - 64, "denpo-cable-v2", dev_sk) == DP_ESIG);
	CHECK(decode_signed(b.p, b.len - 64, "denpo-cable-v1", other_sk) == DP_ESIG);
	/* a plain Ed25519 signature without the context */
	uint8_t *m = malloc(b.len);
	memcpy(m, b.p, b.len);
	crypto_sign_ed25519_detached(m + b.len - 64, NULL, m, b.len - 64, dev_sk);
	CHECK(decode_buf(m, b.len) == DP_ESIG);
	free(m);
	/* the right signature under another From-Device */
	char oldhex[65], newhex[65];
	for (int i = 0; i < 32; i++) {
		sprintf(oldhex + 2 * i, "%02x", dev_pk[i]);
		sprintf(newhex + 2 * i, "%02x", other_pk[i]);
	}
	m = malloc(b.len);
	memcpy(m, b.p, b.len);
	uint8_t *fd = memmem(m, b.len, oldhex, 64);
	memcpy(fd, newhex, 64);
	CHECK(decode_buf(m, b.len) == DP_ESIG);
	free(m);
	dp_buf_free(&b);
	dp_cable_free(&c);
}

/* Encode, then decode (expect), with a setup applied to a fresh base cable. */
static void limit_case(const char *what, void (*setup)(dp_cable *, int), int over, int want_enc)
{
	dp_cable c;
	dp_buf b;
	base_cable(&c, 2);
	setup(&c, over);
	dp_buf_init(&b, DP_MAX_PLAINTEXT);
	int r = dp_cable_encode(&c, dev_sk, &b);
	CHECKF(r == want_enc, "%s (over=%d): encode %s", what, over, dp_errname(r));
	if (r == DP_OK)
		CHECKF(decode_buf(b.p, b.len) == DP_OK, "%s: decode", what);
	dp_buf_free(&b);
	dp_cable_free(&c);
}

static void set_to(dp_cable *c, int over)
{
	c->ninfo = 0;
	c->prec_info = c->prec_action;
	for (size_t i = 0; i < c->nrecipients; i++)
		c->recipients[i].role = DP_ROLE_ACTION;
	c->nto = DP_MAX_ADDRESSEES + (size_t)over;
	for (size_t i = 0; i < DP_MAX_ADDRESSEES && i < c->nto; i++)
		sprintf(c->to[i], "POST %zu", i);
}
static void set_captions(dp_cable *c, int over)
{
	c->ncaptions = DP_MAX_CAPTIONS + (size_t)over;
	for (size_t i = 0; i < DP_MAX_CAPTIONS; i++)
		sprintf(c->captions[i], "CAPTION %zu", i);
}
static void set_tags(dp_cable *c, int over)
{
	c->ntags = DP_MAX_TAGS + (size_t)over;
	for (size_t i = 0; i < DP_MAX_TAGS; i++)
		sprintf(c->tags[i], "TAG%zu", i);
}
static void set_refs(dp_cable *c, int over)
{
	c->nrefs = DP_MAX_REFS + (size_t)over;
	for (size_t i = 0; i < DP_MAX_REFS; i++)
		sprintf(c->refs[i], "26 HQ %06zu", i + 1);
}
static void set_atts(dp_cable *c, int over)
{
	c->natts = DP_MAX_ATTACHMENTS + (size_t)over;
	for (size_t i = 1; i < DP_MAX_ATTACHMENTS; i++) {
		sprintf(c->atts[i].name, "f%zu.bin", i);
		c->atts[i].data = malloc(1);
		c->atts[i].data[0] = (uint8_t)i;
		c->atts[i].len = 1;
	}
}
static void set_subject(dp_cable *c, int over)
{
	memset(c->subject, 'S', DP_SUBJECT_MAX);
	c->subject[DP_SUBJECT_MAX] = 0;
	if (over)
		c->subject[0] = ' '; /* no leading space */
}
static void set_body(dp_cable *c, int over)
{
	free(c->body);
	c->body_len = DP_MAX_BODY + (size_t)over;
	c->body = malloc(c->body_len);
	memset(c->body, 'x', c->body_len);
}
static void set_prec(dp_cable *c, int over)
{
	/* over: info more urgent than action */
	c->prec_action = DP_PREC_IMMEDIATE;
	c->prec_info = over ? DP_PREC_FLASH : DP_PREC_IMMEDIATE;
}
static void set_noinfo_prec(dp_cable *c, int over)
{
	c->ninfo = 0;
	for (size_t i = 0; i < c->nrecipients; i++)
		c->recipients[i].role = DP_ROLE_ACTION;
	c->prec_info = over ? DP_PREC_ROUTINE : c->prec_action;
}
static void set_classby(dp_cable *c, int over)
{
	if (over)
		c->classified_by[0] = 0; /* missing on a SECRET cable */
}
static void set_unclass(dp_cable *c, int over)
{
	c->classification = DP_CLASS_UNCLASSIFIED;
	c->declassify_on[0] = 0;
	if (!over)
		c->classified_by[0] = 0; /* over: classified-by on UNCLASSIFIED */
}
static void set_info_role(dp_cable *c, int over)
{
	c->ninfo = 0;
	c->prec_info = c->prec_action;
	for (size_t i = 0; i < c->nrecipients; i++)
		c->recipients[i].role = over && i == 1 ? DP_ROLE_INFO : DP_ROLE_ACTION;
}
/* A record copy is valid with or without INFO addressees; role 4 is nothing. */
static void set_record_role(dp_cable *c, int over)
{
	set_info_role(c, 0);
	c->recipients[1].role = over ? 4 : DP_ROLE_RECORD;
}
static void set_mixed(dp_cable *c, int over)
{
	for (size_t i = 0; i < c->nrecipients; i++)
		c->recipients[i].key_type = over && i == 1 ? 1 : 3;
}
static void set_created(dp_cable *c, int over)
{
	c->created = over ? DP_CREATED_MAX + 1 : DP_CREATED_MAX;
	strcpy(c->declassify_on, "2999-12-31");
}
static void set_nodecl(dp_cable *c, int over)
{
	if (over)
		strcpy(c->declassify_on, "2026-02-24"); /* the day it was written */
	else
		c->declassify_on[0] = 0;
}

static void test_limits(void)
{
	limit_case("to", set_to, 0, DP_OK);
	limit_case("to", set_to, 1, DP_ETOOBIG);
	limit_case("captions", set_captions, 0, DP_OK);
	limit_case("captions", set_captions, 1, DP_ETOOBIG);
	limit_case("tags", set_tags, 0, DP_OK);
	limit_case("tags", set_tags, 1, DP_ETOOBIG);
	limit_case("refs", set_refs, 0, DP_OK);
	limit_case("refs", set_refs, 1, DP_ETOOBIG);
	limit_case("atts", set_atts, 0, DP_OK);
	limit_case("atts", set_atts, 1, DP_ETOOBIG);
	limit_case("subject", set_subject, 0, DP_OK);
	limit_case("subject", set_subject, 1, DP_EPARSE);
	limit_case("body", set_body, 0, DP_OK);
	limit_case("body", set_body, 1, DP_ETOOBIG);
	limit_case("prec", set_prec, 0, DP_OK);
	limit_case("prec", set_prec, 1, DP_EPARSE);
	limit_case("noinfo prec", set_noinfo_prec, 0, DP_OK);
	limit_case("noinfo prec", set_noinfo_prec, 1, DP_EPARSE);
	limit_case("classby", set_classby, 0, DP_OK);
	limit_case("classby", set_classby, 1, DP_EPARSE);
	limit_case("unclass", set_unclass, 0, DP_OK);
	limit_case("unclass", set_unclass, 1, DP_EPARSE);
	limit_case("info role", set_info_role, 0, DP_OK);
	limit_case("info role", set_info_role, 1, DP_EPARSE);
	limit_case("record role", set_record_role, 0, DP_OK);
	limit_case("record role", set_record_role, 1, DP_EPARSE);
	limit_case("mixed", set_mixed, 0, DP_OK);
	limit_case("mixed", set_mixed, 1, DP_EMIXED);
	limit_case("created", set_created, 0, DP_OK);
	limit_case("created", set_created, 1, DP_EPARSE);
	limit_case("decl", set_nodecl, 0, DP_OK);
	limit_case("decl", set_nodecl, 1, DP_EPARSE);

	/* text-level: one entry too many is DP_ETOOBIG, one byte too long too */
	dp_cable c;
	dp_buf b;
	base_cable(&c, 2);
	CHECK(encode(&c, &b) == DP_OK);
	char s[2048];
	strcpy(s, "Captions: NOFORN");
	for (int i = 1; i < DP_MAX_CAPTIONS + 1; i++)
		sprintf(s + strlen(s), ", C%d", i);
	CHECK(mutate(&b, "Captions: NOFORN", s) == DP_ETOOBIG);
	memset(s, 0, sizeof s);
	strcpy(s, "From: ");
	memset(s + 6, 'T', DP_NAME_MAX + 1);
	CHECK(mutate(&b, "From: TOKYO", s) == DP_ETOOBIG);
	s[6 + DP_NAME_MAX] = 0;
	CHECK(mutate(&b, "From: TOKYO", s) == DP_OK); /* 48 is the limit */
	strcpy(s, "Subject: ");
	memset(s + 9, 'S', DP_SUBJECT_MAX + 1);
	s[9 + DP_SUBJECT_MAX + 1] = 0;
	CHECK(mutate(&b, "Subject: TEST SUBJECT", s) == DP_ETOOBIG);
	s[9 + DP_SUBJECT_MAX] = 0;
	CHECK(mutate(&b, "Subject: TEST SUBJECT", s) == DP_OK);
	CHECK(mutate(&b, "Body-Length: 18", "Body-Length: 1048577") == DP_ETOOBIG);
	/* more than DP_MAX_PLAINTEXT bytes is refused before parsing */
	uint8_t *big = calloc(1, (size_t)DP_MAX_PLAINTEXT + 1);
	CHECK(decode_buf(big, (size_t)DP_MAX_PLAINTEXT + 1) == DP_ETOOBIG);
	free(big);
	dp_buf_free(&b);
	dp_cable_free(&c);

	/* recipients: DP_MAX_RECIPIENTS is fine, one more is not */
	base_cable(&c, DP_MAX_RECIPIENTS);
	CHECK(encode(&c, &b) == DP_OK);
	CHECK(decode_buf(b.p, b.len) == DP_OK);
	const uint8_t *first = memmem(b.p, b.len, "Recipient: ", 11);
	const uint8_t *eol = memchr(first, '\n', b.len - (size_t)(first - b.p));
	char line[256];
	snprintf(line, sizeof line, "%.*s\n", (int)(eol - first), (const char *)first);
	char two[512];
	snprintf(two, sizeof two, "%s%s", line, line);
	CHECK(mutate(&b, line, two) == DP_ETOOBIG);
	dp_buf_free(&b);
	dp_recipient *r = calloc(DP_MAX_RECIPIENTS + 1, sizeof *r);
	for (size_t i = 0; i <= DP_MAX_RECIPIENTS; i++) {
		r[i].device[0] = (uint8_t)(i >> 8);
		r[i].device[1] = (uint8_t)i;
		r[i].key_type = 1;
		r[i].role = DP_ROLE_ACTION;
	}
	CHECK(dp_cable_set_recipients(&c, r, DP_MAX_RECIPIENTS + 1) == DP_ETOOBIG);
	CHECK(c.nrecipients == DP_MAX_RECIPIENTS); /* unchanged */
	r[1] = r[0];
	CHECK(dp_cable_set_recipients(&c, r, 2) == DP_EINVAL);
	/* unsorted input is sorted */
	r[0].device[1] = 9;
	r[1].device[1] = 3;
	CHECK(dp_cable_set_recipients(&c, r, 2) == DP_OK && c.recipients[0].device[1] == 3);
	free(r);
	dp_cable_free(&c);
}

static void test_render(void)
{
	dp_cable c;
	dp_buf b;
	base_cable(&c, 2);
	dp_buf_init(&b, 1 << 20);
	CHECK(dp_cable_render(&c, "26 TOKYO 000017", &b) == DP_OK);
	const char *top = "SECRET//NOFORN//EXDIS\nPRIORITY/ROUTINE  241023Z FEB 26\nFM TOKYO\n"
			  "TO HQ, ALL POSTS\nINFO SEOUL\nATTN sato.k\n\nSECRET//NOFORN//EXDIS 26 TOKYO 000017\n";
	CHECK(b.len > strlen(top) && !memcmp(b.p, top, strlen(top)));
	const char *bottom = "\nSECRET//NOFORN//EXDIS\n";
	CHECK(!memcmp(b.p + b.len - strlen(bottom), bottom, strlen(bottom)));
	CHECK(has(&b, "\nTAGS: PREL, PGOV\nSUBJECT: TEST SUBJECT\nREF: A) 26 TOKYO 000001\n"));
	CHECK(has(&b, "\nCLASSIFIED BY: Ambassador X, reason 1.4(d)\nDECL: 2051-02-24\nRETENTION: PERMANENT\n"
		      "TAGS:"));
	dp_buf_reset(&b);
	c.declassify_on[0] = c.retention[0] = 0;
	strcpy(c.declassify_event, "End of the negotiation");
	CHECK(dp_cable_render(&c, NULL, &b) == DP_OK);
	CHECK(has(&b, "\nCLASSIFIED BY: Ambassador X, reason 1.4(d)\nDECL: ON EVENT: End of the negotiation\n"
		      "TAGS:"));
	CHECK(!has(&b, "RETENTION") && !has(&b, "DECL: 2"));
	c.declassify_event[0] = 0;
	strcpy(c.declassify_on, "2051-02-24");
	CHECK(has(&b, "\n1. (S) Body text.\n"));
	CHECK(has(&b, "\nATTACHMENTS:\n1. a.txt (11 bytes, SHA-256 "));
	dp_buf_reset(&b);
	CHECK(dp_cable_render(&c, "26 TOKYO 17", &b) == DP_EINVAL);
	dp_buf_reset(&b);
	c.ninfo = 0;
	c.prec_info = c.prec_action;
	c.recipients[1].role = DP_ROLE_ACTION;
	CHECK(dp_cable_render(&c, NULL, &b) == DP_OK);
	CHECK(has(&b, "\nPRIORITY  241023Z FEB 26\n"));
	CHECK(!has(&b, "INFO"));
	CHECK(has(&b, "\nSECRET//NOFORN//EXDIS (NO MRN YET)\n"));
	dp_buf_free(&b);
	/* an invalid cable is not rendered */
	c.nto = 0;
	dp_buf_init(&b, 1 << 20);
	CHECK(dp_cable_render(&c, NULL, &b) == DP_EPARSE);
	dp_buf_free(&b);
	dp_cable_free(&c);
}

/* dp_cable_new_id: the time in ms, big-endian, then random bytes; later ids sort after earlier */
static uint64_t id_ms(const uint8_t id[DP_CABLE_ID])
{
	uint64_t ms = 0;
	for (int i = 0; i < 6; i++)
		ms = ms << 8 | id[i];
	return ms;
}

static void test_new_id(void)
{
	uint8_t a[DP_CABLE_ID], b[DP_CABLE_ID];
	struct timespec t0, t1;
	clock_gettime(CLOCK_REALTIME, &t0);
	dp_cable_new_id(a);
	clock_gettime(CLOCK_REALTIME, &t1);
	uint64_t lo = (uint64_t)t0.tv_sec * 1000 + (uint64_t)t0.tv_nsec / 1000000;
	uint64_t hi = (uint64_t)t1.tv_sec * 1000 + (uint64_t)t1.tv_nsec / 1000000;
	CHECK(id_ms(a) >= lo && id_ms(a) <= hi);
	/* ids made in a row: never smaller, never equal (80 random bits), all different in their tails */
	int ordered = 1, distinct = 1;
	for (int i = 0; i < 2000; i++) {
		dp_cable_new_id(b);
		ordered &= memcmp(a, b, 6) <= 0;
		distinct &= memcmp(a + 6, b + 6, DP_CABLE_ID - 6) != 0;
		memcpy(a, b, sizeof a);
	}
	CHECK(ordered);
	CHECK(distinct);
	/* 10 ms later: strictly greater as bytes, so the switch's index appends */
	struct timespec ten = {0, 10 * 1000 * 1000};
	nanosleep(&ten, NULL);
	dp_cable_new_id(b);
	CHECK(memcmp(a, b, DP_CABLE_ID) < 0 && id_ms(b) >= id_ms(a) + 10);
}

int main(void)
{
	if (dp_crypto_init())
		return 1;
	fx_seed_key(0x01, dev_pk, dev_sk);
	fx_seed_key(0x91, other_pk, other_sk);
	test_vocab();
	test_roundtrip();
	test_header_structure();
	test_values();
	test_records_fields();
	test_nul_in_body();
	test_truncation_and_signature();
	test_limits();
	test_render();
	test_new_id();
	return t_done("test_cable");
}
