/* Fixed-size latency histogram: values below 32 ns get a bucket each, above
 * that every power of two is split into 32 linear buckets. No allocation on
 * the I/O path, and merging per-ring histograms is a sum. */
#include <math.h>
#include <time.h>

#include "bench.h"

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    /* CLOCK_MONOTONIC cannot fail with a valid pointer. */
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static unsigned bucket_of(uint64_t v)
{
    if (v < HIST_SUB)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v);    /* v != 0 here */
    unsigned shift = e - HIST_SUB_BITS;
    return (e - HIST_SUB_BITS + 1u) * HIST_SUB + (unsigned)((v >> shift) & (HIST_SUB - 1u));
}

/* Midpoint of bucket i. */
static uint64_t value_of(unsigned i)
{
    if (i < HIST_SUB)
        return i;
    unsigned group = i / HIST_SUB;            /* >= 1 */
    unsigned shift = group - 1u;
    uint64_t lower = (uint64_t)(HIST_SUB + i % HIST_SUB) << shift;
    return lower + ((1ull << shift) >> 1);
}

void hist_add(struct hist *h, uint64_t ns)
{
    h->bucket[bucket_of(ns)]++;
    h->count++;
}

void hist_merge(struct hist *into, const struct hist *from)
{
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
        into->bucket[i] += from->bucket[i];
    into->count += from->count;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
    if (h->count == 0)
        return 0;
    /* The smallest value with at least ceil(q * count) samples at or below. */
    double want = ceil(q * (double)h->count);
    uint64_t target = want < 1.0 ? 1 : (uint64_t)want;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= target)
            return value_of(i);
    }
    return value_of(HIST_BUCKETS - 1u);
}
