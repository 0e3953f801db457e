/*
 * denpod/operators.c - the console operators' names and passwords
 * (denpod/operators.h).
 */
#include <stdio.h>
#include <string.h>

#include <pwquality.h>
#include <sodium.h>

#include "denpod/operators.h"

/*
 * libsodium's limits for online logins (64 MiB, 2 passes: ~0.1 s a
 * check); the console's rate limit, not the hash, is what stops guessing
 * online, and whoever holds the database holds the switch already.
 */
#define OPS crypto_pwhash_OPSLIMIT_INTERACTIVE
#define MEM crypto_pwhash_MEMLIMIT_INTERACTIVE

int dpop_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > DPS_OPNAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int dpop_pass_check(const char *pass, const char *name, char *why, size_t cap)
{
	char msg[PWQ_MAX_ERROR_MESSAGE_LEN];
	void *aux = NULL;
	why[0] = 0;
	if (strlen(pass) > DPOP_PASS_MAX) {
		snprintf(why, cap, "the password is longer than %d bytes", DPOP_PASS_MAX);
		return DP_ETOOBIG;
	}
	pwquality_settings_t *q = pwquality_default_settings();
	if (!q) {
		snprintf(why, cap, "libpwquality cannot start (out of memory)");
		return DP_ENOMEM;
	}
	int r = pwquality_read_config(q, NULL, &aux);
	if (r && r != PWQ_ERROR_CFGFILE_OPEN) {
		snprintf(why, cap, "%s (/etc/security/pwquality.conf)",
			 pwquality_strerror(msg, sizeof msg, r, aux));
		pwquality_free_settings(q);
		return DP_EDENIED;
	}
	int min = 0;
	if (pwquality_get_int_value(q, PWQ_SETTING_MIN_LENGTH, &min) || min < DPOP_PASS_MIN)
		pwquality_set_int_value(q, PWQ_SETTING_MIN_LENGTH, DPOP_PASS_MIN);
	aux = NULL;
	r = pwquality_check(q, pass, NULL, name, &aux);
	pwquality_free_settings(q);
	if (r >= 0)
		return DP_OK;
	snprintf(why, cap, "%s", pwquality_strerror(msg, sizeof msg, r, aux));
	return DP_EDENIED;
}

int dpop_hash(const char *pass, char out[DPS_PWHASH_MAX + 1])
{
	_Static_assert(DPS_PWHASH_MAX + 1 == crypto_pwhash_STRBYTES, "the store keeps a whole hash");
	return crypto_pwhash_str(out, pass, strlen(pass), OPS, MEM) ? DP_ECRYPTO : DP_OK;
}

int dpop_verify(dps_store *s, const char *name, const char *pass)
{
	static char dummy[crypto_pwhash_STRBYTES];
	dps_operator o;
	int known = dpop_name_ok(name) && dps_operator_get(s, name, &o) == DP_OK;
	if (!known) {
		/* the same work for a name that is not an operator's */
		if (!dummy[0] && crypto_pwhash_str(dummy, "-", 1, OPS, MEM))
			return DP_EDENIED;
		snprintf(o.hash, sizeof o.hash, "%s", dummy);
	}
	int ok = crypto_pwhash_str_verify(o.hash, pass, strlen(pass)) == 0;
	sodium_memzero(&o, sizeof o);
	return known && ok ? DP_OK : DP_EDENIED;
}
