/* The null handler (backend/handlers/null.c). */
#include <time.h>
#include "lun_fixture.h"

extern const struct lun_ops lun_null_ops;

#define FILL 0xee

static struct lun *open_null(const char *pdev, uint32_t bs, bool ro)
{
    struct lun *lun = NULL;
    char err[256] = "";
    struct lun_params p = {.block_size = bs, .read_only = ro};
    int r = lun_null_ops.open(pdev, &p, &lun, err, sizeof(err));
    if (r != 0)
        TAP_DIAG("open %s: %d %s", pdev, r, err);
    return r == 0 ? lun : NULL;
}

/* null never queues I/O: a NULL ring proves it. */
static void run(struct lun *lun, struct lun_cmd *cmd)
{
    CHECK_INT_EQ(lun_null_ops.start(lun, cmd, NULL), LUN_DONE);
}

/* READ CAPACITY(16): last LBA and block size. */
static void capacity(struct lun *lun, uint64_t *last, uint32_t *bs)
{
    uint8_t b[32];
    struct iovec iov = {b, sizeof(b)};
    const uint8_t rc[16] = {0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0};
    struct lun_cmd cmd;
    fx_cmd(&cmd, rc, 16, VSCSI_DIR_FROM_DEVICE, &iov, 1);
    run(lun, &cmd);
    CHECK_GOOD(&cmd, 0);
    *last = 0;
    for (int i = 0; i < 8; i++)
        *last = *last << 8 | b[i];
    *bs = (uint32_t)b[8] << 24 | (uint32_t)b[9] << 16 | (uint32_t)b[10] << 8 | b[11];
}

TEST(claims)
{
    CHECK(lun_null_ops.claims("null"));
    CHECK(lun_null_ops.claims("null:1G"));
    CHECK(lun_null_ops.claims("null:"));       /* claimed, then refused by open */
    CHECK(!lun_null_ops.claims("nullx"));
    CHECK(!lun_null_ops.claims("nul"));
    CHECK(!lun_null_ops.claims("file:/null"));
    CHECK(!lun_null_ops.claims("/dev/null"));
    CHECK_STR_EQ(lun_null_ops.name, "null");
    CHECK(lun_ops_for_pdev("null:4K") == &lun_null_ops);
}

TEST(reads_give_zeros)
{
    struct lun *lun = open_null("null", 0, false);
    REQUIRE(lun);
    static uint8_t buf[300 * 512];
    memset(buf, FILL, sizeof(buf));
    static const size_t odd[] = {1, 511, 513, 7, 1000};
    struct iovec iov[8];
    unsigned n = fx_split(buf, 256 * 512, odd, 5, iov, 8);
    struct lun_cmd cmd;
    const uint8_t r6[6] = {0x08, 0, 0, 0, 0, 0};   /* 256 blocks */
    fx_cmd(&cmd, r6, 6, VSCSI_DIR_FROM_DEVICE, iov, n);
    run(lun, &cmd);
    CHECK_GOOD(&cmd, 0);
    for (size_t i = 0; i < sizeof(buf); i++)
        if (buf[i] != (i < 256 * 512 ? 0 : FILL)) {
            CHECK_INT_EQ(i, -1);
            break;
        }

    /* Bigger buffer than the CDB: only the blocks are zeroed. */
    memset(buf, FILL, sizeof(buf));
    struct iovec big = {buf, 4096};
    const uint8_t r16[16] = {0x88, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 2, 0, 0};
    fx_cmd(&cmd, r16, 16, VSCSI_DIR_FROM_DEVICE, &big, 1);
    run(lun, &cmd);
    CHECK_GOOD(&cmd, 3072);
    CHECK_INT_EQ(buf[1023], 0);
    CHECK_INT_EQ(buf[1024], FILL);
    lun_null_ops.close(lun);
}

TEST(writes_succeed_and_are_checked)
{
    struct lun *lun = open_null("null:1M", 0, false);
    REQUIRE(lun);
    uint8_t buf[4096];
    memset(buf, 0x5a, sizeof(buf));
    struct iovec iov = {buf, sizeof(buf)};
    struct lun_cmd cmd;
    const uint8_t w10[10] = {0x2a, 0x08, 0, 0, 0, 0, 0, 0, 8, 0};
    fx_cmd(&cmd, w10, 10, VSCSI_DIR_TO_DEVICE, &iov, 1);
    run(lun, &cmd);
    CHECK_GOOD(&cmd, 0);
    CHECK_INT_EQ(buf[0], 0x5a);   /* a data-out buffer is not written */

    const uint8_t w10_1[10] = {0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    fx_cmd(&cmd, w10_1, 10, VSCSI_DIR_TO_DEVICE, &iov, 1);
    run(lun, &cmd);
    CHECK_GOOD(&cmd, 4096 - 512);

    iov.iov_len = 4095;
    fx_cmd(&cmd, w10, 10, VSCSI_DIR_TO_DEVICE, &iov, 1);
    run(lun, &cmd);
    CHECK_SENSE(&cmd, 0x05, 0x24, 0x00);

    iov.iov_len = 4096;
    const uint8_t oob[10] = {0x2a, 0, 0, 0, 0x07, 0xfc, 0, 0, 8, 0};   /* 2044 + 8 > 2048 */
    fx_cmd(&cmd, oob, 10, VSCSI_DIR_TO_DEVICE, &iov, 1);
    run(lun, &cmd);
    CHECK_SENSE(&cmd, 0x05, 0x21, 0x00);

    const uint8_t sync[10] = {0x35};
    fx_cmd(&cmd, sync, 10, VSCSI_DIR_NONE, NULL, 0);
    run(lun, &cmd);
    CHECK_GOOD(&cmd, 0);
    lun_null_ops.close(lun);

    lun = open_null("null:1M", 0, true);
    REQUIRE(lun);
    fx_cmd(&cmd, w10, 10, VSCSI_DIR_TO_DEVICE, &iov, 1);
    run(lun, &cmd);
    CHECK_SENSE(&cmd, 0x07, 0x27, 0x00);
    lun_null_ops.close(lun);
}

TEST(capacity_from_the_pdev_size)
{
    static const struct {
        const char *pdev;
        uint32_t bs;
        uint64_t blocks;
    } cases[] = {
        {"null", 0, (16ull << 30) / 512},
        {"null", 4096, (16ull << 30) / 4096},
        {"null:1G", 0, 1u << 21},
        {"null:1g", 512, 1u << 21},
        {"null:4096", 4096, 1},
        {"null:1000", 0, 1},                 /* rounded down to whole blocks */
        {"null:3K", 0, 6},
        {"null:2M", 4096, 512},
        {"null:8T", 0, 1ull << 34},
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct lun *lun = open_null(cases[i].pdev, cases[i].bs, false);
        CHECK(lun != NULL);
        if (!lun)
            continue;
        uint64_t last = 0;
        uint32_t bs = 0;
        capacity(lun, &last, &bs);
        CHECK(last == cases[i].blocks - 1);
        CHECK_INT_EQ(bs, cases[i].bs ? cases[i].bs : 512);
        lun_null_ops.close(lun);
    }

    /* 2^34 blocks: READ CAPACITY(10) says "use the 16-byte form". */
    struct lun *lun = open_null("null:8T", 0, false);
    REQUIRE(lun);
    uint8_t b[8];
    struct iovec iov = {b, sizeof(b)};
    struct lun_cmd cmd;
    const uint8_t rc10[10] = {0x25};
    fx_cmd(&cmd, rc10, 10, VSCSI_DIR_FROM_DEVICE, &iov, 1);
    run(lun, &cmd);
    CHECK_GOOD(&cmd, 0);
    static const uint8_t want[8] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0x02, 0};
    CHECK_MEM_EQ(b, want, 8);
    lun_null_ops.close(lun);
}

TEST(bad_sizes_refused)
{
    static const struct {
        const char *pdev;
        int err;
    } bad[] = {
        {"null:", -EINVAL}, {"null:abc", -EINVAL}, {"null:1X", -EINVAL},
        {"null:1KB", -EINVAL}, {"null:-1", -EINVAL}, {"null: 1", -EINVAL},
        {"null:1 ", -EINVAL}, {"null:+5", -EINVAL}, {"null:K", -EINVAL},
        {"null:0", -EINVAL}, {"null:511", -EINVAL}, {"null:0x100", -EINVAL},
        {"null:18446744073709551616", -ERANGE}, {"null:99999999999999999999", -ERANGE},
        {"null:16777216T", -ERANGE}, {"null:nullx", -EINVAL}, {"nullx", -EINVAL},
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct lun *lun = NULL;
        char err[256] = "";
        struct lun_params p = {0};
        int r = lun_null_ops.open(bad[i].pdev, &p, &lun, err, sizeof(err));
        if (r != bad[i].err)
            TAP_DIAG("\"%s\" gave %d", bad[i].pdev, r);
        CHECK_INT_EQ(r, bad[i].err);
        CHECK(err[0] != '\0');
        CHECK(lun == NULL);
    }
    /* Byte offsets must fit an off_t: up to 2^63 - 1 bytes. */
    struct lun *lun = open_null("null:8388607T", 4096, false);
    CHECK(lun != NULL);
    if (lun)
        lun_null_ops.close(lun);
    struct lun *l2 = NULL;
    char err[256];
    struct lun_params p4k = {.block_size = 4096};
    CHECK_INT_EQ(lun_null_ops.open("null:8388608T", &p4k, &l2, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "too large") != NULL);
    CHECK(l2 == NULL);
    struct lun_params p = {.block_size = 2048};
    CHECK_INT_EQ(lun_null_ops.open("null", &p, &l2, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "block size 2048") != NULL);
}

TEST(emulation_says_null_disk_without_cache)
{
    struct lun *a = open_null("null:1G", 0, false), *b = open_null("null:2G", 0, false);
    REQUIRE(a && b);
    uint8_t buf[96];
    struct iovec iov = {buf, sizeof(buf)};
    struct lun_cmd cmd;

    const uint8_t inq[6] = {0x12, 0, 0, 0, 96, 0};
    fx_cmd(&cmd, inq, 6, VSCSI_DIR_FROM_DEVICE, &iov, 1);
    run(a, &cmd);
    CHECK_GOOD(&cmd, 96 - 74);
    CHECK_MEM_EQ(buf + 8, "PVSCSID NULL DISK       ", 24);

    const uint8_t caching[6] = {0x1a, 0x08, 0x08, 0, 96, 0};
    fx_cmd(&cmd, caching, 6, VSCSI_DIR_FROM_DEVICE, &iov, 1);
    run(a, &cmd);
    CHECK_GOOD(&cmd, 96 - 24);
    CHECK_INT_EQ(buf[4], 0x08);
    CHECK_INT_EQ(buf[6], 0x00);   /* no WCE */

    /* The identity is the p-dev string: different sizes, different disks. */
    uint8_t sa[20], sb[20];
    const uint8_t vpd80[6] = {0x12, 1, 0x80, 0, 20, 0};
    iov = (struct iovec){sa, sizeof(sa)};
    fx_cmd(&cmd, vpd80, 6, VSCSI_DIR_FROM_DEVICE, &iov, 1);
    run(a, &cmd);
    CHECK_GOOD(&cmd, 0);
    iov = (struct iovec){sb, sizeof(sb)};
    fx_cmd(&cmd, vpd80, 6, VSCSI_DIR_FROM_DEVICE, &iov, 1);
    run(b, &cmd);
    CHECK_GOOD(&cmd, 0);
    CHECK(memcmp(sa + 4, sb + 4, 16) != 0);

    const uint8_t unknown[10] = {0x41};   /* WRITE SAME(10) */
    fx_cmd(&cmd, unknown, 10, VSCSI_DIR_TO_DEVICE, &iov, 1);
    run(a, &cmd);
    CHECK_SENSE(&cmd, 0x05, 0x20, 0x00);
    lun_null_ops.close(a);
    lun_null_ops.close(b);
}

static long elapsed_ms(const struct timespec *a)
{
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

TEST(latency_option_delays_data_commands)
{
    struct lun *lun = open_null("null:1M,lat=30ms", 0, false);
    REQUIRE(lun);
    struct io_uring ring;
    REQUIRE(io_uring_queue_init(8, &ring, 0) == 0);
    static uint8_t buf[4096];
    memset(buf, FILL, sizeof(buf));
    struct iovec iov = {buf, sizeof(buf)};
    const uint8_t r10[10] = {0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0};
    struct lun_cmd cmd;
    fx_cmd(&cmd, r10, 10, VSCSI_DIR_FROM_DEVICE, &iov, 1);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    /* One timer CQE, then the result: zeros, GOOD. */
    CHECK_INT_EQ(fx_run(&lun_null_ops, lun, &cmd, &ring), 1);
    CHECK(elapsed_ms(&t0) >= 25);
    CHECK_GOOD(&cmd, 0);
    CHECK_INT_EQ(buf[4095], 0);
    /* Emulated commands are not delayed. */
    const uint8_t tur[6] = {0};
    fx_cmd(&cmd, tur, 6, VSCSI_DIR_NONE, NULL, 0);
    CHECK_INT_EQ(fx_run(&lun_null_ops, lun, &cmd, &ring), 0);
    CHECK_GOOD(&cmd, 0);
    io_uring_queue_exit(&ring);
    lun_null_ops.close(lun);

    static const char *bad[] = {"null:1M,lat=", "null:1M,lat=5", "null:1M,lat=5s",
                                "null:1M,latency=5ms", "null:1M,lat=10001ms", "null:,lat=1ms"};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct lun *l = NULL;
        char err[256] = "";
        struct lun_params p = {0};
        CHECK(lun_null_ops.open(bad[i], &p, &l, err, sizeof(err)) < 0);
        CHECK(l == NULL);
        CHECK(err[0] != '\0');
    }
}

TAP_MAIN(claims, reads_give_zeros, writes_succeed_and_are_checked, capacity_from_the_pdev_size,
         bad_sizes_refused, emulation_says_null_disk_without_cache,
         latency_option_delays_data_commands)
