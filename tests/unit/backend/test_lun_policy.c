/* A LUN's built policy (backend/policy/lun_policy.c). */
#include <string.h>

#include "cmd_class.h"
#include "lun_policy.h"
#include "tap.h"

static void build(struct lun_policy *p, const char *opts, bool passthrough, int type)
{
    struct policy_spec s;
    char err[160];
    policy_spec_init(&s);
    if (policy_spec_apply(&s, opts, err, sizeof(err)) < 0)
        TAP_DIAG("bad options %s: %s", opts, err);
    lun_policy_build(p, &s, passthrough, type, "test-lun");
}

static enum policy_verdict verdict(const struct lun_policy *p, uint8_t b0, uint8_t b1)
{
    const uint8_t cdb[16] = {b0, b1};
    return lun_policy_decide(p, cdb, 10).verdict;
}

TEST(emulated_disk_without_options_has_no_policy)
{
    struct lun_policy p;
    build(&p, "", false, PTYPE_DISK);
    CHECK(!p.on);
    CHECK_INT_EQ(p.denied_classes, 0);
    CHECK_INT_EQ(verdict(&p, 0x04, 0), POLICY_PASS);
    CHECK_INT_EQ(p.table[0x04], POLICY_PASS);
    /* Passthrough with everything allowed: nothing left to check either. */
    build(&p, "allow=all", true, PTYPE_DISK);
    CHECK(!p.on);
}

TEST(passthrough_defaults)
{
    struct lun_policy p;
    build(&p, "", true, PTYPE_DISK);
    CHECK(p.on);
    CHECK(!p.read_only);
    CHECK_INT_EQ(p.denied_classes, POLICY_DEFAULT_DENIED);
    CHECK_INT_EQ(verdict(&p, 0x04, 0), POLICY_DENY_OPCODE);      /* FORMAT UNIT */
    CHECK_INT_EQ(verdict(&p, 0x48, 0), POLICY_DENY_OPCODE);      /* SANITIZE */
    CHECK_INT_EQ(verdict(&p, 0xc5, 0), POLICY_DENY_OPCODE);      /* vendor */
    CHECK_INT_EQ(verdict(&p, 0x85, 0), POLICY_DENY_OPCODE);      /* ATA PASS-THROUGH */
    CHECK_INT_EQ(verdict(&p, 0xb5, 0), POLICY_DENY_OPCODE);      /* SECURITY PROTOCOL OUT */
    CHECK_INT_EQ(verdict(&p, 0x3b, 0x05), POLICY_DENY_FIELD);    /* microcode */
    CHECK_INT_EQ(verdict(&p, 0x3b, 0x02), POLICY_PASS);          /* data buffer */
    CHECK_INT_EQ(verdict(&p, 0x15, 0x11), POLICY_DENY_FIELD);    /* MODE SELECT SP */
    CHECK_INT_EQ(verdict(&p, 0x15, 0x10), POLICY_PASS);
    CHECK_INT_EQ(verdict(&p, 0xa4, 0x0a), POLICY_DENY_FIELD);    /* SET TARGET PORT GROUPS */
    CHECK_INT_EQ(verdict(&p, 0x2a, 0), POLICY_PASS);             /* WRITE(10) */
    CHECK_INT_EQ(verdict(&p, 0x5f, 0), POLICY_PASS);             /* reservations allowed */
    CHECK_INT_EQ(verdict(&p, 0x1d, 0), POLICY_PASS);
    /* The table: decided opcodes, and the ones to inspect. */
    CHECK_INT_EQ(p.table[0x04], POLICY_DENY_OPCODE);
    CHECK_INT_EQ(p.table[0x28], POLICY_PASS);
    CHECK_INT_EQ(p.table[0x3b], POLICY_INSPECT);
    CHECK_INT_EQ(p.table[0x15], POLICY_INSPECT);
    /* On a tape, the data encryption protocol passes. */
    build(&p, "", true, PTYPE_TAPE);
    CHECK_INT_EQ(verdict(&p, 0xb5, 0x20), POLICY_PASS);
    CHECK_INT_EQ(verdict(&p, 0xb5, 0xef), POLICY_DENY_FIELD);
    CHECK_INT_EQ(verdict(&p, 0x04, 0), POLICY_DENY_OPCODE);      /* FORMAT MEDIUM */
    CHECK_INT_EQ(verdict(&p, 0x0a, 0), POLICY_PASS);
}

TEST(options_allow_and_deny_classes_and_opcodes)
{
    struct lun_policy p;
    build(&p, "allow=firmware,deny=reservations,deny=0x28,allow=0xc5", true, PTYPE_DISK);
    CHECK_INT_EQ(verdict(&p, 0x3b, 0x05), POLICY_PASS);
    CHECK_INT_EQ(verdict(&p, 0x5f, 0), POLICY_DENY_OPCODE);
    CHECK_INT_EQ(verdict(&p, 0x28, 0), POLICY_DENY_OPCODE);
    CHECK_INT_EQ(verdict(&p, 0xc5, 0), POLICY_PASS);             /* the opcode wins */
    CHECK_INT_EQ(verdict(&p, 0xc6, 0), POLICY_DENY_OPCODE);
    /* An allowed opcode of a class denied by a field: every mode passes. */
    build(&p, "allow=0x3b", true, PTYPE_DISK);
    CHECK_INT_EQ(verdict(&p, 0x3b, 0x05), POLICY_PASS);
    /* An emulated disk: only what was said. */
    build(&p, "deny=0x35", false, PTYPE_DISK);
    CHECK(p.on);
    CHECK_INT_EQ(verdict(&p, 0x35, 0), POLICY_DENY_OPCODE);
    CHECK_INT_EQ(verdict(&p, 0x04, 0), POLICY_PASS);
}

TEST(read_only_comes_first)
{
    struct lun_policy p;
    build(&p, "ro", false, PTYPE_DISK);
    CHECK(p.on);
    CHECK(p.read_only);
    CHECK_INT_EQ(verdict(&p, 0x2a, 0), POLICY_WRITE_PROTECT);
    CHECK_INT_EQ(verdict(&p, 0x42, 0), POLICY_WRITE_PROTECT);    /* UNMAP */
    CHECK_INT_EQ(verdict(&p, 0x28, 0), POLICY_PASS);
    CHECK_INT_EQ(p.table[0x2a], POLICY_WRITE_PROTECT);
    build(&p, "ro,allow=0x2a", true, PTYPE_DISK);
    CHECK_INT_EQ(verdict(&p, 0x2a, 0), POLICY_WRITE_PROTECT);
    CHECK_INT_EQ(verdict(&p, 0x04, 0), POLICY_WRITE_PROTECT);    /* denied too: ro says it */
    build(&p, "ro", true, PTYPE_TAPE);
    CHECK_INT_EQ(verdict(&p, 0x10, 0), POLICY_WRITE_PROTECT);    /* WRITE FILEMARKS */
    CHECK_INT_EQ(verdict(&p, 0x01, 0), POLICY_PASS);             /* REWIND */
}

TEST(hidden_from_report_supported_operation_codes)
{
    struct lun_policy p;
    build(&p, "ro,deny=0x28", true, PTYPE_DISK);
    const uint8_t fmt[16] = {0x04}, wb[16] = {0x3b}, write[16] = {0x2a}, read[16] = {0x28},
                  tpg[16] = {0xa4, 0x0a}, ts[16] = {0xa4, 0x0f};
    CHECK(lun_policy_hidden(&p, fmt, 16));       /* denied, and write-protected */
    CHECK(!lun_policy_hidden(&p, wb, 16));       /* some modes of it pass */
    CHECK(!lun_policy_hidden(&p, write, 16));    /* supported, only protected */
    CHECK(lun_policy_hidden(&p, read, 16));
    CHECK(lun_policy_hidden(&p, tpg, 16));       /* a service action */
    CHECK(!lun_policy_hidden(&p, ts, 16));
}

TEST(first_refusal_once_per_opcode)
{
    struct lun_policy p;
    build(&p, "", true, PTYPE_DISK);
    CHECK(lun_policy_first_refusal(&p, 0x04));
    CHECK(!lun_policy_first_refusal(&p, 0x04));
    CHECK(lun_policy_first_refusal(&p, 0xff));
    CHECK(lun_policy_first_refusal(&p, 0x00));
    CHECK(lun_policy_first_refusal(&p, 0x44));
    CHECK(!lun_policy_first_refusal(&p, 0xff));
    CHECK(!lun_policy_first_refusal(&p, 0x44));
}

TEST(describes_itself)
{
    struct lun_policy p;
    char d[256];
    build(&p, "", false, PTYPE_DISK);
    lun_policy_describe(&p, d, sizeof(d));
    CHECK_STR_EQ(d, "no policy");
    build(&p, "ro,allow=all,deny=sanitize,deny=0x3b,allow=0xc1", true, PTYPE_DISK);
    lun_policy_describe(&p, d, sizeof(d));
    CHECK_STR_EQ(d, "ro; denied: sanitize 0x3b; allowed: 0xc1");
    build(&p, "", true, PTYPE_DISK);
    lun_policy_describe(&p, d, sizeof(d));
    CHECK_STR_EQ(d, "rw; denied: firmware format sanitize security ata vendor maintenance "
                    "mode-save");
    lun_policy_describe(&p, d, 10);   /* cut short, terminated */
    CHECK_STR_EQ(d, "rw; denie");
}

TAP_MAIN(emulated_disk_without_options_has_no_policy, passthrough_defaults,
         options_allow_and_deny_classes_and_opcodes, read_only_comes_first,
         hidden_from_report_supported_operation_codes, first_refusal_once_per_opcode,
         describes_itself)
