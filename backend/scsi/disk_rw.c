/* Validating READ/WRITE and SYNCHRONIZE CACHE against the emulated disk:
 * data direction, buffer length, LBA range, write protection. */
#include <scsi/sg_lib.h>

#include "emul_cmds.h"
#include "scsi_codes.h"

enum disk_action emul_check_rw(const struct disk_emul *d, struct lun_cmd *cmd,
                               const struct cdb_rw *rw, struct disk_io *io)
{
    /* Fits: at most 2^32-1 blocks of at most 4096 bytes. */
    uint64_t bytes = (uint64_t)rw->nblocks * d->block_size;

    if (!emul_dir_allows(cmd, rw->write)) {
        emul_invalid_field(cmd);
        return DISK_DONE;
    }
    /* A write with less data than its CDB announces is refused outright,
     * as Linux's target core does, rather than writing part of a block. */
    if (rw->write && cmd->data_len < bytes) {
        emul_invalid_field(cmd);
        return DISK_DONE;
    }
    if (!cdb_lba_range_ok(rw->lba, rw->nblocks, d->nr_blocks)) {
        lun_cmd_check_condition(cmd, SPC_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
        return DISK_DONE;
    }
    if (rw->write && d->read_only) {
        lun_cmd_check_condition(cmd, SPC_SK_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
        return DISK_DONE;
    }
    /* A short read buffer gets what fits; extra buffer is residual. */
    uint32_t len = bytes < cmd->data_len ? (uint32_t)bytes : cmd->data_len;
    if (len == 0) {
        lun_cmd_good(cmd, cmd->data_len);
        return DISK_DONE;
    }
    /* lba < nr_blocks and nr_blocks * block_size is the disk's byte size,
     * which the handler checked fits an off_t. */
    io->offset = rw->lba * d->block_size;
    io->len = len;
    io->fua = rw->write && rw->fua;
    return rw->write ? DISK_WRITE : DISK_READ;
}

enum disk_action emul_check_sync(const struct disk_emul *d, struct lun_cmd *cmd,
                                 struct disk_io *io)
{
    uint64_t lba;
    uint32_t nblocks;

    if (!cdb_decode_sync(cmd->cdb, cmd->cdb_len, &lba, &nblocks)) {
        emul_invalid_field(cmd);
        return DISK_DONE;
    }
    /* nblocks 0 means "to the last block": only lba itself must be valid. */
    if (!cdb_lba_range_ok(lba, nblocks, d->nr_blocks)) {
        lun_cmd_check_condition(cmd, SPC_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
        return DISK_DONE;
    }
    /* The whole store is flushed: cheaper than tracking ranges, and a
     * superset of what was asked. */
    io->offset = 0;
    io->len = 0;
    io->fua = false;
    return DISK_SYNC;
}
