/*
 * denpo/error.h - the one error vocabulary of libdenpo and its programs.
 *
 * Every fallible function returns `int`: DP_OK (0) on success or one of the
 * negative DP_E* codes below.  dp_strerror() gives a short English phrase.
 * Codes are stable: they appear in the JSON errors of the switch's API
 * (as dp_errname(), e.g. "clearance") and in tests.
 */
#ifndef DENPO_ERROR_H
#define DENPO_ERROR_H

#define DP_WUR __attribute__((warn_unused_result))

enum dp_err {
	DP_OK = 0,
	DP_ENOMEM = -1,      /* out of memory */
	DP_EINVAL = -2,      /* bad argument from the caller (a bug, not input) */
	DP_EPARSE = -3,      /* malformed input: does not follow the format */
	DP_ETOOBIG = -4,     /* input exceeds a size or count limit */
	DP_ECRYPTO = -5,     /* a primitive failed (RNG, library error) */
	DP_ESIG = -6,        /* signature does not verify */
	DP_ENOMATCH = -7,    /* age: no identity matched any stanza */
	DP_EHMAC = -8,       /* age: header MAC does not verify */
	DP_EHEADER = -9,     /* age: header malformed or a stanza failed */
	DP_EPAYLOAD = -10,   /* age: payload (STREAM) malformed or forged */
	DP_EARMOR = -11,     /* age: ASCII armor malformed */
	DP_EIO = -12,        /* file or socket I/O failed */
	DP_ENOTFOUND = -13,  /* no such object (device, cable, officer, post) */
	DP_EEXISTS = -14,    /* object already exists / conflicting duplicate */
	DP_EDENIED = -15,    /* policy refuses the operation */
	DP_ECLEARANCE = -16, /* recipient not cleared for classification/captions */
	DP_EDEVICE = -17,    /* device unknown, suspended or revoked */
	DP_ENET = -18,       /* network / TLS failure talking to the switch */
	DP_EPROTO = -19,     /* the peer broke the protocol */
	DP_EPASS = -20,      /* wrong passphrase (keystore cannot be opened) */
	DP_ESTORE = -21,     /* database failure */
	DP_EMIXED = -22,     /* age: classic and post-quantum recipients mixed */
	DP_EUNSUPP = -23,    /* well-formed but unsupported (version, key type) */
	DP_ESTATE = -24,     /* operation not valid in the object's current state */
	DP_ENOSPC = -25,     /* the disk is full (ENOSPC, EDQUOT, SQLITE_FULL): nothing was written */
};
/* The last code: codes run from DP_ENOMEM down to it without a gap. */
#define DP_ELAST DP_ENOSPC

/* Short human phrase for an error code, never NULL. */
const char *dp_strerror(int err);
/* Stable machine name for an error code ("parse", "clearance"...), never NULL. */
const char *dp_errname(int err);

#endif
