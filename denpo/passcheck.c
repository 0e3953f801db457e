/*
 * denpo/passcheck.c - the strength rule for a new keystore passphrase.
 *
 * keystore.age can be taken off a device and guessed at offline, as fast
 * as scrypt (2^18) allows on the thief's hardware; only the passphrase's
 * strength bounds that.  So every new passphrase goes through libpwquality,
 * the checks Debian's PAM applies to login passwords: length, dictionary
 * words (cracklib), palindromes, repeated or sequential characters, the
 * officer's handle, likeness to the passphrase it replaces.  The machine's /etc/security/pwquality.conf applies (a
 * ministry sets its policy there), with at least CLI_PASS_MIN_LEN
 * characters whatever it says: a keystore passphrase is guessed offline,
 * with no lock-out after failed tries as a login has.
 */
#include <stdio.h>

#include "denpo/passcheck.h"

#include "denpo/cli.h"

int cli_pass_check(const char *pass, const char *old, const char *user, char *why, size_t whycap)
{
	return dp_pass_check(pass, old, user, CLI_PASS_MIN_LEN, why, whycap);
}
