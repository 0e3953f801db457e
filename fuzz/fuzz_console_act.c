/*
 * fuzz_console_act - the console's parse of an act (denpod/console_api.c
 * dpcs_act_parse): arbitrary paths and bodies.  Never a crash; what it
 * accepts has three non-empty parts without a slash, within their fields,
 * and a reason that is empty or log text (what the CLI's --reason takes).
 */
#include <string.h>

#include "denpod/admin.h"
#include "denpod/console.h"
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the path up to the first NUL (as the web server hands it), the body after it */
	const uint8_t *nul = memchr(data, 0, size);
	size_t plen = nul ? (size_t)(nul - data) : size;
	if (plen > 1024)
		return 0;
	char path[1025];
	memcpy(path, data, plen);
	path[plen] = 0;
	const uint8_t *body = nul ? nul + 1 : data + size;
	size_t blen = nul ? size - plen - 1 : 0;
	dpcs_act_req q;
	int r = dpcs_act_parse(path, body, blen, &q);
	if (r != DP_OK && r != DP_ENOTFOUND && r != DP_EPARSE)
		__builtin_trap();
	if (r)
		return 0;
	if (!q.what[0] || !q.target[0] || !q.verb[0] || strchr(q.what, '/') || strchr(q.target, '/') ||
	    strchr(q.verb, '/'))
		__builtin_trap(); /* an empty part, or a slash inside one */
	if (strncmp(path, "/api/", 5) != 0)
		__builtin_trap();
	if (q.reason[0] && !dpa_log_text_ok(q.reason))
		__builtin_trap(); /* a reason the log would not take */
	return 0;
}
