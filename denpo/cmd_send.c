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
#include "denpo/sentrec.h"

typedef struct {
	const char *cls, *prec, *tags, *subject, *declass, *classby, *body;
	const char *to[DP_MAX_ADDRESSEES], *info[DP_MAX_ADDRESSEES];
	size_t nto, ninfo;
	const char *caps[DP_MAX_CAPTIONS * 4], *attn[DP_MAX_ADDRESSEES], *refs[DP_MAX_REFS];
	size_t ncaps, nattn, nrefs;
	const char *atts[DP_MAX_ATTACHMENTS];
	size_t natts;
	int too_many;
	int decoy; /* --decoy */
} draft;

static const char send_help[] =
	"usage: denpo send --class CLASS --prec PREC[/INFOPREC] --to POST[,POST...] --tags TAG[,TAG...]\n"
	"                  --subject TEXT [--info POST,...] [--caption CAPTION]... [--attn HANDLE|ROLE]...\n"
	"                  [--ref \"26 HQ 000012\"]... [--declassify-on YYYY-MM-DD] [--classified-by TEXT]\n"
	"                  [--body FILE | --body -] [--attach FILE]...\n"
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
	"  --decoy       plant a decoy (security office only: an officer with role DECOY): the\n"
	"                cable goes straight into the recipients' archives, never an inbox, and\n"
	"                any fetch of it raises a DECOY alert (docs/detection.md)\n"
	"A cable nobody can read is refused: if no device resolves, nothing is sent.\n";

static const char reply_help[] =
	"usage: denpo reply MRN|CABLE_ID [--body FILE|-] [send options]\n"
	"\n"
	"Answers a cable you can read: REF is its MRN, TO its originating post, the\n"
	"classification, captions, TAGS and precedence are copied (override with the\n"
	"send options), the subject is \"RE: <subject>\".\n";

enum { O_CLASS = 1, O_PREC, O_TO, O_INFO, O_CAP, O_ATTN, O_TAGS, O_SUBJ, O_REF, O_DECL, O_CLBY, O_BODY, O_ATT,
       O_DECOY };

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
	{"classified-by", required_argument, NULL, O_CLBY},
	{"body", required_argument, NULL, O_BODY},
	{"attach", required_argument, NULL, O_ATT},
	{"decoy", no_argument, NULL, O_DECOY},
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
static int parse_opts(cli_ctx *x, int argc, char **argv, draft *d, const char *cmd, const char *help)
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
		case O_CLBY: d->classby = optarg; break;
		case O_BODY: d->body = optarg; break;
		case O_ATT: PUSH(d->atts, d->natts, optarg); break;
		case O_DECOY: d->decoy = 1; break;
		default: return cli_usage(cmd, "unknown option");
		}
	}
	if (d->too_many)
		return cli_usage(cmd, "too many repeated options (captions %d, attn/to/info %d, refs %d, attachments %d)",
				 DP_MAX_CAPTIONS, DP_MAX_ADDRESSEES, DP_MAX_REFS, DP_MAX_ATTACHMENTS);
	return -1;
}

/*
 * Split comma-separated names from srcs[] into out, trimming spaces,
 * optionally upper-casing; each must pass ok().  Returns an exit code or -1.
 */
static int split(const char *cmd, const char *what, const char *const *srcs, size_t nsrc, int up,
		 int (*ok)(const char *), char (*out)[DP_NAME_MAX + 1], size_t max, size_t *n)
{
	for (size_t k = 0; k < nsrc; k++) {
		const char *s = srcs[k];
		while (*s) {
			const char *e = strchr(s, ',');
			size_t len = e ? (size_t)(e - s) : strlen(s);
			while (len && *s == ' ')
				s++, len--;
			while (len && s[len - 1] == ' ')
				len--;
			if (len == 0 || len > DP_NAME_MAX)
				return cli_usage(cmd, "bad %s list '%s' (names of 1..%d characters)", what, srcs[k],
						 DP_NAME_MAX);
			if (*n >= max)
				return cli_usage(cmd, "too many %s (at most %zu)", what, max);
			char *t = out[*n];
			memcpy(t, s, len);
			t[len] = 0;
			for (size_t i = 0; up && i < len; i++)
				if (t[i] >= 'a' && t[i] <= 'z')
					t[i] = (char)(t[i] - 32);
			if (!ok(t))
				return cli_usage(cmd, "bad %s '%s'", what, t);
			for (size_t i = 0; i < *n; i++)
				if (!strcmp(out[i], t))
					return cli_usage(cmd, "%s '%s' given twice", what, t);
			(*n)++;
			s += len;
			while (*s == ' ')
				s++;
			if (*s == ',')
				s++;
		}
	}
	return -1;
}

static int attn_name_ok(const char *s) { return dp_name_ok(s) || dp_handle_ok(s); }

/* Fill c's routing and header fields from the draft (over any defaults already in c). */
static int draft_to_cable(cli_ctx *x, const draft *d, dp_cable *c, const char *cmd)
{
	int ec;
	if (d->cls && dp_class_parse(d->cls, &c->classification))
		return cli_usage(cmd, "unknown classification '%s'", d->cls);
	if (d->prec) {
		char a[32], *slash;
		snprintf(a, sizeof a, "%s", d->prec);
		slash = strchr(a, '/');
		if (slash)
			*slash = 0;
		if (dp_prec_parse(a, &c->prec_action) || (slash && dp_prec_parse(slash + 1, &c->prec_info)))
			return cli_usage(cmd, "bad precedence '%s' (e.g. IMMEDIATE or IMMEDIATE/ROUTINE)", d->prec);
		if (!slash)
			c->prec_info = c->prec_action;
	}
	if (d->nto) {
		c->nto = 0;
		if ((ec = split(cmd, "TO post", d->to, d->nto, 1, dp_name_ok, c->to, DP_MAX_ADDRESSEES, &c->nto)) >= 0)
			return ec;
	}
	if ((ec = split(cmd, "INFO post", d->info, d->ninfo, 1, dp_name_ok, c->info, DP_MAX_ADDRESSEES,
			&c->ninfo)) >= 0)
		return ec;
	if (d->ncaps) {
		c->ncaptions = 0;
		if ((ec = split(cmd, "caption", d->caps, d->ncaps, 1, dp_name_ok, c->captions, DP_MAX_CAPTIONS,
				&c->ncaptions)) >= 0)
			return ec;
	}
	if ((ec = split(cmd, "ATTN", d->attn, d->nattn, 0, attn_name_ok, c->attn, DP_MAX_ADDRESSEES, &c->nattn)) >= 0)
		return ec;
	if (d->tags) {
		c->ntags = 0;
		if ((ec = split(cmd, "TAG", &d->tags, 1, 1, dp_name_ok, c->tags, DP_MAX_TAGS, &c->ntags)) >= 0)
			return ec;
	}
	for (size_t i = 0; i < d->nrefs; i++) {
		if (c->nrefs >= DP_MAX_REFS)
			return cli_usage(cmd, "too many --ref (at most %d)", DP_MAX_REFS);
		if (strlen(d->refs[i]) > DP_MRN_MAX || !dp_mrn_ok(d->refs[i]))
			return cli_usage(cmd, "bad --ref '%s' (a reference number like \"26 HQ 000012\")", d->refs[i]);
		strcpy(c->refs[c->nrefs++], d->refs[i]);
	}
	if (d->subject) {
		if (strlen(d->subject) > DP_SUBJECT_MAX)
			return cli_usage(cmd, "subject longer than %d bytes", DP_SUBJECT_MAX);
		strcpy(c->subject, d->subject);
	}
	if (d->declass) {
		if (strlen(d->declass) != 10)
			return cli_usage(cmd, "--declassify-on takes YYYY-MM-DD");
		strcpy(c->declassify_on, d->declass);
	}
	if (d->classby) {
		if (strlen(d->classby) > DP_CLASSBY_MAX)
			return cli_usage(cmd, "--classified-by longer than %d bytes", DP_CLASSBY_MAX);
		strcpy(c->classified_by, d->classby);
	} else if (c->classification != DP_CLASS_UNCLASSIFIED && !c->classified_by[0]) {
		snprintf(c->classified_by, sizeof c->classified_by, "%s, %s", x->ans.officer, x->ans.post);
	}
	if (c->classification == DP_CLASS_UNCLASSIFIED)
		c->classified_by[0] = 0;
	if (c->nto == 0)
		return cli_usage(cmd, "--to POST is required");
	if (c->prec_action < 0)
		return cli_usage(cmd, "--prec is required (FLASH, IMMEDIATE, PRIORITY or ROUTINE)");
	if (c->classification < 0)
		return cli_usage(cmd, "--class is required (e.g. SECRET)");
	if (c->ntags == 0)
		return cli_usage(cmd, "--tags is required (at least one subject tag, e.g. PREL)");
	if (!c->subject[0])
		return cli_usage(cmd, "--subject is required");
	if (c->ninfo == 0)
		c->prec_info = c->prec_action;
	if (c->prec_info < c->prec_action)
		return cli_usage(cmd, "info precedence may not be more urgent than action precedence");
	return -1;
}

/* Join names with ',' (for the resolve query). */
static void join(char *out, size_t cap, const char (*l)[DP_NAME_MAX + 1], size_t n)
{
	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		if (i)
			strncat(out, ",", cap - strlen(out) - 1);
		strncat(out, l[i], cap - strlen(out) - 1);
	}
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
	/* wipe the plaintext draft before removing it */
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		struct stat sb;
		if (fstat(fd, &sb) == 0 && sb.st_size > 0) {
			static const uint8_t zero[4096];
			for (off_t off = 0; off < sb.st_size; off += (off_t)sizeof zero)
				if (write(fd, zero, sizeof zero) < 0)
					break;
			fsync(fd);
		}
		close(fd);
	}
	unlink(path);
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

static int read_attachments(cli_ctx *x, const draft *d, dp_cable *c)
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

/*
 * Submit with retries on network failure, always the same bytes.  A switch
 * with several addresses: the client library goes round them itself for
 * longer than these retries would wait (denpo/cli.h CLI_FAILOVER_MS).
 */
static int submit(cli_ctx *x, const uint8_t *sub, size_t n, dp_submit_result *res, int decoy)
{
	int r = DP_ENET, tries = x->ans.switches.n > 1 ? 1 : 4;
	for (int attempt = 0; attempt < tries; attempt++) {
		if (attempt) {
			fprintf(stderr, "denpo: %s; retrying in %d s (same cable)\n", dp_client_message(x->cl),
				1 << (attempt - 1));
			sleep(1u << (attempt - 1));
		}
		r = decoy ? dp_client_submit_decoy(x->cl, sub, n, res)
			  : dp_client_submit(x->cl, sub, n, res);
		int transient = r == DP_ENET || (r == DP_ESTORE && dp_client_http_status(x->cl) == 503);
		if (!transient)
			break;
	}
	return r;
}

/* devs: the devices the cable was encrypted to (NULL for a retry, which does not know them). */
static int print_sent(cli_ctx *x, const dp_submit_result *res, const dp_resolved *devs, size_t nrcpt)
{
	if (x->json) {
		json_t *j = json_pack("{s:s, s:s, s:I, s:b, s:I}", "cable_id", res->cable_id, "mrn", res->mrn,
				      "accepted", (json_int_t)res->accepted, "duplicate", res->duplicate,
				      "recipients", (json_int_t)nrcpt);
		if (j && devs) {
			/* who can read it, as on stderr without --json: never a silent recipient */
			json_t *a = json_array();
			for (size_t i = 0; i < nrcpt; i++) {
				char hex[2 * DP_ED25519_PK + 1];
				dp_hex_encode(hex, devs[i].device, DP_ED25519_PK);
				json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}", "device", hex, "officer",
								   devs[i].officer, "post", devs[i].post, "role",
								   devs[i].role == DP_ROLE_INFO ? "info" : "action"));
			}
			json_object_set_new(j, "devices", a);
		}
		dp_json_print(j);
	} else
		printf("%s\n", res->mrn);
	return EXIT_OK;
}

/*
 * The resolve answer's checkpoint verified and consistent with the one this
 * device verified before (a fork stops everything), then every device's
 * enrolment and key entries included in it.  EXIT_OK, or the failure
 * reported (exit 3: nothing may be sent).  No log in the answer is the same
 * failure: never a silent downgrade to unlogged keys.
 */
static int logged_keys(cli_ctx *x, const dp_resolution *res, uint64_t m)
{
	const char *hint = "nothing was sent; report this to security operations at once";
	cli_ckpt cp;
	int ec = bind_checkpoint(x, &res->log, m, "the recipients' keys", hint, &cp);
	if (ec)
		return ec;
	size_t bad = 0;
	const char *why = "";
	int r = seal_logged(res->devs, res->n, cp.cp.size, cp.cp.root, &bad, &why);
	cli_ckpt_free(&cp);
	if (r == DP_ESIG) {
		char hex[2 * DP_ED25519_PK + 1];
		dp_hex_encode(hex, res->devs[bad].device, DP_ED25519_PK);
		return cli_fail(x, r, hint, "the switch offered a key for device %.16s... of %s at %s "
					    "that is not in the transparency log (%s)",
				hex, res->devs[bad].officer, res->devs[bad].post, why);
	}
	if (r)
		return cli_fail(x, r, "nothing was sent", "cannot check the recipients' log entries");
	return EXIT_OK;
}

/*
 * Whether u lacks a key only by the switch's clock (skewed: it is off): by
 * this device's clock its next key has started, or its last one not ended.
 */
static int by_clock(const dp_unreachable *u, int skewed)
{
	int64_t now = dp_now();
	return skewed && u->at && !u->not_logged &&
	       ((u->next_not_before && u->next_not_before <= now + DP_EPOCH_SKEW) ||
		(u->last_not_after && u->last_not_after + DP_EPOCH_SKEW > now));
}

/*
 * Why device u will not get the cable, on stderr.  clock: the sentence
 * naming how far the switch's clock is off, if that is why (by_clock),
 * else NULL.
 */
static void warn_unreachable(const dp_unreachable *u, const char *clock)
{
	char hex[2 * DP_ED25519_PK + 1], why[384] = "it never published one", t[DP_TIME_STR];
	dp_hex_encode(hex, u->device, DP_ED25519_PK);
	if (u->not_logged) {
		fprintf(stderr, "denpo: WARNING: device %.16s... of %s at %s has a key that is not yet "
				"in the transparency log (published moments ago): it will NOT receive "
				"this cable; resend it in a few seconds\n", hex, u->officer, u->post);
		return;
	}
	if (clock && u->at) {
		dp_time_str(u->at, t);
		snprintf(why, sizeof why, "none valid at the switch's time %s, and %s", t, clock);
	} else if (u->next_not_before) {
		dp_time_str(u->next_not_before, t);
		snprintf(why, sizeof why, "its next key starts %s", t);
	} else if (u->last_not_after) {
		dp_time_str(u->last_not_after, t);
		snprintf(why, sizeof why, "its last key expired %s", t);
	}
	fprintf(stderr, "denpo: WARNING: device %.16s... of %s at %s has no current key (%s): it "
			"will NOT receive this cable; %s\n", hex, u->officer, u->post, why,
		clock ? "send it again once the clocks agree" : "it must connect to the switch, then resend it");
}

/* Everything after the cable's header fields are set: resolve, body, seal, save, submit. */
static int finish_send(cli_ctx *x, const draft *d, dp_cable *c)
{
	char to[DP_MAX_ADDRESSEES * (DP_NAME_MAX + 1) + 1], info[sizeof to], attn[sizeof to],
		caps[DP_MAX_CAPTIONS * (DP_NAME_MAX + 1) + 1];
	join(to, sizeof to, c->to, c->nto);
	join(info, sizeof info, c->info, c->ninfo);
	join(attn, sizeof attn, c->attn, c->nattn);
	join(caps, sizeof caps, c->captions, c->ncaptions);
	int ec = EXIT_OK;
	dp_resolve_query q = {to, info, attn, caps, c->classification};
	dp_resolution res0;
	uint64_t m = cli_log_size(x);
	int r = dp_client_resolve_log(x->cl, &q, m, &res0);
	if (r)
		return cli_fail(x, r, NULL, "cannot resolve the recipients");
	dp_resolved *devs = res0.devs;
	size_t ndev = res0.n, bad = 0;
	/* key transparency (docs/transparency.md §3): encrypt only to keys in a verified log */
	if ((ec = logged_keys(x, &res0, m)) != EXIT_OK) {
		dp_resolution_free(&res0);
		return ec;
	}
	/* never silent: an addressed device without a current key does not get the cable */
	char clock[256];
	int skewed = dp_client_clock_note(x->cl, clock, sizeof clock);
	size_t nclock = 0;
	for (size_t i = 0; i < res0.nunreachable; i++) {
		int why = by_clock(&res0.unreachable[i], skewed);
		warn_unreachable(&res0.unreachable[i], why ? clock : NULL);
		nclock += (size_t)why;
	}
	if (ndev == 0) {
		size_t nun = res0.nunreachable;
		dp_resolution_free(&res0);
		/* the switch judged the keys by a clock that is off: that, not clearance, is why */
		if (nclock && nclock == nun)
			return cli_fail(x, DP_ESTATE, "nothing was sent; send again once the clocks agree",
					"no addressed device has a key valid by the switch's clock: %s", clock);
		return cli_fail(x, DP_ENOTFOUND,
				"check TO/INFO/ATTN, the classification and captions; nothing was sent",
				"no recipient device resolves: %s%s%s%s",
				nun ? "no addressed device has a current key, and nobody else "
						    "addressed is cleared for " : "nobody addressed is cleared for ",
				dp_class_name(c->classification), caps[0] ? " with " : "", caps);
	}
	dp_recipient *rcpt = calloc(ndev, sizeof *rcpt);
	dp_age_recipient *keys = calloc(ndev, sizeof *keys);
	dp_buf body, sub;
	dp_buf_init(&body, DP_MAX_BODY);
	dp_buf_init(&sub, (size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4);
	if (!rcpt || !keys) {
		ec = cli_fail(x, DP_ENOMEM, NULL, "out of memory");
		goto out;
	}
	r = seal_recipients(devs, ndev, dp_now(), rcpt, keys, &bad);
	if (r == DP_EUNSUPP) {
		ec = cli_fail(x, r, "report this to the HQ operator; nothing was sent",
			      "a recipient device has no post-quantum key (cables are encrypted to "
			      "mlkem768x25519 keys only)");
		goto out;
	}
	if (r == DP_ESIG) {
		ec = cli_fail(x, r, "nothing was sent; report this to security operations at once",
			      "the switch gave a key for device of %s at %s that the device did not sign "
			      "(a substituted key)", devs[bad].officer, devs[bad].post);
		goto out;
	}
	if (r == DP_ESTATE) {
		ec = cli_fail(x, r, skewed ? "nothing was sent; send again once the clocks agree"
					   : "check this computer's clock; nothing was sent",
			      "the key the switch gave for %s at %s is not valid now by this device's "
			      "clock%s%s", devs[bad].officer, devs[bad].post, skewed ? ": " : "",
			      skewed ? clock : "");
		goto out;
	}
	if (r || (r = dp_cable_set_recipients(c, rcpt, ndev))) {
		ec = cli_fail(x, r, "report this to the HQ operator", "the switch's recipient list is unusable");
		goto out;
	}
	if (!x->json) {
		fprintf(stderr, "encrypting to %zu device%s:", ndev, ndev == 1 ? "" : "s");
		for (size_t i = 0; i < ndev; i++)
			fprintf(stderr, "%s %s@%s%s", i ? "," : "", devs[i].officer, devs[i].post,
				devs[i].role == DP_ROLE_INFO ? " (info)" : "");
		fputc('\n', stderr);
	}
	if ((ec = read_body(x, d->body, &body)))
		goto out;
	c->body = dp_buf_steal(&body, &c->body_len);
	if ((ec = read_attachments(x, d, c)))
		goto out;
	dp_random(c->id, sizeof c->id);
	c->created = dp_now();
	strcpy(c->from, x->ans.post);
	memcpy(c->from_device, x->ks->sign_pk, DP_ED25519_PK);
	if ((r = dp_cable_validate(c))) {
		ec = cli_fail(x, r, "check the body is UTF-8 text, attachment names [A-Za-z0-9._-], dates",
			      "the cable does not follow the format");
		goto out;
	}
	if ((r = seal_cable(c, keys, ndev, x->ks->sign_sk, &sub))) {
		ec = cli_fail(x, r, NULL, "cannot sign and encrypt the cable");
		goto out;
	}
	char id[DP_HEXID], p[PATH_MAX], name[64];
	dp_hex_encode(id, c->id, DP_CABLE_ID);
	snprintf(name, sizeof name, "sent/%s.cable", id);
	cli_path(x, p, name);
	if ((r = dp_write_file(p, sub.p, sub.len, 0600, 1)) || (r = sentrec_write(x, c, "pending", NULL, d->decoy))) {
		ec = cli_fail(x, r, "nothing was sent", "cannot save the outgoing cable in %s", x->home);
		goto out;
	}
	dp_submit_result res;
	r = submit(x, sub.p, sub.len, &res, d->decoy);
	if (r) {
		/* unreachable, or its disk full: the same bytes go later */
		int later = r == DP_ENET || r == DP_ENOSPC;
		ec = cli_fail(x, r,
			      !later ? NULL
			      : d->decoy ? "the decoy is saved; run `denpo retry --decoy` with its id to send the same bytes"
			      : r == DP_ENOSPC ? "the cable is saved; once the switch's operator has freed space, "
						 "run `denpo retry` with its id to send the same bytes"
					 : "the cable is saved; run `denpo retry` with its id to send the same bytes",
			      "cable %s was not accepted", id);
		goto out;
	}
	if (strcmp(res.cable_id, id) != 0) {
		ec = cli_fail(x, DP_EPROTO, "report this to the HQ operator", "the switch acknowledged another cable id");
		goto out;
	}
	if ((r = sentrec_write(x, c, "accepted", &res, d->decoy)))
		fprintf(stderr, "denpo: warning: cable %s was accepted, but its record in sent/ still says "
				"pending: %s\n", id, cli_strerror(x, r));
	ec = print_sent(x, &res, devs, ndev);
out:
	dp_resolution_free(&res0);
	free(rcpt);
	free(keys);
	dp_buf_free(&body);
	dp_buf_free(&sub);
	return ec;
}

static void draft_defaults(dp_cable *c)
{
	c->classification = -1;
	c->prec_action = c->prec_info = -1;
}

int cmd_send(cli_ctx *x, int argc, char **argv)
{
	draft d;
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
	ec = draft_to_cable(x, &d, &c, "send");
	if (ec < 0)
		ec = cli_open_client(x);
	if (!ec)
		ec = finish_send(x, &d, &c);
	dp_cable_free(&c);
	return ec;
}

int cmd_reply(cli_ctx *x, int argc, char **argv)
{
	draft d;
	memset(&d, 0, sizeof d);
	int ec = parse_opts(x, argc, argv, &d, "reply", reply_help);
	if (ec >= 0)
		return ec;
	if (optind + 1 != argc)
		return cli_usage("reply", "give exactly one MRN or cable id to answer");
	if (cli_home(x, 0))
		return cli_fail(x, DP_ENOTFOUND, "run `denpo init` first", "no state directory %s", x->home);
	if ((ec = cli_open_client(x)))
		return ec;
	char id[DP_HEXID], mrn[DP_MRN_MAX + 1], asked[DP_MRN_MAX + 1];
	int64_t accepted;
	int r = cli_ref_to_id(x, argv[optind], id);
	if (r == DP_EINVAL)
		return cli_usage("reply", "'%s' is neither an MRN (\"26 HQ 000012\") nor a cable id", argv[optind]);
	if (r == DP_ESTATE)
		return EXIT_ERR;
	if (r)
		return cli_fail(x, r, "check `denpo inbox`", "cannot find cable %s", argv[optind]);
	dp_cable orig, c;
	dp_envelope e;
	dp_cable_init(&orig);
	dp_envelope_init(&e);
	dp_cable_init(&c);
	if (cli_ref_mrn(argv[optind], asked))
		asked[0] = 0; /* a cable id */
	/* REF is the MRN its log entry records, checked like `denpo read` checks it */
	ec = cli_open_cable(x, id, asked, &e, &orig, mrn, &accepted, NULL);
	if (!ec) {
		/* defaults from the original; the send options override them */
		c.classification = orig.classification;
		memcpy(c.captions, orig.captions, sizeof c.captions);
		c.ncaptions = orig.ncaptions;
		c.prec_action = c.prec_info = orig.prec_action;
		strcpy(c.to[0], orig.from);
		c.nto = 1;
		memcpy(c.tags, orig.tags, sizeof c.tags);
		c.ntags = orig.ntags;
		strcpy(c.refs[0], mrn);
		c.nrefs = 1;
		if (!strncmp(orig.subject, "RE: ", 4))
			snprintf(c.subject, sizeof c.subject, "%s", orig.subject);
		else
			snprintf(c.subject, sizeof c.subject, "RE: %.*s", DP_SUBJECT_MAX - 4, orig.subject);
		ec = draft_to_cable(x, &d, &c, "reply");
		if (ec < 0)
			ec = finish_send(x, &d, &c);
	}
	dp_cable_free(&orig);
	dp_envelope_free(&e);
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

/* Submit sent/ID.cable again and bring its record up to date.  DP codes; the record's update failing is a warning. */
static int resend(cli_ctx *x, const char *id, int decoy, dp_submit_result *res)
{
	char p[PATH_MAX], name[64];
	snprintf(name, sizeof name, "sent/%.32s.cable", id);
	cli_path(x, p, name);
	dp_buf sub;
	dp_buf_init(&sub, (size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4);
	int r = dp_read_file(p, &sub);
	if (!r)
		r = submit(x, sub.p, sub.len, res, decoy);
	dp_buf_free(&sub);
	if (r)
		return r;
	if (strcmp(res->cable_id, id) != 0)
		return DP_EPROTO; /* the switch acknowledged another cable */
	int w = sentrec_accepted(x, id, res);
	if (w && w != DP_ENOTFOUND)
		fprintf(stderr, "denpo: warning: cable %s was accepted as %s, but its record in sent/ could "
				"not be updated: %s\n", id, res->mrn, cli_strerror(x, w));
	return DP_OK;
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
		r = resend(x, s->cable_id, s->decoy, &res);
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
	int r = resend(x, id, decoy, &res);
	if (r)
		return cli_fail(x, r, NULL, "cable %s was not accepted", id);
	if (!res.duplicate && sentrec_get(x, id, &rec) == DP_OK && rec.was[0])
		fprintf(stderr, "denpo: the switch had lost this cable: it is %s now (was %s)\n", res.mrn, rec.was);
	return print_sent(x, &res, NULL, 0);
}
