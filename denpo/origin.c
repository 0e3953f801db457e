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
#include "denpo/kept.h"
#include "denpo/origin.h"

#define ORIGIN_MAGIC "denpo-kept-origin v1\n"
#define ORIGIN_MAX 512
#define ORIGIN_KDF "dpOrigin" /* kept.h: the context its MAC key is derived under */

static void origin_path(const cli_ctx *x, const uint8_t dev[DP_ED25519_PK], char out[PATH_MAX])
{
	char hex[2 * DP_ED25519_PK + 1], name[16 + sizeof hex];
	dp_hex_encode(hex, dev, DP_ED25519_PK);
	snprintf(name, sizeof name, "origins/%s", hex);
	cli_path(x, out, name);
}

void origin_keep(cli_ctx *x, const uint8_t dev[DP_ED25519_PK], const char *post)
{
	char dir[PATH_MAX], p[PATH_MAX], hex[2 * DP_ED25519_PK + 1], s[ORIGIN_MAX];
	if (!x->ks)
		return;
	cli_path(x, dir, "origins");
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return;
	dp_hex_encode(hex, dev, DP_ED25519_PK);
	int n = snprintf(s, sizeof s, ORIGIN_MAGIC "device %s\npost %s\nchecked %lld\n", hex, post,
			 (long long)dp_now());
	size_t len = n < 0 || (size_t)n >= sizeof s ? 0 : kept_seal(x, ORIGIN_KDF, s, (size_t)n, sizeof s);
	if (!len)
		return;
	origin_path(x, dev, p);
	int r = dp_write_file(p, s, len, 0600, 0);
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
	size_t body;
	r = kept_open(x, ORIGIN_KDF, s, len, &body);
	if (r == DP_EPARSE) {
		snprintf(why, cap, "the kept check of its originating device (%s) is malformed: not trusted", p);
		return DP_ESIG;
	}
	if (r) {
		snprintf(why, cap, "the kept check of its originating device (%s) does not verify under this "
				   "device's key (altered or planted): not trusted", p);
		return DP_ESIG;
	}
	s[body] = 0;
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
	/* a device revoked since: the directory would say so, but the switch is out of reach */
	if (dp_now() - t > ORIGIN_MAX_AGE) {
		char age[DP_TIME_STR];
		dp_span_str(dp_now() - t, age);
		snprintf(why, cap, "this device checked its originating device %s ago, and a check older than "
				   "%d days is too old to rely on (the device may have been revoked since)",
			 age, ORIGIN_MAX_AGE / 86400);
		return DP_ESTATE;
	}
	return DP_OK;
}
