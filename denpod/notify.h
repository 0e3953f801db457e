/*
 * denpod/notify.h - telling systemd how the switch is (sd_notify(3)).
 *
 * Under the unit (dist/denpod.service, Type=notify, NotifyAccess=main) the
 * signer, the main process of `denpod run`, is the one that notifies:
 *
 *   READY=1     once the network process listens and the signer has answered
 *               it (the log was checked and signed up to date): the switch
 *               serves.  The network process asks for it (signer.h, READY).
 *   STOPPING=1  at SIGTERM or SIGINT, before the network process is told.
 *   WATCHDOG=1  each time the network process's event loop pings the signer
 *               (signer.h, ALIVE): a hung loop or a signer that no longer
 *               answers stops the pings, and systemd restarts the service.
 *
 * The datagram protocol of sd_notify(3), which systemd documents as a stable
 * interface for reimplementation, rather than libsystemd: ~40 lines, and no
 * library loaded into the process that holds log.key for what is one
 * sendto(2).  No $NOTIFY_SOCKET (not under systemd): nothing is sent.
 */
#ifndef DENPOD_NOTIFY_H
#define DENPOD_NOTIFY_H

#include <stdint.h>
#include <sys/types.h>

#include "denpo/error.h"

/*
 * Send `state` ("READY=1", ...) to $NOTIFY_SOCKET (a path, or "@name" for
 * the abstract namespace).  DP_OK if sent or if there is no socket;
 * DP_EINVAL if the variable is not a usable address, DP_EIO if the send
 * failed (the caller says so; the switch runs on).
 */
int dpn_notify(const char *state) DP_WUR;
/*
 * The watchdog interval systemd asked of process `pid` ($WATCHDOG_USEC,
 * for $WATCHDOG_PID if set), in microseconds; 0 if none.
 */
uint64_t dpn_watchdog_usec(pid_t pid);

#endif
