#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lun_probe.h"
#include "policy_rules.h"
#include "tap.h"

static const struct pvscsid_config cfg = {.block_size = 512, .sysfs_root = "/nonexistent-sys"};

TEST(openable_luns_pass_and_are_closed_again)
{
    char err[256];
    CHECK_INT_EQ(lun_probe(&cfg, "null", err, sizeof(err)), 0);
    CHECK_INT_EQ(lun_probe(&cfg, "null:1G", err, sizeof(err)), 0);
    char path[] = "/tmp/lun_probe.XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    REQUIRE(ftruncate(fd, 1 << 20) == 0);
    char pdev[64];
    snprintf(pdev, sizeof(pdev), "file:%s", path);
    CHECK_INT_EQ(lun_probe(&cfg, pdev, err, sizeof(err)), 0);
    /* Closed again: the exclusive lock a LUN holds is free. */
    CHECK_INT_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);
    /* Held by someone (a LUN of another guest): refused with the reason. */
    int other = open(path, O_RDWR);
    REQUIRE(other >= 0);
    REQUIRE(flock(other, LOCK_EX | LOCK_NB) < 0);   /* ours still holds it */
    CHECK_INT_EQ(lun_probe(&cfg, pdev, err, sizeof(err)), -EBUSY);
    CHECK(strstr(err, "in use") != NULL);
    close(other);
    close(fd);
    unlink(path);
}

TEST(unopenable_luns_give_the_handlers_reason)
{
    char err[256];
    CHECK_INT_EQ(lun_probe(&cfg, "null:-5", err, sizeof(err)), -EINVAL);
    TAP_DIAG("%s", err);
    CHECK(strstr(err, "-5") != NULL);
    CHECK_INT_EQ(lun_probe(&cfg, "file:/nonexistent/x.img", err, sizeof(err)), -ENOENT);
    CHECK(strstr(err, "/nonexistent/x.img") != NULL);
    CHECK(lun_probe(&cfg, "0:0:0:0", err, sizeof(err)) < 0);   /* no such sysfs tree */
    TAP_DIAG("%s", err);
    CHECK(err[0] != '\0');
    CHECK_INT_EQ(lun_probe(&cfg, "tape-in-a-drawer", err, sizeof(err)), -ENODEV);
    CHECK(strstr(err, "no handler") != NULL);
}

TEST(params_are_the_daemons)
{
    const struct pvscsid_config c = {.block_size = 4096, .sysfs_root = "/x", .cmd_timeout_s = 7};
    struct lun_params p = lun_params_of(&c);
    CHECK_INT_EQ(p.block_size, 4096);
    CHECK_STR_EQ(p.sysfs_root, "/x");
    CHECK_INT_EQ(p.cmd_timeout_ms, 7000);
}

TEST(policy_options_are_taken_off_and_make_the_policy)
{
    char err[256], path[] = "/tmp/lun_probe.XXXXXX", pdev[96];
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    REQUIRE(ftruncate(fd, 1 << 20) == 0);
    /* A file without write permission opens as a read-only LUN. */
    REQUIRE(fchmod(fd, 0444) == 0);
    snprintf(pdev, sizeof(pdev), "file:%s,ro,deny=0x35", path);
    struct lun_params base = lun_params_of(&cfg);
    struct lun *lun = NULL;
    if (geteuid() != 0) {   /* root opens it for writing anyway */
        snprintf(pdev, sizeof(pdev), "file:%s", path);
        CHECK(lun_probe(&cfg, pdev, err, sizeof(err)) < 0);
        snprintf(pdev, sizeof(pdev), "file:%s,ro,deny=0x35", path);
    }
    CHECK_INT_EQ(lun_open_pdev(&cfg, pdev, &base, "the-lun", &lun, err, sizeof(err)), 0);
    REQUIRE(lun != NULL);
    CHECK(lun->policy.on);
    CHECK(lun->policy.read_only);
    CHECK_INT_EQ(lun->policy.table[0x35], POLICY_DENY_OPCODE);
    CHECK_INT_EQ(lun->policy.table[0x04], POLICY_WRITE_PROTECT);   /* no defaults: ro */
    CHECK_INT_EQ(lun->policy.denied_classes, 0);
    CHECK_STR_EQ(lun->policy.name, "the-lun");
    /* The emulated disk itself is read-only too: WRITE gets DATA PROTECT. */
    struct lun_cmd c = {.cdb = {0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0}, .cdb_len = 10,
                        .dir = VSCSI_DIR_TO_DEVICE, .data_len = 512};
    uint8_t block[512] = {0};
    struct iovec iov = {block, sizeof(block)};
    c.iov = &iov;
    c.iov_cnt = 1;
    CHECK_INT_EQ(lun->ops->start(lun, &c, NULL), LUN_DONE);
    CHECK_INT_EQ(c.status, 0x02);
    CHECK_INT_EQ(c.sense[2], 0x07);
    lun->ops->close(lun);
    /* Without options: no policy on an emulated disk. */
    snprintf(pdev, sizeof(pdev), "null:1M");
    CHECK_INT_EQ(lun_open_pdev(&cfg, pdev, &base, NULL, &lun, err, sizeof(err)), 0);
    CHECK(!lun->policy.on);
    CHECK_STR_EQ(lun->policy.name, "null:1M");
    lun->ops->close(lun);
    /* A bad option is refused before anything is opened. */
    CHECK_INT_EQ(lun_probe(&cfg, "null:1M,deny=0x1000", err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "deny=0x1000") != NULL);
    close(fd);
    unlink(path);
}

TEST(configured_rules_apply_before_the_pdevs_own_options)
{
    struct lun_policy_rule *rules = NULL;
    char err[256];
    REQUIRE(lun_policy_rule_add(&rules, "null:1M", "ro,deny=0x28", err, sizeof(err)) == 0);
    struct pvscsid_config c = cfg;
    c.lun_policies = rules;
    struct lun_params base = lun_params_of(&c);
    struct lun *lun = NULL;
    CHECK_INT_EQ(lun_open_pdev(&c, "null:1M,rw", &base, NULL, &lun, err, sizeof(err)), 0);
    CHECK(!lun->policy.read_only);                                /* the p-dev's rw won */
    CHECK_INT_EQ(lun->policy.table[0x28], POLICY_DENY_OPCODE);    /* the rule's deny stays */
    lun->ops->close(lun);
    CHECK_INT_EQ(lun_open_pdev(&c, "null:2M", &base, NULL, &lun, err, sizeof(err)), 0);
    CHECK(!lun->policy.on);                                        /* another p-dev */
    lun->ops->close(lun);
    lun_policy_rules_free(&rules);
}

TAP_MAIN(openable_luns_pass_and_are_closed_again, unopenable_luns_give_the_handlers_reason,
         params_are_the_daemons, policy_options_are_taken_off_and_make_the_policy,
         configured_rules_apply_before_the_pdevs_own_options)
