/* HTTP side (libmicrohttpd, one internal polling thread per listener):
 * POST / and /RPC2 carry XML-RPC, POST /jsonrpc (and /json) JSON-RPC.
 * Bodies over the limit get 413, malformed ones 500 (as xapi), Unix peers
 * that are neither root nor the daemon's user 403. */
#ifndef PVSCSI_MGMT_HTTP_H
#define PVSCSI_MGMT_HTTP_H

#include <stddef.h>

#include "core.h"
#include "rpc.h"

struct http_listener {
    struct mgmt_core *core;
    enum rpc_transport tr;
    size_t max_body;
};

struct MHD_Daemon;

/* Serves on listen_fd (taken over: closed by http_stop). NULL with err. */
struct MHD_Daemon *http_start(int listen_fd, struct http_listener *l, char *err, size_t errlen);
void http_stop(struct MHD_Daemon *d);

#endif
