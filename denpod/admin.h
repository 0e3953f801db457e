/*
 * denpod/admin.h - the operator's commands on the data directory.
 * Each returns a process exit code: 0 ok, 1 error, 2 usage.
 */
#ifndef DENPOD_ADMIN_H
#define DENPOD_ADMIN_H

#include <stdio.h>

#include <jansson.h>

#include "denpod/config.h"
#include "denpo/buf.h"
#include "denpo/json.h"
#include "denpo/logentry.h"
#include "denpod/store.h"
#include "denpod/tlog.h"

typedef struct {
	const char *verb; /* the second command word ("list" of `device list`), or NULL */
	const char *data;
	const char *url, *listen, *tz, *post, *clearance, *captions, *roles, *name, *out;
	const char *operator_, *origin, *reason, *from, *count;
	const char *expect; /* approve --expect: the request fingerprint the officer read */
	const char *lost;   /* restore --lost: log entries lost, when signer.state is gone */
	const char *signed_cp; /* restore, log rollback --signed-checkpoint: a device's note */
	const char *store;     /* init --store: a PostgreSQL URI (denpod.conf's store) */
	const char *to;        /* migrate --to: the PostgreSQL URI to move to (a secret: never shown) */
	int hq;
	int all;  /* --all */
	int json; /* --json: the list or show as JSON (docs/operations.md, "JSON output") */
	const char *pos[16]; /* positional arguments after the command words */
	int npos;
} dpa_args;

/* Shared by the admin files: a failure message (exit 1), the operator, a log text, commit/rollback. */
int dpa_fail(int r, const char *what, const char *next);
int dpa_operator_of(const dpa_args *a, char out[DP_LOG_TEXT_MAX + 1]);
int dpa_log_text_ok(const char *t);
int dpa_finish_txn(dps_store *s, int r);
/* An admin entry (operator, act, detail shortened to fit) inside the caller's transaction. */
int dpa_log_admin(dps_store *s, dpl_enc *x, const char *op, const char *act, const char *detail) DP_WUR;
/* Load DIR/denpod.conf and open the database of --data; an exit code (2: no --data). */
int dpa_open_store(const dpa_args *a, dpc_config *c, dps_store **s);
int dpa_init(const dpa_args *a);
int dpa_post_add(const dpa_args *a);
int dpa_collective_add(const dpa_args *a);
int dpa_officer_add(const dpa_args *a);
int dpa_officer_list(const dpa_args *a);
int dpa_approve(const dpa_args *a);
int dpa_device(const dpa_args *a);
/*
 * denpod/admin_answer.c: the signed enrolment answer of device (officer o,
 * issued at that time, log_key the log's verifier key, every address of
 * c's url) written to path (O_EXCL, 0644); DP_EEXISTS if path exists, or a
 * key or encoding error.  dpa_device_answer: `denpod device answer DEVICE
 * --out FILE`, a new answer for an active device (an exit code).
 */
int dpa_answer_write(const dpc_config *c, const dps_officer *o, const uint8_t device[32],
		     int64_t issued, const char *log_key, const char *path) DP_WUR;
int dpa_device_answer(const dpa_args *a);
int dpa_overdue(const dpa_args *a);
int dpa_cable_list(const dpa_args *a);
/*
 * What an act tells whoever asked: the CLI prints it (done to stdout, why
 * to stderr after "denpod: "), the console (denpod/console.c) answers it
 * as JSON.  done: what changed, a line each; why: the reason nothing
 * changed, set when the act returns an error it can explain (else empty:
 * dp_strerror of the code says it).
 */
typedef struct {
	dp_buf done;     /* text, NUL-terminated when not empty */
	char why[1024];
} dpa_said;
void dpa_said_init(dpa_said *said);
void dpa_said_free(dpa_said *said);
/* The CLI's end of an act: done to stdout, or why to stderr; frees said; exit 0 or 1. */
int dpa_said_print(int r, dpa_said *said);
/* Appends to done (a line) or why (cut to fit). */
void dpa_done(dpa_said *said, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dpa_why(dpa_said *said, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * The acts the CLI and the console share: each is one transaction with its
 * transparency-log entries, by operator op, reason may be NULL (checked
 * with dpa_log_text_ok by the caller).  After the commit, the steps it
 * changed go to the alert outputs of c.  DP_OK, or DP_ENOTFOUND,
 * DP_ESTATE, DP_EDENIED (the same operator twice), DP_EEXISTS, DP_EPARSE,
 * a store error; said->why says why where it can.
 *
 * dpa_contain_do: undo (undo=1) or confirm the steps ids[0..n), or with
 * all=1 every active automatic step (undo only).  All or none change.
 */
int dpa_contain_do(const dpc_config *c, dps_store *s, int undo, int all, const int64_t *ids,
		   size_t n, const char *op, const char *reason, dpa_said *said) DP_WUR;
/*
 * dpa_device_set: device (hex id or unique prefix) to status (DPS_SUSPENDED,
 * DPS_ACTIVE, DPS_REVOKED).  A revocation is a two-operator act: *go = 0
 * when this call recorded the request (nothing else changed), 1 when it
 * acted.
 */
int dpa_device_set(const dpc_config *c, dps_store *s, const char *device, int status,
		   const char *op, const char *reason, int *go, dpa_said *said) DP_WUR;
/* dpa_officer_set: disable (two operators, *go as above) or enable an officer. */
int dpa_officer_set(dps_store *s, const char *handle, int disable, const char *op,
		    const char *reason, int *go, dpa_said *said) DP_WUR;
/*
 * The JSON of the list commands (--json) and of the console: the
 * containment steps (open ones, or all=1 the newest 1000), the devices,
 * the recipients past their handling-time objective at now, the latest
 * checkpoint ({"origin", "size", "root", "note", "cosigners"}).  *out is a
 * new reference; DP_ENOTFOUND (no checkpoint yet), DP_EPARSE (a stored
 * checkpoint or cosignature is not one: the database is damaged), store
 * errors.
 */
int dpa_steps_json(dps_store *s, int all, json_t **out) DP_WUR;
int dpa_devices_json(dps_store *s, int64_t now, json_t **out) DP_WUR;
int dpa_overdue_json(dps_store *s, int64_t now, json_t **out) DP_WUR;
int dpa_checkpoint_json(dps_store *s, json_t **out) DP_WUR;
/* admin_contain.c (docs/detection.md): containment steps, two-operator acts, decoys. */
int dpa_contain(const dpa_args *a);    /* list, confirm, undo */
int dpa_officer_state(const dpa_args *a); /* disable (two operators), enable */
int dpa_decoy_list(const dpa_args *a);
int dpa_detect_check(const dpa_args *a);
/* admin_operator.c: `denpod operator add|passwd|remove|list` (denpod/operators.h). */
int dpa_operator(const dpa_args *a);
/* console.c: `denpod console` (denpod/console.h). */
int dpa_console(const dpa_args *a);
/* admin_config.c: `denpod config check`, both configuration files and what is in force. */
int dpa_config_check(const dpa_args *a);
/*
 * The end of a list command: r an error -> dpa_fail (exit 1); else with
 * --json (list a JSON array, consumed) prints {"KEY": list}; exit 0.
 */
int dpa_list_done(int r, const char *what, const char *key, void *list);
/*
 * Two-operator acts: the first operator's run records a request (exit 0,
 * *go = 0); a different operator's run within DPA_APPROVAL_SECONDS approves
 * it (*go = 1, *req = the request).  The same operator again: exit 1.
 * Inside the caller's transaction; logs containment entries
 * <ACT>-REQUESTED / <ACT>-APPROVED.
 */
#define DPA_APPROVAL_SECONDS 86400
int dpa_two_person(dps_store *s, dpl_enc *x, const char *act, const char *target,
		   const char *op, const char *reason, int *go, dpa_said *said);
/*
 * An operator's status change of a device and the automatic steps on it
 * (inside the caller's transaction): a suspension takes over the device's
 * open automatic suspensions (state taken-over: no lapse and no undo can
 * reinstate a device the operator suspended); a reinstatement or
 * revocation ends all its open steps, throttles too (undone).  Logged as
 * TAKE-OVER / UNDO steps; changed (may be NULL) gets their ids.
 */
#define DPA_STEPS_MAX 256
struct dpa_steps {
	int64_t id[DPA_STEPS_MAX];
	int take[DPA_STEPS_MAX]; /* 1: taken over, 0: ended */
	size_t n;
};
int dpa_steps_on_status(dps_store *s, dpl_enc *x, const uint8_t dev[32], int status,
			const char *op, struct dpa_steps *changed);
/* After the commit: the changed steps to the alert outputs (alerts file, syslog). */
void dpa_emit_steps(const dpc_config *cfg, dps_store *s, const char *op,
		    const struct dpa_steps *changed);
/* admin_log.c: verb is checkpoint, verify, show or rollback. */
int dpa_log(const dpa_args *a);
/*
 * The rollback of `denpod log rollback` and `denpod restore` (admin_log.c
 * says the rule), on the database s of c, logged by op, in one
 * transaction: if signer.state is ahead of the database's latest
 * checkpoint, a LOG-ROLLBACK entry (dp_log_rollback_format) and every MRN
 * counter moved on by the entries lost; with restore (the RESTORE entry's
 * detail; NULL: log rollback) that entry too; then signer.state is set to
 * the checkpoint.  Without signer.state, lost_given is taken as the number
 * of entries lost (restore --lost).  cp_file (NULL: none) is a signed
 * checkpoint note of this log a device saw (--signed-checkpoint): checked
 * by dpa_signed_checkpoint, it stands in for signer.state (the larger of
 * the two is taken; the same size with another root is a fork, refused).
 * old_db (restore: the replaced database moved aside; NULL: none) makes
 * the MRN rule exact: every counter is raised to at least that database's
 * (dps_mrn_merge), with no jump by the entries lost; only if it cannot be
 * read are the counters moved on by the entries lost.  A counter left
 * above 900000 is warned about, naming its post.
 * Prints what it did; an exit code.
 */
int dpa_rollback(const dpc_config *c, dps_store *s, const char *op, const char *restore,
		 uint64_t lost_given, const char *cp_file, const char *old_db);
/*
 * The signed checkpoint note in file, opened under c's log.key and origin
 * (dp_checkpoint_open) into *cp; it must be larger than restored (the
 * database's checkpoint size).  Errors are said on stderr (what: the
 * command); an exit code.
 */
int dpa_signed_checkpoint(const dpc_config *c, const char *file, uint64_t restored,
			  const char *what, dp_checkpoint *cp);
/*
 * admin_damage.c: `denpod check`, the fsck (0 clean, 1 damage found, 2
 * usage), and `denpod cable restore ID FILE` (a damaged cable's bytes
 * from a copy that hashes to its cable-accepted entry's Envelope-Hash).
 */
int dpa_check(const dpa_args *a);
/* The same check on data directory dir, its report to out: 0 no damage, 1 damage or unreadable. */
int dpa_check_dir(const char *dir, FILE *out);
/*
 * dpa_check_dir on dir, its report kept; on damage the report goes to
 * stderr after a line "denpod: WHOSE".  DP_OK, DP_ESTATE (damage), DP_ENOMEM.
 */
int dpa_check_report(const char *dir, const char *whose) DP_WUR;
/* admin_backup.c: `denpod backup DEST`, `denpod restore SRC` (denpod/admin_backup.c). */
int dpa_backup(const dpa_args *a);
int dpa_restore(const dpa_args *a);
int dpa_cable_restore(const dpa_args *a);
/*
 * admin_migrate.c: `denpod migrate --to URI`, a stopped SQLite switch moved
 * to an empty PostgreSQL database, its log checked, then denpod.conf's
 * store= set (docs/operations.md, "Moving to PostgreSQL").
 */
int dpa_migrate(const dpa_args *a);

#endif
