/*
 * denpod/offidx.c - the officer index on the switch: the records the
 * signer keeps, what log verify checks of them, and the map the API
 * proves from (the contract is denpod/offidx.h).
 */
#include <stdlib.h>
#include <string.h>

#include "denpo/encoding.h"
#include "denpod/offidx.h"

/* ---- the signer ---- */

static int load_row(void *ctx, const char *officer, const uint8_t *text, size_t len)
{
	dp_devreplay *x = ctx;
	int r = dp_devreplay_load(x, text, len);
	if (r == DP_EPARSE || r == DP_EEXISTS)
		fprintf(stderr, "denpod: log: the stored officer index record of %s is damaged (%s): "
				"the index is replayed from the log\n", officer, dp_strerror(r));
	return r;
}

struct replay {
	dp_devreplay *x;
	char *why;
	size_t cap;
};

static int replay_one(void *ctx, uint64_t idx, const uint8_t *e, size_t len)
{
	struct replay *p = ctx;
	return dp_devreplay_entry(p->x, idx, e, len, p->why, p->cap);
}

int dpx_records(dps_store *s, const dps_checkpoint *c, dp_devreplay **out, int *full, char *why,
		size_t cap)
{
	dp_devreplay *x = NULL;
	uint64_t at = 0, size = c ? c->size : 0;
	uint8_t want[DP_TLOG_HASH], got[DP_TLOG_HASH];
	*out = NULL;
	*full = 0;
	int r = dp_devreplay_new(&x);
	if (r)
		return r;
	int e = dps_offidx_size_get(s, &at);
	/* the stored records only if they give the root the checkpoint signed */
	if (e == DP_OK && at == size && c && dpx_checkpoint_root(c, want) == DP_OK) {
		r = dps_offidx_all(s, load_row, x);
		if (!r)
			r = dp_devreplay_root(x, got);
		if (!r && memcmp(got, want, DP_TLOG_HASH) == 0)
			goto done;
		if (!r)
			fprintf(stderr, "denpod: log: the stored officer index does not give the root the "
					"latest checkpoint (size %llu) signed: the table officer_index was "
					"altered; it is replayed from the log (denpod log verify names the "
					"officers)\n", (unsigned long long)size);
		if (r && r != DP_EPARSE && r != DP_EEXISTS)
			goto done;
		/* damaged or altered: replay, and rewrite the table */
		dp_devreplay_free(x);
		x = NULL;
		if ((r = dp_devreplay_new(&x)))
			return r;
	} else if (e != DP_OK && e != DP_ENOTFOUND) {
		r = e;
		goto done;
	}
	*full = 1;
	struct replay p = {x, why, cap};
	r = size ? dps_log_entries(s, 0, size, replay_one, &p) : DP_OK;
done:
	if (r) {
		dp_devreplay_free(x);
		return r;
	}
	*out = x;
	return DP_OK;
}

int dpx_store(dps_store *s, const dp_devreplay *x, int full, uint64_t size)
{
	int r = full ? dps_offidx_clear(s) : DP_OK;
	for (size_t i = 0, n = dp_devreplay_count(x); !r && i < n; i++) {
		const char *o;
		const uint8_t *t;
		size_t len;
		int dirty;
		dp_devreplay_get(x, i, &o, &t, &len, &dirty);
		if (t && (dirty || full))
			r = dps_offidx_put(s, o, t, len);
	}
	return r ? r : dps_offidx_size_put(s, size);
}

/* ---- checks ---- */

int dpx_checkpoint_root(const dps_checkpoint *c, uint8_t root[DP_TLOG_HASH])
{
	size_t tl = 0;
	dp_checkpoint cp;
	if (dp_note_parse(c->note, c->note_len, &tl, NULL, 0, NULL) != DP_OK ||
	    dp_checkpoint_parse(&cp, c->note, tl) != DP_OK)
		return DP_EPARSE;
	return dp_devindex_line_parse(c->note, tl, cp.next, root);
}

struct vrows {
	dp_devreplay *x;
	void (*problem)(void *ctx, const char *msg);
	void *ctx;
	int n;
	size_t rows;
};

static int verify_row(void *ctx, const char *officer, const uint8_t *text, size_t len)
{
	struct vrows *v = ctx;
	const uint8_t *want;
	size_t wl;
	char msg[256];
	v->rows++;
	if (dp_devreplay_find(v->x, officer, &want, &wl) != DP_OK) {
		snprintf(msg, sizeof msg, "officer index: a record of officer %s is stored, but the log "
					  "enrolled no device for them", officer);
	} else if (wl != len || memcmp(want, text, len) != 0) {
		snprintf(msg, sizeof msg, "officer index: the stored record of officer %s is not what "
					  "the log's entries make of it (the table officer_index was "
					  "altered)", officer);
	} else {
		return DP_OK;
	}
	v->problem(v->ctx, msg);
	v->n++;
	return DP_OK;
}

int dpx_verify(dps_store *s, dp_devreplay *x, const dps_checkpoint *c,
	       void (*problem)(void *ctx, const char *msg), void *ctx)
{
	uint8_t want[DP_TLOG_HASH], got[DP_TLOG_HASH];
	char msg[256];
	struct vrows v = {x, problem, ctx, 0, 0};
	uint64_t at = 0;
	int r = dp_devreplay_root(x, want);
	if (r)
		return r;
	/* the stored records, if they say they are this checkpoint's: each must be the replay's */
	int e = dps_offidx_size_get(s, &at);
	if (e != DP_OK && e != DP_ENOTFOUND)
		return e;
	if (e == DP_OK && at == c->size) {
		if ((r = dps_offidx_all(s, verify_row, &v)))
			return r;
		size_t nrec = 0;
		for (size_t i = 0, n = dp_devreplay_count(x); i < n; i++) {
			const char *o;
			const uint8_t *t;
			size_t len;
			int dirty;
			dp_devreplay_get(x, i, &o, &t, &len, &dirty);
			nrec += t != NULL;
		}
		if (v.rows < nrec) {
			snprintf(msg, sizeof msg, "officer index: %zu records are stored but the log's "
						  "entries make %zu (rows were deleted from the table "
						  "officer_index)", v.rows, nrec);
			problem(ctx, msg);
			v.n++;
		}
	}
	e = dpx_checkpoint_root(c, got);
	if (e == DP_ENOTFOUND)
		return v.n; /* signed before the index: nothing to compare */
	if (e) {
		snprintf(msg, sizeof msg, "officer index: the latest checkpoint (size %llu) has a "
					  "malformed officer-index line", (unsigned long long)c->size);
		problem(ctx, msg);
		return v.n + 1;
	}
	if (memcmp(want, got, DP_TLOG_HASH) != 0) {
		snprintf(msg, sizeof msg, "officer index: the latest checkpoint (size %llu) signs an "
					  "officer-index root the log's entries do not give%s",
			 (unsigned long long)c->size,
			 v.n ? " (see the records above)" : "");
		problem(ctx, msg);
		v.n++;
	}
	return v.n;
}

/* ---- the API's view ---- */

struct dpx_view {
	dp_devreplay *x;
	uint8_t root[DP_TLOG_HASH];
};

void dpx_view_free(dpx_view *v)
{
	if (!v)
		return;
	dp_devreplay_free(v->x);
	free(v);
}

static int put_row(void *ctx, const char *officer, const uint8_t *text, size_t len)
{
	return dp_devreplay_put(ctx, officer, text, len) == DP_EINVAL ? DP_ESTATE : DP_OK;
}

/*
 * A view of the stored records whose root is root; DP_ESTATE if they give
 * another.  The rows are taken as they are (dp_devreplay_put): the root
 * the signer signed is the check, and it costs the loop thread no decoding.
 */
static int view_make(dpx_view **out, dps_store *s, const uint8_t root[DP_TLOG_HASH])
{
	dpx_view *v = calloc(1, sizeof *v);
	uint8_t got[DP_TLOG_HASH];
	int r = v ? dp_devreplay_new(&v->x) : DP_ENOMEM;
	if (!r)
		r = dps_offidx_all(s, put_row, v->x);
	if (!r)
		r = dp_devreplay_root(v->x, got);
	if (!r && memcmp(got, root, DP_TLOG_HASH) != 0)
		r = DP_ESTATE;
	if (r) {
		dpx_view_free(v);
		return r;
	}
	memcpy(v->root, root, DP_TLOG_HASH);
	*out = v;
	return DP_OK;
}

static json_t *b64j(const uint8_t *p, size_t n)
{
	char *b = malloc(dp_b64_enclen(n, 1) + 1);
	if (!b)
		return NULL;
	dp_b64_encode(b, p, n, 1);
	json_t *j = json_string(b);
	free(b);
	return j;
}

int dpx_device_status(const dpx_view *v, const char *officer, const uint8_t device[DP_ED25519_PK],
		      int *status)
{
	const uint8_t *t;
	size_t len;
	if (!v)
		return DP_ESTATE;
	int r = dp_devreplay_find(v->x, officer, &t, &len);
	if (r)
		return r;
	dp_devrec *rec = malloc(sizeof *rec);
	if (!rec)
		return DP_ENOMEM;
	r = dp_devrec_decode(rec, t, len);
	const dp_devrec_dev *d = r ? NULL : dp_devrec_find(rec, device);
	if (!r && !d)
		r = DP_ENOTFOUND;
	if (!r)
		*status = d->status;
	free(rec);
	return r;
}

int dpx_officer_json(dpx_view **vp, dps_store *s, const dps_checkpoint *c, const char *officer,
		     json_t **out)
{
	uint8_t root[DP_TLOG_HASH], key[DP_TLOG_HASH];
	*out = NULL;
	int r = dpx_checkpoint_root(c, root);
	if (r)
		return r == DP_EPARSE ? DP_ESTATE : r;
	if (!*vp || memcmp((*vp)->root, root, DP_TLOG_HASH) != 0) {
		dpx_view *v = NULL;
		if ((r = view_make(&v, s, root)))
			return r;
		dpx_view_free(*vp);
		*vp = v;
	}
	dp_devindex_proof *p = malloc(sizeof *p);
	if (!p)
		return DP_ENOMEM;
	int found = 0, bad = 0;
	dp_devindex_key(key, officer);
	dp_devindex_prove(dp_devreplay_map((*vp)->x), key, p, &found);
	/* every part or no answer: a part left out would fail the device's proof check */
	json_t *j = json_pack("{s:s}", "handle", officer);
	json_t *arr = json_array();
	bad = !j || !arr;
	for (size_t i = 0; !bad && i < p->n; i++)
		bad = json_array_append_new(arr, b64j(p->sib[i], DP_TLOG_HASH)) != 0;
	if (!bad) /* set_new takes arr, on failure too */
		bad = json_object_set_new(j, "proof", arr) != 0;
	else
		json_decref(arr);
	const uint8_t *t;
	size_t len;
	if (!bad && found) {
		r = dp_devreplay_find((*vp)->x, officer, &t, &len);
		bad = r || json_object_set_new(j, "record", b64j(t, len)) != 0;
	}
	if (!bad && !found && p->other) {
		json_t *o = json_object();
		bad = !o || json_object_set_new(o, "key", b64j(p->other_key, DP_TLOG_HASH)) ||
		      json_object_set_new(o, "value_hash", b64j(p->other_vhash, DP_TLOG_HASH));
		if (bad)
			json_decref(o);
		else
			bad = json_object_set_new(j, "other", o) != 0;
	}
	free(p);
	if (bad) {
		json_decref(j);
		return r == DP_ENOTFOUND ? DP_ESTATE : DP_ENOMEM;
	}
	*out = j;
	return DP_OK;
}
