#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoattach.h"
#include "log.h"
#include "xsattach.h"
#include "xsutil.h"

int autoattach_add(struct autoattach_rule **rules, const char *vm, const char *value)
{
    char pdev[256], vdev[VSCSI_HCTL_STRLEN], extra[2];
    if (!vm[0] || strlen(value) >= sizeof(pdev) ||
        sscanf(value, "%255s %43s %1s", pdev, vdev, extra) != 2)
        return -EINVAL;
    struct vscsi_hctl v;
    if (vscsi_hctl_parse(vdev, &v) < 0 || !vscsi_hctl_fits_ring(&v))
        return -EINVAL;
    struct autoattach_rule *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->vm = strdup(vm);
    r->pdev = strdup(pdev);
    if (!r->vm || !r->pdev) {
        free(r->vm);
        free(r->pdev);
        free(r);
        return -ENOMEM;
    }
    r->vdev = v;
    /* Keep file order: attach in the order written. */
    while (*rules)
        rules = &(*rules)->next;
    *rules = r;
    return 0;
}

void autoattach_free(struct autoattach_rule **rules)
{
    while (*rules) {
        struct autoattach_rule *n = (*rules)->next;
        free((*rules)->vm);
        free((*rules)->pdev);
        free(*rules);
        *rules = n;
    }
}

static char *read_dom(struct xs_handle *xs, unsigned domid, const char *node)
{
    char dir[XSU_PATH_MAX];
    return xsu_domain_dir(dir, domid) == 0 ? xsu_read(xs, XBT_NULL, dir, node) : NULL;
}

/* True when the domain is the VM a rule names (by name or vm uuid). */
static bool domain_is(struct xs_handle *xs, unsigned domid, const char *vm)
{
    char *name = read_dom(xs, domid, "name");
    bool match = name && strcmp(name, vm) == 0;
    free(name);
    if (match)
        return true;
    char *path = read_dom(xs, domid, "vm");   /* "/vm/<uuid>" */
    const char *slash = path ? strrchr(path, '/') : NULL;
    match = slash && strcmp(slash + 1, vm) == 0;
    free(path);
    return match;
}

static void attach_one(const struct autoattach_rule *r, struct xs_handle *xs, uint16_t be,
                       unsigned domid, int *written)
{
    struct xsa_result res;
    int e = xsa_attach(xs, be, domid, &r->vdev, r->pdev, NULL, &res);
    char v[VSCSI_HCTL_STRLEN];
    if (vscsi_hctl_format(&r->vdev, v, sizeof(v)) < 0)
        v[0] = '\0';
    if (e < 0) {
        log_err("auto-attach %s to %s: xenstore: %s", r->pdev, r->vm, strerror(-e));
        return;
    }
    switch (res.status) {
    case XSA_OK:
        log_info("auto-attach: %s to %s (domain %u) as %s", r->pdev, r->vm, domid, v);
        (*written)++;
        break;
    case XSA_HCTL_TAKEN:
        break;   /* attached already */
    case XSA_PDEV_ASSIGNED:
        if (res.other_domid == domid)
            break;   /* this VM has it (under that or another HCTL) */
        log_warn("auto-attach %s to %s: already given to domain %u", r->pdev, r->vm,
                 res.other_domid);
        break;
    case XSA_BUSY:
        log_info("auto-attach %s to %s: device reconfiguring, will retry", r->pdev, r->vm);
        break;
    default:
        log_warn("auto-attach %s to %s as %s: refused (%d)", r->pdev, r->vm, v,
                 (int)res.status);
        break;
    }
}

int autoattach_run(const struct autoattach_rule *rules, struct xs_handle *xs,
                   uint16_t backend_domid)
{
    if (!rules)
        return 0;
    int written = 0;
    unsigned n = 0;
    char **doms = xs_directory(xs, XBT_NULL, "/local/domain", &n);
    for (unsigned i = 0; doms && i < n; i++) {
        char *end;
        errno = 0;
        unsigned long domid = strtoul(doms[i], &end, 10);
        if (errno || *end || domid == backend_domid || domid >= 0x7ff0)
            continue;
        for (const struct autoattach_rule *r = rules; r; r = r->next)
            if (domain_is(xs, (unsigned)domid, r->vm))
                attach_one(r, xs, backend_domid, (unsigned)domid, &written);
    }
    free(doms);
    return written;
}
