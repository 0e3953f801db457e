/*
 * denpod/tlog.h - the switch's transparency log (docs/api.md, "The
 * transparency log"): an append-only RFC 6962 Merkle tree of
 * DENPO-LOG/1 entries (denpo/logentry.h), laid out as C2SP tlog-tiles,
 * with checkpoints signed as C2SP signed notes by the log key.
 *
 * Entries are appended by whoever changes the state, in the same
 * transaction as the change (the batch writer, the admin commands): an
 * access is never durable without its entry, nor the reverse.  One signer
 * (the "integrator", a thread of `denpod run` with its own connection)
 * hashes what was appended since its last checkpoint into the tiles and
 * signs the next checkpoint, tiles and checkpoint in one transaction.
 *
 * Never two roots for one size: entries are immutable and the signer only
 * extends the tree it loaded and checked; before storing a checkpoint it
 * also looks for a stored one of that size with another root, and if it
 * finds one it stops signing for good and says so.
 */
#ifndef DENPOD_TLOG_H
#define DENPOD_TLOG_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "denpo/logentry.h"
#include "denpo/tlog.h"
#include "denpod/config.h"
#include "denpod/store.h"

#define DPL_ROUND_MAX 100000 /* entries per signing round: a backlog still yields checkpoints */
#define DPL_TICK_MS 200      /* the signer looks for entries of other processes this often */
#define DPL_GAP_MS 50        /* and signs at most this often (checkpoint rows under load) */
/* the signing lease (several instances on PostgreSQL, store.h dps_log_lease): renewed this often,
   running out this long after its last renewal; the holder stops signing a renewal before that */
#define DPL_LEASE_RENEW_MS 1000
#define DPL_LEASE_MS 5000
#define DPL_TLEVELS 8        /* tile levels of a uint64 tree (tree levels 0..63) */
#define DPL_ROLE_AUDIT "AUDIT" /* officers whose devices may read entry bundles */

/* ---- producers ---- */

/* A reusable entry and its encoding buffer (one per writer; large). */
typedef struct {
	dp_logent e;
	dp_buf b;
} dpl_enc;

dpl_enc *dpl_enc_new(void);
void dpl_enc_free(dpl_enc *x);
/* x->e cleared, with its event and time set; the caller fills the rest. */
dp_logent *dpl_ent(dpl_enc *x, int event, int64_t t);
/* Source from a peer address ("" or one that is no address: absent). */
void dpl_source(dp_logent *e, const char *addr);
/*
 * Encodes x->e and appends it (inside the caller's transaction); an admin
 * entry with Act LOG-ROLLBACK is also listed in the rollbacks (store.h).
 */
int dpl_put(dps_store *s, dpl_enc *x, uint64_t *idx) DP_WUR;
/*
 * An alert entry (Rule, Device, Detail: the caller's text, printable and
 * at most DP_LOG_TEXT_MAX) at time t, appended as dpl_put does; *idx (may
 * be NULL) gets its index.  Detection's alerts and the devices' reports.
 */
int dpl_alert(dps_store *s, dpl_enc *x, int64_t t, const char *rule, const uint8_t device[32],
	      const char *detail, uint64_t *idx) DP_WUR;
/*
 * The cable-accepted entries of a cable just stored (sub after
 * dps_cable_insert, not duplicate): one per DP_LOG_RCPTS_PER_ENTRY
 * recipients, sorted by device.  *first: the first part's index.
 */
int dpl_cable_accepted(dps_store *s, dpl_enc *x, const dps_submit *sub, const char *addr,
		       uint64_t *first) DP_WUR;

/* ---- keys ---- */

/* The log's verifier key "<origin>+<id>+<b64>" (loads log.key, keeps nothing). */
int dpl_vkey(const dpc_config *cfg, char *out, size_t cap) DP_WUR;

/* ---- reading the tree ---- */

/* A dp_tlog_tile_reader over the stored tiles; ctx is a dps_store. */
int dpl_tile_read(void *ctx, unsigned tlevel, uint64_t from, size_t count, uint8_t *out);

/* ---- the signer ---- */

typedef struct dpl_log dpl_log;

/*
 * Opens the log of the data directory on its own connection: loads the
 * key, checks the stored tree against the latest checkpoint (its signature
 * under this key and origin, its root recomputed from the tiles, the
 * newest entries against their leaf hashes), verifies every entry, tile
 * and checkpoint from the mark (the last size verified in full, see
 * dpl_mark_get) to the end and raises the mark, and signs what was
 * appended since (at least a checkpoint of size 0 for an empty log).
 * DP_ESTATE, with a message, for a log that does not check: never signed on.
 * wlock (may be NULL) is held around each write transaction, shared with
 * the process's other writer so neither starves in SQLite's busy loop.
 */
int dpl_open(dpl_log **out, const dpc_config *cfg, pthread_mutex_t *wlock, int signer) DP_WUR;
/*
 * One round: integrates up to DPL_ROUND_MAX new entries and signs them.
 * *n (may be NULL) gets the number integrated (0: nothing new).
 * DP_ESTATE once a fork was refused (the signer stays stopped); a store
 * error (the database away) is simply tried again at the next round.
 */
int dpl_round(dpl_log *l, uint64_t *n) DP_WUR;
/* The signer thread: a round after each dpl_kick, else every DPL_TICK_MS. */
int dpl_start(dpl_log *l) DP_WUR;
void dpl_kick(dpl_log *l);
/* Stops the thread, signs what is left, frees everything (l may be NULL). */
void dpl_close(dpl_log *l);
/*
 * Whether the signer thread keeps up (thread-safe): *ago_ms since its last
 * round that succeeded (or since dpl_start; -1 before), *failed = 1 once it
 * stopped on a fork.  The readiness check and the metrics (denpod/health.h).
 */
void dpl_signer_state(dpl_log *l, int64_t *ago_ms, int *failed);
/*
 * The checkpoint answers carry (thread-safe): the latest signed one once the
 * database says a failover keeps it (store.h dps_log_latest_durable; size 0:
 * none yet).  It may go back: after a failover that lost checkpoints, the
 * database's latest (dpl_pub_next).
 */
void dpl_latest(dpl_log *l, dps_checkpoint *c);
/*
 * What an instance serving `served` (size 0: nothing) does with `db`, the
 * database's latest checkpoint (made durable): DPL_PUB_KEEP the same one,
 * DPL_PUB_AHEAD a larger one (serves it), DPL_PUB_BACK a smaller one, or
 * another root at the same size (the database went back, a failover lost
 * what was served: serves the database's rather than one the log no longer
 * has, and says so).
 */
enum { DPL_PUB_KEEP, DPL_PUB_AHEAD, DPL_PUB_BACK };
int dpl_pub_next(const dps_checkpoint *served, const dps_checkpoint *db);
/* The log's verifier key (the public half of log.key; valid while l is open). */
const dp_note_vkey *dpl_verifier(const dpl_log *l);

/* ---- checks ---- */

/*
 * Whether a stored checkpoint is signed by vk for its origin and says the
 * size and root of its row.  DP_OK or DP_ESIG / DP_EPARSE.
 */
int dpl_checkpoint_ok(const dps_checkpoint *c, const dp_note_vkey *vk) DP_WUR;
/*
 * `denpod log verify`: recomputes every leaf hash and tile from the
 * entries, checks each entry decodes, each stored checkpoint's signature
 * and root, and that the stored tiles are exactly those of the latest
 * checkpoint, in one read snapshot (or inside the caller's write
 * transaction, which is one: `denpod migrate` checks its copy before it
 * commits).  Problems are printed to `out` (the first 20, then their
 * count); DP_OK only if there are none, DP_ESTATE if there are, another
 * code if the log cannot be read at all.
 */
int dpl_verify(dps_store *s, const dp_note_vkey *vk, FILE *out) DP_WUR;

/*
 * A walk over the stored log, for `denpod log verify`, the start and the
 * scrub (denpod/scrub.h), in steps the caller paces.  It verifies, from a
 * base `from` on, every entry (it decodes; its leaf hash, and every full
 * tile and the latest checkpoint's partial tiles against the hashes
 * recomputed from the entries) and every stored checkpoint above the base
 * up to the latest (its root is the root of that many entries; its note
 * verifies under vk and says its size and root).  `end` and the latest
 * checkpoint are those stored when the walk begins; entries, full tiles
 * and checkpoints below them never change, so the steps may run in
 * separate read transactions while the signer goes on.
 *
 * The base: 0 (the whole log) or the size of a stored checkpoint whose
 * root is `root`, which the caller verified in full earlier (the mark
 * below): the tree under it is read from the tiles and must give that
 * root (else a problem, and the walk stops).  A base that names no stored
 * checkpoint with that root is DP_ENOTFOUND: no base.
 *
 * Damage is never an error: each problem goes to cb->problem (a part,
 * "log-entry", "log-tile", "checkpoint" or "log", where, and a message)
 * and is counted; errors are failures to read at all.
 */
typedef struct {
	const char *part; /* what is damaged: "log-entry", "log-tile", "checkpoint", "log" */
	uint64_t at;      /* the entry (a tile: its first entry; a checkpoint: its size) */
	const char *msg;  /* one line, valid during the call only */
} dpl_problem;
typedef struct {
	void (*problem)(void *ctx, const dpl_problem *p); /* may be NULL */
	void *problem_ctx;
	int (*entry)(void *ctx, uint64_t idx, const dp_logent *e); /* each entry that decodes; may be NULL */
	void *entry_ctx;
} dpl_walk_cb;
typedef struct dpl_walk dpl_walk;
/* whole: the walk runs in one snapshot, so every stored tile's width is checked too. */
int dpl_walk_begin(dpl_walk **w, dps_store *s, const dp_note_vkey *vk, uint64_t from,
		   const uint8_t root[32], int whole, const dpl_walk_cb *cb) DP_WUR;
/* Up to max more entries; *done = 1 once every entry is walked (or the walk had to stop). */
int dpl_walk_step(dpl_walk *w, uint64_t max, int *done) DP_WUR;
/* The last checkpoint passed that checked (the base at first), and the entry bytes read. */
void dpl_walk_at(const dpl_walk *w, uint64_t *size, uint8_t root[32], uint64_t *bytes);
/* The final checks; frees w.  *problems (may be NULL): all problems found, *checkpoints met. */
int dpl_walk_end(dpl_walk *w, unsigned *problems, uint64_t *checkpoints) DP_WUR;
/* Steps of max entries to the end, dpl_walk_at (at, root may be NULL), then dpl_walk_end. */
int dpl_walk_finish(dpl_walk *w, uint64_t max, uint64_t *at, uint8_t root[32], unsigned *problems,
		    uint64_t *checkpoints) DP_WUR;

/*
 * The mark: the size up to which the log was last verified in full, with
 * that checkpoint's root (meta "log_verified").  The start verifies only
 * from it on (so a large log still starts fast), and a walk based on it
 * re-derives the root from the tiles and compares it with the stored,
 * signed checkpoint of that size: a damaged mark names no such checkpoint
 * and is ignored (the whole log is verified), it cannot make the start
 * skip anything.  The start and a scrub pass that found nothing raise it;
 * a scrub that finds the log damaged lowers it to 0, so the next start
 * walks the whole log (and refuses) instead of skipping the damage.
 * dpl_mark_get: DP_ENOTFOUND if absent, DP_EPARSE if malformed.
 * dpl_mark_raise / dpl_mark_lower: in their own transaction (under wlock,
 * may be NULL), each only moves the mark its way.
 */
int dpl_mark_get(dps_store *s, uint64_t *size, uint8_t root[32]) DP_WUR;
int dpl_mark_raise(dps_store *s, pthread_mutex_t *wlock, uint64_t size, const uint8_t root[32]) DP_WUR;
int dpl_mark_lower(dps_store *s, pthread_mutex_t *wlock, uint64_t size, const uint8_t root[32]) DP_WUR;

#endif
