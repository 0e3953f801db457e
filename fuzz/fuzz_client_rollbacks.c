/*
 * fuzz_client_rollbacks - dp_client_parse_rollbacks on arbitrary bytes: the
 * GET /v1/log/rollbacks answer a device reads from a switch it does not
 * trust (`denpo log recover`).  Whatever is accepted stays within the caps
 * the device relies on: at most DP_CLIENT_ROLLBACKS_MAX items, each with an
 * index and 1..DP_TLOG_ENTRY_MAX entry bytes and no proof; a refusal leaves
 * nothing behind; nothing leaks.  Each accepted entry then goes through the
 * decoder and the rollback rule, as the device does.
 * Seeds: fuzz/corpus/fuzz_client_rollbacks/.
 */
#include <stdlib.h>
#include <string.h>

#include "denpo/client.h"
#include "denpo/logentry.h"
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dp_log_incl *it = NULL;
	size_t n = 0;
	int r = dp_client_parse_rollbacks(data, size, &it, &n);
	if (r != DP_OK) {
		if (it || n)
			__builtin_trap(); /* a refused answer leaves nothing behind */
		return 0;
	}
	if (n > DP_CLIENT_ROLLBACKS_MAX || (n && !it))
		__builtin_trap();
	dp_logent *e = malloc(sizeof *e);
	for (size_t i = 0; e && i < n; i++) {
		if (!it[i].present || !it[i].entry || it[i].entry_len == 0 ||
		    it[i].entry_len > DP_TLOG_ENTRY_MAX || it[i].nproof != 0 || it[i].index > INT64_MAX)
			__builtin_trap();
		dp_log_rollback rb;
		uint8_t root[DP_TLOG_HASH] = {0};
		if (dp_logent_decode(e, it[i].entry, it[i].entry_len) == DP_OK &&
		    dp_log_rollback_parse(&rb, e->text) == DP_OK &&
		    (rb.restored_size >= rb.signed_size ||
		     dp_log_rollback_covers(&rb, rb.restored_size, root) != DP_ENOTFOUND))
			__builtin_trap(); /* a parsed rollback loses something; its kept size is not lost */
	}
	free(e);
	dp_log_rollbacks_free(it, n);
	return 0;
}
