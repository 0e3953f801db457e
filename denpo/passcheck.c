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

#include <pwquality.h>

#include "denpo/cli.h"

int cli_pass_check(const char *pass, const char *old, const char *user, char *why, size_t whycap)
{
	char msg[PWQ_MAX_ERROR_MESSAGE_LEN];
	void *aux = NULL;
	why[0] = 0;
	pwquality_settings_t *s = pwquality_default_settings();
	if (!s) {
		snprintf(why, whycap, "libpwquality cannot start (out of memory)");
		return DP_ENOMEM;
	}
	int r = pwquality_read_config(s, NULL, &aux);
	if (r && r != PWQ_ERROR_CFGFILE_OPEN) {
		/* a policy the machine sets but we cannot read must not silently fall back */
		snprintf(why, whycap, "%s (/etc/security/pwquality.conf)",
			 pwquality_strerror(msg, sizeof msg, r, aux));
		pwquality_free_settings(s);
		return DP_EPARSE;
	}
	int min = 0;
	if (pwquality_get_int_value(s, PWQ_SETTING_MIN_LENGTH, &min) || min < CLI_PASS_MIN_LEN)
		pwquality_set_int_value(s, PWQ_SETTING_MIN_LENGTH, CLI_PASS_MIN_LEN);
	aux = NULL;
	r = pwquality_check(s, pass, old, user, &aux);
	pwquality_free_settings(s);
	if (r >= 0)
		return DP_OK;
	/* the library's reason never quotes the passphrase */
	snprintf(why, whycap, "%s", pwquality_strerror(msg, sizeof msg, r, aux));
	return DP_EDENIED;
}
