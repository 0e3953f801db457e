/*
 * denpo/audit_verify.c - `denpo audit verify`: offline checks, without the
 * switch, of what `denpo audit breach` and the witness code write.
 *
 *   DIR     a breach report: every INDEX.tlog-proof (c2sp.org/tlog-proof@v1:
 *           the entry in "extra", its leaf hash, the inclusion proof, the
 *           checkpoint signed by the log key), the checkpoint, the report's
 *           own copy of the log key, that every proof is under the report's
 *           checkpoint, and that every entry report.json lists has its proof
 *   BAG     an export bag of a declassified cable (a directory with
 *           bagit.txt: denpo/bag.h, dp_export_verify)
 *   FILE    one .tlog-proof, or a device's fork-evidence file
 *           (DENPO-FORK-EVIDENCE/1, denpo/witness.c): both checkpoints must
 *           open under the log key and prove a fork by themselves
 *
 * Exit 0 (OK) only for what is proven under a trusted log key (--log-key,
 * or this device's enrolment answer): 3 (FAIL) if anything does not verify,
 * 4 (INCONCLUSIVE) for genuine fork evidence that proves no fork by itself,
 * or for checks made under a key taken from the report or file itself.
 *
 * Everything here reads untrusted files: each is size-capped, parsed by
 * the library's strict parsers, and a failure is a FAIL line, never a crash.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "denpo/bag.h"
#include "denpo/cli.h"
#include "denpo/encoding.h"
#include "denpo/logentry.h"
#include "denpo/num.h"

#define PROOF_FILE_MAX (2 * DP_TLOG_ENTRY_MAX + 4 * DP_NOTE_MAX)
#define EXIT_INCONCLUSIVE 4 /* documented in docs/operations.md ("Fork evidence") */

void audit_fmt_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm g;
	if (!gmtime_r(&tt, &g) || !strftime(out, 32, "%Y-%m-%d %H:%M:%SZ", &g))
		snprintf(out, 32, "%lld", (long long)t);
}

/* ---- audit verify ---- */

/*
 * The log key: --log-key (vkey or file), else HOME's answer, else fallback (a
 * report's own).  *trusted: 1 unless the key is the fallback, which nothing
 * vouches for.
 */
static int verify_key(cli_ctx *x, const char *opt, const char *fallback, dp_note_vkey *k, char *src,
		      size_t srccap, int *trusted)
{
	*trusted = 1;
	dp_buf b;
	dp_buf_init(&b, DP_NOTE_VKEY_MAX + 2);
	int r = DP_ENOTFOUND;
	if (opt) {
		if (strchr(opt, '+') && dp_note_vkey_parse(k, opt, strlen(opt)) == DP_OK) {
			snprintf(src, srccap, "--log-key");
			r = DP_OK;
		} else if ((r = dp_read_file(opt, &b)) == DP_OK) {
			while (b.len && (b.p[b.len - 1] == '\n' || b.p[b.len - 1] == '\r'))
				b.len--;
			r = dp_note_vkey_parse(k, (const char *)b.p, b.len);
			snprintf(src, srccap, "%s", opt);
		}
	} else {
		char p[PATH_MAX] = "";
		if (cli_home(x, 0) == DP_OK)
			cli_path(x, p, "answer.txt");
		if (p[0] && access(p, F_OK) == 0 && cli_load_answer(x) == EXIT_OK && cli_log_key(x, k) == DP_OK) {
			snprintf(src, srccap, "this device's enrolment answer");
			r = DP_OK;
		} else if (fallback && (r = dp_read_file(fallback, &b)) == DP_OK) {
			while (b.len && (b.p[b.len - 1] == '\n' || b.p[b.len - 1] == '\r'))
				b.len--;
			r = dp_note_vkey_parse(k, (const char *)b.p, b.len);
			*trusted = 0;
			snprintf(src, srccap, "%s (the report's own key: compare it with the ministry's)",
				 fallback);
		}
	}
	if (!r && k->type != DP_NOTE_ED25519)
		r = DP_EUNSUPP;
	dp_buf_free(&b);
	return r;
}

/*
 * One .tlog-proof: DP_OK and a description, or the reason it fails.  With
 * want, the proof's checkpoint must be that one (the same checkpoint text).
 */
static int check_proof(const dp_note_vkey *k, const char *path, const cli_ckpt *want, uint64_t *index,
		       char *msg, size_t cap)
{
	dp_buf b;
	dp_buf_init(&b, PROOF_FILE_MAX);
	dp_tlog_proof *p = calloc(1, sizeof *p);
	dp_logent *e = malloc(sizeof *e);
	uint64_t size = 0;
	int r = p && e ? dp_read_file(path, &b) : DP_ENOMEM;
	if (r)
		snprintf(msg, cap, "cannot read it (%s)", dp_strerror(r));
	else if ((r = cli_proof_check(k, (const char *)b.p, b.len, want, p, &size, msg, cap)) == DP_OK) {
		*index = p->index;
		if (dp_logent_decode(e, p->extra_buf, p->extra_len) != DP_OK)
			snprintf(msg, cap, "entry %llu of the log (proved), but not a denpo log entry",
				 (unsigned long long)p->index);
		else {
			char t[32], dh[65];
			audit_fmt_time(e->time, t);
			dp_hex_encode(dh, e->device, 32);
			snprintf(msg, cap, "entry %llu of %llu: %s %s %s%s%.16s", (unsigned long long)p->index,
				 (unsigned long long)size, t, dp_log_event_name(e->event), e->mrn,
				 e->mrn[0] ? " " : "", dh);
		}
	}
	free(e);
	free(p);
	dp_buf_free(&b);
	return r;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int verify_dir(cli_ctx *x, const char *dir, const char *keyopt)
{
	char kp[PATH_MAX], src[PATH_MAX + 80];
	snprintf(kp, sizeof kp, "%s/log-key.vkey", dir);
	dp_note_vkey k;
	int trusted;
	int r = verify_key(x, keyopt, kp, &k, src, sizeof src, &trusted);
	if (r)
		return cli_fail(x, r, "pass the log's key with --log-key VKEY|FILE",
				"audit verify: no usable log key");
	int fails = 0, oks = 0;
	const char *okt = trusted ? "OK" : "OK?"; /* OK? only under the report's own key */
	json_t *res = json_array();
	if (!x->json)
		printf("log key %s+%08x (from %s)\n", k.name, k.id, src);
	/* the report's own key must be this one */
	dp_buf b;
	dp_buf_init(&b, DP_NOTE_VKEY_MAX + 2);
	if (dp_read_file(kp, &b) == DP_OK) {
		dp_note_vkey k2;
		while (b.len && (b.p[b.len - 1] == '\n' || b.p[b.len - 1] == '\r'))
			b.len--;
		int same = dp_note_vkey_parse(&k2, (const char *)b.p, b.len) == DP_OK && k2.id == k.id &&
			   k2.type == k.type && !strcmp(k2.name, k.name) && !memcmp(k2.pub, k.pub, 32);
		if (!same)
			fails++;
		if (x->json)
			json_array_append_new(res, json_pack("{s:s, s:b}", "file", "log-key.vkey", "ok", same));
		else
			printf("%-4s log-key.vkey%s\n", same ? okt : "FAIL",
			       same ? "" : ": not the log key used to verify");
	}
	dp_buf_free(&b);
	/* the checkpoint: every proof must lead to this one */
	char cp[PATH_MAX];
	snprintf(cp, sizeof cp, "%s/checkpoint", dir);
	cli_ckpt ck;
	int cr = cli_ckpt_load(&k, cp, &ck);
	if (x->json)
		json_array_append_new(res, json_pack("{s:s, s:b}", "file", "checkpoint", "ok", cr == DP_OK));
	else if (cr == DP_ENOTFOUND)
		printf("FAIL checkpoint: missing (the proofs cannot be tied to one checkpoint)\n");
	else if (cr)
		printf("FAIL checkpoint: not signed by the log key (%s)\n", dp_strerror(cr));
	else
		printf("%-4s checkpoint: %s, %llu entries\n", okt, ck.cp.origin, (unsigned long long)ck.cp.size);
	fails += cr != DP_OK;
	oks += cr == DP_OK;
	/* every proof, in index order */
	DIR *d = opendir(dir);
	if (!d) {
		json_decref(res);
		cli_ckpt_free(&ck);
		return cli_fail(x, DP_EIO, NULL, "audit verify: cannot read %s", dir);
	}
	uint64_t *idx = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l <= 11 || strcmp(de->d_name + l - 11, ".tlog-proof") != 0)
			continue;
		uint64_t v;
		if (dp_num_u64(&v, de->d_name, l - 11, 0, UINT64_MAX)) {
			if (x->json)
				json_array_append_new(res, json_pack("{s:s, s:b}", "file", de->d_name, "ok", 0));
			else
				printf("FAIL %s: not named INDEX.tlog-proof\n", de->d_name);
			fails++;
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			uint64_t *ni = realloc(idx, cap * sizeof *ni);
			if (!ni)
				break;
			idx = ni;
		}
		idx[n++] = v;
	}
	closedir(d);
	qsort(idx, n, sizeof *idx, cmp_u64);
	for (size_t i = 0; i < n; i++) {
		char p[PATH_MAX], name[64], msg[512];
		snprintf(name, sizeof name, "%llu.tlog-proof", (unsigned long long)idx[i]);
		snprintf(p, sizeof p, "%s/%s", dir, name);
		uint64_t got = UINT64_MAX;
		int pr = cr == DP_OK ? check_proof(&k, p, &ck, &got, msg, sizeof msg) : DP_ESIG;
		if (cr != DP_OK)
			snprintf(msg, sizeof msg, "no verified checkpoint of the report to check it against");
		if (!pr && got != idx[i]) {
			snprintf(msg, sizeof msg, "the file proves entry %llu, not %llu", (unsigned long long)got,
				 (unsigned long long)idx[i]);
			pr = DP_ESIG;
		}
		fails += pr != DP_OK;
		oks += pr == DP_OK;
		if (x->json)
			json_array_append_new(res, json_pack("{s:s, s:b, s:s}", "file", name, "ok", pr == DP_OK,
							     "message", msg));
		else
			printf("%-4s %s: %s\n", pr ? "FAIL" : okt, name, msg);
	}
	cli_ckpt_free(&ck);
	/* every entry the report lists must have its proof */
	char rj[PATH_MAX];
	snprintf(rj, sizeof rj, "%s/report.json", dir);
	json_error_t je;
	json_t *rep = access(rj, F_OK) == 0 ? json_load_file(rj, JSON_REJECT_DUPLICATES, &je) : NULL;
	if (access(rj, F_OK) == 0) {
		json_t *a = rep ? json_object_get(rep, "entries") : NULL;
		int ok = json_is_array(a);
		for (size_t i = 0; ok && i < json_array_size(a); i++) {
			json_t *ix = json_object_get(json_array_get(a, i), "index");
			int have = 0;
			for (size_t j = 0; json_is_integer(ix) && j < n; j++)
				have |= idx[j] == (uint64_t)json_integer_value(ix);
			ok = have;
		}
		fails += !ok;
		if (x->json)
			json_array_append_new(res, json_pack("{s:s, s:b}", "file", "report.json", "ok", ok));
		else
			printf("%-4s report.json%s\n", ok ? okt : "FAIL",
			       ok ? ": every entry listed has its proof" : ": an entry listed has no valid proof file");
	}
	json_decref(rep);
	free(idx);
	if (n == 0) {
		fails++;
		if (!x->json)
			printf("FAIL no INDEX.tlog-proof file in %s\n", dir);
	}
	if (x->json)
		dp_json_print(json_pack("{s:b, s:i, s:i, s:b, s:s, s:o}", "ok", fails == 0 && trusted, "verified",
					 oks, "failed", fails, "key_trusted", trusted, "verdict",
					 fails ? "fail" : trusted ? "ok" : "inconclusive", "files", res));
	else {
		json_decref(res);
		if (fails || trusted)
			printf("%s: %d verified, %d failed\n", fails ? "FAILED" : "all verified", oks, fails);
		else
			printf("INCONCLUSIVE: %d verified, 0 failed, but only under the report's own log key; "
			       "check again with --log-key and the log key the ministry publishes\n",
			       oks);
	}
	return fails ? EXIT_VERIFY : trusted ? EXIT_OK : EXIT_INCONCLUSIVE;
}

/* A fork-evidence file (denpo/witness.c). */
static int verify_evidence(cli_ctx *x, const char *path, const dp_buf *f, const char *keyopt)
{
	dp_note_vkey k;
	char src[PATH_MAX + 80];
	int trusted;
	int r = verify_key(x, keyopt, NULL, &k, src, sizeof src, &trusted);
	int from_file = 0;
	dp_cur c = dp_cur_make(f->p, f->len);
	const uint8_t *ln;
	size_t ll;
	char *notes[2] = {NULL, NULL};
	size_t nlen[2] = {0, 0};
	uint8_t (*proof)[DP_TLOG_HASH] = calloc(DP_TLOG_PROOF_MAX, DP_TLOG_HASH);
	size_t np = 0;
	uint64_t pfrom = 0, psize = 0;
	int bad = !proof;
	char fkey[DP_NOTE_VKEY_MAX + 1] = "";
	while (!bad && dp_cur_line(&c, &ln, &ll) == DP_OK) {
		const char *s = (const char *)ln;
		const char *colon = memchr(s, ':', ll);
		if (ll == 0 || s[0] == '#' || !colon || (size_t)(colon - s) + 2 > ll || colon[1] != ' ')
			continue;
		size_t kl = (size_t)(colon - s), vl = ll - kl - 2;
		const char *v = colon + 2;
#define IS(name) (kl == sizeof name - 1 && !memcmp(s, name, kl))
		if (IS("Verified-Checkpoint") || IS("Received-Checkpoint")) {
			int w = IS("Received-Checkpoint");
			free(notes[w]);
			notes[w] = malloc(DP_NOTE_MAX + 1);
			if (!notes[w] || dp_b64_decode((uint8_t *)notes[w], DP_NOTE_MAX, &nlen[w], v, vl, 1))
				bad = 1;
			else
				notes[w][nlen[w]] = 0;
		} else if (IS("Proof")) {
			size_t hl;
			if (np >= DP_TLOG_PROOF_MAX || dp_b64_decode(proof[np], DP_TLOG_HASH, &hl, v, vl, 1) ||
			    hl != DP_TLOG_HASH)
				bad = 1;
			else
				np++;
		} else if (IS("Proof-From") || IS("Proof-Size")) {
			uint64_t u;
			if (dp_num_u64(&u, v, vl, 0, UINT64_MAX))
				bad = 1;
			else if (IS("Proof-From"))
				pfrom = u;
			else
				psize = u;
		} else if (IS("Log-Key") && vl < sizeof fkey) {
			memcpy(fkey, v, vl);
			fkey[vl] = 0;
		}
#undef IS
	}
	if (r && fkey[0] && dp_note_vkey_parse(&k, fkey, strlen(fkey)) == DP_OK) {
		r = DP_OK;
		from_file = 1;
		snprintf(src, sizeof src, "the evidence file itself: compare it with the ministry's");
	}
	cli_ckpt a, b;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	char msg[768] = "";
	enum { V_FAIL, V_INCONCLUSIVE, V_CONCLUSIVE } v = V_FAIL;
	if (r) {
		free(proof);
		free(notes[0]);
		free(notes[1]);
		return cli_fail(x, r, "pass the log's key with --log-key VKEY|FILE", "audit verify: no usable log key");
	}
	if (bad || !notes[0] || !notes[1])
		snprintf(msg, sizeof msg, "not a complete fork-evidence file");
	else if (cli_ckpt_open(&k, notes[0], nlen[0], &a) != DP_OK)
		snprintf(msg, sizeof msg, "the verified checkpoint is not signed by the log key");
	else if (cli_ckpt_open(&k, notes[1], nlen[1], &b) != DP_OK)
		snprintf(msg, sizeof msg, "the received checkpoint is not signed by the log key");
	else {
		/*
		 * Conclusive only if the two signed checkpoints cannot both be honest:
		 * two roots for one size, or the switch's own consistency proof
		 * rebuilding the larger root from another root of the smaller size.
		 * Anything else (no proof, a proof that is merely wrong, the empty
		 * tree) could be a switch that failed to prove, or replayed a
		 * checkpoint it signed honestly: an audit mirror settles it.
		 */
		const cli_ckpt *sm = a.cp.size <= b.cp.size ? &a : &b, *lg = sm == &a ? &b : &a;
		if (sm->cp.size == lg->cp.size) {
			v = memcmp(sm->cp.root, lg->cp.root, DP_TLOG_HASH) != 0 ? V_CONCLUSIVE : V_FAIL;
			snprintf(msg, sizeof msg, v ? "conclusive: the log key signed two different roots for "
						      "the tree of size %llu"
						    : "the two checkpoints are the same tree (size %llu): no fork",
				 (unsigned long long)sm->cp.size);
		} else if (sm->cp.size == 0) {
			v = V_INCONCLUSIVE;
			snprintf(msg, sizeof msg,
				 "the empty tree (size 0) and a tree of %llu entries: the log key signs the "
				 "empty tree at the log's start and it is a prefix of every tree, so this "
				 "proves no fork (a switch showing it after a larger tree lost or hides its "
				 "log: compare with an audit mirror)",
				 (unsigned long long)lg->cp.size);
		} else if (np && pfrom == sm->cp.size && psize == lg->cp.size) {
			uint8_t fr[DP_TLOG_HASH], sr[DP_TLOG_HASH];
			if (dp_tlog_verify_consistency(sm->cp.size, lg->cp.size, sm->cp.root, lg->cp.root,
						       (const uint8_t(*)[DP_TLOG_HASH])proof, np) == DP_OK)
				snprintf(msg, sizeof msg, "the proof joins the two checkpoints: they are consistent, no fork");
			else if (cli_log_cons_roots(sm->cp.size, lg->cp.size, sm->cp.root,
						    (const uint8_t(*)[DP_TLOG_HASH])proof, np, fr, sr) == DP_OK &&
				 !memcmp(sr, lg->cp.root, DP_TLOG_HASH) && memcmp(fr, sm->cp.root, DP_TLOG_HASH)) {
				v = V_CONCLUSIVE;
				snprintf(msg, sizeof msg,
					 "conclusive: the switch's own proof shows its tree of %llu entries with "
					 "another root than the one the log key signed for that size",
					 (unsigned long long)sm->cp.size);
			} else {
				v = V_INCONCLUSIVE;
				snprintf(msg, sizeof msg,
					 "the switch's proof from %llu to %llu does not verify, which proves no "
					 "fork by itself; an audit mirror of either history settles it",
					 (unsigned long long)sm->cp.size, (unsigned long long)lg->cp.size);
			}
		} else {
			v = V_INCONCLUSIVE;
			snprintf(msg, sizeof msg,
				 "no proof joins the tree of %llu entries to the tree of %llu: two honest "
				 "checkpoints of one log look the same, so this proves no fork by itself; an "
				 "audit mirror of either history settles it",
				 (unsigned long long)sm->cp.size, (unsigned long long)lg->cp.size);
		}
	}
	if (v == V_CONCLUSIVE && from_file) {
		v = V_INCONCLUSIVE;
		size_t l = strlen(msg);
		snprintf(msg + l, sizeof msg - l,
			 " -- but only under the log key the file itself names: check again with "
			 "--log-key and the log key the ministry publishes");
	}
	const char *tag = v == V_CONCLUSIVE ? "OK" : v == V_INCONCLUSIVE ? "INCONCLUSIVE" : "FAIL";
	if (x->json)
		dp_json_print(json_pack("{s:s, s:b, s:s, s:s, s:I, s:I, s:b}", "file", path, "ok",
					 v == V_CONCLUSIVE, "verdict",
					 v == V_CONCLUSIVE ? "conclusive" : v == V_INCONCLUSIVE ? "inconclusive" : "fail",
					 "message", msg, "verified_size", (json_int_t)a.cp.size, "received_size",
					 (json_int_t)b.cp.size, "key_from_file", from_file));
	else {
		printf("log key %s+%08x (from %s)\n", k.name, k.id, src);
		printf("%s %s: %s\n", tag, path, msg);
	}
	cli_ckpt_free(&a);
	cli_ckpt_free(&b);
	free(proof);
	free(notes[0]);
	free(notes[1]);
	return v == V_CONCLUSIVE ? EXIT_OK : v == V_INCONCLUSIVE ? EXIT_INCONCLUSIVE : EXIT_VERIFY;
}

/*
 * An export bag (denpo/bag.h): every check of dp_export_verify, under the log
 * key given or this device's, never the bag's own data/proofs/log-key: whoever
 * altered the bag could have signed a checkpoint of a log of their own with a
 * key of their own and put that key beside it.
 */
static int verify_export(cli_ctx *x, const char *dir, const char *keyopt)
{
	dp_note_vkey k;
	char src[PATH_MAX + 80];
	int trusted;
	int r = verify_key(x, keyopt, NULL, &k, src, sizeof src, &trusted);
	if (r)
		return cli_fail(x, r, "pass the log key the ministry publishes with --log-key VKEY|FILE "
				      "(the bag's own data/proofs/log-key proves nothing)",
				"audit verify: no usable log key");
	dp_export_check *v = calloc(DP_EXPORT_CHECKS, sizeof *v);
	if (!v)
		return cli_fail(x, DP_ENOMEM, NULL, "audit verify");
	size_t n = 0;
	r = dp_export_verify(dir, &k, v, &n);
	json_t *res = json_array();
	if (!x->json)
		printf("export bag %s, log key %s+%08x (from %s)\n", dir, k.name, k.id, src);
	for (size_t i = 0; i < n; i++) {
		if (x->json)
			json_array_append_new(res, json_pack("{s:s, s:b, s:s}", "check", v[i].what, "ok",
							     v[i].ok, "message", v[i].msg));
		else
			printf("%-4s %s: %s\n", v[i].ok ? "OK" : "FAIL", v[i].what, v[i].msg);
	}
	if (x->json)
		dp_json_print(json_pack("{s:b, s:s, s:o}", "ok", r == DP_OK, "verdict", r ? "fail" : "ok",
					"checks", res));
	else {
		json_decref(res);
		if (r)
			printf("FAILED: this bag is not an authentic export of a declassified cable; "
			       "do not publish or rely on it\n");
		else
			printf("VERIFIED: the cable as signed by its originating device, accepted by the "
			       "switch and declassified by two records officers, all in the log\n");
	}
	free(v);
	return r ? EXIT_VERIFY : EXIT_OK;
}

int audit_verify(cli_ctx *x, const char *what, const char *keyopt)
{
	struct stat st;
	if (stat(what, &st) != 0)
		return cli_fail(x, DP_ENOTFOUND, NULL, "audit verify: no such file or directory %s", what);
	char bt[PATH_MAX];
	snprintf(bt, sizeof bt, "%s/bagit.txt", what);
	if (S_ISDIR(st.st_mode) && access(bt, F_OK) == 0)
		return verify_export(x, what, keyopt);
	if (S_ISDIR(st.st_mode))
		return verify_dir(x, what, keyopt);
	dp_buf f;
	dp_buf_init(&f, PROOF_FILE_MAX);
	int r = dp_read_file(what, &f);
	if (r) {
		dp_buf_free(&f);
		return cli_fail(x, r, NULL, "audit verify: cannot read %s", what);
	}
	int ec;
	if (f.len > strlen("DENPO-FORK-EVIDENCE/1\n") && !memcmp(f.p, "DENPO-FORK-EVIDENCE/1\n", 22))
		ec = verify_evidence(x, what, &f, keyopt);
	else {
		dp_note_vkey k;
		char src[PATH_MAX + 80], msg[512];
		int trusted;
		r = verify_key(x, keyopt, NULL, &k, src, sizeof src, &trusted);
		if (r) {
			dp_buf_free(&f);
			return cli_fail(x, r, "pass the log's key with --log-key VKEY|FILE",
					"audit verify: no usable log key");
		}
		uint64_t idx;
		r = check_proof(&k, what, NULL, &idx, msg, sizeof msg);
		if (x->json)
			dp_json_print(json_pack("{s:s, s:b, s:s}", "file", what, "ok", r == DP_OK, "message", msg));
		else
			printf("%-4s %s: %s\n", r ? "FAIL" : "OK", what, msg);
		ec = r ? EXIT_VERIFY : EXIT_OK;
	}
	dp_buf_free(&f);
	return ec;
}

