/*
 * denpo/json.h - what both programs' --json prints.
 */
#ifndef DENPO_JSON_H
#define DENPO_JSON_H

#include <stddef.h>

/* A JSON document (a jansson json_t *, consumed: decref'd) as one compact,
 * ASCII-only line on stdout.  NULL prints nothing. */
void dp_json_print(void *json);

/*
 * A list too long to hold as one document (`denpod log show --json` of a
 * large log), streamed: {"KEY":[item,item,...]} on one line of stdout in
 * the encoding of dp_json_print, each item printed when it is given.
 * begin prints {"KEY":[ ; item prints one element (a json_t *, consumed;
 * NULL, from a failed allocation, fails the stream); end prints ]} and a
 * newline and flushes.  Each returns 0, or -1 once anything failed (an
 * allocation, a write to stdout): the stream then prints nothing more, so
 * a caller that stops on -1 leaves an unterminated document, which no
 * JSON reader takes for a complete list.  The caller says what failed on
 * stderr and exits 1.
 */
typedef struct {
	size_t n;   /* items printed */
	int failed;
} dp_json_stream;
int dp_json_stream_begin(dp_json_stream *s, const char *key);
int dp_json_stream_item(dp_json_stream *s, void *json);
int dp_json_stream_end(dp_json_stream *s);

/*
 * Make jansson wipe every block it frees (a cable's text, a draft, a
 * password in a login's body pass through it): malloc, and a free that
 * zeroes malloc's usable size first, so a block jansson hands out and a
 * caller frees with free() stays valid.  Call once, first thing in main.
 */
void dp_json_wipe_allocs(void);

#endif
