/* HTTP side (libmicrohttpd, a pool of two threads per listener):
 * POST / and /RPC2 carry XML-RPC, POST /jsonrpc (and /json) JSON-RPC.
 * Bodies over the limit get 413, malformed ones 500 (as xapi), Unix peers
 * that are neither root nor the daemon's user 403.
 *
 * No client can starve the others: at most HTTP_CONNS_TCP connections on
 * TCP, HTTP_CONNS_PER_ADDRESS of them from one address (more are closed at
 * once), HTTP_CONNS_UNIX on the Unix socket; a connection idle for
 * timeout_s is closed, and one whose request (or answer) is not through
 * within timeout_s of its start or of the previous answer is shut down
 * however slowly it keeps sending (conn_guard.h). */
#ifndef PVSCSI_MGMT_HTTP_H
#define PVSCSI_MGMT_HTTP_H

#include <stddef.h>

#include "core.h"
#include "rpc.h"

#define HTTP_CONNS_UNIX 64
#define HTTP_CONNS_TCP 128
#define HTTP_CONNS_PER_ADDRESS 8
#define HTTP_THREADS 2

struct conn_guard;

struct http_listener {
    struct mgmt_core *core;
    enum rpc_transport tr;
    size_t max_body;
    unsigned timeout_s;
    struct conn_guard *guard;       /* set by http_start */
};

struct MHD_Daemon;

/* Serves on listen_fd (taken over: closed by http_stop). NULL with err. */
struct MHD_Daemon *http_start(int listen_fd, struct http_listener *l, char *err, size_t errlen);
void http_stop(struct MHD_Daemon *d, struct http_listener *l);

#endif
