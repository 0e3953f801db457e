/*
 * age.c - age v1 (C2SP age spec): header, X25519, scrypt and
 * mlkem768x25519 stanzas, header MAC, encrypt/decrypt/inspect.  Keys:
 * age_keys.c; armor: age_armor.c; payload: age_stream.c; the hybrid KEM:
 * hpke.c over xwing.c.
 *
 * Decryption order, as the spec and the CCTV testkit expect:
 *   armor -> header grammar -> "scrypt must be alone" -> unwrap (first
 *   identity, then each stanza) -> header MAC -> payload.
 * An identity ignores stanzas of other types (grease, other recipients);
 * a stanza of its own type that is malformed is a header failure, one
 * that does not open is "not for us".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "denpo/age.h"
#include "denpo/cable.h"
#include "denpo/crypto.h"
#include "denpo/encoding.h"
#include "denpo/hpke.h"
#include "lib/age_stream.h"

#define V1_LINE "age-encryption.org/v1"
#define BIN_PREFIX "age-encryption.org/"
#define X25519_INFO "age-encryption.org/v1/X25519"
#define SCRYPT_LABEL "age-encryption.org/v1/scrypt"
#define PQ_TYPE "mlkem768x25519"
#define PQ_INFO "age-encryption.org/mlkem768x25519"
#define BODY_COLS 64
#define WRAPPED_LEN (DP_AGE_FILE_KEY + crypto_aead_chacha20poly1305_IETF_ABYTES)

/* ---- header ---- */

typedef struct {
	const uint8_t *args; /* the arguments, space separated (after "-> ") */
	size_t argslen;
	size_t nargs;
	size_t body_off, body_len; /* in hdr.bodies */
} stanza;

typedef struct {
	stanza *st;
	size_t n;
	dp_buf bodies;
	size_t mac_msg_len; /* bytes covered by the MAC: up to and including "---" */
	size_t len;         /* whole header including the MAC line's LF */
	uint8_t mac[32];
} header;

static void hdr_free(header *h)
{
	free(h->st);
	dp_buf_free(&h->bodies);
	memset(h, 0, sizeof *h);
}

/* Argument i of s (0 = the type). */
static void stanza_arg(const stanza *s, size_t i, const uint8_t **p, size_t *n)
{
	const uint8_t *a = s->args, *end = s->args + s->argslen;
	for (;;) {
		const uint8_t *sp = memchr(a, ' ', (size_t)(end - a));
		const uint8_t *e = sp ? sp : end;
		if (i == 0) {
			*p = a;
			*n = (size_t)(e - a);
			return;
		}
		i--;
		a = e + 1;
	}
}

static int arg_is(const stanza *s, size_t i, const char *want)
{
	const uint8_t *p;
	size_t n;
	stanza_arg(s, i, &p, &n);
	return n == strlen(want) && memcmp(p, want, n) == 0;
}

static int line_has_cr(const uint8_t *l, size_t n)
{
	return memchr(l, '\r', n) != NULL;
}

/* Parse the header grammar.  Any failure is DP_EHEADER (or DP_ENOMEM). */
static int hdr_parse(const uint8_t *in, size_t inlen, header *h)
{
	dp_cur c = dp_cur_make(in, inlen);
	const uint8_t *l;
	size_t n, cap = 0;
	int r = DP_EHEADER;
	memset(h, 0, sizeof *h);
	dp_buf_init(&h->bodies, inlen);

	/* exactly the v1 version line */
	if (dp_cur_line(&c, &l, &n) || n != strlen(V1_LINE) || memcmp(l, V1_LINE, n) != 0)
		goto fail;
	for (;;) {
		/* the header cannot end without its MAC line */
		if (dp_cur_line(&c, &l, &n))
			goto fail;
		/* CR is never part of the header (CRLF files are refused) */
		if (line_has_cr(l, n))
			goto fail;
		if (n >= 3 && memcmp(l, "---", 3) == 0) {
			size_t got;
			/* "--- " and 43 characters of canonical base64 of 32 bytes */
			if (n != 4 + 43 || l[3] != ' ' ||
			    dp_b64_decode(h->mac, sizeof h->mac, &got, (const char *)l + 4, 43, 0) ||
			    got != 32)
				goto fail;
			/* at least one stanza */
			if (h->n == 0)
				goto fail;
			h->mac_msg_len = (size_t)(l - in) + 3;
			h->len = (size_t)(c.p - in);
			return DP_OK;
		}
		/* anything but a stanza or the MAC line */
		if (n < 3 || memcmp(l, "-> ", 3) != 0)
			goto fail;
		if (h->n == DP_AGE_MAX_STANZAS)
			goto fail; /* too many stanzas */
		if (h->n == cap) {
			size_t nc = cap ? cap * 2 : 8;
			stanza *ns = realloc(h->st, nc * sizeof *ns);
			if (!ns) {
				r = DP_ENOMEM;
				goto fail;
			}
			h->st = ns;
			cap = nc;
		}
		stanza *s = &h->st[h->n];
		s->args = l + 3;
		s->argslen = n - 3;
		s->nargs = 1;
		/* arguments: non-empty runs of VCHAR separated by one space */
		if (s->argslen == 0)
			goto fail;
		for (size_t i = 0; i < s->argslen; i++) {
			uint8_t ch = s->args[i];
			if (ch == ' ') {
				if (i == 0 || i == s->argslen - 1 || s->args[i - 1] == ' ')
					goto fail; /* empty argument */
				s->nargs++;
			} else if (ch < 0x21 || ch > 0x7e) {
				goto fail; /* not a visible character */
			}
		}
		/* body: full 64-column lines, then one shorter (maybe empty) line */
		s->body_off = h->bodies.len;
		for (;;) {
			if (dp_cur_line(&c, &l, &n))
				goto fail; /* EOF inside a stanza */
			if (n > BODY_COLS)
				goto fail; /* body line over 64 columns */
			uint8_t *d;
			size_t got;
			if ((r = dp_buf_grow(&h->bodies, n / 4 * 3 + 2, &d)) != DP_OK)
				goto fail;
			h->bodies.len -= n / 4 * 3 + 2;
			r = DP_EHEADER;
			/* canonical unpadded base64 (this also refuses CR and '=') */
			if (dp_b64_decode(d, n / 4 * 3 + 2, &got, (const char *)l, n, 0))
				goto fail;
			h->bodies.len += got;
			if (n < BODY_COLS)
				break;
		}
		s->body_len = h->bodies.len - s->body_off;
		h->n++;
	}
fail:
	hdr_free(h);
	return r == DP_ENOMEM ? DP_ENOMEM : DP_EHEADER;
}

/* ---- stanzas ---- */

static int wrap_file_key(uint8_t out[WRAPPED_LEN], const uint8_t key[32],
			 const uint8_t fk[DP_AGE_FILE_KEY])
{
	static const uint8_t zero_nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	unsigned long long cl;
	crypto_aead_chacha20poly1305_ietf_encrypt(out, &cl, fk, DP_AGE_FILE_KEY, NULL, 0, NULL,
						  zero_nonce, key);
	return DP_OK;
}

/* DP_OK with fk set, or DP_ENOMATCH if the body does not open under key. */
static int unwrap_file_key(uint8_t fk[DP_AGE_FILE_KEY], const uint8_t key[32], const uint8_t *body)
{
	static const uint8_t zero_nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	unsigned long long ml;
	if (crypto_aead_chacha20poly1305_ietf_decrypt(fk, &ml, NULL, body, WRAPPED_LEN, NULL, 0,
						      zero_nonce, key))
		return DP_ENOMATCH;
	return DP_OK;
}

static int x25519_wrap_key(uint8_t key[32], const uint8_t ss[32], const uint8_t share[32],
			   const uint8_t pk[32])
{
	uint8_t salt[64];
	memcpy(salt, share, 32);
	memcpy(salt + 32, pk, 32);
	return dp_hkdf_sha256(key, 32, ss, 32, salt, sizeof salt, (const uint8_t *)X25519_INFO,
			      strlen(X25519_INFO));
}

static int x25519_unwrap(const dp_age_identity *id, const uint8_t pk[32], const header *h,
			 const stanza *s, uint8_t fk[DP_AGE_FILE_KEY])
{
	const uint8_t *a;
	size_t an, got;
	uint8_t share[32], ss[32], key[32];
	int r;
	if (!arg_is(s, 0, "X25519"))
		return DP_ENOMATCH; /* another type (case-sensitive) */
	/* exactly one argument besides the type */
	if (s->nargs != 2)
		return DP_EHEADER;
	stanza_arg(s, 1, &a, &an);
	/* the share is canonical base64 of exactly 32 bytes */
	if (dp_b64_decode(share, sizeof share, &got, (const char *)a, an, 0) || got != 32)
		return DP_EHEADER;
	/* the body is exactly a wrapped file key (checked before any AEAD use) */
	if (s->body_len != WRAPPED_LEN)
		return DP_EHEADER;
	/* an all-zero shared secret (low-order share) aborts */
	if (crypto_scalarmult(ss, id->sk, share)) {
		sodium_memzero(ss, sizeof ss);
		return DP_EHEADER;
	}
	r = x25519_wrap_key(key, ss, share, pk);
	if (!r)
		r = unwrap_file_key(fk, key, h->bodies.p + s->body_off);
	sodium_memzero(ss, sizeof ss);
	sodium_memzero(key, sizeof key);
	return r;
}

/* logN: ^[1-9][0-9]*$, at most max; 0 on any other text. */
static int parse_logn(const uint8_t *p, size_t n, int max)
{
	if (n == 0 || n > 2 || p[0] < '1' || p[0] > '9')
		return 0;
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (p[i] - '0');
	}
	return v <= max ? v : 0;
}

static int scrypt_key(uint8_t key[32], const char *pass, size_t passlen, const uint8_t salt[16],
		      int logn)
{
	uint8_t s[sizeof SCRYPT_LABEL - 1 + 16];
	memcpy(s, SCRYPT_LABEL, sizeof SCRYPT_LABEL - 1);
	memcpy(s + sizeof SCRYPT_LABEL - 1, salt, 16);
	if (crypto_pwhash_scryptsalsa208sha256_ll((const uint8_t *)pass, passlen, s, sizeof s,
						  (uint64_t)1 << logn, 8, 1, key, 32))
		return DP_ENOMEM; /* the only failure is allocating N*r*128 bytes */
	return DP_OK;
}

static int scrypt_unwrap(const dp_age_identity *id, const header *h, const stanza *s,
			 uint8_t fk[DP_AGE_FILE_KEY])
{
	const uint8_t *a;
	size_t an, got;
	uint8_t salt[16], key[32];
	int max = id->max_logn > 0 && id->max_logn < DP_AGE_SCRYPT_MAX_LOGN ? id->max_logn
									     : DP_AGE_SCRYPT_MAX_LOGN;
	if (!arg_is(s, 0, "scrypt"))
		return DP_ENOMATCH;
	/* salt and work factor */
	if (s->nargs != 3)
		return DP_EHEADER;
	stanza_arg(s, 1, &a, &an);
	/* canonical base64 of exactly 16 bytes */
	if (dp_b64_decode(salt, sizeof salt, &got, (const char *)a, an, 0) || got != 16)
		return DP_EHEADER;
	stanza_arg(s, 2, &a, &an);
	int logn = parse_logn(a, an, max);
	/* strict decimal without leading zero, within our work limit */
	if (logn == 0)
		return DP_EHEADER;
	if (s->body_len != WRAPPED_LEN)
		return DP_EHEADER;
	int r = scrypt_key(key, id->pass, id->passlen, salt, logn);
	if (!r)
		r = unwrap_file_key(fk, key, h->bodies.p + s->body_off);
	sodium_memzero(key, sizeof key);
	return r;
}

/*
 * mlkem768x25519: HPKE base mode (MLKEM768-X25519, HKDF-SHA256,
 * ChaCha20-Poly1305) with info PQ_INFO; the stanza carries enc, the body
 * is the sealed file key.  key is the identity as an expanded HPKE key.
 */
static int pq_unwrap(const dp_hpke_key *key, const header *h, const stanza *s,
		     uint8_t fk[DP_AGE_FILE_KEY])
{
	const uint8_t *a;
	size_t an, got;
	uint8_t enc[DP_XWING_CT + 1];
	dp_hpke_ctx ctx;
	if (!arg_is(s, 0, PQ_TYPE))
		return DP_ENOMATCH; /* another type (case-sensitive) */
	/* exactly one argument besides the type */
	if (s->nargs != 2)
		return DP_EHEADER;
	stanza_arg(s, 1, &a, &an);
	/* enc is canonical base64 of exactly 1120 bytes */
	if (dp_b64_decode(enc, sizeof enc, &got, (const char *)a, an, 0) || got != DP_XWING_CT)
		return DP_EHEADER;
	/* the body is exactly a sealed file key (checked before any AEAD use) */
	if (s->body_len != WRAPPED_LEN)
		return DP_EHEADER;
	int r = dp_hpke_setup_r(&ctx, key, DP_HPKE_KDF_HKDF_SHA256, DP_HPKE_AEAD_CHACHA20POLY1305,
				enc, DP_XWING_CT, (const uint8_t *)PQ_INFO, strlen(PQ_INFO), NULL, 0,
				NULL, 0);
	if (r == DP_EPARSE)
		return DP_EHEADER; /* an all-zero X25519 secret (low-order point in enc) */
	if (r)
		return r;
	/* a body that does not open is a stanza for someone else */
	r = dp_hpke_open(&ctx, fk, NULL, 0, h->bodies.p + s->body_off, WRAPPED_LEN) ? DP_ENOMATCH
										   : DP_OK;
	dp_hpke_ctx_wipe(&ctx);
	return r;
}

/* ---- encrypt / decrypt ---- */

static int put_stanza(dp_buf *b, const char *args, const uint8_t *body, size_t n)
{
	char line[BODY_COLS + 1];
	int r = dp_buf_printf(b, "-> %s\n", args);
	/* 48-byte pieces make full lines; the last line is short, maybe empty */
	for (size_t i = 0; !r; i += BODY_COLS / 4 * 3) {
		size_t k = n - i < BODY_COLS / 4 * 3 ? n - i : BODY_COLS / 4 * 3;
		dp_b64_encode(line, body + i, k, 0);
		r = dp_buf_printf(b, "%s\n", line);
		if (k < BODY_COLS / 4 * 3)
			break;
	}
	return r;
}

static int x25519_stanza(dp_buf *b, const uint8_t pk[32], const uint8_t fk[DP_AGE_FILE_KEY])
{
	uint8_t eph[32], share[32], ss[32], key[32], body[WRAPPED_LEN];
	char args[8 + 44];
	int r = DP_OK;
	dp_random(eph, sizeof eph);
	if (crypto_scalarmult_base(share, eph)) {
		r = DP_ECRYPTO;
		goto out;
	}
	/* a low-order recipient key would give an all-zero secret */
	if (crypto_scalarmult(ss, eph, pk)) {
		r = DP_EINVAL;
		goto out;
	}
	if ((r = x25519_wrap_key(key, ss, share, pk)) != DP_OK)
		goto out;
	wrap_file_key(body, key, fk);
	memcpy(args, "X25519 ", 7);
	dp_b64_encode(args + 7, share, 32, 0);
	r = put_stanza(b, args, body, sizeof body);
out:
	sodium_memzero(eph, sizeof eph);
	sodium_memzero(ss, sizeof ss);
	sodium_memzero(key, sizeof key);
	return r;
}

static int pq_stanza(dp_buf *b, const uint8_t pk[DP_AGE_PQ_PK], const uint8_t fk[DP_AGE_FILE_KEY])
{
	uint8_t enc[DP_XWING_CT], body[WRAPPED_LEN];
	char args[sizeof PQ_TYPE + 4 * DP_XWING_CT / 3 + 4]; /* "type " + 1494 chars + NUL */
	dp_hpke_ctx ctx;
	int r = dp_hpke_setup_s(&ctx, enc, sizeof enc, DP_HPKE_KEM_XWING, DP_HPKE_KDF_HKDF_SHA256,
				DP_HPKE_AEAD_CHACHA20POLY1305, pk, DP_AGE_PQ_PK,
				(const uint8_t *)PQ_INFO, strlen(PQ_INFO), NULL, 0, NULL, 0);
	if (r)
		return r == DP_EPARSE ? DP_EINVAL : r; /* a key we cannot encrypt to */
	r = dp_hpke_seal(&ctx, body, NULL, 0, fk, DP_AGE_FILE_KEY);
	dp_hpke_ctx_wipe(&ctx);
	if (r)
		return r;
	memcpy(args, PQ_TYPE " ", sizeof PQ_TYPE);
	dp_b64_encode(args + sizeof PQ_TYPE, enc, sizeof enc, 0);
	return put_stanza(b, args, body, sizeof body);
}

static int scrypt_stanza(dp_buf *b, const dp_age_recipient *rc, const uint8_t fk[DP_AGE_FILE_KEY])
{
	uint8_t salt[16], key[32], body[WRAPPED_LEN];
	char args[64], s64[32];
	int logn = rc->logn ? rc->logn : DP_AGE_SCRYPT_DEFAULT_LOGN;
	/* we would not decrypt it ourselves above the cap */
	if (logn < 1 || logn > DP_AGE_SCRYPT_MAX_LOGN)
		return DP_EINVAL;
	dp_random(salt, sizeof salt);
	int r = scrypt_key(key, rc->pass, rc->passlen, salt, logn);
	if (!r) {
		wrap_file_key(body, key, fk);
		dp_b64_encode(s64, salt, sizeof salt, 0);
		snprintf(args, sizeof args, "scrypt %s %d", s64, logn);
		r = put_stanza(b, args, body, sizeof body);
	}
	sodium_memzero(key, sizeof key);
	return r;
}

static int header_mac(uint8_t mac[32], const uint8_t fk[DP_AGE_FILE_KEY], const uint8_t *hdr,
		      size_t n)
{
	uint8_t hk[32];
	int r = dp_hkdf_sha256(hk, 32, fk, DP_AGE_FILE_KEY, NULL, 0, (const uint8_t *)"header", 6);
	if (!r)
		dp_hmac_sha256(mac, hk, 32, hdr, n);
	sodium_memzero(hk, sizeof hk);
	return r;
}

int dp_age_encrypt(const dp_age_recipient *rcp, size_t n, const uint8_t *pt, size_t ptlen,
		   int armor, dp_buf *out)
{
	size_t nx = 0, npq = 0, ns = 0;
	if (n == 0 || n > DP_AGE_MAX_STANZAS)
		return DP_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (rcp[i].type == DP_AGE_X25519)
			nx++;
		else if (rcp[i].type == DP_AGE_MLKEM768X25519)
			npq++;
		else if (rcp[i].type == DP_AGE_SCRYPT)
			ns++;
		else
			return DP_EINVAL;
	}
	if (ns && n != 1)
		return DP_EINVAL; /* scrypt must be the only recipient */
	if (npq && nx)
		return DP_EMIXED; /* a classic stanza would undo post-quantum security */
	if (ptlen == 0)
		pt = (const uint8_t *)""; /* never offset a NULL pointer */

	uint8_t fk[DP_AGE_FILE_KEY], mac[32];
	char mac64[48];
	dp_buf b;
	dp_buf_init(&b, out->cap);
	size_t start = out->len;
	dp_random(fk, sizeof fk);
	int r = dp_buf_puts(&b, V1_LINE "\n");
	for (size_t i = 0; !r && i < n; i++) {
		if (rcp[i].type == DP_AGE_SCRYPT)
			r = scrypt_stanza(&b, &rcp[i], fk);
		else if (rcp[i].type == DP_AGE_MLKEM768X25519)
			r = pq_stanza(&b, rcp[i].pq_pk, fk);
		else
			r = x25519_stanza(&b, rcp[i].pk, fk);
	}
	if (!r)
		r = dp_buf_puts(&b, "---");
	if (!r)
		r = header_mac(mac, fk, b.p, b.len);
	if (!r) {
		dp_b64_encode(mac64, mac, 32, 0);
		r = dp_buf_printf(&b, " %s\n", mac64);
	}
	if (!r)
		r = dp_age_stream_seal(fk, pt, ptlen, &b);
	if (!r)
		r = armor ? dp_age_armor(b.p, b.len, out) : dp_buf_append(out, b.p, b.len);
	sodium_memzero(fk, sizeof fk);
	dp_buf_free(&b);
	if (r && out->p) {
		out->len = start;
		out->p[start] = 0;
	}
	return r;
}

/*
 * Binary unless it is armor: a binary age file starts with the version
 * line's prefix (and an empty input is an empty, malformed header).
 */
static int is_binary(const uint8_t *in, size_t n)
{
	return n == 0 || (n >= strlen(BIN_PREFIX) && memcmp(in, BIN_PREFIX, strlen(BIN_PREFIX)) == 0);
}

/* Binary form of in: in itself, or dearmored into tmp. */
static int binary_form(const uint8_t *in, size_t inlen, dp_buf *tmp, const uint8_t **bin,
		       size_t *binlen)
{
	if (is_binary(in, inlen)) {
		if (inlen > DP_MAX_PAYLOAD)
			return DP_ETOOBIG;
		*bin = in;
		*binlen = inlen;
		return DP_OK;
	}
	/* armor is 4/3 the size plus line ends and at most a little whitespace */
	if (inlen > (size_t)DP_MAX_PAYLOAD / 3 * 4 + DP_MAX_PAYLOAD / 48 * 2 + 4096)
		return DP_ETOOBIG;
	int r = dp_age_dearmor(in, inlen, tmp);
	if (r)
		return r == DP_ENOMEM || r == DP_ETOOBIG ? r : DP_EARMOR;
	*bin = tmp->p ? tmp->p : (const uint8_t *)"";
	*binlen = tmp->len;
	return DP_OK;
}

/* An scrypt stanza must be the only one (checked for every identity). */
static int scrypt_alone(const header *h)
{
	for (size_t i = 0; i < h->n; i++)
		if (arg_is(&h->st[i], 0, "scrypt") && h->n != 1)
			return 0;
	return 1;
}

/*
 * The one decryption path.  With key_in the file key is given (the stanzas
 * are not tried); with key_out the file key that opened the file is copied
 * there on success (wiped on failure).
 */
static int age_decrypt(const dp_age_identity *ids, size_t n, const uint8_t *key_in,
		       const uint8_t *in, size_t inlen, dp_buf *out, uint8_t *key_out)
{
	dp_buf tmp;
	header h;
	const uint8_t *bin;
	size_t binlen, start = out->len;
	uint8_t fk[DP_AGE_FILE_KEY], pk[32], mac[32];
	dp_hpke_key *pqk = NULL; /* the current post-quantum identity, expanded */
	int r, have = 0;

	if (key_out)
		sodium_memzero(key_out, DP_AGE_FILE_KEY); /* no key on any failure, early ones too */
	for (size_t i = 0; i < n; i++)
		if (ids[i].type != DP_AGE_X25519 && ids[i].type != DP_AGE_SCRYPT &&
		    ids[i].type != DP_AGE_MLKEM768X25519)
			return DP_EINVAL;
	dp_buf_init(&tmp, DP_MAX_PAYLOAD);
	r = binary_form(in, inlen, &tmp, &bin, &binlen);
	if (r) {
		dp_buf_free(&tmp);
		return r;
	}
	r = hdr_parse(bin, binlen, &h);
	if (r) {
		dp_buf_free(&tmp);
		return r;
	}
	if (!scrypt_alone(&h)) {
		r = DP_EHEADER;
		goto out;
	}
	if (key_in) {
		memcpy(fk, key_in, DP_AGE_FILE_KEY);
		have = 1;
	}
	for (size_t i = 0; i < n && !have; i++) {
		if (ids[i].type == DP_AGE_X25519 && crypto_scalarmult_base(pk, ids[i].sk)) {
			r = DP_ECRYPTO;
			goto out;
		}
		if (ids[i].type == DP_AGE_MLKEM768X25519) {
			if (!pqk && !(pqk = malloc(sizeof *pqk))) {
				r = DP_ENOMEM;
				goto out;
			}
			r = dp_hpke_key_from_sk(pqk, DP_HPKE_KEM_XWING, ids[i].sk, sizeof ids[i].sk);
			if (r)
				goto out;
		}
		for (size_t j = 0; j < h.n; j++) {
			if (ids[i].type == DP_AGE_X25519)
				r = x25519_unwrap(&ids[i], pk, &h, &h.st[j], fk);
			else if (ids[i].type == DP_AGE_MLKEM768X25519)
				r = pq_unwrap(pqk, &h, &h.st[j], fk);
			else
				r = scrypt_unwrap(&ids[i], &h, &h.st[j], fk);
			if (r == DP_OK) {
				have = 1;
				break;
			}
			if (r != DP_ENOMATCH)
				goto out;
		}
	}
	if (!have) {
		r = DP_ENOMATCH;
		goto out;
	}
	/* the MAC is checked only with a file key in hand */
	if ((r = header_mac(mac, fk, bin, h.mac_msg_len)) != DP_OK)
		goto out;
	if (!dp_ct_eq(mac, h.mac, 32)) {
		r = DP_EHMAC;
		goto out;
	}
	r = dp_age_stream_open(fk, bin + h.len, binlen - h.len, out);
	if (!r && key_out)
		memcpy(key_out, fk, DP_AGE_FILE_KEY);
out:
	if (r && key_out)
		sodium_memzero(key_out, DP_AGE_FILE_KEY);
	sodium_memzero(fk, sizeof fk);
	sodium_memzero(mac, sizeof mac);
	if (pqk) {
		dp_hpke_key_wipe(pqk);
		free(pqk);
	}
	hdr_free(&h);
	dp_buf_free(&tmp);
	/* only a payload failure leaves released plaintext behind */
	if (r && r != DP_EPAYLOAD && out->p && out->len > start) {
		sodium_memzero(out->p + start, out->len - start);
		out->len = start;
		out->p[start] = 0;
	}
	return r;
}

int dp_age_decrypt(const dp_age_identity *ids, size_t n, const uint8_t *in, size_t inlen,
		   dp_buf *out)
{
	return age_decrypt(ids, n, NULL, in, inlen, out, NULL);
}

int dp_age_decrypt_fk(const dp_age_identity *ids, size_t n, const uint8_t *in, size_t inlen,
		      dp_buf *out, uint8_t file_key[DP_AGE_FILE_KEY])
{
	return age_decrypt(ids, n, NULL, in, inlen, out, file_key);
}

int dp_age_decrypt_with_fk(const uint8_t file_key[DP_AGE_FILE_KEY], const uint8_t *in,
			   size_t inlen, dp_buf *out)
{
	return age_decrypt(NULL, 0, file_key, in, inlen, out, NULL);
}

int dp_age_inspect(const uint8_t *in, size_t inlen, dp_age_header_info *info)
{
	dp_buf tmp;
	header h;
	const uint8_t *bin;
	size_t binlen;
	memset(info, 0, sizeof *info);
	dp_buf_init(&tmp, DP_MAX_PAYLOAD);
	int r = binary_form(in, inlen, &tmp, &bin, &binlen);
	if (!r)
		r = hdr_parse(bin, binlen, &h);
	if (r) {
		dp_buf_free(&tmp);
		return r;
	}
	if (!scrypt_alone(&h))
		r = DP_EHEADER;
	for (size_t i = 0; i < h.n; i++) {
		if (arg_is(&h.st[i], 0, "X25519"))
			info->nx25519++;
		else if (arg_is(&h.st[i], 0, "scrypt"))
			info->nscrypt++;
		else if (arg_is(&h.st[i], 0, PQ_TYPE))
			info->npq++;
		else
			info->nunknown++;
	}
	info->nstanzas = h.n;
	info->header_len = h.len;
	hdr_free(&h);
	dp_buf_free(&tmp);
	if (r)
		memset(info, 0, sizeof *info);
	return r;
}
