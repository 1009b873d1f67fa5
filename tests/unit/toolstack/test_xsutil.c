#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "xsfix.h"
#include "xsutil.h"

TEST(paths_are_bounded)
{
    char p[XSU_PATH_MAX], big[300];
    CHECK_INT_EQ(xsu_path(p, "/a/%u", 5u), 0);
    CHECK_STR_EQ(p, "/a/5");
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    CHECK_INT_EQ(xsu_path(p, "/%s", big), -ENAMETOOLONG);
    CHECK_STR_EQ(p, "");
}

TEST(parse_uint)
{
    unsigned long v;
    CHECK(xsu_parse_uint("42", 100, &v) && v == 42);
    CHECK(!xsu_parse_uint("101", 100, &v));
    CHECK(!xsu_parse_uint("-1", 100, &v));
    CHECK(!xsu_parse_uint("4 2", 100, &v));
    CHECK(!xsu_parse_uint("", 100, &v));
    CHECK(!xsu_parse_uint(NULL, 100, &v));
    CHECK(!xsu_parse_uint("99999999999", ~0UL, &v));
}

TEST(read_write)
{
    struct xs_handle *xs = xsfix_handle();
    REQUIRE(xs);
    CHECK(xsu_write(xs, XBT_NULL, "/test/a", "b", "7"));
    char *v = xsu_read(xs, XBT_NULL, "/test/a", "b");
    CHECK_STR_EQ(v, "7");
    free(v);
    CHECK_INT_EQ(xsu_read_uint(xs, XBT_NULL, "/test/a", "b"), 7);
    CHECK(xsu_write(xs, XBT_NULL, "/test/a", "c", "x7"));
    CHECK_INT_EQ(xsu_read_uint(xs, XBT_NULL, "/test/a", "c"), -1);
    CHECK_INT_EQ(xsu_read_uint(xs, XBT_NULL, "/test/a", "none"), -1);
    errno = 0;
    CHECK(xsu_read(xs, XBT_NULL, "/test/a", "none") == NULL);
    CHECK_INT_EQ(errno, ENOENT);
    /* A value with an embedded NUL is refused, not cut. */
    REQUIRE(xs_write(xs, XBT_NULL, "/test/a/nul", "a\0b", 3));
    CHECK(xsu_read(xs, XBT_NULL, "/test/a", "nul") == NULL);
}

TAP_MAIN(paths_are_bounded, parse_uint, read_write)
