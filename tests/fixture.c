/* tests/fixture.c - see fixture.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "denpo/crypto.h"

#include "tests/fixture.h"

void fx_seed_key(uint8_t base, uint8_t pk[32], uint8_t sk[64])
{
	uint8_t seed[32], tmp[64];
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)(base + i);
	crypto_sign_seed_keypair(pk, sk ? sk : tmp, seed);
}

void fx_set_recipients(dp_cable *c, size_t n, void (*fill)(dp_recipient *r, size_t i))
{
	dp_recipient *r = calloc(n, sizeof *r);
	if (!r && n)
		abort();
	for (size_t i = 0; i < n; i++) {
		r[i].device[0] = (uint8_t)(i >> 8);
		r[i].device[1] = (uint8_t)i;
		r[i].key_type = 1;
		fill(&r[i], i);
	}
	if (dp_cable_set_recipients(c, r, n))
		abort();
	free(r);
}

int fx_replace(dp_buf *out, size_t cap, const uint8_t *p, size_t n, const char *old,
	       const char *new)
{
	size_t ol = strlen(old);
	const uint8_t *hit = memmem(p, n, old, ol);
	if (!hit) {
		fprintf(stderr, "mutate: \"%s\" not found\n", old);
		return -1;
	}
	size_t off = (size_t)(hit - p);
	dp_buf_init(out, cap);
	if (dp_buf_append(out, p, off) || dp_buf_puts(out, new) ||
	    dp_buf_append(out, p + off + ol, n - off - ol))
		abort();
	return 0;
}

int fx_device_open(const char *tool, const char *home, dp_keystore **ks, dp_enrol_answer *ans,
		   dp_client_config *cfg)
{
	const char *pass = getenv("DENPO_PASSPHRASE");
	char path[4096];
	dp_buf b;
	*ks = NULL;
	if (!pass) {
		fprintf(stderr, "%s: set DENPO_PASSPHRASE\n", tool);
		return DP_EINVAL;
	}
	dp_buf_init(&b, DP_ENROL_MAX);
	snprintf(path, sizeof path, "%s/keystore.age", home);
	int r = dp_keystore_load(ks, path, pass, strlen(pass));
	snprintf(path, sizeof path, "%s/answer.txt", home);
	r = r ? r : dp_read_file(path, &b);
	r = r ? r : dp_enrol_answer_decode(ans, b.p, b.len);
	dp_buf_free(&b);
	if (r) {
		fprintf(stderr, "%s: cannot load the device in %s: %s\n", tool, home, dp_strerror(r));
		dp_keystore_free(*ks);
		*ks = NULL;
		return r;
	}
	memset(cfg, 0, sizeof *cfg);
	cfg->switches = &ans->switches; /* every address: the tools fail over as denpo does */
	memcpy(cfg->switch_tls_pk, ans->switch_tls_pk, 32);
	cfg->tls_seed = (*ks)->tls_seed;
	cfg->connect_timeout_ms = 2000;
	cfg->timeout_ms = 10000;
	char last[DP_URL_MAX + 2] = "";
	snprintf(path, sizeof path, "%s/switch", home);
	FILE *f = fopen(path, "r");
	if (f) {
		if (fgets(last, sizeof last, f))
			last[strcspn(last, "\n")] = 0;
		fclose(f);
	}
	int at = dp_switch_list_find(&ans->switches, last);
	cfg->start = at > 0 ? (size_t)at : 0;
	return DP_OK;
}
