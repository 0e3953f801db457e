/*
 * denpod/policy.h - who may send a cable, and to which devices.
 *
 * dpp_check decides whether the switch accepts a verified envelope from an
 * authenticated device; dpp_resolve lists the devices a cable with given
 * routing fields may be encrypted to.  Both ask the one recipient rule,
 * dpp_recipient_ok, so the switch never accepts a cable for a device that
 * resolution would not have offered (nor the other way round).  dpp_check
 * also requires each recipient's key epoch to be accepted now
 * (dpp_epoch_ok) and its announced role to be the one its post gets;
 * dpp_resolve leaves keys to its caller, which gives each device its
 * current epoch key or lists it as unreachable.  dpp_decoy_ok is the rule
 * for decoy submissions (docs/detection.md).
 *
 * Every function here that decides writes a message saying why it refused
 * (no key material, no payload), for the API's JSON error.
 */
#ifndef DENPOD_POLICY_H
#define DENPOD_POLICY_H

#include "denpo/envelope.h"
#include "denpod/store.h"

#define DPP_MAX_POSTS 1024 /* posts addressed by one cable after expansion */
#define DPP_MSG_MAX 256
/*
 * Officers with this role are the security office's fictitious originators
 * of decoy cables (docs/detection.md): nobody's recipient, and only their
 * devices may plant decoys.
 */
#define DPP_ROLE_DECOY "DECOY"

/* The posts a cable addresses; large (~100 KB): the caller allocates it, per call. */
typedef struct {
	char to[DPP_MAX_POSTS][DP_NAME_MAX + 1];
	size_t nto;
	char info[DPP_MAX_POSTS][DP_NAME_MAX + 1];
	size_t ninfo;
} dpp_posts;

/*
 * The routing fields of a cable, as the recipient rule reads them: the
 * addressed posts (collectives expanded by dpp_expand), the
 * classification, the captions and ATTN (officer handles or roles); and
 * the switch's records post (denpod.conf records_post; NULL or "": no
 * archive), which is not the cable's but says who its archive is.
 */
typedef struct {
	const dpp_posts *posts;
	int classification;
	const char (*caps)[DP_NAME_MAX + 1];
	size_t ncaps;
	const char (*attn)[DP_NAME_MAX + 1];
	size_t nattn;
	const char *records_post;
} dpp_route;

/*
 * The switch's archive as dpp_check applies it (denpod.conf): the records
 * post (NULL or "": none) and the classifications whose cables must be
 * encrypted to the archive (bit 1u << level; dpc_records_required_parse).
 */
typedef struct {
	const char *post;
	unsigned required;
} dpp_records;

/*
 * The DECOY role: an officer holding it plants decoys (dpp_decoy_ok) and
 * receives no cable (dpp_recipient_ok); detection registers the
 * officer's devices as decoy devices (denpod/detect_srv.c).  1 if roles
 * hold it.
 */
int dpp_is_decoy_officer(const char roles[][DP_NAME_MAX + 1], size_t nroles);
/*
 * Whether the directory listing (GET /v1/directory) shows an officer's
 * role: every role but DECOY, so the listing holds the security office's
 * fictitious originators like any officer and singles none out
 * (docs/detection.md §5).
 */
int dpp_role_listed(const char *role);
/*
 * Whether officer o is a records officer, one of the archive's: o holds
 * the role DP_RECORDS_ROLE and is at records_post (NULL or "": no archive,
 * so nobody is).  A RECORDS officer elsewhere is an ordinary officer.
 */
int dpp_is_records_officer(const dps_officer *o, const char *records_post);

/*
 * The recipient rule: whether device d, whose officer is o (both rows as
 * the directory holds them), may receive a cable routed by rt.  On success
 * *role is DP_ROLE_RECORD if o is a records officer (dpp_is_records_officer
 * with rt->records_post: the archive receives every cable it is cleared
 * for, whatever TO, INFO and ATTN say, and is never an addressee), else
 * DP_ROLE_ACTION if o's post is addressed by TO (TO wins over INFO),
 * DP_ROLE_INFO if only by INFO.  Refusals, in the order they are checked,
 * each with a message naming the device and its officer:
 *   DP_EDEVICE    the device is not active (suspended, revoked)
 *   DP_EDENIED    the officer is not active (disabled)
 *   DP_EDENIED    the officer holds the role DECOY: the security office's
 *                 fictitious originators are nobody's addressee (a cable
 *                 for one would be read by whoever holds the decoy device)
 *   DP_EDENIED    not a records officer, and the officer's post is
 *                 addressed by neither TO nor INFO
 *   DP_ECLEARANCE the officer is not cleared for the classification, or
 *                 lacks one of the captions (records officers too: the
 *                 directory's clearance says what the archive may hold)
 *   DP_EDENIED    not a records officer, ATTN is given and names neither
 *                 the officer nor one of the officer's roles
 * Reads nothing but its arguments.
 */
int dpp_recipient_ok(const dpp_route *rt, const dps_officer *o, const dps_device *d, int *role,
		     char *msg, size_t msgcap) DP_WUR;

/*
 * Checks an envelope (already decoded and signature-verified) sent by
 * `sender` at time `now` (the acceptance time, dp_now()), for a switch
 * whose archive is rec (NULL: none).  On success fills
 * rcpts[0..e->nrecipients) (device, role, precedence by dp_role_prec and
 * key epoch for that device) and the originating officer's handle.
 * On failure returns the DP_E* code of docs/api.md and a message saying
 * what is wrong (no key material, no payload):
 *   DP_EDENIED    from_device is not the sender, sender's officer inactive or
 *                 not at the From post, a recipient's officer not in the
 *                 directory, its announced role not the one the rule gives
 *                 it (record for a records device, and only for one)
 *   DP_EDENIED    the classification is in rec->required and a records
 *                 device dpp_resolve would offer, with a current epoch key
 *                 (dpp_current), is not a recipient; or the rule offers no
 *                 records device at all (the archive is not enrolled, not
 *                 active or not cleared: the operator's to fix)
 *   DP_EDEVICE    a recipient device not enrolled; sender not active
 *   DP_EPARSE     no TO addressee, or no recipient device but the archive's
 *                 (a record copy alone is no delivery)
 *   DP_EUNSUPP    a recipient key type other than mlkem768x25519
 *   DP_ENOTFOUND  an addressee is neither a post nor a collective
 *   DP_ETOOBIG    the addressees expand to more than DPP_MAX_POSTS posts
 *   (any refusal of dpp_recipient_ok for a recipient device)
 *   DP_ESTATE     a recipient's key epoch is unknown, expired or not yet valid (dpp_epoch_ok)
 *   DP_ESTORE     database failure
 *   DP_ENOMEM
 */
int dpp_check(dps_store *s, const dpp_records *rec, const dps_device *sender,
	      const dp_envelope *e, int64_t now, dps_rcpt *rcpts, char officer[DP_NAME_MAX + 1],
	      char *msg, size_t msgcap) DP_WUR;

/*
 * The decoy rule of a submission from device `sender` carrying the header
 * X-Denpo-Decoy with value `hdr` (NULL if absent): a decoy (hdr exactly
 * "1") is planted by a device of a DECOY officer only, and such a device
 * plants nothing else, so a decoy never reaches an inbox by mistake.
 * 0 with *decoy = 1 for a decoy, 0 for an ordinary cable; DP_EDENIED with
 * the message (the header from anyone else, or with another value; no
 * header from a DECOY officer's device); DP_ESTORE.
 */
int dpp_decoy_ok(dps_store *s, const dps_device *sender, const char *hdr, int *decoy, char *msg,
		 size_t msgcap) DP_WUR;

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

/*
 * What an operator should hear about the archive's configuration
 * (denpod.conf records_post, records_required as a set of levels) against
 * the directory: the records post is not a post or not HQ; required levels
 * while no records officer at the records post has an active device (every
 * such cable is refused); a records post without records officers (the
 * archive receives nothing); an officer holding RECORDS elsewhere, or with
 * no records post (receives nothing as records).  Each warning is one
 * sentence saying what to do, handed to warn; returns how many, or a
 * negative DP_E* (DP_ESTORE).  `denpod check` and the start say them.
 */
int dpp_records_warnings(dps_store *s, const char *records_post, unsigned required,
			 void (*warn)(void *ctx, const char *msg), void *ctx);

/* Expand TO and INFO names into post sets (a post in both counts as TO). */
int dpp_expand(dps_store *s, char to[][DP_NAME_MAX + 1], size_t nto, char info[][DP_NAME_MAX + 1],
	       size_t ninfo, dpp_posts *out, char *msg, size_t msgcap) DP_WUR;

/*
 * Every device for these routing fields that dpp_recipient_ok accepts,
 * with its role, each once (a post addressed by TO and INFO counts as TO;
 * the records post's devices are walked too, and the rule offers its
 * records devices only); cb's first non-zero return stops the walk and is
 * returned.  DP_ESTORE.
 */
int dpp_resolve(dps_store *s, const dpp_route *rt,
		int (*cb)(void *ctx, const dps_officer *o, const dps_device *d, int role),
		void *ctx) DP_WUR;

#endif
