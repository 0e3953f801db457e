/*
 * denpo/outbox.h - cables waiting for the switch.
 *
 * The outbox is the drafts marked queued (denpo/drafts.h): a cable the
 * officer sent while the switch could not be reached.  It is kept as its
 * draft, sealed under the storage key, not as a submission: recipients'
 * keys are resolved, and the cable signed and encrypted, when it is
 * submitted.  Every command that reaches the switch (send, reply, inbox,
 * each pass of inbox --watch, read, outbox send) first sends what waits
 * (outbox_upkeep), so the outbox empties by itself when the switch is back.
 *
 * An entry is sent FLASH first, then IMMEDIATE, PRIORITY, ROUTINE, older
 * first.  Before its first attempt it gets the cable id it will carry
 * (its "cable_id"); once sealed, HOME/sent/ID.cable holds its submission,
 * so an attempt cut short (the network, a crash) is finished with the
 * same bytes and the switch answers the repeat idempotently: never two
 * cables for one entry.  An entry the switch accepted is removed.  One it
 * could not reach (DP_ENET), or whose store was full or unavailable
 * (DP_ENOSPC, DP_ESTORE), stays queued with last_error; one refused for
 * a reason that will not go away by itself (no recipient resolves, a
 * policy refusal, a malformed draft) stays in the outbox marked "failed"
 * with the reason: it is never lost, and never sent again by itself
 * (`denpo outbox retry ID` after the cause is fixed, or `delete`).
 * Everything that seals or submits an entry holds drafts/lock
 * (drafts_lock), and an entry once sealed is not changed (draft_save
 * refuses): its bytes go as they are.
 */
#ifndef DENPO_OUTBOX_H
#define DENPO_OUTBOX_H

#include <jansson.h>

#include "denpo/cli.h"
#include "denpo/drafts.h"
#include "denpo/send.h"

/*
 * Put c (header fields, body, attachments) in the outbox as a new draft,
 * queued now; cable_id: the id it was already sealed under (its
 * HOME/sent/ID.cable is sent as it is), or NULL.  id gets the draft's id.
 * DP codes (why says what failed).
 */
int outbox_queue(cli_ctx *x, const dp_cable *c, const char *cable_id, char id[DRAFT_ID_LEN + 1], char *why,
		 size_t cap) DP_WUR;
/*
 * The outbox in the order it is sent: [{id, subject, precedence, to,
 * queued, last_error?, failed?, updated}] (*out the caller's).  DP codes.
 */
int outbox_list(cli_ctx *x, json_t **out) DP_WUR;

typedef struct {
	size_t sent, failed, waiting;   /* this pass: accepted; refused (marked failed); still queued */
	json_t *results;                /* [{id, subject, precedence, sent: true, cable_id, mrn} |
					   {id, subject, precedence, sent: false, failed: bool, error}] */
} outbox_report;
void outbox_report_free(outbox_report *r);
/*
 * Send every queued entry not marked failed (retry_failed: those too),
 * in order; x->cl open.  Stops at the first DP_ENET (the switch is gone
 * again).  Prints nothing (x->quiet is set around each attempt).
 * DP_OK; DP_EEXISTS if another process is sending the outbox now
 * (nothing done); DP codes of the store.
 */
int outbox_flush(cli_ctx *x, int retry_failed, outbox_report *r) DP_WUR;
/*
 * Send draft d now (`denpo ui`'s send: d complete; x->cl open, or
 * x->offline), or -- the switch cannot be reached (x->offline, or DP_ENET
 * that is not a pin mismatch) -- put it in the outbox: as draft draft_id
 * if given (saved from d, then queued), else as a new one; out->queued and
 * out->draft_id say so.  Sent: draft draft_id (if given) is removed.
 * With draft_id, all under drafts/lock (DP_EEXISTS: another process is
 * sending the outbox; nothing done).  A draft already sealed in the outbox
 * (draft_in_flight) goes as the outbox sends it, its sealed bytes under its
 * kept cable id, never sealed anew (out->sealed, out->cable_id; a switch
 * out of reach leaves it waiting, out->queued); d must then hold the
 * draft's fields unchanged, else DP_ESTATE (DRAFT_SEALED_WHY) and nothing is
 * sent.  A draft_id no longer on this device is DP_ENOTFOUND (it may have
 * been sent by the outbox a moment ago): nothing is sent.
 * Returns an exit code (EXIT_OK when sent or queued); failures via
 * cli_fail (x->err; printed unless x->quiet).
 */
int outbox_send(cli_ctx *x, const json_t *d, const char *draft_id, send_result *out);
/*
 * outbox_flush for a command that reached the switch (x->cl open, not
 * x->offline): if anything waits, sends it and says on stderr "sent N
 * queued cable(s)" and a line for each one refused or still waiting.
 * Nothing on stdout.
 */
void outbox_upkeep(cli_ctx *x);

#endif
