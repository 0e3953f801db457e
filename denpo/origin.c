/*
 * denpo/origin.c - the originator check kept for reading offline
 * (contract and file format in denpo/origin.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "denpo/encoding.h"
#include "denpo/origin.h"

#define ORIGIN_MAGIC "denpo-kept-origin v1\n"
#define ORIGIN_MAX 512

static void origin_path(const cli_ctx *x, const uint8_t dev[DP_ED25519_PK], char out[PATH_MAX])
{
	char hex[2 * DP_ED25519_PK + 1], name[16 + sizeof hex];
	dp_hex_encode(hex, dev, DP_ED25519_PK);
	snprintf(name, sizeof name, "origins/%s", hex);
	cli_path(x, out, name);
}

/* The MAC of the record's text t[0..n) under the key derived from the storage key. */
static void origin_mac(const cli_ctx *x, const char *t, size_t n, uint8_t mac[32])
{
	uint8_t k[crypto_generichash_KEYBYTES];
	crypto_kdf_derive_from_key(k, sizeof k, 1, "dpOrigin", x->ks->storage_key);
	crypto_generichash(mac, 32, (const uint8_t *)t, n, k, sizeof k);
	sodium_memzero(k, sizeof k);
}

void origin_keep(cli_ctx *x, const uint8_t dev[DP_ED25519_PK], const char *post)
{
	char dir[PATH_MAX], p[PATH_MAX], hex[2 * DP_ED25519_PK + 1], s[ORIGIN_MAX], mh[65];
	uint8_t mac[32];
	if (!x->ks)
		return;
	cli_path(x, dir, "origins");
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return;
	dp_hex_encode(hex, dev, DP_ED25519_PK);
	int n = snprintf(s, sizeof s, ORIGIN_MAGIC "device %s\npost %s\nchecked %lld\n", hex, post,
			 (long long)dp_now());
	if (n < 0 || (size_t)n + 70 >= sizeof s)
		return;
	origin_mac(x, s, (size_t)n, mac);
	dp_hex_encode(mh, mac, sizeof mac);
	n += snprintf(s + n, sizeof s - (size_t)n, "mac %s\n", mh);
	origin_path(x, dev, p);
	int r = dp_write_file(p, s, (size_t)n, 0600, 0);
	if (r && !x->quiet)
		fprintf(stderr, "denpo: warning: cannot keep the check of the originating device (%s): "
				"reading offline will not be possible for its cables\n", cli_strerror(x, r));
}

void origin_forget(cli_ctx *x, const uint8_t dev[DP_ED25519_PK])
{
	char p[PATH_MAX];
	origin_path(x, dev, p);
	unlink(p);
}

int origin_kept(cli_ctx *x, const uint8_t dev[DP_ED25519_PK], const char *post, int64_t *checked, char *why,
		size_t cap)
{
	char p[PATH_MAX], s[ORIGIN_MAX + 1], hex[2 * DP_ED25519_PK + 1];
	*checked = 0;
	origin_path(x, dev, p);
	dp_buf b;
	dp_buf_init(&b, ORIGIN_MAX);
	int r = dp_read_file(p, &b);
	if (r) {
		dp_buf_free(&b);
		return DP_ENOTFOUND;
	}
	memcpy(s, b.p, b.len);
	s[b.len] = 0;
	size_t len = b.len;
	dp_buf_free(&b);
	/* untrusted until its MAC verifies: anyone who can write HOME can write this file */
	char *m = strstr(s, "\nmac ");
	uint8_t want[32], got[32];
	if (strlen(s) != len || !m || strlen(m) != 5 + 64 + 1 || m[5 + 64] != '\n' ||
	    dp_hex_decode(got, sizeof got, m + 5, 64) != DP_OK) {
		snprintf(why, cap, "the kept check of its originating device (%s) is malformed: not trusted", p);
		return DP_ESIG;
	}
	origin_mac(x, s, (size_t)(m + 1 - s), want);
	if (sodium_memcmp(want, got, sizeof want) != 0) {
		snprintf(why, cap, "the kept check of its originating device (%s) does not verify under this "
				   "device's key (altered or planted): not trusted", p);
		return DP_ESIG;
	}
	/* written by this device: the fields are as origin_keep wrote them */
	char kdev[2 * DP_ED25519_PK + 1], kpost[DP_NAME_MAX + 1];
	long long t;
	int used = 0;
	dp_hex_encode(hex, dev, DP_ED25519_PK);
	if (strncmp(s, ORIGIN_MAGIC, strlen(ORIGIN_MAGIC)) != 0 ||
	    sscanf(s + strlen(ORIGIN_MAGIC), "device %64s\npost %48s\nchecked %lld\n%n", kdev, kpost, &t, &used) != 3 ||
	    strcmp(kdev, hex) != 0) {
		snprintf(why, cap, "the kept check of its originating device (%s) is not about this device: "
				   "not trusted", p);
		return DP_ESIG;
	}
	if (strcmp(kpost, post) != 0) {
		snprintf(why, cap, "it claims post %s but its signing device was checked as %s's", post, kpost);
		return DP_ESIG;
	}
	*checked = t;
	return DP_OK;
}
