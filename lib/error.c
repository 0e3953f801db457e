#include "denpo/error.h"

static const struct {
	int code;
	const char *name;
	const char *text;
} errs[] = {
	{DP_OK, "ok", "success"},
	{DP_ENOMEM, "nomem", "out of memory"},
	{DP_EINVAL, "invalid", "invalid argument"},
	{DP_EPARSE, "parse", "malformed input"},
	{DP_ETOOBIG, "too_big", "input exceeds a size or count limit"},
	{DP_ECRYPTO, "crypto", "cryptographic primitive failed"},
	{DP_ESIG, "signature", "signature does not verify"},
	{DP_ENOMATCH, "no_match", "no identity matched any recipient stanza"},
	{DP_EHMAC, "hmac", "header MAC does not verify"},
	{DP_EHEADER, "header", "malformed age header or stanza"},
	{DP_EPAYLOAD, "payload", "malformed or forged age payload"},
	{DP_EARMOR, "armor", "malformed ASCII armor"},
	{DP_EIO, "io", "input/output error"},
	{DP_ENOTFOUND, "not_found", "no such object"},
	{DP_EEXISTS, "exists", "object already exists"},
	{DP_EDENIED, "denied", "refused by policy"},
	{DP_ECLEARANCE, "clearance", "recipient not cleared for this cable"},
	{DP_EDEVICE, "device", "device unknown, suspended or revoked"},
	{DP_ENET, "network", "cannot reach the switch"},
	{DP_EPROTO, "protocol", "protocol violation by the peer"},
	{DP_EPASS, "passphrase", "wrong passphrase"},
	{DP_ESTORE, "store", "database failure"},
	{DP_EMIXED, "mixed_recipients", "classic and post-quantum recipients mixed"},
	{DP_EUNSUPP, "unsupported", "unsupported version or type"},
	{DP_ESTATE, "state", "not allowed in the current state"},
	{DP_ENOSPC, "disk_full", "disk full"},
};

static int find(int err)
{
	for (unsigned i = 0; i < sizeof errs / sizeof errs[0]; i++)
		if (errs[i].code == err)
			return (int)i;
	return -1;
}

const char *dp_strerror(int err)
{
	int i = find(err);
	return i < 0 ? "unknown error" : errs[i].text;
}

const char *dp_errname(int err)
{
	int i = find(err);
	return i < 0 ? "unknown" : errs[i].name;
}
