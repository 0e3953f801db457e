/*
 * denpo/conf.h - the one line reader of the KEY = VALUE configuration files
 * (denpod.conf, detect.conf).  One rule for both files, in dp_conf_next:
 *
 *   - a line ends at LF; a CR before it (a CRLF file) is dropped;
 *   - blanks (space, tab) around the key, the '=' and the value are
 *     optional and ignored: "key=value" and "key = value" are the same line;
 *   - an empty (or all-blank) line and a line whose first non-blank byte is
 *     '#' are skipped (a '#' later in a line is part of the value);
 *   - anything else must be KEY = VALUE with a non-empty key (no blank or
 *     '=' in it) and a non-empty value: refused otherwise;
 *   - a NUL byte anywhere, a line longer than DP_CONF_LINE_MAX bytes or a
 *     text longer than DP_CONF_MAX bytes is refused (never truncated).
 *
 * Each file's parser then judges the key (unknown keys refused, with
 * dp_conf_suggest's closest known one) and the value (numbers through
 * denpo/num.h), and reports with dp_conf_err, so that every message reads
 * "FILE:LINE: what is wrong (what to do)".
 */
#ifndef DENPO_CONF_H
#define DENPO_CONF_H

#include <stddef.h>
#include "denpo/error.h"

#define DP_CONF_LINE_MAX 4096
#define DP_CONF_MAX ((size_t)1 << 20)

typedef struct {
	const char *text;
	size_t len, pos;
	unsigned line;    /* the line last read (1-based; 0 before the first) */
	const char *name; /* the file named in messages; NULL: "line N: " */
	char *err;        /* messages go here (may be NULL) */
	size_t errcap;
} dp_conf;

/* One KEY = VALUE line: pointers into the text (not NUL-terminated), blanks trimmed. */
typedef struct {
	const char *key, *val;
	size_t kn, vn;
} dp_conf_kv;

/* Start reading text[0..len) (len 0: text may be NULL). */
void dp_conf_init(dp_conf *c, const char *name, const char *text, size_t len, char *err,
		  size_t errcap);
/*
 * The next KEY = VALUE line into *kv.  DP_OK; DP_ENOTFOUND at the end of
 * the text; DP_EPARSE (not KEY = VALUE, no value, a NUL byte) or
 * DP_ETOOBIG (line or text too long) with the message in c->err: then
 * stop reading.
 */
int dp_conf_next(dp_conf *c, dp_conf_kv *kv) DP_WUR;
/*
 * "NAME:LINE: " (or "line LINE: ") and the formatted message into c->err;
 * returns code, so a parser writes `return dp_conf_err(c, DP_EPARSE, ...)`.
 */
int dp_conf_err(dp_conf *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/*
 * The known name closest to key[0..kn) that is a likely misspelling of it
 * (at most 2 edits, fewer than half the key's length), or NULL.  The names
 * are the first member (const char *) of n table rows of size stride.
 */
const char *dp_conf_suggest(const char *key, size_t kn, const void *table, size_t n,
			    size_t stride);
/* A value shown in a message: printable ASCII, at most 40 bytes (longer ends "..."). */
const char *dp_conf_quote(char out[48], const char *s, size_t n);

#endif
