/*
 * denpod/api_log.c - GET /v1/log/...: the transparency log's read API
 * (docs/api.md, "The transparency log"), C2SP tlog-tiles under the prefix
 * /v1/log/ so that any tlog-tiles client can mirror it, plus proofs.
 *
 * Nothing is served that the latest signed checkpoint does not cover: a
 * tile (or a width of it) beyond that checkpoint is 404, a proof for a
 * larger tree 400, even though the tiles of the signing round in flight
 * may already be in the database.  Entry bundles say who fetched which
 * cable when, so only devices of officers with the role AUDIT read them.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "denpo/encoding.h"
#include "denpod/api.h"
#include "denpod/op.h"
#include "denpod/query.h"
#include "denpod/server.h"

#define CACHE_FOREVER "max-age=31536000, immutable"

static int is_auditor(const dps_officer *me)
{
	for (size_t i = 0; i < me->nroles; i++)
		if (strcmp(me->roles[i], DPL_ROLE_AUDIT) == 0)
			return 1;
	return 0;
}

#define COSIGS_MAX 32 /* cosignature lines served with a checkpoint */
#define COSIG_LINE_MAX 512
#define COSIG_SKEW 86400 /* a cosignature's time within a day of the switch's clock */

static int cosig_one(void *ctx, const char *line)
{
	return dp_buf_append(ctx, line, strlen(line));
}

#define COSIGNED_MAX (DPS_NOTE_MAX + COSIGS_MAX * COSIG_LINE_MAX)

/* A stored checkpoint followed by the cosignature lines stored for it, appended to b. */
static int cosigned(dpd_server *srv, const dps_checkpoint *c, dp_buf *b)
{
	int r = dp_buf_append(b, c->note, c->note_len);
	return r ? r : dps_log_cosigs(srv->store, c->size, COSIGS_MAX, cosig_one, b);
}

static void reply_cosigned(dpd_server *srv, dpd_req *rq, const dps_checkpoint *c)
{
	dp_buf b;
	dp_buf_init(&b, COSIGNED_MAX);
	int r = cosigned(srv, c, &b);
	if (r)
		dpd_reply_error(rq, 503, DP_ESTORE, "the switch cannot read the cosignatures; retry");
	else
		dpd_reply_text(rq, 200, "text/plain; charset=utf-8", "no-store", b.p, b.len);
	dp_buf_free(&b);
}

void dpd_get_checkpoint(const dpd_call *call)
{
	dpd_server *srv = call->srv;
	dpd_req *rq = call->rq;
	dps_checkpoint c;
	dpl_latest(srv->log, &c);
	reply_cosigned(srv, rq, &c);
}

void dpd_get_witnessed(const dpd_call *call)
{
	dpd_server *srv = call->srv;
	dpd_req *rq = call->rq;
	struct evkeyvalq *q = call->q;
	uint64_t k = 1;
	char msg[DPQ_MSG_MAX];
	dps_checkpoint c, w;
	if (dpq_num(q, "min", 1, COSIGS_MAX, &k, msg, sizeof msg)) {
		dpd_reply_error(rq, 400, DP_EINVAL, msg);
		return;
	}
	dpl_latest(srv->log, &c);
	int r = dps_log_witnessed(srv->store, (unsigned)k, c.size, &w);
	if (r == DP_ENOTFOUND) {
		dpd_reply_error(rq, 404, r, "no checkpoint has that many cosignatures yet");
		return;
	}
	if (r) {
		dpd_reply_error(rq, 503, DP_ESTORE, "the switch cannot read its checkpoints; retry");
		return;
	}
	reply_cosigned(srv, rq, &w);
}

/* A cosignature for the commit engine (op.h): stored, with no log entry (it is about the log). */
struct op_cosign {
	dpd_op op;
	uint64_t size;               /* the checkpoint's */
	uint8_t device[DP_ED25519_PK];
	char line[COSIG_LINE_MAX + 1]; /* the signature line, verified by the loop thread */
};

static int cosign_write(dps_store *st, dpl_enc *x, dpd_op *op, int *logged)
{
	struct op_cosign *k = DPD_OP_OF(op, struct op_cosign);
	return dps_log_cosig_put(st, k->size, k->device, op->t, k->line);
}

static void cosign_answer(struct dpd_server *srv, dpd_op *op)
{
	if (!dpd_op_refused(op))
		dpd_reply_json(&op->rq, 200, json_pack("{s:b}", "stored", 1));
}

const dpd_op_type dpd_op_cosign = {"COSIGN", cosign_write, cosign_answer, NULL, NULL};

/*
 * POST /v1/log/cosign {"size": N, "cosignature": "— denpo-device/<hex> <b64>\n"}:
 * this device's cosignature/v1 of the stored checkpoint of size N, checked
 * here, stored by the batch writer.
 */
void dpd_post_cosign(const dpd_call *call)
{
	dpd_server *srv = call->srv;
	dpd_req *rq = call->rq;
	const dps_device *dev = call->dev;
	struct evbuffer *in = evhttp_request_get_input_buffer(rq->req);
	size_t n = evbuffer_get_length(in);
	const char *bad = "give {\"size\": N, \"cosignature\": \"\u2014 denpo-device/<id hex> "
			  "<base64>\\n\"}";
	json_t *j = n && n <= 4096 ? json_loadb((const char *)evbuffer_pullup(in, -1), n, 0, NULL) : NULL;
	json_t *js = json_object_get(j, "size"), *jl = json_object_get(j, "cosignature");
	if (!json_is_integer(js) || json_integer_value(js) < 0 || !json_is_string(jl) ||
	    json_string_length(jl) > COSIG_LINE_MAX || json_string_length(jl) < 6) {
		json_decref(j);
		dpd_reply_error(rq, 400, DP_EPARSE, bad);
		return;
	}
	uint64_t size = (uint64_t)json_integer_value(js);
	char line[COSIG_LINE_MAX + 1], name[DP_NOTE_NAME_MAX + 1], hex[2 * DP_ED25519_PK + 1];
	size_t ll = json_string_length(jl);
	memcpy(line, json_string_value(jl), ll);
	line[ll] = 0;
	json_decref(j);
	static const char dash[] = "\xe2\x80\x94 ";
	const char *sp = strncmp(line, dash, 4) == 0 ? strchr(line + 4, ' ') : NULL;
	if (!sp || strlen(line) != ll || line[ll - 1] != '\n' || strchr(line, '\n') != line + ll - 1 ||
	    (size_t)(sp - line - 4) > DP_NOTE_NAME_MAX) {
		dpd_reply_error(rq, 400, DP_EPARSE, "the cosignature is not one signature line");
		return;
	}
	memcpy(name, line + 4, (size_t)(sp - line - 4));
	name[sp - line - 4] = 0;
	char mine[DP_NOTE_NAME_MAX + 1];
	dp_hex_encode(hex, dev->id, DP_ED25519_PK);
	snprintf(mine, sizeof mine, "denpo-device/%s", hex);
	if (strcmp(name, mine) != 0) {
		dpd_reply_error(rq, 403, DP_EDENIED, "a device sends its own cosignature only "
						     "(denpo-device/<its id hex>)");
		return;
	}
	dps_checkpoint c;
	int r = dps_log_checkpoint_next(srv->store, (int64_t)size - 1, &c);
	if (r == DP_ENOTFOUND || (!r && c.size != size)) {
		dpd_reply_error(rq, 409, DP_ESTATE, "the switch has no checkpoint of that size");
		return;
	}
	if (r) {
		dpd_reply_error(rq, 503, DP_ESTORE, "the switch cannot read its checkpoints; retry");
		return;
	}
	dp_note_vkey k;
	char note[DPS_NOTE_MAX + COSIG_LINE_MAX + 1];
	int verified = 0;
	uint64_t ts = 0;
	size_t tl = 0;
	memcpy(note, c.note, c.note_len);
	memcpy(note + c.note_len, line, ll);
	r = dp_note_vkey_make(&k, mine, DP_NOTE_COSIG_V1, dev->id);
	r = r ? r : dp_note_open(note, c.note_len + ll, &k, 1, &verified, &ts, &tl);
	if (r || !verified) {
		dpd_reply_error(rq, 400, DP_ESIG, "the cosignature does not verify (cosignature/v1 by "
						  "this device's key over the stored checkpoint)");
		return;
	}
	int64_t now = dpd_now(srv);
	if (ts > INT64_MAX || (int64_t)ts < now - COSIG_SKEW || (int64_t)ts > now + COSIG_SKEW) {
		dpd_reply_error(rq, 400, DP_EINVAL, "the cosignature's time is more than a day from the "
						    "switch's clock");
		return;
	}
	dpd_op *op = dpd_op_new(&dpd_op_cosign, sizeof(struct op_cosign), rq);
	if (!op) {
		dpd_reply_error(rq, 503, DP_ENOMEM, "out of memory; retry");
		return;
	}
	struct op_cosign *cs = DPD_OP_OF(op, struct op_cosign);
	memcpy(cs->line, line, ll + 1);
	cs->size = size;
	op->t = (int64_t)ts; /* the cosignature's own time */
	memcpy(cs->device, dev->id, DP_ED25519_PK);
	dpd_batch_add(srv, op);
}

struct bundle {
	dp_buf b;
	unsigned n;
};

static int bundle_one(void *ctx, uint64_t idx, const uint8_t *e, size_t len)
{
	struct bundle *x = ctx;
	x->n++;
	return dp_tlog_bundle_put(&x->b, e, len);
}

void dpd_get_tile(const dpd_call *call)
{
	dpd_server *srv = call->srv;
	dpd_req *rq = call->rq;
	const char *path = rq->path + strlen("/v1/log/");
	const dps_officer *me = call->me;
	int tl;
	uint64_t n;
	unsigned w;
	dps_checkpoint c;
	if (dp_tlog_tile_parse(path, &tl, &n, &w) != DP_OK) {
		dpd_reply_error(rq, 404, DP_ENOTFOUND, "no such tile: tile/<L>/<N>[.p/<W>] or "
						       "tile/entries/<N>[.p/<W>], N in x-prefixed 3-digit "
						       "groups (c2sp.org/tlog-tiles)");
		return;
	}
	if (tl < 0 && !is_auditor(me)) {
		dpd_reply_error(rq, 403, DP_EDENIED, "entry bundles show who fetched which cable: only "
						     "devices of officers with the role " DPL_ROLE_AUDIT
						     " may read them");
		return;
	}
	dpl_latest(srv->log, &c);
	/* served only as far as a signed checkpoint covers it (a full tile once it is full) */
	unsigned have = dp_tlog_tile_width(tl < 0 ? 0 : (unsigned)tl, n, c.size);
	if (have == 0 || w > have) {
		dpd_reply_error(rq, 404, DP_ENOTFOUND, "no such tile in the latest checkpoint");
		return;
	}
	if (tl >= 0) {
		uint8_t h[DP_TLOG_TILE_WIDTH * DP_TLOG_HASH];
		int r = dps_log_tile(srv->store, (unsigned)tl, n, w, h);
		if (r) {
			/* covered by a checkpoint but not stored: the database is damaged */
			dpd_reply_error(rq, 503, DP_ESTORE, "the switch cannot read this tile; retry");
			return;
		}
		dpd_reply_text(rq, 200, "application/octet-stream", CACHE_FOREVER, h,
			       (size_t)w * DP_TLOG_HASH);
		return;
	}
	struct bundle x = {.n = 0};
	dp_buf_init(&x.b, (size_t)DP_TLOG_TILE_WIDTH * (2 + DP_TLOG_ENTRY_MAX));
	int r = dps_log_entries(srv->store, n * DP_TLOG_TILE_WIDTH, w, bundle_one, &x);
	if (r || x.n != w) {
		dp_buf_free(&x.b);
		dpd_reply_error(rq, 503, DP_ESTORE, "the switch cannot read these entries; retry");
		return;
	}
	dpd_reply_text(rq, 200, "application/octet-stream", CACHE_FOREVER, x.b.p, x.b.len);
	dp_buf_free(&x.b);
}

json_t *dpd_proof_json(const uint8_t (*proof)[DP_TLOG_HASH], size_t n)
{
	json_t *arr = json_array();
	char b64[48];
	for (size_t i = 0; arr && i < n; i++) {
		dp_b64_encode(b64, proof[i], DP_TLOG_HASH, 1);
		json_array_append_new(arr, json_string(b64));
	}
	return arr;
}

static void reply_proof(dpd_req *rq, const char *k1, uint64_t v1, uint64_t size,
			uint8_t proof[][DP_TLOG_HASH], size_t n)
{
	json_t *arr = dpd_proof_json((const uint8_t(*)[DP_TLOG_HASH])proof, n);
	dpd_reply_json(rq, 200, json_pack("{s:I,s:I,s:o}", k1, (json_int_t)v1, "size",
					  (json_int_t)size, "proof", arr));
}

static void get_proof(dpd_server *srv, dpd_req *rq, struct evkeyvalq *q, int inclusion)
{
	const char *k1 = inclusion ? "index" : "from";
	uint64_t a = 0, size = 0; /* both required */
	char msg[DPQ_MSG_MAX];
	dps_checkpoint c;
	if (!dpq_get(q, k1) || !dpq_get(q, "size")) {
		dpd_reply_error(rq, 400, DP_EPARSE, inclusion ? "give index=I&size=N (decimal)"
							      : "give from=M&size=N (decimal)");
		return;
	}
	if (dpq_num(q, k1, 0, INT64_MAX, &a, msg, sizeof msg) ||
	    dpq_num(q, "size", 0, INT64_MAX, &size, msg, sizeof msg)) {
		dpd_reply_error(rq, 400, DP_EPARSE, msg);
		return;
	}
	int r = dpd_log_covers(srv, "size", size, &c, msg, sizeof msg);
	if (r) {
		dpd_reply_error(rq, dpd_http_status(r), r, msg);
		return;
	}
	if (inclusion ? a >= size : a == 0 || a > size) {
		snprintf(msg, sizeof msg, inclusion ? "index %llu is not in a tree of size %llu"
						    : "from must be 1..size (%llu..%llu given)",
			 (unsigned long long)a, (unsigned long long)size);
		dpd_reply_error(rq, 400, DP_EINVAL, msg);
		return;
	}
	uint8_t proof[DP_TLOG_PROOF_MAX][DP_TLOG_HASH];
	size_t n = 0;
	dp_tlog_tiles tiles = {dpl_tile_read, srv->store};
	r = inclusion ? dp_tlog_prove_inclusion(a, size, dp_tlog_tiles_node, &tiles, proof, &n)
			  : dp_tlog_prove_consistency(a, size, dp_tlog_tiles_node, &tiles, proof, &n);
	if (r) {
		dpd_reply_error(rq, 503, DP_ESTORE, "the switch cannot read its tiles; retry");
		return;
	}
	reply_proof(rq, k1, a, size, proof, n);
}

void dpd_get_inclusion(const dpd_call *call)
{
	get_proof(call->srv, call->rq, call->q, 1);
}

void dpd_get_consistency(const dpd_call *call)
{
	get_proof(call->srv, call->rq, call->q, 0);
}

/* ---- the proofs other answers carry (resolve, inbox, archive, sent, status, accepted) ---- */

/*
 * Many inclusion proofs of one tree for one answer (a list of 1,000
 * cables): the proofs of neighbouring entries share most of their nodes,
 * and a node below a tile level costs a tile read and up to 255 hashes, so
 * every node is kept once read.  An open-addressing table of (level, n);
 * when full, nodes are simply read again.
 */
#define PROVER_SLOTS 65536 /* a power of two; 3 MiB */

struct dpd_prover {
	dp_tlog_tiles tiles;
	uint64_t size;
	size_t used;
	struct {
		uint64_t n;
		unsigned level; /* level + 1: 0 = empty */
		uint8_t h[DP_TLOG_HASH];
	} slot[PROVER_SLOTS];
};

dpd_prover *dpd_prover_new(dps_store *s, uint64_t size)
{
	dpd_prover *p = calloc(1, sizeof *p);
	if (p) {
		p->tiles.rd = dpl_tile_read;
		p->tiles.ctx = s;
		p->size = size;
	}
	return p;
}

void dpd_prover_free(dpd_prover *p) { free(p); }

static int memo_node(void *ctx, unsigned level, uint64_t n, uint8_t out[DP_TLOG_HASH])
{
	dpd_prover *p = ctx;
	size_t i = (size_t)((n * 0x9e3779b97f4a7c15ULL) ^ level) & (PROVER_SLOTS - 1);
	for (; p->slot[i].level; i = (i + 1) & (PROVER_SLOTS - 1))
		if (p->slot[i].level == level + 1 && p->slot[i].n == n) {
			memcpy(out, p->slot[i].h, DP_TLOG_HASH);
			return DP_OK;
		}
	int r = dp_tlog_tiles_node(&p->tiles, level, n, out);
	if (!r && p->used < PROVER_SLOTS / 2) { /* half full at most: probes stay short */
		p->slot[i].level = level + 1;
		p->slot[i].n = n;
		memcpy(p->slot[i].h, out, DP_TLOG_HASH);
		p->used++;
	}
	return r;
}

int dpd_prove(dpd_prover *p, uint64_t idx, uint8_t proof[DP_TLOG_PROOF_MAX][DP_TLOG_HASH], size_t *n)
{
	return dp_tlog_prove_inclusion(idx, p->size, memo_node, p, proof, n);
}

int dpd_log_size_param(struct evkeyvalq *q, int *given, uint64_t *m, char *msg, size_t cap)
{
	*given = dpq_get(q, "log_size") != NULL;
	*m = 0;
	return dpq_num(q, "log_size", 0, INT64_MAX, m, msg, cap);
}

int dpd_log_covers(dpd_server *srv, const char *what, uint64_t m, dps_checkpoint *cp, char *msg,
		    size_t cap)
{
	dpl_latest(srv->log, cp);
	if (m <= cp->size)
		return DP_OK;
	/*
	 * Instances follow the signer's checkpoints a round apart (tlog.c
	 * follow: up to DPL_TICK_MS, and the barrier): a device that verified
	 * one through another instance may ask here first.  A checkpoint
	 * stored but not yet known durable (the standby away: publish_durable)
	 * is answered alike: no instance serves it yet, and the device asks
	 * again.
	 */
	dps_checkpoint *db = malloc(sizeof *db);
	int r = db ? dps_log_latest(srv->store, db) : DP_ENOMEM;
	if (!r && db->size >= m) {
		dpl_kick(srv->log);
		snprintf(msg, cap, "this instance of the switch does not serve a checkpoint of size %llu "
				   "yet (%s; it serves size %llu, and is taking up the newer one signed): "
				   "retry, or ask another instance", (unsigned long long)m, what,
			 (unsigned long long)cp->size);
		r = DP_ESTORE;
	} else if (!r || r == DP_ENOTFOUND) {
		snprintf(msg, cap, "%s %llu is beyond the latest checkpoint (size %llu)", what,
			 (unsigned long long)m, (unsigned long long)cp->size);
		r = DP_EINVAL;
	} else {
		snprintf(msg, cap, "the switch cannot read its checkpoints; retry");
		r = r == DP_ENOMEM ? r : DP_ESTORE;
	}
	free(db);
	return r;
}

int dpd_log_view(dpd_server *srv, uint64_t m, json_t **out, uint64_t *size, char *msg, size_t cap)
{
	dps_checkpoint *cp = malloc(sizeof *cp);
	*out = NULL;
	if (!cp) {
		snprintf(msg, cap, "out of memory; retry");
		return DP_ENOMEM;
	}
	int r = dpd_log_view_cp(srv, m, out, cp, msg, cap);
	*size = cp->size;
	free(cp);
	return r;
}

int dpd_log_view_cp(dpd_server *srv, uint64_t m, json_t **out, dps_checkpoint *cp, char *msg,
		    size_t cap)
{
	*out = NULL;
	/* read once: every proof of the answer is against this one */
	int r = dpd_log_covers(srv, "log_size", m, cp, msg, cap);
	uint8_t proof[DP_TLOG_PROOF_MAX][DP_TLOG_HASH];
	size_t n = 0;
	dp_tlog_tiles tiles = {dpl_tile_read, srv->store};
	if (!r && m > 0 && m < cp->size &&
	    dp_tlog_prove_consistency(m, cp->size, dp_tlog_tiles_node, &tiles, proof, &n)) {
		snprintf(msg, cap, "the switch cannot read its tiles; retry");
		r = DP_ESTORE;
	}
	/* the note as GET /v1/log/checkpoint serves it: a device keeps the cosignatures it sees */
	dp_buf note;
	dp_buf_init(&note, COSIGNED_MAX);
	if (!r && cosigned(srv, cp, &note)) {
		snprintf(msg, cap, "the switch cannot read its checkpoints; retry");
		r = DP_ESTORE;
	}
	json_t *cons = r ? NULL : dpd_proof_json((const uint8_t(*)[DP_TLOG_HASH])proof, n);
	if (!r)
		*out = json_pack("{s:s%,s:o}", "checkpoint", (const char *)note.p, note.len, "consistency", cons);
	dp_buf_free(&note);
	if (!r && !*out) {
		snprintf(msg, cap, "out of memory; retry");
		r = DP_ENOMEM;
	}
	return r;
}
