/*
 * denpo/envelope.h - what the switch sees of a cable.
 *
 * A submission on the wire is  u32 envelope_len || envelope || payload,
 * where payload is the age file (binary) holding the signed cable
 * plaintext.  The envelope carries routing metadata only -- never the
 * subject, TAGS, body or attachments -- and the originating device's
 * Ed25519 signature over it, which binds the payload by its SHA-256.
 *
 * Envelope v1 (all integers big-endian; str8 = u8 length + bytes):
 *   "DPEV" u8 version=1 u8 flags=0
 *   cable_id[16] from_device[32] str8 from_post u64 created
 *   u8 classification u8 ncaptions str8*ncaptions
 *   u8 prec_action u8 prec_info
 *   u8 nto str8*nto u8 ninfo str8*ninfo u8 nattn str8*nattn
 *   u16 nrecipients { device[32] u8 key_type u32 epoch u8 role }*n   (role: dp_role, 1..3)
 *   u64 payload_len payload_sha256[32]
 *   sig[64]  Ed25519 by from_device over "denpo-envelope-v1" || 0x00 || all bytes before sig
 */
#ifndef DENPO_ENVELOPE_H
#define DENPO_ENVELOPE_H

#include "denpo/cable.h"

#define DP_ENVELOPE_MAX (64u * 1024 + DP_MAX_RECIPIENTS * 38u)

typedef struct {
	uint8_t cable_id[DP_CABLE_ID];
	uint8_t from_device[DP_ED25519_PK];
	char from[DP_NAME_MAX + 1];
	int64_t created;
	int classification;
	char captions[DP_MAX_CAPTIONS][DP_NAME_MAX + 1];
	size_t ncaptions;
	int prec_action, prec_info;
	char to[DP_MAX_ADDRESSEES][DP_NAME_MAX + 1];
	size_t nto;
	char info[DP_MAX_ADDRESSEES][DP_NAME_MAX + 1];
	size_t ninfo;
	char attn[DP_MAX_ADDRESSEES][DP_NAME_MAX + 1];
	size_t nattn;
	dp_recipient *recipients; /* owned; sorted by device, no duplicates */
	size_t nrecipients;
	uint64_t payload_len;
	uint8_t payload_sha256[DP_SHA256];
	uint8_t sig[DP_ED25519_SIG];
} dp_envelope;

void dp_envelope_init(dp_envelope *e);
void dp_envelope_free(dp_envelope *e);

/*
 * Build the envelope for a (valid) cable and its age payload: copies the
 * routing fields, hashes the payload.  e is initialised first.
 */
int dp_envelope_from_cable(dp_envelope *e, const dp_cable *c, const uint8_t *payload,
			   size_t payload_len) DP_WUR;
/* Validate, serialize and sign (fills e->sig); appends to out. DP_EINVAL if sk is not from_device's. */
int dp_envelope_encode(dp_envelope *e, const uint8_t sk[DP_ED25519_SK], dp_buf *out) DP_WUR;
/*
 * Parse strictly and verify the signature against from_device.
 * DP_EPARSE / DP_ETOOBIG / DP_EMIXED / DP_EUNSUPP (version) / DP_ESIG.
 * e is initialised first; on failure it holds nothing to free.
 */
int dp_envelope_decode(dp_envelope *e, const uint8_t *p, size_t n) DP_WUR;
/* 1 if the routing fields and recipients of the envelope equal the cable's. */
int dp_envelope_matches_cable(const dp_envelope *e, const dp_cable *c);

/* Submission framing: u32 len || envelope || payload. */
int dp_submission_encode(const dp_buf *env, const uint8_t *payload, size_t plen, dp_buf *out) DP_WUR;
/*
 * Split a submission; checks that payload length (DP_EPARSE) and SHA-256
 * (DP_ESIG) match the (decoded, verified) envelope.  *payload points into p.
 * An envelope_len over DP_ENVELOPE_MAX is DP_ETOOBIG.
 */
int dp_submission_decode(dp_envelope *e, const uint8_t *p, size_t n, const uint8_t **payload,
			 size_t *plen) DP_WUR;
/*
 * The action precedence a submission CLAIMS (its envelope's prec_action
 * byte), read without verifying anything: -1 if the head does not parse.
 * Only for choosing an order before the check (the switch's verify pool,
 * denpod/pool.h); dp_submission_decode gives the value to trust.
 */
int dp_submission_claimed_prec(const uint8_t *p, size_t n);

#endif
