#include "sg_dev.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <scsi/sg.h>

#include "handler_err.h"

/* Not in glibc's <scsi/sg.h> (Linux's uapi has it). Without it a failed
 * LUN reset escalates to target, bus and host resets, which would hit
 * other LUNs (and other guests) behind the same adapter. Kernels that
 * predate it answer EINVAL; we report that rather than escalate. */
#ifndef SG_SCSI_RESET_NO_ESCALATE
#define SG_SCSI_RESET_NO_ESCALATE 0x100
#endif

/* The ioctls after the checks. Returns -errno with err written. */
static int setup(int fd, const char *path, char *err, size_t err_len)
{
    struct stat st;
    int version = 0, one = 1, reserved = SG_DEV_RESERVED_SIZE;

    if (fstat(fd, &st) < 0) {
        int e = errno;
        handler_err(err, err_len, "cannot stat %s: %s", path, strerror(e));
        return -e;
    }
    if (!S_ISCHR(st.st_mode)) {
        handler_err(err, err_len, "%s is not a character device", path);
        return -ENODEV;
    }
    /* Before any sg ioctl: their numbers mean other things to other drivers. */
    if (major(st.st_rdev) != SG_DEV_MAJOR) {
        handler_err(err, err_len, "%s is not an sg device (major %u, sg is %d)", path,
             major(st.st_rdev), SG_DEV_MAJOR);
        return -ENODEV;
    }
    if (ioctl(fd, SG_GET_VERSION_NUM, &version) < 0) {
        int e = errno;
        handler_err(err, err_len, "%s: SG_GET_VERSION_NUM: %s", path, strerror(e));
        return -e;
    }
    if (version < SG_DEV_MIN_VERSION) {
        handler_err(err, err_len, "%s: sg driver version %d lacks the v3 interface (need %d)", path,
             version, SG_DEV_MIN_VERSION);
        return -EOPNOTSUPP;
    }
    /* Each command's read() then reaps its own completion. */
    if (ioctl(fd, SG_SET_FORCE_PACK_ID, &one) < 0) {
        int e = errno;
        handler_err(err, err_len, "%s: SG_SET_FORCE_PACK_ID: %s", path, strerror(e));
        return -e;
    }
    /*
     * No reserved buffer. sg reuses an fd's reserved buffer across commands
     * and copies all of it back on a READ, and when a command fails without
     * the device reporting a residual (scsi_debug and QEMU don't) the guest
     * got the previous READ's data: found in the VM tier. Without it sg
     * builds each command's buffer from fresh zeroed pages (up to
     * sg_tablesize elements of 32 KiB; 1 MiB needs 32). A failure here
     * would bring the leak back, so it refuses the LUN.
     */
    if (ioctl(fd, SG_SET_RESERVED_SIZE, &reserved) < 0) {
        int e = errno;
        handler_err(err, err_len, "%s: SG_SET_RESERVED_SIZE: %s", path, strerror(e));
        return -e;
    }
    return 0;
}

#define SG_DEV_BUSY_TRIES 10

int sg_dev_open(const char *path, int *fd, char *err, size_t err_len)
{
    /* O_EXCL: sg refuses (EBUSY, with O_NONBLOCK) while anyone else has
     * the sg node open, and refuses everyone else while we do, so a LUN
     * given to one guest is used by nobody else. */
    int f = -1;
    /* Short-lived openers are normal right after a device appears (udev's
     * scsi_id, pvscsid's own PSCSI discovery, sg_inq): a few tries, at most
     * ~200 ms, before calling the device taken. */
    for (int tries = 0; tries < SG_DEV_BUSY_TRIES; tries++) {
        f = open(path, O_RDWR | O_NONBLOCK | O_EXCL | O_CLOEXEC);
        if (f >= 0 || errno != EBUSY || tries + 1 == SG_DEV_BUSY_TRIES)
            break;
        const struct timespec pause = {0, 20 * 1000 * 1000};
        (void)nanosleep(&pause, NULL);   /* EINTR: just try again sooner */
    }
    if (f < 0) {
        int e = errno;
        if (e == EBUSY)
            handler_err(err, err_len, "%s is in use (given to another guest or device, or "
                        "opened by another program)", path);
        else
            handler_err(err, err_len, "cannot open %s: %s", path, strerror(e));
        return -e;
    }
    int r = setup(f, path, err, err_len);
    if (r < 0) {
        if (close(f) < 0) {
            /* The setup error is the one worth reporting. */
        }
        return r;
    }
    *fd = f;
    return 0;
}

int sg_dev_reset(int fd)
{
    int how = SG_SCSI_RESET_DEVICE | SG_SCSI_RESET_NO_ESCALATE;
    /* With O_NONBLOCK, EAGAIN while the host is in error recovery. */
    return ioctl(fd, SG_SCSI_RESET, &how) < 0 ? -errno : 0;
}

int sg_dev_scsi_type(int fd, int *type)
{
    struct sg_scsi_id id;
    memset(&id, 0, sizeof(id));
    if (ioctl(fd, SG_GET_SCSI_ID, &id) < 0)
        return -errno;
    *type = id.scsi_type;
    return 0;
}
