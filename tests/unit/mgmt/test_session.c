#include <string.h>

#include "session.h"
#include "tap.h"

TEST(open_check_close)
{
    struct session_table *t = session_table_new(4);
    REQUIRE(t);
    char a[SESSION_REF_LEN], b[SESSION_REF_LEN];
    session_open(t, a);
    session_open(t, b);
    CHECK(strncmp(a, "OpaqueRef:", 10) == 0);
    CHECK(strcmp(a, b) != 0);
    CHECK(session_check(t, a));
    CHECK(!session_check(t, "OpaqueRef:nope"));
    CHECK(!session_check(t, NULL));
    CHECK(session_close(t, a));
    CHECK(!session_check(t, a));
    CHECK(!session_close(t, a));
    CHECK_INT_EQ(session_count(t), 1);
    session_table_free(t);
}

TEST(full_table_drops_least_recently_used)
{
    struct session_table *t = session_table_new(2);
    REQUIRE(t);
    char a[SESSION_REF_LEN], b[SESSION_REF_LEN], c[SESSION_REF_LEN];
    session_open(t, a);
    session_open(t, b);
    CHECK(session_check(t, a));         /* b is now the oldest */
    session_open(t, c);
    CHECK(session_check(t, a));
    CHECK(!session_check(t, b));
    CHECK(session_check(t, c));
    CHECK_INT_EQ(session_count(t), 2);
    session_table_free(t);
}

TAP_MAIN(open_check_close, full_table_drops_least_recently_used)
