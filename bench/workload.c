/*
 * The pvscsid side of the bench: a daemon world (simulator, xenstored,
 * pvscsid-sim), guests with one device (ring) each per --rings-per-guest,
 * and one thread per ring keeping --qd requests in flight until the
 * deadline. Then, for writes, every block written is read back through the
 * same rings and checked.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.h"
#include "daemon_world.h"
#include "xensim.h"

#define SECTOR 512u
#define CMD_TIMEOUT_S 30u
#define WAIT_MS 30000
#define VERIFY_REPORT_MAX 5

/* Start of every 512-byte sector of a written block: where it belongs, which
 * write put it there, and the checksum of the whole block's payload. */
struct sector_tag {
    uint64_t seed;
    uint64_t blk;
    uint32_t gen;
    uint32_t sector;
    uint64_t sum;
};
_Static_assert(sizeof(struct sector_tag) == 32, "tag layout");

struct slot {
    struct simfront_cmd cmd;
    uint8_t *wbuf;              /* write data: payload fixed, tags per write */
    uint8_t *rbuf;              /* read data */
    uint64_t payload_hash;      /* of wbuf's payload (tags excluded) */
    uint64_t blk;               /* block within the ring's slice */
    uint64_t t_submit;
    uint32_t gen;
    bool write;
    bool inflight;
};

enum phase { PHASE_RUN, PHASE_VERIFY };

struct ring {
    const struct bench_opts *o;
    struct simfront *f;
    unsigned index;
    uint64_t seed;
    uint64_t first_blk, nr_blks;  /* the ring's slice of the LUN, in bs blocks */
    uint64_t seq_next;
    uint64_t rng;
    uint32_t *gen;                /* per block: generation last written, 0 none */
    uint32_t next_gen;
    struct slot slots[BENCH_MAX_QD];
    enum phase phase;
    pthread_barrier_t *start;
    uint64_t t_start, t_end, deadline;
    uint64_t verify_next;         /* scan position */
    /* results */
    struct hist hist;
    uint64_t reads, writes, bytes, errors;
    uint64_t verify_blocks, verify_bad;
    bool failed;
};

/* ---- Data pattern --------------------------------------------------------- */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64*: cheap, and the state never becomes 0 from a non-0 seed. */
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* Hash of the payload of a block: every sector less its tag. */
static uint64_t payload_hash(const uint8_t *buf, uint32_t bs)
{
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (uint32_t s = 0; s < bs; s += SECTOR)
        for (uint32_t off = sizeof(struct sector_tag); off < SECTOR; off += 8) {
            uint64_t w;
            memcpy(&w, buf + s + off, sizeof(w));
            h = (h ^ w) * 0x100000001b3ull;
            h = (h << 29) | (h >> 35);
        }
    return mix64(h);
}

static uint64_t block_sum(uint64_t phash, uint64_t seed, uint64_t blk, uint32_t gen)
{
    return mix64(phash ^ mix64(seed ^ mix64(blk ^ ((uint64_t)gen << 40))));
}

static void stamp_block(uint8_t *buf, uint32_t bs, uint64_t seed, uint64_t blk, uint32_t gen,
                        uint64_t phash)
{
    struct sector_tag t = {.seed = seed, .blk = blk, .gen = gen,
                           .sum = block_sum(phash, seed, blk, gen)};
    for (uint32_t s = 0; s < bs / SECTOR; s++) {
        t.sector = s;
        memcpy(buf + (size_t)s * SECTOR, &t, sizeof(t));
    }
}

/* 0 when buf is what write `gen` of block `blk` stored; else what is wrong. */
static const char *check_block(const uint8_t *buf, uint32_t bs, uint64_t seed, uint64_t blk,
                               uint32_t gen)
{
    struct sector_tag t0;
    memcpy(&t0, buf, sizeof(t0));
    for (uint32_t s = 0; s < bs / SECTOR; s++) {
        struct sector_tag t;
        memcpy(&t, buf + (size_t)s * SECTOR, sizeof(t));
        if (t.seed != seed)
            return "not written in this run (seed)";
        if (t.blk != blk)
            return "holds another block";
        if (t.gen != gen)
            return "stale or lost write (generation)";
        if (t.sector != s)
            return "sectors out of place";
        if (t.sum != t0.sum)
            return "sectors from different writes";
    }
    if (t0.sum != block_sum(payload_hash(buf, bs), seed, blk, gen))
        return "payload corrupted (checksum)";
    return NULL;
}

/* ---- Requests ------------------------------------------------------------- */
static void build_cdb(uint8_t *cdb, unsigned *len, bool write, uint64_t lba, uint32_t nblocks)
{
    memset(cdb, 0, 16);
    if (lba + nblocks <= UINT32_MAX && nblocks <= UINT16_MAX) {
        /* READ(10)/WRITE(10), as Linux's sd uses for disks under 2 TiB. */
        cdb[0] = write ? 0x2a : 0x28;
        for (int i = 0; i < 4; i++)
            cdb[2 + i] = (uint8_t)(lba >> (24 - 8 * i));
        cdb[7] = (uint8_t)(nblocks >> 8);
        cdb[8] = (uint8_t)nblocks;
        *len = 10;
    } else {
        cdb[0] = write ? 0x8a : 0x88;
        for (int i = 0; i < 8; i++)
            cdb[2 + i] = (uint8_t)(lba >> (56 - 8 * i));
        for (int i = 0; i < 4; i++)
            cdb[10 + i] = (uint8_t)(nblocks >> (24 - 8 * i));
        *len = 16;
    }
}

static bool write_conflicts(const struct ring *r, uint64_t blk)
{
    for (unsigned i = 0; i < r->o->qd; i++)
        if (r->slots[i].inflight && r->slots[i].write && r->slots[i].blk == blk)
            return true;
    return false;
}

/* Picks what slot s does next in the run phase. */
static void choose_run(struct ring *r, struct slot *s)
{
    const struct bench_opts *o = r->o;
    switch (o->rw) {
    case RW_READ:
    case RW_WRITE:
        s->write = o->rw == RW_WRITE;
        s->blk = r->seq_next;
        r->seq_next = (r->seq_next + 1) % r->nr_blks;
        return;
    case RW_RANDREAD:
        s->write = false;
        break;
    case RW_RANDWRITE:
        s->write = true;
        break;
    case RW_RANDRW:
        s->write = rng_next(&r->rng) % 100u >= o->mix;
        break;
    }
    /* Two writes of one block in flight would leave verify unable to know
     * which landed last: draw again (the slice holds at least 2*qd blocks). */
    do
        s->blk = rng_next(&r->rng) % r->nr_blks;
    while (s->write && write_conflicts(r, s->blk));
}

/* Next written block to read back, or false when the scan is done. */
static bool choose_verify(struct ring *r, struct slot *s)
{
    while (r->verify_next < r->nr_blks && r->gen[r->verify_next] == 0)
        r->verify_next++;
    if (r->verify_next >= r->nr_blks)
        return false;
    s->write = false;
    s->blk = r->verify_next++;
    return true;
}

static int submit(struct ring *r, struct slot *s)
{
    const struct bench_opts *o = r->o;
    uint64_t abs_blk = r->first_blk + s->blk;
    if (s->write) {
        if (++r->next_gen == 0)
            r->next_gen = 1;   /* 0 means "never written" */
        s->gen = r->next_gen;
        stamp_block(s->wbuf, o->bs, r->seed, abs_blk, s->gen, s->payload_hash);
        r->gen[s->blk] = s->gen;
    }
    uint8_t cdb[16];
    unsigned cdb_len;
    uint32_t per_blk = o->bs / SECTOR;
    build_cdb(cdb, &cdb_len, s->write, abs_blk * per_blk, per_blk);
    static const struct vscsi_hctl lun0 = {0, 0, 0, 0};
    simfront_cmd_init(&s->cmd, &lun0, cdb, cdb_len,
                      s->write ? VSCSI_DIR_TO_DEVICE : VSCSI_DIR_FROM_DEVICE,
                      s->write ? s->wbuf : s->rbuf, o->bs);
    s->cmd.timeout_s = CMD_TIMEOUT_S;
    s->t_submit = bench_now_ns();
    int rc = simfront_submit(r->f, &s->cmd);
    if (rc < 0) {
        fprintf(stderr, "ring %u: submit failed: %s\n", r->index, strerror(-rc));
        return -1;
    }
    s->inflight = true;
    return 0;
}

static void complete(struct ring *r, struct slot *s, uint64_t now)
{
    s->inflight = false;
    bool good = s->cmd.rslt == 0 && s->cmd.residual == 0;
    if (!good) {
        if (r->errors++ < VERIFY_REPORT_MAX)
            fprintf(stderr, "ring %u: block %" PRIu64 " %s: rslt 0x%x residual %u\n", r->index,
                    r->first_blk + s->blk, s->write ? "write" : "read", (unsigned)s->cmd.rslt,
                    s->cmd.residual);
    }
    if (r->phase == PHASE_RUN) {
        hist_add(&r->hist, now - s->t_submit);
        if (s->write)
            r->writes++;
        else
            r->reads++;
        r->bytes += r->o->bs;
        return;
    }
    r->verify_blocks++;
    const char *why = good ? check_block(s->rbuf, r->o->bs, r->seed, r->first_blk + s->blk,
                                         r->gen[s->blk])
                           : "read failed";
    if (why && r->verify_bad++ < VERIFY_REPORT_MAX)
        fprintf(stderr, "verify: ring %u block %" PRIu64 ": %s\n", r->index,
                r->first_blk + s->blk, why);
}

static bool choose(struct ring *r, struct slot *s, uint64_t now)
{
    if (r->failed)
        return false;
    if (r->phase == PHASE_RUN) {
        if (now >= r->deadline)
            return false;
        choose_run(r, s);
        return true;
    }
    return choose_verify(r, s);
}

/* Keeps qd requests in flight: blocks on the oldest, then collects every
 * other one already done (a zero-timeout wait is a locked look at `done`),
 * and refills the freed slots. */
static void pump(struct ring *r)
{
    unsigned qd = r->o->qd, n = 0;
    struct slot *order[BENCH_MAX_QD];
    uint64_t now = bench_now_ns();
    for (unsigned i = 0; i < qd; i++) {
        struct slot *s = &r->slots[i];
        if (!choose(r, s, now))
            break;
        if (submit(r, s) < 0) {
            r->failed = true;
            break;
        }
        order[n++] = s;
    }
    while (n > 0) {
        if (simfront_wait(r->f, &order[0]->cmd, WAIT_MS) < 0) {
            fprintf(stderr, "ring %u: no response in %d ms\n", r->index, WAIT_MS);
            r->failed = true;
            return;   /* the guest's teardown completes what is left */
        }
        now = bench_now_ns();
        struct slot *done[BENCH_MAX_QD];
        unsigned nd = 0, keep = 0;
        for (unsigned i = 0; i < n; i++) {
            if (i == 0 || simfront_wait(r->f, &order[i]->cmd, 0) == 0)
                done[nd++] = order[i];
            else
                order[keep++] = order[i];
        }
        n = keep;
        for (unsigned i = 0; i < nd; i++) {
            complete(r, done[i], now);
            r->t_end = now;
        }
        for (unsigned i = 0; i < nd; i++) {
            if (!choose(r, done[i], now))
                continue;
            if (submit(r, done[i]) < 0) {
                r->failed = true;
                continue;
            }
            order[n++] = done[i];
        }
    }
}

static void *ring_thread(void *arg)
{
    struct ring *r = arg;
    /* The barrier's result only says which waiter was last. */
    (void)pthread_barrier_wait(r->start);
    r->t_start = r->t_end = bench_now_ns();
    r->deadline = r->t_start + (uint64_t)(r->o->seconds * 1e9);
    pump(r);
    return NULL;
}

static void *verify_thread(void *arg)
{
    struct ring *r = arg;
    r->phase = PHASE_VERIFY;
    r->verify_next = 0;
    pump(r);
    return NULL;
}

/* ---- CPU time --------------------------------------------------------------- */
/* utime + stime of process `pid` (all its threads), in seconds; -1 on error. */
static double proc_cpu_seconds(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold spaces and parentheses: fields restart after
     * the last ')'. Then state is field 3, utime 14 and stime 15. */
    char *p = strrchr(buf, ')');
    unsigned long long ut, st;
    if (!p || sscanf(p + 1, " %*c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu %llu", &ut,
                     &st) != 2)
        return -1;
    long hz = sysconf(_SC_CLK_TCK);
    return hz > 0 ? (double)(ut + st) / (double)hz : -1;
}

static double self_cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) < 0)
        return -1;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* ---- Setup and teardown ------------------------------------------------------ */
static unsigned pages_per_request(uint32_t bs, unsigned *grants)
{
    unsigned segs = (bs + XENSIM_PAGE_SIZE - 1) / XENSIM_PAGE_SIZE;
    unsigned lists = segs > VSCSIIF_SG_TABLESIZE ? (segs * 8 + XENSIM_PAGE_SIZE - 1) /
                                                       XENSIM_PAGE_SIZE
                                                 : 0;
    *grants = segs + lists;
    return segs + lists;
}

static int ring_alloc_buffers(struct ring *r, uint64_t run_seed)
{
    const struct bench_opts *o = r->o;
    bool writes = bench_rw_writes(o->rw);
    if (writes) {
        /* Also for the null handler (never verified): submit() records. */
        r->gen = calloc(r->nr_blks, sizeof(*r->gen));
        if (!r->gen)
            return -1;
    }
    for (unsigned i = 0; i < o->qd; i++) {
        struct slot *s = &r->slots[i];
        s->rbuf = malloc(o->bs);
        if (!s->rbuf)
            return -1;
        if (!writes)
            continue;
        s->wbuf = malloc(o->bs);
        if (!s->wbuf)
            return -1;
        /* Payload differs per ring and slot so a misplaced buffer shows. */
        uint64_t st = mix64(run_seed ^ ((uint64_t)r->index << 32) ^ i) | 1u;
        for (uint32_t off = 0; off < o->bs; off += 8) {
            uint64_t w = rng_next(&st);
            memcpy(s->wbuf + off, &w, sizeof(w));
        }
        s->payload_hash = payload_hash(s->wbuf, o->bs);
    }
    return 0;
}

static void ring_free(struct ring *r)
{
    for (unsigned i = 0; i < BENCH_MAX_QD; i++) {
        free(r->slots[i].rbuf);
        free(r->slots[i].wbuf);
    }
    free(r->gen);
}

/* Runs `fn` on every ring in its own thread and waits for all. */
static int run_threads(struct ring *rings, unsigned n, void *(*fn)(void *), pthread_t *tids)
{
    unsigned started = 0;
    int rc = 0;
    for (; started < n; started++) {
        int e = pthread_create(&tids[started], NULL, fn, &rings[started]);
        if (e != 0) {
            fprintf(stderr, "pthread_create: %s\n", strerror(e));
            rc = -1;
            break;
        }
    }
    for (unsigned i = 0; i < started; i++) {
        int e = pthread_join(tids[i], NULL);
        if (e != 0) {
            fprintf(stderr, "pthread_join: %s\n", strerror(e));
            rc = -1;
        }
    }
    return rc;
}

/* pvscsid's limits for one of the guest's devices (its qos-iops/qos-bps
 * nodes, as `pvscsictl limit` writes them). */
static int set_limits(struct daemon_world *w, unsigned domid, unsigned devid,
                      const struct bench_opts *o)
{
    char path[160], v[24];
    toolstack_backend_path(path, sizeof(path), 0, (uint16_t)domid, devid);
    size_t l = strlen(path);
    const char *node[2] = {"/qos-iops", "/qos-bps"};
    const uint64_t val[2] = {o->limit_iops, o->limit_bps};
    for (int i = 0; i < 2; i++) {
        snprintf(path + l, sizeof(path) - l, "%s", node[i]);
        snprintf(v, sizeof(v), "%" PRIu64, val[i]);
        if (!xs_write(w->xs, XBT_NULL, path, v, (unsigned)strlen(v))) {
            fprintf(stderr, "pvscsi-bench: writing %s: %s\n", path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

int bench_run_pvscsid(const struct bench_opts *o, const char *path, struct bench_result *res)
{
    memset(res, 0, sizeof(*res));
    unsigned nguests = (o->rings + o->rings_per_guest - 1) / o->rings_per_guest;
    unsigned grants_per_req;
    unsigned pages = pages_per_request(o->bs, &grants_per_req);
    unsigned per_guest = o->rings < o->rings_per_guest ? o->rings : o->rings_per_guest;
    /* Each ring page is granted too; keep a margin for the reserved refs. */
    uint64_t grants = (uint64_t)per_guest * (o->qd * grants_per_req + 1u);
    if (grants > XENSIM_NR_GRANTS - 64u) {
        fprintf(stderr,
                "pvscsi-bench: %u rings per guest x qd %u x %u grants per request exceed "
                "the %u grants of a domain: lower --rings-per-guest\n",
                per_guest, o->qd, grants_per_req, XENSIM_NR_GRANTS);
        return -1;
    }
    uint32_t ram_pages = (uint32_t)(per_guest * (o->qd * pages + 1u) + 64u);
    uint64_t total_blks = o->size / o->bs;
    uint64_t slice = total_blks / o->rings;
    if (slice < 2u * o->qd) {
        fprintf(stderr, "pvscsi-bench: %" PRIu64 " bytes give each ring fewer than 2*qd "
                "blocks of %u bytes: raise --size\n", o->size, o->bs);
        return -1;
    }

    struct ring *rings = calloc(o->rings, sizeof(*rings));
    struct simguest **guests = calloc(nguests, sizeof(*guests));
    pthread_t *tids = calloc(o->rings, sizeof(*tids));
    pthread_barrier_t start;
    bool barrier = false, world = false;
    struct daemon_world w;
    int rc = -1;
    if (!rings || !guests || !tids) {
        fprintf(stderr, "pvscsi-bench: out of memory\n");
        goto out;
    }
    uint64_t run_seed = mix64(bench_now_ns() ^ ((uint64_t)getpid() << 32));
    for (unsigned i = 0; i < o->rings; i++) {
        struct ring *r = &rings[i];
        r->o = o;
        r->index = i;
        r->seed = run_seed;
        r->first_blk = (uint64_t)i * slice;
        r->nr_blks = slice;
        r->rng = mix64(run_seed + i) | 1u;
        if (ring_alloc_buffers(r, run_seed) < 0) {
            fprintf(stderr, "pvscsi-bench: out of memory for buffers\n");
            goto out;
        }
    }

    if (setenv("PVSCSID_SIM", o->daemon, 1) < 0) {
        perror("setenv");
        goto out;
    }
    char workers[16];
    snprintf(workers, sizeof(workers), "%u", o->workers);
    const char *extra[] = {"--datapath", o->datapath, "--log-level", "warn",
                           o->workers ? "--workers" : NULL, workers, NULL};
    if (world_start(&w, extra) < 0)
        goto out;
    world = true;

    char pdev[600];
    int pl = o->null_handler ? snprintf(pdev, sizeof(pdev), "null:%" PRIu64, o->size)
                             /* every ring holds a slice of the one file */
                             : snprintf(pdev, sizeof(pdev), "file:%s,shared", path);
    if (pl < 0 || (size_t)pl >= sizeof(pdev)) {
        fprintf(stderr, "pvscsi-bench: path too long\n");
        goto out;
    }
    struct toolstack_lun lun = {.index = 0, .p_dev = pdev, .v_dev = "0:0:0:0"};
    for (unsigned g = 0; g < nguests; g++) {
        /* Domain ids from 1: 0 is the backend. */
        guests[g] = simguest_create((uint16_t)(g + 1), ram_pages, 0);
        if (!guests[g])
            goto out;
        for (unsigned d = 0; d < o->rings_per_guest; d++) {
            unsigned i = g * o->rings_per_guest + d;
            if (i >= o->rings)
                break;
            rings[i].f = world_attach(&w, guests[g], d, &lun, 1);
            if (!rings[i].f) {
                fprintf(stderr, "pvscsi-bench: ring %u did not connect\n", i);
                goto out;
            }
            if (g == 0 && (o->limit_iops || o->limit_bps) && set_limits(&w, g + 1, d, o) < 0)
                goto out;
            static const struct vscsi_hctl lun0 = {0, 0, 0, 0};
            if (simfront_wait_lun(rings[i].f, &lun0, true, 5000) < 0) {
                fprintf(stderr, "pvscsi-bench: ring %u: the LUN did not appear\n", i);
                goto out;
            }
        }
    }

    int e = pthread_barrier_init(&start, NULL, o->rings + 1u);
    if (e != 0) {
        fprintf(stderr, "pthread_barrier_init: %s\n", strerror(e));
        goto out;
    }
    barrier = true;
    for (unsigned i = 0; i < o->rings; i++)
        rings[i].start = &start;
    /* The run: threads wait at the barrier until the CPU counters are read. */
    unsigned started = 0;
    for (; started < o->rings; started++) {
        e = pthread_create(&tids[started], NULL, ring_thread, &rings[started]);
        if (e != 0)
            break;
    }
    if (started < o->rings) {
        /* Cannot release a barrier sized for all: a bench bug, not a result. */
        fprintf(stderr, "pthread_create: %s\n", strerror(e));
        abort();
    }
    struct bench_syscalls sc;
    bool counting = bench_syscalls_start(w.pid, o->seconds, &sc) == 0;
    double dcpu0 = proc_cpu_seconds(w.pid), gcpu0 = self_cpu_seconds();
    (void)pthread_barrier_wait(&start);
    for (unsigned i = 0; i < o->rings; i++) {
        e = pthread_join(tids[i], NULL);
        if (e != 0)
            fprintf(stderr, "pthread_join: %s\n", strerror(e));
    }
    double dcpu1 = proc_cpu_seconds(w.pid), gcpu1 = self_cpu_seconds();
    res->daemon_syscalls = counting ? bench_syscalls_stop(&sc) : -1;

    struct hist *all = calloc(1, sizeof(*all));
    if (!all) {
        fprintf(stderr, "pvscsi-bench: out of memory\n");
        goto out;
    }
    uint64_t t0 = UINT64_MAX, t1 = 0;
    bool failed = false;
    for (unsigned i = 0; i < o->rings; i++) {
        struct ring *r = &rings[i];
        hist_merge(all, &r->hist);
        res->reads += r->reads;
        res->writes += r->writes;
        res->bytes += r->bytes;
        res->errors += r->errors;
        failed |= r->failed;
        t0 = r->t_start < t0 ? r->t_start : t0;
        t1 = r->t_end > t1 ? r->t_end : t1;
    }
    res->guests = nguests;
    for (unsigned i = 0; i < o->rings && res->seconds >= 0; i++) {
        unsigned g = i / o->rings_per_guest;
        double span = (double)(t1 - t0) / 1e9;
        if (span > 0)
            res->guest_iops[g] += (double)(rings[i].reads + rings[i].writes) / span;
    }
    uint64_t reqs = res->reads + res->writes;
    res->seconds = t1 > t0 ? (double)(t1 - t0) / 1e9 : 0;
    if (res->seconds > 0) {
        res->iops = (double)reqs / res->seconds;
        res->mbps = (double)res->bytes / res->seconds / 1e6;
    }
    res->lat_p50_us = (double)hist_quantile(all, 0.50) / 1e3;
    res->lat_p99_us = (double)hist_quantile(all, 0.99) / 1e3;
    res->lat_p999_us = (double)hist_quantile(all, 0.999) / 1e3;
    free(all);
    if (dcpu0 >= 0 && dcpu1 >= 0)
        res->daemon_cpu_s = dcpu1 - dcpu0;
    if (gcpu0 >= 0 && gcpu1 >= 0)
        res->guest_cpu_s = gcpu1 - gcpu0;
    if (reqs) {
        res->daemon_cpu_per_req_us = res->daemon_cpu_s / (double)reqs * 1e6;
        res->guest_cpu_per_req_us = res->guest_cpu_s / (double)reqs * 1e6;
        if (res->daemon_syscalls >= 0)
            res->daemon_syscalls_per_req = (double)res->daemon_syscalls / (double)reqs;
    }

    if (!failed && bench_rw_writes(o->rw) && !o->null_handler) {
        if (run_threads(rings, o->rings, verify_thread, tids) < 0)
            goto out;
        res->verified = true;
        for (unsigned i = 0; i < o->rings; i++) {
            res->verify_blocks += rings[i].verify_blocks;
            res->verify_bad += rings[i].verify_bad;
            failed |= rings[i].failed;
        }
        res->verify_ok = res->verify_bad == 0 && !failed;
    }
    rc = failed ? -1 : 0;
out:
    /* Guests first: their teardown completes commands that point into rings. */
    for (unsigned g = 0; guests && g < nguests; g++)
        simguest_destroy(guests[g]);
    if (world) {
        int st = world_stop(&w);
        if (st != 0) {
            fprintf(stderr, "pvscsi-bench: pvscsid exited with status %d\n", st);
            rc = -1;
        }
    }
    if (barrier)
        (void)pthread_barrier_destroy(&start);
    for (unsigned i = 0; rings && i < o->rings; i++)
        ring_free(&rings[i]);
    free(rings);
    free(guests);
    free(tids);
    return rc;
}
