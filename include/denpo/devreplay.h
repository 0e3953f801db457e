/*
 * denpo/devreplay.h - the officer index made from the log's entries
 * (denpo/devindex.h): the one replay the switch's signer, `denpod log
 * verify` and an auditor all run, so the root the log key signed is a
 * function of the entries alone.
 *
 * A replay holds every officer's record (its canonical text, key and
 * value hash) and the map device -> officer that the entries other than
 * device-enrolled need (they name only the device).  Feed it the entries
 * in log order, from 0 or from records loaded from a store that were made
 * from the entries below some size; ask for the root.  The map is rebuilt
 * only when a record changed since the last root.
 *
 * An entry the index cannot hold is an error, never skipped: a device
 * enrolled a second time (for the same or another officer), or a 65th
 * device for one officer (DP_DEVREC_MAX).  Skipping it would leave a
 * device out of its officer's record, which is what the index exists to
 * make impossible; the signer refuses to sign instead, and says why.
 * Entries that do not decode change nothing (log verify reports them).
 */
#ifndef DENPO_DEVREPLAY_H
#define DENPO_DEVREPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "denpo/devindex.h"

typedef struct dp_devreplay dp_devreplay;

int dp_devreplay_new(dp_devreplay **out) DP_WUR;
void dp_devreplay_free(dp_devreplay *x);

/*
 * A stored record (its canonical text).  DP_EPARSE if it is not one;
 * DP_EEXISTS if its officer, or one of its devices, is already held.
 */
int dp_devreplay_load(dp_devreplay *x, const uint8_t *text, size_t len) DP_WUR;

/*
 * A record's text for officer, taken as it is (not decoded, its devices not
 * mapped): for a reader that uses the map only after checking its root
 * against a signed one (the switch's API view), to which a record the
 * signer did not make gives another root.  Replaces officer's text if held.
 * Entries must not be applied after it.  DP_EINVAL if officer is no handle.
 */
int dp_devreplay_put(dp_devreplay *x, const char *officer, const uint8_t *text, size_t len) DP_WUR;

/*
 * The log entry at idx (its bytes; only device events are decoded).
 * DP_EEXISTS: a device enrolled twice; DP_ETOOBIG: an officer's record
 * full; DP_EINVAL: the record it would make breaks a rule of the record
 * (an entry out of log order); DP_ENOMEM.  why (may be NULL, cap bytes)
 * says which entry and officer, and what, on every error; a refused entry
 * changes nothing (its device is not mapped to an officer).  Entries must
 * come in log order.
 */
int dp_devreplay_entry(dp_devreplay *x, uint64_t idx, const uint8_t *e, size_t len, char *why,
		       size_t cap) DP_WUR;
/* The same, for a decoded entry. */
int dp_devreplay_apply(dp_devreplay *x, uint64_t idx, const dp_logent *e, char *why,
		       size_t cap) DP_WUR;

/* The root over every record (the map rebuilt if a record changed).  DP_ENOMEM. */
int dp_devreplay_root(dp_devreplay *x, uint8_t root[DP_TLOG_HASH]) DP_WUR;
/* The built map (after dp_devreplay_root succeeded; valid until the next change). */
const dp_devindex *dp_devreplay_map(const dp_devreplay *x);

/* Officers held; the i-th's handle, record text and whether it changed since dp_devreplay_clean. */
size_t dp_devreplay_count(const dp_devreplay *x);
void dp_devreplay_get(const dp_devreplay *x, size_t i, const char **officer, const uint8_t **text,
		      size_t *len, int *dirty);
/* The record of officer: DP_OK, or DP_ENOTFOUND. */
int dp_devreplay_find(const dp_devreplay *x, const char *officer, const uint8_t **text,
		      size_t *len) DP_WUR;
/* Marks every record unchanged (after the caller stored the changed ones). */
void dp_devreplay_clean(dp_devreplay *x);

#endif
