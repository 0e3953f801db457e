/*
 * denpo/kept.h - small text records this device keeps for itself in HOME
 * (the kept originator check, denpo/origin.h; the kept binding of a
 * cable's MRN, denpo/bind.h), each ending in one MAC line:
 *
 *   mac <64 hex>\n
 *
 * the keyed BLAKE2b-256 of every byte before that line, under a key derived
 * from the keystore's storage key (crypto_kdf, subkey 1, an 8-character
 * context per kind of record: a record of one kind never verifies as
 * another's).  Anyone who can write HOME can write these files; only this
 * device can write one that kept_open accepts.  The key is wiped after use.
 */
#ifndef DENPO_KEPT_H
#define DENPO_KEPT_H

#include "denpo/cli.h"

#define KEPT_MAC_LINE (4 + 64 + 1) /* "mac " + hex + "\n" */

/*
 * Append the MAC line to the record s[0..n) (s has room for cap bytes, a
 * NUL included); x->ks loaded.  The new length, or 0 if it does not fit.
 */
size_t kept_seal(const cli_ctx *x, const char ctx[8], char *s, size_t n, size_t cap) DP_WUR;
/*
 * The record s[0..len) (untrusted: a file's bytes): DP_OK with *body the
 * length of the text before its MAC line (then that text is as this device
 * wrote it); DP_EPARSE: no MAC line (malformed, or kept by a denpo from
 * before records were MAC'd); DP_ESIG: the MAC does not verify (altered,
 * planted, or another device's).
 */
int kept_open(const cli_ctx *x, const char ctx[8], const char *s, size_t len, size_t *body) DP_WUR;

#endif
