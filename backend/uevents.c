#include <errno.h>
#include <libudev.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "uevents.h"

/* A host scan can announce hundreds of LUNs at once; beyond this the
 * kernel drops events (and uevents_take() rescans). Needs CAP_NET_ADMIN
 * (SO_RCVBUFFORCE); without it the default stays. */
#define RCVBUF_BYTES (4 << 20)
/* Receive errors tolerated in one uevents_take() (ENOBUFS is reported
 * once per overflow; anything else repeating means a broken socket). */
#define MAX_ERRORS 8

struct uevents {
    struct udev *udev;
    struct udev_monitor *mon;
    enum uevents_source source;
};

enum uevents_source uevents_pick_source(const char *udev_control)
{
    return access(udev_control, F_OK) == 0 ? UEVENTS_UDEV : UEVENTS_KERNEL;
}

const char *uevents_source_name(enum uevents_source s)
{
    return s == UEVENTS_UDEV ? "udev" : "kernel";
}

bool uevents_wants_rescan(const char *subsystem, const char *action)
{
    if (!subsystem || !action)
        return false;
    bool scsi = strcmp(subsystem, "scsi") == 0, sg = strcmp(subsystem, "scsi_generic") == 0;
    if (strcmp(action, "remove") == 0)
        return scsi || sg;
    /* a dom0 driver (st, sd, sr, ch) bound or unbound: the PSCSI records
     * show it (driver, nodes) */
    if (scsi && (strcmp(action, "bind") == 0 || strcmp(action, "unbind") == 0))
        return true;
    return sg && strcmp(action, "add") == 0;
}

void uevents_close(struct uevents *u)
{
    if (!u)
        return;
    if (u->mon)
        udev_monitor_unref(u->mon);
    if (u->udev)
        udev_unref(u->udev);
    free(u);
}

struct uevents *uevents_open(const char *udev_control)
{
    struct uevents *u = calloc(1, sizeof(*u));
    if (!u)
        return NULL;
    u->source = uevents_pick_source(udev_control);
    u->udev = udev_new();
    if (u->udev)
        u->mon = udev_monitor_new_from_netlink(u->udev, uevents_source_name(u->source));
    int r = u->mon ? 0 : -(errno ? errno : ENOMEM);
    if (r == 0)
        r = udev_monitor_filter_add_match_subsystem_devtype(u->mon, "scsi", NULL);
    if (r >= 0)
        r = udev_monitor_filter_add_match_subsystem_devtype(u->mon, "scsi_generic", NULL);
    if (r >= 0)
        r = udev_monitor_enable_receiving(u->mon);
    if (r < 0) {
        uevents_close(u);
        errno = -r;
        return NULL;
    }
    (void)udev_monitor_set_receive_buffer_size(u->mon, RCVBUF_BYTES);
    return u;
}

enum uevents_source uevents_source(const struct uevents *u)
{
    return u->source;
}

int uevents_fd(const struct uevents *u)
{
    return udev_monitor_get_fd(u->mon);
}

bool uevents_take(struct uevents *u)
{
    bool rescan = false;
    unsigned errors = 0;
    for (;;) {
        errno = 0;
        struct udev_device *dev = udev_monitor_receive_device(u->mon);
        if (dev) {
            const char *subsystem = udev_device_get_subsystem(dev);
            const char *action = udev_device_get_action(dev);
            bool wants = uevents_wants_rescan(subsystem, action);
            log_debug("uevent %s %s %s%s", action ? action : "?", subsystem ? subsystem : "?",
                      udev_device_get_sysname(dev) ? udev_device_get_sysname(dev) : "?",
                      wants ? ": rescan" : "");
            rescan |= wants;
            udev_device_unref(dev);
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == 0)
            break;
        if (errno == EINTR)
            continue;
        /* ENOBUFS: the kernel dropped events; nothing says which. */
        log_warn("SCSI device events: %s; rescanning", strerror(errno));
        rescan = true;
        if (++errors >= MAX_ERRORS)
            break;
    }
    return rescan;
}
