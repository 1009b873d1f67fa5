/*
 * The sg passthrough LUN handler: guest commands go unchanged to a host LUN
 * through its /dev/sgN node, asynchronously on the worker's io_uring (sg v3
 * interface: write() the sg_io_hdr, read() it back completed).
 */
#ifndef PVSCSID_SG_H
#define PVSCSID_SG_H

#include <stdint.h>

#include "lun.h"

extern const struct lun_ops lun_sg_ops;

/* A LUN of lun_sg_ops over `fd`, already set up (sg_dev_open); takes the fd
 * (close() closes it). Used by open(), and by tests that stand a socket in
 * for sg. 0, or -ENOMEM (fd then still the caller's). */
int sg_lun_create(int fd, uint32_t default_timeout_ms, struct lun **out);

#endif
