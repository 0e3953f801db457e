/*
 * denpo/kept.c - MAC'd records this device keeps for itself (contract and
 * format in denpo/kept.h).
 */
#include <string.h>

#include <sodium.h>

#include "denpo/encoding.h"
#include "denpo/kept.h"

/* The MAC of t[0..n) under the key derived for ctx. */
static void kept_mac(const cli_ctx *x, const char ctx[8], const char *t, size_t n, uint8_t mac[32])
{
	uint8_t k[crypto_generichash_KEYBYTES];
	crypto_kdf_derive_from_key(k, sizeof k, 1, ctx, x->ks->storage_key);
	crypto_generichash(mac, 32, (const uint8_t *)t, n, k, sizeof k);
	sodium_memzero(k, sizeof k);
}

size_t kept_seal(const cli_ctx *x, const char ctx[8], char *s, size_t n, size_t cap)
{
	uint8_t mac[32];
	char mh[65];
	if (n + KEPT_MAC_LINE >= cap)
		return 0;
	kept_mac(x, ctx, s, n, mac);
	dp_hex_encode(mh, mac, sizeof mac);
	memcpy(s + n, "mac ", 4);
	memcpy(s + n + 4, mh, 64);
	s[n + 68] = '\n';
	s[n + KEPT_MAC_LINE] = 0;
	return n + KEPT_MAC_LINE;
}

int kept_open(const cli_ctx *x, const char ctx[8], const char *s, size_t len, size_t *body)
{
	uint8_t want[32], got[32];
	*body = 0;
	/* untrusted until its MAC verifies: the last line is "mac HEX", after a whole line (or none) */
	if (len < KEPT_MAC_LINE || memchr(s, 0, len) != NULL)
		return DP_EPARSE;
	size_t n = len - KEPT_MAC_LINE;
	const char *m = s + n;
	if (memcmp(m, "mac ", 4) != 0 || m[68] != '\n' || (n && s[n - 1] != '\n') ||
	    dp_hex_decode(got, sizeof got, m + 4, 64) != DP_OK)
		return DP_EPARSE;
	kept_mac(x, ctx, s, n, want);
	if (sodium_memcmp(want, got, sizeof want) != 0)
		return DP_ESIG;
	*body = n;
	return DP_OK;
}
