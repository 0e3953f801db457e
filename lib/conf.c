/*
 * lib/conf.c - the line reader of KEY = VALUE configuration files
 * (denpo/conf.h states the rules).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "denpo/conf.h"

static int blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

void dp_conf_init(dp_conf *c, const char *name, const char *text, size_t len, char *err,
		  size_t errcap)
{
	memset(c, 0, sizeof *c);
	c->text = text;
	c->len = text ? len : 0;
	c->name = name;
	c->err = err;
	c->errcap = errcap;
	if (err && errcap)
		err[0] = 0;
}

int dp_conf_err(dp_conf *c, int code, const char *fmt, ...)
{
	if (!c->err || !c->errcap)
		return code;
	int n = c->name ? snprintf(c->err, c->errcap, "%s:%u: ", c->name, c->line)
			: snprintf(c->err, c->errcap, "line %u: ", c->line);
	if (n >= 0 && (size_t)n < c->errcap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errcap - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return code;
}

const char *dp_conf_quote(char out[48], const char *s, size_t n)
{
	size_t k = 0, lim = n > 40 ? 37 : n;
	for (size_t i = 0; i < lim; i++)
		out[k++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (n > 40) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = 0;
	return out;
}

int dp_conf_next(dp_conf *c, dp_conf_kv *kv)
{
	char q[48];
	while (c->pos < c->len) {
		const char *s = c->text + c->pos;
		const char *nl = memchr(s, '\n', c->len - c->pos);
		size_t n = nl ? (size_t)(nl - s) : c->len - c->pos;
		c->line++;
		/* a file larger than any configuration is a wrong file, not a long one */
		if (c->pos + n > DP_CONF_MAX)
			return dp_conf_err(c, DP_ETOOBIG, "the file goes past %zu bytes (1 MiB, the maximum) "
							  "on this line", DP_CONF_MAX);
		/* a C string ends at a NUL: everything after it would be unseen by some reader */
		const char *nul = memchr(s, 0, n);
		if (nul)
			return dp_conf_err(c, DP_EPARSE, "NUL byte at column %zu (a configuration is "
							 "text; remove it)", (size_t)(nul - s) + 1);
		/* refused, not cut: a cut value would be another value */
		if (n > DP_CONF_LINE_MAX)
			return dp_conf_err(c, DP_ETOOBIG, "line of %zu bytes (at most %d)", n,
					   DP_CONF_LINE_MAX);
		c->pos += n + (nl != NULL);
		size_t i = 0;
		while (i < n && blank(s[i]))
			i++;
		while (n > i && (blank(s[n - 1]) || s[n - 1] == '\r'))
			n--;
		if (i == n || s[i] == '#')
			continue;
		size_t k0 = i;
		while (i < n && s[i] != '=' && !blank(s[i]))
			i++;
		size_t kn = i - k0;
		while (i < n && blank(s[i]))
			i++;
		if (i == n || s[i] != '=' || kn == 0)
			return dp_conf_err(c, DP_EPARSE, "\"%s\" is not KEY = VALUE (or a # comment)",
					   dp_conf_quote(q, s + k0, n - k0));
		i++;
		while (i < n && blank(s[i]))
			i++;
		if (i == n)
			return dp_conf_err(c, DP_EPARSE, "%s: no value after = (give one, or remove "
							 "the line for the default)",
					   dp_conf_quote(q, s + k0, kn));
		kv->key = s + k0;
		kv->kn = kn;
		kv->val = s + i;
		kv->vn = n - i;
		return DP_OK;
	}
	return DP_ENOTFOUND;
}

/* Edit distance (insert, delete, substitute, swap two neighbours), at most lim + 1. */
static size_t distance(const char *a, size_t an, const char *b, size_t bn, size_t lim)
{
	enum { W = 64 };
	size_t d[3][W + 1];
	if (an > W || bn > W)
		return lim + 1;
	size_t *pp = d[0], *p = d[1], *cur = d[2];
	for (size_t j = 0; j <= bn; j++)
		p[j] = j;
	for (size_t i = 1; i <= an; i++) {
		cur[0] = i;
		size_t best = cur[0];
		for (size_t j = 1; j <= bn; j++) {
			size_t v = p[j - 1] + (a[i - 1] != b[j - 1]);
			if (p[j] + 1 < v)
				v = p[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			cur[j] = v;
			if (v < best)
				best = v;
		}
		if (best > lim)
			return lim + 1;
		size_t *t = pp;
		pp = p;
		p = cur;
		cur = t;
	}
	return p[bn];
}

const char *dp_conf_suggest(const char *key, size_t kn, const void *table, size_t n, size_t stride)
{
	const char *best = NULL;
	size_t bestd = 3;
	for (size_t i = 0; i < n; i++) {
		const char *name = *(const char *const *)(const void *)((const char *)table + i * stride);
		size_t d = distance(key, kn, name, strlen(name), 2);
		if (d < bestd && 2 * d < kn) {
			bestd = d;
			best = name;
		}
	}
	return best;
}
