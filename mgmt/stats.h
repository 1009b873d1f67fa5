/*
 * The daemon's per-ring counters (hooks.stats) as pvscsid.get_stats gives
 * them: the counters, latency percentiles (p50, p99, p99.9) over the ring's
 * life, and rates and percentiles over the interval since the previous
 * query ("recent"), kept per ring in the core.
 */
#ifndef PVSCSI_MGMT_STATS_H
#define PVSCSI_MGMT_STATS_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "mgmt.h"

struct mgmt_core;

/* A sample of one ring kept for the next query's "recent" figures. */
struct stats_sample {
    uint64_t t_ns;
    struct mgmt_ring_stats s;
};

/* Every ring from the hook, malloc'd into *out (free()); the count, or
 * -errno. No hook: 0 rings. */
int stats_collect(const struct mgmt_core *c, struct mgmt_ring_stats **out);

/* The q-quantile (0..1) of a histogram in microseconds, interpolated in
 * its bucket as Prometheus' histogram_quantile does; -1 when empty. */
double stats_quantile_us(const uint64_t hist[MGMT_LAT_BUCKETS], double q);

/* Upper bound of bucket i in seconds (the last: infinity). */
double stats_bucket_le(unsigned i);

/* pvscsid.get_stats: one object per ring (VM names from names(domid),
 * which may return NULL). Updates the kept samples. NULL: no memory. */
struct json_object *stats_json(struct mgmt_core *c, const struct mgmt_ring_stats *rings,
                               size_t n, uint64_t now_ns,
                               const char *(*vm_uuid)(void *, unsigned),
                               const char *(*vm_name)(void *, unsigned), void *arg);

#endif
