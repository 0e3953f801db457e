/*
 * tests/test_client_seal.c - the device's cable pipeline offline:
 * resolve answer -> recipients, sign + encrypt + envelope, then
 * open (envelope, decrypt, cable signature, match, addressed-to-me) and
 * every way the opening must refuse.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "denpo/keystore.h"
#include "denpo/seal.h"
#include "tests/harness.h"

#define SUBCAP ((size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4)

static dp_keystore *A, *B, *C, *D; /* A sends; B (action), C (info) receive; D is outside */

static void resolved(dp_resolved *r, const dp_keystore *k, const char *officer, const char *post, int role)
{
	memset(r, 0, sizeof *r);
	memcpy(r->device, k->sign_pk, 32);
	snprintf(r->officer, sizeof r->officer, "%s", officer);
	snprintf(r->post, sizeof r->post, "%s", post);
	r->role = role;
	r->key_type = DP_AGE_MLKEM768X25519;
	/* the device's newest epoch key, with its record signed by the device as the switch hands it out */
	dp_epoch_key ek;
	dp_buf b;
	dp_buf_init(&b, DP_EPOCH_KEY_MAX);
	if (dp_keystore_epoch_key(k, k->nage - 1, &ek) == DP_OK && dp_epoch_key_encode(&ek, k->sign_sk, &b) == DP_OK) {
		r->epoch = ek.epoch;
		r->not_before = ek.not_before;
		r->not_after = ek.not_after;
		memcpy(r->age_recipient, ek.age_recipient, sizeof r->age_recipient);
		memcpy(r->epoch_key, b.p, b.len + 1);
	}
	dp_buf_free(&b);
}

static size_t bad;

/* A cable from TOKYO (device A) to HQ with SEOUL for info. */
static void draft(dp_cable *c, const char *subject)
{
	dp_cable_init(c);
	dp_random(c->id, sizeof c->id);
	c->classification = DP_CLASS_SECRET;
	strcpy(c->captions[0], "NOFORN");
	c->ncaptions = 1;
	c->prec_action = DP_PREC_IMMEDIATE;
	c->prec_info = DP_PREC_ROUTINE;
	c->created = (int64_t)time(NULL);
	strcpy(c->from, "TOKYO");
	memcpy(c->from_device, A->sign_pk, 32);
	strcpy(c->to[0], "HQ");
	c->nto = 1;
	strcpy(c->info[0], "SEOUL");
	c->ninfo = 1;
	strcpy(c->tags[0], "PREL");
	strcpy(c->tags[1], "PGOV");
	c->ntags = 2;
	snprintf(c->subject, sizeof c->subject, "%s", subject);
	strcpy(c->refs[0], "26 HQ 000012");
	c->nrefs = 1;
	strcpy(c->classified_by, "sato.k, TOKYO");
	static const char body[] = "1. (S) The minister will travel on Tuesday.\n";
	c->body = malloc(sizeof body - 1);
	memcpy(c->body, body, sizeof body - 1);
	c->body_len = sizeof body - 1;
	strcpy(c->atts[0].name, "annex.bin");
	c->atts[0].len = 70000; /* more than one age chunk */
	c->atts[0].data = malloc(c->atts[0].len);
	for (size_t i = 0; i < c->atts[0].len; i++)
		c->atts[0].data[i] = (uint8_t)(i * 7);
	c->natts = 1;
}

/* Seal c to devs[n] with A's key. */
static int seal(dp_cable *c, const dp_resolved *devs, size_t n, dp_buf *sub)
{
	dp_recipient rc[4];
	dp_age_recipient keys[4];
	int r = seal_recipients(devs, n, dp_now(), rc, keys, &bad);
	if (!r)
		r = dp_cable_set_recipients(c, rc, n);
	if (!r)
		r = seal_cable(c, keys, n, A->sign_sk, sub);
	return r;
}

static int open_as(const dp_keystore *k, const dp_buf *sub, dp_cable *out, const char **why)
{
	dp_envelope e;
	dp_envelope_init(&e);
	dp_cable_init(out);
	int r = seal_open(sub->p, sub->len, k->age, k->nage, NULL, NULL, k->sign_pk, &e, out, why);
	dp_envelope_free(&e);
	return r;
}

static void test_round_trip(const dp_resolved *devs)
{
	dp_cable c, got;
	dp_buf sub;
	dp_buf_init(&sub, SUBCAP);
	draft(&c, "Visit of the minister");
	CHECK(seal(&c, devs, 2, &sub) == DP_OK);
	const char *why = "";
	const dp_keystore *readers[2] = {B, C};
	for (int i = 0; i < 2; i++) {
		int r = open_as(readers[i], &sub, &got, &why);
		CHECKF(r == DP_OK, "reader %d: %d %s", i, r, why);
		CHECK(!memcmp(got.id, c.id, DP_CABLE_ID));
		CHECK(!strcmp(got.subject, c.subject) && !strcmp(got.from, "TOKYO"));
		CHECK(got.body_len == c.body_len && !memcmp(got.body, c.body, c.body_len));
		CHECK(got.natts == 1 && got.atts[0].len == c.atts[0].len &&
		      !memcmp(got.atts[0].data, c.atts[0].data, c.atts[0].len));
		CHECK(got.nrecipients == 2 && got.classification == DP_CLASS_SECRET);
		CHECK(got.prec_action == DP_PREC_IMMEDIATE && got.prec_info == DP_PREC_ROUTINE);
		dp_cable_free(&got);
	}
	/* the plaintext is nowhere in the submission */
	const char *needle = "minister will travel";
	int found = 0;
	for (size_t i = 0; i + strlen(needle) <= sub.len; i++)
		found |= !memcmp(sub.p + i, needle, strlen(needle));
	CHECK(!found);
	/* an outsider is refused before any decryption */
	CHECK(open_as(D, &sub, &got, &why) == DP_EDENIED);
	dp_cable_free(&got);

	/* the sender has no recipient key either */
	CHECK(open_as(A, &sub, &got, &why) == DP_EDENIED);
	dp_cable_free(&got);

	/* a flipped byte anywhere: envelope, payload header, payload body, signature */
	size_t spots[] = {4 + 10, sub.len - 1, sub.len - 20000, sub.len / 2};
	uint32_t elen = (uint32_t)sub.p[0] << 24 | (uint32_t)sub.p[1] << 16 | (uint32_t)sub.p[2] << 8 | sub.p[3];
	size_t spots2[] = {4 + elen - 1 /* envelope signature */, 4 + elen + 30 /* age header */};
	for (size_t i = 0; i < 6; i++) {
		size_t at = i < 4 ? spots[i] : spots2[i - 4];
		sub.p[at] ^= 0x40;
		int r = open_as(B, &sub, &got, &why);
		CHECKF(r == DP_ESIG, "flip at %zu -> %d (%s)", at, r, why);
		dp_cable_free(&got);
		sub.p[at] ^= 0x40;
	}
	/* truncated submission */
	size_t keep = sub.len;
	sub.len = keep - 1;
	CHECK(open_as(B, &sub, &got, &why) == DP_EPARSE);
	dp_cable_free(&got);
	sub.len = 3;
	CHECK(open_as(B, &sub, &got, &why) == DP_EPARSE);
	dp_cable_free(&got);
	sub.len = keep;
	CHECK(open_as(B, &sub, &got, &why) == DP_OK); /* and it still opens intact */
	dp_cable_free(&got);
	dp_cable_free(&c);
	dp_buf_free(&sub);
}

/* Envelope of one cable carrying the payload of another: a routing substitution. */
static void test_substitution(const dp_resolved *devs)
{
	dp_cable x, y, got;
	dp_buf pt, payload, env, sub;
	dp_buf_init(&pt, SUBCAP);
	dp_buf_init(&payload, SUBCAP);
	dp_buf_init(&env, DP_ENVELOPE_MAX);
	dp_buf_init(&sub, SUBCAP);
	draft(&x, "routine matter");
	draft(&y, "urgent matter");
	memcpy(y.id, x.id, DP_CABLE_ID); /* same id, different routing */
	y.prec_action = y.prec_info = DP_PREC_FLASH;
	y.ninfo = 0;
	dp_recipient rc[2];
	dp_age_recipient keys[2];
	dp_resolved only_action[1] = {devs[0]};
	CHECK(seal_recipients(devs, 2, dp_now(), rc, keys, &bad) == DP_OK);
	CHECK(dp_cable_set_recipients(&x, rc, 2) == DP_OK);
	CHECK(seal_recipients(only_action, 1, dp_now(), rc, keys, &bad) == DP_OK);
	CHECK(dp_cable_set_recipients(&y, rc, 1) == DP_OK);
	/* the switch (or anyone holding A's routing) pairs x's envelope with y's payload */
	CHECK(dp_cable_encode(&y, A->sign_sk, &pt) == DP_OK);
	CHECK(dp_age_encrypt(keys, 1, pt.p, pt.len, 0, &payload) == DP_OK);
	dp_envelope e;
	dp_envelope_init(&e);
	CHECK(dp_envelope_from_cable(&e, &x, payload.p, payload.len) == DP_OK);
	CHECK(dp_envelope_encode(&e, A->sign_sk, &env) == DP_OK);
	CHECK(dp_submission_encode(&env, payload.p, payload.len, &sub) == DP_OK);
	dp_envelope_free(&e);
	const char *why = "";
	CHECK(open_as(B, &sub, &got, &why) == DP_ESIG);
	CHECK(strstr(why, "routing") != NULL);
	dp_cable_free(&got);

	/* signed recipients name C but the payload is encrypted to B only: C cannot open */
	dp_buf_reset(&sub);
	sub.len = 0;
	dp_buf_reset(&payload);
	payload.len = 0;
	dp_buf_reset(&pt);
	pt.len = 0;
	dp_envelope_init(&e);
	CHECK(seal_recipients(devs, 2, dp_now(), rc, keys, &bad) == DP_OK);
	CHECK(dp_cable_encode(&x, A->sign_sk, &pt) == DP_OK);
	CHECK(dp_age_encrypt(keys, 1, pt.p, pt.len, 0, &payload) == DP_OK); /* keys[0] = B */
	CHECK(dp_envelope_from_cable(&e, &x, payload.p, payload.len) == DP_OK);
	dp_buf_reset(&env);
	env.len = 0;
	CHECK(dp_envelope_encode(&e, A->sign_sk, &env) == DP_OK);
	CHECK(dp_submission_encode(&env, payload.p, payload.len, &sub) == DP_OK);
	dp_envelope_free(&e);
	CHECK(open_as(B, &sub, &got, &why) == DP_OK);
	dp_cable_free(&got);
	CHECK(open_as(C, &sub, &got, &why) == DP_ENOMATCH);
	dp_cable_free(&got);

	/* a cable signed by D but wrapped in an envelope signed by A */
	dp_cable z;
	draft(&z, "forged");
	memcpy(z.from_device, D->sign_pk, 32);
	CHECK(dp_cable_set_recipients(&z, rc, 2) == DP_OK);
	dp_buf_reset(&pt);
	pt.len = 0;
	CHECK(dp_cable_encode(&z, D->sign_sk, &pt) == DP_OK);
	dp_buf_reset(&payload);
	payload.len = 0;
	CHECK(dp_age_encrypt(keys, 2, pt.p, pt.len, 0, &payload) == DP_OK);
	dp_envelope_init(&e);
	CHECK(dp_envelope_from_cable(&e, &z, payload.p, payload.len) == DP_OK);
	dp_buf_reset(&env);
	env.len = 0;
	CHECK(dp_envelope_encode(&e, A->sign_sk, &env) == DP_EINVAL); /* the library refuses */
	dp_envelope_free(&e);

	dp_cable_free(&z);
	dp_cable_free(&x);
	dp_cable_free(&y);
	dp_buf_free(&pt);
	dp_buf_free(&payload);
	dp_buf_free(&env);
	dp_buf_free(&sub);
}

/* Replace "Not-After: N" in rec with a new value (the record is then unsigned). */
static void set_field(char *rec, const char *name, long long v)
{
	char *p = strstr(rec, name), num[32];
	char *eol = p ? strchr(p, '\n') : NULL;
	if (!eol)
		return;
	int k = snprintf(num, sizeof num, "%lld", v);
	char *val = p + strlen(name);
	size_t tail = strlen(eol) + 1;
	memmove(val + k, eol, tail); /* the caller's buffer has room: values grow by a digit at most */
	memcpy(val, num, (size_t)k);
}

/* The sender trusts a key only from the device's own signed epoch record. */
static void test_epoch_records(const dp_resolved *devs, dp_resolved *d, dp_recipient *rc,
			       dp_age_recipient *keys)
{
	int64_t now = dp_now();
	d[1] = devs[1];
	CHECK(seal_recipients(d, 2, now, rc, keys, &bad) == DP_OK);
	/* the switch substitutes a key of its own making, listed consistently: D's record for C */
	dp_resolved forged;
	resolved(&forged, D, "kim.j", "SEOUL", DP_ROLE_INFO);
	memcpy(forged.device, C->sign_pk, 32);
	d[1] = forged;
	CHECK(seal_recipients(d, 2, now, rc, keys, &bad) == DP_ESIG && bad == 1);
	/* a genuine record of another device */
	d[1] = devs[1];
	memcpy(d[1].epoch_key, devs[0].epoch_key, sizeof d[1].epoch_key);
	CHECK(seal_recipients(d, 2, now, rc, keys, &bad) == DP_ESIG);
	/* no record, a truncated one, one with a field changed after signing */
	d[1] = devs[1];
	d[1].epoch_key[0] = 0;
	CHECK(seal_recipients(d, 2, now, rc, keys, &bad) == DP_ESIG);
	d[1] = devs[1];
	d[1].epoch_key[strlen(d[1].epoch_key) - 2] = 0;
	CHECK(seal_recipients(d, 2, now, rc, keys, &bad) == DP_ESIG);
	d[1] = devs[1];
	set_field(d[1].epoch_key, "Not-After: ", (long long)d[1].not_after + 86400);
	d[1].not_after += 86400;
	CHECK(seal_recipients(d, 2, now, rc, keys, &bad) == DP_ESIG);
	/* the listed epoch differs from the signed one */
	d[1] = devs[1];
	d[1].epoch++;
	CHECK(seal_recipients(d, 2, now, rc, keys, &bad) == DP_ESIG);
	/* a genuine record out of force: expired (beyond the skew) or not yet valid */
	d[1] = devs[1];
	CHECK(seal_recipients(d + 1, 1, d[1].not_after + DP_EPOCH_SKEW - 1, rc, keys, &bad) == DP_OK);
	CHECK(seal_recipients(d + 1, 1, d[1].not_after + DP_EPOCH_SKEW, rc, keys, &bad) == DP_ESTATE);
	CHECK(seal_recipients(d + 1, 1, d[1].not_before - DP_EPOCH_SKEW, rc, keys, &bad) == DP_OK);
	CHECK(seal_recipients(d + 1, 1, d[1].not_before - DP_EPOCH_SKEW - 1, rc, keys, &bad) == DP_ESTATE);
	d[1] = devs[1];
}

static void test_recipients(const dp_resolved *devs)
{
	dp_resolved d[2] = {devs[0], devs[1]};
	dp_recipient rc[2];
	dp_age_recipient keys[2];
	CHECK(seal_recipients(d, 2, dp_now(), rc, keys, &bad) == DP_OK);
	CHECK(rc[0].role == DP_ROLE_ACTION && rc[1].role == DP_ROLE_INFO &&
	      rc[0].key_type == DP_AGE_MLKEM768X25519 && keys[1].type == DP_AGE_MLKEM768X25519);
	CHECK(!memcmp(rc[1].device, C->sign_pk, 32));
	CHECK(seal_recipients(d, 0, dp_now(), rc, keys, &bad) == DP_EINVAL);
	d[1] = d[0];
	CHECK(seal_recipients(d, 2, dp_now(), rc, keys, &bad) == DP_EINVAL); /* same device twice */
	d[1] = devs[1];
	d[1].key_type = DP_AGE_X25519; /* a classic key is refused, never mixed in */
	CHECK(seal_recipients(d, 2, dp_now(), rc, keys, &bad) == DP_EUNSUPP);
	/* a classic age1 recipient, announced as X25519 or as post-quantum */
	dp_age_identity xid;
	dp_age_recipient xr;
	dp_buf xb;
	dp_buf_init(&xb, DP_AGE_RECIPIENT_MAX);
	CHECK(dp_age_identity_generate(&xid) == DP_OK && dp_age_identity_to_recipient(&xid, &xr) == DP_OK &&
	      dp_age_recipient_format(&xr, &xb) == DP_OK);
	memcpy(d[1].age_recipient, xb.p, xb.len + 1);
	CHECK(seal_recipients(d, 2, dp_now(), rc, keys, &bad) == DP_EUNSUPP);
	d[1].key_type = DP_AGE_MLKEM768X25519;
	/* listed as post-quantum: the device's signed record names another key */
	CHECK(seal_recipients(d, 2, dp_now(), rc, keys, &bad) == DP_ESIG && bad == 1);
	dp_buf_free(&xb);
	d[1] = devs[1];
	d[1].key_type = DP_AGE_SCRYPT;
	CHECK(seal_recipients(d, 2, dp_now(), rc, keys, &bad) == DP_EUNSUPP);
	d[1] = devs[1];
	d[1].age_recipient[10] ^= 1; /* not the signed recipient */
	CHECK(seal_recipients(d, 2, dp_now(), rc, keys, &bad) == DP_ESIG);
	test_epoch_records(devs, d, rc, keys);
	d[1] = devs[1];
	/* seal_cable insists on one key per signed recipient */
	dp_cable c;
	dp_buf sub;
	dp_buf_init(&sub, SUBCAP);
	draft(&c, "x");
	CHECK(seal_recipients(d, 2, dp_now(), rc, keys, &bad) == DP_OK);
	CHECK(dp_cable_set_recipients(&c, rc, 2) == DP_OK);
	CHECK(seal_cable(&c, keys, 1, A->sign_sk, &sub) == DP_EINVAL);
	/* and on a valid cable: no tags */
	c.ntags = 0;
	CHECK(seal_cable(&c, keys, 2, A->sign_sk, &sub) == DP_EPARSE);
	c.ntags = 1;
	/* signed by another key than From-Device */
	CHECK(seal_cable(&c, keys, 2, B->sign_sk, &sub) == DP_EINVAL);
	/* a classic key handed to seal_cable directly */
	dp_age_recipient keep = keys[1];
	keys[1] = xr;
	CHECK(seal_cable(&c, keys, 2, A->sign_sk, &sub) == DP_EUNSUPP);
	keys[1] = keep;
	CHECK(sub.len == 0);
	/* a cable whose envelope and payload are classic (X25519): the reader refuses it */
	dp_recipient xrc[1] = {rc[0]};
	xrc[0].key_type = DP_AGE_X25519;
	dp_age_identity bx;
	dp_age_recipient bxr;
	CHECK(dp_age_identity_generate(&bx) == DP_OK && dp_age_identity_to_recipient(&bx, &bxr) == DP_OK);
	CHECK(dp_cable_set_recipients(&c, xrc, 1) == DP_OK);
	dp_buf pt, payload, env;
	dp_buf_init(&pt, SUBCAP);
	dp_buf_init(&payload, SUBCAP);
	dp_buf_init(&env, DP_ENVELOPE_MAX);
	dp_envelope e;
	dp_envelope_init(&e);
	CHECK(dp_cable_encode(&c, A->sign_sk, &pt) == DP_OK);
	CHECK(dp_age_encrypt(&bxr, 1, pt.p, pt.len, 0, &payload) == DP_OK);
	CHECK(dp_envelope_from_cable(&e, &c, payload.p, payload.len) == DP_OK);
	CHECK(dp_envelope_encode(&e, A->sign_sk, &env) == DP_OK);
	CHECK(dp_submission_encode(&env, payload.p, payload.len, &sub) == DP_OK);
	dp_envelope_free(&e);
	dp_cable got;
	const char *why = "";
	dp_keystore *bk = NULL; /* B's keystore with the classic identity added: still refused */
	CHECK(dp_keystore_generate(&bk) == DP_OK);
	memcpy(bk->sign_pk, B->sign_pk, 32);
	bk->age[1] = bx;
	bk->epoch[1] = 1;
	bk->nage = 2;
	CHECK(open_as(bk, &sub, &got, &why) == DP_EUNSUPP);
	CHECK(strstr(why, "post-quantum") != NULL);
	dp_cable_free(&got);
	dp_keystore_free(bk);
	dp_age_identity_wipe(&bx);
	dp_age_identity_wipe(&xid);
	dp_buf_free(&pt);
	dp_buf_free(&payload);
	dp_buf_free(&env);
	dp_cable_free(&c);
	dp_buf_free(&sub);
}

/* Record copies only at the archive's records post (seal_record_posts). */
static void test_record_posts(const dp_resolved *devs)
{
	dp_resolved d[3] = {devs[0], devs[1], devs[1]};
	size_t at = 99;
	/* no record device: nothing to check, whatever the records post */
	CHECK(seal_record_posts(d, 2, "", &at) == DP_OK && at == 99);
	CHECK(seal_record_posts(d, 2, "HQ", &at) == DP_OK);
	/* the archive's device at HQ: fine */
	resolved(&d[2], D, "ito.r", "HQ", DP_ROLE_RECORD);
	CHECK(seal_record_posts(d, 3, "HQ", &at) == DP_OK);
	/* a record copy slipped to a device at an embassy (or at another post than pinned) */
	resolved(&d[2], D, "ito.r", "SEOUL", DP_ROLE_RECORD);
	CHECK(seal_record_posts(d, 3, "HQ", &at) == DP_ESIG && at == 2);
	/* an action device relabelled "record" at its own post */
	d[0].role = DP_ROLE_RECORD;
	at = 99;
	CHECK(seal_record_posts(d, 3, "SEOUL", &at) == DP_ESIG && at == 0);
	/* no records post known: no record copy at all */
	resolved(&d[2], D, "ito.r", "HQ", DP_ROLE_RECORD);
	d[0].role = DP_ROLE_ACTION;
	CHECK(seal_record_posts(d, 3, "", &at) == DP_ESIG && at == 2);
}

int main(void)
{
	if (dp_crypto_init() || dp_keystore_generate(&A) || dp_keystore_generate(&B) || dp_keystore_generate(&C) ||
	    dp_keystore_generate(&D)) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	dp_resolved devs[2];
	resolved(&devs[0], B, "tanaka.h", "HQ", DP_ROLE_ACTION);
	resolved(&devs[1], C, "kim.j", "SEOUL", DP_ROLE_INFO);
	test_round_trip(devs);
	test_substitution(devs);
	test_recipients(devs);
	test_record_posts(devs);
	dp_keystore_free(A);
	dp_keystore_free(B);
	dp_keystore_free(C);
	dp_keystore_free(D);
	return t_done("test_client_seal");
}
