#include "cdb.h"

#include "be_bytes.h"

#include "scsi_codes.h"

#define SCSI_OP_REPORT_LUNS 0xa0

/* Byte 1 of READ/WRITE 10/12/16. */
#define CDB_RW_PROTECT_MASK 0xe0   /* RDPROTECT / WRPROTECT */
#define CDB_RW_FUA          0x08
#define CDB_CONTROL_NACA    0x04   /* last byte of every CDB */

unsigned cdb_group_len(uint8_t opcode)
{
    switch (opcode >> 5) {
    case 0: return 6;
    case 1:
    case 2: return 10;
    case 4: return 16;
    case 5: return 12;
    default: return 0;   /* 3: reserved/variable length, 6-7: vendor */
    }
}

/* True when cdb holds at least the bytes its opcode's group defines. */
static bool cdb_long_enough(const uint8_t *cdb, unsigned cdb_len)
{
    unsigned need = cdb_group_len(cdb[0]);
    return need != 0 && cdb_len >= need;
}

enum cdb_rw_kind cdb_decode_rw(const uint8_t *cdb, unsigned cdb_len, struct cdb_rw *out)
{
    struct cdb_rw rw = {0};

    if (cdb_len == 0)
        return CDB_NOT_RW;
    switch (cdb[0]) {
    case SCSI_OP_READ_6:
    case SCSI_OP_WRITE_6:
    case SCSI_OP_READ_10:
    case SCSI_OP_WRITE_10:
    case SCSI_OP_READ_12:
    case SCSI_OP_WRITE_12:
    case SCSI_OP_READ_16:
    case SCSI_OP_WRITE_16:
        break;
    default:
        return CDB_NOT_RW;
    }
    if (!cdb_long_enough(cdb, cdb_len))
        return CDB_RW_INVALID;
    /* NACA in the control byte asks for ACA, which we do not offer. */
    if (cdb[cdb_group_len(cdb[0]) - 1] & CDB_CONTROL_NACA)
        return CDB_RW_INVALID;

    switch (cdb[0]) {
    case SCSI_OP_READ_6:
    case SCSI_OP_WRITE_6:
        /* 21-bit LBA; no FUA bit in the 6-byte forms. SBC: length 0
         * means 256 blocks for both. */
        rw.lba = ((uint64_t)(cdb[1] & 0x1f) << 16) | get_be16(cdb + 2);
        rw.nblocks = cdb[4] ? cdb[4] : 256;
        rw.write = cdb[0] == SCSI_OP_WRITE_6;
        *out = rw;
        return CDB_RW;
    case SCSI_OP_READ_10:
    case SCSI_OP_WRITE_10:
        rw.lba = get_be32(cdb + 2);
        rw.nblocks = get_be16(cdb + 7);
        break;
    case SCSI_OP_READ_12:
    case SCSI_OP_WRITE_12:
        rw.lba = get_be32(cdb + 2);
        rw.nblocks = get_be32(cdb + 6);
        break;
    default: /* READ_16, WRITE_16 */
        rw.lba = get_be64(cdb + 2);
        rw.nblocks = get_be32(cdb + 10);
        break;
    }
    /* SBC: protection fields set on a LU without protection information
     * are an invalid field. */
    if (cdb[1] & CDB_RW_PROTECT_MASK)
        return CDB_RW_INVALID;
    rw.write = cdb[0] == SCSI_OP_WRITE_10 || cdb[0] == SCSI_OP_WRITE_12 ||
               cdb[0] == SCSI_OP_WRITE_16;
    rw.fua = (cdb[1] & CDB_RW_FUA) != 0;
    *out = rw;
    return CDB_RW;
}

bool cdb_decode_sync(const uint8_t *cdb, unsigned cdb_len, uint64_t *lba, uint32_t *nblocks)
{
    if (cdb_len == 0)
        return false;
    if (cdb[0] == SCSI_OP_SYNCHRONIZE_CACHE_10 && cdb_len >= 10) {
        *lba = get_be32(cdb + 2);
        *nblocks = get_be16(cdb + 7);
        return true;
    }
    if (cdb[0] == SCSI_OP_SYNCHRONIZE_CACHE_16 && cdb_len >= 16) {
        *lba = get_be64(cdb + 2);
        *nblocks = get_be32(cdb + 10);
        return true;
    }
    return false;
}

bool cdb_lba_range_ok(uint64_t lba, uint64_t nblocks, uint64_t nr_blocks)
{
    /* lba + nblocks <= nr_blocks, written so it cannot wrap. */
    return lba <= nr_blocks && nblocks <= nr_blocks - lba;
}

bool cdb_alloc_len(const uint8_t *cdb, unsigned cdb_len, uint32_t *out)
{
    if (cdb_len == 0 || !cdb_long_enough(cdb, cdb_len))
        return false;
    switch (cdb[0]) {
    case SCSI_OP_INQUIRY:
        *out = get_be16(cdb + 3);
        return true;
    case SCSI_OP_REQUEST_SENSE:
    case SCSI_OP_MODE_SENSE_6:
        *out = cdb[4];
        return true;
    case SCSI_OP_MODE_SENSE_10:
        *out = get_be16(cdb + 7);
        return true;
    case SCSI_OP_READ_CAPACITY_10:
        *out = 8;   /* no allocation length field: the response is 8 bytes */
        return true;
    case SCSI_OP_SERVICE_ACTION_IN_16:
        if ((cdb[1] & 0x1f) != SCSI_SAI_READ_CAPACITY_16)
            return false;
        *out = get_be32(cdb + 10);
        return true;
    case SCSI_OP_REPORT_LUNS:
        *out = get_be32(cdb + 6);
        return true;
    default:
        return false;
    }
}

bool cdb_transfer_len(const uint8_t *cdb, unsigned cdb_len, uint32_t block_size,
                      uint64_t *out)
{
    struct cdb_rw rw;
    uint32_t alloc;

    switch (cdb_decode_rw(cdb, cdb_len, &rw)) {
    case CDB_RW:
        /* At most 2^32-1 blocks of a 32-bit size: fits 64 bits. */
        *out = (uint64_t)rw.nblocks * block_size;
        return true;
    case CDB_RW_INVALID:
        return false;
    case CDB_NOT_RW:
        break;
    }
    if (cdb_alloc_len(cdb, cdb_len, &alloc)) {
        *out = alloc;
        return true;
    }
    if (cdb_len == 0 || !cdb_long_enough(cdb, cdb_len))
        return false;
    switch (cdb[0]) {
    case SCSI_OP_TEST_UNIT_READY:
    case SCSI_OP_START_STOP_UNIT:
    case SCSI_OP_SYNCHRONIZE_CACHE_10:
    case SCSI_OP_SYNCHRONIZE_CACHE_16:
        *out = 0;
        return true;
    default:
        return false;
    }
}
