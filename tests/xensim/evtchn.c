/*
 * xensim: event channels. The real xenevtchn_* API (the caller is domain
 * XENSIM_DOMID) and the guest side of xensim.h share one implementation.
 *
 * Delivery follows the Linux evtchn driver: an event masks the port and
 * queues its number on the owner's fd; notifies while masked only set
 * pending; unmask delivers again if pending. The owner's fd is an AF_UNIX
 * datagram socket; its queue is short (net.unix.max_dgram_qlen, often 10),
 * so a port whose datagram does not fit is flagged "undelivered" and
 * re-sent by the owner's next pending() call, which always frees a slot.
 */
#include "shared.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <xenevtchn.h>

/* Who acts on a port table: a real handle or a guest domain. */
struct evctx {
    struct xs_evt_file *evt;
    uint16_t domid;
    const char *owner;
    int sock;
};

struct xenevtchn_handle {
    struct evctx ctx;
    char name[XS_OWNER_LEN];
};

/* ---- sockets ---- */
static int sock_addr(struct sockaddr_un *sa, const char *name)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    return xs_path(sa->sun_path, sizeof(sa->sun_path), name);
}

int xs_sock_open(const char *prefix, char name[XS_OWNER_LEN])
{
    static unsigned seq;
    unsigned n = __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED);
    snprintf(name, XS_OWNER_LEN, "%s.%ld.%u", prefix, (long)getpid(), n);
    struct sockaddr_un sa;
    int r = sock_addr(&sa, name);
    if (r < 0) {
        errno = -r;
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    unlink(sa.sun_path); /* stale file of a dead process with our pid */
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

void xs_sock_close(int fd, const char *name)
{
    struct sockaddr_un sa;
    if (sock_addr(&sa, name) == 0)
        unlink(sa.sun_path);
    close(fd);
}

/* 0, or -errno of sendto (EAGAIN when the owner's queue is full). */
static int sock_send(int from, const char *to, uint32_t port)
{
    struct sockaddr_un sa;
    int r = sock_addr(&sa, to);
    if (r < 0)
        return r;
    for (;;) {
        if (sendto(from, &port, sizeof(port), MSG_DONTWAIT | MSG_NOSIGNAL,
                   (struct sockaddr *)&sa, sizeof(sa)) == (ssize_t)sizeof(port))
            return 0;
        if (errno != EINTR)
            return -errno;
    }
}

/* ---- port table (lock held) ---- */
static void set_undelivered(struct xs_evt_file *evt, struct xs_port *p, bool on)
{
    if (p->undelivered == on)
        return;
    p->undelivered = on;
    if (on)
        evt->undelivered++;
    else
        evt->undelivered--;
}

/* An event arrives on `port` of `evt`; `from` is any socket to send with. */
static void deliver(struct xs_evt_file *evt, uint32_t port, int from)
{
    struct xs_port *p = &evt->ports[port];
    if (p->masked) {
        p->pending = 1;
        return;
    }
    p->masked = 1;
    p->pending = 0;
    int r = sock_send(from, p->owner, port);
    if (r == -EAGAIN || r == -EWOULDBLOCK || r == -ENOBUFS)
        set_undelivered(evt, p, true);
    /* Other errors: the owner is gone (crashed); nobody can read the event. */
}

static int alloc_port(struct xs_evt_file *evt)
{
    for (uint32_t p = 1; p < XENSIM_NR_PORTS; p++)  /* port 0 is never used */
        if (evt->ports[p].state == XS_PORT_FREE)
            return (int)p;
    return -ENOSPC;
}

static void port_init(struct xs_port *p, uint32_t state, uint32_t remote_dom,
                      uint32_t remote_port, const char *owner)
{
    memset(p, 0, sizeof(*p));
    p->state = state;
    p->remote_dom = remote_dom;
    p->remote_port = remote_port;
    snprintf(p->owner, sizeof(p->owner), "%s", owner);
}

/* EVTCHNOP_close: the peer of an interdomain channel goes back to UNBOUND,
 * offered to us again (as Xen does). */
static void close_port(struct xs_evt_file *evt, uint16_t domid, uint32_t port)
{
    struct xs_port *p = &evt->ports[port];
    if (p->state == XS_PORT_INTERDOMAIN && p->remote_dom <= UINT16_MAX) {
        struct xs_evt_file *r = xs_evt_get((uint16_t)p->remote_dom, false);
        if (r && p->remote_port < XENSIM_NR_PORTS) {
            struct xs_port *rp = &r->ports[p->remote_port];
            if (rp->state == XS_PORT_INTERDOMAIN && rp->remote_dom == domid &&
                rp->remote_port == port) {
                rp->state = XS_PORT_UNBOUND;
                rp->remote_port = 0;
            }
        }
        xs_evt_put(r);
    }
    set_undelivered(evt, p, false);
    memset(p, 0, sizeof(*p));
}

void xs_evt_close_owned(struct xs_evt_file *evt, uint16_t domid, const char *owner)
{
    for (uint32_t p = 1; p < XENSIM_NR_PORTS; p++) {
        if (evt->ports[p].state == XS_PORT_FREE)
            continue;
        if (owner && strcmp(evt->ports[p].owner, owner) != 0)
            continue;
        close_port(evt, domid, p);
    }
}

static bool owns(const struct evctx *c, uint32_t port)
{
    return port > 0 && port < XENSIM_NR_PORTS &&
           c->evt->ports[port].state != XS_PORT_FREE &&
           strcmp(c->evt->ports[port].owner, c->owner) == 0;
}

/* ---- operations, returning -errno ---- */
static int ev_alloc_unbound(struct evctx *c, uint16_t remote)
{
    int r = xs_lock();
    if (r < 0)
        return r;
    int port = alloc_port(c->evt);
    if (port > 0)
        port_init(&c->evt->ports[port], XS_PORT_UNBOUND, remote, 0, c->owner);
    xs_unlock();
    return port;
}

static int ev_bind_interdomain(struct evctx *c, uint32_t domid, uint32_t remote_port)
{
    if (domid > UINT16_MAX)
        return -ESRCH;
    int r = xs_lock();
    if (r < 0)
        return r;
    struct xs_evt_file *re = xs_evt_get((uint16_t)domid, false);
    int port;
    if (!re) {
        port = -ESRCH;  /* as Xen for an unknown domain */
        goto out;
    }
    if (remote_port == 0 || remote_port >= XENSIM_NR_PORTS) {
        port = -EINVAL;
        goto out;
    }
    struct xs_port *rp = &re->ports[remote_port];
    if (rp->state != XS_PORT_UNBOUND || rp->remote_dom != c->domid) {
        port = -EINVAL;
        goto out;
    }
    port = alloc_port(c->evt);
    if (port < 0)
        goto out;
    port_init(&c->evt->ports[port], XS_PORT_INTERDOMAIN, domid, remote_port, c->owner);
    rp->state = XS_PORT_INTERDOMAIN;
    rp->remote_dom = c->domid;
    rp->remote_port = (uint32_t)port;
    /* Xen sets the new local port pending, since notifications sent to the
     * unbound remote port were lost: the binder sees one event at once. */
    deliver(c->evt, (uint32_t)port, c->sock);
out:
    xs_evt_put(re);
    xs_unlock();
    return port;
}

static int ev_notify(struct evctx *c, uint32_t port)
{
    int r = xs_lock();
    if (r < 0)
        return r;
    if (!owns(c, port)) {
        xs_unlock();
        return -EINVAL;
    }
    struct xs_port *p = &c->evt->ports[port];
    /* Unbound (peer closed or gone): nothing to do, as Xen. */
    if (p->state == XS_PORT_INTERDOMAIN && p->remote_dom <= UINT16_MAX &&
        p->remote_port < XENSIM_NR_PORTS) {
        struct xs_evt_file *re = xs_evt_get((uint16_t)p->remote_dom, false);
        if (re) {
            struct xs_port *rp = &re->ports[p->remote_port];
            if (rp->state == XS_PORT_INTERDOMAIN && rp->remote_dom == c->domid &&
                rp->remote_port == port)
                deliver(re, p->remote_port, c->sock);
            xs_evt_put(re);
        }
    }
    xs_unlock();
    return 0;
}

static int ev_close(struct evctx *c, uint32_t port)
{
    int r = xs_lock();
    if (r < 0)
        return r;
    if (!owns(c, port)) {
        xs_unlock();
        return -ENOTCONN;  /* as the Linux driver for a port not ours */
    }
    close_port(c->evt, c->domid, port);
    xs_unlock();
    return 0;
}

static int ev_unmask(struct evctx *c, uint32_t port)
{
    int r = xs_lock();
    if (r < 0)
        return r;
    /* The Linux driver ignores ports that are not ours. */
    if (owns(c, port)) {
        struct xs_port *p = &c->evt->ports[port];
        p->masked = 0;
        if (p->pending)
            deliver(c->evt, port, c->sock);
    }
    xs_unlock();
    return 0;
}

/* Re-queues our undelivered ports while the socket has room. */
static void refill(struct evctx *c)
{
    if (__atomic_load_n(&c->evt->undelivered, __ATOMIC_RELAXED) == 0)
        return;
    if (xs_lock() < 0)
        return;
    for (uint32_t port = 1; port < XENSIM_NR_PORTS && c->evt->undelivered; port++) {
        struct xs_port *p = &c->evt->ports[port];
        if (!p->undelivered || strcmp(p->owner, c->owner) != 0)
            continue;
        if (sock_send(c->sock, c->owner, port) < 0)
            break;
        set_undelivered(c->evt, p, false);
    }
    xs_unlock();
}

static int ev_pending(struct evctx *c)
{
    bool refilled = false;
    for (;;) {
        uint32_t port;
        ssize_t n = recv(c->sock, &port, sizeof(port), MSG_DONTWAIT);
        if (n == (ssize_t)sizeof(port)) {
            refill(c);
            return (int)port;
        }
        if (n >= 0)
            continue;  /* not one of ours; drop it */
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -errno;
        if (refilled)
            return -EAGAIN;
        refill(c);
        refilled = true;
    }
}

/* ---- real API ---- */
static int ret_errno(int r)
{
    if (r < 0) {
        errno = -r;
        return -1;
    }
    return r;
}

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger, unsigned int flags)
{
    (void)logger;
    (void)flags;
    if (!xensim_dir()) {
        errno = ENOENT;  /* as without /dev/xen/evtchn */
        return NULL;
    }
    xenevtchn_handle *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->ctx.domid = xs_self_domid();
    h->ctx.owner = h->name;
    h->ctx.evt = xs_evt_get(h->ctx.domid, true);
    if (!h->ctx.evt) {
        int e = errno;
        free(h);
        errno = e;
        return NULL;
    }
    h->ctx.sock = xs_sock_open("e", h->name);
    if (h->ctx.sock < 0) {
        int e = errno;
        xs_evt_put(h->ctx.evt);
        free(h);
        errno = e;
        return NULL;
    }
    return h;
}

xenevtchn_handle *xenevtchn_fdopen(struct xentoollog_logger *logger, int fd,
                                   unsigned open_flags)
{
    (void)logger;
    (void)fd;
    (void)open_flags;
    errno = ENOSYS;
    return NULL;
}

int xenevtchn_close(xenevtchn_handle *xce)
{
    if (!xce)
        return 0;
    /* As closing /dev/xen/evtchn: every port of the handle is closed. */
    bool locked = xs_lock() == 0;
    xs_evt_close_owned(xce->ctx.evt, xce->ctx.domid, xce->name);
    if (locked)
        xs_unlock();
    xs_evt_put(xce->ctx.evt);
    xs_sock_close(xce->ctx.sock, xce->name);
    free(xce);
    return 0;
}

int xenevtchn_fd(xenevtchn_handle *xce)
{
    return xce->ctx.sock;
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
    return ret_errno(ev_notify(&xce->ctx, port));
}

xenevtchn_port_or_error_t xenevtchn_bind_unbound_port(xenevtchn_handle *xce, uint32_t domid)
{
    if (domid > UINT16_MAX)
        return ret_errno(-ESRCH);
    return ret_errno(ev_alloc_unbound(&xce->ctx, (uint16_t)domid));
}

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *xce, uint32_t domid,
                                                     evtchn_port_t remote_port)
{
    return ret_errno(ev_bind_interdomain(&xce->ctx, domid, remote_port));
}

xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *xce, unsigned int virq)
{
    (void)xce;
    (void)virq;
    return ret_errno(-ENOSYS);  /* no VIRQs in the simulator */
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
    return ret_errno(ev_close(&xce->ctx, port));
}

xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
    return ret_errno(ev_pending(&xce->ctx));
}

int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
    return ret_errno(ev_unmask(&xce->ctx, port));
}

int xenevtchn_restrict(xenevtchn_handle *xce, domid_t domid)
{
    (void)xce;
    (void)domid;
    return 0;
}

/* ---- guest side ---- */
static struct evctx dom_ctx(struct xensim_domain *d)
{
    return (struct evctx){.evt = d->evt, .domid = d->domid, .owner = d->sock_name,
                          .sock = d->sock};
}

int xensim_evtchn_alloc_unbound(struct xensim_domain *d, uint16_t remote_domid)
{
    struct evctx c = dom_ctx(d);
    return ev_alloc_unbound(&c, remote_domid);
}

int xensim_evtchn_fd(struct xensim_domain *d)
{
    return d->sock;
}

int xensim_evtchn_pending(struct xensim_domain *d)
{
    struct evctx c = dom_ctx(d);
    return ev_pending(&c);
}

int xensim_evtchn_unmask(struct xensim_domain *d, uint32_t port)
{
    struct evctx c = dom_ctx(d);
    return ev_unmask(&c, port);
}

int xensim_evtchn_notify(struct xensim_domain *d, uint32_t port)
{
    struct evctx c = dom_ctx(d);
    return ev_notify(&c, port);
}

int xensim_evtchn_close(struct xensim_domain *d, uint32_t port)
{
    struct evctx c = dom_ctx(d);
    return ev_close(&c, port);
}
