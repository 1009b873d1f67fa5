/* Request intake rules (protocol/request.c), each with its exact reason. */
#include "request.h"
#include "tap.h"
#include "vscsi_req.h"

static const struct vscsi_limits lim = {.max_segments = 256};

/* A valid 4 KiB READ(10) in one direct segment. */
static struct vscsi_request read10(void)
{
    struct vscsi_request r;
    memset(&r, 0, sizeof(r));
    r.raw = vscsi_req_cdb(7, 0x28, 10, VSCSI_DIR_FROM_DEVICE);
    vscsi_req_seg(&r.raw, 9, 0, 4096);
    return r;
}

TEST(valid_direct_request)
{
    struct vscsi_request r = read10();
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REQ_OK);
    CHECK_INT_EQ(r.act, VSCSIIF_ACT_SCSI_CDB);
    CHECK_INT_EQ(r.dir, VSCSI_DIR_FROM_DEVICE);
    CHECK(!r.indirect);
    CHECK_INT_EQ(r.nr_segs, 1);
    CHECK_INT_EQ(r.data_len, 4096);
}

TEST(data_len_sums_odd_segments)
{
    struct vscsi_request r = read10();
    r.raw.nr_segments = 3;
    r.raw.seg[0] = (struct scsiif_request_segment){1, 512, 3584};
    r.raw.seg[1] = (struct scsiif_request_segment){2, 0, 4096};
    r.raw.seg[2] = (struct scsiif_request_segment){3, 0, 1};
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REQ_OK);
    CHECK_INT_EQ(r.data_len, 3584 + 4096 + 1);
    CHECK_INT_EQ(r.nr_segs, 3);
}

TEST(unknown_act_rejected)
{
    static const uint8_t bad[] = {0, VSCSIIF_ACT_SCSI_SG_PRESET, 5, 0x7f, 0xff};
    for (unsigned i = 0; i < sizeof(bad); i++) {
        struct vscsi_request r = read10();
        r.raw.act = bad[i];
        CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REJECT_BAD_ACT);
    }
}

TEST(cdb_len_over_16_rejected)
{
    struct vscsi_request r = read10();
    r.raw.cmd_len = 17;
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REJECT_CDB_LEN);
    r = read10();
    r.raw.cmd_len = 255;
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REJECT_CDB_LEN);
    r = read10();
    r.raw.cmd_len = 16;
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REQ_OK);
}

TEST(cdb_len_zero_only_for_task_management)
{
    struct vscsi_request r = read10();
    r.raw.cmd_len = 0;
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REJECT_CDB_LEN);

    r = read10();
    r.raw.act = VSCSIIF_ACT_SCSI_ABORT;
    r.raw.cmd_len = 0;
    r.raw.ref_rqid = 3;
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REQ_OK);
    CHECK_INT_EQ(r.nr_segs, 0);   /* segments of an ABORT are never used */
    CHECK_INT_EQ(r.data_len, 0);

    r = read10();
    r.raw.act = VSCSIIF_ACT_SCSI_RESET;
    r.raw.cmd_len = 0;
    r.raw.nr_segments = 0;
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REQ_OK);

    /* Linux's backend checks cmd_len on every action. */
    r.raw.cmd_len = 17;
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REJECT_CDB_LEN);
}

TEST(all_four_directions_accepted)
{
    for (uint8_t d = 0; d <= 3; d++) {
        struct vscsi_request r = read10();
        r.raw.sc_data_direction = d;
        if (d == VSCSI_DIR_NONE)
            r.raw.nr_segments = 0;
        CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REQ_OK);
        CHECK_INT_EQ(r.dir, d);
    }
}

TEST(bad_direction_rejected)
{
    static const uint8_t bad[] = {4, 5, 0x80, 0xff};
    for (unsigned i = 0; i < sizeof(bad); i++) {
        struct vscsi_request r = read10();
        r.raw.sc_data_direction = bad[i];
        CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REJECT_BAD_DIRECTION);
        r.raw.act = VSCSIIF_ACT_SCSI_RESET;   /* also on task management */
        CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REJECT_BAD_DIRECTION);
    }
}

TEST(direct_segment_count_limit)
{
    struct vscsi_request r = read10();
    r.raw.nr_segments = VSCSIIF_SG_TABLESIZE;
    for (int i = 0; i < VSCSIIF_SG_TABLESIZE; i++)
        r.raw.seg[i] = (struct scsiif_request_segment){(grant_ref_t)(10 + i), 0, 4096};
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REQ_OK);
    CHECK_INT_EQ(r.data_len, 26 * 4096);

    r.raw.nr_segments = VSCSIIF_SG_TABLESIZE + 1;
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REJECT_TOO_MANY_SEGMENTS);
    r.raw.nr_segments = 0x7f;
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REJECT_TOO_MANY_SEGMENTS);
}

TEST(segment_past_page_rejected)
{
    struct vscsi_request r = read10();
    r.raw.seg[0] = (struct scsiif_request_segment){9, 1, 4096};
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REJECT_SEGMENT_BOUNDS);
    r.raw.seg[0] = (struct scsiif_request_segment){9, 4095, 2};
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REJECT_SEGMENT_BOUNDS);
    r.raw.seg[0] = (struct scsiif_request_segment){9, 0xffff, 0xffff};   /* no u16 wrap */
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REJECT_SEGMENT_BOUNDS);
    r.raw.seg[0] = (struct scsiif_request_segment){9, 4095, 1};
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REQ_OK);
}

TEST(segment_of_length_zero_rejected)
{
    struct vscsi_request r = read10();
    r.raw.nr_segments = 2;
    r.raw.seg[1] = (struct scsiif_request_segment){10, 0, 0};
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REJECT_SEGMENT_EMPTY);
}

TEST(direction_none_with_segments_rejected)
{
    struct vscsi_request r = read10();
    r.raw.sc_data_direction = VSCSI_DIR_NONE;
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REJECT_DATA_WITHOUT_DIR);
    r.raw.nr_segments = VSCSIIF_SG_GRANT | 1;
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REJECT_DATA_WITHOUT_DIR);
    /* A data direction with no segments is fine: allocation length 0. */
    r = read10();
    r.raw.nr_segments = 0;
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REQ_OK);
    CHECK_INT_EQ(r.data_len, 0);
}

/* An indirect request as Linux's frontend builds it: the segment list may
 * start inside a page and spill into the next. */
static struct vscsi_request indirect_req(unsigned entries, unsigned first_offset)
{
    struct vscsi_request r = read10();
    unsigned bytes = entries * 8, off = first_offset, n = 0;
    while (bytes) {
        unsigned chunk = 4096 - off < bytes ? 4096 - off : bytes;
        r.raw.seg[n] = (struct scsiif_request_segment){(grant_ref_t)(100 + n),
                                                        (uint16_t)off, (uint16_t)chunk};
        bytes -= chunk;
        off = 0;
        n++;
    }
    r.raw.nr_segments = (uint8_t)(VSCSIIF_SG_GRANT | n);
    return r;
}

TEST(indirect_pages_counted)
{
    struct vscsi_request r = indirect_req(256, 0);
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REQ_OK);
    CHECK(r.indirect);
    CHECK_INT_EQ(r.nr_ring_segs, 1);
    CHECK_INT_EQ(r.nr_segs, 256);
    CHECK_INT_EQ(vscsi_request_indirect_bytes(&r), 2048);

    r = indirect_req(256, 3072);   /* spills: 128 + 128 entries */
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REQ_OK);
    CHECK_INT_EQ(r.nr_ring_segs, 2);
    CHECK_INT_EQ(r.nr_segs, 256);
}

TEST(indirect_total_over_advertised_rejected)
{
    struct vscsi_request r = indirect_req(257, 0);
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REJECT_TOTAL_SEGMENTS);
    struct vscsi_limits big = {.max_segments = 2048};
    r = indirect_req(2048, 8);
    CHECK_INT_EQ(vscsi_request_check(&r, &big), VSCSI_REQ_OK);
    CHECK_INT_EQ(r.nr_segs, 2048);
}

TEST(too_many_indirect_pages_rejected)
{
    CHECK_INT_EQ(vscsi_max_indirect_pages(&lim), 2);
    struct vscsi_limits max = {.max_segments = VSCSI_MAX_SEGMENTS_LIMIT};
    CHECK_INT_EQ(vscsi_max_indirect_pages(&max), 9);

    /* Three small pages: few entries in total, but more pages than allowed. */
    struct vscsi_request r = read10();
    r.raw.nr_segments = VSCSIIF_SG_GRANT | 3;
    for (int i = 0; i < 3; i++)
        r.raw.seg[i] = (struct scsiif_request_segment){(grant_ref_t)(50 + i), 0, 8};
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REJECT_TOO_MANY_INDIRECT);
    r.raw.nr_segments = VSCSIIF_SG_GRANT | 0x7f;
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REJECT_TOO_MANY_INDIRECT);
    r.raw.nr_segments = VSCSIIF_SG_GRANT;   /* flag with no pages */
    CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REJECT_TOO_MANY_INDIRECT);
}

TEST(malformed_indirect_descriptor_rejected)
{
    static const struct scsiif_request_segment bad[] = {
        {1, 0, 0},        /* empty */
        {1, 0, 12},       /* not whole entries */
        {1, 4, 8},        /* misaligned */
        {1, 4088, 16},    /* past the page */
        {1, 0, 4104},     /* longer than a page */
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vscsi_request r = read10();
        r.raw.nr_segments = VSCSIIF_SG_GRANT | 1;
        r.raw.seg[0] = bad[i];
        CHECK_INT_EQ(vscsi_request_check(&r, &lim), VSCSI_REJECT_BAD_INDIRECT_DESC);
    }
}

TEST(indirect_data_segments_checked)
{
    struct vscsi_request r = indirect_req(4, 0);
    REQUIRE(vscsi_request_check(&r, &lim) == VSCSI_REQ_OK);
    struct scsiif_request_segment segs[4] = {
        {1, 512, 3584}, {2, 0, 4096}, {3, 0, 4096}, {4, 0, 100}};
    CHECK_INT_EQ(vscsi_request_check_indirect(&r, segs, 4), VSCSI_REQ_OK);
    CHECK_INT_EQ(r.data_len, 3584 + 4096 + 4096 + 100);

    segs[2].offset = 1;
    CHECK_INT_EQ(vscsi_request_check_indirect(&r, segs, 4), VSCSI_REJECT_SEGMENT_BOUNDS);
    segs[2] = (struct scsiif_request_segment){3, 0, 0};
    CHECK_INT_EQ(vscsi_request_check_indirect(&r, segs, 4), VSCSI_REJECT_SEGMENT_EMPTY);
    /* The count must be what the descriptors promised. */
    segs[2] = (struct scsiif_request_segment){3, 0, 4096};
    CHECK_INT_EQ(vscsi_request_check_indirect(&r, segs, 3), VSCSI_REJECT_BAD_INDIRECT_DESC);
    struct vscsi_request direct = read10();
    REQUIRE(vscsi_request_check(&direct, &lim) == VSCSI_REQ_OK);
    CHECK_INT_EQ(vscsi_request_check_indirect(&direct, segs, 1), VSCSI_REJECT_BAD_INDIRECT_DESC);
}

TEST(largest_transfer_fits)
{
    struct vscsi_limits max = {.max_segments = VSCSI_MAX_SEGMENTS_LIMIT};
    struct vscsi_request r = indirect_req(VSCSI_MAX_SEGMENTS_LIMIT, 0);
    REQUIRE(vscsi_request_check(&r, &max) == VSCSI_REQ_OK);
    static struct scsiif_request_segment segs[VSCSI_MAX_SEGMENTS_LIMIT];
    for (unsigned i = 0; i < VSCSI_MAX_SEGMENTS_LIMIT; i++)
        segs[i] = (struct scsiif_request_segment){i, 0, 4096};
    CHECK_INT_EQ(vscsi_request_check_indirect(&r, segs, VSCSI_MAX_SEGMENTS_LIMIT), VSCSI_REQ_OK);
    CHECK_INT_EQ(r.data_len, 16u * 1024 * 1024);
}

TEST(reject_names_distinct)
{
    for (int a = 0; a < VSCSI_REJECT_COUNT_; a++) {
        CHECK(strcmp(vscsi_reject_name((enum vscsi_reject)a), "?") != 0);
        for (int b = a + 1; b < VSCSI_REJECT_COUNT_; b++)
            CHECK(strcmp(vscsi_reject_name((enum vscsi_reject)a),
                         vscsi_reject_name((enum vscsi_reject)b)) != 0);
    }
    CHECK_STR_EQ(vscsi_reject_name(VSCSI_REJECT_COUNT_), "?");
}

TAP_MAIN(valid_direct_request, data_len_sums_odd_segments, unknown_act_rejected,
         cdb_len_over_16_rejected, cdb_len_zero_only_for_task_management,
         all_four_directions_accepted, bad_direction_rejected, direct_segment_count_limit,
         segment_past_page_rejected, segment_of_length_zero_rejected,
         direction_none_with_segments_rejected, indirect_pages_counted,
         indirect_total_over_advertised_rejected, too_many_indirect_pages_rejected,
         malformed_indirect_descriptor_rejected, indirect_data_segments_checked,
         largest_transfer_fits, reject_names_distinct)
