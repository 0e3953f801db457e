/*
 * test_envelope - the routing envelope and submission framing: round trip,
 * an independent serializer of the documented layout, strict rejection with
 * exact codes, the reader's envelope/cable cross-check field by field.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "denpo/envelope.h"
#include "tests/fixture.h"
#include "tests/harness.h"

static uint8_t dev_pk[32], dev_sk[64], other_pk[32], other_sk[64];
static const uint8_t payload[] = "age-encryption.org/v1\n(placeholder payload)\n";
#define PLEN (sizeof payload - 1)

/* Recipient 0 has the info role, the others action; all at epoch 7. */
static void fill_recipient(dp_recipient *r, size_t i)
{
	r->epoch = 7;
	r->role = i == 0 ? DP_ROLE_INFO : DP_ROLE_ACTION;
}

static void base_cable(dp_cable *c, size_t nrcp)
{
	dp_cable_init(c);
	for (int i = 0; i < DP_CABLE_ID; i++)
		c->id[i] = (uint8_t)i;
	c->classification = DP_CLASS_CONFIDENTIAL;
	strcpy(c->captions[0], "EXDIS");
	c->ncaptions = 1;
	c->prec_action = DP_PREC_FLASH;
	c->prec_info = DP_PREC_PRIORITY;
	c->created = 1771928580;
	strcpy(c->from, "HQ");
	memcpy(c->from_device, dev_pk, 32);
	strcpy(c->to[0], "TOKYO");
	strcpy(c->to[1], "SEOUL");
	c->nto = 2;
	strcpy(c->info[0], "ASIA POSTS");
	c->ninfo = 1;
	strcpy(c->attn[0], "POLITICAL");
	c->nattn = 1;
	fx_set_recipients(c, nrcp, fill_recipient);
	strcpy(c->tags[0], "PREL");
	c->ntags = 1;
	strcpy(c->subject, "S");
	strcpy(c->classified_by, "X");
	c->body = (uint8_t *)strdup("text\n");
	c->body_len = 5;
}

/* An independent serializer of the layout in envelope.h (no validation). */
static void raw_str8(dp_buf *b, const char *s)
{
	if (dp_buf_put_u8(b, (uint8_t)strlen(s)) || dp_buf_puts(b, s))
		abort();
}
static void raw_list(dp_buf *b, const char (*l)[DP_NAME_MAX + 1], size_t n)
{
	if (dp_buf_put_u8(b, (uint8_t)n))
		abort();
	for (size_t i = 0; i < n; i++)
		raw_str8(b, l[i]);
}
static void raw_envelope(const dp_envelope *e, dp_buf *b, const char *ctx, const uint8_t *sk,
			 uint8_t version)
{
	dp_buf_init(b, 1 << 20);
	int r = dp_buf_append(b, "DPEV", 4) || dp_buf_put_u8(b, version) || dp_buf_put_u8(b, 0) ||
		dp_buf_append(b, e->cable_id, 16) || dp_buf_append(b, e->from_device, 32);
	raw_str8(b, e->from);
	r = r || dp_buf_put_u64(b, (uint64_t)e->created) || dp_buf_put_u8(b, (uint8_t)e->classification);
	raw_list(b, e->captions, e->ncaptions);
	r = r || dp_buf_put_u8(b, (uint8_t)e->prec_action) || dp_buf_put_u8(b, (uint8_t)e->prec_info);
	raw_list(b, e->to, e->nto);
	raw_list(b, e->info, e->ninfo);
	raw_list(b, e->attn, e->nattn);
	r = r || dp_buf_put_u16(b, (uint16_t)e->nrecipients);
	for (size_t i = 0; i < e->nrecipients; i++)
		r = r || dp_buf_append(b, e->recipients[i].device, 32) ||
		    dp_buf_put_u8(b, e->recipients[i].key_type) ||
		    dp_buf_put_u32(b, e->recipients[i].epoch) || dp_buf_put_u8(b, e->recipients[i].role);
	r = r || dp_buf_put_u64(b, e->payload_len) || dp_buf_append(b, e->payload_sha256, 32);
	uint8_t sig[64];
	r = r || dp_sign(sig, sk, ctx, b->p, b->len) || dp_buf_append(b, sig, 64);
	if (r)
		abort();
}

static int decode_raw(const dp_envelope *e)
{
	dp_buf b;
	dp_envelope d;
	raw_envelope(e, &b, "denpo-envelope-v1", dev_sk, 1);
	int r = dp_envelope_decode(&d, b.p, b.len);
	dp_envelope_free(&d);
	dp_buf_free(&b);
	return r;
}

static void make_env(dp_envelope *e, size_t nrcp)
{
	dp_cable c;
	base_cable(&c, nrcp);
	if (dp_envelope_from_cable(e, &c, payload, PLEN))
		abort();
	dp_cable_free(&c);
}

static void test_roundtrip(void)
{
	dp_cable c;
	dp_envelope e, d;
	dp_buf b, raw;
	base_cable(&c, 3);
	CHECK(dp_envelope_from_cable(&e, &c, payload, PLEN) == DP_OK);
	uint8_t h[32];
	dp_sha256(h, payload, PLEN);
	CHECK(e.payload_len == PLEN && !memcmp(e.payload_sha256, h, 32));
	CHECK(dp_envelope_matches_cable(&e, &c) == 1);
	dp_buf_init(&b, DP_ENVELOPE_MAX);
	CHECK(dp_envelope_encode(&e, dev_sk, &b) == DP_OK);
	/* the library writes exactly the layout the header documents */
	raw_envelope(&e, &raw, "denpo-envelope-v1", dev_sk, 1);
	CHECK(raw.len == b.len && !memcmp(raw.p, b.p, b.len));
	CHECK(!memcmp(e.sig, b.p + b.len - 64, 64));
	dp_buf_free(&raw);
	CHECK(dp_envelope_decode(&d, b.p, b.len) == DP_OK);
	CHECK(dp_envelope_matches_cable(&d, &c) == 1);
	CHECK(d.nrecipients == 3 && d.payload_len == PLEN && !memcmp(d.payload_sha256, h, 32));
	CHECK(!strcmp(d.info[0], "ASIA POSTS") && !strcmp(d.attn[0], "POLITICAL"));
	dp_envelope_free(&d);
	/* only the From-Device signs */
	dp_buf raw2;
	dp_buf_init(&raw2, DP_ENVELOPE_MAX);
	CHECK(dp_envelope_encode(&e, other_sk, &raw2) == DP_EINVAL && raw2.len == 0);
	dp_buf_free(&raw2);
	/* the envelope carries no subject, tags or body */
	CHECK(memmem(b.p, b.len, "PREL", 4) == NULL && memmem(b.p, b.len, "text", 4) == NULL);
	dp_buf_free(&b);
	dp_envelope_free(&e);
	dp_cable_free(&c);
}

static void test_truncation_and_signature(void)
{
	dp_envelope e, d;
	dp_buf b;
	make_env(&e, 3);
	dp_buf_init(&b, DP_ENVELOPE_MAX);
	CHECK(dp_envelope_encode(&e, dev_sk, &b) == DP_OK);
	int bad = 0;
	for (size_t n = 0; n < b.len; n++) {
		int r = dp_envelope_decode(&d, b.p, n);
		dp_envelope_free(&d);
		if (r != DP_EPARSE) {
			bad++;
			fprintf(stderr, "truncated to %zu: %s\n", n, dp_errname(r));
		}
	}
	CHECK(bad == 0);
	uint8_t *x = malloc(b.len + 1);
	memcpy(x, b.p, b.len);
	x[b.len] = 0;
	CHECK(dp_envelope_decode(&d, x, b.len + 1) == DP_EPARSE);
	bad = 0;
	for (size_t i = 0; i < b.len; i++) {
		/* every bit flip is caught: by the parser or by the signature */
		x[i] ^= 0x80;
		int r = dp_envelope_decode(&d, x, b.len);
		dp_envelope_free(&d);
		if (r == DP_OK)
			bad++;
		if (i >= b.len - 64 && r != DP_ESIG)
			bad++;
		x[i] ^= 0x80;
	}
	CHECK(bad == 0);
	x[6] ^= 1; /* cable_id */
	CHECK(dp_envelope_decode(&d, x, b.len) == DP_ESIG);
	x[6] ^= 1;
	x[b.len - 64 - 1] ^= 1; /* payload hash */
	CHECK(dp_envelope_decode(&d, x, b.len) == DP_ESIG);
	x[b.len - 64 - 1] ^= 1;
	CHECK(dp_envelope_decode(&d, x, b.len) == DP_OK);
	dp_envelope_free(&d);
	free(x);
	/* wrong context, wrong key, version, flags, magic */
	dp_buf r;
	raw_envelope(&e, &r, "denpo-cable-v1", dev_sk, 1);
	CHECK(dp_envelope_decode(&d, r.p, r.len) == DP_ESIG);
	dp_buf_free(&r);
	raw_envelope(&e, &r, "denpo-envelope-v1", other_sk, 1);
	CHECK(dp_envelope_decode(&d, r.p, r.len) == DP_ESIG);
	dp_buf_free(&r);
	raw_envelope(&e, &r, "denpo-envelope-v1", dev_sk, 2);
	CHECK(dp_envelope_decode(&d, r.p, r.len) == DP_EUNSUPP);
	r.p[4] = 1;
	r.p[5] = 1;
	CHECK(dp_envelope_decode(&d, r.p, r.len) == DP_EPARSE);
	r.p[5] = 0;
	r.p[0] = 'X';
	CHECK(dp_envelope_decode(&d, r.p, r.len) == DP_EPARSE);
	dp_buf_free(&r);
	dp_buf_free(&b);
	dp_envelope_free(&e);
}

static void test_rules(void)
{
	dp_envelope e;
	make_env(&e, 3);
	CHECK(decode_raw(&e) == DP_OK);
#define CASE(mod, undo, want)                                                                      \
	do {                                                                                       \
		mod;                                                                               \
		int r_ = decode_raw(&e);                                                           \
		CHECKF(r_ == (want), "%s: %s", #mod, dp_errname(r_));                              \
		undo;                                                                              \
	} while (0)
	CASE(e.prec_info = DP_PREC_FLASH, e.prec_info = DP_PREC_PRIORITY, DP_OK);
	CASE((e.prec_action = DP_PREC_PRIORITY, e.prec_info = DP_PREC_IMMEDIATE),
	     (e.prec_action = DP_PREC_FLASH, e.prec_info = DP_PREC_PRIORITY), DP_EPARSE);
	CASE(e.prec_action = 4, e.prec_action = DP_PREC_FLASH, DP_EPARSE);
	CASE(e.classification = 5, e.classification = DP_CLASS_CONFIDENTIAL, DP_EPARSE);
	CASE(e.created = DP_CREATED_MAX + 1, e.created = 1771928580, DP_EPARSE);
	CASE(e.created = DP_CREATED_MIN - 1, e.created = 1771928580, DP_EPARSE);
	CASE(e.nto = 0, e.nto = 2, DP_EPARSE);
	CASE(strcpy(e.to[1], "TOKYO"), strcpy(e.to[1], "SEOUL"), DP_EPARSE);
	CASE(strcpy(e.info[0], "SEOUL"), strcpy(e.info[0], "ASIA POSTS"), DP_EPARSE);
	CASE(strcpy(e.from, "hq"), strcpy(e.from, "HQ"), DP_EPARSE);
	CASE(strcpy(e.attn[0], "sato.k"), strcpy(e.attn[0], "POLITICAL"), DP_OK);
	CASE(strcpy(e.attn[0], "Sato"), strcpy(e.attn[0], "POLITICAL"), DP_EPARSE);
	CASE(e.captions[0][0] = 0, strcpy(e.captions[0], "EXDIS"), DP_EPARSE);
	CASE(e.recipients[1].role = 4, e.recipients[1].role = DP_ROLE_ACTION, DP_EPARSE);
	CASE(e.recipients[1].role = 0, e.recipients[1].role = DP_ROLE_ACTION, DP_EPARSE);
	CASE(e.recipients[1].role = DP_ROLE_RECORD, e.recipients[1].role = DP_ROLE_ACTION, DP_OK);
	CASE(e.recipients[1].key_type = 2, e.recipients[1].key_type = 1, DP_EPARSE);
	CASE(e.recipients[1].key_type = 3, e.recipients[1].key_type = 1, DP_EMIXED);
	CASE(e.recipients[1].device[1] = 5, e.recipients[1].device[1] = 1, DP_EPARSE); /* unsorted */
	CASE(e.recipients[1].device[1] = 0, e.recipients[1].device[1] = 1, DP_EPARSE); /* duplicate */
	CASE(e.nrecipients = 0, e.nrecipients = 3, DP_EPARSE);
	CASE((e.ninfo = 0, e.prec_info = e.prec_action), (e.ninfo = 1, e.prec_info = DP_PREC_PRIORITY),
	     DP_EPARSE); /* recipient 0 has the info role */
	CASE(e.payload_len = DP_MAX_PAYLOAD + 1ull, e.payload_len = PLEN, DP_ETOOBIG);
	CASE(e.payload_len = DP_MAX_PAYLOAD, e.payload_len = PLEN, DP_OK);
	CASE(e.ncaptions = DP_MAX_CAPTIONS + 1, e.ncaptions = 1, DP_ETOOBIG);
	CASE(e.nattn = DP_MAX_ADDRESSEES + 1, e.nattn = 1, DP_ETOOBIG);
	/* names: 48 bytes is the limit, 49 is too big, NUL inside is malformed */
	char name49[DP_NAME_MAX + 2];
	memset(name49, 'A', DP_NAME_MAX + 1);
	name49[DP_NAME_MAX + 1] = 0;
	dp_buf b;
	raw_envelope(&e, &b, "denpo-envelope-v1", dev_sk, 1);
	/* from_post sits at offset 54: patch its length and bytes by hand */
	CHECK(b.p[54] == 2 && !memcmp(b.p + 55, "HQ", 2));
	dp_buf nb;
	dp_buf_init(&nb, 1 << 20);
	for (int len = DP_NAME_MAX; len <= DP_NAME_MAX + 1; len++) {
		dp_buf_reset(&nb);
		int ok = !dp_buf_append(&nb, b.p, 54) && !dp_buf_put_u8(&nb, (uint8_t)len) &&
			 !dp_buf_append(&nb, name49, (size_t)len) &&
			 !dp_buf_append(&nb, b.p + 57, b.len - 57 - 64);
		uint8_t sig[64];
		ok = ok && !dp_sign(sig, dev_sk, "denpo-envelope-v1", nb.p, nb.len) &&
		     !dp_buf_append(&nb, sig, 64);
		dp_envelope d;
		int r = ok ? dp_envelope_decode(&d, nb.p, nb.len) : 999;
		dp_envelope_free(&d);
		CHECKF(r == (len == DP_NAME_MAX ? DP_OK : DP_ETOOBIG), "from of %d bytes: %s", len,
		       dp_errname(r));
	}
	dp_buf_reset(&nb);
	CHECK(!dp_buf_append(&nb, b.p, b.len - 64));
	nb.p[56] = 0; /* "H\0" */
	uint8_t sig[64];
	CHECK(!dp_sign(sig, dev_sk, "denpo-envelope-v1", nb.p, nb.len) && !dp_buf_append(&nb, sig, 64));
	dp_envelope d;
	CHECK(dp_envelope_decode(&d, nb.p, nb.len) == DP_EPARSE);
	dp_buf_free(&nb);
	dp_buf_free(&b);
	dp_envelope_free(&e);

	/* recipients at the limit, and one over */
	make_env(&e, DP_MAX_RECIPIENTS);
	dp_buf_init(&b, DP_ENVELOPE_MAX);
	CHECK(dp_envelope_encode(&e, dev_sk, &b) == DP_OK);
	CHECK(b.len <= DP_ENVELOPE_MAX);
	CHECK(dp_envelope_decode(&d, b.p, b.len) == DP_OK && d.nrecipients == DP_MAX_RECIPIENTS);
	dp_envelope_free(&d);
	dp_buf_free(&b);
	dp_recipient *more = realloc(e.recipients, (DP_MAX_RECIPIENTS + 1) * sizeof *more);
	e.recipients = more;
	memset(&more[DP_MAX_RECIPIENTS], 0, sizeof *more);
	more[DP_MAX_RECIPIENTS].device[0] = 0xff;
	more[DP_MAX_RECIPIENTS].key_type = 1;
	more[DP_MAX_RECIPIENTS].role = DP_ROLE_ACTION;
	e.nrecipients = DP_MAX_RECIPIENTS + 1;
	CHECK(decode_raw(&e) == DP_ETOOBIG);
	dp_buf_init(&b, DP_ENVELOPE_MAX);
	CHECK(dp_envelope_encode(&e, dev_sk, &b) == DP_ETOOBIG);
	dp_buf_free(&b);
	dp_envelope_free(&e);
	/* oversized input is refused before parsing */
	uint8_t *big = calloc(1, DP_ENVELOPE_MAX + 1);
	CHECK(dp_envelope_decode(&d, big, DP_ENVELOPE_MAX + 1) == DP_ETOOBIG);
	free(big);
	/* too many TO entries (u8 count 65) */
	make_env(&e, 2);
	/* the struct holds only 64: serialize 64, then patch the count to 65 */
	e.nto = DP_MAX_ADDRESSEES;
	for (size_t i = 0; i < DP_MAX_ADDRESSEES; i++)
		sprintf(e.to[i], "P%zu", i);
	CHECK(decode_raw(&e) == DP_OK);
	raw_envelope(&e, &b, "denpo-envelope-v1", dev_sk, 1);
	/* find the "to" count: right after prec bytes; search the first "P0" str8 */
	uint8_t *p0 = memmem(b.p, b.len, "\x02P0", 3);
	CHECK(p0 && p0[-1] == DP_MAX_ADDRESSEES);
	if (p0) {
		p0[-1] = DP_MAX_ADDRESSEES + 1;
		b.len -= 64;
		CHECK(!dp_sign(sig, dev_sk, "denpo-envelope-v1", b.p, b.len) && !dp_buf_append(&b, sig, 64));
		CHECK(dp_envelope_decode(&d, b.p, b.len) == DP_ETOOBIG);
	}
	dp_buf_free(&b);
	dp_envelope_free(&e);
#undef CASE
}

static void test_matches(void)
{
	dp_cable c;
	dp_envelope e;
	base_cable(&c, 3);
	CHECK(dp_envelope_from_cable(&e, &c, payload, PLEN) == DP_OK);
	CHECK(dp_envelope_matches_cable(&e, &c) == 1);
#define DIFF(mod, undo)                                                                            \
	do {                                                                                       \
		mod;                                                                               \
		CHECKF(dp_envelope_matches_cable(&e, &c) == 0, "not detected: %s", #mod);          \
		undo;                                                                              \
		CHECK(dp_envelope_matches_cable(&e, &c) == 1);                                     \
	} while (0)
	DIFF(e.cable_id[15] ^= 1, e.cable_id[15] ^= 1);
	DIFF(e.from_device[0] ^= 1, e.from_device[0] ^= 1);
	DIFF(strcpy(e.from, "HQ2"), strcpy(e.from, "HQ"));
	DIFF(e.created++, e.created--);
	DIFF(e.classification = DP_CLASS_SECRET, e.classification = DP_CLASS_CONFIDENTIAL);
	DIFF(strcpy(e.captions[0], "NODIS"), strcpy(e.captions[0], "EXDIS"));
	DIFF(e.ncaptions = 0, e.ncaptions = 1);
	DIFF(e.prec_action = DP_PREC_IMMEDIATE, e.prec_action = DP_PREC_FLASH);
	DIFF(e.prec_info = DP_PREC_ROUTINE, e.prec_info = DP_PREC_PRIORITY);
	DIFF(strcpy(e.to[1], "BEIJING"), strcpy(e.to[1], "SEOUL"));
	DIFF(e.nto = 1, e.nto = 2);
	DIFF(strcpy(e.info[0], "ALL POSTS"), strcpy(e.info[0], "ASIA POSTS"));
	DIFF(e.ninfo = 0, e.ninfo = 1);
	DIFF(strcpy(e.attn[0], "sato.k"), strcpy(e.attn[0], "POLITICAL"));
	DIFF(e.nattn = 0, e.nattn = 1);
	DIFF(e.recipients[2].device[31] ^= 1, e.recipients[2].device[31] ^= 1);
	DIFF(e.recipients[2].key_type = 3, e.recipients[2].key_type = 1);
	DIFF(e.recipients[2].epoch = 8, e.recipients[2].epoch = 7);
	DIFF(e.recipients[0].role = DP_ROLE_ACTION, e.recipients[0].role = DP_ROLE_INFO);
	DIFF(e.nrecipients = 2, e.nrecipients = 3);
#undef DIFF
	dp_envelope_free(&e);
	/* from_cable refuses an invalid cable or an oversized payload */
	CHECK(dp_envelope_from_cable(&e, &c, payload, (size_t)DP_MAX_PAYLOAD + 1) == DP_ETOOBIG);
	c.ntags = 0;
	CHECK(dp_envelope_from_cable(&e, &c, payload, PLEN) == DP_EPARSE);
	dp_cable_free(&c);
}

static void test_submission(void)
{
	dp_envelope e, d;
	dp_buf env, sub;
	make_env(&e, 3);
	dp_buf_init(&env, DP_ENVELOPE_MAX);
	CHECK(dp_envelope_encode(&e, dev_sk, &env) == DP_OK);
	dp_buf_init(&sub, DP_ENVELOPE_MAX + 1024);
	CHECK(dp_submission_encode(&env, payload, PLEN, &sub) == DP_OK);
	CHECK(sub.len == 4 + env.len + PLEN);
	CHECK(sub.p[0] == 0 && sub.p[1] == 0 && ((size_t)sub.p[2] << 8 | sub.p[3]) == env.len);
	const uint8_t *pl = NULL;
	size_t pn = 0;
	CHECK(dp_submission_decode(&d, sub.p, sub.len, &pl, &pn) == DP_OK);
	CHECK(pn == PLEN && pl == sub.p + 4 + env.len && !memcmp(pl, payload, PLEN));
	/* the claimed precedence is the byte the checked decode reads */
	CHECK(dp_submission_claimed_prec(sub.p, sub.len) == d.prec_action && d.prec_action == DP_PREC_FLASH);
	dp_envelope_free(&d);
	int bad = 0, bad_claim = 0;
	for (size_t n = 0; n < sub.len; n++) {
		int r = dp_submission_decode(&d, sub.p, n, &pl, &pn);
		dp_envelope_free(&d);
		if (r != DP_EPARSE)
			bad++;
		/* a claim needs the whole envelope there (its length prefix says how much) */
		if (dp_submission_claimed_prec(sub.p, n) != (n >= 4 + env.len ? DP_PREC_FLASH : -1))
			bad_claim++;
	}
	CHECK(bad == 0);
	CHECKF(bad_claim == 0, "%d truncations claimed wrongly", bad_claim);
	uint8_t *x = malloc(sub.len + 1);
	memcpy(x, sub.p, sub.len);
	x[sub.len] = 'x';
	CHECK(dp_submission_decode(&d, x, sub.len + 1, &pl, &pn) == DP_EPARSE); /* extended */
	x[sub.len - 3] ^= 1;
	CHECK(dp_submission_decode(&d, x, sub.len, &pl, &pn) == DP_ESIG); /* payload swapped */
	/* a claim is read, not checked: a forged FLASH claims it, the decode refuses it */
	CHECK(dp_submission_claimed_prec(x, sub.len) == DP_PREC_FLASH);
	x[sub.len - 3] ^= 1;
	x[3]++; /* envelope length one too long: the envelope decode fails */
	CHECK(dp_submission_decode(&d, x, sub.len, &pl, &pn) == DP_EPARSE);
	x[0] = 0x7f; /* envelope length over the cap */
	CHECK(dp_submission_decode(&d, x, sub.len, &pl, &pn) == DP_ETOOBIG);
	free(x);
	/* each precedence claimed as encoded */
	for (int prec = DP_PREC_FLASH; prec <= DP_PREC_ROUTINE; prec++) {
		e.prec_action = e.prec_info = prec;
		dp_buf_reset(&env);
		dp_buf_reset(&sub);
		CHECK(dp_envelope_encode(&e, dev_sk, &env) == DP_OK);
		CHECK(dp_submission_encode(&env, payload, PLEN, &sub) == DP_OK);
		CHECKF(dp_submission_claimed_prec(sub.p, sub.len) == prec, "precedence %d", prec);
	}
	e.prec_action = DP_PREC_FLASH;
	e.prec_info = DP_PREC_PRIORITY;
	/* envelope with a payload of another length */
	e.payload_len = PLEN + 1;
	dp_buf_reset(&env);
	dp_buf_reset(&sub);
	CHECK(dp_envelope_encode(&e, dev_sk, &env) == DP_OK);
	CHECK(dp_submission_encode(&env, payload, PLEN, &sub) == DP_OK);
	CHECK(dp_submission_decode(&d, sub.p, sub.len, &pl, &pn) == DP_EPARSE);
	dp_buf_free(&env);
	dp_buf_free(&sub);
	dp_envelope_free(&e);
}

/* What a reader does: decode submission, decrypt (here: the payload is the cable), cross-check. */
static void test_reader_flow(void)
{
	dp_cable c, got;
	dp_envelope e, d;
	dp_buf cable, env, sub;
	base_cable(&c, 2);
	dp_buf_init(&cable, DP_MAX_PLAINTEXT);
	CHECK(dp_cable_encode(&c, dev_sk, &cable) == DP_OK);
	CHECK(dp_envelope_from_cable(&e, &c, cable.p, cable.len) == DP_OK);
	dp_buf_init(&env, DP_ENVELOPE_MAX);
	dp_buf_init(&sub, DP_MAX_PLAINTEXT);
	CHECK(dp_envelope_encode(&e, dev_sk, &env) == DP_OK);
	CHECK(dp_submission_encode(&env, cable.p, cable.len, &sub) == DP_OK);
	const uint8_t *pl;
	size_t pn;
	CHECK(dp_submission_decode(&d, sub.p, sub.len, &pl, &pn) == DP_OK);
	CHECK(dp_cable_decode(&got, pl, pn) == DP_OK);
	CHECK(dp_envelope_matches_cable(&d, &got) == 1);
	/* the same cable under an envelope that widens the routing does not match */
	dp_envelope_free(&e);
	dp_cable_free(&got);
	strcpy(c.info[1], "BEIJING");
	c.ninfo = 2;
	CHECK(dp_envelope_from_cable(&e, &c, cable.p, cable.len) == DP_OK);
	CHECK(dp_cable_decode(&got, cable.p, cable.len) == DP_OK);
	CHECK(dp_envelope_matches_cable(&e, &got) == 0);
	dp_cable_free(&got);
	dp_envelope_free(&e);
	dp_envelope_free(&d);
	dp_buf_free(&cable);
	dp_buf_free(&env);
	dp_buf_free(&sub);
	dp_cable_free(&c);
}

int main(void)
{
	if (dp_crypto_init())
		return 1;
	fx_seed_key(0x01, dev_pk, dev_sk);
	fx_seed_key(0x91, other_pk, other_sk);
	test_roundtrip();
	test_truncation_and_signature();
	test_rules();
	test_matches();
	test_submission();
	test_reader_flow();
	return t_done("test_envelope");
}
