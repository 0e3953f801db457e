/*
 * denpo/witness.c - the device as a witness of the switch's transparency
 * log (docs/transparency.md §3-§4).
 *
 * The device keeps the last checkpoint it verified in HOME/log/checkpoint
 * (the signed note exactly as the switch sent it, 0600, replaced
 * atomically).  Every new checkpoint must open under the Log-Key of the
 * enrolment answer, name that key's origin, and be consistent with the
 * stored one: larger with a consistency proof that verifies, or equal
 * with the same root.  A smaller one is only an older view, acceptable if
 * the switch proves it a prefix of the stored one (another process of
 * this device may have stored a newer one meanwhile).  Anything else means
 * the switch keeps two histories: the device stores both signed notes and
 * the proof in HOME/log/fork-evidence-<unix>.txt, keeps its checkpoint,
 * and the command stops (exit 3).  Having accepted a newer checkpoint it
 * cosigns it (Ed25519 cosignature/v1, cosigner `denpo-device/<id hex>`)
 * and sends the line to the switch.
 *
 * One process at a time: HOME/log/lock is flock'd around fetch, check and
 * store, so two processes of one device never judge a checkpoint against
 * a stored one that raced past it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "denpo/cli.h"
#include "denpo/encoding.h"

#define EVIDENCE_MAGIC "DENPO-FORK-EVIDENCE/1"

/* ---- evidence ---- */

int cli_put_b64(dp_buf *b, const char *key, const uint8_t *p, size_t n)
{
	char *s = malloc(dp_b64_enclen(n, 1) + 1);
	if (!s)
		return DP_ENOMEM;
	dp_b64_encode(s, p, n, 1);
	int r = dp_buf_printf(b, "%s: %s\n", key, s);
	free(s);
	return r;
}

/*
 * Write b to DIR/<prefix>-<now><ext> (0600), never over an existing file:
 * two in one second get -1, -2, ... .  path gets the name ("" on failure).
 */
static int new_file_ext(const char *dir, const char *prefix, const char *ext, int64_t now,
			const dp_buf *b, char path[PATH_MAX])
{
	int r = DP_EEXISTS;
	path[0] = 0;
	if (strlen(dir) + strlen(prefix) + strlen(ext) + 40 >= PATH_MAX)
		return DP_EINVAL; /* no room for the file name */
	for (int k = 0; r == DP_EEXISTS && k < 100; k++) {
		if (k)
			snprintf(path, PATH_MAX, "%s/%s-%lld-%d%s", dir, prefix, (long long)now, k, ext);
		else
			snprintf(path, PATH_MAX, "%s/%s-%lld%s", dir, prefix, (long long)now, ext);
		r = dp_write_file(path, b->p, b->len, 0600, 1);
	}
	if (r)
		path[0] = 0;
	return r;
}

static int new_file(const char *dir, const char *prefix, int64_t now, const dp_buf *b,
		    char path[PATH_MAX])
{
	return new_file_ext(dir, prefix, ".txt", now, b, path);
}

/*
 * The head of an evidence file: magic, the comment, then who saw it where
 * and when (Time, Switch, Witness, Log-Key), into b.  *now gets the time.
 */
static int evidence_head(cli_ctx *x, dp_buf *b, const char *magic, const char *comment, int64_t *now)
{
	char vk[DP_NOTE_VKEY_MAX + 1] = "", dev[65] = "?", tm[DP_TIME_STR];
	dp_note_vkey k;
	if (cli_log_key(x, &k) != DP_OK || dp_note_vkey_format(vk, sizeof vk, &k) != DP_OK)
		vk[0] = 0;
	if (x->have_ans)
		dp_hex_encode(dev, x->ans.device_id, 32);
	/* the address that showed it (a switch may have several: denpo/switches.h) */
	const char *url = x->cl ? dp_client_url(x->cl) : x->have_ans ? x->ans.switches.url[0] : "?";
	*now = (int64_t)time(NULL);
	dp_time_str(*now, tm);
	return dp_buf_printf(b, "%s\n# On %s the switch at %s showed this device (Witness, below)\n%s"
				"Time: %lld\nSwitch: %s\nWitness: denpo-device/%s\nLog-Key: %s\n",
			     magic, tm, url, comment, (long long)*now, url, dev, vk);
}

int cli_log_evidence(cli_ctx *x, const char *dir, const cli_ckpt *verified, const cli_ckpt *received,
		     uint64_t from, uint64_t size, const uint8_t (*proof)[DP_TLOG_HASH], size_t n,
		     const char *why, char path[PATH_MAX])
{
	path[0] = 0;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return DP_EIO;
	int64_t now;
	dp_buf b;
	dp_buf_init(&b, 4 * DP_NOTE_MAX + 16384);
	int r = evidence_head(
		x, &b, EVIDENCE_MAGIC,
		"# two checkpoints of its transparency log, both signed by the log key,\n"
		"# that no consistency proof joins: the switch (or whoever holds its log key)\n"
		"# keeps two different histories.  Report this file to security operations at once.\n"
		"# Verified-Checkpoint is the one the device had verified before, Received-Checkpoint\n"
		"# the one the switch sent now (both base64 of the signed note), Proof the switch's\n"
		"# consistency proof from tree size Proof-From to Proof-Size, if it sent one.\n"
		"# Check it offline: denpo audit verify THIS-FILE [--log-key VKEY]\n",
		&now);
	r = r ? r : dp_buf_printf(&b, "Reason: %s\n", why);
	r = r ? r : cli_put_b64(&b, "Verified-Checkpoint", (const uint8_t *)verified->note, verified->len);
	r = r ? r : cli_put_b64(&b, "Received-Checkpoint", (const uint8_t *)received->note, received->len);
	if (!r && n)
		r = dp_buf_printf(&b, "Proof-From: %llu\nProof-Size: %llu\n", (unsigned long long)from,
				  (unsigned long long)size);
	for (size_t i = 0; !r && i < n; i++)
		r = cli_put_b64(&b, "Proof", proof[i], DP_TLOG_HASH);
	r = r ? r : new_file(dir, "fork-evidence", now, &b, path);
	dp_buf_free(&b);
	return r;
}

int cli_log_fork_fail(cli_ctx *x, const char *evidence)
{
	fprintf(stderr,
		"denpo: the switch showed this device a different log history; report %s to security "
		"operations\n  -> do not use this switch for cables until security operations "
		"answer; this device keeps the checkpoint it verified before\n",
		evidence && *evidence ? evidence : "(the evidence could not be written: see above)");
	if (x->json)
		dp_json_print(json_pack("{s:s, s:s, s:s}", "error", "fork", "message",
					 "the switch showed this device a different log history",
					 "evidence", evidence ? evidence : ""));
	return EXIT_VERIFY;
}

/* ---- the device's state ---- */

int cli_log_key(cli_ctx *x, dp_note_vkey *k)
{
	memset(k, 0, sizeof *k);
	if (!x->have_ans)
		return DP_ESTATE;
	int r = dp_note_vkey_parse(k, x->ans.log_key, strlen(x->ans.log_key));
	if (!r && k->type != DP_NOTE_ED25519)
		r = DP_EUNSUPP; /* a log signs with Ed25519 (type 0x01) */
	return r;
}

static int log_dir(cli_ctx *x, char out[PATH_MAX])
{
	cli_path(x, out, "log");
	if (mkdir(out, 0700) != 0 && errno != EEXIST)
		return DP_EIO;
	return DP_OK;
}

static int lock_log(cli_ctx *x)
{
	char p[PATH_MAX];
	if (log_dir(x, p))
		return -1;
	return cli_flock(x, "log/lock", 1);
}

static void unlock_log(int fd)
{
	cli_unlock_keystore(fd);
}

void cli_log_cosigner(const cli_ctx *x, char name[DP_NOTE_NAME_MAX + 1])
{
	char hex[65];
	dp_hex_encode(hex, x->ans.device_id, 32);
	snprintf(name, DP_NOTE_NAME_MAX + 1, "denpo-device/%s", hex);
}

/* ---- a switch that will not prove a newer checkpoint ---- */

#define REFUSALS_MAX 3

/* Did the switch answer the proof request, but with no proof: a malformed answer or a 5xx? */
static int is_refusal(cli_ctx *x, int r)
{
	if (r == DP_OK || r == DP_ENET || r == DP_ENOMEM)
		return 0;
	return r == DP_EPROTO || r == DP_EPARSE || dp_client_http_status(x->cl) >= 500;
}

static void refusals_reset(cli_ctx *x)
{
	char p[PATH_MAX];
	cli_path(x, p, "log/refusals");
	unlink(p);
}

/*
 * Keep what the switch offered and answered in HOME/log/unproven-<unix>.txt
 * (0600) and count the refusal in HOME/log/refusals.  Returns the refusals in
 * a row (0 if it could not count).  Under HOME/log/lock.
 */
static unsigned keep_unproven(cli_ctx *x, const dp_buf *note, uint64_t held, uint64_t offered, int r,
			      char kept[PATH_MAX])
{
	char dir[PATH_MAX], p[PATH_MAX + 64];
	kept[0] = 0;
	if (log_dir(x, dir))
		return 0;
	int64_t now = dp_now();
	dp_buf b;
	dp_buf_init(&b, DP_NOTE_MAX + 4096);
	int e = dp_buf_printf(&b,
			      "DENPO-UNPROVEN-CHECKPOINT/1\n"
			      "Time: %lld\n"
			      "Held-Size: %llu\n"
			      "Offered-Size: %llu\n"
			      "Asked: GET /v1/log/proof/consistency?from=%llu&size=%llu\n"
			      "HTTP-Status: %ld\n"
			      "Error: %s\n"
			      "Answer: %.1000s\n"
			      "\n",
			      (long long)now, (unsigned long long)held, (unsigned long long)offered,
			      (unsigned long long)held, (unsigned long long)offered, dp_client_http_status(x->cl),
			      dp_errname(r), dp_client_message(x->cl));
	if (!e)
		e = dp_buf_append(&b, note->p, note->len);
	if (!e && new_file(dir, "unproven", now, &b, kept) != DP_OK)
		kept[0] = 0;
	dp_buf_free(&b);
	/* the count: "N SIZE" of the refusals in a row */
	unsigned n = 0;
	unsigned long long sz = 0;
	cli_path(x, p, "log/refusals");
	FILE *f = fopen(p, "r");
	if (f) {
		if (fscanf(f, "%u %llu", &n, &sz) != 2)
			n = 0;
		fclose(f);
	}
	n = n < 1000 ? n + 1 : n;
	char line[64];
	int l = snprintf(line, sizeof line, "%u %llu\n", n, (unsigned long long)offered);
	if (dp_write_file(p, line, (size_t)l, 0600, 0) != DP_OK)
		return 0;
	return n;
}

/* 1 if the note already carries this device's cosignature line. */
static int has_cosig(const cli_ckpt *c, const char *name, uint32_t id)
{
	dp_note_sig *sigs = malloc(DP_NOTE_SIGS_MAX * sizeof *sigs);
	size_t tl, ns = 0;
	int found = 0;
	if (sigs && dp_note_parse(c->note, c->len, &tl, sigs, DP_NOTE_SIGS_MAX, &ns) == DP_OK)
		for (size_t i = 0; i < ns && !found; i++)
			found = sigs[i].id == id && strcmp(sigs[i].name, name) == 0;
	free(sigs);
	return found;
}

/* ---- time: a cosignature is never dated before an earlier one ---- */

/*
 * A cosignature says "at this time, this is the largest tree of the log I
 * have seen" (c2sp.org/tlog-cosignature).  One cosigner's cosignature of a
 * larger tree dated before its cosignature of a smaller one contradicts
 * itself: its clock went back, or a second copy of its keys cosigns from
 * another view (a cloned device).  The proofs establish the log's
 * consistency whatever the times, so this is a named warning with the
 * evidence kept (HOME/log/cosig-time-<unix>.txt: both checkpoints as
 * received, each cosignature verifiable under the key its name gives),
 * not a failure of the officer's command.  This device itself never dates
 * a cosignature before its last one: it keeps its own line on
 * HOME/log/checkpoint, and a clock gone back makes it stop cosigning
 * until the clock has passed that time.  Times are compared as stated by
 * the cosigners' clocks only; the switch's clock is not in a checkpoint.
 */

/* This device's verified cosignature time on c (0: none, or c NULL). */
static uint64_t own_time(const cli_ctx *x, const cli_ckpt *c)
{
	cli_cosig *cs = c ? malloc(DP_NOTE_SIGS_MAX * sizeof *cs) : NULL;
	size_t n = cs ? cli_ckpt_cosigs(c, cs, DP_NOTE_SIGS_MAX) : 0;
	uint64_t t = 0;
	for (size_t i = 0; i < n && i < DP_NOTE_SIGS_MAX; i++)
		if (memcmp(cs[i].id, x->ans.device_id, 32) == 0)
			t = cs[i].ts;
	free(cs);
	return t;
}

/* Keep old and nw as evidence that cosigner id dated a larger tree earlier (why says how). */
static void keep_cosig_time(cli_ctx *x, const char *dir, const cli_ckpt *old, const cli_ckpt *nw,
			    const uint8_t id[32], const char *why, char path[PATH_MAX])
{
	char hex[65];
	int64_t now;
	dp_buf b;
	dp_buf_init(&b, 4 * DP_NOTE_MAX + 8192);
	dp_hex_encode(hex, id, 32);
	int r = evidence_head(
		x, &b, "DENPO-COSIGNATURE-TIME/1",
		"# a checkpoint of its transparency log cosigned by a device (Cosigner) at a time\n"
		"# before that device's cosignature of a smaller checkpoint: a cosignature says\n"
		"# \"at this time this is the largest tree I have seen\", so the cosigner's clock\n"
		"# went back or a copy of its keys cosigns elsewhere.  Report this file to security\n"
		"# operations.  Verified-Checkpoint is the one this device held, Received-Checkpoint\n"
		"# the larger one the switch sent (base64 of the signed notes); each cosignature\n"
		"# verifies under the Ed25519 key its name denpo-device/<id> gives.\n",
		&now);
	r = r ? r : dp_buf_printf(&b, "Cosigner: denpo-device/%s\nReason: %s\n", hex, why);
	r = r ? r : cli_put_b64(&b, "Verified-Checkpoint", (const uint8_t *)old->note, old->len);
	r = r ? r : cli_put_b64(&b, "Received-Checkpoint", (const uint8_t *)nw->note, nw->len);
	r = r ? r : new_file(dir, "cosig-time", now, &b, path);
	if (r)
		snprintf(path, PATH_MAX, "(not kept: %s)", dp_strerror(r));
	dp_buf_free(&b);
}

/*
 * Before nw, larger than the held old, is stored: every device that
 * cosigned both must have dated nw's cosignature no earlier; and a
 * cosignature in this device's name on a tree it never held (it cosigns
 * only what it stores) is another copy of its keys at work.  Said on
 * stderr, evidence kept.
 */
static void cosig_times(cli_ctx *x, const char *dir, const cli_ckpt *old, const cli_ckpt *nw)
{
	cli_cosig *a = malloc(2 * DP_NOTE_SIGS_MAX * sizeof *a);
	if (!a)
		return;
	cli_cosig *b = a + DP_NOTE_SIGS_MAX;
	size_t na = cli_ckpt_cosigs(old, a, DP_NOTE_SIGS_MAX), nb = cli_ckpt_cosigs(nw, b, DP_NOTE_SIGS_MAX);
	for (size_t i = 0; i < nb && i < DP_NOTE_SIGS_MAX; i++) {
		char hex[65], t1[DP_TIME_STR], t2[DP_TIME_STR], why[384], path[PATH_MAX];
		dp_hex_encode(hex, b[i].id, 32);
		dp_time_str((int64_t)b[i].ts, t1);
		if (memcmp(b[i].id, x->ans.device_id, 32) == 0) {
			snprintf(why, sizeof why, "a cosignature in this device's name (at %s) is on the "
						  "tree of size %llu, which this device never cosigned (it held size "
						  "%llu)", t1, (unsigned long long)nw->cp.size,
				 (unsigned long long)old->cp.size);
			keep_cosig_time(x, dir, old, nw, b[i].id, why, path);
			fprintf(stderr, "denpo: WARNING: %s: a copy of this device's keys is in use "
					"elsewhere; kept in %s -- report it to security operations at once\n",
				why, path);
			continue;
		}
		for (size_t j = 0; j < na && j < DP_NOTE_SIGS_MAX; j++) {
			if (memcmp(a[j].id, b[i].id, 32) != 0 || b[i].ts >= a[j].ts)
				continue;
			dp_time_str((int64_t)a[j].ts, t2);
			snprintf(why, sizeof why, "device %.16s... cosigned the log's tree of size %llu at "
						  "%s, earlier than its cosignature of the smaller tree of size "
						  "%llu at %s", hex, (unsigned long long)nw->cp.size, t1,
				 (unsigned long long)old->cp.size, t2);
			keep_cosig_time(x, dir, old, nw, b[i].id, why, path);
			fprintf(stderr, "denpo: WARNING: %s: its clock went back, or a copy of its keys "
					"cosigns elsewhere (a cloned device); kept in %s -- report it to "
					"security operations\n", why, path);
		}
	}
	free(a);
}

/*
 * This device's cosignature line of c into line (left empty when there is
 * nothing to cosign: an empty tree, or the switch already has ours), never
 * dated before last, its own latest cosignature: a clock gone back makes no
 * line and says so.
 */
static int cosign_line(cli_ctx *x, const cli_ckpt *c, uint64_t last, dp_buf *line)
{
	char name[DP_NOTE_NAME_MAX + 1], t1[DP_TIME_STR], t2[DP_TIME_STR], gap[DP_TIME_STR];
	cli_log_cosigner(x, name);
	uint32_t id = dp_note_key_id(name, DP_NOTE_COSIG_V1, x->ks->sign_pk);
	if (c->cp.size == 0 || has_cosig(c, name, id))
		return DP_OK; /* nothing to witness in an empty tree; or the switch has ours */
	int64_t now = dp_now();
	if (now < (int64_t)last) {
		dp_time_str(now, t1);
		dp_time_str((int64_t)last, t2);
		dp_span_str((int64_t)last - now, gap);
		fprintf(stderr, "denpo: WARNING: this device's clock reads %s, %s before its own last "
				"cosignature of the log (%s): its clock went back. Check it (NTP); until "
				"it passes that time this device does not cosign the log (an earlier date "
				"would contradict that cosignature)\n", t1, gap, t2);
		return DP_OK;
	}
	return dp_note_cosign_line(line, c->note, c->text_len, name, x->ks->sign_sk,
				   (uint64_t)(now > 0 ? now : 1));
}

/*
 * HOME/log/checkpoint := nw, with this device's own cosignature line if it
 * made one (so the device knows the time it last stated); without it if
 * the two no longer open as a checkpoint (over a cap).
 */
static int save_cosigned(const dp_note_vkey *k, const cli_ckpt *nw, const dp_buf *line, const char *path)
{
	if (!line->len)
		return cli_ckpt_save(nw, path);
	dp_buf b;
	cli_ckpt t;
	dp_buf_init(&b, DP_NOTE_MAX);
	int r = dp_buf_append(&b, nw->note, nw->len);
	r = r ? r : dp_buf_append(&b, line->p, line->len);
	if (!r && cli_ckpt_open(k, (const char *)b.p, b.len, &t) == DP_OK) {
		r = cli_ckpt_save(&t, path);
		cli_ckpt_free(&t);
	} else
		r = cli_ckpt_save(nw, path);
	dp_buf_free(&b);
	return r;
}

/*
 * HOME/log/checkpoint (path) := nw with this device's cosignature (never
 * dated before its last one on old), and the cosignature sent: what a
 * device does with a checkpoint it accepted.  store: save even without a
 * new cosignature line (nw is another tree than the one held).
 */
static int store_cosign(cli_ctx *x, const dp_note_vkey *k, const cli_ckpt *old, const cli_ckpt *nw,
			int store, const char *path, int *cosign_err)
{
	int r = DP_OK;
	dp_buf line;
	dp_buf_init(&line, 1024);
	if (x->ks && x->cl)
		*cosign_err = cosign_line(x, nw, own_time(x, old), &line);
	if (store || line.len)
		r = save_cosigned(k, nw, &line, path);
	if (!r)
		refusals_reset(x); /* accepted: the refusals in a row start again */
	if (!r && line.len) {
		*cosign_err = dp_client_log_cosign(x->cl, nw->cp.size, (const char *)line.p, line.len);
		if (*cosign_err == DP_ENOTFOUND && dp_client_http_status(x->cl) == 404)
			*cosign_err = DP_OK; /* a switch that does not collect cosignatures yet */
	}
	dp_buf_free(&line);
	return r;
}

/*
 * The rules, under the lock.  *evidence is set on a fork.  With a smaller
 * checkpoint, asks the switch to prove it a prefix of the stored one.
 */
static int accept_locked(cli_ctx *x, const char *note, size_t len, uint64_t pfrom,
			 const uint8_t (*proof)[DP_TLOG_HASH], size_t n, char evidence[PATH_MAX],
			 int *cosign_err)
{
	evidence[0] = 0;
	*cosign_err = 0;
	dp_note_vkey k;
	int r = cli_log_key(x, &k);
	if (r)
		return r;
	char dir[PATH_MAX], path[PATH_MAX], why[512];
	if (log_dir(x, dir))
		return DP_EIO;
	cli_path(x, path, "log/checkpoint");
	cli_ckpt old, nw;
	r = cli_ckpt_open(&k, note, len, &nw);
	if (r)
		return r; /* not a checkpoint of our log: no evidence of anything */
	r = cli_ckpt_load(&k, path, &old);
	int have_old = r == DP_OK;
	if (r == DP_ENOTFOUND)
		r = DP_OK;
	else if (r) {
		fprintf(stderr, "denpo: %s is damaged (%s); move it away to start witnessing afresh\n", path,
			dp_strerror(r));
		cli_ckpt_free(&nw);
		return DP_ESTATE;
	}
	uint64_t from = have_old ? old.cp.size : 0, to = nw.cp.size;
	dp_log_proof back, fwd;
	memset(&back, 0, sizeof back);
	memset(&fwd, 0, sizeof fwd);
	if (have_old && from != pfrom && to > from && x->cl) {
		/*
		 * The proof was asked for from another size than the one stored now
		 * (another process of this device stored a checkpoint meanwhile):
		 * ask for the proof from the stored one rather than judge a wrong one.
		 */
		int pr = dp_client_log_consistency(x->cl, from, to, &fwd);
		if (pr == DP_OK) {
			proof = (const uint8_t(*)[DP_TLOG_HASH])fwd.h;
			n = fwd.n;
		} else if (pr == DP_ENET || pr == DP_ENOMEM || dp_client_http_status(x->cl) == 503) {
			/* cannot tell now (unreachable, or no instance can serve it yet: 503) */
			cli_ckpt_free(&old);
			cli_ckpt_free(&nw);
			return pr; /* checked again later */
		} else
			n = 0; /* the switch cannot join them: judged (and kept) as a fork below */
	}
	r = cli_log_judge(have_old ? &old : NULL, &nw, proof, n, why, sizeof why);
	if (r == DP_ESTATE && nw.cp.size == 0) {
		/*
		 * The empty tree after a larger one.  The log key signed it honestly at
		 * the log's start and it is a prefix of every tree, so it proves no fork
		 * and makes no evidence file (audit verify would call it inconclusive);
		 * but a switch that shows it now lost or hides its log.  Refused: not
		 * stored, not cosigned, said every time.
		 */
		fprintf(stderr, "denpo: the switch showed an empty log after size %llu; report this to "
				"security operations (this device keeps the checkpoint it verified)\n",
			(unsigned long long)old.cp.size);
		cli_ckpt_free(&old);
		cli_ckpt_free(&nw);
		return DP_ESTATE;
	}
	if (r == DP_ESTATE) {
		/* an older view: fine if the switch proves it a prefix of the one we verified */
		int pr = !x->cl ? DP_ENET /* no switch to ask: cannot tell */
				: dp_client_log_consistency(x->cl, nw.cp.size, old.cp.size, &back);
		if (pr == DP_OK && dp_tlog_verify_consistency(nw.cp.size, old.cp.size, nw.cp.root,
							      old.cp.root, back.h, back.n) == DP_OK)
			r = DP_OK;
		else if (pr == DP_OK || pr == DP_EPARSE || pr == DP_EINVAL || pr == DP_ENOTFOUND ||
			 pr == DP_ESTATE) {
			/* the switch answered: it cannot join them, or its proof does not */
			snprintf(why, sizeof why,
				 "the switch sent a tree of size %llu after one of size %llu and %s",
				 (unsigned long long)nw.cp.size, (unsigned long long)old.cp.size,
				 pr == DP_OK ? "its proof joining them does not verify"
					     : "cannot prove them consistent");
			r = CLI_EFORK;
			from = nw.cp.size;
			to = old.cp.size;
			proof = (const uint8_t(*)[DP_TLOG_HASH])back.h;
			n = pr == DP_OK ? back.n : 0;
		} else
			r = pr; /* cannot tell now (network): a warning, checked again later */
		if (r == DP_OK) {
			/* nothing to store or cosign: this device holds a newer checkpoint */
			cli_ckpt_free(&old);
			cli_ckpt_free(&nw);
			return DP_OK;
		}
	}
	if (r == CLI_EFORK) {
		int er = cli_log_evidence(x, dir, &old, &nw, from, to, proof, n, why, evidence);
		if (er)
			fprintf(stderr, "denpo: cannot write the fork evidence into %s: %s\n", dir,
				dp_strerror(er));
	} else if (!r) {
		int newer = !have_old || nw.cp.size > old.cp.size;
		if (have_old && newer)
			cosig_times(x, dir, &old, &nw);
		r = store_cosign(x, &k, have_old ? &old : NULL, &nw, newer, path, cosign_err);
	}
	if (have_old)
		cli_ckpt_free(&old);
	cli_ckpt_free(&nw);
	return r;
}

/* Said after a checkpoint was stored: the switch refused its cosignature (ce != 0). */
static void cosign_warn(cli_ctx *x, int ce)
{
	if (ce)
		fprintf(stderr, "denpo: warning: the switch did not take this device's cosignature of "
				"the log: %s (%s)\n",
			dp_strerror(ce), dp_client_message(x->cl));
}

int cli_log_accept(cli_ctx *x, const char *note, size_t len, uint64_t from,
		   const uint8_t (*proof)[DP_TLOG_HASH], size_t n, char evidence[PATH_MAX])
{
	int fd = lock_log(x);
	if (fd < 0)
		return DP_EIO;
	int ce;
	int r = accept_locked(x, note, len, from, proof, n, evidence, &ce);
	unlock_log(fd);
	if (!r)
		cosign_warn(x, ce);
	return r;
}

uint64_t cli_log_size(cli_ctx *x)
{
	dp_note_vkey k;
	char path[PATH_MAX];
	cli_ckpt c;
	uint64_t s = 0;
	cli_path(x, path, "log/checkpoint");
	if (cli_log_key(x, &k) == DP_OK && cli_ckpt_load(&k, path, &c) == DP_OK) {
		s = c.cp.size;
		cli_ckpt_free(&c);
	}
	return s;
}

int cli_log_sync(cli_ctx *x, char evidence[PATH_MAX])
{
	evidence[0] = 0;
	if (!x->cl)
		return DP_ESTATE;
	int fd = lock_log(x);
	if (fd < 0)
		return DP_EIO;
	uint64_t m = cli_log_size(x);
	dp_buf note;
	dp_buf_init(&note, DP_NOTE_MAX);
	dp_log_proof p;
	memset(&p, 0, sizeof p);
	int ce = 0;
	int r = dp_client_log_checkpoint(x->cl, &note);
	if (!r) {
		/* opened here only for its size, to ask for the right proof; accept checks it all */
		dp_note_vkey k;
		cli_ckpt c;
		memset(&c, 0, sizeof c);
		r = cli_log_key(x, &k);
		r = r ? r : cli_ckpt_open(&k, (const char *)note.p, note.len, &c);
		if (!r && m > 0 && c.cp.size > m) {
			r = dp_client_log_consistency(x->cl, m, c.cp.size, &p);
			if (is_refusal(x, r)) {
				/* a newer checkpoint the switch will not prove: kept, counted */
				char kept[PATH_MAX];
				unsigned n = keep_unproven(x, &note, m, c.cp.size, r, kept);
				fprintf(stderr,
					"denpo: warning: the switch offered a checkpoint of size %llu but did not "
					"prove it consistent with the one of size %llu this device holds (%s: %s)%s%s%s\n",
					(unsigned long long)c.cp.size, (unsigned long long)m, dp_strerror(r),
					dp_client_message(x->cl), kept[0] ? "; kept in " : "", kept,
					kept[0] ? "" : "; it could not be kept");
				if (n >= REFUSALS_MAX)
					r = CLI_EUNPROVEN;
			}
		}
		cli_ckpt_free(&c);
	}
	if (!r)
		r = accept_locked(x, (const char *)note.p, note.len, m, p.h, p.n, evidence, &ce);
	unlock_log(fd);
	dp_buf_free(&note);
	if (!r)
		cosign_warn(x, ce);
	return r;
}

int cli_log_upkeep(cli_ctx *x)
{
	char ev[PATH_MAX];
	int r = cli_log_sync(x, ev);
	if (r == CLI_EFORK)
		return cli_log_fork_fail(x, ev);
	if (r == CLI_EUNPROVEN) {
		char dir[PATH_MAX];
		cli_path(x, dir, "log");
		fprintf(stderr,
			"denpo: the switch refused %d times in a row to prove its newer checkpoint consistent "
			"with the one this device verified: it may be hiding a second history.\n"
			"  -> report %s/unproven-*.txt to security operations\n",
			REFUSALS_MAX, dir);
		if (x->json)
			dp_json_print(json_pack("{s:s, s:s, s:s}", "error", "unproven", "message",
						 "the switch refuses to prove its newer checkpoint consistent",
						 "evidence", dir));
		return EXIT_VERIFY;
	}
	/* unreachable, not answered with another key: that is reported as the failure it is */
	int was_offline = x->offline;
	x->offline = cli_unreachable(x, r);
	if (x->offline && x->offline_ok) {
		if (!x->quiet && !was_offline) /* said once, not at each retry of a waiting watch */
			fprintf(stderr, "denpo: offline: the switch cannot be reached (%s); going on with what this "
				"device holds; the transparency log was not witnessed this time\n",
				x->cl ? dp_client_message(x->cl) : dp_strerror(r));
	} else if (cli_disk_full(x, r))
		fprintf(stderr, "denpo: warning: the switch's transparency log was checked but this device "
				"could not keep its checkpoint: %s\n", cli_strerror(x, r));
	else if (r && x->cl && !dp_client_message(x->cl)[0] && (r == DP_ESIG || r == DP_EPARSE))
		/* the answer came, and it is the checkpoint that does not open (cli_log_sync) */
		fprintf(stderr, "denpo: warning: could not check the switch's transparency log: the checkpoint "
				"it sent (GET /v1/log/checkpoint) does not verify under this device's log key "
				"(%s); this device keeps the one it verified before, and checks again with the "
				"next command\n",
			dp_strerror(r));
	else if (r)
		fprintf(stderr, "denpo: warning: could not check the switch's transparency log: %s (%s); "
				"it is checked again with the next command\n",
			dp_strerror(r), x->cl ? dp_client_message(x->cl) : "");
	if (x->cl)
		dp_client_clear_message(x->cl); /* reported (or a harmless 404): not the command's error */
	return EXIT_OK;
}

int cli_log_reset(cli_ctx *x, const cli_ckpt *held, const cli_ckpt *nw, const dp_buf *record,
		  char kept[PATH_MAX], char recorded[PATH_MAX])
{
	kept[0] = recorded[0] = 0;
	dp_note_vkey k;
	char dir[PATH_MAX], path[PATH_MAX];
	int r = cli_log_key(x, &k);
	if (r)
		return r;
	int fd = lock_log(x);
	if (fd < 0)
		return DP_EIO;
	cli_path(x, path, "log/checkpoint");
	cli_ckpt cur;
	r = log_dir(x, dir) ? DP_EIO : cli_ckpt_load(&k, path, &cur);
	int loaded = r == DP_OK;
	if (!r && (cur.len != held->len || memcmp(cur.note, held->note, held->len) != 0))
		r = DP_ESTATE; /* another process of this device stored another one meanwhile */
	if (loaded)
		cli_ckpt_free(&cur);
	int64_t now = dp_now();
	dp_buf old;
	dp_buf_init(&old, DP_NOTE_MAX);
	/* the old checkpoint and the record first: without them, nothing is replaced */
	r = r ? r : dp_buf_append(&old, held->note, held->len);
	r = r ? r : new_file_ext(dir, "checkpoint-before-recovery", "", now, &old, kept);
	r = r ? r : new_file(dir, "recovered", now, record, recorded);
	dp_buf_free(&old);
	int ce = 0;
	r = r ? r : store_cosign(x, &k, held, nw, 1, path, &ce);
	unlock_log(fd);
	if (!r)
		cosign_warn(x, ce);
	return r;
}

int cli_log_record(cli_ctx *x, const char *magic, const char *comment, const cli_ckpt *held,
		   const cli_ckpt *nw, uint64_t index, const uint8_t *entry, size_t len,
		   const uint8_t (*proof)[DP_TLOG_HASH], size_t n, dp_buf *out)
{
	int64_t now;
	int r = evidence_head(x, out, magic, comment, &now);
	r = r ? r : cli_put_b64(out, "Verified-Checkpoint", (const uint8_t *)held->note, held->len);
	r = r ? r : cli_put_b64(out, "Received-Checkpoint", (const uint8_t *)nw->note, nw->len);
	r = r ? r : dp_buf_printf(out, "Rollback-Index: %llu\n", (unsigned long long)index);
	r = r ? r : cli_put_b64(out, "Rollback-Entry", entry, len);
	r = r ? r : dp_buf_printf(out, "Proof-Size: %llu\n", (unsigned long long)nw->cp.size);
	for (size_t i = 0; !r && i < n; i++)
		r = cli_put_b64(out, "Proof", proof[i], DP_TLOG_HASH);
	return r;
}

int cli_log_keep(cli_ctx *x, const char *prefix, const dp_buf *b, char path[PATH_MAX])
{
	char dir[PATH_MAX];
	path[0] = 0;
	if (log_dir(x, dir))
		return DP_EIO;
	return new_file(dir, prefix, dp_now(), b, path);
}
