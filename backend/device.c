#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "dispatch.h"
#include "hctl.h"
#include "log.h"
#include "lun_probe.h"
#include "ring_state.h"
#include "xenbus_state.h"
#include "xsutil.h"

/* ---- xenstore (through toolstack/xsutil) ------------------------------------- */

static bool write_node(struct device *d, const char *dir, const char *node, const char *val)
{
    if (!xsu_write(d->env->xs, XBT_NULL, dir, node, val)) {
        log_warn("%s: write %s/%s: %s", d->name, dir,
                 node, strerror(errno));
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
    log_info("%s: backend %s", d->name,
             vscsi_xenbus_state_name(state));
    /* Recorded only once written, so the next event retries a failure. */
    if (write_state(d, d->be_path, state))
        d->state = state;
}

/* ---- LUNs --------------------------------------------------------------------- */

static int open_lun(struct device *d, const char *dir, unsigned index, struct vscsi_hctl *vdev,
                    struct lun **out)
{
    char *pdev = xsu_read(d->env->xs, XBT_NULL, dir, "p-dev");
    char *vstr = xsu_read(d->env->xs, XBT_NULL, dir, "v-dev");
    int r = -EINVAL;
    char err[256] = "";
    if (!pdev || !vstr) {
        snprintf(err, sizeof(err), "p-dev or v-dev missing");
    } else if (vscsi_hctl_parse(vstr, vdev) < 0 || !vscsi_hctl_fits_ring(vdev) ||
               vdev->lun > 0x3fff) {
        snprintf(err, sizeof(err), "bad v-dev \"%s\"", vstr);
    } else {
        struct lun_params params = lun_params_of(d->env->cfg);
        params.finished = dispatch_cmd_finished;
        /* What the policy's log lines call the LUN. */
        char name[128];
        snprintf(name, sizeof(name), "%s: %s (dev-%u, %s)", d->name, vstr, index, pdev);
        r = lun_open_pdev(d->env->cfg, pdev, &params, name, out, err, sizeof(err));
        if (r == 0) {
            char policy[256];
            lun_policy_describe(&(*out)->policy, policy, sizeof(policy));
            log_info("%s: dev-%u: %s as %s (%s; policy: %s)", d->name, index, pdev, vstr,
                     (*out)->ops->name, policy);
        }
    }
    if (r < 0)
        log_err("%s: dev-%u: %s", d->name, index,
                err[0] ? err : strerror(-r));
    free(pdev);
    free(vstr);
    return r;
}

/* The LUN table: before the ring is handed to its worker (a connect builds
 * it whole first, so no request meets a LUN not yet added), this thread
 * owns it; after, the worker does and is asked. */
static bool lun_present(struct device *d, unsigned index)
{
    struct ring_state *rs = d->rs;
    return rs->worker ? worker_has_lun(rs->worker, rs, index)
                      : ring_state_find_index(rs, index) != NULL;
}

static int add_lun(struct device *d, const char *dir, unsigned index)
{
    struct vscsi_hctl vdev;
    struct lun *lun;
    int r = open_lun(d, dir, index, &vdev, &lun);
    if (r < 0)
        return r;
    struct ring_state *rs = d->rs;
    r = rs->worker ? worker_add_lun(rs->worker, rs, index, &vdev, lun)
                   : ring_state_add_lun(rs, index, &vdev, lun);
    if (r < 0) {
        log_err("%s: dev-%u: %s", d->name, index,
                r == -EEXIST ? "v-dev already in use" : strerror(-r));
        lun->ops->close(lun);
    }
    return r;
}

static void remove_lun(struct device *d, unsigned index)
{
    struct lun *lun = worker_remove_lun(d->rs->worker, d->rs, index);
    if (lun) {
        log_info("%s: dev-%u removed", d->name, index);
        lun->ops->close(lun);
    }
}

enum lun_walk {
    WALK_ADD_OR_DEL,     /* scsiback_do_lun_hotplug: offer new, take down closing */
    WALK_UPDATE_STATE,   /* the frontend connected: offered LUNs are Connected */
    WALK_RESUME,         /* a restart: serve what the guest already has, silently */
};

/* One pass over vscsi-devs. */
static void walk_luns(struct device *d, enum lun_walk op)
{
    unsigned *indexes;
    int n = xsu_lun_indexes(d->env->xs, XBT_NULL, d->be_path, &indexes);
    for (int i = 0; i < n; i++) {
        unsigned index = indexes[i];
        char dir[XSU_PATH_MAX];
        if (xsu_lun_dir(dir, d->be_path, index) < 0)
            continue;
        int st = xsu_read_state(d->env->xs, XBT_NULL, dir, "state");
        if (op == WALK_RESUME) {
            /* Offered or connected by the previous pvscsid: the guest has
             * it or is adding it; the states stay as they are. Others wait
             * for the reconfiguration that concerns them. */
            if ((st == XenbusStateInitialised || st == XenbusStateConnected) &&
                add_lun(d, dir, index) < 0)
                log_err("%s: dev-%u, which the guest has, cannot be served after the restart: "
                        "its commands get NO_CONNECT", d->name, index);
            continue;
        }
        bool present = lun_present(d, index);
        if (op == WALK_UPDATE_STATE) {
            if (st == XenbusStateInitialised && present)
                write_state(d, dir, XenbusStateConnected);
            continue;
        }
        switch (st) {
        case XenbusStateInitialising:
            write_state(d, dir, add_lun(d, dir, index) == 0 ? XenbusStateInitialised
                                                            : XenbusStateClosed);
            break;
        case XenbusStateConnected:
            /* A reconnecting frontend: the LUN is added again and offered
             * as Initialised, so the guest adds it once more. One we serve
             * already (a Reconfiguring walk) is left alone. */
            if (!present && add_lun(d, dir, index) == 0)
                write_state(d, dir, XenbusStateInitialised);
            break;
        case XenbusStateClosing:
            remove_lun(d, index);
            write_state(d, dir, XenbusStateClosed);
            break;
        default:
            break;
        }
    }
    free(indexes);
}

/* ---- connect / disconnect --------------------------------------------------- */

/* Maps the ring, builds its LUN table, then hands it to a worker, which
 * starts serving it. resume: the frontend was connected before (to a
 * pvscsid that crashed, was restarted or upgraded): the ring continues
 * where that one left it and the LUNs the guest has are served as they
 * are. */
static int connect_ring(struct device *d, bool resume)
{
    unsigned long ref, port;
    if (xsu_gather(d->env->xs, XBT_NULL, d->fe_path, "ring-ref", XSU_UINT, &ref,
                   "event-channel", XSU_UINT, &port, NULL) < 0) {
        log_err("%s: frontend has no valid ring-ref/event-channel", d->name);
        return -EINVAL;
    }
    struct ring_origin o = {.ring_ref = (uint32_t)ref, .remote_port = (evtchn_port_t)port,
                            .resume = resume};
    char dom[XSU_PATH_MAX];
    char *vm = xsu_domain_dir(dom, d->domid) == 0 ? xsu_read(d->env->xs, XBT_NULL, dom, "vm")
                                                  : NULL;
    snprintf(o.vm, sizeof(o.vm), "%s", vm ? vm : "");
    free(vm);
    d->rs = ring_state_new(d->env->cfg, d->domid, d->devid, d->max_segments);
    if (!d->rs) {
        log_err("%s: %s", d->name, strerror(errno));
        return -ENOMEM;
    }
    d->rs->feature_host = d->feature_host;
    qos_set(&d->rs->qos, d->qos_iops, d->qos_bps, 0);
    int r = ring_state_connect(d->rs, &o);
    if (r < 0) {
        log_err("%s: cannot map ring-ref %lu / bind port %lu: %s", d->name, ref, port, strerror(-r));
        ring_state_free(d->rs);
        d->rs = NULL;
        return r;
    }
    walk_luns(d, resume ? WALK_RESUME : WALK_ADD_OR_DEL);
    worker_attach(d->env->pick_worker(d->env->ctx), d->rs);
    log_info("%s: connected (ring-ref %lu, port %lu, %u LUN%s)%s", d->name, ref, port,
             d->rs->nr_luns, d->rs->nr_luns == 1 ? "" : "s",
             resume ? ", taken over from the previous pvscsid" : "");
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
    if (!d->handover)
        ring_state_forget(rs);   /* the ring ended: no one will resume it */
    /* Back on the control thread: close every LUN, unmap, unbind. */
    for (unsigned i = 0; i < rs->nr_luns; i++) {
        rs->luns[i]->lun->ops->close(rs->luns[i]->lun);
        free(rs->luns[i]);
    }
    rs->nr_luns = 0;
    ring_state_free(rs);
    d->rs = NULL;
    d->draining = false;
    log_info("%s: %s", d->name, d->handover ? "handed over" : "disconnected");
}

/* ---- limits ------------------------------------------------------------------- */

/* The ring's limits, from its backend directory (a toolstack or the
 * management API writes them, at attach time or later): applied at once. */
static void read_limits(struct device *d)
{
    long iops = xsu_read_uint(d->env->xs, XBT_NULL, d->be_path, "qos-iops");
    long bps = xsu_read_uint(d->env->xs, XBT_NULL, d->be_path, "qos-bps");
    uint64_t ni = iops > 0 ? (uint64_t)iops : 0, nb = bps > 0 ? (uint64_t)bps : 0;
    if (ni == d->qos_iops && nb == d->qos_bps)
        return;
    d->qos_iops = ni;
    d->qos_bps = nb;
    log_info("%s: limits %" PRIu64 " requests/s, %" PRIu64 " bytes/s (0: none)", d->name, ni, nb);
    if (d->rs && d->rs->worker && !d->draining)
        worker_set_qos(d->rs->worker, d->rs, ni, nb);
}

/* ---- the state machine -------------------------------------------------------- */

/* The frontend's state changed. A device whose backend directory is gone
 * is left alone: the backend watch removes it, and a write now would
 * bring its nodes back. */
static void frontend_changed(void *ctx, const char *path)
{
    struct device *d = ctx;
    (void)path;
    if (device_exists(d))
        device_changed(d);
}

static bool read_frontend(struct device *d)
{
    if (d->fe_path[0])
        return true;
    char *fe = xsu_read(d->env->xs, XBT_NULL, d->be_path, "frontend");
    if (!fe)
        return false;
    size_t len = strlen(fe);
    if (len == 0 || len >= sizeof(d->fe_path)) {
        free(fe);
        return false;
    }
    memcpy(d->fe_path, fe, len + 1);
    free(fe);
    char path[XSU_PATH_MAX];
    if (xsu_path(path, "%s/state", d->fe_path) < 0)
        return false;
    d->fe_watch = xswatch_add(d->env->watches, path, frontend_changed, d);
    if (!d->fe_watch)
        log_err("%s: watch %s: %s", d->name, path, strerror(errno));
    return true;
}

/* Advertises what a ring may carry and waits for the frontend. A device
 * another pvscsid probed already (a restart) keeps what that one wrote:
 * the frontend may have read it, and sizes its requests by it. */
static void probe(struct device *d)
{
    d->domain_was_introduced = xs_is_domain_introduced(d->env->xs, d->domid);
    long adv = xsu_read_uint(d->env->xs, XBT_NULL, d->be_path, "feature-sg-grant");
    if (d->state >= XenbusStateInitWait && adv >= VSCSIIF_SG_TABLESIZE &&
        adv <= VSCSI_MAX_SEGMENTS_LIMIT) {
        d->max_segments = (unsigned)adv;
        d->probed = true;
        return;
    }
    char v[16];
    snprintf(v, sizeof(v), "%u", d->env->cfg->max_segments);
    if (!write_node(d, d->be_path, "feature-sg-grant", v))
        return;
    d->max_segments = d->env->cfg->max_segments;
    d->probed = true;
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
    d->feature_host = xsu_read_uint(d->env->xs, XBT_NULL, d->be_path, "feature-host") == 1;
    read_limits(d);
    int fe = xsu_read_state(d->env->xs, XBT_NULL, d->fe_path, "state");
    switch (fe) {
    case XenbusStateInitialising:
    case XenbusStateUnknown:
        /* A frontend coming back after Closed: offer ourselves again. */
        if (d->state == XenbusStateClosed)
            switch_state(d, XenbusStateInitWait);
        break;
    case XenbusStateInitialised:
    case XenbusStateConnected:
    case XenbusStateReconfiguring:
    case XenbusStateReconfigured:
        if (!d->rs) {
            /* A frontend past Initialised, or one we told we are
             * Connected, has a ring another pvscsid served. */
            bool resume = fe != XenbusStateInitialised || d->state == XenbusStateConnected ||
                          d->state == XenbusStateReconfiguring ||
                          d->state == XenbusStateReconfigured;
            if (connect_ring(d, resume) < 0)
                break;
            if (!resume)
                switch_state(d, XenbusStateConnected);
        }
        if (fe == XenbusStateConnected) {
            walk_luns(d, WALK_UPDATE_STATE);
            switch_state(d, XenbusStateConnected);
            /* Whole-HBA mode: keep the LUNs in step with the host. */
            if (d->feature_host)
                hba_follow_sync(&d->hba, d->env->xs);
        } else if (fe == XenbusStateReconfiguring && d->state != XenbusStateReconfigured) {
            walk_luns(d, WALK_ADD_OR_DEL);
            switch_state(d, XenbusStateReconfigured);
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
            xsu_read_uint(d->env->xs, XBT_NULL, d->be_path, "online") == 1)
            switch_state(d, XenbusStateInitWait);
        break;
    default:
        break;
    }
}

bool device_exists(struct device *d)
{
    /* Only a definite "no" counts: a failing xenstore read is not a removal. */
    return xsu_exists(d->env->xs, XBT_NULL, d->be_path) != 0;
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
    log_device_name(d->name, domid, devid);
    hba_follow_init(&d->hba, env->cfg->backend_domid, domid, devid, env->cfg->sysfs_root);
    if (xsu_backend_dir(d->be_path, env->cfg->backend_domid, domid, devid) < 0) {
        free(d);
        return NULL;
    }
    /* Where the device stands: a restarted pvscsid goes on from there. */
    d->state = xsu_read_state(env->xs, XBT_NULL, d->be_path, "state");
    return d;
}

static void free_device(struct device *d)
{
    hba_follow_free(&d->hba);
    xswatch_remove(d->env->watches, d->fe_watch);
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

bool device_handover(struct device *d)
{
    d->handover = true;
    return device_destroy(d, true);
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
