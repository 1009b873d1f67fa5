/*
 * What a toolstack writes to give a guest a vscsi device (the layout of
 * SUSE's libxl and xend, see shared/notes/vscsiif-protocol.md), for tests
 * that need a device without the management module.
 */
#ifndef PVSCSI_TOOLSTACK_H
#define PVSCSI_TOOLSTACK_H

#include <stdbool.h>
#include <stdint.h>
#include <xenstore.h>

struct toolstack_lun {
    unsigned index;         /* N of dev-N */
    const char *p_dev;
    const char *v_dev;
};

/* Writes backend and frontend trees with their permissions and states 1,
 * in one transaction. 0 or -errno. */
int toolstack_vscsi_create(struct xs_handle *xs, uint16_t be_domid, uint16_t fe_domid,
                           uint32_t devid, const struct toolstack_lun *luns, int n,
                           bool feature_host);
/* Hot-add: dev-N in state 1, then the backend state Reconfiguring. */
int toolstack_vscsi_add_lun(struct xs_handle *xs, uint16_t be_domid, uint16_t fe_domid,
                            uint32_t devid, const struct toolstack_lun *lun);
/* Hot-remove: dev-N state 5, then the backend state Reconfiguring. */
int toolstack_vscsi_remove_lun(struct xs_handle *xs, uint16_t be_domid, uint16_t fe_domid,
                               uint32_t devid, unsigned index);
/* Removes both trees. */
int toolstack_vscsi_destroy(struct xs_handle *xs, uint16_t be_domid, uint16_t fe_domid,
                            uint32_t devid);
/* Path helpers. */
void toolstack_backend_path(char *buf, size_t size, uint16_t be_domid, uint16_t fe_domid,
                            uint32_t devid);
void toolstack_frontend_path(char *buf, size_t size, uint16_t fe_domid, uint32_t devid);

#endif
