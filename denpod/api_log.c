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

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "denpo/encoding.h"
#include "denpod/server.h"

#define CACHE_FOREVER "max-age=31536000, immutable"

static int is_auditor(const dps_officer *me)
{
	for (size_t i = 0; i < me->nroles; i++)
		if (strcmp(me->roles[i], DPL_ROLE_AUDIT) == 0)
			return 1;
	return 0;
}

static void get_checkpoint(dpd_server *srv, dpd_req *rq)
{
	dps_checkpoint c;
	dpl_latest(srv->log, &c);
	dpd_reply_text(rq, 200, "text/plain; charset=utf-8", "no-store", c.note, c.note_len);
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

static void get_tile(dpd_server *srv, dpd_req *rq, const char *path, const dps_officer *me)
{
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

/* A decimal parameter (no sign, no leading zeros); -1 if absent or malformed. */
static int u64_param(struct evkeyvalq *q, const char *key, uint64_t *v)
{
	const char *s = q ? evhttp_find_header(q, key) : NULL;
	if (!s || !*s || strlen(s) > 19 || strspn(s, "0123456789") != strlen(s) ||
	    (s[0] == '0' && s[1]))
		return -1;
	*v = strtoull(s, NULL, 10);
	return 0;
}

static void reply_proof(dpd_req *rq, const char *k1, uint64_t v1, uint64_t size,
			uint8_t proof[][DP_TLOG_HASH], size_t n)
{
	json_t *arr = json_array();
	char b64[48];
	for (size_t i = 0; arr && i < n; i++) {
		dp_b64_encode(b64, proof[i], DP_TLOG_HASH, 1);
		json_array_append_new(arr, json_string(b64));
	}
	dpd_reply_json(rq, 200, json_pack("{s:I,s:I,s:o}", k1, (json_int_t)v1, "size",
					  (json_int_t)size, "proof", arr));
}

static void get_proof(dpd_server *srv, dpd_req *rq, struct evkeyvalq *q, int inclusion)
{
	uint64_t a, size;
	char msg[160];
	dps_checkpoint c;
	dpl_latest(srv->log, &c);
	if (u64_param(q, inclusion ? "index" : "from", &a) || u64_param(q, "size", &size)) {
		dpd_reply_error(rq, 400, DP_EPARSE, inclusion ? "give index=I&size=N (decimal)"
							      : "give from=M&size=N (decimal)");
		return;
	}
	if (size > c.size) {
		snprintf(msg, sizeof msg, "size %llu is beyond the latest checkpoint (size %llu)",
			 (unsigned long long)size, (unsigned long long)c.size);
		dpd_reply_error(rq, 400, DP_EINVAL, msg);
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
	int r = inclusion ? dp_tlog_prove_inclusion(a, size, dp_tlog_tiles_node, &tiles, proof, &n)
			  : dp_tlog_prove_consistency(a, size, dp_tlog_tiles_node, &tiles, proof, &n);
	if (r) {
		dpd_reply_error(rq, 503, DP_ESTORE, "the switch cannot read its tiles; retry");
		return;
	}
	reply_proof(rq, inclusion ? "index" : "from", a, size, proof, n);
}

void dpd_log_api(dpd_server *srv, dpd_req *rq, struct evkeyvalq *q, const dps_officer *me)
{
	const char *p = rq->path + strlen("/v1/log/");
	if (strcmp(p, "checkpoint") == 0)
		get_checkpoint(srv, rq);
	else if (strncmp(p, "tile/", 5) == 0)
		get_tile(srv, rq, p, me);
	else if (strcmp(p, "proof/inclusion") == 0)
		get_proof(srv, rq, q, 1);
	else if (strcmp(p, "proof/consistency") == 0)
		get_proof(srv, rq, q, 0);
	else
		dpd_reply_error(rq, 404, DP_ENOTFOUND, "no such log endpoint: checkpoint, tile/..., "
						       "proof/inclusion, proof/consistency");
}
