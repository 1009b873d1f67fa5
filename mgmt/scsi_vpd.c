#include "scsi_vpd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include <scsi/sg_cmds_basic.h>

/* Reads a whole binary sysfs attribute. Length, or -errno (-ENOENT: none). */
static ssize_t read_page_file(int dirfd, const char *name, uint8_t *buf, size_t cap)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t got = 0;
    while (got < cap) {
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return -e;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    return (ssize_t)got;    /* a longer page is cut where udev would cut it */
}

/* A discovery INQUIRY must not hold the management API for sg3_utils'
 * default 60 s when a device does not answer. */
#define INQUIRY_TIMEOUT_S 5

/* INQUIRY EVPD page through sg. Length or -errno. */
static ssize_t inquire(int fd, int page, uint8_t *buf, size_t cap)
{
    memset(buf, 0, cap);
    int r = sg_ll_inquiry_v2(fd, true, page, buf, (int)cap, INQUIRY_TIMEOUT_S, NULL, false, 0);
    if (r != 0)
        return -EIO;
    if (buf[1] != page)
        return -ENOENT;
    return (ssize_t)cap;
}

static bool page_listed(const uint8_t *pg0, int page)
{
    for (size_t i = 4; i < 4 + (size_t)pg0[3] && i < SCSI_ID_INQ_LEN; i++)
        if (pg0[i] == page)
            return true;
    return false;
}

/* udev's order over sg: page 0 says which pages exist; 0x83 first, then 0x80. */
static int scsi_id_over_sg(const char *sg_path, const char *vendor8, const char *model16,
                           char out[SCSI_ID_MAX])
{
    uint8_t pg0[SCSI_ID_INQ_LEN], pg[SCSI_ID_INQ_LEN];
    int fd = open(sg_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -ENOENT : -errno;
    int r = -ENOENT;
    if (inquire(fd, 0x00, pg0, sizeof(pg0)) < 0)
        goto out;
    if (page_listed(pg0, 0x83)) {
        ssize_t n = inquire(fd, 0x83, pg, sizeof(pg));
        if (n > 0 && scsi_id_from_pg83(pg, (size_t)n, vendor8, model16, out) == 0) {
            r = 0;
            goto out;
        }
    }
    if (page_listed(pg0, 0x80)) {
        ssize_t n = inquire(fd, 0x80, pg, sizeof(pg));
        if (n > 0 && scsi_id_from_pg80(pg, (size_t)n, vendor8, model16, out) == 0)
            r = 0;
    }
out:
    close(fd);
    return r;
}

int scsi_vpd_scsi_id(int dirfd, const char *sg_path, const char *vendor8,
                     const char *model16, char out[SCSI_ID_MAX])
{
    uint8_t pg[SCSI_ID_INQ_LEN];
    ssize_t n83 = read_page_file(dirfd, "vpd_pg83", pg, sizeof(pg));

    out[0] = '\0';
    if (n83 > 0 && scsi_id_from_pg83(pg, (size_t)n83, vendor8, model16, out) == 0)
        return 0;
    ssize_t n80 = read_page_file(dirfd, "vpd_pg80", pg, sizeof(pg));
    if (n80 > 0 && scsi_id_from_pg80(pg, (size_t)n80, vendor8, model16, out) == 0)
        return 0;
    if (n83 == -ENOENT && n80 == -ENOENT && sg_path)
        return scsi_id_over_sg(sg_path, vendor8, model16, out);
    if (n83 < 0 && n83 != -ENOENT)
        return (int)n83;
    return -ENOENT;
}
