/*
 * age_keys.c - age X25519 key strings: recipients "age1..." (Bech32 HRP
 * "age") and identities "AGE-SECRET-KEY-1..." (HRP "AGE-SECRET-KEY-"),
 * 32 bytes each.  Parsing is constant time in the key (dp_bech32_decode).
 */
#include <string.h>

#include <sodium.h>

#include "denpo/age.h"
#include "denpo/crypto.h"
#include "denpo/encoding.h"

#define HRP_RECIPIENT "age"
#define HRP_IDENTITY "age-secret-key-"

int dp_age_recipient_parse(dp_age_recipient *r, const char *s)
{
	char hrp[90];
	dp_buf d;
	dp_buf_init(&d, 4096);
	memset(r, 0, sizeof *r);
	int e = dp_bech32_decode(hrp, sizeof hrp, &d, s, strlen(s));
	if (e) {
		e = e == DP_ETOOBIG ? DP_EUNSUPP : DP_EPARSE;
	} else if (strcmp(hrp, HRP_RECIPIENT) != 0) {
		/* age1pq1..., age1tag1..., plugins: well-formed, not ours */
		e = strncmp(hrp, "age1", 4) == 0 ? DP_EUNSUPP : DP_EPARSE;
	} else if (d.len != 32) {
		e = DP_EPARSE; /* an X25519 key is 32 bytes */
	} else {
		r->type = DP_AGE_X25519;
		memcpy(r->pk, d.p, 32);
	}
	dp_buf_free(&d);
	return e;
}

int dp_age_recipient_format(const dp_age_recipient *r, dp_buf *b)
{
	if (r->type != DP_AGE_X25519)
		return DP_EUNSUPP;
	return dp_bech32_encode(b, HRP_RECIPIENT, r->pk, 32, 0);
}

int dp_age_identity_parse(dp_age_identity *id, const char *s)
{
	char hrp[90];
	dp_buf d;
	dp_buf_init(&d, 4096);
	memset(id, 0, sizeof *id);
	int e = dp_bech32_decode(hrp, sizeof hrp, &d, s, strlen(s));
	if (e) {
		e = DP_EPARSE;
	} else if (strcmp(hrp, HRP_IDENTITY) != 0) {
		/* AGE-SECRET-KEY-PQ-1..., AGE-PLUGIN-...: not supported here */
		e = strncmp(hrp, "age-", 4) == 0 ? DP_EUNSUPP : DP_EPARSE;
	} else if (d.len != 32) {
		e = DP_EPARSE; /* an X25519 scalar is 32 bytes */
	} else {
		id->type = DP_AGE_X25519;
		memcpy(id->sk, d.p, 32);
	}
	dp_buf_free(&d); /* wipes the decoded key */
	return e;
}

int dp_age_identity_format(const dp_age_identity *id, dp_buf *b)
{
	if (id->type != DP_AGE_X25519)
		return DP_EUNSUPP;
	return dp_bech32_encode(b, "AGE-SECRET-KEY-", id->sk, 32, 1);
}

int dp_age_identity_generate(dp_age_identity *id)
{
	memset(id, 0, sizeof *id);
	id->type = DP_AGE_X25519;
	dp_random(id->sk, sizeof id->sk);
	return DP_OK;
}

int dp_age_identity_to_recipient(const dp_age_identity *id, dp_age_recipient *r)
{
	memset(r, 0, sizeof *r);
	if (id->type != DP_AGE_X25519)
		return DP_EUNSUPP;
	if (crypto_scalarmult_base(r->pk, id->sk))
		return DP_ECRYPTO;
	r->type = DP_AGE_X25519;
	return DP_OK;
}

void dp_age_identity_wipe(dp_age_identity *id)
{
	sodium_memzero(id, sizeof *id);
}
