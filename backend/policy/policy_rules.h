/*
 * Policies the host's configuration gives LUNs by p-dev: the `policy` key
 * of a [lun:<p-dev>] section of pvscsid.conf, for LUNs whatever toolstack
 * attaches them (SUSE's libxl passes a p-dev through as it is, options and
 * all, but not every toolstack lets its user write them):
 *
 *   [lun:2:0:1:0]
 *   policy = ro,allow=firmware
 *
 * The p-dev is matched as written in xenstore with its policy options
 * taken off ("2:0:1:0,deny=0x3b" matches [lun:2:0:1:0]); the rule's
 * options apply first, the p-dev's own after them (policy_spec.h).
 */
#ifndef PVSCSID_POLICY_RULES_H
#define PVSCSID_POLICY_RULES_H

#include <stddef.h>

struct lun_policy_rule {
    struct lun_policy_rule *next;
    char *pdev;
    char *options;          /* checked: policy_spec_apply() takes them */
};

/* Adds options to pdev's rule (a second `policy =` line appends). 0,
 * -EINVAL (bad options, reason in err) or -ENOMEM. */
int lun_policy_rule_add(struct lun_policy_rule **rules, const char *pdev, const char *options,
                        char *err, size_t err_len);
/* The options for a p-dev (without its own policy options), or NULL. */
const char *lun_policy_rule_find(const struct lun_policy_rule *rules, const char *pdev);
void lun_policy_rules_free(struct lun_policy_rule **rules);

#endif
