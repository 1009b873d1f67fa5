/*
 * What a LUN's policy changes in a device's answer before it goes back to
 * the guest: the write-protect bit of MODE SENSE on a read-only LUN (so
 * Linux sd and st see a read-only device), and the commands REPORT
 * SUPPORTED OPERATION CODES lists (a denied command is not advertised).
 *
 * The answer lies in the iovecs: the daemon's buffer (copy datapath) or
 * the guest's own mapped pages (map datapath), which the guest may change
 * at any moment. So every byte that decides something is copied out once
 * and only the copy is looked at; what is written back is computed from
 * copies alone. Only data-in answers are touched (a data-out buffer may be
 * mapped read-only).
 */
#ifndef PVSCSID_ANSWER_FIXUP_H
#define PVSCSID_ANSWER_FIXUP_H

#include <stdint.h>
#include <sys/uio.h>

#include "lun_policy.h"

/* MODE SENSE(6)/(10) data of `got` bytes: sets WP in the header's
 * device-specific parameter. */
void fixup_mode_sense_wp(const struct iovec *iov, unsigned iov_cnt, uint32_t got, bool ten);

/*
 * REPORT SUPPORTED OPERATION CODES data of `got` bytes answering cdb:
 * removes the descriptors of hidden commands (lun_policy_hidden) from an
 * all-commands list and fixes its length, or answers a one-command query
 * for a hidden command "not supported". Returns the bytes of data that
 * remain (at most got; the rest is zeroed).
 */
uint32_t fixup_report_opcodes(const struct lun_policy *p, const uint8_t *cdb,
                              const struct iovec *iov, unsigned iov_cnt, uint32_t got);

#endif
