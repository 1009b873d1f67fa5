/* VPD page 0x83 parsing (backend/handlers/sg_vpd.c). Every page is checked
 * from a heap copy of exactly its length, so ASan catches any overread. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sg_vpd.h"
#include "tap.h"

static const uint8_t NAA_LU[16] = {0x60, 0x01, 0x40, 0x50, 0x00, 0x00, 0x00, 0x01,
                                   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t NAA_PORT[8] = {0x50, 0x01, 0x40, 0x50, 0x00, 0x00, 0x00, 0xaa};

/* T10 vendor id (ASCII), LU NAA 6 (binary, assoc 0), SAS target port NAA 5
 * (protocol 6, PIV, assoc 1). */
static const uint8_t PAGE[] = {
    0x00, 0x83, 0x00, 0x34,
    0x02, 0x01, 0x00, 0x10, 'L', 'I', 'O', '-', 'O', 'R', 'G', ' ',
    'd', 'i', 's', 'k', '0', '0', '0', '1',
    0x01, 0x03, 0x00, 0x10, 0x60, 0x01, 0x40, 0x50, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x61, 0x93, 0x00, 0x08, 0x50, 0x01, 0x40, 0x50, 0x00, 0x00, 0x00, 0xaa,
};

/* has_naa on a heap copy of exactly len bytes. */
static int has_naa(const uint8_t *page, size_t len, unsigned assoc, const uint8_t *id,
                   size_t id_len)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, page, len);
    int r = sg_vpd83_has_naa(copy, len, assoc, id, id_len);
    free(copy);
    return r;
}

static int validate(const uint8_t *page, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, page, len);
    int r = sg_vpd83_validate(copy, len);
    free(copy);
    return r;
}

TEST(finds_lu_naa)
{
    CHECK_INT_EQ(validate(PAGE, sizeof(PAGE)), 0);
    CHECK_INT_EQ(has_naa(PAGE, sizeof(PAGE), SG_VPD_ASSOC_LU, NAA_LU, 16), 1);
    /* Same bytes, other association; a prefix; one byte off. */
    CHECK_INT_EQ(has_naa(PAGE, sizeof(PAGE), SG_VPD_ASSOC_TARGET_PORT, NAA_LU, 16), 0);
    CHECK_INT_EQ(has_naa(PAGE, sizeof(PAGE), SG_VPD_ASSOC_LU, NAA_LU, 8), 0);
    uint8_t other[16];
    memcpy(other, NAA_LU, 16);
    other[15] ^= 0x01;
    CHECK_INT_EQ(has_naa(PAGE, sizeof(PAGE), SG_VPD_ASSOC_LU, other, 16), 0);
}

TEST(finds_target_port_naa)
{
    CHECK_INT_EQ(has_naa(PAGE, sizeof(PAGE), SG_VPD_ASSOC_TARGET_PORT, NAA_PORT, 8), 1);
    CHECK_INT_EQ(has_naa(PAGE, sizeof(PAGE), SG_VPD_ASSOC_LU, NAA_PORT, 8), 0);
    CHECK_INT_EQ(has_naa(PAGE, sizeof(PAGE), SG_VPD_ASSOC_TARGET, NAA_PORT, 8), 0);
}

TEST(only_binary_naa_designators_count)
{
    /* Type 3 in ASCII code set; type 2 (EUI-64) with NAA-looking bytes. */
    static const uint8_t page[] = {
        0x00, 0x83, 0x00, 0x18,
        0x02, 0x03, 0x00, 0x08, 0x50, 0x01, 0x40, 0x50, 0x00, 0x00, 0x00, 0xaa,
        0x01, 0x02, 0x00, 0x08, 0x50, 0x01, 0x40, 0x50, 0x00, 0x00, 0x00, 0xaa,
    };
    CHECK_INT_EQ(validate(page, sizeof(page)), 0);
    CHECK_INT_EQ(has_naa(page, sizeof(page), SG_VPD_ASSOC_LU, NAA_PORT, 8), 0);
}

TEST(every_truncation_is_rejected)
{
    for (size_t len = 0; len < sizeof(PAGE); len++) {
        int v = validate(PAGE, len), h = has_naa(PAGE, len, SG_VPD_ASSOC_LU, NAA_LU, 16);
        if (v != -EBADMSG || h != -EBADMSG)
            TAP_DIAG("len %zu: validate %d, has_naa %d", len, v, h);
        CHECK_INT_EQ(v, -EBADMSG);
        CHECK_INT_EQ(h, -EBADMSG);
    }
    CHECK_INT_EQ(sg_vpd83_validate(NULL, 0), -EBADMSG);
}

TEST(rejects_garbage)
{
    uint8_t page[sizeof(PAGE)];

    /* Another page code (0x80, unit serial number). */
    memcpy(page, PAGE, sizeof(page));
    page[1] = 0x80;
    CHECK_INT_EQ(validate(page, sizeof(page)), -EBADMSG);
    /* A designator length running past the page end. */
    memcpy(page, PAGE, sizeof(page));
    page[4 + 20 + 20 + 3] = 9;
    CHECK_INT_EQ(validate(page, sizeof(page)), -EBADMSG);
    CHECK_INT_EQ(has_naa(page, sizeof(page), SG_VPD_ASSOC_LU, NAA_LU, 16), -EBADMSG);
    /* Page length leaving 3 bytes: a partial descriptor header. */
    static const uint8_t partial[] = {0x00, 0x83, 0x00, 0x03, 0x01, 0x03, 0x00};
    CHECK_INT_EQ(validate(partial, sizeof(partial)), -EBADMSG);
    /* Text, as a broken file might hold. */
    static const uint8_t text[] = "garbage\n";
    CHECK_INT_EQ(validate(text, sizeof(text) - 1), -EBADMSG);
}

TEST(empty_page_and_trailing_bytes)
{
    static const uint8_t empty[] = {0x00, 0x83, 0x00, 0x00};
    CHECK_INT_EQ(validate(empty, sizeof(empty)), 0);
    CHECK_INT_EQ(has_naa(empty, sizeof(empty), SG_VPD_ASSOC_LU, NAA_LU, 16), 0);
    /* A designator after the page's stated end is not part of it. */
    static const uint8_t trailing[] = {
        0x00, 0x83, 0x00, 0x00,
        0x01, 0x13, 0x00, 0x08, 0x50, 0x01, 0x40, 0x50, 0x00, 0x00, 0x00, 0xaa,
    };
    CHECK_INT_EQ(validate(trailing, sizeof(trailing)), 0);
    CHECK_INT_EQ(has_naa(trailing, sizeof(trailing), SG_VPD_ASSOC_TARGET_PORT, NAA_PORT, 8), 0);
    /* A zero-length designator is well-formed and matches nothing. */
    static const uint8_t zero[] = {0x00, 0x83, 0x00, 0x04, 0x01, 0x03, 0x00, 0x00};
    CHECK_INT_EQ(validate(zero, sizeof(zero)), 0);
    CHECK_INT_EQ(has_naa(zero, sizeof(zero), SG_VPD_ASSOC_LU, NAA_LU, 0), 0);
}

TEST(largest_page)
{
    /* 0xffff bytes of descriptors: 257 of 255 bytes. */
    size_t len = SG_VPD_PAGE_MAX;
    uint8_t *page = calloc(1, len);
    REQUIRE(page);
    page[1] = 0x83;
    page[2] = 0xff;
    page[3] = 0xff;
    size_t off = 4;
    for (int i = 0; i < 257; i++, off += 255) {
        page[off] = 0x02;
        page[off + 1] = 0x01;
        page[off + 3] = 251;
    }
    CHECK_INT_EQ(off, len);
    CHECK_INT_EQ(validate(page, len), 0);
    CHECK_INT_EQ(has_naa(page, len, SG_VPD_ASSOC_LU, NAA_LU, 16), 0);
    free(page);
}

TAP_MAIN(finds_lu_naa, finds_target_port_naa, only_binary_naa_designators_count,
         every_truncation_is_rejected, rejects_garbage, empty_page_and_trailing_bytes,
         largest_page)
