/*
 * denpo/sentrec.h - the records of the cables this device sent (HOME/sent/),
 * and the ones the switch no longer holds.
 *
 * `denpo send` keeps each submission as sent (sent/ID.cable, encrypted to
 * its recipients: this device cannot open it) and a record sent/ID.json,
 * one JSON object with no content of the cable:
 *
 *   cable_id, state ("pending" until the switch accepts it, then
 *   "accepted"), mrn ("" while pending), created, classification,
 *   precedence (of the action addressees), to, info, recipients, accepted
 *   (the switch's time, 0 while pending); "decoy": true for a decoy;
 *   after a resend of a lost cable: mrn_before_restore (the MRN the switch
 *   lost) and resent (the time of the resend).
 *
 * A cable is LOST when its record says accepted and the switch no longer
 * holds it: a switch restored from a backup has lost every cable accepted
 * after the backup (docs/operations.md, "Back up and restore").  The same
 * bytes can be submitted again (`denpo retry`): the restored switch takes
 * them as a new cable and gives it a new MRN.  Whether the switch holds a
 * cable is judged from its list of the officer's sent cables (GET
 * /v1/sent, pages of the officer's cables newest first): exact whatever
 * the number of cables (no cable beyond the first page is mistaken for
 * lost), and one request per 1,000 of the officer's cables, asked only
 * while a record is unaccounted for.  The list is the switch's word: a
 * switch that says it holds a cable it lost only hides the offer to resend
 * (the transparency log is what proves acceptance), and one that denies
 * holding one gets the same bytes again, which it answers as a repeat.
 */
#ifndef DENPO_SENTREC_H
#define DENPO_SENTREC_H

#include "denpo/cli.h"

enum { SENTREC_OTHER = 0, SENTREC_PENDING, SENTREC_ACCEPTED };

typedef struct {
	char cable_id[DP_HEXID];
	int state;                        /* SENTREC_* */
	char mrn[DP_MRN_MAX + 1];         /* "" while pending */
	char was[DP_MRN_MAX + 1];         /* mrn_before_restore, "" if it was never lost */
	int precedence;                   /* enum dp_prec; -1 if the record does not say */
	int classification;               /* enum dp_class; -1 if the record does not say */
	int64_t accepted;                 /* the switch's time (0 while pending) */
	int decoy;                        /* sent with --decoy */
	int seen;                         /* sentrec_seen: the switch listed it */
	int lost;                         /* sentrec_find_lost: accepted, and the switch does not hold it */
} sentrec;

/*
 * Write sent/ID.json for cable c (0600, atomically): state "pending" (res
 * NULL) or "accepted" with res's MRN and time.  DP codes.
 */
int sentrec_write(cli_ctx *x, const dp_cable *c, const char *state, const dp_submit_result *res, int decoy) DP_WUR;

/*
 * The switch accepted the record's cable (a retry): state, mrn and
 * accepted from res, every other field kept.  A record that was accepted
 * under another MRN before, answered as a new cable (not a repeat), was
 * lost by the switch: its old MRN goes to mrn_before_restore and the time
 * to resent.  DP codes (DP_ENOTFOUND: no record).
 */
int sentrec_accepted(cli_ctx *x, const char *id, const dp_submit_result *res) DP_WUR;

/*
 * Every record in HOME/sent/, sorted by cable id (*recs malloc'd, NULL
 * when there are none).  A record that cannot be read or has no valid
 * cable_id is skipped (its cable can still be retried by id).  DP_OK or
 * DP_ENOMEM.
 */
int sentrec_load(cli_ctx *x, sentrec **recs, size_t *n) DP_WUR;

/* The record of cable id: DP_OK, or DP_ENOTFOUND (none, or not usable). */
int sentrec_get(cli_ctx *x, const char *id, sentrec *out) DP_WUR;

/* The record of cable_id among recs (as sentrec_load sorts them), or NULL. */
sentrec *sentrec_find(const sentrec *recs, size_t n, const char *cable_id);
/* The record of cable id as on disk (a jansson json_t *, the caller's reference), or NULL. */
void *sentrec_json(cli_ctx *x, const char *id);

/* Mark the record of cable_id (if any) as listed by the switch. */
void sentrec_seen(sentrec *recs, size_t n, const char *cable_id);

/*
 * After the switch's first page of the sent list was passed to
 * sentrec_seen: mark every accepted record the switch does not hold as
 * lost.  more: that page was full (it may go on); before: the lowest seq
 * it listed.  Older pages are asked for only while an accepted record is
 * unaccounted for.  *nlost gets the count.  DP codes (a failed request:
 * nothing is marked); DP_ESTATE: a switch from before sent-list paging
 * (no seq) listed a full page, so what is beyond it cannot be judged.
 */
int sentrec_find_lost(cli_ctx *x, sentrec *recs, size_t n, int more, int64_t before, size_t *nlost) DP_WUR;

/*
 * Copies of the nlost records marked lost, in the order to resend them:
 * FLASH first, then IMMEDIATE, PRIORITY, ROUTINE (a record that does not
 * say: last), older first.  malloc'd; NULL when nlost is 0 or out of memory.
 */
sentrec *sentrec_lost_sorted(const sentrec *recs, size_t n, size_t nlost);

#endif
