#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fakesys.h"
#include "scsi_vpd.h"
#include "tap.h"

static int devdir(const char *root, const char *hctl)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/bus/scsi/devices/%s", root, hctl);
    return open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* The standard fake tree (fakesys_standard) in *root and the directory of
 * its device hctl, opened: the fd, or -1. */
static int standard_devdir(char **root, const char *hctl)
{
    *root = fakesys_create();
    if (!*root || fakesys_standard(*root) != 0)
        return -1;
    return devdir(*root, hctl);
}

/* Device hctl of the standard tree (vendor, model as its INQUIRY says)
 * gets the id want from its sysfs page files, sg node or not. */
static void check_id_from_files(const char *hctl, const char *sg, const char *vendor,
                                const char *model, const char *want)
{
    char *root, out[SCSI_ID_MAX];
    int fd = standard_devdir(&root, hctl);
    REQUIRE(fd >= 0);
    CHECK_INT_EQ(scsi_vpd_scsi_id(fd, sg, vendor, model, out), 0);
    CHECK_STR_EQ(out, want);
    close(fd);
    fakesys_destroy(root);
}

TEST(page83_file_preferred)
{
    check_id_from_files("0:0:0:0", "/nonexistent/sg0", "LIO-ORG ", "disk0           ",
                        fakesys_standard_ids[0]);
}

TEST(page80_file_when_no_83)
{
    check_id_from_files("2:0:0:1", NULL, "SEAGATE ", "ST318406LC      ", fakesys_standard_ids[4]);
}

TEST(sg_fallback_when_sysfs_has_no_pages)
{
    char *root, out[SCSI_ID_MAX];
    int fd = standard_devdir(&root, "2:0:0:0");
    REQUIRE(fd >= 0);
    /* No such node: no id, and no error beyond "none". */
    CHECK_INT_EQ(scsi_vpd_scsi_id(fd, "/nonexistent/sg3", NULL, NULL, out), -ENOENT);
    CHECK_STR_EQ(out, "");
    /* A node that is no SCSI device: INQUIRY fails, still just "none". */
    CHECK_INT_EQ(scsi_vpd_scsi_id(fd, "/dev/null", NULL, NULL, out), -ENOENT);
    CHECK_INT_EQ(scsi_vpd_scsi_id(fd, NULL, NULL, NULL, out), -ENOENT);
    close(fd);
    fakesys_destroy(root);
}

TEST(garbage_page_files)
{
    char *root = fakesys_create(), out[SCSI_ID_MAX];
    REQUIRE(root);
    const uint8_t junk[] = {0x00, 0x99, 0x00, 0x00};
    struct fakesys_dev d = {.hctl = "3:0:0:0", .vendor = "X", .model = "Y", .type = 0,
                            .pg83 = junk, .pg83_len = sizeof(junk), .pg80 = junk,
                            .pg80_len = 1};
    REQUIRE(fakesys_add(root, &d) == 0);
    int fd = devdir(root, "3:0:0:0");
    REQUIRE(fd >= 0);
    CHECK_INT_EQ(scsi_vpd_scsi_id(fd, NULL, NULL, NULL, out), -ENOENT);
    close(fd);
    fakesys_destroy(root);
}

TAP_MAIN(page83_file_preferred, page80_file_when_no_83, sg_fallback_when_sysfs_has_no_pages,
         garbage_page_files)
