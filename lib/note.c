/*
 * note.c - C2SP signed notes (c2sp.org/signed-note), verifier and signer
 * keys, Ed25519 and cosignature/v1 (c2sp.org/tlog-cosignature) signature
 * lines, checkpoints (c2sp.org/tlog-checkpoint) and offline proof files
 * (c2sp.org/tlog-proof).
 *
 * Every input here is untrusted text.  Parsers take (pointer, length),
 * never read past it, check the whole input before reporting anything,
 * and accept one spelling of each value (decimal without leading zeros,
 * padded canonical base64, lower-case hex).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "denpo/crypto.h"
#include "denpo/encoding.h"
#include "denpo/tlog.h"
#include "lib/fields.h"

#define EM_DASH "\xe2\x80\x94"
#define SIG_PREFIX EM_DASH " "
#define SIG_PREFIX_LEN 4
#define ED25519_SIG 64
#define COSIG_LEN (8 + ED25519_SIG)
#define COSIG_HEADER "cosignature/v1\ntime "
#define PROOF_HEADER "c2sp.org/tlog-proof@v1"

/* ---- text rules ---- */

/* Valid UTF-8 without ASCII control characters other than '\n' (signed-note). */
static int text_ok(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		long c = dp_fld_utf8_next(p, n, &i);
		if (c < 0 || (c < 0x20 && c != '\n'))
			return 0;
	}
	return 1;
}

/* Unicode White_Space (what Go's unicode.IsSpace reports). */
static int uspace(long c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
	       c == 0x205f || c == 0x3000;
}

/* Key name: 1..255 bytes of printable UTF-8, no Unicode spaces, no '+'. */
static int name_ok_n(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	if (n == 0 || n > DP_NOTE_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n;) {
		long c = dp_fld_utf8_next(p, n, &i);
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || uspace(c) || c == '+')
			return 0;
	}
	return 1;
}

int dp_note_name_ok(const char *name)
{
	return name && name_ok_n(name, strnlen(name, DP_NOTE_NAME_MAX + 1));
}

/* A text that can be signed: non-empty, ends in '\n', note rules, bounded. */
static int signable(const char *text, size_t len)
{
	return text && len > 0 && len <= DP_NOTE_MAX && text[len - 1] == '\n' &&
	       text_ok((const uint8_t *)text, len);
}

/* Decimal uint64, no sign, no leading zeros ("0" alone). */
static int parse_u64(const char *p, size_t n, uint64_t *v)
{
	if (n == 0 || n > 20 || (p[0] == '0' && n > 1))
		return DP_EPARSE;
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return DP_EPARSE;
		unsigned d = (unsigned)(p[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return DP_EPARSE; /* overflow */
		x = x * 10 + d;
	}
	*v = x;
	return DP_OK;
}

/* The next line of s[0..len) at *at (without '\n'); DP_EPARSE if none ends in '\n'. */
static int next_line(const char *s, size_t len, size_t *at, const char **line, size_t *n)
{
	if (*at >= len)
		return DP_EPARSE;
	const char *nl = memchr(s + *at, '\n', len - *at);
	if (!nl)
		return DP_EPARSE;
	*line = s + *at;
	*n = (size_t)(nl - *line);
	*at += *n + 1;
	return DP_OK;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- keys ---- */

static uint32_t key_id_n(const char *name, size_t n, uint8_t type, const uint8_t pub[32])
{
	uint8_t h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, n);
	crypto_hash_sha256_update(&st, (const uint8_t *)"\n", 1);
	crypto_hash_sha256_update(&st, &type, 1);
	crypto_hash_sha256_update(&st, pub, 32);
	crypto_hash_sha256_final(&st, h);
	return be32(h);
}

uint32_t dp_note_key_id(const char *name, uint8_t type, const uint8_t pub[32])
{
	return key_id_n(name, strlen(name), type, pub);
}

static int type_ok(uint8_t type)
{
	return type == DP_NOTE_ED25519 || type == DP_NOTE_COSIG_V1;
}

int dp_note_vkey_make(dp_note_vkey *k, const char *name, uint8_t type, const uint8_t pub[32])
{
	if (!dp_note_name_ok(name))
		return DP_EINVAL;
	if (!type_ok(type))
		return DP_EUNSUPP;
	memset(k, 0, sizeof *k);
	memcpy(k->name, name, strlen(name));
	k->type = type;
	memcpy(k->pub, pub, 32);
	k->id = dp_note_key_id(k->name, type, pub);
	return DP_OK;
}

/* Exactly 8 lower-case hex digits. */
static int hex8(const char *p, size_t n, uint32_t *v)
{
	if (n != 8)
		return DP_EPARSE;
	uint32_t x = 0;
	for (size_t i = 0; i < 8; i++) {
		char c = p[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return DP_EPARSE; /* upper case is not the canonical spelling */
		x = x << 4 | d;
	}
	*v = x;
	return DP_OK;
}

/*
 * "<name>+<hex8>+<base64(type || 32 bytes)>" (s[0..len)): the name, id and
 * key bytes.  Split at the first two '+' only: base64 holds '+'.
 */
static int split_key(const char *s, size_t len, const char **name, size_t *nlen, uint32_t *id,
		     uint8_t key[33])
{
	const char *p1 = memchr(s, '+', len);
	if (!p1)
		return DP_EPARSE;
	*name = s;
	*nlen = (size_t)(p1 - s);
	if (!name_ok_n(s, *nlen))
		return DP_EPARSE;
	size_t rest = len - *nlen - 1;
	const char *h = p1 + 1;
	const char *p2 = memchr(h, '+', rest);
	if (!p2 || hex8(h, (size_t)(p2 - h), id))
		return DP_EPARSE;
	const char *b = p2 + 1;
	size_t blen = len - (size_t)(b - s), kl;
	int r = dp_b64_decode(key, 33, &kl, b, blen, 1);
	if (r == DP_ETOOBIG || (r == DP_OK && kl == 0))
		return DP_EPARSE; /* no key, or longer than any key we know */
	if (r)
		return r;
	if (!type_ok(key[0]))
		return DP_EUNSUPP;
	if (kl != 33)
		return DP_EPARSE; /* Ed25519: exactly 32 key bytes */
	return DP_OK;
}

int dp_note_vkey_parse(dp_note_vkey *k, const char *s, size_t len)
{
	if (len > DP_NOTE_VKEY_MAX)
		return DP_ETOOBIG;
	const char *name;
	size_t nlen;
	uint32_t id;
	uint8_t key[33];
	int r = split_key(s, len, &name, &nlen, &id, key);
	if (r)
		return r;
	/* the id is a function of the key: a mismatch is a typo or a forgery */
	if (key_id_n(name, nlen, key[0], key + 1) != id)
		return DP_EPARSE;
	memset(k, 0, sizeof *k);
	memcpy(k->name, name, nlen);
	k->id = id;
	k->type = key[0];
	memcpy(k->pub, key + 1, 32);
	return DP_OK;
}

int dp_note_vkey_format(char *out, size_t cap, const dp_note_vkey *k)
{
	if (!dp_note_name_ok(k->name) || !type_ok(k->type))
		return DP_EINVAL;
	uint8_t key[33];
	char b64[64];
	key[0] = k->type;
	memcpy(key + 1, k->pub, 32);
	dp_b64_encode(b64, key, sizeof key, 1);
	int w = snprintf(out, cap, "%s+%08x+%s", k->name, (unsigned)k->id, b64);
	if (w < 0 || (size_t)w >= cap) {
		if (cap)
			out[0] = 0;
		return DP_ETOOBIG;
	}
	return DP_OK;
}

int dp_note_skey_parse(dp_note_vkey *k, uint8_t sk[64], const char *s, size_t len)
{
	static const char pre[] = "PRIVATE+KEY+";
	const size_t pl = sizeof pre - 1;
	memset(sk, 0, 64);
	if (len > DP_NOTE_VKEY_MAX)
		return DP_ETOOBIG;
	if (len < pl || memcmp(s, pre, pl) != 0)
		return DP_EPARSE;
	const char *name;
	size_t nlen;
	uint32_t id;
	uint8_t key[33], pk[32];
	int r = split_key(s + pl, len - pl, &name, &nlen, &id, key);
	if (!r && crypto_sign_ed25519_seed_keypair(pk, sk, key + 1) != 0)
		r = DP_ECRYPTO;
	if (!r && key_id_n(name, nlen, key[0], pk) != id)
		r = DP_EPARSE; /* id of another key: refuse rather than sign under it */
	if (!r) {
		memset(k, 0, sizeof *k);
		memcpy(k->name, name, nlen);
		k->id = id;
		k->type = key[0];
		memcpy(k->pub, pk, 32);
	} else {
		sodium_memzero(sk, 64);
	}
	sodium_memzero(key, sizeof key);
	return r;
}

/* ---- notes ---- */

/* One signature line as found; sig is NULL when longer than DP_NOTE_SIG_MAX. */
typedef int (*sig_fn)(void *ctx, const char *name, size_t nlen, uint32_t id, const uint8_t *sig,
		      size_t siglen);

/*
 * Checks the whole note and splits it; then, if fn is set, calls it for
 * each signature line in order.
 */
static int note_split(const char *note, size_t len, size_t *text_len, size_t *nsigs, sig_fn fn,
		      void *ctx)
{
	if (!note)
		return DP_EINVAL;
	if (len > DP_NOTE_MAX)
		return DP_ETOOBIG;
	if (len < 2 || note[len - 1] != '\n')
		return DP_EPARSE; /* a note ends in '\n' */
	if (!text_ok((const uint8_t *)note, len))
		return DP_EPARSE; /* invalid UTF-8 or a control character */
	/* the text ends at the last empty line ("\n\n"); signatures follow */
	size_t tl = 0;
	for (size_t i = len - 1; i > 0; i--) {
		if (note[i] == '\n' && note[i - 1] == '\n') {
			tl = i;
			break;
		}
	}
	if (tl == 0 || tl + 1 >= len)
		return DP_EPARSE; /* no empty line, or no signature after it */
	for (int pass = 0; pass < 2; pass++) {
		size_t at = tl + 1, count = 0;
		const char *line;
		size_t n;
		while (at < len) {
			if (next_line(note, len, &at, &line, &n))
				return DP_EPARSE;
			if (n < SIG_PREFIX_LEN || memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN) != 0)
				return DP_EPARSE; /* every line after the text is a signature */
			if (++count > DP_NOTE_SIGS_MAX)
				return DP_ETOOBIG;
			const char *name = line + SIG_PREFIX_LEN;
			const char *sp = memchr(name, ' ', n - SIG_PREFIX_LEN);
			if (!sp)
				return DP_EPARSE;
			size_t nlen = (size_t)(sp - name);
			const char *b = sp + 1;
			size_t blen = n - SIG_PREFIX_LEN - nlen - 1;
			if (!name_ok_n(name, nlen))
				return DP_EPARSE;
			uint8_t sig[4 + DP_NOTE_SIG_MAX];
			size_t sl;
			int r = dp_b64_decode(sig, sizeof sig, &sl, b, blen, 1);
			if (r == DP_ETOOBIG) {
				/* a long (post-quantum) signature: check it, keep the id only */
				uint8_t *big = malloc(blen / 4 * 3);
				if (!big)
					return DP_ENOMEM;
				r = dp_b64_decode(big, blen / 4 * 3, &sl, b, blen, 1);
				if (!r)
					memcpy(sig, big, 4);
				free(big);
				if (r)
					return DP_EPARSE;
				if (pass == 1 && fn && (r = fn(ctx, name, nlen, be32(sig), NULL, 0)))
					return r;
				continue;
			}
			if (r || sl < 5)
				return DP_EPARSE; /* a key id and at least one signature byte */
			if (pass == 1 && fn && (r = fn(ctx, name, nlen, be32(sig), sig + 4, sl - 4)))
				return r;
		}
		if (pass == 0) {
			if (text_len)
				*text_len = tl;
			if (nsigs)
				*nsigs = count;
			if (!fn)
				break;
		}
	}
	return DP_OK;
}

typedef struct {
	dp_note_sig *sigs;
	size_t max, n;
} collect_ctx;

static int collect(void *ctx, const char *name, size_t nlen, uint32_t id, const uint8_t *sig,
		   size_t siglen)
{
	collect_ctx *c = ctx;
	if (c->n >= c->max)
		return DP_ETOOBIG;
	dp_note_sig *s = &c->sigs[c->n++];
	memset(s, 0, sizeof *s);
	memcpy(s->name, name, nlen);
	s->id = id;
	if (sig)
		memcpy(s->sig, sig, siglen);
	s->siglen = sig ? siglen : 0;
	return DP_OK;
}

int dp_note_parse(const char *note, size_t len, size_t *text_len, dp_note_sig *sigs, size_t max,
		  size_t *nsigs)
{
	collect_ctx c = {sigs, max, 0};
	size_t tl = 0, ns = 0;
	int r = note_split(note, len, &tl, &ns, sigs ? collect : NULL, &c);
	if (r)
		return r;
	if (text_len)
		*text_len = tl;
	if (nsigs)
		*nsigs = ns;
	return DP_OK;
}

/* "cosignature/v1\ntime <ts>\n" || text, malloc'd. */
static uint8_t *cosig_msg(const char *text, size_t len, uint64_t ts, size_t *mlen)
{
	char head[64];
	int h = snprintf(head, sizeof head, COSIG_HEADER "%llu\n", (unsigned long long)ts);
	uint8_t *m = malloc((size_t)h + len);
	if (!m)
		return NULL;
	memcpy(m, head, (size_t)h);
	memcpy(m + h, text, len);
	*mlen = (size_t)h + len;
	return m;
}

typedef struct {
	const char *text;
	size_t text_len;
	const dp_note_vkey *keys;
	size_t nkeys;
	int *verified;
	uint64_t *ts;
	int any;
} open_ctx;

/* One signature by a known key under the key's algorithm: DP_OK or DP_ESIG. */
static int verify_one(const open_ctx *o, const dp_note_vkey *k, const uint8_t *sig, size_t siglen,
		      uint64_t *ts)
{
	if (!sig)
		return DP_ESIG; /* longer than any signature of ours */
	if (k->type == DP_NOTE_ED25519) {
		if (siglen != ED25519_SIG)
			return DP_ESIG;
		return crypto_sign_ed25519_verify_detached(sig, (const uint8_t *)o->text,
							   o->text_len, k->pub)
			       ? DP_ESIG
			       : DP_OK;
	}
	if (k->type == DP_NOTE_COSIG_V1) {
		if (siglen != COSIG_LEN)
			return DP_ESIG;
		uint64_t t = be64(sig);
		if (t > (uint64_t)INT64_MAX)
			return DP_ESIG; /* tlog-cosignature: at most 2^63-1 */
		size_t ml;
		uint8_t *m = cosig_msg(o->text, o->text_len, t, &ml);
		if (!m)
			return DP_ENOMEM;
		int r = crypto_sign_ed25519_verify_detached(sig + 8, m, ml, k->pub) ? DP_ESIG
										   : DP_OK;
		free(m);
		if (!r)
			*ts = t;
		return r;
	}
	return DP_ESIG;
}

static int open_sig(void *ctx, const char *name, size_t nlen, uint32_t id, const uint8_t *sig,
		    size_t siglen)
{
	open_ctx *o = ctx;
	for (size_t i = 0; i < o->nkeys; i++) {
		const dp_note_vkey *k = &o->keys[i];
		if (k->id != id || strlen(k->name) != nlen || memcmp(k->name, name, nlen) != 0)
			continue; /* not this key: name and id must both match */
		uint64_t t = 0;
		int r = verify_one(o, k, sig, siglen, &t);
		if (r)
			return r; /* a known key's line that does not verify: reject the note */
		if (o->verified)
			o->verified[i] = 1;
		if (o->ts && k->type == DP_NOTE_COSIG_V1)
			o->ts[i] = t;
		o->any = 1;
	}
	return DP_OK; /* lines of unknown keys are ignored */
}

int dp_note_open(const char *note, size_t len, const dp_note_vkey *keys, size_t nkeys,
		 int *verified, uint64_t *ts, size_t *text_len)
{
	if (nkeys && !keys)
		return DP_EINVAL;
	for (size_t i = 0; i < nkeys; i++) {
		if (verified)
			verified[i] = 0;
		if (ts)
			ts[i] = 0;
	}
	size_t tl = 0;
	int r = note_split(note, len, &tl, NULL, NULL, NULL);
	if (r)
		return r;
	open_ctx o = {note, tl, keys, nkeys, verified, ts, 0};
	r = note_split(note, len, NULL, NULL, open_sig, &o);
	if (!r && !o.any)
		r = DP_ESIG; /* no known key signed */
	if (r) {
		for (size_t i = 0; i < nkeys; i++) {
			if (verified)
				verified[i] = 0;
			if (ts)
				ts[i] = 0;
		}
		return r;
	}
	if (text_len)
		*text_len = tl;
	return DP_OK;
}

/* Appends "— <name> <base64(id || sig)>\n" in one piece. */
static int put_sig_line(dp_buf *out, const char *name, uint32_t id, const uint8_t *sig,
			size_t siglen)
{
	uint8_t blob[4 + COSIG_LEN];
	char b64[sizeof blob * 4 / 3 + 8];
	char line[SIG_PREFIX_LEN + DP_NOTE_NAME_MAX + 1 + sizeof b64 + 2];
	put_be32(blob, id);
	memcpy(blob + 4, sig, siglen);
	dp_b64_encode(b64, blob, 4 + siglen, 1);
	int w = snprintf(line, sizeof line, SIG_PREFIX "%s %s\n", name, b64);
	if (w < 0 || (size_t)w >= sizeof line)
		return DP_EINVAL;
	return dp_buf_append(out, line, (size_t)w);
}

int dp_note_sign_line(dp_buf *out, const char *text, size_t len, const char *name,
		      const uint8_t sk[64])
{
	if (!dp_note_name_ok(name) || !signable(text, len))
		return DP_EINVAL;
	uint8_t sig[ED25519_SIG];
	if (crypto_sign_ed25519_detached(sig, NULL, (const uint8_t *)text, len, sk) != 0)
		return DP_ECRYPTO;
	return put_sig_line(out, name, dp_note_key_id(name, DP_NOTE_ED25519, sk + 32), sig,
			    sizeof sig);
}

int dp_note_cosign_line(dp_buf *out, const char *text, size_t len, const char *name,
			const uint8_t sk[64], uint64_t ts)
{
	if (!dp_note_name_ok(name) || !signable(text, len) || ts == 0 ||
	    ts > (uint64_t)INT64_MAX)
		return DP_EINVAL;
	size_t ml;
	uint8_t *m = cosig_msg(text, len, ts, &ml);
	if (!m)
		return DP_ENOMEM;
	uint8_t sig[COSIG_LEN];
	for (int i = 0; i < 8; i++)
		sig[i] = (uint8_t)(ts >> (56 - 8 * i));
	int r = crypto_sign_ed25519_detached(sig + 8, NULL, m, ml, sk) ? DP_ECRYPTO : DP_OK;
	free(m);
	if (r)
		return r;
	return put_sig_line(out, name, dp_note_key_id(name, DP_NOTE_COSIG_V1, sk + 32), sig,
			    sizeof sig);
}

/* ---- checkpoints ---- */

int dp_checkpoint_parse(dp_checkpoint *c, const char *text, size_t len)
{
	if (!text)
		return DP_EINVAL;
	if (len > DP_NOTE_MAX)
		return DP_ETOOBIG;
	if (len == 0 || text[len - 1] != '\n' || !text_ok((const uint8_t *)text, len))
		return DP_EPARSE;
	dp_checkpoint t;
	memset(&t, 0, sizeof t);
	size_t at = 0, n;
	const char *line;
	/* origin: a key name (the log's) */
	if (next_line(text, len, &at, &line, &n) || !name_ok_n(line, n))
		return DP_EPARSE;
	memcpy(t.origin, line, n);
	/* tree size: decimal, no leading zeros */
	if (next_line(text, len, &at, &line, &n) || parse_u64(line, n, &t.size))
		return DP_EPARSE;
	/* root hash: base64 of exactly 32 bytes */
	size_t rl;
	if (next_line(text, len, &at, &line, &n) ||
	    dp_b64_decode(t.root, sizeof t.root, &rl, line, n, 1) || rl != DP_TLOG_HASH)
		return DP_EPARSE;
	t.next = at;
	/* extension lines: optional, each non-empty */
	while (at < len) {
		if (next_line(text, len, &at, &line, &n) || n == 0)
			return DP_EPARSE;
	}
	*c = t;
	return DP_OK;
}

int dp_checkpoint_format(dp_buf *out, const dp_checkpoint *c)
{
	if (!dp_note_name_ok(c->origin))
		return DP_EINVAL;
	char root[48];
	char text[DP_NOTE_NAME_MAX + 1 + 21 + sizeof root + 2];
	dp_b64_encode(root, c->root, DP_TLOG_HASH, 1);
	int w = snprintf(text, sizeof text, "%s\n%llu\n%s\n", c->origin, (unsigned long long)c->size,
			 root);
	if (w < 0 || (size_t)w >= sizeof text)
		return DP_EINVAL;
	return dp_buf_append(out, text, (size_t)w);
}

/* ---- offline proofs ---- */

int dp_tlog_proof_encode(dp_buf *out, const dp_tlog_proof *p)
{
	if (p->n > DP_TLOG_PROOF_MAX || !p->note ||
	    (p->has_extra && (p->extra_len == 0 || p->extra_len > DP_TLOG_ENTRY_MAX)))
		return DP_EINVAL;
	/* only a well-formed signed checkpoint goes in */
	size_t tl;
	dp_checkpoint cp;
	if (dp_note_parse(p->note, p->note_len, &tl, NULL, 0, NULL) ||
	    dp_checkpoint_parse(&cp, p->note, tl))
		return DP_EINVAL;
	dp_buf t;
	dp_buf_init(&t, out->cap);
	int r = dp_buf_puts(&t, PROOF_HEADER "\n");
	if (!r && p->has_extra) {
		size_t el = dp_b64_enclen(p->extra_len, 1);
		char *e = malloc(el + 1);
		if (!e) {
			r = DP_ENOMEM;
		} else {
			dp_b64_encode(e, p->extra_buf, p->extra_len, 1);
			r = dp_buf_printf(&t, "extra %s\n", e);
			free(e);
		}
	}
	if (!r)
		r = dp_buf_printf(&t, "index %llu\n", (unsigned long long)p->index);
	for (size_t i = 0; !r && i < p->n; i++) {
		char h[48];
		dp_b64_encode(h, p->proof[i], DP_TLOG_HASH, 1);
		r = dp_buf_printf(&t, "%s\n", h);
	}
	if (!r)
		r = dp_buf_putc(&t, '\n');
	if (!r)
		r = dp_buf_append(&t, p->note, p->note_len);
	if (!r)
		r = dp_buf_append(out, t.p, t.len);
	dp_buf_free(&t);
	return r;
}

int dp_tlog_proof_parse(dp_tlog_proof *p, const char *s, size_t len)
{
	if (!s)
		return DP_EINVAL;
	if (len > DP_TLOG_PROOF_TEXT_MAX)
		return DP_ETOOBIG;
	memset(p, 0, sizeof *p);
	size_t at = 0, n;
	const char *line;
	int r = DP_EPARSE;
	if (next_line(s, len, &at, &line, &n) || n != sizeof PROOF_HEADER - 1 ||
	    memcmp(line, PROOF_HEADER, n) != 0)
		goto fail;
	if (next_line(s, len, &at, &line, &n))
		goto fail;
	if (n >= 6 && memcmp(line, "extra ", 6) == 0) {
		/* optional extra data: present means non-empty (absent data omits the line) */
		r = dp_b64_decode(p->extra_buf, sizeof p->extra_buf, &p->extra_len, line + 6, n - 6,
				  1);
		if (r == DP_OK && p->extra_len == 0)
			r = DP_EPARSE;
		if (r)
			goto fail;
		p->extra = line + 6;
		p->has_extra = 1;
		r = DP_EPARSE;
		if (next_line(s, len, &at, &line, &n))
			goto fail;
	}
	if (n < 6 || memcmp(line, "index ", 6) != 0 || parse_u64(line + 6, n - 6, &p->index))
		goto fail;
	/* inclusion proof hashes up to the empty line */
	for (;;) {
		if (next_line(s, len, &at, &line, &n))
			goto fail;
		if (n == 0)
			break;
		if (p->n >= DP_TLOG_PROOF_MAX) {
			r = DP_ETOOBIG;
			goto fail;
		}
		size_t hl;
		if (dp_b64_decode(p->proof[p->n], DP_TLOG_HASH, &hl, line, n, 1) ||
		    hl != DP_TLOG_HASH)
			goto fail;
		p->n++;
	}
	/* the signed checkpoint, verbatim, to the end */
	size_t tl;
	dp_checkpoint cp;
	r = dp_note_parse(s + at, len - at, &tl, NULL, 0, NULL);
	if (r)
		goto fail;
	r = dp_checkpoint_parse(&cp, s + at, tl);
	if (r)
		goto fail;
	p->note = s + at;
	p->note_len = len - at;
	return DP_OK;
fail:
	memset(p, 0, sizeof *p);
	return r;
}

int dp_checkpoint_open(const dp_note_vkey *k, const char *note, size_t len, dp_checkpoint *c,
		       size_t *text_len)
{
	int verified = 0;
	size_t tl = 0;
	dp_checkpoint cp;
	int r = dp_note_open(note, len, k, 1, &verified, NULL, &tl);
	if (r)
		return r; /* not signed by the log key (DP_ESIG) or malformed */
	if (!verified)
		return DP_ESIG;
	r = dp_checkpoint_parse(&cp, note, tl);
	if (r)
		return r;
	if (strcmp(cp.origin, k->name) != 0)
		return DP_ESIG; /* signed by the log key, but for another log */
	*c = cp;
	if (text_len)
		*text_len = tl;
	return DP_OK;
}
