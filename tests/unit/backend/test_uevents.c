/* SCSI device events (backend/uevents.c): which source, which events. The
 * events themselves need a SCSI subsystem (the sg tier, tests/vm, has one):
 * here the monitors are opened on both sources and must stay quiet. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "uevents.h"

static char dir[] = "/tmp/pvscsid-uevents.XXXXXX";
static char control[64];   /* a stand-in for /run/udev/control */

static void setup(void)
{
    if (!control[0]) {
        if (!mkdtemp(dir))
            abort();
        snprintf(control, sizeof(control), "%s/control", dir);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

TEST(udevd_running_means_its_control_socket_exists)
{
    setup();
    CHECK_INT_EQ(uevents_pick_source(control), UEVENTS_KERNEL);
    int fd = open(control, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    close(fd);
    CHECK_INT_EQ(uevents_pick_source(control), UEVENTS_UDEV);
    unlink(control);
    CHECK_INT_EQ(uevents_pick_source(control), UEVENTS_KERNEL);
    /* A directory on the way that is not there: no udevd either. */
    CHECK_INT_EQ(uevents_pick_source("/nonexistent/pvscsid/udev/control"), UEVENTS_KERNEL);
    CHECK_STR_EQ(uevents_source_name(UEVENTS_UDEV), "udev");
    CHECK_STR_EQ(uevents_source_name(UEVENTS_KERNEL), "kernel");
}

TEST(which_events_rescan)
{
    /* The sg node is what the LUN is served through: its add is "ready". */
    CHECK(uevents_wants_rescan("scsi_generic", "add"));
    CHECK(uevents_wants_rescan("scsi_generic", "remove"));
    CHECK(uevents_wants_rescan("scsi", "remove"));
    /* The LUN's own add comes before its sg node exists. */
    CHECK(!uevents_wants_rescan("scsi", "add"));
    CHECK(!uevents_wants_rescan("scsi", "change"));
    CHECK(uevents_wants_rescan("scsi", "bind"));     /* PSCSI driver/nodes change */
    CHECK(uevents_wants_rescan("scsi", "unbind"));
    CHECK(!uevents_wants_rescan("scsi_generic", "change"));
    CHECK(!uevents_wants_rescan("block", "add"));
    CHECK(!uevents_wants_rescan("block", "remove"));
    CHECK(!uevents_wants_rescan(NULL, "remove"));
    CHECK(!uevents_wants_rescan("scsi", NULL));
}

/* Opens on the source the control path picks; quiet: take() returns at
 * once with nothing to rescan. */
static void open_quiet(enum uevents_source want)
{
    struct uevents *u = uevents_open(control);
    if (!u && (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT || errno == EACCES ||
               errno == EPERM))
        TAP_SKIP("no uevent netlink socket here");
    REQUIRE(u);
    CHECK_INT_EQ(uevents_source(u), want);
    int fd = uevents_fd(u);
    CHECK(fd >= 0);
    CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
    CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    double t0 = now_s();
    /* No SCSI subsystem on this machine: whatever arrives is filtered. */
    CHECK(!uevents_take(u));
    CHECK(now_s() - t0 < 1.0);
    uevents_close(u);
}

TEST(kernel_source_without_udevd)
{
    setup();
    unlink(control);
    open_quiet(UEVENTS_KERNEL);
}

TEST(udev_source_with_udevd)
{
    setup();
    int fd = open(control, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    close(fd);
    open_quiet(UEVENTS_UDEV);
    unlink(control);
    rmdir(dir);
}

TEST(close_accepts_null)
{
    uevents_close(NULL);
}

TAP_MAIN(udevd_running_means_its_control_socket_exists, which_events_rescan,
         kernel_source_without_udevd, udev_source_with_udevd, close_accepts_null)
