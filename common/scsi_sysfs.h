/*
 * What dom0 has made of a SCSI device, read from its sysfs directory
 * (<sysfs>/bus/scsi/devices/H:C:T:L, or <sysfs>/class/scsi_generic/sgN/device):
 *   - the upper-level driver bound to it, the basename of its `driver` link
 *     (sd, st, sr, ch, ses...; the sg driver is a class interface and never
 *     shows there);
 *   - the device nodes that driver made: block/<disk> (sd, sr),
 *     scsi_tape/{st,nst}<N><mode> (st), scsi_changer/sch<N> (ch), or the old
 *     CONFIG_SYSFS_DEPRECATED layout of "<class>:<name>" entries.
 *   - its sg node, the one "sgN" entry of its scsi_generic directory.
 * Shared by PSCSI discovery (mgmt/pscsi.c), the sg handler
 * (backend/handlers/sg_lookup.c) and whole-HBA mode (toolstack/hba_follow.c).
 */
#ifndef PVSCSID_SCSI_SYSFS_H
#define PVSCSID_SCSI_SYSFS_H

#include <stdbool.h>
#include <stddef.h>

/* Room for a driver name or one node name (kernel names are short). */
#define SCSI_SYSFS_NAME_MAX 64
/* Room for a node list ("st0 nst0"); a device rarely has more than two. */
#define SCSI_SYSFS_NODES_MAX 160

/* The driver bound to the device whose directory is open as devfd. 0 with
 * the name in out; -ENOENT when none is bound; -ENAMETOOLONG if it does
 * not fit cap; other -errno from readlinkat. */
int scsi_sysfs_driver(int devfd, char *out, size_t cap);

/*
 * The device's nodes, space-separated: its block devices ("sda", "sr0"),
 * then the tape's mode-0 pair, rewinding first ("st0 nst0": not st0l,
 * st0m, st0a and their nst twins), then its changers ("sch0"). Within a
 * class, names in strcmp order. "" when there are none. 0, or -errno
 * (-ENAMETOOLONG when they do not fit cap, out then "").
 */
int scsi_sysfs_nodes(int devfd, char *out, size_t cap);

/* "sg" followed by 1 to 10 decimal digits: an sg node's name. */
bool scsi_sysfs_is_sg_name(const char *name);

/*
 * The sg node ("sgN") of SCSI device `hctl` ("H:C:T:L") under
 * <root>/bus/scsi/devices. 0 with the name in out; -ENODEV when there is no
 * such device; -ENOENT when it has no sg node (yet, or the sg module is not
 * loaded); -EEXIST when it has several (*count says how many); -ENAMETOOLONG
 * when a path or the name does not fit; other -errno when sysfs cannot be
 * read. count (may be NULL) gets the number of sg entries seen.
 */
int scsi_sysfs_sg_node(const char *root, const char *hctl, char *out, size_t cap,
                       unsigned *count);

#endif
