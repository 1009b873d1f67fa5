/* lun_cmd <-> sg_io_hdr (backend/handlers/sg_io.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sg_io.h"
#include "tap.h"

static const uint8_t INQUIRY[6] = {0x12, 0x00, 0x00, 0x00, 0x24, 0x00};

static void set_cdb(struct lun_cmd *cmd, const uint8_t *cdb, uint8_t len)
{
    memcpy(cmd->cdb, cdb, len);
    cmd->cdb_len = len;
}

TEST(default_timeouts_by_type)
{
    CHECK_INT_EQ(sg_io_default_timeout_ms(0x00), 30000);    /* disk */
    CHECK_INT_EQ(sg_io_default_timeout_ms(0x14), 30000);    /* host-managed zoned */
    CHECK_INT_EQ(sg_io_default_timeout_ms(0x01), 3 * 3600 * 1000);   /* tape */
    CHECK_INT_EQ(sg_io_default_timeout_ms(0x08), 3 * 3600 * 1000);   /* changer */
    CHECK_INT_EQ(sg_io_default_timeout_ms(0x05), 3 * 3600 * 1000);   /* CD/DVD */
    CHECK_INT_EQ(sg_io_default_timeout_ms(0x0d), 3 * 3600 * 1000);   /* enclosure */
    CHECK_INT_EQ(sg_io_default_timeout_ms(-1), 3 * 3600 * 1000);     /* unknown */
}

TEST(builds_data_in_single_buffer)
{
    uint8_t buf[36];
    struct iovec iov = {buf, sizeof(buf)};
    struct lun_cmd cmd = {.dir = VSCSI_DIR_FROM_DEVICE, .iov = &iov, .iov_cnt = 1,
                          .data_len = sizeof(buf), .iov_private = true};
    struct sg_io_hdr hdr;
    memset(&hdr, 0xa5, sizeof(hdr));
    set_cdb(&cmd, INQUIRY, 6);

    CHECK_INT_EQ(sg_io_build(&hdr, &cmd, 7, 500000), 0);
    CHECK_INT_EQ(hdr.interface_id, 'S');
    CHECK_INT_EQ(hdr.dxfer_direction, SG_DXFER_FROM_DEV);
    CHECK_INT_EQ(hdr.cmd_len, 6);
    CHECK(hdr.cmdp == cmd.cdb);
    CHECK_INT_EQ(hdr.mx_sb_len, 96);
    CHECK(hdr.sbp == cmd.sense);
    CHECK_INT_EQ(hdr.iovec_count, 0);
    CHECK_INT_EQ(hdr.dxfer_len, 36);
    CHECK(hdr.dxferp == buf);
    CHECK_INT_EQ(hdr.timeout, 500000);
    CHECK_INT_EQ(hdr.flags, 0x10 | 0x01);   /* SG_FLAG_Q_AT_TAIL, SG_FLAG_DIRECT_IO */
    CHECK_INT_EQ(hdr.pack_id, 7);
    CHECK(hdr.usr_ptr == &cmd);
    /* Outputs start cleared. */
    CHECK_INT_EQ(hdr.status, 0);
    CHECK_INT_EQ(hdr.sb_len_wr, 0);
    CHECK_INT_EQ(hdr.host_status, 0);
    CHECK_INT_EQ(hdr.driver_status, 0);
    CHECK_INT_EQ(hdr.resid, 0);
    CHECK_INT_EQ(hdr.info, 0);
    /* The guest's mapped pages (grant map): never direct I/O. */
    cmd.iov_private = false;
    CHECK_INT_EQ(sg_io_build(&hdr, &cmd, 7, 500000), 0);
    CHECK_INT_EQ(hdr.flags, 0x10);
}

TEST(builds_data_out_iovec_list)
{
    uint8_t a[512], b[1024], c[4096];
    struct iovec iov[3] = {{a, sizeof(a)}, {b, sizeof(b)}, {c, sizeof(c)}};
    static const uint8_t write10[10] = {0x2a, 0, 0, 0, 0x10, 0, 0, 0, 11, 0};
    struct lun_cmd cmd = {.dir = VSCSI_DIR_TO_DEVICE, .iov = iov, .iov_cnt = 3,
                          .data_len = 512 + 1024 + 4096, .timeout_ms = 60000};
    struct sg_io_hdr hdr;
    set_cdb(&cmd, write10, 10);

    CHECK_INT_EQ(sg_io_build(&hdr, &cmd, 0, 30000), 0);
    CHECK_INT_EQ(hdr.dxfer_direction, SG_DXFER_TO_DEV);
    CHECK_INT_EQ(hdr.iovec_count, 3);
    CHECK(hdr.dxferp == (void *)iov);
    CHECK_INT_EQ(hdr.dxfer_len, 5632);
    CHECK_INT_EQ(hdr.cmd_len, 10);
    CHECK_MEM_EQ(hdr.cmdp, write10, 10);
    CHECK_INT_EQ(hdr.timeout, 60000);       /* the guest's, not the default */
    CHECK_INT_EQ(hdr.pack_id, 0);
    CHECK_INT_EQ(hdr.flags, 0x10);          /* sg takes no direct I/O for a list */
    /* sg reads the list as sg_iovec_t. */
    const sg_iovec_t *list = hdr.dxferp;
    CHECK(list[2].iov_base == c);
    CHECK_INT_EQ(list[2].iov_len, 4096);
}

TEST(builds_no_data_and_bidirectional)
{
    static const uint8_t tur[6] = {0};
    struct lun_cmd cmd = {.dir = VSCSI_DIR_NONE};
    struct sg_io_hdr hdr;
    set_cdb(&cmd, tur, 6);
    CHECK_INT_EQ(sg_io_build(&hdr, &cmd, 1, 30000), 0);
    CHECK_INT_EQ(hdr.dxfer_direction, SG_DXFER_NONE);
    CHECK(hdr.dxferp == NULL);
    CHECK_INT_EQ(hdr.dxfer_len, 0);
    CHECK_INT_EQ(hdr.iovec_count, 0);
    CHECK_INT_EQ(hdr.timeout, 30000);
    CHECK_INT_EQ(hdr.flags, 0x10);          /* nothing to move directly */

    uint8_t buf[64];
    struct iovec iov = {buf, sizeof(buf)};
    static const uint8_t xdwriteread[10] = {0x53, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    cmd = (struct lun_cmd){.dir = VSCSI_DIR_BIDIRECTIONAL, .iov = &iov, .iov_cnt = 1,
                           .data_len = 64};
    set_cdb(&cmd, xdwriteread, 10);
    CHECK_INT_EQ(sg_io_build(&hdr, &cmd, 2, 30000), 0);
    CHECK_INT_EQ(hdr.dxfer_direction, SG_DXFER_TO_FROM_DEV);
    CHECK(hdr.dxferp == buf);
    CHECK_INT_EQ(hdr.dxfer_len, 64);
}

TEST(builds_sixteen_byte_cdb_and_long_timeout)
{
    static const uint8_t read16[16] = {0x88, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0};
    uint8_t buf[4096];
    struct iovec iov = {buf, sizeof(buf)};
    struct lun_cmd cmd = {.dir = VSCSI_DIR_FROM_DEVICE, .iov = &iov, .iov_cnt = 1,
                          .data_len = 4096, .timeout_ms = 14400000};   /* 4 h */
    struct sg_io_hdr hdr;
    set_cdb(&cmd, read16, 16);
    CHECK_INT_EQ(sg_io_build(&hdr, &cmd, 2147483647, 30000), 0);
    CHECK_INT_EQ(hdr.cmd_len, 16);
    CHECK_MEM_EQ(hdr.cmdp, read16, 16);
    CHECK_INT_EQ(hdr.timeout, 14400000);
    CHECK_INT_EQ(hdr.pack_id, 2147483647);
}

TEST(rejects_what_sg_cannot_take)
{
    uint8_t buf[16];
    struct iovec iov[2] = {{buf, 8}, {buf + 8, 8}};
    struct sg_io_hdr hdr;
    struct lun_cmd cmd;

    /* Direction NONE with data. */
    cmd = (struct lun_cmd){.dir = VSCSI_DIR_NONE, .iov = iov, .iov_cnt = 2, .data_len = 16};
    set_cdb(&cmd, INQUIRY, 6);
    CHECK_INT_EQ(sg_io_build(&hdr, &cmd, 0, 1), -EINVAL);
    /* data_len without buffers; buffers not adding up; no array. */
    cmd = (struct lun_cmd){.dir = VSCSI_DIR_FROM_DEVICE, .data_len = 16};
    set_cdb(&cmd, INQUIRY, 6);
    CHECK_INT_EQ(sg_io_build(&hdr, &cmd, 0, 1), -EINVAL);
    cmd = (struct lun_cmd){.dir = VSCSI_DIR_FROM_DEVICE, .iov = iov, .iov_cnt = 2,
                           .data_len = 15};
    set_cdb(&cmd, INQUIRY, 6);
    CHECK_INT_EQ(sg_io_build(&hdr, &cmd, 0, 1), -EINVAL);
    cmd = (struct lun_cmd){.dir = VSCSI_DIR_FROM_DEVICE, .iov = NULL, .iov_cnt = 1,
                           .data_len = 16};
    set_cdb(&cmd, INQUIRY, 6);
    CHECK_INT_EQ(sg_io_build(&hdr, &cmd, 0, 1), -EINVAL);
    /* Unknown direction. */
    cmd = (struct lun_cmd){.dir = (enum vscsi_dir)4};
    set_cdb(&cmd, INQUIRY, 6);
    CHECK_INT_EQ(sg_io_build(&hdr, &cmd, 0, 1), -EINVAL);
    /* CDB lengths sg refuses (under 6) or that do not exist (over 16). */
    cmd = (struct lun_cmd){.dir = VSCSI_DIR_NONE};
    set_cdb(&cmd, INQUIRY, 5);
    CHECK_INT_EQ(sg_io_build(&hdr, &cmd, 0, 1), -EINVAL);
    cmd.cdb_len = 0;
    CHECK_INT_EQ(sg_io_build(&hdr, &cmd, 0, 1), -EINVAL);
    cmd.cdb_len = 17;
    CHECK_INT_EQ(sg_io_build(&hdr, &cmd, 0, 1), -EINVAL);
    /* pack_id -1 means "any" to sg's read(). */
    cmd.cdb_len = 6;
    CHECK_INT_EQ(sg_io_build(&hdr, &cmd, -1, 1), -EINVAL);
    CHECK_INT_EQ(sg_io_build(&hdr, &cmd, 0, 1), 0);
}

TEST(iovec_count_limit)
{
    /* The kernel imports at most UIO_MAXIOV (1024) iovecs. */
    static uint8_t byte[1025];
    struct iovec *iov = calloc(1025, sizeof(*iov));
    REQUIRE(iov);
    for (int i = 0; i < 1025; i++)
        iov[i] = (struct iovec){&byte[i], 1};
    struct lun_cmd cmd = {.dir = VSCSI_DIR_TO_DEVICE, .iov = iov, .iov_cnt = 1024,
                          .data_len = 1024};
    struct sg_io_hdr hdr;
    set_cdb(&cmd, INQUIRY, 6);
    CHECK_INT_EQ(sg_io_build(&hdr, &cmd, 0, 1), 0);
    CHECK_INT_EQ(hdr.iovec_count, 1024);
    cmd.iov_cnt = 1025;
    cmd.data_len = 1025;
    CHECK_INT_EQ(sg_io_build(&hdr, &cmd, 0, 1), -EINVAL);
    free(iov);
}

/* A command as the core hands it over: outputs zeroed, data_len set. */
static struct lun_cmd mapped(const struct sg_io_hdr *hdr, uint32_t data_len)
{
    struct lun_cmd cmd = {.data_len = data_len};
    sg_io_map_result(hdr, &cmd);
    return cmd;
}

TEST(maps_good)
{
    struct sg_io_hdr hdr = {.interface_id = 'S'};
    struct lun_cmd cmd = mapped(&hdr, 36);
    CHECK_INT_EQ(cmd.status, 0);
    CHECK_INT_EQ(cmd.host, XEN_VSCSIIF_RSLT_HOST_OK);
    CHECK_INT_EQ(cmd.sense_len, 0);
    CHECK_INT_EQ(cmd.residual, 0);
}

TEST(tells_direct_io_from_info)
{
    struct sg_io_hdr hdr = {.interface_id = 'S', .dxfer_len = 4096};
    CHECK(!sg_io_was_direct(&hdr));               /* sg copied through its buffer */
    hdr.info = SG_INFO_DIRECT_IO;
    CHECK(sg_io_was_direct(&hdr));
    hdr.info = SG_INFO_DIRECT_IO | SG_INFO_CHECK;  /* other bits do not matter */
    CHECK(sg_io_was_direct(&hdr));
    hdr.dxfer_len = 0;                            /* no data: nothing moved */
    CHECK(!sg_io_was_direct(&hdr));
}

TEST(maps_check_condition_with_sense)
{
    /* Fixed-format sense as sg writes it into cmd->sense via sbp. */
    static const uint8_t sense[18] = {0x70, 0, 0x05, 0, 0, 0, 0, 0x0a,
                                      0, 0, 0, 0, 0x24, 0x00, 0, 0, 0, 0};
    struct lun_cmd cmd = {.data_len = 512};
    memcpy(cmd.sense, sense, sizeof(sense));
    struct sg_io_hdr hdr = {.status = 0x02, .masked_status = 0x01, .sb_len_wr = 18,
                            .driver_status = 0x08, .resid = 512, .info = 1};
    sg_io_map_result(&hdr, &cmd);
    CHECK_INT_EQ(cmd.status, 0x02);
    CHECK_INT_EQ(cmd.host, XEN_VSCSIIF_RSLT_HOST_OK);    /* DRIVER_SENSE is no error */
    CHECK_INT_EQ(cmd.sense_len, 18);
    CHECK_MEM_EQ(cmd.sense, sense, 18);
    CHECK_INT_EQ(cmd.residual, 512);
}

TEST(clamps_sense_length)
{
    static const struct {
        unsigned char written, kept;
    } rows[] = {{200, 96}, {96, 96}, {95, 95}};
    for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct sg_io_hdr hdr = {.status = 0x02, .sb_len_wr = rows[i].written};
        CHECK_INT_EQ(mapped(&hdr, 0).sense_len, rows[i].kept);
    }
}

TEST(passes_host_byte_through)
{
    static const struct {
        unsigned short host_status;
        uint8_t host;
    } rows[] = {
        {0x01, XEN_VSCSIIF_RSLT_HOST_NO_CONNECT},
        {0x03, XEN_VSCSIIF_RSLT_HOST_TIME_OUT},
        {0x08, XEN_VSCSIIF_RSLT_HOST_RESET},
        {0x0e, XEN_VSCSIIF_RSLT_HOST_TRANSPORT_DISRUPTED},
        {0x14, XEN_VSCSIIF_RSLT_HOST_TRANSPORT_MARGINAL},
        /* No DID_ value is that large: never truncated into a wrong one. */
        {0x107, XEN_VSCSIIF_RSLT_HOST_ERROR},
        {0x100, XEN_VSCSIIF_RSLT_HOST_ERROR},
    };
    for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct sg_io_hdr hdr = {.host_status = rows[i].host_status};
        CHECK_INT_EQ(mapped(&hdr, 0).host, rows[i].host);
    }
}

TEST(maps_driver_status)
{
    static const struct {
        unsigned short host_status, driver_status;
        uint8_t host;
    } rows[] = {
        {0, 0x06, XEN_VSCSIIF_RSLT_HOST_TIME_OUT},
        {0, 0x26, XEN_VSCSIIF_RSLT_HOST_TIME_OUT},      /* SUGGEST_ABORT | DRIVER_TIMEOUT */
        {0x07, 0x26, XEN_VSCSIIF_RSLT_HOST_TIME_OUT},   /* the timeout wins over a generic error */
        {0, 0x01, XEN_VSCSIIF_RSLT_HOST_BUS_BUSY},
        {0, 0x04, XEN_VSCSIIF_RSLT_HOST_ERROR},
        {0, 0x05, XEN_VSCSIIF_RSLT_HOST_ERROR},
        {0, 0x07, XEN_VSCSIIF_RSLT_HOST_ERROR},
        {0, 0x02, XEN_VSCSIIF_RSLT_HOST_OK},            /* SOFT */
        {0, 0x08, XEN_VSCSIIF_RSLT_HOST_OK},            /* SENSE */
        /* A host byte from the adapter is kept over other driver codes. */
        {0x05, 0x04, XEN_VSCSIIF_RSLT_HOST_ABORT},
    };
    for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct sg_io_hdr hdr = {.host_status = rows[i].host_status,
                                .driver_status = rows[i].driver_status};
        CHECK_INT_EQ(mapped(&hdr, 0).host, rows[i].host);
    }
}

TEST(clamps_residual)
{
    static const struct {
        int resid;
        uint32_t data_len, residual;
    } rows[] = {
        {100, 512, 100}, {512, 512, 512}, {600, 512, 512}, {-5, 512, 0}, {2147483647, 0, 0},
    };
    for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct sg_io_hdr hdr = {.resid = rows[i].resid};
        CHECK_INT_EQ(mapped(&hdr, rows[i].data_len).residual, rows[i].residual);
    }
}

TEST(write_errors_to_host_byte)
{
    static const struct {
        int err;
        uint8_t host;
    } rows[] = {
        {EAGAIN, XEN_VSCSIIF_RSLT_HOST_BUS_BUSY}, {ENOMEM, XEN_VSCSIIF_RSLT_HOST_BUS_BUSY},
        {EBUSY, XEN_VSCSIIF_RSLT_HOST_BUS_BUSY},  {EDOM, XEN_VSCSIIF_RSLT_HOST_BUS_BUSY},
        {EIO, XEN_VSCSIIF_RSLT_HOST_ERROR},       {EINVAL, XEN_VSCSIIF_RSLT_HOST_ERROR},
        {ENODEV, XEN_VSCSIIF_RSLT_HOST_ERROR},    {EMSGSIZE, XEN_VSCSIIF_RSLT_HOST_ERROR},
    };
    for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        CHECK_INT_EQ(sg_io_host_for_errno(rows[i].err), rows[i].host);
}

TAP_MAIN(default_timeouts_by_type, builds_data_in_single_buffer, builds_data_out_iovec_list,
         builds_no_data_and_bidirectional, builds_sixteen_byte_cdb_and_long_timeout,
         rejects_what_sg_cannot_take, iovec_count_limit, maps_good, tells_direct_io_from_info,
         maps_check_condition_with_sense, clamps_sense_length, passes_host_byte_through,
         maps_driver_status, clamps_residual, write_errors_to_host_byte)
