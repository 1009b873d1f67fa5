#include <string.h>

#include "iov_buf.h"
#include "report_luns.h"
#include "ring_state.h"

static void put_byte(uint8_t *out, size_t cap, size_t at, uint8_t v)
{
    if (at < cap)
        out[at] = v;
}

size_t report_luns_build(uint8_t *out, size_t cap, const uint16_t *luns, unsigned n)
{
    size_t total = 8 + (size_t)n * 8;
    if (out && cap)
        memset(out, 0, cap < total ? cap : total);
    uint32_t list_len = (uint32_t)n * 8;
    for (unsigned b = 0; b < 4; b++)
        put_byte(out, cap, b, (uint8_t)(list_len >> (24 - 8 * b)));
    for (unsigned i = 0; i < n; i++) {
        size_t at = 8 + (size_t)i * 8;
        if (luns[i] < 256) {
            put_byte(out, cap, at + 1, (uint8_t)luns[i]);
        } else {
            /* Flat space addressing (SAM-5 4.7.7): 01b then 14 bits. */
            put_byte(out, cap, at, (uint8_t)(0x40 | ((luns[i] >> 8) & 0x3f)));
            put_byte(out, cap, at + 1, (uint8_t)luns[i]);
        }
    }
    return total;
}

uint32_t report_luns_alloc_len(const uint8_t *cdb)
{
    return (uint32_t)cdb[6] << 24 | (uint32_t)cdb[7] << 16 | (uint32_t)cdb[8] << 8 | cdb[9];
}

bool report_luns_target_exists(const struct ring_state *rs, uint16_t channel, uint16_t target)
{
    for (unsigned i = 0; i < rs->nr_luns; i++) {
        const struct lun_entry *e = rs->luns[i];
        if (!e->remove_waiter && e->vdev.channel == channel && e->vdev.target == target)
            return true;
    }
    return false;
}

void report_luns_emulate(const struct ring_state *rs, uint16_t channel, uint16_t target,
                         struct lun_cmd *c)
{
    uint16_t luns[RING_MAX_LUNS];
    unsigned n = 0;
    for (unsigned i = 0; i < rs->nr_luns; i++) {
        const struct lun_entry *e = rs->luns[i];
        if (!e->remove_waiter && e->vdev.channel == channel && e->vdev.target == target)
            luns[n++] = (uint16_t)e->vdev.lun;
    }
    uint32_t alloc = report_luns_alloc_len(c->cdb);
    /* Data-out buffers may be mapped read-only: the answer only goes into
     * a buffer the guest offered for data-in. */
    if (c->data_len && c->dir != VSCSI_DIR_FROM_DEVICE && c->dir != VSCSI_DIR_BIDIRECTIONAL) {
        lun_cmd_check_condition(c, 0x05, 0x24, 0x00);
        return;
    }
    if (alloc < 16) {
        /* SPC: an allocation length under 16 is an invalid field. */
        lun_cmd_check_condition(c, 0x05, 0x24, 0x00);
        return;
    }
    uint8_t data[8 + 8 * RING_MAX_LUNS];
    size_t total = report_luns_build(data, sizeof(data), luns, n);
    uint32_t want = (uint32_t)total;
    if (want > alloc)
        want = alloc;
    if (want > c->data_len)
        want = c->data_len;
    lun_cmd_good(c, c->data_len - (uint32_t)iov_from_buf(c->iov, c->iov_cnt, data, want));
}
