/*
 * fuzz_conf - the line reader of denpod.conf and detect.conf (denpo/conf.h)
 * on arbitrary bytes.  Whatever the input, the reader ends, and every line
 * it hands out holds to its rule: the key and the value lie inside the
 * input, on one line, non-empty, with no blank at either end, no NUL and no
 * LF; the key holds no '=' and no blank.  A text it reads to the end has
 * exactly as many KEY = VALUE lines as lines that are neither blank nor
 * '#' comments, judged here independently; a refusal is a parse or size
 * error with its message.  dp_conf_suggest answers NULL or a known name.
 */
#include <string.h>

#include "denpo/conf.h"
#include "fuzz/fuzz.h"

static int blank(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* Lines that are neither blank nor comments (the same text read all the way). */
static size_t content_lines(const uint8_t *d, size_t n)
{
	size_t count = 0, i = 0;
	while (i < n) {
		size_t e = i;
		while (e < n && d[e] != '\n')
			e++;
		size_t s = i, k;
		while (s < e && blank(d[s]))
			s++;
		for (k = s; k < e && (blank(d[k]) || d[k] == '\r'); k++)
			;
		if (k < e && d[s] != '#')
			count++; /* not only blanks and CRs, not a comment */
		i = e + 1;
	}
	return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		const char *name;
	} names[] = {{"metrics_listen"}, {"listen"}, {"url"}, {"scrub_rate"}, {"bulk.cap-hour"}};
	const char *t = (const char *)data;
	char err[256];
	dp_conf c;
	dp_conf_kv kv;
	dp_conf_init(&c, "fuzz.conf", t, size, err, sizeof err);
	size_t got = 0;
	unsigned last = 0;
	int r;
	while ((r = dp_conf_next(&c, &kv)) == DP_OK) {
		got++;
		if (c.line <= last || kv.kn == 0 || kv.vn == 0 || kv.key < t ||
		    kv.val + kv.vn > t + size || kv.val <= kv.key)
			__builtin_trap(); /* in the input, in order, non-empty */
		if (memchr(kv.key, '=', kv.kn) || memchr(kv.key, ' ', kv.kn) || memchr(kv.key, '\t', kv.kn))
			__builtin_trap(); /* a key has no '=' and no blank */
		if (memchr(kv.key, '\n', (size_t)(kv.val + kv.vn - kv.key)) ||
		    memchr(kv.key, 0, (size_t)(kv.val + kv.vn - kv.key)))
			__builtin_trap(); /* one line, no NUL */
		if (blank((uint8_t)kv.val[0]) || blank((uint8_t)kv.val[kv.vn - 1]) || kv.val[kv.vn - 1] == '\r')
			__builtin_trap(); /* trimmed */
		if (kv.vn > DP_CONF_LINE_MAX)
			__builtin_trap();
		last = c.line;
		const char *s = dp_conf_suggest(kv.key, kv.kn, names, sizeof names / sizeof names[0],
						sizeof names[0]);
		int known = s == NULL;
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			known |= s == names[i].name;
		if (!known)
			__builtin_trap(); /* a suggestion is one of the names */
	}
	if (r == DP_ENOTFOUND) {
		if (got != content_lines(data, size))
			__builtin_trap(); /* read to the end: every content line handed out */
	} else if ((r != DP_EPARSE && r != DP_ETOOBIG) || strncmp(err, "fuzz.conf:", 10) != 0) {
		__builtin_trap(); /* a refusal says where */
	}
	return 0;
}
