/*
 * denpod/dircache.c - fixed-capacity open-addressing tables of directory
 * rows (see dircache.h).  Keys are 32-byte device keys or names of at most
 * DP_NAME_MAX bytes, stored zero-padded so that a key compares with memcmp.
 * A device row is held once, by id; the TLS-key table maps to the id (a
 * row there whose id was forgotten is a miss).  A device row is about 1 KiB
 * (its epoch windows; the keys themselves are never cached), so the device
 * tables take about 8.5 MiB at most.
 */
#include <stdlib.h>
#include <string.h>

#include "denpod/dircache.h"

#define KEY_MAX 48 /* = DP_NAME_MAX; device keys use 32 */
#define DEV_SLOTS 8192 /* power of two; at most half used */
#define OFF_SLOTS 4096
#define POST_SLOTS 1024

_Static_assert(KEY_MAX >= DP_NAME_MAX && KEY_MAX >= 32, "cache key too small");
_Static_assert(KEY_MAX % 8 == 0, "hash() reads the key 8 bytes at a time");

typedef struct {
	size_t slots, used, vsize;
	uint8_t *keys;  /* slots * KEY_MAX */
	uint8_t *full;  /* slots */
	uint8_t *vals;  /* slots * vsize */
} table;

typedef struct {
	dps_post p;
	int found;
} post_val;

struct dpdc {
	table by_id, by_tls, officers, posts;
};

static int tab_init(table *t, size_t slots, size_t vsize)
{
	t->slots = slots;
	t->used = 0;
	t->vsize = vsize;
	t->keys = calloc(slots, KEY_MAX);
	t->full = calloc(slots, 1);
	t->vals = calloc(slots, vsize);
	return t->keys && t->full && t->vals ? DP_OK : DP_ENOMEM;
}

static void tab_free(table *t)
{
	free(t->keys);
	free(t->full);
	free(t->vals);
}

static void tab_clear(table *t)
{
	memset(t->full, 0, t->slots);
	t->used = 0;
}

/*
 * Eight bytes a step, each step a multiply and a shift that carries high
 * bits down (the slot is the low bits): six steps for a key, where FNV-1a
 * byte by byte took 48 dependent multiplies, which showed in the loop's
 * profile at 20 recipients (3.6 % of its samples: two lookups a recipient,
 * its device and its officer).  Keys are directory rows, not chosen by a
 * peer, so no keyed hash is needed.
 */
static size_t hash(const uint8_t key[KEY_MAX])
{
	uint64_t h = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < KEY_MAX; i += 8) {
		uint64_t w;
		memcpy(&w, key + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 29;
	}
	return (size_t)(h ^ h >> 32);
}

/* Slot holding key, or the empty slot where it would go. */
static size_t tab_slot(const table *t, const uint8_t key[KEY_MAX])
{
	size_t i = hash(key) & (t->slots - 1);
	while (t->full[i] && memcmp(t->keys + i * KEY_MAX, key, KEY_MAX) != 0)
		i = (i + 1) & (t->slots - 1);
	return i;
}

static int tab_get(const table *t, const uint8_t key[KEY_MAX], void *out)
{
	size_t i = tab_slot(t, key);
	if (!t->full[i])
		return 0;
	memcpy(out, t->vals + i * t->vsize, t->vsize);
	return 1;
}

static void tab_put(table *t, const uint8_t key[KEY_MAX], const void *val)
{
	size_t i = tab_slot(t, key);
	if (!t->full[i]) {
		/* full: forget everything rather than probe long chains */
		if (t->used + 1 > t->slots / 2) {
			tab_clear(t);
			i = tab_slot(t, key);
		}
		t->full[i] = 1;
		t->used++;
		memcpy(t->keys + i * KEY_MAX, key, KEY_MAX);
	}
	memcpy(t->vals + i * t->vsize, val, t->vsize);
}

static void key_bin(uint8_t key[KEY_MAX], const uint8_t k[32])
{
	memset(key, 0, KEY_MAX);
	memcpy(key, k, 32);
}

/* 0, or -1 for a name that cannot be a key (never cached: always a miss). */
static int key_name(uint8_t key[KEY_MAX], const char *name)
{
	size_t n = strlen(name);
	if (n > KEY_MAX)
		return -1;
	memset(key, 0, KEY_MAX);
	memcpy(key, name, n);
	return 0;
}

int dpdc_new(dpdc **out)
{
	dpdc *c = calloc(1, sizeof *c);
	if (!c)
		return DP_ENOMEM;
	if (tab_init(&c->by_id, DEV_SLOTS, sizeof(dps_device)) ||
	    tab_init(&c->by_tls, DEV_SLOTS, DP_ED25519_PK) ||
	    tab_init(&c->officers, OFF_SLOTS, sizeof(dps_officer)) ||
	    tab_init(&c->posts, POST_SLOTS, sizeof(post_val))) {
		dpdc_free(c);
		return DP_ENOMEM;
	}
	*out = c;
	return DP_OK;
}

void dpdc_free(dpdc *c)
{
	if (!c)
		return;
	tab_free(&c->by_id);
	tab_free(&c->by_tls);
	tab_free(&c->officers);
	tab_free(&c->posts);
	free(c);
}

void dpdc_clear(dpdc *c)
{
	tab_clear(&c->by_id);
	tab_clear(&c->by_tls);
	tab_clear(&c->officers);
	tab_clear(&c->posts);
}

int dpdc_dev_by_id(dpdc *c, const uint8_t id[32], dps_device *out)
{
	uint8_t key[KEY_MAX];
	key_bin(key, id);
	return tab_get(&c->by_id, key, out);
}

int dpdc_dev_by_tls(dpdc *c, const uint8_t tls_key[32], dps_device *out)
{
	uint8_t key[KEY_MAX], id[DP_ED25519_PK];
	key_bin(key, tls_key);
	if (!tab_get(&c->by_tls, key, id))
		return 0;
	/* the id's row may have been forgotten (its table filled up): a miss */
	return dpdc_dev_by_id(c, id, out) && memcmp(out->tls_key, tls_key, 32) == 0;
}

void dpdc_dev_put(dpdc *c, const dps_device *d)
{
	uint8_t key[KEY_MAX];
	key_bin(key, d->id);
	tab_put(&c->by_id, key, d);
	key_bin(key, d->tls_key);
	tab_put(&c->by_tls, key, d->id);
}

int dpdc_officer(dpdc *c, const char *handle, dps_officer *out)
{
	uint8_t key[KEY_MAX];
	return key_name(key, handle) == 0 && tab_get(&c->officers, key, out);
}

void dpdc_officer_put(dpdc *c, const dps_officer *o)
{
	uint8_t key[KEY_MAX];
	if (key_name(key, o->handle) == 0)
		tab_put(&c->officers, key, o);
}

int dpdc_post(dpdc *c, const char *name, dps_post *out, int *found)
{
	uint8_t key[KEY_MAX];
	post_val v;
	if (key_name(key, name) != 0 || !tab_get(&c->posts, key, &v))
		return 0;
	*out = v.p;
	*found = v.found;
	return 1;
}

void dpdc_post_put(dpdc *c, const char *name, const dps_post *p, int found)
{
	uint8_t key[KEY_MAX];
	post_val v;
	memset(&v, 0, sizeof v);
	if (found)
		v.p = *p;
	v.found = found;
	if (key_name(key, name) == 0)
		tab_put(&c->posts, key, &v);
}
