#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

/* A window shorter than this says little; a sample this old is replaced. */
#define MIN_WINDOW_NS 200000000ull
#define RENEW_NS 1000000000ull

int stats_collect(const struct mgmt_core *c, struct mgmt_ring_stats **out)
{
    *out = NULL;
    if (!c->hooks.stats)
        return 0;
    size_t cap = 64;
    for (;;) {
        struct mgmt_ring_stats *rs = realloc(*out, cap * sizeof(*rs));
        if (!rs) {
            free(*out);
            *out = NULL;
            return -ENOMEM;
        }
        *out = rs;
        int n = c->hooks.stats(c->hooks.opaque, rs, cap);
        if (n < 0) {
            free(*out);
            *out = NULL;
            return n;
        }
        if ((size_t)n <= cap)
            return n;
        if (cap >= 65536)
            return (int)cap;    /* more rings than domains: what we have */
        cap = (size_t)n > 65536 ? 65536 : (size_t)n;
    }
}

double stats_bucket_le(unsigned i)
{
    return i + 1 >= MGMT_LAT_BUCKETS ? INFINITY : ldexp(1e-6, (int)i);
}

double stats_quantile_us(const uint64_t hist[MGMT_LAT_BUCKETS], double q)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < MGMT_LAT_BUCKETS; i++)
        total += hist[i];
    if (total == 0)
        return -1;
    double rank = q * (double)total, cum = 0;
    for (unsigned i = 0; i < MGMT_LAT_BUCKETS; i++) {
        if (hist[i] == 0 || cum + (double)hist[i] < rank) {
            cum += (double)hist[i];
            continue;
        }
        double lo = i == 0 ? 0 : ldexp(1, (int)i - 1), hi = ldexp(1, (int)i);
        if (i + 1 == MGMT_LAT_BUCKETS)
            return lo;          /* beyond the last bound: say the bound */
        return lo + (hi - lo) * (rank - cum) / (double)hist[i];
    }
    return ldexp(1, MGMT_LAT_BUCKETS - 2);
}

static void put_u64(struct json_object *o, const char *k, uint64_t v)
{
    json_object_object_add(o, k, json_object_new_int64(v > INT64_MAX ? INT64_MAX : (int64_t)v));
}

static struct json_object *percentiles(const uint64_t hist[MGMT_LAT_BUCKETS])
{
    static const struct {
        const char *name;
        double q;
    } qs[] = {{"p50", 0.5}, {"p99", 0.99}, {"p99_9", 0.999}};
    if (stats_quantile_us(hist, 0.5) < 0)
        return NULL;    /* nothing answered: null */
    struct json_object *p = json_object_new_object();
    for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
        json_object_object_add(p, qs[i].name,
                               json_object_new_double(stats_quantile_us(hist, qs[i].q)));
    return p;
}

static struct stats_sample *sample_of(struct mgmt_core *c, uint32_t domid, uint32_t devid)
{
    for (size_t i = 0; i < c->nsamples; i++)
        if (c->samples[i].s.domid == domid && c->samples[i].s.devid == devid)
            return &c->samples[i];
    return NULL;
}

/* The counters grew since the sample (a ring that reconnected starts over). */
static bool grew(const struct mgmt_ring_stats *now, const struct mgmt_ring_stats *then)
{
    if (now->requests < then->requests || now->bytes < then->bytes)
        return false;
    for (unsigned i = 0; i < MGMT_LAT_BUCKETS; i++)
        if (now->latency[i] < then->latency[i])
            return false;
    return true;
}

static struct json_object *recent(const struct mgmt_ring_stats *now,
                                  const struct stats_sample *then, uint64_t now_ns)
{
    if (!then || now_ns - then->t_ns < MIN_WINDOW_NS || !grew(now, &then->s))
        return NULL;
    double secs = (double)(now_ns - then->t_ns) / 1e9;
    uint64_t hist[MGMT_LAT_BUCKETS];
    for (unsigned i = 0; i < MGMT_LAT_BUCKETS; i++)
        hist[i] = now->latency[i] - then->s.latency[i];
    struct json_object *r = json_object_new_object();
    json_object_object_add(r, "interval_s", json_object_new_double(secs));
    json_object_object_add(r, "requests_per_s",
                           json_object_new_double((double)(now->requests - then->s.requests) /
                                                  secs));
    json_object_object_add(r, "bytes_per_s",
                           json_object_new_double((double)(now->bytes - then->s.bytes) / secs));
    json_object_object_add(r, "latency_us", percentiles(hist));
    return r;
}

/* Keeps the samples of the rings that exist now, renewing old ones. */
static bool keep_samples(struct mgmt_core *c, const struct mgmt_ring_stats *rings, size_t n,
                         uint64_t now_ns)
{
    struct stats_sample *next = n ? calloc(n, sizeof(*next)) : NULL;
    if (n && !next)
        return false;
    for (size_t i = 0; i < n; i++) {
        const struct stats_sample *old = sample_of(c, rings[i].domid, rings[i].devid);
        if (old && now_ns - old->t_ns < RENEW_NS && grew(&rings[i], &old->s))
            next[i] = *old;
        else
            next[i] = (struct stats_sample){now_ns, rings[i]};
    }
    free(c->samples);
    c->samples = next;
    c->nsamples = n;
    return true;
}

struct json_object *stats_json(struct mgmt_core *c, const struct mgmt_ring_stats *rings,
                               size_t n, uint64_t now_ns,
                               const char *(*vm_uuid)(void *, unsigned),
                               const char *(*vm_name)(void *, unsigned), void *arg)
{
    struct json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        const struct mgmt_ring_stats *s = &rings[i];
        struct json_object *r = json_object_new_object();
        const char *uuid = vm_uuid(arg, s->domid), *name = vm_name(arg, s->domid);
        char ref[80];
        snprintf(ref, sizeof(ref), "OpaqueRef:%s", uuid ? uuid : "NULL");
        json_object_object_add(r, "domid", json_object_new_int64(s->domid));
        json_object_object_add(r, "devid", json_object_new_int64(s->devid));
        json_object_object_add(r, "VM", json_object_new_string(ref));
        json_object_object_add(r, "VM_name", json_object_new_string(name ? name : ""));
        put_u64(r, "requests", s->requests);
        put_u64(r, "bytes", s->bytes);
        put_u64(r, "good", s->good);
        put_u64(r, "check_conditions", s->check_conditions);
        put_u64(r, "other_status", s->other_status);
        put_u64(r, "transport_errors", s->transport_errors);
        put_u64(r, "denied", s->denied);
        put_u64(r, "in_flight", s->in_flight);
        json_object_object_add(r, "latency_us", percentiles(s->latency));
        struct json_object *w = recent(s, sample_of(c, s->domid, s->devid), now_ns);
        if (w)
            json_object_object_add(r, "recent", w);
        json_object_array_add(a, r);
    }
    if (!keep_samples(c, rings, n, now_ns)) {
        json_object_put(a);
        return NULL;
    }
    return a;
}
