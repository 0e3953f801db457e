/*
 * denpo/schedule.c - the ministry's records schedule on this device
 * (denpo/cli.h, denpo/records.h): the cache HOME/records, its refresh from
 * the switch's directory answer, and the defaults a draft gets from it.
 *
 * The cache is the "records" object exactly as the directory answer
 * carries it (dp_records_sched_json), read back through the same strict
 * parser (dp_records_sched_parse).  It holds no secret (every device gets
 * the same schedule); it is written 0600 like everything in HOME.  The
 * schedule only proposes: what a cable carries is what its drafter signed.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "denpo/cli.h"

static void records_path(const cli_ctx *x, char out[PATH_MAX]) { cli_path(x, out, "records"); }

/* HOME/records into x->records (absent: the built-in schedule); its age into *age (-1: absent). */
static void records_read(cli_ctx *x, int64_t *age)
{
	char path[PATH_MAX], why[DP_RECORDS_WHY];
	struct stat st;
	dp_records_sched_default(&x->records);
	*age = -1;
	records_path(x, path);
	if (stat(path, &st) != 0)
		return;
	*age = (int64_t)time(NULL) - (int64_t)st.st_mtime;
	dp_buf b;
	dp_buf_init(&b, 1 << 17);
	int r = dp_read_file(path, &b);
	if (r || dp_records_sched_parse(b.p, b.len, &x->records, why, sizeof why)) {
		fprintf(stderr, "denpo: warning: %s is unreadable or malformed (%s): drafts get the built-in "
				"schedule's defaults until the switch is reached (`denpo directory` fetches it)\n",
			path, r ? cli_strerror(x, r) : why);
		*age = -1;
	}
	dp_buf_free(&b);
}

const dp_records_sched *cli_records(cli_ctx *x)
{
	int64_t now = (int64_t)time(NULL), age;
	if (x->records_at && now - x->records_at < CLI_MARKINGS_TTL)
		return &x->records;
	x->records_at = now;
	if (cli_home(x, 0)) {
		dp_records_sched_default(&x->records); /* no state directory: the built-in schedule */
		return &x->records;
	}
	records_read(x, &age);
	/* only a switch that answered this process's last request is asked: never a timeout */
	if ((age < 0 || age >= CLI_MARKINGS_TTL) && x->cl && dp_client_http_status(x->cl) != 0) {
		dp_directory *d = malloc(sizeof *d);
		if (d && dp_client_directory(x->cl, d) == DP_OK) {
			int r = cli_records_save(x, &d->records);
			if (r)
				fprintf(stderr, "denpo: warning: cannot keep the records schedule in %s: %s\n",
					x->home, cli_strerror(x, r));
			x->records = d->records;
		}
		if (d)
			dp_directory_free(d);
		free(d);
	}
	return &x->records;
}

int cli_records_save(cli_ctx *x, const dp_records_sched *s)
{
	dp_buf b;
	dp_buf_init(&b, 1 << 17);
	int r = dp_records_sched_json(s, &b);
	char path[PATH_MAX];
	records_path(x, path);
	if (!r)
		r = dp_write_file(path, b.p, b.len, 0600, 0);
	dp_buf_free(&b);
	if (!r) {
		x->records = *s;
		x->records_at = (int64_t)time(NULL);
	}
	return r;
}

int cli_retention_check(cli_ctx *x, const char *retention, char *why, size_t cap)
{
	const dp_records_sched *s = cli_records(x);
	int64_t end;
	if (!retention[0] || dp_records_retention_end(s, retention, 0, &end) == DP_OK)
		return DP_OK;
	size_t n = (size_t)snprintf(why, cap, "the records schedule has no retention class %s; it defines ",
				    retention);
	for (size_t i = 0; i < s->nretentions && n < cap; i++)
		n += (size_t)snprintf(why + n, cap - n, "%s%s", i ? ", " : "", s->retentions[i].name);
	return DP_EINVAL;
}
