/* Per-ring limits (backend/qos.c): token buckets over given times. */
#include "qos.h"
#include "tap.h"

#define MS 1000000ull
#define S 1000000000ull

TEST(off_admits_everything)
{
    struct ring_qos q = {0};
    qos_set(&q, 0, 0, 0);
    CHECK(!q.on);
    CHECK_INT_EQ(qos_admit(&q, 16, 5 * S), 16);
    qos_charge(&q, 1u << 20);
    CHECK_INT_EQ(qos_admit(&q, 16, 5 * S), 16);
    CHECK_INT_EQ(q.wake_ns, 0);
}

TEST(iops_limit_over_a_second)
{
    struct ring_qos q = {0};
    qos_set(&q, 1000, 0, 0);
    /* A tenth of a second's worth at once (the burst), then 1 per ms. */
    uint64_t t = 1 * S, taken = 0;
    CHECK_INT_EQ(qos_admit(&q, 16, t), 16);
    taken += 16;
    for (unsigned i = 0; i < 200; i++)
        taken += qos_admit(&q, 16, t);
    CHECK_INT_EQ(taken, 100);                  /* the burst */
    CHECK(q.wake_ns > t && q.wake_ns <= t + 2 * MS);
    /* One second later, ~1000 more (burst 100 kept at most). */
    for (uint64_t ms = 1; ms <= 1000; ms++)
        taken += qos_admit(&q, 16, t + ms * MS);
    CHECK(taken >= 1095 && taken <= 1101);
}

TEST(bytes_limit_lets_a_large_request_through_then_waits)
{
    struct ring_qos q = {0};
    qos_set(&q, 0, 10u << 20, 0);             /* 10 MiB/s: burst 1 MiB */
    uint64_t t = 2 * S;
    CHECK_INT_EQ(qos_admit(&q, 1, t), 1);
    qos_charge(&q, 4u << 20);                 /* 4 MiB: 3 MiB in debt */
    CHECK_INT_EQ(qos_admit(&q, 1, t), 0);
    /* Paid after 3 MiB at 10 MiB/s: 0.3 s. */
    CHECK(q.wake_ns >= t + 299 * MS && q.wake_ns <= t + 301 * MS);
    CHECK_INT_EQ(qos_admit(&q, 1, t + 250 * MS), 0);
    CHECK_INT_EQ(qos_admit(&q, 1, t + 301 * MS), 1);
}

TEST(new_limits_start_afresh)
{
    struct ring_qos q = {0};
    qos_set(&q, 10, 0, 0);
    CHECK_INT_EQ(qos_admit(&q, 16, 3 * S), 1);   /* burst 1 */
    CHECK_INT_EQ(qos_admit(&q, 16, 3 * S), 0);
    qos_set(&q, 0, 0, 3 * S);                     /* lifted */
    CHECK_INT_EQ(qos_admit(&q, 16, 3 * S), 16);
    CHECK_INT_EQ(q.wake_ns, 0);
}

TAP_MAIN(off_admits_everything, iops_limit_over_a_second,
         bytes_limit_lets_a_large_request_through_then_waits, new_limits_start_afresh)
