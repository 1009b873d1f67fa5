/* Internal to the disk emulation: one function per group of emulated
 * commands, each finishing cmd (GOOD with data, or CHECK CONDITION). */
#ifndef PVSCSID_EMUL_CMDS_H
#define PVSCSID_EMUL_CMDS_H

#include <stddef.h>

#include "cdb.h"
#include "disk_emul.h"

/* INQUIRY: standard data and the VPD pages (inquiry.c). */
void emul_inquiry(const struct disk_emul *d, struct lun_cmd *cmd);

/* MODE SENSE 6 and 10 (mode_sense.c). */
void emul_mode_sense(const struct disk_emul *d, struct lun_cmd *cmd);

/* READ/WRITE and SYNCHRONIZE CACHE checks against the disk (disk_rw.c):
 * DISK_DONE when cmd was refused or has nothing to move. */
enum disk_action emul_check_rw(const struct disk_emul *d, struct lun_cmd *cmd,
                               const struct cdb_rw *rw, struct disk_io *io);
enum disk_action emul_check_sync(const struct disk_emul *d, struct lun_cmd *cmd,
                                 struct disk_io *io);

/* Finishes a data-in command with the response resp[0..len): copies
 * min(len, alloc_len, data_len) bytes into the iovecs, GOOD, the rest as
 * residual. A data-out buffer is refused (INVALID FIELD IN CDB) rather
 * than written into (reply.c). */
void emul_reply(struct lun_cmd *cmd, const void *resp, size_t len, uint32_t alloc_len);

/* CHECK CONDITION, ILLEGAL REQUEST, INVALID FIELD IN CDB. */
void emul_invalid_field(struct lun_cmd *cmd);

/* True when a buffer of cmd may carry data in the given direction. */
bool emul_dir_allows(const struct lun_cmd *cmd, bool to_device);

#endif
