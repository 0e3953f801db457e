/*
 * denpod/cable_rules.c - the rules of a stored cable (see cable_rules.h):
 * MRN numbering, due times, decoy rows.
 */
#include <time.h>

#include "denpo/cable.h"
#include "denpod/cable_rules.h"

int dpr_mrn_year(int64_t t)
{
	time_t now = (time_t)t;
	struct tm tm;
	gmtime_r(&now, &tm);
	return tm.tm_year + 1900;
}

int dpr_mrn(char out[DPS_MRN_MAX + 1], int year, const char *post, int64_t num)
{
	if (num >= DPR_MRN_END)
		return DP_ETOOBIG; /* the MRN has six digits */
	if (num < 1)
		return DP_EINVAL;
	return dp_mrn_format(out, year, post, (uint32_t)num);
}

int64_t dpr_due(int64_t accepted, int prec)
{
	return accepted + dp_prec_objective(prec);
}

int64_t dpr_receipt_at_accept(int decoy, int64_t accepted)
{
	return decoy ? accepted : 0;
}
