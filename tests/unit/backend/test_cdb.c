/* CDB decoding (backend/scsi/cdb.c). */
#include "cdb.h"
#include "tap.h"

/* cdb decodes as a READ (or WRITE) of nblocks at lba, with or without FUA. */
static void check_rw(const uint8_t *cdb, unsigned len, uint64_t lba, uint32_t nblocks,
                     bool write, bool fua)
{
    struct cdb_rw rw;
    CHECK_INT_EQ(cdb_decode_rw(cdb, len, &rw), CDB_RW);
    CHECK_INT_EQ(rw.lba, lba);
    CHECK_INT_EQ(rw.nblocks, nblocks);
    CHECK_INT_EQ(rw.write, write);
    CHECK_INT_EQ(rw.fua, fua);
}

TEST(read6_write6)
{
    /* 21-bit LBA (the top 3 bits of byte 1 are the old LUN field); no FUA
     * bit in the 6-byte forms. */
    const uint8_t r6[6] = {0x08, 0xff, 0x34, 0x56, 0x10, 0x00};
    check_rw(r6, 6, 0x1f3456, 16, false, false);
    const uint8_t w6[6] = {0x0a, 0x00, 0x00, 0x07, 0x01, 0x00};
    check_rw(w6, 6, 7, 1, true, false);
}

TEST(six_byte_length_zero_is_256)
{
    struct cdb_rw rw;
    const uint8_t r6[6] = {0x08, 0x00, 0x00, 0x00, 0x00, 0x00};
    CHECK_INT_EQ(cdb_decode_rw(r6, 6, &rw), CDB_RW);
    CHECK_INT_EQ(rw.nblocks, 256);
    const uint8_t w6[6] = {0x0a, 0x00, 0x00, 0x00, 0x00, 0x00};
    CHECK_INT_EQ(cdb_decode_rw(w6, 6, &rw), CDB_RW);
    CHECK_INT_EQ(rw.nblocks, 256);
    uint64_t len;
    CHECK(cdb_transfer_len(r6, 6, 512, &len));
    CHECK_INT_EQ(len, 256 * 512);
}

TEST(ten_byte_forms)
{
    const uint8_t r10[10] = {0x28, 0x08, 0x12, 0x34, 0x56, 0x78, 0x00, 0xab, 0xcd, 0x00};
    check_rw(r10, 10, 0x12345678, 0xabcd, false, true);
    /* 0 blocks means no data for 10/12/16 */
    const uint8_t w10[10] = {0x2a, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00};
    check_rw(w10, 10, 0xffffffffu, 0, true, false);
}

TEST(twelve_byte_forms)
{
    const uint8_t r12[12] = {0xa8, 0, 0, 0, 0x01, 0x00, 0x80, 0x00, 0x00, 0x01, 0, 0};
    check_rw(r12, 12, 0x100, 0x80000001u, false, false);
    const uint8_t w12[12] = {0xaa, 0x08, 0, 0, 0, 0x02, 0, 0, 0, 0x03, 0, 0};
    check_rw(w12, 12, 2, 3, true, true);
}

TEST(sixteen_byte_forms)
{
    const uint8_t r16[16] = {0x88, 0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
                             0xff, 0xff, 0xff, 0xff, 0, 0};
    check_rw(r16, 16, 0x0123456789abcdefull, 0xffffffffu, false, false);
    const uint8_t w16[16] = {0x8a, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x08, 0, 0};
    check_rw(w16, 16, 16, 8, true, true);
}

TEST(refuses_bad_rw)
{
    struct cdb_rw rw = {.lba = 99};
    /* Shorter than the opcode's group length. */
    const uint8_t r10[10] = {0x28, 0, 0, 0, 0, 1, 0, 0, 1, 0};
    CHECK_INT_EQ(cdb_decode_rw(r10, 9, &rw), CDB_RW_INVALID);
    CHECK_INT_EQ(cdb_decode_rw(r10, 10, &rw), CDB_RW);
    const uint8_t r16[16] = {0x88};
    CHECK_INT_EQ(cdb_decode_rw(r16, 10, &rw), CDB_RW_INVALID);
    /* RDPROTECT / WRPROTECT: no protection information here. */
    const uint8_t prot[10] = {0x2a, 0x20, 0, 0, 0, 0, 0, 0, 1, 0};
    CHECK_INT_EQ(cdb_decode_rw(prot, 10, &rw), CDB_RW_INVALID);
    /* NACA in the control byte. */
    const uint8_t naca[10] = {0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0x04};
    CHECK_INT_EQ(cdb_decode_rw(naca, 10, &rw), CDB_RW_INVALID);
    const uint8_t naca6[6] = {0x08, 0, 0, 0, 1, 0x04};
    CHECK_INT_EQ(cdb_decode_rw(naca6, 6, &rw), CDB_RW_INVALID);
    /* Not a READ/WRITE at all. */
    const uint8_t inq[6] = {0x12, 0, 0, 0, 36, 0};
    rw.lba = 99;
    CHECK_INT_EQ(cdb_decode_rw(inq, 6, &rw), CDB_NOT_RW);
    CHECK_INT_EQ(rw.lba, 99);   /* untouched */
    CHECK_INT_EQ(cdb_decode_rw(inq, 0, &rw), CDB_NOT_RW);
}

TEST(lba_range_and_overflow)
{
    CHECK(cdb_lba_range_ok(0, 16, 16));
    CHECK(cdb_lba_range_ok(15, 1, 16));
    CHECK(!cdb_lba_range_ok(15, 2, 16));
    CHECK(cdb_lba_range_ok(16, 0, 16));   /* empty range at the end */
    CHECK(!cdb_lba_range_ok(17, 0, 16));
    CHECK(!cdb_lba_range_ok(0, 17, 16));
    /* lba + nblocks wraps around 2^64: must still be refused. */
    CHECK(!cdb_lba_range_ok(UINT64_MAX, 2, 16));
    CHECK(!cdb_lba_range_ok(UINT64_MAX - 1, 0xffffffffu, UINT64_MAX - 2));
    CHECK(cdb_lba_range_ok(UINT64_MAX - 1, 1, UINT64_MAX));
    CHECK(!cdb_lba_range_ok(UINT64_MAX, 1, UINT64_MAX));
}

TEST(group_lengths)
{
    CHECK_INT_EQ(cdb_group_len(0x00), 6);
    CHECK_INT_EQ(cdb_group_len(0x1f), 6);
    CHECK_INT_EQ(cdb_group_len(0x28), 10);
    CHECK_INT_EQ(cdb_group_len(0x5a), 10);
    CHECK_INT_EQ(cdb_group_len(0x7f), 0);
    CHECK_INT_EQ(cdb_group_len(0x88), 16);
    CHECK_INT_EQ(cdb_group_len(0xa8), 12);
    CHECK_INT_EQ(cdb_group_len(0xc0), 0);
    CHECK_INT_EQ(cdb_group_len(0xff), 0);
}

TEST(allocation_lengths)
{
    uint32_t a = 0;
    const uint8_t inq[6] = {0x12, 0x01, 0x83, 0x12, 0x34, 0};
    CHECK(cdb_alloc_len(inq, 6, &a));
    CHECK_INT_EQ(a, 0x1234);
    const uint8_t rs[6] = {0x03, 0, 0, 0, 252, 0};
    CHECK(cdb_alloc_len(rs, 6, &a));
    CHECK_INT_EQ(a, 252);
    const uint8_t ms6[6] = {0x1a, 0x08, 0x3f, 0, 0xc0, 0};
    CHECK(cdb_alloc_len(ms6, 6, &a));
    CHECK_INT_EQ(a, 0xc0);
    const uint8_t ms10[10] = {0x5a, 0, 0x3f, 0, 0, 0, 0, 0x10, 0x02, 0};
    CHECK(cdb_alloc_len(ms10, 10, &a));
    CHECK_INT_EQ(a, 0x1002);
    const uint8_t rc10[10] = {0x25};
    CHECK(cdb_alloc_len(rc10, 10, &a));
    CHECK_INT_EQ(a, 8);
    const uint8_t rc16[16] = {0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x01, 0x00, 0x20, 0, 0};
    CHECK(cdb_alloc_len(rc16, 16, &a));
    CHECK_INT_EQ(a, 0x10020);
    const uint8_t sa_other[16] = {0x9e, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0};
    CHECK(!cdb_alloc_len(sa_other, 16, &a));
    const uint8_t rl[12] = {0xa0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x10, 0x00, 0, 0};
    CHECK(cdb_alloc_len(rl, 12, &a));
    CHECK_INT_EQ(a, 4096);
    /* Too short, or a command without an allocation length. */
    CHECK(!cdb_alloc_len(ms10, 6, &a));
    const uint8_t tur[6] = {0};
    CHECK(!cdb_alloc_len(tur, 6, &a));
}

TEST(transfer_lengths)
{
    uint64_t len = 1;
    const uint8_t r10[10] = {0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0};
    CHECK(cdb_transfer_len(r10, 10, 4096, &len));
    CHECK_INT_EQ(len, 32768);
    /* 2^32-1 blocks of 4096 bytes: no 32-bit overflow. */
    const uint8_t r16[16] = {0x88, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0};
    CHECK(cdb_transfer_len(r16, 16, 4096, &len));
    CHECK(len == 0xffffffffull * 4096);
    const uint8_t inq[6] = {0x12, 0, 0, 0, 96, 0};
    CHECK(cdb_transfer_len(inq, 6, 512, &len));
    CHECK_INT_EQ(len, 96);
    const uint8_t tur[6] = {0};
    CHECK(cdb_transfer_len(tur, 6, 512, &len));
    CHECK_INT_EQ(len, 0);
    const uint8_t sync16[16] = {0x91};
    CHECK(cdb_transfer_len(sync16, 16, 512, &len));
    CHECK_INT_EQ(len, 0);
    const uint8_t unknown[6] = {0x15};   /* MODE SELECT(6): not ours */
    CHECK(!cdb_transfer_len(unknown, 6, 512, &len));
    const uint8_t prot[10] = {0x28, 0xe0, 0, 0, 0, 0, 0, 0, 1, 0};
    CHECK(!cdb_transfer_len(prot, 10, 512, &len));
}

TEST(synchronize_cache)
{
    uint64_t lba = 0;
    uint32_t n = 0;
    const uint8_t s10[10] = {0x35, 0x02, 0x00, 0x00, 0x12, 0x34, 0, 0x00, 0x10, 0};
    CHECK(cdb_decode_sync(s10, 10, &lba, &n));
    CHECK_INT_EQ(lba, 0x1234);
    CHECK_INT_EQ(n, 16);
    const uint8_t s16[16] = {0x91, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
    CHECK(cdb_decode_sync(s16, 16, &lba, &n));
    CHECK(lba == 0x100000000ull);
    CHECK_INT_EQ(n, 0x100);
    CHECK(!cdb_decode_sync(s16, 10, &lba, &n));
    const uint8_t r10[10] = {0x28};
    CHECK(!cdb_decode_sync(r10, 10, &lba, &n));
}

TAP_MAIN(read6_write6, six_byte_length_zero_is_256, ten_byte_forms, twelve_byte_forms,
         sixteen_byte_forms, refuses_bad_rw, lba_range_and_overflow, group_lengths,
         allocation_lengths, transfer_lengths, synchronize_cache)
