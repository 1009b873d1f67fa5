/* Answering emulated data-in commands into the command's iovecs. */
#include <scsi/sg_lib.h>

#include "emul_cmds.h"
#include "iov_buf.h"
#include "scsi_codes.h"

bool emul_dir_allows(const struct lun_cmd *cmd, bool to_device)
{
    if (cmd->data_len == 0 || cmd->dir == VSCSI_DIR_BIDIRECTIONAL)
        return true;
    return cmd->dir == (to_device ? VSCSI_DIR_TO_DEVICE : VSCSI_DIR_FROM_DEVICE);
}

void emul_invalid_field(struct lun_cmd *cmd)
{
    lun_cmd_check_condition(cmd, SPC_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
}

void emul_reply(struct lun_cmd *cmd, const void *resp, size_t len, uint32_t alloc_len)
{
    /* A data-out buffer may be mapped read-only: never write into it. */
    if (!emul_dir_allows(cmd, false)) {
        emul_invalid_field(cmd);
        return;
    }
    size_t n = len;
    if (n > alloc_len)
        n = alloc_len;
    if (n > cmd->data_len)
        n = cmd->data_len;
    size_t copied = iov_from_buf(cmd->iov, cmd->iov_cnt, resp, n);
    /* copied <= data_len, which is a uint32_t. */
    lun_cmd_good(cmd, cmd->data_len - (uint32_t)copied);
}
