/*
 * tests/test_denpod_rules.c - the rules a stored cable follows
 * (denpod/cable_rules.h) and the DECOY role (denpod/policy.h), apart
 * from any database: MRN year and format at the six digits' edge and at
 * the limit, the warning's threshold, due times per precedence, decoy
 * rows' receipts.
 */
#include <stdint.h>
#include <string.h>

#include "denpo/cable.h"
#include "denpod/cable_rules.h"
#include "denpod/policy.h"
#include "tests/harness.h"

int main(void)
{
	char mrn[DPS_MRN_MAX + 1];
	/* the UTC year: 2026-12-31T23:59:59Z, then 2027-01-01T00:00:00Z */
	CHECK(dpr_mrn_year(1798761599) == 2026);
	CHECK(dpr_mrn_year(1798761600) == 2027);
	CHECK(dpr_mrn(mrn, 2026, "TOKYO", 1) == DP_OK && strcmp(mrn, "26 TOKYO 000001") == 0);
	CHECK(dpr_mrn(mrn, 2026, "TOKYO", 999999) == DP_OK && strcmp(mrn, "26 TOKYO 999999") == 0);
	/* past six digits the serial widens; the limit is 15 nines */
	CHECK(dpr_mrn(mrn, 2026, "TOKYO", 1000000) == DP_OK && strcmp(mrn, "26 TOKYO 1000000") == 0);
	CHECK(dpr_mrn(mrn, 2026, "TOKYO", DPR_MRN_END - 1) == DP_OK &&
	      strcmp(mrn, "26 TOKYO 999999999999999") == 0 && dp_mrn_ok(mrn));
	CHECK(DPR_MRN_END - 1 == (int64_t)DP_MRN_SERIAL_MAX);
	CHECK(dpr_mrn(mrn, 2026, "TOKYO", DPR_MRN_END) == DP_ETOOBIG); /* no sixteenth digit */
	CHECK(dpr_mrn(mrn, 2026, "TOKYO", INT64_MAX) == DP_ETOOBIG);
	/* the limit cannot be reached in a year at 100x the goal (0.4 x 41,207 cables/s) */
	CHECK((double)DPR_MRN_END / (366.0 * 86400) > 100 * 0.4 * 41207);
	/* the warning: a tenth of the way, said once by the counter that reaches it */
	CHECK(DPR_MRN_WARN == 100000000000000 && !dpr_mrn_high(DPR_MRN_WARN - 1) &&
	      dpr_mrn_high(DPR_MRN_WARN) && dpr_mrn_high(DPR_MRN_END - 1));
	char w[512];
	dpr_mrn_warning(w, sizeof w, "TOKYO", 2026, DPR_MRN_WARN);
	CHECK(strstr(w, "post TOKYO has numbered 100000000000000 cables in 2026") &&
	      strstr(w, "999999999999999") && strstr(w, "MRN serials"));
	CHECK(dpr_mrn(mrn, 2026, "TOKYO", 0) == DP_EINVAL);
	CHECK(dpr_mrn(mrn, 2026, "to kyo", 1) == DP_EINVAL);
	/* due: acceptance plus the precedence's objective */
	for (int p = DP_PREC_FLASH; p <= DP_PREC_ROUTINE; p++)
		CHECK(dpr_due(1000, p) == 1000 + dp_prec_objective(p));
	CHECK(dpr_due(1000, DP_PREC_FLASH) < dpr_due(1000, DP_PREC_ROUTINE));
	/* a decoy's rows start delivered and acknowledged; others not yet */
	CHECK(dpr_receipt_at_accept(1, 1771928580) == 1771928580);
	CHECK(dpr_receipt_at_accept(0, 1771928580) == 0);
	/* the DECOY role, among others */
	char roles[3][DP_NAME_MAX + 1] = {"DUTY", DPP_ROLE_DECOY, "X"};
	CHECK(dpp_is_decoy_officer(roles, 3) == 1);
	CHECK(dpp_is_decoy_officer(roles, 1) == 0);
	CHECK(dpp_is_decoy_officer(roles, 0) == 0);
	return t_done("test_denpod_rules");
}
