/* xensim: the real xenevtchn_* API and the guest's event channel calls of
 * xensim.h, over the port operations of evtchn.c (where the delivery
 * semantics are described). */
#include "shared.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <xenevtchn.h>

struct xenevtchn_handle {
    struct evctx ctx;
    struct xs_lease *lease;
};

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
