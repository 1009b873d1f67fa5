/*
 * A fake sysfs tree for the sg handler's tests, laid out as Linux lays out
 * /sys for SCSI devices:
 *   bus/scsi/devices/H:C:T:L/{type, vpd_pg83, scsi_generic/sgN/device -> ../..}
 *   class/scsi_generic/sgN -> ../../bus/scsi/devices/H:C:T:L/scsi_generic/sgN
 * and, for a device an upper-level driver holds,
 *   bus/scsi/devices/H:C:T:L/{driver -> ../../drivers/<drv>, <class>/<node>...}
 */
#ifndef PVSCSID_TEST_SG_FAKESYS_H
#define PVSCSID_TEST_SG_FAKESYS_H

#include <stddef.h>

struct fakesys {
    char root[64];
};

/* A fresh, empty tree in a new temp directory. 0 or -errno. */
int fakesys_init(struct fakesys *fs);
/* mkdir -p of root/rel. */
int fakesys_mkdir(const struct fakesys *fs, const char *rel);
/* Writes root/rel (creating or truncating). */
int fakesys_write(const struct fakesys *fs, const char *rel, const void *data, size_t len);
/* A SCSI device: its directory and `type` file; with sg != NULL an sg node
 * ("sgN") and its class link; with vpd != NULL a vpd_pg83 file. */
int fakesys_add_device(const struct fakesys *fs, const char *hctl, int type, const char *sg,
                       const void *vpd, size_t vpd_len);
/* A symbolic link root/rel -> target. */
int fakesys_symlink(const struct fakesys *fs, const char *target, const char *rel);
/* Binds upper-level driver drv ("st") to device hctl: bus/scsi/drivers/drv
 * and the device's driver link; with cls != NULL, a directory cls/<name>
 * per entry of the NULL-terminated names ("scsi_tape", {"st0", "nst0"}). */
int fakesys_bind(const struct fakesys *fs, const char *hctl, const char *drv, const char *cls,
                 const char *const *names);
/* A device (no VPD file) that upper-level driver drv holds: fakesys_add_device
 * then fakesys_bind. */
int fakesys_add_held(const struct fakesys *fs, const char *hctl, int type, const char *sg,
                     const char *drv, const char *cls, const char *const *names);
/* Removes the whole tree. */
void fakesys_remove(struct fakesys *fs);

#endif
