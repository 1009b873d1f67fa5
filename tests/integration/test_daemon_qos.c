/*
 * Per-guest limits (issue #14): two guests on one daemon, one limited to
 * 200 requests/s with `pvscsictl limit` (DSCSI_HBA.set_qos_iops). The
 * limited one gets about its limit, never an error (its requests wait in
 * the ring); the other runs free; lifting the limit live (its qos-iops node
 * written by a toolstack) lets the first run free too.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

#include "daemon_world.h"
#include "result.h"
#include "tap.h"
#include "testdata.h"
#include "toolstack.h"

#define QD 4

struct load {
    struct simfront *f;
    volatile bool stop;
    unsigned long done, failed;
    pthread_t thread;
};

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void *load_main(void *arg)
{
    struct load *l = arg;
    static const struct vscsi_hctl lun = {0, 0, 0, 0};
    uint8_t buf[QD][4096];
    struct simfront_cmd cmd[QD];
    while (!l->stop) {
        for (int i = 0; i < QD; i++) {
            uint8_t cdb[10];
            testdata_rw10(cdb, false, (uint32_t)i * 8, 8);
            simfront_cmd_init(&cmd[i], &lun, cdb, 10, VSCSI_DIR_FROM_DEVICE, buf[i], 4096);
            if (simfront_submit(l->f, &cmd[i]) < 0)
                l->failed++;
        }
        for (int i = 0; i < QD; i++) {
            if (simfront_wait(l->f, &cmd[i], 10000) < 0 || cmd[i].rslt != 0)
                l->failed++;
            else
                l->done++;
        }
    }
    return NULL;
}

/* Requests completed per second over `ms`. */
static double rate(struct load *l, long ms)
{
    unsigned long before = l->done;
    long t0 = now_ms();
    usleep((useconds_t)ms * 1000);
    return (double)(l->done - before) * 1000.0 / (double)(now_ms() - t0);
}

static void set_limit(struct daemon_world *w, uint16_t domid, const char *iops)
{
    char path[160];
    toolstack_backend_path(path, sizeof(path), 0, domid, 0);
    strcat(path, "/qos-iops");
    REQUIRE(xs_write(w->xs, XBT_NULL, path, iops, (unsigned)strlen(iops)));
}

TEST(a_limited_guest_waits_the_other_runs_free)
{
    struct daemon_world w;
    REQUIRE(world_start(&w, NULL) == 0);
    struct simguest *ga = simguest_create(30, 512, 0), *gb = simguest_create(31, 512, 0);
    REQUIRE(ga && gb);
    static const struct toolstack_lun lun = {0, "null:64M", "0:0:0:0"};
    struct load a = {0}, b = {0};
    a.f = world_attach(&w, ga, 0, &lun, 1);
    b.f = world_attach(&w, gb, 0, &lun, 1);
    REQUIRE(a.f && b.f);
    REQUIRE(xs_write(w.xs, XBT_NULL, "/local/domain/30/name", "limited", 7));
    char out[4096];
    int st = world_ctl(w.sock, "limit limited 0 200 0", out, sizeof(out));
    if (st != 0)
        TAP_DIAG("pvscsictl limit: %s", out);
    REQUIRE(st == 0);
    char path[160];
    toolstack_backend_path(path, sizeof(path), 0, 30, 0);
    strcat(path, "/qos-iops");
    char *v = xs_read(w.xs, XBT_NULL, path, NULL);
    CHECK(v && strcmp(v, "200") == 0);
    free(v);
    usleep(200000);          /* the daemon picks it up from its watch */
    REQUIRE(pthread_create(&a.thread, NULL, load_main, &a) == 0);
    REQUIRE(pthread_create(&b.thread, NULL, load_main, &b) == 0);
    usleep(300000);
    double ra = rate(&a, 1500), rb = rate(&b, 1500);
    TAP_DIAG("limited to 200/s: %.0f/s; unlimited: %.0f/s", ra, rb);
    CHECK(ra >= 120 && ra <= 260);
    CHECK(rb > 3 * ra);
    /* Lifted live: the first guest runs free too. */
    set_limit(&w, 30, "0");
    usleep(300000);
    double ra2 = rate(&a, 1000);
    TAP_DIAG("limit lifted: %.0f/s", ra2);
    CHECK(ra2 > 3 * 200);
    a.stop = b.stop = true;
    pthread_join(a.thread, NULL);
    pthread_join(b.thread, NULL);
    CHECK_INT_EQ(a.failed, 0);
    CHECK_INT_EQ(b.failed, 0);
    simguest_destroy(ga);
    simguest_destroy(gb);
    CHECK_INT_EQ(world_stop(&w), 0);
}

TAP_MAIN(a_limited_guest_waits_the_other_runs_free)
