/*
 * denpo/held.c - the inbox of a device cut off from the switch: the cables
 * it holds (cache/ID.cable) and has not acknowledged, each checked as
 * `denpo read` checks it offline (cli_open_cable_how with the kept originator
 * check and the kept binding).  Contract in denpo/bind.h (bind_held).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denpo/bind.h"
#include "denpo/encoding.h"

static int held_by_prec(const void *pa, const void *pb)
{
	const bind_item *a = pa, *b = pb;
	if (a->it.precedence != b->it.precedence)
		return a->it.precedence < b->it.precedence ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

static int has(cli_ctx *x, const char *id, const char *ext)
{
	char p[PATH_MAX];
	cli_cache_path(x, id, ext, p);
	return access(p, F_OK) == 0;
}

/* One held cable, checked quietly: BIND_OK with bi filled, BIND_BAD (why), or BIND_PENDING (cannot be checked here). */
static int held_one(cli_ctx *x, const char *id, bind_item *bi, char *why, size_t cap)
{
	dp_envelope e;
	dp_cable c;
	char mrn[DP_MRN_MAX + 1];
	int64_t accepted;
	cli_checked how;
	dp_envelope_init(&e);
	dp_cable_init(&c);
	int quiet = x->quiet;
	x->quiet = 1;
	int ec = cli_open_cable_how(x, id, NULL, &e, &c, mrn, &accepted, &how);
	x->quiet = quiet;
	if (ec == EXIT_OK) {
		dp_inbox_item *it = &bi->it;
		memset(bi, 0, sizeof *bi);
		snprintf(it->cable_id, sizeof it->cable_id, "%s", id);
		it->role = DP_ROLE_ACTION;
		for (size_t i = 0; i < e.nrecipients; i++)
			if (!memcmp(e.recipients[i].device, x->ks->sign_pk, DP_ED25519_PK))
				it->role = e.recipients[i].role;
		it->precedence = dp_role_prec(it->role, e.prec_action, e.prec_info);
		it->classification = e.classification;
		snprintf(it->from, sizeof it->from, "%s", e.from);
		memcpy(it->mrn, mrn, sizeof it->mrn);
		it->accepted = accepted;
		it->size = e.payload_len;
		it->fetched = 1;
		it->seq = (int64_t)how.index;
		bi->index = how.index;
	} else
		snprintf(why, cap, "%.500s", ec == EXIT_VERIFY ? x->err.message : x->err.what);
	dp_envelope_free(&e);
	dp_cable_free(&c);
	return ec == EXIT_OK ? BIND_OK : ec == EXIT_VERIFY ? BIND_BAD : BIND_PENDING;
}

int bind_held(cli_ctx *x, bind_list *out, bind_failure **unchecked, size_t *nunchecked)
{
	char dir[PATH_MAX];
	memset(out, 0, sizeof *out);
	*unchecked = NULL;
	*nunchecked = 0;
	cli_path(x, dir, "cache");
	DIR *d = opendir(dir);
	if (!d)
		return EXIT_OK; /* nothing held */
	int was_offline = x->offline;
	x->offline = 1; /* never ask the switch here: this is the list without it */
	struct dirent *de;
	int r = DP_OK;
	while (!r && (de = readdir(d))) {
		char id[DP_HEXID], why[512] = "";
		uint8_t raw[DP_CABLE_ID];
		if (strlen(de->d_name) != 32 + 6 || strcmp(de->d_name + 32, ".cable") != 0)
			continue;
		memcpy(id, de->d_name, 32);
		id[32] = 0;
		if (dp_hex_decode(raw, sizeof raw, id, 32) || has(x, id, "acked") || has(x, id, "bad"))
			continue;
		bind_item bi;
		int k = held_one(x, id, &bi, why, sizeof why);
		if (k == BIND_OK) {
			bind_item *n = reallocarray(out->items, out->n + 1, sizeof *n);
			if (!n)
				r = DP_ENOMEM;
			else {
				out->items = n;
				out->items[out->n++] = bi;
			}
			continue;
		}
		bind_failure **fl = k == BIND_BAD ? &out->failed : unchecked;
		size_t *nf = k == BIND_BAD ? &out->nfailed : nunchecked;
		bind_failure *g = reallocarray(*fl, *nf + 1, sizeof *g);
		if (!g) {
			r = DP_ENOMEM;
			continue;
		}
		*fl = g;
		snprintf(g[*nf].cable_id, sizeof g[*nf].cable_id, "%s", id);
		snprintf(g[*nf].why, sizeof g[*nf].why, "%.500s", why);
		(*nf)++;
	}
	closedir(d);
	x->offline = was_offline;
	if (r) {
		bind_list_free(out);
		free(*unchecked);
		*unchecked = NULL;
		*nunchecked = 0;
		return cli_fail(x, r, NULL, "cannot list the cables held on this device");
	}
	if (out->n > 1)
		qsort(out->items, out->n, sizeof *out->items, held_by_prec);
	return EXIT_OK;
}
