#include "sg_lookup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handler_err.h"
#include "scsi_sysfs.h"

#define DEFAULT_ROOT "/sys"
/* Devices named in a "matches several" message; the count is always exact. */
#define MSG_MAX_NAMES 4

/* snprintf that reports truncation as -ENAMETOOLONG. */
__attribute__((format(printf, 3, 4)))
static int pathf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return (n < 0 || (size_t)n >= size) ? -ENAMETOOLONG : 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Unsigned decimal, whole string, fits 32 bits. */
static int parse_u32(const char *s, uint32_t *out)
{
    uint64_t v = 0;
    if (*s == '\0')
        return -EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -EINVAL;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > UINT32_MAX)
            return -EINVAL;
    }
    *out = (uint32_t)v;
    return 0;
}

static int parse_naa(const char *s, struct sg_pdev *out)
{
    size_t digits = 0;
    while (s[digits] && s[digits] != ':')
        digits++;
    if (digits != 16 && digits != 32)
        return -EINVAL;
    for (size_t i = 0; i < digits; i += 2) {
        int hi = hexval(s[i]), lo = hexval(s[i + 1]);
        if (hi < 0 || lo < 0)
            return -EINVAL;
        out->naa[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    out->naa_len = digits / 2;
    out->has_lun = s[digits] == ':';
    out->lun = 0;
    if (out->has_lun && parse_u32(s + digits + 1, &out->lun) < 0)
        return -EINVAL;
    return 0;
}

int sg_pdev_parse(const char *pdev, struct sg_pdev *out)
{
    struct sg_pdev p = {0};

    if (!pdev)
        return -EINVAL;
    if (vscsi_hctl_parse(pdev, &p.hctl) == 0) {
        p.kind = SG_PDEV_HCTL;
    } else if (strncmp(pdev, "naa.", 4) == 0) {
        if (parse_naa(pdev + 4, &p) < 0)
            return -EINVAL;
        p.kind = SG_PDEV_NAA;
    } else if (strncmp(pdev, "/dev/", 5) == 0 && scsi_sysfs_is_sg_name(pdev + 5)) {
        p.kind = SG_PDEV_PATH;
    } else {
        return -EINVAL;
    }
    *out = p;
    return 0;
}

/* Reads a whole (sysfs) file into buf: -errno, or -EFBIG past cap. */
static int slurp(const char *path, void *buf, size_t cap, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t n = 0;
    int r = 0;
    for (;;) {
        char extra;
        bool full = n == cap;
        ssize_t m = full ? read(fd, &extra, 1) : read(fd, (char *)buf + n, cap - n);
        if (m < 0 && errno == EINTR)
            continue;
        if (m < 0) {
            r = -errno;
            break;
        }
        if (m == 0)
            break;
        if (full) {
            r = -EFBIG;
            break;
        }
        n += (size_t)m;
    }
    if (close(fd) < 0 && r == 0)
        r = -errno;
    *len = n;
    return r;
}

/* The sg node of device h, as "/dev/sgN", with the reason when there is none. */
static int sg_of_hctl(const char *root, const struct vscsi_hctl *h, char *dev, size_t dev_len,
                      char *err, size_t err_len)
{
    char name[VSCSI_HCTL_STRLEN], sg[NAME_MAX + 1];
    unsigned count;

    if (vscsi_hctl_format(h, name, sizeof(name)) < 0) {
        handler_err(err, err_len, "bad SCSI address");
        return -EINVAL;
    }
    int r = scsi_sysfs_sg_node(root, name, sg, sizeof(sg), &count);
    switch (r) {
    case 0:
        break;
    case -ENODEV:
        handler_err(err, err_len, "no SCSI device %s in %s/bus/scsi/devices", name, root);
        return -ENODEV;
    case -ENOENT:
        handler_err(err, err_len, "%s has no sg node (is the sg module loaded?)", name);
        return -ENODEV;
    case -EEXIST:
        handler_err(err, err_len, "%s has %u sg nodes in %s/bus/scsi/devices/%s/scsi_generic",
                    name, count, root, name);
        return -EEXIST;
    case -ENAMETOOLONG:
        handler_err(err, err_len, "sysfs path for %s too long", name);
        return r;
    default:
        handler_err(err, err_len, "cannot read %s/bus/scsi/devices/%s: %s", root, name,
                    strerror(-r));
        return r;
    }
    if (pathf(dev, dev_len, "/dev/%s", sg) < 0) {
        handler_err(err, err_len, "device path /dev/%s too long", sg);
        return -ENAMETOOLONG;
    }
    return 0;
}

static int hctl_cmp(const void *a, const void *b)
{
    const struct vscsi_hctl *x = a, *y = b;
    const uint32_t kx[4] = {x->host, x->channel, x->target, x->lun};
    const uint32_t ky[4] = {y->host, y->channel, y->target, y->lun};
    for (int i = 0; i < 4; i++)
        if (kx[i] != ky[i])
            return kx[i] < ky[i] ? -1 : 1;
    return 0;
}

/* Does this device's page 0x83 match? Devices without a readable, valid
 * vpd_pg83 (the kernel creates it only for devices that report page 0x83;
 * a truncated or garbage page) are skipped: they cannot be named by WWN. */
static bool device_matches(const char *path, const struct sg_pdev *p,
                           const struct vscsi_hctl *h, uint8_t *buf)
{
    size_t len;
    if (slurp(path, buf, SG_VPD_PAGE_MAX, &len) < 0)
        return false;
    if (sg_vpd83_has_naa(buf, len, SG_VPD_ASSOC_LU, p->naa, p->naa_len) == 1)
        return true;
    /* A target port WWN names one LU only together with its LUN. */
    return p->has_lun && h->lun == p->lun &&
           sg_vpd83_has_naa(buf, len, SG_VPD_ASSOC_TARGET_PORT, p->naa, p->naa_len) == 1;
}

/* Scans <root>/bus/scsi/devices for the one device matching the WWN. */
static int find_naa(const char *root, const char *pdev, const struct sg_pdev *p,
                    struct vscsi_hctl *out, char *err, size_t err_len)
{
    char dir[PATH_MAX], path[PATH_MAX];
    struct vscsi_hctl names[MSG_MAX_NAMES];
    int found = 0, r = 0;

    if (pathf(dir, sizeof(dir), "%s/bus/scsi/devices", root) < 0) {
        handler_err(err, err_len, "sysfs path under %s too long", root);
        return -ENAMETOOLONG;
    }
    uint8_t *buf = malloc(SG_VPD_PAGE_MAX);
    if (!buf) {
        handler_err(err, err_len, "out of memory scanning %s", dir);
        return -ENOMEM;
    }
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        free(buf);
        if (e == ENOENT) {
            handler_err(err, err_len, "no SCSI device with %s: %s is missing", pdev, dir);
            return -ENODEV;
        }
        handler_err(err, err_len, "cannot read %s: %s", dir, strerror(e));
        return -e;
    }
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            if (errno != 0) {
                r = -errno;
                handler_err(err, err_len, "cannot read %s: %s", dir, strerror(errno));
            }
            break;
        }
        struct vscsi_hctl h;
        /* Also lists host0, target0:0:0...: only H:C:T:L entries are LUs. */
        if (vscsi_hctl_parse(de->d_name, &h) < 0)
            continue;
        if (pathf(path, sizeof(path), "%s/%s/vpd_pg83", dir, de->d_name) < 0)
            continue;
        if (!device_matches(path, p, &h, buf))
            continue;
        if (found < MSG_MAX_NAMES)
            names[found] = h;
        found++;
    }
    if (closedir(d) < 0 && r == 0) {
        r = -errno;
        handler_err(err, err_len, "cannot read %s: %s", dir, strerror(errno));
    }
    free(buf);
    if (r < 0)
        return r;
    if (found == 0) {
        handler_err(err, err_len, "no SCSI device with %s in %s", pdev, dir);
        return -ENODEV;
    }
    if (found > 1) {
        int shown = found < MSG_MAX_NAMES ? found : MSG_MAX_NAMES;
        char list[MSG_MAX_NAMES * (VSCSI_HCTL_STRLEN + 2) + 8] = "";
        size_t used = 0;
        qsort(names, (size_t)shown, sizeof(names[0]), hctl_cmp);
        for (int i = 0; i < shown; i++) {
            char one[VSCSI_HCTL_STRLEN];
            if (vscsi_hctl_format(&names[i], one, sizeof(one)) < 0)
                continue;
            int n = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", one);
            if (n < 0 || (size_t)n >= sizeof(list) - used)
                break;
            used += (size_t)n;
        }
        handler_err(err, err_len, "%s matches %d SCSI devices (%s%s); use h:c:t:l", pdev, found, list,
             found > shown ? ", ..." : "");
        return -EEXIST;
    }
    *out = names[0];
    return 0;
}

int sg_lookup_resolve(const char *pdev, const char *root, char *dev, size_t dev_len,
                      char *err, size_t err_len)
{
    struct sg_pdev p;
    struct stat st;

    if (!root)
        root = DEFAULT_ROOT;
    if (sg_pdev_parse(pdev, &p) < 0) {
        handler_err(err, err_len, "\"%s\" is not an sg p-dev (h:c:t:l, naa.<wwn>[:lun], /dev/sgN)",
             pdev ? pdev : "(null)");
        return -EINVAL;
    }
    switch (p.kind) {
    case SG_PDEV_HCTL:
        return sg_of_hctl(root, &p.hctl, dev, dev_len, err, err_len);
    case SG_PDEV_NAA: {
        struct vscsi_hctl h;
        int r = find_naa(root, pdev, &p, &h, err, err_len);
        return r < 0 ? r : sg_of_hctl(root, &h, dev, dev_len, err, err_len);
    }
    case SG_PDEV_PATH:
        if (stat(pdev, &st) < 0) {
            int e = errno;
            handler_err(err, err_len, "cannot stat %s: %s", pdev, strerror(e));
            return -e;
        }
        if (!S_ISCHR(st.st_mode)) {
            handler_err(err, err_len, "%s is not a character device", pdev);
            return -ENODEV;
        }
        if (pathf(dev, dev_len, "%s", pdev) < 0) {
            handler_err(err, err_len, "device path %s too long", pdev);
            return -ENAMETOOLONG;
        }
        return 0;
    }
    handler_err(err, err_len, "\"%s\": unknown p-dev kind", pdev);
    return -EINVAL;
}

int sg_lookup_type(const char *root, const char *sg_name, int *type)
{
    char path[PATH_MAX], text[16];
    size_t len;
    uint32_t v;

    if (!root)
        root = DEFAULT_ROOT;
    if (!sg_name || !scsi_sysfs_is_sg_name(sg_name))
        return -EINVAL;
    if (pathf(path, sizeof(path), "%s/class/scsi_generic/%s/device/type", root, sg_name) < 0)
        return -ENAMETOOLONG;
    int r = slurp(path, text, sizeof(text) - 1, &len);
    if (r < 0)
        return r == -EFBIG ? -EINVAL : r;
    text[len] = '\0';
    /* sysfs prints "%d\n". */
    if (len > 0 && text[len - 1] == '\n')
        text[len - 1] = '\0';
    if (parse_u32(text, &v) < 0 || v > 31)
        return -EINVAL;
    *type = (int)v;
    return 0;
}

/* "/dev/a /dev/b" from "a b"; "" from "". */
static void dev_paths(const char *names, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    while (*names) {
        size_t len = strcspn(names, " ");
        int n = snprintf(out + used, cap - used, "%s/dev/%.*s", used ? " " : "", (int)len,
                         names);
        if (n < 0 || (size_t)n >= cap - used) {
            out[used] = '\0';     /* whole names only */
            return;
        }
        used += (size_t)n;
        names += len;
        names += strspn(names, " ");
    }
}

int sg_lookup_holder(const char *root, const char *sg_name, char *msg, size_t msg_len)
{
    char path[PATH_MAX], dir[PATH_MAX];
    char drv[SCSI_SYSFS_NAME_MAX], nodes[SCSI_SYSFS_NODES_MAX], paths[SCSI_SYSFS_NODES_MAX * 3];
    struct vscsi_hctl h;

    if (!root)
        root = DEFAULT_ROOT;
    if (!sg_name || !scsi_sysfs_is_sg_name(sg_name))
        return -EINVAL;
    if (pathf(path, sizeof(path), "%s/class/scsi_generic/%s/device", root, sg_name) < 0)
        return -ENAMETOOLONG;
    /* The scsi_device's own directory, named H:C:T:L (under /sys/devices). */
    if (!realpath(path, dir))
        return -errno;
    const char *hctl = strrchr(dir, '/');
    hctl = hctl ? hctl + 1 : dir;
    if (vscsi_hctl_parse(hctl, &h) < 0)
        return -ENODEV;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int r = scsi_sysfs_driver(fd, drv, sizeof(drv));
    if (r == 0 && scsi_sysfs_nodes(fd, nodes, sizeof(nodes)) < 0)
        nodes[0] = '\0';       /* the warning stands without them */
    if (close(fd) < 0 && r == 0)
        r = -errno;
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return r;
    dev_paths(nodes, paths, sizeof(paths));
    snprintf(msg, msg_len,
             "%s (/dev/%s) is also bound to dom0's %s driver%s%s%s: dom0 programs using it can "
             "interfere with the guest (tape position, medium, reservations); to release it: "
             "echo %s > %s/bus/scsi/drivers/%s/unbind",
             hctl, sg_name, drv, paths[0] ? " (" : "", paths, paths[0] ? ")" : "", hctl, root,
             drv);
    return 1;
}
