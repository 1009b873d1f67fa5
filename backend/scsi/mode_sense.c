/* MODE SENSE 6 and 10 for the emulated disk (SPC-4 6.13/6.14, SBC-3 6.4):
 * the caching and control pages, nothing changeable, nothing saveable. */
#include <string.h>

#include <scsi/sg_lib.h>

#include "be_bytes.h"

#include "emul_cmds.h"
#include "scsi_codes.h"

#define MS_DBD     0x08        /* byte 1: disable block descriptors */
#define MS_LLBAA   0x10        /* byte 1 (MODE SENSE 10): long LBA descriptor */
#define MS_PC_CHANGEABLE 1
#define MS_PC_SAVED      3

#define MS_DEV_WP     0x80     /* device-specific parameter: write protected */
#define MS_DEV_DPOFUA 0x10     /* device-specific parameter: FUA supported */
#define MS_HDR_LONGLBA 0x01    /* MODE SENSE 10 header byte 4 */

#define PAGE_CACHING  0x08
#define PAGE_CONTROL  0x0a
#define PAGE_ALL      0x3f
#define SUBPAGE_ALL   0xff

#define CACHING_LEN   20
#define CACHING_WCE   0x04
#define CONTROL_LEN   12
#define CONTROL_QAM_UNRESTRICTED 0x10   /* commands may be reordered */

/* Header 8 + long descriptor 16 + both pages, rounded up. */
#define MS_BUF_LEN 64
_Static_assert(8 + 16 + CACHING_LEN + CONTROL_LEN <= MS_BUF_LEN, "mode data fits");

static size_t page_caching(const struct disk_emul *d, uint8_t *b, unsigned pc)
{
    b[0] = PAGE_CACHING;
    b[1] = CACHING_LEN - 2;
    if (pc != MS_PC_CHANGEABLE && d->write_cache)
        b[2] = CACHING_WCE;
    return CACHING_LEN;
}

static size_t page_control(uint8_t *b, unsigned pc)
{
    b[0] = PAGE_CONTROL;
    b[1] = CONTROL_LEN - 2;
    if (pc != MS_PC_CHANGEABLE)
        b[3] = CONTROL_QAM_UNRESTRICTED;
    return CONTROL_LEN;
}

/* The block descriptor (SBC-3 6.4.2): short with a 32-bit block count
 * saturated at 0xffffffff, or long with a 64-bit one. */
static size_t block_descriptor(const struct disk_emul *d, uint8_t *b, bool longlba)
{
    if (longlba) {
        put_be64(d->nr_blocks, b);
        put_be32(d->block_size, b + 12);
        return 16;
    }
    put_be32(d->nr_blocks > UINT32_MAX ? UINT32_MAX : (uint32_t)d->nr_blocks, b);
    /* Byte 4 reserved, bytes 5-7 the block length (<= 4096 fits 24 bits). */
    b[5] = (uint8_t)(d->block_size >> 16);
    b[6] = (uint8_t)(d->block_size >> 8);
    b[7] = (uint8_t)d->block_size;
    return 8;
}

void emul_mode_sense(const struct disk_emul *d, struct lun_cmd *cmd)
{
    const uint8_t *cdb = cmd->cdb;
    bool ten = cdb[0] == SCSI_OP_MODE_SENSE_10;
    bool dbd = cdb[1] & MS_DBD;
    bool longlba = ten && (cdb[1] & MS_LLBAA);
    unsigned pc = cdb[2] >> 6, page = cdb[2] & 0x3f, subpage = cdb[3];
    size_t hdr = ten ? 8 : 4, n;
    uint8_t b[MS_BUF_LEN] = {0};
    uint32_t alloc;

    if (!cdb_alloc_len(cdb, cmd->cdb_len, &alloc)) {
        emul_invalid_field(cmd);
        return;
    }
    if (pc == MS_PC_SAVED) {
        lun_cmd_check_condition(cmd, SPC_SK_ILLEGAL_REQUEST,
                                SCSI_ASC_SAVING_PARAMS_UNSUPPORTED);
        return;
    }
    if (page != PAGE_CACHING && page != PAGE_CONTROL && page != PAGE_ALL) {
        emul_invalid_field(cmd);
        return;
    }
    /* No subpages: only subpage 0, or "all subpages" with all pages. */
    if (subpage != 0 && !(page == PAGE_ALL && subpage == SUBPAGE_ALL)) {
        emul_invalid_field(cmd);
        return;
    }

    n = hdr;
    size_t bd_len = dbd ? 0 : block_descriptor(d, b + n, longlba);
    n += bd_len;
    /* Pages in ascending page code order. */
    if (page == PAGE_CACHING || page == PAGE_ALL)
        n += page_caching(d, b + n, pc);
    if (page == PAGE_CONTROL || page == PAGE_ALL)
        n += page_control(b + n, pc);

    uint8_t dev_specific = MS_DEV_DPOFUA | (d->read_only ? MS_DEV_WP : 0);
    if (ten) {
        put_be16((uint16_t)(n - 2), b);   /* mode data length */
        b[3] = dev_specific;
        b[4] = longlba && bd_len ? MS_HDR_LONGLBA : 0;
        put_be16((uint16_t)bd_len, b + 6);
    } else {
        b[0] = (uint8_t)(n - 1);
        b[2] = dev_specific;
        b[3] = (uint8_t)bd_len;
    }
    emul_reply(cmd, b, n, alloc);
}
