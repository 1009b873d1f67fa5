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
 *
 * A handle's ports are closed when the last fd of its /dev/xen/evtchn would
 * close (xenevtchn_close, exit, SIGKILL), as the driver's release does with
 * EVTCHNOP_close: see lease.c for how the death of a process is seen.
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
    uint32_t owner;   /* socket id (and, for a handle, its lease) */
    bool leased;      /* a handle: its ports die with its lease */
    int sock;
};

struct xenevtchn_handle {
    struct evctx ctx;
    struct xs_lease *lease;
};

/* ---- sockets ---- */
static int sock_addr(struct sockaddr_un *sa, uint32_t id)
{
    char name[XS_NAME_LEN];
    snprintf(name, sizeof(name), "s%u", (unsigned)id);
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    return xs_path(sa->sun_path, sizeof(sa->sun_path), name);
}

int xs_sock_open(uint32_t id)
{
    struct sockaddr_un sa;
    int r = sock_addr(&sa, id);
    if (r < 0) {
        errno = -r;
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

void xs_sock_unlink(uint32_t id)
{
    struct sockaddr_un sa;
    if (sock_addr(&sa, id) == 0)
        unlink(sa.sun_path);
}

/* 0, or -errno of sendto (EAGAIN when the owner's queue is full,
 * ECONNREFUSED when the owner died and nobody reaped it yet). */
static int sock_send(int from, uint32_t to, uint32_t port)
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

/* ---- port table (lock held) ----
 * A process may be killed at any instruction inside the lock; the stores
 * below are ordered so that every intermediate state is a consistent one
 * (or one the reaper finishes), and the rest is recomputed by
 * xs_evt_repair. */
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

void xs_evt_repair(struct xs_evt_file *evt)
{
    uint32_t n = 0;
    for (uint32_t p = 1; p < XENSIM_NR_PORTS; p++)
        n += evt->ports[p].state != XS_PORT_FREE && evt->ports[p].undelivered;
    evt->undelivered = n;
}

/* An event arrives on `port` of `evt`; `from` is any socket to send with.
 * The datagram goes first and the mask after it: a sender killed in
 * between leaves at most a spurious event, never a port masked for good. */
static void deliver(struct xs_evt_file *evt, uint32_t port, int from)
{
    struct xs_port *p = &evt->ports[port];
    if (p->masked) {
        p->pending = 1;
        return;
    }
    int r = sock_send(from, p->owner, port);
    if (r == -EAGAIN || r == -EWOULDBLOCK || r == -ENOBUFS)
        set_undelivered(evt, p, true);
    /* Other errors: the owner is gone; nobody can read the event. */
    p->pending = 0;
    __atomic_store_n(&p->masked, 1, __ATOMIC_RELEASE);
}

static int alloc_port(struct xs_evt_file *evt)
{
    for (uint32_t p = 1; p < XENSIM_NR_PORTS; p++)  /* port 0 is never used */
        if (evt->ports[p].state == XS_PORT_FREE)
            return (int)p;
    return -ENOSPC;
}

/* The state goes last: until then the port is free. */
static void port_init(struct xs_port *p, uint32_t state, uint32_t remote_dom,
                      uint32_t remote_port, const struct evctx *c)
{
    p->remote_dom = remote_dom;
    p->remote_port = remote_port;
    p->masked = 0;
    p->pending = 0;
    p->undelivered = 0;
    p->owner = c->owner;
    p->leased = c->leased;
    __atomic_store_n(&p->state, state, __ATOMIC_RELEASE);
}

/* EVTCHNOP_close: the peer of an interdomain channel goes back to UNBOUND,
 * offered to the closer's domain (Xen's evtchn_close), its own pending
 * and mask bits untouched; the closed port is freed with its pending bit
 * cleared (Xen's free_evtchn). */
static void close_port(struct xs_evt_file *evt, uint16_t domid, uint32_t port)
{
    struct xs_port *p = &evt->ports[port];
    if (p->state == XS_PORT_INTERDOMAIN && p->remote_dom <= UINT16_MAX) {
        struct xs_evt_file *r = xs_evt_get((uint16_t)p->remote_dom, false);
        if (r && p->remote_port < XENSIM_NR_PORTS) {
            struct xs_port *rp = &r->ports[p->remote_port];
            if (rp->state == XS_PORT_INTERDOMAIN && rp->remote_dom == domid &&
                rp->remote_port == port) {
                rp->remote_port = 0;
                __atomic_store_n(&rp->state, XS_PORT_UNBOUND, __ATOMIC_RELEASE);
            }
        }
        xs_evt_put(r);
    }
    set_undelivered(evt, p, false);
    p->pending = 0;
    __atomic_store_n(&p->state, XS_PORT_FREE, __ATOMIC_RELEASE);
}

void xs_evt_close_owned(struct xs_evt_file *evt, uint16_t domid, bool all, uint32_t owner)
{
    for (uint32_t p = 1; p < XENSIM_NR_PORTS; p++) {
        if (evt->ports[p].state == XS_PORT_FREE)
            continue;
        if (!all && evt->ports[p].owner != owner)
            continue;
        close_port(evt, domid, p);
    }
}

void xs_evt_reap_lease(struct xs_evt_file *evt, uint16_t domid, uint32_t id)
{
    for (uint32_t p = 1; p < XENSIM_NR_PORTS; p++) {
        const struct xs_port *port = &evt->ports[p];
        if (port->state != XS_PORT_FREE && port->leased && port->owner == id)
            close_port(evt, domid, p);
    }
}

void xs_evt_reap_dead(struct xs_evt_file *evt)
{
    uint32_t asked[64];
    unsigned n = 0;
    for (uint32_t p = 1; p < XENSIM_NR_PORTS; p++) {
        const struct xs_port *port = &evt->ports[p];
        if (port->state == XS_PORT_FREE || !port->leased)
            continue;
        uint32_t id = port->owner;
        bool seen = false;
        for (unsigned i = 0; i < n && !seen; i++)
            seen = asked[i] == id;
        if (seen)
            continue;
        if (n < sizeof(asked) / sizeof(asked[0]))
            asked[n++] = id;
        xs_lease_alive(id);   /* closes the ports of a dead one */
    }
}

/* If the peer of interdomain port rp belongs to a dead handle, reap it
 * (rp goes back to UNBOUND then). */
static void reap_dead_peer(const struct xs_port *rp)
{
    if (rp->state != XS_PORT_INTERDOMAIN || rp->remote_dom > UINT16_MAX ||
        rp->remote_port >= XENSIM_NR_PORTS)
        return;
    struct xs_evt_file *pe = xs_evt_get((uint16_t)rp->remote_dom, false);
    if (!pe)
        return;
    const struct xs_port *pp = &pe->ports[rp->remote_port];
    bool leased = pp->state != XS_PORT_FREE && pp->leased;
    uint32_t owner = pp->owner;
    xs_evt_put(pe);
    if (leased)
        xs_lease_alive(owner);
}

void xs_evt_reap_port(struct xs_evt_file *evt, uint32_t port)
{
    const struct xs_port *p = &evt->ports[port];
    if (p->state != XS_PORT_FREE && p->leased)
        xs_lease_alive(p->owner);
    reap_dead_peer(p);
}

static bool owns(const struct evctx *c, uint32_t port)
{
    return port > 0 && port < XENSIM_NR_PORTS &&
           c->evt->ports[port].state != XS_PORT_FREE &&
           c->evt->ports[port].owner == c->owner;
}

/* ---- operations, returning -errno ---- */
static int ev_alloc_unbound(struct evctx *c, uint16_t remote)
{
    int r = xs_lock();
    if (r < 0)
        return r;
    xs_evt_reap_dead(c->evt);   /* their ports are free: Xen reuses them */
    int port = alloc_port(c->evt);
    if (port > 0)
        port_init(&c->evt->ports[port], XS_PORT_UNBOUND, remote, 0, c);
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
    reap_dead_peer(rp);         /* a dead backend's channel is unbound again */
    if (rp->state != XS_PORT_UNBOUND || rp->remote_dom != c->domid) {
        port = -EINVAL;
        goto out;
    }
    xs_evt_reap_dead(c->evt);
    port = alloc_port(c->evt);
    if (port < 0)
        goto out;
    /* Our end first: killed before the remote end is written, the reaper
     * frees it and the remote end is still unbound. */
    port_init(&c->evt->ports[port], XS_PORT_INTERDOMAIN, domid, remote_port, c);
    rp->remote_dom = c->domid;
    rp->remote_port = (uint32_t)port;
    __atomic_store_n(&rp->state, XS_PORT_INTERDOMAIN, __ATOMIC_RELEASE);
    /* Xen sets the new local port pending, since notifications sent to the
     * unbound remote port were lost: the binder sees one event at once. */
    deliver(c->evt, (uint32_t)port, c->sock);
out:
    xs_evt_put(re);
    xs_unlock();
    return port;
}

/* not_ours: the error for a port that is not the caller's (the Linux
 * driver's ENOTCONN for a handle, Xen's EINVAL for a guest). */
static int ev_notify(struct evctx *c, uint32_t port, int not_ours)
{
    int r = xs_lock();
    if (r < 0)
        return r;
    if (!owns(c, port)) {
        xs_unlock();
        return not_ours;
    }
    struct xs_port *p = &c->evt->ports[port];
    /* Unbound (peer closed or gone): nothing to do, as Xen. A peer that died
     * unreaped has no socket any more: the event is dropped all the same. */
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

/* Re-queues our undelivered ports while the socket has room; returns how
 * many it queued. No syscall when nothing in the table is undelivered. */
static unsigned refill(struct evctx *c)
{
    if (__atomic_load_n(&c->evt->undelivered, __ATOMIC_RELAXED) == 0)
        return 0;
    if (xs_lock() < 0)
        return 0;
    unsigned sent = 0;
    for (uint32_t port = 1; port < XENSIM_NR_PORTS && c->evt->undelivered; port++) {
        struct xs_port *p = &c->evt->ports[port];
        if (!p->undelivered || p->state == XS_PORT_FREE || p->owner != c->owner)
            continue;
        if (sock_send(c->sock, c->owner, port) < 0)
            break;
        set_undelivered(c->evt, p, false);
        sent++;
    }
    xs_unlock();
    return sent;
}

/* One recv, as the real read(2) of the device; a second one only when an
 * undelivered port was just queued. */
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
        if (refilled || refill(c) == 0)
            return -EAGAIN;
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
    h->ctx.leased = true;
    h->ctx.sock = -1;
    int e = 0;
    h->ctx.evt = xs_evt_get(h->ctx.domid, true);
    if (!h->ctx.evt)
        goto fail;
    int r = xs_lock();
    if (r < 0) {
        errno = -r;
        goto fail;
    }
    h->lease = xs_lease_new();
    xs_unlock();
    if (!h->lease)
        goto fail;
    h->ctx.owner = xs_lease_id(h->lease);
    h->ctx.sock = xs_sock_open(h->ctx.owner);
    if (h->ctx.sock < 0)
        goto fail;
    return h;
fail:
    e = errno;
    if (h->lease) {
        bool locked = xs_lock() == 0;
        xs_lease_drop(h->lease, locked);
        if (locked)
            xs_unlock();
    }
    xs_evt_put(h->ctx.evt);
    free(h);
    errno = e;
    return NULL;
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
    /* As closing /dev/xen/evtchn: once no process has the file open any
     * more (a forked child may still have it), every port of it is closed. */
    bool locked = xs_lock() == 0;   /* not locked: the directory is gone */
    xs_lease_drop(xce->lease, locked);
    if (locked)
        xs_unlock();
    xs_evt_put(xce->ctx.evt);
    close(xce->ctx.sock);
    free(xce);
    return 0;
}

int xenevtchn_fd(xenevtchn_handle *xce)
{
    return xce->ctx.sock;
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
    return ret_errno(ev_notify(&xce->ctx, port, -ENOTCONN));
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
    return (struct evctx){.evt = d->evt, .domid = d->domid, .owner = d->sock_id,
                          .leased = false, .sock = d->sock};
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
    return ev_notify(&c, port, -EINVAL);
}

int xensim_evtchn_close(struct xensim_domain *d, uint32_t port)
{
    struct evctx c = dom_ctx(d);
    return ev_close(&c, port);
}
