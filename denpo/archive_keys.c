/*
 * denpo/archive_keys.c - a records device's epoch keys live long
 * (denpo/archive.h): the secret of a closed epoch goes to HOME/archive/keys
 * before the upkeep erases it from the keystore, so every record copy stays
 * readable; any other device erases it (forward secrecy).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "denpo/archive.h"

#define AK_MAGIC "DPAK"
#define AK_VERSION 1
#define AK_REC (4 + 8 + 8 + 32)
#define AK_HEAD (4 + 1 + 24)
static const char ak_ctx[] = "denpo-archive-keys-v1";

/* The enrolment answer's Roles hold RECORDS (what the device was told when it was enrolled). */
static int enrolled_records(const cli_ctx *x)
{
	if (!x->have_ans)
		return 0;
	for (size_t i = 0; i < x->ans.nroles; i++)
		if (strcmp(x->ans.roles[i], DP_RECORDS_ROLE) == 0)
			return 1;
	return 0;
}

/*
 * The directory as this device knows it now: asked of the switch again when
 * x->cl is open and this process has not asked in the last minute (kept in
 * HOME/directory by cli_directory_get), else the copy kept last time.
 */
static int dir_view(cli_ctx *x, dp_directory *d)
{
	static int64_t asked; /* when this process last asked */
	int64_t now = dp_now(), at;
	if (x->cl && (!asked || now < asked || now - asked >= 60)) {
		asked = now;
		if (cli_directory_get(x, d, &at) == DP_OK)
			return DP_OK;
		dp_directory_free(d);
	}
	return cli_directory_kept(x, d, &at);
}

int archive_records_rule(const dp_directory *d, const char *officer)
{
	if (!d->records_post[0])
		return 0; /* the switch has no archive: nobody is a records officer */
	for (size_t i = 0; i < d->nofficers; i++) {
		const dp_dir_officer *o = &d->officers[i];
		if (strcmp(o->handle, officer) != 0)
			continue;
		if (strcmp(o->post, d->records_post) != 0)
			return 0; /* RECORDS at an embassy is no records officer (denpod/policy.c) */
		for (size_t k = 0; k < o->nroles; k++)
			if (strcmp(o->roles[k], DP_RECORDS_ROLE) == 0)
				return 1;
		return 0;
	}
	return 0; /* not an active officer of the directory */
}

int archive_records_now(cli_ctx *x)
{
	if (!x->have_ans)
		return -1;
	dp_directory d;
	memset(&d, 0, sizeof d);
	if (dir_view(x, &d) != DP_OK) {
		dp_directory_free(&d);
		return -1;
	}
	int yes = archive_records_rule(&d, x->ans.officer);
	dp_directory_free(&d);
	return yes;
}

int archive_is_records(cli_ctx *x)
{
	int v = archive_records_now(x);
	return v < 0 ? enrolled_records(x) : v;
}

int archive_keys_decide(cli_ctx *x)
{
	int v = archive_records_now(x);
	if (v < 0) {
		fprintf(stderr, "denpo: warning: no directory of the switch is kept on this device, so it "
				"cannot tell whether it is the archive's records device: closed epoch keys are "
				"not erased (forward secrecy is off) until the directory is fetched; run "
				"`denpo directory`\n");
		return -1;
	}
	if (!v) {
		int rc;
		size_t n = archive_keys_count(x, &rc);
		if (n || rc)
			fprintf(stderr, "denpo: warning: by the switch's directory this device is no longer the "
					"archive's records device (officer %s does not hold the role " DP_RECORDS_ROLE
					" at the records post): closed epoch keys are erased from now on; the %zu "
					"kept in HOME/archive/keys stay, since the record copies it holds need them "
					"(docs/operations.md, \"The archive\")\n", x->ans.officer, n);
	}
	return v;
}

void archive_path(const cli_ctx *x, const char *name, char out[PATH_MAX])
{
	/* cli_home keeps the home path 64 bytes short of PATH_MAX: names fit */
	if (snprintf(out, PATH_MAX, "%s/archive%s%s", x->home, *name ? "/" : "", name) >= PATH_MAX)
		out[0] = 0;
}

int archive_mkdir(const cli_ctx *x)
{
	char p[PATH_MAX];
	archive_path(x, "", p);
	if (mkdir(p, 0700) != 0 && errno != EEXIST)
		return errno == ENOSPC ? DP_ENOSPC : DP_EIO;
	struct stat sb;
	if (lstat(p, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return DP_EIO;
	if ((sb.st_mode & 077) && chmod(p, 0700) != 0)
		return DP_EIO;
	return DP_OK;
}

static void ak_ad(const cli_ctx *x, uint8_t ad[sizeof ak_ctx + DP_ED25519_PK])
{
	memcpy(ad, ak_ctx, sizeof ak_ctx); /* with its NUL */
	memcpy(ad + sizeof ak_ctx, x->ks->sign_pk, DP_ED25519_PK);
}

static void put_be(uint8_t *p, uint64_t v, int bytes)
{
	for (int k = bytes - 1; k >= 0; k--, v >>= 8)
		p[k] = (uint8_t)v;
}

static uint64_t get_be(const uint8_t *p, int bytes)
{
	uint64_t v = 0;
	for (int k = 0; k < bytes; k++)
		v = v << 8 | p[k];
	return v;
}

/*
 * The plaintext of HOME/archive/keys into pt (sodium_malloc'd, *n records);
 * none: DP_OK with *n 0.  The file is this device's own, sealed under its
 * storage key: one that does not open is DP_EHMAC, a malformed one DP_EPARSE.
 */
static int ak_load(cli_ctx *x, uint8_t **pt, size_t *n)
{
	*pt = NULL;
	*n = 0;
	char p[PATH_MAX];
	archive_path(x, "keys", p);
	dp_buf b;
	dp_buf_init(&b, AK_HEAD + (size_t)ARCHIVE_KEYS_MAX * AK_REC + 16);
	int r = dp_read_file(p, &b);
	if (r == DP_ENOTFOUND) {
		dp_buf_free(&b);
		return DP_OK;
	}
	if (!r && (b.len < AK_HEAD + 16 || memcmp(b.p, AK_MAGIC, 4) || b.p[4] != AK_VERSION ||
		   (b.len - AK_HEAD - 16) % AK_REC))
		r = DP_EPARSE;
	size_t len = r ? 0 : b.len - AK_HEAD - 16;
	uint8_t *out = NULL;
	if (!r && !(out = sodium_malloc(len ? len : 1)))
		r = DP_ENOMEM;
	uint8_t ad[sizeof ak_ctx + DP_ED25519_PK];
	ak_ad(x, ad);
	unsigned long long ml;
	if (!r && crypto_aead_xchacha20poly1305_ietf_decrypt(out, &ml, NULL, b.p + AK_HEAD, len + 16, ad,
							     sizeof ad, b.p + 5, x->ks->storage_key))
		r = DP_EHMAC;
	for (size_t i = 1; !r && i < len / AK_REC; i++)
		if (get_be(out + i * AK_REC, 4) <= get_be(out + (i - 1) * AK_REC, 4))
			r = DP_EPARSE; /* epochs strictly increase */
	dp_buf_free(&b);
	if (r) {
		if (out)
			sodium_free(out);
		return r;
	}
	*pt = out;
	*n = len / AK_REC;
	return DP_OK;
}

int archive_keys_keep(cli_ctx *x, size_t i)
{
	if (!x->ks || i >= x->ks->nage)
		return DP_EINVAL;
	int r = archive_mkdir(x);
	uint8_t *pt = NULL;
	size_t n = 0;
	if (!r)
		r = ak_load(x, &pt, &n);
	if (r)
		return r;
	uint32_t ep = x->ks->epoch[i];
	size_t at = n; /* keep the order: insert before the first later epoch */
	for (size_t k = 0; k < n; k++) {
		uint32_t e = (uint32_t)get_be(pt + k * AK_REC, 4);
		if (e == ep) {
			sodium_free(pt);
			return DP_OK; /* kept already (an upkeep cut short after this step) */
		}
		if (e > ep && at == n)
			at = k;
	}
	if (n >= ARCHIVE_KEYS_MAX) {
		sodium_free(pt);
		return DP_ETOOBIG;
	}
	size_t len = (n + 1) * AK_REC, flen = AK_HEAD + len + 16;
	uint8_t *nw = sodium_malloc(len), *f = malloc(flen);
	if (!nw || !f) {
		if (nw)
			sodium_free(nw);
		free(f);
		if (pt)
			sodium_free(pt);
		return DP_ENOMEM;
	}
	if (at)
		memcpy(nw, pt, at * AK_REC);
	uint8_t *rec = nw + at * AK_REC;
	put_be(rec, ep, 4);
	put_be(rec + 4, (uint64_t)x->ks->not_before[i], 8);
	put_be(rec + 12, (uint64_t)x->ks->not_after[i], 8);
	memcpy(rec + 20, x->ks->age[i].sk, 32);
	if (n > at)
		memcpy(rec + AK_REC, pt + at * AK_REC, (n - at) * AK_REC);
	if (pt)
		sodium_free(pt);
	memcpy(f, AK_MAGIC, 4);
	f[4] = AK_VERSION;
	dp_random(f + 5, 24);
	uint8_t ad[sizeof ak_ctx + DP_ED25519_PK];
	ak_ad(x, ad);
	unsigned long long cl;
	crypto_aead_xchacha20poly1305_ietf_encrypt(f + AK_HEAD, &cl, nw, len, ad, sizeof ad, NULL, f + 5,
						   x->ks->storage_key);
	sodium_free(nw);
	char p[PATH_MAX];
	archive_path(x, "keys", p);
	r = dp_write_file(p, f, flen, 0600, 0);
	free(f);
	return r;
}

size_t archive_keys_count(cli_ctx *x, int *rc)
{
	uint8_t *pt;
	size_t n;
	*rc = ak_load(x, &pt, &n);
	if (pt)
		sodium_free(pt);
	return *rc ? 0 : n;
}

void archive_ids_free(dp_age_identity *ids, size_t n)
{
	if (!ids)
		return;
	for (size_t i = 0; i < n; i++)
		dp_age_identity_wipe(&ids[i]);
	sodium_free(ids);
}

int archive_ids(cli_ctx *x, int64_t t, dp_age_identity **ids, size_t *n)
{
	*ids = NULL;
	*n = 0;
	uint8_t *pt;
	size_t nk;
	int r = ak_load(x, &pt, &nk);
	if (r)
		return r;
	dp_age_identity *out = sodium_malloc((x->ks->nage + nk) * sizeof *out);
	if (!out) {
		if (pt)
			sodium_free(pt);
		return DP_ENOMEM;
	}
	size_t m = 0;
	for (size_t i = 0; i < x->ks->nage; i++)
		out[m++] = x->ks->age[i];
	for (size_t k = 0; k < nk; k++) {
		const uint8_t *rec = pt + k * AK_REC;
		int64_t nb = (int64_t)get_be(rec + 4, 8), na = (int64_t)get_be(rec + 12, 8);
		if (t && (t < nb - DP_EPOCH_SKEW || t > na + DP_EPOCH_SKEW))
			continue;
		memset(&out[m], 0, sizeof out[m]);
		out[m].type = DP_AGE_MLKEM768X25519;
		memcpy(out[m].sk, rec + 20, 32);
		m++;
	}
	if (pt)
		sodium_free(pt);
	*ids = out;
	*n = m;
	return DP_OK;
}
