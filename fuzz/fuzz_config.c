/*
 * fuzz_config - denpod.conf's table of keys (denpod/config.c, dpc_parse) on
 * arbitrary text; fuzz_conf covers the line reader under it.  Whatever the
 * text: a refusal is DP_EPARSE or DP_ETOOBIG with a message naming the
 * file; an accepted one has a url that starts https://, a listen address
 * that parses, a log origin that is a valid key name, and reads back the
 * same: every key `denpod config check` would show as set, written out as
 * "KEY = VALUE" lines, parses again to the same values in force.
 */
#include <stdio.h>
#include <string.h>

#include "denpo/tlog.h"
#include "denpod/config.h"
#include "fuzz/fuzz.h"

#define TEXT_MAX 65536

static int show_all(const dpc_config *c, char *out, size_t cap, int only_set)
{
	size_t at = 0;
	out[0] = 0;
	for (size_t i = 0; i < dpc_key_count(); i++) {
		char val[4096];
		int def = 0;
		const char *name = dpc_key_show(c, i, val, sizeof val, &def);
		if (!name)
			__builtin_trap(); /* every key below dpc_key_count has a name */
		if (only_set && def)
			continue;
		int n = snprintf(out + at, cap - at, "%s = %s\n", name, val);
		if (n < 0 || (size_t)n >= cap - at)
			return -1;
		at += (size_t)n;
	}
	return (int)at;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static dpc_config c, again;
	static char err[1024], text[TEXT_MAX], shown[TEXT_MAX], shown2[TEXT_MAX];
	if (dpc_key_count() == 0 || dpc_key_show(&c, dpc_key_count(), text, sizeof text, &(int){0}))
		__builtin_trap(); /* past the table: NULL */
	err[0] = 0;
	int r = dpc_parse(&c, "/var/lib/denpod", "denpod.conf", (const char *)data, size, err, sizeof err);
	if (r != DP_OK) {
		if ((r != DP_EPARSE && r != DP_ETOOBIG) || strncmp(err, "denpod.conf", 11) != 0)
			__builtin_trap(); /* a refusal says where */
		return 0;
	}
	char host[256];
	int port = 0;
	if (strncmp(c.url, "https://", 8) != 0 || !dp_note_name_ok(c.log_origin) ||
	    dpc_parse_listen(c.listen, host, sizeof host, &port) != DP_OK)
		__builtin_trap();
	/* what is in force, written out, reads back the same */
	int n = show_all(&c, text, sizeof text, 1);
	if (n < 0)
		return 0; /* longer than this target's buffer: nothing to compare */
	if (dpc_parse(&again, "/var/lib/denpod", "again.conf", text, (size_t)n, err, sizeof err) != DP_OK)
		__builtin_trap(); /* its own values refused */
	if (show_all(&c, shown, sizeof shown, 0) < 0 || show_all(&again, shown2, sizeof shown2, 0) < 0 ||
	    strcmp(shown, shown2) != 0)
		__builtin_trap(); /* read back different */
	return 0;
}
