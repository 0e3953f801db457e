/*
 * audit_index.c - the auditor's check of the officer index (denpo/devindex.h,
 * docs/transparency.md §6): the index is a function of the log, so the
 * verified mirror recomputes it from its own entries (the one replay the
 * switch's signer runs, denpo/devreplay.h) and compares the root with the
 * officer-index line the log key signed in the mirror's checkpoint.
 *
 * A switch could show senders an index that lists a device and an
 * officer's own devices, at another size, one that does not; no device
 * alone can see that, since each checks only the checkpoints it is shown.
 * The auditor can: every root the log key signs must be the one the
 * entries give.
 */
#include <stdio.h>
#include <string.h>

#include "denpo/cli.h"
#include "denpo/devreplay.h"

typedef struct {
	dp_devreplay *rp;
	char why[256];
} replay_ctx;

static int on_entry(void *ctx, uint64_t index, const uint8_t *e, size_t len)
{
	replay_ctx *c = ctx;
	return dp_devreplay_entry(c->rp, index, e, len, c->why, sizeof c->why);
}

int audit_index_check(cli_ctx *x, uint64_t *size, char *why, size_t whycap)
{
	replay_ctx c = {0};
	audit_mirror m;
	uint8_t want[DP_TLOG_HASH], got[DP_TLOG_HASH];
	*size = 0;
	why[0] = 0;
	int r = dp_devreplay_new(&c.rp);
	if (r)
		return r;
	r = audit_mirror_open(x, &m, 0, on_entry, &c, why, whycap);
	if (r) {
		if (c.why[0])
			snprintf(why, whycap, "the log's entries make no officer index: %s", c.why);
		dp_devreplay_free(c.rp);
		return r;
	}
	*size = m.ck.cp.size;
	r = dp_devindex_line_parse(m.ck.note, m.ck.text_len, m.ck.cp.next, got);
	if (r == DP_ENOTFOUND) {
		snprintf(why, whycap, "the checkpoint of size %llu commits to no officer index (signed "
				      "by a switch older than the index)",
			 (unsigned long long)*size);
	} else if (r) {
		snprintf(why, whycap, "the checkpoint of size %llu has a malformed officer-index line",
			 (unsigned long long)*size);
		r = DP_ESIG;
	} else if ((r = dp_devreplay_root(c.rp, want)) == DP_OK &&
		   memcmp(want, got, DP_TLOG_HASH) != 0) {
		snprintf(why, whycap, "the checkpoint of size %llu, signed by the log key, commits to "
				      "an officer index that its own entries do not give: the switch "
				      "showed someone a false list of an officer's devices",
			 (unsigned long long)*size);
		r = DP_ESIG;
	}
	audit_mirror_free(&m);
	dp_devreplay_free(c.rp);
	return r;
}
