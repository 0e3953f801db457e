/*
 * denpod/check.c - stored copies against what vouches for them (see
 * check.h and docs/operations.md, "Damage and recovery").
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denpo/crypto.h"
#include "denpo/encoding.h"
#include "denpod/cable_rules.h"
#include "denpod/db.h"
#include "denpod/check.h"
#include "denpod/detect_srv.h"
#include "denpod/tlog.h"

/* ---- a cable's bytes ---- */

struct entry_read {
	dp_logent *e;
	uint8_t leaf[DP_TLOG_HASH];
	int read, decoded;
};

static int entry_one(void *ctx, uint64_t idx, const uint8_t *p, size_t len)
{
	struct entry_read *x = ctx;
	x->read = 1;
	dp_tlog_leaf_hash(x->leaf, p, len);
	x->decoded = dp_logent_decode(x->e, p, len) == DP_OK;
	return DP_OK;
}

/* Whether entry idx still hashes to its leaf in the tiles: 1 yes, 0 no, -1 not under a tile yet. */
static int leaf_intact(dps_store *s, uint64_t idx, const uint8_t leaf[DP_TLOG_HASH])
{
	uint8_t tile[DP_TLOG_TILE_WIDTH * DP_TLOG_HASH];
	unsigned slot = (unsigned)(idx % DP_TLOG_TILE_WIDTH);
	if (dps_log_tile(s, 0, idx / DP_TLOG_TILE_WIDTH, slot + 1, tile) != DP_OK)
		return -1;
	return memcmp(tile + (size_t)slot * DP_TLOG_HASH, leaf, DP_TLOG_HASH) == 0;
}

void dpk_damage(dpo_damage *d, const char *part, const dps_cable *c, int64_t log_index,
		const char *fmt, ...)
{
	va_list ap;
	memset(d, 0, sizeof *d);
	snprintf(d->part, sizeof d->part, "%s", part);
	if (c) {
		d->has_cable = 1;
		memcpy(d->cable_id, c->cable_id, DP_CABLE_ID);
		snprintf(d->mrn, sizeof d->mrn, "%.*s", DP_MRN_MAX, c->mrn); /* a row's MRN may be damaged too */
	}
	d->log_index = log_index;
	va_start(ap, fmt);
	vsnprintf(d->detail, sizeof d->detail, fmt, ap);
	va_end(ap);
}

/* The short hex of a digest for a message: its first 8 bytes. */
static void short_hex(char out[17], const uint8_t h[32])
{
	dp_hex_encode(out, h, 8);
}

/* ent: the entry's bytes if the caller read them with the cable's (NULL: read here). */
static int cable_vs_entry(dps_store *s, const dps_cable *c, const uint8_t h[32], size_t len,
			  const dp_buf *ent, dp_logent *e, dpo_damage *d)
{
	uint64_t idx = (uint64_t)c->log_idx;
	struct entry_read x = {e, {0}, 0, 0};
	int r = DP_OK;
	if (ent && ent->len)
		r = entry_one(&x, idx, ent->p, ent->len);
	else if (!ent)
		r = dps_log_entries(s, idx, 1, entry_one, &x);
	if (r && r != DP_ESTORE)
		return r;
	if (r || !x.read) {
		dpk_damage(d, "log-entry", c, c->log_idx, "its cable-accepted log entry %llu cannot be "
			   "read (missing, or the database is damaged)", (unsigned long long)idx);
		return DP_ESTATE;
	}
	int vouches = x.decoded && e->event == DP_LOG_CABLE_ACCEPTED && e->part == 1 &&
		      memcmp(e->cable_id, c->cable_id, DP_CABLE_ID) == 0;
	if (vouches && memcmp(e->envelope_hash, h, 32) == 0)
		return DP_OK; /* the fast path: every fetch of a sound copy */
	/* something differs: the entry's own leaf hash says whether it is the entry */
	int intact = leaf_intact(s, idx, x.leaf);
	if (!x.decoded || intact == 0) {
		dpk_damage(d, "log-entry", c, c->log_idx, "its cable-accepted log entry %llu is damaged "
			   "(%s), so its bytes cannot be vouched for", (unsigned long long)idx,
			   !x.decoded ? "not a valid entry" : "it does not hash to its leaf in the tiles");
		return DP_ESTATE;
	}
	if (!vouches) {
		/* the entry is what the tree says: the row's pointer to it is what changed */
		dpk_damage(d, "cable", c, c->log_idx, "its row points to log entry %llu, which is not "
			   "its cable-accepted entry", (unsigned long long)idx);
		return DP_ESTATE;
	}
	char got[17], want[17];
	short_hex(got, h);
	short_hex(want, e->envelope_hash);
	uint8_t col[32];
	int both = dps_cable_digest(s, c->seq, col) == DP_OK && memcmp(col, h, 32) == 0;
	dpk_damage(d, "cable", c, c->log_idx, "its %zu stored bytes hash to %s..., not to the "
		   "Envelope-Hash %s... of its cable-accepted log entry %llu%s", len, got, want,
		   (unsigned long long)idx,
		   both ? " (the digest stored beside them matches the new bytes: changed on purpose, "
			  "not by a failing disk)" : "");
	return DP_ESTATE;
}

/* dpk_cable, with the entry's bytes already read (ent; NULL: read them). */
static int cable_check(dps_store *s, const dps_cable *c, const uint8_t *data, size_t len,
		       const dp_buf *ent, dp_logent *e, dpo_damage *d)
{
	uint8_t h[32];
	dp_sha256(h, data, len);
	if (c->log_idx < 0) {
		/* stored without the log (never by the API): only the digest beside it vouches */
		uint8_t col[32];
		int r = dps_cable_digest(s, c->seq, col);
		if (r || memcmp(col, h, 32) == 0)
			return r;
		dpk_damage(d, "cable", c, -1, "its %zu stored bytes do not hash to the digest stored "
			   "beside them (it has no log entry)", len);
		return DP_ESTATE;
	}
	dp_logent *mine = e ? NULL : malloc(sizeof *mine);
	if (!e && !mine)
		return DP_ENOMEM;
	int r = cable_vs_entry(s, c, h, len, ent, e ? e : mine, d);
	free(mine);
	return r;
}

int dpk_cable(dps_store *s, const dps_cable *c, const uint8_t *data, size_t len, dp_logent *e,
	      dpo_damage *d)
{
	return cable_check(s, c, data, len, NULL, e, d);
}

int dpk_cable_read(dps_store *s, const dps_cable *c, dp_buf *data, dp_logent *e, dpo_damage *d)
{
	dp_buf ent;
	dp_buf_init(&ent, DP_TLOG_ENTRY_MAX);
	/* one statement, as a fetch read before: a second costs a fetch half again */
	int r = dps_cable_read(s, c->seq, data, &ent);
	if ((r && dps_corrupt(s)) || r == DP_ETOOBIG) {
		dpk_damage(d, "cable", c, c->log_idx, "its bytes cannot be read: %s",
			   r == DP_ETOOBIG ? "they are longer than any cable the switch accepts"
					   : "SQLite finds the database file damaged there");
		r = DP_ESTATE;
	} else if (!r) {
		r = cable_check(s, c, data->p, data->len, &ent, e, d);
	}
	dp_buf_free(&ent);
	return r;
}

/* ---- the database file ---- */

struct db_print {
	FILE *out;
	const char *prefix;
	char first[DPO_DETAIL_MAX + 1];
};

static void db_line(void *ctx, const char *line)
{
	struct db_print *p = ctx;
	if (p->out)
		fprintf(p->out, "%s%s\n", p->prefix, line);
	if (!p->first[0])
		snprintf(p->first, sizeof p->first, "%s", line);
}

/* ---- MRN serials near their limit ---- */

struct mrn_warn {
	FILE *out;
	const char *prefix;
	int year, n;
};

static int mrn_warn_one(void *ctx, const char *post, int64_t serial)
{
	struct mrn_warn *w = ctx;
	char m[512];
	dpr_mrn_warning(m, sizeof m, post, w->year, serial);
	fprintf(w->out, "%s%s\n", w->prefix, m);
	w->n++;
	return DP_OK;
}

int dpk_mrn_warnings(dps_store *s, int64_t now, FILE *out, const char *prefix)
{
	struct mrn_warn w = {out, prefix, dpr_mrn_year(now), 0};
	int r = dps_mrn_serials(s, w.year, DPR_MRN_WARN, mrn_warn_one, &w);
	if (r) {
		fprintf(out, "%sMRN: the serial counters cannot be read: %s\n", prefix, dp_strerror(r));
		return -1;
	}
	return w.n;
}

/* ---- the start ---- */

void dpk_start_refused(const dpc_config *cfg, const char *part, const char *detail)
{
	dpo_out *o = NULL;
	dpo_damage d;
	dpk_damage(&d, part, NULL, -1, "%s; denpod refused to start", detail);
	d.t_ms = dp_now() * 1000;
	snprintf(d.found_by, sizeof d.found_by, "start");
	/* the outputs are opened here: detection, which keeps them, does not run yet */
	if (dpd_det_outputs_open(cfg, &o, NULL, 0) == DP_OK)
		(void)dpo_emit_damage(o, &d);
	dpo_close(o);
}

int dpk_open_start(dps_store **out, const dpc_config *cfg)
{
	char path[DPC_PATH_MAX];
	dps_store *s = NULL;
	*out = NULL;
	int r = dpc_store_target(cfg, path, sizeof path);
	if (r)
		return r;
	char shown[DPC_STORE_MAX + 1];
	dpdb_redact(shown, sizeof shown, path);
	int pg = dpdb_kind_of(path) == DPDB_PG;
	r = dps_open(&s, path, 0);
	for (int waited = 0; r == DP_ESTORE && pg && waited < DPK_PG_START_WAIT; waited++) {
		if (waited == 0)
			fprintf(stderr, "denpod: the database %s cannot be reached now: trying again each second "
					"for %d s (a failover takes seconds)\n", shown, DPK_PG_START_WAIT);
		sleep(1);
		r = dps_open(&s, path, 0);
	}
	if (r && pg) {
		fprintf(stderr, "denpod: not starting: the database %s cannot be reached (see above).  Check "
				"that PostgreSQL runs and accepts writes there, and the store= URI in %s/denpod.conf "
				"(hosts, database, password)\n", shown, cfg->dir);
		return r;
	}
	if (r) {
		fprintf(stderr, "denpod: not starting: the database %s cannot be opened (see above).  If "
				"it is damaged, `denpod check --data %s` says where, and docs/operations.md, "
				"\"Damage and recovery\", how to restore it\n", shown, cfg->dir);
		return r;
	}
	struct db_print p = {stderr, "denpod: database: ", ""};
	r = dps_db_check(s, 0, NULL, db_line, &p);
	if (r == DP_EUNSUPP)
		r = DP_OK; /* PostgreSQL checks its own pages (data checksums) */
	if (r) {
		fprintf(stderr, "denpod: not starting: the database %s fails SQLite's quick_check (see "
				"above).  Run `denpod check --data %s` for the whole picture; "
				"docs/operations.md, \"Damage and recovery\", says how to restore it\n",
			path, cfg->dir);
		char detail[DPO_DETAIL_MAX + 1];
		snprintf(detail, sizeof detail, "SQLite's quick_check fails: %.400s", p.first);
		dpk_start_refused(cfg, "database", detail);
		dps_close(s);
		return DP_ESTATE;
	}
	(void)dpk_mrn_warnings(s, dp_now(), stderr, "denpod: warning: ");
	*out = s;
	return DP_OK;
}
