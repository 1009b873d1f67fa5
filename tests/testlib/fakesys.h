/*
 * A fake sysfs tree for PSCSI discovery tests: <root>/bus/scsi/devices/HCTL/
 * with the attributes the kernel shows (vendor, model, rev, type, scsi_level,
 * vpd_pg83/vpd_pg80, class subdirectories or old-style "class:name" links,
 * the `driver` link to bus/scsi/drivers/<name>).
 */
#ifndef PVSCSI_TEST_FAKESYS_H
#define PVSCSI_TEST_FAKESYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fakesys_dev {
    const char *hctl;
    const char *vendor, *model, *rev;   /* written with a trailing newline */
    int type, scsi_level;
    const char *sg;                     /* "sg0" or NULL */
    const char *cls, *node;             /* e.g. "block","sda"; NULL: none */
    const char *driver;                 /* "sd", "st"...: the driver link; NULL: none */
    bool old_layout;                    /* "block:sda" entries, not dirs */
    const uint8_t *pg83;
    size_t pg83_len;
    const uint8_t *pg80;
    size_t pg80_len;
};

/* mkdtemp'd root (malloc'd), or NULL. */
char *fakesys_create(void);
/* 0 or -errno. */
int fakesys_add(const char *root, const struct fakesys_dev *d);
/* A plain directory entry in bus/scsi/devices (e.g. "host0"). */
int fakesys_add_entry(const char *root, const char *name);
/* Removes dir HCTL (a device unplugged). */
int fakesys_remove_dev(const char *root, const char *hctl);
/* Removes the whole tree and frees root. Accepts NULL. */
void fakesys_destroy(char *root);

/*
 * The standard population used by the management tests:
 *   0:0:0:0  disk    sd  sda  sg0  NAA 6 (LIO)         -> "36001405..."
 *   1:0:1:0  tape    st  st0  sg1  T10 vendor ASCII    -> "1IBM_ULT3580-TD5_..."
 *   1:0:2:0  mediumx ch  sch0 sg2  NAA 5 binary        -> "3500..."
 *   2:0:0:0  cd/dvd  sr  sr0  sg3  no VPD              -> ""
 *   2:0:0:1  disk    sd  sdb  sg4  old layout, page 0x80 only -> "S..."
 * (the columns: type, driver, node, sg node, page 0x83), the tape with all
 * eight nodes st makes (st0, st0l, st0m, st0a and their nst0 twins), plus
 * the non-device entries host0 and target0:0:0. 0 or -errno.
 */
int fakesys_standard(const char *root);
/* Expected scsi_id strings of the standard population, in the order above. */
extern const char *const fakesys_standard_ids[5];

#endif
