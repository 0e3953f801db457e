/*
 * denpo/officer.h - the officer index as a device uses it
 * (include/denpo/devindex.h, docs/transparency.md §6).
 *
 * Every device checks its own officer's set of devices on each upkeep
 * (cli_log_upkeep, after the log's checkpoint is witnessed): it asks the
 * switch for its officer's record with its map proof under a checkpoint,
 * verifies that checkpoint as the witness does (bind_checkpoint) and the
 * proof against the checkpoint's officer-index line, and compares the
 * record with HOME/devices/trusted, the devices this device accepts (0600,
 * one hex id a line: itself, the devices listed at its first check, the
 * ones its officer approved on it).  A listed device that is neither
 * trusted nor approved by a trusted device (dp_devrec_unapproved) is a
 * warning on every command, and is reported once to the switch (POST
 * /v1/devices/report; HOME/devices/reported lists what was).  A proof
 * that fails, or a checkpoint without the line, is exit 3 with the
 * evidence kept in HOME/log/index-evidence-<unix>.txt.
 *
 * Senders check recipients against the same index (officer_recipients):
 * every device a resolve answer lists must be active in its officer's
 * verified record, with the enrolment entry the answer proves.
 */
#ifndef DENPO_OFFICER_H
#define DENPO_OFFICER_H

#include <jansson.h>

#include "denpo/cli.h"
#include "denpo/devindex.h"

/* What the last upkeep found (x->ov): the record it verified and what it warned of. */
struct officer_view {
	int checked;                   /* rec was verified; 0: the check could not be made (warnings say why) */
	dp_devrec rec;                 /* verified under a checkpoint of size log_size */
	uint64_t log_size;
	size_t unknown[DP_DEVREC_MAX]; /* indexes into rec.dev of the devices not accepted */
	size_t nunknown;
	json_t *warnings;              /* the warnings' sentences, as the UI shows them */
};
void officer_view_free(struct officer_view *v);

/*
 * The pure check: p is officer's answer under checkpoint cp (verified by
 * the caller).  DP_OK with rec decoded (its officer is officer); DP_ENOTFOUND
 * if the proof shows officer has no record; DP_ESIG with why said when the
 * checkpoint has no (or a malformed) officer-index line, the answer is for
 * another officer, the proof does not place it under the root, or the
 * record is not one.
 */
int officer_verify(const cli_ckpt *cp, const char *officer, const dp_officer_proof *p, dp_devrec *rec,
		   char *why, size_t whycap) DP_WUR;

/*
 * The upkeep's step (x->cl open, the answer loaded): check this officer's
 * set, warn, report, and fill x->ov.  Returns an exit code: EXIT_VERIFY
 * on a failed proof (reported, evidence kept); a switch that cannot be
 * reached or answers 5xx is a warning (EXIT_OK).
 */
int officer_upkeep(cli_ctx *x);

/*
 * The sender's check of a resolve answer against the officer index under
 * cp (the checkpoint its log object verified to): every listed device is
 * active in its officer's record with the enrolment index its enrolment
 * entry has.  DP_OK; DP_ESIG with why naming the device and officer.  An
 * active device of a record that the answer neither lists nor names
 * unreachable is a warning sentence appended to warnings.
 */
int officer_recipients(const dp_resolution *res, const cli_ckpt *cp, json_t *warnings, char *why,
		       size_t whycap) DP_WUR;

/* Add id to HOME/devices/trusted (0600, written atomically).  DP codes (DP_EPARSE: the file is damaged). */
int officer_trust(cli_ctx *x, const uint8_t id[DP_ED25519_PK]) DP_WUR;

/* One device of a record as `denpo device list --json` shows it. */
json_t *officer_dev_json(const cli_ctx *x, const dp_devrec *r, size_t i, int unknown);

#endif
