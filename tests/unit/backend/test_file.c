/* The file handler (backend/handlers/file.c) on a temporary file. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <linux/loop.h>

#include "lun_fixture.h"

extern const struct lun_ops lun_file_ops;

#define FILE_BYTES (8u << 20)
#define FILL 0xee

struct tf {
    char path[64];
    char pdev[80];
    int fd;                  /* the test's own view of the file */
    struct io_uring ring;
    bool ring_ok;
    struct lun *lun;
    struct fx_manual *manual;   /* tf_manual's, freed by tf_close */
};

/* A temp file of `size` bytes (zeros) and a ring; the LUN is not opened. */
static bool tf_file(struct tf *t, uint64_t size)
{
    memset(t, 0, sizeof(*t));
    t->fd = -1;
    snprintf(t->path, sizeof(t->path), "/tmp/pvscsid-test-file-XXXXXX");
    t->fd = mkstemp(t->path);
    if (t->fd < 0 || ftruncate(t->fd, (off_t)size) < 0)
        return false;
    int n = snprintf(t->pdev, sizeof(t->pdev), "file:%s", t->path);
    if (n < 0 || (size_t)n >= sizeof(t->pdev))
        return false;
    t->ring_ok = io_uring_queue_init(64, &t->ring, 0) == 0;
    return t->ring_ok;
}

static bool tf_open(struct tf *t, uint64_t size, uint32_t bs, bool ro)
{
    char err[256] = "";
    if (!tf_file(t, size))
        return false;
    struct lun_params p = {.block_size = bs, .read_only = ro, .sysfs_root = "/sys"};
    int r = lun_file_ops.open(t->pdev, &p, &t->lun, err, sizeof(err));
    if (r != 0)
        TAP_DIAG("open %s: %d %s", t->pdev, r, err);
    return r == 0;
}

/* A zeroed log for fx_run_manual on t; NULL when out of memory. */
static struct fx_manual *tf_manual(struct tf *t)
{
    if (!t->manual)
        t->manual = calloc(1, sizeof(*t->manual));
    return t->manual;
}

static void tf_close(struct tf *t)
{
    free(t->manual);
    if (t->lun)
        lun_file_ops.close(t->lun);
    if (t->ring_ok)
        io_uring_queue_exit(&t->ring);
    if (t->fd >= 0) {
        CHECK_INT_EQ(close(t->fd), 0);
        CHECK_INT_EQ(unlink(t->path), 0);
    }
}

/* A READ/WRITE CDB of the given size (6, 10, 12 or 16 bytes). */
static unsigned rw_cdb(uint8_t *cdb, unsigned size, bool write, uint64_t lba, uint32_t n,
                       bool fua)
{
    memset(cdb, 0, 16);
    switch (size) {
    case 6:
        cdb[0] = write ? 0x0a : 0x08;
        cdb[1] = (uint8_t)(lba >> 16 & 0x1f);
        cdb[2] = (uint8_t)(lba >> 8);
        cdb[3] = (uint8_t)lba;
        cdb[4] = (uint8_t)n;   /* 256 -> 0 */
        return 6;
    case 10:
        cdb[0] = write ? 0x2a : 0x28;
        for (int i = 0; i < 4; i++)
            cdb[2 + i] = (uint8_t)(lba >> (24 - 8 * i));
        cdb[7] = (uint8_t)(n >> 8);
        cdb[8] = (uint8_t)n;
        break;
    case 12:
        cdb[0] = write ? 0xaa : 0xa8;
        for (int i = 0; i < 4; i++) {
            cdb[2 + i] = (uint8_t)(lba >> (24 - 8 * i));
            cdb[6 + i] = (uint8_t)(n >> (24 - 8 * i));
        }
        break;
    default:
        cdb[0] = write ? 0x8a : 0x88;
        for (int i = 0; i < 8; i++)
            cdb[2 + i] = (uint8_t)(lba >> (56 - 8 * i));
        for (int i = 0; i < 4; i++)
            cdb[10 + i] = (uint8_t)(n >> (24 - 8 * i));
        break;
    }
    if (fua)
        cdb[1] |= 0x08;
    return size;
}

static int tf_rw(struct tf *t, struct lun_cmd *cmd, unsigned cdb_size, bool write, uint64_t lba,
                 uint32_t n, const struct iovec *iov, unsigned cnt)
{
    uint8_t cdb[16];
    unsigned len = rw_cdb(cdb, cdb_size, write, lba, n, false);
    fx_cmd(cmd, cdb, len, write ? VSCSI_DIR_TO_DEVICE : VSCSI_DIR_FROM_DEVICE, iov, cnt);
    return fx_run(&lun_file_ops, t->lun, cmd, &t->ring);
}

/* The file's bytes [off, off + len) as the test sees them. */
static bool file_equals(const struct tf *t, uint64_t off, const uint8_t *want, size_t len)
{
    uint8_t *got = malloc(len);
    if (!got)
        return false;
    ssize_t r = pread(t->fd, got, len, (off_t)off);
    bool same = r == (ssize_t)len && memcmp(got, want, len) == 0;
    free(got);
    return same;
}

static bool file_is_zero(const struct tf *t, uint64_t off, size_t len)
{
    uint8_t *zero = calloc(1, len);
    bool same = zero && file_equals(t, off, zero, len);
    free(zero);
    return same;
}

TEST(claims_file_prefix)
{
    CHECK(lun_file_ops.claims("file:/tmp/x"));
    CHECK(lun_file_ops.claims("file:relative"));   /* claimed, then refused by open */
    CHECK(!lun_file_ops.claims("null"));
    CHECK(!lun_file_ops.claims("/dev/sg0"));
    CHECK(!lun_file_ops.claims("1:0:0:0"));
    CHECK(!lun_file_ops.claims("FILE:/x"));
    CHECK_STR_EQ(lun_file_ops.name, "file");
    CHECK(lun_ops_for_pdev("file:/tmp/x") == &lun_file_ops);
}

TEST(write_read_back_sizes_and_splits)
{
    struct tf t;
    REQUIRE(tf_open(&t, FILE_BYTES, 0, false));
    static const uint32_t blocks[] = {1, 3, 8, 17, 128, 255};
    static const size_t odd[] = {1, 511, 513, 7, 1000, 3};
    static const size_t tiny[] = {64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64};
    static const unsigned cdb_sizes[] = {6, 10, 12, 16};
    enum { CAP = 2048 };
    struct iovec *wiov = calloc(CAP, sizeof(*wiov)), *riov = calloc(CAP, sizeof(*riov));
    uint8_t *data = malloc(255 * 512), *back = malloc(255 * 512);
    REQUIRE(wiov && riov && data && back);

    uint64_t lba = 3;
    for (unsigned b = 0; b < sizeof(blocks) / sizeof(blocks[0]); b++) {
        for (unsigned split = 0; split < 3; split++) {
            size_t len = (size_t)blocks[b] * 512;
            struct lun_cmd cmd;
            fx_pattern(data, len, b * 10 + split);
            memset(back, FILL, len);

            /* Write with one split, read back with another. */
            const size_t *ws = split == 0 ? NULL : split == 1 ? odd : tiny;
            unsigned wn = fx_split(data, len, ws, split == 0 ? 0 : split == 1 ? 6 : 14, wiov, CAP);
            unsigned rn = fx_split(back, len, split == 1 ? tiny : odd, split == 1 ? 14 : 6,
                                   riov, CAP);
            unsigned wsz = cdb_sizes[(b + split) % 4], rsz = cdb_sizes[(b + split + 1) % 4];

            CHECK(tf_rw(&t, &cmd, wsz, true, lba, blocks[b], wiov, wn) >= 1);
            CHECK_GOOD(&cmd, 0);
            CHECK(file_equals(&t, lba * 512, data, len));
            CHECK(tf_rw(&t, &cmd, rsz, false, lba, blocks[b], riov, rn) >= 1);
            CHECK_GOOD(&cmd, 0);
            CHECK_MEM_EQ(back, data, len);
            lba += blocks[b] + 1;
        }
    }
    /* Nothing before the first write was touched. */
    CHECK(file_is_zero(&t, 0, 3 * 512));
    free(wiov);
    free(riov);
    free(data);
    free(back);
    tf_close(&t);
}

TEST(read6_length_zero_is_256_blocks)
{
    struct tf t;
    REQUIRE(tf_open(&t, FILE_BYTES, 0, false));
    size_t len = 256 * 512;
    uint8_t *data = malloc(len + 512), *back = malloc(len + 512);
    REQUIRE(data && back);
    fx_pattern(data, len, 6);
    REQUIRE(pwrite(t.fd, data, len, 7 * 512) == (ssize_t)len);

    struct lun_cmd cmd;
    memset(back, FILL, len + 512);
    struct iovec iov = {back, len + 512};
    const uint8_t r6[6] = {0x08, 0, 0, 7, 0, 0};
    fx_cmd(&cmd, r6, 6, VSCSI_DIR_FROM_DEVICE, &iov, 1);
    CHECK(fx_run(&lun_file_ops, t.lun, &cmd, &t.ring) >= 1);
    CHECK_GOOD(&cmd, 512);
    CHECK_MEM_EQ(back, data, len);
    CHECK_INT_EQ(back[len], FILL);

    /* WRITE(6) with length 0 also moves 256 blocks. */
    fx_pattern(data, len, 66);
    iov = (struct iovec){data, len};
    const uint8_t w6[6] = {0x0a, 0, 0x01, 0x00, 0, 0};
    fx_cmd(&cmd, w6, 6, VSCSI_DIR_TO_DEVICE, &iov, 1);
    CHECK(fx_run(&lun_file_ops, t.lun, &cmd, &t.ring) >= 1);
    CHECK_GOOD(&cmd, 0);
    CHECK(file_equals(&t, 256 * 512, data, len));
    free(data);
    free(back);
    tf_close(&t);
}

TEST(more_iovecs_than_iov_max)
{
    struct tf t;
    REQUIRE(tf_open(&t, FILE_BYTES, 0, false));
    enum { N = 2100 };   /* pairs of 100 + 924 bytes: 2100 iovecs, 1050 blocks */
    size_t len = N / 2 * 1024;
    uint8_t *data = malloc(len), *back = malloc(len);
    struct iovec *iov = calloc(N, sizeof(*iov));
    REQUIRE(data && back && iov);
    for (unsigned i = 0, off = 0; i < N; i++) {
        size_t l = i % 2 ? 924 : 100;
        iov[i] = (struct iovec){data + off, l};
        off += (unsigned)l;
    }
    fx_pattern(data, len, 2100);
    struct lun_cmd cmd;
    int cqes = tf_rw(&t, &cmd, 10, true, 100, (uint32_t)(len / 512), iov, N);
    CHECK(cqes >= 3);   /* at most IOV_MAX (1024) iovecs per submission */
    CHECK_GOOD(&cmd, 0);
    CHECK(file_equals(&t, 100 * 512, data, len));

    for (unsigned i = 0, off = 0; i < N; i++) {
        iov[i].iov_base = back + off;
        off += (unsigned)iov[i].iov_len;
    }
    memset(back, FILL, len);
    cqes = tf_rw(&t, &cmd, 16, false, 100, (uint32_t)(len / 512), iov, N);
    CHECK(cqes >= 3);
    CHECK_GOOD(&cmd, 0);
    CHECK_MEM_EQ(back, data, len);
    free(data);
    free(back);
    free(iov);
    tf_close(&t);
}

/* Offsets of consecutive SQEs advance by what the previous one moved. */
static void check_resubmissions(const struct fx_manual *m, uint64_t start, size_t max)
{
    uint64_t off = start;
    for (unsigned i = 0; i < m->n_log; i++) {
        CHECK_INT_EQ(m->log[i].off, off);
        CHECK(m->log[i].bytes > 0);
        off += m->log[i].bytes < max ? m->log[i].bytes : max;
    }
}

TEST(short_completions_resubmit_the_rest)
{
    struct tf t;
    REQUIRE(tf_open(&t, FILE_BYTES, 0, false));
    static const size_t odd[] = {1, 511, 513, 7, 1000, 3, 4000};
    size_t len = 17 * 512;
    uint8_t data[17 * 512], back[17 * 512];
    struct iovec iov[8];
    unsigned n = fx_split(data, len, odd, 7, iov, 8);
    fx_pattern(data, len, 17);

    struct fx_manual *m = tf_manual(&t);
    REQUIRE(m);
    m->max_bytes = 1000;
    struct lun_cmd cmd;
    uint8_t cdb[16];
    fx_cmd(&cmd, cdb, rw_cdb(cdb, 12, true, 40, 17, false), VSCSI_DIR_TO_DEVICE, iov, n);
    int cqes = fx_run_manual(&lun_file_ops, t.lun, &cmd, &t.ring, m);
    CHECK(cqes >= 9);   /* 8704 bytes, at most 1000 per completion */
    CHECK_INT_EQ(cqes, (int)m->n_log);
    CHECK_GOOD(&cmd, 0);
    CHECK(file_equals(&t, 40 * 512, data, len));
    check_resubmissions(m, 40 * 512, 1000);

    memset(back, FILL, len);
    n = fx_split(back, len, odd + 1, 6, iov, 8);
    memset(m, 0, sizeof(*m));
    m->max_bytes = 777;
    fx_cmd(&cmd, cdb, rw_cdb(cdb, 16, false, 40, 17, false), VSCSI_DIR_FROM_DEVICE, iov, n);
    cqes = fx_run_manual(&lun_file_ops, t.lun, &cmd, &t.ring, m);
    CHECK(cqes >= 12);
    CHECK_GOOD(&cmd, 0);
    CHECK_MEM_EQ(back, data, len);
    check_resubmissions(m, 40 * 512, 777);
    tf_close(&t);
}

TEST(transfer_ends_inside_an_iovec)
{
    struct tf t;
    REQUIRE(tf_open(&t, FILE_BYTES, 0, false));
    struct fx_manual *m = tf_manual(&t);
    REQUIRE(m);
    uint8_t data[1500];
    fx_pattern(data, sizeof(data), 1500);
    struct iovec iov = {data, sizeof(data)};
    struct lun_cmd cmd;
    uint8_t cdb[16];
    /* 2 blocks from a 1500-byte buffer: 1024 bytes go, 476 are residual. */
    fx_cmd(&cmd, cdb, rw_cdb(cdb, 10, true, 9, 2, false), VSCSI_DIR_TO_DEVICE, &iov, 1);
    CHECK_INT_EQ(fx_run_manual(&lun_file_ops, t.lun, &cmd, &t.ring, m), 1);
    CHECK_GOOD(&cmd, 476);
    CHECK_INT_EQ(m->log[0].opcode, IORING_OP_WRITEV);
    CHECK_INT_EQ(m->log[0].nr_iov, 1);
    CHECK_INT_EQ(m->log[0].bytes, 1024);
    CHECK(file_equals(&t, 9 * 512, data, 1024));
    CHECK(file_is_zero(&t, 11 * 512, 512));
    tf_close(&t);
}

TEST(end_of_file_midway_is_a_medium_error)
{
    struct tf t;
    REQUIRE(tf_open(&t, FILE_BYTES, 0, false));
    /* The file shrinks under the LUN: the first read is short, the
     * resubmission gets 0 bytes, which must end the command. */
    REQUIRE(ftruncate(t.fd, 4096 + 100) == 0);
    uint8_t back[16 * 512];
    struct iovec iov = {back, sizeof(back)};
    struct lun_cmd cmd;
    CHECK_INT_EQ(tf_rw(&t, &cmd, 10, false, 0, 16, &iov, 1), 2);
    CHECK_SENSE(&cmd, 0x03, 0x11, 0x00);
    tf_close(&t);
}

TEST(io_errors_give_medium_error_sense)
{
    struct tf t;
    REQUIRE(tf_open(&t, FILE_BYTES, 0, false));
    struct fx_manual *m = tf_manual(&t);
    REQUIRE(m);
    uint8_t data[4096];
    struct iovec iov = {data, sizeof(data)};
    struct lun_cmd cmd;
    uint8_t cdb[16];

    m->fail = true;
    m->fail_res = -EIO;
    fx_cmd(&cmd, cdb, rw_cdb(cdb, 10, true, 0, 8, false), VSCSI_DIR_TO_DEVICE, &iov, 1);
    CHECK_INT_EQ(fx_run_manual(&lun_file_ops, t.lun, &cmd, &t.ring, m), 1);
    CHECK_SENSE(&cmd, 0x03, 0x0c, 0x00);

    fx_cmd(&cmd, cdb, rw_cdb(cdb, 16, false, 0, 8, false), VSCSI_DIR_FROM_DEVICE, &iov, 1);
    CHECK_INT_EQ(fx_run_manual(&lun_file_ops, t.lun, &cmd, &t.ring, m), 1);
    CHECK_SENSE(&cmd, 0x03, 0x11, 0x00);

    const uint8_t sync[10] = {0x35};
    fx_cmd(&cmd, sync, 10, VSCSI_DIR_NONE, NULL, 0);
    CHECK_INT_EQ(fx_run_manual(&lun_file_ops, t.lun, &cmd, &t.ring, m), 1);
    CHECK_SENSE(&cmd, 0x03, 0x0c, 0x00);

    /* A transfer that makes no progress is an error, not an endless loop. */
    m->fail_res = 0;
    fx_cmd(&cmd, cdb, rw_cdb(cdb, 10, true, 0, 8, false), VSCSI_DIR_TO_DEVICE, &iov, 1);
    CHECK_INT_EQ(fx_run_manual(&lun_file_ops, t.lun, &cmd, &t.ring, m), 1);
    CHECK_SENSE(&cmd, 0x03, 0x0c, 0x00);
    /* A result larger than what was asked is not believed. */
    m->fail_res = 8192;
    fx_cmd(&cmd, cdb, rw_cdb(cdb, 10, false, 0, 8, false), VSCSI_DIR_FROM_DEVICE, &iov, 1);
    CHECK_INT_EQ(fx_run_manual(&lun_file_ops, t.lun, &cmd, &t.ring, m), 1);
    CHECK_SENSE(&cmd, 0x03, 0x11, 0x00);
    tf_close(&t);
}

TEST(out_of_range_lba)
{
    struct tf t;
    REQUIRE(tf_open(&t, FILE_BYTES, 0, false));
    uint64_t nr = FILE_BYTES / 512;
    uint8_t data[1024] = {0};
    struct iovec iov = {data, sizeof(data)};
    struct lun_cmd cmd;

    CHECK_INT_EQ(tf_rw(&t, &cmd, 10, false, nr - 1, 2, &iov, 1), 0);
    CHECK_SENSE(&cmd, 0x05, 0x21, 0x00);
    CHECK_INT_EQ(tf_rw(&t, &cmd, 16, true, nr - 1, 2, &iov, 1), 0);
    CHECK_SENSE(&cmd, 0x05, 0x21, 0x00);
    /* lba + blocks wraps in 64 bits. */
    CHECK_INT_EQ(tf_rw(&t, &cmd, 16, false, UINT64_MAX, 2, &iov, 1), 0);
    CHECK_SENSE(&cmd, 0x05, 0x21, 0x00);
    CHECK_INT_EQ(tf_rw(&t, &cmd, 12, false, nr, 1, &iov, 1), 0);
    CHECK_SENSE(&cmd, 0x05, 0x21, 0x00);
    /* The last block itself is fine. */
    CHECK_INT_EQ(tf_rw(&t, &cmd, 10, true, nr - 2, 2, &iov, 1), 1);
    CHECK_GOOD(&cmd, 0);
    /* 0 blocks: no data, GOOD, even at the end. */
    CHECK_INT_EQ(tf_rw(&t, &cmd, 10, false, nr, 0, &iov, 1), 0);
    CHECK_GOOD(&cmd, sizeof(data));
    tf_close(&t);
}

TEST(data_length_against_the_cdb)
{
    struct tf t;
    REQUIRE(tf_open(&t, FILE_BYTES, 0, false));
    uint8_t data[4096];
    struct lun_cmd cmd;

    /* Underflowing write: refused, nothing written. */
    fx_pattern(data, sizeof(data), 1);
    struct iovec iov = {data, 4095};
    CHECK_INT_EQ(tf_rw(&t, &cmd, 10, true, 20, 8, &iov, 1), 0);
    CHECK_SENSE(&cmd, 0x05, 0x24, 0x00);
    CHECK(file_is_zero(&t, 20 * 512, 4096));

    /* Overflowing write: the blocks asked for, the rest residual. */
    iov = (struct iovec){data, 1024};
    CHECK_INT_EQ(tf_rw(&t, &cmd, 10, true, 20, 1, &iov, 1), 1);
    CHECK_GOOD(&cmd, 512);
    CHECK(file_equals(&t, 20 * 512, data, 512));
    CHECK(file_is_zero(&t, 21 * 512, 512));

    /* Big read buffer: residual, the rest of the buffer untouched. */
    REQUIRE(pwrite(t.fd, data, 4096, 30 * 512) == 4096);
    uint8_t back[4096];
    memset(back, FILL, sizeof(back));
    iov = (struct iovec){back, 4096};
    CHECK_INT_EQ(tf_rw(&t, &cmd, 10, false, 30, 2, &iov, 1), 1);
    CHECK_GOOD(&cmd, 3072);
    CHECK_MEM_EQ(back, data, 1024);
    CHECK_INT_EQ(back[1024], FILL);
    CHECK_INT_EQ(back[4095], FILL);

    /* Small read buffer: what fits. */
    memset(back, FILL, sizeof(back));
    iov = (struct iovec){back, 1000};
    CHECK_INT_EQ(tf_rw(&t, &cmd, 10, false, 30, 4, &iov, 1), 1);
    CHECK_GOOD(&cmd, 0);
    CHECK_MEM_EQ(back, data, 1000);
    CHECK_INT_EQ(back[1000], FILL);

    /* Direction must match; bidirectional is accepted both ways. */
    uint8_t cdb[16];
    iov = (struct iovec){back, 512};
    fx_cmd(&cmd, cdb, rw_cdb(cdb, 10, false, 30, 1, false), VSCSI_DIR_TO_DEVICE, &iov, 1);
    CHECK_INT_EQ(fx_run(&lun_file_ops, t.lun, &cmd, &t.ring), 0);
    CHECK_SENSE(&cmd, 0x05, 0x24, 0x00);
    fx_cmd(&cmd, cdb, rw_cdb(cdb, 10, true, 30, 1, false), VSCSI_DIR_FROM_DEVICE, &iov, 1);
    CHECK_INT_EQ(fx_run(&lun_file_ops, t.lun, &cmd, &t.ring), 0);
    CHECK_SENSE(&cmd, 0x05, 0x24, 0x00);
    fx_cmd(&cmd, cdb, rw_cdb(cdb, 10, false, 30, 1, false), VSCSI_DIR_BIDIRECTIONAL, &iov, 1);
    CHECK_INT_EQ(fx_run(&lun_file_ops, t.lun, &cmd, &t.ring), 1);
    CHECK_GOOD(&cmd, 0);
    fx_cmd(&cmd, cdb, rw_cdb(cdb, 10, true, 31, 1, false), VSCSI_DIR_BIDIRECTIONAL, &iov, 1);
    CHECK_INT_EQ(fx_run(&lun_file_ops, t.lun, &cmd, &t.ring), 1);
    CHECK_GOOD(&cmd, 0);
    CHECK(file_equals(&t, 31 * 512, data, 512));
    tf_close(&t);
}

/* The handler's own descriptor of path (not the test's `not_fd`). */
static int lun_fd_of(const char *path, int not_fd)
{
    DIR *dir = opendir("/proc/self/fd");
    int found = -1;
    struct dirent *de;
    if (!dir)
        return -1;
    while ((de = readdir(dir)) != NULL) {
        char link[PATH_MAX], name[64];
        int fd = atoi(de->d_name);
        if (de->d_name[0] == '.' || fd == not_fd || fd == dirfd(dir))
            continue;
        int n = snprintf(name, sizeof(name), "/proc/self/fd/%s", de->d_name);
        if (n < 0 || (size_t)n >= sizeof(name))
            continue;
        ssize_t l = readlink(name, link, sizeof(link) - 1);
        if (l < 0)
            continue;
        link[l] = '\0';
        if (strcmp(link, path) == 0)
            found = fd;
    }
    if (closedir(dir) != 0)
        return -1;
    return found;
}

TEST(open_flags)
{
    struct tf t;
    REQUIRE(tf_open(&t, FILE_BYTES, 0, false));
    int fd = lun_fd_of(t.path, t.fd);
    REQUIRE(fd >= 0);
    CHECK_INT_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
    CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    tf_close(&t);

    REQUIRE(tf_open(&t, FILE_BYTES, 0, true));
    fd = lun_fd_of(t.path, t.fd);
    REQUIRE(fd >= 0);
    CHECK_INT_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
    CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    tf_close(&t);
}

TEST(read_only_lun)
{
    struct tf t;
    REQUIRE(tf_open(&t, FILE_BYTES, 0, true));
    uint8_t data[1024];
    fx_pattern(data, sizeof(data), 99);
    REQUIRE(pwrite(t.fd, data, sizeof(data), 0) == (ssize_t)sizeof(data));
    struct iovec iov = {data, sizeof(data)};
    struct lun_cmd cmd;

    static const unsigned sizes[] = {6, 10, 12, 16};
    for (unsigned i = 0; i < 4; i++) {
        CHECK_INT_EQ(tf_rw(&t, &cmd, sizes[i], true, 4, 2, &iov, 1), 0);
        CHECK_SENSE(&cmd, 0x07, 0x27, 0x00);
    }
    CHECK(file_is_zero(&t, 4 * 512, 1024));

    uint8_t back[1024];
    iov = (struct iovec){back, sizeof(back)};
    CHECK_INT_EQ(tf_rw(&t, &cmd, 10, false, 0, 2, &iov, 1), 1);
    CHECK_GOOD(&cmd, 0);
    CHECK_MEM_EQ(back, data, sizeof(data));

    const uint8_t ms[6] = {0x1a, 0, 0x3f, 0, 255, 0};
    uint8_t page[255];
    iov = (struct iovec){page, sizeof(page)};
    fx_cmd(&cmd, ms, 6, VSCSI_DIR_FROM_DEVICE, &iov, 1);
    CHECK_INT_EQ(fx_run(&lun_file_ops, t.lun, &cmd, &t.ring), 0);
    CHECK_GOOD(&cmd, 255 - 44);
    CHECK_INT_EQ(page[2] & 0x80, 0x80);   /* WP */

    /* SYNCHRONIZE CACHE on a read-only LUN is harmless. */
    const uint8_t sync[10] = {0x35};
    fx_cmd(&cmd, sync, 10, VSCSI_DIR_NONE, NULL, 0);
    CHECK_INT_EQ(fx_run(&lun_file_ops, t.lun, &cmd, &t.ring), 1);
    CHECK_GOOD(&cmd, 0);
    tf_close(&t);
}

TEST(fua_write_is_dsync)
{
    struct tf t;
    REQUIRE(tf_open(&t, FILE_BYTES, 0, false));
    struct fx_manual *m = tf_manual(&t);
    REQUIRE(m);
    uint8_t data[4096];
    fx_pattern(data, sizeof(data), 4);
    struct iovec iov = {data, sizeof(data)};
    struct lun_cmd cmd;
    uint8_t cdb[16];

    fx_cmd(&cmd, cdb, rw_cdb(cdb, 10, true, 64, 8, true), VSCSI_DIR_TO_DEVICE, &iov, 1);
    CHECK_INT_EQ(fx_run_manual(&lun_file_ops, t.lun, &cmd, &t.ring, m), 1);
    CHECK_GOOD(&cmd, 0);
    CHECK_INT_EQ(m->log[0].opcode, IORING_OP_WRITEV);
    CHECK_INT_EQ(m->log[0].rw_flags, RWF_DSYNC);
    CHECK_INT_EQ(m->log[0].off, 64 * 512);
    CHECK(file_equals(&t, 64 * 512, data, sizeof(data)));

    /* Every resubmission of a FUA write keeps RWF_DSYNC. */
    memset(m, 0, sizeof(*m));
    m->max_bytes = 1500;
    fx_cmd(&cmd, cdb, rw_cdb(cdb, 16, true, 80, 8, true), VSCSI_DIR_TO_DEVICE, &iov, 1);
    CHECK_INT_EQ(fx_run_manual(&lun_file_ops, t.lun, &cmd, &t.ring, m), 3);
    CHECK_GOOD(&cmd, 0);
    for (unsigned i = 0; i < m->n_log; i++)
        CHECK_INT_EQ(m->log[i].rw_flags, RWF_DSYNC);
    CHECK(file_equals(&t, 80 * 512, data, sizeof(data)));

    /* Without FUA, no flag; a read never has one. */
    memset(m, 0, sizeof(*m));
    fx_cmd(&cmd, cdb, rw_cdb(cdb, 12, true, 96, 8, false), VSCSI_DIR_TO_DEVICE, &iov, 1);
    CHECK_INT_EQ(fx_run_manual(&lun_file_ops, t.lun, &cmd, &t.ring, m), 1);
    CHECK_INT_EQ(m->log[0].rw_flags, 0);
    memset(m, 0, sizeof(*m));
    fx_cmd(&cmd, cdb, rw_cdb(cdb, 12, false, 96, 8, true), VSCSI_DIR_FROM_DEVICE, &iov, 1);
    CHECK_INT_EQ(fx_run_manual(&lun_file_ops, t.lun, &cmd, &t.ring, m), 1);
    CHECK_INT_EQ(m->log[0].opcode, IORING_OP_READV);
    CHECK_INT_EQ(m->log[0].rw_flags, 0);
    CHECK_GOOD(&cmd, 0);

    /* And on the real ring, a FUA write lands. */
    fx_pattern(data, sizeof(data), 44);
    fx_cmd(&cmd, cdb, rw_cdb(cdb, 10, true, 200, 8, true), VSCSI_DIR_TO_DEVICE, &iov, 1);
    CHECK_INT_EQ(fx_run(&lun_file_ops, t.lun, &cmd, &t.ring), 1);
    CHECK_GOOD(&cmd, 0);
    CHECK(file_equals(&t, 200 * 512, data, sizeof(data)));
    tf_close(&t);
}

TEST(synchronize_cache)
{
    struct tf t;
    REQUIRE(tf_open(&t, FILE_BYTES, 0, false));
    struct lun_cmd cmd;
    const uint8_t s10[10] = {0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    fx_cmd(&cmd, s10, 10, VSCSI_DIR_NONE, NULL, 0);
    CHECK_INT_EQ(fx_run(&lun_file_ops, t.lun, &cmd, &t.ring), 1);
    CHECK_GOOD(&cmd, 0);

    struct fx_manual *m = tf_manual(&t);
    REQUIRE(m);
    const uint8_t s16[16] = {0x91, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 8, 0, 0};
    fx_cmd(&cmd, s16, 16, VSCSI_DIR_NONE, NULL, 0);
    CHECK_INT_EQ(fx_run_manual(&lun_file_ops, t.lun, &cmd, &t.ring, m), 1);
    CHECK_GOOD(&cmd, 0);
    CHECK_INT_EQ(m->log[0].opcode, IORING_OP_FSYNC);
    CHECK_INT_EQ(m->log[0].rw_flags, IORING_FSYNC_DATASYNC);   /* fsync_flags */

    /* Out of range: refused before any I/O. */
    const uint8_t oob[16] = {0x91, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 1, 0, 0};
    fx_cmd(&cmd, oob, 16, VSCSI_DIR_NONE, NULL, 0);
    CHECK_INT_EQ(fx_run(&lun_file_ops, t.lun, &cmd, &t.ring), 0);
    CHECK_SENSE(&cmd, 0x05, 0x21, 0x00);
    tf_close(&t);
}

TEST(block_size_4096)
{
    struct tf t;
    REQUIRE(tf_open(&t, FILE_BYTES + 4000, 4096, false));   /* partial block dropped */
    struct lun_cmd cmd;
    uint8_t cap[32];
    struct iovec iov = {cap, sizeof(cap)};
    const uint8_t rc16[16] = {0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0};
    fx_cmd(&cmd, rc16, 16, VSCSI_DIR_FROM_DEVICE, &iov, 1);
    CHECK_INT_EQ(fx_run(&lun_file_ops, t.lun, &cmd, &t.ring), 0);
    CHECK_GOOD(&cmd, 0);
    static const uint8_t want[12] = {0, 0, 0, 0, 0, 0, 0x07, 0xff, 0, 0, 0x10, 0};
    CHECK_MEM_EQ(cap, want, sizeof(want));

    uint8_t data[3 * 4096], back[3 * 4096];
    fx_pattern(data, sizeof(data), 4096);
    static const size_t odd[] = {4095, 2, 8191};
    struct iovec wiov[3], riov[3];
    unsigned wn = fx_split(data, sizeof(data), odd, 3, wiov, 3);
    unsigned rn = fx_split(back, sizeof(back), NULL, 0, riov, 3);
    CHECK_INT_EQ(tf_rw(&t, &cmd, 10, true, 5, 3, wiov, wn), 1);
    CHECK_GOOD(&cmd, 0);
    CHECK(file_equals(&t, 5 * 4096, data, sizeof(data)));
    CHECK(file_is_zero(&t, 8 * 4096, 4096));
    CHECK_INT_EQ(tf_rw(&t, &cmd, 6, false, 5, 3, riov, rn), 1);
    CHECK_GOOD(&cmd, 0);
    CHECK_MEM_EQ(back, data, sizeof(data));

    CHECK_INT_EQ(tf_rw(&t, &cmd, 10, false, 2047, 2, riov, rn), 0);
    CHECK_SENSE(&cmd, 0x05, 0x21, 0x00);
    /* A write of one 4096-byte block with only 512 bytes is an underflow. */
    iov = (struct iovec){data, 512};
    CHECK_INT_EQ(tf_rw(&t, &cmd, 10, true, 0, 1, &iov, 1), 0);
    CHECK_SENSE(&cmd, 0x05, 0x24, 0x00);
    tf_close(&t);
}

static int try_open(const char *pdev, uint32_t bs, char *err, size_t err_len)
{
    struct lun *lun = NULL;
    struct lun_params p = {.block_size = bs};
    err[0] = '\0';
    int r = lun_file_ops.open(pdev, &p, &lun, err, err_len);
    if (r == 0)
        lun_file_ops.close(lun);
    return r;
}

TEST(open_errors)
{
    char err[256], pdev[128];
    CHECK_INT_EQ(try_open("file:/nonexistent/pvscsid-test", 0, err, sizeof(err)), -ENOENT);
    CHECK(strstr(err, "/nonexistent/pvscsid-test") != NULL);
    CHECK_INT_EQ(try_open("file:relative/path", 0, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "absolute") != NULL);
    CHECK_INT_EQ(try_open("file:", 0, err, sizeof(err)), -EINVAL);
    CHECK(try_open("file:/tmp", 0, err, sizeof(err)) < 0);   /* a directory */
    CHECK(err[0] != '\0');

    struct tf t;
    REQUIRE(tf_file(&t, 0));
    CHECK_INT_EQ(try_open(t.pdev, 0, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "less than one") != NULL);
    REQUIRE(ftruncate(t.fd, 511) == 0);
    CHECK_INT_EQ(try_open(t.pdev, 0, err, sizeof(err)), -EINVAL);
    REQUIRE(ftruncate(t.fd, 4095) == 0);
    CHECK_INT_EQ(try_open(t.pdev, 4096, err, sizeof(err)), -EINVAL);
    CHECK_INT_EQ(try_open(t.pdev, 512, err, sizeof(err)), 0);
    REQUIRE(ftruncate(t.fd, 8192) == 0);
    CHECK_INT_EQ(try_open(t.pdev, 1024, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "block size 1024") != NULL);
    CHECK_INT_EQ(try_open(t.pdev, 520, err, sizeof(err)), -EINVAL);
    CHECK_INT_EQ(try_open(t.pdev, 4096, err, sizeof(err)), 0);

    /* A tiny err buffer: the reason is cut visibly, never overrun. */
    char small[12];
    memset(small, 'x', sizeof(small));
    CHECK_INT_EQ(try_open("file:/nonexistent/pvscsid-test", 0, small, sizeof(small)), -ENOENT);
    CHECK_STR_EQ(small, "file: ca...");
    int n = snprintf(pdev, sizeof(pdev), "file:%s", t.path);
    CHECK(n > 0 && (size_t)n < sizeof(pdev));
    tf_close(&t);
}

/* INQUIRY VPD page `page` of lun into out[0..len). */
static void vpd(struct tf *t, struct lun *lun, uint8_t page, uint8_t *out, size_t len)
{
    struct lun_cmd cmd;
    struct iovec iov = {out, len};
    const uint8_t inq[6] = {0x12, 1, page, 0, (uint8_t)len, 0};
    memset(out, 0, len);
    fx_cmd(&cmd, inq, 6, VSCSI_DIR_FROM_DEVICE, &iov, 1);
    CHECK_INT_EQ(fx_run(&lun_file_ops, lun, &cmd, &t->ring), 0);
    CHECK_INT_EQ(cmd.status, VSCSI_STATUS_GOOD);
}

TEST(identity_follows_the_canonical_path)
{
    struct tf a, b;
    REQUIRE(tf_open(&a, FILE_BYTES, 0, false));
    REQUIRE(tf_open(&b, FILE_BYTES, 0, false));
    /* Another spelling of a's path names the same disk. */
    char other[128], err[256];
    int n = snprintf(other, sizeof(other), "file:/tmp/../tmp/./%s", a.path + 5);
    REQUIRE(n > 0 && (size_t)n < sizeof(other));
    struct lun_params p = {0};
    struct lun *again = NULL;
    /* While a's LUN holds it, no second owner, whatever the spelling. */
    CHECK_INT_EQ(lun_file_ops.open(other, &p, &again, err, sizeof(err)), -EBUSY);
    CHECK(strstr(err, "in use") != NULL);
    CHECK(again == NULL);

    uint8_t sa[64], sb[64], sagain[64], sa83[64], sb83[64];
    vpd(&a, a.lun, 0x80, sa, sizeof(sa));
    vpd(&b, b.lun, 0x80, sb, sizeof(sb));
    vpd(&a, a.lun, 0x83, sa83, sizeof(sa83));
    vpd(&b, b.lun, 0x83, sb83, sizeof(sb83));
    /* Once it is let go, the other spelling opens the same disk. */
    lun_file_ops.close(a.lun);
    a.lun = NULL;
    REQUIRE(lun_file_ops.open(other, &p, &again, err, sizeof(err)) == 0);
    vpd(&a, again, 0x80, sagain, sizeof(sagain));
    CHECK_MEM_EQ(sa, sagain, sizeof(sa));
    CHECK(memcmp(sa + 4, sb + 4, 16) != 0);
    vpd(&a, again, 0x83, sagain, sizeof(sagain));
    CHECK_MEM_EQ(sa83, sagain, sizeof(sa83));
    CHECK(memcmp(sa83 + 8, sb83 + 8, 8) != 0);   /* NAA differs */
    CHECK_INT_EQ(sa83[8] >> 4, 3);
    lun_file_ops.close(again);
    tf_close(&a);
    tf_close(&b);
}

TEST(shared_option_lets_several_luns_hold_one_file)
{
    struct tf a;
    REQUIRE(tf_open(&a, FILE_BYTES, 0, false));
    lun_file_ops.close(a.lun);   /* a's exclusive hold would refuse sharing */
    a.lun = NULL;
    char shared[160], plain[160], err[256];
    snprintf(shared, sizeof(shared), "file:%s,shared", a.path);
    snprintf(plain, sizeof(plain), "file:%s", a.path);
    struct lun_params p = {0};
    struct lun *one = NULL, *two = NULL, *excl = NULL;
    CHECK_INT_EQ(lun_file_ops.open(shared, &p, &one, err, sizeof(err)), 0);
    CHECK_INT_EQ(lun_file_ops.open(shared, &p, &two, err, sizeof(err)), 0);
    /* An exclusive owner is refused while sharers hold it. */
    CHECK_INT_EQ(lun_file_ops.open(plain, &p, &excl, err, sizeof(err)), -EBUSY);
    CHECK(excl == NULL);
    if (one)
        lun_file_ops.close(one);
    if (two)
        lun_file_ops.close(two);
    CHECK_INT_EQ(lun_file_ops.open(plain, &p, &excl, err, sizeof(err)), 0);
    if (excl)
        lun_file_ops.close(excl);
    tf_close(&a);
}

TEST(emulated_commands)
{
    struct tf t;
    REQUIRE(tf_open(&t, FILE_BYTES + 300, 0, false));   /* 300 bytes dropped */
    struct lun_cmd cmd;
    uint8_t b[96];
    struct iovec iov = {b, sizeof(b)};

    const uint8_t inq[6] = {0x12, 0, 0, 0, 96, 0};
    fx_cmd(&cmd, inq, 6, VSCSI_DIR_FROM_DEVICE, &iov, 1);
    CHECK_INT_EQ(fx_run(&lun_file_ops, t.lun, &cmd, &t.ring), 0);
    CHECK_GOOD(&cmd, 96 - 74);
    CHECK_MEM_EQ(b + 8, "PVSCSID FILE DISK       ", 24);

    const uint8_t rc10[10] = {0x25};
    fx_cmd(&cmd, rc10, 10, VSCSI_DIR_FROM_DEVICE, &iov, 1);
    CHECK_INT_EQ(fx_run(&lun_file_ops, t.lun, &cmd, &t.ring), 0);
    CHECK_GOOD(&cmd, 96 - 8);
    static const uint8_t cap[8] = {0, 0, 0x3f, 0xff, 0, 0, 0x02, 0};
    CHECK_MEM_EQ(b, cap, 8);

    const uint8_t caching[6] = {0x1a, 0x08, 0x08, 0, 96, 0};
    fx_cmd(&cmd, caching, 6, VSCSI_DIR_FROM_DEVICE, &iov, 1);
    CHECK_INT_EQ(fx_run(&lun_file_ops, t.lun, &cmd, &t.ring), 0);
    CHECK_GOOD(&cmd, 96 - 24);
    CHECK_INT_EQ(b[2], 0x10);   /* writable, DPOFUA */
    CHECK_INT_EQ(b[6], 0x04);   /* WCE: the page cache */

    const uint8_t tur[6] = {0};
    fx_cmd(&cmd, tur, 6, VSCSI_DIR_NONE, NULL, 0);
    CHECK_INT_EQ(fx_run(&lun_file_ops, t.lun, &cmd, &t.ring), 0);
    CHECK_GOOD(&cmd, 0);

    const uint8_t unmap[10] = {0x42};
    fx_cmd(&cmd, unmap, 10, VSCSI_DIR_TO_DEVICE, &iov, 1);
    CHECK_INT_EQ(fx_run(&lun_file_ops, t.lun, &cmd, &t.ring), 0);
    CHECK_SENSE(&cmd, 0x05, 0x20, 0x00);
    tf_close(&t);
}

TEST(concurrent_commands)
{
    struct tf t;
    REQUIRE(tf_open(&t, FILE_BYTES, 0, false));
    enum { N = 8, BLOCKS = 16 };
    static uint8_t data[N][BLOCKS * 512];
    static struct lun_cmd cmds[N];
    struct iovec iov[N][3];
    static const size_t split[] = {700, 3000};
    int pending = 0;

    for (unsigned i = 0; i < N; i++) {
        uint8_t cdb[16];
        fx_pattern(data[i], sizeof(data[i]), 1000 + i);
        unsigned n = fx_split(data[i], sizeof(data[i]), split, 2, iov[i], 3);
        fx_cmd(&cmds[i], cdb, rw_cdb(cdb, 10, true, 1000 + i * BLOCKS, BLOCKS, i % 2),
               VSCSI_DIR_TO_DEVICE, iov[i], n);
        if (lun_file_ops.start(t.lun, &cmds[i], &t.ring) == LUN_PENDING)
            pending++;
    }
    CHECK_INT_EQ(pending, N);
    /* Route each CQE to its command by user_data, in whatever order. */
    while (pending > 0) {
        struct io_uring_cqe *cqe;
        REQUIRE(io_uring_submit_and_wait(&t.ring, 1) >= 0);
        REQUIRE(io_uring_wait_cqe(&t.ring, &cqe) == 0);
        struct lun_cmd *owner = NULL;
        for (unsigned i = 0; i < N; i++)
            if (cqe->user_data == (uint64_t)(uintptr_t)&cmds[i].tag)
                owner = &cmds[i];
        REQUIRE(owner != NULL);
        struct io_uring_cqe copy = *cqe;
        io_uring_cqe_seen(&t.ring, cqe);
        if (lun_file_ops.complete(t.lun, owner, &copy, &t.ring) == LUN_DONE)
            pending--;
    }
    for (unsigned i = 0; i < N; i++) {
        CHECK_GOOD(&cmds[i], 0);
        CHECK(file_equals(&t, (1000 + i * BLOCKS) * 512, data[i], sizeof(data[i])));
    }
    tf_close(&t);
}

/* Attaches fd to a free loop device; returns its fd and name, or -1. */
static int loop_attach(int fd, char *name, size_t name_len)
{
    int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
    if (ctl < 0)
        return -1;
    int dev = -1;
    for (int tries = 0; tries < 8 && dev < 0; tries++) {
        int nr = ioctl(ctl, LOOP_CTL_GET_FREE);
        if (nr < 0)
            break;
        int n = snprintf(name, name_len, "/dev/loop%d", nr);
        if (n < 0 || (size_t)n >= name_len)
            break;
        dev = open(name, O_RDWR | O_CLOEXEC);
        if (dev >= 0 && ioctl(dev, LOOP_SET_FD, fd) < 0) {
            CHECK_INT_EQ(close(dev), 0);
            dev = -1;   /* taken meanwhile by someone else: try another */
        }
    }
    CHECK_INT_EQ(close(ctl), 0);
    return dev;
}

TEST(block_device)
{
    struct tf t;
    REQUIRE(tf_file(&t, (1u << 20) + 512));
    char dev_name[32], pdev[48], err[256];
    int dev = loop_attach(t.fd, dev_name, sizeof(dev_name));
    if (dev < 0) {
        tf_close(&t);
        TAP_SKIP("no loop device (needs root and /dev/loop-control)");
    }
    int n = snprintf(pdev, sizeof(pdev), "file:%s", dev_name);
    REQUIRE(n > 0 && (size_t)n < sizeof(pdev));
    struct lun_params p = {0};
    struct lun *lun = NULL;
    int r = lun_file_ops.open(pdev, &p, &lun, err, sizeof(err));
    CHECK_INT_EQ(r, 0);
    if (r == 0) {
        /* The size comes from BLKGETSIZE64, not st_size (0 for devices). */
        uint8_t cap[8];
        struct iovec iov = {cap, sizeof(cap)};
        struct lun_cmd cmd;
        const uint8_t rc10[10] = {0x25};
        fx_cmd(&cmd, rc10, 10, VSCSI_DIR_FROM_DEVICE, &iov, 1);
        CHECK_INT_EQ(fx_run(&lun_file_ops, lun, &cmd, &t.ring), 0);
        CHECK_GOOD(&cmd, 0);
        static const uint8_t want[8] = {0, 0, 0x08, 0x00, 0, 0, 0x02, 0};   /* 2049 blocks */
        CHECK_MEM_EQ(cap, want, 8);

        uint8_t data[2048], back[2048];
        fx_pattern(data, sizeof(data), 7);
        uint8_t cdb[16];
        iov = (struct iovec){data, sizeof(data)};
        fx_cmd(&cmd, cdb, rw_cdb(cdb, 10, true, 2045, 4, false), VSCSI_DIR_TO_DEVICE, &iov, 1);
        CHECK_INT_EQ(fx_run(&lun_file_ops, lun, &cmd, &t.ring), 1);
        CHECK_GOOD(&cmd, 0);
        const uint8_t sync[10] = {0x35};
        fx_cmd(&cmd, sync, 10, VSCSI_DIR_NONE, NULL, 0);
        CHECK_INT_EQ(fx_run(&lun_file_ops, lun, &cmd, &t.ring), 1);
        CHECK_GOOD(&cmd, 0);
        CHECK(file_equals(&t, 2045 * 512, data, sizeof(data)));
        iov = (struct iovec){back, sizeof(back)};
        fx_cmd(&cmd, cdb, rw_cdb(cdb, 16, false, 2045, 4, false), VSCSI_DIR_FROM_DEVICE, &iov, 1);
        CHECK_INT_EQ(fx_run(&lun_file_ops, lun, &cmd, &t.ring), 1);
        CHECK_GOOD(&cmd, 0);
        CHECK_MEM_EQ(back, data, sizeof(data));
        lun_file_ops.close(lun);
    } else {
        TAP_DIAG("%s", err);
    }
    CHECK_INT_EQ(ioctl(dev, LOOP_CLR_FD, 0), 0);
    CHECK_INT_EQ(close(dev), 0);
    tf_close(&t);
}

TAP_MAIN(shared_option_lets_several_luns_hold_one_file, claims_file_prefix, write_read_back_sizes_and_splits, read6_length_zero_is_256_blocks,
         more_iovecs_than_iov_max, short_completions_resubmit_the_rest,
         transfer_ends_inside_an_iovec, end_of_file_midway_is_a_medium_error,
         io_errors_give_medium_error_sense, out_of_range_lba, data_length_against_the_cdb,
         open_flags, read_only_lun, fua_write_is_dsync, synchronize_cache, block_size_4096,
         open_errors, identity_follows_the_canonical_path, emulated_commands,
         concurrent_commands, block_device)
