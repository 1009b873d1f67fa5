#include "sg_fakesys.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int join(char *buf, size_t size, const struct fakesys *fs, const char *rel)
{
    int n = snprintf(buf, size, "%s/%s", fs->root, rel);
    return (n < 0 || (size_t)n >= size) ? -ENAMETOOLONG : 0;
}

int fakesys_init(struct fakesys *fs)
{
    int n = snprintf(fs->root, sizeof(fs->root), "/tmp/pvscsid-sgsys-XXXXXX");
    if (n < 0 || (size_t)n >= sizeof(fs->root))
        return -ENAMETOOLONG;
    return mkdtemp(fs->root) ? 0 : -errno;
}

int fakesys_mkdir(const struct fakesys *fs, const char *rel)
{
    char path[PATH_MAX];
    int r = join(path, sizeof(path), fs, rel);
    if (r < 0)
        return r;
    /* Every prefix ending at a '/', then the whole path. */
    for (char *p = path + strlen(fs->root) + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    return (mkdir(path, 0755) < 0 && errno != EEXIST) ? -errno : 0;
}

int fakesys_write(const struct fakesys *fs, const char *rel, const void *data, size_t len)
{
    char path[PATH_MAX];
    int r = join(path, sizeof(path), fs, rel);
    if (r < 0)
        return r;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    ssize_t w = write(fd, data, len);
    r = (w < 0) ? -errno : ((size_t)w != len ? -EIO : 0);
    if (close(fd) < 0 && r == 0)
        r = -errno;
    return r;
}

int fakesys_symlink(const struct fakesys *fs, const char *target, const char *rel)
{
    char path[PATH_MAX];
    int r = join(path, sizeof(path), fs, rel);
    if (r < 0)
        return r;
    return symlink(target, path) < 0 ? -errno : 0;
}

int fakesys_add_device(const struct fakesys *fs, const char *hctl, int type, const char *sg,
                       const void *vpd, size_t vpd_len)
{
    char rel[256], text[16], target[256];
    int r;

#define REL(...)                                                        \
    do {                                                                \
        int n_ = snprintf(rel, sizeof(rel), __VA_ARGS__);               \
        if (n_ < 0 || (size_t)n_ >= sizeof(rel))                        \
            return -ENAMETOOLONG;                                       \
    } while (0)

    REL("bus/scsi/devices/%s", hctl);
    if ((r = fakesys_mkdir(fs, rel)) < 0)
        return r;
    int n = snprintf(text, sizeof(text), "%d\n", type);
    if (n < 0 || (size_t)n >= sizeof(text))
        return -EINVAL;
    REL("bus/scsi/devices/%s/type", hctl);
    if ((r = fakesys_write(fs, rel, text, (size_t)n)) < 0)
        return r;
    if (vpd) {
        REL("bus/scsi/devices/%s/vpd_pg83", hctl);
        if ((r = fakesys_write(fs, rel, vpd, vpd_len)) < 0)
            return r;
    }
    if (sg) {
        REL("bus/scsi/devices/%s/scsi_generic/%s", hctl, sg);
        if ((r = fakesys_mkdir(fs, rel)) < 0)
            return r;
        REL("bus/scsi/devices/%s/scsi_generic/%s/device", hctl, sg);
        if ((r = fakesys_symlink(fs, "../..", rel)) < 0)
            return r;
        if ((r = fakesys_mkdir(fs, "class/scsi_generic")) < 0)
            return r;
        n = snprintf(target, sizeof(target), "../../bus/scsi/devices/%s/scsi_generic/%s", hctl,
                     sg);
        if (n < 0 || (size_t)n >= sizeof(target))
            return -ENAMETOOLONG;
        REL("class/scsi_generic/%s", sg);
        if ((r = fakesys_symlink(fs, target, rel)) < 0)
            return r;
    }
#undef REL
    return 0;
}

int fakesys_bind(const struct fakesys *fs, const char *hctl, const char *drv, const char *cls,
                 const char *const *names)
{
    char rel[256], target[128];
    int r;

    if (snprintf(rel, sizeof(rel), "bus/scsi/drivers/%s", drv) >= (int)sizeof(rel))
        return -ENAMETOOLONG;
    if ((r = fakesys_mkdir(fs, rel)) < 0)
        return r;
    /* Relative, as the kernel makes it (there through /sys/devices/...). */
    if (snprintf(target, sizeof(target), "../../drivers/%s", drv) >= (int)sizeof(target) ||
        snprintf(rel, sizeof(rel), "bus/scsi/devices/%s/driver", hctl) >= (int)sizeof(rel))
        return -ENAMETOOLONG;
    if ((r = fakesys_symlink(fs, target, rel)) < 0)
        return r;
    for (size_t i = 0; cls && names && names[i]; i++) {
        if (snprintf(rel, sizeof(rel), "bus/scsi/devices/%s/%s/%s", hctl, cls, names[i]) >=
            (int)sizeof(rel))
            return -ENAMETOOLONG;
        if ((r = fakesys_mkdir(fs, rel)) < 0)
            return r;
    }
    return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

void fakesys_remove(struct fakesys *fs)
{
    if (fs->root[0] && nftw(fs->root, remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
        fprintf(stderr, "# cannot remove %s: %s\n", fs->root, strerror(errno));
    fs->root[0] = '\0';
}

int fakesys_add_held(const struct fakesys *fs, const char *hctl, int type, const char *sg,
                     const char *drv, const char *cls, const char *const *names)
{
    int r = fakesys_add_device(fs, hctl, type, sg, NULL, 0);
    return r < 0 ? r : fakesys_bind(fs, hctl, drv, cls, names);
}
