/* REPORT LUNS parameter data (backend/report_luns.c). */
#include <stdlib.h>
#include <string.h>

#include "report_luns.h"
#include "ring_state.h"
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

/* A ring's LUN table, without the ring: what the emulation reads. */
static struct lun_entry entries[4] = {
    {.index = 0, .vdev = {.channel = 0, .target = 1, .lun = 0}},
    {.index = 1, .vdev = {.channel = 0, .target = 1, .lun = 3}},
    {.index = 2, .vdev = {.channel = 0, .target = 2, .lun = 5}},
    {.index = 3, .vdev = {.channel = 0, .target = 1, .lun = 9}},
};

static struct ring_state *table(void)
{
    struct ring_state *rs = calloc(1, sizeof(*rs));
    static struct lun_entry *list[4] = {&entries[0], &entries[1], &entries[2], &entries[3]};
    if (rs) {
        rs->luns = list;
        rs->nr_luns = 4;
    }
    return rs;
}

/* REPORT LUNS with allocation length alloc and a buffer of len bytes
 * (filled with 0xee first), emulated for channel 0, target 1 of rs. */
static void emulate(struct ring_state *rs, struct lun_cmd *c, uint8_t *buf, uint32_t len,
                    uint32_t alloc, enum vscsi_dir dir)
{
    static struct iovec iov;
    memset(c, 0, sizeof(*c));
    memset(buf, 0xee, len);
    c->cdb[0] = SCSI_OP_REPORT_LUNS;
    c->cdb[6] = (uint8_t)(alloc >> 24);
    c->cdb[7] = (uint8_t)(alloc >> 16);
    c->cdb[8] = (uint8_t)(alloc >> 8);
    c->cdb[9] = (uint8_t)alloc;
    c->cdb_len = 12;
    c->dir = dir;
    iov = (struct iovec){.iov_base = buf, .iov_len = len};
    c->iov = &iov;
    c->iov_cnt = 1;
    c->data_len = len;
    report_luns_emulate(rs, 0, 1, c);
}

TEST(emulation_lists_the_targets_luns)
{
    struct ring_state *rs = table();
    REQUIRE(rs);
    entries[3].remove_waiter = (struct worker_msg *)1;   /* being removed: not listed */
    CHECK(report_luns_target_exists(rs, 0, 1));
    CHECK(report_luns_target_exists(rs, 0, 2));
    CHECK(!report_luns_target_exists(rs, 0, 3));
    CHECK(!report_luns_target_exists(rs, 1, 1));
    struct lun_cmd c;
    uint8_t buf[64];
    emulate(rs, &c, buf, sizeof(buf), 64, VSCSI_DIR_FROM_DEVICE);
    CHECK_INT_EQ(c.status, 0);
    CHECK_INT_EQ(c.residual, 64 - 24);
    const uint8_t want[24] = {0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                              0, 3, 0, 0, 0, 0, 0, 0};
    CHECK_MEM_EQ(buf, want, 24);
    CHECK_INT_EQ(buf[24], 0xee);
    entries[3].remove_waiter = NULL;
    free(rs);
}

TEST(emulation_honours_alloc_len_and_direction)
{
    struct ring_state *rs = table();
    REQUIRE(rs);
    struct lun_cmd c;
    uint8_t buf[64];
    /* Allocation length 16 of 32 bytes: cut, the header still says 24. */
    emulate(rs, &c, buf, sizeof(buf), 16, VSCSI_DIR_FROM_DEVICE);
    CHECK_INT_EQ(c.status, 0);
    CHECK_INT_EQ(c.residual, 64 - 16);
    CHECK_INT_EQ(buf[3], 24);
    CHECK_INT_EQ(buf[16], 0xee);
    /* Under 16: INVALID FIELD IN CDB. */
    emulate(rs, &c, buf, sizeof(buf), 15, VSCSI_DIR_FROM_DEVICE);
    CHECK_INT_EQ(c.status, 2);
    CHECK_INT_EQ(c.sense[2] & 0x0f, 0x05);
    CHECK_INT_EQ(c.sense[12], 0x24);
    CHECK_INT_EQ(buf[0], 0xee);
    /* A buffer offered for data-out is never written. */
    emulate(rs, &c, buf, sizeof(buf), 64, VSCSI_DIR_TO_DEVICE);
    CHECK_INT_EQ(c.status, 2);
    CHECK_INT_EQ(buf[0], 0xee);
    free(rs);
}

TAP_MAIN(emulation_lists_the_targets_luns, emulation_honours_alloc_len_and_direction,
         lists_luns_with_header, flat_space_addressing_above_255,
         truncates_to_capacity_but_reports_full_length, empty_list_and_alloc_len)
