#include "policy_spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_class.h"

_Static_assert(POLICY_NR_CLASSES <= 16, "class_rule holds every class");

/* Longest option token we take (a list of every class fits). */
#define TOKEN_MAX 256

void policy_spec_init(struct policy_spec *s)
{
    memset(s, 0, sizeof(*s));
    s->read_only = -1;
}

bool policy_spec_any(const struct policy_spec *s)
{
    if (s->read_only >= 0)
        return true;
    for (unsigned i = 0; i < sizeof(s->class_rule); i++)
        if (s->class_rule[i])
            return true;
    for (unsigned i = 0; i < sizeof(s->op_rule); i++)
        if (s->op_rule[i])
            return true;
    return false;
}

bool policy_is_option(const char *t)
{
    return strcmp(t, "ro") == 0 || strcmp(t, "rw") == 0 || strncmp(t, "allow=", 6) == 0 ||
           strncmp(t, "deny=", 5) == 0;
}

/* An opcode: 0x00-0xff in hex with 0x, or decimal. */
static bool parse_opcode(const char *v, uint8_t *out)
{
    if (v[0] < '0' || v[0] > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long x = strtoul(v, &end, 0);
    if (errno || *end || x > 0xff)
        return false;
    *out = (uint8_t)x;
    return true;
}

/* One item of allow= or deny=. */
static bool apply_item(struct policy_spec *s, const char *item, enum policy_rule rule)
{
    uint8_t op;
    int c = policy_class_by_name(item);
    if (c >= 0) {
        s->class_rule[c] = (uint8_t)rule;
    } else if (strcmp(item, "all") == 0 && rule == POLICY_RULE_ALLOW) {
        for (c = 0; c < POLICY_NR_CLASSES; c++)
            s->class_rule[c] = POLICY_RULE_ALLOW;
    } else if (parse_opcode(item, &op)) {
        s->op_rule[op] = (uint8_t)rule;
    } else {
        return false;
    }
    return true;
}

static int bad(char *err, size_t err_len, const char *token, const char *why)
{
    snprintf(err, err_len, "bad policy option \"%s\": %s", token, why);
    return -EINVAL;
}

static int apply_token(struct policy_spec *s, char *t, char *err, size_t err_len)
{
    if (strcmp(t, "ro") == 0) {
        s->read_only = 1;
        return 0;
    }
    if (strcmp(t, "rw") == 0) {
        s->read_only = 0;
        return 0;
    }
    enum policy_rule rule;
    char *v;
    if (strncmp(t, "allow=", 6) == 0) {
        rule = POLICY_RULE_ALLOW;
        v = t + 6;
    } else if (strncmp(t, "deny=", 5) == 0) {
        rule = POLICY_RULE_DENY;
        v = t + 5;
    } else {
        return bad(err, err_len, t, "ro, rw, allow=<what> or deny=<what>");
    }
    char whole[TOKEN_MAX];
    snprintf(whole, sizeof(whole), "%s", t);
    if (!*v)
        return bad(err, err_len, whole, "nothing to allow or deny");
    char *save = NULL;
    for (char *item = strtok_r(v, "+", &save); item; item = strtok_r(NULL, "+", &save))
        if (!apply_item(s, item, rule))
            return bad(err, err_len, whole,
                       "not a class (firmware, format, sanitize, security, ata, vendor, "
                       "maintenance, mode-save, reservations, diagnostic, log-select, "
                       "allow=all) nor an opcode (0x00-0xff)");
    return 0;
}

int policy_spec_apply(struct policy_spec *s, const char *options, char *err, size_t err_len)
{
    char buf[TOKEN_MAX];
    const char *p = options;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n >= sizeof(buf))
            return bad(err, err_len, "...", "option too long");
        memcpy(buf, p, n);
        buf[n] = '\0';
        if (n) {
            int r = apply_token(s, buf, err, err_len);
            if (r < 0)
                return r;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

/* Copies s[0..n) and a NUL into out at *pos. */
static bool put(char *out, size_t len, size_t *pos, const char *s, size_t n)
{
    if (*pos + n >= len)
        return false;
    memcpy(out + *pos, s, n);
    *pos += n;
    out[*pos] = '\0';
    return true;
}

int policy_split_pdev(const char *pdev, char *handler, size_t hlen, struct policy_spec *s,
                      char *err, size_t err_len)
{
    const char *comma = strchr(pdev, ',');
    size_t hpos = 0;
    if (hlen)
        handler[0] = '\0';
    if (!put(handler, hlen, &hpos, pdev, comma ? (size_t)(comma - pdev) : strlen(pdev)))
        goto too_long;
    /* The tokens after the first comma: policy options to s, the rest
     * stay with the handler's p-dev. */
    for (const char *p = comma; p && *p;) {
        p++;
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char tok[TOKEN_MAX];
        if (n >= sizeof(tok))
            goto too_long;
        memcpy(tok, p, n);
        tok[n] = '\0';
        if (policy_is_option(tok)) {
            int r = apply_token(s, tok, err, err_len);
            if (r < 0)
                return r;
        } else if (!put(handler, hlen, &hpos, ",", 1) || !put(handler, hlen, &hpos, p, n)) {
            goto too_long;
        }
        p = end;
    }
    return 0;
too_long:
    snprintf(err, err_len, "p-dev \"%.64s...\" too long", pdev);
    return -ENAMETOOLONG;
}
