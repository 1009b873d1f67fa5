#include <errno.h>
#include <string.h>

#include "session.h"
#include "tap.h"

#define SEC 1000000000ull

TEST(open_check_close)
{
    struct session_table *t = session_table_new(4, 4);
    REQUIRE(t);
    char a[SESSION_REF_LEN], b[SESSION_REF_LEN];
    CHECK_INT_EQ(session_open(t, "me", 1, a), 0);
    CHECK_INT_EQ(session_open(t, "me", 2, b), 0);
    CHECK(strncmp(a, "OpaqueRef:", 10) == 0);
    CHECK(strcmp(a, b) != 0);
    CHECK(session_check(t, a, 3));
    CHECK(!session_check(t, "OpaqueRef:nope", 3));
    CHECK(!session_check(t, NULL, 3));
    CHECK(session_close(t, a));
    CHECK(!session_check(t, a, 4));
    CHECK(!session_close(t, a));
    CHECK_INT_EQ(session_count(t), 1);
    session_table_free(t);
}

/* An owner over its quota loses its own least recently used session. */
TEST(owner_over_quota_drops_its_own_oldest)
{
    struct session_table *t = session_table_new(8, 2);
    REQUIRE(t);
    char v[SESSION_REF_LEN], a[SESSION_REF_LEN], b[SESSION_REF_LEN], c[SESSION_REF_LEN];
    CHECK_INT_EQ(session_open(t, "victim", 1, v), 0);
    CHECK_INT_EQ(session_open(t, "spam", 2, a), 0);
    CHECK_INT_EQ(session_open(t, "spam", 3, b), 0);
    CHECK(session_check(t, a, 4));               /* b is now spam's oldest */
    CHECK_INT_EQ(session_open(t, "spam", 5, c), 0);
    CHECK(session_check(t, a, 6));
    CHECK(!session_check(t, b, 6));
    CHECK(session_check(t, c, 6));
    CHECK(session_check(t, v, 6));
    for (int i = 0; i < 300; i++)
        CHECK_INT_EQ(session_open(t, "spam", 10 + (uint64_t)i, c), 0);
    CHECK(session_check(t, v, 400));             /* never another owner's */
    CHECK_INT_EQ(session_count(t), 3);
    session_table_free(t);
}

/* A table full of others' live sessions refuses; idle ones expire. */
TEST(full_of_others_refuses_until_they_expire)
{
    struct session_table *t = session_table_new(3, 3);
    REQUIRE(t);
    char r[SESSION_REF_LEN], keep[SESSION_REF_LEN];
    CHECK_INT_EQ(session_open(t, "a", 1, keep), 0);
    CHECK_INT_EQ(session_open(t, "b", 2, r), 0);
    CHECK_INT_EQ(session_open(t, "c", 3, r), 0);
    CHECK_INT_EQ(session_open(t, "d", 4, r), -ENOSPC);
    CHECK(session_check(t, keep, 5));
    /* A day later all are idle: a new one gets a slot, old refs are dead. */
    uint64_t later = 5 + SESSION_IDLE_NS + SEC;
    CHECK_INT_EQ(session_open(t, "d", later, r), 0);
    CHECK(!session_check(t, keep, later));
    CHECK(session_check(t, r, later));
    session_table_free(t);
}

TAP_MAIN(open_check_close, owner_over_quota_drops_its_own_oldest,
         full_of_others_refuses_until_they_expire)
