/*
 * test_formats_doc - the worked example in docs/formats.md is what the
 * library produces, and the library accepts it.
 *
 * Each example block is a fenced block after a marker line
 * "<!-- example: NAME -->".  The test decodes the documented cable,
 * envelope, enrolment files, epoch key record and transparency-log
 * entries, re-encodes them with the documented fixed keys (Ed25519 is
 * deterministic) and requires byte equality, so the document cannot drift
 * from the code.  The log entries must also say what the other examples
 * say (the cable's id, recipients and submission hash, the record's bytes,
 * the request's device).  Run from the repository root
 * (or set DENPO_DOCS to the docs directory).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "denpo/encoding.h"
#include "denpo/enrol.h"
#include "denpo/envelope.h"
#include "denpo/epoch.h"
#include "denpo/fingerprint.h"
#include "denpo/logentry.h"
#include "tests/fixture.h"
#include "tests/harness.h"

static char *doc;

#define LOG_ORIGIN "switch.mofa.example/log"

/* The log's verifier key of Ed25519 key pk, made here with libsodium (c2sp.org/signed-note). */
static void log_vkey(char *out, size_t cap, const uint8_t pk[32])
{
	uint8_t msg[sizeof LOG_ORIGIN + 33], h[32];
	size_t nl = sizeof LOG_ORIGIN - 1;
	memcpy(msg, LOG_ORIGIN "\n", nl + 1);
	msg[nl + 1] = 0x01;
	memcpy(msg + nl + 2, pk, 32);
	crypto_hash_sha256(h, msg, nl + 34);
	char b64[45];
	dp_b64_encode(b64, msg + nl + 1, 33, 1);
	snprintf(out, cap, "%s+%02x%02x%02x%02x+%s", LOG_ORIGIN, h[0], h[1], h[2], h[3], b64);
}

/* The contents of block NAME (between the fence lines, final LF included); NULL if absent. */
static char *block(const char *name, size_t *n)
{
	char marker[128];
	snprintf(marker, sizeof marker, "<!-- example: %s -->\n```", name);
	char *m = strstr(doc, marker);
	if (!m)
		return NULL;
	if (strstr(m + 1, marker))
		return NULL; /* ambiguous: the marker appears twice */
	char *start = strchr(m + strlen(marker), '\n');
	if (!start)
		return NULL;
	start++;
	char *end = strstr(start, "\n```\n");
	if (!end)
		return NULL;
	*n = (size_t)(end + 1 - start);
	char *out = malloc(*n + 1);
	memcpy(out, start, *n);
	out[*n] = 0;
	return out;
}

/* Hex digits of an annotated block ("hex  # comment" lines) into bytes. */
static uint8_t *unhex(const char *s, size_t n, size_t *outlen)
{
	char *digits = malloc(n + 1);
	size_t k = 0;
	int comment = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			comment = 0;
		else if (s[i] == '#')
			comment = 1;
		else if (!comment && s[i] != ' ')
			digits[k++] = s[i];
	}
	uint8_t *out = malloc(k / 2 + 1);
	if (k % 2 || dp_hex_decode(out, k / 2, digits, k)) {
		free(out);
		free(digits);
		return NULL;
	}
	free(digits);
	*outlen = k / 2;
	return out;
}

int main(void)
{
	if (dp_crypto_init())
		return 1;
	const char *dir = getenv("DENPO_DOCS");
	char path[4096];
	snprintf(path, sizeof path, "%s/formats.md", dir && *dir ? dir : "docs");
	size_t dn;
	doc = (char *)t_read_file(path, &dn);
	CHECKF(doc != NULL, "cannot read %s (run from the repository root)", path);
	if (!doc)
		return t_done("test_formats_doc");

	uint8_t dev_pk[32], dev_sk[64], sw_pk[32], sw_sk[64], tls_pk[32], tls_sk[64];
	uint8_t swtls_pk[32], swtls_sk[64], log_pk[32];
	fx_seed_key(0x01, dev_pk, dev_sk);
	fx_seed_key(0x21, sw_pk, sw_sk);
	fx_seed_key(0x41, tls_pk, tls_sk);
	fx_seed_key(0x61, swtls_pk, swtls_sk);
	fx_seed_key(0xf1, log_pk, NULL);

	/* keys: the documented public keys are those of the documented seeds */
	size_t n;
	char *keys = block("keys", &n);
	CHECK(keys != NULL);
	if (keys) {
		const uint8_t *pks[5] = {dev_pk, tls_pk, sw_pk, swtls_pk, log_pk};
		for (int i = 0; i < 5; i++) {
			char hex[65];
			dp_hex_encode(hex, pks[i], 32);
			CHECKF(strstr(keys, hex) != NULL, "key %d (%s) not in the keys block", i, hex);
		}
	}

	/* the cable: decode, verify, re-encode to the same bytes */
	size_t tn, sn;
	char *text = block("cable", &tn), *sighex = block("cable-signature", &sn);
	CHECK(text && sighex);
	dp_cable c;
	dp_cable_init(&c);
	int have_cable = 0;
	if (text && sighex) {
		size_t siglen;
		uint8_t *sig = unhex(sighex, sn, &siglen);
		CHECK(sig && siglen == 64);
		uint8_t *cable = malloc(tn + 64);
		memcpy(cable, text, tn);
		if (sig && siglen == 64)
			memcpy(cable + tn, sig, 64);
		int r = dp_cable_decode(&c, cable, tn + 64);
		CHECKF(r == DP_OK, "documented cable: %s", dp_errname(r));
		have_cable = r == DP_OK;
		if (have_cable) {
			CHECK(!memcmp(c.from_device, dev_pk, 32));
			dp_buf b;
			dp_buf_init(&b, DP_MAX_PLAINTEXT);
			CHECK(dp_cable_encode(&c, dev_sk, &b) == DP_OK);
			CHECKF(b.len == tn + 64 && !memcmp(b.p, cable, b.len),
			       "the library encodes the documented cable differently");
			dp_buf_free(&b);
		}
		/* and the document's bytes are signed: one changed byte fails */
		dp_cable x;
		cable[tn / 2] ^= 0x20;
		CHECK(dp_cable_decode(&x, cable, tn + 64) != DP_OK || !have_cable);
		dp_cable_free(&x);
		free(sig);
		free(cable);
	}

	/* the payload placeholder and the envelope */
	uint8_t sub_hash[32] = {0}; /* SHA-256 of the submission: the log's Envelope-Hash */
	size_t pn, en;
	char *payload = block("payload", &pn), *envtext = block("envelope", &en);
	CHECK(payload && envtext);
	if (payload && envtext && have_cable) {
		size_t elen;
		uint8_t *env = unhex(envtext, en, &elen);
		CHECK(env != NULL);
		dp_envelope e, d;
		int r = env ? dp_envelope_decode(&d, env, elen) : DP_EPARSE;
		CHECKF(r == DP_OK, "documented envelope: %s", dp_errname(r));
		if (r == DP_OK) {
			CHECK(dp_envelope_matches_cable(&d, &c) == 1);
			CHECK(d.payload_len == pn);
			uint8_t h[32];
			dp_sha256(h, payload, pn);
			CHECK(!memcmp(h, d.payload_sha256, 32));
			dp_envelope_free(&d);
		}
		CHECK(dp_envelope_from_cable(&e, &c, (const uint8_t *)payload, pn) == DP_OK);
		dp_buf b;
		dp_buf_init(&b, DP_ENVELOPE_MAX);
		CHECK(dp_envelope_encode(&e, dev_sk, &b) == DP_OK);
		CHECKF(env && b.len == elen && !memcmp(b.p, env, elen),
		       "the library encodes the documented envelope differently");
		/* a submission of the two splits back */
		dp_buf s;
		dp_buf_init(&s, DP_ENVELOPE_MAX + 4096);
		CHECK(dp_submission_encode(&b, (const uint8_t *)payload, pn, &s) == DP_OK);
		dp_sha256(sub_hash, s.p, s.len);
		const uint8_t *pl;
		size_t pln;
		CHECK(dp_submission_decode(&d, s.p, s.len, &pl, &pln) == DP_OK && pln == pn);
		dp_envelope_free(&d);
		dp_buf_free(&s);
		dp_buf_free(&b);
		dp_envelope_free(&e);
		free(env);
	}

	/* what the reading officer sees */
	size_t rn;
	char *render = block("render", &rn);
	CHECK(render != NULL);
	if (render && have_cable) {
		dp_buf b;
		dp_buf_init(&b, 1 << 20);
		CHECK(dp_cable_render(&c, "26 TOKYO 000017", &b) == DP_OK);
		CHECKF(b.len == rn && !memcmp(b.p, render, rn),
		       "the library renders the documented cable differently");
		dp_buf_free(&b);
	}

	/* the device's epoch 0 key: the documented X-Wing seed e1..ff, 00 */
	char epoch0[DP_AGE_RECIPIENT_MAX + 1] = "";
	{
		dp_age_identity id;
		dp_age_recipient rc;
		memset(&id, 0, sizeof id);
		id.type = DP_AGE_MLKEM768X25519;
		for (int i = 0; i < 32; i++)
			id.sk[i] = (uint8_t)(0xe1 + i);
		dp_buf rb;
		dp_buf_init(&rb, DP_AGE_RECIPIENT_MAX);
		CHECK(dp_age_identity_to_recipient(&id, &rc) == DP_OK &&
		      dp_age_recipient_format(&rc, &rb) == DP_OK);
		if (rb.len <= DP_AGE_RECIPIENT_MAX)
			memcpy(epoch0, rb.p, rb.len);
		dp_buf_free(&rb);
		dp_age_identity_wipe(&id);
	}

	/* enrolment request and answer */
	size_t qn, an;
	char *req = block("enrol-request", &qn), *ans = block("enrol-answer", &an);
	CHECK(req && ans);
	dp_enrol_request q;
	int have_req = 0;
	if (req && ans) {
		dp_enrol_answer a;
		int r = dp_enrol_request_decode(&q, (const uint8_t *)req, qn);
		CHECKF(r == DP_OK, "documented request: %s", dp_errname(r));
		have_req = r == DP_OK;
		dp_buf b;
		dp_buf_init(&b, DP_ENROL_MAX);
		if (r == DP_OK) {
			CHECK(!memcmp(q.sign_pk, dev_pk, 32) && !memcmp(q.tls_pk, tls_pk, 32));
			CHECK(!strcmp(q.age_recipient, epoch0) && q.epoch == 0);
			CHECK(dp_enrol_request_encode(&q, dev_sk, &b) == DP_OK);
			CHECK(b.len == qn && !memcmp(b.p, req, qn));
			/* its fingerprint as documented */
			size_t fn;
			char *dfp = block("enrol-fingerprint", &fn), fp[DP_FP_STR];
			CHECK(dfp && dp_enrol_fingerprint((const uint8_t *)req, qn, fp) == DP_OK);
			CHECKF(dfp && fn == DP_FP_STR && !memcmp(dfp, fp, DP_FP_STR - 1) && dfp[fn - 1] == '\n',
			       "documented fingerprint %.*s, computed %s", dfp ? (int)fn - 1 : 0, dfp ? dfp : "", fp);
			free(dfp);
		}
		r = dp_enrol_answer_decode(&a, (const uint8_t *)ans, an);
		CHECKF(r == DP_OK, "documented answer: %s", dp_errname(r));
		if (r == DP_OK) {
			CHECK(!memcmp(a.switch_sign_pk, sw_pk, 32) && !memcmp(a.switch_tls_pk, swtls_pk, 32));
			CHECK(!memcmp(a.device_id, dev_pk, 32));
			char vk[DP_NOTE_VKEY_MAX + 1];
			log_vkey(vk, sizeof vk, log_pk);
			CHECKF(!strcmp(a.log_key, vk), "documented Log-Key %s, want %s", a.log_key, vk);
			dp_buf_reset(&b);
			CHECK(dp_enrol_answer_encode(&a, sw_sk, &b) == DP_OK);
			CHECK(b.len == an && !memcmp(b.p, ans, an));
			CHECK(a.switches.n == 1);
		}
		/* the answer of a switch of three instances: one Switch-URL line each, in order */
		size_t mn;
		char *multi = block("enrol-answer-switches", &mn);
		CHECK(multi != NULL);
		dp_enrol_answer m;
		r = multi ? dp_enrol_answer_decode(&m, (const uint8_t *)multi, mn) : DP_EPARSE;
		CHECKF(r == DP_OK, "documented answer with three addresses: %s", dp_errname(r));
		if (r == DP_OK) {
			CHECK(m.switches.n == 3 && !strcmp(m.switches.url[0], "https://a.switch.mofa.example:8443") &&
			      !strcmp(m.switches.url[2], "https://[2001:db8::7]:8443"));
			CHECK(!memcmp(m.switch_tls_pk, swtls_pk, 32)); /* one pinned key for all */
			dp_buf_reset(&b);
			CHECK(dp_enrol_answer_encode(&m, sw_sk, &b) == DP_OK);
			CHECK(b.len == mn && !memcmp(b.p, multi, mn));
		}
		free(multi);
		dp_buf_free(&b);
	}

	/* the epoch key record: the request's first key, its Signature the request's Key-Signature */
	size_t kn;
	char *epk = block("epoch-key", &kn);
	CHECK(epk != NULL);
	if (epk) {
		dp_epoch_key k;
		int r = dp_epoch_key_decode(&k, (const uint8_t *)epk, kn);
		CHECKF(r == DP_OK, "documented epoch key record: %s", dp_errname(r));
		if (r == DP_OK) {
			CHECK(!memcmp(k.device, dev_pk, 32) && !strcmp(k.age_recipient, epoch0));
			dp_buf b;
			dp_buf_init(&b, DP_EPOCH_KEY_MAX);
			CHECK(dp_epoch_key_encode(&k, dev_sk, &b) == DP_OK);
			CHECKF(b.len == kn && !memcmp(b.p, epk, kn),
			       "the library encodes the documented epoch key record differently");
			if (have_req) {
				CHECK(k.epoch == q.epoch && k.not_before == q.key_not_before &&
				      k.not_after == q.key_not_after &&
				      !strcmp(k.age_recipient, q.age_recipient));
				dp_buf_reset(&b);
				CHECK(dp_epoch_key_encode_sig(&k, q.key_sig, &b) == DP_OK && b.len == kn &&
				      !memcmp(b.p, epk, kn));
			}
			dp_buf_free(&b);
		}
		/* signed: one changed value fails */
		char *e = strstr(epk, "Not-After: ");
		e = e ? strchr(e, '\n') : NULL;
		CHECK(e != NULL);
		if (e) {
			e[-1] = e[-1] == '1' ? '2' : '1'; /* a second more: still a valid window */
			CHECK(dp_epoch_key_decode(&k, (const uint8_t *)epk, kn) == DP_ESIG);
		}
	}

	/* the log's entries: each decodes, re-encodes to itself, and agrees with the examples above */
	for (int ev = DP_LOG_CABLE_ACCEPTED; ev <= DP_LOG_RECORDS; ev++) {
		if (ev == DP_LOG_DEVICE_APPROVED)
			continue; /* its example is §7a's, with a real signature */
		char name[64];
		snprintf(name, sizeof name, "log-%s", dp_log_event_name(ev));
		size_t ln;
		char *lt = block(name, &ln);
		CHECKF(lt != NULL, "no example %s", name);
		if (!lt)
			continue;
		static dp_logent e;
		int r = dp_logent_decode(&e, (const uint8_t *)lt, ln);
		CHECKF(r == DP_OK && e.event == ev, "documented %s: %s", name, dp_errname(r));
		if (r == DP_OK) {
			dp_buf b;
			dp_buf_init(&b, DP_TLOG_ENTRY_MAX);
			CHECK(dp_logent_encode(&e, &b) == DP_OK);
			CHECKF(b.len == ln && !memcmp(b.p, lt, ln),
			       "the library encodes the documented %s differently", name);
			dp_buf_free(&b);
		}
		if (r == DP_OK && ev <= DP_LOG_CABLE_ACKED && have_cable) {
			CHECK(!memcmp(e.cable_id, c.id, DP_CABLE_ID) && !strcmp(e.mrn, "26 TOKYO 000017"));
			if (ev == DP_LOG_CABLE_ACCEPTED) {
				CHECK(!memcmp(e.device, c.from_device, 32) && !strcmp(e.post, c.from));
				CHECK(e.classification == c.classification &&
				      e.prec_action == c.prec_action && e.prec_info == c.prec_info);
				CHECK(!memcmp(e.envelope_hash, sub_hash, 32));
				CHECK(e.part == 1 && e.parts == 1 && e.nrcpts == c.nrecipients);
				for (size_t i = 0; i < e.nrcpts && i < c.nrecipients; i++)
					CHECK(!memcmp(e.rcpts[i].device, c.recipients[i].device, 32) &&
					      e.rcpts[i].epoch == c.recipients[i].epoch);
			} else {
				CHECK(c.nrecipients > 0 && !memcmp(e.device, c.recipients[0].device, 32));
			}
		}
		if (r == DP_OK && ev == DP_LOG_KEY_PUBLISHED) {
			size_t rn2;
			char *rec = block("epoch-key", &rn2); /* afresh: the check above changed a byte */
			CHECKF(rec && e.record_len == rn2 && !memcmp(e.record, rec, rn2) && e.epoch == 0 &&
				       !memcmp(e.device, dev_pk, 32),
			       "the documented key-published entry is not the documented record");
			free(rec);
		}
		if (r == DP_OK && ev == DP_LOG_DEVICE_ENROLLED && have_req)
			CHECK(!memcmp(e.device, q.sign_pk, 32) && !memcmp(e.tls_key, q.tls_pk, 32) &&
			      !strcmp(e.officer, q.officer) && !strcmp(e.post, q.post) &&
			      !strcmp(e.name, q.device_name));
		/* and one changed byte of any line is refused or means something else */
		if (r == DP_OK) {
			static dp_logent x;
			char *t = strstr(lt, "\nTime: ");
			t[7] = (char)(t[7] == '1' ? '0' : t[7]); /* a leading zero */
			CHECK(dp_logent_decode(&x, (const uint8_t *)lt, ln) == DP_EPARSE);
		}
		free(lt);
	}

	free(keys);
	free(text);
	free(sighex);
	free(payload);
	free(envtext);
	free(render);
	free(req);
	free(ans);
	free(epk);
	dp_cable_free(&c);
	free(doc);
	return t_done("test_formats_doc");
}
