#include "xsview.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xsutil.h"

#define DOM0_UUID "00000000-0000-0000-0000-000000000000"

/* Appends one zeroed element to a growing array. */
static void *grow(void **arr, size_t *n, size_t *cap, size_t size)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        void *na = realloc(*arr, nc * size);
        if (!na)
            return NULL;
        *arr = na;
        *cap = nc;
    }
    void *e = (char *)*arr + *n * size;
    memset(e, 0, size);
    (*n)++;
    return e;
}

static char *dup_or_empty(char *v)
{
    return v ? v : strdup("");
}

static int load_vm(struct xs_handle *xs, xs_transaction_t t, unsigned domid, struct xsv_vm *vm)
{
    char dir[XSU_PATH_MAX];
    if (xsu_domain_dir(dir, domid) < 0)
        return -ENAMETOOLONG;
    vm->domid = domid;
    vm->name = dup_or_empty(xsu_read(xs, t, dir, "name"));
    if (!vm->name)
        return -ENOMEM;
    char *path = xsu_read(xs, t, dir, "vm");
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (slash && uuid5_valid(slash + 1))
        strcpy(vm->uuid, slash + 1);
    else if (domid == 0)
        strcpy(vm->uuid, DOM0_UUID);
    else if (uuid5_make(vm->uuid, "vm:%u:%s", domid, vm->name) < 0)
        vm->uuid[0] = '\0';
    free(path);
    return vm->uuid[0] ? 0 : -ENAMETOOLONG;
}

static int load_luns(struct xs_handle *xs, xs_transaction_t t, const char *vdir,
                     const char *vm_uuid, size_t vhost_idx, const struct xsv_vhost *h,
                     struct xsv_view *v, size_t *cap)
{
    unsigned *indexes;
    int n = xsu_lun_indexes(xs, t, vdir, &indexes);
    if (n < 0)
        return n == -ENOENT ? 0 : n;
    int r = 0;
    for (int i = 0; i < n && r == 0; i++) {
        unsigned idx = indexes[i];
        char d[XSU_PATH_MAX];
        if (xsu_lun_dir(d, vdir, idx) < 0)
            continue;
        struct xsv_lun *l = grow((void **)&v->lun, &v->nlun, cap, sizeof(*l));
        if (!l) {
            r = -ENOMEM;
            break;
        }
        l->domid = h->domid;
        l->devid = h->devid;
        l->index = idx;
        l->vhost = vhost_idx;
        l->p_dev = dup_or_empty(xsu_read(xs, t, d, "p-dev"));
        l->v_dev = dup_or_empty(xsu_read(xs, t, d, "v-dev"));
        l->p_devname = dup_or_empty(xsu_read(xs, t, d, "p-devname"));
        long st = xsu_read_uint(xs, t, d, "state");
        l->state = st < 0 ? -1 : (int)st;
        char *u = xsu_read(xs, t, d, "uuid");
        if (!l->p_dev || !l->v_dev || !l->p_devname)
            r = -ENOMEM;
        else if (u && uuid5_valid(u))
            strcpy(l->uuid, u);
        else if (xsv_lun_uuid(l->uuid, vm_uuid, h->devid, l->index) < 0)
            r = -ENAMETOOLONG;
        else
            v->unstamped++;
        free(u);
    }
    free(indexes);
    return r;
}

static int load_vhosts(struct xs_handle *xs, xs_transaction_t t, unsigned be_domid,
                       struct xsv_view *v)
{
    size_t hcap = 0, lcap = 0;
    struct xsu_device *devs;
    int nd = xsu_devices(xs, t, be_domid, &devs);
    int r = nd < 0 ? nd : 0;
    for (int i = 0; i < nd && r == 0; i++) {
        unsigned domid = devs[i].domid, devid = devs[i].devid;
        const struct xsv_vm *vm = xsv_vm_by_domid(v, domid);
        char vdir[XSU_PATH_MAX];
        if (xsu_backend_dir(vdir, be_domid, domid, devid) < 0)
            continue;
        struct xsv_vhost *h = grow((void **)&v->host, &v->nhost, &hcap, sizeof(*h));
        if (!h) {
            r = -ENOMEM;
            break;
        }
        h->domid = (unsigned)domid;
        h->devid = (unsigned)devid;
        long st = xsu_read_uint(xs, t, vdir, "state");
        h->be_state = st < 0 ? -1 : (int)st;
        h->feature_host = xsu_read_uint(xs, t, vdir, "feature-host") == 1;
        long qi = xsu_read_uint(xs, t, vdir, "qos-iops"), qb = xsu_read_uint(xs, t, vdir, "qos-bps");
        h->qos_iops = qi > 0 ? (uint64_t)qi : 0;
        h->qos_bps = qb > 0 ? (uint64_t)qb : 0;
        char *fe = xsu_read(xs, t, vdir, "frontend");
        st = fe ? xsu_read_uint(xs, t, fe, "state") : -1;
        h->fe_state = st < 0 ? -1 : (int)st;
        free(fe);
        /* A VM gone from /local/domain still has its tree until cleanup. */
        char gone[UUID_STRLEN];
        const char *vm_uuid = vm ? vm->uuid : NULL;
        if (!vm_uuid) {
            if (uuid5_make(gone, "vm:%u:", domid) < 0) {
                r = -ENAMETOOLONG;
                break;
            }
            vm_uuid = gone;
        }
        char *u = xsu_read(xs, t, vdir, "uuid");
        if (u && uuid5_valid(u))
            strcpy(h->uuid, u);
        else if (uuid5_make(h->uuid, "dscsi_hba:%s:%u", vm_uuid, devid) < 0)
            r = -ENAMETOOLONG;
        else
            v->unstamped++;
        free(u);
        if (r == 0) {
            struct xsv_vhost copy = *h;   /* load_luns may move nothing here */
            r = load_luns(xs, t, vdir, vm_uuid, v->nhost - 1, &copy, v, &lcap);
        }
    }
    free(devs);
    return r;
}

int xsv_load(struct xs_handle *xs, unsigned be_domid, struct xsv_view *out)
{
    for (int attempt = 0; attempt < 16; attempt++) {
        struct xsv_view v = {0};
        size_t vcap = 0;
        unsigned n = 0;
        int r = 0;
        xs_transaction_t t = xs_transaction_start(xs);
        if (t == XBT_NULL)
            return -errno;
        char **doms = xs_directory(xs, t, "/local/domain", &n);
        if (!doms && errno != ENOENT)
            r = -errno;
        for (unsigned i = 0; doms && i < n && r == 0; i++) {
            unsigned domid;
            if (!xsu_parse_domid(doms[i], &domid))
                continue;
            struct xsv_vm *vm = grow((void **)&v.vm, &v.nvm, &vcap, sizeof(*vm));
            r = vm ? load_vm(xs, t, domid, vm) : -ENOMEM;
        }
        free(doms);
        if (r == 0)
            r = load_vhosts(xs, t, be_domid, &v);
        if (r < 0) {
            xs_transaction_end(xs, t, true);
            xsv_free(&v);
            return r;
        }
        if (xs_transaction_end(xs, t, false)) {
            *out = v;
            return 0;
        }
        int e = errno;
        xsv_free(&v);
        if (e != EAGAIN)
            return -e;
    }
    return -EAGAIN;
}

void xsv_free(struct xsv_view *v)
{
    for (size_t i = 0; i < v->nvm; i++)
        free(v->vm[i].name);
    for (size_t i = 0; i < v->nlun; i++) {
        free(v->lun[i].p_dev);
        free(v->lun[i].v_dev);
        free(v->lun[i].p_devname);
    }
    free(v->vm);
    free(v->host);
    free(v->lun);
    memset(v, 0, sizeof(*v));
}

int xsv_lun_uuid(char out[UUID_STRLEN], const char *vm_uuid, unsigned devid, unsigned index)
{
    return uuid5_make(out, "dscsi:%s:%u:%u", vm_uuid, devid, index);
}

bool xsv_lun_live(const struct xsv_lun *l)
{
    return l->state != 5 && l->state != 6;
}

const struct xsv_vm *xsv_vm_by_domid(const struct xsv_view *v, unsigned domid)
{
    for (size_t i = 0; i < v->nvm; i++)
        if (v->vm[i].domid == domid)
            return &v->vm[i];
    return NULL;
}

const struct xsv_vhost *xsv_vhost_by_uuid(const struct xsv_view *v, const char *uuid)
{
    for (size_t i = 0; uuid && i < v->nhost; i++)
        if (strcmp(v->host[i].uuid, uuid) == 0)
            return &v->host[i];
    return NULL;
}

const struct xsv_vm *xsv_vm_by_uuid(const struct xsv_view *v, const char *uuid)
{
    for (size_t i = 0; i < v->nvm; i++)
        if (strcmp(v->vm[i].uuid, uuid) == 0)
            return &v->vm[i];
    return NULL;
}
