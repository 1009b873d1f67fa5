#include "sg_io.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <sys/uio.h>

/* sg takes the iovec array as its sg_iovec_t list unchanged. */
_Static_assert(sizeof(struct iovec) == sizeof(sg_iovec_t), "iovec size");
_Static_assert(offsetof(struct iovec, iov_base) == offsetof(sg_iovec_t, iov_base), "iov_base");
_Static_assert(offsetof(struct iovec, iov_len) == offsetof(sg_iovec_t, iov_len), "iov_len");
_Static_assert(sizeof(((struct iovec *)0)->iov_len) == sizeof(((sg_iovec_t *)0)->iov_len),
               "iov_len size");

/* Peripheral device types counted as disks: direct access and host-managed
 * zoned (what pscsi gives its disk timeout). */
#define TYPE_DISK 0x00
#define TYPE_ZBC  0x14

/* sg_new_write() refuses shorter CDBs (-EMSGSIZE). */
#define SG_MIN_CDB 6

uint32_t sg_io_default_timeout_ms(int scsi_type)
{
    return (scsi_type == TYPE_DISK || scsi_type == TYPE_ZBC) ? SG_IO_TIMEOUT_DISK_MS
                                                              : SG_IO_TIMEOUT_OTHER_MS;
}

static int sg_direction(enum vscsi_dir dir, int *out)
{
    switch (dir) {
    case VSCSI_DIR_TO_DEVICE:
        *out = SG_DXFER_TO_DEV;
        return 0;
    case VSCSI_DIR_FROM_DEVICE:
        *out = SG_DXFER_FROM_DEV;
        return 0;
    case VSCSI_DIR_NONE:
        *out = SG_DXFER_NONE;
        return 0;
    case VSCSI_DIR_BIDIRECTIONAL:
        /* sg v3 has no true bidirectional transfer: TO_FROM_DEV is a data-in
         * transfer whose kernel buffer is first filled from ours. */
        *out = SG_DXFER_TO_FROM_DEV;
        return 0;
    }
    return -EINVAL;
}

/* The iovecs must add up to data_len exactly (sg would use the shorter). */
static int check_data(const struct lun_cmd *cmd)
{
    if (cmd->iov_cnt == 0)
        return cmd->data_len == 0 ? 0 : -EINVAL;
    if (!cmd->iov || cmd->iov_cnt > UIO_MAXIOV)
        return -EINVAL;
    uint64_t sum = 0;
    for (unsigned i = 0; i < cmd->iov_cnt; i++)
        sum += cmd->iov[i].iov_len;
    return sum == cmd->data_len ? 0 : -EINVAL;
}

int sg_io_build(struct sg_io_hdr *hdr, struct lun_cmd *cmd, int pack_id,
                uint32_t default_timeout_ms)
{
    int dir;

    if (pack_id < 0 || cmd->cdb_len < SG_MIN_CDB || cmd->cdb_len > VSCSIIF_MAX_COMMAND_SIZE)
        return -EINVAL;
    if (sg_direction(cmd->dir, &dir) < 0 || check_data(cmd) < 0)
        return -EINVAL;
    if (cmd->dir == VSCSI_DIR_NONE && cmd->iov_cnt > 0)
        return -EINVAL;

    memset(hdr, 0, sizeof(*hdr));
    hdr->interface_id = 'S';
    hdr->dxfer_direction = dir;
    hdr->cmd_len = cmd->cdb_len;
    hdr->cmdp = cmd->cdb;
    hdr->mx_sb_len = SG_IO_SENSE_MAX;
    hdr->sbp = cmd->sense;
    hdr->dxfer_len = cmd->data_len;
    if (cmd->iov_cnt == 1) {
        hdr->dxferp = cmd->iov[0].iov_base;
    } else if (cmd->iov_cnt > 1) {
        hdr->iovec_count = (unsigned short)cmd->iov_cnt;   /* <= UIO_MAXIOV */
        /* sg only reads the list (import_iovec); dxferp is not const. */
        hdr->dxferp = (void *)(uintptr_t)cmd->iov;
    }
    hdr->timeout = cmd->timeout_ms ? cmd->timeout_ms : default_timeout_ms;
    hdr->flags = SG_FLAG_Q_AT_TAIL;
    /* One buffer of our own: ask sg to move the data straight between the
     * device and it rather than through sg's own buffer, which for
     * transfers beyond its reserved 32 KiB it allocates, zeroes and copies
     * per command. sg grants it only where
     * /sys/module/sg/parameters/allow_dio is 1 and the buffer is aligned;
     * otherwise it copies as without the flag. Never on the guest's mapped
     * pages: a lower layer may hold them past the command (iSCSI sends
     * them zero-copy), gntdev then unmaps the grants late, and the guest,
     * answered, finds its grants still in use and gives the device up. */
    if (cmd->iov_cnt == 1 && cmd->iov_private)
        hdr->flags |= SG_FLAG_DIRECT_IO;
    hdr->pack_id = pack_id;
    hdr->usr_ptr = cmd;
    return 0;
}

/* Host byte: the adapter's DID_* value (equal to XEN_VSCSIIF_RSLT_HOST_*),
 * refined by the driver byte older kernels still report. */
static uint8_t host_byte(const struct sg_io_hdr *hdr)
{
    unsigned driver = hdr->driver_status & SG_IO_DRIVER_MASK;

    if (hdr->host_status > UINT8_MAX)
        return XEN_VSCSIIF_RSLT_HOST_ERROR;   /* no DID_ value is that big */
    if (driver == SG_IO_DRIVER_TIMEOUT)
        return XEN_VSCSIIF_RSLT_HOST_TIME_OUT;
    if (hdr->host_status != XEN_VSCSIIF_RSLT_HOST_OK)
        return (uint8_t)hdr->host_status;
    if (driver == SG_IO_DRIVER_BUSY)
        return XEN_VSCSIIF_RSLT_HOST_BUS_BUSY;
    if (driver == SG_IO_DRIVER_ERROR || driver == SG_IO_DRIVER_INVALID ||
        driver == SG_IO_DRIVER_HARD)
        return XEN_VSCSIIF_RSLT_HOST_ERROR;
    return XEN_VSCSIIF_RSLT_HOST_OK;   /* OK, SENSE, SOFT, MEDIA: status says it */
}

bool sg_io_was_direct(const struct sg_io_hdr *hdr)
{
    return hdr->dxfer_len > 0 && (hdr->info & SG_INFO_DIRECT_IO_MASK) == SG_INFO_DIRECT_IO;
}

void sg_io_map_result(const struct sg_io_hdr *hdr, struct lun_cmd *cmd)
{
    cmd->status = hdr->status;
    cmd->host = host_byte(hdr);
    cmd->sense_len = hdr->sb_len_wr < SG_IO_SENSE_MAX ? hdr->sb_len_wr : SG_IO_SENSE_MAX;
    if (hdr->resid <= 0)
        cmd->residual = 0;
    else
        cmd->residual = (uint32_t)hdr->resid < cmd->data_len ? (uint32_t)hdr->resid
                                                             : cmd->data_len;
}

uint8_t sg_io_host_for_errno(int err)
{
    switch (err) {
    case EAGAIN:
    case ENOMEM:
    case EBUSY:
    case EDOM:
        return XEN_VSCSIIF_RSLT_HOST_BUS_BUSY;
    default:
        return XEN_VSCSIIF_RSLT_HOST_ERROR;
    }
}
