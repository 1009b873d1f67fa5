/* Creation, connection and teardown of a ring's state; its LUN table. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"
#include "ring_state.h"
#include "ring_takeover.h"

struct ring_state *ring_state_new(const struct pvscsid_config *cfg, uint16_t domid,
                                  uint32_t devid, unsigned max_segments)
{
    struct ring_state *rs = calloc(1, sizeof(*rs));
    if (!rs)
        return NULL;
    rs->cfg = cfg;
    rs->domid = domid;
    rs->devid = devid;
    rs->limits.max_segments = max_segments;
    log_device_name(rs->name, domid, devid);
    rs->evtchn_tag.kind = URING_TAG_EVTCHN;
    rs->qos_tag.kind = URING_TAG_QOS;
    int err = datapath_ring_init(rs, max_segments);
    for (unsigned i = 0; i < VSCSI_RING_SIZE && !err; i++) {
        rs->slots[i].rs = rs;
        rs->slots[i].tmf.ended_by = -1;
        err = datapath_slot_init(&rs->slots[i].data, max_segments);
    }
    if (!err) {
        rs->gnttab = xengnttab_open(NULL, 0);
        if (!rs->gnttab)
            err = -errno;
    }
    if (!err) {
        /* Map mode holds one request's pages per slot at most. */
        uint32_t grants = (max_segments + 1) * VSCSI_RING_SIZE + 1;
        if (xengnttab_set_max_grants(rs->gnttab, grants) < 0)
            log_warn("%s: cannot raise the grant map limit to %u: %s", rs->name, grants,
                     strerror(errno));
        rs->evtchn = xenevtchn_open(NULL, 0);
        if (!rs->evtchn)
            err = -errno;
    }
    if (!err) {
        /* xenevtchn_pending() is a read(2) of the device: non-blocking, it
         * says "nothing more" instead of sleeping in the worker. */
        int fd = xenevtchn_fd(rs->evtchn);
        int fl = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
            err = -errno;
    }
    if (err) {
        ring_state_free(rs);
        errno = -err;
        return NULL;
    }
    return rs;
}

int ring_state_connect(struct ring_state *rs, const struct ring_origin *o)
{
    rs->sring = xengnttab_map_grant_ref(rs->gnttab, rs->domid, o->ring_ref,
                                        PROT_READ | PROT_WRITE);
    if (!rs->sring)
        return errno ? -errno : -EINVAL;
    xenevtchn_port_or_error_t port = xenevtchn_bind_interdomain(rs->evtchn, rs->domid,
                                                                o->remote_port);
    if (port < 0) {
        int e = errno ? -errno : -EINVAL;
        ring_state_disconnect(rs);
        return e;
    }
    rs->port = (evtchn_port_t)port;
    rs->port_bound = true;
    rs->halted = false;
    rs->detaching = false;
    int r = ring_takeover(rs, o);
    if (r < 0)
        ring_state_disconnect(rs);
    return r;
}

void ring_state_disconnect(struct ring_state *rs)
{
    if (rs->port_bound && xenevtchn_unbind(rs->evtchn, rs->port) < 0)
        log_warn("%s: unbind port %u: %s", rs->name, (unsigned)rs->port, strerror(errno));
    rs->port_bound = false;
    if (rs->sring && xengnttab_unmap(rs->gnttab, rs->sring, 1) < 0)
        log_warn("%s: unmap ring: %s", rs->name, strerror(errno));
    rs->sring = NULL;
    ring_journal_unmap(rs->journal);
    rs->journal = NULL;
}

void ring_state_forget(struct ring_state *rs)
{
    if (!rs->cfg->state_dir || !rs->cfg->state_dir[0])
        return;
    int r = ring_journal_remove(rs->cfg->state_dir, rs->domid, rs->devid);
    if (r < 0)
        log_warn("%s: removing its journal: %s", rs->name, strerror(-r));
}

void ring_state_free(struct ring_state *rs)
{
    if (!rs)
        return;
    ring_state_disconnect(rs);
    for (unsigned i = 0; i < VSCSI_RING_SIZE; i++)
        datapath_slot_free(&rs->slots[i].data, rs->limits.max_segments);
    datapath_ring_free(rs);
    if (rs->evtchn)
        xenevtchn_close(rs->evtchn);
    if (rs->gnttab)
        xengnttab_close(rs->gnttab);
    free(rs->luns);
    free(rs);
}

struct lun_entry *ring_state_find_lun(struct ring_state *rs, uint16_t channel, uint16_t target,
                                      uint16_t lun)
{
    for (unsigned i = 0; i < rs->nr_luns; i++) {
        struct lun_entry *e = rs->luns[i];
        if (!e->remove_waiter && e->vdev.channel == channel && e->vdev.target == target && e->vdev.lun == lun)
            return e;
    }
    return NULL;
}

struct lun_entry *ring_state_find_index(struct ring_state *rs, unsigned index)
{
    for (unsigned i = 0; i < rs->nr_luns; i++)
        if (rs->luns[i]->index == index && !rs->luns[i]->remove_waiter)
            return rs->luns[i];
    return NULL;
}

int ring_state_add_lun(struct ring_state *rs, unsigned index, const struct vscsi_hctl *vdev,
                       struct lun *lun)
{
    if (ring_state_find_index(rs, index) ||
        ring_state_find_lun(rs, (uint16_t)vdev->channel, (uint16_t)vdev->target,
                            (uint16_t)vdev->lun))
        return -EEXIST;
    if (rs->nr_luns >= RING_MAX_LUNS)
        return -ENOSPC;
    if (rs->nr_luns == rs->cap_luns) {
        unsigned cap = rs->cap_luns ? rs->cap_luns * 2 : 8;
        struct lun_entry **n = realloc(rs->luns, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        rs->luns = n;
        rs->cap_luns = cap;
    }
    struct lun_entry *e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    e->index = index;
    e->vdev = *vdev;
    e->lun = lun;
    rs->luns[rs->nr_luns++] = e;
    return 0;
}

void ring_state_drop_lun(struct ring_state *rs, struct lun_entry *e)
{
    for (unsigned i = 0; i < rs->nr_luns; i++) {
        if (rs->luns[i] == e) {
            rs->luns[i] = rs->luns[--rs->nr_luns];
            free(e);
            return;
        }
    }
}
