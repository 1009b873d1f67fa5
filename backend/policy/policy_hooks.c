#include "policy_hooks.h"

#include <scsi/sg_lib.h>

#include "answer_fixup.h"
#include "cmd_class.h"
#include "log.h"
#include "ring_stats.h"
#include "scsi_codes.h"

/* The sense of a refusal: fixed format (lun_cmd_check_condition), with
 * the sense-key specific field pointer at the CDB byte at fault for
 * INVALID FIELD IN CDB (SPC-4 4.5.2.4.2: SKSV, C/D = CDB). */
static void answer_refusal(struct lun_cmd *cmd, const struct policy_decision *d)
{
    switch (d->verdict) {
    case POLICY_WRITE_PROTECT:
        lun_cmd_check_condition(cmd, SPC_SK_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
        break;
    case POLICY_DENY_FIELD:
        lun_cmd_check_condition(cmd, SPC_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
        cmd->sense[15] = 0x80 | 0x40;
        cmd->sense[16] = 0;
        cmd->sense[17] = d->field_byte;
        break;
    default:
        lun_cmd_check_condition(cmd, SPC_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_OPCODE);
        break;
    }
}

static void log_refusal(const struct lun *lun, const struct lun_cmd *cmd,
                        const struct policy_decision *d)
{
    const struct lun_policy *p = &lun->policy;
    char name[80];
    sg_get_opcode_name(cmd->cdb[0], p->ptype < 0 ? 0 : p->ptype, (int)sizeof(name), name);
    char why[48];
    if (d->verdict == POLICY_WRITE_PROTECT)
        snprintf(why, sizeof(why), "the LUN is read-only");
    else if (d->cls >= 0)
        snprintf(why, sizeof(why), "class %s denied", policy_class_name(d->cls));
    else
        snprintf(why, sizeof(why), "opcode denied");
    log_warn("%s: %s (opcode 0x%02x) refused: %s; answered %s. Further refusals of "
             "opcode 0x%02x on this LUN are counted (denied), not logged",
             p->name, name, cmd->cdb[0], why,
             d->verdict == POLICY_WRITE_PROTECT ? "DATA PROTECT, WRITE PROTECTED"
             : d->verdict == POLICY_DENY_FIELD  ? "ILLEGAL REQUEST, INVALID FIELD IN CDB"
                                                : "ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE",
             cmd->cdb[0]);
}

bool lun_policy_refuse(struct lun *lun, struct lun_cmd *cmd, uint32_t data_len,
                       uint64_t *denied)
{
    struct lun_policy *p = &lun->policy;
    struct policy_decision d;
    uint8_t v = p->table[cmd->cdb[0]];
    if (v == POLICY_INSPECT)
        d = lun_policy_decide(p, cmd->cdb, cmd->cdb_len);
    else
        d = (struct policy_decision){.verdict = (enum policy_verdict)v, .cls = -1};
    if (d.verdict == POLICY_PASS)
        return false;
    if (v != POLICY_INSPECT)
        d = lun_policy_decide(p, cmd->cdb, cmd->cdb_len);   /* the reason, for the log */
    cmd->data_len = data_len;      /* nothing of it moves */
    cmd->iov = NULL;
    cmd->iov_cnt = 0;
    answer_refusal(cmd, &d);
    RING_COUNTER_ADD(*denied, 1);
    if (lun_policy_first_refusal(p, cmd->cdb[0]))
        log_refusal(lun, cmd, &d);
    return true;
}

void lun_policy_fix_answer(struct lun *lun, struct lun_cmd *cmd)
{
    const struct lun_policy *p = &lun->policy;
    /* Only data that came from the device, and only what did. */
    if (cmd->host != XEN_VSCSIIF_RSLT_HOST_OK || !cmd->iov_cnt ||
        cmd->dir != VSCSI_DIR_FROM_DEVICE || cmd->residual >= cmd->data_len)
        return;
    uint32_t got = cmd->data_len - cmd->residual;
    const uint8_t *cdb = cmd->cdb;
    if (cdb[0] == 0x1a || cdb[0] == 0x5a) {
        /* Disks and tapes have WP there (SBC-3 6.4.1, SSC-4 8.3.3);
         * elsewhere the field means something else or nothing. */
        bool wp_field = p->ptype == PTYPE_DISK || p->ptype == PTYPE_TAPE ||
                        p->ptype == PTYPE_RBC || p->ptype == PTYPE_OPTICAL ||
                        p->ptype == PTYPE_WORM || p->ptype == PTYPE_UNKNOWN;
        if (p->read_only && wp_field)
            fixup_mode_sense_wp(cmd->iov, cmd->iov_cnt, got, cdb[0] == 0x5a);
        return;
    }
    /* 0xa3 is SEND KEY on a CD/DVD drive. */
    if (cdb[0] == 0xa3 && (cdb[1] & 0x1f) == 0x0c && p->ptype != PTYPE_CDROM &&
        cmd->cdb_len >= 12) {
        uint32_t left = fixup_report_opcodes(p, cdb, cmd->iov, cmd->iov_cnt, got);
        cmd->residual += got - left;
    }
}
