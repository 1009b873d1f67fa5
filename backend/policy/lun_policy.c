#include "lun_policy.h"

#include <stdio.h>
#include <string.h>

#include "cmd_class.h"

/* The decision of the options alone (classes, opcodes), read-only aside. */
static struct policy_decision refusal(const struct lun_policy *p, const struct cmd_kind *k,
                                      uint8_t opcode)
{
    struct policy_decision d = {.verdict = POLICY_PASS, .cls = -1};
    switch (p->op_rule[opcode]) {
    case POLICY_RULE_ALLOW:
        return d;
    case POLICY_RULE_DENY:
        d.verdict = POLICY_DENY_OPCODE;
        return d;
    default:
        break;
    }
    if (k->cls >= 0 && (p->denied_classes & POLICY_CLASS_BIT(k->cls))) {
        d.cls = k->cls;
        d.verdict = k->scope == CMD_BY_OPCODE ? POLICY_DENY_OPCODE : POLICY_DENY_FIELD;
        d.by_service_action = k->scope == CMD_BY_SERVICE_ACTION;
        d.field_byte = k->field_byte;
    }
    return d;
}

struct policy_decision lun_policy_decide(const struct lun_policy *p, const uint8_t *cdb,
                                         unsigned cdb_len)
{
    struct cmd_kind k = cmd_kind_of(p->ptype, cdb, cdb_len);
    /* Read-only first: it is what the guest should learn about the LUN. */
    if (p->read_only && k.writes_medium)
        return (struct policy_decision){.verdict = POLICY_WRITE_PROTECT, .cls = -1};
    return refusal(p, &k, cdb[0]);
}

bool lun_policy_hidden(const struct lun_policy *p, const uint8_t *cdb, unsigned cdb_len)
{
    struct cmd_kind k = cmd_kind_of(p->ptype, cdb, cdb_len);
    struct policy_decision d = refusal(p, &k, cdb[0]);
    return d.verdict == POLICY_DENY_OPCODE ||
           (d.verdict == POLICY_DENY_FIELD && d.by_service_action);
}

void lun_policy_build(struct lun_policy *p, const struct policy_spec *spec, bool passthrough,
                      int ptype, const char *name)
{
    memset(p, 0, sizeof(*p));
    p->ptype = ptype;
    snprintf(p->name, sizeof(p->name), "%s", name);
    p->read_only = spec->read_only == 1;
    uint16_t denied = passthrough ? POLICY_DEFAULT_DENIED : 0;
    for (int c = 0; c < POLICY_NR_CLASSES; c++) {
        if (spec->class_rule[c] == POLICY_RULE_DENY)
            denied |= (uint16_t)POLICY_CLASS_BIT(c);
        else if (spec->class_rule[c] == POLICY_RULE_ALLOW)
            denied &= (uint16_t)~POLICY_CLASS_BIT(c);
    }
    p->denied_classes = denied;
    memcpy(p->op_rule, spec->op_rule, sizeof(p->op_rule));
    bool any_op_denied = false;
    for (unsigned op = 0; op < 256; op++)
        any_op_denied |= p->op_rule[op] == POLICY_RULE_DENY;
    /* Nothing to refuse and nothing to report differently: no policy. */
    p->on = p->read_only || denied || any_op_denied;
    for (unsigned op = 0; op < 256; op++) {
        uint8_t cdb[16] = {(uint8_t)op};
        p->table[op] = cmd_kind_by_opcode_alone(ptype, (uint8_t)op)
                           ? (uint8_t)lun_policy_decide(p, cdb, sizeof(cdb)).verdict
                           : POLICY_INSPECT;
    }
}

bool lun_policy_first_refusal(struct lun_policy *p, uint8_t opcode)
{
    uint64_t bit = 1ull << (opcode & 63);
    if (p->logged[opcode >> 6] & bit)
        return false;
    p->logged[opcode >> 6] |= bit;
    return true;
}

/* Appends to out (always NUL-terminated, cut short if it must be). */
static void append(char *out, size_t len, size_t *n, const char *fmt, const char *a, unsigned b)
{
    if (*n >= len)
        return;
    int w = snprintf(out + *n, len - *n, fmt, a, b);
    *n = w < 0 ? len : *n + (size_t)w;
}

void lun_policy_describe(const struct lun_policy *p, char *out, size_t len)
{
    size_t n = 0;
    if (len)
        out[0] = '\0';
    append(out, len, &n, "%s%.0u", !p->on ? "no policy" : p->read_only ? "ro" : "rw", 0);
    if (!p->on)
        return;
    const char *sep = "; denied:";
    for (int c = 0; c < POLICY_NR_CLASSES; c++) {
        if (p->denied_classes & POLICY_CLASS_BIT(c)) {
            append(out, len, &n, "%s %.0u", sep, 0);
            append(out, len, &n, "%s%.0u", policy_class_name(c), 0);
            sep = "";
        }
    }
    for (unsigned op = 0; op < 256; op++)
        if (p->op_rule[op] == POLICY_RULE_DENY) {
            append(out, len, &n, "%s 0x%02x", sep, op);
            sep = "";
        }
    sep = "; allowed:";
    for (unsigned op = 0; op < 256; op++)
        if (p->op_rule[op] == POLICY_RULE_ALLOW) {
            append(out, len, &n, "%s 0x%02x", sep, op);
            sep = "";
        }
}
