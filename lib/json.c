/*
 * lib/json.c - what both programs' --json prints (denpo/json.h).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>
#include <sodium.h>

#include "denpo/json.h"

/* One encoding for every --json output: compact, ASCII only. */
#define DP_JSON_FLAGS (JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY)

void dp_json_print(void *json)
{
	json_t *j = json;
	if (!j)
		return;
	json_dumpf(j, stdout, DP_JSON_FLAGS);
	fputc('\n', stdout);
	json_decref(j);
}

int dp_json_stream_begin(dp_json_stream *s, const char *key)
{
	json_t *k = json_string(key);
	s->n = 0;
	s->failed = !k || fputc('{', stdout) == EOF || json_dumpf(k, stdout, DP_JSON_FLAGS) ||
		    fputs(":[", stdout) == EOF;
	json_decref(k);
	return s->failed ? -1 : 0;
}

/* j to stdout: encoded into a buffer first, one write (json_dumpf writes token by token). */
static int dump(const json_t *j)
{
	char b[8192];
	size_t n = json_dumpb(j, b, sizeof b, DP_JSON_FLAGS);
	if (n == 0)
		return -1;
	if (n > sizeof b)
		return json_dumpf(j, stdout, DP_JSON_FLAGS);
	return fwrite(b, 1, n, stdout) == n ? 0 : -1;
}

int dp_json_stream_item(dp_json_stream *s, void *json)
{
	json_t *j = json;
	if (!j || s->failed || (s->n && fputc(',', stdout) == EOF) || dump(j))
		s->failed = 1;
	else
		s->n++;
	json_decref(j);
	return s->failed ? -1 : 0;
}

int dp_json_stream_end(dp_json_stream *s)
{
	if (!s->failed && (fputs("]}\n", stdout) == EOF || fflush(stdout) == EOF || ferror(stdout)))
		s->failed = 1;
	return s->failed ? -1 : 0;
}

static void wiping_free(void *p)
{
	if (p) {
		sodium_memzero(p, malloc_usable_size(p));
		free(p);
	}
}

void dp_json_wipe_allocs(void)
{
	json_set_alloc_funcs(malloc, wiping_free);
}
