/* What many tests build the same way: data patterns to write and compare,
 * and READ/WRITE CDBs. */
#ifndef PVSCSI_TESTDATA_H
#define PVSCSI_TESTDATA_H

#include <stdbool.h>
#include <stdint.h>

/* len bytes of a pattern fixed by seed (xorshift32): two seeds give
 * different bytes almost everywhere. */
void testdata_fill(uint8_t *p, uint32_t len, uint32_t seed);
/* READ(10)/WRITE(10) and READ(16)/WRITE(16) of blocks at lba. */
void testdata_rw10(uint8_t *cdb, bool write, uint32_t lba, uint16_t blocks);
void testdata_rw16(uint8_t *cdb, bool write, uint64_t lba, uint32_t blocks);

#endif
