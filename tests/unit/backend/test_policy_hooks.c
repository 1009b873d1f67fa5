/* dispatch.c's two policy calls (backend/policy/policy_hooks.c). */
#include <string.h>

#include "cmd_class.h"
#include "policy_hooks.h"
#include "result.h"
#include "tap.h"

static void setup(struct lun *lun, const char *opts, bool passthrough, int type)
{
    struct policy_spec s;
    char err[160];
    memset(lun, 0, sizeof(*lun));
    lun->peripheral_type = type;
    policy_spec_init(&s);
    if (policy_spec_apply(&s, opts, err, sizeof(err)) < 0)
        TAP_DIAG("bad options %s: %s", opts, err);
    lun_policy_build(&lun->policy, &s, passthrough, type, "vscsi-1/0: 0:0:0:0 (test)");
}

static void cmd_of(struct lun_cmd *c, const uint8_t *cdb, unsigned len, enum vscsi_dir dir)
{
    memset(c, 0, sizeof(*c));
    memcpy(c->cdb, cdb, len);
    c->cdb_len = (uint8_t)len;
    c->dir = dir;
    c->data_len = 77;       /* a stale value: the hook must not use it */
    c->residual = 0;
}

TEST(refusals_answer_count_and_log_once)
{
    struct lun lun;
    struct lun_cmd c;
    uint64_t denied = 0;
    setup(&lun, "", true, PTYPE_DISK);
    /* FORMAT UNIT: INVALID COMMAND OPERATION CODE, all data residual. */
    cmd_of(&c, (const uint8_t[]){0x04, 0x10, 0, 0, 0, 0}, 6, VSCSI_DIR_TO_DEVICE);
    CHECK(lun_policy_refused(&lun, &c, 4096, &denied));
    CHECK_INT_EQ(c.status, VSCSI_STATUS_CHECK_CONDITION);
    CHECK_INT_EQ(c.host, XEN_VSCSIIF_RSLT_HOST_OK);
    CHECK_INT_EQ(c.sense_len, 18);
    CHECK_INT_EQ(c.sense[0], 0x70);
    CHECK_INT_EQ(c.sense[2], 0x05);          /* ILLEGAL REQUEST */
    CHECK_INT_EQ(c.sense[12], 0x20);         /* INVALID COMMAND OPERATION CODE */
    CHECK_INT_EQ(c.sense[13], 0x00);
    CHECK_INT_EQ(c.sense[15], 0);            /* no field pointer */
    CHECK_INT_EQ(c.residual, 4096);
    CHECK_INT_EQ(c.data_len, 4096);
    CHECK_INT_EQ(denied, 1);
    CHECK(!lun_policy_first_refusal(&lun.policy, 0x04));   /* logged already */
    /* WRITE BUFFER download microcode: INVALID FIELD IN CDB at byte 1. */
    cmd_of(&c, (const uint8_t[]){0x3b, 0x07, 0, 0, 0, 0, 0, 0x10, 0, 0}, 10,
           VSCSI_DIR_TO_DEVICE);
    CHECK(lun_policy_refused(&lun, &c, 4096, &denied));
    CHECK_INT_EQ(c.sense[2], 0x05);
    CHECK_INT_EQ(c.sense[12], 0x24);
    CHECK_INT_EQ(c.sense[15], 0xc0);         /* SKSV, C/D: a CDB field */
    CHECK_INT_EQ(c.sense[16], 0);
    CHECK_INT_EQ(c.sense[17], 1);
    CHECK_INT_EQ(denied, 2);
    /* The same opcode with a harmless mode passes. */
    cmd_of(&c, (const uint8_t[]){0x3b, 0x02, 0, 0, 0, 0, 0, 0x10, 0, 0}, 10,
           VSCSI_DIR_TO_DEVICE);
    CHECK(!lun_policy_refused(&lun, &c, 4096, &denied));
    CHECK_INT_EQ(c.data_len, 77);            /* untouched */
    cmd_of(&c, (const uint8_t[]){0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0}, 10, VSCSI_DIR_FROM_DEVICE);
    CHECK(!lun_policy_refused(&lun, &c, 4096, &denied));
    CHECK_INT_EQ(denied, 2);
}

TEST(read_only_write_protected)
{
    struct lun lun;
    struct lun_cmd c;
    uint64_t denied = 0;
    setup(&lun, "ro", false, PTYPE_DISK);
    cmd_of(&c, (const uint8_t[]){0x2a, 0, 0, 0, 0, 0, 0, 0, 8, 0}, 10, VSCSI_DIR_TO_DEVICE);
    CHECK(lun_policy_refused(&lun, &c, 4096, &denied));
    CHECK_INT_EQ(c.sense[2], 0x07);          /* DATA PROTECT */
    CHECK_INT_EQ(c.sense[12], 0x27);         /* WRITE PROTECTED */
    CHECK_INT_EQ(c.residual, 4096);
    CHECK_INT_EQ(denied, 1);
    setup(&lun, "ro", true, PTYPE_TAPE);
    cmd_of(&c, (const uint8_t[]){0x10, 0, 0, 0, 1, 0}, 6, VSCSI_DIR_NONE);
    CHECK(lun_policy_refused(&lun, &c, 0, &denied));
    CHECK_INT_EQ(c.sense[2], 0x07);
    CHECK_INT_EQ(c.residual, 0);
    CHECK_INT_EQ(denied, 2);
}

TEST(no_policy_no_refusal_no_change)
{
    struct lun lun;
    struct lun_cmd c;
    uint64_t denied = 0;
    setup(&lun, "", false, PTYPE_DISK);
    cmd_of(&c, (const uint8_t[]){0x04, 0, 0, 0, 0, 0}, 6, VSCSI_DIR_NONE);
    CHECK(!lun_policy_refused(&lun, &c, 0, &denied));
    uint8_t ms[8] = {7, 0, 0, 0};
    struct iovec iov = {ms, sizeof(ms)};
    cmd_of(&c, (const uint8_t[]){0x1a, 0, 0x3f, 0, 8, 0}, 6, VSCSI_DIR_FROM_DEVICE);
    c.iov = &iov;
    c.iov_cnt = 1;
    c.data_len = 8;
    lun_policy_answer(&lun, &c);
    CHECK_INT_EQ(ms[2], 0);
    lun_policy_answer(NULL, &c);             /* an emulated command */
    CHECK_INT_EQ(denied, 0);
}

TEST(answers_fixed_mode_sense_wp_on_read_only)
{
    struct lun lun;
    struct lun_cmd c;
    setup(&lun, "ro", true, PTYPE_DISK);
    uint8_t ms[24] = {23, 0, 0x10, 8};
    struct iovec iov = {ms, sizeof(ms)};
    cmd_of(&c, (const uint8_t[]){0x1a, 0, 0x3f, 0, 24, 0}, 6, VSCSI_DIR_FROM_DEVICE);
    c.iov = &iov;
    c.iov_cnt = 1;
    c.data_len = 24;
    c.residual = 0;
    lun_policy_answer(&lun, &c);
    CHECK_INT_EQ(ms[2], 0x90);
    /* MODE SENSE(10), 4 bytes came back of 24: byte 3 is in them. */
    uint8_t m10[24] = {0, 22, 0, 0};
    iov.iov_base = m10;
    cmd_of(&c, (const uint8_t[]){0x5a, 0, 0x3f, 0, 0, 0, 0, 0, 24, 0}, 10,
           VSCSI_DIR_FROM_DEVICE);
    c.iov = &iov;
    c.iov_cnt = 1;
    c.data_len = 24;
    c.residual = 20;
    lun_policy_answer(&lun, &c);
    CHECK_INT_EQ(m10[3], 0x80);
    /* Not when nothing came back, nor on a host error, nor data-out. */
    uint8_t z[8] = {0};
    iov.iov_base = z;
    c.residual = 24;
    lun_policy_answer(&lun, &c);
    c.residual = 0;
    c.host = XEN_VSCSIIF_RSLT_HOST_ERROR;
    lun_policy_answer(&lun, &c);
    c.host = XEN_VSCSIIF_RSLT_HOST_OK;
    c.dir = VSCSI_DIR_TO_DEVICE;
    iov.iov_len = 8;
    c.data_len = 8;
    lun_policy_answer(&lun, &c);
    CHECK_INT_EQ(z[3], 0);
    /* A changer has no WP bit there. */
    setup(&lun, "ro", true, PTYPE_CHANGER);
    c.dir = VSCSI_DIR_FROM_DEVICE;
    lun_policy_answer(&lun, &c);
    CHECK_INT_EQ(z[3], 0);
}

TEST(answers_fixed_report_opcodes_residual_grows)
{
    struct lun lun;
    struct lun_cmd c;
    setup(&lun, "", true, PTYPE_TAPE);
    /* Two descriptors: FORMAT MEDIUM (denied) and READ(6). */
    uint8_t d[64] = {0, 0, 0, 16, 0x04, 0, 0, 0, 0, 0, 0, 6, 0x08, 0, 0, 0, 0, 0, 0, 6};
    struct iovec iov = {d, sizeof(d)};
    cmd_of(&c, (const uint8_t[]){0xa3, 0x0c, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0}, 12,
           VSCSI_DIR_FROM_DEVICE);
    c.iov = &iov;
    c.iov_cnt = 1;
    c.data_len = 64;
    c.residual = 64 - 20;
    lun_policy_answer(&lun, &c);
    CHECK_INT_EQ(c.residual, 64 - 12);
    CHECK_INT_EQ(d[3], 8);
    CHECK_INT_EQ(d[4], 0x08);
    /* 0xa3 on a CD/DVD drive is SEND KEY: left alone. */
    setup(&lun, "", true, PTYPE_CDROM);
    uint8_t e[20] = {0, 0, 0, 16, 0x04};
    iov.iov_base = e;
    iov.iov_len = sizeof(e);
    c.data_len = 20;
    c.residual = 0;
    lun_policy_answer(&lun, &c);
    CHECK_INT_EQ(c.residual, 0);
    CHECK_INT_EQ(e[4], 0x04);
}

TAP_MAIN(refusals_answer_count_and_log_once, read_only_write_protected,
         no_policy_no_refusal_no_change, answers_fixed_mode_sense_wp_on_read_only,
         answers_fixed_report_opcodes_residual_grows)
