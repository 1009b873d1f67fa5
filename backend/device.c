#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "hctl.h"
#include "log.h"
#include "ring_state.h"
#include "xenbus_state.h"

/* ---- small xenstore helpers --------------------------------------------------- */

static char *read_node(struct device *d, const char *dir, const char *node)
{
    char path[256];
    if (snprintf(path, sizeof(path), "%s/%s", dir, node) >= (int)sizeof(path))
        return NULL;
    return xs_read(d->env->xs, XBT_NULL, path, NULL);
}

/* A decimal node; -1 when missing or malformed. */
static long read_long(struct device *d, const char *dir, const char *node)
{
    char *v = read_node(d, dir, node);
    if (!v)
        return -1;
    char *end;
    errno = 0;
    long r = strtol(v, &end, 10);
    if (errno || end == v || *end || r < 0)
        r = -1;
    free(v);
    return r;
}

static int read_state(struct device *d, const char *dir, const char *node)
{
    char *v = read_node(d, dir, node);
    if (!v)
        return XenbusStateUnknown;
    enum xenbus_state st;
    int r = vscsi_xenbus_state_parse(v, &st);
    free(v);
    return r < 0 ? XenbusStateUnknown : (int)st;
}

static bool write_node(struct device *d, const char *dir, const char *node, const char *val)
{
    char path[256];
    if (snprintf(path, sizeof(path), "%s/%s", dir, node) >= (int)sizeof(path))
        return false;
    if (!xs_write(d->env->xs, XBT_NULL, path, val, (unsigned)strlen(val))) {
        log_warn("vscsi-%u/%u: write %s: %s", (unsigned)d->domid, (unsigned)d->devid, path,
                 strerror(errno));
        return false;
    }
    return true;
}

static bool write_state(struct device *d, const char *dir, int state)
{
    char v[4];
    snprintf(v, sizeof(v), "%d", state);
    return write_node(d, dir, "state", v);
}

/* Like xenbus_switch_state: compares with what we last wrote (the
 * toolstack writing Reconfiguring must not make us rewrite Connected). */
static void switch_state(struct device *d, int state)
{
    if (d->state == state)
        return;
    log_info("vscsi-%u/%u: backend %s", (unsigned)d->domid, (unsigned)d->devid,
             vscsi_xenbus_state_name(state));
    /* Recorded only once written, so the next event retries a failure. */
    if (write_state(d, d->be_path, state))
        d->state = state;
}

/* ---- LUNs --------------------------------------------------------------------- */

/* "dev-N" with N decimal; -1 otherwise. */
static long dev_index(const char *name)
{
    if (strncmp(name, "dev-", 4) != 0 || name[4] < '0' || name[4] > '9')
        return -1;
    char *end;
    errno = 0;
    long n = strtol(name + 4, &end, 10);
    return (errno || *end || n > 0xffffff) ? -1 : n;
}

static int open_lun(struct device *d, const char *dir, unsigned index, struct vscsi_hctl *vdev,
                    struct lun **out)
{
    char *pdev = read_node(d, dir, "p-dev");
    char *vstr = read_node(d, dir, "v-dev");
    int r = -EINVAL;
    char err[256] = "";
    if (!pdev || !vstr) {
        snprintf(err, sizeof(err), "p-dev or v-dev missing");
    } else if (vscsi_hctl_parse(vstr, vdev) < 0 || !vscsi_hctl_fits_ring(vdev) ||
               vdev->lun > 0x3fff) {
        snprintf(err, sizeof(err), "bad v-dev \"%s\"", vstr);
    } else {
        const struct lun_ops *ops = lun_ops_for_pdev(pdev);
        if (!ops) {
            snprintf(err, sizeof(err), "no handler for p-dev \"%s\"", pdev);
            r = -ENODEV;
        } else {
            const struct lun_params params = {
                .block_size = d->env->cfg->block_size,
                .sysfs_root = d->env->cfg->sysfs_root,
                .cmd_timeout_ms = d->env->cfg->cmd_timeout_s * 1000u,
            };
            r = ops->open(pdev, &params, out, err, sizeof(err));
            if (r == 0)
                log_info("vscsi-%u/%u: dev-%u: %s as %s (%s)", (unsigned)d->domid,
                         (unsigned)d->devid, index, pdev, vstr, ops->name);
        }
    }
    if (r < 0)
        log_err("vscsi-%u/%u: dev-%u: %s", (unsigned)d->domid, (unsigned)d->devid, index,
                err[0] ? err : strerror(-r));
    free(pdev);
    free(vstr);
    return r;
}

static int add_lun(struct device *d, const char *dir, unsigned index)
{
    struct vscsi_hctl vdev;
    struct lun *lun;
    int r = open_lun(d, dir, index, &vdev, &lun);
    if (r < 0)
        return r;
    r = worker_add_lun(d->rs->worker, d->rs, index, &vdev, lun);
    if (r < 0) {
        log_err("vscsi-%u/%u: dev-%u: %s", (unsigned)d->domid, (unsigned)d->devid, index,
                r == -EEXIST ? "v-dev already in use" : strerror(-r));
        lun->ops->close(lun);
    }
    return r;
}

static void remove_lun(struct device *d, unsigned index)
{
    struct lun *lun = worker_remove_lun(d->rs->worker, d->rs, index);
    if (lun) {
        log_info("vscsi-%u/%u: dev-%u removed", (unsigned)d->domid, (unsigned)d->devid, index);
        lun->ops->close(lun);
    }
}

enum lun_walk { WALK_ADD_OR_DEL, WALK_UPDATE_STATE };

/* scsiback_do_lun_hotplug: one pass over vscsi-devs. */
static void walk_luns(struct device *d, enum lun_walk op)
{
    char path[160];
    snprintf(path, sizeof(path), "%s/vscsi-devs", d->be_path);
    unsigned n = 0;
    char **names = xs_directory(d->env->xs, XBT_NULL, path, &n);
    for (unsigned i = 0; names && i < n; i++) {
        long index = dev_index(names[i]);
        if (index < 0)
            continue;
        char dir[224];
        snprintf(dir, sizeof(dir), "%s/%s", path, names[i]);
        int st = read_state(d, dir, "state");
        bool present = worker_has_lun(d->rs->worker, d->rs, (unsigned)index);
        if (op == WALK_UPDATE_STATE) {
            if (st == XenbusStateInitialised && present)
                write_state(d, dir, XenbusStateConnected);
            continue;
        }
        switch (st) {
        case XenbusStateInitialising:
            write_state(d, dir, add_lun(d, dir, (unsigned)index) == 0 ? XenbusStateInitialised
                                                                      : XenbusStateClosed);
            break;
        case XenbusStateConnected:
            /* A reconnecting frontend: the LUN is added again and offered
             * as Initialised, so the guest adds it once more. One we serve
             * already (a Reconfiguring walk) is left alone. */
            if (!present && add_lun(d, dir, (unsigned)index) == 0)
                write_state(d, dir, XenbusStateInitialised);
            break;
        case XenbusStateClosing:
            remove_lun(d, (unsigned)index);
            write_state(d, dir, XenbusStateClosed);
            break;
        default:
            break;
        }
    }
    free(names);
}

/* ---- connect / disconnect --------------------------------------------------- */

static int connect_ring(struct device *d)
{
    long ref = read_long(d, d->fe_path, "ring-ref");
    long port = read_long(d, d->fe_path, "event-channel");
    if (ref < 0 || port < 0 || ref > UINT32_MAX || port > UINT32_MAX) {
        log_err("vscsi-%u/%u: frontend has no valid ring-ref/event-channel", (unsigned)d->domid,
                (unsigned)d->devid);
        return -EINVAL;
    }
    d->rs = ring_state_new(d->env->cfg, d->domid, d->devid);
    if (d->rs)
        d->rs->feature_host = d->feature_host;
    if (!d->rs) {
        log_err("vscsi-%u/%u: %s", (unsigned)d->domid, (unsigned)d->devid, strerror(errno));
        return -ENOMEM;
    }
    int r = ring_state_connect(d->rs, (uint32_t)ref, (evtchn_port_t)port);
    if (r < 0) {
        log_err("vscsi-%u/%u: cannot map ring-ref %ld / bind port %ld: %s", (unsigned)d->domid,
                (unsigned)d->devid, ref, port, strerror(-r));
        ring_state_free(d->rs);
        d->rs = NULL;
        return r;
    }
    worker_attach(d->env->pick_worker(d->env->ctx), d->rs);
    log_info("vscsi-%u/%u: connected (ring-ref %ld, port %ld)", (unsigned)d->domid,
             (unsigned)d->devid, ref, port);
    return 0;
}

/* Starts handing the ring back: the worker drains it (answering the guest
 * or not) without holding up this thread; device_drained() finishes. */
static void disconnect_ring(struct device *d, bool answer)
{
    if (!d->rs || d->draining)
        return;
    d->draining = true;
    d->rs->owner = d;
    worker_detach_async(d->rs->worker, d->rs, answer, d->env->sink);
}

static void free_ring(struct device *d)
{
    struct ring_state *rs = d->rs;
    /* Back on the control thread: close every LUN, unmap, unbind. */
    for (unsigned i = 0; i < rs->nr_luns; i++) {
        rs->luns[i]->lun->ops->close(rs->luns[i]->lun);
        free(rs->luns[i]);
    }
    rs->nr_luns = 0;
    ring_state_free(rs);
    d->rs = NULL;
    d->draining = false;
    log_info("vscsi-%u/%u: disconnected", (unsigned)d->domid, (unsigned)d->devid);
}

/* ---- the state machine -------------------------------------------------------- */

static bool read_frontend(struct device *d)
{
    if (d->fe_path[0])
        return true;
    char *fe = read_node(d, d->be_path, "frontend");
    if (!fe)
        return false;
    size_t len = strlen(fe);
    if (len == 0 || len >= sizeof(d->fe_path)) {
        free(fe);
        return false;
    }
    memcpy(d->fe_path, fe, len + 1);
    free(fe);
    char path[160];
    snprintf(path, sizeof(path), "%s/state", d->fe_path);
    snprintf(d->fe_watch_token, sizeof(d->fe_watch_token), "fe:%u:%u", (unsigned)d->domid,
             (unsigned)d->devid);
    d->fe_watched = xs_watch(d->env->xs, path, d->fe_watch_token);
    if (!d->fe_watched)
        log_err("vscsi-%u/%u: watch %s: %s", (unsigned)d->domid, (unsigned)d->devid, path,
                strerror(errno));
    return true;
}

static void probe(struct device *d)
{
    char v[16];
    snprintf(v, sizeof(v), "%u", d->env->cfg->max_segments);
    if (!write_node(d, d->be_path, "feature-sg-grant", v))
        return;
    d->probed = true;
    d->domain_was_introduced = xs_is_domain_introduced(d->env->xs, d->domid);
    switch_state(d, XenbusStateInitWait);
}

void device_changed(struct device *d)
{
    if (d->draining || d->dying)
        return;   /* device_drained() looks again */
    if (!read_frontend(d))
        return;   /* the toolstack has not written everything yet */
    if (!d->probed) {
        probe(d);
        if (!d->probed)
            return;
    }
    d->feature_host = read_long(d, d->be_path, "feature-host") == 1;
    int fe = read_state(d, d->fe_path, "state");
    switch (fe) {
    case XenbusStateInitialising:
    case XenbusStateUnknown:
        /* A frontend coming back after Closed: offer ourselves again. */
        if (d->state == XenbusStateClosed)
            switch_state(d, XenbusStateInitWait);
        break;
    case XenbusStateInitialised:
    case XenbusStateConnected:
        if (!d->rs) {
            if (connect_ring(d) < 0)
                break;
            walk_luns(d, WALK_ADD_OR_DEL);
            switch_state(d, XenbusStateConnected);
            if (fe == XenbusStateInitialised)
                break;
        }
        if (fe == XenbusStateConnected) {
            walk_luns(d, WALK_UPDATE_STATE);
            switch_state(d, XenbusStateConnected);
            /* Whole-HBA mode: keep the LUNs in step with the host. */
            if (d->feature_host)
                hba_follow_sync(&d->hba, d->env->xs, d->env->cfg->backend_domid, d->domid,
                                d->devid, d->env->cfg->sysfs_root);
        }
        break;
    case XenbusStateClosing:
    case XenbusStateClosed:
        /* As xen-scsiback: every request answered before we let go. */
        disconnect_ring(d, true);
        /* Draining, or offered again already (below): nothing to do. */
        if (d->rs || (fe == XenbusStateClosed && d->state == XenbusStateInitWait))
            break;
        switch_state(d, fe);
        /* A frontend that closed while the device stays online (module
         * unload, unbind) may probe again at once: Linux's xen-scsifront
         * then takes a backend still in Closed for one closing and shuts
         * itself down. So, as blkback's "prepare for reconnect", offer the
         * device again. A toolstack removing it sets online to 0 first. */
        if (fe == XenbusStateClosed && d->state == XenbusStateClosed &&
            read_long(d, d->be_path, "online") == 1)
            switch_state(d, XenbusStateInitWait);
        break;
    case XenbusStateReconfiguring:
        if (d->rs && d->state != XenbusStateReconfigured) {
            walk_luns(d, WALK_ADD_OR_DEL);
            switch_state(d, XenbusStateReconfigured);
        }
        break;
    default:
        break;
    }
}

bool device_exists(struct device *d)
{
    char *v = xs_read(d->env->xs, XBT_NULL, d->be_path, NULL);
    if (!v)
        return errno != ENOENT;
    free(v);
    return true;
}

bool device_stats(struct device *d, struct ring_stats *out, unsigned *inflight)
{
    if (!d->rs || d->draining)
        return false;
    /* Read directly (see RING_COUNTER_*): no round trip to the worker, so
     * a busy or stuck worker never holds up the management API. */
    ring_stats_snapshot(&d->rs->stats, out);
    *inflight = RING_COUNTER_GET(d->rs->inflight);
    return true;
}

struct device *device_new(const struct device_env *env, uint16_t domid, uint32_t devid)
{
    struct device *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->env = env;
    d->domid = domid;
    d->devid = devid;
    snprintf(d->be_path, sizeof(d->be_path), "/local/domain/%u/backend/vscsi/%u/%u",
             (unsigned)env->cfg->backend_domid, (unsigned)domid, (unsigned)devid);
    return d;
}

static void free_device(struct device *d)
{
    hba_follow_free(&d->hba);
    if (d->fe_watched) {
        char path[160];
        snprintf(path, sizeof(path), "%s/state", d->fe_path);
        if (!xs_unwatch(d->env->xs, path, d->fe_watch_token))
            log_warn("vscsi-%u/%u: unwatch: %s", (unsigned)d->domid, (unsigned)d->devid,
                     strerror(errno));
    }
    free(d);
}

bool device_destroy(struct device *d, bool answer)
{
    d->dying = true;
    if (!d->rs) {
        free_device(d);
        return true;
    }
    disconnect_ring(d, answer);
    return false;
}

bool device_drained(struct device *d)
{
    free_ring(d);
    if (d->dying) {
        free_device(d);
        return true;
    }
    device_changed(d);
    return false;
}
