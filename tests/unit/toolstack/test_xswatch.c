/* Watches with a callback and its context (toolstack/xswatch.c), against a
 * private real xenstored. */
#include <poll.h>
#include <string.h>

#include "tap.h"
#include "xsfix.h"
#include "xswatch.h"

struct seen {
    int calls;
    char last[128];
};

static void record(void *ctx, const char *path)
{
    struct seen *s = ctx;
    s->calls++;
    snprintf(s->last, sizeof(s->last), "%s", path);
}

/* Dispatches what xenstore sends until it has been quiet for 200 ms. */
static void pump(struct xswatch_set *set)
{
    struct pollfd p = {.fd = xs_fileno(set->xs), .events = POLLIN};
    while (poll(&p, 1, 200) > 0)
        xswatch_dispatch(set);
}

TEST(events_reach_their_callback_with_its_context)
{
    struct xs_handle *xs = xsfix_handle();
    REQUIRE(xs);
    struct xswatch_set set;
    xswatch_set_init(&set, xs);
    struct seen a = {0}, b = {0};
    REQUIRE(xsfix_write("/wt/a/x", "1"));
    REQUIRE(xsfix_write("/wt/b/x", "1"));
    CHECK(xswatch_add(&set, "/wt/a", record, &a) != NULL);
    CHECK(xswatch_add(&set, "/wt/b", record, &b) != NULL);
    pump(&set);                 /* xenstore fires each watch once when set */
    CHECK_INT_EQ(a.calls, 1);
    CHECK_INT_EQ(b.calls, 1);
    REQUIRE(xsfix_write("/wt/a/x", "2"));
    pump(&set);
    CHECK_INT_EQ(a.calls, 2);
    CHECK_STR_EQ(a.last, "/wt/a/x");
    CHECK_INT_EQ(b.calls, 1);
    xswatch_set_destroy(&set);
    CHECK(set.list == NULL);
}

TEST(a_removed_watch_gets_nothing_even_if_queued)
{
    struct xs_handle *xs = xsfix_handle();
    REQUIRE(xs);
    struct xswatch_set set;
    xswatch_set_init(&set, xs);
    struct seen a = {0};
    REQUIRE(xsfix_write("/wt/c/x", "1"));
    struct xswatch *w = xswatch_add(&set, "/wt/c", record, &a);
    REQUIRE(w);
    pump(&set);
    CHECK_INT_EQ(a.calls, 1);
    /* An event queued, then the watch removed before dispatch. */
    REQUIRE(xsfix_write("/wt/c/x", "2"));
    struct pollfd p = {.fd = xs_fileno(xs), .events = POLLIN};
    CHECK(poll(&p, 1, 1000) == 1);
    xswatch_remove(&set, w);
    pump(&set);
    CHECK_INT_EQ(a.calls, 1);
    /* A new watch on the same path has a new token: it sees only its own. */
    struct seen b = {0};
    CHECK(xswatch_add(&set, "/wt/c", record, &b) != NULL);
    pump(&set);
    CHECK_INT_EQ(b.calls, 1);
    CHECK_INT_EQ(a.calls, 1);
    xswatch_set_destroy(&set);
}

TAP_MAIN(events_reach_their_callback_with_its_context, a_removed_watch_gets_nothing_even_if_queued)
