/*
 * denpo/cable.h - the cable: vocabulary (classification, precedence),
 * the signed plaintext that travels inside age, and helpers.
 *
 * Wire format (docs/formats.md has a worked example):
 *
 *   "DENPO-CABLE/1\n"
 *   header lines "Name: value\n" in the fixed order of docs/formats.md
 *   "\n"
 *   body (Body-Length bytes), then each attachment's bytes in order
 *   64-byte Ed25519 signature by From-Device over
 *       "denpo-cable-v1" || 0x00 || every byte before the signature
 *
 * The plaintext names its recipients' devices, so a reader knows the
 * cable was addressed to it (no surreptitious forwarding), and carries the
 * same routing fields as the envelope, which the reader cross-checks.
 */
#ifndef DENPO_CABLE_H
#define DENPO_CABLE_H

#include <stddef.h>
#include <stdint.h>
#include "denpo/buf.h"
#include "denpo/crypto.h"
#include "denpo/error.h"
#include "denpo/markings.h"

enum dp_class {
	DP_CLASS_UNCLASSIFIED = 0,
	DP_CLASS_RESTRICTED = 1,
	DP_CLASS_CONFIDENTIAL = 2,
	DP_CLASS_SECRET = 3,
	DP_CLASS_TOP_SECRET = 4,
};

/* Lower value = more urgent; queues sort ascending. */
enum dp_prec {
	DP_PREC_FLASH = 0,
	DP_PREC_IMMEDIATE = 1,
	DP_PREC_PRIORITY = 2,
	DP_PREC_ROUTINE = 3,
};

/*
 * A recipient device's role: an action or info addressee, or the ministry's
 * record copy (a device of an officer holding the role RECORDS at the
 * records post, denpo/records.h): it receives every cable, at ROUTINE
 * (dp_role_prec), and is nobody's addressee.
 */
enum dp_role { DP_ROLE_ACTION = 1, DP_ROLE_INFO = 2, DP_ROLE_RECORD = 3 };
/* "action", "info", "record"; "?" for anything else. */
const char *dp_role_name(int role);
/* The inverse of dp_role_name; DP_EPARSE for anything else. */
int dp_role_parse(const char *s, int *role) DP_WUR;
/*
 * The precedence a recipient of this role handles the cable at: the action
 * precedence for ACTION, the info precedence for INFO, ROUTINE for RECORD
 * (the archive's copy is due within ROUTINE's objective, never an alarm).
 * The one rule behind queues, due times and what a reader is shown.
 */
int dp_role_prec(int role, int prec_action, int prec_info);

/* Limits, enforced by parsers and by the switch. */
#define DP_NAME_MAX 48          /* post, collective, officer, caption, tag, role */
#define DP_MAX_ADDRESSEES 64    /* TO + INFO entries each */
#define DP_MAX_CAPTIONS 8
#define DP_MAX_TAGS 16
#define DP_MAX_REFS 16
#define DP_MAX_RECIPIENTS 2048  /* recipient devices of one cable */
#define DP_MAX_ATTACHMENTS 16
#define DP_SUBJECT_MAX 256
#define DP_CLASSBY_MAX 256
#define DP_DECL_EVENT_MAX 128        /* Declassify-Event text */
#define DP_MAX_BODY (1u << 20)           /* 1 MiB of text */
#define DP_MAX_PAYLOAD (64u << 20)       /* age payload on the wire */
#define DP_MAX_PLAINTEXT (60u << 20)     /* whole cable plaintext */
#define DP_CABLE_ID 16
/*
 * The serial of an MRN: at least six digits ("000017"), more once it passes
 * 999999 ("1000000"), at most DP_MRN_SERIAL_DIGITS; docs/formats.md, section 1.
 */
#define DP_MRN_SERIAL_DIGITS_MIN 6
#define DP_MRN_SERIAL_DIGITS 15
#define DP_MRN_SERIAL_MAX UINT64_C(999999999999999) /* 15 nines; below 2^53 */
#define DP_MRN_MAX (DP_NAME_MAX + 4 + DP_MRN_SERIAL_DIGITS) /* "YY " post " " serial */
/* Accepted range of Created (unix seconds): 2000-01-01 .. 2099-12-31. */
#define DP_CREATED_MIN INT64_C(946684800)
#define DP_CREATED_MAX INT64_C(4102444799)

/* Names and parsers of the vocabulary; parse returns DP_EPARSE on unknown. */
const char *dp_class_name(int c);     /* "SECRET", "TOP SECRET" */
const char *dp_class_banner(int c);   /* same as name, for banners */
int dp_class_parse(const char *s, int *c) DP_WUR; /* accepts names and U/R/C/S/TS */
const char *dp_prec_name(int p);      /* "FLASH" */
char dp_prec_letter(int p);           /* 'Z','O','P','R' */
int dp_prec_parse(const char *s, int *p) DP_WUR;  /* names or letters */
/* Handling-time objective in seconds: 600, 1800, 10800, 21600. */
int64_t dp_prec_objective(int p);
/* "DDHHMMZ MON YY" for a UTC unix time; out needs 16 bytes. */
void dp_dtg_format(int64_t t, char out[16]);
/*
 * 1 if s is a post/collective/caption/tag/role name: 1..DP_NAME_MAX of
 * [A-Z0-9 ._-], first character [A-Z0-9], no trailing or doubled space.
 */
/*
 * Text safe to show on a terminal: valid shortest-form UTF-8, no C0 control
 * (LF and TAB allowed when multiline), no DEL, no C1 control.
 */
int dp_text_ok(const uint8_t *p, size_t n, int multiline);
int dp_name_ok(const char *s);
/* 1 if s is an officer handle: 1..DP_NAME_MAX of [a-z0-9._-], first [a-z0-9] ("sato.k"). */
int dp_handle_ok(const char *s);
/*
 * A message reference number "YY POST SERIAL": a two-digit year, the post
 * (dp_name_ok), and the serial after the last space: six digits with
 * leading zeros up to 999999 ("000017"), 7..DP_MRN_SERIAL_DIGITS digits
 * without a leading zero above ("1000000"), never 0.  One spelling per
 * MRN: "0000017" is refused.
 *
 * dp_mrn_parse: the parts of s (any of yy, post, serial may be NULL);
 * DP_EPARSE, nothing written, for anything else.  dp_mrn_ok: 1 if it parses.
 */
int dp_mrn_parse(const char *s, int *yy, char post[DP_NAME_MAX + 1], uint64_t *serial) DP_WUR;
int dp_mrn_ok(const char *s);
/* Writes year % 100, post and serial (1..DP_MRN_SERIAL_MAX) as above; DP_EINVAL on bad post/serial. */
int dp_mrn_format(char out[DP_MRN_MAX + 1], int year, const char *post, uint64_t serial) DP_WUR;
/*
 * The order of two MRNs: by year digits, then post (byte order), then
 * serial as a number ("26 HQ 999999" before "26 HQ 1000000", which a
 * string comparison puts the other way).  An MRN that does not parse sorts
 * after every one that does, by strcmp among themselves.  <0, 0, >0.
 */
int dp_mrn_cmp(const char *a, const char *b);

typedef struct {
	uint8_t device[DP_ED25519_PK]; /* the device's Ed25519 public key = its id */
	uint8_t key_type;              /* enum dp_age_type of the key encrypted to */
	uint32_t epoch;                /* key epoch of that device */
	uint8_t role;                  /* enum dp_role */
} dp_recipient;

#define DP_ATT_NAME_MAX (DP_NAME_MAX * 2)

typedef struct {
	char name[DP_ATT_NAME_MAX + 1]; /* file name: [A-Za-z0-9._-], first char alnum */
	uint8_t *data;                  /* owned */
	size_t len;
	uint8_t sha256[DP_SHA256];      /* filled by decode; encode computes it from data */
} dp_attachment;

typedef struct {
	uint8_t id[DP_CABLE_ID];
	int classification;                 /* enum dp_class */
	char captions[DP_MAX_CAPTIONS][DP_NAME_MAX + 1];
	size_t ncaptions;                   /* most restrictive first */
	int prec_action, prec_info;         /* enum dp_prec; info >= action numerically */
	int64_t created;                    /* unix seconds UTC; DTG is derived */
	char from[DP_NAME_MAX + 1];         /* originating post */
	uint8_t from_device[DP_ED25519_PK];
	char to[DP_MAX_ADDRESSEES][DP_NAME_MAX + 1];
	size_t nto;                         /* >= 1 */
	char info[DP_MAX_ADDRESSEES][DP_NAME_MAX + 1];
	size_t ninfo;
	char attn[DP_MAX_ADDRESSEES][DP_NAME_MAX + 1]; /* EYES ONLY narrowing: officer handles
							 * (dp_handle_ok) or roles (dp_name_ok) */
	size_t nattn;                       /* 0 = every cleared officer of the addressed posts */
	char tags[DP_MAX_TAGS][DP_NAME_MAX + 1];
	size_t ntags;                       /* >= 1 */
	char subject[DP_SUBJECT_MAX + 1];
	char refs[DP_MAX_REFS][DP_MRN_MAX + 1]; /* MRNs of earlier cables, "26 TOKYO 000123" */
	size_t nrefs;
	char declassify_on[11];             /* "YYYY-MM-DD" or "" */
	char declassify_event[DP_DECL_EVENT_MAX + 1]; /* free text or ""; never with declassify_on */
	char classified_by[DP_CLASSBY_MAX + 1];
	char retention[DP_NAME_MAX + 1];    /* retention class (dp_name_ok) or "" (PERMANENT) */
	dp_recipient *recipients;           /* owned, sorted by device bytes */
	size_t nrecipients;
	uint8_t *body;                      /* owned, UTF-8 text */
	size_t body_len;
	dp_attachment atts[DP_MAX_ATTACHMENTS];
	size_t natts;
} dp_cable;

/*
 * The routing fields a cable shares with its envelope, as a read-only view.
 * dp_routing_validate applies the routing rules of docs/formats.md to them:
 * the one implementation behind dp_cable_validate and the envelope's checks.
 */
typedef struct {
	int classification;
	const char (*captions)[DP_NAME_MAX + 1];
	size_t ncaptions;
	int prec_action, prec_info;
	int64_t created;
	const char *from;
	const char (*to)[DP_NAME_MAX + 1];
	size_t nto;
	const char (*info)[DP_NAME_MAX + 1];
	size_t ninfo;
	const char (*attn)[DP_NAME_MAX + 1];
	size_t nattn;
	const dp_recipient *recipients;
	size_t nrecipients;
} dp_routing;
int dp_routing_validate(const dp_routing *r) DP_WUR;

void dp_cable_init(dp_cable *c);
/*
 * A new cable id (docs/formats.md, "The cable id"): the time now in
 * milliseconds since 1970 (48 bits, big-endian), then 10 random bytes.
 * Ids made later sort after ids made earlier, so the switch's index of
 * them grows at its end rather than at a random page (bench/README.md).
 */
void dp_cable_new_id(uint8_t id[DP_CABLE_ID]);
/* Wipes body/attachments and frees everything owned. */
void dp_cable_free(dp_cable *c);
/* Copies, sorts recipients by device, rejects duplicates (DP_EINVAL), > DP_MAX_RECIPIENTS (DP_ETOOBIG). */
int dp_cable_set_recipients(dp_cable *c, const dp_recipient *r, size_t n) DP_WUR;
/*
 * Checks every field against the rules of docs/formats.md: DP_EPARSE,
 * DP_ETOOBIG, DP_EMIXED (X25519 and post-quantum recipients mixed),
 * DP_EINVAL (a length without data).
 */
int dp_cable_validate(const dp_cable *c) DP_WUR;

/*
 * Validate, serialize and sign with the originating device's key; appends
 * to out.  DP_EINVAL if sk's public half is not from_device.  The
 * attachments' sha256 fields are ignored (computed from the data).
 */
int dp_cable_encode(const dp_cable *c, const uint8_t sk[DP_ED25519_SK], dp_buf *out) DP_WUR;
/*
 * Parse plaintext strictly and verify its signature against From-Device.
 * Returns DP_EPARSE/DP_ETOOBIG/DP_EMIXED on malformed input, DP_ESIG on a
 * bad signature.  c is initialised first (free what it held before); on
 * success the caller frees it with dp_cable_free, on failure it is empty.
 */
int dp_cable_decode(dp_cable *c, const uint8_t *p, size_t n) DP_WUR;

/*
 * Render for reading (docs/formats.md section 3): classification banner top
 * and bottom, header block, body, attachment list; appends to out.  mrn may
 * be NULL (not yet assigned); a malformed mrn is DP_EINVAL.
 */
int dp_cable_render(const dp_cable *c, const char *mrn, dp_buf *out) DP_WUR;
/*
 * The same with the ministry's markings (denpo/markings.h; NULL: none) on
 * every banner line, each line made by dp_cable_banner.
 */
int dp_cable_render_marked(const dp_cable *c, const char *mrn, const dp_markings *m,
			   dp_buf *out) DP_WUR;
/*
 * One banner line, without its line end, appended to out: the level the
 * sender signed, after the ministry's marking for it when m has one, then
 * the captions: "極秘 (SECRET)//NOFORN//EXDIS", "SECRET//NOFORN".  The one
 * function that decides a banner (the CLI's and the UI's).  A marking that
 * dp_marking_ok refuses is left out, so the level is never hidden.
 * DP_EINVAL for a classification out of range; dp_buf's errors.
 */
int dp_cable_banner(const dp_cable *c, const dp_markings *m, dp_buf *out) DP_WUR;

#endif
