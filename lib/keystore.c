/*
 * lib/keystore.c - the device keystore: strict plaintext format inside an
 * scrypt-encrypted age file, keys held in sodium_malloc'd memory.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "denpo/cable.h"
#include "denpo/keystore.h"

static const uint8_t magic[4] = {'D', 'P', 'K', 'S'};

static dp_keystore *ks_alloc(void)
{
	dp_keystore *ks = sodium_malloc(sizeof *ks);
	if (ks)
		sodium_memzero(ks, sizeof *ks);
	return ks;
}

void dp_keystore_free(dp_keystore *ks)
{
	if (!ks)
		return;
	for (size_t i = 0; i < DP_KEYSTORE_MAX_AGE; i++)
		dp_age_identity_wipe(&ks->age[i]);
	sodium_free(ks); /* wipes the whole allocation */
}

/* Derive the public halves from the seeds held in ks. */
static void ks_derive(dp_keystore *ks, const uint8_t sign_seed[32])
{
	crypto_sign_ed25519_seed_keypair(ks->sign_pk, ks->sign_sk, sign_seed);
	uint8_t sk[crypto_sign_ed25519_SECRETKEYBYTES];
	crypto_sign_ed25519_seed_keypair(ks->tls_pk, sk, ks->tls_seed);
	sodium_memzero(sk, sizeof sk);
}

int dp_keystore_generate(dp_keystore **out)
{
	*out = NULL;
	dp_keystore *ks = ks_alloc();
	if (!ks)
		return DP_ENOMEM;
	uint8_t seed[32];
	dp_random(seed, sizeof seed);
	dp_random(ks->tls_seed, sizeof ks->tls_seed);
	ks_derive(ks, seed);
	sodium_memzero(seed, sizeof seed);
	dp_random(ks->storage_key, sizeof ks->storage_key);
	int64_t now = dp_now();
	int r = dp_keystore_add_epoch(ks, now, now + DP_EPOCH_PERIOD + DP_EPOCH_OVERLAP);
	if (r) {
		dp_keystore_free(ks);
		return r;
	}
	*out = ks;
	return DP_OK;
}

static int window_ok(int64_t nb, int64_t na)
{
	return nb >= DP_CREATED_MIN && na <= DP_CREATED_MAX && na - nb >= DP_EPOCH_MIN_LIFE &&
	       na - nb <= DP_EPOCH_MAX_LIFE;
}

int dp_keystore_add_epoch(dp_keystore *ks, int64_t not_before, int64_t not_after)
{
	if (!window_ok(not_before, not_after))
		return DP_EINVAL;
	size_t n = ks->nage;
	if (n >= DP_KEYSTORE_MAX_AGE || (n && ks->epoch[n - 1] == UINT32_MAX))
		return DP_ETOOBIG;
	int r = dp_age_identity_generate_pq(&ks->age[n]);
	if (r)
		return r;
	ks->epoch[n] = n ? ks->epoch[n - 1] + 1 : 0;
	ks->not_before[n] = not_before;
	ks->not_after[n] = not_after;
	ks->flags[n] = 0;
	ks->nage = n + 1;
	return DP_OK;
}

int dp_keystore_erase(dp_keystore *ks, size_t i)
{
	if (i >= ks->nage || ks->nage < 2)
		return DP_EINVAL;
	dp_age_identity_wipe(&ks->age[i]);
	for (size_t j = i; j + 1 < ks->nage; j++) {
		ks->age[j] = ks->age[j + 1];
		ks->epoch[j] = ks->epoch[j + 1];
		ks->not_before[j] = ks->not_before[j + 1];
		ks->not_after[j] = ks->not_after[j + 1];
		ks->flags[j] = ks->flags[j + 1];
	}
	ks->nage--;
	/* the vacated last slot held a copy of a live key: wipe it too */
	dp_age_identity_wipe(&ks->age[ks->nage]);
	ks->epoch[ks->nage] = 0;
	ks->not_before[ks->nage] = ks->not_after[ks->nage] = 0;
	ks->flags[ks->nage] = 0;
	return DP_OK;
}

int dp_keystore_epoch_key(const dp_keystore *ks, size_t i, dp_epoch_key *k)
{
	if (i >= ks->nage)
		return DP_EINVAL;
	memset(k, 0, sizeof *k);
	memcpy(k->device, ks->sign_pk, DP_ED25519_PK);
	k->epoch = ks->epoch[i];
	k->not_before = ks->not_before[i];
	k->not_after = ks->not_after[i];
	dp_age_recipient rc;
	dp_buf b;
	dp_buf_init(&b, DP_AGE_RECIPIENT_MAX + 1);
	int r = dp_age_identity_to_recipient(&ks->age[i], &rc);
	if (!r)
		r = dp_age_recipient_format(&rc, &b);
	if (!r && b.len <= DP_AGE_RECIPIENT_MAX)
		memcpy(k->age_recipient, b.p, b.len);
	else if (!r)
		r = DP_ETOOBIG;
	dp_buf_free(&b);
	return r;
}

int dp_keystore_encode(const dp_keystore *ks, dp_buf *out)
{
	if (ks->nage < 1 || ks->nage > DP_KEYSTORE_MAX_AGE)
		return DP_EINVAL;
	int r = dp_buf_append(out, magic, sizeof magic);
	r = r ? r : dp_buf_put_u8(out, DP_KEYSTORE_VERSION);
	r = r ? r : dp_buf_put_u8(out, DP_KEY_ED25519);
	r = r ? r : dp_buf_append(out, ks->sign_sk, DP_ED25519_SEED);
	r = r ? r : dp_buf_put_u8(out, DP_KEY_ED25519);
	r = r ? r : dp_buf_append(out, ks->tls_seed, sizeof ks->tls_seed);
	r = r ? r : dp_buf_put_u8(out, DP_KEY_XCHACHA);
	r = r ? r : dp_buf_append(out, ks->storage_key, sizeof ks->storage_key);
	r = r ? r : dp_buf_put_u8(out, (uint8_t)ks->nage);
	for (size_t i = 0; !r && i < ks->nage; i++) {
		if (ks->age[i].type != DP_AGE_MLKEM768X25519)
			return DP_EUNSUPP; /* cable keys are post-quantum only */
		if (!window_ok(ks->not_before[i], ks->not_after[i]) || (ks->flags[i] & ~DP_KS_PUBLISHED) ||
		    (i && ks->epoch[i] <= ks->epoch[i - 1]))
			return DP_EINVAL;
		r = dp_buf_put_u8(out, (uint8_t)ks->age[i].type);
		r = r ? r : dp_buf_put_u32(out, ks->epoch[i]);
		r = r ? r : dp_buf_put_u64(out, (uint64_t)ks->not_before[i]);
		r = r ? r : dp_buf_put_u64(out, (uint64_t)ks->not_after[i]);
		r = r ? r : dp_buf_put_u8(out, ks->flags[i]);
		r = r ? r : dp_buf_put_u8(out, 32);
		r = r ? r : dp_buf_append(out, ks->age[i].sk, 32);
	}
	return r;
}

int dp_keystore_decode(dp_keystore **out, const uint8_t *p, size_t n)
{
	*out = NULL;
	dp_cur c = dp_cur_make(p, n);
	uint8_t m[4], ver, t, nage;
	const uint8_t *seed;
	if (dp_cur_get(&c, m, sizeof m) || memcmp(m, magic, sizeof m))
		return DP_EPARSE; /* not a keystore */
	if (dp_cur_u8(&c, &ver))
		return DP_EPARSE; /* truncated */
	if (ver != DP_KEYSTORE_VERSION)
		return DP_EUNSUPP; /* a newer keystore than this program */
	dp_keystore *ks = ks_alloc();
	if (!ks)
		return DP_ENOMEM;
	int r = DP_EPARSE;
	if (dp_cur_u8(&c, &t) || dp_cur_take(&c, &seed, 32))
		goto fail; /* truncated signing key */
	if (t != DP_KEY_ED25519) {
		r = DP_EUNSUPP; /* unknown signing key type */
		goto fail;
	}
	uint8_t sign_seed[32];
	memcpy(sign_seed, seed, 32);
	if (dp_cur_u8(&c, &t) || dp_cur_get(&c, ks->tls_seed, 32)) {
		sodium_memzero(sign_seed, sizeof sign_seed);
		goto fail; /* truncated TLS key */
	}
	ks_derive(ks, sign_seed);
	sodium_memzero(sign_seed, sizeof sign_seed);
	if (t != DP_KEY_ED25519) {
		r = DP_EUNSUPP; /* unknown TLS key type */
		goto fail;
	}
	if (dp_cur_u8(&c, &t) || dp_cur_get(&c, ks->storage_key, 32))
		goto fail; /* truncated storage key */
	if (t != DP_KEY_XCHACHA) {
		r = DP_EUNSUPP; /* unknown storage key type */
		goto fail;
	}
	if (dp_cur_u8(&c, &nage) || nage < 1 || nage > DP_KEYSTORE_MAX_AGE)
		goto fail; /* a keystore holds 1..MAX age identities */
	for (size_t i = 0; i < nage; i++) {
		uint8_t kt, klen, fl;
		uint32_t ep;
		uint64_t nb, na;
		if (dp_cur_u8(&c, &kt) || dp_cur_u32(&c, &ep) || dp_cur_u64(&c, &nb) ||
		    dp_cur_u64(&c, &na) || dp_cur_u8(&c, &fl) || dp_cur_u8(&c, &klen))
			goto fail; /* truncated identity header */
		if (nb > (uint64_t)DP_CREATED_MAX || na > (uint64_t)DP_CREATED_MAX ||
		    !window_ok((int64_t)nb, (int64_t)na) || (fl & ~DP_KS_PUBLISHED))
			goto fail; /* a window the record rules refuse, or unknown flags */
		if (kt != DP_AGE_MLKEM768X25519) {
			r = DP_EUNSUPP; /* only mlkem768x25519 identities: cables are post-quantum only */
			goto fail;
		}
		if (klen != 32 || dp_cur_get(&c, ks->age[i].sk, 32))
			goto fail; /* the X-Wing seed is exactly 32 bytes */
		if (i > 0 && ep <= ks->epoch[i - 1])
			goto fail; /* epochs strictly increase */
		ks->age[i].type = DP_AGE_MLKEM768X25519;
		ks->epoch[i] = ep;
		ks->not_before[i] = (int64_t)nb;
		ks->not_after[i] = (int64_t)na;
		ks->flags[i] = fl;
		ks->nage = i + 1;
	}
	if (c.len != 0)
		goto fail; /* trailing bytes */
	*out = ks;
	return DP_OK;
fail:
	dp_keystore_free(ks);
	return r;
}

int dp_keystore_logn(void)
{
	const char *s = getenv("DENPO_SCRYPT_LOGN");
	if (!s || !*s)
		return DP_AGE_SCRYPT_DEFAULT_LOGN;
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < DP_KEYSTORE_MIN_LOGN || v > DP_AGE_SCRYPT_MAX_LOGN)
		return DP_AGE_SCRYPT_DEFAULT_LOGN; /* out of range: ignore, keep the safe default */
	return (int)v;
}

static int ks_write(const dp_keystore *ks, const char *path, const char *pass, size_t passlen,
		    int logn, int excl)
{
	if (!pass || passlen == 0)
		return DP_EINVAL;
	if (logn == 0)
		logn = dp_keystore_logn();
	if (logn < DP_KEYSTORE_MIN_LOGN || logn > DP_AGE_SCRYPT_MAX_LOGN)
		return DP_EINVAL;
	dp_buf pt, ct;
	dp_buf_init(&pt, DP_KEYSTORE_MAX);
	dp_buf_init(&ct, DP_KEYSTORE_MAX);
	dp_age_recipient rc;
	memset(&rc, 0, sizeof rc);
	rc.type = DP_AGE_SCRYPT;
	rc.pass = pass;
	rc.passlen = passlen;
	rc.logn = logn;
	int r = dp_keystore_encode(ks, &pt);
	if (!r)
		r = dp_age_encrypt(&rc, 1, pt.p, pt.len, 1, &ct);
	dp_buf_free(&pt);
	if (!r)
		r = dp_write_file(path, ct.p, ct.len, 0600, excl);
	dp_buf_free(&ct);
	return r;
}

int dp_keystore_save(const dp_keystore *ks, const char *path, const char *pass, size_t passlen,
		     int logn)
{
	return ks_write(ks, path, pass, passlen, logn, 1);
}

int dp_keystore_replace(const dp_keystore *ks, const char *path, const char *pass, size_t passlen,
			int logn)
{
	return ks_write(ks, path, pass, passlen, logn, 0);
}

int dp_keystore_load(dp_keystore **out, const char *path, const char *pass, size_t passlen)
{
	*out = NULL;
	dp_buf ct, pt;
	dp_buf_init(&ct, DP_KEYSTORE_MAX);
	dp_buf_init(&pt, DP_KEYSTORE_MAX);
	int r = dp_read_file(path, &ct);
	if (!r) {
		dp_age_identity id;
		memset(&id, 0, sizeof id);
		id.type = DP_AGE_SCRYPT;
		id.pass = pass;
		id.passlen = passlen;
		r = dp_age_decrypt(&id, 1, ct.p, ct.len, &pt);
		/* the scrypt stanza did not open: the passphrase is wrong */
		if (r == DP_ENOMATCH)
			r = DP_EPASS;
	}
	if (!r)
		r = dp_keystore_decode(out, pt.p, pt.len);
	dp_buf_free(&pt);
	dp_buf_free(&ct);
	return r;
}

int dp_keystore_recipient(const dp_keystore *ks, dp_buf *b)
{
	if (ks->nage < 1)
		return DP_EINVAL;
	dp_age_recipient rc;
	int r = dp_age_identity_to_recipient(&ks->age[ks->nage - 1], &rc);
	if (r)
		return r;
	return dp_age_recipient_format(&rc, b);
}
