/*
 * TEMPORARY (branch i13-pg only; the lead drops this commit at merge): a
 * stand-in for the SQLite driver, which another branch writes
 * (denpod/db_sqlite.c), so that db.c links here.  Every open answers
 * DP_EUNSUPP; tests/test_denpod_db.c then skips its SQLite half.
 */
#include "denpod/db_driver.h"

static int stub_open(struct dpdb **db, const char *target, int flags) { return DP_EUNSUPP; }

const struct dpdb_driver dpdb_sqlite_driver = {.kind = DPDB_SQLITE, .open = stub_open};
