#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "core.h"
#include "stats.h"
#include "tap.h"

TEST(quantiles_interpolate_in_the_bucket)
{
    uint64_t h[MGMT_LAT_BUCKETS] = {0};
    CHECK(stats_quantile_us(h, 0.5) < 0);          /* empty */
    h[7] = 1000;                                   /* (64, 128] us */
    h[10] = 190;                                   /* (512, 1024] us */
    h[14] = 8;
    h[MGMT_LAT_BUCKETS - 1] = 2;                   /* beyond 33.5 s */
    CHECK(fabs(stats_quantile_us(h, 0.5) - (64 + 64 * 600.0 / 1000)) < 1e-9);
    CHECK(fabs(stats_quantile_us(h, 0.99) - (512 + 512 * 188.0 / 190)) < 1e-9);
    CHECK(stats_quantile_us(h, 0.999) == ldexp(1, 25));
    uint64_t one[MGMT_LAT_BUCKETS] = {0};
    one[0] = 3;                                    /* [0, 1] us */
    CHECK(stats_quantile_us(one, 1.0) <= 1.0);
    CHECK(stats_bucket_le(0) == 1e-6);
    CHECK(stats_bucket_le(10) == ldexp(1e-6, 10));
    CHECK(isinf(stats_bucket_le(MGMT_LAT_BUCKETS - 1)));
}

static const char *no_name(void *arg, unsigned domid)
{
    (void)arg;
    (void)domid;
    return NULL;
}

TEST(recent_rates_over_the_interval_since_the_last_query)
{
    struct mgmt_core c;
    memset(&c, 0, sizeof(c));
    struct mgmt_ring_stats r = {.domid = 4, .devid = 0, .requests = 100, .bytes = 1000};
    r.latency[3] = 100;
    struct json_object *a = stats_json(&c, &r, 1, 1000000000ull, no_name, no_name, NULL);
    REQUIRE(a);
    CHECK(!json_object_object_get_ex(json_object_array_get_idx(a, 0), "recent", NULL));
    CHECK_STR_EQ(json_object_get_string(
                     json_object_object_get(json_object_array_get_idx(a, 0), "VM")),
                 "OpaqueRef:NULL");
    json_object_put(a);
    r.requests = 300;
    r.bytes = 5000;
    r.latency[9] = 200;                            /* the new ones were slow */
    a = stats_json(&c, &r, 1, 3000000000ull, no_name, no_name, NULL);   /* 2 s later */
    REQUIRE(a);
    struct json_object *rec = NULL;
    REQUIRE(json_object_object_get_ex(json_object_array_get_idx(a, 0), "recent", &rec));
    CHECK(fabs(json_object_get_double(json_object_object_get(rec, "requests_per_s")) - 100) <
          1e-9);
    CHECK(fabs(json_object_get_double(json_object_object_get(rec, "bytes_per_s")) - 2000) < 1e-9);
    struct json_object *lat = json_object_object_get(rec, "latency_us");
    CHECK(json_object_get_double(json_object_object_get(lat, "p50")) > 256);
    json_object_put(a);
    /* The ring reconnected (counters went back): no window, a new sample. */
    r.requests = 5;
    r.latency[9] = 0;
    a = stats_json(&c, &r, 1, 4000000000ull, no_name, no_name, NULL);
    CHECK(!json_object_object_get_ex(json_object_array_get_idx(a, 0), "recent", NULL));
    json_object_put(a);
    free(c.samples);
}

TAP_MAIN(quantiles_interpolate_in_the_bucket, recent_rates_over_the_interval_since_the_last_query)
