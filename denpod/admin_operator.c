/*
 * denpod/admin_operator.c - `denpod operator add|passwd|remove|list`: the
 * console's operators (denpod/operators.h).  The password is read from
 * the terminal without echo (asked twice), or as the first line of
 * standard input when that is not a terminal (scripts); never from the
 * command line, where other users of the host see it in ps.
 *
 * Each change commits with its admin entry in the transparency log
 * (OPERATOR-ADD, OPERATOR-PASSWD, OPERATOR-REMOVE: the name, never the
 * hash), by the --operator who made it.
 */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "denpod/admin.h"
#include "denpod/operators.h"

/* One line of fd 0 into out (cap bytes), without its newline.  0, or -1 (none, too long). */
static int read_line(const char *prompt, char *out, size_t cap)
{
	struct termios old, quiet;
	int tty = isatty(0) && tcgetattr(0, &old) == 0;
	if (tty) {
		fprintf(stderr, "%s", prompt);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSAFLUSH, &quiet);
	}
	size_t n = 0;
	int ok = 0;
	char c;
	while (read(0, &c, 1) == 1) {
		if (c == '\n') {
			ok = 1;
			break;
		}
		if (n + 1 >= cap) {
			n = 0;
			break;
		}
		out[n++] = c;
	}
	if (!ok && n)
		ok = 1; /* the last line without a newline */
	if (n && out[n - 1] == '\r')
		n--;
	out[n] = 0;
	if (tty) {
		tcsetattr(0, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	return ok && n ? 0 : -1;
}

/* The new password for name, asked twice on a terminal, checked (operators.h).  An exit code. */
static int new_password(const char *name, char pass[DPOP_PASS_MAX + 2])
{
	char again[DPOP_PASS_MAX + 2], why[256];
	int tty = isatty(0);
	if (read_line("new password: ", pass, DPOP_PASS_MAX + 2)) {
		fprintf(stderr, "denpod: operator: no password given (type it at the prompt, or give it "
				"as the first line of standard input; at most %d bytes)\n", DPOP_PASS_MAX);
		return 2;
	}
	if (tty) {
		int same = read_line("again: ", again, sizeof again) == 0 && strcmp(pass, again) == 0;
		sodium_memzero(again, sizeof again);
		if (!same) {
			fprintf(stderr, "denpod: operator: the two passwords differ; nothing was changed\n");
			return 2;
		}
	}
	int r = dpop_pass_check(pass, name, why, sizeof why);
	if (r) {
		fprintf(stderr, "denpod: operator: the password is refused: %s.  Nothing was changed\n",
			why);
		return 2;
	}
	return 0;
}

static int print_operator(void *ctx, const dps_operator *o)
{
	json_t *list = ctx;
	if (list)
		return json_array_append_new(list, json_pack("{s:s, s:I, s:I}", "name", o->name, "created",
							     (json_int_t)o->created, "changed",
							     (json_int_t)o->changed))
			       ? DP_ENOMEM : DP_OK;
	printf("%s\n", o->name);
	return DP_OK;
}

int dpa_operator(const dpa_args *a)
{
	static const struct {
		const char *verb, *act;
	} acts[] = {
		{"add", "OPERATOR-ADD"},
		{"passwd", "OPERATOR-PASSWD"},
		{"remove", "OPERATOR-REMOVE"},
		{"list", NULL},
	};
	size_t k = 0;
	while (k < sizeof acts / sizeof acts[0] && strcmp(acts[k].verb, a->verb) != 0)
		k++;
	int list = k == 3;
	if (k == sizeof acts / sizeof acts[0] || a->npos != (list ? 0 : 1)) {
		fprintf(stderr, "usage: denpod operator add|passwd|remove NAME [--operator NAME] --data DIR "
				"| operator list [--json] --data DIR\n");
		return 2;
	}
	dpc_config c;
	dps_store *s = NULL;
	if (list) {
		int e = dpa_open_store(a, &c, &s);
		if (e)
			return e;
		json_t *j = a->json ? json_array() : NULL;
		int r = dps_operator_list(s, print_operator, j);
		dps_close(s);
		return dpa_list_done(r, "operator list", "operators", j);
	}
	const char *name = a->pos[0];
	if (!dpop_name_ok(name)) {
		fprintf(stderr, "denpod: an operator's name is 1-%d of a-z A-Z 0-9 . _ - (e.g. ito.m)\n",
			DPS_OPNAME_MAX);
		return 2;
	}
	char op[DP_LOG_TEXT_MAX + 1];
	int e = dpa_operator_of(a, op);
	if (e || (e = dpa_open_store(a, &c, &s)))
		return e;
	dps_operator o;
	memset(&o, 0, sizeof o);
	snprintf(o.name, sizeof o.name, "%s", name);
	o.created = o.changed = dp_now();
	int r = DP_OK;
	if (k != 2) {
		char pass[DPOP_PASS_MAX + 2];
		e = new_password(name, pass);
		if (!e && dpop_hash(pass, o.hash)) {
			fprintf(stderr, "denpod: operator: cannot hash the password (out of memory?); "
					"nothing was changed\n");
			e = 1;
		}
		sodium_memzero(pass, sizeof pass);
		if (e) {
			dps_close(s);
			return e;
		}
	}
	dpl_enc *x = dpl_enc_new();
	r = x ? dps_begin(s) : DP_ENOMEM;
	if (!r)
		r = k == 2 ? dps_operator_del(s, name) : dps_operator_put(s, &o, k == 0);
	if (!r)
		r = dpa_log_admin(s, x, op, acts[k].act, name);
	if (x)
		r = dpa_finish_txn(s, r);
	dpl_enc_free(x);
	sodium_memzero(&o, sizeof o);
	dps_close(s);
	if (r)
		return dpa_fail(r, a->verb, r == DP_EEXISTS ? "that operator exists (denpod operator passwd "
							      "NAME sets a new password)"
					  : r == DP_ENOTFOUND ? "no such operator (denpod operator list)"
							      : "nothing was changed");
	printf("operator %s %s (logged as %s by %s)\n", name,
	       k == 0 ? "added" : k == 1 ? "has a new password" : "removed", acts[k].act, op);
	if (k != 0)
		printf("a console session already open as %s ends at its next request\n", name);
	return 0;
}
