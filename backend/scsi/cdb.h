/*
 * CDB decoding for an emulated direct-access disk: READ/WRITE 6/10/12/16,
 * SYNCHRONIZE CACHE 10/16, allocation lengths, and the data length a CDB
 * implies. Pure functions, no I/O.
 */
#ifndef PVSCSID_CDB_H
#define PVSCSID_CDB_H

#include <stdbool.h>
#include <stdint.h>

/* A READ or WRITE of any size, decoded. */
struct cdb_rw {
    uint64_t lba;
    uint32_t nblocks;   /* READ(6)/WRITE(6): a length of 0 is already 256 */
    bool write;
    bool fua;           /* force unit access: the write must be durable */
};

enum cdb_rw_kind {
    CDB_NOT_RW = 0,     /* some other command */
    CDB_RW,             /* decoded into *out */
    CDB_RW_INVALID,     /* a READ/WRITE we refuse: short CDB, protection
                         * information or ACA requested (we have neither) */
};

/* Decodes READ/WRITE 6/10/12/16. *out is written only for CDB_RW. */
enum cdb_rw_kind cdb_decode_rw(const uint8_t *cdb, unsigned cdb_len, struct cdb_rw *out);

/* SYNCHRONIZE CACHE 10/16: the range to flush (nblocks 0 means up to the
 * last block). False if cdb is not one of them or too short. */
bool cdb_decode_sync(const uint8_t *cdb, unsigned cdb_len, uint64_t *lba, uint32_t *nblocks);

/* The CDB length the opcode's group code defines (6, 10, 12 or 16), or 0 for
 * the reserved and vendor-specific groups. */
unsigned cdb_group_len(uint8_t opcode);

/* True when blocks [lba, lba + nblocks) lie within a disk of nr_blocks
 * blocks, without overflowing. */
bool cdb_lba_range_ok(uint64_t lba, uint64_t nblocks, uint64_t nr_blocks);

/* The allocation length of a data-in command this module knows (INQUIRY,
 * REQUEST SENSE, MODE SENSE 6/10, READ CAPACITY 10/16, REPORT LUNS). False
 * for other commands and for CDBs shorter than their opcode's length. */
bool cdb_alloc_len(const uint8_t *cdb, unsigned cdb_len, uint32_t *out);

/* The number of data bytes a CDB implies: READ/WRITE blocks times
 * block_size, a data-in command's allocation length, 0 for commands without
 * data (TEST UNIT READY, START STOP UNIT, SYNCHRONIZE CACHE). False for
 * commands this module does not know. */
bool cdb_transfer_len(const uint8_t *cdb, unsigned cdb_len, uint32_t block_size,
                      uint64_t *out);

#endif
