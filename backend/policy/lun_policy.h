/*
 * A LUN's command policy, built once when the LUN is opened and kept in
 * its struct lun: which commands reach the device, which are refused
 * (CHECK CONDITION, ILLEGAL REQUEST) and, on a read-only LUN, which get
 * DATA PROTECT, WRITE PROTECTED. Decisions that need only the opcode come
 * from a 256-entry table; a LUN without a policy (`on` false: an emulated
 * disk with no options) costs one test per command.
 *
 * Threading: built by the control thread before the LUN reaches its
 * worker; from then on read and written (the log-once bitmap) by that
 * worker alone.
 */
#ifndef PVSCSID_LUN_POLICY_H
#define PVSCSID_LUN_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy_spec.h"

enum policy_verdict {
    POLICY_PASS = 0,          /* to the device */
    POLICY_DENY_OPCODE,       /* ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE */
    POLICY_DENY_FIELD,        /* ILLEGAL REQUEST, INVALID FIELD IN CDB */
    POLICY_WRITE_PROTECT,     /* DATA PROTECT, WRITE PROTECTED */
    POLICY_INSPECT,           /* table only: look at the whole CDB */
};

struct lun_policy {
    bool on;                      /* false: nothing checked, nothing changed */
    bool read_only;
    int ptype;                    /* peripheral device type the table was built for */
    uint16_t denied_classes;      /* POLICY_CLASS_BIT()s */
    uint8_t op_rule[256];         /* enum policy_rule, from the options */
    uint8_t table[256];           /* enum policy_verdict per opcode */
    uint64_t logged[4];           /* opcodes refused and logged already */
    char name[128];               /* the LUN in log lines */
};

/* A decision with its reason. */
struct policy_decision {
    enum policy_verdict verdict;
    int cls;                      /* the class that denied it, -1: an opcode rule or ro */
    bool by_service_action;       /* a service action was refused (not the opcode) */
    uint8_t field_byte;           /* DENY_FIELD: the CDB byte at fault */
};

/*
 * Builds p from the options in spec for a LUN of peripheral type ptype.
 * passthrough: the LUN reaches a physical device, so the default denied
 * classes (POLICY_DEFAULT_DENIED) apply before the options. name is what
 * log lines call the LUN.
 */
void lun_policy_build(struct lun_policy *p, const struct policy_spec *spec, bool passthrough,
                      int ptype, const char *name);

/* The decision for a CDB. */
struct policy_decision lun_policy_decide(const struct lun_policy *p, const uint8_t *cdb,
                                         unsigned cdb_len);

/* True when REPORT SUPPORTED OPERATION CODES should not list the command
 * (opcode and service action in cdb): refused by its opcode or service
 * action, whatever read-only says (a write-protected disk still supports
 * WRITE). */
bool lun_policy_hidden(const struct lun_policy *p, const uint8_t *cdb, unsigned cdb_len);

/* True when this opcode should be logged now: the first refusal of it on
 * this LUN (records it). */
bool lun_policy_first_refusal(struct lun_policy *p, uint8_t opcode);

/* "ro, denied: firmware format ... 0x3b" for the log: what p does. */
void lun_policy_describe(const struct lun_policy *p, char *out, size_t len);

#endif
