/*
 * tests/tool_records.c - the archive's acts through the device's own client
 * (lib/client_records.c) against a real switch, for tests/it_records_acts.sh:
 *
 *   tool_records DIR URL TLSKEY act ACT CABLE|- [DETAIL]
 *   tool_records DIR URL TLSKEY state CABLE
 *   tool_records DIR URL TLSKEY state-log CABLE    (log_size=0: with its records entries)
 *
 * DIR: a tool_submit device (tls.seed); TLSKEY: the switch's TLS key as
 * `denpod init` prints it ("tls key:", base64).  Prints the answer as
 * "act=A index=N reference=R proposed_by=... approved_by=... held_by=...
 * destroyed_by=..." (state-log: and " entries=N proved=K checkpoint=yes") and exits 0, or "error NAME: MESSAGE" (dp_errname,
 * dp_client_message) and exits 1; 2 for usage.
 */
#include <stdio.h>
#include <string.h>

#include "denpo/client.h"
#include "denpo/encoding.h"
#include "denpo/records.h"

static int load_seed(const char *dir, uint8_t seed[32])
{
	char path[1024];
	dp_buf b;
	dp_buf_init(&b, 64);
	snprintf(path, sizeof path, "%s/tls.seed", dir);
	int r = dp_read_file(path, &b);
	if (!r && b.len != 32)
		r = DP_EPARSE;
	if (!r)
		memcpy(seed, b.p, 32);
	dp_buf_free(&b);
	return r;
}

int main(int argc, char **argv)
{
	uint8_t seed[32];
	size_t n = 0;
	int act = 0;
	dp_client_config cfg;
	memset(&cfg, 0, sizeof cfg);
	int is_act = argc >= 7 && argc <= 8 && !strcmp(argv[4], "act");
	int is_log = argc == 6 && !strcmp(argv[4], "state-log");
	int is_state = argc == 6 && (!strcmp(argv[4], "state") || is_log);
	int is_search = argc >= 6 && !strcmp(argv[4], "search");
	if ((!is_act && !is_state && !is_search) || (is_act && dp_records_act_parse(argv[5], &act)) ||
	    dp_b64_decode(cfg.switch_tls_pk, 32, &n, argv[3], strlen(argv[3]), 1) || n != 32) {
		fprintf(stderr, "usage: tool_records DIR URL TLSKEY act ACT CABLE|- [DETAIL]\n"
				"       tool_records DIR URL TLSKEY state|state-log CABLE\n"
				"       tool_records DIR URL TLSKEY search QUERY [CABLE...]\n");
		return 2;
	}
	if (load_seed(argv[1], seed) || dp_client_global_init()) {
		fprintf(stderr, "cannot load %s/tls.seed\n", argv[1]);
		return 2;
	}
	cfg.url = argv[2];
	cfg.tls_seed = seed;
	dp_client *c = NULL;
	dp_records_answer a;
	memset(&a, 0, sizeof a);
	int r = dp_client_new(&c, &cfg);
	if (!r && is_search)
		r = dp_client_records_search(c, argv[5], (const char *const *)argv + 6, (size_t)(argc - 6), &a);
	else if (!r && is_act)
		r = dp_client_records_act(c, act, strcmp(argv[6], "-") ? argv[6] : NULL,
					  argc == 8 ? argv[7] : NULL, &a);
	else if (!r && is_log)
		r = dp_client_records_state_log(c, argv[5], 0, &a);
	else if (!r)
		r = dp_client_records_state(c, argv[5], &a);
	if (r)
		printf("error %s: %s\n", dp_errname(r), c ? dp_client_message(c) : "");
	else
		printf("act=%s index=%lld reference=%s proposed_by=%s approved_by=%s held_by=%s "
		       "destroyed_by=%s\n",
		       a.act ? dp_records_act_name(a.act) : "-", (long long)a.index,
		       a.reference[0] ? a.reference : "-", a.state.proposed_by[0] ? a.state.proposed_by : "-",
		       a.state.approved_by[0] ? a.state.approved_by : "-",
		       a.state.held_by[0] ? a.state.held_by : "-",
		       a.state.destroyed_by[0] ? a.state.destroyed_by : "-");
	if (!r && is_log) {
		size_t proved = 0;
		for (size_t i = 0; i < a.nentries; i++)
			proved += a.entries[i].present;
		printf("entries=%zu proved=%zu checkpoint=%s\n", a.nentries, proved,
		       a.log && a.log->present ? "yes" : "no");
	}
	dp_records_answer_free(&a);
	dp_client_free(c);
	return r ? 1 : 0;
}
