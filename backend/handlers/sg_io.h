/*
 * The sg v3 interface (struct sg_io_hdr, <scsi/sg.h>) for one lun_cmd: the
 * header a write() to /dev/sgN queues, and what the completed header read
 * back means for the guest. Pure functions, no I/O.
 */
#ifndef PVSCSID_SG_IO_H
#define PVSCSID_SG_IO_H

#include <stdbool.h>
#include <stdint.h>

#include <scsi/sg.h>

#include "lun.h"

/* Default command timeouts when the guest gives none (Linux's frontend
 * always sends its own), by peripheral type: disks (and zoned disks) 30 s,
 * sd's own default. Everything else (tapes, changers, optical) 3 hours: a
 * tape erase or a full rewind runs for a long time, and cutting it short
 * (pscsi's 500 s) would break the backup. */
#define SG_IO_TIMEOUT_DISK_MS  30000u
#define SG_IO_TIMEOUT_OTHER_MS (3u * 3600u * 1000u)

/* sg writes at most this much sense; the vscsiif response carries 96. */
#define SG_IO_SENSE_MAX VSCSIIF_SENSE_BUFFERSIZE

/* Linux driver_status codes (low nibble; the high nibble holds
 * suggestions). Current kernels report at most DRIVER_SENSE (0x08); older
 * ones also TIMEOUT and the errors below. */
#define SG_IO_DRIVER_BUSY    0x01
#define SG_IO_DRIVER_ERROR   0x04
#define SG_IO_DRIVER_INVALID 0x05
#define SG_IO_DRIVER_TIMEOUT 0x06
#define SG_IO_DRIVER_HARD    0x07
#define SG_IO_DRIVER_MASK    0x0f

/* Not in glibc's <scsi/sg.h> (Linux's uapi has it): queue at the tail as
 * the block layer does, instead of sg's default head insertion that would
 * let later commands overtake earlier ones. Older kernels ignore it. */
#ifndef SG_FLAG_Q_AT_TAIL
#define SG_FLAG_Q_AT_TAIL 0x10
#endif

/* The timeout for a peripheral device type (0..31; negative: unknown). */
uint32_t sg_io_default_timeout_ms(int scsi_type);

/* Fills hdr for cmd: direction, data (none, one buffer, or cmd->iov as an
 * sg iovec list), CDB, sense into cmd->sense, timeout (cmd->timeout_ms or
 * default_timeout_ms), pack_id (>= 0) and usr_ptr = cmd. hdr points into
 * cmd, which must outlive the command. A single buffer of pvscsid's own
 * (iov_private) asks for direct I/O (SG_FLAG_DIRECT_IO), which sg may
 * decline. 0, or -EINVAL when cmd cannot go to
 * sg (CDB length outside 6..16, unknown direction, data with direction
 * NONE, iov/data_len inconsistent, more than UIO_MAXIOV segments). */
int sg_io_build(struct sg_io_hdr *hdr, struct lun_cmd *cmd, int pack_id,
                uint32_t default_timeout_ms);

/* True when sg moved a completed command's data by direct I/O (straight
 * between the device and our buffer; SG_FLAG_DIRECT_IO granted). */
bool sg_io_was_direct(const struct sg_io_hdr *hdr);

/* Fills cmd's outputs from a header sg has completed (read back): status,
 * host byte (driver timeout -> TIME_OUT), sense_len, residual. The sense
 * bytes are already in cmd->sense (hdr->sbp points there). */
void sg_io_map_result(const struct sg_io_hdr *hdr, struct lun_cmd *cmd);

/* Host byte for a failed write() of the header (err > 0 an errno): the
 * transient ones (EAGAIN, ENOMEM, EBUSY, EDOM: sg's queue of 16 full) ask
 * the guest to retry (BUS_BUSY); anything else is ERROR. */
uint8_t sg_io_host_for_errno(int err);

#endif
