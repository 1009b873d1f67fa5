#include <stdio.h>
#include "login_limit.h"
#include "tap.h"

#define SEC 1000000000ull

TEST(free_failures_then_growing_delays)
{
    static struct login_limit l;
    uint64_t t = 100 * SEC;
    for (int i = 0; i < LOGIN_FREE_FAILURES - 1; i++) {
        CHECK(login_limit_allowed(&l, "10.0.0.1", t));
        login_limit_failed(&l, "10.0.0.1", t);
    }
    CHECK(login_limit_allowed(&l, "10.0.0.1", t));
    login_limit_failed(&l, "10.0.0.1", t);           /* the 5th: 1 s */
    CHECK(!login_limit_allowed(&l, "10.0.0.1", t));
    CHECK(!login_limit_allowed(&l, "10.0.0.1", t + SEC - 1));
    CHECK(login_limit_allowed(&l, "10.0.0.1", t + SEC));
    CHECK(login_limit_allowed(&l, "10.0.0.2", t));    /* others unaffected */
    login_limit_failed(&l, "10.0.0.1", t + SEC);      /* the 6th: 2 s */
    CHECK(!login_limit_allowed(&l, "10.0.0.1", t + 3 * SEC - 1));
    CHECK(login_limit_allowed(&l, "10.0.0.1", t + 3 * SEC));
    for (int i = 0; i < 20; i++)
        login_limit_failed(&l, "10.0.0.1", t + 3 * SEC);
    CHECK(!login_limit_allowed(&l, "10.0.0.1", t + 62 * SEC));
    CHECK(login_limit_allowed(&l, "10.0.0.1", t + 63 * SEC));   /* capped at 60 s */
    login_limit_succeeded(&l, "10.0.0.1");
    CHECK(login_limit_allowed(&l, "10.0.0.1", t + 63 * SEC));
    login_limit_failed(&l, "10.0.0.1", t + 63 * SEC);
    CHECK(login_limit_allowed(&l, "10.0.0.1", t + 63 * SEC));   /* counting from 0 again */
}

TEST(bounded_table_forgets_the_least_recently_seen)
{
    static struct login_limit l;
    for (int i = 0; i < LOGIN_FREE_FAILURES; i++)
        login_limit_failed(&l, "victim-of-its-own", 1);
    CHECK(!login_limit_allowed(&l, "victim-of-its-own", 2));
    char key[32];
    for (unsigned i = 0; i < LOGIN_PEERS; i++) {
        snprintf(key, sizeof(key), "p%u", i);
        login_limit_failed(&l, key, 10 + i);
    }
    CHECK(login_limit_allowed(&l, "victim-of-its-own", 2));   /* forgotten, not shared */
    CHECK(login_limit_allowed(&l, "p0", 20));                 /* one failure: free */
}

TAP_MAIN(free_failures_then_growing_delays, bounded_table_forgets_the_least_recently_seen)
