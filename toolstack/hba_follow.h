/*
 * Whole-HBA mode (feature-host = 1, what xend's DSCSI_HBA in HOST mode and
 * DSCSI_HBA.create write): vscsi device <devid> carries every LUN of
 * physical host <devid>, identity-mapped (v-dev = p-dev). This keeps the
 * device's vscsi-devs in step with sysfs: LUNs that appear on that host
 * are hot-added, LUNs that go away are hot-removed (through the same
 * xenstore writes as VSCSI.create/destroy, see xsattach.h) and,
 * once Closed, cleared from vscsi-devs, so that it is offered again when
 * it comes back. A LUN is on the host once it has its sg node (the sg
 * handler serves it through that), and leaves it with that node.
 * Called on SCSI device uevents (uevents.h), on SIGHUP and whenever such
 * a device changes state (a hot-add refused as "busy" is retried then).
 */
#ifndef PVSCSID_HBA_FOLLOW_H
#define PVSCSID_HBA_FOLLOW_H

#include <stdbool.h>
#include <stdint.h>
#include <xenstore.h>

/* A LUN by address and by identity: the inode of its sysfs directory,
 * which a LUN deleted and scanned back in does not keep (its sg fd in the
 * daemon is then dead even if the address and sg name are the same). */
struct hba_lun {
    char *hctl;
    uint64_t ino;
};

/* What was offered already, so a LUN the daemon refused (state 6) is not
 * offered again until it leaves and comes back; and what left the host,
 * so that when it comes back the entry of its removal (Closing, Closed)
 * does not count as "offered". Only entries whose p-dev is an H:C:T:L of
 * the followed host are managed; anything else a toolstack put into the
 * device is left alone. */
struct hba_follow {
    struct hba_lun *offered;
    unsigned nr_offered;
    struct hba_lun *left;
    unsigned nr_left;
};

/* Syncs domain domid's vscsi device devid (if it is in HOST mode) with the
 * LUNs of physical host devid under sysfs_root. */
void hba_follow_sync(struct hba_follow *h, struct xs_handle *xs, uint16_t be, uint16_t domid,
                     uint32_t devid, const char *sysfs_root);
void hba_follow_free(struct hba_follow *h);

#endif
