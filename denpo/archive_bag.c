/*
 * denpo/archive_bag.c - what `denpo archive export` hands to the export bag
 * (denpo/bag.h, dp_export_bag): gathered from the archive's row after the
 * switch logged the act export.
 */
#include <stdlib.h>
#include <string.h>

#include "denpo/archive.h"

#if __has_include("denpo/bag.h")
#include "denpo/bag.h"

int archive_export(cli_ctx *x, archive_db *a, const archive_row *r, const char *dir, char *why,
		   size_t whycap)
{
	dp_buf sub, pt, entry;
	dp_buf_init(&sub, (size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4);
	dp_buf_init(&pt, (size_t)DP_MAX_PLAINTEXT + 65536);
	dp_buf_init(&entry, DP_TLOG_ENTRY_MAX);
	dp_envelope e;
	dp_envelope_init(&e);
	cli_ckpt ck;
	memset(&ck, 0, sizeof ck);
	dp_note_vkey k;
	dp_age_identity *ids = NULL;
	size_t nids = 0;
	const uint8_t *payload;
	size_t plen;
	int64_t index = -1;
	char p[PATH_MAX];
	int rc = archive_db_copy(a, r->cable_id, &sub);
	if (rc) {
		snprintf(why, whycap, "its record copy is %s", rc == DP_ENOTFOUND ? "destroyed" : "unreadable");
		goto out;
	}
	if ((rc = dp_submission_decode(&e, sub.p, sub.len, &payload, &plen))) {
		snprintf(why, whycap, "its record copy is malformed");
		goto out;
	}
	if ((rc = archive_ids(x, 0, &ids, &nids)) || (rc = dp_age_decrypt(ids, nids, payload, plen, &pt))) {
		snprintf(why, whycap, "its record copy does not open with this device's keys");
		goto out;
	}
	if ((rc = archive_db_entry(a, r->cable_id, &entry, &index))) {
		snprintf(why, whycap, "the archive holds no log entry of it (stored by an older denpo?)");
		goto out;
	}
	/* every proof under one checkpoint: the one this device verified last */
	cli_path(x, p, "log/checkpoint");
	if ((rc = cli_log_key(x, &k)) || (rc = cli_ckpt_load(&k, p, &ck))) {
		snprintf(why, whycap, "this device holds no verified checkpoint (run `denpo inbox` first)");
		goto out;
	}
	dp_log_proof pr;
	if ((rc = dp_client_log_inclusion(x->cl, (uint64_t)index, ck.cp.size, &pr))) {
		snprintf(why, whycap, "the switch gave no inclusion proof of its log entry %lld", (long long)index);
		goto out;
	}
	dp_log_incl acc;
	memset(&acc, 0, sizeof acc);
	acc.present = 1;
	acc.index = (uint64_t)index;
	acc.entry = entry.p;
	acc.entry_len = entry.len;
	memcpy(acc.proof, pr.h, sizeof acc.proof);
	acc.nproof = pr.n;
	/*
	 * The declassification's records entries (propose, approve) with their
	 * proofs: a records device cannot read log entries by index (entry
	 * bundles are for AUDIT devices), and the records answers carry only
	 * the index; until the switch hands them over, none (dp_export_bag
	 * then refuses: not shown declassified).
	 */
	dp_export ex = {
		.mrn = r->mrn,
		.cable = pt.p,
		.cable_len = pt.len,
		.submission = sub.p,
		.submission_len = sub.len,
		.accepted = &acc,
		.naccepted = 1,
		.records = NULL,
		.nrecords = 0,
		.checkpoint = ck.note,
		.checkpoint_len = ck.len,
		.log_key = &k,
		.markings = cli_markings(x),
	};
	rc = dp_export_bag(&ex, dir, why, whycap);
out:
	archive_ids_free(ids, nids);
	cli_ckpt_free(&ck);
	dp_envelope_free(&e);
	dp_buf_free(&pt); /* wipes */
	dp_buf_free(&entry);
	dp_buf_free(&sub);
	return rc;
}

#else /* denpo/bag.h has not landed in this tree */

int archive_export(cli_ctx *x, archive_db *a, const archive_row *r, const char *dir, char *why,
		   size_t whycap)
{
	(void)x;
	(void)a;
	(void)r;
	(void)dir;
	snprintf(why, whycap, "this denpo was built without the export bag (denpo/bag.h)");
	return DP_EUNSUPP;
}

#endif
