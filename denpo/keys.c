/*
 * denpo/keys.c - key epochs on the device (docs/protocol.md, "Key epochs"):
 * publish keys ahead, keep fetched cables readable under the local storage
 * key, erase epoch secrets once the switch accepts no more cables for them
 * and every queued one is re-wrapped (a records device keeps them in its
 * archive, HOME/archive/keys, before they leave the keystore: denpo/archive.h).
 *
 * The local file key (cache/ID.key), 61 bytes:
 *   "DPLK" u8 version=1 nonce[24] XChaCha20-Poly1305(storage key, file key[16])
 * with associated data "denpo-local-file-key-v1" 0x00 || cable id[16] ||
 * SHA-256(the submission bytes in cache/ID.cable), so a key file opens only
 * its own cable's bytes.
 *
 * Concurrency: two denpo processes of one device (say `inbox --watch` and a
 * `read`) must not both change the keystore from their own stale copies --
 * the loser would overwrite an epoch secret the other published.  All
 * maintenance runs under an exclusive flock on HOME/keystore.lock and
 * reloads the keystore first if its file changed since this process read it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <sodium.h>

#include "denpo/archive.h"
#include "denpo/cli.h"
#include "denpo/encoding.h"

#define LK_MAGIC "DPLK"
#define LK_VERSION 1
#define LK_LEN (4 + 1 + 24 + DP_AGE_FILE_KEY + 16)
static const char lk_ctx[] = "denpo-local-file-key-v1";

/* ---- local file keys ---- */

static int lk_ad(uint8_t ad[sizeof lk_ctx + DP_CABLE_ID + 32], const char *id, const uint8_t *sub,
		 size_t n)
{
	memcpy(ad, lk_ctx, sizeof lk_ctx); /* with its NUL: the 0x00 separator */
	if (dp_hex_decode(ad + sizeof lk_ctx, DP_CABLE_ID, id, 32))
		return DP_EINVAL;
	dp_sha256(ad + sizeof lk_ctx + DP_CABLE_ID, sub, n);
	return DP_OK;
}

int cli_fk_put(cli_ctx *x, const char *id, const uint8_t *sub, size_t n,
	       const uint8_t fk[DP_AGE_FILE_KEY])
{
	uint8_t ad[sizeof lk_ctx + DP_CABLE_ID + 32], f[LK_LEN];
	int r = lk_ad(ad, id, sub, n);
	if (r)
		return r;
	memcpy(f, LK_MAGIC, 4);
	f[4] = LK_VERSION;
	dp_random(f + 5, 24);
	unsigned long long cl;
	crypto_aead_xchacha20poly1305_ietf_encrypt(f + 29, &cl, fk, DP_AGE_FILE_KEY, ad, sizeof ad,
						   NULL, f + 5, x->ks->storage_key);
	char p[PATH_MAX];
	cli_cache_path(x, id, "key", p);
	return dp_write_file(p, f, sizeof f, 0600, 0);
}

int cli_fk_get(cli_ctx *x, const char *id, const uint8_t *sub, size_t n,
	       uint8_t fk[DP_AGE_FILE_KEY])
{
	uint8_t ad[sizeof lk_ctx + DP_CABLE_ID + 32];
	char p[PATH_MAX];
	cli_cache_path(x, id, "key", p);
	dp_buf b;
	dp_buf_init(&b, LK_LEN);
	int r = dp_read_file(p, &b);
	if (!r && (b.len != LK_LEN || memcmp(b.p, LK_MAGIC, 4) || b.p[4] != LK_VERSION))
		r = DP_EPARSE;
	if (!r)
		r = lk_ad(ad, id, sub, n);
	unsigned long long ml;
	if (!r && crypto_aead_xchacha20poly1305_ietf_decrypt(fk, &ml, NULL, b.p + 29,
							     DP_AGE_FILE_KEY + 16, ad, sizeof ad,
							     b.p + 5, x->ks->storage_key))
		r = DP_EHMAC; /* another device's key file, or not this cable's bytes */
	dp_buf_free(&b);
	if (r)
		sodium_memzero(fk, DP_AGE_FILE_KEY);
	return r;
}

static int exists(cli_ctx *x, const char *id, const char *ext)
{
	char p[PATH_MAX];
	cli_cache_path(x, id, ext, p);
	return access(p, F_OK) == 0;
}

/* A failure that no retry can cure: the bytes are not a cable this device can open. */
static int definitive(int r)
{
	return r == DP_EPARSE || r == DP_ETOOBIG || r == DP_ESIG || r == DP_ENOMATCH ||
	       r == DP_EHMAC || r == DP_EHEADER || r == DP_EPAYLOAD || r == DP_EARMOR ||
	       r == DP_EUNSUPP || r == DP_EMIXED;
}

/* Open sub's payload with the held keys: DP_OK and fk, or why it cannot be. */
static int file_key_of(cli_ctx *x, const char *id, const dp_buf *sub, uint8_t fk[DP_AGE_FILE_KEY],
		       const char **why)
{
	dp_envelope e;
	dp_envelope_init(&e);
	const uint8_t *payload;
	size_t plen;
	char hex[DP_HEXID];
	int r = dp_submission_decode(&e, sub->p, sub->len, &payload, &plen);
	if (r) {
		*why = "the submission is malformed or its envelope signature does not verify";
	} else if (dp_hex_encode(hex, e.cable_id, DP_CABLE_ID), strcmp(hex, id) != 0) {
		*why = "the bytes are another cable than the one asked for";
		r = DP_ESIG;
	} else {
		dp_buf pt;
		dp_buf_init(&pt, DP_MAX_PLAINTEXT + 65536);
		r = dp_age_decrypt_fk(x->ks->age, x->ks->nage, payload, plen, &pt, fk);
		dp_buf_free(&pt); /* wipes: only the file key is kept */
		*why = r == DP_ENOMATCH ? "no key of this device opens it"
				       : "its encrypted payload is malformed or was tampered with";
	}
	dp_envelope_free(&e);
	return r;
}

int cli_keep_cable(cli_ctx *x, const char *id, int *wrapped)
{
	*wrapped = 0;
	if (exists(x, id, "key") || exists(x, id, "bad"))
		return DP_OK;
	dp_buf sub;
	dp_buf_init(&sub, (size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4);
	char mrn[DP_MRN_MAX + 1] = "";
	uint8_t fk[DP_AGE_FILE_KEY];
	const char *why = NULL;
	int r = cli_cache_get(x, id, &sub), cached = r == DP_OK;
	if (cached) {
		r = file_key_of(x, id, &sub, fk, &why);
		if (r && definitive(r)) {
			/* the local copy may be what is damaged: judge the switch's copy */
			dp_buf_reset(&sub);
			sub.len = 0;
			cached = 0;
			r = DP_ENOTFOUND;
		}
	}
	if (r == DP_ENOTFOUND) {
		/* the switch's MRN header is not kept: only one checked against the log is (bind.c) */
		r = dp_client_fetch(x->cl, id, &sub, mrn);
		if (!r)
			r = file_key_of(x, id, &sub, fk, &why);
		if (!r || definitive(r)) {
			int rc = cli_cache_put(x, id, sub.p, sub.len);
			if (rc)
				r = rc;
		}
	}
	if (!r) {
		r = cli_fk_put(x, id, sub.p, sub.len, fk);
		*wrapped = r == DP_OK;
	} else if (definitive(r)) {
		char p[PATH_MAX];
		cli_cache_path(x, id, "bad", p);
		fprintf(stderr, "denpo: warning: cable %s can never be read here: %s; report its id to "
				"security operations\n", id, why);
		r = dp_write_file(p, why, strlen(why), 0600, 0);
	}
	sodium_memzero(fk, sizeof fk);
	dp_buf_free(&sub);
	return r;
}

/* Wrap every cached cable that has no key file yet (cables fetched before a key was erased). */
static int wrap_cached(cli_ctx *x, size_t *count)
{
	char dpath[PATH_MAX];
	cli_path(x, dpath, "cache");
	DIR *d = opendir(dpath);
	if (!d)
		return errno == ENOENT ? DP_OK : DP_EIO;
	struct dirent *de;
	int r = DP_OK;
	while (!r && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n != 38 || strcmp(de->d_name + 32, ".cable") != 0)
			continue;
		char id[DP_HEXID];
		memcpy(id, de->d_name, 32);
		id[32] = 0;
		uint8_t bin[DP_CABLE_ID];
		if (dp_hex_decode(bin, sizeof bin, id, 32))
			continue; /* not a file of ours */
		int w;
		r = cli_keep_cable(x, id, &w);
		*count += (size_t)w;
	}
	closedir(d);
	return r;
}

/* ---- the keystore under the lock ---- */

static int file_hash(const char *path, uint8_t h[32])
{
	dp_buf b;
	dp_buf_init(&b, DP_KEYSTORE_MAX);
	int r = dp_read_file(path, &b);
	if (!r)
		dp_sha256(h, b.p, b.len);
	dp_buf_free(&b);
	return r;
}

int cli_keystore_loaded(cli_ctx *x)
{
	char path[PATH_MAX];
	cli_path(x, path, "keystore.age");
	return file_hash(path, x->ks_hash);
}

/* Under the lock: take the keystore as it is on disk now. */
static int ks_refresh(cli_ctx *x)
{
	char path[PATH_MAX];
	uint8_t h[32];
	cli_path(x, path, "keystore.age");
	int r = file_hash(path, h);
	if (r || !memcmp(h, x->ks_hash, 32))
		return r;
	if (x->ks_dirty)
		return DP_ESTATE; /* unsaved keys here and another process changed the file: stop */
	dp_keystore *ks;
	r = dp_keystore_load(&ks, path, x->pass, x->passlen);
	if (r)
		return r;
	dp_keystore_free(x->ks);
	x->ks = ks;
	memcpy(x->ks_hash, h, 32);
	return DP_OK;
}

static int ks_save(cli_ctx *x)
{
	char path[PATH_MAX];
	cli_path(x, path, "keystore.age");
	int r = dp_keystore_replace(x->ks, path, x->pass, x->passlen, 0);
	if (!r)
		r = file_hash(path, x->ks_hash);
	x->ks_dirty = r != DP_OK;
	return r;
}

int cli_keys_repass(cli_ctx *x, char *pass, size_t len)
{
	if (!x->ks || !x->pass)
		return DP_EINVAL;
	int fd = cli_lock_keystore(x, 1);
	if (fd < 0)
		return DP_EIO;
	int r = ks_refresh(x); /* the keys as they are now, under the current passphrase */
	char *old = x->pass;
	size_t oldlen = x->passlen;
	if (!r) {
		x->pass = pass;
		x->passlen = len;
		r = ks_save(x);
	}
	if (r) {
		x->pass = old; /* the file is unchanged (replaced atomically, or not at all) */
		x->passlen = oldlen;
		cli_pass_free(pass);
	} else {
		cli_pass_free(old);
	}
	cli_unlock_keystore(fd);
	return r;
}

int cli_lock_keystore(cli_ctx *x, int exclusive)
{
	return cli_flock(x, "keystore.lock", exclusive);
}

int cli_flock(cli_ctx *x, const char *name, int exclusive)
{
	char p[PATH_MAX];
	cli_path(x, p, name);
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

void cli_unlock_keystore(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}

/* ---- the three steps ---- */

/* 1. Generate keys until the newest is valid at least lookahead from now. */
static int generate(cli_ctx *x, int64_t now, int64_t lookahead, int force_now, size_t *made)
{
	dp_keystore *ks = x->ks;
	for (;;) {
		size_t last = ks->nage - 1;
		int64_t start;
		if (force_now) {
			start = now;
			force_now = 0;
		} else if (ks->not_after[last] >= now + lookahead) {
			return DP_OK;
		} else {
			start = ks->not_before[last] + DP_EPOCH_PERIOD;
			if (start < now)
				start = now; /* the device was away: the new epoch starts now */
		}
		int r = dp_keystore_add_epoch(ks, start, start + DP_EPOCH_PERIOD + DP_EPOCH_OVERLAP);
		if (r == DP_ETOOBIG) {
			fprintf(stderr, "denpo: warning: the keystore holds %d epoch keys, the most it can; "
					"no more are published until older ones are erased\n",
				DP_KEYSTORE_MAX_AGE);
			return DP_OK;
		}
		if (r)
			return r;
		(*made)++;
	}
}

/* 2. Publish every unexpired key the switch does not have yet. */
static int publish(cli_ctx *x, int64_t now, size_t *sent)
{
	dp_keystore *ks = x->ks;
	int r = DP_OK;
	for (size_t i = 0; i < ks->nage && !r; i++) {
		if ((ks->flags[i] & DP_KS_PUBLISHED) || ks->not_after[i] <= now)
			continue;
		dp_epoch_key k;
		dp_buf rec;
		dp_buf_init(&rec, DP_EPOCH_KEY_MAX);
		int dup = 0;
		r = dp_keystore_epoch_key(ks, i, &k);
		r = r ? r : dp_epoch_key_encode(&k, ks->sign_sk, &rec);
		r = r ? r : dp_client_publish_key(x->cl, rec.p, rec.len, &dup);
		dp_buf_free(&rec);
		if (!r) {
			ks->flags[i] |= DP_KS_PUBLISHED;
			(*sent)++;
		}
	}
	return r;
}

/* 3. Erase the secrets of closed epochs whose queued cables are all re-wrapped. */
static int erase(cli_ctx *x, size_t *erased, size_t *wrapped)
{
	dp_keystore *ks = x->ks;
	int64_t now = dp_now();
	int candidates = 0;
	for (size_t i = 0; i + 1 < ks->nage; i++)
		candidates |= ks->not_after[i] + DP_EPOCH_SKEW <= now;
	if (!candidates)
		return DP_OK; /* nothing can be closed yet: no request needed */
	dp_key_status st;
	int r = dp_client_keys(x->cl, &st);
	if (r)
		return r;
	uint32_t gone[DP_KEYSTORE_MAX_AGE];
	size_t ngone = 0, handled_cached = 0;
	int cached_done = 0;
	for (size_t i = 0; !r && i + 1 < ks->nage; i++) {
		const dp_epoch_state *e = NULL;
		for (size_t j = 0; j < st.n && !e; j++)
			if (st.epochs[j].epoch == ks->epoch[i])
				e = &st.epochs[j];
		/*
		 * Listed: the switch says whether it still accepts cables for it and
		 * which are queued.  Not listed: closed with nothing queued -- if its
		 * window (plus skew) has passed by the switch's clock; otherwise it
		 * was never published and may still be (keep it).
		 */
		if (e ? !e->closed : ks->not_after[i] + st.skew > st.now)
			continue;
		if (ks->not_after[i] + DP_EPOCH_SKEW > now)
			continue; /* and by this device's clock: a switch clock run ahead erases nothing early */
		int all = 1;
		for (size_t k = 0; e && k < e->npending && !r; k++) {
			int w;
			r = cli_keep_cable(x, e->pending[k], &w);
			*wrapped += (size_t)w;
		}
		if (e && e->more)
			all = 0; /* more than listed: the next run continues */
		if (!r && all && !cached_done) {
			/* acknowledged cables cached earlier need their keys sealed too */
			r = wrap_cached(x, &handled_cached);
			*wrapped += handled_cached;
			cached_done = 1;
		}
		if (!r && all)
			gone[ngone++] = ks->epoch[i];
	}
	dp_key_status_free(&st);
	/* a records device keeps the secrets in its archive first (denpo/archive.h) */
	int keep = ngone ? archive_keys_decide(x) : 0;
	for (size_t g = 0; keep >= 0 && g < ngone; g++)
		for (size_t i = 0; i + 1 < ks->nage; i++)
			if (ks->epoch[i] == gone[g]) {
				int er = keep ? archive_keys_keep(x, i) : DP_OK;
				if (!er)
					er = dp_keystore_erase(ks, i);
				if (er)
					return er;
				(*erased)++;
				break;
			}
	return r;
}

/* Every unexpired key marked unpublished (the switch lost them); *changed if any was marked. */
static void unpublish(dp_keystore *ks, int64_t now, int *changed)
{
	for (size_t i = 0; i < ks->nage; i++)
		if ((ks->flags[i] & DP_KS_PUBLISHED) && ks->not_after[i] > now) {
			ks->flags[i] &= (uint8_t)~DP_KS_PUBLISHED;
			*changed = 1;
		}
}

/* The maintenance under the lock; republish: first mark every unexpired key unpublished. */
static int maintain(cli_ctx *x, int64_t lookahead, int rotate, int republish, cli_maint *m)
{
	memset(m, 0, sizeof *m);
	if (!x->ks || !x->cl || !x->pass)
		return DP_EINVAL;
	int fd = cli_lock_keystore(x, 1);
	if (fd < 0)
		return DP_EIO;
	int r = ks_refresh(x);
	int64_t now = dp_now();
	/*
	 * Every key published again: asked (denpo log recover), or the device
	 * holds no verified checkpoint (cli.h, republish_keys: a new device or a
	 * witness reset).  The flags are cleared in the saved keystore too, so a
	 * publication cut short here resumes with the next command.
	 */
	if (!r && (republish || x->republish_keys))
		unpublish(x->ks, now, &x->ks_dirty); /* saved below, before anything is published */
	if (!r)
		r = generate(x, now, lookahead, rotate, &m->generated);
	if (m->generated)
		x->ks_dirty = 1;
	/*
	 * Saved before any record leaves the device: a published key is never
	 * lost.  A save that failed earlier in this process is retried here,
	 * and nothing is published until it succeeds.
	 */
	if (!r && x->ks_dirty)
		r = ks_save(x);
	int rp = r ? r : publish(x, now, &m->published);
	if (!r)
		x->republish_keys = 0; /* the flags say the rest */
	if (!r && m->published) /* the flags, even when a later publish failed */
		r = ks_save(x);
	if (!r)
		r = rp;
	if (!r) {
		size_t before = m->erased;
		r = erase(x, &m->erased, &m->wrapped);
		if (m->erased != before) {
			int rs = ks_save(x);
			if (!r)
				r = rs;
		}
	}
	cli_unlock_keystore(fd);
	return r;
}

int cli_keys_maintain(cli_ctx *x, int64_t lookahead, int rotate, cli_maint *m)
{
	return maintain(x, lookahead, rotate, 0, m);
}

int cli_keys_republish(cli_ctx *x, cli_maint *m)
{
	/* publish sends them in epoch order: the switch has a prefix of them, so the rest are newer */
	return maintain(x, DP_EPOCH_LOOKAHEAD, 0, 1, m);
}
