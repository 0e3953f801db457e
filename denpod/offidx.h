/*
 * denpod/offidx.h - the officer index on the switch (denpo/devindex.h,
 * docs/transparency.md §6): the records in the store, which the log's
 * signer keeps with its tiles and checkpoints, what `denpod log verify`
 * checks of them, and the map the API proves from.
 *
 * The records are a function of the log: dp_devreplay (denpo/devreplay.h)
 * over the entries below the latest checkpoint.  The store keeps them
 * (table officer_index) and the size they are of (meta "officer_index"),
 * both written in the transaction of the checkpoint, so a reader that sees
 * a checkpoint sees its records.  A store without them (a database from
 * before the index, or one whose size does not match) is replayed from its
 * entries before the next signature.
 */
#ifndef DENPOD_OFFIDX_H
#define DENPOD_OFFIDX_H

#include <stdio.h>

#include <jansson.h>

#include "denpo/devreplay.h"
#include "denpod/store.h"
#include "denpod/tlog.h"

/* ---- the signer (tlog.c) ---- */

/*
 * The records of checkpoint c (NULL: none stored, the empty log): read
 * from the store if it holds those of c's size and they give the root c's
 * officer-index line signed, else replayed from the entries below it
 * (*full = 1: dpx_store rewrites the whole table).  So rows edited in the
 * database are never signed over.  On DP_EEXISTS / DP_ETOOBIG (an entry
 * the index cannot hold, see devreplay.h) why says which.
 */
int dpx_records(dps_store *s, const dps_checkpoint *c, dp_devreplay **out, int *full, char *why,
		size_t cap) DP_WUR;
/* Inside the signer's transaction: the changed records (every one if full) and size. */
int dpx_store(dps_store *s, const dp_devreplay *x, int full, uint64_t size) DP_WUR;

/* ---- checks ---- */

/*
 * The root named by a stored checkpoint's note (its "officer-index" line).
 * DP_ENOTFOUND if the note has none (signed before the index), DP_EPARSE if
 * the note or the line is malformed.
 */
int dpx_checkpoint_root(const dps_checkpoint *c, uint8_t root[DP_TLOG_HASH]) DP_WUR;
/*
 * `denpod log verify`: x is the replay of the entries below c->size (the
 * latest checkpoint).  Its root must be the one c's line signs (a
 * checkpoint without the line is only noted), and the stored records must
 * be x's (when the store says they are of c->size).  Each problem goes to
 * problem() naming the officer; returns the count, or a negative error.
 */
int dpx_verify(dps_store *s, dp_devreplay *x, const dps_checkpoint *c,
	       void (*problem)(void *ctx, const char *msg), void *ctx);

/* ---- the API's view ---- */

/*
 * {"handle", "record" (b64, absent if none), "proof": [b64...], "other"?}
 * for officer under the checkpoint c, from a map built from the stored
 * records and kept while the root c names does not change.  DP_ESTATE if
 * the stored records do not give that root (the signer moved on between
 * the two reads: retry), DP_ENOTFOUND if c names no root, DP_ENOMEM if a
 * part of the answer cannot be made (never an answer with a part left
 * out: the device would take it for a failed proof).  One view per
 * server, used on its loop thread only.
 */
typedef struct dpx_view dpx_view;
void dpx_view_free(dpx_view *v);
int dpx_officer_json(dpx_view **v, dps_store *s, const dps_checkpoint *c, const char *officer,
		     json_t **out) DP_WUR;
/*
 * The status (enum dp_devrec_status) that officer's record in the view *v
 * (the one dpx_officer_json last used: call it for c first) gives device.
 * DP_ENOTFOUND if the view holds no record of officer or the record does
 * not list the device, DP_ESTATE if there is no view, DP_ENOMEM.
 */
int dpx_device_status(const dpx_view *v, const char *officer, const uint8_t device[DP_ED25519_PK],
		      int *status) DP_WUR;

#endif
