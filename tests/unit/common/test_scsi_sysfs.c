/* A SCSI device's upper-level driver and its nodes, over a fake sysfs tree
 * (common/scsi_sysfs.c). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "scsi_sysfs.h"
#include "sg_fakesys.h"
#include "tap.h"

static struct fakesys fs;

/* The device directory of hctl, open; -1 on failure. */
static int open_dev(const char *hctl)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/bus/scsi/devices/%s", fs.root, hctl);
    return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* The nodes and driver of hctl, as the helpers report them. */
static void names_of(const char *hctl, char nodes[SCSI_SYSFS_NODES_MAX], int *nodes_r,
                     char driver[SCSI_SYSFS_NAME_MAX], int *driver_r)
{
    int fd = open_dev(hctl);
    nodes[0] = driver[0] = '\0';
    *nodes_r = *driver_r = -EBADF;
    if (fd < 0)
        return;
    *nodes_r = scsi_sysfs_nodes(fd, nodes, SCSI_SYSFS_NODES_MAX);
    *driver_r = scsi_sysfs_driver(fd, driver, SCSI_SYSFS_NAME_MAX);
    close(fd);
}

TEST(tape_lists_the_mode0_pair_rewinding_first)
{
    /* All eight nodes st makes for one tape, in readdir's order. */
    static const char *const st[] = {"nst0a", "st0m", "nst0", "st0l", "nst0l", "st0a", "st0",
                                      "nst0m", NULL};
    REQUIRE(fakesys_add_held(&fs, "1:0:1:0", 1, "sg1", "st", "scsi_tape", st) == 0);
    char nodes[SCSI_SYSFS_NODES_MAX], drv[SCSI_SYSFS_NAME_MAX];
    int nr, dr;
    names_of("1:0:1:0", nodes, &nr, drv, &dr);
    CHECK_INT_EQ(nr, 0);
    CHECK_STR_EQ(nodes, "st0 nst0");
    CHECK_INT_EQ(dr, 0);
    CHECK_STR_EQ(drv, "st");
}

TEST(changer_cd_and_disk)
{
    static const char *const sch[] = {"sch0", NULL}, *const sr[] = {"sr0", NULL},
                             *const sd[] = {"sdb", "sda", NULL};
    REQUIRE(fakesys_add_held(&fs, "1:0:2:0", 8, "sg2", "ch", "scsi_changer", sch) == 0);
    REQUIRE(fakesys_add_held(&fs, "2:0:0:0", 5, "sg3", "sr", "block", sr) == 0);
    /* Two block entries never happen; they would be listed sorted. */
    REQUIRE(fakesys_add_held(&fs, "0:0:0:0", 0, "sg0", "sd", "block", sd) == 0);
    const char *hctl[] = {"1:0:2:0", "2:0:0:0", "0:0:0:0"};
    const char *want_nodes[] = {"sch0", "sr0", "sda sdb"};
    const char *want_drv[] = {"ch", "sr", "sd"};
    for (int i = 0; i < 3; i++) {
        char nodes[SCSI_SYSFS_NODES_MAX], drv[SCSI_SYSFS_NAME_MAX];
        int nr, dr;
        names_of(hctl[i], nodes, &nr, drv, &dr);
        CHECK_INT_EQ(nr, 0);
        CHECK_STR_EQ(nodes, want_nodes[i]);
        CHECK_INT_EQ(dr, 0);
        CHECK_STR_EQ(drv, want_drv[i]);
    }
}

TEST(old_class_colon_layout)
{
    /* CONFIG_SYSFS_DEPRECATED: "<class>:<name>" links in the device dir. */
    REQUIRE(fakesys_add_held(&fs, "3:0:0:0", 1, "sg5", "st", NULL, NULL) == 0);
    static const char *const links[] = {"scsi_tape:nst1", "scsi_tape:st1l", "scsi_tape:st1",
                                        "scsi_generic:sg5", "block:bogus-but-other-class"};
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        char rel[128];
        snprintf(rel, sizeof(rel), "bus/scsi/devices/3:0:0:0/%s", links[i]);
        /* Where they point does not matter. */
        REQUIRE(fakesys_symlink(&fs, "../../../class/x", rel) == 0);
    }
    char nodes[SCSI_SYSFS_NODES_MAX], drv[SCSI_SYSFS_NAME_MAX];
    int nr, dr;
    names_of("3:0:0:0", nodes, &nr, drv, &dr);
    CHECK_INT_EQ(nr, 0);
    CHECK_STR_EQ(nodes, "bogus-but-other-class st1 nst1");
    CHECK_STR_EQ(drv, "st");
}

TEST(no_driver_no_nodes)
{
    /* An enclosure or a controller dom0 has no driver for: only sg. */
    REQUIRE(fakesys_add_device(&fs, "4:0:0:0", 13, "sg6", NULL, 0) == 0);
    char nodes[SCSI_SYSFS_NODES_MAX], drv[SCSI_SYSFS_NAME_MAX];
    int nr, dr;
    names_of("4:0:0:0", nodes, &nr, drv, &dr);
    CHECK_INT_EQ(nr, 0);
    CHECK_STR_EQ(nodes, "");
    CHECK_INT_EQ(dr, -ENOENT);
    /* A `driver` that is not a link is no binding either. */
    REQUIRE(fakesys_write(&fs, "bus/scsi/devices/4:0:0:0/driver", "x\n", 2) == 0);
    names_of("4:0:0:0", nodes, &nr, drv, &dr);
    CHECK_INT_EQ(dr, -ENOENT);
}

TEST(too_small_buffers)
{
    int fd = open_dev("1:0:1:0");
    REQUIRE(fd >= 0);
    char out[8] = "junk";
    /* "st0 nst0" takes 9 bytes with its NUL. */
    CHECK_INT_EQ(scsi_sysfs_nodes(fd, out, sizeof(out)), -ENAMETOOLONG);
    CHECK_STR_EQ(out, "");
    CHECK_INT_EQ(scsi_sysfs_nodes(fd, out, 0), -ENAMETOOLONG);
    char four[4];
    CHECK_INT_EQ(scsi_sysfs_nodes(fd, four, sizeof(four)), -ENAMETOOLONG);
    CHECK_STR_EQ(four, "");
    char nine[9];
    CHECK_INT_EQ(scsi_sysfs_nodes(fd, nine, sizeof(nine)), 0);
    CHECK_STR_EQ(nine, "st0 nst0");
    char two[2];
    CHECK_INT_EQ(scsi_sysfs_driver(fd, two, sizeof(two)), -ENAMETOOLONG);
    char three[3];
    CHECK_INT_EQ(scsi_sysfs_driver(fd, three, sizeof(three)), 0);
    CHECK_STR_EQ(three, "st");
    close(fd);
}

TEST(fake_sysfs)
{
    REQUIRE(fakesys_init(&fs) == 0);
}

TEST(remove_fake_sysfs)
{
    fakesys_remove(&fs);
}

TAP_MAIN(fake_sysfs, tape_lists_the_mode0_pair_rewinding_first, changer_cd_and_disk,
         old_class_colon_layout, no_driver_no_nodes, too_small_buffers, remove_fake_sysfs)
