/* Buffer <-> iovec copies (backend/scsi/iov_buf.c). */
#include "iov_buf.h"
#include "tap.h"

#include <stdint.h>

TEST(copies_across_uneven_iovecs)
{
    uint8_t src[100], dst[100];
    for (unsigned i = 0; i < sizeof(src); i++)
        src[i] = (uint8_t)(i + 1);
    memset(dst, 0xee, sizeof(dst));
    /* An empty iovec in the middle must be stepped over. */
    struct iovec iov[4] = {{dst, 3}, {dst + 3, 0}, {dst + 3, 40}, {dst + 43, 57}};
    CHECK_INT_EQ(iov_from_buf(iov, 4, src, 100), 100);
    CHECK_MEM_EQ(dst, src, 100);
}

TEST(stops_at_len_or_at_the_end_of_the_iovecs)
{
    uint8_t src[64], dst[64];
    memset(src, 0x5a, sizeof(src));
    memset(dst, 0xee, sizeof(dst));
    struct iovec iov[2] = {{dst, 10}, {dst + 10, 20}};
    CHECK_INT_EQ(iov_from_buf(iov, 2, src, 15), 15);
    for (unsigned i = 0; i < 64; i++)
        CHECK_INT_EQ(dst[i], i < 15 ? 0x5a : 0xee);
    memset(dst, 0xee, sizeof(dst));
    CHECK_INT_EQ(iov_from_buf(iov, 2, src, 64), 30);   /* iovecs hold 30 */
    CHECK_INT_EQ(dst[29], 0x5a);
    CHECK_INT_EQ(dst[30], 0xee);
    CHECK_INT_EQ(iov_from_buf(iov, 0, src, 64), 0);
    CHECK_INT_EQ(iov_from_buf(iov, 2, src, 0), 0);
}

TEST(zeroes)
{
    uint8_t dst[32];
    memset(dst, 0xee, sizeof(dst));
    struct iovec iov[3] = {{dst, 5}, {dst + 5, 0}, {dst + 5, 20}};
    CHECK_INT_EQ(iov_zero(iov, 3, 12), 12);
    for (unsigned i = 0; i < 32; i++)
        CHECK_INT_EQ(dst[i], i < 12 ? 0 : 0xee);
    CHECK_INT_EQ(iov_zero(iov, 3, 1000), 25);
    CHECK_INT_EQ(dst[24], 0);
    CHECK_INT_EQ(dst[25], 0xee);
}

TEST(reads_and_writes_at_an_offset_across_iovecs)
{
    uint8_t mem[40], got[16];
    for (unsigned i = 0; i < sizeof(mem); i++)
        mem[i] = (uint8_t)i;
    /* 7 + 0 + 13 + 20 bytes: offset 5 spans the first three. */
    struct iovec iov[4] = {{mem, 7}, {mem + 7, 0}, {mem + 7, 13}, {mem + 20, 20}};
    CHECK_INT_EQ(iov_read_at(iov, 4, 5, got, 16), 16);
    for (unsigned i = 0; i < 16; i++)
        CHECK_INT_EQ(got[i], 5 + i);
    const uint8_t w[4] = {0xa1, 0xa2, 0xa3, 0xa4};
    CHECK_INT_EQ(iov_write_at(iov, 4, 18, w, 4), 4);
    CHECK_INT_EQ(mem[17], 17);
    CHECK_MEM_EQ(mem + 18, w, 4);
    CHECK_INT_EQ(mem[22], 22);
    /* Past the end: only what the iovecs hold. */
    CHECK_INT_EQ(iov_read_at(iov, 4, 36, got, 16), 4);
    CHECK_INT_EQ(got[0], 36);
    CHECK_INT_EQ(iov_write_at(iov, 4, 40, w, 4), 0);
    CHECK_INT_EQ(iov_read_at(iov, 4, 100, got, 1), 0);
}

TAP_MAIN(copies_across_uneven_iovecs, stops_at_len_or_at_the_end_of_the_iovecs, zeroes,
         reads_and_writes_at_an_offset_across_iovecs)
