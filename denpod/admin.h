/*
 * denpod/admin.h - the operator's commands on the data directory.
 * Each returns a process exit code: 0 ok, 1 error, 2 usage.
 */
#ifndef DENPOD_ADMIN_H
#define DENPOD_ADMIN_H

#include "denpod/config.h"
#include "denpod/store.h"

typedef struct {
	const char *data;
	const char *url, *listen, *tz, *post, *clearance, *captions, *roles, *name, *out;
	const char *operator_, *origin, *reason, *from, *count;
	int hq;
	const char *pos[16]; /* positional arguments after the command words */
	int npos;
} dpa_args;

/* Load DIR/denpod.conf and open the database of --data; an exit code (2: no --data). */
int dpa_open_store(const dpa_args *a, dpc_config *c, dps_store **s);
int dpa_init(const dpa_args *a);
int dpa_post_add(const dpa_args *a);
int dpa_collective_add(const dpa_args *a);
int dpa_officer_add(const dpa_args *a);
int dpa_officer_list(const dpa_args *a);
int dpa_approve(const dpa_args *a);
int dpa_device(const dpa_args *a, const char *verb);
int dpa_overdue(const dpa_args *a);
int dpa_cable_list(const dpa_args *a);
/* admin_log.c: verb is checkpoint, verify or show. */
int dpa_log(const dpa_args *a, const char *verb);

#endif
