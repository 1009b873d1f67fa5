/* SCSI command classes and medium-changing commands (backend/policy/cmd_class.c). */
#include "cmd_class.h"
#include "tap.h"

static struct cmd_kind kind(int type, uint8_t b0, uint8_t b1)
{
    const uint8_t cdb[16] = {b0, b1};
    return cmd_kind_of(type, cdb, 10);
}

TEST(class_names_round_trip)
{
    for (int c = 0; c < POLICY_NR_CLASSES; c++)
        CHECK_INT_EQ(policy_class_by_name(policy_class_name(c)), c);
    CHECK_INT_EQ(policy_class_by_name("mode-save"), POLICY_MODE_SAVE);
    CHECK_INT_EQ(policy_class_by_name("Firmware"), -1);
    CHECK_INT_EQ(policy_class_by_name(""), -1);
    CHECK_STR_EQ(policy_class_name(POLICY_NR_CLASSES), "?");
}

TEST(write_buffer_modes_microcode_is_firmware_data_and_echo_are_not)
{
    static const uint8_t firmware[] = {0x00, 0x01, 0x04, 0x05, 0x06, 0x07, 0x0d, 0x0e, 0x0f,
                                       0x1a, 0x1b, 0x03, 0x1f};
    for (unsigned i = 0; i < sizeof(firmware); i++) {
        struct cmd_kind k = kind(PTYPE_DISK, 0x3b, firmware[i]);
        CHECK_INT_EQ(k.cls, POLICY_FIRMWARE);
        CHECK_INT_EQ(k.scope, CMD_BY_FIELD);
        CHECK_INT_EQ(k.field_byte, 1);
        CHECK(!k.writes_medium);
    }
    CHECK_INT_EQ(kind(PTYPE_DISK, 0x3b, 0x02).cls, -1);   /* data */
    CHECK_INT_EQ(kind(PTYPE_TAPE, 0x3b, 0x0a).cls, -1);   /* echo buffer */
    CHECK_INT_EQ(kind(PTYPE_DISK, 0x3b, 0x1c).cls, -1);   /* error history */
    /* Bits 5-7 of byte 1 are not the mode. */
    CHECK_INT_EQ(kind(PTYPE_DISK, 0x3b, 0xe2).cls, -1);
    CHECK_INT_EQ(kind(PTYPE_DISK, 0x3b, 0xe5).cls, POLICY_FIRMWARE);
}

TEST(opcode_classes)
{
    CHECK_INT_EQ(kind(PTYPE_DISK, 0x04, 0).cls, POLICY_FORMAT);
    CHECK_INT_EQ(kind(PTYPE_TAPE, 0x04, 0).cls, POLICY_FORMAT);   /* FORMAT MEDIUM */
    CHECK_INT_EQ(kind(PTYPE_DISK, 0x38, 0).cls, POLICY_FORMAT);
    CHECK_INT_EQ(kind(PTYPE_DISK, 0x48, 0).cls, POLICY_SANITIZE);
    CHECK_INT_EQ(kind(PTYPE_DISK, 0x85, 0).cls, POLICY_ATA);
    CHECK_INT_EQ(kind(PTYPE_DISK, 0xa1, 0).cls, POLICY_ATA);
    CHECK_INT_EQ(kind(PTYPE_CDROM, 0xa1, 0).cls, -1);             /* BLANK */
    CHECK_INT_EQ(kind(PTYPE_CHANGER, 0xc0, 0).cls, POLICY_VENDOR);
    CHECK_INT_EQ(kind(PTYPE_TAPE, 0xff, 0).cls, POLICY_VENDOR);
    CHECK_INT_EQ(kind(PTYPE_TAPE, 0xbf, 0).cls, -1);
    CHECK_INT_EQ(kind(PTYPE_DISK, 0x5f, 0).cls, POLICY_RESERVATIONS);
    CHECK_INT_EQ(kind(PTYPE_TAPE, 0x16, 0).cls, POLICY_RESERVATIONS);
    CHECK_INT_EQ(kind(PTYPE_DISK, 0x1d, 0).cls, POLICY_DIAGNOSTIC);
    CHECK_INT_EQ(kind(PTYPE_DISK, 0x4c, 0).cls, POLICY_LOG_SELECT);
    CHECK_INT_EQ(kind(PTYPE_DISK, 0x28, 0).cls, -1);
    CHECK_INT_EQ(kind(PTYPE_DISK, 0x12, 0).cls, -1);
    CHECK_INT_EQ(kind(PTYPE_DISK, 0x04, 0).scope, CMD_BY_OPCODE);
}

TEST(security_protocol_out_on_disks_all_on_tapes_not_encryption)
{
    struct cmd_kind k = kind(PTYPE_DISK, 0xb5, 0x20);
    CHECK_INT_EQ(k.cls, POLICY_SECURITY);
    CHECK_INT_EQ(k.scope, CMD_BY_OPCODE);
    CHECK(k.writes_medium);                 /* a crypto erase */
    CHECK_INT_EQ(kind(PTYPE_TAPE, 0xb5, 0x20).cls, -1);   /* tape data encryption */
    CHECK(!kind(PTYPE_TAPE, 0xb5, 0x20).writes_medium);
    k = kind(PTYPE_TAPE, 0xb5, 0x01);
    CHECK_INT_EQ(k.cls, POLICY_SECURITY);
    CHECK_INT_EQ(k.scope, CMD_BY_FIELD);
}

TEST(maintenance_out_but_set_timestamp_and_not_on_mmc)
{
    struct cmd_kind k = kind(PTYPE_DISK, 0xa4, 0x06);   /* SET IDENTIFYING INFORMATION */
    CHECK_INT_EQ(k.cls, POLICY_MAINTENANCE);
    CHECK_INT_EQ(k.scope, CMD_BY_SERVICE_ACTION);
    CHECK_INT_EQ(kind(PTYPE_TAPE, 0xa4, 0x0a).cls, POLICY_MAINTENANCE);
    CHECK_INT_EQ(kind(PTYPE_TAPE, 0xa4, 0x0f).cls, -1);   /* SET TIMESTAMP */
    CHECK_INT_EQ(kind(PTYPE_CDROM, 0xa4, 0x06).cls, -1);  /* REPORT KEY */
}

TEST(mode_select_with_save_pages)
{
    CHECK_INT_EQ(kind(PTYPE_DISK, 0x15, 0x11).cls, POLICY_MODE_SAVE);
    CHECK_INT_EQ(kind(PTYPE_TAPE, 0x55, 0x01).cls, POLICY_MODE_SAVE);
    CHECK_INT_EQ(kind(PTYPE_TAPE, 0x15, 0x10).cls, -1);   /* PF only */
}

TEST(ata_pass_through_32_by_service_action)
{
    uint8_t cdb[16] = {0x7f, 0, 0, 0, 0, 0, 0, 0x18, 0x1f, 0xf0};
    struct cmd_kind k = cmd_kind_of(PTYPE_DISK, cdb, 16);
    CHECK_INT_EQ(k.cls, POLICY_ATA);
    CHECK_INT_EQ(k.scope, CMD_BY_SERVICE_ACTION);
    CHECK_INT_EQ(k.field_byte, 8);
    CHECK(k.writes_medium);
    cdb[8] = 0x00;
    cdb[9] = 0x09;   /* READ(32) */
    k = cmd_kind_of(PTYPE_DISK, cdb, 16);
    CHECK_INT_EQ(k.cls, -1);
    CHECK(!k.writes_medium);
    cdb[9] = 0x0b;   /* WRITE(32) */
    CHECK(cmd_kind_of(PTYPE_DISK, cdb, 16).writes_medium);
}

TEST(disk_writes_change_the_medium)
{
    static const uint8_t writes[] = {0x04, 0x07, 0x0a, 0x2a, 0x2e, 0x38, 0x3f, 0x41, 0x42,
                                     0x48, 0x50, 0x51, 0x53, 0x83, 0x85, 0x89, 0x8a, 0x8b,
                                     0x8d, 0x8e, 0x93, 0x9a, 0x9c, 0xa1, 0xaa, 0xae, 0xb5};
    for (unsigned i = 0; i < sizeof(writes); i++) {
        CHECK(kind(PTYPE_DISK, writes[i], 0).writes_medium);
        CHECK(kind(PTYPE_UNKNOWN, writes[i], 0).writes_medium);
        CHECK(kind(PTYPE_RBC, writes[i], 0).writes_medium);
    }
    static const uint8_t reads[] = {0x00, 0x03, 0x08, 0x12, 0x15, 0x1a, 0x1b, 0x25, 0x28,
                                    0x2f, 0x35, 0x3b, 0x5a, 0x88, 0x91, 0x9e, 0xa0, 0xa8};
    for (unsigned i = 0; i < sizeof(reads); i++)
        CHECK(!kind(PTYPE_DISK, reads[i], 0).writes_medium);
    CHECK(kind(PTYPE_DISK, 0x9f, 0x11).writes_medium);    /* WRITE LONG(16) */
    CHECK(kind(PTYPE_DISK, 0x9f, 0x12).writes_medium);    /* WRITE SCATTERED(16) */
    CHECK(!kind(PTYPE_DISK, 0x9f, 0x10).writes_medium);
}

TEST(tape_writes_change_the_medium_positioning_does_not)
{
    static const uint8_t writes[] = {0x04, 0x0a, 0x0b, 0x10, 0x19, 0x80, 0x8a, 0x8d, 0x93};
    for (unsigned i = 0; i < sizeof(writes); i++)
        CHECK(kind(PTYPE_TAPE, writes[i], 0).writes_medium);
    static const uint8_t others[] = {0x00, 0x01, 0x05, 0x08, 0x11, 0x15, 0x1a, 0x1b, 0x1e,
                                     0x2b, 0x34, 0x88, 0x91, 0x92, 0x2a, 0x42, 0xb5};
    for (unsigned i = 0; i < sizeof(others); i++)
        CHECK(!kind(PTYPE_TAPE, others[i], 0).writes_medium);
}

TEST(optical_and_changer)
{
    CHECK(kind(PTYPE_CDROM, 0x2a, 0).writes_medium);
    CHECK(kind(PTYPE_CDROM, 0xa1, 0).writes_medium);     /* BLANK */
    CHECK(kind(PTYPE_CDROM, 0x5b, 0).writes_medium);
    CHECK(!kind(PTYPE_CDROM, 0x28, 0).writes_medium);
    CHECK(!kind(PTYPE_CDROM, 0x1b, 0).writes_medium);    /* eject */
    CHECK(!kind(PTYPE_CHANGER, 0xa5, 0).writes_medium);  /* MOVE MEDIUM */
    CHECK(!kind(PTYPE_CHANGER, 0x0a, 0).writes_medium);
}

TEST(which_opcodes_need_more_than_the_opcode)
{
    static const uint8_t fields[] = {0x3b, 0xb5, 0x7f, 0x15, 0x55, 0xa4, 0x9f};
    for (unsigned i = 0; i < sizeof(fields); i++)
        CHECK(!cmd_kind_by_opcode_alone(PTYPE_DISK, fields[i]));
    CHECK(cmd_kind_by_opcode_alone(PTYPE_CDROM, 0xa4));
    CHECK(cmd_kind_by_opcode_alone(PTYPE_TAPE, 0x9f));
    CHECK(cmd_kind_by_opcode_alone(PTYPE_DISK, 0x2a));
    /* For every opcode that says so, no other byte changes the answer. */
    for (int type = -1; type <= 8; type++)
        for (unsigned op = 0; op < 256; op++) {
            if (!cmd_kind_by_opcode_alone(type, (uint8_t)op))
                continue;
            uint8_t zero[16] = {(uint8_t)op}, ones[16];
            for (unsigned i = 0; i < 16; i++)
                ones[i] = i ? 0xff : (uint8_t)op;
            struct cmd_kind a = cmd_kind_of(type, zero, 16), b = cmd_kind_of(type, ones, 16);
            CHECK(a.cls == b.cls && a.writes_medium == b.writes_medium);
        }
}

TEST(service_action_placement)
{
    uint8_t cdb[16] = {0xa3, 0xe0};
    cmd_put_service_action(cdb, 0x0c);
    CHECK_INT_EQ(cdb[1], 0xec);
    uint8_t v[16] = {0x7f};
    cmd_put_service_action(v, 0x1ff0);
    CHECK_INT_EQ(v[8], 0x1f);
    CHECK_INT_EQ(v[9], 0xf0);
}

TAP_MAIN(class_names_round_trip, write_buffer_modes_microcode_is_firmware_data_and_echo_are_not,
         opcode_classes, security_protocol_out_on_disks_all_on_tapes_not_encryption,
         maintenance_out_but_set_timestamp_and_not_on_mmc, mode_select_with_save_pages,
         ata_pass_through_32_by_service_action, disk_writes_change_the_medium,
         tape_writes_change_the_medium_positioning_does_not, optical_and_changer,
         which_opcodes_need_more_than_the_opcode, service_action_placement)
