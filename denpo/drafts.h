/*
 * denpo/drafts.h - the officer's unsigned cables: drafts and the outbox.
 *
 * A draft is one JSON object (what `denpo ui` sends and receives; the CLI's
 * send options become the same object).  Its fields, every one optional
 * while it is a draft:
 *
 *   classification   "SECRET" (a name, or U/R/C/S/TS)
 *   captions         ["NOFORN", ...]           most restrictive first
 *   precedence       "FLASH" (or "IMMEDIATE/ROUTINE": action/info)
 *   info_precedence  "ROUTINE"                 for INFO addressees; default: precedence
 *   to, info         ["TOKYO", ...]            posts or collectives
 *   attn             ["sato.k", "POL", ...]    officer handles or roles
 *   tags             ["PREL", ...]
 *   subject          "..."                     UTF-8, <= 256 bytes
 *   body             "..."                     UTF-8 text, <= 1 MiB
 *   refs             ["26 HQ 000012", ...]     MRNs of earlier cables
 *   attachments      [{"name": "a.pdf", "data": "<base64>"}, ...]
 *   declassify_on    "YYYY-MM-DD"              never with declassify_event
 *   declassify_event "..."                     UTF-8, <= 128 bytes: declassified on an event
 *   classified_by    "..."                     default "HANDLE, POST" when classified
 *   retention        "TEMPORARY-10Y"           a class of the records schedule (upper-cased)
 * Declassification and retention left out get the records schedule's
 * defaults when the cable is sealed (cli_records, dp_records_defaults).
 *
 * Each element of to/info/attn/captions/tags may itself be a comma list
 * ("TOKYO, PARIS"), as the CLI's options are.  Names of posts, captions
 * and tags are upper-cased.  Keys the store keeps (set by this module;
 * ignored in what draft_save is given): "id", "updated" (unix time),
 * "queued" (unix time it was put in the outbox, 0 if not; "queued_ms" the
 * same in milliseconds, the outbox's order), "last_error"
 * (why the last attempt to send it failed), "failed" (the switch refused
 * it for a reason that will not go away: it is not sent again by itself),
 * "cable_id" (the id it is being sent under, set before its first attempt,
 * so an interrupted attempt is finished with the same bytes).
 *
 * Storage: HOME/drafts/ID.draft (0600; ID 32 lower-case hex, random), and
 * an empty HOME/drafts/ID.queued beside each queued one (draft_any_queued):
 * "DPDR" 0x01, a 24-byte nonce, then the JSON text sealed with
 * XChaCha20-Poly1305 under the keystore's storage key, the associated data
 * "denpo-draft-v1\0" + ID -- so no plaintext is ever on disk, a draft
 * renamed to another id or altered is refused (DP_EHMAC), and only this
 * device opens it.  The plaintext JSON text is wiped after use (and the
 * denpo program wipes every jansson allocation when it is freed:
 * dp_json_wipe_allocs).  HOME/drafts/lock is flock'd while the outbox
 * is being sent, and while a draft is saved over or removed (drafts_lock).
 *
 * All functions need the keys loaded (cli_load_keys) except the
 * conversions; they print nothing and return DP codes.
 */
#ifndef DENPO_DRAFTS_H
#define DENPO_DRAFTS_H

#include <jansson.h>

#include "denpo/cli.h"

#define DRAFT_ID_LEN 32

/*
 * The one conversion from a draft to a cable: the fields present in d
 * replace c's (c's other fields stay: the defaults, e.g. a reply's REF and
 * TO); body and attachments are copied in (c owns them).  complete: the
 * cable must be ready to send (TO, precedence, classification, TAGS and
 * subject present; classified_by defaulted from x's officer and post;
 * one declassification at most, none on UNCLASSIFIED; a retention the
 * records schedule defines, else why lists the classes it does);
 * else only the shape is checked (a draft being written).  cli: messages
 * name the CLI's options ("--to POST is required"), else the JSON fields
 * ("to is required").  DP_OK, or DP_EINVAL with why; DP_ETOOBIG (a body
 * or attachments over the cable's limits); DP_ENOMEM.
 */
int draft_cable(cli_ctx *x, const json_t *d, dp_cable *c, int complete, int cli, char *why, size_t cap) DP_WUR;
/*
 * And back: the draft of c's header fields, body and attachments (base64).
 * Fields c does not set (classification < 0, "" strings, empty lists) are
 * left out.  NULL if out of memory or the body is not UTF-8.
 */
json_t *draft_json(const dp_cable *c);

/*
 * Save d as draft id (id "" on entry: a new draft, its id written back).
 * d's cable fields are checked (draft_cable, not complete); the store's
 * keys in d are ignored.  A draft in the outbox that was never sealed may
 * be saved again: it then leaves the outbox (queued 0, no error, no
 * cable_id).  One in the outbox already sealed (draft_in_flight) is not
 * changed: DP_ESTATE with why (DRAFT_SEALED_WHY).  Saving over a draft
 * takes drafts/lock.  DP_OK; DP_EINVAL with why (a field) or a malformed
 * id; DP_ENOTFOUND (id given but no such draft); DP_ESTATE; DP_EEXISTS
 * (another process is sending the outbox: try again); DP_ENOSPC/DP_EIO.
 */
int draft_save(cli_ctx *x, const json_t *d, char id[DRAFT_ID_LEN + 1], char *why, size_t cap) DP_WUR;
/*
 * Draft id with the store's keys (*out: the caller's reference).
 * DP_ENOTFOUND; DP_EHMAC: the file does not open under this device's key
 * for this id (altered, renamed, planted); DP_EPARSE; DP_EINVAL (bad id).
 */
int draft_load(cli_ctx *x, const char *id, json_t **out) DP_WUR;
/*
 * Every draft, newest first: [{id, subject, precedence, to (array),
 * updated, queued, last_error?, failed?}] (*out: the caller's reference).
 * A draft file that does not open is listed as {id, "error": why}.
 */
int draft_list(cli_ctx *x, json_t **out) DP_WUR;
/*
 * Remove draft id (its file is overwritten with zeros first), under
 * drafts/lock.  DP_ENOTFOUND, DP_EINVAL; DP_EEXISTS: another process is
 * sending the outbox now (nothing removed: try again).
 */
int draft_delete(cli_ctx *x, const char *id) DP_WUR;
/*
 * Change the store's keys of draft id: queued (-1: leave; 0: out of the
 * outbox; 1: in it, since now unless it was already), cable_id (NULL:
 * leave; "": remove), last_error and failed (NULL: leave; "": remove).
 */
int draft_state(cli_ctx *x, const char *id, int queued, const char *cable_id, const char *last_error,
		const char *failed) DP_WUR;

/*
 * HOME/drafts/lock: whoever seals or submits a queued draft, saves over a
 * draft or removes one holds it, so no draft is sealed twice or changed
 * while it is being sent.  drafts_lock: DP_OK (held; nested holds in one
 * process are counted, each released by one drafts_unlock); DP_EEXISTS:
 * another process holds it (it is not waited for: a flush may take the
 * network's time); DP_EIO.  drafts_busy: the sentence to say for
 * DP_EEXISTS.
 */
int drafts_lock(cli_ctx *x) DP_WUR;
void drafts_unlock(void);
const char *drafts_busy(void);

/* 1 if HOME/sent/CABLE_ID.cable exists: an attempt sealed the cable (it may have reached the switch). */
int draft_was_sealed(cli_ctx *x, const char *cable_id);
/*
 * The cable id of draft d (as loaded) if it is in the outbox already
 * sealed -- queued, with a cable_id whose sealed bytes exist -- else NULL.
 * Such a draft is sent as it is (outbox.h), never sealed anew.
 */
const char *draft_in_flight(cli_ctx *x, const json_t *d);
#define DRAFT_SEALED_WHY                                                                                  \
	"it is in the outbox, already sealed as cable %s: it is sent as it is; delete it from the outbox " \
	"first to change it"
/* 1 if drafts a and b hold the same cable fields (the store's keys aside). */
int draft_same(const json_t *a, const json_t *b);

/* 1 if some draft is queued (HOME/drafts/ID.queued markers: no draft is opened). */
int draft_any_queued(cli_ctx *x);


#endif
