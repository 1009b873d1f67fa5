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
 *
 * This file is the hypervisor's side (port tables, delivery); the API
 * functions that call it are in evtchn_api.c.
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

/* A datagram owed to a port's owner, sent once the lock is dropped: a
 * sendto wakes the receiver, which would otherwise run into the lock still
 * held (a futex wait, and a futex wake for the sender). */
struct owed {
    struct xs_evt_file *evt;
    uint32_t owner, port;
    bool due;
};

/* An event arrives on `port` of `evt` (lock held): masked, it only sets
 * pending; else the port is masked and a datagram is owed to its owner. */
static void raise_event(struct xs_evt_file *evt, uint32_t port, struct owed *o)
{
    struct xs_port *p = &evt->ports[port];
    if (p->masked) {
        p->pending = 1;
        return;
    }
    p->pending = 0;
    __atomic_store_n(&p->masked, 1, __ATOMIC_RELEASE);
    *o = (struct owed){.evt = evt, .owner = p->owner, .port = port, .due = true};
}

/* Sends what raise_event owed, from any socket; a full queue flags the port
 * undelivered, for the owner's next pending(). locked: the caller holds the
 * lock (rare paths). Other errors: the owner is gone; nobody can read it. */
static void pay(struct owed *o, int from, bool locked)
{
    if (!o->due)
        return;
    o->due = false;
    int r = sock_send(from, o->owner, o->port);
    if (r != -EAGAIN && r != -EWOULDBLOCK && r != -ENOBUFS)
        return;
    if (!locked && xs_lock() < 0)
        return;
    /* Still masked for this event unless its owner unmasked meanwhile
     * without having read it: either way it is owed, so it stays queued. */
    struct xs_port *p = &o->evt->ports[o->port];
    if (p->state != XS_PORT_FREE && p->owner == o->owner) {
        set_undelivered(o->evt, p, true);
        p->masked = 1;
    }
    if (!locked)
        xs_unlock();
}

static void deliver_locked(struct xs_evt_file *evt, uint32_t port, int from)
{
    struct owed o = {.due = false};
    raise_event(evt, port, &o);
    pay(&o, from, true);
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
    p->sending = 0;
    p->owner = c->owner;
    p->leased = c->leased;
    __atomic_store_n(&p->state, state, __ATOMIC_RELEASE);
}

/* EVTCHNOP_close: the peer of an interdomain channel goes back to UNBOUND,
 * offered to the closer's domain (Xen's evtchn_close), its own pending
 * and mask bits untouched; the closed port is freed with its pending bit
 * cleared (Xen's free_evtchn). */
static void close_port(struct xs_evt_file *evt, uint16_t domid, uint32_t port, int from)
{
    struct xs_port *p = &evt->ports[port];
    if (p->state == XS_PORT_INTERDOMAIN && p->remote_dom <= UINT16_MAX) {
        struct xs_evt_file *r = xs_evt_get((uint16_t)p->remote_dom, false);
        if (r && p->remote_port < XENSIM_NR_PORTS) {
            struct xs_port *rp = &r->ports[p->remote_port];
            if (rp->state == XS_PORT_INTERDOMAIN && rp->remote_dom == domid &&
                rp->remote_port == port) {
                /* Killed between masking the remote port and sending to it:
                 * Xen's send was atomic, so unmask it (and deliver what is
                 * pending) rather than leave it masked with nothing queued. */
                if (p->sending && rp->masked) {
                    rp->masked = 0;
                    if (rp->pending)
                        deliver_locked(r, p->remote_port, from);
                }
                rp->remote_port = 0;
                __atomic_store_n(&rp->state, XS_PORT_UNBOUND, __ATOMIC_RELEASE);
            }
        }
        xs_evt_put(r);
    }
    set_undelivered(evt, p, false);
    p->pending = 0;
    p->sending = 0;
    __atomic_store_n(&p->state, XS_PORT_FREE, __ATOMIC_RELEASE);
}

/* A socket to send with on others' behalf (rare paths): datagram sockets
 * need no bind to send. -1 when none can be made (the owner then stays
 * masked, as with a full queue, until the next event). */
static int any_socket(void)
{
    return socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

void xs_evt_close_owned(struct xs_evt_file *evt, uint16_t domid, bool all, uint32_t owner)
{
    int from = -1;
    for (uint32_t p = 1; p < XENSIM_NR_PORTS; p++) {
        if (evt->ports[p].state == XS_PORT_FREE)
            continue;
        if (!all && evt->ports[p].owner != owner)
            continue;
        if (from < 0 && evt->ports[p].sending)
            from = any_socket();
        close_port(evt, domid, p, from);
    }
    if (from >= 0)
        close(from);
}

void xs_evt_reap_lease(struct xs_evt_file *evt, uint16_t domid, uint32_t id)
{
    xs_evt_close_owned(evt, domid, false, id);
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
int ev_alloc_unbound(struct evctx *c, uint16_t remote)
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

int ev_bind_interdomain(struct evctx *c, uint32_t domid, uint32_t remote_port)
{
    if (domid > UINT16_MAX)
        return -ESRCH;
    int r = xs_lock();
    if (r < 0)
        return r;
    struct xs_evt_file *re = xs_evt_get((uint16_t)domid, false);
    struct owed o = {.due = false};
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
    raise_event(c->evt, (uint32_t)port, &o);
out:
    xs_evt_put(re);
    xs_unlock();
    pay(&o, c->sock, false);   /* our own port: dies with us if we die first */
    return port;
}

/* not_ours: the error for a port that is not the caller's (the Linux
 * driver's ENOTCONN for a handle, Xen's EINVAL for a guest). */
int ev_notify(struct evctx *c, uint32_t port, int not_ours)
{
    int r = xs_lock();
    if (r < 0)
        return r;
    if (!owns(c, port)) {
        xs_unlock();
        return not_ours;
    }
    struct xs_port *p = &c->evt->ports[port];
    struct xs_evt_file *re = NULL;
    struct owed o = {.due = false};
    /* Unbound (peer closed or gone): nothing to do, as Xen. A peer that died
     * unreaped has no socket any more: the event is dropped all the same. */
    if (p->state == XS_PORT_INTERDOMAIN && p->remote_dom <= UINT16_MAX &&
        p->remote_port < XENSIM_NR_PORTS) {
        re = xs_evt_get((uint16_t)p->remote_dom, false);
        if (re) {
            struct xs_port *rp = &re->ports[p->remote_port];
            if (rp->state == XS_PORT_INTERDOMAIN && rp->remote_dom == c->domid &&
                rp->remote_port == port)
                raise_event(re, p->remote_port, &o);
        }
    }
    /* Until it is sent, the reaper of a handle killed meanwhile knows the
     * remote port may be masked with nothing queued (close_port). */
    if (o.due && c->leased)
        __atomic_store_n(&p->sending, 1, __ATOMIC_RELEASE);
    xs_unlock();
    if (o.due) {
        pay(&o, c->sock, false);
        if (c->leased)
            __atomic_store_n(&p->sending, 0, __ATOMIC_RELEASE);
    }
    xs_evt_put(re);
    return 0;
}

int ev_close(struct evctx *c, uint32_t port)
{
    int r = xs_lock();
    if (r < 0)
        return r;
    if (!owns(c, port)) {
        xs_unlock();
        return -ENOTCONN;  /* as the Linux driver for a port not ours */
    }
    close_port(c->evt, c->domid, port, c->sock);
    xs_unlock();
    return 0;
}

int ev_unmask(struct evctx *c, uint32_t port)
{
    int r = xs_lock();
    if (r < 0)
        return r;
    /* The Linux driver ignores ports that are not ours. */
    struct owed o = {.due = false};
    if (owns(c, port)) {
        struct xs_port *p = &c->evt->ports[port];
        p->masked = 0;
        if (p->pending)
            raise_event(c->evt, port, &o);
    }
    xs_unlock();
    pay(&o, c->sock, false);   /* our own port: dies with us if we die first */
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
int ev_pending(struct evctx *c)
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
