/*
 * What xenstore says about VMs and their vscsi devices, read in one
 * transaction so the picture is consistent. xenstore is the source of
 * truth: devices written by any toolstack appear.
 *   VMs:    /local/domain/<domid>/{name,vm}  (uuid = last part of vm path)
 *   vhosts: /local/domain/<be>/backend/vscsi/<domid>/<devid>/{state,feature-host,...}
 *   LUNs:   .../vscsi-devs/dev-<N>/{p-dev,v-dev,state,p-devname}
 */
#ifndef PVSCSID_XSVIEW_H
#define PVSCSID_XSVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xenstore.h>

#include "uuid5.h"

struct xsv_vm {
    unsigned domid;
    char uuid[UUID_STRLEN];
    char *name;             /* "" when unnamed */
};

struct xsv_vhost {          /* one vscsi device: XenAPI DSCSI_HBA */
    unsigned domid, devid;
    char uuid[UUID_STRLEN];
    int be_state, fe_state; /* -1 when absent */
    bool feature_host;
    uint64_t qos_iops, qos_bps;   /* limits (qos-iops, qos-bps); 0: none */
};

struct xsv_lun {            /* one dev-N: XenAPI DSCSI (VSCSI) */
    unsigned domid, devid, index;
    char uuid[UUID_STRLEN];
    char *p_dev, *v_dev, *p_devname;    /* "" when absent */
    int state;              /* -1 when absent */
    size_t vhost;           /* index into hosts */
};

struct xsv_view {
    struct xsv_vm *vm;
    size_t nvm;
    struct xsv_vhost *host;
    size_t nhost;
    struct xsv_lun *lun;    /* every dev-N, including Closing/Closed ones */
    size_t nlun;
    /* Devices and dev-N without a stored uuid (another toolstack wrote
     * them): their uuid is derived from where they are, which a later
     * object in the same place would share (see xsa_stamp_uuids). */
    size_t unstamped;
};

/* 0 (free with xsv_free) or -errno. */
int xsv_load(struct xs_handle *xs, unsigned be_domid, struct xsv_view *out);
void xsv_free(struct xsv_view *v);

/* A LUN is a live DSCSI unless it is being or has been removed (5, 6). */
bool xsv_lun_live(const struct xsv_lun *l);

/* The DSCSI identity derived for dev-<index> of device devid of a VM when
 * dev-N has no uuid of its own. 0 or -errno. */
int xsv_lun_uuid(char out[UUID_STRLEN], const char *vm_uuid, unsigned devid, unsigned index);

const struct xsv_vm *xsv_vm_by_domid(const struct xsv_view *v, unsigned domid);
const struct xsv_vm *xsv_vm_by_uuid(const struct xsv_view *v, const char *uuid);
const struct xsv_vhost *xsv_vhost_by_uuid(const struct xsv_view *v, const char *uuid);

#endif
