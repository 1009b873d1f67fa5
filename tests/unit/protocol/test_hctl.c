/* h:c:t:l parsing and formatting (protocol/hctl.c). */
#include <errno.h>

#include "hctl.h"
#include "tap.h"

TEST(parses_four_fields)
{
    struct vscsi_hctl h;
    CHECK_INT_EQ(vscsi_hctl_parse("1:0:2:3", &h), 0);
    CHECK_INT_EQ(h.host, 1);
    CHECK_INT_EQ(h.channel, 0);
    CHECK_INT_EQ(h.target, 2);
    CHECK_INT_EQ(h.lun, 3);
    CHECK_INT_EQ(vscsi_hctl_parse("4294967295:0:65535:65535", &h), 0);
    CHECK_INT_EQ(h.host, 4294967295u);
    CHECK_INT_EQ(vscsi_hctl_parse("007:0:0:0", &h), 0);
    CHECK_INT_EQ(h.host, 7);
}

TEST(rejects_malformed)
{
    static const char *const bad[] = {
        "", "1", "1:2:3", "1:2:3:4:5", "1:2:3:", ":1:2:3", "1::2:3", " 1:2:3:4",
        "1:2:3:4 ", "1:2:3:4\n", "+1:2:3:4", "-1:2:3:4", "1:2:3:x", "0x1:2:3:4",
        "1;2;3;4", "naa.6001405000000001:0",
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vscsi_hctl h = {9, 9, 9, 9};
        int r = vscsi_hctl_parse(bad[i], &h);
        if (r != -EINVAL)
            TAP_DIAG("input \"%s\" gave %d", bad[i], r);
        CHECK_INT_EQ(r, -EINVAL);
        CHECK_INT_EQ(h.host, 9);   /* output untouched on failure */
    }
    struct vscsi_hctl h;
    CHECK_INT_EQ(vscsi_hctl_parse(NULL, &h), -EINVAL);
}

TEST(rejects_out_of_range)
{
    struct vscsi_hctl h;
    CHECK_INT_EQ(vscsi_hctl_parse("4294967296:0:0:0", &h), -ERANGE);
    CHECK_INT_EQ(vscsi_hctl_parse("0:0:0:99999999999999999999999", &h), -ERANGE);
}

TEST(formats_and_round_trips)
{
    char buf[VSCSI_HCTL_STRLEN];
    struct vscsi_hctl h = {4294967295u, 4294967295u, 4294967295u, 4294967295u}, back;
    CHECK_INT_EQ(vscsi_hctl_format(&h, buf, sizeof(buf)), 43);
    CHECK_INT_EQ(vscsi_hctl_parse(buf, &back), 0);
    CHECK(vscsi_hctl_equal(&h, &back));
    h = (struct vscsi_hctl){2, 0, 1, 0};
    CHECK_INT_EQ(vscsi_hctl_format(&h, buf, sizeof(buf)), 7);
    CHECK_STR_EQ(buf, "2:0:1:0");
}

TEST(format_never_truncates)
{
    char buf[7];
    struct vscsi_hctl h = {2, 0, 1, 0};
    CHECK_INT_EQ(vscsi_hctl_format(&h, buf, sizeof(buf)), -ENOSPC);
    CHECK_STR_EQ(buf, "");
    char big[8];
    CHECK_INT_EQ(vscsi_hctl_format(&h, big, sizeof(big)), 7);
}

TEST(ring_fields_are_16_bit)
{
    struct vscsi_hctl h = {70000, 65535, 65535, 65535};
    CHECK(vscsi_hctl_fits_ring(&h));   /* the host number is not on the ring */
    h.lun = 65536;
    CHECK(!vscsi_hctl_fits_ring(&h));
    h = (struct vscsi_hctl){0, 65536, 0, 0};
    CHECK(!vscsi_hctl_fits_ring(&h));
    h = (struct vscsi_hctl){0, 0, 65536, 0};
    CHECK(!vscsi_hctl_fits_ring(&h));
}

TAP_MAIN(parses_four_fields, rejects_malformed, rejects_out_of_range, formats_and_round_trips,
         format_never_truncates, ring_fields_are_16_bit)
