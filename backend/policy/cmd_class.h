/*
 * What a SCSI command does to the device, as a LUN's command policy sees
 * it: the policy class it belongs to (firmware download, FORMAT, SANITIZE...)
 * and whether it changes the medium (what a read-only LUN refuses). The
 * same opcode means different things on different device types (0x04 is
 * FORMAT UNIT on a disk and FORMAT MEDIUM on a tape, 0xa1 ATA PASS-THROUGH
 * on a disk and BLANK on a CD/DVD drive), so every answer takes the
 * peripheral device type. Sources: SPC-4, SBC-3/4, SSC-4, MMC-6, SMC-3, SAT-3
 * (Linux include/scsi/scsi_proto.h names the same opcodes). Pure code.
 */
#ifndef PVSCSID_CMD_CLASS_H
#define PVSCSID_CMD_CLASS_H

#include <stdbool.h>
#include <stdint.h>

/* The classes a policy allows or denies by name (allow=<name>, deny=<name>). */
enum policy_class {
    POLICY_FIRMWARE,       /* WRITE BUFFER modes other than data, echo, error history */
    POLICY_FORMAT,         /* FORMAT UNIT / FORMAT MEDIUM, FORMAT WITH PRESET */
    POLICY_SANITIZE,       /* SANITIZE */
    POLICY_SECURITY,       /* SECURITY PROTOCOL OUT (not a tape's data encryption) */
    POLICY_ATA,            /* ATA PASS-THROUGH (12), (16), (32) */
    POLICY_VENDOR,         /* vendor-specific opcodes 0xc0-0xff */
    POLICY_MAINTENANCE,    /* MAINTENANCE OUT other than SET TIMESTAMP */
    POLICY_MODE_SAVE,      /* MODE SELECT with SP (save pages) set */
    POLICY_RESERVATIONS,   /* RESERVE/RELEASE, PERSISTENT RESERVE OUT */
    POLICY_DIAGNOSTIC,     /* SEND DIAGNOSTIC */
    POLICY_LOG_SELECT,     /* LOG SELECT */
    POLICY_NR_CLASSES
};

#define POLICY_CLASS_BIT(c) (1u << (c))
/* Denied on a passthrough LUN unless its options allow them (pvscsid(8),
 * COMMAND POLICY, says why for each). */
#define POLICY_DEFAULT_DENIED                                                          \
    (POLICY_CLASS_BIT(POLICY_FIRMWARE) | POLICY_CLASS_BIT(POLICY_FORMAT) |             \
     POLICY_CLASS_BIT(POLICY_SANITIZE) | POLICY_CLASS_BIT(POLICY_SECURITY) |           \
     POLICY_CLASS_BIT(POLICY_ATA) | POLICY_CLASS_BIT(POLICY_VENDOR) |                  \
     POLICY_CLASS_BIT(POLICY_MAINTENANCE) | POLICY_CLASS_BIT(POLICY_MODE_SAVE))
#define POLICY_ALL_CLASSES ((1u << POLICY_NR_CLASSES) - 1)

/* "firmware", "mode-save"... */
const char *policy_class_name(enum policy_class c);
/* The class of a name, or -1. */
int policy_class_by_name(const char *name);

/* What makes a command a member of its class: the opcode itself, its
 * service action, or another CDB field (a mode, a protocol, a bit). A
 * refusal by opcode is INVALID COMMAND OPERATION CODE, by a service action
 * or field INVALID FIELD IN CDB (SPC-4 5.1: an unsupported service action
 * is an invalid field); both hide the command from REPORT SUPPORTED
 * OPERATION CODES, a field does not (the opcode is supported). */
enum cmd_scope {
    CMD_BY_OPCODE,
    CMD_BY_SERVICE_ACTION,
    CMD_BY_FIELD,
};

struct cmd_kind {
    int cls;                 /* enum policy_class, or -1 for none */
    enum cmd_scope scope;    /* meaningful when cls >= 0 */
    uint8_t field_byte;      /* the CDB byte that decided, for sense's field pointer */
    bool writes_medium;      /* refused on a read-only LUN */
};

/* Peripheral device types with their own command sets. */
#define PTYPE_UNKNOWN   (-1)
#define PTYPE_DISK      0x00
#define PTYPE_TAPE      0x01
#define PTYPE_WORM      0x04
#define PTYPE_CDROM     0x05
#define PTYPE_OPTICAL   0x07
#define PTYPE_CHANGER   0x08
#define PTYPE_RBC       0x0e

/* The kind of the command cdb (cdb_len bytes; bytes past it read as 0) on
 * a device of type ptype (PTYPE_UNKNOWN is treated as a disk: the
 * cautious choice, a disk's set of writing commands is the largest). */
struct cmd_kind cmd_kind_of(int ptype, const uint8_t *cdb, unsigned cdb_len);

/* True when cmd_kind_of() for this opcode on this type looks at no byte
 * but the opcode (a policy can decide such commands from a table). */
bool cmd_kind_by_opcode_alone(int ptype, uint8_t opcode);

/* Puts a service action where a CDB of opcode cdb[0] carries it: byte 1
 * bits 0-4, or bytes 8-9 of a variable-length CDB (0x7f; cdb must have 10
 * bytes). For building the CDB a REPORT SUPPORTED OPERATION CODES entry
 * describes. */
void cmd_put_service_action(uint8_t *cdb, uint16_t sa);

#endif
