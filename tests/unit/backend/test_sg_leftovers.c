/* Commands a dead opener left on an sg device (handlers/sg_leftovers.c),
 * read from the text Linux 6.1's sg_proc_seq_show_debug writes. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sg_leftovers.h"
#include "tap.h"

static const char listing[] =
    "max_active_device=4  def_reserved_size=32768\n"
    " >>> device=sg1 0:0:0:0   em=0 sg_tablesize=2048 excl=0 open_cnt=1\n"
    "   FD(1): timeout=60000ms bufflen=0 (res)sgat=0 low_dma=0\n"
    "   cmd_q=1 f_packid=1 k_orphan=0 closed=0\n"
    "     No requests active\n"
    " >>> device=sg3 2:0:0:1   em=0 sg_tablesize=2048 excl=1 open_cnt=1\n"
    "   FD(1): timeout=60000ms bufflen=0 (res)sgat=0 low_dma=0\n"
    "   cmd_q=1 f_packid=1 k_orphan=0 closed=0\n"
    "     act: id=7 blen=65536 t_o/elap=10800000/1200ms sgat=1 op=0x0a\n"
    "   FD(2): timeout=60000ms bufflen=0 (res)sgat=0 low_dma=0\n"
    "   cmd_q=1 f_packid=1 k_orphan=0 closed=0\n"
    "     No requests active\n"
    " >>> device=sg10 3:0:0:0   em=0 sg_tablesize=2048 excl=0 open_cnt=1\n"
    "   FD(1): timeout=60000ms bufflen=0 (res)sgat=0 low_dma=0\n";

TEST(counts_the_other_files_of_the_device)
{
    CHECK_INT_EQ(sg_leftovers_count(listing, "sg3"), 1);
    CHECK_INT_EQ(sg_leftovers_count(listing, "sg1"), 0);
    CHECK_INT_EQ(sg_leftovers_count(listing, "sg10"), 0);
    CHECK_INT_EQ(sg_leftovers_count(listing, "sg2"), 0);    /* not listed */
    CHECK_INT_EQ(sg_leftovers_count(listing, "sg"), 0);
}

TEST(waits_while_they_run)
{
    char path[] = "/tmp/sg-debug.XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, listing, sizeof(listing) - 1) == (ssize_t)(sizeof(listing) - 1));
    close(fd);
    /* Still there after the bound: the count is returned. */
    CHECK_INT_EQ(sg_leftovers_wait(path, "sg3", 60), 1);
    CHECK_INT_EQ(sg_leftovers_wait(path, "sg1", 60), 0);
    CHECK_INT_EQ(sg_leftovers_wait("/nonexistent/debug", "sg3", 60), -2);
    unlink(path);
}

TAP_MAIN(counts_the_other_files_of_the_device, waits_while_they_run)
