/*
 * fuzz_logentry - dp_logent_decode on arbitrary bytes.  A refused entry
 * leaves the struct all zero; an accepted one is the one encoding of its
 * fields: dp_logent_encode gives the input back, byte for byte, and what
 * the decoder points at is its own buffers.  The input, read as a string,
 * also goes through dp_log_addr_canon, whose output must be a fixed point
 * that an entry's Source accepts; and through dp_log_rollback_parse, whose
 * accepted Details format back to the same prefix.  Seeds: `tool_example --corpus DIR`
 * (the worked example's entries, one per event).
 */
#include <string.h>

#include "denpo/logentry.h"
#include "fuzz/fuzz.h"

static void addr(const uint8_t *data, size_t size)
{
	char in[64], out[DP_LOG_ADDR_MAX + 1], again[DP_LOG_ADDR_MAX + 1];
	if (size >= sizeof in)
		return;
	memcpy(in, data, size);
	in[size] = 0;
	if (dp_log_addr_canon(out, in) != DP_OK)
		return;
	if (strlen(out) > DP_LOG_ADDR_MAX || dp_log_addr_canon(again, out) != DP_OK ||
	    strcmp(again, out))
		__builtin_trap(); /* the one spelling spells itself */
	static dp_logent e;
	memset(&e, 0, sizeof e);
	e.event = DP_LOG_CABLE_ACKED;
	e.time = DP_CREATED_MIN;
	strcpy(e.mrn, "26 TOKYO 000001");
	strcpy(e.source, out);
	dp_buf b;
	dp_buf_init(&b, DP_TLOG_ENTRY_MAX);
	if (dp_logent_encode(&e, &b) != DP_OK)
		__builtin_trap(); /* a canonical address is a valid Source */
	dp_buf_free(&b);
}

static void rollback(const uint8_t *data, size_t size)
{
	char in[DP_LOG_TEXT_MAX + 1], out[DP_LOG_TEXT_MAX + 1];
	if (size >= sizeof in)
		return;
	memcpy(in, data, size);
	in[size] = 0;
	dp_log_rollback r;
	static const dp_log_rollback zero;
	if (dp_log_rollback_parse(&r, in) != DP_OK) {
		if (memcmp(&r, &zero, sizeof r))
			__builtin_trap(); /* refused: nothing left behind */
		return;
	}
	const char *text = strstr(in, ": ");
	if (r.restored_size >= r.signed_size || !text ||
	    dp_log_rollback_format(out, &r, text + 2) != DP_OK || strncmp(out, in, (size_t)(text + 2 - in)))
		__builtin_trap(); /* accepted, so it is the one spelling of its fields */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static dp_logent e;
	static const dp_logent zero;
	addr(data, size);
	rollback(data, size);
	int r = dp_logent_decode(&e, data, size);
	if (r != DP_OK) {
		if ((r != DP_EPARSE && r != DP_ETOOBIG) || memcmp(&e, &zero, sizeof e))
			__builtin_trap(); /* a refused entry leaves nothing behind */
		return 0;
	}
	if (size > DP_TLOG_ENTRY_MAX || !dp_log_event_name(e.event) || e.time < DP_CREATED_MIN ||
	    e.time > DP_CREATED_MAX)
		__builtin_trap();
	if ((e.nrcpts && e.rcpts != e.rcpt_buf) || (e.record_len && e.record != e.record_buf) ||
	    e.nrcpts > DP_LOG_RCPTS_PER_ENTRY || e.record_len > DP_EPOCH_KEY_MAX)
		__builtin_trap();
	if (e.event == DP_LOG_CABLE_ACCEPTED &&
	    (e.part < 1 || e.part > e.parts || e.parts > DP_LOG_PARTS_MAX || e.nrcpts < 1))
		__builtin_trap();
	dp_buf b;
	dp_buf_init(&b, DP_TLOG_ENTRY_MAX);
	if (dp_logent_encode(&e, &b) != DP_OK || b.len != size || memcmp(b.p, data, size))
		__builtin_trap(); /* not the canonical form, yet accepted */
	dp_buf_free(&b);
	return 0;
}
