#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hba_follow.h"
#include "hctl.h"
#include "log.h"
#include "sg_lookup.h"
#include "xenbus_state.h"
#include "xsattach.h"

#define MAX_LUNS 512

/* A set of H:C:T:L strings. */
static bool set_has(char *const *set, unsigned n, const char *hctl)
{
    for (unsigned i = 0; i < n; i++)
        if (strcmp(set[i], hctl) == 0)
            return true;
    return false;
}

static void set_add(char ***set, unsigned *n, const char *hctl)
{
    if (set_has(*set, *n, hctl))
        return;
    char **grown = realloc(*set, (*n + 1) * sizeof(*grown));
    if (!grown)
        return;
    *set = grown;
    grown[*n] = strdup(hctl);
    if (grown[*n])
        (*n)++;
}

static void set_del(char **set, unsigned *n, const char *hctl)
{
    for (unsigned i = 0; i < *n; i++) {
        if (strcmp(set[i], hctl) == 0) {
            free(set[i]);
            set[i] = set[--*n];
            return;
        }
    }
}

static void set_free(char ***set, unsigned *n)
{
    for (unsigned i = 0; i < *n; i++)
        free((*set)[i]);
    free(*set);
    *set = NULL;
    *n = 0;
}

static bool offered(const struct hba_follow *h, const char *hctl)
{
    return set_has(h->offered, h->nr_offered, hctl);
}

static void remember(struct hba_follow *h, const char *hctl)
{
    set_add(&h->offered, &h->nr_offered, hctl);
    set_del(h->left, &h->nr_left, hctl);
}

/* Forgets LUNs no longer on the host: when one comes back it is new. */
static void forget_missing(struct hba_follow *h, char present[][VSCSI_HCTL_STRLEN], unsigned n)
{
    for (unsigned i = 0; i < h->nr_offered;) {
        bool there = false;
        for (unsigned j = 0; j < n && !there; j++)
            there = strcmp(h->offered[i], present[j]) == 0;
        if (there) {
            i++;
            continue;
        }
        set_add(&h->left, &h->nr_left, h->offered[i]);
        free(h->offered[i]);
        h->offered[i] = h->offered[--h->nr_offered];
    }
}

void hba_follow_free(struct hba_follow *h)
{
    set_free(&h->offered, &h->nr_offered);
    set_free(&h->left, &h->nr_left);
}

/* A LUN counts once it has its sg node, the one the sg handler opens: the
 * kernel adds that after the LUN itself (and after the LUN's own uevent),
 * so a LUN seen without it is not ready yet; its sg's uevent follows. */
static bool has_sg(const char *sysfs_root, const char *hctl)
{
    char dev[64], err[160];
    return sg_lookup_resolve(hctl, sysfs_root, dev, sizeof(dev), err, sizeof(err)) == 0;
}

/* LUNs of physical host `host` in sysfs ("H:C:T:L" entries with an sg
 * node). */
static unsigned host_luns(const char *sysfs_root, uint32_t host,
                          char out[][VSCSI_HCTL_STRLEN], unsigned max)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/bus/scsi/devices", sysfs_root ? sysfs_root : "/sys");
    DIR *d = opendir(path);
    if (!d)
        return 0;
    unsigned n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max) {
        struct vscsi_hctl a;
        /* Re-formatted from the parsed address: canonical and bounded. */
        if (vscsi_hctl_parse(e->d_name, &a) == 0 && a.host == host &&
            vscsi_hctl_fits_ring(&a) && vscsi_hctl_format(&a, out[n], VSCSI_HCTL_STRLEN) > 0 &&
            has_sg(sysfs_root, out[n]))
            n++;
    }
    closedir(d);
    return n;
}

void hba_follow_sync(struct hba_follow *h, struct xs_handle *xs, uint16_t be, uint16_t domid,
                     uint32_t devid, const char *sysfs_root)
{
    char dir[160];
    snprintf(dir, sizeof(dir), "/local/domain/%u/backend/vscsi/%u/%u", (unsigned)be,
             (unsigned)domid, (unsigned)devid);
    char path[224];
    snprintf(path, sizeof(path), "%s/feature-host", dir);
    char *fh = xs_read(xs, XBT_NULL, path, NULL);
    bool host_mode = fh && strcmp(fh, "1") == 0;
    free(fh);
    if (!host_mode)
        return;

    static char present[MAX_LUNS][VSCSI_HCTL_STRLEN];
    unsigned np = host_luns(sysfs_root, devid, present, MAX_LUNS);
    forget_missing(h, present, np);

    /* What vscsi-devs says: LUNs written already (by us, a toolstack,
     * DSCSI_HBA.create) are not offered again; LUNs whose device is gone
     * are hot-removed. */
    static bool pending[MAX_LUNS];   /* its earlier removal is not over yet */
    memset(pending, 0, sizeof(pending));
    snprintf(path, sizeof(path), "%s/vscsi-devs", dir);
    unsigned nd = 0;
    char **devs = xs_directory(xs, XBT_NULL, path, &nd);
    for (unsigned i = 0; devs && i < nd; i++) {
        unsigned index;
        char tail;
        if (sscanf(devs[i], "dev-%u%c", &index, &tail) != 1)
            continue;
        char p[288];
        snprintf(p, sizeof(p), "%s/%s/p-dev", path, devs[i]);
        char *pdev = xs_read(xs, XBT_NULL, p, NULL);
        snprintf(p, sizeof(p), "%s/%s/state", path, devs[i]);
        char *st = xs_read(xs, XBT_NULL, p, NULL);
        int state = st ? atoi(st) : -1;
        int at = -1;
        for (unsigned j = 0; pdev && j < np && at < 0; j++)
            if (strcmp(pdev, present[j]) == 0)
                at = (int)j;
        if (at >= 0 && !offered(h, pdev)) {
            if (set_has(h->left, h->nr_left, pdev) && state == XenbusStateClosing)
                pending[at] = true;   /* hot-removed when it left: offered once Closed */
            else if (!(set_has(h->left, h->nr_left, pdev) && state == XenbusStateClosed))
                /* In any other state, even refused (Closed): not offered again. */
                remember(h, pdev);
        }
        if (pdev && at < 0 && state >= 1 && state <= 4) {
            struct xsa_result res;
            if (xsa_detach(xs, be, domid, devid, index, &res) == 0 && res.status == XSA_OK)
                log_info("vscsi-%u/%u: %s left host %u: hot-removed", (unsigned)domid,
                         (unsigned)devid, pdev, (unsigned)devid);
        }
        /* Its removal is over and the LUN is not on the host: cleared, as a
         * toolstack clears a LUN it unplugged (a returning LUN is then new
         * even to a restarted daemon). */
        if (pdev && at < 0 && state == XenbusStateClosed) {
            snprintf(p, sizeof(p), "%s/%s", path, devs[i]);
            if (!xs_rm(xs, XBT_NULL, p) && errno != ENOENT)
                log_warn("vscsi-%u/%u: clearing %s: %s", (unsigned)domid, (unsigned)devid, p,
                         strerror(errno));
        }
        free(pdev);
        free(st);
    }
    free(devs);

    /* Hot-add LUNs that appeared (identity mapping). */
    for (unsigned j = 0; j < np; j++) {
        if (offered(h, present[j]) || pending[j])
            continue;
        struct vscsi_hctl v;
        if (vscsi_hctl_parse(present[j], &v) < 0)
            continue;
        struct xsa_result res;
        int r = xsa_attach(xs, be, domid, &v, present[j], NULL, &res);
        if (r < 0 || res.status == XSA_BUSY)
            continue;   /* retried on the next event */
        remember(h, present[j]);
        if (res.status == XSA_OK)
            log_info("vscsi-%u/%u: %s appeared on host %u: hot-added", (unsigned)domid,
                     (unsigned)devid, present[j], (unsigned)devid);
        else
            log_warn("vscsi-%u/%u: %s appeared on host %u, not offered (xsattach status %d)",
                     (unsigned)domid, (unsigned)devid, present[j], (unsigned)devid,
                     (int)res.status);
    }
}
