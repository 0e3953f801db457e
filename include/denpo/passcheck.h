/*
 * denpo/passcheck.h - the strength rule for a new secret a person types:
 * a keystore passphrase (denpo) or a console operator's password
 * (denpod operator add).
 *
 * libpwquality's checks, the ones Debian's PAM applies to login passwords:
 * length, dictionary words (cracklib), palindromes, repeated or sequential
 * characters, the user's name, likeness to the secret it replaces.  The
 * machine's /etc/security/pwquality.conf applies (a ministry sets its
 * policy there), with at least min_len characters whatever it says.
 */
#ifndef DENPO_PASSCHECK_H
#define DENPO_PASSCHECK_H

#include <stddef.h>

#include "denpo/error.h"

/*
 * pass as a new secret of user (old: the one it replaces, or NULL).
 * DP_OK; DP_EDENIED with why (libpwquality's reason, never quoting the
 * secret); DP_EPARSE if pwquality.conf exists but cannot be read (a
 * policy must not silently fall back); DP_ENOMEM.
 */
int dp_pass_check(const char *pass, const char *old, const char *user, int min_len, char *why,
		  size_t whycap) DP_WUR;

#endif
