/*
 * denpod/admin_answer.c - the signed enrolment answer a device imports
 * (denpo/enrol.h): made at approval (`denpod approve`), and made again for
 * a device already enrolled (`denpod device answer`) when the switch's
 * addresses changed (denpod.conf `url`, docs/several-switches.md §3).
 *
 * An answer states what the switch holds now: the officer's post,
 * clearance, captions and roles, every address of `url` (the primary
 * first), the switch's TLS, signing and log keys.  A device replaces its
 * answer with a newer one only when the keys are the same (denpo enrol):
 * what a new answer can change is the addresses and the officer's
 * attributes, never whom the device trusts.
 */
#include <stdio.h>
#include <string.h>

#include "denpo/encoding.h"
#include "denpo/enrol.h"
#include "denpo/epoch.h"
#include "denpod/admin.h"
#include "denpod/store.h"
#include "denpod/tlog.h"

int dpa_answer_write(const dpc_config *c, const dps_officer *o, const uint8_t device[32],
		     int64_t issued, const char *log_key, const char *path)
{
	dp_enrol_answer ans;
	memset(&ans, 0, sizeof ans);
	memcpy(ans.device_id, device, 32);
	snprintf(ans.officer, sizeof ans.officer, "%s", o->handle);
	snprintf(ans.post, sizeof ans.post, "%s", o->post);
	ans.clearance = o->clearance;
	memcpy(ans.captions, o->captions, sizeof ans.captions);
	ans.ncaptions = o->ncaptions;
	memcpy(ans.roles, o->roles, sizeof ans.roles);
	ans.nroles = o->nroles;
	ans.switches = c->urls; /* every address, the primary first */
	snprintf(ans.log_key, sizeof ans.log_key, "%s", log_key);
	ans.issued = issued;
	uint8_t *tsk = NULL, *ssk = NULL;
	int r = dpc_key_load(c, "tls.key", &tsk, ans.switch_tls_pk);
	dpc_key_free(tsk); /* only its public half goes into the answer */
	if (!r)
		r = dpc_key_load(c, "sign.key", &ssk, ans.switch_sign_pk);
	dp_buf out;
	dp_buf_init(&out, DP_ENROL_MAX);
	if (!r)
		r = dp_enrol_answer_encode(&ans, ssk, &out);
	dpc_key_free(ssk);
	if (!r)
		r = dp_write_file(path, out.p, out.len, 0644, 1);
	dp_buf_free(&out);
	return r;
}

int dpa_device_answer(const dpa_args *a)
{
	if (a->npos != 1 || !a->out) {
		fprintf(stderr, "usage: denpod device answer DEVICE (hex id or a unique prefix) --out "
				"ANSWER_FILE --data DIR\n");
		return 2;
	}
	dpc_config c;
	dps_store *s = NULL;
	int e = dpa_open_store(a, &c, &s);
	if (e)
		return e;
	char vk[DP_NOTE_VKEY_MAX + 1];
	dps_device d;
	dps_officer o;
	int r = dpl_vkey(&c, vk, sizeof vk);
	if (!r)
		r = dps_device_find(s, a->pos[0], &d);
	if (!r && d.status != DPS_ACTIVE)
		r = DP_ESTATE; /* a suspended or revoked device gets nothing new from the switch */
	if (!r)
		r = dps_officer_get(s, d.officer, &o);
	dps_close(s);
	if (r)
		return dpa_fail(r, "device answer",
				r == DP_ENOTFOUND ? "no such device (denpod device list shows them)"
				: r == DP_ESTATE ? "the device is not active (denpod device list)"
				: r == DP_EEXISTS ? "the prefix names more than one device: give more digits"
						  : NULL);
	r = dpa_answer_write(&c, &o, d.id, dp_now(), vk, a->out);
	if (r)
		return dpa_fail(r, "writing the answer",
				r == DP_EEXISTS ? "the --out file exists; choose another name" : NULL);
	char hex[65];
	dp_hex_encode(hex, d.id, 32);
	printf("a new answer for device %s of officer %s at %s, with the addresses %s: give %s to "
	       "the device (denpo enrol --answer %s replaces its answer)\n",
	       hex, o.handle, o.post, c.url, a->out, a->out);
	return 0;
}
