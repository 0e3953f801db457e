/*
 * denpod/listen.c - notifications from the other instances (see listen.h).
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "denpo/crypto.h"
#include "denpo/encoding.h"
#include "denpod/db.h"
#include "denpod/detect_srv.h"
#include "denpod/listen.h"
#include "denpod/say.h"
#include "denpod/server.h"
#include "denpod/store.h"
#include "denpod/wait.h"

#define LISTEN_RETRY_S 1 /* a lost connection is opened again this often */

struct dpd_listen {
	struct dpd_server *srv;
	char *target;
	dpdb *db;            /* NULL: lost, retry pending */
	struct event *ev;    /* the connection's socket */
	struct event *retry; /* the timer that opens it again */
};

static const char *const channels[] = {DPS_CHAN_INBOX, DPS_CHAN_DIR, DPS_CHAN_DET};

/* The directory may have changed: checked now (unreadable: the cache is dropped, and the next
   request reads the database itself). */
static void dir_changed(dpd_listen *l)
{
	int r = dps_dir_sync(l->srv->store);
	(void)r;
}

static void heard(void *ctx, const char *channel, const char *payload)
{
	dpd_listen *l = ctx;
	uint8_t device[32];
	if (strcmp(channel, DPS_CHAN_INBOX) == 0) {
		/* a payload that is no device id wakes nobody */
		if (dp_hex_decode(device, sizeof device, payload, strlen(payload)) == DP_OK)
			dpd_wait_notify(l->srv, device);
	} else if (strcmp(channel, DPS_CHAN_DIR) == 0) {
		dir_changed(l);
	} else if (strcmp(channel, DPS_CHAN_DET) == 0) {
		dpd_det_heard(l->srv, payload); /* detection: events shared, a step written */
	}
}

static void lost(dpd_listen *l);

/* The connection and its event, gone (none is a no-op). */
static void drop(dpd_listen *l)
{
	if (l->ev)
		event_free(l->ev);
	l->ev = NULL;
	dpdb_close(l->db);
	l->db = NULL;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	dpd_listen *l = arg;
	(void)fd;
	(void)what;
	if (dpdb_notifications(l->db, heard, l))
		lost(l);
}

/* A connection, LISTENing on every channel, watched by the loop: DP_OK or the failure's code. */
static int connect_listen(dpd_listen *l)
{
	int r = dpdb_open(&l->db, l->target, 0);
	for (size_t i = 0; !r && i < sizeof channels / sizeof channels[0]; i++)
		r = dpdb_listen(l->db, channels[i]);
	if (!r) {
		l->ev = event_new(l->srv->base, dpdb_fd(l->db), EV_READ | EV_PERSIST, on_read, l);
		r = l->ev && event_add(l->ev, NULL) == 0 ? DP_OK : DP_ENOMEM;
	}
	/* what arrived while LISTEN was answered is read now: the socket may not be readable again */
	if (!r)
		r = dpdb_notifications(l->db, heard, l);
	if (r)
		drop(l);
	return r;
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	dpd_listen *l = arg;
	(void)fd;
	(void)what;
	if (connect_listen(l)) {
		lost(l);
		return;
	}
	dpd_say("denpod: listening to the other instances again; every held long-poll is answered "
		"once (it re-polls)");
	/* what was committed while nobody listened: every waiter looks again, and the directory */
	dpd_wait_notify_all(l->srv);
	dir_changed(l);
	dpd_det_heard(l->srv, NULL);
}

/* The connection is gone (or could not be made): closed, and opened again in a second. */
static void lost(dpd_listen *l)
{
	drop(l);
	struct timeval tv = {LISTEN_RETRY_S, 0};
	if (evtimer_add(l->retry, &tv))
		dpd_say("denpod: cannot arm the timer that listens to the other instances again; "
			"long-polls wake only for cables accepted here until a restart");
}

int dpd_listen_start(dpd_listen **out, struct dpd_server *srv, const char *target)
{
	*out = NULL;
	if (dpdb_kind_of(target) != DPDB_PG)
		return DP_OK;
	dpd_listen *l = calloc(1, sizeof *l);
	if (!l || !(l->target = strdup(target)) ||
	    !(l->retry = evtimer_new(srv->base, on_retry, l))) {
		dpd_listen_stop(l);
		return DP_ENOMEM;
	}
	l->srv = srv;
	int r = connect_listen(l);
	if (r) {
		dpd_listen_stop(l);
		return r;
	}
	*out = l;
	return DP_OK;
}

void dpd_listen_stop(dpd_listen *l)
{
	if (!l)
		return;
	drop(l);
	if (l->retry)
		event_free(l->retry);
	if (l->target) {
		/* a URI may hold the password */
		dp_wipe(l->target, strlen(l->target));
		free(l->target);
	}
	free(l);
}
