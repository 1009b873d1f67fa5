/* xensim: introspection for leak checks. Each answer first reaps the state
 * of processes that died (lease.c), as the kernel would have at their death. */
#include "shared.h"

#include <errno.h>

/* Asks once after every process holding mappings of gnt (lock held). */
static void reap_dead_holders(struct xs_gnt_file *gnt)
{
    uint32_t asked[64];
    unsigned n = 0;
    for (uint32_t ref = 0; ref < XENSIM_NR_GRANTS; ref++) {
        for (uint32_t i = 0; i < XS_GNT_HOLDERS; i++) {
            const struct xs_gnt_holder *h = &gnt->holders[ref][i];
            if (!h->count)
                continue;
            bool seen = false;
            for (unsigned k = 0; k < n && !seen; k++)
                seen = asked[k] == h->lease;
            if (seen)
                continue;
            if (n < sizeof(asked) / sizeof(asked[0]))
                asked[n++] = h->lease;
            xs_lease_alive(h->lease);
        }
    }
}

int xensim_count_mappings(uint16_t domid)
{
    if (xs_lock() < 0)
        return 0;
    struct xs_gdom *g = xs_gdom_get(domid);
    long long sum = 0;
    if (g) {
        reap_dead_holders(g->gnt);
        for (uint32_t ref = 0; ref < XENSIM_NR_GRANTS; ref++)
            sum += xs_gnt_active(g->gnt, ref);
        xs_gdom_put(g);
    }
    xs_unlock();
    return sum > INT32_MAX ? INT32_MAX : (int)sum;
}

int xensim_count_grant_mappings(uint16_t domid, uint32_t ref)
{
    if (ref >= XENSIM_NR_GRANTS)
        return -EINVAL;
    int r = xs_lock();
    if (r < 0)
        return r;
    struct xs_gdom *g = xs_gdom_get(domid);
    if (!g) {
        xs_unlock();
        return -ESRCH;
    }
    xs_gnt_reap_dead(g->gnt, ref);
    int n = (int)xs_gnt_active(g->gnt, ref);
    xs_gdom_put(g);
    xs_unlock();
    return n;
}

int xensim_count_bound_ports(uint16_t domid)
{
    if (xs_lock() < 0)
        return 0;
    struct xs_evt_file *e = xs_evt_get(domid, false);
    int n = 0;
    if (e) {
        xs_evt_reap_dead(e);
        for (uint32_t p = 1; p < XENSIM_NR_PORTS; p++)
            n += e->ports[p].state != XS_PORT_FREE;
        xs_evt_put(e);
    }
    xs_unlock();
    return n;
}

int xensim_evtchn_status(uint16_t domid, uint32_t port, struct xensim_evtchn_status *st)
{
    int r = xs_lock();
    if (r < 0)
        return r;
    struct xs_evt_file *e = xs_evt_get(domid, false);
    if (!e) {
        xs_unlock();
        return -ESRCH;
    }
    r = -EINVAL;   /* as Xen for a port beyond the domain's */
    if (port < XENSIM_NR_PORTS) {
        xs_evt_reap_port(e, port);
        const struct xs_port *p = &e->ports[port];
        *st = (struct xensim_evtchn_status){.state = XENSIM_EVTCHN_CLOSED};
        if (p->state == XS_PORT_UNBOUND)
            *st = (struct xensim_evtchn_status){.state = XENSIM_EVTCHN_UNBOUND,
                                                .remote_dom = (uint16_t)p->remote_dom};
        else if (p->state == XS_PORT_INTERDOMAIN)
            *st = (struct xensim_evtchn_status){.state = XENSIM_EVTCHN_INTERDOMAIN,
                                                .remote_dom = (uint16_t)p->remote_dom,
                                                .remote_port = p->remote_port};
        r = 0;
    }
    xs_evt_put(e);
    xs_unlock();
    return r;
}
