/*
 * cable.c - the signed cable plaintext: validation, encoding, strict
 * decoding and rendering.  docs/formats.md is the specification; the
 * header order below is the order of its table.
 *
 * Decoding parses the header block field by field, then re-serializes
 * the parsed cable and requires the input to be byte-identical, so every
 * cable has exactly one encoding (no leading zeros, upper-case hex,
 * abbreviations or stray spaces slip through).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "denpo/cable.h"
#include "denpo/encoding.h"
#include "lib/fields.h"

#define MAGIC "DENPO-CABLE/1\n"
#define CTX "denpo-cable-v1"

/* ---- text rules shared by validate and render ---- */

/*
 * Valid UTF-8 (shortest form, no surrogates, <= U+10FFFF) without C0
 * controls (except LF and TAB when body is set), DEL or C1 controls, so
 * nothing in a cable can drive the reader's terminal.
 */
int dp_text_ok(const uint8_t *p, size_t n, int body)
{
	size_t i = 0;
	while (i < n) {
		uint8_t b = p[i];
		if (b < 0x80) {
			if (b == 0x7f || (b < 0x20 && !(body && (b == '\n' || b == '\t'))))
				return 0;
			i++;
			continue;
		}
		size_t k;
		uint8_t lo = 0x80, hi = 0xbf;
		if (b >= 0xc2 && b <= 0xdf)
			k = 1;
		else if (b >= 0xe0 && b <= 0xef) {
			k = 2;
			if (b == 0xe0)
				lo = 0xa0; /* overlong */
			if (b == 0xed)
				hi = 0x9f; /* surrogates */
		} else if (b >= 0xf0 && b <= 0xf4) {
			k = 3;
			if (b == 0xf0)
				lo = 0x90; /* overlong */
			if (b == 0xf4)
				hi = 0x8f; /* > U+10FFFF */
		} else
			return 0; /* continuation byte, overlong lead or > U+10FFFF */
		if (n - i <= k)
			return 0; /* truncated sequence */
		if (p[i + 1] < lo || p[i + 1] > hi)
			return 0;
		for (size_t j = 2; j <= k; j++)
			if (p[i + j] < 0x80 || p[i + j] > 0xbf)
				return 0;
		if (b == 0xc2 && p[i + 1] <= 0x9f)
			return 0; /* C1 control U+0080..U+009F */
		i += k + 1;
	}
	return 1;
}

/* A one-line free-text field: 1..max bytes, text_ok, no outer spaces. */
static int line_text_ok(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);
	if (n == 0 || n > max)
		return 0;
	if (s[0] == ' ' || s[n - 1] == ' ')
		return 0;
	return dp_text_ok((const uint8_t *)s, n, 0);
}

/* An attachment's file name: no spaces, no hidden files, no "-option". */
static int att_name_ok(const char *s) { return dp_fld_label_ok(s, DP_ATT_NAME_MAX, 0); }

static int leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* "YYYY-MM-DD", a real calendar date in 2000..2999. */
static int date_ok(const char *s)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (strnlen(s, 11) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m = (s[5] - '0') * 10 + (s[6] - '0');
	int d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 2000 || y > 2999 || m < 1 || m > 12 || d < 1)
		return 0;
	int md = mdays[m - 1] + (m == 2 && leap(y));
	return d <= md;
}

static int attn_ok(const char *s) { return dp_name_ok(s) || dp_handle_ok(s); }

/* ---- recipient roles ---- */

static const char *const role_names[] = {[DP_ROLE_ACTION] = "action", [DP_ROLE_INFO] = "info",
					  [DP_ROLE_RECORD] = "record"};
#define ROLE_MAX DP_ROLE_RECORD

const char *dp_role_name(int role)
{
	if (role < DP_ROLE_ACTION || role > ROLE_MAX)
		return "?";
	return role_names[role];
}

int dp_role_parse(const char *s, int *role)
{
	for (int i = DP_ROLE_ACTION; i <= ROLE_MAX; i++) {
		if (!strcmp(s, role_names[i])) {
			*role = i;
			return DP_OK;
		}
	}
	return DP_EPARSE; /* "action", "info" or "record" */
}

int dp_role_prec(int role, int prec_action, int prec_info)
{
	if (role == DP_ROLE_RECORD)
		return DP_PREC_ROUTINE; /* the archive's copy never raises an alarm */
	return role == DP_ROLE_INFO ? prec_info : prec_action;
}

/* ---- the cable object ---- */

void dp_cable_init(dp_cable *c)
{
	memset(c, 0, sizeof *c);
	c->classification = DP_CLASS_UNCLASSIFIED;
	c->prec_action = c->prec_info = DP_PREC_ROUTINE;
}

void dp_cable_new_id(uint8_t id[DP_CABLE_ID])
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	for (int i = 0; i < 6; i++)
		id[i] = (uint8_t)(ms >> (40 - 8 * i));
	dp_random(id + 6, DP_CABLE_ID - 6);
}

void dp_cable_free(dp_cable *c)
{
	if (c->body) {
		dp_wipe(c->body, c->body_len);
		free(c->body);
	}
	for (size_t i = 0; i < c->natts && i < DP_MAX_ATTACHMENTS; i++) {
		if (c->atts[i].data) {
			dp_wipe(c->atts[i].data, c->atts[i].len);
			free(c->atts[i].data);
		}
	}
	free(c->recipients);
	dp_wipe(c, sizeof *c); /* subject and refs are classified too */
	dp_cable_init(c);
}

static int rcp_cmp(const void *a, const void *b)
{
	return memcmp(((const dp_recipient *)a)->device, ((const dp_recipient *)b)->device,
		      DP_ED25519_PK);
}

int dp_cable_set_recipients(dp_cable *c, const dp_recipient *r, size_t n)
{
	if (n > DP_MAX_RECIPIENTS)
		return DP_ETOOBIG;
	dp_recipient *v = NULL;
	if (n) {
		v = malloc(n * sizeof *v);
		if (!v)
			return DP_ENOMEM;
		memcpy(v, r, n * sizeof *v);
		qsort(v, n, sizeof *v, rcp_cmp);
		for (size_t i = 1; i < n; i++) {
			if (!memcmp(v[i].device, v[i - 1].device, DP_ED25519_PK)) {
				free(v);
				return DP_EINVAL; /* one device listed twice */
			}
		}
	}
	free(c->recipients);
	c->recipients = v;
	c->nrecipients = n;
	return DP_OK;
}

int dp_routing_validate(const dp_routing *c)
{
	int r;
	if (c->classification < DP_CLASS_UNCLASSIFIED || c->classification > DP_CLASS_TOP_SECRET)
		return DP_EPARSE;
	if ((r = dp_fld_names_ok(c->captions, c->ncaptions, DP_MAX_CAPTIONS, dp_name_ok)))
		return r;
	if (c->prec_action < DP_PREC_FLASH || c->prec_action > DP_PREC_ROUTINE ||
	    c->prec_info < DP_PREC_FLASH || c->prec_info > DP_PREC_ROUTINE)
		return DP_EPARSE;
	if (c->prec_info < c->prec_action)
		return DP_EPARSE; /* info may not be more urgent than action */
	if (c->ninfo == 0 && c->prec_info != c->prec_action)
		return DP_EPARSE; /* no info addressees: one canonical form */
	if (c->created < DP_CREATED_MIN || c->created > DP_CREATED_MAX)
		return DP_EPARSE;
	if (!dp_name_ok(c->from))
		return DP_EPARSE;
	if (c->nto == 0)
		return DP_EPARSE; /* at least one action addressee */
	if ((r = dp_fld_names_ok(c->to, c->nto, DP_MAX_ADDRESSEES, dp_name_ok)) ||
	    (r = dp_fld_names_ok(c->info, c->ninfo, DP_MAX_ADDRESSEES, dp_name_ok)) ||
	    (r = dp_fld_names_ok(c->attn, c->nattn, DP_MAX_ADDRESSEES, attn_ok)))
		return r;
	for (size_t i = 0; i < c->ninfo; i++)
		for (size_t j = 0; j < c->nto; j++)
			if (!strcmp(c->info[i], c->to[j]))
				return DP_EPARSE; /* a post is action or info, not both */
	if (c->nrecipients > DP_MAX_RECIPIENTS)
		return DP_ETOOBIG;
	if (c->nrecipients == 0 || !c->recipients)
		return DP_EPARSE; /* nobody could read it */
	for (size_t i = 0; i < c->nrecipients; i++) {
		const dp_recipient *x = &c->recipients[i];
		if (x->key_type != 1 && x->key_type != 3)
			return DP_EPARSE; /* X25519 or mlkem768x25519 only */
		if (x->key_type != c->recipients[0].key_type)
			return DP_EMIXED; /* classic and post-quantum never mixed */
		if (x->role < DP_ROLE_ACTION || x->role > ROLE_MAX)
			return DP_EPARSE; /* action, info or record (any cable) */
		if (x->role == DP_ROLE_INFO && c->ninfo == 0)
			return DP_EPARSE; /* info recipient without info addressees */
		if (i && memcmp(c->recipients[i - 1].device, x->device, DP_ED25519_PK) >= 0)
			return DP_EPARSE; /* sorted, no duplicates */
	}
	return DP_OK;
}

int dp_cable_validate(const dp_cable *c)
{
	const dp_routing rt = {
		.classification = c->classification,
		.captions = c->captions,
		.ncaptions = c->ncaptions,
		.prec_action = c->prec_action,
		.prec_info = c->prec_info,
		.created = c->created,
		.from = c->from,
		.to = c->to,
		.nto = c->nto,
		.info = c->info,
		.ninfo = c->ninfo,
		.attn = c->attn,
		.nattn = c->nattn,
		.recipients = c->recipients,
		.nrecipients = c->nrecipients,
	};
	int r = dp_routing_validate(&rt);
	if (r)
		return r;
	if (c->ntags == 0)
		return DP_EPARSE; /* at least one subject tag */
	if ((r = dp_fld_names_ok(c->tags, c->ntags, DP_MAX_TAGS, dp_name_ok)))
		return r;
	if (!line_text_ok(c->subject, DP_SUBJECT_MAX))
		return DP_EPARSE;
	if (c->nrefs > DP_MAX_REFS)
		return DP_ETOOBIG;
	for (size_t i = 0; i < c->nrefs; i++) {
		if (!dp_mrn_ok(c->refs[i]))
			return DP_EPARSE;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(c->refs[i], c->refs[j]))
				return DP_EPARSE; /* duplicate reference */
	}
	if (c->declassify_on[0] && c->declassify_event[0])
		return DP_EPARSE; /* one declassification instruction: a date or an event */
	if (c->declassify_event[0] && (c->classification == DP_CLASS_UNCLASSIFIED ||
				       !line_text_ok(c->declassify_event, DP_DECL_EVENT_MAX)))
		return DP_EPARSE;
	if (c->declassify_on[0]) {
		if (c->classification == DP_CLASS_UNCLASSIFIED || !date_ok(c->declassify_on))
			return DP_EPARSE;
		char day[16];
		time_t t = (time_t)c->created;
		struct tm tm;
		if (!gmtime_r(&t, &tm))
			return DP_EPARSE;
		snprintf(day, sizeof day, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday);
		if (strcmp(c->declassify_on, day) <= 0)
			return DP_EPARSE; /* declassified after it was written */
	}
	if (c->classification == DP_CLASS_UNCLASSIFIED) {
		if (c->classified_by[0])
			return DP_EPARSE; /* nothing to classify */
	} else if (!line_text_ok(c->classified_by, DP_CLASSBY_MAX))
		return DP_EPARSE; /* required for classified cables */
	if (c->retention[0] && !dp_name_ok(c->retention))
		return DP_EPARSE; /* a retention class is a name */
	if (c->body_len > DP_MAX_BODY)
		return DP_ETOOBIG;
	if (c->body_len && !c->body)
		return DP_EINVAL;
	if (c->body_len && !dp_text_ok(c->body, c->body_len, 1))
		return DP_EPARSE;
	if (c->natts > DP_MAX_ATTACHMENTS)
		return DP_ETOOBIG;
	size_t total = c->body_len;
	for (size_t i = 0; i < c->natts; i++) {
		if (!att_name_ok(c->atts[i].name))
			return DP_EPARSE;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(c->atts[i].name, c->atts[j].name))
				return DP_EPARSE; /* duplicate attachment name */
		if (c->atts[i].len && !c->atts[i].data)
			return DP_EINVAL;
		if (c->atts[i].len > DP_MAX_PLAINTEXT - total)
			return DP_ETOOBIG;
		total += c->atts[i].len;
	}
	return DP_OK;
}

/* ---- serialization ---- */

/* Magic, header lines and the blank line; atts_sha[i] = SHA-256 of attachment i. */
static int put_headers(const dp_cable *c, const uint8_t (*atts_sha)[DP_SHA256], dp_buf *b)
{
	char hex[2 * DP_ED25519_PK + 1], dtg[16];
	int r = dp_buf_puts(b, MAGIC);
	dp_hex_encode(hex, c->id, DP_CABLE_ID);
	if (!r)
		r = dp_buf_printf(b, "Cable-Id: %s\nClassification: %s\n", hex,
				  dp_class_name(c->classification));
	if (!r && c->ncaptions)
		r = dp_fld_put_list(b, "Captions", c->captions, c->ncaptions);
	dp_dtg_format(c->created, dtg);
	dp_hex_encode(hex, c->from_device, DP_ED25519_PK);
	if (!r)
		r = dp_buf_printf(b, "Precedence: %s/%s\nDTG: %s\nCreated: %lld\nFrom: %s\n"
				     "From-Device: %s\n",
				  dp_prec_name(c->prec_action), dp_prec_name(c->prec_info), dtg,
				  (long long)c->created, c->from, hex);
	if (!r)
		r = dp_fld_put_list(b, "To", c->to, c->nto);
	if (!r && c->ninfo)
		r = dp_fld_put_list(b, "Info", c->info, c->ninfo);
	if (!r && c->nattn)
		r = dp_fld_put_list(b, "Attn", c->attn, c->nattn);
	for (size_t i = 0; !r && i < c->nrecipients; i++) {
		const dp_recipient *x = &c->recipients[i];
		dp_hex_encode(hex, x->device, DP_ED25519_PK);
		r = dp_buf_printf(b, "Recipient: %s %u %lu %s\n", hex, (unsigned)x->key_type,
				  (unsigned long)x->epoch, dp_role_name(x->role));
	}
	if (!r)
		r = dp_fld_put_list(b, "Tags", c->tags, c->ntags);
	if (!r)
		r = dp_buf_printf(b, "Subject: %s\n", c->subject);
	if (!r && c->nrefs) {
		r = dp_buf_puts(b, "Ref: ");
		for (size_t i = 0; !r && i < c->nrefs; i++)
			r = dp_buf_printf(b, "%s%s", i ? ", " : "", c->refs[i]);
		if (!r)
			r = dp_buf_putc(b, '\n');
	}
	if (!r && c->declassify_on[0])
		r = dp_buf_printf(b, "Declassify-On: %s\n", c->declassify_on);
	if (!r && c->declassify_event[0])
		r = dp_buf_printf(b, "Declassify-Event: %s\n", c->declassify_event);
	if (!r && c->classified_by[0])
		r = dp_buf_printf(b, "Classified-By: %s\n", c->classified_by);
	if (!r && c->retention[0])
		r = dp_buf_printf(b, "Retention: %s\n", c->retention);
	for (size_t i = 0; !r && i < c->natts; i++) {
		dp_hex_encode(hex, atts_sha[i], DP_SHA256);
		r = dp_buf_printf(b, "Attachment: %zu %s %s\n", c->atts[i].len, hex,
				  c->atts[i].name);
	}
	if (!r)
		r = dp_buf_printf(b, "Body-Length: %zu\n\n", c->body_len);
	return r;
}

int dp_cable_encode(const dp_cable *c, const uint8_t sk[DP_ED25519_SK], dp_buf *out)
{
	int r = dp_cable_validate(c);
	if (r)
		return r;
	if (memcmp(sk + DP_ED25519_SEED, c->from_device, DP_ED25519_PK))
		return DP_EINVAL; /* must be signed by the From-Device */
	uint8_t sha[DP_MAX_ATTACHMENTS][DP_SHA256];
	for (size_t i = 0; i < c->natts; i++)
		dp_sha256(sha[i], c->atts[i].data, c->atts[i].len);
	size_t start = out->len;
	dp_buf tmp;
	dp_buf_init(&tmp, DP_MAX_PLAINTEXT);
	r = put_headers(c, (const uint8_t(*)[DP_SHA256])sha, &tmp);
	if (!r && c->body_len)
		r = dp_buf_append(&tmp, c->body, c->body_len);
	for (size_t i = 0; !r && i < c->natts; i++)
		if (c->atts[i].len)
			r = dp_buf_append(&tmp, c->atts[i].data, c->atts[i].len);
	uint8_t sig[DP_ED25519_SIG];
	if (!r && tmp.len > DP_MAX_PLAINTEXT - DP_ED25519_SIG)
		r = DP_ETOOBIG;
	if (!r)
		r = dp_sign(sig, sk, CTX, tmp.p, tmp.len);
	if (!r)
		r = dp_buf_append(out, tmp.p, tmp.len);
	if (!r)
		r = dp_buf_append(out, sig, sizeof sig);
	if (r && out->len > start) {
		dp_wipe(out->p + start, out->len - start);
		out->len = start;
	}
	dp_buf_free(&tmp);
	return r;
}

/* ---- decoding ---- */

/*
 * The header fields (lib/fields.h).  Their lines may carry UTF-8: Subject,
 * Declassify-Event and Classified-By are free text, checked by their own rule.
 */
static int take(dp_cur *c, const char *name, const char **v, size_t *vn)
{
	return dp_fld_take(c, name, DP_FLD_UTF8, v, vn);
}

static int need(dp_cur *c, const char *name, const char **v, size_t *vn)
{
	return dp_fld_need(c, name, DP_FLD_UTF8, v, vn);
}

/* Exactly 2n lower-case hex digits. */
static int parse_hex(uint8_t *out, size_t n, const char *v, size_t vn)
{
	if (vn != 2 * n)
		return DP_EPARSE;
	for (size_t i = 0; i < vn; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
			return DP_EPARSE; /* lower-case only: one encoding */
	return dp_hex_decode(out, n, v, vn);
}

static int parse_recipient(dp_recipient *x, const char *v, size_t vn)
{
	/* "<64 hex> <key_type> <epoch> <action|info|record>" */
	const char *f[4];
	size_t fl[4], k = 0, i = 0;
	while (k < 4) {
		const char *sp = memchr(v + i, ' ', vn - i);
		size_t end = sp ? (size_t)(sp - v) : vn;
		f[k] = v + i;
		fl[k++] = end - i;
		if (!sp)
			break;
		i = end + 1;
	}
	if (k != 4 || f[3] + fl[3] != v + vn)
		return DP_EPARSE; /* four space-separated fields */
	uint64_t kt, ep;
	if (parse_hex(x->device, DP_ED25519_PK, f[0], fl[0]) ||
	    dp_fld_uint(&kt, f[1], fl[1], 255) || dp_fld_uint(&ep, f[2], fl[2], UINT32_MAX))
		return DP_EPARSE;
	x->key_type = (uint8_t)kt;
	x->epoch = (uint32_t)ep;
	char role[8];
	int role_v;
	if (dp_fld_copy(role, sizeof role, f[3], fl[3]) || dp_role_parse(role, &role_v))
		return DP_EPARSE;
	x->role = (uint8_t)role_v;
	return DP_OK;
}

static int parse_attachment(dp_attachment *a, const char *v, size_t vn)
{
	/* "<size> <64 hex sha256> <name>" */
	const char *sp1 = memchr(v, ' ', vn);
	if (!sp1)
		return DP_EPARSE;
	size_t l1 = (size_t)(sp1 - v);
	if (vn - l1 - 1 < 2 * DP_SHA256 + 2 || v[l1 + 1 + 2 * DP_SHA256] != ' ')
		return DP_EPARSE;
	uint64_t sz;
	int r = dp_fld_uint(&sz, v, l1, DP_MAX_PLAINTEXT);
	if (r)
		return r;
	a->len = (size_t)sz;
	if (parse_hex(a->sha256, DP_SHA256, v + l1 + 1, 2 * DP_SHA256))
		return DP_EPARSE;
	size_t off = l1 + 2 + 2 * DP_SHA256;
	return dp_fld_copy(a->name, sizeof a->name, v + off, vn - off);
}

#define LIST(field, max) ((char *)(field)), sizeof((field)[0]), (max)

static int parse_headers(dp_cable *c, dp_cur *cur)
{
	const char *v;
	size_t vn;
	int r;
	char tmp[64];
	uint64_t u;
	const uint8_t *m;
	if (dp_cur_take(cur, &m, sizeof MAGIC - 1) || memcmp(m, MAGIC, sizeof MAGIC - 1))
		return DP_EPARSE; /* not a cable of version 1 */
	if ((r = need(cur, "Cable-Id", &v, &vn)) || (r = parse_hex(c->id, DP_CABLE_ID, v, vn)))
		return r;
	if ((r = need(cur, "Classification", &v, &vn)) ||
	    (r = dp_fld_copy(tmp, sizeof tmp, v, vn)) ||
	    (r = dp_class_parse(tmp, &c->classification)))
		return r ? DP_EPARSE : r;
	if ((r = take(cur, "Captions", &v, &vn)) < 0 ||
	    (r == 1 && (r = dp_fld_list(LIST(c->captions, DP_MAX_CAPTIONS), &c->ncaptions, v, vn))))
		return r;
	if ((r = need(cur, "Precedence", &v, &vn)))
		return r;
	const char *slash = memchr(v, '/', vn);
	if (!slash)
		return DP_EPARSE; /* "ACTION/INFO" */
	if (dp_fld_copy(tmp, sizeof tmp, v, (size_t)(slash - v)) ||
	    dp_prec_parse(tmp, &c->prec_action) ||
	    dp_fld_copy(tmp, sizeof tmp, slash + 1, vn - (size_t)(slash - v) - 1) ||
	    dp_prec_parse(tmp, &c->prec_info))
		return DP_EPARSE;
	char dtg[16];
	if ((r = need(cur, "DTG", &v, &vn)) || (r = dp_fld_copy(dtg, sizeof dtg, v, vn)))
		return r ? DP_EPARSE : r;
	if ((r = need(cur, "Created", &v, &vn)) ||
	    (r = dp_fld_uint(&u, v, vn, (uint64_t)DP_CREATED_MAX)))
		return r ? DP_EPARSE : r;
	c->created = (int64_t)u;
	char want[16];
	dp_dtg_format(c->created, want);
	if (strcmp(dtg, want))
		return DP_EPARSE; /* DTG must agree with Created */
	if ((r = need(cur, "From", &v, &vn)) || (r = dp_fld_copy(c->from, sizeof c->from, v, vn)))
		return r;
	if ((r = need(cur, "From-Device", &v, &vn)) ||
	    (r = parse_hex(c->from_device, DP_ED25519_PK, v, vn)))
		return r;
	if ((r = need(cur, "To", &v, &vn)) ||
	    (r = dp_fld_list(LIST(c->to, DP_MAX_ADDRESSEES), &c->nto, v, vn)))
		return r;
	if ((r = take(cur, "Info", &v, &vn)) < 0 ||
	    (r == 1 && (r = dp_fld_list(LIST(c->info, DP_MAX_ADDRESSEES), &c->ninfo, v, vn))))
		return r;
	if ((r = take(cur, "Attn", &v, &vn)) < 0 ||
	    (r == 1 && (r = dp_fld_list(LIST(c->attn, DP_MAX_ADDRESSEES), &c->nattn, v, vn))))
		return r;
	size_t alloc = 0;
	while ((r = take(cur, "Recipient", &v, &vn)) == 1) {
		if (c->nrecipients == DP_MAX_RECIPIENTS)
			return DP_ETOOBIG;
		if (c->nrecipients == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			dp_recipient *nr = realloc(c->recipients, alloc * sizeof *nr);
			if (!nr)
				return DP_ENOMEM;
			c->recipients = nr;
		}
		if ((r = parse_recipient(&c->recipients[c->nrecipients], v, vn)))
			return r;
		c->nrecipients++;
	}
	if (r < 0)
		return r;
	if ((r = need(cur, "Tags", &v, &vn)) ||
	    (r = dp_fld_list(LIST(c->tags, DP_MAX_TAGS), &c->ntags, v, vn)))
		return r;
	if ((r = need(cur, "Subject", &v, &vn)) ||
	    (r = dp_fld_copy(c->subject, sizeof c->subject, v, vn)))
		return r;
	if ((r = take(cur, "Ref", &v, &vn)) < 0 ||
	    (r == 1 && (r = dp_fld_list(LIST(c->refs, DP_MAX_REFS), &c->nrefs, v, vn))))
		return r;
	if ((r = take(cur, "Declassify-On", &v, &vn)) < 0 ||
	    (r == 1 && (r = dp_fld_copy(c->declassify_on, sizeof c->declassify_on, v, vn))))
		return r == DP_ETOOBIG ? DP_EPARSE : r;
	if ((r = take(cur, "Declassify-Event", &v, &vn)) < 0 ||
	    (r == 1 && (r = dp_fld_copy(c->declassify_event, sizeof c->declassify_event, v, vn))))
		return r;
	if ((r = take(cur, "Classified-By", &v, &vn)) < 0 ||
	    (r == 1 && (r = dp_fld_copy(c->classified_by, sizeof c->classified_by, v, vn))))
		return r;
	if ((r = take(cur, "Retention", &v, &vn)) < 0 ||
	    (r == 1 && (r = dp_fld_copy(c->retention, sizeof c->retention, v, vn))))
		return r;
	while ((r = take(cur, "Attachment", &v, &vn)) == 1) {
		if (c->natts == DP_MAX_ATTACHMENTS)
			return DP_ETOOBIG;
		if ((r = parse_attachment(&c->atts[c->natts], v, vn)))
			return r;
		c->natts++;
	}
	if (r < 0)
		return r;
	if ((r = need(cur, "Body-Length", &v, &vn)) ||
	    (r = dp_fld_uint(&u, v, vn, DP_MAX_BODY)))
		return r;
	c->body_len = (size_t)u;
	const uint8_t *line;
	size_t ln;
	if (dp_cur_line(cur, &line, &ln) || ln != 0)
		return DP_EPARSE; /* unknown, repeated or misplaced header */
	return DP_OK;
}

/* Header syntax, lengths, content rules, canonical form, hashes, signature. */
static int decode(dp_cable *c, const uint8_t *p, size_t n)
{
	if (n > DP_MAX_PLAINTEXT)
		return DP_ETOOBIG;
	if (n < sizeof MAGIC - 1 + DP_ED25519_SIG)
		return DP_EPARSE; /* too short to hold magic and signature */
	size_t signed_len = n - DP_ED25519_SIG;
	dp_cur cur = dp_cur_make(p, signed_len);
	int r = parse_headers(c, &cur);
	if (r)
		return r;
	size_t hdr_len = signed_len - cur.len;
	/* body and attachments fill the rest exactly: nothing missing, nothing extra */
	size_t need_len = c->body_len;
	for (size_t i = 0; i < c->natts; i++) {
		if (c->atts[i].len > cur.len)
			return DP_EPARSE;
		need_len += c->atts[i].len;
		if (need_len > cur.len)
			return DP_EPARSE;
	}
	if (need_len != cur.len)
		return DP_EPARSE;
	const uint8_t *q;
	size_t natts = c->natts;
	c->natts = 0; /* own the data as it is copied, so free() stays correct */
	if (c->body_len) {
		c->body = malloc(c->body_len);
		if (!c->body)
			return DP_ENOMEM;
		if (dp_cur_take(&cur, &q, c->body_len))
			return DP_EPARSE;
		memcpy(c->body, q, c->body_len);
	}
	for (size_t i = 0; i < natts; i++) {
		dp_attachment *a = &c->atts[i];
		if (dp_cur_take(&cur, &q, a->len))
			return DP_EPARSE;
		a->data = malloc(a->len ? a->len : 1);
		if (!a->data)
			return DP_ENOMEM;
		c->natts++;
		if (a->len)
			memcpy(a->data, q, a->len);
	}
	if ((r = dp_cable_validate(c)))
		return r;
	/* canonical form: the parsed cable re-serializes to the same bytes */
	uint8_t sha[DP_MAX_ATTACHMENTS][DP_SHA256];
	for (size_t i = 0; i < c->natts; i++)
		memcpy(sha[i], c->atts[i].sha256, DP_SHA256);
	dp_buf hb;
	dp_buf_init(&hb, hdr_len);
	r = put_headers(c, (const uint8_t(*)[DP_SHA256])sha, &hb);
	if (r == DP_ETOOBIG || (!r && (hb.len != hdr_len || memcmp(hb.p, p, hdr_len))))
		r = DP_EPARSE; /* not the one canonical encoding */
	dp_buf_free(&hb);
	if (r)
		return r;
	for (size_t i = 0; i < c->natts; i++) {
		uint8_t h[DP_SHA256];
		dp_sha256(h, c->atts[i].data, c->atts[i].len);
		if (memcmp(h, c->atts[i].sha256, DP_SHA256))
			return DP_EPARSE; /* attachment does not match its declared hash */
	}
	return dp_verify(p + signed_len, c->from_device, CTX, p, signed_len);
}

int dp_cable_decode(dp_cable *c, const uint8_t *p, size_t n)
{
	dp_cable_init(c);
	int r = decode(c, p, n);
	if (r)
		dp_cable_free(c);
	return r;
}

/* ---- rendering ---- */

int dp_cable_banner(const dp_cable *c, const dp_markings *m, dp_buf *out)
{
	int cl = c->classification;
	if (cl < DP_CLASS_UNCLASSIFIED || cl > DP_CLASS_TOP_SECRET)
		return DP_EINVAL;
	const char *mk = m ? m->of[cl] : "";
	/* a marking the rule refuses is not shown at all: the level alone is always right */
	int r = mk[0] && dp_marking_ok(mk, strlen(mk), NULL, 0)
			? dp_buf_printf(out, "%s (%s)", mk, dp_class_banner(cl))
			: dp_buf_puts(out, dp_class_banner(cl));
	for (size_t i = 0; !r && i < c->ncaptions; i++)
		r = dp_buf_printf(out, "//%s", c->captions[i]);
	return r;
}

static int put_banner(const dp_cable *c, const dp_markings *m, dp_buf *b)
{
	int r = dp_cable_banner(c, m, b);
	return r ? r : dp_buf_putc(b, '\n');
}

static int put_rlist(dp_buf *b, const char *label, const char (*l)[DP_NAME_MAX + 1], size_t n)
{
	int r = dp_buf_puts(b, label);
	for (size_t i = 0; !r && i < n; i++)
		r = dp_buf_printf(b, "%s%s", i ? ", " : " ", l[i]);
	return r ? r : dp_buf_putc(b, '\n');
}

int dp_cable_render(const dp_cable *c, const char *mrn, dp_buf *out)
{
	return dp_cable_render_marked(c, mrn, NULL, out);
}

int dp_cable_render_marked(const dp_cable *c, const char *mrn, const dp_markings *m, dp_buf *out)
{
	int r = dp_cable_validate(c);
	if (r)
		return r;
	if (mrn && !dp_mrn_ok(mrn))
		return DP_EINVAL;
	char dtg[16], hex[2 * DP_SHA256 + 1];
	dp_dtg_format(c->created, dtg);
	r = put_banner(c, m, out);
	if (!r && c->ninfo)
		r = dp_buf_printf(out, "%s/%s  %s\n", dp_prec_name(c->prec_action),
				  dp_prec_name(c->prec_info), dtg);
	else if (!r)
		r = dp_buf_printf(out, "%s  %s\n", dp_prec_name(c->prec_action), dtg);
	if (!r)
		r = dp_buf_printf(out, "FM %s\n", c->from);
	if (!r)
		r = put_rlist(out, "TO", c->to, c->nto);
	if (!r && c->ninfo)
		r = put_rlist(out, "INFO", c->info, c->ninfo);
	if (!r && c->nattn)
		r = put_rlist(out, "ATTN", c->attn, c->nattn);
	if (!r)
		r = dp_buf_putc(out, '\n');
	if (!r)
		r = dp_cable_banner(c, m, out);
	if (!r)
		r = dp_buf_printf(out, " %s\n", mrn ? mrn : "(NO MRN YET)");
	if (!r && c->classified_by[0])
		r = dp_buf_printf(out, "CLASSIFIED BY: %s\n", c->classified_by);
	if (!r && c->declassify_on[0])
		r = dp_buf_printf(out, "DECL: %s\n", c->declassify_on);
	if (!r && c->declassify_event[0])
		r = dp_buf_printf(out, "DECL: ON EVENT: %s\n", c->declassify_event);
	if (!r && c->retention[0])
		r = dp_buf_printf(out, "RETENTION: %s\n", c->retention);
	if (!r)
		r = put_rlist(out, "TAGS:", c->tags, c->ntags);
	if (!r)
		r = dp_buf_printf(out, "SUBJECT: %s\n", c->subject);
	if (!r && c->nrefs) {
		r = dp_buf_puts(out, "REF:");
		for (size_t i = 0; !r && i < c->nrefs; i++)
			r = dp_buf_printf(out, " %c) %s", 'A' + (int)i, c->refs[i]);
		if (!r)
			r = dp_buf_putc(out, '\n');
	}
	dp_hex_encode(hex, c->id, DP_CABLE_ID);
	if (!r)
		r = dp_buf_printf(out, "CABLE ID: %s\n\n", hex);
	if (!r && c->body_len) {
		r = dp_buf_append(out, c->body, c->body_len);
		if (!r && c->body[c->body_len - 1] != '\n')
			r = dp_buf_putc(out, '\n');
	}
	if (!r && c->natts)
		r = dp_buf_puts(out, "\nATTACHMENTS:\n");
	for (size_t i = 0; !r && i < c->natts; i++) {
		uint8_t h[DP_SHA256];
		dp_sha256(h, c->atts[i].data, c->atts[i].len);
		dp_hex_encode(hex, h, DP_SHA256);
		r = dp_buf_printf(out, "%zu. %s (%zu bytes, SHA-256 %s)\n", i + 1, c->atts[i].name,
				  c->atts[i].len, hex);
	}
	if (!r)
		r = dp_buf_putc(out, '\n');
	if (!r)
		r = put_banner(c, m, out);
	return r;
}
