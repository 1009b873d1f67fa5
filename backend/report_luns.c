#include <string.h>

#include "report_luns.h"

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
