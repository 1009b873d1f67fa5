#include "ring_stats.h"

#include <time.h>

#include "result.h"

uint64_t ring_stats_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

unsigned ring_stats_bucket(uint64_t ns)
{
    uint64_t us = (ns + 999) / 1000;        /* rounded up: 1.5 us is not <= 1 us */
    if (us <= 1)
        return 0;
    unsigned b = 64u - (unsigned)__builtin_clzll(us - 1);   /* smallest 2^b >= us */
    return b < RING_LAT_BUCKETS - 1 ? b : RING_LAT_BUCKETS - 1;
}

void ring_stats_answered(struct ring_stats *st, uint64_t start_ns, uint8_t host, uint8_t status,
                         uint32_t bytes)
{
    uint64_t now = ring_stats_clock_ns();
    uint64_t ns = now > start_ns ? now - start_ns : 0;
    if (host != XEN_VSCSIIF_RSLT_HOST_OK)
        RING_COUNTER_ADD(st->transport_errors, 1);
    else if (status == VSCSI_STATUS_GOOD)
        RING_COUNTER_ADD(st->good, 1);
    else if (status == VSCSI_STATUS_CHECK_CONDITION)
        RING_COUNTER_ADD(st->check_condition, 1);
    else
        RING_COUNTER_ADD(st->other_status, 1);
    RING_COUNTER_ADD(st->bytes, bytes);
    RING_COUNTER_ADD(st->latency_sum_ns, ns);
    RING_COUNTER_ADD(st->latency[ring_stats_bucket(ns)], 1);
}

void ring_stats_snapshot(const struct ring_stats *st, struct ring_stats *out)
{
    out->requests = RING_COUNTER_GET(st->requests);
    out->bytes = RING_COUNTER_GET(st->bytes);
    out->good = RING_COUNTER_GET(st->good);
    out->check_condition = RING_COUNTER_GET(st->check_condition);
    out->other_status = RING_COUNTER_GET(st->other_status);
    out->transport_errors = RING_COUNTER_GET(st->transport_errors);
    out->denied = RING_COUNTER_GET(st->denied);
    out->latency_sum_ns = RING_COUNTER_GET(st->latency_sum_ns);
    for (unsigned i = 0; i < RING_LAT_BUCKETS; i++)
        out->latency[i] = RING_COUNTER_GET(st->latency[i]);
}
