/*
 * fuzz_enrol - both enrolment decoders on arbitrary bytes.  Whatever is
 * accepted must satisfy the field rules (re-encoding would need the key),
 * and a request's first epoch key must be a record the switch can publish
 * as is: its Key-Signature verifies and dp_epoch_key_encode_sig makes a
 * record that dp_epoch_key_decode accepts with the same fields.  An
 * answer's Switch-URL lines make a list of well-formed, distinct addresses.
 */
#include <string.h>

#include "denpo/enrol.h"
#include "denpo/epoch.h"
#include "fuzz/fuzz.h"

static void request_record(const dp_enrol_request *q)
{
	dp_epoch_key k, d;
	memset(&k, 0, sizeof k);
	memcpy(k.device, q->sign_pk, DP_ED25519_PK);
	k.epoch = q->epoch;
	k.not_before = q->key_not_before;
	k.not_after = q->key_not_after;
	memcpy(k.age_recipient, q->age_recipient, sizeof k.age_recipient);
	if (k.not_before >= k.not_after || k.not_after - k.not_before > DP_EPOCH_MAX_LIFE ||
	    dp_epoch_key_verify(&k, q->key_sig) != DP_OK)
		__builtin_trap();
	dp_buf b;
	dp_buf_init(&b, DP_EPOCH_KEY_MAX);
	if (dp_epoch_key_encode_sig(&k, q->key_sig, &b) != DP_OK ||
	    dp_epoch_key_decode(&d, b.p, b.len) != DP_OK || memcmp(&d, &k, sizeof k))
		__builtin_trap();
	dp_buf_free(&b);
}

/* An accepted answer's addresses: 1..DP_SWITCH_URLS_MAX, each well-formed, no two the same. */
static void answer_switches(const dp_switch_list *l)
{
	if (l->n < 1 || l->n > DP_SWITCH_URLS_MAX)
		__builtin_trap();
	for (size_t i = 0; i < l->n; i++) {
		if (!dp_switch_url_ok(l->url[i]) || dp_switch_list_find(l, l->url[i]) != (int)i)
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dp_enrol_request q;
	if (dp_enrol_request_decode(&q, data, size) == DP_OK) {
		if (!dp_handle_ok(q.officer) || !dp_name_ok(q.post) ||
		    strncmp(q.age_recipient, "age1pq1", 7))
			__builtin_trap();
		request_record(&q);
	}
	dp_enrol_answer a;
	if (dp_enrol_answer_decode(&a, data, size) == DP_OK) {
		if (!dp_handle_ok(a.officer))
			__builtin_trap();
		answer_switches(&a.switches);
	}
	return 0;
}
