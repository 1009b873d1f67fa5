/*
 * p-dev strings the sg handler serves, and their resolution to a /dev/sgN
 * node through sysfs:
 *   "h:c:t:l"           <root>/bus/scsi/devices/H:C:T:L/scsi_generic/sgN
 *   "naa.<hex>[:lun]"   the one device whose vpd_pg83 holds that NAA
 *   "/dev/sgN"          used as is
 * `root` is the sysfs mount point ("/sys" when NULL; tests use a fake tree).
 */
#ifndef PVSCSID_SG_LOOKUP_H
#define PVSCSID_SG_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hctl.h"
#include "sg_vpd.h"

enum sg_pdev_kind {
    SG_PDEV_HCTL = 1,
    SG_PDEV_NAA,
    SG_PDEV_PATH,
};

struct sg_pdev {
    enum sg_pdev_kind kind;
    struct vscsi_hctl hctl;          /* SG_PDEV_HCTL */
    uint8_t naa[SG_VPD_NAA_MAX];     /* SG_PDEV_NAA: the designator bytes */
    size_t naa_len;                  /* 8 (NAA 2/3/5) or 16 (NAA 6) */
    bool has_lun;                    /* ":lun" was given */
    uint32_t lun;
};

/* Parses a p-dev the sg handler serves: 0, or -EINVAL (not ours or
 * malformed; out untouched). "naa." takes 16 or 32 hex digits in either
 * case; "/dev/sg" takes 1 to 10 decimal digits. */
int sg_pdev_parse(const char *pdev, struct sg_pdev *out);

/* Resolves pdev to its device node path ("/dev/sgN") in dev. 0, or -errno
 * with a one-line reason in err: -EINVAL not an sg p-dev; -ENODEV no such
 * device / no sg node / not a character device; -EEXIST a WWN matching
 * several devices; -ENOENT (etc.) a "/dev/sgN" that cannot be stat'ed;
 * -ENAMETOOLONG a path that does not fit. */
int sg_lookup_resolve(const char *pdev, const char *root, char *dev, size_t dev_len,
                      char *err, size_t err_len);

/* The SCSI peripheral device type (0..31) of sg node `sg_name` ("sgN"), from
 * <root>/class/scsi_generic/sgN/device/type. 0, or -errno (-EINVAL for a
 * bad name or file contents). */
int sg_lookup_type(const char *root, const char *sg_name, int *type);

/*
 * Is a dom0 upper-level driver (sd, st, sr, ch or any other) bound to the
 * SCSI device behind sg node `sg_name` ("sgN")? Its programs could then use
 * the device behind the guest's back (rewind or move a tape, eject a disc).
 * 1 with a one-line warning in msg (cut to msg_len) naming the device's
 * H:C:T:L, /dev/sgN, the driver, its nodes (from the device's block,
 * scsi_tape, scsi_changer entries) and the command that unbinds it; 0 when
 * no driver is bound; -errno when sysfs cannot tell (-EINVAL for a bad
 * name; msg untouched then). Reads <root>/class/scsi_generic/sgN/device.
 */
int sg_lookup_holder(const char *root, const char *sg_name, char *msg, size_t msg_len);

#endif
