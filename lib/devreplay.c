/*
 * lib/devreplay.c - the officer index made from the log's entries (the
 * contract is denpo/devreplay.h).
 *
 * Two open-addressing tables (a power of two of slots, at most half full)
 * find an officer by its map key and a device's officer by the device id;
 * the records are kept as their canonical text (a few hundred bytes for
 * an officer's few devices), decoded only when an entry changes them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denpo/devreplay.h"
#include "denpo/encoding.h"

#define NONE SIZE_MAX

struct off {
	char officer[DP_NAME_MAX + 1];
	uint8_t key[DP_TLOG_HASH], vhash[DP_TLOG_HASH]; /* vhash: SHA-256 of text */
	uint8_t *text;
	size_t len;
	int dirty;
};

struct dev {
	uint8_t id[DP_ED25519_PK];
	size_t off;
};

struct tab {
	size_t *slot; /* an index into the array, or NONE */
	size_t cap;
};

struct dp_devreplay {
	struct off *o;
	size_t no, capo;
	struct dev *d;
	size_t nd, capd;
	struct tab ho, hd;
	dp_devindex *map;
	int stale; /* a record changed since the map was built */
	dp_logent *e;
	dp_devrec *rec;
	dp_buf b;
};

/* ---- the tables ---- */

static const uint8_t *off_key(const dp_devreplay *x, size_t i) { return x->o[i].key; }
static const uint8_t *dev_key(const dp_devreplay *x, size_t i) { return x->d[i].id; }

/* The slot of k: where it is, or the empty slot where it would go. */
static size_t probe(const dp_devreplay *x, const struct tab *t, const uint8_t k[32],
		    const uint8_t *(*key)(const dp_devreplay *, size_t))
{
	uint64_t v;
	memcpy(&v, k, sizeof v);
	size_t i = (size_t)v & (t->cap - 1);
	while (t->slot[i] != NONE && memcmp(key(x, t->slot[i]), k, 32) != 0)
		i = (i + 1) & (t->cap - 1);
	return i;
}

static size_t lookup(const dp_devreplay *x, const struct tab *t, const uint8_t k[32],
		     const uint8_t *(*key)(const dp_devreplay *, size_t))
{
	return t->cap ? t->slot[probe(x, t, k, key)] : NONE;
}

/* Adds index i (its key not yet in t), growing t to keep it at most half full. */
static int tab_add(dp_devreplay *x, struct tab *t, size_t n, size_t i,
		   const uint8_t *(*key)(const dp_devreplay *, size_t))
{
	if (2 * (n + 1) > t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		size_t *s = malloc(cap * sizeof *s);
		if (!s)
			return DP_ENOMEM;
		for (size_t j = 0; j < cap; j++)
			s[j] = NONE;
		struct tab nt = {s, cap};
		for (size_t j = 0; j < t->cap; j++)
			if (t->slot[j] != NONE)
				nt.slot[probe(x, &nt, key(x, t->slot[j]), key)] = t->slot[j];
		free(t->slot);
		*t = nt;
	}
	t->slot[probe(x, t, key(x, i), key)] = i;
	return DP_OK;
}

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return DP_OK;
	size_t c = *cap ? 2 * *cap : 64;
	void *q = reallocarray(*p, c, size);
	if (!q)
		return DP_ENOMEM;
	*p = q;
	*cap = c;
	return DP_OK;
}

static size_t find_officer(const dp_devreplay *x, const char *officer)
{
	uint8_t k[DP_TLOG_HASH];
	dp_devindex_key(k, officer);
	return lookup(x, &x->ho, k, off_key);
}

/* Maps device -> officer oi.  DP_EEXISTS if the device has an officer already. */
static int add_device(dp_devreplay *x, const uint8_t id[DP_ED25519_PK], size_t oi)
{
	if (lookup(x, &x->hd, id, dev_key) != NONE)
		return DP_EEXISTS;
	int r = grow((void **)&x->d, &x->capd, x->nd, sizeof *x->d);
	if (r)
		return r;
	memcpy(x->d[x->nd].id, id, DP_ED25519_PK);
	x->d[x->nd].off = oi;
	r = tab_add(x, &x->hd, x->nd, x->nd, dev_key);
	if (!r)
		x->nd++;
	return r;
}

/* ---- records ---- */

/* The officer's slot in x->o: found, or added empty (text NULL). */
static int officer_slot(dp_devreplay *x, const char *officer, size_t *oi)
{
	*oi = find_officer(x, officer);
	if (*oi != NONE)
		return DP_OK;
	int r = grow((void **)&x->o, &x->capo, x->no, sizeof *x->o);
	if (r)
		return r;
	struct off *o = &x->o[x->no];
	memset(o, 0, sizeof *o);
	snprintf(o->officer, sizeof o->officer, "%s", officer);
	dp_devindex_key(o->key, officer);
	r = tab_add(x, &x->ho, x->no, x->no, off_key);
	if (r)
		return r;
	*oi = x->no++;
	return DP_OK;
}

/* Installs t (malloc'd, len bytes: a record's one encoding) as officer oi's text. */
static void install_text(dp_devreplay *x, size_t oi, uint8_t *t, size_t len)
{
	struct off *o = &x->o[oi];
	free(o->text);
	o->text = t;
	o->len = len;
	dp_sha256(o->vhash, o->text, o->len);
	o->dirty = 1;
	x->stale = 1;
}

/* A malloc'd copy of text[0..len), or NULL. */
static uint8_t *dup_text(const uint8_t *text, size_t len)
{
	uint8_t *t = malloc(len ? len : 1);
	if (t)
		memcpy(t, text, len);
	return t;
}

/* Replaces officer oi's text by text[0..len) (a record's one encoding), and its value hash. */
static int keep_text(dp_devreplay *x, size_t oi, const uint8_t *text, size_t len)
{
	uint8_t *t = dup_text(text, len);
	if (!t)
		return DP_ENOMEM;
	install_text(x, oi, t, len);
	return DP_OK;
}

int dp_devreplay_new(dp_devreplay **out)
{
	dp_devreplay *x = calloc(1, sizeof *x);
	*out = NULL;
	if (x) {
		x->e = malloc(sizeof *x->e);
		x->rec = malloc(sizeof *x->rec);
	}
	if (!x || !x->e || !x->rec) {
		dp_devreplay_free(x);
		return DP_ENOMEM;
	}
	dp_buf_init(&x->b, DP_DEVREC_TEXT_MAX);
	x->stale = 1;
	*out = x;
	return DP_OK;
}

void dp_devreplay_free(dp_devreplay *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->no; i++)
		free(x->o[i].text);
	free(x->o);
	free(x->d);
	free(x->ho.slot);
	free(x->hd.slot);
	dp_devindex_free(x->map);
	free(x->e);
	free(x->rec);
	dp_buf_free(&x->b);
	free(x);
}

int dp_devreplay_load(dp_devreplay *x, const uint8_t *text, size_t len)
{
	int r = dp_devrec_decode(x->rec, text, len);
	if (r)
		return r == DP_ETOOBIG ? DP_EPARSE : r;
	if (find_officer(x, x->rec->officer) != NONE)
		return DP_EEXISTS;
	for (size_t i = 0; i < x->rec->n; i++)
		if (lookup(x, &x->hd, x->rec->dev[i].device, dev_key) != NONE)
			return DP_EEXISTS;
	size_t oi;
	r = officer_slot(x, x->rec->officer, &oi);
	for (size_t i = 0; !r && i < x->rec->n; i++)
		r = add_device(x, x->rec->dev[i].device, oi);
	if (!r) /* the decoder took only the one encoding: the text is kept as it is */
		r = keep_text(x, oi, text, len);
	if (!r)
		x->o[oi].dirty = 0; /* as stored */
	return r;
}

int dp_devreplay_put(dp_devreplay *x, const char *officer, const uint8_t *text, size_t len)
{
	size_t oi;
	if (!dp_handle_ok(officer) || strlen(officer) > DP_NAME_MAX)
		return DP_EINVAL;
	int r = officer_slot(x, officer, &oi);
	if (!r)
		r = keep_text(x, oi, text, len);
	if (!r)
		x->o[oi].dirty = 0;
	return r;
}

/* The events that touch a record (an entry of any other changes nothing). */
static const int device_events[] = {
	DP_LOG_DEVICE_ENROLLED, DP_LOG_DEVICE_SUSPENDED, DP_LOG_DEVICE_REINSTATED,
	DP_LOG_DEVICE_REVOKED,	DP_LOG_KEY_PUBLISHED,	 DP_LOG_DEVICE_APPROVED,
};

static int device_event(int ev)
{
	for (size_t i = 0; i < sizeof device_events / sizeof *device_events; i++)
		if (device_events[i] == ev)
			return 1;
	return 0;
}

/* Why an entry was refused, for dp_devreplay_apply's why. */
static const char *refusal(int r)
{
	switch (r) {
	case DP_ETOOBIG:
		return "it lists the most devices a record holds already";
	case DP_EINVAL:
		return "the record it would make breaks a rule of the record (docs/formats.md §7a)";
	case DP_ENOMEM:
		return "out of memory";
	}
	return dp_strerror(r);
}

/*
 * Stores x->rec, changed by entry e, as officer *oi's record (its slot made
 * if *oi is NONE), and maps an enrolled device to it.  All or nothing: the
 * text is encoded and copied before the device is mapped, and the device
 * mapped (the last step that can fail) before the text is installed, so a
 * refused entry leaves the record and the map as they were (at most an
 * empty slot, which holds no record).
 */
static int commit(dp_devreplay *x, size_t *oi, const dp_logent *e)
{
	dp_buf_reset(&x->b);
	int r = dp_devrec_encode(x->rec, &x->b);
	if (r)
		return r;
	uint8_t *t = dup_text(x->b.p, x->b.len);
	if (!t)
		return DP_ENOMEM;
	if (*oi == NONE)
		r = officer_slot(x, e->officer, oi);
	if (!r && e->event == DP_LOG_DEVICE_ENROLLED)
		r = add_device(x, e->device, *oi);
	if (r) {
		free(t);
		return r;
	}
	install_text(x, *oi, t, x->b.len);
	return DP_OK;
}

int dp_devreplay_apply(dp_devreplay *x, uint64_t idx, const dp_logent *e, char *why, size_t cap)
{
	char hex[2 * DP_ED25519_PK + 1];
	if (!device_event(e->event))
		return DP_OK;
	size_t oi = NONE;
	if (e->event == DP_LOG_DEVICE_ENROLLED) {
		size_t had = lookup(x, &x->hd, e->device, dev_key);
		if (had != NONE) {
			dp_hex_encode(hex, e->device, DP_ED25519_PK);
			if (why)
				snprintf(why, cap, "entry %llu enrols device %s for officer %s, but it was "
						   "enrolled for officer %s already",
					 (unsigned long long)idx, hex, e->officer, x->o[x->d[had].off].officer);
			return DP_EEXISTS;
		}
		oi = find_officer(x, e->officer);
	} else {
		size_t di = lookup(x, &x->hd, e->device, dev_key);
		if (di == NONE)
			return DP_OK; /* a device never enrolled in the log: no record names it */
		oi = x->d[di].off;
	}
	/* a slot without text is one an earlier entry failed to fill: start afresh */
	int r = oi == NONE || !x->o[oi].text
			? dp_devrec_init(x->rec, oi == NONE ? e->officer : x->o[oi].officer)
			: dp_devrec_decode(x->rec, x->o[oi].text, x->o[oi].len);
	int changed = 0;
	if (!r)
		r = dp_devrec_apply(x->rec, e, idx, &changed);
	if (!r && changed)
		r = commit(x, &oi, e);
	if (r && why)
		snprintf(why, cap, "entry %llu (%s) cannot be added to the record of officer %s: %s",
			 (unsigned long long)idx, dp_log_event_name(e->event),
			 oi == NONE ? e->officer : x->o[oi].officer, refusal(r));
	return r;
}

int dp_devreplay_entry(dp_devreplay *x, uint64_t idx, const uint8_t *e, size_t len, char *why,
		       size_t cap)
{
	/* the Event line is the second: most entries (cables) are not decoded at all */
	static const char head[] = "DENPO-LOG/1\nEvent: ";
	size_t hl = sizeof head - 1;
	if (len > hl && memcmp(e, head, hl) == 0) {
		const uint8_t *nl = memchr(e + hl, '\n', len - hl);
		size_t n = nl ? (size_t)(nl - (e + hl)) : 0;
		int hit = 0;
		for (size_t i = 0; nl && i < sizeof device_events / sizeof *device_events; i++) {
			const char *name = dp_log_event_name(device_events[i]);
			hit |= strlen(name) == n && memcmp(name, e + hl, n) == 0;
		}
		if (!hit)
			return DP_OK;
	}
	if (dp_logent_decode(x->e, e, len) != DP_OK)
		return DP_OK; /* not an entry: it changes nothing (log verify reports it) */
	return dp_devreplay_apply(x, idx, x->e, why, cap);
}

int dp_devreplay_root(dp_devreplay *x, uint8_t root[DP_TLOG_HASH])
{
	if (x->stale || !x->map) {
		uint8_t(*k)[DP_TLOG_HASH] = malloc((x->no ? x->no : 1) * sizeof *k);
		uint8_t(*l)[DP_TLOG_HASH] = malloc((x->no ? x->no : 1) * sizeof *l);
		size_t n = 0;
		for (size_t i = 0; k && l && i < x->no; i++) {
			if (!x->o[i].text)
				continue; /* a slot an entry failed to fill */
			memcpy(k[n], x->o[i].key, DP_TLOG_HASH);
			memcpy(l[n++], x->o[i].vhash, DP_TLOG_HASH);
		}
		dp_devindex *m = NULL;
		int r = k && l ? dp_devindex_build(&m, (const uint8_t(*)[DP_TLOG_HASH])k,
						   (const uint8_t(*)[DP_TLOG_HASH])l, n)
			       : DP_ENOMEM;
		free(k);
		free(l);
		if (r)
			return r;
		dp_devindex_free(x->map);
		x->map = m;
		x->stale = 0;
	}
	dp_devindex_root(x->map, root);
	return DP_OK;
}

const dp_devindex *dp_devreplay_map(const dp_devreplay *x)
{
	return x->stale ? NULL : x->map;
}

size_t dp_devreplay_count(const dp_devreplay *x)
{
	return x->no;
}

void dp_devreplay_get(const dp_devreplay *x, size_t i, const char **officer, const uint8_t **text,
		      size_t *len, int *dirty)
{
	*officer = x->o[i].officer;
	*text = x->o[i].text;
	*len = x->o[i].text ? x->o[i].len : 0;
	*dirty = x->o[i].dirty;
}

int dp_devreplay_find(const dp_devreplay *x, const char *officer, const uint8_t **text, size_t *len)
{
	size_t oi = find_officer(x, officer);
	if (oi == NONE || !x->o[oi].text)
		return DP_ENOTFOUND;
	*text = x->o[oi].text;
	*len = x->o[oi].len;
	return DP_OK;
}

void dp_devreplay_clean(dp_devreplay *x)
{
	for (size_t i = 0; i < x->no; i++)
		x->o[i].dirty = 0;
}
