/*
 * denpo/archive_bag.c - what `denpo records export` hands to the export bag
 * (denpo/bag.h, dp_export_bag): gathered from the archive's row after the
 * switch logged the act export, with the declassification's records
 * entries (GET /v1/records/state?log_size=M) and the cable-accepted entry
 * proved under the one checkpoint the records answer brought and this
 * device verified.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "denpo/archive.h"

#include "denpo/bag.h"
#include "denpo/bind.h"
#include "denpo/encoding.h"
#include "denpo/seal.h"

/* The verified records entries of one cable, all under the checkpoint ck. */
typedef struct {
	cli_ckpt ck;
	dp_records_answer ans;
	dp_log_incl *ok;  /* into ans.entries: the entries proved under ck (shallow copies) */
	size_t nok;
	int propose, approve; /* found among them */
	size_t pending;   /* entries the checkpoint does not cover yet */
} rec_entries;

static void rec_free(rec_entries *re)
{
	cli_ckpt_free(&re->ck);
	dp_records_answer_free(&re->ans);
	free(re->ok);
	memset(re, 0, sizeof *re);
}

/*
 * The answer's entries checked as a cable's cable-accepted entry is
 * (seal_included under the checkpoint bind_checkpoint verified): each one
 * covered is included and is a "records" entry of this cable.  DP_OK, or
 * DP_ESIG with why (a forgery: nothing is exported).
 */
static int rec_check(rec_entries *re, const archive_row *r, char *why, size_t whycap)
{
	uint8_t id[DP_CABLE_ID];
	dp_logent *e = malloc(sizeof *e);
	re->ok = calloc(re->ans.nentries ? re->ans.nentries : 1, sizeof *re->ok);
	if (!e || !re->ok || dp_hex_decode(id, sizeof id, r->cable_id, strlen(r->cable_id))) {
		free(e);
		snprintf(why, whycap, "out of memory");
		return DP_ENOMEM;
	}
	int rc = DP_OK;
	for (size_t i = 0; !rc && i < re->ans.nentries; i++) {
		const dp_log_incl *in = &re->ans.entries[i];
		if (!in->present && in->index >= re->ck.cp.size) {
			re->pending++; /* after the checkpoint: not provable yet */
			continue;
		}
		rc = seal_included(in, re->ck.cp.size, re->ck.cp.root, e);
		if (rc)
			snprintf(why, whycap, "the switch's records entry %llu of %s %s",
				 (unsigned long long)in->index, r->mrn,
				 rc == DP_ENOTFOUND ? "was not sent, though its checkpoint covers it"
				 : rc == DP_EPARSE  ? "is malformed"
						    : "is not in the checkpoint this device verified");
		else if (e->event != DP_LOG_RECORDS || memcmp(e->cable_id, id, DP_CABLE_ID) != 0)
			snprintf(why, whycap, "the switch answered log entry %llu as a records entry of %s: "
					      "it is not one", (unsigned long long)in->index, r->mrn);
		else {
			int act = 0;
			if (dp_records_act_parse(e->act, &act) == DP_OK) {
				re->propose |= act == DP_REC_PROPOSE;
				re->approve |= act == DP_REC_APPROVE;
			}
			re->ok[re->nok++] = *in;
			continue;
		}
		rc = DP_ESIG;
	}
	free(e);
	return rc;
}

/*
 * The cable's records entries with proofs under one checkpoint this device
 * verified (GET /v1/records/state with log_size, then bind_checkpoint: the
 * witness's rules).  While the declassification's acts are not all under
 * it yet (an approval a moment ago), asked again, up to BIND_WAIT_MS.
 */
static int rec_get(cli_ctx *x, const archive_row *r, rec_entries *re, char *why, size_t whycap)
{
	struct timespec delay = {0, 100 * 1000000L};
	for (int waited = 0;; waited += 100) {
		memset(re, 0, sizeof *re);
		uint64_t m = cli_log_size(x);
		int rc = dp_client_records_state_log(x->cl, r->cable_id, m, &re->ans);
		if (rc) {
			snprintf(why, whycap, "the switch gave no records entries: %s",
				 dp_client_message(x->cl)[0] ? dp_client_message(x->cl) : dp_strerror(rc));
			return rc;
		}
		if (bind_checkpoint(x, re->ans.log, m, "the record copy's log entries", "nothing was exported",
				    &re->ck) != EXIT_OK) {
			snprintf(why, whycap, "the switch's checkpoint does not verify (said above)");
			return DP_ESIG;
		}
		if ((rc = rec_check(re, r, why, whycap)))
			return rc;
		if ((re->propose && re->approve) || !re->pending || waited >= BIND_WAIT_MS)
			return DP_OK; /* dp_export_bag says what is missing, if anything */
		rec_free(re);
		while (nanosleep(&delay, &delay) != 0)
			;
		delay.tv_nsec = 100 * 1000000L;
	}
}

int archive_export(cli_ctx *x, archive_db *a, const archive_row *r, const char *dir, char *why,
		   size_t whycap)
{
	dp_buf sub, pt, entry;
	dp_buf_init(&sub, (size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4);
	dp_buf_init(&pt, (size_t)DP_MAX_PLAINTEXT + 65536);
	dp_buf_init(&entry, DP_TLOG_ENTRY_MAX);
	dp_envelope e;
	dp_envelope_init(&e);
	rec_entries re;
	memset(&re, 0, sizeof re);
	dp_note_vkey k;
	dp_age_identity *ids = NULL;
	size_t nids = 0;
	const uint8_t *payload;
	size_t plen;
	int64_t index = -1;
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
	if ((rc = cli_log_key(x, &k))) {
		snprintf(why, whycap, "this device holds no log key (run `denpo init` again)");
		goto out;
	}
	/* every proof under one checkpoint: the one the records entries came with, verified here */
	if ((rc = rec_get(x, r, &re, why, whycap)))
		goto out;
	dp_log_proof pr;
	if ((uint64_t)index >= re.ck.cp.size ||
	    (rc = dp_client_log_inclusion(x->cl, (uint64_t)index, re.ck.cp.size, &pr))) {
		rc = rc ? rc : DP_ESTATE;
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
	dp_export ex = {
		.mrn = r->mrn,
		.cable = pt.p,
		.cable_len = pt.len,
		.submission = sub.p,
		.submission_len = sub.len,
		.accepted = &acc,
		.naccepted = 1,
		.records = re.ok,
		.nrecords = re.nok,
		.checkpoint = re.ck.note,
		.checkpoint_len = re.ck.len,
		.log_key = &k,
		.markings = cli_markings(x),
	};
	rc = dp_export_bag(&ex, dir, why, whycap);
out:
	archive_ids_free(ids, nids);
	rec_free(&re);
	dp_envelope_free(&e);
	dp_buf_free(&pt); /* wipes */
	dp_buf_free(&entry);
	dp_buf_free(&sub);
	return rc;
}
