/* SCSI peripheral device type names, as lsscsi (and so xend) prints them. */
#ifndef PVSCSI_MGMT_SCSI_TYPE_H
#define PVSCSI_MGMT_SCSI_TYPE_H

/* Short name for a peripheral device type (0..31): "disk", "tape",
 * "mediumx", ...; "(0xNN)" style for reserved codes; NULL out of range. */
const char *scsi_type_name(int type_id);

#endif
