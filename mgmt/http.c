#include "http.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "conn_guard.h"
#include "jsonrpc.h"
#include "metrics.h"
#include "listen.h"
#include "xmlrpc.h"

struct request {
    char *body;
    size_t len, cap;
    bool too_big;
    size_t drained;     /* bytes read and dropped */
    unsigned refuse;    /* HTTP status to answer once the body is read */
    bool metrics;       /* GET /metrics */
};

/* Bodies are drained (so the client reads a clean answer, not a reset) up
 * to this many times the limit; beyond, the answer comes at once. */
#define DRAIN_FACTOR 16

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, char *body,
                             size_t len, const char *type)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    enum MHD_Result ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (ok == MHD_YES)
        ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *msg)
{
    char *b = NULL;
    int n = asprintf(&b, "<html><body><h1>%u</h1><p>%s</p></body></html>\n", status, msg);
    if (n < 0)
        return MHD_NO;
    return reply(conn, status, b, (size_t)n, "text/html");
}

/* Who is calling: a Unix peer by uid and pid, a TCP one by its address
 * (an IPv6 one by its /64: one host has many). */
static void peer_of(struct http_listener *l, struct MHD_Connection *conn, char *out, size_t len)
{
    snprintf(out, len, "unknown");
    if (l->tr == RPC_UNIX) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct ucred cred;
        socklen_t cl = sizeof(cred);
        if (ci && getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0)
            snprintf(out, len, "uid=%u pid=%d", (unsigned)cred.uid, (int)cred.pid);
        return;
    }
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    char a[INET6_ADDRSTRLEN];
    if (sa && sa->sa_family == AF_INET) {
        if (inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, a, sizeof(a)))
            snprintf(out, len, "%s", a);
    } else if (sa && sa->sa_family == AF_INET6) {
        struct in6_addr p = ((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(&p)) {
            if (inet_ntop(AF_INET, &p.s6_addr[12], a, sizeof(a)))
                snprintf(out, len, "%s", a);
            return;
        }
        memset(&p.s6_addr[8], 0, 8);
        if (inet_ntop(AF_INET6, &p, a, sizeof(a)))
            snprintf(out, len, "%s/64", a);
    }
}

static enum MHD_Result serve_xmlrpc(struct http_listener *l, struct MHD_Connection *conn,
                                    struct request *q)
{
    char *method;
    struct json_object *params, *error = NULL;
    if (xmlrpc_parse_call(q->body, q->len, &method, &params) < 0)
        return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "malformed XML-RPC request");
    char peer[80];
    peer_of(l, conn, peer, sizeof(peer));
    struct json_object *res = rpc_call(l->core, l->tr, peer, method, params, &error);
    size_t len = 0;
    char *out = xmlrpc_response(res, error, &len);
    free(method);
    json_object_put(params);
    json_object_put(res);
    json_object_put(error);
    if (!out)
        return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    return reply(conn, MHD_HTTP_OK, out, len, "text/xml");
}

static enum MHD_Result serve_jsonrpc(struct http_listener *l, struct MHD_Connection *conn,
                                     struct request *q)
{
    struct jsonrpc_call c;
    struct json_object *error = NULL;
    if (jsonrpc_parse_call(q->body, q->len, &c) < 0)
        return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "malformed JSON-RPC request");
    struct json_object *res = NULL;
    if (c.reject)
        error = json_object_get(c.reject);
    else
    {
        char peer[80];
        peer_of(l, conn, peer, sizeof(peer));
        res = rpc_call(l->core, l->tr, peer, c.method, c.params, &error);
    }
    size_t len = 0;
    char *out = jsonrpc_response(&c, res, error, &len);
    jsonrpc_call_free(&c);
    json_object_put(res);
    json_object_put(error);
    if (!out)
        return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    return reply(conn, MHD_HTTP_OK, out, len, "application/json");
}

/* GET /metrics: on TCP only with HTTP basic auth (root and the password),
 * failures slowed as logins are; on the Unix socket the peer was checked. */
static enum MHD_Result serve_metrics(struct http_listener *l, struct MHD_Connection *conn)
{
    if (l->tr == RPC_TCP) {
        char *pass = NULL;
        char *user = MHD_basic_auth_get_username_password(conn, &pass);
        char peer[80];
        peer_of(l, conn, peer, sizeof(peer));
        bool ok = rpc_tcp_credentials_ok(l->core, peer, user, pass);
        if (pass) {
            explicit_bzero(pass, strlen(pass));
            MHD_free(pass);
        }
        MHD_free(user);
        if (!ok) {
            static const char msg[] = "<html><body><h1>401</h1></body></html>\n";
            struct MHD_Response *r = MHD_create_response_from_buffer(
                sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
            if (!r)
                return MHD_NO;
            enum MHD_Result res = MHD_queue_basic_auth_fail_response(conn, "pvscsid", r);
            MHD_destroy_response(r);
            return res;
        }
    }
    const char *why = NULL;
    size_t len = 0;
    char *text = metrics_render(l->core, &len, &why);
    if (!text)
        return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, why);
    return reply(conn, MHD_HTTP_OK, text, len, "text/plain; version=0.0.4; charset=utf-8");
}

static bool is_json_path(const char *url)
{
    return strcmp(url, "/jsonrpc") == 0 || strcmp(url, "/json") == 0;
}

static bool is_xml_path(const char *url)
{
    return strcmp(url, "/") == 0 || strcmp(url, "/RPC2") == 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **req_cls)
{
    struct http_listener *l = cls;
    struct request *q = *req_cls;
    (void)version;

    if (!q) {
        /* First call: headers only. Refuse early what we will never serve. */
        if (l->tr == RPC_UNIX) {
            const union MHD_ConnectionInfo *ci =
                MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
            if (!ci || !listen_peer_allowed(ci->connect_fd))
                return reply_text(conn, MHD_HTTP_FORBIDDEN, "not allowed");
        }
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) / DRAIN_FACTOR > l->max_body)
            return reply_text(conn, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
        q = calloc(1, sizeof(*q));
        if (!q)
            return MHD_NO;
        *req_cls = q;
        if (strcmp(method, "GET") == 0 && strcmp(url, "/metrics") == 0)
            q->metrics = true;
        else if (strcmp(method, "POST") != 0)
            q->refuse = MHD_HTTP_METHOD_NOT_ALLOWED;
        else if (!is_json_path(url) && !is_xml_path(url))
            q->refuse = MHD_HTTP_NOT_FOUND;
        return MHD_YES;
    }
    if (*upload_size) {
        /* Keep reading what exceeds the limit, but drop it (chunked bodies). */
        size_t n = *upload_size;
        *upload_size = 0;
        if (q->refuse || q->too_big || q->len + n > l->max_body) {
            q->too_big = !q->refuse;
            q->drained += n;
            /* A chunked body past the drain bound: drop the connection. */
            return q->drained / DRAIN_FACTOR > l->max_body ? MHD_NO : MHD_YES;
        }
        if (q->len + n + 1 > q->cap) {
            size_t nc = q->cap ? q->cap : 4096;
            while (nc < q->len + n + 1)
                nc *= 2;
            char *nb = realloc(q->body, nc);
            if (!nb)
                return MHD_NO;
            q->body = nb;
            q->cap = nc;
        }
        memcpy(q->body + q->len, upload, n);
        q->len += n;
        q->body[q->len] = '\0';
        return MHD_YES;
    }
    if (q->metrics && !q->too_big) {
        const union MHD_ConnectionInfo *mc =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        conn_guard_busy(l->guard, mc ? mc->socket_context : NULL, true);
        enum MHD_Result r = serve_metrics(l, conn);
        conn_guard_busy(l->guard, mc ? mc->socket_context : NULL, false);
        return r;
    }
    if (q->refuse == MHD_HTTP_METHOD_NOT_ALLOWED)
        return reply_text(conn, q->refuse, "POST only (GET only for /metrics)");
    if (q->refuse)
        return reply_text(conn, q->refuse, "no such path");
    if (q->too_big)
        return reply_text(conn, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
    if (!q->body)
        return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "empty request");
    /* The deadline does not run while we work (a trial open, xenstore). */
    const union MHD_ConnectionInfo *sc =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    void *gctx = sc ? sc->socket_context : NULL;
    conn_guard_busy(l->guard, gctx, true);
    enum MHD_Result r = is_json_path(url) ? serve_jsonrpc(l, conn, q) : serve_xmlrpc(l, conn, q);
    conn_guard_busy(l->guard, gctx, false);
    return r;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct http_listener *l = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (ci)
            conn_guard_started(l->guard, ci->connect_fd, socket_context);
    } else {
        conn_guard_closed(l->guard, socket_context);
    }
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_listener *l = cls;
    struct request *q = *req_cls;
    (void)toe;
    const union MHD_ConnectionInfo *sc =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    conn_guard_idle(l->guard, sc ? sc->socket_context : NULL);
    if (q) {
        free(q->body);
        free(q);
        *req_cls = NULL;
    }
}

struct MHD_Daemon *http_start(int listen_fd, struct http_listener *l, char *err, size_t errlen)
{
    l->guard = conn_guard_new(l->timeout_s);
    if (!l->guard) {
        close(listen_fd);
        if (err && errlen)
            snprintf(err, errlen, "cannot start the connection guard: %s", strerror(errno));
        return NULL;
    }
    bool tcp = l->tr == RPC_TCP;
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL, on_request, l,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)HTTP_THREADS,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, l,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, l,
        MHD_OPTION_CONNECTION_TIMEOUT, l->timeout_s,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)(tcp ? HTTP_CONNS_TCP : HTTP_CONNS_UNIX),
        /* Unix peers have no address: the limit only applies on TCP. */
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)(tcp ? HTTP_CONNS_PER_ADDRESS : 0),
        MHD_OPTION_END);
    if (!d) {
        close(listen_fd);
        conn_guard_free(l->guard);
        l->guard = NULL;
        if (err && errlen)
            snprintf(err, errlen, "cannot start the HTTP server");
    }
    return d;
}

void http_stop(struct MHD_Daemon *d, struct http_listener *l)
{
    if (d)
        MHD_stop_daemon(d);
    conn_guard_free(l->guard);
    l->guard = NULL;
}
