#include "hctl.h"

#include <errno.h>
#include <stdio.h>

/* One decimal field; advances *p. No sign, no space, at least one digit. */
static int parse_field(const char **p, uint32_t *out)
{
    const char *s = *p;
    uint64_t v = 0;

    if (*s < '0' || *s > '9')
        return -EINVAL;
    while (*s >= '0' && *s <= '9') {
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > UINT32_MAX)
            return -ERANGE;
        s++;
    }
    *out = (uint32_t)v;
    *p = s;
    return 0;
}

int vscsi_hctl_parse(const char *s, struct vscsi_hctl *out)
{
    uint32_t f[4];

    if (!s)
        return -EINVAL;
    for (int i = 0; i < 4; i++) {
        int r = parse_field(&s, &f[i]);
        if (r < 0)
            return r;
        if (i < 3 && *s++ != ':')
            return -EINVAL;
    }
    if (*s != '\0')
        return -EINVAL;
    *out = (struct vscsi_hctl){f[0], f[1], f[2], f[3]};
    return 0;
}

int vscsi_hctl_format(const struct vscsi_hctl *h, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%u:%u:%u:%u", h->host, h->channel, h->target, h->lun);
    if (n < 0 || (size_t)n >= size) {
        if (size > 0)
            buf[0] = '\0';
        return -ENOSPC;
    }
    return n;
}

bool vscsi_hctl_fits_ring(const struct vscsi_hctl *h)
{
    return h->channel <= UINT16_MAX && h->target <= UINT16_MAX && h->lun <= UINT16_MAX;
}

bool vscsi_hctl_equal(const struct vscsi_hctl *a, const struct vscsi_hctl *b)
{
    return a->host == b->host && a->channel == b->channel && a->target == b->target &&
           a->lun == b->lun;
}
