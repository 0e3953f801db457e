/*
 * denpo/cmd_audit.c - `denpo audit`: accountability from the switch's
 * transparency log (docs/transparency.md §5).
 *
 *   sync                 mirror the log into HOME/audit (denpo/audit_mirror.c)
 *   device|cable|breach  questions answered offline from the mirror, which is
 *                        re-verified (every leaf hash and the root) each time
 *   verify DIR|BAG|FILE  a breach report's proofs, an export bag, or a device's fork evidence,
 *                        checked offline against the log key
 *
 * Devices, officers and posts come from the log's own device-enrolled
 * entries, never from the switch's directory: the answer rests on what
 * the switch signed, not on what it says now.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "denpo/cli.h"
#include "denpo/encoding.h"
#include "denpo/logentry.h"
#include "denpo/num.h"

#define PROOF_FILE_MAX (2 * DP_TLOG_ENTRY_MAX + 4 * DP_NOTE_MAX)

static const char audit_help[] =
	"usage: denpo audit sync [--full] [--min-cosigners K]\n"
	"       denpo audit device DEVICE|--officer HANDLE|--post POST [--from T] [--to T]\n"
	"       denpo audit cable MRN|CABLE_ID\n"
	"       denpo audit breach DEVICE --out DIR\n"
	"       denpo audit verify DIR|BAG|FILE [--log-key VKEY|FILE]\n"
	"\n"
	"Accountability from the switch's transparency log, for officers with the\n"
	"AUDIT role.  `sync` keeps a verified mirror of the log in HOME/audit; the\n"
	"questions are answered offline from it.  `denpo audit COMMAND --help` says more.\n"
	"Times (T): unix seconds, or YYYY-MM-DD[THH:MM[:SS]Z] in UTC.\n";

static const char sync_help[] =
	"usage: denpo audit sync [--full] [--min-cosigners K]\n"
	"\n"
	"Brings the mirror of the log in HOME/audit up to the newest checkpoint that at\n"
	"least K devices cosigned (GET /v1/log/witnessed; only cosignatures that verify\n"
	"count), or, if there is none yet, to the latest checkpoint with a warning that\n"
	"no device witnessed it.  Checks it under the log key of this device's enrolment\n"
	"answer and its consistency with the mirror's previous checkpoint, downloads the\n"
	"new entry bundles, recomputes every leaf hash and the root, and only then puts\n"
	"the new bundles in place and stores the checkpoint: a sync that fails leaves\n"
	"the mirror as it was.  The switch serves entries only to devices of officers\n"
	"with the AUDIT role.  A switch that shows the mirror a different history is\n"
	"caught: exit 3, evidence in HOME/audit/fork-evidence-<time>.txt.\n"
	"  --full               fetch every bundle again (after `audit` reports a damaged mirror)\n"
	"  --min-cosigners K    cosignatures the checkpoint needs (1..32, default 1)\n";

static const char device_help[] =
	"usage: denpo audit device DEVICE [--from T] [--to T]\n"
	"       denpo audit device --officer HANDLE [--from T] [--to T]\n"
	"       denpo audit device --post POST [--from T] [--to T]\n"
	"\n"
	"Which cables did the device (the devices of the officer, of the post) fetch,\n"
	"how often and when, answered from the mirror (run `denpo audit sync` first).\n"
	"Devices of an officer or post are those the log's device-enrolled entries name.\n"
	"DEVICE is the 64-hex device id or a unique prefix of at least 8 digits.\n"
	"  --from T   entries at or after T      --to T   entries before T\n"
	"T: unix seconds, or YYYY-MM-DD[THH:MM[:SS]Z] (UTC).\n";

static const char cable_help[] =
	"usage: denpo audit cable MRN|CABLE_ID\n"
	"\n"
	"Who received the cable (the recipients of its cable-accepted entries), who\n"
	"fetched it and when, who acknowledged it, answered from the mirror.\n";

static const char breach_help[] =
	"usage: denpo audit breach DEVICE --out DIR\n"
	"\n"
	"The breach report for a suspect device: every entry of the log that names it\n"
	"(cables addressed to it or sent from it, fetches, acknowledgements, keys,\n"
	"status changes), in log order, written into DIR (a new or empty directory):\n"
	"  report.txt         for people: device, officer, post, then the entries\n"
	"  report.json        the same for programs\n"
	"  INDEX.tlog-proof   per entry: c2sp.org/tlog-proof@v1 (the entry, its\n"
	"                     inclusion proof and the signed checkpoint)\n"
	"  checkpoint         the signed checkpoint the proofs lead to\n"
	"  log-key.vkey       the log's verifier key\n"
	"`denpo audit verify DIR` (or any tlog implementation) checks it offline.\n";

static const char verify_help[] =
	"usage: denpo audit verify DIR|BAG|FILE [--log-key VKEY|FILE]\n"
	"\n"
	"Checks offline, without the switch:\n"
	"  BAG     an export bag of a declassified cable (`denpo records export`; a\n"
	"          directory with bagit.txt): the BagIt manifests, the cable's signature,\n"
	"          that cable.txt, metadata.json and attachments/ are the signed cable's,\n"
	"          the cable-accepted entry (cable id, MRN, originating device), every log\n"
	"          entry's inclusion proof under the bag's checkpoint, the checkpoint's\n"
	"          signature by the log key, and a declassification proposed and approved\n"
	"          by two different records officers.  Never under the bag's own\n"
	"          data/proofs/log-key (whoever altered the bag could have replaced it)\n"
	"  DIR     a breach report: every INDEX.tlog-proof (the entry's leaf hash, its\n"
	"          inclusion proof, the checkpoint's signature by the log key) and that\n"
	"          every entry report.json lists has its proof; OK or FAIL per file\n"
	"          (all proofs under the report's own checkpoint file)\n"
	"  FILE    one .tlog-proof file, or a device's fork-evidence file: both\n"
	"          checkpoints must verify under the log key and prove a fork\n"
	"The log key: --log-key (the vkey or a file holding it), else this device's\n"
	"enrolment answer, else (a breach report only) the report's own log-key.vkey,\n"
	"with a warning; a BAG is verified under a key given or pinned, never its own.\n"
	"Exit 0 if everything verifies (a fork-evidence file: only if it is conclusive),\n"
	"3 if anything does not, 4 (INCONCLUSIVE) if nothing is wrong but nothing is\n"
	"proven: fork evidence that does not prove a fork by itself, or checks made under\n"
	"a log key taken from the report or file itself.\n";

/* ---- times ---- */

/* Unix seconds, or YYYY-MM-DD[THH:MM[:SS]Z] in UTC; each number in its one spelling (dp_num). */
static int parse_time(const char *s, int64_t *out)
{
	/* 'd' is a digit of a field, any other character must be itself */
	static const struct {
		const char *form;
		size_t fields;
	} forms[] = {{"dddd-dd-dd", 3}, {"dddd-dd-ddTdd:ddZ", 5}, {"dddd-dd-ddTdd:dd:ddZ", 6}};
	static const size_t at[] = {0, 5, 8, 11, 14, 17}, width[] = {4, 2, 2, 2, 2, 2};
	uint64_t f[6] = {0, 0, 0, 0, 0, 0}, secs;
	size_t l = strlen(s), nf = 0;
	if (dp_num_str(&secs, s, 0, 999999999999ULL) == DP_OK) {
		*out = (int64_t)secs;
		return DP_OK;
	}
	for (size_t i = 0; i < sizeof forms / sizeof forms[0] && !nf; i++) {
		size_t fl = strlen(forms[i].form), k = 0;
		while (fl == l && k < l && (forms[i].form[k] == 'd' || forms[i].form[k] == s[k]))
			k++;
		if (fl == l && k == l)
			nf = forms[i].fields;
	}
	if (!nf)
		return DP_EPARSE;
	for (size_t i = 0; i < nf; i++)
		if (dp_num_fixed(&f[i], s + at[i], width[i]))
			return DP_EPARSE; /* a sign, a space: every field is digits */
	struct tm t;
	memset(&t, 0, sizeof t);
	int y = (int)f[0], mo = (int)f[1], d = (int)f[2], h = (int)f[3], mi = (int)f[4], se = (int)f[5];
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return DP_EPARSE;
	t.tm_year = y - 1900;
	t.tm_mon = mo - 1;
	t.tm_mday = d;
	t.tm_hour = h;
	t.tm_min = mi;
	t.tm_sec = se;
	time_t v = timegm(&t);
	if (v == (time_t)-1 || t.tm_mday != d)
		return DP_EPARSE; /* 2026-02-30 */
	*out = (int64_t)v;
	return DP_OK;
}

/* ---- what the log says ---- */

typedef struct {
	uint8_t device[32];
	char officer[DP_NAME_MAX + 1], post[DP_NAME_MAX + 1], name[DP_NAME_MAX + 1];
	uint64_t index;
	int64_t time;
} adev;

typedef struct {
	uint64_t index;
	int64_t time;
	int event;
	uint8_t device[32];
	uint8_t cable_id[DP_CABLE_ID];
	char mrn[DP_MRN_MAX + 1];
	char source[DP_LOG_ADDR_MAX + 1];
	uint32_t epoch;       /* cable-accepted: the recipient's epoch; key-*: the key's */
	int role;             /* breach: 1 originator, 2 recipient */
	char detail[320];
	uint8_t *entry;       /* breach: the entry's bytes (malloc'd) */
	size_t entry_len;
} arec;

enum { Q_DEVICE = 1, Q_CABLE, Q_BREACH };

typedef struct {
	int kind;
	dp_logent *e;
	adev *devs;
	size_t ndevs, capdevs;
	arec *recs;
	size_t nrecs, caprecs;
	/* filters */
	int64_t from, to;
	int has_from, has_to;
	uint8_t cable_id[DP_CABLE_ID];
	int by_id, found_id;
	char mrn[DP_MRN_MAX + 1];
	uint8_t dev[32];
	/* cable: its cable-accepted parts */
	dp_log_rcpt *rcpts;
	size_t nrcpts;
	int have_accepted;
	dp_logent acc; /* the first part's header (rcpts not kept here) */
	uint64_t acc_index;
} qctx;

static void qctx_free(qctx *q)
{
	for (size_t i = 0; i < q->nrecs; i++)
		free(q->recs[i].entry);
	free(q->recs);
	free(q->devs);
	free(q->rcpts);
	free(q->e);
	memset(q, 0, sizeof *q);
}

static arec *add_rec(qctx *q)
{
	if (q->nrecs == q->caprecs) {
		size_t nc = q->caprecs ? 2 * q->caprecs : 64;
		arec *n = realloc(q->recs, nc * sizeof *n);
		if (!n)
			return NULL;
		q->recs = n;
		q->caprecs = nc;
	}
	arec *a = &q->recs[q->nrecs++];
	memset(a, 0, sizeof *a);
	return a;
}

static int add_dev(qctx *q, const dp_logent *e, uint64_t idx)
{
	if (q->ndevs == q->capdevs) {
		size_t nc = q->capdevs ? 2 * q->capdevs : 32;
		adev *n = realloc(q->devs, nc * sizeof *n);
		if (!n)
			return DP_ENOMEM;
		q->devs = n;
		q->capdevs = nc;
	}
	adev *d = &q->devs[q->ndevs++];
	memcpy(d->device, e->device, 32);
	snprintf(d->officer, sizeof d->officer, "%s", e->officer);
	snprintf(d->post, sizeof d->post, "%s", e->post);
	snprintf(d->name, sizeof d->name, "%s", e->name);
	d->index = idx;
	d->time = e->time;
	return DP_OK;
}

static const adev *find_dev(const qctx *q, const uint8_t dev[32])
{
	/* the newest enrolment of the device wins (a device enrolled twice moved) */
	for (size_t i = q->ndevs; i-- > 0;)
		if (memcmp(q->devs[i].device, dev, 32) == 0)
			return &q->devs[i];
	return NULL;
}

/* An access to a cable: a fetch, a receipt, or the archive's read or export of its record copy. */
static int is_access(const dp_logent *e)
{
	int ev = e->event;
	return ev == DP_LOG_CABLE_DELIVERED || ev == DP_LOG_CABLE_FETCHED || ev == DP_LOG_CABLE_ACKED ||
	       dp_logent_reads_record(e);
}

static void detail_of(const dp_logent *e, const uint8_t *dev, char *out, size_t cap)
{
	out[0] = 0;
	switch (e->event) {
	case DP_LOG_CABLE_ACCEPTED:
		if (dev && memcmp(e->device, dev, 32) == 0)
			snprintf(out, cap, "sent by it; %s %s/%s", dp_class_name(e->classification),
				 dp_prec_name(e->prec_action), dp_prec_name(e->prec_info));
		else
			snprintf(out, cap, "addressed to it; %s %s/%s", dp_class_name(e->classification),
				 dp_prec_name(e->prec_action), dp_prec_name(e->prec_info));
		break;
	case DP_LOG_KEY_PUBLISHED:
		snprintf(out, cap, "key epoch %u", e->epoch);
		break;
	case DP_LOG_KEY_RETIRED:
		snprintf(out, cap, "key epoch %u: %.100s", e->epoch, e->text);
		break;
	case DP_LOG_DEVICE_ENROLLED:
		snprintf(out, cap, "officer %s, post %s, name %s; by %.60s", e->officer, e->post, e->name,
			 e->operator_);
		break;
	case DP_LOG_DEVICE_SUSPENDED:
	case DP_LOG_DEVICE_REINSTATED:
	case DP_LOG_DEVICE_REVOKED:
		snprintf(out, cap, "by %.60s%s%.80s", e->operator_, e->text[0] ? ": " : "", e->text);
		break;
	case DP_LOG_ALERT:
	case DP_LOG_CONTAINMENT:
		snprintf(out, cap, "%s%s%.100s", e->act, e->text[0] ? ": " : "", e->text);
		break;
	case DP_LOG_RECORDS:
		snprintf(out, cap, "records %s%s%s by %s%s%.100s", e->act, e->mrn[0] ? " of " : "",
			 e->mrn, e->officer, e->text[0] ? ": " : "", e->text);
		break;
	default:
		break;
	}
}

/* Does entry e name device d (and how: 1 as actor/originator, 2 as recipient)? */
static int names_device(const dp_logent *e, const uint8_t d[32], uint32_t *epoch)
{
	switch (e->event) {
	case DP_LOG_CABLE_ACCEPTED:
		if (memcmp(e->device, d, 32) == 0)
			return 1;
		for (size_t i = 0; i < e->nrcpts; i++)
			if (memcmp(e->rcpts[i].device, d, 32) == 0) {
				*epoch = e->rcpts[i].epoch;
				return 2;
			}
		return 0;
	case DP_LOG_ADMIN:
		return 0;
	case DP_LOG_ALERT:
	case DP_LOG_CONTAINMENT:
		return e->has_device && memcmp(e->device, d, 32) == 0;
	default:
		return memcmp(e->device, d, 32) == 0;
	}
}

static int in_window(const qctx *q, int64_t t)
{
	return (!q->has_from || t >= q->from) && (!q->has_to || t < q->to);
}

static void fill_rec(arec *a, const dp_logent *e, uint64_t idx)
{
	a->index = idx;
	a->time = e->time;
	a->event = e->event;
	memcpy(a->device, e->device, 32);
	memcpy(a->cable_id, e->cable_id, DP_CABLE_ID);
	snprintf(a->mrn, sizeof a->mrn, "%s", e->mrn);
	snprintf(a->source, sizeof a->source, "%s", e->source);
}

static int on_entry(void *ctx, uint64_t idx, const uint8_t *p, size_t len)
{
	qctx *q = ctx;
	dp_logent *e = q->e;
	if (dp_logent_decode(e, p, len) != DP_OK)
		return DP_OK; /* in the log, hashed and counted, but not ours to interpret */
	if (e->event == DP_LOG_DEVICE_ENROLLED && add_dev(q, e, idx))
		return DP_ENOMEM;
	arec *a;
	switch (q->kind) {
	case Q_DEVICE:
		if (!is_access(e) || !in_window(q, e->time))
			return DP_OK;
		if (!(a = add_rec(q)))
			return DP_ENOMEM;
		fill_rec(a, e, idx);
		return DP_OK;
	case Q_CABLE: {
		int match = q->by_id ? memcmp(e->cable_id, q->cable_id, DP_CABLE_ID) == 0
				     : (e->mrn[0] && strcmp(e->mrn, q->mrn) == 0);
		if (!match || !(e->event == DP_LOG_CABLE_ACCEPTED || is_access(e)))
			return DP_OK;
		if (!q->found_id) {
			/* the reference names the cable once the switch assigned it: follow its id */
			memcpy(q->cable_id, e->cable_id, DP_CABLE_ID);
			snprintf(q->mrn, sizeof q->mrn, "%s", e->mrn);
			q->by_id = 1;
			q->found_id = 1;
		}
		if (e->event == DP_LOG_CABLE_ACCEPTED) {
			dp_log_rcpt *n = realloc(q->rcpts, (q->nrcpts + e->nrcpts + 1) * sizeof *n);
			if (!n)
				return DP_ENOMEM;
			q->rcpts = n;
			memcpy(q->rcpts + q->nrcpts, e->rcpts, e->nrcpts * sizeof *n);
			q->nrcpts += e->nrcpts;
			if (!q->have_accepted) {
				q->acc = *e;
				q->acc.rcpts = NULL;
				q->acc.nrcpts = 0;
				q->acc_index = idx;
				q->have_accepted = 1;
			}
			return DP_OK;
		}
		if (!(a = add_rec(q)))
			return DP_ENOMEM;
		fill_rec(a, e, idx);
		return DP_OK;
	}
	case Q_BREACH: {
		uint32_t ep = 0;
		int how = names_device(e, q->dev, &ep);
		if (!how)
			return DP_OK;
		if (!(a = add_rec(q)))
			return DP_ENOMEM;
		fill_rec(a, e, idx);
		a->role = how;
		a->epoch = e->event == DP_LOG_CABLE_ACCEPTED ? ep : e->epoch;
		detail_of(e, q->dev, a->detail, sizeof a->detail);
		if (e->event == DP_LOG_CABLE_ACCEPTED && how == 2 && strlen(a->detail) + 24 < sizeof a->detail)
			snprintf(a->detail + strlen(a->detail), sizeof a->detail - strlen(a->detail),
				 ", key epoch %u", ep);
		a->entry = malloc(len);
		if (!a->entry)
			return DP_ENOMEM;
		memcpy(a->entry, p, len);
		a->entry_len = len;
		return DP_OK;
	}
	default:
		return DP_OK;
	}
}

/* Open and verify the mirror, running the query q over every entry. */
static int run_query(cli_ctx *x, const char *cmd, qctx *q, audit_mirror *m, int keep_leaves)
{
	int ec = cli_load_answer(x);
	if (ec)
		return ec;
	q->e = malloc(sizeof *q->e);
	if (!q->e)
		return cli_fail(x, DP_ENOMEM, NULL, "audit %s", cmd);
	char why[512];
	int r = audit_mirror_open(x, m, keep_leaves, on_entry, q, why, sizeof why);
	if (r == DP_ENOTFOUND)
		return cli_fail(x, r, "run `denpo audit sync` first (it needs the AUDIT role)", "audit %s: %s",
				cmd, why);
	if (r)
		return cli_fail(x, r, NULL, "audit %s: %s", cmd, why);
	return EXIT_OK;
}

/*
 * Device cosignatures on the mirror's checkpoint that verify, by devices a
 * device-enrolled entry of the mirrored log (below the checkpoint's size)
 * names: a key the log never enrolled vouches for nothing.
 */
static size_t mirror_cosigs(const audit_mirror *m, const qctx *q)
{
	uint8_t (*ids)[32] = malloc((q->ndevs ? q->ndevs : 1) * sizeof *ids);
	if (!ids)
		return 0;
	for (size_t i = 0; i < q->ndevs; i++)
		memcpy(ids[i], q->devs[i].device, 32);
	size_t n = audit_count_cosigs_of(&m->ck, (const uint8_t(*)[32])ids, q->ndevs);
	free(ids);
	return n;
}

static json_t *log_json(const audit_mirror *m, const qctx *q)
{
	char root[48];
	dp_b64_encode(root, m->ck.cp.root, DP_TLOG_HASH, 1);
	size_t n = mirror_cosigs(m, q);
	return json_pack("{s:s, s:I, s:s, s:I, s:b}", "origin", m->ck.cp.origin, "size",
			 (json_int_t)m->ck.cp.size, "root", root, "cosignatures", (json_int_t)n, "witnessed",
			 n > 0);
}

static json_t *rec_json(const arec *a)
{
	char dev[65], id[DP_HEXID];
	dp_hex_encode(dev, a->device, 32);
	dp_hex_encode(id, a->cable_id, DP_CABLE_ID);
	json_t *o = json_pack("{s:I, s:I, s:s, s:s}", "index", (json_int_t)a->index, "time",
			      (json_int_t)a->time, "event", dp_log_event_name(a->event), "device", dev);
	if (a->mrn[0]) {
		json_object_set_new(o, "mrn", json_string(a->mrn));
		json_object_set_new(o, "cable_id", json_string(id));
	}
	if (a->source[0])
		json_object_set_new(o, "source", json_string(a->source));
	return o;
}

static json_t *dev_json(const adev *d)
{
	char dev[65];
	dp_hex_encode(dev, d->device, 32);
	if (!d->officer[0])
		return json_pack("{s:s}", "device", dev); /* no device-enrolled entry names it */
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "device", dev, "officer", d->officer, "post",
			 d->post, "name", d->name, "enrolled_index", (json_int_t)d->index, "enrolled",
			 (json_int_t)d->time);
}

/* A device argument: 64 hex, or a unique prefix (>= 8 hex digits) among the log's devices. */
static int pick_device(const qctx *q, const char *s, uint8_t out[32], const char **err)
{
	size_t l = strlen(s);
	for (size_t i = 0; i < l; i++)
		if (!isxdigit((unsigned char)s[i])) {
			*err = "a device is given by its hexadecimal id";
			return DP_EPARSE;
		}
	if (l == 64)
		return dp_hex_decode(out, 32, s, 64) ? DP_EPARSE : DP_OK;
	if (l < 8 || l > 64) {
		*err = "give the 64-hex device id or a prefix of at least 8 digits";
		return DP_EPARSE;
	}
	int found = 0;
	for (size_t i = 0; i < q->ndevs; i++) {
		char hex[65];
		dp_hex_encode(hex, q->devs[i].device, 32);
		if (strncasecmp(hex, s, l) != 0)
			continue;
		if (found && memcmp(out, q->devs[i].device, 32) != 0) {
			*err = "the prefix matches several devices of the log: give more digits";
			return DP_EPARSE;
		}
		memcpy(out, q->devs[i].device, 32);
		found = 1;
	}
	if (!found) {
		*err = "no device-enrolled entry of the log names such a device";
		return DP_ENOTFOUND;
	}
	return DP_OK;
}

/* ---- audit sync ---- */

static int do_sync(cli_ctx *x, int full, unsigned min_cosigners)
{
	int ec = cli_open_client(x);
	if (ec)
		return ec;
	audit_sync_result res;
	char ev[PATH_MAX], why[768];
	int witnessed = 0;
	int r = audit_sync_min(x, full, min_cosigners, &res, &witnessed, ev, why, sizeof why);
	if (r == CLI_EFORK) {
		fprintf(stderr, "denpo: audit sync: %s\n", why);
		return cli_log_fork_fail(x, ev);
	}
	if (r && (dp_client_http_status(x->cl) == 403 || r == DP_EDENIED) &&
	    (r == DP_EDENIED || r == DP_EDEVICE)) {
		fprintf(stderr, "denpo: audit sync: the switch refuses the log's entries to this device: "
				"%s\n"
				"  -> ask the HQ operator to give officer %s the AUDIT role "
				"(`denpod officer add %s --roles AUDIT ...`), then sync again\n",
			dp_client_message(x->cl)[0] ? dp_client_message(x->cl)
						    : "only devices of officers with the AUDIT role may read them",
			x->ans.officer, x->ans.officer);
		if (x->json)
			dp_json_print(json_pack("{s:s, s:s}", "error", dp_errname(r), "message",
						 "the switch refuses the log's entries: AUDIT role needed"));
		return EXIT_ERR;
	}
	if (r == DP_ESIG)
		return cli_fail_why(x, r, "report it to security operations; the mirror was left as it was",
				    "audit sync: %s", why);
	if (r == DP_ESTATE)
		return cli_fail(x, r, "report it to security operations; the mirror was left as it was",
				"audit sync: %s", why);
	if (r)
		return cli_fail(x, r, "nothing was changed; try again", "audit sync: %s", why);
	{
		/*
		 * Count again from the mirror now in place: only devices a
		 * device-enrolled entry of the mirrored log names vouch for its
		 * checkpoint (a key the log never enrolled is no device).
		 */
		qctx q0;
		memset(&q0, 0, sizeof q0);
		q0.kind = Q_DEVICE;
		q0.has_from = q0.has_to = 1; /* an empty window: only the devices are collected */
		q0.from = 1;
		q0.to = 0;
		audit_mirror m0;
		ec = run_query(x, "sync", &q0, &m0, 0);
		if (ec) {
			qctx_free(&q0);
			return ec;
		}
		size_t all = res.cosigs;
		res.cosigs = mirror_cosigs(&m0, &q0);
		audit_mirror_free(&m0);
		qctx_free(&q0);
		unsigned k = min_cosigners ? min_cosigners : 1;
		if (witnessed && res.cosigs < k) {
			fprintf(stderr,
				"denpo: audit sync: warning: the checkpoint carries %zu good cosignature%s but "
				"only %zu by devices the log enrolled (fewer than %u): it is UNWITNESSED; "
				"report the unknown cosigners to security operations\n",
				all, all == 1 ? "" : "s", res.cosigs, k);
			witnessed = -1; /* said: not the generic warning below */
		}
	}
	if (!witnessed)
		fprintf(stderr,
			"denpo: audit sync: warning: no checkpoint of the log is cosigned by %u device%s yet: "
			"the mirror follows the latest checkpoint, which is UNWITNESSED (cosigned by %zu "
			"devices); answers from it rest on the switch's word alone until devices cosign one\n",
			min_cosigners, min_cosigners == 1 ? "" : "s", res.cosigs);
	{
		uint64_t at;
		r = audit_index_check(x, &at, why, sizeof why);
		if (r == DP_ENOTFOUND)
			fprintf(stderr, "denpo: audit sync: warning: %s\n", why);
		else if (r == DP_ESIG)
			return cli_fail(x, r, "report it to security operations with the mirror (HOME/audit): "
					      "anyone with the log's key can recompute it",
					"audit sync: %s", why);
		else if (r)
			return cli_fail(x, r, "run `denpo audit sync --full`", "audit sync: %s", why);
	}
	char root[48];
	dp_b64_encode(root, res.root, DP_TLOG_HASH, 1);
	if (x->json)
		dp_json_print(json_pack("{s:I, s:I, s:s, s:I, s:I, s:b, s:I, s:b}", "old_size",
					 (json_int_t)res.old_size, "size", (json_int_t)res.size, "root", root,
					 "fetched", (json_int_t)res.fetched, "cosignatures", (json_int_t)res.cosigs,
					 "witnessed", witnessed > 0, "min_cosigners", (json_int_t)min_cosigners,
					 "up_to_date", res.up_to_date || res.size == res.old_size));
	else if (res.up_to_date || res.size == res.old_size)
		printf("mirror up to date: %llu entries, root %s, checkpoint cosigned by %zu devices\n",
		       (unsigned long long)res.size, root, res.cosigs);
	else
		printf("mirror verified: %llu -> %llu entries (%zu bundles fetched), root %s, checkpoint "
		       "cosigned by %zu devices\n",
		       (unsigned long long)res.old_size, (unsigned long long)res.size, res.fetched, root,
		       res.cosigs);
	return EXIT_OK;
}

/* ---- audit device ---- */

typedef struct {
	uint8_t device[32];
	uint8_t cable_id[DP_CABLE_ID];
	char mrn[DP_MRN_MAX + 1];
	size_t fetches;
	int64_t first, last, acked;
} arow;

static int do_device(cli_ctx *x, const char *dev, const char *officer, const char *post, qctx *q)
{
	audit_mirror m;
	q->kind = Q_DEVICE;
	int ec = run_query(x, "device", q, &m, 0);
	if (ec)
		return ec;
	/* the devices asked about */
	uint8_t one[32];
	if (dev) {
		const char *err = "";
		int r = pick_device(q, dev, one, &err);
		if (r) {
			audit_mirror_free(&m);
			return cli_fail(x, r, NULL, "audit device %s: %s", dev, err);
		}
	}
	size_t nsel = 0;
	adev *sel = calloc(q->ndevs + 1, sizeof *sel);
	if (!sel) {
		audit_mirror_free(&m);
		return cli_fail(x, DP_ENOMEM, NULL, "audit device");
	}
	for (size_t i = 0; i < q->ndevs; i++) {
		const adev *d = &q->devs[i];
		int want = dev ? memcmp(d->device, one, 32) == 0
			       : officer ? strcmp(d->officer, officer) == 0 : strcmp(d->post, post) == 0;
		int dup = 0;
		for (size_t k = 0; k < nsel; k++)
			dup |= memcmp(sel[k].device, d->device, 32) == 0;
		if (want && !dup)
			sel[nsel++] = *find_dev(q, d->device);
	}
	if (dev && nsel == 0) {
		/* not in the log's enrolments (an old log?): still answer for the id */
		memset(&sel[0], 0, sizeof sel[0]);
		memcpy(sel[0].device, one, 32);
		nsel = 1;
	}
	/* rows: one per (device, cable) */
	arow *rows = calloc(q->nrecs + 1, sizeof *rows);
	size_t nrows = 0, nfetch = 0;
	json_t *ents = json_array();
	for (size_t i = 0; rows && i < q->nrecs; i++) {
		const arec *a = &q->recs[i];
		int in = 0;
		for (size_t k = 0; k < nsel && !in; k++)
			in = memcmp(sel[k].device, a->device, 32) == 0;
		if (!in)
			continue;
		size_t j = 0;
		for (; j < nrows; j++)
			if (!memcmp(rows[j].device, a->device, 32) && !memcmp(rows[j].cable_id, a->cable_id, DP_CABLE_ID))
				break;
		if (j == nrows) {
			memcpy(rows[j].device, a->device, 32);
			memcpy(rows[j].cable_id, a->cable_id, DP_CABLE_ID);
			snprintf(rows[j].mrn, sizeof rows[j].mrn, "%s", a->mrn);
			nrows++;
		}
		arow *w = &rows[j];
		if (a->event == DP_LOG_CABLE_ACKED) {
			if (!w->acked)
				w->acked = a->time;
		} else {
			w->fetches++;
			nfetch++;
			if (!w->first || a->time < w->first)
				w->first = a->time;
			if (a->time > w->last)
				w->last = a->time;
		}
		json_array_append_new(ents, rec_json(a));
	}
	if (!rows) {
		free(sel);
		json_decref(ents);
		audit_mirror_free(&m);
		return cli_fail(x, DP_ENOMEM, NULL, "audit device");
	}
	size_t ncables = 0;
	for (size_t j = 0; j < nrows; j++)
		ncables += rows[j].fetches > 0;
	if (x->json) {
		json_t *ds = json_array(), *cs = json_array();
		for (size_t k = 0; k < nsel; k++)
			json_array_append_new(ds, dev_json(&sel[k]));
		for (size_t j = 0; j < nrows; j++) {
			char d[65], id[DP_HEXID];
			dp_hex_encode(d, rows[j].device, 32);
			dp_hex_encode(id, rows[j].cable_id, DP_CABLE_ID);
			json_array_append_new(
				cs, json_pack("{s:s, s:s, s:s, s:I, s:o, s:o, s:o}", "mrn", rows[j].mrn,
					      "cable_id", id, "device", d, "fetches", (json_int_t)rows[j].fetches,
					      "first", rows[j].first ? json_integer(rows[j].first) : json_null(),
					      "last", rows[j].last ? json_integer(rows[j].last) : json_null(),
					      "acked", rows[j].acked ? json_integer(rows[j].acked) : json_null()));
		}
		json_t *o = json_pack("{s:o, s:o, s:o, s:o}", "log", log_json(&m, q), "devices", ds, "cables", cs,
				      "entries", ents);
		if (q->has_from)
			json_object_set_new(o, "from", json_integer(q->from));
		if (q->has_to)
			json_object_set_new(o, "to", json_integer(q->to));
		dp_json_print(o);
	} else {
		json_decref(ents);
		char t1[32], t2[32], t3[32];
		printf("log %s: mirror of %llu entries, verified\n", m.ck.cp.origin,
		       (unsigned long long)m.ck.cp.size);
		printf("devices (from the log's device-enrolled entries):\n");
		for (size_t k = 0; k < nsel; k++) {
			char d[65];
			dp_hex_encode(d, sel[k].device, 32);
			if (sel[k].officer[0]) {
				audit_fmt_time(sel[k].time, t1);
				printf("  %s  officer %s, post %s, name %s, enrolled %s (entry %llu)\n", d,
				       sel[k].officer, sel[k].post, sel[k].name, t1,
				       (unsigned long long)sel[k].index);
			} else
				printf("  %s  (no device-enrolled entry in the log)\n", d);
		}
		if (nsel == 0)
			printf("  none\n");
		printf("cables fetched");
		if (q->has_from)
			audit_fmt_time(q->from, t1), printf(" from %s", t1);
		if (q->has_to)
			audit_fmt_time(q->to, t2), printf(" before %s", t2);
		printf(":\n");
		if (nrows)
			printf("  %-18s %-32s %-16s %7s  %-20s  %-20s  %s\n", "REFERENCE", "CABLE ID", "DEVICE",
			       "FETCHES", "FIRST", "LAST", "ACKNOWLEDGED");
		for (size_t j = 0; j < nrows; j++) {
			char d[65], id[DP_HEXID];
			dp_hex_encode(d, rows[j].device, 32);
			dp_hex_encode(id, rows[j].cable_id, DP_CABLE_ID);
			if (rows[j].first)
				audit_fmt_time(rows[j].first, t1), audit_fmt_time(rows[j].last, t2);
			else
				strcpy(t1, "-"), strcpy(t2, "-");
			if (rows[j].acked)
				audit_fmt_time(rows[j].acked, t3);
			else
				strcpy(t3, "-");
			printf("  %-18s %-32s %.16s %7zu  %-20s  %-20s  %s\n", rows[j].mrn, id, d, rows[j].fetches,
			       t1, t2, t3);
		}
		printf("%zu cables, %zu fetches\n", ncables, nfetch);
	}
	free(rows);
	free(sel);
	audit_mirror_free(&m);
	return EXIT_OK;
}

/* ---- audit cable ---- */

static int do_cable(cli_ctx *x, const char *ref, qctx *q)
{
	/* a cable id, or a reference number (normalised like cli_ref_to_id does) */
	size_t l = strlen(ref);
	if (l == 32 && dp_hex_decode(q->cable_id, DP_CABLE_ID, ref, 32) == DP_OK)
		q->by_id = 1;
	else {
		size_t n = 0;
		for (const char *s = ref; *s; s++) {
			char ch = (char)toupper((unsigned char)*s);
			if (ch == ' ' && (n == 0 || q->mrn[n - 1] == ' '))
				continue;
			if (n >= DP_MRN_MAX)
				return cli_usage("audit", "'%s' is neither a reference number nor a cable id", ref);
			q->mrn[n++] = ch;
		}
		while (n && q->mrn[n - 1] == ' ')
			n--;
		q->mrn[n] = 0;
		if (!dp_mrn_ok(q->mrn))
			return cli_usage("audit", "'%s' is neither a reference number (\"26 HQ 000012\") nor a "
						  "32-hex cable id", ref);
	}
	q->kind = Q_CABLE;
	audit_mirror m;
	int ec = run_query(x, "cable", q, &m, 0);
	if (ec)
		return ec;
	if (!q->found_id) {
		audit_mirror_free(&m);
		return cli_fail(x, DP_ENOTFOUND, "run `denpo audit sync` if the cable is recent",
				"audit cable: no entry of the mirrored log names %s", ref);
	}
	char id[DP_HEXID];
	dp_hex_encode(id, q->cable_id, DP_CABLE_ID);
	json_t *recips = json_array(), *ents = json_array();
	char t1[32], t2[32], t3[32];
	if (!x->json) {
		printf("cable %s (id %s)\n", q->mrn, id);
		if (q->have_accepted) {
			char d[65];
			dp_hex_encode(d, q->acc.device, 32);
			audit_fmt_time(q->acc.time, t1);
			printf("accepted %s (entry %llu): %s %s/%s, from device %s (officer %s, post %s)%s%s\n",
			       t1, (unsigned long long)q->acc_index, dp_class_name(q->acc.classification),
			       dp_prec_name(q->acc.prec_action), dp_prec_name(q->acc.prec_info), d, q->acc.officer,
			       q->acc.post, q->acc.source[0] ? " from " : "", q->acc.source);
		} else
			printf("no cable-accepted entry in the mirror (it precedes the log?)\n");
		printf("recipients (%zu):\n", q->nrcpts);
		if (q->nrcpts)
			printf("  %-64s %-14s %-12s %5s  %-20s %7s  %s\n", "DEVICE", "OFFICER", "POST", "EPOCH",
			       "DELIVERED", "FETCHES", "ACKNOWLEDGED");
	}
	for (size_t i = 0; i < q->nrcpts; i++) {
		const dp_log_rcpt *rc = &q->rcpts[i];
		const adev *d = find_dev(q, rc->device);
		int64_t delivered = 0, acked = 0;
		size_t fetches = 0;
		for (size_t k = 0; k < q->nrecs; k++) {
			const arec *a = &q->recs[k];
			if (memcmp(a->device, rc->device, 32) != 0)
				continue;
			if (a->event == DP_LOG_CABLE_ACKED) {
				if (!acked)
					acked = a->time;
			} else {
				fetches++;
				if (a->event == DP_LOG_CABLE_DELIVERED && !delivered)
					delivered = a->time;
			}
		}
		char dh[65];
		dp_hex_encode(dh, rc->device, 32);
		if (x->json)
			json_array_append_new(
				recips, json_pack("{s:s, s:s, s:s, s:I, s:o, s:I, s:o}", "device", dh, "officer",
						  d ? d->officer : "", "post", d ? d->post : "", "epoch",
						  (json_int_t)rc->epoch,
						  "delivered", delivered ? json_integer(delivered) : json_null(),
						  "fetches", (json_int_t)fetches, "acked",
						  acked ? json_integer(acked) : json_null()));
		else {
			if (delivered)
				audit_fmt_time(delivered, t2);
			else
				strcpy(t2, "-");
			if (acked)
				audit_fmt_time(acked, t3);
			else
				strcpy(t3, "-");
			printf("  %s %-14s %-12s %5u  %-20s %7zu  %s\n", dh, d ? d->officer : "?", d ? d->post : "?",
			       rc->epoch, t2, fetches, t3);
		}
	}
	if (!x->json && q->nrecs)
		printf("entries:\n  %-8s %-20s %-16s %-64s %s\n", "INDEX", "TIME", "EVENT", "DEVICE", "SOURCE");
	for (size_t k = 0; k < q->nrecs; k++) {
		const arec *a = &q->recs[k];
		if (x->json)
			json_array_append_new(ents, rec_json(a));
		else {
			char dh[65];
			dp_hex_encode(dh, a->device, 32);
			audit_fmt_time(a->time, t1);
			printf("  %-8llu %-20s %-16s %s %s\n", (unsigned long long)a->index, t1,
			       dp_log_event_name(a->event), dh, a->source[0] ? a->source : "-");
		}
	}
	if (x->json) {
		json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:o}", "cable_id", id, "mrn", q->mrn, "log",
				      log_json(&m, q), "recipients", recips, "entries", ents);
		if (q->have_accepted) {
			char d[65];
			dp_hex_encode(d, q->acc.device, 32);
			json_t *a = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "index",
					      (json_int_t)q->acc_index, "time", (json_int_t)q->acc.time,
					      "originator", d, "officer", q->acc.officer, "post", q->acc.post,
					      "classification", dp_class_name(q->acc.classification),
					      "precedence", dp_prec_name(q->acc.prec_action), "info_precedence",
					      dp_prec_name(q->acc.prec_info));
			if (q->acc.source[0])
				json_object_set_new(a, "source", json_string(q->acc.source));
			json_object_set_new(o, "accepted", a);
		} else
			json_object_set_new(o, "accepted", json_null());
		dp_json_print(o);
	} else {
		json_decref(recips);
		json_decref(ents);
	}
	audit_mirror_free(&m);
	return EXIT_OK;
}

/* ---- audit breach ---- */

static int write_out(const char *dir, const char *name, const void *p, size_t n)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
		return DP_EINVAL;
	return dp_write_file(path, p, n, 0600, 1);
}

static int dir_empty_or_new(const char *dir)
{
	if (mkdir(dir, 0700) == 0)
		return DP_OK;
	if (errno != EEXIST)
		return DP_EIO;
	DIR *d = opendir(dir);
	if (!d)
		return DP_EIO;
	struct dirent *de;
	int empty = 1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty ? DP_OK : DP_EEXISTS;
}

static int do_breach(cli_ctx *x, const char *dev, const char *out, qctx *q)
{
	/* the device first: its enrolment is in the log too, so parse now, resolve after */
	q->kind = Q_BREACH;
	size_t l = strlen(dev);
	int prefix = l != 64;
	if (!prefix && dp_hex_decode(q->dev, 32, dev, 64))
		return cli_usage("audit", "DEVICE is the 64-hex device id (or a unique prefix)");
	if (prefix) {
		/* resolve a prefix against the mirror, then run the real pass */
		qctx q0;
		memset(&q0, 0, sizeof q0);
		q0.kind = Q_DEVICE;
		q0.has_from = q0.has_to = 1; /* an empty window: only the devices are collected */
		q0.from = 1;
		q0.to = 0;
		audit_mirror m0;
		int ec = run_query(x, "breach", &q0, &m0, 0);
		if (ec) {
			qctx_free(&q0);
			return ec;
		}
		audit_mirror_free(&m0);
		const char *err = "";
		int r = pick_device(&q0, dev, q->dev, &err);
		qctx_free(&q0);
		if (r)
			return cli_fail(x, r, NULL, "audit breach %s: %s", dev, err);
	}
	int r = dir_empty_or_new(out);
	if (r)
		return cli_fail(x, r, "give a new or empty directory", "audit breach: cannot use %s", out);
	audit_mirror m;
	int ec = run_query(x, "breach", q, &m, 1);
	if (ec)
		return ec;
	char dh[65], vk[DP_NOTE_VKEY_MAX + 1], t1[32], root[48];
	dp_hex_encode(dh, q->dev, 32);
	dp_note_vkey k;
	if (cli_log_key(x, &k) || dp_note_vkey_format(vk, sizeof vk, &k))
		vk[0] = 0;
	dp_b64_encode(root, m.ck.cp.root, DP_TLOG_HASH, 1);
	size_t ncosig = mirror_cosigs(&m, q);
	const adev *d = find_dev(q, q->dev);
	dp_buf txt;
	dp_buf_init(&txt, (size_t)64 << 20);
	audit_fmt_time((int64_t)time(NULL), t1);
	r = dp_buf_printf(&txt,
			  "DENPO BREACH REPORT\n\n"
			  "Device:    %s\nOfficer:   %s\nPost:      %s\nName:      %s\n",
			  dh, d ? d->officer : "(no device-enrolled entry in the log)", d ? d->post : "-",
			  d ? d->name : "-");
	if (!r && d) {
		char t0[32];
		audit_fmt_time(d->time, t0);
		r = dp_buf_printf(&txt, "Enrolled:  %s (log entry %llu)\n", t0, (unsigned long long)d->index);
	}
	r = r ? r : dp_buf_printf(&txt,
				  "Log:       %s, checkpoint of %llu entries, root %s\n"
				  "Cosigned:  by %zu devices (cosignatures that verify, by devices the log enrolled)%s\n"
				  "Log key:   %s\n"
				  "Made:      %s by denpo audit breach (officer %s)\n\n"
				  "Every entry of the log that names the device, in log order (%zu).  For each,\n"
				  "INDEX.tlog-proof proves it is entry INDEX of the log whose checkpoint the log\n"
				  "key signed (file checkpoint); check them all offline with\n"
				  "  denpo audit verify THIS-DIRECTORY --log-key log-key.vkey\n"
				  "after comparing log-key.vkey with the log key the ministry publishes.\n\n"
				  "%-8s %-20s %-17s %-18s %-15s %s\n",
				  m.ck.cp.origin, (unsigned long long)m.ck.cp.size, root, ncosig,
				  ncosig ? "" : "\n           UNWITNESSED: no device vouches for this checkpoint; "
						"sync again once devices have cosigned one",
				  vk, t1,
				  x->ans.officer, q->nrecs, "INDEX", "TIME (UTC)", "EVENT", "REFERENCE", "SOURCE",
				  "DETAIL");
	json_t *ents = json_array();
	dp_buf pf;
	dp_buf_init(&pf, PROOF_FILE_MAX);
	dp_tlog_proof *tp = calloc(1, sizeof *tp);
	if (!tp)
		r = DP_ENOMEM;
	for (size_t i = 0; !r && i < q->nrecs; i++) {
		const arec *a = &q->recs[i];
		char name[64];
		snprintf(name, sizeof name, "%llu.tlog-proof", (unsigned long long)a->index);
		memset(tp, 0, sizeof *tp);
		tp->index = a->index;
		r = audit_mirror_prove(&m, a->index, tp->proof, &tp->n);
		if (r)
			break;
		memcpy(tp->extra_buf, a->entry, a->entry_len);
		tp->extra_len = a->entry_len;
		tp->has_extra = 1;
		tp->note = m.ck.note;
		tp->note_len = m.ck.len;
		dp_buf_reset(&pf);
		pf.len = 0;
		r = dp_tlog_proof_encode(&pf, tp);
		r = r ? r : write_out(out, name, pf.p, pf.len);
		if (r)
			break;
		audit_fmt_time(a->time, t1);
		r = dp_buf_printf(&txt, "%-8llu %-20s %-17s %-18s %-15s %s\n", (unsigned long long)a->index, t1,
				  dp_log_event_name(a->event), a->mrn[0] ? a->mrn : "-",
				  a->source[0] ? a->source : "-", a->detail);
		json_t *o = rec_json(a);
		json_object_set_new(o, "detail", json_string(a->detail));
		json_object_set_new(o, "proof", json_string(name));
		json_array_append_new(ents, o);
	}
	free(tp);
	dp_buf_free(&pf);
	if (!r) {
		json_t *o = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "device", dh, "officer",
				      d ? json_string(d->officer) : json_null(), "post",
				      d ? json_string(d->post) : json_null(), "name",
				      d ? json_string(d->name) : json_null(), "log",
				      log_json(&m, q), "entries", ents);
		ents = NULL;
		json_object_set_new(json_object_get(o, "log"), "key", json_string(vk));
		if (d)
			json_object_set_new(o, "enrolled_index", json_integer((json_int_t)d->index));
		char *js = json_dumps(o, JSON_INDENT(1) | JSON_ENSURE_ASCII);
		json_decref(o);
		r = js ? write_out(out, "report.json", js, strlen(js)) : DP_ENOMEM;
		free(js);
	}
	json_decref(ents);
	r = r ? r : write_out(out, "report.txt", txt.p, txt.len);
	r = r ? r : write_out(out, "checkpoint", m.ck.note, m.ck.len);
	if (!r) {
		char line[DP_NOTE_VKEY_MAX + 2];
		snprintf(line, sizeof line, "%s\n", vk);
		r = write_out(out, "log-key.vkey", line, strlen(line));
	}
	dp_buf_free(&txt);
	size_t n = q->nrecs;
	audit_mirror_free(&m);
	if (r)
		return cli_fail(x, r, "remove the directory and try again", "audit breach: cannot write the report into %s", out);
	if (x->json)
		dp_json_print(json_pack("{s:s, s:s, s:I}", "device", dh, "out", out, "entries", (json_int_t)n));
	else
		printf("breach report for device %s: %zu entries, each with its proof, in %s\n", dh, n, out);
	return EXIT_OK;
}

/* ---- dispatch ---- */

int cmd_audit(cli_ctx *x, int argc, char **argv)
{
	enum { O_FROM = 1, O_TO, O_OFFICER, O_POST, O_OUT, O_KEY, O_FULL, O_MINCOSIG };
	static const struct option lo[] = {
		{"from", required_argument, NULL, O_FROM},
		{"to", required_argument, NULL, O_TO},
		{"officer", required_argument, NULL, O_OFFICER},
		{"post", required_argument, NULL, O_POST},
		{"out", required_argument, NULL, O_OUT},
		{"log-key", required_argument, NULL, O_KEY},
		{"full", no_argument, NULL, O_FULL},
		{"min-cosigners", required_argument, NULL, O_MINCOSIG},
		CLI_COMMON_OPTS,
		{NULL, 0, NULL, 0},
	};
	const char *sub = argc > 1 && argv[1][0] != '-' ? argv[1] : NULL;
	const char *help = audit_help;
	if (sub && !strcmp(sub, "sync"))
		help = sync_help;
	else if (sub && !strcmp(sub, "device"))
		help = device_help;
	else if (sub && !strcmp(sub, "cable"))
		help = cable_help;
	else if (sub && !strcmp(sub, "breach"))
		help = breach_help;
	else if (sub && !strcmp(sub, "verify"))
		help = verify_help;
	else if (sub)
		return cli_usage("audit", "unknown subcommand '%s' (sync, device, cable, breach, verify)", sub);
	qctx q;
	memset(&q, 0, sizeof q);
	const char *officer = NULL, *post = NULL, *out = NULL, *key = NULL;
	int full = 0, o;
	unsigned min_cosigners = 0;
	/* options after the subcommand: parse argv shifted by one (getopt restarts at optind 0) */
	int ac = argc - (sub ? 1 : 0);
	char **av = argv + (sub ? 1 : 0);
	optind = 0;
	while ((o = getopt_long(ac, av, "", lo, NULL)) != -1) {
		if (o == OPT_HELP) {
			fputs(help, stdout);
			return EXIT_OK;
		}
		if (cli_common_opt(x, o, optarg))
			continue;
		switch (o) {
		case O_FROM:
		case O_TO: {
			int64_t t;
			if (parse_time(optarg, &t))
				return cli_usage("audit", "--%s takes unix seconds or YYYY-MM-DD[THH:MM[:SS]Z], not '%s'",
						 o == O_FROM ? "from" : "to", optarg);
			if (o == O_FROM)
				q.from = t, q.has_from = 1;
			else
				q.to = t, q.has_to = 1;
			break;
		}
		case O_OFFICER:
			officer = optarg;
			break;
		case O_POST:
			post = optarg;
			break;
		case O_OUT:
			out = optarg;
			break;
		case O_KEY:
			key = optarg;
			break;
		case O_FULL:
			full = 1;
			break;
		case O_MINCOSIG: {
			uint64_t v;
			if (dp_num_str(&v, optarg, 1, 32))
				return cli_usage("audit", "--min-cosigners takes a number of devices, 1..32, not '%s'",
						 optarg);
			min_cosigners = (unsigned)v;
			break;
		}
		default:
			return cli_usage("audit", "unknown option");
		}
	}
	if (!sub)
		return cli_usage("audit", "which one: sync, device, cable, breach or verify?");
	const char *arg = optind < ac ? av[optind] : NULL;
	if (optind + 1 < ac)
		return cli_usage("audit", "unexpected argument '%s'", av[optind + 1]);
	int is_sync = !strcmp(sub, "sync"), is_dev = !strcmp(sub, "device"), is_cable = !strcmp(sub, "cable"),
	    is_breach = !strcmp(sub, "breach"), is_verify = !strcmp(sub, "verify");
	if ((q.has_from || q.has_to) && !is_dev)
		return cli_usage("audit", "--from/--to go with `audit device`");
	if ((officer || post) && !is_dev)
		return cli_usage("audit", "--officer/--post go with `audit device`");
	if (out && !is_breach)
		return cli_usage("audit", "--out goes with `audit breach`");
	if (key && !is_verify)
		return cli_usage("audit", "--log-key goes with `audit verify`");
	if (full && !is_sync)
		return cli_usage("audit", "--full goes with `audit sync`");
	if (min_cosigners && !is_sync)
		return cli_usage("audit", "--min-cosigners goes with `audit sync`");
	if (is_sync && arg)
		return cli_usage("audit", "`audit sync` takes no argument");
	if (is_dev && (!!arg + !!officer + !!post) != 1)
		return cli_usage("audit", "`audit device` takes one of DEVICE, --officer HANDLE, --post POST");
	if (officer && !dp_handle_ok(officer))
		return cli_usage("audit", "'%s' is not an officer handle", officer);
	if (post && !dp_name_ok(post))
		return cli_usage("audit", "'%s' is not a post name (upper case)", post);
	if (q.has_from && q.has_to && q.to <= q.from)
		return cli_usage("audit", "--to must be later than --from");
	if ((is_cable || is_verify) && !arg)
		return cli_usage("audit", "`audit %s` needs %s", sub, is_cable ? "MRN|CABLE_ID" : "DIR|BAG|FILE");
	if (is_breach && (!arg || !out))
		return cli_usage("audit", "`audit breach` needs DEVICE and --out DIR");
	if (is_verify)
		return audit_verify(x, arg, key);
	if (cli_home(x, 0))
		return cli_fail(x, DP_ENOTFOUND, "run `denpo init` first", "no state directory %s", x->home);
	int ec;
	if (is_sync)
		ec = do_sync(x, full, min_cosigners ? min_cosigners : 1);
	else if (is_dev)
		ec = do_device(x, arg, officer, post, &q);
	else if (is_cable)
		ec = do_cable(x, arg, &q);
	else
		ec = do_breach(x, arg, out, &q);
	qctx_free(&q);
	return ec;
}
