/*
 * denpo/audit_mirror.c - an auditor's verified mirror of the switch's
 * transparency log (docs/transparency.md §5), in HOME/audit/:
 *
 *   checkpoint      the signed note the mirror is verified up to (0600)
 *   entries/<N>     full entry bundles (256 entries, uint16-length framed),
 *                   exactly as the switch served them; never refetched
 *   entries/<N>.p   the partial bundle at the right edge (refetched next sync;
 *                   a wider one than the checkpoint needs is read up to its width)
 *   entries/<N>[.p].new  bundles of a sync in progress: renamed into place only
 *                   once every leaf hash and both roots check, before the
 *                   checkpoint is replaced, so a failed or interrupted sync
 *                   leaves the mirror as it was
 *   lock            flock'd by sync
 *   fork-evidence-<unix>.txt   if the switch showed the mirror a forked log
 *
 * Sync follows the newest checkpoint the switch says is witnessed
 * (GET /v1/log/witnessed?min=K, cosignatures counted only if they verify),
 * else the latest one, with a warning that no device vouches for it.  It
 * checks the new checkpoint under the log key, its consistency with
 * the mirror's previous one (the device's witness rules, denpo/witness.c),
 * then recomputes every leaf hash and the root from the bundles: the root
 * must be the checkpoint's, and the root of the first M entries the
 * previous checkpoint's.  Opening the mirror for a query recomputes them
 * again from the files, so a mirror changed on disk is caught too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "denpo/cli.h"
#include "denpo/encoding.h"
#include "denpo/num.h"

#define W DP_TLOG_TILE_WIDTH

static int mkdir_p(const char *p)
{
	if (mkdir(p, 0700) == 0 || errno == EEXIST)
		return DP_OK;
	return DP_EIO;
}

static void bundle_path(const cli_ctx *x, uint64_t b, int partial, char out[PATH_MAX])
{
	char name[64];
	snprintf(name, sizeof name, "audit/entries/%llu%s", (unsigned long long)b, partial ? ".p" : "");
	cli_path(x, out, name);
}

/* entries/<N>[.p].new: a bundle fetched by a sync that has not checked out yet. */
static void bundle_tmp_path(const cli_ctx *x, uint64_t b, int partial, char out[PATH_MAX])
{
	char name[64];
	snprintf(name, sizeof name, "audit/entries/%llu%s.new", (unsigned long long)b, partial ? ".p" : "");
	cli_path(x, out, name);
}

/*
 * Bytes of the first w entries of a bundle (0 if it has fewer).  A partial
 * bundle wider than the mirror's checkpoint needs (a sync interrupted
 * between renaming the new bundles and storing the new checkpoint) is read
 * up to the width: its first w entries are then re-hashed to the root.
 */
static size_t bundle_prefix(const uint8_t *p, size_t len, unsigned w)
{
	size_t off = 0;
	for (unsigned i = 0; i < w; i++) {
		if (len - off < 2)
			return 0;
		size_t l = (size_t)p[off] << 8 | p[off + 1];
		if (len - off - 2 < l)
			return 0;
		off += 2 + l;
	}
	return off;
}

void audit_mirror_free(audit_mirror *m)
{
	cli_ckpt_free(&m->ck);
	free(m->leaf);
	free(m->nodes);
	memset(m, 0, sizeof *m);
}

/* Hashes a bundle's entries into the range (and leaf array), calls the user callback. */
typedef struct {
	dp_tlog_range *rng;
	uint8_t (*leaf)[DP_TLOG_HASH];
	uint64_t base;
	uint64_t stop;            /* size at which to snapshot the root (0: none) */
	uint8_t stop_root[DP_TLOG_HASH];
	int have_stop;
	audit_entry_cb cb;
	void *ctx;
	int cb_err;
} bundle_ctx;

static int on_entry(void *ctx, unsigned i, const uint8_t *e, size_t elen)
{
	bundle_ctx *b = ctx;
	uint64_t idx = b->base + i;
	uint8_t h[DP_TLOG_HASH];
	dp_tlog_leaf_hash(h, e, elen);
	if (b->leaf)
		memcpy(b->leaf[idx], h, DP_TLOG_HASH);
	int r = dp_tlog_range_append(b->rng, h, NULL, NULL);
	if (r)
		return r;
	if (b->stop && b->rng->size == b->stop) {
		dp_tlog_range_root(b->rng, b->stop_root);
		b->have_stop = 1;
	}
	if (b->cb && !b->cb_err)
		b->cb_err = b->cb(b->ctx, idx, e, elen);
	return DP_OK;
}

/* Width of entry bundle b in a tree of `size` leaves (0: none). */
static unsigned bundle_width(uint64_t b, uint64_t size)
{
	return dp_tlog_tile_width(0, b, size);
}

int audit_mirror_open(cli_ctx *x, audit_mirror *m, int keep_leaves, audit_entry_cb cb, void *ctx,
		      char *why, size_t whycap)
{
	memset(m, 0, sizeof *m);
	why[0] = 0;
	dp_note_vkey k;
	int r = cli_log_key(x, &k);
	if (r) {
		snprintf(why, whycap, "the enrolment answer has no usable log key");
		return r;
	}
	char p[PATH_MAX];
	cli_path(x, p, "audit/checkpoint");
	r = cli_ckpt_load(&k, p, &m->ck);
	if (r == DP_ENOTFOUND) {
		snprintf(why, whycap, "there is no mirror of the log here yet");
		return r;
	}
	if (r) {
		snprintf(why, whycap, "the mirror's checkpoint %s does not verify under the log key", p);
		return DP_ESIG;
	}
	uint64_t size = m->ck.cp.size;
	if (keep_leaves && size) {
		if (size > SIZE_MAX / DP_TLOG_HASH || !(m->leaf = malloc((size_t)size * DP_TLOG_HASH))) {
			audit_mirror_free(m);
			return DP_ENOMEM;
		}
	}
	dp_tlog_range rng;
	dp_tlog_range_init(&rng);
	bundle_ctx bc = {.rng = &rng, .leaf = m->leaf, .cb = cb, .ctx = ctx};
	dp_buf b;
	dp_buf_init(&b, DP_CLIENT_BUNDLE_MAX);
	for (uint64_t n = 0; !r && n * W < size; n++) {
		unsigned w = bundle_width(n, size);
		bundle_path(x, n, w < W, p);
		dp_buf_reset(&b);
		b.len = 0;
		r = dp_read_file(p, &b);
		if (r) {
			snprintf(why, whycap, "the mirror lacks %s (%s): run `denpo audit sync`", p,
				 dp_strerror(r));
			break;
		}
		bc.base = n * W;
		if (w < W) {
			size_t pl = bundle_prefix(b.p, b.len, w);
			if (pl && pl < b.len)
				b.len = pl;
		}
		r = dp_tlog_bundle_parse(b.p, b.len, w, on_entry, &bc);
		if (r)
			snprintf(why, whycap, "the mirror's bundle %s is damaged (%s): run `denpo audit sync --full`",
				 p, dp_strerror(r));
		else if (bc.cb_err)
			r = bc.cb_err;
	}
	dp_buf_free(&b);
	uint8_t root[DP_TLOG_HASH];
	if (!r) {
		dp_tlog_range_root(&rng, root);
		if (rng.size != size || memcmp(root, m->ck.cp.root, DP_TLOG_HASH) != 0) {
			snprintf(why, whycap, "the mirror's entries do not hash to its checkpoint's root: "
					      "it was changed on disk; run `denpo audit sync --full`");
			r = DP_ESIG;
		}
	}
	if (r)
		audit_mirror_free(m);
	return r;
}

/* ---- proofs over the mirror ---- */

/* Node (level, n) from the levels built by audit_mirror_tree. */
static int node_reader(void *ctx, unsigned level, uint64_t n, uint8_t out[DP_TLOG_HASH])
{
	const audit_mirror *m = ctx;
	if (level >= 64 || level > m->nlevels || n >= (m->ck.cp.size >> level))
		return DP_EINVAL; /* not a complete node of this tree */
	memcpy(out, m->nodes + (m->level_off[level] + n) * DP_TLOG_HASH, DP_TLOG_HASH);
	return DP_OK;
}

int audit_mirror_prove(audit_mirror *m, uint64_t index, uint8_t proof[DP_TLOG_PROOF_MAX][DP_TLOG_HASH],
		       size_t *n)
{
	uint64_t size = m->ck.cp.size;
	if (!m->leaf || index >= size)
		return DP_EINVAL;
	if (!m->nodes) {
		/* every complete node, level by level: about 2 * size hashes */
		uint64_t total = 0;
		unsigned lv = 0;
		for (uint64_t c = size; c; c >>= 1, lv++) {
			m->level_off[lv] = total;
			total += c;
		}
		m->nlevels = lv ? lv - 1 : 0;
		if (total > SIZE_MAX / DP_TLOG_HASH || !(m->nodes = malloc((size_t)total * DP_TLOG_HASH)))
			return DP_ENOMEM;
		memcpy(m->nodes, m->leaf, (size_t)size * DP_TLOG_HASH);
		for (unsigned l = 1; l < lv; l++) {
			uint64_t cnt = size >> l;
			for (uint64_t i = 0; i < cnt; i++)
				dp_tlog_node_hash(m->nodes + (m->level_off[l] + i) * DP_TLOG_HASH,
						  m->nodes + (m->level_off[l - 1] + 2 * i) * DP_TLOG_HASH,
						  m->nodes + (m->level_off[l - 1] + 2 * i + 1) * DP_TLOG_HASH);
		}
	}
	return dp_tlog_prove_inclusion(index, size, node_reader, m, proof, n);
}

/* ---- sync ---- */

static int lock_audit(cli_ctx *x)
{
	char p[PATH_MAX];
	cli_path(x, p, "audit");
	if (mkdir_p(p))
		return -1;
	cli_path(x, p, "audit/entries");
	if (mkdir_p(p))
		return -1;
	return cli_flock(x, "audit/lock", 1);
}

/* Remove entries/<N>.p files other than keep (UINT64_MAX: none). */
static void drop_partials(cli_ctx *x, uint64_t keep)
{
	char d[PATH_MAX];
	cli_path(x, d, "audit/entries");
	DIR *dir = opendir(d);
	if (!dir)
		return;
	struct dirent *de;
	while ((de = readdir(dir))) {
		size_t l = strlen(de->d_name);
		if (l < 3 || strcmp(de->d_name + l - 2, ".p") != 0)
			continue;
		uint64_t v;
		if (dp_num_u64(&v, de->d_name, l - 2, 0, UINT64_MAX) || v == keep)
			continue; /* not a bundle this mirror wrote */
		char p[PATH_MAX];
		bundle_path(x, v, 1, p);
		unlink(p);
	}
	closedir(dir);
}

/*
 * Bundles of the tree of `size` entries: full ones below the mirror's old
 * size m are read from disk (unless full), the rest fetched into
 * entries/<N>[.p].new; the root of all of them must be nw's, that of the
 * first m old's.  Only then are the new files renamed into place (the
 * caller stores the checkpoint after that); on any failure they are
 * removed and the mirror is as it was.
 */
static int mirror_bundles(cli_ctx *x, int full, uint64_t m, uint64_t size, const cli_ckpt *old,
			  const cli_ckpt *nw, audit_sync_result *res, char *why, size_t whycap)
{
	char p[PATH_MAX], q[PATH_MAX];
	int r = DP_OK;
	/* the bundles: kept full ones below the old size, the rest fetched */
	dp_tlog_range rng;
	dp_tlog_range_init(&rng);
	bundle_ctx bc = {.rng = &rng, .stop = m};
	dp_buf b;
	dp_buf_init(&b, DP_CLIENT_BUNDLE_MAX);
	uint64_t nb = size / W + 1, *got = malloc(nb * sizeof *got); /* bundles written as .new */
	size_t ngot = 0;
	if (!got)
		r = DP_ENOMEM;
	for (uint64_t n = 0; !r && n * W < size; n++) {
		unsigned w = bundle_width(n, size);
		int kept = 0;
		dp_buf_reset(&b);
		b.len = 0;
		if (!full && w == W && (n + 1) * W <= m) {
			bundle_path(x, n, 0, p);
			kept = dp_read_file(p, &b) == DP_OK;
		}
		if (!kept) {
			dp_buf_reset(&b);
			b.len = 0;
			r = dp_client_log_tile(x->cl, -1, n, w, &b);
			if (r) {
				snprintf(why, whycap, "cannot get entry bundle %llu", (unsigned long long)n);
				break;
			}
			res->fetched++;
		}
		bc.base = n * W;
		r = dp_tlog_bundle_parse(b.p, b.len, w, on_entry, &bc);
		if (r) {
			snprintf(why, whycap, "%s entry bundle %llu is malformed (%s)",
				 kept ? "the mirror's" : "the switch's", (unsigned long long)n,
				 dp_strerror(r));
			r = DP_ESIG;
			break;
		}
		if (!kept) {
			/* not trusted yet: under a temporary name until both roots check */
			bundle_tmp_path(x, n, w < W, p);
			r = dp_write_file(p, b.p, b.len, 0600, 0);
			if (r)
				snprintf(why, whycap, "cannot write %s", p);
			else
				got[ngot++] = n;
		}
	}
	dp_buf_free(&b);
	if (!r) {
		uint8_t root[DP_TLOG_HASH];
		dp_tlog_range_root(&rng, root);
		if (memcmp(root, nw->cp.root, DP_TLOG_HASH) != 0) {
			snprintf(why, whycap, "the log's entries do not hash to the root of the checkpoint "
					      "of size %llu the switch signed",
				 (unsigned long long)size);
			r = DP_ESIG;
		} else if (m && (!old || !bc.have_stop || memcmp(bc.stop_root, old->cp.root, DP_TLOG_HASH) != 0)) {
			snprintf(why, whycap, "the first %llu entries do not hash to the mirror's previous "
					      "checkpoint",
				 (unsigned long long)m);
			r = DP_ESIG;
		}
	}
	/* checked: into place (a full bundle's content is fixed; a wider partial still
	 * serves the old checkpoint, read up to its width); else away */
	for (size_t i = 0; i < ngot; i++) {
		int part = bundle_width(got[i], size) < W;
		bundle_tmp_path(x, got[i], part, p);
		if (r) {
			unlink(p);
			continue;
		}
		bundle_path(x, got[i], part, q);
		if (rename(p, q) != 0) {
			snprintf(why, whycap, "cannot rename %s to %s: %s", p, q, strerror(errno));
			r = DP_EIO;
			unlink(p);
		}
	}
	free(got);
	return r;
}

/*
 * The checkpoint to mirror up to: the newest one the switch says at least
 * min devices cosigned (GET /v1/log/witnessed?min=K), if that many of its
 * cosignatures verify; else (none yet, or a switch without the endpoint)
 * the latest one, *witnessed = 0.  note gets the signed note.
 */
static int fetch_target(cli_ctx *x, const dp_note_vkey *k, unsigned min, dp_buf *note, int *witnessed,
			char *why, size_t whycap)
{
	char path[64];
	snprintf(path, sizeof path, "/v1/log/witnessed?min=%u", min);
	*witnessed = 0;
	dp_buf_reset(note);
	note->len = 0;
	int r = dp_client_get_raw(x->cl, path, note);
	if (r == DP_OK) {
		cli_ckpt c;
		if (cli_ckpt_open(k, (const char *)note->p, note->len, &c) == DP_OK) {
			*witnessed = audit_count_cosigs(&c) >= min;
			cli_ckpt_free(&c);
		}
		/* one that does not open, or carries fewer good cosignatures: the latest instead */
		if (*witnessed)
			return DP_OK;
	} else if (r != DP_ENOTFOUND) {
		snprintf(why, whycap, "cannot get the log's witnessed checkpoint");
		return r;
	}
	dp_client_clear_message(x->cl);
	dp_buf_reset(note);
	note->len = 0;
	r = dp_client_log_checkpoint(x->cl, note);
	if (r)
		snprintf(why, whycap, "cannot get the log's checkpoint");
	return r;
}

int audit_sync(cli_ctx *x, int full, audit_sync_result *res, char evidence[PATH_MAX], char *why,
	       size_t whycap)
{
	int w;
	return audit_sync_min(x, full, 1, res, &w, evidence, why, whycap);
}

int audit_sync_min(cli_ctx *x, int full, unsigned min_cosigners, audit_sync_result *res, int *witnessed,
		   char evidence[PATH_MAX], char *why, size_t whycap)
{
	memset(res, 0, sizeof *res);
	evidence[0] = 0;
	why[0] = 0;
	*witnessed = 0;
	if (min_cosigners < 1)
		min_cosigners = 1;
	dp_note_vkey k;
	int r = cli_log_key(x, &k);
	if (r) {
		snprintf(why, whycap, "the enrolment answer has no usable log key");
		return r;
	}
	int fd = lock_audit(x);
	if (fd < 0) {
		snprintf(why, whycap, "cannot create or lock the mirror directory");
		return DP_EIO;
	}
	char cpath[PATH_MAX], dir[PATH_MAX];
	cli_path(x, cpath, "audit/checkpoint");
	cli_path(x, dir, "audit");
	cli_ckpt old, nw;
	memset(&nw, 0, sizeof nw);
	r = cli_ckpt_load(&k, cpath, &old);
	int have_old = r == DP_OK;
	if (r == DP_ENOTFOUND)
		r = DP_OK;
	else if (r)
		snprintf(why, whycap, "the mirror's checkpoint %s does not verify: move the audit "
				      "directory away and sync again", cpath);
	dp_buf note;
	dp_buf_init(&note, DP_NOTE_MAX);
	dp_log_proof pr;
	memset(&pr, 0, sizeof pr);
	if (!r)
		r = fetch_target(x, &k, min_cosigners, &note, witnessed, why, whycap);
	if (!r && (r = cli_ckpt_open(&k, (const char *)note.p, note.len, &nw)) != DP_OK)
		snprintf(why, whycap, "the switch's checkpoint is not signed by the log key of the "
				      "enrolment answer");
	uint64_t m = have_old ? old.cp.size : 0, size = nw.cp.size;
	res->old_size = m;
	res->size = size;
	if (!r && m > 0 && size > m && (r = dp_client_log_consistency(x->cl, m, size, &pr)) != DP_OK)
		snprintf(why, whycap, "cannot get the consistency proof from %llu to %llu",
			 (unsigned long long)m, (unsigned long long)size);
	if (!r && m > 0 && size == 0) {
		/*
		 * The log key signed the empty tree at the log's start: shown now, it
		 * proves no fork (it is a prefix of every tree), but a switch that
		 * shows it after a larger one lost or hides its log.  Refused, kept
		 * out of the mirror, no evidence file (it would prove nothing).
		 */
		snprintf(why, whycap, "the switch showed an empty log after size %llu; report this to "
				      "security operations",
			 (unsigned long long)m);
		r = DP_ESTATE;
	}
	if (!r) {
		char jwhy[512];
		r = cli_log_judge(have_old ? &old : NULL, &nw, pr.h, pr.n, jwhy, sizeof jwhy);
		if (r == DP_ESTATE) {
			/* the switch's checkpoint is older than the mirror's: it must prove it a prefix */
			int q = dp_client_log_consistency(x->cl, size, m, &pr);
			if (q == DP_OK &&
			    dp_tlog_verify_consistency(size, m, nw.cp.root, old.cp.root, pr.h, pr.n) == DP_OK) {
				res->up_to_date = 1;
				r = DP_OK;
				size = m;
			} else if (q == DP_ENET || q == DP_ESTORE || q == DP_ENOMEM || q == DP_EPROTO) {
				snprintf(why, whycap, "cannot get a consistency proof from %llu to %llu",
					 (unsigned long long)size, (unsigned long long)m);
				r = q;
			} else {
				snprintf(jwhy, sizeof jwhy,
					 "the switch's newest checkpoint (size %llu) is smaller than the mirror's "
					 "(size %llu) and %s",
					 (unsigned long long)size, (unsigned long long)m,
					 q == DP_OK ? "its proof joining them does not verify"
						    : "it cannot prove them consistent");
				int er = cli_log_evidence(x, dir, &old, &nw, size, m, pr.h,
							  q == DP_OK ? pr.n : 0, jwhy, evidence);
				snprintf(why, whycap, "%s", jwhy);
				r = er ? er : CLI_EFORK;
			}
		} else if (r == CLI_EFORK) {
			int er = cli_log_evidence(x, dir, &old, &nw, m, size, pr.h, pr.n, jwhy, evidence);
			snprintf(why, whycap, "%s", jwhy);
			r = er ? er : CLI_EFORK;
		}
	}
	if (!r && have_old && size == m && audit_count_cosigs(&nw) < audit_count_cosigs(&old))
		res->up_to_date = 1; /* the same tree with fewer good cosignatures: keep the mirror's note */
	if (!r && !res->up_to_date)
		r = mirror_bundles(x, full, m, size, have_old ? &old : NULL, &nw, res, why, whycap);
	if (!r && !res->up_to_date) {
		/* after the bundles are in place: the mirror never names entries it lacks */
		r = cli_ckpt_save(&nw, cpath);
		if (r)
			snprintf(why, whycap, "cannot write %s", cpath);
		else
			drop_partials(x, size % W ? size / W : UINT64_MAX);
	}
	if (!r) {
		const cli_ckpt *c = res->up_to_date && have_old ? &old : &nw;
		res->size = c->cp.size;
		memcpy(res->root, c->cp.root, DP_TLOG_HASH);
		res->cosigs = audit_count_cosigs(c);
		*witnessed = res->cosigs >= min_cosigners;
	}
	if (have_old)
		cli_ckpt_free(&old);
	cli_ckpt_free(&nw);
	dp_buf_free(&note);
	flock(fd, LOCK_UN);
	close(fd);
	return r;
}

/*
 * Device cosignatures on a checkpoint note that verify: for each line named
 * denpo-device/<64 hex>, the cosigner key is that device id (cosignature/v1,
 * type 0x04); each device counts once, and only if its line verifies.
 * (A name alone, or a line the switch made up, counts for nothing.)
 */
size_t audit_count_cosigs(const cli_ckpt *c)
{
	return audit_count_cosigs_of(c, NULL, 0);
}

/*
 * The same, counting only the devices in ids (nids of them): the devices a
 * device-enrolled entry of the mirrored log names.  ids NULL: any device.
 * (A key the log never enrolled is no device, whatever it signs.)
 */
size_t audit_count_cosigs_of(const cli_ckpt *c, const uint8_t (*ids)[32], size_t nids)
{
	cli_cosig *cs = malloc(DP_NOTE_SIGS_MAX * sizeof *cs);
	size_t n = cs ? cli_ckpt_cosigs(c, cs, DP_NOTE_SIGS_MAX) : 0, cnt = 0;
	for (size_t i = 0; i < n && i < DP_NOTE_SIGS_MAX; i++) {
		int known = !ids;
		for (size_t j = 0; j < nids && !known; j++)
			known = memcmp(ids[j], cs[i].id, 32) == 0;
		cnt += (size_t)known;
	}
	free(cs);
	return cnt;
}
