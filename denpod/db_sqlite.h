/*
 * denpod/db_sqlite.h - the sqlite3 handle under a SQLite dpdb, for the few
 * things only SQLite has (online backup, PRAGMA integrity checks, the page
 * cache's size, incremental blob reads, reading a second database file;
 * the network process's temporary data kept in memory, from server.c).
 * Private: included only where the store does one of those, and each such
 * place answers DP_EUNSUPP (or does it in SQL) for other kinds.
 */
#ifndef DENPOD_DB_SQLITE_H
#define DENPOD_DB_SQLITE_H

#include "denpod/db.h"

struct sqlite3;

/*
 * Every SQLite connection this process opens after it keeps its temporary
 * data (a savepoint's journal past 64 KiB, a large sort) in memory: the
 * network process, whose sandbox allows no file outside the data directory.
 */
void dpdb_sqlite_temp_in_memory(void);

/* The connection's sqlite3 handle; NULL unless db is a SQLite connection. */
struct sqlite3 *dpdb_sqlite_handle(dpdb *db);

#endif
