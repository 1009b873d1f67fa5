/* Shared helpers of the LUN handler interface and the handler registry. */
#include <string.h>

#include <scsi/sg_lib.h>

#include "lun.h"
#include "result.h"

extern const struct lun_ops lun_file_ops;
extern const struct lun_ops lun_null_ops;
extern const struct lun_ops lun_sg_ops;

/* Order matters: prefixed forms first, sg (h:c:t:l, naa., /dev/sgN) last. */
static const struct lun_ops *const handlers[] = {
    &lun_file_ops,
    &lun_null_ops,
    &lun_sg_ops,
};

const struct lun_ops *lun_ops_for_pdev(const char *pdev)
{
    for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
        if (handlers[i]->claims(pdev))
            return handlers[i];
    return NULL;
}

/* Commands that report and change nothing, on any device type. */
static bool reports_only(uint8_t op)
{
    switch (op) {
    case 0x00:   /* TEST UNIT READY */
    case 0x05:   /* READ BLOCK LIMITS (tape) */
    case 0x12:   /* INQUIRY */
    case 0x1a:   /* MODE SENSE(6) */
    case 0x25:   /* READ CAPACITY(10) */
    case 0x34:   /* READ POSITION (tape); PRE-FETCH(10) on a disk */
    case 0x4d:   /* LOG SENSE */
    case 0x5a:   /* MODE SENSE(10) */
    case 0x9e:   /* SERVICE ACTION IN(16): READ CAPACITY(16)... */
    case 0xa0:   /* REPORT LUNS */
    case 0xb8:   /* READ ELEMENT STATUS (changer) */
        return true;
    default:
        return false;
    }
}

bool lun_cmd_repeatable(const struct lun *lun, const uint8_t *cdb)
{
    if (reports_only(cdb[0]))
        return true;
    /* Direct access and simplified direct access (RBC) block devices. */
    if (lun->peripheral_type != 0x00 && lun->peripheral_type != 0x0e)
        return false;
    switch (cdb[0]) {
    case 0x04:   /* FORMAT UNIT */
    case 0x3b:   /* WRITE BUFFER (microcode) */
    case 0x48:   /* SANITIZE */
    case 0x5f:   /* PERSISTENT RESERVE OUT */
    case 0x89:   /* COMPARE AND WRITE */
    case 0xa4:   /* MAINTENANCE OUT */
        return false;
    default:
        return true;
    }
}

struct io_uring_sqe *lun_get_sqe(struct io_uring *ring)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    if (sqe)
        return sqe;
    if (io_uring_submit(ring) < 0)
        return NULL;
    return io_uring_get_sqe(ring);
}

void lun_cmd_good(struct lun_cmd *cmd, uint32_t residual)
{
    cmd->status = VSCSI_STATUS_GOOD;
    cmd->host = XEN_VSCSIIF_RSLT_HOST_OK;
    cmd->sense_len = 0;
    cmd->residual = residual > cmd->data_len ? cmd->data_len : residual;
}

void lun_cmd_check_condition(struct lun_cmd *cmd, uint8_t key, uint8_t asc, uint8_t ascq)
{
    /* Fixed format (response code 0x70): what Linux's frontend and every
     * tape/changer tool expect from a plain device. 18 bytes. */
    memset(cmd->sense, 0, sizeof(cmd->sense));
    sg_build_sense_buffer(false, cmd->sense, key, asc, ascq);
    cmd->sense_len = 18;
    cmd->status = VSCSI_STATUS_CHECK_CONDITION;
    cmd->host = XEN_VSCSIIF_RSLT_HOST_OK;
    cmd->residual = cmd->data_len;
}

void lun_cmd_host_error(struct lun_cmd *cmd, uint8_t host)
{
    cmd->status = VSCSI_STATUS_GOOD;
    cmd->host = host;
    cmd->sense_len = 0;
    cmd->residual = cmd->data_len;
}
