/*
 * denpo/cmd_send.c - `denpo send`, `denpo reply`, `denpo retry`.
 *
 * The draft is turned into a dp_cable, its recipients resolved by the
 * switch, then sealed (denpo/seal.c).  The submission is kept encrypted in
 * HOME/sent/ before it is sent, so a retry -- now or with `denpo retry` --
 * sends the very same bytes and the switch answers it idempotently.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "denpo/bind.h"
#include "denpo/cli.h"
#include "denpo/encoding.h"
#include "denpo/seal.h"
#include "denpo/outbox.h"
#include "denpo/send.h"
#include "denpo/sentrec.h"

/* What `denpo send` does when the switch cannot be reached. */
enum { Q_OFFLINE = 0, Q_NOW, Q_NEVER };

typedef struct {
	const char *cls, *prec, *tags, *subject, *declass, *declass_event, *classby, *retention, *body;
	const char *to[DP_MAX_ADDRESSEES], *info[DP_MAX_ADDRESSEES];
	size_t nto, ninfo;
	const char *caps[DP_MAX_CAPTIONS * 4], *attn[DP_MAX_ADDRESSEES], *refs[DP_MAX_REFS];
	size_t ncaps, nattn, nrefs;
	const char *atts[DP_MAX_ATTACHMENTS];
	size_t natts;
	int too_many;
	int decoy; /* --decoy */
	int queue; /* Q_OFFLINE (default), Q_NOW (--queue), Q_NEVER (--no-queue) */
} sendopts;

static const char send_help[] =
	"usage: denpo send --class CLASS --prec PREC[/INFOPREC] --to POST[,POST...] --tags TAG[,TAG...]\n"
	"                  --subject TEXT [--info POST,...] [--caption CAPTION]... [--attn HANDLE|ROLE]...\n"
	"                  [--ref \"26 HQ 000012\"]... [--declassify-on YYYY-MM-DD | --declassify-event TEXT]\n"
	"                  [--classified-by TEXT] [--retention CLASS]\n"
	"                  [--body FILE | --body -] [--attach FILE]... [--queue | --no-queue]\n"
	"\n"
	"Resolves the cleared recipient devices of the addressed posts, signs the cable with\n"
	"this device's key, encrypts it end to end to exactly those devices, and submits it.\n"
	"Prints the message reference number.  Without --body, $EDITOR is started on a\n"
	"temporary file in memory-backed storage ($XDG_RUNTIME_DIR or /dev/shm; never\n"
	"on disk) and the file is wiped afterwards.\n"
	"\n"
	"  --class       UNCLASSIFIED|RESTRICTED|CONFIDENTIAL|SECRET|\"TOP SECRET\" (or U/R/C/S/TS)\n"
	"  --prec        FLASH|IMMEDIATE|PRIORITY|ROUTINE (or Z/O/P/R); /INFOPREC for INFO addressees\n"
	"  --caption     distribution caption (NOFORN, EXDIS, ...), most restrictive first\n"
	"  --attn        narrow to officers (handle) or roles at the addressed posts\n"
	"  --classified-by  defaults to \"HANDLE, POST\" for classified cables\n"
	"  --declassify-on, --declassify-event  when a classified cable may be opened: a date,\n"
	"                or an event (\"Conclusion of the treaty\"), not both; default: the\n"
	"                ministry's records schedule for the class and TAGS (30 years without one)\n"
	"  --retention   how long the ministry's archive keeps the cable: a class of the records\n"
	"                schedule (`denpo directory --json` lists them); default: the schedule's\n"
	"                for the class and TAGS (PERMANENT without one)\n"
	"  --decoy       plant a decoy (security office only: an officer with role DECOY): the\n"
	"                cable goes straight into the recipients' archives, never an inbox, and\n"
	"                any fetch of it raises a DECOY alert (docs/detection.md)\n"
	"  --queue       put the cable in the outbox at once, without trying the switch\n"
	"  --no-queue    if the switch cannot be reached, fail (the cable is saved for\n"
	"                `denpo retry` if it was sealed) instead of queueing it\n"
	"A cable nobody can read is refused: if no device resolves, nothing is sent.\n"
	"When the switch cannot be reached (after the failover wait), the cable goes to\n"
	"the outbox, sealed on this device (exit 0, \"queued: will be sent when the switch\n"
	"is reachable\"; --json {\"queued\": true, \"draft_id\"}); the next command that\n"
	"reaches the switch sends it, FLASH first (`denpo outbox --help`).\n";

static const char reply_help[] =
	"usage: denpo reply MRN|CABLE_ID [--body FILE|-] [send options]\n"
	"\n"
	"Answers a cable you can read: REF is its MRN, TO its originating post, the\n"
	"classification, captions, TAGS and precedence are copied (override with the\n"
	"send options), the subject is \"RE: <subject>\".  Works offline on a cable\n"
	"held on this device (as `denpo read`); the reply then waits in the outbox.\n";

enum { O_CLASS = 1, O_PREC, O_TO, O_INFO, O_CAP, O_ATTN, O_TAGS, O_SUBJ, O_REF, O_DECL, O_DEVT, O_CLBY, O_RET,
       O_BODY, O_ATT, O_DECOY, O_QUEUE, O_NOQUEUE };

static const struct option send_opts[] = {
	{"class", required_argument, NULL, O_CLASS},
	{"prec", required_argument, NULL, O_PREC},
	{"to", required_argument, NULL, O_TO},
	{"info", required_argument, NULL, O_INFO},
	{"caption", required_argument, NULL, O_CAP},
	{"attn", required_argument, NULL, O_ATTN},
	{"tags", required_argument, NULL, O_TAGS},
	{"subject", required_argument, NULL, O_SUBJ},
	{"ref", required_argument, NULL, O_REF},
	{"declassify-on", required_argument, NULL, O_DECL},
	{"declassify-event", required_argument, NULL, O_DEVT},
	{"classified-by", required_argument, NULL, O_CLBY},
	{"retention", required_argument, NULL, O_RET},
	{"body", required_argument, NULL, O_BODY},
	{"attach", required_argument, NULL, O_ATT},
	{"decoy", no_argument, NULL, O_DECOY},
	{"queue", no_argument, NULL, O_QUEUE},
	{"no-queue", no_argument, NULL, O_NOQUEUE},
	CLI_COMMON_OPTS,
	{NULL, 0, NULL, 0},
};

#define PUSH(arr, n, v)                                     \
	do {                                                \
		if ((n) < sizeof(arr) / sizeof((arr)[0]))   \
			(arr)[(n)++] = (v);                 \
		else                                        \
			d->too_many = 1;                    \
	} while (0)

/* Returns -1 to go on, else an exit code (help printed or usage error). */
static int parse_opts(cli_ctx *x, int argc, char **argv, sendopts *d, const char *cmd, const char *help)
{
	int o;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", send_opts, NULL)) != -1) {
		if (o == OPT_HELP) {
			fputs(help, stdout);
			return EXIT_OK;
		}
		if (cli_common_opt(x, o, optarg))
			continue;
		switch (o) {
		case O_CLASS: d->cls = optarg; break;
		case O_PREC: d->prec = optarg; break;
		case O_TO: PUSH(d->to, d->nto, optarg); break;
		case O_INFO: PUSH(d->info, d->ninfo, optarg); break;
		case O_CAP: PUSH(d->caps, d->ncaps, optarg); break;
		case O_ATTN: PUSH(d->attn, d->nattn, optarg); break;
		case O_TAGS: d->tags = optarg; break;
		case O_SUBJ: d->subject = optarg; break;
		case O_REF: PUSH(d->refs, d->nrefs, optarg); break;
		case O_DECL: d->declass = optarg; break;
		case O_DEVT: d->declass_event = optarg; break;
		case O_CLBY: d->classby = optarg; break;
		case O_RET: d->retention = optarg; break;
		case O_BODY: d->body = optarg; break;
		case O_ATT: PUSH(d->atts, d->natts, optarg); break;
		case O_DECOY: d->decoy = 1; break;
		case O_QUEUE: d->queue = Q_NOW; break;
		case O_NOQUEUE: d->queue = Q_NEVER; break;
		default: return cli_usage(cmd, "unknown option");
		}
	}
	if (d->too_many)
		return cli_usage(cmd, "too many repeated options (captions %d, attn/to/info %d, refs %d, attachments %d)",
				 DP_MAX_CAPTIONS, DP_MAX_ADDRESSEES, DP_MAX_REFS, DP_MAX_ATTACHMENTS);
	return -1;
}

/* 1 if dir is a writable memory-backed file system (tmpfs or ramfs). */
static int in_memory_dir(const char *dir)
{
	struct statfs sf;
	if (!dir || !*dir || access(dir, W_OK) != 0 || statfs(dir, &sf) != 0)
		return 0;
	return sf.f_type == TMPFS_MAGIC || sf.f_type == RAMFS_MAGIC;
}

/* Run $EDITOR on a private temporary file; wipe and remove it afterwards. */
static int body_from_editor(cli_ctx *x, dp_buf *body)
{
	const char *ed = getenv("VISUAL");
	if (!ed || !*ed)
		ed = getenv("EDITOR");
	if (!ed || !*ed)
		return cli_fail(x, DP_EINVAL, "use --body FILE, --body - (stdin), or set $EDITOR",
				"no cable body given");
	char path[PATH_MAX];
	/* the clear-text draft never touches a disk: memory-backed storage only */
	const char *dir = getenv("XDG_RUNTIME_DIR");
	if (!in_memory_dir(dir))
		dir = "/dev/shm";
	if (!in_memory_dir(dir))
		return cli_fail(x, DP_EINVAL, "use --body FILE or --body - (stdin)",
				"no memory-backed directory for the draft ($XDG_RUNTIME_DIR or /dev/shm)");
	if (snprintf(path, sizeof path, "%s/denpo-draft-XXXXXX", dir) >= (int)sizeof path)
		return cli_fail(x, DP_EINVAL, NULL, "temporary directory path too long");
	int fd = mkstemp(path);
	if (fd < 0)
		return cli_fail(x, DP_EIO, NULL, "cannot create a draft file in %s", dir);
	fchmod(fd, 0600);
	close(fd);
	pid_t pid = fork();
	if (pid == 0) {
		setenv("DENPO_EDITOR_CMD", ed, 1);
		execl("/bin/sh", "sh", "-c", "$DENPO_EDITOR_CMD \"$1\"", "sh", path, (char *)NULL);
		_exit(127);
	}
	int st = 0;
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	int r = pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 ? DP_EIO : dp_read_file(path, body);
	cli_shred(path); /* the plaintext draft: overwritten before it is removed */
	if (r)
		return cli_fail(x, r, "check $EDITOR", "the editor failed or the draft is unreadable");
	return EXIT_OK;
}

static int read_body(cli_ctx *x, const char *arg, dp_buf *body)
{
	int r;
	if (!arg)
		return body_from_editor(x, body);
	if (!strcmp(arg, "-"))
		r = dp_read_fd(0, body);
	else
		r = dp_read_file(arg, body);
	if (r)
		return cli_fail(x, r, r == DP_ETOOBIG ? "the body is limited to 1 MiB; send long texts as --attach"
						      : NULL,
				"cannot read the body from %s", strcmp(arg, "-") ? arg : "stdin");
	return EXIT_OK;
}

static int read_attachments(cli_ctx *x, const sendopts *d, dp_cable *c)
{
	size_t total = c->body_len;
	for (size_t i = 0; i < d->natts; i++) {
		const char *base = strrchr(d->atts[i], '/');
		base = base ? base + 1 : d->atts[i];
		dp_attachment *a = &c->atts[c->natts];
		if (strlen(base) > DP_ATT_NAME_MAX)
			return cli_fail(x, DP_EINVAL, "rename the file", "attachment name %s is too long", base);
		strcpy(a->name, base);
		dp_buf b;
		dp_buf_init(&b, DP_MAX_PLAINTEXT - total);
		int r = dp_read_file(d->atts[i], &b);
		if (r) {
			dp_buf_free(&b);
			return cli_fail(x, r, r == DP_ETOOBIG ? "a cable holds at most 60 MiB in all" : NULL,
					"cannot read attachment %s", d->atts[i]);
		}
		total += b.len;
		a->data = dp_buf_steal(&b, &a->len);
		c->natts++;
	}
	return EXIT_OK;
}

/* How a recipient device is marked in the list: action is the plain case. */
static const char *role_note(int role)
{
	static const char *const notes[] = {[DP_ROLE_INFO] = " (info)", [DP_ROLE_RECORD] = " (record copy)"};
	return role == DP_ROLE_INFO || role == DP_ROLE_RECORD ? notes[role] : "";
}

/* Who will NOT get the cable, and who it is encrypted to: on stderr, before the body is asked for. */
static void print_recipients(cli_ctx *x, const send_result *r)
{
	for (size_t i = 0; r->warnings && i < json_array_size(r->warnings); i++)
		fprintf(stderr, "denpo: WARNING: %s\n", json_string_value(json_array_get(r->warnings, i)));
	if (x->json || !r->devs)
		return;
	fprintf(stderr, "encrypting to %zu device%s:", r->ndev, r->ndev == 1 ? "" : "s");
	for (size_t i = 0; i < r->ndev; i++)
		fprintf(stderr, "%s %s@%s%s", i ? "," : "", r->devs[i].officer, r->devs[i].post,
			role_note(r->devs[i].role));
	fputc('\n', stderr);
}

/* The answer on stdout: the MRN (or "queued: ..."), or JSON. */
static int print_sent(cli_ctx *x, const send_result *r)
{
	if (x->json)
		dp_json_print(send_result_json(r));
	else if (r->queued)
		printf("queued: will be sent when the switch is reachable (outbox entry %s; "
		       "`denpo outbox` lists what waits)\n", r->draft_id);
	else
		printf("%s\n", r->res.mrn);
	return EXIT_OK;
}

/* The body and attachments of the options into c. */
static int read_content(cli_ctx *x, const sendopts *d, dp_cable *c)
{
	if (c->body)
		return EXIT_OK; /* read already */
	dp_buf body;
	dp_buf_init(&body, DP_MAX_BODY);
	int ec = read_body(x, d->body, &body);
	if (!ec)
		c->body = dp_buf_steal(&body, &c->body_len);
	dp_buf_free(&body);
	if (!ec && !c->body)
		c->body = calloc(1, 1); /* an empty body, read */
	if (!ec)
		ec = read_attachments(x, d, c);
	return ec;
}

/* Keep c in the outbox (cable_id: its saved submission, or NULL); an exit code. */
static int queue(cli_ctx *x, const sendopts *d, dp_cable *c, const char *cable_id, send_result *sr)
{
	char why[512];
	int ec = read_content(x, d, c);
	if (!ec && !x->ks)
		ec = cli_load_keys(x); /* the draft is sealed under the storage key */
	if (ec)
		return ec;
	int r = outbox_queue(x, c, cable_id, sr->draft_id, why, sizeof why);
	if (r)
		return cli_fail(x, r, "nothing was sent or queued", "cannot queue the cable: %s", why);
	sr->queued = 1;
	snprintf(sr->cable_id, sizeof sr->cable_id, "%s", cable_id ? cable_id : "");
	return print_sent(x, sr);
}

/* A send that could not reach the switch, queued: why, on stderr, then "queued: ...". */
static int queue_after(cli_ctx *x, const sendopts *d, dp_cable *c, send_result *sr)
{
	char cid[DP_HEXID];
	snprintf(cid, sizeof cid, "%s", sr->cable_id);
	fprintf(stderr, "denpo: %s: %s\n", x->err.what, x->err.message);
	return queue(x, d, c, sr->sealed ? cid : NULL, sr);
}

/*
 * c's header set: send it -- recipients resolved and shown first, then
 * the body asked for, sealed, submitted -- or put it in the outbox when
 * the switch cannot be reached (Q_OFFLINE), at once (Q_NOW), or never
 * (Q_NEVER: fail as a send always did).  Returns an exit code.
 */
static int send_or_queue(cli_ctx *x, const sendopts *d, dp_cable *c)
{
	int mode = d->decoy ? Q_NEVER : d->queue;
	send_result sr;
	send_plan plan;
	send_result_init(&sr);
	memset(&plan, 0, sizeof plan);
	int ec;
	if (mode == Q_NOW) {
		ec = queue(x, d, c, NULL, &sr);
		goto out;
	}
	x->offline_ok = mode == Q_OFFLINE;
	if ((ec = cli_open_client(x)))
		goto out;
	if (x->offline && mode == Q_OFFLINE) {
		ec = queue(x, d, c, NULL, &sr);
		goto out;
	}
	outbox_upkeep(x); /* what waited goes first */
	sr.defer_net = mode == Q_OFFLINE;
	ec = send_resolve(x, c, &plan, &sr);
	print_recipients(x, &sr);
	if (ec && cli_unreachable(x, x->err.rc) && sr.defer_net) {
		ec = queue_after(x, d, c, &sr);
		goto out;
	}
	if (!ec)
		ec = read_content(x, d, c);
	if (!ec)
		ec = send_sealed(x, c, d->decoy, &plan, &sr);
	if (ec && cli_unreachable(x, x->err.rc) && sr.defer_net)
		ec = queue_after(x, d, c, &sr);
	else if (!ec)
		ec = print_sent(x, &sr);
out:
	send_plan_free(&plan);
	send_result_free(&sr);
	return ec;
}

/* The send options as a draft (denpo/drafts.h): the one conversion to a cable is draft_cable's. */
static json_t *opts_json(const sendopts *d)
{
	json_t *j = json_object();
	const struct {
		const char *key;
		const char *const *v;
		size_t n;
	} lists[] = {
		{"to", d->to, d->nto},           {"info", d->info, d->ninfo}, {"captions", d->caps, d->ncaps},
		{"attn", d->attn, d->nattn},     {"refs", d->refs, d->nrefs}, {"tags", &d->tags, d->tags != NULL},
	};
	const struct {
		const char *key, *v;
	} strs[] = {
		{"classification", d->cls}, {"precedence", d->prec},       {"subject", d->subject},
		{"declassify_on", d->declass}, {"declassify_event", d->declass_event},
		{"classified_by", d->classby}, {"retention", d->retention},
	};
	for (size_t i = 0; j && i < sizeof lists / sizeof lists[0]; i++) {
		if (!lists[i].n)
			continue;
		json_t *a = json_array();
		for (size_t k = 0; a && k < lists[i].n; k++)
			json_array_append_new(a, json_string(lists[i].v[k]));
		json_object_set_new(j, lists[i].key, a);
	}
	for (size_t i = 0; j && i < sizeof strs / sizeof strs[0]; i++)
		if (strs[i].v)
			json_object_set_new(j, strs[i].key, json_string(strs[i].v));
	return j;
}

/* The options over c's header (complete: ready to send but for the body); usage errors as the CLI words them. */
static int apply_opts(cli_ctx *x, const sendopts *d, dp_cable *c, const char *cmd)
{
	char why[512];
	json_t *j = opts_json(d);
	if (!j)
		return cli_fail(x, DP_ENOMEM, NULL, "out of memory");
	int r = draft_cable(x, j, c, 1, 1, why, sizeof why);
	json_decref(j);
	if (r)
		return cli_usage(cmd, "%s", why);
	if (d->decoy && d->queue == Q_NOW)
		return cli_usage(cmd, "--decoy goes to the switch at once: not with --queue");
	return EXIT_OK;
}

static void draft_defaults(dp_cable *c)
{
	c->classification = -1;
	c->prec_action = c->prec_info = -1;
}

int cmd_send(cli_ctx *x, int argc, char **argv)
{
	sendopts d;
	memset(&d, 0, sizeof d);
	int ec = parse_opts(x, argc, argv, &d, "send", send_help);
	if (ec >= 0)
		return ec;
	if (optind != argc)
		return cli_usage("send", "unexpected argument '%s'", argv[optind]);
	if (cli_home(x, 0))
		return cli_fail(x, DP_ENOTFOUND, "run `denpo init` first", "no state directory %s", x->home);
	if ((ec = cli_load_answer(x)))
		return ec;
	dp_cable c;
	dp_cable_init(&c);
	draft_defaults(&c);
	ec = apply_opts(x, &d, &c, "send");
	if (!ec)
		ec = send_or_queue(x, &d, &c);
	dp_cable_free(&c);
	return ec;
}

int cmd_reply(cli_ctx *x, int argc, char **argv)
{
	sendopts d;
	memset(&d, 0, sizeof d);
	int ec = parse_opts(x, argc, argv, &d, "reply", reply_help);
	if (ec >= 0)
		return ec;
	if (optind + 1 != argc)
		return cli_usage("reply", "give exactly one MRN or cable id to answer");
	char mrn[DP_MRN_MAX + 1];
	const char *ref = argv[optind];
	if (!(strlen(ref) == 32 && strspn(ref, "0123456789abcdefABCDEF") == 32) && cli_ref_mrn(ref, mrn))
		return cli_usage("reply", "'%s' is neither an MRN (\"26 HQ 000012\") nor a cable id", ref);
	if (cli_home(x, 0))
		return cli_fail(x, DP_ENOTFOUND, "run `denpo init` first", "no state directory %s", x->home);
	/* the cable answered may be read offline: the reply then waits in the outbox */
	x->offline_ok = !d.decoy && d.queue != Q_NEVER;
	if ((ec = cli_open_client(x)))
		return ec;
	if (!x->offline)
		outbox_upkeep(x);
	json_t *pre;
	if ((ec = send_reply_draft(x, ref, &pre)))
		return ec;
	char why[512];
	dp_cable c;
	dp_cable_init(&c);
	draft_defaults(&c);
	/* defaults from the original; the send options override them (--ref adds to its REF) */
	if (draft_cable(x, pre, &c, 0, 1, why, sizeof why))
		ec = cli_fail(x, DP_EINVAL, NULL, "cannot answer this cable: %s", why);
	json_decref(pre);
	if (!ec)
		ec = apply_opts(x, &d, &c, "reply");
	if (!ec)
		ec = send_or_queue(x, &d, &c);
	dp_cable_free(&c);
	return ec;
}

static const char retry_help[] =
	"usage: denpo retry CABLE_ID [--decoy]\n"
	"       denpo retry --lost\n\n"
	"Submits a cable saved by `denpo send` again, byte for byte: one the switch has\n"
	"not accepted yet (the switch recognises a repeat and answers it idempotently),\n"
	"or one the switch accepted and no longer holds (LOST FROM SWITCH in `denpo sent`:\n"
	"the switch was restored from an older backup), which gets a new MRN; the record\n"
	"keeps the old one, and `denpo sent` shows it as (was MRN).\n"
	"  --decoy   the saved cable is a decoy (it was sent with --decoy)\n"
	"  --lost    resend every cable the switch lost: FLASH first, then IMMEDIATE,\n"
	"            PRIORITY, ROUTINE, older first; one line each with its result, and\n"
	"            a refusal stops nothing.  Exit 0 when every one was accepted, 1 if\n"
	"            any was not (its line says why and what to do).  With --json:\n"
	"            {\"lost\": [{cable_id, precedence, mrn_before_restore, resent: true,\n"
	"            mrn, accepted} or {..., resent: false, error, message}]}\n";

/* What to do when a resend of a lost cable is refused. */
static const char *lost_hint(int r)
{
	if (r == DP_ESTATE)
		return "a recipient's key is unknown to the restored switch or has ended: once that "
		       "recipient's device has connected to the switch (it publishes its keys again), "
		       "run `denpo retry --lost` again; if the key epoch has ended, the cable must be "
		       "drafted again (this device cannot re-encrypt it)";
	if (r == DP_ENOTFOUND || r == DP_EDEVICE || r == DP_ECLEARANCE || r == DP_EDENIED)
		return "the restored switch's directory differs from when the cable was sent: the "
		       "cable must be drafted again to the recipients it now knows";
	if (r == DP_ENET || r == DP_ENOSPC || r == DP_ESTORE)
		return "nothing was lost: run `denpo retry --lost` again later";
	return NULL;
}

/* `denpo retry --lost`: every lost cable, in precedence order, each reported. */
static int retry_lost(cli_ctx *x)
{
	sentrec *recs;
	size_t n, nlost = 0, nok = 0;
	int r = sentrec_load(x, &recs, &n);
	if (r)
		return cli_fail(x, r, NULL, "cannot read the records in %s/sent", x->home);
	/* nothing listed yet: the switch's list from its newest cable, as far as needed */
	r = sentrec_find_lost(x, recs, n, 1, INT64_MAX, &nlost);
	sentrec *lost = r ? NULL : sentrec_lost_sorted(recs, n, nlost);
	free(recs);
	if (nlost && !lost && !r)
		r = DP_ENOMEM;
	if (r)
		return cli_fail(x, r, NULL, "cannot ask the switch which cables it holds");
	json_t *out = x->json ? json_array() : NULL;
	for (size_t i = 0; i < nlost; i++) {
		const sentrec *s = &lost[i];
		dp_submit_result res;
		const char *prec = s->precedence >= 0 ? dp_prec_name(s->precedence) : "?";
		r = send_again(x, s->cable_id, s->decoy, &res);
		nok += r == DP_OK;
		const char *msg = r && x->cl ? dp_client_message(x->cl) : "";
		if (out && !r)
			json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:b, s:s, s:I}", "cable_id", s->cable_id,
							     "precedence", prec, "mrn_before_restore", s->mrn,
							     "resent", 1, "mrn", res.mrn, "accepted",
							     (json_int_t)res.accepted));
		else if (out)
			json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:b, s:s, s:s}", "cable_id", s->cable_id,
							     "precedence", prec, "mrn_before_restore", s->mrn,
							     "resent", 0, "error", dp_errname(r), "message",
							     msg && *msg ? msg : dp_strerror(r)));
		else if (!r)
			printf("RESENT      %-9s %s  (was %s)  %s\n", prec, res.mrn, s->mrn, s->cable_id);
		else
			printf("NOT RESENT  %-9s %s  %s  %s%s%s%s\n", prec, s->mrn, s->cable_id, cli_strerror(x, r),
			       msg && *msg ? " (" : "", msg ? msg : "", msg && *msg ? ")" : "");
		const char *hint = r ? lost_hint(r) : NULL;
		if (hint && !out)
			printf("            -> %s\n", hint);
	}
	free(lost);
	if (out)
		dp_json_print(json_pack("{s:o}", "lost", out));
	else if (nlost == 0)
		printf("no lost cables: the switch holds every cable this device sent\n");
	if (nok < nlost) {
		fprintf(stderr, "denpo: %zu of %zu lost cable%s not resent (see each one's line)\n", nlost - nok,
			nlost, nlost == 1 ? "" : "s");
		return EXIT_ERR;
	}
	if (nlost && !x->json)
		printf("%zu lost cable%s resent\n", nlost, nlost == 1 ? "" : "s");
	return EXIT_OK;
}

int cmd_retry(cli_ctx *x, int argc, char **argv)
{
	enum { O_LOST = O_DECOY + 1 };
	static const struct option lo[] = {{"decoy", no_argument, NULL, O_DECOY},
					   {"lost", no_argument, NULL, O_LOST}, CLI_COMMON_OPTS,
					   {NULL, 0, NULL, 0}};
	int o, decoy = 0, lost = 0;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == OPT_HELP) {
			fputs(retry_help, stdout);
			return EXIT_OK;
		}
		if (o == O_DECOY || o == O_LOST) {
			*(o == O_DECOY ? &decoy : &lost) = 1;
			continue;
		}
		if (!cli_common_opt(x, o, optarg))
			return cli_usage("retry", "unknown option");
	}
	uint8_t raw[DP_CABLE_ID];
	if (lost && (decoy || optind != argc))
		return cli_usage("retry", "--lost takes no cable id and no --decoy (it resends every lost cable, "
					  "decoys as decoys)");
	if (!lost && (optind + 1 != argc || strlen(argv[optind]) != 32 ||
		      dp_hex_decode(raw, sizeof raw, argv[optind], 32)))
		return cli_usage("retry", "give the 32-hex-digit id of a saved cable (see `denpo sent`), or --lost");
	if (cli_home(x, 0))
		return cli_fail(x, DP_ENOTFOUND, "run `denpo init` first", "no state directory %s", x->home);
	int ec = cli_open_client(x);
	if (ec)
		return ec;
	if (lost)
		return retry_lost(x);
	char id[DP_HEXID], p[PATH_MAX], name[64];
	dp_hex_encode(id, raw, sizeof raw);
	snprintf(name, sizeof name, "sent/%s.cable", id);
	cli_path(x, p, name);
	if (access(p, F_OK) != 0)
		return cli_fail(x, DP_ENOTFOUND, "see `denpo sent` for saved cables", "no saved cable %s", id);
	/* a record that says decoy (written since it does) is sent as one whatever the option */
	sentrec rec;
	if (sentrec_get(x, id, &rec) == DP_OK)
		decoy |= rec.decoy;
	dp_submit_result res;
	int r = send_again(x, id, decoy, &res);
	if (r)
		return cli_fail(x, r, NULL, "cable %s was not accepted", id);
	if (!res.duplicate && sentrec_get(x, id, &rec) == DP_OK && rec.was[0])
		fprintf(stderr, "denpo: the switch had lost this cable: it is %s now (was %s)\n", res.mrn, rec.was);
	send_result sr;
	send_result_init(&sr);
	sr.res = res;
	ec = print_sent(x, &sr);
	send_result_free(&sr);
	return ec;
}
