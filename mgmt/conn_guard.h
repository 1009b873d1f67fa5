/*
 * Slow clients: libmicrohttpd's own timeout is one of inactivity, so a
 * client sending a header line every few seconds holds its connection
 * forever. The guard gives every connection a deadline: a whole request
 * (headers and body) must arrive, and its answer leave, within timeout_s
 * of the connection opening or of the previous answer; while our handler
 * runs the clock stops. A connection past its deadline is shut down (the
 * server then closes it as any broken one). One thread per guard checks
 * five times a second while a connection is open, and sleeps while none is.
 *
 * Wiring (http.c): MHD_OPTION_NOTIFY_CONNECTION calls started/closed; the
 * request handler calls busy(true) before it works and busy(false) after;
 * the request-completed callback calls idle().
 */
#ifndef PVSCSI_MGMT_CONN_GUARD_H
#define PVSCSI_MGMT_CONN_GUARD_H

#include <stdbool.h>
#include <stdint.h>

struct conn_guard;

/* NULL (errno set) on failure. */
struct conn_guard *conn_guard_new(unsigned timeout_s);
/* Stops the thread; every connection must be closed already. */
void conn_guard_free(struct conn_guard *g);

/* A connection on fd opened: *ctx gets its entry. */
void conn_guard_started(struct conn_guard *g, int fd, void **ctx);
/* It closed (before its fd is): the entry goes. */
void conn_guard_closed(struct conn_guard *g, void **ctx);
/* Our handler starts (true) or ends (false, the clock restarts) on it. */
void conn_guard_busy(struct conn_guard *g, void *ctx, bool busy);
/* A request finished: the clock restarts for the next one. */
void conn_guard_idle(struct conn_guard *g, void *ctx);
/* Shuts down every connection past its deadline at now_ns; how many. */
unsigned conn_guard_reap(struct conn_guard *g, uint64_t now_ns);

#endif
