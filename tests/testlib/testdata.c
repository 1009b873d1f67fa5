#include "testdata.h"

#include <string.h>

void testdata_fill(uint8_t *p, uint32_t len, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (uint32_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

void testdata_rw10(uint8_t *cdb, bool write, uint32_t lba, uint16_t blocks)
{
    memset(cdb, 0, 10);
    cdb[0] = write ? 0x2a : 0x28;
    for (int i = 0; i < 4; i++)
        cdb[2 + i] = (uint8_t)(lba >> (24 - 8 * i));
    cdb[7] = (uint8_t)(blocks >> 8);
    cdb[8] = (uint8_t)blocks;
}

void testdata_rw16(uint8_t *cdb, bool write, uint64_t lba, uint32_t blocks)
{
    memset(cdb, 0, 16);
    cdb[0] = write ? 0x8a : 0x88;
    for (int i = 0; i < 8; i++)
        cdb[2 + i] = (uint8_t)(lba >> (56 - 8 * i));
    for (int i = 0; i < 4; i++)
        cdb[10 + i] = (uint8_t)(blocks >> (24 - 8 * i));
}
