/*
 * denpo/seal.h - the cable pipeline of a device, without the network.
 *
 * Sending:  cable (with recipients) -> sign (dp_cable_encode) -> age-encrypt
 *           to the recipients' keys (binary) -> envelope from the cable and
 *           payload, signed -> submission bytes.
 * Reading:  submission -> envelope signature + payload hash
 *           -> age-decrypt with the device's identities -> cable signature
 *           -> envelope routing == cable routing -> this device is named
 *           in the signed recipient list.
 */
#ifndef DENPO_SEAL_H
#define DENPO_SEAL_H

#include "denpo/age.h"
#include "denpo/cable.h"
#include "denpo/client.h"
#include "denpo/envelope.h"
#include "denpo/epoch.h"
#include "denpo/logentry.h"

/*
 * One log entry an answer carries (in): present, decodable and included
 * in the tree of `size` with `root` (a checkpoint the caller verified); e
 * gets it decoded.  DP_ENOTFOUND (not sent), DP_EPARSE (not an entry),
 * DP_ESIG (not in that tree).
 */
int seal_included(const dp_log_incl *in, uint64_t size, const uint8_t root[DP_TLOG_HASH],
		  dp_logent *e) DP_WUR;

/*
 * Key transparency (docs/transparency.md §3, step 3): each device's
 * enrolment entry (device-enrolled, this device id, officer and post) and
 * key entry (key-published, this device id and epoch, Record exactly the
 * epoch_key bytes) are present and included in the tree of `size` with
 * `root` (a checkpoint the caller verified).  DP_ESIG on the first device
 * that fails (*bad its index, *why what failed): the switch offered a key
 * that is not in the log.
 */
int seal_logged(const dp_resolved *d, size_t n, uint64_t size, const uint8_t root[DP_TLOG_HASH],
		size_t *bad, const char **why);

/*
 * The archive's record copies go to the archive only: every device listed
 * with the role DP_ROLE_RECORD must be at records_post (d[i].post, which
 * seal_logged has checked against its logged enrolment entry).  DP_ESIG on
 * the first that is not (*bad its index), or on any record device when
 * records_post is "" (no archive known): a switch slipping an extra reader
 * in as "(record copy)" is caught here.  DP_OK otherwise.
 */
int seal_record_posts(const dp_resolved *d, size_t n, const char *records_post, size_t *bad) DP_WUR;

/*
 * Turn the switch's resolve answer into the cable's recipient entries and
 * the age recipients (parallel arrays of n), checking each device's epoch
 * key record first: signed by the device itself (its id is its signing
 * key), naming the listed epoch, window and recipient, and in force at
 * now (within DP_EPOCH_SKEW).  On failure *bad is the index of the device.
 * DP_ESIG for a record that is not the device's own (a switch substituting
 * a key is caught here), DP_ESTATE for one not in force, DP_EUNSUPP for a
 * key type other than DP_AGE_MLKEM768X25519 (cables are post-quantum only,
 * never mixed), DP_EPARSE for a bad age recipient, DP_EINVAL if a device is
 * listed twice.
 */
int seal_recipients(const dp_resolved *d, size_t n, int64_t now, dp_recipient *rcpt,
		    dp_age_recipient *keys, size_t *bad) DP_WUR;

/*
 * Sign c (whose recipients must already be set), encrypt it to keys[n],
 * build and sign the envelope, and append the submission to sub.
 * DP_EUNSUPP if any key (or recipient entry) is not mlkem768x25519.
 */
int seal_cable(const dp_cable *c, const dp_age_recipient *keys, size_t n,
	       const uint8_t sign_sk[DP_ED25519_SK], dp_buf *sub) DP_WUR;

/*
 * Open a submission addressed to my_device, with the identities ids (and
 * then, if fk_out is set, copy the age file key that opened it there, for
 * the local store) or, if fk_in is set, with that file key instead (the
 * cable was fetched earlier and its epoch key may be erased since).  Every
 * other check is the same either way.  Fills e and c (free both).
 * On failure *why says what failed.  Codes: DP_ESIG (a signature, or the
 * envelope does not match the signed cable), DP_EDENIED (this device is not
 * a recipient), DP_EUNSUPP (a recipient entry is not mlkem768x25519),
 * age errors (DP_ENOMATCH, DP_EHMAC, DP_EPAYLOAD, ...),
 * DP_EPARSE/DP_ETOOBIG (malformed).
 */
int seal_open(const uint8_t *sub, size_t n, const dp_age_identity *ids, size_t nids,
	      const uint8_t *fk_in, uint8_t *fk_out, const uint8_t my_device[DP_ED25519_PK],
	      dp_envelope *e, dp_cable *c, const char **why) DP_WUR;

#endif
