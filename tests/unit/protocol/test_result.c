/* rslt words and response filling (protocol/result.c). */
#include "result.h"
#include "tap.h"

TEST(rslt_layout)
{
    int32_t r = vscsi_rslt(XEN_VSCSIIF_RSLT_HOST_NO_CONNECT, VSCSI_STATUS_GOOD);
    CHECK_INT_EQ(r, 0x00010000);
    CHECK_INT_EQ(XEN_VSCSIIF_RSLT_HOST(r), XEN_VSCSIIF_RSLT_HOST_NO_CONNECT);
    r = vscsi_rslt(XEN_VSCSIIF_RSLT_HOST_OK, VSCSI_STATUS_CHECK_CONDITION);
    CHECK_INT_EQ(r, 2);
    CHECK_INT_EQ(vscsi_rslt_status(r), VSCSI_STATUS_CHECK_CONDITION);
    r = vscsi_rslt(XEN_VSCSIIF_RSLT_HOST_TRANSPORT_MARGINAL, 0x18);
    CHECK_INT_EQ(vscsi_rslt_host(r), 20);
    CHECK_INT_EQ(vscsi_rslt_status(r), 0x18);
    CHECK_INT_EQ(vscsi_rslt(XEN_VSCSIIF_RSLT_HOST_ERROR, 0), 7 << 16);
    /* The task-management answers are defined as whole words. */
    CHECK_INT_EQ(XEN_VSCSIIF_RSLT_RESET_SUCCESS, 0x2002);
    CHECK_INT_EQ(XEN_VSCSIIF_RSLT_RESET_FAILED, 0x2003);
}

TEST(host_byte_names)
{
    CHECK_STR_EQ(vscsi_host_byte_name(0), "OK");
    CHECK_STR_EQ(vscsi_host_byte_name(XEN_VSCSIIF_RSLT_HOST_NO_CONNECT), "NO_CONNECT");
    CHECK_STR_EQ(vscsi_host_byte_name(XEN_VSCSIIF_RSLT_HOST_RESET), "RESET");
    CHECK_STR_EQ(vscsi_host_byte_name(XEN_VSCSIIF_RSLT_HOST_TRANSPORT_MARGINAL), "TRANSPORT_MARGINAL");
    CHECK_STR_EQ(vscsi_host_byte_name(21), "?");
    CHECK_STR_EQ(vscsi_host_byte_name(255), "?");
}

TEST(response_fill_zeroes_and_bounds_sense)
{
    struct vscsiif_response rsp;
    memset(&rsp, 0xee, sizeof(rsp));
    uint8_t sense[120];
    for (unsigned i = 0; i < sizeof(sense); i++)
        sense[i] = (uint8_t)i;
    vscsi_response_fill(&rsp, 12, vscsi_rslt(0, 2), sense, sizeof(sense), 512);
    CHECK_INT_EQ(rsp.rqid, 12);
    CHECK_INT_EQ(rsp.rslt, 2);
    CHECK_INT_EQ(rsp.residual_len, 512);
    CHECK_INT_EQ(rsp.sense_len, 96);
    CHECK_MEM_EQ(rsp.sense_buffer, sense, 96);
    CHECK_INT_EQ(rsp.act, 0);
    static const uint32_t zero[36];
    CHECK_MEM_EQ(rsp.reserved, zero, sizeof(zero));

    vscsi_response_fill(&rsp, 1, 0, NULL, 18, 0);
    CHECK_INT_EQ(rsp.sense_len, 0);
    CHECK_INT_EQ(rsp.sense_buffer[0], 0);
    vscsi_response_fill(&rsp, 1, 0, sense, 18, 0);
    CHECK_INT_EQ(rsp.sense_len, 18);
    CHECK_INT_EQ(rsp.sense_buffer[18], 0);
}

TAP_MAIN(rslt_layout, host_byte_names, response_fill_zeroes_and_bounds_sense)
