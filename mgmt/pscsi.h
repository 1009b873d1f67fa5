/*
 * Physical SCSI devices of this host (XenAPI PSCSI and PSCSI_HBA), found in
 * <sysfs>/bus/scsi/devices/H:C:T:L/. UUIDs are name-based: a PSCSI's from
 * the host and its scsi_id (so it follows the LUN across HCTL renumbering),
 * or from its HCTL, vendor, model and revision when it has no id; an HBA's
 * from the host and its host number.
 */
#ifndef PVSCSI_MGMT_PSCSI_H
#define PVSCSI_MGMT_PSCSI_H

#include <stddef.h>
#include <stdint.h>

#include "hctl.h"
#include "scsi_id.h"
#include "scsi_sysfs.h"
#include "uuid5.h"

#define PSCSI_ATTR_MAX 64       /* vendor/model/rev lines are 8/16/4 bytes */
#define PSCSI_NAME_MAX 64       /* kernel device names (sda, st0, sg12) */

struct pscsi {
    struct vscsi_hctl addr;
    char hctl[VSCSI_HCTL_STRLEN];
    char uuid[UUID_STRLEN];
    char hba_uuid[UUID_STRLEN];
    char vendor[PSCSI_ATTR_MAX];    /* first line, INQUIRY padding kept */
    char model[PSCSI_ATTR_MAX];
    char revision[PSCSI_ATTR_MAX];
    int type_id;
    int scsi_level;
    char dev_name[PSCSI_NAME_MAX];  /* block/tape/changer node, else sg */
    char sg_name[PSCSI_NAME_MAX];   /* "" without the sg driver */
    char dev_nodes[SCSI_SYSFS_NODES_MAX];  /* "sda", "st0 nst0", "sch0"; "" */
    char driver[SCSI_SYSFS_NAME_MAX];      /* bound upper-level driver; "" */
    char scsi_id[SCSI_ID_MAX];      /* "" when the device has none */
};

struct pscsi_hba {
    uint32_t host;
    char uuid[UUID_STRLEN];
};

struct pscsi_set {
    struct pscsi *dev;      /* sorted by HCTL */
    size_t n;
    struct pscsi_hba *hba;  /* sorted by host number */
    size_t nhba;
    size_t skipped;         /* entries whose attributes could not be read */
};

/*
 * Scans sysfs_root (e.g. "/sys"); dev_root (e.g. "/dev") is where sg nodes
 * are opened for VPD when sysfs lacks the pages. 0 (out filled, free with
 * pscsi_set_free) or -errno; a missing bus/scsi/devices is an empty set.
 */
int pscsi_scan(const char *sysfs_root, const char *dev_root, const char *host_uuid,
               struct pscsi_set *out);
void pscsi_set_free(struct pscsi_set *s);

const struct pscsi *pscsi_find_uuid(const struct pscsi_set *s, const char *uuid);
const struct pscsi *pscsi_find_hctl(const struct pscsi_set *s, const struct vscsi_hctl *h);
const struct pscsi_hba *pscsi_hba_find_uuid(const struct pscsi_set *s, const char *uuid);
const struct pscsi_hba *pscsi_hba_find_host(const struct pscsi_set *s, uint32_t host);

#endif
