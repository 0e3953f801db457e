/*
 * denpod/dircache.h - an in-memory copy of directory rows (devices by id and
 * by TLS key, with their epoch windows; officers; posts) for the server's
 * read connection.
 *
 * It only holds rows; deciding when they are stale is the store's job
 * (store_dir.c clears the cache when the directory version changes).
 * Each table has a fixed capacity; inserting into a full table clears it
 * (a cache may forget, never lie).  Lookups copy the row out.  Not
 * thread-safe: one cache per connection, used by one thread.
 */
#ifndef DENPOD_DIRCACHE_H
#define DENPOD_DIRCACHE_H

#include "denpod/store.h"

typedef struct dpdc dpdc;

int dpdc_new(dpdc **c) DP_WUR;
void dpdc_free(dpdc *c);
void dpdc_clear(dpdc *c);

/* 1 and a copy in *out on a hit, 0 on a miss. */
int dpdc_dev_by_id(dpdc *c, const uint8_t id[32], dps_device *out);
int dpdc_dev_by_tls(dpdc *c, const uint8_t tls_key[32], dps_device *out);
void dpdc_dev_put(dpdc *c, const dps_device *d);
int dpdc_officer(dpdc *c, const char *handle, dps_officer *out);
void dpdc_officer_put(dpdc *c, const dps_officer *o);
/* A post lookup is cached with its answer: *found = 0 records "no such post". */
int dpdc_post(dpdc *c, const char *name, dps_post *out, int *found);
void dpdc_post_put(dpdc *c, const char *name, const dps_post *p, int found);

#endif
