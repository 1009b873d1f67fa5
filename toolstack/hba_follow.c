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
static void forget_missing(struct hba_follow *h)
{
    for (unsigned i = 0; i < h->nr_offered;) {
        bool same = false;
        for (unsigned j = 0; j < h->nr_present; j++)
            if (strcmp(h->offered[i].hctl, h->present[j].hctl) == 0) {
                same = h->offered[i].ino == h->present[j].ino;
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

void hba_follow_init(struct hba_follow *h, unsigned be, unsigned domid, unsigned devid,
                     const char *sysfs_root)
{
    *h = (struct hba_follow){.be = be, .domid = domid, .devid = devid,
                             .sysfs_root = sysfs_root ? sysfs_root : "/sys"};
    log_device_name(h->name, domid, devid);
}

void hba_follow_free(struct hba_follow *h)
{
    set_free(&h->offered, &h->nr_offered);
    set_free(&h->left, &h->nr_left);
    free(h->present);
    h->present = NULL;
}

/* A LUN counts once it has its sg node, the one the sg handler opens: the
 * kernel adds that after the LUN itself (and after the LUN's own uevent),
 * so a LUN seen without it is not ready yet; its sg's uevent follows.
 * 1 there, 0 not (yet), -errno when sysfs cannot tell. */
static int has_sg(const char *sysfs_root, const char *hctl)
{
    char sg[64];
    int r = scsi_sysfs_sg_node(sysfs_root, hctl, sg, sizeof(sg), NULL);
    if (r == 0)
        return 1;
    return r == -ENODEV || r == -ENOENT ? 0 : r;
}

/* Lists the LUNs of the followed host in sysfs ("H:C:T:L" entries with an
 * sg node) into h->present, with the inode of their directory. 0, or -errno
 * when the list cannot be complete (sysfs unreadable, -E2BIG past
 * HBA_FOLLOW_MAX_LUNS): the caller must not act on it then. */
static int look_at_host(struct hba_follow *h)
{
    h->nr_present = 0;
    if (!h->present) {
        h->present = calloc(HBA_FOLLOW_MAX_LUNS, sizeof(*h->present));
        if (!h->present)
            return -ENOMEM;
    }
    char path[256];
    int len = snprintf(path, sizeof(path), "%s/bus/scsi/devices", h->sysfs_root);
    if (len < 0 || (size_t)len >= sizeof(path))
        return -ENAMETOOLONG;
    DIR *d = opendir(path);
    if (!d)
        return -errno;
    int r = 0;
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (!e) {
            r = errno ? -errno : 0;
            break;
        }
        struct vscsi_hctl a;
        /* Re-formatted from the parsed address: canonical and bounded. */
        if (vscsi_hctl_parse(e->d_name, &a) < 0 || a.host != h->devid ||
            !vscsi_hctl_fits_ring(&a))
            continue;
        if (h->nr_present == HBA_FOLLOW_MAX_LUNS) {
            r = -E2BIG;
            break;
        }
        struct hba_present *p = &h->present[h->nr_present];
        if (vscsi_hctl_format(&a, p->hctl, VSCSI_HCTL_STRLEN) <= 0)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, 0) < 0) {
            if (errno == ENOENT)
                continue;   /* gone while we looked */
            r = -errno;
            break;
        }
        int sg = has_sg(h->sysfs_root, p->hctl);
        if (sg < 0) {
            r = sg;
            break;
        }
        if (sg) {
            p->ino = (uint64_t)st.st_ino;
            p->pending = false;
            h->nr_present++;
        }
    }
    closedir(d);
    return r;
}

static struct hba_present *present_find(struct hba_follow *h, const char *hctl)
{
    for (unsigned j = 0; j < h->nr_present; j++)
        if (strcmp(hctl, h->present[j].hctl) == 0)
            return &h->present[j];
    return NULL;
}

/* The canonical H:C:T:L of p-dev if it is a LUN of `host`, else false:
 * entries in any other form are not the follower's to manage. */
static bool managed_pdev(const char *pdev, uint32_t host, char out[VSCSI_HCTL_STRLEN])
{
    struct vscsi_hctl a;
    return pdev && vscsi_hctl_parse(pdev, &a) == 0 && a.host == host &&
           vscsi_hctl_format(&a, out, VSCSI_HCTL_STRLEN) > 0;
}

/* One dev-N entry of the device, as scsiback_do_1lun_hotplug looks at one:
 * an entry whose LUN left the host is hot-removed and, once Closed,
 * cleared; a LUN that came back waits for its old entry to go. */
static void review_entry(struct hba_follow *h, struct xs_handle *xs, const char *be_dir,
                         unsigned index, bool busy)
{
    char ldir[XSU_PATH_MAX], hctl[VSCSI_HCTL_STRLEN];
    if (xsu_lun_dir(ldir, be_dir, index) < 0)
        return;
    char *pdev = xsu_read(xs, XBT_NULL, ldir, "p-dev");
    bool mine = managed_pdev(pdev, h->devid, hctl);
    free(pdev);
    if (!mine)
        return;
    int state = xsu_read_state(xs, XBT_NULL, ldir, "state");
    struct hba_present *here = present_find(h, hctl);
    bool live = state >= XenbusStateInitialising && state <= XenbusStateConnected;
    bool left = has_left(h, hctl);
    log_debug("%s: whole-HBA: dev-%u %s state %d%s%s%s", h->name, index, hctl, state,
              here ? ", on the host" : "", left ? ", left earlier" : "",
              set_find(h->offered, h->nr_offered, hctl) ? ", offered" : "");
    if (here && left && (live || state == XenbusStateClosing))
        /* Back (or a new device at the same address) while the entry of
         * its earlier life is still served or being removed: that one
         * goes first, the LUN is offered once it is Closed. */
        here->pending = true;
    else if (here && !left && !set_find(h->offered, h->nr_offered, hctl)) {
        /* An entry this daemon has no record of (a toolstack's or
         * DSCSI_HBA.create's, or from before a restart): one being
         * removed goes first; in any other state, even refused
         * (Closed), the LUN is not offered again until it leaves and
         * comes back. */
        if (state == XenbusStateClosing)
            here->pending = true;
        else
            remember(h, hctl, here->ino);
    }
    if (live && (!here || left) && !busy) {
        struct xsa_result res;
        if (xsa_detach(xs, h->be, h->domid, h->devid, index, &res) == 0 && res.status == XSA_OK)
            log_info("%s: %s left host %u: hot-removed", h->name, hctl, h->devid);
    }
    /* Its removal is over and the LUN is not on the host: cleared, as a
     * toolstack clears a LUN it unplugged (a returning LUN is then new
     * even to a restarted daemon). */
    if (!here && state == XenbusStateClosed && !xs_rm(xs, XBT_NULL, ldir) && errno != ENOENT)
        log_warn("%s: clearing %s: %s", h->name, ldir, strerror(errno));
}

/* Hot-adds a LUN that appeared on the host (identity mapping). */
static void offer(struct hba_follow *h, struct xs_handle *xs, const struct hba_present *p)
{
    struct vscsi_hctl v;
    if (vscsi_hctl_parse(p->hctl, &v) < 0)
        return;
    struct xsa_result res;
    int r = xsa_attach(xs, h->be, h->domid, &v, p->hctl, NULL, &res);
    if (r < 0)
        log_warn("%s: hot-adding %s: %s (retried on the next event)", h->name, p->hctl,
                 strerror(-r));
    if (r < 0 || res.status == XSA_BUSY)
        return;   /* retried on the next event */
    remember(h, p->hctl, p->ino);
    if (res.status == XSA_OK)
        log_info("%s: %s appeared on host %u: hot-added", h->name, p->hctl, h->devid);
    else
        log_warn("%s: %s appeared on host %u, not offered (xsattach status %d)", h->name,
                 p->hctl, h->devid, (int)res.status);
}

void hba_follow_sync(struct hba_follow *h, struct xs_handle *xs)
{
    char dir[XSU_PATH_MAX];
    if (xsu_backend_dir(dir, h->be, h->domid, h->devid) < 0)
        return;
    int r = look_at_host(h);
    if (r < 0) {
        /* Never act on a partial list: that would hot-remove LUNs. */
        log_warn("%s: cannot list the LUNs of host %u (%s): not synced this time", h->name,
                 h->devid, r == -E2BIG ? "more than 512" : strerror(-r));
        return;
    }
    forget_missing(h);
    /* While the device reconfigures, hot-plug is refused as busy: only the
     * bookkeeping now; the end of the reconfiguration syncs again. */
    int bstate = xsu_read_state(xs, XBT_NULL, dir, "state");
    bool busy = bstate == XenbusStateReconfiguring || bstate == XenbusStateReconfigured;
    /* What vscsi-devs says: LUNs written already (by us, a toolstack,
     * DSCSI_HBA.create) are not offered again; LUNs whose device is gone
     * are hot-removed. */
    unsigned *indexes;
    int nd = xsu_lun_indexes(xs, XBT_NULL, dir, &indexes);
    for (int i = 0; i < nd; i++)
        review_entry(h, xs, dir, indexes[i], busy);
    free(indexes);
    for (unsigned j = 0; j < h->nr_present && !busy; j++)
        if (!h->present[j].pending && !set_find(h->offered, h->nr_offered, h->present[j].hctl))
            offer(h, xs, &h->present[j]);
}
