/*
 * denpo/origin.h - the originator check kept for reading offline.
 *
 * `denpo read` checks that a cable's signing device is the directory's
 * device of its From post (bind_origin, which asks the switch).  Each time
 * that check passes, its result is kept in HOME/origins/<DEVICE-HEX>:
 *
 *   denpo-kept-origin v1
 *   device <64 hex: the originating device's signing key>
 *   post <POST>
 *   checked <unix time of the check>
 *   mac <64 hex>
 *
 * mac is keyed BLAKE2b-256 over every byte before the "mac " line, under a
 * key derived from the keystore's storage key (crypto_kdf, context
 * "dpOrigin", subkey 1): only this device can write a record it accepts,
 * so a file planted in HOME, or one edited, is refused.  A record is
 * per device, not per cable: one check serves every cable the device
 * signed.  When the switch cannot be reached, the kept result stands in
 * for the check, and the command says so (it is the result of a check
 * made before, never a weaker one) and how old it is.  A kept check is
 * used offline for ORIGIN_MAX_AGE only: a device revoked after the check
 * would be trusted for as long as the switch stays out of reach (and
 * whoever sits on the network can keep it out of reach); beyond that the
 * cable is not shown until the switch can be asked again.  When the
 * directory answers that the device is not the post's, the kept record is
 * removed.  The MAC is denpo/kept.h's (context "dpOrigin").
 */
#ifndef DENPO_ORIGIN_H
#define DENPO_ORIGIN_H

#include "denpo/cli.h"

/*
 * 30 days: a post cut off for a long weekend, or for a week of a crisis,
 * still reads what it holds; a revocation is noticed within a month at
 * worst.  Tests let days pass with $DENPO_TEST_CLOCK_OFFSET (dp_now).
 */
#define ORIGIN_MAX_AGE (30 * 86400)

/* Keep "dev is post's device, checked now" (best effort: a failure is a warning on stderr unless quiet). */
void origin_keep(cli_ctx *x, const uint8_t dev[DP_ED25519_PK], const char *post);
/* Remove the kept record of dev (the directory said otherwise). */
void origin_forget(cli_ctx *x, const uint8_t dev[DP_ED25519_PK]);
/*
 * The kept check of dev for post (keys loaded).  DP_OK with *checked the
 * time of the check; DP_ENOTFOUND: none kept; DP_ESIG with why: the record
 * does not verify under this device's key (altered or planted), or it says
 * dev is another post's device; DP_ESTATE with why (and *checked set): the
 * check is older than ORIGIN_MAX_AGE, too old to rely on.
 */
int origin_kept(cli_ctx *x, const uint8_t dev[DP_ED25519_PK], const char *post, int64_t *checked, char *why,
		size_t cap) DP_WUR;

#endif
