/*
 * pvscsid as the pvSCSI toolstack (upstream xl has none): LUN hot-plug and
 * hot-unplug by xenstore writes, each in one transaction so a failure or a
 * refusal leaves nothing half-written.
 *
 * Attach, domain without that vscsi device: backend and frontend trees with
 * their permissions, dev-0, then the frontend state 1, then the backend
 * state 1. Attach to an existing device: a new dev-N in state 1, and the
 * backend state 7 (Reconfiguring) if it is Connected. Detach: dev-N state 5
 * (Closing) and the backend state 7; a LUN the backend never took is just
 * removed. dev-N entries that reached 6 (Closed) are deleted on the way.
 */
#ifndef PVSCSID_XSATTACH_H
#define PVSCSID_XSATTACH_H

#include <xenstore.h>

#include "hctl.h"
#include "uuid5.h"

enum xsa_status {
    XSA_OK,
    XSA_NO_DOMAIN,      /* frontend domain not in xenstore */
    XSA_SELF,           /* frontend is the backend domain */
    XSA_HCTL_TAKEN,     /* virtual HCTL already used in that domain */
    XSA_PDEV_ASSIGNED,  /* p-dev given to a domain already (other_domid) */
    XSA_BUSY,           /* the device is reconfiguring: try again */
    XSA_CLOSING,        /* the device is closing or closed */
    XSA_NOT_FOUND,      /* detach: no such live LUN */
};

struct xsa_result {
    enum xsa_status status;
    unsigned index;         /* dev-N written or removed */
    unsigned other_domid;   /* XSA_PDEV_ASSIGNED: who has it */
    int be_state;           /* backend state seen (-1: new device) */
    int created;            /* attach created the whole device */
    /* Identities written (attach): a random uuid in dev-N/uuid and, when
     * the device was created, in its backend directory. Random, so a
     * destroyed LUN's or device's uuid never names a later one, also
     * across daemon restarts (xenstore keeps them). */
    char uuid[UUID_STRLEN];
    char device_uuid[UUID_STRLEN];
};

/*
 * Gives v (devid = v->host) of domain fe the physical device p_dev
 * ("h:c:t:l"; p_devname is written as p-devname when not NULL). 0 with res
 * filled (res->status tells a refusal), or -errno when xenstore failed.
 */
int xsa_attach(struct xs_handle *xs, unsigned be, unsigned fe, const struct vscsi_hctl *v,
               const char *p_dev, const char *p_devname, struct xsa_result *res);

/* What xsa_attach would answer, writing nothing (res->status XSA_OK: it
 * would attach). Same return rules. */
int xsa_attach_check(struct xs_handle *xs, unsigned be, unsigned fe, const struct vscsi_hctl *v,
                     const char *p_dev, struct xsa_result *res);

/* The h:c:t:l of a p-dev that is one, options after a comma aside
 * ("2:0:1:0,ro" is 2:0:1:0: pvscsid's LUN options, pvscsid(8)). */
bool xsa_pdev_hctl(const char *p_dev, struct vscsi_hctl *out);

/* Writes a random uuid into every vscsi device directory and dev-N under
 * backend/vscsi of be that has none (written by another toolstack), so it
 * gets an identity no later object shares. Number written or -errno. */
int xsa_stamp_uuids(struct xs_handle *xs, unsigned be);

/* Removes dev-<index> of device devid of domain fe. Same return rules. */
int xsa_detach(struct xs_handle *xs, unsigned be, unsigned fe, unsigned devid,
               unsigned index, struct xsa_result *res);

#endif
