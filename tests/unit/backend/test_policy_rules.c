/* [lun:<p-dev>] policy rules (backend/policy/policy_rules.c). */
#include <errno.h>
#include <string.h>

#include "policy_rules.h"
#include "tap.h"

TEST(rules_are_found_by_pdev_and_lines_append)
{
    struct lun_policy_rule *rules = NULL;
    char err[200];
    CHECK_INT_EQ(lun_policy_rule_add(&rules, "2:0:1:0", "ro", err, sizeof(err)), 0);
    CHECK_INT_EQ(lun_policy_rule_add(&rules, "file:/srv/a.img", "deny=0x35", err, sizeof(err)),
                 0);
    CHECK_INT_EQ(lun_policy_rule_add(&rules, "2:0:1:0", "allow=firmware", err, sizeof(err)), 0);
    CHECK_STR_EQ(lun_policy_rule_find(rules, "2:0:1:0"), "ro,allow=firmware");
    CHECK_STR_EQ(lun_policy_rule_find(rules, "file:/srv/a.img"), "deny=0x35");
    CHECK(lun_policy_rule_find(rules, "2:0:1:1") == NULL);
    CHECK(lun_policy_rule_find(NULL, "2:0:1:0") == NULL);
    lun_policy_rules_free(&rules);
    CHECK(rules == NULL);
}

TEST(bad_rules_are_refused)
{
    struct lun_policy_rule *rules = NULL;
    char err[200];
    CHECK_INT_EQ(lun_policy_rule_add(&rules, "2:0:1:0", "deny=everything", err, sizeof(err)),
                 -EINVAL);
    CHECK(strstr(err, "deny=everything") != NULL);
    CHECK_INT_EQ(lun_policy_rule_add(&rules, "", "ro", err, sizeof(err)), -EINVAL);
    CHECK(rules == NULL);
}

TAP_MAIN(rules_are_found_by_pdev_and_lines_append, bad_rules_are_refused)
