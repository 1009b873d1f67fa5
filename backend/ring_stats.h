/*
 * Per-ring counters for the management API and its metrics: requests,
 * bytes, how commands were answered (GOOD; CHECK CONDITION, which is how
 * a tape reports a filemark or a short block, not a failure; another SCSI
 * status such as BUSY or RESERVATION CONFLICT; a transport failure, i.e.
 * a host byte other than OK: no such LUN, timeout, abort, reset, a
 * rejected request), the commands a LUN's policy refused, and a latency histogram with fixed log2 buckets.
 *
 * One writer (the ring's worker), readers on the management thread: the
 * counters are relaxed atomic loads and stores, never read-modify-write
 * (plain moves on x86). Nothing is allocated per request and the clock is
 * CLOCK_MONOTONIC through the vDSO: no syscall per request.
 */
#ifndef PVSCSID_RING_STATS_H
#define PVSCSID_RING_STATS_H

#include <stdint.h>

/* Bucket i counts latencies of at most 2^i microseconds (1 us .. 33.5 s);
 * the last one everything longer (a tape rewind). */
#define RING_LAT_BUCKETS 27

struct ring_stats {
    uint64_t requests;          /* taken off the ring */
    uint64_t bytes;             /* data moved, both directions */
    uint64_t good, check_condition, other_status, transport_errors;
    uint64_t denied;            /* refused by a LUN's command policy (also
                                   counted as check_condition) */
    uint64_t latency_sum_ns;
    uint64_t latency[RING_LAT_BUCKETS];
};

#define RING_COUNTER_ADD(field, n)                                                  \
    __atomic_store_n(&(field), __atomic_load_n(&(field), __ATOMIC_RELAXED) + (n),   \
                     __ATOMIC_RELAXED)
#define RING_COUNTER_SUB(field, n)                                                  \
    __atomic_store_n(&(field), __atomic_load_n(&(field), __ATOMIC_RELAXED) - (n),   \
                     __ATOMIC_RELAXED)
#define RING_COUNTER_GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

/* Monotonic nanoseconds: a request's start. */
uint64_t ring_stats_clock_ns(void);

/* The bucket of a latency. */
unsigned ring_stats_bucket(uint64_t ns);

/* A command was answered with this host byte and SCSI status, `bytes`
 * moved, started at start_ns (worker only). */
void ring_stats_answered(struct ring_stats *st, uint64_t start_ns, uint8_t host, uint8_t status,
                         uint32_t bytes);

/* A consistent-enough copy for a reader on another thread. */
void ring_stats_snapshot(const struct ring_stats *st, struct ring_stats *out);

#endif
