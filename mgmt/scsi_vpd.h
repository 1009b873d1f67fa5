/*
 * Where VPD pages come from: the kernel's copies in sysfs (vpd_pg83,
 * vpd_pg80, read at scan without touching the device), else an INQUIRY
 * through the device's sg node with libsgutils2.
 */
#ifndef PVSCSI_MGMT_SCSI_VPD_H
#define PVSCSI_MGMT_SCSI_VPD_H

#include "scsi_id.h"

/*
 * scsi_id of the device whose sysfs directory is dirfd; sg_path (e.g.
 * /dev/sg3, may be NULL) is only opened when sysfs has neither page.
 * vendor8/model16 as for scsi_id_from_pg83. 0 with out set, -ENOENT when
 * the device has no usable id, other -errno on I/O failure.
 */
int scsi_vpd_scsi_id(int dirfd, const char *sg_path, const char *vendor8,
                     const char *model16, char out[SCSI_ID_MAX]);

#endif
