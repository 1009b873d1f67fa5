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

#include "hctl.h"
#include "log.h"

/* A LUN by address and by identity: the inode of its sysfs directory,
 * which a LUN deleted and scanned back in does not keep (its sg fd in the
 * daemon is then dead even if the address and sg name are the same). */
struct hba_lun {
    char *hctl;
    uint64_t ino;
};

/* A LUN found on the host in one look: its canonical address, its
 * identity, and whether an earlier entry of it must go first. */
struct hba_present {
    char hctl[VSCSI_HCTL_STRLEN];
    uint64_t ino;
    bool pending;       /* its earlier entry is still served or being removed */
};

/* What was offered already, so a LUN the daemon refused (state 6) is not
 * offered again until it leaves and comes back; and what left the host,
 * so that when it comes back the entry of its removal (Closing, Closed)
 * does not count as "offered". Only entries whose p-dev is an H:C:T:L of
 * the followed host are managed; anything else a toolstack put into the
 * device is left alone. */
struct hba_follow {
    /* Identity, set by hba_follow_init. */
    char name[LOG_DEVICE_NAME_MAX];   /* the device's, for logs */
    unsigned be, domid, devid;        /* devid = the physical host followed */
    const char *sysfs_root;           /* "/sys" unless tests point elsewhere */
    /* Memory across looks. */
    struct hba_lun *offered;
    unsigned nr_offered;
    struct hba_lun *left;
    unsigned nr_left;
    /* The current look's LUNs (HBA_FOLLOW_MAX_LUNS, allocated once). */
    struct hba_present *present;
    unsigned nr_present;
};

/* LUNs per host followed; a host with more is not synced at all (a cut
 * list would hot-remove the LUNs beyond the cut). */
#define HBA_FOLLOW_MAX_LUNS 512

/* Device devid of domain domid follows physical host devid. */
void hba_follow_init(struct hba_follow *h, unsigned be, unsigned domid, unsigned devid,
                     const char *sysfs_root);
/* Syncs the device's vscsi-devs with the LUNs of the host. Call only for
 * a device in HOST mode (feature-host 1). */
void hba_follow_sync(struct hba_follow *h, struct xs_handle *xs);
void hba_follow_free(struct hba_follow *h);

#endif
