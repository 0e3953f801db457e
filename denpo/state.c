/*
 * denpo/state.c - the client's state directory, passphrase, keys, the
 * enrolment answer, the local cache, error reporting.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "denpo/cli.h"
#include "denpo/encoding.h"
#include "denpo/num.h"
#include "denpo/officer.h"

int cli_common_opt(cli_ctx *x, int id, const char *arg)
{
	switch (id) {
	case OPT_HOME:
		x->home_opt = arg;
		return 1;
	case OPT_JSON:
		x->json = 1;
		return 1;
	case OPT_PASSFILE:
		x->passfile = arg;
		return 1;
	default:
		return 0;
	}
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "denpo %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see `denpo %s --help`)\n", cmd);
	return EXIT_USAGE;
}

int cli_exit_code(int rc)
{
	switch (rc) {
	case DP_OK:
		return EXIT_OK;
	case DP_ESIG:
	case DP_EHMAC:
	case DP_EHEADER:
	case DP_EPAYLOAD:
	case DP_ENOMATCH:
	case DP_EDENIED:
		return EXIT_VERIFY;
	default:
		return EXIT_ERR;
	}
}

/*
 * Every file of the state directory is written by dp_write_file, which
 * leaves the old file as it was when the disk is full, and every command
 * stops before anything it cannot undo (acknowledging a cable, erasing a
 * key, sending one) when a write fails: so nothing is lost, and the
 * officer is told so.  The switch's full disk comes back from it (507
 * disk_full) with its own message and is not this device's.
 */
const char *cli_disk_full(cli_ctx *x, int rc)
{
	static char line[PATH_MAX + 96];
	if (rc != DP_ENOSPC || (x->cl && dp_client_http_status(x->cl) == 507))
		return NULL;
	snprintf(line, sizeof line, "the disk of this device is full (%s): free space and retry; "
				    "nothing was lost", x->home[0] ? x->home : "its state directory");
	return line;
}

const char *cli_strerror(cli_ctx *x, int rc)
{
	const char *df = cli_disk_full(x, rc);
	return df ? df : dp_strerror(rc);
}

/*
 * cli_fail and cli_fail_why: phrase 0 leaves out the error code's phrase,
 * for a WHAT that already says what was wrong (DP_ESIG's "signature does
 * not verify" after "the switch sent no key entry" would name a cause that
 * was not it).
 */
static int vfail(cli_ctx *x, int rc, const char *hint, int phrase, const char *fmt, va_list ap)
{
	char what[1024];
	vsnprintf(what, sizeof what, fmt, ap);
	if (cli_disk_full(x, rc))
		hint = cli_disk_full(x, rc); /* whatever the caller thought of: this is what to do */
	const char *msg = x->cl ? dp_client_message(x->cl) : "";
	x->err.rc = rc;
	snprintf(x->err.what, sizeof x->err.what, "%s", what);
	snprintf(x->err.message, sizeof x->err.message, "%.400s%s%s%s", phrase ? dp_strerror(rc) : what,
		 msg && *msg ? " (" : "", msg && *msg ? msg : "", msg && *msg ? ")" : "");
	snprintf(x->err.hint, sizeof x->err.hint, "%s", hint ? hint : "");
	if (x->quiet || cli_stopping())
		return cli_exit_code(rc); /* recorded; a process asked to end says no more */
	fprintf(stderr, "denpo: %s", what);
	if (phrase)
		fprintf(stderr, ": %s", dp_strerror(rc));
	if (msg && *msg)
		fprintf(stderr, " (%s)", msg);
	fputc('\n', stderr);
	if (hint)
		fprintf(stderr, "  -> %s\n", hint);
	if (x->json) {
		json_t *j = json_pack("{s:s, s:s, s:s}", "error", dp_errname(rc), "what", what, "message",
				      msg && *msg ? msg : phrase ? dp_strerror(rc) : what);
		dp_json_print(j);
	}
	return cli_exit_code(rc);
}

int cli_fail(cli_ctx *x, int rc, const char *hint, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int ec = vfail(x, rc, hint, 1, fmt, ap);
	va_end(ap);
	return ec;
}

int cli_fail_why(cli_ctx *x, int rc, const char *hint, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int ec = vfail(x, rc, hint, 0, fmt, ap);
	va_end(ap);
	return ec;
}

int cli_unreachable(const cli_ctx *x, int r)
{
	return r == DP_ENET && !(x->cl && dp_client_pin_failed(x->cl));
}

int cli_shred(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
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
	return unlink(path) == 0 ? DP_OK : errno == ENOENT ? DP_ENOTFOUND : DP_EIO;
}

void cli_age_str(int64_t t, char out[32])
{
	int64_t d = (int64_t)time(NULL) - t;
	if (d < 0)
		d = 0;
	if (d < 120)
		snprintf(out, 32, "%llds", (long long)d);
	else if (d < 7200)
		snprintf(out, 32, "%lldm", (long long)(d / 60));
	else if (d < 172800)
		snprintf(out, 32, "%lldh", (long long)(d / 3600));
	else
		snprintf(out, 32, "%lldd", (long long)(d / 86400));
}

static int mkdir_0700(const char *p)
{
	if (mkdir(p, 0700) == 0)
		return DP_OK;
	struct stat st;
	if (errno == EEXIST && stat(p, &st) == 0 && S_ISDIR(st.st_mode))
		return DP_OK;
	return DP_EIO;
}

int cli_home(cli_ctx *x, int create)
{
	const char *h = x->home_opt;
	if (!h || !*h)
		h = getenv("DENPO_HOME");
	if (h && *h) {
		if (snprintf(x->home, sizeof x->home, "%s", h) >= (int)sizeof x->home)
			return DP_EINVAL;
	} else {
		const char *u = getenv("HOME");
		if (!u || !*u)
			return DP_EINVAL;
		if (snprintf(x->home, sizeof x->home, "%s/.denpo", u) >= (int)sizeof x->home)
			return DP_EINVAL;
	}
	if (strlen(x->home) > PATH_MAX - 64)
		return DP_EINVAL; /* room for the file names below it */
	if (!create) {
		struct stat st;
		if (stat(x->home, &st) || !S_ISDIR(st.st_mode))
			return DP_ENOTFOUND;
		return DP_OK;
	}
	char p[PATH_MAX];
	int r = mkdir_0700(x->home);
	cli_path(x, p, "cache");
	r = r ? r : mkdir_0700(p);
	cli_path(x, p, "sent");
	r = r ? r : mkdir_0700(p);
	return r;
}

void cli_path(const cli_ctx *x, char out[PATH_MAX], const char *name)
{
	/* cli_home keeps the home path 64 bytes short of PATH_MAX: names fit */
	if (snprintf(out, PATH_MAX, "%s/%s", x->home, name) >= PATH_MAX)
		out[0] = 0;
}

void cli_pass_free(char *pass)
{
	if (pass)
		sodium_free(pass); /* wipes */
}

/* Read one line from fd into p (cap CLI_PASS_MAX); strips the newline. */
static int read_line_fd(int fd, char *p, size_t *len)
{
	size_t n = 0;
	for (;;) {
		char ch;
		ssize_t k = read(fd, &ch, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return DP_EIO;
		if (k == 0 || ch == '\n')
			break;
		if (n + 1 >= CLI_PASS_MAX)
			return DP_ETOOBIG;
		p[n++] = ch;
	}
	if (n && p[n - 1] == '\r')
		n--;
	p[n] = 0;
	*len = n;
	return DP_OK;
}

static int prompt_tty(const char *prompt, char *p, size_t *len)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return DP_ENOTFOUND;
	struct termios old, noecho;
	int have = tcgetattr(fd, &old) == 0;
	if (have) {
		noecho = old;
		noecho.c_lflag &= (tcflag_t)~(ECHO | ECHONL);
		noecho.c_lflag |= ICANON;
		tcsetattr(fd, TCSAFLUSH, &noecho);
	}
	if (write(fd, prompt, strlen(prompt)) < 0) {
		/* prompt lost; still read */
	}
	int r = read_line_fd(fd, p, len);
	if (have)
		tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) {
		/* cosmetic */
	}
	close(fd);
	return r;
}

/*
 * A passphrase from file (first line), else $DENPO_PASSPHRASE if use_env,
 * else the terminal (twice when confirm).
 */
static int get_pass(const char *file, int use_env, int confirm, const char *prompt, char **pass,
		    size_t *len)
{
	*pass = NULL;
	*len = 0;
	char *p = sodium_malloc(CLI_PASS_MAX);
	if (!p)
		return DP_ENOMEM;
	int r;
	const char *env = use_env ? getenv("DENPO_PASSPHRASE") : NULL;
	if (file) {
		int fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			sodium_free(p);
			fprintf(stderr, "denpo: cannot open passphrase file %s: %s\n", file, strerror(errno));
			return DP_EIO;
		}
		r = read_line_fd(fd, p, len);
		close(fd);
	} else if (env) {
		static int warned; /* once per command, however often it asks */
		if (!warned++)
			fprintf(stderr, "denpo: warning: the passphrase comes from $DENPO_PASSPHRASE: other "
					"processes of this user (and root) can read it in /proc/PID/environ, and "
					"it tends to stay in shell history and scripts\n"
					"  -> use --passphrase-file FILE (mode 0600) or type it when asked\n");
		size_t n = strlen(env);
		if (n + 1 > CLI_PASS_MAX) {
			r = DP_ETOOBIG;
		} else {
			memcpy(p, env, n + 1);
			*len = n;
			r = DP_OK;
		}
	} else {
		r = prompt_tty(prompt, p, len);
		if (r == DP_ENOTFOUND)
			fprintf(stderr, "denpo: no terminal to ask for the passphrase: %s\n",
				use_env ? "set DENPO_PASSPHRASE or use --passphrase-file FILE"
					: "use --new-passphrase-file FILE");
		if (!r && confirm) {
			char *q = sodium_malloc(CLI_PASS_MAX);
			size_t qlen = 0;
			if (!q)
				r = DP_ENOMEM;
			else
				r = prompt_tty("Repeat the passphrase: ", q, &qlen);
			if (!r && (qlen != *len || sodium_memcmp(p, q, qlen) != 0)) {
				fprintf(stderr, "denpo: the passphrases differ; nothing was created\n");
				r = DP_EPASS;
			}
			if (q)
				sodium_free(q);
		}
	}
	if (!r && *len == 0) {
		fprintf(stderr, "denpo: the passphrase is empty\n");
		r = DP_EPASS;
	}
	if (r) {
		sodium_free(p);
		*len = 0;
		return r;
	}
	*pass = p;
	return DP_OK;
}

int cli_passphrase(cli_ctx *x, int confirm, char **pass, size_t *len)
{
	return get_pass(x->passfile, 1, confirm, "Passphrase for the denpo keystore: ", pass, len);
}

int cli_passphrase_new(cli_ctx *x, const char *file, const char *old, const char *user, char **pass,
		       size_t *len)
{
	int r = old ? get_pass(file, 0, 1, "New passphrase for the denpo keystore: ", pass, len)
		    : cli_passphrase(x, 1, pass, len);
	if (r)
		return cli_fail(x, r, NULL, "no new passphrase for the keystore");
	char why[256];
	if ((r = cli_pass_check(*pass, old, user, why, sizeof why))) {
		cli_pass_free(*pass);
		*pass = NULL;
		*len = 0;
		cli_fail(x, r,
			 r == DP_EDENIED ? "choose a longer one: four or more unrelated words make a strong "
					   "passphrase that is easy to type; nothing was written"
					 : "fix /etc/security/pwquality.conf (man pwquality.conf); nothing was written",
			 "weak passphrase (%s)", why);
		return EXIT_ERR; /* not a verification failure (exit 3) */
	}
	return EXIT_OK;
}

int cli_load_keys(cli_ctx *x)
{
	if (x->ks)
		return EXIT_OK;
	char path[PATH_MAX];
	cli_path(x, path, "keystore.age");
	if (access(path, F_OK) != 0)
		return cli_fail(x, DP_ENOTFOUND, "run `denpo init --officer HANDLE --post POST` first",
				"no keystore at %s", path);
	char *pass;
	size_t plen;
	int r = cli_passphrase(x, 0, &pass, &plen);
	if (r)
		return cli_fail(x, r, NULL, "cannot get the keystore passphrase");
	/* under the lock: the hash kept must be that of the bytes loaded */
	int fd = cli_lock_keystore(x, 0);
	r = fd < 0 ? DP_EIO : dp_keystore_load(&x->ks, path, pass, plen);
	if (!r)
		r = cli_keystore_loaded(x);
	cli_unlock_keystore(fd);
	if (!r) {
		x->pass = pass; /* kept: key epochs re-save the keystore */
		x->passlen = plen;
	} else
		cli_pass_free(pass);
	if (r == DP_EPASS)
		return cli_fail(x, r, "check DENPO_PASSPHRASE / --passphrase-file and try again",
				"cannot open the keystore %s", path);
	if (r)
		return cli_fail(x, r, "the keystore file is damaged; restore it from backup or re-enrol",
				"cannot open the keystore %s", path);
	return EXIT_OK;
}

int cli_load_answer(cli_ctx *x)
{
	if (x->have_ans)
		return EXIT_OK;
	char path[PATH_MAX];
	cli_path(x, path, "answer.txt");
	dp_buf b;
	dp_buf_init(&b, DP_ENROL_MAX);
	int r = dp_read_file(path, &b);
	if (r == DP_ENOTFOUND) {
		dp_buf_free(&b);
		return cli_fail(x, r,
				"send enrol-request.txt to your HQ operator, then run `denpo enrol --answer FILE`",
				"this device is not enrolled yet");
	}
	if (!r)
		r = dp_enrol_answer_decode(&x->ans, b.p, b.len);
	dp_buf_free(&b);
	if (r)
		return cli_fail(x, r, "re-import the operator's answer with `denpo enrol --answer FILE`",
				"the enrolment answer %s is unreadable", path);
	x->have_ans = 1;
	return EXIT_OK;
}

/* ---- the switch's addresses: which one answered last ---- */

const char *cli_switch_last(cli_ctx *x)
{
	if (!x->have_ans)
		return "";
	if (!x->switch_read) {
		x->switch_read = 1;
		char p[PATH_MAX];
		cli_path(x, p, "switch");
		dp_buf b;
		dp_buf_init(&b, DP_URL_MAX + 1); /* an address and its newline; longer is no address */
		x->switch_last[0] = 0;
		if (dp_read_file(p, &b) == DP_OK && b.len > 1 && b.len <= DP_URL_MAX + 1 &&
		    b.p[b.len - 1] == '\n') {
			memcpy(x->switch_last, b.p, b.len - 1);
			x->switch_last[b.len - 1] = 0;
		}
		dp_buf_free(&b);
	}
	/* an address the answer does not list (another enrolment, a hand edit): the primary */
	int i = dp_switch_list_find(&x->ans.switches, x->switch_last);
	return x->ans.switches.url[i < 0 ? 0 : i];
}

void cli_switch_remember(void *ud, const char *url)
{
	cli_ctx *x = ud;
	char p[PATH_MAX], line[DP_URL_MAX + 2];
	int n = snprintf(line, sizeof line, "%s\n", url);
	cli_path(x, p, "switch");
	snprintf(x->switch_last, sizeof x->switch_last, "%s", url);
	x->switch_read = 1;
	int r = n > 0 && (size_t)n < sizeof line ? dp_write_file(p, line, (size_t)n, 0600, 0) : DP_EINVAL;
	if (r)
		fprintf(stderr, "denpo: warning: the switch answered at %s, but %s cannot be written (%s): "
				"the next command starts at the first address again\n",
			url, p, cli_strerror(x, r));
}

json_t *cli_switches_json(const dp_switch_list *l)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < l->n; i++)
		json_array_append_new(a, json_string(l->url[i]));
	return a;
}

long cli_failover_ms(void)
{
	uint64_t v;
	const char *s = getenv("DENPO_FAILOVER_WAIT");
	if (s && *s && dp_num_str(&v, s, 0, CLI_FAILOVER_WAIT_MAX) == DP_OK)
		return (long)v * 1000;
	if (s && *s)
		fprintf(stderr, "denpo: warning: $DENPO_FAILOVER_WAIT is not 0..%d seconds: %d s used\n",
			CLI_FAILOVER_WAIT_MAX, CLI_FAILOVER_MS / 1000);
	return CLI_FAILOVER_MS;
}

int cli_open_client(cli_ctx *x)
{
	if (x->cl)
		return EXIT_OK;
	int ec = cli_load_answer(x);
	if (ec)
		return ec;
	ec = cli_load_keys(x);
	if (ec)
		return ec;
	if (memcmp(x->ks->sign_pk, x->ans.device_id, DP_ED25519_PK) != 0)
		return cli_fail(x, DP_EINVAL, "import the answer made for this device's request",
				"the enrolment answer names another device than this keystore");
	/* libcurl (and OpenSSL's TLS library) set up only by a command that connects */
	if (!x->net_init && dp_client_global_init())
		return cli_fail(x, DP_ENET, NULL, "cannot initialise the network library");
	x->net_init = 1;
	dp_client_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.switches = &x->ans.switches;
	cfg.start = (size_t)dp_switch_list_find(&x->ans.switches, cli_switch_last(x));
	cfg.moved = cli_switch_remember;
	cfg.moved_ud = x;
	/*
	 * Several addresses: when none answers, keep trying them for a while --
	 * long enough for a restarted or promoted instance to take over -- so
	 * a command (and a waiting reader) rides over a failover by itself.
	 * One address: as before (`denpo send` retries on its own).
	 */
	cfg.retry_ms = x->ans.switches.n > 1 ? cli_failover_ms() : 0;
	memcpy(cfg.switch_tls_pk, x->ans.switch_tls_pk, 32);
	cfg.tls_seed = x->ks->tls_seed;
	int r = dp_client_new(&x->cl, &cfg);
	if (r)
		return cli_fail(x, r, NULL, "cannot set up the connection to %s", x->ans.switches.url[0]);
	dp_client_set_stop(x->cl, cli_stop_flag()); /* set only in a session (denpo/session.c) */
	/*
	 * Witness the log first, in every command that connects (`key` too,
	 * which runs its key upkeep itself): a switch showing a forked log gets
	 * nothing more.
	 */
	if (!x->maint_done) {
		x->maint_done = 1;
		char ck[PATH_MAX];
		cli_path(x, ck, "log/checkpoint");
		x->republish_keys |= access(ck, F_OK) != 0;
		ec = cli_upkeep(x);
		if (ec)
			return ec;
		if (x->offline && x->offline_ok)
			return EXIT_OK; /* no switch: the key upkeep waits for the next command that reaches it */
		/* keys look expired or not yet valid when the clocks disagree: said up front */
		char clock[256];
		if (dp_client_clock_note(x->cl, clock, sizeof clock))
			fprintf(stderr, "denpo: WARNING: %s\n", clock);
		if (!x->no_maint)
			cli_keys_upkeep(x);
	}
	return EXIT_OK;
}

int cli_busy_retry(cli_ctx *x, int r, int *tries)
{
	if (r == DP_OK || !x->cl || dp_client_http_status(x->cl) != 503 || *tries >= CLI_BUSY_TRIES)
		return 0;
	usleep(100000u << (*tries)++);
	return 1;
}

int cli_reconnect(cli_ctx *x)
{
	if (!x->cl)
		return cli_open_client(x);
	int was = x->offline;
	int ec = cli_upkeep(x); /* witnesses the log again, and says whether the switch answered */
	if (!ec && was && !x->offline && !x->no_maint)
		cli_keys_upkeep(x); /* skipped while it was away */
	return ec;
}

void cli_keys_upkeep(cli_ctx *x)
{
	cli_maint m;
	int r = cli_keys_maintain(x, DP_EPOCH_LOOKAHEAD, 0, &m);
	if (r == DP_ESTATE)
		fprintf(stderr, "denpo: WARNING: the switch refused this device's new key (%s); if this "
				"keystore was restored from a backup, enrol a new device instead\n",
			dp_client_message(x->cl));
	else if (cli_disk_full(x, r))
		fprintf(stderr, "denpo: warning: key upkeep did not finish: %s\n", cli_strerror(x, r));
	else if (r)
		fprintf(stderr, "denpo: warning: key upkeep did not finish: %s (%s); it runs again with "
				"the next command -- `denpo key status` shows the keys\n",
			dp_strerror(r), dp_client_message(x->cl));
}

void cli_close(cli_ctx *x)
{
	dp_client_free(x->cl);
	x->cl = NULL;
	dp_keystore_free(x->ks);
	x->ks = NULL;
	cli_pass_free(x->pass);
	x->pass = NULL;
	x->passlen = 0;
	sodium_memzero(&x->ans, sizeof x->ans);
	x->have_ans = 0;
	officer_view_free(x->ov);
	x->ov = NULL;
}

/* ---- local cache ---- */

static int id_ok(const char *id)
{
	uint8_t b[DP_CABLE_ID];
	return strlen(id) == 32 && dp_hex_decode(b, sizeof b, id, 32) == DP_OK;
}

void cli_cache_path(const cli_ctx *x, const char *id, const char *ext, char out[PATH_MAX])
{
	char name[64];
	snprintf(name, sizeof name, "cache/%.32s.%s", id, ext);
	cli_path(x, out, name);
}

int cli_cache_get(cli_ctx *x, const char *id, dp_buf *sub)
{
	if (!id_ok(id))
		return DP_EINVAL;
	char p[PATH_MAX];
	cli_cache_path(x, id, "cable", p);
	return dp_read_file(p, sub);
}

int cli_cache_put(cli_ctx *x, const char *id, const uint8_t *sub, size_t n)
{
	if (!id_ok(id))
		return DP_EINVAL;
	char p[PATH_MAX];
	cli_cache_path(x, id, "cable", p);
	return dp_write_file(p, sub, n, 0600, 0);
}

int cli_cache_ids(cli_ctx *x, char ***ids, size_t *n)
{
	*ids = NULL;
	*n = 0;
	char dpath[PATH_MAX];
	cli_path(x, dpath, "cache");
	DIR *d = opendir(dpath);
	if (!d)
		return DP_OK; /* nothing fetched yet */
	struct dirent *de;
	size_t cap = 0;
	int r = DP_OK;
	while (!r && (de = readdir(d))) {
		char id[DP_HEXID];
		if (strlen(de->d_name) != 32 + 6 || strcmp(de->d_name + 32, ".cable") != 0)
			continue;
		memcpy(id, de->d_name, 32);
		id[32] = 0;
		if (!id_ok(id))
			continue;
		if (*n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			char **g = realloc(*ids, nc * sizeof *g);
			if (!g) {
				r = DP_ENOMEM;
				break;
			}
			*ids = g;
			cap = nc;
		}
		if (!((*ids)[*n] = strdup(id)))
			r = DP_ENOMEM;
		else
			(*n)++;
	}
	closedir(d);
	if (r) {
		for (size_t i = 0; i < *n; i++)
			free((*ids)[i]);
		free(*ids);
		*ids = NULL;
		*n = 0;
	}
	return r;
}

/* ---- MRN / id lookup ---- */

/* Search dir for ID.mrn files (cache) or ID.json records (sent) naming mrn. */
static int scan_dir(cli_ctx *x, const char *sub, const char *suffix, const char *mrn, char id[DP_HEXID])
{
	char dpath[PATH_MAX];
	cli_path(x, dpath, sub);
	DIR *d = opendir(dpath);
	if (!d)
		return 0;
	struct dirent *de;
	int found = 0;
	while (!found && (de = readdir(d))) {
		size_t n = strlen(de->d_name), sl = strlen(suffix);
		if (n != 32 + sl || strcmp(de->d_name + 32, suffix) != 0)
			continue;
		char p[PATH_MAX + 256];
		snprintf(p, sizeof p, "%s/%s", dpath, de->d_name);
		dp_buf b;
		dp_buf_init(&b, 65536);
		if (dp_read_file(p, &b) == DP_OK) {
			if (!strcmp(suffix, ".mrn")) {
				/* its first line (the reference number; what follows is its log binding) */
				size_t l = strlen(mrn);
				found = b.len >= l && memcmp(b.p, mrn, l) == 0 && (b.len == l || b.p[l] == '\n');
			} else {
				json_error_t je;
				json_t *j = json_loadb((const char *)b.p, b.len, 0, &je);
				json_t *m = j ? json_object_get(j, "mrn") : NULL;
				found = json_is_string(m) && !strcmp(json_string_value(m), mrn);
				json_decref(j);
			}
		}
		dp_buf_free(&b);
		if (found) {
			memcpy(id, de->d_name, 32);
			id[32] = 0;
		}
	}
	closedir(d);
	return found;
}

int cli_ref_mrn(const char *ref, char mrn[DP_MRN_MAX + 1])
{
	/* normalise an MRN: upper case, single spaces */
	size_t n = 0;
	mrn[0] = 0;
	for (const char *s = ref; *s; s++) {
		char ch = *s >= 'a' && *s <= 'z' ? (char)(*s - 32) : *s;
		if (ch == ' ' && (n == 0 || mrn[n - 1] == ' '))
			continue;
		if (n >= DP_MRN_MAX) {
			mrn[0] = 0;
			return DP_EINVAL;
		}
		mrn[n++] = ch;
	}
	while (n && mrn[n - 1] == ' ')
		n--;
	mrn[n] = 0;
	if (!dp_mrn_ok(mrn)) {
		mrn[0] = 0;
		return DP_EINVAL;
	}
	return DP_OK;
}

int cli_ref_to_id(cli_ctx *x, const char *ref, char id[DP_HEXID])
{
	if (strlen(ref) == 32 && id_ok(ref)) {
		for (int i = 0; i < 32; i++)
			id[i] = (char)((ref[i] >= 'A' && ref[i] <= 'F') ? ref[i] + 32 : ref[i]);
		id[32] = 0;
		return DP_OK;
	}
	char mrn[DP_MRN_MAX + 1];
	if (cli_ref_mrn(ref, mrn))
		return DP_EINVAL;
	/*
	 * Local files first, then the switch's lists: a mapping from any of them
	 * is only a lead -- the command checks the cable's logged MRN against
	 * the one asked for (denpo/bind.h).
	 */
	if (scan_dir(x, "cache", ".mrn", mrn, id) || scan_dir(x, "sent", ".json", mrn, id))
		return DP_OK;
	if (x->offline)
		return DP_ENET; /* not held here, and no switch to ask */
	int ec = cli_open_client(x);
	if (ec)
		return DP_ESTATE; /* already reported */
	dp_inbox_item *it = NULL;
	size_t cnt = 0;
	int r = dp_client_inbox(x->cl, 0, &it, &cnt);
	for (size_t i = 0; !r && i < cnt; i++)
		if (!strcmp(it[i].mrn, mrn)) {
			memcpy(id, it[i].cable_id, DP_HEXID);
			free(it);
			return DP_OK;
		}
	free(it);
	if (r)
		return r;
	dp_sent_item *st = NULL;
	r = dp_client_sent(x->cl, &st, &cnt);
	for (size_t i = 0; !r && i < cnt; i++)
		if (!strcmp(st[i].mrn, mrn)) {
			memcpy(id, st[i].cable_id, DP_HEXID);
			free(st);
			return DP_OK;
		}
	free(st);
	return r ? r : DP_ENOTFOUND;
}
