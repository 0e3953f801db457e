/*
 * envelope.c - the routing envelope the switch verifies without reading
 * the cable, and the submission framing.  Layout in denpo/envelope.h,
 * rules in docs/formats.md.
 */
#include <stdlib.h>
#include <string.h>

#include "denpo/envelope.h"

#define MAGIC "DPEV"
#define VERSION 1
#define CTX "denpo-envelope-v1"

void dp_envelope_init(dp_envelope *e)
{
	memset(e, 0, sizeof *e);
}

void dp_envelope_free(dp_envelope *e)
{
	free(e->recipients);
	dp_envelope_init(e);
}

static int copy_list(char (*dst)[DP_NAME_MAX + 1], size_t *dn, const char (*src)[DP_NAME_MAX + 1],
		     size_t n)
{
	if (n > DP_MAX_ADDRESSEES)
		return DP_ETOOBIG;
	memcpy(dst, src, n * sizeof *src);
	*dn = n;
	return DP_OK;
}

int dp_envelope_from_cable(dp_envelope *e, const dp_cable *c, const uint8_t *payload,
			   size_t payload_len)
{
	dp_envelope_init(e);
	int r = dp_cable_validate(c);
	if (r)
		return r;
	if (payload_len > DP_MAX_PAYLOAD)
		return DP_ETOOBIG;
	memcpy(e->cable_id, c->id, DP_CABLE_ID);
	memcpy(e->from_device, c->from_device, DP_ED25519_PK);
	memcpy(e->from, c->from, sizeof e->from);
	e->created = c->created;
	e->classification = c->classification;
	memcpy(e->captions, c->captions, sizeof e->captions);
	e->ncaptions = c->ncaptions;
	e->prec_action = c->prec_action;
	e->prec_info = c->prec_info;
	if ((r = copy_list(e->to, &e->nto, c->to, c->nto)) ||
	    (r = copy_list(e->info, &e->ninfo, c->info, c->ninfo)) ||
	    (r = copy_list(e->attn, &e->nattn, c->attn, c->nattn)))
		return r;
	e->recipients = malloc(c->nrecipients * sizeof *e->recipients);
	if (!e->recipients)
		return DP_ENOMEM;
	memcpy(e->recipients, c->recipients, c->nrecipients * sizeof *e->recipients);
	e->nrecipients = c->nrecipients;
	e->payload_len = payload_len;
	dp_sha256(e->payload_sha256, payload, payload_len);
	return DP_OK;
}

/* The routing rules of the cable (docs/formats.md), applied to the envelope. */
static int validate(const dp_envelope *e)
{
	const dp_routing rt = {
		.classification = e->classification,
		.captions = e->captions,
		.ncaptions = e->ncaptions,
		.prec_action = e->prec_action,
		.prec_info = e->prec_info,
		.created = e->created,
		.from = e->from,
		.to = e->to,
		.nto = e->nto,
		.info = e->info,
		.ninfo = e->ninfo,
		.attn = e->attn,
		.nattn = e->nattn,
		.recipients = e->recipients,
		.nrecipients = e->nrecipients,
	};
	int r = dp_routing_validate(&rt);
	if (r)
		return r;
	if (e->payload_len > DP_MAX_PAYLOAD)
		return DP_ETOOBIG;
	return DP_OK;
}

static int put_str8(dp_buf *b, const char *s)
{
	size_t n = strlen(s);
	int r = dp_buf_put_u8(b, (uint8_t)n);
	return r ? r : dp_buf_append(b, s, n);
}

static int put_list(dp_buf *b, const char (*l)[DP_NAME_MAX + 1], size_t n)
{
	int r = dp_buf_put_u8(b, (uint8_t)n);
	for (size_t i = 0; !r && i < n; i++)
		r = put_str8(b, l[i]);
	return r;
}

/* Every byte before the signature. */
static int put_body(const dp_envelope *e, dp_buf *b)
{
	int r = dp_buf_append(b, MAGIC, 4);
	if (!r)
		r = dp_buf_put_u8(b, VERSION);
	if (!r)
		r = dp_buf_put_u8(b, 0);
	if (!r)
		r = dp_buf_append(b, e->cable_id, DP_CABLE_ID);
	if (!r)
		r = dp_buf_append(b, e->from_device, DP_ED25519_PK);
	if (!r)
		r = put_str8(b, e->from);
	if (!r)
		r = dp_buf_put_u64(b, (uint64_t)e->created);
	if (!r)
		r = dp_buf_put_u8(b, (uint8_t)e->classification);
	if (!r)
		r = put_list(b, e->captions, e->ncaptions);
	if (!r)
		r = dp_buf_put_u8(b, (uint8_t)e->prec_action);
	if (!r)
		r = dp_buf_put_u8(b, (uint8_t)e->prec_info);
	if (!r)
		r = put_list(b, e->to, e->nto);
	if (!r)
		r = put_list(b, e->info, e->ninfo);
	if (!r)
		r = put_list(b, e->attn, e->nattn);
	if (!r)
		r = dp_buf_put_u16(b, (uint16_t)e->nrecipients);
	for (size_t i = 0; !r && i < e->nrecipients; i++) {
		const dp_recipient *x = &e->recipients[i];
		r = dp_buf_append(b, x->device, DP_ED25519_PK);
		if (!r)
			r = dp_buf_put_u8(b, x->key_type);
		if (!r)
			r = dp_buf_put_u32(b, x->epoch);
		if (!r)
			r = dp_buf_put_u8(b, x->role);
	}
	if (!r)
		r = dp_buf_put_u64(b, e->payload_len);
	if (!r)
		r = dp_buf_append(b, e->payload_sha256, DP_SHA256);
	return r;
}

int dp_envelope_encode(dp_envelope *e, const uint8_t sk[DP_ED25519_SK], dp_buf *out)
{
	int r = validate(e);
	if (r)
		return r;
	if (memcmp(sk + DP_ED25519_SEED, e->from_device, DP_ED25519_PK))
		return DP_EINVAL; /* must be signed by from_device */
	dp_buf tmp;
	dp_buf_init(&tmp, DP_ENVELOPE_MAX - DP_ED25519_SIG);
	r = put_body(e, &tmp);
	if (!r)
		r = dp_sign(e->sig, sk, CTX, tmp.p, tmp.len);
	if (!r)
		r = dp_buf_append(out, tmp.p, tmp.len);
	if (!r) {
		r = dp_buf_append(out, e->sig, DP_ED25519_SIG);
		if (r)
			out->len -= tmp.len;
	}
	dp_buf_free(&tmp);
	return r;
}

static int get_str8(dp_cur *c, char *dst)
{
	uint8_t n;
	const uint8_t *p;
	if (dp_cur_u8(c, &n) || dp_cur_take(c, &p, n))
		return DP_EPARSE; /* truncated */
	if (n > DP_NAME_MAX)
		return DP_ETOOBIG;
	if (memchr(p, 0, n))
		return DP_EPARSE; /* NUL would truncate the name */
	memcpy(dst, p, n);
	dst[n] = 0;
	return DP_OK;
}

static int get_list(dp_cur *c, char (*l)[DP_NAME_MAX + 1], size_t *n, size_t max)
{
	uint8_t k;
	if (dp_cur_u8(c, &k))
		return DP_EPARSE;
	if (k > max)
		return DP_ETOOBIG;
	for (size_t i = 0; i < k; i++) {
		int r = get_str8(c, l[i]);
		if (r)
			return r;
	}
	*n = k;
	return DP_OK;
}

/* The fields up to prec_info (decode, and dp_submission_claimed_prec's one look). */
static int decode_head(dp_cur *cur, dp_envelope *e)
{
	dp_cur c = *cur;
	const uint8_t *m;
	uint8_t ver, flags, u8;
	uint64_t u64;
	int r;
	if (dp_cur_take(&c, &m, 4) || memcmp(m, MAGIC, 4))
		return DP_EPARSE; /* not an envelope */
	if (dp_cur_u8(&c, &ver))
		return DP_EPARSE;
	if (ver != VERSION)
		return DP_EUNSUPP;
	if (dp_cur_u8(&c, &flags) || flags != 0)
		return DP_EPARSE; /* no flags are defined */
	if (dp_cur_get(&c, e->cable_id, DP_CABLE_ID) ||
	    dp_cur_get(&c, e->from_device, DP_ED25519_PK))
		return DP_EPARSE;
	if ((r = get_str8(&c, e->from)))
		return r;
	if (dp_cur_u64(&c, &u64))
		return DP_EPARSE;
	if (u64 > (uint64_t)DP_CREATED_MAX)
		return DP_EPARSE; /* out of the accepted range */
	e->created = (int64_t)u64;
	if (dp_cur_u8(&c, &u8))
		return DP_EPARSE;
	e->classification = u8;
	if ((r = get_list(&c, e->captions, &e->ncaptions, DP_MAX_CAPTIONS)))
		return r;
	if (dp_cur_u8(&c, &u8))
		return DP_EPARSE;
	e->prec_action = u8;
	if (dp_cur_u8(&c, &u8))
		return DP_EPARSE;
	e->prec_info = u8;
	*cur = c;
	return DP_OK;
}

static int decode(dp_envelope *e, const uint8_t *p, size_t n)
{
	if (n > DP_ENVELOPE_MAX)
		return DP_ETOOBIG;
	if (n < DP_ED25519_SIG)
		return DP_EPARSE;
	dp_cur c = dp_cur_make(p, n - DP_ED25519_SIG);
	uint16_t nr;
	int r = decode_head(&c, e);
	if (r)
		return r;
	if ((r = get_list(&c, e->to, &e->nto, DP_MAX_ADDRESSEES)) ||
	    (r = get_list(&c, e->info, &e->ninfo, DP_MAX_ADDRESSEES)) ||
	    (r = get_list(&c, e->attn, &e->nattn, DP_MAX_ADDRESSEES)))
		return r;
	if (dp_cur_u16(&c, &nr))
		return DP_EPARSE;
	if (nr > DP_MAX_RECIPIENTS)
		return DP_ETOOBIG;
	if ((size_t)nr * 38 > c.len)
		return DP_EPARSE; /* truncated: checked before allocating */
	e->recipients = malloc((nr ? nr : 1) * sizeof *e->recipients);
	if (!e->recipients)
		return DP_ENOMEM;
	e->nrecipients = nr;
	for (size_t i = 0; i < nr; i++) {
		dp_recipient *x = &e->recipients[i];
		if (dp_cur_get(&c, x->device, DP_ED25519_PK) || dp_cur_u8(&c, &x->key_type) ||
		    dp_cur_u32(&c, &x->epoch) || dp_cur_u8(&c, &x->role))
			return DP_EPARSE;
	}
	if (dp_cur_u64(&c, &e->payload_len) || dp_cur_get(&c, e->payload_sha256, DP_SHA256))
		return DP_EPARSE;
	if (c.len != 0)
		return DP_EPARSE; /* trailing bytes before the signature */
	if ((r = validate(e)))
		return r;
	memcpy(e->sig, p + n - DP_ED25519_SIG, DP_ED25519_SIG);
	return dp_verify(e->sig, e->from_device, CTX, p, n - DP_ED25519_SIG);
}

int dp_envelope_decode(dp_envelope *e, const uint8_t *p, size_t n)
{
	dp_envelope_init(e);
	int r = decode(e, p, n);
	if (r)
		dp_envelope_free(e);
	return r;
}

static int lists_eq(const char (*a)[DP_NAME_MAX + 1], size_t na, const char (*b)[DP_NAME_MAX + 1],
		    size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]))
			return 0;
	return 1;
}

int dp_envelope_matches_cable(const dp_envelope *e, const dp_cable *c)
{
	if (memcmp(e->cable_id, c->id, DP_CABLE_ID) ||
	    memcmp(e->from_device, c->from_device, DP_ED25519_PK) || strcmp(e->from, c->from) ||
	    e->created != c->created || e->classification != c->classification ||
	    e->prec_action != c->prec_action || e->prec_info != c->prec_info)
		return 0;
	if (!lists_eq(e->captions, e->ncaptions, c->captions, c->ncaptions) ||
	    !lists_eq(e->to, e->nto, c->to, c->nto) ||
	    !lists_eq(e->info, e->ninfo, c->info, c->ninfo) ||
	    !lists_eq(e->attn, e->nattn, c->attn, c->nattn))
		return 0;
	if (e->nrecipients != c->nrecipients)
		return 0;
	for (size_t i = 0; i < e->nrecipients; i++) {
		const dp_recipient *x = &e->recipients[i], *y = &c->recipients[i];
		if (memcmp(x->device, y->device, DP_ED25519_PK) || x->key_type != y->key_type ||
		    x->epoch != y->epoch || x->role != y->role)
			return 0;
	}
	return 1;
}

int dp_submission_encode(const dp_buf *env, const uint8_t *payload, size_t plen, dp_buf *out)
{
	if (env->len > DP_ENVELOPE_MAX || plen > DP_MAX_PAYLOAD)
		return DP_ETOOBIG;
	size_t start = out->len;
	int r = dp_buf_put_u32(out, (uint32_t)env->len);
	if (!r)
		r = dp_buf_append(out, env->p, env->len);
	if (!r && plen)
		r = dp_buf_append(out, payload, plen);
	if (r)
		out->len = start;
	return r;
}

int dp_submission_claimed_prec(const uint8_t *p, size_t n)
{
	dp_cur c = dp_cur_make(p, n);
	uint32_t elen;
	const uint8_t *ep;
	dp_envelope e; /* only the head's fields are set, none allocated */
	if (dp_cur_u32(&c, &elen) || elen > DP_ENVELOPE_MAX || elen < DP_ED25519_SIG ||
	    dp_cur_take(&c, &ep, elen))
		return -1;
	c = dp_cur_make(ep, elen - DP_ED25519_SIG);
	return decode_head(&c, &e) ? -1 : e.prec_action;
}

int dp_submission_decode(dp_envelope *e, const uint8_t *p, size_t n, const uint8_t **payload,
			 size_t *plen)
{
	dp_envelope_init(e);
	if (n > 4 + (size_t)DP_ENVELOPE_MAX + DP_MAX_PAYLOAD)
		return DP_ETOOBIG;
	dp_cur c = dp_cur_make(p, n);
	uint32_t elen;
	const uint8_t *ep;
	if (dp_cur_u32(&c, &elen))
		return DP_EPARSE; /* no length prefix */
	if (elen > DP_ENVELOPE_MAX)
		return DP_ETOOBIG;
	if (dp_cur_take(&c, &ep, elen))
		return DP_EPARSE; /* envelope truncated */
	int r = dp_envelope_decode(e, ep, elen);
	if (r)
		return r;
	if (c.len != e->payload_len)
		r = DP_EPARSE; /* payload truncated or extended */
	if (!r) {
		uint8_t h[DP_SHA256];
		dp_sha256(h, c.p, c.len);
		if (memcmp(h, e->payload_sha256, DP_SHA256))
			r = DP_ESIG; /* not the payload the originator signed */
	}
	if (r) {
		dp_envelope_free(e);
		return r;
	}
	*payload = c.p;
	*plen = c.len;
	return DP_OK;
}
