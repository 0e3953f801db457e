/*
 * denpod/cable_rules.h - the rules a stored cable follows, apart from the
 * database that keeps it: the store (denpod/store_cable.c) asks these
 * functions and only counts, reads and writes rows.
 *
 * - MRN numbering: the message reference number of a cable is its
 *   originating post's counter for the UTC year of its acceptance,
 *   "YY POST SERIAL" (dp_mrn_format): six digits from 000001, wider past
 *   999999 (1000000, ...); the counter is gap-free (the store bumps it in
 *   the transaction that inserts the cable, so a number is never skipped
 *   nor reused) and stops at DP_MRN_SERIAL_MAX, 15 nines (a cable past it
 *   is refused with DP_ETOOBIG, never numbered twice): 31 million cables
 *   a second for a whole year, beyond any switch.
 * - The warning: a post whose serial for the year reaches DPR_MRN_WARN (a
 *   tenth of the limit) is named in the switch's log when it does
 *   (dpr_mrn_warn), at each start while it stays there, by `denpod check`,
 *   and in denpod_mrn_posts_near_limit (docs/operations.md, "MRN serials").
 * - Due time: a recipient's copy is due at acceptance plus the delivery
 *   objective of the precedence that applies to that recipient
 *   (dp_prec_objective); past it, the copy is overdue.
 * - Decoy rows: a decoy's recipient rows are stored delivered and
 *   acknowledged at acceptance, so a decoy is in its recipients'
 *   archives and never in an inbox.
 *
 * The DECOY role (an officer who plants decoys and receives no cable) is
 * policy's: dpp_is_decoy_officer (denpod/policy.h).
 */
#ifndef DENPOD_CABLE_RULES_H
#define DENPOD_CABLE_RULES_H

#include <stdint.h>

#include "denpod/store.h"

/* One past the last serial (DP_MRN_SERIAL_MAX + 1), spelt out for SQL text. */
#define DPR_MRN_END 1000000000000000
/* The serial at which the operator is warned: a tenth of the way to the limit. */
#define DPR_MRN_WARN (DPR_MRN_END / 10)

/* The year (UTC) whose counter numbers a cable accepted at t. */
int dpr_mrn_year(int64_t t);
/*
 * The MRN of the num-th cable of post in year into out.  DP_ETOOBIG if num
 * is past DP_MRN_SERIAL_MAX; DP_EINVAL for a post name an MRN cannot hold.
 */
int dpr_mrn(char out[DPS_MRN_MAX + 1], int year, const char *post, int64_t num) DP_WUR;
/* 1 if serial num of a post's year is at or past the warning (DPR_MRN_WARN). */
int dpr_mrn_high(int64_t num);
/*
 * The warning about post's serial num in year, one line into out (cap
 * bytes): how far it is, the limit, what happens there and where to read.
 */
void dpr_mrn_warning(char *out, size_t cap, const char *post, int year, int64_t num);
/*
 * Says dpr_mrn_warning on stderr (the switch's log) when the num-th cable
 * of post in year is the one that reaches DPR_MRN_WARN: once per post and
 * year, as the counter is gap-free (a rolled-back batch that is retried may
 * say it twice).
 */
void dpr_mrn_warn(const char *post, int year, int64_t num);
/* When a recipient's copy of a cable accepted at `accepted`, at precedence prec, is due. */
int64_t dpr_due(int64_t accepted, int prec);
/*
 * The delivered and acknowledged time a recipient row starts with:
 * accepted for a decoy, 0 (not yet) otherwise.
 */
int64_t dpr_receipt_at_accept(int decoy, int64_t accepted);

#endif
