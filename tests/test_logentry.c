/*
 * test_logentry - the transparency log's entries (denpo/logentry.h):
 * round trips of every event, with and without its optional lines; the
 * layout written out by hand; one encoding per entry (every line missing,
 * repeated, swapped, preceded by an unknown line, ended in CR-LF or a
 * trailing space; truncations; a table of malformed values with the exact
 * error); the encoder's refusals; Source spellings; size limits; splitting
 * a cable's recipients into parts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "denpo/encoding.h"
#include "denpo/logentry.h"
#include "tests/fixture.h"
#include "tests/harness.h"

#define NEV 15 /* DP_LOG_CABLE_ACCEPTED .. DP_LOG_RECORDS */

static dp_log_rcpt rcpts[3];
static uint8_t record[300];

static void dev(uint8_t d[32], uint8_t tag)
{
	for (int i = 0; i < 32; i++)
		d[i] = (uint8_t)(tag + i);
}

/* An entry of event ev with every line it can have (optional ones included). */
static void sample(dp_logent *e, int ev)
{
	memset(e, 0, sizeof *e);
	e->event = ev;
	e->time = 1771928590;
	switch (ev) {
	case DP_LOG_CABLE_ACCEPTED:
		e->classification = DP_CLASS_SECRET;
		e->prec_action = DP_PREC_IMMEDIATE;
		e->prec_info = DP_PREC_ROUTINE;
		strcpy(e->officer, "tanaka.h");
		strcpy(e->post, "TOKYO");
		for (int i = 0; i < 32; i++)
			e->envelope_hash[i] = (uint8_t)(0xf0 ^ i);
		e->part = e->parts = 1;
		e->rcpts = rcpts;
		e->nrcpts = 3; /* and the cable's id and reference: */
		/* fall through */
	case DP_LOG_CABLE_DELIVERED:
	case DP_LOG_CABLE_FETCHED:
	case DP_LOG_CABLE_ACKED:
		for (int i = 0; i < DP_CABLE_ID; i++)
			e->cable_id[i] = (uint8_t)(i * 0x11);
		strcpy(e->mrn, "26 TOKYO 000017");
		strcpy(e->source, ev == DP_LOG_CABLE_ACCEPTED ? "192.0.2.10" : "2001:db8:10::25");
		break;
	case DP_LOG_KEY_PUBLISHED:
		e->record = record;
		e->record_len = sizeof record;
		strcpy(e->source, "198.51.100.7");
		/* fall through */
	case DP_LOG_KEY_RETIRED:
		e->epoch = 4294967295u;
		if (ev == DP_LOG_KEY_RETIRED)
			strcpy(e->text, "device revoked");
		break;
	case DP_LOG_DEVICE_ENROLLED:
		dev(e->tls_key, 0x41);
		strcpy(e->officer, "tanaka.h");
		strcpy(e->post, "TOKYO");
		strcpy(e->name, "tanaka laptop-1");
		strcpy(e->operator_, "suzuki.m");
		break;
	case DP_LOG_DEVICE_SUSPENDED:
	case DP_LOG_DEVICE_REINSTATED:
	case DP_LOG_DEVICE_REVOKED:
		strcpy(e->operator_, "soc.ito (night shift)");
		strcpy(e->text, "laptop reported stolen");
		break;
	case DP_LOG_ADMIN:
		strcpy(e->operator_, "suzuki.m");
		strcpy(e->act, "POST-ADD");
		strcpy(e->text, "SEOUL");
		break;
	case DP_LOG_ALERT:
		strcpy(e->act, "BULK-FETCH");
		strcpy(e->text, "412 fetches in 600 s (threshold 200)");
		break;
	case DP_LOG_CONTAINMENT:
		strcpy(e->act, "SUSPEND-DEVICE");
		strcpy(e->operator_, "auto");
		strcpy(e->text, "rule BULK-FETCH");
		break;
	case DP_LOG_DEVICE_APPROVED:
		strcpy(e->officer, "tanaka.h");
		dev(e->approver, 0x61);
		for (int i = 0; i < DP_ED25519_SIG; i++)
			e->sig[i] = (uint8_t)(0x80 + i);
		strcpy(e->source, "192.0.2.44");
		break;
	case DP_LOG_RECORDS:
		strcpy(e->officer, "kato.r");
		strcpy(e->act, "declassify-approve");
		for (int i = 0; i < DP_CABLE_ID; i++)
			e->cable_id[i] = (uint8_t)(0xa0 + i);
		strcpy(e->mrn, "26 TOKYO 000017");
		strcpy(e->text, "30-year review, file 2026-114");
		strcpy(e->source, "192.0.2.77");
		break;
	}
	if (ev != DP_LOG_ADMIN) { /* every other event names a device */
		dev(e->device, 0x01);
		e->has_device = 1;
	}
}

static int dec(const void *p, size_t n)
{
	static dp_logent d;
	return dp_logent_decode(&d, p, n);
}

/* encode e (must succeed) into a fresh buffer */
static dp_buf enc(const dp_logent *e)
{
	dp_buf b;
	dp_buf_init(&b, DP_TLOG_ENTRY_MAX);
	int r = dp_logent_encode(e, &b);
	CHECKF(r == DP_OK, "encode %s: %s", dp_log_event_name(e->event), dp_errname(r));
	return b;
}

/* Replace old by new in the entry, decode. */
static int mutate(const dp_buf *b, const char *old, const char *new)
{
	dp_buf t;
	if (fx_replace(&t, 1 << 20, b->p, b->len, old, new))
		return 999;
	int r = dec(t.p, t.len);
	dp_buf_free(&t);
	return r;
}

/* The fields a decoder fills, compared with what was encoded. */
static int same(const dp_logent *a, const dp_logent *d)
{
	if (a->event != d->event || a->time != d->time || strcmp(a->mrn, d->mrn) ||
	    memcmp(a->cable_id, d->cable_id, sizeof a->cable_id) ||
	    memcmp(a->envelope_hash, d->envelope_hash, 32) || a->classification != d->classification ||
	    a->prec_action != d->prec_action || a->prec_info != d->prec_info ||
	    strcmp(a->officer, d->officer) || strcmp(a->post, d->post) || a->part != d->part ||
	    a->parts != d->parts || a->nrcpts != d->nrcpts || strcmp(a->source, d->source) ||
	    a->epoch != d->epoch || a->record_len != d->record_len ||
	    memcmp(a->tls_key, d->tls_key, 32) || strcmp(a->name, d->name) ||
	    strcmp(a->operator_, d->operator_) || strcmp(a->act, d->act) || strcmp(a->text, d->text) ||
	    memcmp(a->approver, d->approver, 32) || memcmp(a->sig, d->sig, sizeof a->sig))
		return 0;
	if (a->has_device != d->has_device || memcmp(a->device, d->device, 32))
		return 0;
	if (a->nrcpts && (d->rcpts != d->rcpt_buf ||
			  memcmp(a->rcpts, d->rcpts, a->nrcpts * sizeof *a->rcpts)))
		return 0;
	if (a->record_len && (d->record != d->record_buf || memcmp(a->record, d->record, a->record_len)))
		return 0;
	return 1;
}

static void round_trip(const dp_logent *e, const char *what)
{
	dp_buf b = enc(e), b2;
	static dp_logent d;
	int r = dp_logent_decode(&d, b.p, b.len);
	CHECKF(r == DP_OK, "%s: decode: %s", what, dp_errname(r));
	CHECKF(r || same(e, &d), "%s: decoded fields differ", what);
	b2 = enc(&d);
	CHECKF(b2.len == b.len && !memcmp(b2.p, b.p, b.len), "%s: re-encoding differs", what);
	CHECKF(b.len <= DP_TLOG_ENTRY_MAX, "%s: %zu bytes", what, b.len);
	dp_buf_free(&b);
	dp_buf_free(&b2);
}

static void test_round_trips(void)
{
	for (int ev = 1; ev <= NEV; ev++) {
		dp_logent e;
		sample(&e, ev);
		CHECK(dp_log_event_name(ev) != NULL);
		round_trip(&e, dp_log_event_name(ev));
		/* without the optional lines */
		e.source[0] = 0;
		if (ev >= DP_LOG_DEVICE_SUSPENDED)
			e.text[0] = 0;
		if (ev == DP_LOG_ALERT || ev == DP_LOG_CONTAINMENT) {
			e.has_device = 0;
			memset(e.device, 0, sizeof e.device);
		}
		round_trip(&e, dp_log_event_name(ev));
	}
	CHECK(dp_log_event_name(0) == NULL && dp_log_event_name(NEV + 1) == NULL &&
	      dp_log_event_name(-1) == NULL);
	CHECK(!strcmp(dp_log_event_name(DP_LOG_CABLE_ACCEPTED), "cable-accepted"));
	CHECK(!strcmp(dp_log_event_name(DP_LOG_CONTAINMENT), "containment"));

	/* the decoder names the device for every event that has one */
	dp_logent e, d;
	sample(&e, DP_LOG_CABLE_FETCHED);
	e.has_device = 0; /* ignored: Device is required here */
	dp_buf b = enc(&e);
	CHECK(dp_logent_decode(&d, b.p, b.len) == DP_OK && d.has_device == 1);
	dp_buf_free(&b);
	sample(&e, DP_LOG_ADMIN);
	b = enc(&e);
	CHECK(dp_logent_decode(&d, b.p, b.len) == DP_OK && d.has_device == 0);
	CHECK(memmem(b.p, b.len, "Device", 6) == NULL); /* admin has no device, whatever e holds */
	dp_buf_free(&b);
	/* fields of other events are not written */
	sample(&e, DP_LOG_CABLE_ACKED);
	strcpy(e.operator_, "someone");
	e.epoch = 9;
	b = enc(&e);
	CHECK(memmem(b.p, b.len, "someone", 7) == NULL && memmem(b.p, b.len, "Key-Epoch", 9) == NULL);
	dp_buf_free(&b);
}

/* The layout, written out by hand. */
static void test_layout(void)
{
	dp_logent e;
	sample(&e, DP_LOG_CABLE_ACCEPTED);
	dp_buf b = enc(&e);
	char want[2048], hx[3][65], hdev[65], hh[65];
	for (int i = 0; i < 3; i++)
		dp_hex_encode(hx[i], rcpts[i].device, 32);
	dp_hex_encode(hdev, e.device, 32);
	dp_hex_encode(hh, e.envelope_hash, 32);
	snprintf(want, sizeof want,
		 "DENPO-LOG/1\nEvent: cable-accepted\nTime: 1771928590\n"
		 "Cable-Id: 00112233445566778899aabbccddeeff\nReference: 26 TOKYO 000017\n"
		 "Envelope-Hash: %s\nOriginator: %s\nOfficer: tanaka.h\nPost: TOKYO\n"
		 "Classification: SECRET\nPrecedence: IMMEDIATE/ROUTINE\nSource: 192.0.2.10\n"
		 "Part: 1/1\nRecipient: %s 0\nRecipient: %s 2\nRecipient: %s 4294967295\n",
		 hh, hdev, hx[0], hx[1], hx[2]);
	CHECKF(b.len == strlen(want) && !memcmp(b.p, want, b.len), "got:\n%.*s", (int)b.len,
	       (const char *)b.p);
	dp_buf_free(&b);

	sample(&e, DP_LOG_ALERT);
	e.has_device = 0;
	b = enc(&e);
	static const char alert[] = "DENPO-LOG/1\nEvent: alert\nTime: 1771928590\nRule: BULK-FETCH\n"
				    "Detail: 412 fetches in 600 s (threshold 200)\n";
	CHECK(b.len == strlen(alert) && !memcmp(b.p, alert, b.len));
	dp_buf_free(&b);

	sample(&e, DP_LOG_KEY_PUBLISHED);
	e.record = (const uint8_t *)"DENPO-EPOCH-KEY/1\n";
	e.record_len = 18;
	e.source[0] = 0;
	b = enc(&e);
	snprintf(want, sizeof want,
		 "DENPO-LOG/1\nEvent: key-published\nTime: 1771928590\nDevice: %s\n"
		 "Key-Epoch: 4294967295\nRecord: REVOUE8tRVBPQ0gtS0VZLzEK\n",
		 hdev);
	CHECK(b.len == strlen(want) && !memcmp(b.p, want, b.len));
	dp_buf_free(&b);
}

/*
 * Each line removed, doubled, swapped with the next, after an unknown
 * line, in CR-LF, with a trailing space; truncations; bytes after the end.
 */
static void structure(const dp_logent *e)
{
	const char *what = dp_log_event_name(e->event);
	dp_buf b = enc(e);
	const uint8_t *ls[64];
	size_t ln[64], k = 0, off = 0;
	while (off < b.len && k < 64) {
		const uint8_t *nl = memchr(b.p + off, '\n', b.len - off);
		ls[k] = b.p + off;
		ln[k] = (size_t)(nl - ls[k]) + 1;
		off += ln[k++];
	}
	CHECK(off == b.len);
	dp_buf t;
	dp_buf_init(&t, 1 << 16);
	for (size_t i = 0; i < k; i++) {
		int optional = !memcmp(ls[i], "Source: ", 8) ||
			       (!memcmp(ls[i], "Device: ", 8) &&
				(e->event == DP_LOG_ALERT || e->event == DP_LOG_CONTAINMENT)) ||
			       (!memcmp(ls[i], "Reason: ", 8) && e->event != DP_LOG_KEY_RETIRED) ||
			       !memcmp(ls[i], "Detail: ", 8) ||
			       (!memcmp(ls[i], "Recipient: ", 11) && e->nrcpts > 1);
		for (int variant = 0; variant < 6; variant++) {
			if (variant == 2 && i + 1 >= k)
				continue;
			dp_buf_reset(&t);
			t.len = 0;
			int ok = 1;
			for (size_t j = 0; j < k; j++) {
				if (j != i) {
					ok = ok && !dp_buf_append(&t, ls[j], ln[j]);
					continue;
				}
				switch (variant) {
				case 0: /* missing */
					break;
				case 1: /* repeated */
					ok = ok && !dp_buf_append(&t, ls[j], ln[j]) &&
					     !dp_buf_append(&t, ls[j], ln[j]);
					break;
				case 2: /* swapped with the next */
					ok = ok && !dp_buf_append(&t, ls[j + 1], ln[j + 1]) &&
					     !dp_buf_append(&t, ls[j], ln[j]);
					j++;
					break;
				case 3: /* an unknown line before it */
					ok = ok && !dp_buf_puts(&t, "X-Extra: 1\n") &&
					     !dp_buf_append(&t, ls[j], ln[j]);
					break;
				case 4: /* CR-LF */
					ok = ok && !dp_buf_append(&t, ls[j], ln[j] - 1) &&
					     !dp_buf_puts(&t, "\r\n");
					break;
				case 5: /* a trailing space */
					ok = ok && !dp_buf_append(&t, ls[j], ln[j] - 1) &&
					     !dp_buf_puts(&t, " \n");
					break;
				}
			}
			int want = variant == 0 && optional ? DP_OK : DP_EPARSE;
			int r = ok ? dec(t.p, t.len) : 999;
			CHECKF(r == want, "%s line %zu (%.*s) variant %d: %s", what, i,
			       (int)(ln[i] - 1 > 50 ? 50 : ln[i] - 1), (const char *)ls[i], variant,
			       dp_errname(r));
		}
	}
	/* every truncation fails, but where it drops whole optional lines at the end */
	int bad = 0;
	for (size_t n = 0; n < b.len; n++) {
		int r = dec(b.p, n);
		int tail_ok = n > 0 && b.p[n - 1] == '\n' && r == DP_OK;
		if (r != DP_EPARSE && !tail_ok) {
			bad++;
			fprintf(stderr, "%s truncated to %zu: %s\n", what, n, dp_errname(r));
		}
		if (tail_ok) {
			/* what is left must be the entry minus trailing optional lines or recipients */
			const uint8_t *rest = b.p + n;
			if (memcmp(rest, "Source: ", 8) && memcmp(rest, "Detail: ", 8) &&
			    memcmp(rest, "Reason: ", 8) && memcmp(rest, "Recipient: ", 11) &&
			    (memcmp(rest, "Device: ", 8) || e->event != DP_LOG_ALERT)) {
				bad++;
				fprintf(stderr, "%s truncated to %zu accepted\n", what, n);
			}
		}
	}
	CHECKF(bad == 0, "%s truncations", what);
	/* bytes after the last line; the last line without its LF; a blank line */
	uint8_t *x = malloc(b.len + 2);
	memcpy(x, b.p, b.len);
	x[b.len] = ' ';
	CHECK(dec(x, b.len + 1) == DP_EPARSE);
	x[b.len] = '\n';
	CHECK(dec(x, b.len + 1) == DP_EPARSE);
	x[b.len] = 'X';
	x[b.len + 1] = '\n';
	CHECK(dec(x, b.len + 2) == DP_EPARSE);
	CHECK(dec(x, b.len - 1) == DP_EPARSE);
	x[b.len - 1] = 0;
	CHECK(dec(x, b.len) == DP_EPARSE);
	free(x);
	dp_buf_free(&t);
	dp_buf_free(&b);
}

static void test_structure(void)
{
	for (int ev = 1; ev <= NEV; ev++) {
		dp_logent e;
		sample(&e, ev);
		structure(&e);
	}
}

/* Malformed values: (event, old, new, expected). */
static const struct {
	int ev;
	const char *old, *new;
	int want;
} bad_values[] = {
	/* framing */
	{DP_LOG_ADMIN, "DENPO-LOG/1\n", "DENPO-LOG/2\n", DP_EPARSE},
	{DP_LOG_ADMIN, "DENPO-LOG/1\n", "denpo-log/1\n", DP_EPARSE},
	{DP_LOG_ADMIN, "DENPO-LOG/1\n", "\nDENPO-LOG/1\n", DP_EPARSE},
	{DP_LOG_ADMIN, "DENPO-LOG/1\n", "DENPO-LOG/1\r\n", DP_EPARSE},
	{DP_LOG_ADMIN, "DENPO-LOG/1\n", "", DP_EPARSE},
	{DP_LOG_ADMIN, "Event: admin", "Event: Admin", DP_EPARSE},
	{DP_LOG_ADMIN, "Event: admin", "Event: admin-act", DP_EPARSE},
	{DP_LOG_ADMIN, "Event: admin", "Event:  admin", DP_EPARSE},
	{DP_LOG_ADMIN, "Event: admin", "Event:admin", DP_EPARSE},
	{DP_LOG_ADMIN, "Event: admin", "event: admin", DP_EPARSE},
	{DP_LOG_ADMIN, "Event: admin", "Event: ", DP_EPARSE},
	{DP_LOG_ADMIN, "Event: admin", "Event: alert", DP_EPARSE}, /* other lines */
	{DP_LOG_ADMIN, "Operator: suzuki.m", "Operator: suzuki.m\tx", DP_EPARSE},
	/* Time */
	{DP_LOG_ADMIN, "Time: 1771928590", "Time: 01771928590", DP_EPARSE},
	{DP_LOG_ADMIN, "Time: 1771928590", "Time: +1771928590", DP_EPARSE},
	{DP_LOG_ADMIN, "Time: 1771928590", "Time: -1", DP_EPARSE},
	{DP_LOG_ADMIN, "Time: 1771928590", "Time: 946684799", DP_EPARSE},
	{DP_LOG_ADMIN, "Time: 1771928590", "Time: 946684800", DP_OK},
	{DP_LOG_ADMIN, "Time: 1771928590", "Time: 4102444799", DP_OK},
	{DP_LOG_ADMIN, "Time: 1771928590", "Time: 4102444800", DP_EPARSE},
	{DP_LOG_ADMIN, "Time: 1771928590", "Time: 99999999999999999999", DP_EPARSE},
	{DP_LOG_ADMIN, "Time: 1771928590", "Time: 1771928590.5", DP_EPARSE},
	/* cable lines */
	{DP_LOG_CABLE_FETCHED, "Cable-Id: 00112233445566778899aabbccddeeff",
	 "Cable-Id: 00112233445566778899AABBCCDDEEFF", DP_EPARSE},
	{DP_LOG_CABLE_FETCHED, "Cable-Id: 00112233445566778899aabbccddeeff",
	 "Cable-Id: 00112233445566778899aabbccddee", DP_EPARSE},
	{DP_LOG_CABLE_FETCHED, "Cable-Id: 00112233445566778899aabbccddeeff",
	 "Cable-Id: 00112233445566778899aabbccddeeff00", DP_EPARSE},
	{DP_LOG_CABLE_FETCHED, "Cable-Id: 00112233445566778899aabbccddeeff",
	 "Cable-Id: 0x112233445566778899aabbccddeeff", DP_EPARSE},
	{DP_LOG_CABLE_FETCHED, "Reference: 26 TOKYO 000017", "Reference: 26 TOKYO 000000", DP_EPARSE},
	{DP_LOG_CABLE_FETCHED, "Reference: 26 TOKYO 000017", "Reference: 26 TOKYO 17", DP_EPARSE},
	{DP_LOG_CABLE_FETCHED, "Reference: 26 TOKYO 000017", "Reference: 26 tokyo 000017", DP_EPARSE},
	{DP_LOG_CABLE_FETCHED, "Reference: 26 TOKYO 000017", "Reference: 26 TOKYO  000017", DP_EPARSE},
	{DP_LOG_CABLE_FETCHED, "Reference: 26 TOKYO 000017", "Reference: 26 ALL POSTS 000017", DP_OK},
	/* a wide serial (past 999999) is an MRN; a leading zero or a 16th digit is not */
	{DP_LOG_CABLE_FETCHED, "Reference: 26 TOKYO 000017", "Reference: 26 TOKYO 1000000", DP_OK},
	{DP_LOG_CABLE_FETCHED, "Reference: 26 TOKYO 000017", "Reference: 26 TOKYO 999999999999999", DP_OK},
	{DP_LOG_CABLE_FETCHED, "Reference: 26 TOKYO 000017", "Reference: 26 TOKYO 0000017", DP_EPARSE},
	{DP_LOG_CABLE_FETCHED, "Reference: 26 TOKYO 000017", "Reference: 26 TOKYO 1000000000000000", DP_EPARSE},
	/* 49-byte post: not a name, though the MRN fits DP_MRN_MAX (67) */
	{DP_LOG_CABLE_FETCHED, "Reference: 26 TOKYO 000017",
	 "Reference: 26 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA 000017", DP_EPARSE},
	/* 48-byte post and 16 digits: 68 bytes, past DP_MRN_MAX */
	{DP_LOG_CABLE_FETCHED, "Reference: 26 TOKYO 000017",
	 "Reference: 26 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA 1000000000000000", DP_ETOOBIG},
	{DP_LOG_CABLE_ACCEPTED, "Classification: SECRET", "Classification: S", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Classification: SECRET", "Classification: secret", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Classification: SECRET", "Classification: COSMIC", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Classification: SECRET", "Classification: TOP SECRET", DP_OK},
	{DP_LOG_CABLE_ACCEPTED, "Precedence: IMMEDIATE/ROUTINE", "Precedence: O/R", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Precedence: IMMEDIATE/ROUTINE", "Precedence: ROUTINE/IMMEDIATE", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Precedence: IMMEDIATE/ROUTINE", "Precedence: IMMEDIATE", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Precedence: IMMEDIATE/ROUTINE", "Precedence: IMMEDIATE/", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Precedence: IMMEDIATE/ROUTINE", "Precedence: IMMEDIATE/ROUTINE/ROUTINE", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Precedence: IMMEDIATE/ROUTINE", "Precedence: IMMEDIATE / ROUTINE", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Precedence: IMMEDIATE/ROUTINE", "Precedence: FLASH/FLASH", DP_OK},
	{DP_LOG_CABLE_ACCEPTED, "Officer: tanaka.h", "Officer: Tanaka.h", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Post: TOKYO", "Post: Tokyo", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Post: TOKYO", "Post: TOKYO ", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Post: TOKYO", "Post: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", DP_ETOOBIG},
	/* parts */
	{DP_LOG_CABLE_ACCEPTED, "Part: 1/1", "Part: 0/1", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Part: 1/1", "Part: 2/1", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Part: 1/1", "Part: 01/1", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Part: 1/1", "Part: 1/01", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Part: 1/1", "Part: 1/0", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Part: 1/1", "Part: 1", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Part: 1/1", "Part: 1/1/1", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Part: 1/1", "Part: 1 of 1", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Part: 1/1", "Part: /1", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Part: 1/1", "Part: 1/2", DP_EPARSE}, /* a short part not last */
	{DP_LOG_CABLE_ACCEPTED, "Part: 1/1", "Part: 2/2", DP_OK},     /* the short last part */
	{DP_LOG_CABLE_ACCEPTED, "Part: 1/1", "Part: 64/64", DP_OK},
	{DP_LOG_CABLE_ACCEPTED, "Part: 1/1", "Part: 65/65", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Part: 1/1", "Part: 1/18446744073709551617", DP_EPARSE},
	/* keys */
	{DP_LOG_KEY_RETIRED, "Key-Epoch: 4294967295", "Key-Epoch: 4294967296", DP_EPARSE},
	{DP_LOG_KEY_RETIRED, "Key-Epoch: 4294967295", "Key-Epoch: 0", DP_OK},
	{DP_LOG_KEY_RETIRED, "Key-Epoch: 4294967295", "Key-Epoch: 00", DP_EPARSE},
	{DP_LOG_KEY_RETIRED, "Key-Epoch: 4294967295", "Key-Epoch: -1", DP_EPARSE},
	{DP_LOG_KEY_RETIRED, "Reason: device revoked", "Reason: closed", DP_OK},
	{DP_LOG_KEY_RETIRED, "Reason: device revoked", "Reason: ", DP_EPARSE},
	{DP_LOG_KEY_RETIRED, "Reason: device revoked", "Reason:  closed", DP_EPARSE},
	{DP_LOG_KEY_RETIRED, "Reason: device revoked", "Reason: device  revoked", DP_OK},
	{DP_LOG_KEY_RETIRED, "Reason: device revoked", "Reason: d\xc3\xa9vice", DP_EPARSE},
	{DP_LOG_KEY_RETIRED, "Reason: device revoked", "Reason: device\x7f", DP_EPARSE},
	/* device lines */
	{DP_LOG_DEVICE_ENROLLED, "Name: tanaka laptop-1", "Name: -tanaka", DP_EPARSE},
	{DP_LOG_DEVICE_ENROLLED, "Name: tanaka laptop-1", "Name: tanaka  laptop", DP_EPARSE},
	{DP_LOG_DEVICE_ENROLLED, "Name: tanaka laptop-1", "Name: tanaka/laptop", DP_EPARSE},
	{DP_LOG_DEVICE_ENROLLED, "Name: tanaka laptop-1", "Name: TOKYO DESK 2", DP_OK},
	{DP_LOG_DEVICE_ENROLLED, "Operator: suzuki.m", "Operator: suzuki.m ", DP_EPARSE},
	{DP_LOG_DEVICE_ENROLLED, "Operator: suzuki.m", "Operator:  suzuki.m", DP_EPARSE},
	{DP_LOG_DEVICE_ENROLLED, "Operator: suzuki.m", "Operator: ", DP_EPARSE},
	{DP_LOG_DEVICE_ENROLLED, "Operator: suzuki.m", "Operator: Suzuki M. <suzuki@hq>", DP_OK},
	/* names */
	{DP_LOG_ADMIN, "Act: POST-ADD", "Act: post-add", DP_EPARSE},
	{DP_LOG_ADMIN, "Act: POST-ADD", "Act: POST ADD", DP_OK},
	{DP_LOG_ADMIN, "Act: POST-ADD", "Act: POST, ADD", DP_EPARSE},
	{DP_LOG_ALERT, "Rule: BULK-FETCH", "Rule: -BULK", DP_EPARSE},
	{DP_LOG_CONTAINMENT, "Action: SUSPEND-DEVICE", "Action: ", DP_EPARSE},
	/* an approval's signature is 64 bytes in padded base64 */
	{DP_LOG_DEVICE_APPROVED, "Signature: gIGC", "Signature: gIGCgIGC", DP_EPARSE},
	{DP_LOG_DEVICE_APPROVED, "Approver: 6162", "Approver: 616", DP_EPARSE},
	/* records: an act by its one name; the cable's lines exactly when the act names one */
	{DP_LOG_RECORDS, "Act: declassify-approve", "Act: DECLASSIFY-APPROVE", DP_EPARSE},
	{DP_LOG_RECORDS, "Act: declassify-approve", "Act: declassify", DP_EPARSE},
	{DP_LOG_RECORDS, "Act: declassify-approve", "Act: read", DP_OK},
	{DP_LOG_RECORDS, "Act: declassify-approve", "Act: destroy", DP_OK},
	{DP_LOG_RECORDS, "Act: declassify-approve", "Act: search", DP_EPARSE},
	{DP_LOG_RECORDS, "Act: declassify-approve", "Act:  read", DP_EPARSE},
	{DP_LOG_RECORDS, "Officer: kato.r", "Officer: Kato.R", DP_EPARSE},
	{DP_LOG_RECORDS, "Reference: 26 TOKYO 000017", "Reference: 26 tokyo 17", DP_EPARSE},
	/* Source: the one spelling of an address */
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10", "Source: ::ffff:192.0.2.10", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10", "Source: ::ffff:c000:20a", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10", "Source: ::192.0.2.10", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10", "Source: 192.0.2.010", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10", "Source: 192.0.2", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10", "Source: 192.0.2.256", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10", "Source: 192.0.2.10:443", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10", "Source: 0xc000020a", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10", "Source: switch.example", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10", "Source: 2001:db8::1", DP_OK},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10", "Source: ::1", DP_OK},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10", "Source: ::", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10", "Source: 0.0.0.0", DP_OK},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10", "Source: 2001:DB8::1", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10", "Source: 2001:0db8::1", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10", "Source: 2001:db8:0:0:0:0:0:1", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10", "Source: 2001:db8::1:1:1:1:1", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10", "Source: 2001:db8:0:1:1:1:1:1", DP_OK},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10", "Source: 2001:db8:0:0:1:0:0:1", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10", "Source: 2001:db8::1:0:0:1", DP_OK},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10", "Source: fe80::1%eth0", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10", "Source: [2001:db8::1]", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10",
	 "Source: 2001:db8:1111:2222:3333:4444:5555:6666:7777", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10",
	 "Source: 2001:0db8:0001:0002:0003:0004:0005:0006:0007", DP_EPARSE},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10", "Source: 64:ff9b::c000:20a", DP_OK},
	{DP_LOG_CABLE_ACCEPTED, "Source: 192.0.2.10", "Source: 64:ff9b::192.0.2.10", DP_EPARSE},
};

static void test_values(void)
{
	for (size_t i = 0; i < sizeof bad_values / sizeof *bad_values; i++) {
		dp_logent e;
		sample(&e, bad_values[i].ev);
		dp_buf b = enc(&e);
		int r = mutate(&b, bad_values[i].old, bad_values[i].new);
		CHECKF(r == bad_values[i].want, "%s: \"%s\" -> \"%s\": %s, want %s",
		       dp_log_event_name(bad_values[i].ev), bad_values[i].old, bad_values[i].new,
		       dp_errname(r), dp_errname(bad_values[i].want));
		dp_buf_free(&b);
	}

	/* recipients: sorted strictly by device, "<hex64> <u32>" */
	dp_logent e;
	sample(&e, DP_LOG_CABLE_ACCEPTED);
	dp_buf b = enc(&e);
	char h[3][65], l[3][100], m[300];
	for (int i = 0; i < 3; i++) {
		dp_hex_encode(h[i], rcpts[i].device, 32);
		snprintf(l[i], sizeof l[i], "Recipient: %.64s %lu\n", h[i], (unsigned long)rcpts[i].epoch);
	}
	snprintf(m, sizeof m, "%s%s", l[0], l[1]);
	char sw[400];
	snprintf(sw, sizeof sw, "%s%s", l[1], l[0]);
	CHECK(mutate(&b, m, sw) == DP_EPARSE); /* unsorted */
	snprintf(sw, sizeof sw, "%s%s", l[0], l[0]);
	CHECK(mutate(&b, m, sw) == DP_EPARSE); /* duplicate */
	snprintf(sw, sizeof sw, "Recipient: %s 7\n%s", h[0], l[1]);
	CHECK(mutate(&b, m, sw) == DP_OK); /* another epoch */
	snprintf(sw, sizeof sw, "Recipient: %s 07\n%s", h[0], l[1]);
	CHECK(mutate(&b, m, sw) == DP_EPARSE);
	snprintf(sw, sizeof sw, "Recipient: %s  0\n%s", h[0], l[1]);
	CHECK(mutate(&b, m, sw) == DP_EPARSE);
	snprintf(sw, sizeof sw, "Recipient: %s\n%s", h[0], l[1]);
	CHECK(mutate(&b, m, sw) == DP_EPARSE);
	snprintf(sw, sizeof sw, "Recipient: %s 4294967296\n%s", h[0], l[1]);
	CHECK(mutate(&b, m, sw) == DP_EPARSE);
	snprintf(sw, sizeof sw, "Recipient: %.63s 0\n%s", h[0], l[1]);
	CHECK(mutate(&b, m, sw) == DP_EPARSE);
	char up[65];
	strcpy(up, h[0]);
	for (char *c = up; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 32);
	snprintf(sw, sizeof sw, "Recipient: %s 0\n%s", up, l[1]);
	CHECK(mutate(&b, m, sw) == DP_EPARSE);
	/* no recipient at all */
	snprintf(sw, sizeof sw, "%s%s%s", l[0], l[1], l[2]);
	CHECK(mutate(&b, sw, "") == DP_EPARSE);
	/* Recipient lines elsewhere than last */
	snprintf(sw, sizeof sw, "%sPart: 1/1\n", l[0]);
	CHECK(mutate(&b, "Part: 1/1\n", sw) == DP_EPARSE);
	dp_buf_free(&b);

	/* one upper-case digit in the device's hex, in every event that names one */
	for (int ev = 1; ev <= NEV; ev++) {
		sample(&e, ev);
		if (!e.has_device)
			continue;
		b = enc(&e);
		char hx[65];
		dp_hex_encode(hx, e.device, 32);
		char *at = memmem(b.p, b.len, hx, 64);
		CHECK(at != NULL);
		if (at) {
			at += strcspn(at, "abcdef");
			*at = (char)(*at - 32);
			CHECKF(dec(b.p, b.len) == DP_EPARSE, "%s", dp_log_event_name(ev));
		}
		dp_buf_free(&b);
	}

	/* Record: canonical padded base64 of 1..DP_EPOCH_KEY_MAX bytes */
	sample(&e, DP_LOG_KEY_PUBLISHED);
	e.record_len = 2; /* 00 07: "AAc=" */
	b = enc(&e);
	CHECK(memmem(b.p, b.len, "Record: AAc=\n", 13) != NULL);
	CHECK(mutate(&b, "Record: AAc=", "Record: AAd=") == DP_EPARSE); /* trailing bits */
	CHECK(mutate(&b, "Record: AAc=", "Record: AAc") == DP_EPARSE);   /* unpadded */
	CHECK(mutate(&b, "Record: AAc=", "Record: AA c=") == DP_EPARSE);
	CHECK(mutate(&b, "Record: AAc=", "Record: A-c=") == DP_EPARSE); /* url alphabet */
	CHECK(mutate(&b, "Record: AAc=", "Record: ") == DP_EPARSE);     /* empty */
	CHECK(mutate(&b, "Record: AAc=", "Record: AAcA") == DP_OK);
	dp_buf_free(&b);
}

/* The encoder refuses what the decoder would: DP_EINVAL, and nothing written. */
/* A search names no cable: its entry has no Cable-Id or Reference, and refuses them. */
static void test_records_search(void)
{
	dp_logent e, d;
	sample(&e, DP_LOG_RECORDS);
	strcpy(e.act, "search");
	strcpy(e.text, "subject:NORMALIZATION 1972..1975");
	dp_buf b = enc(&e);
	CHECK(memmem(b.p, b.len, "Cable-Id", 8) == NULL && memmem(b.p, b.len, "Reference", 9) == NULL);
	CHECK(dp_logent_decode(&d, b.p, b.len) == DP_OK && !strcmp(d.act, "search") && !d.mrn[0] &&
	      !strcmp(d.text, e.text));
	/* a Cable-Id and Reference added to a search: not its one encoding */
	CHECK(mutate(&b, "Act: search\n",
		     "Act: search\nCable-Id: a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\n"
		     "Reference: 26 TOKYO 000017\n") == DP_EPARSE);
	CHECK(mutate(&b, "Act: search\n", "Act: read\n") == DP_EPARSE); /* a read names its cable */
	dp_buf_free(&b);
	/* without detail and source (and no cable: a search's entry has none to decode) */
	e.text[0] = e.source[0] = 0;
	memset(e.cable_id, 0, sizeof e.cable_id);
	e.mrn[0] = 0;
	round_trip(&e, "records search");
	/* the encoder: an unknown act, an act in another spelling, a cable act without its reference */
	dp_buf_init(&b, DP_TLOG_ENTRY_MAX);
	strcpy(e.act, "peek");
	CHECK(dp_logent_encode(&e, &b) == DP_EINVAL && b.len == 0);
	strcpy(e.act, "READ");
	CHECK(dp_logent_encode(&e, &b) == DP_EINVAL && b.len == 0);
	strcpy(e.act, "read");
	e.mrn[0] = 0;
	CHECK(dp_logent_encode(&e, &b) == DP_EINVAL && b.len == 0);
	dp_buf_free(&b);
}

static void test_encode_refuses(void)
{
	dp_logent e;
	dp_buf b;
	dp_buf_init(&b, DP_TLOG_ENTRY_MAX);
#define REFUSE(ev, stmt)                                                                   \
	do {                                                                               \
		sample(&e, ev);                                                            \
		stmt;                                                                      \
		int r_ = dp_logent_encode(&e, &b);                                         \
		CHECKF(r_ == DP_EINVAL && b.len == 0, "%s: %s: %s", dp_log_event_name(ev), \
		       #stmt, dp_errname(r_));                                             \
	} while (0)
	REFUSE(DP_LOG_ADMIN, e.event = 0);
	REFUSE(DP_LOG_ADMIN, e.event = NEV + 1);
	REFUSE(DP_LOG_ADMIN, e.event = -3);
	REFUSE(DP_LOG_ADMIN, e.time = DP_CREATED_MIN - 1);
	REFUSE(DP_LOG_ADMIN, e.time = DP_CREATED_MAX + 1);
	REFUSE(DP_LOG_ADMIN, e.time = -1);
	REFUSE(DP_LOG_ADMIN, e.operator_[0] = 0);
	REFUSE(DP_LOG_ADMIN, strcpy(e.operator_, " x"));
	REFUSE(DP_LOG_ADMIN, strcpy(e.operator_, "x\n"));
	REFUSE(DP_LOG_ADMIN, memset(e.operator_, 'x', sizeof e.operator_)); /* no NUL */
	REFUSE(DP_LOG_ADMIN, e.act[0] = 0);
	REFUSE(DP_LOG_ADMIN, strcpy(e.act, "post-add"));
	REFUSE(DP_LOG_ADMIN, strcpy(e.text, "trailing "));
	REFUSE(DP_LOG_KEY_RETIRED, e.text[0] = 0); /* its Reason is required */
	REFUSE(DP_LOG_KEY_PUBLISHED, e.record = NULL);
	REFUSE(DP_LOG_KEY_PUBLISHED, e.record_len = 0);
	REFUSE(DP_LOG_KEY_PUBLISHED, e.record_len = DP_EPOCH_KEY_MAX + 1);
	REFUSE(DP_LOG_KEY_PUBLISHED, strcpy(e.source, "::ffff:198.51.100.7"));
	REFUSE(DP_LOG_CABLE_ACKED, strcpy(e.source, "2001:DB8::1"));
	REFUSE(DP_LOG_CABLE_ACKED, strcpy(e.source, "localhost"));
	REFUSE(DP_LOG_CABLE_ACKED, memset(e.source, '1', sizeof e.source));
	REFUSE(DP_LOG_CABLE_ACKED, strcpy(e.mrn, "26 TOKYO 0000017"));
	REFUSE(DP_LOG_CABLE_ACKED, e.mrn[0] = 0);
	REFUSE(DP_LOG_CABLE_ACCEPTED, e.classification = 5);
	REFUSE(DP_LOG_CABLE_ACCEPTED, e.classification = -1);
	REFUSE(DP_LOG_CABLE_ACCEPTED, e.prec_info = DP_PREC_FLASH); /* info more urgent */
	REFUSE(DP_LOG_CABLE_ACCEPTED, e.prec_info = 4);
	REFUSE(DP_LOG_CABLE_ACCEPTED, e.prec_action = -1);
	REFUSE(DP_LOG_CABLE_ACCEPTED, strcpy(e.officer, "Tanaka"));
	REFUSE(DP_LOG_CABLE_ACCEPTED, strcpy(e.post, "tokyo"));
	REFUSE(DP_LOG_CABLE_ACCEPTED, e.part = 0);
	REFUSE(DP_LOG_CABLE_ACCEPTED, e.part = 2);
	REFUSE(DP_LOG_CABLE_ACCEPTED, (e.part = 65, e.parts = 65));
	REFUSE(DP_LOG_CABLE_ACCEPTED, e.parts = 2); /* part 1 of 2 with 3 recipients */
	REFUSE(DP_LOG_CABLE_ACCEPTED, e.nrcpts = 0);
	REFUSE(DP_LOG_CABLE_ACCEPTED, e.rcpts = NULL);
	REFUSE(DP_LOG_CABLE_ACCEPTED, e.nrcpts = DP_LOG_RCPTS_PER_ENTRY + 1);
	{
		dp_log_rcpt r2[2] = {rcpts[1], rcpts[0]};
		REFUSE(DP_LOG_CABLE_ACCEPTED, (e.rcpts = r2, e.nrcpts = 2));
		r2[1] = rcpts[1];
		REFUSE(DP_LOG_CABLE_ACCEPTED, (e.rcpts = r2, e.nrcpts = 2));
	}
	REFUSE(DP_LOG_DEVICE_ENROLLED, strcpy(e.name, "tanaka  laptop"));
	REFUSE(DP_LOG_DEVICE_ENROLLED, e.name[0] = 0);
	REFUSE(DP_LOG_DEVICE_ENROLLED, e.officer[0] = 0);
#undef REFUSE
	/* and out is left as it was, also when it has too little room */
	sample(&e, DP_LOG_ADMIN);
	dp_buf small;
	dp_buf_init(&small, 20);
	CHECK(dp_buf_puts(&small, "abc") == DP_OK);
	CHECK(dp_logent_encode(&e, &small) == DP_ETOOBIG && small.len == 3 &&
	      strcmp((const char *)small.p, "abc") == 0);
	/* and an entry appended after what out held, the rest kept */
	dp_buf two;
	dp_buf_init(&two, 2 * DP_TLOG_ENTRY_MAX);
	CHECK(dp_buf_puts(&two, "abc") == DP_OK && dp_logent_encode(&e, &two) == DP_OK &&
	      two.len > 3 && memcmp(two.p, "abcDENPO", 8) == 0 && two.p[two.len] == 0);
	dp_buf_free(&two);
	dp_buf_free(&small);
	dp_buf_free(&b);
}

/* Source spellings: dp_log_addr_canon */
static void test_addr(void)
{
	static const struct {
		const char *in, *out; /* out NULL: DP_EINVAL */
	} c[] = {
		{"192.0.2.10", "192.0.2.10"},
		{"::ffff:192.0.2.10", "192.0.2.10"},
		{"::FFFF:C000:020A", "192.0.2.10"},
		{"2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
		{"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
		{"2001:db8::1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
		{"0:0:0:0:0:0:0:1", "::1"},
		{"fe80::", "fe80::"},
		{"::", NULL},
		{"::192.0.2.10", NULL},
		{"::0.0.1.0", NULL},
		{"192.0.2.010", NULL},
		{"fe80::1%1", NULL},
		{"", NULL},
		{"host", NULL},
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		char out[DP_LOG_ADDR_MAX + 1] = "";
		int r = dp_log_addr_canon(out, c[i].in);
		CHECKF(c[i].out ? r == DP_OK && !strcmp(out, c[i].out) : r == DP_EINVAL,
		       "%s: %s \"%s\"", c[i].in, dp_errname(r), out);
		if (!c[i].out)
			continue;
		/* the canonical form is what the entry takes */
		dp_logent e;
		sample(&e, DP_LOG_CABLE_ACKED);
		strcpy(e.source, out);
		round_trip(&e, out);
	}
}

/* Limits: the entry's size, recipients per part, field lengths. */
static void test_limits(void)
{
	uint8_t *big = calloc(1, DP_TLOG_ENTRY_MAX + 2);
	CHECK(dec(big, DP_TLOG_ENTRY_MAX + 1) == DP_ETOOBIG);
	CHECK(dec(big, DP_TLOG_ENTRY_MAX) == DP_EPARSE);
	CHECK(dec(big, 0) == DP_EPARSE);
	CHECK(dec("DENPO-LOG/1\n", 12) == DP_EPARSE);
	free(big);

	/* the largest cable-accepted part: 500 recipients with the longest epochs, a Source */
	static dp_log_rcpt many[DP_LOG_RCPTS_PER_ENTRY + 1];
	for (size_t i = 0; i < DP_LOG_RCPTS_PER_ENTRY + 1; i++) {
		memset(many[i].device, 0xee, 32);
		many[i].device[0] = (uint8_t)(i >> 8);
		many[i].device[1] = (uint8_t)i;
		many[i].epoch = 4294967295u;
	}
	dp_logent e;
	sample(&e, DP_LOG_CABLE_ACCEPTED);
	strcpy(e.source, "2001:db8:1111:2222:3333:4444:5555:6666");
	strcpy(e.post, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	e.rcpts = many;
	e.nrcpts = DP_LOG_RCPTS_PER_ENTRY;
	dp_buf b = enc(&e);
	CHECKF(b.len < DP_TLOG_ENTRY_MAX, "largest part: %zu bytes", b.len);
	round_trip(&e, "500 recipients");
	/* one more line: too many for a part */
	{
		char hx[65], line[100];
		dp_hex_encode(hx, many[DP_LOG_RCPTS_PER_ENTRY].device, 32);
		snprintf(line, sizeof line, "Recipient: %s 1\n", hx);
		dp_buf t;
		dp_buf_init(&t, DP_TLOG_ENTRY_MAX);
		CHECK(dp_buf_append(&t, b.p, b.len) == DP_OK && dp_buf_puts(&t, line) == DP_OK);
		CHECK(dec(t.p, t.len) == DP_ETOOBIG);
		dp_buf_free(&t);
	}
	dp_buf_free(&b);

	/* the longest record */
	static uint8_t rec[DP_EPOCH_KEY_MAX + 1];
	memset(rec, 'R', sizeof rec);
	sample(&e, DP_LOG_KEY_PUBLISHED);
	e.record = rec;
	e.record_len = DP_EPOCH_KEY_MAX;
	round_trip(&e, "longest record");
	b = enc(&e);
	{
		/* three more bytes of record (four characters more base64) */
		char *s = malloc(b.len + 8);
		const uint8_t *at = memmem(b.p, b.len, "Record: ", 8);
		size_t off = (size_t)(at - b.p) + 8;
		memcpy(s, b.p, off);
		memcpy(s + off, "UlJS", 4);
		memcpy(s + off + 4, b.p + off, b.len - off);
		CHECK(dec(s, b.len + 4) == DP_ETOOBIG);
		free(s);
	}
	dp_buf_free(&b);

	/* texts: 512 characters, not 513 */
	sample(&e, DP_LOG_CONTAINMENT);
	memset(e.text, 'd', DP_LOG_TEXT_MAX);
	e.text[DP_LOG_TEXT_MAX] = 0;
	memset(e.operator_, 'o', DP_LOG_TEXT_MAX);
	e.operator_[DP_LOG_TEXT_MAX] = 0;
	round_trip(&e, "longest texts");
	b = enc(&e);
	CHECK(mutate(&b, "Detail: d", "Detail: dd") == DP_ETOOBIG);
	CHECK(mutate(&b, "Operator: o", "Operator: oo") == DP_ETOOBIG);
	dp_buf_free(&b);
	/* names: 48, not 49 */
	sample(&e, DP_LOG_ALERT);
	memset(e.act, 'R', DP_NAME_MAX);
	e.act[DP_NAME_MAX] = 0;
	round_trip(&e, "longest rule");
	b = enc(&e);
	CHECK(mutate(&b, "Rule: R", "Rule: RR") == DP_ETOOBIG);
	dp_buf_free(&b);
}

/* A cable's recipients in parts. */
static void test_parts(void)
{
	CHECK(dp_log_parts(0) == 0);
	CHECK(dp_log_parts(1) == 1);
	CHECK(dp_log_parts(500) == 1);
	CHECK(dp_log_parts(501) == 2);
	CHECK(dp_log_parts(DP_MAX_RECIPIENTS) == 5);
	CHECK(dp_log_parts(64 * 500) == 64);
	CHECK(dp_log_parts(64 * 500 + 1) == 0);

	size_t n = 1234;
	dp_log_rcpt *all = calloc(n, sizeof *all);
	for (size_t i = 0; i < n; i++) {
		all[i].device[0] = (uint8_t)(i >> 8);
		all[i].device[1] = (uint8_t)i;
		all[i].epoch = (uint32_t)(i % 7);
	}
	dp_logent e, d;
	sample(&e, DP_LOG_CABLE_ACCEPTED);
	CHECK(dp_logent_set_part(&e, all, n, 0) == DP_EINVAL);
	CHECK(dp_logent_set_part(&e, all, n, 4) == DP_EINVAL);
	CHECK(dp_logent_set_part(&e, all, 0, 1) == DP_EINVAL);
	CHECK(dp_logent_set_part(&e, NULL, n, 1) == DP_EINVAL);
	size_t seen = 0;
	dp_buf first;
	dp_buf_init(&first, DP_TLOG_ENTRY_MAX);
	for (uint32_t k = 1; k <= 3; k++) {
		CHECK(dp_logent_set_part(&e, all, n, k) == DP_OK);
		CHECK(e.part == k && e.parts == 3 && e.nrcpts == (k < 3 ? 500u : 234u));
		dp_buf b = enc(&e);
		CHECK(dp_logent_decode(&d, b.p, b.len) == DP_OK);
		CHECK(d.part == k && d.parts == 3 && d.nrcpts == e.nrcpts &&
		      !memcmp(d.rcpts, all + seen, d.nrcpts * sizeof *all));
		seen += d.nrcpts;
		/* every part repeats the header */
		const uint8_t *hdr_end = memmem(b.p, b.len, "\nPart: ", 7);
		if (k == 1)
			CHECK(dp_buf_append(&first, b.p, (size_t)(hdr_end - b.p)) == DP_OK);
		else
			CHECK((size_t)(hdr_end - b.p) == first.len && !memcmp(b.p, first.p, first.len));
		dp_buf_free(&b);
	}
	CHECK(seen == n);
	dp_buf_free(&first);
	/* a part may not take recipients that belong to its neighbour */
	CHECK(dp_logent_set_part(&e, all, n, 2) == DP_OK);
	e.nrcpts = 499;
	dp_buf b;
	dp_buf_init(&b, DP_TLOG_ENTRY_MAX);
	CHECK(dp_logent_encode(&e, &b) == DP_EINVAL);
	dp_buf_free(&b);
	free(all);
}

/* Refused input leaves e all zero; accepted input overwrites everything. */
static void test_overwrite(void)
{
	dp_logent e, z;
	static dp_logent zero;
	sample(&e, DP_LOG_KEY_PUBLISHED);
	dp_buf b = enc(&e);
	memset(&z, 0xa5, sizeof z);
	CHECK(dp_logent_decode(&z, b.p, b.len - 1) == DP_EPARSE && !memcmp(&z, &zero, sizeof z));
	memset(&z, 0xa5, sizeof z);
	CHECK(dp_logent_decode(&z, b.p, b.len) == DP_OK && same(&e, &z) && z.has_device == 1 &&
	      z.nrcpts == 0 && z.rcpts == NULL && z.mrn[0] == 0 && z.text[0] == 0 && z.part == 0);
	dp_buf_free(&b);
}

/* The Detail of LOG-ROLLBACK: written and read by one pair, one spelling. */
static void test_rollback_detail(void)
{
	dp_log_rollback r = {.signed_size = 48213, .restored_size = 47980}, d;
	memset(r.signed_root, 0xab, sizeof r.signed_root);
	char out[DP_LOG_TEXT_MAX + 1];
	CHECK(dp_log_rollback_format(out, &r, "entries above 47980 are lost") == DP_OK);
	CHECK(!strcmp(out, "signed-size=48213 signed-root=abababababababababababababababababababababab"
			   "abababababababababab restored-size=47980: entries above 47980 are lost"));
	CHECK(dp_log_rollback_parse(&d, out) == DP_OK && d.signed_size == 48213 &&
	      d.restored_size == 47980 && !memcmp(d.signed_root, r.signed_root, sizeof d.signed_root));
	/* a long text is cut to fit, never past DP_LOG_TEXT_MAX, never ending in a space */
	char lng[2 * DP_LOG_TEXT_MAX];
	memset(lng, 'x', sizeof lng - 1);
	lng[sizeof lng - 1] = 0;
	lng[DP_LOG_TEXT_MAX - 130] = ' ';
	CHECK(dp_log_rollback_format(out, &r, lng) == DP_OK && strlen(out) <= DP_LOG_TEXT_MAX &&
	      out[strlen(out) - 1] != ' ' && dp_log_rollback_parse(&d, out) == DP_OK);
	/* nothing lost is no rollback; an empty text is refused */
	r.restored_size = r.signed_size;
	CHECK(dp_log_rollback_format(out, &r, "x") == DP_EINVAL);
	r.restored_size = 1;
	CHECK(dp_log_rollback_format(out, &r, "") == DP_EINVAL);
	static const char *const bad[] = {
		"", "signed-size=2 restored-size=1: x",
		"signed-size=02 signed-root=0000000000000000000000000000000000000000000000000000000000000000 restored-size=1: x",
		"signed-size=2 signed-root=000000000000000000000000000000000000000000000000000000000000000A restored-size=1: x",
		"signed-size=2 signed-root=00000000000000000000000000000000000000000000000000000000000000 restored-size=1: x",
		"signed-size=2 signed-root=0000000000000000000000000000000000000000000000000000000000000000 restored-size=2: x",
		"signed-size=2 signed-root=0000000000000000000000000000000000000000000000000000000000000000 restored-size=1:",
		"signed-size=2 signed-root=0000000000000000000000000000000000000000000000000000000000000000 restored-size=1: ",
		"signed-size=2 signed-root=0000000000000000000000000000000000000000000000000000000000000000  restored-size=1: x",
		"signed-size=-2 signed-root=0000000000000000000000000000000000000000000000000000000000000000 restored-size=1: x",
		"the log was signed up to size 48213 (root abcdef0123456789...); the database restored holds checkpoint 47980",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&d, 0x55, sizeof d);
		CHECK(dp_log_rollback_parse(&d, bad[i]) == DP_EPARSE && d.signed_size == 0 && d.restored_size == 0);
	}
	CHECK(dp_log_rollback_parse(&d, "signed-size=2 signed-root=0000000000000000000000000000000000000000"
					"000000000000000000000000 restored-size=0: all lost") == DP_OK &&
	      d.restored_size == 0);
}

/* Which checkpoints a rollback explains: restored < size <= signed, the signed size only with its root. */
static void test_rollback_covers(void)
{
	dp_log_rollback r = {.signed_size = 100, .restored_size = 40};
	uint8_t root[DP_TLOG_HASH], other[DP_TLOG_HASH];
	memset(r.signed_root, 0xab, sizeof r.signed_root);
	memcpy(root, r.signed_root, sizeof root);
	memset(other, 0xcd, sizeof other);
	CHECK(dp_log_rollback_covers(&r, 41, other) == DP_OK);  /* below N: any root (it was lost) */
	CHECK(dp_log_rollback_covers(&r, 99, other) == DP_OK);
	CHECK(dp_log_rollback_covers(&r, 100, root) == DP_OK);
	CHECK(dp_log_rollback_covers(&r, 100, other) == DP_ESIG); /* N with another root: a lie */
	CHECK(dp_log_rollback_covers(&r, 40, root) == DP_ENOTFOUND); /* kept: no rollback needed */
	CHECK(dp_log_rollback_covers(&r, 0, root) == DP_ENOTFOUND);
	CHECK(dp_log_rollback_covers(&r, 101, root) == DP_ENOTFOUND); /* never signed before it */
	CHECK(dp_log_rollback_covers(&r, UINT64_MAX, root) == DP_ENOTFOUND);
}

int main(void)
{
	if (dp_crypto_init())
		return 1;
	const uint8_t tags[3] = {0x10, 0x20, 0x30};
	const uint32_t epochs[3] = {0, 2, 4294967295u};
	for (int i = 0; i < 3; i++) {
		dev(rcpts[i].device, tags[i]);
		rcpts[i].epoch = epochs[i];
	}
	for (size_t i = 0; i < sizeof record; i++)
		record[i] = (uint8_t)(i * 7);
	test_round_trips();
	test_layout();
	test_structure();
	test_values();
	test_records_search();
	test_encode_refuses();
	test_addr();
	test_limits();
	test_parts();
	test_overwrite();
	test_rollback_detail();
	test_rollback_covers();
	return t_done("test_logentry");
}
