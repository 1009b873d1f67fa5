#include "sg_vpd.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define VPD_PAGE_DEVICE_ID 0x83
#define DESIG_TYPE_NAA     3
#define CODE_SET_BINARY    1

/* End of the descriptor list (4 + page length), or 0 if the header is bad. */
static size_t page_end(const uint8_t *page, size_t len)
{
    if (!page || len < 4 || page[1] != VPD_PAGE_DEVICE_ID)
        return 0;
    size_t end = 4 + (((size_t)page[2] << 8) | page[3]);
    return end <= len ? end : 0;
}

int sg_vpd83_validate(const uint8_t *page, size_t len)
{
    size_t end = page_end(page, len);
    if (end == 0)
        return -EBADMSG;
    /* Each descriptor: 4-byte header, byte 3 the designator length. */
    for (size_t off = 4; off < end;) {
        if (end - off < 4)
            return -EBADMSG;
        size_t dlen = page[off + 3];
        if (end - off - 4 < dlen)
            return -EBADMSG;
        off += 4 + dlen;
    }
    return 0;
}

int sg_vpd83_has_naa(const uint8_t *page, size_t len, unsigned assoc, const uint8_t *id,
                     size_t id_len)
{
    if (sg_vpd83_validate(page, len) < 0)
        return -EBADMSG;
    size_t end = page_end(page, len);
    for (size_t off = 4; off < end; off += 4 + (size_t)page[off + 3]) {
        const uint8_t *d = page + off;
        bool binary = (d[0] & 0x0f) == CODE_SET_BINARY;
        bool naa = (d[1] & 0x0f) == DESIG_TYPE_NAA;
        unsigned a = (d[1] >> 4) & 0x03;
        if (binary && naa && a == assoc && d[3] == id_len && id_len > 0 &&
            memcmp(d + 4, id, id_len) == 0)
            return 1;
    }
    return 0;
}
