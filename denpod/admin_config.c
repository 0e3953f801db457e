/*
 * denpod/admin_config.c - `denpod config check`: both configuration files of
 * a data directory, read exactly as `denpod run` reads them (dpc_read,
 * dpd_det_read_file), and every key in force with its value and whether it
 * is the default; the records schedule as one key, records_schedule, its
 * value the JSON devices get with the directory.
 *
 * It needs no running switch, opens no database and reads no key file.
 * denpod.conf holds no secret today; a key marked secret in config.c's
 * table would be shown as "(set, not shown)", never its value.
 *
 * "default" means: denpod.conf does not set the key; detect.conf's value
 * is the built-in one (set or not).  Exit 0 if both files check (an absent
 * detect.conf is fine: the defaults apply), 1 with each file's error on
 * stderr otherwise, 2 on a usage error.  --json: one object on stdout
 * (docs/operations.md, "JSON output").
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "denpo/detect.h"
#include "denpod/admin.h"
#include "denpod/detect_srv.h"

/* One key of the table: printed, or appended to the JSON array keys. */
static void key_out(json_t *keys, const char *name, const char *val, int is_default)
{
	if (keys)
		json_array_append_new(keys, json_pack("{s:s, s:s, s:b}", "key", name, "value", val,
						      "default", is_default));
	else
		printf("  %-30s %s%s\n", name, val, is_default ? "  (default)" : "");
}

/*
 * The records schedule (the records_retention_*, records_class_* and
 * records_tag_* lines on top of the built-in one) as the directory hands it
 * to devices: one line of JSON, "(default)" when no line changes it.
 */
static void sched_out(json_t *keys, const dp_records_sched *sc)
{
	dp_records_sched def;
	dp_buf a, b;
	dp_records_sched_default(&def);
	dp_buf_init(&a, 16384);
	dp_buf_init(&b, 16384);
	if (!dp_records_sched_json(sc, &a) && !dp_records_sched_json(&def, &b) &&
	    !dp_buf_append(&a, "", 1))
		key_out(keys, "records_schedule", (const char *)a.p,
			a.len - 1 == b.len && memcmp(a.p, b.p, b.len) == 0);
	dp_buf_free(&a);
	dp_buf_free(&b);
}

static json_t *file_obj(const char *path, int ok, const char *err)
{
	json_t *o = json_pack("{s:s, s:b}", "path", path, "ok", ok);
	json_object_set_new(o, "error", ok ? json_null() : json_string(err));
	return o;
}

int dpa_config_check(const dpa_args *a)
{
	char err[DPC_PATH_MAX + 512], derr[DPC_PATH_MAX + 512], path[DPC_PATH_MAX],
		dpath[DPC_PATH_MAX], val[DPC_PATH_MAX + DPC_LISTEN_MAX + 32];
	if (a->npos) {
		fprintf(stderr, "usage: denpod config check [--json] --data DIR\n");
		return 2;
	}
	if (!a->data || !*a->data) {
		fprintf(stderr, "denpod: give --data DIR (or set DENPOD_DATA)\n");
		return 2;
	}
	dpc_config c;
	int r = dpc_read(&c, a->data, err, sizeof err);
	if (dpc_path(&c, "denpod.conf", path, sizeof path) ||
	    dpc_path(&c, "detect.conf", dpath, sizeof dpath)) {
		fprintf(stderr, "denpod: the data directory's path is too long\n");
		return 2;
	}
	dp_det_config d, def;
	int dr = dpd_det_read_file(dpath, &d, derr, sizeof derr);
	int dok = dr == DP_OK || dr == DP_ENOTFOUND;
	if (r)
		fprintf(stderr, "denpod: %s\n", err);
	if (!dok)
		fprintf(stderr, "denpod: %s\n", derr);
	json_t *root = a->json ? json_object() : NULL, *keys = NULL;

	if (root) {
		json_t *f = file_obj(path, !r, err);
		json_object_set_new(f, "keys", keys = json_array());
		json_object_set_new(root, "denpod_conf", f);
	} else {
		printf("%s: %s\n", path, r ? "refused (see the error above)" : "ok");
	}
	for (size_t i = 0; !r && i < dpc_key_count(); i++) {
		int isdef;
		const char *name = dpc_key_show(&c, i, val, sizeof val, &isdef);
		key_out(keys, name, val, isdef);
	}
	if (!r)
		sched_out(keys, &c.records);

	dp_det_config_default(&def);
	if (root) {
		json_t *f = file_obj(dpath, dok, derr);
		json_object_set_new(f, "present", json_boolean(dr != DP_ENOTFOUND));
		json_object_set_new(f, "keys", keys = json_array());
		json_object_set_new(f, "networks", json_integer(dok ? (json_int_t)d.nnets : 0));
		json_object_set_new(root, "detect_conf", f);
	} else {
		printf("%s: %s\n", dpath, dr == DP_ENOTFOUND ? "absent: the defaults apply"
					  : dok		 ? "ok"
							 : "refused (see the error above)");
	}
	for (int i = 0; dok && i < DP_R_COUNT; i++) {
		char k[DP_DET_NAME_MAX + 16];
		snprintf(k, sizeof k, "rule.%s.mode", dp_det_rule_name(i));
		key_out(keys, k, dp_det_mode_name(d.mode[i]), d.mode[i] == def.mode[i]);
		snprintf(k, sizeof k, "rule.%s.action", dp_det_rule_name(i));
		key_out(keys, k, dp_det_action_name(d.action[i]), d.action[i] == def.action[i]);
	}
	for (int i = 0; dok && i < DP_P_COUNT; i++) {
		snprintf(val, sizeof val, "%lld", (long long)d.p[i]);
		key_out(keys, dp_det_params[i].name, val, d.p[i] == def.p[i]);
	}
	if (dok && !root)
		printf("  networks: %zu\n", d.nnets);
	dp_det_config_free(&d);
	dp_det_config_free(&def);
	if (root) {
		json_object_set_new(root, "ok", json_boolean(!r && dok));
		dp_json_print(root);
	}
	return r || !dok ? 1 : 0;
}
