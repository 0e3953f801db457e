/*
 * devindex.c - the officer index (include/denpo/devindex.h): the record of
 * an officer's devices, the one rule that applies log entries to it, the
 * sparse Merkle map over all records, its proofs and the checkpoint line.
 *
 * The record is canonical text like a log entry: the decoder reads every
 * value, checks the record's rules, writes it again and requires the same
 * bytes.  The map keeps every node's hash so that a proof is a walk from
 * the root, not a recomputation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denpo/devindex.h"
#include "denpo/encoding.h"
#include "denpo/num.h"
#include "lib/fields.h"

#define MAGIC "DENPO-OFFICER-DEVICES/1\n"
#define KEY_DOMAIN "denpo officer index v1"
#define SIG_B64 DP_DEVREC_SIG_B64

/* the parts DP_DEVREC_LINE_MAX and DP_DEVREC_HEAD_MAX count are the parts this file writes */
_Static_assert(SIG_B64 == 4 * ((DP_ED25519_SIG + 2) / 3), "a signature's padded base64");
_Static_assert(sizeof "18446744073709551615" - 1 == DP_DEVREC_U64_DIGITS, "UINT64_MAX's digits");
_Static_assert(sizeof "4294967295" - 1 == DP_DEVREC_U32_DIGITS, "UINT32_MAX's digits");
_Static_assert(DP_CREATED_MAX < INT64_C(10000000000) && DP_CREATED_MIN >= 0,
	       "a Time has at most DP_DEVREC_TIME_DIGITS digits");
_Static_assert(sizeof "suspended" - 1 == DP_DEVREC_STATUS_MAX && sizeof "active" <= sizeof "suspended" &&
		       sizeof "revoked" <= sizeof "suspended",
	       "the longest status name");
_Static_assert(DP_DEVREC_HEAD_MAX == sizeof MAGIC - 1 + sizeof "Officer: \n" - 1 + DP_NAME_MAX,
	       "the header's bytes");

static const char *const status_names[] = {
	[DP_DEVREC_ACTIVE] = "active",
	[DP_DEVREC_SUSPENDED] = "suspended",
	[DP_DEVREC_REVOKED] = "revoked",
};

const char *dp_devrec_status_name(int status)
{
	if (status < DP_DEVREC_ACTIVE || status > DP_DEVREC_REVOKED)
		return NULL;
	return status_names[status];
}

int dp_devrec_init(dp_devrec *r, const char *officer)
{
	memset(r, 0, sizeof *r);
	if (!officer || strlen(officer) > DP_NAME_MAX || !dp_handle_ok(officer))
		return DP_EINVAL;
	strcpy(r->officer, officer);
	return DP_OK;
}

dp_devrec_dev *dp_devrec_find(dp_devrec *r, const uint8_t device[DP_ED25519_PK])
{
	for (size_t i = 0; i < r->n; i++)
		if (!memcmp(r->dev[i].device, device, DP_ED25519_PK))
			return &r->dev[i];
	return NULL;
}

/* ---- approvals ---- */

/* "<officer>\n<device hex64>\n" */
static int approval_msg(char *m, size_t cap, const char *officer, const uint8_t device[DP_ED25519_PK])
{
	char hex[2 * DP_ED25519_PK + 1];
	if (!officer || !dp_handle_ok(officer) || strlen(officer) > DP_NAME_MAX)
		return -1;
	dp_hex_encode(hex, device, DP_ED25519_PK);
	int n = snprintf(m, cap, "%s\n%s\n", officer, hex);
	return n > 0 && (size_t)n < cap ? n : -1;
}

int dp_devindex_approval_sign(uint8_t sig[DP_ED25519_SIG], const uint8_t sk[DP_ED25519_SK],
			      const char *officer, const uint8_t device[DP_ED25519_PK])
{
	char m[DP_NAME_MAX + 2 * DP_ED25519_PK + 3];
	int n = approval_msg(m, sizeof m, officer, device);
	if (n < 0)
		return DP_EINVAL;
	return dp_sign(sig, sk, DP_DEVINDEX_APPROVAL_CTX, (const uint8_t *)m, (size_t)n);
}

int dp_devindex_approval_verify(const uint8_t sig[DP_ED25519_SIG],
				const uint8_t approver[DP_ED25519_PK], const char *officer,
				const uint8_t device[DP_ED25519_PK])
{
	char m[DP_NAME_MAX + 2 * DP_ED25519_PK + 3];
	int n = approval_msg(m, sizeof m, officer, device);
	if (n < 0)
		return DP_ESIG;
	return dp_verify(sig, approver, DP_DEVINDEX_APPROVAL_CTX, (const uint8_t *)m, (size_t)n)
		       ? DP_ESIG
		       : DP_OK;
}

/* ---- the one rule ---- */

static int status_of(int event)
{
	switch (event) {
	case DP_LOG_DEVICE_SUSPENDED:
		return DP_DEVREC_SUSPENDED;
	case DP_LOG_DEVICE_REINSTATED:
		return DP_DEVREC_ACTIVE;
	case DP_LOG_DEVICE_REVOKED:
		return DP_DEVREC_REVOKED;
	}
	return 0;
}

int dp_devrec_apply(dp_devrec *r, const dp_logent *e, uint64_t idx, int *changed)
{
	dp_devrec_dev *d = dp_devrec_find(r, e->device), *a;
	*changed = 0;
	switch (e->event) {
	case DP_LOG_DEVICE_ENROLLED:
		if (strcmp(e->officer, r->officer))
			return DP_OK;
		if (d)
			return DP_EEXISTS;
		if (r->n == DP_DEVREC_MAX)
			return DP_ETOOBIG;
		d = &r->dev[r->n++];
		memset(d, 0, sizeof *d);
		memcpy(d->device, e->device, DP_ED25519_PK);
		d->enrolled = d->status_idx = idx;
		d->time = e->time;
		d->status = DP_DEVREC_ACTIVE;
		snprintf(d->name, sizeof d->name, "%s", e->name);
		break;
	case DP_LOG_DEVICE_SUSPENDED:
	case DP_LOG_DEVICE_REINSTATED:
	case DP_LOG_DEVICE_REVOKED:
		if (!d || d->status == DP_DEVREC_REVOKED)
			return DP_OK; /* revocation is final */
		d->status = status_of(e->event);
		d->status_idx = idx;
		break;
	case DP_LOG_KEY_PUBLISHED:
		if (!d || d->status == DP_DEVREC_REVOKED)
			return DP_OK;
		d->has_key = 1;
		d->key_epoch = e->epoch;
		d->key_idx = idx;
		break;
	case DP_LOG_DEVICE_APPROVED:
		a = dp_devrec_find(r, e->approver);
		if (strcmp(e->officer, r->officer) || !d || !a || a == d || d->approved ||
		    a->status != DP_DEVREC_ACTIVE || d->status == DP_DEVREC_REVOKED ||
		    dp_devindex_approval_verify(e->sig, e->approver, r->officer, e->device))
			return DP_OK;
		d->approved = 1;
		memcpy(d->approver, e->approver, DP_ED25519_PK);
		memcpy(d->approval_sig, e->sig, DP_ED25519_SIG);
		d->approved_idx = idx;
		break;
	default:
		return DP_OK;
	}
	*changed = 1;
	return DP_OK;
}

/* ---- the record's text ---- */

/* Each line's values obey the rules; lines in enrolment order, devices distinct. */
static int record_ok(const dp_devrec *r)
{
	if (!memchr(r->officer, 0, sizeof r->officer) || !dp_handle_ok(r->officer) ||
	    r->n > DP_DEVREC_MAX)
		return 0;
	for (size_t i = 0; i < r->n; i++) {
		const dp_devrec_dev *d = &r->dev[i];
		if (!dp_devrec_status_name(d->status) || d->status_idx < d->enrolled ||
		    (d->has_key && d->key_idx <= d->enrolled) ||
		    (d->approved && d->approved_idx <= d->enrolled) || d->time < DP_CREATED_MIN ||
		    d->time > DP_CREATED_MAX || !memchr(d->name, 0, sizeof d->name) ||
		    !dp_fld_label_ok(d->name, DP_NAME_MAX, 1))
			return 0;
		if (i && r->dev[i - 1].enrolled >= d->enrolled)
			return 0;
		for (size_t j = 0; j < i; j++)
			if (!memcmp(r->dev[j].device, d->device, DP_ED25519_PK))
				return 0;
	}
	return 1;
}

static int put_dev(dp_buf *b, const dp_devrec_dev *d)
{
	char hex[2 * DP_ED25519_PK + 1], key[48] = "-", appr[2 * DP_ED25519_PK + 24 + SIG_B64 + 1] = "-";
	if (d->has_key)
		snprintf(key, sizeof key, "%lu@%llu", (unsigned long)d->key_epoch,
			 (unsigned long long)d->key_idx);
	if (d->approved) {
		char ahex[2 * DP_ED25519_PK + 1], sig[SIG_B64 + 1];
		dp_hex_encode(ahex, d->approver, DP_ED25519_PK);
		dp_b64_encode(sig, d->approval_sig, DP_ED25519_SIG, 1);
		snprintf(appr, sizeof appr, "%s@%llu:%s", ahex, (unsigned long long)d->approved_idx, sig);
	}
	dp_hex_encode(hex, d->device, DP_ED25519_PK);
	return dp_buf_printf(b, "Device: %s %llu %lld %s %llu %s %s %s\n", hex,
			     (unsigned long long)d->enrolled, (long long)d->time,
			     dp_devrec_status_name(d->status), (unsigned long long)d->status_idx, key,
			     appr, d->name);
}

static int record_put(const dp_devrec *r, dp_buf *b)
{
	int x = dp_buf_printf(b, MAGIC "Officer: %s\n", r->officer);
	for (size_t i = 0; !x && i < r->n; i++)
		x = put_dev(b, &r->dev[i]);
	return x;
}

int dp_devrec_encode(const dp_devrec *r, dp_buf *out)
{
	if (!record_ok(r))
		return DP_EINVAL;
	dp_buf t;
	dp_buf_init(&t, DP_DEVREC_TEXT_MAX);
	int x = record_put(r, &t);
	if (!x && t.len > DP_DEVREC_TEXT_MAX)
		x = DP_EINVAL;
	if (!x)
		x = dp_buf_append(out, t.p, t.len);
	dp_buf_free(&t);
	return x;
}

/* The next space-separated token of v[0..vn) from *at; the rest after the last. */
static int token(const char *v, size_t vn, size_t *at, const char **t, size_t *tn)
{
	if (*at >= vn)
		return DP_EPARSE;
	const char *s = memchr(v + *at, ' ', vn - *at);
	*t = v + *at;
	*tn = s ? (size_t)(s - *t) : vn - *at;
	*at += *tn + 1;
	return *tn ? DP_OK : DP_EPARSE;
}

static int num(uint64_t *out, const char *t, size_t tn, uint64_t max)
{
	return dp_num_u64(out, t, tn, 0, max) ? DP_EPARSE : DP_OK;
}

/* "<epoch>@<idx>" or "<approver hex64>@<idx>:<sig b64>" after the '@'. */
static int split_at(const char *t, size_t tn, size_t *an, const char **b, size_t *bn)
{
	const char *s = memchr(t, '@', tn);
	if (!s)
		return DP_EPARSE;
	*an = (size_t)(s - t);
	*b = s + 1;
	*bn = tn - *an - 1;
	return DP_OK;
}

static int get_key(dp_devrec_dev *d, const char *t, size_t tn)
{
	size_t an, bn;
	const char *b;
	uint64_t u;
	if (tn == 1 && t[0] == '-')
		return DP_OK;
	if (split_at(t, tn, &an, &b, &bn) || num(&u, t, an, UINT32_MAX))
		return DP_EPARSE;
	d->key_epoch = (uint32_t)u;
	d->has_key = 1;
	return num(&d->key_idx, b, bn, UINT64_MAX);
}

static int get_approval(dp_devrec_dev *d, const char *t, size_t tn)
{
	size_t an, bn, sn;
	const char *b, *colon;
	if (tn == 1 && t[0] == '-')
		return DP_OK;
	if (split_at(t, tn, &an, &b, &bn) || an != 2 * DP_ED25519_PK ||
	    dp_hex_decode(d->approver, DP_ED25519_PK, t, an) || !(colon = memchr(b, ':', bn)) ||
	    num(&d->approved_idx, b, (size_t)(colon - b), UINT64_MAX))
		return DP_EPARSE;
	size_t rest = bn - (size_t)(colon - b) - 1;
	if (rest != SIG_B64 ||
	    dp_b64_decode(d->approval_sig, DP_ED25519_SIG, &sn, colon + 1, rest, 1) ||
	    sn != DP_ED25519_SIG)
		return DP_EPARSE;
	d->approved = 1;
	return DP_OK;
}

static int get_dev(dp_devrec_dev *d, const char *v, size_t vn)
{
	const char *t;
	size_t tn, at = 0;
	uint64_t u;
	char st[16];
	if (token(v, vn, &at, &t, &tn) || tn != 2 * DP_ED25519_PK ||
	    dp_hex_decode(d->device, DP_ED25519_PK, t, tn) || token(v, vn, &at, &t, &tn) ||
	    num(&d->enrolled, t, tn, UINT64_MAX) || token(v, vn, &at, &t, &tn) ||
	    num(&u, t, tn, (uint64_t)DP_CREATED_MAX) || token(v, vn, &at, &t, &tn) ||
	    dp_fld_copy(st, sizeof st, t, tn))
		return DP_EPARSE;
	d->time = (int64_t)u;
	for (int s = DP_DEVREC_ACTIVE; s <= DP_DEVREC_REVOKED; s++)
		if (!strcmp(st, status_names[s]))
			d->status = s;
	if (!d->status || token(v, vn, &at, &t, &tn) || num(&d->status_idx, t, tn, UINT64_MAX) ||
	    token(v, vn, &at, &t, &tn) || get_key(d, t, tn) || token(v, vn, &at, &t, &tn) ||
	    get_approval(d, t, tn) || at >= vn)
		return DP_EPARSE;
	return dp_fld_copy(d->name, sizeof d->name, v + at, vn - at) ? DP_EPARSE : DP_OK;
}

static int record_decode(dp_devrec *r, const uint8_t *p, size_t n)
{
	const char *v;
	size_t vn;
	const uint8_t *m;
	int x;
	if (n > DP_DEVREC_TEXT_MAX)
		return DP_ETOOBIG;
	dp_cur c = dp_cur_make(p, n);
	if (dp_cur_take(&c, &m, sizeof MAGIC - 1) || memcmp(m, MAGIC, sizeof MAGIC - 1))
		return DP_EPARSE;
	if ((x = dp_fld_need(&c, "Officer", DP_FLD_ASCII, &v, &vn)) ||
	    dp_fld_copy(r->officer, sizeof r->officer, v, vn))
		return DP_EPARSE;
	while (c.len) {
		if ((x = dp_fld_need(&c, "Device", DP_FLD_ASCII, &v, &vn)))
			return x;
		if (r->n == DP_DEVREC_MAX)
			return DP_ETOOBIG;
		if ((x = get_dev(&r->dev[r->n++], v, vn)))
			return x;
	}
	if (!record_ok(r))
		return DP_EPARSE;
	dp_buf b;
	dp_buf_init(&b, n + 1);
	x = record_put(r, &b);
	if (!x && (b.len != n || memcmp(b.p, p, n)))
		x = DP_EPARSE; /* not the one encoding */
	dp_buf_free(&b);
	return x;
}

int dp_devrec_decode(dp_devrec *r, const uint8_t *p, size_t len)
{
	memset(r, 0, sizeof *r);
	int x = record_decode(r, p, len);
	if (x)
		memset(r, 0, sizeof *r);
	return x;
}

/* ---- who a device trusts ---- */

static int in_list(const uint8_t (*l)[DP_ED25519_PK], size_t n, const uint8_t d[DP_ED25519_PK])
{
	for (size_t i = 0; i < n; i++)
		if (!memcmp(l[i], d, DP_ED25519_PK))
			return 1;
	return 0;
}

void dp_devrec_unapproved(const dp_devrec *r, const uint8_t (*trusted)[DP_ED25519_PK],
			  size_t ntrusted, size_t unknown[DP_DEVREC_MAX], size_t *nunknown)
{
	unsigned char ok[DP_DEVREC_MAX] = {0};
	size_t n = r->n < DP_DEVREC_MAX ? r->n : DP_DEVREC_MAX;
	/* a revoked device vouches for nobody: its approvals fall with it */
	for (size_t i = 0; i < n; i++)
		ok[i] = r->dev[i].status != DP_DEVREC_REVOKED &&
			in_list(trusted, ntrusted, r->dev[i].device);
	for (int grew = 1; grew;) {
		grew = 0;
		for (size_t i = 0; i < n; i++) {
			const dp_devrec_dev *d = &r->dev[i];
			if (ok[i] || d->status == DP_DEVREC_REVOKED || !d->approved)
				continue;
			for (size_t j = 0; j < n; j++)
				if (ok[j] && !memcmp(r->dev[j].device, d->approver, DP_ED25519_PK)) {
					ok[i] = 1;
					grew = 1;
				}
		}
	}
	*nunknown = 0;
	for (size_t i = 0; i < n; i++)
		if (!ok[i] && r->dev[i].status != DP_DEVREC_REVOKED)
			unknown[(*nunknown)++] = i;
}

/* ---- the map ---- */

void dp_devindex_key(uint8_t key[DP_TLOG_HASH], const char *officer)
{
	dp_buf b;
	dp_buf_init(&b, sizeof KEY_DOMAIN + DP_NAME_MAX + 1);
	if (dp_buf_append(&b, KEY_DOMAIN, sizeof KEY_DOMAIN) || /* with its NUL: the 0x00 */
	    dp_buf_puts(&b, officer))
		memset(key, 0, DP_TLOG_HASH); /* out of memory: a key no handle has */
	else
		dp_sha256(key, b.p, b.len);
	dp_buf_free(&b);
}

/* The map's hashes are RFC 6962's (the log's): leaf H(0x00 || key || value hash), node H(0x01 || l || r). */
static void leaf_of(uint8_t out[DP_TLOG_HASH], const uint8_t key[DP_TLOG_HASH],
		    const uint8_t vhash[DP_TLOG_HASH])
{
	uint8_t kv[2 * DP_TLOG_HASH];
	memcpy(kv, key, DP_TLOG_HASH);
	memcpy(kv + DP_TLOG_HASH, vhash, DP_TLOG_HASH);
	dp_tlog_leaf_hash(out, kv, sizeof kv);
}

void dp_devindex_leaf(uint8_t leaf[DP_TLOG_HASH], const uint8_t key[DP_TLOG_HASH],
		      const uint8_t *text, size_t len)
{
	uint8_t vh[DP_TLOG_HASH];
	dp_sha256(vh, text, len);
	leaf_of(leaf, key, vh);
}

static int bit(const uint8_t key[DP_TLOG_HASH], size_t d) { return key[d / 8] >> (7 - d % 8) & 1; }

typedef struct {
	uint8_t h[DP_TLOG_HASH];
	long l, r;  /* children of an inner node; -1 for a leaf or empty */
	long leaf;  /* the pair of a leaf; -1 otherwise */
} node;

typedef struct {
	uint8_t key[DP_TLOG_HASH], vhash[DP_TLOG_HASH];
} pair;

struct dp_devindex {
	pair *p;
	size_t n;
	node *nodes;
	size_t nn, cap;
	long root;
};

static int pair_cmp(const void *a, const void *b)
{
	return memcmp(((const pair *)a)->key, ((const pair *)b)->key, DP_TLOG_HASH);
}

static long new_node(dp_devindex *m)
{
	if (m->nn == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;
		node *t = realloc(m->nodes, cap * sizeof *t);
		if (!t)
			return -1;
		m->nodes = t;
		m->cap = cap;
	}
	node *x = &m->nodes[m->nn];
	memset(x, 0, sizeof *x);
	x->l = x->r = x->leaf = -1;
	return (long)m->nn++;
}

/* The subtree of the sorted pairs [lo, hi), which share their first d bits. */
static long build(dp_devindex *m, size_t lo, size_t hi, size_t d)
{
	long x = new_node(m), l, r;
	if (x < 0)
		return -1;
	if (hi - lo == 1) {
		m->nodes[x].leaf = (long)lo;
		leaf_of(m->nodes[x].h, m->p[lo].key, m->p[lo].vhash);
	}
	if (hi - lo <= 1)
		return x; /* a leaf, or empty (zero hash) */
	size_t mid = lo;
	while (mid < hi && !bit(m->p[mid].key, d))
		mid++; /* sorted: the keys with bit d = 0 come first */
	if ((l = build(m, lo, mid, d + 1)) < 0 || (r = build(m, mid, hi, d + 1)) < 0)
		return -1;
	m->nodes[x].l = l;
	m->nodes[x].r = r;
	dp_tlog_node_hash(m->nodes[x].h, m->nodes[l].h, m->nodes[r].h);
	return x;
}

int dp_devindex_build(dp_devindex **out, const uint8_t (*keys)[DP_TLOG_HASH],
		      const uint8_t (*vhashes)[DP_TLOG_HASH], size_t n)
{
	*out = NULL;
	dp_devindex *m = calloc(1, sizeof *m);
	if (!m || !(m->p = calloc(n ? n : 1, sizeof *m->p))) {
		free(m);
		return DP_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		memcpy(m->p[i].key, keys[i], DP_TLOG_HASH);
		memcpy(m->p[i].vhash, vhashes[i], DP_TLOG_HASH);
	}
	m->n = n;
	qsort(m->p, n, sizeof *m->p, pair_cmp);
	for (size_t i = 1; i < n; i++)
		if (!memcmp(m->p[i - 1].key, m->p[i].key, DP_TLOG_HASH)) {
			dp_devindex_free(m);
			return DP_EINVAL; /* two records for one key */
		}
	if ((m->root = build(m, 0, n, 0)) < 0) {
		dp_devindex_free(m);
		return DP_ENOMEM;
	}
	*out = m;
	return DP_OK;
}

void dp_devindex_free(dp_devindex *m)
{
	if (!m)
		return;
	free(m->p);
	free(m->nodes);
	free(m);
}

void dp_devindex_root(const dp_devindex *m, uint8_t root[DP_TLOG_HASH])
{
	memcpy(root, m->nodes[m->root].h, DP_TLOG_HASH);
}

void dp_devindex_prove(const dp_devindex *m, const uint8_t key[DP_TLOG_HASH],
		       dp_devindex_proof *p, int *found)
{
	memset(p, 0, sizeof *p);
	*found = 0;
	long x = m->root;
	for (size_t d = 0; m->nodes[x].l >= 0; d++) {
		const node *in = &m->nodes[x];
		long next = bit(key, d) ? in->r : in->l, sib = bit(key, d) ? in->l : in->r;
		memcpy(p->sib[p->n++], m->nodes[sib].h, DP_TLOG_HASH);
		x = next;
	}
	long lf = m->nodes[x].leaf;
	if (lf < 0)
		return; /* empty: no record */
	if (!memcmp(m->p[lf].key, key, DP_TLOG_HASH)) {
		*found = 1;
		return;
	}
	p->other = 1; /* another key's leaf: the verifier rebuilds it from these */
	memcpy(p->other_key, m->p[lf].key, DP_TLOG_HASH);
	memcpy(p->other_vhash, m->p[lf].vhash, DP_TLOG_HASH);
}

int dp_devindex_verify(const uint8_t root[DP_TLOG_HASH], const char *officer,
		       const uint8_t *text, size_t len, const dp_devindex_proof *p)
{
	uint8_t key[DP_TLOG_HASH], h[DP_TLOG_HASH];
	if (!officer || !dp_handle_ok(officer) || strlen(officer) > DP_NAME_MAX ||
	    p->n > DP_DEVINDEX_PROOF_MAX)
		return DP_EPROTO;
	dp_devindex_key(key, officer);
	if (text) {
		if (p->other)
			return DP_EPROTO;
		dp_devindex_leaf(h, key, text, len);
	} else if (p->other) {
		/* another key's leaf where the path ends: it must share the path */
		if (!memcmp(p->other_key, key, DP_TLOG_HASH))
			return DP_EPROTO;
		for (size_t d = 0; d < p->n; d++)
			if (bit(p->other_key, d) != bit(key, d))
				return DP_EPROTO;
		leaf_of(h, p->other_key, p->other_vhash);
	} else {
		memset(h, 0, sizeof h); /* empty */
	}
	for (size_t i = p->n; i-- > 0;) {
		uint8_t t[DP_TLOG_HASH];
		if (bit(key, i))
			dp_tlog_node_hash(t, p->sib[i], h);
		else
			dp_tlog_node_hash(t, h, p->sib[i]);
		memcpy(h, t, sizeof h);
	}
	return memcmp(h, root, DP_TLOG_HASH) ? DP_EPROTO : DP_OK;
}

/* ---- the checkpoint line ---- */

int dp_devindex_line_format(dp_buf *out, const uint8_t root[DP_TLOG_HASH])
{
	char b64[45];
	dp_b64_encode(b64, root, DP_TLOG_HASH, 1);
	return dp_buf_printf(out, DP_DEVINDEX_LINE "%s\n", b64);
}

int dp_devindex_line_parse(const char *text, size_t len, size_t ext_start,
			   uint8_t root[DP_TLOG_HASH])
{
	const size_t pl = sizeof DP_DEVINDEX_LINE - 1;
	int found = 0;
	if (ext_start > len)
		return DP_EPARSE;
	for (size_t at = ext_start; at < len;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (text + at)) : len - at, got;
		if (n >= pl - 1 && !memcmp(text + at, DP_DEVINDEX_LINE, pl - 1)) {
			uint8_t r[DP_TLOG_HASH];
			if (found || !nl || n != pl + 44 || text[at + pl - 1] != ' ' ||
			    dp_b64_decode(r, sizeof r, &got, text + at + pl, 44, 1) ||
			    got != DP_TLOG_HASH)
				return DP_EPARSE; /* twice, or not "officer-index <44 chars>" */
			memcpy(root, r, DP_TLOG_HASH);
			found = 1;
		}
		at += n + 1;
	}
	return found ? DP_OK : DP_ENOTFOUND;
}
