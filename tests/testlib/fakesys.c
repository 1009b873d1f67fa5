#include "fakesys.h"

#define _XOPEN_SOURCE_EXTENDED 1
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int mkdirs(const char *path)
{
    char buf[PATH_MAX];
    int n = snprintf(buf, sizeof(buf), "%s", path);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return -ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, 0755) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char p[PATH_MAX];
    int n = snprintf(p, sizeof(p), "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof(p))
        return -ENAMETOOLONG;
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    ssize_t w = write(fd, data, len);
    int e = errno;
    close(fd);
    if (w < 0)
        return -e;
    return (size_t)w == len ? 0 : -EIO;
}

static int write_line(const char *dir, const char *name, const char *s)
{
    char buf[256];
    int n = snprintf(buf, sizeof(buf), "%s\n", s);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return -ENAMETOOLONG;
    return write_file(dir, name, buf, (size_t)n);
}

char *fakesys_create(void)
{
    char tmpl[] = "/tmp/fakesys.XXXXXX";
    if (!mkdtemp(tmpl))
        return NULL;
    char *root = strdup(tmpl);
    if (!root)
        return NULL;
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/bus/scsi/devices", root);
    if (mkdirs(p) < 0) {
        fakesys_destroy(root);
        return NULL;
    }
    return root;
}

static int add_class(const char *dir, const char *cls, const char *node, bool old)
{
    char p[PATH_MAX];
    int n = old ? snprintf(p, sizeof(p), "%s/%s:%s", dir, cls, node)
                : snprintf(p, sizeof(p), "%s/%s/%s", dir, cls, node);
    if (n < 0 || (size_t)n >= sizeof(p))
        return -ENAMETOOLONG;
    int r = mkdirs(p);
    return r < 0 ? r : write_line(p, "dev", "21:0");
}

/* bus/scsi/drivers/<drv> and the device's `driver` link to it, relative as
 * the kernel makes it. */
static int add_driver(const char *root, const char *dir, const char *drv)
{
    char p[PATH_MAX], target[PATH_MAX];
    int n = snprintf(p, sizeof(p), "%s/bus/scsi/drivers/%s", root, drv);
    if (n < 0 || (size_t)n >= sizeof(p))
        return -ENAMETOOLONG;
    int r = mkdirs(p);
    if (r < 0)
        return r;
    n = snprintf(target, sizeof(target), "../../drivers/%s", drv);
    if (n < 0 || (size_t)n >= sizeof(target))
        return -ENAMETOOLONG;
    n = snprintf(p, sizeof(p), "%s/driver", dir);
    if (n < 0 || (size_t)n >= sizeof(p))
        return -ENAMETOOLONG;
    return symlink(target, p) < 0 ? -errno : 0;
}

int fakesys_add(const char *root, const struct fakesys_dev *d)
{
    char dir[PATH_MAX], num[16];
    int n = snprintf(dir, sizeof(dir), "%s/bus/scsi/devices/%s", root, d->hctl);
    if (n < 0 || (size_t)n >= sizeof(dir))
        return -ENAMETOOLONG;
    int r = mkdirs(dir);
    if (r == 0 && d->vendor)
        r = write_line(dir, "vendor", d->vendor);
    if (r == 0 && d->model)
        r = write_line(dir, "model", d->model);
    if (r == 0 && d->rev)
        r = write_line(dir, "rev", d->rev);
    snprintf(num, sizeof(num), "%d", d->type);
    if (r == 0)
        r = write_line(dir, "type", num);
    snprintf(num, sizeof(num), "%d", d->scsi_level);
    if (r == 0)
        r = write_line(dir, "scsi_level", num);
    if (r == 0 && d->sg)
        r = add_class(dir, "scsi_generic", d->sg, d->old_layout);
    if (r == 0 && d->cls)
        r = add_class(dir, d->cls, d->node, d->old_layout);
    if (r == 0 && d->driver)
        r = add_driver(root, dir, d->driver);
    if (r == 0 && d->pg83)
        r = write_file(dir, "vpd_pg83", d->pg83, d->pg83_len);
    if (r == 0 && d->pg80)
        r = write_file(dir, "vpd_pg80", d->pg80, d->pg80_len);
    return r;
}

int fakesys_add_entry(const char *root, const char *name)
{
    char dir[PATH_MAX];
    int n = snprintf(dir, sizeof(dir), "%s/bus/scsi/devices/%s", root, name);
    if (n < 0 || (size_t)n >= sizeof(dir))
        return -ENAMETOOLONG;
    return mkdirs(dir);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)f;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

int fakesys_remove_dev(const char *root, const char *hctl)
{
    char dir[PATH_MAX];
    int n = snprintf(dir, sizeof(dir), "%s/bus/scsi/devices/%s", root, hctl);
    if (n < 0 || (size_t)n >= sizeof(dir))
        return -ENAMETOOLONG;
    return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
}

void fakesys_destroy(char *root)
{
    if (!root)
        return;
    (void)nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(root);
}

/* LIO-style LU designators: NAA 6 binary, T10 vendor ASCII, and a target
 * port descriptor that must be ignored (association 1). */
static const uint8_t pg83_disk[] = {
    0x00, 0x83, 0x00, 0x30,
    0x01, 0x03, 0x00, 0x10, 0x60, 0x01, 0x40, 0x50, 0x00, 0x00, 0x00, 0x01,
    0x2a, 0x3b, 0x4c, 0x5d, 0x6e, 0x7f, 0x80, 0x91,
    0x02, 0x01, 0x00, 0x10, 'L', 'I', 'O', '-', 'O', 'R', 'G', ' ',
    'd', 'i', 's', 'k', '0', ' ', ' ', ' ',
    0x61, 0x94, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01,
};
static const uint8_t pg83_tape[] = {
    0x01, 0x83, 0x00, 0x26,
    0x02, 0x01, 0x00, 0x22, 'I', 'B', 'M', ' ', ' ', ' ', ' ', ' ',
    'U', 'L', 'T', '3', '5', '8', '0', '-', 'T', 'D', '5', ' ', ' ', ' ', ' ', ' ',
    '1', '2', '3', '4', '5', '6', '7', '8', '9', '0',
};
static const uint8_t pg83_changer[] = {
    0x08, 0x83, 0x00, 0x0c,
    0x01, 0x03, 0x00, 0x08, 0x50, 0x01, 0x43, 0x80, 0x12, 0x34, 0x56, 0x78,
};
static const uint8_t pg80_old[] = {
    0x00, 0x80, 0x00, 0x0a, ' ', ' ', 'S', 'N', ' ', '4', '2', ' ', ' ', ' ',
};

const char *const fakesys_standard_ids[5] = {
    "360014050000000012a3b4c5d6e7f8091",
    "1IBM_ULT3580-TD5_1234567890",
    "35001438012345678",
    "",
    "SSEAGATE_ST318406LC_SN_42",
};

int fakesys_standard(const char *root)
{
    const struct fakesys_dev devs[] = {
        {"0:0:0:0", "LIO-ORG ", "disk0           ", "4.0 ", 0, 6, "sg0", "block", "sda", "sd",
         false, pg83_disk, sizeof(pg83_disk), NULL, 0},
        {"1:0:1:0", "IBM     ", "ULT3580-TD5     ", "D8D5", 1, 6, "sg1", "scsi_tape", "st0",
         "st", false, pg83_tape, sizeof(pg83_tape), NULL, 0},
        {"1:0:2:0", "HP      ", "MSL G3 Series   ", "E.00", 8, 5, "sg2", "scsi_changer",
         "sch0", "ch", false, pg83_changer, sizeof(pg83_changer), NULL, 0},
        {"2:0:0:0", "QEMU    ", "QEMU DVD-ROM    ", "2.5+", 5, 5, "sg3", "block", "sr0", "sr",
         false, NULL, 0, NULL, 0},
        {"2:0:0:1", "SEAGATE ", "ST318406LC      ", "0109", 0, 3, "sg4", "block", "sdb", "sd",
         true, NULL, 0, pg80_old, sizeof(pg80_old)},
    };
    for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
        int r = fakesys_add(root, &devs[i]);
        if (r < 0)
            return r;
    }
    /* st's other nodes (modes 1-3, no-rewind): only st0 and nst0 are
     * listed, and only st0 is the tape's dev_name. */
    static const char *const more_tape[] = {"st0l", "st0m", "st0a", "nst0", "nst0l",
                                            "nst0m", "nst0a"};
    int r = 0;
    for (size_t i = 0; r == 0 && i < sizeof(more_tape) / sizeof(more_tape[0]); i++) {
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s/bus/scsi/devices/1:0:1:0/scsi_tape/%s", root, more_tape[i]);
        r = mkdirs(p);
    }
    if (r == 0)
        r = fakesys_add_entry(root, "host0");
    if (r == 0)
        r = fakesys_add_entry(root, "target0:0:0");
    return r;
}
