#include "xsattach.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xsutil.h"

#define MAX_ATTEMPTS 16     /* transaction retries on EAGAIN */

enum { ST_CONNECTED = 4, ST_CLOSING = 5, ST_CLOSED = 6, ST_RECONF = 7, ST_RECONFED = 8 };

bool xsa_pdev_hctl(const char *p_dev, struct vscsi_hctl *out)
{
    char head[VSCSI_HCTL_STRLEN];
    size_t n = strcspn(p_dev, ",");
    if (n >= sizeof(head))
        return false;
    memcpy(head, p_dev, n);
    head[n] = '\0';
    return vscsi_hctl_parse(head, out) == 0;
}

/* Same physical device: equal addresses (whatever options follow them), or
 * equal strings for other forms. */
static bool same_pdev(const char *a, const char *b)
{
    struct vscsi_hctl x, y;
    if (xsa_pdev_hctl(a, &x) && xsa_pdev_hctl(b, &y))
        return vscsi_hctl_equal(&x, &y);
    return strcmp(a, b) == 0;
}

/* Result of one attempt: <0 -errno (abort), 0 commit, 1 refuse (abort). */
typedef int (*txn_body)(struct xs_handle *xs, xs_transaction_t t, void *arg);

static int run_txn(struct xs_handle *xs, txn_body body, void *arg)
{
    for (int i = 0; i < MAX_ATTEMPTS; i++) {
        xs_transaction_t t = xs_transaction_start(xs);
        if (t == XBT_NULL)
            return -errno;
        int r = body(xs, t, arg);
        if (r != 0) {
            xs_transaction_end(xs, t, true);
            if (r == -EAGAIN)
                continue;
            return r < 0 ? r : 0;
        }
        if (xs_transaction_end(xs, t, false))
            return 0;
        if (errno != EAGAIN)
            return -errno;
    }
    return -EAGAIN;
}

struct attach_args {
    unsigned be, fe;
    const struct vscsi_hctl *v;
    const char *p_dev, *p_devname;
    struct xsa_result *res;
};

struct lun_scan {
    unsigned next_index;        /* one past the highest dev-N of our device */
    unsigned closed[64];        /* our dev-N in state 6, to delete */
    unsigned nclosed;
};

/* Checks the LUNs of one vscsi device. 0, or 1 (refused, res set). */
static int check_device_luns(struct xs_handle *xs, xs_transaction_t t,
                             const struct attach_args *a, struct lun_scan *ls,
                             const struct xsu_device *dev)
{
    char vdir[XSU_PATH_MAX];
    if (xsu_backend_dir(vdir, a->be, dev->domid, dev->devid) < 0)
        return 0;
    bool ours = dev->domid == a->fe && dev->devid == a->v->host;
    unsigned *luns;
    int nl = xsu_lun_indexes(xs, t, vdir, &luns);
    int r = 0;
    for (int k = 0; k < nl && r == 0; k++) {
        char d[XSU_PATH_MAX];
        unsigned idx = luns[k];
        if (xsu_lun_dir(d, vdir, idx) < 0)
            continue;
        long st = xsu_read_uint(xs, t, d, "state");
        char *p = xsu_read(xs, t, d, "p-dev");
        char *v = xsu_read(xs, t, d, "v-dev");
        struct vscsi_hctl vh;
        if (ours && idx + 1 > ls->next_index)
            ls->next_index = idx + 1;
        if (st == ST_CLOSED) {
            if (ours && ls->nclosed < sizeof(ls->closed) / sizeof(ls->closed[0]))
                ls->closed[ls->nclosed++] = idx;
        } else if (p && same_pdev(p, a->p_dev)) {
            a->res->status = XSA_PDEV_ASSIGNED;
            a->res->other_domid = dev->domid;
            r = 1;
        } else if (dev->domid == a->fe && v && vscsi_hctl_parse(v, &vh) == 0 &&
                   vscsi_hctl_equal(&vh, a->v)) {
            a->res->status = XSA_HCTL_TAKEN;
            r = 1;
        }
        free(p);
        free(v);
    }
    free(luns);
    return r;
}

/* Checks every LUN of every domain. 0, 1 (refused, res set) or -errno. */
static int check_luns(struct xs_handle *xs, xs_transaction_t t, const struct attach_args *a,
                      struct lun_scan *ls)
{
    struct xsu_device *devs;
    int nd = xsu_devices(xs, t, a->be, &devs);
    int r = nd < 0 ? nd : 0;
    for (int i = 0; i < nd && r == 0; i++)
        r = check_device_luns(xs, t, a, ls, &devs[i]);
    free(devs);
    return r;
}

static bool put_lun(struct xs_handle *xs, xs_transaction_t t, const char *be, unsigned index,
                    const char *p_dev, const char *p_devname, const char *v_dev,
                    const char *uuid)
{
    char d[XSU_PATH_MAX];
    if (xsu_lun_dir(d, be, index) < 0) {
        errno = ENAMETOOLONG;
        return false;
    }
    return xsu_write(xs, t, d, "p-dev", p_dev) &&
           (!p_devname || xsu_write(xs, t, d, "p-devname", p_devname)) &&
           xsu_write(xs, t, d, "v-dev", v_dev) && xsu_write(xs, t, d, "uuid", uuid) &&
           xsu_write(xs, t, d, "state", "1");
}

static bool remove_closed(struct xs_handle *xs, xs_transaction_t t, const char *be,
                          const struct lun_scan *ls)
{
    for (unsigned i = 0; i < ls->nclosed; i++) {
        char d[XSU_PATH_MAX];
        if (xsu_lun_dir(d, be, ls->closed[i]) < 0 || !xs_rm(xs, t, d))
            return false;
    }
    return true;
}

/* The whole device, as SUSE's libxl writes it; states last, frontend first. */
static bool create_device(struct xs_handle *xs, xs_transaction_t t, const struct attach_args *a,
                          const char *be, const char *fe, const char *v_dev)
{
    char num[16];
    struct xs_permissions be_perms[2] = {{.id = a->be, .perms = XS_PERM_NONE},
                                         {.id = a->fe, .perms = XS_PERM_READ}};
    struct xs_permissions fe_perms[2] = {{.id = a->fe, .perms = XS_PERM_NONE},
                                         {.id = a->be, .perms = XS_PERM_READ}};
    char *old = xs_read(xs, t, fe, NULL);
    if (old) {
        /* A frontend tree left without its backend: replace it. */
        free(old);
        if (!xs_rm(xs, t, fe))
            return false;
    }
    bool ok = xs_rm(xs, t, be) || errno == ENOENT;
    ok = ok && xs_mkdir(xs, t, be) && xs_set_permissions(xs, t, be, be_perms, 2) &&
         xs_mkdir(xs, t, fe) && xs_set_permissions(xs, t, fe, fe_perms, 2);
    snprintf(num, sizeof(num), "%u", a->fe);
    ok = ok && xsu_write(xs, t, be, "frontend", fe) && xsu_write(xs, t, be, "frontend-id", num) &&
         xsu_write(xs, t, be, "online", "1") && xsu_write(xs, t, be, "feature-host", "0") &&
         xsu_write(xs, t, be, "uuid", a->res->device_uuid);
    ok = ok && put_lun(xs, t, be, 0, a->p_dev, a->p_devname, v_dev, a->res->uuid);
    snprintf(num, sizeof(num), "%u", a->be);
    ok = ok && xsu_write(xs, t, fe, "backend", be) && xsu_write(xs, t, fe, "backend-id", num);
    return ok && xsu_write(xs, t, fe, "state", "1") && xsu_write(xs, t, be, "state", "1");
}

static int attach_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    struct attach_args *a = arg;
    struct xsa_result *res = a->res;
    char dom[XSU_PATH_MAX], be[XSU_PATH_MAX], fe[XSU_PATH_MAX], v_dev[VSCSI_HCTL_STRLEN];
    struct lun_scan ls = {0};
    unsigned n;

    memset(res, 0, sizeof(*res));
    res->be_state = -1;
    uuid5_random(res->uuid);
    uuid5_random(res->device_uuid);
    if (xsu_domain_dir(dom, a->fe) < 0 || xsu_backend_dir(be, a->be, a->fe, a->v->host) < 0 ||
        xsu_frontend_dir(fe, a->fe, a->v->host) < 0 ||
        vscsi_hctl_format(a->v, v_dev, sizeof(v_dev)) < 0) {
        errno = ENAMETOOLONG;
        return -ENAMETOOLONG;
    }
    char **ents = xs_directory(xs, t, dom, &n);
    if (!ents) {
        if (errno != ENOENT)
            return -errno;
        res->status = XSA_NO_DOMAIN;
        return 1;
    }
    free(ents);
    int r = check_luns(xs, t, a, &ls);
    if (r != 0)
        return r;

    long st = xsu_read_uint(xs, t, be, "state");
    res->be_state = (int)st;
    if (st == ST_RECONF || st == ST_RECONFED) {
        res->status = XSA_BUSY;
        return 1;
    }
    if (st == ST_CLOSING || st == ST_CLOSED) {
        res->status = XSA_CLOSING;
        return 1;
    }
    if (st < 0) {
        res->created = 1;
        res->index = 0;
        return create_device(xs, t, a, be, fe, v_dev) ? 0 : -errno;
    }
    res->device_uuid[0] = '\0';     /* the device keeps its own */
    res->index = ls.next_index;
    if (!remove_closed(xs, t, be, &ls) ||
        !put_lun(xs, t, be, ls.next_index, a->p_dev, a->p_devname, v_dev, res->uuid))
        return -errno;
    /* A connected backend rescans vscsi-devs only when told to. */
    if (st == ST_CONNECTED && !xsu_write(xs, t, be, "state", "7"))
        return -errno;
    return 0;
}

int xsa_attach(struct xs_handle *xs, unsigned be, unsigned fe, const struct vscsi_hctl *v,
               const char *p_dev, const char *p_devname, struct xsa_result *res)
{
    struct attach_args a = {be, fe, v, p_dev, p_devname, res};
    memset(res, 0, sizeof(*res));
    if (fe == be) {
        res->status = XSA_SELF;
        return 0;
    }
    return run_txn(xs, attach_body, &a);
}

/* dir/uuid unless it holds a uuid already. 1 written, 0 not, -errno. */
static int stamp(struct xs_handle *xs, xs_transaction_t t, const char *dir)
{
    char *u = xsu_read(xs, t, dir, "uuid");
    bool has = u && uuid5_valid(u);
    free(u);
    if (has)
        return 0;
    char fresh[UUID_STRLEN];
    uuid5_random(fresh);
    return xsu_write(xs, t, dir, "uuid", fresh) ? 1 : -errno;
}

struct stamp_args {
    unsigned be;
    int written;
};

static int stamp_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    struct stamp_args *a = arg;
    a->written = 0;
    struct xsu_device *devs;
    int nd = xsu_devices(xs, t, a->be, &devs);
    int r = nd < 0 ? nd : 0;
    for (int i = 0; i < nd && r >= 0; i++) {
        char vdir[XSU_PATH_MAX];
        if (xsu_backend_dir(vdir, a->be, devs[i].domid, devs[i].devid) < 0)
            continue;
        r = stamp(xs, t, vdir);
        a->written += r > 0;
        unsigned *luns = NULL;
        int nl = r >= 0 ? xsu_lun_indexes(xs, t, vdir, &luns) : 0;
        for (int k = 0; k < nl && r >= 0; k++) {
            char d[XSU_PATH_MAX];
            if (xsu_lun_dir(d, vdir, luns[k]) < 0)
                continue;
            r = stamp(xs, t, d);
            a->written += r > 0;
        }
        free(luns);
    }
    free(devs);
    return r < 0 ? r : 0;
}

int xsa_stamp_uuids(struct xs_handle *xs, unsigned be)
{
    struct stamp_args a = {be, 0};
    int r = run_txn(xs, stamp_body, &a);
    return r < 0 ? r : a.written;
}

/* The attach in a transaction that is always abandoned. */
static int check_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    int r = attach_body(xs, t, arg);
    return r == 0 ? 1 : r;
}

int xsa_attach_check(struct xs_handle *xs, unsigned be, unsigned fe, const struct vscsi_hctl *v,
                     const char *p_dev, struct xsa_result *res)
{
    struct attach_args a = {be, fe, v, p_dev, NULL, res};
    memset(res, 0, sizeof(*res));
    if (fe == be) {
        res->status = XSA_SELF;
        return 0;
    }
    return run_txn(xs, check_body, &a);
}

struct detach_args {
    unsigned be, fe, devid, index;
    struct xsa_result *res;
};

static int detach_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    struct detach_args *a = arg;
    struct xsa_result *res = a->res;
    char be[XSU_PATH_MAX], d[XSU_PATH_MAX];

    memset(res, 0, sizeof(*res));
    res->index = a->index;
    if (xsu_backend_dir(be, a->be, a->fe, a->devid) < 0 || xsu_lun_dir(d, be, a->index) < 0) {
        errno = ENAMETOOLONG;
        return -ENAMETOOLONG;
    }
    long st = xsu_read_uint(xs, t, be, "state");
    long lst = xsu_read_uint(xs, t, d, "state");
    char *pdev = xsu_read(xs, t, d, "p-dev");
    bool exists = pdev != NULL;
    free(pdev);
    res->be_state = (int)st;
    if (st < 0 || !exists || lst == ST_CLOSING || lst == ST_CLOSED) {
        res->status = XSA_NOT_FOUND;
        return 1;
    }
    if (st == ST_RECONF || st == ST_RECONFED) {
        res->status = XSA_BUSY;
        return 1;
    }
    if (st == ST_CONNECTED) {
        if (!xsu_write(xs, t, d, "state", "5") || !xsu_write(xs, t, be, "state", "7"))
            return -errno;
        return 0;
    }
    /* Not connected: a LUN still in state 1 was never taken, and a closing
     * device takes nothing; otherwise it closes at the next connect walk. */
    if (lst == 1 || st == ST_CLOSING || st == ST_CLOSED)
        return xs_rm(xs, t, d) ? 0 : -errno;
    return xsu_write(xs, t, d, "state", "5") ? 0 : -errno;
}

int xsa_detach(struct xs_handle *xs, unsigned be, unsigned fe, unsigned devid,
               unsigned index, struct xsa_result *res)
{
    struct detach_args a = {be, fe, devid, index, res};
    return run_txn(xs, detach_body, &a);
}
