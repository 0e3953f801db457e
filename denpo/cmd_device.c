/*
 * denpo/cmd_device.c - `denpo device list|approve`: this officer's devices
 * as the officer index lists them (verified at the command's upkeep,
 * denpo/officer.h), and an officer's approval of a new device of theirs.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denpo/encoding.h"
#include "denpo/epoch.h"
#include "denpo/officer.h"

static const char device_help[] =
	"usage: denpo device list [--json]\n"
	"       denpo device approve ID-OR-PREFIX\n\n"
	"This officer's devices, as the switch's officer index lists them: every device\n"
	"ever enrolled in your name, proved against the transparency log's checkpoint\n"
	"(a switch cannot leave one out).  Each command checks them: a device you did not\n"
	"approve is a warning on every command, on every one of your devices, and is\n"
	"reported to the security office.\n\n"
	"  list      name, id, status, enrolment (time, log entry), who approved it, and\n"
	"            which is this device; UNAPPROVED marks the ones this device warns of.\n"
	"            --json: {\"officer\", \"log_size\", \"devices\": [{\"id\", \"name\", \"status\",\n"
	"            \"enrolled\", \"log_index\", \"status_index\", \"this_device\", \"unapproved\",\n"
	"            \"approved_by\"?, \"approved_index\"?}]}\n"
	"  approve   a new device of yours (the id or a unique prefix of it, as `list`\n"
	"            shows): this device signs the approval, the switch logs it, and every\n"
	"            device of yours that trusts this one stops warning of it.  Approve only\n"
	"            a device you enrolled yourself; if you did not, tell the security office.\n";

static void print_list(cli_ctx *x, const struct officer_view *v)
{
	const dp_devrec *r = &v->rec;
	printf("DEVICES OF %s (%zu; officer index at log size %llu)\n", r->officer, r->n,
	       (unsigned long long)v->log_size);
	for (size_t i = 0; i < r->n; i++) {
		const dp_devrec_dev *d = &r->dev[i];
		char hex[65], t[DP_TIME_STR], by[128] = "";
		int unknown = 0;
		for (size_t k = 0; k < v->nunknown; k++)
			unknown |= v->unknown[k] == i;
		dp_hex_encode(hex, d->device, DP_ED25519_PK);
		dp_time_str(d->time, t);
		if (d->approved) {
			char ah[65];
			const dp_devrec_dev *a = NULL;
			for (size_t k = 0; k < r->n; k++)
				a = memcmp(r->dev[k].device, d->approver, DP_ED25519_PK) ? a : &r->dev[k];
			dp_hex_encode(ah, d->approver, DP_ED25519_PK);
			snprintf(by, sizeof by, "  approved by \"%s\" (%.16s..., entry %llu)", a ? a->name : "?", ah,
				 (unsigned long long)d->approved_idx);
		}
		printf("  %-20s %s  %-9s enrolled %s (entry %llu)%s%s%s\n", d->name, hex,
		       dp_devrec_status_name(d->status), t, (unsigned long long)d->enrolled, by,
		       !memcmp(d->device, x->ans.device_id, DP_ED25519_PK) ? "  THIS DEVICE" : "",
		       unknown ? "  UNAPPROVED" : "");
	}
}

static int do_list(cli_ctx *x)
{
	const struct officer_view *v = x->ov;
	if (!x->json) {
		print_list(x, v);
		return EXIT_OK;
	}
	json_t *a = json_array();
	for (size_t i = 0; a && i < v->rec.n; i++) {
		int unknown = 0;
		for (size_t k = 0; k < v->nunknown; k++)
			unknown |= v->unknown[k] == i;
		json_array_append_new(a, officer_dev_json(x, &v->rec, i, unknown));
	}
	dp_json_print(json_pack("{s:s, s:I, s:o, s:O}", "officer", v->rec.officer, "log_size",
				(json_int_t)v->log_size, "devices", a, "warnings", v->warnings));
	return EXIT_OK;
}

/* The one device of the record whose hex id starts with arg; its index, or -1 with *ec (said). */
static long find_device(cli_ctx *x, const dp_devrec *r, const char *arg, int *ec)
{
	size_t n = strlen(arg);
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)arg[i]))
			n = 0;
	if (n < 4 || n > 64) {
		*ec = cli_usage("device", "'%s' is not a device id or a prefix of one (at least 4 hex digits)",
				arg);
		return -1;
	}
	long found = -1;
	for (size_t i = 0; i < r->n; i++) {
		char hex[65];
		dp_hex_encode(hex, r->dev[i].device, DP_ED25519_PK);
		if (strncasecmp(hex, arg, n) != 0)
			continue;
		if (found >= 0) {
			*ec = cli_fail(x, DP_EINVAL, "give more of its id (`denpo device list`)",
				       "more than one device of %s starts with %s", r->officer, arg);
			return -1;
		}
		found = (long)i;
	}
	if (found < 0)
		*ec = cli_fail(x, DP_ENOTFOUND, "see `denpo device list`",
			       "no device of %s in the officer index starts with %s", r->officer, arg);
	return found;
}

static int do_approve(cli_ctx *x, const char *arg)
{
	const dp_devrec *r = &x->ov->rec;
	int ec = EXIT_ERR;
	long i = find_device(x, r, arg, &ec);
	if (i < 0)
		return ec;
	const dp_devrec_dev *d = &r->dev[i];
	char hex[65];
	dp_hex_encode(hex, d->device, DP_ED25519_PK);
	if (!memcmp(d->device, x->ans.device_id, DP_ED25519_PK))
		return cli_fail(x, DP_EINVAL, "approve it on another device of yours",
				"%.16s... is this device: a device does not approve itself", hex);
	if (d->status == DP_DEVREC_REVOKED)
		return cli_fail(x, DP_ESTATE, NULL, "device \"%s\" (%.16s...) is revoked", d->name, hex);
	uint8_t sig[DP_ED25519_SIG];
	int64_t at = -1;
	int rc = dp_devindex_approval_sign(sig, x->ks->sign_sk, r->officer, d->device);
	rc = rc ? rc : dp_client_device_approve(x->cl, d->device, sig, &at);
	if (rc)
		return cli_fail(x, rc, "nothing was approved; try again", "cannot approve device \"%s\" (%.16s...)",
				d->name, hex);
	/* trusted here at once; the others of this officer's devices follow the logged approval */
	rc = officer_trust(x, d->device);
	if (rc)
		fprintf(stderr, "denpo: warning: cannot add it to this device's trusted devices (%s); this "
				"device warns of it until the switch's next checkpoint carries the approval\n",
			cli_strerror(x, rc));
	if (x->json)
		dp_json_print(json_pack("{s:s, s:s, s:I}", "approved", hex, "name", d->name, "log_index",
					(json_int_t)at));
	else if (at >= 0)
		printf("approved device \"%s\" (%s); the switch logged it at entry %lld\n", d->name, hex,
		       (long long)at);
	else
		printf("approved device \"%s\" (%s)\n", d->name, hex);
	return EXIT_OK;
}

int cmd_device(cli_ctx *x, int argc, char **argv)
{
	static const struct option lo[] = {CLI_COMMON_OPTS, {NULL, 0, NULL, 0}};
	int o;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == OPT_HELP) {
			fputs(device_help, stdout);
			return EXIT_OK;
		}
		if (!cli_common_opt(x, o, optarg))
			return cli_usage("device", "unknown option");
	}
	const char *sub = optind < argc ? argv[optind] : "";
	int approve = !strcmp(sub, "approve");
	if (!approve && strcmp(sub, "list") != 0)
		return cli_usage("device", "give list or approve ID");
	if (argc - optind != (approve ? 2 : 1))
		return cli_usage("device", approve ? "approve takes one device id (or prefix)"
						   : "list takes no argument");
	if (cli_home(x, 0))
		return cli_fail(x, DP_ENOTFOUND, "run `denpo init` first", "no state directory %s", x->home);
	int ec = cli_open_client(x);
	if (ec)
		return ec;
	if (!x->ov || !x->ov->checked)
		return cli_fail(x, x->offline ? DP_ENET : DP_ESTATE, "run it again once the switch answers",
				"this officer's devices could not be checked in the officer index");
	return approve ? do_approve(x, argv[optind + 1]) : do_list(x);
}
