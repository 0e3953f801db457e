/*
 * denpod/policy.h - who may send a cable, and to which devices.
 *
 * dpp_check decides whether the switch accepts a verified envelope from an
 * authenticated device; dpp_resolve lists the devices a cable with given
 * routing fields may be encrypted to.  Both apply the same rule to a
 * recipient device: it is active, its officer is active and sits at a post
 * addressed by TO or INFO (collectives expanded; TO wins), is cleared for
 * the classification, holds every caption, and matches ATTN if any.
 * dpp_check also requires each recipient's key epoch to be accepted now
 * (dpp_epoch_ok); dpp_resolve leaves keys to its caller, which gives each
 * device its current epoch key or lists it as unreachable.
 */
#ifndef DENPOD_POLICY_H
#define DENPOD_POLICY_H

#include "denpo/envelope.h"
#include "denpod/store.h"

#define DPP_MAX_POSTS 1024 /* posts addressed by one cable after expansion */
#define DPP_MSG_MAX 256
/*
 * Officers with this role are the security office's fictitious originators
 * of decoy cables (docs/detection.md): resolution never offers their
 * devices, and only their devices may plant decoys.
 */
#define DPP_ROLE_DECOY "DECOY"
/* 1 if the officer exists and holds the role. */
int dpp_has_role(dps_store *s, const char *handle, const char *role);

typedef struct {
	char to[DPP_MAX_POSTS][DP_NAME_MAX + 1];
	size_t nto;
	char info[DPP_MAX_POSTS][DP_NAME_MAX + 1];
	size_t ninfo;
} dpp_posts;

/*
 * Checks an envelope (already decoded and signature-verified) sent by
 * `sender` at time `now` (the acceptance time, dp_now()).  On success fills
 * rcpts[0..e->nrecipients) (device, role, precedence and key epoch for
 * that device) and the originating officer's handle.
 * On failure returns the DP_E* code of docs/api.md and a message saying
 * what is wrong (no key material, no payload):
 *   DP_EDENIED    from_device is not the sender, sender's officer inactive or
 *                 not at the From post, recipient not at an addressed post,
 *                 role mismatch, ATTN not matched
 *   DP_EDEVICE    recipient device unknown or not active; sender not active
 *   DP_ECLEARANCE recipient officer not cleared / lacks a caption
 *   DP_EUNSUPP    a recipient key type other than mlkem768x25519
 *   DP_ESTATE     a recipient's key epoch is unknown, expired or not yet valid (dpp_epoch_ok)
 *   DP_ENOTFOUND  an addressee is neither a post nor a collective
 *   DP_ESTORE     database failure
 */
int dpp_check(dps_store *s, const dps_device *sender, const dp_envelope *e, int64_t now,
	      dps_rcpt *rcpts, char officer[DP_NAME_MAX + 1], char *msg, size_t msgcap) DP_WUR;

/*
 * Whether the switch accepts a cable encrypted to key `epoch` of device d
 * at time now: the epoch is one of d's windows with
 * not_before - DP_EPOCH_SKEW <= now < not_after + DP_EPOCH_SKEW.
 * 0, or DP_ESTATE with a message naming the device (officer `who`) and
 * what is wrong with the epoch (unknown, expired since T, valid from T);
 * DP_ESTORE.
 */
int dpp_epoch_ok(dps_store *s, const dps_device *d, const char *who, uint32_t epoch, int64_t now,
		 char *msg, size_t msgcap) DP_WUR;
/* The device's current epoch at now (highest window with not_before <= now < not_after), or NULL. */
const dps_window *dpp_current(const dps_device *d, int64_t now);

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
