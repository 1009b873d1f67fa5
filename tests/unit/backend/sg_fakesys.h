/*
 * A fake sysfs tree for the sg handler's tests, laid out as Linux lays out
 * /sys for SCSI devices:
 *   bus/scsi/devices/H:C:T:L/{type, vpd_pg83, scsi_generic/sgN/device -> ../..}
 *   class/scsi_generic/sgN -> ../../bus/scsi/devices/H:C:T:L/scsi_generic/sgN
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
/* Removes the whole tree. */
void fakesys_remove(struct fakesys *fs);

#endif
