/*
 * denpod/route.h - the endpoint (route pattern) of a request path, for the
 * request log: "/v1/cables/{id}/ack", never the path itself.
 *
 * The pattern names what was asked without the ids in it, so that lines
 * of one endpoint group together in a SIEM, and a path a peer made up
 * becomes "other" instead of reaching the log as free text.  The table is
 * docs/api.md's list of endpoints.
 */
#ifndef DENPOD_ROUTE_H
#define DENPOD_ROUTE_H

/*
 * The pattern path matches ("{x}" matches one non-empty segment, a
 * trailing "{...}" the rest), or "other".  A static string; never NULL.
 */
const char *dpd_endpoint(const char *path);

#endif
