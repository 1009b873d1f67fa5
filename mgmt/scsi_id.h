/*
 * The identifier udev's `scsi_id --whitelisted --replace-whitespace` prints,
 * computed from VPD page bytes (systemd src/udev/scsi_id/scsi_serial.c):
 * the best LU designator of page 0x83 by a fixed priority, as one hex digit
 * of its type followed by the identifier (hex for binary, raw for ASCII), or
 * "S" + vendor + model + serial from page 0x80; then whitespace runs become
 * one '_' and characters udev does not allow become '_'.
 */
#ifndef PVSCSI_MGMT_SCSI_ID_H
#define PVSCSI_MGMT_SCSI_ID_H

#include <stddef.h>
#include <stdint.h>

#define SCSI_ID_MAX 256             /* udev's MAX_SERIAL_LEN, with the NUL */
#define SCSI_ID_INQ_LEN 254         /* udev reads only this much of a page */

/*
 * From page 0x83 (pg, len bytes as the device returned it; more than
 * SCSI_ID_INQ_LEN is ignored as udev never sees it). vendor8/model16: the
 * standard INQUIRY's 8 and 16 bytes (needed for vendor-specific designators;
 * NULL if unknown). 0 with out set, -ENOENT if the page yields no id,
 * -EINVAL if it is not page 0x83.
 */
int scsi_id_from_pg83(const uint8_t *pg, size_t len, const char *vendor8,
                      const char *model16, char out[SCSI_ID_MAX]);

/* Same from page 0x80 (unit serial number): "S" + vendor + model + serial. */
int scsi_id_from_pg80(const uint8_t *pg, size_t len, const char *vendor8,
                      const char *model16, char out[SCSI_ID_MAX]);

/* udev's whitespace and character replacement (the -u step), in place. */
void scsi_id_reformat(char s[SCSI_ID_MAX]);

#endif
