/* The frontend's xenbus side: probe, the reactions to backend states and
 * LUN hotplug, as drivers/scsi/xen-scsifront.c does them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simfront_priv.h"
#include "xenbus_state.h"

static int set_state(struct simfront *f, int state)
{
    char p[SIMFRONT_PATH + 8];
    snprintf(p, sizeof(p), "%s/state", f->path);
    int r = simfront_xs_write(f->g->xs, p, "%d", state);
    if (r == 0)
        f->fe_state = state;
    return r;
}

/* Grants a fresh ring page, offers a port, writes them in a transaction. */
static int init_ring(struct simfront *f)
{
    struct simguest *g = f->g;
    int64_t gfn = xensim_alloc_page(g->dom);
    if (gfn < 0)
        return (int)gfn;
    f->ring_gfn = (uint32_t)gfn;
    vscsi_front_ring_init(&f->ring, xensim_page(g->dom, f->ring_gfn));
    f->ring_ref = xensim_grant_access(g->dom, g->backend_domid, f->ring_gfn, false);
    if (f->ring_ref < 0)
        return (int)f->ring_ref;
    int port = xensim_evtchn_alloc_unbound(g->dom, g->backend_domid);
    if (port <= 0)
        return port < 0 ? port : -EIO;
    f->port = port;

    for (;;) {
        xs_transaction_t t = xs_transaction_start(g->xs);
        if (t == XBT_NULL)
            return -errno;
        char p[SIMFRONT_PATH + 16], v[16];
        int n = snprintf(v, sizeof(v), "%lld", (long long)f->ring_ref);
        snprintf(p, sizeof(p), "%s/ring-ref", f->path);
        bool ok = xs_write(g->xs, t, p, v, (unsigned)n);
        n = snprintf(v, sizeof(v), "%d", f->port);
        snprintf(p, sizeof(p), "%s/event-channel", f->path);
        ok = ok && xs_write(g->xs, t, p, v, (unsigned)n);
        if (!ok) {
            int e = errno;
            xs_transaction_end(g->xs, t, true);
            return -e;
        }
        if (xs_transaction_end(g->xs, t, false))
            break;
        if (errno != EAGAIN)
            return -errno;
    }
    f->connected_ring = true;
    return 0;
}

static void free_ring(struct simfront *f, int *err)
{
    struct simguest *g = f->g;
    if (f->port > 0) {
        xensim_evtchn_close(g->dom, (uint32_t)f->port);
        f->port = 0;
    }
    if (f->ring_ref >= 0) {
        if (xensim_end_access(g->dom, (uint32_t)f->ring_ref) == -EBUSY && err)
            *err = -EBUSY;   /* the backend still maps our ring */
        f->ring_ref = -1;
        xensim_free_page(g->dom, f->ring_gfn);
    }
    f->connected_ring = false;
}

static void read_backend_params(struct simfront *f)
{
    char p[SIMFRONT_PATH + 24];
    snprintf(p, sizeof(p), "%s/feature-sg-grant", f->be_path);
    long sg = simfront_xs_read_uint(f->g->xs, p);
    unsigned n = sg > 0 ? (unsigned)sg : 0;
    if (f->sg_cap && n > f->sg_cap)
        n = f->sg_cap;
    if (n > VSCSIIF_SG_TABLESIZE * VSCSIIF_SG_PER_PAGE)
        n = VSCSIIF_SG_TABLESIZE * VSCSIIF_SG_PER_PAGE;
    if (n < VSCSIIF_SG_TABLESIZE)
        n = VSCSIIF_SG_TABLESIZE;
    f->max_segs = n;
}

static int find_lun(struct simfront *f, const char *dev)
{
    for (int i = 0; i < f->nr_luns; i++)
        if (strcmp(f->luns[i].dev, dev) == 0)
            return i;
    return -1;
}

enum lun_op { OP_ADD, OP_DEL };

/* scsifront_do_lun_hotplug: walk the backend's vscsi-devs. */
static void lun_hotplug(struct simfront *f, enum lun_op op)
{
    struct xs_handle *xs = f->g->xs;
    char p[SIMFRONT_PATH + 64];
    unsigned n = 0;
    snprintf(p, sizeof(p), "%s/vscsi-devs", f->be_path);
    char **dir = xs_directory(xs, XBT_NULL, p, &n);
    if (!dir)
        return;
    for (unsigned i = 0; i < n; i++) {
        snprintf(p, sizeof(p), "%s/vscsi-devs/%s/state", f->be_path, dir[i]);
        long st = simfront_xs_read_uint(xs, p);
        if (st < 0)
            continue;
        snprintf(p, sizeof(p), "%s/vscsi-devs/%s/v-dev", f->be_path, dir[i]);
        char *vdev = xs_read(xs, XBT_NULL, p, NULL);
        struct vscsi_hctl h;
        int bad = !vdev || vscsi_hctl_parse(vdev, &h) < 0;
        free(vdev);
        if (bad)
            continue;
        snprintf(p, sizeof(p), "%s/vscsi-devs/%s/state", f->path, dir[i]);
        int idx = find_lun(f, dir[i]);
        switch (op) {
        case OP_ADD:
            if (st != XenbusStateInitialised)
                break;
            if (idx < 0 && f->nr_luns < SIMFRONT_MAX_LUNS && strlen(dir[i]) < 32) {
                idx = f->nr_luns++;
                snprintf(f->luns[idx].dev, sizeof(f->luns[idx].dev), "%s", dir[i]);
                f->luns[idx].hctl = h;
                simfront_xs_write(xs, p, "%d", XenbusStateConnected);
            } else if (idx < 0) {
                simfront_xs_write(xs, p, "%d", XenbusStateClosed);   /* add failed */
            }
            break;
        case OP_DEL:
            if (st != XenbusStateClosing || idx < 0)
                break;
            f->luns[idx] = f->luns[--f->nr_luns];
            simfront_xs_write(xs, p, "%d", XenbusStateClosed);   /* sdev_destroy */
            break;
        }
    }
    free(dir);
}

void simfront_backend_changed(struct simfront *f)
{
    char p[SIMFRONT_PATH + 8];
    snprintf(p, sizeof(p), "%s/state", f->be_path);
    long st = simfront_xs_read_uint(f->g->xs, p);
    f->be_state = st < 0 ? XenbusStateUnknown : (int)st;

    switch (f->be_state) {
    case XenbusStateConnected:
        if (!f->connected_ring)
            break;   /* closed by us; a reconnect starts from probe */
        read_backend_params(f);
        if (f->fe_state == XenbusStateInitialised)
            lun_hotplug(f, OP_ADD);
        if (f->fe_state != XenbusStateConnected)
            set_state(f, XenbusStateConnected);
        break;
    case XenbusStateClosing:
    case XenbusStateClosed:
        /* scsifront_disconnect: the host goes, the device closes. */
        if (f->fe_state == XenbusStateClosed || f->fe_state == XenbusStateClosing)
            break;
        simfront_finish_all(f);
        f->nr_luns = 0;
        set_state(f, XenbusStateClosed);
        break;
    case XenbusStateReconfiguring:
        if (f->fe_state != XenbusStateConnected)
            break;
        lun_hotplug(f, OP_DEL);
        set_state(f, XenbusStateReconfiguring);
        break;
    case XenbusStateReconfigured:
        if (f->fe_state != XenbusStateReconfiguring)
            break;
        lun_hotplug(f, OP_ADD);
        set_state(f, XenbusStateConnected);
        break;
    default:
        break;
    }
}

/* Registers the device with its guest, under the lock. */
static bool attach_dev(struct simguest *g, struct simfront *f)
{
    for (int i = 0; i < SIMFRONT_MAX_DEVS; i++)
        if (!g->devs[i]) {
            g->devs[i] = f;
            return true;
        }
    return false;
}

static int probe_locked(struct simfront *f)
{
    int r = init_ring(f);
    if (r < 0)
        return r;
    return set_state(f, XenbusStateInitialised);
}

struct simfront *simfront_probe(struct simguest *g, uint32_t devid)
{
    struct simfront *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->g = g;
    f->devid = devid;
    f->ring_ref = -1;
    f->max_segs = VSCSIIF_SG_TABLESIZE;
    snprintf(f->path, sizeof(f->path), "/local/domain/%u/device/vscsi/%u", g->domid, devid);
    snprintf(f->token, sizeof(f->token), "be-%u", devid);

    char p[SIMFRONT_PATH + 16];
    snprintf(p, sizeof(p), "%s/backend", f->path);
    char *be = xs_read(g->xs, XBT_NULL, p, NULL);
    if (!be || strlen(be) >= sizeof(f->be_path)) {
        fprintf(stderr, "simfront: %s missing\n", p);
        free(be);
        free(f);
        return NULL;
    }
    snprintf(f->be_path, sizeof(f->be_path), "%s", be);
    free(be);

    pthread_mutex_lock(&g->lock);
    bool ok = attach_dev(g, f);
    int r = ok ? probe_locked(f) : -ENOSPC;
    pthread_mutex_unlock(&g->lock);
    snprintf(p, sizeof(p), "%s/state", f->be_path);
    if (r == 0 && !xs_watch(g->xs, p, f->token))
        r = -errno;
    if (r < 0) {
        fprintf(stderr, "simfront_probe(%s): %s\n", f->path, strerror(-r));
        simfront_free(f);
        return NULL;
    }
    return f;
}

int simfront_wait_until(struct simfront *f, bool (*cond)(struct simfront *, const void *),
                        const void *arg, int timeout_ms)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += timeout_ms / 1000;
    dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    int r = 0;
    pthread_mutex_lock(&f->g->lock);
    while (!cond(f, arg)) {
        if (pthread_cond_timedwait(&f->g->cond, &f->g->lock, &dl) == ETIMEDOUT) {
            r = cond(f, arg) ? 0 : -ETIMEDOUT;
            break;
        }
    }
    pthread_mutex_unlock(&f->g->lock);
    return r;
}

static bool is_connected(struct simfront *f, const void *arg)
{
    (void)arg;
    return f->fe_state == XenbusStateConnected && f->be_state == XenbusStateConnected;
}

int simfront_wait_connected(struct simfront *f, int timeout_ms)
{
    return simfront_wait_until(f, is_connected, NULL, timeout_ms);
}

static bool backend_state_is(struct simfront *f, const void *arg)
{
    const int *want = arg;
    return f->be_state == want[0] || f->be_state == want[1];
}

int simfront_close(struct simfront *f, int timeout_ms)
{
    static const int closing[2] = {XenbusStateClosing, XenbusStateClosed};
    /* A backend may offer itself again (InitWait) right after Closed. */
    static const int closed[2] = {XenbusStateClosed, XenbusStateInitWait};
    int err = 0;

    pthread_mutex_lock(&f->g->lock);
    set_state(f, XenbusStateClosing);
    pthread_mutex_unlock(&f->g->lock);
    if (simfront_wait_until(f, backend_state_is, closing, timeout_ms) < 0)
        err = -ETIMEDOUT;

    pthread_mutex_lock(&f->g->lock);
    simfront_finish_all(f);
    free_ring(f, &err);
    f->nr_luns = 0;
    set_state(f, XenbusStateClosed);
    pthread_mutex_unlock(&f->g->lock);
    if (simfront_wait_until(f, backend_state_is, closed, timeout_ms) < 0 && err == 0)
        err = -ETIMEDOUT;
    return err;
}

int simfront_reconnect(struct simfront *f)
{
    pthread_mutex_lock(&f->g->lock);
    int r = f->connected_ring ? -EBUSY : set_state(f, XenbusStateInitialising);
    if (r == 0)
        r = probe_locked(f);
    pthread_mutex_unlock(&f->g->lock);
    return r;
}

void simfront_free(struct simfront *f)
{
    struct simguest *g = f->g;
    char p[SIMFRONT_PATH + 8];
    snprintf(p, sizeof(p), "%s/state", f->be_path);
    xs_unwatch(g->xs, p, f->token);
    pthread_mutex_lock(&g->lock);
    for (int i = 0; i < SIMFRONT_MAX_DEVS; i++)
        if (g->devs[i] == f)
            g->devs[i] = NULL;
    simfront_finish_all(f);
    if (f->connected_ring)
        free_ring(f, NULL);
    pthread_mutex_unlock(&g->lock);
    free(f);
}

int simfront_backend_state(struct simfront *f)
{
    pthread_mutex_lock(&f->g->lock);
    int s = f->be_state;
    pthread_mutex_unlock(&f->g->lock);
    return s;
}

int simfront_frontend_state(struct simfront *f)
{
    pthread_mutex_lock(&f->g->lock);
    int s = f->fe_state;
    pthread_mutex_unlock(&f->g->lock);
    return s;
}

unsigned simfront_max_segments(struct simfront *f)
{
    pthread_mutex_lock(&f->g->lock);
    unsigned n = f->max_segs;
    pthread_mutex_unlock(&f->g->lock);
    return n;
}

void simfront_set_sg_cap(struct simfront *f, unsigned cap)
{
    pthread_mutex_lock(&f->g->lock);
    f->sg_cap = cap;
    pthread_mutex_unlock(&f->g->lock);
}

int simfront_luns(struct simfront *f, struct vscsi_hctl *out, int max)
{
    pthread_mutex_lock(&f->g->lock);
    int n = f->nr_luns < max ? f->nr_luns : max;
    for (int i = 0; i < n; i++)
        out[i] = f->luns[i].hctl;
    pthread_mutex_unlock(&f->g->lock);
    return n;
}

struct lun_want {
    const struct vscsi_hctl *h;
    bool want;
};

static bool lun_is(struct simfront *f, const void *arg)
{
    const struct lun_want *w = arg;
    bool present = false;
    for (int i = 0; i < f->nr_luns; i++)
        present |= vscsi_hctl_equal(&f->luns[i].hctl, w->h);
    return present == w->want;
}

int simfront_wait_lun(struct simfront *f, const struct vscsi_hctl *hctl, bool want,
                      int timeout_ms)
{
    struct lun_want w = {hctl, want};
    return simfront_wait_until(f, lun_is, &w, timeout_ms);
}
