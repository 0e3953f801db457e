/*
 * denpod/operators.h - who may act in `denpod console` and how they prove
 * it (docs/operations.md, "The console").
 *
 * The admin CLI names its operator with --operator: whoever can run it on
 * the switch host is trusted with the data directory already.  The
 * console is a web page on that host, so it asks for a password: each
 * operator has a name and an Argon2id hash of a password (libsodium's
 * crypto_pwhash_str, its limits for online logins: 64 MiB, 2 passes), kept in the
 * store (store.h dps_operator) by `denpod operator add|passwd|remove`,
 * each change an admin entry in the transparency log.  The password never
 * touches the disk; the one the console checks is wiped after the check.
 */
#ifndef DENPOD_OPERATORS_H
#define DENPOD_OPERATORS_H

#include <stddef.h>

#include "denpo/error.h"
#include "denpod/store.h"

#define DPOP_PASS_MIN 12  /* characters, whatever /etc/security/pwquality.conf says */
#define DPOP_PASS_MAX 256 /* bytes */

/*
 * An operator's name: 1..DPS_OPNAME_MAX of a-z A-Z 0-9 . _ - (it is
 * written in log entries as the Operator, and shown in the console).
 */
int dpop_name_ok(const char *name);
/*
 * A new password for name: dp_pass_check (denpo/passcheck.h) with at least
 * DPOP_PASS_MIN characters.  DP_OK, or DP_EDENIED / DP_EPARSE with why
 * (never quoting the password); DP_ETOOBIG over DPOP_PASS_MAX; DP_ENOMEM.
 */
int dpop_pass_check(const char *pass, const char *name, char *why, size_t cap) DP_WUR;
/* The Argon2id hash string of pass into out.  DP_ECRYPTO (out of memory for the hash). */
int dpop_hash(const char *pass, char out[DPS_PWHASH_MAX + 1]) DP_WUR;
/*
 * The console's check of name and pass against the store: DP_OK if name
 * is an operator and pass is its password, else DP_EDENIED.  An unknown
 * name costs the same time as a wrong password (a hash is checked either
 * way), so the answer's delay does not say which names exist.
 */
int dpop_verify(dps_store *s, const char *name, const char *pass) DP_WUR;

#endif
