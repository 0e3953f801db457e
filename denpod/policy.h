/*
 * denpod/policy.h - who may send a cable, and to which devices.
 *
 * dpp_check decides whether the switch accepts a verified envelope from an
 * authenticated device; dpp_resolve lists the devices a cable with given
 * routing fields may be encrypted to.  Both apply the same rule to a
 * recipient device: it is active, its officer is active and sits at a post
 * addressed by TO or INFO (collectives expanded; TO wins), is cleared for
 * the classification, holds every caption, and matches ATTN if any.
 */
#ifndef DENPOD_POLICY_H
#define DENPOD_POLICY_H

#include "denpo/envelope.h"
#include "denpod/store.h"

#define DPP_MAX_POSTS 1024 /* posts addressed by one cable after expansion */
#define DPP_MSG_MAX 256

typedef struct {
	char to[DPP_MAX_POSTS][DP_NAME_MAX + 1];
	size_t nto;
	char info[DPP_MAX_POSTS][DP_NAME_MAX + 1];
	size_t ninfo;
} dpp_posts;

/*
 * Checks an envelope (already decoded and signature-verified) sent by
 * `sender`.  On success fills rcpts[0..e->nrecipients) (device, role,
 * precedence for that device) and the originating officer's handle.
 * On failure returns the DP_E* code of docs/api.md and a message saying
 * what is wrong (no key material, no payload):
 *   DP_EDENIED    from_device is not the sender, sender's officer inactive or
 *                 not at the From post, recipient not at an addressed post,
 *                 role mismatch, ATTN not matched
 *   DP_EDEVICE    recipient device unknown or not active; sender not active
 *   DP_ECLEARANCE recipient officer not cleared / lacks a caption
 *   DP_ESTATE     recipient key type or epoch not the device's current key
 *   DP_ENOTFOUND  an addressee is neither a post nor a collective
 *   DP_ESTORE     database failure
 */
int dpp_check(dps_store *s, const dps_device *sender, const dp_envelope *e, dps_rcpt *rcpts,
	      char officer[DP_NAME_MAX + 1], char *msg, size_t msgcap) DP_WUR;

/* Expand TO and INFO names into post sets (a post in both counts as TO). */
int dpp_expand(dps_store *s, char to[][DP_NAME_MAX + 1], size_t nto, char info[][DP_NAME_MAX + 1],
	       size_t ninfo, dpp_posts *out, char *msg, size_t msgcap) DP_WUR;

/* Whether an officer may receive: 0 or DP_ECLEARANCE/DP_EDENIED with a message. */
int dpp_officer_ok(const dps_officer *o, int classification, char caps[][DP_NAME_MAX + 1],
		   size_t ncaps, char attn[][DP_NAME_MAX + 1], size_t nattn, char *msg,
		   size_t msgcap) DP_WUR;

/* Every eligible active device for these routing fields, with its role. */
int dpp_resolve(dps_store *s, const dpp_posts *posts, int classification,
		char caps[][DP_NAME_MAX + 1], size_t ncaps, char attn[][DP_NAME_MAX + 1],
		size_t nattn,
		int (*cb)(void *ctx, const dps_officer *o, const dps_device *d, int role),
		void *ctx) DP_WUR;

#endif
