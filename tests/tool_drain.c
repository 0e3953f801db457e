/*
 * tests/tool_drain.c - a device back online drains its inbox, for
 * tests/it_backlog.sh.
 *
 *   tool_drain HOME GIVE_UP_S
 *
 * The enrolled denpo device in HOME (keystore.age opened with
 * $DENPO_PASSPHRASE, answer.txt: fx_device_open) does with libdenpo's client
 * what its officer does with `denpo inbox` and `denpo read --ack`, in one
 * process and one TLS connection: list the inbox (GET /v1/inbox, the page
 * of 100 that `denpo inbox` shows: FLASH first, then by acceptance), fetch
 * each cable in that order, check it (envelope signature and payload hash:
 * dp_submission_decode; the payload opens with the device's keys:
 * dp_age_decrypt), acknowledge it; then list again, so a cable that arrives
 * during the drain takes its place by precedence at the next page.  A cable
 * the device already fetched is only acknowledged (the client has it).
 *
 * A refused fetch (429 throttled, 403 suspended) is what the drain is
 * about: it is printed and tried again (from a fresh listing) after 1 s,
 * not after the 60 s of Retry-After; after GIVE_UP_S seconds without a
 * delivery the tool gives up.
 *
 * One line per fetch on stdout:
 *   ok SEQ CABLE_ID PRECEDENCE              fetched, checked, acknowledged
 *   refused SEQ CABLE_ID PRECEDENCE STATUS ERRNAME
 *   bad SEQ CABLE_ID PRECEDENCE ERRNAME     fetched but does not check
 *   unsure SEQ CABLE_ID PRECEDENCE ERRNAME  fetched and checked, but the
 *                                           acknowledgement got no answer: it
 *                                           may be committed (a switch or its
 *                                           database killed meanwhile), and
 *                                           then the cable is no longer listed
 * and a summary on stderr ("drained N cables in S s; R refusals, B bad").
 * Exit 0 if the inbox is empty at the end, with no refusal and no bad
 * cable; 1 otherwise; 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "denpo/age.h"
#include "denpo/client.h"
#include "denpo/crypto.h"
#include "denpo/envelope.h"
#include "tests/fixture.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The submission is signed, its payload matches, and it opens with the device's keys. */
static int check(const dp_keystore *ks, const dp_buf *sub)
{
	dp_envelope e;
	const uint8_t *payload;
	size_t plen;
	dp_envelope_init(&e);
	int r = dp_submission_decode(&e, sub->p, sub->len, &payload, &plen);
	if (!r) {
		dp_buf pt;
		dp_buf_init(&pt, DP_MAX_PAYLOAD);
		r = dp_age_decrypt(ks->age, ks->nage, payload, plen, &pt);
		dp_buf_free(&pt); /* wipes the plaintext */
	}
	dp_envelope_free(&e);
	return r;
}

struct drain {
	dp_client *cl;
	const dp_keystore *ks;
	long ok, refused, bad;
	double last_ok;
};

/* One listed cable: 1 if it is gone from the inbox, 0 if refused (list again), -1 on error. */
static int one(struct drain *x, const dp_inbox_item *it)
{
	const char *prec = dp_prec_name(it->precedence);
	int r = DP_OK;
	if (!it->fetched) {
		dp_buf sub;
		char mrn[DP_MRN_MAX + 1];
		dp_buf_init(&sub, (size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4);
		r = dp_client_fetch(x->cl, it->cable_id, &sub, mrn);
		long st = dp_client_http_status(x->cl);
		if (r && (st == 429 || st == 403)) {
			dp_buf_free(&sub);
			printf("refused %lld %s %s %ld %s\n", (long long)it->seq, it->cable_id, prec, st,
			       dp_errname(r));
			x->refused++;
			return 0;
		}
		if (!r && (r = check(x->ks, &sub)) != DP_OK) {
			printf("bad %lld %s %s %s\n", (long long)it->seq, it->cable_id, prec, dp_errname(r));
			x->bad++;
		}
		dp_buf_free(&sub);
	}
	int64_t at;
	int acking = !r;
	if (!r)
		r = dp_client_ack(x->cl, it->cable_id, &at);
	if (r) {
		/* the fetch and the check went well: only the acknowledgement's outcome is unknown */
		if (acking)
			printf("unsure %lld %s %s %s\n", (long long)it->seq, it->cable_id, prec,
			       dp_errname(r));
		fprintf(stderr, "tool_drain: cable %s: %s (%s)\n", it->cable_id, dp_strerror(r),
			dp_client_message(x->cl));
		return -1;
	}
	printf("ok %lld %s %s\n", (long long)it->seq, it->cable_id, prec);
	x->ok++;
	x->last_ok = now_s();
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: tool_drain HOME GIVE_UP_S\n");
		return 2;
	}
	double give_up = strtod(argv[2], NULL);
	if (!(give_up > 0))
		return 2;
	if (dp_crypto_init() || dp_client_global_init())
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0); /* the test follows the drain line by line */
	dp_keystore *ks;
	dp_enrol_answer ans;
	dp_client_config cfg;
	if (fx_device_open("tool_drain", argv[1], &ks, &ans, &cfg))
		return 1;
	struct drain x = {NULL, ks, 0, 0, 0, now_s()};
	double t0 = x.last_ok;
	int r = dp_client_new(&x.cl, &cfg), empty = 0;
	while (!r && now_s() - x.last_ok < give_up) {
		dp_inbox_item *it;
		size_t n;
		r = dp_client_inbox(x.cl, 0, &it, &n);
		if (r) {
			fprintf(stderr, "tool_drain: inbox: %s (%s)\n", dp_strerror(r), dp_client_message(x.cl));
			break;
		}
		empty = n == 0;
		int k = 1;
		for (size_t i = 0; i < n && k > 0; i++)
			k = one(&x, &it[i]);
		free(it);
		if (empty || k < 0) {
			r = k < 0;
			break;
		}
		if (k == 0) {
			struct timespec ts = {1, 0};
			nanosleep(&ts, NULL);
		}
	}
	fprintf(stderr, "tool_drain: drained %ld cables in %.1f s; %ld refusals, %ld bad%s\n", x.ok,
		x.last_ok - t0, x.refused, x.bad, empty ? "" : "; the inbox is not empty");
	dp_client_free(x.cl);
	dp_keystore_free(ks);
	dp_client_global_cleanup();
	return r || !empty || x.refused || x.bad;
}
