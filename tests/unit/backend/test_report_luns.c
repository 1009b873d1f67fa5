/* REPORT LUNS parameter data (backend/report_luns.c). */
#include <string.h>

#include "report_luns.h"
#include "tap.h"

TEST(lists_luns_with_header)
{
    const uint16_t luns[] = {0, 3, 255};
    uint8_t out[64];
    memset(out, 0xee, sizeof(out));
    CHECK_INT_EQ(report_luns_build(out, sizeof(out), luns, 3), 32);
    const uint8_t want[32] = {0, 0, 0, 24, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 0,
                              0, 3, 0, 0, 0, 0, 0, 0,  0, 255, 0, 0, 0, 0, 0, 0};
    CHECK_MEM_EQ(out, want, 32);
    CHECK_INT_EQ(out[32], 0xee);   /* nothing past the answer */
}

TEST(flat_space_addressing_above_255)
{
    const uint16_t luns[] = {256, 0x3fff};
    uint8_t out[24];
    CHECK_INT_EQ(report_luns_build(out, sizeof(out), luns, 2), 24);
    CHECK_INT_EQ(out[8], 0x41);
    CHECK_INT_EQ(out[9], 0x00);
    CHECK_INT_EQ(out[16], 0x7f);
    CHECK_INT_EQ(out[17], 0xff);
}

TEST(truncates_to_capacity_but_reports_full_length)
{
    const uint16_t luns[] = {1, 2, 3, 4};
    uint8_t out[16];
    memset(out, 0, sizeof(out));
    CHECK_INT_EQ(report_luns_build(out, sizeof(out), luns, 4), 40);
    CHECK_INT_EQ(out[3], 32);        /* the list length names all four */
    CHECK_INT_EQ(out[9], 1);
}

TEST(empty_list_and_alloc_len)
{
    uint8_t out[8];
    CHECK_INT_EQ(report_luns_build(out, sizeof(out), NULL, 0), 8);
    CHECK_INT_EQ(out[3], 0);
    const uint8_t cdb[12] = {0xa0, 0, 0, 0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0, 0};
    CHECK_INT_EQ(report_luns_alloc_len(cdb), 0x01020304);
}

TAP_MAIN(lists_luns_with_header, flat_space_addressing_above_255,
         truncates_to_capacity_but_reports_full_length, empty_list_and_alloc_len)
