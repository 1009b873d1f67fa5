/*
 * The sg passthrough LUN handler: guest commands go unchanged to a host LUN
 * through its /dev/sgN node, asynchronously (sg v3 interface: the sg_io_hdr
 * written, and read back completed, by the worker's io_uring).
 */
#ifndef PVSCSID_SG_H
#define PVSCSID_SG_H

#include <stdint.h>

#include "lun.h"

extern const struct lun_ops lun_sg_ops;

/* A LUN of lun_sg_ops over `fd`, already set up (sg_dev_open); takes the fd
 * (close() closes it). Completed commands go to finished (lun_params).
 * Used by open(), and by tests that stand a socket in for sg. 0, or
 * -ENOMEM (fd then still the caller's). */
int sg_lun_create(int fd, uint32_t default_timeout_ms, void (*finished)(struct lun_cmd *cmd),
                  struct lun **out);

#endif
