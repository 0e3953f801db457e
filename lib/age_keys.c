/*
 * age_keys.c - age key strings:
 *
 *   X25519          recipient "age1..." (HRP "age", 32 bytes)
 *                   identity  "AGE-SECRET-KEY-1..." (HRP "AGE-SECRET-KEY-", 32 bytes)
 *   mlkem768x25519  recipient "age1pq1..." (HRP "age1pq", the 1216-byte X-Wing key)
 *                   identity  "AGE-SECRET-KEY-PQ-1..." (HRP "AGE-SECRET-KEY-PQ-", the 32-byte seed)
 *
 * Parsing is constant time in the key (dp_bech32_decode).
 */
#include <string.h>

#include <sodium.h>

#include "denpo/age.h"
#include "denpo/crypto.h"
#include "denpo/encoding.h"
#include "denpo/xwing.h"

#define HRP_RECIPIENT "age"
#define HRP_IDENTITY "age-secret-key-"
#define HRP_PQ_RECIPIENT "age1pq"
#define HRP_PQ_IDENTITY "age-secret-key-pq-"

_Static_assert(DP_AGE_PQ_PK == DP_XWING_PK, "age1pq key size");

/* A post-quantum key must be usable: a trial encapsulation checks it. */
static int pq_key_ok(const uint8_t pk[DP_XWING_PK])
{
	uint8_t ct[DP_XWING_CT], ss[DP_XWING_SS];
	int zero = 1;
	int r = dp_xwing_encaps(ct, ss, pk, DP_XWING_PK, &zero);
	sodium_memzero(ss, sizeof ss);
	return r == DP_OK && !zero;
}

int dp_age_recipient_parse(dp_age_recipient *r, const char *s)
{
	char hrp[90];
	dp_buf d;
	dp_buf_init(&d, 4096);
	memset(r, 0, sizeof *r);
	int e = dp_bech32_decode(hrp, sizeof hrp, &d, s, strlen(s));
	if (e) {
		e = e == DP_ETOOBIG ? DP_EUNSUPP : DP_EPARSE;
	} else if (strcmp(hrp, HRP_RECIPIENT) == 0) {
		if (d.len != 32) {
			e = DP_EPARSE; /* an X25519 key is 32 bytes */
		} else {
			r->type = DP_AGE_X25519;
			memcpy(r->pk, d.p, 32);
		}
	} else if (strcmp(hrp, HRP_PQ_RECIPIENT) == 0) {
		if (d.len != DP_XWING_PK) {
			e = DP_EPARSE; /* an X-Wing key is 1216 bytes */
		} else if (!pq_key_ok(d.p)) {
			e = DP_EPARSE; /* ML-KEM modulus check or low-order X25519 part */
		} else {
			r->type = DP_AGE_MLKEM768X25519;
			memcpy(r->pq_pk, d.p, DP_XWING_PK);
		}
	} else {
		/* age1tag1..., plugins: well-formed, not ours */
		e = strncmp(hrp, "age1", 4) == 0 ? DP_EUNSUPP : DP_EPARSE;
	}
	dp_buf_free(&d);
	if (e)
		memset(r, 0, sizeof *r);
	return e;
}

int dp_age_recipient_format(const dp_age_recipient *r, dp_buf *b)
{
	if (r->type == DP_AGE_X25519)
		return dp_bech32_encode(b, HRP_RECIPIENT, r->pk, 32, 0);
	if (r->type == DP_AGE_MLKEM768X25519)
		return dp_bech32_encode(b, HRP_PQ_RECIPIENT, r->pq_pk, DP_XWING_PK, 0);
	return DP_EUNSUPP;
}

int dp_age_identity_parse(dp_age_identity *id, const char *s)
{
	char hrp[90];
	dp_buf d;
	dp_buf_init(&d, 4096);
	memset(id, 0, sizeof *id);
	int e = dp_bech32_decode(hrp, sizeof hrp, &d, s, strlen(s));
	int type = 0;
	if (e)
		e = DP_EPARSE;
	else if (strcmp(hrp, HRP_IDENTITY) == 0)
		type = DP_AGE_X25519;
	else if (strcmp(hrp, HRP_PQ_IDENTITY) == 0)
		type = DP_AGE_MLKEM768X25519;
	else /* AGE-PLUGIN-...: not supported here */
		e = strncmp(hrp, "age-", 4) == 0 ? DP_EUNSUPP : DP_EPARSE;
	if (!e && d.len != 32) {
		e = DP_EPARSE; /* an X25519 scalar or an X-Wing seed is 32 bytes */
	} else if (!e) {
		id->type = type;
		memcpy(id->sk, d.p, 32);
	}
	dp_buf_free(&d); /* wipes the decoded key */
	return e;
}

int dp_age_identity_format(const dp_age_identity *id, dp_buf *b)
{
	if (id->type == DP_AGE_X25519)
		return dp_bech32_encode(b, "AGE-SECRET-KEY-", id->sk, 32, 1);
	if (id->type == DP_AGE_MLKEM768X25519)
		return dp_bech32_encode(b, "AGE-SECRET-KEY-PQ-", id->sk, 32, 1);
	return DP_EUNSUPP;
}

int dp_age_identity_generate(dp_age_identity *id)
{
	memset(id, 0, sizeof *id);
	id->type = DP_AGE_X25519;
	dp_random(id->sk, sizeof id->sk);
	return DP_OK;
}

int dp_age_identity_generate_pq(dp_age_identity *id)
{
	memset(id, 0, sizeof *id);
	id->type = DP_AGE_MLKEM768X25519;
	dp_random(id->sk, sizeof id->sk); /* any 32 bytes are an X-Wing seed */
	return DP_OK;
}

int dp_age_identity_to_recipient(const dp_age_identity *id, dp_age_recipient *r)
{
	memset(r, 0, sizeof *r);
	if (id->type == DP_AGE_MLKEM768X25519) {
		int e = dp_xwing_public(r->pq_pk, id->sk, sizeof id->sk);
		if (!e)
			r->type = DP_AGE_MLKEM768X25519;
		return e;
	}
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
