/* mgmt.h: the service's lifecycle (state, listeners, HTTP threads). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "core.h"
#include "http.h"
#include "listen.h"
#include "mgmt.h"

struct mgmt_server {
    struct mgmt_core core;
    struct http_listener unix_l, tcp_l;
    struct MHD_Daemon *unix_d, *tcp_d;
    char *socket_path;
    unsigned tcp_port;
};

struct mgmt_server *mgmt_server_start(const struct mgmt_config *cfg,
                                      const struct mgmt_hooks *hooks, char *err,
                                      size_t errlen)
{
    struct mgmt_server *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    xmlInitParser();    /* once, before the listener threads parse */
    if (core_init(&s->core, cfg, hooks, err, errlen) < 0) {
        free(s);
        return NULL;
    }
    size_t max = cfg->max_body ? cfg->max_body : MGMT_DEFAULT_MAX_BODY;
    unsigned timeout = cfg->request_timeout_s ? cfg->request_timeout_s
                                              : MGMT_DEFAULT_REQUEST_TIMEOUT;
    s->unix_l = (struct http_listener){&s->core, RPC_UNIX, max, timeout, NULL};
    s->tcp_l = (struct http_listener){&s->core, RPC_TCP, max, timeout, NULL};
    s->socket_path = strdup(cfg->socket_path ? cfg->socket_path : MGMT_DEFAULT_SOCKET);
    if (!s->socket_path) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    int fd = listen_unix(s->socket_path, err, errlen);
    if (fd < 0)
        goto fail_nosock;
    s->unix_d = http_start(fd, &s->unix_l, err, errlen);
    if (!s->unix_d)
        goto fail;
    if (cfg->tcp_address) {
        fd = listen_tcp(cfg->tcp_address, &s->tcp_port, err, errlen);
        if (fd < 0)
            goto fail;
        s->tcp_d = http_start(fd, &s->tcp_l, err, errlen);
        if (!s->tcp_d)
            goto fail;
    }
    return s;
fail:
    if (s->socket_path)
        unlink(s->socket_path);
fail_nosock:
    http_stop(s->tcp_d, &s->tcp_l);
    http_stop(s->unix_d, &s->unix_l);
    core_fini(&s->core);
    free(s->socket_path);
    free(s);
    return NULL;
}

unsigned mgmt_server_tcp_port(const struct mgmt_server *s)
{
    return s && s->tcp_d ? s->tcp_port : 0;
}

void mgmt_server_devices_changed(struct mgmt_server *s)
{
    if (s)
        atomic_store(&s->core.pscsi_stale, true);
}

void mgmt_server_stop(struct mgmt_server *s)
{
    if (!s)
        return;
    http_stop(s->tcp_d, &s->tcp_l);
    http_stop(s->unix_d, &s->unix_l);
    unlink(s->socket_path);
    core_fini(&s->core);
    free(s->socket_path);
    free(s);
}
