/*
 * test_enrol - enrolment request and answer: round trip, strict rejection
 * (every line missing, repeated, swapped; CR; truncation; tampering) with
 * exact error codes.  Mutated files are re-signed so that the parser, not
 * the signature, is what rejects them.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "denpo/encoding.h"
#include "denpo/enrol.h"
#include "tests/fixture.h"
#include "tests/harness.h"

static uint8_t dev_pk[32], dev_sk[64], tls_pk[32], sw_pk[32], sw_sk[64], swtls_pk[32];

/* The recipient of the identity whose secret is base, base+1, ...: X25519 or mlkem768x25519. */
static void age_of(uint8_t base, char out[DP_AGE_RECIPIENT_MAX + 1], int type)
{
	dp_age_identity id;
	dp_age_recipient rc;
	memset(&id, 0, sizeof id);
	id.type = type;
	for (int i = 0; i < 32; i++)
		id.sk[i] = (uint8_t)(base + i);
	dp_buf b;
	dp_buf_init(&b, DP_AGE_RECIPIENT_MAX);
	if (dp_age_identity_to_recipient(&id, &rc) || dp_age_recipient_format(&rc, &b))
		abort();
	memcpy(out, b.p, b.len + 1);
	dp_buf_free(&b);
}

static void base_request(dp_enrol_request *q)
{
	memset(q, 0, sizeof *q);
	strcpy(q->officer, "sato.k");
	strcpy(q->post, "TOKYO");
	strcpy(q->device_name, "Sato-Laptop_2");
	memcpy(q->sign_pk, dev_pk, 32);
	memcpy(q->tls_pk, tls_pk, 32);
	age_of(0x33, q->age_recipient, DP_AGE_MLKEM768X25519);
	q->epoch = 3;
	q->created = 1771900000;
}

static void base_answer(dp_enrol_answer *a)
{
	memset(a, 0, sizeof *a);
	memcpy(a->device_id, dev_pk, 32);
	strcpy(a->officer, "sato.k");
	strcpy(a->post, "TOKYO");
	a->clearance = DP_CLASS_TOP_SECRET;
	strcpy(a->captions[0], "NOFORN");
	strcpy(a->captions[1], "EXDIS");
	a->ncaptions = 2;
	strcpy(a->roles[0], "COMMS");
	a->nroles = 1;
	strcpy(a->switch_url, "https://127.0.0.1:8443");
	memcpy(a->switch_tls_pk, swtls_pk, 32);
	memcpy(a->switch_sign_pk, sw_pk, 32);
	a->issued = 1771910000;
}

static int dec_req(const uint8_t *p, size_t n)
{
	dp_enrol_request q;
	return dp_enrol_request_decode(&q, p, n);
}

static int dec_ans(const uint8_t *p, size_t n)
{
	dp_enrol_answer a;
	return dp_enrol_answer_decode(&a, p, n);
}

/* body (all lines before Signature) + a fresh Signature line, then decode. */
static int resign(const uint8_t *body, size_t n, int answer, const char *ctx, const uint8_t *sk)
{
	uint8_t sig[64];
	char b64[89];
	if (dp_sign(sig, sk, ctx, body, n))
		abort();
	dp_b64_encode(b64, sig, 64, 1);
	dp_buf t;
	dp_buf_init(&t, 1 << 16);
	if (dp_buf_append(&t, body, n) || dp_buf_printf(&t, "Signature: %s\n", b64))
		abort();
	int r = answer ? dec_ans(t.p, t.len) : dec_req(t.p, t.len);
	dp_buf_free(&t);
	return r;
}

static size_t body_len(const dp_buf *b) { return b->len - (11 + 88 + 1); }

/* Replace old by new in the body, re-sign, decode. */
static int mutate(const dp_buf *b, int answer, const char *old, const char *new)
{
	dp_buf t;
	if (fx_replace(&t, 1 << 16, b->p, body_len(b), old, new))
		return 999;
	int r = resign(t.p, t.len, answer, answer ? "denpo-enrol-answer-v1" : "denpo-enrol-request-v1",
		       answer ? sw_sk : dev_sk);
	dp_buf_free(&t);
	return r;
}

/* Every line (after the magic) removed, doubled, swapped with the next, preceded by CR-LF junk. */
static void structure(const dp_buf *b, int answer, const char *const *optional)
{
	const char *ctx = answer ? "denpo-enrol-answer-v1" : "denpo-enrol-request-v1";
	const uint8_t *sk = answer ? sw_sk : dev_sk;
	size_t n = body_len(b);
	const uint8_t *ls[32];
	size_t ln[32], k = 0, off = 0;
	while (off < n && k < 32) {
		const uint8_t *nl = memchr(b->p + off, '\n', n - off);
		ls[k] = b->p + off;
		ln[k] = (size_t)(nl - (b->p + off)) + 1;
		off += ln[k++];
	}
	CHECK(off == n);
	dp_buf t;
	dp_buf_init(&t, 1 << 16);
	for (size_t i = 1; i < k; i++) {
		for (int variant = 0; variant < 5; variant++) {
			dp_buf_reset(&t);
			int ok = 1;
			for (size_t j = 0; j < k; j++) {
				if (variant == 0 && j == i)
					continue; /* missing */
				if (variant == 2 && j == i && i + 1 < k) {
					ok = ok && !dp_buf_append(&t, ls[j + 1], ln[j + 1]);
					ok = ok && !dp_buf_append(&t, ls[j], ln[j]);
					j++;
					continue;
				}
				if (variant == 3 && j == i)
					ok = ok && !dp_buf_puts(&t, "X-Extra: 1\n");
				if (variant == 4 && j == i) {
					ok = ok && !dp_buf_append(&t, ls[j], ln[j] - 1) &&
					     !dp_buf_puts(&t, "\r\n");
					continue;
				}
				ok = ok && !dp_buf_append(&t, ls[j], ln[j]);
				if (variant == 1 && j == i)
					ok = ok && !dp_buf_append(&t, ls[j], ln[j]); /* repeated */
			}
			if (variant == 2 && i + 1 >= k)
				continue;
			int want = DP_EPARSE;
			if (variant == 0)
				for (const char *const *o = optional; *o; o++)
					if (!memcmp(ls[i], *o, strlen(*o)))
						want = DP_OK;
			int r = ok ? resign(t.p, t.len, answer, ctx, sk) : 999;
			CHECKF(r == want, "%s line %zu (%.*s) variant %d: %s", answer ? "answer" : "request",
			       i, (int)ln[i] - 1, (const char *)ls[i], variant, dp_errname(r));
		}
	}
	dp_buf_free(&t);
}

static void truncations(const dp_buf *b, int answer)
{
	int bad = 0;
	for (size_t n = 0; n < b->len; n++) {
		int r = answer ? dec_ans(b->p, n) : dec_req(b->p, n);
		if (r != DP_EPARSE) {
			bad++;
			fprintf(stderr, "truncated to %zu: %s\n", n, dp_errname(r));
		}
	}
	CHECK(bad == 0);
	uint8_t *x = malloc(b->len + 1);
	memcpy(x, b->p, b->len);
	x[b->len] = '\n';
	CHECK((answer ? dec_ans(x, b->len + 1) : dec_req(x, b->len + 1)) == DP_EPARSE);
	free(x);
}

static void test_request(void)
{
	dp_enrol_request q, d;
	dp_buf b, b2;
	base_request(&q);
	dp_buf_init(&b, DP_ENROL_MAX);
	CHECK(dp_enrol_request_encode(&q, dev_sk, &b) == DP_OK);
	CHECK(dp_enrol_request_decode(&d, b.p, b.len) == DP_OK);
	CHECK(!memcmp(&d, &q, sizeof q));
	dp_buf_init(&b2, DP_ENROL_MAX);
	CHECK(dp_enrol_request_encode(&d, dev_sk, &b2) == DP_OK && b2.len == b.len &&
	      !memcmp(b2.p, b.p, b.len));
	dp_buf_reset(&b2);
	b2.len = 0;
	CHECK(dp_enrol_request_encode(&q, sw_sk, &b2) == DP_EINVAL && b2.len == 0);
	dp_buf_free(&b2);

	static const char *const opt[] = {NULL};
	structure(&b, 0, opt);
	truncations(&b, 0);

	/* tampering without re-signing */
	uint8_t *x = malloc(b.len);
	memcpy(x, b.p, b.len);
	uint8_t *o = memmem(x, b.len, "sato.k", 6);
	o[5] = 'j';
	CHECK(dec_req(x, b.len) == DP_ESIG);
	o[5] = 'k';
	o = memmem(x, b.len, "Key-Epoch: 3", 12);
	o[11] = '4';
	CHECK(dec_req(x, b.len) == DP_ESIG);
	o[11] = '3';
	o = memmem(x, b.len, "Signature: ", 11);
	o[11] = o[11] == 'A' ? 'B' : 'A';
	CHECK(dec_req(x, b.len) == DP_ESIG);
	free(x);
	CHECK(resign(b.p, body_len(&b), 0, "denpo-enrol-request-v1", dev_sk) == DP_OK);
	CHECK(resign(b.p, body_len(&b), 0, "denpo-enrol-answer-v1", dev_sk) == DP_ESIG);
	CHECK(resign(b.p, body_len(&b), 0, "denpo-cable-v1", dev_sk) == DP_ESIG);
	CHECK(resign(b.p, body_len(&b), 0, "denpo-enrol-request-v1", sw_sk) == DP_ESIG);

	/* values */
	CHECK(mutate(&b, 0, "Officer: sato.k", "Officer: Sato.k") == DP_EPARSE);
	CHECK(mutate(&b, 0, "Officer: sato.k", "Officer: sato.k ") == DP_EPARSE);
	CHECK(mutate(&b, 0, "Post: TOKYO", "Post: tokyo") == DP_EPARSE);
	CHECK(mutate(&b, 0, "Device-Name: Sato", "Device-Name: -Sato") == DP_EPARSE);
	CHECK(mutate(&b, 0, "Device-Name: Sato", "Device-Name: TOKYO DESK Sato") == DP_OK);
	CHECK(mutate(&b, 0, "Device-Name: Sato", "Device-Name: TOKYO  Sato") == DP_EPARSE);
	CHECK(mutate(&b, 0, "Device-Name: Sato-Laptop_2", "Device-Name: Sato-Laptop_2 ") == DP_EPARSE);
	CHECK(mutate(&b, 0, "Device-Name: Sato", "Device-Name: S\xc3\xa4to") == DP_EPARSE);
	CHECK(mutate(&b, 0, "Key-Epoch: 3", "Key-Epoch: 03") == DP_EPARSE);
	CHECK(mutate(&b, 0, "Key-Epoch: 3", "Key-Epoch: 4294967296") == DP_EPARSE);
	CHECK(mutate(&b, 0, "Key-Epoch: 3", "Key-Epoch: 4294967295") == DP_OK);
	CHECK(mutate(&b, 0, "Created: 1771900000", "Created: 99") == DP_EPARSE);
	CHECK(mutate(&b, 0, "Created: 1771900000", "Created: -1771900000") == DP_EPARSE);
	CHECK(mutate(&b, 0, "Age-Recipient: age1", "Age-Recipient: AGE1") == DP_EPARSE);
	/* keys: the TLS key must be a usable point and not the signing key */
	char b64[64];
	uint8_t k[32];
	memset(k, 0, 32); /* y = 0: small order */
	dp_b64_encode(b64, k, 32, 1);
	char line[128];
	snprintf(line, sizeof line, "TLS-Key: %s", b64);
	dp_b64_encode(b64, tls_pk, 32, 1);
	char orig[128];
	snprintf(orig, sizeof orig, "TLS-Key: %s", b64);
	CHECK(mutate(&b, 0, orig, line) == DP_EPARSE);
	dp_b64_encode(b64, dev_pk, 32, 1);
	snprintf(line, sizeof line, "TLS-Key: %s", b64);
	CHECK(mutate(&b, 0, orig, line) == DP_EPARSE);
	/* non-canonical base64: flip the trailing bits of the last symbol before '=' */
	snprintf(line, sizeof line, "%s", orig);
	char *eq = strchr(line, '=');
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	int v = (int)(strchr(alpha, eq[-1]) - alpha);
	CHECK(v % 4 == 0); /* 32 bytes leave two zero bits in the last symbol */
	eq[-1] = alpha[v + 1];
	CHECK(mutate(&b, 0, orig, line) == DP_EPARSE);
	snprintf(line, sizeof line, "%.*s", (int)(strchr(orig, '=') - orig), orig); /* unpadded */
	CHECK(mutate(&b, 0, orig, line) == DP_EPARSE);

	/* Age-Recipient: a classic (X25519) or unknown type is unsupported, bad checksum is malformed */
	base_request(&q);
	CHECK(strlen(q.age_recipient) == DP_AGE_RECIPIENT_MAX && !strncmp(q.age_recipient, "age1pq1", 7));
	age_of(0x33, q.age_recipient, DP_AGE_X25519);
	CHECK(!strncmp(q.age_recipient, "age1", 4) && strlen(q.age_recipient) == 62);
	dp_buf_reset(&b);
	b.len = 0;
	CHECK(dp_enrol_request_encode(&q, dev_sk, &b) == DP_EUNSUPP);
	/* a signed request carrying the classic recipient is refused by the decoder too */
	{
		dp_enrol_request xq;
		base_request(&xq);
		dp_buf xb;
		dp_buf_init(&xb, DP_ENROL_MAX);
		CHECK(dp_enrol_request_encode(&xq, dev_sk, &xb) == DP_OK);
		CHECK(mutate(&xb, 0, xq.age_recipient, q.age_recipient) == DP_EUNSUPP);
		/* one character more than the longest recipient (the parser stops at the cap) */
		char *longer = malloc(DP_AGE_RECIPIENT_MAX + 2);
		snprintf(longer, DP_AGE_RECIPIENT_MAX + 2, "%sq", xq.age_recipient);
		CHECK(mutate(&xb, 0, xq.age_recipient, longer) == DP_ETOOBIG);
		/* a flipped key byte keeps the Bech32 valid only if re-encoded: checksum breaks here */
		snprintf(longer, DP_AGE_RECIPIENT_MAX + 2, "%s", xq.age_recipient);
		longer[500] = longer[500] == 'q' ? 'p' : 'q';
		CHECK(mutate(&xb, 0, xq.age_recipient, longer) == DP_EPARSE);
		free(longer);
		dp_buf_free(&xb);
	}
	base_request(&q);
	q.age_recipient[strlen(q.age_recipient) - 1] ^= 1;
	CHECK(dp_enrol_request_encode(&q, dev_sk, &b) == DP_EPARSE);
	base_request(&q);
	memcpy(q.tls_pk, q.sign_pk, 32);
	CHECK(dp_enrol_request_encode(&q, dev_sk, &b) == DP_EPARSE);
	base_request(&q);
	q.created = DP_CREATED_MAX + 1;
	CHECK(dp_enrol_request_encode(&q, dev_sk, &b) == DP_EPARSE);

	/* size cap */
	uint8_t *big = calloc(1, DP_ENROL_MAX + 1);
	CHECK(dec_req(big, DP_ENROL_MAX + 1) == DP_ETOOBIG);
	free(big);
	dp_buf_free(&b);
}

static void test_answer(void)
{
	dp_enrol_answer a, d;
	dp_buf b, b2;
	base_answer(&a);
	dp_buf_init(&b, DP_ENROL_MAX);
	CHECK(dp_enrol_answer_encode(&a, sw_sk, &b) == DP_OK);
	CHECK(dp_enrol_answer_decode(&d, b.p, b.len) == DP_OK);
	CHECK(!memcmp(&d, &a, sizeof a));
	dp_buf_init(&b2, DP_ENROL_MAX);
	CHECK(dp_enrol_answer_encode(&d, sw_sk, &b2) == DP_OK && b2.len == b.len &&
	      !memcmp(b2.p, b.p, b.len));
	dp_buf_free(&b2);
	dp_buf_init(&b2, DP_ENROL_MAX);
	CHECK(dp_enrol_answer_encode(&a, dev_sk, &b2) == DP_EINVAL && b2.len == 0);
	dp_buf_free(&b2);

	static const char *const opt[] = {"Captions: ", "Roles: ", NULL};
	structure(&b, 1, opt);
	truncations(&b, 1);

	uint8_t *x = malloc(b.len);
	memcpy(x, b.p, b.len);
	uint8_t *o = memmem(x, b.len, "Clearance: TOP SECRET", 21);
	memcpy(o + 11, "TOP SECRET", 10); /* unchanged: still valid */
	CHECK(dec_ans(x, b.len) == DP_OK);
	o = memmem(x, b.len, "8443", 4);
	o[3] = '4';
	CHECK(dec_ans(x, b.len) == DP_ESIG); /* switch URL redirected */
	free(x);
	CHECK(resign(b.p, body_len(&b), 1, "denpo-enrol-request-v1", sw_sk) == DP_ESIG);
	CHECK(resign(b.p, body_len(&b), 1, "denpo-enrol-answer-v1", dev_sk) == DP_ESIG);

	CHECK(mutate(&b, 1, "Clearance: TOP SECRET", "Clearance: TS") == DP_EPARSE);
	CHECK(mutate(&b, 1, "Clearance: TOP SECRET", "Clearance: COSMIC") == DP_EPARSE);
	CHECK(mutate(&b, 1, "Captions: NOFORN, EXDIS", "Captions: NOFORN,EXDIS") == DP_EPARSE);
	CHECK(mutate(&b, 1, "Captions: NOFORN, EXDIS", "Captions: NOFORN, NOFORN") == DP_EPARSE);
	CHECK(mutate(&b, 1, "Captions: NOFORN, EXDIS", "Captions: A, B, C, D, E, F, G, H, I") ==
	      DP_ETOOBIG);
	CHECK(mutate(&b, 1, "Roles: COMMS", "Roles: A, B, C, D, E, F, G, H") == DP_OK);
	char hexdev[65];
	dp_hex_encode(hexdev, dev_pk, 32);
	char up[80], low[80];
	snprintf(low, sizeof low, "Device-Id: %s", hexdev);
	for (char *p = hexdev; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 32);
	snprintf(up, sizeof up, "Device-Id: %s", hexdev);
	CHECK(strcmp(up, low) != 0);
	CHECK(mutate(&b, 1, low, up) == DP_EPARSE); /* one spelling: lower-case hex */
	dp_buf_free(&b);

	/* URLs */
	static const struct {
		const char *url;
		int ok;
	} urls[] = {
		{"https://127.0.0.1:8443", 1},     {"https://[::1]:8443", 1},
		{"https://switch.example", 1},     {"https://switch.example:1", 1},
		{"https://switch.example:65535", 1}, {"http://switch.example", 0},
		{"https://", 0},                    {"https://switch.example:", 0},
		{"https://switch.example:0", 0},    {"https://switch.example:65536", 0},
		{"https://switch.example:08443", 0}, {"https://switch.example/path", 0},
		{"https://user@switch.example", 0}, {"https://[]:8443", 0},
		{"https://[::1:8443", 0},           {"https://sw itch", 0},
	};
	for (size_t i = 0; i < sizeof urls / sizeof *urls; i++) {
		base_answer(&a);
		strcpy(a.switch_url, urls[i].url);
		dp_buf_init(&b, DP_ENROL_MAX);
		int r = dp_enrol_answer_encode(&a, sw_sk, &b);
		CHECKF(r == (urls[i].ok ? DP_OK : DP_EPARSE), "url %s: %s", urls[i].url, dp_errname(r));
		if (!r)
			CHECK(dec_ans(b.p, b.len) == DP_OK);
		dp_buf_free(&b);
	}
	/* no captions, no roles: the optional lines are absent */
	base_answer(&a);
	a.ncaptions = a.nroles = 0;
	a.clearance = DP_CLASS_UNCLASSIFIED;
	dp_buf_init(&b, DP_ENROL_MAX);
	CHECK(dp_enrol_answer_encode(&a, sw_sk, &b) == DP_OK);
	CHECK(memmem(b.p, b.len, "Captions", 8) == NULL && memmem(b.p, b.len, "Roles", 5) == NULL);
	CHECK(dp_enrol_answer_decode(&d, b.p, b.len) == DP_OK && d.ncaptions == 0 && d.nroles == 0);
	dp_buf_free(&b);
	base_answer(&a);
	memset(a.switch_tls_pk, 0, 32);
	dp_buf_init(&b, DP_ENROL_MAX);
	CHECK(dp_enrol_answer_encode(&a, sw_sk, &b) == DP_EPARSE);
	dp_buf_free(&b);
}

int main(void)
{
	if (dp_crypto_init())
		return 1;
	fx_seed_key(0x01, dev_pk, dev_sk);
	fx_seed_key(0x41, tls_pk, NULL);
	fx_seed_key(0x21, sw_pk, sw_sk);
	fx_seed_key(0x61, swtls_pk, NULL);
	test_request();
	test_answer();
	return t_done("test_enrol");
}
