/*
 * test_client_officer - the officer index as a device uses it
 * (denpo/officer.h): officer_verify (a record and its proof against the
 * officer-index line of a checkpoint) and the sender's officer_recipients
 * (every listed device active in its officer's record with the enrolment
 * entry the resolve answer proves; an active device left out is a warning).
 * The checkpoint here is built unsigned: these functions take one the
 * caller verified, and use its text alone.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "denpo/encoding.h"
#include "denpo/officer.h"
#include "tests/harness.h"

/* A device line: id byte b, enrolled at idx, status. */
static void dev(dp_devrec *r, uint8_t b, uint64_t idx, int status, const char *name)
{
	dp_devrec_dev *d = &r->dev[r->n++];
	memset(d, 0, sizeof *d);
	memset(d->device, b, DP_ED25519_PK);
	d->enrolled = d->status_idx = idx;
	d->time = 1796600000 + (int64_t)idx;
	d->status = status;
	snprintf(d->name, sizeof d->name, "%s", name);
}

static dp_buf texts[2];
static dp_devindex *map;

/* The map over the two records; cp: a checkpoint text carrying its root (line: 0 = without). */
static void make(const dp_devrec *r0, const dp_devrec *r1, int line, cli_ckpt *cp)
{
	uint8_t keys[2][DP_TLOG_HASH], vh[2][DP_TLOG_HASH], root[DP_TLOG_HASH];
	const dp_devrec *rs[2] = {r0, r1};
	for (int i = 0; i < 2; i++) {
		dp_buf_free(&texts[i]);
		dp_buf_init(&texts[i], DP_DEVREC_TEXT_MAX);
		CHECK(dp_devrec_encode(rs[i], &texts[i]) == DP_OK);
		dp_devindex_key(keys[i], rs[i]->officer);
		dp_sha256(vh[i], texts[i].p, texts[i].len);
	}
	dp_devindex_free(map);
	CHECK(dp_devindex_build(&map, (const uint8_t(*)[32])keys, (const uint8_t(*)[32])vh, 2) == DP_OK);
	dp_devindex_root(map, root);
	dp_buf b;
	dp_buf_init(&b, 4096);
	CHECK(dp_buf_printf(&b, "example.org/log\n20\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n") == DP_OK);
	size_t next = b.len;
	if (line)
		CHECK(dp_devindex_line_format(&b, root) == DP_OK);
	memset(cp, 0, sizeof *cp);
	cp->note = malloc(b.len + 1);
	memcpy(cp->note, b.p, b.len);
	cp->note[b.len] = 0;
	cp->len = cp->text_len = b.len;
	cp->cp.size = 20;
	cp->cp.next = next;
	dp_buf_free(&b);
}

/* officer's answer from the map: its record text (i: 0/1) or none (i = -1) */
static void answer(dp_officer_proof *p, const char *officer, int i)
{
	uint8_t key[DP_TLOG_HASH];
	int found;
	memset(p, 0, sizeof *p);
	snprintf(p->handle, sizeof p->handle, "%s", officer);
	dp_devindex_key(key, officer);
	dp_devindex_prove(map, key, &p->proof, &found);
	if (i >= 0) {
		p->record = malloc(texts[i].len);
		memcpy(p->record, texts[i].p, texts[i].len);
		p->record_len = texts[i].len;
	}
}

static void resolved(dp_resolved *d, uint8_t b, const char *officer, uint64_t enrolled)
{
	memset(d, 0, sizeof *d);
	memset(d->device, b, DP_ED25519_PK);
	snprintf(d->officer, sizeof d->officer, "%s", officer);
	d->enrolment.present = 1;
	d->enrolment.index = enrolled;
}

int main(void)
{
	if (dp_crypto_init())
		return 1;
	dp_devrec *a = malloc(sizeof *a), *k = malloc(sizeof *k), *got = malloc(sizeof *got);
	CHECK(dp_devrec_init(a, "tanaka.h") == DP_OK && dp_devrec_init(k, "sato.k") == DP_OK);
	dev(a, 0x11, 4, DP_DEVREC_ACTIVE, "LAPTOP");
	dev(a, 0x12, 9, DP_DEVREC_ACTIVE, "PHONE");
	dev(a, 0x13, 12, DP_DEVREC_SUSPENDED, "OLD");
	dev(k, 0x21, 2, DP_DEVREC_ACTIVE, "DEVICE");
	cli_ckpt cp, bare;
	char why[512];
	dp_officer_proof p;

	/* ---- officer_verify ---- */
	make(k, a, 0, &bare);
	make(k, a, 1, &cp);
	answer(&p, "tanaka.h", 1);
	CHECK(officer_verify(&cp, "tanaka.h", &p, got, why, sizeof why) == DP_OK && got->n == 3 &&
	      !strcmp(got->officer, "tanaka.h"));
	CHECK(officer_verify(&bare, "tanaka.h", &p, got, why, sizeof why) == DP_ESIG &&
	      strstr(why, "carries no officer-index line"));
	CHECK(officer_verify(&cp, "sato.k", &p, got, why, sizeof why) == DP_ESIG && strstr(why, "answered for officer tanaka.h"));
	p.record[p.record_len - 2] ^= 1; /* one byte of a name */
	CHECK(officer_verify(&cp, "tanaka.h", &p, got, why, sizeof why) == DP_ESIG &&
	      strstr(why, "does not verify against the officer-index root"));
	dp_officer_proof_free(&p);
	answer(&p, "tanaka.h", 0); /* sato.k's record offered as tanaka.h's */
	CHECK(officer_verify(&cp, "tanaka.h", &p, got, why, sizeof why) == DP_ESIG);
	dp_officer_proof_free(&p);
	answer(&p, "mori.y", -1); /* nobody's: a non-membership proof */
	CHECK(officer_verify(&cp, "mori.y", &p, got, why, sizeof why) == DP_ENOTFOUND);
	dp_officer_proof_free(&p);
	answer(&p, "tanaka.h", -1); /* tanaka.h's record withheld */
	CHECK(officer_verify(&cp, "tanaka.h", &p, got, why, sizeof why) == DP_ESIG);
	dp_officer_proof_free(&p);

	/* ---- officer_recipients ---- */
	dp_resolution res;
	memset(&res, 0, sizeof res);
	dp_resolved devs[4];
	dp_unreachable un;
	dp_officer_proof offs[2];
	res.devs = devs;
	res.officers = offs;
	answer(&offs[0], "tanaka.h", 1);
	answer(&offs[1], "sato.k", 0);
	res.nofficers = 2;
	resolved(&devs[0], 0x11, "tanaka.h", 4);
	resolved(&devs[1], 0x12, "tanaka.h", 9);
	resolved(&devs[2], 0x21, "sato.k", 2);
	res.n = 3;
	json_t *w = json_array();
	CHECK(officer_recipients(&res, &cp, w, why, sizeof why) == DP_OK && json_array_size(w) == 0);
	res.n = 1; /* PHONE left out: a warning; the suspended one is not */
	CHECK(officer_recipients(&res, &cp, w, why, sizeof why) == DP_OK && json_array_size(w) == 1 &&
	      strstr(json_string_value(json_array_get(w, 0)), "\"PHONE\"") &&
	      strstr(json_string_value(json_array_get(w, 0)), "will NOT receive"));
	json_array_clear(w);
	memset(&un, 0, sizeof un);
	memset(un.device, 0x12, DP_ED25519_PK);
	res.unreachable = &un; /* ... unless the answer says it is unreachable */
	res.nunreachable = 1;
	CHECK(officer_recipients(&res, &cp, w, why, sizeof why) == DP_OK && json_array_size(w) == 0);
	res.unreachable = NULL;
	res.nunreachable = 0;
	res.n = 3;
	resolved(&devs[3], 0x14, "tanaka.h", 15); /* a device the index does not hold */
	res.n = 4;
	CHECK(officer_recipients(&res, &cp, w, why, sizeof why) == DP_ESIG &&
	      strstr(why, "the switch listed a device of tanaka.h that tanaka.h's officer index does not hold"));
	resolved(&devs[3], 0x13, "tanaka.h", 12); /* the suspended one */
	CHECK(officer_recipients(&res, &cp, w, why, sizeof why) == DP_ESIG && strstr(why, "as suspended"));
	res.n = 3;
	devs[1].enrolment.index = 8; /* another enrolment entry than the index's */
	CHECK(officer_recipients(&res, &cp, w, why, sizeof why) == DP_ESIG && strstr(why, "records entry 9"));
	devs[1].enrolment.index = 9;
	res.nofficers = 1; /* sato.k's answer missing */
	CHECK(officer_recipients(&res, &cp, w, why, sizeof why) == DP_ESIG &&
	      strstr(why, "no officer index answer for sato.k"));
	res.nofficers = 2;
	CHECK(officer_recipients(&res, &bare, w, why, sizeof why) == DP_ESIG);
	json_decref(w);
	dp_officer_proof_free(&offs[0]);
	dp_officer_proof_free(&offs[1]);
	cli_ckpt_free(&cp);
	cli_ckpt_free(&bare);
	dp_devindex_free(map);
	dp_buf_free(&texts[0]);
	dp_buf_free(&texts[1]);
	free(a);
	free(k);
	free(got);
	return t_done("test_client_officer");
}
