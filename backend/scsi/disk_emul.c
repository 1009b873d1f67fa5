/* The emulated disk's description, its command dispatch, and the small
 * emulated commands (TEST UNIT READY, REQUEST SENSE, READ CAPACITY...). */
#include "disk_emul.h"

#include <errno.h>
#include <string.h>

#include <scsi/sg_lib.h>

#include "be_bytes.h"

#include "emul_cmds.h"
#include "scsi_codes.h"

#define NAA_LOCALLY_ASSIGNED 0x3
#define CDB_CONTROL_NACA     0x04    /* control byte: ACA, which we lack */
#define REQUEST_SENSE_DESC   0x01
#define READ_CAP10_PMI       0x01

int disk_emul_block_size(uint32_t requested, uint32_t *out)
{
    if (requested == 0)
        requested = 512;
    if (requested != 512 && requested != 4096)
        return -EINVAL;
    *out = requested;
    return 0;
}

/* FNV-1a, 64 bits: a stable, well-spread hash of the identity string. */
static uint64_t identity_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) {
        h ^= (uint8_t)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

int disk_emul_init(struct disk_emul *d, const struct disk_emul_params *p)
{
    static const char hex[] = "0123456789ABCDEF";
    uint32_t bs;

    if (!p->product || !p->identity || disk_emul_block_size(p->block_size, &bs) < 0 ||
        bs != p->block_size || p->nr_blocks == 0 ||
        p->nr_blocks > (uint64_t)INT64_MAX / bs)   /* byte offsets fit off_t */
        return -EINVAL;
    size_t plen = strlen(p->product);
    if (plen == 0 || plen > DISK_EMUL_PRODUCT_LEN)
        return -EINVAL;
    for (size_t i = 0; i < plen; i++)
        if (p->product[i] < 0x20 || p->product[i] > 0x7e)
            return -EINVAL;

    memset(d, 0, sizeof(*d));
    d->nr_blocks = p->nr_blocks;
    d->block_size = bs;
    d->read_only = p->read_only;
    d->write_cache = p->write_cache;
    memset(d->product, ' ', sizeof(d->product));
    memcpy(d->product, p->product, plen);

    uint64_t h = identity_hash(p->identity);
    for (int i = 0; i < DISK_EMUL_SERIAL_LEN; i++)
        d->serial[i] = hex[(h >> (60 - 4 * i)) & 0xf];
    /* NAA 3: the 4-bit NAA field, then 60 locally administered bits. */
    d->naa = ((uint64_t)NAA_LOCALLY_ASSIGNED << 60) | (h & ((UINT64_C(1) << 60) - 1));
    return 0;
}

static void emul_request_sense(struct lun_cmd *cmd)
{
    /* Sense is always returned with the failing command (autosense), so
     * there is never a pending condition: NO SENSE. */
    uint8_t b[18] = {0};
    bool desc = cmd->cdb[1] & REQUEST_SENSE_DESC;
    uint32_t alloc;

    if (!cdb_alloc_len(cmd->cdb, cmd->cdb_len, &alloc)) {
        emul_invalid_field(cmd);
        return;
    }
    sg_build_sense_buffer(desc, b, SPC_SK_NO_SENSE, SCSI_ASC_NO_ADDITIONAL_SENSE);
    emul_reply(cmd, b, desc ? 8 : 18, alloc);
}

static void emul_read_capacity_10(const struct disk_emul *d, struct lun_cmd *cmd)
{
    uint8_t b[8];
    uint64_t last = d->nr_blocks - 1;

    /* SBC-3: without PMI the LBA field must be zero. */
    if (!(cmd->cdb[8] & READ_CAP10_PMI) && get_be32(cmd->cdb + 2) != 0) {
        emul_invalid_field(cmd);
        return;
    }
    /* 0xffffffff tells the initiator to use READ CAPACITY(16). */
    put_be32(last > UINT32_MAX ? UINT32_MAX : (uint32_t)last, b);
    put_be32(d->block_size, b + 4);
    emul_reply(cmd, b, sizeof(b), sizeof(b));
}

static void emul_read_capacity_16(const struct disk_emul *d, struct lun_cmd *cmd)
{
    uint8_t b[32] = {0};
    uint32_t alloc;

    if (!cdb_alloc_len(cmd->cdb, cmd->cdb_len, &alloc)) {
        emul_invalid_field(cmd);   /* another service action */
        return;
    }
    /* No protection, one logical block per physical block, aligned. */
    put_be64(d->nr_blocks - 1, b);
    put_be32(d->block_size, b + 8);
    emul_reply(cmd, b, sizeof(b), alloc);
}

enum disk_action disk_emul_dispatch(const struct disk_emul *d, struct lun_cmd *cmd,
                                    struct disk_io *io)
{
    struct cdb_rw rw;

    switch (cdb_decode_rw(cmd->cdb, cmd->cdb_len, &rw)) {
    case CDB_RW:
        return emul_check_rw(d, cmd, &rw, io);
    case CDB_RW_INVALID:
        emul_invalid_field(cmd);
        return DISK_DONE;
    case CDB_NOT_RW:
        break;
    }

    uint8_t op = cmd->cdb_len ? cmd->cdb[0] : 0xff;
    switch (op) {
    case SCSI_OP_TEST_UNIT_READY:
    case SCSI_OP_REQUEST_SENSE:
    case SCSI_OP_INQUIRY:
    case SCSI_OP_MODE_SENSE_6:
    case SCSI_OP_START_STOP_UNIT:
    case SCSI_OP_READ_CAPACITY_10:
    case SCSI_OP_SYNCHRONIZE_CACHE_10:
    case SCSI_OP_MODE_SENSE_10:
    case SCSI_OP_SYNCHRONIZE_CACHE_16:
    case SCSI_OP_SERVICE_ACTION_IN_16:
        break;
    default:
        lun_cmd_check_condition(cmd, SPC_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_OPCODE);
        return DISK_DONE;
    }
    /* A known command: its CDB must be complete and must not ask for ACA. */
    unsigned need = cdb_group_len(op);
    if (cmd->cdb_len < need || (cmd->cdb[need - 1] & CDB_CONTROL_NACA)) {
        emul_invalid_field(cmd);
        return DISK_DONE;
    }

    switch (op) {
    case SCSI_OP_TEST_UNIT_READY:
    case SCSI_OP_START_STOP_UNIT:   /* nothing to spin: always ready */
        lun_cmd_good(cmd, cmd->data_len);
        return DISK_DONE;
    case SCSI_OP_REQUEST_SENSE:
        emul_request_sense(cmd);
        return DISK_DONE;
    case SCSI_OP_INQUIRY:
        emul_inquiry(d, cmd);
        return DISK_DONE;
    case SCSI_OP_MODE_SENSE_6:
    case SCSI_OP_MODE_SENSE_10:
        emul_mode_sense(d, cmd);
        return DISK_DONE;
    case SCSI_OP_READ_CAPACITY_10:
        emul_read_capacity_10(d, cmd);
        return DISK_DONE;
    case SCSI_OP_SERVICE_ACTION_IN_16:
        emul_read_capacity_16(d, cmd);
        return DISK_DONE;
    default: /* SYNCHRONIZE CACHE 10/16 */
        return emul_check_sync(d, cmd, io);
    }
}
