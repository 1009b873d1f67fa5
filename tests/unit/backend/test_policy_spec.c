/* The policy option grammar (backend/policy/policy_spec.c). */
#include <errno.h>
#include <string.h>

#include "cmd_class.h"
#include "policy_spec.h"
#include "tap.h"

TEST(empty_spec_says_nothing)
{
    struct policy_spec s;
    policy_spec_init(&s);
    CHECK(!policy_spec_any(&s));
    CHECK_INT_EQ(s.read_only, -1);
    char err[160];
    CHECK_INT_EQ(policy_spec_apply(&s, "", err, sizeof(err)), 0);
    CHECK_INT_EQ(policy_spec_apply(&s, ",,", err, sizeof(err)), 0);
    CHECK(!policy_spec_any(&s));
}

TEST(options_apply_left_to_right)
{
    struct policy_spec s;
    char err[160];
    policy_spec_init(&s);
    CHECK_INT_EQ(policy_spec_apply(&s, "ro,allow=firmware+vendor,deny=0x3b,deny=59,deny=ata",
                                   err, sizeof(err)), 0);
    CHECK_INT_EQ(s.read_only, 1);
    CHECK_INT_EQ(s.class_rule[POLICY_FIRMWARE], POLICY_RULE_ALLOW);
    CHECK_INT_EQ(s.class_rule[POLICY_VENDOR], POLICY_RULE_ALLOW);
    CHECK_INT_EQ(s.class_rule[POLICY_ATA], POLICY_RULE_DENY);
    CHECK_INT_EQ(s.class_rule[POLICY_FORMAT], POLICY_RULE_NONE);
    CHECK_INT_EQ(s.op_rule[0x3b], POLICY_RULE_DENY);
    CHECK(policy_spec_any(&s));
    CHECK_INT_EQ(policy_spec_apply(&s, "rw,allow=0x3b,deny=firmware", err, sizeof(err)), 0);
    CHECK_INT_EQ(s.read_only, 0);
    CHECK_INT_EQ(s.op_rule[0x3b], POLICY_RULE_ALLOW);
    CHECK_INT_EQ(s.class_rule[POLICY_FIRMWARE], POLICY_RULE_DENY);
    CHECK_INT_EQ(policy_spec_apply(&s, "allow=all", err, sizeof(err)), 0);
    for (int c = 0; c < POLICY_NR_CLASSES; c++)
        CHECK_INT_EQ(s.class_rule[c], POLICY_RULE_ALLOW);
}

TEST(bad_options_are_refused_by_name)
{
    struct policy_spec s;
    char err[200];
    static const char *const bad[] = {"readonly", "deny=", "deny=0x100", "deny=all",
                                      "allow=firmwares", "deny=0x3b+bogus", "allow=-1",
                                      "deny=0x", "ro,rx"};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        policy_spec_init(&s);
        err[0] = '\0';
        CHECK_INT_EQ(policy_spec_apply(&s, bad[i], err, sizeof(err)), -EINVAL);
        CHECK(strstr(err, "bad policy option") != NULL);
    }
    policy_spec_init(&s);
    CHECK_INT_EQ(policy_spec_apply(&s, "deny=0x3b+bogus", err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "\"deny=0x3b+bogus\"") != NULL);
    CHECK(strstr(err, "mode-save") != NULL);   /* the classes are listed */
}

TEST(split_pdev_keeps_handler_options_in_order)
{
    struct policy_spec s;
    char h[128], err[160];
    policy_spec_init(&s);
    CHECK_INT_EQ(policy_split_pdev("2:0:1:0,ro,allow=firmware", h, sizeof(h), &s, err,
                                   sizeof(err)), 0);
    CHECK_STR_EQ(h, "2:0:1:0");
    CHECK_INT_EQ(s.read_only, 1);
    CHECK_INT_EQ(s.class_rule[POLICY_FIRMWARE], POLICY_RULE_ALLOW);
    policy_spec_init(&s);
    CHECK_INT_EQ(policy_split_pdev("file:/srv/d.img,ro,shared,deny=0x35", h, sizeof(h), &s, err,
                                   sizeof(err)), 0);
    CHECK_STR_EQ(h, "file:/srv/d.img,shared");
    CHECK_INT_EQ(s.op_rule[0x35], POLICY_RULE_DENY);
    policy_spec_init(&s);
    CHECK_INT_EQ(policy_split_pdev("null:1G,lat=1ms", h, sizeof(h), &s, err, sizeof(err)), 0);
    CHECK_STR_EQ(h, "null:1G,lat=1ms");
    CHECK(!policy_spec_any(&s));
    CHECK_INT_EQ(policy_split_pdev("/dev/sg3", h, sizeof(h), &s, err, sizeof(err)), 0);
    CHECK_STR_EQ(h, "/dev/sg3");
    /* The first token is the p-dev itself, whatever it looks like. */
    CHECK_INT_EQ(policy_split_pdev("ro", h, sizeof(h), &s, err, sizeof(err)), 0);
    CHECK_STR_EQ(h, "ro");
    CHECK_INT_EQ(s.read_only, -1);
    CHECK_INT_EQ(policy_split_pdev("2:0:1:0,deny=nothing", h, sizeof(h), &s, err, sizeof(err)),
                 -EINVAL);
    CHECK_INT_EQ(policy_split_pdev("2:0:1:0,ro", h, 6, &s, err, sizeof(err)), -ENAMETOOLONG);
}

TAP_MAIN(empty_spec_says_nothing, options_apply_left_to_right, bad_options_are_refused_by_name,
         split_pdev_keeps_handler_options_in_order)
