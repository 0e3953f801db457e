/*
 * denpod/cable_rules.h - the rules a stored cable follows, apart from the
 * database that keeps it: the store (denpod/store_cable.c) asks these
 * functions and only counts, reads and writes rows.
 *
 * - MRN numbering: the message reference number of a cable is its
 *   originating post's counter for the UTC year of its acceptance,
 *   "YY POST NNNNNN": six digits, from 000001; the counter is gap-free
 *   (the store bumps it in the transaction that inserts the cable, so a
 *   number is never skipped nor reused) and stops at 999999 (a cable
 *   past it is refused with DP_ETOOBIG, never numbered twice).
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

#define DPR_MRN_END 1000000 /* one past the last serial: the MRN has six digits */

/* The year (UTC) whose counter numbers a cable accepted at t. */
int dpr_mrn_year(int64_t t);
/*
 * The MRN of the num-th cable of post in year into out.  DP_ETOOBIG if num
 * is past the six digits; DP_EINVAL for a post name an MRN cannot hold.
 */
int dpr_mrn(char out[DPS_MRN_MAX + 1], int year, const char *post, int64_t num) DP_WUR;
/* When a recipient's copy of a cable accepted at `accepted`, at precedence prec, is due. */
int64_t dpr_due(int64_t accepted, int prec);
/*
 * The delivered and acknowledged time a recipient row starts with:
 * accepted for a decoy, 0 (not yet) otherwise.
 */
int64_t dpr_receipt_at_accept(int decoy, int64_t accepted);

#endif
