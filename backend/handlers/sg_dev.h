/*
 * An sg character device (/dev/sgN) opened and set up for the asynchronous
 * v3 interface: non-blocking, pack_id-addressed completions. Plus the ioctls
 * the handler needs later (LUN reset, device type).
 */
#ifndef PVSCSID_SG_DEV_H
#define PVSCSID_SG_DEV_H

#include <stddef.h>

/* Linux's SCSI_GENERIC_MAJOR: every sg node has it. */
#define SG_DEV_MAJOR 21
/* The sg v3 interface (sg_io_hdr) exists from driver version 3.0.0. */
#define SG_DEV_MIN_VERSION 30000
/* Reserved (preallocated) buffer asked for per fd, see sg_dev_open(). */
/* No reserved buffer: fresh zeroed pages per command (see sg_dev.c). */
#define SG_DEV_RESERVED_SIZE 0

/* Opens path O_RDWR|O_NONBLOCK|O_CLOEXEC, refuses anything but an sg
 * character device (before any ioctl), checks SG_GET_VERSION_NUM >= 30000
 * and sets SG_SET_FORCE_PACK_ID. *fd on success; else -errno and a reason
 * in err: -ENODEV not a character device / not sg, -EOPNOTSUPP old driver. */
int sg_dev_open(const char *path, int *fd, char *err, size_t err_len);

/* LUN reset (SG_SCSI_RESET_DEVICE, never escalated). 0 or -errno. */
int sg_dev_reset(int fd);

/* The peripheral device type from SG_GET_SCSI_ID. 0 or -errno. */
int sg_dev_scsi_type(int fd, int *type);

#endif
