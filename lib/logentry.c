/*
 * logentry.c - the entries of the switch's transparency log
 * (include/denpo/logentry.h, docs/formats.md §7).  One table says which
 * lines each event has and in which order; the checks, the writer and the
 * reader all walk it, so the three cannot disagree.  The decoder parses
 * line by line (lib/fields.h), checks every value, writes the entry again
 * and requires the same bytes: one encoding per entry.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "denpo/encoding.h"
#include "denpo/logentry.h"
#include "denpo/num.h"
#include "denpo/records.h"
#include "lib/fields.h"

#define MAGIC "DENPO-LOG/1\n"

/* The lines an entry can have after Event and Time. */
enum fld {
	F_END = 0,
	F_CABLE_ID,
	F_REFERENCE,
	F_ENV_HASH,
	F_ORIGINATOR,
	F_OFFICER,
	F_POST,
	F_CLASS,
	F_PREC,
	F_SOURCE,
	F_PART,
	F_RCPT,
	F_DEVICE,
	F_KEY_EPOCH,
	F_RECORD,
	F_TLS_KEY,
	F_NAME,
	F_OPERATOR,
	F_ACT,
	F_RULE,
	F_ACTION,
	F_REASON,
	F_DETAIL,
	F_APPROVER,
	F_SIGNATURE,
	F_REC_ACT, /* records: the act's name (dp_records_act_name), lower case */
};
#define OPT 0x100 /* or-ed into a field of an event: the line is optional */

static const char *const fld_name[] = {
	[F_CABLE_ID] = "Cable-Id",	   [F_REFERENCE] = "Reference",
	[F_ENV_HASH] = "Envelope-Hash",	   [F_ORIGINATOR] = "Originator",
	[F_OFFICER] = "Officer",	   [F_POST] = "Post",
	[F_CLASS] = "Classification",	   [F_PREC] = "Precedence",
	[F_SOURCE] = "Source",		   [F_PART] = "Part",
	[F_RCPT] = "Recipient",		   [F_DEVICE] = "Device",
	[F_KEY_EPOCH] = "Key-Epoch",	   [F_RECORD] = "Record",
	[F_TLS_KEY] = "TLS-Key",	   [F_NAME] = "Name",
	[F_OPERATOR] = "Operator",	   [F_ACT] = "Act",
	[F_RULE] = "Rule",		   [F_ACTION] = "Action",
	[F_REASON] = "Reason",		   [F_DETAIL] = "Detail",
	[F_APPROVER] = "Approver",	   [F_SIGNATURE] = "Signature",
	[F_REC_ACT] = "Act",
};

#define CABLE_ACT F_CABLE_ID, F_REFERENCE, F_DEVICE, F_SOURCE | OPT
#define DEVICE_ACT F_DEVICE, F_OPERATOR, F_REASON | OPT

static const struct {
	const char *name;
	unsigned short f[12]; /* the lines in order, F_END-terminated */
} events[] = {
	[DP_LOG_CABLE_ACCEPTED] = {"cable-accepted",
				   {F_CABLE_ID, F_REFERENCE, F_ENV_HASH, F_ORIGINATOR, F_OFFICER,
				    F_POST, F_CLASS, F_PREC, F_SOURCE | OPT, F_PART, F_RCPT}},
	[DP_LOG_CABLE_DELIVERED] = {"cable-delivered", {CABLE_ACT}},
	[DP_LOG_CABLE_FETCHED] = {"cable-fetched", {CABLE_ACT}},
	[DP_LOG_CABLE_ACKED] = {"cable-acked", {CABLE_ACT}},
	[DP_LOG_KEY_PUBLISHED] = {"key-published",
				  {F_DEVICE, F_KEY_EPOCH, F_RECORD, F_SOURCE | OPT}},
	[DP_LOG_KEY_RETIRED] = {"key-retired", {F_DEVICE, F_KEY_EPOCH, F_REASON}},
	[DP_LOG_DEVICE_ENROLLED] = {"device-enrolled",
				    {F_DEVICE, F_TLS_KEY, F_OFFICER, F_POST, F_NAME, F_OPERATOR}},
	[DP_LOG_DEVICE_SUSPENDED] = {"device-suspended", {DEVICE_ACT}},
	[DP_LOG_DEVICE_REINSTATED] = {"device-reinstated", {DEVICE_ACT}},
	[DP_LOG_DEVICE_REVOKED] = {"device-revoked", {DEVICE_ACT}},
	[DP_LOG_ADMIN] = {"admin", {F_OPERATOR, F_ACT, F_DETAIL | OPT}},
	[DP_LOG_ALERT] = {"alert", {F_RULE, F_DEVICE | OPT, F_DETAIL | OPT}},
	[DP_LOG_CONTAINMENT] = {"containment",
				{F_ACTION, F_DEVICE | OPT, F_OPERATOR, F_DETAIL | OPT}},
	[DP_LOG_DEVICE_APPROVED] = {"device-approved",
				    {F_DEVICE, F_OFFICER, F_APPROVER, F_SIGNATURE, F_SOURCE | OPT}},
	/* Cable-Id and Reference: present exactly when the act names a cable (present()) */
	[DP_LOG_RECORDS] = {"records",
			    {F_DEVICE, F_OFFICER, F_REC_ACT, F_CABLE_ID | OPT, F_REFERENCE | OPT,
			     F_DETAIL | OPT, F_SOURCE | OPT}},
};
#define NEVENTS (sizeof events / sizeof *events)

const char *dp_log_event_name(int event)
{
	if (event < DP_LOG_CABLE_ACCEPTED || (size_t)event >= NEVENTS)
		return NULL;
	return events[event].name;
}

int dp_log_records_reads(int act)
{
	return act == DP_REC_READ || act == DP_REC_EXPORT;
}

/* ---- value rules ---- */

/* s holds a NUL within its cap bytes (a caller's struct may hold anything). */
static int terminated(const char *s, size_t cap) { return memchr(s, 0, cap) != NULL; }

/* <text>: 1..DP_LOG_TEXT_MAX of 0x20..0x7e, no leading or trailing space. */
static int text_ok(const char *s)
{
	size_t n = strnlen(s, DP_LOG_TEXT_MAX + 1);
	if (n == 0 || n > DP_LOG_TEXT_MAX || s[0] == ' ' || s[n - 1] == ' ')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

int dp_log_addr_canon(char out[DP_LOG_ADDR_MAX + 1], const char *addr)
{
	uint8_t a[16];
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t zero[16];
	if (inet_pton(AF_INET, addr, a) == 1)
		return inet_ntop(AF_INET, a, out, DP_LOG_ADDR_MAX + 1) ? DP_OK : DP_EINVAL;
	if (inet_pton(AF_INET6, addr, a) != 1)
		return DP_EINVAL; /* not an address (zone ids, names, ports are not) */
	if (!memcmp(a, mapped, 12))
		return inet_ntop(AF_INET, a + 12, out, DP_LOG_ADDR_MAX + 1) ? DP_OK : DP_EINVAL;
	if (!memcmp(a, zero, 12) && (memcmp(a + 12, zero, 3) || a[15] != 1))
		return DP_EINVAL; /* ::/96 but ::1: no client has it, and C libraries print it apart */
	return inet_ntop(AF_INET6, a, out, DP_LOG_ADDR_MAX + 1) ? DP_OK : DP_EINVAL;
}

/* Source: an address in its one spelling. */
static int addr_ok(const char *s)
{
	char c[DP_LOG_ADDR_MAX + 1];
	return strnlen(s, DP_LOG_ADDR_MAX + 1) <= DP_LOG_ADDR_MAX && !dp_log_addr_canon(c, s) &&
	       !strcmp(c, s);
}

/* The act a records entry names (0 if none: its Act is checked apart). */
static int rec_act(const dp_logent *e)
{
	int act = 0;
	if (!terminated(e->act, sizeof e->act) || dp_records_act_parse(e->act, &act) != DP_OK)
		return 0;
	return act;
}

int dp_logent_reads_record(const dp_logent *e)
{
	return e->event == DP_LOG_RECORDS && dp_log_records_reads(rec_act(e));
}

/* Whether an optional line is present in e. */
static int present(const dp_logent *e, unsigned f)
{
	switch (f) {
	case F_CABLE_ID: /* records only: the act decides, so a search never names a cable */
	case F_REFERENCE:
		return dp_records_act_has_cable(rec_act(e));
	case F_SOURCE:
		return e->source[0] != 0;
	case F_DEVICE:
		return e->has_device;
	default: /* Reason, Detail */
		return e->text[0] != 0;
	}
}

static int rcpts_ok(const dp_logent *e)
{
	if (e->nrcpts < 1 || e->nrcpts > DP_LOG_RCPTS_PER_ENTRY || !e->rcpts)
		return 0;
	if (e->part < e->parts && e->nrcpts != DP_LOG_RCPTS_PER_ENTRY)
		return 0; /* only the last part may be short: one split per cable */
	for (size_t i = 1; i < e->nrcpts; i++)
		if (memcmp(e->rcpts[i - 1].device, e->rcpts[i].device, DP_ED25519_PK) >= 0)
			return 0; /* unsorted or repeated */
	return 1;
}

static int field_ok(const dp_logent *e, unsigned f)
{
	switch (f) {
	case F_CABLE_ID:
	case F_ENV_HASH:
	case F_ORIGINATOR:
	case F_DEVICE:
	case F_TLS_KEY:
	case F_KEY_EPOCH:
	case F_APPROVER:
	case F_SIGNATURE:
		return 1; /* any bytes, any u32 (the index checks an approval's signature) */
	case F_REFERENCE:
		return terminated(e->mrn, sizeof e->mrn) && dp_mrn_ok(e->mrn);
	case F_OFFICER:
		return terminated(e->officer, sizeof e->officer) && dp_handle_ok(e->officer);
	case F_POST:
		return terminated(e->post, sizeof e->post) && dp_name_ok(e->post);
	case F_NAME:
		return terminated(e->name, sizeof e->name) && dp_fld_label_ok(e->name, DP_NAME_MAX, 1);
	case F_CLASS:
		return e->classification >= DP_CLASS_UNCLASSIFIED &&
		       e->classification <= DP_CLASS_TOP_SECRET;
	case F_PREC:
		return e->prec_action >= DP_PREC_FLASH && e->prec_info <= DP_PREC_ROUTINE &&
		       e->prec_info >= e->prec_action; /* info never more urgent than action */
	case F_SOURCE:
		return terminated(e->source, sizeof e->source) && addr_ok(e->source);
	case F_PART:
		return e->part >= 1 && e->part <= e->parts && e->parts <= DP_LOG_PARTS_MAX;
	case F_RCPT:
		return rcpts_ok(e);
	case F_RECORD:
		return e->record && e->record_len >= 1 && e->record_len <= DP_EPOCH_KEY_MAX;
	case F_OPERATOR:
		return terminated(e->operator_, sizeof e->operator_) && text_ok(e->operator_);
	case F_ACT:
	case F_RULE:
	case F_ACTION:
		return terminated(e->act, sizeof e->act) && dp_name_ok(e->act);
	case F_REC_ACT:
		return rec_act(e) != 0 && !strcmp(e->act, dp_records_act_name(rec_act(e)));
	case F_REASON:
	case F_DETAIL:
		return terminated(e->text, sizeof e->text) && text_ok(e->text);
	}
	return 0;
}

/* 1 if e is a valid entry of a known event. */
static int entry_ok(const dp_logent *e)
{
	if (!dp_log_event_name(e->event) || e->time < DP_CREATED_MIN || e->time > DP_CREATED_MAX)
		return 0;
	for (const unsigned short *f = events[e->event].f; *f; f++) {
		if ((*f & OPT) && !present(e, *f & ~OPT))
			continue;
		if (!field_ok(e, *f & ~OPT))
			return 0;
	}
	return 1;
}

/* ---- writing ---- */

static int put_hex(dp_buf *b, const char *name, const uint8_t *p, size_t n)
{
	char hex[2 * DP_ED25519_PK + 1];
	dp_hex_encode(hex, p, n);
	return dp_buf_printf(b, "%s: %s\n", name, hex);
}

static int put_field(const dp_logent *e, unsigned f, dp_buf *b)
{
	const char *n = fld_name[f];
	switch (f) {
	case F_CABLE_ID:
		return put_hex(b, n, e->cable_id, DP_CABLE_ID);
	case F_ENV_HASH:
		return put_hex(b, n, e->envelope_hash, sizeof e->envelope_hash);
	case F_ORIGINATOR:
	case F_DEVICE:
		return put_hex(b, n, e->device, DP_ED25519_PK);
	case F_TLS_KEY:
		return put_hex(b, n, e->tls_key, DP_ED25519_PK);
	case F_APPROVER:
		return put_hex(b, n, e->approver, DP_ED25519_PK);
	case F_SIGNATURE: {
		char b64[4 * ((DP_ED25519_SIG + 2) / 3) + 1];
		dp_b64_encode(b64, e->sig, DP_ED25519_SIG, 1);
		return dp_buf_printf(b, "%s: %s\n", n, b64);
	}
	case F_REFERENCE:
		return dp_buf_printf(b, "%s: %s\n", n, e->mrn);
	case F_OFFICER:
		return dp_buf_printf(b, "%s: %s\n", n, e->officer);
	case F_POST:
		return dp_buf_printf(b, "%s: %s\n", n, e->post);
	case F_NAME:
		return dp_buf_printf(b, "%s: %s\n", n, e->name);
	case F_CLASS:
		return dp_buf_printf(b, "%s: %s\n", n, dp_class_name(e->classification));
	case F_PREC:
		return dp_buf_printf(b, "%s: %s/%s\n", n, dp_prec_name(e->prec_action),
				     dp_prec_name(e->prec_info));
	case F_SOURCE:
		return dp_buf_printf(b, "%s: %s\n", n, e->source);
	case F_PART:
		return dp_buf_printf(b, "%s: %lu/%lu\n", n, (unsigned long)e->part,
				     (unsigned long)e->parts);
	case F_RCPT: {
		int r = DP_OK;
		for (size_t i = 0; !r && i < e->nrcpts; i++) {
			char hex[2 * DP_ED25519_PK + 1];
			dp_hex_encode(hex, e->rcpts[i].device, DP_ED25519_PK);
			r = dp_buf_printf(b, "%s: %s %lu\n", n, hex, (unsigned long)e->rcpts[i].epoch);
		}
		return r;
	}
	case F_KEY_EPOCH:
		return dp_buf_printf(b, "%s: %lu\n", n, (unsigned long)e->epoch);
	case F_RECORD: {
		char b64[4 * ((DP_EPOCH_KEY_MAX + 2) / 3) + 1];
		dp_b64_encode(b64, e->record, e->record_len, 1);
		return dp_buf_printf(b, "%s: %s\n", n, b64);
	}
	case F_OPERATOR:
		return dp_buf_printf(b, "%s: %s\n", n, e->operator_);
	case F_ACT:
	case F_RULE:
	case F_ACTION:
	case F_REC_ACT:
		return dp_buf_printf(b, "%s: %s\n", n, e->act);
	case F_REASON:
	case F_DETAIL:
		return dp_buf_printf(b, "%s: %s\n", n, e->text);
	}
	return DP_EINVAL;
}

/* The entry's lines into b; e passed entry_ok. */
static int entry_put(const dp_logent *e, dp_buf *b)
{
	int r = dp_buf_printf(b, MAGIC "Event: %s\nTime: %lld\n", events[e->event].name,
			      (long long)e->time);
	for (const unsigned short *f = events[e->event].f; !r && *f; f++)
		if (!(*f & OPT) || present(e, *f & ~OPT))
			r = put_field(e, *f & ~OPT, b);
	return r;
}

/*
 * Written into out in place (a writer reuses one buffer: no allocation a
 * cable); on failure out is cut back to what it held.  Entries are public
 * text: nothing to wipe.
 */
int dp_logent_encode(const dp_logent *e, dp_buf *out)
{
	if (!entry_ok(e))
		return DP_EINVAL;
	size_t start = out->len;
	int r = entry_put(e, out);
	if (!r && out->len - start > DP_TLOG_ENTRY_MAX)
		r = DP_EINVAL; /* cannot happen within the limits; the entry would not be readable */
	if (r) { /* DP_ETOOBIG: out has no room */
		out->len = start;
		if (out->p)
			out->p[start] = 0;
	}
	return r;
}

/* ---- reading (lib/fields.h; entries are printable ASCII) ---- */

/*
 * dp_fld_take, but the end of the input is "another line" (0), not a
 * missing LF: an entry may end with an optional line left out.
 */
static int take(dp_cur *c, unsigned f, const char **v, size_t *vn)
{
	return c->len ? dp_fld_take(c, fld_name[f], DP_FLD_ASCII, v, vn) : 0;
}

/* Exactly 2n hex digits (the case is left to the re-encoding). */
static int get_hex(uint8_t *out, size_t n, const char *v, size_t vn)
{
	return vn == 2 * n && !dp_hex_decode(out, n, v, vn) ? DP_OK : DP_EPARSE;
}

/* Decimal without leading zeros, <= max; too large is malformed, not too big. */
static int get_uint(uint64_t *out, const char *v, size_t vn, uint64_t max)
{
	int r = dp_fld_uint(out, v, vn, max);
	return r == DP_ETOOBIG ? DP_EPARSE : r;
}

/* "<a>/<b>" into its two halves; DP_EPARSE without exactly one '/'. */
static int split_slash(const char *v, size_t vn, size_t *an, const char **b, size_t *bn)
{
	const char *s = memchr(v, '/', vn);
	if (!s || memchr(s + 1, '/', vn - (size_t)(s - v) - 1))
		return DP_EPARSE;
	*an = (size_t)(s - v);
	*b = s + 1;
	*bn = vn - *an - 1;
	return DP_OK;
}

/* A precedence name (or letter: the re-encoding refuses it) out of v[0..vn). */
static int get_prec(int *p, const char *v, size_t vn)
{
	char s[16];
	if (dp_fld_copy(s, sizeof s, v, vn) || dp_prec_parse(s, p))
		return DP_EPARSE;
	return DP_OK;
}

static int get_rcpt(dp_log_rcpt *rc, const char *v, size_t vn)
{
	uint64_t u;
	if (vn < 2 * DP_ED25519_PK + 2 || v[2 * DP_ED25519_PK] != ' ')
		return DP_EPARSE; /* "<hex64> <epoch>" */
	int r = get_hex(rc->device, DP_ED25519_PK, v, 2 * DP_ED25519_PK);
	if (!r)
		r = get_uint(&u, v + 2 * DP_ED25519_PK + 1, vn - 2 * DP_ED25519_PK - 1, UINT32_MAX);
	if (!r)
		rc->epoch = (uint32_t)u;
	return r;
}

static int get_field(dp_logent *e, unsigned f, const char *v, size_t vn)
{
	uint64_t u;
	size_t an, bn;
	const char *b;
	char s[DP_NAME_MAX + 1];
	int r;
	switch (f) {
	case F_CABLE_ID:
		return get_hex(e->cable_id, DP_CABLE_ID, v, vn);
	case F_ENV_HASH:
		return get_hex(e->envelope_hash, sizeof e->envelope_hash, v, vn);
	case F_ORIGINATOR:
	case F_DEVICE:
		e->has_device = 1;
		return get_hex(e->device, DP_ED25519_PK, v, vn);
	case F_TLS_KEY:
		return get_hex(e->tls_key, DP_ED25519_PK, v, vn);
	case F_APPROVER:
		return get_hex(e->approver, DP_ED25519_PK, v, vn);
	case F_SIGNATURE: {
		size_t sn;
		r = dp_b64_decode(e->sig, sizeof e->sig, &sn, v, vn, 1);
		return !r && sn == DP_ED25519_SIG ? DP_OK : DP_EPARSE;
	}
	case F_REFERENCE:
		return dp_fld_copy(e->mrn, sizeof e->mrn, v, vn);
	case F_OFFICER:
		return dp_fld_copy(e->officer, sizeof e->officer, v, vn);
	case F_POST:
		return dp_fld_copy(e->post, sizeof e->post, v, vn);
	case F_NAME:
		return dp_fld_copy(e->name, sizeof e->name, v, vn);
	case F_CLASS:
		if (dp_fld_copy(s, sizeof s, v, vn) || dp_class_parse(s, &e->classification))
			return DP_EPARSE;
		return DP_OK;
	case F_PREC:
		if ((r = split_slash(v, vn, &an, &b, &bn)) || (r = get_prec(&e->prec_action, v, an)))
			return r;
		return get_prec(&e->prec_info, b, bn);
	case F_SOURCE:
		return dp_fld_copy(e->source, sizeof e->source, v, vn) ? DP_EPARSE : DP_OK;
	case F_PART:
		if ((r = split_slash(v, vn, &an, &b, &bn)) ||
		    (r = get_uint(&u, v, an, DP_LOG_PARTS_MAX)))
			return r;
		e->part = (uint32_t)u;
		if ((r = get_uint(&u, b, bn, DP_LOG_PARTS_MAX)))
			return r;
		e->parts = (uint32_t)u;
		return DP_OK;
	case F_KEY_EPOCH:
		if ((r = get_uint(&u, v, vn, UINT32_MAX)))
			return r;
		e->epoch = (uint32_t)u;
		return DP_OK;
	case F_RECORD:
		e->record = e->record_buf;
		r = dp_b64_decode(e->record_buf, sizeof e->record_buf, &e->record_len, v, vn, 1);
		return r == DP_ETOOBIG ? r : r ? DP_EPARSE : DP_OK;
	case F_OPERATOR:
		return dp_fld_copy(e->operator_, sizeof e->operator_, v, vn);
	case F_ACT:
	case F_RULE:
	case F_ACTION:
	case F_REC_ACT:
		return dp_fld_copy(e->act, sizeof e->act, v, vn);
	case F_REASON:
	case F_DETAIL:
		return dp_fld_copy(e->text, sizeof e->text, v, vn);
	}
	return DP_EPARSE;
}

/* One to DP_LOG_RCPTS_PER_ENTRY Recipient lines. */
static int get_rcpts(dp_logent *e, dp_cur *c)
{
	const char *v;
	size_t vn;
	int r;
	e->rcpts = e->rcpt_buf;
	while ((r = take(c, F_RCPT, &v, &vn)) == 1) {
		if (e->nrcpts == DP_LOG_RCPTS_PER_ENTRY)
			return DP_ETOOBIG; /* more recipients than a part holds */
		if ((r = get_rcpt(&e->rcpt_buf[e->nrcpts], v, vn)))
			return r;
		e->nrcpts++;
	}
	if (r < 0)
		return r;
	return e->nrcpts ? DP_OK : DP_EPARSE; /* at least one */
}

static int entry_decode(dp_logent *e, const uint8_t *p, size_t n)
{
	const char *v;
	size_t vn;
	uint64_t u;
	int r;
	if (n > DP_TLOG_ENTRY_MAX)
		return DP_ETOOBIG;
	dp_cur c = dp_cur_make(p, n);
	const uint8_t *m;
	if (dp_cur_take(&c, &m, sizeof MAGIC - 1) || memcmp(m, MAGIC, sizeof MAGIC - 1))
		return DP_EPARSE; /* not a version 1 entry */
	if ((r = dp_fld_need(&c, "Event", DP_FLD_ASCII, &v, &vn)))
		return r;
	for (size_t i = DP_LOG_CABLE_ACCEPTED; i < NEVENTS && !e->event; i++)
		if (strlen(events[i].name) == vn && !memcmp(events[i].name, v, vn))
			e->event = (int)i;
	if (!e->event)
		return DP_EPARSE; /* an event this version does not know */
	if ((r = dp_fld_need(&c, "Time", DP_FLD_ASCII, &v, &vn)) ||
	    (r = get_uint(&u, v, vn, (uint64_t)DP_CREATED_MAX)))
		return r;
	e->time = (int64_t)u;
	for (const unsigned short *f = events[e->event].f; *f; f++) {
		unsigned id = *f & ~OPT;
		if (id == F_RCPT) {
			r = get_rcpts(e, &c);
		} else {
			r = take(&c, id, &v, &vn);
			if (r == 0 && !(*f & OPT))
				r = DP_EPARSE; /* a required line is missing or misordered */
			else if (r == 1)
				r = get_field(e, id, v, vn);
		}
		if (r < 0)
			return r;
	}
	if (c.len != 0)
		return DP_EPARSE; /* an unknown, repeated or misordered line, or bytes after the last */
	if (!entry_ok(e))
		return DP_EPARSE;
	dp_buf b;
	dp_buf_init(&b, DP_TLOG_ENTRY_MAX);
	r = entry_put(e, &b);
	if (!r && (b.len != n || memcmp(b.p, p, n)))
		r = DP_EPARSE; /* not the canonical form: upper-case hex, "S", "O/R", ... */
	dp_buf_free(&b);
	return r;
}

int dp_logent_decode(dp_logent *e, const uint8_t *p, size_t len)
{
	memset(e, 0, sizeof *e);
	int r = entry_decode(e, p, len);
	if (r)
		memset(e, 0, sizeof *e);
	return r;
}

/* ---- splitting a cable's recipients ---- */

uint32_t dp_log_parts(size_t n)
{
	if (n == 0 || n > (size_t)DP_LOG_PARTS_MAX * DP_LOG_RCPTS_PER_ENTRY)
		return 0;
	return (uint32_t)((n + DP_LOG_RCPTS_PER_ENTRY - 1) / DP_LOG_RCPTS_PER_ENTRY);
}

int dp_logent_set_part(dp_logent *e, const dp_log_rcpt *all, size_t n, uint32_t k)
{
	uint32_t parts = dp_log_parts(n);
	if (!parts || !all || k < 1 || k > parts)
		return DP_EINVAL;
	size_t from = (size_t)(k - 1) * DP_LOG_RCPTS_PER_ENTRY;
	e->part = k;
	e->parts = parts;
	e->rcpts = all + from;
	e->nrcpts = n - from < DP_LOG_RCPTS_PER_ENTRY ? n - from : DP_LOG_RCPTS_PER_ENTRY;
	return DP_OK;
}

/* ---- the Detail of LOG-ROLLBACK ---- */

static int rollback_prefix(char *out, size_t cap, const dp_log_rollback *r)
{
	char hex[2 * DP_TLOG_HASH + 1];
	dp_hex_encode(hex, r->signed_root, DP_TLOG_HASH);
	int n = snprintf(out, cap, "signed-size=%llu signed-root=%s restored-size=%llu: ",
			 (unsigned long long)r->signed_size, hex, (unsigned long long)r->restored_size);
	return n > 0 && (size_t)n < cap ? n : -1;
}

int dp_log_rollback_format(char out[DP_LOG_TEXT_MAX + 1], const dp_log_rollback *r, const char *text)
{
	if (r->restored_size >= r->signed_size || !text || !*text)
		return DP_EINVAL;
	int n = rollback_prefix(out, DP_LOG_TEXT_MAX + 1, r);
	if (n < 0)
		return DP_EINVAL;
	snprintf(out + n, DP_LOG_TEXT_MAX + 1 - (size_t)n, "%s", text);
	/* a text cut at the end must not end with a space (logentry.h <text>) */
	size_t len = strlen(out);
	while (len > (size_t)n && out[len - 1] == ' ')
		out[--len] = 0;
	return len > (size_t)n ? DP_OK : DP_EINVAL;
}

/* The decimal after key at *p up to stop; advances *p past stop. */
static int rollback_num(const char **p, const char *key, char stop, uint64_t *v)
{
	size_t k = strlen(key);
	if (strncmp(*p, key, k) != 0)
		return DP_EPARSE;
	const char *d = *p + k, *e = strchr(d, stop);
	if (!e || dp_num_u64(v, d, (size_t)(e - d), 0, UINT64_MAX))
		return DP_EPARSE;
	*p = e + 1;
	return DP_OK;
}

int dp_log_rollback_parse(dp_log_rollback *r, const char *detail)
{
	dp_log_rollback x;
	memset(&x, 0, sizeof x);
	memset(r, 0, sizeof *r);
	const char *p = detail;
	static const char root_key[] = "signed-root=";
	if (!detail || rollback_num(&p, "signed-size=", ' ', &x.signed_size) ||
	    strncmp(p, root_key, sizeof root_key - 1) != 0)
		return DP_EPARSE;
	p += sizeof root_key - 1;
	if (strlen(p) < 2 * DP_TLOG_HASH + 1 || p[2 * DP_TLOG_HASH] != ' ' ||
	    dp_hex_decode(x.signed_root, DP_TLOG_HASH, p, 2 * DP_TLOG_HASH))
		return DP_EPARSE;
	p += 2 * DP_TLOG_HASH + 1;
	if (rollback_num(&p, "restored-size=", ':', &x.restored_size) || *p != ' ' || !p[1] ||
	    x.restored_size >= x.signed_size)
		return DP_EPARSE;
	/* one spelling: the prefix written again must be the one read (lower-case hex) */
	char again[DP_LOG_TEXT_MAX + 1];
	int n = rollback_prefix(again, sizeof again, &x);
	if (n < 0 || strncmp(again, detail, (size_t)n) != 0)
		return DP_EPARSE;
	*r = x;
	return DP_OK;
}

int dp_log_rollback_covers(const dp_log_rollback *r, uint64_t size, const uint8_t root[DP_TLOG_HASH])
{
	if (size <= r->restored_size || size > r->signed_size)
		return DP_ENOTFOUND; /* that tree was not lost by this rollback */
	if (size == r->signed_size && memcmp(root, r->signed_root, DP_TLOG_HASH) != 0)
		return DP_ESIG;      /* the signer signed another tree of that size */
	return DP_OK;
}
