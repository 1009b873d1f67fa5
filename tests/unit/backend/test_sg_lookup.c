/* p-dev parsing and resolution through a fake sysfs tree
 * (backend/handlers/sg_lookup.c). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "sg_fakesys.h"
#include "sg_lookup.h"
#include "tap.h"

/* WWNs of the fake devices. */
#define WWN_A "6001405a0b1c2d3e4f5a6b7c8d9e0f11"   /* LU NAA 6 of 1:0:2:3 */
#define WWN_B "5001405000000b04"                   /* LU NAA 5 of 1:0:2:4 */
#define WWN_PORT "500140500000aaaa"                /* their target port */
#define WWN_DUP "6001405000000000000000000000dddd" /* LU seen as 2:0:0:0 and 3:0:0:0 */
#define WWN_NOSG "600140500000000000000000000000ee" /* 4:0:0:0, no sg node */
#define WWN_TRUNC "600140500000000000000000000000ff" /* 5:0:0:0, truncated page */
#define WWN_OTHER "6001405000000000000000000000abcd" /* nobody */

static struct fakesys fs;

static int hexbytes(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return (int)n;
}

/* A page 0x83 with an LU NAA (if lu) and a target port NAA (if port). */
static size_t vpd_page(uint8_t *page, const char *lu, const char *port)
{
    size_t off = 4;
    const char *ids[2] = {lu, port};
    for (int i = 0; i < 2; i++) {
        if (!ids[i])
            continue;
        int n = hexbytes(ids[i], page + off + 4);
        page[off] = i == 0 ? 0x01 : 0x61;         /* binary; SAS for the port */
        page[off + 1] = i == 0 ? 0x03 : 0x93;     /* NAA, assoc 0 / PIV + assoc 1 */
        page[off + 2] = 0;
        page[off + 3] = (uint8_t)n;
        off += 4 + (size_t)n;
    }
    page[0] = 0x00;
    page[1] = 0x83;
    page[2] = (uint8_t)((off - 4) >> 8);
    page[3] = (uint8_t)(off - 4);
    return off;
}

static int build_tree(void)
{
    uint8_t page[128];
    size_t len;
    int r = fakesys_init(&fs);
    if (r < 0)
        return r;
    len = vpd_page(page, WWN_A, WWN_PORT);
    if ((r = fakesys_add_device(&fs, "1:0:2:3", 0, "sg32765", page, len)) < 0)
        return r;
    len = vpd_page(page, WWN_B, WWN_PORT);
    if ((r = fakesys_add_device(&fs, "1:0:2:4", 1, "sg32766", page, len)) < 0)
        return r;
    len = vpd_page(page, WWN_DUP, NULL);
    if ((r = fakesys_add_device(&fs, "3:0:0:0", 0, "sg32763", page, len)) < 0 ||
        (r = fakesys_add_device(&fs, "2:0:0:0", 0, "sg32764", page, len)) < 0)
        return r;
    len = vpd_page(page, WWN_NOSG, NULL);
    if ((r = fakesys_add_device(&fs, "4:0:0:0", 8, NULL, page, len)) < 0)
        return r;
    /* The page claims 4 more bytes than the file has. */
    len = vpd_page(page, WWN_TRUNC, NULL);
    page[3] += 4;
    if ((r = fakesys_add_device(&fs, "5:0:0:0", 0, "sg32761", page, len)) < 0)
        return r;
    static const char garbage[] = "not a VPD page at all\n";
    if ((r = fakesys_add_device(&fs, "6:0:0:0", 0, "sg32760", garbage, sizeof(garbage))) < 0)
        return r;
    /* No vpd_pg83 (a device that does not report page 0x83). */
    if ((r = fakesys_add_device(&fs, "7:0:0:0", 5, "sg32762", NULL, 0)) < 0)
        return r;
    /* Two sg nodes under one device cannot happen; it must not pass. */
    if ((r = fakesys_add_device(&fs, "8:0:0:0", 0, "sg32758", NULL, 0)) < 0 ||
        (r = fakesys_mkdir(&fs, "bus/scsi/devices/8:0:0:0/scsi_generic/sg32759")) < 0)
        return r;
    /* Entries that are not LUs, and a bad type file. */
    if ((r = fakesys_mkdir(&fs, "bus/scsi/devices/host1")) < 0 ||
        (r = fakesys_mkdir(&fs, "bus/scsi/devices/target1:0:2")) < 0)
        return r;
    if ((r = fakesys_add_device(&fs, "9:0:0:0", 0, "sg32757", NULL, 0)) < 0 ||
        (r = fakesys_write(&fs, "bus/scsi/devices/9:0:0:0/type", "disk\n", 5)) < 0)
        return r;
    if ((r = fakesys_add_device(&fs, "9:0:0:1", 0, "sg32756", NULL, 0)) < 0 ||
        (r = fakesys_write(&fs, "bus/scsi/devices/9:0:0:1/type", "32\n", 3)) < 0)
        return r;
    return 0;
}

/* Resolves in the fake tree; dev and err for the checks. */
static char dev[PATH_MAX], err[256];
static int resolve(const char *pdev)
{
    strcpy(dev, "(unset)");
    err[0] = '\0';
    return sg_lookup_resolve(pdev, fs.root, dev, sizeof(dev), err, sizeof(err));
}

/* err with the fake root's path put in for "<root>". */
static const char *expect(const char *fmt)
{
    static char buf[512];
    const char *at = strstr(fmt, "<root>");
    if (!at)
        return fmt;
    snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - fmt), fmt, fs.root, at + 6);
    return buf;
}

TEST(parses_pdev_forms)
{
    struct sg_pdev p;
    CHECK_INT_EQ(sg_pdev_parse("1:0:2:3", &p), 0);
    CHECK_INT_EQ(p.kind, SG_PDEV_HCTL);
    CHECK_INT_EQ(p.hctl.host, 1);
    CHECK_INT_EQ(p.hctl.target, 2);
    CHECK_INT_EQ(p.hctl.lun, 3);

    CHECK_INT_EQ(sg_pdev_parse("naa.5001405000000B04", &p), 0);
    CHECK_INT_EQ(p.kind, SG_PDEV_NAA);
    CHECK_INT_EQ(p.naa_len, 8);
    static const uint8_t b[8] = {0x50, 0x01, 0x40, 0x50, 0x00, 0x00, 0x0b, 0x04};
    CHECK_MEM_EQ(p.naa, b, 8);
    CHECK(!p.has_lun);

    CHECK_INT_EQ(sg_pdev_parse("naa." WWN_A ":4294967295", &p), 0);
    CHECK_INT_EQ(p.naa_len, 16);
    CHECK_INT_EQ(p.naa[0], 0x60);
    CHECK_INT_EQ(p.naa[15], 0x11);
    CHECK(p.has_lun);
    CHECK_INT_EQ(p.lun, 4294967295u);

    CHECK_INT_EQ(sg_pdev_parse("/dev/sg0", &p), 0);
    CHECK_INT_EQ(p.kind, SG_PDEV_PATH);
    CHECK_INT_EQ(sg_pdev_parse("/dev/sg1234567890", &p), 0);
}

TEST(rejects_other_pdevs)
{
    static const char *const bad[] = {
        "", "null", "file:/tmp/disk.img", "1:0:0", "1:0:0:0:0", "naa.", "naa.123",
        "naa.500140500000aaa", "naa.500140500000aaaa0", "naa.500140500000aaag",
        "naa.500140500000aaaa:", "naa.500140500000aaaa:x", "naa.500140500000aaaa:-1",
        "naa.500140500000aaaa:4294967296", "NAA.500140500000aaaa", "iqn.2003-01.org:x",
        "/dev/sg", "/dev/sga", "/dev/sg0/", "/dev/sg-1", "/dev/bsg/1:0:0:0", "/dev/sda",
        "/dev/sg12345678901", "sg0", "/dev//sg0", "/dev/sg0 ",
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sg_pdev p = {.kind = SG_PDEV_PATH, .naa_len = 99};
        int r = sg_pdev_parse(bad[i], &p);
        if (r != -EINVAL)
            TAP_DIAG("\"%s\" gave %d", bad[i], r);
        CHECK_INT_EQ(r, -EINVAL);
        CHECK_INT_EQ(p.naa_len, 99);    /* untouched */
    }
    struct sg_pdev p;
    CHECK_INT_EQ(sg_pdev_parse(NULL, &p), -EINVAL);
    CHECK_INT_EQ(resolve("file:/x"), -EINVAL);
    CHECK_STR_EQ(err, "\"file:/x\" is not an sg p-dev (h:c:t:l, naa.<wwn>[:lun], /dev/sgN)");
}

TEST(resolves_hctl)
{
    CHECK_INT_EQ(resolve("1:0:2:3"), 0);
    CHECK_STR_EQ(dev, "/dev/sg32765");
    CHECK_INT_EQ(resolve("01:0:2:03"), 0);    /* sysfs names have no leading zeros */
    CHECK_STR_EQ(dev, "/dev/sg32765");
    CHECK_INT_EQ(resolve("7:0:0:0"), 0);
    CHECK_STR_EQ(dev, "/dev/sg32762");
}

TEST(hctl_errors)
{
    CHECK_INT_EQ(resolve("1:0:0:9"), -ENODEV);
    CHECK_STR_EQ(err, expect("no SCSI device 1:0:0:9 in <root>/bus/scsi/devices"));
    CHECK_STR_EQ(dev, "(unset)");
    CHECK_INT_EQ(resolve("4:0:0:0"), -ENODEV);
    CHECK_STR_EQ(err, "4:0:0:0 has no sg node (is the sg module loaded?)");
    CHECK_INT_EQ(resolve("8:0:0:0"), -EEXIST);
    CHECK_STR_EQ(err, expect("8:0:0:0 has 2 sg nodes in "
                             "<root>/bus/scsi/devices/8:0:0:0/scsi_generic"));
    /* An empty scsi_generic directory. */
    REQUIRE(fakesys_mkdir(&fs, "bus/scsi/devices/10:0:0:0/scsi_generic") == 0);
    CHECK_INT_EQ(resolve("10:0:0:0"), -ENODEV);
    CHECK_STR_EQ(err, "10:0:0:0 has no sg node (is the sg module loaded?)");
}

TEST(resolves_lu_naa)
{
    CHECK_INT_EQ(resolve("naa." WWN_A), 0);
    CHECK_STR_EQ(dev, "/dev/sg32765");
    CHECK_INT_EQ(resolve("naa.6001405A0B1C2D3E4F5A6B7C8D9E0F11"), 0);   /* any case */
    CHECK_STR_EQ(dev, "/dev/sg32765");
    CHECK_INT_EQ(resolve("naa." WWN_B), 0);
    CHECK_STR_EQ(dev, "/dev/sg32766");
    /* An LU designator matches whatever LUN is appended. */
    CHECK_INT_EQ(resolve("naa." WWN_B ":0"), 0);
    CHECK_STR_EQ(dev, "/dev/sg32766");
}

TEST(resolves_target_port_naa_with_lun)
{
    CHECK_INT_EQ(resolve("naa." WWN_PORT ":3"), 0);
    CHECK_STR_EQ(dev, "/dev/sg32765");
    CHECK_INT_EQ(resolve("naa." WWN_PORT ":4"), 0);
    CHECK_STR_EQ(dev, "/dev/sg32766");
    /* A port names no single LU without its LUN. */
    CHECK_INT_EQ(resolve("naa." WWN_PORT), -ENODEV);
    CHECK_STR_EQ(err, expect("no SCSI device with naa." WWN_PORT " in <root>/bus/scsi/devices"));
    CHECK_INT_EQ(resolve("naa." WWN_PORT ":9"), -ENODEV);
}

TEST(naa_errors)
{
    CHECK_INT_EQ(resolve("naa." WWN_DUP), -EEXIST);
    CHECK_STR_EQ(err, "naa." WWN_DUP " matches 2 SCSI devices (2:0:0:0, 3:0:0:0); use h:c:t:l");
    CHECK_STR_EQ(dev, "(unset)");
    CHECK_INT_EQ(resolve("naa." WWN_OTHER), -ENODEV);
    CHECK_STR_EQ(err,
                 expect("no SCSI device with naa." WWN_OTHER " in <root>/bus/scsi/devices"));
    /* Found, but the device has no sg node. */
    CHECK_INT_EQ(resolve("naa." WWN_NOSG), -ENODEV);
    CHECK_STR_EQ(err, "4:0:0:0 has no sg node (is the sg module loaded?)");
    /* A truncated page is skipped, not read past its end. */
    CHECK_INT_EQ(resolve("naa." WWN_TRUNC), -ENODEV);
}

TEST(dev_path_used_as_is)
{
    CHECK_INT_EQ(resolve("/dev/sg4000000000"), -ENOENT);
    CHECK_STR_EQ(err, "cannot stat /dev/sg4000000000: No such file or directory");
    CHECK_STR_EQ(dev, "(unset)");
}

TEST(missing_sysfs_tree)
{
    char root[PATH_MAX];
    snprintf(root, sizeof(root), "%s/nothing", fs.root);
    CHECK_INT_EQ(sg_lookup_resolve("naa." WWN_A, root, dev, sizeof(dev), err, sizeof(err)),
                 -ENODEV);
    char want[PATH_MAX + 128];
    snprintf(want, sizeof(want), "no SCSI device with naa." WWN_A ": %s/bus/scsi/devices is missing",
             root);
    CHECK_STR_EQ(err, want);
    /* NULL root is /sys; no machine has this device. */
    CHECK_INT_EQ(sg_lookup_resolve("4294967295:0:0:0", NULL, dev, sizeof(dev), err,
                                   sizeof(err)),
                 -ENODEV);
    CHECK_STR_EQ(err, "no SCSI device 4294967295:0:0:0 in /sys/bus/scsi/devices");
}

TEST(small_output_buffer)
{
    char small[8];
    CHECK_INT_EQ(sg_lookup_resolve("1:0:2:3", fs.root, small, sizeof(small), err, sizeof(err)),
                 -ENAMETOOLONG);
    CHECK_STR_EQ(err, "device path /dev/sg32765 too long");
}

TEST(reads_device_type)
{
    int type = -7;
    CHECK_INT_EQ(sg_lookup_type(fs.root, "sg32765", &type), 0);
    CHECK_INT_EQ(type, 0);
    CHECK_INT_EQ(sg_lookup_type(fs.root, "sg32766", &type), 0);
    CHECK_INT_EQ(type, 1);
    CHECK_INT_EQ(sg_lookup_type(fs.root, "sg32762", &type), 0);
    CHECK_INT_EQ(type, 5);
    type = -7;
    CHECK_INT_EQ(sg_lookup_type(fs.root, "sg32757", &type), -EINVAL);   /* "disk" */
    CHECK_INT_EQ(sg_lookup_type(fs.root, "sg32756", &type), -EINVAL);   /* 32 */
    CHECK_INT_EQ(sg_lookup_type(fs.root, "sg1", &type), -ENOENT);
    CHECK_INT_EQ(sg_lookup_type(fs.root, "../sg1", &type), -EINVAL);
    CHECK_INT_EQ(sg_lookup_type(fs.root, "sg", &type), -EINVAL);
    CHECK_INT_EQ(sg_lookup_type(fs.root, NULL, &type), -EINVAL);
    CHECK_INT_EQ(type, -7);
}

/* The warning for an sg node, with "<root>" in want put in for the fake
 * root; checks the return value and the exact text. */
static void check_holder(const char *sg, int want_r, const char *want)
{
    char msg[1024] = "(untouched)";
    CHECK_INT_EQ(sg_lookup_holder(fs.root, sg, msg, sizeof(msg)), want_r);
    CHECK_STR_EQ(msg, expect(want));
}

TEST(warns_of_a_bound_upper_level_driver)
{
    static const char *const st[] = {"st0", "st0l", "st0m", "st0a", "nst0", "nst0l", "nst0m",
                                      "nst0a", NULL};
    static const char *const sch[] = {"sch0", NULL}, *const sr[] = {"sr0", NULL},
                             *const sd[] = {"sdc", NULL};
    REQUIRE(fakesys_add_held(&fs, "10:0:1:0", 1, "sg101", "st", "scsi_tape", st) == 0);
    REQUIRE(fakesys_add_held(&fs, "10:0:2:0", 8, "sg102", "ch", "scsi_changer", sch) == 0);
    REQUIRE(fakesys_add_held(&fs, "10:0:3:0", 5, "sg103", "sr", "block", sr) == 0);
    REQUIRE(fakesys_add_held(&fs, "10:0:4:0", 0, "sg104", "sd", "block", sd) == 0);
    /* A driver without nodes of its own (an enclosure's ses). */
    REQUIRE(fakesys_add_held(&fs, "10:0:5:0", 13, "sg105", "ses", NULL, NULL) == 0);

    check_holder("sg101", 1,
                 "10:0:1:0 (/dev/sg101) is also bound to dom0's st driver (/dev/st0 /dev/nst0): "
                 "dom0 programs using it can interfere with the guest (tape position, medium, "
                 "reservations); to release it: echo 10:0:1:0 > "
                 "<root>/bus/scsi/drivers/st/unbind");
    check_holder("sg102", 1,
                 "10:0:2:0 (/dev/sg102) is also bound to dom0's ch driver (/dev/sch0): "
                 "dom0 programs using it can interfere with the guest (tape position, medium, "
                 "reservations); to release it: echo 10:0:2:0 > "
                 "<root>/bus/scsi/drivers/ch/unbind");
    check_holder("sg103", 1,
                 "10:0:3:0 (/dev/sg103) is also bound to dom0's sr driver (/dev/sr0): "
                 "dom0 programs using it can interfere with the guest (tape position, medium, "
                 "reservations); to release it: echo 10:0:3:0 > "
                 "<root>/bus/scsi/drivers/sr/unbind");
    check_holder("sg104", 1,
                 "10:0:4:0 (/dev/sg104) is also bound to dom0's sd driver (/dev/sdc): "
                 "dom0 programs using it can interfere with the guest (tape position, medium, "
                 "reservations); to release it: echo 10:0:4:0 > "
                 "<root>/bus/scsi/drivers/sd/unbind");
    check_holder("sg105", 1,
                 "10:0:5:0 (/dev/sg105) is also bound to dom0's ses driver: "
                 "dom0 programs using it can interfere with the guest (tape position, medium, "
                 "reservations); to release it: echo 10:0:5:0 > "
                 "<root>/bus/scsi/drivers/ses/unbind");
    /* Cut to the buffer, still said. */
    char small[16] = "";
    CHECK_INT_EQ(sg_lookup_holder(fs.root, "sg101", small, sizeof(small)), 1);
    CHECK_STR_EQ(small, "10:0:1:0 (/dev/");
}

TEST(no_warning_without_a_driver)
{
    /* Only sg: what a passed-through device should look like. */
    check_holder("sg32765", 0, "(untouched)");
    check_holder("sg32762", 0, "(untouched)");
    /* sysfs cannot tell: errors, and no message. */
    check_holder("sg4242", -ENOENT, "(untouched)");
    check_holder("sg", -EINVAL, "(untouched)");
    check_holder("../sg1", -EINVAL, "(untouched)");
    check_holder(NULL, -EINVAL, "(untouched)");
    char msg[64] = "(untouched)";
    CHECK_INT_EQ(sg_lookup_holder("/nonexistent", "sg1", msg, sizeof(msg)), -ENOENT);
    CHECK_STR_EQ(msg, "(untouched)");
}

TEST(fake_sysfs)
{
    int r = build_tree();
    if (r < 0)
        TAP_DIAG("fake sysfs: %s", strerror(-r));
    REQUIRE(r == 0);
}

TEST(remove_fake_sysfs)
{
    fakesys_remove(&fs);
}

TAP_MAIN(fake_sysfs, parses_pdev_forms, rejects_other_pdevs, resolves_hctl, hctl_errors,
         resolves_lu_naa, resolves_target_port_naa_with_lun, naa_errors, dev_path_used_as_is,
         missing_sysfs_tree, small_output_buffer, reads_device_type,
         warns_of_a_bound_upper_level_driver, no_warning_without_a_driver, remove_fake_sysfs)
