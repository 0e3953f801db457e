/*
 * denpod/tlog.c - the switch's transparency log: entry producers, the
 * signer ("integrator") and the fsck behind `denpod log verify`.
 *
 * The signer keeps the right edge of the tree in memory: the compact
 * range (one hash per set bit of the size) and, for each tile level, the
 * tile being filled.  A round reads the entries appended since the last
 * checkpoint (they are immutable once committed, so no lock is needed to
 * read them), hashes them in, collects every tile it completed or grew,
 * signs the new checkpoint, and only then takes the write lock for one
 * short transaction: tiles and checkpoint together, or neither.  A round
 * that fails for any reason reloads the edge from the database (the state
 * the stored checkpoint describes) and is simply tried again; while that
 * reload fails (the database is away), each round tries it first and
 * integrates nothing until it succeeds.
 *
 * Its connection commits with synchronous=NORMAL (PostgreSQL:
 * synchronous_commit off): tiles and checkpoints are functions of entries
 * that were durable before it read them (Ed25519 signatures are
 * deterministic), so one lost in a power cut is signed again byte for byte;
 * kill -9 loses nothing either way.  What answers carry, though, is a
 * checkpoint known to survive a PostgreSQL failover (publish).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "denpo/encoding.h"
#include "denpo/num.h"
#include "denpod/offidx.h"
#include "denpod/say.h"
#include "denpod/signer.h"
#include "denpod/tlog.h"

/* ---- producers ---- */

dpl_enc *dpl_enc_new(void)
{
	dpl_enc *x = malloc(sizeof *x);
	if (x)
		dp_buf_init(&x->b, DP_TLOG_ENTRY_MAX);
	return x;
}

void dpl_enc_free(dpl_enc *x)
{
	if (!x)
		return;
	dp_buf_free(&x->b);
	free(x);
}

/*
 * Clears all of e but its decoder buffers (rcpt_buf, record_buf: 22 KiB the
 * encoder never reads), three entries a cable at full rate.
 */
_Static_assert(offsetof(dp_logent, rcpt_buf) < offsetof(dp_logent, record_buf),
	       "dp_logent's buffers in this order");
static void ent_clear(dp_logent *e)
{
	char *p = (char *)e;
	size_t a = offsetof(dp_logent, rcpt_buf), a2 = a + sizeof e->rcpt_buf;
	size_t b = offsetof(dp_logent, record_buf), b2 = b + sizeof e->record_buf;
	memset(p, 0, a);
	memset(p + a2, 0, b - a2);
	memset(p + b2, 0, sizeof *e - b2);
}

dp_logent *dpl_ent(dpl_enc *x, int event, int64_t t)
{
	ent_clear(&x->e);
	x->e.event = event;
	x->e.time = t;
	return &x->e;
}

void dpl_source(dp_logent *e, const char *addr)
{
	/* optional: an address that has no canonical form is left out rather than refused */
	if (!addr || !*addr || dp_log_addr_canon(e->source, addr) != DP_OK)
		e->source[0] = 0;
}

int dpl_put(dps_store *s, dpl_enc *x, uint64_t *idx)
{
	x->b.len = 0; /* reused as is: entries are public, no wipe needed */
	int r = dp_logent_encode(&x->e, &x->b);
	if (r) {
		const char *ev = dp_log_event_name(x->e.event);
		dpd_say("denpod: log: cannot encode a %s entry: %s", ev ? ev : "?", dp_strerror(r));
		return r;
	}
	uint64_t i;
	r = dps_log_append(s, x->b.p, x->b.len, &i);
	/* a rollback is listed for the devices it explains, in the same transaction (store.h) */
	if (!r && x->e.event == DP_LOG_ADMIN && strcmp(x->e.act, DP_LOG_ROLLBACK_ACT) == 0)
		r = dps_log_rollback_add(s, i);
	if (!r && idx)
		*idx = i;
	return r;
}

int dpl_alert(dps_store *s, dpl_enc *x, int64_t t, const char *rule, const uint8_t device[32],
	      const char *detail, uint64_t *idx)
{
	dp_logent *e = dpl_ent(x, DP_LOG_ALERT, t);
	snprintf(e->act, sizeof e->act, "%s", rule);
	memcpy(e->device, device, 32);
	e->has_device = 1;
	snprintf(e->text, sizeof e->text, "%s", detail);
	return dpl_put(s, x, idx);
}

static int rcpt_cmp(const void *a, const void *b)
{
	return memcmp(((const dp_log_rcpt *)a)->device, ((const dp_log_rcpt *)b)->device,
		      DP_ED25519_PK);
}

int dpl_cable_accepted(dps_store *s, dpl_enc *x, const dps_submit *sub, const char *addr,
		       uint64_t *first)
{
	uint32_t parts = dp_log_parts(sub->nrcpts);
	if (parts == 0)
		return DP_EINVAL; /* no recipient, or more than the codec can split */
	dp_log_rcpt *all = malloc(sub->nrcpts * sizeof *all);
	if (!all)
		return DP_ENOMEM;
	for (size_t i = 0; i < sub->nrcpts; i++) {
		memcpy(all[i].device, sub->rcpts[i].device, DP_ED25519_PK);
		all[i].epoch = sub->rcpts[i].epoch;
	}
	qsort(all, sub->nrcpts, sizeof *all, rcpt_cmp);
	int r = DP_OK;
	for (uint32_t k = 1; !r && k <= parts; k++) {
		dp_logent *e = dpl_ent(x, DP_LOG_CABLE_ACCEPTED, sub->now);
		memcpy(e->cable_id, sub->c.cable_id, DP_CABLE_ID);
		snprintf(e->mrn, sizeof e->mrn, "%.*s", DP_MRN_MAX, sub->mrn);
		memcpy(e->envelope_hash, sub->digest, 32);
		memcpy(e->device, sub->c.from_device, DP_ED25519_PK);
		snprintf(e->officer, sizeof e->officer, "%s", sub->c.officer);
		snprintf(e->post, sizeof e->post, "%s", sub->c.from_post);
		e->classification = sub->c.classification;
		e->prec_action = sub->c.prec_action;
		e->prec_info = sub->c.prec_info;
		dpl_source(e, addr);
		uint64_t idx;
		r = dp_logent_set_part(e, all, sub->nrcpts, k);
		if (!r)
			r = dpl_put(s, x, &idx);
		if (!r && k == 1)
			*first = idx;
	}
	free(all);
	return r;
}

/* ---- keys ---- */

/* Loads log.key and makes the log's vkey; *sk (may be NULL: freed here) keeps the secret. */
static int load_key(const dpc_config *cfg, uint8_t **sk, dp_note_vkey *vk)
{
	uint8_t *k = NULL, pk[32];
	int r = dpc_key_load(cfg, "log.key", &k, pk);
	if (!r && (r = dp_note_vkey_make(vk, cfg->log_origin, DP_NOTE_ED25519, pk)))
		fprintf(stderr, "denpod: log_origin=%s in denpod.conf is not a valid key name\n",
			cfg->log_origin);
	if (r || !sk)
		dpc_key_free(k);
	else
		*sk = k;
	return r;
}

int dpl_vkey(const dpc_config *cfg, char *out, size_t cap)
{
	dp_note_vkey vk;
	int r = load_key(cfg, NULL, &vk);
	return r ? r : dp_note_vkey_format(out, cap, &vk);
}

/* ---- reading the tree ---- */

int dpl_tile_read(void *ctx, unsigned tlevel, uint64_t from, size_t count, uint8_t *out)
{
	dps_store *s = ctx;
	uint8_t tile[DP_TLOG_TILE_WIDTH * DP_TLOG_HASH];
	uint64_t end = from + count;
	if (end < from)
		return DP_EINVAL;
	while (from < end) {
		uint64_t t = from / DP_TLOG_TILE_WIDTH;
		unsigned lo = (unsigned)(from % DP_TLOG_TILE_WIDTH);
		uint64_t want = end - t * DP_TLOG_TILE_WIDTH; /* hashes of this tile we need, from 0 */
		unsigned w = want > DP_TLOG_TILE_WIDTH ? DP_TLOG_TILE_WIDTH : (unsigned)want;
		int r = dps_log_tile(s, tlevel, t, w, tile);
		if (r)
			return r == DP_ENOTFOUND ? DP_ESTATE : r; /* a hash the tree should have */
		memcpy(out, tile + (size_t)lo * DP_TLOG_HASH, (size_t)(w - lo) * DP_TLOG_HASH);
		out += (size_t)(w - lo) * DP_TLOG_HASH;
		from = t * DP_TLOG_TILE_WIDTH + w;
	}
	return DP_OK;
}

/* ---- checkpoints ---- */

int dpl_checkpoint_ok(const dps_checkpoint *c, const dp_note_vkey *vk)
{
	int verified = 0;
	size_t tl = 0;
	dp_checkpoint cp;
	int r = dp_note_open(c->note, c->note_len, vk, 1, &verified, NULL, &tl);
	if (!r)
		r = dp_checkpoint_parse(&cp, c->note, tl);
	if (!r && (strcmp(cp.origin, vk->name) != 0 || cp.size != c->size ||
		   memcmp(cp.root, c->root, 32) != 0))
		r = DP_ESIG; /* signed, but not what its row says */
	return r;
}

/* ---- the right edge of a tree, as tiles ---- */

/* The tile being filled at one tile level. */
typedef struct {
	uint64_t n;  /* its number */
	unsigned w;  /* hashes in it */
	int dirty;   /* the signer: grown this round */
	uint8_t h[DP_TLOG_TILE_WIDTH * DP_TLOG_HASH];
} tile_edge;

/* Edge state of a tree of `size` leaves, from the stored tiles. */
static int edges_load(dps_store *s, uint64_t size, tile_edge edge[DPL_TLEVELS])
{
	memset(edge, 0, DPL_TLEVELS * sizeof *edge);
	for (unsigned tl = 0; tl < DPL_TLEVELS; tl++) {
		uint64_t count = tl ? size >> (8 * tl) : size; /* nodes at tree level 8*tl */
		edge[tl].n = count / DP_TLOG_TILE_WIDTH;
		edge[tl].w = (unsigned)(count % DP_TLOG_TILE_WIDTH);
		if (edge[tl].w) {
			int r = dps_log_tile(s, tl, edge[tl].n, edge[tl].w, edge[tl].h);
			if (r)
				return r == DP_ENOTFOUND ? DP_ESTATE : r;
		}
	}
	return DP_OK;
}

/* ---- the signer ---- */

/* A tile completed or grown in a round, to be written. */
typedef struct {
	unsigned tl;
	uint64_t n;
	unsigned w;
	uint8_t h[DP_TLOG_TILE_WIDTH * DP_TLOG_HASH];
} tile_out;

struct dpl_log {
	dps_store *s;
	int signer;  /* the socket to the signer process (denpod/signer.h); never the key */
	uint64_t ssize;              /* the tree the signer signed last: each round proves */
	uint8_t sroot[DP_TLOG_HASH]; /* that the new one extends it */
	dp_note_vkey vk;
	char origin[DP_NOTE_NAME_MAX + 1];
	char dir[DPC_PATH_MAX]; /* the data directory, for messages */
	pthread_mutex_t *wlock;
	/* the tree as the stored latest checkpoint says (signer thread only) */
	dp_tlog_range range;
	int have_cp;
	dps_checkpoint cp; /* ... that checkpoint (have_cp) */
	int cp_unpub;      /* cp is not yet what answers carry (publish_cp) */
	tile_edge edge[DPL_TLEVELS];
	tile_out *full; /* tiles completed this round */
	size_t nfull, afull;
	int failed; /* a fork was refused: never sign again */
	/* the officer index of the tree in range (denpod/offidx.h; signer thread only) */
	dp_devreplay *ix;
	int ix_full;       /* replayed: the next round rewrites the whole table */
	char ix_why[256];  /* why an entry cannot go into the index */
	/*
	 * range, edge and ix hold the stored latest checkpoint's tree and index
	 * (0: the last load failed, as it does while the database is away, and
	 * left them half made, ix NULL: a round loads again before anything)
	 */
	int loaded;
	int ready;  /* opened and checked: dpl_close signs what is left */
	int closing; /* under mu: in dpl_close, nothing is published any more (publish_durable) */
	/* the thread and what it shares, under mu */
	pthread_t th;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int kick, quit;
	uint64_t kick_at; /* ms: the first kick the next round serves (0: none) */
	uint64_t round_ok; /* ms: the end of the last round that succeeded (dpl_start: its time) */
	int stopped;       /* the thread stopped on a fork (failed, as the loop may read it) */
	dps_checkpoint pub; /* what answers carry (size 0: nothing yet; written by publish_durable only) */
	int have_pub;       /* pub was published (an empty log's checkpoint has size 0 too) */
	/* the signing lease (signer thread, or the opener before it starts) */
	char holder[33];      /* this instance's name in log_lease: random, made at dpl_open */
	uint64_t lease_asked; /* ms: the last renewal asked (0: never) */
	uint64_t lease_until; /* ms: signing allowed until (a renewal before the database's expiry) */
	int lease_said;       /* 1: said we hold it, -1: said another does, 0: nothing said */
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* emit of dp_tlog_range_append: nodes at tree levels 0, 8, 16... fill the tiles. */
static int emit(void *ctx, unsigned level, uint64_t n, const uint8_t h[DP_TLOG_HASH])
{
	dpl_log *l = ctx;
	if (level % DP_TLOG_TILE_HEIGHT)
		return DP_OK;
	unsigned tl = level / DP_TLOG_TILE_HEIGHT;
	uint64_t tn = n / DP_TLOG_TILE_WIDTH;
	unsigned slot = (unsigned)(n % DP_TLOG_TILE_WIDTH);
	if (tl >= DPL_TLEVELS)
		return DP_EINVAL;
	if (l->edge[tl].n != tn || l->edge[tl].w == DP_TLOG_TILE_WIDTH) {
		l->edge[tl].n = tn; /* the previous tile of this level is full and collected */
		l->edge[tl].w = 0;
	}
	/* nodes of a level complete left to right: anything else means our edge is wrong */
	if (l->edge[tl].w != slot)
		return DP_ESTATE;
	memcpy(l->edge[tl].h + (size_t)slot * DP_TLOG_HASH, h, DP_TLOG_HASH);
	l->edge[tl].w = slot + 1;
	l->edge[tl].dirty = 1;
	if (l->edge[tl].w < DP_TLOG_TILE_WIDTH)
		return DP_OK;
	if (l->nfull == l->afull) {
		size_t na = l->afull ? 2 * l->afull : 16;
		tile_out *f = realloc(l->full, na * sizeof *f);
		if (!f)
			return DP_ENOMEM;
		l->full = f;
		l->afull = na;
	}
	tile_out *t = &l->full[l->nfull++];
	t->tl = tl;
	t->n = tn;
	t->w = DP_TLOG_TILE_WIDTH;
	memcpy(t->h, l->edge[tl].h, sizeof t->h);
	l->edge[tl].dirty = 0; /* written as a full tile */
	return DP_OK;
}

struct leaf_check {
	const uint8_t *want; /* stored level-0 hashes from `from` */
	uint64_t from, bad;
	int found_bad;
};

static int leaf_check_one(void *ctx, uint64_t idx, const uint8_t *e, size_t len)
{
	struct leaf_check *c = ctx;
	uint8_t h[DP_TLOG_HASH];
	dp_tlog_leaf_hash(h, e, len);
	if (!c->found_bad && memcmp(h, c->want + (idx - c->from) * DP_TLOG_HASH, DP_TLOG_HASH) != 0) {
		c->found_bad = 1;
		c->bad = idx;
	}
	return DP_OK;
}

static int count_tile(void *ctx, unsigned tl, uint64_t n, unsigned w)
{
	(*(uint64_t *)ctx)++;
	return DP_OK;
}

static int load_tree(dpl_log *l, int quiet);

/*
 * The tree and the officer index of the stored latest checkpoint (the
 * index read with it, or replayed from the entries if the store lacks it).
 */
static int load(dpl_log *l, int quiet)
{
	l->loaded = 0;
	int r = load_tree(l, quiet);
	dp_devreplay_free(l->ix);
	l->ix = NULL;
	l->ix_why[0] = 0;
	if (!r)
		r = dpx_records(l->s, l->have_cp ? &l->cp : NULL, &l->ix, &l->ix_full, l->ix_why,
				sizeof l->ix_why);
	l->loaded = !r;
	if (r && l->ix_why[0]) {
		fprintf(stderr, "denpod: log: OFFICER INDEX: %s; refusing to sign on (docs/transparency.md "
				"§6)\n", l->ix_why);
		return DP_ESTATE;
	}
	if (!r && l->ix_full && l->range.size && !quiet)
		fprintf(stderr, "denpod: log: the officer index was made from the log's %llu entries\n",
			(unsigned long long)l->range.size);
	return r;
}

/*
 * Loads and checks the stored tree (see dpl_open).  Messages say what is
 * wrong; DP_ESTATE for an inconsistent log, other codes for failures.
 */
static int load_tree(dpl_log *l, int quiet)
{
	dps_checkpoint c;
	dp_tlog_range_init(&l->range);
	memset(l->edge, 0, sizeof l->edge);
	l->have_cp = 0;
	int r = dps_log_latest(l->s, &c);
	if (r == DP_ENOTFOUND) {
		/* nothing signed yet: no tile may exist either */
		uint64_t ntiles = 0;
		r = dps_log_tiles(l->s, count_tile, &ntiles);
		if (!r && ntiles) {
			fprintf(stderr, "denpod: log: %llu hash tiles are stored but no checkpoint; the "
					"log is inconsistent (denpod log verify)\n", (unsigned long long)ntiles);
			return DP_ESTATE;
		}
		return r;
	}
	if (r)
		return r;
	if ((r = dpl_checkpoint_ok(&c, &l->vk))) {
		fprintf(stderr, "denpod: log: the latest checkpoint (size %llu) does not verify under "
				"the log key %s (log.key or log_origin changed, or the row was altered); "
				"refusing to sign on\n", (unsigned long long)c.size, l->vk.name);
		return DP_ESTATE;
	}
	uint64_t entries = 0;
	if ((r = dps_log_size(l->s, &entries)))
		return r;
	if (entries < c.size) {
		fprintf(stderr, "denpod: log: the latest checkpoint has %llu entries but only %llu are "
				"stored; refusing to sign on (denpod log verify)\n",
			(unsigned long long)c.size, (unsigned long long)entries);
		return DP_ESTATE;
	}
	dp_tlog_tiles tiles = {dpl_tile_read, l->s};
	uint8_t root[DP_TLOG_HASH];
	r = dp_tlog_range_load(&l->range, c.size, dp_tlog_tiles_node, &tiles);
	if (r == DP_OK) {
		dp_tlog_range_root(&l->range, root);
		if (memcmp(root, c.root, DP_TLOG_HASH) != 0)
			r = DP_ESTATE;
	}
	if (!r)
		r = edges_load(l->s, c.size, l->edge);
	if (r == DP_ESTATE) {
		fprintf(stderr, "denpod: log: the stored hash tiles do not give the root of the latest "
				"checkpoint (size %llu); refusing to sign on (denpod log verify)\n",
			(unsigned long long)c.size);
		return r;
	}
	if (r)
		return r;
	/* the newest entries (up to one tile) against their stored leaf hashes */
	uint64_t from = c.size > DP_TLOG_TILE_WIDTH ? c.size - DP_TLOG_TILE_WIDTH : 0;
	if (c.size > from) {
		uint8_t want[DP_TLOG_TILE_WIDTH * DP_TLOG_HASH];
		struct leaf_check lc = {want, from, 0, 0};
		r = dpl_tile_read(l->s, 0, from, (size_t)(c.size - from), want);
		if (!r)
			r = dps_log_entries(l->s, from, c.size - from, leaf_check_one, &lc);
		if (!r && lc.found_bad) {
			fprintf(stderr, "denpod: log: entry %llu does not hash to its leaf in the tiles; "
					"refusing to sign on (denpod log verify)\n",
				(unsigned long long)lc.bad);
			return DP_ESTATE;
		}
		if (r)
			return r;
	}
	l->have_cp = 1;
	l->cp = c;
	l->cp_unpub = 1;
	if (!quiet)
		fprintf(stderr, "denpod: log: %s at size %llu checks\n", l->origin,
			(unsigned long long)c.size);
	return DP_OK;
}

static int integrate_one(void *ctx, uint64_t idx, const uint8_t *e, size_t len)
{
	dpl_log *l = ctx;
	uint8_t h[DP_TLOG_HASH];
	if (idx != l->range.size)
		return DP_ESTATE;
	dp_tlog_leaf_hash(h, e, len);
	int r = dp_devreplay_entry(l->ix, idx, e, len, l->ix_why, sizeof l->ix_why);
	return r ? r : dp_tlog_range_append(&l->range, h, emit, l);
}

#define STALE 1 /* store_round: the stored log moved on without us (another signer) */

/*
 * Tiles and checkpoint in one transaction, under the process's write lock.
 * DP_OK, STALE, DP_EEXISTS (a fork refused) or a store error.
 */
static int store_round(dpl_log *l, uint64_t size0, const dps_checkpoint *c)
{
	if (l->wlock)
		pthread_mutex_lock(l->wlock);
	int r = dps_begin(l->s);
	dps_checkpoint last;
	if (!r) {
		/* the latest stored checkpoint must still be the one this round extends */
		int e = dps_log_latest(l->s, &last);
		if (e == DP_OK && (!l->have_cp || last.size != size0)) {
			r = STALE;
			/* ... and if it signed this very size, it must be this root */
			if (last.size >= c->size &&
			    dps_log_checkpoint_next(l->s, (int64_t)c->size - 1, &last) == DP_OK &&
			    last.size == c->size && memcmp(last.root, c->root, 32) != 0)
				r = DP_EEXISTS;
		}
		else if (e == DP_ENOTFOUND && l->have_cp)
			r = STALE;
		else if (e != DP_OK && e != DP_ENOTFOUND)
			r = e;
	}
	for (size_t i = 0; !r && i < l->nfull; i++)
		r = dps_log_tile_put(l->s, l->full[i].tl, l->full[i].n, l->full[i].h, l->full[i].w);
	for (unsigned tl = 0; !r && tl < DPL_TLEVELS; tl++)
		if (l->edge[tl].dirty && l->edge[tl].w)
			r = dps_log_tile_put(l->s, tl, l->edge[tl].n, l->edge[tl].h, l->edge[tl].w);
	if (!r)
		r = dpx_store(l->s, l->ix, l->ix_full, c->size);
	if (!r)
		r = dps_log_checkpoint_put(l->s, c);
	if (!r)
		r = dps_commit(l->s);
	else
		dps_rollback(l->s);
	if (l->wlock)
		pthread_mutex_unlock(l->wlock);
	return r;
}

/*
 * The tiles of the tree this round made (those it completed, the edge it
 * grew), else the stored ones: what a consistency proof from the tree the
 * signer signed last reads before the round's tiles are stored.
 */
static int round_tile_read(void *ctx, unsigned tlevel, uint64_t from, size_t count, uint8_t *out)
{
	dpl_log *l = ctx;
	uint64_t end = from + count;
	if (end < from || tlevel >= DPL_TLEVELS)
		return DP_EINVAL;
	while (from < end) {
		uint64_t t = from / DP_TLOG_TILE_WIDTH;
		unsigned lo = (unsigned)(from % DP_TLOG_TILE_WIDTH);
		uint64_t want = end - t * DP_TLOG_TILE_WIDTH;
		unsigned w = want > DP_TLOG_TILE_WIDTH ? DP_TLOG_TILE_WIDTH : (unsigned)want;
		const uint8_t *h = NULL;
		for (size_t i = 0; !h && i < l->nfull; i++)
			if (l->full[i].tl == tlevel && l->full[i].n == t)
				h = l->full[i].h;
		if (!h && l->edge[tlevel].n == t && l->edge[tlevel].w >= w)
			h = l->edge[tlevel].h;
		if (h) {
			memcpy(out, h + (size_t)lo * DP_TLOG_HASH, (size_t)(w - lo) * DP_TLOG_HASH);
		} else {
			int r = dpl_tile_read(l->s, tlevel, from, w - lo, out);
			if (r)
				return r;
		}
		out += (size_t)(w - lo) * DP_TLOG_HASH;
		from = t * DP_TLOG_TILE_WIDTH + w;
	}
	return DP_OK;
}

/*
 * The checkpoint of the tree in l->range, signed by the signer process
 * against a proof that it extends the tree the signer signed last.
 * DP_ESTATE if the signer refuses (it does not extend it).
 */
static int signed_by_signer(dpl_log *l, const uint8_t root[DP_TLOG_HASH],
			    const uint8_t iroot[DP_TLOG_HASH], dps_checkpoint *c)
{
	uint8_t pf[DP_TLOG_PROOF_MAX][DP_TLOG_HASH];
	size_t n = 0;
	uint64_t size = l->range.size;
	dp_tlog_tiles tiles = {round_tile_read, l};
	int r = DP_OK;
	if (l->ssize > 0 && l->ssize < size &&
	    dp_tlog_prove_consistency(l->ssize, size, dp_tlog_tiles_node, &tiles, pf, &n) != DP_OK)
		r = DP_ESTORE; /* a tile could not be read: the round is tried again */
	if (!r)
		r = dpsg_sign(l->signer, size, root, iroot, (const uint8_t(*)[DP_TLOG_HASH])pf, n, c);
	if (!r) {
		l->ssize = size;
		memcpy(l->sroot, root, DP_TLOG_HASH);
	}
	return r;
}

/*
 * Whether this instance holds the signing lease now, renewing it once per
 * DPL_LEASE_RENEW_MS.  It signs only while the last renewal is younger than
 * DPL_LEASE_MS - DPL_LEASE_RENEW_MS: it stops a second before another
 * instance may take over.  (One paused past that still cannot fork the
 * log: a second root for a size is refused by store_round.)
 */
static int lease_held(dpl_log *l)
{
	uint64_t now = now_ms();
	if (l->lease_asked && now < l->lease_asked + DPL_LEASE_RENEW_MS)
		return now < l->lease_until;
	int held = 0;
	int r = dps_log_lease(l->s, l->holder, DPL_LEASE_MS, &held);
	l->lease_asked = now;
	l->lease_until = held ? now + DPL_LEASE_MS - DPL_LEASE_RENEW_MS : 0;
	if (!r && held && l->lease_said == -1)
		dpd_say("denpod: log: this instance took over the signing lease: it signs the log");
	else if (!r && !held && l->lease_said != -1)
		dpd_say("denpod: log: another instance holds the signing lease: this one signs "
			"nothing until it runs out");
	if (!r)
		l->lease_said = held ? 1 : -1;
	return held;
}

int dpl_pub_next(const dps_checkpoint *served, const dps_checkpoint *db)
{
	if (db->size > served->size)
		return DPL_PUB_AHEAD;
	if (db->size == served->size && memcmp(db->root, served->root, sizeof db->root) == 0)
		return DPL_PUB_KEEP;
	return DPL_PUB_BACK;
}

/*
 * What answers carry becomes the database's latest checkpoint once a
 * failover keeps it (dps_log_latest_durable; docs/several-switches.md §4),
 * *d: that checkpoint; DP_ENOTFOUND, or CLOSING once dpl_close began.  The
 * signer commits checkpoints with synchronous_commit off (dps_relax_sync), so one is visible on the primary,
 * to this instance and to followers, before the standby has it; a device
 * that verified one a promotion lost is refused ("log_size ... is beyond the
 * latest checkpoint") until the log grows past it again, and sees a fork if
 * the entries under it were lost too.  What is published is what the
 * barrier covered, read in the same statement: never a checkpoint read
 * earlier, perhaps on a connection to a primary since lost.  If the
 * database went back (dpl_pub_next), the database's is served, and said
 * once: keeping the lost one would refuse every device that asks from the
 * log as it is.  Nothing is published once dpl_close began: nobody reads it
 * after, and a barrier not yet begun would hold the stop up while the
 * standby is away (one already waiting does: docs).
 */
#define CLOSING 2 /* publish_durable: dpl_close began, nothing published */

static int publish_durable(dpl_log *l, dps_checkpoint *d)
{
	pthread_mutex_lock(&l->mu);
	int closing = l->closing;
	pthread_mutex_unlock(&l->mu);
	if (closing)
		return CLOSING;
	int r = dps_log_latest_durable(l->s, d);
	if (r)
		return r;
	pthread_mutex_lock(&l->mu);
	dps_checkpoint was = l->pub; /* written by this thread only: read again for the message */
	int had = l->have_pub;
	int next = had ? dpl_pub_next(&was, d) : DPL_PUB_AHEAD;
	if (next != DPL_PUB_KEEP && !l->closing) {
		l->pub = *d;
		l->have_pub = 1;
	}
	pthread_mutex_unlock(&l->mu);
	if (next == DPL_PUB_BACK && was.size > d->size)
		dpd_say("denpod: log: the database's latest checkpoint (size %llu) is older than the one "
			"served (size %llu): a failover lost the checkpoint of %llu entr%s that "
			"devices may have verified; serving the database's (docs/several-switches.md "
			"§4)", (unsigned long long)d->size, (unsigned long long)was.size,
			(unsigned long long)(was.size - d->size), was.size - d->size == 1 ? "y" : "ies");
	else if (next == DPL_PUB_BACK)
		dpd_say("denpod: log: the database's latest checkpoint (size %llu) has another root than "
			"the one served at that size: a failover lost what was served; serving the "
			"database's (docs/several-switches.md §4)", (unsigned long long)d->size);
	return DP_OK;
}

/*
 * The signer: its stored latest checkpoint (cp) published once.  What the
 * barrier covered is published, and if that is not cp -- the database is
 * not where this signer believes (a failover lost cp while the barrier
 * could not run, and a new connection reached the promoted standby) -- the
 * tree is read again (reload) before anything more is signed.
 */
static int publish_cp(dpl_log *l)
{
	if (!l->have_cp || !l->cp_unpub)
		return DP_OK;
	dps_checkpoint d;
	int r = publish_durable(l, &d);
	if (r == CLOSING)
		return DP_OK;
	if (r == DP_ENOTFOUND || (!r && (d.size != l->cp.size || memcmp(d.root, l->cp.root, sizeof d.root)))) {
		dpd_say("denpod: log: the database's latest checkpoint is not the one this instance "
			"signed last (size %llu): reading the log again before signing on",
			(unsigned long long)l->cp.size);
		l->loaded = 0;
		l->cp_unpub = 0;
		return r ? DP_ESTORE : DP_OK;
	}
	if (!r)
		l->cp_unpub = 0;
	return r;
}

/* Not the signer: the latest checkpoint the holder stored is the one answers carry. */
static int follow(dpl_log *l)
{
	dps_checkpoint c, d;
	/* a cp loaded at the start is stale once the holder signs on: never published */
	l->cp_unpub = 0;
	int r = dps_log_latest(l->s, &c);
	if (r == DP_ENOTFOUND)
		return DP_OK;
	if (r)
		return r;
	/* the barrier only when there is something new: an idle round writes nothing */
	if (l->have_pub && dpl_pub_next(&l->pub, &c) == DPL_PUB_KEEP)
		return DP_OK;
	r = publish_durable(l, &d);
	return r == DP_ENOTFOUND || r == CLOSING ? DP_OK : r;
}

/*
 * The tree and the index again from what is stored, after a round that
 * failed part way (or a reload that did): a log found inconsistent is never
 * signed again.  Until one succeeds, no round integrates anything.
 */
static int reload(dpl_log *l)
{
	int r = load(l, 1);
	if (r == DP_ESTATE)
		l->failed = 1;
	return r;
}

int dpl_round(dpl_log *l, uint64_t *nout)
{
	if (nout)
		*nout = 0;
	if (l->failed)
		return DP_ESTATE;
	if (!lease_held(l))
		return follow(l);
	int r = l->loaded ? DP_OK : reload(l); /* the last reload failed: once more first */
	if (!r)
		r = publish_cp(l); /* loaded, or stored by a round whose barrier failed */
	if (r)
		return r;
	uint64_t total, size0 = l->range.size;
	r = dps_log_size(l->s, &total);
	if (r)
		return r;
	if (total < size0) {
		dpd_say("denpod: log: %llu entries stored but %llu already signed; refusing to sign on "
			"(denpod log verify)", (unsigned long long)total, (unsigned long long)size0);
		l->failed = 1;
		return DP_ESTATE;
	}
	if (total == size0 && l->have_cp)
		return DP_OK;
	uint64_t n = total - size0 > DPL_ROUND_MAX ? DPL_ROUND_MAX : total - size0;
	l->nfull = 0;
	for (unsigned tl = 0; tl < DPL_TLEVELS; tl++)
		l->edge[tl].dirty = 0;
	l->ix_why[0] = 0;
	r = dps_log_entries(l->s, size0, n, integrate_one, l);
	if (r && l->ix_why[0]) {
		/* an entry the index cannot hold: signing on would leave a device out of it */
		dpd_say("denpod: log: OFFICER INDEX: %s.  The log is no longer signed; see "
			"docs/transparency.md §6", l->ix_why);
		l->failed = 1;
		return DP_ESTATE;
	}
	if (!r && l->range.size != size0 + n)
		r = DP_ESTORE; /* fewer entries than counted: retry */
	uint8_t root[DP_TLOG_HASH], iroot[DP_TLOG_HASH];
	dps_checkpoint c;
	if (!r)
		r = dp_devreplay_root(l->ix, iroot);
	if (!r) {
		dp_tlog_range_root(&l->range, root);
		r = signed_by_signer(l, root, iroot, &c);
	}
	if (r == DP_ESTATE) {
		/* the signer refuses a tree that does not extend what it signed: never again */
		dpd_say("denpod: LOG SIGNER REFUSED the tree of size %llu: it does not extend the one "
			"it signed last (size %llu).  The log is no longer signed.  Stop the switch and "
			"run denpod check", (unsigned long long)l->range.size,
			(unsigned long long)l->ssize);
		l->failed = 1;
		return DP_ESTATE;
	}
	if (!r)
		r = store_round(l, size0, &c);
	if (r == DP_EEXISTS) {
		/* a stored checkpoint of this size has another root: sign nothing, ever */
		dpd_say("denpod: LOG FORK REFUSED: a checkpoint of size %llu with another root is "
			"stored; the log is no longer signed.  Stop the switch and run denpod log verify",
			(unsigned long long)l->range.size);
		l->failed = 1;
		return DP_ESTATE;
	}
	if (r) {
		/* the edge is ahead of the database: start again from what is stored */
		int e = reload(l);
		if (r == STALE)
			dpd_say("denpod: log: another signer extended the log; reloaded it");
		return r == STALE ? (e ? e : DP_OK) : r;
	}
	l->have_cp = 1;
	l->cp = c;
	l->cp_unpub = 1;
	dp_devreplay_clean(l->ix);
	l->ix_full = 0;
	/*
	 * Its commit did not wait for the standby (dps_relax_sync: this
	 * connection's synchronous_commit is off, so the commit returned once
	 * the WAL was written locally, if that): the barrier does.  A failure
	 * leaves it to the next round, which publishes it before anything else.
	 */
	r = publish_cp(l);
	if (!r && nout)
		*nout = n;
	return r;
}

/* ---- the signer thread ---- */

/* Waits on cv until deadline (ms, CLOCK_MONOTONIC) or a signal; mu held. */
static void wait_until(dpl_log *l, uint64_t deadline)
{
	struct timespec ts = {(time_t)(deadline / 1000), (long)(deadline % 1000) * 1000000};
	(void)pthread_cond_timedwait(&l->cv, &l->mu, &ts);
}

static void *signer_main(void *arg)
{
	dpl_log *l = arg;
	uint64_t last = 0;
	int warned = 0;
	pthread_mutex_lock(&l->mu);
	for (;;) {
		/* a commit of this process kicks; other processes' entries are found on the tick */
		uint64_t tick = now_ms() + DPL_TICK_MS;
		while (!l->quit && !l->kick && now_ms() < tick)
			wait_until(l, tick);
		/* at most one round per DPL_GAP_MS: under load each covers many batches */
		while (!l->quit && now_ms() < last + DPL_GAP_MS)
			wait_until(l, last + DPL_GAP_MS);
		if (l->quit)
			break;
		uint64_t kicked = l->kick_at;
		l->kick = 0;
		l->kick_at = 0;
		pthread_mutex_unlock(&l->mu);
		last = now_ms();
		uint64_t n = 0;
		int r = dpl_round(l, &n);
		if (r && l->failed) {
			pthread_mutex_lock(&l->mu);
			l->stopped = 1;
			break; /* said why; the switch keeps serving, unsigned */
		}
		if (r && !warned++)
			dpd_say("denpod: log: signing round failed (%s); retrying%s", dp_strerror(r),
				r == DP_ENOSPC ? " until the operator frees space on the switch's disk: no "
						 "checkpoint is signed meanwhile, no entry is lost" : "");
		if (!r)
			warned = 0;
		if (n) {
			dps_checkpoint c;
			dpl_latest(l, &c);
			fprintf(stderr, "denpod: log: checkpoint %llu (+%llu entries, %llu ms after commit)\n",
				(unsigned long long)c.size, (unsigned long long)n,
				(unsigned long long)(kicked ? now_ms() - kicked : 0));
		}
		pthread_mutex_lock(&l->mu);
		if (!r)
			l->round_ok = now_ms();
		if (n == DPL_ROUND_MAX)
			l->kick = 1; /* a backlog: go on at once */
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

static int start_check(dpl_log *l);

/*
 * HELLO: the signer's key and the tree it signed last, given the stored
 * latest checkpoint (which it adopts only if it has no state of its own).
 */
static int hello(dpl_log *l)
{
	dps_checkpoint *c = malloc(sizeof *c);
	dpsg_state st;
	if (!c)
		return DP_ENOMEM;
	int r = dps_log_latest(l->s, c);
	if (r == DP_OK || r == DP_ENOTFOUND)
		r = dpsg_hello(l->signer, r == DP_OK ? c : NULL, &st);
	free(c);
	if (r == DP_ESIG)
		fprintf(stderr, "denpod: log: the latest stored checkpoint does not verify under log.key "
				"(the signer will not take it as the last it signed); refusing to start "
				"(denpod check)\n");
	else if (r && r != DP_ESTORE)
		fprintf(stderr, "denpod: log: the signer process refused to start the log (%s; see its "
				"line above)\n", dp_strerror(r));
	if (!r && (r = dp_note_vkey_make(&l->vk, l->origin, DP_NOTE_ED25519, st.pk)))
		fprintf(stderr, "denpod: log_origin=%s in denpod.conf is not a valid key name\n",
			l->origin);
	if (!r) {
		l->ssize = st.size;
		memcpy(l->sroot, st.root, DP_TLOG_HASH);
	}
	return r;
}

/* The tree of more entries than the stored checkpoint holds (signer_agrees). */
struct ahead {
	dp_tlog_range r;
};

static int ahead_one(void *ctx, uint64_t idx, const uint8_t *e, size_t len)
{
	struct ahead *a = ctx;
	uint8_t h[DP_TLOG_HASH];
	if (idx != a->r.size)
		return DP_ESTATE;
	dp_tlog_leaf_hash(h, e, len);
	return dp_tlog_range_append(&a->r, h, NULL, NULL);
}

/*
 * The stored log (loaded: l->range is its latest checkpoint's tree) must
 * extend what the signer signed: a database restored from an older backup,
 * or one whose history was rewritten, is refused before anything is signed.
 */
static int signer_agrees(dpl_log *l)
{
	uint64_t size = l->range.size;
	uint8_t root[DP_TLOG_HASH], pf[DP_TLOG_PROOF_MAX][DP_TLOG_HASH];
	size_t n = 0;
	dp_tlog_range_root(&l->range, root);
	if (l->ssize > size) {
		/*
		 * Signed but never stored (a crash between the two): the entries
		 * must still be there and give the tree that was signed.
		 */
		struct ahead a = {l->range};
		int r = dps_log_entries(l->s, size, l->ssize - size, ahead_one, &a);
		if (r)
			return r;
		if (a.r.size < l->ssize) {
			fprintf(stderr, "denpod: log: the signer signed the log up to size %llu "
					"(signer.state) but this database holds only %llu entries: it is "
					"older than what was signed (restored from an older backup?) or was "
					"cut.  Refusing to start: put back the database that goes with "
					"signer.state or, if none exists, accept the loss with `denpod log "
					"rollback` (docs/operations.md, \"Back up and restore\")\n",
				(unsigned long long)l->ssize, (unsigned long long)a.r.size);
			return DP_ESTATE;
		}
		dp_tlog_range_root(&a.r, root);
		size = l->ssize;
	}
	int ok = l->ssize == size ? memcmp(root, l->sroot, DP_TLOG_HASH) == 0 : 1;
	if (l->ssize > 0 && l->ssize < size) {
		dp_tlog_tiles tiles = {dpl_tile_read, l->s};
		ok = dp_tlog_prove_consistency(l->ssize, size, dp_tlog_tiles_node, &tiles, pf, &n) ==
			     DP_OK &&
		     dp_tlog_verify_consistency(l->ssize, size, l->sroot, root,
						(const uint8_t(*)[DP_TLOG_HASH])pf, n) == DP_OK;
	}
	if (!ok) {
		fprintf(stderr, "denpod: log: this database's log (checkpoint %llu) does not extend the "
				"tree the signer signed last (size %llu): another history.  Refusing to "
				"start (denpod check; docs/operations.md, \"Back up and restore\")\n",
			(unsigned long long)size, (unsigned long long)l->ssize);
		return DP_ESTATE;
	}
	return DP_OK;
}

/*
 * A log whose latest checkpoint was signed before the officer index (its
 * note has no officer-index line): an admin entry (Act OFFICER-INDEX) that
 * says the index was made, so that the next round signs a checkpoint with
 * the line at once rather than at the next access, and auditors see when
 * the switch began to keep it.  Only by the holder of the signing lease.
 */
static int index_upgrade(dpl_log *l)
{
	uint8_t root[DP_TLOG_HASH];
	if (!l->have_cp || !l->ix_full || dpx_checkpoint_root(&l->cp, root) != DP_ENOTFOUND ||
	    !lease_held(l))
		return DP_OK;
	dpl_enc *x = dpl_enc_new();
	if (!x)
		return DP_ENOMEM;
	if (l->wlock)
		pthread_mutex_lock(l->wlock);
	int r = dps_begin(l->s);
	if (!r) {
		dp_logent *e = dpl_ent(x, DP_LOG_ADMIN, dp_now());
		snprintf(e->operator_, sizeof e->operator_, "denpod");
		snprintf(e->act, sizeof e->act, "OFFICER-INDEX");
		snprintf(e->text, sizeof e->text, "the officer index was made from the log's %llu "
						  "entries; every checkpoint from here on signs its root",
			 (unsigned long long)l->range.size);
		r = dpl_put(l->s, x, NULL);
		if (!r)
			r = dps_commit(l->s);
		else
			dps_rollback(l->s);
	}
	if (l->wlock)
		pthread_mutex_unlock(l->wlock);
	dpl_enc_free(x);
	return r;
}

int dpl_open(dpl_log **out, const dpc_config *cfg, pthread_mutex_t *wlock, int signer)
{
	char path[DPC_PATH_MAX];
	dpl_log *l = calloc(1, sizeof *l);
	pthread_condattr_t ca;
	*out = NULL;
	if (!l)
		return DP_ENOMEM;
	if (pthread_condattr_init(&ca) || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
	    pthread_cond_init(&l->cv, &ca) || pthread_mutex_init(&l->mu, NULL)) {
		free(l);
		return DP_ENOMEM;
	}
	pthread_condattr_destroy(&ca);
	l->wlock = wlock;
	snprintf(l->origin, sizeof l->origin, "%s", cfg->log_origin);
	snprintf(l->dir, sizeof l->dir, "%s", cfg->dir);
	l->signer = signer;
	uint8_t who[16];
	randombytes_buf(who, sizeof who);
	dp_hex_encode(l->holder, who, sizeof who);
	int r = dpc_store_target(cfg, path, sizeof path);
	if (!r)
		r = dps_open(&l->s, path, 0);
	if (!r)
		r = dps_relax_sync(l->s);
	if (!r)
		r = hello(l);
	if (!r)
		r = load(l, 0);
	/* ... and everything above the last size verified in full, before a byte is signed */
	if (!r)
		r = start_check(l);
	if (!r)
		r = signer_agrees(l);
	if (!r)
		r = index_upgrade(l);
	/* catch up with everything appended while no signer ran */
	uint64_t n = DPL_ROUND_MAX;
	while (!r && n == DPL_ROUND_MAX)
		r = dpl_round(l, &n);
	if (r) {
		dpl_close(l);
		return r;
	}
	l->ready = 1;
	*out = l;
	return DP_OK;
}

int dpl_start(dpl_log *l)
{
	l->round_ok = now_ms(); /* dpl_open signed everything there was */
	if (pthread_create(&l->th, NULL, signer_main, l))
		return DP_ENOMEM;
	(void)pthread_setname_np(l->th, "dpd-log");
	l->started = 1;
	return DP_OK;
}

void dpl_kick(dpl_log *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	if (!l->kick_at)
		l->kick_at = now_ms();
	l->kick = 1;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

void dpl_signer_state(dpl_log *l, int64_t *ago_ms, int *failed)
{
	pthread_mutex_lock(&l->mu);
	*ago_ms = l->round_ok ? (int64_t)(now_ms() - l->round_ok) : -1;
	*failed = l->stopped;
	pthread_mutex_unlock(&l->mu);
}

void dpl_latest(dpl_log *l, dps_checkpoint *c)
{
	pthread_mutex_lock(&l->mu);
	*c = l->pub;
	pthread_mutex_unlock(&l->mu);
}

void dpl_close(dpl_log *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	l->closing = 1; /* before the join: a round not yet in its barrier skips it */
	pthread_mutex_unlock(&l->mu);
	if (l->started) {
		pthread_mutex_lock(&l->mu);
		l->quit = 1;
		pthread_cond_signal(&l->cv);
		pthread_mutex_unlock(&l->mu);
		pthread_join(l->th, NULL);
		l->started = 0;
	}
	/* what the last batches appended gets its checkpoint before we go */
	uint64_t n = DPL_ROUND_MAX;
	int r = DP_OK;
	while (l->ready && !r && n == DPL_ROUND_MAX)
		r = dpl_round(l, &n);
	if (l->lease_until && dps_log_lease_release(l->s, l->holder))
		dpd_say("denpod: log: could not give up the signing lease; another instance takes "
			"over when it runs out (%d s)", DPL_LEASE_MS / 1000);
	dps_close(l->s);
	free(l->full);
	dp_devreplay_free(l->ix);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	free(l);
}

/* ---- verification: `denpod log verify`, the start, the scrub ---- */

struct dpl_walk {
	dps_store *s;
	dp_note_vkey vk;
	dpl_walk_cb cb;
	int whole;  /* one snapshot: also every stored tile's width */
	int broken; /* the walk cannot go on meaningfully (said why) */
	dp_tlog_range range;
	tile_edge edge[DPL_TLEVELS];
	uint8_t tile[DP_TLOG_TILE_WIDTH * DP_TLOG_HASH];
	dps_checkpoint cp; /* the next stored checkpoint to meet (size <= latest) */
	int have_cp;
	uint64_t from, end, latest, ncp, bytes;
	uint64_t at; /* the last checkpoint passed that checked */
	uint8_t at_root[DP_TLOG_HASH];
	unsigned problems;
	/* the stored level-0 tile of the entries being walked: their leaf hashes */
	uint64_t leaf_n;   /* its number; UINT64_MAX: none read yet */
	int leaf_have;     /* stored (0: missing or short, said once) */
	int leaf_vouched;  /* -1 unknown; 1 it agrees with the tree above it, 0 it does not */
	uint8_t leaf_tile[DP_TLOG_TILE_WIDTH * DP_TLOG_HASH];
	int edge_ok;       /* -1 unknown; 1 the stored tiles give the latest checkpoint's root */
	dp_logent e;
};

__attribute__((format(printf, 4, 5))) static void problem(dpl_walk *w, const char *part,
							  uint64_t at, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	w->problems++;
	dpl_problem p = {part, at, msg};
	if (w->cb.problem)
		w->cb.problem(w->cb.problem_ctx, &p);
}

/* The first leaf of tile (tl, n): where a damaged tile is reported. */
static uint64_t tile_first(unsigned tl, uint64_t n)
{
	unsigned shift = 8 * (tl + 1);
	return shift < 64 && n < (UINT64_C(1) << (64 - shift)) ? n << shift : UINT64_MAX;
}

static int walk_emit(void *ctx, unsigned level, uint64_t n, const uint8_t h[DP_TLOG_HASH])
{
	dpl_walk *w = ctx;
	if (level % DP_TLOG_TILE_HEIGHT)
		return DP_OK;
	unsigned tl = level / DP_TLOG_TILE_HEIGHT;
	if (tl >= DPL_TLEVELS)
		return DP_EINVAL;
	uint64_t tn = n / DP_TLOG_TILE_WIDTH;
	unsigned slot = (unsigned)(n % DP_TLOG_TILE_WIDTH);
	w->edge[tl].n = tn;
	w->edge[tl].w = slot + 1;
	memcpy(w->edge[tl].h + (size_t)slot * DP_TLOG_HASH, h, DP_TLOG_HASH);
	/* a tile full at the latest checkpoint must be stored, whole and equal (level 0: leaf by leaf) */
	if (tl > 0 && slot + 1 == DP_TLOG_TILE_WIDTH && w->range.size + 1 <= w->latest) {
		int r = dps_log_tile(w->s, tl, tn, DP_TLOG_TILE_WIDTH, w->tile);
		if (r == DP_ENOTFOUND)
			problem(w, "log-tile", tile_first(tl, tn), "tile %u/%llu is missing or short", tl,
				(unsigned long long)tn);
		else if (r)
			return r;
		else if (memcmp(w->tile, w->edge[tl].h, sizeof w->tile) != 0)
			problem(w, "log-tile", tile_first(tl, tn),
				"tile %u/%llu differs from the hashes of the entries", tl,
				(unsigned long long)tn);
	}
	return DP_OK;
}

/* The next stored checkpoint to meet after size `after` (-1: the first), up to the latest. */
static void walk_next_cp(dpl_walk *w, int64_t after)
{
	int r = dps_log_checkpoint_next(w->s, after, &w->cp);
	w->have_cp = r == DP_OK && w->cp.size <= w->latest;
	if (r && r != DP_ENOTFOUND) {
		problem(w, "checkpoint", after < 0 ? 0 : (uint64_t)after + 1,
			"the checkpoint after size %lld cannot be read (a malformed row, or the database "
			"is damaged)", (long long)after);
		w->broken = 1;
	}
}

/* The stored checkpoints of the size just reached, and the partial tiles at the latest. */
static int walk_checkpoints(dpl_walk *w)
{
	uint8_t root[DP_TLOG_HASH];
	while (!w->broken && w->have_cp && w->cp.size == w->range.size) {
		int bad = 0;
		dp_tlog_range_root(&w->range, root);
		if (memcmp(root, w->cp.root, DP_TLOG_HASH) != 0) {
			problem(w, "checkpoint", w->cp.size,
				"checkpoint %llu: its root is not the root of the first %llu entries",
				(unsigned long long)w->cp.size, (unsigned long long)w->cp.size);
			bad = 1;
		}
		if (dpl_checkpoint_ok(&w->cp, &w->vk) != DP_OK) {
			problem(w, "checkpoint", w->cp.size,
				"checkpoint %llu: its note does not verify under %s or does not say its size "
				"and root", (unsigned long long)w->cp.size, w->vk.name);
			bad = 1;
		}
		w->ncp++;
		if (!bad) {
			w->at = w->cp.size;
			memcpy(w->at_root, root, DP_TLOG_HASH);
		}
		walk_next_cp(w, (int64_t)w->cp.size);
	}
	/* at the latest checkpoint: the partial tiles of its right edge */
	if (w->range.size == w->latest && w->latest > 0)
		for (unsigned tl = 1; tl < DPL_TLEVELS; tl++) {
			uint64_t count = w->latest >> (8 * tl);
			uint64_t tn = count / DP_TLOG_TILE_WIDTH;
			unsigned wd = (unsigned)(count % DP_TLOG_TILE_WIDTH);
			if (!wd)
				continue;
			int r = dps_log_tile(w->s, tl, tn, wd, w->tile);
			if (r == DP_ENOTFOUND)
				problem(w, "log-tile", tile_first(tl, tn), "partial tile %u/%llu.p/%u is missing",
					tl, (unsigned long long)tn, wd);
			else if (r)
				return r;
			else if (memcmp(w->tile, w->edge[tl].h, (size_t)wd * DP_TLOG_HASH) != 0)
				problem(w, "log-tile", tile_first(tl, tn),
					"partial tile %u/%llu.p/%u differs from the hashes of the entries", tl,
					(unsigned long long)tn, wd);
		}
	return DP_OK;
}

/* The Merkle root of a full tile's 256 hashes (the node one tile level up). */
static void tile_root(const uint8_t *h, uint8_t out[DP_TLOG_HASH])
{
	uint8_t t[DP_TLOG_TILE_WIDTH * DP_TLOG_HASH];
	memcpy(t, h, sizeof t);
	for (size_t n = DP_TLOG_TILE_WIDTH; n > 1; n /= 2)
		for (size_t i = 0; i < n / 2; i++)
			dp_tlog_node_hash(t + i * DP_TLOG_HASH, t + 2 * i * DP_TLOG_HASH,
					  t + (2 * i + 1) * DP_TLOG_HASH);
	memcpy(out, t, DP_TLOG_HASH);
}

/*
 * Whether the stored level-0 tile in w->leaf_tile agrees with the tree
 * above it: a full one hashes to its hash in the level-1 tile, a partial
 * one (the right edge) is part of tiles that give the latest checkpoint's
 * root.  When an entry and its stored leaf hash disagree, this says which
 * of the two is damaged.
 */
static int leaf_tile_vouched(dpl_walk *w)
{
	if (w->leaf_vouched >= 0)
		return w->leaf_vouched;
	uint8_t root[DP_TLOG_HASH], up[DP_TLOG_TILE_WIDTH * DP_TLOG_HASH];
	uint64_t n = w->leaf_n;
	if ((n + 1) * DP_TLOG_TILE_WIDTH <= w->latest) {
		unsigned slot = (unsigned)(n % DP_TLOG_TILE_WIDTH);
		tile_root(w->leaf_tile, root);
		w->leaf_vouched = dps_log_tile(w->s, 1, n / DP_TLOG_TILE_WIDTH, slot + 1, up) == DP_OK &&
				  memcmp(up + (size_t)slot * DP_TLOG_HASH, root, DP_TLOG_HASH) == 0;
		return w->leaf_vouched;
	}
	if (w->edge_ok < 0) {
		dp_tlog_tiles tiles = {dpl_tile_read, w->s};
		dp_tlog_range r;
		dps_checkpoint c;
		w->edge_ok = dps_log_checkpoint_next(w->s, (int64_t)w->latest - 1, &c) == DP_OK &&
			     c.size == w->latest &&
			     dp_tlog_range_load(&r, w->latest, dp_tlog_tiles_node, &tiles) == DP_OK;
		if (w->edge_ok) {
			dp_tlog_range_root(&r, root);
			w->edge_ok = memcmp(root, c.root, DP_TLOG_HASH) == 0;
		}
	}
	return w->leaf_vouched = w->edge_ok;
}

/* The stored leaf hash of entry idx (< latest), or NULL if its tile is missing (said once). */
static int stored_leaf(dpl_walk *w, uint64_t idx, const uint8_t **out)
{
	uint64_t n = idx / DP_TLOG_TILE_WIDTH;
	*out = NULL;
	if (n != w->leaf_n) {
		unsigned wd = dp_tlog_tile_width(0, n, w->latest);
		int r = dps_log_tile(w->s, 0, n, wd, w->leaf_tile);
		if (r && r != DP_ENOTFOUND)
			return r;
		w->leaf_n = n;
		w->leaf_have = r == DP_OK;
		w->leaf_vouched = -1;
		if (!w->leaf_have)
			problem(w, "log-tile", tile_first(0, n), "tile 0/%llu is missing or short",
				(unsigned long long)n);
	}
	if (w->leaf_have)
		*out = w->leaf_tile + (size_t)(idx % DP_TLOG_TILE_WIDTH) * DP_TLOG_HASH;
	return DP_OK;
}

/*
 * One entry: it decodes, and below the latest checkpoint it hashes to its
 * stored leaf.  Where the two disagree the walk goes on with whichever the
 * tree above vouches for, so one damaged copy is one problem, not a
 * problem at every checkpoint after it.
 */
static int walk_entry(void *ctx, uint64_t idx, const uint8_t *e, size_t len)
{
	dpl_walk *w = ctx;
	uint8_t h[DP_TLOG_HASH];
	const uint8_t *leaf = h, *stored = NULL;
	dp_tlog_leaf_hash(h, e, len);
	int r = idx < w->latest ? stored_leaf(w, idx, &stored) : DP_OK;
	if (r)
		return r;
	/*
	 * An entry that hashes to its signed leaf is the very entry that was
	 * signed: decoding it again (most of a walk's time) finds nothing the
	 * start or the scrub look for, only what a whole verify reports.
	 */
	int as_signed = stored && memcmp(stored, h, DP_TLOG_HASH) == 0;
	int valid = as_signed && !w->whole && !w->cb.entry ? 1 : dp_logent_decode(&w->e, e, len) == DP_OK;
	if (stored && !as_signed) {
		if (leaf_tile_vouched(w)) {
			problem(w, "log-entry", idx, "entry %llu does not hash to its leaf in tile 0/%llu, "
				"which agrees with the tree above it: the entry is damaged%s",
				(unsigned long long)idx, (unsigned long long)w->leaf_n,
				valid ? "" : " (and no longer a valid entry)");
			leaf = stored;
		} else {
			problem(w, "log-tile", idx, "tile 0/%llu: the leaf hash of entry %llu is not the "
				"entry's, and the tile does not agree with the tree above it: the tile is "
				"damaged", (unsigned long long)w->leaf_n, (unsigned long long)idx);
		}
	} else if (!valid) {
		problem(w, "log-entry", idx, "entry %llu is not a valid DENPO-LOG/1 entry%s",
			(unsigned long long)idx, idx < w->latest ? "" : " (not signed yet)");
	}
	if (valid && w->cb.entry) {
		r = w->cb.entry(w->cb.entry_ctx, idx, &w->e);
		if (r)
			return r;
	}
	w->bytes += len;
	r = dp_tlog_range_append(&w->range, leaf, walk_emit, w);
	return r ? r : walk_checkpoints(w);
}

/* The tree below `from`, from the tiles: it must give the root of the checkpoint there. */
static int walk_base(dpl_walk *w, const dps_checkpoint *c)
{
	dp_tlog_tiles tiles = {dpl_tile_read, w->s};
	uint8_t root[DP_TLOG_HASH];
	if (dpl_checkpoint_ok(c, &w->vk) != DP_OK)
		problem(w, "checkpoint", c->size,
			"checkpoint %llu: its note does not verify under %s or does not say its size "
			"and root", (unsigned long long)c->size, w->vk.name);
	int r = dp_tlog_range_load(&w->range, c->size, dp_tlog_tiles_node, &tiles);
	if (r == DP_OK) {
		dp_tlog_range_root(&w->range, root);
		if (memcmp(root, c->root, DP_TLOG_HASH) != 0)
			r = DP_ESTATE;
	}
	if (!r)
		r = edges_load(w->s, c->size, w->edge);
	if (r == DP_ESTATE) {
		problem(w, "log-tile", 0, "the stored hash tiles do not give the root of checkpoint %llu",
			(unsigned long long)c->size);
		w->broken = 1;
		return DP_OK;
	}
	if (r)
		return r;
	w->at = c->size;
	memcpy(w->at_root, root, DP_TLOG_HASH);
	return DP_OK;
}

int dpl_walk_begin(dpl_walk **out, dps_store *s, const dp_note_vkey *vk, uint64_t from,
		   const uint8_t root[32], int whole, const dpl_walk_cb *cb)
{
	*out = NULL;
	dpl_walk *w = calloc(1, sizeof *w);
	if (!w)
		return DP_ENOMEM;
	w->s = s;
	w->vk = *vk;
	w->whole = whole;
	if (cb)
		w->cb = *cb;
	w->from = from;
	w->leaf_n = UINT64_MAX;
	w->edge_ok = -1;
	dp_tlog_range_init(&w->range);
	dp_tlog_empty_root(w->at_root);
	dps_checkpoint c;
	int r = dps_log_size(s, &w->end);
	if (!r) {
		r = dps_log_latest(s, &c);
		w->latest = r == DP_OK ? c.size : 0;
		if (r == DP_ESTORE) {
			problem(w, "checkpoint", 0, "the latest checkpoint cannot be read (a malformed row, "
						    "or the database is damaged)");
			w->broken = 1;
		}
		r = r == DP_ENOTFOUND || r == DP_ESTORE ? DP_OK : r;
	}
	if (!r && from > 0) {
		/* the base must be a stored checkpoint with this very root, else it is no base */
		r = from > w->latest ? DP_ENOTFOUND : dps_log_checkpoint_next(s, (int64_t)from - 1, &c);
		if (!r && (c.size != from || memcmp(c.root, root, DP_TLOG_HASH) != 0))
			r = DP_ENOTFOUND;
		if (r == DP_ESTORE)
			r = DP_ENOTFOUND; /* its row is unreadable: no base either */
		if (!r && !w->broken)
			r = walk_base(w, &c);
	}
	if (!r && !w->broken && w->latest > w->end)
		problem(w, "log", w->latest, "the latest checkpoint has %llu entries; only %llu are stored",
			(unsigned long long)w->latest, (unsigned long long)w->end);
	if (!r && !w->broken) {
		walk_next_cp(w, from > 0 ? (int64_t)from : -1);
		r = walk_checkpoints(w); /* size 0, or the partial tiles if from is the latest */
	}
	if (r) {
		free(w);
		return r;
	}
	*out = w;
	return DP_OK;
}

int dpl_walk_step(dpl_walk *w, uint64_t max, int *done)
{
	*done = 1;
	if (w->broken || w->range.size >= w->end)
		return DP_OK;
	uint64_t before = w->range.size, n = w->end - before;
	if (n > max)
		n = max;
	int r = dps_log_entries(w->s, before, n, walk_entry, w);
	if (r == DP_ESTORE) {
		problem(w, "log-entry", w->range.size, "entry %llu cannot be read (missing, or the "
						       "database is damaged)", (unsigned long long)w->range.size);
		w->broken = 1;
		return DP_OK;
	}
	if (r)
		return r;
	if (w->range.size != before + n) {
		problem(w, "log", w->range.size, "%llu entries counted but only %llu read",
			(unsigned long long)w->end, (unsigned long long)w->range.size);
		w->broken = 1;
		return DP_OK;
	}
	*done = w->range.size >= w->end;
	return DP_OK;
}

void dpl_walk_at(const dpl_walk *w, uint64_t *size, uint8_t root[32], uint64_t *bytes)
{
	if (size)
		*size = w->at;
	if (root)
		memcpy(root, w->at_root, DP_TLOG_HASH);
	if (bytes)
		*bytes = w->bytes;
}

static int walk_tile_shape(void *ctx, unsigned tl, uint64_t n, unsigned wd)
{
	dpl_walk *w = ctx;
	unsigned want = dp_tlog_tile_width(tl, n, w->latest);
	if (wd != want)
		problem(w, "log-tile", tile_first(tl, n),
			"tile %u/%llu holds %u hashes; the latest checkpoint (size %llu) gives it %u", tl,
			(unsigned long long)n, wd, (unsigned long long)w->latest, want);
	return DP_OK;
}

int dpl_walk_end(dpl_walk *w, unsigned *problems, uint64_t *checkpoints)
{
	int r = DP_OK;
	if (!w->broken && w->range.size >= w->end && w->have_cp)
		problem(w, "checkpoint", w->cp.size, "checkpoint %llu is beyond the %llu stored entries",
			(unsigned long long)w->cp.size, (unsigned long long)w->range.size);
	if (!w->broken && w->whole)
		r = dps_log_tiles(w->s, walk_tile_shape, w);
	if (problems)
		*problems = w->problems;
	if (checkpoints)
		*checkpoints = w->ncp;
	free(w);
	return r;
}

int dpl_walk_finish(dpl_walk *w, uint64_t max, uint64_t *at, uint8_t root[32], unsigned *problems,
		    uint64_t *checkpoints)
{
	int done = 0, r = DP_OK;
	while (!r && !done)
		r = dpl_walk_step(w, max, &done);
	dpl_walk_at(w, at, root, NULL);
	int e = dpl_walk_end(w, problems, checkpoints);
	return r ? r : e;
}

/* ---- denpod log verify ---- */

#define VERIFY_REPORT_MAX 20

struct vprint {
	FILE *out;
	const char *prefix;
	unsigned n;
};

static void print_problem(void *ctx, const dpl_problem *p)
{
	struct vprint *v = ctx;
	if (++v->n <= VERIFY_REPORT_MAX)
		fprintf(v->out, "%s%s\n", v->prefix, p->msg);
}

/* The officer index replayed over the walk's entries below the latest checkpoint. */
struct vindex {
	dp_devreplay *x;
	uint64_t below;
	char why[256];
	int err;
};

static int vindex_entry(void *ctx, uint64_t idx, const dp_logent *e)
{
	struct vindex *v = ctx;
	if (idx < v->below && !v->err)
		v->err = dp_devreplay_apply(v->x, idx, e, v->why, sizeof v->why);
	return DP_OK; /* a problem of the index is reported at the end, the walk goes on */
}

static void vindex_problem(void *ctx, const char *msg)
{
	struct vprint *v = ctx;
	if (++v->n <= VERIFY_REPORT_MAX)
		fprintf(v->out, "%s%s\n", v->prefix, msg);
}

int dpl_verify(dps_store *s, const dp_note_vkey *vk, FILE *out)
{
	struct vprint vp = {out, "log verify: ", 0};
	struct vindex vi = {NULL, 0, "", 0};
	dpl_walk_cb cb = {print_problem, &vp, vindex_entry, &vi};
	dpl_walk *w = NULL;
	unsigned problems = 0;
	uint64_t ncp = 0, entries = 0, latest = 0;
	dps_checkpoint *cp = malloc(sizeof *cp);
	/*
	 * One snapshot: a running signer may commit meanwhile.  Inside the
	 * caller's write transaction (denpod migrate checks its copy before it
	 * commits: DP_EINVAL) that transaction is the snapshot.
	 */
	int snap = cp ? dps_snapshot_begin(s) : DP_ENOMEM;
	int r = snap == DP_EINVAL ? DP_OK : snap;
	int have_cp = 0;
	if (!r)
		r = dp_devreplay_new(&vi.x);
	if (!r && (r = dps_log_latest(s, cp)) == DP_OK)
		have_cp = 1;
	else if (r == DP_ENOTFOUND)
		r = DP_OK;
	vi.below = have_cp ? cp->size : 0;
	if (!r)
		r = dpl_walk_begin(&w, s, vk, 0, NULL, 1, &cb);
	if (!r) {
		entries = w->end;
		latest = w->latest;
		r = dpl_walk_finish(w, UINT64_MAX, NULL, NULL, &problems, &ncp);
	}
	/* the officer index: the latest checkpoint's line and the stored records (transparency.md §6) */
	if (!r && have_cp && latest == cp->size) {
		if (vi.err) {
			vindex_problem(&vp, vi.why);
			problems++;
		} else {
			int n = dpx_verify(s, vi.x, cp, vindex_problem, &vp);
			if (n < 0)
				r = n;
			else
				problems += (unsigned)n;
		}
	}
	if (snap == DP_OK)
		dps_snapshot_end(s);
	dp_devreplay_free(vi.x);
	free(cp);
	if (!r && ncp == 0) {
		fprintf(out, "log verify: no checkpoint is stored (has denpod run ever started?)\n");
		problems++;
	}
	if (r)
		fprintf(out, "log verify: cannot read the log: %s\n", dp_strerror(r));
	else if (problems > VERIFY_REPORT_MAX)
		fprintf(out, "log verify: ... %u problems in all\n", problems);
	if (!r && !problems)
		fprintf(out, "log verify: ok: %llu entries, %llu checkpoints (latest %llu), signed by %s\n",
			(unsigned long long)entries, (unsigned long long)ncp,
			(unsigned long long)latest, vk->name);
	if (!r && problems)
		r = DP_ESTATE;
	return r;
}

/* ---- the mark: the log verified in full up to a checkpoint ---- */

#define MARK_KEY "log_verified" /* meta: "<size> <hex root>" */

int dpl_mark_get(dps_store *s, uint64_t *size, uint8_t root[32])
{
	char v[128];
	int r = dps_meta_get(s, MARK_KEY, v, sizeof v);
	if (r == DP_ETOOBIG)
		return DP_EPARSE; /* not one of ours */
	if (r)
		return r;
	if (!v[0])
		return DP_ENOTFOUND;
	const char *sp = strchr(v, ' ');
	/* anything but exactly "<decimal> <64 hex digits>" is no mark */
	if (!sp || strlen(sp + 1) != 64 || dp_num_u64(size, v, (size_t)(sp - v), 0, INT64_MAX) ||
	    dp_hex_decode(root, 32, sp + 1, 64))
		return DP_EPARSE;
	return DP_OK;
}

/* Sets the mark to (size, root) if that raises it (up = 1) or lowers it (up = 0). */
static int mark_move(dps_store *s, pthread_mutex_t *wlock, uint64_t size, const uint8_t root[32],
		     int up)
{
	char v[128], hex[65];
	uint64_t old = 0;
	uint8_t oroot[32];
	dp_hex_encode(hex, root, 32);
	snprintf(v, sizeof v, "%llu %s", (unsigned long long)size, hex);
	if (wlock)
		pthread_mutex_lock(wlock);
	int r = dps_begin(s);
	int have = r ? r : dpl_mark_get(s, &old, oroot);
	if (!r && have != DP_OK && have != DP_ENOTFOUND && have != DP_EPARSE)
		r = have;
	/* a malformed mark is as good as none: raising replaces it, lowering need not */
	if (!r && (up ? have != DP_OK || size > old : have == DP_OK && size < old))
		r = dps_meta_put(s, MARK_KEY, v);
	if (!r)
		r = dps_commit(s);
	else
		dps_rollback(s);
	if (wlock)
		pthread_mutex_unlock(wlock);
	return r;
}

int dpl_mark_raise(dps_store *s, pthread_mutex_t *wlock, uint64_t size, const uint8_t root[32])
{
	return mark_move(s, wlock, size, root, 1);
}

int dpl_mark_lower(dps_store *s, pthread_mutex_t *wlock, uint64_t size, const uint8_t root[32])
{
	return mark_move(s, wlock, size, root, 0);
}

/* ---- the start ---- */

#define START_STEP 65536 /* entries per read at start */

/*
 * The log from the mark (the size verified in full last, bound to its
 * checkpoint's root) to the end: every entry decodes and hashes to its
 * leaf, every tile and checkpoint above the mark is what the entries give.
 * A mark that names no stored checkpoint with its root is no mark: the
 * whole log is verified then, so a damaged mark costs time, never a check.
 */
static int start_check(dpl_log *l)
{
	struct vprint vp = {stderr, "denpod: log: ", 0};
	dpl_walk_cb cb = {print_problem, &vp, NULL, NULL};
	uint64_t from = 0, ncp = 0, to = 0, end = 0;
	uint8_t root[32];
	unsigned problems = 0;
	uint64_t t0 = now_ms();
	dpl_walk *w = NULL;
	int r = dpl_mark_get(l->s, &from, root);
	if (r == DP_ENOTFOUND || r == DP_EPARSE) {
		fprintf(stderr, "denpod: log: %s: verifying the whole log\n",
			r == DP_ENOTFOUND ? "no verification mark yet"
					  : "the verification mark is malformed (damaged?)");
		from = 0;
		r = DP_OK;
	}
	if (!r)
		r = dps_snapshot_begin(l->s);
	if (r)
		return r;
	r = dpl_walk_begin(&w, l->s, &l->vk, from, root, 0, &cb);
	if (r == DP_ENOTFOUND && from > 0) {
		fprintf(stderr, "denpod: log: the verification mark (size %llu) does not match a stored "
				"checkpoint (damaged?): verifying the whole log\n",
			(unsigned long long)from);
		from = 0;
		r = dpl_walk_begin(&w, l->s, &l->vk, 0, NULL, 0, &cb);
	}
	if (!r) {
		end = w->end;
		r = dpl_walk_finish(w, START_STEP, &to, root, &problems, &ncp);
	}
	dps_snapshot_end(l->s);
	if (r)
		return r;
	if (problems) {
		if (problems > VERIFY_REPORT_MAX)
			fprintf(stderr, "denpod: log: ... %u problems in all\n", problems);
		fprintf(stderr, "denpod: log: the stored log does not verify from entry %llu (the last "
				"size verified in full); refusing to sign on.  Run `denpod check --data %s` "
				"and see docs/operations.md, \"Damage and recovery\"\n",
			(unsigned long long)from, l->dir);
		return DP_ESTATE;
	}
	fprintf(stderr, "denpod: log: entries %llu..%llu and %llu checkpoints verified in %llu ms; "
			"verified in full up to %llu\n", (unsigned long long)from,
		(unsigned long long)end, (unsigned long long)ncp, (unsigned long long)(now_ms() - t0),
		(unsigned long long)to);
	return dpl_mark_raise(l->s, l->wlock, to, root);
}

const dp_note_vkey *dpl_verifier(const dpl_log *l)
{
	return &l->vk;
}
