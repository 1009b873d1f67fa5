/*
 * A LUN's policy options as an operator writes them, in one grammar for
 * every place they come from: the p-dev suffix ("2:0:1:0,ro,allow=firmware"),
 * the `policy` key of a [lun:<p-dev>] section of pvscsid.conf, and the
 * management API's `policy` field:
 *
 *   ro | rw                     read-only LUN, or not
 *   allow=<item>[+<item>...]    items: a class name (cmd_class.h), "all"
 *   deny=<item>[+<item>...]     (every class), or an opcode (0x3b, 59)
 *
 * Options apply left to right, later ones winning over earlier ones for the
 * same class or opcode. Pure code.
 */
#ifndef PVSCSID_POLICY_SPEC_H
#define PVSCSID_POLICY_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum policy_rule { POLICY_RULE_NONE, POLICY_RULE_ALLOW, POLICY_RULE_DENY };

struct policy_spec {
    int8_t read_only;                 /* -1 not said, 0 rw, 1 ro */
    uint8_t class_rule[16];           /* enum policy_rule per enum policy_class */
    uint8_t op_rule[256];             /* enum policy_rule per opcode */
};

/* An empty spec (nothing said). */
void policy_spec_init(struct policy_spec *s);
/* True when the spec says anything at all. */
bool policy_spec_any(const struct policy_spec *s);

/* Is token one of the options above (ro, rw, allow=..., deny=...)? */
bool policy_is_option(const char *token);

/* Applies a comma-separated option list on top of s. 0, or -EINVAL with a
 * one-line reason in err naming the bad option. */
int policy_spec_apply(struct policy_spec *s, const char *options, char *err, size_t err_len);

/*
 * Splits a p-dev into what its handler sees and the policy options: every
 * comma-separated token after the first that is a policy option is applied
 * to s and removed; the rest (",shared", ",lat=1ms") stay in order.
 * "2:0:1:0,ro" -> "2:0:1:0"; "file:/d.img,shared,deny=0x35" ->
 * "file:/d.img,shared". 0, -ENAMETOOLONG, or -EINVAL (a bad option).
 */
int policy_split_pdev(const char *pdev, char *handler_pdev, size_t len, struct policy_spec *s,
                      char *err, size_t err_len);

#endif
