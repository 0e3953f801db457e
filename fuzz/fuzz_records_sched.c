/*
 * fuzz_records_sched - the records schedule (denpo/records.h) on arbitrary
 * bytes, two ways by the first byte:
 *
 *   '{' and anything else: the directory answer's "records" object as a
 *   switch might send it (dp_records_sched_parse).  A refusal leaves the
 *   default schedule; an accepted one validates, writes back the JSON it
 *   was read from in its one encoding (read again, the same schedule), and
 *   gives every draft (each level, with its TAGS) defaults a cable may
 *   carry: a defined retention class, at most one declassification, none
 *   on UNCLASSIFIED, a date after Created.
 *
 *   '#': the rest as denpod.conf lines KEY=VALUE (dp_records_sched_set):
 *   whatever lines are accepted, the schedule stays valid.
 *
 * Seeds: fuzz/corpus/fuzz_records_sched.
 */
#include <string.h>

#include "denpo/records.h"
#include "fuzz/fuzz.h"

static void check_defaults(const dp_records_sched *s, const char (*tags)[DP_NAME_MAX + 1], size_t ntags)
{
	for (int cl = 0; cl < DP_CLASS_COUNT; cl++) {
		dp_cable c;
		dp_cable_init(&c);
		c.classification = cl;
		c.created = 1796638200; /* 2026-12-07 10:10 UTC */
		for (size_t i = 0; i < ntags && i < DP_MAX_TAGS; i++)
			memcpy(c.tags[c.ntags++], tags[i], DP_NAME_MAX + 1);
		if (dp_records_defaults(s, &c))
			__builtin_trap();
		int64_t end;
		if (!c.retention[0] || dp_records_retention_end(s, c.retention, c.created, &end))
			__builtin_trap(); /* a class the schedule defines */
		if (end && end <= c.created)
			__builtin_trap();
		if (c.declassify_on[0] && c.declassify_event[0])
			__builtin_trap(); /* one instruction */
		if (cl == DP_CLASS_UNCLASSIFIED && (c.declassify_on[0] || c.declassify_event[0]))
			__builtin_trap();
		if (c.declassify_event[0] &&
		    !dp_text_ok((const uint8_t *)c.declassify_event, strlen(c.declassify_event), 0))
			__builtin_trap();
		if (c.declassify_on[0] && (strlen(c.declassify_on) != 10 || strcmp(c.declassify_on, "2026-12-07") <= 0))
			__builtin_trap(); /* later than the day of Created */
	}
}

static void conf_lines(const uint8_t *data, size_t size)
{
	dp_records_sched s;
	dp_records_sched_default(&s);
	char line[512], why[DP_RECORDS_WHY];
	size_t i = 0;
	while (i < size) {
		size_t n = 0;
		while (i < size && data[i] != '\n' && n < sizeof line - 1)
			line[n++] = (char)data[i++];
		i++;
		line[n] = 0;
		char *eq = memchr(line, '=', n);
		if (!eq || strlen(line) != n)
			continue; /* not KEY=VALUE, or a NUL: the conf reader's refusals */
		*eq = 0;
		(void)dp_records_sched_set(&s, line, eq + 1, why, sizeof why);
		if (dp_records_sched_validate(&s, why, sizeof why))
			__builtin_trap(); /* no accepted line leaves a schedule the switch would not send */
	}
	char tags[DP_RECORDS_TAG_RULES][DP_NAME_MAX + 1];
	for (size_t k = 0; k < s.ntags; k++)
		memcpy(tags[k], s.tags[k].tag, DP_NAME_MAX + 1);
	check_defaults(&s, (const char(*)[DP_NAME_MAX + 1])tags, s.ntags < DP_MAX_TAGS ? s.ntags : DP_MAX_TAGS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size && data[0] == '#') {
		conf_lines(data + 1, size - 1);
		return 0;
	}
	dp_records_sched s, t, d;
	char why[DP_RECORDS_WHY];
	why[0] = 0;
	int r = dp_records_sched_parse(data, size, &s, why, sizeof why);
	dp_records_sched_default(&d);
	if (r) {
		if ((r != DP_EPARSE && r != DP_ETOOBIG) || !why[0] || memcmp(&s, &d, sizeof s))
			__builtin_trap(); /* refused with a reason; the default schedule left */
		return 0;
	}
	if (dp_records_sched_validate(&s, why, sizeof why))
		__builtin_trap();
	dp_buf b;
	dp_buf_init(&b, 1 << 20);
	if (dp_records_sched_json(&s, &b) || dp_records_sched_parse(b.p, b.len, &t, why, sizeof why) ||
	    memcmp(&s, &t, sizeof s))
		__builtin_trap(); /* the one encoding reads back to the same schedule */
	dp_buf_free(&b);
	/* drafts with the schedule's tags, a tag it lacks, and none of note */
	char tags[DP_MAX_TAGS][DP_NAME_MAX + 1];
	size_t n = 0;
	for (size_t k = s.ntags; k-- > 0 && n < DP_MAX_TAGS - 1;)
		memcpy(tags[n++], s.tags[k].tag, DP_NAME_MAX + 1);
	strcpy(tags[n++], "PGOV");
	check_defaults(&s, (const char(*)[DP_NAME_MAX + 1])tags, n);
	check_defaults(&s, (const char(*)[DP_NAME_MAX + 1])tags + n - 1, 1);
	return 0;
}
