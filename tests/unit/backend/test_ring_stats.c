#include <string.h>

#include "result.h"
#include "ring_stats.h"
#include "tap.h"

#define US 1000ull

TEST(buckets_are_log2_microseconds)
{
    CHECK_INT_EQ(ring_stats_bucket(0), 0);
    CHECK_INT_EQ(ring_stats_bucket(1 * US), 0);        /* <= 1 us */
    CHECK_INT_EQ(ring_stats_bucket(1 * US + 1), 1);    /* just over: <= 2 us */
    CHECK_INT_EQ(ring_stats_bucket(2 * US), 1);
    CHECK_INT_EQ(ring_stats_bucket(3 * US), 2);
    CHECK_INT_EQ(ring_stats_bucket(128 * US), 7);
    CHECK_INT_EQ(ring_stats_bucket(129 * US), 8);
    CHECK_INT_EQ(ring_stats_bucket((1ull << 25) * US), 25);          /* 33.5 s */
    CHECK_INT_EQ(ring_stats_bucket((1ull << 25) * US + US), RING_LAT_BUCKETS - 1);
    CHECK_INT_EQ(ring_stats_bucket(3 * 3600 * 1000000000ull), RING_LAT_BUCKETS - 1);
}

/* A filemark's CHECK CONDITION is not a transport failure. */
TEST(outcomes_counted_apart)
{
    struct ring_stats st;
    memset(&st, 0, sizeof(st));
    uint64_t t = ring_stats_clock_ns();
    ring_stats_answered(&st, t, XEN_VSCSIIF_RSLT_HOST_OK, VSCSI_STATUS_GOOD, 4096);
    ring_stats_answered(&st, t, XEN_VSCSIIF_RSLT_HOST_OK, VSCSI_STATUS_CHECK_CONDITION, 512);
    ring_stats_answered(&st, t, XEN_VSCSIIF_RSLT_HOST_OK, 0x18, 0);   /* RESERVATION CONFLICT */
    ring_stats_answered(&st, t, XEN_VSCSIIF_RSLT_HOST_NO_CONNECT, 0, 0);
    ring_stats_answered(&st, t, XEN_VSCSIIF_RSLT_HOST_TIME_OUT, VSCSI_STATUS_GOOD, 0);
    struct ring_stats s;
    ring_stats_snapshot(&st, &s);
    CHECK_INT_EQ(s.good, 1);
    CHECK_INT_EQ(s.check_condition, 1);
    CHECK_INT_EQ(s.other_status, 1);
    CHECK_INT_EQ(s.transport_errors, 2);
    CHECK_INT_EQ(s.bytes, 4608);
    uint64_t n = 0;
    for (unsigned i = 0; i < RING_LAT_BUCKETS; i++)
        n += s.latency[i];
    CHECK_INT_EQ(n, 5);
    CHECK(s.latency_sum_ns > 0);
    /* A start in the future (cannot happen) counts as zero, not 584 years. */
    ring_stats_answered(&st, ring_stats_clock_ns() + 1000000000ull, 0, 0, 0);
    CHECK_INT_EQ(st.latency[0], s.latency[0] + 1);
}

TAP_MAIN(buckets_are_log2_microseconds, outcomes_counted_apart)
