/*
 * lib/passcheck.c - the strength rule for a new secret (denpo/passcheck.h).
 */
#include <stdio.h>

#include <pwquality.h>

#include "denpo/passcheck.h"

int dp_pass_check(const char *pass, const char *old, const char *user, int min_len, char *why,
		  size_t whycap)
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
		snprintf(why, whycap, "%s (/etc/security/pwquality.conf)",
			 pwquality_strerror(msg, sizeof msg, r, aux));
		pwquality_free_settings(s);
		return DP_EPARSE;
	}
	int min = 0;
	if (pwquality_get_int_value(s, PWQ_SETTING_MIN_LENGTH, &min) || min < min_len)
		pwquality_set_int_value(s, PWQ_SETTING_MIN_LENGTH, min_len);
	aux = NULL;
	r = pwquality_check(s, pass, old, user, &aux);
	pwquality_free_settings(s);
	if (r >= 0)
		return DP_OK;
	snprintf(why, whycap, "%s", pwquality_strerror(msg, sizeof msg, r, aux));
	return DP_EDENIED;
}
