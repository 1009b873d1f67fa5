#include "cmd_class.h"

#include <string.h>

static const char *const class_names[POLICY_NR_CLASSES] = {
    [POLICY_FIRMWARE] = "firmware",
    [POLICY_FORMAT] = "format",
    [POLICY_SANITIZE] = "sanitize",
    [POLICY_SECURITY] = "security",
    [POLICY_ATA] = "ata",
    [POLICY_VENDOR] = "vendor",
    [POLICY_MAINTENANCE] = "maintenance",
    [POLICY_MODE_SAVE] = "mode-save",
    [POLICY_RESERVATIONS] = "reservations",
    [POLICY_DIAGNOSTIC] = "diagnostic",
    [POLICY_LOG_SELECT] = "log-select",
};

const char *policy_class_name(enum policy_class c)
{
    return (unsigned)c < POLICY_NR_CLASSES ? class_names[c] : "?";
}

int policy_class_by_name(const char *name)
{
    for (int c = 0; c < POLICY_NR_CLASSES; c++)
        if (strcmp(class_names[c], name) == 0)
            return c;
    return -1;
}

/* Disks and their kin (SBC): direct access, write-once, optical memory,
 * RBC; and an unknown type, to be safe. */
static bool block_type(int t)
{
    return t == PTYPE_UNKNOWN || t == PTYPE_DISK || t == PTYPE_WORM || t == PTYPE_OPTICAL ||
           t == PTYPE_RBC;
}

/* 0xa1 is BLANK on an MMC device, 0xa3/0xa4 SEND KEY/REPORT KEY there. */
static bool mmc(int t)
{
    return t == PTYPE_CDROM;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* READ(32), VERIFY(32), XDREAD(32): the variable-length CDBs that only read. */
static bool varlen_reads_only(uint16_t sa)
{
    return sa == 0x0009 || sa == 0x000a || sa == 0x0003;
}

static bool disk_writes(const uint8_t *b)
{
    switch (b[0]) {
    case 0x07:   /* REASSIGN BLOCKS */
    case 0x0a:   /* WRITE(6) */
    case 0x2a:   /* WRITE(10) */
    case 0x2e:   /* WRITE AND VERIFY(10) */
    case 0x38:   /* FORMAT WITH PRESET */
    case 0x3f:   /* WRITE LONG(10) */
    case 0x41:   /* WRITE SAME(10) */
    case 0x42:   /* UNMAP */
    case 0x50:   /* XDWRITE(10) */
    case 0x51:   /* XPWRITE(10) */
    case 0x53:   /* XDWRITEREAD(10) */
    case 0x83:   /* EXTENDED COPY, WRITE USING TOKEN (the copy manager) */
    case 0x89:   /* COMPARE AND WRITE */
    case 0x8a:   /* WRITE(16) */
    case 0x8b:   /* ORWRITE(16) */
    case 0x8e:   /* WRITE AND VERIFY(16) */
    case 0x93:   /* WRITE SAME(16) */
    case 0x9a:   /* WRITE STREAM(16) */
    case 0x9c:   /* WRITE ATOMIC(16) */
    case 0xaa:   /* WRITE(12) */
    case 0xae:   /* WRITE AND VERIFY(12) */
        return true;
    case 0x9f:   /* SERVICE ACTION OUT(16): WRITE LONG(16), WRITE SCATTERED(16) */
        return (b[1] & 0x1f) == 0x11 || (b[1] & 0x1f) == 0x12;
    case 0x7f:   /* variable length: WRITE(32), WRITE SAME(32)... */
        return !varlen_reads_only(get16(b + 8));
    default:
        return false;
    }
}

static bool tape_writes(uint8_t op)
{
    switch (op) {
    case 0x0a:   /* WRITE(6) */
    case 0x0b:   /* SET CAPACITY */
    case 0x10:   /* WRITE FILEMARKS(6) */
    case 0x19:   /* ERASE(6) */
    case 0x80:   /* WRITE FILEMARKS(16) */
    case 0x8a:   /* WRITE(16) */
    case 0x93:   /* ERASE(16) */
        return true;
    default:
        return false;
    }
}

static bool mmc_writes(uint8_t op)
{
    switch (op) {
    case 0x2a:   /* WRITE(10) */
    case 0x2e:   /* WRITE AND VERIFY(10) */
    case 0x53:   /* RESERVE TRACK */
    case 0x58:   /* REPAIR TRACK */
    case 0x5b:   /* CLOSE TRACK/SESSION */
    case 0x5d:   /* SEND CUE SHEET */
    case 0xaa:   /* WRITE(12) */
    case 0xbf:   /* SEND DISC STRUCTURE */
        return true;
    default:
        return false;
    }
}

/* Does the command change the medium or what it holds? */
static bool writes_medium(int ptype, const uint8_t *b)
{
    switch (b[0]) {
    case 0x04:   /* FORMAT UNIT, FORMAT MEDIUM */
    case 0x48:   /* SANITIZE */
    case 0x85:   /* ATA PASS-THROUGH(16): anything, writes included */
    case 0x8d:   /* WRITE ATTRIBUTE: the medium's auxiliary memory */
    case 0xa1:   /* ATA PASS-THROUGH(12); BLANK on a CD/DVD */
        return true;
    case 0xb5:   /* SECURITY PROTOCOL OUT: a crypto erase; a tape's keys are not */
        return ptype != PTYPE_TAPE;
    default:
        break;
    }
    if (block_type(ptype))
        return disk_writes(b);
    if (ptype == PTYPE_TAPE)
        return tape_writes(b[0]);
    if (mmc(ptype))
        return mmc_writes(b[0]);
    return false;   /* a changer moves cartridges; their contents stay */
}

/* WRITE BUFFER modes that only fill the device's buffers: data, echo
 * buffer, application client error history (SPC-4 6.49). Every other mode
 * downloads or activates microcode, or is vendor-specific, obsolete or
 * reserved: what it does is not pinned down, so it counts as firmware. */
static bool write_buffer_harmless(uint8_t mode)
{
    return mode == 0x02 || mode == 0x0a || mode == 0x1c;
}

static struct cmd_kind member(enum policy_class c, enum cmd_scope scope, uint8_t field_byte)
{
    return (struct cmd_kind){.cls = (int)c, .scope = scope, .field_byte = field_byte};
}

static struct cmd_kind class_of(int ptype, const uint8_t *b)
{
    uint8_t op = b[0];
    if (op >= 0xc0)
        return member(POLICY_VENDOR, CMD_BY_OPCODE, 0);
    switch (op) {
    case 0x3b:   /* WRITE BUFFER */
        if (!write_buffer_harmless(b[1] & 0x1f))
            return member(POLICY_FIRMWARE, CMD_BY_FIELD, 1);
        break;
    case 0x04:   /* FORMAT UNIT; FORMAT MEDIUM on a tape */
    case 0x38:   /* FORMAT WITH PRESET */
        return member(POLICY_FORMAT, CMD_BY_OPCODE, 0);
    case 0x48:
        return member(POLICY_SANITIZE, CMD_BY_OPCODE, 0);
    case 0xb5:
        /* A tape's data encryption (SSC-4 8.5, protocol 0x20) is what
         * backup software uses SECURITY PROTOCOL OUT for; on a disk it
         * locks the drive (TCG Opal/Enterprise) or erases it. */
        if (ptype == PTYPE_TAPE)
            return b[1] == 0x20 ? (struct cmd_kind){.cls = -1}
                                : member(POLICY_SECURITY, CMD_BY_FIELD, 1);
        return member(POLICY_SECURITY, CMD_BY_OPCODE, 0);
    case 0x85:
        return member(POLICY_ATA, CMD_BY_OPCODE, 0);
    case 0xa1:
        if (!mmc(ptype))
            return member(POLICY_ATA, CMD_BY_OPCODE, 0);
        break;
    case 0x7f:
        if (get16(b + 8) == 0x1ff0)   /* ATA PASS-THROUGH(32) */
            return member(POLICY_ATA, CMD_BY_SERVICE_ACTION, 8);
        break;
    case 0xa4:
        /* MAINTENANCE OUT: SET IDENTIFYING INFORMATION, SET TARGET PORT
         * GROUPS, CHANGE ALIASES, REMOVE I_T NEXUS, SET PRIORITY change
         * what every initiator sees; SET TIMESTAMP (0x0f) only a clock. */
        if (!mmc(ptype) && (b[1] & 0x1f) != 0x0f)
            return member(POLICY_MAINTENANCE, CMD_BY_SERVICE_ACTION, 1);
        break;
    case 0x15:   /* MODE SELECT(6) */
    case 0x55:   /* MODE SELECT(10) */
        if (b[1] & 0x01)
            return member(POLICY_MODE_SAVE, CMD_BY_FIELD, 1);
        break;
    case 0x16:   /* RESERVE(6) */
    case 0x17:   /* RELEASE(6) */
    case 0x56:   /* RESERVE(10) */
    case 0x57:   /* RELEASE(10) */
    case 0x5f:   /* PERSISTENT RESERVE OUT */
        return member(POLICY_RESERVATIONS, CMD_BY_OPCODE, 0);
    case 0x1d:
        return member(POLICY_DIAGNOSTIC, CMD_BY_OPCODE, 0);
    case 0x4c:
        return member(POLICY_LOG_SELECT, CMD_BY_OPCODE, 0);
    default:
        break;
    }
    return (struct cmd_kind){.cls = -1};
}

struct cmd_kind cmd_kind_of(int ptype, const uint8_t *cdb, unsigned cdb_len)
{
    uint8_t b[16] = {0};
    memcpy(b, cdb, cdb_len < sizeof(b) ? cdb_len : sizeof(b));
    struct cmd_kind k = class_of(ptype, b);
    k.writes_medium = writes_medium(ptype, b);
    return k;
}

bool cmd_kind_by_opcode_alone(int ptype, uint8_t opcode)
{
    switch (opcode) {
    case 0x3b:
    case 0xb5:
    case 0x7f:
    case 0x15:
    case 0x55:
        return false;
    case 0xa4:
        return mmc(ptype);
    case 0x9f:
        return !block_type(ptype);
    default:
        return true;
    }
}

void cmd_put_service_action(uint8_t *cdb, uint16_t sa)
{
    if (cdb[0] == 0x7f) {
        cdb[8] = (uint8_t)(sa >> 8);
        cdb[9] = (uint8_t)sa;
    } else {
        cdb[1] = (uint8_t)((cdb[1] & 0xe0) | (sa & 0x1f));
    }
}
