/* Big-endian field access in CDBs and SCSI responses. Written here rather
 * than taken from <scsi/sg_unaligned.h>, whose 32-bit reads shift a
 * promoted int into the sign bit (undefined behaviour). */
#ifndef PVSCSID_BE_BYTES_H
#define PVSCSID_BE_BYTES_H

#include <stdint.h>

static inline uint16_t get_be16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t get_be64(const uint8_t *p)
{
    return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

static inline void put_be16(uint16_t v, uint8_t *p)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void put_be32(uint32_t v, uint8_t *p)
{
    put_be16((uint16_t)(v >> 16), p);
    put_be16((uint16_t)v, p + 2);
}

static inline void put_be64(uint64_t v, uint8_t *p)
{
    put_be32((uint32_t)(v >> 32), p);
    put_be32((uint32_t)v, p + 4);
}

#endif
