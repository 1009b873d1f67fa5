/*
 * SCSI devices coming and going, as uevents: what whole-HBA mode
 * (hba_follow.h) and the management API's PSCSI list follow.
 *
 * Where udevd runs, the events come from udevd, after its rules ran (a
 * node's owner and mode are final then). Where it does not (an initramfs,
 * a minimal dom0: devtmpfs makes the nodes) they come straight from the
 * kernel. "udevd runs" is libudev's own test: its control socket
 * /run/udev/control exists (udev_monitor_new_from_netlink() checks the
 * same; with /dev on devtmpfs it still listens to udevd's source then, on
 * which nothing would ever arrive).
 *
 *   struct uevents *u = uevents_open(UEVENTS_UDEV_CONTROL);
 *   poll on uevents_fd(u); when readable:
 *   if (uevents_take(u)) rescan();
 *   uevents_close(u);
 */
#ifndef PVSCSID_UEVENTS_H
#define PVSCSID_UEVENTS_H

#include <stdbool.h>

#define UEVENTS_UDEV_CONTROL "/run/udev/control"

enum uevents_source {
    UEVENTS_UDEV,       /* libudev's "udev" source: events udevd has processed */
    UEVENTS_KERNEL,     /* libudev's "kernel" source: the kernel's own events */
};

/* The source to listen to: UEVENTS_UDEV if udev_control (the path of
 * udevd's control socket) exists, else UEVENTS_KERNEL. */
enum uevents_source uevents_pick_source(const char *udev_control);
/* "udev" or "kernel" (libudev's names of the sources). */
const char *uevents_source_name(enum uevents_source s);

/* Whether an event calls for a rescan of SCSI devices. A LUN is served
 * through its sg node, which the kernel adds after the LUN's own "scsi"
 * add event (sg hooks the scsi_device class device) and after devtmpfs
 * made the node: so "scsi_generic" add is the one that says "ready".
 * Removals: the kernel sends a device's remove event before its sysfs
 * directory goes (device_del), so at the sg node's remove the LUN may
 * still look complete; at the LUN's own "scsi" remove, which comes after,
 * the sg node's directory and the LUN's bus entry are gone. Both count.
 * A "scsi" bind or unbind (st, sd, sr, ch taking or leaving a LUN) counts
 * too: the PSCSI records show the dom0 driver and its nodes. */
bool uevents_wants_rescan(const char *subsystem, const char *action);

struct uevents;

/* Listens for "scsi" and "scsi_generic" events on the source
 * uevents_pick_source(udev_control) names. NULL (errno set) if libudev
 * cannot: SIGHUP then does the rescan. */
struct uevents *uevents_open(const char *udev_control);
enum uevents_source uevents_source(const struct uevents *u);
/* Readable when events are pending (non-blocking). */
int uevents_fd(const struct uevents *u);
/* Takes every pending event; true when one calls for a rescan, or when
 * events were lost (the socket's buffer overflowed): only a rescan tells
 * what changed then. Never blocks. */
bool uevents_take(struct uevents *u);
/* Accepts NULL. */
void uevents_close(struct uevents *u);

#endif
