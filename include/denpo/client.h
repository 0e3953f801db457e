/*
 * denpo/client.h - the device's side of the switch's HTTPS API (docs/api.md).
 *
 * Transport (libcurl, OpenSSL backend): HTTP/1.1 over TLS 1.3 only, mutual
 * TLS with the device's self-signed Ed25519 certificate (made in memory from
 * its TLS seed; the private key PEM never touches disk), and the switch's
 * Ed25519 key pinned with CURLOPT_PINNEDPUBLICKEY.
 *
 * CA and host-name verification are switched off on purpose: the switch's
 * certificate is self-signed and there is no CA to trust.  Trust is the pin
 * alone -- the raw key learned from the switch-signed enrolment answer --
 * which libcurl checks on every handshake whatever VERIFYPEER says, and a
 * mismatch aborts the connection before any request is sent.  A CA would
 * only add third parties able to impersonate the switch.
 *
 * Every call returns DP_OK or a DP_E* code.  A switch error
 * {"error": NAME, "message": TEXT} maps NAME back to its code (dp_errname)
 * and keeps TEXT for dp_client_message().  Network/TLS failures are
 * DP_ENET, a body that does not follow docs/api.md DP_EPROTO, a body over
 * its cap DP_ETOOBIG.  One dp_client is not thread-safe.
 */
#ifndef DENPO_CLIENT_H
#define DENPO_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include "denpo/age.h"
#include "denpo/buf.h"
#include "denpo/cable.h"
#include "denpo/epoch.h"
#include "denpo/error.h"

#define DP_CLIENT_JSON_MAX (16u << 20)  /* cap on any JSON answer */
#define DP_CLIENT_MSG_MAX 1024
#define DP_HEXID 33                      /* 32 hex digits + NUL */

typedef struct dp_client dp_client;

typedef struct {
	const char *url;                 /* "https://host:port" (no path) */
	uint8_t switch_tls_pk[32];       /* pinned */
	const uint8_t *tls_seed;         /* 32 bytes: the device's TLS key seed (not kept) */
	long connect_timeout_ms;         /* 0 = 10 s */
	long timeout_ms;                 /* 0 = 120 s per request (plus any long-poll wait) */
} dp_client_config;

/* Call once per process before the first dp_client_new (wraps curl_global_init). */
int dp_client_global_init(void) DP_WUR;
void dp_client_global_cleanup(void);

int dp_client_new(dp_client **out, const dp_client_config *cfg) DP_WUR;
/* Wipes the in-memory TLS key and frees. */
void dp_client_free(dp_client *c);
/* Message of the last failure ("" if none): the switch's, or curl's, or ours. */
const char *dp_client_message(const dp_client *c);
/* HTTP status of the last request (0 if none was answered). */
long dp_client_http_status(const dp_client *c);

/* Map an API error name ("clearance") back to its code; DP_EPROTO if unknown (or "ok"). */
int dp_client_errcode(const char *name);
/*
 * Parse a switch error body; returns its code and copies the message
 * (truncated, control characters replaced) into msg.  DP_EPROTO if the
 * body is not such an object.
 */
int dp_client_parse_error(const uint8_t *body, size_t n, char *msg, size_t msgcap);

/* ---- POST /v1/cables ---- */
typedef struct {
	char cable_id[DP_HEXID];
	char mrn[DP_MRN_MAX + 1];
	int64_t accepted;
	int duplicate;
} dp_submit_result;
int dp_client_submit(dp_client *c, const uint8_t *sub, size_t n, dp_submit_result *res) DP_WUR;

/* ---- GET /v1/inbox ---- */
typedef struct {
	char cable_id[DP_HEXID];
	char mrn[DP_MRN_MAX + 1];
	int precedence;                  /* enum dp_prec */
	int role;                        /* enum dp_role */
	int classification;              /* enum dp_class */
	char from[DP_NAME_MAX + 1];
	int64_t accepted;
	int64_t seq;                     /* acceptance order at the switch */
	uint64_t size;
	int fetched;
} dp_inbox_item;
/*
 * wait: seconds to long-poll (0 = answer at once, max 60): the answer comes
 * as soon as the queue holds a cable with seq > after (0 = any cable), so a
 * client with a backlog passes the highest seq it has seen.  *items is malloc'd.
 */
int dp_client_inbox_after(dp_client *c, int wait, int64_t after, dp_inbox_item **items,
			  size_t *n) DP_WUR;
/* dp_client_inbox_after with after = 0. */
int dp_client_inbox(dp_client *c, int wait, dp_inbox_item **items, size_t *n) DP_WUR;

/* ---- GET /v1/cables/{id} ---- submission bytes appended to out, MRN header copied. */
int dp_client_fetch(dp_client *c, const char *cable_id, dp_buf *out, char mrn[DP_MRN_MAX + 1]) DP_WUR;

/* ---- POST /v1/cables/{id}/ack ---- */
int dp_client_ack(dp_client *c, const char *cable_id, int64_t *acked) DP_WUR;

/* ---- GET /v1/cables/{id}/status ---- */
typedef struct {
	char device[65];
	char officer[DP_NAME_MAX + 1];
	char post[DP_NAME_MAX + 1];
	int role;
	int64_t delivered;               /* 0 = not yet */
	int64_t acked;                   /* 0 = not yet */
	int overdue;
} dp_receipt;
typedef struct {
	char cable_id[DP_HEXID];
	char mrn[DP_MRN_MAX + 1];
	int precedence;
	int64_t accepted;
	dp_receipt *recipients;          /* malloc'd */
	size_t nrecipients;
} dp_cable_status;
int dp_client_status(dp_client *c, const char *cable_id, dp_cable_status *st) DP_WUR;
void dp_cable_status_free(dp_cable_status *st);

/* ---- GET /v1/sent ---- */
typedef struct {
	char cable_id[DP_HEXID];
	char mrn[DP_MRN_MAX + 1];
	int precedence;
	int classification;
	int64_t accepted;
	uint32_t recipients, delivered, acked;
} dp_sent_item;
int dp_client_sent(dp_client *c, dp_sent_item **items, size_t *n) DP_WUR;

/* ---- GET /v1/directory/resolve ---- */
typedef struct {
	const char *to, *info, *attn;    /* comma-separated lists; info/attn may be NULL */
	const char *captions;            /* comma-separated, may be NULL */
	int classification;
} dp_resolve_query;
typedef struct {
	uint8_t device[32];
	char officer[DP_NAME_MAX + 1];
	char post[DP_NAME_MAX + 1];
	int role;                        /* enum dp_role */
	int key_type;                    /* enum dp_age_type */
	uint32_t epoch;                  /* the device's current key epoch */
	int64_t not_before, not_after;
	char age_recipient[DP_AGE_RECIPIENT_MAX + 1];
	char epoch_key[DP_EPOCH_KEY_MAX + 1]; /* the signed record (unchecked: see seal_recipients) */
} dp_resolved;
/* An addressed device that has no current key (its last one expired). */
typedef struct {
	uint8_t device[32];
	char officer[DP_NAME_MAX + 1];
	char post[DP_NAME_MAX + 1];
	int role;
	int64_t last_not_after;          /* 0 = it never published one */
} dp_unreachable;
typedef struct {
	dp_resolved *devs;               /* malloc'd */
	size_t n;
	dp_unreachable *unreachable;     /* malloc'd */
	size_t nunreachable;
} dp_resolution;
int dp_client_resolve(dp_client *c, const dp_resolve_query *q, dp_resolution *res) DP_WUR;
void dp_resolution_free(dp_resolution *res);

/* ---- GET /v1/directory/devices/{device} ---- */
typedef struct {
	uint8_t device[32];
	char officer[DP_NAME_MAX + 1];
	char post[DP_NAME_MAX + 1];
	char status[16];
	uint8_t sign_key[32];
	int has_key;                     /* 0: no current epoch key (fields below empty) */
	char age_recipient[DP_AGE_RECIPIENT_MAX + 1];
	uint32_t epoch;
} dp_device_info;
int dp_client_device(dp_client *c, const uint8_t device[32], dp_device_info *d) DP_WUR;

/* ---- POST /v1/keys: publish one signed epoch key record (denpo/epoch.h) ---- */
int dp_client_publish_key(dp_client *c, const uint8_t *rec, size_t n, int *duplicate) DP_WUR;

/* ---- GET /v1/keys: this device's epochs as the switch sees them ---- */
typedef struct {
	uint32_t epoch;
	int64_t not_before, not_after;
	int current;                     /* the key senders get now */
	int closed;                      /* the switch accepts no more cables for it */
	char (*pending)[DP_HEXID];       /* unacknowledged cables queued at this epoch (malloc'd) */
	size_t npending;
	int more;                        /* pending was cut at 1000 */
} dp_epoch_state;
typedef struct {
	int64_t now, skew;               /* the switch's clock, its allowed skew */
	dp_epoch_state *epochs;          /* malloc'd */
	size_t n;
} dp_key_status;
int dp_client_keys(dp_client *c, dp_key_status *st) DP_WUR;
void dp_key_status_free(dp_key_status *st);

/* ---- GET /v1/health ---- */
int dp_client_health(dp_client *c, char *version, size_t vcap) DP_WUR;

#endif
