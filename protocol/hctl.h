/* "host:channel:target:lun" addresses, as written in p-dev and v-dev. */
#ifndef PVSCSI_PROTOCOL_HCTL_H
#define PVSCSI_PROTOCOL_HCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vscsi_hctl {
    uint32_t host, channel, target, lun;
};

/* Longest formatted form: four 10-digit numbers, three colons, NUL. */
#define VSCSI_HCTL_STRLEN 44

/* Parses exactly four unsigned decimal numbers separated by ':' with nothing
 * else (no signs, spaces or trailing text). 0, or -EINVAL / -ERANGE. */
int vscsi_hctl_parse(const char *s, struct vscsi_hctl *out);
/* Writes "h:c:t:l". Returns the length, or -ENOSPC if buf is too small
 * (buf then holds an empty string, never a truncated address). */
int vscsi_hctl_format(const struct vscsi_hctl *h, char *buf, size_t size);
/* Channel, target and lun travel as 16-bit fields on the ring. */
bool vscsi_hctl_fits_ring(const struct vscsi_hctl *h);
bool vscsi_hctl_equal(const struct vscsi_hctl *a, const struct vscsi_hctl *b);

#endif
