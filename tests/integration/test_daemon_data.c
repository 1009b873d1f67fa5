/*
 * Data integrity through pvscsid and the file handler: patterns of many
 * sizes (512 B to 1 MiB), odd segment splits and offsets, direct and
 * indirect segment lists, 16 requests in flight per ring, two guests with
 * two rings each at once; read back through the guest and checked in the
 * backing files themselves. Once with grant copy, once with grant map.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon_world.h"
#include "result.h"
#include "tap.h"
#include "testdata.h"
#include "xensim.h"

#define NR_GUESTS 2
#define RINGS_PER_GUEST 2
#define DEPTH 16
#define DISK_BYTES (64u << 20)
#define SLOT_BYTES (2u << 20)      /* each in-flight command's own region */

struct shape {
    uint32_t len;
    uint16_t first_offset, seg_max;
    bool force_indirect;
    uint16_t indirect_offset;
};

/* Sizes 512 B .. 1 MiB, page-crossing offsets, tiny segments, indirect
 * lists starting mid-page (as kcalloc'd lists do in Linux). */
static const struct shape shapes[] = {
    {512, 0, 0, false, 0},          {4096, 0, 0, false, 0},
    {4608, 512, 0, false, 0},       {8192, 3584, 0, false, 0},
    {65536, 0, 0, false, 0},        {65536, 1024, 1536, false, 0},
    {106496, 0, 0, false, 0},       {106496 + 4096, 0, 0, false, 0},   /* 27 segs: indirect */
    {131072, 2048, 0, false, 0},    {262144, 0, 0, true, 4000},
    {1048576, 0, 0, false, 0},      {1048576 - 4096, 1536, 0, false, 24},
    {20480, 0, 512, false, 0},      {12800, 256, 0, true, 0},
    {3072, 1024, 0, true, 8},       {524288, 0, 0, false, 0},
};

struct ring_io {
    struct simfront *f;
    char path[200];
    uint8_t *wbuf[DEPTH], *rbuf[DEPTH];
    struct simfront_cmd cmd[DEPTH];
};



static void shape_cmd(struct simfront_cmd *c, const struct shape *s, bool write, int slot,
                      uint8_t *buf)
{
    static const struct vscsi_hctl lun = {0, 0, 0, 0};
    uint8_t cdb[16];
    testdata_rw16(cdb, write, (uint64_t)slot * (SLOT_BYTES / 512), s->len / 512);
    simfront_cmd_init(c, &lun, cdb, 16, write ? VSCSI_DIR_TO_DEVICE : VSCSI_DIR_FROM_DEVICE,
                      buf, s->len);
    c->first_offset = s->first_offset;
    c->seg_max = s->seg_max;
    c->force_indirect = s->force_indirect;
    c->indirect_offset = s->indirect_offset;
}

/* All rings, DEPTH commands each, submitted before any is waited for. */
static void run_phase(struct ring_io *rings, int n, bool write, int round)
{
    for (int r = 0; r < n; r++)
        for (int i = 0; i < DEPTH; i++) {
            const struct shape *s = &shapes[(i + round) % (sizeof(shapes) / sizeof(shapes[0]))];
            uint8_t *buf = write ? rings[r].wbuf[i] : rings[r].rbuf[i];
            if (write)
                testdata_fill(buf, s->len, (uint32_t)(r * 1000 + i * 7 + round));
            else
                memset(buf, 0, s->len);
            shape_cmd(&rings[r].cmd[i], s, write, i, buf);
            int q = simfront_submit(rings[r].f, &rings[r].cmd[i]);
            if (q < 0)
                TAP_DIAG("submit ring %d cmd %d: %d", r, i, q);
            CHECK(q >= 0);
        }
    for (int r = 0; r < n; r++)
        for (int i = 0; i < DEPTH; i++) {
            CHECK_INT_EQ(simfront_wait(rings[r].f, &rings[r].cmd[i], 10000), 0);
            CHECK_INT_EQ(rings[r].cmd[i].rslt, 0);
            CHECK_INT_EQ(rings[r].cmd[i].residual, 0);
            CHECK_INT_EQ(rings[r].cmd[i].grant_errors, 0);
        }
}

static void integrity(const char *datapath)
{
    const char *args[] = {"--datapath", datapath, NULL};
    struct daemon_world w;
    REQUIRE(world_start(&w, args) == 0);
    struct simguest *g[NR_GUESTS];
    struct ring_io rings[NR_GUESTS * RINGS_PER_GUEST];
    memset(rings, 0, sizeof(rings));
    int nr = 0;
    for (int gi = 0; gi < NR_GUESTS; gi++) {
        g[gi] = simguest_create((uint16_t)(10 + gi), 12000, 0);
        REQUIRE(g[gi]);
        for (int d = 0; d < RINGS_PER_GUEST; d++, nr++) {
            char name[32], pdev[200];
            snprintf(name, sizeof(name), "disk-%d-%d", gi, d);
            REQUIRE(world_make_file(&w, name, DISK_BYTES, pdev, sizeof(pdev)) == 0);
            snprintf(rings[nr].path, sizeof(rings[nr].path), "%s", pdev + 5);
            const struct toolstack_lun lun = {0, pdev, "0:0:0:0"};
            rings[nr].f = world_attach(&w, g[gi], (uint32_t)d, &lun, 1);
            REQUIRE(rings[nr].f);
            for (int i = 0; i < DEPTH; i++) {
                rings[nr].wbuf[i] = malloc(1 << 20);
                rings[nr].rbuf[i] = malloc(1 << 20);
                REQUIRE(rings[nr].wbuf[i] && rings[nr].rbuf[i]);
            }
        }
    }
    uint64_t copies_before = xensim_count_copy_segments();
    for (int round = 0; round < 2; round++) {
        run_phase(rings, nr, true, round);
        run_phase(rings, nr, false, round);
        int bad = 0;
        for (int r = 0; r < nr; r++) {
            int fd = open(rings[r].path, O_RDONLY | O_CLOEXEC);
            CHECK(fd >= 0);
            static uint8_t disk[1 << 20];
            for (int i = 0; i < DEPTH; i++) {
                uint32_t len = rings[r].cmd[i].len;
                if (memcmp(rings[r].wbuf[i], rings[r].rbuf[i], len) != 0)
                    bad++;
                /* And the bytes really are in the file, at the right LBA. */
                if (fd >= 0 && pread(fd, disk, len, (off_t)i * SLOT_BYTES) != (ssize_t)len)
                    bad++;
                else if (memcmp(disk, rings[r].wbuf[i], len) != 0)
                    bad++;
            }
            if (fd >= 0)
                close(fd);
        }
        CHECK_INT_EQ(bad, 0);
    }
    uint64_t copies = xensim_count_copy_segments() - copies_before;
    if (strcmp(datapath, "copy") == 0)
        CHECK(copies > 1000);
    else   /* map mode copies only indirect segment lists */
        CHECK(copies < 200);
    TAP_DIAG("%s: %llu grant copy segments", datapath, (unsigned long long)copies);
    for (int r = 0; r < nr; r++)
        for (int i = 0; i < DEPTH; i++) {
            free(rings[r].wbuf[i]);
            free(rings[r].rbuf[i]);
        }
    for (int gi = 0; gi < NR_GUESTS; gi++)
        simguest_destroy(g[gi]);
    CHECK_INT_EQ(xensim_count_mappings(10), 0);
    CHECK_INT_EQ(xensim_count_mappings(11), 0);
    CHECK_INT_EQ(world_stop(&w), 0);
}

TEST(integrity_grant_copy)
{
    integrity("copy");
}

TEST(integrity_grant_map)
{
    integrity("map");
}

/* feature-sg-grant 1024: 4 MiB per request, 7 of them in flight (the
 * simulated guest has 8192 grant entries, as many a Linux guest starts with). */
#define LARGE_DEPTH 7
static void large(const char *datapath)
{
    const char *args[] = {"--max-segments", "1024", "--datapath", datapath, NULL};
    struct daemon_world w;
    REQUIRE(world_start(&w, args) == 0);
    struct simguest *g = simguest_create(30, 8000, 0);
    REQUIRE(g);
    char pdev[200];
    REQUIRE(world_make_file(&w, "big", 80u << 20, pdev, sizeof(pdev)) == 0);
    const struct toolstack_lun lun = {0, pdev, "0:0:0:0"};
    struct simfront *f = world_attach(&w, g, 0, &lun, 1);
    REQUIRE(f);
    CHECK_INT_EQ(simfront_max_segments(f), 1024);
    const uint32_t len = 4u << 20;
    uint8_t *wb = malloc((size_t)len * LARGE_DEPTH), *rb = calloc(LARGE_DEPTH, len);
    REQUIRE(wb && rb);
    struct simfront_cmd c[LARGE_DEPTH];
    static const struct vscsi_hctl l0 = {0, 0, 0, 0};
    for (int phase = 0; phase < 2; phase++) {
        for (int i = 0; i < LARGE_DEPTH; i++) {
            uint8_t cdb[16];
            testdata_rw16(cdb, phase == 0, (uint64_t)i * (len / 512), len / 512);
            uint8_t *buf = (phase == 0 ? wb : rb) + (size_t)i * len;
            if (phase == 0)
                testdata_fill(buf, len, (uint32_t)i + 77);
            simfront_cmd_init(&c[i], &l0, cdb, 16,
                              phase == 0 ? VSCSI_DIR_TO_DEVICE : VSCSI_DIR_FROM_DEVICE, buf, len);
            int q = simfront_submit(f, &c[i]);
            if (q < 0)
                TAP_DIAG("submit %d: %d", i, q);
            CHECK(q >= 0);
            if (q < 0)
                goto out;
        }
        for (int i = 0; i < LARGE_DEPTH; i++) {
            CHECK_INT_EQ(simfront_wait(f, &c[i], 20000), 0);
            CHECK_INT_EQ(c[i].rslt, 0);
            CHECK_INT_EQ(c[i].residual, 0);
        }
    }
    CHECK(memcmp(wb, rb, (size_t)len * LARGE_DEPTH) == 0);
out:
    free(wb);
    free(rb);
    simguest_destroy(g);
    CHECK_INT_EQ(xensim_count_mappings(30), 0);
    CHECK_INT_EQ(world_stop(&w), 0);
}

TEST(four_mib_transfers_grant_copy)
{
    large("copy");
}

TEST(four_mib_transfers_grant_map)
{
    large("map");
}

TAP_MAIN(integrity_grant_copy, integrity_grant_map, four_mib_transfers_grant_copy,
         four_mib_transfers_grant_map)
