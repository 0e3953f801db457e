/*
 * fuzz_draft - draft_cable on arbitrary JSON: the draft `denpo ui` sends
 * (the page is not trusted to send a well-formed one).  Whatever it
 * accepts stays within the cable's limits; a draft accepted as complete
 * and valid comes back the same through draft_json and draft_cable (the
 * one conversion, both ways); nothing leaks.
 * Seeds: fuzz/corpus/fuzz_draft/.
 */
#include <limits.h>
#include <string.h>

#include "denpo/drafts.c"
#include "fuzz/fuzz.h"

/* The state-directory helpers drafts.c uses (the store is not fuzzed here). */
void cli_path(const cli_ctx *x, char out[PATH_MAX], const char *name)
{
	snprintf(out, PATH_MAX, "/nonexistent/%s", name);
}
const char *cli_strerror(cli_ctx *x, int rc) { return dp_strerror(rc); }
int cli_shred(const char *path) { return DP_EIO; }
/* The schedule's check (denpo/schedule.c) against the built-in schedule: no HOME here. */
int cli_retention_check(cli_ctx *x, const char *retention, char *why, size_t cap)
{
	dp_records_sched s;
	int64_t end;
	dp_records_sched_default(&s);
	if (!retention[0] || dp_records_retention_end(&s, retention, 0, &end) == DP_OK)
		return DP_OK;
	snprintf(why, cap, "no retention class %s", retention);
	return DP_EINVAL;
}

static void fresh(dp_cable *c)
{
	dp_cable_init(c);
	c->classification = c->prec_action = c->prec_info = -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cli_ctx x;
	char why[512];
	snprintf(x.ans.officer, sizeof x.ans.officer, "sato.k");
	snprintf(x.ans.post, sizeof x.ans.post, "HQ");
	json_error_t je;
	json_t *d = json_loadb((const char *)data, size, 0, &je);
	if (!d)
		return 0;
	dp_cable c, b;
	fresh(&c);
	int r = draft_cable(&x, d, &c, 0, 0, why, sizeof why);
	if (r == DP_OK && (c.nto > DP_MAX_ADDRESSEES || c.ntags > DP_MAX_TAGS || c.nrefs > DP_MAX_REFS ||
			   c.natts > DP_MAX_ATTACHMENTS || c.body_len > DP_MAX_BODY ||
			   strlen(c.subject) > DP_SUBJECT_MAX))
		__builtin_trap();
	dp_cable_free(&c);
	fresh(&c);
	r = draft_cable(&x, d, &c, 1, 1, why, sizeof why);
	if (r == DP_OK) {
		memset(c.id, 1, sizeof c.id);
		c.created = 1700000000;
		strcpy(c.from, "HQ");
		json_t *j = draft_json(&c);
		fresh(&b);
		if (j && draft_cable(&x, j, &b, 1, 0, why, sizeof why) != DP_OK && dp_cable_validate(&c) == DP_OK)
			__builtin_trap(); /* a valid cable's draft must convert back */
		if (j && dp_cable_validate(&c) == DP_OK &&
		    (b.classification != c.classification || b.prec_action != c.prec_action || b.nto != c.nto ||
		     b.body_len != c.body_len || b.natts != c.natts || strcmp(b.subject, c.subject) ||
		     (c.body_len && memcmp(b.body, c.body, c.body_len))))
			__builtin_trap();
		json_decref(j);
		dp_cable_free(&b);
	}
	dp_cable_free(&c);
	json_decref(d);
	return 0;
}
