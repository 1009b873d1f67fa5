#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hba_follow.h"
#include "hctl.h"
#include "log.h"
#include "scsi_sysfs.h"
#include "xenbus_state.h"
#include "xsattach.h"
#include "xsutil.h"

/* LUNs per host followed; a host with more is not synced at all (a cut
 * list would hot-remove the LUNs beyond the cut). */
#define MAX_LUNS 512

struct present {
    char hctl[VSCSI_HCTL_STRLEN];
    uint64_t ino;
};

static struct hba_lun *set_find(struct hba_lun *set, unsigned n, const char *hctl)
{
    for (unsigned i = 0; i < n; i++)
        if (strcmp(set[i].hctl, hctl) == 0)
            return &set[i];
    return NULL;
}

static void set_add(struct hba_lun **set, unsigned *n, const char *hctl, uint64_t ino)
{
    struct hba_lun *l = set_find(*set, *n, hctl);
    if (l) {
        l->ino = ino;
        return;
    }
    struct hba_lun *grown = realloc(*set, (*n + 1) * sizeof(*grown));
    if (!grown)
        return;
    *set = grown;
    grown[*n].hctl = strdup(hctl);
    grown[*n].ino = ino;
    if (grown[*n].hctl)
        (*n)++;
}

static void set_del(struct hba_lun *set, unsigned *n, const char *hctl)
{
    for (unsigned i = 0; i < *n; i++) {
        if (strcmp(set[i].hctl, hctl) == 0) {
            free(set[i].hctl);
            set[i] = set[--*n];
            return;
        }
    }
}

static void set_free(struct hba_lun **set, unsigned *n)
{
    for (unsigned i = 0; i < *n; i++)
        free((*set)[i].hctl);
    free(*set);
    *set = NULL;
    *n = 0;
}

static void remember(struct hba_follow *h, const char *hctl, uint64_t ino)
{
    set_add(&h->offered, &h->nr_offered, hctl, ino);
    set_del(h->left, &h->nr_left, hctl);
}

static bool has_left(const struct hba_follow *h, const char *hctl)
{
    return set_find(h->left, h->nr_left, hctl) != NULL;
}

/* Offered LUNs no longer on the host, or there again as a new device
 * (another sysfs inode: deleted and scanned back in between two looks):
 * moved to `left`, so that when it is there it is new. */
static void forget_missing(struct hba_follow *h, const struct present *present, unsigned n)
{
    for (unsigned i = 0; i < h->nr_offered;) {
        bool same = false;
        for (unsigned j = 0; j < n; j++)
            if (strcmp(h->offered[i].hctl, present[j].hctl) == 0) {
                same = h->offered[i].ino == present[j].ino;
                break;
            }
        if (same) {
            i++;
            continue;
        }
        set_add(&h->left, &h->nr_left, h->offered[i].hctl, 0);
        free(h->offered[i].hctl);
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
 * so a LUN seen without it is not ready yet; its sg's uevent follows.
 * 1 there, 0 not (yet), -errno when sysfs cannot tell. */
static int has_sg(const char *sysfs_root, const char *hctl)
{
    char sg[64];
    int r = scsi_sysfs_sg_node(sysfs_root ? sysfs_root : "/sys", hctl, sg, sizeof(sg), NULL);
    if (r == 0)
        return 1;
    return r == -ENODEV || r == -ENOENT ? 0 : r;
}

/* LUNs of physical host `host` in sysfs ("H:C:T:L" entries with an sg
 * node), with the inode of their directory. Their number, or -errno when
 * the list cannot be complete (sysfs unreadable, more than max LUNs). */
static int host_luns(const char *sysfs_root, uint32_t host, struct present *out, unsigned max)
{
    char path[256];
    int len = snprintf(path, sizeof(path), "%s/bus/scsi/devices", sysfs_root ? sysfs_root : "/sys");
    if (len < 0 || (size_t)len >= sizeof(path))
        return -ENAMETOOLONG;
    DIR *d = opendir(path);
    if (!d)
        return -errno;
    int n = 0, r = 0;
    struct dirent *e;
    for (;;) {
        errno = 0;
        if ((e = readdir(d)) == NULL) {
            r = errno ? -errno : 0;
            break;
        }
        struct vscsi_hctl a;
        /* Re-formatted from the parsed address: canonical and bounded. */
        if (vscsi_hctl_parse(e->d_name, &a) < 0 || a.host != host || !vscsi_hctl_fits_ring(&a))
            continue;
        if ((unsigned)n == max) {
            r = -E2BIG;
            break;
        }
        if (vscsi_hctl_format(&a, out[n].hctl, VSCSI_HCTL_STRLEN) <= 0)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, 0) < 0) {
            if (errno == ENOENT)
                continue;   /* gone while we looked */
            r = -errno;
            break;
        }
        int sg = has_sg(sysfs_root, out[n].hctl);
        if (sg < 0) {
            r = sg;
            break;
        }
        if (sg) {
            out[n].ino = (uint64_t)st.st_ino;
            n++;
        }
    }
    closedir(d);
    return r < 0 ? r : n;
}

/* The canonical H:C:T:L of p-dev if it is a LUN of `host`, else false:
 * entries in any other form are not the follower's to manage. */
static bool managed_pdev(const char *pdev, uint32_t host, char out[VSCSI_HCTL_STRLEN])
{
    struct vscsi_hctl a;
    return pdev && vscsi_hctl_parse(pdev, &a) == 0 && a.host == host &&
           vscsi_hctl_format(&a, out, VSCSI_HCTL_STRLEN) > 0;
}

void hba_follow_sync(struct hba_follow *h, struct xs_handle *xs, uint16_t be, uint16_t domid,
                     uint32_t devid, const char *sysfs_root)
{
    char dir[XSU_PATH_MAX];
    if (xsu_backend_dir(dir, be, domid, devid) < 0)
        return;
    if (xsu_read_uint(xs, XBT_NULL, dir, "feature-host") != 1)
        return;

    static struct present present[MAX_LUNS];
    int found = host_luns(sysfs_root, devid, present, MAX_LUNS);
    if (found < 0) {
        /* Never act on a partial list: that would hot-remove LUNs. */
        log_warn("vscsi-%u/%u: cannot list the LUNs of host %u (%s): not synced this time",
                 (unsigned)domid, (unsigned)devid, (unsigned)devid,
                 found == -E2BIG ? "more than 512" : strerror(-found));
        return;
    }
    unsigned np = (unsigned)found;
    forget_missing(h, present, np);
    /* While the device reconfigures, hot-plug is refused as busy: only the
     * bookkeeping now; the end of the reconfiguration syncs again. */
    int bstate = xsu_read_state(xs, XBT_NULL, dir, "state");
    bool busy = bstate == XenbusStateReconfiguring || bstate == XenbusStateReconfigured;

    /* What vscsi-devs says: LUNs written already (by us, a toolstack,
     * DSCSI_HBA.create) are not offered again; LUNs whose device is gone
     * are hot-removed. */
    static bool pending[MAX_LUNS];   /* its earlier removal is not over yet */
    memset(pending, 0, sizeof(pending));
    unsigned *indexes;
    int nd = xsu_lun_indexes(xs, XBT_NULL, dir, &indexes);
    for (int i = 0; i < nd; i++) {
        unsigned index = indexes[i];
        char ldir[XSU_PATH_MAX], hctl[VSCSI_HCTL_STRLEN];
        if (xsu_lun_dir(ldir, dir, index) < 0)
            continue;
        char *pdev = xsu_read(xs, XBT_NULL, ldir, "p-dev");
        bool mine = managed_pdev(pdev, devid, hctl);
        free(pdev);
        if (!mine)
            continue;
        int state = xsu_read_state(xs, XBT_NULL, ldir, "state");
        int at = -1;
        for (unsigned j = 0; j < np && at < 0; j++)
            if (strcmp(hctl, present[j].hctl) == 0)
                at = (int)j;
        bool live = state >= XenbusStateInitialising && state <= XenbusStateConnected;
        bool left = has_left(h, hctl);
        log_debug("vscsi-%u/%u: whole-HBA: dev-%u %s state %d%s%s%s", (unsigned)domid,
                  (unsigned)devid, index, hctl, state, at >= 0 ? ", on the host" : "",
                  left ? ", left earlier" : "",
                  set_find(h->offered, h->nr_offered, hctl) ? ", offered" : "");
        if (at >= 0 && left && (live || state == XenbusStateClosing))
            /* Back (or a new device at the same address) while the entry of
             * its earlier life is still served or being removed: that one
             * goes first, the LUN is offered once it is Closed. */
            pending[at] = true;
        else if (at >= 0 && !left && !set_find(h->offered, h->nr_offered, hctl)) {
            /* An entry this daemon has no record of (a toolstack's or
             * DSCSI_HBA.create's, or from before a restart): one being
             * removed goes first; in any other state, even refused
             * (Closed), the LUN is not offered again until it leaves and
             * comes back. */
            if (state == XenbusStateClosing)
                pending[at] = true;
            else
                remember(h, hctl, present[at].ino);
        }
        if (live && (at < 0 || left) && !busy) {
            struct xsa_result res;
            if (xsa_detach(xs, be, domid, devid, index, &res) == 0 && res.status == XSA_OK)
                log_info("vscsi-%u/%u: %s left host %u: hot-removed", (unsigned)domid,
                         (unsigned)devid, hctl, (unsigned)devid);
        }
        /* Its removal is over and the LUN is not on the host: cleared, as a
         * toolstack clears a LUN it unplugged (a returning LUN is then new
         * even to a restarted daemon). */
        if (at < 0 && state == XenbusStateClosed && !xs_rm(xs, XBT_NULL, ldir) &&
            errno != ENOENT)
            log_warn("vscsi-%u/%u: clearing %s: %s", (unsigned)domid, (unsigned)devid, ldir,
                     strerror(errno));
    }
    free(indexes);

    /* Hot-add LUNs that appeared (identity mapping). */
    for (unsigned j = 0; j < np && !busy; j++) {
        const char *hctl = present[j].hctl;
        if (set_find(h->offered, h->nr_offered, hctl) || pending[j])
            continue;
        struct vscsi_hctl v;
        if (vscsi_hctl_parse(hctl, &v) < 0)
            continue;
        struct xsa_result res;
        int r = xsa_attach(xs, be, domid, &v, hctl, NULL, &res);
        if (r < 0)
            log_warn("vscsi-%u/%u: hot-adding %s: %s (retried on the next event)",
                     (unsigned)domid, (unsigned)devid, hctl, strerror(-r));
        if (r < 0 || res.status == XSA_BUSY)
            continue;   /* retried on the next event */
        remember(h, hctl, present[j].ino);
        if (res.status == XSA_OK)
            log_info("vscsi-%u/%u: %s appeared on host %u: hot-added", (unsigned)domid,
                     (unsigned)devid, hctl, (unsigned)devid);
        else
            log_warn("vscsi-%u/%u: %s appeared on host %u, not offered (xsattach status %d)",
                     (unsigned)domid, (unsigned)devid, hctl, (unsigned)devid, (int)res.status);
    }
}
