/*
 * denpo/cmd_init.c - `denpo init`, `denpo enrol`, `denpo whoami`.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "denpo/cli.h"
#include "denpo/encoding.h"
#include "denpo/fingerprint.h"
#include "denpo/tls.h"

static const char init_help[] =
	"usage: denpo init --officer HANDLE --post POST [--device-name NAME] [--request-out FILE]\n"
	"\n"
	"Creates this device's keys (signing, TLS, and the post-quantum age\n"
	"mlkem768x25519 cable key at epoch 0) in a passphrase-protected keystore\n"
	"(HOME/keystore.age, mode 0600) and writes the\n"
	"signed enrolment request (HOME/enrol-request.txt, and FILE if given), and\n"
	"shows the request's fingerprint (8 groups of 5 digits).  Hand the request to\n"
	"your HQ operator and read them the fingerprint over a channel that\n"
	"authenticates you (in person, a known phone number): they approve only if\n"
	"theirs is the same.  Import the answer with `denpo enrol`.\n"
	"The passphrase must pass libpwquality's checks (the machine's\n"
	"/etc/security/pwquality.conf, at least 12 characters, no dictionary word, not\n"
	"your handle): several unrelated words are easy to type and hard to guess.\n"
	"\n"
	"  --officer HANDLE     your officer handle, e.g. sato.k\n"
	"  --post POST          your post, e.g. TOKYO (upper case)\n"
	"  --device-name NAME   a name for this device (default: DEVICE)\n"
	"  --request-out FILE   also write the request to FILE\n"
	"The scrypt work factor is 2^18; $DENPO_SCRYPT_LOGN (10..22) overrides it (tests only).\n";

static void upcase(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 32);
}

int cmd_init(cli_ctx *x, int argc, char **argv)
{
	static const struct option lo[] = {
		{"officer", required_argument, NULL, 'o'},
		{"post", required_argument, NULL, 'p'},
		{"device-name", required_argument, NULL, 'd'},
		{"request-out", required_argument, NULL, 'r'},
		CLI_COMMON_OPTS,
		{NULL, 0, NULL, 0},
	};
	const char *officer = NULL, *post = NULL, *dev = "DEVICE", *out = NULL;
	int o;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == OPT_HELP) {
			fputs(init_help, stdout);
			return EXIT_OK;
		}
		if (cli_common_opt(x, o, optarg))
			continue;
		switch (o) {
		case 'o': officer = optarg; break;
		case 'p': post = optarg; break;
		case 'd': dev = optarg; break;
		case 'r': out = optarg; break;
		default: return cli_usage("init", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage("init", "unexpected argument '%s'", argv[optind]);
	if (!officer || !post)
		return cli_usage("init", "--officer and --post are required");
	dp_enrol_request rq;
	memset(&rq, 0, sizeof rq);
	if (strlen(officer) > DP_NAME_MAX || !dp_handle_ok(officer))
		return cli_usage("init", "bad officer handle '%s' (lower case a-z 0-9 . _ -, e.g. sato.k)", officer);
	if (strlen(post) > DP_NAME_MAX || strlen(dev) > DP_NAME_MAX)
		return cli_usage("init", "post and device names have at most %d characters", DP_NAME_MAX);
	strcpy(rq.officer, officer);
	strcpy(rq.post, post);
	strcpy(rq.device_name, dev);
	upcase(rq.post);
	upcase(rq.device_name);
	if (!dp_name_ok(rq.post))
		return cli_usage("init", "bad post name '%s' (A-Z 0-9 space . _ -)", post);
	if (!dp_name_ok(rq.device_name))
		return cli_usage("init", "bad device name '%s' (A-Z 0-9 space . _ -)", dev);

	int r = cli_home(x, 1);
	if (r)
		return cli_fail(x, r, "pass --home DIR or set DENPO_HOME", "cannot create the state directory %s",
				x->home);
	char kpath[PATH_MAX], rpath[PATH_MAX];
	cli_path(x, kpath, "keystore.age");
	cli_path(x, rpath, "enrol-request.txt");
	if (access(kpath, F_OK) == 0)
		return cli_fail(x, DP_EEXISTS, "use another --home for a new device; keys are never overwritten",
				"%s already holds a keystore", x->home);
	char *pass;
	size_t plen;
	int ec = cli_passphrase_new(x, NULL, NULL, rq.officer, &pass, &plen);
	if (ec)
		return ec;
	dp_keystore *ks;
	r = dp_keystore_generate(&ks);
	if (!r)
		r = dp_keystore_save(ks, kpath, pass, plen, 0);
	cli_pass_free(pass);
	if (r) {
		dp_keystore_free(ks);
		return cli_fail(x, r, NULL, "cannot create the keystore %s", kpath);
	}
	x->ks = ks;
	memcpy(rq.sign_pk, ks->sign_pk, 32);
	memcpy(rq.tls_pk, ks->tls_pk, 32);
	rq.epoch = ks->epoch[ks->nage - 1];
	rq.key_not_before = ks->not_before[ks->nage - 1];
	rq.key_not_after = ks->not_after[ks->nage - 1];
	rq.created = dp_now();
	dp_buf rc, req;
	dp_buf_init(&rc, sizeof rq.age_recipient - 1);
	dp_buf_init(&req, DP_ENROL_MAX);
	r = dp_keystore_recipient(ks, &rc);
	if (!r)
		memcpy(rq.age_recipient, rc.p, rc.len + 1);
	r = r ? r : dp_enrol_request_encode(&rq, ks->sign_sk, &req);
	char fp[DP_FP_STR];
	r = r ? r : dp_enrol_fingerprint(req.p, req.len, fp);
	r = r ? r : dp_write_file(rpath, req.p, req.len, 0600, 0);
	if (!r && out)
		r = dp_write_file(out, req.p, req.len, 0644, 0);
	dp_buf_free(&rc);
	dp_buf_free(&req);
	if (r)
		return cli_fail(x, r, "the keystore exists; rerun with --home pointing at a fresh directory",
				"cannot write the enrolment request");
	char hex[65];
	dp_hex_encode(hex, ks->sign_pk, 32);
	if (x->json) {
		dp_json_print(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "device", hex, "officer",
					 rq.officer, "post", rq.post, "keystore", kpath, "request",
					 out ? out : rpath, "fingerprint", fp));
	} else {
		printf("device      %s\nofficer     %s\npost        %s\nkeystore    %s\nrequest     %s\n"
		       "fingerprint %s\n",
		       hex, rq.officer, rq.post, kpath, out ? out : rpath, fp);
		printf("Next: give the request to your HQ operator and read them the fingerprint (on the\n"
		       "phone or in person): they approve only if `denpod approve` shows the same digits.\n"
		       "Then run `denpo enrol --answer FILE`.\n");
	}
	return EXIT_OK;
}

/*
 * A later answer of the same switch for the same device (`denpod device
 * answer`): the same device, officer and post, the same three keys (what
 * the device trusts), issued no earlier.  What it may change: the
 * switch's addresses, the officer's clearance, captions and roles.
 */
static int answer_renews(const dp_enrol_answer *was, const dp_enrol_answer *now)
{
	return !memcmp(was->device_id, now->device_id, 32) && !strcmp(was->officer, now->officer) &&
	       !strcmp(was->post, now->post) && !memcmp(was->switch_tls_pk, now->switch_tls_pk, 32) &&
	       !memcmp(was->switch_sign_pk, now->switch_sign_pk, 32) &&
	       !strcmp(was->log_key, now->log_key) && now->issued > was->issued;
}

static const char enrol_help[] =
	"usage: denpo enrol --answer FILE   (--import FILE is the same)\n"
	"\n"
	"Imports the enrolment answer your HQ operator made from this device's request:\n"
	"checks the switch's signature and that it names this device, officer and post,\n"
	"then stores it (HOME/answer.txt).  It pins the switch's TLS key for all later use.\n"
	"A later answer of the same switch for this device (`denpod device answer`: the same\n"
	"keys, issued later) replaces it: so a device learns the switch's new addresses.\n";

int cmd_enrol(cli_ctx *x, int argc, char **argv)
{
	static const struct option lo[] = {
		{"answer", required_argument, NULL, 'a'},
		{"import", required_argument, NULL, 'a'}, /* the wording denpod approve uses */
		CLI_COMMON_OPTS,
		{NULL, 0, NULL, 0},
	};
	const char *file = NULL;
	int o;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == OPT_HELP) {
			fputs(enrol_help, stdout);
			return EXIT_OK;
		}
		if (cli_common_opt(x, o, optarg))
			continue;
		if (o == 'a')
			file = optarg;
		else
			return cli_usage("enrol", "unknown option");
	}
	if (optind != argc)
		return cli_usage("enrol", "unexpected argument '%s'", argv[optind]);
	if (!file)
		return cli_usage("enrol", "--answer FILE is required");
	int r = cli_home(x, 0);
	if (r)
		return cli_fail(x, r, "run `denpo init` first (or pass the right --home)",
				"no state directory %s", x->home);
	char rpath[PATH_MAX], apath[PATH_MAX];
	cli_path(x, rpath, "enrol-request.txt");
	cli_path(x, apath, "answer.txt");
	dp_buf a, q, old;
	dp_buf_init(&a, DP_ENROL_MAX);
	dp_buf_init(&q, DP_ENROL_MAX);
	dp_buf_init(&old, DP_ENROL_MAX);
	dp_enrol_answer ans;
	dp_enrol_request rq;
	int ec = EXIT_OK;
	if ((r = dp_read_file(file, &a))) {
		ec = cli_fail(x, r, NULL, "cannot read the answer %s", file);
		goto out;
	}
	if ((r = dp_enrol_answer_decode(&ans, a.p, a.len))) {
		ec = cli_fail(x, r, "ask the operator for the answer file again (unchanged)",
			      "%s is not a valid, switch-signed enrolment answer", file);
		goto out;
	}
	if ((r = dp_read_file(rpath, &q)) || (r = dp_enrol_request_decode(&rq, q.p, q.len))) {
		ec = cli_fail(x, r, "run `denpo init` first", "no valid enrolment request in %s", x->home);
		goto out;
	}
	if (memcmp(ans.device_id, rq.sign_pk, 32) != 0 || strcmp(ans.officer, rq.officer) != 0 ||
	    strcmp(ans.post, rq.post) != 0) {
		ec = cli_fail(x, DP_EDENIED, "ask the operator for the answer made from THIS device's request",
			      "the answer is for another device, officer or post");
		goto out;
	}
	r = dp_read_file(apath, &old);
	if (r == DP_OK) {
		dp_enrol_answer was;
		if (old.len == a.len && memcmp(old.p, a.p, a.len) == 0) {
			r = DP_OK; /* same answer again: nothing to do */
		} else if (dp_enrol_answer_decode(&was, old.p, old.len) == DP_OK && answer_renews(&was, &ans)) {
			/* the same switch (its keys) re-issued it: the addresses may have changed */
			if ((r = dp_write_file(apath, a.p, a.len, 0600, 0))) {
				ec = cli_fail(x, r, "nothing was changed", "cannot store the answer in %s", apath);
				goto out;
			}
		} else {
			ec = cli_fail(x, DP_EEXISTS, "remove answer.txt first if the switch really changed",
				      "this device is already enrolled with another answer");
			goto out;
		}
	} else if ((r = dp_write_file(apath, a.p, a.len, 0600, 1))) {
		ec = cli_fail(x, r, NULL, "cannot store the answer in %s", apath);
		goto out;
	}
	char pin[64], urls[DP_SWITCH_LIST_TEXT_MAX + 1];
	dp_tls_pin(ans.switch_tls_pk, pin);
	if (dp_switch_list_format(&ans.switches, urls, sizeof urls))
		urls[0] = 0; /* cannot happen: the buffer holds the longest list */
	if (x->json)
		dp_json_print(json_pack("{s:s, s:s, s:s, s:s, s:o, s:s}", "officer", ans.officer, "post",
					 ans.post, "clearance", dp_class_name(ans.clearance), "switch",
					 ans.switches.url[0], "switches", cli_switches_json(&ans.switches),
					 "switch_pin", pin));
	else
		printf("enrolled: %s at %s, cleared %s\nswitch   %s (TLS key pinned: %s)\n", ans.officer,
		       ans.post, dp_class_name(ans.clearance), urls, pin);
out:
	dp_buf_free(&a);
	dp_buf_free(&q);
	dp_buf_free(&old);
	return ec;
}

static const char whoami_help[] =
	"usage: denpo whoami\n\nShows this device's id, officer, post, clearance and switch.\n"
	"Needs no passphrase.\n";

int cmd_whoami(cli_ctx *x, int argc, char **argv)
{
	static const struct option lo[] = {CLI_COMMON_OPTS, {NULL, 0, NULL, 0}};
	int o;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == OPT_HELP) {
			fputs(whoami_help, stdout);
			return EXIT_OK;
		}
		if (!cli_common_opt(x, o, optarg))
			return cli_usage("whoami", "unknown option");
	}
	if (optind != argc)
		return cli_usage("whoami", "unexpected argument '%s'", argv[optind]);
	int r = cli_home(x, 0);
	if (r)
		return cli_fail(x, r, "run `denpo init` first (or pass the right --home)",
				"no state directory %s", x->home);
	int ec = cli_load_answer(x);
	if (ec)
		return ec;
	const dp_enrol_answer *a = &x->ans;
	char hex[65], pin[64], caps[DP_MAX_CAPTIONS * (DP_NAME_MAX + 2) + 1] = "", roles[sizeof caps] = "";
	dp_hex_encode(hex, a->device_id, 32);
	dp_tls_pin(a->switch_tls_pk, pin);
	json_t *jc = json_array(), *jr = json_array();
	for (size_t i = 0; i < a->ncaptions; i++) {
		strcat(caps, i ? "," : "");
		strcat(caps, a->captions[i]);
		json_array_append_new(jc, json_string(a->captions[i]));
	}
	for (size_t i = 0; i < a->nroles; i++) {
		strcat(roles, i ? "," : "");
		strcat(roles, a->roles[i]);
		json_array_append_new(jr, json_string(a->roles[i]));
	}
	char urls[DP_SWITCH_LIST_TEXT_MAX + 1];
	if (dp_switch_list_format(&a->switches, urls, sizeof urls))
		urls[0] = 0; /* cannot happen: the buffer holds the longest list */
	if (x->json) {
		dp_json_print(json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:s, s:s, s:s}", "device",
					 hex, "officer", a->officer, "post", a->post, "clearance",
					 dp_class_name(a->clearance), "captions", jc, "roles", jr, "switch",
					 a->switches.url[0], "switches", cli_switches_json(&a->switches),
					 "switch_last", cli_switch_last(x), "switch_pin", pin, "home", x->home));
	} else {
		json_decref(jc);
		json_decref(jr);
		printf("device    %s\nofficer   %s\npost      %s\nclearance %s\ncaptions  %s\nroles     %s\n"
		       "switch    %s\npin       %s\nhome      %s\n",
		       hex, a->officer, a->post, dp_class_name(a->clearance), caps[0] ? caps : "-",
		       roles[0] ? roles : "-", urls, pin, x->home);
		if (a->switches.n > 1)
			printf("last      %s (the address that answered last; the next command starts there)\n",
			       cli_switch_last(x));
	}
	return EXIT_OK;
}
