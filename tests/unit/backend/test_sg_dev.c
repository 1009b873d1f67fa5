/* Opening an sg node (backend/handlers/sg_dev.c), on what this machine has:
 * missing paths, regular files, other character devices. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sg_dev.h"
#include "tap.h"

/* The lowest free descriptor: equal before and after means no fd leaked. */
static int lowest_free_fd(void)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && close(fd) < 0)
        return -1;
    return fd;
}

TEST(refuses_missing_path)
{
    char err[128] = "";
    int fd = -7;
    CHECK_INT_EQ(sg_dev_open("/nonexistent/sg0", &fd, err, sizeof(err)), -ENOENT);
    CHECK_STR_EQ(err, "cannot open /nonexistent/sg0: No such file or directory");
    CHECK_INT_EQ(fd, -7);
}

TEST(refuses_regular_file_without_leaking_fd)
{
    char path[] = "/tmp/pvscsid-sgdev-XXXXXX", err[128] = "", want[160];
    int tmp = mkstemp(path);
    REQUIRE(tmp >= 0);
    CHECK_INT_EQ(close(tmp), 0);
    int before = lowest_free_fd(), fd = -7;
    CHECK_INT_EQ(sg_dev_open(path, &fd, err, sizeof(err)), -ENODEV);
    snprintf(want, sizeof(want), "%s is not a character device", path);
    CHECK_STR_EQ(err, want);
    CHECK_INT_EQ(fd, -7);
    CHECK_INT_EQ(lowest_free_fd(), before);
    CHECK_INT_EQ(unlink(path), 0);
}

TEST(refuses_other_character_devices)
{
    /* /dev/null is char 1:3: refused before any sg ioctl reaches it. */
    char err[128] = "";
    int before = lowest_free_fd(), fd = -7;
    CHECK_INT_EQ(sg_dev_open("/dev/null", &fd, err, sizeof(err)), -ENODEV);
    CHECK_STR_EQ(err, "/dev/null is not an sg device (major 1, sg is 21)");
    CHECK_INT_EQ(lowest_free_fd(), before);
}

TEST(refuses_directory)
{
    char err[128] = "";
    int fd = -7;
    CHECK_INT_EQ(sg_dev_open("/tmp", &fd, err, sizeof(err)), -EISDIR);
    CHECK_STR_EQ(err, "cannot open /tmp: Is a directory");
}

TEST(long_reason_is_cut_visibly)
{
    char err[24];
    int fd;
    CHECK_INT_EQ(sg_dev_open("/nonexistent/sg0", &fd, err, sizeof(err)), -ENOENT);
    CHECK_STR_EQ(err, "cannot open /nonexis...");
}

TEST(ioctls_on_non_sg_fd)
{
    int p[2], type = -7;
    REQUIRE(pipe(p) == 0);
    CHECK_INT_EQ(sg_dev_reset(p[0]), -ENOTTY);
    CHECK_INT_EQ(sg_dev_scsi_type(p[0], &type), -ENOTTY);
    CHECK_INT_EQ(type, -7);
    CHECK_INT_EQ(close(p[0]), 0);
    CHECK_INT_EQ(close(p[1]), 0);
    CHECK_INT_EQ(sg_dev_reset(-1), -EBADF);
}

TAP_MAIN(refuses_missing_path, refuses_regular_file_without_leaking_fd,
         refuses_other_character_devices, refuses_directory, long_reason_is_cut_visibly,
         ioctls_on_non_sg_fd)
