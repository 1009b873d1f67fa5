/*
 * Restarting pvscsid while guests run (issue #12): a planned restart
 * (SIGTERM, then a new process) and a crash (SIGKILL), each under load on
 * four rings of two guests, with both data paths. Every guest command must
 * complete once, GOOD, its data read back intact; the new process must
 * serve the rings again at once; and no command that was answered may run
 * again, which the ring journals and the daemon's counters show.
 */
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "daemon_world.h"
#include "result.h"
#include "ring_journal.h"
#include "tap.h"
#include "testdata.h"
#include "xensim.h"

#define NR_GUESTS 2
#define RINGS_PER_GUEST 2
#define NR_RINGS (NR_GUESTS * RINGS_PER_GUEST)
#define DEPTH 8
#define IO_BYTES (64u << 10)
#define DISK_BYTES (DEPTH * IO_BYTES)

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* One ring's load: DEPTH writes of fresh patterns, then DEPTH reads that
 * must return them, round after round, until told to stop. */
struct load {
    struct simfront *f;
    uint16_t domid;
    uint32_t devid;
    pthread_t thread;
    volatile bool stop;
    uint8_t *wbuf[DEPTH], *rbuf[DEPTH];
    struct simfront_cmd cmd[DEPTH];
    /* Results. */
    unsigned long sent, completed, failed, bad_data, lost_waits;
    long last_done_ms;       /* when the last command completed */
};



static void phase(struct load *l, bool write, uint32_t round)
{
    static const struct vscsi_hctl lun = {0, 0, 0, 0};
    for (int i = 0; i < DEPTH; i++) {
        uint8_t cdb[10];
        testdata_rw10(cdb, write, (uint32_t)i * (IO_BYTES / 512), IO_BYTES / 512);
        uint8_t *buf = write ? l->wbuf[i] : l->rbuf[i];
        if (write)
            testdata_fill(buf, IO_BYTES, round * 131u + (uint32_t)i + l->domid * 7919u + l->devid * 31u);
        else
            memset(buf, 0, IO_BYTES);
        simfront_cmd_init(&l->cmd[i], &lun, cdb, 10,
                          write ? VSCSI_DIR_TO_DEVICE : VSCSI_DIR_FROM_DEVICE, buf, IO_BYTES);
        l->cmd[i].timeout_s = 30;
        if (simfront_submit(l->f, &l->cmd[i]) >= 0)
            l->sent++;
        else
            l->failed++;
    }
    for (int i = 0; i < DEPTH; i++) {
        /* A restart takes well under this; a hang fails the test. */
        if (simfront_wait(l->f, &l->cmd[i], 20000) < 0) {
            l->lost_waits++;
            continue;
        }
        l->completed++;
        l->last_done_ms = now_ms();
        if (l->cmd[i].rslt != 0) {
            TAP_DIAG("vscsi-%u/%u: rqid %u rslt 0x%x", l->domid, l->devid, l->cmd[i].rqid,
                     (unsigned)l->cmd[i].rslt);
            l->failed++;
        }
    }
    if (!write)
        for (int i = 0; i < DEPTH; i++)
            if (memcmp(l->wbuf[i], l->rbuf[i], IO_BYTES) != 0)
                l->bad_data++;
}

static void *load_main(void *arg)
{
    struct load *l = arg;
    for (uint32_t round = 0; !l->stop && l->lost_waits == 0; round++) {
        phase(l, true, round);
        phase(l, false, round);
    }
    return NULL;
}

/* The journal file of a ring, read as the next daemon would. */
static bool read_journal(struct daemon_world *w, uint16_t domid, uint32_t devid,
                         struct ring_journal *out)
{
    char path[192];
    snprintf(path, sizeof(path), "%s/ring-%u-%u.journal", w->state_dir, domid, devid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = pread(fd, out, sizeof(*out), 0) == (ssize_t)sizeof(*out);
    close(fd);
    return ok && out->magic == RING_JOURNAL_MAGIC;
}

/* Requests the running daemon has started on a ring, from its counters. */
static long daemon_requests(struct daemon_world *w, uint16_t domid, uint32_t devid)
{
    char out[16384];
    char args[64];
    snprintf(args, sizeof(args), "--json stats");
    if (world_ctl(w->sock, args, out, sizeof(out)) != 0)
        return -1;
    struct json_object *a = json_tokener_parse(out);
    long n = -1;
    for (size_t i = 0; a && i < json_object_array_length(a); i++) {
        struct json_object *r = json_object_array_get_idx(a, i), *v;
        if (json_object_object_get_ex(r, "domid", &v) && json_object_get_int(v) == domid &&
            json_object_object_get_ex(r, "devid", &v) && json_object_get_int(v) == (int)devid &&
            json_object_object_get_ex(r, "requests", &v))
            n = json_object_get_int64(v);
    }
    json_object_put(a);
    return n;
}

static void restart_under_load(const char *datapath, bool crash)
{
    world_capture_log = true;
    const char *args[] = {"--datapath", datapath, NULL};
    struct daemon_world w;
    REQUIRE(world_start(&w, args) == 0);
    struct simguest *g[NR_GUESTS];
    static struct load loads[NR_RINGS];
    memset(loads, 0, sizeof(loads));
    int nr = 0;
    for (int gi = 0; gi < NR_GUESTS; gi++) {
        g[gi] = simguest_create((uint16_t)(20 + gi), 4096, 0);
        REQUIRE(g[gi]);
        for (int d = 0; d < RINGS_PER_GUEST; d++, nr++) {
            char name[32], pdev[200];
            snprintf(name, sizeof(name), "disk-%d-%d", gi, d);
            REQUIRE(world_make_file(&w, name, DISK_BYTES, pdev, sizeof(pdev)) == 0);
            const struct toolstack_lun lun = {0, pdev, "0:0:0:0"};
            struct load *l = &loads[nr];
            l->domid = (uint16_t)(20 + gi);
            l->devid = (uint32_t)d;
            l->f = world_attach(&w, g[gi], l->devid, &lun, 1);
            REQUIRE(l->f);
            for (int i = 0; i < DEPTH; i++) {
                l->wbuf[i] = malloc(IO_BYTES);
                l->rbuf[i] = malloc(IO_BYTES);
                REQUIRE(l->wbuf[i] && l->rbuf[i]);
            }
        }
    }
    for (int r = 0; r < nr; r++)
        REQUIRE(pthread_create(&loads[r].thread, NULL, load_main, &loads[r]) == 0);

    /* Two restarts, each with the rings busy. Between the old process and
     * the new, the journals say what the old one took off each ring:
     * everything the new one takes is new, or (after a crash) re-run. */
    uint32_t taken_before[NR_RINGS];
    long started_ms = 0;
    for (int round = 0; round < 2; round++) {
        usleep(400000);
        if (crash)
            world_kill_daemon(&w);
        else
            CHECK_INT_EQ(world_stop_daemon_only(&w), 0);
        for (int r = 0; r < nr; r++) {
            struct ring_journal j;
            CHECK(read_journal(&w, loads[r].domid, loads[r].devid, &j));
            taken_before[r] = j.req_cons;
        }
        started_ms = now_ms();
        REQUIRE(world_spawn_daemon(&w) == 0);
    }
    /* The rings are served again at once. */
    for (int r = 0; r < nr; r++) {
        long until = now_ms() + 5000;
        while (loads[r].last_done_ms < started_ms && now_ms() < until)
            usleep(2000);
        long took = loads[r].last_done_ms - started_ms;
        TAP_DIAG("vscsi-%u/%u: first completion %ld ms after the new daemon started",
                 loads[r].domid, loads[r].devid, took);
        CHECK(loads[r].last_done_ms >= started_ms && took < 2000);
    }
    usleep(300000);
    for (int r = 0; r < nr; r++)
        loads[r].stop = true;
    for (int r = 0; r < nr; r++)
        pthread_join(loads[r].thread, NULL);

    for (int r = 0; r < nr; r++) {
        struct load *l = &loads[r];
        TAP_DIAG("vscsi-%u/%u: %lu sent, %lu completed", l->domid, l->devid, l->sent,
                 l->completed);
        CHECK(l->completed > 4 * DEPTH);
        CHECK_INT_EQ(l->lost_waits, 0);
        CHECK_INT_EQ(l->completed, l->sent);
        CHECK_INT_EQ(l->failed, 0);
        CHECK_INT_EQ(l->bad_data, 0);
        CHECK_INT_EQ(simfront_stray_responses(l->f), 0);
        /* Nothing ran twice: the journal counts every request ever taken
         * off the ring (the whole run: it continues across restarts), and
         * each was answered exactly once; the last daemon started exactly
         * the ones it took, plus (after a crash) the ones it re-ran. */
        struct ring_journal j;
        CHECK(read_journal(&w, l->domid, l->devid, &j));
        CHECK_INT_EQ(j.req_cons, l->sent);
        long started = daemon_requests(&w, l->domid, l->devid);
        long took = (long)(j.req_cons - taken_before[r]);
        if (crash)
            CHECK(started >= took && started <= took + (long)VSCSI_RING_SIZE);
        else
            CHECK_INT_EQ(started, took);
    }
    if (!crash) {
        CHECK_INT_EQ(world_log_count(&w, ": handed over\n"), 2 * nr);
        CHECK_INT_EQ(world_log_count(&w, "resumed from its journal"), 2 * nr);
        CHECK_INT_EQ(world_log_count(&w, "may have run"), 0);
    } else {
        CHECK_INT_EQ(world_log_count(&w, "resumed from its journal"), 2 * nr);
        TAP_DIAG("taken over after the kills: %d commands run again, %d answered as lost",
                 world_log_count(&w, "run again"), world_log_count(&w, "as lost"));
        /* Disks only here: nothing is answered as lost. */
        CHECK_INT_EQ(world_log_count(&w, "as lost"), 0);
    }
    CHECK_INT_EQ(world_log_count(&w, "overflowed"), 0);
    CHECK_INT_EQ(world_log_count(&w, "shared ring alone"), 0);

    for (int r = 0; r < nr; r++)
        for (int i = 0; i < DEPTH; i++) {
            free(loads[r].wbuf[i]);
            free(loads[r].rbuf[i]);
        }
    for (int gi = 0; gi < NR_GUESTS; gi++)
        simguest_destroy(g[gi]);
    CHECK_INT_EQ(xensim_count_mappings(20), 0);
    CHECK_INT_EQ(xensim_count_mappings(21), 0);
    CHECK_INT_EQ(world_stop(&w), 0);
    world_capture_log = false;
}

TEST(planned_restart_under_load_grant_copy)
{
    restart_under_load("copy", false);
}

TEST(planned_restart_under_load_grant_map)
{
    restart_under_load("map", false);
}

TEST(crash_restart_under_load_grant_copy)
{
    restart_under_load("copy", true);
}

TEST(crash_restart_under_load_grant_map)
{
    restart_under_load("map", true);
}

TAP_MAIN(planned_restart_under_load_grant_copy, planned_restart_under_load_grant_map,
         crash_restart_under_load_grant_copy, crash_restart_under_load_grant_map)
