/*
 * denpod/operators.c - the console operators' names and passwords
 * (denpod/operators.h).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "denpo/passcheck.h"
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
	if (strlen(pass) > DPOP_PASS_MAX) {
		snprintf(why, cap, "the password is longer than %d bytes", DPOP_PASS_MAX);
		return DP_ETOOBIG;
	}
	return dp_pass_check(pass, NULL, name, DPOP_PASS_MIN, why, cap);
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
