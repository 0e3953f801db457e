/*
 * test_enrol - the signed key files: the enrolment request (with its first
 * epoch key), the answer and the epoch key record.  Round trip, strict
 * rejection (every line missing, repeated, swapped; CR; truncation;
 * tampering) with exact error codes.  Mutated files are re-signed so that
 * the parser, not the signature, is what rejects them.  Also dp_now()'s
 * test clock.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "denpo/cable.h"
#include "denpo/encoding.h"
#include "denpo/enrol.h"
#include "denpo/epoch.h"
#include "denpo/fingerprint.h"
#include "tests/fixture.h"
#include "tests/harness.h"

static uint8_t dev_pk[32], dev_sk[64], tls_pk[32], sw_pk[32], sw_sk[64], swtls_pk[32];
static uint8_t log_pk[32];
#define LOG_ORIGIN "switch.example/log"

/*
 * A signed-note verifier key "<name>+<hex8 id>+<b64(type || pk)>", made
 * here with libsodium (not lib/enrol.c): id = SHA-256(name || "\n" || type
 * || pk)[:4], big-endian.
 */
static void vkey(char *out, size_t cap, const char *name, uint8_t type, const uint8_t pk[32])
{
	size_t nl = strlen(name);
	uint8_t *msg = malloc(nl + 34), h[32], k[33];
	memcpy(msg, name, nl);
	msg[nl] = '\n';
	msg[nl + 1] = type;
	memcpy(msg + nl + 2, pk, 32);
	crypto_hash_sha256(h, msg, nl + 34);
	free(msg);
	k[0] = type;
	memcpy(k + 1, pk, 32);
	char b64[45];
	dp_b64_encode(b64, k, 33, 1);
	snprintf(out, cap, "%s+%02x%02x%02x%02x+%s", name, h[0], h[1], h[2], h[3], b64);
}

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
	q->key_not_before = 1771900000;
	q->key_not_after = 1771990000; /* a day and an hour */
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
	strcpy(a->switches.url[0], "https://127.0.0.1:8443");
	a->switches.n = 1;
	memcpy(a->switch_tls_pk, swtls_pk, 32);
	memcpy(a->switch_sign_pk, sw_pk, 32);
	vkey(a->log_key, sizeof a->log_key, LOG_ORIGIN, 0x01, log_pk);
	a->issued = 1771910000;
}

/* The three signed files: how each is decoded, its signature context and key. */
enum { REQ, ANS, EPK };
static const char *const kind_name[3] = {"request", "answer", "epoch key"};
static const char *const kind_ctx[3] = {"denpo-enrol-request-v1", "denpo-enrol-answer-v1",
					"denpo-epoch-key-v1"};

static void base_key(dp_epoch_key *k)
{
	memset(k, 0, sizeof *k);
	memcpy(k->device, dev_pk, 32);
	k->epoch = 7;
	k->not_before = 1771891200;
	k->not_after = 1771981200;
	age_of(0x55, k->age_recipient, DP_AGE_MLKEM768X25519);
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

static int dec_epk(const uint8_t *p, size_t n)
{
	dp_epoch_key k;
	return dp_epoch_key_decode(&k, p, n);
}

static int dec_kind(int kind, const uint8_t *p, size_t n)
{
	return kind == REQ ? dec_req(p, n) : kind == ANS ? dec_ans(p, n) : dec_epk(p, n);
}

static const uint8_t *kind_sk(int kind) { return kind == ANS ? sw_sk : dev_sk; }

/* body (all lines before Signature) + a fresh Signature line, then decode as kind. */
static int resign(const uint8_t *body, size_t n, int kind, const char *ctx, const uint8_t *sk)
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
	int r = dec_kind(kind, t.p, t.len);
	dp_buf_free(&t);
	return r;
}

static size_t body_len(const dp_buf *b) { return b->len - (11 + 88 + 1); }

/* Replace old by new in the body, re-sign (the file's own context and key), decode. */
static int mutate(const dp_buf *b, int kind, const char *old, const char *new)
{
	dp_buf t;
	if (fx_replace(&t, 1 << 16, b->p, body_len(b), old, new))
		return 999;
	int r = resign(t.p, t.len, kind, kind_ctx[kind], kind_sk(kind));
	dp_buf_free(&t);
	return r;
}

/* The epoch key record a request's fields make (what Key-Signature signs). */
static void req_key(const dp_enrol_request *q, dp_epoch_key *k)
{
	memset(k, 0, sizeof *k);
	memcpy(k->device, q->sign_pk, 32);
	k->epoch = q->epoch;
	k->not_before = q->key_not_before;
	k->not_after = q->key_not_after;
	memcpy(k->age_recipient, q->age_recipient, sizeof k->age_recipient);
}

/*
 * As mutate() on a request, but the Key-Signature line is also replaced by
 * the device's signature of the mutated record (when its fields parse), as
 * the device itself would write it.
 */
static int mutate_key(const dp_buf *b, const char *old, const char *new)
{
	dp_buf t;
	if (fx_replace(&t, 1 << 16, b->p, body_len(b), old, new))
		return 999;
	/* read the record's fields back from the mutated text */
	dp_epoch_key k;
	memset(&k, 0, sizeof k);
	memcpy(k.device, dev_pk, 32);
	const char *txt = (const char *)t.p;
	const char *ar = strstr(txt, "\nAge-Recipient: "), *ke = strstr(txt, "\nKey-Epoch: "),
		   *nb = strstr(txt, "\nKey-Not-Before: "), *na = strstr(txt, "\nKey-Not-After: "),
		   *ks = strstr(txt, "\nKey-Signature: ");
	if (!ar || !ke || !nb || !na || !ks) {
		dp_buf_free(&t);
		return 998;
	}
	ar += 16;
	size_t an = strcspn(ar, "\n");
	if (an > DP_AGE_RECIPIENT_MAX)
		an = DP_AGE_RECIPIENT_MAX;
	memcpy(k.age_recipient, ar, an);
	k.epoch = (uint32_t)strtoul(ke + 12, NULL, 10);
	k.not_before = strtoll(nb + 17, NULL, 10);
	k.not_after = strtoll(na + 16, NULL, 10);
	uint8_t sig[64];
	char line[128];
	int r = dp_epoch_key_sign(&k, dev_sk, sig);
	if (r) {
		dp_buf_free(&t);
		return r; /* the device could not sign it: the record's rules refuse it */
	}
	char b64[89];
	dp_b64_encode(b64, sig, 64, 1);
	snprintf(line, sizeof line, "\nKey-Signature: %s\n", b64);
	memcpy((char *)t.p + (ks - txt), line, strlen(line)); /* same length */
	r = resign(t.p, t.len, REQ, kind_ctx[REQ], dev_sk);
	dp_buf_free(&t);
	return r;
}

/* Every line (after the magic) removed, doubled, swapped with the next, preceded by CR-LF junk. */
static void structure(const dp_buf *b, int kind, const char *const *optional)
{
	const char *ctx = kind_ctx[kind];
	const uint8_t *sk = kind_sk(kind);
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
			if (kind == EPK && t.len + 100 > DP_EPOCH_KEY_MAX)
				want = DP_ETOOBIG; /* a second recipient line does not fit a record */
			if (variant == 0)
				for (const char *const *o = optional; *o; o++)
					if (!memcmp(ls[i], *o, strlen(*o)))
						want = DP_OK;
			int r = ok ? resign(t.p, t.len, kind, ctx, sk) : 999;
			CHECKF(r == want, "%s line %zu (%.*s) variant %d: %s", kind_name[kind], i,
			       (int)(ln[i] - 1 > 60 ? 60 : ln[i] - 1), (const char *)ls[i], variant,
			       dp_errname(r));
		}
	}
	dp_buf_free(&t);
}

static void truncations(const dp_buf *b, int kind)
{
	int bad = 0;
	for (size_t n = 0; n < b->len; n++) {
		int r = dec_kind(kind, b->p, n);
		if (r != DP_EPARSE) {
			bad++;
			fprintf(stderr, "truncated to %zu: %s\n", n, dp_errname(r));
		}
	}
	CHECK(bad == 0);
	uint8_t *x = malloc(b->len + 1);
	memcpy(x, b->p, b->len);
	x[b->len] = '\n';
	CHECK(dec_kind(kind, x, b->len + 1) == DP_EPARSE);
	free(x);
}

static void test_request(void)
{
	dp_enrol_request q, d;
	dp_buf b, b2;
	base_request(&q);
	dp_buf_init(&b, DP_ENROL_MAX);
	memset(q.key_sig, 0x5a, sizeof q.key_sig); /* the encoder ignores it */
	CHECK(dp_enrol_request_encode(&q, dev_sk, &b) == DP_OK);
	CHECK(dp_enrol_request_decode(&d, b.p, b.len) == DP_OK);
	/* Key-Signature: the device's signature of the epoch key record the request's fields make */
	dp_epoch_key ek;
	req_key(&q, &ek);
	CHECK(dp_epoch_key_sign(&ek, dev_sk, q.key_sig) == DP_OK);
	CHECK(!memcmp(&d, &q, sizeof q));
	dp_buf_init(&b2, DP_ENROL_MAX);
	CHECK(dp_enrol_request_encode(&d, dev_sk, &b2) == DP_OK && b2.len == b.len &&
	      !memcmp(b2.p, b.p, b.len));
	dp_buf_reset(&b2);
	b2.len = 0;
	CHECK(dp_enrol_request_encode(&q, sw_sk, &b2) == DP_EINVAL && b2.len == 0);
	dp_buf_free(&b2);

	static const char *const opt[] = {NULL};
	structure(&b, REQ, opt);
	truncations(&b, REQ);

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
	o = memmem(x, b.len, "Key-Not-After: 1771990000", 25);
	o[24] = '1';
	CHECK(dec_req(x, b.len) == DP_ESIG);
	o[24] = '0';
	o = memmem(x, b.len, "\nSignature: ", 12);
	o[12] = o[12] == 'A' ? 'B' : 'A';
	CHECK(dec_req(x, b.len) == DP_ESIG);
	o[12] = o[12] == 'A' ? 'B' : 'A';
	o = memmem(x, b.len, "Key-Signature: ", 15);
	o[15] = o[15] == 'A' ? 'B' : 'A';
	CHECK(dec_req(x, b.len) == DP_ESIG);
	free(x);
	CHECK(resign(b.p, body_len(&b), REQ, "denpo-enrol-request-v1", dev_sk) == DP_OK);
	CHECK(resign(b.p, body_len(&b), REQ, "denpo-enrol-answer-v1", dev_sk) == DP_ESIG);
	CHECK(resign(b.p, body_len(&b), REQ, "denpo-cable-v1", dev_sk) == DP_ESIG);
	CHECK(resign(b.p, body_len(&b), REQ, "denpo-enrol-request-v1", sw_sk) == DP_ESIG);

	/* values */
	CHECK(mutate(&b, REQ, "Officer: sato.k", "Officer: Sato.k") == DP_EPARSE);
	CHECK(mutate(&b, REQ, "Officer: sato.k", "Officer: sato.k ") == DP_EPARSE);
	CHECK(mutate(&b, REQ, "Post: TOKYO", "Post: tokyo") == DP_EPARSE);
	CHECK(mutate(&b, REQ, "Device-Name: Sato", "Device-Name: -Sato") == DP_EPARSE);
	CHECK(mutate(&b, REQ, "Device-Name: Sato", "Device-Name: TOKYO DESK Sato") == DP_OK);
	CHECK(mutate(&b, REQ, "Device-Name: Sato", "Device-Name: TOKYO  Sato") == DP_EPARSE);
	CHECK(mutate(&b, REQ, "Device-Name: Sato-Laptop_2", "Device-Name: Sato-Laptop_2 ") == DP_EPARSE);
	CHECK(mutate(&b, REQ, "Device-Name: Sato", "Device-Name: S\xc3\xa4to") == DP_EPARSE);
	CHECK(mutate(&b, REQ, "Key-Epoch: 3", "Key-Epoch: 03") == DP_EPARSE);
	CHECK(mutate(&b, REQ, "Key-Epoch: 3", "Key-Epoch: 4294967296") == DP_EPARSE);
	/* a valid epoch, but the Key-Signature (re-signed only outside) covers the old one */
	CHECK(mutate(&b, REQ, "Key-Epoch: 3", "Key-Epoch: 4294967295") == DP_ESIG);
	CHECK(mutate_key(&b, "Key-Epoch: 3", "Key-Epoch: 4294967295") == DP_OK);
	/* the first epoch key's window: its rules, and the Key-Signature covers it */
	CHECK(mutate(&b, REQ, "Key-Not-Before: 1771900000", "Key-Not-Before: 01771900000") == DP_EPARSE);
	CHECK(mutate(&b, REQ, "Key-Not-After: 1771990000", "Key-Not-After: 01771990000") == DP_EPARSE);
	CHECK(mutate(&b, REQ, "Key-Not-Before: 1771900000", "Key-Not-Before: -1") == DP_EPARSE);
	CHECK(mutate(&b, REQ, "Key-Not-Before: 1771900000", "Key-Not-Before: 99") == DP_EPARSE);
	CHECK(mutate(&b, REQ, "Key-Not-After: 1771990000", "Key-Not-After: 4102444800") == DP_EPARSE);
	CHECK(mutate(&b, REQ, "Key-Not-After: 1771990000", "Key-Not-After: 1771900000") == DP_EPARSE);
	CHECK(mutate(&b, REQ, "Key-Not-After: 1771990000", "Key-Not-After: 1771899999") == DP_EPARSE);
	CHECK(mutate(&b, REQ, "Key-Not-After: 1771990000", "Key-Not-After: 1772591201") == DP_EPARSE);
	CHECK(mutate_key(&b, "Key-Not-After: 1771990000", "Key-Not-After: 1772591201") == DP_EPARSE);
	CHECK(mutate(&b, REQ, "Key-Not-After: 1771990000", "Key-Not-After: 1772591200") == DP_ESIG);
	CHECK(mutate_key(&b, "Key-Not-After: 1771990000", "Key-Not-After: 1772591200") == DP_OK);
	CHECK(mutate(&b, REQ, "Key-Not-After: 1771990000", "Key-Not-After: 1771990001") == DP_ESIG);
	CHECK(mutate_key(&b, "Key-Not-After: 1771990000", "Key-Not-After: 1771990001") == DP_OK);
	CHECK(mutate(&b, REQ, "Key-Not-Before: 1771900000", "Key-Not-Before: 1771899999") == DP_ESIG);
	CHECK(mutate_key(&b, "Key-Not-Before: 1771900000", "Key-Not-Before: 1771899999") == DP_OK);
	/* another recipient with the old Key-Signature: refused; with its own: accepted */
	{
		char other[DP_AGE_RECIPIENT_MAX + 1], line[DP_AGE_RECIPIENT_MAX + 32];
		char orig_line[DP_AGE_RECIPIENT_MAX + 32];
		age_of(0x77, other, DP_AGE_MLKEM768X25519);
		snprintf(line, sizeof line, "Age-Recipient: %s", other);
		snprintf(orig_line, sizeof orig_line, "Age-Recipient: %s", q.age_recipient);
		CHECK(mutate(&b, REQ, orig_line, line) == DP_ESIG);
		CHECK(mutate_key(&b, orig_line, line) == DP_OK);
	}
	/* a Key-Signature that is not the device's over this record */
	{
		char b64[89], line[128], orig_line[128];
		uint8_t sig[64];
		dp_b64_encode(b64, q.key_sig, 64, 1);
		snprintf(orig_line, sizeof orig_line, "Key-Signature: %s", b64);
		dp_epoch_key kk;
		req_key(&q, &kk);
		kk.epoch = 4; /* the device's signature of another record */
		CHECK(dp_epoch_key_sign(&kk, dev_sk, sig) == DP_OK);
		dp_b64_encode(b64, sig, 64, 1);
		snprintf(line, sizeof line, "Key-Signature: %s", b64);
		CHECK(mutate(&b, REQ, orig_line, line) == DP_ESIG);
		/* this record, signed under the request's context instead of the record's */
		dp_buf rb;
		dp_buf_init(&rb, DP_EPOCH_KEY_MAX);
		req_key(&q, &kk);
		CHECK(dp_epoch_key_encode(&kk, dev_sk, &rb) == DP_OK);
		CHECK(dp_sign(sig, dev_sk, "denpo-enrol-request-v1", rb.p, body_len(&rb)) == DP_OK);
		dp_b64_encode(b64, sig, 64, 1);
		snprintf(line, sizeof line, "Key-Signature: %s", b64);
		CHECK(mutate(&b, REQ, orig_line, line) == DP_ESIG);
		/* ... and under the record's context by the switch's key */
		CHECK(dp_sign(sig, sw_sk, "denpo-epoch-key-v1", rb.p, body_len(&rb)) == DP_OK);
		dp_b64_encode(b64, sig, 64, 1);
		snprintf(line, sizeof line, "Key-Signature: %s", b64);
		CHECK(mutate(&b, REQ, orig_line, line) == DP_ESIG);
		/* the device's, under the record's context: the original */
		CHECK(dp_sign(sig, dev_sk, "denpo-epoch-key-v1", rb.p, body_len(&rb)) == DP_OK);
		CHECK(!memcmp(sig, q.key_sig, 64));
		int upto = (int)(strchr(orig_line, '=') - orig_line);
		snprintf(line, sizeof line, "%.*s", upto, orig_line);
		CHECK(mutate(&b, REQ, orig_line, line) == DP_EPARSE); /* unpadded */
		dp_buf_free(&rb);
	}
	/* the record a request carries is what the switch publishes: Key-Signature is its Signature */
	{
		dp_epoch_key kk, kd;
		req_key(&d, &kk);
		dp_buf rb, rb2;
		dp_buf_init(&rb, DP_EPOCH_KEY_MAX);
		dp_buf_init(&rb2, DP_EPOCH_KEY_MAX);
		CHECK(dp_epoch_key_encode_sig(&kk, d.key_sig, &rb) == DP_OK);
		CHECK(dp_epoch_key_decode(&kd, rb.p, rb.len) == DP_OK && !memcmp(&kd, &kk, sizeof kk));
		CHECK(dp_epoch_key_encode(&kk, dev_sk, &rb2) == DP_OK && rb2.len == rb.len &&
		      !memcmp(rb2.p, rb.p, rb.len));
		dp_buf_free(&rb);
		dp_buf_free(&rb2);
	}
	CHECK(mutate(&b, REQ, "Created: 1771900000", "Created: 99") == DP_EPARSE);
	CHECK(mutate(&b, REQ, "Created: 1771900000", "Created: -1771900000") == DP_EPARSE);
	CHECK(mutate(&b, REQ, "Age-Recipient: age1", "Age-Recipient: AGE1") == DP_EPARSE);
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
	CHECK(mutate(&b, REQ, orig, line) == DP_EPARSE);
	dp_b64_encode(b64, dev_pk, 32, 1);
	snprintf(line, sizeof line, "TLS-Key: %s", b64);
	CHECK(mutate(&b, REQ, orig, line) == DP_EPARSE);
	/* non-canonical base64: flip the trailing bits of the last symbol before '=' */
	snprintf(line, sizeof line, "%s", orig);
	char *eq = strchr(line, '=');
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	int v = (int)(strchr(alpha, eq[-1]) - alpha);
	CHECK(v % 4 == 0); /* 32 bytes leave two zero bits in the last symbol */
	eq[-1] = alpha[v + 1];
	CHECK(mutate(&b, REQ, orig, line) == DP_EPARSE);
	snprintf(line, sizeof line, "%.*s", (int)(strchr(orig, '=') - orig), orig); /* unpadded */
	CHECK(mutate(&b, REQ, orig, line) == DP_EPARSE);

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
		CHECK(mutate(&xb, REQ, xq.age_recipient, q.age_recipient) == DP_EUNSUPP);
		/* one character more than the longest recipient (the parser stops at the cap) */
		char *longer = malloc(DP_AGE_RECIPIENT_MAX + 2);
		snprintf(longer, DP_AGE_RECIPIENT_MAX + 2, "%sq", xq.age_recipient);
		CHECK(mutate(&xb, REQ, xq.age_recipient, longer) == DP_ETOOBIG);
		/* a flipped key byte keeps the Bech32 valid only if re-encoded: checksum breaks here */
		snprintf(longer, DP_AGE_RECIPIENT_MAX + 2, "%s", xq.age_recipient);
		longer[500] = longer[500] == 'q' ? 'p' : 'q';
		CHECK(mutate(&xb, REQ, xq.age_recipient, longer) == DP_EPARSE);
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
	base_request(&q);
	q.key_not_after = q.key_not_before;
	CHECK(dp_enrol_request_encode(&q, dev_sk, &b) == DP_EPARSE);
	q.key_not_after = q.key_not_before + DP_EPOCH_MAX_LIFE + 1;
	CHECK(dp_enrol_request_encode(&q, dev_sk, &b) == DP_EPARSE);
	q.key_not_after = q.key_not_before + DP_EPOCH_MAX_LIFE;
	dp_buf_reset(&b);
	CHECK(dp_enrol_request_encode(&q, dev_sk, &b) == DP_OK && dec_req(b.p, b.len) == DP_OK);
	q.key_not_before = 0;
	CHECK(dp_enrol_request_encode(&q, dev_sk, &b) == DP_EPARSE);
	base_request(&q);
	q.epoch = UINT32_MAX;
	dp_buf_reset(&b);
	CHECK(dp_enrol_request_encode(&q, dev_sk, &b) == DP_OK && dec_req(b.p, b.len) == DP_OK);
	/* the decoder zeroes the request on failure */
	{
		dp_enrol_request z, zero;
		memset(&zero, 0, sizeof zero);
		memset(&z, 0xa5, sizeof z);
		b.p[b.len - 3] ^= 1;
		CHECK(dp_enrol_request_decode(&z, b.p, b.len) != DP_OK && !memcmp(&z, &zero, sizeof z));
	}

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
	structure(&b, ANS, opt);
	truncations(&b, ANS);

	uint8_t *x = malloc(b.len);
	memcpy(x, b.p, b.len);
	uint8_t *o = memmem(x, b.len, "Clearance: TOP SECRET", 21);
	memcpy(o + 11, "TOP SECRET", 10); /* unchanged: still valid */
	CHECK(dec_ans(x, b.len) == DP_OK);
	o = memmem(x, b.len, "8443", 4);
	o[3] = '4';
	CHECK(dec_ans(x, b.len) == DP_ESIG); /* switch URL redirected */
	free(x);
	CHECK(resign(b.p, body_len(&b), ANS, "denpo-enrol-request-v1", sw_sk) == DP_ESIG);
	CHECK(resign(b.p, body_len(&b), ANS, "denpo-enrol-answer-v1", dev_sk) == DP_ESIG);

	CHECK(mutate(&b, ANS, "Clearance: TOP SECRET", "Clearance: TS") == DP_EPARSE);
	CHECK(mutate(&b, ANS, "Clearance: TOP SECRET", "Clearance: COSMIC") == DP_EPARSE);
	CHECK(mutate(&b, ANS, "Captions: NOFORN, EXDIS", "Captions: NOFORN,EXDIS") == DP_EPARSE);
	CHECK(mutate(&b, ANS, "Captions: NOFORN, EXDIS", "Captions: NOFORN, NOFORN") == DP_EPARSE);
	CHECK(mutate(&b, ANS, "Captions: NOFORN, EXDIS", "Captions: A, B, C, D, E, F, G, H, I") ==
	      DP_ETOOBIG);
	CHECK(mutate(&b, ANS, "Roles: COMMS", "Roles: A, B, C, D, E, F, G, H") == DP_OK);
	char hexdev[65];
	dp_hex_encode(hexdev, dev_pk, 32);
	char up[80], low[80];
	snprintf(low, sizeof low, "Device-Id: %s", hexdev);
	for (char *p = hexdev; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 32);
	snprintf(up, sizeof up, "Device-Id: %s", hexdev);
	CHECK(strcmp(up, low) != 0);
	CHECK(mutate(&b, ANS, low, up) == DP_EPARSE); /* one spelling: lower-case hex */
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
		strcpy(a.switches.url[0], urls[i].url);
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

/* Log-Key: the log's verifier key, in the one shape an answer carries. */
/* Switch-URL: one line per address of the switch, 1..8, distinct; a signed list decodes in order. */
static void test_answer_switches(void)
{
	dp_enrol_answer a, d;
	dp_buf b;
	base_answer(&a);
	strcpy(a.switches.url[1], "https://b.example:8443");
	strcpy(a.switches.url[2], "https://[::1]:9443");
	a.switches.n = 3;
	dp_buf_init(&b, DP_ENROL_MAX);
	CHECK(dp_enrol_answer_encode(&a, sw_sk, &b) == DP_OK);
	CHECK(strstr((char *)b.p, "Switch-URL: https://127.0.0.1:8443\nSwitch-URL: https://b.example:8443\n"
				   "Switch-URL: https://[::1]:9443\nSwitch-TLS-Key: ") != NULL);
	CHECK(dp_enrol_answer_decode(&d, b.p, b.len) == DP_OK);
	CHECK(d.switches.n == 3 && !strcmp(d.switches.url[0], "https://127.0.0.1:8443") &&
	      !strcmp(d.switches.url[1], "https://b.example:8443") &&
	      !strcmp(d.switches.url[2], "https://[::1]:9443"));
	/* re-signed by the switch's key, so only the parser can refuse these */
	static const struct {
		const char *old, *new, *why;
	} bad[] = {
		{"Switch-URL: https://b.example:8443\n", "Switch-URL: https://127.0.0.1:8443\n", "a repeat"},
		{"Switch-URL: https://b.example:8443\n", "Switch-URL: https://B.EXAMPLE:8443\n"
							 "Switch-URL: https://b.example:8443\n", "a repeat in other case"},
		{"Switch-URL: https://b.example:8443\n", "Switch-URL: https://b.example:8443\n"
							 "Switch-URL: https://b.example:443\n"
							 "Switch-URL: https://b.example\n", "443 given and implied"},
		{"Switch-URL: https://b.example:8443\n", "Switch-URL: http://b.example:8443\n", "not https"},
		{"Switch-URL: https://b.example:8443\n", "Switch-URL: https://b.example:8443/x\n", "a path"},
		{"Switch-URL: https://b.example:8443\n", "Switch-URL: \n", "empty"},
		{"Switch-URL: https://b.example:8443\n", "Switch-URL: https://b.example:8443, https://c:1\n",
		 "a list on one line"},
		{"Switch-URL: https://127.0.0.1:8443\nSwitch-URL: https://b.example:8443\n"
		 "Switch-URL: https://[::1]:9443\n", "", "no address"},
		{"Switch-URL: https://[::1]:9443\n", "Switch-URL: https://[::1]:9443\nSwitch-URL: https://c:1\n"
						     "Switch-URL: https://c:2\nSwitch-URL: https://c:3\n"
						     "Switch-URL: https://c:4\nSwitch-URL: https://c:5\n"
						     "Switch-URL: https://c:6\n", "nine addresses"},
		{"Switch-TLS-Key: ", "Switch-URL: https://c:1\nLog-Key: x\nSwitch-TLS-Key: ", "out of order"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int r = mutate(&b, ANS, bad[i].old, bad[i].new);
		CHECKF(r == DP_EPARSE, "%s: %s", bad[i].why, dp_errname(r));
	}
	/* eight is the most */
	int r = mutate(&b, ANS, "Switch-URL: https://[::1]:9443\n",
		       "Switch-URL: https://[::1]:9443\nSwitch-URL: https://c:1\nSwitch-URL: https://c:2\n"
		       "Switch-URL: https://c:3\nSwitch-URL: https://c:4\nSwitch-URL: https://c:5\n");
	CHECKF(r == DP_OK, "eight addresses: %s", dp_errname(r));
	dp_buf_free(&b);
	/* the encoder refuses what the parser would */
	base_answer(&a);
	a.switches.n = 0;
	dp_buf_init(&b, DP_ENROL_MAX);
	CHECK(dp_enrol_answer_encode(&a, sw_sk, &b) == DP_EPARSE && b.len == 0);
	base_answer(&a);
	strcpy(a.switches.url[1], "https://127.0.0.1:8443");
	a.switches.n = 2;
	CHECK(dp_enrol_answer_encode(&a, sw_sk, &b) == DP_EPARSE && b.len == 0);
	a.switches.n = DP_SWITCH_URLS_MAX + 1;
	CHECK(dp_enrol_answer_encode(&a, sw_sk, &b) == DP_EPARSE && b.len == 0);
	dp_buf_free(&b);
}

/* denpo/switches.h: an address list as the operator writes it (denpod.conf `url`, `init --url`). */
static void test_switch_list(void)
{
	dp_switch_list l;
	char err[256], txt[DP_SWITCH_LIST_TEXT_MAX + 1];
	const char *s = "https://a.example:8443,https://b.example:8443 ,\t https://[::1]:9";
	CHECK(dp_switch_list_parse(&l, s, strlen(s), err, sizeof err) == DP_OK && l.n == 3);
	CHECK(!strcmp(l.url[0], "https://a.example:8443") && !strcmp(l.url[2], "https://[::1]:9"));
	CHECK(dp_switch_list_format(&l, txt, sizeof txt) == DP_OK &&
	      !strcmp(txt, "https://a.example:8443, https://b.example:8443, https://[::1]:9"));
	CHECK(dp_switch_list_find(&l, "https://B.Example:8443") == 1);
	CHECK(dp_switch_list_find(&l, "https://b.example:443") == -1);
	CHECK(dp_switch_list_format(&l, txt, 10) == DP_ETOOBIG);
	static const struct {
		const char *list;
		int r;
		const char *says;
	} bad[] = {
		{"", DP_EPARSE, "address 1 is empty"},
		{"https://a:1,", DP_EPARSE, "address 2 is empty"},
		{"https://a:1,,https://b:1", DP_EPARSE, "address 2 is empty"},
		{"https://a:1, http://b:1", DP_EPARSE, "address 2 (http://b:1) is not https://HOST:PORT"},
		{"https://a:1 https://b:1", DP_EPARSE, "address 1 (https://a:1 https://b:1) is not"},
		{"https://a:1, https://A:1", DP_EEXISTS, "address 2 (https://A:1) is listed twice"},
		{"https://a, https://a:443", DP_EEXISTS, "address 2 (https://a:443) is listed twice"},
		{"https://a:1,https://a:2,https://a:3,https://a:4,https://a:5,https://a:6,https://a:7,"
		 "https://a:8,https://a:9", DP_ETOOBIG, "more than 8 addresses"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int r = dp_switch_list_parse(&l, bad[i].list, strlen(bad[i].list), err, sizeof err);
		CHECKF(r == bad[i].r && l.n == 0 && strstr(err, bad[i].says), "'%s': %s (%s)", bad[i].list,
		       dp_errname(r), err);
	}
	/* a value as long as the longest list parses; one byte of a 257-byte address does not */
	char big[DP_URL_MAX + 16];
	memset(big, 'a', sizeof big);
	memcpy(big, "https://", 8);
	big[DP_URL_MAX + 1] = 0;
	CHECK(dp_switch_list_parse(&l, big, strlen(big), err, sizeof err) == DP_EPARSE &&
	      strstr(err, "longer than 256"));
	big[DP_URL_MAX] = 0;
	CHECK(dp_switch_list_parse(&l, big, strlen(big), err, sizeof err) == DP_OK && l.n == 1);
}

static void test_log_key(void)
{
	dp_enrol_answer a, d;
	dp_buf b, t;
	base_answer(&a);
	dp_buf_init(&b, DP_ENROL_MAX);
	CHECK(dp_enrol_answer_encode(&a, sw_sk, &b) == DP_OK);
	char good[DP_NOTE_VKEY_MAX + 1], line[2048], orig[DP_NOTE_VKEY_MAX + 16];
	strcpy(good, a.log_key);
	snprintf(orig, sizeof orig, "Log-Key: %s", good);
	/* the line comes right after Switch-Sign-Key */
	{
		char b64[45], want[1024];
		dp_b64_encode(b64, sw_pk, 32, 1);
		snprintf(want, sizeof want, "Switch-Sign-Key: %.44s\n%.600s\nIssued: ", b64, orig);
		CHECK(memmem(b.p, b.len, want, strlen(want)) != NULL);
	}
	CHECK(dp_enrol_answer_decode(&d, b.p, b.len) == DP_OK && !strcmp(d.log_key, good));
	/* signed: another valid key in its place does not verify */
	{
		uint8_t other[32];
		char ok2[DP_NOTE_VKEY_MAX + 1];
		fx_seed_key(0x02, other, NULL);
		vkey(ok2, sizeof ok2, LOG_ORIGIN, 0x01, other);
		snprintf(line, sizeof line, "Log-Key: %s", ok2);
		CHECK(fx_replace(&t, 1 << 16, b.p, b.len, orig, line) == 0);
		CHECK(dec_ans(t.p, t.len) == DP_ESIG);
		dp_buf_free(&t);
		CHECK(mutate(&b, ANS, orig, line) == DP_OK); /* re-signed: fine */
	}

	/* keys made by Go's golang.org/x/mod/sumdb/note (its documentation; the Go checksum database) */
	static const char *const go_keys[] = {
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
	};
	for (size_t i = 0; i < 2; i++) {
		base_answer(&a);
		strcpy(a.log_key, go_keys[i]);
		dp_buf_reset(&b);
		b.len = 0;
		int r = dp_enrol_answer_encode(&a, sw_sk, &b);
		CHECKF(r == DP_OK, "%s: %s", go_keys[i], dp_errname(r));
		CHECK(r || (dp_enrol_answer_decode(&d, b.p, b.len) == DP_OK && !strcmp(d.log_key, go_keys[i])));
	}
	base_answer(&a);
	dp_buf_reset(&b);
	b.len = 0;
	CHECK(dp_enrol_answer_encode(&a, sw_sk, &b) == DP_OK);

	/* malformed: refused by the encoder (DP_EINVAL) and, signed anyway, by the decoder (DP_EPARSE) */
	enum { NBAD = 24 };
	static char bad[NBAD][1100];
	size_t nbad = 0;
	uint8_t zero[32] = {0};
	char name[300], *p;
	bad[nbad++][0] = 0;                                              /* empty */
	snprintf(bad[nbad++], 1100, "%s", good + strlen(LOG_ORIGIN));    /* no name */
	snprintf(bad[nbad++], 1100, "%s", LOG_ORIGIN);                   /* a name only */
	vkey(bad[nbad++], 1100, "switch example/log", 0x01, log_pk);     /* a space */
	vkey(bad[nbad++], 1100, "switch\texample", 0x01, log_pk);        /* a control */
	vkey(bad[nbad++], 1100, "switch.example/l\xc3\xb6g", 0x01, log_pk); /* not ASCII */
	memset(name, 'n', 256);
	name[256] = 0;
	vkey(bad[nbad++], 1100, name, 0x01, log_pk);                     /* a name of 256 */
	snprintf(bad[nbad++], 1100, "%s", good);
	p = bad[nbad - 1] + strlen(LOG_ORIGIN) + 1;
	p[3] = p[3] == '0' ? '1' : '0';                                  /* another key id */
	snprintf(bad[nbad++], 1100, "%s", good);                         /* upper-case key id */
	p = bad[nbad - 1] + strlen(LOG_ORIGIN) + 1;
	int letters = 0;
	for (int i = 0; i < 8; i++)
		if (p[i] >= 'a' && p[i] <= 'f')
			p[i] = (char)(p[i] - 32), letters++;
	CHECKF(letters > 0, "the fixture's key id has no letter: pick another seed");
	snprintf(bad[nbad++], 1100, "%.*s%s", (int)strlen(LOG_ORIGIN) + 8,
		 good, good + strlen(LOG_ORIGIN) + 9);                   /* seven digits */
	snprintf(bad[nbad++], 1100, "%.*s0%s", (int)strlen(LOG_ORIGIN) + 9,
		 good, good + strlen(LOG_ORIGIN) + 9);                   /* nine digits */
	vkey(bad[nbad++], 1100, LOG_ORIGIN, 0x04, log_pk);               /* a cosigner key */
	vkey(bad[nbad++], 1100, LOG_ORIGIN, 0x02, log_pk);               /* an unknown type */
	vkey(bad[nbad++], 1100, LOG_ORIGIN, 0x01, zero);                 /* small order */
	vkey(bad[nbad++], 1100, LOG_ORIGIN, 0x01, sw_pk);                /* the answer's key */
	vkey(bad[nbad++], 1100, LOG_ORIGIN, 0x01, swtls_pk);             /* the TLS key */
	snprintf(bad[nbad++], 1100, "%s ", good);                        /* trailing space */
	snprintf(bad[nbad++], 1100, "%s=", good);                        /* more base64 */
	snprintf(bad[nbad++], 1100, "%sAAAA", good);                     /* 36 bytes */
	snprintf(bad[nbad++], 1100, "%.*s", (int)strlen(good) - 4, good); /* 30 bytes */
	{
		/* 32 bytes: the key without its type byte, id over the same */
		char b64[45];
		dp_b64_encode(b64, log_pk, 32, 1);
		snprintf(bad[nbad++], 1100, "%.*s%s", (int)strlen(LOG_ORIGIN) + 10, good, b64);
	}
	snprintf(bad[nbad++], 1100, "%s", good);                         /* the url alphabet */
	for (p = bad[nbad - 1] + strlen(LOG_ORIGIN) + 10; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p == 'A' ? '-' : *p;
	memset(bad[nbad], 'x', 600);                                      /* longer than any */
	bad[nbad++][600] = 0;
	snprintf(bad[nbad++], 1100, "+%s", good);                        /* a '+' first */
	CHECK(nbad <= NBAD);
	for (size_t i = 0; i < nbad; i++) {
		base_answer(&a);
		snprintf(a.log_key, sizeof a.log_key, "%.512s", bad[i]);
		dp_buf_init(&t, DP_ENROL_MAX);
		int r = dp_enrol_answer_encode(&a, sw_sk, &t);
		CHECKF(r == DP_EINVAL && t.len == 0, "bad log key %zu (%.80s): encode %s", i, bad[i],
		       dp_errname(r));
		dp_buf_free(&t);
		snprintf(line, sizeof line, "Log-Key: %.1100s", bad[i]);
		r = mutate(&b, ANS, orig, line);
		CHECKF(r == DP_EPARSE, "bad log key %zu (%.80s): decode %s", i, bad[i], dp_errname(r));
	}
	/* the longest name, 255 bytes */
	base_answer(&a);
	memset(name, 'n', 255);
	name[255] = 0;
	vkey(a.log_key, sizeof a.log_key, name, 0x01, log_pk);
	dp_buf_reset(&b);
	b.len = 0;
	CHECK(dp_enrol_answer_encode(&a, sw_sk, &b) == DP_OK && dec_ans(b.p, b.len) == DP_OK);
	/* printable punctuation is fine in a name */
	base_answer(&a);
	vkey(a.log_key, sizeof a.log_key, "~!@#$%^&*()_=-{}[]|\\:;\"'<>,.?/", 0x01, log_pk);
	dp_buf_reset(&b);
	b.len = 0;
	CHECK(dp_enrol_answer_encode(&a, sw_sk, &b) == DP_OK && dec_ans(b.p, b.len) == DP_OK);
	dp_buf_free(&b);
}

/* Replace old by new in a whole file (signature line included), decode as an epoch key record. */
static int tamper_epk(const dp_buf *b, const char *old, const char *new)
{
	dp_buf t;
	if (fx_replace(&t, 1 << 16, b->p, b->len, old, new))
		return 999;
	int r = dec_epk(t.p, t.len);
	dp_buf_free(&t);
	return r;
}

static void test_epoch_key(void)
{
	dp_epoch_key k, d;
	dp_buf b, b2;
	base_key(&k);
	dp_buf_init(&b, DP_EPOCH_KEY_MAX);
	dp_buf_init(&b2, DP_EPOCH_KEY_MAX);
	CHECK(dp_epoch_key_encode(&k, dev_sk, &b) == DP_OK);
	CHECK(dp_epoch_key_decode(&d, b.p, b.len) == DP_OK && !memcmp(&d, &k, sizeof k));
	CHECK(dp_epoch_key_encode(&d, dev_sk, &b2) == DP_OK && b2.len == b.len &&
	      !memcmp(b2.p, b.p, b.len));

	/* the record, written out by hand: every line, and the signature over context || 0 || lines */
	{
		char hex[65], b64[89];
		dp_hex_encode(hex, dev_pk, 32);
		dp_buf w;
		dp_buf_init(&w, DP_EPOCH_KEY_MAX);
		CHECK(dp_buf_printf(&w, "DENPO-EPOCH-KEY/1\nDevice-Id: %s\nKey-Epoch: 7\n"
					"Not-Before: 1771891200\nNot-After: 1771981200\nAge-Recipient: %s\n",
				    hex, k.age_recipient) == DP_OK);
		size_t bl = w.len;
		static const char ctx[] = "denpo-epoch-key-v1"; /* with its NUL: the 0x00 separator */
		uint8_t *msg = malloc(sizeof ctx + bl), sig[64];
		memcpy(msg, ctx, sizeof ctx);
		memcpy(msg + sizeof ctx, w.p, bl);
		CHECK(crypto_sign_ed25519_detached(sig, NULL, msg, sizeof ctx + bl, dev_sk) == 0);
		dp_b64_encode(b64, sig, 64, 1);
		CHECK(dp_buf_printf(&w, "Signature: %s\n", b64) == DP_OK);
		CHECKF(w.len == b.len && !memcmp(w.p, b.p, b.len),
		       "the record is not the documented layout");
		uint8_t got[64];
		size_t gn;
		CHECK(dp_b64_decode(got, 64, &gn, (const char *)b.p + b.len - 89, 88, 1) == DP_OK &&
		      gn == 64);
		CHECK(crypto_sign_ed25519_verify_detached(got, msg, sizeof ctx + bl, dev_pk) == 0);
		free(msg);
		dp_buf_free(&w);
	}

	/* sign / verify / encode_sig */
	uint8_t sig[64], sig2[64];
	CHECK(dp_epoch_key_sign(&k, dev_sk, sig) == DP_OK);
	CHECK(dp_epoch_key_verify(&k, sig) == DP_OK);
	dp_buf_reset(&b2);
	CHECK(dp_epoch_key_encode_sig(&k, sig, &b2) == DP_OK && b2.len == b.len &&
	      !memcmp(b2.p, b.p, b.len));
	CHECK(dp_epoch_key_sign(&k, sw_sk, sig2) == DP_EINVAL); /* only the device signs its keys */
	memcpy(sig2, sig, 64);
	sig2[10] ^= 0x04;
	CHECK(dp_epoch_key_verify(&k, sig2) == DP_ESIG);
	dp_buf_reset(&b2);
	CHECK(dp_epoch_key_encode_sig(&k, sig2, &b2) == DP_ESIG && b2.len == 0);
	dp_buf_reset(&b2);
	CHECK(dp_epoch_key_encode(&k, sw_sk, &b2) == DP_EINVAL && b2.len == 0);
	/* the signature binds every field */
	{
		dp_epoch_key m;
		m = k, m.epoch = 8;
		CHECK(dp_epoch_key_verify(&m, sig) == DP_ESIG);
		CHECK(dp_epoch_key_encode_sig(&m, sig, &b2) == DP_ESIG && b2.len == 0);
		m = k, m.not_before--;
		CHECK(dp_epoch_key_verify(&m, sig) == DP_ESIG);
		m = k, m.not_after++;
		CHECK(dp_epoch_key_verify(&m, sig) == DP_ESIG);
		m = k;
		age_of(0x56, m.age_recipient, DP_AGE_MLKEM768X25519);
		CHECK(dp_epoch_key_verify(&m, sig) == DP_ESIG);
		m = k;
		memcpy(m.device, sw_pk, 32); /* another device claiming the record */
		CHECK(dp_epoch_key_verify(&m, sig) == DP_ESIG);
		uint8_t s3[64];
		CHECK(dp_epoch_key_sign(&m, sw_sk, s3) == DP_OK && dp_epoch_key_verify(&m, s3) == DP_OK);
		CHECK(dp_epoch_key_verify(&k, s3) == DP_ESIG);
		/* bad records are refused before any signature */
		m = k, m.not_after = m.not_before;
		CHECK(dp_epoch_key_verify(&m, sig) == DP_EPARSE);
		CHECK(dp_epoch_key_sign(&m, dev_sk, s3) == DP_EPARSE);
		CHECK(dp_epoch_key_encode_sig(&m, sig, &b2) == DP_EPARSE && b2.len == 0);
		m = k, m.not_after = m.not_before - 1;
		CHECK(dp_epoch_key_check(&m) == DP_EPARSE);
		m = k, m.not_after = m.not_before + DP_EPOCH_MAX_LIFE + 1;
		CHECK(dp_epoch_key_check(&m) == DP_EPARSE);
		CHECK(dp_epoch_key_encode(&m, dev_sk, &b2) == DP_EPARSE && b2.len == 0);
		m = k, m.not_after = m.not_before + DP_EPOCH_MAX_LIFE;
		CHECK(dp_epoch_key_check(&m) == DP_OK);
		m = k, m.not_after = m.not_before + DP_EPOCH_MIN_LIFE - 1;
		CHECK(dp_epoch_key_check(&m) == DP_EPARSE);
		m = k, m.not_after = m.not_before + DP_EPOCH_MIN_LIFE;
		CHECK(dp_epoch_key_check(&m) == DP_OK);
		m = k, m.not_before = DP_CREATED_MIN - 1;
		CHECK(dp_epoch_key_check(&m) == DP_EPARSE);
		m = k, m.not_before = DP_CREATED_MAX - 60, m.not_after = DP_CREATED_MAX + 1;
		CHECK(dp_epoch_key_check(&m) == DP_EPARSE);
		m = k, m.not_before = -1;
		CHECK(dp_epoch_key_check(&m) == DP_EPARSE);
		m = k;
		memset(m.device, 0, 32); /* not a usable Ed25519 key */
		CHECK(dp_epoch_key_check(&m) == DP_EPARSE);
		m = k;
		age_of(0x55, m.age_recipient, DP_AGE_X25519);
		CHECK(dp_epoch_key_check(&m) == DP_EUNSUPP);
		CHECK(dp_epoch_key_encode(&m, dev_sk, &b2) == DP_EUNSUPP && b2.len == 0);
		m = k;
		m.age_recipient[3] = 'Q';
		CHECK(dp_epoch_key_check(&m) == DP_EPARSE);
		m = k;
		m.age_recipient[strlen(m.age_recipient) - 1] ^= 1;
		CHECK(dp_epoch_key_check(&m) == DP_EPARSE);
	}

	static const char *const opt[] = {NULL};
	structure(&b, EPK, opt);
	truncations(&b, EPK);

	/* tampering without re-signing: each field, and the signature */
	CHECK(tamper_epk(&b, "Key-Epoch: 7", "Key-Epoch: 8") == DP_ESIG);
	CHECK(tamper_epk(&b, "Not-Before: 1771891200", "Not-Before: 1771891201") == DP_ESIG);
	CHECK(tamper_epk(&b, "Not-After: 1771981200", "Not-After: 1771981201") == DP_ESIG);
	char hexdev[65], hexsw[65], line[160], orig[128];
	dp_hex_encode(hexdev, dev_pk, 32);
	dp_hex_encode(hexsw, sw_pk, 32);
	snprintf(orig, sizeof orig, "Device-Id: %s", hexdev);
	snprintf(line, sizeof line, "Device-Id: %s", hexsw);
	CHECK(tamper_epk(&b, orig, line) == DP_ESIG);
	{
		char b64[89], sl[128];
		dp_b64_encode(b64, sig, 64, 1);
		snprintf(sl, sizeof sl, "Signature: %s", b64);
		dp_b64_encode(b64, sig2, 64, 1);
		char bad[128];
		snprintf(bad, sizeof bad, "Signature: %s", b64);
		CHECK(tamper_epk(&b, sl, bad) == DP_ESIG);
	}
	/* the right lines signed under another context, or by another key than Device-Id */
	CHECK(resign(b.p, body_len(&b), EPK, "denpo-epoch-key-v1", dev_sk) == DP_OK);
	CHECK(resign(b.p, body_len(&b), EPK, "denpo-enrol-request-v1", dev_sk) == DP_ESIG);
	CHECK(resign(b.p, body_len(&b), EPK, "denpo-epoch-key-v2", dev_sk) == DP_ESIG);
	CHECK(resign(b.p, body_len(&b), EPK, "denpo-epoch-key-v1", sw_sk) == DP_ESIG);
	CHECK(mutate(&b, EPK, orig, line) == DP_ESIG); /* sw's id, signed by dev */
	{
		dp_buf t;
		CHECK(fx_replace(&t, 1 << 16, b.p, body_len(&b), orig, line) == 0);
		CHECK(resign(t.p, t.len, EPK, "denpo-epoch-key-v1", sw_sk) == DP_OK); /* its own */
		dp_buf_free(&t);
	}

	/* values, each re-signed by the device so that the parser decides */
	CHECK(mutate(&b, EPK, "Key-Epoch: 7", "Key-Epoch: 8") == DP_OK); /* the fixture works */
	CHECK(mutate(&b, EPK, "Key-Epoch: 7", "Key-Epoch: 0") == DP_OK);
	CHECK(mutate(&b, EPK, "Key-Epoch: 7", "Key-Epoch: 4294967295") == DP_OK);
	CHECK(mutate(&b, EPK, "Key-Epoch: 7", "Key-Epoch: 4294967296") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "Key-Epoch: 7", "Key-Epoch: 07") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "Key-Epoch: 7", "Key-Epoch: 00") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "Key-Epoch: 7", "Key-Epoch: +7") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "Key-Epoch: 7", "Key-Epoch: -7") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "Key-Epoch: 7", "Key-Epoch: 7 ") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "Key-Epoch: 7", "Key-Epoch:  7") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "Key-Epoch: 7", "Key-Epoch:7") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "Key-Epoch: 7", "Key-Epoch: ") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "Key-Epoch: 7", "key-epoch: 7") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "Key-Epoch: 7", "Key-Epoch: 0x7") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "Not-Before: 1771891200", "Not-Before: 01771891200") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "Not-After: 1771981200", "Not-After: 01771981200") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "Not-Before: 1771891200", "Not-Before: 0") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "Not-Before: 1771891200", "Not-Before: 946684799") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "Not-After: 1771981200", "Not-After: 4102444800") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "Not-After: 1771981200", "Not-After: 99999999999999999999") ==
	      DP_EPARSE);
	/* the window: Not-Before + 60 s <= Not-After <= Not-Before + 8 days */
	CHECK(mutate(&b, EPK, "Not-After: 1771981200", "Not-After: 1771891259") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "Not-After: 1771981200", "Not-After: 1771891200") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "Not-After: 1771981200", "Not-After: 1771891199") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "Not-After: 1771981200", "Not-After: 1771891260") == DP_OK);
	CHECK(mutate(&b, EPK, "Not-After: 1771981200", "Not-After: 1772582400") == DP_OK);
	CHECK(mutate(&b, EPK, "Not-After: 1771981200", "Not-After: 1772582401") == DP_EPARSE);
	/* Device-Id: 64 lower-case hex digits of a usable key */
	char up[128];
	snprintf(up, sizeof up, "%s", orig);
	for (char *c = up + 11; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 32);
	CHECK(strcmp(up, orig) != 0);
	CHECK(mutate(&b, EPK, orig, up) == DP_EPARSE); /* upper-case hex */
	snprintf(line, sizeof line, "%.*s", (int)strlen(orig) - 1, orig);
	CHECK(mutate(&b, EPK, orig, line) == DP_EPARSE); /* 63 digits */
	snprintf(line, sizeof line, "%s0", orig);
	CHECK(mutate(&b, EPK, orig, line) == DP_EPARSE); /* 65 digits */
	snprintf(line, sizeof line, "Device-Id: 0x%.62s", hexdev);
	CHECK(mutate(&b, EPK, orig, line) == DP_EPARSE);
	snprintf(line, sizeof line, "Device-Id: %064d", 0);
	CHECK(mutate(&b, EPK, orig, line) == DP_EPARSE); /* small order */
	snprintf(line, sizeof line, "Device-Id: %.63sg", hexdev);
	CHECK(mutate(&b, EPK, orig, line) == DP_EPARSE);
	/* Age-Recipient: post-quantum only, lower case, valid */
	{
		char x[DP_AGE_RECIPIENT_MAX + 2];
		age_of(0x55, x, DP_AGE_X25519);
		CHECK(mutate(&b, EPK, k.age_recipient, x) == DP_EUNSUPP); /* classic age1 recipient */
		snprintf(x, sizeof x, "%s", k.age_recipient);
		for (char *c = x; *c; c++)
			if (*c >= 'a' && *c <= 'z')
				*c = (char)(*c - 32);
		CHECK(mutate(&b, EPK, k.age_recipient, x) == DP_EPARSE); /* upper case */
		snprintf(x, sizeof x, "%sq", k.age_recipient);
		CHECK(mutate(&b, EPK, k.age_recipient, x) == DP_ETOOBIG); /* one character more */
		snprintf(x, sizeof x, "%s", k.age_recipient);
		x[700] = x[700] == 'q' ? 'p' : 'q';
		CHECK(mutate(&b, EPK, k.age_recipient, x) == DP_EPARSE); /* checksum */
		x[strlen(x) - 1] = 0;
		CHECK(mutate(&b, EPK, k.age_recipient, x) == DP_EPARSE); /* one character less */
	}
	/* framing */
	CHECK(mutate(&b, EPK, "DENPO-EPOCH-KEY/1\n", "DENPO-EPOCH-KEY/2\n") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "DENPO-EPOCH-KEY/1\n", " DENPO-EPOCH-KEY/1\n") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "DENPO-EPOCH-KEY/1\n", "\nDENPO-EPOCH-KEY/1\n") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "DENPO-EPOCH-KEY/1\n", "DENPO-EPOCH-KEY/1\r\n") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "Key-Epoch: 7\n", "Key-Epoch: 7\r\n") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "Key-Epoch: 7\n", "Key-Epoch: 7\n\n") == DP_EPARSE);
	CHECK(mutate(&b, EPK, "Key-Epoch: 7\n", "Key-Epoch: 7\nKey-Epoch: 7\n") == DP_EPARSE);
	{
		/* a NUL byte, a high byte inside a value (fx_replace takes C strings: patch by hand) */
		dp_buf t;
		CHECK(fx_replace(&t, 1 << 16, b.p, body_len(&b), "Key-Epoch: 7", "Key-Epoch: 7X") == 0);
		uint8_t *xp = memmem(t.p, t.len, "7X", 2);
		xp[1] = 0;
		CHECK(resign(t.p, t.len, EPK, "denpo-epoch-key-v1", dev_sk) == DP_EPARSE);
		xp[1] = 0xb7;
		CHECK(resign(t.p, t.len, EPK, "denpo-epoch-key-v1", dev_sk) == DP_EPARSE);
		dp_buf_free(&t);
	}
	{
		/* after the signature line: a byte, a line, a CR; the signature line without its LF */
		uint8_t *x = malloc(b.len + 64);
		memcpy(x, b.p, b.len);
		CHECK(dec_epk(x, b.len) == DP_OK);
		x[b.len] = ' ';
		CHECK(dec_epk(x, b.len + 1) == DP_EPARSE);
		memcpy(x + b.len, "X-Extra: 1\n", 11);
		CHECK(dec_epk(x, b.len + 11) == DP_EPARSE);
		memcpy(x + b.len - 1, "\r\n", 2);
		CHECK(dec_epk(x, b.len + 1) == DP_EPARSE);
		CHECK(dec_epk(x, b.len - 1) == DP_EPARSE);
		/* an enrolment file's magic is not a record */
		memcpy(x, b.p, b.len);
		memcpy(x, "DENPO-ENROL-REQUEST/1\n", 17);
		CHECK(dec_epk(x, b.len) == DP_EPARSE);
		free(x);
	}
	/* the record decoder zeroes its output on failure */
	{
		dp_epoch_key z, zero;
		memset(&zero, 0, sizeof zero);
		memset(&z, 0xa5, sizeof z);
		uint8_t *e = memmem(b.p, b.len, "Key-Epoch: 7", 12);
		e[11] = '6';
		CHECK(dp_epoch_key_decode(&z, b.p, b.len) == DP_ESIG && !memcmp(&z, &zero, sizeof z));
		e[11] = '7';
		CHECK(dp_epoch_key_decode(&z, b.p, b.len) == DP_OK && !memcmp(&z, &k, sizeof z));
	}

	/* size cap: DP_EPOCH_KEY_MAX bytes, whatever they are */
	{
		uint8_t *big = calloc(1, DP_EPOCH_KEY_MAX + 1);
		CHECK(dec_epk(big, DP_EPOCH_KEY_MAX + 1) == DP_ETOOBIG);
		CHECK(dec_epk(big, DP_EPOCH_KEY_MAX) == DP_EPARSE);
		memcpy(big, b.p, b.len); /* a valid record followed by more than fits */
		CHECK(dec_epk(big, DP_EPOCH_KEY_MAX + 1) == DP_ETOOBIG);
		free(big);
		/* a long value: too big for the record, before any parsing */
		dp_buf t;
		char *pad = malloc(DP_EPOCH_KEY_MAX);
		memset(pad, '1', DP_EPOCH_KEY_MAX - 1);
		pad[DP_EPOCH_KEY_MAX - 1] = 0;
		memcpy(pad, "Key-Epoch: ", 11);
		CHECK(fx_replace(&t, 1 << 16, b.p, b.len, "Key-Epoch: 7", pad) == 0);
		CHECK(dec_epk(t.p, t.len) == DP_ETOOBIG);
		dp_buf_free(&t);
		free(pad);
	}
	dp_buf_free(&b);
	dp_buf_free(&b2);
}

/* dp_now(): time(NULL) plus $DENPO_TEST_CLOCK_OFFSET when it is a sane integer. */
static int64_t offset_now(const char *v)
{
	if (v)
		setenv("DENPO_TEST_CLOCK_OFFSET", v, 1);
	else
		unsetenv("DENPO_TEST_CLOCK_OFFSET");
	for (int tries = 0; tries < 5; tries++) {
		int64_t t0 = (int64_t)time(NULL), n = dp_now(), t1 = (int64_t)time(NULL);
		if (t0 == t1)
			return n - t0; /* the second did not turn meanwhile */
	}
	return INT64_MIN;
}

static void test_clock(void)
{
	static const struct {
		const char *v;
		int64_t want;
	} c[] = {
		{NULL, 0},
		{"", 0},
		{"0", 0},
		{"86400", 86400},
		{"-86400", -86400},
		{"316224000", 316224000},   /* 10 years of 366 days: the limit */
		{"-316224000", -316224000},
		{"316224001", 0},           /* beyond: ignored */
		{"-316224001", 0},
		{"99999999999999999999", 0}, /* overflows */
		{"-99999999999999999999", 0},
		{"12x", 0},
		{"x12", 0},
		{"0x10", 0},
		{"1e3", 0},
		{"3600 ", 0},
		{"36.5", 0},
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		int64_t got = offset_now(c[i].v);
		CHECKF(got == c[i].want, "DENPO_TEST_CLOCK_OFFSET=%s: offset %lld, want %lld",
		       c[i].v ? c[i].v : "(unset)", (long long)got, (long long)c[i].want);
	}
	unsetenv("DENPO_TEST_CLOCK_OFFSET");
}

/* The words that name a clock in messages: a time in UTC, a span in one unit. */
static void test_clock_words(void)
{
	static const struct {
		int64_t s;
		const char *want;
	} c[] = {
		{0, "0 seconds"},          {1, "1 second"},           {-45, "45 seconds"},
		{119, "119 seconds"},      {120, "2 minutes"},        {3600, "60 minutes"},
		{-3601, "60 minutes"},     {3661, "61 minutes"},      {7199, "120 minutes"},
		{7200, "2 hours"},         {5 * 3600, "5 hours"},     {3 * 86400 - 1, "72 hours"},
		{3 * 86400, "3 days"},     {-400 * 86400LL, "400 days"},
		{INT64_MIN, "106751991167301 days"}, /* clamped, not undefined */
	};
	char out[DP_TIME_STR];
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		dp_span_str(c[i].s, out);
		CHECKF(!strcmp(out, c[i].want), "%lld s -> \"%s\", want \"%s\"", (long long)c[i].s, out,
		       c[i].want);
	}
	dp_time_str(1796552636, out);
	CHECKF(!strcmp(out, "2026-12-06 10:23:56Z"), "%s", out);
	dp_time_str(0, out);
	CHECK(!strcmp(out, "1970-01-01 00:00:00Z"));
	dp_time_str(INT64_MAX, out); /* beyond struct tm: the number, never garbage */
	CHECKF(!strcmp(out, "9223372036854775807"), "%s", out);
}

/*
 * The request fingerprint (denpo/fingerprint.h) of base_request signed by
 * the 0x01 seed key: the expected digits were computed from the same bytes
 * with Python's hashlib, not with lib/sha3.c:
 *   h = hashlib.shake_256(b"denpo-enrol-fingerprint-v1\x00" + request).digest(40)
 *   " ".join("%05d" % (int.from_bytes(h[5*i:5*i+5], "big") % 100000) for i in range(8))
 */
#define FP_VECTOR "36398 51142 61778 38102 96649 91836 21232 32763"

static void test_fingerprint(void)
{
	dp_enrol_request q;
	dp_buf b;
	char fp[DP_FP_STR], fp2[DP_FP_STR], digits[DP_FP_DIGITS + 1];
	base_request(&q);
	dp_buf_init(&b, DP_ENROL_MAX);
	CHECK(dp_enrol_request_encode(&q, dev_sk, &b) == DP_OK);
	CHECK(dp_enrol_fingerprint(b.p, b.len, fp) == DP_OK);
	CHECKF(!strcmp(fp, FP_VECTOR), "got %s", fp);
	CHECK(strlen(fp) == DP_FP_STR - 1);

	/* another field, another fingerprint (the request re-signed, so it decodes) */
	strcpy(q.device_name, "Sato-Laptop_3");
	dp_buf b2;
	dp_buf_init(&b2, DP_ENROL_MAX);
	CHECK(dp_enrol_request_encode(&q, dev_sk, &b2) == DP_OK);
	CHECK(dp_enrol_fingerprint(b2.p, b2.len, fp2) == DP_OK && strcmp(fp, fp2) != 0);
	/* a request that does not decode has none: out is "" */
	b2.p[31] ^= 1; /* "Officer: sato.k" -> "rato.k": well-formed, but not what was signed */
	strcpy(fp2, "x");
	CHECK(dp_enrol_fingerprint(b2.p, b2.len, fp2) == DP_ESIG && fp2[0] == 0);
	CHECK(dp_enrol_fingerprint(b.p, b.len - 1, fp2) == DP_EPARSE && fp2[0] == 0);
	dp_buf_free(&b2);
	dp_buf_free(&b);

	/* what a person types: digits, with spaces and dashes anywhere */
	char typed[2 * DP_FP_STR];
	CHECK(dp_fp_parse(fp, digits) == DP_OK && strlen(digits) == DP_FP_DIGITS);
	CHECK(dp_fp_matches(fp, fp));
	size_t k = 0;
	for (const char *c = fp; *c; c++)
		typed[k++] = *c == ' ' ? '-' : *c;
	typed[k] = 0;
	CHECK(dp_fp_matches(fp, typed));
	CHECK(dp_fp_matches(fp, digits)); /* no separators at all */
	snprintf(typed, sizeof typed, "  %s - ", fp);
	CHECK(dp_fp_matches(fp, typed));
	memcpy(typed, digits, sizeof digits);
	typed[DP_FP_DIGITS - 1] = (char)(typed[DP_FP_DIGITS - 1] == '9' ? '0' : typed[DP_FP_DIGITS - 1] + 1);
	CHECK(dp_fp_parse(typed, digits) == DP_OK && !dp_fp_matches(fp, typed)); /* one digit off */
	static const struct {
		const char *s;
		int want;
	} bad[] = {
		{"", DP_EPARSE},
		{"1234567890123456789012345678901234567890 1", DP_EPARSE}, /* 41 digits */
		{"123456789012345678901234567890123456789", DP_EPARSE},    /* 39 */
		{"12345 67890 12345 67890 12345 67890 12345 6789O", DP_EPARSE}, /* the letter O */
		{"12345_67890_12345_67890_12345_67890_12345_67890", DP_EPARSE},
		{"12345\t67890 12345 67890 12345 67890 12345 67890", DP_EPARSE},
		{"\xef\xbc\x91" "2345 67890 12345 67890 12345 67890 12345 67890", DP_EPARSE}, /* full-width 1 */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		strcpy(digits, "x");
		CHECKF(dp_fp_parse(bad[i].s, digits) == bad[i].want && digits[0] == 0, "case %zu", i);
		CHECK(!dp_fp_matches(fp, bad[i].s));
	}
	char longs[DP_FP_INPUT_MAX + 2];
	memset(longs, ' ', sizeof longs - 1);
	longs[sizeof longs - 1] = 0;
	CHECK(dp_fp_parse(longs, digits) == DP_ETOOBIG);
	longs[DP_FP_INPUT_MAX] = 0; /* 200 spaces: read, but no digits */
	CHECK(dp_fp_parse(longs, digits) == DP_EPARSE);
}

int main(void)
{
	if (dp_crypto_init())
		return 1;
	fx_seed_key(0x01, dev_pk, dev_sk);
	fx_seed_key(0x41, tls_pk, NULL);
	fx_seed_key(0x21, sw_pk, sw_sk);
	fx_seed_key(0x61, swtls_pk, NULL);
	fx_seed_key(0xf1, log_pk, NULL);
	test_request();
	test_answer();
	test_answer_switches();
	test_switch_list();
	test_log_key();
	test_epoch_key();
	test_clock();
	test_clock_words();
	test_fingerprint();
	return t_done("test_enrol");
}
