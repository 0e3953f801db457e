/*
 * tests/test_denpod_dircache.c - the directory cache's tables
 * (denpod/dircache.h) on their own: every row put is found again with its
 * own value, among keys that differ in one byte anywhere (the first, the
 * last, the middle of a name as long as a key may be); a miss is a miss; a
 * table filled past half forgets everything and goes on working; a name
 * longer than a key is never found; a device is found by TLS key only
 * while its row by id is the same device's.
 */
#include <stdio.h>
#include <string.h>

#include "denpod/dircache.h"
#include "tests/harness.h"

static void mkdev(dps_device *d, unsigned i)
{
	memset(d, 0, sizeof *d);
	/* ids that differ in the last byte, or in the first */
	d->id[31] = (uint8_t)i;
	d->id[0] = (uint8_t)(i >> 8);
	d->id[15] = 0x5a;
	memcpy(d->tls_key, d->id, 32);
	d->tls_key[16] ^= 0xff;
	snprintf(d->officer, sizeof d->officer, "officer.%u", i);
	d->status = (int)(i % 3);
}

static void test_devices(void)
{
	dpdc *c = NULL;
	CHECK(dpdc_new(&c) == DP_OK && c);
	if (!c)
		return;
	enum { N = 1024 };
	dps_device d, got;
	for (unsigned i = 0; i < N; i++) {
		mkdev(&d, i);
		dpdc_dev_put(c, &d);
	}
	unsigned bad = 0;
	for (unsigned i = 0; i < N; i++) {
		mkdev(&d, i);
		if (!dpdc_dev_by_id(c, d.id, &got) || memcmp(&got, &d, sizeof d) != 0)
			bad++;
		if (!dpdc_dev_by_tls(c, d.tls_key, &got) || memcmp(got.id, d.id, 32) != 0)
			bad++;
	}
	CHECKF(bad == 0, "%u of %u lookups wrong", bad, 2 * N);
	/* a key never put, one byte from a key that was: a miss */
	mkdev(&d, 7);
	d.id[30] ^= 1;
	CHECK(dpdc_dev_by_id(c, d.id, &got) == 0);
	/* a TLS key whose device row now belongs to another TLS key: a miss */
	mkdev(&d, 9);
	uint8_t old_tls[32];
	memcpy(old_tls, d.tls_key, 32);
	d.tls_key[0] ^= 1;
	dpdc_dev_put(c, &d);
	CHECK(dpdc_dev_by_tls(c, d.tls_key, &got) == 1);
	CHECK(dpdc_dev_by_tls(c, old_tls, &got) == 0);
	/* cleared: nothing */
	dpdc_clear(c);
	mkdev(&d, 3);
	CHECK(dpdc_dev_by_id(c, d.id, &got) == 0 && dpdc_dev_by_tls(c, d.tls_key, &got) == 0);
	dpdc_free(c);
}

/* Officers: names as long as a key, differing in one character, and a fill past half. */
static void test_officers(void)
{
	dpdc *c = NULL;
	CHECK(dpdc_new(&c) == DP_OK && c);
	if (!c)
		return;
	dps_officer o, got;
	char base[DP_NAME_MAX + 1];
	memset(base, 'a', DP_NAME_MAX);
	base[DP_NAME_MAX] = 0;
	unsigned bad = 0, n = 0;
	for (size_t pos = 0; pos < DP_NAME_MAX; pos += 5) {
		for (char ch = 'b'; ch <= 'k'; ch++, n++) {
			memset(&o, 0, sizeof o);
			memcpy(o.handle, base, sizeof base);
			o.handle[pos] = ch;
			o.clearance = (int)n;
			dpdc_officer_put(c, &o);
		}
	}
	n = 0;
	for (size_t pos = 0; pos < DP_NAME_MAX; pos += 5) {
		for (char ch = 'b'; ch <= 'k'; ch++, n++) {
			char h[DP_NAME_MAX + 1];
			memcpy(h, base, sizeof base);
			h[pos] = ch;
			if (!dpdc_officer(c, h, &got) || got.clearance != (int)n || strcmp(got.handle, h))
				bad++;
		}
	}
	CHECKF(bad == 0, "%u of %u officers wrong", bad, n);
	CHECK(dpdc_officer(c, base, &got) == 0); /* never put */
	/* a name as long as a key is cached; one byte longer (the same first 48) is a miss */
	char longname[DP_NAME_MAX + 2];
	memset(longname, 'z', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	memset(&o, 0, sizeof o);
	memcpy(o.handle, longname, DP_NAME_MAX); /* DP_NAME_MAX z's */
	o.clearance = 77;
	dpdc_officer_put(c, &o);
	CHECK(dpdc_officer(c, o.handle, &got) == 1 && got.clearance == 77);
	CHECK(dpdc_officer(c, longname, &got) == 0);
	/* past half of the table's slots, it forgets and goes on */
	unsigned found = 0;
	for (unsigned i = 0; i < 5000; i++) {
		memset(&o, 0, sizeof o);
		snprintf(o.handle, sizeof o.handle, "fill.%u", i);
		o.clearance = (int)i;
		dpdc_officer_put(c, &o);
		if (dpdc_officer(c, o.handle, &got) && got.clearance == (int)i)
			found++;
	}
	CHECKF(found == 5000, "%u of 5000 just put", found);
	CHECK(dpdc_officer(c, "fill.4999", &got) == 1 && got.clearance == 4999);
	CHECK(dpdc_officer(c, "fill.0", &got) == 0); /* forgotten when the table filled */
	dpdc_free(c);
}

/* Posts are cached with their answer, a missing post as missing. */
static void test_posts(void)
{
	dpdc *c = NULL;
	CHECK(dpdc_new(&c) == DP_OK && c);
	if (!c)
		return;
	dps_post p = {"PARIS", 0, "Europe/Paris"}, got;
	int found = -1;
	CHECK(dpdc_post(c, "PARIS", &got, &found) == 0);
	dpdc_post_put(c, "PARIS", &p, 1);
	dpdc_post_put(c, "PARIT", NULL, 0);
	CHECK(dpdc_post(c, "PARIS", &got, &found) == 1 && found == 1 &&
	      strcmp(got.tz, "Europe/Paris") == 0);
	CHECK(dpdc_post(c, "PARIT", &got, &found) == 1 && found == 0);
	CHECK(dpdc_post(c, "PARIR", &got, &found) == 0);
	dpdc_free(c);
}

int main(void)
{
	test_devices();
	test_officers();
	test_posts();
	return t_done("test_denpod_dircache");
}
