/*
 * denpod/config.h - the switch's data directory.
 *
 *   DIR/            0700
 *   DIR/denpod.conf url=..., listen=... (text, one key=value per line)
 *   DIR/sign.key    32-byte Ed25519 seed signing enrolment answers (0600, O_EXCL)
 *   DIR/tls.key     32-byte Ed25519 seed of the TLS identity (0600, O_EXCL)
 *   DIR/tls.crt     the self-signed certificate (PEM, informational)
 *   DIR/denpod.db   SQLite database (WAL)
 *
 * `denpod run` reads tls.key only; sign.key is read by `denpod approve`.
 */
#ifndef DENPOD_CONFIG_H
#define DENPOD_CONFIG_H

#include "denpo/enrol.h"

#define DPC_PATH_MAX 4096
#define DPC_LISTEN_MAX 128

typedef struct {
	char dir[DPC_PATH_MAX];
	char url[DP_URL_MAX + 1];
	char listen[DPC_LISTEN_MAX + 1]; /* "host:port" */
} dpc_config;

/* DIR/name into out (DP_ETOOBIG if it does not fit). */
int dpc_path(const dpc_config *c, const char *name, char *out, size_t cap) DP_WUR;
/* Create the data directory (must not exist or be empty), keys, cert, database, config. */
int dpc_init(dpc_config *c) DP_WUR;
/* Read DIR/denpod.conf. */
int dpc_load(dpc_config *c, const char *dir) DP_WUR;
/*
 * Read a 32-byte seed file into sodium_malloc'd memory and derive the
 * 64-byte libsodium secret key (seed || pk) there; *sk must be released with
 * dpc_key_free.  pk receives the public key.
 */
int dpc_key_load(const dpc_config *c, const char *name, uint8_t **sk, uint8_t pk[32]) DP_WUR;
void dpc_key_free(uint8_t *sk);
/* Parse "host:port" (IPv4/IPv6 literal or name); port 1..65535. */
int dpc_parse_listen(const char *s, char *host, size_t hostcap, int *port) DP_WUR;

#endif
