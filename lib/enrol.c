/*
 * enrol.c - the signed text files of a device's keys: the offline
 * enrolment request (device -> operator), its answer (switch -> device)
 * and the epoch key record (device -> switch -> senders; denpo/epoch.h).
 * One field per line in a fixed order (docs/formats.md).  Decoders parse field by field, check
 * every value, re-serialize and require byte equality (one encoding per
 * file), then verify the signature.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "denpo/age.h"
#include "denpo/encoding.h"
#include "denpo/enrol.h"
#include "denpo/epoch.h"
#include "lib/fields.h"

#define REQ_MAGIC "DENPO-ENROL-REQUEST/1\n"
#define ANS_MAGIC "DENPO-ENROL-ANSWER/1\n"
#define REQ_CTX "denpo-enrol-request-v1"
#define ANS_CTX "denpo-enrol-answer-v1"
#define EPK_MAGIC "DENPO-EPOCH-KEY/1\n"
#define EPK_CTX "denpo-epoch-key-v1"
#define B64_KEY 44 /* padded base64 of 32 bytes */
#define B64_SIG 88 /* padded base64 of 64 bytes */

/* ---- value rules ---- */

/*
 * Device name: 1..DP_NAME_MAX of [A-Za-z0-9 ._-], first alphanumeric, no
 * trailing or doubled space (every dp_name_ok name qualifies).
 */
static int device_name_ok(const char *s) { return dp_fld_label_ok(s, DP_NAME_MAX, 1); }

/*
 * "age1pq1" + lower-case Bech32 of a valid mlkem768x25519 key: cables are
 * encrypted only to post-quantum recipients, so a device enrols nothing else.
 */
static int age_recipient_check(const char *s)
{
	size_t n = strnlen(s, DP_AGE_RECIPIENT_MAX + 1);
	if (n > DP_AGE_RECIPIENT_MAX)
		return DP_ETOOBIG;
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return DP_EPARSE; /* recipients are written in lower case */
	dp_age_recipient rc;
	int r = dp_age_recipient_parse(&rc, s);
	if (r == DP_EUNSUPP)
		return DP_EUNSUPP; /* a recipient type age does not define here (plugins, tags) */
	if (r)
		return DP_EPARSE; /* bad Bech32, length or key */
	if (rc.type != DP_AGE_MLKEM768X25519)
		return DP_EUNSUPP; /* a classic (X25519) recipient: cables are post-quantum only */
	return DP_OK;
}

static int point_ok(const uint8_t pk[DP_ED25519_PK])
{
	return crypto_core_ed25519_is_valid_point(pk) == 1;
}

/*
 * Log-Key: the Ed25519 verifier key of a C2SP signed note,
 * "<name>+<hex8 id>+<base64(0x01 || pub)>" (c2sp.org/signed-note): name
 * 1..DP_NOTE_NAME_MAX printable ASCII without space or '+'; id 8 lower-case
 * hex digits, SHA-256(name || "\n" || 0x01 || pub)[:4] big-endian; padded
 * standard base64 of 33 bytes; pub a usable point, neither of the switch's
 * other keys.  Only this shape: lib/note.c parses verifier keys in general.
 */
static int log_key_ok(const dp_enrol_answer *a)
{
	const char *s = a->log_key;
	size_t n = strnlen(s, DP_NOTE_VKEY_MAX + 1);
	if (n > DP_NOTE_VKEY_MAX)
		return 0;
	const char *plus = memchr(s, '+', n), *end = s + n;
	size_t nl = plus ? (size_t)(plus - s) : 0;
	if (nl == 0 || nl > DP_NOTE_NAME_MAX)
		return 0; /* no name, or no '+' after it */
	for (size_t i = 0; i < nl; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return 0; /* printable, no space (and no '+': the first one ends the name) */
	const char *h = plus + 1;
	if (end - h < 9 || h[8] != '+')
		return 0;
	static const char hexd[] = "0123456789abcdef";
	uint32_t id = 0;
	for (int i = 0; i < 8; i++) {
		const char *d = memchr(hexd, h[i], 16);
		if (!d)
			return 0; /* lower-case hex only: one spelling */
		id = id << 4 | (uint32_t)(d - hexd);
	}
	uint8_t msg[DP_NOTE_NAME_MAX + 1 + 1 + 32], hash[DP_SHA256];
	size_t got;
	const char *k = h + 9;
	if (dp_b64_decode(msg + nl + 1, 33, &got, k, (size_t)(end - k), 1) || got != 33)
		return 0;
	const uint8_t *pub = msg + nl + 2;
	if (msg[nl + 1] != DP_NOTE_ED25519 || !point_ok(pub))
		return 0; /* an Ed25519 key, usable */
	if (!memcmp(pub, a->switch_sign_pk, DP_ED25519_PK) ||
	    !memcmp(pub, a->switch_tls_pk, DP_ED25519_PK))
		return 0; /* the log signs with a key of its own */
	memcpy(msg, s, nl);
	msg[nl] = '\n';
	dp_sha256(hash, msg, nl + 1 + 33);
	return id == ((uint32_t)hash[0] << 24 | (uint32_t)hash[1] << 16 | (uint32_t)hash[2] << 8 |
		      (uint32_t)hash[3]);
}

/* The epoch key record a request carries (its first cable key). */
static void request_epoch_key(const dp_enrol_request *q, dp_epoch_key *k)
{
	memset(k, 0, sizeof *k);
	memcpy(k->device, q->sign_pk, DP_ED25519_PK);
	k->epoch = q->epoch;
	k->not_before = q->key_not_before;
	k->not_after = q->key_not_after;
	memcpy(k->age_recipient, q->age_recipient, sizeof k->age_recipient);
}

static int epoch_key_window_ok(const dp_epoch_key *k)
{
	return k->not_before >= DP_CREATED_MIN && k->not_after <= DP_CREATED_MAX &&
	       k->not_after - k->not_before >= DP_EPOCH_MIN_LIFE &&
	       k->not_after - k->not_before <= DP_EPOCH_MAX_LIFE;
}

int dp_epoch_key_check(const dp_epoch_key *k)
{
	if (!point_ok(k->device) || !epoch_key_window_ok(k))
		return DP_EPARSE;
	return age_recipient_check(k->age_recipient);
}

static int request_check(const dp_enrol_request *q)
{
	if (!dp_handle_ok(q->officer) || !dp_name_ok(q->post) || !device_name_ok(q->device_name))
		return DP_EPARSE;
	if (!point_ok(q->sign_pk) || !point_ok(q->tls_pk))
		return DP_EPARSE; /* not usable Ed25519 public keys */
	if (!memcmp(q->sign_pk, q->tls_pk, DP_ED25519_PK))
		return DP_EPARSE; /* TLS and signing keys are separate */
	if (q->created < DP_CREATED_MIN || q->created > DP_CREATED_MAX)
		return DP_EPARSE;
	dp_epoch_key k;
	request_epoch_key(q, &k);
	return dp_epoch_key_check(&k);
}

static int answer_check(const dp_enrol_answer *a)
{
	int r;
	if (!point_ok(a->device_id) || !point_ok(a->switch_tls_pk) || !point_ok(a->switch_sign_pk))
		return DP_EPARSE;
	if (!dp_handle_ok(a->officer) || !dp_name_ok(a->post))
		return DP_EPARSE;
	if (a->clearance < DP_CLASS_UNCLASSIFIED || a->clearance > DP_CLASS_TOP_SECRET)
		return DP_EPARSE;
	if ((r = dp_fld_names_ok(a->captions, a->ncaptions, DP_MAX_CAPTIONS, dp_name_ok)) ||
	    (r = dp_fld_names_ok(a->roles, a->nroles, DP_MAX_CAPTIONS, dp_name_ok)))
		return r;
	if (a->switches.n < 1 || a->switches.n > DP_SWITCH_URLS_MAX)
		return DP_EPARSE;
	for (size_t i = 0; i < a->switches.n; i++) {
		if (!dp_switch_url_ok(a->switches.url[i]))
			return DP_EPARSE;
		for (size_t j = 0; j < i; j++)
			if (dp_switch_url_same(a->switches.url[i], a->switches.url[j]))
				return DP_EPARSE; /* one instance twice: a list the operator mistyped */
	}
	if (a->issued < DP_CREATED_MIN || a->issued > DP_CREATED_MAX)
		return DP_EPARSE;
	return DP_OK;
}

/* ---- serialization (everything before the Signature line) ---- */

static int put_key(dp_buf *b, const char *name, const uint8_t *k, size_t n)
{
	char s[B64_SIG + 1];
	dp_b64_encode(s, k, n, 1);
	return dp_buf_printf(b, "%s: %s\n", name, s);
}

static int request_put(const dp_enrol_request *q, dp_buf *b)
{
	int r = dp_buf_printf(b, REQ_MAGIC "Officer: %s\nPost: %s\nDevice-Name: %s\n", q->officer,
			      q->post, q->device_name);
	if (!r)
		r = put_key(b, "Sign-Key", q->sign_pk, DP_ED25519_PK);
	if (!r)
		r = put_key(b, "TLS-Key", q->tls_pk, DP_ED25519_PK);
	if (!r)
		r = dp_buf_printf(b, "Age-Recipient: %s\nKey-Epoch: %lu\nKey-Not-Before: %lld\n"
				     "Key-Not-After: %lld\n",
				  q->age_recipient, (unsigned long)q->epoch, (long long)q->key_not_before,
				  (long long)q->key_not_after);
	if (!r)
		r = put_key(b, "Key-Signature", q->key_sig, DP_ED25519_SIG);
	if (!r)
		r = dp_buf_printf(b, "Created: %lld\n", (long long)q->created);
	return r;
}

static int answer_put(const dp_enrol_answer *a, dp_buf *b)
{
	char hex[2 * DP_ED25519_PK + 1];
	dp_hex_encode(hex, a->device_id, DP_ED25519_PK);
	int r = dp_buf_printf(b, ANS_MAGIC "Device-Id: %s\nOfficer: %s\nPost: %s\nClearance: %s\n",
			      hex, a->officer, a->post, dp_class_name(a->clearance));
	if (!r && a->ncaptions)
		r = dp_fld_put_list(b, "Captions", a->captions, a->ncaptions); /* optional lines */
	if (!r && a->nroles)
		r = dp_fld_put_list(b, "Roles", a->roles, a->nroles);
	for (size_t i = 0; !r && i < a->switches.n; i++)
		r = dp_buf_printf(b, "Switch-URL: %s\n", a->switches.url[i]); /* the primary first */
	if (!r)
		r = put_key(b, "Switch-TLS-Key", a->switch_tls_pk, DP_ED25519_PK);
	if (!r)
		r = put_key(b, "Switch-Sign-Key", a->switch_sign_pk, DP_ED25519_PK);
	if (!r)
		r = dp_buf_printf(b, "Log-Key: %s\nIssued: %lld\n", a->log_key, (long long)a->issued);
	return r;
}

/* Signs what tmp holds and appends it with the Signature line to out. */
static int sign_out(dp_buf *tmp, const uint8_t sk[DP_ED25519_SK], const char *ctx, dp_buf *out)
{
	uint8_t sig[DP_ED25519_SIG];
	int r = dp_sign(sig, sk, ctx, tmp->p, tmp->len);
	if (!r)
		r = put_key(tmp, "Signature", sig, DP_ED25519_SIG);
	if (!r)
		r = dp_buf_append(out, tmp->p, tmp->len);
	return r;
}

int dp_enrol_request_encode(const dp_enrol_request *q0, const uint8_t sk[DP_ED25519_SK], dp_buf *out)
{
	int r = request_check(q0);
	if (r)
		return r;
	if (memcmp(sk + DP_ED25519_SEED, q0->sign_pk, DP_ED25519_PK))
		return DP_EINVAL; /* signed by the key it enrols */
	dp_enrol_request q = *q0; /* Key-Signature: the first epoch key record's signature */
	dp_epoch_key k;
	request_epoch_key(&q, &k);
	r = dp_epoch_key_sign(&k, sk, q.key_sig);
	if (r)
		return r;
	dp_buf tmp;
	dp_buf_init(&tmp, DP_ENROL_MAX);
	r = request_put(&q, &tmp);
	if (!r)
		r = sign_out(&tmp, sk, REQ_CTX, out);
	dp_buf_free(&tmp);
	return r;
}

int dp_enrol_answer_encode(const dp_enrol_answer *a, const uint8_t switch_sk[DP_ED25519_SK],
			   dp_buf *out)
{
	int r = answer_check(a);
	if (r)
		return r;
	if (!log_key_ok(a))
		return DP_EINVAL; /* an empty or malformed Log-Key: the caller's bug */
	if (memcmp(switch_sk + DP_ED25519_SEED, a->switch_sign_pk, DP_ED25519_PK))
		return DP_EINVAL; /* the answer names the key that signs it */
	dp_buf tmp;
	dp_buf_init(&tmp, DP_ENROL_MAX);
	r = answer_put(a, &tmp);
	if (!r)
		r = sign_out(&tmp, switch_sk, ANS_CTX, out);
	dp_buf_free(&tmp);
	return r;
}

/* ---- parsing (lib/fields.h; enrolment files are printable ASCII) ---- */

static int need_str(dp_cur *c, const char *name, char *dst, size_t cap)
{
	const char *v;
	size_t vn;
	int r = dp_fld_need(c, name, DP_FLD_ASCII, &v, &vn);
	return r ? r : dp_fld_copy(dst, cap, v, vn);
}

static int need_key(dp_cur *c, const char *name, uint8_t *k, size_t n)
{
	char s[B64_SIG + 1];
	size_t got;
	int r = need_str(c, name, s, sizeof s);
	if (r)
		return r == DP_ETOOBIG ? DP_EPARSE : r;
	if (dp_b64_decode(k, n, &got, s, strlen(s), 1) || got != n)
		return DP_EPARSE;
	return DP_OK;
}

/* A 32-byte key in lower-case hex (upper case is not canonical: the re-encoding catches it). */
static int need_hexkey(dp_cur *c, const char *name, uint8_t k[DP_ED25519_PK])
{
	char hex[2 * DP_ED25519_PK + 1];
	int r = need_str(c, name, hex, sizeof hex);
	if (r)
		return r == DP_ETOOBIG ? DP_EPARSE : r;
	if (strlen(hex) != 2 * DP_ED25519_PK || dp_hex_decode(k, DP_ED25519_PK, hex, 2 * DP_ED25519_PK))
		return DP_EPARSE;
	return DP_OK;
}

/* Decimal, no leading zeros, <= max. */
static int need_uint(dp_cur *c, const char *name, uint64_t max, uint64_t *out)
{
	const char *v;
	size_t vn;
	int r = dp_fld_need(c, name, DP_FLD_ASCII, &v, &vn);
	if (!r)
		r = dp_fld_uint(out, v, vn, max);
	return r == DP_ETOOBIG ? DP_EPARSE : r;
}

/* An optional list line: DP_OK whether it is there or not, or an error. */
static int opt_list(dp_cur *c, const char *name, char (*l)[DP_NAME_MAX + 1], size_t *n)
{
	const char *v;
	size_t vn;
	int r = dp_fld_take(c, name, DP_FLD_ASCII, &v, &vn);
	if (r <= 0)
		return r;
	return dp_fld_list((char *)l, sizeof l[0], DP_MAX_CAPTIONS, n, v, vn);
}

/*
 * One Switch-URL line per address of the switch: at least one, at most
 * DP_SWITCH_URLS_MAX, each well-formed, no two the same.
 */
static int switch_urls(dp_cur *c, dp_switch_list *l)
{
	int r = DP_OK;
	for (;;) {
		const char *v;
		size_t vn;
		char url[DP_URL_MAX + 1];
		r = dp_fld_take(c, "Switch-URL", DP_FLD_ASCII, &v, &vn);
		if (r <= 0)
			break;
		if (dp_fld_copy(url, sizeof url, v, vn))
			return DP_EPARSE; /* longer than any address */
		if ((r = dp_switch_list_add(l, url)))
			return DP_EPARSE; /* malformed, a repeat, or one too many */
	}
	if (r < 0)
		return r;
	return l->n ? DP_OK : DP_EPARSE; /* no address at all */
}

/*
 * The last line is "Signature: <b64>\n" and ends the input; *signed_len is
 * the length of everything before it.
 */
static int split_sig(const uint8_t *p, size_t n, uint8_t sig[DP_ED25519_SIG], size_t *signed_len)
{
	static const char pre[] = "Signature: ";
	size_t ll = sizeof pre - 1 + B64_SIG + 1;
	if (n > DP_ENROL_MAX)
		return DP_ETOOBIG;
	if (n < ll || p[n - 1] != '\n' || memcmp(p + n - ll, pre, sizeof pre - 1))
		return DP_EPARSE; /* no signature line at the end */
	if (n > ll && p[n - ll - 1] != '\n')
		return DP_EPARSE; /* the signature line starts a line */
	size_t got;
	if (dp_b64_decode(sig, DP_ED25519_SIG, &got, (const char *)p + n - ll + sizeof pre - 1,
			  B64_SIG, 1) ||
	    got != DP_ED25519_SIG)
		return DP_EPARSE;
	*signed_len = n - ll;
	return DP_OK;
}

/*
 * Splits off the signature and checks the magic line of p[0..n): *c is left
 * on the first field, *sl is the length of the signed part.
 */
static int open_file(const uint8_t *p, size_t n, const char *magic, uint8_t sig[DP_ED25519_SIG],
		     size_t *sl, dp_cur *c)
{
	int r = split_sig(p, n, sig, sl);
	if (r)
		return r;
	*c = dp_cur_make(p, *sl);
	const uint8_t *m;
	size_t mn = strlen(magic);
	if (dp_cur_take(c, &m, mn) || memcmp(m, magic, mn))
		return DP_EPARSE; /* not a version 1 file of this kind */
	return DP_OK;
}

/*
 * b holds the parsed fields re-serialized (r: how that went); they must be
 * exactly the signed bytes p[0..sl) (one encoding per file), which sig signs
 * under pk and ctx.  Frees b.
 */
static int finish(dp_buf *b, int r, const uint8_t *p, size_t sl, const uint8_t sig[DP_ED25519_SIG],
		  const uint8_t pk[DP_ED25519_PK], const char *ctx)
{
	if (!r && (b->len != sl || memcmp(b->p, p, sl)))
		r = DP_EPARSE; /* not the canonical form */
	dp_buf_free(b);
	if (r)
		return r == DP_ETOOBIG ? DP_EPARSE : r;
	return dp_verify(sig, pk, ctx, p, sl);
}

static int request_decode(dp_enrol_request *q, const uint8_t *p, size_t n)
{
	uint8_t sig[DP_ED25519_SIG];
	size_t sl;
	uint64_t u;
	dp_cur c;
	int r = open_file(p, n, REQ_MAGIC, sig, &sl, &c);
	if (r)
		return r;
	if ((r = need_str(&c, "Officer", q->officer, sizeof q->officer)) ||
	    (r = need_str(&c, "Post", q->post, sizeof q->post)) ||
	    (r = need_str(&c, "Device-Name", q->device_name, sizeof q->device_name)) ||
	    (r = need_key(&c, "Sign-Key", q->sign_pk, DP_ED25519_PK)) ||
	    (r = need_key(&c, "TLS-Key", q->tls_pk, DP_ED25519_PK)) ||
	    (r = need_str(&c, "Age-Recipient", q->age_recipient, sizeof q->age_recipient)))
		return r;
	if ((r = need_uint(&c, "Key-Epoch", UINT32_MAX, &u)))
		return r;
	q->epoch = (uint32_t)u;
	if ((r = need_uint(&c, "Key-Not-Before", (uint64_t)DP_CREATED_MAX, &u)))
		return r;
	q->key_not_before = (int64_t)u;
	if ((r = need_uint(&c, "Key-Not-After", (uint64_t)DP_CREATED_MAX, &u)))
		return r;
	q->key_not_after = (int64_t)u;
	if ((r = need_key(&c, "Key-Signature", q->key_sig, DP_ED25519_SIG)))
		return r;
	if ((r = need_uint(&c, "Created", (uint64_t)DP_CREATED_MAX, &u)))
		return r;
	q->created = (int64_t)u;
	if (c.len != 0)
		return DP_EPARSE; /* unknown or repeated line before the signature */
	if ((r = request_check(q)))
		return r;
	dp_buf b;
	dp_buf_init(&b, DP_ENROL_MAX);
	r = request_put(q, &b);
	if ((r = finish(&b, r, p, sl, sig, q->sign_pk, REQ_CTX)))
		return r;
	dp_epoch_key k;
	request_epoch_key(q, &k);
	return dp_epoch_key_verify(&k, q->key_sig);
}

int dp_enrol_request_decode(dp_enrol_request *q, const uint8_t *p, size_t n)
{
	memset(q, 0, sizeof *q);
	int r = request_decode(q, p, n);
	if (r)
		memset(q, 0, sizeof *q);
	return r;
}

static int answer_decode(dp_enrol_answer *a, const uint8_t *p, size_t n)
{
	uint8_t sig[DP_ED25519_SIG];
	size_t sl;
	uint64_t u;
	char tmp[2 * DP_ED25519_PK + 1];
	dp_cur c;
	int r = open_file(p, n, ANS_MAGIC, sig, &sl, &c);
	if (r)
		return r;
	if ((r = need_hexkey(&c, "Device-Id", a->device_id)))
		return r;
	if ((r = need_str(&c, "Officer", a->officer, sizeof a->officer)) ||
	    (r = need_str(&c, "Post", a->post, sizeof a->post)))
		return r;
	if ((r = need_str(&c, "Clearance", tmp, sizeof tmp)))
		return r == DP_ETOOBIG ? DP_EPARSE : r;
	if (dp_class_parse(tmp, &a->clearance))
		return DP_EPARSE;
	if ((r = opt_list(&c, "Captions", a->captions, &a->ncaptions)) < 0 ||
	    (r = opt_list(&c, "Roles", a->roles, &a->nroles)) < 0)
		return r;
	if ((r = switch_urls(&c, &a->switches)) ||
	    (r = need_key(&c, "Switch-TLS-Key", a->switch_tls_pk, DP_ED25519_PK)) ||
	    (r = need_key(&c, "Switch-Sign-Key", a->switch_sign_pk, DP_ED25519_PK)))
		return r;
	if ((r = need_str(&c, "Log-Key", a->log_key, sizeof a->log_key)))
		return r == DP_ETOOBIG ? DP_EPARSE : r; /* no verifier key is that long */
	if ((r = need_uint(&c, "Issued", (uint64_t)DP_CREATED_MAX, &u)))
		return r;
	a->issued = (int64_t)u;
	if (c.len != 0)
		return DP_EPARSE; /* unknown or repeated line before the signature */
	if ((r = answer_check(a)))
		return r;
	if (!log_key_ok(a))
		return DP_EPARSE;
	dp_buf b;
	dp_buf_init(&b, DP_ENROL_MAX);
	r = answer_put(a, &b); /* the canonical form also rejects upper-case hex, "S" for SECRET */
	return finish(&b, r, p, sl, sig, a->switch_sign_pk, ANS_CTX);
}

int dp_enrol_answer_decode(dp_enrol_answer *a, const uint8_t *p, size_t n)
{
	memset(a, 0, sizeof *a);
	int r = answer_decode(a, p, n);
	if (r)
		memset(a, 0, sizeof *a);
	return r;
}

/* ---- the epoch key record ---- */

static int epoch_key_put(const dp_epoch_key *k, dp_buf *b)
{
	char hex[2 * DP_ED25519_PK + 1];
	dp_hex_encode(hex, k->device, DP_ED25519_PK);
	return dp_buf_printf(b,
			     EPK_MAGIC "Device-Id: %s\nKey-Epoch: %lu\nNot-Before: %lld\nNot-After: %lld\n"
				       "Age-Recipient: %s\n",
			     hex, (unsigned long)k->epoch, (long long)k->not_before,
			     (long long)k->not_after, k->age_recipient);
}

int dp_epoch_key_sign(const dp_epoch_key *k, const uint8_t sk[DP_ED25519_SK],
		      uint8_t sig[DP_ED25519_SIG])
{
	int r = dp_epoch_key_check(k);
	if (r)
		return r;
	if (memcmp(sk + DP_ED25519_SEED, k->device, DP_ED25519_PK))
		return DP_EINVAL; /* only the device signs its keys */
	dp_buf b;
	dp_buf_init(&b, DP_EPOCH_KEY_MAX);
	r = epoch_key_put(k, &b);
	if (!r)
		r = dp_sign(sig, sk, EPK_CTX, b.p, b.len);
	dp_buf_free(&b);
	return r;
}

int dp_epoch_key_verify(const dp_epoch_key *k, const uint8_t sig[DP_ED25519_SIG])
{
	int r = dp_epoch_key_check(k);
	if (r)
		return r;
	dp_buf b;
	dp_buf_init(&b, DP_EPOCH_KEY_MAX);
	r = epoch_key_put(k, &b);
	if (!r)
		r = dp_verify(sig, k->device, EPK_CTX, b.p, b.len);
	dp_buf_free(&b);
	return r;
}

int dp_epoch_key_encode(const dp_epoch_key *k, const uint8_t sk[DP_ED25519_SK], dp_buf *out)
{
	uint8_t sig[DP_ED25519_SIG];
	int r = dp_epoch_key_sign(k, sk, sig);
	return r ? r : dp_epoch_key_encode_sig(k, sig, out);
}

int dp_epoch_key_encode_sig(const dp_epoch_key *k, const uint8_t sig[DP_ED25519_SIG], dp_buf *out)
{
	int r = dp_epoch_key_verify(k, sig);
	if (r)
		return r;
	dp_buf b;
	dp_buf_init(&b, DP_EPOCH_KEY_MAX);
	r = epoch_key_put(k, &b);
	if (!r)
		r = put_key(&b, "Signature", sig, DP_ED25519_SIG);
	if (!r)
		r = dp_buf_append(out, b.p, b.len);
	dp_buf_free(&b);
	return r;
}

static int epoch_key_decode(dp_epoch_key *k, const uint8_t *p, size_t n)
{
	uint8_t sig[DP_ED25519_SIG];
	size_t sl;
	uint64_t u;
	dp_cur c;
	if (n > DP_EPOCH_KEY_MAX)
		return DP_ETOOBIG;
	int r = open_file(p, n, EPK_MAGIC, sig, &sl, &c);
	if (r)
		return r;
	if ((r = need_hexkey(&c, "Device-Id", k->device)))
		return r;
	if ((r = need_uint(&c, "Key-Epoch", UINT32_MAX, &u)))
		return r;
	k->epoch = (uint32_t)u;
	if ((r = need_uint(&c, "Not-Before", (uint64_t)DP_CREATED_MAX, &u)))
		return r;
	k->not_before = (int64_t)u;
	if ((r = need_uint(&c, "Not-After", (uint64_t)DP_CREATED_MAX, &u)))
		return r;
	k->not_after = (int64_t)u;
	if ((r = need_str(&c, "Age-Recipient", k->age_recipient, sizeof k->age_recipient)))
		return r;
	if (c.len != 0)
		return DP_EPARSE; /* unknown or repeated line before the signature */
	if ((r = dp_epoch_key_check(k)))
		return r;
	dp_buf b;
	dp_buf_init(&b, DP_EPOCH_KEY_MAX);
	r = epoch_key_put(k, &b); /* canonical: lower-case hex, no leading zeros */
	return finish(&b, r, p, sl, sig, k->device, EPK_CTX);
}

int dp_epoch_key_decode(dp_epoch_key *k, const uint8_t *p, size_t n)
{
	memset(k, 0, sizeof *k);
	int r = epoch_key_decode(k, p, n);
	if (r)
		memset(k, 0, sizeof *k);
	return r;
}
