/*
 * tests/test_client_bind.c - denpo/bind.c without a switch: a cable's
 * logged acceptance checked against a verified tree (present, included,
 * of this cable, an entry of the right event, not yet covered), and every
 * field the switch states compared with the cable-accepted entry and the
 * envelope its sender signed, each difference named; the kept binding.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "denpo/bind.h"
#include "denpo/encoding.h"
#include "denpo/kept.h"
#include "denpo/logentry.h"
#include "tests/harness.h"

#define NLEAF 6
#define CABLE_AT 3 /* the cable's entry */

static uint8_t sender_pk[32], sender_sk[64], me[32], other[32];
static uint8_t leaf[NLEAF][DP_TLOG_HASH];
static uint8_t *entry[NLEAF];
static size_t entry_len[NLEAF];
static dp_envelope env;
static uint8_t sub[96];
static char id[DP_HEXID];
static const int64_t T0 = 1771928580;

/* tile level 0 of the little tree: its leaf hashes */
static int tiles(void *ctx, unsigned tlevel, uint64_t from, size_t count, uint8_t *out)
{
	if (tlevel != 0 || from + count > NLEAF)
		return DP_EINVAL;
	memcpy(out, leaf[from], count * DP_TLOG_HASH);
	return DP_OK;
}

/* The cable's envelope, signed by the sender: I am the info addressee, other the action one. */
static void make_envelope(void)
{
	dp_envelope_init(&env);
	dp_random(env.cable_id, sizeof env.cable_id);
	memcpy(env.from_device, sender_pk, 32);
	strcpy(env.from, "TOKYO");
	env.created = T0 - 5;
	env.classification = DP_CLASS_SECRET;
	env.prec_action = DP_PREC_FLASH;
	env.prec_info = DP_PREC_IMMEDIATE;
	strcpy(env.to[0], "HQ");
	env.nto = 1;
	strcpy(env.info[0], "SEOUL");
	env.ninfo = 1;
	env.recipients = calloc(2, sizeof *env.recipients);
	int mine_first = memcmp(me, other, 32) < 0;
	dp_recipient *m = &env.recipients[mine_first ? 0 : 1], *o = &env.recipients[mine_first ? 1 : 0];
	memcpy(m->device, me, 32);
	m->role = DP_ROLE_INFO;
	memcpy(o->device, other, 32);
	o->role = DP_ROLE_ACTION;
	for (int i = 0; i < 2; i++) {
		env.recipients[i].key_type = DP_AGE_MLKEM768X25519;
		env.recipients[i].epoch = 4;
	}
	env.nrecipients = 2;
	dp_random(sub, sizeof sub);
	env.payload_len = sizeof sub;
	dp_sha256(env.payload_sha256, sub, sizeof sub);
	dp_buf b;
	dp_buf_init(&b, DP_ENVELOPE_MAX);
	CHECK(dp_envelope_encode(&env, sender_sk, &b) == DP_OK);
	dp_envelope e2;
	CHECK(dp_envelope_decode(&e2, b.p, b.len) == DP_OK); /* what a device decodes */
	dp_envelope_free(&env);
	env = e2;
	dp_buf_free(&b);
	dp_hex_encode(id, env.cable_id, DP_CABLE_ID);
}

/* Entry i: the cable's cable-accepted entry at CABLE_AT, else a key-published one. */
static void make_entry(size_t i, const char *mrn)
{
	dp_logent e;
	memset(&e, 0, sizeof e);
	dp_buf b;
	dp_buf_init(&b, DP_TLOG_ENTRY_MAX);
	e.time = T0;
	if (i == CABLE_AT) {
		static dp_log_rcpt rc[2];
		e.event = DP_LOG_CABLE_ACCEPTED;
		memcpy(e.cable_id, env.cable_id, DP_CABLE_ID);
		snprintf(e.mrn, sizeof e.mrn, "%s", mrn);
		dp_sha256(e.envelope_hash, sub, sizeof sub); /* as if sub were the submission */
		memcpy(e.device, sender_pk, 32);
		strcpy(e.officer, "sato.k");
		strcpy(e.post, "TOKYO");
		e.classification = DP_CLASS_SECRET;
		e.prec_action = DP_PREC_FLASH;
		e.prec_info = DP_PREC_IMMEDIATE;
		for (int k = 0; k < 2; k++) {
			memcpy(rc[k].device, env.recipients[k].device, 32);
			rc[k].epoch = 4;
		}
		CHECK(dp_logent_set_part(&e, rc, 2, 1) == DP_OK);
	} else {
		static const uint8_t rec[] = "DENPO-EPOCH-KEY/1\n";
		e.event = DP_LOG_KEY_PUBLISHED;
		memcpy(e.device, other, 32);
		e.epoch = (uint32_t)i;
		e.record = rec;
		e.record_len = sizeof rec - 1;
	}
	CHECK(dp_logent_encode(&e, &b) == DP_OK);
	free(entry[i]);
	entry[i] = dp_buf_steal(&b, &entry_len[i]);
	dp_tlog_leaf_hash(leaf[i], entry[i], entry_len[i]);
	dp_buf_free(&b);
}

/* The verified checkpoint of the first size leaves. */
static void ckpt(cli_ckpt *c, uint64_t size)
{
	memset(c, 0, sizeof *c);
	c->cp.size = size;
	dp_tlog_tiles t = {tiles, NULL};
	CHECK(dp_tlog_root(size, dp_tlog_tiles_node, &t, c->cp.root) == DP_OK);
}

/* What an answer carries for entry i in the tree of size (index given separately). */
static void answer(dp_log_accepted *a, int64_t index, size_t i, uint64_t size)
{
	memset(a, 0, sizeof *a);
	a->has_index = 1;
	a->index = index;
	if (i >= size)
		return; /* not covered: no entry sent */
	dp_tlog_tiles t = {tiles, NULL};
	a->entry.present = 1;
	a->entry.index = i;
	a->entry.entry = entry[i];
	a->entry.entry_len = entry_len[i];
	CHECK(dp_tlog_prove_inclusion(i, size, dp_tlog_tiles_node, &t, a->entry.proof, &a->entry.nproof) ==
	      DP_OK);
}

/* The whole tree verified, the cable's entry as an honest switch sends it, checked into lg. */
static void honest(cli_ckpt *c, dp_log_accepted *a, bind_logged *lg)
{
	char why[512];
	ckpt(c, NLEAF);
	answer(a, CABLE_AT, CABLE_AT, NLEAF);
	CHECKF(bind_entry(a, c, id, lg, why, sizeof why) == BIND_OK, "%s", why);
}

static void test_entry(void)
{
	cli_ckpt c;
	dp_log_accepted a;
	bind_logged lg;
	char why[512];
	honest(&c, &a, &lg);
	CHECK(!strcmp(lg.mrn, "26 TOKYO 000004") && lg.accepted == T0 && lg.index == CABLE_AT &&
	      lg.classification == DP_CLASS_SECRET && lg.prec_action == DP_PREC_FLASH &&
	      !strcmp(lg.post, "TOKYO") && !strcmp(lg.officer, "sato.k") && !strcmp(lg.cable_id, id));

	/* accepted after the checkpoint: ask again, not a failure */
	ckpt(&c, CABLE_AT);
	answer(&a, CABLE_AT, CABLE_AT, CABLE_AT);
	CHECK(bind_entry(&a, &c, id, &lg, why, sizeof why) == BIND_PENDING);
	/* covered, but the switch withholds the entry */
	ckpt(&c, NLEAF);
	CHECK(bind_entry(&a, &c, id, &lg, why, sizeof why) == BIND_BAD && strstr(why, "did not send"));
	/* no entry at all, no index at all */
	a.index = -1;
	CHECK(bind_entry(&a, &c, id, &lg, why, sizeof why) == BIND_BAD && strstr(why, "never logged"));
	a.has_index = 0;
	CHECK(bind_entry(&a, &c, id, &lg, why, sizeof why) == BIND_BAD && strstr(why, "no log index"));
	/* another entry: of the wrong event; under another index; its proof broken */
	answer(&a, 1, 1, NLEAF);
	CHECK(bind_entry(&a, &c, id, &lg, why, sizeof why) == BIND_BAD && strstr(why, "key-published"));
	answer(&a, 2, CABLE_AT, NLEAF);
	CHECK(bind_entry(&a, &c, id, &lg, why, sizeof why) == BIND_BAD && strstr(why, "for its log index 2"));
	answer(&a, CABLE_AT, CABLE_AT, NLEAF);
	a.entry.proof[0][5] ^= 1;
	CHECK(bind_entry(&a, &c, id, &lg, why, sizeof why) == BIND_BAD && strstr(why, "not in the checkpoint"));
	/* the entry of another cable */
	answer(&a, CABLE_AT, CABLE_AT, NLEAF);
	char other_id[DP_HEXID];
	memcpy(other_id, id, sizeof other_id);
	other_id[0] = other_id[0] == 'a' ? 'b' : 'a';
	CHECK(bind_entry(&a, &c, other_id, &lg, why, sizeof why) == BIND_BAD && strstr(why, "cable id: "));
	/* the bytes of the entry changed: its leaf is not in the tree */
	uint8_t *keep = a.entry.entry;
	uint8_t *copy = malloc(a.entry.entry_len);
	memcpy(copy, keep, a.entry.entry_len);
	char *m = memmem(copy, a.entry.entry_len, "000004", 6);
	CHECK(m != NULL);
	if (m)
		m[5] = '7';
	a.entry.entry = copy;
	CHECK(bind_entry(&a, &c, id, &lg, why, sizeof why) == BIND_BAD && strstr(why, "not in the checkpoint"));
	free(copy);
}

/* One claim that differs from the truth in one field: the message names it. */
static void differs(const bind_claim *cl, const bind_logged *lg, const dp_envelope *e, const uint8_t *sub_,
		    const char *expect)
{
	char why[512];
	int r = bind_compare(cl, lg, e, e ? me : NULL, sub_, sub_ ? sizeof sub : 0, why, sizeof why);
	CHECKF(r == DP_ESIG && strstr(why, expect), "expected \"%s\", got %d \"%s\"", expect, r, why);
}

static void test_compare(void)
{
	cli_ckpt c;
	dp_log_accepted a;
	bind_logged lg;
	char why[512];
	honest(&c, &a, &lg);

	/* what an honest switch says: all of it agrees */
	bind_claim ok;
	bind_claim_init(&ok);
	ok.mrn = "26 TOKYO 000004";
	ok.mrn_header = "26 TOKYO 000004";
	ok.asked = "26 TOKYO 000004";
	ok.accepted = T0;
	ok.precedence = DP_PREC_IMMEDIATE; /* I am an info addressee */
	ok.role = DP_ROLE_INFO;
	ok.classification = DP_CLASS_SECRET;
	ok.from = "TOKYO";
	int r = bind_compare(&ok, &lg, &env, me, sub, sizeof sub, why, sizeof why);
	CHECKF(r == DP_OK, "%s", why);
	/* nothing said: nothing to differ */
	bind_claim none;
	bind_claim_init(&none);
	CHECK(bind_compare(&none, &lg, NULL, NULL, NULL, 0, why, sizeof why) == DP_OK);

	bind_claim cl = ok;
	cl.mrn = "26 TOKYO 000007";
	differs(&cl, &lg, &env, sub, "MRN: the switch says 26 TOKYO 000007, its log entry says 26 TOKYO 000004");
	cl = ok;
	cl.mrn_header = "26 TOKYO 000007";
	differs(&cl, &lg, &env, sub, "MRN: the switch's X-Denpo-MRN header says 26 TOKYO 000007");
	cl = ok;
	cl.asked = "26 TOKYO 000003";
	differs(&cl, &lg, &env, sub, "MRN: the switch gave this cable for 26 TOKYO 000003, its log entry says");
	cl = ok;
	cl.accepted = T0 - 3600;
	differs(&cl, &lg, &env, sub, "acceptance time: the switch says 1771924980 (");
	cl = ok;
	cl.precedence = DP_PREC_ROUTINE;
	differs(&cl, &lg, &env, sub, "precedence: the switch says ROUTINE, the sender signed IMMEDIATE");
	cl = ok;
	cl.precedence = DP_PREC_FLASH; /* the action precedence: not mine */
	differs(&cl, &lg, &env, sub, "precedence: the switch says FLASH, the sender signed IMMEDIATE");
	cl = ok;
	cl.role = DP_ROLE_ACTION;
	differs(&cl, &lg, &env, sub, "role: the switch says action, the sender signed info");
	/* a record copy (the ministry's archive): ROUTINE whatever the cable's precedences */
	dp_recipient *mine = NULL;
	for (size_t i = 0; i < env.nrecipients; i++)
		if (!memcmp(env.recipients[i].device, me, 32))
			mine = &env.recipients[i];
	CHECK(mine != NULL);
	if (!mine)
		return;
	mine->role = DP_ROLE_RECORD;
	cl = ok;
	cl.role = DP_ROLE_RECORD;
	cl.precedence = DP_PREC_ROUTINE;
	r = bind_compare(&cl, &lg, &env, me, sub, sizeof sub, why, sizeof why);
	CHECKF(r == DP_OK, "record copy at ROUTINE: %s", why);
	cl.precedence = DP_PREC_FLASH;
	differs(&cl, &lg, &env, sub, "precedence: the switch says FLASH, the sender signed ROUTINE");
	cl.precedence = DP_PREC_ROUTINE;
	cl.role = DP_ROLE_INFO;
	differs(&cl, &lg, &env, sub, "role: the switch says info, the sender signed record");
	mine->role = DP_ROLE_INFO;
	cl = ok;
	cl.classification = DP_CLASS_RESTRICTED;
	differs(&cl, &lg, &env, sub, "classification: the switch says RESTRICTED, the sender signed SECRET");
	cl = ok;
	cl.from = "SEOUL";
	differs(&cl, &lg, &env, sub, "From: the switch says SEOUL, the sender signed TOKYO");
	/* without the envelope (status, sent), the log entry is the truth of them all */
	cl = ok;
	cl.precedence = DP_PREC_ROUTINE;
	differs(&cl, &lg, NULL, NULL, "precedence: the switch says ROUTINE, its log entry says FLASH");
	cl.precedence = DP_PREC_FLASH;
	cl.role = 0;
	cl.classification = DP_CLASS_UNCLASSIFIED;
	differs(&cl, &lg, NULL, NULL, "classification: the switch says UNCLASSIFIED, its log entry says SECRET");
	/* the bytes served are not the ones logged */
	uint8_t sub2[sizeof sub];
	memcpy(sub2, sub, sizeof sub);
	sub2[0] ^= 1;
	r = bind_compare(&ok, &lg, &env, me, sub2, sizeof sub2, why, sizeof why);
	CHECKF(r == DP_ESIG && strstr(why, "submission SHA-256: its log entry says "), "%s", why);
	/* the switch logged one thing, the sender signed another */
	bind_logged l2 = lg;
	l2.classification = DP_CLASS_CONFIDENTIAL;
	differs(&none, &l2, &env, NULL, "classification: its log entry says CONFIDENTIAL, the sender signed SECRET");
	l2 = lg;
	l2.prec_info = DP_PREC_ROUTINE;
	differs(&none, &l2, &env, NULL, "precedence: its log entry says FLASH/ROUTINE, the sender signed FLASH/IMMEDIATE");
	l2 = lg;
	l2.originator[0] ^= 1;
	differs(&none, &l2, &env, NULL, "originating device: its log entry says");
	l2 = lg;
	strcpy(l2.post, "HQ");
	differs(&none, &l2, &env, NULL, "From: its log entry says HQ, the sender signed TOKYO");
	/* a cable the sender did not address to this device */
	r = bind_compare(&ok, &lg, &env, sender_pk, NULL, 0, why, sizeof why);
	CHECK(r == DP_ESIG && strstr(why, "did not address it to this device"));
}

static void test_cache(const char *home)
{
	cli_ctx x;
	static dp_keystore ks, ks2;
	memset(&x, 0, sizeof x);
	snprintf(x.home, sizeof x.home, "%s", home);
	randombytes_buf(ks.storage_key, sizeof ks.storage_key);
	randombytes_buf(ks2.storage_key, sizeof ks2.storage_key);
	x.ks = &ks;
	bind_logged lg, got;
	memset(&lg, 0, sizeof lg);
	snprintf(lg.cable_id, sizeof lg.cable_id, "%s", id);
	strcpy(lg.mrn, "26 TOKYO 000004");
	lg.accepted = T0;
	lg.index = 12345;
	dp_sha256(lg.envelope_hash, sub, sizeof sub);
	CHECK(bind_cache_get(&x, id, &got) == DP_ENOTFOUND);
	/* an MRN alone, as an older denpo kept it unchecked, is no binding */
	char p[PATH_MAX];
	cli_cache_path(&x, id, "mrn", p);
	CHECK(dp_write_file(p, "26 TOKYO 000004", 15, 0600, 0) == DP_OK);
	CHECK(bind_cache_get(&x, id, &got) != DP_OK);
	/* a binding as a denpo before the MAC kept it: not trusted (bound again online) */
	char hx[65], line[512];
	dp_hex_encode(hx, lg.envelope_hash, 32);
	int n = snprintf(line, sizeof line, "%s\n%llu %lld %s\n", lg.mrn, (unsigned long long)lg.index,
			 (long long)lg.accepted, hx);
	CHECK(dp_write_file(p, line, (size_t)n, 0600, 0) == DP_OK);
	CHECK(bind_cache_get(&x, id, &got) == DP_EPARSE);
	/* kept by a successful check (what bind_cable writes: the text, then its MAC) */
	size_t len = kept_seal(&x, "dpMrnBnd", line, (size_t)n, sizeof line);
	CHECK(len > (size_t)n && dp_write_file(p, line, len, 0600, 0) == DP_OK);
	CHECK(bind_cache_get(&x, id, &got) == DP_OK && !strcmp(got.mrn, lg.mrn) && got.index == lg.index &&
	      got.accepted == T0 && !memcmp(got.envelope_hash, lg.envelope_hash, 32));
	/* the MRN lookup still finds it by its first line */
	char found[DP_HEXID];
	CHECK(cli_ref_to_id(&x, "26 tokyo 000004", found) == DP_OK && !strcmp(found, id));
	/* another MRN written over it, or another device's record, or another kind's MAC: refused */
	line[14] = '9';
	CHECK(dp_write_file(p, line, len, 0600, 0) == DP_OK);
	CHECK(bind_cache_get(&x, id, &got) == DP_ESIG);
	line[14] = '4';
	x.ks = &ks2;
	CHECK(dp_write_file(p, line, len, 0600, 0) == DP_OK);
	CHECK(bind_cache_get(&x, id, &got) == DP_ESIG);
	x.ks = &ks;
	len = kept_seal(&x, "dpOrigin", line, (size_t)n, sizeof line);
	CHECK(len && dp_write_file(p, line, len, 0600, 0) == DP_OK);
	CHECK(bind_cache_get(&x, id, &got) == DP_ESIG);
	/* damaged under a good MAC: trailing junk, a bad hash, a bad MRN */
	const char *bad[][2] = {{"26 TOKYO 000004", "\nx"}, {"26 TOKYO 000004", "zz"}, {"26 TOKYO", ""}};
	for (size_t i = 0; i < 3; i++) {
		n = snprintf(line, sizeof line, "%s\n12345 1771928580 %s\n%s", bad[i][0],
			     i == 1 ? bad[i][1] : hx, i == 1 ? "" : bad[i][1]);
		if (i == 0)
			line[n++] = '\n'; /* whole lines, as a record is sealed */
		len = kept_seal(&x, "dpMrnBnd", line, (size_t)n, sizeof line);
		CHECK(len && dp_write_file(p, line, len, 0600, 0) == DP_OK);
		CHECKF(bind_cache_get(&x, id, &got) == DP_EPARSE, "damaged binding %zu", i);
	}
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	crypto_sign_keypair(sender_pk, sender_sk);
	dp_random(me, 32);
	dp_random(other, 32);
	make_envelope();
	for (size_t i = 0; i < NLEAF; i++)
		make_entry(i, "26 TOKYO 000004");
	test_entry();
	test_compare();
	char home[] = "/tmp/denpo-bind-XXXXXX";
	if (mkdtemp(home)) {
		char cache[PATH_MAX];
		snprintf(cache, sizeof cache, "%s/cache", home);
		mkdir(cache, 0700);
		test_cache(home);
		char cmd[PATH_MAX + 16];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", home);
	}
	for (size_t i = 0; i < NLEAF; i++)
		free(entry[i]);
	dp_envelope_free(&env);
	return t_done("test_client_bind");
}
