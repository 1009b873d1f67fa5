/*
 * The sg LUN handler (backend/handlers/sg.c): claims, open() errors over a
 * fake sysfs, and the asynchronous command path on a real io_uring. A
 * SOCK_SEQPACKET socket stands in for /dev/sgN: the test plays sg's part,
 * receiving the sg_io_hdr the queued write hands it and sending it back
 * completed, in any order, as sg hands out completions to a read of
 * pack_id -1. The last case runs INQUIRY on a real /dev/sg* when the
 * machine has one.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sg.h"
#include "sg_fakesys.h"
#include "sg_io.h"
#include "sg_lookup.h"
#include "tap.h"

#define TIMEOUT_S 5

static const uint8_t INQUIRY[6] = {0x12, 0x00, 0x00, 0x00, 0x24, 0x00};

/* Commands the handler reported finished (lun_params.finished), in order. */
static struct lun_cmd *finished[64];
static unsigned nr_finished;

static void on_finished(struct lun_cmd *cmd)
{
    if (nr_finished < sizeof(finished) / sizeof(finished[0]))
        finished[nr_finished] = cmd;
    nr_finished++;
}

/* One fake-sg world: a ring, a socket pair, a LUN over sv[0]. */
static struct io_uring ring;
static int sv[2] = {-1, -1};
static struct lun *lun;

static int world_up(unsigned entries)
{
    nr_finished = 0;
    if (io_uring_queue_init(entries, &ring, 0) < 0)
        return -1;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return -1;
    /* As sg_dev_open() opens sg. */
    if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0)
        return -1;
    return sg_lun_create(sv[0], 500000, on_finished, &lun);
}

static void world_down(void)
{
    lun->ops->close(lun);    /* closes sv[0] */
    if (sv[1] >= 0 && close(sv[1]) < 0)
        TAP_DIAG("close: %s", strerror(errno));
    sv[1] = -1;
    io_uring_queue_exit(&ring);
}

static struct lun_cmd inquiry_cmd(uint8_t *buf, struct iovec *iov)
{
    *iov = (struct iovec){buf, 36};
    struct lun_cmd cmd = {.dir = VSCSI_DIR_FROM_DEVICE, .iov = iov, .iov_cnt = 1,
                          .data_len = 36, .cdb_len = 6, .iov_private = true};
    memcpy(cmd.cdb, INQUIRY, 6);
    return cmd;
}

/* One CQE to the handler, as the worker passes it: the LUN's own (its
 * read) to event(), a command's (its failed write) to complete(). */
static void deliver(const struct io_uring_cqe *cqe)
{
    struct uring_tag *tag = io_uring_cqe_get_data(cqe);
    if (!tag)
        return;   /* a cancel's own CQE */
    if (tag == &lun->tag) {
        lun->ops->event(lun, cqe, &ring);
        return;
    }
    struct lun_cmd *cmd = (struct lun_cmd *)((char *)tag - offsetof(struct lun_cmd, tag));
    if (lun->ops->complete(lun, cmd, cqe, &ring) == LUN_DONE)
        on_finished(cmd);
}

/* Submits what the handler queued, waits for a CQE and delivers it and
 * every other that the resubmissions it causes bring at once. Returns the
 * number delivered, -1 when none comes. */
static int pump(void)
{
    struct io_uring_cqe *cqe;
    struct __kernel_timespec ts = {.tv_sec = TIMEOUT_S};
    if (io_uring_submit(&ring) < 0)
        return -1;
    int r = io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
    if (r < 0) {
        TAP_DIAG("no CQE: %s", strerror(-r));
        return -1;
    }
    int n = 0;
    do {
        while (io_uring_peek_cqe(&ring, &cqe) == 0) {
            struct io_uring_cqe copy = *cqe;
            io_uring_cqe_seen(&ring, cqe);
            deliver(&copy);
            n++;
        }
    } while (io_uring_submit(&ring) > 0 && io_uring_peek_cqe(&ring, &cqe) == 0);
    return n;
}

/* sg's side: the header the handler's queued write hands it. */
static ssize_t peer_recv(struct sg_io_hdr *hdr)
{
    if (io_uring_submit(&ring) < 0)
        return -1;
    struct pollfd p = {.fd = sv[1], .events = POLLIN};
    if (poll(&p, 1, TIMEOUT_S * 1000) != 1)
        return -1;
    return recv(sv[1], hdr, sizeof(*hdr), 0);
}

static int peer_send(const void *buf, size_t len)
{
    return send(sv[1], buf, len, 0) == (ssize_t)len ? 0 : -1;
}

/* Starts an INQUIRY into buf (inquiry_cmd) and takes, as sg, the header
 * the handler wrote for it. */
static bool start_inquiry(struct lun_cmd *cmd, uint8_t *buf, struct iovec *iov,
                          struct sg_io_hdr *hdr)
{
    *cmd = inquiry_cmd(buf, iov);
    return lun->ops->start(lun, cmd, &ring) == LUN_PENDING &&
           peer_recv(hdr) == (ssize_t)sizeof(*hdr);
}

/* sg completes hdr; the handler's read brings it back. */
static bool answer(const struct sg_io_hdr *hdr)
{
    return peer_send(hdr, sizeof(*hdr)) == 0 && pump() > 0;
}

/* Nothing more from the handler: nothing written, no SQE queued and no
 * read left waiting (a completion sent now reaches no one). Sends a stray
 * completion. */
static bool quiet(void)
{
    char byte;
    if (io_uring_sq_ready(&ring) != 0 || recv(sv[1], &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
        return false;
    struct sg_io_hdr stray = {.interface_id = 'S', .pack_id = 999};
    if (peer_send(&stray, sizeof(stray)) < 0)
        return false;
    struct io_uring_cqe *cqe;
    struct __kernel_timespec ts = {.tv_nsec = 100 * 1000 * 1000};
    while (io_uring_wait_cqe_timeout(&ring, &cqe, &ts) == 0) {
        bool ours = io_uring_cqe_get_data(cqe) == &lun->tag;
        io_uring_cqe_seen(&ring, cqe);
        if (ours)
            return false;
    }
    return true;
}

TEST(claims_sg_pdevs_only)
{
    CHECK(lun_sg_ops.claims("1:0:2:3"));
    CHECK(lun_sg_ops.claims("naa.6001405000000001"));
    CHECK(lun_sg_ops.claims("naa.60014050000000010000000000000001:0"));
    CHECK(lun_sg_ops.claims("/dev/sg0"));
    CHECK(lun_sg_ops.claims("/dev/sg32767"));
    CHECK(!lun_sg_ops.claims("file:/var/lib/disk.img"));
    CHECK(!lun_sg_ops.claims("null"));
    CHECK(!lun_sg_ops.claims(""));
    CHECK(!lun_sg_ops.claims("/dev/bsg/1:0:0:0"));
    CHECK(!lun_sg_ops.claims("/dev/sda"));
    CHECK(!lun_sg_ops.claims("naa.xyz"));
    CHECK(!lun_sg_ops.claims("1:0:0"));
    CHECK(!lun_sg_ops.claims("sg0"));
    CHECK_STR_EQ(lun_sg_ops.name, "sg");
    CHECK(lun_sg_ops.open && lun_sg_ops.close && lun_sg_ops.start && lun_sg_ops.complete &&
          lun_sg_ops.reset && lun_sg_ops.event);
    CHECK(lun_ops_for_pdev("naa.6001405000000001:0") == &lun_sg_ops);
    CHECK(lun_ops_for_pdev("/dev/sg3") == &lun_sg_ops);
}

TEST(open_errors)
{
    struct fakesys fs;
    struct lun *l = (struct lun *)&fs;    /* sentinel: must stay untouched */
    char err[256], want[512];
    REQUIRE(fakesys_init(&fs) == 0);
    REQUIRE(fakesys_add_device(&fs, "1:0:2:3", 1, "sg32765", NULL, 0) == 0);
    REQUIRE(fakesys_add_device(&fs, "4:0:0:0", 8, NULL, NULL, 0) == 0);
    struct lun_params params = {.sysfs_root = fs.root};

    CHECK_INT_EQ(lun_sg_ops.open("1:0:0:9", &params, &l, err, sizeof(err)), -ENODEV);
    snprintf(want, sizeof(want), "no SCSI device 1:0:0:9 in %s/bus/scsi/devices", fs.root);
    CHECK_STR_EQ(err, want);
    CHECK_INT_EQ(lun_sg_ops.open("4:0:0:0", &params, &l, err, sizeof(err)), -ENODEV);
    CHECK_STR_EQ(err, "4:0:0:0 has no sg node (is the sg module loaded?)");
    CHECK_INT_EQ(lun_sg_ops.open("/dev/sg4000000000", &params, &l, err, sizeof(err)), -ENOENT);
    CHECK_STR_EQ(err, "cannot stat /dev/sg4000000000: No such file or directory");
    if (access("/dev/sg32765", F_OK) < 0) {
        CHECK_INT_EQ(lun_sg_ops.open("1:0:2:3", &params, &l, err, sizeof(err)), -ENOENT);
        CHECK_STR_EQ(err, "cannot open /dev/sg32765: No such file or directory");
    }
    CHECK_INT_EQ(lun_sg_ops.open("4294967295:0:0:0", NULL, &l, err, sizeof(err)), -ENODEV);
    CHECK_STR_EQ(err, "no SCSI device 4294967295:0:0:0 in /sys/bus/scsi/devices");
    params.sysfs_root = NULL;
    CHECK_INT_EQ(lun_sg_ops.open("4294967295:0:0:0", &params, &l, err, sizeof(err)), -ENODEV);
    CHECK_STR_EQ(err, "no SCSI device 4294967295:0:0:0 in /sys/bus/scsi/devices");
    CHECK(l == (struct lun *)&fs);
    fakesys_remove(&fs);
}

TEST(inquiry_through_fake_sg)
{
    uint8_t buf[36] = {0};
    struct iovec iov;
    struct lun_cmd cmd = inquiry_cmd(buf, &iov);
    struct sg_io_hdr hdr;
    REQUIRE(world_up(8) == 0);

    CHECK_INT_EQ(lun->ops->start(lun, &cmd, &ring), LUN_PENDING);
    /* Queued: the write of the header and one read of a completion. */
    CHECK_INT_EQ(io_uring_sq_ready(&ring), 2);
    REQUIRE(peer_recv(&hdr) == (ssize_t)sizeof(hdr));
    CHECK_INT_EQ(hdr.interface_id, 'S');
    CHECK_INT_EQ(hdr.dxfer_direction, SG_DXFER_FROM_DEV);
    CHECK_INT_EQ(hdr.pack_id, 0);
    CHECK(hdr.usr_ptr == &cmd);
    CHECK_INT_EQ(hdr.cmd_len, 6);
    CHECK_MEM_EQ(hdr.cmdp, INQUIRY, 6);
    CHECK(hdr.dxferp == buf);
    CHECK_INT_EQ(hdr.dxfer_len, 36);
    CHECK_INT_EQ(hdr.timeout, 500000);         /* the LUN's default */
    CHECK_INT_EQ(hdr.mx_sb_len, 96);
    CHECK(hdr.sbp == cmd.sense);

    /* The "device" answers 36 bytes of a tape drive's INQUIRY data. */
    static const uint8_t data[36] = {0x01, 0x80, 0x06, 0x02, 31, 0, 0, 0,
                                     'T', 'E', 'S', 'T', ' ', ' ', ' ', ' '};
    memcpy(hdr.dxferp, data, sizeof(data));
    hdr.status = 0;
    hdr.resid = 0;
    hdr.duration = 3;
    REQUIRE(answer(&hdr));
    CHECK_INT_EQ(nr_finished, 1);
    CHECK(finished[0] == &cmd);
    CHECK_INT_EQ(cmd.status, 0);
    CHECK_INT_EQ(cmd.host, XEN_VSCSIIF_RSLT_HOST_OK);
    CHECK_INT_EQ(cmd.sense_len, 0);
    CHECK_INT_EQ(cmd.residual, 0);
    CHECK_MEM_EQ(buf, data, 36);
    /* Nothing in flight: no read left behind. */
    CHECK(quiet());
    world_down();
}

TEST(check_condition_through_fake_sg)
{
    uint8_t buf[36] = {0};
    struct iovec iov;
    struct lun_cmd cmd;
    struct sg_io_hdr hdr;
    REQUIRE(world_up(8) == 0);

    /* A second command after a first one gets the next pack_id. */
    for (int round = 0; round < 2; round++) {
        REQUIRE(start_inquiry(&cmd, buf, &iov, &hdr));
        CHECK_INT_EQ(hdr.pack_id, round);
        /* MEDIUM NOT PRESENT, 100 sense bytes offered: 96 kept. */
        uint8_t *sense = hdr.sbp;
        memset(sense, 0, 96);
        sense[0] = 0x70;
        sense[2] = 0x02;
        sense[7] = 10;
        sense[12] = 0x3a;
        hdr.status = 0x02;
        hdr.masked_status = 0x01;
        hdr.driver_status = 0x08;
        hdr.sb_len_wr = (unsigned char)(round == 0 ? 18 : 100);
        hdr.resid = 36;
        REQUIRE(answer(&hdr));
        CHECK_INT_EQ(nr_finished, (unsigned)round + 1);
        CHECK_INT_EQ(cmd.status, 0x02);
        CHECK_INT_EQ(cmd.host, XEN_VSCSIIF_RSLT_HOST_OK);
        CHECK_INT_EQ(cmd.sense_len, round == 0 ? 18 : 96);
        CHECK_INT_EQ(cmd.sense[2], 0x02);
        CHECK_INT_EQ(cmd.sense[12], 0x3a);
        CHECK_INT_EQ(cmd.residual, 36);
    }
    world_down();
}

/* While sg may do direct I/O (until a completion says it did not), a
 * read's buffer of pvscsid's own is zeroed before it goes: an earlier
 * command's data must not reach the guest when the device writes nothing
 * and reports no residual. Once sg declines, the buffer is left to sg's
 * copy; the guest's mapped pages never get direct I/O. */
TEST(read_buffer_zeroed_while_sg_may_do_direct_io)
{
    uint8_t buf[36];
    struct iovec iov;
    struct lun_cmd cmd;
    struct sg_io_hdr hdr;
    REQUIRE(world_up(8) == 0);

    memset(buf, 0x5a, sizeof(buf));           /* an earlier command's data */
    REQUIRE(start_inquiry(&cmd, buf, &iov, &hdr));
    CHECK_INT_EQ(hdr.flags & SG_FLAG_DIRECT_IO, SG_FLAG_DIRECT_IO);
    static const uint8_t zero[36];
    CHECK_MEM_EQ(buf, zero, sizeof(buf));
    hdr.status = 0x02;                        /* failed, nothing written, resid 0 */
    hdr.info = SG_INFO_DIRECT_IO;
    REQUIRE(answer(&hdr));
    CHECK_INT_EQ(cmd.residual, 0);
    CHECK_MEM_EQ(buf, zero, sizeof(buf));

    /* sg says it copied (allow_dio 0): from then on the buffer is not touched. */
    memset(buf, 0x5a, sizeof(buf));
    REQUIRE(start_inquiry(&cmd, buf, &iov, &hdr));
    hdr.info = 0;
    REQUIRE(answer(&hdr));
    memset(buf, 0x5a, sizeof(buf));
    REQUIRE(start_inquiry(&cmd, buf, &iov, &hdr));
    CHECK_INT_EQ(buf[0], 0x5a);
    CHECK_INT_EQ(buf[35], 0x5a);
    REQUIRE(answer(&hdr));
    CHECK_INT_EQ(nr_finished, 3);
    world_down();

    /* The guest's mapped pages (grant map): no direct I/O asked, never
     * zeroed, whatever sg did before. */
    REQUIRE(world_up(8) == 0);
    memset(buf, 0x5a, sizeof(buf));
    cmd = inquiry_cmd(buf, &iov);
    cmd.iov_private = false;
    REQUIRE(lun->ops->start(lun, &cmd, &ring) == LUN_PENDING);
    REQUIRE(peer_recv(&hdr) == (ssize_t)sizeof(hdr));
    CHECK_INT_EQ(hdr.flags & SG_FLAG_DIRECT_IO, 0);
    CHECK_INT_EQ(buf[0], 0x5a);
    REQUIRE(answer(&hdr));
    world_down();
}

TEST(host_byte_and_timeout_through_fake_sg)
{
    uint8_t buf[36];
    struct iovec iov;
    struct lun_cmd cmd = inquiry_cmd(buf, &iov);
    struct sg_io_hdr hdr;
    REQUIRE(world_up(8) == 0);
    cmd.timeout_ms = 7200000;    /* the guest's own: two hours */

    CHECK_INT_EQ(lun->ops->start(lun, &cmd, &ring), LUN_PENDING);
    REQUIRE(peer_recv(&hdr) == (ssize_t)sizeof(hdr));
    CHECK_INT_EQ(hdr.timeout, 7200000);
    hdr.host_status = 0x0f;      /* DID_TRANSPORT_FAILFAST */
    hdr.resid = 36;
    REQUIRE(answer(&hdr));
    CHECK_INT_EQ(nr_finished, 1);
    CHECK_INT_EQ(cmd.host, XEN_VSCSIIF_RSLT_HOST_TRANSPORT_FAILFAST);
    CHECK_INT_EQ(cmd.residual, 36);
    world_down();
}

/* Three in flight, completed in reverse order and all at once: each is
 * read by the one read queued (requeued after each), and goes to its own
 * command. */
TEST(completions_in_any_order_reach_their_commands)
{
    uint8_t buf[3][36];
    struct iovec iov[3];
    struct lun_cmd cmd[3];
    struct sg_io_hdr hdr[3];
    REQUIRE(world_up(8) == 0);

    for (int i = 0; i < 3; i++) {
        cmd[i] = inquiry_cmd(buf[i], &iov[i]);
        CHECK_INT_EQ(lun->ops->start(lun, &cmd[i], &ring), LUN_PENDING);
    }
    CHECK_INT_EQ(io_uring_sq_ready(&ring), 4);   /* three writes, one read */
    for (int i = 0; i < 3; i++) {
        REQUIRE(peer_recv(&hdr[i]) == (ssize_t)sizeof(hdr[i]));
        CHECK_INT_EQ(hdr[i].pack_id, i);
        CHECK(hdr[i].usr_ptr == &cmd[i]);
    }
    for (int i = 2; i >= 0; i--) {
        hdr[i].resid = 36 - 10 * i;
        REQUIRE(peer_send(&hdr[i], sizeof(hdr[i])) == 0);
    }
    CHECK(pump() > 0);
    CHECK_INT_EQ(nr_finished, 3);
    CHECK(finished[0] == &cmd[2] && finished[1] == &cmd[1] && finished[2] == &cmd[0]);
    for (int i = 0; i < 3; i++) {
        CHECK_INT_EQ(cmd[i].host, XEN_VSCSIIF_RSLT_HOST_OK);
        CHECK_INT_EQ(cmd[i].residual, (uint32_t)(36 - 10 * i));
    }
    CHECK(quiet());
    world_down();
}

/* Completions that match no command of ours are logged and dropped; the
 * command's own completion still reaches it. */
TEST(stray_completions_are_ignored)
{
    uint8_t buf[36];
    struct iovec iov;
    struct lun_cmd cmd;
    struct sg_io_hdr hdr;
    REQUIRE(world_up(8) == 0);

    REQUIRE(start_inquiry(&cmd, buf, &iov, &hdr));
    struct sg_io_hdr other = hdr;
    other.pack_id += 100;                       /* an id nobody has */
    REQUIRE(peer_send(&other, sizeof(other)) == 0);
    other = hdr;
    other.usr_ptr = &other;                     /* our id, not our command */
    REQUIRE(peer_send(&other, sizeof(other)) == 0);
    REQUIRE(peer_send(&hdr, 10) == 0);          /* a short header */
    CHECK(pump() > 0);
    CHECK_INT_EQ(nr_finished, 0);
    REQUIRE(peer_send(&hdr, sizeof(hdr)) == 0);
    /* The read was queued again while the command was still out. */
    CHECK(pump() > 0);
    CHECK_INT_EQ(nr_finished, 1);
    CHECK(finished[0] == &cmd);
    CHECK_INT_EQ(cmd.host, XEN_VSCSIIF_RSLT_HOST_OK);
    world_down();
}

/* The device fails (end of file) with three commands out: each gets host
 * ERROR, once, and no read is left queued (no spin on a dead fd). */
TEST(a_failing_device_fails_what_is_in_flight)
{
    uint8_t buf[3][36];
    struct iovec iov[3];
    struct lun_cmd cmd[3];
    struct sg_io_hdr hdr;
    REQUIRE(world_up(8) == 0);
    for (int i = 0; i < 3; i++) {
        REQUIRE(start_inquiry(&cmd[i], buf[i], &iov[i], &hdr));
    }
    CHECK_INT_EQ(shutdown(sv[1], SHUT_WR), 0);
    CHECK(pump() > 0);
    CHECK_INT_EQ(nr_finished, 3);
    for (int i = 0; i < 3; i++)
        CHECK_INT_EQ(cmd[i].host, XEN_VSCSIIF_RSLT_HOST_ERROR);
    CHECK_INT_EQ(io_uring_sq_ready(&ring), 0);
    world_down();
}

/* sg refuses a command (here the socket refuses writes, EPIPE): host
 * ERROR, its pack_id given back (20 > sg's 16), no read left waiting. */
TEST(a_refused_command_fails_and_frees_its_pack_id)
{
    uint8_t buf[36];
    struct iovec iov;
    struct lun_cmd cmd = inquiry_cmd(buf, &iov);
    REQUIRE(world_up(8) == 0);
    REQUIRE(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
    CHECK_INT_EQ(shutdown(sv[0], SHUT_WR), 0);
    for (int i = 0; i < 20; i++) {
        cmd = inquiry_cmd(buf, &iov);
        CHECK_INT_EQ(lun->ops->start(lun, &cmd, &ring), LUN_PENDING);
        CHECK(pump() > 0);
        CHECK_INT_EQ(nr_finished, (unsigned)i + 1);
        CHECK_INT_EQ(cmd.host, XEN_VSCSIIF_RSLT_HOST_ERROR);
        CHECK_INT_EQ(cmd.residual, 36);
    }
    CHECK(quiet());
    world_down();
}

/* A refused command is answered at once although another one is still
 * running (a tape's REWIND may take long): the read is cancelled for it,
 * then queued again for the other, which completes later. */
TEST(a_refused_command_does_not_wait_for_others)
{
    uint8_t buf[2][36];
    struct iovec iov[2];
    struct lun_cmd cmd[2] = {inquiry_cmd(buf[0], &iov[0]), inquiry_cmd(buf[1], &iov[1])};
    struct sg_io_hdr hdr;
    REQUIRE(world_up(8) == 0);
    REQUIRE(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
    CHECK_INT_EQ(lun->ops->start(lun, &cmd[0], &ring), LUN_PENDING);
    REQUIRE(peer_recv(&hdr) == (ssize_t)sizeof(hdr));
    CHECK_INT_EQ(shutdown(sv[0], SHUT_WR), 0);   /* writes fail, reads still wait */
    CHECK_INT_EQ(lun->ops->start(lun, &cmd[1], &ring), LUN_PENDING);
    CHECK(pump() > 0);
    CHECK_INT_EQ(nr_finished, 1);
    CHECK(finished[0] == &cmd[1]);
    CHECK_INT_EQ(cmd[1].host, XEN_VSCSIIF_RSLT_HOST_ERROR);
    REQUIRE(peer_send(&hdr, sizeof(hdr)) == 0);
    CHECK(pump() > 0);
    CHECK_INT_EQ(nr_finished, 2);
    CHECK(finished[1] == &cmd[0]);
    CHECK_INT_EQ(cmd[0].host, XEN_VSCSIIF_RSLT_HOST_OK);
    CHECK(quiet());
    world_down();
}

/* The SQE queued last, not yet submitted. */
static struct io_uring_sqe *last_sqe(void)
{
    return &ring.sq.sqes[(ring.sq.sqe_tail - 1) & ring.sq.ring_mask];
}

/* The pack_id a read() of buf asks sg for, as sg parses it
 * (get_sg_io_pack_id in Linux's drivers/scsi/sg.c, with FORCE_PACK_ID): a
 * v3 header only if its second int (the old format's reply_len) is
 * negative, else the old format's pack_id field. */
static int sg_requested_pack_id(const void *buf, size_t count)
{
    struct sg_header old;
    if (count < sizeof(old))
        return -1;
    memcpy(&old, buf, sizeof(old));
    if (old.reply_len >= 0)
        return old.pack_id;
    if (count < sizeof(struct sg_io_hdr))
        return -1;
    return ((const struct sg_io_hdr *)buf)->pack_id;
}

/* The queued read asks sg for any completed command (pack_id -1), read as
 * sg reads it: a header sg took for the old format would name command 0
 * alone, and every later command would wait for ever. */
TEST(the_read_asks_sg_for_any_command)
{
    uint8_t buf[36];
    struct iovec iov;
    struct lun_cmd cmd = inquiry_cmd(buf, &iov);
    REQUIRE(world_up(8) == 0);
    CHECK_INT_EQ(lun->ops->start(lun, &cmd, &ring), LUN_PENDING);
    struct io_uring_sqe *rd = last_sqe();
    REQUIRE(rd->opcode == IORING_OP_READ);
    CHECK_INT_EQ(rd->len, sizeof(struct sg_io_hdr));
    CHECK_INT_EQ(sg_requested_pack_id((const void *)(uintptr_t)rd->addr, rd->len), -1);
    world_down();
}

/* A kernel whose io_uring answers a read of an O_NONBLOCK file with EAGAIN
 * instead of waiting: the handler then polls and reads, and commands still
 * complete. */
TEST(eagain_from_io_uring_falls_back_to_poll_and_read)
{
    uint8_t buf[2][36];
    struct iovec iov[2];
    struct lun_cmd cmd[2] = {inquiry_cmd(buf[0], &iov[0]), inquiry_cmd(buf[1], &iov[1])};
    struct sg_io_hdr hdr;
    REQUIRE(world_up(8) == 0);
    CHECK_INT_EQ(lun->ops->start(lun, &cmd[0], &ring), LUN_PENDING);
    /* Such a kernel's answer to the read just queued: EAGAIN. */
    struct io_uring_sqe *rd = last_sqe();
    REQUIRE(rd->opcode == IORING_OP_READ);
    io_uring_prep_nop(rd);
    io_uring_sqe_set_data(rd, NULL);
    REQUIRE(peer_recv(&hdr) == (ssize_t)sizeof(hdr));
    struct io_uring_cqe eagain = {.user_data = (uint64_t)(uintptr_t)&lun->tag, .res = -EAGAIN};
    lun->ops->event(lun, &eagain, &ring);
    CHECK_INT_EQ(nr_finished, 0);
    CHECK_INT_EQ(last_sqe()->opcode, IORING_OP_POLL_ADD);
    REQUIRE(peer_send(&hdr, sizeof(hdr)) == 0);
    CHECK(pump() > 0);
    CHECK_INT_EQ(nr_finished, 1);
    CHECK(finished[0] == &cmd[0]);
    CHECK_INT_EQ(cmd[0].host, XEN_VSCSIIF_RSLT_HOST_OK);
    /* And so on for the next one. */
    CHECK_INT_EQ(lun->ops->start(lun, &cmd[1], &ring), LUN_PENDING);
    CHECK_INT_EQ(last_sqe()->opcode, IORING_OP_POLL_ADD);
    REQUIRE(peer_recv(&hdr) == (ssize_t)sizeof(hdr));
    REQUIRE(peer_send(&hdr, sizeof(hdr)) == 0);
    CHECK(pump() > 0);
    CHECK_INT_EQ(nr_finished, 2);
    CHECK(finished[1] == &cmd[1]);
    CHECK(quiet());
    world_down();
}

TEST(sixteen_in_flight_then_busy)
{
    uint8_t buf[36];
    struct iovec iov;
    struct lun_cmd cmd[17];
    struct sg_io_hdr hdr;
    REQUIRE(world_up(64) == 0);
    for (int i = 0; i < 16; i++) {
        REQUIRE(start_inquiry(&cmd[i], buf, &iov, &hdr));
    }
    /* The 17th is refused at once, as sg's queue of 16 would. */
    cmd[16] = inquiry_cmd(buf, &iov);
    CHECK_INT_EQ(lun->ops->start(lun, &cmd[16], &ring), LUN_DONE);
    CHECK_INT_EQ(cmd[16].host, XEN_VSCSIIF_RSLT_HOST_BUS_BUSY);
    CHECK_INT_EQ(cmd[16].residual, 36);
    CHECK(io_uring_submit(&ring) >= 0);
    struct pollfd p = {.fd = sv[1], .events = POLLIN};
    CHECK_INT_EQ(poll(&p, 1, 0), 0);          /* nothing written for it */
    world_down();
}

TEST(completed_commands_free_their_pack_ids)
{
    uint8_t buf[36];
    struct iovec iov;
    struct sg_io_hdr hdr;
    REQUIRE(world_up(8) == 0);
    for (int i = 0; i < 40; i++) {
        struct lun_cmd cmd;
        REQUIRE(start_inquiry(&cmd, buf, &iov, &hdr));
        CHECK_INT_EQ(hdr.pack_id, i);
        REQUIRE(answer(&hdr));
        CHECK_INT_EQ(nr_finished, (unsigned)i + 1);
        CHECK_INT_EQ(cmd.host, XEN_VSCSIIF_RSLT_HOST_OK);
    }
    world_down();
}

TEST(unbuildable_command_fails_without_io)
{
    uint8_t buf[36];
    struct iovec iov;
    struct lun_cmd cmd = inquiry_cmd(buf, &iov);
    struct sg_io_hdr hdr;
    REQUIRE(world_up(8) == 0);
    cmd.dir = VSCSI_DIR_NONE;                   /* NONE with data */
    CHECK_INT_EQ(lun->ops->start(lun, &cmd, &ring), LUN_DONE);
    CHECK_INT_EQ(cmd.host, XEN_VSCSIIF_RSLT_HOST_ERROR);
    CHECK_INT_EQ(cmd.residual, 36);
    cmd = inquiry_cmd(buf, &iov);
    cmd.cdb_len = 3;
    CHECK_INT_EQ(lun->ops->start(lun, &cmd, &ring), LUN_DONE);
    CHECK_INT_EQ(cmd.host, XEN_VSCSIIF_RSLT_HOST_ERROR);
    CHECK(quiet());
    /* Their slots were given back; the counter moved on past ids 0 and 1. */
    REQUIRE(start_inquiry(&cmd, buf, &iov, &hdr));
    CHECK_INT_EQ(hdr.pack_id, 2);
    world_down();
}

TEST(reset_and_close)
{
    REQUIRE(world_up(8) == 0);
    /* A socket knows no SG_SCSI_RESET. */
    CHECK_INT_EQ(lun->ops->reset(lun), -ENOTTY);
    int fd = sv[0];
    world_down();
    CHECK_INT_EQ(fcntl(fd, F_GETFD), -1);
    CHECK_INT_EQ(errno, EBADF);
}

TEST(real_device_inquiry)
{
    static char why[512];
    glob_t g;
    int gr = glob("/dev/sg[0-9]*", 0, NULL, &g);
    if (gr == GLOB_NOMATCH)
        TAP_SKIP("no /dev/sg* on this machine (no SCSI subsystem)");
    REQUIRE(gr == 0);
    char path[64];
    int n = snprintf(path, sizeof(path), "%s", g.gl_pathv[0]);
    globfree(&g);
    REQUIRE(n > 0 && (size_t)n < sizeof(path));

    struct lun *l = NULL;
    char err[256] = "";
    int r = lun_sg_ops.open(path, NULL, &l, err, sizeof(err));
    if (r == -EACCES || r == -EPERM) {
        snprintf(why, sizeof(why), "%s", err);
        TAP_SKIP(why);
    }
    if (r < 0)
        TAP_DIAG("%s", err);
    REQUIRE(r == 0);
    struct io_uring rr;
    REQUIRE(io_uring_queue_init(8, &rr, 0) == 0);

    uint8_t buf[96] = {0};
    struct iovec iov = {buf, sizeof(buf)};
    struct lun_cmd cmd = {.cdb = {0x12, 0, 0, 0, sizeof(buf), 0}, .cdb_len = 6,
                          .dir = VSCSI_DIR_FROM_DEVICE, .iov = &iov, .iov_cnt = 1,
                          .data_len = sizeof(buf)};
    nr_finished = 0;
    l->finished = on_finished;
    enum lun_step s = l->ops->start(l, &cmd, &rr);
    for (int steps = 0; s == LUN_PENDING && nr_finished == 0 && steps < 1000; steps++) {
        struct io_uring_cqe *cqe;
        struct __kernel_timespec ts = {.tv_sec = 30};
        REQUIRE(io_uring_submit(&rr) >= 0);
        int w = io_uring_wait_cqe_timeout(&rr, &cqe, &ts);
        if (w < 0)
            TAP_DIAG("waiting for INQUIRY on %s: %s", path, strerror(-w));
        REQUIRE(w == 0);
        REQUIRE(cqe->user_data == (uint64_t)(uintptr_t)&l->tag);
        struct io_uring_cqe copy = *cqe;
        io_uring_cqe_seen(&rr, cqe);
        l->ops->event(l, &copy, &rr);
    }
    CHECK(s == LUN_DONE || (nr_finished == 1 && finished[0] == &cmd));
    CHECK_INT_EQ(cmd.status, 0);
    CHECK_INT_EQ(cmd.host, XEN_VSCSIIF_RSLT_HOST_OK);
    uint32_t got = cmd.data_len - cmd.residual;
    TAP_DIAG("%s: INQUIRY %u bytes, type %u, \"%.8s\" \"%.16s\"", path, got, buf[0] & 0x1f,
             (const char *)buf + 8, (const char *)buf + 16);
    CHECK(got >= 36);
    bool nonzero = false;
    for (uint32_t i = 0; i < got; i++)
        nonzero |= buf[i] != 0;
    CHECK(nonzero);
    CHECK_INT_EQ(buf[0] >> 5, 0);            /* peripheral qualifier: connected */
    int type;
    if (sg_lookup_type(NULL, path + 5, &type) == 0)
        CHECK_INT_EQ(buf[0] & 0x1f, type);
    else
        TAP_DIAG("no sysfs type for %s: peripheral type not cross-checked", path);
    l->ops->close(l);
    io_uring_queue_exit(&rr);
}

TAP_MAIN(claims_sg_pdevs_only, open_errors, inquiry_through_fake_sg,
         check_condition_through_fake_sg, read_buffer_zeroed_while_sg_may_do_direct_io,
         host_byte_and_timeout_through_fake_sg,
         completions_in_any_order_reach_their_commands, stray_completions_are_ignored,
         a_failing_device_fails_what_is_in_flight,
         a_refused_command_fails_and_frees_its_pack_id, a_refused_command_does_not_wait_for_others,
         the_read_asks_sg_for_any_command, eagain_from_io_uring_falls_back_to_poll_and_read,
         sixteen_in_flight_then_busy,
         completed_commands_free_their_pack_ids, unbuildable_command_fails_without_io,
         reset_and_close, real_device_inquiry)
