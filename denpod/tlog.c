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
 * the stored checkpoint describes) and is simply tried again.
 *
 * Its connection commits with synchronous=NORMAL: tiles and checkpoints
 * are functions of entries that were durable before it read them (Ed25519
 * signatures are deterministic), so one lost in a power cut is signed
 * again byte for byte; kill -9 loses nothing either way.
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
#include "denpod/say.h"
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
	return dps_log_append(s, x->b.p, x->b.len, idx);
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

/* The signed note of (size, root) into c (t = now). */
static int sign_checkpoint(const char *origin, const uint8_t *sk, uint64_t size,
			   const uint8_t root[32], dps_checkpoint *c)
{
	dp_checkpoint cp;
	dp_buf b;
	memset(&cp, 0, sizeof cp);
	snprintf(cp.origin, sizeof cp.origin, "%s", origin);
	cp.size = size;
	memcpy(cp.root, root, 32);
	dp_buf_init(&b, DPS_NOTE_MAX);
	int r = dp_checkpoint_format(&b, &cp);
	size_t tl = b.len;
	if (!r)
		r = dp_buf_putc(&b, '\n');
	if (!r)
		r = dp_note_sign_line(&b, (const char *)b.p, tl, origin, sk);
	if (!r) {
		memset(c, 0, sizeof *c);
		c->size = size;
		memcpy(c->root, root, 32);
		c->t = dp_now();
		memcpy(c->note, b.p, b.len);
		c->note[b.len] = 0;
		c->note_len = b.len;
	}
	dp_buf_free(&b);
	return r;
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
	uint8_t *sk; /* log.key, sodium memory */
	dp_note_vkey vk;
	char origin[DP_NOTE_NAME_MAX + 1];
	pthread_mutex_t *wlock;
	/* the tree as the stored latest checkpoint says (signer thread only) */
	dp_tlog_range range;
	int have_cp;
	struct {
		uint64_t n;  /* the tile being filled at this level */
		unsigned w;  /* hashes in it */
		int dirty;   /* grown this round */
		uint8_t h[DP_TLOG_TILE_WIDTH * DP_TLOG_HASH];
	} edge[DPL_TLEVELS];
	tile_out *full; /* tiles completed this round */
	size_t nfull, afull;
	int failed; /* a fork was refused: never sign again */
	int ready;  /* opened and checked: dpl_close signs what is left */
	/* the thread and what it shares, under mu */
	pthread_t th;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int kick, quit;
	uint64_t kick_at; /* ms: the first kick the next round serves (0: none) */
	dps_checkpoint pub;
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

/* Edge state for a tree of `size` leaves, from the stored tiles. */
static int load_edges(dpl_log *l, uint64_t size)
{
	memset(l->edge, 0, sizeof l->edge);
	for (unsigned tl = 0; tl < DPL_TLEVELS; tl++) {
		uint64_t count = tl ? size >> (8 * tl) : size; /* nodes at tree level 8*tl */
		l->edge[tl].n = count / DP_TLOG_TILE_WIDTH;
		l->edge[tl].w = (unsigned)(count % DP_TLOG_TILE_WIDTH);
		if (l->edge[tl].w) {
			int r = dps_log_tile(l->s, tl, l->edge[tl].n, l->edge[tl].w, l->edge[tl].h);
			if (r)
				return r == DP_ENOTFOUND ? DP_ESTATE : r;
		}
	}
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

/*
 * Loads and checks the stored tree (see dpl_open).  Messages say what is
 * wrong; DP_ESTATE for an inconsistent log, other codes for failures.
 */
static int load(dpl_log *l, int quiet)
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
		r = load_edges(l, c.size);
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
	pthread_mutex_lock(&l->mu);
	l->pub = c;
	pthread_mutex_unlock(&l->mu);
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
	return dp_tlog_range_append(&l->range, h, emit, l);
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
		r = dps_log_checkpoint_put(l->s, c);
	if (!r)
		r = dps_commit(l->s);
	else
		dps_rollback(l->s);
	if (l->wlock)
		pthread_mutex_unlock(l->wlock);
	return r;
}

int dpl_round(dpl_log *l, uint64_t *nout)
{
	if (nout)
		*nout = 0;
	if (l->failed)
		return DP_ESTATE;
	uint64_t total, size0 = l->range.size;
	int r = dps_log_size(l->s, &total);
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
	r = dps_log_entries(l->s, size0, n, integrate_one, l);
	if (!r && l->range.size != size0 + n)
		r = DP_ESTORE; /* fewer entries than counted: retry */
	uint8_t root[DP_TLOG_HASH];
	dps_checkpoint c;
	if (!r) {
		dp_tlog_range_root(&l->range, root);
		r = sign_checkpoint(l->origin, l->sk, l->range.size, root, &c);
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
		int e = load(l, 1);
		if (e == DP_ESTATE)
			l->failed = 1;
		if (r == STALE)
			dpd_say("denpod: log: another signer extended the log; reloaded it");
		return r == STALE ? (e ? e : DP_OK) : r;
	}
	l->have_cp = 1;
	pthread_mutex_lock(&l->mu);
	l->pub = c;
	pthread_mutex_unlock(&l->mu);
	if (nout)
		*nout = n;
	return DP_OK;
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
		if (n == DPL_ROUND_MAX)
			l->kick = 1; /* a backlog: go on at once */
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

int dpl_open(dpl_log **out, const dpc_config *cfg, pthread_mutex_t *wlock)
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
	int r = load_key(cfg, &l->sk, &l->vk);
	if (!r)
		r = dpc_path(cfg, "denpod.db", path, sizeof path);
	if (!r)
		r = dps_open(&l->s, path, 0);
	if (!r)
		r = dps_relax_sync(l->s);
	if (!r)
		r = load(l, 0);
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
	if (pthread_create(&l->th, NULL, signer_main, l))
		return DP_ENOMEM;
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
	dps_close(l->s);
	dpc_key_free(l->sk);
	free(l->full);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	free(l);
}

/* ---- denpod log verify ---- */

#define VERIFY_REPORT_MAX 20

struct vctx {
	dps_store *s;
	const dp_note_vkey *vk;
	FILE *out;
	dp_tlog_range range;
	struct {
		uint64_t n;
		unsigned w;
		uint8_t h[DP_TLOG_TILE_WIDTH * DP_TLOG_HASH];
	} edge[DPL_TLEVELS];
	uint8_t tile[DP_TLOG_TILE_WIDTH * DP_TLOG_HASH];
	dps_checkpoint cp; /* the next stored checkpoint to meet */
	int have_cp;
	uint64_t latest, ncp;
	dp_logent e;
	unsigned problems;
	int fatal; /* a store error: stop */
};

__attribute__((format(printf, 2, 3))) static void problem(struct vctx *v, const char *fmt, ...)
{
	if (++v->problems > VERIFY_REPORT_MAX)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(v->out, "log verify: ");
	vfprintf(v->out, fmt, ap);
	fputc('\n', v->out);
	va_end(ap);
}

static int verify_emit(void *ctx, unsigned level, uint64_t n, const uint8_t h[DP_TLOG_HASH])
{
	struct vctx *v = ctx;
	if (level % DP_TLOG_TILE_HEIGHT)
		return DP_OK;
	unsigned tl = level / DP_TLOG_TILE_HEIGHT;
	if (tl >= DPL_TLEVELS)
		return DP_EINVAL;
	uint64_t tn = n / DP_TLOG_TILE_WIDTH;
	unsigned slot = (unsigned)(n % DP_TLOG_TILE_WIDTH);
	v->edge[tl].n = tn;
	v->edge[tl].w = slot + 1;
	memcpy(v->edge[tl].h + (size_t)slot * DP_TLOG_HASH, h, DP_TLOG_HASH);
	/* a tile full at the latest checkpoint must be stored, whole and equal */
	if (slot + 1 == DP_TLOG_TILE_WIDTH && v->range.size + 1 <= v->latest) {
		int r = dps_log_tile(v->s, tl, tn, DP_TLOG_TILE_WIDTH, v->tile);
		if (r == DP_ENOTFOUND)
			problem(v, "tile %u/%llu is missing or short", tl, (unsigned long long)tn);
		else if (r)
			return r;
		else if (memcmp(v->tile, v->edge[tl].h, sizeof v->tile) != 0)
			problem(v, "tile %u/%llu differs from the hashes of the entries", tl,
				(unsigned long long)tn);
	}
	return DP_OK;
}

/* The stored checkpoints of the size just reached. */
static int verify_checkpoints(struct vctx *v)
{
	uint8_t root[DP_TLOG_HASH];
	while (v->have_cp && v->cp.size == v->range.size) {
		dp_tlog_range_root(&v->range, root);
		if (memcmp(root, v->cp.root, DP_TLOG_HASH) != 0)
			problem(v, "checkpoint %llu: its root is not the root of the first %llu entries",
				(unsigned long long)v->cp.size, (unsigned long long)v->cp.size);
		if (dpl_checkpoint_ok(&v->cp, v->vk) != DP_OK)
			problem(v, "checkpoint %llu: its note does not verify under %s or does not say "
				   "its size and root", (unsigned long long)v->cp.size, v->vk->name);
		v->ncp++;
		int r = dps_log_checkpoint_next(v->s, (int64_t)v->cp.size, &v->cp);
		v->have_cp = r == DP_OK;
		if (r && r != DP_ENOTFOUND)
			return r;
	}
	/* at the latest checkpoint: the partial tiles of its right edge */
	if (v->range.size == v->latest)
		for (unsigned tl = 0; tl < DPL_TLEVELS; tl++) {
			uint64_t count = tl ? v->latest >> (8 * tl) : v->latest;
			unsigned w = (unsigned)(count % DP_TLOG_TILE_WIDTH);
			if (!w)
				continue;
			int r = dps_log_tile(v->s, tl, count / DP_TLOG_TILE_WIDTH, w, v->tile);
			if (r == DP_ENOTFOUND)
				problem(v, "partial tile %u/%llu.p/%u is missing", tl,
					(unsigned long long)(count / DP_TLOG_TILE_WIDTH), w);
			else if (r)
				return r;
			else if (memcmp(v->tile, v->edge[tl].h, (size_t)w * DP_TLOG_HASH) != 0)
				problem(v, "partial tile %u/%llu.p/%u differs from the hashes of the "
					   "entries", tl, (unsigned long long)(count / DP_TLOG_TILE_WIDTH), w);
		}
	return DP_OK;
}

static int verify_entry(void *ctx, uint64_t idx, const uint8_t *e, size_t len)
{
	struct vctx *v = ctx;
	uint8_t h[DP_TLOG_HASH];
	if (dp_logent_decode(&v->e, e, len) != DP_OK)
		problem(v, "entry %llu is not a valid DENPO-LOG/1 entry", (unsigned long long)idx);
	dp_tlog_leaf_hash(h, e, len);
	int r = dp_tlog_range_append(&v->range, h, verify_emit, v);
	if (!r)
		r = verify_checkpoints(v);
	return r;
}

static int verify_tile_shape(void *ctx, unsigned tl, uint64_t n, unsigned w)
{
	struct vctx *v = ctx;
	unsigned want = dp_tlog_tile_width(tl, n, v->latest);
	if (w != want)
		problem(v, "tile %u/%llu holds %u hashes; the latest checkpoint (size %llu) gives it %u",
			tl, (unsigned long long)n, w, (unsigned long long)v->latest, want);
	return DP_OK;
}

int dpl_verify(dps_store *s, const dp_note_vkey *vk, FILE *out)
{
	struct vctx *v = calloc(1, sizeof *v);
	if (!v)
		return DP_ENOMEM;
	v->s = s;
	v->vk = vk;
	v->out = out;
	dp_tlog_range_init(&v->range);
	uint64_t entries = 0;
	/* one snapshot: a running signer may commit meanwhile */
	int r = dps_snapshot_begin(s);
	if (!r)
		r = dps_log_size(s, &entries);
	if (!r) {
		r = dps_log_latest(s, &v->cp);
		v->latest = r == DP_OK ? v->cp.size : 0;
		if (r == DP_ENOTFOUND) {
			problem(v, "no checkpoint is stored (has denpod run ever started?)");
			r = DP_OK;
		}
	}
	if (!r && v->latest > entries)
		problem(v, "the latest checkpoint has %llu entries; only %llu are stored",
			(unsigned long long)v->latest, (unsigned long long)entries);
	if (!r) {
		r = dps_log_checkpoint_next(s, -1, &v->cp);
		v->have_cp = r == DP_OK;
		r = r == DP_ENOTFOUND ? DP_OK : r;
	}
	if (!r)
		r = verify_checkpoints(v); /* size 0 */
	if (!r)
		r = dps_log_entries(s, 0, entries, verify_entry, v);
	if (!r && v->range.size != entries)
		problem(v, "%llu entries counted but %llu read", (unsigned long long)entries,
			(unsigned long long)v->range.size);
	if (!r && v->have_cp)
		problem(v, "checkpoint %llu is beyond the %llu stored entries",
			(unsigned long long)v->cp.size, (unsigned long long)v->range.size);
	if (!r)
		r = dps_log_tiles(s, verify_tile_shape, v);
	dps_snapshot_end(s);
	if (r)
		fprintf(out, "log verify: cannot read the log: %s\n", dp_strerror(r));
	else if (v->problems > VERIFY_REPORT_MAX)
		fprintf(out, "log verify: ... %u problems in all\n", v->problems);
	if (!r && !v->problems)
		fprintf(out, "log verify: ok: %llu entries, %llu checkpoints (latest %llu), signed by %s\n",
			(unsigned long long)entries, (unsigned long long)v->ncp,
			(unsigned long long)v->latest, vk->name);
	if (!r && v->problems)
		r = DP_ESTATE;
	free(v);
	return r;
}
