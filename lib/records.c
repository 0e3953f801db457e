/*
 * records.c - the records schedule and the archive's acts (denpo/records.h):
 * the built-in schedule, its denpod.conf keys, its JSON (the directory
 * answer's "records" object: written by the switch, parsed strictly by the
 * device), the defaults a draft gets from it, the end of a retention, the
 * acts' names and the one rule of the acts (dp_records_apply).
 *
 * The schedule's JSON, one encoding (members in this order, every one
 * required, nothing else):
 *   {"retentions": [{"name": "PERMANENT", "years": 0}, ...],
 *    "classes": {"UNCLASSIFIED": RULE, "RESTRICTED": RULE, ... "TOP SECRET": RULE},
 *    "tags": [{"tag": "PREL", "rule": RULE}, ...]}
 *   RULE = {"retention": NAME, "declassify_years": 0..100, "declassify_event": TEXT or ""}
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "denpo/num.h"
#include "denpo/records.h"

#define SCHED_JSON_MAX (64u * 1024) /* the largest schedule is ~25 KiB */

static int fail(char *why, size_t cap, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *why, size_t cap, int code, const char *fmt, ...)
{
	if (why && cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, cap, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* ---- the schedule ---- */

void dp_records_sched_default(dp_records_sched *s)
{
	memset(s, 0, sizeof *s);
	strcpy(s->retentions[0].name, DP_RETENTION_DEFAULT);
	s->retentions[0].years = 0;
	s->nretentions = 1;
	for (int cl = 0; cl < DP_CLASS_COUNT; cl++) {
		strcpy(s->by_class[cl].retention, DP_RETENTION_DEFAULT);
		/* Japan's Diplomatic Archives: classified records are opened after 30 years */
		s->by_class[cl].declassify_years = cl == DP_CLASS_UNCLASSIFIED ? 0 : 30;
	}
}

/* The index of retention class name in s; -1 if s lacks it. */
static int retention_index(const dp_records_sched *s, const char *name)
{
	for (size_t i = 0; i < s->nretentions && i < DP_RECORDS_RETENTIONS; i++)
		if (!strcmp(s->retentions[i].name, name))
			return (int)i;
	return -1;
}

static const dp_retention *retention_find(const dp_records_sched *s, const char *name)
{
	int i = retention_index(s, name);
	return i < 0 ? NULL : &s->retentions[i];
}

/* A declassification event's text: the rule of the cable's Declassify-Event. */
static int event_ok(const char *s)
{
	size_t n = strnlen(s, DP_DECL_EVENT_MAX + 1);
	return n >= 1 && n <= DP_DECL_EVENT_MAX && s[0] != ' ' && s[n - 1] != ' ' &&
	       dp_text_ok((const uint8_t *)s, n, 0);
}

/* The one check of a rule, for the class cl (-1: a tag's rule, any class). */
static int rule_ok(const dp_records_sched *s, const dp_records_rule *r, int cl, const char *what,
		   char *why, size_t cap)
{
	if (!retention_find(s, r->retention))
		return fail(why, cap, DP_ENOTFOUND,
			    "%s names the retention class \"%.48s\", which the schedule does not define "
			    "(define it first with records_retention_%.48s)",
			    what, r->retention, r->retention);
	if (r->declassify_years < 0 || r->declassify_years > DP_RECORDS_YEARS_MAX)
		return fail(why, cap, DP_EPARSE, "%s: declassification after 1..%d years", what,
			    DP_RECORDS_YEARS_MAX);
	if (r->declassify_event[0] && (r->declassify_years || !event_ok(r->declassify_event)))
		return fail(why, cap, DP_EPARSE,
			    "%s: a declassification event is 1..%d bytes of text without control "
			    "characters or outer spaces, and never with a number of years",
			    what, DP_DECL_EVENT_MAX);
	if (cl == DP_CLASS_UNCLASSIFIED && (r->declassify_years || r->declassify_event[0]))
		return fail(why, cap, DP_EPARSE,
			    "%s: an UNCLASSIFIED cable has nothing to declassify (write \"%s none\")",
			    what, r->retention);
	return DP_OK;
}

int dp_records_sched_validate(const dp_records_sched *s, char *why, size_t cap)
{
	if (s->nretentions < 1 || s->nretentions > DP_RECORDS_RETENTIONS)
		return fail(why, cap, DP_EPARSE, "a schedule has 1..%d retention classes",
			    DP_RECORDS_RETENTIONS);
	for (size_t i = 0; i < s->nretentions; i++) {
		const dp_retention *t = &s->retentions[i];
		if (!dp_name_ok(t->name))
			return fail(why, cap, DP_EPARSE,
				    "retention class %zu: a name is 1..%d of A-Z 0-9 space . _ -", i + 1,
				    DP_NAME_MAX);
		if (t->years < 0 || t->years > DP_RECORDS_YEARS_MAX)
			return fail(why, cap, DP_EPARSE, "retention class %s: 1..%d years, or permanent",
				    t->name, DP_RECORDS_YEARS_MAX);
		if (retention_find(s, t->name) != t)
			return fail(why, cap, DP_EPARSE, "retention class %s is defined twice", t->name);
	}
	const dp_retention *p = retention_find(s, DP_RETENTION_DEFAULT);
	if (!p || p->years)
		return fail(why, cap, DP_EPARSE,
			    "the retention class " DP_RETENTION_DEFAULT " (of every cable without "
			    "Retention) must be defined and permanent");
	char what[DP_NAME_MAX + 32];
	for (int cl = 0; cl < DP_CLASS_COUNT; cl++) {
		snprintf(what, sizeof what, "the rule of %s", dp_class_name(cl));
		int r = rule_ok(s, &s->by_class[cl], cl, what, why, cap);
		if (r)
			return r == DP_ENOTFOUND ? DP_EPARSE : r;
	}
	if (s->ntags > DP_RECORDS_TAG_RULES)
		return fail(why, cap, DP_EPARSE, "at most %d TAGS have a rule of their own",
			    DP_RECORDS_TAG_RULES);
	for (size_t i = 0; i < s->ntags; i++) {
		if (!dp_name_ok(s->tags[i].tag))
			return fail(why, cap, DP_EPARSE, "tag rule %zu: a TAG is a name (A-Z 0-9 space . _ -)",
				    i + 1);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(s->tags[i].tag, s->tags[j].tag))
				return fail(why, cap, DP_EPARSE, "the TAG %s has two rules", s->tags[i].tag);
		snprintf(what, sizeof what, "the rule of TAG %s", s->tags[i].tag);
		int r = rule_ok(s, &s->tags[i].rule, -1, what, why, cap);
		if (r)
			return r == DP_ENOTFOUND ? DP_EPARSE : r;
	}
	return DP_OK;
}

/* ---- denpod.conf keys ---- */

#define KEY_RETENTION "records_retention_"
#define KEY_CLASS "records_class_"
#define KEY_TAG "records_tag_"

/* The name part of a key, upper-cased into out (DP_NAME_MAX); spaces from '_' if spaces. */
static int key_name(char *out, const char *k, int spaces)
{
	size_t n = strlen(k);
	if (n == 0 || n > DP_NAME_MAX)
		return DP_EPARSE;
	for (size_t i = 0; i < n; i++) {
		if (k[i] == ' ')
			return DP_EPARSE; /* a key has no blank (denpo/conf.h); '_' stands for it */
		out[i] = spaces && k[i] == '_' ? ' ' : (char)toupper((unsigned char)k[i]);
	}
	out[n] = 0;
	return dp_name_ok(out) ? DP_OK : DP_EPARSE;
}

/* "<RETENTION> <years>y" | "<RETENTION> event <text>" | "<RETENTION> none" */
static int rule_parse(const dp_records_sched *s, const char *v, dp_records_rule *r,
		      const char *key, char *why, size_t cap)
{
	memset(r, 0, sizeof *r);
	const char *sp = strchr(v, ' ');
	if (!sp || sp == v)
		return fail(why, cap, DP_EPARSE,
			    "%s: write RETENTION then Ny, \"event TEXT\" or \"none\" "
			    "(records_class_secret = PERMANENT 30y)",
			    key);
	if ((size_t)(sp - v) > DP_NAME_MAX)
		return fail(why, cap, DP_EPARSE, "%s: the retention class is a name of 1..%d bytes", key,
			    DP_NAME_MAX);
	char ret[DP_NAME_MAX + 1];
	memcpy(ret, v, (size_t)(sp - v));
	ret[sp - v] = 0;
	for (char *q = ret; *q; q++)
		*q = (char)toupper((unsigned char)*q);
	if (!retention_find(s, ret))
		return fail(why, cap, DP_ENOTFOUND,
			    "%s: the retention class %s is not defined (a records_retention_%s line "
			    "must come first)",
			    key, ret, ret);
	strcpy(r->retention, ret);
	const char *d = sp + 1;
	size_t dn = strlen(d);
	uint64_t y;
	if (!strcmp(d, "none"))
		return DP_OK;
	if (!strncmp(d, "event ", 6)) {
		if (strlen(d + 6) > DP_DECL_EVENT_MAX || !event_ok(d + 6))
			return fail(why, cap, DP_EPARSE,
				    "%s: the event is 1..%d bytes of text without control characters",
				    key, DP_DECL_EVENT_MAX);
		strcpy(r->declassify_event, d + 6);
		return DP_OK;
	}
	if (dn >= 2 && d[dn - 1] == 'y' && !dp_num_u64(&y, d, dn - 1, 1, DP_RECORDS_YEARS_MAX)) {
		r->declassify_years = (int)y;
		return DP_OK;
	}
	return fail(why, cap, DP_EPARSE,
		    "%s: after the retention class write Ny (declassify after N = 1..%d years), "
		    "\"event TEXT\" or \"none\"",
		    key, DP_RECORDS_YEARS_MAX);
}

static int set_retention(dp_records_sched *s, const char *name, const char *v, const char *key,
			 char *why, size_t cap)
{
	uint64_t y = 0;
	if (strcasecmp(v, "permanent") && dp_num_str(&y, v, 1, DP_RECORDS_YEARS_MAX))
		return fail(why, cap, DP_EPARSE, "%s: 1..%d (years), or permanent", key,
			    DP_RECORDS_YEARS_MAX);
	if (!strcmp(name, DP_RETENTION_DEFAULT) && y)
		return fail(why, cap, DP_EPARSE,
			    "%s: " DP_RETENTION_DEFAULT " is the class of every cable without Retention "
			    "and stays permanent (name the limited class otherwise)",
			    key);
	int i = retention_index(s, name);
	if (i < 0) {
		if (s->nretentions >= DP_RECORDS_RETENTIONS)
			return fail(why, cap, DP_ETOOBIG, "%s: at most %d retention classes", key,
				    DP_RECORDS_RETENTIONS);
		i = (int)s->nretentions++;
		strcpy(s->retentions[i].name, name);
	}
	s->retentions[i].years = (int)y;
	return DP_OK;
}

int dp_records_sched_set(dp_records_sched *s, const char *key, const char *value, char *why,
			 size_t cap)
{
	char name[DP_NAME_MAX + 1];
	dp_records_rule rule;
	int r;
	if (!strncmp(key, KEY_RETENTION, strlen(KEY_RETENTION))) {
		if (key_name(name, key + strlen(KEY_RETENTION), 0))
			return fail(why, cap, DP_EPARSE,
				    "%s: the retention class's name is 1..%d of A-Z 0-9 . _ -", key,
				    DP_NAME_MAX);
		return set_retention(s, name, value, key, why, cap);
	}
	if (!strncmp(key, KEY_CLASS, strlen(KEY_CLASS))) {
		int cl;
		if (key_name(name, key + strlen(KEY_CLASS), 1) || dp_class_parse(name, &cl) ||
		    strcmp(name, dp_class_name(cl)))
			return fail(why, cap, DP_EPARSE,
				    "%s: name a level in full, '_' for the space (records_class_top_secret)",
				    key);
		if ((r = rule_parse(s, value, &rule, key, why, cap)) ||
		    (r = rule_ok(s, &rule, cl, key, why, cap)))
			return r;
		s->by_class[cl] = rule;
		return DP_OK;
	}
	if (!strncmp(key, KEY_TAG, strlen(KEY_TAG))) {
		if (key_name(name, key + strlen(KEY_TAG), 0))
			return fail(why, cap, DP_EPARSE, "%s: a TAG is 1..%d of A-Z 0-9 . _ -", key,
				    DP_NAME_MAX);
		if ((r = rule_parse(s, value, &rule, key, why, cap)) ||
		    (r = rule_ok(s, &rule, -1, key, why, cap)))
			return r;
		size_t i = 0;
		while (i < s->ntags && strcmp(s->tags[i].tag, name))
			i++;
		if (i == s->ntags) {
			if (s->ntags >= DP_RECORDS_TAG_RULES)
				return fail(why, cap, DP_ETOOBIG, "%s: at most %d TAGS have a rule", key,
					    DP_RECORDS_TAG_RULES);
			strcpy(s->tags[s->ntags++].tag, name);
		}
		s->tags[i].rule = rule;
		return DP_OK;
	}
	return fail(why, cap, DP_ENOTFOUND, "%s is not a key of the records schedule", key);
}

/* ---- JSON ---- */

static json_t *rule_json(const dp_records_rule *r)
{
	return json_pack("{s:s, s:i, s:s}", "retention", r->retention, "declassify_years",
			 r->declassify_years, "declassify_event", r->declassify_event);
}

int dp_records_sched_json(const dp_records_sched *s, dp_buf *out)
{
	json_t *rets = json_array(), *classes = json_object(), *tags = json_array();
	int bad = !rets || !classes || !tags;
	for (size_t i = 0; !bad && i < s->nretentions && i < DP_RECORDS_RETENTIONS; i++)
		bad = json_array_append_new(rets, json_pack("{s:s, s:i}", "name", s->retentions[i].name,
							    "years", s->retentions[i].years));
	for (int cl = 0; !bad && cl < DP_CLASS_COUNT; cl++)
		bad = json_object_set_new(classes, dp_class_name(cl), rule_json(&s->by_class[cl]));
	for (size_t i = 0; !bad && i < s->ntags && i < DP_RECORDS_TAG_RULES; i++)
		bad = json_array_append_new(tags, json_pack("{s:s, s:o}", "tag", s->tags[i].tag, "rule",
							    rule_json(&s->tags[i].rule)));
	if (bad) {
		json_decref(rets);
		json_decref(classes);
		json_decref(tags);
		return DP_ENOMEM;
	}
	/* json_pack takes the three, on failure too */
	json_t *j = json_pack("{s:o, s:o, s:o}", "retentions", rets, "classes", classes, "tags", tags);
	if (!j)
		return DP_ENOMEM;
	char *txt = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!txt)
		return DP_ENOMEM;
	int r = dp_buf_puts(out, txt);
	free(txt);
	return r;
}

/* o is an object with exactly the n members named. */
/*
 * Whether o is an object with every member of names: with exact, nothing
 * else (a map keyed by data, as the classes by level); without, other
 * members are a later switch's and ignored, as every answer's are.
 */
static int members_have(json_t *o, const char *const *names, size_t n, int exact)
{
	if (!json_is_object(o) || (exact && json_object_size(o) != n))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!json_object_get(o, names[i]))
			return 0;
	return 1;
}

/* A string member into out[cap] (no NUL inside: jansson refuses \u0000 by default). */
static int jtext(json_t *o, const char *k, char *out, size_t cap)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_string(v) || json_string_length(v) >= cap)
		return DP_EPARSE;
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return DP_OK;
}

static int jyears(json_t *o, const char *k, int *out)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > DP_RECORDS_YEARS_MAX)
		return DP_EPARSE;
	*out = (int)json_integer_value(v);
	return DP_OK;
}

static int rule_from_json(json_t *o, dp_records_rule *r)
{
	static const char *const m[] = {"retention", "declassify_years", "declassify_event"};
	memset(r, 0, sizeof *r);
	if (!members_have(o, m, 3, 0) || jtext(o, "retention", r->retention, sizeof r->retention) ||
	    jyears(o, "declassify_years", &r->declassify_years) ||
	    jtext(o, "declassify_event", r->declassify_event, sizeof r->declassify_event))
		return DP_EPARSE;
	return DP_OK;
}

static int sched_from_json(json_t *j, dp_records_sched *s, char *why, size_t cap)
{
	static const char *const top[] = {"retentions", "classes", "tags"};
	static const char *const ret[] = {"name", "years"};
	static const char *const tag[] = {"tag", "rule"};
	memset(s, 0, sizeof *s);
	if (!members_have(j, top, 3, 0))
		return fail(why, cap, DP_EPARSE, "not an object of retentions, classes and tags");
	json_t *a = json_object_get(j, "retentions"), *v;
	size_t i;
	if (!json_is_array(a) || json_array_size(a) > DP_RECORDS_RETENTIONS)
		return fail(why, cap, json_is_array(a) ? DP_ETOOBIG : DP_EPARSE,
			    "retentions: a list of at most %d classes", DP_RECORDS_RETENTIONS);
	json_array_foreach(a, i, v)
	{
		if (!members_have(v, ret, 2, 0) ||
		    jtext(v, "name", s->retentions[i].name, sizeof s->retentions[i].name) ||
		    jyears(v, "years", &s->retentions[i].years))
			return fail(why, cap, DP_EPARSE, "retention class %zu: {name, years 0..%d}", i + 1,
				    DP_RECORDS_YEARS_MAX);
		s->nretentions++;
	}
	json_t *c = json_object_get(j, "classes");
	const char *names[DP_CLASS_COUNT];
	for (int cl = 0; cl < DP_CLASS_COUNT; cl++)
		names[cl] = dp_class_name(cl);
	if (!members_have(c, names, DP_CLASS_COUNT, 1))
		return fail(why, cap, DP_EPARSE, "classes: one rule for each of the five levels");
	for (int cl = 0; cl < DP_CLASS_COUNT; cl++)
		if (rule_from_json(json_object_get(c, names[cl]), &s->by_class[cl]))
			return fail(why, cap, DP_EPARSE,
				    "the rule of %s: {retention, declassify_years, declassify_event}",
				    names[cl]);
	a = json_object_get(j, "tags");
	if (!json_is_array(a) || json_array_size(a) > DP_RECORDS_TAG_RULES)
		return fail(why, cap, json_is_array(a) ? DP_ETOOBIG : DP_EPARSE,
			    "tags: a list of at most %d rules", DP_RECORDS_TAG_RULES);
	json_array_foreach(a, i, v)
	{
		if (!members_have(v, tag, 2, 0) || jtext(v, "tag", s->tags[i].tag, sizeof s->tags[i].tag) ||
		    rule_from_json(json_object_get(v, "rule"), &s->tags[i].rule))
			return fail(why, cap, DP_EPARSE, "tag rule %zu: {tag, rule}", i + 1);
		s->ntags++;
	}
	return dp_records_sched_validate(s, why, cap);
}

int dp_records_sched_parse(const uint8_t *p, size_t n, dp_records_sched *s, char *why, size_t cap)
{
	int r;
	if (n > SCHED_JSON_MAX) {
		r = fail(why, cap, DP_ETOOBIG, "the records schedule is larger than %u bytes",
			 SCHED_JSON_MAX);
	} else {
		json_error_t e;
		json_t *j = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &e);
		r = j ? sched_from_json(j, s, why, cap)
		      : fail(why, cap, DP_EPARSE, "the records schedule is not JSON");
		json_decref(j);
	}
	if (r)
		dp_records_sched_default(s);
	return r;
}

/* ---- what a draft gets ---- */

/* Created + years, the same month, day and time (UTC); 29 February becomes 1 March. */
static int64_t plus_years(int64_t created, int years)
{
	time_t t = (time_t)created;
	struct tm tm;
	if (!gmtime_r(&t, &tm))
		return 0;
	tm.tm_year += years; /* timegm normalizes 29 Feb of a common year to 1 Mar */
	return (int64_t)timegm(&tm);
}

/* The years of class name: 0 permanent; -1 if the schedule lacks it. */
static int retention_years(const dp_records_sched *s, const char *name)
{
	const dp_retention *t = retention_find(s, name);
	return t ? t->years : -1;
}

/* 1 if retention a (years) keeps longer than b: permanent over any number of years. */
static int keeps_longer(int a, int b) { return b != 0 && (a == 0 || a > b); }

int dp_records_defaults(const dp_records_sched *s, dp_cable *c)
{
	if (c->classification < DP_CLASS_UNCLASSIFIED || c->classification > DP_CLASS_TOP_SECRET)
		return DP_EINVAL;
	/* the rules that apply: the class's, then the tags' in the draft's order */
	const dp_records_rule *rules[1 + DP_MAX_TAGS];
	size_t n = 0;
	rules[n++] = &s->by_class[c->classification];
	for (size_t i = 0; i < c->ntags && i < DP_MAX_TAGS; i++)
		for (size_t k = 0; k < s->ntags && k < DP_RECORDS_TAG_RULES; k++)
			if (!strcmp(s->tags[k].tag, c->tags[i]))
				rules[n++] = &s->tags[k].rule;
	const dp_records_rule *keep = NULL, *event = NULL;
	int keep_years = 0, years = 0;
	for (size_t i = 0; i < n; i++) {
		int y = retention_years(s, rules[i]->retention);
		if (y >= 0 && (!keep || keeps_longer(y, keep_years))) {
			keep = rules[i];
			keep_years = y;
		}
		/* an event over any date: a tag's (the first) over the class's */
		if (rules[i]->declassify_event[0] && (!event || event == rules[0]))
			event = rules[i];
		if (rules[i]->declassify_years > years)
			years = rules[i]->declassify_years;
	}
	if (!c->retention[0] && keep)
		snprintf(c->retention, sizeof c->retention, "%s", keep->retention);
	if (c->classification == DP_CLASS_UNCLASSIFIED || c->declassify_on[0] ||
	    c->declassify_event[0])
		return DP_OK; /* nothing to declassify, or the drafter said when */
	if (event) {
		snprintf(c->declassify_event, sizeof c->declassify_event, "%s", event->declassify_event);
	} else if (years) {
		time_t t = (time_t)plus_years(c->created, years);
		struct tm tm;
		char day[32];
		if (t > 0 && gmtime_r(&t, &tm) && tm.tm_year + 1900 <= 2999 &&
		    snprintf(day, sizeof day, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
			     tm.tm_mday) == 10)
			memcpy(c->declassify_on, day, 11);
	}
	return DP_OK;
}

int dp_records_retention_end(const dp_records_sched *s, const char *retention, int64_t created,
			     int64_t *end)
{
	int y = retention_years(s, retention && retention[0] ? retention : DP_RETENTION_DEFAULT);
	if (y < 0)
		return DP_ENOTFOUND;
	*end = y ? plus_years(created, y) : 0;
	return DP_OK;
}

/* ---- the acts ---- */

static const char *const act_names[] = {
	[DP_REC_READ] = "read",
	[DP_REC_SEARCH] = "search",
	[DP_REC_EXPORT] = "export",
	[DP_REC_PROPOSE] = "declassify-propose",
	[DP_REC_APPROVE] = "declassify-approve",
	[DP_REC_HOLD] = "hold",
	[DP_REC_RELEASE] = "release",
	[DP_REC_DESTROY] = "destroy",
};

const char *dp_records_act_name(int act)
{
	return act >= DP_REC_READ && act <= DP_REC_ACT_MAX ? act_names[act] : "?";
}

int dp_records_act_parse(const char *s, int *act)
{
	for (int i = DP_REC_READ; i <= DP_REC_ACT_MAX; i++) {
		if (!strcmp(s, act_names[i])) {
			*act = i;
			return DP_OK;
		}
	}
	return DP_EPARSE;
}

int dp_records_act_has_cable(int act)
{
	return act >= DP_REC_READ && act <= DP_REC_ACT_MAX && act != DP_REC_SEARCH;
}

int dp_records_apply(dp_records_state *st, int act, const char *who, int64_t now,
		     const char *detail, char *why, size_t cap)
{
	if (act < DP_REC_READ || act > DP_REC_ACT_MAX)
		return fail(why, cap, DP_EINVAL, "no such act (%d)", act);
	const char *an = act_names[act];
	if (!who || !dp_handle_ok(who))
		return fail(why, cap, DP_EINVAL, "%s: the officer is a handle", an);
	if (!st != (act == DP_REC_SEARCH))
		return fail(why, cap, DP_EINVAL, "%s: %s", an,
			    st ? "a search names no cable" : "name the cable");
	size_t dn = detail ? strnlen(detail, DP_RECORDS_DETAIL_MAX + 1) : 0;
	if (dn > DP_RECORDS_DETAIL_MAX || (dn && !dp_text_ok((const uint8_t *)detail, dn, 0)))
		return fail(why, cap, DP_EINVAL,
			    "%s: the detail is one line of 1..%d bytes without control characters", an,
			    DP_RECORDS_DETAIL_MAX);
	if (!dn && (act == DP_REC_HOLD || act == DP_REC_DESTROY))
		return fail(why, cap, DP_EINVAL, "%s: say %s", an,
			    act == DP_REC_HOLD ? "the reason for the hold (the case, the request)"
					       : "what was destroyed and under which authority");
	if (act == DP_REC_SEARCH)
		return DP_OK;
	if (st->destroyed_at && act != DP_REC_RELEASE)
		return fail(why, cap, DP_ESTATE, "%s: the record copy was destroyed by %s", an,
			    st->destroyed_by);
	switch (act) {
	case DP_REC_READ:
		return DP_OK;
	case DP_REC_EXPORT:
		if (!st->declassified_at)
			return fail(why, cap, DP_ESTATE,
				    "export: the cable is still classified (declassify-propose, then a "
				    "second records officer's declassify-approve)");
		return DP_OK;
	case DP_REC_PROPOSE:
		if (st->declassified_at)
			return fail(why, cap, DP_ESTATE, "declassify-propose: already declassified by %s",
				    st->approved_by);
		if (st->proposed_by[0])
			return fail(why, cap, DP_ESTATE,
				    "declassify-propose: %s proposed it already; another records officer "
				    "approves",
				    st->proposed_by);
		if (st->held_by[0])
			return fail(why, cap, DP_ESTATE,
				    "declassify-propose: under a legal hold by %s (release it first)",
				    st->held_by);
		snprintf(st->proposed_by, sizeof st->proposed_by, "%s", who);
		st->proposed_at = now;
		return DP_OK;
	case DP_REC_APPROVE:
		if (st->declassified_at)
			return fail(why, cap, DP_ESTATE, "declassify-approve: already declassified by %s",
				    st->approved_by);
		if (st->held_by[0])
			return fail(why, cap, DP_ESTATE,
				    "declassify-approve: under a legal hold by %s (release it first)",
				    st->held_by);
		if (!st->proposed_by[0])
			return fail(why, cap, DP_ESTATE,
				    "declassify-approve: nobody proposed it (declassify-propose first)");
		if (!strcmp(st->proposed_by, who))
			return fail(why, cap, DP_EDENIED,
				    "declassify-approve: %s proposed it; a second records officer approves",
				    who);
		snprintf(st->approved_by, sizeof st->approved_by, "%s", who);
		st->declassified_at = now;
		return DP_OK;
	case DP_REC_HOLD:
		if (st->held_by[0])
			return fail(why, cap, DP_ESTATE, "hold: already held by %s", st->held_by);
		snprintf(st->held_by, sizeof st->held_by, "%s", who);
		st->held_at = now;
		memcpy(st->hold_reason, detail, dn);
		st->hold_reason[dn] = 0;
		return DP_OK;
	case DP_REC_RELEASE:
		if (!st->held_by[0])
			return fail(why, cap, DP_ESTATE, "release: the cable is not under a legal hold");
		st->held_by[0] = st->hold_reason[0] = 0;
		st->held_at = 0;
		return DP_OK;
	case DP_REC_DESTROY:
		if (st->held_by[0])
			return fail(why, cap, DP_ESTATE,
				    "destroy: under a legal hold by %s (%s); it may not be destroyed",
				    st->held_by, st->hold_reason);
		if (!st->destroy_proposed_by[0]) { /* the first officer proposes */
			snprintf(st->destroy_proposed_by, sizeof st->destroy_proposed_by, "%s", who);
			st->destroy_proposed_at = now;
			memcpy(st->destroy_detail, detail, dn);
			st->destroy_detail[dn] = 0;
			return DP_OK;
		}
		if (!strcmp(st->destroy_proposed_by, who))
			return fail(why, cap, DP_EDENIED,
				    "destroy: %s proposed the destruction; a second records officer must "
				    "destroy it too",
				    who);
		snprintf(st->destroyed_by, sizeof st->destroyed_by, "%s", who);
		st->destroyed_at = now;
		return DP_OK;
	}
	return DP_EINVAL;
}
