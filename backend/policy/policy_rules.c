#include "policy_rules.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_spec.h"

static struct lun_policy_rule *find(struct lun_policy_rule *rules, const char *pdev)
{
    for (struct lun_policy_rule *r = rules; r; r = r->next)
        if (strcmp(r->pdev, pdev) == 0)
            return r;
    return NULL;
}

int lun_policy_rule_add(struct lun_policy_rule **rules, const char *pdev, const char *options,
                        char *err, size_t err_len)
{
    struct policy_spec check;
    policy_spec_init(&check);
    if (!pdev[0]) {
        snprintf(err, err_len, "[lun:] needs a p-dev");
        return -EINVAL;
    }
    int r = policy_spec_apply(&check, options, err, err_len);
    if (r < 0)
        return r;
    struct lun_policy_rule *rule = find(*rules, pdev);
    if (rule) {
        size_t n = strlen(rule->options) + 1 + strlen(options) + 1;
        char *joined = malloc(n);
        if (!joined)
            return -ENOMEM;
        snprintf(joined, n, "%s,%s", rule->options, options);
        free(rule->options);
        rule->options = joined;
        return 0;
    }
    rule = calloc(1, sizeof(*rule));
    if (!rule || !(rule->pdev = strdup(pdev)) || !(rule->options = strdup(options))) {
        if (rule)
            free(rule->pdev);
        free(rule);
        return -ENOMEM;
    }
    rule->next = *rules;
    *rules = rule;
    return 0;
}

const char *lun_policy_rule_find(const struct lun_policy_rule *rules, const char *pdev)
{
    const struct lun_policy_rule *r = find((struct lun_policy_rule *)(uintptr_t)rules, pdev);
    return r ? r->options : NULL;
}

void lun_policy_rules_free(struct lun_policy_rule **rules)
{
    while (*rules) {
        struct lun_policy_rule *n = (*rules)->next;
        free((*rules)->pdev);
        free((*rules)->options);
        free(*rules);
        *rules = n;
    }
}
