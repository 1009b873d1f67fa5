/* What a policy changes in answers (backend/policy/answer_fixup.c). */
#include <string.h>

#include "answer_fixup.h"
#include "cmd_class.h"
#include "tap.h"

static void build(struct lun_policy *p, const char *opts, int type)
{
    struct policy_spec s;
    char err[160];
    policy_spec_init(&s);
    if (policy_spec_apply(&s, opts, err, sizeof(err)) < 0)
        TAP_DIAG("bad options %s: %s", opts, err);
    lun_policy_build(p, &s, true, type, "test-lun");
}

TEST(mode_sense_wp_bit)
{
    uint8_t d[12] = {11, 0, 0x10, 8};
    struct iovec iov[2] = {{d, 2}, {d + 2, 10}};   /* the byte in the second iovec */
    fixup_mode_sense_wp(iov, 2, 12, false);
    CHECK_INT_EQ(d[2], 0x90);
    CHECK_INT_EQ(d[0], 11);
    CHECK_INT_EQ(d[3], 8);
    uint8_t t[8] = {0, 6, 0, 0x00, 0, 0, 0, 0};
    struct iovec one = {t, 8};
    fixup_mode_sense_wp(&one, 1, 8, true);
    CHECK_INT_EQ(t[3], 0x80);
    CHECK_INT_EQ(t[2], 0);
    /* Too short an answer: nothing to set. */
    uint8_t s[4] = {3, 0, 0, 0};
    struct iovec si = {s, 4};
    fixup_mode_sense_wp(&si, 1, 2, false);
    CHECK_INT_EQ(s[2], 0);
    fixup_mode_sense_wp(&si, 1, 3, true);
    CHECK_INT_EQ(s[3], 0);
}

/* An all-commands list: header + descriptors (opcode, sa, flags). */
static size_t put_desc(uint8_t *b, uint8_t op, uint16_t sa, bool servactv, bool ctdp)
{
    memset(b, 0, 20);
    b[0] = op;
    b[2] = (uint8_t)(sa >> 8);
    b[3] = (uint8_t)sa;
    b[5] = (uint8_t)((servactv ? 1 : 0) | (ctdp ? 2 : 0));
    b[7] = 10;
    if (ctdp) {
        b[9] = 0x0a;    /* timeouts descriptor length */
        b[19] = op;     /* a recognisable timeout */
        return 20;
    }
    return 8;
}

TEST(report_opcodes_all_drops_denied_descriptors)
{
    struct lun_policy p;
    build(&p, "deny=0x28", PTYPE_DISK);
    uint8_t d[256];
    size_t n = 4;
    n += put_desc(d + n, 0x2a, 0, false, false);        /* WRITE(10): kept */
    n += put_desc(d + n, 0x04, 0, false, true);         /* FORMAT UNIT: dropped (20 B) */
    n += put_desc(d + n, 0x3b, 0, false, false);        /* WRITE BUFFER: kept */
    n += put_desc(d + n, 0x28, 0, false, false);        /* READ(10), denied by opcode */
    n += put_desc(d + n, 0xa4, 0x0a, true, false);      /* SET TARGET PORT GROUPS: dropped */
    n += put_desc(d + n, 0xa4, 0x0f, true, true);       /* SET TIMESTAMP: kept */
    n += put_desc(d + n, 0xc1, 0, false, false);        /* vendor: dropped */
    d[0] = 0;
    d[1] = 0;
    d[2] = 0;
    d[3] = (uint8_t)(n - 4);
    memset(d + n, 0xee, sizeof(d) - n);
    /* Three iovecs cutting through descriptors. */
    struct iovec iov[3] = {{d, 13}, {d + 13, 30}, {d + 43, sizeof(d) - 43}};
    uint32_t left = fixup_report_opcodes(&p, (const uint8_t[16]){0xa3, 0x0c, 0}, iov, 3,
                                         (uint32_t)n);
    CHECK_INT_EQ(left, 4 + 8 + 8 + 20);
    CHECK_INT_EQ(d[3], 8 + 8 + 20);
    CHECK_INT_EQ(d[4], 0x2a);
    CHECK_INT_EQ(d[12], 0x3b);
    CHECK_INT_EQ(d[20], 0xa4);
    CHECK_INT_EQ(d[23], 0x0f);
    CHECK_INT_EQ(d[20 + 19], 0xa4);    /* its timeouts descriptor came along */
    for (size_t i = left; i < n; i++)
        CHECK_INT_EQ(d[i], 0);
    CHECK_INT_EQ(d[n], 0xee);          /* nothing past the answer touched */
}

TEST(report_opcodes_all_truncated_by_allocation_length)
{
    struct lun_policy p;
    build(&p, "", PTYPE_DISK);
    uint8_t d[64];
    size_t n = 4;
    n += put_desc(d + n, 0x04, 0, false, false);   /* dropped */
    n += put_desc(d + n, 0x28, 0, false, false);
    n += put_desc(d + n, 0x48, 0, false, false);   /* dropped, cut short */
    n += put_desc(d + n, 0x2a, 0, false, false);
    memset(d, 0, 4);
    d[3] = (uint8_t)(n - 4);                        /* the device lists 32 bytes */
    struct iovec iov = {d, sizeof(d)};
    /* The guest asked for 24 bytes: header, two descriptors, half a third. */
    uint32_t left = fixup_report_opcodes(&p, (const uint8_t[16]){0xa3, 0x0c, 0}, &iov, 1, 24);
    CHECK_INT_EQ(left, 12);
    CHECK_INT_EQ(d[3], 32 - 16);                    /* both denied ones gone from the count */
    CHECK_INT_EQ(d[4], 0x28);
    for (unsigned i = 12; i < 24; i++)
        CHECK_INT_EQ(d[i], 0);
    /* A header claiming more than came back, and nothing hidden: as it was. */
    build(&p, "allow=all,deny=0x00", PTYPE_DISK);
    uint8_t e[12] = {0, 0, 0, 200, 0x28, 0, 0, 0, 0, 0, 0, 10};
    struct iovec ie = {e, sizeof(e)};
    CHECK_INT_EQ(fixup_report_opcodes(&p, (const uint8_t[16]){0xa3, 0x0c, 0}, &ie, 1, 12), 12);
    CHECK_INT_EQ(e[3], 200);
    CHECK_INT_EQ(fixup_report_opcodes(&p, (const uint8_t[16]){0xa3, 0x0c, 0}, &ie, 1, 3), 3);
}

TEST(report_opcodes_one_command)
{
    struct lun_policy p;
    build(&p, "", PTYPE_DISK);
    /* FORMAT UNIT, reporting option 1: "supported" becomes "not supported". */
    uint8_t d[20] = {0, 0x03, 0, 6, 0x04, 0xff, 0, 0, 0, 0x07};
    struct iovec iov = {d, sizeof(d)};
    uint32_t left = fixup_report_opcodes(&p, (const uint8_t[16]){0xa3, 0x0c, 0x01, 0x04}, &iov,
                                         1, 10);
    CHECK_INT_EQ(left, 4);
    CHECK_INT_EQ(d[1], 0x01);
    CHECK_INT_EQ(d[3], 0);
    for (unsigned i = 4; i < 10; i++)
        CHECK_INT_EQ(d[i], 0);
    /* MAINTENANCE OUT / SET TARGET PORT GROUPS by service action (option 2). */
    uint8_t m[16] = {0, 0x03, 0, 12, 0xa4, 0x0a};
    struct iovec im = {m, sizeof(m)};
    CHECK_INT_EQ(fixup_report_opcodes(&p, (const uint8_t[16]){0xa3, 0x0c, 0x02, 0xa4, 0, 0x0a},
                                      &im, 1, 16), 4);
    CHECK_INT_EQ(m[1], 0x01);
    /* SET TIMESTAMP passes, and so does READ(10). */
    uint8_t t[16] = {0, 0x03, 0, 12, 0xa4, 0x0f};
    struct iovec it = {t, sizeof(t)};
    CHECK_INT_EQ(fixup_report_opcodes(&p, (const uint8_t[16]){0xa3, 0x0c, 0x02, 0xa4, 0, 0x0f},
                                      &it, 1, 16), 16);
    CHECK_INT_EQ(t[1], 0x03);
    CHECK_INT_EQ(fixup_report_opcodes(&p, (const uint8_t[16]){0xa3, 0x0c, 0x01, 0x28}, &it, 1,
                                      16), 16);
    /* A reporting option of a later standard is left alone. */
    CHECK_INT_EQ(fixup_report_opcodes(&p, (const uint8_t[16]){0xa3, 0x0c, 0x05, 0x04}, &it, 1,
                                      16), 16);
}

TAP_MAIN(mode_sense_wp_bit, report_opcodes_all_drops_denied_descriptors,
         report_opcodes_all_truncated_by_allocation_length, report_opcodes_one_command)
