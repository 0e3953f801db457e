/*
 * denpod/check.h - is a stored copy what vouches for it?
 *
 * A cable's bytes are vouched for by the Envelope-Hash of its
 * cable-accepted log entry: the SHA-256 of the submission, written in the
 * transaction that stored the cable, under the Merkle tree and the signed
 * checkpoints that devices witness.  The database file is vouched for by
 * SQLite's own checks.  The fetch (api.c), the scrub (denpod/scrub.h),
 * the start (server.c) and `denpod check` judge with these functions, so
 * they agree on what damage is; the log's own walk is in denpod/tlog.h.
 *
 * Damage is described in a dpo_damage (denpod/alerts.h): the part that is
 * damaged, the cable and log entry concerned, and one line saying what
 * does not match what.  Which copy is wrong is told apart where it can
 * be: when a cable's bytes and its entry disagree, the entry's own leaf
 * hash in the tiles says whether the entry or the bytes changed.
 */
#ifndef DENPOD_CHECK_H
#define DENPOD_CHECK_H

#include <stdio.h>

#include "denpo/logentry.h"
#include "denpod/alerts.h"
#include "denpod/config.h"
#include "denpod/store.h"

/*
 * d cleared and filled: part, the cable (c may be NULL: none), log_index
 * (-1: none) and the detail (printf).  The caller sets t_ms, found_by and
 * the device.
 */
void dpk_damage(dpo_damage *d, const char *part, const dps_cable *c, int64_t log_index,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * The cable's bytes (data, len) against the Envelope-Hash of its first
 * cable-accepted entry (c->log_idx; a cable stored without the log, -1,
 * against the digest stored beside its bytes).  DP_OK if they match;
 * DP_ESTATE if the copy is damaged, with d's part, cable, mrn, log_index
 * and detail filled (the caller sets t_ms, found_by and device); another
 * code if the entry could not be read for another reason than damage.
 * e (may be NULL: heap memory is used) is scratch for decoding the entry;
 * on DP_OK it holds the entry.
 */
int dpk_cable(dps_store *s, const dps_cable *c, const uint8_t *data, size_t len, dp_logent *e,
	      dpo_damage *d) DP_WUR;

/*
 * Reads the cable's bytes into data (its cap: the largest accepted) and
 * checks them as dpk_cable does.  Bytes SQLite cannot read because the
 * file is damaged are damage too (DP_ESTATE, d filled).
 */
int dpk_cable_read(dps_store *s, const dps_cable *c, dp_buf *data, dp_logent *e,
		   dpo_damage *d) DP_WUR;

/*
 * The start's database check: opens DIR/denpod.db into *s and runs
 * SQLite's quick_check.  Damage (or a database that cannot be opened)
 * is printed with what to do next (`denpod check`, the recovery section of
 * docs/operations.md), a damage alert goes to the configured outputs,
 * and nothing is left open: DP_ESTATE (damage) or the store's error.
 * A PostgreSQL store that cannot be reached (DP_ESTORE) is tried again
 * once a second for DPK_PG_START_WAIT seconds, saying so: a standby being
 * promoted takes seconds, and an instance started meanwhile waits for it
 * rather than exiting to its supervisor's restart (scripts/failover-drill).
 * A database that opens is asked for the MRN counters near their limit
 * (dpk_mrn_warnings, on stderr: the switch's log).
 */
#define DPK_PG_START_WAIT 30
int dpk_open_start(dps_store **s, const dpc_config *cfg) DP_WUR;
/*
 * One line "<prefix><dpr_mrn_warning>" on out for each post whose serial
 * this year (UTC, now) is at or past DPR_MRN_WARN (denpod/cable_rules.h):
 * at the start and in `denpod check`.  The count of posts named, or -1 if
 * the counters cannot be read (said on out too).
 */
int dpk_mrn_warnings(dps_store *s, int64_t now, FILE *out, const char *prefix);
/* A start refused for damage found elsewhere (the log): the same alert. */
void dpk_start_refused(const dpc_config *cfg, const char *part, const char *detail);

#endif
