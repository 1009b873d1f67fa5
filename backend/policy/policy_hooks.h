/*
 * The two points where the request engine (dispatch.c) meets a LUN's
 * command policy (lun_policy.h):
 *
 *   route:  lun_policy_refused() before a CDB goes to its LUN's handler:
 *           true when the policy refuses it, with the answer in cmd (no
 *           data moves; the device never sees it).
 *   answer: lun_policy_answer() when a command has finished, before its
 *           data goes back to the guest: fixes MODE SENSE and REPORT
 *           SUPPORTED OPERATION CODES answers (answer_fixup.h).
 *
 * Both are one test of the LUN's `on` flag when it has no policy.
 */
#ifndef PVSCSID_POLICY_HOOKS_H
#define PVSCSID_POLICY_HOOKS_H

#include <stdbool.h>
#include <stdint.h>

#include "lun.h"

bool lun_policy_refuse(struct lun *lun, struct lun_cmd *cmd, uint32_t data_len,
                       uint64_t *denied);
void lun_policy_fix_answer(struct lun *lun, struct lun_cmd *cmd);

/* cmd's inputs are set (CDB, length, direction); data_len is the request's
 * data length (all of it is the residual of a refusal). A refusal is
 * counted in *denied (the ring's counter) and logged on the first refusal
 * of its opcode on this LUN. */
static inline bool lun_policy_refused(struct lun *lun, struct lun_cmd *cmd, uint32_t data_len,
                                      uint64_t *denied)
{
    const struct lun_policy *p = &lun->policy;
    if (__builtin_expect(!p->on || p->table[cmd->cdb[0]] == POLICY_PASS, 1))
        return false;
    return lun_policy_refuse(lun, cmd, data_len, denied);
}

/* lun NULL: an emulated command (REPORT LUNS), nothing to do. */
static inline void lun_policy_answer(struct lun *lun, struct lun_cmd *cmd)
{
    if (!lun || __builtin_expect(!lun->policy.on, 1))
        return;
    uint8_t op = cmd->cdb[0];
    if (op == 0x1a || op == 0x5a || op == 0xa3)
        lun_policy_fix_answer(lun, cmd);
}

#endif
