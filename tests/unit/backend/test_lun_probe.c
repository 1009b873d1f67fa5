#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "lun_probe.h"
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

TAP_MAIN(openable_luns_pass_and_are_closed_again, unopenable_luns_give_the_handlers_reason,
         params_are_the_daemons)
