/* Expected strings are what udev's scsi_id -gu prints for these pages
 * (worked out from systemd's scsi_serial.c rules). */
#include <errno.h>
#include <string.h>

#include "scsi_id.h"
#include "tap.h"

static const char V[] = "VENDOR  ", M[] = "MODEL-X         ";

/* Page 0x83 pg of a device with vendor V and model M gives the id want. */
static void check_pg83(const uint8_t *pg, size_t len, const char *want)
{
    char out[SCSI_ID_MAX];
    CHECK_INT_EQ(scsi_id_from_pg83(pg, len, V, M, out), 0);
    CHECK_STR_EQ(out, want);
}

TEST(naa_extended_beats_t10_and_port_descriptors)
{
    const uint8_t pg[] = {
        0x00, 0x83, 0x00, 0x24,
        0x02, 0x01, 0x00, 0x04, 'A', 'B', 'C', 'D',                 /* T10 ASCII */
        0x61, 0x93, 0x00, 0x08, 0x50, 1, 2, 3, 4, 5, 6, 7,          /* port NAA */
        0x01, 0x03, 0x00, 0x08, 0x60, 0x01, 0x40, 0x5a, 0xbc, 0xde, 0xf0, 0x12,
    };
    check_pg83(pg, sizeof(pg), "36001405abcdef012");
}

TEST(naa_registered_before_eui64)
{
    const uint8_t pg[] = {
        0x00, 0x83, 0x00, 0x18,
        0x01, 0x02, 0x00, 0x08, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x11, /* EUI-64 */
        0x01, 0x03, 0x00, 0x08, 0x50, 0x00, 0x0c, 0x50, 0x12, 0x34, 0x56, 0x78,
    };
    check_pg83(pg, sizeof(pg), "350000c5012345678");
}

TEST(eui64_alone)
{
    const uint8_t pg[] = {
        0x00, 0x83, 0x00, 0x0c,
        0x01, 0x02, 0x00, 0x08, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x11,
    };
    check_pg83(pg, sizeof(pg), "2aabbccddeeff0011");
}

TEST(t10_ascii_whitespace_replaced)
{
    const uint8_t pg[] = {
        0x00, 0x83, 0x00, 0x14,
        0x02, 0x01, 0x00, 0x10, 'A', 'T', 'A', ' ', ' ', ' ', ' ', ' ',
        'W', 'D', 'C', ' ', ' ', 'X', '\t', '!',
    };
    check_pg83(pg, sizeof(pg), "1ATA_WDC_X__");   /* "!" is not allowed */
}

TEST(vendor_specific_prepends_vendor_model)
{
    const uint8_t pg[] = {
        0x00, 0x83, 0x00, 0x08, 0x02, 0x00, 0x00, 0x04, 's', 'n', '0', '1',
    };
    check_pg83(pg, sizeof(pg), "0VENDOR_MODEL-X_sn01");
    char out[SCSI_ID_MAX];
    /* udev needs the full 8 + 16 bytes; without them there is no id. */
    CHECK_INT_EQ(scsi_id_from_pg83(pg, sizeof(pg), NULL, M, out), -ENOENT);
    CHECK_INT_EQ(scsi_id_from_pg83(pg, sizeof(pg), "SHORT", M, out), -ENOENT);
}

TEST(pre_spc3_emc_format)
{
    /* Byte 6 non-zero: SCSI-2 layout, the bytes after the header in hex. */
    const uint8_t pg[] = {0x00, 0x83, 0x00, 0x06, 0x00, 0x60, 0x48, 0x01, 0x02, 0x03};
    check_pg83(pg, sizeof(pg), "3006048010203");
}

TEST(no_lu_designator)
{
    const uint8_t pg[] = {0x00, 0x83, 0x00, 0x08, 0x61, 0x94, 0x00, 0x04, 0, 0, 0, 1};
    char out[SCSI_ID_MAX];
    CHECK_INT_EQ(scsi_id_from_pg83(pg, sizeof(pg), V, M, out), -ENOENT);
    CHECK_STR_EQ(out, "");
}

TEST(wrong_page_or_short)
{
    const uint8_t pg[] = {0x00, 0x80, 0x00, 0x00};
    char out[SCSI_ID_MAX];
    CHECK_INT_EQ(scsi_id_from_pg83(pg, sizeof(pg), V, M, out), -EINVAL);
    CHECK_INT_EQ(scsi_id_from_pg83(pg, 2, V, M, out), -EINVAL);
}

TEST(descriptor_past_buffer_ignored)
{
    /* Claims a descriptor longer than the page udev reads: never over-read. */
    uint8_t pg[300] = {0x00, 0x83, 0x01, 0x20, 0x01, 0x03, 0x00, 0xff, 0x60};
    char out[SCSI_ID_MAX];
    CHECK_INT_EQ(scsi_id_from_pg83(pg, sizeof(pg), V, M, out), -ENOENT);
}

TEST(long_binary_id_skipped_like_udev)
{
    /* 128 binary bytes need 258 characters: more than udev's 256. */
    uint8_t pg[4 + 4 + 128 + 12] = {0x00, 0x83, 0x00, 4 + 128 + 12, 0x01, 0x03, 0x00, 128, 0x60};
    uint8_t *d = pg + 4 + 4 + 128;
    const uint8_t eui[] = {0x01, 0x02, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8};
    memcpy(d, eui, sizeof(eui));
    check_pg83(pg, sizeof(pg), "20102030405060708");
}

TEST(page80_serial)
{
    const uint8_t pg[] = {0x00, 0x80, 0x00, 0x06, ' ', 'A', 'B', ' ', '1', ' '};
    char out[SCSI_ID_MAX];
    CHECK_INT_EQ(scsi_id_from_pg80(pg, sizeof(pg), V, M, out), 0);
    CHECK_STR_EQ(out, "SVENDOR_MODEL-X_AB_1");
    CHECK_INT_EQ(scsi_id_from_pg80(pg, sizeof(pg), NULL, M, out), -ENOENT);
    CHECK_INT_EQ(scsi_id_from_pg80(pg, 3, V, M, out), -EINVAL);
}

TEST(reformat_rules)
{
    char s[SCSI_ID_MAX];
    strcpy(s, "  a  b\tc  ");
    scsi_id_reformat(s);
    CHECK_STR_EQ(s, "a_b_c");
    strcpy(s, "x/y*z#+-.:=@_");
    scsi_id_reformat(s);
    CHECK_STR_EQ(s, "x_y_z#+-.:=@_");
    strcpy(s, "caf\xc3\xa9\\x20\xff");   /* UTF-8 and \x kept, 0xff not */
    scsi_id_reformat(s);
    CHECK_STR_EQ(s, "caf\xc3\xa9\\x20_");
    strcpy(s, "\xc0\x80");             /* overlong NUL */
    scsi_id_reformat(s);
    CHECK_STR_EQ(s, "__");
}

TAP_MAIN(naa_extended_beats_t10_and_port_descriptors, naa_registered_before_eui64, eui64_alone,
         t10_ascii_whitespace_replaced, vendor_specific_prepends_vendor_model, pre_spc3_emc_format,
         no_lu_designator, wrong_page_or_short, descriptor_past_buffer_ignored,
         long_binary_id_skipped_like_udev, page80_serial, reformat_rules)
