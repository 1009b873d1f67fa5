/* INQUIRY for the emulated disk: standard data and VPD pages 0x00, 0x80,
 * 0x83, 0xb0, 0xb1 (SPC-4 6.6 and 7.8, SBC-3 6.6). */
#include <string.h>

#include "be_bytes.h"

#include "emul_cmds.h"

#define INQ_EVPD         0x01
#define INQ_STD_LEN      74      /* up to the last version descriptor */
#define INQ_VERSION_SPC4 0x06
#define INQ_RESP_FMT_2   0x02
#define INQ_CMDQUE       0x02    /* byte 7: several commands in flight */

/* Version descriptors (SPC-4 table 32), "no version claimed" forms. */
#define VD_SAM5 0x00a0
#define VD_SPC4 0x0460
#define VD_SBC3 0x04c0

#define VPD_SUPPORTED   0x00
#define VPD_SERIAL      0x80
#define VPD_DEVICE_ID   0x83
#define VPD_BLOCK_LIMITS 0xb0
#define VPD_BLOCK_CHARS 0xb1

/* Designation descriptor header (SPC-4 7.8.6.1). */
#define DESIG_CODE_BINARY 0x01
#define DESIG_CODE_ASCII  0x02
#define DESIG_TYPE_T10    0x01   /* association 0: the logical unit */
#define DESIG_TYPE_NAA    0x03

/* Large enough for every response below (the largest is 74 bytes). */
#define INQ_BUF_LEN 96
_Static_assert(INQ_STD_LEN <= INQ_BUF_LEN && 64 <= INQ_BUF_LEN, "responses fit");

static size_t inquiry_standard(const struct disk_emul *d, uint8_t *b)
{
    static const uint16_t versions[] = {VD_SAM5, VD_SPC4, VD_SBC3};

    b[0] = 0x00;                  /* connected, direct-access block device */
    b[2] = INQ_VERSION_SPC4;
    b[3] = INQ_RESP_FMT_2;
    b[4] = INQ_STD_LEN - 5;       /* additional length: bytes after byte 4 */
    b[7] = INQ_CMDQUE;
    memcpy(b + 8, DISK_EMUL_VENDOR, 8);
    memcpy(b + 16, d->product, DISK_EMUL_PRODUCT_LEN);
    memcpy(b + 32, DISK_EMUL_REVISION, 4);
    for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
        put_be16(versions[i], b + 58 + 2 * i);
    return INQ_STD_LEN;
}

/* Writes the 4-byte VPD header and returns the page's full length. */
static size_t vpd_finish(uint8_t *b, uint8_t page, size_t len)
{
    b[0] = 0x00;
    b[1] = page;
    put_be16((uint16_t)(len - 4), b + 2);
    return len;
}

static size_t vpd_supported(uint8_t *b)
{
    static const uint8_t pages[] = {
        VPD_SUPPORTED, VPD_SERIAL, VPD_DEVICE_ID, VPD_BLOCK_LIMITS, VPD_BLOCK_CHARS,
    };
    memcpy(b + 4, pages, sizeof(pages));
    return vpd_finish(b, VPD_SUPPORTED, 4 + sizeof(pages));
}

static size_t vpd_serial(const struct disk_emul *d, uint8_t *b)
{
    memcpy(b + 4, d->serial, DISK_EMUL_SERIAL_LEN);
    return vpd_finish(b, VPD_SERIAL, 4 + DISK_EMUL_SERIAL_LEN);
}

static size_t vpd_device_id(const struct disk_emul *d, uint8_t *b)
{
    size_t n = 4;

    /* NAA type 3, locally assigned: 8 bytes, binary. */
    b[n] = DESIG_CODE_BINARY;
    b[n + 1] = DESIG_TYPE_NAA;
    b[n + 3] = 8;
    put_be64(d->naa, b + n + 4);
    n += 4 + 8;

    /* T10 vendor ID: the vendor, then our serial number. */
    b[n] = DESIG_CODE_ASCII;
    b[n + 1] = DESIG_TYPE_T10;
    b[n + 3] = 8 + DISK_EMUL_SERIAL_LEN;
    memcpy(b + n + 4, DISK_EMUL_VENDOR, 8);
    memcpy(b + n + 12, d->serial, DISK_EMUL_SERIAL_LEN);
    n += 4 + 8 + DISK_EMUL_SERIAL_LEN;

    return vpd_finish(b, VPD_DEVICE_ID, n);
}

static size_t vpd_block_limits(const struct disk_emul *d, uint8_t *b)
{
    /* Granularity: a 4 KiB page, so 8 blocks of 512 bytes. */
    uint32_t gran = d->block_size < 4096 ? 4096 / d->block_size : 1;
    uint32_t max_blocks = DISK_EMUL_MAX_TRANSFER_BYTES / d->block_size;

    put_be16((uint16_t)gran, b + 6);
    put_be32(max_blocks, b + 8);     /* maximum transfer length */
    put_be32(max_blocks, b + 12);    /* optimal transfer length */
    return vpd_finish(b, VPD_BLOCK_LIMITS, 64);
}

static size_t vpd_block_chars(uint8_t *b)
{
    put_be16(0x0001, b + 4);          /* non-rotating medium */
    return vpd_finish(b, VPD_BLOCK_CHARS, 64);
}

void emul_inquiry(const struct disk_emul *d, struct lun_cmd *cmd)
{
    uint8_t b[INQ_BUF_LEN] = {0};
    uint32_t alloc;
    size_t len;

    /* CmdDt and the obsolete bits must be zero (SPC-4). */
    if ((cmd->cdb[1] & (uint8_t)~INQ_EVPD) || !cdb_alloc_len(cmd->cdb, cmd->cdb_len, &alloc)) {
        emul_invalid_field(cmd);
        return;
    }
    if (!(cmd->cdb[1] & INQ_EVPD)) {
        if (cmd->cdb[2] != 0) {
            emul_invalid_field(cmd);
            return;
        }
        len = inquiry_standard(d, b);
    } else {
        switch (cmd->cdb[2]) {
        case VPD_SUPPORTED:    len = vpd_supported(b); break;
        case VPD_SERIAL:       len = vpd_serial(d, b); break;
        case VPD_DEVICE_ID:    len = vpd_device_id(d, b); break;
        case VPD_BLOCK_LIMITS: len = vpd_block_limits(d, b); break;
        case VPD_BLOCK_CHARS:  len = vpd_block_chars(b); break;
        default:
            emul_invalid_field(cmd);
            return;
        }
    }
    emul_reply(cmd, b, len, alloc);
}
