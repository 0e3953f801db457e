/*
 * denpod/db_driver.h - what a database driver provides to denpod/db.c.
 * Private to db.c and the drivers (db_sqlite.c, db_pg.c); the store sees
 * only denpod/db.h.
 *
 * db.c owns the generic parts: the choice of driver by target, the
 * statement cache (by the SQL text's content), the transaction state
 * (dpdb_in_txn), the refusal of a bare ?, the sticky bind error.  A driver
 * owns its connection and statements: each dpdb and dpdb_stmt a driver
 * makes begins with the generic header (struct dpdb / struct dpdb_stmt,
 * defined here) and the driver casts to its own struct.
 */
#ifndef DENPOD_DB_DRIVER_H
#define DENPOD_DB_DRIVER_H

#include "denpod/db.h"

#define DPDB_BUCKETS 256 /* the statement cache's hash buckets (chained: any number of statements) */
#define DPDB_FRONT 128   /* the front of the cache, by the text's address (direct-mapped) */

struct dpdb_stmt {
	struct dpdb *db;
	char *sql;       /* the text it was prepared from (db.c's copy, freed by db.c) */
	uint64_t hash;
	int bind_err;    /* the first failed bind since the last reset (0: none) */
	int running;     /* rows being read: the last dpdb_step gave a row and no reset since */
	struct dpdb_stmt *next; /* the cache bucket's chain */
};

struct dpdb {
	const struct dpdb_driver *drv;
	int kind;
	int in_txn, in_sp; /* in_sp: savepoints open (depth) */
	int64_t changes;
	int corrupt;
	char target[256]; /* without password */
	struct dpdb_stmt *cache[DPDB_BUCKETS];
	/*
	 * In front of the cache: the statement last found for a text at this
	 * address (the store's texts are literals), checked with strcmp before
	 * use, so a lookup hashes nothing when the same call site asks again.
	 */
	const char *front_key[DPDB_FRONT];
	struct dpdb_stmt *front[DPDB_FRONT];
};

/*
 * Each function returns what the dpdb_* function of the same name
 * documents.  prepare returns a new statement (its header filled by db.c
 * afterwards) or NULL; finalize frees it.  step sets db->changes when the
 * statement completes, db->corrupt when the database reports damage.
 * begin/commit/... run the dialect's SQL; db.c tracks in_txn and in_sp
 * (the savepoint depth): savepoint is called with in_sp = the new
 * savepoint's depth (0 for the outermost), savepoint_end with in_sp = the
 * depth of the one being ended, so a driver names them by depth.
 */
struct dpdb_driver {
	int kind;
	int (*open)(struct dpdb **db, const char *target, int flags);
	void (*close)(struct dpdb *db);
	int (*exec)(struct dpdb *db, const char *sql);
	struct dpdb_stmt *(*prepare)(struct dpdb *db, const char *sql);
	void (*finalize)(struct dpdb_stmt *st);
	int (*bind_i64)(struct dpdb_stmt *st, int i, int64_t v);
	int (*bind_text)(struct dpdb_stmt *st, int i, const char *s);
	int (*bind_blob)(struct dpdb_stmt *st, int i, const void *p, size_t n);
	int (*bind_null)(struct dpdb_stmt *st, int i);
	int (*step)(struct dpdb_stmt *st);
	void (*reset)(struct dpdb_stmt *st);
	int (*col_null)(struct dpdb_stmt *st, int i);
	int64_t (*col_i64)(struct dpdb_stmt *st, int i);
	const char *(*col_text)(struct dpdb_stmt *st, int i);
	const uint8_t *(*col_blob)(struct dpdb_stmt *st, int i, size_t *n);
	int (*begin)(struct dpdb *db, int read);
	int (*commit)(struct dpdb *db);
	void (*rollback)(struct dpdb *db);
	int (*savepoint)(struct dpdb *db);
	int (*savepoint_end)(struct dpdb *db, int keep);
	int (*relax_sync)(struct dpdb *db);
	/* warnings the server sent on this connection so far; NULL: the database sends none */
	unsigned (*warnings)(struct dpdb *db);
	/* notifications; NULL: the database has none (DP_EUNSUPP, dpdb_fd -1) */
	int (*listen)(struct dpdb *db, const char *channel);
	int (*fd)(const struct dpdb *db);
	int (*notifications)(struct dpdb *db, void (*cb)(void *ctx, const char *channel,
							   const char *payload), void *ctx);
};

extern const struct dpdb_driver dpdb_sqlite_driver;
extern const struct dpdb_driver dpdb_pg_driver;

/*
 * db.c: the first ? in sql outside quoted text ('...' or "..."), or NULL;
 * the one reading of parameters that db.c's check and a driver's
 * rewriting share.
 */
const char *dpdb_next_param(const char *sql);


#endif
