/*
 * denpo/send.h - sending a cable, without printing (for `denpo send`,
 * `reply`, the outbox and `denpo ui`).
 *
 * A cable goes: recipients resolved by the switch (their keys checked in
 * the verified transparency log: key transparency), signed and encrypted
 * to exactly those devices (denpo/seal.c), the submission kept in
 * HOME/sent/ID.cable with its record (denpo/sentrec.h) BEFORE it is
 * submitted, then submitted (network failures retried with the same
 * bytes).  Nothing here writes to stdout; failures go through cli_fail
 * (x->err; printed on stderr unless x->quiet); the notes an officer must
 * see -- the devices it is encrypted to (devs) and any addressed device
 * that will NOT receive it (warnings) -- are in the result, for the caller
 * to show (never a silent recipient); "retrying in N s" is on stderr
 * unless x->quiet.
 */
#ifndef DENPO_SEND_H
#define DENPO_SEND_H

#include <jansson.h>

#include "denpo/cli.h"

typedef struct {
	dp_submit_result res;       /* the switch's answer: cable_id, mrn, accepted, duplicate */
	dp_resolved *devs;          /* the devices it was encrypted to (owned; NULL for a resend) */
	size_t ndev;
	json_t *warnings;           /* array of strings (owned): addressed devices that will NOT get it */
	int sealed;                 /* HOME/sent/ID.cable was written: a failure after this is retried
				       with the same bytes (send_again), never sealed anew */
	char cable_id[DP_HEXID];    /* its id once sealed ("" before) */
	int defer_net;              /* in: a DP_ENET failure is recorded in x->err but not printed
				       (the caller puts the cable in the outbox and says so) */
	int queued;                 /* put in the outbox instead (set by the outbox, not by send_cable) */
	char draft_id[DP_HEXID];    /* then: its draft */
} send_result;
void send_result_init(send_result *r);
void send_result_free(send_result *r);

/*
 * Send c: its header fields, body and attachments set (draft_cable with
 * complete), recipients not yet.  x->cl open (cli_open_client).  Sets c's
 * id (unless c->id is already non-zero: an outbox entry keeps its id
 * across attempts), created, From and From-Device.  decoy: submitted as
 * a decoy (security office only).  Returns an exit code; on EXIT_OK out
 * holds the answer.  x->err.rc says what failed: DP_ENET with
 * out->sealed 0 means the switch could not be reached before anything was
 * sealed (the outbox may queue the draft); with out->sealed 1, the saved
 * bytes are retried by send_again.
 */
int send_cable(cli_ctx *x, dp_cable *c, int decoy, send_result *out);
/*
 * send_cable in two steps, for a caller that shows the recipients before
 * the body is written (`denpo send` with $EDITOR): send_resolve resolves
 * and checks the recipients, sets them in c and out->devs (c's body may
 * still be empty); send_sealed (body and attachments set by then) seals,
 * saves and submits.  Exit codes as send_cable's; free p with
 * send_plan_free whatever happened.
 */
typedef struct {
	dp_resolution res;
	dp_age_recipient *keys;
	size_t n;
	int have;
} send_plan;
int send_resolve(cli_ctx *x, dp_cable *c, send_plan *p, send_result *out);
int send_sealed(cli_ctx *x, dp_cable *c, int decoy, send_plan *p, send_result *out);
void send_plan_free(send_plan *p);

/*
 * Submit HOME/sent/ID.cable again, byte for byte (the switch answers a
 * repeat idempotently), and bring its record up to date.  DP codes (not
 * reported; x->cl's message says the switch's word).
 */
int send_again(cli_ctx *x, const char *id, int decoy, dp_submit_result *res);
/*
 * {cable_id, mrn, accepted, duplicate, recipients, devices: [{device,
 * officer, post, role}], warnings: [...]} or, queued, {queued: true,
 * draft_id, cable_id?}.  NULL if out of memory.
 */
json_t *send_result_json(const send_result *r);
/*
 * The reply to cable ref (an MRN or cable id), as a draft (denpo/drafts.h):
 * refs [its logged MRN], to [its From post], classification, captions,
 * tags and precedence copied, subject "RE: ...".  The cable is opened and
 * checked as `denpo read` checks it (offline too).  Returns an exit code
 * (failures via cli_fail); *out is the caller's reference.
 */
int send_reply_draft(cli_ctx *x, const char *ref, json_t **out);

#endif
