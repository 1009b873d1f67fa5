#include "xsutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenbus_state.h"

/* ---- paths ---------------------------------------------------------------- */

static int vpath(char out[XSU_PATH_MAX], const char *fmt, va_list ap)
{
    int n = vsnprintf(out, XSU_PATH_MAX, fmt, ap);
    if (n < 0 || n >= XSU_PATH_MAX) {
        out[0] = '\0';
        return -ENAMETOOLONG;
    }
    return 0;
}

int xsu_path(char out[XSU_PATH_MAX], const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vpath(out, fmt, ap);
    va_end(ap);
    return r;
}

int xsu_domain_dir(char out[XSU_PATH_MAX], unsigned domid)
{
    return xsu_path(out, "/local/domain/%u", domid);
}

int xsu_backend_root(char out[XSU_PATH_MAX], unsigned be)
{
    return xsu_path(out, "/local/domain/%u/backend/vscsi", be);
}

int xsu_backend_dir(char out[XSU_PATH_MAX], unsigned be, unsigned domid, unsigned devid)
{
    return xsu_path(out, "/local/domain/%u/backend/vscsi/%u/%u", be, domid, devid);
}

int xsu_frontend_dir(char out[XSU_PATH_MAX], unsigned domid, unsigned devid)
{
    return xsu_path(out, "/local/domain/%u/device/vscsi/%u", domid, devid);
}

int xsu_luns_dir(char out[XSU_PATH_MAX], const char *be_dir)
{
    return xsu_path(out, "%s/vscsi-devs", be_dir);
}

int xsu_lun_dir(char out[XSU_PATH_MAX], const char *be_dir, unsigned index)
{
    return xsu_path(out, "%s/vscsi-devs/dev-%u", be_dir, index);
}

/* ---- names ---------------------------------------------------------------- */

bool xsu_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    if (!s || *s == '\0' || strspn(s, "0123456789") != strlen(s) || strlen(s) > 10)
        return false;
    unsigned long v = strtoul(s, NULL, 10);
    if (v > max)
        return false;
    *out = v;
    return true;
}

bool xsu_parse_lun_name(const char *name, unsigned *index)
{
    unsigned long v;
    if (!name || strncmp(name, "dev-", 4) != 0 || !xsu_parse_uint(name + 4, XSU_LUN_INDEX_MAX, &v))
        return false;
    *index = (unsigned)v;
    return true;
}

bool xsu_parse_domid(const char *s, unsigned *domid)
{
    unsigned long v;
    if (!xsu_parse_uint(s, XSU_DOMID_MAX, &v))
        return false;
    *domid = (unsigned)v;
    return true;
}

bool xsu_parse_devid(const char *s, unsigned *devid)
{
    unsigned long v;
    if (!xsu_parse_uint(s, XSU_DEVID_MAX, &v))
        return false;
    *devid = (unsigned)v;
    return true;
}

/* Copies the path component at *p (up to '/' or the end) into buf. */
static bool component(const char **p, char *buf, size_t cap)
{
    size_t n = strcspn(*p, "/");
    if (n == 0 || n >= cap)
        return false;
    memcpy(buf, *p, n);
    buf[n] = '\0';
    *p += n;
    return true;
}

bool xsu_parse_device_path(const char *path, const char *root, unsigned *domid,
                           unsigned *devid)
{
    size_t rl = strlen(root);
    if (strncmp(path, root, rl) != 0 || path[rl] != '/')
        return false;
    const char *p = path + rl + 1;
    char a[16], b[16];
    if (!component(&p, a, sizeof(a)) || *p++ != '/' || !component(&p, b, sizeof(b)))
        return false;
    if (*p != '\0' && *p != '/')
        return false;
    return xsu_parse_domid(a, domid) && xsu_parse_devid(b, devid);
}

/* ---- reads and writes ----------------------------------------------------- */

int xsu_exists(struct xs_handle *xs, xs_transaction_t t, const char *path)
{
    char *v = xs_read(xs, t, path, NULL);
    if (!v)
        return errno == ENOENT ? 0 : -errno;
    free(v);
    return 1;
}

char *xsu_read(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key)
{
    char p[XSU_PATH_MAX];
    unsigned len;

    if (xsu_path(p, "%s/%s", dir, key) < 0) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    char *v = xs_read(xs, t, p, &len);
    if (v && strlen(v) != len) {    /* embedded NUL: not a value we wrote */
        free(v);
        errno = EINVAL;
        return NULL;
    }
    return v;
}

long xsu_read_uint(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key)
{
    char *v = xsu_read(xs, t, dir, key);
    unsigned long n;
    long r = v && xsu_parse_uint(v, 0x7fffffffUL, &n) ? (long)n : -1;
    free(v);
    return r;
}

int xsu_read_state(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key)
{
    char *v = xsu_read(xs, t, dir, key);
    enum xenbus_state st;
    int r = v && vscsi_xenbus_state_parse(v, &st) == 0 ? (int)st : XenbusStateUnknown;
    free(v);
    return r;
}

bool xsu_write(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key,
               const char *val)
{
    char p[XSU_PATH_MAX];

    if (xsu_path(p, "%s/%s", dir, key) < 0) {
        errno = ENAMETOOLONG;
        return false;
    }
    return xs_write(xs, t, p, val, (unsigned)strlen(val));
}

bool xsu_printf(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key,
                const char *fmt, ...)
{
    char v[XSU_PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    int r = vpath(v, fmt, ap);
    va_end(ap);
    if (r < 0) {
        errno = -r;
        return false;
    }
    return xsu_write(xs, t, dir, key, v);
}

int xsu_gather(struct xs_handle *xs, xs_transaction_t t, const char *dir, ...)
{
    enum { MAX_NODES = 16 };
    struct {
        enum xsu_type type;
        void *ptr;
        char *str;
        unsigned long num;
    } got[MAX_NODES];
    unsigned n = 0;
    int r = 0;
    va_list ap;

    /* Everything is read and checked before anything is set. */
    va_start(ap, dir);
    for (const char *key; r == 0 && (key = va_arg(ap, const char *));) {
        enum xsu_type type = (enum xsu_type)va_arg(ap, int);
        void *ptr = va_arg(ap, void *);
        if (n == MAX_NODES || (type != XSU_UINT && type != XSU_STR)) {
            r = -EINVAL;
            break;
        }
        char *v = xsu_read(xs, t, dir, key);
        if (!v) {
            r = -errno;
            break;
        }
        got[n] = (typeof(got[0])){.type = type, .ptr = ptr, .str = v};
        n++;
        if (type == XSU_UINT && !xsu_parse_uint(v, UINT32_MAX, &got[n - 1].num))
            r = -EINVAL;
    }
    va_end(ap);
    for (unsigned i = 0; i < n; i++) {
        if (r == 0 && got[i].type == XSU_STR) {
            *(char **)got[i].ptr = got[i].str;
            continue;
        }
        if (r == 0)
            *(unsigned long *)got[i].ptr = got[i].num;
        free(got[i].str);
    }
    return r;
}

int xsu_devices(struct xs_handle *xs, xs_transaction_t t, unsigned be, struct xsu_device **out)
{
    char root[XSU_PATH_MAX];
    *out = NULL;
    if (xsu_backend_root(root, be) < 0)
        return -ENAMETOOLONG;
    unsigned nd = 0;
    char **doms = xs_directory(xs, t, root, &nd);
    if (!doms)
        return errno == ENOENT ? 0 : -errno;
    struct xsu_device *list = NULL;
    size_t n = 0, cap = 0;
    int r = 0;
    for (unsigned i = 0; i < nd && r == 0; i++) {
        unsigned domid, nv = 0;
        char dir[XSU_PATH_MAX];
        if (!xsu_parse_domid(doms[i], &domid) || xsu_path(dir, "%s/%u", root, domid) < 0)
            continue;
        char **devs = xs_directory(xs, t, dir, &nv);
        for (unsigned j = 0; devs && j < nv && r == 0; j++) {
            unsigned devid;
            if (!xsu_parse_devid(devs[j], &devid))
                continue;
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 8;
                struct xsu_device *g = realloc(list, ncap * sizeof(*g));
                if (!g) {
                    r = -ENOMEM;
                    break;
                }
                list = g;
                cap = ncap;
            }
            list[n++] = (struct xsu_device){.domid = domid, .devid = devid};
        }
        free(devs);
    }
    free(doms);
    if (r < 0 || n == 0) {
        free(list);
        return r;
    }
    *out = list;
    return (int)n;
}

static int cmp_unsigned(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

int xsu_lun_indexes(struct xs_handle *xs, xs_transaction_t t, const char *be_dir,
                    unsigned **out)
{
    char dir[XSU_PATH_MAX];
    *out = NULL;
    if (xsu_luns_dir(dir, be_dir) < 0)
        return -ENAMETOOLONG;
    unsigned n = 0;
    char **names = xs_directory(xs, t, dir, &n);
    if (!names)
        return -errno;
    unsigned *idx = n ? malloc(n * sizeof(*idx)) : NULL;
    if (n && !idx) {
        free(names);
        return -ENOMEM;
    }
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++)
        if (xsu_parse_lun_name(names[i], &idx[k]))
            k++;
    free(names);
    if (k == 0) {
        free(idx);
        return 0;
    }
    qsort(idx, k, sizeof(*idx), cmp_unsigned);
    *out = idx;
    return (int)k;
}
