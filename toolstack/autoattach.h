/*
 * LUNs named per VM in the settings file, attached by pvscsid itself
 * whenever that VM's domain appears (@introduceDomain, startup, SIGHUP), so
 * a guest gets its devices at every boot with no manual step:
 *
 *   [vm:backup-server]          # VM name, or its uuid
 *   lun = 2:0:1:0 0:0:0:0       # p-dev, then the virtual h:c:t:l
 *   lun = 2:0:2:0 0:0:1:0
 *
 * Attaching writes xenstore exactly as VSCSI.create does (xsattach.h);
 * a LUN the domain already has is left alone.
 */
#ifndef PVSCSID_AUTOATTACH_H
#define PVSCSID_AUTOATTACH_H

#include <stdbool.h>
#include <stdint.h>
#include <xenstore.h>

#include "hctl.h"

struct autoattach_rule {
    struct autoattach_rule *next;
    char *vm;                    /* name or uuid */
    char *pdev;
    struct vscsi_hctl vdev;
};

/* Parses the value of a "lun" key ("<p-dev> <h:c:t:l>") for VM vm and adds
 * the rule. 0, -EINVAL (bad value), -ENOMEM. */
int autoattach_add(struct autoattach_rule **rules, const char *vm, const char *value);
void autoattach_free(struct autoattach_rule **rules);
/* Attaches every rule whose VM is running and lacks the LUN. Returns the
 * number of LUNs written. */
int autoattach_run(const struct autoattach_rule *rules, struct xs_handle *xs,
                   uint16_t backend_domid);

#endif
