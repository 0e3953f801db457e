/*
 * tests/pgdb.h - a PostgreSQL database of a test's own, on the server
 * $DENPO_TEST_PG names (tests/run.sh starts one for the tests marked
 * [uses DENPO_TEST_PG]): made empty at the start, dropped at the end, so
 * two tests, or two runs, never see each other's rows.  For the tests that
 * link denpod's modules (denpod/db.h).
 */
#ifndef TESTS_PGDB_H
#define TESTS_PGDB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denpod/db.h"

/* uri with its database replaced by db (malloc'd; NULL if uri is no URI). */
static inline char *t_pg_with_database(const char *uri, const char *db)
{
	const char *auth = strstr(uri, "://");
	if (!auth)
		return NULL;
	const char *path = strpbrk(auth + 3, "/?");
	const char *query = path ? strchr(path, '?') : NULL;
	size_t head = path ? (size_t)(path - uri) : strlen(uri);
	char *out = malloc(strlen(uri) + strlen(db) + 2);
	if (out)
		sprintf(out, "%.*s/%s%s", (int)head, uri, db, query ? query : "");
	return out;
}

/*
 * Drops database name on base's server and, create = 1, makes it anew.
 * DP_OK or the driver's error (said on stderr).
 */
static inline int t_pg_database(const char *base, const char *name, int create)
{
	dpdb *admin = NULL;
	char sql[128];
	int r = dpdb_open(&admin, base, 0);
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
	if (!r)
		r = dpdb_exec(admin, sql);
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
	if (!r && create)
		r = dpdb_exec(admin, sql);
	dpdb_close(admin);
	if (r)
		fprintf(stderr, "%s database %s: %s\n", create ? "create" : "drop", name, dp_strerror(r));
	return r;
}

#endif
