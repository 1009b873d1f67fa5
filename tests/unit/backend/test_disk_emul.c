/* The emulated disk's non-data commands and its READ/WRITE/SYNC checks
 * (backend/scsi/disk_emul.c, inquiry.c, mode_sense.c, disk_rw.c, reply.c). */
#include <errno.h>

#include "disk_emul.h"
#include "lun_fixture.h"

#define FILL 0xee

static uint8_t buf[512];
static struct iovec one;

static struct disk_emul make_disk(uint64_t nr_blocks, uint32_t bs, bool ro, bool wc)
{
    struct disk_emul d;
    struct disk_emul_params p = {
        .nr_blocks = nr_blocks, .block_size = bs, .read_only = ro, .write_cache = wc,
        .product = "NULL DISK", .identity = "null:test",
    };
    if (disk_emul_init(&d, &p) != 0)
        TAP_DIAG("disk_emul_init failed");
    return d;
}

/* Dispatches a CDB with a data-in buffer of data_len bytes (pre-filled). */
static enum disk_action run_dir(const struct disk_emul *d, struct lun_cmd *cmd,
                                const uint8_t *cdb, unsigned cdb_len, size_t data_len,
                                enum vscsi_dir dir, struct disk_io *io)
{
    memset(buf, FILL, sizeof(buf));
    one = (struct iovec){buf, data_len};
    fx_cmd(cmd, cdb, cdb_len, dir, &one, data_len ? 1 : 0);
    return disk_emul_dispatch(d, cmd, io);
}

static enum disk_action run(const struct disk_emul *d, struct lun_cmd *cmd, const uint8_t *cdb,
                            unsigned cdb_len, size_t data_len)
{
    struct disk_io io;
    return run_dir(d, cmd, cdb, cdb_len, data_len, VSCSI_DIR_FROM_DEVICE, &io);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static bool untouched(size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (buf[i] != FILL)
            return false;
    return true;
}

TEST(init_validates_and_derives_identity)
{
    struct disk_emul d, e;
    struct disk_emul_params p = {
        .nr_blocks = 8, .block_size = 512, .product = "NULL DISK", .identity = "a",
    };
    CHECK_INT_EQ(disk_emul_init(&d, &p), 0);
    /* FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c (the published test vector):
     * the serial must never change for a given identity. */
    CHECK_MEM_EQ(d.serial, "AF63DC4C8601EC8C", 16);
    CHECK(d.naa == 0x3f63dc4c8601ec8cull);
    CHECK_MEM_EQ(d.product, "NULL DISK       ", 16);
    CHECK_INT_EQ(disk_emul_init(&e, &p), 0);
    CHECK_MEM_EQ(e.serial, d.serial, 16);
    p.identity = "b";
    CHECK_INT_EQ(disk_emul_init(&e, &p), 0);
    CHECK(memcmp(e.serial, d.serial, 16) != 0);
    CHECK(e.naa != d.naa);
    CHECK_INT_EQ(e.naa >> 60, 3);

    struct disk_emul_params bad = p;
    bad.block_size = 1024;
    CHECK_INT_EQ(disk_emul_init(&e, &bad), -EINVAL);
    bad = p;
    bad.nr_blocks = 0;
    CHECK_INT_EQ(disk_emul_init(&e, &bad), -EINVAL);
    bad = p;
    bad.nr_blocks = (uint64_t)INT64_MAX / 512 + 1;   /* offsets would not fit off_t */
    CHECK_INT_EQ(disk_emul_init(&e, &bad), -EINVAL);
    bad = p;
    bad.product = "SEVENTEEN CHARS!!";
    CHECK_INT_EQ(disk_emul_init(&e, &bad), -EINVAL);
    bad = p;
    bad.product = "";
    CHECK_INT_EQ(disk_emul_init(&e, &bad), -EINVAL);
    bad = p;
    bad.product = "BAD\nNAME";
    CHECK_INT_EQ(disk_emul_init(&e, &bad), -EINVAL);
}

TEST(block_size_parameter)
{
    uint32_t bs = 0;
    CHECK_INT_EQ(disk_emul_block_size(0, &bs), 0);
    CHECK_INT_EQ(bs, 512);
    CHECK_INT_EQ(disk_emul_block_size(512, &bs), 0);
    CHECK_INT_EQ(bs, 512);
    CHECK_INT_EQ(disk_emul_block_size(4096, &bs), 0);
    CHECK_INT_EQ(bs, 4096);
    bs = 7;
    CHECK_INT_EQ(disk_emul_block_size(1024, &bs), -EINVAL);
    CHECK_INT_EQ(disk_emul_block_size(520, &bs), -EINVAL);
    CHECK_INT_EQ(bs, 7);
}

TEST(inquiry_standard)
{
    struct disk_emul d = make_disk(1000, 512, false, false);
    struct lun_cmd cmd;
    const uint8_t cdb[6] = {0x12, 0, 0, 0x01, 0x00, 0};   /* alloc 256 */
    CHECK_INT_EQ(run(&d, &cmd, cdb, 6, 200), DISK_DONE);
    CHECK_GOOD(&cmd, 200 - 74);
    CHECK_INT_EQ(buf[0], 0x00);          /* direct access, connected */
    CHECK_INT_EQ(buf[1], 0x00);          /* not removable */
    CHECK_INT_EQ(buf[2], 0x06);          /* SPC-4 */
    CHECK_INT_EQ(buf[3], 0x02);          /* response data format 2 */
    CHECK_INT_EQ(buf[4], 74 - 5);        /* additional length */
    CHECK_INT_EQ(buf[7], 0x02);          /* CMDQUE */
    CHECK_MEM_EQ(buf + 8, "PVSCSID ", 8);
    CHECK_MEM_EQ(buf + 16, "NULL DISK       ", 16);
    CHECK_MEM_EQ(buf + 32, DISK_EMUL_REVISION, 4);
    static const uint8_t versions[] = {0x00, 0xa0, 0x04, 0x60, 0x04, 0xc0};
    CHECK_MEM_EQ(buf + 58, versions, sizeof(versions));
    CHECK(untouched(74, 200));
}

TEST(inquiry_allocation_length_and_residual)
{
    struct disk_emul d = make_disk(1000, 512, false, false);
    struct lun_cmd cmd;
    /* Allocation length 5 < response < buffer: 5 bytes, residual the rest. */
    const uint8_t a5[6] = {0x12, 0, 0, 0, 5, 0};
    CHECK_INT_EQ(run(&d, &cmd, a5, 6, 96), DISK_DONE);
    CHECK_GOOD(&cmd, 91);
    CHECK_INT_EQ(buf[4], 69);
    CHECK(untouched(5, 96));
    /* Buffer smaller than both: the buffer bounds the copy. */
    const uint8_t a255[6] = {0x12, 0, 0, 0, 255, 0};
    CHECK_INT_EQ(run(&d, &cmd, a255, 6, 20), DISK_DONE);
    CHECK_GOOD(&cmd, 0);
    CHECK_MEM_EQ(buf + 8, "PVSCSID ", 8);
    CHECK(untouched(20, 96));
    /* Allocation length 0: nothing moves, not an error. */
    const uint8_t a0[6] = {0x12, 0, 0, 0, 0, 0};
    CHECK_INT_EQ(run(&d, &cmd, a0, 6, 36), DISK_DONE);
    CHECK_GOOD(&cmd, 36);
    CHECK(untouched(0, 36));
    /* The 16-bit allocation length (bytes 3-4). */
    const uint8_t big[6] = {0x12, 0, 0, 0x10, 0x00, 0};
    CHECK_INT_EQ(run(&d, &cmd, big, 6, 512), DISK_DONE);
    CHECK_GOOD(&cmd, 512 - 74);
}

TEST(inquiry_vpd_pages)
{
    struct disk_emul d = make_disk(1000, 512, false, false);
    struct lun_cmd cmd;

    const uint8_t p00[6] = {0x12, 1, 0x00, 0, 255, 0};
    CHECK_INT_EQ(run(&d, &cmd, p00, 6, 255), DISK_DONE);
    static const uint8_t supported[] = {0, 0x00, 0, 5, 0x00, 0x80, 0x83, 0xb0, 0xb1};
    CHECK_GOOD(&cmd, 255 - sizeof(supported));
    CHECK_MEM_EQ(buf, supported, sizeof(supported));

    const uint8_t p80[6] = {0x12, 1, 0x80, 0, 255, 0};
    CHECK_INT_EQ(run(&d, &cmd, p80, 6, 255), DISK_DONE);
    CHECK_GOOD(&cmd, 255 - 20);
    static const uint8_t h80[] = {0, 0x80, 0, 16};
    CHECK_MEM_EQ(buf, h80, 4);
    CHECK_MEM_EQ(buf + 4, "EAECF17224B7ED7A", 16);   /* FNV-1a of "null:test" */
    CHECK_MEM_EQ(buf + 4, d.serial, 16);

    const uint8_t p83[6] = {0x12, 1, 0x83, 0, 255, 0};
    CHECK_INT_EQ(run(&d, &cmd, p83, 6, 255), DISK_DONE);
    CHECK_GOOD(&cmd, 255 - 44);
    static const uint8_t h83[] = {
        0, 0x83, 0, 40,
        0x01, 0x03, 0, 8,  0x3a, 0xec, 0xf1, 0x72, 0x24, 0xb7, 0xed, 0x7a,  /* NAA 3 */
        0x02, 0x01, 0, 24, 'P', 'V', 'S', 'C', 'S', 'I', 'D', ' ',          /* T10 */
    };
    CHECK_MEM_EQ(buf, h83, sizeof(h83));
    CHECK_MEM_EQ(buf + sizeof(h83), "EAECF17224B7ED7A", 16);
    CHECK(be64(buf + 8) == d.naa);

    const uint8_t pb0[6] = {0x12, 1, 0xb0, 0, 255, 0};
    CHECK_INT_EQ(run(&d, &cmd, pb0, 6, 255), DISK_DONE);
    CHECK_GOOD(&cmd, 255 - 64);
    CHECK_INT_EQ(buf[1], 0xb0);
    CHECK_INT_EQ(buf[3], 0x3c);
    CHECK_INT_EQ(buf[6] << 8 | buf[7], 8);                       /* 4 KiB granularity */
    CHECK_INT_EQ(be32(buf + 8), DISK_EMUL_MAX_TRANSFER_BYTES / 512);  /* max transfer */
    CHECK_INT_EQ(be32(buf + 20), 0);                              /* no UNMAP */

    const uint8_t pb1[6] = {0x12, 1, 0xb1, 0, 255, 0};
    CHECK_INT_EQ(run(&d, &cmd, pb1, 6, 255), DISK_DONE);
    CHECK_GOOD(&cmd, 255 - 64);
    static const uint8_t hb1[] = {0, 0xb1, 0, 0x3c, 0x00, 0x01};   /* non-rotating */
    CHECK_MEM_EQ(buf, hb1, sizeof(hb1));

    /* Truncated VPD page: the header says the full length. */
    const uint8_t p83short[6] = {0x12, 1, 0x83, 0, 4, 0};
    CHECK_INT_EQ(run(&d, &cmd, p83short, 6, 255), DISK_DONE);
    CHECK_GOOD(&cmd, 251);
    CHECK_INT_EQ(buf[3], 40);
    CHECK(untouched(4, 255));
}

TEST(inquiry_refusals)
{
    struct disk_emul d = make_disk(1000, 512, false, false);
    struct lun_cmd cmd;
    static const uint8_t refused[][6] = {
        {0x12, 1, 0x81, 0, 255, 0},      /* unsupported VPD page */
        {0x12, 0, 0x80, 0, 255, 0},      /* a page without EVPD */
        {0x12, 0x02, 0, 0, 255, 0},      /* CMDDT */
        {0x12, 0x04, 0, 0, 255, 0},      /* obsolete bit */
        {0x12, 0, 0, 0, 255, 0x04},      /* NACA */
    };
    for (unsigned i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        CHECK_INT_EQ(run(&d, &cmd, refused[i], 6, 255), DISK_DONE);
        CHECK_SENSE(&cmd, 0x05, 0x24, 0x00);
        CHECK(untouched(0, 255));
    }
    /* A data-out buffer is never written into. */
    const uint8_t inq[6] = {0x12, 0, 0, 0, 255, 0};
    struct disk_io io;
    CHECK_INT_EQ(run_dir(&d, &cmd, inq, 6, 255, VSCSI_DIR_TO_DEVICE, &io), DISK_DONE);
    CHECK_SENSE(&cmd, 0x05, 0x24, 0x00);
    CHECK(untouched(0, 255));
    /* Bidirectional is accepted either way. */
    CHECK_INT_EQ(run_dir(&d, &cmd, inq, 6, 255, VSCSI_DIR_BIDIRECTIONAL, &io), DISK_DONE);
    CHECK_GOOD(&cmd, 255 - 74);
}

TEST(unknown_opcode_sense_bytes)
{
    struct disk_emul d = make_disk(1000, 512, false, false);
    struct lun_cmd cmd;
    static const uint8_t expect[18] = {
        0x70, 0, 0x05, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x20, 0x00, 0, 0, 0, 0,
    };
    static const uint8_t ops[] = {0x15, 0x42, 0x4d, 0x7f, 0xa0, 0xc0, 0xff, 0x9f, 0x2f};
    for (unsigned i = 0; i < sizeof(ops); i++) {
        uint8_t cdb[16] = {ops[i]};
        CHECK_INT_EQ(run(&d, &cmd, cdb, 16, 64), DISK_DONE);
        CHECK_INT_EQ(cmd.status, VSCSI_STATUS_CHECK_CONDITION);
        CHECK_INT_EQ(cmd.sense_len, 18);
        CHECK_MEM_EQ(cmd.sense, expect, 18);
        CHECK_INT_EQ(cmd.residual, 64);
        CHECK(untouched(0, 64));
    }
}

TEST(read_capacity_10)
{
    struct lun_cmd cmd;
    const uint8_t rc[10] = {0x25};
    struct disk_emul d = make_disk(1000, 512, false, false);
    CHECK_INT_EQ(run(&d, &cmd, rc, 10, 8), DISK_DONE);
    CHECK_GOOD(&cmd, 0);
    CHECK_INT_EQ(be32(buf), 999);
    CHECK_INT_EQ(be32(buf + 4), 512);

    /* Exactly 2^32 blocks: the last LBA is 0xffffffff, which is also the
     * "use READ CAPACITY(16)" value. One less fits; one more saturates. */
    d = make_disk(0xffffffffull, 4096, false, false);
    CHECK_INT_EQ(run(&d, &cmd, rc, 10, 8), DISK_DONE);
    CHECK_INT_EQ(be32(buf), 0xfffffffeu);
    CHECK_INT_EQ(be32(buf + 4), 4096);
    d = make_disk(0x100000000ull, 512, false, false);
    CHECK_INT_EQ(run(&d, &cmd, rc, 10, 8), DISK_DONE);
    CHECK_INT_EQ(be32(buf), 0xffffffffu);
    d = make_disk(0x500000000ull, 512, false, false);
    CHECK_INT_EQ(run(&d, &cmd, rc, 10, 16), DISK_DONE);
    CHECK_GOOD(&cmd, 8);
    CHECK_INT_EQ(be32(buf), 0xffffffffu);
    CHECK(untouched(8, 16));

    /* Short buffer; LBA without PMI is an invalid field. */
    CHECK_INT_EQ(run(&d, &cmd, rc, 10, 4), DISK_DONE);
    CHECK_GOOD(&cmd, 0);
    const uint8_t lba[10] = {0x25, 0, 0, 0, 0, 1, 0, 0, 0, 0};
    CHECK_INT_EQ(run(&d, &cmd, lba, 10, 8), DISK_DONE);
    CHECK_SENSE(&cmd, 0x05, 0x24, 0x00);
    const uint8_t pmi[10] = {0x25, 0, 0, 0, 0, 1, 0, 0, 1, 0};
    CHECK_INT_EQ(run(&d, &cmd, pmi, 10, 8), DISK_DONE);
    CHECK_GOOD(&cmd, 0);
}

TEST(read_capacity_16)
{
    struct lun_cmd cmd;
    struct disk_emul d = make_disk(0x500000000ull, 4096, false, false);
    const uint8_t rc[16] = {0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0};
    CHECK_INT_EQ(run(&d, &cmd, rc, 16, 64), DISK_DONE);
    CHECK_GOOD(&cmd, 32);
    CHECK(be64(buf) == 0x4ffffffffull);
    CHECK_INT_EQ(be32(buf + 8), 4096);
    static const uint8_t zero[20] = {0};
    CHECK_MEM_EQ(buf + 12, zero, 20);   /* no protection, 1:1 physical, aligned */
    CHECK(untouched(32, 64));

    const uint8_t rc12[16] = {0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0};
    CHECK_INT_EQ(run(&d, &cmd, rc12, 16, 64), DISK_DONE);
    CHECK_GOOD(&cmd, 52);
    CHECK_INT_EQ(be32(buf + 8), 4096);
    CHECK(untouched(12, 64));

    const uint8_t other_sa[16] = {0x9e, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0};
    CHECK_INT_EQ(run(&d, &cmd, other_sa, 16, 64), DISK_DONE);
    CHECK_SENSE(&cmd, 0x05, 0x24, 0x00);
    CHECK_INT_EQ(run(&d, &cmd, rc, 12, 64), DISK_DONE);   /* short CDB */
    CHECK_SENSE(&cmd, 0x05, 0x24, 0x00);
}

TEST(mode_sense_6_all_pages)
{
    struct lun_cmd cmd;
    struct disk_emul d = make_disk(1000, 512, false, true);
    const uint8_t ms[6] = {0x1a, 0, 0x3f, 0, 255, 0};
    CHECK_INT_EQ(run(&d, &cmd, ms, 6, 255), DISK_DONE);
    CHECK_GOOD(&cmd, 255 - 44);
    static const uint8_t expect[44] = {
        43, 0, 0x10, 8,                             /* header: DPOFUA, 8-byte bd */
        0, 0, 0x03, 0xe8, 0, 0, 0x02, 0x00,         /* 1000 blocks of 512 */
        0x08, 0x12, 0x04, 0, 0, 0, 0, 0, 0, 0,      /* caching: WCE */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0x0a, 0x0a, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0,  /* control: QAM 1 */
    };
    CHECK_MEM_EQ(buf, expect, sizeof(expect));
    CHECK(untouched(44, 255));
}

TEST(mode_sense_6_dbd_single_page_and_pc)
{
    struct lun_cmd cmd;
    struct disk_emul d = make_disk(1000, 512, false, true);
    const uint8_t caching[6] = {0x1a, 0x08, 0x08, 0, 255, 0};   /* DBD */
    CHECK_INT_EQ(run(&d, &cmd, caching, 6, 255), DISK_DONE);
    CHECK_GOOD(&cmd, 255 - 24);
    static const uint8_t hdr[] = {23, 0, 0x10, 0, 0x08, 0x12, 0x04};
    CHECK_MEM_EQ(buf, hdr, sizeof(hdr));

    /* Changeable values: nothing is. Default: as current. */
    const uint8_t changeable[6] = {0x1a, 0x08, 0x48, 0, 255, 0};
    CHECK_INT_EQ(run(&d, &cmd, changeable, 6, 255), DISK_DONE);
    CHECK_GOOD(&cmd, 255 - 24);
    CHECK_INT_EQ(buf[4], 0x08);
    CHECK_INT_EQ(buf[6], 0);
    const uint8_t deflt[6] = {0x1a, 0x08, 0x88, 0, 255, 0};
    CHECK_INT_EQ(run(&d, &cmd, deflt, 6, 255), DISK_DONE);
    CHECK_INT_EQ(buf[6], 0x04);

    const uint8_t control[6] = {0x1a, 0, 0x0a, 0, 255, 0};
    CHECK_INT_EQ(run(&d, &cmd, control, 6, 255), DISK_DONE);
    CHECK_GOOD(&cmd, 255 - 24);
    CHECK_INT_EQ(buf[0], 23);
    CHECK_INT_EQ(buf[3], 8);
    CHECK_INT_EQ(buf[12], 0x0a);
    CHECK_INT_EQ(buf[13], 0x0a);

    /* Allocation length shorter than the data: header says the full length. */
    const uint8_t trunc[6] = {0x1a, 0, 0x3f, 0, 4, 0};
    CHECK_INT_EQ(run(&d, &cmd, trunc, 6, 255), DISK_DONE);
    CHECK_GOOD(&cmd, 251);
    CHECK_INT_EQ(buf[0], 43);
    CHECK(untouched(4, 255));

    /* Without a write cache, WCE is clear. */
    struct disk_emul nocache = make_disk(1000, 512, false, false);
    CHECK_INT_EQ(run(&nocache, &cmd, caching, 6, 255), DISK_DONE);
    CHECK_INT_EQ(buf[6], 0);
}

TEST(mode_sense_refusals)
{
    struct lun_cmd cmd;
    struct disk_emul d = make_disk(1000, 512, false, true);
    static const struct {
        uint8_t cdb[10];
        unsigned len;
        uint8_t asc;
    } refused[] = {
        {{0x1a, 0, 0xc8, 0, 255, 0}, 6, 0x39},                 /* saved values */
        {{0x5a, 0, 0xff, 0, 0, 0, 0, 0, 255, 0}, 10, 0x39},    /* saved, MODE SENSE(10) */
        {{0x1a, 0, 0x1c, 0, 255, 0}, 6, 0x24},                 /* unknown page */
        {{0x1a, 0, 0x08, 0x01, 255, 0}, 6, 0x24},              /* a subpage */
    };
    for (unsigned i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        CHECK_INT_EQ(run(&d, &cmd, refused[i].cdb, refused[i].len, 255), DISK_DONE);
        CHECK_SENSE(&cmd, 0x05, refused[i].asc, 0x00);
        CHECK(untouched(0, 255));
    }
    /* All pages and all subpages: we have no subpages, same answer. */
    const uint8_t all_sub[6] = {0x1a, 0, 0x3f, 0xff, 255, 0};
    CHECK_INT_EQ(run(&d, &cmd, all_sub, 6, 255), DISK_DONE);
    CHECK_GOOD(&cmd, 255 - 44);
}

TEST(mode_sense_10)
{
    struct lun_cmd cmd;
    struct disk_emul d = make_disk(0x123456789ull, 4096, true, true);
    const uint8_t ms[10] = {0x5a, 0, 0x08, 0, 0, 0, 0, 0, 255, 0};
    CHECK_INT_EQ(run(&d, &cmd, ms, 10, 255), DISK_DONE);
    CHECK_GOOD(&cmd, 255 - 36);
    static const uint8_t expect[16] = {
        0, 34, 0, 0x90, 0, 0, 0, 8,                 /* WP | DPOFUA, 8-byte bd */
        0xff, 0xff, 0xff, 0xff, 0, 0, 0x10, 0x00,   /* count saturates, 4096 */
    };
    CHECK_MEM_EQ(buf, expect, sizeof(expect));
    CHECK_INT_EQ(buf[16], 0x08);
    CHECK_INT_EQ(buf[18], 0x04);

    /* LLBAA: the long descriptor with the full 64-bit block count. */
    const uint8_t llbaa[10] = {0x5a, 0x10, 0x08, 0, 0, 0, 0, 0, 255, 0};
    CHECK_INT_EQ(run(&d, &cmd, llbaa, 10, 255), DISK_DONE);
    CHECK_GOOD(&cmd, 255 - 44);
    CHECK_INT_EQ(buf[1], 42);
    CHECK_INT_EQ(buf[4], 0x01);    /* LONGLBA */
    CHECK_INT_EQ(buf[7], 16);
    CHECK(be64(buf + 8) == 0x123456789ull);
    CHECK_INT_EQ(be32(buf + 20), 4096);
    CHECK_INT_EQ(buf[24], 0x08);

    /* DBD wins over LLBAA. */
    const uint8_t dbd[10] = {0x5a, 0x18, 0x3f, 0, 0, 0, 0, 0, 255, 0};
    CHECK_INT_EQ(run(&d, &cmd, dbd, 10, 255), DISK_DONE);
    CHECK_GOOD(&cmd, 255 - 40);
    static const uint8_t hdr[8] = {0, 38, 0, 0x90, 0, 0, 0, 0};
    CHECK_MEM_EQ(buf, hdr, 8);
    CHECK_INT_EQ(buf[8], 0x08);
    CHECK_INT_EQ(buf[28], 0x0a);

    /* The 16-bit allocation length. */
    const uint8_t a10[10] = {0x5a, 0x08, 0x3f, 0, 0, 0, 0, 0, 10, 0};
    CHECK_INT_EQ(run(&d, &cmd, a10, 10, 255), DISK_DONE);
    CHECK_GOOD(&cmd, 245);
    CHECK(untouched(10, 255));
}

TEST(request_sense)
{
    struct lun_cmd cmd;
    struct disk_emul d = make_disk(1000, 512, false, false);
    static const uint8_t fixed[18] = {0x70, 0, 0, 0, 0, 0, 0, 0x0a};
    const uint8_t rs[6] = {0x03, 0, 0, 0, 252, 0};
    CHECK_INT_EQ(run(&d, &cmd, rs, 6, 252), DISK_DONE);
    CHECK_GOOD(&cmd, 252 - 18);
    CHECK_MEM_EQ(buf, fixed, 18);
    CHECK(untouched(18, 252));

    const uint8_t rs4[6] = {0x03, 0, 0, 0, 4, 0};
    CHECK_INT_EQ(run(&d, &cmd, rs4, 6, 252), DISK_DONE);
    CHECK_GOOD(&cmd, 248);
    CHECK_MEM_EQ(buf, fixed, 4);
    CHECK(untouched(4, 252));

    static const uint8_t desc[8] = {0x72, 0, 0, 0, 0, 0, 0, 0};
    const uint8_t rsd[6] = {0x03, 0x01, 0, 0, 252, 0};
    CHECK_INT_EQ(run(&d, &cmd, rsd, 6, 252), DISK_DONE);
    CHECK_GOOD(&cmd, 244);
    CHECK_MEM_EQ(buf, desc, 8);
}

TEST(no_data_commands)
{
    struct lun_cmd cmd;
    struct disk_emul d = make_disk(1000, 512, false, false);
    const uint8_t tur[6] = {0};
    CHECK_INT_EQ(run(&d, &cmd, tur, 6, 0), DISK_DONE);
    CHECK_GOOD(&cmd, 0);
    const uint8_t ssu[6] = {0x1b, 0, 0, 0, 0x01, 0};
    CHECK_INT_EQ(run(&d, &cmd, ssu, 6, 0), DISK_DONE);
    CHECK_GOOD(&cmd, 0);
    /* A buffer with a no-data command: untouched, all residual. */
    CHECK_INT_EQ(run(&d, &cmd, tur, 6, 32), DISK_DONE);
    CHECK_GOOD(&cmd, 32);
    CHECK(untouched(0, 32));
    /* Short CDB for a known command. */
    const uint8_t ms10[10] = {0x5a, 0, 0x3f, 0, 0, 0, 0, 0, 255, 0};
    CHECK_INT_EQ(run(&d, &cmd, ms10, 6, 255), DISK_DONE);
    CHECK_SENSE(&cmd, 0x05, 0x24, 0x00);
}

TEST(read_write_checks)
{
    struct lun_cmd cmd;
    struct disk_io io = {0};
    struct disk_emul d = make_disk(100, 512, false, false);

    const uint8_t r10[10] = {0x28, 0, 0, 0, 0, 10, 0, 0, 2, 0};
    CHECK_INT_EQ(run_dir(&d, &cmd, r10, 10, 1024, VSCSI_DIR_FROM_DEVICE, &io), DISK_READ);
    CHECK_INT_EQ(io.offset, 5120);
    CHECK_INT_EQ(io.len, 1024);
    /* Bigger buffer: only the blocks asked for; smaller: what fits. */
    CHECK_INT_EQ(run_dir(&d, &cmd, r10, 10, 300, VSCSI_DIR_FROM_DEVICE, &io), DISK_READ);
    CHECK_INT_EQ(io.len, 300);
    CHECK_INT_EQ(run_dir(&d, &cmd, r10, 10, 0, VSCSI_DIR_NONE, &io), DISK_DONE);
    CHECK_GOOD(&cmd, 0);
    CHECK_INT_EQ(run_dir(&d, &cmd, r10, 10, 100, VSCSI_DIR_TO_DEVICE, &io), DISK_DONE);
    CHECK_SENSE(&cmd, 0x05, 0x24, 0x00);

    const uint8_t w16[16] = {0x8a, 0x08, 0, 0, 0, 0, 0, 0, 0, 98, 0, 0, 0, 2, 0, 0};
    CHECK_INT_EQ(run_dir(&d, &cmd, w16, 16, 1500, VSCSI_DIR_TO_DEVICE, &io), DISK_WRITE);
    CHECK_INT_EQ(io.offset, 98 * 512);
    CHECK_INT_EQ(io.len, 1024);
    CHECK(io.fua);
    CHECK_INT_EQ(run_dir(&d, &cmd, w16, 16, 1023, VSCSI_DIR_TO_DEVICE, &io), DISK_DONE);
    CHECK_SENSE(&cmd, 0x05, 0x24, 0x00);
    CHECK_INT_EQ(run_dir(&d, &cmd, w16, 16, 1024, VSCSI_DIR_FROM_DEVICE, &io), DISK_DONE);
    CHECK_SENSE(&cmd, 0x05, 0x24, 0x00);
    const uint8_t w16_oob[16] = {0x8a, 0, 0, 0, 0, 0, 0, 0, 0, 99, 0, 0, 0, 2, 0, 0};
    CHECK_INT_EQ(run_dir(&d, &cmd, w16_oob, 16, 1024, VSCSI_DIR_TO_DEVICE, &io), DISK_DONE);
    CHECK_SENSE(&cmd, 0x05, 0x21, 0x00);

    /* Length 0 on 10/12/16: nothing to do, GOOD. */
    const uint8_t w10_0[10] = {0x2a, 0, 0, 0, 0, 5, 0, 0, 0, 0};
    CHECK_INT_EQ(run_dir(&d, &cmd, w10_0, 10, 0, VSCSI_DIR_NONE, &io), DISK_DONE);
    CHECK_GOOD(&cmd, 0);
    const uint8_t r12_end[12] = {0xa8, 0, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0};
    CHECK_INT_EQ(run_dir(&d, &cmd, r12_end, 12, 0, VSCSI_DIR_NONE, &io), DISK_DONE);
    CHECK_GOOD(&cmd, 0);

    struct disk_emul ro = make_disk(100, 512, true, false);
    CHECK_INT_EQ(run_dir(&ro, &cmd, w16, 16, 1024, VSCSI_DIR_TO_DEVICE, &io), DISK_DONE);
    CHECK_SENSE(&cmd, 0x07, 0x27, 0x00);
    CHECK_INT_EQ(run_dir(&ro, &cmd, r10, 10, 1024, VSCSI_DIR_FROM_DEVICE, &io), DISK_READ);

    const uint8_t sync10[10] = {0x35, 0, 0, 0, 0, 99, 0, 0, 1, 0};
    CHECK_INT_EQ(run_dir(&d, &cmd, sync10, 10, 0, VSCSI_DIR_NONE, &io), DISK_SYNC);
    CHECK_INT_EQ(io.len, 0);
    const uint8_t sync10_oob[10] = {0x35, 0, 0, 0, 0, 99, 0, 0, 2, 0};
    CHECK_INT_EQ(run_dir(&d, &cmd, sync10_oob, 10, 0, VSCSI_DIR_NONE, &io), DISK_DONE);
    CHECK_SENSE(&cmd, 0x05, 0x21, 0x00);
    const uint8_t sync16_all[16] = {0x91, 0, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0};
    CHECK_INT_EQ(run_dir(&d, &cmd, sync16_all, 16, 0, VSCSI_DIR_NONE, &io), DISK_SYNC);
    const uint8_t sync16_oob[16] = {0x91, 0, 0, 0, 0, 0, 0, 0, 0, 101, 0, 0, 0, 0, 0, 0};
    CHECK_INT_EQ(run_dir(&d, &cmd, sync16_oob, 16, 0, VSCSI_DIR_NONE, &io), DISK_DONE);
    CHECK_SENSE(&cmd, 0x05, 0x21, 0x00);
}

TAP_MAIN(init_validates_and_derives_identity, block_size_parameter, inquiry_standard,
         inquiry_allocation_length_and_residual, inquiry_vpd_pages, inquiry_refusals,
         unknown_opcode_sense_bytes, read_capacity_10, read_capacity_16,
         mode_sense_6_all_pages, mode_sense_6_dbd_single_page_and_pc, mode_sense_refusals,
         mode_sense_10, request_sense, no_data_commands, read_write_checks)
