/*
 * denpod/cable_rules.c - the rules of a stored cable (see cable_rules.h):
 * MRN numbering, due times, decoy rows.
 */
#include <stdio.h>
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
		return DP_ETOOBIG; /* past DP_MRN_SERIAL_MAX: the post's year is full */
	if (num < 1)
		return DP_EINVAL;
	return dp_mrn_format(out, year, post, (uint64_t)num);
}

int dpr_mrn_high(int64_t num)
{
	return num >= DPR_MRN_WARN;
}

void dpr_mrn_warning(char *out, size_t cap, const char *post, int year, int64_t num)
{
	snprintf(out, cap, "MRN: post %s has numbered %lld cables in %d (the warning is at %lld, a "
			   "tenth of the %lld its MRNs can number in a year); at the limit it can send nothing more "
			   "until 1 January (docs/operations.md, \"MRN serials\")",
		 post, (long long)num, year, (long long)DPR_MRN_WARN, (long long)(DPR_MRN_END - 1));
}

void dpr_mrn_warn(const char *post, int year, int64_t num)
{
	if (num != DPR_MRN_WARN)
		return;
	char m[512];
	dpr_mrn_warning(m, sizeof m, post, year, num);
	fprintf(stderr, "denpod: warning: %s\n", m);
}

int64_t dpr_due(int64_t accepted, int prec)
{
	return accepted + dp_prec_objective(prec);
}

int64_t dpr_receipt_at_accept(int decoy, int64_t accepted)
{
	return decoy ? accepted : 0;
}
