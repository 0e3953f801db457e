/*
 * denpo/devindex.h - the officer index: for each officer, every device and
 * key ever enrolled in their name, committed in each checkpoint of the
 * transparency log (docs/transparency.md §6, docs/formats.md §7a).
 *
 * The log proves that an entry is there; it cannot prove that nothing is
 * left out of what the switch chooses to show.  A switch (or an insider
 * operator) that enrols a rogue device for an officer with a proper log
 * entry would be seen only by an auditor who looks.  The officer index
 * closes that: a verifiable map from officer handle to a record listing
 * every device of that officer, whose root the log key signs as an
 * extension line of every checkpoint (and every device's cosignature
 * covers).  A proof for officer O shows both that the record is in the map
 * and that it is O's only record, so a device checks its own officer's full
 * set of devices, and a sender checks that it encrypts only to devices the
 * officer's set lists.
 *
 * The index is a function of the log: the record of an officer is what
 * dp_devrec_apply makes of the log's entries naming that officer's devices,
 * in log order.  The switch's signer and the auditors (denpo audit sync)
 * run the same function, so an auditor recomputes the root the switch
 * signed from the entries alone.
 *
 * THE RECORD (text, printable ASCII, canonical: one encoding, checked by
 * re-encoding as log entries are):
 *
 *   DENPO-OFFICER-DEVICES/1
 *   Officer: <handle>
 *   Device: <hex64 id> <enrolled> <time> <status> <status-idx> <key> <approval> <name>
 *   ...                       (one line per device ever enrolled for the officer,
 *                              in the order of their enrolment entries)
 *
 *   <enrolled>    index of its device-enrolled entry; <time> that entry's Time
 *   <status>      active | suspended | revoked, as the device's last status entry left it
 *   <status-idx>  index of that last status entry (<enrolled> if none)
 *   <key>         <epoch>@<index> of its latest key-published entry, or "-"
 *   <approval>    <approver hex64>@<index>:<signature base64 (padded, 88 chars)>
 *                 of the first device-approved entry for it, or "-"
 *   <name>        the device name of its enrolment entry (may hold single spaces)
 *
 * THE MAP (a sparse Merkle tree with single-leaf subtrees collapsed):
 *
 *   key(O)   = SHA-256("denpo officer index v1" || 0x00 || O)       (256 bits, MSB first)
 *   leaf     = SHA-256(0x00 || key || SHA-256(record))
 *   node     = SHA-256(0x01 || left || right)
 *   empty    = 32 zero bytes
 *   root(S, d) over the keys S that share their first d bits: empty if S is
 *   empty, the leaf if S has one key, else node(root(S0, d+1), root(S1, d+1))
 *   with S0/S1 the keys whose bit d is 0/1.
 *
 * A proof for a key is the list of sibling hashes along its path from the
 * root down (sibling[i] is at depth i+1), ending where the path meets a
 * leaf or empty: the officer's own leaf (membership), or another key's leaf
 * or empty (non-membership).  The path is fixed by the key's bits, and the
 * hashes are domain-separated, so one root admits one answer per key.
 *
 * THE CHECKPOINT LINE: the root as an extension line of the C2SP checkpoint
 * after the root hash, signed by the log key and covered by every device's
 * cosignature:
 *
 *   officer-index <base64 of the 32-byte root>
 */
#ifndef DENPO_DEVINDEX_H
#define DENPO_DEVINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "denpo/buf.h"
#include "denpo/cable.h"
#include "denpo/crypto.h"
#include "denpo/logentry.h"
#include "denpo/tlog.h"

#define DP_DEVREC_MAX 64                /* devices ever enrolled for one officer */
/*
 * The longest Device line, from its parts: a record's size cap must hold
 * DP_DEVREC_MAX of them, or a record that `denpod approve` lets grow would
 * not encode and the signer would stop (every device's line at its longest:
 * 20-digit indexes, an approval, a name of DP_NAME_MAX).
 */
#define DP_DEVREC_U64_DIGITS 20         /* UINT64_MAX */
#define DP_DEVREC_U32_DIGITS 10         /* UINT32_MAX */
#define DP_DEVREC_TIME_DIGITS 10        /* DP_CREATED_MAX */
#define DP_DEVREC_STATUS_MAX 9          /* "suspended" */
#define DP_DEVREC_SIG_B64 88            /* padded base64 of DP_ED25519_SIG bytes */
#define DP_DEVREC_LINE_MAX                                                                  \
	(sizeof "Device: " - 1 + 2 * DP_ED25519_PK + 1 + DP_DEVREC_U64_DIGITS + 1 +        \
	 DP_DEVREC_TIME_DIGITS + 1 + DP_DEVREC_STATUS_MAX + 1 + DP_DEVREC_U64_DIGITS + 1 + \
	 DP_DEVREC_U32_DIGITS + 1 + DP_DEVREC_U64_DIGITS + 1 + 2 * DP_ED25519_PK + 1 +     \
	 DP_DEVREC_U64_DIGITS + 1 + DP_DEVREC_SIG_B64 + 1 + DP_NAME_MAX + 1)
#define DP_DEVREC_HEAD_MAX (sizeof "DENPO-OFFICER-DEVICES/1\nOfficer: \n" - 1 + DP_NAME_MAX)
#define DP_DEVREC_TEXT_MAX (DP_DEVREC_HEAD_MAX + DP_DEVREC_MAX * DP_DEVREC_LINE_MAX)
_Static_assert(DP_DEVREC_TEXT_MAX >= DP_DEVREC_HEAD_MAX + DP_DEVREC_MAX * DP_DEVREC_LINE_MAX &&
		       DP_DEVREC_TEXT_MAX < 32768,
	       "a record of DP_DEVREC_MAX longest lines fits the cap");
#define DP_DEVINDEX_PROOF_MAX 256       /* siblings: one per bit of the key at most */
#define DP_DEVINDEX_LINE "officer-index " /* the checkpoint extension line's prefix */
#define DP_DEVINDEX_LINE_MAX (sizeof DP_DEVINDEX_LINE - 1 + 44 + 1) /* with "\n" */

enum dp_devrec_status { DP_DEVREC_ACTIVE = 1, DP_DEVREC_SUSPENDED, DP_DEVREC_REVOKED };
const char *dp_devrec_status_name(int status); /* "active"; NULL if unknown */

typedef struct {
	uint8_t device[DP_ED25519_PK];      /* its id: the device's long-term signing key */
	uint64_t enrolled;                  /* index of its device-enrolled entry */
	int64_t time;                       /* that entry's Time */
	int status;                         /* enum dp_devrec_status */
	uint64_t status_idx;                /* the last status entry's index (enrolled if none) */
	int has_key;                        /* a key-published entry seen */
	uint32_t key_epoch;
	uint64_t key_idx;
	int approved;                       /* a device-approved entry seen */
	uint8_t approver[DP_ED25519_PK];
	uint64_t approved_idx;
	uint8_t approval_sig[DP_ED25519_SIG];
	char name[DP_NAME_MAX + 1];         /* device name */
} dp_devrec_dev;

typedef struct {
	char officer[DP_NAME_MAX + 1];
	size_t n;
	dp_devrec_dev dev[DP_DEVREC_MAX];
} dp_devrec;

/* An empty record for officer (no devices).  DP_EINVAL if officer is not a handle. */
int dp_devrec_init(dp_devrec *r, const char *officer) DP_WUR;
/* The device's line in r, or NULL. */
dp_devrec_dev *dp_devrec_find(dp_devrec *r, const uint8_t device[DP_ED25519_PK]);

/*
 * Applies log entry e, at index idx, to r: THE one rule of what the index
 * records (the signer and the auditors both call it).
 *   device-enrolled with Officer == r->officer: adds the device (active).
 *     DP_EEXISTS if it is already listed; DP_ETOOBIG if r is full.
 *   device-suspended / -reinstated / -revoked of a listed device: its status
 *     and status index (a revoked device stays revoked: later entries change
 *     nothing).
 *   key-published of a listed device: its key (epoch and index).
 *   device-approved with Officer == r->officer of a listed device by another
 *     listed device: its approval, if it has none yet and the signature
 *     verifies (dp_devindex_approval_verify); otherwise nothing.
 * Sets *changed to 1 if r changed (0 otherwise).  Any other entry, or one
 * naming a device r does not list, changes nothing and is DP_OK: the caller
 * finds the officer of an entry's device (device-enrolled names it; the
 * other events name only the device, so the caller keeps device -> officer).
 */
int dp_devrec_apply(dp_devrec *r, const dp_logent *e, uint64_t idx, int *changed) DP_WUR;

/* The canonical text of r, appended to out.  DP_EINVAL if r breaks a rule. */
int dp_devrec_encode(const dp_devrec *r, dp_buf *out) DP_WUR;
/*
 * Strict decode; r is fully overwritten (zero on failure).  DP_EPARSE for
 * anything but the one encoding of a valid record; DP_ETOOBIG over
 * DP_DEVREC_TEXT_MAX bytes or DP_DEVREC_MAX devices.
 */
int dp_devrec_decode(dp_devrec *r, const uint8_t *p, size_t len) DP_WUR;

/*
 * Device approvals.  An officer approves a new device of theirs on one of
 * their devices they already trust (`denpo device approve`): that device
 * signs, with its long-term key, under the context "denpo-device-approval-v1",
 * the message "<officer>\n<approved device hex64>\n".  The switch logs it as
 * a device-approved entry (Device, Officer, Approver, Signature).
 */
#define DP_DEVINDEX_APPROVAL_CTX "denpo-device-approval-v1"
int dp_devindex_approval_sign(uint8_t sig[DP_ED25519_SIG], const uint8_t sk[DP_ED25519_SK],
			      const char *officer, const uint8_t device[DP_ED25519_PK]) DP_WUR;
/* DP_OK if sig is approver's approval of device for officer; DP_ESIG otherwise. */
int dp_devindex_approval_verify(const uint8_t sig[DP_ED25519_SIG],
				const uint8_t approver[DP_ED25519_PK], const char *officer,
				const uint8_t device[DP_ED25519_PK]) DP_WUR;

/*
 * Which devices of r the device `self` trusts, and which it must warn about.
 * trusted[0..n) are the devices this device has accepted (itself, what it
 * saw at its first check, what its officer approved on it).  A listed device
 * that is not revoked is accepted if it is in trusted, or if its approval is
 * by an accepted device (transitively).  Writes the indexes into r->dev of
 * the devices not accepted to unknown[] (at most DP_DEVREC_MAX) and their
 * count to *nunknown.
 */
void dp_devrec_unapproved(const dp_devrec *r, const uint8_t (*trusted)[DP_ED25519_PK],
			  size_t ntrusted, size_t unknown[DP_DEVREC_MAX], size_t *nunknown);

/* ---- the map ---- */

void dp_devindex_key(uint8_t key[DP_TLOG_HASH], const char *officer);
/* The leaf of a record: SHA-256(0x00 || key(officer) || SHA-256(text)). */
void dp_devindex_leaf(uint8_t leaf[DP_TLOG_HASH], const uint8_t key[DP_TLOG_HASH],
		      const uint8_t *text, size_t len);

/* A built map: every node's hash, for roots and proofs. */
typedef struct dp_devindex dp_devindex;
/*
 * Builds the map over n officers: keys[i] = dp_devindex_key(officer),
 * vhashes[i] = SHA-256 of the officer's record text (keys distinct, any
 * order; the arrays are copied).  DP_EINVAL if two keys are equal; DP_ENOMEM.
 */
int dp_devindex_build(dp_devindex **out, const uint8_t (*keys)[DP_TLOG_HASH],
		      const uint8_t (*vhashes)[DP_TLOG_HASH], size_t n) DP_WUR;
void dp_devindex_free(dp_devindex *m);
void dp_devindex_root(const dp_devindex *m, uint8_t root[DP_TLOG_HASH]);

typedef struct {
	size_t n;                                   /* siblings */
	uint8_t sib[DP_DEVINDEX_PROOF_MAX][DP_TLOG_HASH];
	/* where the path ends, when it is not the key's own leaf: */
	int other;                                  /* 1: another key's leaf (below); 0: own leaf or empty */
	uint8_t other_key[DP_TLOG_HASH], other_vhash[DP_TLOG_HASH];
} dp_devindex_proof;
/*
 * The proof for key.  *found = 1 if the map holds the key (the path ends at
 * its leaf), 0 if not (the path ends at empty, or at another key's leaf,
 * which the proof then names).
 */
void dp_devindex_prove(const dp_devindex *m, const uint8_t key[DP_TLOG_HASH],
		       dp_devindex_proof *p, int *found);
/*
 * Membership: DP_OK if the proof places the record text of officer under
 * root.  Non-membership (text NULL): DP_OK if the proof shows the officer
 * has no record under root.  DP_EPROTO otherwise (the proof does not
 * match the root, or its path is not the key's).
 */
int dp_devindex_verify(const uint8_t root[DP_TLOG_HASH], const char *officer,
		       const uint8_t *text, size_t len, const dp_devindex_proof *p) DP_WUR;

/* ---- the checkpoint line ---- */

/* "officer-index <b64>\n" appended to out. */
int dp_devindex_line_format(dp_buf *out, const uint8_t root[DP_TLOG_HASH]) DP_WUR;
/*
 * The root named by the extension lines of a checkpoint's text (the body
 * of the note, as dp_checkpoint_parse saw it: c->next is where extension
 * lines start).  DP_ENOTFOUND if no line names it (a checkpoint signed
 * before the index existed); DP_EPARSE if the line is malformed or given
 * twice.
 */
int dp_devindex_line_parse(const char *text, size_t len, size_t ext_start,
			   uint8_t root[DP_TLOG_HASH]) DP_WUR;

#endif
