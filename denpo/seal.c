/*
 * denpo/seal.c - sign+encrypt+envelope, and the reverse with every check.
 */
#include <stdlib.h>
#include <string.h>

#include "denpo/logentry.h"
#include "denpo/seal.h"

/* The record d->epoch_key is d's own, names the listed key, and is in force at now. */
static int check_epoch_key(const dp_resolved *d, int64_t now)
{
	dp_epoch_key k;
	int r = dp_epoch_key_decode(&k, (const uint8_t *)d->epoch_key, strlen(d->epoch_key));
	if (r)
		return DP_ESIG; /* unsigned, forged or malformed: not the device's key */
	if (memcmp(k.device, d->device, DP_ED25519_PK) || k.epoch != d->epoch ||
	    strcmp(k.age_recipient, d->age_recipient) || k.not_before != d->not_before ||
	    k.not_after != d->not_after)
		return DP_ESIG; /* a valid record of another device or epoch: substitution */
	if (now >= k.not_after + DP_EPOCH_SKEW || now + DP_EPOCH_SKEW < k.not_before)
		return DP_ESTATE; /* not in force: the switch would refuse it anyway */
	return DP_OK;
}

int seal_record_posts(const dp_resolved *d, size_t n, const char *records_post, size_t *bad)
{
	for (size_t i = 0; i < n; i++)
		if (d[i].role == DP_ROLE_RECORD && (!records_post[0] || strcmp(d[i].post, records_post) != 0)) {
			*bad = i;
			return DP_ESIG;
		}
	return DP_OK;
}

int seal_recipients(const dp_resolved *d, size_t n, int64_t now, dp_recipient *rcpt,
		    dp_age_recipient *keys, size_t *bad)
{
	if (n == 0 || n > DP_MAX_RECIPIENTS)
		return DP_EINVAL;
	for (size_t i = 0; i < n; i++) {
		*bad = i;
		if (d[i].key_type != DP_AGE_MLKEM768X25519)
			return DP_EUNSUPP; /* cables are encrypted to post-quantum keys only */
		for (size_t j = 0; j < i; j++)
			if (!memcmp(d[i].device, d[j].device, DP_ED25519_PK))
				return DP_EINVAL; /* one device listed twice */
		int r = check_epoch_key(&d[i], now);
		if (r)
			return r;
		memset(&keys[i], 0, sizeof keys[i]);
		r = dp_age_recipient_parse(&keys[i], d[i].age_recipient);
		if (r)
			return r;
		if (keys[i].type != d[i].key_type)
			return DP_EPARSE; /* the key is not of the announced type */
		memset(&rcpt[i], 0, sizeof rcpt[i]);
		memcpy(rcpt[i].device, d[i].device, DP_ED25519_PK);
		rcpt[i].key_type = (uint8_t)d[i].key_type;
		rcpt[i].epoch = d[i].epoch;
		rcpt[i].role = (uint8_t)d[i].role;
	}
	return DP_OK;
}

int seal_included(const dp_log_incl *in, uint64_t size, const uint8_t root[DP_TLOG_HASH], dp_logent *e)
{
	uint8_t leaf[DP_TLOG_HASH];
	if (!in->present || !in->entry)
		return DP_ENOTFOUND;
	if (dp_logent_decode(e, in->entry, in->entry_len) != DP_OK)
		return DP_EPARSE;
	dp_tlog_leaf_hash(leaf, in->entry, in->entry_len);
	if (in->index >= size ||
	    dp_tlog_verify_inclusion(in->index, size, leaf, (const uint8_t(*)[DP_TLOG_HASH])in->proof,
				     in->nproof, root) != DP_OK)
		return DP_ESIG;
	return DP_OK;
}

/* One entry of a resolve answer: present and included in the tree (what: "enrolment" or "key"). */
static int logged_incl(const dp_log_incl *in, uint64_t size, const uint8_t root[DP_TLOG_HASH],
		       dp_logent *e, const char **why, const char *what)
{
	int r = seal_included(in, size, root, e), enr = what[0] == 'e';
	if (r == DP_ENOTFOUND)
		*why = enr ? "the switch sent no enrolment entry" : "the switch sent no key entry";
	else if (r == DP_EPARSE)
		*why = enr ? "its enrolment entry is malformed" : "its key entry is malformed";
	else if (r)
		*why = enr ? "its enrolment entry is not in the verified checkpoint"
			   : "its key entry is not in the verified checkpoint";
	return r ? DP_ESIG : DP_OK;
}

int seal_logged(const dp_resolved *d, size_t n, uint64_t size, const uint8_t root[DP_TLOG_HASH],
		size_t *bad, const char **why)
{
	dp_logent *e = malloc(sizeof *e);
	if (!e)
		return DP_ENOMEM;
	int r = DP_OK;
	for (size_t i = 0; !r && i < n; i++) {
		*bad = i;
		r = logged_incl(&d[i].enrolment, size, root, e, why, "enrolment");
		if (!r && (e->event != DP_LOG_DEVICE_ENROLLED ||
			   memcmp(e->device, d[i].device, DP_ED25519_PK) ||
			   strcmp(e->officer, d[i].officer) || strcmp(e->post, d[i].post))) {
			*why = "its enrolment entry is for another device, officer or post";
			r = DP_ESIG;
		}
		if (!r)
			r = logged_incl(&d[i].key_entry, size, root, e, why, "key");
		if (!r && (e->event != DP_LOG_KEY_PUBLISHED ||
			   memcmp(e->device, d[i].device, DP_ED25519_PK) || e->epoch != d[i].epoch ||
			   e->record_len != strlen(d[i].epoch_key) ||
			   memcmp(e->record, d[i].epoch_key, e->record_len))) {
			*why = "its key entry is for another device, epoch or key record";
			r = DP_ESIG;
		}
	}
	free(e);
	return r;
}

int seal_cable(const dp_cable *c, const dp_age_recipient *keys, size_t n,
	       const uint8_t sign_sk[DP_ED25519_SK], dp_buf *sub)
{
	if (n == 0 || n != c->nrecipients)
		return DP_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (keys[i].type != DP_AGE_MLKEM768X25519 ||
		    c->recipients[i].key_type != DP_AGE_MLKEM768X25519)
			return DP_EUNSUPP; /* never a classic key: cables are post-quantum only */
	dp_buf pt, payload, env;
	dp_buf_init(&pt, DP_MAX_PLAINTEXT + 65536);
	dp_buf_init(&payload, DP_MAX_PAYLOAD);
	dp_buf_init(&env, DP_ENVELOPE_MAX);
	dp_envelope e;
	dp_envelope_init(&e);
	int r = dp_cable_validate(c);
	r = r ? r : dp_cable_encode(c, sign_sk, &pt);
	r = r ? r : dp_age_encrypt(keys, n, pt.p, pt.len, 0, &payload);
	dp_buf_free(&pt); /* wipes the plaintext */
	r = r ? r : dp_envelope_from_cable(&e, c, payload.p, payload.len);
	r = r ? r : dp_envelope_encode(&e, sign_sk, &env);
	r = r ? r : dp_submission_encode(&env, payload.p, payload.len, sub);
	dp_envelope_free(&e);
	dp_buf_free(&env);
	dp_buf_free(&payload);
	return r;
}

int seal_open(const uint8_t *sub, size_t n, const dp_age_identity *ids, size_t nids,
	      const uint8_t *fk_in, uint8_t *fk_out, const uint8_t my_device[DP_ED25519_PK],
	      dp_envelope *e, dp_cable *c, const char **why)
{
	const uint8_t *payload;
	size_t plen;
	int r = dp_submission_decode(e, sub, n, &payload, &plen);
	if (r) {
		*why = r == DP_ESIG ? "the envelope signature or the payload hash does not verify"
				    : "the submission is malformed or its payload does not match the envelope";
		return r;
	}
	int listed = 0;
	for (size_t i = 0; i < e->nrecipients; i++) {
		if (e->recipients[i].key_type != DP_AGE_MLKEM768X25519) {
			*why = "the cable is not encrypted to post-quantum keys";
			return DP_EUNSUPP;
		}
		listed |= dp_ct_eq(e->recipients[i].device, my_device, DP_ED25519_PK);
	}
	if (!listed) {
		*why = "this device is not among the cable's recipients";
		return DP_EDENIED;
	}
	dp_buf pt;
	dp_buf_init(&pt, DP_MAX_PLAINTEXT + 65536);
	uint8_t fk[DP_AGE_FILE_KEY];
	r = fk_in ? dp_age_decrypt_with_fk(fk_in, payload, plen, &pt)
		  : dp_age_decrypt_fk(ids, nids, payload, plen, &pt, fk);
	if (!r && fk_out && !fk_in)
		memcpy(fk_out, fk, sizeof fk);
	dp_wipe(fk, sizeof fk);
	if (r) {
		*why = r == DP_ENOMATCH ? "none of this device's keys opens the cable (if it is older "
					  "than the device's oldest key epoch, its key was erased)"
		     : fk_in && r == DP_EHMAC ? "the locally stored file key does not open the cable"
					      : "the encrypted payload is malformed or was tampered with";
		dp_buf_free(&pt);
		return r;
	}
	r = dp_cable_decode(c, pt.p, pt.len);
	dp_buf_free(&pt);
	if (r) {
		*why = r == DP_ESIG ? "the cable's signature by its originating device does not verify"
				    : "the decrypted cable is malformed";
		return r;
	}
	if (memcmp(c->from_device, e->from_device, DP_ED25519_PK) != 0 ||
	    !dp_envelope_matches_cable(e, c)) {
		*why = "the envelope's routing does not match the signed cable (substitution)";
		return DP_ESIG;
	}
	listed = 0;
	for (size_t i = 0; i < c->nrecipients; i++)
		listed |= dp_ct_eq(c->recipients[i].device, my_device, DP_ED25519_PK);
	if (!listed) {
		/* decryptable but not addressed to us by the signer: forwarded */
		*why = "the signed cable does not name this device as a recipient";
		return DP_EDENIED;
	}
	return DP_OK;
}
