/*
 * denpo/cli.h - shared state of the denpo command-line client.
 *
 * State directory (--home DIR, else $DENPO_HOME, else ~/.denpo; mode 0700):
 *   keystore.age          device keys, scrypt-encrypted age file (0600)
 *   enrol-request.txt     the signed enrolment request made by `denpo init`
 *   answer.txt            the switch-signed enrolment answer (`denpo enrol`)
 *   switch                the switch's address that answered last, one line (when the
 *                         answer lists several: failover; the next command starts there)
 *   keystore.lock         flock'd while the keystore is changed (key epochs)
 *   cache/ID.cable        fetched submissions exactly as received (encrypted)
 *   cache/ID.key          the cable's age file key sealed under the storage key
 *                         (it stays readable after its epoch key is erased)
 *   cache/ID.bad          why a fetched cable can never be read here
 *   cache/ID.acked        this device acknowledged it (`denpo purge` may remove it)
 *   cache/ID.mrn          their reference numbers, checked against the log
 *                         ("MRN\nINDEX ACCEPTED SHA256\n", denpo/bind.h)
 *   origins/DEVICE-HEX    the originator check as it last passed (device, post, when;
 *                         MAC'd under the storage key): `read` offline (denpo/origin.h)
 *   drafts/ID.draft       drafts and the outbox (queued drafts), sealed under the
 *                         storage key, 0600 (denpo/drafts.h, denpo/outbox.h)
 *   drafts/ID.queued      empty: draft ID is in the outbox (a hint; the draft says)
 *   drafts/lock           flock'd while the outbox is being sent
 *   sent/ID.cable         submissions as sent (encrypted; retried byte for byte)
 *   sent/ID.json          record of a sent cable: routing metadata + MRN, no content
 *                         (its fields, and the cables the switch lost: denpo/sentrec.h)
 *   log/checkpoint        the last checkpoint of the switch's transparency log this
 *                         device verified (the signed note as received; 0600)
 *   log/fork-evidence-T.txt  two checkpoints no consistency proof joins (exit 3)
 *   log/checkpoint-before-recovery-T  the checkpoint held before `denpo log recover`
 *   log/recovered-T.txt   what `denpo log recover` accepted: both checkpoints, the
 *                         LOG-ROLLBACK entry, its index and inclusion proof
 *   log/recovery-report   a recovery the switch was not told of yet (retried by
 *                         `denpo log recover`)
 *   log/lock              flock'd while the log checkpoint is checked and replaced
 *   log/index-evidence-T.txt  an officer index answer that does not check (exit 3)
 *   devices/trusted       this officer's devices this device accepts (hex ids, 0600;
 *                         denpo/officer.h); devices/reported: the unapproved ones reported;
 *                         devices/record: the officer's last verified record
 *   audit/                an auditor's verified mirror of the log (denpo audit)
 *   directory             the directory listing as the switch last gave it, for drafting
 *                         offline (denpo/directory.c)
 *   markings              the ministry's classification markings as the switch last
 *                         gave them ({"SECRET":"極秘",...}; denpo/markings.c), so an
 *                         offline device shows them too
 *   records               the ministry's records schedule as the switch last gave it
 *                         (the directory answer's "records"; denpo/schedule.c), the
 *                         defaults of a draft's Declassify-On/-Event and Retention
 *   records-post          the archive's post this device pinned on first use (the
 *                         directory's "records_post"): record copies go only there
 *                         (denpo/send.c; `denpo directory --records-post` confirms a change)
 * No cable plaintext is ever written here.
 *
 * Exit codes: 0 ok, 1 error, 2 usage, 3 verification failure.
 */
#ifndef DENPO_CLI_H
#define DENPO_CLI_H

#include <limits.h>
#include <signal.h>
#include <stdio.h>

#include <jansson.h>

#include "denpo/client.h"
#include "denpo/enrol.h"
#include "denpo/envelope.h"
#include "denpo/json.h"
#include "denpo/keystore.h"
#include "denpo/tlog.h"

#define EXIT_OK 0
#define EXIT_ERR 1
#define EXIT_USAGE 2
#define EXIT_VERIFY 3

#define CLI_PASS_MAX 1024
/*
 * A switch with several addresses: how long a request keeps going round
 * them when none answers (long enough for an instance to be restarted or
 * a standby promoted); $DENPO_FAILOVER_WAIT (seconds, 0..300) sets it.
 */
#define CLI_FAILOVER_MS 15000
#define CLI_FAILOVER_WAIT_MAX 300
long cli_failover_ms(void);

typedef struct {
	char home[PATH_MAX];
	const char *home_opt;   /* --home */
	const char *passfile;   /* --passphrase-file */
	int json;               /* --json */
	dp_keystore *ks;        /* loaded on demand */
	char *pass;             /* its passphrase, kept (sodium_malloc) to save key epochs */
	size_t passlen;
	uint8_t ks_hash[32];    /* SHA-256 of keystore.age as this process last read/wrote it */
	int ks_dirty;           /* x->ks has changes not yet saved */
	int no_maint;           /* do not run key maintenance in cli_open_client */
	int maint_done;
	/*
	 * Publish every unexpired epoch key again at the next key upkeep: set
	 * when this device holds no verified log checkpoint (its first contact,
	 * or its view of the switch reset after a fork).  A switch restored from
	 * a backup lacks the keys published after the backup, so cables sealed
	 * to them are refused until they are back; one it has is answered as a
	 * repeat.
	 */
	int republish_keys;
	dp_enrol_answer ans;
	int have_ans;
	char switch_last[DP_URL_MAX + 1]; /* HOME/switch as read or last written */
	int switch_read;
	dp_client *cl;
	int net_init;           /* dp_client_global_init done (by cli_open_client: not before it is needed) */
	dp_markings marks;      /* cli_markings: as last read or fetched ... */
	int64_t marks_at;       /* ... at this time (0: not yet) */
	dp_records_sched records; /* cli_records: as last read or fetched ... */
	int64_t records_at;       /* ... at this time (0: not yet) */
	/*
	 * The last failure cli_fail reported (what, reason, the switch's
	 * message, hint; error name as dp_errname).  With quiet set (denpo ui)
	 * cli_fail only records it: the caller hands it to the page.
	 */
	int quiet;
	/*
	 * Offline (docs/operations.md, "A post cut off from the switch").  A
	 * command that can go on without the switch (read, inbox, send, reply,
	 * outbox) sets offline_ok before cli_open_client: when its witness step
	 * cannot reach the switch (DP_ENET, after the failover wait), it says
	 * so, skips the key upkeep and returns EXIT_OK with offline set; the
	 * command then uses what the device kept (denpo/origin.h, the kept
	 * binding of denpo/bind.h) or queues (denpo/outbox.h).  Without
	 * offline_ok, offline is set but the command behaves as before.
	 */
	int offline_ok;
	int offline;
	/* this officer's devices as the last upkeep verified them (denpo/officer.h; NULL: not yet) */
	struct officer_view *ov;
	struct {
		int rc;
		char what[1024];
		char message[1024];
		char hint[512];
	} err;
} cli_ctx;

/* Common options every command accepts (getopt_long ids >= 1000). */
enum { OPT_HOME = 1000, OPT_JSON, OPT_PASSFILE, OPT_HELP };
#define CLI_COMMON_OPTS                                                      \
	{"home", required_argument, NULL, OPT_HOME},                         \
	{"json", no_argument, NULL, OPT_JSON},                               \
	{"passphrase-file", required_argument, NULL, OPT_PASSFILE},          \
	{"help", no_argument, NULL, OPT_HELP}

/* Handle a common option; returns 1 if it was one. */
int cli_common_opt(cli_ctx *x, int id, const char *arg);
/* Print usage error + hint; returns EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Report a failure: "denpo: WHAT: reason" (+ the switch's message, + hint)
 * on stderr, and {"error","message"} on stdout with --json.  Returns the
 * exit code for rc (3 for verification failures, else 1).
 */
int cli_fail(cli_ctx *x, int rc, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/*
 * The same without the code's phrase: for a WHAT that says itself what was
 * wrong ("the switch sent no key entry"), where rc (DP_ESIG: exit 3) only
 * classes the failure and its phrase would name another cause.
 */
int cli_fail_why(cli_ctx *x, int rc, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Exit code for an error code. */
int cli_exit_code(int rc);
/*
 * For rc DP_ENOSPC from this device's own disk (not the switch's 507): the
 * line to tell the officer, naming the state directory ("... free space and
 * retry; nothing was lost"); else NULL.  cli_fail uses it as the hint.
 */
const char *cli_disk_full(cli_ctx *x, int rc);
/* For warnings: that line for this device's full disk, else dp_strerror(rc). */
const char *cli_strerror(cli_ctx *x, int rc);

/* Resolve and create (mode 0700) the state directory. */
int cli_home(cli_ctx *x, int create) __attribute__((warn_unused_result));
/*
 * 1 if r (from a request of x->cl) means the switch cannot be reached:
 * DP_ENET, but not a pin mismatch (another TLS key answered: possible
 * interception, reported as the failure it is, never taken for "offline").
 */
int cli_unreachable(const cli_ctx *x, int r);
/* Overwrite the file at path with zeros (fsync'd), then remove it.  DP_OK, DP_ENOTFOUND, DP_EIO. */
int cli_shred(const char *path);
/* HOME/name into out. */
void cli_path(const cli_ctx *x, char out[PATH_MAX], const char *name);

/*
 * Passphrase: --passphrase-file (first line), else $DENPO_PASSPHRASE, else
 * prompt on /dev/tty without echo (twice when confirm).  *pass is
 * sodium_malloc'd; release with cli_pass_free.
 */
int cli_passphrase(cli_ctx *x, int confirm, char **pass, size_t *len)
	__attribute__((warn_unused_result));
void cli_pass_free(char *pass);
/*
 * Every NEW keystore passphrase (denpo init, and any command that sets one)
 * must pass this (denpo/passcheck.c): libpwquality with the machine's
 * pwquality.conf, at least CLI_PASS_MIN_LEN characters, not containing user
 * (the officer's handle; may be NULL), not like old (the passphrase it
 * replaces; may be NULL).  DP_OK; DP_EDENIED with the
 * library's reason in why (it never quotes the passphrase); DP_EPARSE if
 * pwquality.conf is malformed; DP_ENOMEM.
 */
#define CLI_PASS_MIN_LEN 12
int cli_pass_check(const char *pass, const char *old, const char *user, char *why, size_t whycap) DP_WUR;
/*
 * A new passphrase, checked by cli_pass_check (refusals reported).  With old
 * NULL (a new keystore): as cli_passphrase(x, 1).  With old (a change, the
 * current passphrase, which the new one must not resemble): from file's
 * first line, else the terminal twice (never $DENPO_PASSPHRASE, which holds
 * the current one).  Returns an exit code; on EXIT_OK *pass is the new one.
 */
int cli_passphrase_new(cli_ctx *x, const char *file, const char *old, const char *user, char **pass,
		       size_t *len) DP_WUR;

/*
 * The switch's addresses (denpo/switches.h; docs/several-switches.md §3).
 * cli_switch_last: the one the next request goes to first -- HOME/switch
 * if it names an address of the answer's list, else the primary (needs
 * the answer loaded; "" without it).  cli_switch_remember writes HOME/switch
 * (called by the client library when another address answered; a failure
 * to write is a warning: the list is still tried in order).
 */
const char *cli_switch_last(cli_ctx *x);
void cli_switch_remember(void *x, const char *url);
/* The list as a JSON array of strings. */
json_t *cli_switches_json(const dp_switch_list *l);

/* Load keystore.age (asks for the passphrase); returns an exit code. */
int cli_load_keys(cli_ctx *x);
/* Load and verify answer.txt; returns an exit code. */
/* (cli_load_keys keeps the passphrase in x->pass until cli_close: key epochs re-save the keystore) */
int cli_load_answer(cli_ctx *x);
/*
 * Keys + answer + a connected-ready client; returns an exit code.  The
 * first call witnesses the log (cli_log_upkeep: a fork is exit 3), then,
 * unless no_maint, runs the key maintenance (cli_keys_maintain with the
 * default lookahead); its failures are warnings, not errors.
 */
int cli_open_client(cli_ctx *x);
/*
 * A long-lived process's session (denpo/session.c: `inbox --watch`, `ui`,
 * `outbox send`): no core dumps; SIGINT, SIGTERM and SIGHUP set the stop
 * flag (cli_stopping) instead of killing the process, so it returns
 * through main and cli_close wipes the keys; then cli_open_client.  The
 * client abandons a request under way when the flag is set
 * (dp_client_set_stop); loops check cli_stopping and return; a failure
 * after the flag is set is recorded, not printed.  Returns an exit code.
 */
int cli_session_open(cli_ctx *x);
int cli_stopping(void);
/* Readable once the stop flag is set (a byte per signal): an event loop's wake-up (denpo ui); -1 before the session. */
int cli_stop_fd(void);
/* The flag itself, for dp_client_set_stop (cli_open_client hands it to every client). */
const volatile sig_atomic_t *cli_stop_flag(void);
/*
 * A long-lived process (denpo ui) whose switch was away (x->offline): try
 * it again -- witness the log (cli_log_upkeep: a fork is exit 3), which
 * sets or clears x->offline, and run the key upkeep skipped meanwhile if
 * it is back.  Opens the client if it is not open.  Returns an exit code.
 */
int cli_reconnect(cli_ctx *x);
/*
 * 1 (after a pause: 0.1 s, 0.2 s, 0.4 s) if request result r was a 503 and
 * fewer than CLI_BUSY_TRIES retries were made (*tries counts them): the
 * switch is between a new checkpoint and the officer index that goes with
 * it (denpod/api_offidx.c), which lasts moments.  0 otherwise.
 */
#define CLI_BUSY_TRIES 3
int cli_busy_retry(cli_ctx *x, int r, int *tries);
/* Free whatever the context holds. */
void cli_close(cli_ctx *x);

/*
 * Turn "MRN" ("26 HQ 000012") or a 32-hex cable id into a cable id, using
 * the local cache and sent records, then the switch's inbox and sent list.
 * An MRN found so is a lead, not a proof: the command checks it
 * (denpo/bind.h, bind_claim.asked).
 */
int cli_ref_to_id(cli_ctx *x, const char *ref, char id[DP_HEXID]);
/* The MRN a reference spells (normalised: upper case, single spaces); DP_EINVAL if none ("" in mrn). */
int cli_ref_mrn(const char *ref, char mrn[DP_MRN_MAX + 1]);

/*
 * After option parsing: exactly one MRN|ID argument at argv[optind];
 * opens the client and resolves it; asked gets the MRN given ("" for an
 * id).  Returns an exit code.
 */
int cli_one_ref(cli_ctx *x, const char *cmd, int argc, char **argv, char id[DP_HEXID],
		char asked[DP_MRN_MAX + 1]);

/* HOME/cache/ID.ext (ext: cable, mrn, key, bad, acked). */
void cli_cache_path(const cli_ctx *x, const char *id, const char *ext, char out[PATH_MAX]);
/*
 * Local cache of received submissions (encrypted as received).  Their
 * checked MRNs are kept beside them by denpo/bind.c (cache/ID.mrn).
 */
int cli_cache_get(cli_ctx *x, const char *id, dp_buf *sub);
int cli_cache_put(cli_ctx *x, const char *id, const uint8_t *sub, size_t n);
/* The ids of the cables held in cache/ (malloc'd strings in a malloc'd array; none: n = 0).  DP codes. */
int cli_cache_ids(cli_ctx *x, char ***ids, size_t *n);

/* ---- key epochs (denpo/keys.c) ---- */
typedef struct {
	size_t generated, published, erased, wrapped;
} cli_maint;
/*
 * Under the keystore lock: generate epoch keys until the newest is valid
 * lookahead seconds from now (rotate: first start a new epoch now), save,
 * publish what the switch lacks, then erase the secrets of epochs the
 * switch has closed once every cable queued for them is re-wrapped
 * (cache/ID.key).  DP codes; m says what was done even on failure.
 */
int cli_keys_maintain(cli_ctx *x, int64_t lookahead, int rotate, cli_maint *m);
/*
 * Under the keystore lock: save the keystore (as on disk now) under the new
 * passphrase pass (sodium_malloc'd; this takes it: it becomes x->pass, or is
 * freed on failure, when the file and x->pass stay as they were).  Keys
 * must be loaded (cli_load_keys).  DP codes.
 */
int cli_keys_repass(cli_ctx *x, char *pass, size_t len) DP_WUR;
/*
 * After the switch's database was restored (`denpo log recover`): the keys
 * this device published after the backup are gone from the switch, so
 * every unexpired key is marked unpublished (under the keystore lock) and
 * cli_keys_maintain publishes them again (the switch answers a key it
 * still has as a duplicate).  DP codes; m as cli_keys_maintain's.
 */
int cli_keys_republish(cli_ctx *x, cli_maint *m) DP_WUR;
/* cli_keys_maintain with the default lookahead; failures become warnings on stderr. */
void cli_keys_upkeep(cli_ctx *x);
/* Record the hash of keystore.age as just loaded (keys.c compares it under the lock). */
int cli_keystore_loaded(cli_ctx *x);
/*
 * Make sure cable id stays readable here whatever happens to its epoch key:
 * fetched (cache/ID.cable) and its file key sealed (cache/ID.key).  A cable
 * no key of this device opens (judged on the switch's copy) is marked
 * cache/ID.bad and counts as kept; any other failure is returned.
 * *wrapped = 1 if a key file was written now.
 */
int cli_keep_cable(cli_ctx *x, const char *id, int *wrapped);
/* Keep the cable (cli_keep_cable), then acknowledge it and mark it cache/ID.acked. */
int cli_ack(cli_ctx *x, const char *id, int64_t *at);
/* flock HOME/keystore.lock (shared or exclusive); -1 on failure. */
int cli_lock_keystore(cli_ctx *x, int exclusive);
void cli_unlock_keystore(int fd);
/* flock HOME/name (created 0600), exclusive or shared; the fd, or -1.  Release with cli_unlock_keystore. */
int cli_flock(cli_ctx *x, const char *name, int exclusive);
/* The local file key of a cached cable: seal (ID.key) / open.  DP_ENOTFOUND if none. */
int cli_fk_put(cli_ctx *x, const char *id, const uint8_t *sub, size_t n, const uint8_t fk[DP_AGE_FILE_KEY]);
int cli_fk_get(cli_ctx *x, const char *id, const uint8_t *sub, size_t n, uint8_t fk[DP_AGE_FILE_KEY]);

/* How cli_open_cable checked a cable. */
typedef struct {
	int offline;             /* the switch could not be reached: the originator check is the one
				    this device kept (denpo/origin.h) */
	int64_t origin_checked;  /* offline: when that check was made */
	uint64_t index;          /* the cable's cable-accepted entry (its kept binding) */
	uint64_t log_size;       /* the checkpoint this device verified, which includes it */
} cli_checked;
/* "offline: verified with what this device kept: ..." (one line, no newline). */
void cli_checked_str(const cli_checked *how, char *out, size_t cap);

/*
 * Get cable id (local cache, else fetch and cache it), open and verify it
 * (denpo/seal.c), check the originating device in the directory, and its
 * MRN and acceptance time against its log entry (denpo/bind.h; asked: the
 * MRN the officer gave, or "").  e and c must be initialised; the caller
 * frees them.  mrn and *accepted get the logged ones.  Returns an exit
 * code (failures reported; nothing is cached on a failure; with x->quiet
 * nothing is printed: the failure is in x->err).  Offline (the switch unreachable, or
 * x->offline): a cable held here (cache/ID.cable and its kept binding) is
 * checked with the originator check kept when it last passed; one not
 * held, or with nothing kept, is an error (exit 1) saying so; a kept
 * record that does not verify is exit 3.  Offline never skips a check:
 * it uses the kept result of one made before.
 */
int cli_open_cable(cli_ctx *x, const char *id, const char *asked, dp_envelope *e, dp_cable *c,
		   char mrn[DP_MRN_MAX + 1], int64_t *accepted);
/* The same, saying in how (may be NULL) how it was checked (offline: with what was kept). */
int cli_open_cable_how(cli_ctx *x, const char *id, const char *asked, dp_envelope *e, dp_cable *c,
		       char mrn[DP_MRN_MAX + 1], int64_t *accepted, cli_checked *how);

/* ---- the transparency log: this device as a witness (denpo/witness.c) ---- */

/* A fork: two checkpoints no consistency proof joins (not a DP code; exit 3). */
#define CLI_EFORK (-1000)
/* cli_log_sync: the switch refused 3 times in a row to prove a newer checkpoint (HOME/log/unproven-*.txt) */
#define CLI_EUNPROVEN (-1001)

/* A checkpoint verified under the log key. */
typedef struct {
	char *note;             /* the signed note as received (malloc'd, NUL-terminated) */
	size_t len, text_len;   /* note bytes; its text (the checkpoint) */
	dp_checkpoint cp;
} cli_ckpt;
/*
 * Open a signed note with the log key k: k must sign it (other lines, the
 * cosignatures, are ignored) and its origin must be k's name.  DP_ESIG,
 * DP_EPARSE.  out is always initialised (cli_ckpt_free is safe).
 */
int cli_ckpt_open(const dp_note_vkey *k, const char *note, size_t len, cli_ckpt *out)
	__attribute__((warn_unused_result));
/* cli_ckpt_open on a file; DP_ENOTFOUND if there is none. */
int cli_ckpt_load(const dp_note_vkey *k, const char *path, cli_ckpt *out)
	__attribute__((warn_unused_result));
/*
 * One offline proof (c2sp.org/tlog-proof@v1 text, untrusted: a breach
 * report's or an export bag's): it parses, carries its entry ("extra"), its
 * checkpoint is signed by k (and is want's checkpoint text when want is
 * given), and the entry is leaf p->index of that tree.  DP_OK with p filled
 * (the entry in p->extra_buf) and *size the checkpoint's tree size, else
 * the reason in msg.  The one check behind `denpo audit verify` of both.
 */
int cli_proof_check(const dp_note_vkey *k, const char *text, size_t len, const cli_ckpt *want,
		    dp_tlog_proof *p, uint64_t *size, char *msg, size_t cap)
	__attribute__((warn_unused_result));
/* Atomically, 0600. */
int cli_ckpt_save(const cli_ckpt *c, const char *path) __attribute__((warn_unused_result));
/* A device's cosignature on a checkpoint, verified: the device and the time it states. */
typedef struct {
	uint8_t id[32];
	uint64_t ts;
} cli_cosig;
/*
 * The device cosignatures on c that verify: lines named denpo-device/<64
 * lower-case hex>, cosignature/v1 under the key that name gives (the device
 * id); each device once.  The first max go to out (NULL: count only);
 * returns how many there are.  (A name alone, or a line the switch made
 * up, counts for nothing.)
 */
size_t cli_ckpt_cosigs(const cli_ckpt *c, cli_cosig *out, size_t max);
void cli_ckpt_free(cli_ckpt *c);
/* The Log-Key of the enrolment answer (loaded): an Ed25519 note verifier key. */
int cli_log_key(cli_ctx *x, dp_note_vkey *k) __attribute__((warn_unused_result));
/* "denpo-device/<64 hex device id>": this device's cosigner name. */
void cli_log_cosigner(const cli_ctx *x, char name[DP_NOTE_NAME_MAX + 1]);
/*
 * The accept rules shared by devices and audit mirrors, between the last
 * verified checkpoint old (NULL or size 0: none) and a new verified one:
 * larger -> proof (old size to new size) must verify; equal -> same root.
 * DP_OK; CLI_EFORK with why said; DP_ESTATE if nw is smaller (the caller
 * decides: it needs a proof the other way).
 */
int cli_log_judge(const cli_ckpt *old, const cli_ckpt *nw, const uint8_t (*proof)[DP_TLOG_HASH],
		  size_t n, char *why, size_t whycap) __attribute__((warn_unused_result));
/*
 * RFC 9162 §2.1.4.2 run forward: the two roots a consistency proof from
 * size1 to size2 (0 < size1 < size2) implies (root1 is used only when size1
 * is a power of two).  DP_ESIG if the proof has the wrong shape.  A proof
 * whose new root is the signed one but whose old root is not is conclusive
 * evidence of a fork.
 */
int cli_log_cons_roots(uint64_t size1, uint64_t size2, const uint8_t root1[DP_TLOG_HASH],
		       const uint8_t (*proof)[DP_TLOG_HASH], size_t n, uint8_t fr[DP_TLOG_HASH],
		       uint8_t sr[DP_TLOG_HASH]) __attribute__((warn_unused_result));
/*
 * Write DIR/fork-evidence-<unix>.txt (0600, never overwriting): a human
 * header, both signed notes and the proof (from -> size), base64.  path
 * gets its name.
 */
int cli_log_evidence(cli_ctx *x, const char *dir, const cli_ckpt *verified, const cli_ckpt *received,
		     uint64_t from, uint64_t size, const uint8_t (*proof)[DP_TLOG_HASH], size_t n,
		     const char *why, char path[PATH_MAX]) __attribute__((warn_unused_result));
/*
 * Verify a checkpoint note the switch sent (with its consistency proof from
 * the stored size) against HOME/log/checkpoint and, if it is newer, store
 * it and cosign it (the line is POSTed; a switch without the endpoint is
 * fine).  `from` is the size the proof starts at (the stored size when it
 * was asked for; if another process stored another one since, the proof
 * from the stored size is fetched).  Under HOME/log/lock.  DP_OK, CLI_EFORK (evidence gets the file
 * written), or an error the caller reports as a warning.
 */
int cli_log_accept(cli_ctx *x, const char *note, size_t len, uint64_t from,
		   const uint8_t (*proof)[DP_TLOG_HASH], size_t n, char evidence[PATH_MAX])
	__attribute__((warn_unused_result));
/* GET the newest checkpoint and its consistency proof, then cli_log_accept. */
int cli_log_sync(cli_ctx *x, char evidence[PATH_MAX]) __attribute__((warn_unused_result));
/* Size of HOME/log/checkpoint (0 if none or unreadable): the resolve's log_size. */
uint64_t cli_log_size(cli_ctx *x);
/* Report a fork (message naming the evidence file; JSON with --json); returns EXIT_VERIFY. */
int cli_log_fork_fail(cli_ctx *x, const char *evidence);
/* cli_log_sync for the upkeep: a fork is reported (EXIT_VERIFY), anything else is a warning (EXIT_OK). */
int cli_log_upkeep(cli_ctx *x);
/*
 * The device's upkeep (every command that connects, `inbox --watch` once a
 * minute, the UI): cli_log_upkeep, then, with the switch reached, this
 * officer's devices checked in the officer index (officer_upkeep,
 * denpo/officer.h).  Returns an exit code as they do.
 */
int cli_upkeep(cli_ctx *x);
/*
 * After a restore (`denpo log recover`, denpo/recover.c): under
 * HOME/log/lock, if HOME/log/checkpoint is still held (else DP_ESTATE:
 * another process stored one meanwhile), keep it as
 * HOME/log/checkpoint-before-recovery-<unix> (kept), write record as
 * HOME/log/recovered-<unix>.txt (recorded; both 0600, never overwriting),
 * then store and cosign nw as an accepted checkpoint (its cosignature never
 * dated before held's).  Nothing is replaced unless both files were written.
 */
int cli_log_reset(cli_ctx *x, const cli_ckpt *held, const cli_ckpt *nw, const dp_buf *record,
		  char kept[PATH_MAX], char recorded[PATH_MAX]) DP_WUR;
/*
 * A record of a rollback this device judged, appended to out: magic, the
 * comment (lines starting "# "), who saw it where and when (as fork
 * evidence), the checkpoint it held and the one it received (base64 of the
 * signed notes), the LOG-ROLLBACK entry (index, base64 bytes) and its
 * inclusion proof in the received one (Proof-Size, Proof lines).
 */
int cli_log_record(cli_ctx *x, const char *magic, const char *comment, const cli_ckpt *held,
		   const cli_ckpt *nw, uint64_t index, const uint8_t *entry, size_t len,
		   const uint8_t (*proof)[DP_TLOG_HASH], size_t n, dp_buf *out) DP_WUR;
/* "KEY: <base64 of p>\n" appended to b (the evidence files' field). */
int cli_put_b64(dp_buf *b, const char *key, const uint8_t *p, size_t n) DP_WUR;
/* b as HOME/log/<prefix>-<unix>.txt (0600, never overwriting); path gets its name. */
int cli_log_keep(cli_ctx *x, const char *prefix, const dp_buf *b, char path[PATH_MAX]) DP_WUR;

/* ---- denpo audit: the verified mirror of the log (denpo/audit_mirror.c) ---- */

/* Called for every entry of the mirror, in index order; an error stops the pass. */
typedef int (*audit_entry_cb)(void *ctx, uint64_t index, const uint8_t *e, size_t len);
typedef struct {
	cli_ckpt ck;                     /* the mirror's checkpoint, verified */
	uint8_t (*leaf)[DP_TLOG_HASH];   /* ck.cp.size leaf hashes (if asked for) */
	uint8_t *nodes;                  /* every complete node, built for proofs */
	uint64_t level_off[65];
	unsigned nlevels;
} audit_mirror;
typedef struct {
	uint64_t old_size, size;         /* the mirror before and after */
	uint8_t root[DP_TLOG_HASH];
	size_t fetched;                  /* bundles downloaded */
	size_t cosigs;                   /* device cosignatures on the checkpoint */
	int up_to_date;                  /* the switch had nothing newer */
} audit_sync_result;
/*
 * Bring HOME/audit up to the switch's newest checkpoint (x->cl open): the
 * checkpoint under the log key, consistent with the mirror's (else
 * CLI_EFORK, evidence in HOME/audit), every bundle hashed to its root.
 * full: fetch every bundle again.  why says what failed.
 */
int audit_sync(cli_ctx *x, int full, audit_sync_result *res, char evidence[PATH_MAX], char *why,
	       size_t whycap) __attribute__((warn_unused_result));
/*
 * The same up to the newest checkpoint with at least min_cosigners verified
 * device cosignatures (GET /v1/log/witnessed); *witnessed = 0 if there was
 * none and the latest, unwitnessed checkpoint was mirrored instead.
 */
int audit_sync_min(cli_ctx *x, int full, unsigned min_cosigners, audit_sync_result *res, int *witnessed,
		   char evidence[PATH_MAX], char *why, size_t whycap) __attribute__((warn_unused_result));
/*
 * Open the mirror offline: its checkpoint under the log key, every entry
 * re-hashed to its root (DP_ESIG if not), cb called for each entry (its
 * results are only to be used if this returns DP_OK).  keep_leaves for
 * audit_mirror_prove.  DP_ENOTFOUND: no mirror yet.
 */
int audit_mirror_open(cli_ctx *x, audit_mirror *m, int keep_leaves, audit_entry_cb cb, void *ctx,
		      char *why, size_t whycap) __attribute__((warn_unused_result));
/* Inclusion proof of entry index in the mirror's tree (opened with keep_leaves). */
int audit_mirror_prove(audit_mirror *m, uint64_t index, uint8_t proof[DP_TLOG_PROOF_MAX][DP_TLOG_HASH],
		       size_t *n) __attribute__((warn_unused_result));
void audit_mirror_free(audit_mirror *m);
/* Device cosignature lines (denpo-device/...) on a checkpoint note. */
size_t audit_count_cosigs(const cli_ckpt *c);
/* The same, counting only the devices in ids[0..nids) (ids NULL: any device): the
 * devices enrolled by device-enrolled entries of the mirrored log. */
size_t audit_count_cosigs_of(const cli_ckpt *c, const uint8_t (*ids)[32], size_t nids);
/*
 * The officer index of the mirror's checkpoint recomputed from the mirror's
 * entries (denpo/audit_index.c).  DP_OK: the signed root is the one the
 * entries give.  DP_ENOTFOUND: the checkpoint has no officer-index line
 * (why says so; a warning).  DP_ESIG: the root differs or the line is
 * malformed (why says which: report it).  Else the mirror could not be read.
 * *size: the mirror's size.
 */
int audit_index_check(cli_ctx *x, uint64_t *size, char *why, size_t whycap)
	__attribute__((warn_unused_result));
/* `denpo audit verify DIR|FILE` (denpo/audit_verify.c); returns an exit code. */
int audit_verify(cli_ctx *x, const char *what, const char *keyopt);
/* "2026-02-24 10:23:00Z" */
void audit_fmt_time(int64_t t, char out[32]);

/* "45s", "12m", "3h", "2d" since t. */
void cli_age_str(int64_t t, char out[32]);

/* Commands (return exit codes). */
/* ---- the ministry's classification markings (denpo/markings.c) ---- */
#define CLI_MARKINGS_TTL 3600 /* seconds before HOME/markings is asked for again */
/*
 * The markings this device shows on banners: HOME/markings, asked for
 * again from the switch (GET /v1/health) first when the cache is absent or
 * older than CLI_MARKINGS_TTL and x->cl has reached the switch (its last
 * request was answered: an offline device does not wait for a timeout).
 * A cache that is absent or malformed, or a switch that fails, leaves the
 * levels alone or the cache as it was (a malformed one: a warning).  Never
 * NULL, never fails: a banner always has its level.
 */
const dp_markings *cli_markings(cli_ctx *x);
/* Replace HOME/markings with m (0600, atomically) and use it from now on; DP codes. */
int cli_markings_save(cli_ctx *x, const dp_markings *m) DP_WUR;
/*
 * The table for the UI: {"UNCLASSIFIED": "", ..., "SECRET": "極秘", "TOP SECRET": ""},
 * every level, its marking or "" (cli_markings; denpo/directory.c).  NULL when out of memory.
 */
json_t *cli_markings_json(cli_ctx *x);
/*
 * The banner line of cable c exactly as `denpo read` prints it
 * (dp_cable_banner with cli_markings), NUL-terminated, into out (cap
 * bytes; CLI_BANNER_MAX always fits).  DP_EINVAL for a classification out
 * of range, DP_ETOOBIG if it does not fit.
 */
#define CLI_BANNER_MAX (DP_MARKING_MAX + 16 + DP_MAX_CAPTIONS * (DP_NAME_MAX + 2) + 1)
int cli_banner(cli_ctx *x, const dp_cable *c, char *out, size_t cap) DP_WUR;

/* ---- the ministry's records schedule (denpo/schedule.c) ---- */
/*
 * The schedule this device's drafts get their defaults from: HOME/records,
 * asked for again from the switch (GET /v1/directory "records") first when
 * the cache is absent or older than CLI_MARKINGS_TTL and x->cl has reached
 * the switch, as cli_markings.  An absent or malformed cache (a warning),
 * or a switch that fails, leaves the built-in schedule or the cache as it
 * was.  Never NULL, never fails.
 */
const dp_records_sched *cli_records(cli_ctx *x);
/* Replace HOME/records with s (0600, atomically) and use it from now on; DP codes. */
int cli_records_save(cli_ctx *x, const dp_records_sched *s) DP_WUR;
/*
 * DP_OK if retention is "" or a class of cli_records; else DP_EINVAL with
 * why naming the classes the schedule defines.
 */
int cli_retention_check(cli_ctx *x, const char *retention, char *why, size_t cap) DP_WUR;

/* ---- the directory (denpo/directory.c) ---- */
/*
 * The directory a drafter chooses from: from the switch when x->cl reaches
 * it (then kept in HOME/directory, its markings in HOME/markings and its
 * records schedule in HOME/records:
 * *kept_at = 0); when the switch is out of reach (DP_ENET), the copy kept
 * last time (*kept_at: when it was kept).  DP_OK with d filled (free it
 * with dp_directory_free); the switch's refusal as is; DP_ENET when it is
 * out of reach and nothing is kept.
 */
int cli_directory_get(cli_ctx *x, dp_directory *d, int64_t *kept_at) DP_WUR;
/*
 * The records post this device pinned (HOME/records-post, 0600: the
 * archive's post, learnt from the switch's directory on first use):
 * cli_records_post_pinned reads it into out (DP_ENOTFOUND: none pinned;
 * DP_EPARSE: damaged), cli_records_post_pin writes it (a name).  `denpo
 * send` gives record copies only to devices logged at the pinned post
 * (seal_record_posts); `denpo directory --records-post POST` confirms a
 * change the switch announces.
 */
int cli_records_post_pinned(cli_ctx *x, char out[DP_NAME_MAX + 1]) DP_WUR;
int cli_records_post_pin(cli_ctx *x, const char *post) DP_WUR;
/*
 * HOME/directory alone (no request) into d, *kept_at its time: DP_OK,
 * DP_ENOTFOUND if none is kept, DP_EPROTO if it is damaged (a warning).
 */
int cli_directory_kept(cli_ctx *x, dp_directory *d, int64_t *kept_at) DP_WUR;
/*
 * d as `denpo directory --json` prints it and the UI shows it:
 * {"posts":[{"name","hq"}], "collectives":[{"name","posts"}],
 *  "officers":[{"handle","post","name","roles"}], "markings": cli_markings_json,
 *  "records": the records schedule (dp_records_sched_json),
 *  "records_post": the archive's post, when the switch has one}.
 * NULL when out of memory.
 */
json_t *cli_directory_json(cli_ctx *x, const dp_directory *d);

int cmd_directory(cli_ctx *x, int argc, char **argv);
int cmd_init(cli_ctx *x, int argc, char **argv);
int cmd_enrol(cli_ctx *x, int argc, char **argv);
int cmd_whoami(cli_ctx *x, int argc, char **argv);
int cmd_send(cli_ctx *x, int argc, char **argv);
int cmd_reply(cli_ctx *x, int argc, char **argv);
int cmd_retry(cli_ctx *x, int argc, char **argv);
int cmd_outbox(cli_ctx *x, int argc, char **argv);
int cmd_draft(cli_ctx *x, int argc, char **argv);
int cmd_inbox(cli_ctx *x, int argc, char **argv);
int cmd_archive(cli_ctx *x, int argc, char **argv);
int cmd_read(cli_ctx *x, int argc, char **argv);
int cmd_ack(cli_ctx *x, int argc, char **argv);
int cmd_status(cli_ctx *x, int argc, char **argv);
int cmd_sent(cli_ctx *x, int argc, char **argv);
int cmd_key(cli_ctx *x, int argc, char **argv);
int cmd_purge(cli_ctx *x, int argc, char **argv);
int cmd_audit(cli_ctx *x, int argc, char **argv);
int cmd_log(cli_ctx *x, int argc, char **argv);
int cmd_ui(cli_ctx *x, int argc, char **argv);
int cmd_device(cli_ctx *x, int argc, char **argv);

#endif
